//! Change batches: upserts and deletes sent as NDJSON (`POST /api/ingest`), applied as one
//! generation. Rows go through the validation file rows go through (the same rejects with
//! reasons, the same normalisations, the same credit-code identity rules), staged and
//! upserted the same way; only the derivation is narrower: the touched customers, and the
//! others whose ranked columns moved (see [`crate::derive`]).

mod apply;
mod parse;

pub use apply::ChangeSummary;
pub(crate) use apply::apply;
pub(crate) use parse::Op;
pub use parse::{CHANGES, Changes, MAX_CHANGE_BYTES};

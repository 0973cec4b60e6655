//! kesou's deterministic generator of realistic demo data: enterprise customers (企业客户)
//! with their orders and interactions, as CSV, JSON Lines or Parquet, following the data
//! contract of `DOMAIN.md`. Every test, benchmark and demo of kesou runs on it.
//!
//! The world is a pure function of the seed. Each customer has a latent persona (精密制造大户,
//! 科技成长型, 小微餐饮 …) that drives its industry, size, place, products, seasons, how it
//! talks to us and when it churns; churn is planted as a process (orders shrink and thin
//! out before it, while complaints grow or the customer goes quiet), never as a column. Customers are created between 2016 and
//! 2025 and do not depend on `as_of`; their histories are time-ordered event streams cut
//! at `as_of`, so a later `as_of` extends the same histories. The same seed gives
//! byte-identical files whatever the number of threads.
//!
//! [`generate`] writes `customers`, `orders`, `interactions`, `meta` (as_of, seed,
//! customers, generator, dirty) and `truth_segments` (id, segment: the persona, for
//! evaluation only) into a folder; [`generate_batches`] returns one chunk as Arrow
//! [`Batches`] for tests and benches; [`schemas`] gives the tables' Arrow schemas.
//!
//! With [`GenerateConfig::dirty`] the files also carry what real ERP exports do, each in
//! about 1–2% of customers or orders, deterministically: exact duplicate rows; re-exports
//! (same id and credit code, one field changed); malformed phones (too short, a letter, 12
//! digits); malformed credit codes (wrong length, wrong check character, `O` for `0`);
//! empty name, province or credit code; same-name companies with another id (`C9…`) and
//! another valid code; stray spaces, tabs and ideographic spaces around values;
//! full-width phones and codes; and orders of unknown customers (`C8…`), with negative,
//! non-numeric or full-width amounts or impossible dates. Orders' `order_date` and
//! `amount` are text columns in dirty data (see [`Schemas`]).

mod batch;
mod calendar;
mod catalog;
mod chunk;
mod config;
mod credit;
mod customer;
mod describe;
mod dirty;
mod error;
mod events;
mod export;
mod generate;
mod names;
mod notes;
mod paraphrase;
mod parquet;
mod people;
mod persona;
mod rng;
mod script;
mod text;
mod unique;
mod write;

pub use batch::{Schemas, schemas};
pub use chunk::Batches;
pub use config::{FileFormat, GenerateConfig, GenerateSummary};
pub use error::{Error, Result};
pub use export::{ExportStyle, csv_to_workbook, export};
pub use generate::{generate, generate_batches};
pub use paraphrase::{PARAPHRASES, PLANT_SHARE, Paraphrase};

#[cfg(test)]
mod tests;

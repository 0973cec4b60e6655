//! kesou's ingest: source files become a validated DuckDB store and a Chinese-aware tantivy
//! index beside it, kept in step by a generation number.
//!
//! [`Store`] is a store opened for a process's lifetime: it owns the read-write database and
//! the open index, makes [`Reader`]s for queries, and writes: [`Store::ingest`] reads CSV,
//! JSONL and Parquet exports, rejects bad rows with reasons (file, line, column), records
//! every safe normalisation, upserts by credit code, computes the glossary's derived columns
//! in DuckDB SQL and flags same-name-different-code duplicates; [`Store::apply`] does the
//! same for a batch of [`Changes`] (NDJSON upserts and deletes), deriving only what they
//! touch; [`Store::delete`] removes customers everywhere; [`Store::update`] runs any other
//! change as one generation. The free functions [`ingest`], [`delete`] and [`update`] open
//! the store for one call; [`open_for_reading`] opens it read-only for queries and first
//! lets the index catch up if an earlier run was interrupted.
//! The [`text`] module is the analyzer shared with the query side.

mod changes;
mod check;
pub mod crypt;
mod delete;
mod derive;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod handle;
mod ingest;
pub mod memory;
pub mod plan;
mod reader;
mod report;
pub mod rollup;
pub mod served;
mod source;
mod stage;
mod update;
mod upsert;
mod validate;

pub mod index;
pub mod store;
pub mod text;

pub use changes::{CHANGES, ChangeSummary, Changes, MAX_CHANGE_BYTES};
pub use check::{Agreement, agreement};
pub use delete::{DeleteSummary, delete};
pub use error::{Error, Result, duckdb_kind, tantivy_kind};
pub use handle::Store;
pub use index::{IndexHandle, SyncReport};
pub use ingest::{FileReport, IngestSummary, ingest, ingest_mapped};
pub use reader::{Reader, open_for_reading};
pub use report::{DuplicateGroup, duplicate_groups};
pub use store::StorePaths;
pub use update::{Unlisted, set_customer_columns, update};
pub use validate::{Normalization, Reject, Table};

/// Progress of long work, for the CLI's progress bars. Phases may run at the same time
/// (files load in parallel); each is reported through its own [`Phase`].
pub trait Progress: Sync {
    /// A phase starts; `total` in rows when known. It ends when the handle is dropped.
    fn phase(&self, _what: &str, _total: Option<u64>) -> Box<dyn Phase + '_> {
        Box::new(NoProgress)
    }
}

/// One running phase of long work.
pub trait Phase: Send + Sync {
    fn advance(&self, _rows: u64) {}
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}
impl Phase for NoProgress {}

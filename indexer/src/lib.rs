//! kesou's ingest: source files become a validated DuckDB store and a Chinese-aware tantivy
//! index beside it, kept in step by a generation number.
//!
//! [`ingest`] reads CSV, JSONL and Parquet exports, rejects bad rows with reasons (file,
//! line, column), records every safe normalisation, upserts by credit code, computes the
//! glossary's derived columns in DuckDB SQL and flags same-name-different-code duplicates.
//! [`delete`] removes customers everywhere. [`open_for_reading`] opens a store for queries
//! and first lets the index catch up with the store if an earlier run was interrupted.
//! The [`text`] module is the analyzer shared with the query side.

mod delete;
mod derive;
mod error;
mod ingest;
mod report;
mod source;
mod stage;
mod update;
mod validate;

pub mod index;
pub mod store;
pub mod text;

pub use delete::{DeleteSummary, delete};
pub use error::{Error, Result};
pub use index::{IndexHandle, SyncReport};
pub use ingest::{FileReport, IngestSummary, ingest};
pub use report::{DuplicateGroup, duplicate_groups};
pub use store::StorePaths;
pub use update::update;
pub use validate::{Reject, Table};

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

/// A store opened for queries: a read-only connection and the caught-up index.
pub struct Reader {
    pub conn: duckdb::Connection,
    pub index: IndexHandle,
    /// Set when the index could not catch up (another process holds the index writer).
    pub stale: bool,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("stale", &self.stale)
            .finish()
    }
}

/// Opens a store for reading. When the index is behind the store (an ingest was
/// interrupted between its two commits), it catches up first.
pub fn open_for_reading(paths: &StorePaths, progress: &dyn Progress) -> Result<Reader> {
    let conn = store::open_db(paths, false, true)?;
    let stale = match index::sync(paths, &conn, progress) {
        Ok(_) => false,
        Err(Error::IndexBusy) => {
            tracing::warn!(
                "index is being written by another process; answering from the last committed index"
            );
            true
        }
        Err(e) => return Err(e),
    };
    let index = index::open_index(paths)?;
    Ok(Reader { conn, index, stale })
}

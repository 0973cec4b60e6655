//! A store opened for queries.

use crate::index::{self, IndexHandle};
use crate::store::{self, StorePaths};
use crate::{Error, Progress, Result};

/// A store opened for queries: a connection and the caught-up index.
pub struct Reader {
    pub conn: duckdb::Connection,
    pub index: IndexHandle,
    /// Set when the index could not catch up (another process holds the index writer).
    pub stale: bool,
    /// The store generation when the reader was opened.
    pub generation: u64,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("stale", &self.stale)
            .field("generation", &self.generation)
            .finish()
    }
}

/// Opens a store for reading in a process that does not keep it open (a read-only
/// connection of its own; [`crate::Store::reader`] is the way in a process that writes).
/// When the index is behind the store (a write was interrupted between its two commits),
/// it catches up first.
pub fn open_for_reading(paths: &StorePaths, progress: &dyn Progress) -> Result<Reader> {
    let mut conn = store::open_db(paths, crate::store::Open::Read)?;
    if !store::schema_is_current(&conn)? {
        // A store made by an earlier kesou lacks columns this one reads (the index and the
        // questions name them): its schema is brought up to date once, by opening it for
        // writing for a moment (the store's own DDL adds them, empty), then read as usual.
        drop(conn);
        drop(store::open_db(paths, crate::store::Open::Write)?);
        conn = store::open_db(paths, crate::store::Open::Read)?;
    }
    let vault = crate::crypt::vault_for(paths, &conn, crate::crypt::Access::Read)?;
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
    let mut index = index::open_index(paths)?;
    index.vault = vault;
    let generation = store::generation(&conn)?;
    Ok(Reader {
        conn,
        index,
        stale,
        generation,
    })
}

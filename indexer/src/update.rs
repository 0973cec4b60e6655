//! A change to the store made outside ingest (tag rules, models): one transaction in a new
//! generation, then the index catches up, as ingest and delete do.

use duckdb::Connection;

use crate::index::{SyncReport, sync};
use crate::store::{self, StorePaths};
use crate::{Progress, Result};

/// Runs `change` in a transaction with the next generation number (stamp changed customers'
/// `_gen` with it), commits it as the store's generation and brings the index up to it.
/// Nothing is kept when `change` fails.
pub fn update<T>(
    paths: &StorePaths,
    progress: &dyn Progress,
    change: impl FnOnce(&Connection, u64) -> Result<T>,
) -> Result<(T, u64, SyncReport)> {
    let conn = store::open_db(paths, false, false)?;
    conn.execute_batch("BEGIN TRANSACTION")?;
    let result = (|| {
        let generation = store::generation(&conn)? + 1;
        let value = change(&conn, generation)?;
        store::set_meta(&conn, "generation", &generation.to_string())?;
        Ok::<_, crate::Error>((value, generation))
    })();
    let (value, generation) = match result {
        Ok(v) => {
            conn.execute_batch("COMMIT")?;
            v
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    };
    let index = sync(paths, &conn, progress)?;
    Ok((value, generation, index))
}

//! A change to the store made outside ingest (deletes, tag rules): one transaction in a new
//! generation, then the index catches up, as ingest does.

use duckdb::Connection;

use crate::Progress;
use crate::index::{SyncReport, sync};
use crate::store::{self, StorePaths};

/// Runs `change` in a transaction with the next generation number (stamp changed customers'
/// `_gen` with it), commits it as the store's generation and brings the index up to it.
/// Nothing is kept when `change` fails. The caller's error type passes through untouched, so
/// a user error stays one and a fault stays a fault.
pub fn update<T, E: From<crate::Error>>(
    paths: &StorePaths,
    progress: &dyn Progress,
    change: impl FnOnce(&Connection, u64) -> std::result::Result<T, E>,
) -> std::result::Result<(T, u64, SyncReport), E> {
    let conn = store::open_db(paths, false, false)?;
    conn.execute_batch("BEGIN TRANSACTION")
        .map_err(crate::Error::from)?;
    let result = (|| {
        let generation = store::generation(&conn)? + 1;
        let value = change(&conn, generation)?;
        store::set_meta(&conn, "generation", &generation.to_string())?;
        Ok::<_, E>((value, generation))
    })();
    let (value, generation) = match result {
        Ok(v) => {
            conn.execute_batch("COMMIT").map_err(crate::Error::from)?;
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

//! `kesou delete`: customers leave the store with their orders and interactions, in one
//! generation, and then the index.

use duckdb::params;

use crate::index::{SyncReport, sync};
use crate::store::{self, StorePaths};
use crate::{Progress, Result, derive};

#[derive(Debug, Clone)]
pub struct DeleteSummary {
    pub deleted: Vec<String>,
    pub not_found: Vec<String>,
    pub generation: u64,
    pub index: SyncReport,
}

pub fn delete(
    paths: &StorePaths,
    ids: &[String],
    progress: &dyn Progress,
) -> Result<DeleteSummary> {
    let conn = store::open_db(paths, false, false)?;
    conn.execute_batch("BEGIN TRANSACTION")?;
    let result = (|| {
        let generation = store::generation(&conn)? + 1;
        let deleted = derive::delete_customers(&conn, ids, generation)?;
        let (as_of, _) = store::as_of(&conn)?;
        derive::derive(&conn, as_of, generation)?;
        derive::flag_duplicate_names(&conn, generation)?;
        store::set_meta(&conn, "generation", &generation.to_string())?;
        conn.execute(
            "DELETE FROM tombstones WHERE gen < ?",
            params![generation as i64 - 16],
        )?;
        Ok::<_, crate::Error>((generation, deleted))
    })();
    let (generation, deleted) = match result {
        Ok(v) => {
            conn.execute_batch("COMMIT")?;
            v
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    };
    let not_found = ids
        .iter()
        .filter(|i| !deleted.contains(i))
        .cloned()
        .collect();
    let index = sync(paths, &conn, progress)?;
    Ok(DeleteSummary {
        deleted,
        not_found,
        generation,
        index,
    })
}

//! `kesou delete`: customers leave the store with their orders and interactions, in one
//! generation, and then the index.

use duckdb::params;

use crate::index::SyncReport;
use crate::store::{self, StorePaths};
use crate::update::update;
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
    let (deleted, generation, index) = update(paths, progress, |conn, generation| {
        let deleted = derive::delete_customers(conn, ids, generation)?;
        let (as_of, _) = store::as_of(conn)?;
        derive::derive(conn, as_of, generation)?;
        derive::flag_duplicate_names(conn, generation)?;
        conn.execute(
            "DELETE FROM tombstones WHERE gen < ?",
            params![generation as i64 - 16],
        )?;
        Ok::<_, crate::Error>(deleted)
    })?;
    let not_found = ids
        .iter()
        .filter(|i| !deleted.contains(i))
        .cloned()
        .collect();
    Ok(DeleteSummary {
        deleted,
        not_found,
        generation,
        index,
    })
}

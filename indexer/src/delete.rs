//! `kesou delete`: customers leave the store with their orders and interactions, in one
//! generation, and then the index. See [`crate::Store::delete`].

use crate::index::SyncReport;
use crate::store::StorePaths;
use crate::{Progress, Result};

#[derive(Debug, Clone, serde::Serialize)]
pub struct DeleteSummary {
    pub deleted: Vec<String>,
    pub not_found: Vec<String>,
    pub generation: u64,
    pub index: SyncReport,
}

/// [`crate::Store::delete`] on the store at `paths`, opened for the call.
pub fn delete(
    paths: &StorePaths,
    ids: &[String],
    progress: &dyn Progress,
) -> Result<DeleteSummary> {
    crate::Store::open(paths)?.delete(ids, progress)
}

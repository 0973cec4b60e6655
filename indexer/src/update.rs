//! A change to the store made outside ingest (deletes, tag rules): one transaction in a new
//! generation, then the index catches up, as ingest does. See [`crate::Store::update`].

use duckdb::Connection;

use crate::Progress;
use crate::index::SyncReport;
use crate::store::StorePaths;

/// [`crate::Store::update`] on the store at `paths`, opened for the call. A process that
/// keeps a store open calls the method instead.
pub fn update<T, E: From<crate::Error>>(
    paths: &StorePaths,
    progress: &dyn Progress,
    change: impl FnOnce(&Connection, u64) -> std::result::Result<T, E>,
) -> std::result::Result<(T, u64, SyncReport), E> {
    crate::Store::open(paths)?.update(progress, change)
}

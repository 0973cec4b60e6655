//! [`Store`]: a store opened for the lifetime of a process. It owns the one read-write
//! DuckDB database of the store and the open tantivy index; every write goes through it,
//! and readers are made from it.
//!
//! DuckDB allows one read-write database per file and per process (a second instance on
//! the same file in one process is not safe, and a read-only open cannot coexist with a
//! writer), so a process that both answers and writes opens the store once, as a `Store`,
//! and does everything through it. Writes are serialised; a reader never waits for one.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use duckdb::Connection;

use crate::changes::{ChangeSummary, Changes};
use crate::delete::DeleteSummary;
use crate::index::{IndexHandle, SyncReport, open_index, sync_into};
use crate::ingest::{IngestSummary, Inputs, open_inputs};
use crate::store::{self, StorePaths, Tx};
use crate::{Error, NoProgress, Progress, Reader, Result, derive, upsert};

/// A store opened read-write for the lifetime of a process. `Send + Sync`: share it behind
/// an `Arc`.
///
/// - [`Store::reader`] gives a [`Reader`]: a connection of its own (cloned from the
///   store's database) and the index as last committed. DuckDB is MVCC: a reader sees the
///   store as of its query's start, keeps working while a write runs, and sees a write once
///   it is committed. Open a new `Reader` after a write to see both the store and the index
///   at the new generation (cheap: a cloned connection and a clone of the open index).
/// - [`Store::ingest`] (files), [`Store::apply`] (a change batch), [`Store::delete`] and
///   [`Store::update`] are writes: one DuckDB transaction each, one generation each,
///   followed by the index catch-up. tantivy's index writer is taken only for the
///   catch-up and released after it; readers never take it.
pub struct Store {
    paths: StorePaths,
    /// The connection every write goes through, held for the whole write.
    writer: Mutex<Connection>,
    /// Never written through: readers are cloned from it without waiting for a write.
    root: Mutex<Connection>,
    /// The open index and analyzer, loaded at the first reader or write that needs them.
    index: Mutex<Option<IndexHandle>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("root", &self.paths.root)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A write that panicked rolled its transaction back (Tx); the data behind is whole.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Store {
    /// Opens an existing store. Errors (user errors) when `paths` is not a kesou store or
    /// another process has it open for writing. The index catches up first if an earlier
    /// process stopped between the store's commit and the index's.
    pub fn open(paths: &StorePaths) -> Result<Store> {
        Self::open_with(paths, false)
    }

    /// Opens the store at `paths`, creating an empty one when there is none.
    pub fn open_or_create(paths: &StorePaths) -> Result<Store> {
        Self::open_with(paths, true)
    }

    fn open_with(paths: &StorePaths, create: bool) -> Result<Store> {
        let conn = store::open_db(paths, create, false)?;
        let mut live = None;
        sync_into(paths, &conn, &mut live, &NoProgress)?;
        Ok(Store {
            paths: paths.clone(),
            root: Mutex::new(conn.try_clone()?),
            writer: Mutex::new(conn),
            index: Mutex::new(live),
        })
    }

    pub fn paths(&self) -> &StorePaths {
        &self.paths
    }

    /// The store's committed generation: it moves by one with every write.
    pub fn generation(&self) -> Result<u64> {
        let conn = lock(&self.root).try_clone()?;
        store::generation(&conn)
    }

    /// A reader of the store as committed, with the index caught up to the same generation.
    pub fn reader(&self) -> Result<Reader> {
        let conn = lock(&self.root).try_clone()?;
        let index = {
            let mut live = lock(&self.index);
            if live.is_none() {
                *live = Some(open_index(&self.paths)?);
            }
            live.clone().expect("index loaded")
        };
        let generation = store::generation(&conn)?;
        Ok(Reader {
            conn,
            index,
            stale: false,
            generation,
        })
    }

    /// Loads files or folders (see [`crate::ingest`]): one generation. The files are opened
    /// and classified first; one that cannot be read stops the ingest with nothing changed.
    pub fn ingest(&self, inputs: &[PathBuf], progress: &dyn Progress) -> Result<IngestSummary> {
        let inputs = open_inputs(inputs)?;
        self.ingest_inputs(inputs, progress)
    }

    pub(crate) fn ingest_inputs(
        &self,
        inputs: Inputs,
        progress: &dyn Progress,
    ) -> Result<IngestSummary> {
        self.write(|conn, live| {
            crate::ingest::ingest_inputs(conn, &self.paths, inputs, progress, live)
        })
    }

    /// Applies a batch of changes (upserts and deletes, see [`Changes`]): one transaction,
    /// one generation. Bad lines are rejected with their line and reason; the rest apply.
    pub fn apply(&self, changes: &Changes, progress: &dyn Progress) -> Result<ChangeSummary> {
        self.write(|conn, live| crate::changes::apply(conn, &self.paths, changes, progress, live))
    }

    /// Deletes customers with their orders and interactions, from store and index.
    pub fn delete(&self, ids: &[String], progress: &dyn Progress) -> Result<DeleteSummary> {
        let (deleted, generation, index) = self.update(progress, |conn, generation| {
            let (as_of, _) = store::as_of(conn)?;
            let cuts = derive::cuts(conn, as_of)?;
            upsert::begin(conn)?;
            let deleted = upsert::delete_customers(conn, ids, generation)?;
            derive::derive(
                conn,
                as_of,
                generation,
                &derive::Scope::Touched(Box::new(cuts)),
            )?;
            upsert::flag_duplicate_names(conn, generation, upsert::Groups::Affected)?;
            store::forget_tombstones(conn, generation)?;
            Ok::<_, Error>(deleted)
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

    /// Runs `change` in a transaction with the next generation number (it stamps changed
    /// customers' `_gen` with it), commits it as the store's generation and brings the
    /// index up to it. Nothing is kept when `change` fails. The caller's error type passes
    /// through untouched, so a user error stays one and a fault stays a fault.
    pub fn update<T, E: From<Error>>(
        &self,
        progress: &dyn Progress,
        change: impl FnOnce(&Connection, u64) -> std::result::Result<T, E>,
    ) -> std::result::Result<(T, u64, SyncReport), E> {
        self.write(|conn, live| {
            let (value, generation) = Tx::run(conn, || {
                let generation = store::generation(conn)? + 1;
                let value = change(conn, generation)?;
                store::set_meta(conn, "generation", &generation.to_string())?;
                Ok::<_, E>((value, generation))
            })?;
            let index = sync_into(&self.paths, conn, live, progress)?;
            Ok((value, generation, index))
        })
    }

    /// Runs a write on the write connection with the open index; one write at a time.
    /// Readers keep the index as it was until the write has caught it up.
    fn write<T, E: From<Error>>(
        &self,
        body: impl FnOnce(&Connection, &mut Option<IndexHandle>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let conn = lock(&self.writer);
        let mut live = lock(&self.index).clone();
        let out = body(&conn, &mut live);
        if live.is_some() {
            *lock(&self.index) = live;
        }
        out
    }
}

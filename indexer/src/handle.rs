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
use std::thread::JoinHandle;

use duckdb::Connection;

use crate::changes::{ChangeSummary, Changes};
use crate::crypt::{self, Access, Vault};
use crate::delete::DeleteSummary;
use crate::derive::Cuts;
use crate::index::{IndexHandle, Merging, SyncReport, open_index, sync_into};
use crate::ingest::{IngestSummary, Inputs, open_inputs};
use crate::store::{self, StorePaths, Tx};
use crate::{Error, NoProgress, Progress, Reader, Result, derive, report, upsert};

/// A store opened read-write for the lifetime of a process. `Send + Sync`: share it behind
/// an `Arc`.
///
/// - [`Store::reader`] gives a [`Reader`]: a connection of its own (cloned from the
///   store's database) and the index as last committed. DuckDB is MVCC: a reader's
///   statement sees the store as of its start (an open transaction keeps its snapshot),
///   keeps working while a write runs, and the next statement sees a committed write. Its
///   index handle stays the index it was made with, so open a new `Reader` after a write to
///   see store and index at the new generation (~3 ms: a cloned connection and a clone of
///   the open index). `kesou_query::Searcher` reloads its tantivy reader by itself within
///   about half a second of a commit (`ReloadPolicy::OnCommitWithDelay`); a new one made
///   from the new `Reader` sees it at once.
/// - [`Store::ingest`] (files), [`Store::apply`] (a change batch), [`Store::delete`] and
///   [`Store::update`] are writes, one at a time: one DuckDB transaction each, one
///   generation each, followed by the index catch-up. tantivy's index writer is taken
///   for the catch-up only; the write returns once the index commit is done, and the
///   segment merges that commit started finish on a thread the next write (or dropping the
///   store) waits for. Readers never take the writer.
pub struct Store {
    paths: StorePaths,
    /// The connection every write goes through, held for the whole write.
    writer: Mutex<Connection>,
    /// Never written through: readers are cloned from it without waiting for a write.
    root: Mutex<Connection>,
    /// The open index and analyzer, loaded at the first reader or write that needs them.
    index: Mutex<Option<IndexHandle>>,
    /// The cuts the last write left, for the next one.
    cuts: Mutex<Option<(u64, Cuts)>>,
    /// The last write's index writer, finishing the merges its commit started.
    merging: Mutex<Option<JoinHandle<Result<()>>>>,
    /// How the store holds its contacts (checked against `meta` at open; replaced by a
    /// key rotation).
    vault: Mutex<Vault>,
}

/// What a store kept open carries from one write to the next; a write borrows it.
#[derive(Default)]
pub(crate) struct Warm {
    /// The open index and the store's analyzer.
    pub index: Option<IndexHandle>,
    /// The cuts of the ranked columns at a generation (see [`derive::cuts`]).
    pub cuts: Option<(u64, Cuts)>,
    /// The writer of the last index catch-up, its merges still running.
    pub merging: Option<Merging>,
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
    ///
    /// A store that keeps its contacts encrypted needs its key (`paths.key`): without it,
    /// or with another key, opening fails and says which key is wanted. A store created
    /// with a key is encrypted from its first row; a plain store with rows is not opened
    /// for writing with a key (see `kesou keys rotate`). A store made before the contact
    /// lookups gets them filled now, as one generation.
    pub fn open(paths: &StorePaths) -> Result<Store> {
        Self::open_with(paths, false, Access::Write)
    }

    /// Opens the store at `paths`, creating an empty one when there is none.
    pub fn open_or_create(paths: &StorePaths) -> Result<Store> {
        Self::open_with(paths, true, Access::Write)
    }

    fn open_with(paths: &StorePaths, create: bool, access: Access) -> Result<Store> {
        let conn = store::open_db(
            paths,
            if create {
                store::Open::CreateOrWrite
            } else {
                store::Open::Write
            },
        )?;
        let vault = crypt::vault_for(paths, &conn, access)?;
        let mut warm = Warm::default();
        sync_into(paths, &conn, &mut warm, &NoProgress)?;
        if let Some(merging) = warm.merging {
            merging.finish()?;
        }
        if let Some(index) = &mut warm.index {
            index.vault = vault.clone();
        }
        let store = Store {
            paths: paths.clone(),
            root: Mutex::new(conn.try_clone()?),
            writer: Mutex::new(conn),
            index: Mutex::new(warm.index),
            cuts: Mutex::new(None),
            merging: Mutex::new(None),
            vault: Mutex::new(vault),
        };
        let current = crypt::store::lookups_current(&lock(&store.writer))?;
        if !current {
            tracing::info!(store = %paths.root.display(), "filling the contact lookups of a store made before them");
            let vault = store.vault();
            store.reseal(&vault, &NoProgress)?;
        }
        Ok(store)
    }

    /// How the store holds its contacts.
    pub fn vault(&self) -> Vault {
        lock(&self.vault).clone()
    }

    /// Seals every contact with `new` (opened with the store's vault), in one generation;
    /// the store uses `new` from then on (the lookups of a store made before them are filled
    /// so). Returns (customers resealed, generation, index).
    pub(crate) fn reseal(
        &self,
        new: &Vault,
        progress: &dyn Progress,
    ) -> Result<(u64, u64, SyncReport)> {
        let old = self.vault();
        let (n, generation, index) = self.update(progress, |conn, generation| {
            crypt::rotate::reseal(conn, &old, new, generation)
        })?;
        *lock(&self.vault) = new.clone();
        if let Some(handle) = lock(&self.index).as_mut() {
            handle.vault = new.clone();
        }
        Ok((n, generation, index))
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
                let handle = open_index(&self.paths)?;
                handle.analyzer.warm_up();
                *live = Some(handle);
            }
            live.clone().expect("index loaded")
        };
        let mut index = index;
        index.vault = self.vault();
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
        self.ingest_mapped(inputs, &crate::plan::Mapping::default(), progress)
    }

    /// [`Store::ingest`] with a person's word on how columns load (`mapping.toml`).
    pub fn ingest_mapped(
        &self,
        inputs: &[PathBuf],
        mapping: &crate::plan::Mapping,
        progress: &dyn Progress,
    ) -> Result<IngestSummary> {
        let inputs = open_inputs(inputs, mapping)?;
        self.ingest_inputs(inputs, progress)
    }

    pub(crate) fn ingest_inputs(
        &self,
        inputs: Inputs,
        progress: &dyn Progress,
    ) -> Result<IngestSummary> {
        self.write(|conn, warm| {
            crate::ingest::ingest_inputs(conn, &self.paths, &self.vault(), inputs, progress, warm)
        })
    }

    /// Applies a batch of changes (upserts and deletes, see [`Changes`]): one transaction,
    /// one generation. Bad lines are rejected with their line and reason; the rest apply.
    pub fn apply(&self, changes: &Changes, progress: &dyn Progress) -> Result<ChangeSummary> {
        let vault = self.vault();
        self.write(|conn, warm| {
            crate::changes::apply(conn, &self.paths, &vault, changes, progress, warm)
        })
    }

    /// Deletes customers with their orders and interactions, from store and index.
    pub fn delete(&self, ids: &[String], progress: &dyn Progress) -> Result<DeleteSummary> {
        self.write(|conn, warm| {
            let kept = warm.cuts.take();
            let (deleted, generation, after) = Tx::run(conn, || {
                let generation = store::generation(conn)? + 1;
                let (as_of, _) = store::as_of(conn)?;
                let before = derive::cuts(conn, as_of, kept)?;
                upsert::begin(conn)?;
                let deleted = upsert::delete_customers(conn, ids, generation)?;
                let (_, after) = derive::derive(
                    conn,
                    as_of,
                    generation,
                    derive::Scope::Touched(Box::new(before)),
                )?;
                upsert::flag_duplicate_names(conn, generation, upsert::Groups::Affected)?;
                store::forget_tombstones(conn, generation)?;
                store::set_meta(conn, "generation", &generation.to_string())?;
                Ok::<_, Error>((deleted, generation, after))
            })?;
            warm.cuts = Some((generation, after));
            report::write_duplicates(&self.paths, conn)?;
            let index = sync_into(&self.paths, conn, warm, progress)?;
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
        })
    }

    /// Runs `change` in a transaction with the next generation number (it stamps changed
    /// customers' `_gen` with it), commits it as the store's generation and brings the
    /// index up to it. `change` leaves orders and interactions alone (they change through
    /// [`Store::ingest`] and [`Store::apply`], which keep their rollups). Nothing is kept when `change` fails. The caller's error type passes
    /// through untouched, so a user error stays one and a fault stays a fault.
    pub fn update<T, E: From<Error>>(
        &self,
        progress: &dyn Progress,
        change: impl FnOnce(&Connection, u64) -> std::result::Result<T, E>,
    ) -> std::result::Result<(T, u64, SyncReport), E> {
        self.write(|conn, warm| {
            let (value, generation) = Tx::run(conn, || {
                let generation = store::generation(conn)? + 1;
                let value = change(conn, generation)?;
                crate::rollup::carry(conn, generation - 1, generation)?;
                store::set_meta(conn, "generation", &generation.to_string())?;
                Ok::<_, E>((value, generation))
            })?;
            let index = sync_into(&self.paths, conn, warm, progress)?;
            Ok((value, generation, index))
        })
    }

    /// Runs `f` while the store and its index hold still: the writer is held (no write
    /// starts) and the merges of the last write have finished (the index's files do not
    /// change). `f` gets a connection of its own on the store's database and the committed
    /// generation; a transaction it begins there keeps that snapshot after `f` returns, so
    /// a backup begins one, takes the index's files (hard links, instant) and returns, and
    /// exports the database afterwards while writes go on.
    pub fn quiesced<T, E: From<Error>>(
        &self,
        f: impl FnOnce(Connection, u64) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let _writer = lock(&self.writer);
        self.finish_merges();
        let conn = lock(&self.root).try_clone().map_err(Error::from)?;
        let generation = store::generation(&conn)?;
        f(conn, generation)
    }

    /// Compares store and index (see [`crate::Agreement`]): holds the writer meanwhile, so
    /// that no write moves either, after the merges of the last write have finished.
    pub fn check(&self) -> Result<crate::Agreement> {
        let _writer = lock(&self.writer);
        self.finish_merges();
        let conn = lock(&self.root).try_clone()?;
        let index = match lock(&self.index).clone() {
            Some(h) => h.index,
            None => tantivy::Index::open_in_dir(self.paths.index())?,
        };
        crate::check::agreement(&conn, &index)
    }

    /// Runs a write on the write connection with what the store keeps warm; one write at a
    /// time. The merges of the previous write's index commit finish first; this write's
    /// go on in the background after it returns. Readers keep the index as it was until
    /// the write has caught it up.
    fn write<T, E: From<Error>>(
        &self,
        body: impl FnOnce(&Connection, &mut Warm) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let conn = lock(&self.writer);
        self.finish_merges();
        let mut warm = Warm {
            index: lock(&self.index).clone(),
            cuts: lock(&self.cuts).take(),
            merging: None,
        };
        let out = body(&conn, &mut warm);
        if warm.index.is_some() {
            *lock(&self.index) = warm.index;
        }
        *lock(&self.cuts) = warm.cuts;
        if let Some(merging) = warm.merging {
            let handle = std::thread::Builder::new()
                .name("kesou-index-merges".into())
                .spawn(move || merging.finish())
                .map_err(|e| Error::io(&self.paths.index(), e))?;
            *lock(&self.merging) = Some(handle);
        }
        out
    }

    /// Waits for the merges of the last write's index commit. A merge that failed leaves
    /// the index as committed (the merge is simply not applied): it is logged, not raised.
    fn finish_merges(&self) {
        if let Some(handle) = lock(&self.merging).take() {
            match handle.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "index segment merge failed"),
                Err(_) => tracing::warn!("index segment merge panicked"),
            }
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.finish_merges();
    }
}

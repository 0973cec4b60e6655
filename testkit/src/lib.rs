//! kesou's test kit (a dev-dependency only): one generated store per (customers, seed,
//! contract), built once and copied for every test that wants one.
//!
//! Generating and ingesting a demo world costs seconds; the integration, server, browser
//! and backup tests each did it on their own. [`generated_store`] builds it once into the
//! target folder, keyed by size, seed and the contract fingerprint (a hash of `domain`,
//! `datagen`, `indexer` and `Cargo.lock`, made by `build.rs`: a change to any of them
//! builds afresh), and hands each caller a copy in a temporary folder of its own, to change
//! at will. Within a process a lock per build lets one thread build it while the others
//! wait; across processes (test binaries run side by side) a build goes to a temporary
//! folder renamed into place, and the first rename wins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kesou_datagen::GenerateConfig;
use kesou_indexer::{NoProgress, StorePaths};

/// The store's contract fingerprint (see the crate docs).
pub const CONTRACT: &str = env!("KESOU_TESTKIT_CONTRACT");

/// A generated store of one's own: a copy of the cached build in a temporary folder.
pub struct GeneratedStore {
    /// The temporary folder (the store is `dir/store`); dropped, it goes.
    pub dir: tempfile::TempDir,
    pub paths: StorePaths,
    /// The generated files it was ingested from (shared by every copy: read, never write).
    pub source: PathBuf,
}

/// A copy of the store generated with `customers` and `seed` (as_of 2026-06-30, clean CSV:
/// [`GenerateConfig::new`]'s defaults) and ingested, built once per contract.
pub fn generated_store(customers: usize, seed: u64) -> GeneratedStore {
    let (source, store) = cached(customers, seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("store");
    copy_dir(&store, &root);
    GeneratedStore {
        dir,
        paths: StorePaths::new(root),
        source,
    }
}

/// The generated files of [`generated_store`] (shared: read, never write).
pub fn generated_source(customers: usize, seed: u64) -> PathBuf {
    cached(customers, seed).0
}

/// Copies a folder and everything in it.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a folder");
    for entry in std::fs::read_dir(from).expect("read a folder") {
        let path = entry.expect("a folder entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy a file");
        }
    }
}

/// Where cached stores live: beside the build's own output in the target folder.
fn cache_root() -> PathBuf {
    // OUT_DIR is TARGET/PROFILE/build/kesou-testkit-HASH/out.
    let out = Path::new(env!("OUT_DIR"));
    out.ancestors().nth(3).unwrap_or(out).join("kesou-testkit")
}

/// One lock per cached build, so that different builds go on side by side.
static BUILDING: Mutex<BTreeMap<String, Arc<Mutex<()>>>> = Mutex::new(BTreeMap::new());

fn lock_of(key: &str) -> Arc<Mutex<()>> {
    let mut all = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    Arc::clone(all.entry(key.to_owned()).or_default())
}

/// The cached build: the generated files and the store ingested from them (which names
/// those files in its ingest runs, so they stay where they were ingested from), each built
/// in a temporary folder and renamed into place when missing.
fn cached(customers: usize, seed: u64) -> (PathBuf, PathBuf) {
    let root = cache_root();
    let key = format!("{customers}-{seed}-{CONTRACT}");
    let source = root.join(format!("{key}.source"));
    let store = root.join(format!("{key}.store"));
    let lock = lock_of(&key);
    let _one_at_a_time = lock.lock().unwrap_or_else(|e| e.into_inner());
    if !source.is_dir() {
        let building = building(&root, &key);
        let mut config = GenerateConfig::new(building.path().join("source"));
        config.customers = customers;
        config.seed = seed;
        kesou_datagen::generate(&config, &|_| {}).expect("generate");
        put_in_place(&config.out, &source);
    }
    if !store.is_dir() {
        let building = building(&root, &key);
        let built = building.path().join("store");
        let summary = kesou_indexer::ingest(
            &StorePaths::new(&built),
            std::slice::from_ref(&source),
            &NoProgress,
        )
        .expect("ingest");
        assert_eq!(summary.rejected(), 0, "generated data loads cleanly");
        put_in_place(&built, &store);
    }
    (source, store)
}

fn building(root: &Path, key: &str) -> tempfile::TempDir {
    std::fs::create_dir_all(root).expect("create the cache folder");
    tempfile::Builder::new()
        .prefix(&format!(".{key}-"))
        .tempdir_in(root)
        .expect("a build folder")
}

/// Renames a finished build into place (what is left of its build folder goes with the
/// folder). Another process may have put the same build there first: its build stays.
fn put_in_place(built: &Path, target: &Path) {
    if std::fs::rename(built, target).is_err() {
        assert!(target.is_dir(), "nothing cached at {}", target.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_the_callers_own_and_the_cache_is_reused() {
        let a = generated_store(40, 5);
        let b = generated_store(40, 5);
        assert_ne!(a.paths.root, b.paths.root);
        assert_eq!(a.source, b.source);
        std::fs::remove_dir_all(&a.paths.root).unwrap();
        assert!(b.paths.root.join("kesou.duckdb").is_file());
        let store = kesou_indexer::Store::open(&b.paths).unwrap();
        let customers: i64 = store
            .reader()
            .unwrap()
            .conn
            .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(customers, 40);
    }
}

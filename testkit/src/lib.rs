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
//!
//! A test that needs another world than clean CSV (JSON lines, Parquet, a dirty export, a
//! product's export style) names it with a [`Shape`]: [`source`] gives its generated files,
//! [`store`] a copy of a store loaded from one or more shapes. A fixture that lives as long
//! as the test process (a `LazyLock`, which never drops) takes [`shared_store`]: a copy
//! kept in the target folder for that process, removed by the next process that finds it
//! stale, so nothing is left in the system's temporary folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kesou_datagen::{ExportStyle, FileFormat, GenerateConfig};
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

/// The generated world a test wants. [`Shape::new`]: clean CSV as `kesou generate` writes
/// it (as_of 2026-06-30).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub customers: usize,
    pub seed: u64,
    pub format: FileFormat,
    /// With the defects of real exports (`--dirty`).
    pub dirty: bool,
    /// Written as this product's export instead ([`kesou_datagen::export`]).
    pub style: Option<ExportStyle>,
}

impl Shape {
    pub fn new(customers: usize, seed: u64) -> Shape {
        Shape {
            customers,
            seed,
            format: FileFormat::Csv,
            dirty: false,
            style: None,
        }
    }

    pub fn format(self, format: FileFormat) -> Shape {
        Shape { format, ..self }
    }

    pub fn dirty(self) -> Shape {
        Shape {
            dirty: true,
            ..self
        }
    }

    pub fn style(self, style: ExportStyle) -> Shape {
        Shape {
            style: Some(style),
            ..self
        }
    }

    /// The name of its cached build: every field, and the contract.
    fn key(&self) -> String {
        let mut key = format!("{}-{}", self.customers, self.seed);
        if self.format != FileFormat::Csv {
            key.push_str(&format!("-{}", self.format.extension()));
        }
        if self.dirty {
            key.push_str("-dirty");
        }
        if let Some(style) = self.style {
            key.push_str(&format!("-{}", style.name()));
        }
        key
    }
}

/// A copy of the store generated with `customers` and `seed` (as_of 2026-06-30, clean CSV:
/// [`GenerateConfig::new`]'s defaults) and ingested, built once per contract.
pub fn generated_store(customers: usize, seed: u64) -> GeneratedStore {
    store(&[Shape::new(customers, seed)])
}

/// A copy of the store loaded from the generated files of `shapes`, one after the other,
/// built once per contract.
pub fn store(shapes: &[Shape]) -> GeneratedStore {
    let (source, store) = cached_store(shapes);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("store");
    copy_dir(&store, &root);
    GeneratedStore {
        dir,
        paths: StorePaths::new(root),
        source,
    }
}

/// The store of [`store`] for the fixture `fixture` that lives as long as the test process:
/// a copy of this process's own in the target folder (to change at will), made once per
/// fixture name. Copies left by processes that have ended are removed.
pub fn shared_store(fixture: &str, shapes: &[Shape]) -> StorePaths {
    let (_, cached) = cached_store(shapes);
    let shared = cache_root().join("shared");
    let name = cached.file_name().expect("a name").to_string_lossy();
    let own = shared.join(format!("{}-{fixture}-{name}", std::process::id()));
    let lock = lock_of(&own.to_string_lossy());
    let _one_at_a_time = lock.lock().unwrap_or_else(|e| e.into_inner());
    if !own.is_dir() {
        remove_stale(&shared);
        let building = building(&shared, &name);
        copy_dir(&cached, &building.path().join("store"));
        put_in_place(&building.path().join("store"), &own);
    }
    StorePaths::new(own)
}

/// A folder of this process's own in the target folder, for a fixture that lives as long
/// as the test process and builds its store from files of its own: the same folder for the
/// same name, made when missing. Folders of processes that have ended are removed.
pub fn process_dir(fixture: &str) -> PathBuf {
    let shared = cache_root().join("shared");
    let own = shared.join(format!("{}-{fixture}", std::process::id()));
    let lock = lock_of(&own.to_string_lossy());
    let _one_at_a_time = lock.lock().unwrap_or_else(|e| e.into_inner());
    if !own.is_dir() {
        remove_stale(&shared);
        std::fs::create_dir_all(&own).expect("create a fixture folder");
    }
    own
}

/// Removes the shared copies of processes that have ended (`/proc/PID` is gone).
fn remove_stale(shared: &Path) {
    let Ok(entries) = std::fs::read_dir(shared) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The generated files of [`generated_store`] (shared: read, never write).
pub fn generated_source(customers: usize, seed: u64) -> PathBuf {
    source(Shape::new(customers, seed))
}

/// The generated files of a shape (shared: read, never write; copy them to change them).
pub fn source(shape: Shape) -> PathBuf {
    let root = cache_root();
    let key = format!("{}-{CONTRACT}", shape.key());
    let source = root.join(format!("{key}.source"));
    let lock = lock_of(&key);
    let _one_at_a_time = lock.lock().unwrap_or_else(|e| e.into_inner());
    if !source.is_dir() {
        let building = building(&root, &key);
        let mut config = GenerateConfig::new(building.path().join("source"));
        config.customers = shape.customers;
        config.seed = shape.seed;
        config.format = shape.format;
        config.dirty = shape.dirty;
        match shape.style {
            Some(style) => kesou_datagen::export(&config, style).map(|_| ()),
            None => kesou_datagen::generate(&config, &|_| {}).map(|_| ()),
        }
        .expect("generate");
        put_in_place(&config.out, &source);
    }
    source
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

/// The cached build: the generated files of the first shape, and the store ingested from
/// those of every shape in turn (which names those files in its ingest runs, so they stay
/// where they were ingested from), built in a temporary folder and renamed into place when
/// missing.
fn cached_store(shapes: &[Shape]) -> (PathBuf, PathBuf) {
    assert!(
        !shapes.is_empty(),
        "a store is loaded from at least one shape"
    );
    let sources: Vec<PathBuf> = shapes.iter().map(|s| source(*s)).collect();
    let root = cache_root();
    let names: Vec<String> = shapes.iter().map(Shape::key).collect();
    let key = format!("{}-{CONTRACT}", names.join("+"));
    let store = root.join(format!("{key}.store"));
    let lock = lock_of(&format!("{key}.store"));
    let _one_at_a_time = lock.lock().unwrap_or_else(|e| e.into_inner());
    if !store.is_dir() {
        let building = building(&root, &key);
        let built = building.path().join("store");
        for (shape, source) in shapes.iter().zip(&sources) {
            let summary = kesou_indexer::ingest(
                &StorePaths::new(&built),
                std::slice::from_ref(source),
                &NoProgress,
            )
            .expect("ingest");
            if !shape.dirty {
                assert_eq!(summary.rejected(), 0, "generated data loads cleanly");
            }
            if shape.style.is_some() {
                assert_eq!(
                    summary.set_aside(),
                    0,
                    "{shape:?}: {:?}",
                    summary.rejects_file
                );
            }
        }
        put_in_place(&built, &store);
    }
    (sources[0].clone(), store)
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

    #[test]
    fn shapes_are_cached_apart_and_shared_copies_are_one_per_fixture() {
        let plain = source(Shape::new(30, 9));
        let jsonl = source(Shape::new(30, 9).format(FileFormat::Jsonl));
        let export = source(Shape::new(30, 9).style(ExportStyle::Kingdee));
        assert_ne!(plain, jsonl);
        assert_ne!(plain, export);
        assert!(jsonl.join("customers.jsonl").is_file());
        assert_eq!(source(Shape::new(30, 9)), plain, "built once");
        let a = shared_store("a", &[Shape::new(30, 9)]);
        assert_eq!(a.root, shared_store("a", &[Shape::new(30, 9)]).root);
        let b = shared_store("b", &[Shape::new(30, 9)]);
        assert_ne!(a.root, b.root, "each fixture has its own copy");
        assert!(
            b.root.starts_with(cache_root()),
            "kept in the target folder"
        );
        assert!(b.root.join("kesou.duckdb").is_file());
    }
}

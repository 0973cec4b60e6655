//! The generated store the unit tests of boards, profiles and suggestions share: 3,000
//! customers, seed 7, as_of 2026-06-30 (the same as the integration tests'), built once per
//! test binary. Tests that write copy it first.

use std::path::Path;
use std::sync::LazyLock;

use kesou_datagen::GenerateConfig;
use kesou_indexer::{NoProgress, StorePaths};

use crate::ask::Asker;

pub(crate) struct Store {
    _dir: tempfile::TempDir,
    pub paths: StorePaths,
}

pub(crate) const CUSTOMERS: usize = 3_000;

pub(crate) static STORE: LazyLock<Store> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("source");
    let mut config = GenerateConfig::new(source.clone());
    config.customers = CUSTOMERS;
    config.seed = 7;
    kesou_datagen::generate(&config, &|_| {}).expect("generate");
    let paths = StorePaths::new(dir.path().join("store"));
    let summary = kesou_indexer::ingest(&paths, &[source], &NoProgress).expect("ingest");
    assert_eq!(summary.rejected(), 0, "generated data loads cleanly");
    Store { _dir: dir, paths }
});

/// An asker on the shared store, read only.
pub(crate) fn asker() -> Asker {
    Asker::open(&STORE.paths, &NoProgress).expect("open the test store")
}

/// A copy of the shared store in its own folder, for tests that write.
pub(crate) fn copy() -> (tempfile::TempDir, StorePaths) {
    let dir = tempfile::tempdir().expect("temp dir");
    let to = dir.path().join("store");
    copy_dir(&STORE.paths.root, &to);
    (dir, StorePaths::new(to))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Rows of one column of a query, as strings, and whole rows' first two columns.
pub(crate) fn strings(asker: &Asker, sql: &str) -> Vec<String> {
    let mut stmt = asker.connection().prepare(sql).expect(sql);
    stmt.query_map([], |r| r.get::<_, String>(0))
        .expect(sql)
        .collect::<Result<_, _>>()
        .expect(sql)
}

/// One number from a query.
pub(crate) fn number(asker: &Asker, sql: &str) -> f64 {
    asker
        .connection()
        .query_row(sql, [], |r| r.get::<_, f64>(0))
        .expect(sql)
}

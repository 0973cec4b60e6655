//! The generated store the unit tests of boards, profiles and suggestions share: 3,000
//! customers, seed 7, as_of 2026-06-30 (the same as the integration tests'), from the test
//! kit's cache: one copy per test process, kept in the target folder. Tests that write copy
//! it first.

use std::sync::LazyLock;

use kesou_indexer::{NoProgress, StorePaths};
use kesou_testkit::{Shape, copy_dir};

use crate::ask::Asker;

pub(crate) struct Store {
    pub paths: StorePaths,
}

pub(crate) const CUSTOMERS: usize = 3_000;

pub(crate) static STORE: LazyLock<Store> = LazyLock::new(|| Store {
    paths: kesou_testkit::shared_store("query", &[Shape::new(CUSTOMERS, 7)]),
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

//! Helpers shared by the integration tests: fixture paths and stores built from them.

use std::path::{Path, PathBuf};

use kesou_indexer::{IngestSummary, NoProgress, StorePaths};

pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// A store in a fresh temporary folder, loaded from `inputs`.
pub fn ingest_into_temp(inputs: &[PathBuf]) -> (tempfile::TempDir, StorePaths, IngestSummary) {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = StorePaths::new(dir.path().join("store"));
    let summary = kesou_indexer::ingest(&paths, inputs, &NoProgress).expect("ingest");
    (dir, paths, summary)
}

/// Reads the rows of a query against a store's database.
pub fn strings(paths: &StorePaths, sql: &str) -> Vec<String> {
    let conn =
        kesou_indexer::store::open_db(paths, kesou_indexer::store::Open::Read).expect("open store");
    let mut stmt = conn.prepare(sql).expect("prepare");
    stmt.query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// Everything a user can read from a store, in a canonical order (generation stamps aside).
pub fn dump(paths: &StorePaths) -> String {
    let conn = kesou_indexer::store::open_db(paths, kesou_indexer::store::Open::Read).unwrap();
    let mut out = String::new();
    for (table, key) in [
        ("customers", "id"),
        ("orders", "id"),
        ("interactions", "id"),
        ("duplicate_names", "id"),
    ] {
        let sql = format!(
            "SELECT coalesce(string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY t.{key}), '') \
             FROM (SELECT * EXCLUDE (_gen) FROM {table}) t"
        )
        .replace(
            "EXCLUDE (_gen) FROM duplicate_names",
            "FROM duplicate_names",
        )
        .replace("EXCLUDE (_gen) FROM orders", "FROM orders")
        .replace("EXCLUDE (_gen) FROM interactions", "FROM interactions");
        let rows: String = conn.query_row(&sql, [], |r| r.get(0)).unwrap();
        out.push_str(&format!("## {table}\n{rows}\n"));
    }
    out
}

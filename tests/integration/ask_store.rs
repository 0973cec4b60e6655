//! Structured queries against a generated store (3,000 customers, seed 7, as_of 2026-06-30):
//! text terms through the index, the schema's dictionaries from the store. The store is
//! shared with `ask_cases`.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use kesou_datagen::GenerateConfig;
use kesou_indexer::{NoProgress, Reader, StorePaths};
use kesou_nlq::{Filter, Op, Query, Span, TextTerm, Value};
use kesou_query::Searcher;
use kesou_query::ask::{AskOptions, customer_schema, execute};

pub struct Store {
    _dir: tempfile::TempDir,
    pub paths: StorePaths,
}

pub const CUSTOMERS: usize = 3_000;

pub static STORE: LazyLock<Store> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("source");
    let mut config = GenerateConfig::new(source.clone());
    config.customers = CUSTOMERS;
    config.seed = 7;
    kesou_datagen::generate(&config, &|_| {}).expect("generate");
    assert_eq!(config.as_of.to_string(), "2026-06-30");
    let paths = StorePaths::new(dir.path().join("store"));
    let summary = kesou_indexer::ingest(&paths, &[source], &NoProgress).expect("ingest");
    assert_eq!(summary.rejected(), 0, "generated data loads cleanly");
    Store { _dir: dir, paths }
});

/// A reader of the shared store (connections are not shared between threads).
pub fn reader() -> Reader {
    kesou_indexer::open_for_reading(&STORE.paths, &NoProgress).expect("open store")
}

/// The first column of a query's rows.
pub fn column(conn: &duckdb::Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).expect(sql);
    stmt.query_map([], |r| r.get::<_, String>(0))
        .expect(sql)
        .collect::<Result<_, _>>()
        .expect(sql)
}

fn span(text: &str) -> Span {
    Span {
        start: 0,
        end: text.len(),
        text: text.to_owned(),
    }
}

#[test]
fn text_terms_match_what_search_finds_within_the_filters() {
    let reader = reader();
    let schema = customer_schema(&reader.conn).unwrap();
    let searcher = Searcher::new(reader.index.clone()).unwrap();
    let query = Query {
        table: "customers".into(),
        filters: vec![Filter::field(
            "region",
            Op::Eq,
            Value::Str("华东".into()),
            None,
        )],
        text: vec![TextTerm {
            text: "新能源".into(),
            span: span("新能源"),
        }],
        ..Query::default()
    };
    let answer = execute(
        &reader.conn,
        &schema,
        Some(&searcher),
        &query,
        &AskOptions::all(),
    )
    .unwrap();
    let found: BTreeSet<String> = answer
        .rows
        .iter()
        .map(|r| r[0].as_str().unwrap().to_owned())
        .collect();
    let matches = searcher.all_matches("新能源").unwrap();
    let east: BTreeSet<String> = column(
        &reader.conn,
        "SELECT id FROM customers WHERE region = '华东'",
    )
    .into_iter()
    .collect();
    let expected: BTreeSet<String> = matches
        .iter()
        .map(|(id, _)| id.clone())
        .filter(|id| east.contains(id))
        .collect();
    assert!(expected.len() > 5, "the sample has enough matches");
    assert_eq!(found, expected);
    assert_eq!(answer.total as usize, expected.len());
    assert_eq!(answer.ordered_by, "相关度 ↓");
    // the best match comes first
    let best = matches
        .iter()
        .filter(|(id, _)| east.contains(id))
        .map(|(_, s)| *s)
        .fold(f32::MIN, f32::max);
    let first = answer.rows[0][0].as_str().unwrap();
    let first_score = matches.iter().find(|(id, _)| id == first).unwrap().1;
    assert_eq!(first_score, best);
}

#[test]
fn every_search_match_is_found_not_only_a_page() {
    let reader = reader();
    let searcher = Searcher::new(reader.index.clone()).unwrap();
    let matches = searcher.all_matches("有限公司").unwrap();
    assert!(
        matches.len() > 1000,
        "more than the largest search page: {}",
        matches.len()
    );
    let unique: BTreeSet<&str> = matches.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(unique.len(), matches.len());
}

#[test]
fn the_schema_knows_the_stores_values() {
    let reader = reader();
    let schema = customer_schema(&reader.conn).unwrap();
    let values = |field: &kesou_nlq::Field| -> BTreeSet<String> {
        field.values.iter().map(|v| v.value.clone()).collect()
    };
    for (field, sql) in [
        (
            "province",
            "SELECT DISTINCT province FROM customers WHERE province IS NOT NULL",
        ),
        (
            "city",
            "SELECT DISTINCT city FROM customers WHERE city IS NOT NULL",
        ),
        (
            "owner",
            "SELECT DISTINCT owner FROM customers WHERE owner IS NOT NULL",
        ),
        ("tags", "SELECT DISTINCT unnest(tags) FROM customers"),
    ] {
        let known = values(schema.field(field).unwrap());
        for v in column(&reader.conn, sql) {
            assert!(known.contains(&v), "{field} {v} is in the schema");
        }
    }
    let products = values(schema.resolve("orders.product").unwrap());
    assert!(products.len() > 5);
    for v in column(
        &reader.conn,
        "SELECT DISTINCT product FROM orders WHERE product IS NOT NULL",
    ) {
        assert!(products.contains(&v), "product {v}");
    }
    let kinds = values(schema.resolve("interactions.kind").unwrap());
    assert!(kinds.contains("投诉"));
    assert!(
        !values(schema.field("region").unwrap()).contains(""),
        "no empty values"
    );
}

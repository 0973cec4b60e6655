//! Structured queries against a generated store (3,000 customers, seed 7, as_of 2026-06-30):
//! text terms through the index, the schema's dictionaries from the store. The store is
//! shared with `ask_cases`.

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use kesou_indexer::{NoProgress, Reader, StorePaths};
use kesou_nlq::{Filter, Op, Query, Span, TextTerm, Value};
use kesou_query::Searcher;
use kesou_query::ask::{Among, AskOptions, Asker, customer_schema, execute};
use serde_json::json;

pub struct Store {
    pub paths: StorePaths,
}

pub const CUSTOMERS: usize = 3_000;

pub static STORE: LazyLock<Store> = LazyLock::new(|| Store {
    paths: kesou_testkit::shared_store("ask_store", &[kesou_testkit::Shape::new(CUSTOMERS, 7)]),
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

/// A span covering a whole text, for hand-built queries.
pub fn span(text: &str) -> Span {
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

#[test]
fn answers_are_json_per_the_contract() {
    let asker = Asker::open(&STORE.paths, &NoProgress).unwrap();
    let a = asker
        .ask(
            "检索华东地区年采购额超百万的科技类客户",
            &AskOptions::default(),
        )
        .unwrap();
    let v = serde_json::to_value(&a).unwrap();
    for key in [
        "interpretation",
        "explain",
        "unrecognized",
        "alternatives",
        "columns",
        "rows",
        "total",
    ] {
        assert!(v.get(key).is_some(), "the answer has {key}: {v}");
    }
    assert_eq!(v["explain"], "大区=华东 · 年采购额>100万 · 行业=科技");
    let region = &v["interpretation"]["filters"][0];
    assert_eq!(region["field"], "region");
    assert_eq!(region["op"], "=");
    assert_eq!(region["value"], "华东");
    assert_eq!(region["span"]["text"], "华东地区");
    let question = "检索华东地区年采购额超百万的科技类客户";
    let (from, to) = (
        region["span"]["start"].as_u64().unwrap() as usize,
        region["span"]["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&question[from..to], "华东地区", "spans are byte ranges");
    assert_eq!(
        v["columns"][0],
        json!({"name": "id", "label": "客户编号", "kind": "id"})
    );
    assert_eq!(v["columns"][1]["name"], "name");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len() as u64, v["total"].as_u64().unwrap());
    assert!(rows.iter().all(|r| r[0].as_str().unwrap().starts_with('C')));

    // dates are YYYY-MM-DD strings, tags are arrays
    let a = asker
        .ask("2023年以后成立的活跃客户", &AskOptions::all())
        .unwrap();
    let col = |name: &str| a.table.columns.iter().position(|c| c.name == name);
    let founded = col("founded_date").expect("the date asked about is shown");
    let tags = col("tags").expect("the tag asked about is shown");
    assert!(a.table.rows.len() > 5);
    for r in &a.table.rows {
        let d = r[founded].as_str().unwrap();
        assert!(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok(),
            "{d}"
        );
        assert!(r[tags].as_array().unwrap().contains(&json!("活跃")));
    }
}

#[test]
fn nothing_understood_is_never_every_customer() {
    let asker = Asker::open(&STORE.paths, &NoProgress).unwrap();
    for q in ["今天", "hello", "？？", ""] {
        let err = asker.ask(q, &AskOptions::default()).unwrap_err();
        assert!(err.is_user_error(), "{q:?}: {err}");
    }
    let err = asker.ask("hello", &AskOptions::default()).unwrap_err();
    assert!(err.to_string().contains("「hello」"), "{err}");
    // asking for everyone is asking for something
    let a = asker.ask("所有客户", &AskOptions::default()).unwrap();
    assert_eq!(a.table.total as usize, CUSTOMERS);
    assert_eq!(a.table.rows.len(), 20, "a page, not every row");
}

#[test]
fn ranked_fields_order_by_meaning_not_by_characters() {
    let asker = Asker::open(&STORE.paths, &NoProgress).unwrap();
    let first_column = |q: &str| -> Vec<String> {
        let a = asker.ask(q, &AskOptions::default()).unwrap();
        a.table
            .rows
            .iter()
            .map(|r| r[0].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // Groups of a ranked field come in its order, whatever their counts.
    assert_eq!(
        first_column("按规模统计客户数"),
        ["大型", "中型", "小型", "微型"]
    );
    assert_eq!(first_column("按价值等级统计客户数"), ["高", "中", "低"]);
    assert_eq!(
        first_column("按生命周期统计客户数"),
        ["潜在", "意向", "成交", "忠诚", "流失"]
    );
    // A list ordered by a ranked field: by rank, not by character code (微 < 大 < 小 < 中).
    let options = AskOptions {
        all: true,
        sort: Some(kesou_nlq::Sort {
            field: "size".into(),
            descending: true,
            span: None,
        }),
        ..AskOptions::default()
    };
    let a = asker.ask("所有客户", &options).unwrap();
    let at = a
        .table
        .columns
        .iter()
        .position(|c| c.name == "size")
        .unwrap();
    let rank = |v: &serde_json::Value| ["大型", "中型", "小型", "微型"].iter().position(|s| v == s);
    let ranks: Vec<usize> = a.table.rows.iter().filter_map(|r| rank(&r[at])).collect();
    assert!(ranks.len() > CUSTOMERS / 2, "sizes are shown");
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "largest first");
    assert_eq!(ranks.first(), Some(&0));
}

/// Watches are asked again in one statement: every question's answer among some customers
/// is what asking it alone, restricted to them, answers (scopes and related records too).
#[test]
fn many_questions_in_one_statement_answer_as_each_alone() {
    let asker = Asker::open(&STORE.paths, &NoProgress).unwrap();
    let conn = &reader().conn;
    // Every third customer: the "changed" ones.
    let ids: Vec<String> = column(conn, "SELECT id FROM customers ORDER BY id")
        .into_iter()
        .step_by(3)
        .collect();
    let east = kesou_query::Scope::new([("region".to_owned(), vec!["华东".to_owned()])]).unwrap();
    let questions = [
        ("华东地区的科技类客户", None),
        ("年采购额超过50万的客户", None),
        ("近30天咨询≥5次且未成交的客户", None),
        ("投诉过的客户", None),
        ("制造业客户", Some(&east)),
        ("不是制造业的客户", Some(&east)),
        ("大型或中型客户", None),
    ];
    let parsed: Vec<Query> = questions.iter().map(|(q, _)| asker.parse(q)).collect();
    let batch: Vec<(&Query, Option<&kesou_query::Scope>)> = parsed
        .iter()
        .zip(&questions)
        .map(|(q, (_, s))| (q, *s))
        .collect();
    let together = asker.members_among(&batch, Among::Ids(&ids)).unwrap();
    let mut nonempty = 0;
    for ((query, scope), got) in batch.iter().zip(&together) {
        let mut alone = (*query).clone();
        alone.filters.push(Filter::field(
            "id",
            Op::In,
            Value::List(ids.iter().map(|i| Value::Str(i.clone())).collect()),
            None,
        ));
        let options = AskOptions {
            all: true,
            page_size: Some(kesou_query::MAX_ROWS),
            scope: scope.cloned(),
            ..AskOptions::default()
        };
        let answer = asker.run(&alone, &options).unwrap();
        let want: BTreeSet<String> = answer
            .table
            .rows
            .iter()
            .map(|r| r[0].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            got.iter().cloned().collect::<BTreeSet<_>>(),
            want,
            "{query:?}"
        );
        nonempty += usize::from(!want.is_empty());
    }
    assert!(nonempty >= 6, "the questions find customers");
    // Questions that are not decided row by row are refused, not answered wrongly.
    let top = asker.parse("采购额最高的10个客户");
    assert!(
        asker
            .members_among(&[(&top, None)], Among::Ids(&ids))
            .is_err()
    );
    let words = asker.parse("做新能源电池的");
    assert!(
        asker
            .members_among(&[(&words, None)], Among::Ids(&ids))
            .is_err()
    );
    // By generation: every customer was stamped after generation 0.
    let every = asker.members_among(&batch, Among::ChangedSince(0)).unwrap();
    let all_ids: Vec<String> = column(conn, "SELECT id FROM customers");
    let by_ids = asker.members_among(&batch, Among::Ids(&all_ids)).unwrap();
    assert_eq!(every, by_ids);
    assert!(every.iter().any(|s| !s.is_empty()));
    let none = asker
        .members_among(&batch, Among::ChangedSince(i64::MAX))
        .unwrap();
    assert!(none.iter().all(HashSet::is_empty));
}

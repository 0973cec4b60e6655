//! Related-record questions read from the monthly rollups (indexer/src/rollup.rs,
//! query/src/ask/sql/rollup.rs) give exactly the answers the raw orders and interactions
//! give: for every window of the glossary, on random stores (random orders and
//! interactions, some moved between customers, some customers deleted) and after each of
//! several change batches, at several `as_of` days (a month's end, its middle, a year's
//! first day). The same for measures of related rows per group and rankings by them.

use chrono::{Days, NaiveDate};
use kesou_indexer::{Changes, NoProgress, Store};
use kesou_query::ask::{AskOptions, Asker, customer_schema};
use proptest::prelude::*;

use crate::common;

/// Every time phrase of the glossary (DOMAIN.md), and none.
const WINDOWS: &[&str] = &[
    "",
    "近7天",
    "近30天",
    "近90天",
    "最近一周",
    "近一个月",
    "最近三个月",
    "半年内",
    "近一年",
    "今年",
    "本季度",
    "本月",
    "去年",
    "上季度",
    "上个月",
    "2025年以后",
    "2025年以前",
    "2025年3月",
];

/// The related conditions: existence, absence, counts, sums; with and without a kind.
const FORMS: &[&str] = &[
    "{w}下过单的客户",
    "{w}没有下过单的客户",
    "{w}有投诉的客户",
    "{w}咨询≥2次的客户",
    "{w}下单超过1次的客户",
    "{w}订单金额合计超过30万的客户",
    "{w}订单金额合计不到10万的客户",
    "{w}没有咨询过的客户",
];

/// Measures of related rows per group and rankings by them: counts and sums.
const MEASURES: &[&str] = &[
    "各省份{w}订单总金额",
    "按行业统计{w}订单数",
    "{w}投诉最多的5个客户",
    "{w}订单金额最高的5个客户",
    "各行业{w}拜访次数",
];

const AS_OF: &[&str] = &["2026-06-30", "2026-06-15", "2026-01-01", "2025-12-31"];

const KINDS: &[&str] = &["咨询", "拜访", "投诉", "报修", "回访"];

#[derive(Debug, Clone)]
struct Event {
    order: bool,
    /// Ids repeat: a later event with the same id moves the row (to another customer, day).
    id: u8,
    customer: u8,
    day: u16,
    kind: u8,
    amount: u32,
}

fn event() -> impl Strategy<Value = Event> {
    (
        any::<bool>(),
        0u8..40,
        1u8..21,
        0u16..900,
        0u8..5,
        1u32..400_000,
    )
        .prop_map(|(order, id, customer, day, kind, amount)| Event {
            order,
            id,
            customer,
            day,
            kind,
            amount,
        })
}

fn line(e: &Event) -> String {
    let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Days::new(u64::from(e.day));
    let customer = format!("S{:03}", e.customer);
    if e.order {
        format!(
            r#"{{"op":"upsert","table":"orders","row":{{"id":"RO{}","customer_id":"{customer}","order_date":"{day}","amount":{}.{:02}}}}}"#,
            e.id,
            e.amount,
            e.amount % 100
        )
    } else {
        format!(
            r#"{{"op":"upsert","table":"interactions","row":{{"id":"RI{}","customer_id":"{customer}","ts":"{day} 23:59:59","channel":"电话","kind":"{}"}}}}"#,
            e.id, KINDS[e.kind as usize]
        )
    }
}

/// Rows of an answer, in a canonical order, and its total.
fn rows(asker: &Asker, question: &str) -> (String, u64) {
    let a = asker
        .ask(question, &AskOptions::all())
        .unwrap_or_else(|e| panic!("「{question}」: {e}"));
    let text = serde_json::to_string(&a.interpretation).unwrap();
    assert!(
        text.contains("\"related\""),
        "「{question}」 is not a related condition: {text}"
    );
    let mut rows: Vec<String> = a
        .table
        .rows
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    rows.sort();
    (rows.join("\n"), a.table.total)
}

/// Every question at every window, through the rollups and through the rows, at `as_of`.
fn same_answers(store: &Store, as_of: &str) -> std::result::Result<(), TestCaseError> {
    let with = customer_schema(&store.reader().unwrap().conn).unwrap();
    prop_assert!(
        with.related.iter().all(|r| r.rollup.is_some()),
        "the rollups describe the store after every write"
    );
    let mut without = with.clone();
    for r in &mut without.related {
        r.rollup = None;
    }
    let as_of = NaiveDate::parse_from_str(as_of, "%Y-%m-%d").unwrap();
    let rolled = Asker::new(store.reader().unwrap().conn, with, None, as_of).unwrap();
    let raw = Asker::new(store.reader().unwrap().conn, without, None, as_of).unwrap();
    for w in WINDOWS {
        for form in FORMS.iter().chain(MEASURES) {
            let q = form.replace("{w}", w);
            prop_assert_eq!(rows(&rolled, &q), rows(&raw, &q), "「{}」 at {}", q, as_of);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, ..ProptestConfig::default() })]

    #[test]
    fn rollup_answers_equal_raw_event_answers(
        batches in prop::collection::vec(prop::collection::vec(event(), 1..40), 1..3),
        deleted in prop::collection::vec(1u8..21, 0..3),
        day in 0..AS_OF.len(),
    ) {
        let (_dir, paths, _) = common::ingest_into_temp(&[common::data("search")]);
        let store = Store::open(&paths).unwrap();
        // Batches after the deletes leave the deleted customers alone (their rows would be
        // rejected: the customer is not in the store).
        let mut texts: Vec<String> = batches
            .iter()
            .enumerate()
            .map(|(i, b)| {
                b.iter()
                    .filter(|e| i == 0 || !deleted.contains(&e.customer))
                    .map(|e| line(e) + "\n")
                    .collect()
            })
            .collect();
        // Deletes in a batch of their own (a batch rejects rows of a customer it deletes).
        if !deleted.is_empty() {
            texts.insert(
                1,
                deleted.iter().map(|c| format!("{{\"op\":\"delete\",\"id\":\"S{c:03}\"}}\n")).collect(),
            );
        }
        same_answers(&store, AS_OF[day])?;
        for (i, text) in texts.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
            let changes = Changes::parse(text.as_bytes()).unwrap();
            let s = store.apply(&changes, &NoProgress).unwrap();
            prop_assert!(s.rejected.is_empty(), "{:?}", s.rejected);
            same_answers(&store, AS_OF[(day + i + 1) % AS_OF.len()])?;
        }
    }
}

/// A store whose rollups do not describe it (made before them, or written by an older
/// kesou) is asked through the rows, and its next write rebuilds the rollups, which an
/// asker renewed after it reads.
#[test]
fn stale_rollups_are_not_read_and_the_next_write_rebuilds_them() {
    let (_dir, paths, _) = common::ingest_into_temp(&[common::data("search")]);
    let question = "去年下过单的客户";
    let before = {
        let store = Store::open(&paths).unwrap();
        let asker = Asker::on_store(&store).unwrap();
        assert!(asker.schema().related.iter().all(|r| r.rollup.is_some()));
        let a = asker.ask(question, &AskOptions::all()).unwrap();
        // An older kesou's write: an order moved by hand, the rollups not told.
        let conn = store.reader().unwrap().conn;
        conn.execute_batch(
            "UPDATE orders SET order_date = DATE '2025-05-05' WHERE id = 'SO0001';
             UPDATE meta SET value = '999' WHERE key = 'rollups_generation';",
        )
        .unwrap();
        a.table.total
    };
    let store = Store::open(&paths).unwrap();
    let asker = Asker::on_store(&store).unwrap();
    assert!(asker.schema().related.iter().all(|r| r.rollup.is_none()));
    let raw = asker.ask(question, &AskOptions::all()).unwrap().table.total;
    assert_eq!(raw, before + 1, "S002's order now falls in last year");
    let changes = Changes::parse(
        r#"{"op":"upsert","table":"interactions","row":{"id":"X1","customer_id":"S001","ts":"2026-06-01 09:00:00","kind":"咨询"}}"#
            .as_bytes(),
    )
    .unwrap();
    store.apply(&changes, &NoProgress).unwrap();
    // An asker kept from before the write (a server's) reads them from its next reader on.
    let asker = asker.renewed(store.reader().unwrap()).unwrap();
    assert!(asker.schema().related.iter().all(|r| r.rollup.is_some()));
    assert_eq!(
        asker.ask(question, &AskOptions::all()).unwrap().table.total,
        raw
    );
}

//! A store kept open (`Store`) and change batches as the HTTP server uses them: readers
//! made after a write see it, older readers keep working; NDJSON lines apply or are
//! rejected with their line and reason; a change stamps exactly the customers whose values
//! changed, and derives what a full derivation derives.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use kesou_indexer::{ChangeSummary, Changes, NoProgress, Store};
use kesou_query::{SearchRequest, Searcher};

/// A store of its own for one test (1,500 customers, seed 11), and the generated source's
/// meta file.
fn fresh() -> (tempfile::TempDir, Store, PathBuf) {
    let generated = kesou_testkit::generated_store(1500, 11);
    let store = Store::open(&generated.paths).expect("open");
    (generated.dir, store, generated.source.join("meta.csv"))
}

fn strings(store: &Store, sql: &str) -> Vec<String> {
    let conn = store.reader().unwrap().conn;
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn one(store: &Store, sql: &str) -> String {
    strings(store, sql).pop().unwrap_or_default()
}

fn apply(store: &Store, lines: &str) -> ChangeSummary {
    store
        .apply(
            &Changes::parse(lines.as_bytes()).expect("a batch"),
            &NoProgress,
        )
        .expect("apply")
}

fn search(store: &Store, text: &str) -> Vec<String> {
    search_top(store, text, 20)
}

fn search_top(store: &Store, text: &str, limit: usize) -> Vec<String> {
    let searcher = Searcher::new(store.reader().unwrap().index).unwrap();
    let r = searcher
        .search(&SearchRequest {
            text: text.into(),
            limit,
            ..Default::default()
        })
        .unwrap();
    r.hits.into_iter().map(|h| h.id).collect()
}

/// A valid credit code that no generated customer has.
fn code(n: u32) -> String {
    let body = format!("9133010{n:010}");
    let check = kesou_domain::credit_code::check_char(body.as_bytes()).unwrap();
    format!("{body}{}", check as char)
}

fn customer_line(id: &str, name: &str, code: &str) -> String {
    format!(
        r#"{{"op":"upsert","table":"customers","row":{{"id":"{id}","name":"{name}","credit_code":"{code}","province":"浙江","city":"杭州","industry":"科技","description":"{name}的简介"}}}}"#
    )
}

fn order_line(id: &str, customer: &str, date: &str, amount: f64) -> String {
    format!(
        r#"{{"op":"upsert","table":"orders","row":{{"id":"{id}","customer_id":"{customer}","order_date":"{date}","amount":{amount}}}}}"#
    )
}

#[test]
fn a_reader_made_after_a_write_sees_it_and_an_older_reader_keeps_working() {
    let (_dir, store, _) = fresh();
    let before: i64 = one(&store, "SELECT count(*)::VARCHAR FROM customers")
        .parse()
        .unwrap();
    let old = store.reader().unwrap();
    let old_searcher = Searcher::new(old.index.clone()).unwrap();
    // A transaction open across the write keeps its snapshot (DuckDB MVCC).
    old.conn.execute_batch("BEGIN TRANSACTION").unwrap();
    let count = |conn: &duckdb::Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(&old.conn), before);

    let s = apply(
        &store,
        &customer_line("N001", "杭州量子测绘科技有限公司", &code(1)),
    );
    assert_eq!((s.read, s.applied), (1, 1), "{:?}", s.rejected);
    assert_eq!(s.generation, old.generation + 1);

    assert_eq!(
        count(&old.conn),
        before,
        "the open transaction still sees its snapshot"
    );
    old.conn.execute_batch("COMMIT").unwrap();
    assert_eq!(
        count(&old.conn),
        before + 1,
        "its next query sees the write"
    );
    old_searcher
        .search(&SearchRequest {
            text: "测绘".into(),
            limit: 5,
            ..Default::default()
        })
        .expect("an older reader's index still answers");

    let new = store.reader().unwrap();
    assert_eq!(new.generation, s.generation);
    assert_eq!(count(&new.conn), before + 1);
    assert_eq!(search(&store, "量子测绘"), ["N001"]);
}

#[test]
fn change_lines_apply_or_are_rejected_with_their_line_and_reason() {
    let (_dir, store, _) = fresh();
    // A buyer with interactions to delete, and one to upsert and then delete.
    let gone = one(
        &store,
        "SELECT id FROM customers WHERE order_count > 0 AND id IN (SELECT customer_id FROM interactions) ORDER BY id LIMIT 1",
    );
    let later = one(&store, "SELECT id FROM customers ORDER BY id DESC LIMIT 1");
    let lines = [
        customer_line("N001", "杭州恒星测绘科技有限公司", &code(1)),
        r#"{"op":"upsert","table":"customers","row":{"id":"N002""#.to_owned(),
        r#"{"op":"merge","table":"customers","row":{}}"#.to_owned(),
        r#"{"op":"upsert","table":"products","row":{"id":"P1"}}"#.to_owned(),
        customer_line("N003", "杭州短码科技有限公司", "91330100MA2"),
        order_line("NO1", "N001", "2026-06-01", 12000.5),
        order_line("NO2", "NOBODY", "2026-06-01", 100.0),
        format!(r#"{{"op":"delete","id":"{gone}"}}"#),
        r#"{"op":"delete","id":"NOPE"}"#.to_owned(),
        r#"{"op":"upsert","table":"customers","row":{"id":"N004","name":"杭州缺列有限公司"}}"#.to_owned(),
        String::new(),
        customer_line(&later, "杭州稍后删除有限公司", &code(2)),
        format!(r#"{{"op":"delete","id":"{later}"}}"#),
        r#"{"op":"upsert","table":"customers","row":{"id":"N005","name":"杭州多列科技有限公司","credit_code":"CODE5","province":"浙江省","industry":"科技","lifecycle":"忠诚"}}"#
            .replace("CODE5", &code(5)),
        r#"{"op":"upsert","table":"orders","row":{"id":"NO3","customer_id":"N005","order_date":"2026-06-31","amount":5}}"#.to_owned(),
    ];
    let s = apply(&store, &lines.join("\n"));
    let rejected: Vec<(u64, &str, &str)> = s
        .rejected
        .iter()
        .map(|r| (r.line, r.column.as_str(), r.reason.as_str()))
        .collect();
    let expect: &[(u64, &str, &str)] = &[
        (2, "", "line is not valid JSON"),
        (3, "op", "is not an operation; expected upsert or delete"),
        (4, "table", "is not a table changes can upsert"),
        (5, "credit_code", "has 11 characters, expected 18"),
        (7, "customer_id", "no such customer"),
        (9, "id", "no such customer in the store"),
        (
            10,
            "credit_code, province, industry",
            "lacks the required column(s)",
        ),
        (12, "id", "is deleted by line 13 of this batch"),
        (15, "order_date", "is not a date"),
    ];
    assert_eq!(rejected.len(), expect.len(), "{rejected:#?}");
    for ((line, column, reason), got) in expect.iter().zip(&rejected) {
        assert_eq!((got.0, got.1), (*line, *column), "{got:?}");
        assert!(
            got.2.contains(reason),
            "line {line}: {:?} lacks {reason:?}",
            got.2
        );
    }
    assert_eq!(s.read, 14, "blank lines are not lines");
    assert_eq!(s.applied + s.rejected.len() as u64, s.read);
    assert_eq!(
        (s.customers_upserted, s.orders_upserted, s.deleted.clone()),
        (2, 1, vec![gone.clone(), later.clone()])
    );
    assert_eq!(s.ignored_columns, ["customers.lifecycle"]);
    assert!(s.rejects_file.as_ref().is_some_and(|p| p.exists()));
    // Applied as file rows are: normalised, derived, indexed.
    assert_eq!(
        one(
            &store,
            "SELECT province || city || ' ' || lifecycle || ' ' || annual_purchase::VARCHAR FROM customers WHERE id = 'N001'"
        ),
        "浙江省杭州市 成交 12000.5"
    );
    assert!(
        s.normalisations
            .iter()
            .any(|n| n.line == 1 && n.rule == "short form to full name")
    );
    for table in ["customers", "orders", "interactions"] {
        let col = if table == "customers" {
            "id"
        } else {
            "customer_id"
        };
        assert_eq!(
            one(
                &store,
                &format!(
                    "SELECT count(*)::VARCHAR FROM {table} WHERE {col} IN ('{gone}', '{later}')"
                )
            ),
            "0",
            "{table}"
        );
    }
    assert_eq!(search(&store, "恒星测绘"), ["N001"]);
}

#[test]
fn change_rows_follow_the_credit_code_identity_rules() {
    let (_dir, store, _) = fresh();
    let (id, code_a) = {
        let row = one(
            &store,
            "SELECT id || ' ' || credit_code FROM customers ORDER BY id LIMIT 1",
        );
        let (a, b) = row.split_once(' ').unwrap();
        (a.to_owned(), b.to_owned())
    };
    // Full-width, lower-case: the same code once normalised.
    let written: String = code_a
        .to_ascii_lowercase()
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    let lines = [
        customer_line("N001", "杭州冒名科技有限公司", &written),
        customer_line(&id, "杭州换码科技有限公司", &code(7)),
        customer_line(&id, "杭州原码科技有限公司", &written),
        customer_line("N002", "杭州同码甲有限公司", &code(8)),
        customer_line("N003", "杭州同码乙有限公司", &code(8)),
    ];
    let s = apply(&store, &lines.join("\n"));
    let rejected: Vec<(u64, &str)> = s
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(rejected.len(), 3, "{rejected:#?}");
    assert_eq!(rejected[0].0, 1);
    assert!(
        rejected[0]
            .1
            .contains(&format!("already belongs to customer {id}"))
    );
    assert_eq!(rejected[1].0, 2);
    assert!(rejected[1].1.contains("a customer's code cannot change"));
    assert_eq!(rejected[2].0, 5);
    assert!(rejected[2].1.contains("already belongs to customer N002"));
    assert_eq!(
        one(
            &store,
            &format!("SELECT name || ' ' || credit_code FROM customers WHERE id = '{id}'")
        ),
        format!("杭州原码科技有限公司 {code_a}"),
        "the same code, however written, updates the customer"
    );
    // A code is free again once its customer is deleted, in the same batch.
    let lines = [
        customer_line("N009", "杭州接手科技有限公司", &code_a),
        format!(r#"{{"op":"delete","id":"{id}"}}"#),
    ];
    let s = apply(&store, &lines.join("\n"));
    assert_eq!(s.rejected.len(), 1, "the upsert comes before the delete");
    assert!(
        s.rejected[0]
            .reason
            .contains(&format!("belongs to customer {id}, deleted by line 2")),
        "{:?}",
        s.rejected
    );
    let s = apply(
        &store,
        &[
            r#"{"op":"delete","id":"N002"}"#.to_owned(),
            customer_line("N010", "杭州接手科技有限公司", &code(8)),
        ]
        .join("\n"),
    );
    assert!(s.rejected.is_empty(), "{:?}", s.rejected);
    assert_eq!(
        one(
            &store,
            &format!("SELECT id FROM customers WHERE credit_code = '{}'", code(8))
        ),
        "N010"
    );
}

#[test]
fn a_batch_that_cannot_be_taken_is_a_user_error_and_nothing_applied_keeps_the_generation() {
    let (_dir, store, _) = fresh();
    let generation = store.generation().unwrap();
    for bytes in [
        b"\n  \n".to_vec(),
        vec![b' '; kesou_indexer::MAX_CHANGE_BYTES + 1],
    ] {
        let e = Changes::parse(&bytes).unwrap_err();
        assert!(e.is_user_error(), "{e}");
    }
    let s = apply(&store, "{\"op\":\"delete\",\"id\":\"NOPE\"}\nnot json\n");
    assert_eq!((s.read, s.applied, s.rejected.len()), (2, 0, 2));
    assert_eq!(s.generation, generation);
    assert_eq!(store.generation().unwrap(), generation);
}

/// Every customer's stored columns but the stamp, by id: (the indexed ones, all of them).
fn rows(store: &Store) -> BTreeMap<String, (String, String)> {
    strings(
        store,
        "SELECT id || chr(31) || CAST(i AS VARCHAR) || chr(31) || CAST(c AS VARCHAR)
         FROM (SELECT * EXCLUDE (_gen) FROM customers) c
         JOIN (SELECT * EXCLUDE (_gen, r_score, f_score, m_score, rfm_segment) FROM customers) i USING (id)",
    )
    .into_iter()
    .map(|r| {
        let mut parts = r.split('\u{1f}');
        let id = parts.next().unwrap().to_owned();
        let indexed = parts.next().unwrap().to_owned();
        (id, (indexed, parts.next().unwrap().to_owned()))
    })
    .collect()
}

/// The stamps of `s` are exactly the customers whose values changed, plus those touched.
fn check_stamps(
    store: &Store,
    before: &BTreeMap<String, (String, String)>,
    s: &ChangeSummary,
    touched: &[&str],
) -> BTreeSet<String> {
    let after = rows(store);
    let stamped: BTreeSet<String> = strings(
        store,
        &format!("SELECT id FROM customers WHERE _gen = {}", s.generation),
    )
    .into_iter()
    .collect();
    // RFM scores are not indexed: they may change without a stamp.
    let mut changed: BTreeSet<String> = after
        .iter()
        .filter(|(id, row)| before.get(*id).map(|b| &b.0) != Some(&row.0))
        .map(|(id, _)| id.clone())
        .collect();
    changed.extend(touched.iter().map(|t| t.to_string()));
    changed.retain(|id| after.contains_key(id));
    assert_eq!(stamped, changed, "stamped vs changed");
    assert_eq!(s.customers_changed, stamped.len());
    assert_eq!(s.index.indexed, stamped.len());
    stamped
}

#[test]
fn a_change_stamps_exactly_the_customers_whose_values_changed() {
    let (_dir, store, meta) = fresh();
    let first = one(
        &store,
        "SELECT id FROM customers WHERE order_count > 0 ORDER BY id LIMIT 1",
    );
    let row = one(
        &store,
        &format!(
            "SELECT concat_ws(chr(31), id, name, credit_code, province, industry, description) \
             FROM customers WHERE id = '{first}'"
        ),
    );
    let f: Vec<&str> = row.split('\u{1f}').collect();
    let row = serde_json::json!({
        "id": f[0], "name": f[1], "credit_code": f[2], "province": f[3], "industry": f[4],
        "description": format!("{}（更新）", f[5]),
    });
    let before = rows(&store);
    let s = apply(
        &store,
        &format!(r#"{{"op":"upsert","table":"customers","row":{row}}}"#),
    );
    let stamped = check_stamps(&store, &before, &s, &[&first]);
    assert_eq!(
        stamped,
        BTreeSet::from([first.clone()]),
        "one row, one customer"
    );

    // A larger order moves the customer up among buyers: the customers whose class moved
    // with it are stamped too, and no one else.
    let low = one(
        &store,
        "SELECT id FROM customers WHERE value_level = '低' AND order_count > 0 ORDER BY id LIMIT 1",
    );
    let before = rows(&store);
    let s = apply(&store, &order_line("NO1", &low, "2026-06-20", 50_000_000.0));
    let stamped = check_stamps(&store, &before, &s, &[&low]);
    assert!(stamped.len() > 1, "the 高 boundary moved: {stamped:?}");
    assert_eq!(
        one(
            &store,
            &format!("SELECT value_level FROM customers WHERE id = '{low}'")
        ),
        "高"
    );

    // And a full derivation afterwards finds nothing more to change.
    let dump = rows(&store);
    let full = store.ingest(&[meta], &NoProgress).unwrap();
    assert_eq!(full.customers_changed, 0);
    assert_eq!(rows(&store), dump, "RFM included");
}

#[test]
fn change_batches_derive_what_a_full_derivation_derives() {
    let (_dir, store, meta) = fresh();
    let ids = |sql: &str| strings(&store, sql);
    let buyers = ids("SELECT id FROM customers WHERE order_count > 0 ORDER BY id");
    let sleepers = ids("SELECT id FROM customers WHERE order_count = 0 ORDER BY id");
    let an_order = one(
        &store,
        &format!(
            "SELECT id FROM orders WHERE customer_id = '{}' ORDER BY id LIMIT 1",
            buyers[3]
        ),
    );
    let mut batches: Vec<String> = Vec::new();
    // New buyers, enough to move every boundary.
    batches.push(
        (0..40)
            .flat_map(|n| {
                let id = format!("N{n:03}");
                [
                    customer_line(&id, &format!("杭州新增{n}号科技有限公司"), &code(100 + n)),
                    order_line(
                        &format!("NO{n}"),
                        &id,
                        "2026-06-0{}",
                        1000.0 * f64::from(n + 1),
                    )
                    .replace("0{}", &format!("{:02}", n % 28 + 1)),
                ]
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    // First orders for customers who had none, an order moving to another customer,
    // consultations that make a lead hot (高意向待转化), amounts up and down.
    let mut lines = vec![
        order_line("NO100", &sleepers[0], "2026-06-29", 8_000_000.0),
        order_line("NO101", &sleepers[1], "2026-01-02", 3.5),
        format!(
            r#"{{"op":"upsert","table":"orders","row":{{"id":"{an_order}","customer_id":"{}","order_date":"2026-05-05","amount":777.77}}}}"#,
            buyers[10]
        ),
    ];
    for k in 0..6 {
        lines.push(format!(
            r#"{{"op":"upsert","table":"interactions","row":{{"id":"NI{k}","customer_id":"{}","ts":"2026-06-2{k} 10:00:00","channel":"电话","kind":"咨询","note":"询价"}}}}"#,
            sleepers[2]
        ));
    }
    for (k, b) in buyers.iter().skip(20).take(15).enumerate() {
        let amount = if k % 2 == 0 { 9_999_999.99 } else { 0.01 };
        lines.push(order_line(&format!("NO2{k:02}"), b, "2026-06-15", amount));
    }
    batches.push(lines.join("\n"));
    // Deletes of buyers, new and old.
    batches.push(
        ["N000", "N039", &buyers[0], &buyers[50]]
            .map(|id| format!(r#"{{"op":"delete","id":"{id}"}}"#))
            .join("\n"),
    );
    for batch in &batches {
        let before = rows(&store);
        let s = apply(&store, batch);
        assert!(s.rejected.is_empty(), "{:?}", s.rejected);
        check_stamps(&store, &before, &s, &[]);
        let dump = rows(&store);
        let full = store
            .ingest(std::slice::from_ref(&meta), &NoProgress)
            .unwrap();
        assert_eq!(full.customers_changed, 0, "after {} lines", s.read);
        assert_eq!(rows(&store), dump, "RFM included, after {} lines", s.read);
    }
    assert_eq!(
        one(
            &store,
            &format!(
                "SELECT list_contains(tags, '高意向待转化')::VARCHAR FROM customers WHERE id = '{}'",
                sleepers[2]
            )
        ),
        "true"
    );
    // Deleting through the store derives the same way.
    let before = rows(&store);
    let d = store.delete(&[buyers[5].clone()], &NoProgress).unwrap();
    assert_eq!(d.deleted, [buyers[5].clone()]);
    let dump = rows(&store);
    assert!(dump.len() < before.len());
    assert_eq!(
        store
            .ingest(&[meta], &NoProgress)
            .unwrap()
            .customers_changed,
        0
    );
    assert_eq!(rows(&store), dump);
}

#[test]
fn derived_sums_are_the_same_every_time() {
    let (_dir, store, meta) = fresh();
    for _ in 0..2 {
        let s = store
            .ingest(std::slice::from_ref(&meta), &NoProgress)
            .unwrap();
        assert_eq!(s.customers_changed, 0, "a full derivation of the same data");
    }
}

#[test]
fn readers_on_other_threads_answer_while_batches_are_written() {
    let (_dir, store, _) = fresh();
    let store = std::sync::Arc::new(store);
    let before: i64 = one(&store, "SELECT count(*)::VARCHAR FROM customers")
        .parse()
        .unwrap();
    let writer = {
        let store = std::sync::Arc::clone(&store);
        std::thread::spawn(move || {
            for n in 0..5 {
                let s = apply(
                    &store,
                    &customer_line(
                        &format!("T{n}"),
                        &format!("杭州并发{n}号科技有限公司"),
                        &code(200 + n),
                    ),
                );
                assert_eq!(s.applied, 1, "{:?}", s.rejected);
            }
        })
    };
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let store = std::sync::Arc::clone(&store);
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                for _ in 0..10 {
                    let r = store.reader().unwrap();
                    let n: i64 = r
                        .conn
                        .query_row("SELECT count(*) FROM customers", [], |row| row.get(0))
                        .unwrap();
                    seen.push((r.generation, n));
                }
                seen
            })
        })
        .collect();
    writer.join().unwrap();
    for r in readers {
        let seen = r.join().unwrap();
        for w in seen.windows(2) {
            assert!(w[0].1 <= w[1].1, "a later reader never sees less: {seen:?}");
        }
        assert!(seen.iter().all(|(_, n)| (before..=before + 5).contains(n)));
    }
    assert_eq!(
        one(&store, "SELECT count(*)::VARCHAR FROM customers"),
        (before + 5).to_string()
    );
    assert_eq!(search(&store, "并发").len(), 5);
}

#[test]
fn a_customer_row_s_other_keys_are_its_own_fields() {
    let (_dir, store, _) = fresh();
    let row = |id: &str, name: &str, n: u32, own: &str| {
        format!(
            r#"{{"op":"upsert","table":"customers","row":{{"id":"{id}","name":"{name}","credit_code":"{}","province":"浙江","industry":"科技",{own}}}}}"#,
            code(n)
        )
    };
    let lines = [
        row(
            "N010",
            "杭州展来科技有限公司",
            10,
            r#""客户来源":"进博会","合同到期日":"2027-03-31","信用额度(万元)":"150""#,
        ),
        row(
            "N012",
            "杭州官网科技有限公司",
            12,
            r#""客户来源":"官网","合同到期日":"2026/12/1","lifecycle":"忠诚""#,
        ),
    ];
    let s = apply(&store, &lines.join("\n"));
    assert!(s.rejected.is_empty(), "{:?}", s.rejected);
    assert_eq!(
        s.custom_fields,
        ["信用额度(万元)", "合同到期日", "客户来源"]
    );
    assert_eq!(
        s.ignored_columns,
        ["customers.lifecycle"],
        "derived, not a field"
    );
    let values = |id: &str| {
        strings(
            &store,
            &format!(
                "SELECT field || '=' || coalesce(CAST(number AS VARCHAR), CAST(day AS VARCHAR), text) \
                 FROM custom_values WHERE id = '{id}' ORDER BY field"
            ),
        )
    };
    let kinds = strings(
        &store,
        "SELECT name || ':' || kind FROM custom_fields ORDER BY name",
    );
    assert_eq!(
        kinds,
        [
            "信用额度(万元):money",
            "合同到期日:date",
            "客户来源:category"
        ]
    );
    // Typed as an ingest types a file's columns: 万元 in yuan, dates as days.
    assert_eq!(
        values("N010"),
        [
            "信用额度(万元)=1500000.0",
            "合同到期日=2027-03-31",
            "客户来源=进博会"
        ]
    );
    assert_eq!(values("N012"), ["合同到期日=2026-12-01", "客户来源=官网"]);
    // Indexed at once: the text is searched.
    let found = search_top(&store, "进博会", 2000);
    assert!(found.contains(&"N010".to_owned()), "{found:?}");

    // A later batch names a field by its column too, keeps its type, and clears a value
    // sent empty; a value not of its field's type rejects its line, with key and value.
    let s = apply(
        &store,
        &[
            row(
                "N010",
                "杭州展来科技有限公司",
                10,
                r#""客户来源":"","信用额度_万元":"200""#,
            ),
            row(
                "N012",
                "杭州官网科技有限公司",
                12,
                r#""合同到期日":"2027-01-31""#,
            ),
            row(
                "N013",
                "杭州多多科技有限公司",
                13,
                r#""信用额度(万元)":"很多""#,
            ),
            row(
                "N014",
                "杭州日错科技有限公司",
                14,
                r#""合同到期日":"下个月""#,
            ),
        ]
        .join("\n"),
    );
    let rejected: Vec<(u64, &str, &str)> = s
        .rejected
        .iter()
        .map(|r| (r.line, r.column.as_str(), r.value.as_str()))
        .collect();
    assert_eq!(
        rejected,
        [(3, "信用额度(万元)", "很多"), (4, "合同到期日", "下个月")]
    );
    assert!(
        s.rejected[0].reason.contains("money"),
        "{}",
        s.rejected[0].reason
    );
    assert_eq!(
        one(
            &store,
            "SELECT count(*)::VARCHAR FROM customers WHERE id IN ('N013', 'N014')"
        ),
        "0"
    );
    assert_eq!(
        values("N010"),
        ["信用额度(万元)=2000000.0", "合同到期日=2027-03-31"]
    );
    assert_eq!(values("N012"), ["合同到期日=2027-01-31", "客户来源=官网"]);
    assert!(!search_top(&store, "进博会", 2000).contains(&"N010".to_owned()));
}

/// An asker renewed after writes knows the words the writes brought, as an asker made
/// from scratch does (its vocabulary counts only the index segments the writes added
/// and removed), and keeps its parser when a write brought no word.
#[test]
fn a_renewed_asker_knows_the_words_of_the_writes_as_a_new_one_does() {
    use kesou_query::ask::{Asker, index_terms};
    let (_dir, store, _) = fresh();
    let asker = Asker::on_store(&store).unwrap();
    let words_now = |asker: &Asker| {
        let fresh = index_terms(&store.reader().unwrap().index).unwrap();
        assert_eq!(
            asker.schema().terms,
            fresh,
            "a renewed asker reads as a new one"
        );
        fresh
    };
    words_now(&asker);
    // New words: a new customer's trade name, and a description written with new words.
    let s = apply(
        &store,
        &[
            customer_line("N001", "杭州翔鹭钛业有限公司", &code(1)),
            customer_line("N002", "宁波海曙物产有限公司", &code(2))
                .replace("宁波海曙物产有限公司的简介", "专做钛合金叶轮与燧石釉"),
        ]
        .join("\n"),
    );
    assert_eq!(s.applied, 2, "{:?}", s.rejected);
    let asker = asker.renewed(store.reader().unwrap()).unwrap();
    let terms = words_now(&asker);
    assert!(terms.iter().any(|t| t == "翔鹭钛业"), "the new trade name");
    assert!(
        terms.iter().any(|t| t == "叶轮"),
        "a word of the new description"
    );
    let answer = asker.ask("翔鹭钛业的客户", &Default::default()).unwrap();
    assert!(!answer.partial, "{:?}", answer.ignored);
    // No word: an order's amount. The parser is the one the asker had.
    let order = one(&store, "SELECT min(id) FROM orders");
    let customer = one(
        &store,
        &format!("SELECT customer_id FROM orders WHERE id = '{order}'"),
    );
    apply(&store, &order_line(&order, &customer, "2024-03-01", 1234.5));
    let again = asker.renewed(store.reader().unwrap()).unwrap();
    words_now(&again);
    assert!(
        std::ptr::eq(asker.schema(), again.schema()),
        "the same parser"
    );
    // A deleted customer's words stay until its segment is merged, as for a new asker.
    apply(&store, r#"{"op":"delete","id":"N001"}"#);
    let after = again.renewed(store.reader().unwrap()).unwrap();
    words_now(&after);
    // Segments merged: the counts of the merged ones are taken out, the merged one's added.
    let index = store.reader().unwrap().index.index;
    store
        .quiesced(|_, _| -> Result<(), kesou_indexer::Error> {
            let mut writer = index
                .writer::<tantivy::TantivyDocument>(50_000_000)
                .unwrap();
            let ids = index.searchable_segment_ids().unwrap();
            assert!(ids.len() > 1, "the writes added segments");
            writer.merge(&ids).wait().unwrap();
            writer.wait_merging_threads().unwrap();
            Ok(())
        })
        .unwrap();
    let merged = after.renewed(store.reader().unwrap()).unwrap();
    let terms = words_now(&merged);
    assert!(
        !terms.iter().any(|t| t == "翔鹭钛业"),
        "gone with its merged segment"
    );
}

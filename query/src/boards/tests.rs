//! Boards and reports on the shared generated store (3,000 customers, seed 7); every
//! expectation is counted by hand-written SQL.

use std::collections::BTreeMap;

use kesou_indexer::NoProgress;
use serde_json::{Value as Json, json};

use super::*;
use crate::ask::AskOptions;
use crate::testing::{self, CUSTOMERS, number, strings};

const ADMIN: Author<'static> = Author {
    name: "admin",
    admin: true,
};

fn run(asker: &Asker, name: &str, fixed: &[Filter]) -> Board {
    board(asker, name, fixed, &AskOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The sum of a column of a board's rows.
fn sum(b: &Board, column: &str) -> f64 {
    let at = b
        .answer
        .table
        .columns
        .iter()
        .position(|c| c.name == column)
        .unwrap_or_else(|| panic!("{} has no column {column}", b.info.name));
    b.answer
        .table
        .rows
        .iter()
        .map(|r| r[at].as_f64().unwrap_or(0.0))
        .sum()
}

/// `SELECT key, count(*) … GROUP BY key` as a map (NULL as "").
fn counts(asker: &Asker, sql: &str) -> BTreeMap<String, f64> {
    let mut stmt = asker.connection().prepare(sql).unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get::<_, Option<String>>(0)?.unwrap_or_default(),
            r.get::<_, f64>(1)?,
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn key(v: &Json) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

#[test]
fn every_board_counts_every_customer_once() {
    let asker = testing::asker();
    let n = CUSTOMERS as f64;
    for name in ["map", "funnel", "rfm", "matrix"] {
        let b = run(&asker, name, &[]);
        assert_eq!(sum(&b, "count"), n, "{name} counts every customer");
        assert_eq!(b.answer.table.kind, AnswerKind::Groups, "{name}");
    }
    let map = run(&asker, "map", &[]);
    assert_eq!(map.info.chart, ChartKind::Map);
    let purchase = number(&asker, "SELECT sum(annual_purchase) FROM customers");
    assert!((sum(&map, "sum_annual_purchase") - purchase).abs() < 1e-3 * purchase);
    let by_province = counts(
        &asker,
        "SELECT province, count(*)::DOUBLE FROM customers GROUP BY 1",
    );
    let got: BTreeMap<String, f64> = map
        .answer
        .table
        .rows
        .iter()
        .map(|r| (key(&r[0]), r[1].as_f64().unwrap()))
        .collect();
    assert_eq!(got, by_province);
    assert_eq!(map.answer.explain, "按省份分组 · 数量 · 合计年采购额");
}

#[test]
fn the_funnel_is_in_stage_order() {
    let asker = testing::asker();
    let b = run(&asker, "funnel", &[]);
    let stages: Vec<&str> = b
        .answer
        .table
        .rows
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["潜在", "意向", "成交", "忠诚", "流失"]);
    let want = counts(
        &asker,
        "SELECT lifecycle, count(*)::DOUBLE FROM customers GROUP BY 1",
    );
    for r in &b.answer.table.rows {
        assert_eq!(Some(&r[1].as_f64().unwrap()), want.get(&key(&r[0])));
    }
    // a stage no customer is in still shows, as 0
    let loyal_only = parse_filters(asker.schema(), &["lifecycle=忠诚"]).unwrap();
    let b = run(&asker, "funnel", &loyal_only);
    assert_eq!(b.answer.table.rows.len(), 5);
    assert_eq!(b.answer.table.rows[0], vec![json!("潜在"), json!(0)]);
    assert_eq!(sum(&b, "count"), want["忠诚"]);
}

#[test]
fn matrix_cells_are_region_by_industry_counts() {
    let asker = testing::asker();
    let b = run(&asker, "matrix", &[]);
    assert_eq!(b.info.chart, ChartKind::Matrix);
    let want = counts(
        &asker,
        "SELECT region || '/' || industry, count(*)::DOUBLE FROM customers GROUP BY 1",
    );
    let got: BTreeMap<String, f64> = b
        .answer
        .table
        .rows
        .iter()
        .map(|r| {
            (
                format!("{}/{}", key(&r[0]), key(&r[1])),
                r[2].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(b.answer.table.total as usize, want.len());
}

#[test]
fn rfm_groups_buyers_by_segment_and_the_rest_without_one() {
    let asker = testing::asker();
    let b = run(&asker, "rfm", &[]);
    let want = counts(
        &asker,
        "SELECT coalesce(rfm_segment, '无订单（潜在/意向）'), count(*)::DOUBLE FROM customers GROUP BY 1",
    );
    let got: BTreeMap<String, f64> = b
        .answer
        .table
        .rows
        .iter()
        .map(|r| (key(&r[0]), r[1].as_f64().unwrap()))
        .collect();
    assert_eq!(got, want);
    assert!(
        want.contains_key(NO_ORDERS_SEGMENT) && !got.contains_key(""),
        "customers without orders are named, not a blank segment: {got:?}"
    );
    let no_orders = number(
        &asker,
        "SELECT count(*) FROM customers WHERE order_count = 0",
    );
    assert_eq!(
        got[NO_ORDERS_SEGMENT], no_orders,
        "they are the customers without orders"
    );
}

#[test]
fn top20_is_the_twenty_biggest_buyers() {
    let asker = testing::asker();
    let b = run(&asker, "top20", &[]);
    let ids: Vec<String> = b.answer.table.rows.iter().map(|r| key(&r[0])).collect();
    let want = strings(
        &asker,
        "SELECT id FROM customers ORDER BY annual_purchase DESC NULLS LAST, id LIMIT 20",
    );
    assert_eq!(ids, want);
    assert_eq!(b.answer.table.total as usize, CUSTOMERS);
    assert_eq!(b.answer.explain, "按年采购额降序 · 前20");
}

#[test]
fn fixed_filters_narrow_every_board() {
    let asker = testing::asker();
    let east = parse_filters(asker.schema(), &["region=华东", "size!=微型"]).unwrap();
    let n = number(
        &asker,
        "SELECT count(*) FROM customers WHERE region = '华东' AND size IS DISTINCT FROM '微型'",
    );
    assert!(n > 0.0 && n < CUSTOMERS as f64);
    for name in ["map", "funnel", "rfm", "matrix"] {
        let b = run(&asker, name, &east);
        assert_eq!(sum(&b, "count"), n, "{name} under region=华东");
        assert!(
            b.answer.explain.contains("大区=华东"),
            "{}",
            b.answer.explain
        );
    }
    let matrix = run(&asker, "matrix", &east);
    assert!(
        matrix
            .answer
            .table
            .rows
            .iter()
            .all(|r| r[0] == json!("华东"))
    );
    let top = run(&asker, "top20", &east);
    let region = top
        .answer
        .table
        .columns
        .iter()
        .position(|c| c.name == "region")
        .unwrap();
    assert_eq!(top.answer.table.rows.len(), 20);
    assert!(
        top.answer
            .table
            .rows
            .iter()
            .all(|r| r[region] == json!("华东"))
    );
    assert_eq!(top.answer.table.total as f64, n);
}

#[test]
fn churn_says_risk_was_never_computed_until_it_is() {
    let asker = testing::asker();
    let b = run(&asker, "churn", &[]);
    assert!(b.answer.table.rows.is_empty());
    let note = b.note.expect("a note while churn_risk is NULL");
    assert!(note.contains("kesou train churn --data STORE"), "{note}");

    // Some risks set on a copy: the risky ones come, riskiest first, and no note.
    let (_dir, paths) = testing::copy();
    {
        let conn =
            kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Write).unwrap();
        conn.execute_batch(
            "UPDATE customers SET churn_risk = CASE id
                 WHEN 'C0000001' THEN 0.95 WHEN 'C0000002' THEN 0.7
                 WHEN 'C0000003' THEN 0.69 WHEN 'C0000004' THEN 0.8 ELSE NULL END
             WHERE id IN ('C0000001', 'C0000002', 'C0000003', 'C0000004')",
        )
        .unwrap();
    }
    let asker = Asker::open(&paths, &NoProgress).unwrap();
    let b = run(&asker, "churn", &[]);
    assert!(b.note.is_none());
    let ids: Vec<String> = b.answer.table.rows.iter().map(|r| key(&r[0])).collect();
    assert_eq!(ids, ["C0000001", "C0000004", "C0000002"]);
    // under a region none of them is in: no rows, and still no note (risk is computed)
    let region: String = asker
        .connection()
        .query_row(
            "SELECT region FROM customers WHERE id = 'C0000001'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let elsewhere = ["华东", "华南", "西北"]
        .into_iter()
        .find(|r| *r != region)
        .unwrap();
    let f = parse_filters(asker.schema(), &[format!("region={elsewhere}")]).unwrap();
    let b = run(&asker, "churn", &f);
    assert!(b.answer.table.rows.iter().all(|r| key(&r[0]) != "C0000001"));
    assert!(b.note.is_none());
}

#[test]
fn fixed_filters_read_like_the_filter_option() {
    let asker = testing::asker();
    let schema = asker.schema();
    let f = |s: &str| {
        parse_filter(schema, s).map(|f| {
            kesou_nlq::canonical(&Query {
                filters: vec![f],
                ..Query::default()
            })
        })
    };
    assert_eq!(f("region=华东").unwrap(), "region=华东");
    assert_eq!(f("province=浙江").unwrap(), "province=浙江省");
    assert_eq!(f("industry=IT,工厂").unwrap(), "industry in [科技,制造]");
    assert_eq!(
        f("annual_purchase>=100万").unwrap(),
        "annual_purchase>=1000000"
    );
    assert_eq!(f("churn_risk≥70%").unwrap(), "churn_risk>=0.7");
    assert_eq!(f("tags=活跃").unwrap(), "tags contains 活跃");
    assert_eq!(f("tags!=沉睡").unwrap(), "tags not contains 沉睡");
    assert_eq!(
        f("rfm_segment=重要价值").unwrap(),
        "rfm_segment=重要价值客户"
    );
    assert_eq!(
        f("founded_date<2010-01-01").unwrap(),
        "founded_date<2010-01-01"
    );
    for (bad, says) in [
        ("colour=red", "filterable fields are"),
        ("region", "no operator"),
        ("region=火星", "华东"),
        ("region>华东", "= or !="),
        ("annual_purchase>=lots", "not a number"),
        ("name=恒瑞", "filterable fields are"),
        ("founded_date>last year", "YYYY-MM-DD"),
    ] {
        let e = f(bad).unwrap_err();
        assert!(e.is_user_error(), "{bad}");
        assert!(e.to_string().contains(says), "{bad}: {e}");
    }
}

fn spec(name: &str) -> ReportSpec {
    ReportSpec {
        name: name.into(),
        title: String::new(),
        dimension: None,
        measure: None,
        filters: Vec::new(),
        question: None,
        range: None,
    }
}

#[test]
fn a_report_previews_as_a_board() {
    let asker = testing::asker();
    let mut r = spec("industry-purchase");
    r.title = "各行业年采购额".into();
    r.dimension = Some("industry".into());
    r.measure = Some("sum:annual_purchase".parse().unwrap());
    r.filters = vec!["region=华东".into()];
    let b = preview_report(&asker, &r, &[], &AskOptions::default()).unwrap();
    assert_eq!(b.info.chart, ChartKind::Bar);
    assert!(!b.info.builtin);
    assert_eq!(b.info.description, "大区=华东 · 按行业分组 · 合计年采购额");
    let want = counts(
        &asker,
        "SELECT industry, sum(annual_purchase) FROM customers WHERE region = '华东' GROUP BY 1",
    );
    for row in &b.answer.table.rows {
        let got = row[1].as_f64().unwrap();
        assert!((got - want[&key(&row[0])]).abs() < 1e-6 * got.max(1.0));
    }
    assert_eq!(b.answer.table.rows.len(), want.len());

    // a question, narrowed by a filter; a dimension alone counts
    let mut q = spec("q");
    q.question = Some("浙江的制造业客户".into());
    q.filters = vec!["size=大型".into()];
    let b = preview_report(&asker, &q, &[], &AskOptions::all()).unwrap();
    let n = number(
        &asker,
        "SELECT count(*) FROM customers WHERE province = '浙江省' AND industry = '制造' AND size = '大型'",
    );
    assert_eq!(b.answer.table.total as f64, n);
    assert_eq!(b.info.chart, ChartKind::Table);
    let mut d = spec("by-lifecycle");
    d.dimension = Some("lifecycle".into());
    let b = preview_report(&asker, &d, &[], &AskOptions::default()).unwrap();
    assert_eq!(b.info.chart, ChartKind::Funnel);
    assert_eq!(b.answer.table.rows[0][0], json!("潜在"));
    assert_eq!(sum(&b, "count"), CUSTOMERS as f64);
}

#[test]
fn reports_that_cannot_run_say_what_is_valid() {
    let asker = testing::asker();
    let err = |r: &ReportSpec| {
        let e = preview_report(&asker, r, &[], &AskOptions::default())
            .err()
            .or_else(|| r.check_name().err())
            .expect("an error");
        assert!(e.is_user_error(), "{e}");
        e.to_string()
    };
    let mut r = spec("r");
    r.dimension = Some("colour".into());
    let e = err(&r);
    assert!(
        e.contains("colour") && e.contains("industry") && e.contains("province"),
        "{e}"
    );
    let mut r = spec("r");
    r.dimension = Some("annual_purchase".into());
    assert!(err(&r).contains("dimensions are"));
    let mut r = spec("r");
    r.dimension = Some("industry".into());
    r.measure = Some("avg:region".parse().unwrap());
    let e = err(&r);
    assert!(
        e.contains("numeric fields are") && e.contains("annual_purchase"),
        "{e}"
    );
    let mut r = spec("r");
    r.filters = vec!["colour=red".into()];
    assert!(err(&r).contains("filterable fields are"));
    let mut r = spec("r");
    r.question = Some("华东的天气怎么样".into());
    let e = err(&r);
    assert!(
        e.contains("understood whole") && e.contains("怎么样"),
        "{e}"
    );
    assert!(err(&spec("r")).contains("needs a dimension"));
    assert!("median:employees".parse::<MeasureSpec>().is_err());
    for name in [
        "",
        "has space",
        "报表 一",
        "报表/一",
        "-lead",
        &"x".repeat(65),
        "map",
        "churn",
    ] {
        let mut r = spec(name);
        r.dimension = Some("industry".into());
        assert!(r.check_name().is_err(), "{name:?}");
    }
    let mut r = spec("top20");
    r.dimension = Some("industry".into());
    assert!(r.check_name().unwrap_err().to_string().contains("built-in"));
    for name in ["华东月报", "区域_周报-2026", "report-1"] {
        let mut r = spec(name);
        r.dimension = Some("industry".into());
        assert!(r.check_name().is_ok(), "{name:?}");
    }
}

#[test]
fn saved_reports_round_trip_beside_the_builtins() {
    let (_dir, paths) = testing::copy();
    let store = kesou_indexer::Store::open(&paths).unwrap();
    let asker = Asker::on_store(&store).unwrap();
    assert!(saved_reports(&asker).unwrap().is_empty());
    let mut r = spec("size-count");
    r.title = "各规模客户数".into();
    r.dimension = Some("size".into());
    let saved = save_report(&asker, &r, ADMIN).unwrap();
    assert_eq!(saved.title, "各规模客户数");
    let listed = saved_reports(&asker).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].spec, r);
    let all = boards(&asker).unwrap();
    let names: Vec<&str> = all.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "map",
            "top20",
            "churn",
            "funnel",
            "rfm",
            "matrix",
            "opportunity",
            "size-count"
        ]
    );
    let b = board(&asker, "size-count", &[], &AskOptions::default()).unwrap();
    assert_eq!(sum(&b, "count"), CUSTOMERS as f64);
    // fixed filters apply to saved reports too
    let east = parse_filters(asker.schema(), &["region=华东"]).unwrap();
    let b = board(&asker, "size-count", &east, &AskOptions::default()).unwrap();
    let n = number(
        &asker,
        "SELECT count(*) FROM customers WHERE region = '华东'",
    );
    assert_eq!(sum(&b, "count"), n);
    // saving again replaces
    r.measure = Some("avg:employees".parse().unwrap());
    save_report(&asker, &r, ADMIN).unwrap();
    assert_eq!(saved_reports(&asker).unwrap()[0].spec.measure, r.measure);
    // and it survives a reopen
    drop(asker);
    let store = kesou_indexer::Store::open(&paths).unwrap();
    let asker = Asker::on_store(&store).unwrap();
    assert_eq!(saved_report(&asker, "size-count").unwrap().unwrap().spec, r);
    delete_report(&asker, "size-count", ADMIN).unwrap();
    assert!(saved_reports(&asker).unwrap().is_empty());
    let gone = delete_report(&asker, "size-count", ADMIN).unwrap_err();
    assert!(matches!(gone, Error::NotFound(_)), "{gone}");
    let gone = board(&asker, "size-count", &[], &AskOptions::default()).unwrap_err();
    assert!(
        matches!(gone, Error::NotFound(_)) && gone.to_string().contains("top20"),
        "{gone}"
    );
    assert!(
        delete_report(&asker, "map", ADMIN)
            .unwrap_err()
            .is_user_error()
    );
    // a bad report is refused before anything is written
    let mut bad = spec("bad");
    bad.dimension = Some("colour".into());
    assert!(save_report(&asker, &bad, ADMIN).is_err());
    assert!(saved_reports(&asker).unwrap().is_empty());
}

#[test]
fn a_read_only_store_lists_reports_but_cannot_save_them() {
    let asker = testing::asker();
    assert!(saved_reports(&asker).unwrap().is_empty());
    let mut r = spec("x");
    r.dimension = Some("industry".into());
    let e = save_report(&asker, &r, ADMIN).unwrap_err();
    assert!(e.to_string().contains("read-only"), "{e}");
}

#[test]
fn pages_are_disjoint_and_cover_the_unpaged_answer() {
    let asker = testing::asker();
    let question = "华东的制造业客户按采购额排序";
    let whole = asker.ask(question, &AskOptions::all()).unwrap();
    let ids = |a: &Answer| -> Vec<String> { a.table.rows.iter().map(|r| key(&r[0])).collect() };
    let all = ids(&whole);
    assert!(all.len() > 45, "{} rows", all.len());
    let mut paged = Vec::new();
    for page in 0..3 {
        let a = asker
            .ask(
                question,
                &AskOptions {
                    offset: page * 15,
                    page_size: Some(15),
                    ..AskOptions::default()
                },
            )
            .unwrap();
        assert_eq!(a.table.total, whole.table.total);
        assert_eq!(a.table.rows.len(), 15);
        paged.extend(ids(&a));
    }
    assert_eq!(paged, all[..45]);
    // re-sorted by a column: the same rows in that column's order
    let by_name = asker
        .ask(
            question,
            &AskOptions {
                sort: Some(kesou_nlq::Sort {
                    field: "employees".into(),
                    descending: true,
                    span: None,
                }),
                ..AskOptions::all()
            },
        )
        .unwrap();
    let mut a = ids(&by_name);
    let mut b = all.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let at = by_name
        .table
        .columns
        .iter()
        .position(|c| c.name == "employees")
        .unwrap();
    let employees: Vec<i64> = by_name
        .table
        .rows
        .iter()
        .map(|r| r[at].as_i64().unwrap_or(i64::MIN))
        .collect();
    assert!(employees.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn a_store_without_rfm_says_so_on_the_rfm_board() {
    let (_dir, paths) = testing::copy();
    {
        let conn =
            kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Write).unwrap();
        conn.execute_batch("ALTER TABLE customers DROP COLUMN rfm_segment")
            .unwrap();
    }
    let asker = Asker::open(&paths, &NoProgress).unwrap();
    let b = run(&asker, "rfm", &[]);
    assert!(b.answer.table.rows.is_empty());
    let note = b.note.expect("a note");
    assert!(
        note.contains("rfm_segment") && note.contains("kesou ingest"),
        "{note}"
    );
    // the other boards still answer
    assert_eq!(sum(&run(&asker, "map", &[]), "count"), CUSTOMERS as f64);
}

#[test]
fn pages_under_any_ordering_match_hand_sql() {
    let asker = testing::asker();
    let east = parse_filters(asker.schema(), &["region=华东"]).unwrap();
    for (field, descending) in [
        ("founded_date", false),
        ("name", true),
        ("created_at", true),
        ("annual_purchase", false),
        ("lifecycle", false),
        ("employees", true),
    ] {
        let query = Query {
            table: "customers".into(),
            filters: east.clone(),
            ..Query::default()
        };
        let options = AskOptions {
            offset: 40,
            page_size: Some(10),
            sort: Some(kesou_nlq::Sort {
                field: field.into(),
                descending,
                span: None,
            }),
            ..AskOptions::default()
        };
        let a = asker.run(&query, &options).unwrap();
        let got: Vec<String> = a.table.rows.iter().map(|r| key(&r[0])).collect();
        let dir = if descending { "DESC" } else { "ASC" };
        let want = strings(
            &asker,
            &format!(
                "SELECT id FROM customers WHERE region = '华东' \
                 ORDER BY {field} {dir} NULLS LAST, id LIMIT 10 OFFSET 40"
            ),
        );
        assert_eq!(got, want, "ordered by {field} {dir}");
        let n = number(
            &asker,
            "SELECT count(*) FROM customers WHERE region = '华东'",
        );
        assert_eq!(a.table.total as f64, n);
    }
}

#[test]
fn the_funnel_flow_counts_who_moved_over_the_period() {
    let asker = testing::asker();
    let as_of = asker.as_of();
    for days in [90u64, 365] {
        let f = flow(&asker, &AskOptions::default(), &[], days).unwrap();
        let cut = |back: u64| format!("DATE '{as_of}' - INTERVAL {back} DAY");
        let no_order_before = format!(
            "NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.order_date <= {})",
            cut(days)
        );
        let base = number(
            &asker,
            &format!("SELECT count(*) FROM customers c WHERE {no_order_before}"),
        );
        let moved = number(
            &asker,
            &format!(
                "SELECT count(*) FROM customers c WHERE {no_order_before} AND EXISTS \
                 (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.order_date > {})",
                cut(days)
            ),
        );
        assert_eq!(
            (f.converted.base as f64, f.converted.moved as f64),
            (base, moved),
            "{days}"
        );
        assert!(
            moved > 0.0,
            "{days}: some customers ordered for the first time"
        );
        let buying = format!(
            "EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.order_date > {} \
             AND o.order_date <= {})",
            cut(days + 180),
            cut(days)
        );
        let base = number(
            &asker,
            &format!("SELECT count(*) FROM customers c WHERE {buying}"),
        );
        let lost = number(
            &asker,
            &format!(
                "SELECT count(*) FROM customers c WHERE {buying} AND NOT EXISTS \
                 (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.order_date > {})",
                cut(180)
            ),
        );
        assert_eq!(
            (f.lapsed.base as f64, f.lapsed.moved as f64),
            (base, lost),
            "{days}"
        );
        assert_eq!(f.lapsed.rate, Some(lost / base));
    }
    assert!(flow(&asker, &AskOptions::default(), &[], 7).is_err());
}

use duckdb::Connection;
use kesou_nlq::{Agg, Filter, GroupBy, Limit, Measure, Op, Query, Sort, Span, TextTerm, Value};
use serde_json::json;

use super::*;
use crate::ask::{AnswerKind, CUSTOMERS_TOML};

fn schema() -> Schema {
    Schema::from_toml(CUSTOMERS_TOML).expect("customers.toml")
}

fn span(text: &str) -> Span {
    Span {
        start: 0,
        end: text.len(),
        text: text.to_owned(),
    }
}

/// Six customers, one with nothing known, in memory.
fn store() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        r#"CREATE TABLE customers (id VARCHAR, name VARCHAR, region VARCHAR, province VARCHAR,
               city VARCHAR, industry VARCHAR, size VARCHAR, lifecycle VARCHAR, value_level VARCHAR,
               tags VARCHAR[], annual_purchase DOUBLE, description VARCHAR, founded_date DATE);
           INSERT INTO customers VALUES
             ('C1', '杭州甲科技有限公司', '华东', '浙江省', '杭州市', '科技', '中型', '忠诚', '高', ['活跃', '复购客户'], 3e6, '做新能源电池的', DATE '2015-05-01'),
             ('C2', '苏州乙机械有限公司', '华东', '江苏省', '苏州市', '制造', '大型', '成交', '中', ['活跃'], 1e6, '精密机械', DATE '2010-01-01'),
             ('C3', '广州丙贸易有限公司', '华南', '广东省', '广州市', '零售', '小型', '流失', '低', [], 2e5, '日用百货', DATE '2020-02-02'),
             ('C4', '北京丁软件有限公司', '华北', '北京市', '北京市', '科技', '小型', '意向', '低', ['高意向待转化'], 0, '软件外包 100%_好评', DATE '2021-03-03'),
             ('C5', '深圳戊电子有限公司', '华南', '广东省', '深圳市', '科技', '微型', '潜在', '低', NULL, 0, NULL, NULL),
             ('C6', '无名', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);"#,
    )
    .unwrap();
    conn
}

fn query(filters: Vec<Filter>) -> Query {
    Query {
        table: "customers".into(),
        filters,
        ..Query::default()
    }
}

fn run(q: &Query, options: &AskOptions) -> Table {
    execute(&store(), &schema(), None, q, options).expect("answer")
}

fn ids(t: &Table) -> Vec<&str> {
    t.rows.iter().map(|r| r[0].as_str().unwrap()).collect()
}

#[test]
fn lists_show_key_title_asked_fields_then_display_fields() {
    let q = query(vec![Filter::field(
        "founded_date",
        Op::Ge,
        Value::Str("2012-01-01".into()),
        None,
    )]);
    let t = run(&q, &AskOptions::default());
    assert_eq!(t.kind, AnswerKind::List);
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "id",
            "name",
            "founded_date",
            "region",
            "province",
            "city",
            "industry",
            "size",
            "lifecycle",
            "value_level",
            "annual_purchase"
        ]
    );
    assert_eq!(t.columns[2].label, "成立日期");
    // biggest annual purchase first, then by id
    assert_eq!(ids(&t), ["C1", "C3", "C4"]);
    assert_eq!(t.rows[0][2], json!("2015-05-01"));
    assert_eq!(t.total, 3);
    assert_eq!(t.ordered_by, "年采购额 ↓");
}

#[test]
fn lists_stop_at_the_default_limit_unless_all() {
    let q = query(vec![Filter::field(
        "industry",
        Op::Ne,
        Value::Str("制造".into()),
        None,
    )]);
    let few = AskOptions {
        default_limit: 2,
        ..AskOptions::default()
    };
    let t = run(&q, &few);
    assert_eq!(ids(&t), ["C1", "C3"]);
    assert_eq!(
        t.total, 5,
        "the total counts every match, unknown industry included"
    );
    let t = run(&q, &AskOptions::all());
    assert_eq!(t.rows.len(), 5);
    // an explicit top-N applies even with all
    let mut top = q.clone();
    top.limit = Some(Limit {
        n: 1,
        span: span("前1"),
    });
    top.sort = vec![Sort {
        field: "founded_date".into(),
        descending: false,
        span: None,
    }];
    let t = run(&top, &AskOptions::all());
    assert_eq!(ids(&t), ["C1"]);
    assert_eq!(t.total, 5);
    assert_eq!(t.ordered_by, "成立日期 ↑");
}

#[test]
fn groups_count_and_order_by_their_measure() {
    let mut q = query(vec![]);
    q.group_by = vec![GroupBy {
        field: "region".into(),
        span: span("按大区"),
    }];
    q.measures = vec![Measure::new(Agg::Count, None, span("客户数"))];
    let t = run(&q, &AskOptions::default());
    assert_eq!(t.kind, AnswerKind::Groups);
    assert_eq!(t.columns[1].label, "客户数");
    assert_eq!(
        t.rows,
        vec![
            vec![json!("华东"), json!(2)],
            vec![json!("华南"), json!(2)],
            vec![json!("华北"), json!(1)],
            vec![json!(null), json!(1)],
        ]
    );
    assert_eq!(t.total, 4);
    q.measures = vec![Measure::new(
        Agg::Avg,
        Some("annual_purchase"),
        span("平均年采购额"),
    )];
    q.sort = vec![Sort {
        field: "avg_annual_purchase".into(),
        descending: false,
        span: None,
    }];
    q.limit = Some(Limit {
        n: 2,
        span: span("前2"),
    });
    let t = run(&q, &AskOptions::default());
    assert_eq!(t.columns[1].label, "平均年采购额");
    assert_eq!(t.columns[1].kind, kesou_nlq::FieldKind::Money);
    assert_eq!(
        t.rows,
        vec![
            vec![json!("华北"), json!(0.0)],
            vec![json!("华南"), json!(1e5)]
        ]
    );
    assert_eq!(t.total, 4, "every group counts, not only those shown");
}

#[test]
fn groups_by_labels_unnest_them() {
    let mut q = query(vec![]);
    q.group_by = vec![GroupBy {
        field: "tags".into(),
        span: span("按标签"),
    }];
    let t = run(&q, &AskOptions::default());
    assert_eq!(t.rows[0], vec![json!("活跃"), json!(2)]);
    assert_eq!(t.rows.len(), 3);
}

#[test]
fn measures_alone_give_one_row() {
    let mut q = query(vec![Filter::field(
        "region",
        Op::Eq,
        Value::Str("华东".into()),
        None,
    )]);
    q.measures = vec![
        Measure::new(Agg::Count, None, span("多少家")),
        Measure::new(Agg::Sum, Some("annual_purchase"), span("总额")),
    ];
    let t = run(&q, &AskOptions::default());
    assert_eq!(t.kind, AnswerKind::Summary);
    assert_eq!(t.rows, vec![vec![json!(2), json!(4e6)]]);
    assert_eq!(t.total, 1);
}

#[test]
fn nothing_understood_is_an_error_not_every_row() {
    let mut q = query(vec![]);
    q.unrecognized = vec![span("天气怎么样")];
    let err = execute(&store(), &schema(), None, &q, &AskOptions::default()).unwrap_err();
    assert!(err.is_user_error());
    assert!(err.to_string().contains("天气怎么样"), "{err}");
    // nothing asked and nothing left over (所有客户): everyone
    let t = run(&query(vec![]), &AskOptions::default());
    assert_eq!(t.total, 6);
}

#[test]
fn text_without_an_index_is_a_substring_of_a_text_field() {
    let mut q = query(vec![]);
    q.text = vec![TextTerm {
        text: "新能源".into(),
        span: span("新能源"),
    }];
    assert_eq!(ids(&run(&q, &AskOptions::all())), ["C1"]);
    q.text[0].text = "有限公司".into();
    assert_eq!(run(&q, &AskOptions::all()).total, 5);
    // % and _ are literal, not wildcards
    q.text[0].text = "0%_好".into();
    assert_eq!(ids(&run(&q, &AskOptions::all())), ["C4"]);
    q.text[0].text = "%".into();
    assert_eq!(ids(&run(&q, &AskOptions::all())), ["C4"]);
}

#[test]
fn answers_serialise_to_the_contract() {
    let q = query(vec![Filter::field(
        "tags",
        Op::Contains,
        Value::Str("活跃".into()),
        None,
    )]);
    let v = serde_json::to_value(run(&q, &AskOptions::default())).unwrap();
    assert_eq!(v["kind"], "list");
    assert_eq!(
        v["columns"][0],
        json!({"name": "id", "label": "客户编号", "kind": "id"})
    );
    assert_eq!(v["columns"][2]["name"], "tags");
    assert_eq!(v["rows"][0][0], "C1");
    assert_eq!(v["rows"][0][2], json!(["活跃", "复购客户"]));
    assert_eq!(v["rows"][0][10], json!(3e6));
    assert_eq!(v["total"], 2);
}

#[test]
fn grouping_by_a_related_field_says_what_to_do() {
    let mut q = query(vec![]);
    q.group_by = vec![GroupBy {
        field: "channel".into(),
        span: span("按渠道"),
    }];
    let err = execute(&store(), &schema(), None, &q, &AskOptions::default()).unwrap_err();
    assert!(err.is_user_error());
    assert!(
        err.to_string().contains("互动") && err.to_string().contains("大区"),
        "{err}"
    );
}

fn sort(field: &str, descending: bool) -> Option<Sort> {
    Some(Sort {
        field: field.into(),
        descending,
        span: None,
    })
}

#[test]
fn pages_of_a_list_are_disjoint_and_cover_it_in_order() {
    let q = query(vec![]);
    let whole = ids(&run(&q, &AskOptions::all())).join(" ");
    let mut paged = Vec::new();
    for offset in [0, 2, 4, 6] {
        let page = AskOptions {
            offset,
            page_size: Some(2),
            ..AskOptions::default()
        };
        let t = run(&q, &page);
        assert_eq!(t.total, 6, "the total is every match on every page");
        paged.extend(ids(&t).into_iter().map(str::to_owned));
    }
    assert_eq!(paged.join(" "), whole);
    // default_limit is the page length when none is given
    let t = run(
        &q,
        &AskOptions {
            offset: 4,
            default_limit: 3,
            ..AskOptions::default()
        },
    );
    assert_eq!(t.rows.len(), 2);
}

#[test]
fn a_sort_override_reorders_the_list_and_keeps_the_questions_top_n() {
    let mut q = query(vec![]);
    let by_name = AskOptions {
        sort: sort("founded_date", false),
        ..AskOptions::default()
    };
    let t = run(&q, &by_name);
    assert_eq!(ids(&t), ["C2", "C1", "C3", "C4", "C5", "C6"]);
    assert_eq!(t.ordered_by, "成立日期 ↑");
    // 前3 by annual purchase are C1 C2 C3; re-sorted they stay those three
    q.limit = Some(Limit {
        n: 3,
        span: span("前3"),
    });
    let t = run(&q, &by_name);
    assert_eq!(ids(&t), ["C2", "C1", "C3"]);
    assert_eq!(t.total, 6);
    let second = AskOptions {
        offset: 2,
        page_size: Some(2),
        ..by_name.clone()
    };
    assert_eq!(
        ids(&run(&q, &second)),
        ["C3"],
        "a page never passes the top-N"
    );
    let bad = AskOptions {
        sort: sort("colour", true),
        ..AskOptions::default()
    };
    let err = execute(&store(), &schema(), None, &q, &bad).unwrap_err();
    assert!(
        err.is_user_error() && err.to_string().contains("colour"),
        "{err}"
    );
}

#[test]
fn a_page_past_the_end_is_empty_with_the_total() {
    let q = query(vec![Filter::field(
        "region",
        Op::Eq,
        Value::Str("华东".into()),
        None,
    )]);
    let t = run(
        &q,
        &AskOptions {
            offset: 10,
            ..AskOptions::default()
        },
    );
    assert!(t.rows.is_empty());
    assert_eq!(t.total, 2);
}

#[test]
fn groups_page_and_resort_by_a_group_field_or_a_measure() {
    let mut q = query(vec![]);
    q.group_by = vec![GroupBy {
        field: "region".into(),
        span: span("按大区"),
    }];
    let resorted = AskOptions {
        sort: sort("region", false),
        ..AskOptions::default()
    };
    let t = run(&q, &resorted);
    let names: Vec<&serde_json::Value> = t.rows.iter().map(|r| &r[0]).collect();
    // code point order, unknown last
    assert_eq!(
        names,
        [&json!("华东"), &json!("华北"), &json!("华南"), &json!(null)]
    );
    assert_eq!(t.ordered_by, "大区 ↑");
    let page = AskOptions {
        offset: 1,
        page_size: Some(2),
        ..resorted.clone()
    };
    let t = run(&q, &page);
    assert_eq!(
        t.rows,
        vec![vec![json!("华北"), json!(1)], vec![json!("华南"), json!(2)]]
    );
    assert_eq!(t.total, 4);
    // the two biggest groups (华东 and 华南 by count), re-sorted by count ascending
    q.limit = Some(Limit {
        n: 2,
        span: span("前2"),
    });
    let t = run(
        &q,
        &AskOptions {
            sort: sort("count", false),
            ..AskOptions::default()
        },
    );
    assert_eq!(
        t.rows,
        vec![vec![json!("华东"), json!(2)], vec![json!("华南"), json!(2)]]
    );
    assert_eq!(t.total, 4);
}

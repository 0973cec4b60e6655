use duckdb::Connection;
use kesou_indexer::crypt::Vault;
use kesou_nlq::{Filter, Op, RelatedFilter, Schema, Value};

use super::*;

static PLAIN: std::sync::LazyLock<Vault> = std::sync::LazyLock::new(Vault::plain);
use crate::ask::CUSTOMERS_TOML;

fn schema() -> Schema {
    Schema::from_toml(CUSTOMERS_TOML).expect("customers.toml")
}

fn f(field: &str, op: Op, value: Value) -> Filter {
    Filter::field(field, op, value, None)
}

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

fn list(vs: &[&str]) -> Value {
    Value::List(vs.iter().map(|v| s(v)).collect())
}

fn text(v: &str) -> SqlValue {
    SqlValue::Text(v.to_owned())
}

/// The SQL and parameters of the filters, all holding.
fn where_of(filters: &[Filter]) -> (String, Vec<SqlValue>) {
    let schema = schema();
    let mut b = SqlBuilder::new(&schema, &PLAIN);
    let sql = b.all(filters).expect("filters compile");
    (sql, b.params)
}

#[test]
fn comparisons_bind_their_values() {
    assert_eq!(
        where_of(&[
            f("region", Op::Eq, s("华东")),
            f("annual_purchase", Op::Gt, Value::Num(1e6)),
            f("industry", Op::Eq, s("科技")),
        ]),
        (
            r#"(t."region" = ? AND t."annual_purchase" > ? AND t."industry" = ?)"#.into(),
            vec![text("华东"), SqlValue::Double(1e6), text("科技")]
        )
    );
    assert_eq!(
        where_of(&[f("employees", Op::Le, s("100"))]),
        (
            r#"t."employees" <= ?"#.into(),
            vec![SqlValue::Double(100.0)]
        )
    );
}

#[test]
fn ranges_are_closed_and_ordered() {
    assert_eq!(
        where_of(&[f(
            "annual_purchase",
            Op::Between,
            Value::List(vec![Value::Num(1.2e6), Value::Num(3e5)])
        )]),
        (
            r#"t."annual_purchase" BETWEEN ? AND ?"#.into(),
            vec![SqlValue::Double(3e5), SqlValue::Double(1.2e6)]
        )
    );
}

#[test]
fn dates_and_timestamps_compare_as_dates() {
    assert_eq!(
        where_of(&[f(
            "founded_date",
            Op::Between,
            list(&["2020-01-01", "2020-12-31"])
        )]),
        (
            r#"t."founded_date" BETWEEN ?::DATE AND ?::DATE"#.into(),
            vec![text("2020-01-01"), text("2020-12-31")]
        )
    );
    assert_eq!(
        where_of(&[f("created_at", Op::Ge, s("2026-01-01"))]).0,
        r#"CAST(t."created_at" AS DATE) >= ?::DATE"#
    );
    let schema = schema();
    let err = SqlBuilder::new(&schema, &PLAIN)
        .all(&[f("founded_date", Op::Gt, s("去年"))])
        .unwrap_err();
    assert!(err.is_user_error());
    assert!(err.to_string().contains("YYYY-MM-DD"), "{err}");
}

#[test]
fn negations_keep_unknown_values() {
    assert_eq!(
        where_of(&[f("industry", Op::Ne, s("制造"))]).0,
        r#"t."industry" IS DISTINCT FROM ?"#
    );
    assert_eq!(
        where_of(&[f("region", Op::NotIn, list(&["华南", "华北"]))]).0,
        r#"(t."region" IS NULL OR t."region" NOT IN (?, ?))"#
    );
    assert_eq!(
        where_of(&[Filter::Not {
            not: Box::new(f("tags", Op::Contains, s("高意向待转化"))),
            span: None
        }])
        .0,
        r#"NOT coalesce(list_contains(t."tags", ?), FALSE)"#
    );
}

#[test]
fn lists_of_labels() {
    assert_eq!(
        where_of(&[f("tags", Op::Eq, s("活跃"))]),
        (r#"list_contains(t."tags", ?)"#.into(), vec![text("活跃")])
    );
    assert_eq!(
        where_of(&[f("tags", Op::In, list(&["活跃", "沉睡"]))]).0,
        r#"(list_contains(t."tags", ?) OR list_contains(t."tags", ?))"#
    );
    assert_eq!(
        where_of(&[f("tags", Op::NotContains, s("沉睡"))]).0,
        r#"(t."tags" IS NULL OR NOT list_contains(t."tags", ?))"#
    );
    assert_eq!(
        where_of(&[f("tags", Op::IsNull, Value::Null)]).0,
        r#"(t."tags" IS NULL OR len(t."tags") = 0)"#
    );
}

#[test]
fn trees_nest() {
    let any = Filter::Any {
        any: vec![
            f("region", Op::Eq, s("华东")),
            f("province", Op::Eq, s("北京市")),
        ],
        span: None,
    };
    assert_eq!(
        where_of(&[any, f("description", Op::Contains, s("50%_off"))]),
        (
            r#"((t."region" = ? OR t."province" = ?) AND t."description" ILIKE ? ESCAPE '\')"#
                .into(),
            vec![text("华东"), text("北京市"), text("%50\\%\\_off%")]
        )
    );
    assert_eq!(
        where_of(&[Filter::Any {
            any: vec![],
            span: None
        }])
        .0,
        "FALSE"
    );
}

fn related(table: &str, filters: Vec<Filter>, op: Op, n: f64) -> Filter {
    Filter::Related(RelatedFilter {
        table: table.into(),
        filters,
        count_op: op,
        count: n,
        total: None,
        span: None,
    })
}

#[test]
fn related_tables_exist_or_count() {
    let last_year = f(
        "order_date",
        Op::Between,
        list(&["2025-01-01", "2025-12-31"]),
    );
    assert_eq!(
        where_of(&[related("orders", vec![last_year], Op::Ge, 1.0)]),
        (
            r#"EXISTS (SELECT 1 FROM "orders" r WHERE r."customer_id" = t."id" AND r."order_date" BETWEEN ?::DATE AND ?::DATE)"#.into(),
            vec![text("2025-01-01"), text("2025-12-31")]
        )
    );
    let complaints = f("kind", Op::Eq, s("投诉"));
    assert_eq!(
        where_of(&[related(
            "interactions",
            vec![complaints.clone()],
            Op::Eq,
            0.0
        )])
        .0,
        r#"NOT EXISTS (SELECT 1 FROM "interactions" r WHERE r."customer_id" = t."id" AND r."kind" = ?)"#
    );
    let recent = f("ts", Op::Gt, s("2026-05-31"));
    assert_eq!(
        where_of(&[related("interactions", vec![complaints, recent], Op::Ge, 5.0)]),
        (
            r#"t."id" IN (SELECT r."customer_id" FROM "interactions" r WHERE r."customer_id" IS NOT NULL AND r."kind" = ? AND CAST(r."ts" AS DATE) > ?::DATE GROUP BY 1 HAVING count(*) >= ?)"#.into(),
            vec![text("投诉"), text("2026-05-31"), SqlValue::Double(5.0)]
        )
    );
}

#[test]
fn unknown_names_are_the_users_error() {
    let schema = schema();
    for bad in [
        vec![f("salary", Op::Gt, Value::Num(1.0))],
        vec![related("invoices", vec![], Op::Ge, 1.0)],
        // a main-table field inside a related condition
        vec![related(
            "orders",
            vec![f("region", Op::Eq, s("华东"))],
            Op::Ge,
            1.0,
        )],
        vec![f("annual_purchase", Op::Gt, s("很多"))],
        vec![f("annual_purchase", Op::Contains, s("1"))],
    ] {
        let err = SqlBuilder::new(&schema, &PLAIN).all(&bad).unwrap_err();
        assert!(err.is_user_error(), "{bad:?}: {err}");
    }
}

/// A few customers with unknown values, in memory.
fn tiny_store() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        r#"CREATE TABLE customers (id VARCHAR, name VARCHAR, industry VARCHAR, region VARCHAR,
               tags VARCHAR[], annual_purchase DOUBLE);
           INSERT INTO customers VALUES
             ('C1', '甲', '制造', '华东', ['活跃'], 2e6),
             ('C2', '乙', '科技', '华南', [], 5e5),
             ('C3', '丙', NULL, NULL, NULL, NULL);
           CREATE TABLE orders (id VARCHAR, customer_id VARCHAR, order_date DATE, amount DOUBLE);
           INSERT INTO orders VALUES ('O1', 'C1', DATE '2025-03-01', 100), ('O2', 'C1', DATE '2026-03-01', 100),
             ('O3', 'C2', DATE '2026-04-01', 100);"#,
    )
    .unwrap();
    conn
}

fn ids(conn: &Connection, filters: &[Filter]) -> Vec<String> {
    let schema = schema();
    let mut b = SqlBuilder::new(&schema, &PLAIN);
    let cond = b.all(filters).unwrap();
    let sql = format!("SELECT id FROM customers t WHERE {cond} ORDER BY id");
    let mut stmt = conn.prepare(&sql).unwrap();
    stmt.query_map(duckdb::params_from_iter(b.params.iter()), |r| {
        r.get::<_, String>(0)
    })
    .unwrap()
    .collect::<std::result::Result<_, _>>()
    .unwrap()
}

#[test]
fn a_condition_and_its_negation_cover_every_row() {
    let conn = tiny_store();
    for cond in [
        f("industry", Op::Eq, s("制造")),
        f("region", Op::In, list(&["华东", "华北"])),
        f("tags", Op::Contains, s("活跃")),
        related(
            "orders",
            vec![f("order_date", Op::Ge, s("2026-01-01"))],
            Op::Ge,
            1.0,
        ),
        related("orders", vec![], Op::Ge, 2.0),
        related("orders", vec![], Op::Le, 1.0),
    ] {
        let yes = ids(&conn, std::slice::from_ref(&cond));
        let no = ids(&conn, &[cond.clone().negate()]);
        let mut both: Vec<String> = yes.iter().chain(&no).cloned().collect();
        both.sort();
        assert_eq!(both, ["C1", "C2", "C3"], "{cond:?}: {yes:?} + {no:?}");
    }
    assert_eq!(
        ids(&conn, &[f("industry", Op::Ne, s("制造"))]),
        ["C2", "C3"]
    );
    assert_eq!(
        ids(&conn, &[related("orders", vec![], Op::Ge, 2.0)]),
        ["C1"]
    );
    assert_eq!(
        ids(&conn, &[related("orders", vec![], Op::Lt, 2.0)]),
        ["C2", "C3"],
        "fewer than two orders includes customers with none"
    );
    assert_eq!(
        ids(&conn, &[related("orders", vec![], Op::Ne, 1.0)]),
        ["C1", "C3"]
    );
    assert_eq!(
        ids(&conn, &[related("orders", vec![], Op::Eq, 1.0)]),
        ["C2"]
    );
    assert_eq!(
        ids(&conn, &[f("annual_purchase", Op::Le, Value::Num(1e6))]),
        ["C2"],
        "an unknown amount is not below a million"
    );
}

#[test]
fn an_injection_attempt_stays_a_value() {
    let conn = tiny_store();
    let attack = "'; DROP TABLE customers; --";
    for filters in [
        vec![f("industry", Op::Eq, s(attack))],
        vec![f("name", Op::Contains, s(attack))],
        vec![f("tags", Op::In, list(&[attack, "x\" OR 1=1 --"]))],
    ] {
        let (sql, params) = where_of(&filters);
        assert!(!sql.contains("DROP"), "{sql}");
        assert!(
            params
                .iter()
                .any(|p| matches!(p, SqlValue::Text(t) if t.contains("DROP")))
        );
        assert!(ids(&conn, &filters).is_empty());
    }
    let n: i64 = conn
        .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3, "the table is still there");
}

#[test]
fn identifiers_are_quoted() {
    assert_eq!(ident("annual_purchase"), "\"annual_purchase\"");
    assert_eq!(ident("a\"b"), "\"a\"\"b\"");
    assert_eq!(like_pattern("5%_\\"), "%5\\%\\_\\\\%");
}

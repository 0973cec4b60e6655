//! Time on boards and combined dashboards through the HTTP API in process, over a store of
//! its own (3,000 customers, seed 7, as_of 2026-06-30, churn scored as `kesou demo` does):
//! every board under the filter bar's period against hand SQL, a report's date range,
//! and combined dashboards saved, listed, opened, changed and deleted.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use kesou_dashboards::{AppState, ServerConfig, app};
use kesou_indexer::{NoProgress, StorePaths};
use serde_json::{Value, json};
use tower::ServiceExt;

struct Store {
    paths: StorePaths,
    state: AppState,
}

static STORE: LazyLock<Store> = LazyLock::new(|| {
    let paths = kesou_testkit::shared_store("api_boards", &[kesou_testkit::Shape::new(3_000, 7)]);
    let model = {
        let conn =
            kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read).expect("open");
        let (as_of, _) = kesou_indexer::store::as_of(&conn).expect("as_of");
        kesou_models::churn::train(&conn, as_of, &kesou_models::churn::TrainOptions::default())
            .expect("train churn")
    };
    kesou_models::churn::score_with(&paths, &model, &NoProgress).expect("score churn");
    let state = AppState::open(&ServerConfig {
        data: paths.clone(),
        demo: true,
        embed_key: Some(b"a test key of at least thirty-two bytes".to_vec()),
        public_url: "http://kesou.test".into(),
        watch_first_retry: None,
    })
    .expect("open");
    Store { paths, state }
});

async fn send(
    method: Method,
    uri: &str,
    body: Option<Value>,
    language: &str,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::ACCEPT_LANGUAGE, language);
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let res = app(STORE.state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn get(uri: &str) -> Value {
    let (status, v) = send(Method::GET, uri, None, "en").await;
    assert_eq!(status, StatusCode::OK, "{uri}: {v}");
    v
}

async fn post(uri: &str, body: Value) -> (StatusCode, Value) {
    send(Method::POST, uri, Some(body), "en").await
}

/// Hand SQL: rows of (key, number) from the store.
fn pairs(sql: &str) -> HashMap<String, f64> {
    let conn = kesou_indexer::store::open_db(&STORE.paths, kesou_indexer::store::Open::Read)
        .expect("open");
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<f64>>(1)?.unwrap_or(0.0),
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn number(sql: &str) -> f64 {
    let conn = kesou_indexer::store::open_db(&STORE.paths, kesou_indexer::store::Open::Read)
        .expect("open");
    conn.query_row(sql, [], |r| r.get::<_, Option<f64>>(0))
        .unwrap()
        .unwrap_or(0.0)
}

fn column(v: &Value, name: &str) -> usize {
    v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no column {name} in {}", v["columns"]))
}

/// A board's rows as (first column, the named column).
fn shown(v: &Value, name: &str) -> HashMap<String, f64> {
    let at = column(v, name);
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or("").to_owned(),
                r[at].as_f64().unwrap_or(0.0),
            )
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1.0)
}

fn same(got: &HashMap<String, f64>, want: &HashMap<String, f64>, what: &str) {
    for (k, w) in want {
        let g = got.get(k).copied().unwrap_or(0.0);
        assert!(close(g, *w), "{what}: {k}: shown {g}, SQL {w}");
    }
    for (k, g) in got {
        assert!(
            want.contains_key(k) || *g == 0.0,
            "{what}: {k} shown ({g}) but not in SQL"
        );
    }
}

/// Orders of the `days` up to as_of (2026-06-30), as the glossary counts them.
fn window(days: u32) -> String {
    format!(
        "o.order_date > DATE '2026-06-30' - INTERVAL {days} DAY AND o.order_date <= DATE '2026-06-30'"
    )
}

const EAST: &str = "filter=region%3D%E5%8D%8E%E4%B8%9C";

#[tokio::test]
async fn every_board_counts_its_period_as_sql_does() {
    // 客户分布: customers as now, sales of the period per province, within 华东.
    let v = get(&format!("/api/dashboards/map?period=90&{EAST}")).await;
    assert_eq!(v["period"]["days"], 90, "{}", v["period"]);
    assert_eq!(v["period"]["applies"], true);
    assert_eq!(v["period"]["from"], "2026-04-02");
    assert_eq!(v["period"]["to"], "2026-06-30");
    same(
        &shown(&v, "sales"),
        &pairs(&format!(
            "SELECT c.province, sum(o.amount) FROM orders o JOIN customers c ON c.id = o.customer_id \
             WHERE c.region = '华东' AND {} GROUP BY 1",
            window(90)
        )),
        "map sales",
    );
    same(
        &shown(&v, "count"),
        &pairs("SELECT province, count(*) FROM customers WHERE region = '华东' GROUP BY 1"),
        "map customers",
    );
    // Without a period the board is as it was: 年采购额, no period.
    let plain = get("/api/dashboards/map").await;
    assert!(plain.get("period").is_none());
    column(&plain, "sum_annual_purchase");

    // TOP20: ranked by the period's sales.
    let v = get("/api/dashboards/top20?period=30").await;
    let at = column(&v, "sales");
    let got: Vec<f64> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[at].as_f64().unwrap())
        .collect();
    let conn = kesou_indexer::store::open_db(&STORE.paths, kesou_indexer::store::Open::Read)
        .expect("open");
    let mut stmt = conn
        .prepare(&format!(
            "SELECT sum(o.amount) AS s FROM orders o WHERE {} GROUP BY o.customer_id ORDER BY s DESC LIMIT 20",
            window(30)
        ))
        .unwrap();
    let want: Vec<f64> = stmt
        .query_map([], |r| r.get::<_, f64>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert!(close(*g, *w), "top20: {got:?} vs {want:?}");
    }
    // RFM: the period's sales in every segment add up to all of them.
    let v = get("/api/dashboards/rfm?period=365").await;
    let total: f64 = shown(&v, "sales").values().sum();
    let want = number(&format!(
        "SELECT sum(o.amount) FROM orders o WHERE {}",
        window(365)
    ));
    assert!(close(total, want), "rfm: {total} vs {want}");
    // Over a year the orders' sum is 年采购额 itself.
    assert!(close(
        total,
        number("SELECT sum(annual_purchase) FROM customers")
    ));

    // 流失风险预警: each customer's sales of the period and of the period before.
    let v = get("/api/dashboards/churn?period=90&limit=50&offset=0").await;
    assert_eq!(v["period"]["applies"], true);
    let rows = v["rows"].as_array().unwrap();
    let risky = number("SELECT count(*) FROM customers WHERE churn_risk >= 0.7");
    assert!(
        !rows.is_empty(),
        "the fixture has {risky} risky customers, the board {}",
        v["total"]
    );
    let (id, now, prev) = (
        column(&v, "id"),
        column(&v, "sales"),
        column(&v, "sales_prev"),
    );
    let sums = |from: u32, to: u32| {
        pairs(&format!(
            "SELECT customer_id, sum(amount) FROM orders WHERE order_date > DATE '2026-06-30' - INTERVAL {from} DAY \
             AND order_date <= DATE '2026-06-30' - INTERVAL {to} DAY GROUP BY 1"
        ))
    };
    let (want_now, want_prev) = (sums(90, 0), sums(180, 90));
    let mut some = false;
    for r in rows {
        let c = r[id].as_str().unwrap();
        let (n, p) = (r[now].as_f64().unwrap(), r[prev].as_f64().unwrap());
        assert!(
            close(n, want_now.get(c).copied().unwrap_or(0.0)),
            "{c}: {n}"
        );
        assert!(
            close(p, want_prev.get(c).copied().unwrap_or(0.0)),
            "{c}: {p}"
        );
        some |= p > 0.0;
    }
    assert!(some, "some risky customer bought in the period before");

    // The funnel moves its flow.
    let v = get("/api/dashboards/funnel?period=30").await;
    assert_eq!(v["flow"]["period_days"], 30);
    assert_eq!(v["period"]["applies"], true);

    // 区域×行业 has no time: it says so, and its numbers do not move.
    let v = get("/api/dashboards/matrix?period=90").await;
    assert_eq!(v["period"]["applies"], false);
    assert!(
        v["period"]["how"][0]
            .as_str()
            .unwrap()
            .starts_with("期间不适用于此看板"),
        "{}",
        v["period"]
    );
    assert!(
        v["period"]["how"][1]
            .as_str()
            .unwrap()
            .starts_with("The period does not apply"),
    );
    assert_eq!(v["rows"], get("/api/dashboards/matrix").await["rows"]);

    // A saved report takes the period as its range of order dates.
    let (status, r) = post(
        "/api/reports",
        json!({"name": "by-industry", "dimension": "industry"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let v = get("/api/dashboards/by-industry?period=90").await;
    assert_eq!(v["period"]["applies"], true);
    same(
        &shown(&v, "count"),
        &pairs(&format!(
            "SELECT c.industry, count(DISTINCT c.id) FROM customers c JOIN orders o ON o.customer_id = c.id \
             WHERE {} GROUP BY 1",
            window(90)
        )),
        "report over the period",
    );
    // A period is 30, 90 or 365 days.
    for bad in ["7", "x", "-1"] {
        let (status, e) = send(
            Method::GET,
            &format!("/api/dashboards/map?period={bad}"),
            None,
            "en",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }
}

#[tokio::test]
async fn a_report_covers_its_date_range() {
    // From and to, over order dates: the customers who ordered in it.
    let (status, v) = post(
        "/api/reports/preview",
        json!({"dimension": "industry", "range": {"from": "2026-01-01", "to": "2026-03-31"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    same(
        &shown(&v, "count"),
        &pairs(
            "SELECT c.industry, count(DISTINCT c.id) FROM customers c JOIN orders o ON o.customer_id = c.id \
             WHERE o.order_date BETWEEN DATE '2026-01-01' AND DATE '2026-03-31' GROUP BY 1",
        ),
        "from-to",
    );
    assert_eq!(v["range"]["from"], "2026-01-01");
    assert_eq!(v["range"]["words"][0], "订单日期：2026-01-01 至 2026-03-31");
    assert_eq!(
        v["range"]["words"][1],
        "order date: 2026-01-01 to 2026-03-31"
    );
    // The last N days, and a question's sales over them.
    let (status, v) = post(
        "/api/reports/preview",
        json!({"question": "按行业统计销售额", "range": {"last_days": 90}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    same(
        &shown(&v, "sales"),
        &pairs(&format!(
            "SELECT c.industry, sum(o.amount) FROM customers c JOIN orders o ON o.customer_id = c.id \
             WHERE {} GROUP BY 1",
            window(90)
        )),
        "last 90 days",
    );
    assert!(v["range"]["words"][0].as_str().unwrap().contains("近90天"));
    // A date field of the customers: 建档时间 from a day on.
    let (status, v) = post(
        "/api/reports/preview",
        json!({"dimension": "region", "range": {"field": "created_at", "from": "2026-01-01"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    same(
        &shown(&v, "count"),
        &pairs(
            "SELECT region, count(*) FROM customers WHERE CAST(created_at AS DATE) >= DATE '2026-01-01' GROUP BY 1",
        ),
        "created_at",
    );
    // Saved, the range stays; the page's period then does not apply to it, and says so.
    let (status, r) = post(
        "/api/reports",
        json!({"name": "q1-industry", "dimension": "industry", "range": {"from": "2026-01-01", "to": "2026-03-31"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let saved = get("/api/reports/q1-industry").await;
    assert_eq!(saved["spec"]["range"]["to"], "2026-03-31");
    let v = get("/api/dashboards/q1-industry?period=30").await;
    assert_eq!(v["period"]["applies"], false);
    assert!(
        v["period"]["how"][0]
            .as_str()
            .unwrap()
            .contains("2026-01-01 至 2026-03-31")
    );
    assert_eq!(v["range"]["to"], "2026-03-31");
    // Refused, with what was wrong, in both languages.
    for (range, zh, en) in [
        (
            json!({"from": "2026-05-01", "to": "2026-04-01"}),
            "开始日期 2026-05-01 晚于结束日期 2026-04-01",
            "from 2026-05-01 is after to 2026-04-01",
        ),
        (
            json!({"from": "2026-02-30"}),
            "「2026-02-30」不是有效日期",
            "\"2026-02-30\" is not a date",
        ),
        (
            json!({"field": "region", "last_days": 30}),
            "「region」不是日期字段",
            "\"region\" is not a date field",
        ),
        (
            json!({"from": "2026-01-01", "last_days": 30}),
            "只能选一种",
            "not both",
        ),
        (json!({"last_days": 0}), "1 到 3650", "between 1 and 3650"),
        (json!({}), "请给出开始日期", "give a from date"),
    ] {
        let body = json!({"dimension": "industry", "range": range});
        let (status, e) = send(
            Method::POST,
            "/api/reports/preview",
            Some(body.clone()),
            "en",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{range}: {e}");
        let message = e["error"]["message"].as_str().unwrap();
        assert!(message.contains(en), "{message}");
        let (_, e) = send(Method::POST, "/api/reports/preview", Some(body), "zh-CN").await;
        let message = e["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("日期范围：") && message.contains(zh),
            "{message}"
        );
    }
}

#[tokio::test]
async fn combined_dashboards_are_saved_listed_opened_changed_and_deleted() {
    for (name, spec) in [
        (
            "c-industry",
            json!({"dimension": "industry", "title": "各行业客户"}),
        ),
        (
            "c-size",
            json!({"dimension": "size", "range": {"last_days": 90}}),
        ),
    ] {
        let mut spec = spec;
        spec["name"] = json!(name);
        let (status, r) = post("/api/reports", spec).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
    }
    let (status, v) = post(
        "/api/combos",
        json!({"name": "晨会", "title": "华东晨会", "boards": ["c-industry", "map", "c-size"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["owner"], "demo", "{v}");
    let list = get("/api/combos").await;
    let listed = list["combos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "晨会")
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(listed["boards"], json!(["c-industry", "map", "c-size"]));
    let v = get("/api/combos/%E6%99%A8%E4%BC%9A").await;
    assert_eq!(v["title"], "华东晨会");
    let titles: Vec<&str> = v["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["各行业客户", "客户分布热力图", "c-size"]);
    assert_eq!(v["charts"][1]["chart"], "map");
    // Embedded with a link's filter: every board of it within 华东.
    let (status, t) = post(
        "/api/embed-tokens",
        json!({"dashboard": "晨会", "filters": ["region=华东"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let token = t["token"].as_str().unwrap();
    let v = get(&format!("/api/embed/%E6%99%A8%E4%BC%9A?token={token}")).await;
    assert_eq!(v["combo"], true, "{v}");
    let shown_boards: Vec<&str> = v["boards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(shown_boards, ["c-industry", "map", "c-size"]);
    let east = number("SELECT count(*) FROM customers WHERE region = '华东'");
    let industries: f64 = shown(&v["boards"][0], "count").values().sum();
    assert_eq!(industries, east);
    assert!(
        shown(&v["boards"][1], "count")
            .keys()
            .all(|p| !p.is_empty())
    );
    // Changed: saved again under its name, in another order.
    let (status, _) = post(
        "/api/combos",
        json!({"name": "晨会", "title": "华东晨会", "boards": ["c-size", "c-industry"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let v = get("/api/combos/%E6%99%A8%E4%BC%9A").await;
    assert_eq!(v["boards"], json!(["c-size", "c-industry"]));
    // A backup carries it, as it carries the reports: restored, it is there as saved.
    let req = Request::builder()
        .uri("/api/backup")
        .body(Body::empty())
        .unwrap();
    let res = app(STORE.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let archive = res.into_body().collect().await.unwrap().to_bytes();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("store.tar");
    std::fs::write(&file, &archive).unwrap();
    let restored = StorePaths::new(dir.path().join("restored"));
    kesou_backup::restore(
        &file,
        &restored,
        &kesou_backup::RestoreOptions { force: false },
    )
    .expect("restore");
    let conn =
        kesou_indexer::store::open_db(&restored, kesou_indexer::store::Open::Read).expect("open");
    let (title, boards): (String, String) = conn
        .query_row(
            "SELECT title, spec FROM saved_dashboards WHERE name = '晨会'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(title, "华东晨会");
    assert_eq!(boards, r#"["c-size","c-industry"]"#);
    // Refused: nothing, too much, unknown boards, twice the same, reserved names.
    for (body, says) in [
        (json!({"name": "x", "boards": []}), "1 to 12"),
        (
            json!({"name": "x", "boards": ["nope"]}),
            "no board or saved report",
        ),
        (json!({"name": "x", "boards": ["map", "map"]}), "twice"),
        (json!({"name": "new", "boards": ["map"]}), "reserved"),
        (json!({"name": "map", "boards": ["map"]}), "built-in"),
        (
            json!({"name": "c-size", "boards": ["map"]}),
            "saved report's name",
        ),
        (json!({"name": "a b", "boards": ["map"]}), "use 1 to 64"),
        (
            json!({"name": "x", "boards": ["map", "top20", "churn", "funnel", "rfm", "matrix", "c-size", "c-industry", "by-a", "by-b", "by-c", "by-d", "by-e"]}),
            "1 to 12",
        ),
    ] {
        let (status, e) = post("/api/combos", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {e}");
        let message = e["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{body}: {message}");
    }
    // A report deleted since is named where its chart was.
    let (status, _) = send(Method::DELETE, "/api/reports/c-industry", None, "en").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let v = get("/api/combos/%E6%99%A8%E4%BC%9A").await;
    assert_eq!(
        v["charts"][1],
        json!({"name": "c-industry", "missing": true})
    );
    // Deleted, it is gone, in either language.
    let (status, _) = send(Method::DELETE, "/api/combos/%E6%99%A8%E4%BC%9A", None, "en").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, e) = send(Method::GET, "/api/combos/%E6%99%A8%E4%BC%9A", None, "zh").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(e["error"]["message"], "没有名为「晨会」的组合看板");
    let (status, _) = send(Method::DELETE, "/api/combos/%E6%99%A8%E4%BC%9A", None, "en").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

//! The HTTP API in process: `app()` driven with `oneshot` over a generated store (2,000
//! customers, seed 7, as_of 2026-06-30), good requests and bad ones.

use std::sync::LazyLock;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use kesou_dashboards::{AppState, Grant, ServerConfig, Signer, app};
use kesou_indexer::StorePaths;
use serde_json::{Value, json};
use tower::ServiceExt;

const KEY: &[u8] = b"a test key of at least thirty-two bytes";

struct Store {
    _dir: tempfile::TempDir,
    paths: StorePaths,
    state: AppState,
}

static STORE: LazyLock<Store> = LazyLock::new(|| {
    let (dir, paths, state) = generated(2_000, 7);
    Store {
        _dir: dir,
        paths,
        state,
    }
});

/// A generated store (as_of 2026-06-30) in a temporary folder, opened for serving.
fn generated(customers: usize, seed: u64) -> (tempfile::TempDir, StorePaths, AppState) {
    let kesou_testkit::GeneratedStore { dir, paths, .. } =
        kesou_testkit::generated_store(customers, seed);
    let state = AppState::open(&ServerConfig {
        data: paths.clone(),
        demo: true,
        embed_key: Some(KEY.to_vec()),
        public_url: "http://kesou.test".into(),
        watch_first_retry: None,
    })
    .expect("open");
    (dir, paths, state)
}

struct Reply {
    status: StatusCode,
    content_type: String,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The error code of an error reply, checking its shape.
    fn error(&self) -> String {
        let v = self.json();
        let message = v["error"]["message"].as_str().expect("a message");
        assert!(!message.is_empty());
        for internal in ["duckdb", "tantivy", "panicked", "src/"] {
            assert!(!message.contains(internal), "leaks internals: {message}");
        }
        v["error"]["code"].as_str().expect("a code").to_string()
    }
}

async fn send(method: Method, uri: &str, body: Option<Body>) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req.body(body.unwrap_or_else(Body::empty)).unwrap();
    let res = app(STORE.state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        content_type,
        headers,
        body,
    }
}

async fn get(uri: &str) -> Reply {
    send(Method::GET, uri, None).await
}

async fn post(uri: &str, body: Value) -> Reply {
    send(Method::POST, uri, Some(Body::from(body.to_string()))).await
}

async fn post_raw(uri: &str, body: impl Into<Body>) -> Reply {
    send(Method::POST, uri, Some(body.into())).await
}

/// Counts customers with hand SQL, to check answers against.
fn count(sql: &str) -> u64 {
    let conn = kesou_indexer::store::open_db(&STORE.paths, kesou_indexer::store::Open::Read)
        .expect("open");
    conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64
}

#[tokio::test]
async fn health_reports_the_store() {
    let r = get("/api/health").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["customers"], 2000);
    assert_eq!(v["as_of"], "2026-06-30");
    assert_eq!(v["demo"], true);
    assert_eq!(v["semantic"]["stage"], "off", "no model: words only");
}

#[tokio::test]
async fn health_shows_how_far_a_background_embedding_has_got() {
    use kesou_indexer::Progress;
    use kesou_query::semantic::{Background, Stage};
    let (_dir, _paths, state) = generated(40, 3);
    let background = std::sync::Arc::new(Background::default());
    state.watch_semantic(std::sync::Arc::clone(&background));
    let (status, v) = send_to(&state, Method::GET, "/api/health", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["semantic"]["stage"], "waiting");
    {
        let phase = background.phase("embedding notes", Some(400));
        phase.advance(120);
        let (_, v) = send_to(&state, Method::GET, "/api/health", "").await;
        assert_eq!(v["semantic"]["stage"], "embedding");
        assert_eq!(v["semantic"]["done"], 120);
        assert_eq!(v["semantic"]["total"], 400);
    }
    background.set_stage(
        Stage::Failed,
        Some("the model file could not be read".into()),
    );
    let (_, v) = send_to(&state, Method::GET, "/api/health", "").await;
    assert_eq!(v["semantic"]["stage"], "failed");
    assert_eq!(v["semantic"]["message"], "the model file could not be read");
}

#[tokio::test]
async fn ask_answers_with_the_contract_and_chips() {
    let q = "检索华东地区年采购额超百万的制造类客户";
    let r = post("/api/ask", json!({"q": q})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let expected = count(
        "SELECT count(*) FROM customers WHERE region = '华东' AND annual_purchase > 1000000 AND industry = '制造'",
    );
    assert_eq!(v["total"], expected);
    assert!(expected > 0, "the fixture has such customers");
    assert_eq!(v["kind"], "list");
    assert_eq!(v["columns"][0]["name"], "id");
    assert_eq!(v["rows"].as_array().unwrap().len() as u64, expected.min(20));
    assert!(v["explain"].as_str().unwrap().contains("华东"));
    let chips = v["chips"].as_array().unwrap();
    let labels: Vec<&str> = chips.iter().map(|c| c["label"].as_str().unwrap()).collect();
    assert_eq!(labels.len(), 3, "{labels:?}");
    for chip in chips {
        let span = &chip["span"];
        let (start, end) = (
            span["start"].as_u64().unwrap() as usize,
            span["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&q[start..end], span["text"].as_str().unwrap());
        assert_eq!(chip["part"], "filter");
    }
    assert!(v["took_ms"].as_f64().is_some());
}

#[tokio::test]
async fn a_dropped_chip_widens_the_answer() {
    let q = "华东地区的科技客户";
    let both = post("/api/ask", json!({"q": q})).await.json();
    let filters = both["interpretation"]["filters"].as_array().unwrap();
    let region = filters
        .iter()
        .position(|f| f["field"] == "region")
        .expect("a region filter");
    let without = post("/api/ask", json!({"q": q, "drop": [region]}))
        .await
        .json();
    assert_eq!(
        without["total"],
        count("SELECT count(*) FROM customers WHERE industry = '科技'")
    );
    assert!(without["total"].as_u64() > both["total"].as_u64());
    // The edited interpretation itself can be sent back.
    let mut edited = both["interpretation"].clone();
    edited["filters"].as_array_mut().unwrap().remove(region);
    let again = post("/api/ask", json!({"q": q, "query": edited}))
        .await
        .json();
    assert_eq!(again["total"], without["total"]);
    let bad = post("/api/ask", json!({"q": q, "drop": [7]})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error(), "bad_request");
}

#[tokio::test]
async fn pages_are_disjoint_and_sorting_follows_the_column() {
    let q = "华东的客户";
    let first = post("/api/ask", json!({"q": q, "limit": 10})).await.json();
    let a = post("/api/ask", json!({"q": q, "limit": 5})).await.json();
    let b = post("/api/ask", json!({"q": q, "limit": 5, "offset": 5}))
        .await
        .json();
    let rows = |v: &Value| v["rows"].as_array().unwrap().clone();
    let mut paged = rows(&a);
    paged.extend(rows(&b));
    assert_eq!(paged, rows(&first));
    assert_eq!(a["total"], first["total"]);

    let sorted = post(
        "/api/ask",
        json!({"q": q, "sort": {"by": "employees", "desc": true}, "limit": 50}),
    )
    .await
    .json();
    let at = sorted["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["name"] == "employees")
        .expect("the sort column is shown");
    let values: Vec<i64> = rows(&sorted)
        .iter()
        .map(|r| r[at].as_i64().unwrap_or(i64::MIN))
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    let max = count("SELECT max(employees) FROM customers WHERE region = '华东'");
    assert_eq!(values[0] as u64, max);
}

#[tokio::test]
async fn bad_questions_and_bodies_are_user_errors() {
    let cases: Vec<(Reply, StatusCode, &str)> = vec![
        (
            post_raw("/api/ask", "{\"q\": \"华东").await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            post_raw("/api/ask", "not json at all").await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            post("/api/ask", json!({"question": "华东"})).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            post("/api/ask", json!({"q": ""})).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            post("/api/ask", json!({"q": "？？ ！！"})).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            post("/api/ask", json!({"q": "华东".repeat(400)})).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (
            post("/api/ask", json!({"q": "x".repeat(300_000)})).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (
            post("/api/ask", json!({"q": "asdfgh qwerty"})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_question",
        ),
        (
            post("/api/ask", json!({"q": "华东", "limit": 0})).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            post(
                "/api/ask",
                json!({"q": "华东", "sort": {"by": "no_such_column"}}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            post(
                "/api/search",
                json!({"q": "新能源", "filters": ["colour=red"]}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            post("/api/search", json!({"q": "新能源", "facets": ["colour"]})).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            get("/api/customers/C9999999/similar").await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            get("/api/customers/C0000001/similar?k=zero").await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            get("/api/no/such/thing").await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            get("/api/ask").await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ];
    for (i, (reply, status, code)) in cases.iter().enumerate() {
        assert_eq!(reply.status, *status, "case {i}: {}", reply.text());
        assert!(
            reply.content_type.starts_with("application/json"),
            "case {i}"
        );
        assert_eq!(reply.error(), *code, "case {i}");
    }
}

#[tokio::test]
async fn export_writes_every_row_as_csv() {
    let q = "浙江的制造业客户";
    let answer = post("/api/ask", json!({"q": q})).await.json();
    let r = post("/api/export", json!({"q": q})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.starts_with("text/csv"));
    assert!(
        r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let text = r.text();
    assert!(text.starts_with('\u{feff}'), "a byte-order mark for Excel");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let labels: Vec<&str> = answer["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(header, labels);
    assert_eq!(
        reader.records().count() as u64,
        answer["total"].as_u64().unwrap()
    );
    assert!(
        answer["total"].as_u64().unwrap() > 20,
        "more rows than a page"
    );
}

#[tokio::test]
async fn search_filters_and_counts_facets() {
    let r = post(
        "/api/search",
        json!({"q": "", "filters": ["region=华东", "annual_purchase>=100000"], "facets": ["industry"], "limit": 5}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let expected =
        count("SELECT count(*) FROM customers WHERE region = '华东' AND annual_purchase >= 100000");
    assert_eq!(v["total"], expected);
    assert_eq!(v["facets"][0]["field"], "industry");
    assert_eq!(v["hits"].as_array().unwrap().len() as u64, expected.min(5));
    let facet_total: u64 = v["facets"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["count"].as_u64().unwrap())
        .sum();
    assert_eq!(facet_total, expected);
}

#[tokio::test]
async fn similar_customers_come_with_reasons() {
    let r = get("/api/customers/C0000001/similar?k=5").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    let reasons = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["name"] == "reasons")
        .unwrap();
    assert!(
        rows.iter().all(|r| r[0] != "C0000001"),
        "the seed is not its own match"
    );
    assert!(
        rows.iter()
            .all(|r| !r[reasons].as_array().unwrap().is_empty())
    );
}

#[tokio::test]
async fn embed_tokens_open_one_dashboard_until_they_expire() {
    let made = post(
        "/api/embed-tokens",
        json!({"dashboard": "top20", "filters": ["region=华东"], "expires_in": 3600}),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let v = made.json();
    let token = v["token"].as_str().unwrap();
    assert_eq!(
        v["url"],
        format!("http://kesou.test/embed/top20?token={token}")
    );
    let signer = Signer::new(KEY.to_vec());
    let grant = signer.verify(token, "top20", 0).unwrap();
    assert_eq!(grant.filters, vec!["region=华东"]);

    let expired = signer.sign(&Grant::local(
        "top20".into(),
        vec![],
        chrono::Utc::now().timestamp() - 1,
    ));
    for uri in [
        "/embed/top20".to_string(),
        "/embed/top20?token=".to_string(),
        "/embed/top20?token=abc.def".to_string(),
        format!("/embed/map?token={token}"),
        format!("/embed/top20?token={expired}"),
    ] {
        let r = get(&uri).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(r.content_type.starts_with("text/html"));
        assert!(r.text().contains("id=\"refused\""), "{uri}");
    }

    for bad in [
        json!({"dashboard": "nope"}),
        json!({"dashboard": "top20", "expires_in": 0}),
        json!({"dashboard": "top20", "filters": ["colour=red"]}),
    ] {
        let r = post("/api/embed-tokens", bad.clone()).await;
        assert!(r.status.is_client_error(), "{bad}");
        r.error();
    }
}

/// Every path the OpenAPI document lists is routed, and every route is in the document.
#[tokio::test]
async fn the_openapi_document_matches_the_routes() {
    let r = get("/api/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    let paths = doc["paths"].as_object().unwrap();
    for (path, ops) in paths {
        let uri = path.replace("{id}", "C0000001").replace("{name}", "top20");
        for method in ops.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let body = (method == Method::POST).then(|| Body::from("{}"));
            let reply = send(method.clone(), &uri, body).await;
            let fallback = reply.status == StatusCode::NOT_FOUND
                && reply.content_type.starts_with("application/json")
                && reply.text().contains("no such endpoint");
            assert!(!fallback, "{method} {path} is documented but not routed");
            assert_ne!(
                reply.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
        }
    }
    // Routes as the router declares them (relative to /api when nested).
    let source = include_str!("../src/lib.rs");
    for line in source.lines().filter(|l| l.contains(".route(\"")) {
        let route = line.split('"').nth(1).unwrap();
        let full = if route.starts_with("/assets") || route == "/" || route.starts_with("/embed/") {
            route.to_string()
        } else {
            format!("/api{route}")
        };
        if full == "/" || full.starts_with("/assets") {
            continue;
        }
        assert!(
            paths.contains_key(&full),
            "{full} is routed but not documented"
        );
    }
}

#[tokio::test]
async fn a_profile_has_the_row_and_the_history() {
    let r = get("/api/customers/C0000002").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let text = r.text();
    assert!(text.contains("C0000002"));
    let v = r.json();
    let orders = count("SELECT count(*) FROM orders WHERE customer_id = 'C0000002'");
    assert_eq!(v["orders"]["total"], orders, "{v}");
    let missing = get("/api/customers/C9999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error(), "not_found");
    let odd = get("/api/customers/%00%01").await;
    assert_eq!(odd.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn suggestions_complete_what_was_typed() {
    let r = get("/api/suggest?q=%E5%8D%8E%E4%B8%9C%E7%A7%91").await; // 华东科
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let list = v["suggestions"].as_array().unwrap();
    assert!(!list.is_empty() && list.len() <= 10);
    assert!(
        list.iter()
            .any(|s| s["text"].as_str().unwrap().starts_with("华东科")),
        "{list:?}"
    );
    let empty = get("/api/suggest?q=").await.json();
    assert!(
        !empty["suggestions"].as_array().unwrap().is_empty(),
        "example questions"
    );
    let long = format!("/api/suggest?q={}", "a".repeat(600));
    assert_eq!(get(&long).await.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_fields_name_dimensions_and_measures() {
    let v = get("/api/fields").await.json();
    let fields = v["fields"].as_array().unwrap();
    let find = |n: &str| fields.iter().find(|f| f["name"] == n).unwrap().clone();
    assert_eq!(find("industry")["dimension"], true);
    assert_eq!(find("annual_purchase")["measure"], true);
    assert_eq!(find("annual_purchase")["dimension"], false);
}

#[tokio::test]
async fn dashboards_answer_and_fixed_filters_narrow_them() {
    let list = get("/api/dashboards").await.json();
    let names: Vec<&str> = list["dashboards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    for name in [
        "map",
        "top20",
        "churn",
        "funnel",
        "rfm",
        "matrix",
        "opportunity",
    ] {
        assert!(names.contains(&name), "{names:?}");
        let r = get(&format!("/api/dashboards/{name}")).await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.text());
    }
    let map = get("/api/dashboards/map").await.json();
    assert_eq!(map["chart"], "map");
    let total: u64 = map["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_u64().unwrap())
        .sum();
    assert_eq!(total, 2000, "every customer is on the map once");
    let east = get("/api/dashboards/map?filter=region%3D%E5%8D%8E%E4%B8%9C").await;
    assert_eq!(east.status, StatusCode::OK, "{}", east.text());
    let east_total: u64 = east.json()["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_u64().unwrap())
        .sum();
    assert_eq!(
        east_total,
        count("SELECT count(*) FROM customers WHERE region = '华东'")
    );
    let churn = get("/api/dashboards/churn").await.json();
    assert!(
        churn["note"]
            .as_str()
            .unwrap()
            .contains("kesou train churn"),
        "until churn_risk is computed the board says so"
    );
    assert_eq!(
        get("/api/dashboards/nope").await.status,
        StatusCode::NOT_FOUND
    );
    let bad = get("/api/dashboards/map?filter=colour%3Dred").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error(), "bad_request");
}

#[tokio::test]
async fn reports_are_previewed_saved_listed_and_deleted() {
    let spec = json!({"title": "华东各行业客户数", "dimension": "industry",
        "measure": {"agg": "count"}, "filters": ["region=华东"]});
    let preview = post("/api/reports/preview", spec.clone()).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
    let rows = preview.json()["rows"].as_array().unwrap().clone();
    let sum: u64 = rows.iter().map(|r| r[1].as_u64().unwrap()).sum();
    assert_eq!(
        sum,
        count("SELECT count(*) FROM customers WHERE region = '华东'")
    );

    let mut named = spec.clone();
    named["name"] = json!("east-industry-api");
    let saved = post("/api/reports", named.clone()).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text());
    let list = get("/api/dashboards").await.text();
    assert!(list.contains("east-industry-api"));
    let shown = get("/api/dashboards/east-industry-api").await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.json()["rows"].as_array().unwrap().len(), rows.len());

    let mut builtin = spec.clone();
    builtin["name"] = json!("top20");
    assert_eq!(
        post("/api/reports", builtin).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut unknown = spec.clone();
    unknown["name"] = json!("x");
    unknown["dimension"] = json!("colour");
    assert_eq!(
        post("/api/reports", unknown).await.status,
        StatusCode::BAD_REQUEST
    );

    let gone = send(Method::DELETE, "/api/reports/east-industry-api", None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert!(
        !get("/api/dashboards")
            .await
            .text()
            .contains("east-industry-api")
    );
    let again = send(Method::DELETE, "/api/reports/east-industry-api", None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn embed_data_needs_its_token_and_keeps_its_filters() {
    let signer = Signer::new(KEY.to_vec());
    let token = signer.sign(&Grant::local(
        "map".into(),
        vec!["region=华南".into()],
        chrono::Utc::now().timestamp() + 600,
    ));
    let r = get(&format!("/api/embed/map?token={token}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let total: u64 = r.json()["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_u64().unwrap())
        .sum();
    assert_eq!(
        total,
        count("SELECT count(*) FROM customers WHERE region = '华南'")
    );
    // The viewer cannot widen it: extra filters are refused, not merged.
    let wider = get(&format!(
        "/api/embed/map?token={token}&filter=region%3D%E5%8D%8E%E4%B8%9C"
    ))
    .await;
    assert!(wider.status.is_client_error());
    for uri in [
        "/api/embed/map".to_string(),
        format!("/api/embed/top20?token={token}"),
    ] {
        let r = get(&uri).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(r.error(), "unauthorized");
    }
}

/// A store of its own (the shared one must not change under the other tests).
fn own_state(customers: usize) -> (tempfile::TempDir, AppState) {
    let (dir, _, state) = generated(customers, 11);
    (dir, state)
}

async fn send_to(state: &AppState, method: Method, uri: &str, body: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn an_ingested_batch_is_visible_to_the_next_request() {
    let (_dir, state) = own_state(300);
    let row = json!({"op": "upsert", "table": "customers", "row": {
        "id": "C9000001", "name": "杭州澜舟氢能科技有限公司", "credit_code": "91330100MA27XL8T04",
        "region": "华东", "province": "浙江省", "city": "杭州市", "industry": "科技", "size": "小型",
        "employees": 80, "registered_capital": 5000000, "founded_date": "2019-05-01",
        "owner": "王磊", "description": "专注氢燃料电池电堆研发"}});
    let order = json!({"op": "upsert", "table": "orders", "row": {
        "id": "O9000001", "customer_id": "C9000001", "order_date": "2026-06-01",
        "amount": 1500000, "product": "电堆"}});
    let bad = json!({"op": "upsert", "table": "customers", "row": {"id": "C9000002", "name": "缺代码公司"}});
    let body = format!("{row}\n{order}\n{bad}\n");
    let (status, v) = send_to(&state, Method::POST, "/api/ingest", &body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["read"], 3);
    assert_eq!(v["applied"], 2, "{v:#}");
    assert_eq!(v["rejected"].as_array().unwrap().len(), 1);
    assert_eq!(v["rejected"][0]["line"], 3, "{v}");

    let (_, answer) = send_to(
        &state,
        Method::POST,
        "/api/ask",
        &json!({"q": "澜舟氢能"}).to_string(),
    )
    .await;
    assert_eq!(answer["total"], 1, "{answer}");
    assert_eq!(answer["rows"][0][0], "C9000001");
    let (_, profile) = send_to(&state, Method::GET, "/api/customers/C9000001", "").await;
    assert_eq!(profile["orders"]["total"], 1, "{profile}");

    let (status, v) = send_to(
        &state,
        Method::POST,
        "/api/ingest",
        "{\"op\":\"delete\",\"id\":\"C9000001\"}\n",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, _) = send_to(&state, Method::GET, "/api/customers/C9000001", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A line that is not a change is rejected with its number; the others still apply.
    for bad in [
        "{\"op\":\"upsert\"",
        "{\"op\":\"explode\",\"id\":\"C1\"}",
        "[1, 2]",
    ] {
        let (status, v) = send_to(&state, Method::POST, "/api/ingest", bad).await;
        assert_eq!(status, StatusCode::OK, "{bad:?}: {v}");
        assert_eq!(v["applied"], 0, "{bad:?}: {v}");
        assert_eq!(v["rejected"][0]["line"], 1, "{bad:?}: {v}");
    }
    let (status, v) = send_to(&state, Method::POST, "/api/ingest", "\n\n").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "bad_request");
}

/// A sum or any number by hand SQL.
fn number(sql: &str) -> f64 {
    let conn = kesou_indexer::store::open_db(&STORE.paths, kesou_indexer::store::Open::Read)
        .expect("open");
    conn.query_row(sql, [], |r| r.get::<_, Option<f64>>(0))
        .unwrap()
        .unwrap_or(0.0)
}

#[tokio::test]
async fn the_overview_counts_what_sql_counts() {
    let r = get("/api/overview").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["as_of"], "2026-06-30");
    let kpi = |key: &str| {
        v["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["key"] == key)
            .unwrap_or_else(|| panic!("no {key} in {v}"))
            .clone()
    };
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    assert_eq!(kpi("customers")["value"].as_f64(), Some(2000.0));
    let purchase = number("SELECT sum(annual_purchase) FROM customers");
    let value = kpi("purchase")["value"].as_f64().unwrap();
    assert!(close(value, purchase), "{value} vs {purchase}");
    let before = number(
        "SELECT sum(amount) FROM orders WHERE order_date > DATE '2026-06-30' - INTERVAL 730 DAY \
         AND order_date <= DATE '2026-06-30' - INTERVAL 365 DAY",
    );
    assert!(before > 0.0, "the fixture has orders two years back");
    let previous = kpi("purchase")["previous"].as_f64().unwrap();
    assert!(close(previous, before), "{previous} vs {before}");
    let change = kpi("purchase")["change"].as_f64().unwrap();
    assert!(
        (change - (purchase - before) / before).abs() < 1e-6,
        "{change}"
    );
    for (key, sql) in [
        (
            "new",
            "SELECT count(*) FROM customers WHERE CAST(created_at AS DATE) > DATE '2026-06-30' - INTERVAL 365 DAY",
        ),
        (
            "churn_high",
            "SELECT count(*) FROM customers WHERE churn_risk >= 0.7",
        ),
        (
            "high_intent",
            "SELECT count(*) FROM customers WHERE consult_30d >= 5 AND order_count = 0",
        ),
    ] {
        let expected = count(sql);
        assert!(
            expected > 0 || key == "churn_high",
            "{key}: the fixture has some"
        );
        assert_eq!(kpi(key)["value"].as_f64(), Some(expected as f64), "{key}");
    }
    assert_eq!(kpi("churn_high")["link"], "#/dashboard/churn");
    // The fixture's churn risk was never computed: the figure says so.
    assert!(
        kpi("churn_high")["note"][0]
            .as_str()
            .unwrap()
            .contains("尚未计算")
    );
    assert!(kpi("new")["note"].is_null());
    // A figure's link asks a question whose answer lists as many customers.
    for key in ["new", "high_intent"] {
        let link = kpi(key)["link"].as_str().unwrap().to_owned();
        let q = link.strip_prefix("#/ask?q=").expect("a question link");
        let q = percent_decode(q);
        let answer = post("/api/ask", json!({ "q": q })).await.json();
        assert_eq!(
            answer["total"].as_f64(),
            kpi(key)["value"].as_f64(),
            "{key}: {q} → {answer}"
        );
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

async fn get_in(uri: &str, language: &str) -> Reply {
    let req = Request::builder()
        .uri(uri)
        .header(header::ACCEPT_LANGUAGE, language)
        .body(Body::empty())
        .unwrap();
    let res = app(STORE.state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        content_type: String::new(),
        headers,
        body,
    }
}

#[tokio::test]
async fn errors_come_in_the_language_asked_for() {
    let zh = get_in("/api/customers/C0999999", "zh-CN,zh;q=0.9").await;
    assert_eq!(zh.status, StatusCode::NOT_FOUND);
    assert_eq!(zh.error(), "not_found");
    let v = zh.json();
    assert_eq!(v["error"]["message"], "没有编号为 C0999999 的客户", "{v}");
    assert!(v["error"]["detail"].as_str().unwrap().contains("C0999999"));
    let en = get_in("/api/customers/C0999999", "en-US,en;q=0.9").await;
    let v = en.json();
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.is_ascii() && message.contains("C0999999"), "{v}");
    assert!(v["error"].get("detail").is_none());
    // A bad embed token reads Chinese too.
    let token = get_in("/api/embed/map?token=forged", "zh").await;
    assert_eq!(token.error(), "unauthorized");
    let message = token.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("令牌"), "{message}");
    let board = get_in("/api/dashboards/nothing", "zh").await;
    assert_eq!(
        board.json()["error"]["message"],
        "没有名为「nothing」的看板"
    );
}

#[tokio::test]
async fn the_overview_counts_over_the_period_asked_for() {
    let v = get("/api/overview?period=90&filter=region%3D%E5%8D%8E%E4%B8%9C")
        .await
        .json();
    assert_eq!(v["period_days"], 90, "{v}");
    let kpi = |key: &str| {
        v["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["key"] == key)
            .unwrap()
            .clone()
    };
    let sales = |from: u32, to: u32| {
        number(&format!(
            "SELECT sum(o.amount) FROM orders o JOIN customers c ON c.id = o.customer_id \
             WHERE c.region = '华东' AND o.order_date > DATE '2026-06-30' - INTERVAL {from} DAY \
             AND o.order_date <= DATE '2026-06-30' - INTERVAL {to} DAY"
        ))
    };
    let (now, before) = (sales(90, 0), sales(180, 90));
    assert!(now > 0.0 && before > 0.0);
    let got = kpi("purchase");
    assert!(
        (got["value"].as_f64().unwrap() - now).abs() < 1e-6 * now,
        "{got} vs {now}"
    );
    assert!((got["previous"].as_f64().unwrap() - before).abs() < 1e-6 * before);
    assert_eq!(got["title"], "近90天销售额");
    assert_eq!(
        kpi("customers")["value"].as_f64(),
        Some(count("SELECT count(*) FROM customers WHERE region = '华东'") as f64)
    );
    assert_eq!(
        kpi("new")["value"].as_f64(),
        Some(count(
            "SELECT count(*) FROM customers WHERE region = '华东' AND \
             CAST(created_at AS DATE) > DATE '2026-06-30' - INTERVAL 90 DAY"
        ) as f64)
    );
    let bad = get("/api/overview?period=7").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error(), "bad_request");
}

/// A request with a raw body of `content_type`.
async fn send_bytes(
    state: &AppState,
    method: Method,
    uri: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes))),
    )
}

/// Follows an import until it is no longer running.
async fn finished(state: &AppState, id: &str) -> Value {
    for _ in 0..600 {
        let (status, v) = send_to(state, Method::GET, &format!("/api/imports/{id}"), "").await;
        assert_eq!(status, StatusCode::OK, "{v}");
        if v["state"] != "running" {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the import of {id} did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_is_sent_planned_mapped_loaded_and_its_rejects_downloaded() {
    let (dir, state) = own_state(200);
    // A GBK file of the store's own shape, with a field of its own and one bad row.
    let csv = "客户编号,公司名称,统一社会信用代码,省份,行业,客户来源,合同金额（万元）,打印备注\n\
               K001,杭州恒瑞精密机械有限公司,91330100MA27XL8T04,浙江省,制造,展会,12.5,x\n\
               K002,苏州明达电子科技有限公司,91320500MA1MXXXX1B,江苏省,科技,官网,3,y\n\
               ,,,,,,,\n\
               K003,,,上海市,科技,官网,1,z\n\
               ,,,浙江省,制造,展会,1,w\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    let (status, v) = send_to(&state, Method::POST, "/api/imports", "{}").await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    // Names are plain names of readable files.
    for bad in ["..%2Fkesou.duckdb", "a%2Fb.csv", "x.exe", ".csv"] {
        let (status, v) = send_bytes(
            &state,
            Method::PUT,
            &format!("/api/imports/{id}/files/{bad}"),
            "application/octet-stream",
            b"a,b\n".to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
    let (status, v) = send_bytes(
        &state,
        Method::PUT,
        &format!("/api/imports/{id}/files/%E5%AE%A2%E6%88%B7.csv"),
        "application/octet-stream",
        gbk.into_owned(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["files"][0]["name"], "客户.csv");

    let (status, plan) =
        send_to(&state, Method::POST, &format!("/api/imports/{id}/plan"), "").await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let file = &plan["files"][0];
    assert_eq!(
        file["file"], "客户.csv",
        "no server path reaches the client: {file}"
    );
    assert_eq!(file["table"], "customers");
    assert_eq!(file["encoding"], "GBK/GB18030");
    let target = |plan: &Value, header: &str| {
        plan["files"][0]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["header"] == header)
            .map(|c| c["target"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(target(&plan, "客户来源"), "custom");
    assert_eq!(target(&plan, "打印备注"), "custom");
    assert!(
        plan["targets"]["customers"]
            .as_array()
            .unwrap()
            .contains(&json!("credit_code"))
    );
    assert!(!plan.to_string().contains(&dir.path().display().to_string()));
    // The problems read in the page's language: English for the API, Chinese for the
    // Chinese app, with the particulars kept.
    let reasons = |plan: &Value| -> Vec<String> {
        plan["files"][0]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["reason"].as_str().unwrap().to_owned())
            .collect()
    };
    let english = reasons(&plan);
    assert!(
        english.iter().any(|r| r.contains("fails its check")),
        "{english:?}"
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/imports/{id}/plan"))
        .header(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9")
        .body(Body::empty())
        .unwrap();
    let res = app(state.clone()).oneshot(req).await.unwrap();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let chinese = reasons(&serde_json::from_slice(&bytes).unwrap());
    assert_eq!(chinese.len(), english.len());
    assert!(
        chinese
            .iter()
            .any(|r| r.starts_with("信用代码 \"91320500MA1MXXXX1B\" 校验不通过")),
        "{chinese:?}"
    );

    // A person leaves 打印备注 out; the plan shows it so.
    let mapping =
        json!({"mapping": {"file": [{"name": "客户.csv", "columns": {"打印备注": "ignore"}}]}});
    let (status, plan) = send_to(
        &state,
        Method::POST,
        &format!("/api/imports/{id}/plan"),
        &mapping.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(target(&plan, "打印备注"), "ignore");
    let (status, v) = send_to(
        &state,
        Method::POST,
        &format!("/api/imports/{id}/plan"),
        "{\"mapping\": 3}",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");

    let (status, v) = send_to(
        &state,
        Method::POST,
        &format!("/api/imports/{id}/load"),
        &mapping.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let (status, v) = send_to(&state, Method::POST, &format!("/api/imports/{id}/load"), "").await;
    assert_eq!(status, StatusCode::CONFLICT, "loaded once: {v}");
    let done = finished(&state, &id).await;
    assert_eq!(done["state"], "done", "{done}");
    let s = &done["summary"];
    // Read = loaded + rejected + waiting. K002's bad code and K003's missing name are set
    // aside (the rows load); the row with neither id nor name is rejected.
    assert_eq!(
        (s["loaded"].as_u64(), s["rejected"].as_u64()),
        (Some(3), Some(1)),
        "{s}"
    );
    assert_eq!(s["rejects"], true, "{s}");
    assert_eq!(
        s["rows_read"].as_u64().unwrap(),
        s["loaded"].as_u64().unwrap()
            + s["rejected"].as_u64().unwrap()
            + s["waiting"].as_u64().unwrap(),
        "{s}"
    );
    assert_eq!(
        s["files"][0]["custom_fields"],
        json!(["客户来源", "合同金额（万元）"])
    );
    assert_eq!(s["files"][0]["ignored_columns"], json!(["打印备注"]));

    // Asked about at once, the custom field by its name and the money in 万元 as yuan.
    let (_, answer) = send_to(
        &state,
        Method::POST,
        "/api/ask",
        &json!({"q": "客户来源是展会的客户"}).to_string(),
    )
    .await;
    assert_eq!(answer["total"], 1, "{answer}");
    let (_, answer) = send_to(
        &state,
        Method::POST,
        "/api/ask",
        &json!({"q": "合同金额超过10万的客户"}).to_string(),
    )
    .await;
    assert_eq!(answer["total"], 1, "{answer}");

    {
        let req = Request::builder()
            .uri(format!("/api/imports/{id}/rejects"))
            .body(Body::empty())
            .unwrap();
        let res = app(state.clone()).oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec())
            .unwrap();
        // With a BOM, for Excel.
        assert!(
            text.trim_start_matches('\u{feff}')
                .starts_with("file,line,column,value,reason"),
            "{text}"
        );
        assert!(text.contains("客户.csv"), "{text}");
        assert!(!text.contains(&dir.path().display().to_string()), "{text}");
    }
    // The files are gone from the store's folder once loaded.
    let uploads = dir.path().join("store").join("uploads").join(&id);
    assert!(!uploads.exists(), "{} is left", uploads.display());
}

#[tokio::test]
async fn a_board_is_subscribed_as_a_report_and_sent_now() {
    let (_dir, state) = own_state(300);
    let (status, w) = send_to(
        &state,
        Method::POST,
        "/api/watches",
        &json!({"board": "map", "every": "weekly"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    assert_eq!(w["board"], "map");
    assert_eq!(w["every"], "weekly");
    let id = w["id"].as_i64().unwrap();
    let (status, v) = send_to(
        &state,
        Method::POST,
        "/api/watches",
        &json!({"board": "map", "every": "hourly"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let (status, v) = send_to(
        &state,
        Method::POST,
        "/api/watches",
        &json!({"board": "no-such-board", "every": "daily"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    let (status, v) = send_to(&state, Method::POST, &format!("/api/watches/{id}/send"), "").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v["queued"], 0,
        "no target: rendered and recorded, sent nowhere"
    );
    let (_, v) = send_to(&state, Method::GET, "/api/watches", "").await;
    let listed = v["watches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .cloned()
        .unwrap();
    assert!(
        listed["last_firings"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("报表"),
        "{listed}"
    );
}

#[tokio::test]
async fn a_watch_saved_from_an_answer_fires_after_an_ingested_batch() {
    let (_dir, state) = own_state(300);
    let q = "华东科技客户年采购额超过2000万";
    let (status, w) = send_to(
        &state,
        Method::POST,
        "/api/watches",
        &json!({"question": q, "fire_on": "both"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    let id = w["id"].as_i64().unwrap();
    let before = w["members"].as_u64().unwrap();
    let (status, v) = send_to(
        &state,
        Method::POST,
        "/api/watches",
        &json!({"question": "asdf华东客户"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("asdf"),
        "{v}"
    );
    let row = json!({"op": "upsert", "table": "customers", "row": {
        "id": "C9000001", "name": "杭州澜舟氢能科技有限公司", "credit_code": "91330100MA27XL8T04",
        "region": "华东", "province": "浙江省", "city": "杭州市", "industry": "科技", "size": "小型",
        "owner": "王磊"}});
    let order = json!({"op": "upsert", "table": "orders", "row": {
        "id": "O9000001", "customer_id": "C9000001", "order_date": "2026-06-01",
        "amount": 30000000, "product": "电堆"}});
    let (status, v) = send_to(
        &state,
        Method::POST,
        "/api/ingest",
        &format!("{row}\n{order}\n"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // The watches run after the write, off the request.
    let mut listed = Value::Null;
    for _ in 0..200 {
        let (_, v) = send_to(&state, Method::GET, "/api/watches", "").await;
        listed = v["watches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .cloned()
            .unwrap();
        if !listed["last_firings"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let firing = &listed["last_firings"][0];
    assert_eq!(firing["entered"], 1, "{listed}");
    assert!(
        firing["summary"]
            .as_str()
            .unwrap()
            .contains("新进入 1 家客户"),
        "{listed}"
    );
    assert_eq!(listed["members"].as_u64().unwrap(), before + 1);
    let (status, _) = send_to(&state, Method::DELETE, &format!("/api/watches/{id}"), "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send_to(&state, Method::DELETE, &format!("/api/watches/{id}"), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

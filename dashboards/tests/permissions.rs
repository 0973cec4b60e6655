//! The permission matrix: for each role and each read path, exactly what is visible,
//! masked and hidden, on a fixed generated store (2,000 customers, seed 7, as_of
//! 2026-06-30) served with users (no --demo). Every expectation is counted with hand SQL.
//!
//! Users: admin (管理员), 王芳 (业务员: 华东, and the customers of one salesperson who also
//! has customers elsewhere), 李强 (部门主管 of 华北事业部 = 华北 + 东北), 赵敏 (财务).

use std::collections::HashSet;
use std::sync::LazyLock;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use kesou_access::{Role, User, Users};
use kesou_dashboards::{AppState, ServerConfig, app};
use kesou_indexer::{NoProgress, StorePaths};
use serde_json::{Value, json};
use tower::ServiceExt;

const KEY: &[u8] = b"a test key of at least thirty-two bytes";
const PASSWORD: &str = "a long test password";

struct Fixture {
    _dir: tempfile::TempDir,
    paths: StorePaths,
    state: AppState,
    /// The salesperson whose customers 王芳 also sees (they have customers outside 华东).
    owner: String,
}

fn user(name: &str, role: Role, regions: &[&str], owner: Option<&str>, dept: Option<&str>) -> User {
    User {
        regions: regions.iter().map(|s| s.to_string()).collect(),
        owner: owner.map(str::to_owned),
        department: dept.map(str::to_owned),
        ..User::new(name, role)
    }
}

#[path = "permissions/attacks.rs"]
mod attacks;
#[path = "permissions/combos.rs"]
mod combos;
#[path = "permissions/custom_fields.rs"]
mod custom_fields;
#[path = "permissions/oracle.rs"]
mod oracle;

/// A generated store with users, opened for serving without --demo.
fn fixture(customers: usize, policy: Option<&str>) -> Fixture {
    fixture_with(customers, policy, |_| {})
}

/// The same, with the generated files changed by `edit` before they are ingested.
fn fixture_with(
    customers: usize,
    policy: Option<&str>,
    edit: impl FnOnce(&std::path::Path),
) -> Fixture {
    fixture_served(customers, policy, edit, "http://kesou.test")
}

/// A fixture whose server is reached at `public_url` (its `--url`).
fn fixture_served(
    customers: usize,
    policy: Option<&str>,
    edit: impl FnOnce(&std::path::Path),
    public_url: &str,
) -> Fixture {
    // The cached generated files, copied: `edit` may change them before the ingest.
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("source");
    kesou_testkit::copy_dir(&kesou_testkit::generated_source(customers, 7), &source);
    edit(&source);
    let paths = StorePaths::new(dir.path().join("store"));
    kesou_indexer::ingest(&paths, &[source], &NoProgress).expect("ingest");
    let owner: String = {
        let conn =
            kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read).expect("open");
        conn.query_row(
            "SELECT owner FROM customers WHERE region <> '华东' AND owner IS NOT NULL
             GROUP BY owner ORDER BY count(*) DESC, owner LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    let policy_path = kesou_access::ensure_policy_file(&paths.root).unwrap();
    // Every request of these tests comes from one (unknown) address: its login budget is
    // raised unless a test sets its own.
    let policy = policy.map_or_else(
        || {
            std::fs::read_to_string(&policy_path).unwrap().replace(
                "login_attempts_per_minute = 30",
                "login_attempts_per_minute = 100000",
            )
        },
        str::to_owned,
    );
    std::fs::write(&policy_path, policy).unwrap();
    let mut users = Users::load(&paths.root).unwrap();
    for u in [
        user("admin", Role::Admin, &[], None, None),
        user("王芳", Role::Sales, &["华东"], Some(&owner), None),
        user("李强", Role::Manager, &[], None, Some("华北事业部")),
        user("赵敏", Role::Finance, &[], None, None),
        // only for the lockout test
        user("周杰", Role::Sales, &["华南"], None, None),
    ] {
        users.add(u, PASSWORD).unwrap();
    }
    users.save().unwrap();
    let state = AppState::open(&ServerConfig {
        data: paths.clone(),
        demo: false,
        embed_key: Some(KEY.to_vec()),
        public_url: public_url.into(),
        watch_first_retry: None,
    })
    .expect("open");
    Fixture {
        _dir: dir,
        paths,
        state,
        owner,
    }
}

static F: LazyLock<Fixture> = LazyLock::new(|| fixture(2_000, None));

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
}

async fn send(
    f: &Fixture,
    token: Option<&str>,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let res = app(f.state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

async fn post(f: &Fixture, token: &str, uri: &str, body: Value) -> Reply {
    send(f, Some(token), Method::POST, uri, Some(body)).await
}

async fn get(f: &Fixture, token: &str, uri: &str) -> Reply {
    send(f, Some(token), Method::GET, uri, None).await
}

/// The one value a hand-written query returns.
fn one(f: &Fixture, sql: &str) -> String {
    let conn =
        kesou_indexer::store::open_db(&f.paths, kesou_indexer::store::Open::Read).expect("open");
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

async fn login(f: &Fixture, name: &str) -> String {
    let r = send(
        f,
        None,
        Method::POST,
        "/api/login",
        Some(json!({"name": name, "password": PASSWORD})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    r.json()["token"].as_str().unwrap().to_owned()
}

/// The hand-SQL condition of what a user sees.
fn scope_sql(f: &Fixture, name: &str) -> String {
    match name {
        "王芳" => format!("(region = '华东' OR owner = '{}')", f.owner),
        "李强" => "region IN ('华北', '东北')".into(),
        _ => "TRUE".into(),
    }
}

fn count(f: &Fixture, sql: &str) -> u64 {
    let conn =
        kesou_indexer::store::open_db(&f.paths, kesou_indexer::store::Open::Read).expect("open");
    conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64
}

fn ids(f: &Fixture, sql: &str) -> HashSet<String> {
    let conn =
        kesou_indexer::store::open_db(&f.paths, kesou_indexer::store::Open::Read).expect("open");
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

const USERS: [&str; 4] = ["admin", "王芳", "李强", "赵敏"];

fn column(v: &Value, name: &str) -> Option<usize> {
    v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["name"] == name)
}

#[tokio::test]
async fn without_a_session_nothing_is_answered() {
    let f = &*F;
    for (method, uri, body) in [
        (Method::POST, "/api/ask", Some(json!({"q": "华东客户"}))),
        (Method::POST, "/api/export", Some(json!({"q": "华东客户"}))),
        (Method::POST, "/api/search", Some(json!({"q": "科技"}))),
        (Method::GET, "/api/customers/C0000001", None),
        (Method::GET, "/api/customers/C0000001/similar", None),
        (Method::GET, "/api/dashboards", None),
        (Method::GET, "/api/dashboards/map", None),
        (Method::GET, "/api/suggest?q=%E5%8D%8E", None),
        (Method::GET, "/api/fields", None),
        (Method::GET, "/api/me", None),
        (
            Method::POST,
            "/api/reports/preview",
            Some(json!({"dimension": "region"})),
        ),
        (
            Method::POST,
            "/api/embed-tokens",
            Some(json!({"dashboard": "map"})),
        ),
        (Method::POST, "/api/ingest", Some(json!({}))),
        (Method::POST, "/api/imports", Some(json!({}))),
        (Method::GET, "/api/imports/abc", None),
        (Method::GET, "/api/backup", None),
    ] {
        let r = send(f, None, method, uri, body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}: {}", r.text());
        assert_eq!(r.code(), "unauthorized");
        let r = send(f, Some("forged-token"), Method::GET, "/api/me", None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let health = send(f, None, Method::GET, "/api/health", None).await.json();
    assert_eq!(health["login_required"], true);
    // Up or down, to anyone; what the store holds, only to someone logged in.
    assert_eq!(health["status"], "ok");
    assert!(health.get("customers").is_none(), "{health}");
    let token = login(f, "王芳").await;
    let health = send(f, Some(&token), Method::GET, "/api/health", None)
        .await
        .json();
    assert!(health["customers"].as_u64().is_some(), "{health}");
}

#[tokio::test]
async fn answers_counts_and_lists_keep_to_each_users_rows() {
    let f = &*F;
    for name in USERS {
        let token = login(f, name).await;
        let scope = scope_sql(f, name);
        // a grouped answer: every region's count is the user's own
        let r = post(f, &token, "/api/ask", json!({"q": "按大区统计客户数"})).await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.text());
        let v = r.json();
        let total: u64 = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row[1].as_u64().unwrap())
            .sum();
        assert_eq!(
            total,
            count(f, &format!("SELECT count(*) FROM customers WHERE {scope}")),
            "{name}"
        );
        // a list: its total, and every id listed, within the rows
        let r = post(
            f,
            &token,
            "/api/ask",
            json!({"q": "华南的客户", "limit": 1000}),
        )
        .await;
        let v = r.json();
        let expected = ids(
            f,
            &format!("SELECT id FROM customers WHERE region = '华南' AND {scope}"),
        );
        assert_eq!(
            v["total"].as_u64().unwrap(),
            expected.len() as u64,
            "{name}"
        );
        let at = column(&v, "id").unwrap();
        let got: HashSet<String> = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[at].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, expected, "{name}");
        // the interpretation shown is the question's own, not the scope
        assert!(
            !v["explain"].as_str().unwrap().contains("负责销售"),
            "{name}: {}",
            v["explain"]
        );
    }
}

#[tokio::test]
async fn search_and_facets_count_only_visible_rows() {
    let f = &*F;
    for name in USERS {
        let token = login(f, name).await;
        let scope = scope_sql(f, name);
        let r = post(
            f,
            &token,
            "/api/search",
            json!({"filters": ["industry=科技"], "facets": ["region"], "limit": 1000}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.text());
        let v = r.json();
        let expected = ids(
            f,
            &format!("SELECT id FROM customers WHERE industry = '科技' AND {scope}"),
        );
        assert_eq!(
            v["total"].as_u64().unwrap(),
            expected.len() as u64,
            "{name}"
        );
        let got: HashSet<String> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, expected, "{name}");
        let facet_sum: u64 = v["facets"][0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["count"].as_u64().unwrap())
            .sum();
        assert_eq!(facet_sum, expected.len() as u64, "{name}: {}", v["facets"]);
    }
}

#[tokio::test]
async fn profiles_are_found_masked_or_not_at_all() {
    let f = &*F;
    let outside = ids(
        f,
        &format!(
            "SELECT id FROM customers WHERE NOT {} AND region NOT IN ('华北','东北') AND contact_phone IS NOT NULL LIMIT 1",
            scope_sql(f, "王芳")
        ),
    );
    let outside = outside.into_iter().next().unwrap();
    let inside = ids(f, "SELECT id FROM customers WHERE region = '华北' AND contact_phone IS NOT NULL AND email IS NOT NULL LIMIT 1").into_iter().next().unwrap();
    let phone = one(
        f,
        &format!("SELECT contact_phone FROM customers WHERE id = '{inside}'"),
    );
    let field = |v: &Value, name: &str| -> Option<Value> {
        v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
            .map(|x| x["value"].clone())
    };
    for (name, sees_inside, phone_is) in [
        ("admin", true, "plain"),
        ("李强", true, "masked"),
        ("赵敏", true, "hidden"),
        ("王芳", false, ""),
    ] {
        let token = login(f, name).await;
        let r = get(f, &token, &format!("/api/customers/{inside}")).await;
        if !sees_inside {
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{name}");
            continue;
        }
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.text());
        let v = r.json();
        match phone_is {
            "plain" => assert_eq!(field(&v, "contact_phone").unwrap(), json!(phone)),
            "masked" => {
                let shown = field(&v, "contact_phone").unwrap();
                let shown = shown.as_str().unwrap();
                assert!(shown.contains("****") && shown != phone, "{shown}");
                assert!(
                    field(&v, "email")
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .contains("***@")
                );
            }
            _ => {
                assert!(
                    field(&v, "contact_phone").is_none()
                        && field(&v, "email").is_none()
                        && field(&v, "contact_name").is_none()
                );
                assert!(
                    field(&v, "annual_purchase").is_some(),
                    "finance sees amounts"
                );
            }
        }
        assert!(
            !r.text().contains(&phone) || phone_is == "plain",
            "{name} sees the phone"
        );
    }
    // 王芳 cannot see a customer of another region by id, nor its similar customers
    let token = login(f, "王芳").await;
    for uri in [
        format!("/api/customers/{outside}"),
        format!("/api/customers/{outside}/similar"),
    ] {
        let r = get(f, &token, &uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}: {}", r.text());
    }
}

#[tokio::test]
async fn similar_customers_and_suggestions_stay_inside() {
    let f = &*F;
    let token = login(f, "王芳").await;
    let scope = scope_sql(f, "王芳");
    let visible = ids(f, &format!("SELECT id FROM customers WHERE {scope}"));
    let seed = ids(
        f,
        "SELECT id FROM customers WHERE region = '华东' ORDER BY id LIMIT 1",
    )
    .into_iter()
    .next()
    .unwrap();
    let r = get(f, &token, &format!("/api/customers/{seed}/similar?k=50")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let at = column(&v, "id").unwrap();
    assert_eq!(v["rows"].as_array().unwrap().len(), 50);
    for row in v["rows"].as_array().unwrap() {
        assert!(visible.contains(row[at].as_str().unwrap()), "{row}");
    }
    // a customer name outside: the admin is offered it, 王芳 is not
    let name = one(
        f,
        &format!(
            "SELECT name FROM customers WHERE NOT {scope} ORDER BY total_purchase DESC NULLS LAST LIMIT 1"
        ),
    );
    let prefix: String = name.chars().take(4).collect();
    let uri = format!("/api/suggest?q={}", urlencode(&prefix));
    let admin = login(f, "admin").await;
    let offered = |v: Value| -> bool {
        v["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["text"] == name.as_str())
    };
    assert!(
        offered(get(f, &admin, &uri).await.json()),
        "admin is offered {name}"
    );
    assert!(
        !offered(get(f, &token, &uri).await.json()),
        "王芳 is offered {name}"
    );
    // no other salesperson is offered to 王芳
    let other = one(
        f,
        &format!(
            "SELECT owner FROM customers WHERE owner <> '{}' GROUP BY owner ORDER BY count(*) DESC LIMIT 1",
            f.owner
        ),
    );
    let uri = format!("/api/suggest?q={}", urlencode(&other));
    let v = get(f, &token, &uri).await.json();
    assert!(!v.to_string().contains(&format!("={other}")), "{v}");
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test]
async fn dashboards_exports_and_embeds_keep_to_the_rows_of_their_maker() {
    let f = &*F;
    for name in USERS {
        let token = login(f, name).await;
        let scope = scope_sql(f, name);
        let r = get(f, &token, "/api/dashboards/map").await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.text());
        let answer = r.json();
        let at = column(&answer, "count").unwrap_or(1);
        let sum: u64 = answer["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[at].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(
            sum,
            count(f, &format!("SELECT count(*) FROM customers WHERE {scope}")),
            "{name}"
        );
        // an export: every row inside
        let r = post(f, &token, "/api/export", json!({"q": "制造业客户"})).await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.text());
        let lines = r.text().lines().count() as u64 - 1;
        assert_eq!(
            lines,
            count(
                f,
                &format!("SELECT count(*) FROM customers WHERE industry = '制造' AND {scope}")
            ),
            "{name}"
        );
    }
    // an embed made by 李强 shows 华北 and 东北 only, to anyone with the link
    let token = login(f, "李强").await;
    let r = post(f, &token, "/api/embed-tokens", json!({"dashboard": "map"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let embed = r.json()["token"].as_str().unwrap().to_owned();
    let v = send(
        f,
        None,
        Method::GET,
        &format!("/api/embed/map?token={embed}"),
        None,
    )
    .await
    .json();
    let answer = &v;
    let sum: u64 = answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        sum,
        count(
            f,
            "SELECT count(*) FROM customers WHERE region IN ('华北','东北')"
        )
    );
}

#[tokio::test]
async fn hidden_and_masked_fields_cannot_be_searched_for() {
    let f = &*F;
    let phone = one(
        f,
        "SELECT contact_phone FROM customers WHERE region = '华北' AND contact_phone IS NOT NULL LIMIT 1",
    );
    let q = format!("联系电话是{phone}的客户");
    for (name, allowed) in [
        ("admin", true),
        ("李强", false),
        ("赵敏", false),
        ("王芳", false),
    ] {
        let token = login(f, name).await;
        let r = post(f, &token, "/api/ask", json!({"q": q})).await;
        if allowed {
            assert_ne!(r.status, StatusCode::FORBIDDEN, "{name}: {}", r.text());
        } else {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {}", r.text());
            assert_eq!(r.code(), "forbidden");
        }
        let r = post(
            f,
            &token,
            "/api/reports/preview",
            json!({"dimension": "email", "measure": {"agg": "count"}}),
        )
        .await;
        if !allowed {
            assert!(
                r.status == StatusCode::FORBIDDEN || r.status == StatusCode::BAD_REQUEST,
                "{name}: {}",
                r.text()
            );
        }
        // finance's answers carry no contact columns at all
        let r = post(
            f,
            &token,
            "/api/ask",
            json!({"q": "华北客户的联系人和邮箱"}),
        )
        .await;
        if r.status == StatusCode::OK && name == "赵敏" {
            let v = r.json();
            assert!(
                column(&v, "contact_name").is_none() && column(&v, "email").is_none(),
                "{v}"
            );
        }
    }
    // only administrators back the store up
    for name in ["赵敏", "王芳", "李强"] {
        let token = login(f, name).await;
        assert_eq!(
            get(f, &token, "/api/backup").await.status,
            StatusCode::FORBIDDEN,
            "{name}"
        );
    }
    let admin = login(f, "admin").await;
    let r = get(f, &admin, "/api/backup").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/x-tar");
    assert!(r.body.len() > 100_000, "{} bytes", r.body.len());
    // finance and sales may not change data
    for name in ["赵敏", "王芳"] {
        let token = login(f, name).await;
        let r = post(
            f,
            &token,
            "/api/ingest",
            json!({"op": "delete", "id": "C0000001"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {}", r.text());
        let r = post(f, &token, "/api/imports", json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {}", r.text());
    }
    // An import an administrator opened is the administrators' alone.
    let r = post(f, &admin, "/api/imports", json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let sales = login(f, "王芳").await;
    for (method, uri) in [
        (Method::GET, format!("/api/imports/{id}")),
        (Method::POST, format!("/api/imports/{id}/plan")),
        (Method::POST, format!("/api/imports/{id}/load")),
        (Method::GET, format!("/api/imports/{id}/rejects")),
        (Method::DELETE, format!("/api/imports/{id}")),
    ] {
        let r = send(f, Some(&sales), method.clone(), &uri, None).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {uri}: {}",
            r.text()
        );
    }
    let r = send(
        f,
        Some(&admin),
        Method::DELETE,
        &format!("/api/imports/{id}"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let token = login(f, "赵敏").await;
    let r = post(
        f,
        &token,
        "/api/reports",
        json!({"name": "x", "dimension": "region", "measure": {"agg": "count"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
}

#[tokio::test]
async fn logins_lock_and_every_request_is_audited() {
    let f = &*F;
    for _ in 0..5 {
        let r = send(
            f,
            None,
            Method::POST,
            "/api/login",
            Some(json!({"name": "周杰", "password": "wrong password"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = send(
        f,
        None,
        Method::POST,
        "/api/login",
        Some(json!({"name": "周杰", "password": PASSWORD})),
    )
    .await;
    assert_eq!(r.status, StatusCode::LOCKED, "{}", r.text());
    assert_eq!(r.code(), "locked");
    // an unknown user answers like a wrong password
    let r = send(
        f,
        None,
        Method::POST,
        "/api/login",
        Some(json!({"name": "nobody", "password": PASSWORD})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let token = login(f, "admin").await;
    let id = ids(f, "SELECT id FROM customers ORDER BY id DESC LIMIT 1")
        .into_iter()
        .next()
        .unwrap();
    assert_eq!(
        get(f, &token, &format!("/api/customers/{id}")).await.status,
        StatusCode::OK
    );
    let who = kesou_access::audit::search(
        &f.paths.root,
        &kesou_access::AuditQuery {
            customer: Some(id.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        who.iter()
            .any(|e| e.event.user == "admin" && e.event.action == "profile"),
        "{who:?}"
    );
    let refused = kesou_access::audit::search(
        &f.paths.root,
        &kesou_access::AuditQuery {
            user: Some("周杰".into()),
            action: Some("login".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        refused
            .iter()
            .filter(|e| e.event.outcome == "refused")
            .count()
            >= 6
    );
    let v = kesou_access::audit::verify(&f.paths.root).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}

#[tokio::test]
async fn bursts_beyond_the_rate_limit_are_refused_and_recorded() {
    let policy = kesou_access::DEFAULT_POLICY
        .replace("queries_per_minute = 120", "queries_per_minute = 5")
        .replace("exports_per_hour = 20", "exports_per_hour = 2");
    let f = fixture(200, Some(&policy));
    let token = login(&f, "王芳").await;
    let mut codes = Vec::new();
    for _ in 0..8 {
        let r = post(&f, &token, "/api/ask", json!({"q": "华东客户"})).await;
        codes.push(r.status);
    }
    assert_eq!(
        codes.iter().filter(|s| **s == StatusCode::OK).count(),
        5,
        "{codes:?}"
    );
    assert_eq!(codes[7], StatusCode::TOO_MANY_REQUESTS);
    let exports: Vec<StatusCode> = futures_lite(&f, &token).await;
    assert_eq!(
        exports,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    let refused = kesou_access::audit::search(
        &f.paths.root,
        &kesou_access::AuditQuery {
            user: Some("王芳".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        refused
            .iter()
            .any(|e| e.event.outcome == "refused" && e.event.detail.contains("too many")),
        "{refused:?}"
    );
    // another user is not slowed down
    let admin = login(&f, "admin").await;
    assert_eq!(
        post(&f, &admin, "/api/ask", json!({"q": "华东客户"}))
            .await
            .status,
        StatusCode::OK
    );
}

async fn futures_lite(f: &Fixture, token: &str) -> Vec<StatusCode> {
    let mut out = Vec::new();
    for _ in 0..3 {
        out.push(
            post(f, token, "/api/export", json!({"q": "华东客户"}))
                .await
                .status,
        );
    }
    out
}

#[test]
fn a_store_without_an_administrator_is_not_served_unless_it_is_a_demo() {
    let generated = kesou_testkit::generated_store(50, kesou_datagen::GenerateConfig::DEFAULT_SEED);
    let paths = &generated.paths;
    let open = |demo| {
        AppState::open(&ServerConfig {
            data: paths.clone(),
            demo,
            embed_key: Some(KEY.to_vec()),
            public_url: "http://kesou.test".into(),
            watch_first_retry: None,
        })
    };
    let e = open(false).unwrap_err().to_string();
    assert!(
        e.contains("no administrator") && e.contains("kesou user add"),
        "{e}"
    );
    drop(open(true).unwrap());
}

/// The hostile inputs of `data/hostile.txt`, and generated ones: huge, control characters,
/// lone and mixed escapes.
fn hostile_inputs() -> Vec<String> {
    let mut out: Vec<String> = include_str!("data/hostile.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    out.push("华东".repeat(5_000));
    out.push("a".repeat(100_000));
    out.push("(".repeat(10_000));
    out.push("\"".repeat(10_000));
    out.push("华东 OR ".repeat(2_000));
    out.push("region=华东,".repeat(1_000));
    for c in [
        '\0',
        '\u{1}',
        '\u{7}',
        '\u{8}',
        '\t',
        '\n',
        '\r',
        '\u{1b}',
        '\u{7f}',
        '\u{85}',
        '\u{2028}',
        '\u{feff}',
        '\u{fffe}',
        '\u{fffd}',
        '\u{10ffff}',
    ] {
        out.push(format!("华东{c}科技客户"));
        out.push(c.to_string());
    }
    out.push("\u{0}' OR 1=1 --".into());
    out.push("\u{1b}[31m红色\u{1b}[0m".into());
    out
}

#[tokio::test]
async fn hostile_inputs_fail_safely() {
    let policy = kesou_access::DEFAULT_POLICY
        .replace("queries_per_minute = 120", "queries_per_minute = 1000000")
        .replace("exports_per_hour = 20", "exports_per_hour = 1000000");
    let f = fixture(500, Some(&policy));
    let customers = count(&f, "SELECT count(*) FROM customers");
    let visible = ids(
        &f,
        &format!("SELECT id FROM customers WHERE {}", scope_sql(&f, "王芳")),
    );
    let sales = login(&f, "王芳").await;
    let admin = login(&f, "admin").await;
    let inputs = hostile_inputs();
    assert!(inputs.len() >= 200, "{} hostile inputs", inputs.len());
    let enc = |s: &str| urlencode(s);
    let mut requests = 0;
    let mut answered = 0;
    for input in &inputs {
        let short: String = input.chars().take(40).collect();
        let calls: Vec<(Method, String, Option<Value>)> = vec![
            (Method::POST, "/api/ask".into(), Some(json!({"q": input}))),
            (
                Method::POST,
                "/api/ask".into(),
                Some(json!({"q": "华东客户", "sort": {"by": input}})),
            ),
            (
                Method::POST,
                "/api/export".into(),
                Some(json!({"q": input})),
            ),
            (
                Method::POST,
                "/api/search".into(),
                Some(json!({"q": input})),
            ),
            (
                Method::POST,
                "/api/search".into(),
                Some(json!({"filters": [input], "facets": ["region"]})),
            ),
            (
                Method::POST,
                "/api/search".into(),
                Some(json!({"q": "科技", "facets": [input]})),
            ),
            (Method::GET, format!("/api/suggest?q={}", enc(&short)), None),
            (Method::GET, format!("/api/customers/{}", enc(&short)), None),
            (
                Method::GET,
                format!("/api/customers/{}/similar", enc(&short)),
                None,
            ),
            (
                Method::GET,
                format!("/api/dashboards/{}", enc(&short)),
                None,
            ),
            (
                Method::GET,
                format!("/api/dashboards/map?filter={}", enc(&short)),
                None,
            ),
            (
                Method::POST,
                "/api/reports/preview".into(),
                Some(json!({"question": input})),
            ),
            (
                Method::POST,
                "/api/reports/preview".into(),
                Some(json!({"dimension": input})),
            ),
            (
                Method::POST,
                "/api/reports/preview".into(),
                Some(json!({"dimension": "region", "filters": [input]})),
            ),
            (
                Method::POST,
                "/api/embed-tokens".into(),
                Some(json!({"dashboard": input})),
            ),
            (
                Method::GET,
                format!("/embed/{}?token={}", enc(&short), enc(&short)),
                None,
            ),
        ];
        for (method, uri, body) in calls {
            let r = send(&f, Some(&sales), method.clone(), &uri, body.clone()).await;
            requests += 1;
            answered += usize::from(r.status.is_success());
            let what = format!(
                "{method} {uri} {}",
                body.map(|b| b.to_string().chars().take(120).collect::<String>())
                    .unwrap_or_default()
            );
            assert!(
                !r.status.is_server_error(),
                "{what}: {} {}",
                r.status,
                r.text()
            );
            let text = r.text();
            for internal in [
                "duckdb",
                "tantivy",
                "panicked",
                "src/",
                "Binder Error",
                "Parser Error",
                "Catalog Error",
                "RUST_BACKTRACE",
            ] {
                // (a question's own words are echoed back as not understood)
                assert!(
                    input.contains(internal) || !text.contains(internal),
                    "{what}: leaks {internal}: {text}"
                );
            }
            if !r.status.is_success()
                || !r
                    .headers
                    .get(header::CONTENT_TYPE)
                    .is_some_and(|v| v.to_str().unwrap_or("").contains("json"))
            {
                continue;
            }
            // whatever came back stays inside 王芳's rows
            let v = r.json();
            if let Some(at) = v.get("columns").and_then(|_| column(&v, "id")) {
                for row in v["rows"].as_array().unwrap() {
                    assert!(visible.contains(row[at].as_str().unwrap()), "{what}: {row}");
                }
            }
            for hit in v["hits"].as_array().into_iter().flatten() {
                assert!(
                    visible.contains(hit["id"].as_str().unwrap()),
                    "{what}: {hit}"
                );
            }
            for s in v["suggestions"].as_array().into_iter().flatten() {
                if let Some(id) = s["id"].as_str() {
                    assert!(visible.contains(id), "{what}: {s}");
                }
            }
        }
        // change batches: an administrator's, with hostile values in every place
        let lines = [
            json!({"op": "delete", "id": input}).to_string(),
            json!({"op": "upsert", "table": "customers", "row": {"id": input, "name": input}})
                .to_string(),
            json!({"op": input, "table": input}).to_string(),
        ]
        .join("\n");
        let r = send_raw(&f, &admin, "/api/ingest", lines.into_bytes()).await;
        requests += 1;
        assert!(
            !r.status.is_server_error(),
            "ingest {short:?}: {} {}",
            r.status,
            r.text()
        );
    }
    // the inputs reached the handlers: many are answered (as text searched or not understood)
    assert!(
        answered >= inputs.len(),
        "{answered} of {requests} answered"
    );
    // invalid UTF-8 and a binary body
    for body in [
        vec![0xff, 0xfe, 0x00, 0x41],
        b"{\"op\":\"delete\",\"id\":\"\xc3\x28\"}".to_vec(),
        vec![0u8; 4096],
    ] {
        let r = send_raw(&f, &admin, "/api/ingest", body).await;
        assert!(!r.status.is_server_error(), "{} {}", r.status, r.text());
    }
    // nothing was dropped, written out or attached on the way
    assert!(count(&f, "SELECT count(*) FROM customers") >= customers);
    assert!(count(&f, "SELECT count(*) FROM orders") > 0);
    assert!(!std::path::Path::new("/tmp/leak.csv").exists());
    assert!(!std::path::Path::new("/tmp/evil.db").exists());
    let v = kesou_access::audit::verify(&f.paths.root).unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    assert!(
        v.entries as usize >= requests / 2,
        "{} entries for {requests} requests",
        v.entries
    );
}

async fn send_raw(f: &Fixture, token: &str, uri: &str, body: Vec<u8>) -> Reply {
    let req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from(body))
        .unwrap();
    let res = app(f.state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn a_watch_keeps_to_its_owners_rows_and_fields_and_is_theirs() {
    let f = fixture(500, None);
    let wang = login(&f, "王芳").await;
    let li = login(&f, "李强").await;
    let admin = login(&f, "admin").await;
    let r = post(
        &f,
        &wang,
        "/api/watches",
        json!({"question": "年采购额超过100万的客户"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let w = r.json();
    let expected = count(
        &f,
        &format!(
            "SELECT count(*) FROM customers WHERE annual_purchase > 1000000 AND {}",
            scope_sql(&f, "王芳")
        ),
    );
    assert!(expected > 0);
    assert_eq!(w["members"].as_u64().unwrap(), expected, "{w}");
    assert_eq!(w["owner"], "王芳");
    let members = ids(
        &f,
        &format!(
            "SELECT m.customer_id FROM watch_members m JOIN customers c ON c.id = m.customer_id \
             WHERE m.watch_id = {} AND NOT {}",
            w["id"],
            scope_sql(&f, "王芳")
                .replace("region", "c.region")
                .replace("owner", "c.owner")
        ),
    );
    assert!(members.is_empty(), "outside the owner's scope: {members:?}");

    let theirs = |v: Value| -> Vec<i64> {
        v["watches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_i64().unwrap())
            .collect()
    };
    let id = w["id"].as_i64().unwrap();
    assert!(!theirs(get(&f, &li, "/api/watches").await.json()).contains(&id));
    assert!(theirs(get(&f, &admin, "/api/watches").await.json()).contains(&id));
    let r = send(
        &f,
        Some(&li),
        Method::DELETE,
        &format!("/api/watches/{id}"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = send(&f, None, Method::GET, "/api/watches", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // A field the role sees masked cannot be watched, in a question or a structured query.
    let phone = json!({"table": "customers", "filters": [{"type": "field", "field": "contact_phone",
        "op": "=", "value": "13800138000"}], "text": [], "group_by": [], "measures": [], "sort": [],
        "limit": null, "unrecognized": [], "alternatives": []});
    let r = post(
        &f,
        &wang,
        "/api/watches",
        json!({"question": "电话13800138000", "query": phone}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = send(
        &f,
        Some(&wang),
        Method::DELETE,
        &format!("/api/watches/{id}"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

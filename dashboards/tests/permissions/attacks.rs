//! The outside security test's findings (issue #15), each reproduced as it was reported and
//! asserted to fail safely now: huge numbers, contact filters spelled to slip past the
//! check, embed tokens, report takeovers, sorts on masked fields, cross-site writes.

use super::*;

/// Numbers an attacker sends in every numeric field.
const HOSTILE_NUMBERS: [&str; 5] = [
    "18446744073709551615",
    "9223372036854775808",
    "-1",
    "1e13",
    "10000000000000",
];

/// The server still answers a plain question.
async fn still_answers(f: &Fixture, token: &str) {
    let r = post(f, token, "/api/ask", json!({"q": "华东客户"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

#[tokio::test]
async fn every_numeric_field_refuses_hostile_numbers_and_the_server_lives() {
    let f = &*F;
    let token = login(f, "王芳").await;
    let seed = one(
        f,
        "SELECT id FROM customers WHERE region = '华东' ORDER BY id LIMIT 1",
    );
    for n in HOSTILE_NUMBERS {
        let num: Value = serde_json::from_str(n).unwrap();
        let bodies: Vec<(&str, Value)> = vec![
            ("/api/search", json!({"q": "公司", "offset": num})),
            ("/api/search", json!({"q": "公司", "limit": num})),
            ("/api/ask", json!({"q": "华东客户", "offset": num})),
            ("/api/ask", json!({"q": "华东客户", "limit": num})),
            (
                "/api/ask",
                json!({"q": format!("和{seed}相似的客户"), "offset": num}),
            ),
            ("/api/ask", json!({"q": "华东客户", "drop": [num]})),
            ("/api/export", json!({"q": "华东客户", "offset": num})),
            ("/api/export", json!({"q": "华东客户", "limit": num})),
        ];
        for (uri, body) in bodies {
            let r = post(f, &token, uri, body.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{uri} {body}: {}",
                r.text()
            );
            assert_eq!(r.code(), "bad_request", "{uri} {body}");
        }
        let r = get(f, &token, &format!("/api/customers/{seed}/similar?k={n}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "k={n}: {}", r.text());
        still_answers(f, &token).await;
    }
    // An interpretation edited by hand cannot carry a huge top-N either.
    let asked = post(f, &token, "/api/ask", json!({"q": "价值贡献TOP20客户"})).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.text());
    let mut query = asked.json()["interpretation"].clone();
    query["limit"]["n"] = json!(u64::MAX);
    let r = post(
        f,
        &token,
        "/api/ask",
        json!({"q": "价值贡献TOP20客户", "query": query}),
    )
    .await;
    assert!(r.status.is_client_error(), "{}", r.text());
    // The deepest page is answered (empty past the end), not refused.
    for uri in ["/api/search", "/api/ask"] {
        let r = post(f, &token, uri, json!({"q": "华东客户", "offset": 10000})).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    }
    let admin = login(f, "admin").await;
    for n in HOSTILE_NUMBERS.iter().chain(&["0"]) {
        let num: Value = serde_json::from_str(n).unwrap();
        let r = post(
            f,
            &admin,
            "/api/embed-tokens",
            json!({"dashboard": "map", "expires_in": num}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "expires_in={n}: {}",
            r.text()
        );
    }
    still_answers(f, &token).await;
}

#[tokio::test]
async fn contact_filters_are_refused_however_they_are_spelled() {
    let f = &*F;
    let (id, phone, email) = {
        let conn = kesou_indexer::store::open_db(&f.paths, kesou_indexer::store::Open::Read)
            .expect("open");
        conn.query_row(
            "SELECT id, contact_phone, email FROM customers
             WHERE region = '华东' AND contact_phone IS NOT NULL AND email IS NOT NULL
             ORDER BY id LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .unwrap()
    };
    let spellings = |field: &str, value: &str| -> Vec<String> {
        vec![
            format!("{field}={value}"),
            format!("{}={value}", field.to_uppercase()),
            format!("{}≠{value}", field.to_uppercase()),
            format!("{field}!={value}"),
            format!(" {field} = {value}"),
            format!(
                "{}={value}",
                field
                    .chars()
                    .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c))
                    .collect::<String>()
            ),
        ]
    };
    let mut cases: Vec<(&str, String)> = Vec::new();
    for s in spellings("contact_phone", &phone) {
        cases.push(("王芳", s));
    }
    cases.push(("王芳", format!("联系电话={phone}")));
    cases.push(("王芳", format!("phone={phone}")));
    for s in spellings("email", &email) {
        cases.push(("赵敏", s.clone()));
        cases.push(("李强", s));
    }
    for (name, filter) in &cases {
        let token = login(f, name).await;
        let replies = [
            post(
                f,
                &token,
                "/api/search",
                json!({"q": "", "filters": [filter]}),
            )
            .await,
            get(
                f,
                &token,
                &format!("/api/dashboards/top20?filter={}", urlencode(filter)),
            )
            .await,
            post(
                f,
                &token,
                "/api/reports/preview",
                json!({"dimension": "region", "filters": [filter]}),
            )
            .await,
        ];
        for r in replies {
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{name} {filter}: {}",
                r.text()
            );
        }
    }
    // Those who see the field may filter on it, whatever the spelling.
    let admin = login(f, "admin").await;
    for filter in spellings("contact_phone", &phone).iter().take(2) {
        let r = post(
            f,
            &admin,
            "/api/search",
            json!({"q": "", "filters": [filter]}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{filter}: {}", r.text());
        let hits = r.json()["hits"].clone();
        assert!(
            hits.as_array()
                .unwrap()
                .iter()
                .any(|h| h["id"] == id.as_str()),
            "{filter}: {hits}"
        );
    }
}

#[tokio::test]
async fn masked_and_hidden_fields_cannot_order_answers_or_exports() {
    let f = &*F;
    for (name, field) in [
        ("王芳", "contact_phone"),
        ("王芳", "CONTACT_PHONE"),
        ("王芳", "email"),
        ("李强", "contact_phone"),
        ("赵敏", "email"),
        ("赵敏", "contact_name"),
    ] {
        let token = login(f, name).await;
        for uri in ["/api/ask", "/api/export"] {
            for desc in [false, true] {
                let r = post(
                    f,
                    &token,
                    uri,
                    json!({"q": "华东客户", "sort": {"by": field, "desc": desc}}),
                )
                .await;
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "{name} {uri} {field}: {}",
                    r.text()
                );
            }
        }
    }
    let admin = login(f, "admin").await;
    let r = post(
        f,
        &admin,
        "/api/ask",
        json!({"q": "华东客户", "sort": {"by": "contact_phone"}}),
    )
    .await;
    assert_ne!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
}

#[tokio::test]
async fn only_administrators_and_managers_make_embed_links_with_filters_of_their_own() {
    let f = &*F;
    for name in ["王芳", "赵敏"] {
        let token = login(f, name).await;
        let r = post(f, &token, "/api/embed-tokens", json!({"dashboard": "map"})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {}", r.text());
    }
    let phone = one(
        f,
        "SELECT contact_phone FROM customers WHERE region = '华北' AND contact_phone IS NOT NULL LIMIT 1",
    );
    let manager = login(f, "李强").await;
    for filter in [
        format!("contact_phone={phone}"),
        format!("CONTACT_PHONE={phone}"),
    ] {
        let r = post(
            f,
            &manager,
            "/api/embed-tokens",
            json!({"dashboard": "top20", "filters": [filter]}),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{filter}: {}", r.text());
    }
    let r = post(
        f,
        &manager,
        "/api/embed-tokens",
        json!({"dashboard": "top20", "filters": ["industry=制造"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

/// A store of its own for tests that change users or limits.
fn small(policy: Option<&str>) -> Fixture {
    fixture(300, policy)
}

/// Edits the users file as `kesou user …` would while the server runs.
fn edit_users(f: &Fixture, change: impl FnOnce(&mut Value)) {
    let file = Users::path_in(&f.paths.root);
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    change(&mut v);
    std::fs::write(&file, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    // A later modification time, whatever the file system's clock granularity.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(later)
        .unwrap();
}

/// The user of that name in the users file's JSON.
fn user_entry<'v>(v: &'v mut Value, name: &str) -> &'v mut Value {
    fn find<'v>(v: &'v mut Value, name: &str) -> Option<&'v mut Value> {
        match v {
            Value::Object(m) if m.get("name").and_then(Value::as_str) == Some(name) => Some(v),
            Value::Object(m) => m.values_mut().find_map(|x| find(x, name)),
            Value::Array(a) => a.iter_mut().find_map(|x| find(x, name)),
            _ => None,
        }
    }
    find(v, name).expect("the user is in the file")
}

#[tokio::test]
async fn an_embed_link_shows_what_its_maker_may_see_now_and_stops_when_they_are_disabled() {
    let f = &small(None);
    let manager = login(f, "李强").await;
    let r = post(
        f,
        &manager,
        "/api/embed-tokens",
        json!({"dashboard": "map"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let embed = r.json()["token"].as_str().unwrap().to_owned();
    let view = || async {
        send(
            f,
            None,
            Method::GET,
            &format!("/api/embed/map?token={embed}"),
            None,
        )
        .await
    };
    let total = |v: &Value| -> u64 {
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[1].as_u64().unwrap_or(0))
            .sum()
    };
    let r = view().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        total(&r.json()),
        count(
            f,
            "SELECT count(*) FROM customers WHERE region IN ('华北','东北')"
        )
    );
    // 李强 moves to another department: the link follows his rows as they are now.
    edit_users(f, |v| {
        user_entry(v, "李强")["department"] = json!("华南事业部")
    });
    let r = view().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        total(&r.json()),
        count(f, "SELECT count(*) FROM customers WHERE region = '华南'")
    );
    edit_users(f, |v| user_entry(v, "李强")["disabled"] = json!(true));
    let r = view().await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
}

#[tokio::test]
async fn minting_and_viewing_embed_links_are_rate_limited() {
    let policy =
        kesou_access::DEFAULT_POLICY.replace("queries_per_minute = 120", "queries_per_minute = 3");
    assert_ne!(policy, kesou_access::DEFAULT_POLICY);
    let f = &small(Some(&policy));
    let admin = login(f, "admin").await;
    let mut made = Vec::new();
    for _ in 0..4 {
        made.push(post(f, &admin, "/api/embed-tokens", json!({"dashboard": "map"})).await);
    }
    assert!(made[..3].iter().all(|r| r.status == StatusCode::CREATED));
    assert_eq!(
        made[3].status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        made[3].text()
    );
    let embed = made[0].json()["token"].as_str().unwrap().to_owned();
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(
            send(
                f,
                None,
                Method::GET,
                &format!("/api/embed/map?token={embed}"),
                None,
            )
            .await
            .status,
        );
    }
    assert_eq!(
        seen,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

#[tokio::test]
async fn a_report_belongs_to_whoever_saved_it() {
    let f = &small(None);
    let admin = login(f, "admin").await;
    let manager = login(f, "李强").await;
    let r = post(
        f,
        &admin,
        "/api/reports",
        json!({"name": "r1", "dimension": "industry", "filters": ["region=华东"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = post(f, &admin, "/api/embed-tokens", json!({"dashboard": "r1"})).await;
    let embed = r.json()["token"].as_str().unwrap().to_owned();
    let east = count(f, "SELECT count(*) FROM customers WHERE region = '华东'");
    let shown = || async {
        let v = send(
            f,
            None,
            Method::GET,
            &format!("/api/embed/r1?token={embed}"),
            None,
        )
        .await
        .json();
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[1].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    assert_eq!(shown().await, east);
    // The manager's save over the administrator's report is refused…
    let r = post(
        f,
        &manager,
        "/api/reports",
        json!({"name": "r1", "dimension": "industry", "filters": ["region=华北"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.code(), "conflict");
    // …and so is deleting it; the administrator's link still shows 华东.
    let r = send(f, Some(&manager), Method::DELETE, "/api/reports/r1", None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(shown().await, east);
    // Owners replace and delete their own; administrators delete anyone's.
    let r = post(
        f,
        &manager,
        "/api/reports",
        json!({"name": "mine", "dimension": "size"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = post(
        f,
        &manager,
        "/api/reports",
        json!({"name": "mine", "dimension": "industry"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = send(f, Some(&admin), Method::DELETE, "/api/reports/mine", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let r = send(f, Some(&admin), Method::DELETE, "/api/reports/r1", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
}

/// A write as a browser sends it: the session cookie, an origin, a content type.
async fn browser_write(
    f: &Fixture,
    token: &str,
    uri: &str,
    origin: Option<&str>,
    site: Option<&str>,
    content_type: &str,
    body: &str,
) -> Reply {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::HOST, "kesou.test")
        .header(header::COOKIE, format!("kesou_session={token}"))
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, body.len());
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    if let Some(s) = site {
        req = req.header("sec-fetch-site", s);
    }
    let res = app(f.state.clone())
        .oneshot(req.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
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
async fn writes_from_other_sites_are_refused() {
    let f = &small(None);
    let admin = login(f, "admin").await;
    let id = one(f, "SELECT id FROM customers ORDER BY id LIMIT 1");
    let batch = format!("{{\"op\":\"delete\",\"id\":\"{id}\"}}\n");
    let before = count(f, "SELECT count(*) FROM customers");
    for (origin, site, kind) in [
        (Some("http://evil.example"), None, "application/x-ndjson"),
        (Some("http://kesou.test:8081"), None, "application/json"),
        (Some("null"), None, "application/json"),
        (None, Some("cross-site"), "application/json"),
        (None, Some("same-site"), "application/json"),
        (None, None, "text/plain"),
        (
            Some("http://kesou.test"),
            None,
            "application/x-www-form-urlencoded",
        ),
        (None, None, "multipart/form-data; boundary=x"),
    ] {
        let r = browser_write(f, &admin, "/api/ingest", origin, site, kind, &batch).await;
        assert!(
            r.status == StatusCode::FORBIDDEN || r.status == StatusCode::BAD_REQUEST,
            "{origin:?} {site:?} {kind}: {} {}",
            r.status,
            r.text()
        );
    }
    assert_eq!(count(f, "SELECT count(*) FROM customers"), before);
    let r = browser_write(
        f,
        &admin,
        "/api/reports",
        Some("http://evil.example"),
        None,
        "application/json",
        r#"{"name":"x","dimension":"region"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // The app's own page, and API clients, still write.
    let r = browser_write(
        f,
        &admin,
        "/api/ingest",
        Some("http://kesou.test"),
        Some("same-origin"),
        "application/x-ndjson",
        &batch,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(count(f, "SELECT count(*) FROM customers"), before - 1);
}

#[tokio::test]
async fn logins_are_throttled_per_address_and_cookies_are_secure_over_https() {
    let policy = kesou_access::DEFAULT_POLICY.replace(
        "login_attempts_per_minute = 30",
        "login_attempts_per_minute = 3",
    );
    let f = &small(Some(&policy));
    let attempt = |name: &'static str, password: &'static str| async move {
        send(
            f,
            None,
            Method::POST,
            "/api/login",
            Some(json!({"name": name, "password": password})),
        )
        .await
    };
    for name in ["admin", "王芳", "nobody"] {
        assert_eq!(
            attempt(name, "wrong password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = attempt("admin", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    still_answers_without_login(f).await;

    // Over HTTPS the session cookie is Secure; over plain HTTP (a laptop demo) it cannot be.
    let secure = &fixture_served(100, None, |_| {}, "https://kesou.example.cn/");
    let r = send(
        secure,
        None,
        Method::POST,
        "/api/login",
        Some(json!({"name": "李强", "password": PASSWORD})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let r = send(secure, None, Method::POST, "/api/logout", None).await;
    assert!(
        r.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
}

/// The server still answers what needs no login.
async fn still_answers_without_login(f: &Fixture) {
    let r = send(f, None, Method::GET, "/api/health", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

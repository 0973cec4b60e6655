//! The differential oracle: two stores identical except for the values of fields a role
//! does not see in full (phone numbers and e-mail addresses shuffled between customers; for
//! 财务, who sees no contact at all, contact names too). Every role that sees those fields
//! masked or not at all sends the same corpus of requests to both: filters, sorts, groups,
//! exports, embeds, reports, suggestions, searches for the digit strings. After the masked
//! values themselves are blanked, every response must be byte-identical: a response that
//! differs tells its reader something about a value they may not see.

use super::*;

/// Contact columns swapped between customers in the second store.
const SHUFFLED: [&str; 3] = ["contact_phone", "email", "contact_name"];

/// The generated source of `fixture`, with the contact columns of customers rotated by
/// one row (`with_names`: contact names too), ingested into a store served with users.
fn shuffled_fixture(with_names: bool, policy: &str) -> Fixture {
    fixture_with(300, Some(policy), |source| {
        let file = std::fs::read_dir(source)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("customers"))
            })
            .expect("a customers file");
        let mut reader = csv::Reader::from_path(&file).unwrap();
        let headers = reader.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let columns: Vec<usize> = SHUFFLED
            .iter()
            .filter(|c| with_names || **c != "contact_name")
            .map(|c| {
                headers
                    .iter()
                    .position(|h| h == *c)
                    .expect("contact column")
            })
            .collect();
        let mut writer = csv::Writer::from_path(&file).unwrap();
        writer.write_record(&headers).unwrap();
        for (i, row) in rows.iter().enumerate() {
            let donor = &rows[(i + 1) % rows.len()];
            let out: Vec<&str> = row
                .iter()
                .enumerate()
                .map(|(c, v)| if columns.contains(&c) { &donor[c] } else { v })
                .collect();
            writer.write_record(out).unwrap();
        }
        writer.flush().unwrap();
    })
}

/// A response with what may legitimately differ blanked: masked values (138****8000,
/// z***@example.com) and timings.
fn normalised(r: &Reply) -> String {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("took_ms");
                m.values_mut().for_each(walk);
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            Value::String(s) if masked(s) => *s = "<masked>".into(),
            _ => {}
        }
    }
    match serde_json::from_slice::<Value>(&r.body) {
        Ok(mut v) => {
            walk(&mut v);
            format!("{} {v}", r.status)
        }
        // CSV: cell by cell.
        Err(_) => {
            let text = String::from_utf8_lossy(&r.body);
            let cells: Vec<String> = text
                .lines()
                .map(|line| {
                    line.split(',')
                        .map(|c| if masked(c) { "<masked>" } else { c })
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect();
            format!("{} {}", r.status, cells.join("\n"))
        }
    }
}

fn masked(s: &str) -> bool {
    s.contains("****") || s.contains("***@")
}

/// The requests of the corpus, for a role, with contact values taken from the first store.
fn corpus(contacts: &[(String, String, String)]) -> Vec<(Method, String, Option<Value>)> {
    let mut out: Vec<(Method, String, Option<Value>)> = Vec::new();
    let post = |uri: &str, body: Value| (Method::POST, uri.to_owned(), Some(body));
    let get = |uri: String| (Method::GET, uri, None);
    for (phone, email, name) in contacts {
        for (field, value) in [
            ("contact_phone", phone),
            ("email", email),
            ("contact_name", name),
        ] {
            for spelled in [
                format!("{field}={value}"),
                format!("{}≠{value}", field.to_uppercase()),
            ] {
                out.push(post("/api/search", json!({"q": "", "filters": [spelled]})));
                out.push(get(format!(
                    "/api/dashboards/top20?filter={}",
                    urlencode(&spelled)
                )));
                out.push(post(
                    "/api/reports/preview",
                    json!({"dimension": "industry", "filters": [spelled]}),
                ));
                out.push(post(
                    "/api/embed-tokens",
                    json!({"dashboard": "top20", "filters": [spelled]}),
                ));
            }
            out.push(post("/api/search", json!({"q": value})));
            out.push(get(format!("/api/suggest?q={}", urlencode(value))));
        }
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        out.push(post("/api/search", json!({"q": digits})));
        out.push(post(
            "/api/search",
            json!({"q": &digits[digits.len().saturating_sub(4)..]}),
        ));
        out.push(post(
            "/api/ask",
            json!({"q": format!("联系电话是{phone}的客户")}),
        ));
        out.push(post(
            "/api/ask",
            json!({"q": format!("邮箱是{email}的客户")}),
        ));
        out.push(post(
            "/api/ask",
            json!({"q": format!("联系人是{name}的客户")}),
        ));
        out.push(post("/api/ask", json!({"q": format!("{name}")})));
    }
    for field in SHUFFLED {
        for desc in [false, true] {
            out.push(post(
                "/api/ask",
                json!({"q": "客户", "sort": {"by": field, "desc": desc}, "limit": 50}),
            ));
            out.push(post(
                "/api/export",
                json!({"q": "华东客户", "sort": {"by": field, "desc": desc}}),
            ));
        }
        out.push(post(
            "/api/reports/preview",
            json!({"dimension": field, "measure": {"agg": "count"}}),
        ));
    }
    for q in [
        "按联系人统计客户数",
        "按邮箱统计客户数",
        "华东客户的联系人和联系电话",
        "华东客户的邮箱",
        "客户按联系电话排序",
    ] {
        out.push(post("/api/ask", json!({"q": q})));
    }
    out.push(post(
        "/api/export",
        json!({"q": "华东客户的联系人、联系电话和邮箱"}),
    ));
    out.push(get("/api/customers/C0000001".into()));
    out.push(get("/api/customers/C0000002/similar".into()));
    out
}

async fn run_corpus(
    a: &Fixture,
    b: &Fixture,
    user: &str,
    requests: &[(Method, String, Option<Value>)],
) {
    let (ta, tb) = (login(a, user).await, login(b, user).await);
    let mut differing = Vec::new();
    for (method, uri, body) in requests {
        let ra = send(a, Some(&ta), method.clone(), uri, body.clone()).await;
        let rb = send(b, Some(&tb), method.clone(), uri, body.clone()).await;
        assert!(
            !ra.status.is_server_error(),
            "{user} {uri} {body:?}: {}",
            ra.text()
        );
        // Embed tokens differ by their signature and expiry; what they show is compared.
        let (na, nb) = if uri == "/api/embed-tokens" && ra.status == StatusCode::CREATED {
            (embed_view(a, &ra).await, embed_view(b, &rb).await)
        } else {
            (normalised(&ra), normalised(&rb))
        };
        if na != nb {
            differing.push(format!(
                "{method} {uri} {body:?}\n  A: {na:.300}\n  B: {nb:.300}"
            ));
        }
    }
    assert!(
        differing.is_empty(),
        "{user}: {} of {} responses tell the stores apart:\n{}",
        differing.len(),
        requests.len(),
        differing.join("\n")
    );
}

/// What the embed link a mint reply carries shows, normalised.
async fn embed_view(f: &Fixture, minted: &Reply) -> String {
    let token = minted.json()["token"].as_str().unwrap().to_owned();
    let uri = format!("/api/embed/top20?token={token}");
    normalised(&send(f, None, Method::GET, &uri, None).await)
}

fn contacts(f: &Fixture) -> Vec<(String, String, String)> {
    let conn =
        kesou_indexer::store::open_db(&f.paths, kesou_indexer::store::Open::Read).expect("open");
    let mut stmt = conn
        .prepare(
            "SELECT contact_phone, email, contact_name FROM customers
             WHERE contact_phone IS NOT NULL AND email IS NOT NULL AND contact_name IS NOT NULL
             ORDER BY id LIMIT 3",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A policy with room for the corpus (the rate limits are tested elsewhere).
fn roomy() -> String {
    kesou_access::DEFAULT_POLICY
        .replace("queries_per_minute = 120", "queries_per_minute = 1000000")
        .replace("exports_per_hour = 20", "exports_per_hour = 1000000")
}

#[tokio::test]
async fn masked_and_hidden_values_change_no_response() {
    let policy = roomy();
    let plain = fixture_with(300, Some(&policy), |_| {});
    let phones_and_mails = shuffled_fixture(false, &policy);
    let everything = shuffled_fixture(true, &policy);
    let values = contacts(&plain);
    assert_eq!(values.len(), 3);
    let requests = corpus(&values);
    assert!(requests.len() >= 100, "{} requests", requests.len());
    // Phones and e-mails are masked for sales and managers, hidden from finance.
    for user in ["王芳", "李强", "赵敏"] {
        run_corpus(&plain, &phones_and_mails, user, &requests).await;
    }
    // Finance sees no contact at all.
    run_corpus(&plain, &everything, "赵敏", &requests).await;
    // The oracle is not blind: an administrator, who sees every value, tells them apart.
    let (ta, tb) = (
        login(&plain, "admin").await,
        login(&phones_and_mails, "admin").await,
    );
    let filter = json!({"q": "", "filters": [format!("contact_phone={}", values[0].0)]});
    let ra = send(
        &plain,
        Some(&ta),
        Method::POST,
        "/api/search",
        Some(filter.clone()),
    )
    .await;
    let rb = send(
        &phones_and_mails,
        Some(&tb),
        Method::POST,
        "/api/search",
        Some(filter),
    )
    .await;
    assert_ne!(normalised(&ra), normalised(&rb));
}

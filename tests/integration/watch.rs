//! Watches end to end, with a webhook receiver on loopback: a change batch that moves
//! customers into a watched answer delivers one message listing exactly them; a receiver
//! that fails gets the message once it answers; a process killed with a delivery in
//! flight delivers it after the restart, once; a 业务员's watch lists only customers in
//! their scope; robots get their documented bodies and DingTalk's signature.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kesou_access::{Principal, Role, User, Users};
use kesou_indexer::{Changes, NoProgress, Store, StorePaths};
use kesou_watch::{FireOn, NewWatch, Settings, Target, TargetKind};
use serde_json::Value as Json;

/// A generated store of its own (1,500 customers, seed 21) for one test.
pub(crate) fn fresh() -> (tempfile::TempDir, PathBuf) {
    let generated = kesou_testkit::generated_store(1500, 21);
    (generated.dir, generated.paths.root)
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Got {
    pub path: String,
    pub key: String,
    pub body: Json,
    /// Whether it was answered 200.
    acknowledged: bool,
}

/// What the receiver does with its n-th request (from 0).
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Reply {
    Ok,
    Fail,
    /// Reads the request, then holds the connection without answering.
    Hang,
}

/// A webhook receiver on loopback, answering by a script.
pub(crate) struct Receiver {
    port: u16,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    pub(crate) fn start(script: impl Fn(usize) -> Reply + Send + 'static) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&got);
        let count = AtomicUsize::new(0);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let n = count.fetch_add(1, Ordering::SeqCst);
                let reply = script(n);
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || serve(stream, reply, &seen));
            }
        });
        Receiver { port, got }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    fn acknowledged(&self) -> Vec<Got> {
        self.got().into_iter().filter(|g| g.acknowledged).collect()
    }
}

fn serve(stream: TcpStream, reply: Reply, seen: &Mutex<Vec<Got>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    let (mut length, mut key) = (0usize, String::new());
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap(),
                "idempotency-key" => key = value.trim().to_owned(),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body: Json = serde_json::from_slice(&body).unwrap();
    let mut out = stream;
    seen.lock().unwrap().push(Got {
        path,
        key,
        body,
        acknowledged: reply == Reply::Ok,
    });
    match reply {
        Reply::Ok => {
            let text = r#"{"errcode":0,"errmsg":"ok"}"#;
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
        Reply::Fail => {
            let _ = write!(
                out,
                "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\nconnection: close\r\n\r\ndown"
            );
        }
        Reply::Hang => std::thread::sleep(Duration::from_secs(120)),
    }
}

/// Every delivery attempt in the store's audit log, newest first.
pub(crate) fn deliveries_audited(root: &std::path::Path) -> Vec<kesou_access::Entry> {
    kesou_access::audit::search(
        root,
        &kesou_access::AuditQuery {
            action: Some("deliver".into()),
            ..Default::default()
        },
    )
    .unwrap()
}

pub(crate) fn settings() -> Settings {
    Settings {
        first_retry: Duration::ZERO,
        timeout: Duration::from_secs(20),
        ..Settings::with_url("http://kesou.test")
    }
}

pub(crate) fn add_target(
    store: &Store,
    name: &str,
    kind: TargetKind,
    url: &str,
    secret: Option<&str>,
) {
    kesou_watch::add_target(
        &store.reader().unwrap().conn,
        &Principal::local(),
        Target {
            name: name.into(),
            kind,
            url: url.into(),
            secret: secret.map(str::to_owned),
            format: kesou_watch::Format::Markdown,
            allow_demo: false,
            created_by: String::new(),
        },
    )
    .unwrap();
}

fn watch(question: &str, targets: &[&str]) -> NewWatch {
    NewWatch {
        name: String::new(),
        question: question.into(),
        query: None,
        fire_on: FireOn::Enter,
        targets: targets.iter().map(|t| t.to_string()).collect(),
        every: None,
        condition: None,
        board: None,
        filters: Vec::new(),
        period: None,
    }
}

fn ids(store: &Store, sql: &str) -> Vec<String> {
    let conn = store.reader().unwrap().conn;
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A batch giving each customer a big order on the store's as_of.
fn big_orders(store: &Store, customers: &[String], tag: &str) -> Changes {
    let conn = store.reader().unwrap().conn;
    let as_of = kesou_indexer::store::as_of(&conn).unwrap().0;
    let lines: Vec<String> = customers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            serde_json::json!({"op": "upsert", "table": "orders", "row": {
                "id": format!("OW{tag}{i}"), "customer_id": c,
                "order_date": as_of.to_string(), "amount": 9_000_000, "product": "数控机床"}})
            .to_string()
        })
        .collect();
    Changes::parse(lines.join("\n").as_bytes()).unwrap()
}

fn listed(body: &Json, part: &str) -> BTreeSet<String> {
    body[part]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

const QUESTION: &str = "华东年采购额超过500万的客户";
const BELOW: &str = "SELECT id FROM customers WHERE region = '华东' AND coalesce(annual_purchase, 0) < 1000000 ORDER BY id";

#[test]
fn a_batch_moving_three_customers_in_delivers_one_message_listing_them() {
    let (_dir, root) = fresh();
    let store = Store::open(&StorePaths::new(&root)).unwrap();
    let rx = Receiver::start(|_| Reply::Ok);
    add_target(&store, "hook", TargetKind::Webhook, &rx.url("/hook"), None);
    let info = kesou_watch::add(&store, "本机命令行", watch(QUESTION, &["hook"])).unwrap();
    let before = info.members;
    let three: Vec<String> = ids(&store, BELOW).into_iter().take(3).collect();
    assert_eq!(three.len(), 3);
    let summary = store
        .apply(&big_orders(&store, &three, "a"), &NoProgress)
        .unwrap();

    let outcomes = kesou_watch::evaluate_all(&store, &settings()).unwrap();
    let o = &outcomes[0];
    assert_eq!(
        o.full_run, None,
        "a filter on the customer's own row runs from the change"
    );
    // The three, and the few whose value class moved with them.
    assert_eq!(
        o.checked, summary.customers_changed,
        "only the changed customers are asked again"
    );
    assert!(o.checked < 100, "{}", o.checked);
    assert_eq!(o.entered, three);
    assert_eq!(o.members as u64, before + 3);
    let conn = store.reader().unwrap().conn;
    let r = kesou_watch::deliver_due(&conn, &root, &settings()).unwrap();
    assert_eq!(r.sent, 1);

    // Asking again, and delivering again, sends nothing new.
    let again = kesou_watch::evaluate_all(&store, &settings()).unwrap();
    assert!(again[0].firing.is_none());
    kesou_watch::deliver_due(&conn, &root, &settings()).unwrap();
    let got = rx.got();
    assert_eq!(got.len(), 1, "{got:?}");
    let body = &got[0].body;
    assert_eq!(listed(body, "entered"), three.iter().cloned().collect());
    assert_eq!(body["key"].as_str().unwrap(), got[0].key);
    assert_eq!(body["explain"], "大区=华东 · 年采购额>500万");
    for item in body["entered"].as_array().unwrap() {
        let reasons = item["reasons"].to_string();
        assert!(reasons.contains("年采购额"), "{reasons}");
        assert!(item["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(
            item["link"]
                .as_str()
                .unwrap()
                .starts_with("http://kesou.test/#/customer/C")
        );
    }
    // The attempt is in the audit log.
    let entries = deliveries_audited(&root);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].event.outcome, "ok");
    assert_eq!(
        entries[0]
            .event
            .customers
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>(),
        three.iter().cloned().collect()
    );

    // Leaving: a watch on both sees the three go when they are deleted.
    let info = kesou_watch::add(
        &store,
        "本机命令行",
        NewWatch {
            fire_on: FireOn::Both,
            ..watch(QUESTION, &["hook"])
        },
    )
    .unwrap();
    store.delete(&three[..2], &NoProgress).unwrap();
    let out = kesou_watch::evaluate_all(&store, &settings()).unwrap();
    let both = out.iter().find(|o| o.watch == info.watch.id).unwrap();
    assert_eq!(both.left, three[..2].to_vec());
    kesou_watch::deliver_due(&conn, &root, &settings()).unwrap();
    let last = rx.got().last().unwrap().body.clone();
    assert_eq!(listed(&last, "left").len(), 2);
    assert!(last["left"][0]["reasons"][0] == "已删除");
}

#[test]
fn a_receiver_failing_twice_then_answering_gets_the_message_once() {
    let (_dir, root) = fresh();
    let store = Store::open(&StorePaths::new(&root)).unwrap();
    let rx = Receiver::start(|n| if n < 2 { Reply::Fail } else { Reply::Ok });
    add_target(&store, "hook", TargetKind::Webhook, &rx.url("/hook"), None);
    kesou_watch::add(&store, "本机命令行", watch(QUESTION, &["hook"])).unwrap();
    let three: Vec<String> = ids(&store, BELOW).into_iter().take(3).collect();
    store
        .apply(&big_orders(&store, &three, "b"), &NoProgress)
        .unwrap();
    kesou_watch::evaluate_all(&store, &settings()).unwrap();
    let conn = store.reader().unwrap().conn;
    let mut sent = 0;
    for _ in 0..5 {
        let r = kesou_watch::deliver_due(&conn, &root, &settings()).unwrap();
        sent += r.sent;
    }
    assert_eq!(sent, 1);
    let got = rx.got();
    assert_eq!(
        got.len(),
        3,
        "two failures, then the success; nothing after"
    );
    assert_eq!(rx.acknowledged().len(), 1);
    assert!(
        got.iter().all(|g| g.key == got[0].key),
        "one event, one key"
    );
    let items = kesou_watch::outbox::items(&conn, 10).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!((items[0].state.as_str(), items[0].attempts), ("sent", 3));
    let outcomes: Vec<String> = deliveries_audited(&root)
        .into_iter()
        .map(|e| e.event.outcome)
        .collect();
    assert_eq!(outcomes, ["ok", "failed", "failed"], "newest first");
}

#[test]
fn backoff_waits_and_an_expired_delivery_is_not_sent() {
    let (_dir, root) = fresh();
    let store = Store::open(&StorePaths::new(&root)).unwrap();
    let rx = Receiver::start(|_| Reply::Fail);
    add_target(&store, "hook", TargetKind::Webhook, &rx.url("/hook"), None);
    kesou_watch::add(&store, "本机命令行", watch(QUESTION, &["hook"])).unwrap();
    let three: Vec<String> = ids(&store, BELOW).into_iter().take(3).collect();
    store
        .apply(&big_orders(&store, &three, "c"), &NoProgress)
        .unwrap();
    let slow = Settings {
        first_retry: Duration::from_secs(3600),
        ..settings()
    };
    kesou_watch::evaluate_all(&store, &slow).unwrap();
    let conn = store.reader().unwrap().conn;
    kesou_watch::deliver_due(&conn, &root, &slow).unwrap();
    kesou_watch::deliver_due(&conn, &root, &slow).unwrap();
    assert_eq!(rx.got().len(), 1, "the retry waits for its delay");
    conn.execute(
        "UPDATE watch_outbox SET next_at = TIMESTAMP '2000-01-01', expires_at = TIMESTAMP '2000-01-02'",
        [],
    )
    .unwrap();
    let r = kesou_watch::deliver_due(&conn, &root, &slow).unwrap();
    assert_eq!((r.sent, r.expired), (0, 1));
    assert_eq!(rx.got().len(), 1);
}

pub(crate) fn kesou(args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_kesou"));
    c.args(args).env("KESOU_WATCH_RETRY_MS", "0");
    c
}

#[test]
fn a_process_killed_with_the_delivery_in_flight_delivers_after_restart_once() {
    let (dir, root) = fresh();
    let rx = Receiver::start(|n| if n == 0 { Reply::Hang } else { Reply::Ok });
    {
        let store = Store::open(&StorePaths::new(&root)).unwrap();
        add_target(&store, "hook", TargetKind::Webhook, &rx.url("/hook"), None);
        kesou_watch::add(&store, "本机命令行", watch(QUESTION, &["hook"])).unwrap();
        let three: Vec<String> = ids(&store, BELOW).into_iter().take(3).collect();
        let lines: Vec<String> = batch_lines(&store, &three, "d");
        std::fs::write(dir.path().join("batch.ndjson"), lines.join("\n")).unwrap();
    }
    let data = root.to_str().unwrap();
    let batch = dir.path().join("batch.ndjson");
    let mut child = kesou(&["apply", "--data", data, batch.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Queued and in flight: the receiver holds the request unanswered. Then the process dies.
    let mut waited = 0;
    while rx.got().is_empty() {
        std::thread::sleep(Duration::from_millis(50));
        waited += 1;
        assert!(waited < 2400, "the delivery never started");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(rx.acknowledged().is_empty());

    let out = kesou(&["watch", "deliver", "--data", data])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kesou(&["watch", "run", "--data", data]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let acked = rx.acknowledged();
    assert_eq!(acked.len(), 1, "delivered once after the restart");
    let got = rx.got();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].key, got[1].key,
        "the same idempotency key both times"
    );
    assert_eq!(listed(&acked[0].body, "entered").len(), 3);
}

/// The same batch as NDJSON lines, for the command line.
fn batch_lines(store: &Store, customers: &[String], tag: &str) -> Vec<String> {
    let conn = store.reader().unwrap().conn;
    let as_of = kesou_indexer::store::as_of(&conn).unwrap().0;
    customers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            serde_json::json!({"op": "upsert", "table": "orders", "row": {
                "id": format!("OW{tag}{i}"), "customer_id": c,
                "order_date": as_of.to_string(), "amount": 9_000_000, "product": "数控机床"}})
            .to_string()
        })
        .collect()
}

#[test]
fn queued_without_sending_is_sent_by_the_next_process_once() {
    let (dir, root) = fresh();
    let rx = Receiver::start(|_| Reply::Ok);
    let three = {
        let store = Store::open(&StorePaths::new(&root)).unwrap();
        add_target(&store, "hook", TargetKind::Webhook, &rx.url("/hook"), None);
        kesou_watch::add(&store, "本机命令行", watch(QUESTION, &["hook"])).unwrap();
        let three: Vec<String> = ids(&store, BELOW).into_iter().take(3).collect();
        std::fs::write(
            dir.path().join("b.ndjson"),
            batch_lines(&store, &three, "e").join("\n"),
        )
        .unwrap();
        three
    };
    let data = root.to_str().unwrap();
    let b = dir.path().join("b.ndjson");
    let out = kesou(&["apply", "--no-deliver", "--data", data, b.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("fired: 3 entered"), "{text}");
    assert!(rx.got().is_empty(), "queued, not sent");
    for _ in 0..2 {
        let out = kesou(&["watch", "deliver", "--data", data])
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    assert_eq!(rx.got().len(), 1);
    assert_eq!(
        listed(&rx.got()[0].body, "entered"),
        three.into_iter().collect()
    );
}

#[test]
fn a_sales_watch_never_lists_a_customer_outside_their_scope() {
    let (_dir, root) = fresh();
    let mut users = Users::load(&root).unwrap();
    users
        .add(User::new("admin", Role::Admin), "a long admin password")
        .unwrap();
    users
        .add(
            User {
                regions: vec!["华东".into()],
                ..User::new("测试员甲", Role::Sales)
            },
            "a long sales password",
        )
        .unwrap();
    users.save().unwrap();
    let store = Store::open(&StorePaths::new(&root)).unwrap();
    let rx = Receiver::start(|_| Reply::Ok);
    add_target(&store, "hook", TargetKind::Webhook, &rx.url("/hook"), None);
    let info = kesou_watch::add(
        &store,
        "测试员甲",
        watch("年采购额超过500万的客户", &["hook"]),
    )
    .unwrap();
    let outside_before: Vec<String> = ids(
        &store,
        "SELECT m.customer_id FROM watch_members m JOIN customers c ON c.id = m.customer_id \
         WHERE c.region <> '华东' AND c.owner <> '测试员甲'",
    );
    assert!(outside_before.is_empty(), "{outside_before:?}");
    assert!(info.members > 0);
    let east: Vec<String> = ids(&store, BELOW).into_iter().take(2).collect();
    let south: Vec<String> = ids(
        &store,
        "SELECT id FROM customers WHERE region = '华南' AND owner <> '测试员甲' \
         AND coalesce(annual_purchase, 0) < 1000000 ORDER BY id",
    )
    .into_iter()
    .take(2)
    .collect();
    assert_eq!(south.len(), 2);
    let mut all = east.clone();
    all.extend(south.iter().cloned());
    store
        .apply(&big_orders(&store, &all, "f"), &NoProgress)
        .unwrap();
    // An administrator's watch on the same question sees all four.
    let out = kesou_watch::evaluate_all(&store, &settings()).unwrap();
    assert_eq!(out[0].entered, east);
    let conn = store.reader().unwrap().conn;
    kesou_watch::deliver_due(&conn, &root, &settings()).unwrap();
    let got = rx.got();
    assert_eq!(got.len(), 1);
    let listed = listed(&got[0].body, "entered");
    assert_eq!(listed, east.iter().cloned().collect());
    assert!(south.iter().all(|s| !listed.contains(s)));
    assert!(!got[0].body.to_string().contains(&south[0]));

    // A disabled owner's watch does not run; a watch needs a user of the store.
    let mut users = Users::load(&root).unwrap();
    users.set_disabled("测试员甲", true).unwrap();
    users.save().unwrap();
    let out = kesou_watch::evaluate_all(&store, &settings()).unwrap();
    assert!(out[0].skipped.as_deref().unwrap().contains("disabled"));
    let e = kesou_watch::add(&store, "nobody", watch(QUESTION, &[])).unwrap_err();
    assert!(e.is_user_error(), "{e}");
    // A 业务员 may not watch by a field their role sees masked.
    users.set_disabled("测试员甲", false).unwrap();
    users.save().unwrap();
    let phone = kesou_nlq::Query {
        table: "customers".into(),
        filters: vec![kesou_nlq::Filter::field(
            "contact_phone",
            kesou_nlq::Op::Eq,
            kesou_nlq::Value::Str("13800138000".into()),
            None,
        )],
        ..Default::default()
    };
    let e = kesou_watch::add(
        &store,
        "测试员甲",
        NewWatch {
            query: Some(phone),
            ..watch("电话是13800138000的客户", &[])
        },
    );
    assert!(matches!(e, Err(kesou_watch::Error::Forbidden(_))), "{e:?}");
}

#[test]
fn robots_get_their_formats_and_dingtalk_requests_are_signed() {
    let (_dir, root) = fresh();
    let store = Store::open(&StorePaths::new(&root)).unwrap();
    let rx = Receiver::start(|_| Reply::Ok);
    let secret = "SEC0123456789abcdef";
    add_target(
        &store,
        "ding",
        TargetKind::Dingtalk,
        &rx.url("/robot/send?access_token=tok"),
        Some(secret),
    );
    add_target(
        &store,
        "wecom",
        TargetKind::Wecom,
        &rx.url("/cgi-bin/webhook/send?key=k-1"),
        None,
    );
    kesou_watch::add(&store, "本机命令行", watch(QUESTION, &["ding", "wecom"])).unwrap();
    let three: Vec<String> = ids(&store, BELOW).into_iter().take(3).collect();
    store
        .apply(&big_orders(&store, &three, "g"), &NoProgress)
        .unwrap();
    kesou_watch::evaluate_all(&store, &settings()).unwrap();
    let conn = store.reader().unwrap().conn;
    let r = kesou_watch::deliver_due(&conn, &root, &settings()).unwrap();
    assert_eq!(r.sent, 2);
    let got = rx.got();
    let ding = got.iter().find(|g| g.path.starts_with("/robot")).unwrap();
    let wecom = got.iter().find(|g| g.path.starts_with("/cgi-bin")).unwrap();
    // DingTalk: …&timestamp=MS&sign=urlencode(base64(hmac_sha256(secret, MS\nsecret))).
    let query = ding.path.split_once('?').unwrap().1;
    let param = |k: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{k}=")))
            .unwrap()
            .to_owned()
    };
    assert_eq!(param("access_token"), "tok");
    let ts: i64 = param("timestamp").parse().unwrap();
    assert!((chrono::Utc::now().timestamp_millis() - ts).abs() < 600_000);
    assert_eq!(
        param("sign"),
        kesou_watch::robots::url_encode(&kesou_watch::robots::dingtalk_sign(secret, ts))
    );
    assert_eq!(ding.body["msgtype"], "markdown");
    let text = ding.body["markdown"]["text"].as_str().unwrap();
    for id in &three {
        assert!(text.contains(id.as_str()), "{text}");
    }
    assert!(ding.body["markdown"]["title"].is_string());
    // WeCom: the key stays in the URL as configured, no signature; markdown has content only.
    assert_eq!(wecom.path, "/cgi-bin/webhook/send?key=k-1");
    assert_eq!(wecom.body["msgtype"], "markdown");
    assert_eq!(wecom.body["markdown"].as_object().unwrap().len(), 1);
    assert!(
        wecom.body["markdown"]["content"]
            .as_str()
            .unwrap()
            .contains("新进入 3 家")
    );
}

#[test]
fn demo_data_is_held_unless_the_target_allows_it() {
    let (_dir, root) = fresh();
    std::fs::create_dir_all(root.join("source")).unwrap();
    let store = Store::open(&StorePaths::new(&root)).unwrap();
    let rx = Receiver::start(|_| Reply::Ok);
    add_target(&store, "hook", TargetKind::Webhook, &rx.url("/hook"), None);
    kesou_watch::add(&store, "本机命令行", watch(QUESTION, &["hook"])).unwrap();
    let three: Vec<String> = ids(&store, BELOW).into_iter().take(3).collect();
    store
        .apply(&big_orders(&store, &three, "h"), &NoProgress)
        .unwrap();
    kesou_watch::evaluate_all(&store, &settings()).unwrap();
    let conn = store.reader().unwrap().conn;
    kesou_watch::deliver_due(&conn, &root, &settings()).unwrap();
    assert!(rx.got().is_empty());
    assert_eq!(
        kesou_watch::outbox::items(&conn, 5).unwrap()[0].state,
        "held"
    );
    assert_eq!(kesou_watch::release_held(&conn).unwrap(), 1);
    kesou_watch::deliver_due(&conn, &root, &settings()).unwrap();
    assert_eq!(rx.got().len(), 1);
}

#[test]
fn only_administrators_configure_targets_and_questions_must_be_understood_whole() {
    let (_dir, root) = fresh();
    let store = Store::open(&StorePaths::new(&root)).unwrap();
    let conn = store.reader().unwrap().conn;
    let policy = kesou_access::Policy::default();
    let sales = Principal::for_role("s", Role::Sales, None, &policy);
    let t = Target {
        name: "x".into(),
        kind: TargetKind::Webhook,
        url: "http://127.0.0.1:1/x".into(),
        secret: None,
        format: kesou_watch::Format::Text,
        allow_demo: false,
        created_by: String::new(),
    };
    assert!(matches!(
        kesou_watch::add_target(&conn, &sales, t.clone()),
        Err(kesou_watch::Error::Forbidden(_))
    ));
    for bad in [
        "asdf华东客户",
        "价值贡献TOP20客户按省份统计",
        "按省份统计客户数",
    ] {
        let e = kesou_watch::add(&store, "本机命令行", watch(bad, &[])).unwrap_err();
        assert!(e.is_user_error(), "{bad}: {e}");
    }
    let e = kesou_watch::add(&store, "本机命令行", watch(QUESTION, &["nope"])).unwrap_err();
    assert!(e.to_string().contains("no delivery target"), "{e}");
    // A top-N is asked whole after a change, and says why.
    let top = kesou_watch::add(&store, "本机命令行", watch("价值贡献TOP20客户", &[])).unwrap();
    assert_eq!(top.members, 20);
    let out = kesou_watch::evaluate_all(&store, &settings()).unwrap();
    assert!(out[0].firing.is_none());
    let three: Vec<String> = ids(&store, BELOW).into_iter().take(3).collect();
    store
        .apply(&big_orders(&store, &three, "i"), &NoProgress)
        .unwrap();
    let out = kesou_watch::evaluate_all(&store, &settings()).unwrap();
    assert!(out[0].full_run.as_deref().unwrap().contains("top-N"));
    assert_eq!(out[0].entered.len(), 3, "9M orders put them in the top 20");
    assert_eq!(out[0].left.len(), 3, "three others left the top 20");
    let msg = kesou_watch::list(&store.reader().unwrap().conn, None).unwrap()[0].last_firings[0]
        .summary
        .clone();
    assert!(
        msg.contains("新进入 3 家客户") && !msg.contains("离开"),
        "{msg}"
    );
}

/// Watches asked together after a batch (one statement for all) record exactly the members
/// a whole run of each finds, entering and leaving alike.
#[test]
fn watches_asked_together_keep_the_members_each_whole_answer_has() {
    let (_dir, root) = fresh();
    let store = Store::open(&StorePaths::new(&root)).unwrap();
    let questions = [
        QUESTION,
        "华东年采购额超过100万的客户",
        "年采购额超过500万的制造业客户",
        "不在华东的大型客户",
    ];
    for q in questions {
        let mut w = watch(q, &[]);
        w.fire_on = FireOn::Both;
        kesou_watch::add(&store, "本机命令行", w).unwrap();
    }
    // One evaluator for both writes, as the server keeps: its reader renewed from each.
    let evaluator = kesou_watch::Evaluator::default();
    // Three customers gain a big order.
    let three: Vec<String> = ids(&store, BELOW).into_iter().take(3).collect();
    store
        .apply(&big_orders(&store, &three, "t"), &NoProgress)
        .unwrap();
    let rich = ids(
        &store,
        "SELECT id FROM customers WHERE region = '华东' AND annual_purchase > 5000000 \
         AND id NOT IN (SELECT customer_id FROM orders WHERE id LIKE 'OWt%') ORDER BY id LIMIT 3",
    );
    // Three others are deleted, with their orders.
    let deletes: Vec<String> = rich
        .iter()
        .map(|c| serde_json::json!({"op": "delete", "id": c}).to_string())
        .collect();
    let outcomes = evaluator.evaluate(&store, &settings()).unwrap();
    assert_eq!(outcomes[0].entered, three);
    store
        .apply(
            &Changes::parse(deletes.join("\n").as_bytes()).unwrap(),
            &NoProgress,
        )
        .unwrap();
    let outcomes = evaluator.evaluate(&store, &settings()).unwrap();
    assert_eq!(outcomes.len(), questions.len());
    assert!(
        outcomes.iter().all(|o| o.full_run.is_none()),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[0].left, rich, "deleted: they left");
    // What each recorded is what asking it whole finds.
    let asker = kesou_query::ask::Asker::on_store(&store).unwrap();
    let conn = store.reader().unwrap().conn;
    for (o, q) in outcomes.iter().zip(questions) {
        let answer = asker
            .ask(
                q,
                &kesou_query::ask::AskOptions {
                    all: true,
                    page_size: Some(kesou_query::MAX_ROWS),
                    ..Default::default()
                },
            )
            .unwrap();
        let whole: BTreeSet<String> = answer
            .table
            .rows
            .iter()
            .map(|r| r[0].as_str().unwrap().to_owned())
            .collect();
        let mut stmt = conn
            .prepare("SELECT customer_id FROM watch_members WHERE watch_id = ?")
            .unwrap();
        let recorded: BTreeSet<String> = stmt
            .query_map([o.watch], |r| r.get::<_, String>(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(recorded, whole, "{q}");
        assert_eq!(o.members, whole.len(), "{q}");
    }
}

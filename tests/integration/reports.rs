//! Reports on a schedule: a board delivered as its subscriber sees it (their rows, masked
//! fields masked), as one page that fetches nothing, once per period to a folder and to a
//! webhook receiver on loopback.

use std::collections::BTreeSet;
use std::path::Path;

use kesou_access::{Principal, Role, User, Users};
use kesou_indexer::{Store, StorePaths};
use kesou_watch::{Every, FireOn, NewWatch, TargetKind};

use super::watch::{Receiver, Reply, add_target, fresh, settings};

fn subscription(board: &str, every: Every, targets: &[&str]) -> NewWatch {
    NewWatch {
        name: "销售周报".into(),
        question: String::new(),
        query: None,
        fire_on: FireOn::Enter,
        targets: targets.iter().map(|t| t.to_string()).collect(),
        every: Some(every),
        condition: None,
        board: Some(board.into()),
        filters: Vec::new(),
        period: None,
    }
}

fn files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Nothing in the page asks for anything from anywhere.
fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<script", "<link", "src=", "href=", "@import", "url(", "<img", "<iframe",
    ] {
        assert!(!lower.contains(bad), "the page has {bad}");
    }
    assert!(lower.contains("<svg"), "a chart is drawn inline");
}

#[test]
fn a_sales_subscriber_s_report_shows_only_their_customers_masked() {
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
    // Company names masked for 业务员 too, so that the board's every row shows the rule.
    let policy_path = root.join("access").join("policy.toml");
    let mut policy = std::fs::read_to_string(&policy_path)
        .unwrap_or_else(|_| include_str!("../../access/src/policy.toml").to_owned());
    policy.push_str("\n[fields.name]\n\"管理员\" = \"show\"\n\"业务员\" = \"mask\"\n");
    std::fs::write(&policy_path, policy).unwrap();

    let store = Store::open(&StorePaths::new(&root)).unwrap();
    let out = tempfile::tempdir().unwrap();
    let folder = out.path().join("周报");
    add_target(
        &store,
        "files",
        TargetKind::Folder,
        folder.to_str().unwrap(),
        None,
    );
    // Only administrators add targets, a folder by its absolute path.
    let conn = store.reader().unwrap().conn;
    let policy = kesou_access::Policy::load(&policy_path).unwrap();
    let sales = Principal::for_role("测试员甲", Role::Sales, None, &policy);
    let folder_target = |url: &str, by: &Principal| {
        kesou_watch::add_target(
            &conn,
            by,
            kesou_watch::Target {
                name: "x".into(),
                kind: TargetKind::Folder,
                url: url.into(),
                secret: None,
                format: kesou_watch::Format::Text,
                allow_demo: false,
                created_by: String::new(),
            },
        )
    };
    assert!(matches!(
        folder_target(folder.to_str().unwrap(), &sales),
        Err(kesou_watch::Error::Forbidden(_))
    ));
    assert!(folder_target("relative/dir", &Principal::local()).is_err());

    let info = kesou_watch::add(
        &store,
        "测试员甲",
        subscription("top20", Every::Weekly, &["files"]),
    )
    .unwrap();
    assert!(info.watch.is_report());
    assert!(kesou_watch::add(&store, "测试员甲", subscription("nope", Every::Daily, &[])).is_err());
    let hourly = kesou_watch::add(
        &store,
        "测试员甲",
        subscription("top20", Every::Hourly, &[]),
    );
    assert!(hourly.unwrap_err().is_user_error());

    let out1 = kesou_watch::run_scheduled(&store, &settings(), false).unwrap();
    assert_eq!(out1.len(), 1, "{out1:?}");
    assert_eq!(out1[0].queued, 1);
    let r = kesou_watch::deliver_due(&conn, &root, &settings()).unwrap();
    assert_eq!(r.sent, 1);
    let written = files(&folder);
    let period = kesou_watch::period_at(Every::Weekly, chrono::Utc::now().timestamp_micros());
    let base = format!("销售周报-{}", period.start.format("%Y-%m-%d"));
    assert_eq!(
        written,
        [format!("{base}.csv"), format!("{base}.html")]
            .into_iter()
            .collect(),
        "no partial file is left"
    );
    let html = std::fs::read_to_string(folder.join(format!("{base}.html"))).unwrap();
    let csv = std::fs::read_to_string(folder.join(format!("{base}.csv"))).unwrap();
    assert_self_contained(&html);
    assert!(csv.starts_with('\u{feff}'));

    // The rows are the 业务员's: 华东 or their own, and names masked as the server masks them.
    let allowed: BTreeSet<String> = {
        let mut stmt = conn
            .prepare("SELECT id FROM customers WHERE region = '华东' OR owner = '测试员甲'")
            .unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let mut stmt = conn
        .prepare("SELECT id, name FROM customers ORDER BY annual_purchase DESC NULLS LAST LIMIT 40")
        .unwrap();
    let top: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let subscriber = kesou_watch::owner_principal(&root, "测试员甲").unwrap();
    let (mut shown, mut outside) = (0, 0);
    for (id, name) in &top {
        let masked = subscriber
            .apply_to_value("name", &serde_json::json!(name))
            .unwrap();
        assert_ne!(masked.as_str().unwrap(), name, "names are masked");
        assert!(!html.contains(name.as_str()), "{name} appears unmasked");
        assert!(!csv.contains(name.as_str()), "{name} appears unmasked");
        if html.contains(id.as_str()) {
            assert!(
                allowed.contains(id),
                "{id} is outside the subscriber's rows"
            );
            assert!(html.contains(masked.as_str().unwrap()));
            shown += 1;
        } else if !allowed.contains(id) {
            outside += 1;
        }
    }
    assert!(shown > 0 && outside > 0, "shown {shown}, outside {outside}");

    // The scheduler again in the same period: nothing new is queued or written.
    let before = std::fs::metadata(folder.join(format!("{base}.html")))
        .unwrap()
        .modified()
        .unwrap();
    assert!(
        kesou_watch::run_scheduled(&store, &settings(), false)
            .unwrap()
            .is_empty()
    );
    let forced = kesou_watch::run_scheduled(&store, &settings(), true).unwrap();
    assert_eq!(forced[0].queued, 0, "one delivery per period, even forced");
    let r = kesou_watch::deliver_due(&conn, &root, &settings()).unwrap();
    assert_eq!(r.sent, 0);
    assert_eq!(files(&folder), written);
    let after = std::fs::metadata(folder.join(format!("{base}.html")))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
    let listed = kesou_watch::list(&conn, Some("测试员甲")).unwrap();
    assert!(listed[0].last_firings[0].summary.contains("报表"));
}

#[test]
fn a_webhook_receives_a_combined_dashboard_once_per_period() {
    let (_dir, root) = fresh();
    let store = Store::open(&StorePaths::new(&root)).unwrap();
    {
        let asker = kesou_query::ask::Asker::on_store(&store).unwrap();
        let by = kesou_query::boards::Author {
            name: "本机命令行",
            admin: true,
        };
        kesou_query::boards::save_combo(
            &asker,
            &kesou_query::boards::ComboSpec {
                name: "week".into(),
                title: "销售周报".into(),
                boards: vec!["map".into(), "matrix".into()],
            },
            by,
        )
        .unwrap();
    }
    let rx = Receiver::start(|n| if n == 0 { Reply::Fail } else { Reply::Ok });
    add_target(&store, "hook", TargetKind::Webhook, &rx.url("/hook"), None);
    let owner = Principal::local().name;
    let info = kesou_watch::add(
        &store,
        &owner,
        subscription("week", Every::Daily, &["hook"]),
    )
    .unwrap();
    let conn = store.reader().unwrap().conn;
    for _ in 0..3 {
        kesou_watch::run_scheduled(&store, &settings(), false).unwrap();
        kesou_watch::deliver_due(&conn, &root, &settings()).unwrap();
    }
    let got = rx.got();
    assert_eq!(got.len(), 2, "one failed attempt, then one delivery");
    assert_eq!(got[0].key, got[1].key, "a retry keeps its idempotency key");
    let body = &got[1].body;
    assert_eq!(body["event"], "report");
    assert_eq!(body["watch"], info.watch.id);
    let period = kesou_watch::period_at(Every::Daily, chrono::Utc::now().timestamp_micros());
    assert_eq!(body["period"], period.label.as_str());
    assert!(body["title"].as_str().unwrap().contains("销售周报"));
    assert!(body["generated_at"].as_str().is_some());
    let html = body["html"].as_str().unwrap();
    assert_self_contained(html);
    let csv = body["csv"].as_array().unwrap();
    assert_eq!(csv.len(), 2, "one CSV per board");
    let names: Vec<&str> = csv.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(
        names[0].ends_with("-map.csv") && names[1].ends_with("-matrix.csv"),
        "{names:?}"
    );
    assert!(csv[0]["content"].as_str().unwrap().starts_with('\u{feff}'));
    assert!(
        body["link"]
            .as_str()
            .unwrap()
            .ends_with("/#/dashboards/week")
    );
    // Each attempt is audited with the rows it carried.
    let entries = super::watch::deliveries_audited(&root);
    let mut outcomes: Vec<&str> = entries.iter().map(|e| e.event.outcome.as_str()).collect();
    outcomes.sort_unstable();
    assert_eq!(outcomes, ["failed", "ok"]);
    assert!(
        entries
            .iter()
            .all(|e| e.event.rows > 0 && e.event.interpretation == "销售周报")
    );

    // `kesou watch test`: sent now, apart from the period's delivery.
    let out = kesou_watch::send_now(&store, info.watch.id, &settings()).unwrap();
    assert_eq!(out.queued, 1);
    kesou_watch::deliver_due(&conn, &root, &settings()).unwrap();
    assert_eq!(rx.got().len(), 3);
    assert_ne!(rx.got()[2].key, got[1].key);
    assert!(
        kesou_watch::run_scheduled(&store, &settings(), false)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_cli_subscribes_lists_and_sends_a_report_to_a_folder() {
    let (_dir, root) = fresh();
    let data = root.to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let folder = out.path().join("reports");
    let run = |args: &[&str]| {
        let o = super::watch::kesou(args).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success(),
            "{args:?}: {text}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        text
    };
    run(&[
        "watch",
        "target",
        "add",
        "files",
        "--kind",
        "folder",
        "--url",
        folder.to_str().unwrap(),
        "--data",
        data,
    ]);
    let added = run(&[
        "watch",
        "add",
        "--report",
        "matrix",
        "--every",
        "weekly",
        "--target",
        "files",
        "--name",
        "区域行业周报",
        "--data",
        data,
    ]);
    assert!(added.contains("report 1 saved"), "{added}");
    let listed = run(&["watch", "list", "--data", data]);
    assert!(listed.contains("report matrix · weekly"), "{listed}");
    let sent = run(&["watch", "test", "1", "--data", data]);
    assert!(sent.contains("1 deliveries queued"), "{sent}");
    let written = files(&folder);
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(
        written.iter().all(|f| f.starts_with("区域行业周报-")),
        "{written:?}"
    );
    // The test was not this week's delivery: the scheduled run still sends it, once.
    run(&["watch", "run", "--data", data]);
    run(&["watch", "run", "--data", data]);
    assert_eq!(
        files(&folder),
        written,
        "the same period's files, replaced once"
    );
    {
        let store = Store::open(&StorePaths::new(&root)).unwrap();
        let conn = store.reader().unwrap().conn;
        let sent: i64 = conn
            .query_row(
                "SELECT count(*) FROM watch_outbox WHERE state = 'sent'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(sent, 2, "the test and the week's delivery");
    }
    // A bad kind of schedule is refused with what to write.
    let o = super::watch::kesou(&[
        "watch", "add", "--board", "map", "--every", "hourly", "--data", data,
    ])
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("daily"), "{said}");
}

/// A report keeps the filter bar it was subscribed with: the board's rows are those of the
/// filters and the period shows in its title; filters it cannot read or periods a board
/// has not are refused when subscribing, and a watch of a question takes none.
#[test]
fn a_report_keeps_the_filters_and_period_it_was_subscribed_with() {
    let (_dir, root) = fresh();
    let store = Store::open(&StorePaths::new(&root)).unwrap();
    let owner = Principal::local();
    let mut new = subscription("top20", Every::Weekly, &[]);
    new.filters = vec!["industry=制造".into()];
    let info = kesou_watch::add(&store, &owner.name, new).unwrap();
    assert_eq!(info.watch.view.filters, ["industry=制造"]);
    let asker = kesou_query::ask::Asker::on_store(&store).unwrap();
    let period = kesou_watch::period_at(Every::Weekly, chrono::Utc::now().timestamp_micros());
    let r = kesou_watch::render_report(&asker, &info.watch, &owner, &period, &settings()).unwrap();
    assert!(
        r.html.contains("industry=制造"),
        "the report says how it is filtered"
    );
    // The period too, kept and shown.
    let mut new = subscription("map", Every::Daily, &[]);
    new.name = "近90天地图".into();
    new.period = Some(90);
    let map = kesou_watch::add(&store, &owner.name, new).unwrap();
    assert_eq!(map.watch.view.period, Some(90));
    let shown = kesou_watch::render_report(&asker, &map.watch, &owner, &period, &settings());
    assert!(shown.unwrap().html.contains("近90天"));
    let conn = store.reader().unwrap().conn;
    let ids = |sql: &str| -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let top = "SELECT id FROM customers WHERE annual_purchase IS NOT NULL";
    let order = "ORDER BY annual_purchase DESC, id LIMIT 20";
    let made = ids(&format!("{top} AND industry = '制造' {order}"));
    let others = ids(&format!("{top} AND industry <> '制造' {order}"));
    assert!(!made.is_empty() && !others.is_empty());
    for id in &made {
        assert!(
            r.html.contains(id.as_str()),
            "{id}, a top 制造 customer, is shown"
        );
    }
    for id in &others {
        assert!(!r.html.contains(id.as_str()), "{id} is not 制造 but shown");
    }
    // Refused at once: a filter on no field, a period no board has, a question's watch.
    for (filters, period) in [(vec!["nosuchfield=1"], None), (vec![], Some(7))] {
        let mut bad = subscription("top20", Every::Weekly, &[]);
        bad.name = format!("{filters:?}{period:?}");
        bad.filters = filters.into_iter().map(String::from).collect();
        bad.period = period;
        let e = kesou_watch::add(&store, &owner.name, bad).unwrap_err();
        assert!(e.is_user_error(), "{e}");
    }
    let mut question = subscription("top20", Every::Weekly, &[]);
    question.board = None;
    question.every = None;
    question.question = "制造业客户".into();
    question.filters = vec!["region=华东".into()];
    assert!(
        kesou_watch::add(&store, &owner.name, question)
            .unwrap_err()
            .is_user_error()
    );
}

//! Commands while `kesou serve` holds the store: `kesou ask`, `kesou search`, `kesou
//! ingest` and `kesou apply` go through the server and print what they would have printed; `kesou share` links to where the
//! server is; other commands name the server instead of a bare lock error; the server's
//! announcement is gone when it stops.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kesou_indexer::served;
use serde_json::Value;

const KESOU: &str = env!("CARGO_BIN_EXE_kesou");

fn kesou(args: &[&str]) -> Output {
    Command::new(KESOU).args(args).output().expect("run kesou")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Stops the server with Ctrl-C (SIGINT) when dropped, so a failing test leaves none.
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

#[test]
fn commands_go_through_a_running_server() {
    // More customers than a page (20) and than the server's largest page (1000).
    let generated = kesou_testkit::generated_store(1_200, 7);
    let dir = &generated.dir;
    let paths = &generated.paths;
    let store = paths.root.to_str().unwrap();
    let server = Serving(
        Command::new(KESOU)
            .args(["serve", "--demo", "--data", store, "--bind", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kesou serve"),
    );
    let started = Instant::now();
    let announced = loop {
        if let Some(s) = served::running(paths) {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the server never announced itself"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(announced.pid, server.0.id());

    let o = kesou(&["ask", "--data", store, "按大区统计客户数"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("groups") && text(&o).contains("华东"),
        "{}",
        text(&o)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("served by"),
        "{}",
        text(&o)
    );

    let o = kesou(&[
        "ask",
        "--data",
        store,
        "--all",
        "--format",
        "json",
        "所有客户",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let all: Value = serde_json::from_slice(&o.stdout).unwrap();
    let total = all["total"].as_u64().unwrap();
    assert!(total > 1_000, "more than the largest page: {total}");
    assert_eq!(
        all["rows"].as_array().unwrap().len() as u64,
        total,
        "every row, page by page"
    );

    let o = kesou(&[
        "search",
        "--data",
        store,
        "--filter",
        "region=华东",
        "--format",
        "json",
        "",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let found: Value = serde_json::from_slice(&o.stdout).unwrap();
    let hits = found["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["region"] == "华东"), "{found}");
    let o = kesou(&["search", "--data", store, "--filter", "region=华东", ""]);
    assert!(
        o.status.success() && text(&o).contains("customers match"),
        "{}",
        text(&o)
    );

    // The server's refusals are the user's errors, with its words.
    let o = kesou(&["search", "--data", store, "--filter", "region=火星", ""]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    let o = kesou(&["share", "--data", store, "top20"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .starts_with(&format!("{}/embed/top20?token=", announced.public_url)),
        "{}",
        text(&o)
    );

    // Writes go through it too: files loaded as the web app's import loads them (a folder
    // of a CRM's export with a field of its own, in a mapping), and a change batch.
    let export = kesou_testkit::source(
        kesou_testkit::Shape::new(50, 8).style(kesou_datagen::ExportStyle::Kingdee),
    );
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(
        &mapping,
        "[[file]]\nname = \"客户资料.csv\"\n[file.columns]\n\"客户等级\" = \"ignore\"\n",
    )
    .unwrap();
    let o = kesou(&[
        "ingest",
        "--data",
        store,
        "--map",
        mapping.to_str().unwrap(),
        export.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("loading through it"), "{}", text(&o));
    assert!(text(&o).contains("客户资料.csv"), "{}", text(&o));
    let o = kesou(&[
        "ask",
        "--data",
        store,
        "--format",
        "json",
        "信用额度最高的3个客户",
    ]);
    let answer = text(&o);
    assert!(
        o.status.success() && answer.contains("信用额度") && !answer.contains("\"ignored\":[\""),
        "the custom field is asked about at once: {answer}"
    );
    let o = kesou(&["ask", "--data", store, "按客户等级统计客户数"]);
    assert!(
        !text(&o).contains("\"客户等级\""),
        "a column the mapping left out is no field: {}",
        text(&o)
    );
    let batch = dir.path().join("batch.ndjson");
    std::fs::write(&batch, "{\"op\":\"delete\",\"id\":\"C0000001\"}\n").unwrap();
    let o = kesou(&["apply", "--data", store, batch.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("1 deleted"), "{}", text(&o));

    let o = kesou(&["duplicates", "--data", store]);
    assert!(!o.status.success());
    assert!(text(&o).contains("held by `kesou serve`"), "{}", text(&o));
    assert!(!text(&o).contains("   "), "one sentence: {}", text(&o));

    drop(server);
    assert!(served::running(paths).is_none());
    assert!(
        !paths.root.join(served::SERVER_FILE).exists(),
        "withdrawn when it stops"
    );
}

#[test]
fn serving_a_folder_without_a_store_advises_making_one_and_leaves_it_as_it_was() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("kesou-data");
    for demo in [true, false] {
        let mut args = vec![
            "serve",
            "--data",
            data.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ];
        if demo {
            args.push("--demo");
        }
        let out = kesou(&args);
        let said = text(&out);
        assert!(!out.status.success(), "{said}");
        assert!(
            said.contains("is not a kesou store") && said.contains("kesou demo --data"),
            "the advice makes a store: {said}"
        );
        assert!(
            !said.contains("user add"),
            "no advice that cannot work: {said}"
        );
        assert_eq!(said.matches("error:").count(), 1, "said once: {said}");
        assert!(
            !data.exists() || std::fs::read_dir(&data).unwrap().next().is_none(),
            "nothing left behind (no audit/), so `kesou demo` takes the folder"
        );
    }
}

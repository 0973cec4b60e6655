//! The web UI in a real browser: headless Chromium driven over WebDriver against the real
//! server (in-process, on 127.0.0.1:0) over a generated store of 3,000 customers (seed 7),
//! scored by the churn model as `kesou demo` does.
//! Each step saves a screenshot under `<target>/browser-screenshots/`, printed at the start.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`apt-get install -y chromium
//! chromium-driver`); `KESOU_SKIP_BROWSER=1` skips these tests instead.

mod webdriver;

use std::io::Write;
use std::path::PathBuf;
use std::sync::LazyLock;

use kesou_dashboards::{AppState, ServerConfig, app};
use serde_json::{Value, json};
use webdriver::{Driver, Session, keys};

const QUESTION: &str = "检索华东地区年采购额超百万的制造类客户";
const CUSTOMERS: u64 = 3_000;

/// The server over the generated store, for every test of this file.
struct Server {
    base: String,
}

static SERVER: LazyLock<Server> = LazyLock::new(|| {
    let paths = kesou_testkit::shared_store(
        "browser",
        &[kesou_testkit::Shape::new(CUSTOMERS as usize, 7)],
    );
    // As `kesou demo` does: the churn model scores the customers, with their reasons.
    let model = {
        let conn =
            kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read).expect("open");
        let (as_of, _) = kesou_indexer::store::as_of(&conn).expect("as_of");
        kesou_models::churn::train(&conn, as_of, &kesou_models::churn::TrainOptions::default())
            .expect("train churn")
    };
    kesou_models::churn::score_with(&paths, &model, &kesou_indexer::NoProgress)
        .expect("score churn");
    let base = serve(paths, true);
    Server { base }
});

const PASSWORD: &str = "browser test password";

/// A small store with users (served without --demo): the login test's.
static SERVER_WITH_USERS: LazyLock<Server> = LazyLock::new(|| {
    let paths =
        kesou_testkit::shared_store("browser with users", &[kesou_testkit::Shape::new(300, 7)]);
    let mut users = kesou_access::Users::load(&paths.root).expect("users");
    for (name, role, regions) in [
        ("admin", kesou_access::Role::Admin, vec![]),
        (
            "测试业务员",
            kesou_access::Role::Sales,
            vec!["华东".to_owned()],
        ),
    ] {
        let user = kesou_access::User {
            regions,
            ..kesou_access::User::new(name, role)
        };
        users.add(user, PASSWORD).expect("add user");
    }
    users.save().expect("save users");
    let base = serve(paths, false);
    Server { base }
});

/// Starts the app on a free local port in a thread of its own; returns its base URL.
fn serve(paths: kesou_indexer::StorePaths, demo: bool) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let base = format!("http://{}", listener.local_addr().expect("address"));
            let state = AppState::open(&ServerConfig {
                data: paths.clone(),
                demo,
                embed_key: Some(b"browser tests sign with this key of 32+ bytes".to_vec()),
                public_url: base.clone(),
                watch_first_retry: None,
            })
            .expect("open store");
            tx.send(base).expect("hand over the address");
            axum::serve(listener, app(state)).await.expect("serve");
        });
    });
    rx.recv().expect("server address")
}

/// A browser test's driver, session and screenshot folder; None when skipped.
struct Browser {
    // Field order matters: the session closes before its driver stops.
    session: Session,
    _driver: Driver,
    shots: PathBuf,
    name: &'static str,
    step: std::cell::Cell<u32>,
}

fn screenshots_dir() -> PathBuf {
    // <target>/debug/deps/browser-… → <target>/browser-screenshots
    let exe = std::env::current_exe().expect("test binary path");
    let target = exe
        .ancestors()
        .nth(3)
        .map_or_else(std::env::temp_dir, PathBuf::from);
    target.join("browser-screenshots")
}

/// A headless browser of `width` × `height` for test `name`, or None when skipped.
fn browser(name: &'static str, width: u32, height: u32) -> Option<Browser> {
    if std::env::var("KESOU_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        let _ = writeln!(
            std::io::stderr(),
            "browser test {name} skipped (KESOU_SKIP_BROWSER=1)"
        );
        return None;
    }
    let driver_path = webdriver::chromedriver_path();
    assert!(
        driver_path.exists() && webdriver::chromium_path().exists(),
        "the browser tests need chromedriver at {} and Chromium at {}: install them with \
         `apt-get install -y chromium chromium-driver` (or set KESOU_SKIP_BROWSER=1 to skip them)",
        driver_path.display(),
        webdriver::chromium_path().display()
    );
    let base = &SERVER.base;
    assert!(!base.is_empty());
    let driver = Driver::start(&driver_path).expect("chromedriver");
    let session = driver.session(width, height).expect("browser session");
    let shots = screenshots_dir();
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    let _ = writeln!(
        std::io::stderr(),
        "browser test {name}: screenshots in {}",
        shots.display()
    );
    Some(Browser {
        session,
        _driver: driver,
        shots,
        name,
        step: std::cell::Cell::new(0),
    })
}

impl Browser {
    fn open(&self, path: &str) {
        self.session
            .goto(&format!("{}{path}", SERVER.base))
            .expect("open page");
    }

    fn open_on(&self, server: &Server, path: &str) {
        self.session
            .goto(&format!("{}{path}", server.base))
            .expect("open page");
    }

    fn shot(&self, what: &str) {
        let n = self.step.get() + 1;
        self.step.set(n);
        let path = self.shots.join(format!("{}-{n:02}-{what}.png", self.name));
        self.session.screenshot(&path).expect("screenshot");
    }

    fn js(&self, script: &str) -> Value {
        self.session.run(script, &[]).expect(script)
    }

    fn wait(&self, what: &str, script: &str) -> Value {
        self.session
            .wait_for(what, script, &[])
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Waits until the page shows the answer for the address it is at, and `also` holds
    /// of it. A view stamps the element it drew with the address it drew it for
    /// (`data-answer`, `web/js/dom.js` `stamp`) once drawn, so the wait never sees the
    /// previous answer under a new address (a row count or a missing spinner can).
    fn answered(&self, what: &str, also: &str) -> Value {
        self.wait(what, &format!("return {ANSWERED} && ({also})"))
    }

    /// The page's address now (its hash), as a JavaScript string literal.
    fn hash(&self) -> String {
        self.js("return JSON.stringify(location.hash)")
            .as_str()
            .expect("a hash")
            .to_owned()
    }

    /// An API call from the page (same origin), synchronously: [status, JSON body].
    fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u64, Value) {
        let answer = self
            .session
            .run(
                "const x = new XMLHttpRequest(); x.open(arguments[0], arguments[1], false);
                 x.setRequestHeader('content-type', 'application/json');
                 x.send(arguments[2] === null ? null : JSON.stringify(arguments[2]));
                 let body = null; try { body = JSON.parse(x.responseText); } catch (e) {}
                 return [x.status, body];",
                &[json!(method), json!(path), body.unwrap_or(Value::Null)],
            )
            .expect("api call");
        (answer[0].as_u64().unwrap_or(0), answer[1].clone())
    }

    fn texts(&self, css: &str) -> Vec<String> {
        let found = self
            .session
            .run("return [...document.querySelectorAll(arguments[0])].map(e => e.textContent.trim())", &[json!(css)])
            .expect("texts");
        found
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The cells of the results table's column labelled `label`.
    fn column(&self, label: &str) -> Vec<String> {
        let found = self
            .session
            .run(
                "const heads = [...document.querySelectorAll('table.results thead th')].map(th => th.textContent.replace(/[↑↓]/g, '').trim());
                 const i = heads.indexOf(arguments[0]);
                 if (i < 0) return null;
                 return [...document.querySelectorAll('table.results tbody tr')].map(tr => tr.children[i].textContent.trim());",
                &[json!(label)],
            )
            .expect("column");
        found
            .as_array()
            .unwrap_or_else(|| panic!("no column {label} in the results table"))
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn total(&self) -> u64 {
        self.js("const el = document.querySelector('.total[data-total]'); return el ? Number(el.dataset.total) : -1")
            .as_i64()
            .map_or(0, |n| u64::try_from(n).unwrap_or(0))
    }

    fn no_horizontal_overflow(&self, page: &str) {
        let widths = self.js("return [document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]");
        let (scroll, inner, body) = (
            widths[0].as_u64().unwrap(),
            widths[1].as_u64().unwrap(),
            widths[2].as_u64().unwrap(),
        );
        assert!(
            scroll <= inner && body <= inner,
            "{page}: the page is {scroll} px wide (body {body}) in a {inner} px viewport"
        );
    }
}

/// The app has drawn the answer for its address (see [`Browser::answered`]).
const ANSWERED: &str =
    "[...document.querySelectorAll('[data-answer]')].some(e => e.dataset.answer === location.hash)";

/// The embed page has drawn (or refused) the board and token of its address.
const EMBED_ANSWERED: &str = "const e = document.getElementById('embed'); return e && e.dataset.answer === location.pathname + location.search";

/// The server's refusal of a missing or bad token: a static page, whole once loaded.
const EMBED_REFUSED: &str = "return document.readyState === 'complete' && document.title.endsWith('无法显示') && !document.getElementById('embed')";

fn ask_hash(q: &str) -> String {
    format!("/{}", kesou_query::boards::ask_link(q))
}

#[test]
fn typing_a_question_suggests_then_asking_shows_chips_and_rows() {
    let Some(b) = browser("ask", 1280, 900) else {
        return;
    };
    b.open("/");
    let input = b.session.find("#q").expect("question box");
    input.send_keys("华东科").expect("type");
    b.wait(
        "suggestions",
        "return document.querySelectorAll('.suggest [role=option]').length",
    );
    assert_eq!(
        input.attr("aria-expanded").unwrap().as_deref(),
        Some("true")
    );
    b.shot("suggestions");
    input.send_keys(keys::ARROW_DOWN).unwrap();
    let active = input
        .attr("aria-activedescendant")
        .unwrap()
        .expect("↓ marks a suggestion");
    assert!(
        b.texts(&format!("#{active}"))[0].contains("华东"),
        "the marked suggestion continues the words typed"
    );
    input.send_keys(keys::ARROW_UP).unwrap();
    let last = b.js("return document.querySelectorAll('.suggest [role=option]').length - 1");
    assert_eq!(
        input.attr("aria-activedescendant").unwrap(),
        Some(format!("{}-{last}", active.rsplit_once('-').unwrap().0)),
        "↑ from the first suggestion wraps to the last"
    );
    input.send_keys(keys::ESCAPE).unwrap();
    assert_eq!(
        b.js("return document.querySelector('.suggest').hidden"),
        json!(true),
        "Esc closes the list"
    );

    input.clear().unwrap();
    input.send_keys(QUESTION).unwrap();
    input.send_keys(keys::ENTER).unwrap();
    b.answered("chips and rows", "location.hash.startsWith('#/ask?q=') && document.querySelectorAll('.chips .chip').length >= 3 && document.querySelectorAll('table.results tbody tr').length > 0");
    b.shot("answer");
    let chips = b.texts(".chips .chip .chip-label");
    assert!(
        chips.iter().any(|c| c.contains("华东")),
        "a chip for the region: {chips:?}"
    );
    assert!(
        chips.iter().any(|c| c.contains("制造")),
        "a chip for the industry: {chips:?}"
    );
    assert!(
        chips.iter().any(|c| c.contains("100万")),
        "a chip for the amount: {chips:?}"
    );
    let (status, answer) = b.api(
        "POST",
        "/api/ask",
        Some(json!({"q": QUESTION, "limit": 20})),
    );
    assert_eq!(status, 200);
    assert_eq!(
        b.total(),
        answer["total"].as_u64().unwrap(),
        "the page shows the API's total"
    );
    let regions = b.column("大区");
    assert!(
        !regions.is_empty() && regions.iter().all(|r| r == "华东"),
        "every row is in 华东: {regions:?}"
    );
    assert!(
        b.session.url().unwrap().contains("#/ask?q="),
        "the question is in the URL"
    );

    // CSV export: the file the button saves (kept in the page instead of written to disk).
    b.js("window.__csv = null; window.__file = null;
          const made = URL.createObjectURL;
          URL.createObjectURL = (blob) => { blob.text().then(t => { window.__csv = t; }); return made(blob); };
          HTMLAnchorElement.prototype.click = function () { window.__file = this.download; };");
    b.session.find("button.export").unwrap().click().unwrap();
    let csv = b.wait("the CSV", "return window.__csv");
    let csv = csv.as_str().unwrap();
    let lines: Vec<&str> = csv.lines().filter(|l| !l.is_empty()).collect();
    assert!(
        lines[0]
            .trim_start_matches('\u{feff}')
            .starts_with("客户编号"),
        "a header of labels: {}",
        lines[0]
    );
    assert_eq!(
        lines.len() as u64,
        answer["total"].as_u64().unwrap() + 1,
        "every matching row"
    );
    let file = b.js("return window.__file");
    assert!(
        file.as_str().is_some_and(|f| f.ends_with(".csv")),
        "saved as a .csv file: {file}"
    );
}

#[test]
fn removing_or_editing_a_chip_asks_again() {
    let Some(b) = browser("chips", 1280, 900) else {
        return;
    };
    b.open(&ask_hash(QUESTION));
    b.answered(
        "rows",
        "document.querySelectorAll('table.results tbody tr').length > 0",
    );
    let before = b.total();
    let asked = b.hash();
    let chips_before = b.texts(".chips .chip").len();
    b.shot("before");
    let remove = b
        .session
        .find(".chips .chip:nth-child(3) .chip-remove")
        .expect("industry chip ×");
    let label = b.texts(".chips .chip:nth-child(3) .chip-label")[0].clone();
    assert!(
        label.contains("制造"),
        "the third chip is the industry: {label}"
    );
    remove.click().unwrap();
    b.answered("a new answer", &format!("location.hash !== {asked}"));
    b.shot("without-industry");
    let after = b.total();
    assert!(
        after > before,
        "without 制造 more customers match: {before} → {after}"
    );
    assert_eq!(b.texts(".chips .chip").len(), chips_before - 1);
    let q = b.js("return document.getElementById('q').value");
    assert!(
        !q.as_str().unwrap().contains("制造"),
        "the question lost its words: {q}"
    );

    b.session
        .find(".chips .chip:first-child .chip-label")
        .unwrap()
        .click()
        .unwrap();
    // The words are selected on opening: typing replaces them (clearing would blur, which cancels).
    let edit = b
        .session
        .find(".chips .chip-input")
        .expect("the chip becomes editable");
    let asked = b.hash();
    edit.send_keys("华南地区").unwrap();
    edit.send_keys(keys::ENTER).unwrap();
    b.answered("华南 answer", &format!("location.hash !== {asked}"));
    assert!(
        b.texts(".chips .chip-label")
            .iter()
            .any(|c| c.contains("华南")),
        "a chip for the new region"
    );
    b.shot("edited-region");
    let regions = b.column("大区");
    assert!(
        regions.iter().all(|r| r == "华南"),
        "every row is in 华南 now: {regions:?}"
    );
}

#[test]
fn a_partial_answer_says_so_and_adds_an_ignored_word_back_as_text() {
    let Some(b) = browser("partial", 1280, 900) else {
        return;
    };
    b.open(&ask_hash("苏州天气不错的物流客户"));
    b.wait(
        "the partial notice",
        "return !!document.querySelector('.partial')",
    );
    let notice = b.texts(".partial")[0].clone();
    assert!(
        notice.contains("部分理解") && notice.contains("天气不错"),
        "{notice}"
    );
    b.shot("notice");
    b.session
        .find(".partial .add-text")
        .expect("a button adds the word back")
        .click()
        .unwrap();
    b.wait(
        "asked again with the word as text",
        "return document.getElementById('q').value.includes('提到天气不错') && !document.querySelector('.partial')",
    );
    b.wait("the text chip", "return [...document.querySelectorAll('.chips .chip-label')].some(c => c.textContent.includes('天气不错'))");
    b.shot("added-back");
}

#[test]
fn a_trend_question_draws_a_line_over_its_periods() {
    let Some(b) = browser("trend", 1280, 900) else {
        return;
    };
    b.open(&ask_hash("今年每个月的销售额"));
    b.wait(
        "the line of six months",
        "return document.querySelectorAll('svg.line circle.line-dot').length === 6",
    );
    let points = b.js(
        "return document.querySelector('svg.line polyline.line-path').getAttribute('points').trim().split(/\\s+/).length",
    );
    assert_eq!(points.as_u64(), Some(6), "one point a month");
    let labels = b.js(
        "return [...document.querySelectorAll('svg.line text.axis-label')].map(t => t.textContent)",
    );
    let labels: Vec<String> = serde_json::from_value(labels).unwrap();
    assert!(
        labels.iter().any(|l| l == "2026-01") && labels.iter().any(|l| l == "2026-06"),
        "months from January to June: {labels:?}"
    );
    let total = b.js("return [...document.querySelectorAll('svg.line circle.line-dot')].reduce((s, c) => s + Number(c.dataset.value), 0)");
    assert!(total.as_f64().unwrap() > 0.0, "the months hold sales");
    b.shot("line");
}

#[test]
fn a_share_question_shows_each_group_s_part_of_the_total() {
    let Some(b) = browser("share", 1280, 900) else {
        return;
    };
    b.open(&ask_hash("各大区客户数占比"));
    b.answered(
        "the share column",
        "[...document.querySelectorAll('table.results thead th')].some(th => th.textContent.includes('占比'))",
    );
    let shares: Vec<f64> = b
        .column("占比")
        .iter()
        .map(|s| {
            s.trim_end_matches('%')
                .parse::<f64>()
                .expect("a percentage")
        })
        .collect();
    assert!(!shares.is_empty(), "a share per region");
    let sum: f64 = shares.iter().sum();
    // Each share is rounded to a whole percent.
    assert!(
        (sum - 100.0).abs() <= 0.5 * shares.len() as f64,
        "the shares add up to the whole: {shares:?}"
    );
    let chips = b.js("return [...document.querySelectorAll('.chip')].map(c => c.textContent)");
    assert!(
        chips.to_string().contains("占比"),
        "the reading shows the share: {chips}"
    );
    b.shot("share");
}

#[test]
fn results_page_and_sort_on_the_server() {
    let Some(b) = browser("paging", 1280, 900) else {
        return;
    };
    b.open(&ask_hash("华东地区的客户"));
    b.answered(
        "rows",
        "document.querySelectorAll('table.results tbody tr').length === 20",
    );
    let first_page = b.column("客户编号");
    b.session
        .find(".pager button:last-of-type")
        .unwrap()
        .click()
        .unwrap();
    b.answered("page 2", "location.hash.includes('offset=20')");
    let second_page = b.column("客户编号");
    assert_eq!(second_page.len(), 20, "page 2 is a full page");
    assert!(
        second_page.iter().all(|id| !first_page.contains(id)),
        "page 2 shows other customers"
    );
    b.shot("page-2");

    b.session.find("th button.sort").unwrap(); // headers are buttons
    b.js("[...document.querySelectorAll('th button.sort')].find(x => x.textContent.includes('年采购额')).click()");
    b.answered("sorted", "location.hash.includes('sort=')");
    b.shot("sorted");
    let sorted_by = b.texts("th[aria-sort=descending]");
    assert_eq!(
        sorted_by
            .first()
            .map(|t| t.replace('↓', "").trim().to_owned()),
        Some("年采购额".to_owned()),
        "the column clicked sorts, largest first"
    );
    let (status, answer) = b.api("POST", "/api/ask", Some(json!({"q": "华东地区的客户", "offset": 0, "limit": 20, "sort": {"by": "annual_purchase", "desc": true}})));
    assert_eq!(status, 200);
    let ids: Vec<&str> = answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(
        b.column("客户编号"),
        ids,
        "the page shows the server's first page in that order"
    );
}

#[test]
fn dashboards_draw_their_charts() {
    let Some(b) = browser("dashboards", 1280, 1000) else {
        return;
    };
    b.open("/#/dashboards");
    b.answered(
        "cards",
        "document.querySelectorAll('.cards .card').length >= 7",
    );
    b.shot("index");
    for name in ["map", "top20", "churn", "funnel", "rfm", "matrix"] {
        assert_eq!(
            b.texts(&format!(".card[data-board={name}]")).len(),
            1,
            "a card for {name}"
        );
    }

    b.open("/#/dashboard/map");
    b.answered(
        "31 tiles",
        "document.querySelectorAll('svg.map g.tile').length === 31",
    );
    b.shot("map");
    let sum = b.js("return [...document.querySelectorAll('svg.map g.tile')].reduce((s, g) => s + Number(g.dataset.value), 0)");
    assert_eq!(
        sum.as_u64(),
        Some(CUSTOMERS),
        "the tiles count every customer"
    );
    let coloured = b.js("return new Set([...document.querySelectorAll('svg.map g.tile rect')].map(r => r.getAttribute('fill'))).size");
    assert!(
        coloured.as_u64().unwrap() >= 4,
        "the tiles use the colour scale"
    );
    assert!(b.texts(".legend li").len() >= 3, "a legend");

    b.open("/#/dashboard/funnel");
    b.answered(
        "stages",
        "document.querySelectorAll('svg.funnel g.stage').length >= 4",
    );
    b.shot("funnel");
    let stages = b.js("return [...document.querySelectorAll('svg.funnel g.stage')].reduce((s, g) => s + Number(g.dataset.value), 0)");
    assert_eq!(
        stages.as_u64(),
        Some(CUSTOMERS),
        "the stages hold every customer"
    );

    b.open("/#/dashboard/top20");
    b.answered(
        "bars",
        "document.querySelectorAll('svg.bars g.bar').length === 20",
    );
    b.shot("top20");
    let values = b.js(
        "return [...document.querySelectorAll('svg.bars g.bar')].map(g => Number(g.dataset.value))",
    );
    let values: Vec<f64> = values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        values.windows(2).all(|w| w[0] >= w[1]) && values[0] > 0.0,
        "bars ranked by purchase: {values:?}"
    );

    b.open("/#/dashboard/matrix");
    b.answered(
        "cells",
        "document.querySelectorAll('svg.matrix g.cell').length === 7 * 12",
    );
    b.shot("matrix");

    b.open("/#/dashboard/churn");
    b.answered("churn board", "document.querySelector('.board h1') && (document.querySelector('.note') || document.querySelector('figure.chart svg, figure.chart table'))");
    b.shot("churn");
}

#[test]
fn embeds_need_a_valid_token() {
    let Some(b) = browser("embed", 1000, 800) else {
        return;
    };
    // The board's 嵌入 dialog makes the link, with the board's filter fixed.
    b.open("/#/dashboard/top20?filter=region%3D%E5%8D%8E%E4%B8%9C");
    b.answered(
        "the filtered board",
        "document.querySelectorAll('svg.bars g.bar').length > 0",
    );
    b.js("[...document.querySelectorAll('.board-head button')].find(x => x.textContent === '嵌入').click()");
    b.wait(
        "the dialog with the fixed filter",
        "return document.querySelector('dialog.embed-dialog[open] .chip[data-filter=\"region=华东\"]')",
    );
    b.session
        .find("dialog.embed-dialog button.primary")
        .unwrap()
        .click()
        .unwrap();
    let url = b.wait(
        "the embed link",
        "const u = document.getElementById('embed-url'); return u && u.value",
    );
    b.shot("embed-dialog");
    let url = url.as_str().unwrap().to_owned();
    let snippet = b.js("return document.getElementById('embed-snippet').value");
    assert!(
        snippet.as_str().unwrap().starts_with("<iframe src=\""),
        "an iframe snippet: {snippet}"
    );
    let path = url
        .find("/embed/top20?token=")
        .map(|i| url[i..].to_owned())
        .unwrap_or_else(|| panic!("an /embed/top20 link: {url}"));
    let token = path.split("token=").nth(1).unwrap().to_owned();
    b.open(&path);
    b.wait("embedded chart", EMBED_ANSWERED);
    assert!(
        b.js("return document.querySelectorAll('svg.bars g.bar').length")
            .as_u64()
            .unwrap()
            > 0,
        "the board is drawn"
    );
    b.shot("valid-token");
    assert_eq!(
        b.js("return document.querySelectorAll('header, nav, #q, .filter-editor').length"),
        json!(0),
        "no app chrome in an embed"
    );
    let (_, east) = b.api(
        "GET",
        "/api/dashboards/top20?filter=region%3D%E5%8D%8E%E4%B8%9C",
        None,
    );
    let bars = b.js("return document.querySelectorAll('svg.bars g.bar').length");
    assert_eq!(
        bars.as_u64().unwrap() as usize,
        east["rows"].as_array().unwrap().len(),
        "the token's fixed filter applies"
    );

    b.open("/embed/top20");
    b.wait("refusal without token", EMBED_REFUSED);
    b.shot("no-token");
    assert_eq!(
        b.js("return document.querySelectorAll('svg').length"),
        json!(0),
        "nothing drawn without a token"
    );
    let said = b.js("return document.body.innerText");
    assert!(
        said.as_str().unwrap().contains("令牌"),
        "the refusal says why: {said}"
    );

    let bad: String = token.chars().rev().collect();
    b.open(&format!("/embed/top20?token={bad}"));
    b.wait("refusal with a bad token", EMBED_REFUSED);
    b.shot("bad-token");
    assert_eq!(
        b.js("return document.querySelectorAll('svg').length"),
        json!(0),
        "nothing drawn with a bad token"
    );
}

#[test]
fn the_english_switch_changes_labels() {
    let Some(b) = browser("english", 1280, 900) else {
        return;
    };
    b.open("/?lang=zh#/dashboards");
    b.answered(
        "Chinese cards",
        "document.querySelector('section.boards').dataset.lang === 'zh' && document.querySelectorAll('.cards .card').length >= 7",
    );
    assert!(b.texts("nav a").contains(&"提问".to_owned()));
    let zh_titles = b.texts(".card-title");
    b.session.find("button.lang").unwrap().click().unwrap();
    b.wait(
        "English navigation",
        "return [...document.querySelectorAll('nav a')].some(a => a.textContent === 'Ask')",
    );
    b.answered(
        "English cards",
        "document.querySelector('section.boards').dataset.lang === 'en' && document.querySelectorAll('.cards .card').length >= 7",
    );
    b.shot("english-dashboards");
    let en_titles = b.texts(".card-title");
    assert_ne!(zh_titles, en_titles, "card titles change language");
    assert!(
        en_titles.iter().any(|t| t.is_ascii()),
        "English titles: {en_titles:?}"
    );
    assert_eq!(b.js("return document.documentElement.lang"), json!("en"));
    b.open(&ask_hash(QUESTION));
    b.answered(
        "English answer",
        "document.querySelector('.result').dataset.lang === 'en' && document.querySelector('.total[data-total]')",
    );
    b.shot("english-answer");
    assert!(
        b.texts(".total")[0].contains("customers"),
        "the total speaks English"
    );
    assert!(
        b.texts("table.results th")
            .iter()
            .any(|h| h.contains("Region")),
        "column labels in English"
    );
}

#[test]
fn a_phone_screen_has_no_horizontal_page_overflow() {
    let Some(b) = browser("phone", 390, 844) else {
        return;
    };
    b.open(&ask_hash(QUESTION));
    b.answered(
        "rows",
        "document.querySelectorAll('table.results tbody tr').length > 0",
    );
    b.shot("answer");
    b.no_horizontal_overflow("answer");
    let scrolls = b.js(
        "const t = document.querySelector('.table-scroll'); return t.scrollWidth > t.clientWidth",
    );
    assert_eq!(
        scrolls,
        json!(true),
        "the wide table scrolls inside its box"
    );
    for (page, ready) in [
        (
            "/#/dashboards",
            "document.querySelectorAll('.cards .card').length >= 7",
        ),
        (
            "/#/dashboard/map",
            "document.querySelectorAll('svg.map g.tile').length === 31",
        ),
        (
            "/#/dashboard/matrix",
            "document.querySelectorAll('svg.matrix g.cell').length > 0",
        ),
        (
            "/#/dashboard/top20",
            "document.querySelectorAll('svg.bars g.bar').length > 0",
        ),
        (
            "/#/customer/C0000123",
            "document.querySelector('.profile h1') && !document.querySelector('.similar .status')",
        ),
    ] {
        b.open(page);
        b.answered(page, ready);
        b.shot(page.replace(['/', '#'], "-").trim_matches('-'));
        b.no_horizontal_overflow(page);
    }
    // The matrix keeps its numbers readable (it scrolls in its box instead of shrinking).
    b.open("/#/dashboard/matrix");
    b.answered(
        "matrix",
        "document.querySelectorAll('svg.matrix g.cell').length > 0",
    );
    let size = b.js("return document.querySelector('svg.matrix text.cell-value').getBoundingClientRect().height");
    assert!(
        size.as_f64().unwrap() >= 9.0,
        "matrix numbers {size} px high on a phone"
    );
    b.no_horizontal_overflow("/#/dashboard/matrix");
    // The report builder's preview is stamped with the report it previews.
    b.open("/#/reports/new");
    b.wait(
        "the report builder",
        "return document.querySelector('.preview[data-answer] figure')",
    );
    b.shot("reports-new");
    b.no_horizontal_overflow("/#/reports/new");
}

#[test]
fn a_profile_shows_the_customer_and_links_similar_ones() {
    let Some(b) = browser("profile", 1280, 1200) else {
        return;
    };
    b.open("/#/customer/C0000123");
    b.answered(
        "similar customers",
        "document.querySelectorAll('.similar-list li a.similar-name').length > 0",
    );
    b.shot("profile");
    let (status, profile) = b.api("GET", "/api/customers/C0000123", None);
    assert_eq!(status, 200);
    assert_eq!(
        b.texts(".profile h1")[0],
        profile["name"].as_str().unwrap(),
        "the profile names the customer"
    );
    let reasons = b.texts(".similar-list .reasons li");
    assert!(!reasons.is_empty(), "similar customers say why");
    let target =
        b.js("return document.querySelector('.similar-list a.similar-name').getAttribute('href')");
    b.session
        .find(".similar-list a.similar-name")
        .unwrap()
        .click()
        .unwrap();
    b.answered(
        "the similar customer's profile",
        &format!("location.hash === {target} && document.querySelector('.profile h1')"),
    );
    b.shot("similar-profile");
}

#[test]
fn a_report_is_built_saved_shown_and_deleted() {
    let Some(b) = browser("report", 1280, 1000) else {
        return;
    };
    b.open("/#/reports/new");
    b.wait("builder", "return document.querySelector('#rb-dimension option[value=industry]') && document.querySelector('.preview[data-answer] figure')");
    b.js("const t = document.getElementById('rb-title'); t.value = '华东各行业客户数';
          const d = document.getElementById('rb-dimension'); d.value = 'industry'; d.dispatchEvent(new Event('change'));
          document.getElementById('rb-name').value = 'east-industry';");
    let value = b.session.find(".filter-add input").unwrap();
    b.js("const f = document.querySelector('.filter-add select'); f.value = 'region'; f.dispatchEvent(new Event('change'));");
    value.send_keys("华东").unwrap();
    value.send_keys(keys::ENTER).unwrap();
    b.wait(
        "preview of 12 industries",
        "const p = document.querySelector('.preview[data-answer]'); if (!p) return false;
         const r = JSON.parse(p.dataset.answer);
         return r.dimension === 'industry' && r.filters.includes('region=华东') && document.querySelectorAll('.preview svg g.bar').length === 12",
    );
    b.shot("preview");
    b.session
        .find(".builder button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    b.answered("the saved report", "location.hash.startsWith('#/dashboard/east-industry') && document.querySelectorAll('svg g.bar').length === 12");
    b.shot("saved");
    b.open("/#/dashboards");
    b.answered(
        "its card",
        "document.querySelector('.card[data-board=east-industry]')",
    );
    b.open("/#/dashboard/east-industry");
    b.answered("delete button", "document.querySelector('button.danger')");
    b.js("window.confirm = () => true; document.querySelector('button.danger').click()");
    b.answered(
        "back to the index",
        "location.hash === '#/dashboards' && document.querySelectorAll('.cards .card').length >= 7",
    );
    assert_eq!(
        b.texts(".card[data-board=east-industry]").len(),
        0,
        "the deleted report is gone"
    );
}

#[test]
fn charts_headlines_and_reports_show_the_right_numbers() {
    let Some(b) = browser("numbers", 1280, 1000) else {
        return;
    };
    let sum = |css: &str| {
        b.js(&format!(
            "return [...document.querySelectorAll('{css}')].reduce((s, g) => s + Number(g.dataset.value), 0)"
        ))
        .as_f64()
        .unwrap_or(-1.0)
    };
    // A grouped answer's chart draws every group, not the table's page of 20.
    b.open(&ask_hash("各省份客户数量"));
    b.wait(
        "the map of every province",
        "return document.querySelector('.chart-slot[data-groups]') && document.querySelectorAll('svg.map g.tile').length === 31",
    );
    b.shot("provinces");
    assert_eq!(b.column("省份").len(), 20, "the table shows one page");
    assert_eq!(
        sum("svg.map g.tile"),
        CUSTOMERS as f64,
        "the map counts every customer"
    );

    b.open(&ask_hash("按大区和行业统计客户数"));
    b.wait(
        "the whole matrix",
        "return document.querySelector('.chart-slot[data-groups]') && document.querySelectorAll('svg.matrix g.cell').length === 7 * 12",
    );
    b.shot("matrix");
    assert_eq!(sum("svg.matrix g.cell"), CUSTOMERS as f64, "no false zeros");

    // A count's headline is the count, never "1 customer" for its one row.
    let (status, east) = b.api(
        "POST",
        "/api/search",
        Some(json!({"q": "", "filters": ["region=华东"], "limit": 1})),
    );
    assert_eq!(status, 200, "{east}");
    let expected = east["total"].as_u64().expect("a total");
    b.open(&ask_hash("华东地区一共有多少家客户"));
    b.wait(
        "the figure",
        "return document.querySelector('dl.summary dd')",
    );
    b.shot("count");
    assert!(
        b.texts(".total").is_empty(),
        "no row-count headline above a summary: {:?}",
        b.texts(".total")
    );
    let figure = b.texts("dl.summary dd").join("").replace(',', "");
    assert_eq!(
        figure,
        expected.to_string(),
        "the figure is the count of 华东 customers"
    );

    // The report builder keeps a typed question: its grouping and its measure.
    b.open("/#/reports/new");
    b.wait(
        "builder",
        "return document.querySelector('.preview figure')",
    );
    let question = b.session.find("#rb-q").unwrap();
    question.send_keys("各大区平均年采购额").unwrap();
    b.wait(
        "a preview by region",
        "return document.getElementById('rb-dimension').value === '' && document.querySelectorAll('.preview svg g.bar').length === 7",
    );
    b.shot("report-question");
    let values = b.js("return [...document.querySelectorAll('.preview svg g.bar')].map(g => Number(g.dataset.value))");
    let values: Vec<f64> = values
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    assert!(
        values.iter().all(|v| *v > CUSTOMERS as f64),
        "averages of 年采购额, not counts: {values:?}"
    );
    assert!(
        b.js("return document.getElementById('rb-name').checkValidity() && document.getElementById('rb-name').validity.valid")
            .as_bool()
            .unwrap_or(false),
        "the name pattern is a valid expression and accepts the default name"
    );
}

/// Not a browser test: each page names every module it loads as a `modulepreload`, so the
/// browser fetches them at once instead of one import level after another.
#[test]
fn an_answer_is_subscribed_and_listed_on_the_watches_page() {
    let Some(b) = browser("watch", 1280, 1000) else {
        return;
    };
    let q = QUESTION;
    b.open(&ask_hash(q));
    b.answered(
        "the answer's subscribe button",
        "document.querySelector('button.subscribe-open')",
    );
    b.js("document.querySelector('button.subscribe-open').click()");
    b.wait(
        "the subscribe form",
        "return document.querySelector('button.subscribe-save') !== null",
    );
    b.js("const on = document.querySelector('select.subscribe-on'); on.value = 'both'; document.querySelector('button.subscribe-save').click()");
    let id = b.wait(
        "saved",
        "const a = document.querySelector('a.subscribed'); return a ? a.dataset.watch : false",
    );
    b.shot("subscribed");
    let (_, mine) = b.api("GET", "/api/watches", None);
    let saved = mine["watches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| Some(w["id"].to_string().as_str()) == id.as_str())
        .cloned()
        .expect("the watch is listed by the API");
    assert_eq!(saved["question"], q);
    assert_eq!(saved["fire_on"], "both");
    let (_, answer) = b.api("POST", "/api/ask", Some(json!({"q": q, "limit": 1})));
    assert_eq!(
        saved["members"], answer["total"],
        "its members are the answer's rows"
    );
    assert!(saved["members"].as_u64().unwrap() > 0);
    b.open("/#/watches");
    b.answered(
        "the watches page",
        "document.querySelector('.watches tr[data-watch]')",
    );
    b.shot("watches");
    let names = b.texts(".watches td.watch-name");
    assert!(names.iter().any(|n| n == q), "{names:?}");
    let selector = format!("button.remove-watch[data-watch='{}']", saved["id"]);
    b.js(&format!("document.querySelector(\"{selector}\").click()"));
    b.wait(
        "removed",
        &format!("return document.querySelector(\"{selector}\") === null && document.querySelector('.watches[data-answer]') !== null"),
    );
}

#[test]
fn pages_preload_their_whole_module_graph() {
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    for (page, entry) in [("index.html", "app.js"), ("embed.html", "embed.js")] {
        let html = std::fs::read_to_string(web.join(page)).expect("page");
        let mut seen = std::collections::BTreeSet::new();
        let mut todo = vec![entry.to_owned()];
        while let Some(module) = todo.pop() {
            if !seen.insert(module.clone()) {
                continue;
            }
            let source = std::fs::read_to_string(web.join("js").join(&module))
                .unwrap_or_else(|e| panic!("{module}: {e}"));
            let dir = std::path::Path::new(&module)
                .parent()
                .unwrap_or(std::path::Path::new(""));
            for import in source
                .split("from \"")
                .skip(1)
                .filter_map(|s| s.split('"').next())
            {
                let mut path = dir.to_path_buf();
                for part in import.split('/') {
                    match part {
                        "." => {}
                        ".." => {
                            path.pop();
                        }
                        name => path.push(name),
                    }
                }
                todo.push(path.to_string_lossy().into_owned());
            }
        }
        assert!(html.contains(&format!(
            "<script type=\"module\" src=\"/assets/js/{entry}\">"
        )));
        for module in seen.iter().filter(|m| *m != entry) {
            let link = format!("<link rel=\"modulepreload\" href=\"/assets/js/{module}\">");
            assert!(html.contains(&link), "{page} lacks {link}");
        }
    }
}

#[test]
fn a_server_with_users_asks_to_log_in_and_shows_only_their_rows() {
    let Some(b) = browser("login", 1280, 900) else {
        return;
    };
    let server = &*SERVER_WITH_USERS;
    b.open_on(server, "/");
    b.wait(
        "the login form",
        "return document.getElementById('login-user') !== null",
    );
    b.shot("login-form");
    let user = b.session.find("#login-user").expect("user box");
    user.send_keys("测试业务员").unwrap();
    let password = b.session.find("#login-password").expect("password box");
    password.send_keys("wrong password").unwrap();
    b.session.find("#login-submit").unwrap().click().unwrap();
    b.wait(
        "the refusal",
        "const e = document.getElementById('login-error'); return e && e.textContent.length > 0",
    );
    b.shot("wrong-password");
    let password = b.session.find("#login-password").expect("password box");
    password.send_keys(PASSWORD).unwrap();
    b.session.find("#login-submit").unwrap().click().unwrap();
    b.wait(
        "the question box",
        "return document.getElementById('q') !== null",
    );
    let who = b.texts("#who-name");
    assert!(who[0].contains("测试业务员"), "{who:?}");
    assert!(
        b.js("return document.querySelector('a[href=\"#/import\"]') === null")
            .as_bool()
            .unwrap(),
        "only administrators are offered the import page"
    );
    // A grouped answer shows 华东 only (no customer's 负责销售 is named 测试业务员).
    b.open_on(server, &ask_hash("按大区统计客户数"));
    b.answered(
        "rows",
        "document.querySelectorAll('table tbody tr').length > 0",
    );
    b.shot("scoped-answer");
    let (status, v) = b.api("POST", "/api/ask", Some(json!({"q": "按大区统计客户数"})));
    assert_eq!(status, 200);
    let regions: Vec<&str> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["华东"], "{v}");
    // Logging out shows the form again, and the API refuses.
    b.session.find("#logout").unwrap().click().unwrap();
    b.wait(
        "the login form",
        "return document.getElementById('login-user') !== null",
    );
    let (status, _) = b.api("POST", "/api/ask", Some(json!({"q": "华东客户"})));
    assert_eq!(status, 401);
}

/// Text a person sees on the page that is Chinese (characters, or full-width punctuation),
/// outside elements marked `lang="zh"` (data as written: a company's name, a city).
const CHINESE_SHOWN: &str = r#"
const cjk = /[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/;
const out = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const n = walker.currentNode; const el = n.parentElement; const text = n.textContent.trim();
  if (!el || !text || !cjk.test(text)) continue;
  if (el.closest('[lang^="zh"], script, style, template, [hidden]')) continue;
  if (!el.getClientRects().length) continue;
  out.push(text.slice(0, 80));
}
for (const el of document.querySelectorAll('[placeholder]')) {
  if (cjk.test(el.placeholder) && !el.closest('[lang^="zh"]') && el.getClientRects().length) out.push(`placeholder: ${el.placeholder}`);
}
// The title names what is shown: a customer (its name) or a question (as typed).
const q = document.getElementById('q');
const named = document.querySelector('h1[lang^="zh"]') || (q && q.value && document.title.startsWith(q.value));
if (cjk.test(document.title) && !named) out.push(`title: ${document.title}`);
return out;
"#;

/// Errors on the page whose words hold no Chinese at all.
const ERRORS_WITHOUT_CHINESE: &str = r#"
const cjk = /[\u3400-\u9fff]/;
return [...document.querySelectorAll('[role="alert"], .error')]
  .map(e => e.textContent.trim())
  .filter(t => t && !cjk.test(t));
"#;

/// Every page of the app, with what shows it is drawn.
fn every_page() -> Vec<(String, &'static str)> {
    let mut pages = vec![
        ("#/".to_owned(), "true"),
        (
            ask_hash(QUESTION)[1..].to_owned(),
            "document.querySelectorAll('table.results tbody tr').length > 0",
        ),
        (
            ask_hash("各省份客户数量")[1..].to_owned(),
            "document.querySelector('.result figure, .result svg') !== null",
        ),
        (
            ask_hash("！！！")[1..].to_owned(),
            "document.querySelector('.error') !== null",
        ),
        // Nothing understood (the parser's 422).
        (
            ask_hash("asdf qwer")[1..].to_owned(),
            "document.querySelector('.error.bad_question') !== null",
        ),
        (
            "#/customer/C0000123".to_owned(),
            "document.querySelector('.profile h1') && !document.querySelector('.similar .status')",
        ),
        (
            "#/customer/C0999999".to_owned(),
            "document.querySelector('.error') !== null",
        ),
        (
            "#/dashboards".to_owned(),
            "document.querySelectorAll('.cards .card').length >= 7",
        ),
        (
            "#/dashboard/nothing-here".to_owned(),
            "document.querySelector('.error') !== null",
        ),
        (
            "#/nowhere".to_owned(),
            "document.querySelector('.notfound') !== null",
        ),
        (
            "#/import".to_owned(),
            "document.getElementById('im-files') !== null",
        ),
    ];
    for board in ["map", "top20", "churn", "funnel", "rfm", "matrix"] {
        pages.push((
            format!("#/dashboard/{board}"),
            "document.querySelector('article.board') !== null",
        ));
    }
    // Boards under a period (one without time says so), a combined dashboard and its
    // editor ([`WALK_COMBO`] is saved before the walk).
    pages.extend([
        (
            "#/dashboard/matrix?period=90".to_owned(),
            "document.querySelector('.period-na') !== null",
        ),
        (
            "#/dashboard/churn?period=30".to_owned(),
            "document.querySelector('.period-line') !== null",
        ),
        (
            format!("#/dashboards/{WALK_COMBO}?period=90"),
            "document.querySelectorAll('.combo-cell figure').length === 2",
        ),
        (
            "#/dashboards/new".to_owned(),
            "document.querySelector('.combo-pick li') !== null",
        ),
    ]);
    pages
}

/// The combined dashboard the language walk opens.
const WALK_COMBO: &str = "walk-combo";

/// Opens each page in `lang` and checks its words: in English no Chinese a person reads
/// outside data, in Chinese no error without Chinese. Screenshots each page.
fn walk_every_page(b: &Browser, lang: &str, width: &str) {
    for (hash, ready) in every_page() {
        b.open(&format!("/?lang={lang}{hash}"));
        b.answered(&hash, ready);
        if hash.starts_with("#/reports") {
            continue;
        }
        let shown = format!(
            "{lang}-{width}-{}",
            hash.replace(['/', '#', '?', '%', '='], "-")
        );
        b.shot(&shown.chars().take(60).collect::<String>());
        if lang == "en" {
            let leaks = b.js(CHINESE_SHOWN);
            assert_eq!(leaks, json!([]), "{hash}: Chinese in the English app");
        } else {
            let errors = b.js(ERRORS_WITHOUT_CHINESE);
            assert_eq!(
                errors,
                json!([]),
                "{hash}: an error with no Chinese in the Chinese app"
            );
        }
    }
    // The report builder has no address of its own to stamp: its preview is drawn.
    b.open(&format!("/?lang={lang}#/reports/new"));
    b.wait(
        "the report builder",
        "return document.querySelector('.preview[data-answer] figure')",
    );
    b.shot(&format!("{lang}-{width}-reports-new"));
    if lang == "en" {
        assert_eq!(
            b.js(CHINESE_SHOWN),
            json!([]),
            "report builder: Chinese in the English app"
        );
    }
}

#[test]
fn every_page_speaks_the_language_of_the_app() {
    let Some(b) = browser("language", 1280, 900) else {
        return;
    };
    b.open("/#/dashboards");
    let (status, v) = b.api(
        "POST",
        "/api/combos",
        Some(json!({"name": WALK_COMBO, "title": "Walk", "boards": ["map", "matrix"]})),
    );
    assert_eq!(status, 201, "{v}");
    for lang in ["zh", "en"] {
        walk_every_page(&b, lang, "desktop");
    }
    b.session.set_viewport(390, 844).expect("phone width");
    for lang in ["en", "zh"] {
        walk_every_page(&b, lang, "phone");
    }
    // The server's own words come in the page's language.
    b.open("/?lang=zh#/customer/C0999999");
    b.answered(
        "the missing customer",
        "document.querySelector('.error') !== null",
    );
    let zh = b.texts(".error")[0].clone();
    assert!(zh.contains("没有编号为 C0999999 的客户"), "{zh}");
    b.open("/?lang=en#/customer/C0999999");
    b.answered(
        "the missing customer",
        "document.querySelector('.error') !== null",
    );
    let en = b.texts(".error")[0].clone();
    assert!(en.contains("C0999999") && en.is_ascii(), "{en}");
}

#[test]
fn the_login_page_speaks_the_language_of_the_app() {
    let Some(b) = browser("login-language", 1280, 900) else {
        return;
    };
    let server = &*SERVER_WITH_USERS;
    for lang in ["zh", "en"] {
        b.open_on(server, &format!("/?lang={lang}#/"));
        b.wait(
            "the login form",
            "return document.getElementById('login-user') !== null",
        );
        let before =
            b.js("return document.getElementById('login-error').getClientRects().length === 0");
        assert_eq!(
            before,
            json!(true),
            "{lang}: no refusal shown before an attempt"
        );
        b.session
            .find("#login-user")
            .unwrap()
            .send_keys("nobody")
            .unwrap();
        b.session
            .find("#login-password")
            .unwrap()
            .send_keys("wrong")
            .unwrap();
        b.session.find("#login-submit").unwrap().click().unwrap();
        b.wait(
            "the refusal",
            "const e = document.getElementById('login-error'); return e && e.textContent.length > 0",
        );
        b.shot(&format!("{lang}-wrong-password"));
        let refusal = b.texts("#login-error")[0].clone();
        if lang == "en" {
            assert_eq!(
                b.js(CHINESE_SHOWN),
                json!([]),
                "login: Chinese in the English app"
            );
            assert!(refusal.contains("wrong user name or password"), "{refusal}");
        } else {
            assert_eq!(b.js(ERRORS_WITHOUT_CHINESE), json!([]));
            assert!(refusal.contains("用户名或密码错误"), "{refusal}");
        }
    }
}

#[test]
fn the_home_overview_links_into_each_figure_and_the_bar_narrows_every_board() {
    let Some(b) = browser("home", 1280, 1000) else {
        return;
    };
    b.open("/?lang=zh#/");
    b.answered(
        "the overview",
        "document.querySelectorAll('.kpi').length === 5",
    );
    b.shot("overview");
    let value = |key: &str| -> f64 {
        b.js(&format!(
            "return Number(document.querySelector('.kpi[data-kpi={key}]').dataset.value)"
        ))
        .as_f64()
        .unwrap()
    };
    assert_eq!(value("customers"), CUSTOMERS as f64);
    assert_eq!(
        b.texts(".kpi[data-kpi=customers] .kpi-value"),
        ["3,000"],
        "a count with its separator"
    );
    let (_, overview) = b.api("GET", "/api/overview", None);
    for k in overview["kpis"].as_array().unwrap() {
        let key = k["key"].as_str().unwrap();
        assert_eq!(Some(value(key)), k["value"].as_f64(), "{key}");
    }
    // A figure's link lists what it counts.
    b.js("document.querySelector('.kpi[data-kpi=high_intent] a').click()");
    b.answered(
        "the high-intent list",
        "document.querySelector('.total[data-total]')",
    );
    assert_eq!(b.total() as f64, value_of(&overview, "high_intent"));
    // The bar: 华东 narrows the figures, stays in the address and follows to the boards.
    b.open("/?lang=zh#/");
    b.answered(
        "the overview",
        "document.querySelectorAll('.kpi').length === 5",
    );
    b.js("const s = document.querySelector('.filter-bar select[name=region]'); s.value = '华东'; s.dispatchEvent(new Event('change'))");
    b.answered(
        "the overview of 华东",
        "location.hash.includes('region=') && document.querySelectorAll('.kpi').length === 5",
    );
    b.shot("overview-east");
    // The period: sales over the last 90 days, as the API counts them, kept beside 华东.
    b.js("const s = document.querySelector('.filter-bar select[name=period]'); s.value = '90'; s.dispatchEvent(new Event('change'))");
    b.answered(
        "the last 90 days of 华东",
        "location.hash.includes('period=90') && location.hash.includes('region=') && document.querySelectorAll('.kpi').length === 5",
    );
    let (_, ninety) = b.api(
        "GET",
        "/api/overview?period=90&filter=region%3D%E5%8D%8E%E4%B8%9C",
        None,
    );
    assert_eq!(value("purchase"), value_of(&ninety, "purchase"));
    assert!(b.texts(".kpi[data-kpi=purchase] .kpi-title")[0].contains("近90天"));
    b.shot("overview-east-90-days");
    let (_, regions) = b.api(
        "POST",
        "/api/ask",
        Some(json!({"q": "按大区统计客户数", "limit": 50})),
    );
    let east = regions["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == "华东")
        .map(|r| r[1].as_f64().unwrap())
        .expect("a 华东 row");
    assert_eq!(value("customers"), east);
    b.js("[...document.querySelectorAll('nav a')].find(a => a.getAttribute('href').startsWith('#/dashboards')).click()");
    b.answered(
        "the boards of 华东",
        "location.hash.includes('region=') && document.querySelectorAll('.cards .card').length >= 7",
    );
    b.js("document.querySelector('.card[data-board=map] a').click()");
    b.answered(
        "the map of 华东",
        "location.hash.startsWith('#/dashboard/map?') && document.querySelectorAll('svg.map g.tile').length === 31",
    );
    b.shot("map-east");
    let (shown, total) = {
        let v = b.js("const tiles = [...document.querySelectorAll('svg.map g.tile')].filter(g => Number(g.dataset.value) > 0);
                      return [tiles.map(g => g.dataset.province), tiles.reduce((s, g) => s + Number(g.dataset.value), 0)]");
        (v[0].clone(), v[1].as_f64().unwrap())
    };
    assert_eq!(total, east, "the map counts 华东's customers: {shown}");
    for p in shown.as_array().unwrap() {
        assert!(
            ["上海", "江苏", "浙江", "安徽", "福建", "江西", "山东"].contains(&p.as_str().unwrap()),
            "{p} is not in 华东"
        );
    }
    assert_eq!(
        b.js("return document.querySelector('.filter-bar select[name=region]').value"),
        json!("华东"),
        "the bar shows what narrows the board"
    );
}

fn value_of(overview: &Value, key: &str) -> f64 {
    overview["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == key)
        .and_then(|k| k["value"].as_f64())
        .unwrap()
}

#[test]
fn a_saved_report_with_a_chinese_name_is_edited() {
    let Some(b) = browser("report-edit", 1280, 1000) else {
        return;
    };
    b.open("/?lang=zh#/dashboards");
    b.answered(
        "the index",
        "document.querySelectorAll('.cards .card').length >= 7",
    );
    let (status, saved) = b.api(
        "POST",
        "/api/reports",
        Some(
            json!({"name": "华东月报", "title": "华东各行业", "dimension": "industry",
                    "measure": {"agg": "count"}, "filters": ["region=华东"]}),
        ),
    );
    assert!(status == 200 || status == 201, "{status} {saved}");
    b.open("/?lang=zh#/dashboard/%E5%8D%8E%E4%B8%9C%E6%9C%88%E6%8A%A5");
    b.answered(
        "the report",
        "document.querySelectorAll('svg g.bar').length === 12",
    );
    b.js("document.getElementById('edit-report').click()");
    b.wait(
        "the builder with the report",
        "return location.hash.startsWith('#/reports/edit/') && document.getElementById('rb-title') && document.getElementById('rb-title').value === '华东各行业' && document.querySelector('.preview[data-answer] figure')",
    );
    assert_eq!(
        b.js("return document.getElementById('rb-dimension').value"),
        json!("industry")
    );
    assert_eq!(
        b.js("return document.getElementById('rb-name').value"),
        json!("华东月报")
    );
    // The name's pattern compiles under the v flag (an invalid one is ignored by the
    // browser, which would let "-bad" through).
    let valid = b.js(
        "const n = document.getElementById('rb-name'); const was = n.value; const out = []; n.readOnly = false;
         for (const v of ['华东月报', 'report_2-b', '-bad', 'has space']) { n.value = v; out.push(n.checkValidity()); }
         n.value = was; n.readOnly = true; return out",
    );
    assert_eq!(valid, json!([true, true, false, false]));
    assert!(
        b.texts(".builder .chip").iter().any(|c| c.contains("华东")),
        "its filter is there"
    );
    b.js("const d = document.getElementById('rb-dimension'); d.value = 'size'; d.dispatchEvent(new Event('change'));
          document.getElementById('rb-title').value = '华东各规模';");
    b.wait(
        "the preview by size",
        "const p = document.querySelector('.preview[data-answer]'); return p && JSON.parse(p.dataset.answer).dimension === 'size' && document.querySelectorAll('.preview svg g.bar').length === 4",
    );
    b.shot("edited");
    b.session
        .find(".builder button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    b.answered(
        "the edited report",
        "location.hash.startsWith('#/dashboard/') && document.querySelectorAll('svg g.bar').length === 4",
    );
    assert_eq!(b.texts(".board h1"), ["华东各规模"]);
    let (status, _) = b.api(
        "DELETE",
        "/api/reports/%E5%8D%8E%E4%B8%9C%E6%9C%88%E6%8A%A5",
        None,
    );
    assert_eq!(status, 204);
}

#[test]
fn the_churn_board_pages_and_gives_each_customer_its_reasons() {
    let Some(b) = browser("churn", 1280, 1000) else {
        return;
    };
    // The 3,000 customers of the fixture have a few at high risk (the demo's 100,000 have
    // hundreds): pages of 2 show the paging.
    b.open("/?lang=zh#/dashboard/churn?limit=2");
    b.answered(
        "the first page",
        "document.querySelectorAll('table.results tbody tr').length > 0",
    );
    b.shot("first-page");
    let (_, whole) = b.api("GET", "/api/dashboards/churn", None);
    let total = whole["total"].as_u64().unwrap();
    assert!(
        total > 2,
        "the fixture has more than a page at risk: {total}"
    );
    assert_eq!(b.total(), total, "the total counts every customer at risk");
    let rows = b.texts("table.results tbody tr");
    assert_eq!(rows.len(), 2, "a page of 2, not {total} rows at once");
    let reasons = b.column("主要原因");
    assert!(
        reasons.iter().all(|r| !r.is_empty() && r != "—"),
        "each row says why: {reasons:?}"
    );
    let first_page_ids = b.column("客户编号");
    let risks = |b: &Browser| -> Vec<u64> {
        b.column("流失风险")
            .iter()
            .map(|r| r.trim_end_matches('%').parse().unwrap())
            .collect()
    };
    let first_risks = risks(&b);
    b.session
        .find(".pager button:last-of-type")
        .unwrap()
        .click()
        .unwrap();
    b.answered(
        "the second page",
        "location.hash.includes('offset=2') && document.querySelectorAll('table.results tbody tr').length > 0",
    );
    b.shot("second-page");
    let second_ids = b.column("客户编号");
    assert!(
        second_ids.iter().all(|id| !first_page_ids.contains(id)),
        "the next page holds the next customers"
    );
    assert!(
        risks(&b)[0] <= *first_risks.last().unwrap(),
        "riskiest first, across pages"
    );
    // The same page in English: the reasons read in English.
    b.open("/?lang=en#/dashboard/churn?limit=2");
    b.answered(
        "the English page",
        "document.querySelectorAll('table.results tbody tr').length > 0",
    );
    let reasons = b.column("Main reasons");
    assert!(
        reasons.iter().all(|r| !r.is_empty() && r.is_ascii()),
        "{reasons:?}"
    );
}

/// The pinyin of a name's first two characters and their initials (亨瑞 → hengrui, hr), as
/// the index reads them.
fn a_named_customer(b: &Browser) -> (String, String) {
    let (_, found) = b.api(
        "POST",
        "/api/search",
        Some(json!({"q": "hengrui", "limit": 1})),
    );
    let hit = &found["hits"][0];
    (
        hit["id"]
            .as_str()
            .expect("a customer read hengrui")
            .to_owned(),
        hit["name"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn suggestions_find_customers_by_pinyin_initials_and_id_and_open_them() {
    let Some(b) = browser("suggest-customers", 1280, 900) else {
        return;
    };
    b.open("/?lang=zh#/");
    b.answered(
        "the home page",
        "document.querySelectorAll('.kpi').length === 5",
    );
    let (id, name) = a_named_customer(&b);
    let (_, by_pinyin) = b.api("GET", "/api/suggest?q=hengrui", None);
    assert!(
        by_pinyin["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["kind"] == "customer" && s["id"] == id.as_str()),
        "hengrui suggests {name}: {by_pinyin}"
    );
    // Initials too: the fixture's hengrui is 曲靖亨瑞电力工程有限公司, 亨瑞电力 → hrdl.
    assert_eq!(name, "曲靖亨瑞电力工程有限公司");
    let (_, by_initials) = b.api("GET", "/api/suggest?q=hrdl", None);
    assert!(
        by_initials["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == id.as_str()),
        "hrdl suggests {name}: {by_initials}"
    );
    let (_, by_id) = b.api("GET", &format!("/api/suggest?q={}", &id[..6]), None);
    let ids: Vec<&str> = by_id["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "customer")
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        !ids.is_empty() && ids.iter().all(|i| i.starts_with(&id[..6])),
        "{ids:?}"
    );
    // Typed in the box, chosen with the keyboard: the profile opens.
    let input = b.session.find("#q").expect("the question box");
    input.send_keys("hengrui").unwrap();
    b.wait(
        "a customer suggested",
        "return document.querySelectorAll('.suggest [role=option]').length > 0",
    );
    let at = b.js(&format!(
        "return [...document.querySelectorAll('.suggest [role=option]')].findIndex(o => o.textContent.includes({}))",
        json!(name)
    ));
    let at = at.as_i64().expect("an index");
    assert!(at >= 0, "{name} is offered");
    b.shot("pinyin-suggestions");
    for _ in 0..=at {
        input.send_keys(keys::ARROW_DOWN).unwrap();
    }
    input.send_keys(keys::ENTER).unwrap();
    b.answered(
        "the profile",
        &format!("location.hash === '#/customer/{id}' && document.querySelector('.profile h1')"),
    );
    assert_eq!(b.texts(".profile h1"), [name]);
}

#[test]
fn the_funnel_shows_who_moved_over_its_period() {
    let Some(b) = browser("funnel-flow", 1280, 1000) else {
        return;
    };
    b.open("/?lang=zh#/dashboard/funnel");
    b.answered(
        "the funnel",
        "document.querySelectorAll('.flow-step').length === 2",
    );
    b.shot("year");
    let shown = |b: &Browser, key: &str| -> (u64, u64) {
        let v = b.js(&format!(
            "const e = document.querySelector('.flow-step[data-flow={key}]'); return [Number(e.dataset.base), Number(e.dataset.moved)]"
        ));
        (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
    };
    let (_, year) = b.api("GET", "/api/dashboards/funnel", None);
    assert_eq!(year["flow"]["period_days"], 365);
    for key in ["converted", "lapsed"] {
        let want = (
            year["flow"][key]["base"].as_u64().unwrap(),
            year["flow"][key]["moved"].as_u64().unwrap(),
        );
        assert_eq!(shown(&b, key), want, "{key}");
        assert!(want.1 > 0 && want.1 <= want.0, "{key}: {want:?}");
    }
    b.js("const s = document.querySelector('.flow select'); s.value = '90'; s.dispatchEvent(new Event('change'))");
    b.answered(
        "the last 90 days",
        "location.hash.includes('period=90') && document.querySelectorAll('.flow-step').length === 2",
    );
    b.shot("ninety-days");
    let (_, ninety) = b.api("GET", "/api/dashboards/funnel?period=90", None);
    assert_eq!(ninety["flow"]["period_days"], 90);
    assert_eq!(
        shown(&b, "converted").0,
        ninety["flow"]["converted"]["base"].as_u64().unwrap()
    );
    assert_ne!(ninety["flow"], year["flow"], "the period changes the flow");
    let (status, _) = b.api("GET", "/api/dashboards/funnel?period=7", None);
    assert_eq!(status, 400, "a period is 30, 90 or 365 days");
}

#[test]
fn a_customer_without_orders_says_churn_risk_does_not_apply() {
    let Some(b) = browser("no-orders", 1280, 1000) else {
        return;
    };
    b.open("/?lang=zh#/");
    b.answered(
        "the home page",
        "document.querySelectorAll('.kpi').length === 5",
    );
    let (_, none) = b.api(
        "POST",
        "/api/ask",
        Some(json!({"q": "没下过单的客户", "limit": 1})),
    );
    let id = none["rows"][0][0]
        .as_str()
        .expect("a customer without orders")
        .to_owned();
    b.open(&format!("/?lang=zh#/customer/{id}"));
    b.answered(
        "the profile",
        "document.querySelector('.profile h1') && document.querySelector('.panel.churn')",
    );
    b.shot("profile");
    let churn = b.texts(".panel.churn")[0].clone();
    assert!(
        churn.contains("不适用") && churn.contains("尚无订单"),
        "{churn}"
    );
    assert!(
        !churn.contains("尚未在这个数据上运行"),
        "not 'the model never ran': {churn}"
    );
}

#[test]
fn an_excel_export_is_uploaded_mapped_loaded_and_asked_about() {
    let Some(b) = browser("import", 1280, 1000) else {
        return;
    };
    // A store of its own: the import changes it.
    let kesou_testkit::GeneratedStore {
        dir: _store, paths, ..
    } = kesou_testkit::generated_store(120, 11);
    // The same customers as 纷享销客 exports them: one workbook, custom fields included.
    let export = kesou_testkit::source(
        kesou_testkit::Shape::new(120, 11).style(kesou_datagen::ExportStyle::Fxiaoke),
    );
    let workbook = std::fs::read_dir(&export)
        .expect("export folder")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|x| x == "xlsx"))
        .expect("an .xlsx");
    let server = Server {
        base: serve(paths, true),
    };
    b.open_on(&server, "/?lang=zh#/import");
    b.answered(
        "the import page",
        "document.getElementById('im-files') !== null",
    );
    b.session
        .find("#im-files")
        .expect("file input")
        .send_keys(workbook.to_str().expect("a UTF-8 path"))
        .expect("choose the file");
    b.wait(
        "the plan of the workbook's three sheets",
        "const p = document.getElementById('im-plan'); return p && p.dataset.planned === '3' && !document.getElementById('im-load').disabled",
    );
    b.shot("planned");
    let sheet_tables = b.js(
        "return [...document.querySelectorAll('.import-file')].map(f => [f.dataset.file, f.querySelector('select').value])",
    );
    let sheet_tables: Vec<(String, String)> = serde_json::from_value(sheet_tables).unwrap();
    assert!(
        sheet_tables
            .iter()
            .any(|(f, t)| f.ends_with("#客户") && t == "customers"),
        "{sheet_tables:?}"
    );
    assert!(sheet_tables.iter().any(|(_, t)| t == "orders"));
    // 客户级别 would load as a custom field: the person chooses not to load it.
    let level = "document.querySelector('select[data-header=\"客户级别\"]')";
    assert_eq!(b.js(&format!("return {level}.value")), json!("custom"));
    b.js(&format!(
        "const s = {level}; s.value = 'ignore'; s.dispatchEvent(new Event('change'));"
    ));
    b.wait(
        "the plan again, with the column left out",
        &format!("const s = {level}; return s && s.value === 'ignore' && !document.getElementById('im-load').disabled"),
    );
    b.session.find("#im-load").unwrap().click().unwrap();
    b.wait(
        "the summary",
        "return document.getElementById('im-summary') !== null",
    );
    b.shot("loaded");
    let (status, fields) = b.api("GET", "/api/fields", None);
    assert_eq!(status, 200);
    let names: Vec<&str> = fields["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert!(names.contains(&"客户来源"), "{names:?}");
    assert!(
        !names.contains(&"客户级别"),
        "an ignored column is not a field: {names:?}"
    );
    // Asking about the custom field: each source's count, and one source's customers.
    let (status, groups) = b.api(
        "POST",
        "/api/ask",
        Some(json!({"q": "按客户来源统计客户数", "limit": 100})),
    );
    assert_eq!(status, 200, "{groups}");
    let rows = groups["rows"].as_array().unwrap();
    let (source, count) = rows
        .iter()
        .filter_map(|r| Some((r[0].as_str()?.to_owned(), r[1].as_u64()?)))
        .max_by_key(|(_, n)| *n)
        .expect("a source with customers");
    assert!(count > 0);
    b.open_on(&server, &ask_hash(&format!("客户来源是{source}的客户")));
    b.answered(
        "the customers of one source",
        "document.querySelector('.total[data-total]') !== null",
    );
    assert_eq!(b.total(), count, "the list holds the group's customers");
    assert!(
        b.texts(".chip").iter().any(|c| c.contains(&source)),
        "the chips show the custom field's condition"
    );
    b.shot("asked");
}

#[test]
fn every_board_says_what_the_period_does() {
    let Some(b) = browser("board-period", 1280, 1000) else {
        return;
    };
    // A board with time: the map sums the period's orders, as the API does.
    b.open("/?lang=zh#/dashboard/map");
    b.answered("the map", "document.querySelector('article.board svg.map')");
    b.js("const s = document.querySelector('.filter-bar select[name=period]'); s.value = '90'; s.dispatchEvent(new Event('change'))");
    b.answered(
        "the map over 90 days",
        "location.hash.includes('period=90') && document.querySelector('.period-line[data-applies=true]')",
    );
    b.shot("map-90-days");
    let (_, api) = b.api("GET", "/api/dashboards/map?period=90", None);
    let at = api["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["name"] == "count")
        .unwrap();
    let drawn = b.js("return [...document.querySelectorAll('svg.map g.tile')].reduce((s, g) => s + Number(g.dataset.value), 0)");
    let want: f64 = api["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[at].as_f64().unwrap())
        .sum();
    assert_eq!(
        drawn.as_f64(),
        Some(want),
        "the map draws the API's numbers"
    );
    // A board without time says the period does not apply; the period stays in the address.
    b.open("/?lang=zh#/dashboard/matrix?period=90");
    b.answered(
        "the matrix",
        "document.querySelector('.period-na[data-applies=false]')",
    );
    let said = b.texts(".period-na");
    assert!(said[0].starts_with("期间不适用于此看板"), "{said:?}");
    b.shot("matrix-no-period");
    b.open("/?lang=en#/dashboard/matrix?period=90");
    b.answered(
        "the matrix in English",
        "document.querySelector('.period-na[data-applies=false]')",
    );
    let said = b.texts(".period-na");
    assert!(said[0].starts_with("The period does not apply"), "{said:?}");
    // The churn board lists each customer's sales of the period and the one before.
    b.open("/?lang=zh#/dashboard/churn?period=30");
    b.answered(
        "the churn board over 30 days",
        "document.querySelector('.period-line[data-applies=true]') && document.querySelector('table.results tbody tr')",
    );
    b.shot("churn-30-days");
    // Between boards the period goes along with the filters.
    b.js("document.querySelector('.crumb a').click()");
    b.answered(
        "the index",
        "location.hash.startsWith('#/dashboards?') && location.hash.includes('period=30')",
    );
}

#[test]
fn a_report_covers_a_date_range_chosen_in_the_builder() {
    let Some(b) = browser("report-range", 1280, 1000) else {
        return;
    };
    b.open("/?lang=zh#/reports/new");
    b.wait("builder", "return document.querySelector('#rb-range-kind') && document.querySelector('.preview[data-answer] figure')");
    b.js("const d = document.getElementById('rb-dimension'); d.value = 'industry'; d.dispatchEvent(new Event('change'));
          const k = document.getElementById('rb-range-kind'); k.value = 'between'; k.dispatchEvent(new Event('change'));
          const f = document.getElementById('rb-range-from'); f.value = '2026-01-01'; f.dispatchEvent(new Event('change'));
          const t = document.getElementById('rb-range-to'); t.value = '2026-03-31'; t.dispatchEvent(new Event('change'));");
    b.wait(
        "a preview over the first quarter",
        "const p = document.querySelector('.preview[data-answer]'); if (!p) return false;
         const r = JSON.parse(p.dataset.answer);
         return r.range && r.range.to === '2026-03-31' && r.range.from === '2026-01-01' && document.querySelector('.preview .range-line') && document.querySelectorAll('.preview svg g.bar').length > 0",
    );
    let line = b.texts(".preview .range-line");
    assert!(line[0].contains("2026-01-01 至 2026-03-31"), "{line:?}");
    let (_, api) = b.api(
        "POST",
        "/api/reports/preview",
        Some(json!({"name": "x", "dimension": "industry", "range": {"from": "2026-01-01", "to": "2026-03-31"}})),
    );
    let drawn = b.js("return [...document.querySelectorAll('.preview svg g.bar')].reduce((s, g) => s + Number(g.dataset.value), 0)");
    let want: f64 = api["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_f64().unwrap())
        .sum();
    assert_eq!(drawn.as_f64(), Some(want));
    b.shot("first-quarter");
    // The start after the end: said plainly, nothing drawn.
    b.js("const f = document.getElementById('rb-range-from'); f.value = '2026-05-01'; f.dispatchEvent(new Event('change'));");
    b.wait(
        "the refusal",
        "const p = document.querySelector('.preview [role=alert]'); return p && p.textContent.includes('开始日期不能晚于结束日期')",
    );
    b.shot("start-after-end");
    // The last 90 days, saved: the report's subtitle names its range.
    b.js("const k = document.getElementById('rb-range-kind'); k.value = 'last'; k.dispatchEvent(new Event('change'));
          document.getElementById('rb-name').value = 'range-industry';");
    b.wait(
        "a preview over 90 days",
        "const p = document.querySelector('.preview[data-answer]'); return p && JSON.parse(p.dataset.answer).range?.last_days === 90 && document.querySelector('.preview .range-line')",
    );
    b.session
        .find(".builder button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    b.answered(
        "the saved report",
        "location.hash.startsWith('#/dashboard/range-industry') && document.querySelector('.range-line')",
    );
    let line = b.texts(".range-line");
    assert!(line[0].contains("近90天"), "{line:?}");
    b.shot("saved");
    let (status, _) = b.api("DELETE", "/api/reports/range-industry", None);
    assert_eq!(status, 204);
}

#[test]
fn a_combined_dashboard_of_two_reports_shows_both_under_one_filter() {
    let Some(b) = browser("combo", 1280, 1000) else {
        return;
    };
    b.open("/#/dashboards");
    b.answered("the index", "document.querySelector('.cards .card')");
    for body in [
        json!({"name": "combo-industry", "title": "各行业客户数", "dimension": "industry"}),
        json!({"name": "combo-size", "title": "各规模客户数", "dimension": "size"}),
    ] {
        let (status, v) = b.api("POST", "/api/reports", Some(body));
        assert_eq!(status, 201, "{v}");
    }
    b.open("/?lang=zh#/dashboards/new");
    b.answered(
        "the editor",
        "document.querySelector('.combo-pick li[data-board=combo-size] button.add')",
    );
    b.shot("editor");
    b.js("document.getElementById('cb-title').value = '晨会看板';
          document.getElementById('cb-name').value = 'morning';
          document.querySelector('.combo-pick li[data-board=combo-industry] button.add').click();
          document.querySelector('.combo-pick li[data-board=combo-size] button.add').click();");
    assert_eq!(
        b.js("return [...document.querySelectorAll('.combo-chosen li[data-board]')].map(l => l.dataset.board)"),
        json!(["combo-industry", "combo-size"])
    );
    b.session
        .find(".combo-editor button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    b.answered(
        "both charts",
        "location.hash === '#/dashboards/morning' && document.querySelectorAll('.combo-cell svg g.bar').length > 0 && document.querySelectorAll('.combo-cell figure').length === 2",
    );
    b.shot("two-charts");
    let cells = b.texts(".combo-cell");
    assert!(
        cells
            .iter()
            .all(|t| !t.contains("null") && !t.contains("undefined")),
        "{cells:?}"
    );
    let drawn = |b: &Browser, board: &str| {
        b.js(&format!(
            "return [...document.querySelectorAll('.combo-cell[data-board={board}] svg g.bar')].reduce((s, g) => s + Number(g.dataset.value), 0)"
        ))
        .as_f64()
        .unwrap()
    };
    assert_eq!(drawn(&b, "combo-industry"), CUSTOMERS as f64);
    assert_eq!(drawn(&b, "combo-size"), CUSTOMERS as f64);
    // One filter for both: 华东.
    b.js("const s = document.querySelector('.filter-bar select[name=region]'); s.value = '华东'; s.dispatchEvent(new Event('change'))");
    b.answered(
        "both charts in 华东",
        "location.hash.startsWith('#/dashboards/morning?') && location.hash.includes('region=') && document.querySelectorAll('.combo-cell figure').length === 2",
    );
    let (_, east) = b.api(
        "GET",
        "/api/dashboards/combo-size?filter=region%3D%E5%8D%8E%E4%B8%9C",
        None,
    );
    let want: f64 = east["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_f64().unwrap())
        .sum();
    assert!(want > 0.0 && want < CUSTOMERS as f64);
    assert_eq!(drawn(&b, "combo-industry"), want);
    assert_eq!(drawn(&b, "combo-size"), want);
    b.shot("east");
    b.no_horizontal_overflow("combined dashboard");
    b.session.set_viewport(390, 844).expect("phone width");
    b.open("/?lang=en#/dashboards/morning?region=%E5%8D%8E%E4%B8%9C");
    b.answered(
        "both charts on a phone",
        "document.querySelectorAll('.combo-cell figure').length === 2",
    );
    b.no_horizontal_overflow("combined dashboard, phone");
    b.shot("phone");
    // Embedded: both charts, no app around them.
    let (status, t) = b.api(
        "POST",
        "/api/embed-tokens",
        Some(json!({"dashboard": "morning", "filters": ["region=华东"]})),
    );
    assert_eq!(status, 201, "{t}");
    b.session.set_viewport(1280, 1000).expect("desktop width");
    b.open(&format!(
        "/embed/morning?token={}",
        t["token"].as_str().unwrap()
    ));
    b.wait(
        "the embedded dashboard",
        "const e = document.getElementById('embed'); return e && e.dataset.answer === location.pathname + location.search && document.querySelectorAll('.combo-cell figure svg').length === 2",
    );
    b.shot("embedded");
    // Listed, then deleted from its page.
    b.open("/#/dashboards");
    b.answered(
        "its card",
        "document.querySelector('.card[data-combo=morning]')",
    );
    b.open("/#/dashboards/morning");
    b.answered(
        "its page",
        "document.querySelector('article.combo button.danger')",
    );
    b.js("window.confirm = () => true; document.querySelector('article.combo button.danger').click()");
    b.answered(
        "back to the index",
        "location.hash === '#/dashboards' && document.querySelector('section.boards')",
    );
    assert!(b.texts(".card[data-combo=morning]").is_empty());
    for name in ["combo-industry", "combo-size"] {
        let (status, _) = b.api("DELETE", &format!("/api/reports/{name}"), None);
        assert_eq!(status, 204);
    }
}

/// A scheduled report's page (`kesou-watch`'s HTML, as a folder or webhook gets it) opened
/// from a file: it draws its tables and bars and asks for nothing at all, not even from
/// the server that would have sent it.
#[test]
fn a_scheduled_report_renders_from_a_file_with_no_outside_request() {
    let Some(b) = browser("scheduled-report", 1000, 800) else {
        return;
    };
    let paths = kesou_testkit::shared_store("report page", &[kesou_testkit::Shape::new(300, 7)]);
    let store = kesou_indexer::Store::open(&paths).expect("store");
    let owner = kesou_access::Principal::local();
    let info = kesou_watch::add(
        &store,
        &owner.name,
        kesou_watch::NewWatch {
            name: "销售周报".into(),
            question: String::new(),
            query: None,
            fire_on: kesou_watch::FireOn::Enter,
            targets: Vec::new(),
            every: Some(kesou_watch::Every::Weekly),
            condition: None,
            board: Some("map".into()),
            filters: Vec::new(),
            period: None,
        },
    )
    .expect("subscribe");
    let asker = kesou_query::ask::Asker::on_store(&store).expect("asker");
    let period = kesou_watch::period_at(kesou_watch::Every::Weekly, 1_796_000_000_000_000);
    let settings = kesou_watch::Settings::with_url("http://kesou.test");
    let report = kesou_watch::render_report(&asker, &info.watch, &owner, &period, &settings)
        .expect("render");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(format!("{}.html", report.base));
    std::fs::write(&file, &report.html).expect("write page");
    b.session
        .goto(&format!("file://{}", file.display()))
        .expect("open the file");
    b.wait(
        "the report to load",
        "return document.readyState === 'complete' && document.querySelectorAll('svg rect').length > 0",
    );
    b.shot("report");
    let rows = b.js("return document.querySelectorAll('table tbody tr').length");
    assert!(rows.as_u64().unwrap() > 5, "{rows}");
    let requests = b.js(
        "return performance.getEntriesByType('resource').map(e => e.name)\
         .concat(performance.getEntriesByType('navigation').map(e => e.name)\
         .filter(n => !n.startsWith('file:')))",
    );
    assert_eq!(requests, json!([]), "the page asked for {requests}");
    let fonts = b.js("return document.fonts.size");
    assert_eq!(fonts, json!(0), "no web font");
}

/// The 「订阅」 button of a board saves a report of it as filtered on screen, weekly by
/// default, listed with the caller's watches.
#[test]
fn a_board_is_subscribed_as_a_weekly_report() {
    let Some(b) = browser("report-subscribe", 1280, 1000) else {
        return;
    };
    b.open("/#/dashboard/rfm?filter=region%3D%E5%8D%8E%E4%B8%9C&period=90");
    b.answered(
        "the board's subscribe button",
        "document.querySelector('#subscribe-report')",
    );
    b.js("document.querySelector('#subscribe-report').click()");
    b.wait(
        "the subscribe form",
        "return document.querySelector('select.subscribe-every') !== null",
    );
    let options = b.js(
        "return [...document.querySelectorAll('select.subscribe-every option')].map(o => o.value)",
    );
    assert_eq!(options, json!(["weekly", "daily"]));
    let view = b.js("return document.querySelector('.subscribe-view').textContent");
    assert!(view.as_str().unwrap().contains("region=华东"), "{view}");
    b.js("document.querySelector('button.subscribe-save').click()");
    let id = b.wait(
        "saved",
        "const a = document.querySelector('a.subscribed'); return a ? a.dataset.watch : false",
    );
    b.shot("subscribed");
    let (_, mine) = b.api("GET", "/api/watches", None);
    let saved = mine["watches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| Some(w["id"].to_string().as_str()) == id.as_str())
        .cloned()
        .expect("the subscription is listed by the API");
    assert_eq!(saved["board"], "rfm");
    assert_eq!(saved["every"], "weekly");
    assert_eq!(
        saved["view"],
        json!({"filters": ["region=华东"], "period": 90})
    );
    b.open("/#/watches");
    let row = format!(".watches tr[data-watch='{}']", saved["id"]);
    b.answered(
        "the watches page",
        &format!("document.querySelector(\"{row}\")"),
    );
    let text = b.js(&format!(
        "return document.querySelector(\"{row}\").textContent"
    ));
    let text = text.as_str().unwrap();
    assert!(
        text.contains("rfm") && (text.contains("每周") || text.contains("Weekly")),
        "{text}"
    );
    let (status, _) = b.api("DELETE", &format!("/api/watches/{}", saved["id"]), None);
    assert_eq!(status, 204);
}

//! Reports on a schedule (销售周报): a built-in board, saved report or combined dashboard
//! delivered every day or week to a target. A subscription is a watch with a `board`,
//! scheduled with the measure watches ([`crate::run_scheduled`]).
//!
//! - The content is what the subscriber sees when they open the board: it runs as its
//!   owner is now (their rows, their field rules: masked stays masked), through the same
//!   `kesou_query::boards` path as the web app. It is rendered here, not in the server, so
//!   that `kesou watch run` from cron and the server send the same thing.
//! - One page of HTML ([`crate::render`], nothing fetched from anywhere) and a CSV per board
//!   (`kesou_query::export`: formula-looking cells as text).
//! - A period is a day, or an ISO week from Monday, in China's time (UTC+8): a report runs
//!   once in each period, and its deliveries' idempotency key is the subscription and the
//!   period, so a second run in the same period (a restart, `--all`) sends nothing new.
//! - A webhook gets JSON (`title`, `period`, `generated_at`, `html`, `csv: [{name,
//!   content}]`); a folder the files `NAME-YYYY-MM-DD.html` and `.csv`; 钉钉 and 企业微信
//!   robots cannot take files, so they get a message with a link to the board in the web app.

use chrono::{Datelike, FixedOffset, NaiveDate, TimeZone};
use duckdb::params;
use kesou_access::Principal;
use kesou_indexer::Store;
use kesou_query::ask::{AskOptions, Asker, Table};
use kesou_query::boards;
use serde_json::{Value as Json, json};

use crate::evaluate::{Outcome, in_transaction, record_firing};
use crate::measure::Every;
use crate::message::{Message, ReportNote};
use crate::outbox::{self, Settings, now_us};
use crate::render::{self, Section};
use crate::spec::{self, BoardView, NewWatch, Watch, WatchInfo};
use crate::targets::{Format, Target, TargetKind};
use crate::{Error, Result};

/// Rows of each board in a report (a board's page in the web app).
pub const REPORT_ROWS: usize = 200;

/// One period of a subscription: a day or an ISO week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `2026-12-08` or `2026-W50`.
    pub label: String,
    /// Its first day (a week's Monday), in file names.
    pub start: NaiveDate,
}

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is an offset")
}

/// The period holding a moment (microseconds since the epoch).
pub fn period_at(every: Every, at_us: i64) -> Period {
    let day = china().timestamp_micros(at_us).single().map_or_else(
        || NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date"),
        |t| t.date_naive(),
    );
    match every {
        Every::Weekly => {
            let iso = day.iso_week();
            Period {
                label: format!("{}-W{:02}", iso.year(), iso.week()),
                start: day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday())),
            }
        }
        Every::Daily | Every::Hourly => Period {
            label: day.format("%Y-%m-%d").to_string(),
            start: day,
        },
    }
}

/// The title and boards of a board's, report's or combined dashboard's name.
fn boards_of(asker: &Asker, name: &str) -> Result<(String, Vec<String>, bool)> {
    if let Some(b) = boards::builtin(name) {
        return Ok((b.title.to_owned(), vec![name.to_owned()], false));
    }
    if let Some(r) = boards::saved_report(asker, name)? {
        return Ok((
            r.spec.shown_title().to_owned(),
            vec![name.to_owned()],
            false,
        ));
    }
    if let Some(c) = boards::saved_combo(asker, name)? {
        let title = if c.title.trim().is_empty() {
            c.name.clone()
        } else {
            c.title.trim().to_owned()
        };
        return Ok((title, c.boards, true));
    }
    Err(Error::NotFound(format!(
        "no board, saved report or combined dashboard is named {name:?}"
    )))
}

/// Each board as `principal` sees it when they open it with the filter bar `view`.
pub fn sections(
    asker: &Asker,
    names: &[String],
    principal: &Principal,
    view: &BoardView,
) -> Result<Vec<Section>> {
    let options = AskOptions {
        default_limit: REPORT_ROWS,
        scope: principal.scope.clone(),
        ..AskOptions::default()
    };
    let fixed = view_filters(asker, principal, view)?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let board = match boards::board_over(asker, name, &fixed, &options, view.period) {
            Ok(b) => b,
            Err(kesou_query::Error::NotFound(_)) => {
                out.push(Section {
                    name: name.clone(),
                    title: name.clone(),
                    explain: String::new(),
                    note: None,
                    table: None,
                });
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let mut value = serde_json::to_value(&board).expect("a board serialises");
        principal.apply_to_answer_json(&mut value);
        let table: Table = serde_json::from_value(value)
            .map_err(|e| Error::BadInput(format!("board {name}: {e}")))?;
        out.push(Section {
            name: name.clone(),
            title: board.info.title.clone(),
            explain: board.answer.explain.clone(),
            note: board.note.clone(),
            table: Some(table),
        });
    }
    Ok(out)
}

/// The filter bar's filters, read by the one filter reader and checked against the fields
/// the owner may use, and its period checked.
fn view_filters(
    asker: &Asker,
    principal: &Principal,
    view: &BoardView,
) -> Result<Vec<kesou_nlq::Filter>> {
    if let Some(days) = view.period
        && !boards::PERIODS.contains(&days)
    {
        return Err(Error::BadInput(format!(
            "period: {days}; a board's period is 30, 90 or 365 (days)"
        )));
    }
    let fixed = kesou_query::parse_filters(asker.schema(), &view.filters)
        .map_err(|e| Error::BadInput(e.to_string()))?;
    principal
        .check_filters(&fixed)
        .map_err(|e| Error::Forbidden(e.to_string()))?;
    Ok(fixed)
}

/// A report rendered for one period.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub title: String,
    pub period: Period,
    pub generated_at: String,
    pub html: String,
    /// `(file name, content)`: one CSV per board.
    pub csv: Vec<(String, String)>,
    pub rows: u64,
    pub boards: usize,
    /// The board in the web app.
    pub link: String,
    /// File names start with it: `销售周报-2026-12-07`.
    pub base: String,
}

/// A name safe in a file name on every system.
fn file_part(s: &str) -> String {
    let out: String = s
        .trim()
        .chars()
        .map(|c| {
            if c.is_control() || c.is_whitespace() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let out = out.trim_start_matches('.').to_owned();
    if out.is_empty() { "report".into() } else { out }
}

/// Renders the subscription's board for `period` as its owner sees it now.
pub fn render_report(
    asker: &Asker,
    watch: &Watch,
    principal: &Principal,
    period: &Period,
    settings: &Settings,
) -> Result<Rendered> {
    let board = watch.board.as_deref().unwrap_or_default();
    let (title, names, combo) = boards_of(asker, board)?;
    let sections = sections(asker, &names, principal, &watch.view)?;
    let generated_at = chrono::Utc::now()
        .with_timezone(&china())
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string();
    let link = format!(
        "{}/#/{}/{}",
        settings.public_url.trim_end_matches('/'),
        if combo { "dashboards" } else { "dashboard" },
        kesou_domain::text::url_encode(board)
    );
    let shown = format!("{}（{title}）{}", watch.name, watch.view.label());
    let html = render::page(&shown, &period.label, &generated_at, &link, &sections);
    let base = format!(
        "{}-{}",
        file_part(&watch.name),
        period.start.format("%Y-%m-%d")
    );
    let mut csv = Vec::new();
    let mut rows = 0;
    for s in &sections {
        let Some(table) = &s.table else { continue };
        rows += table.rows.len() as u64;
        let bytes = kesou_query::export::csv(table)
            .map_err(|e| Error::BadInput(format!("board {}: {e}", s.name)))?;
        let name = if sections.len() == 1 {
            format!("{base}.csv")
        } else {
            format!("{base}-{}.csv", file_part(&s.name))
        };
        csv.push((name, String::from_utf8_lossy(&bytes).into_owned()));
    }
    Ok(Rendered {
        title: shown,
        period: period.clone(),
        generated_at,
        html,
        csv,
        rows,
        boards: sections.len(),
        link,
        base,
    })
}

/// What a target receives for a rendered report.
pub fn body(target: &Target, key: &str, watch: &Watch, r: &Rendered) -> Json {
    let files: Vec<Json> = r
        .csv
        .iter()
        .map(|(name, content)| json!({"name": name, "content": content}))
        .collect();
    match target.kind {
        TargetKind::Webhook => json!({
            "event": "report",
            "key": key,
            "watch": watch.id,
            "name": watch.name,
            "owner": watch.owner,
            "board": watch.board,
            "title": r.title,
            "period": r.period.label,
            "period_start": r.period.start.to_string(),
            "generated_at": r.generated_at,
            "html": r.html,
            "csv": files,
            "link": r.link,
        }),
        TargetKind::Folder => {
            let mut all = vec![json!({"name": format!("{}.html", r.base), "content": r.html})];
            all.extend(files);
            json!({ "files": all })
        }
        TargetKind::Dingtalk | TargetKind::Wecom => {
            let head = format!("【客搜报表】{}（{}）", r.title, r.period.label);
            let lines = format!(
                "{} 个看板，共 {} 行。HTML 与 CSV 文件只送往 webhook 和文件夹（机器人消息不能带文件）。",
                r.boards, r.rows
            );
            match (target.kind, target.format) {
                (_, Format::Text) => {
                    json!({"msgtype": "text", "text": {"content": format!("{head}\n{lines}\n在网页中查看：{}", r.link)}})
                }
                (TargetKind::Dingtalk, Format::Markdown) => json!({
                    "msgtype": "markdown",
                    "markdown": {"title": head, "text": format!("### {head}\n\n{lines}\n\n[在网页中查看]({})", r.link)}
                }),
                _ => json!({
                    "msgtype": "markdown",
                    "markdown": {"content": format!("### {head}\n{lines}\n[在网页中查看]({})", r.link)}
                }),
            }
        }
    }
}

/// Saves a report subscription owned by `owner`: the board must exist and render under
/// them now.
pub(crate) fn add(store: &Store, owner: &str, new: NewWatch) -> Result<WatchInfo> {
    let principal = spec::owner_principal(&store.paths().root, owner)?;
    let board = new.board.as_deref().unwrap_or_default().trim().to_owned();
    let every = match new.every {
        Some(e @ (Every::Daily | Every::Weekly)) => e,
        _ => {
            return Err(Error::BadInput(
                "a report is delivered --every daily (每天) or weekly (每周)".into(),
            ));
        }
    };
    if new.condition.is_some() || new.query.is_some() {
        return Err(Error::BadInput(
            "a report subscription takes a board, --every and targets; conditions and queries \
             are for watches of a question"
                .into(),
        ));
    }
    let view = new.view();
    let asker = Asker::on_store(store)?;
    let (title, names, _) = boards_of(&asker, &board)?;
    // The board, its filters and period, as the owner may see them: refused now, not at
    // the first delivery.
    sections(&asker, &names, &principal, &view)?;
    let name = if new.name.trim().is_empty() {
        format!(
            "{title}{}（{}）",
            view.label(),
            if every == Every::Weekly {
                "每周"
            } else {
                "每天"
            }
        )
    } else {
        new.name.trim().to_owned()
    };
    let conn = store.reader()?.conn;
    spec::check_new(&conn, &name, &new.targets)?;
    let id = spec::next_id(&conn)?;
    conn.execute(
        "INSERT INTO watches (id, name, owner, question, query, fire_on, targets, every, \
         condition, created_at, board, board_view) VALUES (?, ?, ?, ?, NULL, 'enter', ?, ?, \
         NULL, make_timestamp(?), ?, ?)",
        params![
            id,
            name,
            owner,
            title,
            spec::json(&new.targets),
            every.name(),
            now_us(),
            board,
            (!view.is_empty()).then(|| spec::json(&view)),
        ],
    )?;
    spec::get(&conn, id)?.ok_or_else(|| Error::NotFound(format!("watch {id} vanished")))
}

/// One delivery of a subscription: when, under which event (its idempotency), and whether
/// it counts as its period's (a test does not).
struct Run<'a> {
    now: i64,
    event: &'a str,
    stamp: bool,
}

/// Renders a subscription and queues its deliveries under the run's event.
fn deliver(
    store: &Store,
    asker: &Asker,
    watch: &Watch,
    principal: &Principal,
    settings: &Settings,
    run: Run<'_>,
) -> Result<Outcome> {
    let Run { now, event, stamp } = run;
    let every = watch.every.unwrap_or(Every::Daily);
    let period = period_at(every, now);
    let rendered = render_report(asker, watch, principal, &period, settings)?;
    let root = store.paths().root.clone();
    let conn = asker.connection();
    in_transaction(conn, || {
        let generation = kesou_indexer::store::generation(conn)?;
        if stamp {
            conn.execute(
                "UPDATE watches SET last_run = make_timestamp(?) WHERE id = ?",
                params![now, watch.id],
            )?;
        }
        let msg = message(watch, &rendered, generation, settings);
        let firing = record_firing(conn, watch.id, generation, &msg, true)?;
        let queued = outbox::queue_bodies(conn, &root, firing, event, watch, settings, |t, k| {
            body(t, k, watch, &rendered)
        })?;
        Ok(Outcome {
            firing: Some(firing),
            queued,
            ..outcome(watch, &rendered)
        })
    })
}

fn message(watch: &Watch, r: &Rendered, generation: u64, settings: &Settings) -> Message {
    Message {
        report: Some(ReportNote {
            title: r.title.clone(),
            period: r.period.label.clone(),
            boards: r.boards,
            rows: r.rows,
        }),
        link: r.link.clone(),
        ..Message::for_list(
            watch,
            format!("{} 个看板，共 {} 行", r.boards, r.rows),
            generation,
            Vec::new(),
            Vec::new(),
            settings,
        )
    }
}

fn outcome(watch: &Watch, r: &Rendered) -> Outcome {
    Outcome {
        watch: watch.id,
        name: watch.name.clone(),
        full_run: Some(format!("a report for {}", r.period.label)),
        checked: r.rows as usize,
        entered: Vec::new(),
        left: Vec::new(),
        members: 0,
        firing: None,
        queued: 0,
        skipped: None,
    }
}

/// Runs the subscriptions whose period has turned since their last run (all of them with
/// `force`; their deliveries are still once per period).
pub(crate) fn run_due(store: &Store, settings: &Settings, force: bool) -> Result<Vec<Outcome>> {
    let reader = store.reader()?;
    let now = now_us();
    let mut due = Vec::new();
    for w in spec::all(&reader.conn)?
        .into_iter()
        .filter(Watch::is_report)
    {
        let last: Option<i64> = reader.conn.query_row(
            "SELECT epoch_us(last_run) FROM watches WHERE id = ?",
            params![w.id],
            |r| r.get(0),
        )?;
        let every = w.every.unwrap_or(Every::Daily);
        if force || last.is_none_or(|l| period_at(every, l) != period_at(every, now)) {
            due.push(w);
        }
    }
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let asker = Asker::on_store(store)?;
    let root = store.paths().root.clone();
    let mut out = Vec::new();
    for watch in due {
        let principal = match spec::owner_principal(&root, &watch.owner) {
            Ok(p) => p,
            Err(e) if e.is_user_error() => continue,
            Err(e) => return Err(e),
        };
        let every = watch.every.unwrap_or(Every::Daily);
        let event = format!("r{}:{}", watch.id, period_at(every, now).label);
        let run = Run {
            now,
            event: &event,
            stamp: true,
        };
        match deliver(store, &asker, &watch, &principal, settings, run) {
            Ok(o) => out.push(o),
            Err(e) if e.is_user_error() => {
                // A board deleted since, or a field the owner may no longer see: said once
                // per period, not at every tick.
                tracing::warn!(watch = watch.id, error = %e, "report not delivered");
                asker.connection().execute(
                    "UPDATE watches SET last_run = make_timestamp(?) WHERE id = ?",
                    params![now, watch.id],
                )?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Renders and queues a subscription's report now, whatever its schedule (`kesou watch
/// test`): a delivery of its own, not counted as the period's.
pub fn send_now(store: &Store, id: i64, settings: &Settings) -> Result<Outcome> {
    let conn = store.reader()?.conn;
    let Some(info) = spec::get(&conn, id)? else {
        return Err(Error::NotFound(format!("no watch {id}")));
    };
    let watch = info.watch;
    if !watch.is_report() {
        return Err(Error::BadInput(format!("watch {id} is not a report")));
    }
    let principal = spec::owner_principal(&store.paths().root, &watch.owner)?;
    let asker = Asker::on_store(store)?;
    let now = now_us();
    let event = format!("r{id}:now:{now}");
    // Not stamped: a test does not count as the period's delivery.
    let run = Run {
        now,
        event: &event,
        stamp: false,
    };
    deliver(store, &asker, &watch, &principal, settings, run)
}

/// What a subscription would deliver now, recording and sending nothing.
pub(crate) fn preview(
    asker: &Asker,
    watch: &Watch,
    principal: &Principal,
    settings: &Settings,
) -> Result<(Outcome, Message)> {
    let now = now_us();
    let period = period_at(watch.every.unwrap_or(Every::Daily), now);
    let r = render_report(asker, watch, principal, &period, settings)?;
    let generation = kesou_indexer::store::generation(asker.connection())?;
    Ok((outcome(watch, &r), message(watch, &r, generation, settings)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_china_days_and_iso_weeks() {
        // 2026-12-06 17:00 UTC is Monday 2026-12-07 01:00 in China.
        let at = chrono::Utc
            .with_ymd_and_hms(2026, 12, 6, 17, 0, 0)
            .unwrap()
            .timestamp_micros();
        let d = period_at(Every::Daily, at);
        assert_eq!(d.label, "2026-12-07");
        let w = period_at(Every::Weekly, at);
        assert_eq!(w.label, "2026-W50");
        assert_eq!(w.start.to_string(), "2026-12-07");
        let sunday = at + 6 * 24 * 3600 * 1_000_000 + 20 * 3600 * 1_000_000;
        assert_eq!(period_at(Every::Weekly, sunday), w);
        assert_ne!(period_at(Every::Daily, sunday), d);
    }

    fn rendered() -> (Watch, Rendered) {
        let watch = Watch {
            id: 7,
            name: "销售周报".into(),
            owner: "王芳".into(),
            question: "区域行业".into(),
            query: None,
            fire_on: crate::FireOn::Enter,
            targets: vec!["t".into()],
            every: Some(Every::Weekly),
            condition: None,
            created_at: String::new(),
            evaluated_gen: None,
            evaluated_key: None,
            last_value: None,
            last_run: None,
            board: Some("matrix".into()),
            view: BoardView::default(),
        };
        let start = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let r = Rendered {
            title: "销售周报（区域行业）".into(),
            period: Period {
                label: "2026-W50".into(),
                start,
            },
            generated_at: "2026-12-07 09:00:00 +08:00".into(),
            html: "<!DOCTYPE html>".into(),
            csv: vec![("销售周报-2026-12-07.csv".into(), "\u{feff}a\n".into())],
            rows: 12,
            boards: 1,
            link: "http://kesou.test/#/dashboard/matrix".into(),
            base: "销售周报-2026-12-07".into(),
        };
        (watch, r)
    }

    fn target(kind: TargetKind, format: Format) -> Target {
        Target {
            name: "t".into(),
            kind,
            url: "http://x/?key=k".into(),
            secret: None,
            format,
            allow_demo: false,
            created_by: String::new(),
        }
    }

    #[test]
    fn each_target_gets_the_report_in_its_form() {
        let (watch, r) = rendered();
        let hook = body(&target(TargetKind::Webhook, Format::Text), "k1", &watch, &r);
        assert_eq!(hook["event"], "report");
        assert_eq!(hook["key"], "k1");
        assert_eq!(hook["period"], "2026-W50");
        assert_eq!(hook["csv"][0]["name"], "销售周报-2026-12-07.csv");
        let folder = body(&target(TargetKind::Folder, Format::Text), "k1", &watch, &r);
        let names: Vec<&str> = folder["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["销售周报-2026-12-07.html", "销售周报-2026-12-07.csv"]
        );
        let ding = body(
            &target(TargetKind::Dingtalk, Format::Markdown),
            "k1",
            &watch,
            &r,
        );
        assert_eq!(ding["msgtype"], "markdown");
        let text = ding["markdown"]["text"].as_str().unwrap();
        assert!(
            text.contains("[在网页中查看](http://kesou.test/#/dashboard/matrix)"),
            "{text}"
        );
        assert!(text.contains("机器人消息不能带文件"), "{text}");
        assert!(ding.get("html").is_none() && ding.to_string().len() < 1000);
        let wecom = body(&target(TargetKind::Wecom, Format::Text), "k1", &watch, &r);
        assert!(
            wecom["text"]["content"]
                .as_str()
                .unwrap()
                .contains("2026-W50")
        );
    }

    #[test]
    fn file_names_keep_chinese_and_lose_separators() {
        assert_eq!(file_part("销售周报 / 华东"), "销售周报___华东");
        assert_eq!(file_part("../x"), "_x");
    }
}

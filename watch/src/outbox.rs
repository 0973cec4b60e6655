//! The outbox: deliveries waiting in the store (`watch_outbox`), so that a firing survives
//! a restart and a receiver that is down.
//!
//! - A delivery is queued in the transaction that records its firing, under an
//!   idempotency key (a hash of the watch, the generations it covers and the target): the
//!   same change evaluated again queues nothing new.
//! - [`deliver_due`] sends what is due, one attempt each, and records every attempt in the
//!   audit log (a delivery is customer data leaving the store). A failed attempt is tried
//!   again after a delay that doubles from [`Settings::first_retry`] up to
//!   [`Settings::max_retry`]; a delivery not sent by [`Settings::expire_after`] expires.
//! - A delivery is marked sent only once its receiver said so. A process killed after the
//!   receiver took it and before the mark sends it again after the restart, with the same
//!   `Idempotency-Key` header (and `key` in a webhook's JSON): a receiver that keeps the
//!   keys it has seen acts once. The robots do not deduplicate; that window is the time
//!   between the robot's answer and the mark (an UPDATE of one row).
//! - Firings on the demo's generated data (a store with the demo's `source/` folder) are
//!   held, not sent, unless the target was added with `allow_demo`.
//! - One delivery pass runs at a time in a process.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use duckdb::{Connection, params};
use kesou_access::{AuditLog, Event};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Result;
use crate::evaluate::hex;
use crate::message::Message;
use crate::robots;
use crate::spec::Watch;
use crate::targets::{self, Target, TargetKind};

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The web app's address, for links in messages. Default `http://127.0.0.1:8080`.
    pub public_url: String,
    /// One attempt's time limit. Default 10 s.
    pub timeout: Duration,
    /// The delay after a first failed attempt; it doubles after each. Default 30 s.
    pub first_retry: Duration,
    /// The longest delay between attempts. Default 1 h.
    pub max_retry: Duration,
    /// A delivery not sent by then expires. Default 24 h.
    pub expire_after: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:8080".into(),
            timeout: Duration::from_secs(10),
            first_retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(3600),
            expire_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl Settings {
    /// The defaults, with the app's address.
    pub fn with_url(public_url: &str) -> Settings {
        Settings {
            public_url: public_url.trim_end_matches('/').to_owned(),
            ..Settings::default()
        }
    }

    fn backoff(&self, attempt: i32) -> Duration {
        let factor = 1u32 << (attempt.clamp(1, 20) - 1);
        self.first_retry.saturating_mul(factor).min(self.max_retry)
    }
}

/// A delivery as listed.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxItem {
    pub key: String,
    pub firing: Option<i64>,
    pub target: String,
    /// `queued`, `sent`, `expired` or `held` (demo data).
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// What a delivery pass did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct DeliveryReport {
    pub sent: usize,
    pub failed: usize,
    pub expired: usize,
}

pub(crate) fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Whether the store holds the demo's generated data (`kesou demo` keeps its files in
/// `STORE/source/`).
fn is_demo(root: &Path) -> bool {
    root.join("source").is_dir()
}

/// Queues a firing's message for each of the watch's targets. Returns how many were new.
pub(crate) fn queue_all(
    conn: &Connection,
    root: &Path,
    firing: i64,
    event: &str,
    watch: &Watch,
    msg: &Message,
    settings: &Settings,
) -> Result<usize> {
    queue_bodies(conn, root, firing, event, watch, settings, |target, key| {
        robots::render(target.kind, target.format, msg, key)
    })
}

/// Queues, for each of the watch's targets, the body `body(target, key)` under the key of
/// `event` and that target. Returns how many were new.
pub(crate) fn queue_bodies(
    conn: &Connection,
    root: &Path,
    firing: i64,
    event: &str,
    watch: &Watch,
    settings: &Settings,
    body: impl Fn(&Target, &str) -> serde_json::Value,
) -> Result<usize> {
    let demo = is_demo(root);
    let now = now_us();
    let expires = now + settings.expire_after.as_micros() as i64;
    let mut queued = 0;
    for name in &watch.targets {
        let Some(target) = targets::get(conn, name)? else {
            tracing::warn!(watch = watch.id, target = %name, "delivery target removed; not queued");
            continue;
        };
        let key = hex(&Sha256::digest(format!("{event}:{name}").as_bytes()))[..32].to_owned();
        let exists: bool = conn.query_row(
            "SELECT count(*) > 0 FROM watch_outbox WHERE key = ?",
            params![key],
            |r| r.get(0),
        )?;
        if exists {
            continue;
        }
        let body = body(&target, &key).to_string();
        let (state, note) = if demo && !target.allow_demo {
            (
                "held",
                Some(
                    "demo data: held, not sent (an administrator adds the target with --allow-demo to send demo firings)",
                ),
            )
        } else {
            ("queued", None)
        };
        queued += conn.execute(
            "INSERT INTO watch_outbox (key, firing_id, target, body, state, attempts, next_at, \
             expires_at, last_error, created_at) SELECT ?, ?, ?, ?, ?, 0, make_timestamp(?), \
             make_timestamp(?), ?, make_timestamp(?) WHERE NOT EXISTS \
             (SELECT 1 FROM watch_outbox WHERE key = ?)",
            params![key, firing, name, body, state, now, expires, note, now, key],
        )?;
    }
    Ok(queued)
}

static DELIVERING: Mutex<()> = Mutex::new(());

/// Sends every delivery that is due, one attempt each, and audits each attempt.
pub fn deliver_due(conn: &Connection, root: &Path, settings: &Settings) -> Result<DeliveryReport> {
    let _one = DELIVERING.lock().unwrap_or_else(|p| p.into_inner());
    let now = now_us();
    let due: Vec<(String, Option<i64>, String, String, i32, i64)> = {
        let mut stmt = conn.prepare(
            "SELECT key, firing_id, target, body, attempts, epoch_us(expires_at) FROM watch_outbox \
             WHERE state = 'queued' AND next_at <= make_timestamp(?) ORDER BY created_at, key",
        )?;
        stmt.query_map(params![now], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<std::result::Result<_, _>>()?
    };
    let mut report = DeliveryReport::default();
    if due.is_empty() {
        return Ok(report);
    }
    let audit = AuditLog::open(root)?;
    for (key, firing, target_name, body, attempts, expires) in due {
        let (watch_name, customers, rows) = firing_summary(conn, firing)?;
        let attempt = attempts + 1;
        let mut event = Event {
            user: "kesou-watch".into(),
            role: "system".into(),
            from: "outbox".into(),
            action: "deliver".into(),
            input: key.clone(),
            interpretation: watch_name,
            rows,
            customers,
            ..Event::default()
        };
        let target = targets::get(conn, &target_name)?;
        let Some(target) = target.filter(|_| now < expires) else {
            let why = if now >= expires {
                "expired before it could be sent"
            } else {
                "its target was removed"
            };
            event.outcome = "expired".into();
            event.detail = format!("{target_name}: {why}");
            audit.record(event)?;
            conn.execute(
                "UPDATE watch_outbox SET state = 'expired', last_error = ? WHERE key = ?",
                params![why, key],
            )?;
            report.expired += 1;
            continue;
        };
        let result = send(&target, &body, &key, settings);
        event.outcome = if result.is_ok() { "ok" } else { "failed" }.into();
        event.detail = format!(
            "{target_name} ({}) attempt {attempt}: {}",
            target.kind.name(),
            match &result {
                Ok(s) | Err(s) => s,
            }
        );
        audit.record(event)?;
        match result {
            Ok(_) => {
                conn.execute(
                    "UPDATE watch_outbox SET state = 'sent', attempts = ?, sent_at = \
                     make_timestamp(?), last_error = NULL WHERE key = ?",
                    params![attempt, now_us(), key],
                )?;
                report.sent += 1;
            }
            Err(e) => {
                let next = now_us() + settings.backoff(attempt).as_micros() as i64;
                conn.execute(
                    "UPDATE watch_outbox SET attempts = ?, next_at = make_timestamp(?), \
                     last_error = ? WHERE key = ?",
                    params![attempt, next, e, key],
                )?;
                tracing::warn!(target = %target_name, attempt, error = %e, "delivery failed; will retry");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// The watch's name, the customers a firing lists and how many rows it carries (a
/// report's rows: its boards' customers or groups), for the audit log.
fn firing_summary(conn: &Connection, firing: Option<i64>) -> Result<(String, Vec<String>, u64)> {
    let Some(id) = firing else {
        return Ok((String::new(), Vec::new(), 0));
    };
    let text: Option<String> = conn
        .query_row(
            "SELECT message FROM watch_firings WHERE id = ?",
            params![id],
            |r| r.get(0),
        )
        .ok();
    let Some(msg) = text.and_then(|t| serde_json::from_str::<Message>(&t).ok()) else {
        return Ok((String::new(), Vec::new(), 0));
    };
    let ids: Vec<String> = msg
        .entered
        .iter()
        .chain(&msg.left)
        .map(|i| i.id.clone())
        .collect();
    let rows = msg.report.as_ref().map_or(ids.len() as u64, |r| r.rows);
    Ok((msg.watch_name, ids, rows))
}

/// One attempt: `Ok` with the receiver's status when it took the message.
fn send(target: &Target, body: &str, key: &str, settings: &Settings) -> Result<String, String> {
    if target.kind == TargetKind::Folder {
        return write_files(&target.url, body);
    }
    let url = match (target.kind, &target.secret) {
        (TargetKind::Dingtalk, Some(secret)) => {
            robots::dingtalk_signed_url(&target.url, secret, chrono::Utc::now().timestamp_millis())
        }
        _ => target.url.clone(),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(settings.timeout))
        .build()
        .into();
    // An error must not carry the URL (a robot's token) into the log.
    let hide = |e: String| e.replace(&url, &targets::mask_url(&target.url));
    let mut response = agent
        .post(&url)
        .header("content-type", "application/json; charset=utf-8")
        .header("idempotency-key", key)
        .header("user-agent", "kesou-watch")
        .send(body.as_bytes())
        .map_err(|e| hide(e.to_string()))?;
    let status = response.status();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default();
    if !status.is_success() {
        let shown: String = text.chars().take(200).collect();
        return Err(format!("HTTP {}: {shown}", status.as_u16()));
    }
    if matches!(target.kind, TargetKind::Dingtalk | TargetKind::Wecom) {
        let answer: serde_json::Value = serde_json::from_str(&text)
            .map_err(|_| format!("HTTP {}: the robot's answer is not JSON", status.as_u16()))?;
        let code = answer["errcode"].as_i64().unwrap_or(-1);
        if code != 0 {
            return Err(format!(
                "errcode {code}: {}",
                answer["errmsg"].as_str().unwrap_or("")
            ));
        }
    }
    Ok(format!("HTTP {}", status.as_u16()))
}

/// A folder target's delivery: each of the body's `files` written beside and renamed into
/// place, so a reader of the folder never sees half a file. A file already there from an
/// earlier attempt of the same delivery is replaced by the same bytes.
fn write_files(folder: &str, body: &str) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let files = v["files"].as_array().cloned().unwrap_or_default();
    let dir = Path::new(folder);
    std::fs::create_dir_all(dir).map_err(|e| format!("folder {folder}: {e}"))?;
    let mut names = Vec::new();
    for f in &files {
        let name = f["name"].as_str().unwrap_or_default();
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(format!("file name {name:?} refused"));
        }
        let content = f["content"].as_str().unwrap_or_default();
        let part = dir.join(format!(".{name}.part"));
        std::fs::write(&part, content.as_bytes()).map_err(|e| format!("{name}: {e}"))?;
        std::fs::rename(&part, dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
        names.push(name.to_owned());
    }
    Ok(format!("wrote {}", names.join(", ")))
}

/// The outbox, newest first (at most `limit`).
pub fn items(conn: &Connection, limit: usize) -> Result<Vec<OutboxItem>> {
    let mut stmt = conn.prepare(
        "SELECT key, firing_id, target, state, attempts, last_error FROM watch_outbox \
         ORDER BY created_at DESC, key LIMIT ?",
    )?;
    let rows = stmt
        .query_map(params![limit as i64], |r| {
            Ok(OutboxItem {
                key: r.get(0)?,
                firing: r.get(1)?,
                target: r.get(2)?,
                state: r.get(3)?,
                attempts: r.get(4)?,
                last_error: r.get(5)?,
            })
        })?
        .collect::<std::result::Result<_, _>>()?;
    Ok(rows)
}

/// Sends held (demo) deliveries after all: an administrator's explicit word.
pub fn release_held(conn: &Connection) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE watch_outbox SET state = 'queued', last_error = NULL WHERE state = 'held'",
        [],
    )?)
}

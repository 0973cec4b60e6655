//! A watch as saved: who owns it, what it asks, when it fires, where it goes. Saving one
//! checks that the question is understood whole (a watch that ignored part of its question
//! would alert on the wrong customers), that the owner's role may use every field it names,
//! and that its targets exist; then it runs once to record who is in its answer now.

use std::path::Path;

use duckdb::{Connection, OptionalExt, params};
use kesou_access::{Principal, Role, Users};
use kesou_indexer::Store;
use kesou_nlq::Query;
use serde::{Deserialize, Serialize};

use crate::measure::{Condition, Every};
use crate::{Error, Result};

/// Longest watch name.
pub const MAX_NAME_CHARS: usize = 64;
/// Most watches one store keeps (each is asked again after every write).
pub const MAX_WATCHES: usize = 1000;

/// When a list watch fires: customers entering its answer, leaving it, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FireOn {
    Enter,
    Leave,
    Both,
}

impl FireOn {
    pub fn name(self) -> &'static str {
        match self {
            FireOn::Enter => "enter",
            FireOn::Leave => "leave",
            FireOn::Both => "both",
        }
    }
}

impl std::str::FromStr for FireOn {
    type Err = Error;
    fn from_str(s: &str) -> Result<FireOn> {
        match s.trim() {
            "enter" | "进入" => Ok(FireOn::Enter),
            "leave" | "离开" => Ok(FireOn::Leave),
            "both" | "进入和离开" => Ok(FireOn::Both),
            other => Err(Error::BadInput(format!(
                "fire on {other:?}: write enter (进入), leave (离开) or both"
            ))),
        }
    }
}

/// A watch to save.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWatch {
    /// What people see; the question when empty.
    #[serde(default)]
    pub name: String,
    /// The question as typed (also kept with a structured query, for people); none for a
    /// report subscription.
    #[serde(default)]
    pub question: String,
    /// A structured query (an answer's interpretation, possibly edited) to watch instead
    /// of reading the question again at each run.
    #[serde(default)]
    pub query: Option<Query>,
    #[serde(default = "enter")]
    pub fire_on: FireOn,
    /// Names of delivery targets an administrator configured.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Measure watches: how often they run.
    #[serde(default)]
    pub every: Option<Every>,
    /// Measure watches: when they fire.
    #[serde(default)]
    pub condition: Option<Condition>,
    /// Report subscriptions: the board, saved report or combined dashboard delivered
    /// `every` day or week (see [`crate::report`]).
    #[serde(default)]
    pub board: Option<String>,
    /// Report subscriptions: the filter bar's fixed filters (`FIELD op VALUE`)…
    #[serde(default)]
    pub filters: Vec<String>,
    /// …and its period in days (30, 90 or 365).
    #[serde(default)]
    pub period: Option<u64>,
}

impl NewWatch {
    /// A report subscription's filter bar.
    pub fn view(&self) -> BoardView {
        BoardView {
            filters: self.filters.clone(),
            period: self.period,
        }
    }
}

/// How a subscribed board is filtered, as its filter bar was: fixed filters
/// (`FIELD op VALUE`, the one filter language) and the period in days (30, 90 or 365).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BoardView {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u64>,
}

impl BoardView {
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty() && self.period.is_none()
    }

    /// For people, after the board's title: ` · region=华东 · 近90天`.
    pub fn label(&self) -> String {
        let mut parts: Vec<String> = self.filters.clone();
        if let Some(days) = self.period {
            parts.push(format!("近{days}天"));
        }
        parts.iter().map(|p| format!(" · {p}")).collect()
    }
}

fn enter() -> FireOn {
    FireOn::Enter
}

/// A saved watch.
#[derive(Debug, Clone, Serialize)]
pub struct Watch {
    pub id: i64,
    pub name: String,
    pub owner: String,
    pub question: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<Query>,
    pub fire_on: FireOn,
    pub targets: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub every: Option<Every>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    pub created_at: String,
    /// The store generation its members reflect (none before its first run).
    pub evaluated_gen: Option<u64>,
    #[serde(skip)]
    pub evaluated_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_value: Option<f64>,
    pub last_run: Option<String>,
    /// A report subscription's board (a built-in board, saved report or combined dashboard).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub board: Option<String>,
    /// …and its filter bar.
    #[serde(skip_serializing_if = "BoardView::is_empty")]
    pub view: BoardView,
}

impl Watch {
    pub fn is_measure(&self) -> bool {
        self.every.is_some() && self.board.is_none()
    }

    /// A report subscription: a board delivered on a schedule.
    pub fn is_report(&self) -> bool {
        self.board.is_some()
    }
}

/// A watch with who is in its answer and its last firings, for lists.
#[derive(Debug, Clone, Serialize)]
pub struct WatchInfo {
    #[serde(flatten)]
    pub watch: Watch,
    pub members: u64,
    pub last_firings: Vec<FiringInfo>,
}

/// One firing as listed.
#[derive(Debug, Clone, Serialize)]
pub struct FiringInfo {
    pub id: i64,
    pub at: String,
    pub generation: Option<u64>,
    pub entered: u64,
    pub left: u64,
    /// The message's first line (what fired).
    pub summary: String,
    /// Each target's delivery: `target: state (attempts)`.
    pub deliveries: Vec<String>,
}

/// The principal a watch runs as: its owner as the store's users and policy say now. A
/// store without users is a single-user store: its watches run as the administrator. A
/// disabled or removed owner's watches do not run.
pub fn owner_principal(root: &Path, owner: &str) -> Result<Principal> {
    let users = Users::load(root)?;
    let policy = kesou_access::Policy::load(&root.join("access").join("policy.toml"))?;
    if users.all().is_empty() {
        return Ok(Principal::for_role(owner, Role::Admin, None, &policy));
    }
    match users.get(owner) {
        Some(u) if !u.disabled => Ok(Principal::of(u, &policy)?),
        Some(_) => Err(Error::Forbidden(format!(
            "user {owner} is disabled: their watches do not run"
        ))),
        None => Err(Error::NotFound(format!(
            "user {owner} does not exist; watches belong to a user of the store (kesou user add)"
        ))),
    }
}

/// Saves a watch owned by `owner` and records who is in its answer now.
pub fn add(store: &Store, owner: &str, new: NewWatch) -> Result<WatchInfo> {
    if new.board.is_some() {
        return crate::report::add(store, owner, new);
    }
    if !new.view().is_empty() {
        return Err(Error::BadInput(
            "filters and a period are a report's (with a board); a watch of a question puts \
             its conditions in the question"
                .into(),
        ));
    }
    let principal = owner_principal(&store.paths().root, owner)?;
    let conn = store.reader()?.conn;
    let question = new.question.trim().to_owned();
    if question.is_empty() && new.query.is_none() {
        return Err(Error::BadInput(
            "a watch needs a question, e.g. 「流失风险高的忠诚客户」".into(),
        ));
    }
    let name = if new.name.trim().is_empty() {
        question.clone()
    } else {
        new.name.trim().to_owned()
    };
    check_new(&conn, &name, &new.targets)?;
    let id = next_id(&conn)?;
    let watch = Watch {
        id,
        name,
        owner: owner.to_owned(),
        question,
        query: new.query,
        fire_on: new.fire_on,
        targets: new.targets,
        every: new.every,
        condition: new.condition,
        created_at: String::new(),
        evaluated_gen: None,
        evaluated_key: None,
        last_value: None,
        last_run: None,
        board: None,
        view: BoardView::default(),
    };
    // Checks the question (understood whole, fields allowed, list or measure as declared)
    // before anything is written.
    let asker = kesou_query::ask::Asker::on_store(store)?;
    let query = crate::evaluate::query_of(&asker, &watch)?;
    principal
        .check_query(&query, None)
        .map_err(|e| Error::Forbidden(e.to_string()))?;
    match (query.is_summary(), watch.is_measure()) {
        (true, false) => {
            return Err(Error::BadInput(
                "this question is a figure (a summary), not a list of customers: watch it on a \
                 schedule with --every daily|weekly and a condition (--below, --above, --drop, --rise)"
                    .into(),
            ));
        }
        (false, true) => {
            return Err(Error::BadInput(
                "this question lists customers: a list watch fires when customers enter or leave \
                 it after each change, without --every"
                    .into(),
            ));
        }
        (true, true) if watch.condition.is_none() => {
            return Err(Error::BadInput(
                "a measure watch needs a condition: --below N, --above N, --drop PCT or --rise PCT"
                    .into(),
            ));
        }
        _ => {}
    }
    conn.execute(
        "INSERT INTO watches (id, name, owner, question, query, fire_on, targets, every, \
         condition, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, make_timestamp(?))",
        params![
            watch.id,
            watch.name,
            watch.owner,
            watch.question,
            watch.query.as_ref().map(json),
            watch.fire_on.name(),
            json(&watch.targets),
            watch.every.map(|e| e.name()),
            watch.condition.as_ref().map(json),
            crate::outbox::now_us(),
        ],
    )?;
    let first = if watch.is_measure() {
        crate::measure::first_run(store, &asker, &watch, &principal)
    } else {
        crate::evaluate::baseline(store, &asker, &watch, &principal)
    };
    if let Err(e) = first {
        conn.execute("DELETE FROM watches WHERE id = ?", params![id])?;
        return Err(e);
    }
    get(&conn, id)?.ok_or_else(|| Error::NotFound(format!("watch {id} vanished")))
}

/// Checks a new watch's name and targets and that the store keeps another watch.
pub(crate) fn check_new(conn: &Connection, name: &str, targets: &[String]) -> Result<()> {
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::BadInput(format!(
            "a watch's name has at most {MAX_NAME_CHARS} characters"
        )));
    }
    for t in targets {
        if crate::targets::get(conn, t)?.is_none() {
            return Err(Error::NotFound(format!(
                "no delivery target {t:?}; an administrator adds one with `kesou watch target add`"
            )));
        }
    }
    let count: i64 = conn.query_row("SELECT count(*) FROM watches", [], |r| r.get(0))?;
    if count as usize >= MAX_WATCHES {
        return Err(Error::BadInput(format!(
            "the store has {MAX_WATCHES} watches, the most it keeps; remove some first"
        )));
    }
    Ok(())
}

pub(crate) fn next_id(conn: &Connection) -> Result<i64> {
    Ok(
        conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM watches", [], |r| {
            r.get(0)
        })?,
    )
}

pub(crate) fn json<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).expect("a watch's parts serialise")
}

const COLUMNS: &str = "id, name, owner, question, query, fire_on, targets, every, condition, \
     strftime(created_at, '%Y-%m-%d %H:%M:%S'), evaluated_gen, evaluated_key, last_value, \
     strftime(last_run, '%Y-%m-%d %H:%M:%S'), board, board_view";

fn read_watch(r: &duckdb::Row<'_>) -> duckdb::Result<Watch> {
    let parse = |i: usize, text: Option<String>| -> duckdb::Result<_> {
        Ok(text.map(|t| {
            serde_json::from_str::<serde_json::Value>(&t).map_err(|e| {
                duckdb::Error::FromSqlConversionFailure(i, duckdb::types::Type::Text, Box::new(e))
            })
        }))
    };
    let query = match parse(4, r.get(4)?)? {
        Some(v) => Some(serde_json::from_value(v?).map_err(|e| {
            duckdb::Error::FromSqlConversionFailure(4, duckdb::types::Type::Text, Box::new(e))
        })?),
        None => None,
    };
    let fire_on: String = r.get(5)?;
    let targets: String = r.get(6)?;
    let every: Option<String> = r.get(7)?;
    let condition: Option<String> = r.get(8)?;
    Ok(Watch {
        id: r.get(0)?,
        name: r.get(1)?,
        owner: r.get(2)?,
        question: r.get(3)?,
        query,
        fire_on: fire_on.parse().unwrap_or(FireOn::Enter),
        targets: serde_json::from_str(&targets).unwrap_or_default(),
        every: every.and_then(|e| e.parse().ok()),
        condition: condition.and_then(|c| serde_json::from_str(&c).ok()),
        created_at: r.get(9)?,
        evaluated_gen: r.get::<_, Option<i64>>(10)?.map(|g| g as u64),
        evaluated_key: r.get(11)?,
        last_value: r.get(12)?,
        last_run: r.get(13)?,
        board: r.get(14)?,
        view: r
            .get::<_, Option<String>>(15)?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default(),
    })
}

/// Every watch of the store, oldest first.
pub(crate) fn all(conn: &Connection) -> Result<Vec<Watch>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM watches ORDER BY id"))?;
    let rows = stmt
        .query_map([], read_watch)?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// One watch with its members and last firings.
pub fn get(conn: &Connection, id: i64) -> Result<Option<WatchInfo>> {
    let watch = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM watches WHERE id = ?"),
            params![id],
            read_watch,
        )
        .optional()?;
    watch.map(|w| info(conn, w)).transpose()
}

/// The watches of `owner` (every watch when `None`), each with its last firings.
pub fn list(conn: &Connection, owner: Option<&str>) -> Result<Vec<WatchInfo>> {
    all(conn)?
        .into_iter()
        .filter(|w| owner.is_none_or(|o| w.owner == o))
        .map(|w| info(conn, w))
        .collect()
}

/// How many firings a list shows per watch.
const LAST_FIRINGS: usize = 5;

fn info(conn: &Connection, watch: Watch) -> Result<WatchInfo> {
    let members: i64 = conn.query_row(
        "SELECT count(*) FROM watch_members WHERE watch_id = ?",
        params![watch.id],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(
        "SELECT id, strftime(fired_at, '%Y-%m-%d %H:%M:%S'), generation, entered, left_count, message \
         FROM watch_firings WHERE watch_id = ? ORDER BY id DESC LIMIT ?",
    )?;
    let mut last_firings = stmt
        .query_map(params![watch.id, LAST_FIRINGS as i64], |r| {
            let message: String = r.get(5)?;
            Ok(FiringInfo {
                id: r.get(0)?,
                at: r.get(1)?,
                generation: r.get::<_, Option<i64>>(2)?.map(|g| g as u64),
                entered: r.get::<_, Option<i32>>(3)?.unwrap_or(0) as u64,
                left: r.get::<_, Option<i32>>(4)?.unwrap_or(0) as u64,
                summary: serde_json::from_str::<crate::Message>(&message)
                    .map(|m| m.headline())
                    .unwrap_or_default(),
                deliveries: Vec::new(),
            })
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut deliveries = conn.prepare(
        "SELECT target, state, attempts FROM watch_outbox WHERE firing_id = ? ORDER BY target",
    )?;
    for f in &mut last_firings {
        f.deliveries = deliveries
            .query_map(params![f.id], |r| {
                Ok(format!(
                    "{}: {} ({})",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i32>(2)?
                ))
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
    }
    Ok(WatchInfo {
        watch,
        members: members as u64,
        last_firings,
    })
}

/// Removes a watch: its owner or an administrator may. Deliveries already queued still go.
pub fn remove(conn: &Connection, id: i64, by: &Principal) -> Result<()> {
    let Some(w) = get(conn, id)? else {
        return Err(Error::NotFound(format!("no watch {id}")));
    };
    if w.watch.owner != by.name && by.role != Role::Admin {
        return Err(Error::Forbidden(format!(
            "watch {id} belongs to {}; only they or an administrator may remove it",
            w.watch.owner
        )));
    }
    conn.execute("DELETE FROM watch_members WHERE watch_id = ?", params![id])?;
    conn.execute("DELETE FROM watches WHERE id = ?", params![id])?;
    Ok(())
}

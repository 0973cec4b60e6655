//! Asking a list watch again after a write, from the change (see the crate's `//!` for
//! when a full re-run is needed instead), and recording what moved: members, the firing
//! and its deliveries, in one transaction per watch.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use duckdb::{Connection, params};
use kesou_access::Principal;
use kesou_indexer::Store;
use kesou_nlq::{Filter, Op, Query, Value};
use kesou_query::ask::{AskOptions, Asker, Table};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::message::{self, Item};
use crate::outbox::{self, Settings};
use crate::spec::{self, FireOn, Watch};
use crate::{Error, Result};

/// When more than this share of the customers changed, a watch is asked whole (one pass
/// over the store costs less than that many ids in a condition).
pub const FULL_RUN_SHARE: f64 = 0.2;
static EVALUATING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Ids per restricted run.
const CHUNK: usize = 2000;

/// What one evaluation of a watch found.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub watch: i64,
    pub name: String,
    /// Why the whole question was asked again (none: only the changed customers were).
    pub full_run: Option<String>,
    /// Customers asked again.
    pub checked: usize,
    pub entered: Vec<String>,
    pub left: Vec<String>,
    pub members: usize,
    /// The firing recorded, when something moved that the watch fires on.
    pub firing: Option<i64>,
    /// Deliveries queued for it.
    pub queued: usize,
    /// Why the watch did not run (its owner disabled, a field no longer allowed …).
    pub skipped: Option<String>,
}

/// Why a watch's question must be asked whole after a change, or `None` when each
/// customer's membership depends on its own row only.
pub fn full_run_reason(query: &Query) -> Option<String> {
    if query.similar.is_some() {
        return Some("和…相似 ranks every customer against the seeds".into());
    }
    if query.limit.is_some() {
        return Some("a top-N depends on every other customer".into());
    }
    if query.filters.iter().any(has_related) {
        return Some(
            "a condition on orders or interactions may change without a change to its customer"
                .into(),
        );
    }
    None
}

fn has_related(f: &Filter) -> bool {
    match f {
        Filter::Related(_) => true,
        Filter::Any { any: inner, .. } | Filter::All { all: inner, .. } => {
            inner.iter().any(has_related)
        }
        Filter::Not { not, .. } => has_related(not),
        Filter::Field(_) => false,
    }
}

/// The query a watch runs now: its structured query, or its question read against the
/// store's `as_of` (relative times move with it). A question must be understood whole.
pub(crate) fn query_of(asker: &Asker, watch: &Watch) -> Result<Query> {
    let query = match &watch.query {
        Some(q) => q.clone(),
        None => asker.parse(&watch.question),
    };
    if !query.unrecognized.is_empty() {
        let words: Vec<String> = query
            .unrecognized
            .iter()
            .map(|s| format!("「{}」", s.text))
            .collect();
        return Err(Error::BadInput(format!(
            "{} not understood: a watch must be understood whole, or it would alert on customers \
             the question did not mean; rephrase it",
            words.join(" ")
        )));
    }
    if query.is_empty() {
        return Err(Error::BadInput(format!(
            "nothing in 「{}」 narrows the customers: a watch needs a condition",
            watch.question
        )));
    }
    Ok(query)
}

/// What members depend on besides the data: the reading date, the query and the owner's
/// scope. When it changes, the watch is asked whole.
fn reading_key(asker: &Asker, query: &Query, principal: &Principal) -> String {
    let text = serde_json::json!({
        "as_of": asker.as_of().to_string(),
        "query": query,
        "scope": principal.scope,
    })
    .to_string();
    hex(&Sha256::digest(text.as_bytes()))[..32].to_owned()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The customers changed since a generation, and whether some may have been deleted.
pub(crate) struct Changed {
    pub ids: Vec<String>,
    total: i64,
    pub maybe_deleted: bool,
}

impl Changed {
    fn since(conn: &Connection, since: i64, now: u64) -> Result<Changed> {
        let mut stmt = conn.prepare("SELECT id FROM customers WHERE _gen > ?")?;
        let ids = stmt
            .query_map(params![since], |r| r.get::<_, String>(0))?
            .collect::<std::result::Result<_, _>>()?;
        let total: i64 = conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
        // Tombstones are kept for 16 generations (kesou_indexer::store::forget_tombstones).
        let maybe_deleted = now as i64 - since >= 16
            || conn.query_row(
                "SELECT count(*) FROM tombstones WHERE gen > ?",
                params![since],
                |r| r.get::<_, i64>(0),
            )? > 0;
        Ok(Changed {
            ids,
            total,
            maybe_deleted,
        })
    }
}

/// A run's rows by customer id, the table's columns kept for reasons.
pub(crate) struct Run {
    ids: HashSet<String>,
    table: Table,
    row_of: HashMap<String, usize>,
}

impl Run {
    pub fn empty() -> Run {
        Run {
            ids: HashSet::new(),
            table: Table::default(),
            row_of: HashMap::new(),
        }
    }
}

/// Asks the watch's query under the owner's scope; `only` restricts it to these ids.
pub(crate) fn run(
    asker: &Asker,
    query: &Query,
    principal: &Principal,
    only: Option<&[String]>,
) -> Result<Run> {
    let options = AskOptions {
        all: true,
        page_size: Some(kesou_query::MAX_ROWS),
        scope: principal.scope.clone(),
        ..AskOptions::default()
    };
    let mut out = Run {
        ids: HashSet::new(),
        table: Table::default(),
        row_of: HashMap::new(),
    };
    let chunks: Vec<Option<&[String]>> = match only {
        Some(ids) => ids.chunks(CHUNK).map(Some).collect(),
        None => vec![None],
    };
    for chunk in chunks {
        let mut q = query.clone();
        if let Some(ids) = chunk {
            q.filters.push(Filter::field(
                "id",
                Op::In,
                Value::List(ids.iter().map(|i| Value::Str(i.clone())).collect()),
                None,
            ));
        }
        let answer = asker.run(&q, &options)?;
        let table = answer.table;
        let expected = match &q.limit {
            Some(top) => (table.total as usize).min(top.n),
            None => table.total as usize,
        };
        if expected > table.rows.len() {
            return Err(Error::BadInput(format!(
                "the watch's answer holds {} customers, more than the {} a watch follows: narrow \
                 the question",
                table.total,
                table.rows.len()
            )));
        }
        let Some(id_col) = table.columns.iter().position(|c| c.name == "id") else {
            return Err(Error::BadInput(
                "the answer lists no customer ids: a list watch needs a list of customers".into(),
            ));
        };
        if out.table.columns.is_empty() {
            out.table.columns = table.columns.clone();
        }
        for row in table.rows {
            if let Some(id) = row.get(id_col).and_then(|v| v.as_str()) {
                out.ids.insert(id.to_owned());
                out.row_of.insert(id.to_owned(), out.table.rows.len());
                out.table.rows.push(row);
            }
        }
    }
    principal.apply_to_table(&mut out.table);
    Ok(out)
}

/// Who entered an answer (in `found`, not `before`) and who left it (deleted, or asked
/// again — every member when `checked` is `None` — and not found), each sorted.
pub(crate) fn moves(
    before: &HashSet<String>,
    found: &HashSet<String>,
    checked: Option<&HashSet<&String>>,
    deleted: &BTreeSet<String>,
) -> (Vec<String>, Vec<String>) {
    let mut entered: Vec<String> = found
        .iter()
        .filter(|id| !before.contains(*id))
        .cloned()
        .collect();
    let mut left: Vec<String> = before
        .iter()
        .filter(|id| {
            deleted.contains(*id) || checked.is_none_or(|c| c.contains(id)) && !found.contains(*id)
        })
        .cloned()
        .collect();
    entered.sort();
    left.sort();
    (entered, left)
}

fn members(conn: &Connection, watch: i64) -> Result<HashSet<String>> {
    let mut stmt = conn.prepare("SELECT customer_id FROM watch_members WHERE watch_id = ?")?;
    let ids = stmt
        .query_map(params![watch], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<_, _>>()?;
    Ok(ids)
}

/// Runs a watch whole and records who is in its answer, firing nothing (a new watch).
pub(crate) fn baseline(
    _store: &Store,
    asker: &Asker,
    watch: &Watch,
    principal: &Principal,
) -> Result<()> {
    let conn = asker.connection();
    let query = query_of(asker, watch)?;
    let key = reading_key(asker, &query, principal);
    in_transaction(conn, || {
        let generation = kesou_indexer::store::generation(conn)?;
        let found = run(asker, &query, principal, None)?;
        replace_members(conn, watch.id, &found.ids)?;
        mark_evaluated(conn, watch.id, generation, &key)?;
        Ok(())
    })
}

fn replace_members(conn: &Connection, watch: i64, ids: &HashSet<String>) -> Result<()> {
    conn.execute(
        "DELETE FROM watch_members WHERE watch_id = ?",
        params![watch],
    )?;
    let mut app = conn.appender("watch_members")?;
    for id in ids {
        app.append_row(params![watch, id])?;
    }
    app.flush()?;
    Ok(())
}

fn mark_evaluated(conn: &Connection, watch: i64, generation: u64, key: &str) -> Result<()> {
    conn.execute(
        "UPDATE watches SET evaluated_gen = ?, evaluated_key = ?, last_run = make_timestamp(?) \
         WHERE id = ?",
        params![generation as i64, key, crate::outbox::now_us(), watch],
    )?;
    Ok(())
}

pub(crate) fn in_transaction<T>(conn: &Connection, body: impl FnOnce() -> Result<T>) -> Result<T> {
    conn.execute_batch("BEGIN TRANSACTION")?;
    match body() {
        Ok(v) => {
            conn.execute_batch("COMMIT")?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Asks every list watch of the store again, from what changed since each was last
/// asked, and queues the deliveries of those that fire. Called after every ingest and
/// change batch (by `kesou ingest`, `kesou apply` and the server); also safe to call at
/// any time: a change already seen moves no one, so it fires nothing twice.
pub fn evaluate_all(store: &Store, settings: &Settings) -> Result<Vec<Outcome>> {
    Evaluator::default().evaluate(store, settings)
}

/// [`evaluate_all`] write after write for a process that keeps a store open (the server):
/// the question reader made for one evaluation is renewed from the next write
/// ([`Asker::renewed`], milliseconds) instead of made again from every field's values.
#[derive(Default)]
pub struct Evaluator {
    last: std::sync::Mutex<Option<Asker>>,
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Evaluator")
    }
}

impl Evaluator {
    /// [`evaluate_all`], with the reader of the last evaluation renewed.
    pub fn evaluate(&self, store: &Store, settings: &Settings) -> Result<Vec<Outcome>> {
        // One evaluation at a time: two would both see a watch at its last generation and
        // report the same customers twice under different events.
        let _one = EVALUATING.lock().unwrap_or_else(|p| p.into_inner());
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let reader = store.reader()?;
        let watches: Vec<Watch> = spec::all(&reader.conn)?
            .into_iter()
            .filter(|w| !w.is_measure() && !w.is_report())
            .collect();
        if watches.is_empty() {
            return Ok(Vec::new());
        }
        let asker = match last.take() {
            Some(a) => Asker::renewed_from(a, reader)?,
            None => Asker::on_store(store)?,
        };
        let out = evaluate_watches(store, &asker, &watches, settings)?;
        *last = Some(asker);
        Ok(out)
    }
}

fn evaluate_watches(
    store: &Store,
    asker: &Asker,
    watches: &[Watch],
    settings: &Settings,
) -> Result<Vec<Outcome>> {
    let root = store.paths().root.clone();
    let mut out = Vec::with_capacity(watches.len());
    let mut since_cache = HashMap::new();
    let mut owners: HashMap<&str, Principal> = HashMap::new();
    // One transaction for every watch: one commit (a disk sync) rather than one per watch.
    // A watch's user error (a field its owner may no longer use) is found before it writes
    // anything, so it skips that watch only; a fault rolls back every watch, which the
    // next evaluation asks again from the same change.
    in_transaction(asker.connection(), || {
        let generation = kesou_indexer::store::generation(asker.connection())?;
        // Watches whose members change only with their own customers' rows, by the
        // generation they were last asked at: asked together, in one statement.
        let mut together: BTreeMap<i64, Vec<Read>> = BTreeMap::new();
        for watch in watches {
            let principal = match owners.get(watch.owner.as_str()) {
                Some(p) => p.clone(),
                None => match spec::owner_principal(&root, &watch.owner) {
                    Ok(p) => {
                        owners.insert(&watch.owner, p.clone());
                        p
                    }
                    Err(e) if e.is_user_error() => {
                        out.push(skipped(watch, e.to_string()));
                        continue;
                    }
                    Err(e) => return Err(e),
                },
            };
            let read = match read_watch(asker, watch, principal) {
                Ok(r) => r,
                Err(e) if e.is_user_error() => {
                    tracing::warn!(watch = watch.id, error = %e, "watch not evaluated");
                    out.push(skipped(watch, e.to_string()));
                    continue;
                }
                Err(e) => return Err(e),
            };
            let row_by_row = watch.evaluated_gen.is_some_and(|g| g < generation)
                && watch.evaluated_key.as_deref() == Some(read.key.as_str())
                && full_run_reason(&read.query).is_none()
                && kesou_query::ask::not_row_by_row(&read.query).is_none();
            if row_by_row {
                let since = watch.evaluated_gen.unwrap_or(0) as i64;
                together.entry(since).or_default().push(read);
                continue;
            }
            match evaluate_one(asker, &read, settings, &root, &mut since_cache) {
                Ok(o) => out.push(o),
                Err(e) if e.is_user_error() => {
                    tracing::warn!(watch = watch.id, error = %e, "watch not evaluated");
                    out.push(skipped(watch, e.to_string()));
                }
                Err(e) => return Err(e),
            }
        }
        for (since, reads) in together {
            let seen = changed_since(asker.connection(), &mut since_cache, since, generation)?;
            if seen.ids.len() as f64 > FULL_RUN_SHARE * seen.total as f64 {
                for read in &reads {
                    out.push(evaluate_one(
                        asker,
                        read,
                        settings,
                        &root,
                        &mut since_cache,
                    )?);
                }
            } else {
                let batch = crate::batch::Batch {
                    asker,
                    reads: &reads,
                    seen: &seen,
                    since,
                    generation,
                };
                out.extend(batch.evaluate(settings, &root)?);
            }
        }
        Ok(())
    })?;
    // In the order the watches were listed.
    let order: HashMap<i64, usize> = watches.iter().enumerate().map(|(i, w)| (w.id, i)).collect();
    out.sort_by_key(|o| order.get(&o.watch).copied());
    Ok(out)
}

/// A watch read for evaluation: its query now, its owner and what its members depend on.
pub(crate) struct Read<'w> {
    pub watch: &'w Watch,
    pub query: Query,
    pub principal: Principal,
    pub key: String,
}

fn read_watch<'w>(asker: &Asker, watch: &'w Watch, principal: Principal) -> Result<Read<'w>> {
    let query = query_of(asker, watch)?;
    principal
        .check_query(&query, None)
        .map_err(|e| Error::Forbidden(e.to_string()))?;
    let key = reading_key(asker, &query, &principal);
    Ok(Read {
        watch,
        query,
        principal,
        key,
    })
}

/// What changed since a generation, read once for every watch last asked then.
fn changed_since(
    conn: &Connection,
    cache: &mut HashMap<i64, std::rc::Rc<Changed>>,
    since: i64,
    generation: u64,
) -> Result<std::rc::Rc<Changed>> {
    if let Some(c) = cache.get(&since) {
        return Ok(std::rc::Rc::clone(c));
    }
    let c = std::rc::Rc::new(Changed::since(conn, since, generation)?);
    cache.insert(since, std::rc::Rc::clone(&c));
    Ok(c)
}

fn skipped(watch: &Watch, why: String) -> Outcome {
    Outcome {
        skipped: Some(why),
        ..nothing_moved(watch, 0)
    }
}

fn evaluate_one(
    asker: &Asker,
    read: &Read,
    settings: &Settings,
    root: &std::path::Path,
    since_cache: &mut HashMap<i64, std::rc::Rc<Changed>>,
) -> Result<Outcome> {
    let conn = asker.connection();
    let (watch, query, principal, key) = (read.watch, &read.query, &read.principal, &read.key);
    (|| -> Result<Outcome> {
        let generation = kesou_indexer::store::generation(conn)?;
        let before = members(conn, watch.id)?;
        let mut full = match (watch.evaluated_gen, &watch.evaluated_key) {
            (None, _) => Some("the watch's first run".to_owned()),
            (Some(_), Some(k)) if k != key => {
                Some("the reading date, the question or the owner's scope changed".to_owned())
            }
            (Some(g), _) if g >= generation => {
                return Ok(nothing_moved(watch, before.len()));
            }
            _ => full_run_reason(query),
        };
        let since = watch.evaluated_gen.unwrap_or(0) as i64;
        let seen = changed_since(conn, since_cache, since, generation)?;
        let mut changed: Vec<String> = Vec::new();
        if full.is_none() {
            changed = seen.ids.clone();
            if changed.len() as f64 > FULL_RUN_SHARE * seen.total as f64 {
                full = Some(format!(
                    "{} of {} customers changed: one pass costs less",
                    changed.len(),
                    seen.total
                ));
            }
        }
        // Members that no longer exist left, whatever else happened (looked for when
        // customers were deleted since, or when the tombstones of then are forgotten).
        let deleted: BTreeSet<String> = if !seen.maybe_deleted {
            BTreeSet::new()
        } else {
            let mut stmt = conn.prepare(
                "SELECT m.customer_id FROM watch_members m WHERE m.watch_id = ? AND NOT EXISTS \
                 (SELECT 1 FROM customers c WHERE c.id = m.customer_id)",
            )?;
            stmt.query_map(params![watch.id], |r| r.get::<_, String>(0))?
                .collect::<std::result::Result<_, _>>()?
        };
        let (found, checked) = match &full {
            Some(_) => {
                let f = run(asker, query, principal, None)?;
                (f, usize::MAX)
            }
            None if changed.is_empty() => (Run::empty(), 0),
            None => (run(asker, query, principal, Some(&changed))?, changed.len()),
        };
        let checked_set: Option<HashSet<&String>> = full
            .is_none()
            .then(|| changed.iter().collect::<HashSet<_>>());
        let (entered, left) = moves(&before, &found.ids, checked_set.as_ref(), &deleted);
        // Members now.
        if full.is_some() {
            replace_members(conn, watch.id, &found.ids)?;
        } else {
            let mut del =
                conn.prepare("DELETE FROM watch_members WHERE watch_id = ? AND customer_id = ?")?;
            for id in &left {
                del.execute(params![watch.id, id])?;
            }
            let mut app = conn.appender("watch_members")?;
            for id in &entered {
                app.append_row(params![watch.id, id])?;
            }
            app.flush()?;
        }
        mark_evaluated(conn, watch.id, generation, key)?;
        let moved = Moved {
            full,
            since,
            generation,
            checked: if checked == usize::MAX {
                found.ids.len()
            } else {
                checked
            },
            members: before.len() + entered.len() - left.len(),
            entered,
            left,
            deleted: &deleted,
        };
        report(asker, read, moved, &found, settings, root)
    })()
}

/// Where a watch stands after it was asked again, its members already recorded.
pub(crate) struct Moved<'a> {
    /// Why the whole question was asked (none: only the changed customers).
    pub full: Option<String>,
    /// The generation it was asked at last, and now.
    pub since: i64,
    pub generation: u64,
    pub checked: usize,
    /// Members now.
    pub members: usize,
    pub entered: Vec<String>,
    pub left: Vec<String>,
    /// Members that no longer exist.
    pub deleted: &'a BTreeSet<String>,
}

/// The outcome of a watch that moved: when it fires on what moved, its firing and the
/// deliveries queued for it, the entered customers shown with their rows of `found`.
pub(crate) fn report(
    asker: &Asker,
    read: &Read,
    moved: Moved,
    found: &Run,
    settings: &Settings,
    root: &std::path::Path,
) -> Result<Outcome> {
    let conn = asker.connection();
    let (watch, query, principal) = (read.watch, &read.query, &read.principal);
    let Moved {
        full,
        since,
        generation,
        checked,
        members,
        entered,
        left,
        deleted,
    } = moved;
    let fires = match watch.fire_on {
        FireOn::Enter => !entered.is_empty(),
        FireOn::Leave => !left.is_empty(),
        FireOn::Both => !entered.is_empty() || !left.is_empty(),
    };
    let mut outcome = Outcome {
        watch: watch.id,
        name: watch.name.clone(),
        full_run: full.clone(),
        checked,
        entered: entered.clone(),
        left: left.clone(),
        members,
        firing: None,
        queued: 0,
        skipped: None,
    };
    if !fires {
        return Ok(outcome);
    }
    let show_entered = watch.fire_on != FireOn::Leave;
    let show_left = watch.fire_on != FireOn::Enter;
    let entered_items: Vec<Item> = if show_entered {
        entered
            .iter()
            .map(|id| {
                message::entered_item(
                    &found.table,
                    found.row_of.get(id).copied(),
                    id,
                    query,
                    settings,
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let entered_items = message::with_model_reasons(conn, entered_items, query, principal)?;
    let left_items: Vec<Item> = if show_left {
        message::left_items(conn, &left, deleted, principal, settings)?
    } else {
        Vec::new()
    };
    let explain = kesou_nlq::explain(query, asker.schema());
    let msg = message::Message::for_list(
        watch,
        explain,
        generation,
        entered_items,
        left_items,
        settings,
    );
    let firing = record_firing(conn, watch.id, generation, &msg, full.is_some())?;
    let event = format!("w{}:g{}-{}", watch.id, since, generation);
    outcome.queued = outbox::queue_all(conn, root, firing, &event, watch, &msg, settings)?;
    outcome.firing = Some(firing);
    Ok(outcome)
}

fn nothing_moved(watch: &Watch, members: usize) -> Outcome {
    Outcome {
        watch: watch.id,
        name: watch.name.clone(),
        full_run: None,
        checked: 0,
        entered: Vec::new(),
        left: Vec::new(),
        members,
        firing: None,
        queued: 0,
        skipped: None,
    }
}

pub(crate) fn record_firing(
    conn: &Connection,
    watch: i64,
    generation: u64,
    msg: &message::Message,
    full_run: bool,
) -> Result<i64> {
    let id: i64 = conn.query_row(
        "SELECT coalesce(max(id), 0) + 1 FROM watch_firings",
        [],
        |r| r.get(0),
    )?;
    conn.execute(
        "INSERT INTO watch_firings VALUES (?, ?, make_timestamp(?), ?, ?, ?, ?, ?)",
        params![
            id,
            watch,
            crate::outbox::now_us(),
            generation as i64,
            msg.entered.len() as i32,
            msg.left.len() as i32,
            full_run,
            serde_json::to_string(msg).expect("a message serialises"),
        ],
    )?;
    Ok(id)
}

/// What a watch would report now, against its recorded members, without recording
/// anything or sending: the whole question is asked (`kesou watch test`).
pub fn test_watch(store: &Store, id: i64) -> Result<(Outcome, message::Message)> {
    let reader = store.reader()?;
    let Some(info) = spec::get(&reader.conn, id)? else {
        return Err(Error::NotFound(format!("no watch {id}")));
    };
    let watch = info.watch;
    let principal = spec::owner_principal(&store.paths().root, &watch.owner)?;
    let asker = Asker::on_store(store)?;
    let settings = Settings::default();
    if watch.is_measure() {
        return crate::measure::test(&asker, &watch, &principal, &settings);
    }
    if watch.is_report() {
        return crate::report::preview(&asker, &watch, &principal, &settings);
    }
    let conn = asker.connection();
    let query = query_of(&asker, &watch)?;
    principal
        .check_query(&query, None)
        .map_err(|e| Error::Forbidden(e.to_string()))?;
    let before = members(conn, watch.id)?;
    let found = run(&asker, &query, &principal, None)?;
    let (entered, left) = moves(&before, &found.ids, None, &BTreeSet::new());
    let items = entered
        .iter()
        .map(|id| {
            message::entered_item(
                &found.table,
                found.row_of.get(id).copied(),
                id,
                &query,
                &settings,
            )
        })
        .collect();
    let items = message::with_model_reasons(conn, items, &query, &principal)?;
    let left_items = message::left_items(conn, &left, &BTreeSet::new(), &principal, &settings)?;
    let generation = kesou_indexer::store::generation(conn)?;
    let explain = kesou_nlq::explain(&query, asker.schema());
    let msg = message::Message::for_list(&watch, explain, generation, items, left_items, &settings);
    Ok((
        Outcome {
            watch: watch.id,
            name: watch.name.clone(),
            full_run: Some("a test asks the whole question".into()),
            checked: found.ids.len(),
            entered,
            left,
            members: found.ids.len(),
            firing: None,
            queued: 0,
            skipped: None,
        },
        msg,
    ))
}

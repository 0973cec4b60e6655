//! `kesou ingest`: files → validated rows → staging → one transaction (upsert, derived
//! columns, duplicates report, new generation) → index catch-up.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use duckdb::Connection;

use crate::crypt::Vault;
use crate::handle::Warm;
use crate::index::{SyncReport, sync_into};
use crate::memory::{PhaseMeter, PhasePeak};
use crate::plan::{FieldKind, Mapping, map_columns, open_tables, typed};
use crate::report;
use crate::source::{Cell, SourceFile, expand_paths};
use crate::stage::{self, BATCH_ROWS, CustomValue, Staging};
use crate::store::{self, StorePaths, Tx};
use crate::validate::{
    Columns, Fields, Identities, InteractionRow, Normalization, OrderRow, Outcome, Reject, Table,
    WAITING_FOR_CUSTOMER, split_unit, validate_customer, validate_interaction, validate_order,
};
use crate::{Error, Progress, Result, derive, upsert};

/// What happened to one input file.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: PathBuf,
    pub table: Option<Table>,
    /// The text encoding of a CSV file as detected (`UTF-8`, `GBK/GB18030`, `Big5`,
    /// `UTF-16LE (BOM)` …); `None` for JSONL and Parquet.
    pub encoding: Option<String>,
    pub rows_read: u64,
    /// Rows loaded, with or without values set aside.
    pub loaded: u64,
    /// Rows not loaded: customers that cannot be identified, events without their date,
    /// time or amount, unreadable lines.
    pub rejected: u64,
    /// Orders and interactions of customers not in the store: kept waiting in the store
    /// and attached when the customer arrives (`rows_read = loaded + rejected + waiting`).
    pub waiting: u64,
    /// Values that failed their check and were left empty in rows that loaded.
    pub set_aside: u64,
    pub normalised: u64,
    /// Columns present in the file that were not loaded (derived, or ignored by the mapping).
    pub ignored_columns: Vec<String>,
    /// Columns of a customers file's own, loaded as custom fields (客户来源, 合同到期日 …).
    pub custom_fields: Vec<String>,
    /// Why the file as a whole was skipped, if it was.
    pub skipped: Option<String>,
}

/// The summary `kesou ingest` prints.
#[derive(Debug, Clone)]
pub struct IngestSummary {
    pub files: Vec<FileReport>,
    pub generation: u64,
    pub as_of: NaiveDate,
    pub as_of_from_meta: bool,
    pub customers_changed: usize,
    pub duplicate_groups: usize,
    pub duplicates_flagged: usize,
    /// Orders and interactions that had waited for their customer and were attached now.
    pub attached: u64,
    /// Orders and interactions still waiting for their customer in the store, after this
    /// ingest.
    pub waiting_in_store: u64,
    pub normalisations: BTreeMap<&'static str, u64>,
    pub rejects_file: Option<PathBuf>,
    pub normalisations_file: Option<PathBuf>,
    pub duplicates_file: Option<PathBuf>,
    pub index: SyncReport,
    pub seconds: f64,
    /// How the contacts are kept: `sm4-gcm, key 9f3a61c2d4e5f607`; `None`: in plain text
    /// (a store made without a key).
    pub contacts_encrypted: Option<String>,
    /// The peak resident memory of each phase (read, commit, index), where the system
    /// tells it.
    pub memory: Vec<PhasePeak>,
}

impl IngestSummary {
    pub fn rows_read(&self) -> u64 {
        self.files.iter().map(|f| f.rows_read).sum()
    }
    pub fn loaded(&self) -> u64 {
        self.files.iter().map(|f| f.loaded).sum()
    }
    pub fn rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rejected).sum()
    }
    pub fn waiting(&self) -> u64 {
        self.files.iter().map(|f| f.waiting).sum()
    }
    pub fn set_aside(&self) -> u64 {
        self.files.iter().map(|f| f.set_aside).sum()
    }
}

pub(crate) struct Opened {
    file: SourceFile,
    table: Table,
    columns: Columns,
    /// The file's own fields (customers files): position, name, type, the header unit's factor.
    custom: Vec<(usize, String, FieldKind, f64)>,
    report: FileReport,
}

/// Input files opened and classified, before the store is touched: a file that cannot be
/// read at all stops the ingest with nothing changed.
pub(crate) struct Inputs {
    opened: Vec<Opened>,
    skipped: Vec<FileReport>,
    started: Instant,
}

/// Loads `inputs` (files or folders) into the store at `paths`, creating it if needed.
/// A file that cannot be read stops the ingest before the store is created or touched.
/// Opens the store for the call: a process that keeps a store open uses
/// [`crate::Store::ingest`].
pub fn ingest(
    paths: &StorePaths,
    inputs: &[PathBuf],
    progress: &dyn Progress,
) -> Result<IngestSummary> {
    ingest_mapped(paths, inputs, &Mapping::default(), progress)
}

/// [`ingest`] with a person's word on how columns load (`kesou ingest --map`).
pub fn ingest_mapped(
    paths: &StorePaths,
    inputs: &[PathBuf],
    mapping: &Mapping,
    progress: &dyn Progress,
) -> Result<IngestSummary> {
    let inputs = open_inputs(inputs, mapping)?;
    crate::Store::open_or_create(paths)?.ingest_inputs(inputs, progress)
}

/// Opens and classifies every input file, mapping its columns as the dry run shows them
/// (`crate::plan::map_columns`).
pub(crate) fn open_inputs(inputs: &[PathBuf], mapping: &Mapping) -> Result<Inputs> {
    let started = Instant::now();
    let files = expand_paths(inputs)?;
    let mut opened = Vec::new();
    let mut skipped = Vec::new();
    let mut tables = Vec::new();
    for path in &files {
        tables.extend(open_tables(path, mapping)?);
    }
    for (file, table, sample) in tables {
        let path = file.path.clone();
        let encoding = file
            .encoding
            .map(|e| format!(" (read as {})", e.label()))
            .unwrap_or_default();
        let Some(table) = table else {
            return Err(Error::BadInput(format!(
                "{}{encoding}: cannot tell which table this file holds; name it customers…, orders…, interactions… or meta…, \
                 or give it the contract's columns",
                path.display()
            )));
        };
        let mut report = FileReport {
            path: path.clone(),
            table: Some(table),
            encoding: file.encoding.map(|e| e.label()),
            rows_read: 0,
            loaded: 0,
            rejected: 0,
            waiting: 0,
            set_aside: 0,
            normalised: 0,
            ignored_columns: Vec::new(),
            custom_fields: Vec::new(),
            skipped: None,
        };
        if table == Table::Truth {
            report.skipped =
                Some("ground truth of the demo generator: never read by the engine".into());
            skipped.push(report);
            continue;
        }
        let mapped = map_columns(table, &file.header, &sample, mapping.for_file(&path), &path)?;
        let custom: Vec<(usize, String, FieldKind, f64)> = mapped
            .plan
            .iter()
            .enumerate()
            .filter(|(_, c)| c.target == "custom")
            .map(|(pos, c)| (pos, c.header.clone(), c.kind, split_unit(&c.header).1))
            .collect();
        report.custom_fields = custom.iter().map(|c| c.1.clone()).collect();
        let (columns, ignored, missing) = (mapped.columns, mapped.ignored, mapped.missing);
        // A customers file needs only what identifies its rows, an id or a name column: a
        // value missing from a row is set aside like a bad one (a change batch's lines
        // keep needing every required column).
        let missing = match table {
            Table::Customers if missing.contains(&"id") && missing.contains(&"name") => {
                vec!["id or name"]
            }
            Table::Customers => Vec::new(),
            _ => missing,
        };
        report.ignored_columns = ignored
            .into_iter()
            .filter(|h| !report.custom_fields.contains(h))
            .collect();
        if !missing.is_empty() {
            return Err(Error::BadInput(format!(
                "{}{encoding}: holds {} but lacks the required column(s) {}; nothing was loaded",
                path.display(),
                table.name(),
                missing.join(", ")
            )));
        }
        opened.push(Opened {
            file,
            table,
            columns,
            custom,
            report,
        });
    }
    opened.sort_by_key(|o| o.table);
    Ok(Inputs {
        opened,
        skipped,
        started,
    })
}

/// Loads opened inputs through the store's write connection: validated rows are staged
/// (events files in parallel, on cloned connections), then one transaction moves the store
/// to the next generation, then the index catches up (`warm`: what the store keeps open).
pub(crate) fn ingest_inputs(
    conn: &Connection,
    paths: &StorePaths,
    vault: &Vault,
    inputs: Inputs,
    progress: &dyn Progress,
    warm: &mut Warm,
) -> Result<IngestSummary> {
    let Inputs {
        opened,
        skipped,
        started,
    } = inputs;
    let mut meter = PhaseMeter::start();
    Staging::Attached.create(conn)?;
    let staged = stage_inputs(conn, vault, opened, progress)
        .and_then(|staged| Ok((staged, stage_waiting(conn)?)));
    let ((mut reports, rejects, normalised, meta_as_of), attached) = match staged {
        Ok(v) => v,
        Err(e) => {
            let _ = Staging::Attached.drop(conn);
            return Err(e);
        }
    };
    reports.extend(skipped);
    meter.lap("read and stage files");

    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "files read, validated and staged"
    );
    // One transaction: the store moves from one generation to the next or not at all.
    let commit_started = Instant::now();
    let phase = progress.phase("committing", None);
    let committed = Tx::run(conn, || commit(conn, meta_as_of));
    let _ = Staging::Attached.drop(conn);
    let (generation, as_of, as_of_from_meta, changed, groups, flagged, cuts, waiting_in_store) =
        committed?;
    warm.cuts = Some((generation, cuts));
    drop(phase);
    meter.lap("commit (upsert, derive)");
    tracing::info!(
        generation,
        seconds = commit_started.elapsed().as_secs_f64(),
        "store committed (upsert, derived columns)"
    );

    let stamp = format!("g{generation:06}");
    let rejects_file = report::write_rejects(paths, &stamp, &rejects, vault)?;
    let normalisations_file = report::write_normalisations(paths, &stamp, &normalised, vault)?;
    let duplicates_file = report::write_duplicates(paths, conn)?;
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    for n in &normalised {
        *counts.entry(n.rule).or_default() += 1;
    }
    let index = sync_into(paths, conn, warm, progress)?;
    meter.lap("index");
    let summary = IngestSummary {
        files: reports,
        generation,
        as_of,
        as_of_from_meta,
        customers_changed: changed,
        duplicate_groups: groups,
        duplicates_flagged: flagged,
        attached,
        waiting_in_store,
        normalisations: counts,
        rejects_file,
        normalisations_file,
        duplicates_file,
        index,
        seconds: started.elapsed().as_secs_f64(),
        contacts_encrypted: vault
            .cipher()
            .zip(vault.key_id())
            .map(|(c, id)| format!("{c}, key {id}")),
        memory: meter.finish(),
    };
    report::record_run(
        conn,
        generation,
        &summary
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        (summary.rows_read(), summary.loaded(), summary.rejected()),
        normalised.len() as u64,
        flagged as u64,
        summary.seconds,
    )?;
    Ok(summary)
}

/// What staging the files produced: their reports, the rejects, the normalisations and the
/// `as_of` of a meta file.
type Staged = (
    Vec<FileReport>,
    Vec<Reject>,
    Vec<Normalization>,
    Option<NaiveDate>,
);

fn stage_inputs(
    conn: &Connection,
    vault: &Vault,
    opened: Vec<Opened>,
    progress: &dyn Progress,
) -> Result<Staged> {
    let mut ids = load_identities(conn)?;
    let mut rejects: Vec<Reject> = Vec::new();
    let mut normalised: Vec<Normalization> = Vec::new();
    let mut meta_as_of: Option<NaiveDate> = None;
    let mut reports = Vec::new();
    let mut seq: i64 = 0;

    let (events, rest): (Vec<Opened>, Vec<Opened>) = opened
        .into_iter()
        .partition(|o| matches!(o.table, Table::Orders | Table::Interactions));
    let event_files: Vec<String> = events.iter().map(|o| display(&o.file.path)).collect();
    // Orders and interactions files are read while the customers files are, each on its
    // own connection: whether an event's customer exists is checked once they are all
    // staged (`reject_orphans`), so reading them need not wait for the customers.
    //
    // Each connection stages in one transaction. Committed batch by batch, each append
    // left a partly filled row group, and the automatic checkpoint of the in-memory
    // staging database (every 16 MB of changes) vacuumed them: rewrote and compressed them
    // into full ones, again and again: a third of the CPU time of reading the files
    // (figures in docs/performance.md).
    let (rest_done, results) = std::thread::scope(|s| {
        let handles: Vec<_> = events
            .into_iter()
            .enumerate()
            .map(|(i, mut o)| {
                let conn = conn.try_clone();
                let base = (i as i64 + 1) * EVENT_FILE_SEQ;
                s.spawn(move || {
                    let conn = conn?;
                    let mut rejects = Vec::new();
                    let mut normalised = Vec::new();
                    load_events(conn, &mut o, base, &mut rejects, &mut normalised, progress)?;
                    Ok((o.report, rejects, normalised))
                })
            })
            .collect();
        let rest_done = Tx::run(conn, || -> Result<()> {
            for mut o in rest {
                match o.table {
                    Table::Meta => meta_as_of = read_meta(&mut o, &mut rejects)?.or(meta_as_of),
                    Table::Customers => load_customers(
                        (conn, vault),
                        &mut o,
                        &mut ids,
                        &mut seq,
                        &mut rejects,
                        &mut normalised,
                        progress,
                    )?,
                    _ => unreachable!("events are loaded beside"),
                }
                reports.push(o.report);
            }
            Ok(())
        });
        let results: Vec<Result<Loaded>> = handles
            .into_iter()
            .map(|h| h.join().expect("ingest worker panicked"))
            .collect();
        (rest_done, results)
    });
    rest_done?;
    let mut event_reports = Vec::new();
    for r in results {
        let (report, rej, norm) = r?;
        event_reports.push(report);
        rejects.extend(rej);
        normalised.extend(norm);
    }
    hold_orphans(
        conn,
        &event_files,
        &mut event_reports,
        &mut rejects,
        &mut normalised,
    )?;
    reports.extend(event_reports);
    Ok((reports, rejects, normalised, meta_as_of))
}

/// The staged events of the `i`th events file of an ingest carry `_seq` = (i + 1) ×
/// this + their line: later lines win within a file, later files over earlier ones.
const EVENT_FILE_SEQ: i64 = 1_000_000_000_000;

/// Holds back the staged orders and interactions whose customer is neither in the store
/// nor among the customers this ingest staged: they move to `_wait_orders` /
/// `_wait_interactions` (with their file and line), which the commit keeps in the store's
/// waiting tables; each is reported as waiting, its file's counts moved from loaded to
/// waiting, the normalisations of its row dropped.
fn hold_orphans(
    conn: &Connection,
    files: &[String],
    reports: &mut [FileReport],
    rejects: &mut Vec<Reject>,
    normalised: &mut Vec<Normalization>,
) -> Result<()> {
    let customers = Staging::Attached.table("_stage_customers");
    let mut orphans: HashSet<(usize, u64)> = HashSet::new();
    for (table, wait) in [
        ("_stage_orders", "_wait_orders"),
        ("_stage_interactions", "_wait_interactions"),
    ] {
        let table = Staging::Attached.table(table);
        let wait = Staging::Attached.table(wait);
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TABLE {wait} AS
             SELECT *, CAST(NULL AS VARCHAR) AS file, _seq % {EVENT_FILE_SEQ} AS line FROM {table} s
             WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = s.customer_id)
               AND NOT EXISTS (SELECT 1 FROM {customers} k WHERE k.id = s.customer_id)"
        ))?;
        for (i, file) in files.iter().enumerate() {
            conn.execute(
                &format!("UPDATE {wait} SET file = ? WHERE _seq // {EVENT_FILE_SEQ} = ?"),
                duckdb::params![file, i as i64 + 1],
            )?;
        }
        // One pass: the rows go and say which they were.
        let mut stmt = conn.prepare(&format!(
            "DELETE FROM {table} WHERE _seq IN (SELECT _seq FROM {wait}) RETURNING _seq, customer_id"
        ))?;
        let mut found: Vec<(i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        found.sort_unstable();
        for (seq, id) in found {
            let file = (seq / EVENT_FILE_SEQ - 1) as usize;
            let line = (seq % EVENT_FILE_SEQ) as u64;
            reports[file].loaded -= 1;
            reports[file].waiting += 1;
            orphans.insert((file, line));
            rejects.push(Reject {
                file: files[file].clone(),
                line,
                column: "customer_id".into(),
                value: id,
                reason: WAITING_FOR_CUSTOMER.into(),
                outcome: Outcome::Waiting,
            });
        }
    }
    if orphans.is_empty() {
        return Ok(());
    }
    let index: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.as_str(), i))
        .collect();
    normalised.retain(|n| {
        let Some(&file) = index.get(n.file.as_str()) else {
            return true;
        };
        let orphan = orphans.contains(&(file, n.line));
        if orphan {
            reports[file].normalised -= 1;
        }
        !orphan
    });
    // The rejects file lists each file's rejects in line order.
    let mut order: HashMap<String, usize> = HashMap::new();
    for r in rejects.iter() {
        let next = order.len();
        order.entry(r.file.clone()).or_insert(next);
    }
    rejects.sort_by_key(|r| (order[&r.file], r.line));
    Ok(())
}

/// Generation, as_of (and whether from meta), customers changed, duplicate groups and
/// customers flagged, the cuts, and the events still waiting.
type Committed = (u64, NaiveDate, bool, usize, usize, usize, derive::Cuts, u64);

/// What loading one events file produced.
type Loaded = (FileReport, Vec<Reject>, Vec<Normalization>);

fn commit(conn: &Connection, meta_as_of: Option<NaiveDate>) -> Result<Committed> {
    let generation = store::generation(conn)? + 1;
    if let Some(d) = meta_as_of {
        store::set_meta(conn, "as_of", &d.to_string())?;
    }
    let (as_of, from_meta) = store::as_of(conn)?;
    let started = Instant::now();
    let lap =
        |what: &str| tracing::debug!(seconds = started.elapsed().as_secs_f64(), "commit: {what}");
    let waiting = keep_waiting(conn, generation)?;
    upsert::begin(conn)?;
    upsert::upsert_staged(conn, Staging::Attached, generation)?;
    upsert::upsert_custom(conn, Staging::Attached, generation)?;
    lap("upserted");
    // A file ingest derives every customer: as_of, or the derivation itself, may have moved.
    let (changed, cuts) = derive::derive(conn, as_of, generation, derive::Scope::All)?;
    lap("derived");
    let (groups, flagged) = upsert::flag_duplicate_names(conn, generation, upsert::Groups::All)?;
    lap("duplicate names flagged");
    store::forget_tombstones(conn, generation)?;
    store::set_meta(conn, "generation", &generation.to_string())?;
    Ok((
        generation, as_of, from_meta, changed, groups, flagged, cuts, waiting,
    ))
}

/// The store's waiting orders and interactions and their staging tables: (store table,
/// staged events, this ingest's held-back orphans, columns).
const WAITING: [(&str, &str, &str, &str); 2] = [
    (
        "waiting_orders",
        "_stage_orders",
        "_wait_orders",
        "id, customer_id, order_date, amount, product",
    ),
    (
        "waiting_interactions",
        "_stage_interactions",
        "_wait_interactions",
        "id, customer_id, ts, channel, kind, note",
    ),
];

/// Whether the customer of a row of `table` is in the store or staged.
fn arrived(table: &str) -> String {
    let customers = Staging::Attached.table("_stage_customers");
    format!(
        "(EXISTS (SELECT 1 FROM customers c WHERE c.id = {table}.customer_id)
          OR EXISTS (SELECT 1 FROM {customers} k WHERE k.id = {table}.customer_id))"
    )
}

/// Before the commit: the waiting orders and interactions whose customer is now in the
/// store or staged join the staged events (before every file's rows: a file's row of the
/// same id wins). Returns how many.
fn stage_waiting(conn: &Connection) -> Result<u64> {
    let mut attached = 0;
    for (kept, staged, _, cols) in WAITING {
        let staged = Staging::Attached.table(staged);
        let arrived = arrived(kept);
        attached += conn.execute(
            &format!(
                "INSERT INTO {staged} ({cols}, _seq) SELECT {cols}, 0 FROM {kept}
                 WHERE {arrived} AND NOT EXISTS (SELECT 1 FROM {staged} s WHERE s.id = {kept}.id)"
            ),
            [],
        )? as u64;
    }
    Ok(attached)
}

/// In the commit (one transaction writes one database: the store): the waiting rows that
/// [`stage_waiting`] staged leave the waiting tables, and this ingest's orphans
/// (`hold_orphans`) take their place there. Returns how many wait on.
fn keep_waiting(conn: &Connection, generation: u64) -> Result<u64> {
    let mut waiting = 0;
    for (kept, _, held, cols) in WAITING {
        let held = Staging::Attached.table(held);
        conn.execute(&format!("DELETE FROM {kept} WHERE {}", arrived(kept)), [])?;
        conn.execute(
            &format!("DELETE FROM {kept} WHERE id IN (SELECT id FROM {held})"),
            [],
        )?;
        conn.execute(
            &format!("INSERT INTO {kept} SELECT {cols}, file, line, ? FROM {held}"),
            [generation as i64],
        )?;
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {kept}"), [], |r| r.get(0))?;
        waiting += n as u64;
    }
    Ok(waiting)
}

/// The identities of the customers whose id or credit code is among `keys`: all that
/// validating rows claiming those keys reads. The keys go in as a list of constants, which
/// DuckDB checks against each row group's range of ids before reading it.
pub(crate) fn load_identities_of(conn: &Connection, keys: &[String]) -> Result<Identities> {
    let mut ids = Identities::default();
    for chunk in keys.chunks(1000) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut stmt = conn.prepare(&format!(
            "SELECT id, credit_code FROM customers WHERE id IN ({marks}) OR credit_code IN ({marks})"
        ))?;
        let rows = stmt.query_map(duckdb::params_from_iter(chunk.iter().chain(chunk)), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (id, code) = row?;
            if !code.is_empty() {
                ids.id_of.insert(code.clone(), id.clone());
            }
            ids.code_of.insert(id, code);
        }
    }
    Ok(ids)
}

fn load_identities(conn: &Connection) -> Result<Identities> {
    identities(conn, "SELECT id, credit_code FROM customers")
}

fn identities(conn: &Connection, sql: &str) -> Result<Identities> {
    let mut ids = Identities::default();
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (id, code) = row?;
        if !code.is_empty() {
            ids.id_of.insert(code.clone(), id.clone());
        }
        ids.code_of.insert(id, code);
    }
    Ok(ids)
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Runs `validate` over every record of a file and does the bookkeeping the same way for
/// every table: unreadable rows and rejected rows become rejects, normalisations of a row
/// are kept only when the row loads, and `rows_read = loaded + rejected`.
fn each_record(
    o: &mut Opened,
    rejects: &mut Vec<Reject>,
    normalised: &mut Vec<Normalization>,
    mut validate: impl FnMut(&mut Fields<'_>) -> Result<std::result::Result<(), Reject>>,
) -> Result<()> {
    let file = display(&o.file.path);
    let names = o.table.columns();
    let mut scratch = Vec::new();
    let started = Instant::now();
    for rec in o.file.by_ref() {
        o.report.rows_read += 1;
        let mut set_aside = Vec::new();
        let outcome = match rec {
            Err(u) => Err(Reject {
                file: file.clone(),
                line: u.line,
                column: String::new(),
                value: String::new(),
                reason: u.reason,
                outcome: Outcome::Rejected,
            }),
            Ok(record) => {
                let mut f = Fields {
                    file: &file,
                    record: &record,
                    columns: &o.columns,
                    names,
                    normalized: &mut scratch,
                    set_aside: Vec::new(),
                };
                let outcome = validate(&mut f)?;
                set_aside = f.set_aside;
                outcome
            }
        };
        match outcome {
            Ok(()) => {
                o.report.loaded += 1;
                o.report.normalised += scratch.len() as u64;
                normalised.append(&mut scratch);
                o.report.set_aside += set_aside.len() as u64;
                rejects.append(&mut set_aside);
            }
            Err(r) => {
                scratch.clear();
                rejects.push(r);
                o.report.rejected += 1;
            }
        }
    }
    tracing::debug!(
        file,
        rows = o.report.rows_read,
        seconds = started.elapsed().as_secs_f64(),
        "file read and staged"
    );
    Ok(())
}

fn read_meta(o: &mut Opened, rejects: &mut Vec<Reject>) -> Result<Option<NaiveDate>> {
    let mut as_of = None;
    let mut ignored = Vec::new();
    each_record(o, rejects, &mut ignored, |f| {
        let key = match f.required(0) {
            Ok(k) => k,
            Err(r) => return Ok(Err(r)),
        };
        let value = match f.text(1) {
            Ok(v) => v.unwrap_or_default(),
            Err(r) => return Ok(Err(r)),
        };
        match key.as_str() {
            "as_of" => match NaiveDate::parse_from_str(&value, "%Y-%m-%d") {
                Ok(d) => as_of = Some(d),
                Err(_) => {
                    return Ok(Err(f.reject(
                        "value",
                        &value,
                        "as_of must be a YYYY-MM-DD date",
                    )));
                }
            },
            "generation" => {
                return Ok(Err(f.reject(
                    "key",
                    &key,
                    "generation is kesou's own and cannot be loaded",
                )));
            }
            _ => {}
        }
        Ok(Ok(()))
    })?;
    Ok(as_of)
}

/// Customers files are staged through the store's connection, their contacts sealed by its
/// vault.
fn load_customers(
    (conn, vault): (&Connection, &Vault),
    o: &mut Opened,
    ids: &mut Identities,
    seq: &mut i64,
    rejects: &mut Vec<Reject>,
    normalised: &mut Vec<Normalization>,
    progress: &dyn Progress,
) -> Result<()> {
    let phase = progress.phase(&format!("reading {}", display(&o.file.path)), None);
    let mut chunk = Vec::with_capacity(BATCH_ROWS);
    let mut own: Vec<CustomValue> = Vec::new();
    let flush = |chunk: &mut Vec<_>, own: &mut Vec<CustomValue>| -> Result<()> {
        if !chunk.is_empty() {
            Staging::Attached.append(
                conn,
                "_stage_customers",
                stage::customers_batch(chunk, vault)?,
            )?;
            phase.advance(chunk.len() as u64);
            chunk.clear();
        }
        if !own.is_empty() {
            Staging::Attached.append_custom(conn, own)?;
            own.clear();
        }
        Ok(())
    };
    let custom = std::mem::take(&mut o.custom);
    each_record(o, rejects, normalised, |f| {
        let row = match validate_customer(f, ids) {
            Ok(row) => row,
            Err(r) => return Ok(Err(r)),
        };
        *seq += 1;
        for (pos, name, kind, scale) in &custom {
            let text = match f.record.cells.get(*pos).cloned().flatten() {
                Some(Cell::Text(t)) => t.trim().to_owned(),
                Some(Cell::List(items)) => items.join("|"),
                None => String::new(),
            };
            if text.is_empty() {
                // An empty cell clears what the customer had.
                own.push(CustomValue::cleared(&row.id, name, *kind, *seq));
                continue;
            }
            match typed(*kind, &text, *scale) {
                Ok((number, day)) => {
                    own.push(CustomValue {
                        id: row.id.clone(),
                        field: name.clone(),
                        kind: kind.label(),
                        text: Some(text),
                        number,
                        day,
                        seq: *seq,
                    });
                }
                Err(reason) => {
                    let r = f.reject(name, &text, reason);
                    f.aside::<String>(Err(r));
                }
            }
        }
        chunk.push((*seq, row));
        if chunk.len() == BATCH_ROWS {
            flush(&mut chunk, &mut own)?;
        }
        Ok(Ok(()))
    })?;
    flush(&mut chunk, &mut own)
}

/// Validated rows of an events file, on their way to the staging table, with their `_seq`.
enum EventRows {
    Orders(Vec<(i64, OrderRow)>),
    Interactions(Vec<(i64, InteractionRow)>),
}

impl EventRows {
    fn new(table: Table) -> Self {
        match table {
            Table::Orders => EventRows::Orders(Vec::with_capacity(BATCH_ROWS)),
            _ => EventRows::Interactions(Vec::with_capacity(BATCH_ROWS)),
        }
    }

    fn len(&self) -> usize {
        match self {
            EventRows::Orders(rows) => rows.len(),
            EventRows::Interactions(rows) => rows.len(),
        }
    }

    /// Validates a record and keeps its row. Whether the customer exists is checked once
    /// every file is staged (`reject_orphans`).
    fn validate(&mut self, f: &mut Fields<'_>, seq: i64) -> std::result::Result<(), Reject> {
        match self {
            EventRows::Orders(rows) => validate_order(f, None).map(|r| rows.push((seq, r))),
            EventRows::Interactions(rows) => {
                validate_interaction(f, None).map(|r| rows.push((seq, r)))
            }
        }
    }

    fn append(&self, conn: &Connection) -> Result<()> {
        match self {
            EventRows::Orders(rows) => {
                Staging::Attached.append(conn, "_stage_orders", stage::orders_batch(rows)?)
            }
            EventRows::Interactions(rows) => Staging::Attached.append(
                conn,
                "_stage_interactions",
                stage::interactions_batch(rows)?,
            ),
        }
    }
}

/// Reads an events file into staging, on two threads: this one reads and validates, the
/// other builds the Arrow batches and appends them (in one transaction on `conn`). On one
/// thread, the largest file (interactions) was still being read ten seconds after the
/// others were done, with the second core idle.
fn load_events(
    conn: Connection,
    o: &mut Opened,
    base: i64,
    rejects: &mut Vec<Reject>,
    normalised: &mut Vec<Normalization>,
    progress: &dyn Progress,
) -> Result<()> {
    let phase = progress.phase(&format!("reading {}", display(&o.file.path)), None);
    let table = o.table;
    std::thread::scope(|s| {
        let (send, receive) = std::sync::mpsc::sync_channel::<EventRows>(2);
        let appender = s.spawn(move || {
            Tx::run(&conn, || -> Result<()> {
                for rows in receive {
                    rows.append(&conn)?;
                }
                Ok(())
            })
        });
        let mut rows = EventRows::new(table);
        let flush = |rows: &mut EventRows| -> Result<()> {
            let n = rows.len();
            if n > 0 {
                // Fails only when the appender stopped: its error is the one returned.
                send.send(std::mem::replace(rows, EventRows::new(table)))
                    .map_err(|_| Error::BadInput("staging stopped".into()))?;
                phase.advance(n as u64);
            }
            Ok(())
        };
        let read = each_record(o, rejects, normalised, |f| {
            let outcome = rows.validate(f, base + f.record.line as i64);
            if rows.len() >= BATCH_ROWS {
                flush(&mut rows)?;
            }
            Ok(outcome)
        })
        .and_then(|()| flush(&mut rows));
        drop(send);
        let appended = appender.join().expect("staging appender panicked");
        appended.and(read)
    })
}

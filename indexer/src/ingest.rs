//! `kesou ingest`: files → validated rows → staging → one transaction (upsert, derived
//! columns, duplicates report, new generation) → index catch-up.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use duckdb::{Connection, params};

use crate::index::{SyncReport, sync};
use crate::report;
use crate::source::{SourceFile, expand_paths};
use crate::stage::{self, BATCH_ROWS, DROP_STAGING, STAGING_DDL};
use crate::store::{self, StorePaths};
use crate::validate::{
    Columns, Fields, Identities, Normalization, Reject, Table, validate_customer, validate_interaction, validate_order,
};
use crate::{Error, Progress, Result, derive};

/// What happened to one input file.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: PathBuf,
    pub table: Option<Table>,
    pub rows_read: u64,
    pub loaded: u64,
    pub rejected: u64,
    pub normalised: u64,
    /// Columns present in the file that were not loaded (derived or unknown).
    pub ignored_columns: Vec<String>,
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
    pub normalisations: BTreeMap<&'static str, u64>,
    pub rejects_file: Option<PathBuf>,
    pub normalisations_file: Option<PathBuf>,
    pub duplicates_file: Option<PathBuf>,
    pub index: SyncReport,
    pub seconds: f64,
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
}

struct Opened {
    file: SourceFile,
    table: Table,
    columns: Columns,
    report: FileReport,
}

/// Loads `inputs` (files or folders) into the store at `paths`, creating it if needed.
pub fn ingest(paths: &StorePaths, inputs: &[PathBuf], progress: &dyn Progress) -> Result<IngestSummary> {
    let started = Instant::now();
    let files = expand_paths(inputs)?;
    // Open and classify every file before touching the store: a file we cannot read at all
    // stops the ingest with nothing changed.
    let mut opened = Vec::new();
    let mut skipped = Vec::new();
    for path in files {
        let file = SourceFile::open(&path)?;
        let Some(table) = Table::detect(&path, &file.header) else {
            return Err(Error::BadInput(format!(
                "{}: cannot tell which table this file holds; name it customers…, orders…, interactions… or meta…, \
                 or give it the contract's columns",
                path.display()
            )));
        };
        let mut report = FileReport {
            path: path.clone(),
            table: Some(table),
            rows_read: 0,
            loaded: 0,
            rejected: 0,
            normalised: 0,
            ignored_columns: Vec::new(),
            skipped: None,
        };
        if table == Table::Truth {
            report.skipped = Some("ground truth of the demo generator: never read by the engine".into());
            skipped.push(report);
            continue;
        }
        let (columns, ignored, missing) = table.map_header(&file.header);
        report.ignored_columns = ignored;
        if !missing.is_empty() {
            return Err(Error::BadInput(format!(
                "{}: holds {} but lacks the required column(s) {}; nothing was loaded",
                path.display(),
                table.name(),
                missing.join(", ")
            )));
        }
        opened.push(Opened { file, table, columns, report });
    }
    opened.sort_by_key(|o| o.table);

    let conn = store::open_db(paths, true, false)?;
    conn.execute_batch(STAGING_DDL)?;
    let mut ids = load_identities(&conn)?;
    let mut rejects: Vec<Reject> = Vec::new();
    let mut normalised: Vec<Normalization> = Vec::new();
    let mut meta_as_of: Option<NaiveDate> = None;
    let mut reports = Vec::new();
    let mut seq: i64 = 0;

    let (events, rest): (Vec<Opened>, Vec<Opened>) =
        opened.into_iter().partition(|o| matches!(o.table, Table::Orders | Table::Interactions));
    for mut o in rest {
        match o.table {
            Table::Meta => meta_as_of = read_meta(&mut o, &mut rejects)?.or(meta_as_of),
            Table::Customers => load_customers(&conn, &mut o, &mut ids, &mut seq, &mut rejects, &mut normalised, progress)?,
            _ => unreachable!("events are loaded below"),
        }
        reports.push(o.report);
    }
    // Orders and interactions only read the identities, so their files load in parallel,
    // each on its own connection.
    let known = &ids.code_of;
    let results: Vec<Result<Loaded>> = std::thread::scope(|s| {
        let handles: Vec<_> = events
            .into_iter()
            .enumerate()
            .map(|(i, mut o)| {
                let conn = conn.try_clone();
                let base = seq + (i as i64) * 1_000_000_000_000;
                s.spawn(move || {
                    let conn = conn?;
                    let mut rejects = Vec::new();
                    let mut normalised = Vec::new();
                    load_events(&conn, &mut o, known, base, &mut rejects, &mut normalised, progress)?;
                    Ok((o.report, rejects, normalised))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("ingest worker panicked")).collect()
    });
    for r in results {
        let (report, rej, norm) = r?;
        reports.push(report);
        rejects.extend(rej);
        normalised.extend(norm);
    }
    reports.extend(skipped);

    // One transaction: the store moves from one generation to the next or not at all.
    let phase = progress.phase("committing", None);
    conn.execute_batch("BEGIN TRANSACTION")?;
    let committed = commit(&conn, meta_as_of);
    let (generation, as_of, as_of_from_meta, changed, groups, flagged) = match committed {
        Ok(v) => {
            conn.execute_batch("COMMIT")?;
            v
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            let _ = conn.execute_batch(DROP_STAGING);
            return Err(e);
        }
    };
    conn.execute_batch(DROP_STAGING)?;
    drop(phase);

    let stamp = format!("g{generation:06}");
    let rejects_file = report::write_rejects(paths, &stamp, &rejects)?;
    let normalisations_file = report::write_normalisations(paths, &stamp, &normalised)?;
    let duplicates_file = report::write_duplicates(paths, &conn)?;
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    for n in &normalised {
        *counts.entry(n.rule).or_default() += 1;
    }
    let index = sync(paths, &conn, progress)?;
    let summary = IngestSummary {
        files: reports,
        generation,
        as_of,
        as_of_from_meta,
        customers_changed: changed,
        duplicate_groups: groups,
        duplicates_flagged: flagged,
        normalisations: counts,
        rejects_file,
        normalisations_file,
        duplicates_file,
        index,
        seconds: started.elapsed().as_secs_f64(),
    };
    conn.execute(
        "INSERT INTO ingest_runs VALUES (?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?)",
        params![
            generation as i64,
            summary.files.iter().map(|f| f.path.display().to_string()).collect::<Vec<_>>().join(", "),
            summary.rows_read() as i64,
            summary.loaded() as i64,
            summary.rejected() as i64,
            normalised.len() as i64,
            flagged as i64,
            summary.seconds
        ],
    )?;
    Ok(summary)
}

type Committed = (u64, NaiveDate, bool, usize, usize, usize);

/// What loading one events file produced.
type Loaded = (FileReport, Vec<Reject>, Vec<Normalization>);

fn commit(conn: &Connection, meta_as_of: Option<NaiveDate>) -> Result<Committed> {
    let generation = store::generation(conn)? + 1;
    if let Some(d) = meta_as_of {
        store::set_meta(conn, "as_of", &d.to_string())?;
    }
    let (as_of, from_meta) = store::as_of(conn)?;
    derive::upsert_staged(conn, generation)?;
    let changed = derive::derive(conn, as_of, generation)?;
    let (groups, flagged) = derive::flag_duplicate_names(conn, generation)?;
    conn.execute("DELETE FROM tombstones WHERE gen < ?", params![generation as i64 - 16])?;
    store::set_meta(conn, "generation", &generation.to_string())?;
    Ok((generation, as_of, from_meta, changed, groups, flagged))
}

fn load_identities(conn: &Connection) -> Result<Identities> {
    let mut ids = Identities::default();
    let mut stmt = conn.prepare("SELECT id, credit_code FROM customers")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (id, code) = row?;
        ids.id_of.insert(code.clone(), id.clone());
        ids.code_of.insert(id, code);
    }
    Ok(ids)
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn read_meta(o: &mut Opened, rejects: &mut Vec<Reject>) -> Result<Option<NaiveDate>> {
    let file = display(&o.file.path);
    let mut as_of = None;
    let names = o.table.columns();
    let mut sink = Vec::new();
    for rec in o.file.by_ref() {
        o.report.rows_read += 1;
        let rec = match rec {
            Ok(r) => r,
            Err(u) => {
                rejects.push(unreadable(&file, u));
                o.report.rejected += 1;
                continue;
            }
        };
        let mut f = Fields { file: &file, record: &rec, columns: &o.columns, names, normalized: &mut sink };
        let key = f.required(0);
        let value = f.text(1);
        match (key, value) {
            (Ok(k), Ok(v)) if k == "as_of" => match v.as_deref().map(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d")) {
                Some(Ok(d)) => {
                    as_of = Some(d);
                    o.report.loaded += 1;
                }
                _ => {
                    rejects.push(f.reject("value", v.as_deref().unwrap_or(""), "as_of must be a YYYY-MM-DD date"));
                    o.report.rejected += 1;
                }
            },
            (Ok(_), Ok(_)) => o.report.loaded += 1,
            (Err(r), _) | (_, Err(r)) => {
                rejects.push(r);
                o.report.rejected += 1;
            }
        }
    }
    Ok(as_of)
}

fn unreadable(file: &str, u: crate::source::Unreadable) -> Reject {
    Reject { file: file.to_owned(), line: u.line, column: String::new(), value: String::new(), reason: u.reason }
}

fn load_customers(
    conn: &Connection,
    o: &mut Opened,
    ids: &mut Identities,
    seq: &mut i64,
    rejects: &mut Vec<Reject>,
    normalised: &mut Vec<Normalization>,
    progress: &dyn Progress,
) -> Result<()> {
    let file = display(&o.file.path);
    let phase = progress.phase(&format!("reading {file}"), None);
    let names = o.table.columns();
    let mut chunk = Vec::with_capacity(BATCH_ROWS);
    let before = normalised.len();
    for rec in o.file.by_ref() {
        o.report.rows_read += 1;
        let rec = match rec {
            Ok(r) => r,
            Err(u) => {
                rejects.push(unreadable(&file, u));
                o.report.rejected += 1;
                continue;
            }
        };
        let mut local = Vec::new();
        let mut f = Fields { file: &file, record: &rec, columns: &o.columns, names, normalized: &mut local };
        match validate_customer(&mut f, ids) {
            Ok(row) => {
                *seq += 1;
                chunk.push((*seq, row));
                normalised.extend(local);
                o.report.loaded += 1;
            }
            Err(r) => {
                rejects.push(r);
                o.report.rejected += 1;
            }
        }
        if chunk.len() == BATCH_ROWS {
            stage::append(conn, "_stage_customers", stage::customers_batch(&chunk)?)?;
            phase.advance(chunk.len() as u64);
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        stage::append(conn, "_stage_customers", stage::customers_batch(&chunk)?)?;
        phase.advance(chunk.len() as u64);
    }
    o.report.normalised = (normalised.len() - before) as u64;
    drop(phase);
    Ok(())
}

fn load_events(
    conn: &Connection,
    o: &mut Opened,
    known: &HashMap<String, String>,
    mut seq: i64,
    rejects: &mut Vec<Reject>,
    normalised: &mut Vec<Normalization>,
    progress: &dyn Progress,
) -> Result<()> {
    let file = display(&o.file.path);
    let phase = progress.phase(&format!("reading {file}"), None);
    let names = o.table.columns();
    let orders = o.table == Table::Orders;
    let mut order_rows = Vec::new();
    let mut interaction_rows = Vec::new();
    for rec in o.file.by_ref() {
        o.report.rows_read += 1;
        let rec = match rec {
            Ok(r) => r,
            Err(u) => {
                rejects.push(unreadable(&file, u));
                o.report.rejected += 1;
                continue;
            }
        };
        let before = normalised.len();
        let mut f = Fields { file: &file, record: &rec, columns: &o.columns, names, normalized: normalised };
        seq += 1;
        let ok = if orders {
            validate_order(&mut f, known).map(|r| order_rows.push((seq, r)))
        } else {
            validate_interaction(&mut f, known).map(|r| interaction_rows.push((seq, r)))
        };
        match ok {
            Ok(()) => {
                o.report.loaded += 1;
                o.report.normalised += (normalised.len() - before) as u64;
            }
            Err(r) => {
                normalised.truncate(before);
                rejects.push(r);
                o.report.rejected += 1;
            }
        }
        if order_rows.len() == BATCH_ROWS {
            stage::append(conn, "_stage_orders", stage::orders_batch(&order_rows)?)?;
            phase.advance(BATCH_ROWS as u64);
            order_rows.clear();
        }
        if interaction_rows.len() == BATCH_ROWS {
            stage::append(conn, "_stage_interactions", stage::interactions_batch(&interaction_rows)?)?;
            phase.advance(BATCH_ROWS as u64);
            interaction_rows.clear();
        }
    }
    if !order_rows.is_empty() {
        stage::append(conn, "_stage_orders", stage::orders_batch(&order_rows)?)?;
    }
    if !interaction_rows.is_empty() {
        stage::append(conn, "_stage_interactions", stage::interactions_batch(&interaction_rows)?)?;
    }
    drop(phase);
    Ok(())
}

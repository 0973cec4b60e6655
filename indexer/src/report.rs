//! The files an ingest leaves in the store for people: rejected rows with reasons, the
//! normalisations applied, and the duplicate-name report.

use std::fs;
use std::path::PathBuf;

use duckdb::Connection;

use crate::crypt::{self, Vault};
use crate::store::StorePaths;
use crate::validate::{Normalization, Reject};
use crate::{Error, Result};

/// A report being written: to `NAME.tmp` beside it, renamed over the report by
/// [`finish`], so that a process killed meanwhile leaves the previous report whole.
fn writer(path: &std::path::Path) -> Result<csv::Writer<fs::File>> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let tmp = tmp_of(path);
    // A UTF-8 byte-order mark so that spreadsheet programs open the Chinese text correctly.
    let mut file = fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    std::io::Write::write_all(&mut file, "\u{feff}".as_bytes()).map_err(|e| Error::io(&tmp, e))?;
    Ok(csv::Writer::from_writer(file))
}

fn tmp_of(path: &std::path::Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    path.with_file_name(name)
}

fn finish(mut w: csv::Writer<fs::File>, path: &std::path::Path) -> Result<()> {
    w.flush().map_err(|e| Error::io(path, e))?;
    drop(w);
    fs::rename(tmp_of(path), path).map_err(|e| Error::io(path, e))
}

fn csv_err(path: &std::path::Path, e: csv::Error) -> Error {
    Error::BadInput(format!("{}: {e}", path.display()))
}

/// `rejects/<stamp>-rejects.csv` with file, line, column, value, reason and outcome (row
/// rejected, value set aside, row waiting for its customer); `None` when there was none. In a store that encrypts its contacts, a contact value is written masked
/// (138****8000): the reports are files beside the data.
pub fn write_rejects(
    paths: &StorePaths,
    stamp: &str,
    rejects: &[Reject],
    vault: &Vault,
) -> Result<Option<PathBuf>> {
    if rejects.is_empty() {
        return Ok(None);
    }
    let path = paths.rejects().join(format!("{stamp}-rejects.csv"));
    let mut w = writer(&path)?;
    w.write_record(["file", "line", "column", "value", "reason", "outcome"])
        .map_err(|e| csv_err(&path, e))?;
    for r in rejects {
        let value = shown(vault, &r.column, &r.value);
        w.write_record([
            r.file.as_str(),
            &r.line.to_string(),
            &r.column,
            &value,
            &r.reason,
            r.outcome.label(),
        ])
        .map_err(|e| csv_err(&path, e))?;
    }
    finish(w, &path)?;
    Ok(Some(path))
}

/// `rejects/<stamp>-normalised.csv` with file, line, column, before, after, rule (contacts
/// masked as in [`write_rejects`]).
pub fn write_normalisations(
    paths: &StorePaths,
    stamp: &str,
    rows: &[Normalization],
    vault: &Vault,
) -> Result<Option<PathBuf>> {
    if rows.is_empty() {
        return Ok(None);
    }
    let path = paths.rejects().join(format!("{stamp}-normalised.csv"));
    let mut w = writer(&path)?;
    w.write_record(["file", "line", "column", "before", "after", "rule"])
        .map_err(|e| csv_err(&path, e))?;
    for n in rows {
        w.write_record([
            n.file.as_str(),
            &n.line.to_string(),
            &n.column,
            &shown(vault, &n.column, &n.before),
            &shown(vault, &n.column, &n.after),
            n.rule,
        ])
        .map_err(|e| csv_err(&path, e))?;
    }
    finish(w, &path)?;
    Ok(Some(path))
}

/// A group of customers sharing a normalised name but not a credit code.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DuplicateGroup {
    pub name: String,
    pub members: Vec<(String, String)>,
}

/// The duplicate-name groups of the store, largest first (at most `limit`).
pub fn duplicate_groups(conn: &Connection, limit: usize) -> Result<Vec<DuplicateGroup>> {
    let mut stmt = conn.prepare(
        "SELECT name_key, list(id ORDER BY id), list(credit_code ORDER BY id), min(name) FROM duplicate_names
         GROUP BY name_key ORDER BY count(*) DESC, name_key LIMIT ?",
    )?;
    let rows = stmt.query_map([limit as i64], |r| {
        let ids: Vec<String> = list(r.get::<_, duckdb::types::Value>(1)?);
        let codes: Vec<String> = list(r.get::<_, duckdb::types::Value>(2)?);
        Ok(DuplicateGroup {
            name: r.get(3)?,
            members: ids.into_iter().zip(codes).collect(),
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

fn list(v: duckdb::types::Value) -> Vec<String> {
    match v {
        duckdb::types::Value::List(items) => items
            .into_iter()
            .filter_map(|i| match i {
                duckdb::types::Value::Text(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `reports/duplicate-names.csv`: every customer in a duplicate-name group.
pub fn write_duplicates(paths: &StorePaths, conn: &Connection) -> Result<Option<PathBuf>> {
    let mut stmt = conn.prepare(
        "SELECT name_key, id, name, credit_code FROM duplicate_names ORDER BY name_key, id",
    )?;
    let rows: Vec<[String; 4]> = stmt
        .query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))?
        .collect::<std::result::Result<_, _>>()?;
    let path = paths.reports().join("duplicate-names.csv");
    if rows.is_empty() {
        if path.exists() {
            fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
        return Ok(None);
    }
    let mut w = writer(&path)?;
    w.write_record(["name_key", "id", "name", "credit_code"])
        .map_err(|e| csv_err(&path, e))?;
    for r in &rows {
        w.write_record(r).map_err(|e| csv_err(&path, e))?;
    }
    finish(w, &path)?;
    Ok(Some(path))
}

/// A row of `ingest_runs`: what one generation loaded, for people looking back.
pub fn record_run(
    conn: &Connection,
    generation: u64,
    what: &str,
    (read, loaded, rejected): (u64, u64, u64),
    normalised: u64,
    flagged: u64,
    seconds: f64,
) -> Result<()> {
    conn.execute(
        "INSERT INTO ingest_runs VALUES (?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?)",
        duckdb::params![
            generation as i64,
            what,
            read as i64,
            loaded as i64,
            rejected as i64,
            normalised as i64,
            flagged as i64,
            seconds
        ],
    )?;
    Ok(())
}

/// A value as a report shows it: masked when it is a contact of a store that encrypts them.
fn shown<'v>(vault: &Vault, column: &str, value: &'v str) -> std::borrow::Cow<'v, str> {
    if vault.is_sealed() && crypt::is_sealed_field(column) {
        std::borrow::Cow::Owned(crypt::mask(column, value))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

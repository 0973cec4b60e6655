//! Restoring a store from an archive: every byte checked before anything is put in place.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use kesou_indexer::{Agreement, Store, StorePaths};

use crate::archive::{Manifest, read_archive, read_sidecar};
use crate::{Error, Result};

/// How to restore.
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Replace a store (or any folder) that is not empty. The old one is kept until the
    /// restored store has been checked, then removed.
    pub force: bool,
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreSummary {
    pub manifest: Manifest,
    /// Whether the whole file was checked against `FILE.sha256` (always: every file
    /// against the manifest).
    pub checked_whole_file: bool,
    pub agreement: Agreement,
    /// A store was there before and was replaced.
    pub replaced: bool,
    pub extract_seconds: f64,
    pub import_seconds: f64,
    pub check_seconds: f64,
    pub seconds: f64,
}

/// A folder removed when dropped, unless kept.
struct Staging(Option<PathBuf>);

impl Staging {
    fn path(&self) -> &Path {
        self.0.as_deref().expect("staging in use")
    }
    fn keep(mut self) -> PathBuf {
        self.0.take().expect("staging in use")
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = fs::remove_dir_all(p);
        }
    }
}

fn sibling(target: &Path, what: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "store".into());
    target.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

fn is_empty_dir(dir: &Path) -> Result<bool> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(Error::io(dir, e)),
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| Error::io(path, e))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<()> {
    Ok(())
}

/// Where an archive path goes in the staged store.
fn staged_path(staging: &Path, path: &Path) -> PathBuf {
    match path.strip_prefix("db") {
        Ok(rest) => staging.join(".import").join(rest),
        Err(_) => staging.join(path),
    }
}

/// Restores the archive `file` into the store folder `target.root`, opened with the key
/// `target` names (a backup of a store that keeps its contacts encrypted holds them
/// encrypted; its key is never in a backup, and the restored store is opened with the key
/// given here to check it: the wrong key, or none, is refused before anything is in place).
///
/// The archive is read into a folder beside the target, every file checked against the
/// manifest (and the whole file against `FILE.sha256` when it is there); the database is
/// imported, the store opened and store and index compared. Only then is the restored
/// store renamed into place (the old one, with `force`, moved aside first and removed
/// after). A target that is not empty is refused without `force`; a store another process
/// holds open is refused always.
pub fn restore(
    file: &Path,
    target_paths: &StorePaths,
    options: &RestoreOptions,
) -> Result<RestoreSummary> {
    let started = Instant::now();
    let target = target_paths.root.as_path();
    let existed = !is_empty_dir(target)?;
    if existed && !options.force {
        return Err(Error::BadInput(format!(
            "{} is not empty; restore into a new folder, or pass --force to replace it (the \
             store there is kept until the restored one has been checked)",
            target.display()
        )));
    }
    if existed && target_paths.db().exists() {
        // Refused when another process (a server, an ingest) has the store open.
        drop(kesou_indexer::store::open_db(
            target_paths,
            kesou_indexer::store::Open::Read,
        )?);
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let staging_dir = sibling(target, "restoring");
    if staging_dir.exists() {
        fs::remove_dir_all(&staging_dir).map_err(|e| Error::io(&staging_dir, e))?;
    }
    fs::create_dir_all(&staging_dir).map_err(|e| Error::io(&staging_dir, e))?;
    let staging = Staging(Some(staging_dir));

    let checked_whole_file = read_sidecar(file)?.is_some();
    let manifest = read_archive(file, |path, reader: &mut dyn Read, mode| {
        let to = staged_path(staging.path(), path);
        if let Some(dir) = to.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let mut f = fs::File::create(&to).map_err(|e| Error::io(&to, e))?;
        std::io::copy(reader, &mut f).map_err(|e| Error::io(&to, e))?;
        set_mode(&to, mode)
    })?;
    for private in ["access", "audit"] {
        let dir = staging.path().join(private);
        if dir.is_dir() {
            set_mode(&dir, 0o700)?;
        }
    }
    let extract_seconds = started.elapsed().as_secs_f64();

    let import_started = Instant::now();
    let import = staging.path().join(".import");
    if !import.join("load.sql").exists() {
        return Err(Error::Damaged("it holds no database export".into()));
    }
    let staged = StorePaths {
        root: staging.path().to_owned(),
        key: target_paths.key.clone(),
    };
    {
        let conn =
            kesou_indexer::store::open_db(&staged, kesou_indexer::store::Open::CreateOrWrite)?;
        import_database(&conn, &import)?;
    }
    fs::remove_dir_all(&import).map_err(|e| Error::io(&import, e))?;
    let import_seconds = import_started.elapsed().as_secs_f64();

    let check_started = Instant::now();
    let agreement = {
        let store = Store::open(&staged)?;
        store.check()?
    };
    if !agreement.agrees() || agreement.store_generation != manifest.generation {
        let mut problems = agreement.problems();
        if agreement.store_generation != manifest.generation {
            problems.push(format!(
                "the database is at generation {}, the manifest says {}",
                agreement.store_generation, manifest.generation
            ));
        }
        return Err(Error::Damaged(format!(
            "the restored store does not check: {}",
            problems.join("; ")
        )));
    }
    let check_seconds = check_started.elapsed().as_secs_f64();

    // Into place: the old store aside, the new one in, the old one gone.
    let restored = staging.keep();
    if existed {
        let aside = sibling(target, "replaced");
        if aside.exists() {
            fs::remove_dir_all(&aside).map_err(|e| Error::io(&aside, e))?;
        }
        fs::rename(target, &aside).map_err(|e| Error::io(target, e))?;
        if let Err(e) = fs::rename(&restored, target) {
            // Put the old store back rather than leave nothing in place.
            let _ = fs::rename(&aside, target);
            return Err(Error::io(target, e));
        }
        fs::remove_dir_all(&aside).map_err(|e| Error::io(&aside, e))?;
    } else {
        if target.exists() {
            fs::remove_dir(target).map_err(|e| Error::io(target, e))?;
        }
        fs::rename(&restored, target).map_err(|e| Error::io(target, e))?;
    }
    Ok(RestoreSummary {
        manifest,
        checked_whole_file,
        agreement,
        replaced: existed,
        extract_seconds,
        import_seconds,
        check_seconds,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Loads the data of an `EXPORT DATABASE` folder into a database that has this binary's
/// schema ([`kesou_indexer::store::create_schema`]). An archive is data, never code: its
/// schema.sql is not read, and its load.sql only says which Parquet file of the folder
/// holds which table. Each file must name a table this binary defines, hold only columns
/// that table has, and fit their types and constraints; customer ids must be unique, as
/// an ingest makes them.
fn import_database(conn: &duckdb::Connection, dir: &Path) -> Result<()> {
    let load_path = dir.join("load.sql");
    let load = fs::read_to_string(&load_path).map_err(|e| Error::io(&load_path, e))?;
    let tables = columns_by_table(conn)?;
    let mut seen = std::collections::HashSet::new();
    for line in load.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (table, file) = load_line(line)?;
        let Some(columns) = tables.get(&table) else {
            return Err(Error::Damaged(format!(
                "it holds a table this version of kesou does not define: {table:?}"
            )));
        };
        if !seen.insert(table.clone()) {
            return Err(Error::Damaged(format!(
                "it loads the table {table:?} twice"
            )));
        }
        let path = dir.join(&file);
        if !path.is_file() {
            return Err(Error::Damaged(format!("{file} is not in the archive")));
        }
        let source = format!("read_parquet({})", sql_text(&path.display().to_string()));
        let mut stmt = conn.prepare(&format!("DESCRIBE SELECT * FROM {source}"))?;
        let found: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| {
                Error::Damaged(format!("{file} is not a Parquet file kesou wrote: {e}"))
            })?;
        if let Some(extra) = found.iter().find(|c| !columns.contains(*c)) {
            return Err(Error::Damaged(format!(
                "{file} has a column the table {table} does not: {extra:?}"
            )));
        }
        let list = found
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        conn.execute_batch(&format!(
            "INSERT INTO \"{table}\" ({list}) SELECT {list} FROM {source}"
        ))
        .map_err(|e| Error::Damaged(format!("{file} does not fit the table {table}: {e}")))?;
    }
    if !seen.contains("customers") {
        return Err(Error::Damaged("it holds no customers table".into()));
    }
    let repeated: i64 = conn.query_row(
        "SELECT count(*) - count(DISTINCT id) FROM customers",
        [],
        |r| r.get(0),
    )?;
    if repeated > 0 {
        return Err(Error::Damaged(format!(
            "its customers table repeats {repeated} ids"
        )));
    }
    Ok(())
}

/// The columns of every table the database has (this binary's schema).
fn columns_by_table(
    conn: &duckdb::Connection,
) -> Result<std::collections::HashMap<String, Vec<String>>> {
    let mut stmt = conn.prepare(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' \
         AND NOT internal ORDER BY table_name, column_index",
    )?;
    let mut out = std::collections::HashMap::<String, Vec<String>>::new();
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (table, column) = row?;
        out.entry(table).or_default().push(column);
    }
    Ok(out)
}

/// A load.sql line, `COPY customers FROM '/where/it/was/customers.parquet' (FORMAT …);`,
/// as (table, the Parquet file's name in the folder). Anything else is refused.
fn load_line(line: &str) -> Result<(String, String)> {
    let bad = || {
        Error::Damaged(format!(
            "load.sql holds a line a backup does not make: {}",
            line.chars().take(80).collect::<String>()
        ))
    };
    let rest = line.strip_prefix("COPY ").ok_or_else(bad)?;
    let (table, rest) = rest.split_once(" FROM '").ok_or_else(bad)?;
    let (old, _) = rest.split_once('\'').ok_or_else(bad)?;
    let table = table.trim_matches('"');
    let file = Path::new(old)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(bad)?;
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    };
    if !plain(table) || !plain(&file) || !file.ends_with(".parquet") || file.starts_with('.') {
        return Err(bad());
    }
    Ok((table.to_owned(), file))
}

/// `s` as an SQL string literal.
fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

//! Taking a snapshot of a store kept open, and writing it out as an archive.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use duckdb::Connection;
use kesou_indexer::Store;

use crate::archive::{ArchiveWriter, FORMAT, HashingWriter, Manifest};
use crate::{Error, Result};

/// What goes into a backup beyond the store's data.
#[derive(Debug, Clone, Default)]
pub struct BackupOptions {
    /// Include secrets (`*.key` files, such as `embed.key`, the key embed links are signed
    /// with). Off by default: whoever holds such a backup can sign links.
    pub with_secrets: bool,
}

/// What a backup wrote, and how long it took.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    pub manifest: Manifest,
    /// SHA-256 of the whole archive (also in `FILE.sha256`).
    pub sha256: String,
    pub bytes: u64,
    /// How long writes waited: the writer was held for this long.
    pub held_seconds: f64,
    /// Exporting the database to Parquet (writes went on meanwhile).
    pub export_seconds: f64,
    /// Everything, from taking the snapshot to the last byte written.
    pub seconds: f64,
    /// Reading the written file back through and checking it.
    pub verify_seconds: f64,
}

/// A store pinned at one generation: a DuckDB transaction that began while no write could
/// run, and hard links to the index's files and the side files of that moment, in a
/// staging folder inside the store (removed when the snapshot is dropped).
pub struct Snapshot {
    conn: Connection,
    staging: Staging,
    generation: u64,
    customers: u64,
    as_of: Option<String>,
    store_root: PathBuf,
    /// (path in the archive, staged file, mode)
    files: Vec<(String, PathBuf, u32)>,
    managed: Vec<String>,
    excluded: Vec<String>,
    created_at: String,
    started: Instant,
    held_seconds: f64,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("store", &self.store_root)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// A folder removed when dropped.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_dir_all(&self.0)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %self.0.display(), error = %e, "backup staging folder left behind");
        }
    }
}

const STAGING_PREFIX: &str = ".backup-";

/// Staging folders of backups whose process is gone (killed mid-backup).
fn remove_stale_staging(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(STAGING_PREFIX) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        let alive = Path::new("/proc").exists() && Path::new("/proc").join(pid).exists();
        if !alive && pid != std::process::id().to_string() {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn mode_of(_: &fs::Metadata) -> u32 {
    0o644
}

/// Hard-links `from` to `to` (instant, and the file stays as it is now even if the store
/// replaces it); copies where links are not possible.
fn link(from: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    if fs::hard_link(from, to).is_err() {
        fs::copy(from, to).map_err(|e| Error::io(from, e))?;
    }
    Ok(())
}

/// Whether a file of the store holds a secret.
fn is_secret(rel: &Path) -> bool {
    rel.extension().is_some_and(|x| x == "key")
}

/// The store's side files: everything but the database, the index (taken apart), the
/// lookalike vectors (rebuilt), the demo's source files, the audit log (taken apart),
/// temporary files and, unless asked for, secrets. Paths relative to the store.
fn side_files(
    root: &Path,
    with_secrets: bool,
    excluded: &mut BTreeSet<String>,
) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        let entries = fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for e in entries {
            let e = e.map_err(|e| Error::io(&dir, e))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let path = rel.join(&name);
            let top = rel.as_os_str().is_empty();
            if top {
                match name.as_str() {
                    n if n.starts_with(kesou_indexer::store::DB_FILE) => continue,
                    "index" | "audit" => continue,
                    "lookalike" => {
                        excluded.insert(
                            "lookalike/: derived from the store; rebuilt by kesou restore".into(),
                        );
                        continue;
                    }
                    "source" => {
                        excluded.insert(
                            "source/: the demo's generated input files; the store holds their data"
                                .into(),
                        );
                        continue;
                    }
                    "uploads" => {
                        excluded.insert(
                            "uploads/: files sent to the web app's import, not loaded yet".into(),
                        );
                        continue;
                    }
                    n if n.starts_with(STAGING_PREFIX) || n.contains(".restoring-") => continue,
                    _ => {}
                }
            }
            let kind = e.file_type().map_err(|err| Error::io(&e.path(), err))?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                if name.ends_with(".tmp") {
                    continue;
                }
                if is_secret(&path) && !with_secrets {
                    excluded.insert(format!(
                        "{}: a secret; kept only with --with-secrets",
                        path.display()
                    ));
                    continue;
                }
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The audit log as of its head: the head file first, then the log up to the entry the
/// head names (the server appends the entry, then rewrites the head), so that the copy is
/// a whole chain that `kesou audit verify` accepts.
fn stage_audit(root: &Path, staging: &Path) -> Result<Vec<(String, PathBuf, u32)>> {
    let dir = root.join("audit");
    let head_path = dir.join("head");
    let log_path = dir.join("audit.log");
    let mut out = Vec::new();
    let head = match fs::read(&head_path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(&head_path, e)),
    };
    let log = match fs::read(&log_path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(&log_path, e)),
    };
    let last_seq = head
        .as_deref()
        .and_then(|h| serde_json::from_slice::<serde_json::Value>(h).ok())
        .and_then(|v| v["seq"].as_u64());
    // Whole lines only, up to the head's entry.
    let mut end = 0;
    for line in log.split_inclusive(|&b| b == b'\n') {
        if !line.ends_with(b"\n") {
            break;
        }
        end += line.len();
        if let Some(seq) = last_seq
            && serde_json::from_slice::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v["seq"].as_u64())
                == Some(seq)
        {
            break;
        }
    }
    let meta = fs::metadata(&log_path).map_err(|e| Error::io(&log_path, e))?;
    let to = staging.join("audit").join("audit.log");
    fs::create_dir_all(to.parent().expect("a folder")).map_err(|e| Error::io(staging, e))?;
    fs::write(&to, &log[..end]).map_err(|e| Error::io(&to, e))?;
    out.push(("audit/audit.log".to_owned(), to, mode_of(&meta)));
    if let Some(head) = head {
        let to = staging.join("audit").join("head");
        fs::write(&to, head).map_err(|e| Error::io(&to, e))?;
        out.push(("audit/head".to_owned(), to, 0o600));
    }
    Ok(out)
}

/// The index's files as of its last commit: meta.json, the learned words and the files of
/// every segment meta.json names.
fn index_files(index_dir: &Path) -> Result<Vec<String>> {
    let index = tantivy::Index::open_in_dir(index_dir)?;
    let metas = index.load_metas()?;
    let mut files: BTreeSet<String> = BTreeSet::new();
    let entries = fs::read_dir(index_dir).map_err(|e| Error::io(index_dir, e))?;
    let names: Vec<String> = entries
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(index_dir, e))?;
    for segment in &metas.segments {
        let id = segment.id().uuid_string();
        let deletes = segment
            .has_deletes()
            .then(|| segment.relative_path(tantivy::index::SegmentComponent::Delete));
        for name in &names {
            let Some(rest) = name.strip_prefix(&id).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            // Only the delete file of the committed opstamp; never a temporary store.
            if rest.ends_with(".del") {
                if deletes.as_deref() != Some(Path::new(name)) {
                    continue;
                }
            } else if rest.ends_with(".temp") {
                continue;
            }
            files.insert(name.clone());
        }
    }
    files.insert("meta.json".into());
    if index_dir.join("learned-words.txt").exists() {
        files.insert("learned-words.txt".into());
    }
    Ok(files.into_iter().collect())
}

fn quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "''"))
}

impl Snapshot {
    /// Pins the store: holds its writer (writes wait; readers do not) only while a DuckDB
    /// transaction begins and the index's and side files are hard-linked: milliseconds.
    pub fn take(store: &Store, options: &BackupOptions) -> Result<Snapshot> {
        let started = Instant::now();
        let root = store.paths().root.clone();
        let store_root = fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
        remove_stale_staging(&root);
        let dir = root.join(format!(
            "{STAGING_PREFIX}{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let staging = Staging(dir);
        let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut excluded = BTreeSet::new();
        let (conn, generation, files, managed, held_seconds) =
            store.quiesced(|conn, generation| -> Result<_> {
                let held = Instant::now();
                // DuckDB starts a transaction's snapshot at its first statement: this one.
                conn.execute_batch("BEGIN TRANSACTION")?;
                let pinned: String = conn.query_row(
                    "SELECT coalesce(max(value), '0') FROM meta WHERE key = 'generation'",
                    [],
                    |r| r.get(0),
                )?;
                if pinned.parse::<u64>().unwrap_or(0) != generation {
                    return Err(Error::BadInput(format!(
                        "the store moved from generation {generation} to {pinned} while its writer was held"
                    )));
                }
                let mut files = Vec::new();
                let index_dir = store.paths().index();
                let managed = index_files(&index_dir)?;
                for name in &managed {
                    let from = index_dir.join(name);
                    let to = staging.0.join("index").join(name);
                    link(&from, &to)?;
                    let mode = fs::metadata(&from).map(|m| mode_of(&m)).unwrap_or(0o644);
                    files.push((format!("index/{name}"), to, mode));
                }
                for rel in side_files(&root, options.with_secrets, &mut excluded)? {
                    let from = root.join(&rel);
                    let to = staging.0.join("files").join(&rel);
                    link(&from, &to)?;
                    let mode = fs::metadata(&from).map(|m| mode_of(&m)).unwrap_or(0o644);
                    files.push((rel.to_string_lossy().replace('\\', "/"), to, mode));
                }
                files.extend(stage_audit(&root, &staging.0.join("files"))?);
                Ok((conn, generation, files, managed, held.elapsed().as_secs_f64()))
            })?;
        let customers: i64 = conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
        let as_of: Option<String> = conn
            .query_row("SELECT max(value) FROM meta WHERE key = 'as_of'", [], |r| {
                r.get(0)
            })
            .unwrap_or(None);
        tracing::info!(generation, held_seconds, "backup: snapshot taken");
        Ok(Snapshot {
            conn,
            staging,
            generation,
            customers: customers as u64,
            as_of,
            store_root,
            files,
            managed,
            excluded: excluded.into_iter().collect(),
            created_at,
            started,
            held_seconds,
        })
    }

    /// The store generation the snapshot holds.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Exports the pinned database and writes the archive to `out`; returns the manifest,
    /// the archive's SHA-256 and size. Writes to the store go on meanwhile.
    pub fn write_to<W: Write>(self, out: W) -> Result<BackupSummary> {
        let export_started = Instant::now();
        let db = self.staging.0.join("db");
        self.conn.execute_batch(&format!(
            "EXPORT DATABASE {} (FORMAT PARQUET, COMPRESSION ZSTD)",
            quote(&db)
        ))?;
        self.conn.execute_batch("ROLLBACK")?;
        let export_seconds = export_started.elapsed().as_secs_f64();
        tracing::info!(seconds = export_seconds, "backup: database exported");

        let mut archive = ArchiveWriter::new(out);
        let mut exported: Vec<PathBuf> = fs::read_dir(&db)
            .map_err(|e| Error::io(&db, e))?
            .map(|e| e.map(|e| e.path()).map_err(|err| Error::io(&db, err)))
            .collect::<Result<_>>()?;
        exported.sort();
        // schema.sql and load.sql first: a reader sees what the data files are at once.
        exported.sort_by_key(|p| p.extension().is_none_or(|x| x != "sql"));
        for path in &exported {
            let name = path.file_name().expect("a file").to_string_lossy();
            archive.file(&format!("db/{name}"), path, 0o600)?;
        }
        let mut managed = self.managed.clone();
        managed.retain(|n| n != "learned-words.txt");
        archive.data(
            "index/.managed.json",
            &serde_json::to_vec(&managed).expect("names serialise"),
            0o600,
        )?;
        for (path, from, mode) in &self.files {
            archive.file(path, from, *mode)?;
        }
        let manifest = Manifest {
            format: FORMAT.into(),
            kesou_version: env!("CARGO_PKG_VERSION").into(),
            created_at: self.created_at.clone(),
            store: self.store_root.display().to_string(),
            generation: self.generation,
            customers: self.customers,
            as_of: self.as_of.clone(),
            entries: Vec::new(),
            excluded: self.excluded.clone(),
        };
        let (manifest, sha256, bytes) = archive.finish(manifest)?;
        Ok(BackupSummary {
            manifest,
            sha256,
            bytes,
            held_seconds: self.held_seconds,
            export_seconds,
            seconds: self.started.elapsed().as_secs_f64(),
            verify_seconds: 0.0,
        })
    }
}

/// Backs `store` up into the file `out` (see [`write_file`]).
pub fn backup_to_file(store: &Store, out: &Path, options: &BackupOptions) -> Result<BackupSummary> {
    let root =
        fs::canonicalize(&store.paths().root).map_err(|e| Error::io(&store.paths().root, e))?;
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if fs::canonicalize(dir).is_ok_and(|d| d.starts_with(&root)) {
        return Err(Error::BadInput(format!(
            "{} is inside the store; write the backup elsewhere (the next backup would hold this one)",
            out.display()
        )));
    }
    let snapshot = Snapshot::take(store, options)?;
    let (mut summary, written) = write_file(out, |w| snapshot.write_to(w))?;
    summary.verify_seconds = written.verify_seconds;
    Ok(summary)
}

/// An archive file as written and checked.
#[derive(Debug, Clone)]
pub struct Written {
    pub sha256: String,
    pub bytes: u64,
    pub manifest: Manifest,
    pub verify_seconds: f64,
}

/// Writes an archive into the file `out` through `write`: as `out.partial` (owner-only:
/// it holds customer data), synced and renamed when complete, its SHA-256 put beside it as
/// `out.sha256`, then read back and checked against its manifest. An archive cut short
/// never carries the final name. For archives made here ([`backup_to_file`]) and
/// downloaded from a server's backup endpoint alike.
pub fn write_file<T>(
    out: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<(T, Written)> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut partial_name = out.file_name().unwrap_or_default().to_owned();
    partial_name.push(".partial");
    let partial = out.with_file_name(partial_name);
    let file = {
        let mut o = fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        o.open(&partial).map_err(|e| Error::io(&partial, e))?
    };
    let mut w = HashingWriter::new(BufWriter::with_capacity(1 << 20, file));
    let value = match write(&mut w) {
        Ok(v) => v,
        Err(e) => {
            drop(w);
            let _ = fs::remove_file(&partial);
            return Err(e);
        }
    };
    let (sha256, bytes, w) = w.finish();
    let file = w
        .into_inner()
        .map_err(|e| Error::io(&partial, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(&partial, e))?;
    drop(file);
    fs::rename(&partial, out).map_err(|e| Error::io(out, e))?;
    let sidecar = crate::archive::sidecar_path(out);
    let name = out.file_name().unwrap_or_default().to_string_lossy();
    fs::write(&sidecar, format!("{sha256}  {name}\n")).map_err(|e| Error::io(&sidecar, e))?;
    let verify_started = Instant::now();
    let manifest = crate::archive::verify(out)?;
    Ok((
        value,
        Written {
            sha256,
            bytes,
            manifest,
            verify_seconds: verify_started.elapsed().as_secs_f64(),
        },
    ))
}

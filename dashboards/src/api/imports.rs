//! `/api/imports`: loading files from the web app (the 「导入数据」 page), in the steps
//! `kesou ingest` takes at once, so that a person sees each before anything is written:
//!
//! - `POST /api/imports` opens an import: `{"id"}`;
//! - `PUT /api/imports/{id}/files/{name}` sends one file (its bytes as the body);
//! - `POST /api/imports/{id}/plan` `{"mapping"?}` answers the dry run (per file: the table,
//!   each column → field with its type, the encoding, the first problems, the rows that
//!   would load) with the fields a column may load into;
//! - `POST /api/imports/{id}/load` `{"mapping"?}` starts loading (`202`); the import's
//!   `GET /api/imports/{id}` shows the phase and rows done, then the summary;
//! - `GET /api/imports/{id}/rejects` downloads the rejects report; `DELETE` discards.
//!
//! The mapping is `mapping.toml` as JSON (`{"file":[{"name","table","columns":{…}}]}`).
//! The same reading, checks and limits as the command line: the files go through
//! [`kesou_indexer::plan::dry_run`] and [`kesou_indexer::Store::ingest_mapped`].
//! Administrators only; opening, loading and discarding are audited.
//!
//! Files wait in `STORE/uploads/ID/` and may hold contacts in clear text: they are
//! removed once loaded or discarded, and a server starting removes what an earlier one left
//! there. Paths of the server never reach the client: file names are shown as sent.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use kesou_indexer::plan::{self, Mapping};
use kesou_indexer::{IngestSummary, Phase, Progress, Table};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::auth::{Caller, Done};
use crate::error::{ApiResult, AppError, Code};
use crate::state::AppState;

/// Largest file an import takes.
pub const MAX_FILE_BYTES: u64 = 1 << 30;
/// Files one import holds at most.
const MAX_FILES: usize = 32;
/// Imports kept at once; opening another forgets the oldest finished one.
const MAX_IMPORTS: usize = 16;
/// Longest file name accepted, in characters.
const MAX_NAME_CHARS: usize = 120;

/// The imports of this server, by id.
#[derive(Default)]
pub struct Imports {
    open: Mutex<Vec<(String, Arc<Import>)>>,
}

struct Import {
    dir: PathBuf,
    files: Mutex<Vec<(String, u64)>>,
    job: Mutex<Job>,
    progress: Arc<Meter>,
}

enum Job {
    /// Files may be added, planned, loaded.
    Open,
    Running,
    Done {
        summary: Value,
        rejects: Option<PathBuf>,
    },
    Failed(AppError),
}

impl Imports {
    /// Removes what an earlier server left in `STORE/uploads/`.
    pub fn clear_leftovers(root: &Path) {
        let dir = uploads(root);
        if dir.exists()
            && let Err(e) = std::fs::remove_dir_all(&dir)
        {
            tracing::warn!(dir = %dir.display(), error = %e, "could not remove earlier uploads");
        }
    }

    fn get(&self, id: &str) -> ApiResult<Arc<Import>> {
        self.open
            .lock()
            .expect("imports lock")
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, import)| Arc::clone(import))
            .ok_or_else(|| {
                AppError::not_found(format!("no import {id}; open one with POST /api/imports"))
            })
    }
}

fn uploads(root: &Path) -> PathBuf {
    root.join("uploads")
}

/// What loading is doing: the phase and its rows, for `GET /api/imports/{id}`.
#[derive(Default)]
struct Meter {
    now: Mutex<(String, u64, Option<u64>)>,
}

struct Step<'a>(&'a Meter);

impl Progress for Meter {
    fn phase(&self, what: &str, total: Option<u64>) -> Box<dyn Phase + '_> {
        *self.now.lock().expect("meter lock") = (what.to_owned(), 0, total);
        Box::new(Step(self))
    }
}

impl Phase for Step<'_> {
    fn advance(&self, rows: u64) {
        self.0.now.lock().expect("meter lock").1 += rows;
    }
}

fn admin_only(caller: &Caller) -> ApiResult<()> {
    if caller.principal.role != kesou_access::Role::Admin {
        return Err(AppError::new(
            Code::Forbidden,
            "only administrators may import data",
        ));
    }
    Ok(())
}

/// A file name as sent, checked: a plain name of a format kesou reads, no folders.
fn file_name(raw: &str) -> ApiResult<String> {
    let name = raw.trim();
    let bad = name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.starts_with('.')
        || name
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\' | ':' | '#'));
    if bad {
        return Err(AppError::bad_request(format!(
            "「{}」 is not a file name an import takes: a plain name of at most {MAX_NAME_CHARS} \
             characters, without / \\ : or #",
            raw.chars().take(MAX_NAME_CHARS).collect::<String>()
        )));
    }
    if !plan::readable(Path::new(name)) {
        return Err(AppError::bad_request(format!(
            "「{name}」: kesou reads .csv, .tsv, .txt, .jsonl, .parquet, .xlsx, .xls and .ods files"
        )));
    }
    Ok(name.to_owned())
}

/// `POST /api/imports`
pub async fn open(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let result = async {
        admin_only(&caller)?;
        let id = new_id()?;
        let dir = uploads(&state.paths().root).join(&id);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(AppError::internal)?;
        let import = Arc::new(Import {
            dir,
            files: Mutex::new(Vec::new()),
            job: Mutex::new(Job::Open),
            progress: Arc::default(),
        });
        let evicted = {
            let mut open = state.imports().open.lock().expect("imports lock");
            let evicted = if open.len() >= MAX_IMPORTS {
                let finished = open
                    .iter()
                    .position(|(_, i)| !matches!(*i.job.lock().expect("job lock"), Job::Running));
                let Some(at) = finished else {
                    return Err(AppError::new(
                        Code::RateLimited,
                        format!("{MAX_IMPORTS} imports are loading; wait for one to finish"),
                    ));
                };
                Some(open.remove(at).1)
            } else {
                None
            };
            open.push((id.clone(), import));
            evicted
        };
        if let Some(gone) = evicted {
            let _ = tokio::fs::remove_dir_all(&gone.dir).await;
        }
        Ok((json!({"id": id}), Done::default()))
    }
    .await;
    let out = caller.record(&state, "import", "open", result)?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

fn new_id() -> ApiResult<String> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `PUT /api/imports/{id}/files/{name}`: the body is written to disk as it arrives.
pub async fn put_file(
    State(state): State<AppState>,
    caller: Caller,
    UrlPath((id, raw_name)): UrlPath<(String, String)>,
    body: Body,
) -> ApiResult<Json<Value>> {
    admin_only(&caller)?;
    let import = state.imports().get(&id)?;
    let name = file_name(&raw_name)?;
    {
        if !matches!(*import.job.lock().expect("job lock"), Job::Open) {
            return Err(AppError::new(
                Code::Conflict,
                "this import has been loaded; open a new one for more files",
            ));
        }
        let files = import.files.lock().expect("files lock");
        if files.len() >= MAX_FILES && !files.iter().any(|(n, _)| *n == name) {
            return Err(AppError::new(
                Code::TooLarge,
                format!("an import takes at most {MAX_FILES} files"),
            ));
        }
    }
    let path = import.dir.join(&name);
    let partial = import.dir.join(format!(".{name}.part"));
    let written = match write_body(body, &partial).await {
        Ok(n) => n,
        Err(e) => {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e);
        }
    };
    tokio::fs::rename(&partial, &path)
        .await
        .map_err(AppError::internal)?;
    let mut files = import.files.lock().expect("files lock");
    files.retain(|(n, _)| *n != name);
    files.push((name, written));
    Ok(Json(json!({"files": files_json(&files)})))
}

async fn write_body(body: Body, path: &Path) -> ApiResult<u64> {
    let mut out = tokio::fs::File::create(path)
        .await
        .map_err(AppError::internal)?;
    let mut body = body;
    let mut written = 0u64;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| AppError::bad_request(format!("the upload broke off: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        written += data.len() as u64;
        if written > MAX_FILE_BYTES {
            return Err(AppError::new(
                Code::TooLarge,
                format!("a file may be at most {} MB", MAX_FILE_BYTES >> 20),
            ));
        }
        out.write_all(&data).await.map_err(AppError::internal)?;
    }
    if written == 0 {
        return Err(AppError::bad_request("the file is empty"));
    }
    out.flush().await.map_err(AppError::internal)?;
    Ok(written)
}

fn files_json(files: &[(String, u64)]) -> Value {
    files
        .iter()
        .map(|(name, bytes)| json!({"name": name, "bytes": bytes}))
        .collect()
}

/// A plan or load body: `mapping.toml` as JSON.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingBody {
    #[serde(default)]
    mapping: Option<Mapping>,
}

/// The mapping a plan or load body carries; an empty body is none.
fn mapping_of(body: &[u8]) -> ApiResult<Mapping> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Mapping::default());
    }
    let b: MappingBody = serde_json::from_slice(body).map_err(|e| {
        AppError::bad_request(format!(
            "the body is not a mapping ({{\"mapping\": {{\"file\": [{{\"name\", \"table\", \"columns\"}}]}}}}): {e}"
        ))
    })?;
    Ok(b.mapping.unwrap_or_default())
}

/// The import's files on disk, in the order they were sent; an import without files is a
/// user error.
fn inputs(import: &Import) -> ApiResult<Vec<PathBuf>> {
    let files = import.files.lock().expect("files lock");
    if files.is_empty() {
        return Err(AppError::bad_request(
            "the import has no files yet; send them with PUT /api/imports/{id}/files/{name}",
        ));
    }
    Ok(files.iter().map(|(n, _)| import.dir.join(n)).collect())
}

/// Server paths out of what the client reads: `…/uploads/ID/客户.xlsx#客户` → `客户.xlsx#客户`.
fn shown(import: &Import, text: &str) -> String {
    let dir = format!("{}{}", import.dir.display(), std::path::MAIN_SEPARATOR);
    text.replace(&dir, "")
}

fn without_paths(import: &Import, e: AppError) -> AppError {
    AppError::new(e.code, shown(import, &e.message))
}

/// `POST /api/imports/{id}/plan`
pub async fn plan(
    State(state): State<AppState>,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    admin_only(&caller)?;
    let import = state.imports().get(&id)?;
    let mapping = mapping_of(&body)?;
    let files = inputs(&import)?;
    let for_plan = Arc::clone(&import);
    let mut planned = tokio::task::spawn_blocking(move || plan::dry_run(&files, &mapping))
        .await
        .map_err(AppError::from)?
        .map_err(|e| without_paths(&for_plan, e.into()))?;
    let chinese = crate::language::reads_chinese(&headers);
    for f in &mut planned.files {
        f.file = shown(&import, &f.file);
        f.note = f.note.as_deref().map(|n| shown(&import, n));
        for p in &mut f.problems {
            p.file = shown(&import, &p.file);
            if chinese {
                p.reason = crate::reasons::reason_zh(&p.reason);
            }
        }
    }
    let mut out = serde_json::to_value(&planned).map_err(AppError::internal)?;
    out["targets"] = targets();
    Ok(Json(out))
}

/// The fields a column of each table may load into, besides `custom` and `ignore`.
fn targets() -> Value {
    [
        Table::Customers,
        Table::Orders,
        Table::Interactions,
        Table::Meta,
    ]
    .iter()
    .map(|t| (t.name().to_owned(), json!(t.columns())))
    .collect::<serde_json::Map<_, _>>()
    .into()
}

/// `POST /api/imports/{id}/load`: starts loading and answers at once.
pub async fn load(
    State(state): State<AppState>,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let started = (|| -> ApiResult<(Arc<Import>, Vec<PathBuf>, Mapping)> {
        admin_only(&caller)?;
        let import = state.imports().get(&id)?;
        let mapping = mapping_of(&body)?;
        let files = inputs(&import)?;
        let mut job = import.job.lock().expect("job lock");
        if !matches!(*job, Job::Open) {
            return Err(AppError::new(
                Code::Conflict,
                "this import is loading or has been loaded",
            ));
        }
        *job = Job::Running;
        drop(job);
        Ok((import, files, mapping))
    })();
    let names = started.as_ref().map_or_else(
        |_| id.clone(),
        |(import, _, _)| {
            import
                .files
                .lock()
                .expect("files lock")
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    let (import, files, mapping) = caller.record(
        &state,
        "import",
        &format!("load {names}"),
        started.map(|s| (s, Done::default())),
    )?;
    let task_state = state.clone();
    let task_import = Arc::clone(&import);
    tokio::spawn(async move {
        let meter = Arc::clone(&task_import.progress);
        let began = Instant::now();
        let result = task_state
            .write(move |store| Ok(store.ingest_mapped(&files, &mapping, &*meter)?))
            .await;
        let (outcome, rows, detail) = match &result {
            Ok(s) => ("ok", s.loaded(), String::new()),
            Err(e) => (
                if e.code.is_user() {
                    "refused"
                } else {
                    "failed"
                },
                0,
                shown(&task_import, &format!("{}: {}", e.code.as_str(), e.message)),
            ),
        };
        *task_import.job.lock().expect("job lock") = match result {
            Ok(s) => Job::Done {
                summary: summary_json(&task_import, &s, began),
                rejects: s.rejects_file.clone(),
            },
            Err(e) => Job::Failed(without_paths(&task_import, e)),
        };
        // The files are in the store now (or refused): they may hold contacts in clear.
        let _ = tokio::fs::remove_dir_all(&task_import.dir).await;
        let event = kesou_access::Event {
            action: "import".into(),
            input: format!("loaded {names}"),
            outcome: outcome.into(),
            rows,
            detail,
            ..caller.audit_event()
        };
        if let Err(e) = task_state.audit(event) {
            tracing::error!(code = e.code.as_str(), message = %e.message, "audit of an import failed");
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"id": id, "state": "running"})),
    )
        .into_response())
}

fn summary_json(import: &Import, s: &IngestSummary, began: Instant) -> Value {
    let files: Vec<Value> = s
        .files
        .iter()
        .map(|f| {
            json!({
                "file": shown(import, &f.path.display().to_string()),
                "table": f.table.map(Table::name),
                "encoding": f.encoding,
                "rows_read": f.rows_read,
                "loaded": f.loaded,
                "rejected": f.rejected,
                "waiting": f.waiting,
                "set_aside": f.set_aside,
                "normalised": f.normalised,
                "custom_fields": f.custom_fields,
                "ignored_columns": f.ignored_columns,
                "skipped": f.skipped.as_deref().map(|m| shown(import, m)),
            })
        })
        .collect();
    json!({
        "files": files,
        "rows_read": s.rows_read(),
        "loaded": s.loaded(),
        "rejected": s.rejected(),
        "waiting": s.waiting(),
        "set_aside": s.set_aside(),
        "customers_changed": s.customers_changed,
        "attached": s.attached,
        "waiting_in_store": s.waiting_in_store,
        "duplicate_groups": s.duplicate_groups,
        "generation": s.generation,
        "rejects": s.rejects_file.is_some(),
        "seconds": (began.elapsed().as_secs_f64() * 10.0).round() / 10.0,
    })
}

/// `GET /api/imports/{id}`
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> ApiResult<Json<Value>> {
    admin_only(&caller)?;
    let import = state.imports().get(&id)?;
    let files = files_json(&import.files.lock().expect("files lock"));
    let mut out = json!({"id": id, "files": files});
    match &*import.job.lock().expect("job lock") {
        Job::Open => out["state"] = json!("open"),
        Job::Running => {
            let (phase, done, total) = import.progress.now.lock().expect("meter lock").clone();
            out["state"] = json!("running");
            out["phase"] = json!(phase);
            out["done"] = json!(done);
            out["total"] = json!(total);
        }
        Job::Done { summary, .. } => {
            out["state"] = json!("done");
            out["summary"] = summary.clone();
        }
        Job::Failed(e) => {
            out["state"] = json!("failed");
            out["error"] = json!({
                "code": e.code.as_str(),
                "message": crate::language::in_language(&headers, e.code, &e.message),
            });
        }
    }
    Ok(Json(out))
}

/// `GET /api/imports/{id}/rejects`: the rejects report of a loaded import, as CSV.
pub async fn rejects(
    State(state): State<AppState>,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
) -> ApiResult<Response> {
    admin_only(&caller)?;
    let import = state.imports().get(&id)?;
    let path = match &*import.job.lock().expect("job lock") {
        Job::Done {
            rejects: Some(p), ..
        } => p.clone(),
        Job::Done { rejects: None, .. } => {
            return Err(AppError::not_found("this import rejected nothing"));
        }
        _ => {
            return Err(AppError::new(
                Code::Conflict,
                "the rejects report is written when the import has loaded",
            ));
        }
    };
    let text = tokio::fs::read_to_string(&path)
        .await
        .map_err(AppError::internal)?;
    let text = shown(&import, &text);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"kesou-rejects-{id}.csv\""),
            ),
        ],
        text,
    )
        .into_response())
}

/// `DELETE /api/imports/{id}`: forgets an import that is not loading, with its files.
pub async fn discard(
    State(state): State<AppState>,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
) -> ApiResult<StatusCode> {
    let result = async {
        admin_only(&caller)?;
        let import = state.imports().get(&id)?;
        if matches!(*import.job.lock().expect("job lock"), Job::Running) {
            return Err(AppError::new(
                Code::Conflict,
                "this import is loading; it can be discarded once it has finished",
            ));
        }
        state
            .imports()
            .open
            .lock()
            .expect("imports lock")
            .retain(|(i, _)| *i != id);
        let _ = tokio::fs::remove_dir_all(&import.dir).await;
        Ok(((), Done::default()))
    }
    .await;
    caller.record(&state, "import", &format!("discard {id}"), result)?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_plain_names_of_readable_formats() {
        assert_eq!(file_name(" 客户资料.xlsx ").unwrap(), "客户资料.xlsx");
        assert_eq!(file_name("orders.CSV").unwrap(), "orders.CSV");
        for bad in [
            "../kesou.duckdb.csv",
            "a/b.csv",
            "a\\b.csv",
            ".hidden.csv",
            "book.xlsx#sheet",
            "C:x.csv",
            "x\u{0}.csv",
            "",
            "notes.docx",
            "kesou.duckdb",
        ] {
            assert!(file_name(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}.csv", "客".repeat(MAX_NAME_CHARS));
        assert!(file_name(&long).is_err());
    }

    #[test]
    fn progress_shows_the_phase_and_its_rows() {
        let meter = Meter::default();
        {
            let phase = meter.phase("customers", Some(10));
            phase.advance(3);
            phase.advance(4);
        }
        assert_eq!(
            *meter.now.lock().unwrap(),
            ("customers".to_owned(), 7, Some(10))
        );
    }
}

//! `GET /api/backup[?secrets=true]`: a consistent backup of the store the server holds,
//! streamed as it is written (`kesou backup --server` downloads it). Administrators only;
//! audited. Writes wait only while the snapshot is taken (milliseconds).

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use kesou_backup::{ArchiveBody, BackupOptions, Snapshot};
use serde::Deserialize;

use super::ApiQuery;
use crate::auth::{Caller, Done};
use crate::error::{ApiResult, AppError, Code};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupParams {
    /// Include `*.key` files (embed.key): whoever holds such a backup can sign embed links.
    #[serde(default)]
    pub secrets: bool,
}

pub async fn backup(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<BackupParams>,
) -> ApiResult<Response> {
    let input = if p.secrets { "with secrets" } else { "" };
    let result = snapshot(&state, &caller, p.secrets).await;
    caller.record(&state, "backup", input, result)
}

async fn snapshot(state: &AppState, caller: &Caller, secrets: bool) -> ApiResult<(Response, Done)> {
    if caller.principal.role != kesou_access::Role::Admin {
        return Err(AppError::new(
            Code::Forbidden,
            "only administrators may back up the store",
        ));
    }
    let options = BackupOptions {
        with_secrets: secrets,
    };
    let snapshot = state
        .with_store(move |store| Snapshot::take(store, &options).map_err(AppError::internal))
        .await?;
    let generation = snapshot.generation();
    let response = Response::builder()
        .header(header::CONTENT_TYPE, "application/x-tar")
        .header(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"kesou.kesou-backup\"",
        )
        .header("x-kesou-generation", generation)
        .body(Body::new(ArchiveBody::new(snapshot)))
        .map_err(AppError::internal)?;
    let done = Done {
        interpretation: format!("generation {generation}"),
        ..Done::default()
    };
    Ok((response, done))
}

//! `POST /api/ingest`: a batch of changes as NDJSON, one object per line:
//! `{"op":"upsert","table":"customers","row":{…}}` or `{"op":"delete","id":"C0000123"}`.
//! One batch is one generation: validated like files (bad lines are rejected with their line
//! number and reason, the rest apply), derived, indexed, and visible to the next request.
//! Administrators only; every batch is in the audit log.

use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use kesou_indexer::{Changes, MAX_CHANGE_BYTES, NoProgress};
use serde_json::{Value, json};

use crate::auth::{Caller, Done};
use crate::error::{ApiResult, AppError, Code};
use crate::state::AppState;

/// Largest batch body: the indexer's limit.
pub const MAX_BODY: usize = MAX_CHANGE_BYTES;

pub async fn ingest(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    let input = format!("{} bytes", body.as_ref().map_or(0, Bytes::len));
    let result = apply(&state, &caller, body).await;
    caller.record(&state, "ingest", &input, result)
}

async fn apply(
    state: &AppState,
    caller: &Caller,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(Json<Value>, Done)> {
    if caller.principal.role != kesou_access::Role::Admin {
        return Err(AppError::new(
            Code::Forbidden,
            "only administrators may change data through the API",
        ));
    }
    let body = body.map_err(|r| AppError::new(Code::TooLarge, r.body_text()))?;
    if body.len() > MAX_BODY {
        return Err(AppError::new(
            Code::TooLarge,
            format!("send at most {} MB per batch", MAX_BODY / (1024 * 1024)),
        ));
    }
    let started = Instant::now();
    let changes = Changes::parse(&body)?;
    if changes.is_empty() {
        return Err(AppError::bad_request(
            "the batch has no lines; send NDJSON: one {\"op\":\"upsert\",\"table\":\"customers\",\"row\":{…}} \
             or {\"op\":\"delete\",\"id\":\"C0000123\"} per line",
        ));
    }
    let changes_len = changes.len() as u64;
    let summary = state
        .write(move |store| Ok(store.apply(&changes, &NoProgress)?))
        .await?;
    let mut out = serde_json::to_value(&summary).map_err(AppError::internal)?;
    out["took_ms"] = json!(super::millis(started));
    let done = Done {
        interpretation: String::new(),
        rows: changes_len,
        customers: Vec::new(),
    };
    Ok((Json(out), done))
}

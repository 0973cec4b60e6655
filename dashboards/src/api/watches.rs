//! Watches in the web app: `GET /api/watches` (the caller's, every one for an
//! administrator, with their last firings), `POST /api/watches` (the 「订阅」 button: a
//! question or an answer's interpretation saved as the caller's watch, within the caller's
//! scope and field rules; with `board` and `every`, a report delivered daily or weekly),
//! `DELETE /api/watches/{id}` (its owner or an administrator), `POST
//! /api/watches/{id}/send` (a report rendered and sent now: its owner or an administrator),
//! `GET /api/watch-targets` (the targets an administrator configured, to choose from).
//! Evaluation after writes and the delivery loop are in `state.rs` and `lib.rs`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kesou_access::Role;
use kesou_watch::NewWatch;
use serde_json::{Value, json};

use super::ApiJson;
use crate::auth::{Caller, Done};
use crate::error::ApiResult;
use crate::state::AppState;

pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let principal = caller.principal.clone();
    let result = state
        .with_store(move |store| {
            let conn = store.reader()?.conn;
            let owner = (principal.role != Role::Admin).then_some(principal.name.as_str());
            let watches = kesou_watch::list(&conn, owner)?;
            let rows = watches.len() as u64;
            Ok((
                Json(json!({ "watches": watches })),
                Done {
                    rows,
                    ..Done::default()
                },
            ))
        })
        .await;
    caller.record(&state, "watch", "list", result)
}

pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewWatch>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = format!("add {}", new.question);
    let owner = caller.principal.name.clone();
    let result = state
        .with_store(move |store| {
            let info = kesou_watch::add(store, &owner, new)?;
            let done = Done {
                interpretation: info.watch.name.clone(),
                rows: info.members,
                ..Done::default()
            };
            Ok(((StatusCode::CREATED, Json(json!(info))), done))
        })
        .await;
    caller.record(&state, "watch", &input, result)
}

pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let principal = caller.principal.clone();
    let result = state
        .with_store(move |store| {
            kesou_watch::remove(&store.reader()?.conn, id, &principal)?;
            Ok((StatusCode::NO_CONTENT, Done::default()))
        })
        .await;
    caller.record(&state, "watch", &format!("remove {id}"), result)
}

/// A report subscription sent now, apart from its period's delivery: its owner or an
/// administrator.
pub async fn send(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let principal = caller.principal.clone();
    let settings = state.watch_settings();
    let result = state
        .with_store(move |store| {
            let conn = store.reader()?.conn;
            let Some(info) = kesou_watch::get(&conn, id)? else {
                return Err(kesou_watch::Error::NotFound(format!("no watch {id}")).into());
            };
            if info.watch.owner != principal.name && principal.role != Role::Admin {
                return Err(kesou_watch::Error::Forbidden(format!(
                    "watch {id} belongs to {}; only they or an administrator may send it",
                    info.watch.owner
                ))
                .into());
            }
            let outcome = kesou_watch::send_now(store, id, &settings)?;
            let report = kesou_watch::deliver_due(&conn, &store.paths().root, &settings)?;
            let done = Done {
                interpretation: outcome.name.clone(),
                rows: outcome.checked as u64,
                ..Done::default()
            };
            Ok((
                Json(json!({"queued": outcome.queued, "delivery": report})),
                done,
            ))
        })
        .await;
    caller.record(&state, "watch", &format!("send {id}"), result)
}

/// Target names and kinds for everyone signed in; their (masked) URLs for administrators.
pub async fn targets(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let admin = caller.principal.role == Role::Admin;
    state
        .with_store(move |store| {
            let targets: Vec<Value> = kesou_watch::list_targets(&store.reader()?.conn)?
                .into_iter()
                .map(|t| {
                    let mut v = json!({"name": t.name, "kind": t.kind.name()});
                    if admin {
                        v["url"] = json!(kesou_watch::mask_url(&t.url));
                    }
                    v
                })
                .collect();
            Ok(Json(json!({ "targets": targets })))
        })
        .await
}

//! Dashboards and reports: `GET /api/dashboards` (the built-ins and saved reports),
//! `GET /api/dashboards/{name}` (one board's data, with fixed `filter`s),
//! `POST /api/reports/preview`, `POST /api/reports`, `DELETE /api/reports/{name}`, and
//! `GET /api/embed/{name}` (a board's data for an embed, the token's filters always on).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kesou_query::ask::AskOptions;
use kesou_query::boards::{self, Board, ReportSpec};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiJson, ApiQuery};
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

/// Rows a board shows (a top-N board keeps its N).
const BOARD_ROWS: usize = 200;

fn options() -> AskOptions {
    AskOptions {
        default_limit: BOARD_ROWS,
        ..AskOptions::default()
    }
}

/// Every `filter=` of a query string, in order (`?filter=region=华东&filter=size=大型`).
fn filters_of(raw: Option<String>) -> ApiResult<Vec<String>> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(&raw)?;
    let mut out = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "filter" => out.push(v),
            "token" => {}
            other => {
                return Err(AppError::bad_request(format!(
                    "unknown parameter {other:?}; a board takes filter=FIELD=VALUE (repeatable)"
                )));
            }
        }
    }
    Ok(out)
}

fn serde_urlencoded_pairs(raw: &str) -> ApiResult<Vec<(String, String)>> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{raw}")
            .parse()
            .map_err(|_| AppError::bad_request("malformed query string"))?,
    )
    .map(|q| q.0)
    .map_err(|e| AppError::bad_request(e.body_text()))
}

fn board_json(board: &Board) -> ApiResult<Json<Value>> {
    Ok(Json(
        serde_json::to_value(board).map_err(AppError::internal)?,
    ))
}

/// A board's answer with fixed filters, from the engine's cache when it was computed since
/// the last write.
async fn cached_board(state: &AppState, name: String, filters: Vec<String>) -> ApiResult<Response> {
    let key = format!("{name}\n{}", filters.join("\n"));
    let value = state
        .board(key, move |asker| {
            let fixed = boards::parse_filters(asker.schema(), &filters)?;
            let board = boards::board(asker, &name, &fixed, &options())?;
            serde_json::to_value(&board).map_err(AppError::internal)
        })
        .await?;
    Ok(Json(&*value).into_response())
}

pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    state
        .blocking(|asker| Ok(Json(json!({"dashboards": boards::boards(asker)?}))))
        .await
}

pub async fn show(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let filters = filters_of(raw)?;
    cached_board(&state, name, filters).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenOnly {
    #[serde(default)]
    pub token: String,
}

/// A board's data for an embed: only with a good token, and with the token's filters.
pub async fn embedded(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiQuery(p): ApiQuery<TokenOnly>,
) -> ApiResult<Response> {
    let grant = super::embed::grant(&state, &name, &p.token)
        .map_err(|e| AppError::unauthorized(e.to_string()))?;
    cached_board(&state, grant.dashboard, grant.filters).await
}

/// A report previewed: a spec as for saving, where the name may be left out.
pub async fn preview(
    State(state): State<AppState>,
    ApiJson(mut spec): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    // A preview needs no name yet.
    if spec.get("name").is_none() {
        spec["name"] = json!("preview");
    }
    let spec: ReportSpec =
        serde_json::from_value(spec).map_err(|e| AppError::bad_request(e.to_string()))?;
    state
        .blocking(move |asker| board_json(&boards::preview_report(asker, &spec, &[], &options())?))
        .await
}

pub async fn save(
    State(state): State<AppState>,
    ApiJson(spec): ApiJson<ReportSpec>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let saved = state
        .blocking(move |asker| {
            let saved = boards::save_report(asker, &spec)?;
            Ok((StatusCode::CREATED, Json(json!(saved))))
        })
        .await;
    state.forget_boards();
    saved
}

pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let deleted = state
        .blocking(move |asker| {
            boards::delete_report(asker, &name)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await;
    state.forget_boards();
    deleted
}

/// A user error unless `name` is a dashboard or a saved report.
pub async fn check_name(state: &AppState, name: &str) -> ApiResult<()> {
    let name = name.to_string();
    state
        .blocking(move |asker| {
            let names: Vec<String> = boards::boards(asker)?.into_iter().map(|b| b.name).collect();
            if names.contains(&name) {
                Ok(())
            } else {
                Err(AppError::not_found(format!(
                    "no dashboard {name:?}; the dashboards are {}",
                    names.join(", ")
                )))
            }
        })
        .await
}

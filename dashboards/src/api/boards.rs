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

use kesou_access::{Principal, Use};

use super::{ApiJson, ApiQuery};
use crate::auth::{Caller, ConnectInfoOpt, Done};
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

/// Rows a board shows (a top-N board keeps its N).
const BOARD_ROWS: usize = 200;

fn options(principal: &Principal) -> AskOptions {
    AskOptions {
        default_limit: BOARD_ROWS,
        scope: principal.scope.clone(),
        ..AskOptions::default()
    }
}

/// Every `filter=` of a query string, in order (`?filter=region=华东&filter=size=大型`).
pub(crate) fn filters_of(raw: Option<String>) -> ApiResult<Vec<String>> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(&raw)?;
    let mut out = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "filter" => out.push(v),
            "token" | "offset" | "limit" | "period" => {}
            other => {
                return Err(AppError::bad_request(format!(
                    "unknown parameter {other:?}; a board takes filter=FIELD=VALUE (repeatable), \
                     offset, limit and period (30, 90 or 365 days)"
                )));
            }
        }
    }
    Ok(out)
}

/// How a board is shown: a page of its rows, and the filter bar's period.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct View {
    pub page: Option<(usize, usize)>,
    /// The period in days (30, 90 or 365); none: as the board is (the funnel's flow over
    /// a year).
    pub period: Option<u64>,
}

/// `period=30|90|365`, on any board: each says what the period does to it, or that it
/// does not apply.
pub(crate) fn period_of(raw: Option<&str>) -> ApiResult<Option<u64>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let mut out = None;
    for (k, v) in serde_urlencoded_pairs(raw)? {
        if k == "period" {
            let days = v
                .parse::<u64>()
                .ok()
                .filter(|d| boards::PERIODS.contains(d));
            out = Some(days.ok_or_else(|| {
                AppError::bad_request(format!("period: {v:?}; a period is 30, 90 or 365 (days)"))
            })?);
        }
    }
    Ok(out)
}

/// Most rows of a board's page (`limit`).
const MAX_PAGE: usize = 200;

/// A page of a board's rows: `offset` (from 0) and `limit` (1 to 200), when asked for.
fn page_of(raw: Option<&str>) -> ApiResult<Option<(usize, usize)>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let (mut offset, mut limit) = (None, None);
    for (k, v) in serde_urlencoded_pairs(raw)? {
        let n = || {
            v.parse::<usize>()
                .map_err(|_| AppError::bad_request(format!("{k}: {v:?} is not a whole number")))
        };
        match k.as_str() {
            "offset" => offset = Some(n()?.min(1_000_000)),
            "limit" => {
                let l = n()?;
                if !(1..=MAX_PAGE).contains(&l) {
                    return Err(AppError::bad_request(format!(
                        "limit: {l} is not between 1 and {MAX_PAGE}"
                    )));
                }
                limit = Some(l);
            }
            _ => {}
        }
    }
    Ok(match (offset, limit) {
        (None, None) => None,
        (o, l) => Some((o.unwrap_or(0), l.unwrap_or(20))),
    })
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

/// Reads fixed filters through the one filter reader and refuses any on a field the
/// principal does not see in full (checked on the resolved field, whatever was typed).
pub async fn checked_filters(
    state: &AppState,
    principal: &Principal,
    filters: Vec<String>,
) -> ApiResult<Vec<kesou_nlq::Filter>> {
    let principal = principal.clone();
    state
        .blocking(move |asker| {
            let fixed = kesou_query::parse_filters(asker.schema(), &filters)?;
            principal.check_filters(&fixed)?;
            Ok(fixed)
        })
        .await
}

/// A board's answer with fixed filters within the principal's rows, from the engine's
/// cache when it was computed since the last write (per board, filters and scope); the
/// principal's field rules applied to what is returned.
pub(crate) async fn cached_board(
    state: &AppState,
    principal: Principal,
    name: String,
    filters: Vec<String>,
    view: View,
) -> ApiResult<(Response, Done)> {
    let (value, done) = board_value(state, principal, name, filters, view).await?;
    Ok((Json(value).into_response(), done))
}

/// [`cached_board`]'s answer as JSON.
async fn board_value(
    state: &AppState,
    principal: Principal,
    name: String,
    filters: Vec<String>,
    view: View,
) -> ApiResult<(Value, Done)> {
    let View { page, period } = view;
    let fixed = checked_filters(state, &principal, filters.clone()).await?;
    let scope = principal
        .scope
        .as_ref()
        .map_or_else(|| "*".to_owned(), ToString::to_string);
    let key = format!(
        "{name}\n{}\n{scope}\n{page:?}\n{period:?}",
        filters.join("\n")
    );
    let mut options = options(&principal);
    if let Some((offset, limit)) = page {
        options.offset = offset;
        options.page_size = Some(limit);
    }
    let value = state
        .board(key, move |asker| {
            let board = boards::board_over(asker, &name, &fixed, &options, period)?;
            let mut value = serde_json::to_value(&board).map_err(AppError::internal)?;
            if name == "funnel" {
                let whole = AskOptions {
                    scope: options.scope.clone(),
                    ..AskOptions::default()
                };
                let days = period.unwrap_or(boards::YEAR);
                let flow = boards::flow(asker, &whole, &fixed, days)?;
                value["flow"] = serde_json::to_value(&flow).map_err(AppError::internal)?;
            }
            Ok(value)
        })
        .await?;
    let mut value = (*value).clone();
    let done = Done::of_json(String::new(), &value);
    principal.apply_to_answer_json(&mut value);
    Ok((value, done))
}

/// The combined dashboard of that name when no board has it (a board's name wins).
async fn combo_of(state: &AppState, name: &str) -> ApiResult<Option<boards::SavedCombo>> {
    let name = name.to_owned();
    state
        .blocking(move |asker| {
            if boards::builtin(&name).is_some() || boards::saved_report(asker, &name)?.is_some() {
                return Ok(None);
            }
            Ok(boards::saved_combo(asker, &name)?)
        })
        .await
}

/// An embedded combined dashboard: each of its boards as [`cached_board`] answers it for
/// the viewer with the link's filters, a board deleted since as its name and `missing`.
async fn embedded_combo(
    state: &AppState,
    viewer: Principal,
    combo: boards::SavedCombo,
    filters: Vec<String>,
) -> ApiResult<(Response, Done)> {
    let mut shown = Vec::with_capacity(combo.boards.len());
    for name in &combo.boards {
        let view = View::default();
        match board_value(state, viewer.clone(), name.clone(), filters.clone(), view).await {
            Ok((value, _)) => shown.push(value),
            Err(e) if e.code == crate::error::Code::NotFound => {
                shown.push(json!({"name": name, "missing": true}));
            }
            Err(e) => return Err(e),
        }
    }
    let value = json!({"name": combo.name, "title": combo.title, "combo": true, "boards": shown});
    Ok((Json(value).into_response(), Done::default()))
}

pub async fn list(State(state): State<AppState>, _caller: Caller) -> ApiResult<Json<Value>> {
    state
        .blocking(|asker| Ok(Json(json!({"dashboards": boards::boards(asker)?}))))
        .await
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let input = format!("{name} {}", raw.as_deref().unwrap_or(""));
    caller.spend(&state, Use::Query, "dashboard", &input)?;
    let page = page_of(raw.as_deref());
    let period = period_of(raw.as_deref());
    let result = match (filters_of(raw), page, period) {
        (Ok(filters), Ok(page), Ok(period)) => {
            let view = View { page, period };
            cached_board(&state, caller.principal.clone(), name, filters, view).await
        }
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
    };
    caller.record(&state, "dashboard", &input, result)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenOnly {
    #[serde(default)]
    pub token: String,
}

/// A board's data for an embed: only with a good token, and with the token's filters. The
/// viewer sees what the link's maker may see now (their rows, their role's field rules, the
/// filters checked against them again), nothing once the maker is disabled; views are
/// rate-limited per viewing address.
pub async fn embedded(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ConnectInfoOpt(from): ConnectInfoOpt,
    ApiQuery(p): ApiQuery<TokenOnly>,
) -> ApiResult<Response> {
    let grant = super::embed::grant(&state, &name, &p.token)
        .map_err(|e| AppError::unauthorized(e.to_string()))?;
    let viewer_name = format!("embed:{}", grant.by);
    let mut caller = Caller {
        principal: Principal::for_role(
            &viewer_name,
            grant.role,
            grant.scope.clone(),
            state.gate().policy(),
        ),
        from: from.clone(),
    };
    let input = format!("{} {}", grant.dashboard, grant.filters.join(" "));
    if let Err(e) = state.gate().spend(&format!("embed@{from}"), Use::Query) {
        return caller.record(&state, "embed", &input, Err(e.into()));
    }
    if !grant.local && !state.open_demo()? {
        match state.gate().principal_of(&grant.by) {
            Ok(maker) => {
                caller.principal = Principal {
                    name: viewer_name,
                    ..maker
                };
            }
            Err(e) => return caller.record(&state, "embed", &input, Err(e.into())),
        }
    }
    let viewer = caller.principal.clone();
    let result = match combo_of(&state, &grant.dashboard).await {
        Ok(Some(combo)) => embedded_combo(&state, viewer, combo, grant.filters).await,
        Ok(None) => {
            let view = View::default();
            cached_board(&state, viewer, grant.dashboard, grant.filters, view).await
        }
        Err(e) => Err(e),
    };
    caller.record(&state, "embed", &input, result)
}

/// A report previewed: a spec as for saving, where the name may be left out.
pub async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(mut spec): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    let input = spec.to_string();
    caller.spend(&state, Use::Query, "report", &input)?;
    let principal = caller.principal.clone();
    let result = preview_of(&state, principal, spec.take()).await;
    caller.record(&state, "report", &input, result)
}

async fn preview_of(
    state: &AppState,
    principal: Principal,
    mut spec: Value,
) -> ApiResult<(Json<Value>, Done)> {
    // A preview needs no name yet.
    if spec.get("name").is_none() {
        spec["name"] = json!("preview");
    }
    let spec: ReportSpec =
        serde_json::from_value(spec).map_err(|e| AppError::bad_request(e.to_string()))?;
    state
        .blocking(move |asker| {
            principal.check_query(&spec.query(asker)?, None)?;
            let board = boards::preview_report(asker, &spec, &[], &options(&principal))?;
            let Json(mut value) = board_json(&board)?;
            let done = Done::of_json(board.answer.explain.clone(), &value);
            principal.apply_to_answer_json(&mut value);
            Ok((Json(value), done))
        })
        .await
}

/// Who saves or deletes a report or a combined dashboard.
pub(super) fn author(principal: &kesou_access::Principal) -> boards::Author<'_> {
    boards::Author {
        name: &principal.name,
        admin: principal.role == kesou_access::Role::Admin,
    }
}

pub async fn save(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(spec): ApiJson<ReportSpec>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = format!("save {}", serde_json::to_string(&spec).unwrap_or_default());
    let principal = caller.principal.clone();
    let result = match caller.may_write() {
        Ok(()) => {
            state
                .blocking(move |asker| {
                    principal.check_query(&spec.query(asker)?, None)?;
                    let saved = boards::save_report(asker, &spec, author(&principal))?;
                    Ok(((StatusCode::CREATED, Json(json!(saved))), Done::default()))
                })
                .await
        }
        Err(e) => Err(e),
    };
    state.forget_boards();
    caller.record(&state, "report", &input, result)
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let input = format!("delete {name}");
    let principal = caller.principal.clone();
    let result = match caller.may_write() {
        Ok(()) => {
            state
                .blocking(move |asker| {
                    boards::delete_report(asker, &name, author(&principal))?;
                    Ok((StatusCode::NO_CONTENT, Done::default()))
                })
                .await
        }
        Err(e) => Err(e),
    };
    state.forget_boards();
    caller.record(&state, "report", &input, result)
}

/// A saved report as saved (its spec: title, dimension, measure, filters, question), for
/// the report builder to edit; saving it again under its name replaces it.
pub async fn report(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    state
        .blocking(move |asker| match boards::saved_report(asker, &name)? {
            Some(r) => Ok(Json(json!(r))),
            None => Err(AppError::not_found(format!(
                "no saved report is named {name:?}"
            ))),
        })
        .await
}

/// A user error unless `name` is a dashboard, a saved report or a combined dashboard.
pub async fn check_name(state: &AppState, name: &str) -> ApiResult<()> {
    let name = name.to_string();
    state
        .blocking(move |asker| {
            let mut names: Vec<String> =
                boards::boards(asker)?.into_iter().map(|b| b.name).collect();
            names.extend(boards::saved_combos(asker)?.into_iter().map(|c| c.name));
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

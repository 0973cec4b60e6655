//! Combined dashboards: `GET /api/combos` (every one), `POST /api/combos` (save a name,
//! a title and boards in order; saving again under the name replaces it),
//! `GET /api/combos/{name}` (one, with each board's listing) and `DELETE /api/combos/{name}`.
//! The page then asks each board as `GET /api/dashboards/{board}` with the page's filters
//! and period, so every chart stays within the caller's rows and field rules as it would
//! alone; saving refuses a report whose fields the saver may not use, as saving the report
//! itself would.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kesou_query::boards::{self, ComboSpec};
use serde_json::{Value, json};

use super::ApiJson;
use super::boards::author;
use crate::auth::{Caller, Done};
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

pub async fn list(State(state): State<AppState>, _caller: Caller) -> ApiResult<Json<Value>> {
    state
        .blocking(|asker| Ok(Json(json!({"combos": boards::saved_combos(asker)?}))))
        .await
}

/// One combined dashboard: its name, title, boards, owner, and `charts`, each board's
/// listing (title, chart kind) or, for a board deleted since, its name and `missing`.
pub async fn open(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    state
        .blocking(move |asker| {
            let Some(combo) = boards::saved_combo(asker, &name)? else {
                return Err(AppError::not_found(format!(
                    "no combined dashboard is named {name:?}"
                )));
            };
            let listed = boards::boards(asker)?;
            let charts: Vec<Value> = combo
                .boards
                .iter()
                .map(|b| match listed.iter().find(|i| &i.name == b) {
                    Some(info) => json!(info),
                    None => json!({"name": b, "missing": true}),
                })
                .collect();
            let mut value = json!(combo);
            value["charts"] = json!(charts);
            Ok(Json(value))
        })
        .await
}

pub async fn save(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(spec): ApiJson<ComboSpec>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = format!("save {}", serde_json::to_string(&spec).unwrap_or_default());
    let principal = caller.principal.clone();
    let result = match caller.may_write() {
        Ok(()) => {
            state
                .blocking(move |asker| {
                    spec.check(asker)?;
                    for name in &spec.boards {
                        if let Some(r) = boards::saved_report(asker, name)? {
                            principal.check_query(&r.spec.query(asker)?, None)?;
                        }
                    }
                    let saved = boards::save_combo(asker, &spec, author(&principal))?;
                    Ok(((StatusCode::CREATED, Json(json!(saved))), Done::default()))
                })
                .await
        }
        Err(e) => Err(e),
    };
    caller.record(&state, "combo", &input, result)
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
                    boards::delete_combo(asker, &name, author(&principal))?;
                    Ok((StatusCode::NO_CONTENT, Done::default()))
                })
                .await
        }
        Err(e) => Err(e),
    };
    caller.record(&state, "combo", &input, result)
}

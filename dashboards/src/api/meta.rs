//! `GET /api/health` and `GET /api/openapi.json`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::error::{ApiResult, AppError};
use crate::state::AppState;

/// The OpenAPI document of the API (kept beside the code; a test checks that every route is
/// in it and every path in it is routed).
pub const OPENAPI: &str = include_str!("../openapi.json");

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

pub async fn health(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let demo = state.demo();
    let uptime = state.uptime_secs();
    state
        .blocking(move |asker| {
            let conn = asker.connection();
            let customers: i64 = conn
                .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
                .map_err(AppError::internal)?;
            let generation = kesou_indexer::store::generation(conn)?;
            Ok(Json(json!({
                "status": "ok",
                "customers": customers,
                "as_of": asker.as_of().to_string(),
                "generation": generation,
                "index_stale": asker.is_stale(),
                "demo": demo,
                "uptime_secs": uptime,
            })))
        })
        .await
}

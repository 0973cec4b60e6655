//! `GET /api/health`, `GET /api/openapi.json` and `GET /api/fields`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use kesou_nlq::FieldKind;
use serde_json::{Value, json};

use kesou_access::FieldAccess;

use crate::auth::Caller;
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

/// The OpenAPI document of the API (kept beside the code; a test checks that every route is
/// in it and every path in it is routed).
pub const OPENAPI: &str = include_str!("../openapi.json");

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// `GET /api/health`: whether the server is up, to anyone (a load balancer, a probe);
/// what the store holds (customers, as_of, generation) only to a logged-in caller.
pub async fn health(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let demo = state.demo();
    let login_required = !state.open_demo()?;
    let uptime = state.uptime_secs();
    if login_required && !crate::auth::signed_in(&state, &headers) {
        return Ok(Json(json!({
            "status": "ok",
            "demo": demo,
            "login_required": login_required,
        })));
    }
    let background = state.semantic_background().map(|b| b.snapshot());
    state
        .blocking(move |asker| {
            // Search by meaning: off (no model), ready, or how far embedding has got.
            let semantic = match (&background, asker.searcher().and_then(|s| s.semantic())) {
                (Some(b), _) => serde_json::to_value(b).map_err(AppError::internal)?,
                (None, Some(_)) => json!({ "stage": "ready" }),
                (None, None) => json!({ "stage": "off" }),
            };
            let (customers, generation) = asker.holds()?;
            Ok(Json(json!({
                "status": "ok",
                "customers": customers,
                "as_of": asker.as_of().to_string(),
                "generation": generation,
                "index_stale": asker.is_stale(),
                "demo": demo,
                "login_required": login_required,
                "uptime_secs": uptime,
                "semantic": semantic,
            })))
        })
        .await
}

/// `GET /api/fields`: what the report builder offers: dimensions (categories and tags to
/// group by), measures (numbers to sum or average) and filterable fields, with their labels;
/// `custom` marks the store's own fields (客户来源 …), listed after the contract's.
pub async fn fields(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let principal = caller.principal;
    state
        .blocking(move |asker| {
            let schema = asker.schema();
            let filterable = kesou_query::boards::filterable(schema);
            // Hidden fields are not offered; masked ones are shown but not to filter on.
            let fields: Vec<Value> = schema
                .fields
                .iter()
                .filter(|f| principal.access(&f.name) != FieldAccess::Hide)
                .map(|f| {
                    let full = principal.access(&f.name) == FieldAccess::Show;
                    json!({
                        "name": f.name,
                        "label": f.label,
                        "label_en": english_label(&f.words).unwrap_or(&f.name),
                        "kind": f.kind,
                        "dimension": full && matches!(f.kind, FieldKind::Category | FieldKind::Tags),
                        "measure": full && matches!(f.kind, FieldKind::Number | FieldKind::Money | FieldKind::Ratio),
                        "filter": full && filterable.contains(&f.name.as_str()),
                        "custom": kesou_query::ask::is_custom(schema, &f.name),
                    })
                })
                .collect();
            Ok(Json(json!({ "fields": fields })))
        })
        .await
}

/// The first English word of a field (`annual purchase`), for the English UI.
fn english_label(words: &[String]) -> Option<&str> {
    words
        .iter()
        .find(|w| w.chars().all(|c| c.is_ascii_alphabetic() || c == ' '))
        .map(String::as_str)
}

//! `GET /api/suggest?q=…`: search-as-you-type (field words, values, tags, customer names,
//! example questions completing what was typed). Answered from memory in microseconds, so
//! it runs on the async thread.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiQuery;
use crate::auth::Caller;
use crate::error::{ApiResult, AppError, Code};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestParams {
    #[serde(default)]
    pub q: String,
}

/// Suggestions are not written to the audit log (they are keystrokes, not questions) but
/// count against the caller's rate limit and keep to their rows.
pub async fn suggest(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<SuggestParams>,
) -> ApiResult<Json<Value>> {
    caller.spend(&state, kesou_access::Use::Query, "suggest", &p.q)?;
    if p.q.chars().count() > kesou_query::ask::MAX_QUESTION_CHARS {
        return Err(AppError::new(
            Code::TooLarge,
            "type at most 500 characters for suggestions",
        ));
    }
    let suggestions = state
        .suggester()
        .suggest_in(&p.q, caller.principal.scope.as_ref());
    Ok(Json(json!({ "suggestions": suggestions })))
}

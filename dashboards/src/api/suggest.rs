//! `GET /api/suggest?q=…`: search-as-you-type (field words, values, tags, customer names,
//! ids, example questions completing what was typed). Answered from memory in microseconds
//! on the async thread; only a last word that may be pinyin or initials (hengrui, hrjm)
//! goes to the search index's pinyin fields, on the blocking pool.

use axum::Json;
use axum::extract::State;
use kesou_query::SearchRequest;
use kesou_query::suggest::{Suggestion, SuggestionKind};
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
    let mut suggestions = state
        .suggester()
        .suggest_in(&p.q, caller.principal.scope.as_ref());
    if let Some(word) = pinyin_word(&p.q)
        && customers(&suggestions) < PINYIN_CUSTOMERS
    {
        let scope = caller.principal.scope.clone();
        let found = state
            .blocking(move |asker| {
                let Some(searcher) = asker.searcher() else {
                    return Ok(Vec::new());
                };
                let req = SearchRequest {
                    text: word,
                    filters: Vec::new(),
                    facets: Vec::new(),
                    limit: PINYIN_CUSTOMERS,
                    offset: 0,
                    scope,
                    // Names are looked up, not the store's own fields.
                    hide_custom_text: true,
                };
                Ok(searcher.search_words(&req)?.hits)
            })
            .await?;
        let by_pinyin: Vec<Suggestion> = found
            .into_iter()
            .filter(|hit| !suggestions.iter().any(|s| s.id.as_deref() == Some(&hit.id)))
            .map(|hit| Suggestion {
                text: hit.name,
                label: hit.id.clone(),
                kind: SuggestionKind::Customer,
                id: Some(hit.id),
            })
            .collect();
        // Typed pinyin means a customer: they come first.
        suggestions.splice(0..0, by_pinyin);
        suggestions.truncate(kesou_query::suggest::MAX_SUGGESTIONS);
    }
    Ok(Json(json!({ "suggestions": suggestions })))
}

/// Customers found by the pinyin or initials of their names (hengrui, hrjm) when the
/// suggester's names found fewer.
const PINYIN_CUSTOMERS: usize = 4;

fn customers(s: &[Suggestion]) -> usize {
    s.iter()
        .filter(|s| s.kind == SuggestionKind::Customer)
        .count()
}

/// What was typed when it may be the pinyin or initials of a name: one word of ASCII
/// letters, 2 to 40 (an English question has more words; an id, C00001, is the
/// suggester's).
fn pinyin_word(q: &str) -> Option<String> {
    let word = q.trim();
    (word.len() >= 2 && word.len() <= 40 && word.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| word.to_ascii_lowercase())
}

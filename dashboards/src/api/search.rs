//! `POST /api/search`: words, filters and facets over the index (as `kesou search`).

use axum::Json;
use axum::extract::State;
use kesou_query::{Filter, SearchRequest, SearchResults};
use serde::Deserialize;

use super::ApiJson;
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    #[serde(default)]
    pub q: String,
    /// `FIELD<op>VALUE`: `region=华东`, `annual_purchase>=1000000`.
    #[serde(default)]
    pub filters: Vec<String>,
    /// Fields to count values of: region, province, city, industry, size, lifecycle …
    #[serde(default)]
    pub facets: Vec<String>,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub offset: usize,
}

/// Longest search text we read.
pub const MAX_SEARCH_CHARS: usize = 500;

pub async fn search(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SearchBody>,
) -> ApiResult<Json<SearchResults>> {
    if body.q.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::new(
            crate::error::Code::TooLarge,
            format!("search in at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    let filters = body
        .filters
        .iter()
        .map(|f| f.parse::<Filter>())
        .collect::<Result<Vec<_>, _>>()?;
    let limit = body.limit.unwrap_or(20);
    if limit == 0 || limit > kesou_query::MAX_SEARCH_LIMIT {
        return Err(AppError::bad_request(format!(
            "limit must be between 1 and {}",
            kesou_query::MAX_SEARCH_LIMIT
        )));
    }
    let req = SearchRequest {
        text: body.q,
        filters,
        facets: body.facets,
        limit,
        offset: body.offset,
    };
    state
        .blocking(move |asker| {
            let searcher = asker
                .searcher()
                .ok_or_else(|| AppError::internal("the store has no index"))?;
            Ok(Json(searcher.search(&req)?))
        })
        .await
}

//! `POST /api/search`: words, filters and facets over the index (as `kesou search`).

use axum::Json;
use axum::extract::State;
use kesou_query::{Filter, SearchRequest, SearchResults};
use serde::Deserialize;

use kesou_access::{FieldAccess, FieldUse, Use};

use super::ApiJson;
use super::bounded::{Offset, PageLength};
use crate::auth::{Caller, Done};
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
    pub limit: Option<PageLength>,
    #[serde(default)]
    pub offset: Offset,
}

/// Longest search text we read.
pub const MAX_SEARCH_CHARS: usize = 500;

pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SearchBody>,
) -> ApiResult<Json<SearchResults>> {
    let input = std::iter::once(body.q.clone())
        .chain(body.filters.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    caller.spend(&state, Use::Query, "search", &input)?;
    let principal = caller.principal.clone();
    let result = run(&state, body, principal).await;
    Ok(Json(caller.record(&state, "search", &input, result)?))
}

async fn run(
    state: &AppState,
    body: SearchBody,
    principal: kesou_access::Principal,
) -> ApiResult<(SearchResults, Done)> {
    if body.q.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::new(
            crate::error::Code::TooLarge,
            format!("search in at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    state
        .blocking(move |asker| {
            // Read through the one filter reader, then checked on the fields they resolved
            // to (CONTACT_PHONE≠… is contact_phone, and refused to whoever sees it masked).
            let typed = kesou_query::parse_filters(asker.schema(), &body.filters)?;
            principal.check_filters(&typed)?;
            for facet in &body.facets {
                principal.may(FieldUse::Facet, facet)?;
            }
            let schema = asker.schema();
            // The text of the store's own fields is searched only for who sees them all.
            let hide_custom_text = schema.fields.iter().any(|f| {
                kesou_query::ask::is_custom(schema, &f.name)
                    && principal.access(&f.name) != FieldAccess::Show
            });
            let req = SearchRequest {
                text: body.q,
                filters: typed
                    .iter()
                    .map(|f| Filter::from_question_in(schema, f))
                    .collect::<Result<_, _>>()?,
                facets: kesou_query::facets::resolve(schema, &body.facets)?,
                limit: body.limit.map_or(20, PageLength::get),
                offset: body.offset.get(),
                scope: principal.scope.clone(),
                hide_custom_text,
            };
            let searcher = asker
                .searcher()
                .ok_or_else(|| AppError::internal("the store has no index"))?;
            let mut found = searcher.search(&req)?;
            // The fields a hit shows, under the caller's field rules.
            for hit in &mut found.hits {
                if principal.access("annual_purchase") != FieldAccess::Show {
                    hit.annual_purchase = None;
                }
                if principal.access("owner") != FieldAccess::Show {
                    hit.owner = None;
                }
            }
            let done = Done {
                interpretation: String::new(),
                rows: found.hits.len() as u64,
                customers: found.hits.iter().map(|h| h.id.clone()).collect(),
            };
            Ok((found, done))
        })
        .await
}

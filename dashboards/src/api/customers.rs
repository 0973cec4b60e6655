//! `GET /api/customers/{id}` (the profile: the row, recent orders and interactions, monthly
//! purchases, RFM, churn risk) and `GET /api/customers/{id}/similar` (customers like this
//! one, with the reasons).

use std::time::Instant;

use axum::Json;
use axum::extract::{Path, State};
use kesou_query::ask::similar_table;
use kesou_query::profile::ProfileOptions;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiQuery;
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

/// Most similar customers one request returns.
pub const MAX_SIMILAR: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimilarParams {
    #[serde(default)]
    pub k: Option<usize>,
}

/// Ids are short and plain: anything else is not an id of ours.
pub fn check_id(id: &str) -> ApiResult<()> {
    if id.is_empty() || id.len() > 64 || id.chars().any(|c| c.is_control()) {
        return Err(AppError::not_found(format!("no customer {id:?}")));
    }
    Ok(())
}

pub async fn profile(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    check_id(&id)?;
    state
        .blocking(move |asker| {
            let p = kesou_query::profile::profile(asker, &id, &ProfileOptions::default())?;
            Ok(Json(serde_json::to_value(p).map_err(AppError::internal)?))
        })
        .await
}

pub async fn similar(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<SimilarParams>,
) -> ApiResult<Json<Value>> {
    check_id(&id)?;
    let k = params.k.unwrap_or(10);
    if k == 0 || k > MAX_SIMILAR {
        return Err(AppError::bad_request(format!(
            "k must be between 1 and {MAX_SIMILAR}"
        )));
    }
    state
        .blocking(move |asker| {
            let started = Instant::now();
            let conn = asker.connection();
            let found = asker.lookalike()?.similar(conn, &[id], None, k)?;
            let fields = ["region", "province", "industry", "size", "annual_purchase"];
            let table = similar_table(conn, asker.schema(), &found, &fields)?;
            let mut out = serde_json::to_value(&table).map_err(AppError::internal)?;
            out["seeds"] = json!(found.seeds);
            out["took_ms"] = json!(super::millis(started));
            Ok(Json(out))
        })
        .await
}

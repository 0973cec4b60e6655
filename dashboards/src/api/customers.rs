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

use kesou_access::Use;
use kesou_query::lookalike::Candidates;

use super::ApiQuery;
use crate::auth::{Caller, Done};
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

/// Most similar customers one request returns.
pub const MAX_SIMILAR: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimilarParams {
    #[serde(default)]
    pub k: Option<super::bounded::Bounded<1, { MAX_SIMILAR as u64 }>>,
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
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.spend(&state, Use::Query, "profile", &id)?;
    let principal = caller.principal.clone();
    let key = id.clone();
    let result = match check_id(&id) {
        Ok(()) => {
            state
                .blocking(move |asker| {
                    let options = ProfileOptions {
                        scope: principal.scope.clone(),
                        ..ProfileOptions::default()
                    };
                    let mut p = kesou_query::profile::profile(asker, &id, &options)?;
                    p.fields
                        .retain_mut(|f| match principal.apply_to_value(&f.name, &f.value) {
                            Some(v) => {
                                f.value = v;
                                true
                            }
                            None => false,
                        });
                    let done = Done {
                        interpretation: String::new(),
                        rows: 1,
                        customers: vec![p.id.clone()],
                    };
                    Ok((
                        Json(serde_json::to_value(p).map_err(AppError::internal)?),
                        done,
                    ))
                })
                .await
        }
        Err(e) => Err(e),
    };
    caller.record(&state, "profile", &key, result)
}

pub async fn similar(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<SimilarParams>,
) -> ApiResult<Json<Value>> {
    caller.spend(&state, Use::Query, "similar", &id)?;
    let key = id.clone();
    let result = similar_of(&state, &caller, id, params).await;
    caller.record(&state, "similar", &key, result)
}

async fn similar_of(
    state: &AppState,
    caller: &Caller,
    id: String,
    params: SimilarParams,
) -> ApiResult<(Json<Value>, Done)> {
    check_id(&id)?;
    let principal = caller.principal.clone();
    let k = params.k.map_or(10, |k| k.get());
    state
        .blocking(move |asker| {
            let started = Instant::now();
            let conn = asker.connection();
            let scope = principal.scope.as_ref();
            let candidates = Candidates::within(&[], scope)?;
            let found =
                asker
                    .lookalike()?
                    .similar_in(conn, &[id], candidates.as_ref(), k, scope)?;
            let fields = ["region", "province", "industry", "size", "annual_purchase"];
            let mut table = similar_table(conn, asker.schema(), &found, &fields)?;
            let done = Done::of_table(String::new(), &table);
            principal.apply_to_table(&mut table);
            let mut out = serde_json::to_value(&table).map_err(AppError::internal)?;
            out["seeds"] = json!(found.seeds);
            out["took_ms"] = json!(super::millis(started));
            Ok((Json(out), done))
        })
        .await
}

//! `GET /api/overview`: the home page's figures (customers, 年采购额 and its change, new
//! customers, 流失风险高, 高意向待转化) within the caller's rows, each with the app address
//! of what it counts (see `kesou_query::boards::overview`).

use axum::Json;
use axum::extract::{RawQuery, State};
use kesou_access::Use;
use kesou_query::ask::AskOptions;
use kesou_query::boards;
use serde_json::Value;

use crate::auth::{Caller, Done};
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

/// The overview, with the page's `filter=FIELD=VALUE`s (repeatable) as on a board.
pub async fn overview(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Value>> {
    let input = raw.clone().unwrap_or_default();
    caller.spend(&state, Use::Query, "overview", &input)?;
    let options = AskOptions {
        scope: caller.principal.scope.clone(),
        ..AskOptions::default()
    };
    let result = async {
        let filters = super::boards::filters_of(raw)?;
        let fixed = super::boards::checked_filters(&state, &caller.principal, filters).await?;
        state
            .blocking(move |asker| {
                let overview = boards::overview(asker, &options, &fixed)?;
                let done = Done {
                    interpretation: "overview".to_owned(),
                    rows: overview.kpis.len() as u64,
                    customers: Vec::new(),
                };
                let json = serde_json::to_value(&overview).map_err(AppError::internal)?;
                Ok((json, done))
            })
            .await
    }
    .await;
    Ok(Json(caller.record(&state, "overview", &input, result)?))
}

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

/// The overview, with the page's `filter=FIELD=VALUE`s (repeatable) as on a board and its
/// `period` (30, 90 or 365 days).
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
        // `period=30|90|365` (days; default 365) beside the board-like `filter=`s.
        let (period, rest): (Vec<&str>, Vec<&str>) = raw
            .as_deref()
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
            .partition(|p| p.starts_with("period="));
        let days = match period.last() {
            None => boards::YEAR,
            Some(p) => p["period=".len()..].parse::<u64>().map_err(|_| {
                AppError::bad_request(format!("{p}: a period is 30, 90 or 365 (days)"))
            })?,
        };
        let filters = super::boards::filters_of(Some(rest.join("&")))?;
        let fixed = super::boards::checked_filters(&state, &caller.principal, filters).await?;
        state
            .blocking(move |asker| {
                let overview = boards::overview(asker, &options, &fixed, days)?;
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

//! Dashboards and saved reports, as the server names them.

use crate::error::{ApiResult, AppError};
use crate::state::AppState;

/// The built-in dashboards, by the names embed links use.
pub const BUILTIN: &[&str] = &["map", "top20", "churn", "funnel", "rfm", "matrix"];

/// A user error unless `name` is a dashboard or a saved report.
pub async fn check_name(_state: &AppState, name: &str) -> ApiResult<()> {
    if BUILTIN.contains(&name) {
        return Ok(());
    }
    Err(AppError::not_found(format!(
        "no dashboard {name:?}; the dashboards are {}",
        BUILTIN.join(", ")
    )))
}

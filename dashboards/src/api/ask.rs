//! `POST /api/ask` (a question → the DOMAIN.md answer, plus chips) and `POST /api/export`
//! (the same question's every row as CSV).

use std::time::Instant;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kesou_nlq::{Query, Sort};
use kesou_query::ask::{Answer, AskOptions, Asker, MAX_QUESTION_CHARS};
use serde::Deserialize;
use serde_json::{Value, json};

use kesou_access::Use;

use super::ApiJson;
use super::bounded::{Offset, PageLength};
use crate::auth::{Caller, Done};
use crate::error::{ApiResult, AppError, Code};
use crate::state::AppState;
use kesou_query::export;

/// A question, or a question's interpretation edited by the user, and which page of rows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    /// The question as typed.
    pub q: String,
    /// An interpretation (as an answer returned it, possibly edited) to run instead of
    /// parsing `q` again.
    #[serde(default)]
    pub query: Option<Query>,
    /// Filters of the interpretation to leave out (a chip's ×), by position.
    #[serde(default)]
    pub drop: Vec<usize>,
    /// Order by this column instead.
    #[serde(default)]
    pub sort: Option<SortBy>,
    #[serde(default)]
    pub offset: Offset,
    /// Rows per page (default 20; an explicit top-N in the question still applies).
    #[serde(default)]
    pub limit: Option<PageLength>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SortBy {
    pub by: String,
    #[serde(default)]
    pub desc: bool,
}

impl AskRequest {
    /// The query to run: parsed (or given), with the user's drops and sort applied.
    fn query(&self, asker: &Asker) -> ApiResult<Query> {
        let mut query = match &self.query {
            Some(q) => q.clone(),
            None => {
                check_question(&self.q)?;
                asker.parse(&self.q)
            }
        };
        if let Some(&bad) = self.drop.iter().find(|&&i| i >= query.filters.len()) {
            return Err(AppError::bad_request(format!(
                "drop: the interpretation has {} filters; there is no filter {bad}",
                query.filters.len()
            )));
        }
        let mut i = 0;
        query.filters.retain(|_| {
            i += 1;
            !self.drop.contains(&(i - 1))
        });
        Ok(query)
    }

    /// The page and ordering asked for, within the caller's rows.
    fn options(&self, caller: &Caller) -> AskOptions {
        AskOptions {
            offset: self.offset.get(),
            page_size: Some(self.limit.map_or(20, PageLength::get)),
            sort: self.sort.as_ref().map(|s| Sort {
                field: s.by.clone(),
                descending: s.desc,
                span: None,
            }),
            scope: caller.principal.scope.clone(),
            ..AskOptions::default()
        }
    }

    /// What the audit log says was asked.
    fn input(&self) -> String {
        if self.query.is_some() {
            format!("{} (edited)", self.q)
        } else {
            self.q.clone()
        }
    }
}

/// A question must be something to read, and not a paste accident.
fn check_question(q: &str) -> ApiResult<()> {
    let chars = q.chars().count();
    if chars > MAX_QUESTION_CHARS {
        return Err(AppError::new(
            Code::TooLarge,
            format!("the question has {chars} characters; ask in at most {MAX_QUESTION_CHARS}"),
        ));
    }
    if !q.chars().any(char::is_alphanumeric) {
        return Err(AppError::bad_request(
            "ask a question, e.g. \"tech customers in East China\" or \"customers by province\"",
        ));
    }
    Ok(())
}

/// The answer as JSON: the DOMAIN.md contract, the chips, the time taken.
pub fn answer_json(answer: Answer, asker: &Asker, started: Instant) -> Value {
    let chips = kesou_nlq::chips(&answer.interpretation, asker.schema());
    let mut out = serde_json::to_value(&answer).expect("an answer serialises");
    out["chips"] = serde_json::to_value(chips).expect("chips serialise");
    out["took_ms"] = json!(super::millis(started));
    out
}

pub async fn ask(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<AskRequest>,
) -> ApiResult<Response> {
    let input = req.input();
    caller.spend(&state, Use::Query, "ask", &input)?;
    let principal = caller.principal.clone();
    let options = req.options(&caller);
    let result = state
        .blocking(move |asker| {
            let started = Instant::now();
            let query = req.query(asker)?;
            principal.check_query(&query, options.sort.as_ref())?;
            let mut answer = asker.run(&query, &options)?;
            let done = Done::of_table(answer.explain.clone(), &answer.table);
            principal.apply_to_table(&mut answer.table);
            Ok((answer_json(answer, asker, started), done))
        })
        .await;
    let out = caller.record(&state, "ask", &input, result)?;
    Ok(axum::Json(out).into_response())
}

/// Most rows an export writes.
pub const MAX_EXPORT_ROWS: usize = kesou_query::MAX_ROWS;

pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<AskRequest>,
) -> ApiResult<Response> {
    let input = req.input();
    caller.spend(&state, Use::Export, "export", &input)?;
    let principal = caller.principal.clone();
    let scope_caller = caller.clone();
    let result = state
        .blocking(move |asker| {
            let query = req.query(asker)?;
            let options = AskOptions {
                all: true,
                page_size: Some(MAX_EXPORT_ROWS),
                ..req.options(&scope_caller)
            };
            principal.check_query(&query, options.sort.as_ref())?;
            let mut answer = asker.run(&query, &options)?;
            let truncated = (answer.table.total as usize) > answer.table.rows.len();
            let done = Done::of_table(answer.explain.clone(), &answer.table);
            principal.apply_to_table(&mut answer.table);
            let csv = export::csv(&answer.table).map_err(AppError::internal)?;
            Ok(((csv, truncated), done))
        })
        .await;
    let (csv, truncated) = caller.record(&state, "export", &input, result)?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"kesou-{stamp}.csv\""),
            ),
            (
                header::HeaderName::from_static("x-kesou-truncated"),
                truncated.to_string(),
            ),
        ],
        csv,
    )
        .into_response())
}

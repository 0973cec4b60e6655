//! Embed tokens over HTTP: `POST /api/embed-tokens` makes one; `GET /embed/{name}` serves the
//! chrome-less page when the token is good, and a plain refusal when it is not.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiJson;
use crate::auth::{Caller, Done};
use crate::embed::{Grant, MAX_TTL_SECS, TokenError};
use crate::error::{ApiResult, AppError, Code};
use crate::state::AppState;
use kesou_access::Use;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub dashboard: String,
    #[serde(default)]
    pub filters: Vec<String>,
    /// Seconds the token lives (default a day, at most 366 days).
    #[serde(default)]
    pub expires_in: Option<Ttl>,
}

/// How long a token lives, in seconds.
pub type Ttl = super::bounded::Bounded<1, { MAX_TTL_SECS as u64 }>;

pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let input = format!("{} {}", req.dashboard, req.filters.join(" "));
    caller.spend(&state, Use::Query, "embed-token", &input)?;
    let result = make_token(&state, &caller, req).await;
    caller.record(&state, "embed-token", &input, result)
}

async fn make_token(
    state: &AppState,
    caller: &Caller,
    req: TokenRequest,
) -> ApiResult<((StatusCode, Json<Value>), Done)> {
    // A link shows data to whoever holds it: only those who may share data make one.
    if !caller.principal.role.may_write() {
        return Err(AppError::new(
            Code::Forbidden,
            format!(
                "your role ({}) may not make embed links; ask an administrator or a manager",
                caller.principal.role
            ),
        ));
    }
    let ttl = req.expires_in.map_or(86_400, |t| t.get() as i64);
    // The filters must be ones the maker may use (a masked contact is no filter of theirs).
    super::boards::checked_filters(state, &caller.principal, req.filters.clone()).await?;
    super::boards::check_name(state, &req.dashboard).await?;
    let expires_at = chrono::Utc::now().timestamp() + ttl;
    let grant = Grant {
        dashboard: req.dashboard,
        filters: req.filters,
        expires_at,
        by: caller.principal.name.clone(),
        role: caller.principal.role,
        scope: caller.principal.scope.clone(),
        local: false,
    };
    let token = state.signer().sign(&grant);
    let url = embed_url(state.public_url(), &grant.dashboard, &token);
    Ok((
        (
            StatusCode::CREATED,
            Json(json!({
                "token": token,
                "url": url,
                "expires_at": chrono::DateTime::from_timestamp(expires_at, 0).map(|t| t.to_rfc3339()),
                "iframe": format!(
                    "<iframe src=\"{url}\" width=\"100%\" height=\"480\" style=\"border:0\" loading=\"lazy\"></iframe>"
                ),
            })),
        ),
        Done::default(),
    ))
}

/// The link another page embeds.
pub fn embed_url(base: &str, dashboard: &str, token: &str) -> String {
    format!("{base}/embed/{dashboard}?token={token}")
}

#[derive(Debug, Deserialize)]
pub struct TokenParam {
    #[serde(default)]
    pub token: String,
}

/// Checks an embed request's token for `name`.
pub fn grant(state: &AppState, name: &str, token: &str) -> Result<Grant, TokenError> {
    state
        .signer()
        .verify(token, name, chrono::Utc::now().timestamp())
}

/// `GET /embed/{name}?token=…`
pub async fn page(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(p): Query<TokenParam>,
) -> Response {
    match grant(&state, &name, &p.token) {
        Ok(_) => {
            let mut r = crate::assets::response("embed.html", false);
            r.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                header::HeaderValue::from_static(crate::EMBED_CSP),
            );
            r
        }
        Err(e) => refusal(&e),
    }
}

/// The page a refused embed shows, in Chinese and English.
fn refusal(e: &TokenError) -> Response {
    let zh = match e {
        TokenError::Missing => "缺少访问令牌，请向管理员索取新的嵌入链接。",
        TokenError::Invalid => "访问令牌无效，请向管理员索取新的嵌入链接。",
        TokenError::Expired => "访问令牌已过期，请向管理员索取新的嵌入链接。",
        TokenError::OtherDashboard => "此令牌不适用于该看板。",
    };
    let html = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>客搜 · 无法显示</title></head>\
         <body style=\"font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;padding:2rem;color:#333\">\
         <p id=\"refused\" role=\"alert\">{zh}</p><p lang=\"en\" style=\"color:#666\">{e}</p></body></html>"
    );
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

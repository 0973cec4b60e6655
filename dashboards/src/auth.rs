//! Who is asking: the session of a request (cookie `kesou_session` or `Authorization:
//! Bearer …`), as a [`Caller`] every data handler takes; `POST /api/login`, `POST
//! /api/logout`, `GET /api/me`; the audit record of each request.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use kesou_access::{Event, Principal, Use};
use kesou_query::ask::Table;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::ApiJson;
use crate::error::{ApiResult, AppError};
use crate::state::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "kesou_session";

/// The user a request runs as, and where it came from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub from: String,
}

fn client(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "-".to_owned(), |c| c.0.ip().to_string())
}

/// The session token a request carries.
fn token(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some(t.trim().to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// Whether a request carries a live session.
pub fn signed_in(state: &AppState, headers: &HeaderMap) -> bool {
    token(headers).is_some_and(|t| !t.is_empty() && state.gate().session(&t).is_ok())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Caller> {
        let from = client(parts);
        let principal = match token(&parts.headers) {
            Some(t) if !t.is_empty() => state.gate().session(&t)?,
            _ if state.open_demo()? => Principal::demo(),
            _ => {
                return Err(AppError::unauthorized(
                    "log in first (POST /api/login with your user name and password)",
                ));
            }
        };
        Ok(Caller { principal, from })
    }
}

/// What a request returned, for its audit entry.
#[derive(Debug, Default)]
pub struct Done {
    pub interpretation: String,
    pub rows: u64,
    pub customers: Vec<String>,
}

impl Done {
    /// The rows and customer ids of an answer table (its `id` column).
    pub fn of_table(interpretation: String, table: &Table) -> Done {
        let at = table.columns.iter().position(|c| c.name == "id");
        Done {
            interpretation,
            rows: table.rows.len() as u64,
            customers: at
                .map(|i| {
                    table
                        .rows
                        .iter()
                        .filter_map(|r| r.get(i).and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The same of an answer as JSON (`columns`, `rows`; or a dashboard's `answer`).
    pub fn of_json(interpretation: String, v: &Value) -> Done {
        let v = if v.get("columns").is_none() {
            v.get("answer").unwrap_or(v)
        } else {
            v
        };
        let at = v["columns"].as_array().and_then(|cols| {
            cols.iter()
                .position(|c| c.get("name").and_then(Value::as_str) == Some("id"))
        });
        let rows = v["rows"].as_array().map(Vec::as_slice).unwrap_or_default();
        Done {
            interpretation,
            rows: rows.len() as u64,
            customers: at
                .map(|i| {
                    rows.iter()
                        .filter_map(|r| r.get(i).and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

impl Caller {
    fn event(&self, action: &str, input: &str) -> Event {
        Event {
            user: self.principal.name.clone(),
            role: self.principal.role.zh().to_owned(),
            from: self.from.clone(),
            action: action.to_owned(),
            input: input.chars().take(500).collect(),
            ..Event::default()
        }
    }

    /// An audit entry of the caller, for work that ends after the request (an import).
    pub fn audit_event(&self) -> Event {
        self.event("", "")
    }

    /// Takes one use from the caller's budget; a refusal is recorded.
    pub fn spend(&self, state: &AppState, kind: Use, action: &str, input: &str) -> ApiResult<()> {
        if let Err(e) = state.gate().spend(&self.principal.name, kind) {
            let mut ev = self.event(action, input);
            ev.outcome = "refused".into();
            ev.detail = e.to_string();
            state.audit(ev)?;
            return Err(e.into());
        }
        Ok(())
    }

    /// Records what the request did, or why it failed; the result passes through.
    pub fn record<T>(
        &self,
        state: &AppState,
        action: &str,
        input: &str,
        result: ApiResult<(T, Done)>,
    ) -> ApiResult<T> {
        let mut ev = self.event(action, input);
        match result {
            Ok((out, done)) => {
                ev.outcome = "ok".into();
                ev.interpretation = done.interpretation;
                ev.rows = done.rows;
                ev.customers = done.customers;
                state.audit(ev)?;
                Ok(out)
            }
            Err(e) => {
                ev.outcome = if e.code.is_user() {
                    "refused"
                } else {
                    "failed"
                }
                .into();
                ev.detail = format!("{}: {}", e.code.as_str(), e.message);
                state.audit(ev)?;
                Err(e)
            }
        }
    }

    /// Refuses a write to a role that only reads.
    pub fn may_write(&self) -> ApiResult<()> {
        if self.principal.role.may_write() {
            Ok(())
        } else {
            Err(AppError::new(
                crate::error::Code::Forbidden,
                format!(
                    "your role ({}) may read but not change data",
                    self.principal.role
                ),
            ))
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub name: String,
    pub password: String,
}

/// `POST /api/login`: a session cookie (HttpOnly, SameSite=Strict) and the same token in
/// the body for API clients.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfoOpt(from): ConnectInfoOpt,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Response> {
    let name = body.name.trim().to_owned();
    let gate_state = state.clone();
    let password = body.password;
    let login_name = name.clone();
    let address = from.clone();
    // Argon2 takes tens of milliseconds of CPU: off the async threads.
    let result = tokio::task::spawn_blocking(move || {
        gate_state.gate().login(&login_name, &password, &address)
    })
    .await
    .map_err(AppError::from)?;
    let mut ev = Event {
        user: name.chars().take(64).collect(),
        from,
        action: "login".into(),
        ..Event::default()
    };
    match result {
        Ok(login) => {
            ev.role = login.principal.role.zh().to_owned();
            ev.outcome = "ok".into();
            state.audit(ev)?;
            let cookie = format!(
                "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict{}",
                login.token,
                secure_attribute(&state)
            );
            let mut resp = Json(json!({
                "token": login.token,
                "user": me_json(&login.principal),
            }))
            .into_response();
            resp.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_str(&cookie).map_err(AppError::internal)?,
            );
            Ok(resp)
        }
        Err(e) => {
            ev.outcome = "refused".into();
            ev.detail = e.to_string();
            state.audit(ev)?;
            Err(e.into())
        }
    }
}

/// `; Secure` when the server is reached over HTTPS (`--url https://…`): the browser then
/// never sends the session over plain HTTP.
fn secure_attribute(state: &AppState) -> &'static str {
    if state
        .public_url()
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    {
        "; Secure"
    } else {
        ""
    }
}

/// The client address, when the server was started with connection info (not in tests).
#[derive(Debug)]
pub struct ConnectInfoOpt(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ConnectInfoOpt {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<Self> {
        Ok(ConnectInfoOpt(client(parts)))
    }
}

/// `POST /api/logout`: ends the session.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(t) = token(&headers) {
        state.gate().logout(&t);
    }
    let mut resp = Json(json!({"ok": true})).into_response();
    let cookie = format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure_attribute(&state)
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

fn me_json(p: &Principal) -> Value {
    json!({
        "name": p.name,
        "role": p.role.zh(),
        "scope": p.scope.as_ref().map(ToString::to_string),
        "fields": p.fields,
        "demo": p.demo,
    })
}

/// `GET /api/me`: who the session is, what they see.
pub async fn me(caller: Caller) -> Json<Value> {
    Json(me_json(&caller.principal))
}

//! Errors as the HTTP client sees them: a status, a stable code and a message a person
//! understands. Internal faults are logged with their detail and answered with a generic
//! message; user errors say what was wrong and what to do.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The stable error codes of the API (the `error.code` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Malformed JSON, a missing or wrong field, a bad filter.
    BadRequest,
    /// A question of which nothing was understood.
    BadQuestion,
    NotFound,
    /// A body or a question over the limits.
    TooLarge,
    /// Not logged in, a wrong password, an ended session; a bad or expired embed token.
    Unauthorized,
    /// Logged in, but the role may not do this (a hidden field, a write by 财务).
    Forbidden,
    /// Too many wrong passwords: the account is locked for a while.
    Locked,
    /// Too many requests or exports in a short time.
    RateLimited,
    /// The request would overwrite or remove what someone else owns (a saved report).
    Conflict,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadRequest => "bad_request",
            Code::BadQuestion => "bad_question",
            Code::NotFound => "not_found",
            Code::TooLarge => "too_large",
            Code::Unauthorized => "unauthorized",
            Code::Forbidden => "forbidden",
            Code::Locked => "locked",
            Code::RateLimited => "rate_limited",
            Code::Conflict => "conflict",
            Code::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Code::BadRequest => StatusCode::BAD_REQUEST,
            Code::BadQuestion => StatusCode::UNPROCESSABLE_ENTITY,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::Locked => StatusCode::LOCKED,
            Code::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Code::Conflict => StatusCode::CONFLICT,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error answered to the client.
#[derive(Debug)]
pub struct AppError {
    pub code: Code,
    pub message: String,
}

impl AppError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(Code::BadRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(Code::Unauthorized, message)
    }

    /// A fault: logged in full here, answered without its detail.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            Code::Internal,
            "internal error; the server log has the details",
        )
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code.as_str(), "message": self.message}});
        let mut res = (self.code.status(), Json(body)).into_response();
        res.extensions_mut().insert(crate::language::Said {
            code: self.code,
            message: self.message,
        });
        res
    }
}

impl From<kesou_query::Error> for AppError {
    fn from(e: kesou_query::Error) -> Self {
        match &e {
            kesou_query::Error::NotUnderstood(m) => AppError::new(Code::BadQuestion, m.clone()),
            kesou_query::Error::NotFound(m) => AppError::not_found(m.clone()),
            kesou_query::Error::Conflict(m) => AppError::new(Code::Conflict, m.clone()),
            kesou_query::Error::Forbidden(m) => AppError::new(Code::Forbidden, m.clone()),
            _ if e.is_user_error() => AppError::bad_request(e.to_string()),
            _ => AppError::internal(e),
        }
    }
}

impl From<kesou_indexer::Error> for AppError {
    fn from(e: kesou_indexer::Error) -> Self {
        if e.is_user_error() {
            AppError::bad_request(e.to_string())
        } else {
            AppError::internal(e)
        }
    }
}

impl From<kesou_access::Error> for AppError {
    fn from(e: kesou_access::Error) -> Self {
        use kesou_access::Error as E;
        match e {
            E::Unauthorized(m) => AppError::new(Code::Unauthorized, m),
            E::Locked(m) => AppError::new(Code::Locked, m),
            E::Forbidden(m) => AppError::new(Code::Forbidden, m),
            E::RateLimited(m) => AppError::new(Code::RateLimited, m),
            E::BadInput(m) => AppError::bad_request(m),
            e @ E::Io { .. } => AppError::internal(e),
        }
    }
}

impl From<kesou_watch::Error> for AppError {
    fn from(e: kesou_watch::Error) -> Self {
        use kesou_watch::Error as E;
        match e {
            E::NotFound(m) => AppError::not_found(m),
            E::Forbidden(m) => AppError::new(Code::Forbidden, m),
            E::BadInput(m) => AppError::bad_request(m),
            E::Query(e) => e.into(),
            E::Indexer(e) => e.into(),
            E::Access(e) => e.into(),
            e @ E::Store(_) => AppError::internal(e),
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::internal(e)
    }
}

pub type ApiResult<T> = std::result::Result<T, AppError>;

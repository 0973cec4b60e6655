//! Errors as the HTTP client sees them: a status, a stable code and a message a person
//! understands, all from the error's [`kesou_domain::Kind`]. Faults are logged with their
//! detail and answered with a generic message; user errors say what was wrong and what to
//! do. An error caused by I/O is a fault here whatever its kind: the files a server reads
//! are its own, never named by the client, so their paths stay in the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The stable error codes of the API (the `error.code` field) are the kinds of error:
/// status, code and exit code come from [`kesou_domain::Kind`]'s one table.
pub type Code = kesou_domain::Kind;

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
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(body)).into_response();
        res.extensions_mut().insert(crate::language::Said {
            code: self.code,
            message: self.message,
        });
        res
    }
}

impl AppError {
    /// A crate's error as the client sees it, by its kind: a user error says what was
    /// wrong; a fault is logged and answered without its detail. An error caused by I/O is
    /// always a fault here: the files are the server's, never the client's, and their paths
    /// stay in the log.
    pub fn of(kind: Code, e: &(dyn std::error::Error + 'static)) -> Self {
        if kind.is_user() && !caused_by_io(e) {
            AppError::new(kind, e.to_string())
        } else {
            tracing::error!(error = %e, kind = ?kind, "internal error");
            AppError::new(
                if kind.is_user() { Code::System } else { kind },
                "internal error; the server log has the details",
            )
        }
    }
}

fn caused_by_io(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<std::io::Error>() {
            return true;
        }
        next = e.source();
    }
    false
}

impl From<kesou_query::Error> for AppError {
    fn from(e: kesou_query::Error) -> Self {
        AppError::of(e.kind(), &e)
    }
}

impl From<kesou_indexer::Error> for AppError {
    fn from(e: kesou_indexer::Error) -> Self {
        AppError::of(e.kind(), &e)
    }
}

impl From<kesou_access::Error> for AppError {
    fn from(e: kesou_access::Error) -> Self {
        AppError::of(e.kind(), &e)
    }
}

impl From<kesou_watch::Error> for AppError {
    fn from(e: kesou_watch::Error) -> Self {
        AppError::of(e.kind(), &e)
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::internal(e)
    }
}

pub type ApiResult<T> = std::result::Result<T, AppError>;

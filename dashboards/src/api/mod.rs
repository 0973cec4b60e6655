//! The JSON API under `/api`: one file per resource. Bodies are read by [`ApiJson`], which
//! answers malformed JSON with the API's error shape; every DuckDB or tantivy call runs on
//! the blocking pool ([`crate::state::AppState::blocking`]).

pub mod ask;
pub mod backup;
pub mod boards;
pub mod bounded;
pub mod combos;
pub mod customers;
pub mod embed;
pub mod imports;
pub mod ingest;
pub mod meta;
pub mod overview;
pub mod search;
pub mod suggest;
pub mod watches;

use std::time::Instant;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{AppError, Code};

/// A JSON body; a body that is not JSON, not the expected shape or too large is a user error
/// in the API's error shape, not axum's plain text.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => {
                let code = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Code::TooLarge
                } else {
                    Code::BadRequest
                };
                Err(AppError::new(code, rejection.body_text()))
            }
        }
    }
}

/// Query-string parameters; bad ones are user errors in the API's error shape.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(rejection) => Err(AppError::bad_request(rejection.body_text())),
        }
    }
}

/// Milliseconds since `started`, to a tenth.
pub fn millis(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0
}

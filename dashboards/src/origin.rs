//! Cross-site request forgery: a request that changes something must come from the app's
//! own pages or from an API client, never from another site's page riding the session
//! cookie. SameSite=Strict alone does not cover sibling subdomains or other ports of the
//! same host (they are the same *site*), so every state-changing request is also checked
//! here, before any handler reads its body:
//! - an `Origin` header (browsers send one with every POST, PUT, PATCH and DELETE) must be
//!   the server's own: the request's `Host`, or the origin of `--url`;
//! - `Sec-Fetch-Site`, when sent, must be `same-origin` or `none` (typed by a person);
//! - a body must be JSON or NDJSON: the content types an HTML form or a no-preflight
//!   `fetch` can send (form, multipart, text/plain) are refused. The JSON endpoints refuse
//!   them anyway; this also covers `/api/ingest`, which reads its body as bytes. A file sent
//!   to an import is `application/octet-stream`, which needs a preflight just as JSON does.

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::{AppError, Code};
use crate::state::AppState;

/// Content types a state-changing request may carry.
const BODY_TYPES: &[&str] = &[
    "application/json",
    "application/x-ndjson",
    "application/jsonl",
    // A file sent to an import: like JSON, not a type a form or a no-preflight fetch sends.
    "application/octet-stream",
];

pub async fn same_origin_writes(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, AppError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.run(req).await);
    }
    let headers = req.headers();
    let refuse = |why: &str| {
        tracing::warn!(method = %req.method(), path = %req.uri().path(), why, "cross-site write refused");
        Err(AppError::new(
            Code::Forbidden,
            format!("{why}: changes are accepted only from kesou's own pages or an API client"),
        ))
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let origin = origin.to_str().unwrap_or("");
        if !is_own_origin(origin, host, state.public_url()) {
            return refuse("the request comes from another site");
        }
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return refuse("the request comes from another site");
    }
    let has_body = headers
        .get(header::CONTENT_LENGTH)
        .is_some_and(|n| n.as_bytes() != b"0")
        || headers.contains_key(header::TRANSFER_ENCODING);
    if has_body {
        let kind = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !BODY_TYPES.contains(&kind.as_str()) {
            return Err(AppError::new(
                Code::BadRequest,
                format!(
                    "send the body as application/json (application/x-ndjson for /api/ingest, \
                     application/octet-stream for a file of /api/imports), not {:?}",
                    if kind.is_empty() {
                        "no content type"
                    } else {
                        kind.as_str()
                    }
                ),
            ));
        }
    }
    Ok(next.run(req).await)
}

/// Whether `origin` (`scheme://host[:port]`) is this server's: the authority of the
/// request's `Host`, or the origin of the server's public URL.
fn is_own_origin(origin: &str, host: &str, public_url: &str) -> bool {
    let origin = origin.trim().trim_end_matches('/');
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let Some(authority) = authority else {
        // `null` (a sandboxed frame, a file) or anything else is not us.
        return false;
    };
    let public = public_url.trim().trim_end_matches('/');
    let public_origin = public
        .find("://")
        .map(|i| {
            let rest = &public[i + 3..];
            &public[..i + 3 + rest.find('/').unwrap_or(rest.len())]
        })
        .unwrap_or(public);
    (!host.is_empty() && authority.eq_ignore_ascii_case(host))
        || origin.eq_ignore_ascii_case(public_origin)
}

#[cfg(test)]
mod tests {
    use super::is_own_origin;

    #[test]
    fn only_the_servers_own_origin_counts() {
        let url = "https://kesou.example.cn/app";
        assert!(is_own_origin(
            "http://127.0.0.1:8080",
            "127.0.0.1:8080",
            url
        ));
        assert!(is_own_origin(
            "https://kesou.example.cn",
            "10.0.0.5:8080",
            url
        ));
        for other in [
            "http://127.0.0.1:9090",
            "http://evil.example.cn",
            "https://a.kesou.example.cn",
            "null",
            "",
            "http://127.0.0.1:8080.evil.cn",
        ] {
            assert!(!is_own_origin(other, "127.0.0.1:8080", url), "{other}");
        }
    }
}

//! Commands through the running `kesou serve` of the same store. The server holds the
//! store (DuckDB lets one process write it), and announces itself in `STORE/server.json`
//! (see `kesou_indexer::served`); `kesou ask` and `kesou search` then send their request to
//! it as the machine's command line and print its answer as if they had read the store
//! themselves. Other commands name the server in their error instead of a bare lock error.

use std::time::Duration;

use kesou_indexer::StorePaths;
use kesou_indexer::served::{self, Served};
use serde_json::Value as Json;

/// The server holding the store at `data`, when one runs.
pub fn server_of(data: &std::path::Path) -> Option<Served> {
    served::running(&StorePaths::new(data))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into()
}

fn unreachable(server: &Served, e: ureq::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "the store is held by `kesou serve` (pid {}) but it does not answer at {}: {e}",
        server.pid,
        server.url
    )
}

/// POSTs `body` to the server's `path` and returns its JSON answer; the server's refusals
/// come back as the user errors they are (exit code 2), with its message.
pub fn post(server: &Served, path: &str, body: &Json) -> anyhow::Result<Json> {
    let url = format!("{}{path}", server.url);
    let response = agent()
        .post(&url)
        .header("authorization", &format!("Bearer {}", server.token))
        .send_json(body)
        .map_err(|e| unreachable(server, e))?;
    answer(&url, response)
}

/// GETs the server's `path` as JSON.
pub fn get(server: &Served, path: &str) -> anyhow::Result<Json> {
    let url = format!("{}{path}", server.url);
    let response = agent()
        .get(&url)
        .header("authorization", &format!("Bearer {}", server.token))
        .call()
        .map_err(|e| unreachable(server, e))?;
    answer(&url, response)
}

/// Sends bytes of `content_type` to the server's `path` with `method` (POST or PUT): a
/// change batch, or a file of an import read as it goes.
pub fn send(
    server: &Served,
    method: &str,
    path: &str,
    content_type: &str,
    body: &mut dyn std::io::Read,
) -> anyhow::Result<Json> {
    let url = format!("{}{path}", server.url);
    let agent = agent();
    let request = match method {
        "PUT" => agent.put(&url),
        _ => agent.post(&url),
    };
    let response = request
        .header("authorization", &format!("Bearer {}", server.token))
        .header("content-type", content_type)
        .send(ureq::SendBody::from_reader(body))
        .map_err(|e| unreachable(server, e))?;
    answer(&url, response)
}

fn answer(url: &str, mut response: ureq::http::Response<ureq::Body>) -> anyhow::Result<Json> {
    let status = response.status();
    let answer: Json = response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_json()
        .map_err(|e| anyhow::anyhow!("{url}: the server's answer does not read: {e}"))?;
    if status.is_success() {
        return Ok(answer);
    }
    let message = answer["error"]["message"]
        .as_str()
        .map_or_else(|| format!("{url}: {status}"), str::to_owned);
    let code = answer["error"]["code"].as_str().unwrap_or_default();
    let kind = match kesou_domain::Kind::of_code(code) {
        kesou_domain::Kind::Internal if status.is_client_error() => kesou_domain::Kind::BadRequest,
        kind => kind,
    };
    Err(super::Failure::new(kind, message).into())
}

/// The note printed on stderr when a command goes through the server.
pub fn note(server: &Served) {
    eprintln!(
        "note: the store is served by `kesou serve` (pid {}); asking it at {}",
        server.pid, server.url
    );
}

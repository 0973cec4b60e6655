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

/// POSTs `body` to the server's `path` and returns its JSON answer; the server's refusals
/// come back as the user errors they are (exit code 2), with its message.
pub fn post(server: &Served, path: &str, body: &Json) -> anyhow::Result<Json> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into();
    let url = format!("{}{path}", server.url);
    let mut response = agent
        .post(&url)
        .header("authorization", &format!("Bearer {}", server.token))
        .send_json(body)
        .map_err(|e| {
            anyhow::anyhow!(
                "the store is held by `kesou serve` (pid {}) but it does not answer at {}: {e}",
                server.pid,
                server.url
            )
        })?;
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
    if status.is_client_error() {
        Err(kesou_query::Error::BadRequest(message).into())
    } else {
        Err(anyhow::anyhow!(message))
    }
}

/// The note printed on stderr when a command goes through the server.
pub fn note(server: &Served) {
    eprintln!(
        "note: the store is served by `kesou serve` (pid {}); asking it at {}",
        server.pid, server.url
    );
}

//! Backups over HTTP, for a store a server holds open: the response body the server's
//! `GET /api/backup` streams ([`ArchiveBody`]), and the client `kesou backup --server`
//! downloads it with ([`download`]).
//!
//! The server takes the [`Snapshot`] before it answers (writes wait for milliseconds),
//! then a thread writes the archive into the body as the client reads it: a slow client
//! slows the export, never a write, and a client that goes away stops it. The client
//! writes `FILE.partial`, and names it `FILE` (with `FILE.sha256`) only once the archive
//! has been read back and checked against its manifest.
//!
//! The client is ureq with rustls (the crate `watch` already links for its robots, so a
//! backup client adds nothing to build): `https://` works, with the certificates of the
//! Mozilla list (webpki-roots), and a certificate that fails is said as such.

use std::io::{self, Write};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame};
use tokio::sync::mpsc;

use crate::snapshot::{Written, write_file};
use crate::{Error, Result, Snapshot};

/// Bytes handed to the body at a time.
const CHUNK: usize = 1 << 20;

/// The archive of a [`Snapshot`] as an HTTP response body (`http_body::Body`: wrap it in
/// `axum::body::Body::new`). Errors while writing end the body with an error, so that the
/// client sees a cut-short archive rather than a whole-looking one.
pub struct ArchiveBody {
    rx: mpsc::Receiver<io::Result<Bytes>>,
}

impl std::fmt::Debug for ArchiveBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ArchiveBody")
    }
}

impl ArchiveBody {
    /// Starts writing the snapshot's archive on a thread of its own.
    pub fn new(snapshot: Snapshot) -> ArchiveBody {
        let (tx, rx) = mpsc::channel(4);
        let spawned = std::thread::Builder::new()
            .name("kesou-backup".into())
            .spawn(move || {
                let mut w = ChannelWriter {
                    tx,
                    buf: Vec::with_capacity(CHUNK),
                };
                let result = snapshot.write_to(&mut w).and_then(|s| {
                    w.flush().map_err(|e| Error::io(Path::new("backup"), e))?;
                    Ok(s)
                });
                match result {
                    Ok(s) => tracing::info!(
                        generation = s.manifest.generation,
                        bytes = s.bytes,
                        seconds = s.seconds,
                        "backup streamed"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "backup stopped");
                        let _ = w.tx.blocking_send(Err(io::Error::other(e.to_string())));
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "backup thread did not start");
        }
        ArchiveBody { rx }
    }
}

impl Body for ArchiveBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, io::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|chunk| chunk.map(|r| r.map(Frame::data)))
    }
}

struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Where and as whom to download a backup from a running server.
#[derive(Debug, Clone)]
pub struct Remote {
    /// `https://HOST[:PORT]`, or `http://HOST:PORT` for a server on this machine (the
    /// password goes in clear over plain HTTP).
    pub url: String,
    /// An administrator's name and password.
    pub user: String,
    pub password: String,
    pub with_secrets: bool,
}

/// `http(s)://host[:port][/…]` → `http(s)://host[:port]`.
fn base_url(url: &str) -> Result<String> {
    let trimmed = url.trim();
    let (scheme, rest) = ["https://", "http://"]
        .iter()
        .find_map(|s| trimmed.strip_prefix(s).map(|rest| (*s, rest)))
        .ok_or_else(|| {
            Error::BadInput(format!(
                "{url:?}: give the server as https://HOST or http://HOST:PORT (the address \
                 kesou serve prints)"
            ))
        })?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(Error::BadInput(format!("{url:?} names no host")));
    }
    if scheme == "http://" && !is_loopback(authority) {
        tracing::warn!(
            server = authority,
            "the password goes to the server in clear over http: use https"
        );
    }
    Ok(format!("{scheme}{authority}"))
}

fn is_loopback(authority: &str) -> bool {
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(authority, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The client: statuses are answers (the server's message is read from them), redirects
/// are not followed (the password and token go only where they were sent), and a server
/// that stops sending for ten minutes fails the download.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_per_read(Some(Duration::from_secs(600)))
        .build()
        .into()
}

type Response = ureq::http::Response<ureq::Body>;

/// A request that got no answer: TLS failures are the user's to fix (a plain server named
/// with https, a certificate this machine does not trust); the rest are the network's.
fn unanswered(base: &str, e: ureq::Error) -> Error {
    let tls = |e: &dyn std::fmt::Display| {
        Error::BadInput(format!(
            "{base}: TLS failed ({e}): does the server speak https, with a certificate this \
             machine trusts?"
        ))
    };
    match e {
        // rustls reports a failed handshake as invalid data from the socket.
        ureq::Error::Io(source)
            if base.starts_with("https://") && source.kind() == io::ErrorKind::InvalidData =>
        {
            tls(&source)
        }
        ureq::Error::Io(source) => Error::io(Path::new(base), source),
        e @ (ureq::Error::Tls(_) | ureq::Error::Rustls(_)) => tls(&e),
        e => Error::io(Path::new(base), io::Error::other(e.to_string())),
    }
}

/// The server's error message (`{"error": {"message"}}`), or the body as text.
fn refused(mut resp: Response, what: &str) -> Error {
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or(text);
    let message = if status == 404 {
        format!("{message} (this server has no backup endpoint: a kesou older than this one?)")
    } else {
        message
    };
    if (400..500).contains(&status) {
        Error::BadInput(format!("{what}: {message}"))
    } else {
        Error::Io {
            path: what.into(),
            source: io::Error::other(format!("HTTP {status}: {message}")),
        }
    }
}

/// Logs in to a running kesou server as an administrator, downloads a backup of the store
/// it serves into `out` (see [`write_file`]) and logs out.
pub fn download(remote: &Remote, out: &Path) -> Result<Written> {
    let base = base_url(&remote.url)?;
    let agent = agent();
    let login = serde_json::json!({ "name": remote.user, "password": remote.password });
    let mut resp = agent
        .post(format!("{base}/api/login"))
        .header("content-type", "application/json")
        .send(login.to_string().as_bytes())
        .map_err(|e| unanswered(&base, e))?;
    if resp.status() != 200 {
        return Err(refused(resp, "login"));
    }
    let text = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| unanswered(&base, e))?;
    let token = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["token"].as_str().map(str::to_owned))
        .ok_or_else(|| Error::BadInput(format!("{base}: the login answer holds no token")))?;
    let bearer = format!("Bearer {token}");
    let path = if remote.with_secrets {
        "/api/backup?secrets=true"
    } else {
        "/api/backup"
    };
    let result = (|| {
        let resp = agent
            .get(format!("{base}{path}"))
            .header("authorization", &bearer)
            .call()
            .map_err(|e| unanswered(&base, e))?;
        if resp.status() != 200 {
            return Err(refused(resp, "backup"));
        }
        if let Some(t) = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            && !t.contains("tar")
        {
            return Err(Error::BadInput(format!(
                "{base} answered {t}, not a backup archive"
            )));
        }
        let mut body = resp.into_body().into_reader();
        let ((), written) = write_file(out, |w| {
            io::copy(&mut body, w)
                .map_err(|e| Error::Damaged(format!("the download stopped: {e}")))?;
            Ok(())
        })?;
        Ok(written)
    })();
    let _ = agent
        .post(format!("{base}/api/logout"))
        .header("authorization", &bearer)
        .send_empty();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_named_by_http_or_https_urls() {
        assert_eq!(
            base_url("https://kesou.example.cn/app/").unwrap(),
            "https://kesou.example.cn"
        );
        assert_eq!(
            base_url(" http://127.0.0.1:8080 ").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in ["127.0.0.1:8080", "ftp://host", "https://", "http:///x"] {
            let e = base_url(bad).unwrap_err();
            assert!(e.is_user_error(), "{bad}: {e}");
        }
        assert!(is_loopback("localhost:8080") && is_loopback("[::1]:80"));
        assert!(is_loopback("127.0.0.1") && !is_loopback("10.0.0.8:8080"));
    }
}

//! Backups over HTTP, for a store a server holds open: the response body the server's
//! `GET /api/backup` streams ([`ArchiveBody`]), and the client `kesou backup --server`
//! downloads it with ([`download`]).
//!
//! The server takes the [`Snapshot`] before it answers (writes wait for milliseconds),
//! then a thread writes the archive into the body as the client reads it: a slow client
//! slows the export, never a write, and a client that goes away stops it. The client
//! writes `FILE.partial`, and names it `FILE` (with `FILE.sha256`) only once the archive
//! has been read back and checked against its manifest.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
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
    /// `http://HOST:PORT` (plain HTTP: run it on the server's machine, or behind TLS that
    /// ends at the server's host).
    pub url: String,
    /// An administrator's name and password.
    pub user: String,
    pub password: String,
    pub with_secrets: bool,
}

/// `http://host:port[/]` → (host:port, host).
fn parse_url(url: &str) -> Result<(String, String)> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        Error::BadInput(format!(
            "{url:?}: give the server as http://HOST:PORT (the address kesou serve prints)"
        ))
    })?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(Error::BadInput(format!("{url:?} names no host")));
    }
    let host = authority.to_owned();
    let addr = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((addr, host))
}

/// A response: status, headers (lower-case names), and the body's reader.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Box<dyn Read>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The server's error message (`{"error": {"message"}}`), or the body as text.
    fn error(self, what: &str) -> Error {
        let mut text = String::new();
        let _ = self.body.take(64 * 1024).read_to_string(&mut text);
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or(text);
        let message = if self.status == 404 {
            format!("{message} (this server has no backup endpoint: a kesou older than this one?)")
        } else {
            message
        };
        if (400..500).contains(&self.status) {
            Error::BadInput(format!("{what}: {message}"))
        } else {
            Error::Io {
                path: what.into(),
                source: io::Error::other(format!("HTTP {}: {message}", self.status)),
            }
        }
    }
}

fn request(
    addr: &str,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Response> {
    let io_err = |e| Error::io(Path::new(addr), e);
    let stream = TcpStream::connect(addr).map_err(io_err)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(600)))
        .map_err(io_err)?;
    let mut w = stream.try_clone().map_err(io_err)?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAccept-Encoding: identity\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes()).map_err(io_err)?;
    w.write_all(body).map_err(io_err)?;
    w.flush().map_err(io_err)?;
    let mut r = BufReader::with_capacity(1 << 20, stream);
    let mut line = String::new();
    r.read_line(&mut line).map_err(io_err)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::BadInput(format!("{addr} does not answer HTTP ({line:?})")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).map_err(io_err)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"));
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    let body: Box<dyn Read> = if chunked {
        Box::new(Chunked {
            inner: r,
            left: 0,
            done: false,
        })
    } else if let Some(n) = length {
        Box::new(r.take(n))
    } else {
        Box::new(r)
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// A chunked transfer-encoded body. A body that ends before its last (empty) chunk is an
/// error, not an end.
struct Chunked<R> {
    inner: R,
    left: u64,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            if self.inner.read_line(&mut line)? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the response ended before its last chunk",
                ));
            }
            let size = line.trim().split(';').next().unwrap_or_default();
            self.left = u64::from_str_radix(size, 16).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidData, format!("chunk size {line:?}"))
            })?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let want = buf.len().min(self.left as usize);
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the response ended inside a chunk",
            ));
        }
        self.left -= n as u64;
        if self.left == 0 {
            let mut crlf = [0u8; 2];
            self.inner.read_exact(&mut crlf)?;
        }
        Ok(n)
    }
}

/// Logs in to a running kesou server as an administrator, downloads a backup of the store
/// it serves into `out` (see [`write_file`]) and logs out.
pub fn download(remote: &Remote, out: &Path) -> Result<Written> {
    let (addr, host) = parse_url(&remote.url)?;
    let login = serde_json::json!({ "name": remote.user, "password": remote.password });
    let resp = request(
        &addr,
        &host,
        "POST",
        "/api/login",
        &[("Content-Type", "application/json")],
        login.to_string().as_bytes(),
    )?;
    if resp.status != 200 {
        return Err(resp.error("login"));
    }
    let mut text = String::new();
    let mut resp = resp;
    resp.body
        .read_to_string(&mut text)
        .map_err(|e| Error::io(Path::new(&addr), e))?;
    let token = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["token"].as_str().map(str::to_owned))
        .ok_or_else(|| Error::BadInput(format!("{addr}: the login answer holds no token")))?;
    let bearer = format!("Bearer {token}");
    let path = if remote.with_secrets {
        "/api/backup?secrets=true"
    } else {
        "/api/backup"
    };
    let result = (|| {
        let resp = request(
            &addr,
            &host,
            "GET",
            path,
            &[("Authorization", &bearer)],
            &[],
        )?;
        if resp.status != 200 {
            return Err(resp.error("backup"));
        }
        if let Some(t) = resp.header("content-type")
            && !t.contains("tar")
        {
            return Err(Error::BadInput(format!(
                "{addr} answered {t}, not a backup archive"
            )));
        }
        let mut body = resp.body;
        let ((), written) = write_file(out, |w| {
            io::copy(&mut body, w)
                .map_err(|e| Error::Damaged(format!("the download stopped: {e}")))?;
            Ok(())
        })?;
        Ok(written)
    })();
    let _ = request(
        &addr,
        &host,
        "POST",
        "/api/logout",
        &[("Authorization", &bearer)],
        &[],
    );
    result
}

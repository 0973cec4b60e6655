//! A small W3C WebDriver client for the browser tests: starts Debian's `chromedriver` on a
//! free port and drives headless Chromium sessions over HTTP on loopback (`ureq` and
//! `serde_json`), no browser-automation crate.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The key of an element reference in W3C WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a wait for the page lasts before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// WebDriver's codes of keys that are not characters.
pub mod keys {
    pub const ENTER: &str = "\u{E007}";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const ARROW_DOWN: &str = "\u{E015}";
    pub const ARROW_UP: &str = "\u{E013}";
}

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Where the driver and the browser are: `KESOU_CHROMEDRIVER` / `KESOU_CHROMIUM` or Debian's paths.
pub fn chromedriver_path() -> PathBuf {
    std::env::var_os("KESOU_CHROMEDRIVER")
        .map_or_else(|| PathBuf::from(CHROMEDRIVER), PathBuf::from)
}

pub fn chromium_path() -> PathBuf {
    std::env::var_os("KESOU_CHROMIUM").map_or_else(|| PathBuf::from(CHROMIUM), PathBuf::from)
}

/// A running chromedriver; killed when dropped.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    pub fn start(binary: &Path) -> Result<Driver, String> {
        let port = free_port()?;
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", binary.display()))?;
        let driver = Driver { child, port };
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(status) = driver.call("GET", "/status", None)
                && status["ready"] == json!(true)
            {
                return Ok(driver);
            }
            if Instant::now() > deadline {
                return Err(format!("chromedriver on port {port} did not get ready"));
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// A new headless Chromium with a fresh profile and a window of `width` × `height`.
    pub fn session(&self, width: u32, height: u32) -> Result<Session, String> {
        let profile = tempfile::tempdir().map_err(|e| format!("profile dir: {e}"))?;
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({
            "capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": chromium_path(), "args": args},
            }}
        });
        let answer = self.call("POST", "/session", Some(&caps))?;
        let id = answer["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {answer}"))?
            .to_owned();
        let session = Session {
            port: self.port,
            id,
            _profile: profile,
        };
        session.set_viewport(width, height)?;
        Ok(session)
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        http(self.port, method, path, body)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("free port: {e}"))
}

/// One browser window; closed when dropped (before its driver stops).
pub struct Session {
    port: u16,
    id: String,
    _profile: tempfile::TempDir,
}

impl Session {
    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        http(
            self.port,
            method,
            &format!("/session/{}{path}", self.id),
            body.as_ref(),
        )
    }

    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.cmd("POST", "/url", Some(json!({ "url": url })))?;
        Ok(())
    }

    pub fn url(&self) -> Result<String, String> {
        Ok(self
            .cmd("GET", "/url", None)?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Makes the page's viewport exactly `width` × `height` CSS pixels.
    pub fn set_viewport(&self, width: u32, height: u32) -> Result<(), String> {
        let rect = self.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )?;
        let inner = self.run("return [window.innerWidth, window.innerHeight]", &[])?;
        let size = |v: &Value| v.as_i64().unwrap_or(0);
        let (iw, ih) = (size(&inner[0]), size(&inner[1]));
        if (iw, ih) != (i64::from(width), i64::from(height)) {
            let w = i64::from(width) + size(&rect["width"]) - iw;
            let h = i64::from(height) + size(&rect["height"]) - ih;
            self.cmd(
                "POST",
                "/window/rect",
                Some(json!({"width": w, "height": h})),
            )?;
        }
        Ok(())
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) and returns its value.
    pub fn run(&self, script: &str, args: &[Value]) -> Result<Value, String> {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Waits until `script` returns something truthy and returns that.
    pub fn wait_for(&self, what: &str, script: &str, args: &[Value]) -> Result<Value, String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let value = self.run(script, args)?;
            let truthy = !matches!(&value, Value::Null | Value::Bool(false))
                && value != json!(0)
                && value != json!("");
            if truthy {
                return Ok(value);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "waited {PATIENCE:?} for {what}; page at {}",
                    self.url()?
                ));
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// The first element matching a CSS selector, waiting for it to appear.
    pub fn find(&self, css: &str) -> Result<Element<'_>, String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match self.cmd(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            ) {
                Ok(found) => return Ok(self.element(&found)),
                Err(e) if e.contains("no such element") && Instant::now() < deadline => {
                    sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(format!("{css}: {e}")),
            }
        }
    }

    fn element(&self, found: &Value) -> Element<'_> {
        Element {
            session: self,
            id: found[ELEMENT].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// Saves a PNG of the viewport.
    pub fn screenshot(&self, path: &Path) -> Result<(), String> {
        let data = self.cmd("GET", "/screenshot", None)?;
        let png = base64_decode(data.as_str().unwrap_or_default())?;
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = http(self.port, "DELETE", &format!("/session/{}", self.id), None);
    }
}

pub struct Element<'s> {
    session: &'s Session,
    id: String,
}

impl Element<'_> {
    fn cmd(&self, method: &str, what: &str, body: Option<Value>) -> Result<Value, String> {
        self.session
            .cmd(method, &format!("/element/{}{what}", self.id), body)
    }

    pub fn click(&self) -> Result<(), String> {
        self.cmd("POST", "/click", Some(json!({})))?;
        Ok(())
    }

    pub fn send_keys(&self, text: &str) -> Result<(), String> {
        self.cmd("POST", "/value", Some(json!({ "text": text })))?;
        Ok(())
    }

    pub fn clear(&self) -> Result<(), String> {
        self.cmd("POST", "/clear", Some(json!({})))?;
        Ok(())
    }

    pub fn attr(&self, name: &str) -> Result<Option<String>, String> {
        Ok(self
            .cmd("GET", &format!("/attribute/{name}"), None)?
            .as_str()
            .map(str::to_owned))
    }
}

/// One exchange with chromedriver (ureq, on loopback); the answer's `value`, or its error
/// as text.
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    // Errors are answers: WebDriver says what went wrong in a 4xx or 5xx body.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let url = format!("http://127.0.0.1:{port}{path}");
    let sent = match (method, body) {
        ("GET", _) => agent.get(&url).call(),
        ("DELETE", _) => agent.delete(&url).call(),
        (_, Some(b)) => agent.post(&url).send_json(b),
        (_, None) => agent.post(&url).send_json(json!({})),
    };
    let mut response = sent.map_err(|e| format!("chromedriver: {e}"))?;
    let status = response.status().as_u16();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024) // a full-page screenshot, base64
        .read_to_vec()
        .map_err(|e| format!("chromedriver: {e}"))?;
    let answer: Value = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "chromedriver sent no JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    })?;
    let value = answer.get("value").cloned().unwrap_or(Value::Null);
    if status >= 400 || value.get("error").is_some_and(Value::is_string) {
        return Err(format!(
            "{method} {path}: {} ({})",
            value["error"].as_str().unwrap_or("error"),
            value["message"]
                .as_str()
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default()
        ));
    }
    Ok(value)
}

fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let clean: String = text.split_ascii_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map_err(|e| format!("screenshot is not base64: {e}"))
}

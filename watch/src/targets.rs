//! Delivery targets: where firings go. Only administrators configure them (a target is a
//! way out of the store for customer data); users pick targets by name for their watches.
//! A target's URL and secret stay in the store and are shown masked.

use duckdb::{Connection, OptionalExt, params};
use kesou_access::{Principal, Role};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What receives a target's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// Any HTTP endpoint taking the message as JSON.
    Webhook,
    /// 钉钉 custom robot.
    Dingtalk,
    /// 企业微信 group robot.
    Wecom,
    /// A folder on the server's machine: reports are written into it as files (its
    /// `url` is the folder's absolute path).
    Folder,
}

impl TargetKind {
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Webhook => "webhook",
            TargetKind::Dingtalk => "dingtalk",
            TargetKind::Wecom => "wecom",
            TargetKind::Folder => "folder",
        }
    }
}

impl std::str::FromStr for TargetKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<TargetKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "webhook" | "json" => Ok(TargetKind::Webhook),
            "dingtalk" | "钉钉" => Ok(TargetKind::Dingtalk),
            "wecom" | "wechat-work" | "企业微信" => Ok(TargetKind::Wecom),
            "folder" | "文件夹" => Ok(TargetKind::Folder),
            other => Err(Error::BadInput(format!(
                "target kind {other:?}: write webhook, dingtalk (钉钉), wecom (企业微信) or folder"
            ))),
        }
    }
}

/// A robot message's format (a webhook always gets JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Text,
    Markdown,
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        match s.trim() {
            "text" => Ok(Format::Text),
            "markdown" | "md" => Ok(Format::Markdown),
            other => Err(Error::BadInput(format!(
                "format {other:?}: write text or markdown"
            ))),
        }
    }
}

/// A delivery target.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    /// Shown masked (a robot's URL carries its token or key).
    #[serde(serialize_with = "masked")]
    pub url: String,
    /// 钉钉 加签 secret; never shown.
    #[serde(skip)]
    pub secret: Option<String>,
    pub format: Format,
    /// Whether firings on the demo's generated data are sent (else they are held).
    pub allow_demo: bool,
    pub created_by: String,
}

fn masked<S: serde::Serializer>(url: &str, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&mask_url(url))
}

/// A URL with its query's values masked: `…/send?access_token=ab…`.
pub fn mask_url(url: &str) -> String {
    match url.split_once('?') {
        None => url.to_owned(),
        Some((base, query)) => {
            let parts: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => {
                        let shown: String = v.chars().take(2).collect();
                        format!("{k}={shown}…")
                    }
                    None => p.to_owned(),
                })
                .collect();
            format!("{base}?{}", parts.join("&"))
        }
    }
}

/// Adds (or replaces) a target: administrators only.
pub fn add_target(conn: &Connection, by: &Principal, target: Target) -> Result<Target> {
    if by.role != Role::Admin {
        return Err(Error::Forbidden(
            "only administrators configure delivery targets".into(),
        ));
    }
    let name = target.name.trim();
    if name.is_empty()
        || name.chars().count() > 64
        || name.chars().any(|c| c.is_whitespace() || c == ',')
    {
        return Err(Error::BadInput(
            "a target's name is 1–64 characters without spaces or commas".into(),
        ));
    }
    let url = target.url.trim();
    if target.kind == TargetKind::Folder {
        let path = std::path::Path::new(url);
        if !path.is_absolute() {
            return Err(Error::BadInput(format!(
                "folder {url:?}: give the folder's absolute path (/srv/reports)"
            )));
        }
        std::fs::create_dir_all(path)
            .map_err(|e| Error::BadInput(format!("folder {url:?} cannot be made: {e}")))?;
    } else if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(Error::BadInput(format!(
            "target URL {url:?}: it must start with https:// (or http:// for a receiver on this \
             machine or network)"
        )));
    }
    if target.kind == TargetKind::Wecom && !url.contains("key=") {
        return Err(Error::BadInput(
            "a 企业微信 robot's webhook URL carries its key: …/cgi-bin/webhook/send?key=…".into(),
        ));
    }
    if target.kind == TargetKind::Dingtalk && !url.contains("access_token=") {
        return Err(Error::BadInput(
            "a 钉钉 robot's webhook URL carries its access_token: …/robot/send?access_token=…"
                .into(),
        ));
    }
    if target.secret.is_some() && target.kind != TargetKind::Dingtalk {
        return Err(Error::BadInput(
            "only a 钉钉 robot signs with a secret (加签); 企业微信 and webhooks take none".into(),
        ));
    }
    conn.execute("DELETE FROM watch_targets WHERE name = ?", params![name])?;
    conn.execute(
        "INSERT INTO watch_targets VALUES (?, ?, ?, ?, ?, ?, ?, make_timestamp(?))",
        params![
            name,
            target.kind.name(),
            url,
            target.secret,
            match target.format {
                Format::Text => "text",
                Format::Markdown => "markdown",
            },
            target.allow_demo,
            by.name,
            crate::outbox::now_us(),
        ],
    )?;
    get(conn, name)?.ok_or_else(|| Error::NotFound(format!("target {name} vanished")))
}

fn read(r: &duckdb::Row<'_>) -> duckdb::Result<Target> {
    let kind: String = r.get(1)?;
    let format: String = r.get(4)?;
    Ok(Target {
        name: r.get(0)?,
        kind: kind.parse().unwrap_or(TargetKind::Webhook),
        url: r.get(2)?,
        secret: r.get(3)?,
        format: format.parse().unwrap_or(Format::Text),
        allow_demo: r.get(5)?,
        created_by: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
    })
}

const COLUMNS: &str = "name, kind, url, secret, format, allow_demo, created_by";

pub(crate) fn get(conn: &Connection, name: &str) -> Result<Option<Target>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM watch_targets WHERE name = ?"),
            params![name],
            read,
        )
        .optional()?)
}

/// Every target (URLs masked when serialised).
pub fn list_targets(conn: &Connection) -> Result<Vec<Target>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM watch_targets ORDER BY name"
    ))?;
    let rows = stmt
        .query_map([], read)?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Removes a target: administrators only. Deliveries queued for it expire.
pub fn remove_target(conn: &Connection, by: &Principal, name: &str) -> Result<()> {
    if by.role != Role::Admin {
        return Err(Error::Forbidden(
            "only administrators configure delivery targets".into(),
        ));
    }
    if conn.execute("DELETE FROM watch_targets WHERE name = ?", params![name])? == 0 {
        return Err(Error::NotFound(format!("no delivery target {name:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_masked() {
        assert_eq!(
            mask_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=69…"
        );
        assert_eq!(
            mask_url("http://127.0.0.1:9000/hook"),
            "http://127.0.0.1:9000/hook"
        );
    }
}

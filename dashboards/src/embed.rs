//! Embed tokens: a signed, expiring, read-only grant to see one dashboard, optionally with
//! fixed filters (region=华东) the embedding page cannot remove.
//!
//! A token is `base64url(payload JSON) . base64url(HMAC-SHA256(key, first part))`. The key is
//! 32 random bytes in the store's `embed.key` (created on first use, readable by its owner
//! only) unless the server is given one (`KESOU_EMBED_KEY`). Anyone who can read that file
//! can read the store itself, so keeping it there gives nothing away; rotating it (delete
//! the file, restart) revokes every token.

use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, KeyInit, Mac};
use kesou_indexer::StorePaths;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Longest a token may live: a year.
pub const MAX_TTL_SECS: i64 = 366 * 24 * 3600;

/// What a token grants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// The dashboard or saved report it opens.
    #[serde(rename = "d")]
    pub dashboard: String,
    /// Filters always applied (`region=华东`), in the `FIELD<op>VALUE` form of search filters.
    #[serde(rename = "f", default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<String>,
    /// Unix seconds after which the token is refused.
    #[serde(rename = "e")]
    pub expires_at: i64,
    /// Who made the link (for the audit log).
    #[serde(rename = "u", default)]
    pub by: String,
    /// The maker's role and rows: a viewer of the link sees no more than its maker.
    #[serde(rename = "r", default = "admin")]
    pub role: kesou_access::Role,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<kesou_query::Scope>,
    /// Made on the store's machine (`kesou share`), by no account: the role and scope above
    /// hold for as long as the token lives (revoke by rotating `embed.key`). A link made by
    /// a user shows what that user may see *now*, and stops when the user is disabled.
    #[serde(rename = "l", default, skip_serializing_if = "std::ops::Not::not")]
    pub local: bool,
}

fn admin() -> kesou_access::Role {
    kesou_access::Role::Admin
}

impl Grant {
    /// A grant made on the store's machine (`kesou share`): every row, as an administrator.
    pub fn local(dashboard: String, filters: Vec<String>, expires_at: i64) -> Grant {
        Grant {
            dashboard,
            filters,
            expires_at,
            by: "kesou share".into(),
            role: kesou_access::Role::Admin,
            scope: None,
            local: true,
        }
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("this link has no access token; ask for a new embed link")]
    Missing,
    #[error("the access token is not valid; ask for a new embed link")]
    Invalid,
    #[error("the access token expired; ask for a new embed link")]
    Expired,
    #[error("the access token is for another dashboard")]
    OtherDashboard,
}

/// Signs and checks tokens with one key.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer { key: <hidden> }")
    }
}

const KEY_FILE: &str = "embed.key";

impl Signer {
    pub fn new(key: Vec<u8>) -> Signer {
        Signer { key }
    }

    /// The store's key, created (random, owner-only) when missing.
    pub fn from_store(paths: &StorePaths) -> Result<Signer, crate::Error> {
        let path = paths.root.join(KEY_FILE);
        let io = |source| crate::Error::Io {
            path: path.clone(),
            source,
        };
        match std::fs::read(&path) {
            Ok(key) if key.len() >= 32 => return Ok(Signer::new(key)),
            Ok(_) => {
                return Err(crate::Error::Config(format!(
                    "{} is shorter than 32 bytes; delete it to have a new key made",
                    path.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key)
            .map_err(|e| crate::Error::Config(format!("no randomness for the embed key: {e}")))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(&path)
            .and_then(|mut f| f.write_all(&key))
            .map_err(io)?;
        Ok(Signer::new(key))
    }

    fn mac(&self, data: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        mac.update(data);
        mac
    }

    pub fn sign(&self, grant: &Grant) -> String {
        let payload = B64.encode(serde_json::to_vec(grant).expect("a grant serialises"));
        let tag = B64.encode(self.mac(payload.as_bytes()).finalize().into_bytes());
        format!("{payload}.{tag}")
    }

    /// The grant of a token for `dashboard`, when it is genuine and not expired at `now`.
    pub fn verify(&self, token: &str, dashboard: &str, now: i64) -> Result<Grant, TokenError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(TokenError::Missing);
        }
        let (payload, tag) = token.split_once('.').ok_or(TokenError::Invalid)?;
        let tag = B64.decode(tag).map_err(|_| TokenError::Invalid)?;
        // Constant-time comparison.
        self.mac(payload.as_bytes())
            .verify_slice(&tag)
            .map_err(|_| TokenError::Invalid)?;
        let bytes = B64.decode(payload).map_err(|_| TokenError::Invalid)?;
        let grant: Grant = serde_json::from_slice(&bytes).map_err(|_| TokenError::Invalid)?;
        if grant.expires_at <= now {
            return Err(TokenError::Expired);
        }
        if grant.dashboard != dashboard {
            return Err(TokenError::OtherDashboard);
        }
        Ok(grant)
    }
}

/// Reads a duration such as `30m`, `24h`, `7d`, `3600` (seconds) into seconds.
pub fn parse_ttl(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a duration; write 30m, 24h or 7d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => return Err(format!("{s:?}: unknown unit {unit:?}; use s, m, h or d")),
    };
    if secs <= 0 || secs > MAX_TTL_SECS {
        return Err(format!(
            "{s:?}: a token lives between 1 second and 366 days"
        ));
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant::local("top20".into(), vec!["region=华东".into()], 1_000)
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let s = Signer::new(vec![7; 32]);
        let t = s.sign(&grant());
        assert_eq!(s.verify(&t, "top20", 999), Ok(grant()));
        assert_eq!(s.verify(&t, "top20", 1_000), Err(TokenError::Expired));
        assert_eq!(s.verify(&t, "map", 10), Err(TokenError::OtherDashboard));
    }

    #[test]
    fn tampering_or_another_key_is_refused() {
        let s = Signer::new(vec![7; 32]);
        let t = s.sign(&grant());
        let mut longer = grant();
        longer.expires_at = 9_999_999;
        longer.filters.clear();
        let forged_payload = B64.encode(serde_json::to_vec(&longer).unwrap());
        let forged = format!("{forged_payload}.{}", t.split_once('.').unwrap().1);
        assert_eq!(s.verify(&forged, "top20", 10), Err(TokenError::Invalid));
        assert_eq!(
            Signer::new(vec![8; 32]).verify(&t, "top20", 10),
            Err(TokenError::Invalid)
        );
        for bad in ["", "abc", "a.b", "..", &t[..t.len() - 2]] {
            assert_ne!(s.verify(bad, "top20", 10).ok(), Some(grant()), "{bad:?}");
        }
        assert_eq!(s.verify("  ", "top20", 10), Err(TokenError::Missing));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_ttl("30m"), Ok(1800));
        assert_eq!(parse_ttl("24h"), Ok(86400));
        assert_eq!(parse_ttl("7d"), Ok(604800));
        assert_eq!(parse_ttl("90"), Ok(90));
        assert!(parse_ttl("0").is_err());
        assert!(parse_ttl("400d").is_err());
        assert!(parse_ttl("1w").is_err());
        assert!(parse_ttl("h").is_err());
    }
}

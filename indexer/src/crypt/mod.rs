//! Personal data at rest (《个人信息保护法》): the contact columns (`contact_name`,
//! `contact_phone`, `email`) are sealed with SM4-GCM or AES-256-GCM before they reach
//! DuckDB, and a keyed hash of each (HMAC-SHA256, normalised first) sits beside them for
//! exact lookup: `--filter contact_phone=…`, a question naming a phone number, the index.
//!
//! - [`key`]: the data key (a key file or an environment variable, never the store) and
//!   what is derived from it.
//! - [`seal`]: one value sealed and opened, with a prefix naming cipher and key.
//! - [`Vault`]: what a store holds its contacts with: sealed under a key, or plain (a store
//!   made without a key; its lookups use a public key, as its values are not secret).
//! - `store.rs`: the vault of a store checked against its `meta` (cipher and key
//!   fingerprint, never the key), and `rotate.rs`: a store re-sealed under a new key.

pub mod key;
pub(crate) mod rotate;
mod seal;
pub(crate) mod store;

use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub use key::{DataKey, KeyChoice, KeyOptions};
pub use rotate::{RotateSummary, rotate};
pub use seal::is_sealed;
pub(crate) use store::{Access, vault_for};
pub use store::{CryptStatus, status};

use crate::{Error, Result};

/// The sealed columns of `customers` and the column of each one's keyed hash.
pub const SEALED_FIELDS: [(&str, &str); 3] = [
    ("contact_name", "contact_name_lookup"),
    ("contact_phone", "contact_phone_lookup"),
    ("email", "email_lookup"),
];

/// Whether `field` is a sealed column.
pub fn is_sealed_field(field: &str) -> bool {
    SEALED_FIELDS.iter().any(|(f, _)| *f == field)
}

/// The column holding the keyed hash of a sealed column.
pub fn lookup_column(field: &str) -> Option<&'static str> {
    SEALED_FIELDS
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, l)| *l)
}

/// A cipher a store can seal with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cipher {
    /// SM4 (GB/T 32907) in GCM mode: the default.
    Sm4Gcm,
    Aes256Gcm,
}

impl Cipher {
    pub fn name(self) -> &'static str {
        match self {
            Cipher::Sm4Gcm => "sm4-gcm",
            Cipher::Aes256Gcm => "aes-256-gcm",
        }
    }
}

impl std::fmt::Display for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Cipher {
    type Err = Error;
    fn from_str(s: &str) -> Result<Cipher> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "sm4" | "sm4-gcm" => Ok(Cipher::Sm4Gcm),
            "aes" | "aes256" | "aes-256" | "aes-256-gcm" | "aes256-gcm" => Ok(Cipher::Aes256Gcm),
            _ => Err(Error::BadInput(format!(
                "{s:?} is not a cipher kesou knows; use sm4-gcm or aes-256-gcm"
            ))),
        }
    }
}

/// How a store holds its contacts: sealed under a key, or plain. Cheap to clone.
#[derive(Clone)]
pub struct Vault(Arc<State>);

struct State {
    sealed: Option<Sealed>,
    lookup: [u8; 32],
}

struct Sealed {
    cipher: Cipher,
    key_id: String,
    aead: seal::Aead,
}

impl Sealed {
    fn short(&self) -> &str {
        &self.key_id[..8]
    }
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0.sealed {
            Some(s) => write!(f, "Vault({}, key {})", s.cipher, s.key_id),
            None => f.write_str("Vault(plain)"),
        }
    }
}

impl Default for Vault {
    fn default() -> Self {
        Vault::plain()
    }
}

/// The lookup key of a store without encryption: public, as its values are plain anyway.
const PUBLIC_LOOKUP: [u8; 32] = [0; 32];

impl Vault {
    /// Contacts kept as they are.
    pub fn plain() -> Vault {
        Vault(Arc::new(State {
            sealed: None,
            lookup: PUBLIC_LOOKUP,
        }))
    }

    /// Contacts sealed with `cipher` under `key`.
    pub fn sealed(key: &DataKey, cipher: Cipher) -> Vault {
        Vault(Arc::new(State {
            lookup: key.derive("kesou contact lookup v1"),
            sealed: Some(Sealed {
                cipher,
                key_id: key.id(),
                aead: seal::Aead::new(cipher, key),
            }),
        }))
    }

    pub fn is_sealed(&self) -> bool {
        self.0.sealed.is_some()
    }

    pub fn cipher(&self) -> Option<Cipher> {
        self.0.sealed.as_ref().map(|s| s.cipher)
    }

    /// The fingerprint of the key (16 hex digits), when sealed.
    pub fn key_id(&self) -> Option<&str> {
        self.0.sealed.as_ref().map(|s| s.key_id.as_str())
    }

    /// The value to store for a plain `value` of sealed column `field`.
    pub fn seal(&self, field: &str, value: &str) -> String {
        match &self.0.sealed {
            Some(s) => s.aead.seal(s.short(), field, value),
            None => value.to_owned(),
        }
    }

    /// The plain value of a stored value of sealed column `field`. A value stored plain
    /// (a store made without a key) comes back as it is; a sealed one must open with this
    /// store's key, or it is an error that says why (never garbage).
    pub fn open(&self, field: &str, stored: &str) -> Result<String> {
        if !seal::is_sealed(stored) {
            return Ok(stored.to_owned());
        }
        let Some(s) = &self.0.sealed else {
            return Err(Error::BadInput(format!(
                "{field} holds encrypted values but the store was opened without its key; \
                 give it with --key-file FILE, KESOU_KEY_FILE or KESOU_DATA_KEY"
            )));
        };
        s.aead.open(s.short(), field, stored).map_err(|e| {
            Error::BadInput(match e {
                seal::OpenError::OtherKey(id) => format!(
                    "a {field} value is sealed with key {id}…, not this store's key {}…: \
                     the store is in a mixed state; run `kesou keys status` on it",
                    s.short()
                ),
                seal::OpenError::OtherCipher(c) => format!(
                    "a {field} value is sealed with another cipher ({}) than the store's ({})",
                    if c == 'a' { "aes-256-gcm" } else { "sm4-gcm" },
                    s.cipher
                ),
                seal::OpenError::Damaged => format!(
                    "a {field} value does not decrypt with this store's key {}…: it is damaged",
                    s.short()
                ),
            })
        })
    }

    /// The plain value of an optional stored value.
    pub fn open_opt(&self, field: &str, stored: Option<&str>) -> Result<Option<String>> {
        stored.map(|v| self.open(field, v)).transpose()
    }

    /// The keyed hash of a value of sealed column `field` (32 hex digits), after the
    /// normalisation ingest applies (phones: digits only, without +86; e-mails: lower
    /// case; names: half-width, simplified, without spaces). `None` when nothing is left.
    pub fn lookup(&self, field: &str, value: &str) -> Option<String> {
        let norm = normalise(field, value)?;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0.lookup)
            .expect("HMAC takes any key length");
        mac.update(field.as_bytes());
        mac.update(&[0x1f]);
        mac.update(norm.as_bytes());
        Some(key::hex(&mac.finalize().into_bytes()[..16]))
    }
}

/// A value of a sealed column as lookups compare it.
pub fn normalise(field: &str, value: &str) -> Option<String> {
    let half = kesou_domain::text::to_halfwidth(value.trim());
    let out = match field {
        "contact_phone" => {
            let digits: String = half.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
            digits
                .strip_prefix("+86")
                .map(str::to_owned)
                .unwrap_or(digits)
        }
        "email" => half.to_lowercase(),
        _ => kesou_domain::text::to_simplified(&half)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    };
    (!out.is_empty()).then_some(out)
}

/// A contact as reports beside the data show it in a store that encrypts them: phones
/// keep their first 3 and last 4 characters (138****8000) when long enough to hide the
/// rest, e-mails their first letter and domain, names their first character.
pub fn mask(field: &str, value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    match field {
        "contact_phone" if chars.len() >= 11 => format!(
            "{}****{}",
            chars[..3].iter().collect::<String>(),
            chars[chars.len() - 4..].iter().collect::<String>()
        ),
        "contact_phone" => "*".repeat(chars.len().min(8)),
        "email" => match value.split_once('@') {
            Some((user, domain)) => {
                format!("{}***@{domain}", user.chars().take(1).collect::<String>())
            }
            None => format!(
                "{}***",
                chars.first().map(|c| c.to_string()).unwrap_or_default()
            ),
        },
        _ => match chars.first() {
            Some(c) => format!(
                "{c}{}",
                "*".repeat(chars.len().saturating_sub(1).clamp(1, 3))
            ),
            None => String::new(),
        },
    }
}

#[cfg(test)]
mod tests;

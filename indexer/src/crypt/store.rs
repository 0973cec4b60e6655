//! A store's vault: `meta.crypt_cipher` and `meta.crypt_key_id` (the key's fingerprint,
//! never the key) say whether and how its contacts are sealed; the key given must be the
//! one they name, or opening fails with a message that says which key is wanted.

use std::collections::BTreeMap;

use duckdb::Connection;

use super::{Cipher, SEALED_FIELDS, Vault, seal};
use crate::store::{self, StorePaths, get_meta, set_meta};
use crate::{Error, Result};

/// Meta keys: the cipher of a sealed store, its key's fingerprint, and the version of the
/// lookup columns (absent in stores made before them).
pub(crate) const CIPHER_META: &str = "crypt_cipher";
pub(crate) const KEY_ID_META: &str = "crypt_key_id";
pub(crate) const LOOKUPS_META: &str = "crypt_lookups";

/// What a store is opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    /// Writes: a new (empty) store given a key becomes sealed; a plain store with data
    /// given a key is refused (new contacts would be sealed beside plain old ones).
    Write,
    /// Key rotation: a plain store may be given a key (it is about to be sealed).
    Rotate,
}

/// The vault of the store open on `conn`, checked against the key `paths` resolves.
pub(crate) fn vault_for(paths: &StorePaths, conn: &Connection, access: Access) -> Result<Vault> {
    let cipher = get_meta(conn, CIPHER_META)?;
    let key_id = get_meta(conn, KEY_ID_META)?.unwrap_or_default();
    let key = paths.key.resolve(&paths.root)?;
    let root = paths.root.display();
    match (cipher, key) {
        (Some(cipher), None) => Err(Error::BadInput(format!(
            "{root} keeps its contacts encrypted ({cipher}, key {key_id}); give its key with \
             --key-file FILE, KESOU_KEY_FILE=FILE or KESOU_DATA_KEY"
        ))),
        (Some(cipher), Some(key)) => {
            if key.id() != key_id {
                return Err(Error::BadInput(format!(
                    "the key from {} (key {}) is not the key of {root} (key {key_id}); \
                     give the key the store was encrypted with",
                    key.origin(),
                    key.id()
                )));
            }
            Ok(Vault::sealed(&key, cipher.parse()?))
        }
        (None, None) => Ok(Vault::plain()),
        (None, Some(key)) => match access {
            Access::Rotate => Ok(Vault::plain()),
            Access::Read => {
                tracing::warn!(
                    store = %root,
                    "the store keeps its contacts in plain text; the key given is not used"
                );
                Ok(Vault::plain())
            }
            Access::Write => {
                let empty: i64 =
                    conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
                if empty > 0 {
                    return Err(Error::BadInput(format!(
                        "{root} keeps its contacts in plain text, and a key was given ({}); \
                         encrypt the store first with `kesou keys rotate --data {root} --new-key-file FILE`, \
                         or leave the key out",
                        key.origin()
                    )));
                }
                let cipher = paths.key.cipher();
                set_meta(conn, CIPHER_META, cipher.name())?;
                set_meta(conn, KEY_ID_META, &key.id())?;
                Ok(Vault::sealed(&key, cipher))
            }
        },
    }
}

/// Whether the lookup columns of every customer are filled (a store made before them has
/// contacts without lookups until its first write).
pub(crate) fn lookups_current(conn: &Connection) -> Result<bool> {
    if get_meta(conn, LOOKUPS_META)?.as_deref() == Some("1") {
        return Ok(true);
    }
    let n: i64 = conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
    if n == 0 {
        set_meta(conn, LOOKUPS_META, "1")?;
        return Ok(true);
    }
    Ok(false)
}

/// How a store holds its contacts: `kesou keys status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CryptStatus {
    /// `sm4-gcm`, `aes-256-gcm`, or `None`: plain.
    pub cipher: Option<String>,
    /// The fingerprint of the store's key.
    pub key_id: Option<String>,
    /// Per sealed column: values by state (`plain`, or `sealed 9f3a61c2`: the short id of
    /// the key that sealed them). One state per column is a consistent store.
    pub values: BTreeMap<String, BTreeMap<String, u64>>,
    /// Whether the key given (if any) is the store's.
    pub key_given: Option<String>,
    pub key_matches: Option<bool>,
}

/// Reads how a store holds its contacts. Needs no key: it counts prefixes.
pub fn status(paths: &StorePaths) -> Result<CryptStatus> {
    let conn = store::open_db(paths, crate::store::Open::Read)?;
    let cipher = get_meta(&conn, CIPHER_META)?;
    let key_id = get_meta(&conn, KEY_ID_META)?;
    let mut values: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for (field, _) in SEALED_FIELDS {
        let mut stmt = conn.prepare(&format!(
            "SELECT {field} FROM customers WHERE {field} IS NOT NULL"
        ))?;
        let mut rows = stmt.query([])?;
        let counts = values.entry(field.to_owned()).or_default();
        while let Some(r) = rows.next()? {
            let v: String = r.get(0)?;
            let state = match seal::parts(&v) {
                Some((c, id, _)) => format!(
                    "sealed ({}, key {id})",
                    if c == 'a' {
                        Cipher::Aes256Gcm
                    } else {
                        Cipher::Sm4Gcm
                    }
                ),
                None => "plain".to_owned(),
            };
            *counts.entry(state).or_default() += 1;
        }
    }
    let key = paths.key.resolve(&paths.root)?;
    Ok(CryptStatus {
        key_matches: match (&key, &key_id) {
            (Some(k), Some(id)) => Some(&k.id() == id),
            _ => None,
        },
        key_given: key.map(|k| format!("{} (key {})", k.origin(), k.id())),
        cipher,
        key_id,
        values,
    })
}

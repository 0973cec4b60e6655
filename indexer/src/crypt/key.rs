//! The data key: 32 random bytes, read from a key file or an environment variable, never
//! from the store. Everything else is derived from it with HMAC-SHA256 under fixed labels
//! (the cipher keys, the lookup key, the fingerprint), so one secret unlocks a store and
//! a fingerprint of it can be kept beside the data without giving the key away.
//!
//! Where the key comes from is the caller's to say: a [`KeyOptions`] value (what kesou's
//! command line parsed from `--key-file`, `KESOU_KEY_FILE`, `KESOU_DATA_KEY`, `--cipher`,
//! `KESOU_CIPHER`) travels with the [`crate::StorePaths`] that opens a store. Nothing here
//! reads the environment or process-wide state, so two stores in one process (a test, the
//! server) can be opened with different keys.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

use super::Cipher;
use crate::{Error, Result};

/// A data key. Its bytes are wiped when it is dropped and never printed.
#[derive(Clone)]
pub struct DataKey {
    bytes: [u8; 32],
    /// Where it came from, for messages: `--key-file /etc/kesou/key`, `KESOU_DATA_KEY`.
    origin: String,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("id", &self.id())
            .field("origin", &self.origin)
            .finish()
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl DataKey {
    /// A new random key.
    pub fn generate() -> Result<DataKey> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::BadInput(format!("no random numbers from the system: {e}")))?;
        Ok(DataKey {
            bytes,
            origin: "a new key".into(),
        })
    }

    /// A key written as 64 hex digits or as base64 of 32 bytes (surrounding space and
    /// `#` comment lines are ignored).
    pub fn parse(text: &str, origin: &str) -> Result<DataKey> {
        let body: String = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let bytes = if body.len() == 64 && body.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&body[2 * i..2 * i + 2], 16).expect("hex digits"))
                .collect::<Vec<u8>>()
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(body.as_bytes())
                .or_else(|_| {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body.as_bytes())
                })
                .unwrap_or_default()
        };
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::BadInput(format!(
                "{origin} is not a kesou data key: expected 64 hex digits or base64 of 32 bytes \
                 (make one with `kesou keys new --out FILE`)"
            ))
        })?;
        Ok(DataKey {
            bytes,
            origin: origin.to_owned(),
        })
    }

    /// Reads a key file.
    pub fn read(path: &Path, origin: &str) -> Result<DataKey> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::BadInput(format!("{origin}: cannot read the key file: {e}")))?;
        Self::parse(&text, origin)
    }

    /// The key as 64 hex digits, for writing a key file.
    pub fn to_hex(&self) -> String {
        hex(&self.bytes)
    }

    /// Where the key came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// HMAC-SHA256 of `label` under the key: the derivation of every key kesou uses.
    pub(crate) fn derive(&self, label: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.bytes)
            .expect("HMAC takes any key length");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The key's fingerprint (16 hex digits): what a store records to recognise its key.
    /// A one-way function of the key: it does not give the key away.
    pub fn id(&self) -> String {
        hex(&self.derive("kesou key id v1")[..8])
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Where a store's data key and cipher come from, as the command line was given them.
/// A key file wins over a key given as text; neither gives a store without encryption.
#[derive(Clone, Default)]
pub struct KeyOptions {
    /// The key file, and how it was named for messages (`--key-file /etc/kesou/key`,
    /// `KESOU_KEY_FILE=/etc/kesou/key`).
    pub key_file: Option<(PathBuf, String)>,
    /// The key itself, and how it was given (`KESOU_DATA_KEY`), used when no key file is
    /// named.
    pub data_key: Option<(String, String)>,
    /// The cipher a store encrypted from now on uses; default SM4-GCM.
    pub cipher: Option<Cipher>,
}

impl fmt::Debug for KeyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyOptions")
            .field("key_file", &self.key_file)
            .field(
                "data_key",
                &self.data_key.as_ref().map(|(_, origin)| origin),
            )
            .field("cipher", &self.cipher)
            .finish()
    }
}

/// Which key a store is opened with.
#[derive(Debug, Clone)]
pub enum KeyChoice {
    /// The key the options name (a key file, else the key itself), read when the store is
    /// opened; by default none.
    Options(Arc<KeyOptions>),
    /// This key (or none: a store without encryption).
    Given(Option<Arc<DataKey>>, Option<Cipher>),
}

impl Default for KeyChoice {
    fn default() -> Self {
        KeyChoice::Options(Arc::default())
    }
}

impl KeyChoice {
    /// The key, if any, refusing a key file inside the store folder `root`.
    pub(crate) fn resolve(&self, root: &Path) -> Result<Option<DataKey>> {
        match self {
            KeyChoice::Given(key, _) => Ok(key.as_deref().cloned()),
            KeyChoice::Options(options) => {
                if let Some((path, origin)) = &options.key_file {
                    return read_outside(path, root, origin).map(Some);
                }
                match &options.data_key {
                    Some((text, origin)) if !text.trim().is_empty() => {
                        DataKey::parse(text, origin).map(Some)
                    }
                    _ => Ok(None),
                }
            }
        }
    }

    /// The cipher a store encrypted from now on uses: given, else the options', else
    /// SM4-GCM.
    pub(crate) fn cipher(&self) -> Cipher {
        let chosen = match self {
            KeyChoice::Given(_, c) => *c,
            KeyChoice::Options(options) => options.cipher,
        };
        chosen.unwrap_or(Cipher::Sm4Gcm)
    }
}

/// Reads a key file, refusing one kept inside the store folder: a key beside the data
/// protects nothing.
pub fn read_outside(path: &Path, root: &Path, origin: &str) -> Result<DataKey> {
    refuse_inside(path, root, origin)?;
    DataKey::read(path, origin)
}

/// Errors when `path` lies inside the store folder `root`.
pub fn refuse_inside(path: &Path, root: &Path, origin: &str) -> Result<()> {
    let abs = |p: &Path| {
        std::fs::canonicalize(p)
            .unwrap_or_else(|_| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
    };
    let (key, store) = (abs(path), abs(root));
    if key.starts_with(&store) {
        return Err(Error::BadInput(format!(
            "{origin}: the key file is inside the store folder {}; a key kept beside the data \
             protects nothing. Move it elsewhere (e.g. ~/.config/kesou/) and say where with --key-file",
            root.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_from_hex_and_base64_and_say_what_is_wrong() {
        let k = DataKey::generate().unwrap();
        let hexed = DataKey::parse(&format!("# kesou data key\n{}\n", k.to_hex()), "f").unwrap();
        assert_eq!(hexed.id(), k.id());
        let b64 = base64::engine::general_purpose::STANDARD.encode(k.bytes);
        assert_eq!(DataKey::parse(&b64, "env").unwrap().id(), k.id());
        let e = DataKey::parse("abc", "KESOU_DATA_KEY")
            .unwrap_err()
            .to_string();
        assert!(e.contains("KESOU_DATA_KEY is not a kesou data key"), "{e}");
        assert_ne!(DataKey::generate().unwrap().id(), k.id());
        assert!(!format!("{k:?}").contains(&k.to_hex()));
    }

    #[test]
    fn a_key_file_wins_over_a_key_given_as_text_and_none_means_plain() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let (file_key, text_key) = (DataKey::generate().unwrap(), DataKey::generate().unwrap());
        let file = dir.path().join("key");
        std::fs::write(&file, file_key.to_hex()).unwrap();
        let choice = |key_file: bool, data_key: Option<&str>| {
            KeyChoice::Options(Arc::new(KeyOptions {
                key_file: key_file.then(|| (file.clone(), "KESOU_KEY_FILE=key".to_owned())),
                data_key: data_key.map(|t| (t.to_owned(), "KESOU_DATA_KEY".to_owned())),
                cipher: None,
            }))
        };
        let id = |c: KeyChoice| c.resolve(&store).unwrap().map(|k| k.id());
        assert_eq!(
            id(choice(true, Some(&text_key.to_hex()))),
            Some(file_key.id())
        );
        assert_eq!(
            id(choice(false, Some(&text_key.to_hex()))),
            Some(text_key.id())
        );
        assert_eq!(id(choice(false, Some("  "))), None);
        assert_eq!(id(KeyChoice::default()), None);
        assert_eq!(KeyChoice::default().cipher(), Cipher::Sm4Gcm);
        let e = choice(false, Some("abc"))
            .resolve(&store)
            .unwrap_err()
            .to_string();
        assert!(e.contains("KESOU_DATA_KEY is not a kesou data key"), "{e}");
    }

    #[test]
    fn a_key_file_inside_the_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        std::fs::create_dir_all(store.join("sub")).unwrap();
        let inside = store.join("sub/key");
        std::fs::write(&inside, DataKey::generate().unwrap().to_hex()).unwrap();
        let e = read_outside(&inside, &store, "--key-file")
            .unwrap_err()
            .to_string();
        assert!(e.contains("inside the store folder"), "{e}");
        let outside = dir.path().join("key");
        std::fs::write(&outside, DataKey::generate().unwrap().to_hex()).unwrap();
        assert!(read_outside(&outside, &store, "--key-file").is_ok());
    }
}

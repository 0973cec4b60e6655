//! The data key: 32 random bytes, read from a key file or an environment variable, never
//! from the store. Everything else is derived from it with HMAC-SHA256 under fixed labels
//! (the cipher keys, the lookup key, the fingerprint), so one secret unlocks a store and
//! a fingerprint of it can be kept beside the data without giving the key away.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

use super::Cipher;
use crate::{Error, Result};

/// Environment variable naming the key file.
pub const KEY_FILE_ENV: &str = "KESOU_KEY_FILE";
/// Environment variable holding the key itself (64 hex digits or base64 of 32 bytes).
pub const DATA_KEY_ENV: &str = "KESOU_DATA_KEY";
/// Environment variable choosing the cipher of a store encrypted from now on.
pub const CIPHER_ENV: &str = "KESOU_CIPHER";

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

/// What the process was started with: `--key-file` and `--cipher` of the command line.
#[derive(Debug, Clone, Default)]
pub struct KeyOptions {
    pub key_file: Option<PathBuf>,
    pub cipher: Option<Cipher>,
}

static PROCESS: OnceLock<KeyOptions> = OnceLock::new();

/// Sets the key options of this process (the command line's `--key-file`, `--cipher`);
/// they come before the environment variables. Once per process: a second call is ignored.
pub fn configure(options: KeyOptions) {
    let _ = PROCESS.set(options);
}

/// Which key a store is opened with.
#[derive(Debug, Clone, Default)]
pub enum KeyChoice {
    /// The process's key: `--key-file`, else `KESOU_KEY_FILE`, else `KESOU_DATA_KEY`.
    #[default]
    Process,
    /// This key (or none: a store without encryption).
    Given(Option<std::sync::Arc<DataKey>>, Option<Cipher>),
}

impl KeyChoice {
    /// The key, if any, refusing a key file inside the store folder `root`.
    pub(crate) fn resolve(&self, root: &Path) -> Result<Option<DataKey>> {
        match self {
            KeyChoice::Given(key, _) => Ok(key.as_deref().cloned()),
            KeyChoice::Process => {
                let flag = PROCESS.get().and_then(|o| o.key_file.clone());
                if let Some(path) = flag {
                    return read_outside(&path, root, &format!("--key-file {}", path.display()))
                        .map(Some);
                }
                if let Some(path) = std::env::var_os(KEY_FILE_ENV).filter(|p| !p.is_empty()) {
                    let path = PathBuf::from(path);
                    let origin = format!("{KEY_FILE_ENV}={}", path.display());
                    return read_outside(&path, root, &origin).map(Some);
                }
                match std::env::var(DATA_KEY_ENV) {
                    Ok(text) if !text.trim().is_empty() => {
                        DataKey::parse(&text, DATA_KEY_ENV).map(Some)
                    }
                    _ => Ok(None),
                }
            }
        }
    }

    /// The cipher a store encrypted from now on uses: given, else `--cipher`, else
    /// `KESOU_CIPHER`, else SM4-GCM.
    pub(crate) fn cipher(&self) -> Result<Cipher> {
        if let KeyChoice::Given(_, Some(c)) = self {
            return Ok(*c);
        }
        if let Some(c) = PROCESS.get().and_then(|o| o.cipher) {
            return Ok(c);
        }
        match std::env::var(CIPHER_ENV) {
            Ok(name) if !name.trim().is_empty() => name.parse(),
            _ => Ok(Cipher::Sm4Gcm),
        }
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

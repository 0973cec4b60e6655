//! One value sealed: SM4-GCM or AES-256-GCM, a random 96-bit nonce per value, the field's
//! name as associated data (a value cannot be moved to another column), and a short
//! versioned prefix saying cipher and key:
//!
//! ```text
//! $s1.9f3a61c2.<base64url(nonce ‖ ciphertext ‖ tag)>      s = SM4-GCM, a = AES-256-GCM
//! ```
//!
//! A plain value never starts with `$s1.` or `$a1.` (phones are digits, e-mails have an
//! `@`, names are names), so a store's values say which are sealed and with which key.

use aes_gcm::aes::Aes256;
use aes_gcm::aes::cipher::consts::U12;
use aes_gcm::{AeadInOut, AesGcm, KeyInit, Nonce, Tag};
use base64::Engine as _;

use super::Cipher;
use super::key::DataKey;

type Sm4Gcm = AesGcm<sm4::Sm4, U12>;
type Aes256Gcm = AesGcm<Aes256, U12>;

const NONCE: usize = 12;
const TAG: usize = 16;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The AEAD of one store: its cipher under the key derived for it.
pub(crate) enum Aead {
    Sm4(Box<Sm4Gcm>),
    Aes(Box<Aes256Gcm>),
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// Sealed with another key (its short id).
    OtherKey(String),
    /// Sealed with another cipher.
    OtherCipher(char),
    /// Not a value kesou wrote, or the tag does not match (damaged, or moved from another
    /// column).
    Damaged,
}

impl Aead {
    pub fn new(cipher: Cipher, key: &DataKey) -> Aead {
        match cipher {
            Cipher::Sm4Gcm => {
                let k = key.derive("kesou sm4-gcm v1");
                Aead::Sm4(Box::new(
                    Sm4Gcm::new_from_slice(&k[..16]).expect("SM4 takes 16 bytes"),
                ))
            }
            Cipher::Aes256Gcm => {
                let k = key.derive("kesou aes-256-gcm v1");
                Aead::Aes(Box::new(
                    Aes256Gcm::new_from_slice(&k).expect("AES-256 takes 32 bytes"),
                ))
            }
        }
    }

    fn letter(&self) -> char {
        match self {
            Aead::Sm4(_) => 's',
            Aead::Aes(_) => 'a',
        }
    }

    /// `$s1.<short id>.<base64url(nonce ‖ ciphertext ‖ tag)>`.
    pub fn seal(&self, short_id: &str, field: &str, plain: &str) -> String {
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).expect("the system's random numbers");
        let mut buf = Vec::with_capacity(NONCE + plain.len() + TAG);
        buf.extend_from_slice(&nonce);
        buf.extend_from_slice(plain.as_bytes());
        let n = Nonce::<U12>::from(nonce);
        let body = &mut buf[NONCE..];
        let tag = match self {
            Aead::Sm4(c) => c.encrypt_inout_detached(&n, field.as_bytes(), body.into()),
            Aead::Aes(c) => c.encrypt_inout_detached(&n, field.as_bytes(), body.into()),
        }
        .expect("a short value is never too long for GCM");
        buf.extend_from_slice(&tag);
        let mut out = String::with_capacity(14 + (buf.len() * 4).div_ceil(3));
        out.push('$');
        out.push(self.letter());
        out.push('1');
        out.push('.');
        out.push_str(short_id);
        out.push('.');
        B64.encode_string(&buf, &mut out);
        out
    }

    /// The plain value of a sealed one.
    pub fn open(&self, short_id: &str, field: &str, sealed: &str) -> Result<String, OpenError> {
        let (letter, id, body) = parts(sealed).ok_or(OpenError::Damaged)?;
        if letter != self.letter() {
            return Err(OpenError::OtherCipher(letter));
        }
        if id != short_id {
            return Err(OpenError::OtherKey(id.to_owned()));
        }
        let mut buf = B64.decode(body).map_err(|_| OpenError::Damaged)?;
        if buf.len() < NONCE + TAG {
            return Err(OpenError::Damaged);
        }
        let tag_at = buf.len() - TAG;
        let tag = Tag::try_from(&buf[tag_at..]).map_err(|_| OpenError::Damaged)?;
        let nonce = Nonce::<U12>::try_from(&buf[..NONCE]).map_err(|_| OpenError::Damaged)?;
        let body = &mut buf[NONCE..tag_at];
        match self {
            Aead::Sm4(c) => c.decrypt_inout_detached(&nonce, field.as_bytes(), body.into(), &tag),
            Aead::Aes(c) => c.decrypt_inout_detached(&nonce, field.as_bytes(), body.into(), &tag),
        }
        .map_err(|_| OpenError::Damaged)?;
        String::from_utf8(buf[NONCE..tag_at].to_vec()).map_err(|_| OpenError::Damaged)
    }
}

/// The cipher letter, short key id and body of a sealed value; `None` for a plain value.
pub(crate) fn parts(value: &str) -> Option<(char, &str, &str)> {
    let rest = value.strip_prefix('$')?;
    let mut it = rest.splitn(3, '.');
    let head = it.next()?;
    let id = it.next()?;
    let body = it.next()?;
    let mut h = head.chars();
    let letter = h.next()?;
    (matches!(letter, 's' | 'a') && h.as_str() == "1" && id.len() == 8)
        .then_some((letter, id, body))
}

/// Whether a stored value is sealed (by any key).
pub fn is_sealed(value: &str) -> bool {
    parts(value).is_some()
}

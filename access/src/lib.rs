//! kesou's access control, for the personal data customer profiles hold (《个人信息保护法》,
//! 《数据安全法》): users with roles ([`Users`], [`Role`]; Argon2id passwords), what each may
//! see ([`Principal`]: the rows of a [`kesou_domain::Scope`], fields shown, masked or hidden by
//! the [`Policy`]), logins with lockout, sessions and rate limits ([`Gate`]), and the
//! hash-chained [`audit`] log. The server and the command line apply them; nothing here
//! reads the customer store.

pub mod audit;
mod files;
mod gate;
mod policy;
mod principal;
mod role;
mod users;

pub use audit::{AuditLog, AuditQuery, Entry, Event, Verified};
pub use gate::{Gate, Login, Use};
pub use policy::{DEFAULT_POLICY, FieldAccess, Limits, Policy};
pub use principal::{FieldUse, Principal, mask, mask_json};
pub use role::Role;
pub use users::{MIN_PASSWORD_CHARS, User, Users, hash_password, verify_password};

use std::path::{Path, PathBuf};

/// What can go wrong: the user's doing (bad input, wrong password, not allowed, too many
/// requests) or a fault reading or writing the access files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadInput(String),
    /// Not logged in, a wrong password, an ended session.
    #[error("{0}")]
    Unauthorized(String),
    /// Too many wrong passwords: the account is locked for a while.
    #[error("{0}")]
    Locked(String),
    /// Logged in, but the role may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    RateLimited(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub fn is_user_error(&self) -> bool {
        self.kind().is_user()
    }

    /// Whose fault it is. The access files are the store's, never named by the user, so
    /// any I/O error on them is the machine's.
    pub fn kind(&self) -> kesou_domain::Kind {
        use kesou_domain::Kind;
        match self {
            Error::BadInput(_) => Kind::BadRequest,
            Error::Unauthorized(_) => Kind::Unauthorized,
            Error::Locked(_) => Kind::Locked,
            Error::Forbidden(_) => Kind::Forbidden,
            Error::RateLimited(_) => Kind::RateLimited,
            Error::Io { .. } => Kind::System,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `STORE/access/policy.toml`: written with the defaults when missing, so that an
/// administrator finds it to edit.
pub fn ensure_policy_file(store: &Path) -> Result<PathBuf> {
    let dir = store.join("access");
    files::private_dir(&dir)?;
    let path = dir.join("policy.toml");
    if !path.exists() {
        files::replace_private(&path, DEFAULT_POLICY.as_bytes())?;
    }
    Ok(path)
}

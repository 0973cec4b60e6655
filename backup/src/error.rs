use std::path::{Path, PathBuf};

use kesou_domain::Kind;

/// What can go wrong in a backup or a restore. A damaged or cut-short archive, or a
/// target that is not empty, is the user's to fix; the rest are faults.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    BadInput(String),
    #[error("the backup is damaged: {0}")]
    Damaged(String),
    #[error(transparent)]
    Store(#[from] kesou_indexer::Error),
    #[error("store: {0}")]
    Duck(#[from] duckdb::Error),
    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// Whether the error is the user's to fix rather than a fault.
    pub fn is_user_error(&self) -> bool {
        self.kind().is_user()
    }

    /// Whose fault it is: an I/O error by what happened (a backup file that is not there
    /// is the user's, a full disk the machine's).
    pub fn kind(&self) -> Kind {
        match self {
            Error::BadInput(_) | Error::Damaged(_) => Kind::BadRequest,
            Error::Io { source, .. } => Kind::of_io(source),
            Error::Store(e) => e.kind(),
            Error::Duck(e) => kesou_indexer::duckdb_kind(e),
            Error::Index(e) => kesou_indexer::tantivy_kind(e),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

use std::path::{Path, PathBuf};

/// What can go wrong in the indexer. User errors (a file we cannot read, a store that is not
/// a kesou store) say what to do; internal faults carry their source.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    BadInput(String),
    #[error("store: {0}")]
    Store(#[from] duckdb::Error),
    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("the index is being written by another kesou process; try again when it has finished")]
    IndexBusy,
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// Whether the error is the user's to fix (bad input, missing files) rather than a fault.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::Io { .. } | Error::BadInput(_) | Error::IndexBusy
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

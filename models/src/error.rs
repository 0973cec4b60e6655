use std::path::{Path, PathBuf};

/// What can go wrong in the models. User errors (a store without data to learn from, a
/// model file missing) say what to do; internal faults carry their source.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadInput(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("store: {0}")]
    Store(#[from] duckdb::Error),
    #[error(transparent)]
    Indexer(#[from] kesou_indexer::Error),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("tensor: {0}")]
    Tensor(#[from] candle_core::Error),
    #[error("model file {path}: {reason}")]
    ModelFile { path: PathBuf, reason: String },
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// Whether the error is the user's to fix (bad input, a missing model) rather than a fault.
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::BadInput(_) | Error::Io { .. } | Error::ModelFile { .. } => true,
            Error::Indexer(e) => e.is_user_error(),
            _ => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

use std::path::PathBuf;

use kesou_domain::Kind;

/// What can go wrong in the models. User errors (a folder that is not a usable model, a
/// store without data to learn from, a model file missing) say what to do; internal faults
/// carry their source.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A model folder that cannot be used: the message says what is missing or unsupported.
    #[error("{0}")]
    BadModel(String),
    /// Data the models cannot learn from or score, said in words.
    #[error("{0}")]
    BadInput(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("model file {path}: {reason}")]
    ModelFile { path: PathBuf, reason: String },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("model computation: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("store: {0}")]
    Store(#[from] duckdb::Error),
    #[error(transparent)]
    Indexer(#[from] kesou_indexer::Error),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
}

impl Error {
    /// Whose fault it is: a model folder or file the user gave that cannot be used is
    /// theirs; an I/O error by what happened (a missing file theirs, a full disk not).
    pub fn kind(&self) -> Kind {
        match self {
            Error::BadModel(_) | Error::BadInput(_) | Error::ModelFile { .. } => Kind::BadRequest,
            Error::Io { source, .. } => Kind::of_io(source),
            Error::Indexer(e) => e.kind(),
            Error::Store(e) => kesou_indexer::duckdb_kind(e),
            Error::Tokenizer(_) | Error::Candle(_) | Error::Arrow(_) => Kind::Internal,
        }
    }

    /// Whether the error is the user's to fix rather than a fault.
    pub fn is_user_error(&self) -> bool {
        self.kind().is_user()
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

use std::path::PathBuf;

/// What can go wrong with a model: a folder that is not a usable model (the user's to fix:
/// the message says what is missing or unsupported) or a fault while reading or running it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadModel(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("model computation: {0}")]
    Candle(#[from] candle_core::Error),
}

impl Error {
    pub fn is_user_error(&self) -> bool {
        matches!(self, Error::BadModel(_))
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

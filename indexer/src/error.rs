use std::path::{Path, PathBuf};

use kesou_domain::Kind;

/// What can go wrong in the indexer. User errors (a missing file, a store that is not a
/// kesou store) say what to do; faults carry their source.
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

    /// Whose fault it is: an I/O error by what happened (a missing input file is the
    /// user's, a full disk the machine's, in DuckDB and tantivy too), a busy index a
    /// conflict, the rest faults.
    pub fn kind(&self) -> Kind {
        match self {
            Error::Io { source, .. } => Kind::of_io(source),
            Error::BadInput(_) => Kind::BadRequest,
            Error::IndexBusy => Kind::Conflict,
            Error::Store(e) => duckdb_kind(e),
            Error::Index(e) => tantivy_kind(e),
            Error::Arrow(_) => Kind::Internal,
        }
    }

    /// Whether the error is the user's to fix rather than a fault.
    pub fn is_user_error(&self) -> bool {
        self.kind().is_user()
    }
}

/// Whose fault a DuckDB error is: the machine's when the operating system's words for a
/// full disk or a refused permission are in it (DuckDB keeps no I/O error, only its text).
pub fn duckdb_kind(e: &duckdb::Error) -> Kind {
    Kind::of_engine(None, &e.to_string())
}

/// Whose fault a tantivy error is: the machine's when an I/O error caused it.
pub fn tantivy_kind(e: &tantivy::TantivyError) -> Kind {
    use tantivy::TantivyError as T;
    use tantivy::directory::error::{LockError, OpenDirectoryError, OpenReadError, OpenWriteError};
    let io = match e {
        T::IoError(io)
        | T::OpenReadError(OpenReadError::IoError { io_error: io, .. })
        | T::OpenWriteError(OpenWriteError::IoError { io_error: io, .. })
        | T::OpenDirectoryError(OpenDirectoryError::IoError { io_error: io, .. })
        | T::LockFailure(LockError::IoError(io), _) => Some(io.as_ref()),
        _ => None,
    };
    Kind::of_engine(io, &e.to_string())
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

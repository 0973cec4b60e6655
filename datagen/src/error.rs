use std::path::PathBuf;

use kesou_domain::Kind;

/// What can go wrong while generating.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration asks for something the generator cannot do; the message says what
    /// to change.
    #[error("{0}")]
    Config(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("encoding {table}: {source}")]
    Arrow {
        table: &'static str,
        #[source]
        source: arrow::error::ArrowError,
    },
    #[error("writing parquet: {0}")]
    Parquet(#[from] duckdb::Error),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Whether the error is the caller's to fix (a bad configuration) rather than a fault
    /// of the machine (disk full, permissions).
    pub fn is_user_error(&self) -> bool {
        self.kind().is_user()
    }

    /// Whose fault it is: an I/O error by what happened (an output folder that is not
    /// there is the user's, a full disk the machine's).
    pub fn kind(&self) -> Kind {
        match self {
            Error::Config(_) => Kind::BadRequest,
            Error::Io { source, .. } => Kind::of_io(source),
            Error::Parquet(e) => Kind::of_engine(None, &e.to_string()),
            Error::Arrow { .. } => Kind::Internal,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_can_cross_threads_and_be_boxed() {
        fn boxable<T: std::error::Error + Send + Sync + 'static>() {}
        boxable::<Error>();
        let e = Error::io("out/customers.csv", std::io::Error::other("disk full"));
        assert_eq!(e.to_string(), "out/customers.csv: disk full");
        assert!(!e.is_user_error());
    }
}

/// What can go wrong with a watch: the user's doing (a question not understood whole, a
/// field their role may not use, a target that does not exist, not allowed) or a fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Query(#[from] kesou_query::Error),
    #[error(transparent)]
    Indexer(#[from] kesou_indexer::Error),
    #[error(transparent)]
    Access(#[from] kesou_access::Error),
    #[error("store: {0}")]
    Store(#[from] duckdb::Error),
}

impl Error {
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::BadInput(_) | Error::NotFound(_) | Error::Forbidden(_) => true,
            Error::Query(e) => e.is_user_error(),
            Error::Indexer(e) => e.is_user_error(),
            Error::Access(e) => e.is_user_error(),
            Error::Store(_) => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

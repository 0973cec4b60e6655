/// What can go wrong answering a query: the user's request (a filter on an unknown field, a
/// value that is not a region…) or an internal fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Indexer(#[from] kesou_indexer::Error),
    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("store: {0}")]
    Store(#[from] duckdb::Error),
}

impl Error {
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::BadRequest(_) => true,
            Error::Indexer(e) => e.is_user_error(),
            _ => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

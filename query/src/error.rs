/// What can go wrong answering a query: the user's request (a filter on an unknown field, a
/// value that is not a region, a question with nothing understood…) or an internal fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadRequest(String),
    /// A question of which nothing was understood: what was not, and what to try.
    #[error("{0}")]
    NotUnderstood(String),
    /// What was asked for does not exist: a customer id, a board or a saved report.
    #[error("{0}")]
    NotFound(String),
    /// What was asked would overwrite what someone else owns (a saved report's name).
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do this to what someone else owns (delete their report).
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Indexer(#[from] kesou_indexer::Error),
    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("store: {0}")]
    Store(#[from] duckdb::Error),
    #[error(transparent)]
    Schema(#[from] kesou_nlq::Error),
    #[error("semantic model: {0}")]
    Model(#[from] kesou_models::Error),
}

impl Error {
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::BadRequest(_)
            | Error::NotUnderstood(_)
            | Error::NotFound(_)
            | Error::Conflict(_)
            | Error::Forbidden(_) => true,
            Error::Indexer(e) => e.is_user_error(),
            Error::Model(e) => e.is_user_error(),
            _ => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

use kesou_domain::Kind;

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
    /// Whose fault it is; wrapped errors keep their own kind.
    pub fn kind(&self) -> Kind {
        match self {
            Error::BadRequest(_) => Kind::BadRequest,
            Error::NotUnderstood(_) => Kind::BadQuestion,
            Error::NotFound(_) => Kind::NotFound,
            Error::Conflict(_) => Kind::Conflict,
            Error::Forbidden(_) => Kind::Forbidden,
            Error::Indexer(e) => e.kind(),
            Error::Schema(e) => e.kind(),
            Error::Model(e) => e.kind(),
            Error::Index(e) => kesou_indexer::tantivy_kind(e),
            Error::Store(e) => kesou_indexer::duckdb_kind(e),
        }
    }

    /// Whether the error is the user's to fix rather than a fault.
    pub fn is_user_error(&self) -> bool {
        self.kind().is_user()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

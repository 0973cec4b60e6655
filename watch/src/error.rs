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
        self.kind().is_user()
    }

    /// Whose fault it is; wrapped errors keep their own kind.
    pub fn kind(&self) -> kesou_domain::Kind {
        use kesou_domain::Kind;
        match self {
            Error::BadInput(_) => Kind::BadRequest,
            Error::NotFound(_) => Kind::NotFound,
            Error::Forbidden(_) => Kind::Forbidden,
            Error::Query(e) => e.kind(),
            Error::Indexer(e) => e.kind(),
            Error::Access(e) => e.kind(),
            Error::Store(e) => kesou_indexer::duckdb_kind(e),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

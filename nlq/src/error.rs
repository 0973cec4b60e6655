/// What can go wrong in the parser crate: only a bad schema description. Questions never
/// fail to parse; what is not understood is listed in [`crate::Query::unrecognized`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("schema description: {0}")]
    Schema(String),
}

impl Error {
    /// A schema description kesou cannot use is a fault of the program that wrote it.
    pub fn kind(&self) -> kesou_domain::Kind {
        match self {
            Error::Schema(_) => kesou_domain::Kind::Internal,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

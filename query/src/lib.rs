//! kesou's query execution: text search over the index with filters, facet counts and
//! highlighted snippets ([`Searcher`]); the same request answered by DuckDB alone
//! ([`baseline`]) as the yardstick benchmarks compare against; the structured queries of
//! the question parser ([`ask`]); lookalike customers ([`lookalike`]); semantic retrieval
//! blended with BM25 when the store has a sentence-embedding model ([`semantic`]).
//! Every number a request carries is bounded by [`bounds`].

mod bounds;
mod error;
pub mod facets;
mod filters;
mod hybrid;
mod matches;
mod scope;
mod search;
mod text_query;

#[cfg(test)]
mod testing;

pub mod ask;
pub mod baseline;
pub mod boards;
pub mod export;
pub mod lookalike;
pub mod profile;
pub mod semantic;
pub mod suggest;
pub mod tags;

pub use bounds::{MAX_OFFSET, MAX_PAGE, MAX_ROWS, check_count, check_offset};
pub use error::{Error, Result};
pub use facets::{FacetResult, FacetValue};
pub use filters::{
    Filter, MAX_FILTER_CHARS, filter_fields, filterable, parse_filter, parse_filters, resolve_field,
};
pub use hybrid::{HybridRank, TextMatches};
pub use scope::{SCOPE_FIELDS, Scope, ScopeExt, ScopeRule};
pub use search::{
    Highlight, MAX_LIMIT as MAX_SEARCH_LIMIT, SearchHit, SearchRequest, SearchResults, Searcher,
    bracketed,
};

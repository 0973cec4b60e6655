//! kesou's query execution. Today: text search over the index with filters, facet counts
//! and highlighted snippets ([`Searcher`]), and the same request answered by DuckDB alone
//! ([`baseline`]) as the yardstick benchmarks compare against. The structured queries of
//! the question parser, permissions and lookalike search come here next.

mod error;
mod facets;
mod filters;
mod matches;
mod search;
mod text_query;

pub mod ask;
pub mod baseline;
pub mod tags;

pub use error::{Error, Result};
pub use facets::{FacetResult, FacetValue};
pub use filters::{Filter, filter_fields};
pub use search::{Highlight, SearchHit, SearchRequest, SearchResults, Searcher};

//! kesou's shared vocabulary: the names every other crate agrees on.
//!
//! Ids that cross crates ([`CustomerId`]), the closed sets of the data contract
//! ([`Region`], [`Industry`], [`Lifecycle`] …), China's provinces and cities with their
//! 大区 ([`geo`]), the GB 32100 统一社会信用代码 check ([`credit_code`]) and the text
//! normalisation every layer must apply the same way ([`text`]), whose fault an error is
//! ([`Kind`]), the rows a user may see ([`Scope`]) and an answer's table ([`answer`]). It
//! knows nothing of DuckDB, tantivy or HTTP, so the question parser and the access rules
//! can depend on it too.

mod ids;
mod kind;
mod scope;
mod sets;

pub mod answer;
pub mod credit_code;
pub mod geo;
pub mod text;

pub use ids::CustomerId;
pub use kind::Kind;
pub use scope::{SCOPE_FIELDS, Scope, ScopeError, ScopeRule};
pub use sets::{
    Channel, CompareOp, Industry, InteractionKind, Lifecycle, Region, Size, UnknownValue,
    ValueLevel,
};

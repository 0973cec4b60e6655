//! kesou's question parser: it turns a manager's question, in Chinese or English, into the
//! structured [`Query`] the engine runs, and ties every part of that query to the span of the
//! question it came from, so nothing is dropped silently.
//!
//! The parser is driven by a [`Schema`] description (fields, their names and synonyms in
//! Chinese and English, value dictionaries, related tables, glossary concepts), never by
//! knowledge of the customer table; it knows neither DuckDB nor tantivy. Numbers, amounts and
//! percentages are read by [`find_numbers`] (百万, 1.5亿, 两百万, 五十万元, 2,500,000 元,
//! 百分之十五, 15%, 2.5 million, 近30天, TOP20) with byte spans into the original text.

mod error;
mod explain;
#[doc(hidden)]
pub mod fuzzing;
mod numbers;
mod parse;
mod query;
mod schema;

pub use error::{Error, Result};
pub use explain::{Chip, canonical, chips, explain};
pub use numbers::{NumberKind, NumberMatch, find_numbers, parse_number};
pub use parse::{Parser, Piece, Role};
pub use query::{
    Agg, Ambiguity, Bucket, Compare, Comparison, Condition, Filter, GroupBy, Limit, Measure, Op,
    Query, Reading, RelatedFilter, Seed, Series, Similar, Sort, Span, TextTerm, Total, Value,
    format_number,
};
pub use schema::{
    Alternative, Concept, Field, FieldKind, Ranked, Related, RelatedMeasure, Rollup, Schema,
    ValueWords,
};

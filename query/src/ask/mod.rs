//! Questions answered: a structured [`kesou_nlq::Query`] (what the question parser makes of
//! a manager's question) executed against a store, generic over the schema description.
//!
//! Conditions, related-table counts, groups, measures and ordering are DuckDB SQL built from
//! the schema ([`sql`], [`statement`]); text terms are matched by the tantivy index and
//! joined in, or by `ILIKE` over the text fields of a table without an index ([`execute`]).
//! Every value is a bound parameter; identifiers come only from the schema description.
//! A question of which nothing was understood is an error, never every row.

mod answer;
mod asker;
mod execute;
mod keys;
mod members;
mod similar;
pub(crate) mod sql;
mod statement;
mod store_schema;
mod user_schema;
mod vocabulary;
mod window;

pub(crate) use answer::json;
pub use answer::{Answer, AnswerKind, Column, Table};
pub use asker::{Asker, MAX_QUESTION_CHARS};
pub use execute::{AskOptions, execute};
pub use members::{Among, not_row_by_row};
pub use similar::similar_table;
pub use store_schema::{
    CUSTOMERS_TOML, add_store_values, customer_schema, field_column, is_custom,
};
pub use user_schema::USER_SCHEMA_FILE;
pub use vocabulary::index_terms;

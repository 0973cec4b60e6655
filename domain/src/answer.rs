//! What a question's answer holds, shared by the crates that fill one (`query`), check one
//! (`access`: field rules) and read one (`dashboards`, `watch`): a table of typed columns
//! and JSON rows. Here rather than in `query` so that the crate that checks passwords need
//! not link DuckDB, tantivy and the models to mask a column.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Columns and rows of an answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Table {
    /// `list` (matching rows), `groups` (one row per group) or `summary` (one row of measures).
    pub kind: AnswerKind,
    pub columns: Vec<Column>,
    /// One array of values per row, in the order of `columns`: numbers, strings, dates as
    /// `YYYY-MM-DD`, lists as arrays, null when unknown.
    pub rows: Vec<Vec<Json>>,
    /// Every matching row of a list (not only those shown), or the number of groups.
    pub total: u64,
    /// How the rows are ordered, for people: 年采购额 ↓.
    pub ordered_by: String,
    /// Which retrieval matched the question's text terms: `bm25` (words) or `hybrid`
    /// (words and meaning, fused); absent when the question has no text terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieval: Option<Retrieval>,
    /// Why a store with a model matched by words only, or why its vectors may miss recent
    /// changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieval_note: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    #[default]
    List,
    Groups,
    Summary,
}

/// A column of an answer: the field or measure name, its label, what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
}

/// What a field holds, which decides the comparisons and measures it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// One value of a dictionary: 华东, 科技.
    Category,
    /// A list of values: tags.
    Tags,
    /// Free text, searched by words: name, description.
    Text,
    /// An identifier matched exactly: id, credit_code.
    Id,
    /// A count or plain number.
    Number,
    /// Money in yuan.
    Money,
    /// A fraction 0..1 (percentages compare with it).
    Ratio,
    Date,
    Timestamp,
}

impl FieldKind {
    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Number | Self::Money | Self::Ratio)
    }

    pub fn is_time(self) -> bool {
        matches!(self, Self::Date | Self::Timestamp)
    }

    pub fn has_values(self) -> bool {
        matches!(self, Self::Category | Self::Tags)
    }
}

/// Which retrieval found a text query's customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Retrieval {
    /// Words only (tantivy's BM25): no model configured, or the vectors could not be used.
    Bm25,
    /// BM25 and vector similarity, fused by reciprocal rank.
    Hybrid,
}

//! What a question gets back (the contract of DOMAIN.md, "What `kesou ask` returns"): how it
//! was understood, and a table of columns and rows.

use chrono::{DateTime, NaiveDate};
use duckdb::types::{TimeUnit, Value as SqlValue};
use kesou_nlq::{Ambiguity, Query, Span};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

pub use kesou_domain::answer::{AnswerKind, Column, Table};

/// The answer to a question.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    /// The structured query the question became, every part with its span.
    pub interpretation: Query,
    /// The one-line human reading: 大区=华东 · 年采购额>100万 · 行业=科技.
    pub explain: String,
    /// Parts of the question that were not understood.
    pub unrecognized: Vec<Span>,
    /// Whether the answer left part of the question out: a word not understood is never
    /// guessed as a condition, so the answer holds without it and says so (部分理解).
    pub partial: bool,
    /// The words left out (the text of `unrecognized`), each one a manager may add back as
    /// a text condition.
    pub ignored: Vec<String>,
    /// Words with another reading than the one chosen.
    pub alternatives: Vec<Ambiguity>,
    #[serde(flatten)]
    pub table: Table,
}

impl Answer {
    /// An answer to `query` with `table`: `explain`, what was left out and whether that
    /// makes it partial all come from the query.
    pub fn new(query: Query, schema: &kesou_nlq::Schema, table: Table) -> Answer {
        let ignored: Vec<String> = query
            .unrecognized
            .iter()
            .map(|s| s.text.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        Answer {
            explain: kesou_nlq::explain(&query, schema),
            unrecognized: query.unrecognized.clone(),
            partial: !ignored.is_empty(),
            ignored,
            alternatives: query.alternatives.clone(),
            interpretation: query,
            table,
        }
    }
}

/// A DuckDB value as JSON.
pub(crate) fn json(v: SqlValue) -> Json {
    match v {
        SqlValue::Null => Json::Null,
        SqlValue::Boolean(b) => Json::Bool(b),
        SqlValue::TinyInt(i) => i.into(),
        SqlValue::SmallInt(i) => i.into(),
        SqlValue::Int(i) => i.into(),
        SqlValue::BigInt(i) => i.into(),
        SqlValue::HugeInt(i) => i64::try_from(i).map_or_else(|_| number(i as f64), Json::from),
        SqlValue::UHugeInt(i) => u64::try_from(i).map_or_else(|_| number(i as f64), Json::from),
        SqlValue::UTinyInt(i) => i.into(),
        SqlValue::USmallInt(i) => i.into(),
        SqlValue::UInt(i) => i.into(),
        SqlValue::UBigInt(i) => i.into(),
        SqlValue::Float(f) => number(f64::from(f)),
        SqlValue::Double(f) => number(f),
        SqlValue::Decimal(d) => d.to_string().parse::<f64>().map_or(Json::Null, number),
        SqlValue::Text(s) | SqlValue::Enum(s) => Json::String(s),
        SqlValue::Date32(days) => NaiveDate::from_num_days_from_ce_opt(days + UNIX_EPOCH_CE)
            .map_or(Json::Null, |d| Json::String(d.to_string())),
        SqlValue::Timestamp(unit, v) => {
            let micros = match unit {
                TimeUnit::Second => v.saturating_mul(1_000_000),
                TimeUnit::Millisecond => v.saturating_mul(1_000),
                TimeUnit::Microsecond => v,
                TimeUnit::Nanosecond => v / 1_000,
            };
            DateTime::from_timestamp_micros(micros).map_or(Json::Null, |t| {
                Json::String(t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string())
            })
        }
        SqlValue::List(items) | SqlValue::Array(items) => {
            Json::Array(items.into_iter().map(json).collect())
        }
        other => Json::String(format!("{other:?}")),
    }
}

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const UNIX_EPOCH_CE: i32 = 719_163;

fn number(f: f64) -> Json {
    serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_json() {
        assert_eq!(json(SqlValue::Date32(0)), Json::String("1970-01-01".into()));
        assert_eq!(
            json(SqlValue::Date32(20_634)),
            Json::String("2026-06-30".into())
        );
        assert_eq!(
            json(SqlValue::Timestamp(
                TimeUnit::Microsecond,
                86_400_000_000 + 3_600_000_000
            )),
            Json::String("1970-01-02 01:00:00".into())
        );
        assert_eq!(json(SqlValue::HugeInt(12)), Json::from(12));
        assert_eq!(json(SqlValue::Double(f64::NAN)), Json::Null);
        assert_eq!(
            json(SqlValue::List(vec![
                SqlValue::Text("活跃".into()),
                SqlValue::Null
            ])),
            serde_json::json!(["活跃", null])
        );
    }
}

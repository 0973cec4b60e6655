//! Reading a change batch: NDJSON, one change a line.

use kesou_domain::CustomerId;
use serde_json::Value;

use crate::source::{Record, object_record};
use crate::validate::{Columns, Fields, Outcome, Reject, Table};
use crate::{Error, Result};

/// The largest change batch accepted, in bytes.
pub const MAX_CHANGE_BYTES: usize = 16 * 1024 * 1024;

/// What rejects of a change batch name as their file.
pub const CHANGES: &str = "changes";

/// A change batch read from NDJSON, ready for [`crate::Store::apply`]. Each line is one of
///
/// ```text
/// {"op":"upsert","table":"customers","row":{"id":"C0000123","name":"…","credit_code":"…",…}}
/// {"op":"upsert","table":"orders","row":{"id":"O1","customer_id":"C0000123","order_date":"2026-06-01","amount":1200}}
/// {"op":"upsert","table":"interactions","row":{"id":"I1","customer_id":"C0000123","ts":"2026-06-01 10:00:00","kind":"咨询"}}
/// {"op":"delete","id":"C0000123"}
/// ```
///
/// A row holds the columns of the data contract (or the Chinese headers files may use) and
/// goes through the validation file rows go through; a customer row's other keys are its
/// own fields (see `apply::OwnFields`). A line that cannot be read (not JSON,
/// an unknown op or table, a row without its required columns) is kept as a reject with its
/// line number, and so is every row validation rejects: the other lines still apply.
#[derive(Debug)]
pub struct Changes {
    pub(crate) lines: Vec<Line>,
}

#[derive(Debug)]
pub(crate) struct Line {
    pub line: u64,
    pub op: Op,
}

#[derive(Debug)]
pub(crate) enum Op {
    Upsert {
        table: Table,
        record: Record,
        columns: Columns,
        /// Keys of the row that are no column of the table (derived, unknown, or a
        /// customer's own field), with their place in `record`.
        ignored: Vec<(usize, String)>,
    },
    Delete {
        id: String,
    },
    Unreadable(Reject),
}

impl Changes {
    /// Reads NDJSON bytes. Errors (user errors) only when the batch as a whole cannot be
    /// taken: larger than [`MAX_CHANGE_BYTES`], or without a single line.
    pub fn parse(bytes: &[u8]) -> Result<Changes> {
        if bytes.len() > MAX_CHANGE_BYTES {
            return Err(Error::BadInput(format!(
                "the change batch has {:.1} MB; send at most {} MB at a time (split it into several batches)",
                bytes.len() as f64 / 1e6,
                MAX_CHANGE_BYTES / 1024 / 1024
            )));
        }
        let lines: Vec<Line> = bytes
            .split(|b| *b == b'\n')
            .enumerate()
            .filter(|(_, raw)| !raw.iter().all(u8::is_ascii_whitespace))
            .map(|(i, raw)| {
                let line = i as u64 + 1;
                let op = read_line(raw, line).unwrap_or_else(Op::Unreadable);
                Line { line, op }
            })
            .collect();
        if lines.is_empty() {
            return Err(Error::BadInput(
                "the change batch holds no line; send one JSON object a line, such as \
                 {\"op\":\"delete\",\"id\":\"C0000123\"}"
                    .into(),
            ));
        }
        Ok(Changes { lines })
    }

    /// Lines read (blank lines aside).
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

fn reject(line: u64, column: &str, value: &str, reason: impl Into<String>) -> Reject {
    Reject {
        file: CHANGES.into(),
        line,
        column: column.into(),
        value: value.into(),
        reason: reason.into(),
        outcome: Outcome::Rejected,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn read_line(raw: &[u8], line: u64) -> std::result::Result<Op, Reject> {
    let text_line =
        std::str::from_utf8(raw).map_err(|_| reject(line, "", "", "line is not valid UTF-8"))?;
    let map = match serde_json::from_str::<Value>(text_line) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(reject(
                line,
                "",
                "",
                "line is JSON but not an object; expected {\"op\": \"upsert\" or \"delete\", …}",
            ));
        }
        Err(e) => return Err(reject(line, "", "", format!("line is not valid JSON: {e}"))),
    };
    let op = match map.get("op") {
        None | Some(Value::Null) => {
            return Err(reject(line, "op", "", "is required: upsert or delete"));
        }
        Some(v) => text(v),
    };
    let allowed: &[&str] = match op.as_str() {
        "upsert" => &["op", "table", "row"],
        "delete" => &["op", "table", "id"],
        _ => {
            return Err(reject(
                line,
                "op",
                &op,
                "is not an operation; expected upsert or delete",
            ));
        }
    };
    if let Some(key) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(reject(
            line,
            key,
            "",
            format!(
                "is not a key of {op} lines; expected {}",
                allowed.join(", ")
            ),
        ));
    }
    let table = map.get("table").map(text);
    if op == "delete" {
        if let Some(t) = table.filter(|t| t != Table::Customers.name()) {
            return Err(reject(
                line,
                "table",
                &t,
                "delete removes a customer (with its orders and interactions); give table customers or none",
            ));
        }
        let id = match map.get("id") {
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Null) | None => {
                return Err(reject(
                    line,
                    "id",
                    "",
                    "is required: the customer to delete",
                ));
            }
            Some(other) => {
                return Err(reject(
                    line,
                    "id",
                    &other.to_string(),
                    "must be a text such as \"C0000123\"",
                ));
            }
        };
        let id = CustomerId::parse(&id)
            .map_err(|reason| reject(line, "id", &id, reason))?
            .into_string();
        return Ok(Op::Delete { id });
    }
    let table = match table.as_deref() {
        Some("customers") => Table::Customers,
        Some("orders") => Table::Orders,
        Some("interactions") => Table::Interactions,
        other => {
            return Err(reject(
                line,
                "table",
                other.unwrap_or(""),
                "is not a table changes can upsert; expected customers, orders or interactions",
            ));
        }
    };
    let row = match map.get("row") {
        Some(Value::Object(row)) => row,
        _ => {
            return Err(reject(
                line,
                "row",
                "",
                format!("is required: an object of the {} columns", table.name()),
            ));
        }
    };
    let keys: Vec<String> = row.keys().cloned().collect();
    let record = object_record(row, line, &keys).map_err(|u| reject(line, "row", "", u.reason))?;
    let (columns, ignored, missing) = table.map_header(&keys);
    let ignored = ignored
        .into_iter()
        .filter_map(|k| Some((keys.iter().position(|h| h.trim() == k)?, k)))
        .collect();
    if !missing.is_empty() {
        return Err(reject(
            line,
            &missing.join(", "),
            "",
            format!(
                "the {} row lacks the required column(s) {}",
                table.name(),
                missing.join(", ")
            ),
        ));
    }
    Ok(Op::Upsert {
        table,
        record,
        columns,
        ignored,
    })
}

/// A row of a change batch being read: its fields as validation sees them.
pub(crate) fn fields<'a>(
    record: &'a Record,
    columns: &'a Columns,
    table: Table,
    normalized: &'a mut Vec<crate::validate::Normalization>,
) -> Fields<'a> {
    Fields {
        file: CHANGES,
        record,
        columns,
        names: table.columns(),
        normalized,
        set_aside: Vec::new(),
    }
}

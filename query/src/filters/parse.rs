//! Fixed filters written `FIELD=VALUE`, `FIELD!=A,B`, `FIELD>=NUMBER` (an embed token's
//! `region=华东`, a report's filters, later a role's rows) as conditions of the question
//! parser's [`Filter`] type, so that they AND into any structured query.
//!
//! The operator is domain's [`CompareOp`]; values of the closed sets are normalised as ingest
//! normalised the stored ones (浙江 → 浙江省, IT → 科技) by the same code as `--filter`, and
//! numbers are read as questions read them (100万, 1.5亿, 70%).

use kesou_domain::CompareOp;
use kesou_nlq::{Field, FieldKind, Filter, Op, Schema, Value};

use crate::filters::canonical_value;
use crate::{Error, Result};

/// Reads one fixed filter against a schema's fields.
pub fn parse_filter(schema: &Schema, text: &str) -> Result<Filter> {
    let (name, op, raw) = CompareOp::split(text).ok_or_else(|| {
        Error::BadRequest(format!(
            "filter {text:?} has no operator; write FIELD=VALUE or FIELD>=NUMBER, \
             e.g. region=华东 or annual_purchase>=1000000"
        ))
    })?;
    let name = name.to_ascii_lowercase();
    let field = schema
        .field(&name)
        .filter(|f| f.kind != FieldKind::Text)
        .ok_or_else(|| {
            Error::BadRequest(format!(
                "cannot filter on {name:?}; filterable fields are {}",
                filterable(schema).join(", ")
            ))
        })?;
    let values: Vec<&str> = raw
        .split([',', '，', '|', '、'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Err(Error::BadRequest(format!(
            "filter {text:?} has no value after {op}"
        )));
    }
    match field.kind {
        FieldKind::Number | FieldKind::Money | FieldKind::Ratio => {
            let [v] = values.as_slice() else {
                return Err(Error::BadRequest(format!(
                    "{} ({name}) takes one number, got {raw:?}",
                    field.label
                )));
            };
            let n = number(v).ok_or_else(|| {
                Error::BadRequest(format!(
                    "{} ({name}): {v:?} is not a number; write 1000000, 100万 or 70%",
                    field.label
                ))
            })?;
            Ok(condition(&name, op_of(op), Value::Num(n)))
        }
        FieldKind::Date | FieldKind::Timestamp => {
            let [v] = values.as_slice() else {
                return Err(Error::BadRequest(format!(
                    "{} ({name}) takes one date, got {raw:?}",
                    field.label
                )));
            };
            if chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() {
                return Err(Error::BadRequest(format!(
                    "{} ({name}): {v:?} is not a date; write YYYY-MM-DD",
                    field.label
                )));
            }
            Ok(condition(&name, op_of(op), Value::Str((*v).to_owned())))
        }
        FieldKind::Category | FieldKind::Tags | FieldKind::Id => {
            let negate = match op {
                CompareOp::Eq => false,
                CompareOp::Ne => true,
                other => {
                    return Err(Error::BadRequest(format!(
                        "{} ({name}) is compared with = or != (not {other})",
                        field.label
                    )));
                }
            };
            let values = values
                .iter()
                .map(|v| canonical(field, v))
                .collect::<Result<Vec<String>>>()?;
            let one = values.len() == 1;
            let (op, value) = match (field.kind, one) {
                (FieldKind::Tags, true) => (Op::Contains, Value::Str(values[0].clone())),
                (_, true) => (Op::Eq, Value::Str(values[0].clone())),
                (_, false) => (
                    Op::In,
                    Value::List(values.into_iter().map(Value::Str).collect()),
                ),
            };
            Ok(condition(
                &name,
                if negate { op.negated() } else { op },
                value,
            ))
        }
        FieldKind::Text => unreachable!("text fields are refused above"),
    }
}

/// Reads every filter; the first that is wrong is the error.
pub fn parse_filters<S: AsRef<str>>(schema: &Schema, texts: &[S]) -> Result<Vec<Filter>> {
    texts
        .iter()
        .map(|t| parse_filter(schema, t.as_ref()))
        .collect()
}

/// The names of the fields a fixed filter may name.
pub fn filterable(schema: &Schema) -> Vec<&str> {
    schema
        .fields
        .iter()
        .filter(|f| f.kind != FieldKind::Text)
        .map(|f| f.name.as_str())
        .collect()
}

fn condition(field: &str, op: Op, value: Value) -> Filter {
    Filter::field(field, op, value, None)
}

fn op_of(op: CompareOp) -> Op {
    match op {
        CompareOp::Eq => Op::Eq,
        CompareOp::Ne => Op::Ne,
        CompareOp::Gt => Op::Gt,
        CompareOp::Ge => Op::Ge,
        CompareOp::Lt => Op::Lt,
        CompareOp::Le => Op::Le,
    }
}

fn number(v: &str) -> Option<f64> {
    v.replace(',', "")
        .parse::<f64>()
        .ok()
        .or_else(|| kesou_nlq::parse_number(v).map(|m| m.value))
}

/// A value as the store holds it: the closed sets through domain (浙江 → 浙江省), other
/// dictionaries through their value words (重要价值 → 重要价值客户), anything else as typed.
fn canonical(field: &Field, v: &str) -> Result<String> {
    if let Some(c) = canonical_value(&field.name, v)? {
        return Ok(c);
    }
    let folded = v.to_lowercase();
    let known = field
        .values
        .iter()
        .find(|w| w.value == v || w.words.iter().any(|word| word.to_lowercase() == folded));
    Ok(known.map_or_else(|| v.to_owned(), |w| w.value.clone()))
}

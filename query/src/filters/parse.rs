//! The one reader of fixed filters written `FIELD=VALUE`, `FIELD!=A,B`, `FIELD>=NUMBER`:
//! `kesou search --filter`, `POST /api/search`, a board's `?filter=`, a report's filters, an
//! embed token's filters. Each becomes a condition of the question parser's
//! [`kesou_nlq::Filter`], so that it ANDs into any structured query and permissions are
//! checked on one typed form.
//!
//! The field is resolved to a schema field *here*, before anything else looks at it: its
//! name in any case or width (`CONTACT_PHONE`, `ｒｅｇｉｏｎ`), its label (年采购额) or one of
//! its words. Whoever checks the filter afterwards sees the canonical name
//! (`contact_phone`), whatever was typed. The operator is read by domain's
//! [`CompareOp::split`] (`≥`, `≤`, `≠` included) and becomes the parser's [`Op`] at once.
//! Values of the closed sets are normalised as ingest normalised the stored ones (浙江 →
//! 浙江省, IT → 科技); numbers are read as questions read them (100万, 1.5亿, 70%); lists
//! are split on `,` `，` `|` `、`.

use kesou_domain::CompareOp;
use kesou_domain::text::to_halfwidth;
use kesou_nlq::{Field, FieldKind, Filter, Op, Schema, Value};

use super::canonical_value;
use crate::{Error, Result};

/// Longest filter text read: a filter is a field, an operator and a few values.
pub const MAX_FILTER_CHARS: usize = 500;

/// The field a filter names: by name (any case or width), label or word; `None` when the
/// schema has no such field. Free-text fields are not filterable and never resolve.
pub fn resolve_field<'s>(schema: &'s Schema, name: &str) -> Option<&'s Field> {
    let folded = fold(name);
    let filterable = |f: &&Field| f.kind != FieldKind::Text;
    schema
        .fields
        .iter()
        .filter(filterable)
        .find(|f| f.name == folded)
        .or_else(|| {
            schema
                .fields
                .iter()
                .filter(filterable)
                .find(|f| fold(&f.label) == folded || f.words.iter().any(|w| fold(w) == folded))
        })
}

/// A field name as compared: half-width, trimmed, ASCII lower-cased.
fn fold(s: &str) -> String {
    to_halfwidth(s.trim()).to_ascii_lowercase()
}

/// Reads one fixed filter against a schema's fields.
pub fn parse_filter(schema: &Schema, text: &str) -> Result<Filter> {
    if text.chars().count() > MAX_FILTER_CHARS {
        return Err(Error::BadRequest(format!(
            "a filter has at most {MAX_FILTER_CHARS} characters"
        )));
    }
    let (name, op, raw) = CompareOp::split(text).ok_or_else(|| {
        Error::BadRequest(format!(
            "filter {text:?} has no operator; write FIELD=VALUE or FIELD>=NUMBER, \
             e.g. region=华东 or annual_purchase>=1000000"
        ))
    })?;
    let field = resolve_field(schema, name).ok_or_else(|| {
        Error::BadRequest(format!(
            "cannot filter on {name:?}; filterable fields are {}",
            filterable(schema).join(", ")
        ))
    })?;
    let name = field.name.as_str();
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
            Ok(condition(name, op_of(op), Value::Num(n)))
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
            Ok(condition(name, op_of(op), Value::Str((*v).to_owned())))
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
                name,
                if negate { op.negated() } else { op },
                value,
            ))
        }
        FieldKind::Text => unreachable!("text fields never resolve"),
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
    let v = to_halfwidth(v);
    v.replace(',', "")
        .parse::<f64>()
        .ok()
        .or_else(|| kesou_nlq::parse_number(&v).map(|m| m.value))
        .filter(|n| n.is_finite())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::from_toml(crate::ask::CUSTOMERS_TOML).unwrap()
    }

    fn field_of(f: &Filter) -> &str {
        match f {
            Filter::Field(c) => &c.field,
            other => panic!("not a field condition: {other:?}"),
        }
    }

    #[test]
    fn fields_resolve_whatever_their_case_width_or_name() {
        let s = schema();
        for (text, field) in [
            ("CONTACT_PHONE=18390440858", "contact_phone"),
            ("Contact_Phone≠18390440858", "contact_phone"),
            ("ＣＯＮＴＡＣＴ＿ＰＨＯＮＥ=1", "contact_phone"),
            (" email =a@b.cn", "email"),
            ("EMAIL!=a@b.cn", "email"),
            ("邮箱=a@b.cn", "email"),
            ("年采购额>=100万", "annual_purchase"),
            ("REGION=华东、华南", "region"),
        ] {
            let f = parse_filter(&s, text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(field_of(&f), field, "{text}");
        }
    }

    #[test]
    fn values_and_numbers_read_one_way() {
        let s = schema();
        let f = parse_filter(&s, "annual_purchase>=100万").unwrap();
        let Filter::Field(c) = f else { unreachable!() };
        assert_eq!((c.op, c.value), (Op::Ge, Value::Num(1_000_000.0)));
        let Filter::Field(c) = parse_filter(&s, "province!=浙江、广东").unwrap() else {
            unreachable!()
        };
        assert_eq!(c.op, Op::NotIn);
        assert_eq!(
            c.value,
            Value::List(vec![
                Value::Str("浙江省".into()),
                Value::Str("广东省".into())
            ])
        );
        for bad in [
            "colour=red",
            "description=储能",
            "region",
            "region=",
            "annual_purchase>=lots",
            "annual_purchase>=1e400",
            "region>华东",
        ] {
            assert!(parse_filter(&s, bad).is_err(), "{bad}");
        }
        assert!(parse_filter(&s, &format!("region={}", "华".repeat(600))).is_err());
    }
}

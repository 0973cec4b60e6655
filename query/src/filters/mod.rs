//! Filters: the one language people write them in ([`parse_filter`], in `parse.rs`) and the
//! form the index executes ([`Filter`]: equality on categories (facets), comparisons on
//! numbers, exact matches on contacts through their keyed hashes). A [`Filter`] is only ever
//! made from the parser's typed filter ([`Filter::from_question`]) or by a [`crate::Scope`],
//! never read from text by a second reader, so that the field a permission check sees is
//! the field that runs. Values are normalised the way ingest normalises them (浙江 → 浙江省,
//! 科技类 → 科技), so a filter means the same whoever typed it.

use std::ops::Bound;
use std::str::FromStr;
use std::sync::OnceLock;

use kesou_domain::{Industry, Lifecycle, Region, Size, ValueLevel, geo};
use kesou_indexer::crypt::{SEALED_FIELDS, Vault, is_sealed_field};
use kesou_indexer::index::{F64_FIELDS, FACET_ROOTS, I64_FIELDS, IndexFields, facet, region_facet};
use kesou_nlq::{Op, Schema, Value};
use serde::Serialize;
use tantivy::Term;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;

use crate::{Error, Result};

mod parse;

pub use parse::{MAX_FILTER_CHARS, filterable, parse_filter, parse_filters, resolve_field};

/// Categories a filter may name besides the facet roots: the levels of the location.
const LOCATION_LEVELS: &[&str] = &["province", "city"];

/// Fields a search filter may name: the index's facet roots, the location levels, its
/// numbers and the contacts (matched exactly, through their keyed hashes: the index never
/// holds them).
pub fn filter_fields() -> impl Iterator<Item = &'static str> {
    FACET_ROOTS
        .iter()
        .chain(LOCATION_LEVELS)
        .chain(F64_FIELDS)
        .chain(I64_FIELDS)
        .copied()
        .chain(SEALED_FIELDS.iter().map(|(f, _)| *f))
}

/// One filter as the index runs it: a field, an operator (`=` `!=` `>` `>=` `<` `<=`) and
/// one or more values (`industry=科技,制造` means either).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Filter {
    pub field: String,
    pub op: Op,
    pub values: Vec<String>,
}

/// The `FIELD<op>VALUE` form of the filter (`industry=科技,制造`).
impl std::fmt::Display for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{}{}",
            self.field,
            self.op.symbol(),
            self.values.join(",")
        )
    }
}

/// The customer description kesou ships: what a filter read without a store resolves
/// against (`kesou search --filter`).
fn shipped_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::from_toml(crate::ask::CUSTOMERS_TOML).expect("the shipped schema parses")
    })
}

/// Reads a search filter through the one filter reader ([`parse_filter`]) against the
/// shipped customer description.
impl FromStr for Filter {
    type Err = Error;
    fn from_str(s: &str) -> Result<Filter> {
        Filter::from_question(&parse_filter(shipped_schema(), s)?)
    }
}

impl Filter {
    /// The index form of one of the parser's conditions; a condition the index cannot run
    /// (a date, a group of conditions) is a user error naming what a search can filter on.
    /// [`Filter::from_question`], where a category field of the store's own (客户来源=展会)
    /// filters too, as its facet `custom/<column>`.
    pub fn from_question_in(schema: &Schema, f: &kesou_nlq::Filter) -> Result<Filter> {
        if let kesou_nlq::Filter::Field(c) = f
            && crate::ask::is_custom(schema, &c.field)
        {
            let kind = schema.field(&c.field).map(|d| d.kind);
            if kind.is_some_and(|k| k.is_numeric() || k.is_time()) {
                return custom_range(&c.field, c.op, &c.value);
            }
            let (op, values) = match (c.op, &c.value) {
                (Op::Eq | Op::Contains, Value::Str(s)) => (Op::Eq, vec![s.clone()]),
                (Op::Ne | Op::NotContains, Value::Str(s)) => (Op::Ne, vec![s.clone()]),
                (Op::In, Value::List(items)) => (Op::Eq, custom_values(&c.field, items)?),
                (Op::NotIn, Value::List(items)) => (Op::Ne, custom_values(&c.field, items)?),
                _ => (Op::Eq, Vec::new()),
            };
            if kind != Some(kesou_nlq::FieldKind::Category) || values.is_empty() {
                return Err(Error::BadRequest(format!(
                    "a search filters the store's own fields by category value, number or date \
                     ({}=…); {} is text: search for its words, or compare it in a question \
                     (kesou ask, /api/ask)",
                    c.field, c.field
                )));
            }
            return Ok(Filter {
                field: format!("{}{}", crate::facets::CUSTOM_PREFIX, c.field),
                op,
                values,
            });
        }
        Filter::from_question(f)
    }

    pub fn from_question(f: &kesou_nlq::Filter) -> Result<Filter> {
        let kesou_nlq::Filter::Field(c) = f else {
            return Err(Error::BadRequest(
                "a search filter is one FIELD<op>VALUE condition".into(),
            ));
        };
        if !filter_fields().any(|name| name == c.field) {
            return Err(Error::BadRequest(format!(
                "a search cannot filter on {}; search filters name {}",
                c.field,
                filter_fields().collect::<Vec<_>>().join(", ")
            )));
        }
        let strings = |items: &[Value]| -> Result<Vec<String>> {
            items
                .iter()
                .map(|v| match v {
                    Value::Str(s) => Ok(s.clone()),
                    other => Err(Error::BadRequest(format!(
                        "{}: {other} is not a value of it",
                        c.field
                    ))),
                })
                .collect()
        };
        let (op, values) = match (c.op, &c.value) {
            (Op::Eq | Op::Contains, Value::Str(s)) => (Op::Eq, vec![s.clone()]),
            (Op::Ne | Op::NotContains, Value::Str(s)) => (Op::Ne, vec![s.clone()]),
            (Op::In, Value::List(items)) => (Op::Eq, strings(items)?),
            (Op::NotIn, Value::List(items)) => (Op::Ne, strings(items)?),
            (op @ (Op::Eq | Op::Ne | Op::Gt | Op::Ge | Op::Lt | Op::Le), Value::Num(n)) => {
                (op, vec![n.to_string()])
            }
            (op, value) => {
                return Err(Error::BadRequest(format!(
                    "a search cannot filter {}{}{value}",
                    c.field,
                    op.symbol()
                )));
            }
        };
        Ok(Filter {
            field: c.field.clone(),
            op,
            values,
        })
    }
}

/// The filter prefix of the store's own number and date fields (`custom_range/合同金额`):
/// ranges over the index's [`kesou_indexer::index::CUSTOM_RANGES_FIELD`].
pub const CUSTOM_RANGE_PREFIX: &str = "custom_range/";

/// A comparison on one of the store's own number or date fields (合同金额>=100万,
/// 合同到期日 between two days): its values as written, numbers or `YYYY-MM-DD`.
fn custom_range(field: &str, op: Op, value: &Value) -> Result<Filter> {
    let one = |v: &Value| match v {
        Value::Num(n) => Ok(n.to_string()),
        Value::Str(s) if range_value(s).is_some() => Ok(s.clone()),
        other => Err(Error::BadRequest(format!(
            "{field}: {other} is neither a number nor a date (YYYY-MM-DD)"
        ))),
    };
    let values = match (op, value) {
        (
            Op::Eq | Op::Ne | Op::Gt | Op::Ge | Op::Lt | Op::Le,
            v @ (Value::Num(_) | Value::Str(_)),
        ) => {
            vec![one(v)?]
        }
        (Op::Between, Value::List(items)) if items.len() == 2 => {
            items.iter().map(one).collect::<Result<_>>()?
        }
        (op, value) => {
            return Err(Error::BadRequest(format!(
                "{field} compares with = != > >= < <= or a range (not {}{value})",
                op.symbol().trim()
            )));
        }
    };
    Ok(Filter {
        field: format!("{CUSTOM_RANGE_PREFIX}{field}"),
        op,
        values,
    })
}

/// A range value as the index holds it: a number, or a date as its day number.
fn range_value(raw: &str) -> Option<f64> {
    let raw = raw.trim();
    if let Ok(day) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Some(kesou_indexer::index::day_number(day));
    }
    raw.replace(',', "").parse().ok()
}

fn custom_values(field: &str, items: &[Value]) -> Result<Vec<String>> {
    items
        .iter()
        .map(|v| match v {
            Value::Str(s) => Ok(s.clone()),
            other => Err(Error::BadRequest(format!(
                "{field}: {other} is not a value of it"
            ))),
        })
        .collect()
}

fn numeric(field: &str) -> bool {
    F64_FIELDS.contains(&field) || I64_FIELDS.contains(&field)
}

fn bad(field: &str, value: &str, expected: &str) -> Error {
    Error::BadRequest(format!("{value:?} is not a {field}; expected {expected}"))
}

/// A value of a closed-set category (region, province, city, industry, size, lifecycle,
/// value level) as the store holds it: 浙江 → 浙江省, IT → 科技; an error naming the values
/// expected when it is none of them. `None` for other fields, whose values are kept as typed.
pub(crate) fn canonical_value(field: &str, value: &str) -> Result<Option<String>> {
    if !FACET_ROOTS.contains(&field) && !LOCATION_LEVELS.contains(&field)
        || matches!(field, "tags" | "owner")
    {
        return Ok(None);
    }
    let f = value_facet(field, value)?;
    Ok(f.to_path().last().map(|v| (*v).to_owned()))
}

/// The facet a category value stands for, normalised.
fn value_facet(field: &str, value: &str) -> Result<tantivy::schema::Facet> {
    let names = |all: &[&str]| all.join(" ");
    Ok(match field {
        "region" => {
            let r = Region::parse(value).ok_or_else(|| {
                bad(
                    field,
                    value,
                    &names(&Region::ALL.iter().map(|r| r.zh()).collect::<Vec<_>>()),
                )
            })?;
            region_facet(r.zh(), None, None)
        }
        "province" => {
            let p = geo::province(value)
                .ok_or_else(|| bad(field, value, "a province such as 浙江省 or 浙江"))?;
            region_facet(p.region.zh(), Some(p.name), None)
        }
        "city" => {
            let (p, c) = geo::city(value)
                .ok_or_else(|| bad(field, value, "a city such as 杭州市 or 杭州"))?;
            region_facet(p.region.zh(), Some(p.name), Some(c))
        }
        "industry" => {
            let i = Industry::from_word(value).ok_or_else(|| {
                bad(
                    field,
                    value,
                    "科技 制造 金融 零售 医疗 教育 物流 能源 建筑 餐饮 农业 传媒",
                )
            })?;
            facet("industry", i.zh())
        }
        "size" => facet(
            "size",
            Size::parse(value)
                .ok_or_else(|| bad(field, value, "微型 小型 中型 大型"))?
                .zh(),
        ),
        "lifecycle" => facet(
            "lifecycle",
            Lifecycle::parse(value)
                .ok_or_else(|| bad(field, value, "潜在 意向 成交 忠诚 流失"))?
                .zh(),
        ),
        "value_level" => facet(
            "value_level",
            ValueLevel::parse(value)
                .ok_or_else(|| bad(field, value, "高 中 低"))?
                .zh(),
        ),
        "tags" | "owner" => facet(field, value),
        _ => return Err(Error::BadRequest(format!("cannot filter on {field:?}"))),
    })
}

impl Filter {
    /// The tantivy query of this filter and whether it must match (`false`: must not),
    /// in a store held by `vault`: a contact filter matches the keyed hash of its value.
    pub fn to_query_with(
        &self,
        fields: &IndexFields,
        vault: &Vault,
    ) -> Result<(Occur, Box<dyn Query>)> {
        if is_sealed_field(&self.field) {
            return self.lookup_query(fields, vault);
        }
        self.to_query(fields)
    }

    /// The tantivy query of this filter and whether it must match (`false`: must not). A
    /// contact filter needs the store's vault: [`Filter::to_query_with`].
    pub fn to_query(&self, fields: &IndexFields) -> Result<(Occur, Box<dyn Query>)> {
        if is_sealed_field(&self.field) {
            return Err(Error::BadRequest(format!(
                "{} is matched through the store's key; not here",
                self.field
            )));
        }
        if let Some(column) = self.field.strip_prefix(crate::facets::CUSTOM_PREFIX) {
            let any: Vec<(Occur, Box<dyn Query>)> = self
                .values
                .iter()
                .map(|v| {
                    let facet = tantivy::schema::Facet::from_path([
                        kesou_indexer::index::CUSTOM_FACET,
                        column,
                        v.as_str(),
                    ]);
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_facet(fields.facets, &facet),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect();
            let occur = if self.op == Op::Ne {
                Occur::MustNot
            } else {
                Occur::Must
            };
            return Ok((occur, Box::new(BooleanQuery::new(any))));
        }
        if let Some(column) = self.field.strip_prefix(CUSTOM_RANGE_PREFIX) {
            return self.custom_range_query(fields, column);
        }
        if numeric(&self.field) {
            if self.values.len() != 1 {
                return Err(Error::BadRequest(format!(
                    "{} takes one number",
                    self.field
                )));
            }
            let raw = &self.values[0];
            let field = fields
                .field(&self.field)
                .expect("numeric field in the schema");
            let is_f64 = !matches!(
                self.field.as_str(),
                "employees" | "order_count" | "consult_30d"
            );
            let term = |v: f64| {
                if is_f64 {
                    Term::from_field_f64(field, v)
                } else {
                    Term::from_field_i64(field, v.round() as i64)
                }
            };
            let v: f64 = raw.replace(',', "").parse().map_err(|_| {
                Error::BadRequest(format!("{}: {raw:?} is not a number", self.field))
            })?;
            let (lo, hi) = match self.op {
                Op::Eq | Op::Ne => (Bound::Included(term(v)), Bound::Included(term(v))),
                Op::Gt => (Bound::Excluded(term(v)), Bound::Unbounded),
                Op::Ge => (Bound::Included(term(v)), Bound::Unbounded),
                Op::Lt => (Bound::Unbounded, Bound::Excluded(term(v))),
                Op::Le => (Bound::Unbounded, Bound::Included(term(v))),
                op => {
                    return Err(Error::BadRequest(format!(
                        "{} is a number: compare it with = != > >= < <= (not {})",
                        self.field,
                        op.symbol()
                    )));
                }
            };
            let q: Box<dyn Query> = Box::new(RangeQuery::new(lo, hi));
            let occur = if self.op == Op::Ne {
                Occur::MustNot
            } else {
                Occur::Must
            };
            return Ok((occur, q));
        }
        let occur = match self.op {
            Op::Eq => Occur::Must,
            Op::Ne => Occur::MustNot,
            op => {
                return Err(Error::BadRequest(format!(
                    "{} is a category: use = or != (not {})",
                    self.field,
                    op.symbol()
                )));
            }
        };
        let terms = self
            .values
            .iter()
            .map(|v| {
                Ok(Term::from_facet(
                    fields.facets,
                    &value_facet(&self.field, v)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((occur, any_of(terms)))
    }
}

impl Filter {
    /// A comparison on a column of the index's range field; `!=` and a missing value: a
    /// customer without the value is kept by `!=` as by a question's negation.
    fn custom_range_query(
        &self,
        fields: &IndexFields,
        column: &str,
    ) -> Result<(Occur, Box<dyn Query>)> {
        let Some(ranges) = fields.custom_ranges else {
            return Err(Error::BadRequest(format!(
                "this store's index was made before ranges on its own fields; run `kesou ingest` on it once to filter on {column}"
            )));
        };
        let values = self
            .values
            .iter()
            .map(|v| {
                range_value(v).ok_or_else(|| {
                    Error::BadRequest(format!("{column}: {v:?} is neither a number nor a date"))
                })
            })
            .collect::<Result<Vec<f64>>>()?;
        let term = |v: f64| {
            let mut t = Term::from_field_json_path(ranges, column, false);
            t.append_type_and_fast_value(v);
            t
        };
        let (lo, hi) = match (self.op, values.as_slice()) {
            (Op::Eq | Op::Ne, [v]) => (Bound::Included(term(*v)), Bound::Included(term(*v))),
            (Op::Gt, [v]) => (Bound::Excluded(term(*v)), Bound::Unbounded),
            (Op::Ge, [v]) => (Bound::Included(term(*v)), Bound::Unbounded),
            (Op::Lt, [v]) => (Bound::Unbounded, Bound::Excluded(term(*v))),
            (Op::Le, [v]) => (Bound::Unbounded, Bound::Included(term(*v))),
            (Op::Between, [a, b]) => (
                Bound::Included(term(a.min(*b))),
                Bound::Included(term(a.max(*b))),
            ),
            (op, _) => {
                return Err(Error::BadRequest(format!(
                    "{column} compares with = != > >= < <= or a range (not {})",
                    op.symbol().trim()
                )));
            }
        };
        let occur = if self.op == Op::Ne {
            Occur::MustNot
        } else {
            Occur::Must
        };
        Ok((occur, Box::new(RangeQuery::new(lo, hi))))
    }
}

/// A query matching any of `terms` (one term: that term's query alone).
fn any_of(terms: Vec<Term>) -> Box<dyn Query> {
    let mut alternatives: Vec<(Occur, Box<dyn Query>)> = terms
        .into_iter()
        .map(|t| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(t, IndexRecordOption::Basic));
            (Occur::Should, q)
        })
        .collect();
    if alternatives.len() == 1 {
        alternatives.pop().expect("one").1
    } else {
        Box::new(BooleanQuery::new(alternatives))
    }
}

impl Filter {
    /// A contact filter: `=` (any of the values) or `!=`, on the keyed hashes of the
    /// values, normalised as ingest normalises them (138-1234-8000 is 13812348000).
    fn lookup_query(&self, fields: &IndexFields, vault: &Vault) -> Result<(Occur, Box<dyn Query>)> {
        let occur = match self.op {
            Op::Eq => Occur::Must,
            Op::Ne => Occur::MustNot,
            op => {
                return Err(Error::BadRequest(format!(
                    "{} is matched exactly: use = or != (not {})",
                    self.field,
                    op.symbol()
                )));
            }
        };
        let Some(lookups) = fields.lookups else {
            return Err(Error::BadRequest(format!(
                "this store's index was made before contact lookups; run `kesou ingest` on it once to filter on {}",
                self.field
            )));
        };
        let terms = self
            .values
            .iter()
            .map(|v| {
                let hash = vault
                    .lookup(&self.field, v)
                    .ok_or_else(|| bad(&self.field, v, "a value"))?;
                Ok(Term::from_field_text(lookups, &hash))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((occur, any_of(terms)))
    }

    /// This filter as a SQL condition on `customers` aliased `t`, with its parameters;
    /// values normalised as for the index (浙江 → 浙江省). Negations keep customers whose
    /// value is unknown, as `kesou ask` does. Contacts are matched in search and questions
    /// only, where the store's key is at hand.
    pub fn to_sql(&self) -> Result<(String, Vec<duckdb::types::Value>)> {
        use duckdb::types::Value;
        if is_sealed_field(&self.field) {
            return Err(Error::BadRequest(format!(
                "{} can be a filter of a search or a question, not here",
                self.field
            )));
        }
        if numeric(&self.field) {
            let [raw] = self.values.as_slice() else {
                return Err(Error::BadRequest(format!(
                    "{} takes one number",
                    self.field
                )));
            };
            let v: f64 = raw.replace(',', "").parse().map_err(|_| {
                Error::BadRequest(format!("{}: {raw:?} is not a number", self.field))
            })?;
            let op = match self.op {
                Op::Ne => "IS DISTINCT FROM",
                op @ (Op::Eq | Op::Gt | Op::Ge | Op::Lt | Op::Le) => op.symbol(),
                op => {
                    return Err(Error::BadRequest(format!(
                        "{} is a number: compare it with = != > >= < <= (not {})",
                        self.field,
                        op.symbol()
                    )));
                }
            };
            return Ok((format!("t.{} {op} ?", self.field), vec![Value::Double(v)]));
        }
        let negate = match self.op {
            Op::Eq => false,
            Op::Ne => true,
            op => {
                return Err(Error::BadRequest(format!(
                    "{} is a category: use = or != (not {})",
                    self.field,
                    op.symbol()
                )));
            }
        };
        let values = self
            .values
            .iter()
            .map(|v| {
                let f = value_facet(&self.field, v)?;
                let path = f.to_path();
                Ok(Value::Text(
                    path.last().copied().unwrap_or(v.as_str()).to_owned(),
                ))
            })
            .collect::<Result<Vec<Value>>>()?;
        let marks = vec!["?"; values.len()].join(", ");
        let any = if self.field == "tags" {
            format!("list_has_any(t.tags, [{marks}])")
        } else {
            format!("t.{} IN ({marks})", self.field)
        };
        let sql = if negate {
            format!("NOT coalesce({any}, FALSE)")
        } else {
            any
        };
        Ok((sql, values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filters_and_says_what_is_wrong() {
        let f: Filter = "industry=科技,制造".parse().unwrap();
        assert_eq!(f.values, ["科技", "制造"]);
        assert_eq!(
            "annual_purchase>=1000000".parse::<Filter>().unwrap().op,
            Op::Ge
        );
        let e = "colour=red".parse::<Filter>().unwrap_err().to_string();
        assert!(e.contains("cannot filter on \"colour\""), "{e}");
        assert!("region".parse::<Filter>().is_err());
        // A field the questions know but the index does not hold.
        let e = "founded_date>=2020-01-01"
            .parse::<Filter>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("search filters name"), "{e}");
        // The drift between the two old readers is gone: 万 and 、 read the same everywhere.
        let f: Filter = "annual_purchase>=100万".parse().unwrap();
        assert_eq!(f.values, ["1000000"]);
        let f: Filter = "industry=科技、制造".parse().unwrap();
        assert_eq!(f.values, ["科技", "制造"]);
        let f: Filter = "CONTACT_PHONE≠18390440858".parse().unwrap();
        assert_eq!((f.field.as_str(), f.op), ("contact_phone", Op::Ne));
    }

    #[test]
    fn values_normalise_like_ingest() {
        assert_eq!(
            value_facet("province", "浙江").unwrap().to_path_string(),
            "/region/华东/浙江省"
        );
        assert_eq!(
            value_facet("city", "杭州").unwrap().to_path_string(),
            "/region/华东/浙江省/杭州市"
        );
        assert_eq!(
            value_facet("industry", "IT").unwrap().to_path_string(),
            "/industry/科技"
        );
        let (sql, params) = "province!=浙江,广东"
            .parse::<Filter>()
            .unwrap()
            .to_sql()
            .unwrap();
        assert_eq!(sql, "NOT coalesce(t.province IN (?, ?), FALSE)");
        assert_eq!(
            params,
            [
                duckdb::types::Value::Text("浙江省".into()),
                duckdb::types::Value::Text("广东省".into())
            ]
        );
        let (sql, _) = "employees>=100"
            .parse::<Filter>()
            .unwrap()
            .to_sql()
            .unwrap();
        assert_eq!(sql, "t.employees >= ?");
        assert!(
            value_facet("region", "火星")
                .unwrap_err()
                .to_string()
                .contains("华东")
        );
    }
}

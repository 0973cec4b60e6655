//! Conditions to SQL: a [`Filter`] tree becomes a boolean expression over the main table
//! (alias `t`) and its related tables (alias `r`), generic over the schema description.
//!
//! Identifiers come only from the schema (which [`Schema::check`] restricts to plain names)
//! and are quoted anyway; every value is a bound parameter, never SQL text.
//!
//! Negation keeps rows whose value is unknown. 非制造业 is read as "every customer not
//! recorded as 制造", so a customer whose industry is missing is kept: it is not known to be
//! a manufacturer, and a manager who excludes manufacturing expects everything else, so that
//! 制造业 plus 非制造业 is every customer. Hence `!=` is `IS DISTINCT FROM`, `not in` and
//! `not contains` are `col IS NULL OR NOT …`, and a `not` tree is `NOT coalesce(…, FALSE)`.
//! Comparisons (`>`, `between` …) never hold for an unknown value.

use chrono::NaiveDate;
use duckdb::types::Value as SqlValue;
use kesou_nlq::{Agg, Condition, Field, FieldKind, Filter, Op, RelatedFilter, Schema, Value};

use kesou_indexer::crypt::Vault;

use crate::{Error, Result};

/// The main table's alias in every statement.
pub(crate) const MAIN: &str = "t";
/// A related table's alias inside its subquery.
const RELATED: &str = "r";

/// A quoted identifier: `"annual_purchase"`.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A column of an alias: `t."annual_purchase"`.
pub(crate) fn column(alias: &str, name: &str) -> String {
    format!("{alias}.{}", ident(name))
}

/// A `%text%` pattern for `ILIKE … ESCAPE '\'` that matches the text literally.
pub(crate) fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The fields a condition may name and the alias they are read through.
#[derive(Clone, Copy)]
struct Scope<'s> {
    alias: &'static str,
    table: &'s str,
    fields: &'s [Field],
    /// Related-table conditions are allowed (only at the main table's level).
    related: bool,
}

/// Builds SQL expressions from conditions, collecting their bound parameters in order.
#[derive(Debug)]
pub(crate) struct SqlBuilder<'a> {
    schema: &'a Schema,
    /// How the store holds the fields with a `lookup` column: their values are matched
    /// through keyed hashes made with it.
    vault: &'a Vault,
    pub params: Vec<SqlValue>,
}

impl<'a> SqlBuilder<'a> {
    pub fn new(schema: &'a Schema, vault: &'a Vault) -> Self {
        SqlBuilder {
            schema,
            vault,
            params: Vec::new(),
        }
    }

    fn main_scope(&self) -> Scope<'a> {
        Scope {
            alias: MAIN,
            table: &self.schema.table,
            fields: &self.schema.fields,
            related: true,
        }
    }

    /// A bound parameter: its placeholder.
    pub fn bind(&mut self, value: SqlValue) -> &'static str {
        self.params.push(value);
        "?"
    }

    /// All the filters hold (`TRUE` when there are none).
    pub fn all(&mut self, filters: &[Filter]) -> Result<String> {
        let scope = self.main_scope();
        self.join(filters, scope, " AND ", "TRUE")
    }

    /// All the filters hold for a row of related table `table` read through `alias`
    /// (`TRUE` when there are none).
    pub fn related_rows(
        &mut self,
        table: &str,
        alias: &'static str,
        filters: &[Filter],
    ) -> Result<String> {
        let rel = self.schema.related(table).ok_or_else(|| {
            Error::BadRequest(format!(
                "{} has no related table {table:?}",
                self.schema.table
            ))
        })?;
        let scope = Scope {
            alias,
            table: &rel.table,
            fields: &rel.fields,
            related: false,
        };
        self.join(filters, scope, " AND ", "TRUE")
    }

    fn join(&mut self, filters: &[Filter], scope: Scope, sep: &str, empty: &str) -> Result<String> {
        if filters.is_empty() {
            return Ok(empty.to_owned());
        }
        let parts = filters
            .iter()
            .map(|f| self.filter(f, scope))
            .collect::<Result<Vec<_>>>()?;
        Ok(if parts.len() == 1 {
            parts.into_iter().next().expect("one part")
        } else {
            format!("({})", parts.join(sep))
        })
    }

    fn filter(&mut self, f: &Filter, scope: Scope) -> Result<String> {
        match f {
            Filter::Field(c) => self.condition(c, scope),
            Filter::Any { any, .. } => self.join(any, scope, " OR ", "FALSE"),
            Filter::All { all, .. } => self.join(all, scope, " AND ", "TRUE"),
            Filter::Not { not, .. } => {
                Ok(format!("NOT coalesce({}, FALSE)", self.filter(not, scope)?))
            }
            Filter::Related(r) if scope.related => self.related(r),
            Filter::Related(r) => Err(Error::BadRequest(format!(
                "a condition on {} cannot sit inside a condition on {}",
                r.table, scope.table
            ))),
        }
    }

    fn related(&mut self, r: &RelatedFilter) -> Result<String> {
        let rel = self.schema.related(&r.table).ok_or_else(|| {
            Error::BadRequest(format!(
                "{} has no related table {:?}",
                self.schema.table, r.table
            ))
        })?;
        if let Some(sql) = self.related_by_rollup(r, rel)? {
            return Ok(sql);
        }
        let scope = Scope {
            alias: RELATED,
            table: &rel.table,
            fields: &rel.fields,
            related: false,
        };
        let fk = column(RELATED, &rel.foreign_key);
        let mut conditions = String::new();
        for f in &r.filters {
            conditions.push_str(" AND ");
            conditions.push_str(&self.filter(f, scope)?);
        }
        let n = r.count;
        // What is compared: how many related rows there are, or the sum of one of their
        // numbers (订单金额合计 ≥ 50万).
        let measured = match &r.total {
            None => "count(*)".to_owned(),
            Some(t) => {
                let name = &t.field;
                let f = rel.fields.iter().find(|f| &f.name == name).ok_or_else(|| {
                    Error::BadRequest(format!("{} has no field {name:?}", rel.table))
                })?;
                if !f.kind.is_numeric() {
                    return Err(Error::BadRequest(format!(
                        "cannot add up {}: it is not a number",
                        f.label
                    )));
                }
                match t.agg {
                    Agg::Sum => format!("coalesce(sum({}), 0)", summed(f, RELATED)),
                    Agg::Avg => format!("avg({})", column(RELATED, &f.name)),
                    other => {
                        return Err(Error::BadRequest(format!(
                            "the {} of {} is not compared; compare its sum or average",
                            other.name(),
                            f.label
                        )));
                    }
                }
            }
        };
        let counting = r.total.is_none();
        // An average of no rows is unknown: no comparison holds for it.
        let averaged = r.total.as_ref().is_some_and(|t| t.agg == Agg::Avg);
        let at_least_one = counting
            && (matches!(r.count_op, Op::Ge if n == 1.0) || (r.count_op == Op::Gt && n == 0.0));
        let none = counting
            && (matches!(r.count_op, Op::Eq | Op::Le if n == 0.0)
                || (r.count_op == Op::Lt && n == 1.0));
        if at_least_one || none {
            let not = if none { "NOT " } else { "" };
            return Ok(format!(
                "{not}EXISTS (SELECT 1 FROM {} {RELATED} WHERE {fk} = {}{conditions})",
                ident(&rel.table),
                column(MAIN, &self.schema.key)
            ));
        }
        let (op, zero_holds) = compared(r, &rel.label)?;
        // Counted per key in one grouped pass (about twice as fast in DuckDB as a correlated
        // count). Rows with no related rows have a count of 0: when 0 passes the test, the
        // answer is every row except those whose count fails it.
        let p = self.bind(SqlValue::Double(n));
        let key = column(MAIN, &self.schema.key);
        let counted = format!(
            "SELECT {fk} FROM {} {RELATED} WHERE {fk} IS NOT NULL{conditions} GROUP BY 1 HAVING",
            ident(&rel.table)
        );
        Ok(if zero_holds && !averaged {
            format!("NOT ({key} IN ({counted} NOT ({measured} {op} {p})))")
        } else {
            format!("{key} IN ({counted} {measured} {op} {p})")
        })
    }

    fn condition(&mut self, c: &Condition, scope: Scope) -> Result<String> {
        let field = scope
            .fields
            .iter()
            .find(|f| f.name == c.field)
            .ok_or_else(|| {
                Error::BadRequest(format!("{} has no field {:?}", scope.table, c.field))
            })?;
        let raw = column(scope.alias, &field.name);
        let col = if field.kind == FieldKind::Timestamp {
            format!("CAST({raw} AS DATE)")
        } else {
            raw.clone()
        };
        if field.kind == FieldKind::Tags {
            return self.tags_condition(c, field, &raw);
        }
        if let Some(lookup) = &field.lookup
            && let Some(sql) = self.lookup_condition(c, field, &column(scope.alias, lookup))?
        {
            return Ok(sql);
        }
        Ok(match c.op {
            Op::IsNull => format!("{col} IS NULL"),
            Op::NotNull => format!("{col} IS NOT NULL"),
            Op::Eq => format!("{col} = {}", self.scalar(field, &c.value)?),
            Op::Ne => format!("{col} IS DISTINCT FROM {}", self.scalar(field, &c.value)?),
            Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                let p = self.scalar(field, &c.value)?;
                format!("{col} {} {p}", c.op.symbol())
            }
            Op::Between => {
                let (low, high) = self.range(field, &c.value)?;
                format!("{col} BETWEEN {low} AND {high}")
            }
            Op::In | Op::NotIn => {
                let items = list(&c.value);
                if items.is_empty() {
                    return Ok(if c.op == Op::In { "FALSE" } else { "TRUE" }.into());
                }
                let ps = items
                    .iter()
                    .map(|v| self.scalar(field, v))
                    .collect::<Result<Vec<_>>>()?
                    .join(", ");
                if c.op == Op::In {
                    format!("{col} IN ({ps})")
                } else {
                    format!("({col} IS NULL OR {col} NOT IN ({ps}))")
                }
            }
            Op::Contains | Op::NotContains => {
                if field.kind.is_numeric() || field.kind.is_time() {
                    return Err(Error::BadRequest(format!(
                        "{} is a {}, it cannot contain words",
                        field.label,
                        kind_name(field.kind)
                    )));
                }
                let text = match &c.value {
                    Value::Str(s) => s.clone(),
                    Value::Num(n) => kesou_nlq::format_number(*n),
                    other => return Err(bad_value(field, other)),
                };
                let p = self.bind(SqlValue::Text(like_pattern(&text)));
                if c.op == Op::Contains {
                    format!("{col} ILIKE {p} ESCAPE '\\'")
                } else {
                    format!("({col} IS NULL OR NOT {col} ILIKE {p} ESCAPE '\\')")
                }
            }
        })
    }

    /// A field with a lookup column (a contact): `=`, `!=`, `in`, `not in` compare the keyed
    /// hashes of the values (normalised as ingest normalises them, so 138-1234-8000 finds
    /// 13812348000) with the lookup column, never the stored value, which may be encrypted.
    /// `None` for the tests of nullness, and in a plain store for the other comparisons
    /// (`contains` reads the plain values there); in an encrypted store those are refused.
    fn lookup_condition(
        &mut self,
        c: &Condition,
        field: &Field,
        lookup: &str,
    ) -> Result<Option<String>> {
        let hash = |b: &mut Self, v: &Value| -> Result<&'static str> {
            let text = match v {
                Value::Str(s) => s.clone(),
                Value::Num(n) => kesou_nlq::format_number(*n),
                other => return Err(bad_value(field, other)),
            };
            let h = b
                .vault
                .lookup(&field.name, &text)
                .ok_or_else(|| bad_value(field, v))?;
            Ok(b.bind(SqlValue::Text(h)))
        };
        Ok(Some(match c.op {
            Op::IsNull | Op::NotNull => return Ok(None),
            Op::Eq => format!("{lookup} = {}", hash(self, &c.value)?),
            Op::Ne => format!("{lookup} IS DISTINCT FROM {}", hash(self, &c.value)?),
            Op::In | Op::NotIn => {
                let items = list(&c.value);
                if items.is_empty() {
                    return Ok(Some(if c.op == Op::In { "FALSE" } else { "TRUE" }.into()));
                }
                let ps = items
                    .iter()
                    .map(|v| hash(self, v))
                    .collect::<Result<Vec<_>>>()?
                    .join(", ");
                if c.op == Op::In {
                    format!("{lookup} IN ({ps})")
                } else {
                    format!("({lookup} IS NULL OR {lookup} NOT IN ({ps}))")
                }
            }
            _ if !self.vault.is_sealed() => return Ok(None),
            other => {
                return Err(Error::BadRequest(format!(
                    "{} ({}) is stored encrypted: it is matched exactly (= != in), not with {}",
                    field.label,
                    field.name,
                    other.symbol().trim()
                )));
            }
        }))
    }

    /// A list column: `=` and `contains` mean "holds the value" (several values: all of
    /// them), `in` "holds any of them"; the negations keep rows with no list at all.
    fn tags_condition(&mut self, c: &Condition, field: &Field, col: &str) -> Result<String> {
        if matches!(c.op, Op::IsNull | Op::NotNull) {
            return Ok(if c.op == Op::IsNull {
                format!("({col} IS NULL OR len({col}) = 0)")
            } else {
                format!("len({col}) > 0")
            });
        }
        let sep = match c.op {
            Op::Eq | Op::Contains | Op::Ne | Op::NotContains => " AND ",
            Op::In | Op::NotIn => " OR ",
            other => {
                return Err(Error::BadRequest(format!(
                    "{} is a list of labels; it takes = != in contains, not {}",
                    field.label,
                    other.symbol().trim()
                )));
            }
        };
        let mut holds = Vec::new();
        for v in list(&c.value) {
            let p = self.scalar(field, v)?;
            holds.push(format!("list_contains({col}, {p})"));
        }
        let positive = matches!(c.op, Op::Eq | Op::Contains | Op::In);
        Ok(match holds.len() {
            // Nothing listed: "holds all of none" is true, "holds any of none" false.
            0 => if (sep == " AND ") == positive {
                "TRUE"
            } else {
                "FALSE"
            }
            .to_owned(),
            n => {
                let h = if n == 1 {
                    holds.remove(0)
                } else {
                    format!("({})", holds.join(sep))
                };
                if positive {
                    h
                } else {
                    format!("({col} IS NULL OR NOT {h})")
                }
            }
        })
    }

    /// `[low, high]` of a between, in order.
    fn range(&mut self, field: &Field, v: &Value) -> Result<(&'static str, &'static str)> {
        let Value::List(items) = v else {
            return Err(bad_value(field, v));
        };
        let [low, high] = items.as_slice() else {
            return Err(Error::BadRequest(format!(
                "a range of {} needs two values, got {v}",
                field.label
            )));
        };
        let (low, high) = match (low, high) {
            (Value::Num(a), Value::Num(b)) if a > b => (high, low),
            (Value::Str(a), Value::Str(b)) if field.kind.is_time() && a > b => (high, low),
            _ => (low, high),
        };
        Ok((self.scalar(field, low)?, self.scalar(field, high)?))
    }

    /// One value, bound as the field's kind wants it; returns its placeholder.
    fn scalar(&mut self, field: &Field, v: &Value) -> Result<&'static str> {
        match field.kind {
            FieldKind::Number | FieldKind::Money | FieldKind::Ratio => {
                let n = match v {
                    Value::Num(n) => *n,
                    Value::Str(s) => s.trim().parse::<f64>().map_err(|_| bad_value(field, v))?,
                    _ => return Err(bad_value(field, v)),
                };
                Ok(self.bind(SqlValue::Double(n)))
            }
            FieldKind::Date | FieldKind::Timestamp => match v {
                Value::Str(s) if NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => {
                    self.bind(SqlValue::Text(s.clone()));
                    Ok("?::DATE")
                }
                _ => Err(bad_value(field, v)),
            },
            FieldKind::Category | FieldKind::Tags | FieldKind::Text | FieldKind::Id => match v {
                Value::Str(s) => Ok(self.bind(SqlValue::Text(s.clone()))),
                Value::Num(n) => Ok(self.bind(SqlValue::Text(kesou_nlq::format_number(*n)))),
                _ => Err(bad_value(field, v)),
            },
        }
    }
}

/// A related number as it is summed: money in DECIMAL fen, so that a sum does not depend
/// on the order rows are added in (and a rollup's monthly sums add up to the same).
pub(crate) fn summed(f: &Field, alias: &str) -> String {
    let col = column(alias, &f.name);
    if f.kind == FieldKind::Money {
        format!("CAST({col} AS DECIMAL(18, 2))")
    } else {
        col
    }
}

/// The SQL operator of a related count or total test, and whether a row with no related
/// rows (a count or sum of 0) passes it.
fn compared(r: &RelatedFilter, label: &str) -> Result<(&'static str, bool)> {
    let n = r.count;
    Ok(match r.count_op {
        Op::Eq => ("=", n == 0.0),
        Op::Ne => ("<>", n != 0.0),
        Op::Gt => (">", 0.0 > n),
        Op::Ge => (">=", 0.0 >= n),
        Op::Lt => ("<", 0.0 < n),
        Op::Le => ("<=", 0.0 <= n),
        other => {
            return Err(Error::BadRequest(format!(
                "a count or sum of {label} takes = != > >= < <=, not {}",
                other.symbol().trim()
            )));
        }
    })
}

/// The items of a list value (a single value is a list of one).
fn list(v: &Value) -> Vec<&Value> {
    match v {
        Value::List(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

fn kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Category => "category",
        FieldKind::Tags => "list of labels",
        FieldKind::Text => "text",
        FieldKind::Id => "identifier",
        FieldKind::Number => "number",
        FieldKind::Money => "amount of money",
        FieldKind::Ratio => "ratio",
        FieldKind::Date => "date",
        FieldKind::Timestamp => "time",
    }
}

fn bad_value(field: &Field, v: &Value) -> Error {
    let expected = match field.kind {
        FieldKind::Number | FieldKind::Money | FieldKind::Ratio => "a number",
        FieldKind::Date | FieldKind::Timestamp => "a date written YYYY-MM-DD",
        _ => "a word or a list of words",
    };
    Error::BadRequest(format!(
        "{} ({}) needs {expected}, got {v}",
        field.label, field.name
    ))
}

mod rollup;
#[cfg(test)]
mod tests;

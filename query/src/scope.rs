//! Row-level scope: the customers a user may see. A scope is a list of category filters of
//! which *any* may hold (业务员: `region=华东` or `owner=张伟`); no scope means every row.
//! The same scope is applied by every read path in the form that path needs: a tantivy
//! clause (search, facets, hybrid candidates), a SQL condition on `customers` (lookalike
//! candidates, a profile's visibility), a question filter (answers, boards, exports), and a
//! test on a row's own values (suggestions held in memory).

use kesou_nlq::{Condition, Op, Value};
use serde::{Deserialize, Serialize};
use tantivy::query::{BooleanQuery, EmptyQuery, Occur, Query};

use crate::filters::{Filter, canonical_value};
use crate::{Error, Result};

/// Category fields a scope may name: the place and the salesperson.
pub const SCOPE_FIELDS: &[&str] = &["region", "province", "city", "owner"];

/// The customers a user may see: those matching any of `any` (an empty list: none).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    any: Vec<ScopeRule>,
}

/// One way a customer is in scope: its `field` is one of `values` (normalised as ingest
/// normalises them: 浙江 → 浙江省).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScopeRule {
    pub field: String,
    pub values: Vec<String>,
}

impl Scope {
    /// A scope from rules; values are checked and normalised, empty rules dropped.
    pub fn new(rules: impl IntoIterator<Item = (String, Vec<String>)>) -> Result<Scope> {
        let mut any = Vec::new();
        for (field, values) in rules {
            if !SCOPE_FIELDS.contains(&field.as_str()) {
                return Err(Error::BadRequest(format!(
                    "a scope names {}, not {field:?}",
                    SCOPE_FIELDS.join(", ")
                )));
            }
            let mut normal = Vec::with_capacity(values.len());
            for v in values {
                let v = v.trim();
                if v.is_empty() {
                    continue;
                }
                normal.push(canonical_value(&field, v)?.unwrap_or_else(|| v.to_owned()));
            }
            normal.sort();
            normal.dedup();
            if !normal.is_empty() {
                any.push(ScopeRule {
                    field,
                    values: normal,
                });
            }
        }
        Ok(Scope { any })
    }

    /// The scope that lets nothing through.
    pub fn nothing() -> Scope {
        Scope { any: Vec::new() }
    }

    pub fn rules(&self) -> &[ScopeRule] {
        &self.any
    }

    /// Whether a customer with these values is in scope (`value(field)` gives the row's
    /// value of a scope field).
    pub fn allows<'a>(&self, value: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.any
            .iter()
            .any(|r| value(&r.field).is_some_and(|v| r.values.iter().any(|allowed| allowed == v)))
    }

    fn filters(&self) -> Vec<Filter> {
        self.any
            .iter()
            .map(|r| Filter {
                field: r.field.clone(),
                op: Op::Eq,
                values: r.values.clone(),
            })
            .collect()
    }

    /// The tantivy query of the customers in scope.
    pub fn to_query(&self, fields: &kesou_indexer::index::IndexFields) -> Result<Box<dyn Query>> {
        if self.any.is_empty() {
            return Ok(Box::new(EmptyQuery));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for f in self.filters() {
            let (_, q) = f.to_query(fields)?;
            clauses.push((Occur::Should, q));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    /// A SQL condition on `customers` aliased `t`, with its parameters.
    pub fn to_sql(&self) -> Result<(String, Vec<duckdb::types::Value>)> {
        if self.any.is_empty() {
            return Ok(("FALSE".into(), Vec::new()));
        }
        let mut parts = Vec::new();
        let mut params = Vec::new();
        for f in self.filters() {
            let (sql, p) = f.to_sql()?;
            parts.push(sql);
            params.extend(p);
        }
        Ok((format!("({})", parts.join(" OR ")), params))
    }

    /// Which of these customer ids are in scope.
    pub fn visible(
        &self,
        conn: &duckdb::Connection,
        ids: &[&str],
    ) -> Result<std::collections::HashSet<String>> {
        if ids.is_empty() || self.any.is_empty() {
            return Ok(Default::default());
        }
        let (cond, mut params) = self.to_sql()?;
        let marks = vec!["?"; ids.len()].join(", ");
        let sql = format!("SELECT t.id FROM customers t WHERE t.id IN ({marks}) AND {cond}");
        let mut all: Vec<duckdb::types::Value> = ids
            .iter()
            .map(|id| duckdb::types::Value::Text((*id).to_owned()))
            .collect();
        all.append(&mut params);
        let mut stmt = conn.prepare(&sql)?;
        let found = stmt
            .query_map(duckdb::params_from_iter(all.iter()), |r| {
                r.get::<_, String>(0)
            })?
            .collect::<std::result::Result<_, _>>()?;
        Ok(found)
    }

    /// The scope as a question filter on the customer table (for answers and boards).
    pub fn to_question_filter(&self) -> kesou_nlq::Filter {
        let any = self
            .any
            .iter()
            .flat_map(|r| {
                r.values.iter().map(|v| {
                    kesou_nlq::Filter::Field(Condition {
                        field: r.field.clone(),
                        op: Op::Eq,
                        value: Value::Str(v.clone()),
                        span: None,
                    })
                })
            })
            .collect();
        kesou_nlq::Filter::Any { any, span: None }
    }
}

/// `region=华东 | owner=张伟`, for people.
impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.any.is_empty() {
            return f.write_str("(nothing)");
        }
        let parts: Vec<String> = self
            .any
            .iter()
            .map(|r| format!("{}={}", r.field, r.values.join(",")))
            .collect();
        f.write_str(&parts.join(" | "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new([
            ("region".to_owned(), vec!["华东".to_owned()]),
            ("province".to_owned(), vec!["广东".to_owned()]),
            ("owner".to_owned(), vec!["张伟".to_owned(), " ".to_owned()]),
        ])
        .unwrap()
    }

    #[test]
    fn normalises_and_tests_rows() {
        let s = scope();
        assert_eq!(s.to_string(), "region=华东 | province=广东省 | owner=张伟");
        let row = |region: &'static str, province: &'static str, owner: &'static str| {
            move |f: &str| match f {
                "region" => Some(region),
                "province" => Some(province),
                "owner" => Some(owner),
                _ => None,
            }
        };
        assert!(s.allows(row("华东", "浙江省", "李娜")));
        assert!(s.allows(row("华南", "广东省", "李娜")));
        assert!(s.allows(row("华北", "北京市", "张伟")));
        assert!(!s.allows(row("华北", "北京市", "李娜")));
        assert!(!Scope::nothing().allows(row("华东", "浙江省", "张伟")));
    }

    #[test]
    fn becomes_sql_with_parameters() {
        let (sql, params) = scope().to_sql().unwrap();
        assert_eq!(
            sql,
            "(t.region IN (?) OR t.province IN (?) OR t.owner IN (?))"
        );
        assert_eq!(params.len(), 3);
        assert_eq!(Scope::nothing().to_sql().unwrap().0, "FALSE");
    }

    #[test]
    fn refuses_other_fields_and_bad_values() {
        assert!(Scope::new([("email".to_owned(), vec!["x".to_owned()])]).is_err());
        assert!(Scope::new([("region".to_owned(), vec!["火星".to_owned()])]).is_err());
    }
}

//! Row-level scope applied: the [`Scope`] (in `kesou-domain`, so that `access` holds one
//! without this crate) in the form each read path needs: a tantivy clause (search, facets,
//! hybrid candidates), a SQL condition on `customers` (lookalike candidates, a profile's
//! visibility), a question filter (answers, boards, exports). Suggestions held in memory
//! test a row's own values with [`Scope::allows`].

use kesou_nlq::{Condition, Op, Value};
use tantivy::query::{BooleanQuery, EmptyQuery, Occur, Query};

use crate::filters::Filter;
use crate::{Error, Result};

pub use kesou_domain::{SCOPE_FIELDS, Scope, ScopeRule};

impl From<kesou_domain::ScopeError> for Error {
    fn from(e: kesou_domain::ScopeError) -> Error {
        Error::BadRequest(e.0)
    }
}

/// How the read paths apply a [`Scope`].
pub trait ScopeExt {
    /// The tantivy query of the customers in scope.
    fn to_query(&self, fields: &kesou_indexer::index::IndexFields) -> Result<Box<dyn Query>>;
    /// A SQL condition on `customers` aliased `t`, with its parameters.
    fn to_sql(&self) -> Result<(String, Vec<duckdb::types::Value>)>;
    /// Which of these customer ids are in scope.
    fn visible(
        &self,
        conn: &duckdb::Connection,
        ids: &[&str],
    ) -> Result<std::collections::HashSet<String>>;
    /// The scope as a question filter on the customer table (for answers and boards).
    fn to_question_filter(&self) -> kesou_nlq::Filter;
}

fn filters(scope: &Scope) -> Vec<Filter> {
    scope
        .rules()
        .iter()
        .map(|r| Filter {
            field: r.field.clone(),
            op: Op::Eq,
            values: r.values.clone(),
        })
        .collect()
}

impl ScopeExt for Scope {
    fn to_query(&self, fields: &kesou_indexer::index::IndexFields) -> Result<Box<dyn Query>> {
        if self.rules().is_empty() {
            return Ok(Box::new(EmptyQuery));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for f in filters(self) {
            let (_, q) = f.to_query(fields)?;
            clauses.push((Occur::Should, q));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    fn to_sql(&self) -> Result<(String, Vec<duckdb::types::Value>)> {
        if self.rules().is_empty() {
            return Ok(("FALSE".into(), Vec::new()));
        }
        let mut parts = Vec::new();
        let mut params = Vec::new();
        for f in filters(self) {
            let (sql, p) = f.to_sql()?;
            parts.push(sql);
            params.extend(p);
        }
        Ok((format!("({})", parts.join(" OR ")), params))
    }

    fn visible(
        &self,
        conn: &duckdb::Connection,
        ids: &[&str],
    ) -> Result<std::collections::HashSet<String>> {
        if ids.is_empty() || self.rules().is_empty() {
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

    fn to_question_filter(&self) -> kesou_nlq::Filter {
        let any = self
            .rules()
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
    fn normalises_as_the_filters_do() {
        // The scope normalises in `domain`, the filters here: both must hold the same value.
        for (field, typed) in [("region", "华东"), ("province", "浙江"), ("city", "杭州")] {
            let scope = Scope::new([(field.to_owned(), vec![typed.to_owned()])]).unwrap();
            let held = crate::filters::canonical_value(field, typed).unwrap();
            assert_eq!(scope.rules()[0].values[0], held.unwrap(), "{field}");
        }
    }
}

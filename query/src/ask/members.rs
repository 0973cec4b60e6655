//! Which of some customers each of many list questions holds for, in one statement: the
//! watches asked again after a change batch. Each question's conditions (its owner's scope
//! among them) become one boolean column of a single `SELECT` over the changed customers,
//! so a hundred watches cost one pass over the changed rows instead of a hundred
//! statements (docs/performance.md, "Watches on change batches").
//!
//! Only questions whose answer for a customer depends on that customer's own row can be
//! asked this way: no text terms (the index decides them), no top-N or 相似 (they rank
//! every customer), no groups or measures (not a list of customers). Conditions on orders
//! and interactions are SQL like any other and are allowed here; whether the changed
//! customers are the right ones to ask again is the caller's business.

use std::collections::HashSet;

use duckdb::types::Value as SqlValue;
use kesou_nlq::Query;

use super::asker::Asker;
use super::sql::{MAIN, SqlBuilder, column, ident};
use super::statement::relation;
use crate::scope::ScopeExt;
use crate::{Error, Result, Scope};

/// Ids bound per statement.
const IDS_PER_STATEMENT: usize = 2000;

/// The customers [`Asker::members_among`] asks about.
#[derive(Debug, Clone, Copy)]
pub enum Among<'a> {
    /// These ids.
    Ids(&'a [String]),
    /// Those a write stamped after this store generation (`_gen`): after a change batch,
    /// the changed customers, read by an integer column with no list of ids to match.
    ChangedSince(i64),
}

/// Why `query` cannot be asked row by row, or `None`.
pub fn not_row_by_row(query: &Query) -> Option<&'static str> {
    if !query.text.is_empty() {
        Some("words are matched by the search index")
    } else if query.limit.is_some() || query.similar.is_some() {
        Some("a top-N or 相似 ranks every customer")
    } else if !query.group_by.is_empty() || !query.measures.is_empty() || query.series.is_some() {
        Some("a count or a measure is not a list of customers")
    } else {
        None
    }
}

impl Asker {
    /// For each `(query, scope)`, which of the customers `among` its answer holds (within
    /// the scope), asked in one statement (per [`IDS_PER_STATEMENT`] ids). Every query must
    /// be understood and answerable row by row ([`not_row_by_row`]).
    pub fn members_among(
        &self,
        queries: &[(&Query, Option<&Scope>)],
        among: Among,
    ) -> Result<Vec<HashSet<String>>> {
        let schema = self.schema();
        let mut found = vec![HashSet::new(); queries.len()];
        if queries.is_empty() || matches!(among, Among::Ids([])) {
            return Ok(found);
        }
        if schema.table != "customers" {
            return Err(Error::BadRequest(format!(
                "{} is not the customer table: watches follow customers",
                schema.table
            )));
        }
        let mut source = schema.table.as_str();
        for (query, _) in queries {
            if !query.understood() {
                return Err(Error::BadRequest(
                    "a question asked row by row must be understood whole".into(),
                ));
            }
            if let Some(why) = not_row_by_row(query) {
                return Err(Error::BadRequest(format!(
                    "this question cannot be asked row by row: {why}"
                )));
            }
            let r = relation(schema, query, None);
            if r != schema.table {
                source = r;
            }
        }
        let vault = self.vault();
        let mut b = SqlBuilder::new(schema, &vault);
        let mut columns = Vec::with_capacity(queries.len());
        for (query, scope) in queries {
            let mut filters = query.filters.clone();
            if let Some(scope) = scope {
                filters.push(scope.to_question_filter());
            }
            columns.push(format!("coalesce(({}), false)", b.all(&filters)?));
        }
        let conditions = b.params;
        let key = column(MAIN, &schema.key);
        let select = format!(
            "SELECT {key}, {} FROM {} {MAIN}",
            columns.join(", "),
            ident(source)
        );
        let mut read = |sql: String, bound: Vec<SqlValue>| -> Result<()> {
            let params = conditions.iter().cloned().chain(bound);
            let mut stmt = self.connection().prepare_cached(&sql)?;
            let mut rows = stmt.query(duckdb::params_from_iter(params))?;
            while let Some(row) = rows.next()? {
                let id: String = row.get(0)?;
                for (q, set) in found.iter_mut().enumerate() {
                    if row.get::<_, bool>(q + 1)? {
                        set.insert(id.clone());
                    }
                }
            }
            Ok(())
        };
        match among {
            Among::Ids(ids) => {
                for chunk in ids.chunks(IDS_PER_STATEMENT) {
                    let marks = vec!["?"; chunk.len()].join(", ");
                    let ids = chunk.iter().map(|id| SqlValue::Text(id.clone())).collect();
                    read(format!("{select} WHERE {key} IN ({marks})"), ids)?;
                }
            }
            Among::ChangedSince(generation) => read(
                format!("{select} WHERE {} > ?", column(MAIN, "_gen")),
                vec![SqlValue::BigInt(generation)],
            )?,
        }
        Ok(found)
    }
}

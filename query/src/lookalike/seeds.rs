//! Seeds as people write them: an id (C0000123, any case), an exact name, or a name that
//! matches after normalisation (`kesou_domain::text::name_key`: width, traditional
//! characters, spaces). A name several customers share is the user's to disambiguate; an
//! unknown seed says how to find the right one.

use duckdb::Connection;
use kesou_domain::text::name_key;
use serde::Serialize;

use super::vectors::Vectors;
use crate::{Error, Result, Scope, ScopeExt};

/// A seed as resolved: what was written and the customer it means.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedMatch {
    /// What the user wrote.
    pub text: String,
    pub id: String,
    pub name: String,
    #[serde(skip)]
    pub(crate) row: usize,
}

/// A customer found for a seed: rowid, id, name, province, city.
type Found = (i64, String, String, Option<String>, Option<String>);

/// How many customers an ambiguity error lists.
const LISTED: usize = 8;

/// Resolves every seed, in order, without duplicates.
/// With a scope, customers outside it are as if they did not exist.
pub(crate) fn resolve(
    conn: &Connection,
    v: &Vectors,
    texts: &[String],
    scope: Option<&Scope>,
) -> Result<Vec<SeedMatch>> {
    if texts.iter().all(|t| t.trim().is_empty()) {
        return Err(Error::BadRequest(
            "name at least one customer to find others like it: an id such as C0000123 or a company name".into(),
        ));
    }
    let texts: Vec<&str> = texts
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    let row = |r: &duckdb::Row| -> duckdb::Result<Found> {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    };
    // Every seed by id from the vector file (as written and upper-cased), then by name in
    // the store only those that are no id.
    let by_id: Vec<Found> = texts
        .iter()
        .flat_map(|t| [(*t).to_owned(), t.to_uppercase()])
        .filter_map(|id| v.row_of_id(&id))
        .map(|r| (v.rowids[r], v.ids[r].clone(), String::new(), None, None))
        .collect();
    let mut by_name = conn.prepare(
        "SELECT rowid, id, name, province, city FROM customers
         WHERE name = ? OR name_key = ? ORDER BY id LIMIT ?",
    )?;
    let mut seeds: Vec<SeedMatch> = Vec::new();
    for text in texts {
        let mut found: Vec<Found> = by_id
            .iter()
            .filter(|f| f.1 == text || f.1 == text.to_uppercase())
            .take(1)
            .cloned()
            .collect();
        if found.is_empty() {
            found = by_name
                .query_map(
                    duckdb::params![text, name_key(text), (LISTED + 1) as i64],
                    row,
                )?
                .collect::<std::result::Result<_, _>>()?;
        }
        if let Some(scope) = scope {
            let ids: Vec<&str> = found.iter().map(|f| f.1.as_str()).collect();
            let visible = scope.visible(conn, &ids)?;
            found.retain(|f| visible.contains(&f.1));
        }
        let (rowid, id, name) = match found.as_slice() {
            [(rowid, id, name, ..)] => (*rowid, id.clone(), name.clone()),
            [] => {
                return Err(Error::NotFound(format!(
                    "no customer has the id or name 「{text}」; find it with `kesou search {text}` \
                     and give its id (such as C0000123) or its full name"
                )));
            }
            many => {
                let listed: Vec<String> = many
                    .iter()
                    .take(LISTED)
                    .map(|(_, id, name, province, city)| {
                        let place = [province.as_deref(), city.as_deref()]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join("");
                        format!("{id} {name}（{place}）")
                    })
                    .collect();
                let more = if many.len() > LISTED {
                    "; and more"
                } else {
                    ""
                };
                return Err(Error::BadRequest(format!(
                    "「{text}」 is the name of several customers: {}{more}; give the id of the one you mean",
                    listed.join("; ")
                )));
            }
        };
        let row = v.row_of_rowid(rowid).filter(|r| v.ids[*r] == id).ok_or_else(|| {
            Error::BadRequest(format!(
                "customer {id} has no lookalike vector yet; run the query again (the vectors are rebuilt when the store changes)"
            ))
        })?;
        if seeds.iter().all(|s| s.row != row) {
            seeds.push(SeedMatch {
                text: text.to_owned(),
                id,
                name,
                row,
            });
        }
    }
    Ok(seeds)
}

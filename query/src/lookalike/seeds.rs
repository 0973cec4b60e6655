//! Seeds as people write them: an id (C0000123, any case), an exact name, or a name that
//! matches after normalisation (`kesou_domain::text::name_key`: width, traditional
//! characters, spaces). A name several customers share is the user's to disambiguate; an
//! unknown seed says how to find the right one.

use duckdb::Connection;
use kesou_domain::text::name_key;
use serde::Serialize;

use super::vectors::Vectors;
use crate::{Error, Result};

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
pub(crate) fn resolve(conn: &Connection, v: &Vectors, texts: &[String]) -> Result<Vec<SeedMatch>> {
    if texts.iter().all(|t| t.trim().is_empty()) {
        return Err(Error::BadRequest(
            "name at least one customer to find others like it: an id such as C0000123 or a company name".into(),
        ));
    }
    let mut stmt = conn.prepare(
        "SELECT rowid, id, name, province, city FROM customers
         WHERE upper(id) = upper(?) OR name = ? OR name_key = ?
         ORDER BY (upper(id) = upper(?)) DESC, id LIMIT ?",
    )?;
    let mut seeds: Vec<SeedMatch> = Vec::new();
    for text in texts.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        let key = name_key(text);
        let found: Vec<Found> = stmt
            .query_map(
                duckdb::params![text, text, key, text, (LISTED + 1) as i64],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )?
            .collect::<std::result::Result<_, _>>()?;
        let by_id = found
            .first()
            .filter(|(_, id, ..)| id.eq_ignore_ascii_case(text));
        let (rowid, id, name) = match (by_id, found.as_slice()) {
            (Some((rowid, id, name, ..)), _) | (None, [(rowid, id, name, ..)]) => {
                (*rowid, id.clone(), name.clone())
            }
            (None, []) => {
                return Err(Error::BadRequest(format!(
                    "no customer has the id or name 「{text}」; find it with `kesou search {text}` \
                     and give its id (such as C0000123) or its full name"
                )));
            }
            (None, many) => {
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

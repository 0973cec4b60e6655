//! 和…相似的客户: a question with seeds (`Query::similar`) is answered by the lookalike
//! ranking instead of an ordering: the question's filters and text terms choose the
//! candidates (the same SQL as any list), the seeds' vectors rank them, and the answer has
//! the list's columns plus `score` and `reasons`, most alike first.

use duckdb::Connection;
use duckdb::types::Value as SqlValue;
use kesou_nlq::{FieldKind, Query, Schema};

use super::answer::{AnswerKind, Column, Table};
use super::execute::{AskOptions, load_matches, page, rows};
use super::sql::{MAIN, column, ident};
use super::statement::{TextMatch, field_column, key_column, matching};
use crate::lookalike::{Candidates, Lookalike, Similars};
use crate::{Error, Result, Searcher};

/// Answers a question with seeds.
pub(crate) fn answer(
    conn: &Connection,
    schema: &Schema,
    searcher: Option<&Searcher>,
    lookalike: &Lookalike,
    query: &Query,
    options: &AskOptions,
) -> Result<Table> {
    let similar = query.similar.as_ref().expect("a question with seeds");
    if query.is_summary() {
        return Err(Error::BadRequest(
            "a question about similar customers lists them; count or group them in another question".into(),
        ));
    }
    let text = if query.text.is_empty() {
        TextMatch::None
    } else if let Some(searcher) = searcher {
        let words: Vec<&str> = query.text.iter().map(|t| t.text.as_str()).collect();
        load_matches(conn, &searcher.all_matches(&words.join(" "))?)?;
        TextMatch::Index
    } else {
        TextMatch::Like
    };
    let plain = kesou_indexer::crypt::Vault::plain();
    let vault = searcher.map_or(&plain, |s| s.vault());
    let m = matching(
        schema,
        vault,
        &*super::execute::scoped(schema, query, options)?,
        text,
        None,
    )?;
    let candidates =
        (!query.filters.is_empty() || text != TextMatch::None || options.scope.is_some())
            .then_some(Candidates {
                from_where: m.from_where,
                params: m.params,
            });
    if options.sort.is_some() {
        return Err(Error::BadRequest(
            "customers like others are ordered by likeness; they cannot be re-sorted".into(),
        ));
    }
    // Ranking is exact: a page is the first offset + length hits without the first offset.
    let page = page(schema, query, options);
    let k = page.offset + page.limit().unwrap_or(options.default_limit);
    let seeds: Vec<String> = similar.seeds.iter().map(|s| s.text.clone()).collect();
    let mut found =
        lookalike.similar_in(conn, &seeds, candidates.as_ref(), k, options.scope.as_ref())?;
    found.hits.drain(..page.offset.min(found.hits.len()));
    let mut fields: Vec<&str> = query.filters.iter().flat_map(|f| f.fields()).collect();
    fields.extend(schema.display.iter().map(String::as_str));
    similar_table(conn, schema, &found, &fields)
}

/// The answer table of a lookalike search: the key, the title, `score` and `reasons`, then
/// `fields` (main-table fields of the schema), rows in the order of the hits.
pub fn similar_table(
    conn: &Connection,
    schema: &Schema,
    found: &Similars,
    fields: &[&str],
) -> Result<Table> {
    let mut shown: Vec<Column> = vec![key_column(schema)];
    for name in schema
        .title
        .iter()
        .map(String::as_str)
        .chain(fields.iter().copied())
    {
        if let Some(f) = schema
            .field(name)
            .filter(|_| shown.iter().all(|c| c.name != name))
        {
            shown.push(field_column(f));
        }
    }
    let mut rows_by_id: Vec<Vec<serde_json::Value>> = Vec::new();
    if !found.hits.is_empty() {
        let select: Vec<String> = shown.iter().map(|c| column(MAIN, &c.name)).collect();
        let sql = format!(
            "SELECT {} FROM {} {MAIN} WHERE {MAIN}.rowid IN ({})",
            select.join(", "),
            ident(schema.source()),
            vec!["?"; found.hits.len()].join(", ")
        );
        let params: Vec<SqlValue> = found
            .hits
            .iter()
            .map(|h| SqlValue::BigInt(h.rowid))
            .collect();
        rows_by_id = rows(conn, &sql, &params, shown.len(), 0)?;
    }
    let mut out = Vec::with_capacity(found.hits.len());
    for h in &found.hits {
        let Some(mut row) = rows_by_id
            .iter()
            .find(|r| r[0].as_str() == Some(h.id.as_str()))
            .cloned()
        else {
            continue;
        };
        let at = 2.min(row.len());
        let score = (f64::from(h.score) * 1000.0).round() / 1000.0;
        row.insert(at, serde_json::json!(score));
        row.insert(at + 1, serde_json::json!(h.reasons));
        out.push(row);
    }
    let at = 2.min(shown.len());
    shown.insert(
        at,
        Column {
            name: "score".into(),
            label: "相似度".into(),
            kind: FieldKind::Ratio,
        },
    );
    shown.insert(
        at + 1,
        Column {
            name: "reasons".into(),
            label: "相似原因".into(),
            kind: FieldKind::Tags,
        },
    );
    Ok(Table {
        kind: AnswerKind::List,
        columns: shown,
        rows: out,
        total: found.total,
        ordered_by: "相似度 ↓".into(),
        ..Table::default()
    })
}

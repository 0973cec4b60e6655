//! Runs a structured query: text terms through the index (or `ILIKE` when the table has
//! none), the statements of [`super::statement`] through DuckDB, the rows as JSON values.

use duckdb::Connection;
use duckdb::types::Value as SqlValue;
use kesou_nlq::{FieldKind, Query, Schema, Sort};

use kesou_indexer::crypt::Vault;

use super::answer::{Column, Table, json};
use super::sql::{MAIN, column};
use super::statement::{self, Page, TEXT_TABLE, TextMatch, Total};
use crate::{Error, Result, ScopeExt, Searcher};

/// How much of an answer to return, from where, in what order.
///
/// The question's top-N (前10, TOP20) bounds the answer: rows or groups past it are never
/// returned, whatever the options. Within it, rows are returned from `offset`: `page_size`
/// of them when set; else a list returns its top-N, `default_limit` rows when the question
/// says no number, or every row with `all`, and groups return every group.
#[derive(Debug, Clone)]
pub struct AskOptions {
    /// Every matching row of a list, not only the first `default_limit` (an explicit top-N
    /// in the question still applies). Default false.
    pub all: bool,
    /// How many rows a list shows when the question says no number. Default 20.
    pub default_limit: usize,
    /// Rows (or groups) skipped before the first one returned: a page's start. Default 0.
    pub offset: usize,
    /// The most rows (or groups) returned from `offset`, when set: a page's length. Default
    /// none (see above).
    pub page_size: Option<usize>,
    /// An ordering that replaces the question's: a field of a list (any field of the
    /// table), or a group field or measure name of a grouped answer. Within a top-N the N
    /// rows are still the question's; only their order changes. Default none.
    pub sort: Option<Sort>,
    /// The customers the caller may see (`None`: every one). Applied as one more condition
    /// of every statement, not shown in the interpretation. Default none.
    pub scope: Option<crate::Scope>,
}

impl Default for AskOptions {
    fn default() -> Self {
        AskOptions {
            all: false,
            default_limit: 20,
            offset: 0,
            page_size: None,
            sort: None,
            scope: None,
        }
    }
}

impl AskOptions {
    /// A user error unless the page is within the engine's bounds ([`crate::bounds`]).
    pub fn check(&self) -> Result<()> {
        crate::check_offset(self.offset)?;
        crate::check_count("default_limit", self.default_limit, crate::MAX_ROWS)?;
        if let Some(n) = self.page_size {
            crate::check_count("a page", n, crate::MAX_ROWS)?;
        }
        Ok(())
    }

    /// Every matching row.
    pub fn all() -> Self {
        AskOptions {
            all: true,
            ..Self::default()
        }
    }
}

/// Answers `query` from the store behind `conn`; text terms go through `searcher` when the
/// table has an index, else through `ILIKE` on the schema's text fields.
pub fn execute(
    conn: &Connection,
    schema: &Schema,
    searcher: Option<&Searcher>,
    query: &Query,
    options: &AskOptions,
) -> Result<Table> {
    if !query.understood() {
        return Err(not_understood(schema, query));
    }
    let asked = query;
    let scoped_query = scoped(schema, query, options)?;
    let query = &*scoped_query;
    // The store's vault (plain for a table without an index, or a store without a key).
    let plain = Vault::plain();
    let vault = searcher.map_or(&plain, |s| s.vault());
    if query.similar.is_some() {
        return Err(Error::BadRequest(format!(
            "questions about customers like others need the lookalike vectors of a kesou store; \
             open it with Asker::open (table {})",
            schema.table
        )));
    }
    let mut retrieval = None;
    let mut retrieval_note = None;
    let text = if query.text.is_empty() {
        TextMatch::None
    } else if let Some(searcher) = searcher {
        let words: Vec<&str> = query.text.iter().map(|t| t.text.as_str()).collect();
        let found =
            searcher.text_matches(&words.join(" "), || candidates(conn, schema, vault, query))?;
        load_matches(conn, &found.matches)?;
        retrieval = Some(found.retrieval);
        retrieval_note = found.note;
        TextMatch::Index
    } else {
        TextMatch::Like
    };
    let page = page(schema, query, options);
    let st = statement::build(schema, vault, query, text, &page)?;
    tracing::debug!(sql = %st.sql, params = ?st.params, "ask");
    let width = st.columns.len();
    let (rows, total) = match st.total {
        Total::Rows => {
            let rows = rows(conn, &st.sql, &st.params, width, 0)?;
            let n = rows.len() as u64;
            (rows, n)
        }
        Total::LastColumn(sql, params) => {
            let mut rows = rows(conn, &st.sql, &st.params, width, 1)?;
            let total = match rows.first() {
                Some(r) => r[width].as_u64().unwrap_or_default(),
                None if page.offset > 0 => count(conn, &sql, &params)?,
                None => 0,
            };
            rows.iter_mut().for_each(|r| r.truncate(width));
            (rows, total)
        }
        Total::Counted { sql, params, cut } => {
            let mut stmt = conn.prepare(&sql)?;
            let (total, kth) = stmt.query_row(duckdb::params_from_iter(params.iter()), |r| {
                let total = r.get::<_, i64>(0)? as u64;
                let kth = match &cut {
                    Some(c) => match r.get::<_, SqlValue>(1)? {
                        SqlValue::List(mut best) if best.len() == c.k => best.pop(),
                        _ => None,
                    },
                    None => None,
                };
                Ok((total, kth))
            })?;
            let rows = match (cut, kth) {
                _ if total <= page.offset as u64 => Vec::new(),
                (Some(c), Some(kth)) if bindable(&kth) => {
                    let mut params = st.params.clone();
                    params.insert(c.at, kth);
                    rows(conn, &c.sql, &params, width, 0)?
                }
                _ => rows(conn, &st.sql, &st.params, width, 0)?,
            };
            (rows, total)
        }
        Total::Count(sql, params) => {
            let rows = rows(conn, &st.sql, &st.params, width, 0)?;
            let total = if page.cuts(rows.len()) {
                count(conn, &sql, &params)?
            } else {
                rows.len() as u64
            };
            (rows, total)
        }
    };
    let mut rows = rows;
    let mut columns = st.columns;
    if query.share.is_some() && st.kind == super::answer::AnswerKind::Summary {
        share_of_all(conn, schema, vault, asked, options, &mut columns, &mut rows)?;
    }
    open_sealed(schema, vault, &columns, &mut rows)?;
    Ok(Table {
        kind: st.kind,
        columns,
        rows,
        total,
        ordered_by: st.ordered_by,
        retrieval,
        retrieval_note,
    })
}

/// 华东客户占比: an answer without groups as a share of the same measure over every row
/// the caller may see (the question's conditions and text left out, its windows kept).
fn share_of_all(
    conn: &Connection,
    schema: &Schema,
    vault: &Vault,
    asked: &Query,
    options: &AskOptions,
    columns: &mut Vec<Column>,
    answer: &mut [Vec<serde_json::Value>],
) -> Result<()> {
    let mut all = asked.clone();
    all.filters.clear();
    all.text.clear();
    all.share = None;
    all.compare = None;
    let all = scoped(schema, &all, options)?;
    let st = statement::build(schema, vault, &all, TextMatch::None, &Page::default())?;
    let whole = rows(conn, &st.sql, &st.params, st.columns.len(), 0)?;
    let total = whole
        .first()
        .and_then(|r| r.first())
        .and_then(|v| v.as_f64());
    for row in answer.iter_mut() {
        let part = row.first().and_then(|v| v.as_f64());
        let share = match (part, total) {
            (Some(p), Some(t)) if t != 0.0 => serde_json::json!(p / t),
            _ => serde_json::Value::Null,
        };
        row.push(share);
    }
    columns.push(Column {
        name: statement::SHARE.to_owned(),
        label: "占比".to_owned(),
        kind: FieldKind::Ratio,
    });
    Ok(())
}

/// The query with the caller's scope as one more condition; the question's own.
pub(super) fn scoped<'q>(
    schema: &Schema,
    query: &'q Query,
    options: &AskOptions,
) -> Result<std::borrow::Cow<'q, Query>> {
    let Some(scope) = &options.scope else {
        return Ok(std::borrow::Cow::Borrowed(query));
    };
    if schema.table != "customers" {
        return Err(Error::BadRequest(format!(
            "{} cannot be limited to the customers you may see; ask about customers",
            schema.table
        )));
    }
    let mut q = query.clone();
    q.filters.push(scope.to_question_filter());
    Ok(std::borrow::Cow::Owned(q))
}

/// Whether a value read back can be bound as a parameter (a cut's kth value).
fn bindable(v: &SqlValue) -> bool {
    matches!(
        v,
        SqlValue::Boolean(_)
            | SqlValue::TinyInt(_)
            | SqlValue::SmallInt(_)
            | SqlValue::Int(_)
            | SqlValue::BigInt(_)
            | SqlValue::HugeInt(_)
            | SqlValue::UTinyInt(_)
            | SqlValue::USmallInt(_)
            | SqlValue::UInt(_)
            | SqlValue::UBigInt(_)
            | SqlValue::Float(_)
            | SqlValue::Double(_)
            | SqlValue::Decimal(_)
            | SqlValue::Text(_)
            | SqlValue::Date32(_)
            | SqlValue::Timestamp(..)
    )
}

/// Which rows the options ask for.
pub(super) fn page<'o>(schema: &Schema, query: &Query, options: &'o AskOptions) -> Page<'o> {
    let top = query.limit.as_ref().map(|l| l.n);
    // Groups come whole, except rows ranked one by one (grouped by the key: 按销售额排序的
    // 客户), which are as many as a list and paged like one.
    let per_row = query
        .group_by
        .first()
        .is_some_and(|g| g.field == schema.key);
    let whole_groups = query.is_summary() && !per_row;
    let size = match options.page_size {
        Some(n) => Some(n),
        None if whole_groups || top.is_some() || options.all => None,
        None => Some(options.default_limit),
    };
    Page {
        top,
        size,
        offset: options.offset,
        sort: options.sort.as_ref(),
    }
}

fn count(conn: &Connection, sql: &str, params: &[duckdb::types::Value]) -> Result<u64> {
    let mut stmt = conn.prepare(sql)?;
    let n = stmt.query_row(duckdb::params_from_iter(params.iter()), |r| {
        r.get::<_, i64>(0)
    })?;
    Ok(n as u64)
}

/// The keys of the rows a query's conditions (without its text) allow, for ranking by
/// meaning among them; `None` when it has no conditions (every row).
fn candidates(
    conn: &Connection,
    schema: &Schema,
    vault: &Vault,
    query: &Query,
) -> Result<Option<Vec<String>>> {
    if query.filters.is_empty() {
        return Ok(None);
    }
    let m = statement::matching(schema, vault, query, TextMatch::None, None)?;
    let sql = format!(
        "SELECT CAST({} AS VARCHAR) {}",
        column(MAIN, &schema.key),
        m.from_where
    );
    let mut stmt = conn.prepare(&sql)?;
    let keys = stmt
        .query_map(duckdb::params_from_iter(m.params.iter()), |r| {
            r.get::<_, String>(0)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(keys))
}

/// Decrypts the values of the columns whose field is stored encrypted (a field with a
/// lookup column): what leaves `kesou-query` is the plain value; masking for a role is the
/// server's (`kesou_access::Principal`).
pub(super) fn open_sealed(
    schema: &Schema,
    vault: &Vault,
    columns: &[Column],
    rows: &mut [Vec<serde_json::Value>],
) -> Result<()> {
    for (i, c) in columns.iter().enumerate() {
        if schema.field(&c.name).is_none_or(|f| f.lookup.is_none()) {
            continue;
        }
        for row in rows.iter_mut() {
            if let Some(serde_json::Value::String(s)) = row.get_mut(i) {
                *s = vault.open(&c.name, s)?;
            }
        }
    }
    Ok(())
}

/// The rows of a statement: `width` answer columns and `extra` columns after them.
pub(super) fn rows(
    conn: &Connection,
    sql: &str,
    params: &[duckdb::types::Value],
    width: usize,
    extra: usize,
) -> Result<Vec<Vec<serde_json::Value>>> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query(duckdb::params_from_iter(params.iter()))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(width + extra);
        for i in 0..width + extra {
            values.push(json(row.get::<_, duckdb::types::Value>(i)?));
        }
        out.push(values);
    }
    Ok(out)
}

/// Puts the index's matches into the temporary table the statements join with.
pub(super) fn load_matches(conn: &Connection, matches: &[(String, f32)]) -> Result<()> {
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE {TEXT_TABLE} (id VARCHAR, score DOUBLE)"
    ))?;
    let mut appender = conn.appender_to_catalog_and_db(TEXT_TABLE, "temp", "main")?;
    for (id, score) in matches {
        appender.append_row(duckdb::params![id, f64::from(*score)])?;
    }
    appender.flush()?;
    Ok(())
}

/// The error for a question of which nothing was understood: never every row instead.
pub(super) fn not_understood(schema: &Schema, query: &Query) -> Error {
    let parts: Vec<String> = query
        .unrecognized
        .iter()
        .map(|s| format!("「{}」", s.text))
        .collect();
    let fields: Vec<&str> = schema
        .fields
        .iter()
        .filter(|f| f.kind != FieldKind::Id && f.kind != FieldKind::Text)
        .take(8)
        .map(|f| f.label.as_str())
        .collect();
    Error::NotUnderstood(format!(
        "could not understand {} (没有理解); ask about {} ({} …), a value such as a place or an \
         industry, a ranking (前10) or a count (按…统计)",
        parts.join(" "),
        schema.table,
        fields.join("、"),
    ))
}

#[cfg(test)]
mod tests;

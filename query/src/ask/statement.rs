//! A whole query to SQL statements: the answer's columns, the rows (a page of a list, the
//! groups, or one summary row) and the total, generic over the schema description.
//!
//! Lists show the key, the title, the main-table fields the question's conditions and
//! ordering name, then the schema's display fields. They are ordered by the question's
//! ordering; without one by text relevance when there is text, else by the schema's
//! default measure (biggest first); always with the key as the last tie-break so the same
//! question gives the same rows. Groups are ordered by the question's ordering (a measure
//! or a group field), else by their first measure, biggest first.

use duckdb::types::Value as SqlValue;
use kesou_nlq::{
    Agg, Bucket, Compare, Field, FieldKind, Filter, Measure, Op, Query, Schema, Sort, Value,
};

use kesou_indexer::crypt::Vault;

use super::answer::{AnswerKind, Column};
use super::sql::{MAIN, SqlBuilder, column, ident, like_pattern, summed};
use super::window;
use crate::{Error, Result};

/// The temporary table text matches from the index are loaded into: `(id, score)`.
pub(crate) const TEXT_TABLE: &str = "_ask_text";
/// The column a list's text relevance is carried in.
const SCORE: &str = "_ask_score";

/// How the query's text terms are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextMatch {
    /// No text terms.
    None,
    /// The index's matches are in [`TEXT_TABLE`], joined on the key, with their scores.
    Index,
    /// No index: every term must be a substring of one of the table's text fields.
    Like,
}

/// Which rows of the answer, in what order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Page<'a> {
    /// The question's top-N: rows (or groups) past it are never part of the answer.
    pub top: Option<usize>,
    /// The most rows returned from `offset`; `None` for all of them (within `top`).
    pub size: Option<usize>,
    /// Rows skipped before the first one returned.
    pub offset: usize,
    /// An ordering that replaces the question's. Within a top-N, the N rows are still the
    /// question's first N; only their order changes.
    pub sort: Option<&'a Sort>,
}

impl Page<'_> {
    /// The `LIMIT` of the rows returned, counted from `offset` (within the top-N).
    pub fn limit(&self) -> Option<usize> {
        match (self.top, self.size) {
            (Some(n), size) => Some(n.saturating_sub(self.offset).min(size.unwrap_or(n))),
            (None, size) => size,
        }
    }

    /// Whether the rows returned may leave some out (then the total needs counting).
    pub fn cuts(&self, returned: usize) -> bool {
        self.offset > 0 || self.limit().is_some_and(|n| returned >= n)
    }

    /// `LIMIT ? OFFSET ?` with their parameters (nothing when neither applies).
    fn clause(&self, params: &mut Vec<SqlValue>) -> String {
        let mut sql = String::new();
        if let Some(n) = self.limit() {
            sql.push_str(" LIMIT ?");
            params.push(SqlValue::BigInt(n as i64));
        }
        if self.offset > 0 {
            sql.push_str(" OFFSET ?");
            params.push(SqlValue::BigInt(self.offset as i64));
        }
        sql
    }
}

/// The statements answering a query, with their parameters.
#[derive(Debug)]
pub(crate) struct Statement {
    pub kind: AnswerKind,
    pub columns: Vec<Column>,
    pub sql: String,
    pub params: Vec<SqlValue>,
    pub total: Total,
    pub ordered_by: String,
}

/// Where the answer's total comes from.
#[derive(Debug)]
pub(crate) enum Total {
    /// The number of rows: they are all there is.
    Rows,
    /// Every row carries it in one more column after the answer's; when a page past the
    /// end has no rows, this statement (with its parameters) counts it.
    LastColumn(String, Vec<SqlValue>),
    /// A statement counts it (groups left out by a top-N), with its parameters.
    Count(String, Vec<SqlValue>),
    /// Counted first, with the first `k` values of the first ordering key (see [`Cut`]).
    Counted {
        sql: String,
        params: Vec<SqlValue>,
        cut: Option<Cut>,
    },
}

/// A list's page read without sorting every match: the first statement also returns the
/// `k` best values of the first ordering key (DuckDB's `max(x, k)`); when there are `k`,
/// the rows are read with one more condition, that key at least as good as the `k`th, which
/// leaves the page's rows and their ties and lets the scan skip the columns of every other
/// row. At 1M customers an unfiltered TOP20 went from sorting ten columns of every row to
/// sorting one and reading twenty rows.
#[derive(Debug)]
pub(crate) struct Cut {
    pub k: usize,
    /// The statement with the condition added.
    pub sql: String,
    /// Where in the statement's parameters the `k`th value goes.
    pub at: usize,
}

/// Lists longer than this are read by sorting every match (a page this deep is rare).
const MAX_CUT_ROWS: usize = 10_000;

/// The matching rows: `FROM … WHERE …` over the main table, and its parameters.
pub(crate) struct Matching {
    pub from_where: String,
    pub params: Vec<SqlValue>,
    /// Whether a condition reads a related table (costly to run twice).
    pub related: bool,
    /// Whether `from_where` has a `WHERE`.
    filtered: bool,
}

impl Matching {
    /// `from_where` with one more condition ANDed (its parameters go after `params`).
    fn and(&self, condition: &str) -> String {
        if self.filtered {
            format!("{} AND {condition}", self.from_where)
        } else {
            format!("{} WHERE {condition}", self.from_where)
        }
    }
}

fn has_related(f: &kesou_nlq::Filter) -> bool {
    use kesou_nlq::Filter;
    match f {
        Filter::Related(_) => true,
        Filter::Field(_) => false,
        Filter::Any { any: inner, .. } | Filter::All { all: inner, .. } => {
            inner.iter().any(has_related)
        }
        Filter::Not { not, .. } => has_related(not),
    }
}

/// The relation a query reads rows from: the schema's [`Schema::source`] when the query (or
/// the ordering that replaces its own, `sort`) names a field only the source has, else the
/// table itself, which answers the same rows without the source's extra work (a store's
/// custom fields are pivoted from their rows by the view; 2.5× the time of a plain list at
/// 100k customers). Every string of the query is compared, so that no field a part of it
/// names can be missed: a value spelled like a field only costs the view.
pub(crate) fn relation<'s>(schema: &'s Schema, query: &Query, sort: Option<&Sort>) -> &'s str {
    if schema.source.is_none() {
        return &schema.table;
    }
    let only_source: Vec<&str> = schema
        .fields
        .iter()
        .filter(|f| super::store_schema::is_custom(schema, &f.name))
        .map(|f| f.name.as_str())
        .collect();
    if only_source.is_empty() {
        return &schema.table;
    }
    fn names_one(v: &serde_json::Value, names: &[&str]) -> bool {
        match v {
            serde_json::Value::String(s) => names.contains(&s.as_str()),
            serde_json::Value::Array(a) => a.iter().any(|v| names_one(v, names)),
            serde_json::Value::Object(o) => o.values().any(|v| names_one(v, names)),
            _ => false,
        }
    }
    let named = sort.is_some_and(|s| only_source.contains(&s.field.as_str()))
        || serde_json::to_value(query).map_or(true, |v| names_one(&v, &only_source));
    if named {
        schema.source()
    } else {
        &schema.table
    }
}

pub(crate) fn matching(
    schema: &Schema,
    vault: &Vault,
    query: &Query,
    text: TextMatch,
    sort: Option<&Sort>,
) -> Result<Matching> {
    let mut b = SqlBuilder::new(schema, vault);
    let mut conditions = vec![b.all(&query.filters)?];
    if text == TextMatch::Like {
        let texts: Vec<&Field> = schema
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Text)
            .collect();
        if texts.is_empty() {
            return Err(Error::BadRequest(format!(
                "{} has no text to search words in; ask about its fields instead",
                schema.table
            )));
        }
        for term in &query.text {
            let any: Vec<String> = texts
                .iter()
                .map(|f| {
                    let p = b.bind(SqlValue::Text(like_pattern(&term.text)));
                    format!("{} ILIKE {p} ESCAPE '\\'", column(MAIN, &f.name))
                })
                .collect();
            conditions.push(format!("({})", any.join(" OR ")));
        }
    }
    conditions.retain(|c| c != "TRUE");
    let join = if text == TextMatch::Index {
        format!(
            " JOIN {TEXT_TABLE} x ON x.id = {}",
            column(MAIN, &schema.key)
        )
    } else {
        String::new()
    };
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    Ok(Matching {
        from_where: format!(
            "FROM {} {MAIN}{join}{filter}",
            ident(relation(schema, query, sort))
        ),
        params: b.params,
        related: query.filters.iter().any(has_related),
        filtered: !filter.is_empty(),
    })
}

/// The statements for a query.
pub(crate) fn build(
    schema: &Schema,
    vault: &Vault,
    query: &Query,
    text: TextMatch,
    page: &Page,
) -> Result<Statement> {
    if vault.is_sealed() {
        refuse_sealed_order(schema, query, page)?;
    }
    if query.is_summary() {
        summary(schema, vault, query, text, page)
    } else {
        list(schema, vault, query, text, page)
    }
}

/// In a store that encrypts a field (a field with a lookup column), its stored values are
/// ciphertexts with random nonces: ordering or grouping by them would mean nothing.
fn refuse_sealed_order(schema: &Schema, query: &Query, page: &Page) -> Result<()> {
    let named = query
        .sort
        .iter()
        .chain(page.sort)
        .map(|s| s.field.as_str())
        .chain(query.group_by.iter().map(|g| g.field.as_str()))
        .chain(
            query
                .measures
                .iter()
                .filter(|m| m.related.is_none())
                .filter_map(|m| m.field.as_deref()),
        );
    for name in named {
        if let Some(f) = schema.field(name)
            && f.lookup.is_some()
        {
            return Err(Error::BadRequest(format!(
                "{} ({}) is stored encrypted: answers cannot be ordered, grouped or measured by it",
                f.label, f.name
            )));
        }
    }
    Ok(())
}

fn field<'s>(schema: &'s Schema, name: &str) -> Result<&'s Field> {
    schema
        .field(name)
        .ok_or_else(|| Error::BadRequest(format!("{} has no field {name:?}", schema.table)))
}

pub(crate) fn field_column(f: &Field) -> Column {
    Column {
        name: f.name.clone(),
        label: f.label.clone(),
        kind: f.kind,
    }
}

pub(crate) fn key_column(schema: &Schema) -> Column {
    schema.field(&schema.key).map_or_else(
        || Column {
            name: schema.key.clone(),
            label: schema.key.clone(),
            kind: FieldKind::Id,
        },
        field_column,
    )
}

/// The sort key of a ranked field's column (see [`kesou_nlq::Ranked`]): larger for the values
/// that rank higher (大型 > 中型, 高 > 低, 流失 after 忠诚), values outside the list last.
fn rank_key(f: &Field, col: &str) -> Option<String> {
    let position = listed_position(f, col)?;
    Some(match f.ranked? {
        kesou_nlq::Ranked::Ascending => position,
        kesou_nlq::Ranked::Descending => format!("(-{position})"),
    })
}

/// Where a ranked field's value stands in its listed order (the order groups of it are
/// shown in): 1 for the first listed; none for a field that is not ranked.
fn listed_position(f: &Field, col: &str) -> Option<String> {
    if f.ranked.is_none() || f.values.is_empty() {
        return None;
    }
    let list: Vec<String> = f
        .values
        .iter()
        .map(|v| format!("'{}'", v.value.replace('\'', "''")))
        .collect();
    Some(format!("list_position([{}], {col})", list.join(", ")))
}

/// A list's ordering: `ORDER BY` terms over the matches `m`, how they read (年采购额 ↓) and
/// its first key over the main table, for a [`Cut`].
struct ListOrder {
    terms: Vec<String>,
    ordered_by: String,
    /// The first key (an expression over `t` or the text matches `x`), descending, and
    /// whether a cut may use it (not on lists of labels).
    first: (String, bool, bool),
}

/// The ordering of a list (the question's or a replacement); the fields it names join
/// `names`. Without one: by relevance when there is text, else by the default measure.
/// The key breaks ties.
fn list_order<'s>(
    schema: &'s Schema,
    sorts: &'s [Sort],
    text: TextMatch,
    names: &mut Vec<&'s str>,
) -> Result<ListOrder> {
    let mut terms = Vec::new();
    let mut ordered_by = Vec::new();
    let mut first = None;
    for s in sorts {
        let f = if s.field == schema.key {
            None
        } else {
            Some(field(schema, &s.field).map_err(|_| {
                Error::BadRequest(format!(
                    "cannot order {} by {:?}: it is not one of its fields",
                    schema.table, s.field
                ))
            })?)
        };
        names.push(&s.field);
        let dir = if s.descending { "DESC" } else { "ASC" };
        let key = f
            .and_then(|f| rank_key(f, &column("m", &s.field)))
            .unwrap_or_else(|| column("m", &s.field));
        terms.push(format!("{key} {dir} NULLS LAST"));
        ordered_by.push(format!(
            "{} {}",
            f.map_or(s.field.as_str(), |f| &f.label),
            if s.descending { "↓" } else { "↑" }
        ));
        let listed = f.is_some_and(|f| f.kind == FieldKind::Tags);
        first.get_or_insert((column(MAIN, &s.field), s.descending, !listed));
    }
    if terms.is_empty() {
        if text == TextMatch::Index {
            terms.push(format!("{} DESC", column("m", SCORE)));
            ordered_by.push("相关度 ↓".to_owned());
            first = Some(("x.score".to_owned(), true, true));
        } else if let Some(m) = schema
            .default_measure
            .as_deref()
            .and_then(|m| schema.field(m))
        {
            terms.push(format!("{} DESC NULLS LAST", column("m", &m.name)));
            ordered_by.push(format!("{} ↓", m.label));
            first = Some((column(MAIN, &m.name), true, m.kind != FieldKind::Tags));
        }
    }
    terms.push(format!("{} ASC", column("m", &schema.key)));
    let ordered_by = if ordered_by.is_empty() {
        key_column(schema).label
    } else {
        ordered_by.join(", ")
    };
    Ok(ListOrder {
        terms,
        ordered_by,
        first: first.unwrap_or_else(|| (column(MAIN, &schema.key), false, true)),
    })
}

fn list(
    schema: &Schema,
    vault: &Vault,
    query: &Query,
    text: TextMatch,
    page: &Page,
) -> Result<Statement> {
    let mut names: Vec<&str> = vec![&schema.key];
    names.extend(schema.title.as_deref());
    for f in &query.filters {
        names.extend(f.fields());
    }
    let order = list_order(schema, &query.sort, text, &mut names)?;
    let resort = page
        .sort
        .map(|s| list_order(schema, std::slice::from_ref(s), text, &mut names))
        .transpose()?;
    names.extend(schema.display.iter().map(String::as_str));
    let mut columns: Vec<Column> = Vec::new();
    for name in names {
        if columns.iter().any(|c| c.name == name) {
            continue;
        }
        columns.push(if name == schema.key {
            key_column(schema)
        } else {
            field_column(field(schema, name)?)
        });
    }
    let m = matching(schema, vault, query, text, page.sort)?;
    let mut select: Vec<String> = columns.iter().map(|c| column(MAIN, &c.name)).collect();
    if text == TextMatch::Index {
        select.push(format!("x.score AS {}", ident(SCORE)));
    }
    let shown: Vec<String> = columns.iter().map(|c| column("m", &c.name)).collect();
    let select = select.join(", ");
    let shown = shown.join(", ");
    // The rows the page is cut from (the question's first N when it is re-sorted) and the
    // ordering of the page.
    let (top, page_order, ordered_by) = match (&resort, page.top) {
        (Some(r), Some(n)) => (Some(n), &r.terms, r.ordered_by.clone()),
        (Some(r), None) => (None, &r.terms, r.ordered_by.clone()),
        (None, _) => (None, &order.terms, order.ordered_by.clone()),
    };
    if m.related {
        // The matches are found once: the page and the total both read them (running the
        // conditions on related tables twice cost three times as much).
        let mut params = m.params.clone();
        let source = match top {
            Some(n) => {
                params.push(SqlValue::BigInt(n as i64));
                format!(
                    "(SELECT * FROM m ORDER BY {} LIMIT ?) m",
                    order.terms.join(", ")
                )
            }
            None => "m".to_owned(),
        };
        let mut sql = format!(
            "WITH m AS MATERIALIZED (SELECT {select} {}) SELECT {shown}, (SELECT count(*) FROM m) \
             FROM {source} ORDER BY {}",
            m.from_where,
            page_order.join(", ")
        );
        sql.push_str(&page.clause(&mut params));
        return Ok(Statement {
            kind: AnswerKind::List,
            columns,
            sql,
            params,
            total: Total::LastColumn(format!("SELECT count(*) {}", m.from_where), m.params),
            ordered_by,
        });
    }
    // Counted first, then the page read directly, cut by the first ordering key when the
    // page is near the top (see `Cut`).
    let (k, (key, descending, cuttable)) = match top {
        Some(n) => (Some(n), order.first.clone()),
        None => (
            page.limit().map(|n| n + page.offset),
            resort.as_ref().map_or(&order.first, |r| &r.first).clone(),
        ),
    };
    let k = k.filter(|&k| cuttable && k > 0 && k <= MAX_CUT_ROWS);
    let statement = |from_where: &str, params: &mut Vec<SqlValue>| {
        let rows = format!("(SELECT {select} {from_where}) m");
        let source = match top {
            Some(n) => {
                params.push(SqlValue::BigInt(n as i64));
                format!(
                    "(SELECT * FROM {rows} ORDER BY {} LIMIT ?) m",
                    order.terms.join(", ")
                )
            }
            None => rows,
        };
        let mut sql = format!(
            "SELECT {shown} FROM {source} ORDER BY {}",
            page_order.join(", ")
        );
        sql.push_str(&page.clause(params));
        sql
    };
    let mut params = m.params.clone();
    let sql = statement(&m.from_where, &mut params);
    let (count, count_params, cut) = match k {
        Some(k) => {
            let best = if descending { "max" } else { "min" };
            let op = if descending { ">=" } else { "<=" };
            // Its parameters are the statement's with the kth value at `at`.
            let cut_sql = statement(&m.and(&format!("{key} {op} ?")), &mut Vec::new());
            let mut count_params = vec![SqlValue::BigInt(k as i64)];
            count_params.extend(m.params.iter().cloned());
            (
                format!("SELECT count(*), {best}({key}, ?) {}", m.from_where),
                count_params,
                Some(Cut {
                    k,
                    sql: cut_sql,
                    at: m.params.len(),
                }),
            )
        }
        None => (
            format!("SELECT count(*) {}", m.from_where),
            m.params.clone(),
            None,
        ),
    };
    Ok(Statement {
        kind: AnswerKind::List,
        columns,
        sql,
        params,
        total: Total::Counted {
            sql: count,
            params: count_params,
            cut,
        },
        ordered_by,
    })
}

/// Labels of fields a table can be grouped by: 大区、省份、城市.
fn group_examples(schema: &Schema) -> String {
    schema
        .fields
        .iter()
        .filter(|f| f.kind == FieldKind::Category)
        .take(4)
        .map(|f| f.label.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

/// The label of a measure column: 客户数, 平均年采购额, 销售额.
fn measure_label(schema: &Schema, m: &Measure, f: Option<&Field>) -> String {
    if let Some(label) = &m.label {
        return label.clone();
    }
    match (m.agg, f) {
        (Agg::Count, None) => schema
            .count_words
            .first()
            .cloned()
            .unwrap_or_else(|| Agg::Count.zh().to_owned()),
        (agg, Some(f)) => format!("{}{}", agg.zh(), f.label),
        (agg, None) => agg.zh().to_owned(),
    }
}

/// A measure of a related table's rows (销售额 = sum of the orders' amounts in the window):
/// its SQL over the join `alias`, the join itself (one row per matching row's key: the
/// related rows' sum and count, so joining keeps one row per matching row and the other
/// measures stay right), and its column. A group with no related rows sums to 0 and
/// averages to nothing.
fn related_measure(
    schema: &Schema,
    vault: &Vault,
    m: &Measure,
    table: &str,
    alias: &str,
) -> Result<(String, String, Vec<SqlValue>, Column)> {
    let rel = schema.related(table).ok_or_else(|| {
        Error::BadRequest(format!("{} has no related table {table:?}", schema.table))
    })?;
    let f =
        match &m.field {
            Some(name) => Some(rel.fields.iter().find(|f| &f.name == name).ok_or_else(|| {
                Error::BadRequest(format!("{} has no field {name:?}", rel.table))
            })?),
            None => None,
        };
    if let Some(f) = f
        && !f.kind.is_numeric()
        && m.agg != Agg::Count
    {
        return Err(Error::BadRequest(format!(
            "cannot take the {} of {}: it is not a number",
            m.agg.name(),
            f.label
        )));
    }
    let mut b = SqlBuilder::new(schema, vault);
    // A count of rows or a sum the rollup keeps, over a window it can read: per customer
    // from the rollup (a row per customer and month), not from every related row.
    let rolled = match (m.agg, f, &rel.rollup) {
        (Agg::Count, None, Some(u)) => b.rolled_rows(&m.filters, None, rel)?.map(|r| (r, u)),
        (Agg::Sum, Some(f), Some(u)) if u.sums.contains(&f.name) => {
            b.rolled_rows(&m.filters, Some(f), rel)?.map(|r| (r, u))
        }
        _ => None,
    };
    let join = match rolled {
        Some((rows, u)) => format!(
            " LEFT JOIN (SELECT k, {} AS s, sum(n) AS n FROM ({rows}) GROUP BY 1) {alias} \
             ON {alias}.k = {}",
            if f.is_some() { "sum(s)" } else { "NULL" },
            column("m", &u.key)
        ),
        None => {
            let rows = b.related_rows(table, "r", &m.filters)?;
            let fk = column("r", &rel.foreign_key);
            let (sum, count) = match f {
                Some(f) => (
                    format!("sum({})", summed(f, "r")),
                    format!("count({})", column("r", &f.name)),
                ),
                None => ("NULL".to_owned(), "count(*)".to_owned()),
            };
            format!(
                " LEFT JOIN (SELECT {fk} AS k, {sum} AS s, {count} AS n FROM {} r WHERE {fk} IS \
                 NOT NULL AND {rows} GROUP BY 1) {alias} ON {alias}.k = {}",
                ident(&rel.table),
                column("m", &schema.key)
            )
        }
    };
    let sql = match m.agg {
        Agg::Sum if f.is_some() => format!("coalesce(sum({alias}.s), 0)"),
        Agg::Count => format!("coalesce(sum({alias}.n), 0)"),
        Agg::Avg if f.is_some() => format!("sum({alias}.s) / nullif(sum({alias}.n), 0)"),
        agg => {
            return Err(Error::BadRequest(format!(
                "the {} of {} is not computed; ask for its sum, average or count",
                agg.name(),
                rel.label
            )));
        }
    };
    let col = measure_column(schema, m, f);
    Ok((sql, join, b.params, col))
}

/// The column of a measure of `f` (none: a count).
fn measure_column(schema: &Schema, m: &Measure, f: Option<&Field>) -> Column {
    let kind = match (m.agg, f) {
        (Agg::Count, _) | (_, None) => FieldKind::Number,
        (_, Some(f)) => f.kind,
    };
    Column {
        name: m.name.clone(),
        label: measure_label(schema, m, f),
        kind,
    }
}

/// The SQL of a measure over the matching rows `m`, and its column.
fn measure(schema: &Schema, m: &Measure) -> Result<(String, Column)> {
    let f = match &m.field {
        None => None,
        Some(name) if name.contains('.') => {
            return Err(Error::BadRequest(format!(
                "measures of related tables ({name}) are not supported yet; ask about {} fields",
                schema.table
            )));
        }
        Some(name) => Some(field(schema, name)?),
    };
    let sql = match (m.agg, f) {
        (Agg::Count, None) => "count(*)".to_owned(),
        (Agg::Count, Some(f)) => format!("count({})", column("m", &f.name)),
        (agg, None) => {
            return Err(Error::BadRequest(format!(
                "{} needs a field to work on",
                agg.name()
            )));
        }
        (agg, Some(f)) => {
            let ok =
                f.kind.is_numeric() || (f.kind.is_time() && matches!(agg, Agg::Min | Agg::Max));
            if !ok {
                return Err(Error::BadRequest(format!(
                    "cannot take the {} of {}: it is not a number",
                    agg.name(),
                    f.label
                )));
            }
            format!("{}({})", agg.name(), column("m", &f.name))
        }
    };
    let col = measure_column(schema, m, f);
    Ok((sql, col))
}

fn summary(
    schema: &Schema,
    vault: &Vault,
    query: &Query,
    text: TextMatch,
    page: &Page,
) -> Result<Statement> {
    if let Some(series) = &query.series {
        if let Some(field) = &series.field {
            return rows_series(schema, vault, query, text, series.bucket, field, page);
        }
        return time_series(schema, vault, query, text, series.bucket, page);
    }
    let mut measures = query.measures.clone();
    if measures.is_empty() {
        // Groups alone: how many rows each holds.
        let span = query.group_by[0].span.clone();
        measures.push(Measure::new(Agg::Count, None, span));
    }
    let mut columns = Vec::new();
    let mut select = Vec::new();
    let mut groups = Vec::new();
    let mut unnest = None;
    for (i, g) in query.group_by.iter().enumerate() {
        let f = schema.field(&g.field).ok_or_else(|| {
            let related = schema.related.iter().find(|r| {
                r.fields
                    .iter()
                    .any(|f| g.field == f.name || g.field == format!("{}.{}", r.table, f.name))
            });
            match related {
                Some(r) => Error::BadRequest(format!(
                    "cannot group {} by a field of their {} ({}) yet; group by one of their own \
                     fields, such as {}",
                    schema.table,
                    r.label,
                    g.field,
                    group_examples(schema)
                )),
                None => Error::BadRequest(format!("{} has no field {:?}", schema.table, g.field)),
            }
        })?;
        let col = if f.kind == FieldKind::Tags {
            if unnest.is_some() {
                return Err(Error::BadRequest(
                    "only one list of labels can be grouped by at a time".into(),
                ));
            }
            let alias = format!("__g{i}");
            unnest = Some(format!(
                "(SELECT unnest({}) AS {}, * FROM m) m",
                ident(&f.name),
                ident(&alias)
            ));
            column("m", &alias)
        } else {
            column("m", &f.name)
        };
        select.push(format!("{col} AS {}", ident(&f.name)));
        groups.push(col);
        columns.push(field_column(f));
    }
    let mut joins = String::new();
    let mut join_params = Vec::new();
    let mut first_sql = String::new();
    for (i, m) in measures.iter().enumerate() {
        let (sql, col) = match &m.related {
            Some(table) => {
                let (sql, join, params, col) =
                    related_measure(schema, vault, m, table, &format!("j{i}"))?;
                joins.push_str(&join);
                join_params.extend(params);
                (sql, col)
            }
            None => measure(schema, m)?,
        };
        if i == 0 {
            first_sql = sql.clone();
        }
        select.push(format!("{sql} AS {}", ident(&col.name)));
        columns.push(col);
        // 同比 / 环比: the measure over the window moved back, and the change.
        if let (Some(c), Some(table)) = (&query.compare, &m.related) {
            let rel = schema.related(table).ok_or_else(|| {
                Error::BadRequest(format!("{} has no related table {table:?}", schema.table))
            })?;
            let by = window::shift(&m.filters, &rel.time_field, c.kind).ok_or_else(|| {
                Error::BadRequest(format!(
                    "{} needs a period with a start and an end, such as 去年 or 上个月",
                    c.kind.zh()
                ))
            })?;
            let [pcol, ccol] = compared_columns(columns.last().expect("the measure"), c.kind);
            let before = Measure {
                name: pcol.name.clone(),
                filters: window::moved(&m.filters, &rel.time_field, by, false),
                label: Some(pcol.label.clone()),
                ..m.clone()
            };
            let (prev, join, params, _) =
                related_measure(schema, vault, &before, table, &format!("j{i}p"))?;
            joins.push_str(&join);
            join_params.extend(params);
            select.push(format!("{prev} AS {}", ident(&pcol.name)));
            select.push(format!(
                "({sql} - {prev}) / nullif(abs({prev}), 0) AS {}",
                ident(&ccol.name)
            ));
            columns.extend([pcol, ccol]);
        }
    }
    // 占比: each group's part of all the groups (of all the rows for groups of labels, where
    // one row sits in several groups). An answer without groups gets its share from the
    // executor, which knows every row the caller may see.
    if query.share.is_some() && !groups.is_empty() {
        let first = &measures[0];
        let total = if unnest.is_some() && first.agg == Agg::Count && first.related.is_none() {
            "(SELECT count(*) FROM m)".to_owned()
        } else {
            format!("sum({first_sql}) OVER ()")
        };
        select.push(format!("{first_sql} * 1.0 / nullif({total}, 0) AS share"));
        columns.push(Column {
            name: SHARE.to_owned(),
            label: "占比".to_owned(),
            kind: FieldKind::Ratio,
        });
    }
    let mut names: Vec<&str> = Vec::new();
    for c in &columns {
        if names.contains(&c.name.as_str()) {
            return Err(Error::BadRequest(format!("{} is asked for twice", c.label)));
        }
        names.push(&c.name);
    }
    let m = matching(schema, vault, query, text, page.sort)?;
    let with = format!("WITH m AS (SELECT {MAIN}.* {})", m.from_where);
    let from = unnest.unwrap_or_else(|| "m".to_owned()) + &joins;
    let mut params = m.params.clone();
    params.extend(join_params.iter().cloned());
    let mut total_params = m.params.clone();
    total_params.extend(join_params);
    if groups.is_empty() {
        return Ok(Statement {
            kind: AnswerKind::Summary,
            sql: format!("{with} SELECT {} FROM {from}", select.join(", ")),
            params,
            columns,
            total: Total::Rows,
            ordered_by: String::new(),
        });
    }
    let (order, ordered_by) = group_order(schema, &query.sort, &columns, &measures, groups.len())?;
    let positions: Vec<String> = (1..=groups.len()).map(|i| i.to_string()).collect();
    let grouped = format!(
        "{with} SELECT {} FROM {from} GROUP BY {}",
        select.join(", "),
        positions.join(", ")
    );
    // The page's own ordering, replacing the question's.
    let order_by = |s: &Sort| {
        group_order(
            schema,
            std::slice::from_ref(s),
            &columns,
            &measures,
            groups.len(),
        )
    };
    let count_all = format!("SELECT count(*) FROM ({grouped})");
    let (mut sql, ordered_by, total) = match (page.sort, page.top) {
        // The question's first N groups, in the new order: counted apart (the total is of
        // every group, the statement holds the first N).
        (Some(s), Some(n)) => {
            let (by, label) = order_by(s)?;
            params.push(SqlValue::BigInt(n as i64));
            (
                format!(
                    "SELECT * FROM ({grouped} ORDER BY {} LIMIT ?) ORDER BY {}",
                    order.join(", "),
                    by.join(", ")
                ),
                label,
                Total::Count(count_all, total_params),
            )
        }
        // Otherwise each row carries the number of groups (one pass, not a second grouping
        // to count them); the positions and names of the ordering are the grouped ones.
        (sort, _) => {
            let (by, label) = match sort {
                Some(s) => order_by(s)?,
                None => (order, ordered_by),
            };
            (
                format!(
                    "SELECT *, count(*) OVER () FROM ({grouped}) ORDER BY {}",
                    by.join(", ")
                ),
                label,
                Total::LastColumn(count_all, total_params),
            )
        }
    };
    sql.push_str(&page.clause(&mut params));
    Ok(Statement {
        kind: AnswerKind::Groups,
        columns,
        sql,
        params,
        total,
        ordered_by,
    })
}

/// The column of a group's (or an answer's) share of the total.
pub(crate) const SHARE: &str = "share";

/// The columns 同比 / 环比 add beside a measure's `col`: its value in the period before
/// (`X_prev`, 销售额（去年同期）) and the change (`X_change`, 销售额同比).
fn compared_columns(col: &Column, kind: Compare) -> [Column; 2] {
    [
        Column {
            name: format!("{}_prev", col.name),
            label: format!("{}（{}）", col.label, previous_label(kind)),
            kind: col.kind,
        },
        Column {
            name: format!("{}_change", col.name),
            label: format!("{}{}", col.label, kind.zh()),
            kind: FieldKind::Ratio,
        },
    ]
}

/// How the period before reads: 去年同期 for 同比, 上期 for 环比.
fn previous_label(kind: Compare) -> &'static str {
    match kind {
        Compare::YearOnYear => "去年同期",
        Compare::PeriodOnPeriod => "上期",
    }
}

/// The bounds a window filter on `time_field` sets: 今年 → (2026-01-01, 2026-06-30).
fn window_bounds(filters: &[Filter], time_field: &str) -> (Option<String>, Option<String>) {
    let date = |v: &Value| match v {
        Value::Str(s) => Some(s.clone()),
        _ => None,
    };
    for f in filters {
        if let Filter::Field(c) = f
            && c.field == time_field
        {
            return match (c.op, &c.value) {
                (Op::Between, Value::List(ends)) if ends.len() == 2 => {
                    (date(&ends[0]), date(&ends[1]))
                }
                (Op::Ge | Op::Gt, v) => (date(v), None),
                (Op::Le | Op::Lt, v) => (None, date(v)),
                _ => (None, None),
            };
        }
    }
    (None, None)
}

/// 按月统计销售额, 今年每个月的订单数: the related measures per period of their table's time
/// field, every period from the window's start (else the first row's) to its end (else the
/// last row's) in order, a period with no rows as 0 (an average as nothing).
fn time_series(
    schema: &Schema,
    vault: &Vault,
    query: &Query,
    text: TextMatch,
    bucket: Bucket,
    page: &Page,
) -> Result<Statement> {
    let first = query.measures.first().ok_or_else(|| {
        Error::BadRequest("a time series needs a measure, such as 销售额 or 订单数".into())
    })?;
    let table = first.related.as_deref().ok_or_else(|| {
        Error::BadRequest(format!(
            "a time series is of a measure of related rows (销售额, 订单数), not of {}",
            measure_label(schema, first, None)
        ))
    })?;
    if query
        .measures
        .iter()
        .any(|m| m.related.as_deref() != Some(table) || m.filters != first.filters)
        || !query.group_by.is_empty()
    {
        return Err(Error::BadRequest(
            "a time series takes measures of one table over one window, with no other groups"
                .into(),
        ));
    }
    let rel = schema.related(table).ok_or_else(|| {
        Error::BadRequest(format!("{} has no related table {table:?}", schema.table))
    })?;
    // 同比 / 环比: each period beside the one a year (or one period) before, so the rows
    // read reach back that far.
    let lag = query.compare.as_ref().map(|c| match (c.kind, bucket) {
        (Compare::YearOnYear, Bucket::Month) => 12,
        (Compare::YearOnYear, Bucket::Quarter) => 4,
        _ => 1,
    });
    let reach = lag.map(|n| match bucket {
        Bucket::Month => window::Shift::Months(n),
        Bucket::Quarter => window::Shift::Months(3 * n),
        Bucket::Year => window::Shift::Months(12 * n),
    });
    let read = match reach {
        Some(by) => window::moved(&first.filters, &rel.time_field, by, true),
        None => first.filters.clone(),
    };
    let m = matching(schema, vault, query, text, page.sort)?;
    let mut params = m.params.clone();
    let mut b = SqlBuilder::new(schema, vault);
    let rows = b.related_rows(table, "r", &read)?;
    params.extend(b.params);
    let (lo, hi) = window_bounds(&read, &rel.time_field);
    let (shown_from, _) = window_bounds(&first.filters, &rel.time_field);
    let date = |d: Option<String>| d.map_or(SqlValue::Null, SqlValue::Text);
    params.push(date(lo));
    params.push(date(hi));
    let (unit, step, label) = bucket_sql(bucket);
    let mut columns = vec![period_column(bucket)];
    let mut select = vec![format!("{label} AS period")];
    if lag.is_some() {
        select.insert(0, "s.p AS __p".to_owned());
    }
    for measure in &query.measures {
        let f = match &measure.field {
            Some(name) => Some(rel.fields.iter().find(|f| &f.name == name).ok_or_else(|| {
                Error::BadRequest(format!("{} has no field {name:?}", rel.table))
            })?),
            None => None,
        };
        let sql = match (measure.agg, f) {
            (Agg::Count, Some(f)) => format!("count({})", column("r", &f.name)),
            (Agg::Count, None) => format!("count({})", column("r", &rel.foreign_key)),
            (Agg::Sum, Some(f)) if f.kind.is_numeric() => {
                format!("coalesce(sum({}), 0)", column("r", &f.name))
            }
            (Agg::Avg, Some(f)) if f.kind.is_numeric() => format!("avg({})", column("r", &f.name)),
            (agg, _) => {
                return Err(Error::BadRequest(format!(
                    "the {} of {} is not computed; ask for its sum, average or count",
                    agg.name(),
                    rel.label
                )));
            }
        };
        let col = Column {
            name: measure.name.clone(),
            label: measure_label(schema, measure, f),
            kind: match (measure.agg, f) {
                (Agg::Count, _) | (_, None) => FieldKind::Number,
                (_, Some(f)) => f.kind,
            },
        };
        select.push(format!("{sql} AS {}", ident(&col.name)));
        columns.push(col);
    }
    let time = column("r", &rel.time_field);
    let sql = format!(
        "WITH m AS (SELECT {MAIN}.* {}), \
         r AS (SELECT CAST(date_trunc('{unit}', {time}) AS DATE) AS p, r.* FROM {} r \
         JOIN m ON {} = {} WHERE {rows}), \
         b AS (SELECT CAST(date_trunc('{unit}', coalesce(CAST(? AS DATE), min(p))) AS DATE) AS lo, \
         CAST(date_trunc('{unit}', coalesce(CAST(? AS DATE), max(p))) AS DATE) AS hi FROM r), \
         s AS (SELECT CAST(unnest(generate_series(lo, hi, {step})) AS DATE) AS p FROM b \
         WHERE lo IS NOT NULL AND hi IS NOT NULL) \
         SELECT {} FROM s LEFT JOIN r ON r.p = s.p GROUP BY s.p ORDER BY s.p",
        m.from_where,
        ident(&rel.table),
        column("r", &rel.foreign_key),
        column("m", &schema.key),
        select.join(", ")
    );
    let sql = match (&query.compare, lag) {
        (Some(c), Some(lag)) => {
            // The periods before the window were read only to compare with.
            let mut outer = vec!["period".to_owned()];
            let mut inner = vec!["period".to_owned()];
            let mut all = vec![columns[0].clone()];
            for col in &columns[1..] {
                let name = ident(&col.name);
                let [prev, change] = compared_columns(col, c.kind);
                let p = ident(&prev.name);
                inner.push(name.clone());
                inner.push(format!("lag({name}, {lag}) OVER (ORDER BY __p) AS {p}"));
                outer.extend([name.clone(), p.clone()]);
                outer.push(format!(
                    "({name} - {p}) / nullif(abs({p}), 0) AS {}",
                    ident(&change.name)
                ));
                all.extend([col.clone(), prev, change]);
            }
            columns = all;
            params.push(shown_from.map_or(SqlValue::Null, SqlValue::Text));
            format!(
                "SELECT {} FROM (SELECT __p, {} FROM ({sql})) \
                 WHERE __p >= coalesce(CAST(date_trunc('{unit}', CAST(? AS DATE)) AS DATE), __p) \
                 ORDER BY __p",
                outer.join(", "),
                inner.join(", ")
            )
        }
        _ => sql,
    };
    Ok(series_statement(sql, params, columns, bucket, page))
}

/// A series answer from its statement: periods in order, counted for the total, paged.
fn series_statement(
    sql: String,
    mut params: Vec<SqlValue>,
    columns: Vec<Column>,
    bucket: Bucket,
    page: &Page,
) -> Statement {
    let total = Total::Count(format!("SELECT count(*) FROM ({sql})"), params.clone());
    let mut sql = sql;
    sql.push_str(&page.clause(&mut params));
    Statement {
        kind: AnswerKind::Groups,
        columns,
        sql,
        params,
        total,
        ordered_by: bucket.zh().to_owned(),
    }
}

/// The first column of a series: its periods (2026-03, 2026-Q1, 2026).
fn period_column(bucket: Bucket) -> Column {
    Column {
        name: "period".to_owned(),
        label: bucket.zh().to_owned(),
        kind: FieldKind::Category,
    }
}

/// The SQL of a period bucket: its truncation unit, its step and its label over `s.p`.
fn bucket_sql(bucket: Bucket) -> (&'static str, &'static str, &'static str) {
    match bucket {
        Bucket::Month => ("month", "INTERVAL 1 MONTH", "strftime(s.p, '%Y-%m')"),
        Bucket::Quarter => (
            "quarter",
            "INTERVAL 3 MONTH",
            "year(s.p)::VARCHAR || '-Q' || quarter(s.p)::VARCHAR",
        ),
        Bucket::Year => ("year", "INTERVAL 1 YEAR", "year(s.p)::VARCHAR"),
    }
}

/// 按月统计新增客户数, 今年每个月新增了多少客户: the matching rows per period of their own
/// date `field`, every period from the window's start (else the first row's) to its end
/// (else the last row's), a period with none as 0.
fn rows_series(
    schema: &Schema,
    vault: &Vault,
    query: &Query,
    text: TextMatch,
    bucket: Bucket,
    field: &str,
    page: &Page,
) -> Result<Statement> {
    let f = self::field(schema, field)?;
    if !f.kind.is_time() {
        return Err(Error::BadRequest(format!(
            "a series is by a date, and {} is not one",
            f.label
        )));
    }
    let m = matching(schema, vault, query, text, page.sort)?;
    let mut params = m.params.clone();
    let (lo, hi) = window_bounds(&query.filters, field);
    let date = |d: Option<String>| d.map_or(SqlValue::Null, SqlValue::Text);
    params.push(date(lo));
    params.push(date(hi));
    let (unit, step, label) = bucket_sql(bucket);
    let mut columns = vec![period_column(bucket)];
    let mut select = vec![format!("{label} AS period")];
    for measure in &query.measures {
        let (sql, col) = match (measure.agg, &measure.field) {
            // Periods without rows join as one empty row: count what is there.
            (Agg::Count, None) => (
                "count(m.__p)".to_owned(),
                measure_column(schema, measure, None),
            ),
            _ => self::measure(schema, measure)?,
        };
        select.push(format!("{sql} AS {}", ident(&col.name)));
        columns.push(col);
    }
    let time = column("m", field);
    let sql = format!(
        "WITH t0 AS (SELECT {MAIN}.* {}), \
         m AS (SELECT CAST(date_trunc('{unit}', {time}) AS DATE) AS __p, m.* FROM t0 m \
         WHERE {time} IS NOT NULL), \
         b AS (SELECT CAST(date_trunc('{unit}', coalesce(CAST(? AS DATE), min(__p))) AS DATE) AS lo, \
         CAST(date_trunc('{unit}', coalesce(CAST(? AS DATE), max(__p))) AS DATE) AS hi FROM m), \
         s AS (SELECT CAST(unnest(generate_series(lo, hi, {step})) AS DATE) AS p FROM b \
         WHERE lo IS NOT NULL AND hi IS NOT NULL) \
         SELECT {} FROM s LEFT JOIN m ON m.__p = s.p GROUP BY s.p ORDER BY s.p",
        m.from_where,
        select.join(", ")
    );
    Ok(series_statement(sql, params, columns, bucket, page))
}

/// A grouped answer's `ORDER BY` terms (column positions) and how they read, for an
/// ordering by a group field or a measure (or a measured field: by its measure); without
/// one, by the first measure, biggest first. The groups break ties.
fn group_order(
    schema: &Schema,
    sorts: &[Sort],
    columns: &[Column],
    measures: &[Measure],
    groups: usize,
) -> Result<(Vec<String>, String)> {
    let mut order = Vec::new();
    let mut ordered_by = Vec::new();
    // The ranked field of a group column, and the column as the ordering names it.
    let ranked_group = |i: usize| {
        (i < groups)
            .then(|| schema.field(&columns[i].name))
            .flatten()
            .filter(|f| f.ranked.is_some() && !f.values.is_empty())
            .map(|f| (f, ident(&columns[i].name)))
    };
    for s in sorts {
        let target = columns
            .iter()
            .position(|c| c.name == s.field)
            .or_else(|| {
                // An ordering by a field that is measured: by its measure.
                measures
                    .iter()
                    .position(|m| m.field.as_deref() == Some(s.field.as_str()))
                    .map(|i| i + groups)
            })
            .ok_or_else(|| {
                let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                Error::BadRequest(format!(
                    "cannot order the groups by {:?}; order by one of {}",
                    s.field,
                    names.join(", ")
                ))
            })?;
        let dir = if s.descending { "DESC" } else { "ASC" };
        let key = ranked_group(target)
            .and_then(|(f, col)| rank_key(f, &col))
            .unwrap_or_else(|| (target + 1).to_string());
        order.push(format!("{key} {dir} NULLS LAST"));
        ordered_by.push(format!(
            "{} {}",
            columns[target].label,
            if s.descending { "↓" } else { "↑" }
        ));
    }
    if order.is_empty() {
        // Groups of one ranked field are shown in its order (大型, 中型, 小型, 微型); others
        // by the first measure, biggest first.
        match ranked_group(0).filter(|_| groups == 1) {
            Some((f, col)) => {
                let position = listed_position(f, &col).expect("a ranked field");
                order.push(format!("{position} ASC NULLS LAST"));
                ordered_by.push(f.label.clone());
            }
            None => {
                let first = groups + 1;
                order.push(format!("{first} DESC NULLS LAST"));
                ordered_by.push(format!("{} ↓", columns[first - 1].label));
            }
        }
    }
    for i in 1..=groups {
        match ranked_group(i - 1).and_then(|(f, col)| listed_position(f, &col)) {
            Some(position) => order.push(format!("{position} ASC NULLS LAST")),
            None => order.push(format!("{i} ASC NULLS LAST")),
        }
    }
    Ok((order, ordered_by.join(", ")))
}

//! Reports people build: a dimension, a measure and filters (or a question), previewed as a
//! board, saved under a name in the store's `saved_reports` table and listed beside the
//! built-in boards. A report may cover a date range ([`DateRange`]: from/to or 近N天, over
//! order dates or a date field of the customers).
//!
//! A report is validated when it is previewed or saved: an unknown field is a user error
//! listing the valid ones, a question must be understood whole, and a name is 1–64 of
//! `A-Z a-z 0-9 - _` (it goes into embed URLs) and never a built-in board's name.

use duckdb::OptionalExt;
use kesou_nlq::{Agg, FieldKind, GroupBy, Measure, Query, Span};
use serde::{Deserialize, Serialize};

use super::builtin::builtin;
use super::period::{DateRange, Range};
use crate::ask::Asker;
use crate::filters::parse_filters;
use crate::{Error, Result};

pub use kesou_indexer::store::REPORTS_TABLE;

/// Longest report name: it goes into URLs.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest report title.
pub const MAX_TITLE_CHARS: usize = 100;

/// What a report shows. Every part is optional, but something must be asked: a dimension
/// groups, a measure summarises (a count when only a dimension is given), filters narrow,
/// a question is read like `kesou ask` reads it and the other parts refine it (filters add
/// conditions; a dimension replaces its grouping; a measure its measures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// The stable name: `A-Z a-z 0-9 - _`, at most 64 chars, not a built-in board's.
    pub name: String,
    /// What people see; the name when empty.
    #[serde(default)]
    pub title: String,
    /// A category or tag field to group by: `industry`, `province`, `tags`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<MeasureSpec>,
    /// Fixed filters, `FIELD=VALUE` or `FIELD>=NUMBER` (see [`super::parse_filter`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<String>,
    /// A question, as typed in the search box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// The days the report covers: from/to dates or the last N days, over order dates
    /// unless it names another date field (see [`DateRange`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<DateRange>,
}

/// A measure: `{"agg": "count"}`, or `{"agg": "sum", "field": "annual_purchase"}` (sum,
/// avg, min, max of a numeric field). Also written `count` or `sum:annual_purchase`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureSpec {
    pub agg: Agg,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl std::str::FromStr for MeasureSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<MeasureSpec> {
        let (agg, field) = match s.trim().split_once(':') {
            Some((a, f)) => (a.trim(), Some(f.trim().to_owned())),
            None => (s.trim(), None),
        };
        let agg = [Agg::Count, Agg::Sum, Agg::Avg, Agg::Min, Agg::Max]
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(agg))
            .ok_or_else(|| {
                Error::BadRequest(format!(
                    "measure {s:?}: write count, or sum:FIELD, avg:FIELD, min:FIELD, max:FIELD"
                ))
            })?;
        Ok(MeasureSpec { agg, field })
    }
}

/// A report as saved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedReport {
    pub name: String,
    pub title: String,
    pub spec: ReportSpec,
    /// When it was last saved, UTC: `YYYY-MM-DD HH:MM:SS`.
    pub created_at: String,
    /// Who saved it (none for a report saved before reports had owners).
    pub owner: Option<String>,
}

impl ReportSpec {
    /// The title people see: the title, else the name.
    pub fn shown_title(&self) -> &str {
        if self.title.trim().is_empty() {
            &self.name
        } else {
            self.title.trim()
        }
    }

    /// Checks the name and title (not the fields: [`ReportSpec::query`] does).
    pub fn check_name(&self) -> Result<()> {
        check_name(&self.name)?;
        let title = self.title.chars().count();
        if title > MAX_TITLE_CHARS {
            return Err(Error::BadRequest(format!(
                "the title has {title} characters; use at most {MAX_TITLE_CHARS}"
            )));
        }
        Ok(())
    }

    /// The report's date range read against the store (none when it has none).
    pub fn range(&self, asker: &Asker) -> Result<Option<Range>> {
        self.range
            .as_ref()
            .map(|r| r.read(asker.schema(), asker.as_of()))
            .transpose()
    }

    /// The structured query of the report, validated against the asker's schema.
    pub fn query(&self, asker: &Asker) -> Result<Query> {
        let schema = asker.schema();
        let question = self.question.as_deref().map(str::trim).unwrap_or("");
        let mut q = if question.is_empty() {
            Query {
                table: schema.table.clone(),
                ..Query::default()
            }
        } else {
            let q = asker.parse(question);
            if !q.unrecognized.is_empty() {
                let parts: Vec<String> = q
                    .unrecognized
                    .iter()
                    .map(|s| format!("「{}」", s.text))
                    .collect();
                return Err(Error::BadRequest(format!(
                    "the question of a report must be understood whole; not understood: {}",
                    parts.join(" ")
                )));
            }
            q
        };
        let span = Span {
            start: 0,
            end: 0,
            text: String::new(),
        };
        q.filters.extend(parse_filters(schema, &self.filters)?);
        if let Some(d) = &self.dimension {
            let d = d.trim();
            let groupable = |f: &&kesou_nlq::Field| f.kind.has_values();
            if schema.field(d).filter(groupable).is_none() {
                let valid: Vec<&str> = schema
                    .fields
                    .iter()
                    .filter(groupable)
                    .map(|f| f.name.as_str())
                    .collect();
                return Err(Error::BadRequest(format!(
                    "cannot group a report by {d:?}; dimensions are {}",
                    valid.join(", ")
                )));
            }
            q.group_by = vec![GroupBy {
                field: d.to_owned(),
                span: span.clone(),
            }];
            // The question's ordering and top-N were about its own rows.
            q.sort.retain(|s| s.field == d);
        }
        if let Some(m) = &self.measure {
            let field = match (m.agg, m.field.as_deref().map(str::trim)) {
                (Agg::Count, None | Some("")) => None,
                (agg, f) => {
                    let numeric: Vec<&str> = schema
                        .fields
                        .iter()
                        .filter(|f| f.kind.is_numeric())
                        .map(|f| f.name.as_str())
                        .collect();
                    match f {
                        Some(f) if numeric.contains(&f) => Some(f),
                        _ => {
                            return Err(Error::BadRequest(format!(
                                "a {} needs a numeric field{}; numeric fields are {}",
                                agg.name(),
                                f.map(|f| format!(" ({f:?} is not one)"))
                                    .unwrap_or_default(),
                                numeric.join(", ")
                            )));
                        }
                    }
                }
            };
            q.measures = vec![Measure::new(m.agg, field, span.clone())];
            q.sort
                .retain(|s| q.group_by.iter().any(|g| g.field == s.field));
        } else if self.dimension.is_some() && q.measures.is_empty() {
            q.measures = vec![Measure::new(Agg::Count, None, span)];
        }
        if let Some(range) = self.range(asker)? {
            range.apply(&mut q, schema);
        }
        if q.is_empty() && question.is_empty() {
            return Err(Error::BadRequest(
                "a report needs a dimension, a measure, a filter or a question".into(),
            ));
        }
        if q.group_by.iter().any(|g| {
            schema
                .field(&g.field)
                .is_some_and(|f| f.kind == FieldKind::Tags)
        }) && q.group_by.len() > 1
        {
            return Err(Error::BadRequest(
                "a report groups by tags alone, not by tags and another field".into(),
            ));
        }
        Ok(q)
    }
}

pub(super) fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        && name.starts_with(char::is_alphanumeric);
    if !ok {
        return Err(Error::BadRequest(format!(
            "report name {name:?}: use 1 to {MAX_NAME_CHARS} letters (Chinese too), digits, - \
             and _, starting with a letter or digit (it goes into embed URLs); the title can \
             be anything"
        )));
    }
    if builtin(name).is_some() {
        return Err(Error::BadRequest(format!(
            "{name:?} is a built-in board; give the report another name"
        )));
    }
    Ok(())
}

fn table_exists(asker: &Asker) -> Result<bool> {
    let n: i64 = asker.connection().query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
        [REPORTS_TABLE],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// Who saves or deletes a report: the user's name and whether they administer the store.
#[derive(Debug, Clone, Copy)]
pub struct Author<'a> {
    pub name: &'a str,
    pub admin: bool,
}

/// Makes the reports table in a store made before it was part of the schema, and gives a
/// table made before reports had owners its `owner` column (reports saved then have none:
/// only an administrator may remove them).
fn ensure_table(conn: &duckdb::Connection) -> Result<()> {
    conn.execute_batch(kesou_indexer::store::REPORTS_SCHEMA)?;
    Ok(())
}

/// The owner column to read: `NULL` in a table made before reports had owners and not
/// written since (a read-only store cannot add the column).
fn owner_column(asker: &Asker) -> Result<&'static str> {
    let n: i64 = asker.connection().query_row(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = 'owner'",
        [REPORTS_TABLE],
        |r| r.get(0),
    )?;
    Ok(if n > 0 { "owner" } else { "NULL" })
}

/// Saves a report under its name after checking that it builds a query. A report belongs
/// to whoever saved it first: its owner replaces it, anyone else is refused (an embed link
/// of an administrator's report must not start showing a manager's filters). The asker's
/// connection must be writable ([`Asker::on_store`]).
pub fn save_report(asker: &Asker, spec: &ReportSpec, by: Author<'_>) -> Result<SavedReport> {
    spec.check_name()?;
    spec.query(asker)?;
    let conn = asker.connection();
    ensure_table(conn)?;
    let json = serde_json::to_string(spec).expect("a report spec serialises");
    let now = super::owned::write_owned(
        conn,
        REPORTS_TABLE,
        "report",
        (&spec.name, spec.shown_title(), &json),
        owner_of(asker, &spec.name)?,
        "an earlier version of kesou",
        by.name,
    )?;
    Ok(SavedReport {
        name: spec.name.clone(),
        title: spec.shown_title().to_owned(),
        spec: spec.clone(),
        created_at: now,
        owner: Some(by.name.to_owned()),
    })
}

/// The owner of the saved report of that name: `None` when there is no such report,
/// `Some(None)` for a report saved before reports had owners.
fn owner_of(asker: &Asker, name: &str) -> Result<Option<Option<String>>> {
    if !table_exists(asker)? {
        return Ok(None);
    }
    Ok(asker
        .connection()
        .query_row(
            &format!(
                "SELECT {} FROM {REPORTS_TABLE} WHERE name = ?",
                owner_column(asker)?
            ),
            [name],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?)
}

/// Every saved report, by name (none when nothing was ever saved).
pub fn saved_reports(asker: &Asker) -> Result<Vec<SavedReport>> {
    if !table_exists(asker)? {
        return Ok(Vec::new());
    }
    let mut stmt = asker.connection().prepare(&format!(
        "SELECT name, title, spec, strftime(created_at, '%Y-%m-%d %H:%M:%S'), {} \
         FROM {REPORTS_TABLE} ORDER BY name",
        owner_column(asker)?
    ))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(name, title, spec, created_at, owner)| {
            Ok(SavedReport {
                spec: read_spec(&name, &spec)?,
                name,
                title,
                created_at,
                owner,
            })
        })
        .collect()
}

/// The saved report of that name.
pub fn saved_report(asker: &Asker, name: &str) -> Result<Option<SavedReport>> {
    if !table_exists(asker)? {
        return Ok(None);
    }
    let row = asker
        .connection()
        .query_row(
            &format!(
                "SELECT name, title, spec, strftime(created_at, '%Y-%m-%d %H:%M:%S'), {} \
                 FROM {REPORTS_TABLE} WHERE name = ?",
                owner_column(asker)?
            ),
            [name],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )
        .optional()?;
    row.map(|(name, title, spec, created_at, owner)| {
        Ok(SavedReport {
            spec: read_spec(&name, &spec)?,
            name,
            title,
            created_at,
            owner,
        })
    })
    .transpose()
}

/// Deletes a saved report: its owner or an administrator may; a name that is none is
/// [`Error::NotFound`].
pub fn delete_report(asker: &Asker, name: &str, by: Author<'_>) -> Result<()> {
    if builtin(name).is_some() {
        return Err(Error::BadRequest(format!(
            "{name:?} is a built-in board; only saved reports can be deleted"
        )));
    }
    if let Some(owner) = owner_of(asker, name)?
        && !by.admin
        && owner.as_deref() != Some(by.name)
    {
        return Err(Error::Forbidden(format!(
            "the report {name:?} was saved by {}; only its owner or an administrator can delete it",
            owner.as_deref().unwrap_or("an earlier version of kesou")
        )));
    }
    let deleted = if table_exists(asker)? {
        asker.connection().execute(
            &format!(
                "DELETE FROM {REPORTS_TABLE} WHERE name = ? AND ({} = ? OR ?)",
                owner_column(asker)?
            ),
            duckdb::params![name, by.name, by.admin],
        )?
    } else {
        0
    };
    if deleted == 0 {
        return Err(Error::NotFound(format!(
            "no saved report is named {name:?}"
        )));
    }
    Ok(())
}

fn read_spec(name: &str, json: &str) -> Result<ReportSpec> {
    serde_json::from_str(json).map_err(|e| {
        Error::BadRequest(format!(
            "saved report {name:?} cannot be read ({e}); delete it and save it again"
        ))
    })
}

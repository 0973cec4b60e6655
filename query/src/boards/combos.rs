//! Combined dashboards: several saved reports and built-in boards on one page, in the
//! order chosen, saved under a name in the store's `saved_dashboards` table beside the
//! reports and owned the same way (whoever saved it first changes it; its owner or an
//! administrator deletes it).
//!
//! A combined dashboard holds only the names of its boards: each is run as it is when the
//! page opens, through the same path as a board alone (the caller's rows, their field
//! rules, the page's filters and period), so it never shows more than its boards would.
//! A board deleted since is reported by name where its chart would be.

use duckdb::OptionalExt;
use serde::{Deserialize, Serialize};

use super::builtin::builtin;
use super::reports::{Author, check_name, saved_report};
use crate::ask::Asker;
use crate::{Error, Result};

pub use kesou_indexer::store::COMBOS_TABLE;

/// Most boards on one combined dashboard.
pub const MAX_BOARDS: usize = 12;

/// A combined dashboard as saved: its name, title and the boards it shows, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComboSpec {
    /// As a report's name: letters (Chinese too), digits, - and _; it goes into URLs.
    pub name: String,
    /// What people see; the name when empty.
    #[serde(default)]
    pub title: String,
    /// Saved reports' and built-in boards' names, in the order they are shown.
    pub boards: Vec<String>,
}

/// A combined dashboard as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedCombo {
    pub name: String,
    pub title: String,
    pub boards: Vec<String>,
    /// When it was last saved, UTC: `YYYY-MM-DD HH:MM:SS`.
    pub created_at: String,
    pub owner: Option<String>,
}

/// Names a combined dashboard may not take: the web app's own pages under `#/dashboards/`.
const RESERVED: [&str; 2] = ["new", "edit"];

impl ComboSpec {
    pub fn shown_title(&self) -> &str {
        if self.title.trim().is_empty() {
            &self.name
        } else {
            self.title.trim()
        }
    }

    /// Checks the name, the title and the boards: 1 to [`MAX_BOARDS`], each a built-in
    /// board or a saved report, none twice.
    pub fn check(&self, asker: &Asker) -> Result<()> {
        check_name(&self.name)?;
        if saved_report(asker, &self.name)?.is_some() {
            return Err(Error::BadRequest(format!(
                "{:?} is a saved report's name; give the dashboard another name (embed links \
                 find either by name)",
                self.name
            )));
        }
        if RESERVED.contains(&self.name.as_str()) {
            return Err(Error::BadRequest(format!(
                "{:?} is reserved for the web app's pages; give the dashboard another name",
                self.name
            )));
        }
        let title = self.title.chars().count();
        if title > super::MAX_TITLE_CHARS {
            return Err(Error::BadRequest(format!(
                "the title has {title} characters; use at most {}",
                super::MAX_TITLE_CHARS
            )));
        }
        if self.boards.is_empty() || self.boards.len() > MAX_BOARDS {
            return Err(Error::BadRequest(format!(
                "a combined dashboard shows 1 to {MAX_BOARDS} boards; this one has {}",
                self.boards.len()
            )));
        }
        for (i, b) in self.boards.iter().enumerate() {
            if self.boards[..i].contains(b) {
                return Err(Error::BadRequest(format!(
                    "the board {b:?} is listed twice; list each board once"
                )));
            }
            if builtin(b).is_none() && saved_report(asker, b)?.is_none() {
                return Err(Error::BadRequest(format!(
                    "no board or saved report is named {b:?}; list built-in boards (map, top20, \
                     churn, funnel, rfm, matrix) or saved reports"
                )));
            }
        }
        Ok(())
    }
}

fn table_exists(asker: &Asker) -> Result<bool> {
    let n: i64 = asker.connection().query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
        [COMBOS_TABLE],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

fn owner_of(asker: &Asker, name: &str) -> Result<Option<Option<String>>> {
    if !table_exists(asker)? {
        return Ok(None);
    }
    Ok(asker
        .connection()
        .query_row(
            &format!("SELECT owner FROM {COMBOS_TABLE} WHERE name = ?"),
            [name],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?)
}

/// Saves a combined dashboard after checking it; its owner replaces it, anyone else is
/// refused. The asker's connection must be writable.
pub fn save_combo(asker: &Asker, spec: &ComboSpec, by: Author<'_>) -> Result<SavedCombo> {
    spec.check(asker)?;
    let conn = asker.connection();
    conn.execute_batch(kesou_indexer::store::COMBOS_SCHEMA)?;
    let boards = serde_json::to_string(&spec.boards).expect("names serialise");
    let now = super::owned::write_owned(
        conn,
        COMBOS_TABLE,
        "combined dashboard",
        (&spec.name, spec.shown_title(), &boards),
        owner_of(asker, &spec.name)?,
        "someone else",
        by.name,
    )?;
    Ok(SavedCombo {
        name: spec.name.clone(),
        title: spec.shown_title().to_owned(),
        boards: spec.boards.clone(),
        created_at: now,
        owner: Some(by.name.to_owned()),
    })
}

type Row = (String, String, String, String, Option<String>);

fn read(row: Row) -> Result<SavedCombo> {
    let (name, title, spec, created_at, owner) = row;
    let boards = serde_json::from_str(&spec).map_err(|e| {
        Error::BadRequest(format!(
            "combined dashboard {name:?} cannot be read ({e}); delete it and save it again"
        ))
    })?;
    Ok(SavedCombo {
        name,
        title,
        boards,
        created_at,
        owner,
    })
}

const COLUMNS: &str = "name, title, spec, strftime(created_at, '%Y-%m-%d %H:%M:%S'), owner";

fn row(r: &duckdb::Row<'_>) -> duckdb::Result<Row> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

/// Every combined dashboard, by name.
pub fn saved_combos(asker: &Asker) -> Result<Vec<SavedCombo>> {
    if !table_exists(asker)? {
        return Ok(Vec::new());
    }
    let mut stmt = asker.connection().prepare(&format!(
        "SELECT {COLUMNS} FROM {COMBOS_TABLE} ORDER BY name"
    ))?;
    let rows = stmt
        .query_map([], row)?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    rows.into_iter().map(read).collect()
}

/// The combined dashboard of that name.
pub fn saved_combo(asker: &Asker, name: &str) -> Result<Option<SavedCombo>> {
    if !table_exists(asker)? {
        return Ok(None);
    }
    asker
        .connection()
        .query_row(
            &format!("SELECT {COLUMNS} FROM {COMBOS_TABLE} WHERE name = ?"),
            [name],
            row,
        )
        .optional()?
        .map(read)
        .transpose()
}

/// Deletes a combined dashboard: its owner or an administrator may.
pub fn delete_combo(asker: &Asker, name: &str, by: Author<'_>) -> Result<()> {
    let Some(owner) = owner_of(asker, name)? else {
        return Err(Error::NotFound(format!(
            "no combined dashboard is named {name:?}"
        )));
    };
    if !by.admin && owner.as_deref() != Some(by.name) {
        return Err(Error::Forbidden(format!(
            "the combined dashboard {name:?} was saved by {}; only its owner or an administrator can delete it",
            owner.as_deref().unwrap_or("someone else")
        )));
    }
    asker.connection().execute(
        &format!("DELETE FROM {COMBOS_TABLE} WHERE name = ? AND (owner = ? OR ?)"),
        duckdb::params![name, by.name, by.admin],
    )?;
    Ok(())
}

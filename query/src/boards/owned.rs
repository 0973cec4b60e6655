//! Saving a named thing people own (a saved report, a combined dashboard): its owner
//! replaces it, anyone else is refused, and an embed link of one person's report never
//! starts showing another's choices.

use crate::{Error, Result};

/// Writes row `name` of `table` (`name, title, spec, created_at, owner`) for `by`, after
/// checking `owner`, the owner it has now (`None`: no such row; `Some(None)`: saved before
/// rows had owners, shown as `unowned`). The owner is checked again inside the statement
/// that writes, so two saves of one name at one moment cannot both pass. `what` names the
/// thing in messages. Returns the time written, as stored.
pub(super) fn write_owned(
    conn: &duckdb::Connection,
    table: &str,
    what: &str,
    (name, title, spec): (&str, &str, &str),
    owner: Option<Option<String>>,
    unowned: &str,
    by: &str,
) -> Result<String> {
    if let Some(owner) = owner
        && owner.as_deref() != Some(by)
    {
        return Err(Error::Conflict(format!(
            "a {what} named {name:?} already exists, saved by {}; choose another name (only its owner can change it)",
            owner.as_deref().unwrap_or(unowned)
        )));
    }
    let now = chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let written = conn.execute(
        &format!(
            "INSERT INTO {table} (name, title, spec, created_at, owner) \
             VALUES (?, ?, ?, CAST(? AS TIMESTAMP), ?) \
             ON CONFLICT (name) DO UPDATE SET title = excluded.title, spec = excluded.spec, \
             created_at = excluded.created_at WHERE {table}.owner = excluded.owner"
        ),
        duckdb::params![name, title, spec, now, by],
    )?;
    if written == 0 {
        return Err(Error::Conflict(format!(
            "a {what} named {name:?} already exists, saved by someone else; choose another name"
        )));
    }
    Ok(now)
}

//! A change to the store made outside ingest (deletes, tag rules, churn scores): one
//! transaction in a new generation, then the index catches up, as ingest does. See
//! [`crate::Store::update`]. Such a change writes customers' columns only through
//! [`set_customer_columns`], which keeps the generation rule: a customer is stamped when, and
//! only when, a value of theirs changes.

use duckdb::Connection;

use crate::Progress;
use crate::index::SyncReport;
use crate::store::StorePaths;
use crate::{Error, Result};

/// What becomes of customers a [`set_customer_columns`] table does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlisted {
    /// Their values stay.
    Keep,
    /// Their values of the columns become NULL (a model that no longer scores them).
    Clear,
}

/// Sets `columns` of the customers listed in `table` (an `id` column and those columns) to
/// its values, inside an update's transaction, and stamps with `generation` each customer
/// whose values change; unchanged customers are left alone (the index does not take them
/// again). Returns how many customers were changed, and how many unlisted ones cleared.
pub fn set_customer_columns(
    conn: &Connection,
    table: &str,
    columns: &[&str],
    generation: u64,
    unlisted: Unlisted,
) -> Result<(usize, usize)> {
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let known = crate::validate::Table::Customers.columns();
    if !plain(table) || columns.is_empty() {
        return Err(Error::BadInput(format!(
            "set_customer_columns: bad table {table:?}"
        )));
    }
    for c in columns {
        let derived = [
            "tags",
            "churn_risk",
            "churn_factors",
            "purchase_propensity",
            "propensity_reasons",
            "propensity_reasons_en",
        ];
        if !plain(c) || !(known.contains(c) || derived.contains(c)) {
            return Err(Error::BadInput(format!(
                "set_customer_columns: {c:?} is not a customer column"
            )));
        }
    }
    // Each column written by `template` (`{c}` the column), joined by `sep`.
    let each = |template: &str, sep: &str| {
        columns
            .iter()
            .map(|c| template.replace("{c}", c))
            .collect::<Vec<_>>()
            .join(sep)
    };
    let changed = conn.execute(
        &format!(
            "UPDATE customers SET {}, _gen = ? FROM {table} s
             WHERE customers.id = s.id AND ({})",
            each("{c} = s.{c}", ", "),
            each("customers.{c} IS DISTINCT FROM s.{c}", " OR ")
        ),
        duckdb::params![generation as i64],
    )?;
    let cleared = match unlisted {
        Unlisted::Keep => 0,
        Unlisted::Clear => conn.execute(
            &format!(
                "UPDATE customers SET {}, _gen = ?
                 WHERE ({}) AND id NOT IN (SELECT id FROM {table})",
                each("{c} = NULL", ", "),
                each("{c} IS NOT NULL", " OR ")
            ),
            duckdb::params![generation as i64],
        )?,
    };
    Ok((changed, cleared))
}

/// [`crate::Store::update`] on the store at `paths`, opened for the call. A process that
/// keeps a store open calls the method instead.
pub fn update<T, E: From<crate::Error>>(
    paths: &StorePaths,
    progress: &dyn Progress,
    change: impl FnOnce(&Connection, u64) -> std::result::Result<T, E>,
) -> std::result::Result<(T, u64, SyncReport), E> {
    crate::Store::open(paths)?.update(progress, change)
}

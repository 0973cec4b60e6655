//! Dense customer keys and per-customer monthly rollups of the events, so that
//! related-record questions (有投诉, 去年下过单, 近30天咨询≥5次且未成交, 订单金额合计超过50万)
//! are answered from small integer-keyed tables instead of a semi-join over every order
//! and interaction keyed by strings.
//!
//! * `customer_keys(id, ckey)`: a dense `INTEGER` per customer id, given when the id first
//!   comes and kept for good (also after a delete, so a key never changes owner). The key
//!   is copied into `customers.ckey`, `orders.ckey` and `interactions.ckey` as rows are
//!   written (`upsert.rs`).
//! * `order_months(ckey, month, n, amount)`: per customer and calendar month, how many
//!   orders and their sum in DECIMAL fen (so that the sum does not depend on the order rows
//!   are added in, as the raw path's does not either).
//! * `interaction_months(ckey, month, kind, n)`: per customer, month and kind (咨询, 投诉 …).
//! * `order_totals` and `interaction_totals`: the same over the whole history, a row per
//!   customer (and kind), for the questions with no window (投诉过的客户).
//!
//! A window stays exact: the query side reads whole months from the rollups and the days
//! at the window's edges from the raw events (`kesou_query`'s `ask/rollups.rs`).
//!
//! The rollups are written in the same transaction as the events: [`refresh`] runs in
//! every write that derives (a file ingest, a change batch, a delete) and records the
//! generation they describe in meta [`ROLLUPS`]. A reader uses them only when that is the
//! store's generation; a write that changes no event ([`carry`]) keeps them valid. A store
//! made before rollups, restored from an older backup or written by an older binary has
//! another value there: the readers fall back to the raw events and the next write rebuilds
//! everything.

use duckdb::Connection;

use crate::Result;
use crate::store;

/// Meta key: the generation whose events the rollups describe.
pub const ROLLUPS: &str = "rollups_generation";

/// Gives keys to the ids of `source` (a table or subquery with an `id` column) that have
/// none yet, after the largest key given so far.
pub(crate) fn assign_keys(conn: &Connection, source: &str) -> Result<()> {
    conn.execute_batch(&format!(
        "INSERT INTO customer_keys
             SELECT id, (SELECT coalesce(max(ckey), 0) FROM customer_keys)
                 + row_number() OVER (ORDER BY id)
             FROM (SELECT DISTINCT id FROM {source} WHERE id IS NOT NULL)
             WHERE id NOT IN (SELECT id FROM customer_keys);"
    ))?;
    Ok(())
}

/// Brings the rollups up to date inside a write, after its events are in place: those of
/// the customers in `_touched` when the rollups described the store before this write,
/// else every one (and every key filled in). `previous` is the store's generation before
/// the write; `generation` the one being written.
pub(crate) fn refresh(conn: &Connection, previous: u64, generation: u64) -> Result<()> {
    let valid =
        store::get_meta(conn, ROLLUPS)?.and_then(|g| g.parse::<u64>().ok()) == Some(previous);
    if valid {
        conn.execute_batch(
            "CREATE OR REPLACE TEMP TABLE _touched_keys AS
                 SELECT DISTINCT ckey FROM customer_keys WHERE id IN (SELECT id FROM _touched);
             DELETE FROM order_months WHERE ckey IN (SELECT ckey FROM _touched_keys);
             DELETE FROM interaction_months WHERE ckey IN (SELECT ckey FROM _touched_keys);
             DELETE FROM order_totals WHERE ckey IN (SELECT ckey FROM _touched_keys);
             DELETE FROM interaction_totals WHERE ckey IN (SELECT ckey FROM _touched_keys);",
        )?;
        fill(conn, "WHERE ckey IN (SELECT ckey FROM _touched_keys)")?;
    } else {
        // A key once written is its id's for good: only rows written before keys lack one.
        assign_keys(conn, "customers")?;
        conn.execute_batch(
            "UPDATE customers SET ckey = k.ckey FROM customer_keys k
                 WHERE customers.ckey IS NULL AND customers.id = k.id;
             UPDATE orders SET ckey = k.ckey FROM customer_keys k
                 WHERE orders.ckey IS NULL AND orders.customer_id = k.id;
             UPDATE interactions SET ckey = k.ckey FROM customer_keys k
                 WHERE interactions.ckey IS NULL AND interactions.customer_id = k.id;
             DELETE FROM order_months;
             DELETE FROM interaction_months;
             DELETE FROM order_totals;
             DELETE FROM interaction_totals;",
        )?;
        fill(conn, "WHERE ckey IS NOT NULL")?;
    }
    store::set_meta(conn, ROLLUPS, &generation.to_string())?;
    Ok(())
}

/// Adds the rollup rows of the events `which` selects, in month order: DuckDB keeps the
/// least and greatest month of every row group, so a window's months read only the row
/// groups that hold them (at 100k customers the rollups have ~1M rows over ten years).
fn fill(conn: &Connection, which: &str) -> Result<()> {
    conn.execute_batch(&format!(
        "INSERT INTO order_months
             SELECT ckey, CAST(date_trunc('month', order_date) AS DATE), count(*),
                 sum(CAST(amount AS DECIMAL(18, 2)))
             FROM orders {which} GROUP BY 1, 2 ORDER BY 2, 1;
         INSERT INTO interaction_months
             SELECT ckey, CAST(date_trunc('month', ts) AS DATE), kind, count(*)
             FROM interactions {which} GROUP BY 1, 2, 3 ORDER BY 2, 1;
         INSERT INTO order_totals
             SELECT ckey, sum(n), sum(amount) FROM order_months {which} GROUP BY 1 ORDER BY 1;
         INSERT INTO interaction_totals
             SELECT ckey, kind, sum(n) FROM interaction_months {which} GROUP BY 1, 2 ORDER BY 1;"
    ))?;
    Ok(())
}

/// Removes the rollups of customers about to be deleted (ids in `_delete`).
pub(crate) fn forget_deleted(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE _deleted_keys AS
             SELECT ckey FROM customer_keys WHERE id IN (SELECT id FROM _delete);
         DELETE FROM order_months WHERE ckey IN (SELECT ckey FROM _deleted_keys);
         DELETE FROM interaction_months WHERE ckey IN (SELECT ckey FROM _deleted_keys);
         DELETE FROM order_totals WHERE ckey IN (SELECT ckey FROM _deleted_keys);
         DELETE FROM interaction_totals WHERE ckey IN (SELECT ckey FROM _deleted_keys);",
    )?;
    Ok(())
}

/// A write that changes no order or interaction (churn risks, tags, a new key): the
/// rollups that described the store before it still describe it at `generation`.
pub fn carry(conn: &Connection, previous: u64, generation: u64) -> Result<()> {
    if store::get_meta(conn, ROLLUPS)?.and_then(|g| g.parse::<u64>().ok()) == Some(previous) {
        store::set_meta(conn, ROLLUPS, &generation.to_string())?;
    }
    Ok(())
}

/// Whether the rollups describe the store as it is (read by the query side).
pub fn fresh(conn: &Connection) -> Result<bool> {
    Ok(
        store::get_meta(conn, ROLLUPS)? == store::get_meta(conn, "generation")?
            && store::get_meta(conn, ROLLUPS)?.is_some(),
    )
}

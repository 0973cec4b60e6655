//! The glossary's derived columns, in DuckDB SQL relative to `as_of`, inside the
//! generation's transaction. Every customer whose derived values change gets the new
//! generation (`_gen`), which is how the index learns what to re-index; a customer whose
//! values come out the same is never stamped.
//!
//! Two kinds of columns. A customer's *own* columns (annual and total purchase, order
//! count, last order, consultations, lifecycle, behaviour tags) depend on its own orders
//! and interactions only ([`base`]). The *ranked* columns (value_level and 高价值客户,
//! RFM scores and segment, LTV and ARPU thirds) compare the customer with every buyer
//! ([`ranks`], over a [`population::Population`]). A file ingest derives every customer
//! ([`Scope::All`]); a change batch or a delete derives the own columns of the customers
//! it touched ([`Scope::Touched`]), moves them in the population of buyers, and derives
//! the ranked columns of those and of the others whose values lie where a cut moved.

mod base;
mod population;
mod ranks;

use chrono::NaiveDate;
use duckdb::{Connection, params};

use crate::Result;
use base::{POST_TAGS, PRE_TAGS, sql_list};
use population::{BUYER_COLUMNS, Population};
use ranks::{Ranks, ranked_columns};

/// Which customers to derive their own columns for.
#[derive(Debug)]
pub enum Scope {
    /// Every customer (a file ingest: `as_of` or the derivation itself may have changed).
    All,
    /// The customers in `_touched`; the cuts are those of the store before the change.
    Touched(Box<Cuts>),
}

/// The buyers and the cuts of the ranked columns of a store, taken at the start of a
/// change (before any customer is deleted or upserted), so that [`derive`] can tell whose
/// class moved.
#[derive(Debug, Clone)]
pub struct Cuts {
    buyers: Population,
    ranks: Ranks,
}

/// The cuts of the store as it is: `kept` when they are those a write of this process left
/// at the store's current generation (a store kept open does not read every buyer again),
/// else read from the store.
pub fn cuts(conn: &Connection, as_of: NaiveDate, kept: Option<(u64, Cuts)>) -> Result<Cuts> {
    let generation = crate::store::generation(conn)?;
    if let Some((g, cuts)) = kept
        && g == generation
        && cuts.ranks.as_of_day == Ranks::day(as_of)
    {
        return Ok(cuts);
    }
    let buyers = Population::new(&Population::read(
        conn,
        &format!("SELECT {BUYER_COLUMNS} FROM customers c WHERE c.order_count > 0"),
    )?);
    let ranks = Ranks::compute(&buyers, as_of);
    Ok(Cuts { buyers, ranks })
}

/// Derives the customers of `scope` as of `as_of`, and the ranked columns of every
/// customer whose class moved. Stamps with `generation` each customer whose values changed
/// (and each in `_touched`). Returns how many customers carry `generation`, and the cuts
/// of the store after the change.
pub fn derive(
    conn: &Connection,
    as_of: NaiveDate,
    generation: u64,
    scope: Scope,
) -> Result<(usize, Cuts)> {
    let started = std::time::Instant::now();
    let lap =
        |what: &str| tracing::debug!(seconds = started.elapsed().as_secs_f64(), "derive: {what}");
    crate::rollup::refresh(conn, crate::store::generation(conn)?, generation)?;
    lap("rollups");
    base::fill(conn, as_of, matches!(scope, Scope::All))?;
    lap("own columns");
    let rederived = format!("SELECT {BUYER_COLUMNS} FROM _base c WHERE c.order_count > 0");
    conn.execute_batch("CREATE OR REPLACE TEMP TABLE _moved (id VARCHAR)")?;
    let (buyers, ranks) = match scope {
        Scope::All => {
            let buyers = Population::new(&Population::read(conn, &rederived)?);
            let ranks = Ranks::compute(&buyers, as_of);
            (buyers, ranks)
        }
        Scope::Touched(before) => {
            let Cuts {
                mut buyers,
                ranks: old,
            } = *before;
            // The touched buyers as stored (deleted ones as they were) leave; as derived
            // now, they come back.
            let removed = Population::read(
                conn,
                &format!(
                    "SELECT {BUYER_COLUMNS} FROM customers c
                     WHERE c.order_count > 0 AND c.id IN (SELECT id FROM _touched)
                     UNION ALL SELECT {BUYER_COLUMNS} FROM _removed c"
                ),
            )?;
            let added = Population::read(conn, &rederived)?;
            let moved = if buyers.change(&removed, &added) {
                let ranks = Ranks::compute(&buyers, as_of);
                let moved = old.moved(&ranks);
                (buyers, ranks, Some(moved))
            } else {
                // The population kept does not describe the store: read it, and rank every
                // buyer again.
                tracing::warn!(
                    "buyers kept between writes differ from the store; ranking every buyer again"
                );
                let buyers = Population::new(&Population::read(
                    conn,
                    &format!(
                        "SELECT {BUYER_COLUMNS} FROM customers c
                         WHERE c.order_count > 0 AND c.id NOT IN (SELECT id FROM _touched)
                         UNION ALL {rederived}"
                    ),
                )?);
                let ranks = Ranks::compute(&buyers, as_of);
                (buyers, ranks, None)
            };
            let (buyers, ranks, moved) = moved;
            // Every buyer when the cuts before are not to be trusted.
            let mut values = Vec::new();
            let intervals = match moved {
                None => "true".to_owned(),
                Some(m) if m.is_empty() => "false".to_owned(),
                Some(m) => m
                    .iter()
                    .map(|(axis, lo, hi)| {
                        values.extend([*lo, *hi]);
                        format!("{axis}::DOUBLE BETWEEN ?::DOUBLE AND ?::DOUBLE")
                    })
                    .collect::<Vec<_>>()
                    .join(" OR "),
            };
            conn.execute(
                &format!(
                    "INSERT INTO _moved SELECT c.id FROM customers c
                     WHERE c.order_count > 0 AND ({intervals}) AND c.id NOT IN (SELECT id FROM _base)"
                ),
                duckdb::params_from_iter(values),
            )?;
            (buyers, ranks)
        }
    };
    ranks.write(conn)?;
    lap("cuts, moved customers found");
    write(conn, generation)?;
    let stamped: i64 = conn.query_row(
        "SELECT count(*) FROM customers WHERE _gen = ?",
        params![generation as i64],
        |r| r.get(0),
    )?;
    tracing::debug!(
        buyers = buyers.len(),
        seconds = started.elapsed().as_secs_f64(),
        stamped,
        "derived"
    );
    Ok((stamped as usize, Cuts { buyers, ranks }))
}

/// Writes the own and ranked columns and the tags of the customers in `_base` and `_moved`,
/// in one pass over `customers`, stamping those whose indexed values changed (and those in
/// `_touched`). Tags are the source tags, then the derived ones in a fixed order, then the
/// tags of user rules (named in meta `rule_tags`, applied by `kesou tags`), which keep their
/// place until the rules run again; a rule owns its tag name, so a derived tag of the same
/// name gives way. A moved customer's own columns and behaviour tags are read back from the
/// store: they depend on its own events only, which did not change.
fn write(conn: &Connection, generation: u64) -> Result<()> {
    let rule_tags = crate::store::get_meta(conn, crate::store::RULE_TAGS)?.unwrap_or_default();
    conn.execute(
        &format!(
            r#"CREATE OR REPLACE TEMP TABLE _derived AS
        WITH own AS (
            SELECT id, annual_purchase, total_purchase, order_count, last_order_date, consult_30d,
                lifecycle, pre, post
            FROM _base
            UNION ALL
            SELECT id, annual_purchase, total_purchase, order_count, last_order_date, consult_30d,
                lifecycle, list_filter(tags, lambda t: list_contains({pre}, t)),
                list_filter(tags, lambda t: list_contains({post}, t))
            FROM customers WHERE id IN (SELECT id FROM _moved)
        ), c AS (
            SELECT own.*, k.source_tags, k.tags AS old_tags, k.id IN (SELECT id FROM _touched) AS touched
            FROM own JOIN customers k USING (id)
        ), d AS (
            SELECT c.*, {ranked} FROM c, _ranks r
        )
        SELECT id, touched, annual_purchase, total_purchase, order_count, last_order_date, consult_30d,
            lifecycle, value_level,
            list_concat(list_concat(coalesce(source_tags, []::VARCHAR[]), list_filter(
                list_concat(list_concat(pre, [CASE WHEN value_level = '高' THEN '高价值客户' END]),
                    list_concat(post, [ltv_tag, arpu_tag])),
                lambda t: t IS NOT NULL AND NOT list_contains(coalesce(source_tags, []::VARCHAR[]), t)
                    AND NOT list_contains(string_split($1, chr(31)), t))),
                list_filter(coalesce(old_tags, []::VARCHAR[]), lambda t: list_contains(string_split($1, chr(31)), t)
                    AND NOT list_contains(coalesce(source_tags, []::VARCHAR[]), t))) AS tags,
            r_score, f_score, m_score, rfm_segment
        FROM d"#,
            pre = sql_list(PRE_TAGS),
            post = sql_list(POST_TAGS),
            ranked = ranked_columns(),
        ),
        params![rule_tags],
    )?;
    // RFM scores are not indexed: they change without stamping the customer.
    let indexed_changed = r#"(
            d.touched
            OR customers.annual_purchase IS DISTINCT FROM d.annual_purchase
            OR customers.total_purchase IS DISTINCT FROM d.total_purchase
            OR customers.order_count IS DISTINCT FROM d.order_count
            OR customers.last_order_date IS DISTINCT FROM d.last_order_date
            OR customers.consult_30d IS DISTINCT FROM d.consult_30d
            OR customers.lifecycle IS DISTINCT FROM d.lifecycle
            OR customers.value_level IS DISTINCT FROM d.value_level
            OR customers.tags IS DISTINCT FROM d.tags)"#;
    conn.execute(
        &format!(
            r#"UPDATE customers SET
            annual_purchase = d.annual_purchase, total_purchase = d.total_purchase,
            order_count = d.order_count, last_order_date = d.last_order_date,
            consult_30d = d.consult_30d, lifecycle = d.lifecycle, value_level = d.value_level,
            tags = d.tags, r_score = d.r_score, f_score = d.f_score, m_score = d.m_score,
            rfm_segment = d.rfm_segment,
            _gen = CASE WHEN {indexed_changed} THEN ? ELSE customers._gen END
        FROM _derived d
        WHERE customers.id = d.id AND ({indexed_changed}
            OR customers.r_score IS DISTINCT FROM d.r_score
            OR customers.f_score IS DISTINCT FROM d.f_score
            OR customers.m_score IS DISTINCT FROM d.m_score
            OR customers.rfm_segment IS DISTINCT FROM d.rfm_segment)"#
        ),
        params![generation as i64],
    )?;
    Ok(())
}

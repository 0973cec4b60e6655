//! The glossary's derived columns, in DuckDB SQL relative to `as_of`, inside the
//! generation's transaction. Every customer whose derived values change gets the new
//! generation (`_gen`), which is how the index learns what to re-index; a customer whose
//! values come out the same is never stamped.
//!
//! Two kinds of columns. A customer's *own* columns (annual and total purchase, order
//! count, last order, consultations, lifecycle, behaviour tags) depend on its own orders
//! and interactions only ([`base`]). The *ranked* columns (value_level and 高价值客户,
//! RFM scores and segment, LTV and ARPU thirds) compare the customer with every buyer
//! ([`ranks`]). A file ingest derives every customer ([`Scope::All`]); a change batch or a
//! delete derives its own columns only for the customers it touched ([`Scope::Touched`]),
//! then the ranked columns for those and for the others whose values lie where a cut moved.

mod base;
mod ranks;

use chrono::NaiveDate;
use duckdb::{Connection, params};

use crate::Result;
use base::{POST_TAGS, PRE_TAGS, sql_list};
use ranks::{Population, Ranks, ranked_columns};

/// Which customers to derive their own columns for.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every customer (a file ingest: `as_of` or the derivation itself may have changed).
    All,
    /// The customers in `_touched`; the cuts are those of the store before the change.
    Touched(Box<Cuts>),
}

/// The cuts of the ranked columns of a store, taken at the start of a change (before any
/// customer is deleted or upserted), so that [`derive`] can tell whose class moved.
#[derive(Debug, Clone)]
pub struct Cuts(Ranks);

/// The cuts of the store as it is: `kept` when they are the cuts a write of this process
/// left at the store's current generation (a store kept open skips reading every buyer),
/// else read from the store.
pub fn cuts(conn: &Connection, as_of: NaiveDate, kept: Option<(u64, Cuts)>) -> Result<Cuts> {
    let generation = crate::store::generation(conn)?;
    match kept {
        Some((g, cuts)) if g == generation && cuts.0.as_of_day == Ranks::day(as_of) => Ok(cuts),
        _ => Ok(Cuts(Ranks::compute(
            conn,
            &Population::stored(conn)?,
            as_of,
        )?)),
    }
}

/// Derives the customers of `scope` as of `as_of`, and the ranked columns of every
/// customer whose class moved. Stamps with `generation` each customer whose values changed
/// (and each in `_touched`). Returns how many customers carry `generation`, and the cuts
/// of the store after the change.
pub fn derive(
    conn: &Connection,
    as_of: NaiveDate,
    generation: u64,
    scope: &Scope,
) -> Result<(usize, Cuts)> {
    let started = std::time::Instant::now();
    let lap =
        |what: &str| tracing::debug!(seconds = started.elapsed().as_secs_f64(), "derive: {what}");
    base::fill(conn, as_of, matches!(scope, Scope::All))?;
    lap("own columns");
    base::store(conn, generation)?;
    lap("own columns stored");
    let buyers = Population::stored(conn)?;
    lap("buyers read");
    let ranks = Ranks::compute(conn, &buyers, as_of)?;
    ranks.write(conn)?;
    lap("cuts");
    conn.execute_batch("CREATE OR REPLACE TEMP TABLE _moved (id VARCHAR)")?;
    if let Scope::Touched(before) = scope {
        let old = &before.0;
        let moved = old.moved(&ranks);
        if !moved.is_empty() {
            let mut values = Vec::new();
            let between: Vec<String> = moved
                .iter()
                .map(|(axis, lo, hi)| {
                    values.push(*lo);
                    values.push(*hi);
                    format!("{axis}::DOUBLE BETWEEN ?::DOUBLE AND ?::DOUBLE")
                })
                .collect();
            conn.execute(
                &format!(
                    "INSERT INTO _moved SELECT c.id FROM customers c
                     WHERE c.order_count > 0 AND c.id NOT IN (SELECT id FROM _base) AND ({})",
                    between.join(" OR ")
                ),
                duckdb::params_from_iter(values),
            )?;
        }
    }
    let based = started.elapsed().as_secs_f64();
    lap("moved customers found");
    rank(conn, generation)?;
    let stamped: i64 = conn.query_row(
        "SELECT count(*) FROM customers WHERE _gen = ?",
        params![generation as i64],
        |r| r.get(0),
    )?;
    tracing::debug!(
        buyers = buyers.len(),
        own_and_cuts_seconds = based,
        seconds = started.elapsed().as_secs_f64(),
        stamped,
        "derived"
    );
    Ok((stamped as usize, Cuts(ranks)))
}

/// Writes the ranked columns and the tags of the customers in `_base` and `_moved`.
/// Tags are the source tags, then the derived ones in a fixed order, then the tags of user
/// rules (named in meta `rule_tags`, applied by `kesou tags`), which keep their place until
/// the rules run again; a rule owns its tag name, so a derived tag of the same name gives
/// way. A moved customer's behaviour tags are read back from its tags: they depend on its
/// own events only, which did not change.
fn rank(conn: &Connection, generation: u64) -> Result<()> {
    let rule_tags = crate::store::get_meta(conn, crate::store::RULE_TAGS)?.unwrap_or_default();
    conn.execute(
        &format!(
            r#"CREATE OR REPLACE TEMP TABLE _derived AS
        WITH p AS (
            SELECT id, pre, post FROM _base
            UNION ALL
            SELECT id, list_filter(tags, lambda t: list_contains({pre}, t)),
                list_filter(tags, lambda t: list_contains({post}, t))
            FROM customers WHERE id IN (SELECT id FROM _moved)
        ), d AS (
            SELECT c.id, c.source_tags, c.tags AS old_tags, p.pre, p.post, {ranked}
            FROM customers c JOIN p ON p.id = c.id, _ranks r
        )
        SELECT id, value_level,
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
    conn.execute(
        r#"UPDATE customers SET value_level = d.value_level, tags = d.tags, _gen = ?
        FROM _derived d
        WHERE customers.id = d.id AND (
            customers.value_level IS DISTINCT FROM d.value_level
            OR customers.tags IS DISTINCT FROM d.tags)"#,
        params![generation as i64],
    )?;
    // RFM scores are not indexed: they change without stamping the customer.
    conn.execute_batch(
        r#"UPDATE customers SET r_score = d.r_score, f_score = d.f_score, m_score = d.m_score,
            rfm_segment = d.rfm_segment
        FROM _derived d
        WHERE customers.id = d.id AND (
            customers.r_score IS DISTINCT FROM d.r_score
            OR customers.f_score IS DISTINCT FROM d.f_score
            OR customers.m_score IS DISTINCT FROM d.m_score
            OR customers.rfm_segment IS DISTINCT FROM d.rfm_segment)"#,
    )?;
    Ok(())
}

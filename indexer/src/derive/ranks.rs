//! The columns that place a customer among all buyers (customers with orders): value_level
//! (高 = top 20% by annual purchase, 中 = the next 30%; ties by id), the RFM scores (1–5 by
//! percent rank) and segment (against the buyers' means), and the LTV and ARPU thirds.
//!
//! Each of them is a comparison of one of the customer's own values with a *cut*: the value
//! of the buyer at a class boundary in the sorted order, or a mean. [`Ranks`] holds the
//! cuts of a [`Population`] of buyers, read off its sorted values (where sorting every buyer
//! in SQL window functions took seconds at a million customers), and gives exactly what the
//! window functions gave: `percent_rank` is evaluated in the same floating point,
//! `value_rank <= n * 0.2` in the same integers.
//!
//! When a few customers change, the cuts move a little. A customer outside the change can
//! change class only if its value lies between a cut's old and new place
//! ([`Ranks::moved`]): those are the only others re-derived.

use chrono::NaiveDate;
use duckdb::{Connection, params};

use super::population::Population;
use crate::Result;

/// The day numbers of dates are counted from 1970-01-01 here and in SQL.
pub const LAST_DAY: &str = "date_diff('day', DATE '1970-01-01', c.last_order_date)";
const ANNUAL: &str = "c.annual_purchase";
const ORDERS: &str = "c.order_count";
const TOTAL: &str = "c.total_purchase";
const ARPU: &str = "(c.total_purchase / c.order_count)";

/// The cuts of a population. A value is in the class above a cut when `value > cut`;
/// −∞ lets every value in, +∞ none.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranks {
    pub buyers: usize,
    pub as_of_day: f64,
    /// value_level 高: the annual purchase and id of the last buyer in it, in the order
    /// (annual purchase ↓, id ↑); (+∞, "") when none is.
    pub high: (f64, String),
    /// value_level 中 or better, likewise.
    pub mid: (f64, String),
    /// r_score above 1, 2, 3, 4: on the day of the last order.
    pub r: [f64; 4],
    /// f_score above 1, 2, 3, 4: on the number of orders.
    pub f: [f64; 4],
    /// m_score above 1, 2, 3, 4: on the total purchase.
    pub m: [f64; 4],
    /// LTV中 and LTV高: on the total purchase.
    pub ltv: [f64; 2],
    /// ARPU中 and ARPU高: on the total purchase per order.
    pub arpu: [f64; 2],
    pub mean_recency: f64,
    pub mean_frequency: f64,
    pub mean_monetary: f64,
}

/// The cut of a class defined on `percent_rank() OVER (ORDER BY value)`: the value a buyer
/// must exceed for `holds(percent_rank)`, from the buyers' values `sorted` ascending.
/// `holds` must be monotone (once true, true for every higher rank), as every class here
/// is. A buyer's percent rank is `w / (n - 1)` in floating point, `w` the number of buyers
/// with a smaller value (0 when there is one buyer), exactly as DuckDB computes it.
pub fn percent_cut(sorted: &[f64], holds: impl Fn(f64) -> bool) -> f64 {
    let n = sorted.len();
    let rank = |w: usize| {
        if n > 1 {
            w as f64 / (n - 1) as f64
        } else {
            0.0
        }
    };
    // The fewest buyers below for which the class holds (n: never).
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if holds(rank(mid)) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    match lo {
        0 => f64::NEG_INFINITY,
        w if w == n => f64::INFINITY,
        // At least w buyers below ⇔ the w-th smallest value is below.
        w => sorted[w - 1],
    }
}

/// `least(5, 1 + floor(percent_rank * 5))` ≥ s + 1, for s = 1..4.
fn score_cuts(sorted: &[f64]) -> [f64; 4] {
    [1.0, 2.0, 3.0, 4.0].map(|s| percent_cut(sorted, |pr| (pr * 5.0).floor() >= s))
}

/// `percent_rank >= 1/3` and `>= 2/3`.
fn third_cuts(sorted: &[f64]) -> [f64; 2] {
    [1.0 / 3.0, 2.0 / 3.0].map(|t| percent_cut(sorted, |pr| pr >= t))
}

fn mean(sum: f64, n: usize) -> f64 {
    if n == 0 { 0.0 } else { sum / n as f64 }
}

impl Ranks {
    /// The cuts of `pop`.
    pub fn compute(pop: &Population, as_of: NaiveDate) -> Ranks {
        let n = pop.len();
        let as_of_day = Ranks::day(as_of);
        // `value_rank <= n * 0.2` in DuckDB's exact decimals: the first n / 5 in the order.
        let level = |k: usize| match k {
            0 => (f64::INFINITY, String::new()),
            k => pop.by_annual[k - 1].clone(),
        };
        Ranks {
            buyers: n,
            as_of_day,
            high: level(n / 5),
            mid: level(n / 2),
            r: score_cuts(&pop.last_day),
            f: score_cuts(&pop.orders),
            m: score_cuts(&pop.total),
            ltv: third_cuts(&pop.total),
            arpu: third_cuts(&pop.arpu),
            mean_recency: mean(n as f64 * as_of_day - pop.sum_last_day as f64, n),
            mean_frequency: mean(pop.sum_orders as f64, n),
            mean_monetary: mean(pop.sum_fen as f64, n) / 100.0,
        }
    }

    /// The day number of a date.
    pub fn day(date: NaiveDate) -> f64 {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
        (date - epoch).num_days() as f64
    }

    /// Writes the cuts as the one row of `_ranks`, which [`ranked_columns`] reads.
    pub fn write(&self, conn: &Connection) -> Result<()> {
        conn.execute_batch(
            "CREATE OR REPLACE TEMP TABLE _ranks (
                as_of_day DOUBLE, high_value DOUBLE, high_id VARCHAR, mid_value DOUBLE, mid_id VARCHAR,
                r1 DOUBLE, r2 DOUBLE, r3 DOUBLE, r4 DOUBLE, f1 DOUBLE, f2 DOUBLE, f3 DOUBLE, f4 DOUBLE,
                m1 DOUBLE, m2 DOUBLE, m3 DOUBLE, m4 DOUBLE, ltv_mid DOUBLE, ltv_high DOUBLE,
                arpu_mid DOUBLE, arpu_high DOUBLE,
                mean_recency DOUBLE, mean_frequency DOUBLE, mean_monetary DOUBLE)",
        )?;
        conn.execute(
            "INSERT INTO _ranks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            params![
                self.as_of_day,
                self.high.0,
                self.high.1,
                self.mid.0,
                self.mid.1,
                self.r[0],
                self.r[1],
                self.r[2],
                self.r[3],
                self.f[0],
                self.f[1],
                self.f[2],
                self.f[3],
                self.m[0],
                self.m[1],
                self.m[2],
                self.m[3],
                self.ltv[0],
                self.ltv[1],
                self.arpu[0],
                self.arpu[1],
                self.mean_recency,
                self.mean_frequency,
                self.mean_monetary,
            ],
        )?;
        Ok(())
    }

    /// Where a buyer's class can differ between `self` (before) and `new` (after): for each
    /// cut that moved, the SQL value it is on and the closed interval between its places.
    pub fn moved(&self, new: &Ranks) -> Vec<(&'static str, f64, f64)> {
        fn between(out: &mut Vec<(&'static str, f64, f64)>, axis: &'static str, a: f64, b: f64) {
            out.push((axis, a.min(b), a.max(b)));
        }
        let mut out = Vec::new();
        // value_level's cuts are (value, id): a tie moves with the id alone, and then every
        // buyer of that value is in the interval [value, value].
        for (old, new) in [(&self.high, &new.high), (&self.mid, &new.mid)] {
            if old != new {
                between(&mut out, ANNUAL, old.0, new.0);
            }
        }
        let cuts = [
            (LAST_DAY, &self.r[..], &new.r[..]),
            (ORDERS, &self.f[..], &new.f[..]),
            (TOTAL, &self.m[..], &new.m[..]),
            (TOTAL, &self.ltv[..], &new.ltv[..]),
            (ARPU, &self.arpu[..], &new.arpu[..]),
            // recency < mean ⇔ last day > as_of − mean.
            (
                LAST_DAY,
                &[self.as_of_day - self.mean_recency][..],
                &[new.as_of_day - new.mean_recency][..],
            ),
            (
                ORDERS,
                &[self.mean_frequency][..],
                &[new.mean_frequency][..],
            ),
            (TOTAL, &[self.mean_monetary][..], &[new.mean_monetary][..]),
        ];
        for (axis, old, new) in cuts {
            for (a, b) in old.iter().zip(new) {
                if a != b {
                    between(&mut out, axis, *a, *b);
                }
            }
        }
        out
    }
}

/// The ranked columns of customer `c` against the cuts in `_ranks r`, as SQL select items:
/// value_level, ltv_tag, arpu_tag, r_score, f_score, m_score, rfm_segment.
pub fn ranked_columns() -> String {
    let level = |name: &str| {
        format!(
            "(c.annual_purchase > r.{name}_value OR (c.annual_purchase = r.{name}_value AND c.id <= r.{name}_id))"
        )
    };
    let score = |axis: &str, cut: &str| {
        format!(
            "CASE WHEN c.order_count > 0 THEN 1 + ({axis} > r.{cut}1)::INTEGER + ({axis} > r.{cut}2)::INTEGER \
             + ({axis} > r.{cut}3)::INTEGER + ({axis} > r.{cut}4)::INTEGER END"
        )
    };
    let third = |axis: &str, cut: &str, tag: &str| {
        format!(
            "CASE WHEN c.order_count > 0 THEN CASE WHEN {axis} > r.{cut}_high THEN '{tag}高' \
             WHEN {axis} > r.{cut}_mid THEN '{tag}中' ELSE '{tag}低' END END"
        )
    };
    let recency = format!("(r.as_of_day - {LAST_DAY})");
    format!(
        r#"CASE WHEN c.order_count > 0 AND {high} THEN '高'
             WHEN c.order_count > 0 AND {mid} THEN '中' ELSE '低' END AS value_level,
        {ltv} AS ltv_tag,
        {arpu} AS arpu_tag,
        {r} AS r_score, {f} AS f_score, {m} AS m_score,
        CASE WHEN c.order_count > 0 THEN CASE
            WHEN {recency} < r.mean_recency AND {ORDERS} > r.mean_frequency AND {TOTAL} > r.mean_monetary THEN '重要价值客户'
            WHEN {recency} < r.mean_recency AND {ORDERS} <= r.mean_frequency AND {TOTAL} > r.mean_monetary THEN '重要发展客户'
            WHEN {recency} >= r.mean_recency AND {ORDERS} > r.mean_frequency AND {TOTAL} > r.mean_monetary THEN '重要保持客户'
            WHEN {recency} >= r.mean_recency AND {ORDERS} <= r.mean_frequency AND {TOTAL} > r.mean_monetary THEN '重要挽留客户'
            WHEN {recency} < r.mean_recency AND {ORDERS} > r.mean_frequency THEN '一般价值客户'
            WHEN {recency} < r.mean_recency THEN '一般发展客户'
            WHEN {ORDERS} > r.mean_frequency THEN '一般保持客户'
            ELSE '一般挽留客户' END END AS rfm_segment"#,
        high = level("high"),
        mid = level("mid"),
        ltv = third(TOTAL, "ltv", "LTV"),
        arpu = third(ARPU, "arpu", "ARPU"),
        r = score(LAST_DAY, "r"),
        f = score(ORDERS, "f"),
        m = score(TOTAL, "m"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// percent_rank as DuckDB's window function gives it: the share of the others below.
    fn percent_rank(values: &[f64], v: f64) -> f64 {
        let below = values.iter().filter(|x| **x < v).count();
        if values.len() > 1 {
            below as f64 / (values.len() - 1) as f64
        } else {
            0.0
        }
    }

    fn values(seed: u64, n: usize, distinct: u64) -> Vec<f64> {
        let mut state = seed | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % distinct) as f64
            })
            .collect()
    }

    #[test]
    fn cuts_classify_as_percent_rank_does_with_ties_and_every_size() {
        for n in [0usize, 1, 2, 3, 5, 6, 7, 11, 16, 31, 100, 301] {
            for distinct in [1u64, 2, 3, 7, 1000] {
                let vals = values(n as u64 * 31 + distinct, n, distinct);
                let mut sorted = vals.clone();
                sorted.sort_by(f64::total_cmp);
                let scores = score_cuts(&sorted);
                let thirds = third_cuts(&sorted);
                for v in &vals {
                    let pr = percent_rank(&vals, *v);
                    let want = (1.0 + (pr * 5.0).floor()).min(5.0) as usize;
                    let got = 1 + scores.iter().filter(|c| v > *c).count();
                    assert_eq!(got, want, "score of {v} among {n} ({distinct} distinct)");
                    let want = usize::from(pr >= 1.0 / 3.0) + usize::from(pr >= 2.0 / 3.0);
                    let got = thirds.iter().filter(|c| v > *c).count();
                    assert_eq!(got, want, "third of {v} among {n} ({distinct} distinct)");
                }
            }
        }
    }

    #[test]
    fn a_cut_is_the_boundary_value_or_an_infinity() {
        let v = [1.0, 3.0, 5.0];
        // percent ranks 0, 0.5, 1: "≥ 0.5" starts at the second value.
        assert_eq!(percent_cut(&v, |pr| pr >= 0.5), 1.0);
        assert_eq!(percent_cut(&v, |_| true), f64::NEG_INFINITY);
        assert_eq!(percent_cut(&v, |_| false), f64::INFINITY);
    }
}

//! The buyers (customers with orders) as the ranked columns see them: each of the values a
//! class is cut on, sorted, and the sums their means come from. A store kept open keeps it
//! between writes and moves only the buyers a change touched (a merge, no read of the
//! store); otherwise it is read from the store.

use std::cmp::Ordering;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Float64Type;
use duckdb::Connection;

use crate::Result;

/// One buyer's values.
#[derive(Debug, Clone, PartialEq)]
pub struct Buyer {
    pub id: String,
    pub annual: f64,
    pub total: f64,
    pub orders: f64,
    /// Day number of the last order (days since 1970-01-01).
    pub last_day: f64,
}

impl Buyer {
    fn arpu(&self) -> f64 {
        self.total / self.orders
    }
    /// The amount in fen, exactly (sums of fen do not depend on their order).
    fn fen(&self) -> i128 {
        (self.total * 100.0).round() as i128
    }
}

/// The columns [`Population::read`] expects, in order, of a table aliased `c`.
pub const BUYER_COLUMNS: &str = "c.id, c.annual_purchase, c.total_purchase, c.order_count::DOUBLE, \
     date_diff('day', DATE '1970-01-01', c.last_order_date)::DOUBLE";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Population {
    /// (annual purchase, id) in value_level's order: annual purchase ↓, then id ↑.
    pub by_annual: Vec<(f64, String)>,
    /// Each ascending.
    pub total: Vec<f64>,
    pub orders: Vec<f64>,
    pub last_day: Vec<f64>,
    pub arpu: Vec<f64>,
    pub sum_last_day: i64,
    pub sum_orders: i64,
    pub sum_fen: i128,
}

/// The values kept sorted besides the annual purchase, in the order of the fields.
const VALUES: [fn(&Buyer) -> f64; 4] = [|b| b.total, |b| b.orders, |b| b.last_day, Buyer::arpu];

fn level_order(a: &(f64, String), b: &(f64, String)) -> Ordering {
    b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1))
}

/// Whether `sorted` holds every value of `removed` (as often as it is there).
fn holds_all<T>(sorted: &[T], removed: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) -> bool {
    removed.sort_by(&cmp);
    removed
        .chunk_by(|a, b| cmp(a, b) == Ordering::Equal)
        .all(|same| {
            let from = sorted.partition_point(|x| cmp(x, &same[0]) == Ordering::Less);
            let to = sorted.partition_point(|x| cmp(x, &same[0]) != Ordering::Greater);
            to - from >= same.len()
        })
}

/// `sorted` without one occurrence of each of `removed` (sorted, all present) and with
/// `added`, sorted by `cmp`. Moves the values: nothing is copied.
fn merge<T>(
    sorted: &mut Vec<T>,
    removed: &[T],
    mut added: Vec<T>,
    cmp: impl Fn(&T, &T) -> Ordering,
) {
    if removed.is_empty() && added.is_empty() {
        return;
    }
    added.sort_by(&cmp);
    let old = std::mem::take(sorted);
    sorted.reserve(old.len() + added.len() - removed.len());
    let mut r = removed.iter().peekable();
    let mut a = added.into_iter().peekable();
    for v in old {
        while let Some(x) = a.next_if(|x| cmp(x, &v) == Ordering::Less) {
            sorted.push(x);
        }
        if r.next_if(|x| cmp(x, &v) == Ordering::Equal).is_some() {
            continue;
        }
        sorted.push(v);
    }
    sorted.extend(a);
}

impl Population {
    pub fn new(buyers: &[Buyer]) -> Population {
        let mut p = Population {
            by_annual: buyers.iter().map(|b| (b.annual, b.id.clone())).collect(),
            total: buyers.iter().map(|b| b.total).collect(),
            orders: buyers.iter().map(|b| b.orders).collect(),
            last_day: buyers.iter().map(|b| b.last_day).collect(),
            arpu: buyers.iter().map(Buyer::arpu).collect(),
            sum_last_day: buyers.iter().map(|b| b.last_day as i64).sum(),
            sum_orders: buyers.iter().map(|b| b.orders as i64).sum(),
            sum_fen: buyers.iter().map(Buyer::fen).sum(),
        };
        p.by_annual.sort_by(level_order);
        for v in [&mut p.total, &mut p.orders, &mut p.last_day, &mut p.arpu] {
            v.sort_by(f64::total_cmp);
        }
        p
    }

    /// The buyers an SQL query selects with [`BUYER_COLUMNS`].
    pub fn read(conn: &Connection, sql: &str) -> Result<Vec<Buyer>> {
        let mut out = Vec::new();
        let mut stmt = conn.prepare(sql)?;
        for batch in stmt.query_arrow([])? {
            let ids = arrow::compute::cast(batch.column(0), &arrow::datatypes::DataType::Utf8)?;
            let ids = ids.as_string::<i32>();
            let f = |i: usize| batch.column(i).as_primitive::<Float64Type>().clone();
            let (annual, total, orders, last) = (f(1), f(2), f(3), f(4));
            for row in 0..batch.num_rows() {
                out.push(Buyer {
                    id: ids.value(row).to_owned(),
                    annual: annual.value(row),
                    total: total.value(row),
                    orders: orders.value(row),
                    last_day: if last.is_null(row) {
                        f64::NAN
                    } else {
                        last.value(row)
                    },
                });
            }
        }
        Ok(out)
    }

    /// Moves `removed` buyers out and `added` ones in. `false` (and `self` unchanged) when a
    /// removed buyer is not in the population: it does not describe the store.
    pub fn change(&mut self, removed: &[Buyer], added: &[Buyer]) -> bool {
        let level = |bs: &[Buyer]| {
            bs.iter()
                .map(|b| (b.annual, b.id.clone()))
                .collect::<Vec<_>>()
        };
        let mut gone_level = level(removed);
        let mut gone: [Vec<f64>; 4] = VALUES.map(|f| removed.iter().map(f).collect());
        let sorted = [&self.total, &self.orders, &self.last_day, &self.arpu];
        if !holds_all(&self.by_annual, &mut gone_level, level_order)
            || !sorted
                .into_iter()
                .zip(&mut gone)
                .all(|(s, g)| holds_all(s, g, f64::total_cmp))
        {
            return false;
        }
        merge(&mut self.by_annual, &gone_level, level(added), level_order);
        let sorted = [
            &mut self.total,
            &mut self.orders,
            &mut self.last_day,
            &mut self.arpu,
        ];
        for ((sorted, gone), f) in sorted.into_iter().zip(&gone).zip(VALUES) {
            merge(sorted, gone, added.iter().map(f).collect(), f64::total_cmp);
        }
        for (bs, sign) in [(removed, -1), (added, 1)] {
            for b in bs {
                self.sum_last_day += sign * b.last_day as i64;
                self.sum_orders += sign * b.orders as i64;
                self.sum_fen += i128::from(sign) * b.fen();
            }
        }
        true
    }

    pub fn len(&self) -> usize {
        self.by_annual.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buyer(id: &str, annual: f64, total: f64, orders: f64, last_day: f64) -> Buyer {
        Buyer {
            id: id.into(),
            annual,
            total,
            orders,
            last_day,
        }
    }

    #[test]
    fn a_changed_population_is_the_population_of_the_changed_buyers() {
        let all: Vec<Buyer> = (0..50)
            .map(|i| {
                let f = f64::from(i);
                buyer(
                    &format!("C{i:03}"),
                    (f * 7.0) % 11.0,
                    f * 3.5,
                    1.0 + f % 4.0,
                    19_000.0 + f % 9.0,
                )
            })
            .collect();
        let mut p = Population::new(&all[..40]);
        // Out: three of the first forty; in: the last ten and a new version of one out.
        let removed = vec![all[3].clone(), all[17].clone(), all[39].clone()];
        let mut again = all[17].clone();
        again.annual = 99.0;
        let mut added: Vec<Buyer> = all[40..].to_vec();
        added.push(again.clone());
        assert!(p.change(&removed, &added));
        let mut want: Vec<Buyer> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| ![3, 17, 39].contains(i))
            .map(|(_, b)| b.clone())
            .collect();
        want.push(again);
        assert_eq!(p, Population::new(&want));
        // A buyer that is not there cannot leave.
        let before = p.clone();
        assert!(!p.change(&[buyer("C999", 1.0, 1.0, 1.0, 1.0)], &[]));
        assert_eq!(p, before);
    }
}

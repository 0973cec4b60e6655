//! What the store knows of each customer on a given day, in DuckDB SQL: recency, frequency
//! and amounts of its orders with their trends, the mix of its interactions, and the
//! attributes that do not change with time (industry, size, source tags, employees, capital,
//! age). Only orders dated on or before the day and interactions on or before it are read,
//! and no column derived at ingest (lifecycle, tags, annual_purchase …, all relative to the
//! store's as_of) is used: the features of a day are what was known that day.
//!
//! The population of a day are the customers buying then: at least one order in the 180 days
//! up to it (the glossary's "last 180 days", date > day − 180), so none of them is 流失 that
//! day. Churned by a later day means no order after the day up to the later one: with the
//! later day 180 days on, exactly lifecycle 流失 there.

use std::collections::HashSet;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type};
use chrono::NaiveDate;
use duckdb::{Connection, params};

use crate::Result;

/// The customers of a [`Cohort`] on `$1` with their raw features. Every number is a DOUBLE
/// (NULL where it does not exist, such as the gap between orders of a one-order customer;
/// counts and sums of a customer without orders are 0).
const POPULATION_SQL: &str = r#"
WITH o AS (
    SELECT customer_id,
        ($1::DATE - max(order_date))::DOUBLE AS recency,
        ($1::DATE - min(order_date))::DOUBLE AS tenure,
        CASE WHEN count(*) > 1
            THEN (max(order_date) - min(order_date))::DOUBLE / (count(*) - 1) END AS gap,
        count(*)::DOUBLE AS orders_total,
        count(*) FILTER (WHERE order_date > $1::DATE - 90)::DOUBLE AS orders_90,
        count(*) FILTER (WHERE order_date > $1::DATE - 180)::DOUBLE AS orders_180,
        count(*) FILTER (WHERE order_date > $1::DATE - 360
            AND order_date <= $1::DATE - 180)::DOUBLE AS orders_prev180,
        count(*) FILTER (WHERE order_date > $1::DATE - 365)::DOUBLE AS orders_365,
        sum(amount) AS amount_total,
        coalesce(sum(amount) FILTER (WHERE order_date > $1::DATE - 180), 0) AS amount_180,
        coalesce(sum(amount) FILTER (WHERE order_date > $1::DATE - 360
            AND order_date <= $1::DATE - 180), 0) AS amount_prev180,
        coalesce(sum(amount) FILTER (WHERE order_date > $1::DATE - 365), 0) AS amount_365,
        coalesce(sum(amount) FILTER (WHERE order_date > $1::DATE - 730
            AND order_date <= $1::DATE - 365), 0) AS amount_prev365
    FROM orders
    WHERE order_date <= $1::DATE
    GROUP BY customer_id
    {HAVING}
), sizes AS (
    -- Order sizes: the mean log amount of the last three orders and of those before them.
    SELECT customer_id,
        avg(ln(greatest(amount, 1))) FILTER (WHERE k <= 3) AS log_amount_recent3,
        avg(ln(greatest(amount, 1))) FILTER (WHERE k > 3) AS log_amount_before
    FROM (
        SELECT customer_id, amount,
            row_number() OVER (PARTITION BY customer_id ORDER BY order_date DESC, id DESC) AS k
        FROM orders
        WHERE order_date <= $1::DATE AND customer_id IN (SELECT customer_id FROM o)
    )
    GROUP BY customer_id
), i AS (
    SELECT customer_id,
        count(*) FILTER (WHERE kind = '投诉' AND d > $1::DATE - 90)::DOUBLE AS complaints_90,
        count(*) FILTER (WHERE kind = '投诉' AND d > $1::DATE - 180)::DOUBLE AS complaints_180,
        count(*) FILTER (WHERE kind = '投诉' AND d > $1::DATE - 365)::DOUBLE AS complaints_365,
        count(*) FILTER (WHERE kind = '报修' AND d > $1::DATE - 90)::DOUBLE AS repairs_90,
        count(*) FILTER (WHERE kind = '报修' AND d > $1::DATE - 180)::DOUBLE AS repairs_180,
        count(*) FILTER (WHERE kind = '报修' AND d > $1::DATE - 365)::DOUBLE AS repairs_365,
        count(*) FILTER (WHERE kind = '咨询' AND d > $1::DATE - 90)::DOUBLE AS consults_90,
        count(*) FILTER (WHERE kind = '咨询' AND d > $1::DATE - 365)::DOUBLE AS consults_365,
        count(*) FILTER (WHERE kind = '拜访' AND d > $1::DATE - 180)::DOUBLE AS visits_180,
        count(*) FILTER (WHERE kind = '回访' AND d > $1::DATE - 180)::DOUBLE AS followups_180,
        count(*) FILTER (WHERE d > $1::DATE - 90)::DOUBLE AS contacts_90,
        count(*) FILTER (WHERE d > $1::DATE - 180)::DOUBLE AS contacts_180,
        count(*) FILTER (WHERE d > $1::DATE - 360
            AND d <= $1::DATE - 180)::DOUBLE AS contacts_prev180,
        ($1::DATE - max(d))::DOUBLE AS contact_days
    FROM (
        SELECT customer_id, kind, ts::DATE AS d
        FROM interactions
        WHERE ts::DATE <= $1::DATE {IN_O}
    )
    GROUP BY customer_id
)
SELECT c.id, c.industry, c.size, array_to_string(c.source_tags, chr(31)) AS tags,
    o.recency, o.tenure, o.gap, coalesce(o.orders_total, 0) AS orders_total,
    coalesce(o.orders_90, 0) AS orders_90, coalesce(o.orders_180, 0) AS orders_180,
    coalesce(o.orders_prev180, 0) AS orders_prev180, coalesce(o.orders_365, 0) AS orders_365,
    coalesce(o.amount_total, 0) AS amount_total, coalesce(o.amount_180, 0) AS amount_180,
    coalesce(o.amount_prev180, 0) AS amount_prev180, coalesce(o.amount_365, 0) AS amount_365,
    coalesce(o.amount_prev365, 0) AS amount_prev365, sizes.log_amount_recent3, sizes.log_amount_before,
    coalesce(i.complaints_90, 0) AS complaints_90, coalesce(i.complaints_180, 0) AS complaints_180,
    coalesce(i.complaints_365, 0) AS complaints_365, coalesce(i.repairs_90, 0) AS repairs_90,
    coalesce(i.repairs_180, 0) AS repairs_180, coalesce(i.repairs_365, 0) AS repairs_365,
    coalesce(i.consults_90, 0) AS consults_90, coalesce(i.consults_365, 0) AS consults_365,
    coalesce(i.visits_180, 0) AS visits_180, coalesce(i.followups_180, 0) AS followups_180,
    coalesce(i.contacts_90, 0) AS contacts_90, coalesce(i.contacts_180, 0) AS contacts_180,
    coalesce(i.contacts_prev180, 0) AS contacts_prev180, i.contact_days,
    c.employees::DOUBLE AS employees, c.registered_capital::DOUBLE AS capital,
    ($1::DATE - c.founded_date)::DOUBLE AS age_days
{FROM}
ORDER BY c.id
"#;

/// Which customers a population holds on its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cohort {
    /// Buying: an order in the 180 days up to the day (not 流失 then).
    Buying,
    /// Known: any order or interaction on or before the day.
    Known,
}

impl Cohort {
    fn sql(self) -> String {
        let (having, in_o, from) = match self {
            Cohort::Buying => (
                "HAVING max(order_date) > $1::DATE - 180",
                "AND customer_id IN (SELECT customer_id FROM o)",
                "FROM o
JOIN customers c ON c.id = o.customer_id
LEFT JOIN sizes ON sizes.customer_id = o.customer_id
LEFT JOIN i ON i.customer_id = o.customer_id",
            ),
            Cohort::Known => (
                "",
                "",
                "FROM customers c
LEFT JOIN o ON o.customer_id = c.id
LEFT JOIN sizes ON sizes.customer_id = c.id
LEFT JOIN i ON i.customer_id = c.id
WHERE o.customer_id IS NOT NULL OR i.customer_id IS NOT NULL",
            ),
        };
        POPULATION_SQL
            .replace("{HAVING}", having)
            .replace("{IN_O}", in_o)
            .replace("{FROM}", from)
    }
}

/// Declares [`Raw`] with one `f64` field per numeric column of [`POPULATION_SQL`], in order.
macro_rules! raw_features {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// One customer's raw numbers on the day (NaN where the value does not exist).
        #[derive(Debug, Clone, Copy, PartialEq, Default)]
        pub struct Raw {
            $($(#[$doc])* pub $name: f64,)*
        }

        impl Raw {
            /// The column names, in the order of the fields.
            pub const COLUMNS: &'static [&'static str] = &[$(stringify!($name)),*];

            /// The values in column order.
            pub fn values(&self) -> Vec<f64> {
                vec![$(self.$name),*]
            }

            /// A row from its values in column order.
            fn from_values(v: &[f64]) -> Raw {
                let mut i = 0;
                $(
                    let $name = v[i];
                    i += 1;
                )*
                debug_assert_eq!(i, v.len());
                Raw { $($name),* }
            }
        }
    };
}

raw_features!(
    /// Days since the last order (0–179 for the population).
    recency,
    /// Days since the first order.
    tenure,
    /// Mean days between orders; NaN with one order.
    gap,
    orders_total,
    orders_90,
    orders_180,
    /// Orders in the 180 days before the last 180.
    orders_prev180,
    orders_365,
    amount_total,
    amount_180,
    amount_prev180,
    amount_365,
    /// Amount in the 365 days before the last 365 (采购额同比).
    amount_prev365,
    /// Mean ln(amount) of the last three orders.
    log_amount_recent3,
    /// Mean ln(amount) of the orders before the last three; NaN with three or fewer.
    log_amount_before,
    complaints_90,
    complaints_180,
    complaints_365,
    repairs_90,
    repairs_180,
    repairs_365,
    consults_90,
    consults_365,
    visits_180,
    followups_180,
    contacts_90,
    contacts_180,
    contacts_prev180,
    /// Days since the last interaction; NaN with none.
    contact_days,
    employees,
    capital,
    /// Days since the company was founded.
    age_days,
);

/// The customers buying on a day, with what was known of them that day, ordered by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Population {
    pub day: Option<NaiveDate>,
    pub ids: Vec<String>,
    pub industry: Vec<Option<String>>,
    pub size: Vec<Option<String>>,
    /// Source tags (the attribute tags of the loaded files, never the derived ones).
    pub tags: Vec<Vec<String>>,
    pub raw: Vec<Raw>,
}

impl Population {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// One customer `C1` with these numbers and attributes (for tests of words).
    #[cfg(test)]
    pub fn one(raw: Raw, industry: &str, size: &str, tags: &[&str]) -> Population {
        Population {
            day: None,
            ids: vec!["C1".into()],
            industry: vec![Some(industry.into())],
            size: vec![Some(size.into())],
            tags: vec![tags.iter().map(|t| (*t).to_owned()).collect()],
            raw: vec![raw],
        }
    }

    /// The customers at `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Population {
        Population {
            day: self.day,
            ids: rows.iter().map(|&r| self.ids[r].clone()).collect(),
            industry: rows.iter().map(|&r| self.industry[r].clone()).collect(),
            size: rows.iter().map(|&r| self.size[r].clone()).collect(),
            tags: rows.iter().map(|&r| self.tags[r].clone()).collect(),
            raw: rows.iter().map(|&r| self.raw[r]).collect(),
        }
    }
}

/// The customers buying on `day` (an order in the 180 days up to it) with their features.
pub fn population(conn: &Connection, day: NaiveDate) -> Result<Population> {
    cohort(conn, day, Cohort::Buying)
}

/// The customers of `cohort` on `day` with their features.
pub fn cohort(conn: &Connection, day: NaiveDate, cohort: Cohort) -> Result<Population> {
    let mut stmt = conn.prepare(&cohort.sql())?;
    let mut pop = Population {
        day: Some(day),
        ..Population::default()
    };
    for batch in stmt.query_arrow(params![day.to_string()])? {
        append(&mut pop, &batch)?;
    }
    Ok(pop)
}

fn append(pop: &mut Population, batch: &RecordBatch) -> Result<()> {
    let n = batch.num_rows();
    let text = |name: &str| -> Result<Vec<Option<String>>> {
        let col = cast(column(batch, name)?, &DataType::Utf8)?;
        let a = col.as_string::<i32>();
        Ok((0..n)
            .map(|i| (!a.is_null(i)).then(|| a.value(i).to_owned()))
            .collect())
    };
    pop.ids
        .extend(text("id")?.into_iter().map(Option::unwrap_or_default));
    pop.industry.extend(text("industry")?);
    pop.size.extend(text("size")?);
    pop.tags.extend(text("tags")?.into_iter().map(|t| {
        t.map(|t| {
            t.split('\u{1f}')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
    }));
    let columns = Raw::COLUMNS
        .iter()
        .map(|name| Ok(cast(column(batch, name)?, &DataType::Float64)?))
        .collect::<Result<Vec<_>>>()?;
    let columns: Vec<_> = columns
        .iter()
        .map(|c| c.as_primitive::<Float64Type>())
        .collect();
    let mut row = vec![0.0; columns.len()];
    for i in 0..n {
        for (v, a) in row.iter_mut().zip(&columns) {
            *v = if a.is_null(i) { f64::NAN } else { a.value(i) };
        }
        pop.raw.push(Raw::from_values(&row));
    }
    Ok(())
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a arrow::array::ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| crate::Error::BadInput(format!("feature query returned no column {name}")))
}

/// The customers with an order after `from`, up to and including `until`.
pub fn ordered_between(
    conn: &Connection,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<HashSet<String>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT customer_id FROM orders WHERE order_date > ?::DATE AND order_date <= ?::DATE",
    )?;
    let rows = stmt.query_map(params![from.to_string(), until.to_string()], |r| {
        r.get::<_, String>(0)
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many customers of `a` are missing from `b` or known differently there.
pub fn mismatches(a: &Population, b: &Population) -> usize {
    let index: std::collections::HashMap<&str, usize> = b
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let same = |x: f64, y: f64| {
        x == y || (x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-6 * x.abs().max(1.0)
    };
    a.ids
        .iter()
        .enumerate()
        .filter(|(i, id)| match index.get(id.as_str()) {
            None => true,
            Some(&j) => {
                let (ra, rb) = (a.raw[*i].values(), b.raw[j].values());
                a.industry[*i] != b.industry[j]
                    || a.size[*i] != b.size[j]
                    || a.tags[*i] != b.tags[j]
                    || ra.iter().zip(&rb).any(|(x, y)| !same(*x, *y))
            }
        })
        .count()
}

/// The day a forward test scores (`at`'s as_of) and the day it reads the outcome
/// (`horizon_days` later), refusing a `later` store that does not reach it.
pub fn outcome_days(
    at: &Connection,
    later: &Connection,
    horizon_days: u64,
) -> Result<(NaiveDate, NaiveDate)> {
    let (day, _) = kesou_indexer::store::as_of(at)?;
    let until = day + chrono::Days::new(horizon_days);
    let (later_as_of, _) = kesou_indexer::store::as_of(later)?;
    if later_as_of < until {
        return Err(crate::Error::BadInput(format!(
            "the later store ends on {later_as_of}, before {until} ({horizon_days} days after {day}): load a world generated up to {until} or later"
        )));
    }
    Ok((day, until))
}

//! The lifecycle funnel's movement over a period, beside its stage counts (which are
//! today's): of the customers without an order when the period began, how many ordered in
//! it (新成交); of those buying then (an order in the 180 days before), how many have now
//! gone 180 days without one (流失, the glossary's rule). Each count is a structured query
//! over the orders (related filters), within the caller's rows and the board's filters.

use chrono::NaiveDate;
use kesou_nlq::{Agg, Filter, Measure, Op, Query, RelatedFilter, Span};
use serde::Serialize;

use super::overview::{PERIODS, day};
use crate::ask::{AskOptions, Asker};
use crate::{Error, Result};

/// Days without an order after which a buyer is 流失 (DOMAIN.md).
const LAPSE_DAYS: u64 = 180;

/// One step of the funnel over the period: of `base` customers, `moved` moved on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub base: u64,
    pub moved: u64,
    /// moved / base; none when base is 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
}

/// The funnel's movement over the last `period_days` up to `as_of`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flow {
    pub as_of: NaiveDate,
    pub period_days: u64,
    /// Customers without any order at the period's start, and those who ordered in it.
    pub converted: Step,
    /// Customers buying at the period's start, and those now without an order for 180 days.
    pub lapsed: Step,
}

fn orders(filters: Vec<Filter>, count_op: Op, count: f64) -> Filter {
    Filter::Related(RelatedFilter {
        table: "orders".to_owned(),
        filters,
        count_op,
        count,
        total: None,
        span: None,
    })
}

fn dated(op: Op, back: u64, as_of: NaiveDate) -> Filter {
    Filter::field("order_date", op, day(as_of, back), None)
}

/// The funnel's flow over the last `days` (one of 30, 90, 365) within `options.scope` and
/// `fixed`.
pub fn flow(asker: &Asker, options: &AskOptions, fixed: &[Filter], days: u64) -> Result<Flow> {
    if !PERIODS.contains(&days) {
        return Err(Error::BadRequest(format!(
            "period: {days} days; the funnel takes 30, 90 or 365"
        )));
    }
    let as_of = asker.as_of();
    let count = |mut filters: Vec<Filter>| -> Result<u64> {
        filters.extend(fixed.iter().cloned());
        let q = Query {
            table: asker.schema().table.clone(),
            filters,
            measures: vec![Measure::new(
                Agg::Count,
                None,
                Span {
                    start: 0,
                    end: 0,
                    text: String::new(),
                },
            )],
            ..Query::default()
        };
        let answer = asker.run(&q, options)?;
        Ok(answer
            .table
            .rows
            .first()
            .and_then(|r| r.first())
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(0.0) as u64)
    };
    let step = |base: u64, moved: u64| Step {
        base,
        moved,
        rate: (base > 0).then(|| moved as f64 / base as f64),
    };
    // No order on or before the start; then an order after it.
    let none_before = orders(vec![dated(Op::Le, days, as_of)], Op::Eq, 0.0);
    let since = orders(vec![dated(Op::Gt, days, as_of)], Op::Ge, 1.0);
    let converted = step(
        count(vec![none_before.clone()])?,
        count(vec![none_before, since])?,
    );
    // Buying at the start (an order in the 180 days up to it); now none in the last 180.
    let buying = orders(
        vec![
            dated(Op::Gt, days + LAPSE_DAYS, as_of),
            dated(Op::Le, days, as_of),
        ],
        Op::Ge,
        1.0,
    );
    let quiet = orders(vec![dated(Op::Gt, LAPSE_DAYS, as_of)], Op::Eq, 0.0);
    let lapsed = step(count(vec![buying.clone()])?, count(vec![buying, quiet])?);
    Ok(Flow {
        as_of,
        period_days: days,
        converted,
        lapsed,
    })
}

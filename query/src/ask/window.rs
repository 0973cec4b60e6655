//! Windows moved back in time, for 同比 and 环比: the same window a year before, or the
//! window of the same length just before. A window is the `between` condition on a related
//! table's time field that the question parser writes (去年 → 2025-01-01..2025-12-31).
//!
//! A window of whole calendar months moves by months (今年上半年 环比 → last year's second
//! half; 上个月 → the month before), any other by its length in days (近30天 → the 30 days
//! before), so that the two periods compared are always of the same kind.

use chrono::{Datelike, Days, Months, NaiveDate};
use kesou_nlq::{Compare, Filter, Op, Value};

/// How far a window moves back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shift {
    Months(u32),
    Days(u64),
}

impl Shift {
    pub(crate) fn back(self, d: NaiveDate) -> Option<NaiveDate> {
        match self {
            Shift::Months(m) => d.checked_sub_months(Months::new(m)),
            Shift::Days(n) => d.checked_sub_days(Days::new(n)),
        }
    }

    /// The end of a window moved back: the last day of a whole month stays the last day.
    fn back_end(self, d: NaiveDate) -> Option<NaiveDate> {
        match self {
            Shift::Months(m) => d.succ_opt()?.checked_sub_months(Months::new(m))?.pred_opt(),
            Shift::Days(_) => self.back(d),
        }
    }
}

fn day(v: &Value) -> Option<NaiveDate> {
    match v {
        Value::Str(s) => NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok(),
        _ => None,
    }
}

fn text(d: NaiveDate) -> Value {
    Value::Str(d.format("%Y-%m-%d").to_string())
}

/// Both ends of the window on `time_field` among `filters`.
pub(crate) fn bounds(filters: &[Filter], time_field: &str) -> Option<(NaiveDate, NaiveDate)> {
    filters.iter().find_map(|f| match f {
        Filter::Field(c) if c.field == time_field && c.op == Op::Between => match &c.value {
            Value::List(ends) if ends.len() == 2 => Some((day(&ends[0])?, day(&ends[1])?)),
            _ => None,
        },
        _ => None,
    })
}

/// How far `kind` moves the window: a year, or the window's own length. `None` when the
/// window has no two ends.
pub(crate) fn shift(filters: &[Filter], time_field: &str, kind: Compare) -> Option<Shift> {
    let (lo, hi) = bounds(filters, time_field)?;
    Some(match kind {
        Compare::YearOnYear => Shift::Months(12),
        Compare::PeriodOnPeriod => {
            let next = hi.succ_opt()?;
            if lo.day() == 1 && next.day() == 1 && lo < next {
                Shift::Months(months_between(lo, next))
            } else {
                Shift::Days((hi - lo).num_days().max(0) as u64 + 1)
            }
        }
    })
}

fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let ym = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month());
    (ym(to) - ym(from)).max(1) as u32
}

/// `filters` with the window on `time_field` moved back by `by`: both ends, or only the
/// start (`widen`: the window then also covers the periods just before it).
pub(crate) fn moved(filters: &[Filter], time_field: &str, by: Shift, widen: bool) -> Vec<Filter> {
    filters
        .iter()
        .map(|f| match f {
            Filter::Field(c) if c.field == time_field && c.op == Op::Between => {
                let mut c = c.clone();
                if let Value::List(ends) = &c.value
                    && let (Some(lo), Some(hi)) =
                        (ends.first().and_then(day), ends.get(1).and_then(day))
                    && let Some(lo) = by.back(lo)
                {
                    let hi = if widen { Some(hi) } else { by.back_end(hi) };
                    if let Some(hi) = hi {
                        c.value = Value::List(vec![text(lo), text(hi)]);
                    }
                }
                Filter::Field(c)
            }
            other => other.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(lo: &str, hi: &str) -> Vec<Filter> {
        vec![Filter::field(
            "order_date",
            Op::Between,
            Value::List(vec![Value::Str(lo.into()), Value::Str(hi.into())]),
            None,
        )]
    }

    fn ends(fs: &[Filter]) -> (String, String) {
        let (lo, hi) = bounds(fs, "order_date").expect("a window");
        (lo.to_string(), hi.to_string())
    }

    #[test]
    fn year_on_year_is_the_same_days_a_year_before() {
        let w = window("2026-01-01", "2026-06-30");
        let by = shift(&w, "order_date", Compare::YearOnYear).unwrap();
        let prev = moved(&w, "order_date", by, false);
        assert_eq!(ends(&prev), ("2025-01-01".into(), "2025-06-30".into()));
        // February's last day stays the last day.
        let w = window("2024-02-01", "2024-02-29");
        let prev = moved(&w, "order_date", by, false);
        assert_eq!(ends(&prev), ("2023-02-01".into(), "2023-02-28".into()));
    }

    #[test]
    fn period_on_period_moves_by_the_window_length() {
        let month = window("2026-05-01", "2026-05-31");
        let by = shift(&month, "order_date", Compare::PeriodOnPeriod).unwrap();
        assert_eq!(by, Shift::Months(1));
        let prev = moved(&month, "order_date", by, false);
        assert_eq!(ends(&prev), ("2026-04-01".into(), "2026-04-30".into()));
        let quarter = window("2026-01-01", "2026-03-31");
        let by = shift(&quarter, "order_date", Compare::PeriodOnPeriod).unwrap();
        assert_eq!(by, Shift::Months(3));
        let days = window("2026-06-01", "2026-06-30");
        assert_eq!(
            shift(&days, "order_date", Compare::PeriodOnPeriod),
            Some(Shift::Months(1))
        );
        let thirty = window("2026-06-02", "2026-07-01");
        let by = shift(&thirty, "order_date", Compare::PeriodOnPeriod).unwrap();
        assert_eq!(by, Shift::Days(30));
        let prev = moved(&thirty, "order_date", by, false);
        assert_eq!(ends(&prev), ("2026-05-03".into(), "2026-06-01".into()));
    }

    #[test]
    fn widening_keeps_the_end() {
        let w = window("2026-01-01", "2026-06-30");
        let wide = moved(&w, "order_date", Shift::Months(12), true);
        assert_eq!(ends(&wide), ("2025-01-01".into(), "2026-06-30".into()));
    }
}

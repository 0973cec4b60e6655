//! Time relative to as_of: the glossary's "last N days" (date > as_of − N days, as_of
//! included), "last N months" (date > as_of − N calendar months), calendar periods (今年,
//! 去年, 上季度) and years (2023年以来).

use chrono::{Datelike, Days, Months, NaiveDate};

use super::lexicon::Period;
use crate::query::{Filter, Op, Span, Value};

/// A unit of time a number can count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Unit {
    /// The unit of a number's measure word (天, 周, 月, 季度, 年) or an English word.
    pub(crate) fn from_word(word: &str) -> Option<Unit> {
        Some(match word {
            "天" | "日" | "day" | "days" => Unit::Day,
            "周" | "week" | "weeks" => Unit::Week,
            "月" | "month" | "months" => Unit::Month,
            "季度" | "quarter" | "quarters" => Unit::Quarter,
            "年" | "year" | "years" => Unit::Year,
            _ => return None,
        })
    }
}

/// Inclusive bounds on a date; either may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Range {
    pub(crate) from: Option<NaiveDate>,
    pub(crate) to: Option<NaiveDate>,
}

impl Range {
    pub(crate) fn filter(self, field: &str, span: &Span) -> Filter {
        let day = |d: NaiveDate| Value::Str(d.format("%Y-%m-%d").to_string());
        let (op, value) = match (self.from, self.to) {
            (Some(f), Some(t)) => (Op::Between, Value::List(vec![day(f), day(t)])),
            (Some(f), None) => (Op::Ge, day(f)),
            (None, Some(t)) => (Op::Le, day(t)),
            (None, None) => (Op::NotNull, Value::Null),
        };
        Filter::field(field, op, value, Some(span.clone()))
    }
}

/// `as_of` moved back by `n` units (fractions of months and years count in months).
pub(crate) fn ago(as_of: NaiveDate, n: f64, unit: Unit) -> NaiveDate {
    let months = |m: f64| {
        as_of
            .checked_sub_months(Months::new(m.round().max(0.0) as u32))
            .unwrap_or(NaiveDate::MIN)
    };
    let days = |d: f64| {
        as_of
            .checked_sub_days(Days::new(d.round().max(0.0) as u64))
            .unwrap_or(NaiveDate::MIN)
    };
    match unit {
        Unit::Day => days(n),
        Unit::Week => days(n * 7.0),
        Unit::Month => months(n),
        Unit::Quarter => months(n * 3.0),
        Unit::Year => months(n * 12.0),
    }
}

/// The last `n` units up to as_of: date > as_of − n units, as_of included.
pub(crate) fn last(as_of: NaiveDate, n: f64, unit: Unit) -> Range {
    Range {
        from: ago(as_of, n, unit).succ_opt(),
        to: Some(as_of),
    }
}

pub(crate) fn year(y: i32) -> Option<Range> {
    Some(Range {
        from: NaiveDate::from_ymd_opt(y, 1, 1),
        to: Some(NaiveDate::from_ymd_opt(y, 12, 31)?),
    })
}

pub(crate) fn month(y: i32, m: u32) -> Option<Range> {
    let from = NaiveDate::from_ymd_opt(y, m, 1)?;
    let to = from.checked_add_months(Months::new(1))?.pred_opt()?;
    Some(Range {
        from: Some(from),
        to: Some(to),
    })
}

pub(crate) fn period(as_of: NaiveDate, p: Period) -> Range {
    let y = as_of.year();
    let first_of_month = as_of.with_day(1).unwrap_or(as_of);
    let quarter_start =
        NaiveDate::from_ymd_opt(y, (as_of.month0() / 3) * 3 + 1, 1).unwrap_or(as_of);
    let monday = as_of - Days::new(as_of.weekday().num_days_from_monday() as u64);
    let upto = |from: NaiveDate| Range {
        from: Some(from),
        to: Some(as_of),
    };
    let between = |from: Option<NaiveDate>, to: Option<NaiveDate>| Range { from, to };
    match p {
        Period::ThisYear => upto(NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(as_of)),
        Period::LastYear => year(y - 1).unwrap_or(upto(as_of)),
        Period::YearBeforeLast => year(y - 2).unwrap_or(upto(as_of)),
        Period::ThisQuarter => upto(quarter_start),
        Period::LastQuarter => between(
            quarter_start.checked_sub_months(Months::new(3)),
            quarter_start.pred_opt(),
        ),
        Period::ThisMonth => upto(first_of_month),
        Period::LastMonth => between(
            first_of_month.checked_sub_months(Months::new(1)),
            first_of_month.pred_opt(),
        ),
        Period::NextMonth => between(
            first_of_month.checked_add_months(Months::new(1)),
            first_of_month
                .checked_add_months(Months::new(2))
                .and_then(|d| d.pred_opt()),
        ),
        Period::NextQuarter => between(
            quarter_start.checked_add_months(Months::new(3)),
            quarter_start
                .checked_add_months(Months::new(6))
                .and_then(|d| d.pred_opt()),
        ),
        Period::NextYear => year(y + 1).unwrap_or(upto(as_of)),
        Period::ThisWeek => upto(monday),
        Period::LastWeek => between(monday.checked_sub_days(Days::new(7)), monday.pred_opt()),
        Period::Today => upto(as_of),
        Period::HalfYear => last(as_of, 6.0, Unit::Month),
        Period::FirstHalf | Period::SecondHalf => half(y, p == Period::FirstHalf),
        Period::Quarter(q) => {
            let this = quarter(y, q);
            match this.from {
                Some(from) if from > as_of => quarter(y - 1, q),
                _ => this,
            }
        }
    }
}

/// Quarter `q` (1–4) of year `y`.
pub(crate) fn quarter(y: i32, q: u8) -> Range {
    let q = u32::from(q.clamp(1, 4));
    let from = NaiveDate::from_ymd_opt(y, (q - 1) * 3 + 1, 1);
    Range {
        from,
        to: from
            .and_then(|d| d.checked_add_months(Months::new(3)))
            .and_then(|d| d.pred_opt()),
    }
}

/// The first or second half of year `y`: January to June, July to December.
pub(crate) fn half(y: i32, first: bool) -> Range {
    let (from, to) = if first {
        ((1, 1), (6, 30))
    } else {
        ((7, 1), (12, 31))
    };
    Range {
        from: NaiveDate::from_ymd_opt(y, from.0, from.1),
        to: NaiveDate::from_ymd_opt(y, to.0, to.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn last_n_days_ends_at_as_of_and_excludes_the_day_n_back() {
        let r = last(d("2026-06-30"), 30.0, Unit::Day);
        assert_eq!(r.from, Some(d("2026-06-01")));
        assert_eq!(r.to, Some(d("2026-06-30")));
    }

    #[test]
    fn last_n_months_counts_calendar_months() {
        let r = last(d("2026-06-30"), 3.0, Unit::Month);
        assert_eq!(r.from, Some(d("2026-03-31")));
        let r = last(d("2026-05-31"), 3.0, Unit::Month);
        assert_eq!(r.from, Some(d("2026-03-01")), "feb 28 + 1 day");
    }

    #[test]
    fn calendar_periods() {
        let as_of = d("2026-06-30");
        let p = |p| {
            let r = period(as_of, p);
            (r.from.unwrap().to_string(), r.to.unwrap().to_string())
        };
        assert_eq!(
            p(Period::LastYear),
            ("2025-01-01".into(), "2025-12-31".into())
        );
        assert_eq!(
            p(Period::ThisYear),
            ("2026-01-01".into(), "2026-06-30".into())
        );
        assert_eq!(
            p(Period::LastQuarter),
            ("2026-01-01".into(), "2026-03-31".into())
        );
        assert_eq!(
            p(Period::ThisQuarter),
            ("2026-04-01".into(), "2026-06-30".into())
        );
        assert_eq!(
            p(Period::LastMonth),
            ("2026-05-01".into(), "2026-05-31".into())
        );
        assert_eq!(
            p(Period::Quarter(2)),
            ("2026-04-01".into(), "2026-06-30".into())
        );
        // A quarter that has not begun by as_of is last year's.
        assert_eq!(
            p(Period::Quarter(3)),
            ("2025-07-01".into(), "2025-09-30".into())
        );
        // Next periods are whole, after as_of (due dates).
        assert_eq!(
            p(Period::NextMonth),
            ("2026-07-01".into(), "2026-07-31".into())
        );
        assert_eq!(
            p(Period::NextQuarter),
            ("2026-07-01".into(), "2026-09-30".into())
        );
        assert_eq!(
            p(Period::NextYear),
            ("2027-01-01".into(), "2027-12-31".into())
        );
        let r = period(d("2026-11-15"), Period::NextQuarter);
        assert_eq!(r.from, Some(d("2027-01-01")));
        assert_eq!(r.to, Some(d("2027-03-31")));
    }
}

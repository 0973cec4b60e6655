//! Time on boards and reports: the filter bar's period (the last 30, 90 or 365 days up to
//! `as_of`) and a report's date range, both a [`Window`] of days.
//!
//! A period reaches a board through its orders, never silently: 客户分布 and RFM sum the
//! orders of the period (销售额) instead of 年采购额, TOP20 ranks by them, the churn board
//! shows each customer's orders of the period beside the period before (their trend), the
//! funnel its flow; a saved report takes it as its date range unless it has its own. A
//! board of current attributes only (区域×行业) has no time, and its [`BoardPeriod`] says
//! the period does not apply. Over 365 days the orders' sum is 年采购额 itself (DOMAIN.md).
//!
//! A report's [`DateRange`] is over `order_date` by default (the customers with an order in
//! the range, and the question's order measures over it), or over a date field of the
//! customers (建档时间, 成立日期, a custom date field): the rows whose date is in it.

use chrono::{Days, NaiveDate};
use kesou_nlq::{Agg, Filter, Measure, Op, Query, RelatedFilter, Schema, Span, Value};
use serde::{Deserialize, Serialize};

use super::overview::PERIODS;
use crate::{Error, Result};

/// The related table and field a range over order dates reads.
pub const ORDER_DATE: &str = "order_date";
/// Longest relative range of a report, in days (ten years).
pub const MAX_DAYS: u64 = 3650;

/// Days from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Window {
    /// The last `days` up to `as_of`, as_of included (date > as_of − days).
    pub fn last(as_of: NaiveDate, days: u64) -> Window {
        let back = days.saturating_sub(1);
        Window {
            from: as_of
                .checked_sub_days(Days::new(back))
                .unwrap_or(NaiveDate::MIN),
            to: as_of,
        }
    }

    /// As many days just before this one.
    pub fn before(&self) -> Window {
        let days = (self.to - self.from).num_days().max(0) as u64 + 1;
        let to = self.from.pred_opt().unwrap_or(NaiveDate::MIN);
        Window::last(to, days)
    }

    fn value(&self) -> Value {
        Value::List(vec![
            Value::Str(self.from.format("%Y-%m-%d").to_string()),
            Value::Str(self.to.format("%Y-%m-%d").to_string()),
        ])
    }

    /// `field` within the window (a timestamp by its day).
    pub fn filter(&self, field: &str) -> Filter {
        Filter::field(field, Op::Between, self.value(), None)
    }

    /// The sum of the orders' amounts in the window (销售额), as the column `name`.
    pub fn sales(&self, name: &str) -> Measure {
        let mut m = Measure::new(
            Agg::Sum,
            Some("amount"),
            Span {
                start: 0,
                end: 0,
                text: String::new(),
            },
        );
        m.name = name.to_owned();
        m.related = Some("orders".to_owned());
        m.filters = vec![self.filter(ORDER_DATE)];
        m.label = Some(if name == "sales" {
            "销售额".to_owned()
        } else {
            "上期销售额".to_owned()
        });
        m
    }
}

/// The filter bar's period on a board: its days and window, whether it applies, and what
/// it does there (or why not), in Chinese and English for the page to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardPeriod {
    pub days: u64,
    #[serde(flatten)]
    pub window: Window,
    pub applies: bool,
    /// `[Chinese, English]`.
    pub how: [String; 2],
}

impl BoardPeriod {
    pub(super) fn new(days: u64, window: Window, applies: bool, how: [String; 2]) -> Self {
        BoardPeriod {
            days,
            window,
            applies,
            how,
        }
    }
}

/// Checks a board's period: 30, 90 or 365 days.
pub fn check_period(days: u64) -> Result<u64> {
    if PERIODS.contains(&days) {
        Ok(days)
    } else {
        Err(Error::BadRequest(format!(
            "period: {days} days; a period is 30, 90 or 365"
        )))
    }
}

/// A report's date range: `from`/`to` (YYYY-MM-DD, either may be left open) or the last
/// `last_days` up to the store's as_of (近90天), over `field` (`order_date` unless named).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    /// `order_date` (the default), or a date or time field of the customers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_days: Option<u64>,
}

/// A date range read against a store: its field, its days and a label for people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Range {
    /// `order_date` or a customers' field.
    pub field: String,
    /// The field's label (订单日期 for order dates).
    pub field_label: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Set for a relative range (近N天).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_days: Option<u64>,
}

fn date(which: &str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        Error::BadRequest(format!(
            "date range: {which} {:?} is not a date; write a real day as YYYY-MM-DD",
            text.trim()
        ))
    })
}

impl DateRange {
    /// The last `days` up to as_of over order dates.
    pub fn last(days: u64) -> DateRange {
        DateRange {
            field: None,
            from: None,
            to: None,
            last_days: Some(days),
        }
    }

    /// The range checked against `schema`: a known date field, real dates, from ≤ to, a
    /// relative range of 1 to 3650 days and not both kinds at once.
    pub fn read(&self, schema: &Schema, as_of: NaiveDate) -> Result<Range> {
        let field = self
            .field
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .unwrap_or(ORDER_DATE);
        let field_label = if field == ORDER_DATE {
            "订单日期".to_owned()
        } else {
            match schema.field(field) {
                Some(f) if f.kind.is_time() => f.label.clone(),
                _ => {
                    let mut valid = vec![ORDER_DATE];
                    valid.extend(
                        schema
                            .fields
                            .iter()
                            .filter(|f| f.kind.is_time())
                            .map(|f| f.name.as_str()),
                    );
                    return Err(Error::BadRequest(format!(
                        "date range: {field:?} is not a date field; date fields are {}",
                        valid.join(", ")
                    )));
                }
            }
        };
        fn open(s: &Option<String>) -> Option<&str> {
            s.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        let (from, to) = (open(&self.from), open(&self.to));
        let (from, to, last_days) = match (self.last_days, from, to) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(Error::BadRequest(
                    "date range: give either from/to dates or last_days, not both".into(),
                ));
            }
            (Some(days), None, None) => {
                if !(1..=MAX_DAYS).contains(&days) {
                    return Err(Error::BadRequest(format!(
                        "date range: last_days {days} is not between 1 and {MAX_DAYS}"
                    )));
                }
                let w = Window::last(as_of, days);
                (Some(w.from), Some(w.to), Some(days))
            }
            (None, None, None) => {
                return Err(Error::BadRequest(
                    "date range: give a from date, a to date or last_days".into(),
                ));
            }
            (None, from, to) => {
                let from = from.map(|f| date("from", f)).transpose()?;
                let to = to.map(|t| date("to", t)).transpose()?;
                if let (Some(f), Some(t)) = (from, to)
                    && f > t
                {
                    return Err(Error::BadRequest(format!(
                        "date range: from {f} is after to {t}; the start comes first"
                    )));
                }
                (from, to, None)
            }
        };
        Ok(Range {
            field: field.to_owned(),
            field_label,
            from,
            to,
            last_days,
        })
    }
}

impl Range {
    fn bound(&self, op: Op, day: NaiveDate, field: &str) -> Filter {
        Filter::field(
            field,
            op,
            Value::Str(day.format("%Y-%m-%d").to_string()),
            None,
        )
    }

    /// The conditions on `field` (of the customers or of the orders).
    fn conditions(&self, field: &str) -> Vec<Filter> {
        match (self.from, self.to) {
            (Some(from), Some(to)) => vec![Window { from, to }.filter(field)],
            (Some(from), None) => vec![self.bound(Op::Ge, from, field)],
            (None, Some(to)) => vec![self.bound(Op::Le, to, field)],
            (None, None) => Vec::new(),
        }
    }

    /// Puts the range on a report's query: over order dates, the rows with an order in it
    /// and the question's order measures without a window of their own over it; over a
    /// customers' field, the rows whose date is in it.
    pub fn apply(&self, q: &mut Query, schema: &Schema) {
        if self.field != ORDER_DATE {
            q.filters.extend(self.conditions(&self.field));
            return;
        }
        let time_field = schema
            .related("orders")
            .map_or(ORDER_DATE, |r| r.time_field.as_str())
            .to_owned();
        let windowed = |filters: &[Filter]| {
            filters
                .iter()
                .any(|f| f.fields().contains(&time_field.as_str()))
        };
        for m in &mut q.measures {
            if m.related.as_deref() == Some("orders") && !windowed(&m.filters) {
                m.filters.extend(self.conditions(&time_field));
            }
        }
        q.filters.push(Filter::Related(RelatedFilter {
            table: "orders".to_owned(),
            filters: self.conditions(&time_field),
            count_op: Op::Ge,
            count: 1.0,
            total: None,
            span: None,
        }));
    }

    /// The range in words: `订单日期：近90天（2026-04-02 至 2026-06-30）`, and in English
    /// with the field's name.
    pub fn words(&self) -> [String; 2] {
        let day = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        let (from, to) = (day(self.from), day(self.to));
        let field_en = if self.field == ORDER_DATE {
            "order date".to_owned()
        } else {
            self.field.replace('_', " ")
        };
        let span_zh = match (&from, &to) {
            (Some(f), Some(t)) => format!("{f} 至 {t}"),
            (Some(f), None) => format!("{f} 起"),
            (None, Some(t)) => format!("{t} 及以前"),
            (None, None) => String::new(),
        };
        let span_en = match (&from, &to) {
            (Some(f), Some(t)) => format!("{f} to {t}"),
            (Some(f), None) => format!("from {f}"),
            (None, Some(t)) => format!("up to {t}"),
            (None, None) => String::new(),
        };
        match self.last_days {
            Some(n) => [
                format!("{}：近{n}天（{span_zh}）", self.field_label),
                format!("{field_en}: last {n} days ({span_en})"),
            ],
            None => [
                format!("{}：{span_zh}", self.field_label),
                format!("{field_en}: {span_en}"),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_last_days_end_on_as_of_and_the_period_before_touches_them() {
        let w = Window::last(day("2026-06-30"), 90);
        assert_eq!((w.from, w.to), (day("2026-04-02"), day("2026-06-30")));
        let b = w.before();
        assert_eq!((b.from, b.to), (day("2026-01-02"), day("2026-04-01")));
        let one = Window::last(day("2026-06-30"), 1);
        assert_eq!(one.from, one.to);
    }

    #[test]
    fn a_range_is_read_whole_or_refused_with_the_reason() {
        let schema = crate::testing::asker().schema().clone();
        let as_of = day("2026-06-30");
        let read = |r: DateRange| r.read(&schema, as_of);
        let r = read(DateRange::last(30)).unwrap();
        assert_eq!((r.from, r.to), (Some(day("2026-06-01")), Some(as_of)));
        assert_eq!(r.words()[0], "订单日期：近30天（2026-06-01 至 2026-06-30）");
        let open = read(DateRange {
            field: Some("created_at".into()),
            from: Some("2026-01-01".into()),
            to: None,
            last_days: None,
        })
        .unwrap();
        assert_eq!((open.from, open.to), (Some(day("2026-01-01")), None));
        for (bad, says) in [
            (("2026-03-01", "2026-02-01", None), "is after to"),
            (("2026-02-30", "", None), "is not a date"),
            (("2026-01-01", "", Some(7)), "not both"),
            (("", "", Some(0)), "is not between"),
            (("", "", None), "give a from date"),
        ] {
            let ((from, to, days), says) = (bad, says);
            let e = read(DateRange {
                field: None,
                from: Some(from.into()),
                to: Some(to.into()),
                last_days: days,
            })
            .unwrap_err()
            .to_string();
            assert!(e.starts_with("date range: ") && e.contains(says), "{e}");
        }
    }
}

//! Related-record conditions read from a rollup (有投诉, 去年下过单, 近30天咨询≥5次,
//! 订单金额合计超过50万): the whole calendar months of the window come from the related
//! table's rollup (per customer and month, a few rows per customer, keyed by an integer),
//! the days at its edges from the related rows themselves, so the answer is exactly the
//! one the rows alone give.
//!
//! A window `[lo, hi]` (days, both included; either end may be open) splits into the
//! months `[A, B)` that lie wholly inside it (`A` the first first-of-month on or after `lo`,
//! `B` the first of the month after `hi`) and the edges `[lo, A)` and `[B, hi]`. Rows of
//! the edges are read by ranges of the time column (`ts >= lo AND ts < A`: a day taken
//! whole, no cast of every row), so the two parts never count a row twice and together
//! count every row the conditions hold for; an edge with no day is not read at all (近30天
//! to a month's last day is exactly one month of the rollup).
//! A window with no whole month (近一周) is read from the rows alone, by key. Any condition
//! the rollup does not keep (渠道, 产品), an average, or a condition inside 或 / 非 is
//! left to the rows' own SQL.
//!
//! Rows are matched to customers by the integer key in both parts (`ckey`): the raw
//! semi-join hashed every event's string id. Measured in docs/performance.md.

use chrono::{Datelike, Months, NaiveDate};
use duckdb::types::Value as SqlValue;
use kesou_nlq::{Agg, Filter, Op, Related, RelatedFilter, Rollup, Value};

use super::{MAIN, RELATED, Scope, SqlBuilder, column, compared, ident, summed};
use crate::Result;

/// The rollup's alias inside its part.
const MONTHS: &str = "m";

/// A window of days, both ends included when present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Window {
    pub lo: Option<NaiveDate>,
    pub hi: Option<NaiveDate>,
}

impl Window {
    /// Narrows the window by one condition on the time field; `None` when the condition is
    /// not a comparison with a date.
    fn narrow(&mut self, op: Op, value: &Value) -> Option<()> {
        let day = |v: &Value| match v {
            Value::Str(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
            _ => None,
        };
        let (lo, hi) = match op {
            Op::Eq => (Some(day(value)?), Some(day(value)?)),
            Op::Ge => (Some(day(value)?), None),
            Op::Gt => (Some(day(value)?.succ_opt()?), None),
            Op::Le => (None, Some(day(value)?)),
            Op::Lt => (None, Some(day(value)?.pred_opt()?)),
            Op::Between => {
                let Value::List(items) = value else {
                    return None;
                };
                let [a, b] = items.as_slice() else {
                    return None;
                };
                let (a, b) = (day(a)?, day(b)?);
                (Some(a.min(b)), Some(a.max(b)))
            }
            _ => return None,
        };
        if let Some(lo) = lo {
            self.lo = Some(self.lo.map_or(lo, |l| l.max(lo)));
        }
        if let Some(hi) = hi {
            self.hi = Some(self.hi.map_or(hi, |h| h.min(hi)));
        }
        Some(())
    }

    /// The whole months inside the window, as `[A, B)` (first days of months; an open end
    /// stays open). `None` when no month lies wholly inside.
    pub fn months(&self) -> Option<(Option<NaiveDate>, Option<NaiveDate>)> {
        let first = |d: NaiveDate| d.with_day(1).expect("every month has a first day");
        let a = match self.lo {
            None => None,
            Some(d) if d.day() == 1 => Some(d),
            Some(d) => Some(first(d).checked_add_months(Months::new(1))?),
        };
        let b = match self.hi {
            None => None,
            Some(d) => Some(first(d.succ_opt()?)),
        };
        match (a, b) {
            (Some(a), Some(b)) if a >= b => None,
            _ => Some((a, b)),
        }
    }
}

/// What a rollup can read of related rows matching `filters`: their window and the
/// conditions on fields the rollup keeps. `None` when it cannot read them.
fn plan<'f>(filters: &'f [Filter], rel: &Related, u: &Rollup) -> Option<(Window, Vec<&'f Filter>)> {
    let mut window = Window::default();
    let mut kept = Vec::new();
    let mut todo: Vec<&Filter> = filters.iter().collect();
    while let Some(f) = todo.pop() {
        match f {
            Filter::All { all, .. } => todo.extend(all),
            Filter::Field(c) if c.field == rel.time_field => window.narrow(c.op, &c.value)?,
            Filter::Field(c)
                if u.fields.contains(&c.field) && matches!(c.op, Op::Eq | Op::In | Op::Ne) =>
            {
                kept.push(f);
            }
            _ => return None,
        }
    }
    Some((window, kept))
}

impl SqlBuilder<'_> {
    /// The related condition `r` read through `rel`'s rollup, or `None` when the rollup
    /// cannot answer it (see the module's notes) or the schema has none.
    pub(super) fn related_by_rollup(
        &mut self,
        r: &RelatedFilter,
        rel: &Related,
    ) -> Result<Option<String>> {
        let Some(u) = &rel.rollup else {
            return Ok(None);
        };
        let total = match &r.total {
            None => None,
            Some(t) if t.agg != Agg::Sum || !u.sums.contains(&t.field) => return Ok(None),
            Some(t) => match rel.fields.iter().find(|f| f.name == t.field) {
                Some(f) if f.kind.is_numeric() => Some(f),
                _ => return Ok(None),
            },
        };
        let Some(rows) = self.rolled_rows(&r.filters, total, rel)? else {
            return Ok(None);
        };
        let n = r.count;
        let counting = total.is_none();
        let at_least_one = counting
            && (matches!(r.count_op, Op::Ge if n == 1.0) || (r.count_op == Op::Gt && n == 0.0));
        let none = counting
            && (matches!(r.count_op, Op::Eq | Op::Le if n == 0.0)
                || (r.count_op == Op::Lt && n == 1.0));
        let main = column(MAIN, &u.key);
        if at_least_one || none {
            let has = format!("{main} IN (SELECT k FROM ({rows}))");
            return Ok(Some(if none {
                format!("NOT coalesce({has}, FALSE)")
            } else {
                has
            }));
        }
        let (op, zero_holds) = compared(r, &rel.label)?;
        let measured = if counting {
            "sum(n)"
        } else {
            "coalesce(sum(s), 0)"
        };
        let p = self.bind(SqlValue::Double(n));
        let counted = format!("SELECT k FROM ({rows}) GROUP BY 1 HAVING");
        Ok(Some(if zero_holds {
            format!("NOT coalesce({main} IN ({counted} NOT ({measured} {op} {p})), FALSE)")
        } else {
            format!("{main} IN ({counted} {measured} {op} {p})")
        }))
    }

    /// The rows of `rel` matching `filters`, read through its rollup as `SELECT k, n[, s]`
    /// (the customer's integer key, a number of rows and, with `total`, the sum of that
    /// field): a row per customer and whole month (or per customer over all time) and a
    /// row per related row at the window's edges. `None` when the rollup cannot read them.
    pub(crate) fn rolled_rows(
        &mut self,
        filters: &[Filter],
        total: Option<&kesou_nlq::Field>,
        rel: &Related,
    ) -> Result<Option<String>> {
        let Some(u) = &rel.rollup else {
            return Ok(None);
        };
        let Some((window, kept)) = plan(filters, rel, u) else {
            return Ok(None);
        };
        // No whole month: the window is read from the rows alone (still by integer key);
        // an empty window is left to the rows' own SQL.
        let whole = window.months();
        if whole.is_none() && window.lo > window.hi {
            return Ok(None);
        }
        let Some(time) = rel.fields.iter().find(|f| f.name == rel.time_field) else {
            return Ok(None);
        };
        // The whole months, from the rollup.
        let months_scope = Scope {
            alias: MONTHS,
            table: &u.table,
            fields: &rel.fields,
            related: false,
        };
        let mut parts = Vec::new();
        if let Some((a, b)) = whole {
            let mut where_months = Vec::new();
            if let Some(a) = a {
                let p = self.date(a);
                where_months.push(format!("{} >= {p}", column(MONTHS, &u.month)));
            }
            if let Some(b) = b {
                let p = self.date(b);
                where_months.push(format!("{} < {p}", column(MONTHS, &u.month)));
            }
            for f in &kept {
                where_months.push(self.filter(f, months_scope)?);
            }
            let sum_months = total.map(|f| format!(", {} AS s", column(MONTHS, &f.name)));
            parts.push(format!(
                "SELECT {} AS k, {} AS n{} FROM {} {MONTHS} WHERE {}",
                column(MONTHS, &u.key),
                column(MONTHS, &u.count),
                sum_months.unwrap_or_default(),
                // No window: the totals over all time, a row per customer (and kept field).
                ident(match (&u.totals, a, b) {
                    (Some(totals), None, None) => totals,
                    _ => &u.table,
                }),
                if where_months.is_empty() {
                    "TRUE".to_owned()
                } else {
                    where_months.join(" AND ")
                }
            ));
        }
        // The edges, from the rows: the days of the window before the first whole month
        // and after the last, each read as a range of the time column itself (no cast of
        // every row's time), with the conditions the rollup keeps.
        let mut edges = Vec::new();
        let end = window.hi.and_then(|hi| hi.succ_opt());
        match whole {
            Some((a, b)) => {
                if let (Some(lo), Some(a)) = (window.lo, a)
                    && lo < a
                {
                    edges.push((lo, a));
                }
                if let (Some(b), Some(end)) = (b, end)
                    && b < end
                {
                    edges.push((b, end));
                }
            }
            None => match (window.lo, end) {
                (Some(lo), Some(end)) => edges.push((lo, end)),
                _ => return Ok(None),
            },
        }
        if !edges.is_empty() {
            let rows_scope = Scope {
                alias: RELATED,
                table: &rel.table,
                fields: &rel.fields,
                related: false,
            };
            let time_col = column(RELATED, &time.name);
            let bound = if time.kind == kesou_nlq::FieldKind::Timestamp {
                "TIMESTAMP"
            } else {
                "DATE"
            };
            let mut ranges = Vec::new();
            for (from, to) in edges {
                self.date(from);
                self.date(to);
                ranges.push(format!(
                    "({time_col} >= ?::DATE::{bound} AND {time_col} < ?::DATE::{bound})"
                ));
            }
            let mut where_rows = vec![
                format!("{} IS NOT NULL", column(RELATED, &u.key)),
                format!("({})", ranges.join(" OR ")),
            ];
            for f in &kept {
                where_rows.push(self.filter(f, rows_scope)?);
            }
            let sum_rows = total.map(|f| format!(", {} AS s", summed(f, RELATED)));
            parts.push(format!(
                "SELECT {} AS k, 1 AS n{} FROM {} {RELATED} WHERE {}",
                column(RELATED, &u.key),
                sum_rows.unwrap_or_default(),
                ident(&rel.table),
                where_rows.join(" AND ")
            ));
        }
        Ok(Some(parts.join(" UNION ALL ")))
    }

    /// A date bound as a parameter: its placeholder.
    fn date(&mut self, d: NaiveDate) -> &'static str {
        self.bind(SqlValue::Text(d.format("%Y-%m-%d").to_string()));
        "?::DATE"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn w(lo: Option<&str>, hi: Option<&str>) -> Window {
        Window {
            lo: lo.map(d),
            hi: hi.map(d),
        }
    }

    #[test]
    fn whole_months_lie_inside_the_window() {
        // 近30天 to 2026-06-30: exactly June.
        assert_eq!(
            w(Some("2026-06-01"), Some("2026-06-30")).months(),
            Some((Some(d("2026-06-01")), Some(d("2026-07-01"))))
        );
        // 近一个月 to 2026-06-15: no whole month.
        assert_eq!(w(Some("2026-05-16"), Some("2026-06-15")).months(), None);
        // 去年.
        assert_eq!(
            w(Some("2025-01-01"), Some("2025-12-31")).months(),
            Some((Some(d("2025-01-01")), Some(d("2026-01-01"))))
        );
        // 近三个月 to 2026-06-15: April and May whole.
        assert_eq!(
            w(Some("2026-03-16"), Some("2026-06-15")).months(),
            Some((Some(d("2026-04-01")), Some(d("2026-06-01"))))
        );
        // Open ends stay open; a window ending on a month's last day takes that month.
        assert_eq!(
            w(Some("2023-01-01"), None).months(),
            Some((Some(d("2023-01-01")), None))
        );
        assert_eq!(
            w(None, Some("2025-02-28")).months(),
            Some((None, Some(d("2025-03-01"))))
        );
        assert_eq!(w(None, None).months(), Some((None, None)));
        // An empty window has no month.
        assert_eq!(w(Some("2026-06-01"), Some("2026-05-01")).months(), None);
    }

    #[test]
    fn conditions_narrow_the_window() {
        let mut win = Window::default();
        win.narrow(Op::Gt, &Value::Str("2026-05-31".into()))
            .unwrap();
        win.narrow(Op::Lt, &Value::Str("2026-07-01".into()))
            .unwrap();
        assert_eq!(win, w(Some("2026-06-01"), Some("2026-06-30")));
        win.narrow(
            Op::Between,
            &Value::List(vec![
                Value::Str("2026-06-20".into()),
                Value::Str("2026-06-10".into()),
            ]),
        )
        .unwrap();
        assert_eq!(win, w(Some("2026-06-10"), Some("2026-06-20")));
        assert!(win.narrow(Op::Contains, &Value::Str("x".into())).is_none());
        assert!(win.narrow(Op::Ge, &Value::Num(3.0)).is_none());
    }
}

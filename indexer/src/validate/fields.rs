//! Field-level parsing with reasons a person understands, and the record of every safe
//! normalisation applied (trim, full-width → half-width, date formats, short names).

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime};
use kesou_domain::text::to_halfwidth;

use crate::source::{Cell, Record};

/// A value or row that did not load as written: where, which column, the value, why, and
/// what became of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reject {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub value: String,
    pub reason: String,
    pub outcome: Outcome,
}

/// What became of a row with a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The row did not load (a customer that cannot be identified, an event without its
    /// date or amount, a line of a change batch).
    Rejected,
    /// The value was left out (the field empty), the rest of the row loaded.
    SetAside,
    /// An order or interaction of a customer not (yet) in the store: kept in the store's
    /// waiting tables and attached when the customer arrives.
    Waiting,
}

impl Outcome {
    /// As the rejects report writes it.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Rejected => "row rejected",
            Outcome::SetAside => "value set aside, row loaded",
            Outcome::Waiting => "row waiting for its customer",
        }
    }
}

/// A safe change made to a value on its way in, recorded so that nothing is silently fixed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Normalization {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub before: String,
    pub after: String,
    pub rule: &'static str,
}

/// The file's columns mapped to a table's column names.
#[derive(Debug, Clone)]
pub struct Columns {
    /// `index[i]` is the position in the file of table column `i`, if present.
    index: Vec<Option<usize>>,
    /// The factor of table column `i`'s amounts from the unit in its header (10,000 for
    /// 注册资本(万元)); empty when every factor is 1.
    scale: Vec<f64>,
}

impl Columns {
    pub fn new(index: Vec<Option<usize>>) -> Self {
        Self {
            index,
            scale: Vec::new(),
        }
    }

    /// With the factors the headers' units give the columns' amounts.
    pub fn with_scale(mut self, scale: Vec<f64>) -> Self {
        self.scale = if scale.iter().all(|s| *s == 1.0) {
            Vec::new()
        } else {
            scale
        };
        self
    }

    fn scale(&self, col: usize) -> f64 {
        self.scale.get(col).copied().unwrap_or(1.0)
    }
}

/// One record being validated, with its file and a sink for normalisations.
pub struct Fields<'a> {
    pub file: &'a str,
    pub record: &'a Record,
    pub columns: &'a Columns,
    pub names: &'a [&'static str],
    pub normalized: &'a mut Vec<Normalization>,
    /// Values that failed their check and were left out of a row that loads.
    pub set_aside: Vec<Reject>,
}

pub type FieldResult<T> = std::result::Result<T, Reject>;

impl<'a> Fields<'a> {
    pub fn reject(&self, column: &str, value: &str, reason: impl Into<String>) -> Reject {
        Reject {
            file: self.file.to_owned(),
            line: self.record.line,
            column: column.to_owned(),
            value: value.to_owned(),
            reason: reason.into(),
            outcome: Outcome::Rejected,
        }
    }

    /// The value of a check, or `None` with the failed value set aside (recorded in
    /// `set_aside`): one bad cell does not cost the row.
    pub fn aside<T>(&mut self, checked: FieldResult<Option<T>>) -> Option<T> {
        match checked {
            Ok(v) => v,
            Err(mut r) => {
                r.outcome = Outcome::SetAside;
                self.set_aside.push(r);
                None
            }
        }
    }

    fn note(&mut self, column: &str, before: &str, after: &str, rule: &'static str) {
        self.normalized.push(Normalization {
            file: self.file.to_owned(),
            line: self.record.line,
            column: column.to_owned(),
            before: before.to_owned(),
            after: after.to_owned(),
            rule,
        });
    }

    fn cell(&self, col: usize) -> Option<&'a Cell> {
        let pos = self.columns.index[col]?;
        self.record.cells.get(pos)?.as_ref()
    }

    /// Trimmed text, `None` when empty. Lists are joined with `|`.
    pub fn text(&mut self, col: usize) -> FieldResult<Option<String>> {
        let name = self.names[col];
        let raw: Cow<str> = match self.cell(col) {
            None => return Ok(None),
            Some(Cell::Text(s)) => Cow::Borrowed(s.as_str()),
            Some(Cell::List(items)) => Cow::Owned(items.join("|")),
        };
        if raw
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return Err(self.reject(name, &raw, "contains control characters"));
        }
        let trimmed = raw.trim();
        if trimmed.len() != raw.len() {
            self.note(name, &raw, trimmed, "trim");
        }
        Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
    }

    pub fn required(&mut self, col: usize) -> FieldResult<String> {
        self.text(col)?
            .ok_or_else(|| self.reject(self.names[col], "", "is required but empty"))
    }

    /// Text with full-width letters and digits folded to half-width (codes, phones, numbers).
    pub fn halfwidth(&mut self, col: usize) -> FieldResult<Option<String>> {
        let Some(text) = self.text(col)? else {
            return Ok(None);
        };
        match to_halfwidth(&text) {
            Cow::Borrowed(_) => Ok(Some(text)),
            Cow::Owned(half) => {
                self.note(self.names[col], &text, &half, "full-width to half-width");
                Ok(Some(half))
            }
        }
    }

    pub fn number(&mut self, col: usize, min: f64) -> FieldResult<Option<f64>> {
        let name = self.names[col];
        let Some(text) = self.halfwidth(col)? else {
            return Ok(None);
        };
        let plain = text.replace(',', "");
        // The plain number first: the common case costs one parse.
        let (mut value, money) = match plain.parse::<f64>() {
            Ok(v) => (v, false),
            Err(_) => (
                money(&plain).ok_or_else(|| self.reject(name, &text, "is not a number"))?,
                true,
            ),
        };
        // The header's unit (注册资本(万元)) counts for a cell without one of its own.
        let scale = self.columns.scale(col);
        let scaled = scale != 1.0 && !plain.contains(['万', '亿', '元']);
        if scaled {
            value = (value * scale * 100.0).round() / 100.0;
        }
        if !value.is_finite() {
            return Err(self.reject(name, &text, "is not a finite number"));
        }
        if value < min {
            return Err(self.reject(name, &text, format!("must be at least {min}")));
        }
        if scaled {
            self.note(
                name,
                &text,
                &value.to_string(),
                "amount in the header's unit (万元) written in yuan",
            );
        } else if money {
            self.note(
                name,
                &text,
                &value.to_string(),
                "amount with ¥, 元, 万 or 亿 written in yuan",
            );
        } else if plain != text {
            self.note(name, &text, &plain, "thousands separators removed");
        }
        Ok(Some(value))
    }

    pub fn integer(&mut self, col: usize, min: i64) -> FieldResult<Option<i64>> {
        let name = self.names[col];
        let Some(v) = self.number(col, min as f64)? else {
            return Ok(None);
        };
        if v.fract() != 0.0 || v > i32::MAX as f64 {
            return Err(self.reject(name, &v.to_string(), "must be a whole number"));
        }
        Ok(Some(v as i64))
    }

    pub fn date(&mut self, col: usize) -> FieldResult<Option<NaiveDate>> {
        let name = self.names[col];
        let Some(text) = self.halfwidth(col)? else {
            return Ok(None);
        };
        if let Ok(d) = NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            return Ok(Some(d));
        }
        for fmt in ["%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"] {
            if let Ok(d) = NaiveDate::parse_from_str(&text, fmt) {
                self.note(name, &text, &d.to_string(), "date written as YYYY-MM-DD");
                return Ok(Some(d));
            }
        }
        // A date column pasted as values in Excel: the day's serial number.
        if let Some(ts) = excel_serial(&text) {
            self.note(
                name,
                &text,
                &ts.date().to_string(),
                "Excel serial number as a date",
            );
            return Ok(Some(ts.date()));
        }
        // A timestamp in a date column: keep the date part.
        if let Some(ts) = parse_timestamp(&text) {
            self.note(
                name,
                &text,
                &ts.date().to_string(),
                "date part of a timestamp",
            );
            return Ok(Some(ts.date()));
        }
        Err(self.reject(name, &text, "is not a date; write YYYY-MM-DD"))
    }

    pub fn timestamp(&mut self, col: usize) -> FieldResult<Option<NaiveDateTime>> {
        let name = self.names[col];
        let Some(text) = self.halfwidth(col)? else {
            return Ok(None);
        };
        if let Some(ts) = parse_timestamp(&text) {
            return Ok(Some(ts));
        }
        if let Ok(d) = NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            return Ok(Some(d.and_hms_opt(0, 0, 0).expect("midnight")));
        }
        if let Some(ts) = excel_serial(&text) {
            self.note(
                name,
                &text,
                &ts.to_string(),
                "Excel serial number as a date",
            );
            return Ok(Some(ts));
        }
        for fmt in ["%Y/%m/%d", "%Y年%m月%d日"] {
            if let Ok(d) = NaiveDate::parse_from_str(&text, fmt) {
                let ts = d.and_hms_opt(0, 0, 0).expect("midnight");
                self.note(name, &text, &ts.to_string(), "date written as YYYY-MM-DD");
                return Ok(Some(ts));
            }
        }
        Err(self.reject(name, &text, "is not a timestamp; write YYYY-MM-DD HH:MM:SS"))
    }

    /// A list: JSON arrays and Parquet lists as they are, CSV text split on `|`, `;`, `、`.
    pub fn list(&mut self, col: usize) -> FieldResult<Vec<String>> {
        let name = self.names[col];
        let items = match self.cell(col) {
            None => return Ok(Vec::new()),
            Some(Cell::List(items)) => items
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            Some(Cell::Text(s)) => crate::source::split_list(s),
        };
        if let Some(bad) = items
            .iter()
            .find(|s| s.chars().any(char::is_control) || s.chars().count() > 40)
        {
            return Err(self.reject(
                name,
                bad,
                "a tag must be 1 to 40 characters without control characters",
            ));
        }
        Ok(items)
    }
}

/// An amount as exports write it: `¥1200`, `￥1200.50`, `1200元`, `12.5万`, `12.5万元`,
/// `1.2亿` (thousands separators already removed), in yuan.
fn money(text: &str) -> Option<f64> {
    let t = text.trim();
    let t = t
        .strip_prefix('¥')
        .or_else(|| t.strip_prefix('￥'))
        .or_else(|| t.strip_prefix("RMB"))
        .or_else(|| t.strip_prefix("CNY"))
        .unwrap_or(t)
        .trim();
    let t = t.strip_suffix('元').unwrap_or(t).trim();
    let (t, factor) = if let Some(t) = t.strip_suffix('万') {
        (t, 1e4)
    } else if let Some(t) = t.strip_suffix('亿') {
        (t, 1e8)
    } else {
        (t, 1.0)
    };
    if t == text || t.is_empty() {
        return None;
    }
    let v: f64 = t.trim().parse().ok()?;
    // 12.5万 is 125000 exactly, not 124999.99999999999.
    Some((v * factor * 100.0).round() / 100.0)
}

/// A date (and time) written as Excel keeps it: days since 1899-12-30, the fraction the
/// time of day, as a date column's cells read when they lost their date format. Only
/// serial numbers of 1927 to 2173 (10000 to 99999) are taken, so that a year, a count or a
/// yyyymmdd date is never read as one.
pub(crate) fn excel_serial(text: &str) -> Option<NaiveDateTime> {
    let whole = text.split_once('.').map_or(text, |(w, _)| w);
    if whole.len() != 5 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let serial: f64 = text.parse().ok()?;
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let seconds = (serial * 86_400.0).round() as i64;
    Some(epoch + chrono::Duration::seconds(seconds))
}

/// A date in any of the forms [`Fields::date`] reads without a note of time: 2024-01-05,
/// 2024/1/5, 2024.1.5, 20240105, 2024年1月5日.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text.trim(), f).ok())
}

pub(crate) fn parse_any_timestamp(text: &str) -> Option<NaiveDateTime> {
    parse_timestamp(text.trim())
}

fn parse_timestamp(text: &str) -> Option<NaiveDateTime> {
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y/%m/%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M",
        "%Y年%m月%d日 %H:%M:%S",
        "%Y年%m月%d日 %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
}

#[cfg(test)]
mod tests {
    use super::{excel_serial, money, parse_timestamp};

    #[test]
    fn dates_as_exports_write_them() {
        let at = |s: &str| excel_serial(s).map(|t| t.to_string());
        assert_eq!(at("45296").as_deref(), Some("2024-01-05 00:00:00"));
        assert_eq!(at("45296.5").as_deref(), Some("2024-01-05 12:00:00"));
        assert_eq!(at("2024"), None, "a year is no serial number");
        assert_eq!(at("20240105"), None);
        assert_eq!(at("4529x"), None);
        let ts = |s: &str| parse_timestamp(s).map(|t| t.to_string());
        assert_eq!(ts("2024/1/5 8:00").as_deref(), Some("2024-01-05 08:00:00"));
        assert_eq!(
            ts("2024-01-05 08:00").as_deref(),
            Some("2024-01-05 08:00:00")
        );
    }

    #[test]
    fn amounts_as_exports_write_them() {
        assert_eq!(money("¥1200"), Some(1200.0));
        assert_eq!(money("￥1200.50"), Some(1200.5));
        assert_eq!(money("1200元"), Some(1200.0));
        assert_eq!(money("12.5万"), Some(125_000.0));
        assert_eq!(money("12.5万元"), Some(125_000.0));
        assert_eq!(money("1.2亿"), Some(120_000_000.0));
        assert_eq!(money("¥3.07万"), Some(30_700.0));
        assert_eq!(money("很多"), None);
        assert_eq!(money("元"), None);
        assert_eq!(money("12.5"), None, "a plain number is not parsed here");
    }
}

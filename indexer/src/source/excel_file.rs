//! Excel (.xlsx, .xlsm, .xls) and OpenDocument (.ods) workbooks through `calamine`: every
//! sheet is a table of its own, detected by the sheet's name or its columns as a CSV file
//! is by its file name or columns.
//!
//! Exports put a title above the header (often a merged cell), leave empty lines and end
//! with a 合计 row: the header is found as [`super::header_row`] finds it, empty rows are
//! skipped, and a row that starts with 合计 / 总计 / 小计 is a total, not a record.
//! Dates are cells of a date format (Excel's serial numbers) and are written back as
//! `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`; a number is written as Excel shows it without a
//! format (`1200`, `1200.5`). Line numbers are the sheet's row numbers.

use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use super::{Cell, HEADER_WITHIN, Record, RecordResult, header_row, is_total};
use crate::{Error, Result};

/// One sheet: its name, its header and its records.
pub(super) type Sheet = (String, Vec<String>, Vec<RecordResult>);

pub(super) fn open(path: &Path) -> Result<Vec<Sheet>> {
    let bad = |e: calamine::Error| Error::BadInput(format!("{}: {e}", path.display()));
    let mut book = open_workbook_auto(path).map_err(bad)?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(bad)?;
        let first_row = range.start().map_or(0, |(r, _)| r as u64);
        let rows: Vec<Vec<Option<String>>> = range
            .rows()
            .map(|row| row.iter().map(text).collect())
            .collect();
        let filled = |row: &[Option<String>]| row.iter().filter(|c| c.is_some()).count();
        let counts: Vec<usize> = rows.iter().take(HEADER_WITHIN).map(|r| filled(r)).collect();
        let Some(at) = header_row(&counts) else {
            continue; // an empty sheet, or one of notes: no table
        };
        let header: Vec<String> = rows[at]
            .iter()
            .map(|c| c.clone().unwrap_or_default())
            .collect();
        let width = header.len();
        let mut records = Vec::new();
        for (i, row) in rows.iter().enumerate().skip(at + 1) {
            if filled(row) == 0 || is_total(row.iter().flatten().map(String::as_str)) {
                continue;
            }
            let mut cells: Vec<Option<Cell>> = row
                .iter()
                .take(width)
                .map(|c| c.clone().map(Cell::Text))
                .collect();
            cells.resize(width, None);
            records.push(Ok(Record {
                line: first_row + i as u64 + 1,
                cells,
            }));
        }
        sheets.push((name, header, records));
    }
    Ok(sheets)
}

fn text(cell: &Data) -> Option<String> {
    let s = match cell {
        Data::Empty | Data::Error(_) => return None,
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::Bool(b) => b.to_string(),
        // A serial number's fraction of a day is binary: 10:00:00 may come back as
        // 09:59:59.9999, so the time is rounded to the second.
        Data::DateTime(d) => match d.as_datetime().map(to_second) {
            Some(ts) if ts.time() == chrono::NaiveTime::MIN => ts.date().to_string(),
            Some(ts) => ts.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => number(d.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.replace('T', " "),
    };
    (!s.is_empty()).then_some(s)
}

fn to_second(ts: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let rounded = ts + chrono::Duration::milliseconds(500);
    rounded.with_nanosecond(0).unwrap_or(rounded)
}

/// A number as Excel shows it in a General cell: whole numbers without a decimal point.
fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_excel_shows_them() {
        assert_eq!(number(1200.0), "1200");
        assert_eq!(number(1200.5), "1200.5");
    }
}

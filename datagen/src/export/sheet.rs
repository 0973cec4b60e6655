//! Writing an export's tables: sheets of one workbook (rust_xlsxwriter), or CSV files in
//! the product's encoding (encoding_rs).

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::cells::{Fmt, Out, Value};
use super::styles::{Container, Sheet, Spec};
use crate::{Error, Result};

/// A sheet holds at most this many rows (Excel's limit is 1,048,576): a longer table goes
/// on in a second sheet of the same name with `(2)`.
const SHEET_ROWS: usize = 1_000_000;

type Table<'a> = (&'a Sheet, Vec<Vec<Value>>);

/// Writes the tables, returning the files written.
pub(super) fn write(
    dir: &Path,
    spec: &Spec,
    tables: &[Table<'_>],
    exported: &str,
) -> Result<Vec<PathBuf>> {
    match spec.container {
        Container::Workbook(name) => {
            let path = dir.join(format!("{name}.xlsx"));
            workbook(&path, tables, exported).map_err(|e| {
                Error::Config(format!(
                    "{}: cannot write the workbook: {e}",
                    path.display()
                ))
            })?;
            Ok(vec![path])
        }
        Container::Csv(encoding) => tables
            .iter()
            .map(|t| {
                let path = dir.join(format!("{}.csv", t.0.name));
                let bytes = encode(&csv_text(t, exported), encoding, &path)?;
                std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
                Ok(path)
            })
            .collect(),
    }
}

/// The sum of each money column, for the 合计 row.
fn totals(sheet: &Sheet, rows: &[Vec<Value>]) -> Vec<Option<f64>> {
    sheet
        .columns
        .iter()
        .enumerate()
        .map(|(c, col)| {
            matches!(col.fmt, Fmt::Money(_)).then(|| {
                rows.iter()
                    .map(|r| match r[c] {
                        Value::Float(v) => v,
                        _ => 0.0,
                    })
                    .sum()
            })
        })
        .collect()
}

fn csv_text((sheet, rows): &Table<'_>, exported: &str) -> String {
    let width = sheet.columns.len();
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let blank = vec![""; width];
    for line in sheet.above {
        let mut first = vec![line.replace("EXPORTED", exported)];
        first.resize(width, String::new());
        w.write_record(&first).expect("writing to memory");
    }
    w.write_record(sheet.columns.iter().map(|c| c.header))
        .expect("writing to memory");
    for (i, row) in rows.iter().enumerate() {
        if sheet.empty_every > 0 && i > 0 && i.is_multiple_of(sheet.empty_every) {
            w.write_record(&blank).expect("writing to memory");
        }
        let cells: Vec<String> = sheet
            .columns
            .iter()
            .zip(row)
            .map(|(c, v)| c.fmt.cell(v).text())
            .collect();
        w.write_record(&cells).expect("writing to memory");
    }
    if sheet.total {
        let mut total: Vec<String> = totals(sheet, rows)
            .into_iter()
            .map(|t| t.map(super::cells::thousands).unwrap_or_default())
            .collect();
        total[0] = "合计".into();
        w.write_record(&total).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("UTF-8 cells")
}

fn encode(text: &str, encoding: &str, path: &Path) -> Result<Vec<u8>> {
    if encoding == "UTF-8 BOM" {
        let mut out = "\u{feff}".as_bytes().to_vec();
        out.extend_from_slice(text.as_bytes());
        return Ok(out);
    }
    let enc = encoding_rs::Encoding::for_label(encoding.as_bytes()).expect("a known encoding");
    let (bytes, _, unmappable) = enc.encode(text);
    if unmappable {
        return Err(Error::Config(format!(
            "{}: a value has a character {encoding} cannot write",
            path.display()
        )));
    }
    Ok(bytes.into_owned())
}

fn workbook(
    path: &Path,
    tables: &[Table<'_>],
    exported: &str,
) -> std::result::Result<(), XlsxError> {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy/m/d");
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let title = Format::new().set_bold();
    for (sheet, rows) in tables {
        let parts = rows.chunks(SHEET_ROWS).enumerate();
        let last = rows.len().div_ceil(SHEET_ROWS).max(1) - 1;
        let parts: Vec<(usize, &[Vec<Value>])> = if rows.is_empty() {
            vec![(0, &rows[..])]
        } else {
            parts.collect()
        };
        for (part, chunk) in parts {
            let ws = book.add_worksheet();
            ws.set_name(if part == 0 {
                sheet.name.to_owned()
            } else {
                format!("{}({})", sheet.name, part + 1)
            })?;
            let width = sheet.columns.len() as u16;
            let mut r = 0u32;
            for line in sheet.above {
                if !line.is_empty() {
                    let text = line.replace("EXPORTED", exported);
                    if r == 0 && sheet.above.len() == 1 {
                        ws.merge_range(r, 0, r, width - 1, &text, &title)?;
                    } else {
                        ws.write_string(r, 0, &text)?;
                    }
                }
                r += 1;
            }
            for (c, col) in sheet.columns.iter().enumerate() {
                ws.write_string(r, c as u16, col.header)?;
            }
            for (i, row) in chunk.iter().enumerate() {
                if sheet.empty_every > 0 && i > 0 && i.is_multiple_of(sheet.empty_every) {
                    r += 1;
                }
                r += 1;
                for (c, (col, v)) in sheet.columns.iter().zip(row).enumerate() {
                    write_cell(ws, r, c as u16, &col.fmt.cell(v), (&date, &stamp))?;
                }
            }
            if sheet.total && part == last {
                r += 1;
                ws.write_string(r, 0, "合计")?;
                for (c, t) in totals(sheet, rows).into_iter().enumerate() {
                    if let Some(t) = t {
                        ws.write_number(r, c as u16, (t * 100.0).round() / 100.0)?;
                    }
                }
            }
        }
    }
    book.save(path)
}

fn write_cell(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    out: &Out,
    (date, stamp): (&Format, &Format),
) -> std::result::Result<(), XlsxError> {
    match out {
        Out::Empty => {}
        Out::Text(s) => {
            ws.write_string(r, c, s)?;
        }
        Out::Number(n) => {
            ws.write_number(r, c, *n)?;
        }
        Out::ExcelDate(n, with_time) => {
            ws.write_number_with_format(r, c, *n, if *with_time { stamp } else { date })?;
        }
    }
    Ok(())
}

/// Writes a CSV file (UTF-8, a header line) as one sheet named `sheet` of a workbook, in
/// constant memory: cells that read as numbers are numbers, as a spreadsheet would hold
/// them, except ids and codes (a column whose header ends in `id` or `code`). Returns the
/// rows written. For measuring imports of the same data as CSV, Parquet and .xlsx.
pub fn csv_to_workbook(csv_path: &Path, xlsx_path: &Path, sheet: &str) -> Result<u64> {
    let wrap = |e: XlsxError| {
        Error::Config(format!(
            "{}: cannot write the workbook: {e}",
            xlsx_path.display()
        ))
    };
    let mut reader = csv::Reader::from_path(csv_path)
        .map_err(|e| Error::Config(format!("{}: {e}", csv_path.display())))?;
    let headers = reader
        .headers()
        .map_err(|e| Error::Config(format!("{}: {e}", csv_path.display())))?
        .clone();
    let textual: Vec<bool> = headers
        .iter()
        .map(|h| h == "id" || h.ends_with("_id") || h.ends_with("code") || h.contains("phone"))
        .collect();
    let mut book = Workbook::new();
    let ws = book.add_worksheet_with_constant_memory().map_err(wrap)?;
    ws.set_name(sheet).map_err(wrap)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, h).map_err(wrap)?;
    }
    let mut rows = 0u64;
    for record in reader.records() {
        let record = record.map_err(|e| Error::Config(format!("{}: {e}", csv_path.display())))?;
        rows += 1;
        let r = u32::try_from(rows).map_err(|_| Error::Config("too many rows".into()))?;
        for (c, v) in record.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            match v.parse::<f64>() {
                Ok(n) if !textual[c] && n.is_finite() => ws.write_number(r, c as u16, n),
                _ => ws.write_string(r, c as u16, v),
            }
            .map_err(wrap)?;
        }
    }
    book.save(xlsx_path).map_err(wrap)?;
    Ok(rows)
}

//! Reading source files into records: CSV, JSONL and Parquet alike become rows of cells
//! with the line (or row) number they came from, so every rejection can name its place.

mod csv_file;
pub(crate) use csv_file::split_list;
mod encoding;
pub use encoding::TextEncoding;
mod excel_file;
mod jsonl_file;
pub(crate) use jsonl_file::object_record;
mod parquet_file;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// A cell: text, or a list of texts (tags in JSONL and Parquet).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    List(Vec<String>),
}

/// One row of a source file: its line number (1-based, header is line 1 in CSV; the row
/// number in Parquet) and one cell per header column (`None` for null or absent).
#[derive(Debug, Clone)]
pub struct Record {
    pub line: u64,
    pub cells: Vec<Option<Cell>>,
}

/// A row that could not even be read (bad quoting, invalid UTF-8, not JSON).
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub line: u64,
    pub reason: String,
}

pub type RecordResult = std::result::Result<Record, Unreadable>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
    Parquet,
    Excel,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
            Format::Excel => "excel",
        })
    }
}

impl Format {
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            "parquet" | "pq" => Some(Format::Parquet),
            "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => Some(Format::Excel),
            _ => None,
        }
    }
}

/// An open source file: its header and a stream of records.
pub struct SourceFile {
    pub path: PathBuf,
    /// The sheet of a workbook this table is (`path` is then `book.xlsx#sheet`).
    pub sheet: Option<String>,
    pub header: Vec<String>,
    /// The text encoding of a CSV file; `None` for JSONL (UTF-8 by definition) and Parquet.
    pub encoding: Option<TextEncoding>,
    records: Box<dyn Iterator<Item = RecordResult> + Send>,
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceFile")
            .field("path", &self.path)
            .field("header", &self.header)
            .finish()
    }
}

impl SourceFile {
    /// Opens a file as one or more tables: a workbook gives one per sheet (named
    /// `book.xlsx#sheet`), any other file one.
    pub fn open_all(path: &Path) -> Result<Vec<SourceFile>> {
        if Format::of(path) != Some(Format::Excel) {
            return Ok(vec![SourceFile::open(path)?]);
        }
        let sheets = excel_file::open(path)?;
        if sheets.is_empty() {
            return Err(Error::BadInput(format!(
                "{}: no sheet holds a table (a header row of at least two columns)",
                path.display()
            )));
        }
        Ok(sheets
            .into_iter()
            .map(|(name, header, records)| {
                let mut shown = path.as_os_str().to_owned();
                shown.push("#");
                shown.push(&name);
                SourceFile {
                    path: PathBuf::from(shown),
                    sheet: Some(name),
                    header: header.iter().map(|h| h.trim().to_owned()).collect(),
                    encoding: None,
                    records: Box::new(records.into_iter()),
                }
            })
            .collect())
    }

    /// The name that says which table the file holds: a sheet's name (客户…, 订单…,
    /// 跟进记录… read as customers, orders, interactions), else the file's.
    pub fn name_for_detection(&self) -> PathBuf {
        let Some(sheet) = &self.sheet else {
            return self.path.clone();
        };
        let table = [
            ("客户", "customers"),
            ("订单", "orders"),
            ("跟进", "interactions"),
            ("互动", "interactions"),
            ("沟通", "interactions"),
        ]
        .iter()
        .find(|(zh, _)| sheet.starts_with(zh))
        .map_or(sheet.as_str(), |(_, en)| en);
        PathBuf::from(table)
    }

    pub fn open(path: &Path) -> Result<SourceFile> {
        let format = Format::of(path).ok_or_else(|| {
            Error::BadInput(format!(
                "{}: unknown file type; kesou reads .csv, .jsonl (.ndjson), .parquet and .xlsx (.xls, .ods) files",
                path.display()
            ))
        })?;
        let (header, records, encoding) = match format {
            Format::Csv => {
                let (header, records, encoding) = csv_file::open(path)?;
                (header, records, Some(encoding))
            }
            Format::Jsonl => {
                let (header, records) = jsonl_file::open(path)?;
                (header, records, None)
            }
            Format::Parquet => {
                let (header, records) = parquet_file::open(path)?;
                (header, records, None)
            }
            Format::Excel => {
                return SourceFile::open_all(path)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| {
                        Error::BadInput(format!("{}: no sheet holds a table", path.display()))
                    });
            }
        };
        let header = header
            .into_iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
            .collect();
        Ok(SourceFile {
            path: path.to_owned(),
            sheet: None,
            header,
            encoding,
            records,
        })
    }
}

impl Iterator for SourceFile {
    type Item = RecordResult;
    fn next(&mut self) -> Option<RecordResult> {
        self.records.next()
    }
}

/// Expands folders (recursively) into the data files they hold, sorted by path, so ingest
/// order and therefore results do not depend on the file system's listing order.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            if found.is_empty() {
                return Err(Error::BadInput(format!(
                    "{}: no .csv, .jsonl, .parquet or .xlsx files in this folder",
                    p.display()
                )));
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if Format::of(&path).is_some() {
            out.push(path);
        }
    }
    Ok(())
}

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

    /// The name that says which table the file holds: a file named after a table
    /// (customers…, orders-2024…) as it is; else a sheet's or file's name read for the
    /// words exports use (客户资料, 销售订单, 跟进记录, accounts, opportunities …).
    pub fn name_for_detection(&self) -> PathBuf {
        let name = match &self.sheet {
            Some(sheet) => sheet.clone(),
            None => self
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let lower = name.to_lowercase();
        let named = ["customers", "orders", "interactions", "meta", "truth"]
            .iter()
            .any(|t| lower.starts_with(t))
            || lower.contains("truth");
        match table_by_words(&lower) {
            Some(table) if !named => PathBuf::from(table),
            _ if self.sheet.is_some() => PathBuf::from(name),
            _ => self.path.clone(),
        }
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

/// The table a sheet or file name says it holds, by the words exports use. Events first:
/// 客户跟进记录 holds follow-ups, not customers.
fn table_by_words(name: &str) -> Option<&'static str> {
    const WORDS: [(&[&str], &str); 3] = [
        (
            &[
                "跟进",
                "互动",
                "沟通",
                "拜访",
                "活动",
                "联系记录",
                "activit",
                "task",
                "interaction",
            ],
            "interactions",
        ),
        (&["订单", "销售单", "opportunit", "order"], "orders"),
        (&["客户", "企业", "account", "customer"], "customers"),
    ];
    WORDS
        .iter()
        .find(|(words, _)| words.iter().any(|w| name.contains(w)))
        .map(|(_, table)| *table)
}

/// How many rows from the top may come before the header (titles, notes, dates).
pub(crate) const HEADER_WITHIN: usize = 20;

/// Which of a file's first rows (given by how many cells each fills) is its header: the
/// first with at least two filled cells and at least half as many as the fullest. A title,
/// an export date or a note above the header fills one or two.
pub(crate) fn header_row(filled: &[usize]) -> Option<usize> {
    let most = filled.iter().copied().max()?;
    filled.iter().position(|&n| n >= 2 && n * 2 >= most)
}

/// A row of totals under a table: its first filled cell says so (合计, 总计, 小计).
pub(crate) fn is_total<'a>(mut cells: impl Iterator<Item = &'a str>) -> bool {
    cells.find(|c| !c.trim().is_empty()).is_some_and(|c| {
        let c = c.trim().replace(' ', "");
        ["合计", "总计", "小计", "总和"]
            .iter()
            .any(|t| c.starts_with(t))
    })
}

impl SourceFile {
    /// The first `n` readable records, kept for the stream too (they are read again).
    pub fn sample(&mut self, n: usize) -> Vec<Record> {
        let taken: Vec<RecordResult> = self.records.by_ref().take(n).collect();
        let sample = taken
            .iter()
            .filter_map(|r| r.as_ref().ok().cloned())
            .collect();
        let rest = std::mem::replace(&mut self.records, Box::new(std::iter::empty()));
        self.records = Box::new(taken.into_iter().chain(rest));
        sample
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_under_titles_and_totals() {
        assert_eq!(header_row(&[1, 1, 0, 12, 12]), Some(3));
        assert_eq!(header_row(&[2, 0, 5, 5]), Some(2), "a title of two cells");
        assert_eq!(header_row(&[2, 2]), Some(0));
        assert_eq!(header_row(&[]), None);
        assert!(is_total([" ", "合计", "1200"].into_iter()));
        assert!(is_total(["总 计"].into_iter()));
        assert!(!is_total(["C0001", "合计科技"].into_iter()));
    }

    #[test]
    fn tables_by_the_words_exports_use() {
        for (name, table) in [
            ("客户资料", Some("customers")),
            ("销售订单列表", Some("orders")),
            ("客户拜访记录", Some("interactions")),
            ("客户跟进", Some("interactions")),
            ("accounts", Some("customers")),
            ("opportunities", Some("orders")),
            ("activities", Some("interactions")),
            ("产品目录", None),
        ] {
            assert_eq!(table_by_words(name), table, "{name}");
        }
    }
}

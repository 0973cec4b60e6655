//! Reading source files into records: CSV, JSONL and Parquet alike become rows of cells
//! with the line (or row) number they came from, so every rejection can name its place.

mod csv_file;
pub(crate) use csv_file::split_list;
mod encoding;
pub use encoding::TextEncoding;
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
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
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
            _ => None,
        }
    }
}

/// An open source file: its header and a stream of records.
pub struct SourceFile {
    pub path: PathBuf,
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
    pub fn open(path: &Path) -> Result<SourceFile> {
        let format = Format::of(path).ok_or_else(|| {
            Error::BadInput(format!(
                "{}: unknown file type; kesou reads .csv, .jsonl (.ndjson) and .parquet files",
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
        };
        let header = header
            .into_iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
            .collect();
        Ok(SourceFile {
            path: path.to_owned(),
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
                    "{}: no .csv, .jsonl or .parquet files in this folder",
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

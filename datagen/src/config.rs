//! What to generate and where, and what was generated.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::calendar::{self, EARLIEST_AS_OF, LATEST_AS_OF};
use crate::credit::MAX_CUSTOMERS;
use crate::{Error, Result};

/// The file format of the generated tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileFormat {
    /// Comma-separated with a header line; tags joined with `|`.
    #[default]
    Csv,
    /// One JSON object per line; tags as arrays.
    Jsonl,
    /// Apache Parquet written by DuckDB; tags as `LIST<VARCHAR>`.
    Parquet,
}

impl FileFormat {
    pub const ALL: [FileFormat; 3] = [FileFormat::Csv, FileFormat::Jsonl, FileFormat::Parquet];

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Jsonl => "jsonl",
            FileFormat::Parquet => "parquet",
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for FileFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        FileFormat::ALL
            .into_iter()
            .find(|f| f.extension().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::Config(format!(
                    "unknown file format {s:?}; expected csv, jsonl or parquet"
                ))
            })
    }
}

/// What to generate. [`GenerateConfig::new`] gives the defaults; set fields to change them.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateConfig {
    /// How many customers (default 100,000; at most 9,999,999).
    pub customers: usize,
    /// The same seed gives the same data, byte for byte (default 42).
    pub seed: u64,
    /// The day the data ends: events after it are cut (default 2026-06-30; from 2026-01-01
    /// to 2035-12-31). A later `as_of` gives the same customers with their history extended.
    pub as_of: NaiveDate,
    /// Inject the defects of real exports (default off; see the crate docs).
    pub dirty: bool,
    /// File format (default CSV).
    pub format: FileFormat,
    /// Folder to write into, created if missing.
    pub out: PathBuf,
}

impl GenerateConfig {
    pub const DEFAULT_CUSTOMERS: usize = 100_000;
    pub const DEFAULT_SEED: u64 = 42;

    /// The defaults: 100,000 customers, seed 42, as_of 2026-06-30, clean data, CSV.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        GenerateConfig {
            customers: Self::DEFAULT_CUSTOMERS,
            seed: Self::DEFAULT_SEED,
            as_of: NaiveDate::from_ymd_opt(2026, 6, 30).expect("a valid date"),
            dirty: false,
            format: FileFormat::Csv,
            out: out.into(),
        }
    }

    /// `as_of` as a day number (days since 1970-01-01).
    pub(crate) fn as_of_day(&self) -> i32 {
        calendar::days_from_civil(
            chrono::Datelike::year(&self.as_of),
            chrono::Datelike::month(&self.as_of),
            chrono::Datelike::day(&self.as_of),
        )
    }

    /// Checks the configuration, saying what to change.
    pub fn validate(&self) -> Result<()> {
        let day = self.as_of_day();
        if day < EARLIEST_AS_OF {
            return Err(Error::Config(format!(
                "as_of {} is before 2026-01-01; the generated customers are created up to 2025-12-31, so choose an as_of from 2026-01-01 on",
                self.as_of
            )));
        }
        if day > LATEST_AS_OF {
            return Err(Error::Config(format!(
                "as_of {} is after 2035-12-31, the end of the generated world; choose an earlier as_of",
                self.as_of
            )));
        }
        if self.customers > MAX_CUSTOMERS {
            return Err(Error::Config(format!(
                "{} customers asked; the generator makes at most {MAX_CUSTOMERS}",
                self.customers
            )));
        }
        Ok(())
    }
}

/// What [`generate`](crate::generate) wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateSummary {
    /// Rows of `customers` (more than the customers asked for in dirty data, which repeats
    /// some rows and adds same-name companies).
    pub customers: u64,
    pub orders: u64,
    pub interactions: u64,
    /// The files written, in the order customers, orders, interactions, meta, truth_segments.
    pub files: Vec<PathBuf>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_and_configs_validate() {
        assert_eq!(
            "PARQUET".parse::<FileFormat>().unwrap(),
            FileFormat::Parquet
        );
        assert_eq!(" jsonl".parse::<FileFormat>().unwrap().extension(), "jsonl");
        let err = "xlsx".parse::<FileFormat>().unwrap_err();
        assert!(
            err.is_user_error() && err.to_string().contains("expected csv, jsonl or parquet"),
            "{err}"
        );
        let mut c = GenerateConfig::new("out");
        assert_eq!(c.validate().ok(), Some(()));
        c.as_of = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("before 2026-01-01")
        );
        c.as_of = NaiveDate::from_ymd_opt(2036, 1, 1).unwrap();
        assert!(c.validate().is_err());
        c.as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        c.customers = 10_000_000;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("at most 9999999")
        );
    }
}

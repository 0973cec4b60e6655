//! Files. CSV and JSONL chunks are encoded into bytes in parallel and appended in chunk
//! order; Parquet chunks are appended in order to a staging DuckDB database and copied out
//! at the end ([`crate::parquet`]). Either way the output does not depend on the number of
//! threads or the chunk size.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};

use crate::batch::Schemas;
use crate::parquet::Staging;
use crate::{Batches, Error, FileFormat, Result};

/// The data tables, in the order of [`Encoded`] parts.
pub(crate) const TABLES: [&str; 4] = ["customers", "orders", "interactions", "truth_segments"];

const DATE_FORMAT: &str = "%Y-%m-%d";
const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// One chunk, ready for the writer: file bytes per table (CSV, JSONL), or the batches
/// themselves (Parquet).
pub(crate) enum Encoded {
    Text([Vec<u8>; 4]),
    Arrow(Box<Batches>),
}

fn tables(b: &Batches) -> [&RecordBatch; 4] {
    [&b.customers, &b.orders, &b.interactions, &b.truth]
}

/// Encodes chunk number `chunk_no` (the first one carries the CSV header).
pub(crate) fn encode(b: Batches, format: FileFormat, chunk_no: usize) -> Result<Encoded> {
    if format == FileFormat::Parquet {
        return Ok(Encoded::Arrow(Box::new(b)));
    }
    let mut out: [Vec<u8>; 4] = Default::default();
    for (i, batch) in tables(&b).into_iter().enumerate() {
        out[i] = if format == FileFormat::Csv {
            csv_bytes(batch, chunk_no == 0, TABLES[i])?
        } else {
            jsonl_bytes(batch, TABLES[i])?
        };
    }
    Ok(Encoded::Text(out))
}

pub(crate) fn csv_bytes(batch: &RecordBatch, header: bool, table: &'static str) -> Result<Vec<u8>> {
    let batch = join_lists(batch);
    let mut buf = Vec::with_capacity(batch.get_array_memory_size());
    let mut w = arrow::csv::WriterBuilder::new()
        .with_header(header)
        .with_date_format(DATE_FORMAT.into())
        .with_timestamp_format(TIMESTAMP_FORMAT.into())
        .build(&mut buf);
    w.write(&batch)
        .map_err(|source| Error::Arrow { table, source })?;
    drop(w);
    Ok(buf)
}

pub(crate) fn jsonl_bytes(batch: &RecordBatch, table: &'static str) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(batch.get_array_memory_size() * 2);
    let mut w = arrow::json::WriterBuilder::new()
        .with_date_format(DATE_FORMAT.into())
        .with_timestamp_format(TIMESTAMP_FORMAT.into())
        .build::<_, arrow::json::writer::LineDelimited>(&mut buf);
    w.write(batch)
        .map_err(|source| Error::Arrow { table, source })?;
    w.finish()
        .map_err(|source| Error::Arrow { table, source })?;
    drop(w);
    Ok(buf)
}

/// CSV has no lists: list columns become their items joined with `|`.
pub(crate) fn join_lists(batch: &RecordBatch) -> RecordBatch {
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| matches!(f.data_type(), DataType::List(_)))
    {
        return batch.clone();
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if !matches!(field.data_type(), DataType::List(_)) {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
            continue;
        }
        let list = column.as_list::<i32>();
        let mut joined =
            StringBuilder::with_capacity(list.len(), list.values().get_array_memory_size());
        for row in 0..list.len() {
            if list.is_null(row) {
                joined.append_null();
                continue;
            }
            let items = list.value(row);
            let items = items.as_string::<i32>();
            for i in 0..items.len() {
                if i > 0 {
                    std::fmt::Write::write_char(&mut joined, '|').expect("writing to memory");
                }
                std::fmt::Write::write_str(&mut joined, items.value(i)).expect("writing to memory");
            }
            joined.append_value("");
        }
        fields.push(Field::new(field.name(), DataType::Utf8, true));
        columns.push(Arc::new(joined.finish()));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("same rows")
}

/// The output folder and its open files.
pub(crate) enum Output {
    Text {
        format: FileFormat,
        dir: PathBuf,
        files: Vec<(PathBuf, BufWriter<File>)>,
    },
    Parquet {
        dir: PathBuf,
        staging: Staging,
    },
}

impl Output {
    /// Creates the folder and the files (for Parquet, the staging database).
    pub fn create(dir: &Path, format: FileFormat, schemas: &Schemas) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        if format == FileFormat::Parquet {
            return Ok(Output::Parquet {
                dir: dir.to_owned(),
                staging: Staging::create(dir, schemas)?,
            });
        }
        let mut files = Vec::new();
        for t in TABLES {
            let path = dir.join(format!("{t}.{}", format.extension()));
            let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
            files.push((path, BufWriter::with_capacity(1 << 20, file)));
        }
        Ok(Output::Text {
            format,
            dir: dir.to_owned(),
            files,
        })
    }

    pub fn write(&mut self, encoded: Encoded) -> Result<()> {
        match (self, encoded) {
            (Output::Text { files, .. }, Encoded::Text(bytes)) => {
                for ((path, file), bytes) in files.iter_mut().zip(bytes) {
                    file.write_all(&bytes)
                        .map_err(|e| Error::io(path.as_path(), e))?;
                }
                Ok(())
            }
            (Output::Parquet { staging, .. }, Encoded::Arrow(b)) => staging.append(&b),
            _ => unreachable!("chunks are encoded for the output's format"),
        }
    }

    /// Writes `meta`, completes the files and returns their paths (customers, orders,
    /// interactions, meta, truth_segments).
    pub fn finish(self, meta: &RecordBatch) -> Result<Vec<PathBuf>> {
        let (dir, ext) = match &self {
            Output::Text { format, dir, .. } => (dir.clone(), format.extension()),
            Output::Parquet { dir, .. } => (dir.clone(), FileFormat::Parquet.extension()),
        };
        let path_of = |t: &str| dir.join(format!("{t}.{ext}"));
        match self {
            Output::Parquet { dir, staging } => staging.finish(&dir, meta)?,
            Output::Text { format, files, .. } => {
                for (path, mut file) in files {
                    file.flush().map_err(|e| Error::io(&path, e))?;
                }
                let bytes = if format == FileFormat::Csv {
                    csv_bytes(meta, true, "meta")?
                } else {
                    jsonl_bytes(meta, "meta")?
                };
                let meta_path = path_of("meta");
                std::fs::write(&meta_path, bytes).map_err(|e| Error::io(&meta_path, e))?;
            }
        }
        let mut files: Vec<PathBuf> = TABLES[..3].iter().map(|t| path_of(t)).collect();
        files.push(path_of("meta"));
        files.push(path_of(TABLES[3]));
        Ok(files)
    }
}

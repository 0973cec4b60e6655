use std::path::Path;
use std::sync::mpsc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use super::{Cell, Record, RecordResult, Unreadable};
use crate::{Error, Result};

type Opened = (Vec<String>, Box<dyn Iterator<Item = RecordResult> + Send>);

/// DuckDB memory of the reader of one Parquet file: a scan streams row groups, so it needs
/// only the few it decodes at a time.
const READER_MEMORY_LIMIT: &str = "256MB";

/// Parquet through DuckDB's reader: Arrow batches streamed from a reader thread (so a large
/// file is never held whole), turned into text cells so that one validator serves every
/// format. The "line" of a row is its 1-based row number.
pub(super) fn open(path: &Path) -> Result<Opened> {
    let path_str = path
        .to_str()
        .ok_or_else(|| Error::BadInput(format!("{}: path is not UTF-8", path.display())))?
        .to_owned();
    let display = path.display().to_string();
    let header: Vec<String> = {
        let conn = duckdb::Connection::open_in_memory()?;
        let mut stmt = conn.prepare("DESCRIBE SELECT * FROM read_parquet(?)")?;
        let rows = stmt
            .query_map([&path_str], |r| r.get::<_, String>(0))
            .map_err(|e| Error::BadInput(format!("{display}: not a readable Parquet file: {e}")))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    let (tx, rx) = mpsc::sync_channel::<RecordResult>(8192);
    std::thread::spawn(move || {
        let send_all = || -> std::result::Result<(), String> {
            let conn = duckdb::Connection::open_in_memory().map_err(|e| e.to_string())?;
            // Streamed, not executed whole: a materialised result held the entire file
            // (gigabytes for 15M interactions) until it had been read.
            conn.execute_batch(&format!("SET memory_limit = '{READER_MEMORY_LIMIT}'"))
                .map_err(|e| e.to_string())?;
            let mut stmt = conn
                .prepare("SELECT * FROM read_parquet(?)")
                .map_err(|e| e.to_string())?;
            let mut row_no = 0u64;
            for batch in stmt.stream_arrow([&path_str]).map_err(|e| e.to_string())? {
                let batch = batch.map_err(|e| e.to_string())?;
                for record in batch_records(&batch, &mut row_no) {
                    if tx.send(Ok(record)).is_err() {
                        return Ok(());
                    }
                }
            }
            Ok(())
        };
        if let Err(reason) = send_all() {
            let _ = tx.send(Err(Unreadable {
                line: 0,
                reason: format!("parquet read failed: {reason}"),
            }));
        }
    });
    Ok((header, Box::new(rx.into_iter())))
}

fn batch_records(batch: &RecordBatch, row_no: &mut u64) -> Vec<Record> {
    let options = FormatOptions::default().with_null("");
    let formatters: Vec<Option<ArrayFormatter>> = batch
        .columns()
        .iter()
        .map(|c| match c.data_type() {
            DataType::List(_) | DataType::LargeList(_) => None,
            _ => ArrayFormatter::try_new(c.as_ref(), &options).ok(),
        })
        .collect();
    let mut out = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        *row_no += 1;
        let mut cells = Vec::with_capacity(batch.num_columns());
        for (col, formatter) in batch.columns().iter().zip(&formatters) {
            if col.is_null(row) {
                cells.push(None);
                continue;
            }
            let cell = match formatter {
                Some(f) => {
                    let s = f.value(row).to_string();
                    (!s.is_empty()).then_some(Cell::Text(s))
                }
                None => Some(Cell::List(list_texts(col.as_ref(), row))),
            };
            cells.push(cell);
        }
        out.push(Record {
            line: *row_no,
            cells,
        });
    }
    out
}

fn list_texts(col: &dyn Array, row: usize) -> Vec<String> {
    let values = match col.data_type() {
        DataType::List(_) => col.as_list::<i32>().value(row),
        _ => col.as_list::<i64>().value(row),
    };
    let options = FormatOptions::default();
    let Ok(f) = ArrayFormatter::try_new(values.as_ref(), &options) else {
        return Vec::new();
    };
    (0..values.len())
        .filter(|i| !values.is_null(*i))
        .map(|i| f.value(i).to_string())
        .collect()
}

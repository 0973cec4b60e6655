//! Parquet through DuckDB. Chunks are appended in order to the tables of an in-memory
//! DuckDB (its appender takes Arrow batches; the four tables of a chunk are appended in
//! parallel), which spills to a folder beside the output when memory runs short; at the end
//! each table is copied out with `COPY … (FORMAT PARQUET)` and the spill folder removed.
//! Tables filled in order give the same row groups, and so the same bytes, whatever the
//! chunking; DuckDB's thread count is fixed so that they do not depend on the machine.

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use duckdb::Connection;

use crate::batch::Schemas;
use crate::write::TABLES;
use crate::{Batches, Error, Result};

/// Threads DuckDB uses to write the files.
const THREADS: i64 = 2;

/// The staging database.
pub(crate) struct Staging {
    conn: Connection,
    /// One connection per table, to append the tables of a chunk in parallel.
    appenders: Vec<Connection>,
    spill: PathBuf,
    schemas: [SchemaRef; 4],
}

fn duck_type(t: &DataType) -> &'static str {
    match t {
        DataType::Int32 => "INTEGER",
        DataType::Float64 => "DOUBLE",
        DataType::Date32 => "DATE",
        DataType::Timestamp(TimeUnit::Second, None) => "TIMESTAMP_S",
        DataType::List(_) => "VARCHAR[]",
        _ => "VARCHAR",
    }
}

/// A path as the content of an SQL string literal.
pub(crate) fn sql_path(path: &Path) -> String {
    path.to_string_lossy().replace('\'', "''")
}

fn create_table(conn: &Connection, name: &str, schema: &SchemaRef) -> Result<()> {
    let columns: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("\"{}\" {}", f.name(), duck_type(f.data_type())))
        .collect();
    conn.execute_batch(&format!("CREATE TABLE \"{name}\" ({})", columns.join(", ")))?;
    Ok(())
}

fn append(conn: &Connection, name: &str, batch: &RecordBatch) -> Result<()> {
    let mut appender = conn.appender(name)?;
    appender.append_record_batch(batch.clone())?;
    appender.flush()?;
    Ok(())
}

/// Copies a table to a Parquet file, timestamps as DuckDB's TIMESTAMP (microseconds), which
/// every Parquet reader understands.
fn copy_out(conn: &Connection, name: &str, schema: &SchemaRef, path: &Path) -> Result<()> {
    let select: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Timestamp(..) => format!("CAST(\"{0}\" AS TIMESTAMP) AS \"{0}\"", f.name()),
            _ => format!("\"{}\"", f.name()),
        })
        .collect();
    conn.execute_batch(&format!(
        "COPY (SELECT {} FROM \"{name}\") TO '{}' (FORMAT PARQUET)",
        select.join(", "),
        sql_path(path)
    ))?;
    Ok(())
}

impl Staging {
    /// Where DuckDB may spill while generating.
    pub fn spill_dir(dir: &Path) -> PathBuf {
        dir.join(".kesou-datagen-spill")
    }

    pub fn create(dir: &Path, schemas: &Schemas) -> Result<Self> {
        let spill = Self::spill_dir(dir);
        let config = duckdb::Config::default()
            .threads(THREADS)?
            .with("temp_directory", spill.to_string_lossy())?;
        let conn = Connection::open_in_memory_with_flags(config)?;
        let schemas = [
            &schemas.customers,
            &schemas.orders,
            &schemas.interactions,
            &schemas.truth,
        ]
        .map(|s| s.clone());
        for (name, schema) in TABLES.iter().zip(&schemas) {
            create_table(&conn, name, schema)?;
        }
        let appenders = (0..TABLES.len())
            .map(|_| conn.try_clone())
            .collect::<duckdb::Result<_>>()?;
        Ok(Staging {
            conn,
            appenders,
            spill,
            schemas,
        })
    }

    /// Appends one chunk's tables.
    pub fn append(&mut self, b: &Batches) -> Result<()> {
        let batches = [&b.customers, &b.orders, &b.interactions, &b.truth];
        std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .appenders
                .iter_mut()
                .zip(TABLES.iter().zip(batches))
                .map(|(conn, (name, batch))| scope.spawn(move || append(conn, name, batch)))
                .collect();
            handles
                .into_iter()
                .try_for_each(|h| h.join().expect("an appender thread does not panic"))
        })
    }

    /// Writes the tables and `meta` as `<table>.parquet` into `dir`.
    pub fn finish(self, dir: &Path, meta: &RecordBatch) -> Result<()> {
        for (name, schema) in TABLES.iter().zip(&self.schemas) {
            copy_out(
                &self.conn,
                name,
                schema,
                &dir.join(format!("{name}.parquet")),
            )?;
        }
        create_table(&self.conn, "meta", &meta.schema())?;
        append(&self.conn, "meta", meta)?;
        copy_out(
            &self.conn,
            "meta",
            &meta.schema(),
            &dir.join("meta.parquet"),
        )?;
        let Staging {
            conn,
            appenders,
            spill,
            ..
        } = self;
        drop(appenders);
        conn.close().map_err(|(_, e)| e)?;
        if spill.exists() {
            std::fs::remove_dir_all(&spill).map_err(|e| Error::io(&spill, e))?;
        }
        Ok(())
    }
}

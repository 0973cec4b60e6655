//! `kesou bench --formats`: the same customers loaded from CSV, Parquet and .xlsx, each into
//! a store of its own, one after the other in one run, so the readers compare on one
//! machine at one moment. Only the customers file (and `meta.csv`) is loaded: a workbook
//! sheet holds at most 1,048,576 rows, fewer than the orders of a large store.

use std::path::Path;
use std::time::Instant;

use kesou_indexer::NoProgress;

use super::output;

/// (measure, value) rows for the bench table.
pub fn time_formats(
    source: &Path,
    dir: &Path,
    opts: &super::options::Options,
) -> anyhow::Result<Vec<(String, String)>> {
    let csv = source.join("customers.csv");
    let root = dir.join("formats");
    if root.exists() {
        std::fs::remove_dir_all(&root)?;
    }
    let mut facts = Vec::new();
    for format in ["csv", "parquet", "xlsx"] {
        let files = root.join(format);
        std::fs::create_dir_all(&files)?;
        std::fs::copy(source.join("meta.csv"), files.join("meta.csv"))?;
        let file = files.join(format!("customers.{format}"));
        match format {
            "csv" => {
                std::fs::copy(&csv, &file)?;
            }
            "parquet" => {
                // As an export would type them: text as text, tags as a list.
                let conn = duckdb::Connection::open_in_memory()?;
                conn.execute_batch(&format!(
                    "COPY (SELECT * REPLACE (
                            CASE WHEN coalesce(tags, '') = '' THEN []::VARCHAR[]
                                 ELSE string_split(tags, '|') END AS tags)
                          FROM read_csv('{}', header = true, all_varchar = true))
                     TO '{}' (FORMAT parquet)",
                    sql_path(&csv),
                    sql_path(&file)
                ))?;
            }
            _ => {
                kesou_datagen::csv_to_workbook(&csv, &file, "customers")?;
            }
        }
        let size = std::fs::metadata(&file)?.len();
        let store = root.join(format!("store-{format}"));
        let started = Instant::now();
        let s = kesou_indexer::ingest(
            &opts.store(&store),
            std::slice::from_ref(&files),
            &NoProgress,
        )?;
        let seconds = started.elapsed().as_secs_f64();
        let customers = s
            .files
            .iter()
            .filter(|f| f.table == Some(kesou_indexer::Table::Customers))
            .map(|f| f.loaded)
            .sum::<u64>();
        facts.push((
            format!("ingest customers from .{format}"),
            format!(
                "{seconds:.1} s, {} customers/s ({} customers, file {:.1} MiB)",
                output::count((customers as f64 / seconds.max(1e-9)) as u64),
                output::count(customers),
                size as f64 / (1024.0 * 1024.0)
            ),
        ));
        std::fs::remove_dir_all(&store)?;
    }
    std::fs::remove_dir_all(&root)?;
    Ok(facts)
}

fn sql_path(p: &Path) -> String {
    p.display().to_string().replace('\'', "''")
}

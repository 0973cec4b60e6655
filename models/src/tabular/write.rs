//! A model's scores into the store: one probability column and lists of words per customer,
//! staged through Arrow into a temporary table and set by the indexer's one typed write
//! ([`kesou_indexer::set_customer_columns`]), so that only customers whose values change are
//! stamped (and re-indexed); customers not listed are cleared.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, ListBuilder, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use duckdb::Connection;
use kesou_indexer::{Progress, StorePaths};

use crate::Result;

/// A scoring report, told after the write what generation it made and how long it took.
pub trait Stamped {
    fn stamp(&mut self, generation: u64, index_seconds: f64, seconds: f64);
}

/// Runs `write` (the model's scores into the store) as one store generation through
/// [`kesou_indexer::update`], then stamps its report.
pub fn in_generation<S: Stamped>(
    paths: &StorePaths,
    progress: &dyn Progress,
    write: impl FnOnce(&Connection, u64) -> Result<S>,
) -> Result<S> {
    let started = std::time::Instant::now();
    let (mut report, generation, index) = kesou_indexer::update(paths, progress, write)?;
    report.stamp(generation, index.seconds, started.elapsed().as_secs_f64());
    Ok(report)
}

/// Scores are stored to four decimals: finer differences mean nothing, and would re-index
/// customers for noise.
pub fn rounded(p: f64) -> f64 {
    (p * 10_000.0).round() / 10_000.0
}

/// Writes `score` (named `score_column`) and each list of words of `lists` for the customers
/// `ids` in generation `generation`, clearing them for everyone else. Returns (changed,
/// cleared).
pub fn write_scores(
    conn: &Connection,
    table: &str,
    ids: &[String],
    score_column: &str,
    score: &[f64],
    lists: &[(&str, &[Vec<String>])],
    generation: u64,
) -> Result<(usize, usize)> {
    let mut ddl =
        format!("CREATE OR REPLACE TEMP TABLE {table} (id VARCHAR, {score_column} DOUBLE");
    for (name, _) in lists {
        ddl.push_str(&format!(", {name} VARCHAR[]"));
    }
    ddl.push(')');
    conn.execute_batch(&ddl)?;
    let mut fields = vec![
        Field::new("id", DataType::Utf8, false),
        Field::new(score_column, DataType::Float64, false),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(ids)),
        Arc::new(Float64Array::from(score.to_vec())),
    ];
    for (name, words) in lists {
        let mut list = ListBuilder::new(StringBuilder::new());
        for w in *words {
            for phrase in w {
                list.values().append_value(phrase);
            }
            list.append(true);
        }
        fields.push(Field::new_list(
            *name,
            Field::new("item", DataType::Utf8, true),
            true,
        ));
        columns.push(Arc::new(list.finish()));
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    {
        let mut app = conn.appender(table)?;
        app.append_record_batch(batch)?;
        app.flush()?;
    }
    let mut names = vec![score_column];
    names.extend(lists.iter().map(|(n, _)| *n));
    let (changed, cleared) = kesou_indexer::set_customer_columns(
        conn,
        table,
        &names,
        generation,
        kesou_indexer::Unlisted::Clear,
    )?;
    conn.execute_batch(&format!("DROP TABLE {table}"))?;
    Ok((changed, cleared))
}

//! The run: resolve unique names, generate chunks in parallel a window at a time while a
//! writer thread appends the previous window in order.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use arrow::array::{RecordBatch, StringArray};
use rayon::prelude::*;

use crate::batch::Schemas;
use crate::chunk::{Batches, chunk};
use crate::unique::Names;
use crate::write::{Encoded, Output, encode};
use crate::{GenerateConfig, GenerateSummary, Result};

/// Customers per chunk: large enough to amortise the per-chunk work, small enough to keep
/// memory flat (a chunk is ~500,000 rows).
pub(crate) const CHUNK: usize = 20_000;

/// The `generator` value of `meta`.
pub(crate) const GENERATOR: &str = "kesou-datagen 0.1";

/// Writes the demo data set `config` describes into `config.out` (see the crate docs for
/// the files), calling `progress` with the number of customers done after each chunk.
pub fn generate(
    config: &GenerateConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<GenerateSummary> {
    generate_in_chunks(config, progress, CHUNK)
}

/// [`generate`] with a given chunk size (the output does not depend on it).
pub(crate) fn generate_in_chunks(
    config: &GenerateConfig,
    progress: &(dyn Fn(u64) + Sync),
    chunk_size: usize,
) -> Result<GenerateSummary> {
    let started = Instant::now();
    config.validate()?;
    let schemas = if config.dirty {
        Schemas::dirty()
    } else {
        Schemas::clean()
    };
    let output = Output::create(&config.out, config.format, &schemas)?;
    let names = Names::resolve(config.seed, config.customers);
    let chunks: Vec<(usize, usize)> = if config.customers == 0 {
        vec![(0, 0)]
    } else {
        (0..config.customers)
            .step_by(chunk_size)
            .map(|first| (first, chunk_size.min(config.customers - first)))
            .collect()
    };
    let window = (rayon::current_num_threads() * 2).max(2);
    let (tx, rx) = mpsc::sync_channel::<Result<(Encoded, [u64; 3], u64)>>(window);
    let (output, counts) = std::thread::scope(|scope| -> Result<(Output, [u64; 3])> {
        let writer = scope.spawn(move || -> Result<(Output, [u64; 3])> {
            let mut output = output;
            let mut counts = [0u64; 3];
            for item in rx {
                let (encoded, rows, done) = item?;
                output.write(encoded)?;
                for (total, n) in counts.iter_mut().zip(rows) {
                    *total += n;
                }
                progress(done);
            }
            Ok((output, counts))
        });
        'windows: for (w, group) in chunks.chunks(window).enumerate() {
            let encoded: Vec<Result<(Encoded, [u64; 3], u64)>> = group
                .par_iter()
                .enumerate()
                .map(|(i, (first, count))| {
                    let b = chunk(config, &names, *first, *count);
                    let rows = [
                        b.customers.num_rows(),
                        b.orders.num_rows(),
                        b.interactions.num_rows(),
                    ]
                    .map(|n| n as u64);
                    Ok((
                        encode(b, config.format, w * window + i)?,
                        rows,
                        (first + count) as u64,
                    ))
                })
                .collect();
            for item in encoded {
                if tx.send(item).is_err() {
                    // The writer stopped on an error; it reports it below.
                    break 'windows;
                }
            }
        }
        drop(tx);
        writer.join().expect("the writer thread does not panic")
    })?;
    let files = output.finish(&meta(config))?;
    Ok(GenerateSummary {
        customers: counts[0],
        orders: counts[1],
        interactions: counts[2],
        files,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Customers [first, first + count) with their orders and interactions as of `config.as_of`,
/// exactly as [`generate`] writes them (names are made unique against all earlier
/// customers, so the cost grows with `first`). The configuration is not validated.
pub fn generate_batches(config: &GenerateConfig, first: usize, count: usize) -> Batches {
    let names = Names::resolve(config.seed, first + count);
    chunk(config, &names, first, count)
}

/// The `meta` table: as_of, seed, customers, generator, dirty.
pub(crate) fn meta(config: &GenerateConfig) -> RecordBatch {
    let rows = [
        ("as_of", config.as_of.format("%Y-%m-%d").to_string()),
        ("seed", config.seed.to_string()),
        ("customers", config.customers.to_string()),
        ("generator", GENERATOR.to_owned()),
        ("dirty", config.dirty.to_string()),
    ];
    let keys = StringArray::from_iter_values(rows.iter().map(|(k, _)| *k));
    let values = StringArray::from_iter_values(rows.iter().map(|(_, v)| v.as_str()));
    RecordBatch::try_new(
        Schemas::clean().meta,
        vec![Arc::new(keys), Arc::new(values)],
    )
    .expect("two text columns")
}

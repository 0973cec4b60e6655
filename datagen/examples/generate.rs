//! Generates a demo data set and reports its size and the throughput:
//! `cargo run -p kesou-datagen --example generate -- [CUSTOMERS] [csv|jsonl|parquet] [OUT] [--dirty]`.

use std::time::Instant;

use kesou_datagen::{FileFormat, GenerateConfig, generate, generate_batches};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let customers: usize = positional.first().map_or(Ok(100_000), |s| s.parse())?;
    let format: FileFormat = positional
        .get(1)
        .map_or(Ok(FileFormat::Csv), |s| s.parse())?;
    let out = positional.get(2).map_or_else(
        || std::env::temp_dir().join("kesou-datagen-example"),
        |s| s.into(),
    );
    let mut config = GenerateConfig::new(out);
    config.customers = customers;
    config.format = format;
    config.dirty = args.iter().any(|a| a == "--dirty");

    let t = Instant::now();
    let b = generate_batches(&config, 0, customers.min(20_000));
    let in_memory = t.elapsed().as_secs_f64();
    let rows = b.customers.num_rows() + b.orders.num_rows() + b.interactions.num_rows();
    println!(
        "in memory: {} customers, {} orders, {} interactions in {:.2} s ({:.0} rows/s on one thread)",
        b.customers.num_rows(),
        b.orders.num_rows(),
        b.interactions.num_rows(),
        in_memory,
        rows as f64 / in_memory
    );

    let s = generate(&config, &|_| {})?;
    let rows = s.customers + s.orders + s.interactions;
    println!(
        "{format}: {} customers, {} orders ({:.1}/customer), {} interactions ({:.1}/customer) in {:.2} s: {:.0} rows/s",
        s.customers,
        s.orders,
        s.orders as f64 / customers.max(1) as f64,
        s.interactions,
        s.interactions as f64 / customers.max(1) as f64,
        s.seconds,
        rows as f64 / s.seconds
    );
    for f in &s.files {
        println!(
            "  {} ({:.1} MiB)",
            f.display(),
            std::fs::metadata(f)?.len() as f64 / (1 << 20) as f64
        );
    }
    Ok(())
}

//! Search latency on generated data: kesou's index against DuckDB alone (ILIKE + SQL), for
//! text, text with filters and text with facets. `kesou bench` prints the same comparison
//! as a table at larger sizes; this is the statistically careful version.
//!
//! `KESOU_BENCH_CUSTOMERS` sets the data size (default 20,000).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kesou_datagen::GenerateConfig;
use kesou_indexer::{NoProgress, StorePaths};
use kesou_query::{SearchRequest, Searcher, baseline};

fn request(text: &str, filters: &[&str], facets: &[&str]) -> SearchRequest {
    SearchRequest {
        text: text.into(),
        filters: filters
            .iter()
            .map(|f| f.parse().expect("valid filter"))
            .collect(),
        facets: facets.iter().map(|f| f.to_string()).collect(),
        limit: 10,
        offset: 0,
        scope: None,
        hide_custom_text: false,
    }
}

fn bench(c: &mut Criterion) {
    let customers: usize = std::env::var("KESOU_BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = GenerateConfig::new(dir.path().join("source"));
    config.customers = customers;
    kesou_datagen::generate(&config, &|_| {}).expect("generate");
    let paths = StorePaths::new(dir.path().join("store"));
    kesou_indexer::ingest(&paths, &[dir.path().join("source")], &NoProgress).expect("ingest");
    let reader = kesou_indexer::open_for_reading(&paths, &NoProgress).expect("open");
    let searcher = Searcher::new(reader.index).expect("searcher");

    let cases = [
        ("text", request("新能源", &[], &[])),
        (
            "text+filters",
            request("投诉", &["region=华东", "annual_purchase>=100000"], &[]),
        ),
        (
            "text+facets",
            request(
                "数控机床",
                &[],
                &["region", "industry", "lifecycle", "value_level"],
            ),
        ),
    ];
    let mut group = c.benchmark_group(format!("search_{customers}"));
    for (name, req) in &cases {
        group.bench_function(format!("kesou/{name}"), |b| {
            b.iter(|| searcher.search(black_box(req)).expect("search"))
        });
    }
    group.sample_size(10);
    for (name, req) in &cases {
        group.bench_function(format!("duckdb_ilike/{name}"), |b| {
            b.iter(|| baseline::search(&reader.conn, black_box(req)).expect("baseline"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

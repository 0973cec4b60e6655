//! Dashboard, profile and search-as-you-type latency: each built-in board through
//! `boards::board` next to the same answer in hand-written DuckDB SQL (the yardstick, run in
//! the same process), profiles of customers with many orders, and suggestions for typed
//! prefixes. A timing loop that prints p50/p99 per case.
//!
//! `KESOU_BENCH_STORES=/tmp/kbench100k/store,/tmp/k1mc/store` runs against existing stores
//! (opened read only); without it a 20,000-customer store is generated. `KESOU_BENCH_RUNS`
//! sets the runs per board (default 30).

use std::hint::black_box;
use std::time::{Duration, Instant};

use kesou_datagen::GenerateConfig;
use kesou_indexer::{NoProgress, StorePaths};
use kesou_query::ask::{AskOptions, Asker};
use kesou_query::boards::{self, BUILTIN};
use kesou_query::profile::{ProfileOptions, profile};
use kesou_query::suggest::Suggester;

/// The same answers in plain SQL: what a board costs DuckDB alone.
const BASELINE: &[(&str, &str)] = &[
    (
        "map",
        "SELECT province, count(*), sum(annual_purchase) FROM customers GROUP BY 1 ORDER BY 2 DESC",
    ),
    (
        "top20",
        "SELECT id, name, annual_purchase, region, province, city, industry, size, lifecycle, \
         value_level, (SELECT count(*) FROM customers) FROM customers \
         ORDER BY annual_purchase DESC NULLS LAST, id LIMIT 20",
    ),
    (
        "churn",
        "SELECT id, name, churn_risk FROM customers WHERE churn_risk >= 0.7 \
         ORDER BY churn_risk DESC, id LIMIT 20",
    ),
    (
        "funnel",
        "SELECT lifecycle, count(*) FROM customers GROUP BY 1",
    ),
    (
        "rfm",
        "SELECT rfm_segment, count(*), sum(annual_purchase) FROM customers GROUP BY 1 ORDER BY 2 DESC",
    ),
    (
        "matrix",
        "SELECT region, industry, count(*) FROM customers GROUP BY 1, 2 ORDER BY 1, 2",
    ),
];

const TYPED: &[&str] = &[
    "华东科",
    "浙江的制",
    "tech",
    "苏州",
    "恒瑞",
    "流失",
    "华",
    "近30天咨",
    "上海年采购额500万以上的金",
    "",
    "annual pur",
    "重要",
    "杭州精密",
    "北京和上海的金",
];

fn percentiles(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let at = |p: f64| {
        let i = ((times.len() as f64 - 1.0) * p).round() as usize;
        times[i].as_secs_f64() * 1e3
    };
    (at(0.5), at(0.99))
}

/// CPU time this process has used (all threads, DuckDB's included), from /proc: on a
/// shared machine wall-clock time says as much about the neighbours as about the query.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// p50 and p99 wall-clock ms, and the mean CPU ms per run.
fn time<F: FnMut()>(runs: usize, mut f: F) -> (f64, f64, f64) {
    for _ in 0..3 {
        f();
    }
    let cpu = cpu_time();
    let times = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    let cpu = match (cpu, cpu_time()) {
        (Some(a), Some(b)) => (b - a).as_secs_f64() * 1e3 / runs as f64,
        _ => f64::NAN,
    };
    let (p50, p99) = percentiles(times);
    (p50, p99, cpu)
}

fn bench_store(paths: &StorePaths, runs: usize) {
    let t = Instant::now();
    let asker = Asker::open(paths, &NoProgress).expect("open the store");
    let open = t.elapsed();
    let customers: i64 = asker
        .connection()
        .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
        .expect("count");
    println!(
        "\n{} · {customers} customers · open {:.0} ms",
        paths.root.display(),
        open.as_secs_f64() * 1e3
    );
    println!(
        "{:<24} {:>8} {:>8} {:>8} {:>10} {:>10} {:>10}",
        "case", "p50 ms", "p99 ms", "cpu ms", "SQL p50", "SQL p99", "SQL cpu"
    );
    for b in BUILTIN {
        let (p50, p99, cpu) = time(runs, || {
            black_box(boards::board(&asker, b.name, &[], &AskOptions::default()).expect("board"));
        });
        let row = format!(
            "{:<24} {p50:>8.2} {p99:>8.2} {cpu:>8.2}",
            format!("board {}", b.name)
        );
        let sql = BASELINE
            .iter()
            .find(|(n, _)| *n == b.name)
            .expect("a baseline")
            .1;
        if asker.connection().prepare(sql).is_err() {
            // a store loaded before RFM: the board says so, the SQL cannot run
            println!("{row}");
            continue;
        }
        let (s50, s99, scpu) = time(runs, || {
            let mut stmt = asker.connection().prepare(sql).expect("baseline");
            let n = stmt.query_map([], |_| Ok(())).expect("rows").count();
            black_box(n);
        });
        println!("{row} {s50:>10.2} {s99:>10.2} {scpu:>10.2}");
    }
    let east = boards::parse_filters(asker.schema(), &["region=华东"]).expect("filter");
    for name in ["map", "top20", "matrix"] {
        let (p50, p99, cpu) = time(runs, || {
            black_box(boards::board(&asker, name, &east, &AskOptions::default()).expect("board"));
        });
        println!(
            "{:<24} {p50:>8.2} {p99:>8.2} {cpu:>8.2}",
            format!("board {name} 华东")
        );
    }
    let page = AskOptions {
        offset: 200,
        page_size: Some(20),
        ..AskOptions::default()
    };
    let (p50, p99, cpu) = time(runs, || {
        black_box(asker.ask("华东的制造业客户", &page).expect("page"));
    });
    println!("{:<24} {p50:>8.2} {p99:>8.2} {cpu:>8.2}", "ask page 11");

    let mut stmt = asker
        .connection()
        .prepare("SELECT customer_id FROM orders GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 20")
        .expect("ids");
    let ids: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .expect("ids")
        .collect::<Result<_, _>>()
        .expect("ids");
    // the first profile reads the key index
    let t = Instant::now();
    black_box(profile(&asker, &ids[0], &ProfileOptions::default()).expect("profile"));
    println!(
        "first profile (reads the key index) {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut i = 0;
    let (p50, p99, cpu) = time(runs.max(20), || {
        i += 1;
        black_box(
            profile(&asker, &ids[i % ids.len()], &ProfileOptions::default()).expect("profile"),
        );
    });
    println!("{:<24} {p50:>8.2} {p99:>8.2} {cpu:>8.2}", "profile");

    let t = Instant::now();
    let suggester = Suggester::new(&asker).expect("suggester");
    println!(
        "suggester built in {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut i = 0;
    let (p50, p99, cpu) = time(TYPED.len() * 200, || {
        i += 1;
        black_box(suggester.suggest(TYPED[i % TYPED.len()]));
    });
    println!("{:<24} {p50:>8.3} {p99:>8.3} {cpu:>8.3}", "suggest (mix)");
    for typed in TYPED {
        let (p50, p99, _) = time(200, || {
            black_box(suggester.suggest(typed));
        });
        println!("{:<24} {p50:>8.3} {p99:>8.3}", format!("  「{typed}」"));
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runs: usize = std::env::var("KESOU_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    match std::env::var("KESOU_BENCH_STORES") {
        Ok(stores) => {
            for s in stores.split(',').filter(|s| !s.is_empty()) {
                bench_store(&StorePaths::new(s), runs);
            }
        }
        Err(_) => {
            let dir = tempfile::tempdir().expect("temp dir");
            let mut config = GenerateConfig::new(dir.path().join("source"));
            config.customers = 20_000;
            kesou_datagen::generate(&config, &|_| {}).expect("generate");
            let paths = StorePaths::new(dir.path().join("store"));
            kesou_indexer::ingest(&paths, &[dir.path().join("source")], &NoProgress)
                .expect("ingest");
            bench_store(&paths, runs);
        }
    }
}

use std::path::{Path, PathBuf};
use std::time::Instant;

use kesou_datagen::GenerateConfig;
use kesou_indexer::StorePaths;
use kesou_query::ask::{AskOptions, Asker};
use kesou_query::lookalike::Lookalike;
use kesou_query::{Filter, SearchRequest, Searcher, baseline};

use super::examples::{QUESTIONS, QuestionClass, name_example, top_names};
use super::generate::generate_with_bar;
use super::ingest::ingest_with_bars;
use super::output::{self, Table};
use super::progress::Bars;

/// Measures kesou on generated data: generate and ingest throughput, store and index size,
/// peak memory, and search latency (p50/p99) for a fixed mix of queries (text only,
/// text + filters, text + facets), next to the same queries answered by DuckDB alone
/// (ILIKE + SQL) in the same run; then, for a fixed set of 31 questions, the time to
/// understand a question (parse) and to answer it (`kesou ask`, end to end); then change
/// batches of 1 and 100 lines through a store kept open (changed descriptions, changed
/// order amounts, new customers), each put back afterwards; with `--watch-runs`, batches of
/// 100 changed order amounts without and with 100 watches asked after each.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// How many customers to generate.
    #[arg(long, default_value_t = 100_000)]
    pub customers: usize,
    /// Working folder (source files and the store).
    #[arg(long, value_name = "DIR", default_value = "kesou-bench")]
    pub dir: PathBuf,
    /// Reuse a store already in DIR instead of generating and ingesting again.
    #[arg(long)]
    pub reuse: bool,
    /// Timed runs of each kesou query (after one warm-up run).
    #[arg(long, default_value_t = 30)]
    pub runs: usize,
    /// Timed runs of each baseline query.
    #[arg(long, default_value_t = 3)]
    pub baseline_runs: usize,
    /// Timed change batches of each kind and size (0: none).
    #[arg(long, default_value_t = 10)]
    pub change_runs: usize,
    /// Measure only the change batches (on a store reused with --reuse).
    #[arg(long)]
    pub changes_only: bool,
    /// Measure only the questions and lookalikes (on a store reused with --reuse): the
    /// table by class of question, without the searches and their DuckDB baseline.
    #[arg(long)]
    pub questions_only: bool,
    /// Timed change batches without and with 100 watches asked after each (0: none).
    #[arg(long, default_value_t = 0)]
    pub watch_runs: usize,
    /// Measure only what 100 watches add to a change batch (on a store reused with --reuse).
    #[arg(long)]
    pub watches_only: bool,
    /// Also ingest the same files three more times: contacts in plain text, encrypted with
    /// SM4-GCM and with AES-256-GCM (with a throwaway key), and time sealing one value.
    #[arg(long)]
    pub crypt: bool,
    /// Also measure semantic retrieval with this model folder: load times, embedding
    /// throughput by batch size, hybrid search and questions next to BM25 alone (hybrid
    /// needs the store embedded first: `kesou embed --data DIR/store --model MODEL`).
    #[arg(long, value_name = "MODEL")]
    pub model: Option<PathBuf>,
    /// Also load the same customers from CSV, Parquet and .xlsx, each into a store of its
    /// own, and time each.
    #[arg(long)]
    pub formats: bool,
}

fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                dir_size(&p)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            }
        })
        .sum()
}

/// Peak resident memory of this process (VmHWM), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

pub(super) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

pub(super) struct Case {
    pub kind: &'static str,
    pub request: SearchRequest,
}

fn filters(list: &[&str]) -> Vec<Filter> {
    list.iter()
        .map(|f| f.parse().expect("bench filters are valid"))
        .collect()
}

/// The fixed query mix: words from the generated descriptions and notes, trade names and
/// pinyin of sampled customers (deterministic for a seed), alone, with filters and with
/// facets.
pub(super) fn cases(searcher: &Searcher, conn: &duckdb::Connection) -> anyhow::Result<Vec<Case>> {
    let mut texts: Vec<String> = [
        "新能源",
        "投诉",
        "数控机床",
        "报价",
        "售后服务",
        "精密机械",
        "ISO9001",
        "5G",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let analyzer = &searcher.handle().analyzer;
    for e in top_names(conn, 50)?
        .iter()
        .filter_map(|n| name_example(analyzer, n))
        .take(3)
    {
        texts.push(e.trade);
        texts.extend(e.pinyin);
        texts.extend(e.initials);
    }
    let mut out = Vec::new();
    for t in &texts {
        out.push(Case {
            kind: "text",
            request: SearchRequest {
                text: t.clone(),
                limit: 10,
                ..Default::default()
            },
        });
    }
    let with_filters = [
        ("新能源", vec!["region=华东"]),
        ("投诉", vec!["annual_purchase>=1000000"]),
        ("报价", vec!["industry=科技", "lifecycle=忠诚"]),
        ("设备", vec!["province=广东", "value_level=高"]),
        ("售后服务", vec!["size=中型,大型"]),
    ];
    for (t, f) in with_filters {
        out.push(Case {
            kind: "text+filters",
            request: SearchRequest {
                text: t.into(),
                filters: filters(&f),
                limit: 10,
                ..Default::default()
            },
        });
    }
    let facets: Vec<String> = ["region", "industry", "lifecycle", "value_level"]
        .map(String::from)
        .to_vec();
    for t in ["新能源", "投诉", "数控机床", "报价", "设备"] {
        out.push(Case {
            kind: "text+facets",
            request: SearchRequest {
                text: t.into(),
                facets: facets.clone(),
                limit: 10,
                ..Default::default()
            },
        });
    }
    out.push(Case {
        kind: "filters+facets",
        request: SearchRequest {
            filters: filters(&["region=华东", "industry=制造"]),
            facets,
            limit: 10,
            ..Default::default()
        },
    });
    Ok(out)
}

pub fn run(args: BenchArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let store = args.dir.join("store");
    let mut facts: Vec<(String, String)> = vec![
        (
            "machine".into(),
            format!(
                "{} cores",
                std::thread::available_parallelism().map_or(0, |n| n.get())
            ),
        ),
        (
            "build".into(),
            if cfg!(debug_assertions) {
                "debug (numbers are not representative)".into()
            } else {
                "release".into()
            },
        ),
    ];
    if !args.reuse || !store.join(kesou_indexer::store::DB_FILE).exists() {
        if args.dir.exists() {
            std::fs::remove_dir_all(&args.dir)?;
        }
        let source = args.dir.join("source");
        let mut config = GenerateConfig::new(source.clone());
        config.customers = args.customers;
        let g = generate_with_bar(&config)?;
        let rows = g.customers + g.orders + g.interactions;
        facts.push((
            "customers / orders / interactions".into(),
            format!(
                "{} / {} / {}",
                output::count(g.customers),
                output::count(g.orders),
                output::count(g.interactions)
            ),
        ));
        facts.push((
            "generate".into(),
            format!(
                "{:.1} s, {} rows/s",
                g.seconds,
                output::count((rows as f64 / g.seconds) as u64)
            ),
        ));
        facts.push(("source files".into(), mib(dir_size(&source))));
        let s = ingest_with_bars(&opts.store(&store), &[source])?;
        facts.push((
            "ingest (validate, store, derive, index)".into(),
            format!(
                "{:.1} s, {} rows/s (index {:.1} s)",
                s.seconds,
                output::count((s.rows_read() as f64 / s.seconds) as u64),
                s.index.seconds
            ),
        ));
        // Each phase's own peak: the ingest resets the high-water mark as a phase starts.
        for p in &s.memory {
            facts.push((
                format!("peak RSS: {}", p.phase),
                format!("{} MiB ({:.1} s)", p.peak_bytes >> 20, p.seconds),
            ));
        }
        facts.push((
            "peak RSS of the ingest".into(),
            s.memory
                .iter()
                .map(|p| p.peak_bytes)
                .max()
                .map_or("?".into(), |b| format!("{} MiB", b >> 20)),
        ));
    }
    if args.formats {
        facts.extend(super::bench_formats::time_formats(
            &args.dir.join("source"),
            &args.dir,
            opts,
        )?);
    }
    if args.crypt {
        facts.extend(super::bench_crypt::time_ingests(
            &args.dir.join("source"),
            &args.dir,
        )?);
    }
    let paths = opts.store(&store);
    facts.push(("store (DuckDB)".into(), mib(dir_size(&paths.db()))));
    facts.push(("index (tantivy)".into(), mib(dir_size(&paths.index()))));

    if args.watches_only {
        let w = super::bench_watches::time_watches(&paths, args.watch_runs.max(1))?;
        super::bench_watches::print(&w, percentile);
        return Ok(());
    }
    if args.changes_only {
        let changes = super::bench_changes::time_changes(&paths, args.change_runs.max(1))?;
        let mut t = Table::new(["measure", "value"]);
        for (k, v) in facts {
            t.row([k, v]);
        }
        t.print();
        super::bench_changes::print(&changes, percentile);
        return Ok(());
    }
    let reader = kesou_indexer::open_for_reading(&paths, &Bars::default())?;
    let searcher = Searcher::new(reader.index)?;
    let cases = if args.questions_only {
        Vec::new()
    } else {
        cases(&searcher, &reader.conn)?
    };
    let mut kesou: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut duck: Vec<(&str, Vec<f64>)> = Vec::new();
    for case in &cases {
        searcher.search(&case.request)?;
        let mut times = Vec::with_capacity(args.runs);
        for _ in 0..args.runs {
            let t = Instant::now();
            searcher.search(&case.request)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        kesou.push((case.kind, times));
        let mut times = Vec::new();
        for _ in 0..args.baseline_runs {
            let t = Instant::now();
            baseline::search(&reader.conn, &case.request)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        duck.push((case.kind, times));
    }
    drop(searcher);
    drop(reader.conn);
    let questions = time_questions(&paths, args.runs)?;
    let similar = time_similar(&paths, args.runs, &mut facts)?;
    let changes = match args.change_runs {
        0 => None,
        _ if args.questions_only => None,
        n => Some(super::bench_changes::time_changes(&paths, n)?),
    };
    let watches = match args.watch_runs {
        0 => None,
        n => Some(super::bench_watches::time_watches(&paths, n)?),
    };
    facts.push((
        "peak RSS after the ingest (searches, questions)".into(),
        peak_rss_mib().map_or("?".into(), |m| format!("{m:.0} MiB")),
    ));

    let mut t = Table::new(["measure", "value"]);
    for (k, v) in facts {
        t.row([k, v]);
    }
    t.print();
    let mut t = Table::new([
        "queries",
        "n",
        "kesou p50 ms",
        "kesou p99 ms",
        "DuckDB ILIKE p50 ms",
        "DuckDB p99 ms",
        "speed-up (p50)",
    ]);
    for kind in [
        "text",
        "text+filters",
        "text+facets",
        "filters+facets",
        "all",
    ]
    .into_iter()
    .filter(|_| !cases.is_empty())
    {
        let pick = |v: &[(&str, Vec<f64>)]| -> Vec<f64> {
            let mut all: Vec<f64> = v
                .iter()
                .filter(|(k, _)| kind == "all" || *k == kind)
                .flat_map(|(_, t)| t.iter().copied())
                .collect();
            all.sort_by(f64::total_cmp);
            all
        };
        let (a, b) = (pick(&kesou), pick(&duck));
        let n = cases
            .iter()
            .filter(|c| kind == "all" || c.kind == kind)
            .count();
        t.row([
            kind.to_owned(),
            n.to_string(),
            format!("{:.2}", percentile(&a, 50.0)),
            format!("{:.2}", percentile(&a, 99.0)),
            format!("{:.1}", percentile(&b, 50.0)),
            format!("{:.1}", percentile(&b, 99.0)),
            format!("{:.0}×", percentile(&b, 50.0) / percentile(&a, 50.0)),
        ]);
    }
    let mut by_class: Vec<(String, usize, &Vec<f64>)> = vec![
        ("questions: parse".into(), QUESTIONS.len(), &questions.parse),
        (
            "questions: ask end to end".into(),
            QUESTIONS.len(),
            &questions.ask,
        ),
    ];
    for (class, times) in &questions.by_class {
        let n = QUESTIONS.iter().filter(|(c, _)| c == class).count();
        by_class.push((format!("ask: {}", class.name()), n, times));
    }
    for (kind, n, times) in by_class {
        t.row([
            kind,
            n.to_string(),
            format!("{:.4}", percentile(times, 50.0)),
            format!("{:.4}", percentile(times, 99.0)),
            "-".into(),
            "-".into(),
            "-".into(),
        ]);
    }
    for (kind, times) in [
        ("similar: one seed (lookalike)", &similar.0),
        ("similar: 50-seed list", &similar.1),
    ] {
        t.row([
            kind.to_owned(),
            times.len().to_string(),
            format!("{:.2}", percentile(times, 50.0)),
            format!("{:.2}", percentile(times, 99.0)),
            "-".into(),
            "-".into(),
            "-".into(),
        ]);
    }
    t.print();
    if let Some(changes) = &changes {
        super::bench_changes::print(changes, percentile);
    }
    if let Some(w) = &watches {
        super::bench_watches::print(w, percentile);
    }
    for e in &questions.errors {
        println!("question failed: {e}");
    }
    let slowest: Vec<String> = questions
        .slowest
        .iter()
        .take(3)
        .map(|(ms, q)| format!("「{q}」 {ms:.1} ms"))
        .collect();
    println!("slowest questions (p50 of ask): {}", slowest.join(" · "));
    if let Some(model) = &args.model {
        super::bench_semantic::run(&paths, model, args.runs)?;
    }
    println!(
        "queries: {}",
        cases
            .iter()
            .map(|c| format!("{:?}", c.request.text))
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}

/// Sorted timings (ms) of `kesou similar` over all customers: `runs` different single seeds
/// and `runs` different lists of 50 seeds (after one warm-up), reasons included. Building
/// the vectors, when the store has none yet, is added to `facts`.
fn time_similar(
    paths: &StorePaths,
    runs: usize,
    facts: &mut Vec<(String, String)>,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let conn = kesou_indexer::store::open_db(paths, kesou_indexer::store::Open::Read)?;
    let fresh = Lookalike::is_fresh(paths, &conn)?;
    let t = Instant::now();
    let lookalike = Lookalike::open(paths, &conn, &Bars::default())?;
    let what = if fresh { "load" } else { "build and save" };
    facts.push((
        format!("lookalike vectors ({what})"),
        format!(
            "{:.2} s, {} MiB",
            t.elapsed().as_secs_f64(),
            dir_size(&kesou_query::lookalike::vectors_path(&paths.root)) / (1 << 20)
        ),
    ));
    let runs = runs.max(2);
    let n: i64 = conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
    let step = (n / (runs as i64 * 50 + 1)).max(1);
    let mut stmt =
        conn.prepare("SELECT id FROM customers WHERE rowid % ? = 0 ORDER BY rowid LIMIT ?")?;
    let ids: Vec<String> = stmt
        .query_map(duckdb::params![step, (runs * 50 + 1) as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let time = |seeds: &[String]| -> anyhow::Result<f64> {
        let t = Instant::now();
        lookalike.similar(&conn, seeds, None, 20)?;
        Ok(t.elapsed().as_secs_f64() * 1000.0)
    };
    time(&ids[..1])?;
    let mut one: Vec<f64> = ids
        .iter()
        .skip(1)
        .take(runs)
        .map(|id| time(std::slice::from_ref(id)))
        .collect::<anyhow::Result<_>>()?;
    let mut lists: Vec<f64> = ids
        .chunks_exact(50)
        .take(runs)
        .map(time)
        .collect::<anyhow::Result<_>>()?;
    one.sort_by(f64::total_cmp);
    lists.sort_by(f64::total_cmp);
    Ok((one, lists))
}

/// Sorted timings (ms) of the question set: parse alone, and asked end to end.
struct QuestionTimes {
    parse: Vec<f64>,
    ask: Vec<f64>,
    errors: Vec<String>,
    /// Ask timings of each class of question, sorted.
    by_class: Vec<(QuestionClass, Vec<f64>)>,
    /// (p50 ms, question), slowest first.
    slowest: Vec<(f64, &'static str)>,
}

/// Parses every question of [`QUESTIONS`] `runs × 10` times and asks each `runs` times
/// (after one warm-up), with the default page of 20 rows.
fn time_questions(paths: &StorePaths, runs: usize) -> anyhow::Result<QuestionTimes> {
    let asker = Asker::open(paths, &Bars::default())?;
    let options = AskOptions::default();
    let mut times = QuestionTimes {
        parse: Vec::new(),
        ask: Vec::new(),
        errors: Vec::new(),
        by_class: QuestionClass::ALL.map(|c| (c, Vec::new())).to_vec(),
        slowest: Vec::new(),
    };
    for &(class, q) in QUESTIONS {
        asker.parse(q);
        for _ in 0..runs * 10 {
            let t = Instant::now();
            std::hint::black_box(asker.parse(q));
            times.parse.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        if let Err(e) = asker.ask(q, &options) {
            times.errors.push(format!("「{q}」: {e}"));
            continue;
        }
        let mut own = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            asker.ask(q, &options)?;
            own.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        own.sort_by(f64::total_cmp);
        times.slowest.push((percentile(&own, 50.0), q));
        if let Some((_, c)) = times.by_class.iter_mut().find(|(c, _)| *c == class) {
            c.extend(own.iter().copied());
        }
        times.ask.extend(own);
    }
    times.slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    times.parse.sort_by(f64::total_cmp);
    times.ask.sort_by(f64::total_cmp);
    for (_, c) in &mut times.by_class {
        c.sort_by(f64::total_cmp);
    }
    Ok(times)
}

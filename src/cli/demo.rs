use std::path::PathBuf;
use std::sync::Arc;

use kesou_models::{Embedder, ModelConfig};
use kesou_query::semantic::{self, Background, Stage};

use kesou_datagen::GenerateConfig;

use super::examples::{name_example, top_names};
use super::generate::generate_with_bar;
use super::ingest::{ingest_with_bars, print_summary};
use super::train::train_and_score;

/// Generates demo customers, loads them into a store and shows what to try next.
///
/// Runs `kesou generate` into STORE/source, `kesou ingest` into STORE and
/// `kesou train churn` on it, then serves the web app and its dashboards (as
/// `kesou serve --demo`) until Ctrl-C. With the model file scripts/get-model.sh fetches,
/// search matches by meaning too (冷藏运输 finds 冷链物流) once the customers are embedded,
/// which happens in the background while the app is served. Run it again to start over
/// (the store is replaced).
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The store folder to create.
    #[arg(
        long = "data",
        short = 'd',
        value_name = "STORE",
        default_value = "kesou-data"
    )]
    pub data: PathBuf,
    /// How many customers.
    #[arg(long, default_value_t = 100_000)]
    pub customers: usize,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Stop after loading, without serving the web app.
    #[arg(long)]
    pub no_serve: bool,
    /// Address and port the web app listens on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Search by meaning too (the default when ~/.cache/kesou-models/e5-small-q4.bin is
    /// there; scripts/get-model.sh fetches it): the web app is served at once and the
    /// customers are embedded meanwhile with the fast static model, the app showing how
    /// far it has got.
    #[arg(long)]
    pub semantic: bool,
    /// Words only, even with the model file present.
    #[arg(long, conflicts_with = "semantic")]
    pub no_semantic: bool,
}

pub fn run(args: DemoArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    if args.data.exists() {
        let marker = args.data.join(kesou_indexer::store::DB_FILE);
        if !marker.exists() && std::fs::read_dir(&args.data)?.next().is_some() {
            anyhow::bail!(super::user(format!(
                "{} exists and is not a kesou store; choose another folder with --data",
                args.data.display()
            )));
        }
        std::fs::remove_dir_all(&args.data)?;
    }
    let source = args.data.join("source");
    let mut config = GenerateConfig::new(source.clone());
    config.customers = args.customers;
    config.seed = args.seed;
    let g = generate_with_bar(&config)?;
    println!(
        "generated {} customers, {} orders, {} interactions into {} ({:.1} s)",
        g.customers,
        g.orders,
        g.interactions,
        source.display(),
        g.seconds
    );
    let s = ingest_with_bars(&opts.store(&args.data), std::slice::from_ref(&source))?;
    print_summary(&s);
    if s.contacts_encrypted.is_some() {
        // The generated files hold the contacts in plain text, inside the store folder.
        std::fs::remove_dir_all(&source)?;
        println!(
            "removed {}: it held the contacts in plain text (kesou generate makes the files again)",
            source.display()
        );
    }
    // Churn risk from the demo's own history, so that 流失风险 questions have answers.
    let churn = match train_and_score(&opts.store(&args.data), args.seed) {
        Ok((model, scores)) => {
            let r = &model.info.report;
            println!(
                "churn model: {} kept (held-out AUC {:.3}, days since last order alone {:.3}); {} customers buying now scored",
                r.chosen, r.held_out.model.auc, r.held_out.baseline.auc, scores.scored
            );
            true
        }
        Err(e) => {
            println!("churn model not trained: {e}");
            false
        }
    };
    // Purchase propensity likewise, so that 商机 questions and the board have answers.
    let paths = opts.store(&args.data);
    let opportunity = match super::train_opportunity::train_and_score(&paths, args.seed) {
        Ok((model, scores)) => {
            let h = &model.info.report.held_out;
            println!(
                "purchase-propensity model: {} kept (held-out AUC {:.3}, recency and frequency alone {:.3}); {} customers scored",
                model.info.report.chosen, h.model.auc, h.baseline.auc, scores.scored
            );
            true
        }
        Err(e) => {
            println!("purchase-propensity model not trained: {e}");
            false
        }
    };
    let background = start_semantic(&args, opts)?;
    let d = args.data.display();
    println!();
    println!("the demo store is ready in {d}. try:");
    let reader =
        kesou_indexer::open_for_reading(&opts.store(&args.data), &kesou_indexer::NoProgress)?;
    let example = top_names(&reader.conn, 20)?
        .iter()
        .find_map(|n| name_example(&reader.index.analyzer, n));
    if let Some(e) = &example {
        println!(
            "  kesou search --data {d} {}            # a trade name (字号) of {}",
            e.trade, e.name
        );
        if let Some(p) = &e.pinyin {
            println!("  kesou search --data {d} {p}          # the same by pinyin");
        }
        if let Some(i) = &e.initials {
            println!(
                "  kesou search --data {d} {i}              # by initials of place and trade name"
            );
        }
    }
    println!(
        "  kesou search --data {d} --filter region=华东 --filter industry=科技 --facets region,lifecycle 新能源"
    );
    println!(
        "  kesou search --data {d} --filter \"annual_purchase>=1000000\" --facets industry 投诉"
    );
    println!("  kesou duplicates --data {d}");
    println!("ask questions in plain Chinese or English:");
    for q in [
        "检索华东地区年采购额超百万的科技类客户",
        "近30天咨询≥5次且未成交的客户",
        "价值贡献TOP20客户",
        "按省份统计客户数",
        "各行业平均年采购额",
    ] {
        println!("  kesou ask --data {d} {q}");
    }
    println!(
        "  kesou ask --data {d} --explain \"去年下过单的长三角制造企业\"   # how each word was read"
    );
    println!("  kesou ask --data {d} 重要挽留客户有哪些              # RFM segments");
    if churn {
        println!("  kesou ask --data {d} 流失风险高的忠诚客户            # churn risk");
        println!(
            "  kesou churn --data {d}                            # 流失风险预警, with the reasons"
        );
    }
    if opportunity {
        println!(
            "  kesou ask --data {d} 最可能下单的20家华东客户        # purchase propensity (商机)"
        );
    }
    if let Some(e) = &example {
        println!("find customers like one, with the reasons:");
        println!("  kesou similar --data {d} {}", e.name);
        println!("  kesou ask --data {d} 和{}相似的华东客户", e.name);
    }
    println!(
        "tag customers by rules written as questions: put lines such as\n  \"近30天咨询≥3次且未成交\" = \"待跟进\"\ninto rules.toml, then\n  kesou tags apply --data {d} --rules rules.toml"
    );
    println!("serve the web app and its dashboards again later with");
    println!("  kesou serve --demo --data {d}");
    if let Some((_, _)) = &background {
        println!(
            "  kesou ask --data {d} 做冷藏运输的客户                # by meaning: finds 冷链物流"
        );
    }
    if args.no_serve {
        if let Some((job, _)) = background {
            println!("embedding the customers for search by meaning …");
            job.join().expect("the embedding thread does not panic")?;
        }
        return Ok(());
    }
    println!();
    let server = super::serve::ServerArgs {
        bind: args.bind,
        url: None,
        demo: true,
    };
    drop(reader);
    super::serve::serve_with(&args.data, &server, background.map(|(_, b)| b), opts)
}

type Job = std::thread::JoinHandle<anyhow::Result<()>>;

/// With the model file (or --semantic): reads the customers' texts, records the static
/// model in the store and starts distilling and embedding on a thread; without it, says
/// how to get it.
fn start_semantic(
    args: &DemoArgs,
    opts: &super::options::Options,
) -> anyhow::Result<Option<(Job, Arc<Background>)>> {
    let default = super::embed::e5_file(None, None);
    if args.no_semantic || (!args.semantic && default.is_err()) {
        if !args.no_semantic {
            println!(
                "search by meaning (冷藏运输 finds 冷链物流) is off: `bash scripts/get-model.sh` \
                 fetches the model, then run kesou demo again"
            );
        }
        return Ok(None);
    }
    let e5 = default?.canonicalize()?;
    let paths = opts.store(&args.data);
    let pending = semantic::Pending::read(&paths, None)?;
    let config = ModelConfig::new(kesou_models::static_path(&e5));
    semantic::configure(&paths, Some(&config))?;
    println!(
        "search by meaning: embedding the customers in the background with the static model \
         distilled from {} (the web app shows how far it has got)",
        e5.display()
    );
    let background = Arc::new(Background::default());
    let progress = Arc::clone(&background);
    let job = std::thread::spawn(move || -> anyhow::Result<()> {
        let run = || -> anyhow::Result<semantic::EmbedReport> {
            let texts = pending.texts();
            semantic::distill_texts(&texts, &e5, true, &*progress)?;
            drop(texts);
            let embedder = Embedder::load(&config)?;
            Ok(pending.embed(&embedder, 256, &*progress)?)
        };
        match run() {
            Ok(r) => {
                progress.set_stage(Stage::Ready, None);
                tracing::info!(
                    customers = r.customers,
                    seconds = r.seconds,
                    "search by meaning ready"
                );
                Ok(())
            }
            Err(e) => {
                progress.set_stage(Stage::Failed, Some(e.to_string()));
                eprintln!("search by meaning not available: {e}");
                Err(e)
            }
        }
    });
    Ok(Some((job, background)))
}

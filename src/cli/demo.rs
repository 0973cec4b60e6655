use std::path::PathBuf;

use kesou_datagen::GenerateConfig;

use super::examples::{name_example, top_names};
use super::generate::generate_with_bar;
use super::ingest::{ingest_with_bars, print_summary};
use super::train::train_and_score;

/// Generates demo customers, loads them into a store and shows what to try next.
///
/// Runs `kesou generate` into STORE/source, `kesou ingest` into STORE and
/// `kesou train churn` on it, then serves the web app and its dashboards (as
/// `kesou serve --demo`) until Ctrl-C. Run it again to start over (the store is replaced).
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
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    if args.data.exists() {
        let marker = args.data.join(kesou_indexer::store::DB_FILE);
        if !marker.exists() && std::fs::read_dir(&args.data)?.next().is_some() {
            anyhow::bail!(
                "{} exists and is not a kesou store; choose another folder with --data",
                args.data.display()
            );
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
    let s = ingest_with_bars(&args.data, std::slice::from_ref(&source))?;
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
    let churn = match train_and_score(&kesou_indexer::StorePaths::new(&args.data), args.seed) {
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
    let d = args.data.display();
    println!();
    println!("the demo store is ready in {d}. try:");
    let reader = kesou_indexer::open_for_reading(
        &kesou_indexer::StorePaths::new(&args.data),
        &kesou_indexer::NoProgress,
    )?;
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
    if args.no_serve {
        return Ok(());
    }
    println!();
    let server = super::serve::ServerArgs {
        bind: args.bind,
        url: None,
        demo: true,
    };
    drop(reader);
    super::serve::serve(&args.data, &server)
}

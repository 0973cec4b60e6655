//! `kesou eval churn`: the forward test of the churn model on generated worlds.

use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};
use kesou_datagen::GenerateConfig;
use kesou_indexer::StorePaths;
use kesou_models::churn::{self, HORIZON_DAYS, TrainOptions};

use super::generate::generate_with_bar;
use super::output::{Table, count};
use super::progress::Bars;
use super::train::{print_bands, print_train};

#[derive(Debug, clap::Args)]
pub struct EvalChurnArgs {
    /// How many customers in the generated world.
    #[arg(long, default_value_t = 20_000)]
    pub customers: usize,
    /// Random seed of the world and of the model.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The day the model scores (D); the outcome is read at D + 180 days.
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2026-06-30")]
    pub as_of: NaiveDate,
    /// Keep the generated files and stores in this folder (default: a temporary folder,
    /// removed afterwards).
    #[arg(long, value_name = "DIR")]
    pub work: Option<PathBuf>,
    /// Output: table for people, json for programs.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

/// Removes the temporary folder when the evaluation ends, however it ends.
struct Scratch(Option<PathBuf>);

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// Generates the world up to `as_of` into `dir/source` and loads it into `dir/store`.
fn world(
    args: &EvalChurnArgs,
    as_of: NaiveDate,
    dir: &Path,
    opts: &super::options::Options,
) -> anyhow::Result<StorePaths> {
    let mut config = GenerateConfig::new(dir.join("source"));
    config.customers = args.customers;
    config.seed = args.seed;
    config.as_of = as_of;
    generate_with_bar(&config)?;
    let paths = opts.store(dir.join("store"));
    if paths.root.exists() {
        std::fs::remove_dir_all(&paths.root)?;
    }
    kesou_indexer::ingest(&paths, &[config.out.clone()], &Bars::default())?;
    Ok(paths)
}

pub fn run(args: EvalChurnArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let (work, _scratch) = match &args.work {
        Some(w) => (w.clone(), Scratch(None)),
        None => {
            let w = std::env::temp_dir().join(format!("kesou-eval-churn-{}", std::process::id()));
            (w.clone(), Scratch(Some(w)))
        }
    };
    let later_day = args.as_of + Days::new(HORIZON_DAYS);
    let quiet = args.format == "json";
    if !quiet {
        println!(
            "world of {} customers (seed {}) up to {} and again up to {}, in {}",
            count(args.customers as u64),
            args.seed,
            args.as_of,
            later_day,
            work.display()
        );
    }
    let at = world(
        &args,
        args.as_of,
        &work.join(format!("to-{}", args.as_of)),
        opts,
    )?;
    let conn = kesou_indexer::store::open_db(&at, kesou_indexer::store::Open::Read)?;
    let model = churn::train(&conn, args.as_of, &TrainOptions { seed: args.seed })?;
    if !quiet {
        print_train(&model.info.report);
    }
    let later = world(
        &args,
        later_day,
        &work.join(format!("to-{later_day}")),
        opts,
    )?;
    let later_conn = kesou_indexer::store::open_db(&later, kesou_indexer::store::Open::Read)?;
    let r = churn::forward_test(&model, &conn, &later_conn)?;
    if quiet {
        let out = serde_json::json!({ "train": model.info.report, "forward": r });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!();
    println!(
        "forward test: {} customers buying on {}, {} ({:.1}%) ordered nothing by {} · same world: {}",
        count(r.customers as u64),
        r.scored_at,
        count(r.churned as u64),
        100.0 * r.churn_rate,
        r.outcome_at,
        if r.world_mismatches == 0 {
            "yes (features at the scored day identical in both stores)".to_owned()
        } else {
            format!("NO: {} customers differ", r.world_mismatches)
        }
    );
    let mut t = Table::new(["ranking", "AUC", "precision@10%"]);
    t.row([
        format!("{} (trained to {})", r.kind, model.info.report.as_of),
        format!("{:.3}", r.model.auc),
        format!("{:.3}", r.model.precision_at_10),
    ]);
    t.row([
        "baseline: days since last order".into(),
        format!("{:.3}", r.baseline.auc),
        format!("{:.3}", r.baseline.precision_at_10),
    ]);
    t.print();
    print_bands(&r.bands);
    println!("log loss {:.3}", r.log_loss);
    Ok(())
}

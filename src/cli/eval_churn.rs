//! `kesou eval churn`: the forward test of the churn model on generated worlds.

use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};
use kesou_datagen::GenerateConfig;
use kesou_indexer::StorePaths;
use kesou_models::churn::{self, HORIZON_DAYS, TrainOptions};

use super::generate::generate_with_bar;
use super::output::{Table, count};
use super::progress::Bars;
use super::train::{print_bands, print_json, print_train, same_world};

#[derive(Debug, clap::Args)]
pub struct EvalChurnArgs {
    /// How many customers in the generated world.
    #[arg(long, default_value_t = 20_000)]
    pub customers: usize,
    /// Random seed of the world and of the model.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The day the model scores (D); the outcome is read at D + the horizon (180 days for
    /// churn, 90 for opportunity).
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
pub(super) struct Scratch(Option<PathBuf>);

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// The folder an evaluation works in: `work` when given (kept), else a temporary folder
/// named after `what`, removed when the [`Scratch`] is dropped.
pub(super) fn work_dir(work: &Option<PathBuf>, what: &str) -> (PathBuf, Scratch) {
    match work {
        Some(w) => (w.clone(), Scratch(None)),
        None => {
            let w = std::env::temp_dir().join(format!("kesou-eval-{what}-{}", std::process::id()));
            (w.clone(), Scratch(Some(w)))
        }
    }
}

/// Generates the world of `customers` and `seed` up to `as_of` into `dir/source` and loads it
/// into `dir/store`.
pub(super) fn world(
    customers: usize,
    seed: u64,
    as_of: NaiveDate,
    dir: &Path,
    opts: &super::options::Options,
) -> anyhow::Result<StorePaths> {
    let mut config = GenerateConfig::new(dir.join("source"));
    config.customers = customers;
    config.seed = seed;
    config.as_of = as_of;
    generate_with_bar(&config)?;
    let paths = opts.store(dir.join("store"));
    if paths.root.exists() {
        std::fs::remove_dir_all(&paths.root)?;
    }
    kesou_indexer::ingest(&paths, &[config.out.clone()], &Bars::default())?;
    Ok(paths)
}

/// The two stores of a forward test, open for reading: the world up to D and the same
/// world up to D + the model's horizon; the work folder goes with them unless kept.
pub(super) struct Worlds {
    pub at: duckdb::Connection,
    pub later: duckdb::Connection,
    _scratch: Scratch,
}

/// Generates and loads both worlds of a forward test over `horizon_days` (`what` names the
/// temporary folder), saying where unless the output is JSON.
pub(super) fn worlds(
    args: &EvalChurnArgs,
    horizon_days: u64,
    what: &str,
    opts: &super::options::Options,
) -> anyhow::Result<Worlds> {
    let (work, scratch) = work_dir(&args.work, what);
    let later_day = args.as_of + Days::new(horizon_days);
    if args.format != "json" {
        println!(
            "world of {} customers (seed {}) up to {} and again up to {}, in {}",
            count(args.customers as u64),
            args.seed,
            args.as_of,
            later_day,
            work.display()
        );
    }
    let open = |day: NaiveDate| -> anyhow::Result<duckdb::Connection> {
        let paths = world(
            args.customers,
            args.seed,
            day,
            &work.join(format!("to-{day}")),
            opts,
        )?;
        Ok(kesou_indexer::store::open_db(
            &paths,
            kesou_indexer::store::Open::Read,
        )?)
    };
    Ok(Worlds {
        at: open(args.as_of)?,
        later: open(later_day)?,
        _scratch: scratch,
    })
}

pub fn run(args: EvalChurnArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let w = worlds(&args, HORIZON_DAYS, "churn", opts)?;
    let quiet = args.format == "json";
    let model = churn::train(&w.at, args.as_of, &TrainOptions { seed: args.seed })?;
    if !quiet {
        print_train(&model.info.report);
    }
    let r = churn::forward_test(&model, &w.at, &w.later)?;
    if quiet {
        return print_json("forward", &model.info.report, &r);
    }
    println!();
    println!(
        "forward test: {} customers buying on {}, {} ({:.1}%) ordered nothing by {} · same world: {}",
        count(r.customers as u64),
        r.scored_at,
        count(r.churned as u64),
        100.0 * r.churn_rate,
        r.outcome_at,
        same_world(r.world_mismatches)
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

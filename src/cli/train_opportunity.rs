//! `kesou train opportunity` and `kesou eval opportunity`: the purchase-propensity model
//! (购买意向, 商机) trained on a store and scored, or forward-tested on a generated world.

use kesou_indexer::StorePaths;
use kesou_models::churn::TrainOptions;
use kesou_models::opportunity::{
    self, HORIZON_DAYS, HeldOut, PropensityModel, ScoreReport, TrainReport,
};

use super::eval_churn::{EvalChurnArgs, worlds};
use super::output::{Table, count};
use super::progress::Bars;
use super::train::{ChurnArgs, print_candidates, print_json, same_world, train_on};

pub fn run(args: ChurnArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let paths = opts.store(&args.store.data);
    let (model, scores) = train_and_score(&paths, args.seed)?;
    if args.format == "json" {
        return print_json("score", &model.info.report, &scores);
    }
    print_train(&model.info.report);
    println!(
        "model saved in {}",
        kesou_models::churn::model_dir(&paths).display()
    );
    print_score(&scores);
    Ok(())
}

/// Trains on the store, saves the model and scores the store with it.
pub fn train_and_score(
    paths: &StorePaths,
    seed: u64,
) -> anyhow::Result<(PropensityModel, ScoreReport)> {
    let model = train_on(paths, |conn, as_of| {
        opportunity::train(conn, as_of, &TrainOptions { seed })
    })?;
    model.save(paths)?;
    let scores = opportunity::score_with(paths, &model, &Bars::default())?;
    Ok((model, scores))
}

pub fn print_train(r: &TrainReport) {
    println!(
        "trained on {} customers known on {} (cut-off = as_of {} − 90 days): {} ({:.1}%) ordered since",
        count(r.known_at_cutoff as u64),
        r.cutoff,
        r.as_of,
        count(r.ordered as u64),
        100.0 * r.base_rate
    );
    println!(
        "split by customer: {} training, {} validation, {} held out · {} features · {:.1} s (features {:.1} s)",
        count(r.split[0] as u64),
        count(r.split[1] as u64),
        count(r.split[2] as u64),
        r.features,
        r.seconds,
        r.feature_seconds
    );
    print_candidates(&r.candidates, r.chosen);
    println!("held-out customers ({}):", count(r.split[2] as u64));
    print_measures(&format!("{} (calibrated)", r.chosen), &r.held_out);
}

/// The model against the baseline and a random pick, on one set of customers.
fn print_measures(model: &str, h: &HeldOut) {
    let mut t = Table::new(["ranking", "AUC", "precision@10%", "precision@20%"]);
    t.row([
        model.to_owned(),
        format!("{:.3}", h.model.auc),
        format!("{:.3}", h.model.precision_at_10),
        format!("{:.3}", h.precision_at_20),
    ]);
    t.row([
        "baseline: recency and frequency".into(),
        format!("{:.3}", h.baseline.auc),
        format!("{:.3}", h.baseline.precision_at_10),
        "-".into(),
    ]);
    t.row([
        "random pick (base rate)".into(),
        "0.500".into(),
        format!("{:.3}", h.base_rate),
        format!("{:.3}", h.base_rate),
    ]);
    t.print();
    println!(
        "top 10% lift over the base rate: {:.2}× · log loss {:.3} · mean probability {:.3}",
        h.lift_at_10, h.log_loss, h.mean_score
    );
}

pub fn print_score(s: &ScoreReport) {
    println!(
        "scored {} customers known on {} with the {} in {:.1} s · generation {} · {} changed, {} cleared · mean propensity {:.3}, {} at 0.5 or more",
        count(s.scored as u64),
        s.as_of,
        s.kind,
        s.seconds,
        s.generation,
        count(s.changed as u64),
        count(s.cleared as u64),
        s.mean,
        count(s.at_least_half as u64)
    );
}

/// `kesou eval opportunity`: trains on a world to D, reads the outcome in the same world to
/// D + 90 days.
pub fn eval(args: EvalChurnArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let w = worlds(&args, HORIZON_DAYS, "opportunity", opts)?;
    let quiet = args.format == "json";
    let model = opportunity::train(&w.at, args.as_of, &TrainOptions { seed: args.seed })?;
    if !quiet {
        print_train(&model.info.report);
    }
    let r = opportunity::forward_test(&model, &w.at, &w.later)?;
    if quiet {
        return print_json("forward", &model.info.report, &r);
    }
    println!();
    println!(
        "forward test: {} customers known on {}, {} ({:.1}%) ordered by {} · same world: {}",
        count(r.customers as u64),
        r.scored_at,
        count(r.ordered as u64),
        100.0 * r.measures.base_rate,
        r.outcome_at,
        same_world(r.world_mismatches)
    );
    print_measures(
        &format!("{} (trained to {})", r.kind, model.info.report.as_of),
        &r.measures,
    );
    Ok(())
}

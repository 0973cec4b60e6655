//! Training on a store's own history. The cut-off is as_of − 180 days: the customers buying
//! then (an order in the 180 days up to it) are described by what was known at the cut-off,
//! and labelled churned when they ordered nothing after it up to as_of (lifecycle 流失 at
//! as_of). [`crate::tabular::select`] splits, fits, keeps and calibrates the better model;
//! the baseline it is measured against ranks by days since the last order alone.

use std::time::Instant;

use chrono::{Days, NaiveDate};
use duckdb::Connection;

use super::model::ChurnModel;
use super::report::{Counts, HeldOut, TrainReport};
use crate::tabular::features::{self, Population};
use crate::tabular::metrics;
use crate::tabular::select::{self, Outcome};
use crate::{Error, Result};

/// The horizon: churned means no order in this many days (the glossary's 流失).
pub const HORIZON_DAYS: u64 = 180;

/// The fewest customers buying at the cut-off, and of each outcome, to learn from.
const MIN_CUSTOMERS: usize = 200;
const MIN_PER_CLASS: usize = 20;

/// Training options. `TrainOptions::default()` gives seed 42.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// The same seed and store give the same model.
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions { seed: 42 }
    }
}

/// as_of − 180 days.
pub fn cutoff(as_of: NaiveDate) -> NaiveDate {
    as_of - Days::new(HORIZON_DAYS)
}

/// Trains a churn model on the store's history up to `as_of` (the model is returned, not yet
/// saved).
pub fn train(conn: &Connection, as_of: NaiveDate, options: &TrainOptions) -> Result<ChurnModel> {
    let started = Instant::now();
    let cut = cutoff(as_of);
    let pop = features::population(conn, cut)?;
    let labels = churned(conn, &pop, as_of)?;
    let feature_seconds = started.elapsed().as_secs_f64();
    let churned = labels.iter().filter(|l| **l).count();
    if pop.len() < MIN_CUSTOMERS || churned < MIN_PER_CLASS || pop.len() - churned < MIN_PER_CLASS {
        return Err(Error::BadInput(format!(
            "not enough history to learn churn from: {} customers were buying on {cut} (as_of − 180 days), {churned} of them churned by {as_of}; \
             need at least {MIN_CUSTOMERS}, with {MIN_PER_CLASS} who churned and {MIN_PER_CLASS} who did not. Load orders going back at least a year before as_of",
            pop.len()
        )));
    }
    let learned = select::learn(
        &pop,
        &labels,
        |r| r.recency,
        options.seed,
        Outcome {
            yes: "churned",
            no: "stayed",
        },
    )?;
    let (model, baseline) = (learned.model, learned.baseline);
    let beats_baseline =
        model.auc > baseline.auc && model.precision_at_10 >= baseline.precision_at_10;
    let note = (!beats_baseline).then(|| {
        format!(
            "the model does not beat ranking by days since the last order (AUC {:.3} vs {:.3}, precision@10% {:.3} vs {:.3}): \
             in this history, when a customer last ordered says as much about churn as everything else known",
            model.auc, baseline.auc, model.precision_at_10, baseline.precision_at_10
        )
    });
    let (risks, test_y) = (&learned.test_scores, &learned.test_labels);
    let report = TrainReport {
        as_of: as_of.to_string(),
        cutoff: cut.to_string(),
        seed: options.seed,
        store_generation: kesou_indexer::store::generation(conn)?,
        customers: Counts {
            buying_at_cutoff: pop.len(),
            churned,
            train: learned.sizes[0],
            validation: learned.sizes[1],
            test: learned.sizes[2],
        },
        churn_rate: churned as f64 / pop.len() as f64,
        features: learned.encoder.columns.len(),
        chosen: learned.chosen,
        candidates: learned.candidates,
        held_out: HeldOut {
            model,
            baseline,
            log_loss: metrics::log_loss(risks, test_y),
            bands: metrics::bands(risks, Some(test_y)),
        },
        beats_baseline,
        note,
        top_weights: learned.top_weights,
        feature_seconds,
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok(ChurnModel::new(
        learned.net.kind,
        learned.net,
        learned.encoder,
        learned.calibration,
        report,
    ))
}

/// Whether each customer of `pop` churned by `until`: no order after the population's day up
/// to `until`. With `until` 180 days after the day, that is lifecycle 流失 on `until`.
pub fn churned(conn: &Connection, pop: &Population, until: NaiveDate) -> Result<Vec<bool>> {
    let day = pop
        .day
        .ok_or_else(|| Error::BadInput("a population without its day".into()))?;
    let bought = features::ordered_between(conn, day, until)?;
    Ok(pop.ids.iter().map(|id| !bought.contains(id)).collect())
}

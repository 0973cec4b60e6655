//! Training on a store's own history: the customers known at the cut-off (as_of − 90 days),
//! described by what was known then, labelled by whether they ordered after it up to as_of.

use std::time::Instant;

use chrono::{Days, NaiveDate};
use duckdb::Connection;

use super::model::PropensityModel;
use super::report::{HeldOut, TrainReport};
use crate::churn::TrainOptions;
use crate::tabular::features::{self, Cohort, Population, Raw};
use crate::tabular::metrics::{self, precision_at};
use crate::tabular::select::{self, Outcome};
use crate::{Error, Result};

/// The horizon: an order within this many days.
pub const HORIZON_DAYS: u64 = 90;

/// Days since the last order assumed for a customer that never ordered (as churn's encoder
/// assumes for a customer never contacted): longer ago than any real order in the history.
const NEVER: f64 = 3650.0;

/// The fewest customers known at the cut-off, and of each outcome, to learn from.
const MIN_CUSTOMERS: usize = 200;
const MIN_PER_CLASS: usize = 20;

/// as_of − 90 days.
pub fn cutoff(as_of: NaiveDate) -> NaiveDate {
    as_of - Days::new(HORIZON_DAYS)
}

/// The customers known on `day` (an order or an interaction on or before it) with what was
/// known of them that day; a customer without orders last ordered [`NEVER`] days ago.
pub fn population(conn: &Connection, day: NaiveDate) -> Result<Population> {
    let mut pop = features::cohort(conn, day, Cohort::Known)?;
    for r in &mut pop.raw {
        if r.recency.is_nan() {
            r.recency = NEVER;
            r.tenure = 0.0;
        }
    }
    Ok(pop)
}

/// Whether each customer of `pop` ordered after the population's day up to `until`.
pub fn ordered(conn: &Connection, pop: &Population, until: NaiveDate) -> Result<Vec<bool>> {
    let day = pop
        .day
        .ok_or_else(|| Error::BadInput("a population without its day".into()))?;
    let bought = features::ordered_between(conn, day, until)?;
    Ok(pop.ids.iter().map(|id| bought.contains(id)).collect())
}

/// Recency and frequency, the ranking a sales team would make without a model: more orders
/// in the last year and a more recent last order rank higher.
pub fn baseline(r: &Raw) -> f64 {
    r.orders_365.max(0.0).ln_1p() - r.recency.max(0.0).ln_1p()
}

/// Trains a purchase-propensity model on the store's history up to `as_of` (returned, not
/// yet saved).
pub fn train(
    conn: &Connection,
    as_of: NaiveDate,
    options: &TrainOptions,
) -> Result<PropensityModel> {
    let started = Instant::now();
    let cut = cutoff(as_of);
    let pop = population(conn, cut)?;
    let labels = ordered(conn, &pop, as_of)?;
    let feature_seconds = started.elapsed().as_secs_f64();
    let yes = labels.iter().filter(|l| **l).count();
    if pop.len() < MIN_CUSTOMERS || yes < MIN_PER_CLASS || pop.len() - yes < MIN_PER_CLASS {
        return Err(Error::BadInput(format!(
            "not enough history to learn who orders from: {} customers were known on {cut} (as_of − 90 days), {yes} of them ordered by {as_of}; \
             need at least {MIN_CUSTOMERS}, with {MIN_PER_CLASS} who ordered and {MIN_PER_CLASS} who did not. Load orders going back at least a year before as_of",
            pop.len()
        )));
    }
    let learned = select::learn(
        &pop,
        &labels,
        baseline,
        options.seed,
        Outcome {
            yes: "ordered",
            no: "did not order",
        },
    )?;
    let (scores, test_y) = (&learned.test_scores, &learned.test_labels);
    let held_out = HeldOut::new(learned.model, learned.baseline, scores, test_y);
    let report = TrainReport {
        as_of: as_of.to_string(),
        cutoff: cut.to_string(),
        seed: options.seed,
        store_generation: kesou_indexer::store::generation(conn)?,
        known_at_cutoff: pop.len(),
        ordered: yes,
        split: learned.sizes,
        base_rate: yes as f64 / pop.len() as f64,
        features: learned.encoder.columns.len(),
        chosen: learned.chosen,
        candidates: learned.candidates,
        held_out,
        top_weights: learned.top_weights,
        feature_seconds,
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok(PropensityModel::new(
        learned.net.kind,
        learned.net,
        learned.encoder,
        learned.calibration,
        report,
    ))
}

impl HeldOut {
    /// The measures of `scores` against the outcomes `labels`.
    pub fn new(
        model: metrics::Ranking,
        baseline: metrics::Ranking,
        scores: &[f64],
        labels: &[bool],
    ) -> HeldOut {
        let base_rate = labels.iter().filter(|l| **l).count() as f64 / labels.len().max(1) as f64;
        HeldOut {
            model,
            baseline,
            base_rate,
            lift_at_10: model.precision_at_10 / base_rate.max(1e-9),
            precision_at_20: precision_at(scores, labels, 0.2).unwrap_or(0.0),
            log_loss: metrics::log_loss(scores, labels),
            mean_score: scores.iter().sum::<f64>() / scores.len().max(1) as f64,
        }
    }
}

//! The forward test (`kesou eval opportunity`): a model trained on a world up to a day D
//! scores the customers known at D; the same world generated up to D + 90 days says who of
//! them really ordered. The recency-and-frequency baseline is measured on the same
//! customers, and the later world is checked to be the same world.

use duckdb::Connection;
use serde::{Deserialize, Serialize};

use super::learn::{HORIZON_DAYS, baseline, ordered, population};
use super::model::PropensityModel;
use super::report::HeldOut;
use crate::tabular::features;
use crate::tabular::metrics::Ranking;
use crate::tabular::net::Kind;
use crate::{Error, Result};

/// What the forward test found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForwardReport {
    /// The day scored (the first store's as_of).
    pub scored_at: String,
    /// The day the outcome is read (scored_at + 90 days).
    pub outcome_at: String,
    pub kind: Kind,
    /// Customers known at `scored_at`.
    pub customers: usize,
    /// Of them, those who ordered in the 90 days after.
    pub ordered: usize,
    pub measures: HeldOut,
    /// Customers known at `scored_at` whose features differ between the two stores.
    pub world_mismatches: usize,
    pub seconds: f64,
}

/// Scores the customers known at `at`'s as_of with `model`, and checks them against what
/// `later` (the same world, 90 or more days on) says happened.
pub fn forward_test(
    model: &PropensityModel,
    at: &Connection,
    later: &Connection,
) -> Result<ForwardReport> {
    let started = std::time::Instant::now();
    let (day, until) = features::outcome_days(at, later, HORIZON_DAYS)?;
    let pop = population(at, day)?;
    let again = population(later, day)?;
    let world_mismatches = features::mismatches(&pop, &again);
    let scores = model.risks(&pop)?;
    let labels = ordered(later, &pop, until)?;
    let base: Vec<f64> = pop.raw.iter().map(baseline).collect();
    let both = Ranking::of(&scores, &labels).zip(Ranking::of(&base, &labels));
    let Some((model_rank, base_rank)) = both else {
        return Err(Error::BadInput(format!(
            "of the {} customers known on {day}, all or none ordered by {until}: nothing to measure",
            pop.len()
        )));
    };
    Ok(ForwardReport {
        scored_at: day.to_string(),
        outcome_at: until.to_string(),
        kind: model.info.kind,
        customers: pop.len(),
        ordered: labels.iter().filter(|l| **l).count(),
        measures: HeldOut::new(model_rank, base_rank, &scores, &labels),
        world_mismatches,
        seconds: started.elapsed().as_secs_f64(),
    })
}

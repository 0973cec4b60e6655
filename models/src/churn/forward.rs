//! The forward test (`kesou eval churn`): a model trained on a world up to a day D scores the
//! customers buying at D; the same world generated up to D + 180 days says who of them really
//! ordered nothing in those 180 days. The recency baseline is measured on the same customers.
//! The later world is also checked to be the same world: the customers buying at D, and what
//! was known of them at D, must be identical in both stores.

use duckdb::Connection;
use serde::{Deserialize, Serialize};

use super::learn::{HORIZON_DAYS, churned};
use super::model::ChurnModel;
use crate::tabular::features;
use crate::tabular::metrics::{self, Band, Ranking};
use crate::tabular::net::Kind;
use crate::{Error, Result};

/// What the forward test found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForwardReport {
    /// The day scored (the first store's as_of).
    pub scored_at: String,
    /// The day the outcome is read (scored_at + 180 days).
    pub outcome_at: String,
    pub kind: Kind,
    /// Customers buying at `scored_at`.
    pub customers: usize,
    /// Of them, those with no order in the 180 days after.
    pub churned: usize,
    pub churn_rate: f64,
    pub model: Ranking,
    pub baseline: Ranking,
    pub log_loss: f64,
    pub bands: Vec<Band>,
    /// Customers buying at `scored_at` whose features differ between the two stores (0 when
    /// the later world only extends the earlier one).
    pub world_mismatches: usize,
    pub seconds: f64,
}

/// Scores the customers buying at `at`'s as_of with `model`, and checks them against what
/// `later` (the same world, 180 or more days on) says happened.
pub fn forward_test(
    model: &ChurnModel,
    at: &Connection,
    later: &Connection,
) -> Result<ForwardReport> {
    let started = std::time::Instant::now();
    let (day, until) = features::outcome_days(at, later, HORIZON_DAYS)?;
    let pop = features::population(at, day)?;
    let again = features::population(later, day)?;
    let world_mismatches = features::mismatches(&pop, &again);
    let risks = model.risks(&pop)?;
    let labels = churned(later, &pop, until)?;
    let recency: Vec<f64> = pop.raw.iter().map(|r| r.recency).collect();
    let both = Ranking::of(&risks, &labels).zip(Ranking::of(&recency, &labels));
    let Some((model_rank, baseline)) = both else {
        return Err(Error::BadInput(format!(
            "of the {} customers buying on {day}, all or none ordered again by {until}: nothing to measure",
            pop.len()
        )));
    };
    let churned = labels.iter().filter(|l| **l).count();
    Ok(ForwardReport {
        scored_at: day.to_string(),
        outcome_at: until.to_string(),
        kind: model.info.kind,
        customers: pop.len(),
        churned,
        churn_rate: churned as f64 / pop.len().max(1) as f64,
        model: model_rank,
        baseline,
        log_loss: metrics::log_loss(&risks, &labels),
        bands: metrics::bands(&risks, Some(&labels)),
        world_mismatches,
        seconds: started.elapsed().as_secs_f64(),
    })
}

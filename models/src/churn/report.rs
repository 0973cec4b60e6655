//! What training and scoring report: sizes, the candidates on validation, the chosen model
//! against the recency baseline on held-out customers, the risk bands, and the time taken.
//! The training report is saved with the model.

use serde::{Deserialize, Serialize};

use crate::tabular::metrics::{Band, Ranking};
use crate::tabular::model::Report;
use crate::tabular::net::Kind;
use crate::tabular::select::Candidate;
use crate::tabular::write::Stamped;

/// How many customers took part, and how many churned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Customers buying at the cut-off (an order in the 180 days up to it).
    pub buying_at_cutoff: usize,
    /// Of them, those with no order after the cut-off up to as_of (流失 at as_of).
    pub churned: usize,
    pub train: usize,
    pub validation: usize,
    pub test: usize,
}

/// The chosen model and the baseline on the held-out (test) customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldOut {
    pub model: Ranking,
    /// Ranking by days since the last order alone.
    pub baseline: Ranking,
    /// Log loss of the calibrated risks.
    pub log_loss: f64,
    /// The glossary's bands on these customers, with the churn rate observed in each.
    pub bands: Vec<Band>,
}

/// How training went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// The store's as_of: labels are read up to it.
    pub as_of: String,
    /// as_of − 180 days: features are read up to it.
    pub cutoff: String,
    pub seed: u64,
    pub store_generation: u64,
    pub customers: Counts,
    pub churn_rate: f64,
    /// Input columns of the model.
    pub features: usize,
    pub candidates: Vec<Candidate>,
    pub chosen: Kind,
    pub held_out: HeldOut,
    pub beats_baseline: bool,
    /// Why the model does not beat the baseline, when it does not.
    pub note: Option<String>,
    /// The logistic regression's largest weights (standardised columns), strongest first.
    pub top_weights: Vec<(String, f32)>,
    pub feature_seconds: f64,
    pub seconds: f64,
}

/// How scoring went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreReport {
    pub as_of: String,
    pub kind: Kind,
    /// Customers buying at as_of, now with a churn risk.
    pub scored: usize,
    /// Customers whose risk or factors changed (and are re-indexed).
    pub changed: usize,
    /// Customers whose risk was taken away (no longer buying, or gone).
    pub cleared: usize,
    pub generation: u64,
    pub bands: Vec<Band>,
    pub feature_seconds: f64,
    pub model_seconds: f64,
    pub write_seconds: f64,
    pub index_seconds: f64,
    pub seconds: f64,
}

impl Report for TrainReport {
    const NAME: &'static str = "churn";
    const TRAIN_COMMAND: &'static str = "kesou train churn";
}

impl Stamped for ScoreReport {
    fn stamp(&mut self, generation: u64, index_seconds: f64, seconds: f64) {
        self.generation = generation;
        self.index_seconds = index_seconds;
        self.seconds = seconds;
    }
}

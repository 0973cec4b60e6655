//! What training, scoring and the forward test of the propensity model report. The
//! training report is saved with the model.

use serde::{Deserialize, Serialize};

use crate::tabular::metrics::Ranking;
use crate::tabular::model::Report;
use crate::tabular::net::Kind;
use crate::tabular::select::Candidate;
use crate::tabular::write::Stamped;

/// The chosen model and the recency-and-frequency baseline on one set of customers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeldOut {
    pub model: Ranking,
    /// ln(1 + orders in the last year) − ln(1 + days since the last order).
    pub baseline: Ranking,
    /// The share of these customers who ordered: what precision a random pick gets.
    pub base_rate: f64,
    /// The model's precision among its top 10% over the base rate.
    pub lift_at_10: f64,
    pub precision_at_20: f64,
    /// Log loss of the calibrated probabilities.
    pub log_loss: f64,
    /// Mean probability (calibrated: near the base rate).
    pub mean_score: f64,
}

/// How training went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// The store's as_of: outcomes are read up to it.
    pub as_of: String,
    /// as_of − 90 days: features are read up to it.
    pub cutoff: String,
    pub seed: u64,
    pub store_generation: u64,
    /// Customers with an order or interaction on or before the cut-off.
    pub known_at_cutoff: usize,
    /// Of them, those who ordered after the cut-off up to as_of.
    pub ordered: usize,
    /// Training, validation and held-out customers.
    pub split: [usize; 3],
    pub base_rate: f64,
    pub features: usize,
    pub candidates: Vec<Candidate>,
    pub chosen: Kind,
    pub held_out: HeldOut,
    /// The logistic regression's largest weights (standardised columns), strongest first.
    pub top_weights: Vec<(String, f32)>,
    pub feature_seconds: f64,
    pub seconds: f64,
}

impl Report for TrainReport {
    const NAME: &'static str = "propensity";
    const TRAIN_COMMAND: &'static str = "kesou train opportunity";
}

/// How scoring went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreReport {
    pub as_of: String,
    pub kind: Kind,
    /// Customers known at as_of, now with a propensity.
    pub scored: usize,
    /// Customers whose propensity or reasons changed (and are re-indexed).
    pub changed: usize,
    /// Customers whose propensity was taken away.
    pub cleared: usize,
    pub generation: u64,
    /// Mean propensity, and how many have at least 0.5.
    pub mean: f64,
    pub at_least_half: usize,
    /// Re-indexing the changed customers.
    pub index_seconds: f64,
    pub seconds: f64,
}

impl Stamped for ScoreReport {
    fn stamp(&mut self, generation: u64, index_seconds: f64, seconds: f64) {
        self.generation = generation;
        self.index_seconds = index_seconds;
        self.seconds = seconds;
    }
}

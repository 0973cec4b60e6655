//! Training on a store's own history. The cut-off is as_of − 180 days: the customers buying
//! then (an order in the 180 days up to it) are described by what was known at the cut-off,
//! and labelled churned when they ordered nothing after it up to as_of (lifecycle 流失 at
//! as_of). They are split by a hash of their id into training (60%), validation (20%) and
//! held-out test customers (20%). A logistic regression and a small MLP are fitted; the one
//! with the better validation AUC is kept, calibrated on validation, and measured on the
//! held-out customers next to the baseline that ranks by days since the last order alone.

use std::time::Instant;

use chrono::{Days, NaiveDate};
use duckdb::Connection;

use super::calibrate::Platt;
use super::encode::Encoder;
use super::features::{self, Population};
use super::metrics::{self, Ranking};
use super::model::ChurnModel;
use super::net::Kind;
use super::report::{Candidate, Counts, HeldOut, TrainReport};
use super::rng::hash_str;
use super::train::{self, Settings};
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

/// Which part of the split a customer is in: 0 training, 1 validation, 2 test.
fn part(seed: u64, id: &str) -> usize {
    match hash_str(seed, id) % 10 {
        0..=5 => 0,
        6 | 7 => 1,
        _ => 2,
    }
}

/// Trains a churn model on the store's history up to `as_of` (the model is returned, not yet
/// saved).
pub fn train(conn: &Connection, as_of: NaiveDate, options: &TrainOptions) -> Result<ChurnModel> {
    let started = Instant::now();
    let cut = cutoff(as_of);
    let pop = features::population(conn, cut)?;
    let labels = features::churned(conn, &pop, as_of)?;
    let feature_seconds = started.elapsed().as_secs_f64();
    let churned = labels.iter().filter(|l| **l).count();
    if pop.len() < MIN_CUSTOMERS || churned < MIN_PER_CLASS || pop.len() - churned < MIN_PER_CLASS {
        return Err(Error::BadInput(format!(
            "not enough history to learn churn from: {} customers were buying on {cut} (as_of − 180 days), {churned} of them churned by {as_of}; \
             need at least {MIN_CUSTOMERS}, with {MIN_PER_CLASS} who churned and {MIN_PER_CLASS} who did not. Load orders going back at least a year before as_of",
            pop.len()
        )));
    }
    let mut parts: [Vec<usize>; 3] = Default::default();
    for (i, id) in pop.ids.iter().enumerate() {
        parts[part(options.seed, id)].push(i);
    }
    let split = |p: usize| -> (Population, Vec<bool>) {
        (
            pop.select(&parts[p]),
            parts[p].iter().map(|&i| labels[i]).collect(),
        )
    };
    let (train_pop, train_y) = split(0);
    let (val_pop, val_y) = split(1);
    let (test_pop, test_y) = split(2);
    let encoder = Encoder::fit(&train_pop);
    let (train_x, val_x, test_x) = (
        encoder.encode(&train_pop),
        encoder.encode(&val_pop),
        encoder.encode(&test_pop),
    );

    let mut candidates = Vec::new();
    let mut fitted = Vec::new();
    for kind in [Kind::Logistic, Kind::Mlp] {
        let t = Instant::now();
        let f = train::fit(
            kind,
            &train_x,
            &train_y,
            &val_x,
            &val_y,
            &Settings::for_kind(kind, train_x.rows, options.seed),
        )?;
        let val_logits = f.net.logits(&val_x)?;
        let validation = Ranking::of(&val_logits, &val_y).ok_or_else(|| {
            Error::BadInput(
                "the validation customers all churned or all stayed; load more customers".into(),
            )
        })?;
        tracing::info!(%kind, auc = validation.auc, epochs = f.epochs, "fitted");
        candidates.push(Candidate {
            kind,
            epochs: f.epochs,
            best_epoch: f.best_epoch,
            validation_loss: f.validation_loss,
            validation,
            seconds: t.elapsed().as_secs_f64(),
        });
        fitted.push((f.net, val_logits));
    }
    // The MLP is kept only when it wins on validation; on a tie the simpler model stays.
    let chosen = if candidates[1].validation.auc > candidates[0].validation.auc {
        1
    } else {
        0
    };
    let top_weights = top_weights(&encoder, &fitted[0].0)?;
    let (net, val_logits) = fitted.swap_remove(chosen);
    let calibration = Platt::fit(&val_logits, &val_y);

    let risks: Vec<f64> = net
        .logits(&test_x)?
        .into_iter()
        .map(|z| calibration.risk(z))
        .collect();
    let recency: Vec<f64> = test_pop.raw.iter().map(|r| r.recency).collect();
    let model = Ranking::of(&risks, &test_y);
    let baseline = Ranking::of(&recency, &test_y);
    let (Some(model), Some(baseline)) = (model, baseline) else {
        return Err(Error::BadInput(
            "the held-out customers all churned or all stayed; load more customers".into(),
        ));
    };
    let beats_baseline =
        model.auc > baseline.auc && model.precision_at_10 >= baseline.precision_at_10;
    let note = (!beats_baseline).then(|| {
        format!(
            "the model does not beat ranking by days since the last order (AUC {:.3} vs {:.3}, precision@10% {:.3} vs {:.3}): \
             in this history, when a customer last ordered says as much about churn as everything else known",
            model.auc, baseline.auc, model.precision_at_10, baseline.precision_at_10
        )
    });
    let report = TrainReport {
        as_of: as_of.to_string(),
        cutoff: cut.to_string(),
        seed: options.seed,
        store_generation: kesou_indexer::store::generation(conn)?,
        customers: Counts {
            buying_at_cutoff: pop.len(),
            churned,
            train: train_y.len(),
            validation: val_y.len(),
            test: test_y.len(),
        },
        churn_rate: churned as f64 / pop.len() as f64,
        features: encoder.columns.len(),
        chosen: candidates[chosen].kind,
        candidates,
        held_out: HeldOut {
            model,
            baseline,
            log_loss: metrics::log_loss(&risks, &test_y),
            bands: metrics::bands(&risks, Some(&test_y)),
        },
        beats_baseline,
        note,
        top_weights,
        feature_seconds,
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok(ChurnModel::new(net.kind, net, encoder, calibration, report))
}

/// The logistic regression's ten largest weights by size.
fn top_weights(encoder: &Encoder, lr: &super::net::Net) -> Result<Vec<(String, f32)>> {
    let Some(w) = lr.coefficients()? else {
        return Ok(Vec::new());
    };
    let mut named: Vec<(String, f32)> = encoder.columns.iter().cloned().zip(w).collect();
    named.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    named.truncate(10);
    Ok(named)
}

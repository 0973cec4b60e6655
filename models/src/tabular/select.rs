//! Learning one yes/no outcome from a population: customers split by a hash of their id into
//! training (60%), validation (20%) and held-out test customers (20%); a logistic regression
//! and a small MLP fitted; the one with the better validation AUC kept (on a tie the simpler
//! model), calibrated on validation, and measured on the held-out customers next to a
//! baseline score. What the outcome means, and the words when it cannot be learned, are the
//! caller's.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::calibrate::Platt;
use super::encode::Encoder;
use super::features::{Population, Raw};
use super::fit::{self, Settings};
use super::metrics::Ranking;
use super::net::{Kind, Net};
use super::rng::hash_str;
use crate::{Error, Result};

/// One candidate model as fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub kind: Kind,
    pub epochs: usize,
    pub best_epoch: usize,
    pub validation_loss: f64,
    pub validation: Ranking,
    pub seconds: f64,
}

/// How the outcome reads in a message: "the validation customers all {yes} or all {no}".
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub yes: &'static str,
    pub no: &'static str,
}

/// The kept model with what was learned along the way.
#[derive(Debug)]
pub struct Learned {
    pub encoder: Encoder,
    pub net: Net,
    pub calibration: Platt,
    pub candidates: Vec<Candidate>,
    pub chosen: Kind,
    /// Customers in training, validation and test.
    pub sizes: [usize; 3],
    /// The held-out customers' calibrated probabilities and outcomes.
    pub test_scores: Vec<f64>,
    pub test_labels: Vec<bool>,
    pub model: Ranking,
    pub baseline: Ranking,
    /// The logistic regression's ten largest weights by size.
    pub top_weights: Vec<(String, f32)>,
}

/// Which part of the split a customer is in: 0 training, 1 validation, 2 test.
fn part(seed: u64, id: &str) -> usize {
    match hash_str(seed, id) % 10 {
        0..=5 => 0,
        6 | 7 => 1,
        _ => 2,
    }
}

/// Learns `labels` of `pop`; `baseline` is the score the model must beat on held-out
/// customers (higher means more likely yes).
pub fn learn(
    pop: &Population,
    labels: &[bool],
    baseline: fn(&Raw) -> f64,
    seed: u64,
    outcome: Outcome,
) -> Result<Learned> {
    let mut parts: [Vec<usize>; 3] = Default::default();
    for (i, id) in pop.ids.iter().enumerate() {
        parts[part(seed, id)].push(i);
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
    let unlearnable = |who: &str| {
        Error::BadInput(format!(
            "the {who} customers all {} or all {}; load more customers",
            outcome.yes, outcome.no
        ))
    };

    let mut candidates = Vec::new();
    let mut fitted = Vec::new();
    for kind in [Kind::Logistic, Kind::Mlp] {
        let t = Instant::now();
        let f = fit::fit(
            kind,
            &train_x,
            &train_y,
            &val_x,
            &val_y,
            &Settings::for_kind(kind, train_x.rows, seed),
        )?;
        let val_logits = f.net.logits(&val_x)?;
        let validation =
            Ranking::of(&val_logits, &val_y).ok_or_else(|| unlearnable("validation"))?;
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

    let test_scores: Vec<f64> = net
        .logits(&test_x)?
        .into_iter()
        .map(|z| calibration.risk(z))
        .collect();
    let base: Vec<f64> = test_pop.raw.iter().map(baseline).collect();
    let model = Ranking::of(&test_scores, &test_y);
    let baseline = Ranking::of(&base, &test_y);
    let (Some(model), Some(baseline)) = (model, baseline) else {
        return Err(unlearnable("held-out"));
    };
    Ok(Learned {
        encoder,
        net,
        calibration,
        chosen: candidates[chosen].kind,
        candidates,
        sizes: [train_y.len(), val_y.len(), test_y.len()],
        test_scores,
        test_labels: test_y,
        model,
        baseline,
        top_weights,
    })
}

/// The logistic regression's ten largest weights by size.
fn top_weights(encoder: &Encoder, lr: &Net) -> Result<Vec<(String, f32)>> {
    let Some(w) = lr.coefficients()? else {
        return Ok(Vec::new());
    };
    let mut named: Vec<(String, f32)> = encoder.columns.iter().cloned().zip(w).collect();
    named.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    named.truncate(10);
    Ok(named)
}

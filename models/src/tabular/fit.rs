//! Fitting one model: AdamW on minibatches of the training customers, a numerically stable
//! logistic loss, and early stopping on the validation customers' loss (the best epoch's
//! weights are kept). Deterministic given the seed.

use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use serde::{Deserialize, Serialize};

use super::encode::Matrix;
use super::metrics;
use super::net::{Kind, Net};
use super::rng::SplitMix;
use crate::Result;

/// How a model is fitted. [`Settings::for_kind`] gives the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub seed: u64,
    /// At most this many passes over the training customers.
    pub max_epochs: usize,
    /// Stop after this many epochs without a better validation loss.
    pub patience: usize,
    /// Rows per step: the training rows / 64, from 32 to 1,024, so that a small store
    /// still takes enough steps per epoch and a large one is not slowed by tiny batches.
    pub batch: usize,
    pub learning_rate: f64,
    /// Decoupled weight decay (AdamW): a mild L2 penalty.
    pub weight_decay: f64,
}

impl Settings {
    pub fn for_kind(kind: Kind, rows: usize, seed: u64) -> Settings {
        let batch = (rows / 64).clamp(32, 1_024);
        match kind {
            Kind::Logistic => Settings {
                seed,
                max_epochs: 60,
                patience: 4,
                batch,
                learning_rate: 0.01,
                weight_decay: 1e-4,
            },
            Kind::Mlp => Settings {
                seed,
                max_epochs: 60,
                patience: 5,
                batch,
                learning_rate: 0.002,
                weight_decay: 1e-3,
            },
        }
    }
}

/// A fitted model and how the fitting went.
#[derive(Debug)]
pub struct Fitted {
    pub net: Net,
    pub epochs: usize,
    pub best_epoch: usize,
    pub validation_loss: f64,
}

/// The mean logistic loss of logits `z` against 0/1 targets `y`, in a form that never takes
/// the log of 0: softplus(z) − y·z, with softplus(z) = max(z, 0) + ln(1 + e^−|z|).
fn loss(z: &Tensor, y: &Tensor) -> Result<Tensor> {
    let softplus = (z.relu()? + (z.abs()?.neg()?.exp()? + 1.0)?.log()?)?;
    Ok((softplus - (z * y)?)?.mean_all()?)
}

/// Fits a model of `kind` on the training rows, stopping early on the validation rows.
pub fn fit(
    kind: Kind,
    train_x: &Matrix,
    train_y: &[bool],
    val_x: &Matrix,
    val_y: &[bool],
    s: &Settings,
) -> Result<Fitted> {
    let net = Net::new(kind, train_x.cols, s.seed)?;
    let x = Tensor::from_slice(&train_x.data, (train_x.rows, train_x.cols), &Device::Cpu)?;
    let y: Vec<f32> = train_y.iter().map(|&l| f32::from(u8::from(l))).collect();
    let y = Tensor::from_vec(y, train_x.rows, &Device::Cpu)?;
    let mut opt = AdamW::new(
        net.vars(),
        ParamsAdamW {
            lr: s.learning_rate,
            weight_decay: s.weight_decay,
            ..ParamsAdamW::default()
        },
    )?;
    let mut rng = SplitMix::new(s.seed.wrapping_add(1));
    let mut order: Vec<u32> = (0..train_x.rows as u32).collect();
    let mut best = (f64::INFINITY, 0, net.snapshot()?);
    let mut epochs = 0;
    for epoch in 1..=s.max_epochs {
        epochs = epoch;
        rng.shuffle(&mut order);
        for batch in order.chunks(s.batch) {
            let idx = Tensor::from_slice(batch, batch.len(), &Device::Cpu)?;
            let xb = x.index_select(&idx, 0)?;
            let yb = y.index_select(&idx, 0)?;
            let l = loss(&net.forward(&xb)?, &yb)?;
            opt.backward_step(&l)?;
        }
        let p: Vec<f64> = net.logits(val_x)?.into_iter().map(sigmoid).collect();
        let val = metrics::log_loss(&p, val_y);
        tracing::debug!(%kind, epoch, validation_loss = val, "epoch");
        if val < best.0 - 1e-5 {
            best = (val, epoch, net.snapshot()?);
        } else if epoch - best.1 >= s.patience {
            break;
        }
    }
    net.restore(&best.2)?;
    Ok(Fitted {
        net,
        epochs,
        best_epoch: best.1,
        validation_loss: best.0,
    })
}

pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

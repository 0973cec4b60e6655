//! The two models, as candle tensors: a logistic regression (one linear layer) and a small
//! MLP (two hidden ReLU layers). Both map a standardised row to one logit. Weights start
//! from a seeded stream of our own (candle cannot seed its CPU generator), so training is
//! deterministic given the seed.

use std::collections::HashMap;
use std::fmt;

use candle_core::{DType, Device, Tensor, Var};
use serde::{Deserialize, Serialize};

use super::encode::Matrix;
use super::rng::SplitMix;
use crate::Result;

/// Which model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Logistic,
    Mlp,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Logistic => "logistic regression",
            Kind::Mlp => "MLP",
        })
    }
}

/// Hidden layer widths of the MLP.
pub const MLP_HIDDEN: [usize; 2] = [32, 16];

/// Rows per forward pass when scoring many customers.
const CHUNK: usize = 65_536;

/// A model's layers: `weight (out × in)`, `bias (out)`; ReLU between layers.
#[derive(Debug)]
pub struct Net {
    pub kind: Kind,
    layers: Vec<(Var, Var)>,
}

impl Net {
    /// A fresh model for `inputs` columns: the logistic regression at zero, the MLP with
    /// He-uniform weights from `seed`.
    pub fn new(kind: Kind, inputs: usize, seed: u64) -> Result<Net> {
        let widths: Vec<usize> = match kind {
            Kind::Logistic => vec![inputs, 1],
            Kind::Mlp => [&[inputs][..], &MLP_HIDDEN[..], &[1]].concat(),
        };
        let mut rng = SplitMix::new(seed);
        let mut layers = Vec::with_capacity(widths.len() - 1);
        for w in widths.windows(2) {
            let (fan_in, fan_out) = (w[0], w[1]);
            let weights: Vec<f32> = match kind {
                Kind::Logistic => vec![0.0; fan_in * fan_out],
                Kind::Mlp => {
                    let limit = (6.0 / fan_in.max(1) as f64).sqrt();
                    (0..fan_in * fan_out)
                        .map(|_| ((rng.f64() * 2.0 - 1.0) * limit) as f32)
                        .collect()
                }
            };
            let weight =
                Var::from_tensor(&Tensor::from_vec(weights, (fan_out, fan_in), &Device::Cpu)?)?;
            let bias = Var::zeros(fan_out, DType::F32, &Device::Cpu)?;
            layers.push((weight, bias));
        }
        Ok(Net { kind, layers })
    }

    /// The logits of a batch `x` (rows × inputs), as a tensor of rows.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for (i, (w, b)) in self.layers.iter().enumerate() {
            h = h
                .matmul(&w.as_tensor().t()?)?
                .broadcast_add(b.as_tensor())?;
            if i + 1 < self.layers.len() {
                h = h.relu()?;
            }
        }
        Ok(h.squeeze(1)?)
    }

    /// The logits of every row of `m`, in chunks.
    pub fn logits(&self, m: &Matrix) -> Result<Vec<f64>> {
        let mut out = Vec::with_capacity(m.rows);
        for start in (0..m.rows).step_by(CHUNK) {
            let end = (start + CHUNK).min(m.rows);
            let x = Tensor::from_slice(
                &m.data[start * m.cols..end * m.cols],
                (end - start, m.cols),
                &Device::Cpu,
            )?;
            out.extend(
                self.forward(&x)?
                    .to_vec1::<f32>()?
                    .into_iter()
                    .map(f64::from),
            );
        }
        Ok(out)
    }

    /// The trainable variables.
    pub fn vars(&self) -> Vec<Var> {
        self.layers
            .iter()
            .flat_map(|(w, b)| [w.clone(), b.clone()])
            .collect()
    }

    /// Copies of the current weights (to keep the best epoch's).
    pub fn snapshot(&self) -> Result<Vec<Tensor>> {
        let mut v = Vec::with_capacity(self.layers.len() * 2);
        for (w, b) in &self.layers {
            v.push(w.as_tensor().copy()?);
            v.push(b.as_tensor().copy()?);
        }
        Ok(v)
    }

    /// Sets the weights back to a snapshot.
    pub fn restore(&self, snapshot: &[Tensor]) -> Result<()> {
        for (i, (w, b)) in self.layers.iter().enumerate() {
            w.set(&snapshot[2 * i])?;
            b.set(&snapshot[2 * i + 1])?;
        }
        Ok(())
    }

    /// The weights by name (`layer0.weight`, `layer0.bias` …), for the safetensors file.
    pub fn tensors(&self) -> HashMap<String, Tensor> {
        let mut t = HashMap::new();
        for (i, (w, b)) in self.layers.iter().enumerate() {
            t.insert(format!("layer{i}.weight"), w.as_tensor().clone());
            t.insert(format!("layer{i}.bias"), b.as_tensor().clone());
        }
        t
    }

    /// A model from its weights by name; checks the shapes against `inputs`.
    pub fn from_tensors(
        kind: Kind,
        inputs: usize,
        tensors: &HashMap<String, Tensor>,
    ) -> std::result::Result<Net, String> {
        let expected = Net::new(kind, inputs, 0).map_err(|e| e.to_string())?;
        let mut layers = Vec::with_capacity(expected.layers.len());
        for (i, (w0, b0)) in expected.layers.iter().enumerate() {
            let get = |name: String, like: &Var| -> std::result::Result<Var, String> {
                let t = tensors
                    .get(&name)
                    .ok_or_else(|| format!("no tensor {name}"))?;
                if t.dims() != like.dims() {
                    return Err(format!(
                        "tensor {name} has shape {:?}, expected {:?}",
                        t.dims(),
                        like.dims()
                    ));
                }
                let t = t.to_dtype(DType::F32).map_err(|e| e.to_string())?;
                Var::from_tensor(&t).map_err(|e| e.to_string())
            };
            layers.push((
                get(format!("layer{i}.weight"), w0)?,
                get(format!("layer{i}.bias"), b0)?,
            ));
        }
        Ok(Net { kind, layers })
    }

    /// The logistic regression's weights per input column (`None` for the MLP).
    pub fn coefficients(&self) -> Result<Option<Vec<f32>>> {
        match self.kind {
            Kind::Logistic => Ok(Some(self.layers[0].0.as_tensor().flatten_all()?.to_vec1()?)),
            Kind::Mlp => Ok(None),
        }
    }
}

//! A trained model as it lives in the store: `STORE/models/NAME.safetensors` (the weights)
//! and `STORE/models/NAME.json` (kind, encoder with feature names and standardisation,
//! calibration, the dates it was trained on, its metrics: the model's own [`Report`]). Both
//! are written to temporary files and renamed, the weights first, so a reader never sees a
//! half-written model.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use kesou_indexer::StorePaths;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::calibrate::Platt;
use super::encode::{Encoder, Matrix};
use super::features::Population;
use super::net::{Kind, Net};
use crate::{Error, Result};

/// What a model reports of its training, saved with it; names its files.
pub trait Report: Serialize + DeserializeOwned + Clone + std::fmt::Debug + PartialEq {
    /// The files' stem in `STORE/models/` (`churn`).
    const NAME: &'static str;
    /// What trains it again (`kesou train churn`), for the message on a broken file.
    const TRAIN_COMMAND: &'static str;
}

/// The JSON file's format; a model of another format is refused with a message to retrain.
const FORMAT: u32 = 1;

/// Where a store keeps its models.
pub fn model_dir(paths: &StorePaths) -> PathBuf {
    paths.root.join("models")
}

fn weights_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.safetensors"))
}

fn info_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

/// Everything about the model but its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "R: Report")]
pub struct ModelInfo<R: Report> {
    pub format: u32,
    pub kind: Kind,
    pub encoder: Encoder,
    pub calibration: Platt,
    /// When it was trained (local time, RFC 3339).
    pub trained_at: String,
    /// How it was trained and how well it did.
    pub report: R,
}

/// A trained model: scores customers.
#[derive(Debug)]
pub struct Model<R: Report> {
    pub info: ModelInfo<R>,
    pub net: Net,
}

impl<R: Report> Model<R> {
    /// The calibrated probability (0..1) of every customer of `pop`.
    pub fn risks(&self, pop: &Population) -> Result<Vec<f64>> {
        let m = self.info.encoder.encode(pop);
        self.risks_of(&m)
    }

    /// The calibrated probability of encoded rows.
    pub fn risks_of(&self, m: &Matrix) -> Result<Vec<f64>> {
        Ok(self
            .net
            .logits(m)?
            .into_iter()
            .map(|z| self.info.calibration.risk(z))
            .collect())
    }

    /// Writes the model into the store's `models/` folder.
    pub fn save(&self, paths: &StorePaths) -> Result<PathBuf> {
        let dir = model_dir(paths);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let (weights, info) = (weights_file(&dir, R::NAME), info_file(&dir, R::NAME));
        let tmp_weights = dir.join(format!("{}.safetensors.tmp", R::NAME));
        // The numbers scoring depends on go into the safetensors file bit for bit (JSON
        // numbers need not read back to the same last bit); the JSON repeats them for people.
        let mut tensors = self.net.tensors();
        let e = &self.info.encoder;
        tensors.insert(
            "encoder.mean".into(),
            Tensor::from_slice(&e.mean, e.mean.len(), &Device::Cpu)?,
        );
        tensors.insert(
            "encoder.std".into(),
            Tensor::from_slice(&e.std, e.std.len(), &Device::Cpu)?,
        );
        let c = self.info.calibration;
        tensors.insert(
            "calibration".into(),
            Tensor::from_slice(&[c.a, c.b], 2, &Device::Cpu)?,
        );
        candle_core::safetensors::save(&tensors, &tmp_weights)?;
        let json = serde_json::to_string_pretty(&self.info).map_err(|e| Error::ModelFile {
            path: info.clone(),
            reason: e.to_string(),
        })?;
        let tmp_info = dir.join(format!("{}.json.tmp", R::NAME));
        std::fs::write(&tmp_info, json).map_err(|e| Error::io(&tmp_info, e))?;
        std::fs::rename(&tmp_weights, &weights).map_err(|e| Error::io(&weights, e))?;
        std::fs::rename(&tmp_info, &info).map_err(|e| Error::io(&info, e))?;
        Ok(weights)
    }

    /// The store's model, or `None` when it has none.
    pub fn load(paths: &StorePaths) -> Result<Option<Model<R>>> {
        let dir = model_dir(paths);
        let (weights, info) = (weights_file(&dir, R::NAME), info_file(&dir, R::NAME));
        if !info.exists() {
            return Ok(None);
        }
        let bad = |path: &Path, reason: String| Error::ModelFile {
            path: path.to_owned(),
            reason: format!(
                "{reason}; train it again with `{} --data {}`",
                R::TRAIN_COMMAND,
                paths.root.display()
            ),
        };
        let text = std::fs::read_to_string(&info).map_err(|e| Error::io(&info, e))?;
        let meta: ModelInfo<R> =
            serde_json::from_str(&text).map_err(|e| bad(&info, e.to_string()))?;
        if meta.format != FORMAT {
            return Err(bad(
                &info,
                format!("format {} is not {FORMAT}", meta.format),
            ));
        }
        if !meta.encoder.matches_this_build() {
            return Err(bad(
                &info,
                "its features are not the ones this kesou computes".into(),
            ));
        }
        let tensors = candle_core::safetensors::load(&weights, &Device::Cpu)
            .map_err(|e| bad(&weights, e.to_string()))?;
        let mut meta = meta;
        let cols = meta.encoder.columns.len();
        let vector = |name: &str, len: usize| -> Result<Tensor> {
            let t = tensors
                .get(name)
                .ok_or_else(|| bad(&weights, format!("no tensor {name}")))?;
            if t.dims() != [len] {
                return Err(bad(
                    &weights,
                    format!("tensor {name} has shape {:?}, expected [{len}]", t.dims()),
                ));
            }
            Ok(t.clone())
        };
        meta.encoder.mean = vector("encoder.mean", cols)?
            .to_dtype(DType::F32)?
            .to_vec1()?;
        meta.encoder.std = vector("encoder.std", cols)?
            .to_dtype(DType::F32)?
            .to_vec1()?;
        let c: Vec<f64> = vector("calibration", 2)?.to_dtype(DType::F64)?.to_vec1()?;
        meta.calibration = Platt { a: c[0], b: c[1] };
        let net =
            Net::from_tensors(meta.kind, cols, &tensors).map_err(|reason| bad(&weights, reason))?;
        Ok(Some(Model { info: meta, net }))
    }

    /// A model as trained now (the format this build writes).
    pub(crate) fn new(
        kind: Kind,
        net: Net,
        encoder: Encoder,
        calibration: Platt,
        report: R,
    ) -> Model<R> {
        Model {
            info: ModelInfo {
                format: FORMAT,
                kind,
                encoder,
                calibration,
                trained_at: chrono::Local::now().to_rfc3339(),
                report,
            },
            net,
        }
    }
}

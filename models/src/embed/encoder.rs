//! The transformer itself (candle-transformers' BERT or XLM-RoBERTa) and the pooling that
//! turns its token vectors into one unit-length vector per text.

use candle_core::{D, DType, Device, IndexOp, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::{bert, xlm_roberta};

use super::folder::{Architecture, Folder, Pooling};
use crate::{Error, Result};

pub(crate) enum Encoder {
    Bert(bert::BertModel),
    XlmRoberta(xlm_roberta::XLMRobertaModel),
}

/// One padded batch: `rows × len` token ids and the attention mask (1 for real tokens).
pub(crate) struct Batch {
    pub rows: usize,
    pub len: usize,
    pub ids: Vec<u32>,
    pub mask: Vec<u32>,
}

impl Encoder {
    /// Builds the encoder over weights in `vb` (a safetensors file, or random ones in tests).
    pub fn new(folder: &Folder, vb: VarBuilder) -> Result<Encoder> {
        let bad_config = |e: serde_json::Error| {
            Error::BadModel(format!(
                "{}: {e}",
                folder.dir.join(super::folder::CONFIG).display()
            ))
        };
        let missing = |e: candle_core::Error| {
            Error::BadModel(format!(
                "{}: the weights do not fit config.json ({e}); is it a sentence-embedding \
                 model of this architecture?",
                folder.dir.display()
            ))
        };
        match folder.architecture {
            Architecture::Bert => {
                let config: bert::Config =
                    serde_json::from_value(folder.config.clone()).map_err(bad_config)?;
                Ok(Encoder::Bert(
                    bert::BertModel::load(vb, &config).map_err(missing)?,
                ))
            }
            Architecture::XlmRoberta => {
                let config: xlm_roberta::Config =
                    serde_json::from_value(folder.config.clone()).map_err(bad_config)?;
                // Saved from XLMRobertaModel the names start at `embeddings.`; from a task
                // model (…ForMaskedLM) under `roberta.`.
                let vb = if !vb.contains_tensor("embeddings.word_embeddings.weight")
                    && vb.contains_tensor("roberta.embeddings.word_embeddings.weight")
                {
                    vb.pp("roberta")
                } else {
                    vb
                };
                Ok(Encoder::XlmRoberta(
                    xlm_roberta::XLMRobertaModel::new(&config, vb).map_err(missing)?,
                ))
            }
            Architecture::E5s1 | Architecture::Static => {
                unreachable!("a folder never reads as an E5S1 file or a static model")
            }
        }
    }

    /// Unit-length sentence vectors of a batch, `rows × hidden` values row after row.
    pub fn embed(&self, batch: &Batch, pooling: Pooling, device: &Device) -> Result<Vec<f32>> {
        let shape = (batch.rows, batch.len);
        let ids = Tensor::from_slice(&batch.ids, shape, device)?;
        let mask = Tensor::from_slice(&batch.mask, shape, device)?;
        let types = ids.zeros_like()?;
        let hidden = match self {
            Encoder::Bert(m) => m.forward(&ids, &types, Some(&mask))?,
            Encoder::XlmRoberta(m) => m.forward(&ids, &mask, &types, None, None, None)?,
        };
        let pooled = match pooling {
            Pooling::Cls => hidden.i((.., 0, ..))?.contiguous()?,
            Pooling::Mean => {
                let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
                let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?;
                summed.broadcast_div(&counts)?
            }
        };
        let norms = pooled
            .sqr()?
            .sum_keepdim(D::Minus1)?
            .sqrt()?
            .clamp(1e-12f32, f32::MAX)?;
        Ok(pooled
            .broadcast_div(&norms)?
            .flatten_all()?
            .to_vec1::<f32>()?)
    }
}

//! Sentence embeddings from a local model folder: text → tokens (tokenizer.json) → a BERT or
//! XLM-RoBERTa encoder (candle, CPU) → mean (or CLS) pooling over the attention mask → L2
//! normalisation. A batch is padded to its longest input, never to a fixed length; texts
//! of similar length are batched together so that little is spent on padding. Or from one
//! 4-bit E5S1 file, multilingual-e5-small ([`e5`]), the model Chinese search uses.

mod config;
mod e5;
mod encoder;
mod fingerprint;
mod folder;
mod pca;

use std::path::Path;
use std::time::Instant;

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use tokenizers::{Encoding, Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

pub use config::{ModelConfig, ModelInfo};
pub use e5::{DistillReport, Kernels, STATIC_DIMS, distill, static_path};
pub use fingerprint::{StableHasher, stable_hash};
pub use folder::{Architecture, Pooling};

use e5::{E5Model, StaticModel};
use encoder::{Batch, Encoder};
use folder::{Folder, TOKENIZER, WEIGHTS};

use crate::{Error, Result};

/// Vectors of several texts, one row of `dims` values each, every row of unit length.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    pub dims: usize,
    pub data: Vec<f32>,
}

impl Embeddings {
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dims).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dims..(i + 1) * self.dims]
    }
}

/// A loaded sentence-embedding model. Load it once per process (it reads every weight);
/// it is `Send + Sync`, and each call computes on all cores.
pub struct Embedder {
    config: ModelConfig,
    info: ModelInfo,
    backend: Backend,
}

// One embedder per process: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Backend {
    Folder {
        tokenizer: Tokenizer,
        encoder: Encoder,
        pad_id: u32,
        device: Device,
    },
    E5(E5Model),
    Static(StaticModel),
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Embedder {
    /// Loads the model a config names: reads the folder, the tokenizer and every weight
    /// (or the E5S1 file, its 4-bit matrices dequantised to f32: measured faster here than
    /// candle's Q4_0 kernels at batch 1 and 32, see docs/performance.md).
    pub fn load(config: &ModelConfig) -> Result<Embedder> {
        Embedder::load_with(config, Kernels::Dequantized)
    }

    /// [`Embedder::load`], an E5S1 file's matrices multiplied the given way (a folder's
    /// weights are f32 whatever `kernels` says).
    pub fn load_with(config: &ModelConfig, kernels: Kernels) -> Result<Embedder> {
        let started = Instant::now();
        if config.path.is_file() && e5::is_static_file(&config.path) {
            let model = StaticModel::load(&config.path)?;
            let name = config
                .path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            return Ok(Embedder {
                config: config.clone(),
                info: ModelInfo {
                    name,
                    architecture: Architecture::Static,
                    dims: model.dims,
                    pooling: Pooling::Mean,
                    max_tokens: usize::MAX >> 1,
                    fingerprint: model.fingerprint.clone(),
                },
                backend: Backend::Static(model),
            });
        }
        if config.path.is_file() && e5::is_e5_file(&config.path) {
            let embedder = Embedder::load_e5(config, kernels)?;
            tracing::debug!(
                model = %embedder.info.name,
                ms = started.elapsed().as_secs_f64() * 1000.0,
                "embedding model loaded"
            );
            return Ok(embedder);
        }
        let folder = Folder::read(&config.path)?;
        let device = Device::Cpu;
        let weights = folder.dir.join(WEIGHTS);
        let tensors = candle_core::safetensors::load(&weights, &device).map_err(|e| {
            Error::BadModel(format!(
                "{}: not a readable safetensors file ({e})",
                weights.display()
            ))
        })?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let embedder = Embedder::build(config, &folder, vb, device)?;
        tracing::debug!(
            model = %embedder.info.name,
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "embedding model loaded"
        );
        Ok(embedder)
    }

    /// The encoder over `vb`'s weights (the folder's own, or made up in tests).
    fn build(
        config: &ModelConfig,
        folder: &Folder,
        vb: VarBuilder,
        device: Device,
    ) -> Result<Embedder> {
        let mut tokenizer = Tokenizer::from_file(folder.dir.join(TOKENIZER)).map_err(|e| {
            Error::BadModel(format!(
                "{}: not a tokenizer kesou can read ({e})",
                folder.dir.join(TOKENIZER).display()
            ))
        })?;
        // kesou pads by itself, to the longest text of a batch, with config.json's padding
        // id: XLM-RoBERTa tells padding from text by it when numbering positions.
        let pad_id = folder.pad_token_id;
        tokenizer.with_padding(None);
        let max_tokens = config
            .max_tokens
            .or(folder.trained_max_tokens)
            .or_else(|| tokenizer.get_truncation().map(|t| t.max_length))
            .unwrap_or(folder.max_positions)
            .clamp(2, folder.max_positions);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        let pooling = config.pooling.unwrap_or(folder.pooling);
        let encoder = Encoder::new(folder, vb)?;
        let fingerprint = fingerprint::model(
            &folder.dir,
            &[folder::CONFIG, TOKENIZER],
            WEIGHTS,
            &[
                &format!("{pooling:?}"),
                &max_tokens.to_string(),
                &config.passage_prefix,
            ],
        )?;
        let name = folder
            .dir
            .canonicalize()
            .unwrap_or_else(|_| folder.dir.clone())
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        Ok(Embedder {
            config: config.clone(),
            info: ModelInfo {
                name,
                architecture: folder.architecture,
                dims: folder.hidden_size,
                pooling,
                max_tokens,
                fingerprint,
            },
            backend: Backend::Folder {
                tokenizer,
                encoder,
                pad_id,
                device,
            },
        })
    }

    fn load_e5(config: &ModelConfig, kernels: Kernels) -> Result<Embedder> {
        if config.pooling == Some(Pooling::Cls) {
            return Err(Error::BadModel(format!(
                "{}: multilingual-e5 is trained with mean pooling, not CLS",
                config.path.display()
            )));
        }
        let model = E5Model::load(&config.path, kernels, config.max_tokens)?;
        let max_tokens = model.window;
        let fingerprint = fingerprint::e5_file(
            &config.path,
            model.header_len,
            &[
                "mean",
                &max_tokens.to_string(),
                &config.query_prefix,
                &config.passage_prefix,
            ],
        )?;
        let name = config
            .path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        Ok(Embedder {
            config: config.clone(),
            info: ModelInfo {
                name,
                architecture: Architecture::E5s1,
                dims: model.dims,
                pooling: Pooling::Mean,
                max_tokens,
                fingerprint,
            },
            backend: Backend::E5(model),
        })
    }

    /// The token ids the model runs for a text as given (no prefix added), specials
    /// included.
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        match &self.backend {
            Backend::Folder { tokenizer, .. } => Ok(tokenizer
                .encode(text, true)
                .map_err(|e| Error::Tokenizer(e.to_string()))?
                .get_ids()
                .to_vec()),
            Backend::E5(m) => m.token_ids(text),
            Backend::Static(m) => m.token_ids(text),
        }
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    pub fn dims(&self) -> usize {
        self.info.dims
    }

    /// The vector of a query: the text with the query prefix.
    pub fn embed_query(&self, text: &str) -> Result<Vec<f32>> {
        let text = format!("{}{text}", self.config.query_prefix);
        Ok(self.embed_batch(&[text.as_str()])?.data)
    }

    /// Vectors of texts stored for retrieval (descriptions, notes): each with the passage
    /// prefix, in batches of `batch_size`; `done` hears how many texts each batch finished.
    pub fn embed_passages(
        &self,
        texts: &[&str],
        batch_size: usize,
        done: &mut dyn FnMut(usize),
    ) -> Result<Embeddings> {
        if self.config.passage_prefix.is_empty() {
            return self.embed(texts, batch_size, done);
        }
        let prefixed: Vec<String> = texts
            .iter()
            .map(|t| format!("{}{t}", self.config.passage_prefix))
            .collect();
        let refs: Vec<&str> = prefixed.iter().map(String::as_str).collect();
        self.embed(&refs, batch_size, done)
    }

    /// Vectors of texts as given (no prefix), in one forward pass padded to the longest.
    pub fn embed_batch(&self, texts: &[&str]) -> Result<Embeddings> {
        match &self.backend {
            Backend::E5(m) => {
                return Ok(Embeddings {
                    dims: self.dims(),
                    data: m.embed(texts, texts.len(), &mut |_| {})?,
                });
            }
            Backend::Static(m) => {
                return Ok(Embeddings {
                    dims: self.dims(),
                    data: m.embed(texts, &mut |_| {})?,
                });
            }
            Backend::Folder { .. } => {}
        }
        let encodings = self.tokenize(texts)?;
        let all: Vec<&Encoding> = encodings.iter().collect();
        Ok(Embeddings {
            dims: self.dims(),
            data: self.forward(&all)?,
        })
    }

    /// Vectors of texts as given (no prefix), `batch_size` at a time. Texts are tokenised
    /// first and batched by length (longest first), so each batch pads little; the rows
    /// come back in the order of `texts`.
    pub fn embed(
        &self,
        texts: &[&str],
        batch_size: usize,
        done: &mut dyn FnMut(usize),
    ) -> Result<Embeddings> {
        let dims = self.dims();
        match &self.backend {
            Backend::E5(m) => {
                let data = m.embed(texts, batch_size, done)?;
                return Ok(Embeddings { dims, data });
            }
            Backend::Static(m) => {
                let data = m.embed(texts, done)?;
                return Ok(Embeddings { dims, data });
            }
            Backend::Folder { .. } => {}
        }
        let encodings = self.tokenize(texts)?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encodings[i].get_ids().len()));
        let mut data = vec![0f32; texts.len() * dims];
        for chunk in order.chunks(batch_size.max(1)) {
            let batch: Vec<&Encoding> = chunk.iter().map(|&i| &encodings[i]).collect();
            let vectors = self.forward(&batch)?;
            for (k, &i) in chunk.iter().enumerate() {
                data[i * dims..(i + 1) * dims].copy_from_slice(&vectors[k * dims..(k + 1) * dims]);
            }
            done(chunk.len());
        }
        Ok(Embeddings { dims, data })
    }

    fn tokenize(&self, texts: &[&str]) -> Result<Vec<Encoding>> {
        let Backend::Folder { tokenizer, .. } = &self.backend else {
            unreachable!("E5 files and static models tokenize in e5")
        };
        tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| Error::Tokenizer(e.to_string()))
    }

    fn forward(&self, encodings: &[&Encoding]) -> Result<Vec<f32>> {
        let Backend::Folder {
            encoder,
            pad_id,
            device,
            ..
        } = &self.backend
        else {
            unreachable!("E5 files and static models run in e5")
        };
        if encodings.is_empty() {
            return Ok(Vec::new());
        }
        let len = encodings
            .iter()
            .map(|e| e.get_ids().len())
            .max()
            .unwrap_or(0)
            .max(1);
        let rows = encodings.len();
        let mut ids = vec![*pad_id; rows * len];
        let mut mask = vec![0u32; rows * len];
        for (r, e) in encodings.iter().enumerate() {
            let n = e.get_ids().len();
            ids[r * len..r * len + n].copy_from_slice(e.get_ids());
            mask[r * len..r * len + n].fill(1);
        }
        let batch = Batch {
            rows,
            len,
            ids,
            mask,
        };
        encoder.embed(&batch, self.info.pooling, device)
    }
}

/// Cosine similarity of two unit vectors (their dot product).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Whether a folder (or an E5S1 file) looks like a model kesou can load (for messages
/// before loading).
pub fn is_model_folder(dir: &Path) -> bool {
    (dir.is_file() && (e5::is_e5_file(dir) || e5::is_static_file(dir))) || Folder::read(dir).is_ok()
}

#[cfg(test)]
mod tests;

//! kesou's models: sentence embeddings for semantic retrieval ([`Embedder`]: a local
//! BERT-family model folder, run on the CPU with candle). The models know texts and
//! vectors, never the store: `kesou-query` decides what is embedded and how results blend.

mod embed;
mod error;

pub use embed::{
    Architecture, Embedder, Embeddings, ModelConfig, ModelInfo, Pooling, StableHasher, cosine,
    is_model_folder, stable_hash,
};
pub use error::{Error, Result};

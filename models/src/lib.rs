//! kesou's models, run on the CPU with candle.
//!
//! - [`Embedder`]: sentence embeddings for semantic retrieval from a local BERT-family
//!   model folder. It knows texts and vectors, never the store: `kesou-query` decides what
//!   is embedded and how results blend.
//! - [`churn`]: who among the customers buying now will stop (流失风险). Features per
//!   customer as of a date in DuckDB SQL, a logistic regression and a small MLP trained on
//!   the store's own history (the one that wins on validation is kept), calibrated risks
//!   written to `customers.churn_risk` with the factors behind each in words
//!   (`churn_factors`), the model saved in the store and reloaded to score new data.

mod embed;
mod error;

pub mod churn;
mod tabular;

pub use embed::{
    Architecture, DistillReport, Embedder, Embeddings, Kernels, ModelConfig, ModelInfo, Pooling,
    STATIC_DIMS, StableHasher, cosine, distill, is_model_folder, stable_hash, static_path,
};
pub use error::{Error, Result};

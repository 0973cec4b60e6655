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
//! - [`opportunity`]: who will order in the next 90 days (购买意向, 商机), learned the same
//!   way (`tabular`, shared with churn), written to `customers.purchase_propensity` with the
//!   reasons in Chinese and English.

mod embed;
mod error;
mod nearest;

pub mod churn;
pub mod opportunity;
mod tabular;

pub use embed::{
    Architecture, DistillReport, Embedder, Embeddings, Kernels, ModelConfig, ModelInfo, Pooling,
    STATIC_DIMS, StableHasher, cosine, distill, is_model_folder, stable_hash, static_path,
};
pub use error::{Error, Result};
pub use nearest::nearest_centroids;
pub use tabular::rng::SplitMix;

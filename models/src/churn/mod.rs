//! Churn risk (流失风险): who of the customers buying now will stop.
//!
//! Definitions (also in ARCHITECTURE.md): a customer is *buying* on a day when it has an
//! order in the 180 days up to it (date > day − 180), i.e. it is not 流失 then; it has
//! *churned* by a later day when it ordered nothing after the first day up to the later one.
//! Training uses the store's own history: the customers buying at the cut-off (as_of − 180
//! days), described by what was known at the cut-off ([`population`]), labelled by whether
//! they churned by as_of ([`churned`], [`train`]). Scoring describes the customers buying at
//! as_of the same way and writes the calibrated probability of churning within 180 days to
//! `churn_risk`, with the reasons in words to `churn_factors` ([`score`]).

mod factors;
mod forward;
mod learn;
mod model;
mod read;
mod report;
mod score;

pub use crate::tabular::calibrate::Platt;
pub use crate::tabular::encode::{Encoder, Factor, Matrix};
pub use crate::tabular::features::{Population, Raw, population};
pub use crate::tabular::metrics::{Band, Ranking, auc, band, bands, log_loss, precision_at};
pub use crate::tabular::model::model_dir;
pub use crate::tabular::net::{Kind, MLP_HIDDEN};
pub use crate::tabular::select::Candidate;
pub use factors::{MAX_FACTORS, money};
pub use forward::{ForwardReport, forward_test};
pub use learn::{HORIZON_DAYS, TrainOptions, churned, cutoff, train};
pub use model::{ChurnModel, ModelInfo};
pub use read::{AtRisk, customer, has_scores, warnings};
pub use report::{Counts, HeldOut, ScoreReport, TrainReport};
pub use score::{score, score_with};

#[cfg(test)]
mod tests;

//! Purchase propensity (购买意向, 商机): who will order, or order again, soon.
//!
//! A customer is *known* on a day when it has an order or an interaction on or before it
//! (prospects without orders included: a first order is the opportunity sales most want). It
//! *orders* within the horizon when it has an order in the 90 days after the day. Training
//! uses the store's own history: the customers known at the cut-off (as_of − 90 days),
//! described by what was known then, labelled by whether they ordered by as_of
//! ([`train`]). Scoring describes the customers known at as_of the same way and writes the
//! calibrated probability of an order in the next 90 days to `purchase_propensity`, with the
//! reasons that raise it in Chinese (`propensity_reasons`) and English
//! (`propensity_reasons_en`) ([`score`]). Everything but the population, the labels, the
//! baseline and the words is [`crate::tabular`]'s, shared with churn.
//!
//! The baseline a model must beat is the obvious one a sales team would use: recency and
//! frequency, ln(1 + orders in the last year) − ln(1 + days since the last order).

mod forward;
mod learn;
mod model;
mod reasons;
mod report;
mod score;

pub use forward::{ForwardReport, forward_test};
pub use learn::{HORIZON_DAYS, baseline, cutoff, ordered, population, train};
pub use model::PropensityModel;
pub use reasons::{MAX_REASONS, words};
pub use report::{HeldOut, ScoreReport, TrainReport};
pub use score::{score, score_with};

#[cfg(test)]
mod tests;

//! The churn model: a saved [`Model`] whose report is churn's, scoring with churn's words.

use super::factors;
use super::report::TrainReport;
use crate::Result;
use crate::tabular::features::Population;
use crate::tabular::model::{self, Model};

/// A trained churn model: scores customers and says why.
pub type ChurnModel = Model<TrainReport>;
/// Everything about the churn model but its weights.
pub type ModelInfo = model::ModelInfo<TrainReport>;

impl Model<TrainReport> {
    /// The risk and the factors in words of every customer of `pop`.
    pub fn score(&self, pop: &Population) -> Result<(Vec<f64>, Vec<Vec<String>>)> {
        let m = self.info.encoder.encode(pop);
        let risks = self.risks_of(&m)?;
        let words = factors::explain(&self.net, &m, &self.info.encoder.factors(), pop)?;
        Ok((risks, words))
    }
}

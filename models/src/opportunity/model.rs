//! The propensity model: a saved [`Model`] whose report is the propensity's, scoring with
//! its reasons in Chinese and English.

use super::reasons::{self, MAX_REASONS, MIN_CONTRIBUTION};
use super::report::TrainReport;
use crate::Result;
use crate::tabular::features::Population;
use crate::tabular::model::Model;
use crate::tabular::occlusion;

/// A trained purchase-propensity model.
pub type PropensityModel = Model<TrainReport>;

/// Scores with their reasons: `(probabilities, reasons in Chinese, reasons in English)`.
pub type Scored = (Vec<f64>, Vec<Vec<String>>, Vec<Vec<String>>);

impl Model<TrainReport> {
    /// The probability of an order in 90 days of every customer of `pop`, with the reasons
    /// that raise it.
    pub fn score(&self, pop: &Population) -> Result<Scored> {
        let m = self.info.encoder.encode(pop);
        let p = self.risks_of(&m)?;
        let factors = self.info.encoder.factors();
        let both = occlusion::strongest(
            &self.net,
            &m,
            &factors,
            MIN_CONTRIBUTION,
            MAX_REASONS,
            |f, r| reasons::words(f, pop, r),
        )?;
        let (zh, en) = both
            .into_iter()
            .map(|r| r.into_iter().unzip::<_, _, Vec<_>, Vec<_>>())
            .unzip();
        Ok((p, zh, en))
    }
}

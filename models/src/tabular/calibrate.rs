//! Platt scaling: risk = σ(a·logit + b), with `a` and `b` fitted by Newton's method on the
//! validation customers, so that a risk of 0.7 means that about 70 of 100 such customers
//! churn, and the glossary's bands (高 ≥ 0.7, 中 0.4–0.7, 低 < 0.4) mean what they say.

use serde::{Deserialize, Serialize};

use super::fit::sigmoid;

/// The calibration of a model's logits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    pub a: f64,
    pub b: f64,
}

impl Platt {
    /// No change: risk = σ(logit).
    pub const IDENTITY: Platt = Platt { a: 1.0, b: 0.0 };

    pub fn risk(&self, logit: f64) -> f64 {
        sigmoid(self.a * logit + self.b)
    }

    /// Fits `a`, `b` minimising the log loss of σ(a·z + b) against the labels.
    pub fn fit(logits: &[f64], labels: &[bool]) -> Platt {
        let (mut a, mut b) = (1.0, 0.0);
        for _ in 0..100 {
            // Gradient and Hessian of the mean negative log-likelihood.
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (z, y) in logits.iter().zip(labels) {
                let p = sigmoid(a * z + b);
                let d = p - f64::from(u8::from(*y));
                let w = (p * (1.0 - p)).max(1e-12);
                ga += d * z;
                gb += d;
                haa += w * z * z;
                hab += w * z;
                hbb += w;
            }
            // A tiny ridge keeps the step defined when the logits are constant.
            let (haa, hbb) = (haa + 1e-9, hbb + 1e-9);
            let det = haa * hbb - hab * hab;
            if det.abs() < 1e-18 {
                break;
            }
            let da = (hbb * ga - hab * gb) / det;
            let db = (haa * gb - hab * ga) / det;
            a -= da;
            b -= db;
            if da.abs() < 1e-10 && db.abs() < 1e-10 {
                break;
            }
        }
        if a.is_finite() && b.is_finite() {
            Platt { a, b }
        } else {
            Platt::IDENTITY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tabular::rng::SplitMix;

    #[test]
    fn recovers_a_known_scaling() {
        // Labels drawn with P(churn) = σ(2z − 1): the fit finds a ≈ 2, b ≈ −1.
        let mut rng = SplitMix::new(5);
        let z: Vec<f64> = (0..40_000).map(|_| rng.f64() * 6.0 - 3.0).collect();
        let y: Vec<bool> = z
            .iter()
            .map(|z| rng.f64() < sigmoid(2.0 * z - 1.0))
            .collect();
        let p = Platt::fit(&z, &y);
        assert!((p.a - 2.0).abs() < 0.1, "{p:?}");
        assert!((p.b + 1.0).abs() < 0.1, "{p:?}");
    }

    #[test]
    fn constant_logits_give_the_base_rate() {
        let z = vec![0.3; 100];
        let y: Vec<bool> = (0..100).map(|i| i < 25).collect();
        let p = Platt::fit(&z, &y);
        assert!((p.risk(0.3) - 0.25).abs() < 1e-3, "{p:?}");
    }
}

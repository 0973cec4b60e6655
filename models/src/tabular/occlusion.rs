//! How much each factor raises a row's logit, by occlusion: the row's logit minus the logit
//! with that factor's columns set to the training mean (for the logistic regression exactly
//! Σ coefficient × standardised value over the factor's columns; for the MLP the same
//! question asked of the network). Models put the strongest factors into their own words.

use super::encode::{Factor, Matrix};
use super::net::Net;
use crate::Result;

/// Rows per occlusion pass.
const CHUNK: usize = 16_384;

/// Each factor's contribution to each row's logit, as `rows × factors.len()`.
pub fn contributions(net: &Net, m: &Matrix, columns: &[Factor]) -> Result<(Vec<Factor>, Vec<f64>)> {
    let mut groups: Vec<Factor> = columns.to_vec();
    groups.sort();
    groups.dedup();
    let mut out = vec![0.0; m.rows * groups.len()];
    for start in (0..m.rows).step_by(CHUNK) {
        let end = (start + CHUNK).min(m.rows);
        let rows: Vec<usize> = (start..end).collect();
        let chunk = m.select(&rows);
        let base = net.logits(&chunk)?;
        for (g, factor) in groups.iter().enumerate() {
            let mut occluded = chunk.clone();
            for r in 0..occluded.rows {
                for (c, f) in columns.iter().enumerate() {
                    if f == factor {
                        occluded.data[r * occluded.cols + c] = 0.0;
                    }
                }
            }
            let without = net.logits(&occluded)?;
            for r in 0..chunk.rows {
                out[(start + r) * groups.len() + g] = base[r] - without[r];
            }
        }
    }
    Ok((groups, out))
}

/// For each row, the words of its factors that raise the logit by at least
/// `min_contribution`, strongest first, at most `most`; a factor `words` has no words for
/// (its numbers do not read that way) is skipped.
pub fn strongest<T>(
    net: &Net,
    m: &Matrix,
    columns: &[Factor],
    min_contribution: f64,
    most: usize,
    words: impl Fn(Factor, usize) -> Option<T>,
) -> Result<Vec<Vec<T>>> {
    let (groups, c) = contributions(net, m, columns)?;
    let g = groups.len();
    Ok((0..m.rows)
        .map(|r| {
            let mut ranked: Vec<(Factor, f64)> = groups
                .iter()
                .enumerate()
                .map(|(i, f)| (*f, c[r * g + i]))
                .filter(|(_, v)| *v >= min_contribution)
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            ranked
                .into_iter()
                .filter_map(|(f, _)| words(f, r))
                .take(most)
                .collect()
        })
        .collect())
}

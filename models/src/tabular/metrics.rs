//! How good a ranking of customers by risk is: AUC (exact, from ranks, ties counted half),
//! precision among the riskiest 10%, log loss, and the glossary's risk bands with the share
//! of customers and the churn rate in each.

use serde::{Deserialize, Serialize};

/// The area under the ROC curve: the probability that a churned customer is ranked above a
/// customer who stayed, ties counting one half. Computed exactly from mid-ranks
/// (Mann–Whitney). `None` when one of the two classes is empty.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    assert_eq!(scores.len(), labels.len());
    let positives = labels.iter().filter(|l| **l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their mean.
        let mid = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += mid * order[i..=j].iter().filter(|&&k| labels[k]).count() as f64;
        i = j + 1;
    }
    let p = positives as f64;
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// The share of churned customers among the `share` (e.g. 0.1) with the highest scores. When
/// the cut falls inside a group of equal scores, that group counts in proportion (the
/// expected precision over every order of the ties), so a score with many ties, such as days
/// since the last order, is not favoured or penalised by an arbitrary tie order.
pub fn precision_at(scores: &[f64], labels: &[bool], share: f64) -> Option<f64> {
    assert_eq!(scores.len(), labels.len());
    let k = (share * scores.len() as f64).round() as usize;
    if k == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut hits, mut taken, mut i) = (0.0, 0usize, 0);
    while taken < k {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let group = j - i + 1;
        let positives = order[i..=j].iter().filter(|&&x| labels[x]).count() as f64;
        let take = group.min(k - taken);
        hits += positives * take as f64 / group as f64;
        taken += take;
        i = j + 1;
    }
    Some(hits / k as f64)
}

/// Mean negative log-likelihood of probabilities (clamped away from 0 and 1).
pub fn log_loss(probabilities: &[f64], labels: &[bool]) -> f64 {
    let n = probabilities.len().max(1) as f64;
    probabilities
        .iter()
        .zip(labels)
        .map(|(p, l)| {
            let p = p.clamp(1e-7, 1.0 - 1e-7);
            if *l { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum::<f64>()
        / n
}

/// The glossary's bands: 高 ≥ 0.7, 中 0.4–0.7, 低 < 0.4.
pub fn band(risk: f64) -> &'static str {
    if risk >= 0.7 {
        "高"
    } else if risk >= 0.4 {
        "中"
    } else {
        "低"
    }
}

/// One risk band: how many customers fall in it and how many of them churned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub band: String,
    pub customers: usize,
    pub share: f64,
    /// Churn rate among them; `None` without customers or without labels.
    pub churn_rate: Option<f64>,
    /// Mean predicted risk among them.
    pub mean_risk: Option<f64>,
}

/// Customers per band (高, 中, 低) with the churn rate observed in each.
pub fn bands(risks: &[f64], labels: Option<&[bool]>) -> Vec<Band> {
    ["高", "中", "低"]
        .into_iter()
        .map(|name| {
            let members: Vec<usize> = (0..risks.len())
                .filter(|&i| band(risks[i]) == name)
                .collect();
            let n = members.len();
            let churn_rate = labels
                .filter(|_| n > 0)
                .map(|l| members.iter().filter(|&&i| l[i]).count() as f64 / n as f64);
            let mean_risk =
                (n > 0).then(|| members.iter().map(|&i| risks[i]).sum::<f64>() / n as f64);
            Band {
                band: name.to_owned(),
                customers: n,
                share: n as f64 / risks.len().max(1) as f64,
                churn_rate,
                mean_risk,
            }
        })
        .collect()
}

/// AUC and precision among the riskiest 10% of one ranking on one set of customers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    pub auc: f64,
    pub precision_at_10: f64,
}

impl Ranking {
    pub fn of(scores: &[f64], labels: &[bool]) -> Option<Ranking> {
        Some(Ranking {
            auc: auc(scores, labels)?,
            precision_at_10: precision_at(scores, labels, 0.1)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_hand_computed_cases() {
        // Perfect, reversed, and every pair by hand.
        assert_eq!(
            auc(&[0.9, 0.8, 0.2, 0.1], &[true, true, false, false]),
            Some(1.0)
        );
        assert_eq!(
            auc(&[0.1, 0.2, 0.8, 0.9], &[true, true, false, false]),
            Some(0.0)
        );
        // Positives 0.8 and 0.3; negatives 0.5, 0.2, 0.1: pairs won 3 + 2 of 6.
        let s = [0.8, 0.5, 0.3, 0.2, 0.1];
        let l = [true, false, true, false, false];
        assert!((auc(&s, &l).unwrap() - 5.0 / 6.0).abs() < 1e-12);
        // Ties count one half: all equal gives 0.5; one tie of 1 positive and 1 negative
        // among 2×2 pairs: (1 + 1 + 0.5 + 0) / 4.
        assert_eq!(auc(&[0.5; 4], &[true, false, true, false]), Some(0.5));
        let s = [0.9, 0.5, 0.5, 0.1];
        let l = [true, true, false, false];
        assert!((auc(&s, &l).unwrap() - 3.5 / 4.0).abs() < 1e-12);
        assert_eq!(auc(&[0.3, 0.4], &[true, true]), None);
    }

    #[test]
    fn precision_at_counts_ties_at_the_cut_in_proportion() {
        let s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0];
        let l = [
            true, false, true, false, false, false, false, false, false, true,
        ];
        assert_eq!(precision_at(&s, &l, 0.1), Some(1.0));
        assert_eq!(precision_at(&s, &l, 0.2), Some(0.5));
        assert!((precision_at(&s, &l, 0.3).unwrap() - 2.0 / 3.0).abs() < 1e-12);
        // The top 2 of 4 cut a tie of 4 with 1 positive: expected 0.25.
        assert_eq!(
            precision_at(&[1.0; 4], &[true, false, false, false], 0.5),
            Some(0.25)
        );
        // A leading positive, then a tie of 3 holding 2 positives, cut after 1 of them.
        let s = [2.0, 1.0, 1.0, 1.0, 0.0];
        let l = [true, true, true, false, false];
        assert!((precision_at(&s, &l, 0.4).unwrap() - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn bands_follow_the_glossary() {
        assert_eq!(band(0.7), "高");
        assert_eq!(band(0.69), "中");
        assert_eq!(band(0.4), "中");
        assert_eq!(band(0.39), "低");
        let b = bands(&[0.9, 0.8, 0.5, 0.1], Some(&[true, false, true, false]));
        assert_eq!(b[0].customers, 2);
        assert_eq!(b[0].churn_rate, Some(0.5));
        assert_eq!(b[1].churn_rate, Some(1.0));
        assert_eq!(b[2].share, 0.25);
    }

    #[test]
    fn log_loss_is_small_for_confident_right_answers() {
        assert!(log_loss(&[0.99, 0.01], &[true, false]) < 0.02);
        assert!(log_loss(&[0.01, 0.99], &[true, false]) > 4.0);
    }
}

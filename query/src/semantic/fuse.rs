//! Reciprocal rank fusion (Cormack, Clarke & Büttcher 2009): a customer's fused score is
//! Σ 1 / (k + rank) over the lists it is in (ranks from 1), so agreement between word and
//! meaning retrieval lifts a customer, and neither list's score scale matters.

use std::collections::HashMap;

/// The constant of the paper; larger values flatten the head of each list.
pub const RRF_K: f64 = 60.0;

/// A customer after fusion: its fused score and its rank in each list (from 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Fused {
    pub id: String,
    pub score: f64,
    pub bm25_rank: Option<usize>,
    pub vector_rank: Option<usize>,
}

/// Fuses the BM25 ranking and the vector ranking (ids best first), best first. Ties go to
/// the better single rank, then to the id, so the order is deterministic.
pub fn rrf(bm25: &[String], vector: &[String]) -> Vec<Fused> {
    let mut by_id: HashMap<&str, Fused> = HashMap::with_capacity(bm25.len() + vector.len());
    for (list, is_bm25) in [(bm25, true), (vector, false)] {
        for (i, id) in list.iter().enumerate() {
            let rank = i + 1;
            let f = by_id.entry(id.as_str()).or_insert_with(|| Fused {
                id: id.clone(),
                score: 0.0,
                bm25_rank: None,
                vector_rank: None,
            });
            // A list may name an id once; a repeat keeps the better rank.
            let slot = if is_bm25 {
                &mut f.bm25_rank
            } else {
                &mut f.vector_rank
            };
            if slot.is_none() {
                *slot = Some(rank);
                f.score += 1.0 / (RRF_K + rank as f64);
            }
        }
    }
    let mut fused: Vec<Fused> = by_id.into_values().collect();
    let best = |f: &Fused| {
        f.bm25_rank
            .unwrap_or(usize::MAX)
            .min(f.vector_rank.unwrap_or(usize::MAX))
    };
    fused.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(best(a).cmp(&best(b)))
            .then(a.id.cmp(&b.id))
    });
    fused
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn agreement_wins_and_scores_follow_the_formula() {
        let f = rrf(&ids(&["a", "b", "c"]), &ids(&["c", "d"]));
        let order: Vec<&str> = f.iter().map(|x| x.id.as_str()).collect();
        // c: 1/63 + 1/61; a: 1/61; d: 1/62; b: 1/62 (b before d: same score, rank 2 both, id).
        assert_eq!(order, ["c", "a", "b", "d"]);
        assert!((f[0].score - (1.0 / 63.0 + 1.0 / 61.0)).abs() < 1e-12);
        assert_eq!(f[0].bm25_rank, Some(3));
        assert_eq!(f[0].vector_rank, Some(1));
        assert_eq!(f[3].bm25_rank, None);
    }

    #[test]
    fn one_empty_list_keeps_the_other_order() {
        let f = rrf(&[], &ids(&["x", "y", "z"]));
        assert_eq!(
            f.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
            ["x", "y", "z"]
        );
    }
}

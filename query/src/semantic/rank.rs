//! Exact nearest customers by cosine similarity: every allowed row, brute force, on every
//! core. A customer's similarity is the better of its description's and its notes'.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;
use serde::Serialize;

use super::quant::{self, Int8};
use super::vectors::Vectors;

/// Which of a customer's texts was nearest to the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Description,
    Notes,
}

/// One row near the query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Near {
    pub row: usize,
    pub similarity: f32,
    pub field: Field,
}

impl Eq for Near {}

// A min-heap by similarity (the worst kept hit on top); ties keep the lower row.
impl Ord for Near {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .similarity
            .total_cmp(&self.similarity)
            .then(self.row.cmp(&other.row))
    }
}

impl PartialOrd for Near {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Rows per task: enough work to be worth a thread, few enough to share it evenly.
const TILE: usize = 4096;

/// The f32 dot product (kesou-kernels: optimised in every profile, vectorised on AVX2).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    kesou_kernels::dot_f32(a, b)
}

/// The row's similarity to the query: its best text, or none when it has no text.
fn score(v: &Vectors, r: usize, query: &[f32]) -> Option<(f32, Field)> {
    let d = v
        .description(r)
        .map(|x| (dot(x, query), Field::Description));
    let n = v.notes(r).map(|x| (dot(x, query), Field::Notes));
    better(d, n)
}

fn better(d: Option<(f32, Field)>, n: Option<(f32, Field)>) -> Option<(f32, Field)> {
    match (d, n) {
        (Some(d), Some(n)) => Some(if n.0 > d.0 { n } else { d }),
        (d, n) => d.or(n),
    }
}

/// A query with no meaning the model knows (a static model's vector of a text none of
/// whose tokens it has) is near nothing: every similarity would be 0 and the "nearest" an
/// arbitrary k customers, presented as meaning.
fn meaningless(query: &[f32]) -> bool {
    query.iter().all(|x| *x == 0.0)
}

/// The `k` rows most similar to `query` among those `allowed` (all when `None`), best first.
pub(crate) fn nearest(v: &Vectors, query: &[f32], k: usize, allowed: Option<&[bool]>) -> Vec<Near> {
    if meaningless(query) {
        return Vec::new();
    }
    top_k(v.rows(), k, allowed, |r| score(v, r, query))
}

/// [`nearest`] over the int8 copy of the vectors (`rows` of them).
pub(crate) fn nearest_int8(
    q: &Int8,
    rows: usize,
    query: &[f32],
    k: usize,
    allowed: Option<&[bool]>,
) -> Vec<Near> {
    if meaningless(query) {
        return Vec::new();
    }
    let mut codes = vec![0i8; query.len()];
    let scale = quant::quantize(query, &mut codes);
    top_k(rows, k, allowed, |r| {
        let [d, n] = q.similarities(r, &codes, scale);
        better(
            d.map(|s| (s, Field::Description)),
            n.map(|s| (s, Field::Notes)),
        )
    })
}

fn top_k(
    rows: usize,
    k: usize,
    allowed: Option<&[bool]>,
    score: impl Fn(usize) -> Option<(f32, Field)> + Sync,
) -> Vec<Near> {
    if k == 0 || rows == 0 {
        return Vec::new();
    }
    let heaps: Vec<BinaryHeap<Near>> = (0..rows.div_ceil(TILE))
        .into_par_iter()
        .map(|t| {
            let mut heap = BinaryHeap::with_capacity(k + 1);
            for r in t * TILE..((t + 1) * TILE).min(rows) {
                if allowed.is_some_and(|a| !a[r]) {
                    continue;
                }
                let Some((similarity, field)) = score(r) else {
                    continue;
                };
                let near = Near {
                    row: r,
                    similarity,
                    field,
                };
                if heap.len() < k {
                    heap.push(near);
                } else if heap.peek().is_some_and(|worst| near < *worst) {
                    heap.pop();
                    heap.push(near);
                }
            }
            heap
        })
        .collect();
    let mut all: Vec<Near> = heaps.into_iter().flatten().collect();
    all.sort();
    all.truncate(k);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::vectors::Header;
    use kesou_models::{Architecture, ModelInfo, Pooling};

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    /// A customer's description and notes vectors; `None` where it has no such text.
    type Row = (Option<[f32; 3]>, Option<[f32; 3]>);

    fn vectors(rows: &[Row]) -> Vectors {
        let mut v = Vectors {
            header: Header {
                generation: 1,
                rows: rows.len(),
                dims: 3,
                model: ModelInfo {
                    name: "test".into(),
                    architecture: Architecture::Bert,
                    dims: 3,
                    pooling: Pooling::Mean,
                    max_tokens: 8,
                    fingerprint: "0".into(),
                },
            },
            ids: (0..rows.len()).map(|i| format!("C{i:03}")).collect(),
            description_hash: Vec::new(),
            notes_hash: Vec::new(),
            descriptions: Vec::new(),
            notes: Vec::new(),
        };
        for (d, n) in rows {
            v.description_hash.push(u64::from(d.is_some()));
            v.notes_hash.push(u64::from(n.is_some()));
            v.descriptions.extend(d.map_or(vec![0.0; 3], |x| unit(&x)));
            v.notes.extend(n.map_or(vec![0.0; 3], |x| unit(&x)));
        }
        v
    }

    #[test]
    fn the_better_text_counts_and_rows_without_text_are_skipped() {
        let v = vectors(&[
            (Some([1.0, 0.0, 0.0]), None),
            (Some([0.0, 1.0, 0.0]), Some([0.9, 0.1, 0.0])),
            (None, None),
            (Some([0.0, 0.0, 1.0]), Some([0.0, 0.0, 1.0])),
        ]);
        let got = nearest(&v, &[1.0, 0.0, 0.0], 10, None);
        let rows: Vec<usize> = got.iter().map(|n| n.row).collect();
        assert_eq!(rows, [0, 1, 3], "row 2 has no text");
        assert_eq!(got[1].field, Field::Notes);
        assert!((got[0].similarity - 1.0).abs() < 1e-6);
    }

    #[test]
    fn exact_top_k_over_allowed_rows_across_tiles() {
        // More rows than one tile; similarity falls with the row number.
        let n = TILE * 2 + 17;
        let rows: Vec<Row> = (0..n)
            .map(|i| (Some([1.0, i as f32 / n as f32, 0.0]), None))
            .collect();
        let v = vectors(&rows);
        let got = nearest(&v, &[1.0, 0.0, 0.0], 5, None);
        assert_eq!(
            got.iter().map(|n| n.row).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
        let allowed: Vec<bool> = (0..n).map(|r| r % 1000 == 999).collect();
        let got = nearest(&v, &[1.0, 0.0, 0.0], 3, Some(&allowed));
        assert_eq!(
            got.iter().map(|n| n.row).collect::<Vec<_>>(),
            [999, 1999, 2999]
        );
    }

    #[test]
    fn a_query_without_meaning_is_near_nothing() {
        let v = vectors(&[(Some([1.0, 0.0, 0.0]), None), (Some([0.0, 1.0, 0.0]), None)]);
        assert!(nearest(&v, &[0.0, 0.0, 0.0], 10, None).is_empty());
        assert_eq!(nearest(&v, &[0.0, 1.0, 0.0], 10, None)[0].row, 1);
    }

    #[test]
    fn the_int8_scan_ranks_as_the_exact_one_and_skips_the_same_rows() {
        let n = TILE + 50;
        let rows: Vec<Row> = (0..n)
            .map(|i| {
                let d = (i % 7 != 0).then_some([1.0, i as f32 / n as f32, 0.3]);
                (d, (i % 5 == 0).then_some([0.2, 1.0, i as f32 / n as f32]))
            })
            .collect();
        let v = vectors(&rows);
        let q = Int8::new(&v);
        let query = unit(&[1.0, 0.05, 0.2]);
        let exact = nearest(&v, &query, 20, None);
        let int8 = nearest_int8(&q, v.rows(), &query, 20, None);
        // Neighbours this close may swap places: each hit's similarity is its exact one
        // within the quantization error, and no hit is worse than the exact 20th by more.
        assert_eq!(int8.len(), 20);
        for hit in &int8 {
            let (exact_sim, field) = score(&v, hit.row, &query).expect("a row with text");
            assert!(
                (hit.similarity - exact_sim).abs() < 0.02,
                "{hit:?} vs {exact_sim}"
            );
            assert!(exact_sim >= exact[19].similarity - 0.02, "{hit:?}");
            assert!(field == hit.field || (hit.similarity - exact_sim).abs() < 0.02);
        }
        assert!(nearest_int8(&q, v.rows(), &[0.0; 3], 5, None).is_empty());
        let allowed: Vec<bool> = (0..n).map(|r| r == 3).collect();
        let got = nearest_int8(&q, v.rows(), &query, 5, Some(&allowed));
        assert_eq!(got.iter().map(|n| n.row).collect::<Vec<_>>(), [3]);
    }

    #[test]
    fn dot_products_of_odd_lengths() {
        let a: Vec<f32> = (0..19).map(|i| i as f32).collect();
        let want: f32 = a.iter().map(|x| x * x).sum();
        assert_eq!(dot(&a, &a), want);
    }
}

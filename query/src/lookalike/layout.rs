//! What each dimension of a customer vector means: blocks of features (industry, place,
//! size, purchase band, product mix, interaction behaviour, tags, description words), each
//! with its labels and weight.
//!
//! Every block is scaled to unit length on its own and then multiplied by its weight, so a
//! block's share of the cosine is set by its weight, not by how many dimensions it has or
//! how big its raw numbers are (40 products do not outvote one industry; yuan do not
//! outvote counts). The whole vector is then L2-normalised. Two customers that agree on a
//! block add `weight²` (times the blocks' own cosine) to their dot product.
//!
//! The weights, and why (tuned with `kesou eval lookalike`, see ARCHITECTURE.md):
//! - products 1.2: what a customer buys is the strongest trace of what it is; a mix
//!   (√ of each product's share of its orders) keeps a 刀具耗材 buyer near other factories
//!   even when the amounts differ by a hundred times.
//! - industry 1.0: the registered 行业, what sales filter on first; noisy (a company's
//!   registered industry is not always its business), so not above products.
//! - tags 0.8: attribute tags (专精特新, 连锁经营, 国企) and how the customer was won.
//! - channels 0.6, interaction kinds 0.5: how a customer talks to us (微信 vs 拜访; 咨询 vs
//!   报修) separates small shops from institutions.
//! - size 0.6, region 0.5, province 0.35: where and how big; place matters to sales but is a
//!   weak sign of the kind of business, so it does not decide alone.
//! - purchase band 0.5, order count 0.4, recency 0.4, employees 0.4, capital 0.4: numbers in
//!   soft quantile bins (a value between two bins' centres is split between them), so
//!   neighbouring bands are similar and far ones are not, whatever the unit.
//! - description words 0.4: hashed character bigrams of 企业简介; broad but noisy.

use serde::{Deserialize, Serialize};

/// The kinds of feature blocks, in vector order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BlockKind {
    Industry,
    Region,
    Province,
    Size,
    Employees,
    Capital,
    Annual,
    Orders,
    Recency,
    Products,
    Kinds,
    Channels,
    Tags,
    Words,
}

impl BlockKind {
    /// The block's weight (see the module documentation).
    pub fn weight(self) -> f32 {
        match self {
            BlockKind::Products => 1.2,
            BlockKind::Industry => 1.0,
            BlockKind::Tags => 0.8,
            BlockKind::Channels | BlockKind::Size => 0.6,
            BlockKind::Kinds | BlockKind::Region | BlockKind::Annual => 0.5,
            BlockKind::Orders
            | BlockKind::Recency
            | BlockKind::Employees
            | BlockKind::Capital
            | BlockKind::Words => 0.4,
            BlockKind::Province => 0.35,
        }
    }
}

/// Bins of a numeric block (plus one for "none" where a missing value means something).
pub(crate) const BINS: usize = 6;
/// Hashed buckets of description bigrams.
pub(crate) const WORD_BUCKETS: usize = 32;
/// Most products and tags a vector has dimensions for (the most frequent; rarer ones are
/// left out and said so in the layout).
pub(crate) const MAX_PRODUCTS: usize = 64;
pub(crate) const MAX_TAGS: usize = 48;

/// One block: where it starts, what its dimensions are called, its weight, and for binned
/// numbers the bin centres (in the transformed unit: ln(1+x), days).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Block {
    pub kind: BlockKind,
    pub offset: usize,
    pub labels: Vec<String>,
    pub weight: f32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub centres: Vec<f64>,
}

impl Block {
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.labels.len()
    }
}

/// The blocks of a vector, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Layout {
    pub blocks: Vec<Block>,
}

impl Layout {
    /// Starts an empty layout; blocks are pushed in order.
    pub fn new() -> Self {
        Layout { blocks: Vec::new() }
    }

    pub fn push(&mut self, kind: BlockKind, labels: Vec<String>, centres: Vec<f64>) {
        let offset = self.dim();
        self.blocks.push(Block {
            kind,
            offset,
            labels,
            weight: kind.weight(),
            centres,
        });
    }

    pub fn dim(&self) -> usize {
        self.blocks.last().map_or(0, |b| b.offset + b.labels.len())
    }

    #[cfg(test)]
    pub fn block(&self, kind: BlockKind) -> Option<&Block> {
        self.blocks.iter().find(|b| b.kind == kind)
    }
}

/// Soft bins: the weights of `value` over bins with these centres (ascending). A value at
/// a centre is all in that bin; between two centres it is split linearly; outside, in the
/// end bin.
pub(crate) fn soft_bins(value: f64, centres: &[f64]) -> Vec<(usize, f32)> {
    let n = centres.len();
    if n == 0 || value.is_nan() {
        return Vec::new();
    }
    if value <= centres[0] {
        return vec![(0, 1.0)];
    }
    if value >= centres[n - 1] {
        return vec![(n - 1, 1.0)];
    }
    let i = centres.partition_point(|c| *c <= value) - 1;
    let span = centres[i + 1] - centres[i];
    if span <= 0.0 {
        return vec![(i, 1.0)];
    }
    let t = ((value - centres[i]) / span) as f32;
    vec![(i, 1.0 - t), (i + 1, t)]
}

/// Bin centres of a sample: the midpoints of `bins` equal-count slices (duplicates
/// removed, so a value shared by many customers gets one bin).
pub(crate) fn quantile_centres(mut values: Vec<f64>, bins: usize) -> Vec<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return Vec::new();
    }
    values.sort_by(f64::total_cmp);
    let mut centres: Vec<f64> = (0..bins)
        .map(|b| {
            let q = (b as f64 + 0.5) / bins as f64;
            values[((values.len() - 1) as f64 * q).round() as usize]
        })
        .collect();
    centres.dedup();
    centres
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_bins_split_between_neighbours() {
        let c = [1.0, 2.0, 4.0];
        assert_eq!(soft_bins(0.0, &c), [(0, 1.0)]);
        assert_eq!(soft_bins(3.0, &c), [(1, 0.5), (2, 0.5)]);
        assert_eq!(soft_bins(9.0, &c), [(2, 1.0)]);
        assert!(soft_bins(f64::NAN, &c).is_empty());
    }

    #[test]
    fn quantile_centres_are_ascending_and_distinct() {
        let c = quantile_centres((0..1000).map(f64::from).collect(), 4);
        assert_eq!(c.len(), 4);
        assert!(c.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(quantile_centres(vec![5.0; 10], 6), [5.0]);
    }

    #[test]
    fn blocks_are_contiguous() {
        let mut l = Layout::new();
        l.push(
            BlockKind::Industry,
            vec!["科技".into(), "制造".into()],
            vec![],
        );
        l.push(BlockKind::Size, vec!["小型".into()], vec![]);
        assert_eq!(l.dim(), 3);
        assert_eq!(l.block(BlockKind::Industry).unwrap().range(), 0..2);
    }
}

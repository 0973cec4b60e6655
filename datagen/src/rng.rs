//! The generator's own small PRNG: SplitMix64 to derive seeds, wyrand to draw. Owning it
//! keeps the data identical across `rand` versions and lets every customer have its own
//! independent streams (attributes, orders, interactions, defects), so no customer's draws
//! depend on another's and a chunk can be generated alone.

/// SplitMix64's finaliser: a bijective 64-bit mixer.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 64-bit hash of bytes (FNV-1a folded through [`mix`]); stable across platforms and
/// releases, unlike `std`'s hashers.
pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    mix(h)
}

/// The independent random streams of one customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum Stream {
    /// Persona, place, size and the name: everything the name depends on.
    Identity = 1,
    /// The other attributes: people, numbers, dates, text.
    Attributes = 2,
    /// The latent process: conversion, activity rates, churn time.
    Latent = 3,
    Orders = 4,
    Interactions = 5,
    /// Which defects a dirty export gives the customer's row.
    Defects = 6,
    /// Which defects a dirty export gives the customer's orders.
    OrderDefects = 8,
    /// Distinguishing suffixes for colliding names.
    Rename = 7,
    /// Whether and which paraphrase is planted in the description.
    Paraphrase = 9,
}

/// wyrand: one 64-bit word of state, fast and of good statistical quality.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: mix(seed) }
    }

    /// The stream `stream` of customer `index` under the dataset `seed`.
    pub fn for_customer(seed: u64, index: usize, stream: Stream) -> Self {
        let s = mix(seed ^ 0x6B65_736F_7500_0000)
            ^ mix((index as u64).wrapping_mul(0x1000_0000_01B3) ^ stream as u64);
        Rng::new(mix(s))
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0xA076_1D64_78BD_642F);
        let t = u128::from(self.state) * u128::from(self.state ^ 0xE703_7ED1_A0B4_28DB);
        ((t >> 64) as u64) ^ (t as u64)
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n) (Lemire's multiply-shift; the bias is below 2^-40 for our n).
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform integer in [lo, hi], both included.
    #[inline]
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    /// Uniform in [lo, hi).
    #[inline]
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    #[inline]
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of the given words.
    #[inline]
    pub fn word<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }

    /// Standard normal by Box–Muller (one value per call, so the stream stays simple).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64();
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal: `exp(N(mu, sigma))`.
    pub fn lognormal(&mut self, mu: f64, sigma: f64) -> f64 {
        (mu + sigma * self.normal()).exp()
    }

    /// Exponential with the given mean.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }

    /// Index drawn with the given integer weights (linear scan: the lists are short).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.below(total as usize) as u32;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// An item of `(item, weight)` pairs.
    pub fn weighted_pick<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.below(total as usize) as u32;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
}

/// A cumulative table for drawing among many weighted items by binary search.
#[derive(Debug, Clone)]
pub(crate) struct Cumulative {
    ends: Vec<f64>,
}

impl Cumulative {
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut total = 0.0;
        let ends = weights
            .into_iter()
            .map(|w| {
                total += w.max(0.0);
                total
            })
            .collect();
        Cumulative { ends }
    }

    pub fn sample(&self, rng: &mut Rng) -> usize {
        let total = *self.ends.last().expect("a non-empty table");
        let x = rng.f64() * total;
        self.ends
            .partition_point(|e| *e <= x)
            .min(self.ends.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a: Vec<u64> = (0..4)
            .map(|_| Rng::for_customer(42, 7, Stream::Orders).next_u64())
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let b = Rng::for_customer(42, 7, Stream::Interactions).next_u64();
        let c = Rng::for_customer(42, 8, Stream::Orders).next_u64();
        let d = Rng::for_customer(43, 7, Stream::Orders).next_u64();
        assert!(a[0] != b && a[0] != c && a[0] != d);
    }

    #[test]
    fn distributions_have_the_expected_moments() {
        let mut rng = Rng::new(1);
        let n = 200_000;
        let (mut s, mut s2, mut e) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let x = rng.normal();
            s += x;
            s2 += x * x;
            e += rng.exp(3.0);
        }
        let mean = s / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "normal mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "normal variance {var}");
        assert!(
            (e / n as f64 - 3.0).abs() < 0.05,
            "exponential mean {}",
            e / n as f64
        );
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[rng.weighted(&[1, 2, 3])] += 1;
        }
        assert!(counts[0] < counts[1] && counts[1] < counts[2], "{counts:?}");
        let table = Cumulative::new([0.0, 1.0, 0.0, 3.0]);
        let mut hits = [0u32; 4];
        for _ in 0..10_000 {
            hits[table.sample(&mut rng)] += 1;
        }
        assert_eq!((hits[0], hits[2]), (0, 0));
        assert!(hits[3] > 2 * hits[1], "{hits:?}");
    }
}

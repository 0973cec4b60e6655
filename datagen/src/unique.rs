//! Unique company names. Customers are generated in parallel chunks, but whether a name is
//! taken depends on every earlier customer, so a cheap first pass draws every candidate
//! name (only the identity stream), then walks the customers in index order and gives each
//! colliding name a distinguishing second trade name (恒瑞 → 恒瑞鑫达), drawn from the
//! customer's own rename stream until the name is free. The result depends on the seed
//! and the index alone: the first N customers are named the same in any larger dataset.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::customer::Identity;
use crate::rng::{Rng, Stream, hash_bytes};
use crate::script::Script;

/// The customers whose name had to be extended, with how many rename draws it took.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    seed: u64,
    renames: Vec<(usize, u8)>,
}

fn name_hash(identity: &Identity, buf: &mut String) -> u64 {
    buf.clear();
    identity.name.write(buf, Script::Simplified);
    hash_bytes(buf.as_bytes())
}

impl Names {
    /// Resolves the names of customers [0, n).
    pub fn resolve(seed: u64, n: usize) -> Self {
        let hashes: Vec<u64> = (0..n)
            .into_par_iter()
            .map_init(
                || String::with_capacity(64),
                |buf, i| name_hash(&Identity::draw(seed, i), buf),
            )
            .collect();
        let mut taken: HashSet<u64> = HashSet::with_capacity(n + n / 8);
        let mut renames = Vec::new();
        let mut buf = String::with_capacity(64);
        for (index, hash) in hashes.into_iter().enumerate() {
            if taken.insert(hash) {
                continue;
            }
            let mut identity = Identity::draw(seed, index);
            let mut rng = Rng::for_customer(seed, index, Stream::Rename);
            let mut attempts = 0u8;
            loop {
                attempts += 1;
                identity.name = identity.name.with_extra(&mut rng);
                if taken.insert(name_hash(&identity, &mut buf)) {
                    break;
                }
                assert!(attempts < u8::MAX, "no free name for customer {index}");
            }
            renames.push((index, attempts));
        }
        Names { seed, renames }
    }

    /// The identity of customer `index` with its unique name.
    pub fn identity(&self, index: usize) -> Identity {
        let mut identity = Identity::draw(self.seed, index);
        if let Ok(at) = self.renames.binary_search_by_key(&index, |(i, _)| *i) {
            let mut rng = Rng::for_customer(self.seed, index, Stream::Rename);
            for _ in 0..self.renames[at].1 {
                identity.name = identity.name.with_extra(&mut rng);
            }
        }
        identity
    }

    #[cfg(test)]
    pub fn renamed(&self) -> usize {
        self.renames.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_stable_under_growth() {
        let names = Names::resolve(42, 30_000);
        assert!(
            names.renamed() > 0,
            "30,000 customers should produce some collisions"
        );
        let mut seen = HashSet::new();
        let mut buf = String::new();
        for i in 0..30_000 {
            buf.clear();
            names.identity(i).name.write(&mut buf, Script::Simplified);
            assert!(seen.insert(buf.clone()), "duplicate name {buf}");
        }
        let fewer = Names::resolve(42, 10_000);
        for i in (0..10_000).step_by(7) {
            assert_eq!(fewer.identity(i).name, names.identity(i).name);
        }
    }
}

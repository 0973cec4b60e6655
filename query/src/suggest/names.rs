//! Customer names for search-as-you-type, ranked best known first (largest 累计采购额):
//! the folded names (`name_key`) sorted, so that names starting with what was typed are a
//! binary search away; and for every pair of adjacent chars the ranks of the names that
//! hold it, so that names holding what was typed are found by walking the rarest pair's
//! ranks in order and checking each, stopping after a few.
//!
//! Memory at 1M customers: ~40 MB of folded names and ids, ~48 MB of pair postings, and
//! the display names that differ from their folded form (traditional characters, capitals).

use std::collections::HashMap;

use duckdb::Connection;
use duckdb::arrow::array::{Array, AsArray, RecordBatch, StringArray};
use duckdb::arrow::compute::cast;
use duckdb::arrow::datatypes::{DataType, Float64Type};

use crate::{Result, Scope};

/// Strings packed end to end, with where each starts (and one past the last end).
#[derive(Debug, Default)]
struct Packed {
    text: String,
    starts: Vec<u32>,
}

impl Packed {
    fn push(&mut self, s: &str) {
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.text.push_str(s);
        self.starts.push(self.text.len() as u32);
    }

    fn get(&self, i: usize) -> &str {
        &self.text[self.starts[i] as usize..self.starts[i + 1] as usize]
    }

    fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }
}

/// Every customer's id, folded name and display name, by rank (0 = best known).
#[derive(Debug, Default)]
pub(super) struct Names {
    ids: Packed,
    keys: Packed,
    /// Display names that are not their folded name, by rank.
    shown: HashMap<u32, String>,
    /// Ranks ordered by folded name.
    sorted: Vec<u32>,
    /// For every pair of adjacent chars, the ranks of the names that hold it.
    pairs: Pairs,
    /// By rank: region, province, city and owner, as indexes into `words` (`u32::MAX`:
    /// none), so a user's scope can be tested without the store.
    place: Vec<[u32; 4]>,
    words: Vec<String>,
}

/// The scope fields kept per name, in the order of `Names::place`.
const PLACE_FIELDS: [&str; 4] = ["region", "province", "city", "owner"];

/// Postings of char pairs, packed: the ranks of pair `i` are
/// `postings[starts[i]..starts[i + 1]]`, ascending.
#[derive(Debug, Default)]
struct Pairs {
    ids: HashMap<u64, u32, BuildPairHasher>,
    starts: Vec<u32>,
    postings: Vec<u32>,
}

impl Pairs {
    /// Postings of every pair of every key (keys in rank order).
    fn build<'k>(keys: impl Iterator<Item = &'k str>) -> Pairs {
        // Pairs as dense numbers; each name's distinct pairs in one flat list.
        let mut ids: HashMap<u64, u32, BuildPairHasher> = HashMap::default();
        let mut flat: Vec<u32> = Vec::new();
        let mut ends: Vec<usize> = Vec::new();
        let mut mine: Vec<u32> = Vec::new();
        for key in keys {
            mine.clear();
            for pair in bigrams(key) {
                let next = ids.len() as u32;
                mine.push(*ids.entry(pair).or_insert(next));
            }
            mine.sort_unstable();
            mine.dedup();
            flat.extend_from_slice(&mine);
            ends.push(flat.len());
        }
        let mut starts = vec![0u32; ids.len() + 1];
        for &p in &flat {
            starts[p as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut fill = starts.clone();
        let mut postings = vec![0u32; flat.len()];
        let mut from = 0;
        for (rank, &end) in ends.iter().enumerate() {
            for &p in &flat[from..end] {
                postings[fill[p as usize] as usize] = rank as u32;
                fill[p as usize] += 1;
            }
            from = end;
        }
        Pairs {
            ids,
            starts,
            postings,
        }
    }

    fn ranks(&self, pair: u64) -> &[u32] {
        self.ids.get(&pair).map_or(&[], |&i| {
            &self.postings[self.starts[i as usize] as usize..self.starts[i as usize + 1] as usize]
        })
    }
}

/// Hashes a packed char pair with one multiplication (the default hasher is built for
/// untrusted keys; these are the store's own names, hashed 12M times at 1M customers).
#[derive(Debug, Default, Clone, Copy)]
struct BuildPairHasher;

#[derive(Debug, Default)]
struct PairHasher(u64);

impl std::hash::BuildHasher for BuildPairHasher {
    type Hasher = PairHasher;
    fn build_hasher(&self) -> PairHasher {
        PairHasher(0)
    }
}

impl std::hash::Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The first 16 bytes of a text, big-endian: texts compare as their heads do, or tie.
fn head(s: &str) -> u128 {
    let mut b = [0u8; 16];
    let n = s.len().min(16);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    u128::from_be_bytes(b)
}

/// The adjacent char pairs of a text, packed.
fn bigrams(s: &str) -> impl Iterator<Item = u64> + '_ {
    s.chars()
        .zip(s.chars().skip(1))
        .map(|(a, b)| (u64::from(a) << 32) | u64::from(b))
}

/// A customer found by name.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Found<'n> {
    pub rank: u32,
    pub id: &'n str,
    pub name: &'n str,
    /// The name starts with what was typed.
    pub prefix: bool,
}

/// One batch of `id, name, name_key, total_purchase, region, province, city, owner` as
/// text and numbers.
struct Batch {
    ids: StringArray,
    names: StringArray,
    keys: StringArray,
    totals: Vec<f64>,
    place: [StringArray; 4],
}

impl Batch {
    fn new(b: &RecordBatch) -> Batch {
        let text = |i: usize| {
            cast(b.column(i), &DataType::Utf8)
                .expect("text casts to utf8")
                .as_string::<i32>()
                .clone()
        };
        let totals = cast(b.column(3), &DataType::Float64).expect("a number");
        let totals = totals.as_primitive::<Float64Type>();
        Batch {
            ids: text(0),
            names: text(1),
            keys: text(2),
            place: [text(4), text(5), text(6), text(7)],
            // best known first: NULL purchases last
            totals: (0..totals.len())
                .map(|r| {
                    if totals.is_valid(r) {
                        totals.value(r)
                    } else {
                        f64::NEG_INFINITY
                    }
                })
                .collect(),
        }
    }
}

impl Names {
    /// Reads every customer's name from the store and ranks them, best known first. The
    /// rows come as Arrow batches and are ranked here (`ORDER BY` and reading row by row
    /// took four times as long at 1M customers).
    pub fn load(conn: &Connection) -> Result<Names> {
        let mut stmt = conn.prepare(
            "SELECT id, name, name_key, total_purchase, region, province, city, owner FROM customers",
        )?;
        let batches: Vec<Batch> = stmt.query_arrow([])?.map(|b| Batch::new(&b)).collect();
        let mut rows: Vec<(u32, u32)> = Vec::new();
        for (i, b) in batches.iter().enumerate() {
            rows.extend(
                (0..b.ids.len())
                    .filter(|&r| b.ids.is_valid(r) && b.names.is_valid(r))
                    .map(|r| (i as u32, r as u32)),
            );
        }
        let at = |&(b, r): &(u32, u32)| (&batches[b as usize], r as usize);
        rows.sort_unstable_by(|x, y| {
            let ((bx, rx), (by, ry)) = (at(x), at(y));
            by.totals[ry]
                .total_cmp(&bx.totals[rx])
                .then_with(|| bx.ids.value(rx).cmp(by.ids.value(ry)))
        });
        let mut out = Names::default();
        let mut interned: HashMap<String, u32> = HashMap::new();
        for (rank, row) in rows.iter().enumerate() {
            let (b, r) = at(row);
            let place = std::array::from_fn(|i| {
                let col = &b.place[i];
                if !col.is_valid(r) {
                    return u32::MAX;
                }
                let v = col.value(r);
                if let Some(&code) = interned.get(v) {
                    return code;
                }
                let code = out.words.len() as u32;
                out.words.push(v.to_owned());
                interned.insert(v.to_owned(), code);
                code
            });
            out.place.push(place);
            let name = b.names.value(r);
            let key = if b.keys.is_valid(r) {
                b.keys.value(r).replace('\n', " ")
            } else {
                kesou_domain::text::name_key(name)
            };
            out.ids.push(b.ids.value(r));
            out.keys.push(&key);
            out.keys.text.push('\n');
            // the separator belongs to no key: the next key starts after it
            *out.keys.starts.last_mut().expect("a start") += 1;
            if name != key {
                out.shown.insert(rank as u32, name.to_owned());
            }
        }
        drop(batches);
        out.pairs = Pairs::build((0..out.len() as u32).map(|r| out.key(r)));
        // Sorted by folded name: by the first 16 bytes, then whole where those tie.
        let mut sorted: Vec<(u128, u32)> = (0..out.len() as u32)
            .map(|r| (head(out.key(r)), r))
            .collect();
        sorted.sort_unstable();
        let mut at = 0;
        while at < sorted.len() {
            let h = sorted[at].0;
            let run = sorted[at..].iter().take_while(|(x, _)| *x == h).count();
            if run > 1 {
                sorted[at..at + run]
                    .sort_unstable_by(|a, b| out.key(a.1).cmp(out.key(b.1)).then(a.1.cmp(&b.1)));
            }
            at += run;
        }
        out.sorted = sorted.into_iter().map(|(_, r)| r).collect();
        Ok(out)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// A folded name, without its separator.
    fn key(&self, rank: u32) -> &str {
        let k = self.keys.get(rank as usize);
        &k[..k.len() - 1]
    }

    fn found(&self, rank: u32, prefix: bool) -> Found<'_> {
        Found {
            rank,
            id: self.ids.get(rank as usize),
            name: self
                .shown
                .get(&rank)
                .map_or_else(|| self.key(rank), String::as_str),
            prefix,
        }
    }

    /// Up to `limit` customers whose folded name starts with `key`, then (to fill `limit`)
    /// whose name holds it; each group best known first.
    #[cfg(test)]
    pub fn find(&self, key: &str, limit: usize) -> Vec<Found<'_>> {
        self.find_in(key, limit, None)
    }

    /// Whether the customer of this rank is in the scope.
    fn in_scope(&self, rank: u32, scope: &Scope) -> bool {
        let place = &self.place[rank as usize];
        scope.allows(|field| {
            let i = PLACE_FIELDS.iter().position(|f| *f == field)?;
            self.words.get(place[i] as usize).map(String::as_str)
        })
    }

    /// Customers whose id starts with `prefix` (C00001 → C0000100 …), best known first:
    /// one pass over the ids in rank order, stopping at `limit`.
    pub fn with_id_prefix(
        &self,
        prefix: &str,
        limit: usize,
        scope: Option<&Scope>,
    ) -> Vec<Found<'_>> {
        let keep = |r: u32| scope.is_none_or(|s| self.in_scope(r, s));
        (0..self.ids.len() as u32)
            .filter(|&r| self.ids.get(r as usize).starts_with(prefix) && keep(r))
            .take(limit)
            .map(|r| self.found(r, true))
            .collect()
    }

    /// [`Names::find`] among the customers of a scope (`None`: all).
    pub fn find_in(&self, key: &str, limit: usize, scope: Option<&Scope>) -> Vec<Found<'_>> {
        if key.is_empty() || limit == 0 || key.contains('\n') {
            return Vec::new();
        }
        let keep = |r: u32| scope.is_none_or(|s| self.in_scope(r, s));
        let from = self.sorted.partition_point(|&r| self.key(r) < key);
        let to = from + self.sorted[from..].partition_point(|&r| self.key(r).starts_with(key));
        let mut prefixed: Vec<u32> = self.sorted[from..to]
            .iter()
            .copied()
            .filter(|&r| keep(r))
            .collect();
        if prefixed.len() > limit {
            prefixed.select_nth_unstable(limit - 1);
            prefixed.truncate(limit);
        }
        prefixed.sort_unstable();
        let mut out: Vec<Found> = prefixed.iter().map(|&r| self.found(r, true)).collect();
        if out.len() < limit {
            // Names holding it: those of its rarest char pair, in rank order, checked whole.
            let rarest = bigrams(key)
                .map(|g| self.pairs.ranks(g))
                .min_by_key(|ranks| ranks.len());
            if let Some(ranks) = rarest {
                for &rank in ranks {
                    if prefixed.binary_search(&rank).is_ok()
                        || !keep(rank)
                        || !self.key(rank).contains(key)
                    {
                        continue;
                    }
                    out.push(self.found(rank, false));
                    if out.len() == limit {
                        break;
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE customers (id VARCHAR, name VARCHAR, name_key VARCHAR, total_purchase DOUBLE,
                region VARCHAR, province VARCHAR, city VARCHAR, owner VARCHAR);
             INSERT INTO customers VALUES
               ('C1', '苏州恒瑞精密机械有限公司', '苏州恒瑞精密机械有限公司', 10, '华东', '江苏省', '苏州市', '王芳'),
               ('C2', '恒瑞医药股份有限公司', '恒瑞医药股份有限公司', 500, '华东', '江苏省', '连云港市', '李娜'),
               ('C3', '上海恒瑞科技有限公司', '上海恒瑞科技有限公司', 300, '华东', '上海市', '上海市', '李娜'),
               ('C4', '苏州明德教育有限公司', '苏州明德教育有限公司', NULL, '华东', '江苏省', '苏州市', NULL),
               ('C5', 'ABC Tech有限公司', 'abctech有限公司', 1, '华南', '广东省', '深圳市', '王芳');",
        )
        .unwrap();
        Names::load(&conn).unwrap()
    }

    fn ids<'n>(found: &[Found<'n>]) -> Vec<&'n str> {
        found.iter().map(|f| f.id).collect()
    }

    #[test]
    fn a_scope_keeps_names_to_its_customers() {
        let n = names();
        let scope = Scope::new([
            ("province".to_owned(), vec!["上海".to_owned()]),
            ("owner".to_owned(), vec!["王芳".to_owned()]),
        ])
        .unwrap();
        assert_eq!(ids(&n.find_in("恒瑞", 10, Some(&scope))), ["C3", "C1"]);
        assert_eq!(ids(&n.find_in("恒瑞", 10, None)), ["C2", "C3", "C1"]);
        assert!(n.find_in("恒瑞", 10, Some(&Scope::nothing())).is_empty());
    }

    #[test]
    fn prefixes_first_then_contained_names_best_known_first() {
        let n = names();
        assert_eq!(n.len(), 5);
        let found = n.find("恒瑞", 10);
        assert_eq!(ids(&found), ["C2", "C3", "C1"]);
        assert!(found[0].prefix && !found[1].prefix);
        assert_eq!(ids(&n.find("苏州", 10)), ["C1", "C4"]);
        assert_eq!(ids(&n.find("恒瑞", 2)), ["C2", "C3"]);
        let tech = n.find("tech", 10);
        assert_eq!(ids(&tech), ["C5"]);
        assert_eq!(
            tech[0].name, "ABC Tech有限公司",
            "shown as written, found folded"
        );
        assert_eq!(found[2].name, "苏州恒瑞精密机械有限公司");
        assert_eq!(n.find("有限公司", 3).len(), 3);
        assert!(n.find("公司\n上海", 10).is_empty());
        assert!(n.find("火星", 10).is_empty());
    }
}

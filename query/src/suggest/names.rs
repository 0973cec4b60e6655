//! Customer names for search-as-you-type: every customer's folded name (`name_key`) in one
//! string, best-known first (largest 累计采购额), so that a substring scan (memchr's memmem)
//! meets the best-known matches first and stops after a few; and the same names sorted, so
//! that names starting with what was typed are a binary search away.

use duckdb::Connection;

use crate::Result;

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

/// Every customer's id, name and folded name, by rank (0 = best known).
#[derive(Debug, Default)]
pub(super) struct Names {
    ids: Packed,
    names: Packed,
    /// Folded names, each followed by `\n` (no name holds one), so a match never spans two.
    keys: Packed,
    /// Ranks ordered by folded name.
    sorted: Vec<u32>,
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

impl Names {
    /// Reads every customer's name from the store, best known first.
    pub fn load(conn: &Connection) -> Result<Names> {
        let mut stmt = conn.prepare(
            "SELECT id, name, name_key FROM customers \
             ORDER BY total_purchase DESC NULLS LAST, id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Names::default();
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let name: String = row.get(1)?;
            let key: String = row.get(2)?;
            out.ids.push(&id);
            out.names.push(&name);
            out.keys.push(&key.replace('\n', " "));
            out.keys.text.push('\n');
            // the separator belongs to no key: the next key starts after it
            *out.keys.starts.last_mut().expect("a start") += 1;
        }
        let mut sorted: Vec<u32> = (0..out.ids.len() as u32).collect();
        sorted.sort_unstable_by(|&a, &b| out.key(a).cmp(out.key(b)).then(a.cmp(&b)));
        out.sorted = sorted;
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
            name: self.names.get(rank as usize),
            prefix,
        }
    }

    /// Up to `limit` customers whose folded name starts with `key`, then (to fill `limit`)
    /// whose name holds it; each group best known first.
    pub fn find(&self, key: &str, limit: usize) -> Vec<Found<'_>> {
        if key.is_empty() || limit == 0 || key.contains('\n') {
            return Vec::new();
        }
        let from = self.sorted.partition_point(|&r| self.key(r) < key);
        let to = from + self.sorted[from..].partition_point(|&r| self.key(r).starts_with(key));
        let mut prefixed: Vec<u32> = self.sorted[from..to].to_vec();
        if prefixed.len() > limit {
            prefixed.select_nth_unstable(limit - 1);
            prefixed.truncate(limit);
        }
        prefixed.sort_unstable();
        let mut out: Vec<Found> = prefixed.iter().map(|&r| self.found(r, true)).collect();
        if out.len() < limit {
            let haystack = self.keys.text.as_bytes();
            let mut last = u32::MAX;
            for at in memchr::memmem::find_iter(haystack, key.as_bytes()) {
                let rank = (self.keys.starts.partition_point(|&s| s as usize <= at) - 1) as u32;
                if rank == last || prefixed.binary_search(&rank).is_ok() {
                    continue;
                }
                last = rank;
                out.push(self.found(rank, false));
                if out.len() == limit {
                    break;
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
            "CREATE TABLE customers (id VARCHAR, name VARCHAR, name_key VARCHAR, total_purchase DOUBLE);
             INSERT INTO customers VALUES
               ('C1', '苏州恒瑞精密机械有限公司', '苏州恒瑞精密机械有限公司', 10),
               ('C2', '恒瑞医药股份有限公司', '恒瑞医药股份有限公司', 500),
               ('C3', '上海恒瑞科技有限公司', '上海恒瑞科技有限公司', 300),
               ('C4', '苏州明德教育有限公司', '苏州明德教育有限公司', NULL),
               ('C5', 'ABC Tech有限公司', 'abctech有限公司', 1);",
        )
        .unwrap();
        Names::load(&conn).unwrap()
    }

    fn ids<'n>(found: &[Found<'n>]) -> Vec<&'n str> {
        found.iter().map(|f| f.id).collect()
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
        assert_eq!(ids(&n.find("tech", 10)), ["C5"]);
        assert_eq!(n.find("有限公司", 3).len(), 3);
        assert!(n.find("公司\n上海", 10).is_empty());
        assert!(n.find("火星", 10).is_empty());
    }
}

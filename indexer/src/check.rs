//! Do store and index agree? The index is a projection of the store: after a catch-up its
//! generation is the store's, it holds one document per customer and no other, and each
//! document carries the generation stamp (`_gen`) its customer has in the store. This is
//! what `kesou check` reports, what a restored store must pass, and what the crash tests
//! (`tests/crash/`) check after every kill.

use std::collections::HashMap;

use duckdb::Connection;
use tantivy::Index;

use crate::index::{GEN_FIELD, indexed_generation};
use crate::{Error, Result, store};

/// How many ids each list of an [`Agreement`] shows at most (the counts are exact).
const SHOWN: usize = 20;

/// What comparing a store with its index found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Agreement {
    pub store_generation: u64,
    pub index_generation: u64,
    /// Customers in the store.
    pub customers: u64,
    /// Live documents in the index.
    pub documents: u64,
    /// Customers without a document (at most [`SHOWN`] ids; `missing_count` is exact).
    pub missing: Vec<String>,
    pub missing_count: u64,
    /// Documents of ids the store does not hold (deleted customers still found).
    pub extra: Vec<String>,
    pub extra_count: u64,
    /// Ids with more than one live document.
    pub duplicated: Vec<String>,
    pub duplicated_count: u64,
    /// Documents built at another generation than their customer's stamp: (id, store, index).
    pub stale: Vec<(String, u64, u64)>,
    pub stale_count: u64,
}

impl Agreement {
    /// Store and index agree: same generation, the same customers, the same stamps.
    pub fn agrees(&self) -> bool {
        self.store_generation == self.index_generation
            && self.missing_count == 0
            && self.extra_count == 0
            && self.duplicated_count == 0
            && self.stale_count == 0
            && self.customers == self.documents
    }

    /// The disagreements in words, one a line; empty when they agree.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.store_generation != self.index_generation {
            out.push(format!(
                "the index is at generation {}, the store at {}",
                self.index_generation, self.store_generation
            ));
        }
        let list = |ids: &[String], n: u64| {
            let more = n.saturating_sub(ids.len() as u64);
            let mut s = ids.join(", ");
            if more > 0 {
                s.push_str(&format!(" and {more} more"));
            }
            s
        };
        if self.missing_count > 0 {
            out.push(format!(
                "{} customers are not in the index: {}",
                self.missing_count,
                list(&self.missing, self.missing_count)
            ));
        }
        if self.extra_count > 0 {
            out.push(format!(
                "{} documents have no customer in the store: {}",
                self.extra_count,
                list(&self.extra, self.extra_count)
            ));
        }
        if self.duplicated_count > 0 {
            out.push(format!(
                "{} customers have more than one document: {}",
                self.duplicated_count,
                list(&self.duplicated, self.duplicated_count)
            ));
        }
        if self.stale_count > 0 {
            let shown: Vec<String> = self
                .stale
                .iter()
                .map(|(id, s, i)| format!("{id} (store {s}, index {i})"))
                .collect();
            out.push(format!(
                "{} documents were built at another generation than their customer's: {}",
                self.stale_count,
                list(&shown, self.stale_count)
            ));
        }
        if out.is_empty() && self.customers != self.documents {
            out.push(format!(
                "{} customers but {} documents",
                self.customers, self.documents
            ));
        }
        out
    }
}

/// Compares the store behind `conn` (as of one snapshot) with the committed `index`.
/// Nothing may write either meanwhile: [`crate::Store::check`] holds the store's writer.
pub fn agreement(conn: &Connection, index: &Index) -> Result<Agreement> {
    let mut a = Agreement {
        index_generation: indexed_generation(index)?,
        ..Agreement::default()
    };
    // One transaction: the generation and the stamps come from the same snapshot.
    let tx = store::Tx::begin(conn)?;
    a.store_generation = store::generation(conn)?;
    let mut stamps: HashMap<String, u64> = HashMap::new();
    {
        let mut stmt = conn.prepare("SELECT id, _gen FROM customers")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (id, gen_) = row?;
            stamps.insert(id, gen_ as u64);
        }
    }
    drop(tx);
    a.customers = stamps.len() as u64;

    let reader = index.reader()?;
    let searcher = reader.searcher();
    let mut seen: HashMap<String, u64> = HashMap::with_capacity(stamps.len());
    let mut id = String::new();
    for segment in searcher.segment_readers() {
        let fast = segment.fast_fields();
        let ids = fast.str("id")?.ok_or_else(|| {
            Error::BadInput("the index has no id column; it is rebuilt at the next open".into())
        })?;
        let gens = fast.u64(GEN_FIELD).map_err(|_| {
            Error::BadInput(
                "the index predates generation stamps; it is rebuilt at the next open".into(),
            )
        })?;
        // The segment's ids in term order, read once in one pass over the dictionary (an
        // ordinal lookup per document costs ten times as much at 1M).
        let mut names: Vec<String> = Vec::with_capacity(ids.num_terms());
        let mut terms = ids
            .dictionary()
            .stream()
            .map_err(|e| Error::Index(e.into()))?;
        while terms.advance() {
            names.push(String::from_utf8_lossy(terms.key()).into_owned());
        }
        let alive = segment.alive_bitset();
        for doc in 0..segment.max_doc() {
            if alive.is_some_and(|b| !b.is_alive(doc)) {
                continue;
            }
            a.documents += 1;
            id.clear();
            if let Some(name) = ids
                .term_ords(doc)
                .next()
                .and_then(|o| names.get(o as usize))
            {
                id.push_str(name);
            }
            let doc_gen = gens.first(doc).unwrap_or(0);
            let n = seen.entry(id.clone()).or_insert(0);
            *n += 1;
            if *n == 2 {
                a.duplicated_count += 1;
                if a.duplicated.len() < SHOWN {
                    a.duplicated.push(id.clone());
                }
            }
            match stamps.get(&id) {
                None => {
                    a.extra_count += 1;
                    if a.extra.len() < SHOWN {
                        a.extra.push(id.clone());
                    }
                }
                Some(&store_gen) if store_gen != doc_gen => {
                    a.stale_count += 1;
                    if a.stale.len() < SHOWN {
                        a.stale.push((id.clone(), store_gen, doc_gen));
                    }
                }
                Some(_) => {}
            }
        }
    }
    let mut missing: Vec<&String> = stamps.keys().filter(|k| !seen.contains_key(*k)).collect();
    missing.sort();
    a.missing_count = missing.len() as u64;
    a.missing = missing.into_iter().take(SHOWN).cloned().collect();
    a.extra.sort();
    a.duplicated.sort();
    Ok(a)
}

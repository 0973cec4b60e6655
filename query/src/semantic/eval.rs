//! `kesou eval semantic`: recall@k of words alone (BM25), meaning alone (vectors) and the
//! two fused (hybrid, as search and questions run it) on paraphrase pairs: a query in one
//! wording, relevant customers those whose description or notes hold the other wording
//! (the demo generator plants them: `kesou_datagen::PARAPHRASES`). And the same three on
//! exact company names, where meaning must not cost what words find.
//!
//! recall@k of a query is the share of its relevant customers in the top k, out of
//! min(k, relevant): a query with 3 relevant customers all in the top 10 scores 1.

use std::collections::HashSet;

use duckdb::Connection;
use serde::Serialize;

use super::{Loaded, VECTOR_K, rrf};
use crate::{Error, Result, Searcher};

/// One paraphrase pair: what is asked, and the wording relevant customers' texts hold.
#[derive(Debug, Clone)]
pub struct PairCase {
    pub asked: String,
    pub written: String,
}

/// Recall of the three retrievals over a set of queries.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Recall {
    pub queries: usize,
    pub bm25: f64,
    pub vectors: f64,
    pub hybrid: f64,
}

/// One pair's outcome, for the list of what each retrieval missed.
#[derive(Debug, Clone, Serialize)]
pub struct PairOutcome {
    pub asked: String,
    pub written: String,
    pub relevant: usize,
    pub bm25: f64,
    pub vectors: f64,
    pub hybrid: f64,
}

/// What `kesou eval semantic` reports.
#[derive(Debug, Clone, Serialize)]
pub struct SemanticEval {
    pub k: usize,
    pub customers: usize,
    /// Pairs with at least one relevant customer in the store.
    pub paraphrases: Recall,
    /// Exact company names: recall is the share found in the top k.
    pub names: Recall,
    /// Names BM25 found in the top k and hybrid did not (must be empty).
    pub names_lost: Vec<String>,
    pub pairs: Vec<PairOutcome>,
    /// Pairs with no relevant customer in this store (too small a store).
    pub pairs_absent: usize,
}

fn recall_at(ranked: &[String], relevant: &HashSet<String>, k: usize) -> f64 {
    let found = ranked
        .iter()
        .take(k)
        .filter(|id| relevant.contains(*id))
        .count();
    found as f64 / relevant.len().min(k).max(1) as f64
}

/// The three rankings of a query, best first: BM25, vectors, hybrid.
fn rankings(
    searcher: &Searcher,
    loaded: &Loaded,
    text: &str,
    k: usize,
) -> Result<[Vec<String>; 3]> {
    let mut bm25 = match searcher.all_matches(text) {
        Ok(m) => m,
        Err(Error::BadRequest(_)) => Vec::new(),
        Err(e) => return Err(e),
    };
    bm25.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let bm25: Vec<String> = bm25.into_iter().map(|(id, _)| id).collect();
    let vectors: Vec<String> = loaded
        .nearest(text, VECTOR_K.max(k), None)?
        .into_iter()
        .map(|n| n.id)
        .collect();
    let hybrid: Vec<String> = rrf(&bm25, &vectors)
        .into_iter()
        .take(k)
        .map(|f| f.id)
        .collect();
    Ok([bm25, vectors, hybrid])
}

fn relevant(conn: &Connection, written: &str) -> Result<HashSet<String>> {
    let mut stmt = conn.prepare(
        "SELECT id FROM customers WHERE contains(description, ?)
         UNION SELECT customer_id FROM interactions WHERE contains(note, ?)",
    )?;
    let ids = stmt
        .query_map([written, written], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<HashSet<_>, _>>()?;
    Ok(ids)
}

/// Evaluates `pairs` and `names` exact-name queries (customers spread evenly over the
/// ids) at depth `k`.
pub fn evaluate(
    searcher: &Searcher,
    loaded: &Loaded,
    conn: &Connection,
    pairs: &[PairCase],
    names: usize,
    k: usize,
) -> Result<SemanticEval> {
    let customers: usize =
        conn.query_row("SELECT count(*) FROM customers", [], |r| r.get::<_, i64>(0))? as usize;
    let mut out = SemanticEval {
        k,
        customers,
        paraphrases: Recall::default(),
        names: Recall::default(),
        names_lost: Vec::new(),
        pairs: Vec::new(),
        pairs_absent: 0,
    };
    for pair in pairs {
        let rel = relevant(conn, &pair.written)?;
        if rel.is_empty() {
            out.pairs_absent += 1;
            continue;
        }
        let [b, v, h] = rankings(searcher, loaded, &pair.asked, k)?;
        out.pairs.push(PairOutcome {
            asked: pair.asked.clone(),
            written: pair.written.clone(),
            relevant: rel.len(),
            bm25: recall_at(&b, &rel, k),
            vectors: recall_at(&v, &rel, k),
            hybrid: recall_at(&h, &rel, k),
        });
    }
    let n = out.pairs.len().max(1) as f64;
    out.paraphrases = Recall {
        queries: out.pairs.len(),
        bm25: out.pairs.iter().map(|p| p.bm25).sum::<f64>() / n,
        vectors: out.pairs.iter().map(|p| p.vectors).sum::<f64>() / n,
        hybrid: out.pairs.iter().map(|p| p.hybrid).sum::<f64>() / n,
    };
    let step = (customers / names.max(1)).max(1);
    let mut stmt = conn.prepare(
        "SELECT id, name FROM (SELECT id, name, row_number() OVER (ORDER BY id) - 1 AS r
         FROM customers WHERE name IS NOT NULL) WHERE r % ? = 0 ORDER BY id LIMIT ?",
    )?;
    let sample = stmt
        .query_map([step as i64, names as i64], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut found = [0usize; 3];
    for (id, name) in &sample {
        let rel = HashSet::from([id.clone()]);
        let ranked = rankings(searcher, loaded, name, k)?;
        let hit = ranked.map(|r| recall_at(&r, &rel, k) > 0.0);
        for (f, h) in found.iter_mut().zip(hit) {
            *f += usize::from(h);
        }
        if hit[0] && !hit[2] {
            out.names_lost.push(name.clone());
        }
    }
    let n = sample.len().max(1) as f64;
    out.names = Recall {
        queries: sample.len(),
        bm25: found[0] as f64 / n,
        vectors: found[1] as f64 / n,
        hybrid: found[2] as f64 / n,
    };
    Ok(out)
}

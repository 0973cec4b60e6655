//! Lookalike customers (找相似客户): rank every customer by cosine similarity to one seed or
//! to the mean of a seed list, after the filters, with the reasons for each match.
//!
//! ```text
//! store ─► build (one grouped SQL pass per table) ─► STORE/lookalike/vectors.bin
//!           (stamped with the store generation; rebuilt when the store moved on)
//! seeds ─► resolve (id, name, name key) ─► mean of the seeds' vectors ─► query vector
//! filters ─► SELECT rowid … WHERE … ─► bitmap of allowed rows (seeds removed)
//!                                   └─► exact top-k over all allowed rows ─► reasons
//! ```
//!
//! The vectors come only from what the store knows (see [`layout`] for the features and
//! their weights); the generator's ground truth is read by [`eval`] alone.

mod build;
mod eval;
mod layout;
mod rank;
mod reasons;
mod seeds;
mod vectors;

use std::path::Path;
use std::time::Instant;

use duckdb::Connection;
use duckdb::types::Value;
use kesou_indexer::{Progress, StorePaths, store};
use serde::Serialize;

pub use eval::{EvalReport, SegmentReport, default_truth, evaluate};
pub use seeds::SeedMatch;

use rank::{Allowed, QueryVector};
use vectors::Vectors;

use crate::{Result, Scope, ScopeExt};

/// The customers a lookalike search may return: `FROM customers t … WHERE …` (the table
/// aliased `t`) with its bound parameters, as the ask executor and `--filter` build it.
#[derive(Debug, Clone)]
pub struct Candidates {
    pub from_where: String,
    pub params: Vec<Value>,
}

impl Candidates {
    /// The customers `--filter`s allow (`None` when there are none: every customer).
    pub fn from_filters(filters: &[crate::Filter]) -> Result<Option<Candidates>> {
        if filters.is_empty() {
            return Ok(None);
        }
        let mut conditions = Vec::new();
        let mut params = Vec::new();
        for f in filters {
            let (sql, p) = f.to_sql()?;
            conditions.push(sql);
            params.extend(p);
        }
        Ok(Some(Candidates {
            from_where: format!("FROM customers t WHERE {}", conditions.join(" AND ")),
            params,
        }))
    }

    /// The customers `--filter`s allow within a scope (`None`: no filters and no scope).
    pub fn within(filters: &[crate::Filter], scope: Option<&Scope>) -> Result<Option<Candidates>> {
        let Some(scope) = scope else {
            return Candidates::from_filters(filters);
        };
        let (cond, params) = scope.to_sql()?;
        Ok(Some(match Candidates::from_filters(filters)? {
            None => Candidates {
                from_where: format!("FROM customers t WHERE {cond}"),
                params,
            },
            Some(mut c) => {
                c.from_where = format!("{} AND {cond}", c.from_where);
                c.params.extend(params);
                c
            }
        }))
    }
}

/// One customer like the seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    /// The customer's DuckDB rowid in the store the vectors were built from (for fetching
    /// its columns by position rather than by a scan for its id).
    #[serde(skip)]
    pub rowid: i64,
    /// Cosine similarity with the seeds' mean vector, -1..1 (higher is more alike).
    pub score: f32,
    /// Why, for people: 同为华东 · 科技行业 · 主购产品相同（…）.
    pub reasons: Vec<String>,
}

/// The answer to a lookalike search.
#[derive(Debug, Clone, Serialize)]
pub struct Similars {
    pub seeds: Vec<SeedMatch>,
    pub hits: Vec<Hit>,
    /// Customers that were ranked: those the filters allow, seeds excluded.
    pub total: u64,
    pub took_ms: f64,
}

/// What building the vectors did.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub rows: usize,
    pub dim: usize,
    pub generation: u64,
    pub bytes: u64,
    pub seconds: f64,
}

/// Every customer's vector, loaded for queries.
#[derive(Debug)]
pub struct Lookalike {
    vectors: Vectors,
}

/// Whether a vector file describes the store as it is now.
fn fresh(header: &vectors::Header, conn: &Connection) -> Result<bool> {
    let (count, max_rowid): (i64, i64) = conn.query_row(
        "SELECT count(*), coalesce(max(rowid), -1) FROM customers",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(header.generation == store::generation(conn)?
        && header.store_rows == count as u64
        && header.max_rowid == max_rowid)
}

impl Lookalike {
    /// Builds the vectors of a store and writes them beside it (`kesou ingest` calls this
    /// right after loading).
    pub fn build(
        paths: &StorePaths,
        conn: &Connection,
        progress: &dyn Progress,
    ) -> Result<BuildReport> {
        let started = Instant::now();
        let v = build::build(conn, progress)?;
        let path = vectors::path(&paths.root);
        vectors::save(&path, &v)?;
        Ok(BuildReport {
            rows: v.rows(),
            dim: v.dim(),
            generation: v.header.generation,
            bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Opens a store's vectors, building them first when they are missing or older than the
    /// store (its generation moved on, or its rows were renumbered). When the folder cannot
    /// be written, the vectors built are used without being saved.
    pub fn open(
        paths: &StorePaths,
        conn: &Connection,
        progress: &dyn Progress,
    ) -> Result<Lookalike> {
        let path = vectors::path(&paths.root);
        if let Some(header) = vectors::peek(&path)? {
            if fresh(&header, conn)? {
                return Ok(Lookalike {
                    vectors: vectors::load(&path)?,
                });
            }
            tracing::info!(
                vectors = header.generation,
                "lookalike vectors are older than the store; rebuilding"
            );
        }
        let v = build::build(conn, progress)?;
        if let Err(e) = vectors::save(&path, &v) {
            tracing::warn!(error = %e, "could not save the lookalike vectors; using them unsaved");
        }
        Ok(Lookalike { vectors: v })
    }

    /// Whether the store's vector file is up to date (for `kesou ingest` and tests).
    pub fn is_fresh(paths: &StorePaths, conn: &Connection) -> Result<bool> {
        match vectors::peek(&vectors::path(&paths.root))? {
            Some(h) => fresh(&h, conn),
            None => Ok(false),
        }
    }

    /// The store generation the vectors describe.
    pub fn generation(&self) -> u64 {
        self.vectors.header.generation
    }

    /// How many customers have a vector.
    pub fn len(&self) -> usize {
        self.vectors.rows()
    }

    pub fn is_empty(&self) -> bool {
        self.vectors.rows() == 0
    }

    /// The `k` customers most like the seeds among the candidates (all when `None`), seeds
    /// excluded, best first, with their reasons.
    pub fn similar(
        &self,
        conn: &Connection,
        seeds: &[String],
        candidates: Option<&Candidates>,
        k: usize,
    ) -> Result<Similars> {
        self.similar_in(conn, seeds, candidates, k, None)
    }

    /// [`Lookalike::similar`] for a user with a scope: seeds outside it are not found (the
    /// candidates must already be within it: [`Candidates::within`]).
    pub fn similar_in(
        &self,
        conn: &Connection,
        seeds: &[String],
        candidates: Option<&Candidates>,
        k: usize,
        scope: Option<&Scope>,
    ) -> Result<Similars> {
        crate::check_count("k", k, crate::MAX_ROWS)?;
        let started = Instant::now();
        let v = &self.vectors;
        let mut seeds = seeds::resolve(conn, v, seeds, scope)?;
        let mut allowed = match candidates {
            None => Allowed::all(v.rows()),
            Some(c) => self.allowed(conn, c)?,
        };
        for s in &seeds {
            allowed.remove(s.row);
        }
        let resolved = started.elapsed();
        let query = self.query_vector(&seeds.iter().map(|s| s.row).collect::<Vec<_>>());
        let ranked = rank::top_k(v, &QueryVector::new(&query), &allowed, k);
        let ranked_at = started.elapsed();
        // Names and purchases come from the vector file: an answer without filters never
        // reads the store.
        for s in seeds.iter_mut().filter(|s| s.name.is_empty()) {
            s.name.clone_from(&v.names[s.row]);
        }
        let hits = self.explain(&query, &ranked);
        tracing::debug!(
            resolve_ms = resolved.as_secs_f64() * 1000.0,
            rank_ms = (ranked_at - resolved).as_secs_f64() * 1000.0,
            explain_ms = (started.elapsed() - ranked_at).as_secs_f64() * 1000.0,
            "similar"
        );
        Ok(Similars {
            seeds,
            hits,
            total: allowed.count() as u64,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// The mean of the seeds' unit vectors.
    fn query_vector(&self, rows: &[usize]) -> Vec<f32> {
        let mut q = vec![0f32; self.vectors.dim()];
        for &r in rows {
            for (a, x) in q.iter_mut().zip(self.vectors.row(r)) {
                *a += x;
            }
        }
        let norm = q.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            q.iter_mut().for_each(|x| *x /= norm);
        }
        q
    }

    /// The rows the candidates' SQL selects.
    fn allowed(&self, conn: &Connection, c: &Candidates) -> Result<Allowed> {
        let v = &self.vectors;
        let mut allowed = Allowed::none(v.rows());
        let mut stmt = conn.prepare(&format!("SELECT t.rowid {}", c.from_where))?;
        let mut rows = stmt.query(duckdb::params_from_iter(c.params.iter()))?;
        while let Some(r) = rows.next()? {
            if let Some(row) = v.row_of_rowid(r.get(0)?) {
                allowed.insert(row);
            }
        }
        Ok(allowed)
    }

    /// Hits with their reasons.
    fn explain(&self, query: &[f32], ranked: &[rank::Scored]) -> Vec<Hit> {
        let v = &self.vectors;
        ranked
            .iter()
            .map(|s| {
                let rowid = v.rowids[s.row];
                let a = v.purchases[s.row];
                Hit {
                    reasons: reasons::reasons(&v.header.layout, query, &v.row(s.row), a),
                    score: s.score,
                    id: v.ids[s.row].clone(),
                    rowid,
                }
            })
            .collect()
    }
}

/// Where a store keeps its vectors (for reports and tests).
pub fn vectors_path(store: &Path) -> std::path::PathBuf {
    vectors::path(store)
}

#[cfg(test)]
mod tests;

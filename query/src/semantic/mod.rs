//! Semantic retrieval (语义检索): customers found by what their texts mean, not only by the
//! words they share with the query, blended with BM25 by reciprocal rank fusion.
//!
//! ```text
//! kesou embed ─► build.rs: descriptions + latest notes ─► kesou_models::Embedder
//!                 (only customers whose texts changed)  ─► STORE/semantic/vectors.bin
//!                                                          (stamped: generation, model)
//! meta.semantic_model ─► Semantic::open ─► (first text query) model + vectors loaded once
//! query text ─► embed_query ─► rank.rs: exact cosine top-k over allowed customers
//!                               ─► fuse.rs: RRF(k=60) with BM25's ranking ─► one list
//! ```
//!
//! A store without `meta.semantic_model` answers exactly as before (BM25 only).

mod background;
mod build;
mod eval;
mod fuse;
mod rank;
mod vectors;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use duckdb::Connection;
use kesou_indexer::{Progress, StorePaths, store};
use kesou_models::{Embedder, ModelConfig, ModelInfo};
use serde::Serialize;

pub use background::{Background, BackgroundState, Stage};
pub use build::{EmbedReport, NOTES_PER_CUSTOMER, Pending};
pub use eval::{PairCase, PairOutcome, Recall, SemanticEval, evaluate};
pub use fuse::{Fused, RRF_K, rrf};
pub use rank::Field;

use crate::{Error, Result};

/// The `meta` key holding the store's model configuration (JSON of [`ModelConfig`]).
pub const META_KEY: &str = "semantic_model";

/// How many customers the vector side of a hybrid search contributes: the nearest this
/// many (after filters) join BM25's matches.
pub const VECTOR_K: usize = 100;

/// Which retrieval found a text query's customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Retrieval {
    /// Words only (tantivy's BM25): no model configured, or the vectors could not be used.
    Bm25,
    /// BM25 and vector similarity, fused by reciprocal rank.
    Hybrid,
}

/// The model configured for a store, if any.
pub fn configured(conn: &Connection) -> Result<Option<ModelConfig>> {
    let Some(json) = store::get_meta(conn, META_KEY)? else {
        return Ok(None);
    };
    serde_json::from_str(&json).map(Some).map_err(|e| {
        Error::BadRequest(format!(
            "meta.{META_KEY} is not a model configuration ({e}); set it again with \
             `kesou embed --model DIR`"
        ))
    })
}

/// Records the store's model (or, with `None`, removes it: searches go back to BM25 only).
/// Opens the store for writing for a moment.
pub fn configure(paths: &StorePaths, model: Option<&ModelConfig>) -> Result<()> {
    let conn = store::open_db(paths, false, false)?;
    match model {
        Some(m) => store::set_meta(
            &conn,
            META_KEY,
            &serde_json::to_string(m).expect("a model config serialises"),
        )?,
        None => {
            conn.execute("DELETE FROM meta WHERE key = ?", [META_KEY])?;
        }
    }
    Ok(())
}

/// Embeds the store's descriptions and notes with `embedder` (only what changed since the
/// last run with the same model) and writes `STORE/semantic/vectors.bin`.
pub fn embed_store(
    paths: &StorePaths,
    embedder: &Embedder,
    batch_size: usize,
    progress: &dyn Progress,
) -> Result<EmbedReport> {
    build::build(paths, embedder, batch_size, progress)
}

/// Distils (or extends) the static model of the E5S1 file `e5` (stored beside it) with
/// every token of the store's descriptions and notes; with `whole`, also every Chinese
/// piece of the vocabulary and its frequent ASCII words (see `kesou_models::distill`).
pub fn distill(
    paths: &StorePaths,
    e5: &Path,
    whole: bool,
    progress: &dyn Progress,
) -> Result<kesou_models::DistillReport> {
    distill_texts(&Pending::read(paths, None)?.texts(), e5, whole, progress)
}

/// [`distill`] with texts already read.
pub fn distill_texts(
    texts: &[&str],
    e5: &Path,
    whole: bool,
    progress: &dyn Progress,
) -> Result<kesou_models::DistillReport> {
    let phase = progress.phase("distilling tokens", None);
    let mut last = 0;
    Ok(kesou_models::distill(e5, texts, whole, &mut |done, _| {
        phase.advance((done - last) as u64);
        last = done;
    })?)
}

/// The state of a store's vectors, for `kesou embed --status` and notes on answers.
#[derive(Debug, Clone, Serialize)]
pub struct VectorStatus {
    /// The store generation the vectors describe (`None`: no vector file).
    pub generation: Option<u64>,
    pub store_generation: u64,
    pub rows: usize,
    /// The model that made them.
    pub model: Option<ModelInfo>,
}

impl VectorStatus {
    pub fn read(paths: &StorePaths, conn: &Connection) -> Result<VectorStatus> {
        let header = vectors::peek(&vectors::path(&paths.root))?;
        Ok(VectorStatus {
            generation: header.as_ref().map(|h| h.generation),
            store_generation: store::generation(conn)?,
            rows: header.as_ref().map_or(0, |h| h.rows),
            model: header.map(|h| h.model),
        })
    }

    /// Whether the store changed since the vectors were made.
    pub fn is_stale(&self) -> bool {
        self.generation.is_some_and(|g| g < self.store_generation)
    }
}

/// A customer near a query by meaning.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Near {
    pub id: String,
    /// Cosine similarity of the query and the customer's nearest text, -1..1.
    pub similarity: f32,
    /// Which text: the description or the notes.
    pub field: Field,
}

/// The model and the vectors, loaded once per process at the first query that needs them.
#[derive(Debug)]
pub struct Loaded {
    embedder: Arc<Embedder>,
    vectors: vectors::Vectors,
    /// Why the vectors may miss recent changes, for people (`None`: up to date).
    stale: Option<String>,
}

impl Loaded {
    pub fn embedder(&self) -> &Arc<Embedder> {
        &self.embedder
    }

    /// Customers with vectors.
    pub fn rows(&self) -> usize {
        self.vectors.rows()
    }

    /// Memory the vectors take, in bytes.
    pub fn bytes(&self) -> usize {
        self.vectors.bytes()
    }

    pub fn stale(&self) -> Option<&str> {
        self.stale.as_deref()
    }

    /// The `k` customers nearest `text` by meaning, among `allowed` ids (all when `None`).
    pub fn nearest(&self, text: &str, k: usize, allowed: Option<&[String]>) -> Result<Vec<Near>> {
        let query = self.embedder.embed_query(text)?;
        Ok(self.nearest_to(&query, k, allowed))
    }

    /// [`Loaded::nearest`] for a query vector already made.
    pub fn nearest_to(&self, query: &[f32], k: usize, allowed: Option<&[String]>) -> Vec<Near> {
        let mask = allowed.map(|ids| {
            let mut mask = vec![false; self.vectors.rows()];
            for id in ids {
                if let Some(r) = self.vectors.row_of(id) {
                    mask[r] = true;
                }
            }
            mask
        });
        rank::nearest(&self.vectors, query, k, mask.as_deref())
            .into_iter()
            .map(|n| Near {
                id: self.vectors.ids[n.row].clone(),
                similarity: n.similarity,
                field: n.field,
            })
            .collect()
    }
}

/// Semantic retrieval for one store: its configured model and vectors (loaded lazily).
/// Cheap to open; share it (`Arc`) between searchers.
#[derive(Debug)]
pub struct Semantic {
    config: ModelConfig,
    root: PathBuf,
    store_generation: u64,
    /// A model loaded elsewhere in the process, used instead of loading it again.
    embedder: Option<Arc<Embedder>>,
    loaded: Mutex<Option<Arc<Loaded>>>,
}

impl Semantic {
    /// The store's semantic retrieval, `None` when no model is configured. Loads nothing yet.
    pub fn open(paths: &StorePaths, conn: &Connection) -> Result<Option<Semantic>> {
        let Some(config) = configured(conn)? else {
            return Ok(None);
        };
        Ok(Some(Semantic {
            config,
            root: paths.root.clone(),
            store_generation: store::generation(conn)?,
            embedder: None,
            loaded: Mutex::new(None),
        }))
    }

    /// Uses a model already loaded (it must be the store's configured one).
    pub fn with_embedder(mut self, embedder: Arc<Embedder>) -> Semantic {
        self.embedder = Some(embedder);
        self
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    pub fn store(&self) -> &Path {
        &self.root
    }

    /// The model and vectors, loading them at the first call. An error is a user error
    /// when the model folder or the vectors need the user (missing, made by another model).
    pub fn load(&self) -> Result<Arc<Loaded>> {
        let mut slot = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = slot.as_ref() {
            return Ok(Arc::clone(l));
        }
        let path = vectors::path(&self.root);
        // While the vectors are being made (a background embedding), fail at once rather
        // than load the model for every query.
        if vectors::peek(&path)?.is_none() {
            return Err(Error::BadRequest(format!(
                "{} has a model configured but no semantic vectors yet; run `kesou embed --data {}`",
                self.root.display(),
                self.root.display()
            )));
        }
        let started = Instant::now();
        let embedder = match &self.embedder {
            Some(e) => Arc::clone(e),
            None => Arc::new(Embedder::load(&self.config)?),
        };
        let model_ms = started.elapsed().as_secs_f64() * 1000.0;
        let Some(vectors) = vectors::load(&path)? else {
            return Err(Error::BadRequest(format!(
                "{} has a model configured but no semantic vectors yet; run `kesou embed --data {}`",
                self.root.display(),
                self.root.display()
            )));
        };
        let info = embedder.info();
        if vectors.header.model.fingerprint != info.fingerprint {
            return Err(Error::BadRequest(format!(
                "the semantic vectors were made by {} ({}), the store's model is {} ({}); \
                 run `kesou embed --data {}` again",
                vectors.header.model.name,
                vectors.header.model.fingerprint,
                info.name,
                info.fingerprint,
                self.root.display()
            )));
        }
        let stale = (vectors.header.generation < self.store_generation).then(|| {
            format!(
                "semantic vectors are from store generation {}, the store is at {}: customers \
                 changed since are found by their words only until `kesou embed` runs again",
                vectors.header.generation, self.store_generation
            )
        });
        tracing::debug!(
            model_ms,
            vectors_ms = started.elapsed().as_secs_f64() * 1000.0 - model_ms,
            rows = vectors.rows(),
            "semantic retrieval loaded"
        );
        let loaded = Arc::new(Loaded {
            embedder,
            vectors,
            stale,
        });
        *slot = Some(Arc::clone(&loaded));
        Ok(loaded)
    }
}

#[cfg(test)]
mod tests;

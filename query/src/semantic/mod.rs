//! Semantic retrieval (语义检索): customers found by what their texts mean, not only by the
//! words they share with the query, blended with BM25 by reciprocal rank fusion.
//!
//! ```text
//! kesou embed ─► build.rs: descriptions + latest notes ─► kesou_models::Embedder
//!                 (only customers whose texts changed)  ─► STORE/semantic/vectors.bin
//!                                                          (stamped: generation, model)
//! meta.semantic_model ─► Semantic::open ─► (first text query) model + vectors loaded once
//!                         Semantic::renewed (after a write) ─► the same model and vectors
//!                         while the vector file is the one they were read from
//!               kesou embed also ─► ivf.rs: texts filed in k-means lists ─► semantic/ivf.bin
//! query text ─► embed_query ─► ivf.rs: the lists nearest the query (a store with an index
//!                               and a scope it pays for), else rank.rs: exact cosine top-k
//!                               ─► fuse.rs: RRF(k=60) with BM25's ranking ─► one list
//! ```
//!
//! A store without `meta.semantic_model` answers exactly as before (BM25 only).

mod background;
mod build;
mod eval;
mod fuse;
mod ivf;
mod quant;
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
pub use ivf::IndexReport;
pub use kesou_domain::answer::Retrieval;
pub use rank::Field;

use crate::{Error, Result};

/// The `meta` key holding the store's model configuration (JSON of [`ModelConfig`]).
pub const META_KEY: &str = "semantic_model";

/// How many customers the vector side of a hybrid search contributes: the nearest this
/// many (after filters) join BM25's matches.
pub const VECTOR_K: usize = 100;

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
    let conn = store::open_db(paths, kesou_indexer::store::Open::Write)?;
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
    vectors: Arc<vectors::Vectors>,
    /// The int8 copy the scan reads ([`Precision::Int8`]).
    int8: Option<Arc<quant::Int8>>,
    /// The lists a query reads instead of every vector, when the store has them.
    ivf: Option<Arc<ivf::Ivf>>,
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
            + self.int8.as_ref().map_or(0, |q| q.bytes())
            + self.ivf.as_ref().map_or(0, |i| i.bytes())
    }

    /// The index queries read, `(lists, texts read per query)`; `None`: every vector is
    /// scanned.
    pub fn index(&self) -> Option<(usize, usize)> {
        self.ivf.as_ref().map(|i| (i.lists(), i.budget()))
    }

    /// What the scan reads.
    pub fn precision(&self) -> Precision {
        match self.int8 {
            Some(_) => Precision::Int8,
            None => Precision::F32,
        }
    }

    pub fn stale(&self) -> Option<&str> {
        self.stale.as_deref()
    }

    /// Whether `other` searches the very same vectors in memory (not a copy read again).
    pub fn shares_vectors_with(&self, other: &Loaded) -> bool {
        Arc::ptr_eq(&self.vectors, &other.vectors)
    }

    /// The `k` customers nearest `text` by meaning, among `allowed` ids (all when `None`).
    pub fn nearest(&self, text: &str, k: usize, allowed: Option<&[String]>) -> Result<Vec<Near>> {
        let query = self.embedder.embed_query(text)?;
        Ok(self.nearest_to(&query, k, allowed))
    }

    /// [`Loaded::nearest`] for a query vector already made: from the index when the store
    /// has one and the scope is wide enough for it to pay, else by the exact scan.
    pub fn nearest_to(&self, query: &[f32], k: usize, allowed: Option<&[String]>) -> Vec<Near> {
        let (mask, allowed_rows) = self.mask(allowed);
        if let Some(ivf) = &self.ivf
            && ivf.pays_for(allowed_rows, k)
        {
            let hits = ivf.nearest(&self.vectors, query, k, mask.as_deref());
            // Short only when the scope is thin in the lists read: the exact scan then.
            if hits.len() >= k {
                return self.named(hits);
            }
        }
        self.named(self.scan(query, k, mask.as_deref()))
    }

    /// [`Loaded::nearest_to`] by the exact scan of every vector, index or not (to measure
    /// the index against).
    pub fn nearest_exact_to(
        &self,
        query: &[f32],
        k: usize,
        allowed: Option<&[String]>,
    ) -> Vec<Near> {
        let (mask, _) = self.mask(allowed);
        self.named(self.scan(query, k, mask.as_deref()))
    }

    /// The rows of `allowed` ids (none: all) and how many there are.
    fn mask(&self, allowed: Option<&[String]>) -> (Option<Vec<bool>>, usize) {
        let Some(ids) = allowed else {
            return (None, self.vectors.rows());
        };
        let mut mask = vec![false; self.vectors.rows()];
        let mut rows = 0;
        for id in ids {
            if let Some(r) = self.vectors.row_of(id)
                && !mask[r]
            {
                mask[r] = true;
                rows += 1;
            }
        }
        (Some(mask), rows)
    }

    fn scan(&self, query: &[f32], k: usize, mask: Option<&[bool]>) -> Vec<rank::Near> {
        match &self.int8 {
            Some(q) => rank::nearest_int8(q, self.vectors.rows(), query, k, mask),
            None => rank::nearest(&self.vectors, query, k, mask),
        }
    }

    fn named(&self, hits: Vec<rank::Near>) -> Vec<Near> {
        hits.into_iter()
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
    precision: Precision,
    /// What this store's earlier and later `Semantic`s (one per write, [`Semantic::renewed`])
    /// loaded, so that a write does not load the model and the vectors again.
    shared: Arc<Mutex<Shared>>,
}

/// The model and the vectors last read for a store. The model stays while the store's
/// model configuration does; the vectors while the file's header (store generation, rows,
/// model) is the one they were read with: `kesou embed` rewrites the file with a new header,
/// and a write to the store leaves the file alone (its customers are found by words until
/// then, and said so).
#[derive(Debug, Default)]
struct Shared {
    embedder: Option<Arc<Embedder>>,
    vectors: Option<Arc<vectors::Vectors>>,
    /// The int8 copy of `vectors`, once made.
    int8: Option<Arc<quant::Int8>>,
    /// The index of `vectors`, once read (`Some(None)`: the store has none for them).
    ivf: Option<Option<Arc<ivf::Ivf>>>,
}

/// What the exact vector scan reads (small stores, narrow scopes; the index always reads
/// int8 and orders its best candidates by f32). int8 loses no recall on the paraphrase
/// truth and scans about four times faster, but its copy adds a quarter to the f32
/// vectors' memory (docs/performance.md): f32 is the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// The vectors as the model made them.
    #[default]
    F32,
    /// Each vector scaled to -127..127 by its own largest magnitude.
    Int8,
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
            precision: Precision::default(),
            shared: Arc::default(),
        }))
    }

    /// The store's semantic retrieval after a write (`conn` reads the store as written): the
    /// model and the vectors this one loaded (or loads later) are used again, the vectors
    /// as long as their file was not rewritten since. A changed model configuration starts
    /// afresh. Loads nothing.
    pub fn renewed(&self, conn: &Connection) -> Result<Option<Semantic>> {
        let Some(fresh) = Semantic::open(&StorePaths::new(&self.root), conn)? else {
            return Ok(None);
        };
        if fresh.config != self.config {
            return Ok(Some(fresh));
        }
        Ok(Some(Semantic {
            embedder: self.embedder.clone(),
            precision: self.precision,
            shared: Arc::clone(&self.shared),
            ..fresh
        }))
    }

    /// Uses a model already loaded (it must be the store's configured one).
    pub fn with_embedder(mut self, embedder: Arc<Embedder>) -> Semantic {
        self.embedder = Some(embedder);
        self
    }

    /// Scans the vectors in `precision` (default f32). Set it before the first query.
    pub fn with_precision(mut self, precision: Precision) -> Semantic {
        self.precision = precision;
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
        // Held while loading: two queries after a write load once, not twice.
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        let embedder = match (&self.embedder, &shared.embedder) {
            (Some(e), _) | (None, Some(e)) => Arc::clone(e),
            (None, None) => Arc::new(Embedder::load(&self.config)?),
        };
        shared.embedder = Some(Arc::clone(&embedder));
        let model_ms = started.elapsed().as_secs_f64() * 1000.0;
        let header = vectors::peek(&path)?;
        let vectors = match &shared.vectors {
            Some(v) if header.as_ref() == Some(&v.header) => Arc::clone(v),
            _ => match vectors::load(&path)? {
                Some(v) => {
                    shared.int8 = None;
                    shared.ivf = None;
                    Arc::new(v)
                }
                None => {
                    return Err(Error::BadRequest(format!(
                        "{} has a model configured but no semantic vectors yet; run `kesou embed --data {}`",
                        self.root.display(),
                        self.root.display()
                    )));
                }
            },
        };
        shared.vectors = Some(Arc::clone(&vectors));
        let int8 = match self.precision {
            Precision::F32 => None,
            Precision::Int8 => Some(Arc::clone(
                shared
                    .int8
                    .get_or_insert_with(|| Arc::new(quant::Int8::new(&vectors))),
            )),
        };
        let ivf = match &shared.ivf {
            Some(i) => i.clone(),
            None => {
                let i = ivf::load(&self.root, &vectors)?.map(Arc::new);
                shared.ivf = Some(i.clone());
                i
            }
        };
        drop(shared);
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
            int8,
            ivf,
            stale,
        });
        *slot = Some(Arc::clone(&loaded));
        Ok(loaded)
    }
}

#[cfg(test)]
mod tests;

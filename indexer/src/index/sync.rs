use std::path::Path;
use std::time::Instant;

use duckdb::{Connection, params};
use rayon::prelude::*;
use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexWriter, TantivyDocument, Term};

use super::docs::{BatchView, document, for_each_changed};
use super::schema::{IndexFields, build_schema};
use crate::crypt::Vault;
use crate::handle::Warm;
use crate::store::{self, StorePaths};
use crate::text::Analyzer;
use crate::{Error, Progress, Result};

/// Memory the index writer may use before flushing a segment.
const WRITER_MEMORY: usize = 768 * 1024 * 1024;

/// An open index with its fields and the store's analyzer registered.
#[derive(Clone)]
pub struct IndexHandle {
    pub index: Index,
    pub fields: IndexFields,
    pub analyzer: Analyzer,
    /// How the store holds its contacts: lookups (`--filter contact_phone=…`) hash with it.
    /// Plain until the store's vault is known (`Store` and `open_for_reading` set it).
    pub vault: Vault,
}

impl std::fmt::Debug for IndexHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexHandle")
            .field("analyzer", &self.analyzer)
            .finish()
    }
}

/// What a catch-up did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SyncReport {
    pub from_generation: u64,
    pub to_generation: u64,
    pub indexed: usize,
    pub deleted: usize,
    pub rebuilt: bool,
    pub seconds: f64,
}

/// The generation an index has caught up to (its last commit's payload; 0 when none).
pub fn indexed_generation(index: &Index) -> Result<u64> {
    Ok(index
        .load_metas()?
        .payload
        .and_then(|p| p.parse().ok())
        .unwrap_or(0))
}

/// From this many documents on, searches use every core.
const PARALLEL_SEARCH_DOCS: u64 = 300_000;

/// Up to this many changed customers, the index writer runs on one thread with a small
/// memory budget: starting two indexing threads and reserving their arenas costs more than
/// indexing a handful of documents.
const SMALL_CHANGE: usize = 10_000;
const SMALL_WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// DuckDB's memory while the documents of a large catch-up are read (`DOC_CHUNK` customers
/// at a time, their notes grouped in a `list()` that cannot spill: ~100 MB at 1M
/// customers' density).
const DOCS_MEMORY_LIMIT: &str = "384MB";

/// Opens the index of a store for reading. Errors when there is none.
pub fn open_index(paths: &StorePaths) -> Result<IndexHandle> {
    let dir = paths.index();
    if !dir.join("meta.json").exists() {
        return Err(Error::BadInput(format!(
            "{} has no search index yet; run `kesou ingest --data {} FILES`",
            paths.root.display(),
            paths.root.display()
        )));
    }
    let mut index = Index::open_in_dir(&dir)?;
    configure_search(&mut index)?;
    let analyzer = Analyzer::load(&paths.words())?;
    analyzer.register(&index);
    let fields = IndexFields::new(index.schema());
    Ok(IndexHandle {
        index,
        fields,
        analyzer,
        vault: Vault::plain(),
    })
}

/// A large index's segments are collected on every core: a match-heavy count or facet pass
/// over a million customers takes about half the time on two. A small one is searched on
/// the calling thread, where handing work over would cost more than it saves.
fn configure_search(index: &mut Index) -> Result<()> {
    let segments = index.searchable_segment_metas()?;
    let docs: u64 = segments.iter().map(|m| u64::from(m.num_docs())).sum();
    if segments.len() > 1 && docs >= PARALLEL_SEARCH_DOCS {
        index.set_default_multithread_executor()?;
    }
    Ok(())
}

fn open_or_create(dir: &Path) -> Result<(Index, bool)> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let schema = build_schema();
    if dir.join("meta.json").exists() {
        let index = Index::open_in_dir(dir)?;
        if index.schema() == schema {
            return Ok((index, false));
        }
        tracing::warn!(dir = %dir.display(), "index schema changed; rebuilding the index");
        drop(index);
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let path = entry.map_err(|e| Error::io(dir, e))?.path();
            if path.is_file() && path.file_name().is_some_and(|n| n != "learned-words.txt") {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
    }
    let directory =
        MmapDirectory::open(dir).map_err(|e| Error::BadInput(format!("{}: {e}", dir.display())))?;
    Ok((Index::create(directory, schema, Default::default())?, true))
}

fn strings(conn: &Connection, sql: &str, since: u64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params![since as i64], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Brings the index up to the store's generation. See the module docs.
pub fn sync(paths: &StorePaths, conn: &Connection, progress: &dyn Progress) -> Result<SyncReport> {
    let mut warm = Warm::default();
    let report = sync_into(paths, conn, &mut warm, progress)?;
    if let Some(merging) = warm.merging {
        merging.finish()?;
    }
    Ok(report)
}

/// An index writer whose commit is done and whose segment merges may still run. The
/// writer (and the index lock) is held until [`Merging::finish`] returns.
pub(crate) struct Merging(IndexWriter<TantivyDocument>);

impl Merging {
    pub fn finish(self) -> Result<()> {
        let started = Instant::now();
        self.0.wait_merging_threads()?;
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "index: merges done"
        );
        Ok(())
    }
}

/// [`sync`] with what a [`crate::Store`] keeps open (`warm`): its index and analyzer are
/// used, nothing is loaded again. Without them the index is opened (or created) and the
/// analyzer loaded only if there are documents to build; `warm` then keeps them. New
/// trade names learned from the changed customers extend the analyzer, and the tokenizers
/// of every clone of the index with it. The writer is left in `warm.merging` once the
/// commit is done, for the caller to finish the merges the commit started.
pub(crate) fn sync_into(
    paths: &StorePaths,
    conn: &Connection,
    warm: &mut Warm,
    progress: &dyn Progress,
) -> Result<SyncReport> {
    if let Some(merging) = warm.merging.take() {
        merging.finish()?;
    }
    let live = &warm.index;
    let started = Instant::now();
    let store_gen = store::generation(conn)?;
    let (index, created) = match live.as_ref() {
        Some(h) => (h.index.clone(), false),
        None => open_or_create(&paths.index())?,
    };
    let mut from = indexed_generation(&index)?;
    if !created && from == store_gen {
        return Ok(SyncReport {
            from_generation: from,
            to_generation: store_gen,
            ..Default::default()
        });
    }
    // An index of generation 0 is empty: filling it is a rebuild (no deletes, no merges).
    let rebuild = created || from > store_gen || from == 0;
    if rebuild {
        from = 0;
    }
    let mut report = SyncReport {
        from_generation: from,
        to_generation: store_gen,
        rebuilt: rebuild,
        ..Default::default()
    };
    let names = strings(conn, "SELECT name FROM customers WHERE _gen > ?", from)?;
    let fields = IndexFields::new(index.schema());
    let analyzer = if names.is_empty() {
        None
    } else {
        let known = match live.as_ref() {
            Some(h) => h.analyzer.clone(),
            None => Analyzer::load(&paths.words())?,
        };
        let analyzer = known.learn(names.iter().map(String::as_str));
        if analyzer.learned_words() != known.learned_words() {
            analyzer.save(&paths.words())?;
        }
        if live.is_none() || analyzer.learned_words() != known.learned_words() {
            analyzer.register(&index);
        }
        Some(analyzer)
    };
    tracing::debug!(
        seconds = started.elapsed().as_secs_f64(),
        "index: names and analyzer"
    );
    let small = names.len() <= SMALL_CHANGE && !rebuild;
    let (threads, memory) = if small {
        (1, SMALL_WRITER_MEMORY)
    } else {
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 8);
        (threads, WRITER_MEMORY)
    };
    let mut writer: IndexWriter<TantivyDocument> = index
        .writer_with_num_threads(threads, memory)
        .map_err(|e| match e {
        tantivy::TantivyError::LockFailure(..) => Error::IndexBusy,
        e => Error::Index(e),
    })?;
    // A process killed inside tantivy's commit leaves the files it had written (segments,
    // `<segment>.<opstamp>.del`) without the meta.json naming them. Catching up performs
    // the same operations again, reaches the same opstamp and would find its delete file
    // already there (FileAlreadyExists, on every open from then on): such leftovers go
    // before anything is written.
    writer.garbage_collect_files().wait()?;
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "index: writer");
    if rebuild {
        writer.delete_all_documents()?;
        // A rebuild writes every document once: merging the segments it flushes while it
        // is still writing competes with the indexing for the two cores (at 1M customers the
        // indexing took 147 s without merges, 183 s with them, back to back). The segments
        // stay as written (six at 1M); searches collect them on every core, and later syncs
        // merge as usual.
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    } else {
        let gone = strings(
            conn,
            "SELECT id FROM customers WHERE _gen > $1 UNION SELECT id FROM tombstones WHERE gen > $1",
            from,
        )?;
        for id in &gone {
            writer.delete_term(Term::from_field_text(fields.id, id));
        }
        report.deleted = strings(
            conn,
            "SELECT DISTINCT id FROM tombstones WHERE gen > ?",
            from,
        )?
        .len();
    }
    if let Some(analyzer) = &analyzer {
        let phase = progress.phase("indexing", Some(names.len() as u64));
        // Reading a chunk of documents needs little of DuckDB; what it cached while
        // writing would sit beside the writer's arenas for the whole rebuild.
        let _memory = (!small).then(|| store::MemoryLimit::lower(conn, DOCS_MEMORY_LIMIT));
        for_each_changed(conn, from, |batch| {
            let view = BatchView::new(batch)?;
            let docs: Vec<TantivyDocument> = if small {
                (0..view.rows())
                    .map(|row| document(&view, row, &fields, analyzer))
                    .collect()
            } else {
                (0..view.rows())
                    .into_par_iter()
                    .map(|row| document(&view, row, &fields, analyzer))
                    .collect()
            };
            for doc in docs {
                writer.add_document(doc)?;
            }
            report.indexed += view.rows();
            phase.advance(view.rows() as u64);
            Ok(())
        })?;
    }
    tracing::debug!(
        seconds = started.elapsed().as_secs_f64(),
        "documents built and added"
    );
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&store_gen.to_string());
    prepared.commit()?;
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "index committed");
    warm.merging = Some(Merging(writer));
    report.seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        from,
        to = store_gen,
        indexed = report.indexed,
        deleted = report.deleted,
        seconds = report.seconds,
        "index caught up"
    );
    if let Some(analyzer) = analyzer {
        match warm.index.as_mut() {
            Some(h) => h.analyzer = analyzer,
            None => {
                let mut index = index;
                configure_search(&mut index)?;
                warm.index = Some(IndexHandle {
                    index,
                    fields,
                    analyzer,
                    vault: Vault::plain(),
                });
            }
        }
    }
    Ok(report)
}

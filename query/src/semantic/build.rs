//! `kesou embed`: the store's texts → vectors. Per customer, its description and the mean of
//! its latest notes' vectors. Only what changed is embedded again: a customer whose
//! generation stamp is not newer than the vector file keeps its vectors; a newer one is
//! compared by the hashes of its texts, and a text that did not change is not embedded.
//!
//! The store is read in one read-only pass (a snapshot: its generation and its texts) and
//! closed before the model runs, so queries and ingests are not held up meanwhile.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use duckdb::Connection;
use kesou_indexer::{Progress, StorePaths, store};
use kesou_models::{Embedder, StableHasher, stable_hash};
use serde::Serialize;

use super::vectors::{self, Vectors};
use crate::Result;

/// The latest notes of a customer that make its notes vector: recent interactions say what
/// is going on now, and the mean of hundreds of notes says nothing in particular.
pub const NOTES_PER_CUSTOMER: usize = 32;

/// Notes embedded at a time (their vectors are averaged per customer, then dropped).
const NOTE_CHUNK: usize = 8192;

/// What embedding a store did.
#[derive(Debug, Clone, Serialize)]
pub struct EmbedReport {
    /// Customers in the store (and rows in the vector file).
    pub customers: usize,
    /// Customers whose vectors were kept from the last run untouched.
    pub kept: usize,
    /// Descriptions embedded in this run.
    pub descriptions: usize,
    /// Notes embedded in this run (distinct texts).
    pub notes: usize,
    /// The store generation the vectors describe.
    pub generation: u64,
    pub bytes: u64,
    /// The index queries read (`None`: too few texts, every vector is scanned).
    pub index: Option<super::IndexReport>,
    /// Reading the store, embedding, writing.
    pub read_seconds: f64,
    pub embed_seconds: f64,
    pub seconds: f64,
}

/// A customer's texts as the store has them now.
struct Customer {
    id: String,
    description: Option<String>,
    description_hash: u64,
    /// Distinct notes, latest first, at most [`NOTES_PER_CUSTOMER`].
    notes: Vec<String>,
    notes_hash: u64,
    /// Row in the previous vector file, when it had this customer.
    old: Option<usize>,
    /// Whether the previous vectors hold as they are (stamp not newer than the file).
    unchanged: bool,
}

/// A text's hash, never 0 (0 marks "no text").
fn text_hash(text: &str) -> u64 {
    stable_hash(text.as_bytes()).max(1)
}

fn notes_hash(notes: &[String]) -> u64 {
    if notes.is_empty() {
        return 0;
    }
    let mut h = StableHasher::default();
    for n in notes {
        h.write_part(n.as_bytes());
    }
    h.finish().max(1)
}

/// Reads the customers and, for those that may have changed, their texts.
fn read(conn: &Connection, old: Option<&Vectors>) -> Result<(u64, Vec<Customer>)> {
    let generation = store::generation(conn)?;
    let old_generation = old.map_or(0, |v| v.header.generation);
    let mut customers = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT id, CASE WHEN _gen > ? THEN description END, _gen > ? FROM customers ORDER BY id",
    )?;
    let mut rows = stmt.query(duckdb::params![
        old_generation as i64,
        old_generation as i64
    ])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let old_row = old.and_then(|v| v.row_of(&id));
        let newer: bool = r.get(2)?;
        let description: Option<String> = r
            .get::<_, Option<String>>(1)?
            .filter(|d| !d.trim().is_empty());
        customers.push(Customer {
            description_hash: description.as_deref().map_or(0, text_hash),
            description,
            notes: Vec::new(),
            notes_hash: 0,
            old: old_row,
            unchanged: old_row.is_some() && !newer,
            id,
        });
    }
    // Notes of the customers that may have changed, latest first.
    conn.execute_batch("CREATE OR REPLACE TEMP TABLE _embed_todo (id VARCHAR)")?;
    {
        let mut app = conn.appender_to_catalog_and_db("_embed_todo", "temp", "main")?;
        for c in customers.iter().filter(|c| !c.unchanged) {
            app.append_row([&c.id])?;
        }
        app.flush()?;
    }
    let mut stmt = conn.prepare(
        "SELECT customer_id, note FROM interactions
         WHERE customer_id IN (SELECT id FROM _embed_todo) AND trim(coalesce(note, '')) <> ''
         ORDER BY customer_id, ts DESC, id",
    )?;
    let mut rows = stmt.query([])?;
    let mut at = 0;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        while at < customers.len() && customers[at].id < id {
            at += 1;
        }
        let Some(c) = customers.get_mut(at).filter(|c| c.id == id) else {
            continue;
        };
        let note: String = r.get(1)?;
        if c.notes.len() < NOTES_PER_CUSTOMER && !c.notes.contains(&note) {
            c.notes.push(note);
        }
    }
    conn.execute_batch("DROP TABLE IF EXISTS _embed_todo")?;
    for c in &mut customers {
        c.notes_hash = notes_hash(&c.notes);
    }
    Ok((generation, customers))
}

/// A store's texts read for embedding (the store closed again): what [`Pending::embed`]
/// needs, so that the model can run while the store is held by someone else (a server).
pub struct Pending {
    root: std::path::PathBuf,
    generation: u64,
    customers: Vec<Customer>,
    old: Option<Vectors>,
    read_seconds: f64,
}

impl Pending {
    /// Reads the store's generation and the texts of the customers that may have changed
    /// since the vectors of `fingerprint` (none: all).
    pub fn read(paths: &StorePaths, fingerprint: Option<&str>) -> Result<Pending> {
        let started = Instant::now();
        let path = vectors::path(&paths.root);
        // Vectors of another model (or other settings) cannot be mixed with new ones.
        let old = match fingerprint {
            Some(f) => vectors::load(&path)?.filter(|v| v.header.model.fingerprint == f),
            None => None,
        };
        let (generation, customers) = {
            let conn = store::open_db(paths, kesou_indexer::store::Open::Read)?;
            read(&conn, old.as_ref())?
        };
        Ok(Pending {
            root: paths.root.clone(),
            generation,
            customers,
            old,
            read_seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Every distinct text read (descriptions and notes), for distilling a model.
    pub fn texts(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.customers
            .iter()
            .flat_map(|c| c.description.iter().chain(&c.notes))
            .map(String::as_str)
            .filter(|t| seen.insert(*t))
            .collect()
    }

    /// Embeds what changed with `embedder` (the model whose fingerprint the texts were read
    /// for) and writes the vector file.
    pub fn embed(
        self,
        embedder: &Embedder,
        batch_size: usize,
        progress: &dyn Progress,
    ) -> Result<EmbedReport> {
        if let Some(o) = &self.old
            && o.header.model.fingerprint != embedder.info().fingerprint
        {
            return Err(crate::Error::BadRequest(format!(
                "the texts were read for the vectors of {}, not for {}; read them again",
                o.header.model.name,
                embedder.info().name
            )));
        }
        finish(self, embedder, batch_size, progress)
    }
}

/// Embeds what changed and writes the vector file.
pub(crate) fn build(
    paths: &StorePaths,
    embedder: &Embedder,
    batch_size: usize,
    progress: &dyn Progress,
) -> Result<EmbedReport> {
    let pending = Pending::read(paths, Some(&embedder.info().fingerprint))?;
    finish(pending, embedder, batch_size, progress)
}

fn finish(
    pending: Pending,
    embedder: &Embedder,
    batch_size: usize,
    progress: &dyn Progress,
) -> Result<EmbedReport> {
    let started = Instant::now();
    let Pending {
        root,
        generation,
        customers,
        old,
        read_seconds,
    } = pending;
    let path = vectors::path(&root);
    let info = embedder.info();
    let dims = embedder.dims();
    let mut v = Vectors::empty(generation, info.clone());
    v.descriptions = vec![0f32; customers.len() * dims];
    v.notes = vec![0f32; customers.len() * dims];
    let mut descriptions_todo: Vec<usize> = Vec::new();
    let mut notes_todo: Vec<usize> = Vec::new();
    let mut kept = 0;
    for (r, c) in customers.iter().enumerate() {
        v.ids.push(c.id.clone());
        let old_row = c
            .old
            .map(|o| (old.as_ref().expect("a row of the old file"), o));
        let (dh, nh) = match old_row {
            Some((o, row)) if c.unchanged => (o.description_hash[row], o.notes_hash[row]),
            _ => (c.description_hash, c.notes_hash),
        };
        v.description_hash.push(dh);
        v.notes_hash.push(nh);
        let mut copied = 0;
        if let Some((o, row)) = old_row {
            if o.description_hash[row] == dh {
                v.descriptions[r * dims..(r + 1) * dims]
                    .copy_from_slice(&o.descriptions[row * dims..(row + 1) * dims]);
                copied += 1;
            }
            if o.notes_hash[row] == nh {
                v.notes[r * dims..(r + 1) * dims]
                    .copy_from_slice(&o.notes[row * dims..(row + 1) * dims]);
                copied += 1;
            }
        }
        if copied == 2 {
            kept += 1;
            continue;
        }
        if dh != 0 && old_row.is_none_or(|(o, row)| o.description_hash[row] != dh) {
            descriptions_todo.push(r);
        }
        if nh != 0 && old_row.is_none_or(|(o, row)| o.notes_hash[row] != nh) {
            notes_todo.push(r);
        }
    }
    let embed_started = Instant::now();
    embed_descriptions(
        embedder,
        &customers,
        &descriptions_todo,
        batch_size,
        &mut v,
        progress,
    )?;
    let notes = embed_notes(
        embedder,
        &customers,
        &notes_todo,
        batch_size,
        &mut v,
        progress,
    )?;
    let embed_seconds = embed_started.elapsed().as_secs_f64();
    let bytes = vectors::save(&path, &v)?;
    let index = super::ivf::refresh(&root, old.as_ref(), &v)?;
    Ok(EmbedReport {
        customers: customers.len(),
        kept,
        descriptions: descriptions_todo.len(),
        notes,
        generation,
        bytes,
        index,
        read_seconds,
        embed_seconds,
        seconds: read_seconds + started.elapsed().as_secs_f64(),
    })
}

fn embed_descriptions(
    embedder: &Embedder,
    customers: &[Customer],
    todo: &[usize],
    batch_size: usize,
    v: &mut Vectors,
    progress: &dyn Progress,
) -> Result<()> {
    if todo.is_empty() {
        return Ok(());
    }
    let phase = progress.phase("embedding descriptions", Some(todo.len() as u64));
    let dims = v.dims();
    for chunk in todo.chunks(NOTE_CHUNK) {
        let texts: Vec<&str> = chunk
            .iter()
            .map(|&r| customers[r].description.as_deref().unwrap_or_default())
            .collect();
        let e = embedder.embed_passages(&texts, batch_size, &mut |n| phase.advance(n as u64))?;
        for (k, &r) in chunk.iter().enumerate() {
            v.descriptions[r * dims..(r + 1) * dims].copy_from_slice(e.row(k));
        }
    }
    Ok(())
}

/// Embeds the notes of the customers in `todo` a chunk at a time, each distinct text once
/// per chunk (texts many customers share, such as 节日问候, are remembered across chunks),
/// and sets each customer's notes vector to the unit mean of its notes'. Returns how many
/// texts were embedded.
fn embed_notes(
    embedder: &Embedder,
    customers: &[Customer],
    todo: &[usize],
    batch_size: usize,
    v: &mut Vectors,
    progress: &dyn Progress,
) -> Result<usize> {
    if todo.is_empty() {
        return Ok(0);
    }
    let dims = v.dims();
    // Texts of more than one customer: their vectors are kept for the whole run.
    let mut seen: HashMap<&str, u32> = HashMap::new();
    for &r in todo {
        for n in &customers[r].notes {
            *seen.entry(n.as_str()).or_default() += 1;
        }
    }
    let shared: HashSet<&str> = seen
        .iter()
        .filter(|(_, c)| **c > 1)
        .map(|(t, _)| *t)
        .collect();
    let distinct = seen.len();
    drop(seen);
    let mut remembered: HashMap<&str, Vec<f32>> = HashMap::new();
    let phase = progress.phase("embedding notes", Some(distinct as u64));
    let mut embedded = 0;
    let mut start = 0;
    while start < todo.len() {
        // Customers until the chunk holds NOTE_CHUNK notes.
        let mut end = start;
        let mut count = 0;
        while end < todo.len()
            && (count == 0 || count + customers[todo[end]].notes.len() <= NOTE_CHUNK)
        {
            count += customers[todo[end]].notes.len();
            end += 1;
        }
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut texts: Vec<&str> = Vec::new();
        for &r in &todo[start..end] {
            for n in &customers[r].notes {
                if !remembered.contains_key(n.as_str()) && !index.contains_key(n.as_str()) {
                    index.insert(n.as_str(), texts.len());
                    texts.push(n.as_str());
                }
            }
        }
        let e = embedder.embed_passages(&texts, batch_size, &mut |n| phase.advance(n as u64))?;
        embedded += texts.len();
        for &r in &todo[start..end] {
            let mut mean = vec![0f32; dims];
            for n in &customers[r].notes {
                let x = match remembered.get(n.as_str()) {
                    Some(x) => x.as_slice(),
                    None => e.row(index[n.as_str()]),
                };
                mean.iter_mut().zip(x).for_each(|(m, x)| *m += x);
            }
            let norm = mean.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            v.notes[r * dims..(r + 1) * dims]
                .iter_mut()
                .zip(&mean)
                .for_each(|(o, m)| *o = m / norm);
        }
        for (t, i) in index {
            if shared.contains(t) {
                remembered.insert(t, e.row(i).to_vec());
            }
        }
        start = end;
    }
    Ok(embedded)
}

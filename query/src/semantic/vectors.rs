//! The semantic vector file beside the store (`STORE/semantic/vectors.bin`): per customer,
//! the unit vector of its description and the unit mean of its interaction notes' vectors,
//! f32, with the hashes of the texts they were made from (to embed only what changed).
//!
//! Layout: `KESOUSEM` + version byte, a little-endian u64 header length, the header as JSON
//! ([`Header`]: store generation, rows, dims, the model that made them), the ids
//! (newline-separated, u64 byte length first, ascending), the description hashes and note
//! hashes (u64 each; 0 for none), then the description vectors and the note vectors, each
//! `rows × dims` f32 row after row (zeros where a customer has none). Written to a temporary
//! file and renamed; loaded with one read per part, straight into the vectors' memory.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use kesou_models::ModelInfo;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"KESOUSEM";
const VERSION: u8 = 1;

/// What the vectors describe and which model made them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Header {
    /// The store generation whose texts were embedded.
    pub generation: u64,
    pub rows: usize,
    pub dims: usize,
    pub model: ModelInfo,
}

/// Every customer's semantic vectors, rows in id order.
#[derive(Debug, Clone)]
pub(crate) struct Vectors {
    pub header: Header,
    pub ids: Vec<String>,
    /// Stable hash of the description embedded (0: none).
    pub description_hash: Vec<u64>,
    /// Stable hash of the notes embedded, in order (0: none).
    pub notes_hash: Vec<u64>,
    pub descriptions: Vec<f32>,
    pub notes: Vec<f32>,
}

impl Vectors {
    pub fn empty(generation: u64, model: ModelInfo) -> Vectors {
        Vectors {
            header: Header {
                generation,
                rows: 0,
                dims: model.dims,
                model,
            },
            ids: Vec::new(),
            description_hash: Vec::new(),
            notes_hash: Vec::new(),
            descriptions: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn rows(&self) -> usize {
        self.ids.len()
    }

    pub fn dims(&self) -> usize {
        self.header.dims
    }

    pub fn description(&self, r: usize) -> Option<&[f32]> {
        (self.description_hash[r] != 0)
            .then(|| &self.descriptions[r * self.dims()..(r + 1) * self.dims()])
    }

    pub fn notes(&self, r: usize) -> Option<&[f32]> {
        (self.notes_hash[r] != 0).then(|| &self.notes[r * self.dims()..(r + 1) * self.dims()])
    }

    /// The row of a customer id.
    pub fn row_of(&self, id: &str) -> Option<usize> {
        self.ids.binary_search_by(|x| x.as_str().cmp(id)).ok()
    }

    /// Bytes in memory (for reports).
    pub fn bytes(&self) -> usize {
        (self.descriptions.len() + self.notes.len()) * 4
            + self.ids.iter().map(|i| i.len() + 24).sum::<usize>()
            + self.rows() * 16
    }
}

/// Where a store's semantic vectors live.
pub(crate) fn path(store: &Path) -> PathBuf {
    store.join("semantic").join("vectors.bin")
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Indexer(kesou_indexer::Error::Io {
        path: path.to_owned(),
        source: e,
    })
}

fn corrupt(path: &Path, what: &str) -> Error {
    Error::BadRequest(format!(
        "{}: {what}; delete it and run `kesou embed` again",
        path.display()
    ))
}

fn read_header(file: &mut File, path: &Path) -> Result<Option<Header>> {
    let mut magic = [0u8; 9];
    if file.read_exact(&mut magic).is_err() || &magic[..8] != MAGIC || magic[8] != VERSION {
        return Ok(None);
    }
    let mut len = [0u8; 8];
    file.read_exact(&mut len).map_err(|e| io(path, e))?;
    let mut json = vec![0u8; u64::from_le_bytes(len) as usize];
    file.read_exact(&mut json).map_err(|e| io(path, e))?;
    serde_json::from_slice(&json)
        .map(Some)
        .map_err(|_| corrupt(path, "unreadable header"))
}

/// The header of a vector file, `None` when there is none (or of another version).
pub(crate) fn peek(path: &Path) -> Result<Option<Header>> {
    match File::open(path) {
        Ok(mut f) => read_header(&mut f, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path, e)),
    }
}

/// Reads a whole vector file; `None` when there is none (or of another version).
pub(crate) fn load(path: &Path) -> Result<Option<Vectors>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(path, e)),
    };
    let Some(header) = read_header(&mut file, path)? else {
        return Ok(None);
    };
    let (rows, dims) = (header.rows, header.dims);
    let mut len = [0u8; 8];
    file.read_exact(&mut len).map_err(|e| io(path, e))?;
    let mut ids = vec![0u8; u64::from_le_bytes(len) as usize];
    file.read_exact(&mut ids).map_err(|e| io(path, e))?;
    let ids: Vec<String> = if rows == 0 {
        Vec::new()
    } else {
        String::from_utf8(ids)
            .map_err(|_| corrupt(path, "ids are not UTF-8"))?
            .split('\n')
            .map(str::to_owned)
            .collect()
    };
    if ids.len() != rows {
        return Err(corrupt(path, "row count and ids disagree"));
    }
    let mut description_hash = vec![0u64; rows];
    let mut notes_hash = vec![0u64; rows];
    let mut descriptions = vec![0f32; rows * dims];
    let mut notes = vec![0f32; rows * dims];
    for part in [&mut description_hash, &mut notes_hash] {
        file.read_exact(bytemuck::cast_slice_mut(part))
            .map_err(|e| io(path, e))?;
        part.iter_mut().for_each(|x| *x = u64::from_le(*x));
    }
    for part in [&mut descriptions, &mut notes] {
        file.read_exact(bytemuck::cast_slice_mut(part))
            .map_err(|e| io(path, e))?;
        if cfg!(target_endian = "big") {
            part.iter_mut()
                .for_each(|x| *x = f32::from_bits(u32::from_le(x.to_bits())));
        }
    }
    Ok(Some(Vectors {
        header,
        ids,
        description_hash,
        notes_hash,
        descriptions,
        notes,
    }))
}

/// Writes a vector file (to a temporary name, then renamed over the old one).
pub(crate) fn save(path: &Path, v: &Vectors) -> Result<u64> {
    let dir = path.parent().expect("the vector file has a folder");
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let tmp = path.with_extension("bin.tmp");
    let file = File::create(&tmp).map_err(|e| io(&tmp, e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let mut header = v.header.clone();
    header.rows = v.rows();
    let json = serde_json::to_vec(&header).expect("header serialises");
    let ids = v.ids.join("\n");
    let write = |w: &mut BufWriter<File>, bytes: &[u8]| w.write_all(bytes).map_err(|e| io(&tmp, e));
    write(&mut w, MAGIC)?;
    write(&mut w, &[VERSION])?;
    write(&mut w, &(json.len() as u64).to_le_bytes())?;
    write(&mut w, &json)?;
    write(&mut w, &(ids.len() as u64).to_le_bytes())?;
    write(&mut w, ids.as_bytes())?;
    for part in [&v.description_hash, &v.notes_hash] {
        for x in part {
            write(&mut w, &x.to_le_bytes())?;
        }
    }
    for part in [&v.descriptions, &v.notes] {
        if cfg!(target_endian = "little") {
            write(&mut w, bytemuck::cast_slice(part))?;
        } else {
            for x in part {
                write(&mut w, &x.to_le_bytes())?;
            }
        }
    }
    let file = w.into_inner().map_err(|e| io(&tmp, e.into_error()))?;
    file.sync_all().map_err(|e| io(&tmp, e))?;
    let bytes = file.metadata().map_err(|e| io(&tmp, e))?.len();
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))?;
    Ok(bytes)
}

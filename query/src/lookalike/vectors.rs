//! The vector file beside the store (`STORE/lookalike/vectors.bin`): every customer's vector,
//! L2-normalised and quantised to i8 with one scale per customer, stored column by column
//! (dimension-major) so that a query reads only the dimensions its seeds have.
//!
//! Layout of the file: `KESOUVEC` + version byte, a little-endian u64 header length, the
//! header as JSON ([`Header`]: store generation, row count, the store's row count and
//! largest rowid when built, the feature layout), the ids (newline-separated, u64 length
//! first), the names (the same way), the annual purchases (f64 each, NaN for none), the
//! DuckDB rowids (u64 each), the scales (f32 each), then `dim` columns of
//! `rows` bytes. Written to a temporary file and renamed, so a reader never sees half of it.
//! Loading is one read per part.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::layout::Layout;
use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"KESOUVEC";
const VERSION: u8 = 2;

/// What the file was built from: when any of it differs from the store, it is rebuilt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub generation: u64,
    pub rows: usize,
    /// `count(*)` and `max(rowid)` of `customers` when built: a rowid renumbering (DuckDB
    /// compacting deleted rows) changes them even when the generation did not move.
    pub store_rows: u64,
    pub max_rowid: i64,
    pub layout: Layout,
}

/// Every customer's vector.
#[derive(Debug, Clone)]
pub(crate) struct Vectors {
    pub header: Header,
    pub ids: Vec<String>,
    /// Names and 年采购额, so that an answer without filters never reads the store.
    pub names: Vec<String>,
    pub purchases: Vec<Option<f64>>,
    /// DuckDB rowids, ascending: row `r` of the vectors is the customer with `rowids[r]`.
    pub rowids: Vec<i64>,
    /// Per row: the value one quantisation step stands for.
    pub scales: Vec<f32>,
    /// `dim` columns of `rows` values each (i8 stored as u8).
    pub columns: Vec<u8>,
    /// Rows in the order of their ids, for finding a customer by id without the store
    /// (empty when `ids` already ascend, as they do unless customers were reloaded).
    pub id_order: Vec<u32>,
}

/// The permutation that sorts `ids`, or nothing when they are sorted already.
pub(crate) fn id_order(ids: &[String]) -> Vec<u32> {
    if ids.is_sorted() {
        return Vec::new();
    }
    let mut order: Vec<u32> = (0..ids.len() as u32).collect();
    order.sort_unstable_by(|a, b| ids[*a as usize].cmp(&ids[*b as usize]));
    order
}

impl Vectors {
    pub fn rows(&self) -> usize {
        self.header.rows
    }

    pub fn dim(&self) -> usize {
        self.header.layout.dim()
    }

    pub fn column(&self, d: usize) -> &[u8] {
        let n = self.rows();
        &self.columns[d * n..(d + 1) * n]
    }

    /// Row `r` as floats (its unit vector, up to quantisation).
    pub fn row(&self, r: usize) -> Vec<f32> {
        let s = self.scales[r];
        (0..self.dim())
            .map(|d| f32::from(self.column(d)[r] as i8) * s)
            .collect()
    }

    /// The row of a customer id (binary search over the ids in order).
    pub fn row_of_id(&self, id: &str) -> Option<usize> {
        if self.id_order.is_empty() {
            return self.ids.binary_search_by(|x| x.as_str().cmp(id)).ok();
        }
        self.id_order
            .binary_search_by(|&r| self.ids[r as usize].as_str().cmp(id))
            .ok()
            .map(|i| self.id_order[i] as usize)
    }

    /// The row of a DuckDB rowid, if that customer has a vector.
    pub fn row_of_rowid(&self, rowid: i64) -> Option<usize> {
        let guess = usize::try_from(rowid).ok()?;
        if self.rowids.get(guess) == Some(&rowid) {
            return Some(guess);
        }
        self.rowids.binary_search(&rowid).ok()
    }
}

/// Where a store's vector file lives.
pub(crate) fn path(store: &Path) -> PathBuf {
    store.join("lookalike").join("vectors.bin")
}

fn corrupt(path: &Path, what: &str) -> Error {
    Error::BadRequest(format!(
        "{}: {what}; delete the file and it is rebuilt on the next query",
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
    Ok(serde_json::from_slice(&json).ok())
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Indexer(kesou_indexer::Error::Io {
        path: path.to_owned(),
        source: e,
    })
}

/// The header of a vector file, `None` when there is none or it is of another version.
pub(crate) fn peek(path: &Path) -> Result<Option<Header>> {
    match File::open(path) {
        Ok(mut f) => read_header(&mut f, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path, e)),
    }
}

/// Reads a whole vector file.
pub(crate) fn load(path: &Path) -> Result<Vectors> {
    let mut file = File::open(path).map_err(|e| io(path, e))?;
    let header = read_header(&mut file, path)?.ok_or_else(|| corrupt(path, "no header"))?;
    let n = header.rows;
    let mut read = |len: usize| -> Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        file.read_exact(&mut buf)
            .map_err(|_| corrupt(path, "shorter than its header says"))?;
        Ok(buf)
    };
    let ids_len = u64::from_le_bytes(read(8)?.try_into().expect("8 bytes")) as usize;
    let ids = String::from_utf8(read(ids_len)?).map_err(|_| corrupt(path, "ids not UTF-8"))?;
    let lines = |text: String| -> Vec<String> {
        if n == 0 {
            Vec::new()
        } else {
            text.split('\n').map(str::to_owned).collect()
        }
    };
    let ids = lines(ids);
    let names_len = u64::from_le_bytes(read(8)?.try_into().expect("8 bytes")) as usize;
    let names =
        lines(String::from_utf8(read(names_len)?).map_err(|_| corrupt(path, "names not UTF-8"))?);
    let purchases: Vec<Option<f64>> = read(8 * n)?
        .chunks_exact(8)
        .map(|c| Some(f64::from_le_bytes(c.try_into().expect("8 bytes"))).filter(|x| !x.is_nan()))
        .collect();
    let rowids: Vec<i64> = read(8 * n)?
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    let scales: Vec<f32> = read(4 * n)?
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect();
    let columns = read(n * header.layout.dim())?;
    if ids.len() != n || names.len() != n {
        return Err(corrupt(path, "id or name count differs from its header"));
    }
    Ok(Vectors {
        id_order: id_order(&ids),
        header,
        ids,
        names,
        purchases,
        rowids,
        scales,
        columns,
    })
}

/// Writes a vector file (to a temporary name, then renamed over the old one).
pub(crate) fn save(path: &Path, v: &Vectors) -> Result<()> {
    let dir = path.parent().expect("a file in a folder");
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let tmp = path.with_extension("bin.tmp");
    let write = || -> std::io::Result<()> {
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        w.write_all(MAGIC)?;
        w.write_all(&[VERSION])?;
        let json = serde_json::to_vec(&v.header).expect("header serialises");
        w.write_all(&(json.len() as u64).to_le_bytes())?;
        w.write_all(&json)?;
        let ids = v.ids.join("\n");
        w.write_all(&(ids.len() as u64).to_le_bytes())?;
        w.write_all(ids.as_bytes())?;
        let names = v.names.join("\n");
        w.write_all(&(names.len() as u64).to_le_bytes())?;
        w.write_all(names.as_bytes())?;
        for p in &v.purchases {
            w.write_all(&p.unwrap_or(f64::NAN).to_le_bytes())?;
        }
        for r in &v.rowids {
            w.write_all(&r.to_le_bytes())?;
        }
        for s in &v.scales {
            w.write_all(&s.to_le_bytes())?;
        }
        w.write_all(&v.columns)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()
    };
    write().map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

#[cfg(test)]
mod tests {
    use super::super::layout::BlockKind;
    use super::*;

    fn sample() -> Vectors {
        let mut layout = Layout::new();
        layout.push(
            BlockKind::Industry,
            vec!["科技".into(), "制造".into()],
            vec![],
        );
        Vectors {
            header: Header {
                generation: 3,
                rows: 3,
                store_rows: 3,
                max_rowid: 3,
                layout,
            },
            ids: vec!["C1".into(), "C2".into(), "C3".into()],
            names: vec!["甲".into(), "乙".into(), "丙".into()],
            purchases: vec![Some(1.5), None, Some(0.0)],
            rowids: vec![0, 1, 3],
            scales: vec![0.5, 0.25, 1.0],
            columns: vec![1, 2, 3, 255, 254, 0],
            id_order: Vec::new(),
        }
    }

    #[test]
    fn a_saved_file_loads_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path());
        let v = sample();
        save(&p, &v).unwrap();
        let back = load(&p).unwrap();
        assert_eq!(back.header, v.header);
        assert_eq!(back.ids, v.ids);
        assert_eq!(back.names, v.names);
        assert_eq!(back.purchases, v.purchases);
        assert_eq!(back.rowids, v.rowids);
        assert_eq!(back.scales, v.scales);
        assert_eq!(back.columns, v.columns);
        assert_eq!(peek(&p).unwrap().unwrap().generation, 3);
        assert_eq!(back.row(0), [0.5, -0.5]);
        assert_eq!(back.row_of_rowid(3), Some(2));
        assert_eq!(back.row_of_rowid(2), None);
    }

    #[test]
    fn a_missing_or_foreign_file_has_no_header() {
        let dir = tempfile::tempdir().unwrap();
        assert!(peek(&dir.path().join("none")).unwrap().is_none());
        let p = dir.path().join("other");
        std::fs::write(&p, b"hello world, not vectors").unwrap();
        assert!(peek(&p).unwrap().is_none());
    }
}

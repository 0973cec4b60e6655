//! A hash that stays the same across builds and platforms (64-bit FNV-1a): for the model
//! fingerprint and for telling which texts changed since they were embedded.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::{Error, Result};

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// 64-bit FNV-1a, continued from `state` (start with [`stable_hash`]).
#[derive(Debug, Clone, Copy)]
pub struct StableHasher(u64);

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher(OFFSET)
    }
}

impl StableHasher {
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(PRIME);
        }
    }

    /// Writes a length first, so that ("ab", "c") and ("a", "bc") differ.
    pub fn write_part(&mut self, bytes: &[u8]) {
        self.write(&(bytes.len() as u64).to_le_bytes());
        self.write(bytes);
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// The stable hash of some bytes.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h = StableHasher::default();
    h.write(bytes);
    h.finish()
}

const SAMPLE: u64 = 1 << 20;

/// Hashes a model's files without reading all of its weights: config and tokenizer whole;
/// of the safetensors file its size, its header (names, shapes, offsets) and its first and
/// last MiB of values.
pub(crate) fn model(dir: &Path, files: &[&str], weights: &str, extra: &[&str]) -> Result<String> {
    let mut h = StableHasher::default();
    for f in files {
        let path = dir.join(f);
        h.write_part(&std::fs::read(&path).map_err(|e| Error::io(&path, e))?);
    }
    let path = dir.join(weights);
    let io = |e| Error::io(&path, e);
    let mut file = File::open(&path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    h.write(&size.to_le_bytes());
    let mut len = [0u8; 8];
    file.read_exact(&mut len).map_err(io)?;
    let header_len = u64::from_le_bytes(len).min(size);
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header).map_err(io)?;
    h.write_part(&header);
    for from in [
        8 + header_len,
        size.saturating_sub(SAMPLE).max(8 + header_len),
    ] {
        file.seek(SeekFrom::Start(from)).map_err(io)?;
        let mut chunk = Vec::new();
        (&mut file)
            .take(SAMPLE)
            .read_to_end(&mut chunk)
            .map_err(io)?;
        h.write_part(&chunk);
    }
    for e in extra {
        h.write_part(e.as_bytes());
    }
    Ok(format!("{:016x}", h.finish()))
}

/// Hashes an E5S1 file the same way: its size, everything before the first tensor
/// (sizes, vocabulary, normalisation, directory), the first and last MiB of the tensors.
pub(crate) fn e5_file(path: &Path, header_len: usize, extra: &[&str]) -> Result<String> {
    let io = |e| Error::io(path, e);
    let mut file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let mut h = StableHasher::default();
    h.write(b"E5S1");
    h.write(&size.to_le_bytes());
    let header_len = (header_len as u64).min(size);
    for (from, len) in [
        (0, header_len),
        (header_len, SAMPLE),
        (size.saturating_sub(SAMPLE).max(header_len), SAMPLE),
    ] {
        file.seek(SeekFrom::Start(from)).map_err(io)?;
        let mut chunk = Vec::new();
        (&mut file).take(len).read_to_end(&mut chunk).map_err(io)?;
        h.write_part(&chunk);
    }
    for e in extra {
        h.write_part(e.as_bytes());
    }
    Ok(format!("{:016x}", h.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_its_published_values() {
        // From the FNV reference test vectors.
        assert_eq!(stable_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(stable_hash(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn parts_are_delimited() {
        let mut a = StableHasher::default();
        a.write_part(b"ab");
        a.write_part(b"c");
        let mut b = StableHasher::default();
        b.write_part(b"a");
        b.write_part(b"bc");
        assert_ne!(a.finish(), b.finish());
    }
}

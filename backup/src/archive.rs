//! The archive: a tar stream of the store's files, each hashed on the way, with the
//! manifest (every file's path, size, SHA-256 and mode; the generation it holds) as the
//! last entry. An archive cut short has no manifest and is refused; a changed byte
//! changes a file's hash. Beside the archive, `FILE.sha256` holds the whole file's
//! SHA-256 in `sha256sum`'s format.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The manifest's path in the archive: always the last entry.
pub const MANIFEST: &str = "kesou-backup/manifest.json";

/// The archive format this code writes and reads.
pub const FORMAT: &str = "kesou-backup/1";

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub kesou_version: String,
    /// RFC 3339, UTC: when the snapshot was taken.
    pub created_at: String,
    /// The store it was taken from (for people; restore puts it wherever asked).
    pub store: String,
    /// The store generation the database and the index were taken at.
    pub generation: u64,
    pub customers: u64,
    pub as_of: Option<String>,
    /// Every file, in archive order.
    pub entries: Vec<Entry>,
    /// What was left out, and why.
    pub excluded: Vec<String>,
}

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    pub mode: u32,
}

pub(crate) fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A reader that hashes what passes through it.
pub(crate) struct HashingReader<R> {
    inner: R,
    hash: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hash: Sha256::new(),
            bytes: 0,
        }
    }
    pub fn finish(self) -> (String, u64, R) {
        (hex(&self.hash.finalize()), self.bytes, self.inner)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A writer that hashes what passes through it.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hash: Sha256::new(),
            bytes: 0,
        }
    }
    pub fn finish(self) -> (String, u64, W) {
        (hex(&self.hash.finalize()), self.bytes, self.inner)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes entries to a tar stream, hashing each.
pub(crate) struct ArchiveWriter<W: Write> {
    tar: tar::Builder<HashingWriter<W>>,
    pub entries: Vec<Entry>,
}

impl<W: Write> ArchiveWriter<W> {
    pub fn new(out: W) -> Self {
        let mut tar = tar::Builder::new(HashingWriter::new(out));
        tar.mode(tar::HeaderMode::Deterministic);
        Self {
            tar,
            entries: Vec::new(),
        }
    }

    fn header(bytes: u64, mode: u32) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes);
        h.set_mode(mode);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mtime(0);
        h
    }

    /// Adds the file at `from` as `path`.
    pub fn file(&mut self, path: &str, from: &Path, mode: u32) -> Result<()> {
        let f = File::open(from).map_err(|e| Error::io(from, e))?;
        let bytes = f.metadata().map_err(|e| Error::io(from, e))?.len();
        let mut reader = HashingReader::new(f.take(bytes));
        let mut h = Self::header(bytes, mode);
        self.tar
            .append_data(&mut h, path, &mut reader)
            .map_err(|e| Error::io(from, e))?;
        let (sha256, read, _) = reader.finish();
        if read != bytes {
            return Err(Error::io(
                from,
                io::Error::new(io::ErrorKind::UnexpectedEof, "the file shrank while read"),
            ));
        }
        self.entries.push(Entry {
            path: path.to_owned(),
            bytes,
            sha256,
            mode,
        });
        Ok(())
    }

    /// Adds `data` as `path`.
    pub fn data(&mut self, path: &str, data: &[u8], mode: u32) -> Result<()> {
        let mut h = Self::header(data.len() as u64, mode);
        self.tar
            .append_data(&mut h, path, data)
            .map_err(|e| Error::io(Path::new(path), e))?;
        self.entries.push(Entry {
            path: path.to_owned(),
            bytes: data.len() as u64,
            sha256: hex(&Sha256::digest(data)),
            mode,
        });
        Ok(())
    }

    /// Writes the manifest (with every entry so far) and ends the archive: the SHA-256 and
    /// size of the whole stream.
    pub fn finish(mut self, mut manifest: Manifest) -> Result<(Manifest, String, u64)> {
        manifest.entries = std::mem::take(&mut self.entries);
        let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
        let mut h = Self::header(json.len() as u64, 0o600);
        self.tar
            .append_data(&mut h, MANIFEST, json.as_slice())
            .map_err(|e| Error::io(Path::new(MANIFEST), e))?;
        let out = self
            .tar
            .into_inner()
            .map_err(|e| Error::io(Path::new(MANIFEST), e))?;
        let (sha, bytes, mut inner) = out.finish();
        inner
            .flush()
            .map_err(|e| Error::io(Path::new(MANIFEST), e))?;
        Ok((manifest, sha, bytes))
    }
}

/// An archive path that stays inside the folder it is extracted to: relative, plain
/// components only (no `..`, no root).
pub(crate) fn safe_path(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// `FILE.sha256`, beside the archive.
pub fn sidecar_path(archive: &Path) -> PathBuf {
    let mut name = archive.file_name().unwrap_or_default().to_owned();
    name.push(".sha256");
    archive.with_file_name(name)
}

/// The SHA-256 recorded beside an archive (`FILE.sha256`), when there is one.
pub fn read_sidecar(archive: &Path) -> Result<Option<String>> {
    let path = sidecar_path(archive);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let sha = text
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
            if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(Error::Damaged(format!(
                    "{} does not hold a SHA-256",
                    path.display()
                )));
            }
            Ok(Some(sha.to_ascii_lowercase()))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&path, e)),
    }
}

/// Reads an archive through, handing each file to `each` (path in the archive, a reader of
/// its bytes, its mode) and checking everything against the manifest and, when present,
/// the sidecar's SHA-256. Returns the manifest; a damaged, cut-short or foreign archive is
/// [`Error::Damaged`].
pub(crate) fn read_archive(
    file: &Path,
    mut each: impl FnMut(&Path, &mut dyn Read, u32) -> Result<()>,
) -> Result<Manifest> {
    let expected_whole = read_sidecar(file)?;
    let f = File::open(file).map_err(|e| Error::io(file, e))?;
    let mut whole = HashingReader::new(BufReader::with_capacity(1 << 20, f));
    let mut found: Vec<Entry> = Vec::new();
    let mut manifest: Option<Manifest> = None;
    // A damaged entry stops the walk; the rest of the file is still read below, so that
    // with a sidecar the whole file's hash names the damage (it is the stronger check).
    let walked = {
        let mut tar = tar::Archive::new(&mut whole);
        let mut walk = || -> Result<()> {
            let entries = tar.entries().map_err(|e| {
                Error::Damaged(format!("{}: not a tar archive ({e})", file.display()))
            })?;
            for entry in entries {
                let mut entry = entry.map_err(|e| Error::Damaged(format!("{e}")))?;
                if manifest.is_some() {
                    return Err(Error::Damaged("files after the manifest".into()));
                }
                let kind = entry.header().entry_type();
                if !kind.is_file() {
                    return Err(Error::Damaged(format!(
                        "an entry that is not a file ({kind:?})"
                    )));
                }
                let path = entry
                    .path()
                    .map_err(|e| Error::Damaged(format!("an unreadable path ({e})")))?
                    .into_owned();
                let Some(path) = safe_path(&path) else {
                    return Err(Error::Damaged(format!(
                        "{} would land outside the store",
                        path.display()
                    )));
                };
                let mode = entry.header().mode().unwrap_or(0o600) & 0o777;
                if path == Path::new(MANIFEST) {
                    let mut json = Vec::new();
                    entry
                        .read_to_end(&mut json)
                        .map_err(|e| Error::Damaged(format!("the manifest: {e}")))?;
                    let m: Manifest = serde_json::from_slice(&json)
                        .map_err(|e| Error::Damaged(format!("the manifest does not read ({e})")))?;
                    manifest = Some(m);
                    continue;
                }
                let mut reader = HashingReader::new(&mut entry);
                each(&path, &mut reader, mode)?;
                // Whatever `each` left unread is hashed too.
                io::copy(&mut reader, &mut io::sink())
                    .map_err(|e| Error::Damaged(format!("{}: {e}", path.display())))?;
                let (sha256, bytes, _) = reader.finish();
                found.push(Entry {
                    path: path.to_string_lossy().into_owned(),
                    bytes,
                    sha256,
                    mode,
                });
            }
            Ok(())
        };
        walk()
    };
    // The end of the archive (tar's zero blocks) counts for the whole file's hash.
    io::copy(&mut whole, &mut io::sink()).map_err(|e| Error::io(file, e))?;
    let (sha, _, _) = whole.finish();
    if let Some(expected) = expected_whole
        && expected != sha
    {
        return Err(Error::Damaged(format!(
            "its SHA-256 is {sha}, {} says {expected}",
            sidecar_path(file).display()
        )));
    }
    walked?;
    let Some(manifest) = manifest else {
        return Err(Error::Damaged(
            "it has no manifest: the archive was cut short or is not a kesou backup".into(),
        ));
    };
    if manifest.format != FORMAT {
        return Err(Error::Damaged(format!(
            "format {:?}; this kesou reads {FORMAT:?}",
            manifest.format
        )));
    }
    if manifest.entries.len() != found.len() {
        return Err(Error::Damaged(format!(
            "the manifest lists {} files, the archive holds {}",
            manifest.entries.len(),
            found.len()
        )));
    }
    for (want, got) in manifest.entries.iter().zip(&found) {
        if want.path != got.path || want.bytes != got.bytes || want.sha256 != got.sha256 {
            return Err(Error::Damaged(format!(
                "{}: {} bytes with SHA-256 {}, the manifest says {} bytes with {}",
                got.path, got.bytes, got.sha256, want.bytes, want.sha256
            )));
        }
    }
    Ok(manifest)
}

/// Checks an archive without restoring it: every file against the manifest, the whole
/// file against `FILE.sha256` when present.
pub fn verify(file: &Path) -> Result<Manifest> {
    read_archive(file, |_, _, _| Ok(()))
}

//! kesou's backups: a consistent snapshot of a store in one archive, checked by SHA-256,
//! and its restore.
//!
//! A store is a DuckDB database, a tantivy index stamped with the database's generation,
//! and side files (semantic vectors, the churn model, users and the audit log, tag rules,
//! reports). [`Snapshot::take`] holds the store's writer for a moment (writes wait, reads
//! go on): it begins a DuckDB read transaction, which pins the database at the index's
//! generation, and hard-links the index's files and the side files into a staging folder
//! inside the store. The writer is then released; [`Snapshot::write_to`] exports the
//! pinned database to Parquet (`EXPORT DATABASE` in that transaction) and streams
//! everything as a tar archive with a manifest of every file's size and SHA-256 last.
//! Because it works through a [`kesou_indexer::Store`], it runs in the process that holds
//! the store: `kesou backup` when nothing else does, the server's backup endpoint while it
//! serves. [`restore`] checks every byte against the manifest before anything is put in
//! place, imports the database, and swaps the restored store in only after store and index
//! are found to agree.
//!
//! What is not in a backup: the lookalike vectors (rebuilt from the store in seconds),
//! the demo's `source/` files, and secrets (`*.key`, such as `embed.key`) unless asked
//! for: a backup travels further than a key should.

mod archive;
mod error;
mod http;
mod restore;
mod snapshot;

pub use archive::{Entry, MANIFEST, Manifest, read_sidecar, sidecar_path, verify};
pub use error::{Error, Result};
pub use http::{ArchiveBody, Remote, download};
pub use restore::{RestoreOptions, RestoreSummary, restore};
pub use snapshot::{BackupOptions, BackupSummary, Snapshot, Written, backup_to_file, write_file};

//! Key rotation: every contact opened with the old vault and sealed with the new one, with
//! new lookups, in one transaction (one generation). Interrupted, the store keeps its old
//! key and values; the index (whose lookup terms change with the key) catches up after the
//! commit like after any write. The same pass seals a plain store, and fills the lookups of
//! a store made before them.

use std::path::Path;

use duckdb::{Connection, params};
use rayon::prelude::*;

use super::store::{CIPHER_META, KEY_ID_META, LOOKUPS_META};
use super::{Cipher, DataKey, SEALED_FIELDS, Vault};
use crate::store::{self, StorePaths, Tx, set_meta};
use crate::{Error, Progress, Result, SyncReport};

/// What a rotation did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RotateSummary {
    /// `plain` or `sm4-gcm, key 9f3a…`.
    pub before: String,
    pub after: String,
    /// Customers whose contacts were sealed again.
    pub customers: u64,
    pub generation: u64,
    pub index: SyncReport,
    pub seconds: f64,
}

/// Seals the store at `paths` (opened with its current key, from the usual place) under
/// `new_key` with `cipher` (default: the store's cipher, or for a plain store the one
/// `--cipher`/`KESOU_CIPHER` names, else SM4-GCM). `new_key_file` is refused inside the
/// store folder.
///
/// One transaction re-seals every value and moves the store to the next generation; then
/// the database file is rewritten (DuckDB keeps freed blocks, which would still hold the
/// old values) and the index is rebuilt (its old segments would still hold the old
/// lookups). Interrupted before the commit, nothing changed; after it, the store is whole
/// under the new key and the index catches up at the next open.
pub fn rotate(
    paths: &StorePaths,
    new_key: &DataKey,
    new_key_file: Option<&Path>,
    cipher: Option<Cipher>,
    progress: &dyn Progress,
) -> Result<RotateSummary> {
    if let Some(file) = new_key_file {
        super::key::refuse_inside(file, &paths.root, "--new-key-file")?;
    }
    let started = std::time::Instant::now();
    let conn = store::open_db(paths, crate::store::Open::Write)?;
    let old = super::store::vault_for(paths, &conn, super::Access::Rotate)?;
    let cipher = match cipher.or(old.cipher()) {
        Some(c) => c,
        None => paths.key.cipher(),
    };
    let new = Vault::sealed(new_key, cipher);
    let phase = progress.phase("encrypting contacts", None);
    let (customers, generation) = Tx::run(&conn, || {
        let generation = store::generation(&conn)? + 1;
        let n = reseal(&conn, &old, &new, generation)?;
        crate::rollup::carry(&conn, generation - 1, generation)?;
        store::set_meta(&conn, "generation", &generation.to_string())?;
        Ok::<_, Error>((n, generation))
    })?;
    drop(phase);
    conn.execute_batch("CHECKPOINT")?;
    drop(conn);
    compact(paths)?;
    // The index's segments hold the old lookups (deleted documents stay in a segment until
    // it is merged): it is rebuilt from the store.
    let dir = paths.index();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() && path.file_name().is_some_and(|n| n != "learned-words.txt") {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
    }
    let reopened = paths.clone().with_key(Some(new_key.clone()), Some(cipher));
    let conn = store::open_db(&reopened, crate::store::Open::Write)?;
    let index = crate::index::sync(&reopened, &conn, progress)?;
    Ok(RotateSummary {
        before: describe(&old),
        after: describe(&new),
        customers,
        generation,
        index,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Rewrites the database file with only its live data: DuckDB reuses freed blocks but
/// does not wipe them, so values replaced by a rotation would stay in the file. The copy is
/// written beside it and renamed over it (atomic: a crash leaves one or the other whole).
fn compact(paths: &StorePaths) -> Result<()> {
    let db = paths.db();
    let fresh = db.with_extension("duckdb.compact");
    for stale in [fresh.clone(), fresh.with_extension("compact.wal")] {
        if stale.exists() {
            std::fs::remove_file(&stale).map_err(|e| Error::io(&stale, e))?;
        }
    }
    {
        let conn = Connection::open(&db)?;
        let name: String = conn.query_row("SELECT current_database()", [], |r| r.get(0))?;
        conn.execute_batch(&format!(
            "ATTACH '{}' AS kesou_compact; COPY FROM DATABASE \"{name}\" TO kesou_compact; DETACH kesou_compact;",
            fresh.display().to_string().replace('\'', "''")
        ))?;
    }
    std::fs::rename(&fresh, &db).map_err(|e| Error::io(&db, e))?;
    Ok(())
}

fn describe(v: &Vault) -> String {
    match (v.cipher(), v.key_id()) {
        (Some(c), Some(id)) => format!("{c}, key {id}"),
        _ => "plain".into(),
    }
}

/// Inside a write transaction: every customer's contacts opened with `old`, sealed with
/// `new`, lookups recomputed, the customer stamped with `generation`; the store's meta
/// names the new cipher and key. Returns the customers resealed.
pub(crate) fn reseal(conn: &Connection, old: &Vault, new: &Vault, generation: u64) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT id, contact_name, contact_phone, email FROM customers
         WHERE contact_name IS NOT NULL OR contact_phone IS NOT NULL OR email IS NOT NULL",
    )?;
    type Row = (String, [Option<String>; 3]);
    let rows: Vec<Row> = stmt
        .query_map([], |r| Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?])))?
        .collect::<std::result::Result<_, _>>()?;
    let resealed: Vec<(String, [Option<String>; 6])> = rows
        .into_par_iter()
        .map(|(id, values)| {
            let mut out: [Option<String>; 6] = Default::default();
            for (i, (field, _)) in SEALED_FIELDS.iter().enumerate() {
                if let Some(stored) = &values[i] {
                    let plain = old
                        .open(field, stored)
                        .map_err(|e| Error::BadInput(format!("customer {id}: {e}")))?;
                    out[i] = Some(new.seal(field, &plain));
                    out[3 + i] = new.lookup(field, &plain);
                }
            }
            Ok((id, out))
        })
        .collect::<Result<_>>()?;
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE _reseal (id VARCHAR, contact_name VARCHAR,
             contact_phone VARCHAR, email VARCHAR, contact_name_lookup VARCHAR,
             contact_phone_lookup VARCHAR, email_lookup VARCHAR)",
    )?;
    {
        let mut app = conn.appender("_reseal")?;
        for (id, v) in &resealed {
            app.append_row(params![id, v[0], v[1], v[2], v[3], v[4], v[5]])?;
        }
        app.flush()?;
    }
    conn.execute(
        "UPDATE customers SET contact_name = r.contact_name, contact_phone = r.contact_phone,
             email = r.email, contact_name_lookup = r.contact_name_lookup,
             contact_phone_lookup = r.contact_phone_lookup, email_lookup = r.email_lookup,
             _gen = ?
         FROM _reseal r WHERE customers.id = r.id",
        params![generation as i64],
    )?;
    conn.execute_batch("DROP TABLE _reseal")?;
    match (new.cipher(), new.key_id()) {
        (Some(c), Some(id)) => {
            set_meta(conn, CIPHER_META, c.name())?;
            set_meta(conn, KEY_ID_META, id)?;
        }
        _ => {
            conn.execute(
                "DELETE FROM meta WHERE key IN (?, ?)",
                params![CIPHER_META, KEY_ID_META],
            )?;
        }
    }
    set_meta(conn, LOOKUPS_META, "1")?;
    Ok(resealed.len() as u64)
}

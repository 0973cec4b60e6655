//! `kesou bench --crypt`: ingest of the same files with contacts in plain text, sealed with
//! SM4-GCM and with AES-256-GCM, one after the other in one run, plus the cost of sealing
//! and opening one value.

use std::path::Path;
use std::time::Instant;

use kesou_indexer::crypt::{Cipher, DataKey, Vault};
use kesou_indexer::{NoProgress, StorePaths};

use super::output;

/// (measure, value) rows for the bench table.
pub fn time_ingests(source: &Path, dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut facts = Vec::new();
    let key = DataKey::generate()?;
    let runs: [(&str, Option<Cipher>); 3] = [
        ("plain", None),
        ("sm4-gcm", Some(Cipher::Sm4Gcm)),
        ("aes-256-gcm", Some(Cipher::Aes256Gcm)),
    ];
    for (name, cipher) in runs {
        let root = dir.join(format!("store-{name}"));
        if root.exists() {
            std::fs::remove_dir_all(&root)?;
        }
        let paths = StorePaths::new(&root).with_key(cipher.map(|_| key.clone()), cipher);
        let s = kesou_indexer::ingest(&paths, &[source.to_path_buf()], &NoProgress)?;
        facts.push((
            format!("ingest, contacts {name}"),
            format!(
                "{:.1} s, {} rows/s ({} customers)",
                s.seconds,
                output::count((s.rows_read() as f64 / s.seconds) as u64),
                output::count(
                    s.files
                        .iter()
                        .filter(|f| f.table == Some(kesou_indexer::Table::Customers))
                        .map(|f| f.loaded)
                        .sum::<u64>()
                )
            ),
        ));
        std::fs::remove_dir_all(&root)?;
    }
    for cipher in [Cipher::Sm4Gcm, Cipher::Aes256Gcm] {
        let vault = Vault::sealed(&key, cipher);
        let n = 100_000;
        let t = Instant::now();
        let sealed: Vec<String> = (0..n)
            .map(|i| vault.seal("contact_phone", &format!("138{i:08}")))
            .collect();
        let seal = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for s in &sealed {
            vault.open("contact_phone", s)?;
        }
        let open = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for i in 0..n {
            vault.lookup("contact_phone", &format!("138{i:08}"));
        }
        let lookup = t.elapsed().as_secs_f64();
        facts.push((
            format!("{cipher}: seal / open / lookup hash, one phone"),
            format!(
                "{:.2} / {:.2} / {:.2} µs",
                seal * 1e6 / n as f64,
                open * 1e6 / n as f64,
                lookup * 1e6 / n as f64
            ),
        ));
    }
    Ok(facts)
}

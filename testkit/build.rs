//! The contract fingerprint: a hash of everything a generated store is made by (the
//! generator, the ingest, the shared vocabulary, the locked dependencies). A cached store
//! is used only while its fingerprint is the current one; cargo reruns this when any of
//! those files changes.

use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};

const INPUTS: &[&str] = &["../domain", "../datagen", "../indexer", "../Cargo.lock"];

fn files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .expect("read a source folder")
            .map(|e| e.expect("a folder entry").path())
            .collect();
        entries.sort();
        for e in entries {
            files(&e, out);
        }
    } else if path.is_file() {
        out.push(path.to_owned());
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut hasher = DefaultHasher::new();
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
        let mut all = Vec::new();
        files(&root.join(input), &mut all);
        for f in all {
            if f.components().any(|c| c.as_os_str() == "target") {
                continue;
            }
            hasher.write(
                f.strip_prefix(root)
                    .unwrap_or(&f)
                    .to_string_lossy()
                    .as_bytes(),
            );
            hasher.write(&std::fs::read(&f).expect("read a source file"));
        }
    }
    println!(
        "cargo:rustc-env=KESOU_TESTKIT_CONTRACT={:016x}",
        hasher.finish()
    );
}

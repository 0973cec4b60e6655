//! Entry points for the fuzz targets (`fuzz/`) and the test that replays their seeds on
//! stable: the file-row reader and validation, and the change-batch line parser, on any
//! bytes, without a store. Each checks what ingest promises and panics when it does not
//! hold. Not part of kesou's API.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::changes::Op;
use crate::source::SourceFile;
use crate::validate::{
    Fields, Identities, Table, validate_customer, validate_interaction, validate_order,
};

/// The file names an input can be read as: the extension picks CSV, TSV or JSONL, the name
/// (or, for `data.*`, the columns) the table.
pub const FILE_NAMES: &[&str] = &[
    "customers.csv",
    "orders.csv",
    "interactions.csv",
    "meta.csv",
    "data.csv",
    "customers.jsonl",
    "orders.jsonl",
    "interactions.jsonl",
    "data.jsonl",
    "customers.tsv",
];

/// What reading a file gave.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RowsOutcome {
    pub read: u64,
    pub loaded: u64,
    pub rejected: u64,
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kesou-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// Reads `input` as a source file (its first byte picks the name from [`FILE_NAMES`]) and
/// validates every row as ingest does. Panics when a promise breaks: every row read is
/// loaded or rejected (`read = loaded + rejected`), every reject says where and why, and
/// every normalisation names its rule and changed something. A file that cannot be opened
/// or classified is an error, never a panic.
pub fn check_file_rows(input: &[u8]) -> Option<RowsOutcome> {
    let (&pick, bytes) = input.split_first()?;
    let name = FILE_NAMES[pick as usize % FILE_NAMES.len()];
    let path = scratch_dir().join(name);
    std::fs::write(&path, bytes).expect("the scratch file is written");
    let mut file = SourceFile::open(&path).ok()?;
    let table = Table::detect(&path, &file.header)?;
    if table == Table::Truth {
        return None;
    }
    let (columns, _ignored, missing) = table.map_header(&file.header);
    if !missing.is_empty() {
        return None;
    }
    let names = table.columns();
    let shown = path.display().to_string();
    let mut ids = Identities::default();
    let known = known();
    let width = file.header.len();
    let mut out = RowsOutcome::default();
    let mut normalised = Vec::new();
    for rec in file.by_ref() {
        out.read += 1;
        let record = match rec {
            Ok(r) => r,
            Err(u) => {
                assert!(!u.reason.is_empty(), "an unreadable row says why");
                out.rejected += 1;
                continue;
            }
        };
        assert_eq!(
            record.cells.len(),
            width,
            "a row has one cell per header column"
        );
        normalised.clear();
        let mut f = Fields {
            file: &shown,
            record: &record,
            columns: &columns,
            names,
            normalized: &mut normalised,
            set_aside: Vec::new(),
        };
        if check_row(table, &mut f, &mut ids, &known) {
            out.loaded += 1;
        } else {
            out.rejected += 1;
        }
    }
    assert_eq!(out.read, out.loaded + out.rejected);
    Some(out)
}

/// Parses `input` as a change batch (NDJSON) and validates its upserts as `apply` does.
/// Panics when a promise breaks: every line that is not blank is read, in order, with its
/// line number, and is either an op or a reject that says why.
pub fn check_change_lines(input: &[u8]) {
    let Ok(changes) = crate::Changes::parse(input) else {
        return;
    };
    let lines = input.split(|&b| b == b'\n').count() as u64;
    let mut last = 0;
    let mut ids = Identities::default();
    let known = known();
    for l in &changes.lines {
        assert!(
            l.line > last && l.line <= lines,
            "line {} after {last}, of {lines}",
            l.line
        );
        last = l.line;
        match &l.op {
            Op::Unreadable(r) => {
                assert!(!r.reason.is_empty(), "a rejected line says why");
                assert_eq!(r.line, l.line);
            }
            Op::Delete { id } => assert!(!id.is_empty(), "a delete names a customer"),
            Op::Upsert {
                table,
                record,
                columns,
                ..
            } => {
                assert_eq!(record.line, l.line);
                let mut normalised = Vec::new();
                let mut f = Fields {
                    file: crate::CHANGES,
                    record,
                    columns,
                    names: table.columns(),
                    normalized: &mut normalised,
                    set_aside: Vec::new(),
                };
                check_row(*table, &mut f, &mut ids, &known);
            }
        }
    }
}

fn known() -> HashMap<String, String> {
    [("C0000001", "91330100MA2TXT8X0K")]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
}

/// Validates one row; its outcome must be whole: loaded with meaningful normalisations, or
/// rejected with its line and a reason. Whether it loaded.
fn check_row(
    table: Table,
    f: &mut Fields<'_>,
    ids: &mut Identities,
    known: &HashMap<String, String>,
) -> bool {
    let line = f.record.line;
    let outcome = match table {
        Table::Customers => validate_customer(f, ids).map(|_| ()),
        Table::Orders => validate_order(f, Some(known)).map(|_| ()),
        Table::Interactions => validate_interaction(f, Some(known)).map(|_| ()),
        Table::Meta => f.required(0).and_then(|_| f.text(1)).map(|_| ()),
        Table::Truth => return false,
    };
    match outcome {
        Ok(()) => {
            for n in f.normalized.iter() {
                assert!(!n.rule.is_empty(), "a normalisation names its rule");
                assert_ne!(
                    n.before, n.after,
                    "a normalisation changes something: {n:?}"
                );
            }
            true
        }
        Err(r) => {
            assert!(!r.reason.is_empty(), "a reject says why");
            assert_eq!(r.line, line, "a reject names its row's line");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz targets' seeds (and any crash input kept there), through the same checks:
    /// the short run of the fuzzers that works on stable.
    #[test]
    fn the_fuzz_seeds_hold_every_promise() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
        let mut n = 0;
        for (target, check) in [
            (
                "rows",
                (|b: &[u8]| {
                    let _ = check_file_rows(b);
                }) as fn(&[u8]),
            ),
            ("changes", check_change_lines as fn(&[u8])),
        ] {
            let dir = root.join(target);
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            for f in files {
                check(&std::fs::read(&f).unwrap());
                n += 1;
            }
        }
        assert!(n > 10, "the seeds are there ({n})");
    }
}

//! Questions end to end, as a table: `tests/data/ask_cases.tsv` asked of the generated store
//! of [`crate::ask_store`], each answer compared with SQL written by hand from the glossary.

use std::collections::BTreeSet;

use duckdb::Connection;
use kesou_indexer::NoProgress;
use kesou_query::Searcher;
use kesou_query::ask::{Answer, AskOptions, Asker};
use serde_json::Value as Json;

use crate::ask_store::{self, STORE, column};
use crate::common;

/// The expected ids of an `ids` row: SQL, `search:TEXT`, or both joined by `&&`.
fn expected_ids(conn: &Connection, searcher: Option<&Searcher>, spec: &str) -> BTreeSet<String> {
    let mut sets = spec.split("&&").map(str::trim).map(|part| {
        if let Some(text) = part.strip_prefix("search:") {
            searcher
                .expect("search: needs an index")
                .all_matches(text)
                .expect("search")
                .into_iter()
                .map(|(id, _)| id)
                .collect::<BTreeSet<String>>()
        } else {
            column(conn, part).into_iter().collect()
        }
    });
    let first = sets.next().expect("an expectation");
    sets.fold(first, |acc, s| acc.intersection(&s).cloned().collect())
}

/// A cell as text for comparing: numbers to two decimals.
fn cell(v: &Json) -> String {
    match v {
        Json::Number(n) => format!("{:.2}", n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => s.clone(),
        Json::Null => "NULL".into(),
        other => other.to_string(),
    }
}

/// The rows of a hand-written query, as text cells, sorted.
fn expected_rows(conn: &Connection, sql: &str) -> Vec<Vec<String>> {
    let mut stmt = conn.prepare(sql).expect(sql);
    let mut rows = stmt.query([]).expect(sql);
    let mut out = Vec::new();
    while let Some(row) = rows.next().expect(sql) {
        let width = row.as_ref().column_count();
        let cells = (0..width)
            .map(|i| {
                let v: duckdb::types::Value = row.get(i).expect(sql);
                cell(&match v {
                    duckdb::types::Value::Null => Json::Null,
                    duckdb::types::Value::Text(s) => Json::String(s),
                    duckdb::types::Value::BigInt(i) => Json::from(i),
                    duckdb::types::Value::HugeInt(i) => Json::from(i as f64),
                    duckdb::types::Value::Double(f) => Json::from(f),
                    other => Json::String(format!("{other:?}")),
                })
            })
            .collect();
        out.push(cells);
    }
    out.sort();
    out
}

fn answer_rows(a: &Answer) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = a
        .table
        .rows
        .iter()
        .map(|r| r.iter().map(cell).collect())
        .collect();
    rows.sort();
    rows
}

fn show_ids(ids: &BTreeSet<String>) -> String {
    let shown: Vec<&str> = ids.iter().take(8).map(String::as_str).collect();
    format!(
        "{} ids [{}{}]",
        ids.len(),
        shown.join(","),
        if ids.len() > 8 { ",…" } else { "" }
    )
}

/// Asks every question of a case table (question, kind, expected and optionally a known
/// parser gap; see the head of `tests/data/ask_cases.tsv`) and returns how many there were
/// and the wrong answers. A question marked as a known gap must still be answered wrongly
/// (it is printed), so that the mark goes when the parser is fixed.
pub fn run_table(
    asker: &Asker,
    conn: &Connection,
    searcher: Option<&Searcher>,
    path: &str,
) -> (usize, Vec<String>) {
    let table = std::fs::read_to_string(common::data(path)).expect(path);
    let mut failures = Vec::new();
    let mut n = 0;
    for (lineno, line) in table.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(
            cols.len() == 3 || (cols.len() == 4 && cols[3].starts_with("known gap: ")),
            "{path} line {}: three columns, and optionally a fourth `known gap: why`",
            lineno + 1
        );
        n += 1;
        let wrong = check(asker, conn, searcher, cols[0], cols[1], cols[2]);
        let at = format!("{path} line {} 「{}」", lineno + 1, cols[0]);
        match (wrong, cols.get(3)) {
            (Some(f), None) => failures.push(format!("{at}: {f}")),
            (Some(f), Some(gap)) => eprintln!("{at}: {gap}: {f}"),
            (None, Some(_)) => failures.push(format!(
                "{at}: now answered right; remove its known-gap mark"
            )),
            (None, None) => {}
        }
    }
    (n, failures)
}

fn reading(a: &Answer) -> String {
    let unrecognized: Vec<&str> = a.unrecognized.iter().map(|s| s.text.as_str()).collect();
    if unrecognized.is_empty() {
        a.explain.clone()
    } else {
        format!("{} (unrecognized: {})", a.explain, unrecognized.join(" "))
    }
}

/// What is wrong with the answer to one question, if anything.
fn check(
    asker: &Asker,
    conn: &Connection,
    searcher: Option<&Searcher>,
    question: &str,
    kind: &str,
    expected: &str,
) -> Option<String> {
    match (kind, asker.ask(question, &AskOptions::all())) {
        ("error", Err(e)) if e.is_user_error() => None,
        ("error", Ok(a)) => Some(format!(
            "expected a user error, got {} rows ({})",
            a.table.total,
            reading(&a)
        )),
        (_, Err(e)) => Some(format!("failed: {e}")),
        ("ids", Ok(a)) => {
            let want = expected_ids(conn, searcher, expected);
            let got: BTreeSet<String> = a
                .table
                .rows
                .iter()
                .map(|r| r[0].as_str().unwrap_or_default().to_owned())
                .collect();
            // A list's total counts every match, also those a top-N leaves out.
            let total = match expected.rsplit_once(" LIMIT ") {
                Some((all, _)) => column(conn, &format!("SELECT count(*)::VARCHAR FROM ({all})"))
                    [0]
                .parse::<usize>()
                .expect("a count"),
                None => want.len(),
            };
            if got == want && a.table.total as usize == total {
                return None;
            }
            let missing: BTreeSet<String> = want.difference(&got).cloned().collect();
            let extra: BTreeSet<String> = got.difference(&want).cloned().collect();
            Some(format!(
                "expected {} (total {total}), got {} (total {}); missing {}, extra {}; parsed as {}",
                show_ids(&want),
                show_ids(&got),
                a.table.total,
                show_ids(&missing),
                show_ids(&extra),
                reading(&a)
            ))
        }
        ("rows", Ok(a)) => {
            let want = expected_rows(conn, expected);
            let got = answer_rows(&a);
            (got != want).then(|| {
                format!(
                    "expected rows {:?}, got {:?}; parsed as {}",
                    want.iter().take(4).collect::<Vec<_>>(),
                    got.iter().take(4).collect::<Vec<_>>(),
                    reading(&a)
                )
            })
        }
        (other, _) => panic!("unknown kind {other:?}"),
    }
}

#[test]
fn ask_table() {
    let asker = Asker::open(&STORE.paths, &NoProgress).expect("asker");
    let reader = ask_store::reader();
    let searcher = Searcher::new(reader.index.clone()).expect("searcher");
    let (n, failures) = run_table(&asker, &reader.conn, Some(&searcher), "ask_cases.tsv");
    assert!(n >= 40, "the table has {n} questions");
    assert!(
        failures.is_empty(),
        "{} of {n} questions answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn an_answer_piped_into_a_reader_that_stops_early_ends_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    // `kesou ask --all … | head -1`: the reader closes the pipe after one line.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kesou"))
        .args(["ask", "--all", "--format", "json", "所有客户", "--data"])
        .arg(&crate::ask_store::STORE.paths.root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kesou ask");
    let mut first = [0u8; 16];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("the answer starts");
    let out = child.wait_with_output().expect("kesou ask ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(
        out.status.code(),
        Some(101),
        "a panic's exit code: {stderr}"
    );
}

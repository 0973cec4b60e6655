//! `kesou eval questions`: execution accuracy of `kesou ask` on a set of questions, each with
//! SQL written by hand against the store (eval/questions.toml for the fixed-seed demo store).
//!
//! A question is right when kesou's rows are the rows of its SQL: for a list, the same set
//! of keys (the SQL's first column); for groups and summaries, the same rows (numbers to two
//! decimals, within one step of the last, in any order). A question expected to be refused
//! (nonsense) is right when kesou refuses it or says its answer is partial. Partial answers
//! are counted apart: a partial
//! answer with other rows is a miss the user was warned about; a miss without `partial` is
//! a confident wrong answer, the one kind that must not happen.

use std::collections::BTreeMap;
use std::path::PathBuf;

use duckdb::types::Value;
use kesou_query::ask::{AnswerKind, AskOptions, Asker};
use serde::Deserialize;

use super::StoreArg;
use super::output::Table;
use super::progress::Bars;

#[derive(Debug, clap::Args)]
pub struct QuestionsArgs {
    /// The question set: a TOML file of [[question]] entries (category, question, sql,
    /// held_out, expect).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub store: StoreArg,
    /// Which part of the set: all, tuning (not held out) or held-out.
    #[arg(long, default_value = "all", value_parser = ["all", "tuning", "held-out"])]
    pub part: String,
    /// Output: table for people, json for programs.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionSet {
    question: Vec<Question>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Question {
    category: String,
    question: String,
    /// The right answer, written by hand from the glossary (absent when `expect` is refuse).
    #[serde(default)]
    sql: Option<String>,
    #[serde(default)]
    held_out: bool,
    /// `rows` (default): kesou's rows must be the SQL's; `refuse`: kesou must refuse the
    /// question or say its answer is partial.
    #[serde(default = "rows")]
    expect: String,
}

fn rows() -> String {
    "rows".into()
}

/// How one question went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Right,
    /// Other rows, but the answer said it was partial.
    PartialMiss,
    /// Other rows and no warning: a confident wrong answer.
    Wrong,
    /// kesou refused a question it should have answered.
    Refused,
}

#[derive(Debug, serde::Serialize)]
struct Graded {
    category: String,
    question: String,
    held_out: bool,
    outcome: Outcome,
    partial: bool,
    explain: String,
    note: String,
}

pub fn run(args: QuestionsArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let set: QuestionSet =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let asker = Asker::open(&opts.store(&args.store.data), &Bars::default())?;
    let options = AskOptions {
        all: true,
        ..AskOptions::default()
    };
    let mut graded = Vec::new();
    for q in &set.question {
        let keep = match args.part.as_str() {
            "tuning" => !q.held_out,
            "held-out" => q.held_out,
            _ => true,
        };
        if keep {
            graded.push(grade(&asker, q, &options)?);
        }
    }
    if args.format == "json" {
        println!("{}", serde_json::to_string_pretty(&graded)?);
        return Ok(());
    }
    print_report(&graded);
    Ok(())
}

fn grade(asker: &Asker, q: &Question, options: &AskOptions) -> anyhow::Result<Graded> {
    let answer = asker.ask(&q.question, options);
    let mut g = Graded {
        category: q.category.clone(),
        question: q.question.clone(),
        held_out: q.held_out,
        outcome: Outcome::Wrong,
        partial: false,
        explain: String::new(),
        note: String::new(),
    };
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            g.note = e.to_string();
            g.outcome = if q.expect == "refuse" {
                Outcome::Right
            } else {
                Outcome::Refused
            };
            return Ok(g);
        }
    };
    g.partial = answer.partial;
    g.explain = answer.explain.clone();
    if q.expect == "refuse" {
        g.outcome = if answer.partial {
            Outcome::Right
        } else {
            Outcome::Wrong
        };
        return Ok(g);
    }
    let sql = q
        .sql
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("{}: no sql", q.question))?;
    let expected = sql_rows(asker, sql).map_err(|e| anyhow::anyhow!("{}: {e}", q.question))?;
    let got: Vec<Vec<String>> = match answer.table.kind {
        AnswerKind::List => {
            let key = answer
                .table
                .columns
                .iter()
                .position(|c| c.name == asker.schema().key)
                .unwrap_or(0);
            answer
                .table
                .rows
                .iter()
                .map(|r| vec![cell_json(&r[key])])
                .collect()
        }
        _ => answer
            .table
            .rows
            .iter()
            .map(|r| r.iter().map(cell_json).collect())
            .collect(),
    };
    let expected = if answer.table.kind == AnswerKind::List {
        expected.into_iter().map(|r| r[..1].to_vec()).collect()
    } else {
        expected
    };
    if same(&got, &expected) {
        g.outcome = Outcome::Right;
    } else {
        g.note = format!("{} rows, expected {}", got.len(), expected.len());
        g.outcome = if answer.partial {
            Outcome::PartialMiss
        } else {
            Outcome::Wrong
        };
    }
    Ok(g)
}

/// The same rows in any order; numbers (written to two decimals) equal within one step of
/// the last decimal, as sums of doubles added in another order may round the other way.
fn same(a: &[Vec<String>], b: &[Vec<String>]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    let cell = |x: &String, y: &String| {
        x == y
            || matches!((x.parse::<f64>(), y.parse::<f64>()), (Ok(p), Ok(q)) if (p - q).abs() <= 0.011)
    };
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(r, s)| r.len() == s.len() && r.iter().zip(s).all(|(x, y)| cell(x, y)))
}

fn sql_rows(asker: &Asker, sql: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let mut stmt = asker.connection().prepare(sql)?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let width = row.as_ref().column_count();
        let mut cells = Vec::with_capacity(width);
        for i in 0..width {
            cells.push(cell_sql(row.get::<_, Value>(i)?));
        }
        out.push(cells);
    }
    Ok(out)
}

fn number(x: f64) -> String {
    format!("{x:.2}")
}

fn cell_sql(v: Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Boolean(b) => b.to_string(),
        Value::TinyInt(i) => number(i.into()),
        Value::SmallInt(i) => number(i.into()),
        Value::Int(i) => number(i.into()),
        Value::BigInt(i) => number(i as f64),
        Value::HugeInt(i) => number(i as f64),
        Value::UTinyInt(i) => number(i.into()),
        Value::USmallInt(i) => number(i.into()),
        Value::UInt(i) => number(i.into()),
        Value::UBigInt(i) => number(i as f64),
        Value::Float(f) => number(f.into()),
        Value::Double(f) => number(f),
        Value::Decimal(d) => number(d.to_string().parse().unwrap_or(f64::NAN)),
        Value::Text(s) => s,
        other => format!("{other:?}"),
    }
}

fn cell_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "null".into(),
        serde_json::Value::Number(n) => number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn print_report(graded: &[Graded]) {
    let mut by_cat: BTreeMap<&str, [usize; 5]> = BTreeMap::new();
    for g in graded {
        let e = by_cat.entry(g.category.as_str()).or_default();
        e[0] += 1;
        match g.outcome {
            Outcome::Right => e[1] += 1,
            Outcome::PartialMiss => e[2] += 1,
            Outcome::Wrong => e[3] += 1,
            Outcome::Refused => e[4] += 1,
        }
    }
    let mut table = Table::new([
        "category",
        "questions",
        "right",
        "accuracy",
        "partial miss",
        "wrong (no warning)",
        "refused",
    ]);
    let mut total = [0usize; 5];
    for (cat, n) in &by_cat {
        for (t, k) in total.iter_mut().zip(n) {
            *t += k;
        }
        table.row_vec(row(cat, n));
    }
    table.row_vec(row("all", &total));
    table.print();
    let misses: Vec<&Graded> = graded
        .iter()
        .filter(|g| g.outcome != Outcome::Right)
        .collect();
    if !misses.is_empty() {
        println!("misses:");
        for g in misses {
            println!(
                "  [{}] {:?} {} → {} {}",
                g.category, g.outcome, g.question, g.explain, g.note
            );
        }
    }
    let partial: Vec<&Graded> = graded
        .iter()
        .filter(|g| g.partial && g.outcome == Outcome::Right)
        .collect();
    if !partial.is_empty() {
        println!("answered right, marked partial:");
        for g in partial {
            println!("  [{}] {} → {}", g.category, g.question, g.explain);
        }
    }
}

fn row(cat: &str, n: &[usize; 5]) -> Vec<String> {
    let share = if n[0] == 0 {
        0.0
    } else {
        100.0 * n[1] as f64 / n[0] as f64
    };
    vec![
        cat.to_string(),
        n[0].to_string(),
        n[1].to_string(),
        format!("{share:.1}%"),
        n[2].to_string(),
        n[3].to_string(),
        n[4].to_string(),
    ]
}

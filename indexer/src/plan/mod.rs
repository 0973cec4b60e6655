//! How a file's columns load, seen before loading (`kesou ingest --dry-run`): per file the
//! table detected, each column → contract column or a field of the file's own with its
//! type, the encoding, the first problems and how many rows would load, wait or be
//! rejected. Nothing is written. Columns are matched by name, then by the headers exports
//! use (`Table::column_of`), then by the values they hold ([`infer::column_by_values`]);
//! a `mapping.toml` ([`Mapping`]) overrides any of it, and the dry run prints one to start
//! from. Ingest maps columns through the same [`map_columns`], so what the dry run shows is
//! what loads.

mod infer;
mod mapping;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub use infer::{FieldKind, infer_kind_of_few, percent, typed};
pub use mapping::{FileMapping, Mapping, to_toml};

use crate::source::{Cell, Record, SourceFile, expand_paths};
use crate::validate::{
    Columns, Fields, Identities, Outcome, Reject, Table, split_unit, validate_customer,
    validate_interaction, validate_order,
};
use crate::{Error, Result};

/// Rows read to match columns by their values and infer their types.
const SAMPLE_ROWS: usize = 200;
/// Problems shown per file.
const FIRST_PROBLEMS: usize = 10;

/// One column of a file: where it goes and what it holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ColumnPlan {
    pub header: String,
    /// A contract column, `custom` (a field of the file's own) or `ignore`.
    pub target: String,
    pub kind: FieldKind,
    /// How the target was found: `name`, `synonym`, `values`, `mapping`, or `none`.
    pub matched_by: &'static str,
    /// A few of its values, as written.
    pub samples: Vec<String>,
    /// The same values as kesou reads them, for numbers, money, percentages and dates
    /// (`46404` → `2027-01-17`, `¥1,611.25` → `1611.25`, in 万元 → yuan); else empty.
    pub read_as: Vec<String>,
}

/// A file's columns mapped onto its table.
#[derive(Debug, Clone)]
pub struct Mapped {
    pub columns: Columns,
    /// Headers not loaded into a contract column (fields of the file's own, ignored).
    pub ignored: Vec<String>,
    pub missing: Vec<&'static str>,
    pub plan: Vec<ColumnPlan>,
}

fn texts(sample: &[Record], pos: usize) -> Vec<String> {
    sample
        .iter()
        .filter_map(|r| match r.cells.get(pos)? {
            Some(Cell::Text(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(Cell::List(items)) if !items.is_empty() => Some(items.join("|")),
            _ => None,
        })
        .collect()
}

fn samples(values: &[String]) -> Vec<String> {
    let mut seen = Vec::new();
    for v in values {
        if !seen.contains(v) {
            seen.push(v.clone());
            if seen.len() == 3 {
                break;
            }
        }
    }
    seen
}

/// `samples` as values of `kind` read with the header's unit `scale`; a value that does
/// not read says so. Empty for kinds read as written.
fn read_as(kind: FieldKind, samples: &[String], scale: f64) -> Vec<String> {
    if !matches!(
        kind,
        FieldKind::Number | FieldKind::Money | FieldKind::Percent | FieldKind::Date
    ) {
        return Vec::new();
    }
    samples
        .iter()
        .map(|v| match infer::typed(kind, v, scale) {
            Ok((Some(n), _)) => format!("{n}"),
            Ok((_, Some(day))) => day.format("%Y-%m-%d").to_string(),
            Ok((None, None)) => v.clone(),
            Err(why) => why,
        })
        .collect()
}

/// Maps `header` onto `table`'s columns: a person's choice (`chosen`) first, then the name,
/// a header exports use for it, then the values of `sample`. `shown` names the file in
/// errors.
pub fn map_columns(
    table: Table,
    header: &[String],
    sample: &[Record],
    chosen: Option<&FileMapping>,
    shown: &Path,
) -> Result<Mapped> {
    let cols = table.columns();
    let mut index = vec![None; cols.len()];
    let mut scale = vec![1.0; cols.len()];
    let mut targets: Vec<Option<(String, &'static str)>> = vec![None; header.len()];
    let mut take = |i: usize, pos: usize, s: f64, index: &mut Vec<Option<usize>>| {
        if index[i].is_none() {
            index[i] = Some(pos);
            scale[i] = s;
            true
        } else {
            false
        }
    };
    for (pos, h) in header.iter().enumerate() {
        let h = h.trim();
        if let Some(target) = chosen.and_then(|c| c.columns.get(h)) {
            let t = target.trim();
            if t == "custom" || t == "ignore" {
                targets[pos] = Some((t.to_owned(), "mapping"));
                continue;
            }
            let Some((c, _)) = table.column_of(t) else {
                return Err(Error::BadInput(format!(
                    "{}: the mapping sends column {h:?} to {t:?}, which is no column of {}; \
                     expected one of {}, custom or ignore",
                    shown.display(),
                    table.name(),
                    cols.join(", ")
                )));
            };
            let i = cols
                .iter()
                .position(|x| *x == c)
                .expect("a column of the table");
            if take(i, pos, split_unit(h).1, &mut index) {
                targets[pos] = Some((c.to_owned(), "mapping"));
            }
            continue;
        }
        if let Some((c, s)) = table.column_of(h) {
            let i = cols
                .iter()
                .position(|x| *x == c)
                .expect("a column of the table");
            if take(i, pos, s, &mut index) {
                let how = if h.eq_ignore_ascii_case(c) {
                    "name"
                } else {
                    "synonym"
                };
                targets[pos] = Some((c.to_owned(), how));
            }
        }
    }
    // Headers that name nothing: by the values they hold.
    for (pos, h) in header.iter().enumerate() {
        if targets[pos].is_some() || h.trim().is_empty() && texts(sample, pos).is_empty() {
            continue;
        }
        let taken: Vec<&str> = cols
            .iter()
            .zip(&index)
            .filter(|(_, i)| i.is_some())
            .map(|(c, _)| *c)
            .collect();
        let values = texts(sample, pos);
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        if let Some(c) = infer::column_by_values(table, &refs, &taken) {
            let i = cols
                .iter()
                .position(|x| *x == c)
                .expect("a column of the table");
            take(i, pos, 1.0, &mut index);
            targets[pos] = Some((c.to_owned(), "values"));
        }
    }
    let mut plan = Vec::with_capacity(header.len());
    let mut ignored = Vec::new();
    for (pos, h) in header.iter().enumerate() {
        let values = texts(sample, pos);
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let (target, matched_by) = targets[pos].clone().unwrap_or_else(|| {
            // Only customers keep fields of their own; an event's other columns are not
            // loaded.
            let own = table == Table::Customers && !h.trim().is_empty();
            ((if own { "custom" } else { "ignore" }).to_owned(), "none")
        });
        let kind = match cols.iter().find(|c| **c == target) {
            Some(c) => infer::contract_kind(table, c),
            None => infer::infer_kind(h, &refs),
        };
        if target == "custom" || target == "ignore" {
            ignored.push(h.trim().to_owned());
        }
        let samples = samples(&values);
        let read_as = read_as(kind, &samples, split_unit(h).1);
        plan.push(ColumnPlan {
            header: h.trim().to_owned(),
            target,
            kind,
            matched_by,
            samples,
            read_as,
        });
    }
    let missing = table
        .required()
        .iter()
        .copied()
        .filter(|r| {
            index[cols
                .iter()
                .position(|c| c == r)
                .expect("required is a column")]
            .is_none()
        })
        .collect();
    Ok(Mapped {
        columns: Columns::new(index).with_scale(scale),
        ignored,
        missing,
        plan,
    })
}

/// What loading one file would do.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FilePlan {
    pub file: String,
    pub table: Option<&'static str>,
    pub encoding: Option<String>,
    pub columns: Vec<ColumnPlan>,
    /// Required columns no header gives: the file would not load.
    pub missing: Vec<&'static str>,
    pub rows_read: u64,
    pub would_load: u64,
    /// Orders and interactions whose customer is in none of the files given: they would
    /// wait for it, unless the store has it (`None`: no customers file was given, so this
    /// is left to the ingest).
    pub would_wait: Option<u64>,
    pub would_reject: u64,
    pub values_set_aside: u64,
    /// The first problems, as the rejects report would list them.
    pub problems: Vec<Reject>,
    /// Why the file would not load, or is skipped.
    pub note: Option<String>,
}

/// The files `inputs` name: files as given, folders as the readable files under them.
pub fn files_of(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    expand_paths(inputs)
}

/// Whether kesou reads files of this one's kind (by its extension).
pub fn readable(path: &Path) -> bool {
    crate::source::Format::of(path).is_some()
}

/// A dry run's answer: per file, and a mapping file to start from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DryRun {
    pub files: Vec<FilePlan>,
    pub mapping_toml: String,
}

/// An opened table, the table it holds (if told) and a sample of its rows.
pub(crate) type OpenTable = (SourceFile, Option<Table>, Vec<Record>);

/// Opens a file's tables (a workbook: one a sheet), with the table each holds (a mapping's
/// word first) and a sample of their rows.
pub(crate) fn open_tables(path: &Path, mapping: &Mapping) -> Result<Vec<OpenTable>> {
    let mut out = Vec::new();
    for mut file in SourceFile::open_all(path)? {
        let chosen = mapping.for_file(&file.path).and_then(|m| m.table.clone());
        let table = match chosen {
            Some(name) => Some(table_named(&name).ok_or_else(|| {
                Error::BadInput(format!(
                    "{}: the mapping names table {name:?}; expected customers, orders, interactions or meta",
                    file.path.display()
                ))
            })?),
            None => Table::detect(&file.name_for_detection(), &file.header),
        };
        let sample = file.sample(SAMPLE_ROWS);
        out.push((file, table, sample));
    }
    Ok(out)
}

fn table_named(name: &str) -> Option<Table> {
    [
        Table::Customers,
        Table::Orders,
        Table::Interactions,
        Table::Meta,
    ]
    .into_iter()
    .find(|t| t.name().eq_ignore_ascii_case(name.trim()))
}

/// Reads `inputs` as an ingest would and says what it would do, writing nothing.
pub fn dry_run(inputs: &[PathBuf], mapping: &Mapping) -> Result<DryRun> {
    let mut opened = Vec::new();
    for path in expand_paths(inputs)? {
        opened.extend(open_tables(&path, mapping)?);
    }
    // Customers first: the events' customers are looked up among them.
    opened.sort_by_key(|(_, t, _)| match t {
        Some(Table::Customers) => 0,
        Some(Table::Meta) => 1,
        _ => 2,
    });
    let with_customers = opened.iter().any(|(_, t, _)| *t == Some(Table::Customers));
    let mut ids = Identities::default();
    let mut known: HashSet<String> = HashSet::new();
    let mut files = Vec::new();
    let mut toml_files = Vec::new();
    for (file, table, sample) in opened {
        let shown = file.path.display().to_string();
        let mut plan = FilePlan {
            file: shown.clone(),
            table: table.map(Table::name),
            encoding: file.encoding.map(|e| e.label()),
            columns: Vec::new(),
            missing: Vec::new(),
            rows_read: 0,
            would_load: 0,
            would_wait: None,
            would_reject: 0,
            values_set_aside: 0,
            problems: Vec::new(),
            note: None,
        };
        let Some(table) = table else {
            plan.note = Some(
                "cannot tell which table this file holds; name it customers…, orders…, interactions… or meta…, \
                 give it the contract's columns, or say it in the mapping (table = \"customers\")"
                    .into(),
            );
            files.push(plan);
            continue;
        };
        if table == Table::Truth {
            plan.note = Some("ground truth of the demo generator: never read by the engine".into());
            files.push(plan);
            continue;
        }
        let mapped = map_columns(
            table,
            &file.header,
            &sample,
            mapping.for_file(&file.path),
            &file.path,
        )?;
        plan.columns = mapped.plan.clone();
        toml_files.push((
            file.path
                .file_name()
                .map_or(shown.clone(), |n| n.to_string_lossy().into_owned()),
            table.name().to_owned(),
            mapped
                .plan
                .iter()
                .map(|c| (c.header.clone(), c.target.clone()))
                .collect(),
        ));
        plan.missing = match table {
            Table::Customers
                if mapped.missing.contains(&"id") && mapped.missing.contains(&"name") =>
            {
                vec!["id or name"]
            }
            Table::Customers => Vec::new(),
            _ => mapped.missing.clone(),
        };
        if !plan.missing.is_empty() {
            plan.note = Some(format!(
                "lacks the required column(s) {}: the file would not load",
                plan.missing.join(", ")
            ));
            files.push(plan);
            continue;
        }
        if table != Table::Customers && table != Table::Meta {
            plan.would_wait = with_customers.then_some(0);
        }
        check_rows(
            file,
            table,
            &mapped.columns,
            &mut plan,
            &mut ids,
            &mut known,
        );
        files.push(plan);
    }
    Ok(DryRun {
        files,
        mapping_toml: to_toml(&toml_files),
    })
}

/// Validates every row of a file as the ingest would, counting what would load.
fn check_rows(
    file: SourceFile,
    table: Table,
    columns: &Columns,
    plan: &mut FilePlan,
    ids: &mut Identities,
    known: &mut HashSet<String>,
) {
    let shown = plan.file.clone();
    let names = table.columns();
    let mut scratch = Vec::new();
    for rec in file {
        plan.rows_read += 1;
        let record = match rec {
            Ok(r) => r,
            Err(u) => {
                plan.would_reject += 1;
                if plan.problems.len() < FIRST_PROBLEMS {
                    plan.problems.push(Reject {
                        file: shown.clone(),
                        line: u.line,
                        column: String::new(),
                        value: String::new(),
                        reason: u.reason,
                        outcome: Outcome::Rejected,
                    });
                }
                continue;
            }
        };
        let mut f = Fields {
            file: &shown,
            record: &record,
            columns,
            names,
            normalized: &mut scratch,
            set_aside: Vec::new(),
        };
        let outcome: std::result::Result<Option<String>, Reject> = match table {
            Table::Customers => validate_customer(&mut f, ids).map(|row| {
                known.insert(row.id);
                None
            }),
            Table::Orders => validate_order(&mut f, None).map(|r| Some(r.customer_id)),
            Table::Interactions => validate_interaction(&mut f, None).map(|r| Some(r.customer_id)),
            _ => Ok(None),
        };
        let set_aside = std::mem::take(&mut f.set_aside);
        scratch.clear();
        match outcome {
            Ok(customer) => {
                let waits =
                    customer.is_some_and(|c| plan.would_wait.is_some() && !known.contains(&c));
                if waits {
                    *plan.would_wait.as_mut().expect("checked") += 1;
                } else {
                    plan.would_load += 1;
                }
                plan.values_set_aside += set_aside.len() as u64;
                let room = FIRST_PROBLEMS.saturating_sub(plan.problems.len());
                plan.problems.extend(set_aside.into_iter().take(room));
            }
            Err(r) => {
                plan.would_reject += 1;
                if plan.problems.len() < FIRST_PROBLEMS {
                    plan.problems.push(r);
                }
            }
        }
    }
}

//! Applying a change batch: one transaction, one generation, then the index catch-up.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use duckdb::Connection;

use super::parse::{CHANGES, Changes, Op, fields};
use crate::crypt::Vault;
use crate::handle::Warm;
use crate::index::{SyncReport, sync_into};
use crate::ingest::load_identities_of;
use crate::plan::{FieldKind, infer_kind_of_few, typed};
use crate::source::{Cell, Record};
use crate::stage::{self, Staging};
use crate::store::{self, StorePaths, Tx};
use crate::validate::{
    CustomerRow, InteractionRow, Normalization, OrderRow, Outcome, Reject, Table, claimed_identity,
    split_unit, validate_customer, validate_interaction, validate_order,
};
use crate::{Progress, Result, derive, report, upsert};

/// What a change batch did. `read = applied + rejected.len()`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChangeSummary {
    /// Lines read (blank lines aside).
    pub read: u64,
    /// Lines applied: rows upserted and customers deleted.
    pub applied: u64,
    /// Every line not applied: its line number, the column, the value and why.
    pub rejected: Vec<Reject>,
    pub customers_upserted: u64,
    pub orders_upserted: u64,
    pub interactions_upserted: u64,
    /// Customers deleted, with their orders and interactions.
    pub deleted: Vec<String>,
    /// Safe normalisations applied to the rows that were applied.
    pub normalisations: Vec<Normalization>,
    /// Keys of rows that are no column of their table (derived, or of orders and
    /// interactions), as `table.key`.
    pub ignored_columns: Vec<String>,
    /// The customers' own fields the batch set (客户来源, 合同到期日 …); a field new to the
    /// store takes the type its values in the batch have.
    pub custom_fields: Vec<String>,
    /// The store generation after the batch (unchanged when nothing applied).
    pub generation: u64,
    /// Customers whose stored or derived values changed, re-indexed.
    pub customers_changed: usize,
    pub duplicate_groups: usize,
    pub duplicates_flagged: usize,
    /// `rejects/gNNNNNN-rejects.csv`, when a line was rejected and the batch applied.
    pub rejects_file: Option<PathBuf>,
    pub index: SyncReport,
    pub seconds: f64,
}

/// Lines in the order they apply: deletes first, then customers, then orders and
/// interactions (so that an order may come before the customer it belongs to, as files of
/// one ingest may). An upsert for a customer that a later line deletes is rejected, so the
/// result is what applying the lines one by one would leave.
pub(crate) fn apply(
    conn: &Connection,
    paths: &StorePaths,
    vault: &Vault,
    changes: &Changes,
    progress: &dyn Progress,
    warm: &mut Warm,
) -> Result<ChangeSummary> {
    let started = Instant::now();
    let mut rejected: Vec<Reject> = changes
        .lines
        .iter()
        .filter_map(|l| match &l.op {
            Op::Unreadable(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    let tx = Tx::begin(conn)?;
    let generation = store::generation(conn)? + 1;
    let (as_of, _) = store::as_of(conn)?;
    let cuts = derive::cuts(conn, as_of, warm.cuts.take())?;
    upsert::begin(conn)?;
    let lap = |what: &str| tracing::debug!(seconds = started.elapsed().as_secs_f64(), "{what}");
    lap("cuts before the change");
    let (upserts, mut ignored) = plan(conn, changes, &mut rejected)?;
    let own = OwnFields::plan(conn, &upserts)?;
    ignored.retain(|k| !own.takes(k));
    let deleted = delete(conn, changes, generation, &mut rejected)?;
    lap("deleted");
    Staging::Temp.create(conn)?;
    let staged = validate(conn, &upserts, &own, &mut rejected)?;
    let applied = changes
        .lines
        .iter()
        .filter(|l| matches!(&l.op, Op::Delete { id } if deleted.contains(id)))
        .count() as u64
        + staged.rows();
    let Staged {
        customers,
        orders,
        interactions,
        custom,
        normalisations,
    } = staged;
    rejected.sort_by_key(|r| r.line);
    let read = changes.lines.len() as u64;
    let mut summary = ChangeSummary {
        read,
        applied,
        rejected,
        customers_upserted: customers.len() as u64,
        orders_upserted: orders.len() as u64,
        interactions_upserted: interactions.len() as u64,
        deleted: deleted.into_iter().collect(),
        normalisations,
        ignored_columns: ignored,
        custom_fields: own.names(),
        generation: generation - 1,
        customers_changed: 0,
        duplicate_groups: 0,
        duplicates_flagged: 0,
        rejects_file: None,
        index: SyncReport::default(),
        seconds: 0.0,
    };
    if applied == 0 {
        // Nothing to apply: the store stays at its generation (the transaction rolls back).
        drop(tx);
        warm.cuts = Some((generation - 1, cuts));
        summary.seconds = started.elapsed().as_secs_f64();
        return Ok(summary);
    }
    if !customers.is_empty() {
        Staging::Temp.append(
            conn,
            "_stage_customers",
            stage::customers_batch(&customers, vault)?,
        )?;
    }
    if !orders.is_empty() {
        Staging::Temp.append(conn, "_stage_orders", stage::orders_batch(&orders)?)?;
    }
    if !interactions.is_empty() {
        Staging::Temp.append(
            conn,
            "_stage_interactions",
            stage::interactions_batch(&interactions)?,
        )?;
    }
    if !custom.is_empty() {
        Staging::Temp.append_custom(conn, &custom)?;
    }
    lap("validated and staged");
    upsert::upsert_staged(conn, Staging::Temp, generation)?;
    if !custom.is_empty() {
        upsert::upsert_custom(conn, Staging::Temp, generation)?;
    }
    Staging::Temp.drop(conn)?;
    lap("upserted");
    let (changed, after) = derive::derive(
        conn,
        as_of,
        generation,
        derive::Scope::Touched(Box::new(cuts)),
    )?;
    summary.customers_changed = changed;
    (summary.duplicate_groups, summary.duplicates_flagged) =
        upsert::flag_duplicate_names(conn, generation, upsert::Groups::Affected)?;
    lap("derived, duplicates flagged");
    store::forget_tombstones(conn, generation)?;
    store::set_meta(conn, "generation", &generation.to_string())?;
    let rejected_count = summary.rejected.len() as u64;
    report::record_run(
        conn,
        generation,
        CHANGES,
        (read, applied, rejected_count),
        summary.normalisations.len() as u64,
        summary.duplicates_flagged as u64,
        started.elapsed().as_secs_f64(),
    )?;
    tx.commit()?;
    warm.cuts = Some((generation, after));
    summary.generation = generation;
    tracing::info!(
        generation,
        read,
        applied,
        rejected = rejected_count,
        changed = summary.customers_changed,
        seconds = started.elapsed().as_secs_f64(),
        "change batch committed"
    );

    let stamp = format!("g{generation:06}");
    summary.rejects_file = report::write_rejects(paths, &stamp, &summary.rejected, vault)?;
    report::write_normalisations(paths, &stamp, &summary.normalisations, vault)?;
    report::write_duplicates(paths, conn)?;
    lap("reports written");
    summary.index = sync_into(paths, conn, warm, progress)?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// An upsert line: its number, table and op.
type Upsert<'c> = (u64, Table, &'c Op);

/// The upsert lines in the order they apply (customers, then orders and interactions, each
/// in line order), and the keys of their rows that are no column. An upsert that a later
/// delete line supersedes is rejected instead: of the customer deleted, or of another
/// customer with the deleted customer's credit code (the code is still taken at that line).
fn plan<'c>(
    conn: &Connection,
    changes: &'c Changes,
    rejected: &mut Vec<Reject>,
) -> Result<(Vec<Upsert<'c>>, Vec<String>)> {
    let mut deleted_on: HashMap<&str, u64> = HashMap::new();
    for l in &changes.lines {
        if let Op::Delete { id } = &l.op {
            let last = deleted_on.entry(id).or_default();
            *last = (*last).max(l.line);
        }
    }
    let mut code_of_deleted: HashMap<String, String> = HashMap::new();
    if !deleted_on.is_empty() {
        let ids: Vec<String> = deleted_on.keys().map(|id| id.to_string()).collect();
        code_of_deleted = load_identities_of(conn, &ids)?
            .code_of
            .into_iter()
            .filter(|(id, _)| deleted_on.contains_key(id.as_str()))
            .map(|(id, code)| (code, id))
            .collect();
    }
    let mut ignored = BTreeSet::new();
    let mut upserts = Vec::new();
    let mut scratch = Vec::new();
    for l in &changes.lines {
        let Op::Upsert {
            table,
            record,
            columns,
            ignored: extra,
        } = &l.op
        else {
            continue;
        };
        ignored.extend(extra.iter().map(|(_, k)| format!("{}.{k}", table.name())));
        let mut f = fields(record, columns, *table, &mut scratch);
        let (customer, code) = match table {
            Table::Customers => claimed_identity(&mut f),
            _ => (f.required(1).ok(), None),
        };
        scratch.clear();
        let later = |id: &str| deleted_on.get(id).copied().filter(|d| *d > l.line);
        let superseded = if let Some((c, d)) =
            customer.as_deref().and_then(|c| Some((c, later(c)?)))
        {
            let column = if *table == Table::Customers {
                "id"
            } else {
                "customer_id"
            };
            Some((
                column,
                c.to_owned(),
                format!("customer {c} is deleted by line {d} of this batch"),
            ))
        } else {
            code.and_then(|code| {
                let owner = code_of_deleted.get(&code)?;
                let d = later(owner)?;
                Some((
                    "credit_code",
                    code.clone(),
                    format!(
                        "belongs to customer {owner}, deleted by line {d} of this batch; send the upsert after the delete"
                    ),
                ))
            })
        };
        match superseded {
            Some((column, value, reason)) => rejected.push(Reject {
                file: CHANGES.into(),
                line: l.line,
                column: column.into(),
                value,
                reason,
                outcome: Outcome::Rejected,
            }),
            None => upserts.push((l.line, *table, &l.op)),
        }
    }
    upserts.sort_by_key(|(line, table, _)| (*table, *line));
    Ok((upserts, ignored.into_iter().collect()))
}

/// The first value a row's validation set aside, as the line's rejection.
fn whole(f: &crate::validate::Fields<'_>) -> std::result::Result<(), Reject> {
    match f.set_aside.first() {
        None => Ok(()),
        Some(r) => Err(Reject {
            outcome: Outcome::Rejected,
            ..r.clone()
        }),
    }
}

/// Deletes the customers of the delete lines; a line whose customer is not in the store is
/// rejected. Returns the customers deleted.
fn delete(
    conn: &Connection,
    changes: &Changes,
    generation: u64,
    rejected: &mut Vec<Reject>,
) -> Result<BTreeSet<String>> {
    let mut ids: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for l in &changes.lines {
        if let Op::Delete { id } = &l.op
            && seen.insert(id.as_str())
        {
            ids.push(id.clone());
        }
    }
    if ids.is_empty() {
        return Ok(BTreeSet::new());
    }
    let deleted: BTreeSet<String> = upsert::delete_customers(conn, &ids, generation)?
        .into_iter()
        .collect();
    for l in &changes.lines {
        if let Op::Delete { id } = &l.op
            && !deleted.contains(id)
        {
            rejected.push(Reject {
                file: CHANGES.into(),
                line: l.line,
                column: "id".into(),
                value: id.clone(),
                reason: "no such customer in the store".into(),
                outcome: Outcome::Rejected,
            });
        }
    }
    Ok(deleted)
}

/// The upsert rows validated, numbered in the order they apply (later rows win).
#[derive(Default)]
struct Staged {
    customers: Vec<(i64, CustomerRow)>,
    orders: Vec<(i64, OrderRow)>,
    interactions: Vec<(i64, InteractionRow)>,
    custom: Vec<stage::CustomValue>,
    normalisations: Vec<Normalization>,
}

impl Staged {
    fn rows(&self) -> u64 {
        (self.customers.len() + self.orders.len() + self.interactions.len()) as u64
    }
}

/// Validates the upsert rows as file rows are, against the identities they claim (loaded
/// for those keys only); a row that fails is rejected with its line and reason.
fn validate(
    conn: &Connection,
    upserts: &[Upsert<'_>],
    own: &OwnFields,
    rejected: &mut Vec<Reject>,
) -> Result<Staged> {
    let mut scratch = Vec::new();
    let mut keys = Vec::new();
    for (_, table, op) in upserts {
        let Op::Upsert {
            record, columns, ..
        } = op
        else {
            continue;
        };
        let mut f = fields(record, columns, *table, &mut scratch);
        match table {
            Table::Customers => {
                let (id, code) = claimed_identity(&mut f);
                keys.extend(id);
                keys.extend(code);
            }
            _ => keys.extend(f.required(1).ok()),
        }
        scratch.clear();
    }
    let mut ids = load_identities_of(conn, &keys)?;
    let mut staged = Staged::default();
    for (seq, (_, table, op)) in upserts.iter().enumerate() {
        let Op::Upsert {
            record,
            columns,
            ignored: extra,
            ..
        } = op
        else {
            continue;
        };
        let seq = seq as i64 + 1;
        let mut f = fields(record, columns, *table, &mut scratch);
        // A line of a change batch applies whole or not at all: a value a file row would
        // set aside rejects the line.
        let outcome = match table {
            Table::Customers => validate_customer(&mut f, &mut ids).and_then(|r| {
                whole(&f)?;
                let values = own.values(&r.id, record, extra, seq)?;
                staged.custom.extend(values);
                staged.customers.push((seq, r));
                Ok(())
            }),
            Table::Orders => validate_order(&mut f, Some(&ids.code_of))
                .and_then(|r| whole(&f).map(|()| staged.orders.push((seq, r)))),
            _ => validate_interaction(&mut f, Some(&ids.code_of))
                .and_then(|r| whole(&f).map(|()| staged.interactions.push((seq, r)))),
        };
        match outcome {
            Ok(()) => staged.normalisations.append(&mut scratch),
            Err(r) => {
                scratch.clear();
                rejected.push(r);
            }
        }
    }
    Ok(staged)
}

/// The customers' own fields a batch sets: the keys of customer rows that are no column of
/// `customers`, each the store's field of that name (or column: 信用额度_元 is 信用额度(元)),
/// or a new field typed by the values the batch gives it, as an ingest types a file's.
struct OwnFields {
    /// Key as sent → the field's name and type.
    fields: HashMap<String, (String, FieldKind)>,
}

impl OwnFields {
    fn plan(conn: &Connection, upserts: &[Upsert<'_>]) -> Result<OwnFields> {
        let mut taken: BTreeSet<String> = BTreeSet::new();
        let mut stmt = conn.prepare(
            "SELECT lower(column_name) FROM information_schema.columns WHERE table_name = 'customers'",
        )?;
        for c in stmt.query_map([], |r| r.get::<_, String>(0))? {
            taken.insert(c?);
        }
        let mut stmt = conn.prepare("SELECT name, kind FROM custom_fields")?;
        let known: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        for (_, table, op) in upserts {
            let (
                Table::Customers,
                Op::Upsert {
                    record, ignored, ..
                },
            ) = (table, op)
            else {
                continue;
            };
            for (pos, key) in ignored {
                let Some(column) = store::field_column(key) else {
                    continue;
                };
                if taken.contains(&column.to_lowercase()) || key.starts_with('_') {
                    continue;
                }
                let v = values.entry(key.clone()).or_default();
                if let Some(t) = cell_text(record, *pos).filter(|t| !t.is_empty()) {
                    v.push(t);
                }
            }
        }
        let mut fields = HashMap::new();
        for (key, vals) in values {
            let column = store::field_column(&key);
            let field = known
                .iter()
                .find(|(name, _)| *name == key || store::field_column(name) == column)
                .and_then(|(name, kind)| Some((name.clone(), FieldKind::from_label(kind)?)));
            let field = field.unwrap_or_else(|| {
                let refs: Vec<&str> = vals.iter().map(String::as_str).collect();
                (key.clone(), infer_kind_of_few(&key, &refs))
            });
            fields.insert(key, field);
        }
        Ok(OwnFields { fields })
    }

    /// Whether `table.key` (as in [`ChangeSummary::ignored_columns`]) is one of them.
    fn takes(&self, qualified: &str) -> bool {
        qualified
            .strip_prefix("customers.")
            .is_some_and(|k| self.fields.contains_key(k))
    }

    fn names(&self) -> Vec<String> {
        let names: BTreeSet<String> = self.fields.values().map(|(n, _)| n.clone()).collect();
        names.into_iter().collect()
    }

    /// A customer row's values of its own fields, typed; a value not of its field's type
    /// rejects the line. A key sent empty (or null) clears the customer's value.
    fn values(
        &self,
        id: &str,
        record: &Record,
        extra: &[(usize, String)],
        seq: i64,
    ) -> std::result::Result<Vec<stage::CustomValue>, Reject> {
        let mut out = Vec::new();
        for (pos, key) in extra {
            let Some((name, kind)) = self.fields.get(key) else {
                continue;
            };
            let text = cell_text(record, *pos).unwrap_or_default();
            if text.is_empty() {
                out.push(stage::CustomValue::cleared(id, name, *kind, seq));
                continue;
            }
            // The unit of the key as sent, else of the field's header (信用额度_万元 is
            // in the 万元 of 信用额度(万元)).
            let scale = match split_unit(key).1 {
                1.0 => split_unit(name).1,
                own => own,
            };
            let (number, day) = typed(*kind, &text, scale).map_err(|reason| Reject {
                file: CHANGES.into(),
                line: record.line,
                column: key.clone(),
                value: text.clone(),
                reason,
                outcome: Outcome::Rejected,
            })?;
            out.push(stage::CustomValue {
                id: id.to_owned(),
                field: name.clone(),
                kind: kind.label(),
                text: Some(text),
                number,
                day,
                seq,
            });
        }
        Ok(out)
    }
}

fn cell_text(record: &Record, pos: usize) -> Option<String> {
    match record.cells.get(pos).cloned().flatten()? {
        Cell::Text(t) => Some(t.trim().to_owned()),
        Cell::List(items) => Some(items.join("|")),
    }
}

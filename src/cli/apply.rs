use std::io::Read;
use std::path::PathBuf;

use kesou_indexer::{ChangeSummary, Changes, Store, StorePaths};

use super::StoreArg;
use super::output::{Table, count};
use super::progress::Bars;

/// Applies a batch of changes to a store: one JSON object a line, each an upsert of a
/// customer, an order or an interaction, or the delete of a customer (with its orders and
/// interactions). The same lines `POST /api/ingest` takes:
///
///   {"op":"upsert","table":"customers","row":{"id":"C0000123","name":"杭州恒瑞精密机械有限公司","credit_code":"91330100MA2TXT8X0K","province":"浙江","industry":"制造"}}
///   {"op":"upsert","table":"orders","row":{"id":"O9001","customer_id":"C0000123","order_date":"2026-06-01","amount":12000}}
///   {"op":"delete","id":"C0000124"}
///
/// Rows are checked as `kesou ingest` checks file rows (the same reasons, the same safe
/// fixes, the same credit-code rules); a bad line is listed with its number and the reason,
/// and the other lines apply. The batch is one change of the store. Only the customers it
/// touches, and the few whose rank among all buyers moves, are derived and re-indexed.
/// Then the store's watches are asked about the changed customers (`kesou watch`).
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The file of changes (JSON lines); `-` reads them from standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Queue what the store's watches fire on, without sending it now (a server or
    /// `kesou watch deliver` sends it).
    #[arg(long)]
    pub no_deliver: bool,
}

pub fn run(args: ApplyArgs) -> anyhow::Result<()> {
    let bytes = if args.file.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b)?;
        b
    } else {
        std::fs::read(&args.file)
            .map_err(|e| kesou_indexer::Error::BadInput(format!("{}: {e}", args.file.display())))?
    };
    let changes = Changes::parse(&bytes)?;
    let paths = StorePaths::new(&args.store.data);
    let summary = Store::open(&paths)?.apply(&changes, &Bars::default())?;
    print_summary(&summary);
    // The store's tag rules hold for the changed customers too.
    if summary.applied > 0
        && let Some(report) = kesou_query::tags::apply(&paths, None, &Bars::default())?
    {
        println!("tag rules of the store, applied again:");
        super::tags::print_report(&report);
    }
    super::watch::after_write(&paths, !args.no_deliver)?;
    Ok(())
}

pub fn print_summary(s: &ChangeSummary) {
    println!(
        "read {} · applied {} ({} customers, {} orders, {} interactions upserted; {} deleted) · rejected {}",
        count(s.read),
        count(s.applied),
        count(s.customers_upserted),
        count(s.orders_upserted),
        count(s.interactions_upserted),
        count(s.deleted.len() as u64),
        count(s.rejected.len() as u64)
    );
    if !s.rejected.is_empty() {
        let mut t = Table::new(["line", "column", "value", "reason"]);
        for r in &s.rejected {
            t.row([
                r.line.to_string(),
                r.column.clone(),
                r.value.clone(),
                r.reason.clone(),
            ]);
        }
        t.print();
    }
    if !s.ignored_columns.is_empty() {
        println!("ignored columns: {}", s.ignored_columns.join(", "));
    }
    if !s.normalisations.is_empty() {
        println!(
            "normalised: {} values",
            count(s.normalisations.len() as u64)
        );
    }
    println!(
        "generation {} · {} customers changed · index: {} documents in {:.2} s · took {:.2} s",
        s.generation,
        count(s.customers_changed as u64),
        count(s.index.indexed as u64),
        s.index.seconds,
        s.seconds
    );
    if s.duplicates_flagged > 0 {
        println!(
            "duplicates flagged: {} customers; {} same-name-different-code groups in the store",
            s.duplicates_flagged, s.duplicate_groups
        );
    }
}

use std::io::Read;
use std::path::PathBuf;

use kesou_indexer::{Changes, Store};

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

pub fn run(args: ApplyArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let bytes = if args.file.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b)?;
        b
    } else {
        std::fs::read(&args.file)
            .map_err(|e| kesou_indexer::Error::BadInput(format!("{}: {e}", args.file.display())))?
    };
    if let Some(server) = super::remote::server_of(&args.store.data) {
        eprintln!(
            "note: the store is served by `kesou serve` (pid {}); applying through it at {}",
            server.pid, server.url
        );
        let v = super::remote::send(
            &server,
            "POST",
            "/api/ingest",
            "application/x-ndjson",
            &mut bytes.as_slice(),
        )?;
        print_summary(&v);
        return Ok(());
    }
    let changes = Changes::parse(&bytes)?;
    let paths = opts.store(&args.store.data);
    let summary = Store::open(&paths)?.apply(&changes, &Bars::default())?;
    print_summary(&serde_json::to_value(&summary)?);
    // The store's tag rules hold for the changed customers too.
    if summary.applied > 0
        && let Some(report) = kesou_query::tags::apply(&paths, None, &Bars::default())?
    {
        println!("tag rules of the store, applied again:");
        super::tags::print_report(&report);
    }
    super::watch::after_write(&paths, !args.no_deliver, opts)?;
    Ok(())
}

/// Prints what a batch did, from its summary as JSON (the server answers it so, and a
/// local batch's summary serialises to the same).
pub fn print_summary(s: &serde_json::Value) {
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    let len = |v: &serde_json::Value| v.as_array().map_or(0, Vec::len) as u64;
    println!(
        "read {} · applied {} ({} customers, {} orders, {} interactions upserted; {} deleted) · rejected {}",
        count(n(&s["read"])),
        count(n(&s["applied"])),
        count(n(&s["customers_upserted"])),
        count(n(&s["orders_upserted"])),
        count(n(&s["interactions_upserted"])),
        count(len(&s["deleted"])),
        count(len(&s["rejected"]))
    );
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(t) => t.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    if let Some(rejected) = s["rejected"].as_array().filter(|r| !r.is_empty()) {
        let mut t = Table::new(["line", "column", "value", "reason"]);
        for r in rejected {
            t.row([
                text(&r["line"]),
                text(&r["column"]),
                text(&r["value"]),
                text(&r["reason"]),
            ]);
        }
        t.print();
    }
    if let Some(own) = s["custom_fields"].as_array().filter(|r| !r.is_empty()) {
        let names: Vec<String> = own.iter().map(text).collect();
        println!("custom fields set: {}", names.join(", "));
    }
    if let Some(ignored) = s["ignored_columns"].as_array().filter(|r| !r.is_empty()) {
        let names: Vec<String> = ignored.iter().map(text).collect();
        println!("ignored columns: {}", names.join(", "));
    }
    if len(&s["normalisations"]) > 0 {
        println!("normalised: {} values", count(len(&s["normalisations"])));
    }
    println!(
        "generation {} · {} customers changed · index: {} documents in {:.2} s · took {:.2} s",
        n(&s["generation"]),
        count(n(&s["customers_changed"])),
        count(n(&s["index"]["indexed"])),
        s["index"]["seconds"].as_f64().unwrap_or(0.0),
        s["seconds"].as_f64().unwrap_or(0.0)
    );
    if n(&s["duplicates_flagged"]) > 0 {
        println!(
            "duplicates flagged: {} customers; {} same-name-different-code groups in the store",
            n(&s["duplicates_flagged"]),
            n(&s["duplicate_groups"])
        );
    }
}

use kesou_indexer::{Agreement, Store, StorePaths};

use super::StoreArg;
use super::output::count;

/// Checks that a store's search index agrees with its database.
///
/// Opens the store (which first lets the index catch up if a write was interrupted between
/// the database's commit and the index's), then compares them: the same generation, one
/// document per customer and no other, each built from its customer's latest change.
/// Exits with 1 and lists what differs when they do not agree. Run it after a crash or a
/// restore; `kesou restore` runs it by itself.
///
///   kesou check --data kesou-data
///   kesou check --data kesou-data --format json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct CheckArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// `text` or `json`.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

/// Opens the store (catching the index up) and compares store and index.
pub fn agreement(paths: &StorePaths) -> anyhow::Result<Agreement> {
    Ok(Store::open(paths)?.check()?)
}

pub fn print(a: &Agreement) {
    println!(
        "store generation {} · index generation {} · {} customers · {} documents",
        a.store_generation,
        a.index_generation,
        count(a.customers),
        count(a.documents)
    );
    if a.agrees() {
        println!("store and index agree");
    } else {
        for p in a.problems() {
            println!("  · {p}");
        }
    }
}

pub fn run(args: CheckArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    let a = agreement(&opts.store(&args.store.data))?;
    if args.format == "json" {
        let mut v = serde_json::to_value(&a)?;
        v["agrees"] = serde_json::Value::Bool(a.agrees());
        v["problems"] = serde_json::to_value(a.problems())?;
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print(&a);
    }
    if !a.agrees() {
        anyhow::bail!("store and index disagree");
    }
    Ok(())
}

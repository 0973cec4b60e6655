//! `kesou tags apply`: tags decided by rules written in managers' own words.

use std::path::PathBuf;

use kesou_query::tags::{self, TagReport};

use super::StoreArg;
use super::output::{Table, count};
use super::progress::Bars;

#[derive(Debug, clap::Args)]
pub struct TagsArgs {
    #[command(subcommand)]
    pub command: TagsCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum TagsCommand {
    /// Apply tag rules to every customer.
    ///
    /// A rules file is TOML, one rule a line: the condition in the words you would ask with,
    /// then the tag it gives:
    ///
    ///   "近30天咨询≥5次且未成交" = "高意向待转化"
    ///   "年采购额超过500万的制造业客户" = "制造大客户"
    ///   "去年下过单但今年没有订单的华东客户" = "待唤醒"
    ///
    /// Every rule must be understood completely; if one is not, none is applied and kesou
    /// says why. The rules are kept in the store and `kesou ingest` applies them again after
    /// each load. Without --rules, the store's rules are applied again.
    #[command(verbatim_doc_comment)]
    Apply {
        #[command(flatten)]
        store: StoreArg,
        /// The rules file (kept in the store once applied).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
    },
}

pub fn run(args: TagsArgs, opts: &super::options::Options) -> anyhow::Result<()> {
    match args.command {
        TagsCommand::Apply { store, rules } => {
            let paths = opts.store(&store.data);
            match tags::apply(&paths, rules.as_deref(), &Bars::default())? {
                Some(report) => print_report(&report),
                None => println!(
                    "no tag rules in {}; give a file with --rules FILE",
                    store.data.display()
                ),
            }
            Ok(())
        }
    }
}

pub fn print_report(report: &TagReport) {
    let mut t = Table::new(["rule", "read as", "tag", "customers"]);
    for r in &report.rules {
        t.row([
            r.condition.clone(),
            r.reading.clone(),
            r.tag.clone(),
            count(r.customers as u64),
        ]);
    }
    t.print();
    println!(
        "generation {} · {} customers' tags changed · index: {} documents updated",
        report.generation,
        count(report.changed as u64),
        count(report.index.indexed as u64)
    );
}

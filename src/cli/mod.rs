//! The command line: one struct of flags per command (clap derive), each command in its own
//! file. Help texts are written for the people who use kesou, not for us.

mod apply;
mod ask;
mod audit;
mod backup;
mod bench;
mod bench_changes;
mod bench_crypt;
mod bench_formats;
mod bench_semantic;
mod bench_watches;
mod check;
mod churn;
mod demo;
mod embed;
mod eval;
mod eval_churn;
mod eval_questions;
mod eval_semantic;
mod examples;
mod generate;
mod ingest;
mod keys;
mod options;
mod output;
mod progress;
mod remote;
mod search;
mod serve;
mod similar;
mod tags;
mod train;
mod train_opportunity;
mod user;
mod watch;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use kesou_domain::Kind;

/// 客搜 kesou: search and analytics over enterprise customer profiles (企业客户档案),
/// offline, in one binary.
///
/// Start with `kesou demo`: it generates realistic demo customers, loads them and shows how
/// to search. Load your own exports with `kesou ingest`, then ask questions with `kesou ask`
/// (「华东地区年采购额超百万的科技客户」) or search by name and words with `kesou search`.
#[derive(Debug, Parser)]
#[command(name = "kesou", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Show more of what kesou is doing (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(flatten)]
    pub options: options::Options,
}

impl Cli {
    /// Parses the command line (clap's message and exit when it is wrong), noting which
    /// options came from environment variables.
    pub fn parse_with_sources() -> Cli {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Cli::command().get_matches();
        let mut cli = Cli::from_arg_matches(&matches)
            .map_err(|e| e.format(&mut Cli::command()))
            .unwrap_or_else(|e| e.exit());
        cli.options = cli.options.finish(&matches);
        cli
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate demo data, load it into ./kesou-data, show how to search it and serve the web app.
    Demo(demo::DemoArgs),
    /// Write realistic, deterministic demo customers, orders and interactions to files.
    Generate(generate::GenerateArgs),
    /// Load customer, order and interaction files (CSV, JSONL, Parquet) into a store.
    Ingest(ingest::IngestArgs),
    /// Apply a batch of changes (JSON lines of upserts and deletes) to a store.
    Apply(apply::ApplyArgs),
    /// Remove customers, with their orders and interactions, from a store.
    Delete(ingest::DeleteArgs),
    // The help is AskArgs' own (with examples).
    Ask(ask::AskArgs),
    /// Search customers by name, description, tags and interaction notes.
    Search(search::SearchArgs),
    /// Find customers like one customer or a list of them, with the reasons (找相似客户).
    Similar(similar::SimilarArgs),
    // The help is EmbedArgs' own (with the models to use and examples).
    Embed(embed::EmbedArgs),
    // The help of these is their Args' own (with examples).
    Check(check::CheckArgs),
    Backup(backup::BackupArgs),
    Restore(backup::RestoreArgs),
    /// List customers that share a name but not a credit code (统一社会信用代码).
    Duplicates(ingest::DuplicatesArgs),
    /// Tag customers by rules written as questions (近30天咨询≥5次且未成交 → 高意向待转化).
    Tags(tags::TagsArgs),
    // The help of these is their Args' own (with examples).
    User(user::UserArgs),
    Audit(audit::AuditArgs),
    Watch(watch::WatchArgs),
    Serve(serve::ServeArgs),
    Share(serve::ShareArgs),
    /// Learn from the store's history: churn risk (kesou train churn).
    Train(train::TrainArgs),
    // The help is ChurnArgs' own (with examples).
    Churn(churn::ChurnArgs),
    // The help is KeysArgs' own (with examples).
    Keys(keys::KeysArgs),
    /// Measure generate, ingest and search speed against a DuckDB-only baseline.
    Bench(bench::BenchArgs),
    /// Measure answer quality against known ground truth (kesou eval lookalike, kesou eval churn, kesou eval questions, kesou eval semantic).
    Eval(eval::EvalArgs),
}

/// The store flag every data command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArg {
    /// The store folder (created by `kesou ingest`).
    #[arg(
        long = "data",
        short = 'd',
        value_name = "STORE",
        default_value = "kesou-data"
    )]
    pub data: PathBuf,
}

pub fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("KESOU_LOG").unwrap_or_else(|_| level.into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let opts = &cli.options;
    match cli.command {
        Command::Keys(a) => keys::run(a, opts),
        Command::Demo(a) => demo::run(a, opts),
        Command::Generate(a) => generate::run(a),
        Command::Ingest(a) => ingest::run(a, opts),
        Command::Apply(a) => apply::run(a, opts),
        Command::Delete(a) => ingest::delete(a, opts),
        Command::Ask(a) => ask::run(a, opts),
        Command::Search(a) => search::run(a, opts),
        Command::Similar(a) => similar::run(a, opts),
        Command::Embed(a) => embed::run(a, opts),
        Command::Eval(a) => eval::run(a, opts),
        Command::Duplicates(a) => ingest::duplicates(a, opts),
        Command::Check(a) => check::run(a, opts),
        Command::Backup(a) => backup::backup(a, opts),
        Command::Restore(a) => backup::restore(a, opts),
        Command::Tags(a) => tags::run(a, opts),
        Command::User(a) => user::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Watch(a) => watch::run(a, opts),
        Command::Serve(a) => serve::run(a, opts),
        Command::Share(a) => serve::share(a, opts),
        Command::Train(a) => train::run(a, opts),
        Command::Churn(a) => churn::run(a, opts),
        Command::Bench(a) => bench::run(a, opts),
    }
}

/// Appends a command-line read to the store's audit log, as `local:<login name>` from `cli`.
/// The command's output stands even when the log cannot be written (a read-only copy of a
/// store): it says so on stderr.
pub fn audit_local(
    store: &std::path::Path,
    action: &str,
    input: &str,
    interpretation: &str,
    customers: Vec<String>,
    rows: u64,
) {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| {
            // no login name in the environment: the numeric user id
            std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix("Uid:"))
                        .and_then(|ids| ids.split_whitespace().next().map(|u| format!("uid{u}")))
                })
                .unwrap_or_else(|| "unknown".into())
        });
    let event = kesou_access::Event {
        user: format!("local:{user}"),
        role: "本机".into(),
        from: "cli".into(),
        action: action.into(),
        outcome: "ok".into(),
        input: input.chars().take(500).collect(),
        interpretation: interpretation.into(),
        rows,
        customers,
        detail: String::new(),
    };
    if let Err(e) = kesou_access::AuditLog::open(store).and_then(|log| log.record(event)) {
        eprintln!("note: not written to the audit log: {e}");
    }
}

/// An error of the command line itself (a flag, a setting, a folder given), with whose
/// fault it is; the crates' errors carry their own [`Kind`].
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// A mistake of the user's (exit code 2): a flag, a setting or a folder to change.
pub fn user(message: impl Into<String>) -> Failure {
    Failure::new(Kind::BadRequest, message)
}

/// Whose fault an error is, which gives the exit code: the first error in its chain that
/// knows its [`Kind`]; a bad command line is the user's; any other is a fault.
pub fn kind(e: &anyhow::Error) -> Kind {
    for cause in e.chain() {
        let kind = if let Some(e) = cause.downcast_ref::<Failure>() {
            e.kind
        } else if let Some(e) = cause.downcast_ref::<kesou_indexer::Error>() {
            e.kind()
        } else if let Some(e) = cause.downcast_ref::<kesou_query::Error>() {
            e.kind()
        } else if let Some(e) = cause.downcast_ref::<kesou_nlq::Error>() {
            e.kind()
        } else if let Some(e) = cause.downcast_ref::<kesou_dashboards::Error>() {
            e.kind()
        } else if let Some(e) = cause.downcast_ref::<kesou_access::Error>() {
            e.kind()
        } else if let Some(e) = cause.downcast_ref::<kesou_models::Error>() {
            e.kind()
        } else if let Some(e) = cause.downcast_ref::<kesou_backup::Error>() {
            e.kind()
        } else if let Some(e) = cause.downcast_ref::<kesou_watch::Error>() {
            e.kind()
        } else if let Some(e) = cause.downcast_ref::<kesou_datagen::Error>() {
            e.kind()
        } else if cause.downcast_ref::<clap::Error>().is_some() {
            Kind::BadRequest
        } else {
            continue;
        };
        return kind;
    }
    if e.chain().any(|c| c.is::<std::io::Error>()) {
        Kind::System
    } else {
        Kind::of_engine(None, &message(e))
    }
}

/// An error and its causes on one line, each said once: a cause whose words the message
/// already holds (`{path}: {source}` over its own source) is not repeated, as `{:#}` would.
pub fn message(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}

#[cfg(test)]
mod message_tests {
    #[test]
    fn a_cause_already_said_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        #[derive(Debug)]
        struct Read {
            source: std::io::Error,
        }
        impl std::fmt::Display for Read {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "data/x.csv: {}", self.source)
            }
        }
        impl std::error::Error for Read {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.source)
            }
        }
        let e = anyhow::Error::from(Read { source: io }).context("cannot load");
        assert_eq!(
            super::message(&e),
            "cannot load: data/x.csv: No such file or directory"
        );
        assert_eq!(format!("{e:#}").matches("No such file").count(), 2);
    }
}

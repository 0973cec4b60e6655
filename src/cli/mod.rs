//! The command line: one struct of flags per command (clap derive), each command in its own
//! file. Help texts are written for the people who use kesou, not for us.

mod apply;
mod ask;
mod audit;
mod backup;
mod bench;
mod bench_changes;
mod bench_semantic;
mod check;
mod churn;
mod demo;
mod embed;
mod eval;
mod eval_churn;
mod examples;
mod generate;
mod ingest;
mod output;
mod progress;
mod search;
mod serve;
mod similar;
mod tags;
mod train;
mod user;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

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
    Serve(serve::ServeArgs),
    Share(serve::ShareArgs),
    /// Learn from the store's history: churn risk (kesou train churn).
    Train(train::TrainArgs),
    // The help is ChurnArgs' own (with examples).
    Churn(churn::ChurnArgs),
    /// Measure generate, ingest and search speed against a DuckDB-only baseline.
    Bench(bench::BenchArgs),
    /// Measure answer quality against known ground truth (kesou eval lookalike, kesou eval churn).
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
    match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Generate(a) => generate::run(a),
        Command::Ingest(a) => ingest::run(a),
        Command::Apply(a) => apply::run(a),
        Command::Delete(a) => ingest::delete(a),
        Command::Ask(a) => ask::run(a),
        Command::Search(a) => search::run(a),
        Command::Similar(a) => similar::run(a),
        Command::Embed(a) => embed::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Duplicates(a) => ingest::duplicates(a),
        Command::Check(a) => check::run(a),
        Command::Backup(a) => backup::backup(a),
        Command::Restore(a) => backup::restore(a),
        Command::Tags(a) => tags::run(a),
        Command::User(a) => user::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Share(a) => serve::share(a),
        Command::Train(a) => train::run(a),
        Command::Churn(a) => churn::run(a),
        Command::Bench(a) => bench::run(a),
    }
}

/// Whether an error is the user's to fix (exit code 2) rather than a fault (1).
pub fn is_user_error(e: &anyhow::Error) -> bool {
    if let Some(e) = e.downcast_ref::<kesou_indexer::Error>() {
        return e.is_user_error();
    }
    if let Some(e) = e.downcast_ref::<kesou_query::Error>() {
        return e.is_user_error();
    }
    if let Some(e) = e.downcast_ref::<kesou_dashboards::Error>() {
        return e.is_user_error();
    }
    if let Some(e) = e.downcast_ref::<kesou_access::Error>() {
        return e.is_user_error();
    }
    if let Some(e) = e.downcast_ref::<kesou_models::Error>() {
        return e.is_user_error();
    }
    if let Some(e) = e.downcast_ref::<kesou_backup::Error>() {
        return e.is_user_error();
    }
    if let Some(e) = e.downcast_ref::<kesou_datagen::Error>() {
        return e.is_user_error();
    }
    if let Some(e) = e.downcast_ref::<kesou_models::Error>() {
        return e.is_user_error();
    }
    e.downcast_ref::<clap::Error>().is_some()
}

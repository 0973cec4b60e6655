//! `kesou`: search and analytics over enterprise customer profiles, in one binary.

use std::process::ExitCode;

use clap::Parser;

mod cli;

/// mimalloc rather than glibc's allocator: ingest and indexing allocate many small strings
/// from several threads, and glibc's spent up to a third of an ingest's time in
/// `_int_malloc`, `malloc_consolidate` and `unlink_chunk` (see ARCHITECTURE.md,
/// Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::init_logging(args.verbose);
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(if cli::is_user_error(&e) { 2 } else { 1 })
        }
    }
}

//! `kesou`: search and analytics over enterprise customer profiles, in one binary.

use std::process::ExitCode;

mod cli;

/// mimalloc rather than glibc's allocator: ingest and indexing allocate many small strings
/// from several threads, and glibc's spent up to a third of an ingest's time in
/// `_int_malloc`, `malloc_consolidate` and `unlink_chunk` (see ARCHITECTURE.md,
/// Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One of the two places kesou calls C itself (with `sigpipe`): mimalloc's option API,
/// linked in with the allocator (libmimalloc-sys builds mimalloc v3). The workspace denies
/// `unsafe` code everywhere else.
#[allow(unsafe_code)]
mod allocator {
    unsafe extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
        #[cfg(test)]
        fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    }

    /// `mi_option_purge_delay` in mimalloc.h (v3): how long freed memory stays with the
    /// process before it is given back to the system.
    const PURGE_DELAY: std::ffi::c_int = 15;

    /// Freed memory stays with the process until it exits. Indexing frees and takes back
    /// hundreds of MB at every segment tantivy writes; given back to the system after
    /// mimalloc's default second, the kernel zeroed it again on each new use (a 1M ingest:
    /// index 70 s with the default, 63 s without purging; peak RSS 6.8 and 7.3 GB).
    pub fn keep_freed_memory() {
        // SAFETY: sets an option of the allocator this binary links; any value is valid.
        unsafe { mi_option_set(PURGE_DELAY, -1) };
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// The option number is mimalloc's purge delay: its default is v3's 1000 ms,
        /// which no neighbouring option has, and setting it reads back.
        #[test]
        fn the_purge_delay_option_is_the_one_set() {
            // SAFETY: reads and sets an option of the linked allocator.
            unsafe {
                assert_eq!(mi_option_get(PURGE_DELAY), 1000);
                mi_option_set(PURGE_DELAY, -1);
                assert_eq!(mi_option_get(PURGE_DELAY), -1);
                mi_option_set(PURGE_DELAY, 1000);
            }
        }
    }
}

/// A command whose output goes into a pipe that closes early (`kesou ask … | head`) ends
/// quietly, as other command-line tools do, instead of panicking in `println!`: SIGPIPE
/// gets its default action back (Rust ignores it). Not for the server, where a client that
/// goes away must stay an error on one connection.
#[cfg(unix)]
#[allow(unsafe_code)]
mod sigpipe {
    unsafe extern "C" {
        fn signal(signum: std::ffi::c_int, handler: usize) -> usize;
    }

    /// SIGPIPE and SIG_DFL on Linux and macOS.
    const SIGPIPE: std::ffi::c_int = 13;
    const SIG_DFL: usize = 0;

    pub fn default_action() {
        // SAFETY: restores the default disposition of one signal; no handler runs.
        unsafe { signal(SIGPIPE, SIG_DFL) };
    }
}

fn main() -> ExitCode {
    let args = cli::Cli::parse_with_sources();
    #[cfg(unix)]
    if !matches!(args.command, cli::Command::Serve(_) | cli::Command::Demo(_)) {
        sigpipe::default_action();
    }
    // A command that runs and exits keeps what it frees; a server gives memory back when
    // idle.
    if !matches!(args.command, cli::Command::Serve(_) | cli::Command::Demo(_)) {
        allocator::keep_freed_memory();
    }
    cli::init_logging(args.verbose);
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cli::message(&e));
            ExitCode::from(cli::kind(&e).exit_code())
        }
    }
}

//! Any bytes as a change batch (NDJSON): every line is an op or a reject with its number,
//! and upserts are validated as file rows are.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    kesou_indexer::fuzzing::check_change_lines(data);
});

//! Any bytes as a source file (the first byte picks its name, hence CSV, TSV or JSONL and
//! the table): every row is loaded or rejected with its line and a reason.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kesou_indexer::fuzzing::check_file_rows(data);
});

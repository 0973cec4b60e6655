//! kesou's integration tests, one binary (see ARCHITECTURE.md, "Testing").

mod access;
mod ask_cases;
mod ask_schema;
mod ask_store;
mod changes;
mod common;
mod crash;
mod crypt;
mod custom_fields;
mod docs;
mod dry_run;
mod encodings;
mod eval_questions;
mod excel;
mod export_styles;
mod generated;
mod ingest;
mod properties;
mod search_cases;
mod semantic;
mod served;
mod similar;
mod tags;
mod typed;
mod watch;

#!/usr/bin/env bash
# Crash safety, the long run: `kesou ingest` and `kesou apply` killed with SIGKILL at random
# moments (tests/integration/crash.rs), 60 trials by default; after each kill the store is
# opened again and store and index must agree, and every batch whose command returned
# success must be there whole (an interrupted one whole or not at all).
#
#   tests/crash/kill-ingest.sh            # 60 trials on 1,500 customers
#   tests/crash/kill-ingest.sh 200 5000   # 200 trials on 5,000 customers
#   KESOU_CRASH_SEED=123 tests/crash/kill-ingest.sh   # replay a failure's seed
#
# CI runs the same test with 4 trials inside `cargo test --workspace`.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kesou-target}"
export KESOU_CRASH_TRIALS="${1:-60}"
export KESOU_CRASH_CUSTOMERS="${2:-1500}"
# Always the whole workspace: building one member alone recompiles DuckDB (see README).
cargo build --workspace --tests
cargo test --workspace --test integration ingest_and_apply_killed_at_random_moments -- --nocapture

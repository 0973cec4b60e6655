#!/usr/bin/env bash
# Load test of `kesou serve` on loopback with wrk (Debian package `wrk`):
#   benches/load/run.sh STORE [SECONDS] [CONNECTIONS] [QUESTIONS]
# Starts the release binary on a free port over STORE, waits until it answers, then drives
# POST /api/ask (the questions of the file QUESTIONS in turn, one a line, e.g.
# benches/load/questions.txt; else a built-in mix of 16) and GET of each dashboard's data,
# and prints requests/s and latency percentiles per endpoint. Build first: cargo build
# --release (or set KESOU_BIN, e.g. to the dev build's target/debug/kesou; say so).
# Without KESOU_LOGIN the store is served as demo data (--demo: no users needed); with
# KESOU_LOGIN=name:password the server runs with its users and every request carries that
# user's session (so answers keep to their rows; raise the policy's limits for a load test).
set -euo pipefail
store=${1:?usage: run.sh STORE [SECONDS] [CONNECTIONS] [QUESTIONS]}
secs=${2:-20}
conns=${3:-8}
export KESOU_QUESTIONS=
if [ -n "${4:-}" ]; then
  KESOU_QUESTIONS=$(cd "$(dirname "$4")" && pwd)/$(basename "$4")
  echo "questions: $(grep -cv '^\(#\|$\)' "$KESOU_QUESTIONS") from $4 ($(grep -v '^\(#\|$\)' "$KESOU_QUESTIONS" | sort -u | wc -l) distinct)"
fi
here=$(cd "$(dirname "$0")" && pwd)
bin=${KESOU_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/kesou-target}/release/kesou}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
demo=--demo
[ -n "${KESOU_LOGIN:-}" ] && demo=
"$bin" serve --data "$store" --bind "127.0.0.1:$port" $demo > /tmp/kesou-load-serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/api/health"; echo
export KESOU_TOKEN=
if [ -n "${KESOU_LOGIN:-}" ]; then
  body=$(python3 -c 'import json,os; n,p=os.environ["KESOU_LOGIN"].split(":",1); print(json.dumps({"name":n,"password":p}))')
  KESOU_TOKEN=$(curl -sf -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$port/api/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  echo "logged in as ${KESOU_LOGIN%%:*}"
fi
# Warm up: every question once (or 3 s of them).
wrk -t1 -c1 -d3s -s "$here/ask.lua" "http://127.0.0.1:$port" >/dev/null
printf '%-28s %s\n' endpoint result
r=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$here/ask.lua" "http://127.0.0.1:$port" | grep RESULT)
printf '%-28s %s\n' "POST /api/ask" "$r"
for board in ${BOARDS:-map top20 churn funnel rfm matrix}; do
  url="http://127.0.0.1:$port/api/dashboards/$board"
  curl -sf -H "Authorization: Bearer $KESOU_TOKEN" "$url" >/dev/null || { printf '%-28s %s\n' "GET $board" "error"; continue; }
  r=$(wrk -t2 -c"$conns" -d"$((secs / 2))s" --latency -s "$here/get.lua" "$url" | grep RESULT)
  printf '%-28s %s\n' "GET /api/dashboards/$board" "$r"
done

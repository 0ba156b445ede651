#!/usr/bin/env bash
# What the observability knobs cost (docs/OPERATIONS.md, "Metrics"): the release build on a fresh
# SQLite database, one server at a time, wrk -t2 -c32 (2 s warm-up, then 10 s) on /health/live
# (the ceiling) and GET /api/v1/regions with an admin token (a verified token and a short read),
# under five configurations, two rounds:
#   A  defaults (RUST_LOG=warn: no access lines written)
#   B  CNFS_METRICS_BIND set (every request recorded)
#   C  B + CNFS_RATE_LIMIT=1000000 (every request counted against its caller; never refused here)
#   D  RUST_LOG=info (the access lines, text, to a file)
#   E  D with CNFS_LOG_FORMAT=json
#
#   cargo build --release && bash bench/observability.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/cnfs-api}
command -v wrk >/dev/null || { echo "wrk missing (apt-get install wrk)" >&2; exit 1; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export CNFS_JWT_SECRET=bench-secret-0123456789-abcdefghijklmnop CNFS_JWT_ISSUER=bench \
  CNFS_JWT_AUDIENCE=cnfs-api DATABASE_URL=$W/db.sqlite3
RUST_LOG=warn "$BIN" migrate
TOKEN=$("$BIN" token --role admin --sub bench-admin)
PORT=${PORT:-18080}
METRICS_PORT=${METRICS_PORT:-19090}
run() { # label, then the server's environment
  local label=$1; shift
  env "$@" CNFS_BIND=127.0.0.1:$PORT "$BIN" serve > "$W/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/health/ready >/dev/null && break; sleep 0.1; done
  for path in /health/live /api/v1/regions; do
    wrk -t2 -c32 -d2s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$PORT$path >/dev/null
    out=$(wrk -t2 -c32 -d10s --latency -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$PORT$path)
    printf '%-34s %-16s %10s req/s  p50 %-8s p99 %-8s non-2xx %s\n' "$label" "$path" \
      "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1=="50%" {print $2}' <<<"$out")" \
      "$(awk '$1=="99%" {print $2}' <<<"$out")" "$(awk '/Non-2xx/ {print $NF}' <<<"$out" | grep . || echo 0)"
  done
  kill $pid; wait $pid 2>/dev/null || true
}
for _ in 1 2; do
  run "A defaults (RUST_LOG=warn)"      RUST_LOG=warn
  run "B metrics on"                     RUST_LOG=warn CNFS_METRICS_BIND=127.0.0.1:$METRICS_PORT
  run "C metrics + rate limit 1e6/min"   RUST_LOG=warn CNFS_METRICS_BIND=127.0.0.1:$METRICS_PORT CNFS_RATE_LIMIT=1000000
  run "D access lines, text (info)"      RUST_LOG=info
  run "E access lines, json (info)"      RUST_LOG=info CNFS_LOG_FORMAT=json
done

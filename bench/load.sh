#!/usr/bin/env bash
# Load figures: req/s, p50 and p99 latency at 32 connections, on SQLite and PostgreSQL, for
#   /health/live (no database: the baseline), GET /api/v1/departements/93, and a commune search;
# each figure also as a ratio to /health/live measured in the same run (machines are noisy; ratios
# from one run compare better than absolute numbers from different runs).
#
#   bash bench/load.sh                 # DURATION=10 seconds per URL by default
#   DURATION=30 bash bench/load.sh
#   PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres bash bench/load.sh
#
# Builds the release binary; installs wrk from Debian's packages when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-18380}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)"
  if [[ $(id -u) -eq 0 ]]; then apt-get install -y -q wrk >/dev/null; else sudo apt-get install -y -q wrk >/dev/null; fi
fi
cargo build --release --locked --quiet
# A throw-away token secret: PostgreSQL has no development default (the benched routes are public).
export CNFS_JWT_SECRET="bench-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
BIN=./target/release/cnfs-api
work=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

URLS=(
  "/health/live"
  "/api/v1/departements/93"
  "/api/v1/communes?q=saint%20denis&limit=20"
)

# wrk prints latencies as 1.23ms / 456.00us / 1.02s: convert to ms.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }

measure() { # $1: label, $2: DATABASE_URL
  DATABASE_URL="$2" CNFS_BIND="127.0.0.1:$PORT" RUST_LOG=warn "$BIN" serve > "$work/server.log" 2>&1 &
  pid=$!
  until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
  done
  local base_rps=""
  printf '\n%s (%s s per URL, %s connections, %s wrk threads)\n' "$1" "$DURATION" "$CONNECTIONS" "$THREADS"
  printf '%-44s %10s %9s %9s %9s\n' "URL" "req/s" "p50 ms" "p99 ms" "× live"
  for url in "${URLS[@]}"; do
    # A short warm-up (connections, caches), then the measured run.
    wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "http://127.0.0.1:$PORT$url" >/dev/null
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$PORT$url" > "$work/wrk.txt"
    if grep -q "Non-2xx" "$work/wrk.txt"; then cat "$work/wrk.txt"; echo "non-2xx answers for $url" >&2; exit 1; fi
    local rps p50 p99
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$work/wrk.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt" | to_ms)
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt" | to_ms)
    [[ -z "$base_rps" ]] && base_rps=$rps
    printf '%-44s %10s %9s %9s %9.2f\n' "$url" "$rps" "$p50" "$p99" "$(awk -v a="$rps" -v b="$base_rps" 'BEGIN {print a / b}')"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

echo "machine: $(nproc) cores, $(uname -srm); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')"
measure "SQLite" "$work/bench.sqlite3"
if psql "$PG_ADMIN_URL" -qAtc 'SELECT 1' >/dev/null 2>&1; then
  db="cnfs_bench_$$"
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $db"
  measure "PostgreSQL" "${PG_ADMIN_URL%/*}/$db"
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE $db WITH (FORCE)"
else
  echo "PostgreSQL not reachable at $PG_ADMIN_URL: skipped"
fi

#!/usr/bin/env bash
# Start-up figures: time from process start to /health/ready = 200, on a fresh database (first start:
# migrations + référentiel load) and on a prepared one (restart), for SQLite and PostgreSQL.
# Prints the median of RUNS runs of each (default 5) and the load time the service logs.
#
#   bash bench/startup.sh                      # SQLite, and PostgreSQL if reachable on 127.0.0.1:5432
#   PG_ADMIN_URL=postgres://postgres@host/postgres bash bench/startup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
PORT=${PORT:-18280}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}

# The production profile (Cargo.toml), as deployed; PROFILE=release for a quicker build.
PROFILE=${PROFILE:-production}
cargo build --profile "$PROFILE" --locked --quiet
BIN="./target/$PROFILE/cnfs-api"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_ms() { date +%s%3N; }

# One start: prints "<ms to ready> <load ms or ->".
start_once() { # $1: DATABASE_URL
  local log="$work/log" started pid ms load
  started=$(now_ms)
  DATABASE_URL="$1" CNFS_BIND="127.0.0.1:$PORT" RUST_LOG=info "$BIN" serve > "$log" 2>&1 &
  pid=$!
  until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.01
  done
  ms=$(( $(now_ms) - started ))
  kill "$pid"; wait "$pid" 2>/dev/null || true
  load=$(sed -n 's/.*EPCI en \([0-9]*\) ms.*/\1/p' "$log")
  echo "$ms ${load:--}"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }

report() { # $1: label, $2: file of "ready load" lines
  printf '%-22s ready: median %5s ms (runs: %s)' "$1" "$(cut -d' ' -f1 "$2" | median)" "$(cut -d' ' -f1 "$2" | tr '\n' ' ')"
  if grep -qv ' -$' "$2"; then printf '   load: median %s ms' "$(grep -v ' -$' "$2" | cut -d' ' -f2 | median)"; fi
  echo
}

echo "machine: $(nproc) cores, $(uname -srm); $RUNS runs each"
: > "$work/first"; : > "$work/restart"
for i in $(seq 1 "$RUNS"); do
  rm -f "$work"/db.sqlite3*
  start_once "$work/db.sqlite3" >> "$work/first"
  start_once "$work/db.sqlite3" >> "$work/restart"
done
report "sqlite first start" "$work/first"
report "sqlite restart" "$work/restart"

if psql "$PG_ADMIN_URL" -qAtc 'SELECT 1' >/dev/null 2>&1; then
  : > "$work/first"; : > "$work/restart"
  base=${PG_ADMIN_URL%/*}
  for i in $(seq 1 "$RUNS"); do
    db="cnfs_bench_$$_$i"
    psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $db"
    start_once "$base/$db" >> "$work/first"
    start_once "$base/$db" >> "$work/restart"
    psql "$PG_ADMIN_URL" -qc "DROP DATABASE $db"
  done
  report "postgres first start" "$work/first"
  report "postgres restart" "$work/restart"
else
  echo "PostgreSQL not reachable at $PG_ADMIN_URL: skipped"
fi

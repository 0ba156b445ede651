#!/usr/bin/env bash
# Two binaries of the same schema, alternately, on the uncached statistics: one national
# dataset per backend (`seed --scale national`, seeded once by the first binary), then ROUNDS
# rounds of A then B, each a fresh server without caches (CNFS_CACHE_STATISTIQUES=0,
# CNFS_CACHE_LECTURES=0) measured by wrk (2 s warm-up, $DURATION s) on the national statistics
# and the 93's, at 8 and 32 connections. Prints each run's req/s, then per row the medians of
# A and B and their ratio. Alternating on one dataset keeps a noisy machine's drift out of the
# ratio better than two load.sh runs one after the other.
#
#   bash bench/ab_statistiques.sh /path/to/cnfs-api-A /path/to/cnfs-api-B
#   ROUNDS=5 DURATION=10 BACKENDS=postgres bash bench/ab_statistiques.sh A B
set -euo pipefail
A=$(realpath "$1") B=$(realpath "$2")
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
BACKENDS=${BACKENDS:-sqlite postgres}
ACTIVITES=${ACTIVITES:-1000000}
PORT=${PORT:-18382}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
command -v wrk >/dev/null 2>&1 || { echo "wrk is needed (Debian package wrk)" >&2; exit 1; }
export CNFS_JWT_SECRET="bench-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
work=$(mktemp -d)
pid="" db=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
  [[ -n "$db" ]] && psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

seed() { # $1: DATABASE_URL
  DATABASE_URL="$1" RUST_LOG=warn "$A" seed --scale national --activites "$ACTIVITES" > "$work/seed.log" 2>&1 \
    || { cat "$work/seed.log"; exit 1; }
  if [[ $1 == postgres* ]]; then psql "$1" -qX -c "VACUUM ANALYZE"; else sqlite3 "$1" "ANALYZE;"; fi
}
serve() { # $1: binary, $2: DATABASE_URL
  DATABASE_URL="$2" CNFS_BIND="127.0.0.1:$PORT" CNFS_CACHE_STATISTIQUES=0 CNFS_CACHE_LECTURES=0 \
    RUST_LOG=warn "$1" serve > "$work/server.log" 2>&1 &
  pid=$!
  until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.01
  done
}
measure() { # $1: row label, $2: connections, $3: path
  local url="http://127.0.0.1:$PORT$3"
  wrk -t2 -c"$2" -d2s "$url" > /dev/null
  wrk -t2 -c"$2" -d"${DURATION}s" "$url" > "$work/wrk.txt"
  if grep -q "Non-2xx" "$work/wrk.txt"; then cat "$work/wrk.txt"; exit 1; fi
  printf '%s\t%s\t%s\n' "$1" "$2" "$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$work/wrk.txt")" \
    | tee -a "$work/runs.tsv"
}

for backend in $BACKENDS; do
  if [[ $backend == postgres ]]; then
    db="cnfs_ab_$$"
    psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $db"
    url="${PG_ADMIN_URL%/*}/$db"
  else
    url="$work/ab.sqlite3"
  fi
  seed "$url"
  for _ in $(seq 1 "$ROUNDS"); do
    for which in A B; do
      binary=$A; [[ $which == B ]] && binary=$B
      serve "$binary" "$url"
      for connections in 8 32; do
        measure "$backend $which national" "$connections" /api/v1/statistiques
        measure "$backend $which 93" "$connections" /api/v1/statistiques/departements/93
      done
      kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    done
  done
  if [[ $backend == postgres ]]; then
    psql "$PG_ADMIN_URL" -qc "DROP DATABASE $db WITH (FORCE)"; db=""
  fi
done

echo
python3 - "$work/runs.tsv" <<'EOF'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, connections, rps = line.rstrip("\n").split("\t")
    backend, which, what = label.split(" ", 2)
    runs[(backend, what, connections, which)].append(int(rps))
print(f"{'backend':9} {'statistics':9} {'conns':>5} {'A median':>9} {'B median':>9} {'B / A':>6}")
for backend, what, connections in sorted({k[:3] for k in runs}):
    a = statistics.median(runs[(backend, what, connections, "A")])
    b = statistics.median(runs[(backend, what, connections, "B")])
    print(f"{backend:9} {what:9} {connections:>5} {a:9.0f} {b:9.0f} {b / a:6.2f}")
EOF

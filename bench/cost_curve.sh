#!/usr/bin/env bash
# How the cost of the statistics grows with the number of activities: for each
# count in $COUNTS, a fresh database seeded with `cnfs-api seed --scale national --activites N`
# (the same programme, only the activities differ), the server started without its statistics
# cache (CNFS_CACHE_STATISTIQUES=0), then one client (`wrk -t1 -c1`, 2 s warm-up, $DURATION s)
# on the national statistics and on one département's: the time of one uncached computation.
# Prints p50 and p99 per count and the ratio of the largest count's p50 to the smallest's.
#
#   bash bench/cost_curve.sh                                  # PostgreSQL, 100k, 1M, 5M
#   BACKEND=sqlite bash bench/cost_curve.sh
#   COUNTS="100000 1000000" DURATION=5 bash bench/cost_curve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-postgres}
COUNTS=${COUNTS:-100000 1000000 5000000}
DURATION=${DURATION:-10}
PORT=${PORT:-18381}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
command -v wrk >/dev/null 2>&1 || { echo "wrk is needed (Debian package wrk)" >&2; exit 1; }
# The production profile (Cargo.toml), as deployed; PROFILE=release for a quicker build.
PROFILE=${PROFILE:-production}
cargo build --profile "$PROFILE" --locked --quiet
export CNFS_JWT_SECRET="bench-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
BIN="./target/$PROFILE/cnfs-api"
work=$(mktemp -d)
pid="" db=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
  [[ -n "$db" && $BACKEND == postgres ]] && psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }

echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $BACKEND; uncached statistics, one client, ${DURATION} s each"
printf '%-10s %-42s %9s %9s %9s\n' "activités" "URL" "seed s" "p50 ms" "p99 ms"
declare -A P50
first="" last=""
for n in $COUNTS; do
  if [[ $BACKEND == postgres ]]; then
    db="cnfs_courbe_$$"
    psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
    psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $db"
    url="${PG_ADMIN_URL%/*}/$db"
  else
    rm -f "$work/courbe.sqlite3"*
    url="$work/courbe.sqlite3"
  fi
  started=$SECONDS
  DATABASE_URL="$url" RUST_LOG=warn "$BIN" seed --scale national --activites "$n" > "$work/seed.log" 2>&1 \
    || { cat "$work/seed.log"; exit 1; }
  seeded=$((SECONDS - started))
  DATABASE_URL="$url" CNFS_BIND="127.0.0.1:$PORT" CNFS_CACHE_STATISTIQUES=0 RUST_LOG=warn "$BIN" serve > "$work/server.log" 2>&1 &
  pid=$!
  until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.05
  done
  for path in /api/v1/statistiques /api/v1/statistiques/departements/93; do
    count=$(curl -fsS "http://127.0.0.1:$PORT$path" | python3 -c 'import json, sys; print(json.load(sys.stdin)["activites"]["nombre"])')
    wrk -t1 -c1 -d2s "http://127.0.0.1:$PORT$path" >/dev/null
    wrk -t1 -c1 -d"${DURATION}s" --latency "http://127.0.0.1:$PORT$path" > "$work/wrk.txt"
    p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt" | to_ms)
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt" | to_ms)
    P50["$n $path"]=$p50
    printf '%-10s %-42s %9s %9s %9s\n' "$n" "$path ($count act.)" "$seeded" "$p50" "$p99"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  if [[ $BACKEND == postgres ]]; then psql "$PG_ADMIN_URL" -qc "DROP DATABASE $db WITH (FORCE)"; db=""; fi
  [[ -z "$first" ]] && first=$n
  last=$n
done
for path in /api/v1/statistiques /api/v1/statistiques/departements/93; do
  awk -v a="${P50["$last $path"]}" -v b="${P50["$first $path"]}" -v p="$path" -v f="$first" -v l="$last" \
    'BEGIN {printf "%s: p50 at %s ÷ p50 at %s = %.2f (target ≤ 2)\n", p, l, f, a / b}'
done

#!/usr/bin/env bash
# Load figures: req/s, p50 and p99 latency at 32 connections, on SQLite and PostgreSQL, for
#   /health/live (no database: the baseline), GET /api/v1/departements/93, a commune search,
#   and, on a database seeded with $SEED_CONVENTIONS conventions (bench/seed_conventions.py: 5,000
#   by default over metropolitan France, a fifth of them in the 93), with a préfecture-93 token:
#   one convention by id (GET /api/v1/conventions/{id}) and a page of 50 filtered by département
#   (GET /api/v1/conventions?departement=93&limit=50);
# each figure also as a ratio to /health/live measured in the same run (machines are noisy; ratios
# from one run compare better than absolute numbers from different runs).
# On PostgreSQL it also runs `pgbench -S` (select-only, over TCP, on its own throw-away database,
# scale 1) with the same clients, threads and duration, and prints the one-convention read's ratio
# to it (p50/p99 of pgbench from a 2 % sample of its transactions).
#
#   bash bench/load.sh                 # DURATION=10 seconds per URL by default
#   DURATION=30 bash bench/load.sh
#   PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres bash bench/load.sh
#
# Builds the release binary; installs wrk (and the sqlite3 CLI, for the seeding) from Debian's
# packages when missing; needs python3 (the seed generator), and psql and pgbench for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-18380}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
SEED_CONVENTIONS=${SEED_CONVENTIONS:-5000}

install_missing() { # $1: command, $2: Debian package
  command -v "$1" >/dev/null 2>&1 && return
  echo "installing $2 (Debian package)"
  if [[ $(id -u) -eq 0 ]]; then apt-get install -y -q "$2" >/dev/null; else sudo apt-get install -y -q "$2" >/dev/null; fi
}
install_missing wrk wrk
install_missing sqlite3 sqlite3
command -v python3 >/dev/null 2>&1 || { echo "python3 is needed to seed the conventions" >&2; exit 1; }
cargo build --release --locked --quiet
# A throw-away token secret: PostgreSQL has no development default; the convention reads use
# tokens minted with it.
export CNFS_JWT_SECRET="bench-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
BIN=./target/release/cnfs-api
work=$(mktemp -d)
pid=""
dbs=()
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
  for db in "${dbs[@]}"; do psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

# Public URLs, measured first (the first is the baseline).
URLS=(
  "/health/live"
  "/api/v1/departements/93"
  "/api/v1/communes?q=saint%20denis&limit=20"
)

# wrk prints latencies as 1.23ms / 456.00us / 1.02s: convert to ms.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }

# Rows of a query as tab-separated text, on either backend.
sql() { # $1: DATABASE_URL, $2: query
  if [[ $1 == postgres* ]]; then psql "$1" -qAtX -F $'\t' -v ON_ERROR_STOP=1 -c "$2"; else sqlite3 -bail -tabs "$1" "$2"; fi
}

# Seeds the migrated database (the server is up and idle) with structures and conventions, in one
# transaction of plain SQL; PostgreSQL then gets the ANALYZE that autovacuum would run shortly.
seed() { # $1: DATABASE_URL
  local started=$SECONDS
  sql "$1" "SELECT c.departement, c.code_insee FROM communes c JOIN departements d ON d.code = c.departement
            WHERE c.actuelle AND d.zone = 'metro' ORDER BY 2" \
    | python3 bench/seed_conventions.py --conventions "$SEED_CONVENTIONS" > "$work/seed.sql" 2> "$work/seed.log"
  if [[ $1 == postgres* ]]; then
    psql "$1" -qX -v ON_ERROR_STOP=1 -f "$work/seed.sql" >/dev/null
    psql "$1" -qX -c "ANALYZE"
  else
    { echo "PRAGMA foreign_keys = ON;"; cat "$work/seed.sql"; } | sqlite3 -bail "$1"
  fi
  echo "$(cat "$work/seed.log") in $((SECONDS - started)) s"
}

# wrk prints latencies as 1.23ms / 456.00us / 1.02s: convert to ms.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

base_rps=""   # /health/live in the current backend's run
one_rps=""    # the one-convention read in the current backend's run

row() { # $1: label, $2: req/s, $3: p50 ms, $4: p99 ms
  printf '%-44s %10s %9s %9s %9s\n' "$1" "$2" "$3" "$4" "$(ratio "$2" "$base_rps")"
}

run_wrk() { # $1: label, $2: path, then extra wrk arguments (a header)
  local label=$1 url="http://127.0.0.1:$PORT$2"
  shift 2
  # A short warm-up (connections, caches), then the measured run.
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$@" "$url" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url" > "$work/wrk.txt"
  if grep -q "Non-2xx" "$work/wrk.txt"; then cat "$work/wrk.txt"; echo "non-2xx answers for $label" >&2; exit 1; fi
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$work/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt" | to_ms)
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt" | to_ms)
  [[ -z "$base_rps" ]] && base_rps=$rps
  [[ $label == "/api/v1/conventions/{id}" ]] && one_rps=$rps
  row "$label" "$rps" "$p50" "$p99"
}

measure() { # $1: label, $2: DATABASE_URL
  DATABASE_URL="$2" CNFS_BIND="127.0.0.1:$PORT" RUST_LOG=warn "$BIN" serve > "$work/server.log" 2>&1 &
  pid=$!
  until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
  done
  printf '\n%s: ' "$1"
  seed "$2"
  # A convention of the 93 from the middle of its list, and a préfecture-93 token.
  local id token
  id=$(sql "$2" "SELECT id FROM conventions WHERE departement = '93' ORDER BY id
                 LIMIT 1 OFFSET (SELECT count(*) / 2 FROM conventions WHERE departement = '93')")
  token=$(DATABASE_URL="$2" "$BIN" token --role prefecture --departement 93 --sub bench --ttl 3600)
  base_rps="" one_rps=""
  printf '%s (%s s per URL, %s connections, %s wrk threads)\n' "$1" "$DURATION" "$CONNECTIONS" "$THREADS"
  printf '%-44s %10s %9s %9s %9s\n' "URL" "req/s" "p50 ms" "p99 ms" "× live"
  for url in "${URLS[@]}"; do run_wrk "$url" "$url"; done
  run_wrk "/api/v1/conventions/{id}" "/api/v1/conventions/$id" -H "Authorization: Bearer $token"
  run_wrk "/api/v1/conventions?departement=93&limit=50" "/api/v1/conventions?departement=93&limit=50" \
    -H "Authorization: Bearer $token"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

# pgbench -S on its own database (scale 1: 100,000 accounts), same clients, threads and duration,
# over TCP like the server; prints its row and the one-convention read's ratio to it.
pgbench_select() { # $1: database URL (created and dropped by the caller)
  local pgbench
  pgbench=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -n 1)
  [[ -z "$pgbench" ]] && { echo "pgbench not found: skipped"; return; }
  "$pgbench" -i -s 1 -q "$1" > "$work/pgbench-init.txt" 2>&1
  "$pgbench" -S -n -c "$CONNECTIONS" -j "$THREADS" -T 2 "$1" >/dev/null 2>&1
  ( cd "$work" && "$pgbench" -S -n -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" \
      --log --sampling-rate=0.02 --log-prefix=pgbench-log "$1" > "$work/pgbench.txt" 2>&1 )
  local tps p50 p99
  tps=$(awk '/^tps = .*without initial connection time/ {printf "%.0f", $3}' "$work/pgbench.txt")
  [[ -z "$tps" ]] && { cat "$work/pgbench.txt"; echo "pgbench failed" >&2; exit 1; }
  # Log lines: client transaction latency_us script epoch epoch_us.
  cat "$work"/pgbench-log.* | awk '{print $3}' | sort -n > "$work/pgbench-lat.txt"
  rm -f "$work"/pgbench-log.*
  p50=$(awk '{v[NR]=$1} END {printf "%.2f", v[int(NR*0.50)+1]/1000}' "$work/pgbench-lat.txt")
  p99=$(awk '{v[NR]=$1} END {printf "%.2f", v[int(NR*0.99)+1]/1000}' "$work/pgbench-lat.txt")
  row "pgbench -S (tps)" "$tps" "$p50" "$p99"
  printf '%-44s %10s\n' "one convention ÷ pgbench -S" "$(ratio "$one_rps" "$tps")"
}

echo "machine: $(nproc) cores, $(uname -srm); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}')"
measure "SQLite" "$work/bench.sqlite3"
if psql "$PG_ADMIN_URL" -qAtc 'SELECT 1' >/dev/null 2>&1; then
  db="cnfs_bench_$$" pgdb="cnfs_pgbench_$$"
  dbs=("$db" "$pgdb")
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $db"
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $pgdb"
  measure "PostgreSQL" "${PG_ADMIN_URL%/*}/$db"
  pgbench_select "${PG_ADMIN_URL%/*}/$pgdb"
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE $db WITH (FORCE)"
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE $pgdb WITH (FORCE)"
  dbs=()
else
  echo "PostgreSQL not reachable at $PG_ADMIN_URL: skipped"
fi

#!/usr/bin/env bash
# The benchmark table of docs/PERFORMANCE.md, one command:
#
#   bash bench/load.sh                        # 1,000,000 activities, 10 s per measure
#   ACTIVITES=100000 DURATION=5 bash bench/load.sh   # a quicker pass
#   PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres bash bench/load.sh
#
# For SQLite, then PostgreSQL (skipped, with a message, when PG_ADMIN_URL does not answer), on a
# fresh database each:
#  1. `cnfs-api seed --scale national --activites $ACTIVITES` (every département, about 4,000
#     posts, advisors, money, activities over 2021–2024), then 5,000 more conventions, 1,000 of
#     them in the 93, from bench/seed_conventions.py (the national dataset has two or three per
#     département, too few for a page of 50);
#  2. starts the server (caches off: CNFS_CACHE_STATISTIQUES=0, CNFS_CACHE_LECTURES=0) and times its start-up
#     (process start → /health/ready answers 200, on the migrated database);
#  3. measures with wrk (-t$THREADS, 2 s warm-up then $DURATION s, --latency), at $CONNECTIONS
#     connections unless said: /health/live (the ceiling), one convention by id and a page of 50
#     conventions of the 93 (préfecture-93 token), a page of 50 posts of the 93 with their
#     history (same token; the posts list has no cache; the national dataset's 93 holds 59
#     posts), a commune search, the national and the 93's
#     statistics uncached at 8 and 32 connections, POST an activity (the employer's token), POST a
#     commitment with a fresh Idempotency-Key per request (bench/wrk/engagement.lua) on a large
#     envelope, with the share of 201s; then checks that the envelope's engaged sum equals the
#     commitments' and stays within its amount, and runs the same script on a small envelope
#     (500 commitments' worth) to check that concurrent requests never commit more than it holds;
#  4. restarts the server with its caches on (statistics 5 s, reads 8 MiB) and measures one
#     convention and the page of 50 again (the reads' cache: each request reads the conventions'
#     generation from the database, then answers what it kept) and the same statistics; then
#     POST a contract (préfecture-93 token), each request a new person on a new vacant post
#     (bench/contrats_fixtures.py, bench/wrk/contrat.lua), and checks one holder per post;
#  5. on PostgreSQL, `pgbench -S` (select-only, TCP, its own throw-away database, scale 1) with
#     the same clients, threads and duration;
# and prints, per backend, req/s, p50, p99 and the ratio to /health/live of the same run, the
# server's peak RSS (VmHWM, over both server runs), its start-up time, and the targets.
#
# Builds the production binary (PROFILE=release for the quicker release build); installs wrk
# and the sqlite3 CLI from Debian's packages when missing; needs python3, and psql and pgbench
# for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-18380}
ACTIVITES=${ACTIVITES:-1000000}
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
# The production profile (Cargo.toml), as deployed; PROFILE=release for a quicker build.
PROFILE=${PROFILE:-production}
cargo build --profile "$PROFILE" --locked --quiet
# A throw-away token secret: PostgreSQL has no development default; every token of the run is
# minted with it.
export CNFS_JWT_SECRET="bench-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
BIN="./target/$PROFILE/cnfs-api"
LUA=bench/wrk/engagement.lua
work=$(mktemp -d)
pid=""
dbs=()
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
  for db in "${dbs[@]}"; do psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

# wrk prints latencies as 1.23ms / 456.00us / 1.02s: convert to ms.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }

# Rows of a query as tab-separated text, on either backend.
sql() { # $1: DATABASE_URL, $2: query
  if [[ $1 == postgres* ]]; then psql "$1" -qAtX -F $'\t' -v ON_ERROR_STOP=1 -c "$2"; else sqlite3 -bail -tabs "$1" "$2"; fi
}

# The national dataset, then the extra conventions, in the fresh database $1.
seed() { # $1: DATABASE_URL
  local started=$SECONDS
  DATABASE_URL="$1" RUST_LOG=warn "$BIN" seed --scale national --activites "$ACTIVITES" > "$work/national.log" 2>&1 \
    || { cat "$work/national.log"; exit 1; }
  printf '  %s\n' "$(tail -n 1 "$work/national.log")"
  sql "$1" "SELECT departement, dernier FROM conventions_numeros" > "$work/numeros.tsv"
  sql "$1" "SELECT c.departement, c.code_insee FROM communes c JOIN departements d ON d.code = c.departement
            WHERE c.actuelle AND d.zone = 'metro' ORDER BY 2" \
    | python3 bench/seed_conventions.py --conventions "$SEED_CONVENTIONS" --numeros "$work/numeros.tsv" \
      > "$work/seed.sql" 2> "$work/seed.log"
  if [[ $1 == postgres* ]]; then
    psql "$1" -qX -v ON_ERROR_STOP=1 -f "$work/seed.sql" >/dev/null
    # VACUUM as autovacuum would soon after a bulk load: the visibility map lets the
    # statistics read their covering indexes alone (index-only scans).
    psql "$1" -qX -c "VACUUM ANALYZE"
  else
    { echo "PRAGMA foreign_keys = ON;"; cat "$work/seed.sql"; echo "ANALYZE;"; } | sqlite3 -bail "$1"
  fi
  printf '  then %s; %s s in all\n' "$(cat "$work/seed.log")" "$((SECONDS - started))"
}

peak_kb=0
startup_ms=""
start_server() { # $1: DATABASE_URL, $2: statistics cache seconds, $3: reads' cache MiB
  local t0 t1
  t0=$(date +%s%N)
  DATABASE_URL="$1" CNFS_BIND="127.0.0.1:$PORT" CNFS_CACHE_STATISTIQUES="$2" CNFS_CACHE_LECTURES="$3" RUST_LOG=warn \
    "$BIN" serve > "$work/server.log" 2>&1 &
  pid=$!
  until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.005
  done
  t1=$(date +%s%N)
  [[ -z "$startup_ms" ]] && startup_ms=$(( (t1 - t0) / 1000000 ))
  return 0
}
stop_server() {
  local kb
  kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  (( kb > peak_kb )) && peak_kb=$kb
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

base_rps=""   # /health/live in the current backend's run
declare -A RPS P99

row() { # $1: label, $2: connections, $3: req/s, $4: p50 ms, $5: p99 ms, $6: note
  printf '%-64s %5s %10s %9s %9s %7s  %s\n' "$1" "$2" "$3" "$4" "$5" "$(ratio "$3" "$base_rps")" "${6:-}"
}

# wrk on one URL; extra arguments go to wrk (headers, -s script). Exits on non-2xx answers
# unless the label is an engagement run (the Lua script counts those).
run_wrk() { # $1: label, $2: connections, $3: path, then wrk arguments
  local label=$1 connections=$2 url="http://127.0.0.1:$PORT$3"
  shift 3
  # wrk options, then (after `--`) the script's arguments, which wrk takes after the URL.
  local options=() script=()
  while (($#)); do
    if [[ $1 == -- ]]; then shift; script=(-- "$@"); break; fi
    options+=("$1"); shift
  done
  # SKIP_WARMUP=1: the caller warmed up itself (a script whose requests must not repeat).
  [[ ${SKIP_WARMUP:-} == 1 ]] || wrk -t"$THREADS" -c"$connections" -d2s "${options[@]}" "$url" "${script[@]}" >/dev/null
  wrk -t"$THREADS" -c"$connections" -d"${DURATION}s" --latency "${options[@]}" "$url" "${script[@]}" > "$work/wrk.txt"
  if grep -q "Non-2xx" "$work/wrk.txt" && [[ $label != POST*engagement* ]]; then
    cat "$work/wrk.txt"; echo "non-2xx answers for $label" >&2; exit 1
  fi
  local rps p50 p99 note=""
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$work/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt" | to_ms)
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt" | to_ms)
  [[ -z "$base_rps" ]] && base_rps=$rps
  note=$(awk '/^statuses:/ {sub(/^statuses: /, ""); print}' "$work/wrk.txt")
  RPS["$label/$connections"]=$rps
  P99["$label/$connections"]=$p99
  row "$label" "$connections" "$rps" "$p50" "$p99" "$note"
}

# POST /api/v1/enveloppes as admin; prints the new envelope's id.
enveloppe() { # $1: amount in cents, $2: label, $3: admin token
  curl -fsS -X POST "http://127.0.0.1:$PORT/api/v1/enveloppes" -H "Authorization: Bearer $3" \
    -H 'Content-Type: application/json' -d "{\"libelle\": \"$2\", \"financeur\": \"Banc d'essai\",
      \"nature\": \"mixte\", \"montant_centimes\": $1, \"date_debut\": \"2020-01-01\",
      \"date_fin\": \"2030-12-31\"}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}

# The envelope's engaged sum as it keeps it, and as its commitments add up; both ≤ its amount.
check_engaged() { # $1: DATABASE_URL, $2: envelope id, $3: label
  local line
  line=$(sql "$1" "SELECT e.montant_centimes, e.engage_centimes,
                          (SELECT COALESCE(SUM(g.montant_centimes), 0) FROM engagements g
                            WHERE g.enveloppe_id = e.id AND g.statut = 'actif'),
                          (SELECT COUNT(*) FROM engagements g WHERE g.enveloppe_id = e.id)
                   FROM enveloppes e WHERE e.id = '$2'")
  local amount engaged summed count
  IFS=$'\t' read -r amount engaged summed count <<< "$line"
  if [[ $engaged != "$summed" ]] || (( summed > amount )); then
    echo "OVER-COMMIT or drift on $3: amount $amount, engaged $engaged, commitments $summed" >&2; exit 1
  fi
  printf '  %s: %s commitments, %s cents engaged of %s: sums agree, none over the amount\n' \
    "$3" "$count" "$summed" "$amount"
}

# POST /api/v1/contrats as the 93's préfecture, each request binding a new person to a new
# vacant post (bench/contrats_fixtures.py writes them into a convention in execution of the 93,
# after every read above was measured, so that they count none of them); warmed up on pairs of
# its own; then checks that every post holds one person and no person two contracts.
contracts() { # $1: DATABASE_URL, $2: préfecture-93 token
  local convention host pairs=$(( 3000 * (DURATION + 4) ))
  IFS=$'\t' read -r convention host <<< "$(sql "$1" "SELECT c.id, r.structure_id FROM conventions c
      JOIN conventions_repartition r ON r.convention_id = c.id
      WHERE c.departement = '93' AND c.statut = 'en_execution' ORDER BY c.id, r.structure_id LIMIT 1")"
  python3 bench/contrats_fixtures.py --pairs "$pairs" --convention "$convention" --structure "$host" \
    --departement 93 --pairs-file "$work/pairs.tsv" > "$work/contrats.sql"
  if [[ $1 == postgres* ]]; then
    psql "$1" -qX -v ON_ERROR_STOP=1 -f "$work/contrats.sql" >/dev/null; psql "$1" -qX -c "ANALYZE" >/dev/null
  else
    sqlite3 -bail "$1" < "$work/contrats.sql"
  fi
  head -n $(( pairs / 4 )) "$work/pairs.tsv" > "$work/warm.tsv"
  tail -n +$(( pairs / 4 + 1 )) "$work/pairs.tsv" > "$work/measured.tsv"
  local url="http://127.0.0.1:$PORT/api/v1/contrats" auth
  auth=$(printf 'Bearer %s' "$2")
  WRK_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s bench/wrk/contrat.lua "$url" \
    -- "$auth" "$work/warm.tsv" 2024-06-03 > "$work/warm.txt"
  grep -q "statuses: 201=[0-9]* (100.0 %)" "$work/warm.txt" || { cat "$work/warm.txt"; echo "contracts refused in the warm-up" >&2; exit 1; }
  WRK_THREADS=$THREADS SKIP_WARMUP=1 run_wrk "POST /api/v1/contrats" "$CONNECTIONS" "/api/v1/contrats" \
    -s bench/wrk/contrat.lua -- "$auth" "$work/measured.tsv" 2024-06-03
  local doubles
  doubles=$(sql "$1" "SELECT (SELECT COUNT(*) FROM (SELECT conseiller_id FROM postes WHERE conseiller_id IS NOT NULL
                        GROUP BY conseiller_id HAVING COUNT(*) > 1) AS a)
                    + (SELECT COUNT(*) FROM (SELECT conseiller_id FROM contrats WHERE date_debut = '2024-06-03'
                        GROUP BY conseiller_id HAVING COUNT(*) > 1) AS b)")
  [[ $doubles == 0 ]] || { echo "a person holds two posts or two new contracts" >&2; exit 1; }
  printf '  contracts: %s created, each post one person, no person two\n' \
    "$(sql "$1" "SELECT COUNT(*) FROM contrats WHERE date_debut = '2024-06-03'")"
}

measure() { # $1: label, $2: DATABASE_URL
  local db=$2
  printf '\n%s\n' "$1"
  seed "$db"
  startup_ms=""; peak_kb=0; base_rps=""
  start_server "$db" 0 0
  local convention token admin advisor structure lieu jour signed beneficiaire employer
  convention=$(sql "$db" "SELECT id FROM conventions WHERE departement = '93' ORDER BY id
                          LIMIT 1 OFFSET (SELECT count(*) / 2 FROM conventions WHERE departement = '93')")
  token=$(DATABASE_URL="$db" "$BIN" token --role prefecture --departement 93 --sub bench --ttl 3600)
  admin=$(DATABASE_URL="$db" "$BIN" token --role admin --sub bench --ttl 3600)
  # An advisor in post (of the 93 when there is one: under contract, no end to its contracts),
  # its employer and lieu, its first day there (the seed records it; else its recruitment).
  IFS=$'\t' read -r advisor structure lieu jour <<< "$(sql "$db" "SELECT id, structure_id, lieu_id,
      COALESCE(date_prise_poste, date_recrutement) FROM conseillers
      WHERE convention_id IS NOT NULL AND fin_contrats IS NULL AND lieu_id IS NOT NULL
      ORDER BY departement <> '93', id LIMIT 1")"
  employer=$(DATABASE_URL="$db" "$BIN" token --role structure --structure "$structure" --sub bench --ttl 3600)
  # A signed convention, not finished, of the 93, and one of its employers (the commitments'
  # target and beneficiary: a host of its split, or a signatory before one).
  IFS=$'\t' read -r signed beneficiaire <<< "$(sql "$db" "SELECT c.id, COALESCE(
      (SELECT r.structure_id FROM conventions_repartition r WHERE r.convention_id = c.id
        ORDER BY r.structure_id LIMIT 1),
      (SELECT s.structure_id FROM conventions_signataires s WHERE s.convention_id = c.id
        ORDER BY s.structure_id LIMIT 1))
    FROM conventions c WHERE c.departement = '93'
      AND c.statut IN ('signee', 'projet_depose', 'en_execution') ORDER BY c.id LIMIT 1")"

  printf '  server start-up: %s ms (migrated database)\n' "$startup_ms"
  printf '%-64s %5s %10s %9s %9s %7s\n' "endpoint" "conns" "req/s" "p50 ms" "p99 ms" "× live"
  run_wrk "GET /health/live" "$CONNECTIONS" "/health/live"
  run_wrk "GET /api/v1/conventions/{id} (uncached)" "$CONNECTIONS" "/api/v1/conventions/$convention" \
    -H "Authorization: Bearer $token"
  run_wrk "GET /api/v1/conventions?departement=93&limit=50 (uncached)" "$CONNECTIONS" \
    "/api/v1/conventions?departement=93&limit=50" -H "Authorization: Bearer $token"
  run_wrk "GET /api/v1/postes?departement=93&limit=50 (uncached)" "$CONNECTIONS" \
    "/api/v1/postes?departement=93&limit=50" -H "Authorization: Bearer $token"
  run_wrk "GET /api/v1/communes?q=saint denis&limit=20" "$CONNECTIONS" "/api/v1/communes?q=saint%20denis&limit=20"
  for connections in 8 32; do
    run_wrk "GET /api/v1/statistiques (uncached)" "$connections" "/api/v1/statistiques"
    run_wrk "GET /api/v1/statistiques/departements/93 (uncached)" "$connections" "/api/v1/statistiques/departements/93"
  done

  # POST an activity: the same valid body each time (activities may repeat).
  local activite
  activite="{\"conseiller_id\": \"$advisor\", \"lieu_id\": \"$lieu\", \"date\": \"$jour\",
    \"type\": \"atelier_collectif\", \"duree_minutes\": 90, \"nb_participants\": 6,
    \"thematiques\": [\"demarches_en_ligne\", \"courriels\"]}"
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:$PORT/api/v1/activites" -H "Authorization: Bearer $employer" \
    -H 'Content-Type: application/json' -d "$activite" || { echo "the activity body is refused" >&2; exit 1; }
  run_wrk "POST /api/v1/activites" "$CONNECTIONS" "/api/v1/activites" -s "$LUA" -- \
    "$(printf 'Bearer %s' "$employer")" "$activite"

  # POST commitments on a large envelope (room for all), each with its own Idempotency-Key.
  local large small body
  large=$(enveloppe 1000000000000000 "Banc d'essai — grande enveloppe" "$admin")
  body="{\"convention_id\": \"$signed\", \"beneficiaire_id\": \"$beneficiaire\", \"montant_centimes\": 100,
    \"objet\": \"Banc d'essai\"}"
  run_wrk "POST /api/v1/enveloppes/{id}/engagements" "$CONNECTIONS" "/api/v1/enveloppes/$large/engagements" \
    -s "$LUA" -- "$(printf 'Bearer %s' "$admin")" "$body" idempotent
  RPS["commitments"]=${RPS["POST /api/v1/enveloppes/{id}/engagements/$CONNECTIONS"]}
  check_engaged "$db" "$large" "large envelope"
  # A small one, 500 commitments' worth, under the same load: never more than it holds.
  small=$(enveloppe 50000 "Banc d'essai — petite enveloppe" "$admin")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s "$LUA" "http://127.0.0.1:$PORT/api/v1/enveloppes/$small/engagements" \
    -- "$(printf 'Bearer %s' "$admin")" "$body" idempotent > "$work/small.txt"
  printf '  small envelope: %s\n' "$(awk '/^statuses:/ {sub(/^statuses: /, ""); print}' "$work/small.txt")"
  check_engaged "$db" "$small" "small envelope"
  local held
  held=$(sql "$db" "SELECT engage_centimes FROM enveloppes WHERE id = '$small'")
  [[ $held == 50000 ]] || { echo "the small envelope should be exactly spent (50000), holds $held" >&2; exit 1; }
  stop_server

  # One convention and the page of 50 again, with the reads' cache (each request still reads
  # the conventions' generation from the database), and the statistics with this instance's
  # cache (5 s): each run also computes them afresh every 5 s (about two or three times in a run).
  start_server "$db" 5 8
  run_wrk "GET /api/v1/conventions/{id} (reads' cache)" "$CONNECTIONS" "/api/v1/conventions/$convention" \
    -H "Authorization: Bearer $token"
  run_wrk "GET /api/v1/conventions?departement=93&limit=50 (reads' cache)" "$CONNECTIONS" \
    "/api/v1/conventions?departement=93&limit=50" -H "Authorization: Bearer $token"
  for connections in 8 32; do
    run_wrk "GET /api/v1/statistiques (cache 5 s)" "$connections" "/api/v1/statistiques"
    run_wrk "GET /api/v1/statistiques/departements/93 (cache 5 s)" "$connections" "/api/v1/statistiques/departements/93"
  done
  contracts "$db" "$token"
  stop_server
  printf '  server peak RSS (VmHWM, both runs): %s MB\n' "$(awk -v k="$peak_kb" 'BEGIN {printf "%.1f", k / 1024}')"
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
  row "pgbench -S (tps)" "$CONNECTIONS" "$tps" "$p50" "$p99"
  PGBENCH_TPS=$tps
}

verdict() { # $1: label, $2: met (0/1), $3: figure text
  printf '  %-66s %-14s %s\n' "$1" "$3" "$([[ $2 == 1 ]] && echo met || echo MISSED)"
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a >= b)}' && echo 1 || echo 0; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a < b)}' && echo 1 || echo 0; }

targets() { # $1: backend label; uses RPS, P99, base_rps, peak_kb, PGBENCH_TPS
  local one page r variant
  printf 'targets, %s:\n' "$1"
  for variant in "reads' cache" uncached; do
    one=${RPS["GET /api/v1/conventions/{id} ($variant)/$CONNECTIONS"]}
    page=${RPS["GET /api/v1/conventions?departement=93&limit=50 ($variant)/$CONNECTIONS"]}
    if [[ $1 == SQLite ]]; then
      r=$(ratio "$one" "$base_rps"); verdict "one convention ≥ 0.25 × /health/live ($variant)" "$(ge "$r" 0.25)" "$r"
    else
      r=$(ratio "$one" "$PGBENCH_TPS"); verdict "one convention ≥ 0.60 × pgbench -S ($variant)" "$(ge "$r" 0.60)" "$r"
    fi
    r=$(ratio "$page" "$base_rps"); verdict "a page of 50 ≥ 0.10 × /health/live ($variant)" "$(ge "$r" 0.10)" "$r"
  done
  if [[ $1 != SQLite ]]; then
    verdict "commitments ≥ 1,000/s (sums checked)" "$(ge "${RPS[commitments]}" 1000)" "${RPS[commitments]}/s"
  fi
  for what in "GET /api/v1/statistiques" "GET /api/v1/statistiques/departements/93"; do
    verdict "$what p99 < 50 ms at 8, uncached" "$(lt "${P99["$what (uncached)/8"]}" 50)" "${P99["$what (uncached)/8"]} ms"
    verdict "$what p99 < 50 ms at 8, cache 5 s" "$(lt "${P99["$what (cache 5 s)/8"]}" 50)" "${P99["$what (cache 5 s)/8"]} ms"
  done
  r=$(awk -v k="$peak_kb" 'BEGIN {printf "%.1f", k / 1024}'); verdict "peak RSS < 64 MB" "$(lt "$r" 64)" "$r MB"
}

echo "$(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr);" \
  "wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}'), -t$THREADS, ${DURATION} s per measure; $ACTIVITES activities"
measure "SQLite" "$work/bench.sqlite3"
targets "SQLite"
if psql "$PG_ADMIN_URL" -qAtc 'SELECT 1' >/dev/null 2>&1; then
  db="cnfs_bench_$$" pgdb="cnfs_pgbench_$$"
  dbs=("$db" "$pgdb")
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $db"
  psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $pgdb"
  measure "PostgreSQL $(psql "$PG_ADMIN_URL" -qAtc 'SHOW server_version')" "${PG_ADMIN_URL%/*}/$db"
  pgbench_select "${PG_ADMIN_URL%/*}/$pgdb"
  targets "PostgreSQL"
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE $db WITH (FORCE)"
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE $pgdb WITH (FORCE)"
  dbs=()
else
  echo "PostgreSQL not reachable at $PG_ADMIN_URL: skipped"
fi

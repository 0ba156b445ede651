#!/usr/bin/env python3
"""`kill -9` under a write load: acknowledged writes are found, retries are idempotent, and the
money and the activity aggregates still add up.

    python3 bench/kill_writes.py --binary target/release/cnfs-api              # both backends, 3 runs
    python3 bench/kill_writes.py --backend sqlite --runs 1 --clients 4

Each run, on a fresh database (SQLite file, or a PostgreSQL database created and dropped on the
server --pg-admin-url names):

1. loads the demonstration story (`seed --demo`), starts the server, creates an envelope of
   --envelope-commitments commitments' worth (so that the load reaches its limit: the last
   commitments are refused, 409 `enveloppe_insuffisante`);
2. --clients threads write as fast as they can, each request with its own `Idempotency-Key`:
   commitments of 100 € on that envelope (admin), payments of 25 € on the commitments acknowledged
   so far (a fifth commitment's payment is refused, 409 `versement_excessif`), activities of the
   employer's advisors (various days, durations, participants and themes). A 2xx is an
   acknowledged write; a 503 or a 409 `requete_en_cours` is retried at once with the same key;
3. after a random 2 to 6 s, SIGKILL: the requests in flight get no answer;
4. restarts the server on the same database (seconds from the kill to `/health/ready` = 200), then
   retries every write that got no answer with its key and body until it is answered, and replays
   up to 50 acknowledged ones (the same status and id must come back);
5. checks, in SQL: every acknowledged write is in the database; the rows the run created are
   exactly the writes answered 2xx, one row per key (none applied twice, none applied without an
   answer); the money and aggregate invariants (faultlib.invariants) hold, and SQLite's
   integrity check.

Prints one line per run and a summary; exits 1 if any check fails. Needs python3, sqlite3, and
psql for PostgreSQL.
"""

import argparse
import os
import random
import threading
import time

import faultlib
from faultlib import Client, Database, NoAnswer, Server, log

COMMITMENT_CENTS = 10_000
PAYMENT_CENTS = 2_500
RETRY_STATUSES = {503}


class Op:
    """One write: its request and, once answered, its outcome."""

    def __init__(self, kind, path, token, body):
        self.kind, self.path, self.token, self.body = kind, path, token, body
        self.key = faultlib.new_key()
        self.status = None   # the last HTTP status; None: no answer
        self.code = None     # the problem's code of a refusal
        self.id = None       # the created row's id of a 2xx


def send(client, op):
    """Sends `op` until it gets a definitive answer (retrying 503 and 409 `requete_en_cours`
    with the same key); raises NoAnswer."""
    while True:
        status, body, _ = client.request("POST", op.path, op.token, op.body, op.key)
        op.status = status
        busy = status == 409 and (body or {}).get("code") == "requete_en_cours"
        if status in RETRY_STATUSES or busy:
            time.sleep(0.05)
            continue
        if 200 <= status < 300:
            op.id = body["id"]
        else:
            op.code = (body or {}).get("code")
        return


class Load:
    """The write load of one run."""

    def __init__(self, port, fixture, envelope, seed):
        self.port = port
        self.fixture = fixture
        self.envelope = envelope
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.ops = []
        self.commitments = []      # ids of acknowledged commitments, for payments
        self.stop = threading.Event()
        self.today = time.strftime("%Y-%m-%d")

    def next_op(self):
        with self.lock:
            choice = self.random.random()
            if choice < 0.2 and self.commitments:
                engagement = self.random.choice(self.commitments)
                return Op("versement", f"/api/v1/engagements/{engagement}/versements",
                          self.fixture["admin"],
                          {"montant_centimes": PAYMENT_CENTS, "date_versement": self.today,
                           "reference": f"KILL9-{self.random.randrange(10**9)}"})
            if choice < 0.6:
                return Op("engagement", f"/api/v1/enveloppes/{self.envelope}/engagements",
                          self.fixture["admin"],
                          {"convention_id": self.fixture["convention"],
                           "beneficiaire_id": self.fixture["beneficiaire"],
                           "montant_centimes": COMMITMENT_CENTS, "objet": "kill -9 under load"})
            advisor, lieu, first, last = self.random.choice(self.fixture["advisors"])
            day = activity_day(self.random, first, last or self.today)
            individual = self.random.random() < 0.5
            themes = self.random.sample(faultlib.THEMES, self.random.randint(1, 3))
            return Op("activite", "/api/v1/activites", self.fixture["employer"],
                      {"conseiller_id": advisor, "lieu_id": lieu, "date": day,
                       "type": "accompagnement_individuel" if individual else "atelier_collectif",
                       "duree_minutes": self.random.randint(15, 180),
                       "nb_participants": 1 if individual else self.random.randint(2, 12),
                       "thematiques": themes})

    def client(self):
        client = Client(self.port)
        while not self.stop.is_set():
            op = self.next_op()
            with self.lock:
                self.ops.append(op)
            try:
                send(client, op)
            except NoAnswer:
                return  # the server is gone: this write stays unanswered
            if op.kind == "engagement" and op.id:
                with self.lock:
                    self.commitments.append(op.id)


def activity_day(rng, first, last):
    """A day between `first` and `last` (ISO dates), within 60 days of `first`: a handful of
    days and months, so that the aggregates get several writes each."""
    start = time.mktime(time.strptime(first, "%Y-%m-%d"))
    end = min(time.mktime(time.strptime(last, "%Y-%m-%d")), start + 60 * 86400)
    return time.strftime("%Y-%m-%d", time.localtime(start + rng.random() * (end - start) + 43200))


TABLES = {"engagement": "engagements", "versement": "versements", "activite": "activites"}


def ids(db):
    return {kind: {row[0] for row in db.sql(f"SELECT id FROM {table}")}
            for kind, table in TABLES.items()}


def one_run(args, backend, number):
    rng = random.Random(args.seed * 100 + number)
    db = Database(backend, args.pg_admin_url, f"h29_faults_kill_{os.getpid()}_{number}")
    secret = "faults-" + os.urandom(16).hex()
    server = Server(args.binary, db.url, args.port, secret, db.folder)
    failures = []
    try:
        fixture = faultlib.demo_fixture(server, db)
        server.start()
        client = Client(args.port)
        status, envelope, _ = client.request(
            "POST", "/api/v1/enveloppes", fixture["admin"],
            {"libelle": "kill -9", "financeur": "Banc d'essai", "nature": "mixte",
             "montant_centimes": args.envelope_commitments * COMMITMENT_CENTS,
             "date_debut": "2020-01-01", "date_fin": "2030-12-31"}, faultlib.new_key())
        assert status == 201, (status, envelope)
        before = ids(db)

        load = Load(args.port, fixture, envelope["id"], rng.randrange(10**9))
        threads = [threading.Thread(target=load.client) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(args.kill_after[0], args.kill_after[1]))
        killed_at = time.monotonic()
        server.kill()
        exit_status = server.wait()
        load.stop.set()
        for thread in threads:
            thread.join()
        acknowledged = [op for op in load.ops if op.id]
        refused = [op for op in load.ops if op.status is not None and not op.id]
        unanswered = [op for op in load.ops if op.status is None]
        unexpected = [op for op in refused if op.code not in
                      ("enveloppe_insuffisante", "versement_excessif")]
        if unexpected:
            failures.append(f"unexpected refusals: {[(o.status, o.code) for o in unexpected][:5]}")

        committed = ids(db)   # what the database holds after the kill, before any retry
        server.start()
        ready_after = time.monotonic() - killed_at
        client = Client(args.port)   # the old connection died with the server

        # Retry every write that got no answer, with its key and body.
        replayed_in_flight = applied_on_retry = refused_on_retry = 0
        for op in unanswered:
            send(client, op)
            if op.id and op.id in committed[op.kind] - before[op.kind]:
                replayed_in_flight += 1
            elif op.id:
                applied_on_retry += 1
            else:
                refused_on_retry += 1
                if op.code not in ("enveloppe_insuffisante", "versement_excessif"):
                    failures.append(f"retry refused: {op.status} {op.code}")
        # Replay acknowledged writes: the same answer, nothing new.
        sample = rng.sample(acknowledged, min(50, len(acknowledged)))
        replay_mismatches = 0
        for op in sample:
            first_id, first_status = op.id, op.status
            send(client, op)
            if (op.status, op.id) != (first_status, first_id):
                replay_mismatches += 1
        if replay_mismatches:
            failures.append(f"{replay_mismatches} replays answered differently")

        after = ids(db)
        missing = duplicated = 0
        for kind in TABLES:
            created = after[kind] - before[kind]
            answered_2xx = {op.id for op in load.ops if op.kind == kind and op.id}
            # Rows no 2xx names: a write applied twice, or applied without ever being answered.
            duplicated += len(created - answered_2xx)
            missing += len(answered_2xx - created)
        if missing:
            failures.append(f"{missing} acknowledged writes not found")
        if duplicated:
            failures.append(f"{duplicated} rows no acknowledged write accounts for")
        broken = faultlib.broken_invariants(db)
        if broken:
            failures.append(f"broken invariants: {broken}")
        engaged = int(db.scalar(f"SELECT engage_centimes FROM enveloppes "
                                f"WHERE id = '{envelope['id']}'"))
        commitments = sum(1 for op in load.ops if op.kind == "engagement" and op.id)
        if engaged != commitments * COMMITMENT_CENTS:
            failures.append(f"envelope engaged {engaged} for {commitments} commitments")
        server.stop()
        result = {
            "backend": backend, "run": number, "writes": len(load.ops),
            "acknowledged": len(acknowledged), "refused": len(refused),
            "unanswered": len(unanswered), "in_flight_committed": replayed_in_flight,
            "applied_on_retry": applied_on_retry, "refused_on_retry": refused_on_retry,
            "found": len(acknowledged) - sum(1 for op in acknowledged
                                             if op.id not in after[op.kind]),
            "duplicated": duplicated, "broken": sum(1 for _ in broken),
            "replays": len(sample), "replay_mismatches": replay_mismatches,
            "exit": exit_status, "ready_after": ready_after,
            "by_kind": {kind: sum(1 for op in acknowledged if op.kind == kind) for kind in TABLES},
            "envelope_full": any(op.code == "enveloppe_insuffisante" for op in load.ops),
            "failures": failures,
        }
        return result
    finally:
        server.stop()
        if not failures or not args.keep_failed:
            db.drop()
        else:
            log(f"kept for inspection: {db.url}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/release/cnfs-api")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--kill-after", type=float, nargs=2, default=[2.0, 6.0],
                        metavar=("MIN", "MAX"), help="seconds of load before the kill")
    parser.add_argument("--envelope-commitments", type=int, default=1000)
    parser.add_argument("--port", type=int, default=18501)
    parser.add_argument("--seed", type=int, default=29)
    parser.add_argument("--pg-admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep-failed", action="store_true",
                        help="keep the database of a failed run")
    args = parser.parse_args()

    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if "postgres" in backends and not faultlib.pg_reachable(args.pg_admin_url):
        if args.backend == "postgres":
            raise SystemExit(f"PostgreSQL not reachable at {args.pg_admin_url}")
        log(f"PostgreSQL not reachable at {args.pg_admin_url}: skipped")
        backends.remove("postgres")
    results = []
    for backend in backends:
        for number in range(1, args.runs + 1):
            log(f"{backend}, run {number}…")
            r = one_run(args, backend, number)
            results.append(r)
            kinds = ", ".join(f"{n} {k}" for k, n in r["by_kind"].items())
            print(f"{backend} run {r['run']}: {r['writes']} writes sent, {r['acknowledged']} "
                  f"acknowledged ({kinds}), {r['refused']} refused (limits), "
                  f"{r['unanswered']} unanswered at the kill "
                  f"({r['in_flight_committed']} had committed: replayed on retry; "
                  f"{r['applied_on_retry']} applied on retry; {r['refused_on_retry']} refused on "
                  f"retry); found {r['found']}/{r['acknowledged']}, rows unaccounted for "
                  f"{r['duplicated']}, invariants broken {r['broken']}, replays "
                  f"{r['replays'] - r['replay_mismatches']}/{r['replays']} identical; "
                  f"exit {r['exit']}; ready {r['ready_after']:.2f} s after the kill; "
                  f"envelope reached its limit: {'yes' if r['envelope_full'] else 'no'}"
                  + (f"; FAILED: {r['failures']}" if r["failures"] else ""), flush=True)
    failed = [r for r in results if r["failures"]]
    print(f"{len(results)} runs, {len(failed)} failed; acknowledged "
          f"{sum(r['acknowledged'] for r in results)}, found "
          f"{sum(r['found'] for r in results)}, unanswered at the kill "
          f"{sum(r['unanswered'] for r in results)}, rows unaccounted for "
          f"{sum(r['duplicated'] for r in results)}, invariants broken "
          f"{sum(r['broken'] for r in results)}")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A rolling restart of two instances on one PostgreSQL under load, with zero failed requests:
clients retry a request on the other instance when its connection is refused, and only then.

    python3 bench/rolling_restart.py --binary target/release/cnfs-api
    python3 bench/rolling_restart.py --rounds 3 --clients 8

On a throw-away PostgreSQL database (created and dropped on the server --pg-admin-url names;
the demonstration story loaded), two instances A and B serve the same data. --clients threads
send, each on a new connection (so that a refused connection, which never reached a server, is
told apart from a request that did), to A and B in turn: reads of a convention and of the 93's
statistics, and activity declarations with an `Idempotency-Key`. A request whose connection is
refused is sent to the other instance; any other outcome that is not a 2xx (an error status, a
connection reset or closed after the request was sent, a timeout) is a failed request.

For each of --rounds: 5 s of load; SIGTERM to A; once it has exited, start it again and put it
back in rotation when `/health/ready` answers 200 (what a load balancer does; it stays in rotation
from the SIGTERM until its connections are refused, the harsh case); 5 s; the same for B.

Reports the requests answered, those retried after a refusal, the failed ones (must be 0), the
longest request, the instances' exit statuses (must be 0) and seconds from SIGTERM to exit and
from start to ready, that their logs hold no ERROR line, and checks that the activities created are exactly those answered 201 and the invariants hold.
"""

import argparse
import os
import signal
import threading
import time

import faultlib
from faultlib import Client, Database, NoAnswer, Server, log

STEADY = 5.0


class Balancer:
    """The instances in rotation; an instance leaves it when its connection is refused (the
    client then tries the next) and comes back when put back."""

    def __init__(self, ports):
        self.lock = threading.Lock()
        self.ports = list(ports)
        self.in_rotation = set(ports)
        self.turn = 0

    def order(self):
        """The ports to try for one request: the next one in turn first, then the others."""
        with self.lock:
            self.turn += 1
            ports = [p for p in self.ports if p in self.in_rotation] or list(self.ports)
            first = self.turn % len(ports)
            return ports[first:] + ports[:first] + [p for p in self.ports if p not in ports]

    def refused(self, port):
        with self.lock:
            self.in_rotation.discard(port)

    def back(self, port):
        with self.lock:
            self.in_rotation.add(port)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.answered = 0
        self.retried = 0
        self.failed = []
        self.written = set()
        self.longest = 0.0

    def note(self, **fields):
        with self.lock:
            for name, value in fields.items():
                setattr(self, name, getattr(self, name) + value)


def client_loop(balancer, fixture, stats, stop, number):
    advisor, lieu, first, _ = fixture["advisors"][number % len(fixture["advisors"])]
    i = number
    while not stop.is_set():
        i += 1
        if i % 3 == 0:
            request = ("POST", "/api/v1/activites", fixture["employer"],
                       {"conseiller_id": advisor, "lieu_id": lieu, "date": first,
                        "type": "atelier_collectif", "duree_minutes": 45, "nb_participants": 4,
                        "thematiques": ["sante"]}, faultlib.new_key())
        elif i % 3 == 1:
            request = ("GET", f"/api/v1/conventions/{fixture['convention']}", fixture["admin"],
                       None, None)
        else:
            request = ("GET", "/api/v1/statistiques/departements/93", None, None, None)
        outcome = None
        started = time.monotonic()
        for port in balancer.order():
            try:
                status, body, _ = Client(port, timeout=60, keep_alive=False).request(*request)
                outcome = (status, body)
                break
            except NoAnswer as error:
                if error.refused:
                    balancer.refused(port)
                    stats.note(retried=1)
                    continue
                outcome = (None, str(error))
                break
        if outcome is None:
            stats.failed.append(f"{request[0]} {request[1]}: refused by every instance")
        elif outcome[0] is None or not 200 <= outcome[0] < 300:
            stats.failed.append(f"{request[0]} {request[1]}: {outcome[0]} {outcome[1]}"[:300])
        else:
            stats.note(answered=1)
            with stats.lock:
                stats.longest = max(stats.longest, time.monotonic() - started)
            if request[0] == "POST":
                with stats.lock:
                    stats.written.add(outcome[1]["id"])
        time.sleep(0.005)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/release/cnfs-api")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--port", type=int, default=18521, help="A's; B's is the next one")
    parser.add_argument("--pg-admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    if not faultlib.pg_reachable(args.pg_admin_url):
        raise SystemExit(f"PostgreSQL not reachable at {args.pg_admin_url}")

    db = Database("postgres", args.pg_admin_url, f"h29_faults_rolling_{os.getpid()}")
    secret = "faults-" + os.urandom(16).hex()
    ports = [args.port, args.port + 1]
    servers = {port: Server(args.binary, db.url, port, secret, db.folder,
                            name=f"instance-{port}") for port in ports}
    stop = threading.Event()
    threads = []
    try:
        fixture = faultlib.demo_fixture(servers[ports[0]], db)
        for server in servers.values():
            server.start()
        before = {row[0] for row in db.sql("SELECT id FROM activites")}
        balancer = Balancer(ports)
        stats = Stats()
        threads = [threading.Thread(target=client_loop, args=(balancer, fixture, stats, stop, n))
                   for n in range(args.clients)]
        for thread in threads:
            thread.start()
        restarts = []
        for round_number in range(1, args.rounds + 1):
            for port, name in zip(ports, "AB"):
                time.sleep(STEADY)
                server = servers[port]
                signalled = time.monotonic()
                server.kill(signal.SIGTERM)
                status = server.wait(timeout=60)
                exited = time.monotonic() - signalled
                ready = server.start()
                balancer.back(port)
                restarts.append((round_number, name, status, exited, ready))
                log(f"round {round_number}, {name}: exit {status} {exited:.2f} s after SIGTERM, "
                    f"ready {ready:.2f} s after start; so far {stats.answered} answered, "
                    f"{stats.retried} retried after a refusal, {len(stats.failed)} failed")
        time.sleep(STEADY)
        stop.set()
        for thread in threads:
            thread.join()

        created = {row[0] for row in db.sql("SELECT id FROM activites")} - before
        failures = list(stats.failed)
        if created != stats.written:
            failures.append(f"activities created {len(created)}, answered 201 "
                            f"{len(stats.written)}")
        broken = faultlib.broken_invariants(db)
        if broken:
            failures.append(f"broken invariants: {broken}")
        errors = [line.strip() for server in servers.values()
                  for line in open(server.log_path) if " ERROR " in line]
        if errors:
            failures.append(f"{len(errors)} ERROR lines in the instances' logs: {errors[:3]}")
        bad_exits = [r for r in restarts if r[2] != 0]
        if bad_exits:
            failures.append(f"instances that did not exit 0: {bad_exits}")
        print(f"{args.rounds} rounds ({2 * args.rounds} restarts), {args.clients} clients: "
              f"{stats.answered} requests answered 2xx ({len(stats.written)} activities "
              f"written, all found, invariants broken {len(broken)}), {stats.retried} retried "
              f"on the other instance after a refused connection, {len(stats.failed)} failed; "
              f"longest request {stats.longest:.2f} s; "
              f"exit statuses {sorted({r[2] for r in restarts})}, SIGTERM to exit "
              f"{min(r[3] for r in restarts):.2f}–{max(r[3] for r in restarts):.2f} s, "
              f"start to ready {min(r[4] for r in restarts):.2f}–"
              f"{max(r[4] for r in restarts):.2f} s")
        for failure in failures[:20]:
            print(f"  FAILED: {failure}")
        raise SystemExit(1 if failures else 0)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for server in servers.values():
            server.stop()
        db.drop()


if __name__ == "__main__":
    main()

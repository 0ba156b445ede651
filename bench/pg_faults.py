#!/usr/bin/env python3
"""PostgreSQL refusing, frozen or cut off under load: what clients get during the fault, and how
many seconds after it the instance serves again, without a restart.

    python3 bench/pg_faults.py --binary target/release/cnfs-api                 # 3 runs of each
    python3 bench/pg_faults.py --faults freeze --runs 1 --duration 20

The server reaches PostgreSQL through a TCP proxy that this script runs as a child process (the
shared cluster itself is never stopped), with its default timeouts (CNFS_DB_*). Each run starts
the server on the script's own database (the demonstration story, loaded once), lets --clients
threads read a convention and declare activities (each with an `Idempotency-Key`) for 5 s, then
the fault for --duration seconds (15), then --after seconds (45) more; probes on new connections
every 0.25 s (`/health/live`, `/health/ready`, a read of the convention) show the instance's
state even while the clients wait:

- `refuse`: PostgreSQL down: the proxy resets every open connection and stops listening (new
  connections are refused), then listens again;
- `freeze`: a peer that holds its connections and never answers: the proxy gets SIGSTOP (the
  kernel still accepts connections and buffers what is sent), then SIGCONT;
- `partition`: packets vanish: the proxy reads and drops everything on the open connections and
  on those opened during the fault, which stay dead after it; connections opened after it pass.
  At the TCP level the proxy still acknowledges what it receives, so TCP's timers cannot see
  the fault, only the server's statement watchdog (the black hole of tests/suite/partition.rs).

Reports per run: the statuses of the requests started during the fault, answered in it or after
its end (and the longest wait), what `/health/live` and `/health/ready` answered, the seconds
from the fault's end to the first 2xx of a request started after it, and to the last non-2xx
of those. Then every write not answered 201 is sent again with its key and body (as a client
would), and the script checks that the activities created are exactly the writes, one row
each, and that the invariants hold; it counts the writes that had committed though their answer
was a 503. Exits 1 if a check fails, if a status other than 2xx or 503 was answered during the
fault, or if a request still failed in the second half of --after.
"""

import argparse
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import faultlib
from faultlib import Client, Database, NoAnswer, Server, log

BEFORE = 5.0


# The proxy: `pg_faults.py proxy LISTEN_PORT TARGET_PORT`, commands on stdin (`pass`, `refuse`,
# `partition`), one line each, answered `ok` on stdout once applied (and once listening).
def proxy(listen_port, target_port):
    mode = {"value": "pass"}
    lock = threading.Lock()
    connections = []   # [client socket, server socket, dead flag (a list of one bool)]

    def listener():
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", listen_port))
        s.listen(128)
        s.settimeout(0.2)   # the accept loop sees a closed listener within that
        return s

    state = {"listener": listener()}

    def reset(c):
        # SO_LINGER 0: the close resets the connection. The shutdown wakes the pump blocked in
        # recv() on it, without which the close would wait for that call to return (the kernel
        # keeps the socket until then).
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        try:
            c.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        c.close()

    def pump(source, sink, dead):
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if dead[0]:
                continue   # partitioned: what arrives is dropped
            try:
                sink.sendall(data)
            except OSError:
                break
        if not dead[0]:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def accept_loop():
        while True:
            s = state["listener"]
            if s is None:
                time.sleep(0.01)
                continue
            try:
                client, _ = s.accept()
            except OSError:
                continue   # none yet, or the listener was closed (refuse)
            client.settimeout(None)
            dead = [mode["value"] == "partition"]
            try:
                server = socket.create_connection(("127.0.0.1", target_port))
            except OSError:
                client.close()
                continue
            with lock:
                if state["listener"] is not s:
                    # Accepted just before a refusal, which must not leave it open.
                    reset(client)
                    reset(server)
                    continue
                connections.append((client, server, dead))
            threading.Thread(target=pump, args=(client, server, dead), daemon=True).start()
            threading.Thread(target=pump, args=(server, client, dead), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    print("ok", flush=True)   # listening
    for line in sys.stdin:
        command = line.strip()
        with lock:
            if command == "refuse":
                s, state["listener"] = state["listener"], None
                try:
                    s.shutdown(socket.SHUT_RDWR)   # stops listening at once, even mid-accept
                except OSError:
                    pass
                s.close()
                for client, server, _ in connections:
                    reset(client)
                    reset(server)
                connections.clear()
            elif command == "partition":
                for _, _, dead in connections:
                    dead[0] = True
            elif command == "pass" and state["listener"] is None:
                state["listener"] = listener()
            mode["value"] = command
        print("ok", flush=True)


class Proxy:
    def __init__(self, listen_port, target_port):
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "proxy", str(listen_port),
             str(target_port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ok", "the proxy did not start"

    def command(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "ok"

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()


class Recorder:
    """Requests as (kind, start, end, status or None), and the writes with their key and body."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.writes = []   # [key, body, status, id]

    def add(self, kind, start, status):
        with self.lock:
            self.requests.append((kind, start, time.monotonic(), status))


def load(port, fixture, recorder, stop, number):
    """One client: reads a convention and declares an activity in turn, on a kept-alive
    connection, until `stop`."""
    client = Client(port, timeout=90)
    advisor, lieu, first, _ = fixture["advisors"][number % len(fixture["advisors"])]
    i = 0
    while not stop.is_set():
        i += 1
        start = time.monotonic()
        kind = "read" if i % 2 else "write"
        try:
            if kind == "read":
                status, _, _ = client.request("GET", f"/api/v1/conventions/{fixture['convention']}",
                                              fixture["admin"])
            else:
                write = [faultlib.new_key(),
                         {"conseiller_id": advisor, "lieu_id": lieu, "date": first,
                          "type": "atelier_collectif", "duree_minutes": 60, "nb_participants": 5,
                          "thematiques": ["courriels"]}, None, None]
                with recorder.lock:
                    recorder.writes.append(write)
                status, body, _ = client.request("POST", "/api/v1/activites", fixture["employer"],
                                                 write[1], write[0])
                write[2] = status
                if status == 201:
                    write[3] = body["id"]
        except NoAnswer:
            status = None
            time.sleep(0.05)
        recorder.add(kind, start, status)
        time.sleep(0.02)   # a steady flow, not a benchmark


def probes(port, fixture, recorder, stop):
    """Every 0.25 s, on new connections and each in its own thread (a request held by the fault
    does not delay the next): `/health/live`, `/health/ready` and a read of a convention (kind
    `probe`), so that the instance's recovery is seen even while the clients wait."""

    def probe(kind, path, token=None):
        start = time.monotonic()
        try:
            status, _, _ = Client(port, timeout=90, keep_alive=False).request("GET", path, token)
        except NoAnswer:
            status = None
        recorder.add(kind, start, status)

    spawned = []
    while not stop.is_set():
        for kind, path, token in (("live", "/health/live", None),
                                  ("ready", "/health/ready", None),
                                  ("probe", f"/api/v1/conventions/{fixture['convention']}",
                                   fixture["admin"])):
            thread = threading.Thread(target=probe, args=(kind, path, token))
            thread.start()
            spawned.append(thread)
        time.sleep(0.25)
    for thread in spawned:
        thread.join()


def histogram(statuses):
    counts = {}
    for status in statuses:
        label = str(status) if status is not None else "no answer"
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{k}×{v}" for k, v in sorted(counts.items())) or "none"


def one_run(args, db, fixture_db_url, fault, number, secret):
    proxy_port, port = args.port + 1, args.port
    target_port = int(args.pg_admin_url.rsplit(":", 1)[1].split("/")[0])
    proxied = fixture_db_url.replace(f":{target_port}/", f":{proxy_port}/")
    prox = Proxy(proxy_port, target_port)
    server = Server(args.binary, proxied, port, secret, db.folder, name=f"{fault}-{number}")
    recorder = Recorder()
    stop = threading.Event()
    try:
        server.start()
        fixture = args.fixture
        before_rows = {row[0] for row in db.sql("SELECT id FROM activites")}
        threads = [threading.Thread(target=load, args=(port, fixture, recorder, stop, n))
                   for n in range(args.clients)]
        threads.append(threading.Thread(target=probes, args=(port, fixture, recorder, stop)))
        for thread in threads:
            thread.start()
        time.sleep(BEFORE)
        fault_start = time.monotonic()
        if fault == "freeze":
            prox.process.send_signal(signal.SIGSTOP)
        else:
            prox.command(fault)
        time.sleep(args.duration)
        if fault == "freeze":
            prox.process.send_signal(signal.SIGCONT)
        else:
            prox.command("pass")
        fault_end = time.monotonic()
        time.sleep(args.after)
        stop.set()
        for thread in threads:
            thread.join()

        requests = recorder.requests
        served = ("read", "write", "probe")
        during = [r for r in requests if r[0] in served and fault_start <= r[1] < fault_end]
        longest = max((r[2] - r[1] for r in during), default=0.0)
        after = sorted((r for r in requests if r[0] in served and r[1] >= fault_end),
                       key=lambda r: r[2])
        first_ok = next((r[2] - fault_end for r in after if r[3] and 200 <= r[3] < 300), None)
        # The last request started after the fault's end that did not answer 2xx.
        last_bad = max((r[2] - fault_end for r in after if not (r[3] and 200 <= r[3] < 300)),
                       default=None)
        probe_window = [r for r in requests if fault_start <= r[1] < fault_end]

        def split(rows):
            # Answered before the fault's end, and those that waited past it.
            inside = histogram(r[3] for r in rows if r[2] < fault_end)
            waited = histogram(r[3] for r in rows if r[2] >= fault_end)
            return f"{inside}" + ("" if waited == "none" else f" (past its end: {waited})")

        live = split([r for r in probe_window if r[0] == "live"])
        ready = split([r for r in probe_window if r[0] == "ready"])

        if args.timeline:
            for second in range(int(-BEFORE), int(args.duration + args.after)):
                bucket = [r for r in requests if r[0] in served and
                          second <= r[1] - fault_start < second + 1]
                log(f"  t={second:+3d} s: started {histogram(r[3] for r in bucket)}")

        # Every write not answered 201 is retried with its key and body, as a client would: one
        # that had committed though its answer was lost or a 503 replays its 201 (its key was
        # stored in the same transaction); the others are applied now.
        committed = {row[0] for row in db.sql("SELECT id FROM activites")} - before_rows
        client = Client(port)
        committed_unanswered = 0
        for write in recorder.writes:
            if write[2] == 201:
                continue
            status = None
            while status != 201:
                status, body, _ = client.request("POST", "/api/v1/activites",
                                                 fixture["employer"], write[1], write[0])
                if status == 503:
                    time.sleep(0.2)
                elif status != 201:
                    raise SystemExit(f"a retried write answered {status}: {body}")
            write[3] = body["id"]
            committed_unanswered += body["id"] in committed
        created = {row[0] for row in db.sql("SELECT id FROM activites")} - before_rows
        answered = {write[3] for write in recorder.writes}
        failures = []
        if created != answered or len(answered) != len(recorder.writes):
            failures.append(f"activities created {len(created)}, writes {len(recorder.writes)}, "
                            f"distinct ids answered {len(answered)}")
        broken = faultlib.broken_invariants(db)
        if broken:
            failures.append(f"broken invariants: {broken}")
        if first_ok is None:
            failures.append("no 2xx after the fault")
        late = [r for r in after if r[1] >= fault_end + args.after / 2
                and not (r[3] and 200 <= r[3] < 300)]
        if late:
            failures.append(f"{len(late)} requests failed more than {args.after / 2:.0f} s after")
        not_503 = [r for r in during if r[3] not in (200, 201, 503)]
        if not_503:
            failures.append(f"statuses other than 2xx and 503 during the fault: "
                            f"{histogram(r[3] for r in not_503)}")
        return {
            "fault": fault, "run": number, "during": split(during),
            "longest": longest, "live": live, "ready": ready, "first_ok": first_ok,
            "last_bad": last_bad, "requests": len(requests), "writes": len(recorder.writes),
            "retried": sum(1 for w in recorder.writes if w[2] != 201),
            "committed_unanswered": committed_unanswered,
            "failures": failures,
        }
    finally:
        stop.set()
        server.stop()
        prox.stop()


def seconds(value):
    return "none" if value is None else f"{value:.2f} s"


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "proxy":
        proxy(int(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/release/cnfs-api")
    parser.add_argument("--faults", default="refuse,freeze,partition")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of each fault")
    parser.add_argument("--after", type=float, default=45.0,
                        help="seconds observed after the fault (past the 31 s a statement may "
                             "wait with the default CNFS_DB_STATEMENT_TIMEOUT)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--timeline", action="store_true",
                        help="print, second by second, the statuses of the requests started")
    parser.add_argument("--port", type=int, default=18511, help="the server's; the proxy's +1")
    parser.add_argument("--pg-admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    if not faultlib.pg_reachable(args.pg_admin_url):
        raise SystemExit(f"PostgreSQL not reachable at {args.pg_admin_url}")

    db = Database("postgres", args.pg_admin_url, f"h29_faults_pg_{os.getpid()}")
    secret = "faults-" + os.urandom(16).hex()
    results = []
    try:
        seeder = Server(args.binary, db.url, args.port, secret, db.folder, name="seed")
        args.fixture = faultlib.demo_fixture(seeder, db)
        for fault in args.faults.split(","):
            for number in range(1, args.runs + 1):
                log(f"{fault}, run {number}…")
                r = one_run(args, db, db.url, fault, number, secret)
                results.append(r)
                print(f"{fault} run {number} ({args.duration:.0f} s): requests started during the fault: "
                      f"answered in it "
                      f"{r['during']}, longest wait {r['longest']:.1f} s; /health/live "
                      f"{r['live']}; /health/ready {r['ready']}; first 2xx "
                      f"{seconds(r['first_ok'])} after, last non-2xx (of those started after) "
                      f"{seconds(r['last_bad'])} after; "
                      f"{r['writes']} writes, {r['retried']} not answered 201 then retried "
                      f"({r['committed_unanswered']} of them had committed), one row each"
                      + (f"; FAILED: {r['failures']}" if r["failures"] else ""), flush=True)
    finally:
        db.drop()
    failed = [r for r in results if r["failures"]]
    print(f"{len(results)} runs, {len(failed)} failed")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()

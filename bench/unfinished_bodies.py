#!/usr/bin/env python3
"""The unfinished-body flood: N connections (8,000 by default) each send a request's head with a
`Content-Length` of 1,000 bytes (an admin's `POST /api/v1/structures`), then 10 bytes of body, then nothing; the server's resident
memory (VmRSS) is sampled before, during (while the connections are held), and after they are
closed. Also reports how the held connections ended (408 answers, closed without answer, still
open) and how long the server took to answer them.

    python3 bench/unfinished_bodies.py --binary target/debug/cnfs-api            # SQLite
    python3 bench/unfinished_bodies.py --binary target/debug/cnfs-api --connections 8000

The server is started by the script on a fresh SQLite file in a temporary folder, with its
default configuration unless variables are given in the environment (CNFS_BODY_TIMEOUT,
CNFS_MAX_CONNECTIONS...). Needs `ulimit -n` above the number of connections.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def token(secret):
    """An admin token (HS256) for the development issuer and audience, built by hand."""
    b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    now = int(time.time())
    claims = {"iss": "cnfs-api-dev", "aud": "cnfs-api", "sub": "bench", "role": "admin",
              "iat": now, "nbf": now, "exp": now + 3600}
    signing_input = (b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "."
                     + b64(json.dumps(claims).encode()))
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def wait_ready(port, process, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("the server never became ready")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/debug/cnfs-api")
    parser.add_argument("--connections", type=int, default=8000)
    parser.add_argument("--hold", type=float, default=20.0, help="seconds the flood is held")
    parser.add_argument("--port", type=int, default=18391)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = args.connections + 100
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))

    work = tempfile.mkdtemp()
    env = dict(os.environ)
    secret = "bench-" + os.urandom(16).hex()
    env.update({
        "CNFS_JWT_SECRET": secret,
        "DATABASE_URL": os.path.join(work, "cnfs.sqlite3"),
        "CNFS_BIND": f"127.0.0.1:{args.port}",
        "RUST_LOG": env.get("RUST_LOG", "warn"),
    })
    server = subprocess.Popen([os.path.abspath(args.binary), "serve"], cwd=work, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(args.port, server)
        before = rss_mib(server.pid)
        head = (f"POST /api/v1/structures HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n"
                f"Authorization: Bearer {token(secret)}\r\n"
                "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n").encode()
        selector = selectors.DefaultSelector()
        opened, refused = [], 0
        started = time.time()
        for _ in range(args.connections):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect_ex(("127.0.0.1", args.port))
                opened.append(s)
            except OSError:
                refused += 1
                s.close()
        # Each socket sends the head and the start of the body once connected (writable), then
        # waits for an answer or the end of the connection.
        for s in opened:
            selector.register(s, selectors.EVENT_WRITE)
        peak = rss_mib(server.pid)
        answered, closed, sent, first_answer = {}, 0, 0, None
        while time.time() - started < args.hold:
            for key, events in selector.select(timeout=0.5):
                s = key.fileobj
                if events & selectors.EVENT_WRITE:
                    try:
                        s.send(head + b'{"nom": "x')
                        sent += 1
                        selector.modify(s, selectors.EVENT_READ)
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError:
                        closed += 1
                        selector.unregister(s)
                        s.close()
                    continue
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if data:
                    status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "?"
                    answered[status] = answered.get(status, 0) + 1
                    first_answer = first_answer or time.time() - started
                else:
                    closed += 1
                selector.unregister(s)
                s.close()
            peak = max(peak, rss_mib(server.pid))
        still_open = len(selector.get_map())
        for key in list(selector.get_map().values()):
            key.fileobj.close()
        selector.close()
        time.sleep(3)
        after = rss_mib(server.pid)
        time.sleep(10)
        after_10 = rss_mib(server.pid)
        print(f"connections: {len(opened)} opened, {refused} refused at connect, "
              f"{sent} sent their head")
        print(f"held {args.hold:.0f} s: answered {answered or '{}'} "
              f"(first after {first_answer or 0:.1f} s), closed without answer {closed}, "
              f"still open at the end {still_open}")
        print(f"RSS MiB: before {before:.1f}, peak during {peak:.1f}, "
              f"3 s after closing {after:.1f}, 13 s after {after_10:.1f}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()

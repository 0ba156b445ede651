"""What the fault scripts of bench/ share (Python 3 standard library only): a throw-away database
on either backend, the server as a child process, tokens, a small HTTP client, SQL through the
`sqlite3` and `psql` command-line clients, and the invariants of the data as SQL.

Not a script: `kill_writes.py`, `pg_faults.py` and `rolling_restart.py` import it.
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

# The thirteen themes of an activity, as the aggregates' columns name them (`t_<theme>`).
THEMES = [
    "echanger_avec_ses_proches", "trouver_un_emploi", "accompagner_scolarite",
    "donnees_personnelles", "verifier_les_informations", "demarches_en_ligne",
    "prendre_en_main_un_equipement", "naviguer_sur_internet", "courriels",
    "securite_numerique", "sante", "budget", "autre",
]

# Where an activity happens (`type_lieu`), as the aggregates' columns name them (`l_<place>`).
PLACES = ["lieu_activite", "domicile", "a_distance", "autre"]


def log(message):
    """A progress line on stderr (stdout carries the figures)."""
    print(message, file=sys.stderr, flush=True)


class Database:
    """A fresh database for one run: a SQLite file in a temporary folder, or a PostgreSQL database
    created on the server `admin_url` names and dropped by `drop()`."""

    def __init__(self, backend, admin_url, name):
        self.backend = backend
        self.admin_url = admin_url
        self.folder = tempfile.mkdtemp(prefix="cnfs-faults-")
        if backend == "sqlite":
            self.url = os.path.join(self.folder, "cnfs.sqlite3")
            self.name = None
        else:
            self.name = name
            psql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            psql(admin_url, f"CREATE DATABASE {name}")
            parts = urllib.parse.urlsplit(admin_url)
            self.url = urllib.parse.urlunsplit(parts._replace(path="/" + name))

    def sql(self, query):
        """The rows of `query`, as lists of strings."""
        if self.backend == "sqlite":
            out = run(["sqlite3", "-bail", "-tabs", self.url, query])
        else:
            out = psql(self.url, query)
        return [line.split("\t") for line in out.splitlines() if line]

    def scalar(self, query):
        return self.sql(query)[0][0]

    def drop(self):
        if self.name:
            psql(self.admin_url, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        shutil.rmtree(self.folder, ignore_errors=True)


def run(command, env=None):
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def psql(url, query):
    return run(["psql", url, "-qAtX", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", query])


def pg_reachable(admin_url):
    return subprocess.run(["psql", admin_url, "-qAtXc", "SELECT 1"],
                          capture_output=True).returncode == 0


class Server:
    """The API as a child process on `port`, over `database_url`, with a throw-away token secret
    shared by every instance of a run (`secret`). `extra_env` adds or overrides variables."""

    def __init__(self, binary, database_url, port, secret, folder, extra_env=None, name="server"):
        self.binary = os.path.abspath(binary)
        self.port = port
        self.folder = folder
        self.env = dict(os.environ)
        self.env.update({
            "DATABASE_URL": database_url,
            "CNFS_BIND": f"127.0.0.1:{port}",
            "CNFS_JWT_SECRET": secret,
            "RUST_LOG": os.environ.get("RUST_LOG", "warn"),
        })
        self.env.update(extra_env or {})
        self.log_path = os.path.join(folder, f"{name}.log")
        self.process = None

    def command(self, *args):
        """Runs a subcommand (`token`, `seed`…) with the server's configuration; its stdout."""
        return run([self.binary, *args], env=self.env).strip()

    def token(self, role, *args):
        return self.command("token", "--role", role, "--sub", "faults", "--ttl", "7200", *args)

    def start(self, timeout=120):
        """Starts the process and waits until `/health/ready` answers 200; the seconds taken."""
        started = time.monotonic()
        log_file = open(self.log_path, "a")
        self.process = subprocess.Popen([self.binary, "serve"], cwd=self.folder, env=self.env,
                                        stdout=log_file, stderr=log_file)
        log_file.close()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                with open(self.log_path) as log_file:
                    tail = "".join(log_file.readlines()[-5:])
                sys.exit(f"the server exited with {self.process.returncode}:\n{tail}")
            status, _ = get_status(self.port, "/health/ready")
            if status == 200:
                return time.monotonic() - started
            time.sleep(0.02)
        sys.exit(f"the server was not ready within {timeout} s; see {self.log_path}")

    def kill(self, sig=signal.SIGKILL):
        self.process.send_signal(sig)

    def wait(self, timeout=60):
        """Waits for the process to exit; its exit status (negative: the signal that ended it)."""
        return self.process.wait(timeout=timeout)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def get_status(port, path, timeout=2.0):
    """(status, body) of a GET, or (None, error name) when no answer came."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException) as error:
        return None, type(error).__name__
    finally:
        connection.close()


class NoAnswer(Exception):
    """The request got no HTTP answer: refused at connect, reset, closed or timed out.
    `refused` says whether the connection itself was refused (nothing was sent)."""

    def __init__(self, error, refused):
        super().__init__(f"{type(error).__name__}: {error}")
        self.refused = refused


class Client:
    """HTTP/1.1 to 127.0.0.1:`port`: one kept-alive connection, reopened after any failure, or
    (`keep_alive=False`) a new connection per request, so that the one failure a client can
    always retry safely, a refused connection, is told apart from a request that was sent."""

    def __init__(self, port, timeout=60.0, keep_alive=True):
        self.port = port
        self.timeout = timeout
        self.keep_alive = keep_alive
        self.connection = None

    def request(self, method, path, token=None, body=None, key=None):
        """(status, parsed JSON body or None, response headers); raises NoAnswer."""
        headers = {"Accept": "application/json"}
        if not self.keep_alive:
            headers["Connection"] = "close"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key:
            headers["Idempotency-Key"] = key
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port,
                                                         timeout=self.timeout)
            try:
                self.connection.connect()
            except OSError as error:
                self.close()
                raise NoAnswer(error, refused=isinstance(error, ConnectionRefusedError)) from None
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise NoAnswer(error, refused=False) from None
        if not self.keep_alive or response.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return response.status, parsed, dict(response.getheaders())

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def new_key():
    return str(uuid.uuid4())


def demo_fixture(server, db):
    """Loads the demonstration story (`seed --demo`) and returns what the write loads need: an
    admin token, the employer's token, advisors in post with their lieu and the days their
    contract covers, and a convention in execution of the 93 with a host of its split (the
    beneficiary of the commitments)."""
    server.command("seed", "--demo")
    convention = db.scalar("SELECT id FROM conventions WHERE statut = 'en_execution' "
                           "AND departement = '93' ORDER BY id LIMIT 1")
    beneficiaire = db.scalar("SELECT structure_id FROM conventions_repartition "
                             f"WHERE convention_id = '{convention}' ORDER BY structure_id LIMIT 1")
    # in post: under contract, no end to its contracts (the status is derived from them)
    structure = db.scalar("SELECT structure_id FROM conseillers WHERE convention_id IS NOT NULL "
                          "AND fin_contrats IS NULL "
                          "AND lieu_id IS NOT NULL GROUP BY structure_id "
                          "ORDER BY COUNT(*) DESC, structure_id LIMIT 1")
    advisors = db.sql(
        "SELECT a.id, a.lieu_id, c.date_debut, COALESCE(c.date_fin, '') FROM conseillers a "
        "JOIN contrats c ON c.conseiller_id = a.id AND c.poste_id IS NOT NULL "
        "WHERE a.convention_id IS NOT NULL AND a.fin_contrats IS NULL AND a.lieu_id IS NOT NULL "
        f"AND a.structure_id = '{structure}' "
        "ORDER BY a.id LIMIT 6")
    return {
        "admin": server.token("admin"),
        "employer": server.token("structure", "--structure", structure),
        "convention": convention,
        "beneficiaire": beneficiaire,
        "advisors": advisors,
    }


def invariants(db):
    """The rules of the data a fault must not break, as (rule, SQL counting the rows that break
    it); the same rules as tests/suite/seed_national.rs checks on the money and the activity
    aggregates, plus SQLite's own integrity check (run separately)."""
    rules = [
        ("an envelope's engaged sum is its commitments'",
         "SELECT COUNT(*) FROM enveloppes e WHERE e.engage_centimes <> (SELECT COALESCE(SUM("
         "CASE WHEN g.statut = 'actif' THEN g.montant_centimes ELSE g.verse_centimes END), 0) "
         "FROM engagements g WHERE g.enveloppe_id = e.id)"),
        ("an envelope's paid sum is its payments'",
         "SELECT COUNT(*) FROM enveloppes e WHERE e.verse_centimes <> (SELECT "
         "COALESCE(SUM(v.montant_centimes), 0) FROM versements v JOIN engagements g "
         "ON g.id = v.engagement_id WHERE g.enveloppe_id = e.id AND v.statut = 'effectue')"),
        ("a commitment's paid sum is its payments'",
         "SELECT COUNT(*) FROM engagements g WHERE g.verse_centimes <> (SELECT "
         "COALESCE(SUM(v.montant_centimes), 0) FROM versements v WHERE v.engagement_id = g.id "
         "AND v.statut = 'effectue')"),
        ("a département's sums are its commitments' and payments'",
         "SELECT COUNT(*) FROM enveloppes_departements d WHERE d.engage_centimes <> "
         "(SELECT COALESCE(SUM(CASE WHEN g.statut = 'actif' THEN g.montant_centimes ELSE "
         "g.verse_centimes END), 0) FROM engagements g WHERE g.enveloppe_id = d.enveloppe_id AND "
         "g.departement = d.departement) OR d.verse_centimes <> (SELECT "
         "COALESCE(SUM(g.verse_centimes), 0) FROM engagements g "
         "WHERE g.enveloppe_id = d.enveloppe_id AND g.departement = d.departement)"),
        ("engaged within the amount and the ceilings",
         "SELECT COUNT(*) FROM enveloppes e WHERE e.engage_centimes > e.montant_centimes OR "
         "EXISTS (SELECT 1 FROM enveloppes_departements d WHERE d.enveloppe_id = e.id AND "
         "d.engage_centimes > d.plafond_centimes)"),
        ("payments within their commitment",
         "SELECT COUNT(*) FROM engagements WHERE verse_centimes > montant_centimes"),
    ]
    sums = [("nombre", "COUNT(*)"), ("participants", "SUM(nb_participants)"),
            ("minutes", "SUM(duree_minutes)")]
    sums += [(f"t_{t}", f"SUM(CASE WHEN thematiques LIKE '%\"{t}\"%' THEN 1 ELSE 0 END)")
             for t in THEMES]
    sums += [(f"l_{place}", f"SUM(CASE WHEN type_lieu = '{place}' THEN 1 ELSE 0 END)")
             for place in PLACES]
    selected = ", ".join(f"CAST({e} AS BIGINT) AS {c}" for c, e in sums)
    differs = " OR ".join(f"j.{c} <> r.{c}" for c, _ in sums)
    for table, period, grain in [("activites_jour", "jour", "date"),
                                 ("activites_mois", "mois", "substr(date, 1, 7)")]:
        recomputed = (f"SELECT departement, {grain} AS {period}, {selected} FROM activites "
                      f"WHERE supprime_le IS NULL GROUP BY departement, {grain}")
        rules.append((f"{table}: each period's sums are its rows'",
                      f"SELECT COUNT(*) FROM ({recomputed}) r LEFT JOIN {table} j ON "
                      f"j.departement = r.departement AND j.{period} = r.{period} "
                      f"WHERE j.{period} IS NULL OR {differs}"))
        rules.append((f"{table}: no sums without rows",
                      f"SELECT COUNT(*) FROM {table} j WHERE j.nombre > 0 AND NOT EXISTS "
                      f"(SELECT 1 FROM activites a WHERE a.supprime_le IS NULL AND "
                      f"a.departement = j.departement AND {grain.replace('date', 'a.date')} "
                      f"= j.{period})"))
    return rules


def broken_invariants(db):
    """{rule: rows breaking it} for every rule broken (empty when all hold)."""
    broken = {}
    for rule, query in invariants(db):
        count = int(db.scalar(query))
        if count:
            broken[rule] = count
    if db.backend == "sqlite":
        check = db.scalar("PRAGMA integrity_check")
        if check != "ok":
            broken["PRAGMA integrity_check"] = check
    return broken

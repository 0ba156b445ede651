//! Real `cnfs-api` server processes and a plain HTTP/1.1 client, for the tests of races between
//! processes (`financement_concurrence`, `postes_concurrence`): a [`Server`] guard that starts the
//! binary on a test database and kills it when dropped, one request per connection
//! (`Connection: close`) over `TcpStream`, and [`burst`], which releases many requests together
//! (one thread each, connected first, all let go by one `Barrier`).
//!
//! Those tests start several servers and dozens of threads on a 2-core machine: each runs through
//! [`on_postgres_two_processes`] or [`on_sqlite_one_process`], which take [`serial`] first, so
//! that only one of them runs at a time whatever the test harness's threads.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Barrier, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cnfs_api::db::DatabaseUrl;
use serde_json::{Value, json};

use super::scenario::{admin, prefecture_93};
use super::{TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, TestDb, siret_for};

/// The "today" of the servers (`CNFS_AUJOURDHUI`).
pub const TODAY: &str = "2021-06-01";

/// The tests that start servers: one at a time, on a 2-core machine.
static SERIAL: Mutex<()> = Mutex::new(());

/// Waits for the other tests that start servers to end (a failed one does not block the next).
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------------------------
// A plain HTTP/1.1 client.

/// A response read whole.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub json: Value,
}

impl Answer {
    /// A header's value, if present (names compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `status code` for the figures (`201`, `409 plafond_depasse`).
    pub fn outcome(&self) -> String {
        match self.json["code"].as_str() {
            Some(code) => format!("{} {code}", self.status),
            None => self.status.to_string(),
        }
    }
}

/// The bytes of a request (`Connection: close`: the server closes after answering).
pub fn request_bytes(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = body.map(Value::to_string).unwrap_or_default();
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// A connection to `addr` with generous read and write timeouts (a slow machine under a burst).
pub fn connect(addr: SocketAddr, timeout: Duration) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    Ok(stream)
}

/// Sends `request` on `stream` and reads the answer to the end of the connection.
pub fn exchange(mut stream: TcpStream, request: &[u8]) -> std::io::Result<Answer> {
    stream.write_all(request)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
        .ok_or_else(|| std::io::Error::other(format!("malformed response: {raw:?}")))
}

fn parse_response(raw: &[u8]) -> Option<Answer> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    let text = String::from_utf8(body).ok()?;
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Some(Answer {
        status,
        headers,
        text,
        json,
    })
}

/// The body of a `Transfer-Encoding: chunked` response.
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

/// One request on a new connection; panics on a transport failure.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Answer {
    let stream = connect(addr, Duration::from_secs(10))
        .unwrap_or_else(|error| panic!("{method} {path}: cannot connect to {addr}: {error}"));
    exchange(stream, &request_bytes(addr, method, path, token, body, &[]))
        .unwrap_or_else(|error| panic!("{method} {path} on {addr}: {error}"))
}

/// The id in a 201's body (panics, naming `what`, on any other answer).
pub fn created(answer: Answer, what: &str) -> String {
    assert_eq!(answer.status, 201, "{what}: {}", answer.text);
    answer.json["id"].as_str().expect("an id").to_owned()
}

// ---------------------------------------------------------------------------------------------
// Server processes.

/// A `cnfs-api` process, killed when dropped (also when a test fails).
pub struct Server {
    /// Its name in the figures and in failure messages.
    pub name: String,
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free at the time of asking (the server may lose it to someone else: then it exits
/// and [`Server::start`] tries another).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// `DATABASE_URL` for a server on `db`.
pub fn database_url(db: &TestDb) -> String {
    match &db.url {
        DatabaseUrl::Sqlite(path) => path.display().to_string(),
        DatabaseUrl::Postgres(url) => url.clone(),
    }
}

impl Server {
    /// Starts the binary on `db` ("today" being [`TODAY`]) and waits until `/health/ready`
    /// answers 200.
    pub fn start(name: &str, db: &TestDb) -> Server {
        Server::start_with(name, &database_url(db), &[])
    }

    /// As [`Server::start`], on the database at `url` (a test database's, or a proxy's in front
    /// of one) and with more environment variables.
    pub fn start_with(name: &str, url: &str, env: &[(&str, &str)]) -> Server {
        for attempt in 1..=3 {
            let dir = tempfile::tempdir().expect("temp dir");
            let log = dir.path().join("server.log");
            let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
            let output = std::fs::File::create(&log).expect("log file");
            let mut command = Command::new(env!("CARGO_BIN_EXE_cnfs-api"));
            command
                .current_dir(dir.path())
                .env_clear()
                .env("DATABASE_URL", url)
                .env("CNFS_BIND", addr.to_string())
                .env("CNFS_JWT_SECRET", std::str::from_utf8(TEST_SECRET).unwrap())
                .env("CNFS_JWT_ISSUER", TEST_ISSUER)
                .env("CNFS_JWT_AUDIENCE", TEST_AUDIENCE)
                .env("CNFS_AUJOURDHUI", TODAY)
                // A slow 2-core machine: requests wait for a connection rather than get a 503.
                .env("CNFS_DB_POOL_TIMEOUT", "60")
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(output.try_clone().expect("log file"))
                .stderr(output)
                .envs(env.iter().copied());
            let child = command.spawn().expect("the binary starts");
            let mut server = Server {
                name: name.to_owned(),
                child,
                addr,
                log,
                _dir: dir,
            };
            match server.wait_ready(Duration::from_secs(180)) {
                Ok(()) => return server,
                Err(exited) if attempt < 3 => {
                    eprintln!("{name}: exited before ready ({exited}), retrying on another port");
                }
                Err(exited) => panic!("{name}: {exited}; log:\n{}", server.log_text()),
            }
        }
        unreachable!()
    }

    /// `Err` when the process exits first; panics (the guard kills it) on timeout.
    pub fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("process status") {
                return Err(format!("exited with {status}"));
            }
            let ready = connect(self.addr, Duration::from_secs(1))
                .and_then(|stream| {
                    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
                    exchange(
                        stream,
                        &request_bytes(self.addr, "GET", "/health/ready", None, None, &[]),
                    )
                })
                .is_ok_and(|answer| answer.status == 200);
            if ready {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "{}: not ready after {timeout:?}; log:\n{}",
                self.name,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends `signal` (`libc::SIGTERM`…) to the process.
    pub fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: kill(2) on our own child, which the guard has not reaped yet.
        let sent = unsafe { libc::kill(pid, signal) };
        assert_eq!(sent, 0, "{}: kill({pid}, {signal}) failed", self.name);
    }

    /// The exit status once the process has exited, or `None` after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("process status") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process still runs.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("process status").is_none()
    }

    /// What the process wrote so far (stdout and stderr).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Runs `race` (given the database, the servers on it, and a label naming the backend in the
/// figures) on a private PostgreSQL database with two server processes on it (`pg-a`,
/// `pg-b`), after the other tests that start servers; skipped when `CNFS_TEST_PG_URL` is unset
/// (outside CI). The servers stop before the database is dropped.
pub fn on_postgres_two_processes(race: impl FnOnce(&TestDb, &[Server], &str)) {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let _serial = serial();
    let servers = [Server::start("pg-a", &db), Server::start("pg-b", &db)];
    race(&db, &servers, "postgres, 2 processes");
}

/// Runs `race` on a private SQLite copy with one server process on it, after the other tests
/// that start servers (SQLite has one writer: a second process would add nothing but waits).
pub fn on_sqlite_one_process(race: impl FnOnce(&TestDb, &[Server], &str)) {
    let db = TestDb::sqlite();
    let _serial = serial();
    let servers = [Server::start("sqlite", &db)];
    race(&db, &servers, "sqlite, 1 process");
}

// ---------------------------------------------------------------------------------------------
// The data both kinds of race start from.

/// Aubervilliers and Montreuil, two communes of the 93, created by the admin; their ids.
pub fn structures_93(addr: SocketAddr) -> Vec<String> {
    let admin = admin();
    let mut ids = Vec::new();
    for (siren, nom, commune) in [
        ("219300019", "Ville d'Aubervilliers", "93001"),
        ("219300480", "Ville de Montreuil", "93048"),
    ] {
        let body = json!({"siret": siret_for(siren), "nom": nom, "type": "commune", "code_insee": commune});
        let answer = http(
            addr,
            "POST",
            "/api/v1/structures",
            Some(&admin),
            Some(&body),
        );
        ids.push(created(answer, nom));
    }
    ids
}

/// A convention of the 93 for `postes_attribues` posts, signed by `signataires` on 2021-02-08;
/// its id.
pub fn signed_convention_93(
    addr: SocketAddr,
    signataires: &[String],
    postes_attribues: i64,
) -> String {
    let prefecture = prefecture_93();
    let body = json!({
        "departement": "93",
        "intitule": "Conseillers numériques France Services — Seine-Saint-Denis",
        "signataires": signataires,
        "postes_attribues": postes_attribues,
    });
    let answer = http(
        addr,
        "POST",
        "/api/v1/conventions",
        Some(&prefecture),
        Some(&body),
    );
    let id = created(answer, "convention");
    let signed = http(
        addr,
        "POST",
        &format!("/api/v1/conventions/{id}/signature"),
        Some(&prefecture),
        Some(&json!({"date_signature": "2021-02-08"})),
    );
    assert_eq!(signed.status, 200, "signature: {}", signed.text);
    id
}

// ---------------------------------------------------------------------------------------------
// Bursts.

/// One request of a burst: where it goes and what it sends.
pub struct Shot {
    pub addr: SocketAddr,
    pub request: Vec<u8>,
}

/// Sends every shot from its own thread, connected first, all released together by a barrier;
/// returns the answers in the order of `shots` and the wall time from the release to the last
/// answer.
pub fn burst(shots: &[Shot]) -> (Vec<Answer>, Duration) {
    let barrier = Barrier::new(shots.len() + 1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = shots
            .iter()
            .map(|shot| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let stream = connect(shot.addr, Duration::from_secs(30));
                    barrier.wait();
                    let stream = stream
                        .unwrap_or_else(|error| panic!("cannot connect to {}: {error}", shot.addr));
                    exchange(stream, &shot.request)
                        .unwrap_or_else(|error| panic!("request to {}: {error}", shot.addr))
                })
            })
            .collect();
        barrier.wait();
        let released = Instant::now();
        let answers: Vec<Answer> = handles
            .into_iter()
            .map(|handle| handle.join().expect("a request thread"))
            .collect();
        (answers, released.elapsed())
    })
}

/// Outcomes and how many of each, for the figures.
pub fn tally<'a>(answers: impl IntoIterator<Item = &'a Answer>) -> Vec<(String, usize)> {
    let mut outcomes: Vec<(String, usize)> = Vec::new();
    for answer in answers {
        let outcome = answer.outcome();
        match outcomes.iter_mut().find(|(o, _)| *o == outcome) {
            Some((_, n)) => *n += 1,
            None => outcomes.push((outcome, 1)),
        }
    }
    outcomes.sort();
    outcomes
}

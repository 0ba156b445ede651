//! Money under concurrency, through real `cnfs-api` processes and real HTTP: commitments released
//! together on one envelope never exceed the département's ceiling — on PostgreSQL with two
//! server processes on one database, on SQLite with one — and concurrent duplicates of one
//! `Idempotency-Key` create one commitment; payments released together never exceed their
//! commitment.
//!
//! The requests go through a plain HTTP/1.1 client over `TcpStream` (one connection per request,
//! `Connection: close`), one thread per request, all released by one `Barrier`. Run with
//! `--nocapture` to see the figures of each round.

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use cnfs_api::db::DatabaseUrl;
use common::scenario::{admin, prefecture_93};
use common::{TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, TestDb, count, siret_for};
use serde_json::{Value, json};

/// The "today" of the servers (`CNFS_AUJOURDHUI`).
const TODAY: &str = "2021-06-01";
/// 200 M€: the envelope never limits these tests.
const MONTANT_ENVELOPPE: i64 = 20_000_000_000;
/// 4 M€: the ceiling of the 93 in the envelope.
const PLAFOND_93: i64 = 400_000_000;
/// 250 000 €: each commitment; 16 fit under the ceiling.
const MONTANT_ENGAGEMENT: i64 = 25_000_000;
/// Commitments sent at once.
const CONCURRENT: usize = 40;
/// Rounds of the burst (a fresh envelope each).
const ROUNDS: usize = 3;

/// The tests of this file start servers: one at a time, on a 2-core machine.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------------------------
// A plain HTTP/1.1 client.

/// A response read whole.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    text: String,
    json: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `status code` for the figures (`201`, `409 plafond_depasse`).
    fn outcome(&self) -> String {
        match self.json["code"].as_str() {
            Some(code) => format!("{} {code}", self.status),
            None => self.status.to_string(),
        }
    }
}

/// The bytes of a request (`Connection: close`: the server closes after answering).
fn request_bytes(
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

fn connect(addr: SocketAddr, timeout: Duration) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    Ok(stream)
}

/// Sends `request` on `stream` and reads the answer to the end of the connection.
fn exchange(mut stream: TcpStream, request: &[u8]) -> std::io::Result<Answer> {
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
fn http(
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

// ---------------------------------------------------------------------------------------------
// Server processes.

/// A `cnfs-api` process, killed when dropped (also when a test fails).
struct Server {
    name: String,
    child: Child,
    addr: SocketAddr,
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
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn database_url(db: &TestDb) -> String {
    match &db.url {
        DatabaseUrl::Sqlite(path) => path.display().to_string(),
        DatabaseUrl::Postgres(url) => url.clone(),
    }
}

impl Server {
    /// Starts the binary on `db` and waits until `/health/ready` answers 200.
    fn start(name: &str, db: &TestDb) -> Server {
        for attempt in 1..=3 {
            let dir = tempfile::tempdir().expect("temp dir");
            let log = dir.path().join("server.log");
            let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
            let output = std::fs::File::create(&log).expect("log file");
            let child = Command::new(env!("CARGO_BIN_EXE_cnfs-api"))
                .current_dir(dir.path())
                .env_clear()
                .env("DATABASE_URL", database_url(db))
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
                .spawn()
                .expect("the binary starts");
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
    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
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

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------------
// The data: a signed convention of the 93 and envelopes with a ceiling for the 93.

fn created(answer: Answer, what: &str) -> String {
    assert_eq!(answer.status, 201, "{what}: {}", answer.text);
    answer.json["id"].as_str().expect("an id").to_owned()
}

/// Aubervilliers and Montreuil sign a convention of the 93 for 80 posts on 2021-02-08; its id.
fn signed_convention(addr: SocketAddr) -> String {
    let admin = admin();
    let mut signataires = Vec::new();
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
        signataires.push(created(answer, nom));
    }
    let prefecture = prefecture_93();
    let body = json!({
        "departement": "93",
        "intitule": "Conseillers numériques France Services — Seine-Saint-Denis",
        "signataires": signataires,
        "postes_attribues": 80,
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

/// A 200 M€ envelope without per-post amount, over 2021–2022, with a 4 M€ ceiling for the 93.
fn envelope_with_ceiling(addr: SocketAddr, round: usize) -> String {
    let admin = admin();
    let body = json!({
        "libelle": format!("Plan de relance — postes de conseillers (tour {round})"),
        "financeur": "DGCL — Plan de relance",
        "nature": "postes_conseillers",
        "montant_centimes": MONTANT_ENVELOPPE,
        "date_debut": "2021-01-01",
        "date_fin": "2022-12-31",
    });
    let answer = http(
        addr,
        "POST",
        "/api/v1/enveloppes",
        Some(&admin),
        Some(&body),
    );
    let id = created(answer, "enveloppe");
    let ceiling = http(
        addr,
        "PUT",
        &format!("/api/v1/enveloppes/{id}/plafonds/93"),
        Some(&admin),
        Some(&json!({"plafond_centimes": PLAFOND_93})),
    );
    assert_eq!(ceiling.status, 201, "plafond: {}", ceiling.text);
    id
}

/// What the database holds for an envelope: engaged on its row, on its 93 row, and the sums over
/// its commitments (live amounts; commitments counted).
#[derive(Debug, PartialEq, Eq)]
struct Held {
    enveloppe: i64,
    departement_93: i64,
    somme_engagements: i64,
    engagements: i64,
}

fn held(db: &TestDb, enveloppe: &str) -> Held {
    Held {
        enveloppe: count(
            db,
            &format!("SELECT engage_centimes AS n FROM enveloppes WHERE id = '{enveloppe}'"),
        ),
        departement_93: count(
            db,
            &format!(
                "SELECT engage_centimes AS n FROM enveloppes_departements \
                 WHERE enveloppe_id = '{enveloppe}' AND departement = '93'"
            ),
        ),
        somme_engagements: count(
            db,
            &format!(
                "SELECT CAST(COALESCE(SUM(montant_centimes), 0) AS BIGINT) AS n FROM engagements \
                 WHERE enveloppe_id = '{enveloppe}' AND statut = 'actif'"
            ),
        ),
        engagements: count(
            db,
            &format!("SELECT COUNT(*) AS n FROM engagements WHERE enveloppe_id = '{enveloppe}'"),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The bursts.

/// One request of a burst: where it goes and what it sends.
struct Shot {
    addr: SocketAddr,
    request: Vec<u8>,
}

/// Sends every shot from its own thread, connected first, all released together by a barrier;
/// returns the answers in the order of `shots` and the wall time from the release to the last
/// answer.
fn burst(shots: &[Shot]) -> (Vec<Answer>, Duration) {
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

fn engagement_request(
    addr: SocketAddr,
    enveloppe: &str,
    convention: &str,
    key: &str,
    objet: &str,
) -> Vec<u8> {
    let body = json!({
        "convention_id": convention,
        "montant_centimes": MONTANT_ENGAGEMENT,
        "objet": objet,
    });
    request_bytes(
        addr,
        "POST",
        &format!("/api/v1/enveloppes/{enveloppe}/engagements"),
        Some(&admin()),
        Some(&body),
        &[("Idempotency-Key", key)],
    )
}

/// Outcomes and how many of each, for the figures.
fn tally(answers: &[Answer]) -> Vec<(String, usize)> {
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

/// 40 commitments of 250 000 € released together on fresh envelopes (a 4 M€ ceiling for the 93),
/// split evenly over `servers`, for [`ROUNDS`] rounds: exactly 16 are taken, 24 refused with
/// `plafond_depasse`, and the database holds exactly 4 M€ engaged.
fn forty_commitments_under_one_ceiling(db: &TestDb, servers: &[Server], label: &str) {
    let convention = signed_convention(servers[0].addr);
    for round in 1..=ROUNDS {
        let enveloppe = envelope_with_ceiling(servers[0].addr, round);
        let shots: Vec<Shot> = (0..CONCURRENT)
            .map(|i| {
                let addr = servers[i % servers.len()].addr;
                let key = format!("burst-{round}-{i}-{enveloppe}");
                Shot {
                    addr,
                    request: engagement_request(
                        addr,
                        &enveloppe,
                        &convention,
                        &key,
                        &format!("Tour {round}, demande {i}"),
                    ),
                }
            })
            .collect();
        let (answers, wall) = burst(&shots);

        let accepted: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
        let refused: Vec<&Answer> = answers
            .iter()
            .filter(|a| a.status == 409 && a.json["code"] == "plafond_depasse")
            .collect();
        let per_server: Vec<String> = servers
            .iter()
            .enumerate()
            .map(|(s, server)| {
                let won = (0..CONCURRENT)
                    .filter(|i| i % servers.len() == s && answers[*i].status == 201)
                    .count();
                format!("{}: {won} × 201", server.name)
            })
            .collect();
        let state = held(db, &enveloppe);
        println!(
            "[{label}] round {round}: {} × 201, {} × 409 plafond_depasse (all: {:?}; {}); \
             engaged {} c on the envelope, {} c on the 93, {} c over {} commitment rows; \
             wall time {} ms",
            accepted.len(),
            refused.len(),
            tally(&answers),
            per_server.join(", "),
            state.enveloppe,
            state.departement_93,
            state.somme_engagements,
            state.engagements,
            wall.as_millis()
        );

        let unexpected: Vec<&Answer> = answers
            .iter()
            .filter(|a| {
                a.status != 201 && !(a.status == 409 && a.json["code"] == "plafond_depasse")
            })
            .collect();
        assert!(
            unexpected.is_empty(),
            "[{label}] round {round}: unexpected answers: {unexpected:#?}"
        );
        assert_eq!(
            (accepted.len(), refused.len()),
            (16, 24),
            "[{label}] round {round}"
        );
        assert_eq!(
            state,
            Held {
                enveloppe: PLAFOND_93,
                departement_93: PLAFOND_93,
                somme_engagements: PLAFOND_93,
                engagements: 16,
            },
            "[{label}] round {round}"
        );
        // Every success is its own commitment, as stored.
        let mut ids: Vec<&str> = accepted
            .iter()
            .map(|a| a.json["id"].as_str().expect("an id"))
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 16, "[{label}] round {round}: distinct ids");
        for answer in &accepted {
            assert_eq!(answer.json["montant_centimes"], MONTANT_ENGAGEMENT);
            assert_eq!(
                answer.header("location"),
                Some(
                    format!(
                        "/api/v1/engagements/{}",
                        answer.json["id"].as_str().unwrap()
                    )
                    .as_str()
                )
            );
        }
        // Each refusal tells what was left under the ceiling when it was checked.
        for answer in &refused {
            assert_eq!(answer.json["disponible_centimes"], 0, "{}", answer.text);
            assert_eq!(answer.json["demande_centimes"], MONTANT_ENGAGEMENT);
        }
    }
}

/// 20 identical requests with one `Idempotency-Key` released together (split over `servers`):
/// one commitment; every answer is its 201 (the same `id`) or 409 `requete_en_cours`; the key
/// replays that 201 afterwards.
fn one_key_twenty_times(db: &TestDb, servers: &[Server], label: &str) {
    let convention = signed_convention(servers[0].addr);
    let enveloppe = envelope_with_ceiling(servers[0].addr, 0);
    let key = format!("meme-cle-{enveloppe}");
    let shots: Vec<Shot> = (0..20)
        .map(|i| {
            let addr = servers[i % servers.len()].addr;
            Shot {
                addr,
                request: engagement_request(addr, &enveloppe, &convention, &key, "Une seule fois"),
            }
        })
        .collect();
    let (answers, wall) = burst(&shots);
    let state = held(db, &enveloppe);
    println!(
        "[{label}] one key × 20: {:?}; {} commitment row(s), engaged {} c; wall time {} ms",
        tally(&answers),
        state.engagements,
        state.enveloppe,
        wall.as_millis()
    );

    let created: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert!(
        !created.is_empty(),
        "[{label}] nobody got the 201: {answers:#?}"
    );
    let first = created[0];
    let id = first.json["id"].as_str().expect("an id").to_owned();
    for answer in &answers {
        match answer.status {
            201 => {
                assert_eq!(answer.json, first.json, "[{label}] every 201 is the same");
                assert_eq!(
                    answer.header("location"),
                    Some(format!("/api/v1/engagements/{id}").as_str())
                );
            }
            409 => assert_eq!(
                answer.json["code"], "requete_en_cours",
                "[{label}]: {}",
                answer.text
            ),
            _ => panic!("[{label}] unexpected answer: {answer:#?}"),
        }
    }
    assert_eq!(
        state,
        Held {
            enveloppe: MONTANT_ENGAGEMENT,
            departement_93: MONTANT_ENGAGEMENT,
            somme_engagements: MONTANT_ENGAGEMENT,
            engagements: 1,
        },
        "[{label}]"
    );
    assert_eq!(
        count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM journal \
                 WHERE ressource = 'engagement' AND ressource_id = '{id}'"
            ),
        ),
        1,
        "[{label}] one journal entry"
    );
    // Afterwards, on every server, the key replays the 201.
    for server in servers {
        let stream = connect(server.addr, Duration::from_secs(10)).expect("connect");
        let replay = exchange(
            stream,
            &engagement_request(server.addr, &enveloppe, &convention, &key, "Une seule fois"),
        )
        .expect("replay");
        assert_eq!(replay.status, 201, "{}", replay.text);
        assert_eq!(replay.json, first.json);
    }
    assert_eq!(held(db, &enveloppe).engagements, 1);
}

/// A commitment of 2.5 M€, then 20 payments of 250 000 € released together (split over
/// `servers`): exactly 10 are recorded, 10 refused with `versement_excessif`, and every paid sum
/// (commitment, envelope, 93, payments) is 2.5 M€.
fn twenty_payments_on_one_commitment(db: &TestDb, servers: &[Server], label: &str) {
    const ENGAGE: i64 = 10 * MONTANT_ENGAGEMENT;
    let convention = signed_convention(servers[0].addr);
    let enveloppe = envelope_with_ceiling(servers[0].addr, 0);
    let addr = servers[0].addr;
    let stream = connect(addr, Duration::from_secs(10)).expect("connect");
    let body =
        json!({"convention_id": convention, "montant_centimes": ENGAGE, "objet": "Paiements"});
    let engagement = exchange(
        stream,
        &request_bytes(
            addr,
            "POST",
            &format!("/api/v1/enveloppes/{enveloppe}/engagements"),
            Some(&admin()),
            Some(&body),
            &[("Idempotency-Key", &format!("paiements-{enveloppe}"))],
        ),
    )
    .expect("commitment");
    let engagement = created(engagement, "engagement");
    let shots: Vec<Shot> = (0..20)
        .map(|i| {
            let addr = servers[i % servers.len()].addr;
            let body = json!({
                "montant_centimes": MONTANT_ENGAGEMENT,
                "date_versement": TODAY,
                "reference": format!("MANDAT-2021-{i:06}"),
            });
            Shot {
                addr,
                request: request_bytes(
                    addr,
                    "POST",
                    &format!("/api/v1/engagements/{engagement}/versements"),
                    Some(&admin()),
                    Some(&body),
                    &[("Idempotency-Key", &format!("versement-{i}-{engagement}"))],
                ),
            }
        })
        .collect();
    let (answers, wall) = burst(&shots);
    let paid = |sql: String| count(db, &sql);
    let sums = [
        paid(format!(
            "SELECT verse_centimes AS n FROM engagements WHERE id = '{engagement}'"
        )),
        paid(format!(
            "SELECT verse_centimes AS n FROM enveloppes WHERE id = '{enveloppe}'"
        )),
        paid(format!(
            "SELECT verse_centimes AS n FROM enveloppes_departements \
             WHERE enveloppe_id = '{enveloppe}' AND departement = '93'"
        )),
        paid(format!(
            "SELECT CAST(COALESCE(SUM(montant_centimes), 0) AS BIGINT) AS n FROM versements \
             WHERE engagement_id = '{engagement}' AND statut = 'effectue'"
        )),
    ];
    println!(
        "[{label}] 20 payments of 250 000 € on a 2 500 000 € commitment: {:?}; paid (commitment, \
         envelope, 93, Σ payments) {sums:?} c; wall time {} ms",
        tally(&answers),
        wall.as_millis()
    );
    let outcomes: Vec<String> = answers.iter().map(Answer::outcome).collect();
    assert_eq!(
        (
            outcomes.iter().filter(|o| *o == "201").count(),
            outcomes
                .iter()
                .filter(|o| *o == "409 versement_excessif")
                .count()
        ),
        (10, 10),
        "[{label}] {answers:#?}"
    );
    assert_eq!(sums, [ENGAGE; 4], "[{label}]");
    assert_eq!(
        count(
            db,
            &format!("SELECT COUNT(*) AS n FROM versements WHERE engagement_id = '{engagement}'")
        ),
        10
    );
}

mod postgres {
    use super::*;

    /// Two processes on one PostgreSQL database: the envelope's row lock holds across them.
    #[test]
    fn forty_commitments_on_two_processes_never_exceed_the_ceiling() {
        let Some(db) = TestDb::postgres() else {
            return;
        };
        let _serial = serial();
        let servers = [Server::start("pg-a", &db), Server::start("pg-b", &db)];
        forty_commitments_under_one_ceiling(&db, &servers, "postgres, 2 processes");
    }

    #[test]
    fn one_key_twenty_times_on_two_processes_commits_once() {
        let Some(db) = TestDb::postgres() else {
            return;
        };
        let _serial = serial();
        let servers = [Server::start("pg-a", &db), Server::start("pg-b", &db)];
        one_key_twenty_times(&db, &servers, "postgres, 2 processes");
    }

    #[test]
    fn twenty_payments_on_two_processes_never_exceed_the_commitment() {
        let Some(db) = TestDb::postgres() else {
            return;
        };
        let _serial = serial();
        let servers = [Server::start("pg-a", &db), Server::start("pg-b", &db)];
        twenty_payments_on_one_commitment(&db, &servers, "postgres, 2 processes");
    }
}

mod sqlite {
    use super::*;

    #[test]
    fn forty_commitments_on_one_process_never_exceed_the_ceiling() {
        let db = TestDb::sqlite();
        let _serial = serial();
        let servers = [Server::start("sqlite", &db)];
        forty_commitments_under_one_ceiling(&db, &servers, "sqlite, 1 process");
    }

    #[test]
    fn one_key_twenty_times_on_one_process_commits_once() {
        let db = TestDb::sqlite();
        let _serial = serial();
        let servers = [Server::start("sqlite", &db)];
        one_key_twenty_times(&db, &servers, "sqlite, 1 process");
    }

    #[test]
    fn twenty_payments_on_one_process_never_exceed_the_commitment() {
        let db = TestDb::sqlite();
        let _serial = serial();
        let servers = [Server::start("sqlite", &db)];
        twenty_payments_on_one_commitment(&db, &servers, "sqlite, 1 process");
    }
}

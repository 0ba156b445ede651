//! A network partition between the real binary and PostgreSQL, through a TCP proxy the test
//! controls: the proxy stops forwarding without closing anything (what it receives is read and
//! dropped, like a middlebox that lost its state: the connections open at that moment never
//! answer again, and neither do the ones opened during the partition), then lets new
//! connections through. The instance must answer its requests in flight within the statement
//! timeout, keep its liveness, and serve again within 5 s of the link's return, without restart.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;

use crate::common::TestDb;
use crate::common::processus::{
    Answer, Server, connect, created, database_url, exchange, http, request_bytes, serial,
    structures_93,
};
use crate::common::scenario::prefecture_93;

/// The proxy's switch.
#[derive(Default)]
struct Link {
    /// Connections numbered below this one are cut for good.
    dead_below: AtomicU64,
    /// While set, new connections are accepted and never forwarded.
    down: AtomicBool,
    next: AtomicU64,
}

/// A TCP proxy to `upstream`, on a port of its own; its threads live as long as the test process.
struct Proxy {
    addr: SocketAddr,
    link: Arc<Link>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy port");
        let addr = listener.local_addr().unwrap();
        let link = Arc::new(Link::default());
        let shared = link.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let id = shared.next.fetch_add(1, Ordering::SeqCst);
                let link = shared.clone();
                std::thread::spawn(move || {
                    // Accepted during the partition: never forwarded, not even connected.
                    if link.down.load(Ordering::SeqCst) {
                        drain(client);
                        return;
                    }
                    let Ok(server) = TcpStream::connect(upstream) else {
                        return;
                    };
                    let (client_in, server_out) = (client.try_clone().unwrap(), server);
                    let (server_in, client_out) = (server_out.try_clone().unwrap(), client);
                    let link_back = link.clone();
                    std::thread::spawn(move || pump(server_in, client_out, id, &link_back));
                    pump(client_in, server_out, id, &link);
                });
            }
        });
        Proxy { addr, link }
    }

    /// The partition begins: every open connection is cut for good, new ones hang.
    fn cut(&self) {
        self.link.down.store(true, Ordering::SeqCst);
        let next = self.link.next.load(Ordering::SeqCst);
        self.link.dead_below.store(next, Ordering::SeqCst);
    }

    /// The link is back: new connections go through (the old ones stay dead).
    fn restore(&self) {
        let next = self.link.next.load(Ordering::SeqCst);
        self.link.dead_below.store(next, Ordering::SeqCst);
        self.link.down.store(false, Ordering::SeqCst);
    }
}

/// Reads and drops whatever comes, until the peer closes.
fn drain(mut from: TcpStream) {
    let mut buffer = [0u8; 8192];
    while matches!(from.read(&mut buffer), Ok(n) if n > 0) {}
}

/// Forwards `from` to `to` while connection `id` is alive; once cut, drops what comes.
fn pump(mut from: TcpStream, mut to: TcpStream, id: u64, link: &Link) {
    let mut buffer = [0u8; 8192];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if id < link.dead_below.load(Ordering::SeqCst) {
            continue;
        }
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    // A live connection closes as it would directly; a cut one leaves its other end open (the
    // partition carries no FIN).
    if id >= link.dead_below.load(Ordering::SeqCst) {
        let _ = to.shutdown(Shutdown::Write);
    }
}

/// `url` with its host and port replaced by `addr`.
fn through(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let userinfo = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"))
        .unwrap_or_default();
    format!("{scheme}://{userinfo}{addr}{tail}")
}

/// The host and port of a PostgreSQL URL (numeric host, as in CI and on this machine).
fn upstream_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host_port = rest[..end]
        .rsplit_once('@')
        .map_or(&rest[..end], |(_, h)| h);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    let host_port = host_port.replace("localhost", "127.0.0.1");
    host_port.parse().expect("a numeric PostgreSQL host")
}

/// One request with a bounded wait for its answer: the answer, or `None` (no answer in time,
/// or a transport error), and how long it took.
fn timed(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
    wait: Duration,
) -> (Option<Answer>, Duration) {
    let started = Instant::now();
    let answer = connect(addr, Duration::from_secs(2))
        .ok()
        .and_then(|stream| {
            stream.set_read_timeout(Some(wait)).ok()?;
            exchange(stream, &request_bytes(addr, "GET", path, token, None, &[])).ok()
        });
    (answer, started.elapsed())
}

#[test]
fn an_instance_cut_from_postgresql_answers_in_bounded_time_and_recovers_without_restart() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let _serial = serial();
    let direct = database_url(&db);
    let proxy = Proxy::start(upstream_of(&direct));
    let statement_timeout = Duration::from_secs(2);
    let mut server = Server::start_with(
        "pg-proxied",
        &through(&direct, proxy.addr),
        &[
            ("CNFS_DB_STATEMENT_TIMEOUT", "2"),
            ("CNFS_DB_CONNECT_TIMEOUT", "2"),
            ("CNFS_DB_TCP_TIMEOUT", "4"),
            ("CNFS_DB_POOL_TIMEOUT", "3"),
            ("CNFS_DB_POOL_SIZE", "4"),
        ],
    );
    let addr = server.addr;
    let prefecture = prefecture_93();
    let signataires = structures_93(addr);
    let convention = |intitule: &str| {
        let body = json!({"departement": "93", "intitule": intitule,
                          "signataires": signataires, "postes_attribues": 2});
        created(
            http(
                addr,
                "POST",
                "/api/v1/conventions",
                Some(&prefecture),
                Some(&body),
            ),
            "convention",
        )
    };
    let blocked = convention("Coupure — en vol");
    let after = convention("Coupure — après le retour");
    // Fill the pool: the connections the partition will cut.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let (answer, _) = timed(
                    addr,
                    "/api/v1/conventions",
                    Some(&prefecture),
                    Duration::from_secs(10),
                );
                assert_eq!(answer.expect("an answer").status, 200);
            });
        }
    });

    // A write in flight inside PostgreSQL when the link drops: it waits for a row lock the test
    // holds (directly, not through the proxy).
    let mut locker = PgConnection::establish(&direct).expect("locker connection");
    locker
        .batch_execute(&format!(
            "BEGIN; SELECT id FROM conventions WHERE id = '{blocked}' FOR UPDATE"
        ))
        .expect("row lock taken");
    let in_flight = {
        let (prefecture, blocked) = (prefecture.clone(), blocked.clone());
        std::thread::spawn(move || {
            let started = Instant::now();
            let answer = http(
                addr,
                "POST",
                &format!("/api/v1/conventions/{blocked}/signature"),
                Some(&prefecture),
                Some(&json!({"date_signature": "2021-02-08"})),
            );
            (answer, started)
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    proxy.cut();
    let cut_at = Instant::now();
    locker.batch_execute("ROLLBACK").expect("row lock released");

    // In flight: an answer within the statement timeout (plus the watchdog's grace), a 503.
    let (answer, started) = in_flight.join().expect("the in-flight request");
    let took = started.elapsed();
    eprintln!("in flight at the cut: {} after {took:?}", answer.outcome());
    assert_eq!(answer.status, 503, "{}", answer.text);
    assert_eq!(answer.json["code"], "service_indisponible");
    assert!(
        took <= statement_timeout + Duration::from_millis(1500),
        "{took:?}"
    );

    // During the partition: reads answer 503 in bounded time, the process stays live.
    let mut during = Vec::new();
    while cut_at.elapsed() < Duration::from_secs(10) {
        let (answer, took) = timed(
            addr,
            "/api/v1/conventions",
            Some(&prefecture),
            Duration::from_secs(15),
        );
        let answer = answer.expect("an answer during the partition");
        assert_eq!(answer.status, 503, "{}", answer.text);
        assert_eq!(answer.json["code"], "service_indisponible");
        during.push(took);
        let (live, _) = timed(addr, "/health/live", None, Duration::from_secs(2));
        assert_eq!(live.expect("liveness answers").status, 200);
    }
    let slowest = during.iter().max().copied().unwrap_or_default();
    eprintln!(
        "during the partition: {} reads, all 503, slowest {slowest:?}",
        during.len()
    );
    assert!(slowest <= Duration::from_secs(6), "{slowest:?}");

    // The link returns: serving again within 5 s, without a restart.
    proxy.restore();
    let restored_at = Instant::now();
    let recovered = loop {
        let (answer, _) = timed(
            addr,
            "/api/v1/conventions",
            Some(&prefecture),
            Duration::from_secs(10),
        );
        if answer.is_some_and(|answer| answer.status == 200) {
            break restored_at.elapsed();
        }
        assert!(
            restored_at.elapsed() < Duration::from_secs(30),
            "not serving 30 s after the link's return; log:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!("serving again {recovered:?} after the link's return");
    assert!(recovered <= Duration::from_secs(5), "{recovered:?}");
    assert!(server.running(), "the process exited");
    let (ready, _) = timed(addr, "/health/ready", None, Duration::from_secs(5));
    assert_eq!(ready.expect("ready answers").status, 200);
    let signed = http(
        addr,
        "POST",
        &format!("/api/v1/conventions/{after}/signature"),
        Some(&prefecture),
        Some(&json!({"date_signature": "2021-02-08"})),
    );
    assert_eq!(signed.status, 200, "{}", signed.text);

    // The write cut in flight left nothing: its transaction died with its connection.
    #[derive(QueryableByName)]
    struct Statut {
        #[diesel(sql_type = diesel::sql_types::Text)]
        statut: String,
    }
    let mut statut = |id: &str| {
        diesel::sql_query(format!("SELECT statut FROM conventions WHERE id = '{id}'"))
            .get_result::<Statut>(&mut locker)
            .expect("the convention")
            .statut
    };
    assert_eq!(statut(&blocked), "brouillon");
    assert_eq!(statut(&after), "signee");
}

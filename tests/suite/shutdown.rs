//! Graceful shutdown of the real binary on PostgreSQL: on SIGTERM or SIGINT, `/health/ready`
//! answers 503 at once, new connections are refused, a write blocked on a PostgreSQL row lock
//! still completes once the lock is released, and the process exits 0.
//!
//! The lock is held by the test itself (`SELECT … FOR UPDATE` on the convention's row, in a
//! transaction of its own connection), so the write is known to be inside PostgreSQL, waiting,
//! when the signal arrives.
//!
//! And connections opened while the signal arrives are answered or refused, never reset.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::common::TestDb;
use crate::common::processus::{
    Answer, Server, connect, created, database_url, http, serial, structures_93,
};
use crate::common::scenario::prefecture_93;

/// One request on a kept-alive connection; reads one response (by its `Content-Length`), or
/// `Err` when the connection fails or closes first.
fn kept_alive(stream: &mut TcpStream, addr: SocketAddr, path: &str) -> Result<Answer, String> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|error| format!("request not sent: {error}"))?;
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => raw.push(byte[0]),
            other => return Err(format!("connection closed before the head ({other:?})")),
        }
    }
    let head = String::from_utf8(raw).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).expect("response body");
    let text = String::from_utf8(body).expect("a UTF-8 body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Answer {
        status,
        headers,
        text,
        json,
    })
}

/// Waits until a statement of the test database waits for a lock (the blocked write).
fn wait_for_lock_waiter(observer: &mut PgConnection, timeout: Duration) {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let deadline = Instant::now() + timeout;
    loop {
        let waiting = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .get_result::<Count>(observer)
        .expect("pg_stat_activity")
        .n;
        if waiting > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the write never waited for the row lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The scenario, with `signal` (SIGTERM or SIGINT).
fn a_write_blocked_in_postgresql_finishes_after(signal: libc::c_int) {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let _serial = serial();
    let url = database_url(&db);
    let mut server = Server::start_with(
        "pg",
        &url,
        &[("CNFS_SHUTDOWN_TIMEOUT", "30"), ("RUST_LOG", "info")],
    );
    let addr = server.addr;
    let prefecture = prefecture_93();
    let signataires = structures_93(addr);
    let body = json!({
        "departement": "93",
        "intitule": "Conventions — arrêt en douceur",
        "signataires": signataires,
        "postes_attribues": 4,
    });
    let id = created(
        http(
            addr,
            "POST",
            "/api/v1/conventions",
            Some(&prefecture),
            Some(&body),
        ),
        "convention",
    );

    // A load balancer's probe on a kept-alive connection, opened before the shutdown.
    let mut probe = connect(addr, Duration::from_secs(5)).expect("probe connection");
    assert_eq!(
        kept_alive(&mut probe, addr, "/health/ready")
            .unwrap()
            .status,
        200
    );

    // The test holds the convention's row lock; the signature waits for it inside PostgreSQL.
    let mut locker = PgConnection::establish(&url).expect("locker connection");
    locker
        .batch_execute(&format!(
            "BEGIN; SELECT id FROM conventions WHERE id = '{id}' FOR UPDATE"
        ))
        .expect("row lock taken");
    let writer = {
        let (prefecture, id) = (prefecture.clone(), id.clone());
        std::thread::spawn(move || {
            http(
                addr,
                "POST",
                &format!("/api/v1/conventions/{id}/signature"),
                Some(&prefecture),
                Some(&json!({"date_signature": "2021-02-08"})),
            )
        })
    };
    let mut observer = PgConnection::establish(&url).expect("observer connection");
    wait_for_lock_waiter(&mut observer, Duration::from_secs(30));

    server.signal(signal);
    let signalled = Instant::now();

    // From the signal's handling on (logged once the instance is marked stopping): not ready,
    // and the connection closes after the answer…
    while !server.log_text().contains(" reçu : arrêt en cours") {
        assert!(
            signalled.elapsed() < Duration::from_secs(5),
            "signal not handled; log:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let ready = kept_alive(&mut probe, addr, "/health/ready").unwrap_or_else(|error| {
        panic!(
            "{error}; running: {}; log:\n{}",
            server.running(),
            server.log_text()
        )
    });
    assert_eq!(ready.status, 503, "{}", ready.text);
    assert_eq!(ready.json["code"], "service_indisponible", "{}", ready.text);
    assert_eq!(ready.header("connection"), Some("close"));
    // … and no new connection is accepted.
    let refused = loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            Err(_) => break true,
            Ok(_) if signalled.elapsed() > Duration::from_secs(5) => break false,
            Ok(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert!(
        refused,
        "new connections still accepted 5 s after the signal"
    );

    // The write is still waiting, and so is the process.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        server.running(),
        "exited ({:?}) with a write in flight; log:\n{}",
        server.wait_exit(Duration::ZERO),
        server.log_text()
    );
    assert!(
        !writer.is_finished(),
        "the write answered while its row was locked"
    );
    locker.batch_execute("ROLLBACK").expect("row lock released");

    let answer = writer.join().expect("the writer thread");
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["statut"], "signee", "{}", answer.text);
    let status = server
        .wait_exit(Duration::from_secs(20))
        .unwrap_or_else(|| {
            panic!(
                "still running 20 s after the write; log:\n{}",
                server.log_text()
            )
        });
    assert_eq!(status.code(), Some(0), "log:\n{}", server.log_text());

    // What the write did is in the database.
    #[derive(QueryableByName)]
    struct Statut {
        #[diesel(sql_type = diesel::sql_types::Text)]
        statut: String,
    }
    let statut = diesel::sql_query(format!("SELECT statut FROM conventions WHERE id = '{id}'"))
        .get_result::<Statut>(&mut observer)
        .expect("the convention")
        .statut;
    assert_eq!(statut, "signee");
}

#[test]
fn sigterm_lets_a_write_blocked_in_postgresql_finish_then_exits_0() {
    a_write_blocked_in_postgresql_finishes_after(libc::SIGTERM);
}

#[test]
fn sigint_lets_a_write_blocked_in_postgresql_finish_then_exits_0() {
    a_write_blocked_in_postgresql_finishes_after(libc::SIGINT);
}

/// What one client saw around the signal: requests answered, connections refused (or whose
/// connection attempt timed out: nothing was sent), and requests cut after being sent.
struct Seen {
    answered: usize,
    refused: usize,
    cut: Vec<String>,
}

/// Opens a connection per request (`GET /health/live`, `Connection: close`) in a tight loop
/// until three connections in a row are refused after the signal, or for 20 s at most.
fn connect_in_a_loop(addr: SocketAddr, signalled: &AtomicBool) -> Seen {
    let mut seen = Seen {
        answered: 0,
        refused: 0,
        cut: Vec::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut refused_in_a_row = 0;
    while refused_in_a_row < 3 && Instant::now() < deadline {
        let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(3)) else {
            seen.refused += 1;
            if signalled.load(Ordering::Acquire) {
                refused_in_a_row += 1;
            }
            continue;
        };
        refused_in_a_row = 0;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        let mut head = [0u8; 9];
        let exchanged = stream
            .write_all(b"GET /health/live HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            .and_then(|()| stream.read_exact(&mut head));
        match exchanged {
            Ok(()) if &head == b"HTTP/1.1 " => seen.answered += 1,
            other => seen.cut.push(format!("{other:?} {head:?}")),
        }
    }
    seen
}

/// Connections opened around a SIGTERM, each carrying a request at once: every one is answered,
/// or refused at connect (a failure any client may retry safely); none is reset after its request
/// was sent. Eight clients open connections in a tight loop while the signal comes. When the
/// server paused accepting before its socket stopped listening, the connections that arrived in
/// between were reset: one per client at each signal (bench/rolling_restart.py). Independent of
/// the database: on SQLite.
#[test]
fn connections_opened_around_a_sigterm_are_answered_or_refused_never_reset() {
    let db = TestDb::sqlite();
    let _serial = serial();
    let mut server = Server::start_with("sigterm-connexions", &database_url(&db), &[]);
    let addr = server.addr;
    let signalled = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let signalled = Arc::clone(&signalled);
            std::thread::spawn(move || connect_in_a_loop(addr, &signalled))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    server.signal(libc::SIGTERM);
    signalled.store(true, Ordering::Release);
    let seen: Vec<Seen> = clients
        .into_iter()
        .map(|client| client.join().expect("a client thread"))
        .collect();

    let cut: Vec<&String> = seen.iter().flat_map(|s| &s.cut).collect();
    assert!(cut.is_empty(), "requests cut after being sent: {cut:?}");
    for (n, client) in seen.iter().enumerate() {
        assert!(client.answered > 0, "client {n} was never answered");
        assert!(client.refused >= 3, "client {n} was never refused");
    }
    let status = server
        .wait_exit(Duration::from_secs(20))
        .unwrap_or_else(|| panic!("still running 20 s after SIGTERM:\n{}", server.log_text()));
    assert_eq!(status.code(), Some(0), "log:\n{}", server.log_text());
    assert!(
        !server.log_text().contains("ERROR"),
        "log:\n{}",
        server.log_text()
    );
}

//! Graceful shutdown of the real binary on PostgreSQL: on SIGTERM or SIGINT, `/health/ready`
//! answers 503 at once, new connections are refused, a write blocked on a PostgreSQL row lock
//! still completes once the lock is released, and the process exits 0.
//!
//! The lock is held by the test itself (`SELECT … FOR UPDATE` on the convention's row, in a
//! transaction of its own connection), so the write is known to be inside PostgreSQL, waiting,
//! when the signal arrives.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::common::TestDb;
use crate::common::processus::{Answer, Server, connect, created, http, serial, structures_93};
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
    let url = crate::common::processus::database_url(&db);
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

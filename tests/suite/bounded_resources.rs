//! Bounded resources of the real binary: a request body that never arrives whole answers 408
//! `delai_depasse` after `CNFS_BODY_TIMEOUT` and writes nothing; `CNFS_MAX_CONNECTIONS` caps the
//! connections held, the next one being served only once one is freed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::TestDb;
use crate::common::processus::{Server, database_url, http, serial};
use crate::common::scenario::admin;

/// The head of an admin's `POST /api/v1/structures` announcing 1,000 bytes, and 10 of them.
fn unfinished_body(addr: std::net::SocketAddr, token: &str) -> Vec<u8> {
    format!(
        "POST /api/v1/structures HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"nom\": \"x"
    )
    .into_bytes()
}

#[test]
fn a_body_that_never_arrives_whole_answers_408_and_writes_nothing() {
    let db = TestDb::sqlite();
    let _serial = serial();
    let server = Server::start_with("sqlite", &database_url(&db), &[("CNFS_BODY_TIMEOUT", "1")]);
    let addr = server.addr;
    let token = admin();
    let mut stream = TcpStream::connect(addr).expect("connection");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let sent = Instant::now();
    stream.write_all(&unfinished_body(addr, &token)).unwrap();
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .expect("an answer, then the connection closed");
    let waited = sent.elapsed();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":\"delai_depasse\""), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    let listed = http(addr, "GET", "/api/v1/structures", Some(&token), None);
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.json["items"].as_array().map(Vec::len), Some(0));
}

#[test]
fn connections_beyond_the_cap_wait_for_one_to_be_freed() {
    let db = TestDb::sqlite();
    let _serial = serial();
    let server = Server::start_with(
        "sqlite",
        &database_url(&db),
        &[("CNFS_MAX_CONNECTIONS", "16"), ("CNFS_BODY_TIMEOUT", "3")],
    );
    let addr = server.addr;
    let token = admin();
    // Hold twice the cap's worth of connections, each with a body that never arrives whole: the
    // cap is shared among the workers and rounded up, so they hold between 16 and 16 + workers
    // - 1; the others wait in the backlog.
    let held: Vec<TcpStream> = (0..32)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).expect("connection");
            stream.write_all(&unfinished_body(addr, &token)).unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let live = http(addr, "GET", "/health/live", None, None);
    let waited = started.elapsed();
    assert_eq!(live.status, 200, "{}", live.text);
    // Served only once held connections were answered 408 (3 s after their head).
    assert!(waited >= Duration::from_millis(2000), "{waited:?}");
    drop(held);
}

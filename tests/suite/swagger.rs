//! The spec and Swagger UI as a browser meets them: `HEAD` like `GET` (over a real socket, where
//! actix-http drops the body), compression and cache headers, the French page, relative URLs
//! (for a reverse proxy that publishes the service under a sub-path).
//! The browser itself is exercised by `tests/browser/` (not run by cargo).

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use actix_web::http::header::HeaderMap;
use actix_web::{HttpServer, test};
use common::{TestDb, call, get};

const COMMITTED: &str = include_str!("../../openapi/openapi.json");
const BUNDLE: &str = "/swagger-ui/swagger-ui-bundle.js";

/// A response read off the socket: status, headers (lower-case names, in order), raw body.
struct RawAnswer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawAnswer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The headers that must not differ between two answers to the same resource (all but the
    /// date and the request id).
    fn stable_headers(&self) -> Vec<(String, String)> {
        let mut headers: Vec<_> = self
            .headers
            .iter()
            .filter(|(n, _)| n != "date" && n != "x-request-id")
            .cloned()
            .collect();
        headers.sort();
        headers
    }
}

/// One HTTP/1.1 exchange over a fresh connection (closed by the server after the answer).
fn exchange(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> RawAnswer {
    let mut stream = TcpStream::connect(addr).expect("server reachable");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("answer read");
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of the header block");
    let head = String::from_utf8(bytes[..end].to_vec()).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').expect("header line");
            (name.to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    RawAnswer {
        status: status.parse().unwrap(),
        headers,
        body: bytes[end + 4..].to_vec(),
    }
}

/// Serves the application on a free local port for the duration of `check`.
async fn with_server(check: impl FnOnce(SocketAddr) + Send + 'static) {
    let db = TestDb::sqlite();
    let state = db.state();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || cnfs_api::build_app(state.clone(), Vec::new()))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let outcome = actix_web::rt::task::spawn_blocking(move || check(addr)).await;
    handle.stop(true).await;
    drop(db);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}

#[actix_web::test]
async fn head_answers_like_get_on_the_spec_and_swagger_ui() {
    with_server(|addr| {
        for path in [
            "/api-docs/openapi.json",
            "/swagger-ui/",
            "/swagger-ui/index.html",
            "/swagger-ui/swagger-initializer.js",
            BUNDLE,
            "/swagger-ui/swagger-ui.css",
            "/swagger-ui/favicon-32x32.png",
        ] {
            let got = exchange(addr, "GET", path, &[]);
            let head = exchange(addr, "HEAD", path, &[]);
            assert_eq!(got.status, 200, "GET {path}");
            assert_eq!(head.status, 200, "HEAD {path}");
            assert!(head.body.is_empty(), "HEAD {path} sent a body");
            assert!(head.header("content-type").is_some(), "HEAD {path}");
            assert!(head.header("x-request-id").is_some(), "HEAD {path}");
            assert_eq!(
                head.header("content-length"),
                Some(got.body.len().to_string().as_str()),
                "HEAD {path}"
            );
            assert_eq!(head.stable_headers(), got.stable_headers(), "{path}");
        }
        // Compressed, the headers still agree (the length is then unknown: chunked).
        let gzip = [("Accept-Encoding", "gzip")];
        let got = exchange(addr, "GET", BUNDLE, &gzip);
        let head = exchange(addr, "HEAD", BUNDLE, &gzip);
        assert_eq!(head.header("content-encoding"), Some("gzip"));
        assert!(head.body.is_empty());
        assert_eq!(head.stable_headers(), got.stable_headers());

        // The API and the probes do not document HEAD: refused with 405 and `Allow`, as before.
        for path in ["/api/v1/regions", "/api/v1/moi", "/health/live"] {
            let head = exchange(addr, "HEAD", path, &[]);
            assert_eq!(head.status, 405, "HEAD {path}");
            assert_eq!(head.header("allow"), Some("GET"), "HEAD {path}");
            assert!(head.body.is_empty(), "HEAD {path} sent a body");
        }
    })
    .await;
}

/// A response read whole as bytes (the `common` helpers expect UTF-8 text).
async fn fetch<S, B>(
    app: &S,
    path: &str,
    accept_encoding: Option<&str>,
) -> (u16, HeaderMap, Vec<u8>)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut req = test::TestRequest::get().uri(path);
    if let Some(coding) = accept_encoding {
        req = req.insert_header(("accept-encoding", coding));
    }
    let response = test::call_service(app, req.to_request()).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = test::read_body(response).await.to_vec();
    (status, headers, body)
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

#[actix_web::test]
async fn swagger_ui_is_compressed_and_cached() {
    let db = TestDb::sqlite();
    let app = common::app(db.state()).await;

    let (status, headers, plain) = fetch(&app, BUNDLE, None).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), None);
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=86400")
    );
    assert!(plain.len() > 1_000_000, "bundle of {} bytes", plain.len());

    let mut sizes = vec![("identity", plain.len())];
    for (coding, magic) in [
        ("gzip", &[0x1f, 0x8b][..]),
        ("br", &[][..]),
        ("zstd", &[0x28, 0xb5, 0x2f, 0xfd][..]),
    ] {
        let (status, headers, body) = fetch(&app, BUNDLE, Some(coding)).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-encoding"), Some(coding));
        assert!(
            header(&headers, "vary").is_some_and(|v| v.to_lowercase().contains("accept-encoding"))
        );
        assert_eq!(
            header(&headers, "cache-control"),
            Some("public, max-age=86400")
        );
        assert!(body.starts_with(magic), "{coding} magic number");
        assert!(
            body.len() * 2 < plain.len(),
            "{coding}: {} bytes for {} plain",
            body.len(),
            plain.len()
        );
        if coding == "gzip" {
            // The gzip trailer ends with the length of what was compressed (RFC 1952 ISIZE).
            let isize = u32::from_le_bytes(body[body.len() - 4..].try_into().unwrap());
            assert_eq!(isize as usize, plain.len(), "gzip ISIZE");
        }
        sizes.push((coding, body.len()));
    }
    eprintln!("{BUNDLE}: {sizes:?}");

    for path in [
        "/swagger-ui/swagger-ui.css",
        "/swagger-ui/swagger-ui-standalone-preset.js",
        "/swagger-ui/index.css",
        "/swagger-ui/favicon-16x16.png",
    ] {
        let (status, headers, _) = fetch(&app, path, None).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            header(&headers, "cache-control"),
            Some("public, max-age=86400"),
            "{path}"
        );
    }
    // What changes with the configuration or a release is revalidated on every use.
    for path in [
        "/swagger-ui/",
        "/swagger-ui/index.html",
        "/swagger-ui/swagger-initializer.js",
        "/api-docs/openapi.json",
    ] {
        let (status, headers, _) = fetch(&app, path, Some("gzip")).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            header(&headers, "cache-control"),
            Some("no-cache"),
            "{path}"
        );
        assert_eq!(header(&headers, "content-encoding"), Some("gzip"), "{path}");
    }
    // An image is not compressed (it already is).
    let (_, headers, _) = fetch(&app, "/swagger-ui/favicon-32x32.png", Some("gzip")).await;
    assert_eq!(header(&headers, "content-encoding"), None);
}

#[actix_web::test]
async fn problems_are_never_compressed() {
    let db = TestDb::sqlite();
    let app = common::app(db.state()).await;
    for path in ["/swagger-ui/nothing-here.js", "/api/v1/regions/00"] {
        let req = test::TestRequest::get()
            .uri(path)
            .insert_header(("accept-encoding", "gzip"))
            .to_request();
        let answer = call(&app, req).await;
        assert_eq!(answer.status, 404, "{path}");
        assert!(answer.headers.get("content-encoding").is_none(), "{path}");
        assert!(answer.json["code"].is_string(), "{path}: {}", answer.text);
    }
    // No offered coding acceptable: `Compress` refuses with 406, as a problem like any error.
    let req = test::TestRequest::get()
        .uri("/api/v1/regions")
        .insert_header(("accept-encoding", "identity;q=0, *;q=0"))
        .to_request();
    call(&app, req).await.assert_problem(406, "non_acceptable");
}

#[actix_web::test]
async fn swagger_ui_page_is_french_and_titled() {
    let db = TestDb::sqlite();
    let app = common::app(db.state()).await;
    for path in ["/swagger-ui/", "/swagger-ui/index.html"] {
        let answer = get(&app, path).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("content-type"), "text/html; charset=utf-8");
        assert!(
            answer.text.contains("<html lang=\"fr\">"),
            "{}",
            answer.text
        );
        assert!(
            answer.text.contains("<title>cnfs-api</title>"),
            "{}",
            answer.text
        );
        assert!(!answer.text.contains("Swagger UI</title>"));
        // Still the vendored page, with its relative asset links.
        assert!(answer.text.contains("src=\"./swagger-ui-bundle.js\""));
    }
}

#[actix_web::test]
async fn swagger_ui_uses_only_relative_urls() {
    let db = TestDb::sqlite();
    let app = common::app(db.state()).await;

    // Behind a proxy that strips `/cnfs`, `/cnfs/swagger-ui` must lead to `/cnfs/swagger-ui/`.
    let answer = get(&app, "/swagger-ui").await;
    assert_eq!(answer.status.as_u16(), 307);
    assert_eq!(answer.header("location"), "swagger-ui/");

    // The page fetches the spec relatively to itself, and never asks an online validator.
    let answer = get(&app, "/swagger-ui/swagger-initializer.js").await;
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .text
            .contains("\"url\": \"../api-docs/openapi.json\""),
        "{}",
        answer.text
    );
    assert!(!answer.text.contains("\"/api-docs/"));
    assert!(
        answer.text.contains("\"validatorUrl\": \"none\""),
        "{}",
        answer.text
    );

    // The spec's server is relative to the spec's own location (`..` from `/api-docs/`), so that
    // Swagger UI's "Execute" goes through the same prefix; and the served bytes are the committed
    // file's, whatever the configuration.
    let answer = get(&app, "/api-docs/openapi.json").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), "application/json");
    assert!(
        answer.text == COMMITTED,
        "served spec != openapi/openapi.json"
    );
    assert_eq!(answer.json["servers"][0]["url"], "..");
}

//! Metrics, access lines and the rate limit (issue 29 §6, §7).
//!
//! - The metrics listener serves the Prometheus text at `/metrics`, the public app never does;
//!   requests are counted by route template and status class (never the raw path), tokens
//!   refused by code, the pool's connections and the business gauges (read once a minute) are
//!   there.
//! - Each request's access line carries its id, method, route template, status, duration and the
//!   caller's `sub` and role, and never a token, a query string or a body.
//! - `CNFS_RATE_LIMIT`: the (N+1)-th request of a caller within the minute is a 429 problem with
//!   `Retry-After`; another caller is unaffected; anonymous requests count by IP address.
//! - The real binary wires all three: `CNFS_METRICS_BIND`, `CNFS_LOG_FORMAT=json`,
//!   `CNFS_RATE_LIMIT`.

use std::net::SocketAddr;
use std::sync::{Mutex, Once};

use actix_web::test::{TestRequest, init_service};
use actix_web::web;
use cnfs_api::auth::Role;
use cnfs_api::auth::mint::{TokenRequest, mint};
use cnfs_api::http::metrics::{MetricsEndpoint, metrics_app};
use cnfs_api::logging::{ACCESS_TARGET, json_line};
use cnfs_api::metrics::install_recorder;
use serde_json::{Value, json};

use crate::common::processus::{Server, database_url, free_port, http, serial};
use crate::common::scenario::{self, admin, prefecture_93};
use crate::common::{self, TestApp, TestDb, test_keys};

/// A sample's value: the line `name{labels…} value` whose labels include every `labels` pair.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let rest = series.strip_prefix(name)?;
        let found: Vec<(String, String)> = match rest {
            "" => Vec::new(),
            _ => rest
                .strip_prefix('{')?
                .strip_suffix('}')?
                .split("\",")
                .filter_map(|pair| {
                    let (key, value) = pair.split_once("=\"")?;
                    Some((key.to_owned(), value.trim_end_matches('"').to_owned()))
                })
                .collect(),
        };
        labels
            .iter()
            .all(|(k, v)| found.iter().any(|(fk, fv)| fk == k && fv == v))
            .then(|| value.parse().ok())?
    })
}

/// A token of `role` for the subject `sub`.
fn token_for(role: Role, sub: &str) -> String {
    let request = TokenRequest {
        role,
        departements: Vec::new(),
        structure_id: None,
        sub: sub.to_owned(),
        ttl_seconds: 3600,
    };
    mint(&test_keys(), None, &request).expect("a token")
}

async fn the_metrics_listener_serves_the_series_and_the_public_port_does_not(db: TestDb) {
    let handle = install_recorder().expect("the recorder installs");
    let today = scenario::TODAY.parse().unwrap();
    let state = db.state().with_today(Some(today));
    let app = TestApp::over(state.clone()).await;
    let metrics = init_service(metrics_app(web::Data::new(MetricsEndpoint::new(
        handle, state,
    ))))
    .await;
    let scrape = || async {
        let answer = common::call(&metrics, TestRequest::get().uri("/metrics").to_request()).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(
            answer.header("content-type"),
            "text/plain; version=0.0.4; charset=utf-8"
        );
        answer.text
    };

    // Business: one convention in execution, one advisor in post.
    let ids = scenario::structures(&app).await;
    let convention = scenario::convention(&app, &ids, (2, 1), true).await;
    let statut = app
        .as_(admin())
        .get(&format!("/api/v1/conventions/{convention}"))
        .await
        .json["statut"]
        .as_str()
        .unwrap()
        .to_owned();
    let lieu = scenario::lieu(&app, &ids[0], "Médiathèque", "93001", "93300").await;
    scenario::advisor_en_poste(&app, &convention, &ids[0], &lieu, 1).await;

    // A read by id with a query string, a path no route matches, a forged token.
    let read = app
        .as_(admin())
        .get(&format!("/api/v1/conventions/{convention}?q=Dupont"))
        .await;
    assert!(read.status == 200 || read.status == 400, "{}", read.text);
    let read_class = format!("{}xx", read.status.as_u16() / 100);
    app.anonymous()
        .get("/api/v1/nulle-part-9f3c")
        .await
        .assert_problem(404, "route_inconnue");
    let forged = app.as_("forged").get("/api/v1/conventions").await;
    assert_eq!(forged.status, 401, "{}", forged.text);
    let refused_code = forged.json["code"].as_str().unwrap().to_owned();
    // The public port does not serve the metrics.
    app.anonymous()
        .get("/metrics")
        .await
        .assert_problem(404, "route_inconnue");

    let text = scrape().await;
    let by_id = [
        ("method", "GET"),
        ("route", "/api/v1/conventions/{id}"),
        ("status_class", read_class.as_str()),
    ];
    assert!(
        sample(&text, "cnfs_http_requests_total", &by_id).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(&text, "cnfs_http_request_duration_seconds_count", &by_id).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    let mut bucket = by_id.to_vec();
    bucket.push(("le", "+Inf"));
    assert!(
        sample(&text, "cnfs_http_request_duration_seconds_bucket", &bucket).is_some(),
        "{text}"
    );
    let created = [
        ("method", "POST"),
        ("route", "/api/v1/conventions"),
        ("status_class", "2xx"),
    ];
    assert!(sample(&text, "cnfs_http_requests_total", &created).is_some_and(|n| n >= 1.0));
    let unmatched = [("route", "unmatched"), ("status_class", "4xx")];
    assert!(sample(&text, "cnfs_http_requests_total", &unmatched).is_some_and(|n| n >= 1.0));
    // Never a raw path: neither the unmatched one, nor an id, nor a query.
    for raw in ["nulle-part", convention.as_str(), "Dupont"] {
        assert!(!text.contains(raw), "{raw} in the metrics:\n{text}");
    }
    assert!(
        sample(
            &text,
            "cnfs_auth_refused_total",
            &[("code", refused_code.as_str())]
        )
        .is_some_and(|n| n >= 1.0),
        "{refused_code}: {text}"
    );
    // This state's pool (4 connections in tests).
    assert!(sample(&text, "cnfs_db_pool_connections", &[("state", "in_use")]).is_some());
    assert!(sample(&text, "cnfs_db_pool_connections", &[("state", "idle")]).is_some());
    assert_eq!(
        sample(&text, "cnfs_db_pool_max_connections", &[]),
        Some(4.0)
    );
    assert!(sample(&text, "cnfs_http_requests_in_flight", &[]).is_some());
    // Business gauges, from this database.
    assert_eq!(
        sample(&text, "cnfs_conventions", &[("statut", statut.as_str())]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "cnfs_conventions", &[("statut", "brouillon")]),
        Some(0.0)
    );
    assert_eq!(
        sample(&text, "cnfs_conseillers", &[("statut", "en_poste")]),
        Some(1.0)
    );
    for nature in cnfs_api::domain::financement::NatureEnveloppe::ALL {
        assert_eq!(
            sample(
                &text,
                "cnfs_financement_engage_centimes",
                &[("nature", nature.as_str())]
            ),
            Some(0.0),
            "{text}"
        );
    }
    assert!(sample(&text, "cnfs_metier_lu_timestamp_seconds", &[]).is_some_and(|t| t > 0.0));

    // Read once a minute at most: a second convention shows at the next read, not this scrape.
    scenario::convention(&app, &ids, (1, 1), true).await;
    let again = scrape().await;
    assert_eq!(
        sample(&again, "cnfs_conventions", &[("statut", statut.as_str())]),
        Some(1.0)
    );
    // The listener serves nothing else.
    let other = common::call(
        &metrics,
        TestRequest::get().uri("/api/v1/regions").to_request(),
    )
    .await;
    assert_eq!(other.status, 404);
}

/// The access lines logged in this process, as JSON lines (a logger installed once).
fn access_lines() -> &'static Mutex<Vec<String>> {
    static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());
    static INSTALL: Once = Once::new();
    struct Capture;
    impl log::Log for Capture {
        fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
            metadata.target() == ACCESS_TARGET
        }
        fn log(&self, record: &log::Record<'_>) {
            if self.enabled(record.metadata()) {
                let line = json_line("t", record);
                LINES.lock().unwrap().push(line);
            }
        }
        fn flush(&self) {}
    }
    INSTALL.call_once(|| {
        log::set_logger(&Capture).expect("no other logger in the test binary");
        log::set_max_level(log::LevelFilter::Info);
    });
    &LINES
}

/// The access line of the request `id`.
fn access_line(id: &str) -> (String, Value) {
    let lines = access_lines().lock().unwrap();
    let found: Vec<&String> = lines
        .iter()
        .filter(|line| serde_json::from_str::<Value>(line).unwrap()["request_id"] == id)
        .collect();
    assert_eq!(found.len(), 1, "one access line for {id}: {found:?}");
    (
        found[0].clone(),
        serde_json::from_str(found[0]).expect("JSON"),
    )
}

async fn the_access_line_names_the_route_and_the_caller_and_nothing_personal(db: TestDb) {
    access_lines();
    let app = TestApp::on(&db).await;
    let run = uuid::Uuid::now_v7().simple().to_string();
    let token = admin();
    // An authenticated read by id, with a query string naming someone.
    let read_id = format!("lecture-{run}");
    let absent = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f99";
    let read = app
        .as_(&token)
        .header("x-request-id", &read_id)
        .get(&format!("/api/v1/conventions/{absent}?q=Dupont"))
        .await;
    let (text, line) = access_line(&read_id);
    assert_eq!(line["method"], "GET");
    assert_eq!(line["route"], "/api/v1/conventions/{id}");
    assert_eq!(line["status"], read.status.as_u16());
    assert!(line["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    assert_eq!(line["sub"], "test-admin");
    assert_eq!(line["role"], "admin");
    assert_eq!(line["target"], ACCESS_TARGET);
    for secret in [
        token.as_str(),
        token.rsplit('.').next().unwrap(),
        "Dupont",
        absent,
        "?",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // A write: the body never shows.
    let write_id = format!("ecriture-{run}");
    let created = app
        .as_(prefecture_93())
        .header("x-request-id", &write_id)
        .post(
            "/api/v1/structures",
            json!({"siret": common::siret_for("219300019"), "nom": "Marqueur-Corps-Secret", "type": "commune", "code_insee": "93001"}),
        )
        .await;
    let (text, line) = access_line(&write_id);
    assert_eq!(line["method"], "POST");
    assert_eq!(line["route"], "/api/v1/structures");
    assert_eq!(line["status"], created.status.as_u16());
    assert_eq!(line["sub"], "test-prefecture");
    assert_eq!(line["role"], "prefecture");
    assert!(!text.contains("Marqueur-Corps-Secret"), "{text}");
    // Anonymous: no caller. A token refused: no caller either, and the token never shows.
    let anonymous_id = format!("anonyme-{run}");
    let regions = app
        .anonymous()
        .header("x-request-id", &anonymous_id)
        .get("/api/v1/regions")
        .await;
    assert_eq!(regions.status, 200);
    let (_, line) = access_line(&anonymous_id);
    assert_eq!(line["route"], "/api/v1/regions");
    assert_eq!(line["status"], 200);
    assert!(
        line.get("sub").is_none() && line.get("role").is_none(),
        "{line}"
    );
    let forged_id = format!("refuse-{run}");
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    let refused = app
        .as_(forged)
        .header("x-request-id", &forged_id)
        .get("/api/v1/conventions")
        .await;
    assert_eq!(refused.status, 401);
    let (text, line) = access_line(&forged_id);
    assert_eq!(line["status"], 401);
    assert!(line.get("sub").is_none(), "{line}");
    assert!(!text.contains("eyJ"), "{text}");
    // A token in the query string: refused, and the line has neither it nor the query.
    let query_id = format!("jeton-url-{run}");
    app.anonymous()
        .header("x-request-id", &query_id)
        .get(&format!("/api/v1/regions?access_token={token}"))
        .await
        .assert_problem(400, "jeton_dans_url");
    let (text, line) = access_line(&query_id);
    assert_eq!(line["route"], "/api/v1/regions");
    assert!(
        !text.contains("access_token") && !text.contains("eyJ"),
        "{text}"
    );
}

async fn the_rate_limit_counts_per_caller(db: TestDb) {
    let limit = std::num::NonZeroU32::new(3);
    let app = TestApp::over(db.state().with_rate_limit(limit)).await;
    let run = uuid::Uuid::now_v7().simple().to_string();
    let one = token_for(Role::Lecteur, &format!("appelant-a-{run}"));
    let other = token_for(Role::Lecteur, &format!("appelant-b-{run}"));
    for _ in 0..3 {
        let ok = app.as_(&one).get("/api/v1/conventions").await;
        assert_eq!(ok.status, 200, "{}", ok.text);
    }
    let over = app.as_(&one).get("/api/v1/conventions").await;
    over.assert_problem(429, "trop_de_requetes");
    assert_eq!(over.header("content-type"), "application/problem+json");
    let retry: u64 = over.header("retry-after").parse().expect("whole seconds");
    // 3 a minute: the next one comes 20 s after the first.
    assert!((1..=20).contains(&retry), "{retry}");
    assert!(over.json["request_id"].is_string(), "{}", over.text);
    assert_eq!(over.json["status"], 429);
    // Whatever the route: the limit is the caller's.
    app.as_(&one)
        .get("/api/v1/regions")
        .await
        .assert_problem(429, "trop_de_requetes");
    // Another caller is unaffected.
    let ok = app.as_(&other).get("/api/v1/conventions").await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    // The health probes are never limited.
    for _ in 0..5 {
        let live = app.as_(&one).get("/health/live").await;
        assert_eq!(live.status, 200, "{}", live.text);
    }
    // Anonymous requests count by IP address; so do requests whose token is refused.
    let from = |ip: &str, token: Option<&str>| {
        let mut req = TestRequest::get()
            .uri("/api/v1/conventions")
            .peer_addr(SocketAddr::new(ip.parse().unwrap(), 40000));
        if let Some(token) = token {
            req = req.insert_header(("authorization", format!("Bearer {token}")));
        }
        req.to_request()
    };
    for _ in 0..3 {
        common::call(&app, from("10.0.0.1", None))
            .await
            .assert_problem(401, "jeton_absent");
    }
    common::call(&app, from("10.0.0.1", None))
        .await
        .assert_problem(429, "trop_de_requetes");
    common::call(&app, from("10.0.0.2", None))
        .await
        .assert_problem(401, "jeton_absent");
    for _ in 0..3 {
        let refused = common::call(&app, from("10.0.0.3", Some("forged"))).await;
        assert_eq!(refused.status, 401, "{}", refused.text);
    }
    common::call(&app, from("10.0.0.3", Some("forged")))
        .await
        .assert_problem(429, "trop_de_requetes");
    // Off by default: the same burst passes.
    let unlimited = TestApp::on(&db).await;
    for _ in 0..10 {
        assert_eq!(unlimited.as_(&one).get("/api/v1/regions").await.status, 200);
    }
}

on_both_backends!(
    the_metrics_listener_serves_the_series_and_the_public_port_does_not,
    the_access_line_names_the_route_and_the_caller_and_nothing_personal,
    the_rate_limit_counts_per_caller,
);

/// The binary: metrics on their own port (not the public one), JSON access lines, the limit.
fn the_binary_wires_metrics_json_logs_and_the_limit(db: &TestDb) {
    let metrics_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let server = Server::start_with(
        "observabilite",
        &database_url(db),
        &[
            ("CNFS_METRICS_BIND", &metrics_addr.to_string()),
            ("CNFS_LOG_FORMAT", "json"),
            ("CNFS_RATE_LIMIT", "5"),
            ("RUST_LOG", "info"),
        ],
    );
    let token = admin();
    let listed = http(
        server.addr,
        "GET",
        "/api/v1/conventions?q=Dupont",
        Some(&token),
        None,
    );
    assert!(
        listed.status == 200 || listed.status == 400,
        "{}",
        listed.text
    );
    let public = http(server.addr, "GET", "/metrics", None, None);
    assert_eq!(public.status, 404, "{}", public.text);
    let scraped = http(metrics_addr, "GET", "/metrics", None, None);
    assert_eq!(scraped.status, 200, "{}", scraped.text);
    let class = format!("{}xx", listed.status / 100);
    assert!(
        sample(
            &scraped.text,
            "cnfs_http_requests_total",
            &[
                ("route", "/api/v1/conventions"),
                ("status_class", class.as_str())
            ]
        )
        .is_some_and(|n| n >= 1.0),
        "{}",
        scraped.text
    );
    assert!(
        sample(
            &scraped.text,
            "cnfs_conventions",
            &[("statut", "brouillon")]
        )
        .is_some()
    );
    // The limit: 5 a minute for this admin (one request already counted, the health probes
    // not).
    let answers: Vec<u16> = (0..5)
        .map(|_| http(server.addr, "GET", "/api/v1/regions", Some(&token), None).status)
        .collect();
    assert_eq!(answers, [200, 200, 200, 200, 429]);
    // Every line of the log is JSON; the access lines carry the route and the caller, never the
    // token nor the query.
    let log = server.log_text();
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let access: Vec<&Value> = lines
        .iter()
        .filter(|line| line["target"] == ACCESS_TARGET)
        .collect();
    assert!(
        access
            .iter()
            .any(|line| line["route"] == "/api/v1/conventions"
                && line["sub"] == "test-admin"
                && line["role"] == "admin"
                && line["status"] == listed.status),
        "{log}"
    );
    assert!(access.iter().any(|line| line["status"] == 429), "{log}");
    assert!(!log.contains(&token) && !log.contains("Dupont"), "{log}");
}

#[test]
fn the_binary_wires_metrics_json_logs_and_the_limit_sqlite() {
    let db = TestDb::sqlite();
    let _serial = serial();
    the_binary_wires_metrics_json_logs_and_the_limit(&db);
}

#[test]
fn the_binary_wires_metrics_json_logs_and_the_limit_postgres() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let _serial = serial();
    the_binary_wires_metrics_json_logs_and_the_limit(&db);
}

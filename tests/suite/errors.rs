//! Errors as problems: actix's own failures, unknown routes, wrong methods, request ids.
//! These do not depend on the backend: they run on SQLite.

use crate::common;

use actix_web::{HttpResponse, test, web};
use common::{TestDb, call, get};

/// The application plus one JSON route (test-only) that uses the application's JSON settings,
/// so that body failures can be exercised before any product endpoint takes a body.
async fn app_with_json_probe(
    db: &TestDb,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    async fn probe(body: web::Json<serde_json::Value>) -> HttpResponse {
        HttpResponse::Ok().json(body.into_inner())
    }
    test::init_service(
        cnfs_api::build_app(db.state(), Vec::new()).route("/test/json", web::post().to(probe)),
    )
    .await
}

#[actix_web::test]
async fn unknown_route_is_a_404_problem() {
    let db = TestDb::sqlite();
    let app = app_with_json_probe(&db).await;
    let answer = get(&app, "/api/v1/nothing-here").await;
    answer.assert_problem(404, "route_inconnue");
    assert_eq!(answer.json["instance"], "/api/v1/nothing-here");
}

#[actix_web::test]
async fn wrong_method_is_a_405_with_allow() {
    let db = TestDb::sqlite();
    let app = app_with_json_probe(&db).await;
    for (method, uri) in [
        ("DELETE", "/api/v1/regions"),
        ("POST", "/api/v1/communes/93066"),
        ("PUT", "/health/live"),
        ("PATCH", "/api/v1/epci/200057867"),
    ] {
        let req = test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(uri)
            .to_request();
        let answer = call(&app, req).await;
        answer.assert_problem(405, "methode_non_autorisee");
        assert_eq!(answer.header("allow"), "GET", "{method} {uri}");
    }
}

#[actix_web::test]
async fn malformed_json_is_a_400_problem() {
    let db = TestDb::sqlite();
    let app = app_with_json_probe(&db).await;
    let req = test::TestRequest::post()
        .uri("/test/json")
        .insert_header(("content-type", "application/json"))
        .set_payload("{\"a\": ")
        .to_request();
    let answer = call(&app, req).await;
    answer.assert_problem(400, "corps_invalide");
    assert!(
        answer.json["detail"]
            .as_str()
            .unwrap()
            .contains("JSON mal formé")
    );

    // The probe echoes valid JSON: the configuration does not refuse good bodies.
    let req = test::TestRequest::post()
        .uri("/test/json")
        .set_json(serde_json::json!({"a": 1}))
        .to_request();
    let answer = call(&app, req).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json, serde_json::json!({"a": 1}));
}

#[actix_web::test]
async fn wrong_content_type_is_a_415_problem() {
    let db = TestDb::sqlite();
    let app = app_with_json_probe(&db).await;
    let req = test::TestRequest::post()
        .uri("/test/json")
        .insert_header(("content-type", "text/plain"))
        .set_payload("{\"a\": 1}")
        .to_request();
    call(&app, req)
        .await
        .assert_problem(415, "type_de_contenu_non_supporte");
}

#[actix_web::test]
async fn body_over_64_kib_is_a_413_problem() {
    let db = TestDb::sqlite();
    let app = app_with_json_probe(&db).await;
    let big = format!("{{\"a\": \"{}\"}}", "x".repeat(64 * 1024));
    let req = test::TestRequest::post()
        .uri("/test/json")
        .insert_header(("content-type", "application/json"))
        .set_payload(big)
        .to_request();
    call(&app, req)
        .await
        .assert_problem(413, "corps_trop_volumineux");
}

#[actix_web::test]
async fn request_id_is_echoed_or_generated() {
    let db = TestDb::sqlite();
    let app = app_with_json_probe(&db).await;
    let req = test::TestRequest::get()
        .uri("/api/v1/regions/11")
        .insert_header(("x-request-id", "portail-42"))
        .to_request();
    let answer = call(&app, req).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("x-request-id"), "portail-42");

    // A generated id is a UUID, different on every request; problems carry it too.
    let first = get(&app, "/api/v1/regions/00").await;
    let second = get(&app, "/api/v1/regions/00").await;
    first.assert_problem(404, "ressource_introuvable");
    assert_ne!(first.header("x-request-id"), second.header("x-request-id"));
    assert!(uuid::Uuid::parse_str(first.header("x-request-id")).is_ok());

    // An id unfit for logs (spaces, quotes, too long) is replaced.
    let req = test::TestRequest::get()
        .uri("/health/live")
        .insert_header(("x-request-id", "a b \"c\""))
        .to_request();
    let answer = call(&app, req).await;
    assert!(uuid::Uuid::parse_str(answer.header("x-request-id")).is_ok());
}

#[actix_web::test]
async fn unavailable_database_is_a_503_problem() {
    // A pool over a database that cannot be opened: every database read answers 503 quickly.
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, b"").unwrap();
    let url = cnfs_api::db::DatabaseUrl::Sqlite(blocker.join("cnfs.sqlite3"));
    let pool = cnfs_api::db::build_pool(&url, 1, std::time::Duration::from_millis(300));
    let state = common::state_with(pool, false);
    let app = common::app(state).await;
    let answer = get(&app, "/api/v1/regions").await;
    answer.assert_problem(503, "service_indisponible");
    assert_eq!(answer.header("retry-after"), "5");
    get(&app, "/health/ready")
        .await
        .assert_problem(503, "service_indisponible");
    // Liveness does not touch the database.
    assert_eq!(get(&app, "/health/live").await.status, 200);
}

#[actix_web::test]
async fn ready_waits_for_the_startup_sequence() {
    let db = TestDb::sqlite();
    let state = db.state();
    state
        .ready
        .store(false, std::sync::atomic::Ordering::Release);
    let app = common::app(state.clone()).await;
    get(&app, "/health/ready")
        .await
        .assert_problem(503, "service_indisponible");
    state.mark_ready();
    let answer = get(&app, "/health/ready").await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json,
        serde_json::json!({"status": "ok", "base": "sqlite"})
    );
}

#[actix_web::test]
async fn cors_allows_only_configured_origins() {
    let db = TestDb::sqlite();
    let app = test::init_service(cnfs_api::build_app(
        db.state(),
        vec!["https://portail.example.fr".to_owned()],
    ))
    .await;
    let req = test::TestRequest::get()
        .uri("/api/v1/regions/11")
        .insert_header(("origin", "https://portail.example.fr"))
        .to_request();
    let answer = call(&app, req).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        "https://portail.example.fr"
    );
    let exposed = answer
        .header("access-control-expose-headers")
        .to_lowercase();
    for header in ["etag", "location", "link", "x-request-id", "retry-after"] {
        assert!(exposed.contains(header), "{header} not exposed: {exposed}");
    }

    // Without configured origins, no CORS header is ever sent.
    let db = TestDb::sqlite();
    let app = common::app(db.state()).await;
    let req = test::TestRequest::get()
        .uri("/api/v1/regions/11")
        .insert_header(("origin", "https://ailleurs.example.com"))
        .to_request();
    let answer = call(&app, req).await;
    assert_eq!(answer.status, 200);
    assert!(answer.headers.get("access-control-allow-origin").is_none());
}

//! The headers every response carries (`X-Content-Type-Options`, and `Cache-Control: no-store`
//! when the request carries a token), and the one token a request may carry.

use actix_web::test;

use crate::common;
use common::scenario::admin;
use common::{TestApp, TestDb};

async fn nosniff_on_every_response_and_no_store_for_callers(db: TestDb) {
    let app = TestApp::on(&db).await;
    // Anonymous: nosniff, and the caching is the handler's (none here).
    let public = app.anonymous().get("/api/v1/regions").await;
    assert_eq!(public.status, 200, "{}", public.text);
    assert_eq!(public.header("x-content-type-options"), "nosniff");
    assert!(public.headers.get("cache-control").is_none());
    let unknown = app.anonymous().get("/api/v1/nulle-part").await;
    unknown.assert_problem(404, "route_inconnue");
    assert_eq!(unknown.header("x-content-type-options"), "nosniff");
    // With a token: no-store, on an answer and on a refusal.
    let list = app.as_(admin()).get("/api/v1/conventions").await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.header("cache-control"), "no-store");
    assert_eq!(list.header("x-content-type-options"), "nosniff");
    let absent = app
        .as_(admin())
        .get("/api/v1/conventions/01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f99")
        .await;
    assert_eq!(absent.status, 404, "{}", absent.text);
    assert_eq!(absent.header("cache-control"), "no-store");
    // A public answer that says how long it may be kept keeps saying it, token or not.
    let statistics = app.as_(admin()).get("/api/v1/statistiques").await;
    assert_eq!(statistics.status, 200, "{}", statistics.text);
    assert_eq!(statistics.header("cache-control"), "public, max-age=60");
}

async fn two_authorization_headers_are_refused(db: TestDb) {
    let app = TestApp::on(&db).await;
    // A valid token then a forged one: the request is ambiguous, whichever comes first.
    for tokens in [
        [format!("Bearer {}", admin()), "Bearer forged".to_owned()],
        ["Bearer forged".to_owned(), format!("Bearer {}", admin())],
    ] {
        let [first, second] = tokens;
        let request = test::TestRequest::get()
            .uri("/api/v1/conventions")
            .append_header(("authorization", first))
            .append_header(("authorization", second))
            .to_request();
        let answer = common::call(&app, request).await;
        answer.assert_problem(400, "parametre_invalide");
        assert_eq!(answer.json["errors"][0]["parameter"], "Authorization");
    }
    // One token alone still passes.
    let alone = app.as_(admin()).get("/api/v1/conventions").await;
    assert_eq!(alone.status, 200, "{}", alone.text);
}

on_both_backends!(
    nosniff_on_every_response_and_no_store_for_callers,
    two_authorization_headers_are_refused,
);

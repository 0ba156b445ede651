//! `Idempotency-Key` over HTTP, before any domain resource exists: a test-only route creates a
//! région through `AppState::write_once`, as a creating POST will.

use crate::common;

use actix_web::{HttpResponse, test, web};
use cnfs_api::auth::{Caller, Role};
use cnfs_api::db::schema::regions;
use cnfs_api::error::ApiError;
use cnfs_api::http::AppState;
use cnfs_api::http::idempotency::{Idempotency, Reply};
use common::{TestDb, call, token};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct NewRegion {
    code: String,
    nom: String,
}

/// The probe: one insert per request actually executed (a second insert of the same code would
/// be refused by the primary key with 409 `deja_existant`).
async fn create_region(
    state: web::Data<AppState>,
    caller: Caller,
    once: Idempotency,
    body: web::Json<NewRegion>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = once.request(&caller, &body)?;
    state
        .write_once(request, move |tx| {
            diesel::insert_into(regions::table)
                .values((
                    regions::code.eq(&body.code),
                    regions::nom.eq(&body.nom),
                    regions::zone.eq("metro"),
                ))
                .execute(tx.conn())?;
            Reply::created(format!("/api/v1/regions/{}", body.code), &body)
        })
        .await
}

async fn post(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
    >,
    token: &str,
    key: Option<&str>,
    body: serde_json::Value,
) -> common::Answer {
    let mut req = test::TestRequest::post()
        .uri("/test/regions")
        .insert_header(("authorization", format!("Bearer {token}")))
        .set_json(body);
    if let Some(key) = key {
        req = req.insert_header(("idempotency-key", key));
    }
    call(app, req.to_request()).await
}

async fn the_same_request_under_one_key_runs_once(db: TestDb) {
    let app = test::init_service(
        cnfs_api::build_app(db.state(), Vec::new())
            .route("/test/regions", web::post().to(create_region)),
    )
    .await;
    let admin = token(Role::Admin, &[], None);
    let body = serde_json::json!({"code": "64", "nom": "Région d'essai"});

    let first = post(&app, &admin, Some("cle-1"), body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.header("location"), "/api/v1/regions/64");
    assert_eq!(first.json, body);

    // Replayed: same status, body and Location; the insert did not run again (it would be a 409).
    let again = post(&app, &admin, Some("\"cle-1\""), body.clone()).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.header("location"), "/api/v1/regions/64");
    assert_eq!(again.json, body);

    // The same key for another request: 422.
    let other = post(
        &app,
        &admin,
        Some("cle-1"),
        serde_json::json!({"code": "65", "nom": "Autre"}),
    )
    .await;
    other.assert_problem(422, "cle_idempotence_reutilisee");

    // Without a key the request runs: here it meets the primary key (409 deja_existant).
    let unkeyed = post(&app, &admin, None, body.clone()).await;
    unkeyed.assert_problem(409, "deja_existant");
    // Keys belong to their caller: another caller's "cle-1" is a new request.
    let prefecture = token(Role::Prefecture, &["93"], None);
    let theirs = post(&app, &prefecture, Some("cle-1"), body.clone()).await;
    theirs.assert_problem(409, "deja_existant");

    // A refused effect leaves the key free: after the conflict is gone, the same key succeeds.
    let refused = post(&app, &admin, Some("cle-2"), body.clone()).await;
    refused.assert_problem(409, "deja_existant");
    let mut conn = db.conn();
    diesel::delete(regions::table.find("64"))
        .execute(&mut conn)
        .unwrap();
    let retried = post(&app, &admin, Some("cle-2"), body.clone()).await;
    assert_eq!(retried.status, 201, "{}", retried.text);
    let stored: i64 = regions::table
        .filter(regions::code.eq("64"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(stored, 1);

    // A malformed key is a 400 naming the header.
    for bad in ["a b", &"x".repeat(256)] {
        let answer = post(&app, &admin, Some(bad), body.clone()).await;
        answer.assert_problem(400, "parametre_invalide");
        assert_eq!(answer.faulty_parameters(), ["Idempotency-Key"]);
    }
}

on_both_backends!(the_same_request_under_one_key_runs_once);

//! Inputs that never reach the database unchecked (issue 29 §2), on both backends: a control
//! character in a query, path, header or body is refused by the extractors with
//! `caractere_interdit` naming it, and nothing is written; line breaks are text only in free-text
//! members; a token in the query string is refused. The walk over every operation of the spec is
//! in `access_matrix.rs` (`no_bad_byte_reaches_*`).

use crate::common;

use common::scenario::{admin, post};
use common::{TestApp, TestDb, count, siret_for};
use serde_json::json;

fn structure_body(nom: &str) -> serde_json::Value {
    json!({"siret": siret_for("219300019"), "nom": nom, "type": "commune", "code_insee": "93001"})
}

async fn control_characters_are_refused_where_they_come_in(db: TestDb) {
    let app = TestApp::on(&db).await;
    // Body: 422 with the pointer, nothing written (before: 500 on PostgreSQL, stored on SQLite).
    for nom in [
        "Ville\u{0}",
        "Ville\u{1b}[31m",
        "Ville\nd'Aubervilliers",
        "\u{7f}",
    ] {
        let answer = post(&app, "/api/v1/structures", &admin(), structure_body(nom)).await;
        answer.assert_problem(422, "caractere_interdit");
        assert_eq!(answer.json["errors"][0]["pointer"], "/nom", "{nom:?}");
    }
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM structures"), 0);
    // A member's name is checked too.
    let mut body = structure_body("Ville");
    body["x\u{0}"] = json!(1);
    post(&app, "/api/v1/structures", &admin(), body)
        .await
        .assert_problem(422, "caractere_interdit");
    // Query (the probe's `GET /journal?id=%00`), path: 400 naming the parameter.
    for uri in [
        "/api/v1/journal?id=%00",
        "/api/v1/structures?q=a%00",
        "/api/v1/communes?q=%09saint",
    ] {
        let answer = app.as_(admin()).get(uri).await;
        answer.assert_problem(400, "caractere_interdit");
        assert_eq!(answer.faulty_parameters().len(), 1, "{uri}");
    }
    let answer = app.as_(admin()).get("/api/v1/structures/a%00b").await;
    answer.assert_problem(400, "caractere_interdit");
    assert_eq!(answer.faulty_parameters(), ["id"]);
    // Headers: HTTP itself refuses most control characters; a TAB gets through, and is refused.
    let answer = app
        .as_(admin())
        .idempotency_key("cle\tune")
        .post("/api/v1/structures", structure_body("Ville"))
        .await;
    answer.assert_problem(400, "caractere_interdit");
    assert_eq!(answer.faulty_parameters(), ["Idempotency-Key"]);
    let answer = app
        .anonymous()
        .header("authorization", format!("Bearer\t{}", admin()))
        .get("/api/v1/moi")
        .await;
    answer.assert_problem(400, "caractere_interdit");
    assert_eq!(answer.faulty_parameters(), ["Authorization"]);
    // Between the entity-tags of If-Match, TAB is HTTP whitespace: accepted (here, no such
    // structure).
    app.as_(admin())
        .if_match("\"1\",\t\"2\"")
        .patch(
            "/api/v1/structures/01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90",
            json!({"nom": "x"}),
        )
        .await
        .assert_problem(404, "ressource_introuvable");
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM structures"), 0);
    // Unicode beyond the controls is text.
    let created = post(
        &app,
        "/api/v1/structures",
        &admin(),
        structure_body("Ville d'Aubervilliers — 🏛 ＡＢＣ"),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
}

/// Line breaks and tabs are text in a free-text member (`motif`), never in a name.
async fn line_breaks_are_text_only_in_free_text(db: TestDb) {
    let app = TestApp::on(&db).await;
    let created = post(
        &app,
        "/api/v1/structures",
        &admin(),
        structure_body("Ville"),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let structure = created.json["id"].as_str().unwrap().to_owned();
    let convention = post(
        &app,
        "/api/v1/conventions",
        &admin(),
        json!({"departement": "93", "intitule": "CnFS\t93", "signataires": [structure], "postes_attribues": 2}),
    )
    .await;
    convention.assert_problem(422, "caractere_interdit");
    assert_eq!(convention.json["errors"][0]["pointer"], "/intitule");
    let convention = post(
        &app,
        "/api/v1/conventions",
        &admin(),
        json!({"departement": "93", "intitule": "CnFS 93", "signataires": [structure], "postes_attribues": 2}),
    )
    .await;
    assert_eq!(convention.status, 201, "{}", convention.text);
    let uri = format!(
        "/api/v1/conventions/{}/resiliation",
        convention.json["id"].as_str().unwrap()
    );
    let refused = post(&app, &uri, &admin(), json!({"motif": "Fin\u{0}"})).await;
    refused.assert_problem(422, "caractere_interdit");
    assert_eq!(refused.json["errors"][0]["pointer"], "/motif");
    let ended = post(
        &app,
        &uri,
        &admin(),
        json!({"motif": "Fin du projet :\r\n\t- plus de local."}),
    )
    .await;
    assert_eq!(ended.status, 200, "{}", ended.text);
}

/// RFC 6750 §2.3 lets a token travel as `?access_token=`: this API refuses it, public operation or
/// not, before any other check (URLs end up in logs and histories).
async fn a_token_in_the_query_string_is_refused(db: TestDb) {
    let app = TestApp::on(&db).await;
    for uri in [
        "/api/v1/lieux?access_token=eyJhbGciOiJIUzI1NiJ9.e30.x",
        "/api/v1/moi?ACCESS_TOKEN=SECRETJETON",
        "/health/live?access%5Ftoken=SECRETJETON",
    ] {
        let answer = app.anonymous().get(uri).await;
        answer.assert_problem(400, "jeton_dans_url");
        assert!(!answer.text.contains("eyJ") && !answer.text.contains("SECRETJETON"));
        assert_eq!(answer.faulty_parameters().len(), 1, "{uri}");
    }
    let answer = app
        .as_(admin())
        .post(
            &format!("/api/v1/structures?access_token={}", admin()),
            structure_body("Ville"),
        )
        .await;
    answer.assert_problem(400, "jeton_dans_url");
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM structures"), 0);
}

on_both_backends!(
    control_characters_are_refused_where_they_come_in,
    line_breaks_are_text_only_in_free_text,
    a_token_in_the_query_string_is_refused,
);

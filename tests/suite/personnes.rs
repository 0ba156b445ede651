//! People apart from their contracts (`POST /api/v1/conseillers` without a convention): a
//! person recorded before any contract, then bound to a post by `POST /api/v1/contrats`; one
//! person per e-mail address (409 `deja_existant` with the existing id); the telephone; the
//! recruitment's fields all together or none.

use crate::common;

use cnfs_api::auth::Role;
use common::scenario::{
    admin, app_on, convention, created_id, get, post, prefecture_93, recrue, structure, structures,
};
use common::{TestDb, count, token};
use serde_json::{Value, json};

/// A person to record at `structure`, without a contract (number `n`).
fn personne(structure: &str, n: usize) -> Value {
    json!({
        "structure_id": structure, "nom": format!("Diallo{n}"), "prenom": "Awa",
        "email": format!("awa.diallo{n}@example.org"), "telephone": "+33 6 12 34 56 78",
        "commune_residence": "93048"
    })
}

async fn a_person_is_recorded_without_a_contract_then_engaged(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 2), true).await;

    // The employer records her: no contract, no convention yet, in its scope.
    let created = post(
        &app,
        "/api/v1/conseillers",
        &structure(&ids[1]),
        personne(&ids[1], 1),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let person = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        format!("/api/v1/conseillers/{person}")
    );
    assert_eq!(created.json["statut"], "sans_contrat");
    assert_eq!(created.json["convention_id"], Value::Null);
    assert_eq!(created.json["type_contrat"], Value::Null);
    assert_eq!(created.json["date_recrutement"], Value::Null);
    assert_eq!(created.json["structure_id"], ids[1].as_str());
    assert_eq!(created.json["departement"], "93");
    assert_eq!(created.json["telephone"], "+33 6 12 34 56 78");
    assert_eq!(created.json["recrutement_local"], true);
    assert_eq!(created.json["contrats"], json!([]));
    assert_eq!(created.json["contrat_en_cours_id"], Value::Null);
    // Nobody's post is filled by a person without a contract.
    let pourvus = || {
        count(
            &db,
            &format!("SELECT postes_pourvus AS n FROM conventions WHERE id = '{convention}'"),
        )
    };
    assert_eq!(pourvus(), 0);
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'conseiller' AND ressource_id = '{person}' AND action = 'creation'"
            )
        ),
        1
    );
    // The préfecture sees her without her personal data; the other host does not see her.
    let seen = get(
        &app,
        &format!("/api/v1/conseillers/{person}"),
        &prefecture_93(),
    )
    .await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(seen.json["telephone"], Value::Null);
    assert_eq!(seen.json["donnees_personnelles"], "masquees");
    get(
        &app,
        &format!("/api/v1/conseillers/{person}"),
        &structure(&ids[0]),
    )
    .await
    .assert_problem(404, "ressource_introuvable");
    // The statistics count advisors, not people without a contract.
    let stats = get(&app, "/api/v1/statistiques", &admin()).await;
    let conseillers = &stats.json["conseillers"];
    assert_eq!(conseillers["en_poste"], 0, "{}", stats.text);
    assert_eq!(conseillers["sorti"], 0);
    assert_eq!(conseillers["recrutement_local_pct"], Value::Null);

    // Her employer engages her on one of its vacant posts: she is recruited.
    let postes = get(
        &app,
        &format!("/api/v1/postes?structure_id={}&etat=vacant", ids[1]),
        &admin(),
    )
    .await;
    let poste = postes.json["items"][0]["id"].as_str().unwrap();
    let engaged = post(
        &app,
        "/api/v1/contrats",
        &structure(&ids[1]),
        json!({"conseiller_id": person, "poste_id": poste, "type": "pec",
               "date_debut": "2021-09-01", "date_fin": "2022-08-31"}),
    )
    .await;
    assert_eq!(engaged.status, 201, "{}", engaged.text);
    let read = get(&app, &format!("/api/v1/conseillers/{person}"), &admin()).await;
    assert_eq!(read.json["statut"], "en_poste", "{}", read.text);
    assert_eq!(read.json["convention_id"], convention.as_str());
    assert_eq!(read.json["type_contrat"], "pec");
    assert_eq!(read.json["date_recrutement"], "2021-09-01");
    // Her read shows the contract in force, with its state on the service's date.
    assert_eq!(read.json["contrat_en_cours_id"], engaged.json["id"]);
    assert_eq!(read.json["contrats"].as_array().unwrap().len(), 1);
    assert_eq!(read.json["contrats"][0]["id"], engaged.json["id"]);
    assert_eq!(read.json["contrats"][0]["type"], "pec");
    assert_eq!(read.json["contrats"][0]["date_fin"], "2022-08-31");
    assert_eq!(pourvus(), 1, "she fills a post");
}

async fn one_person_per_email_address(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 2), true).await;
    // Recruited by the first host (the first model's one call).
    let first = created_id(
        &post(
            &app,
            "/api/v1/conseillers",
            &admin(),
            recrue(&convention, &ids[0], 7),
        )
        .await,
    );

    // The second host records the same address (case aside): 409 with her id, nothing written.
    let mut again = personne(&ids[1], 2);
    again["email"] = json!("Conseiller7@Example.org");
    let before = count(&db, "SELECT COUNT(*) AS n FROM conseillers");
    let refused = post(
        &app,
        "/api/v1/conseillers",
        &structure(&ids[1]),
        again.clone(),
    )
    .await;
    refused.assert_problem(409, "deja_existant");
    assert_eq!(
        refused.json["conseiller_id"],
        first.as_str(),
        "{}",
        refused.text
    );
    assert_eq!(refused.json["errors"][0]["pointer"], "/email");
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM conseillers"), before);
    // So is a second recruitment of the same person.
    let mut recruited_again = recrue(&convention, &ids[1], 7);
    recruited_again["nom"] = json!("Autre");
    let refused = post(&app, "/api/v1/conseillers", &admin(), recruited_again).await;
    refused.assert_problem(409, "deja_existant");
    assert_eq!(refused.json["conseiller_id"], first.as_str());
    assert_eq!(
        count(
            &db,
            &format!("SELECT postes_pourvus AS n FROM conventions WHERE id = '{convention}'")
        ),
        1,
        "no post taken by the refused recruitment"
    );

    // Out of scope first: a lecteur, or a préfecture elsewhere, learns nothing of the address.
    post(
        &app,
        "/api/v1/conseillers",
        &token(Role::Lecteur, &[], None),
        again.clone(),
    )
    .await
    .assert_problem(403, "interdit");
    post(
        &app,
        "/api/v1/conseillers",
        &token(Role::Prefecture, &["75"], None),
        again.clone(),
    )
    .await
    .assert_problem(403, "interdit");
    post(&app, "/api/v1/conseillers", &structure(&ids[0]), again)
        .await
        .assert_problem(403, "interdit");

    // Correcting another person's address to hers: the same 409; her own address: fine.
    let other =
        created_id(&post(&app, "/api/v1/conseillers", &admin(), personne(&ids[1], 3)).await);
    let uri = format!("/api/v1/conseillers/{other}");
    let refused = app
        .as_(admin())
        .if_match("\"1\"")
        .patch(&uri, json!({"email": "CONSEILLER7@example.org"}))
        .await;
    refused.assert_problem(409, "deja_existant");
    assert_eq!(refused.json["conseiller_id"], first.as_str());
    let kept = app
        .as_(admin())
        .if_match("\"1\"")
        .patch(
            &uri,
            json!({"email": "awa.diallo3@example.org", "telephone": "01 48 95 60 00"}),
        )
        .await;
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert_eq!(kept.json["telephone"], "01 48 95 60 00");
    // One person holds the address.
    let duplicate = count(
        &db,
        "SELECT COUNT(*) AS n FROM conseillers WHERE lower(email) = 'conseiller7@example.org'",
    );
    assert_eq!(duplicate, 1);
}

async fn a_recording_is_refused_with_its_code(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 2), true).await;
    // Some of the recruitment's fields without the others: 422 naming the missing ones.
    let mut partial = personne(&ids[0], 1);
    partial["convention_id"] = json!(convention);
    let refused = post(&app, "/api/v1/conseillers", &admin(), partial).await;
    refused.assert_problem(422, "validation");
    let pointers: Vec<&str> = refused.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/date_recrutement", "/type_contrat"]);
    let mut partial = personne(&ids[0], 1);
    partial["date_recrutement"] = json!("2021-04-01");
    let refused = post(&app, "/api/v1/conseillers", &admin(), partial).await;
    refused.assert_problem(422, "validation");
    assert_eq!(refused.json["errors"][0]["pointer"], "/convention_id");
    // A telephone that is not one.
    let mut bad = personne(&ids[0], 1);
    bad["telephone"] = json!("appeler le standard");
    post(&app, "/api/v1/conseillers", &admin(), bad)
        .await
        .assert_problem(422, "validation");
    // An unknown structure.
    let unknown = personne("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f00", 1);
    let refused = post(&app, "/api/v1/conseillers", &admin(), unknown).await;
    refused.assert_problem(422, "reference_invalide");
    assert_eq!(refused.json["errors"][0]["pointer"], "/structure_id");
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM conseillers"), 0);
    // The préfecture of the département records a person for a host.
    let created = post(
        &app,
        "/api/v1/conseillers",
        &prefecture_93(),
        personne(&ids[2], 4),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["structure_id"], ids[2].as_str());
}

on_both_backends!(
    a_person_is_recorded_without_a_contract_then_engaged,
    one_person_per_email_address,
    a_recording_is_refused_with_its_code,
);

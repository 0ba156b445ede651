//! The lieux where an advisor works: one or more lieux of its employer, exactly one principal;
//! `PUT` and `DELETE /conseillers/{id}/lieux/{lieu_id}`, and the prise de poste's lieu as its
//! principal lieu.

use crate::common;

use cnfs_api::auth::Role;
use common::scenario::{
    admin, advisor_en_poste, app_on, convention, created_id, get, lieu, post, prefecture_93,
    recrue, structure, structures,
};
use common::{TestDb, count, token};
use serde_json::{Value, json};

/// The advisor's lieux as `[(lieu, principal)]`, principal first.
fn lieux_of(advisor: &Value) -> Vec<(String, bool)> {
    advisor["lieux"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["lieu_id"].as_str().unwrap().to_owned(),
                l["principal"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn an_advisor_works_at_lieux_of_its_employer(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 1), true).await;
    let mairie = lieu(&app, &ids[0], "Mairie", "93001", "93300").await;
    let mediatheque = lieu(&app, &ids[0], "Médiathèque", "93001", "93300").await;
    let ailleurs = lieu(&app, &ids[1], "Montreuil", "93048", "93100").await;
    let employer = structure(&ids[0]);
    let advisor = created_id(
        &post(
            &app,
            "/api/v1/conseillers",
            &employer,
            recrue(&convention, &ids[0], 1),
        )
        .await,
    );
    let uri = |lieu: &str| format!("/api/v1/conseillers/{advisor}/lieux/{lieu}");
    let put = |lieu: String, who: String, principal: bool| {
        let app = &app;
        let uri = uri(&lieu);
        async move {
            app.as_(who)
                .put(&uri, json!({ "principal": principal }))
                .await
        }
    };
    let lieux_rows = || {
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM conseillers_lieux WHERE conseiller_id = '{advisor}'"
            ),
        )
    };

    // A recruit has no lieu yet; its first lieu is its principal.
    let read = get(&app, &format!("/api/v1/conseillers/{advisor}"), &employer).await;
    assert_eq!(read.json["lieux"], json!([]));
    put(mairie.clone(), employer.clone(), false)
        .await
        .assert_problem(409, "lieu_principal");
    // Refusals: another structure's lieu, an unknown one, outside the caller's scope, a role
    // without the right, a stale ETag; nothing is written.
    put(ailleurs.clone(), employer.clone(), true)
        .await
        .assert_problem(422, "lieu_non_eligible");
    put(
        "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fff".to_owned(),
        employer.clone(),
        true,
    )
    .await
    .assert_problem(422, "lieu_non_eligible");
    put(mairie.clone(), structure(&ids[1]), true)
        .await
        .assert_problem(404, "ressource_introuvable");
    put(mairie.clone(), token(Role::Prefecture, &["75"], None), true)
        .await
        .assert_problem(404, "ressource_introuvable");
    put(mairie.clone(), token(Role::Lecteur, &[], None), true)
        .await
        .assert_problem(403, "interdit");
    let stale = app
        .as_(employer.clone())
        .if_match("\"9\"")
        .put(&uri(&mairie), json!({"principal": true}))
        .await;
    stale.assert_problem(412, "precondition_echouee");
    let bad = app
        .as_(employer.clone())
        .put(&uri(&mairie), json!({"principal": "oui"}))
        .await;
    assert!(bad.status == 400 || bad.status == 422, "{}", bad.text);
    assert_eq!(lieux_rows(), 0);

    // The mairie, principal; then the médiathèque, secondary.
    let placed = app
        .as_(employer.clone())
        .if_match("\"1\"")
        .put(&uri(&mairie), json!({"principal": true}))
        .await;
    assert_eq!(placed.status, 200, "{}", placed.text);
    assert_eq!(lieux_of(&placed.json), [(mairie.clone(), true)]);
    assert_eq!(placed.json["lieu_id"], mairie.as_str());
    assert_eq!(placed.header("etag"), "\"2\"");
    let both = put(mediatheque.clone(), prefecture_93(), false).await;
    assert_eq!(both.status, 200, "{}", both.text);
    assert_eq!(
        lieux_of(&both.json),
        [(mairie.clone(), true), (mediatheque.clone(), false)]
    );
    // The same again changes nothing.
    let same = put(mediatheque.clone(), employer.clone(), false).await;
    assert_eq!(same.status, 200);
    assert_eq!(same.json["version"], both.json["version"]);
    // The principal stays so until another is.
    put(mairie.clone(), employer.clone(), false)
        .await
        .assert_problem(409, "lieu_principal");
    let switched = put(mediatheque.clone(), admin(), true).await;
    assert_eq!(switched.status, 200, "{}", switched.text);
    assert_eq!(
        lieux_of(&switched.json),
        [(mediatheque.clone(), true), (mairie.clone(), false)]
    );
    assert_eq!(switched.json["lieu_id"], mediatheque.as_str());
    assert_eq!(lieux_rows(), 2);
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM conseillers_lieux WHERE conseiller_id = '{advisor}' AND principal = TRUE"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'conseiller' AND ressource_id = '{advisor}' AND action = 'lieu_de_travail'"
            )
        ),
        3
    );

    // Removing: not the principal while it has others; a lieu it does not work at: 404.
    let delete = |lieu: String, who: String| {
        let app = &app;
        let uri = uri(&lieu);
        async move { app.as_(who).delete(&uri).await }
    };
    delete(mediatheque.clone(), employer.clone())
        .await
        .assert_problem(409, "lieu_principal");
    delete(ailleurs.clone(), employer.clone())
        .await
        .assert_problem(404, "ressource_introuvable");
    delete(mairie.clone(), structure(&ids[1]))
        .await
        .assert_problem(404, "ressource_introuvable");
    delete(mairie.clone(), token(Role::Lecteur, &[], None))
        .await
        .assert_problem(403, "interdit");
    let removed = delete(mairie.clone(), employer.clone()).await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    let read = get(&app, &format!("/api/v1/conseillers/{advisor}"), &employer).await;
    assert_eq!(lieux_of(&read.json), [(mediatheque.clone(), true)]);
    // Alone, the principal goes too (the advisor is not in post).
    assert_eq!(
        delete(mediatheque.clone(), employer.clone()).await.status,
        204
    );
    let read = get(&app, &format!("/api/v1/conseillers/{advisor}"), &employer).await;
    assert_eq!(read.json["lieux"], json!([]));
    assert_eq!(read.json["lieu_id"], Value::Null);
    assert_eq!(lieux_rows(), 0);
}

async fn the_prise_de_poste_lieu_is_the_principal(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 1), true).await;
    let mairie = lieu(&app, &ids[0], "Mairie", "93001", "93300").await;
    let mediatheque = lieu(&app, &ids[0], "Médiathèque", "93001", "93300").await;
    let advisor = advisor_en_poste(&app, &convention, &ids[0], &mairie, 1).await;
    let read = get(&app, &format!("/api/v1/conseillers/{advisor}"), &admin()).await;
    assert_eq!(lieux_of(&read.json), [(mairie.clone(), true)]);
    // It works at a second lieu, which becomes its principal one.
    let uri = |lieu: &str| format!("/api/v1/conseillers/{advisor}/lieux/{lieu}");
    let added = app
        .as_(admin())
        .put(&uri(&mediatheque), json!({"principal": true}))
        .await;
    assert_eq!(added.status, 200, "{}", added.text);
    assert_eq!(app.as_(admin()).delete(&uri(&mairie)).await.status, 204);
    // Its list shows them too.
    let listed = get(&app, "/api/v1/conseillers?limit=10", &admin()).await;
    assert_eq!(
        lieux_of(&listed.json["items"][0]),
        [(mediatheque.clone(), true)]
    );
}

on_both_backends!(
    an_advisor_works_at_lieux_of_its_employer,
    the_prise_de_poste_lieu_is_the_principal,
);

//! Contracts as objects: created by a recruitment, ended by an advisor's exit (by its motif) or
//! broken through their own rupture; their state on the service's date (a fixed-term contract
//! past its end reads `termine` without any job); their list (filters, scopes) and their read.

use crate::common;

use cnfs_api::auth::Role;
use common::scenario::{
    TODAY, admin, app_on, app_on_day, convention, created_id, get, post, postes_pourvus,
    prefecture_93, recrue, structure, structures,
};
use common::{TestDb, count, token};
use serde_json::{Value, json};

/// The contracts a caller lists with `query` (one page of up to 200).
async fn contrats(app: &common::TestApp<impl common::App>, who: &str, query: &str) -> Vec<Value> {
    let listed = get(app, &format!("/api/v1/contrats?limit=200&{query}"), who).await;
    assert_eq!(listed.status, 200, "{query}: {}", listed.text);
    listed.json["items"].as_array().unwrap().clone()
}

/// Recruits advisor `n` at `host` with `type_contrat`; returns the advisor's id.
async fn recruit(
    app: &common::TestApp<impl common::App>,
    convention: &str,
    host: &str,
    n: usize,
    type_contrat: &str,
) -> String {
    let mut body = recrue(convention, host, n);
    body["type_contrat"] = json!(type_contrat);
    created_id(&post(app, "/api/v1/conseillers", &admin(), body).await)
}

/// The one contract of advisor `conseiller`.
async fn contrat_of(app: &common::TestApp<impl common::App>, conseiller: &str) -> Value {
    let listed = contrats(app, &admin(), &format!("conseiller_id={conseiller}")).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    listed[0].clone()
}

async fn a_recruitment_creates_a_contract_on_the_post_it_takes(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 1), true).await;
    let advisor = recruit(&app, &convention, &ids[0], 1, "cdd").await;

    let contrat = contrat_of(&app, &advisor).await;
    assert_eq!(contrat["conseiller_id"], advisor.as_str());
    assert_eq!(contrat["structure_id"], ids[0].as_str());
    assert_eq!(contrat["convention_id"], convention.as_str());
    assert_eq!(contrat["departement"], "93");
    assert_eq!(contrat["typologie"], "conseiller");
    assert_eq!(contrat["type"], "cdd");
    assert_eq!(contrat["date_debut"], "2021-04-01");
    assert_eq!(
        contrat["date_fin"],
        Value::Null,
        "the recruitment sets no end"
    );
    assert_eq!(contrat["etat"], "en_cours");
    assert_eq!(contrat["version"], 1);
    assert!(
        contrat.get("salaire_brut_mensuel_centimes").is_none(),
        "no salary field before salaries can be entered"
    );

    // The post it took names it.
    let poste_id = contrat["poste_id"].as_str().unwrap();
    let poste = get(&app, &format!("/api/v1/postes/{poste_id}"), &admin()).await;
    assert_eq!(poste.json["etat"], "occupe");
    assert_eq!(poste.json["conseiller_id"], advisor.as_str());
    assert_eq!(poste.json["contrat_id"], contrat["id"]);

    // Its read, with its ETag; the journal has its creation.
    let id = contrat["id"].as_str().unwrap();
    let read = get(&app, &format!("/api/v1/contrats/{id}"), &admin()).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json, contrat);
    assert_eq!(read.header("etag"), "\"1\"");
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'contrat' AND ressource_id = '{id}' AND action = 'creation'"
            )
        ),
        1
    );
    // Unknown: 404.
    get(
        &app,
        "/api/v1/contrats/01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fff",
        &admin(),
    )
    .await
    .assert_problem(404, "ressource_introuvable");
}

async fn a_contract_in_force_is_broken(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 1), true).await;
    let advisor = recruit(&app, &convention, &ids[0], 1, "cdi").await;
    let contrat = contrat_of(&app, &advisor).await;
    let id = contrat["id"].as_str().unwrap();
    let uri = format!("/api/v1/contrats/{id}/rupture");
    let employer = structure(&ids[0]);
    let body = |date: &str| json!({"date": date, "motif": "licenciement", "commentaire": "  Faute grave.  "});

    // Refusals first: nothing changes.
    let anonymous = app.anonymous().post(&uri, body("2021-08-15")).await;
    anonymous.assert_problem(401, "jeton_absent");
    for outsider in [structure(&ids[1]), token(Role::Prefecture, &["75"], None)] {
        post(&app, &uri, &outsider, body("2021-08-15"))
            .await
            .assert_problem(404, "ressource_introuvable");
    }
    post(
        &app,
        &uri,
        &token(Role::Lecteur, &[], None),
        body("2021-08-15"),
    )
    .await
    .assert_problem(403, "interdit");
    let bad = post(
        &app,
        &uri,
        &employer,
        json!({"date": "2021-08-15", "motif": "depart"}),
    )
    .await;
    assert!(bad.status == 400 || bad.status == 422, "{}", bad.text);
    post(&app, &uri, &employer, body("2021-09-02"))
        .await
        .assert_problem(422, "date_future");
    let early = post(&app, &uri, &employer, body("2021-03-31")).await;
    early.assert_problem(422, "date_anterieure");
    assert_eq!(early.json["errors"][0]["pointer"], "/date");
    let stale = app
        .as_(employer.clone())
        .if_match("\"7\"")
        .post(&uri, body("2021-08-15"))
        .await;
    stale.assert_problem(412, "precondition_echouee");
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM contrats WHERE date_rupture IS NOT NULL"
        ),
        0
    );

    // The employer breaks it.
    let broken = app
        .as_(employer.clone())
        .if_match("\"1\"")
        .post(&uri, body("2021-08-15"))
        .await;
    assert_eq!(broken.status, 200, "{}", broken.text);
    assert_eq!(broken.json["etat"], "rompu");
    assert_eq!(broken.json["date_rupture"], "2021-08-15");
    assert_eq!(broken.json["motif_rupture"], "licenciement");
    assert_eq!(broken.json["commentaire_rupture"], "Faute grave.");
    assert_eq!(broken.json["version"], 2);
    assert_eq!(broken.header("etag"), "\"2\"");

    // The advisor has left, with the exit motif it amounts to; its post is vacant the next day.
    let advisor_now = get(&app, &format!("/api/v1/conseillers/{advisor}"), &admin()).await;
    assert_eq!(advisor_now.json["statut"], "sorti");
    assert_eq!(advisor_now.json["date_sortie"], "2021-08-15");
    assert_eq!(advisor_now.json["motif_sortie"], "rupture");
    let poste_id = contrat["poste_id"].as_str().unwrap();
    let poste = get(&app, &format!("/api/v1/postes/{poste_id}"), &admin()).await;
    assert_eq!(poste.json["etat"], "vacant");
    assert_eq!(poste.json["depuis"], "2021-08-16");
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM journal WHERE action = 'rupture' AND ressource = 'contrat' AND ressource_id = '{id}'"
            )
        ),
        1
    );

    // Once broken, a second rupture is a conflict.
    let again = post(&app, &uri, &admin(), body("2021-08-20")).await;
    again.assert_problem(409, "contrat_termine");
    assert_eq!(again.json["etat"], "rompu");
    // The préfecture of the département may break one too.
    let other = recruit(&app, &convention, &ids[1], 2, "cdd").await;
    let other = contrat_of(&app, &other).await;
    let other_uri = format!("/api/v1/contrats/{}/rupture", other["id"].as_str().unwrap());
    let before = postes_pourvus(&app, &convention).await;
    let by_prefecture = post(
        &app,
        &other_uri,
        &prefecture_93(),
        json!({"motif": "non_reconduction_cdd"}),
    )
    .await;
    assert_eq!(by_prefecture.status, 200, "{}", by_prefecture.text);
    assert_eq!(
        by_prefecture.json["date_rupture"], TODAY,
        "today by default"
    );
    // Its last day is today: in post until tonight, gone tomorrow, the non-renewal read as the
    // contract's end.
    let other_uri = format!(
        "/api/v1/conseillers/{}",
        other["conseiller_id"].as_str().unwrap()
    );
    let today = get(&app, &other_uri, &admin()).await;
    assert_eq!(
        (&today.json["statut"], &today.json["motif_sortie"]),
        (&json!("en_poste"), &Value::Null)
    );
    // A rupture on its last day frees the post from tomorrow: the convention's filled posts
    // count it no more, from now on (they are not recounted as days pass).
    assert_eq!(postes_pourvus(&app, &convention).await, before - 1);
    let tomorrow = app_on_day(&db, "2021-09-02").await;
    assert_eq!(postes_pourvus(&tomorrow, &convention).await, before - 1);
    let left = get(&tomorrow, &other_uri, &admin()).await;
    assert_eq!(left.json["statut"], "sorti");
    assert_eq!(left.json["motif_sortie"], "fin_de_contrat");
}

async fn contracts_are_listed_within_scope(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 2), true).await;
    let a = recruit(&app, &convention, &ids[0], 1, "cdd").await;
    let b = recruit(&app, &convention, &ids[1], 2, "cdi").await;
    let c = recruit(&app, &convention, &ids[1], 3, "titulaire").await;

    let all = contrats(&app, &admin(), "").await;
    assert_eq!(all.len(), 3);
    assert_eq!(contrats(&app, &prefecture_93(), "").await.len(), 3);
    let paris = token(Role::Prefecture, &["75"], None);
    assert!(contrats(&app, &paris, "").await.is_empty());
    let own = contrats(&app, &structure(&ids[1]), "").await;
    let advisors: Vec<&str> = own
        .iter()
        .map(|c| c["conseiller_id"].as_str().unwrap())
        .collect();
    assert_eq!(advisors.len(), 2);
    assert!(advisors.contains(&b.as_str()) && advisors.contains(&c.as_str()));
    // Another structure's filter still stays within the caller's scope.
    assert!(
        contrats(
            &app,
            &structure(&ids[1]),
            &format!("structure_id={}", ids[0])
        )
        .await
        .is_empty()
    );
    // The lecteur uses the statistics; anonymous callers authenticate.
    get(&app, "/api/v1/contrats", &token(Role::Lecteur, &[], None))
        .await
        .assert_problem(403, "interdit");
    app.anonymous()
        .get("/api/v1/contrats")
        .await
        .assert_problem(401, "jeton_absent");
    // Filters.
    assert_eq!(
        contrats(&app, &admin(), "type=cdi,titulaire").await.len(),
        2
    );
    assert_eq!(
        contrats(&app, &admin(), "type=cdd").await[0]["conseiller_id"],
        a.as_str()
    );
    assert_eq!(
        contrats(&app, &admin(), &format!("structure_id={}", ids[0]))
            .await
            .len(),
        1
    );
    assert_eq!(
        contrats(
            &app,
            &admin(),
            &format!("convention_id={convention}&departement=93")
        )
        .await
        .len(),
        3
    );
    assert!(contrats(&app, &admin(), "departement=75").await.is_empty());
    for bad in [
        "type=pec2",
        "etat=fini",
        "etat=en_cours,",
        "conseiller_id=x",
    ] {
        let refused = get(&app, &format!("/api/v1/contrats?{bad}"), &admin()).await;
        assert_eq!(refused.status, 400, "{bad}: {}", refused.text);
    }
    // A contract out of scope is not found.
    let id = all
        .iter()
        .find(|c| c["conseiller_id"] == a.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for outsider in [structure(&ids[1]), paris] {
        get(&app, &format!("/api/v1/contrats/{id}"), &outsider)
            .await
            .assert_problem(404, "ressource_introuvable");
    }
    get(
        &app,
        &format!("/api/v1/contrats/{id}"),
        &token(Role::Lecteur, &[], None),
    )
    .await
    .assert_problem(403, "interdit");
    assert_eq!(
        get(&app, &format!("/api/v1/contrats/{id}"), &structure(&ids[0]))
            .await
            .status,
        200
    );
}

on_both_backends!(
    a_recruitment_creates_a_contract_on_the_post_it_takes,
    a_contract_in_force_is_broken,
    contracts_are_listed_within_scope,
);

//! Trainings and certifications of advisors while in post (`POST /api/v1/conseillers/{id}/formations`,
//! `…/certifications`, their lists and items, and what the advisor's read shows of them): the
//! happy path, each refusal with its code and the state it leaves, access, a person who changed
//! employer, and lateness on the service's date.

use crate::common;

use cnfs_api::auth::Role;
use common::scenario::{
    admin, app_on, app_on_day, convention, created_id, get, post, prefecture_93, recrue, structure,
    structures, vacants,
};
use common::{TestDb, count, token};
use serde_json::{Value, json};

fn initiale() -> Value {
    json!({
        "type": "initiale", "parcours_heures": 280, "date_debut": "2021-04-12",
        "date_fin": "2021-06-30", "organisme": "Simplon"
    })
}

fn rows(db: &TestDb, table: &str, person: &str) -> i64 {
    count(
        db,
        &format!("SELECT COUNT(*) AS n FROM {table} WHERE conseiller_id = '{person}'"),
    )
}

/// The person's contracts (ids), oldest first.
async fn contrats_de(app: &common::TestApp<impl common::App>, person: &str) -> Vec<String> {
    let listed = get(
        app,
        &format!("/api/v1/contrats?conseiller_id={person}"),
        &admin(),
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let mut ids: Vec<String> = listed.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    ids.reverse();
    ids
}

async fn trainings_and_certifications_are_recorded_and_shown(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 2), true).await;
    let person = created_id(
        &post(
            &app,
            "/api/v1/conseillers",
            &admin(),
            recrue(&convention, &ids[0], 1),
        )
        .await,
    );
    let contrat = contrats_de(&app, &person).await.remove(0);
    let employer = structure(&ids[0]);
    let uri = format!("/api/v1/conseillers/{person}/formations");

    // The initial training, by the employer, with an idempotency key: replayed, not doubled.
    let created = app
        .as_(&employer)
        .idempotency_key("formation-initiale-1")
        .post(&uri, initiale())
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let formation = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(created.header("location"), format!("{uri}/{formation}"));
    assert_eq!(created.header("etag"), "\"1\"");
    assert_eq!(created.json["type"], "initiale");
    assert_eq!(created.json["parcours_heures"], 280);
    assert_eq!(created.json["date_debut"], "2021-04-12");
    assert_eq!(created.json["date_fin"], "2021-06-30");
    assert_eq!(created.json["organisme"], "Simplon");
    assert_eq!(created.json["contrat_id"], contrat.as_str());
    assert_eq!(created.json["structure_id"], ids[0].as_str());
    assert_eq!(created.json["reprise"], false);
    let replayed = app
        .as_(&employer)
        .idempotency_key("formation-initiale-1")
        .post(&uri, initiale())
        .await;
    assert_eq!(replayed.status, 201, "{}", replayed.text);
    assert_eq!(replayed.json["id"], formation.as_str());
    assert_eq!(rows(&db, "formations", &person), 1);

    // A continuing training, its hours omitted, by the préfecture.
    let continuing = post(
        &app,
        &uri,
        &prefecture_93(),
        json!({"type": "continue", "date_debut": "2021-08-16", "date_fin": "2021-08-17", "organisme": "MedNum"}),
    )
    .await;
    assert_eq!(continuing.status, 201, "{}", continuing.text);
    assert_eq!(continuing.json["parcours_heures"], Value::Null);

    // Two attempts at certifications: failed, then passed.
    let certifications = format!("/api/v1/conseillers/{person}/certifications");
    let failed = post(
        &app,
        &certifications,
        &employer,
        json!({"type": "pix", "date": "2021-07-15", "resultat": "echouee"}),
    )
    .await;
    assert_eq!(failed.status, 201, "{}", failed.text);
    assert_eq!(failed.json["formation_id"], formation.as_str());
    let certification = failed.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        failed.header("location"),
        format!("{certifications}/{certification}")
    );
    assert_eq!(failed.header("etag"), "\"1\"");
    let passed = post(
        &app,
        &certifications,
        &admin(),
        json!({"type": "ccp1_remn", "date": "2021-08-20", "resultat": "reussie"}),
    )
    .await;
    assert_eq!(passed.status, 201, "{}", passed.text);
    assert_eq!(rows(&db, "certifications", &person), 2);

    // The advisor's read shows them, in order; nothing late.
    let read = get(&app, &format!("/api/v1/conseillers/{person}"), &employer).await;
    assert_eq!(read.status, 200, "{}", read.text);
    let types: Vec<&str> = read.json["formations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["initiale", "continue"]);
    let resultats: Vec<&str> = read.json["certifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["resultat"].as_str().unwrap())
        .collect();
    assert_eq!(resultats, ["echouee", "reussie"]);
    assert_eq!(read.json["certification_en_retard"], false);
    // The advisor itself is unchanged (its version, its status: the old path is apart).
    assert_eq!(read.json["version"], 1);
    assert_eq!(read.json["statut"], "en_poste");
    // And so does the list.
    let listed = get(
        &app,
        &format!("/api/v1/conseillers?structure_id={}", ids[0]),
        &prefecture_93(),
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(
        listed.json["items"][0]["formations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        listed.json["items"][0]["certifications"][1]["type"],
        "ccp1_remn"
    );

    // The lists and the items.
    let list = get(&app, &uri, &prefecture_93()).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.json["items"].as_array().unwrap().len(), 2);
    let list = get(&app, &certifications, &admin()).await;
    assert_eq!(list.json["items"].as_array().unwrap().len(), 2);
    let one = get(&app, &format!("{uri}/{formation}"), &employer).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.header("etag"), "\"1\"");
    assert_eq!(one.json, created.json);
    let one = get(
        &app,
        &format!("{certifications}/{certification}"),
        &employer,
    )
    .await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.json, failed.json);
    // Another advisor's id, or a training's id as a certification's: 404.
    get(&app, &format!("{certifications}/{formation}"), &employer)
        .await
        .assert_problem(404, "ressource_introuvable");

    // The journal records each as a change of the advisor.
    for (action, n) in [("ajout_formation", 2), ("ajout_certification", 2)] {
        assert_eq!(
            count(
                &db,
                &format!(
                    "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'conseiller' \
                     AND ressource_id = '{person}' AND action = '{action}'"
                )
            ),
            n,
            "{action}"
        );
    }
}

async fn each_refusal_has_its_code_and_changes_nothing(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 2), true).await;
    let person = created_id(
        &post(
            &app,
            "/api/v1/conseillers",
            &admin(),
            recrue(&convention, &ids[0], 1),
        )
        .await,
    );
    let uri = format!("/api/v1/conseillers/{person}/formations");
    let certifications = format!("/api/v1/conseillers/{person}/certifications");
    let with = |change: Value| {
        let mut body = initiale();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };

    // No certification before the initial training.
    post(
        &app,
        &certifications,
        &admin(),
        json!({"type": "pix", "date": "2021-07-15", "resultat": "reussie"}),
    )
    .await
    .assert_problem(409, "sans_formation_initiale");
    assert_eq!(rows(&db, "certifications", &person), 0);

    for (body, status, code, pointer) in [
        (
            with(json!({"parcours_heures": 300})),
            422,
            "validation",
            Some("/parcours_heures"),
        ),
        (
            with(json!({"parcours_heures": null})),
            422,
            "validation",
            Some("/parcours_heures"),
        ),
        (
            with(json!({"type": "continue", "parcours_heures": 0})),
            422,
            "validation",
            Some("/parcours_heures"),
        ),
        (
            with(json!({"date_fin": "2021-04-11"})),
            422,
            "date_anterieure",
            Some("/date_fin"),
        ),
        (
            with(json!({"date_debut": "2021-09-02", "date_fin": "2021-10-30"})),
            422,
            "date_future",
            Some("/date_debut"),
        ),
        (
            with(json!({"organisme": "  "})),
            422,
            "validation",
            Some("/organisme"),
        ),
        // Before its contract (from 2021-04-01).
        (
            with(json!({"date_debut": "2021-03-20"})),
            409,
            "sans_contrat",
            None,
        ),
    ] {
        let answer = post(&app, &uri, &admin(), body.clone()).await;
        answer.assert_problem(status, code);
        if let Some(pointer) = pointer {
            assert_eq!(
                answer.json["errors"][0]["pointer"], pointer,
                "{body}: {}",
                answer.text
            );
        }
        assert_eq!(rows(&db, "formations", &person), 0, "{body}");
    }

    // One initial training: a second one is refused, naming the first.
    let first = created_id(&post(&app, &uri, &admin(), initiale()).await);
    let again = post(
        &app,
        &uri,
        &admin(),
        with(json!({"date_debut": "2021-07-01", "date_fin": "2021-08-01", "parcours_heures": 105})),
    )
    .await;
    again.assert_problem(409, "formation_initiale_existante");
    assert_eq!(again.json["formation_id"], first.as_str());
    assert_eq!(rows(&db, "formations", &person), 1);

    // A certification after the training's last day, not in the future.
    for (date, code, status) in [
        ("2021-06-30", "date_anterieure", 422),
        ("2021-05-01", "date_anterieure", 422),
        ("2021-09-02", "date_future", 422),
    ] {
        let answer = post(
            &app,
            &certifications,
            &admin(),
            json!({"type": "pix", "date": date, "resultat": "reussie"}),
        )
        .await;
        answer.assert_problem(status, code);
        assert_eq!(answer.json["errors"][0]["pointer"], "/date", "{date}");
    }
    post(
        &app,
        &certifications,
        &admin(),
        json!({"type": "toeic", "date": "2021-07-15", "resultat": "reussie"}),
    )
    .await
    .assert_problem(422, "validation");
    assert_eq!(rows(&db, "certifications", &person), 0);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE action IN ('ajout_formation', 'ajout_certification')"
        ),
        1,
        "only the one training recorded"
    );
}

async fn access_is_the_advisors(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 2), true).await;
    let person = created_id(
        &post(
            &app,
            "/api/v1/conseillers",
            &admin(),
            recrue(&convention, &ids[0], 1),
        )
        .await,
    );
    let uri = format!("/api/v1/conseillers/{person}/formations");
    let certifications = format!("/api/v1/conseillers/{person}/certifications");
    let lecteur = token(Role::Lecteur, &[], None);
    // A lecteur: 403; another host, a préfecture of another département: 404; unknown: 404.
    post(&app, &uri, &lecteur, initiale())
        .await
        .assert_problem(403, "interdit");
    get(&app, &uri, &lecteur)
        .await
        .assert_problem(403, "interdit");
    get(&app, &certifications, &lecteur)
        .await
        .assert_problem(403, "interdit");
    for who in [structure(&ids[1]), token(Role::Prefecture, &["75"], None)] {
        post(&app, &uri, &who, initiale())
            .await
            .assert_problem(404, "ressource_introuvable");
        get(&app, &uri, &who)
            .await
            .assert_problem(404, "ressource_introuvable");
        post(
            &app,
            &certifications,
            &who,
            json!({"type": "pix", "date": "2021-07-15", "resultat": "reussie"}),
        )
        .await
        .assert_problem(404, "ressource_introuvable");
    }
    let unknown = "/api/v1/conseillers/01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fff/formations";
    post(&app, unknown, &admin(), initiale())
        .await
        .assert_problem(404, "ressource_introuvable");
    get(&app, unknown, &admin())
        .await
        .assert_problem(404, "ressource_introuvable");
    assert_eq!(rows(&db, "formations", &person), 0);
    // No token: 401.
    assert_eq!(app.anonymous().get(&uri).await.status, 401);
}

async fn a_person_who_changed_employer_keeps_one_initial_training(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 2), true).await;
    let mut body = recrue(&convention, &ids[0], 1);
    body["type_contrat"] = json!("cdd");
    let person = created_id(&post(&app, "/api/v1/conseillers", &admin(), body).await);
    let first = contrats_de(&app, &person).await.remove(0);
    let uri = format!("/api/v1/conseillers/{person}/formations");
    // Trained under her first employer.
    let trained = post(&app, &uri, &structure(&ids[0]), initiale()).await;
    assert_eq!(trained.status, 201, "{}", trained.text);
    let formation = trained.json["id"].as_str().unwrap().to_owned();
    // She leaves at the end of June, and the second host engages her in August.
    let ended = post(
        &app,
        &format!("/api/v1/contrats/{first}/rupture"),
        &admin(),
        json!({"date": "2021-06-30", "motif": "non_reconduction_cdd"}),
    )
    .await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    let poste = vacants(&app, &ids[1]).await.remove(0);
    let engaged = post(
        &app,
        "/api/v1/contrats",
        &structure(&ids[1]),
        json!({"conseiller_id": person, "poste_id": poste, "type": "cdi", "date_debut": "2021-08-02"}),
    )
    .await;
    assert_eq!(engaged.status, 201, "{}", engaged.text);
    let second = engaged.json["id"].as_str().unwrap().to_owned();

    let new_employer = structure(&ids[1]);
    // No second initial training with the new employer.
    let again = post(
        &app,
        &uri,
        &new_employer,
        json!({"type": "initiale", "parcours_heures": 105, "date_debut": "2021-08-09", "date_fin": "2021-08-27", "organisme": "Simplon"}),
    )
    .await;
    again.assert_problem(409, "formation_initiale_existante");
    assert_eq!(again.json["formation_id"], formation.as_str());
    // Between her contracts, no training.
    post(
        &app,
        &uri,
        &new_employer,
        json!({"type": "continue", "date_debut": "2021-07-15", "date_fin": "2021-07-16", "organisme": "MedNum"}),
    )
    .await
    .assert_problem(409, "sans_contrat");
    // A continuing training under the new contract keeps it and its employer.
    let continuing = post(
        &app,
        &uri,
        &new_employer,
        json!({"type": "continue", "parcours_heures": 14, "date_debut": "2021-08-16", "date_fin": "2021-08-17", "organisme": "MedNum"}),
    )
    .await;
    assert_eq!(continuing.status, 201, "{}", continuing.text);
    assert_eq!(continuing.json["contrat_id"], second.as_str());
    assert_eq!(continuing.json["structure_id"], ids[1].as_str());
    // Her training with the first employer is still hers, and the new one certifies on it.
    let listed = get(&app, &uri, &new_employer).await;
    let structures: Vec<&str> = listed.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["structure_id"].as_str().unwrap())
        .collect();
    assert_eq!(structures, [ids[0].as_str(), ids[1].as_str()]);
    let certified = post(
        &app,
        &format!("/api/v1/conseillers/{person}/certifications"),
        &new_employer,
        json!({"type": "pix", "date": "2021-08-30", "resultat": "reussie"}),
    )
    .await;
    assert_eq!(certified.status, 201, "{}", certified.text);
    assert_eq!(certified.json["formation_id"], formation.as_str());
    // The former employer no longer sees her.
    get(&app, &uri, &structure(&ids[0]))
        .await
        .assert_problem(404, "ressource_introuvable");
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM formations WHERE conseiller_id = '{person}' AND type = 'initiale'"
            )
        ),
        1
    );
}

async fn late_six_months_after_the_training_without_a_passed_certification(db: TestDb) {
    let ids;
    let person;
    {
        let app = app_on(&db).await;
        ids = structures(&app).await;
        let convention = convention(&app, &ids, (2, 2), true).await;
        person = created_id(
            &post(
                &app,
                "/api/v1/conseillers",
                &admin(),
                recrue(&convention, &ids[0], 1),
            )
            .await,
        );
        let created = post(
            &app,
            &format!("/api/v1/conseillers/{person}/formations"),
            &admin(),
            initiale(),
        )
        .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let failed = post(
            &app,
            &format!("/api/v1/conseillers/{person}/certifications"),
            &admin(),
            json!({"type": "pix", "date": "2021-08-02", "resultat": "absent"}),
        )
        .await;
        assert_eq!(failed.status, 201, "{}", failed.text);
    }
    let en_retard = |day: &'static str| {
        let db = &db;
        let person = person.clone();
        let host = ids[0].clone();
        async move {
            let app = app_on_day(db, day).await;
            let one = get(&app, &format!("/api/v1/conseillers/{person}"), &admin()).await;
            assert_eq!(one.status, 200, "{}", one.text);
            let listed = get(
                &app,
                &format!("/api/v1/conseillers?structure_id={host}"),
                &admin(),
            )
            .await;
            assert_eq!(
                listed.json["items"][0]["certification_en_retard"],
                one.json["certification_en_retard"]
            );
            one.json["certification_en_retard"].as_bool().unwrap()
        }
    };
    // The statistics, at every level, on a day.
    let statistiques = |day: &'static str, attendu: Value| {
        let db = &db;
        async move {
            let app = app_on_day(db, day).await;
            for uri in [
                "/api/v1/statistiques/departements/93",
                "/api/v1/statistiques/regions/11",
                "/api/v1/statistiques",
            ] {
                let stats = app.anonymous().get(uri).await;
                assert_eq!(stats.status, 200, "{uri}: {}", stats.text);
                assert_eq!(stats.json["certifications"], attendu, "{day} {uri}");
            }
            let listed = app
                .anonymous()
                .get("/api/v1/statistiques/departements")
                .await;
            let d93 = listed.json["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["territoire"]["code"] == "93")
                .cloned()
                .unwrap_or_else(|| panic!("93 in {}", listed.text));
            assert_eq!(d93["certifications"], attendu, "{day} in the list");
        }
    };
    // Ended 2021-06-30: in time until 2021-12-30, late from the next day (an absence does not
    // count as passed).
    statistiques(
        "2021-09-01",
        json!({"formes": 1, "certifies": 0, "part_certifies": 0.0, "en_retard": 0}),
    )
    .await;
    assert!(!en_retard("2021-12-30").await);
    assert!(en_retard("2021-12-31").await);
    statistiques(
        "2021-12-31",
        json!({"formes": 1, "certifies": 0, "part_certifies": 0.0, "en_retard": 1}),
    )
    .await;
    let app = app_on_day(&db, "2022-01-10").await;
    let passed = post(
        &app,
        &format!("/api/v1/conseillers/{person}/certifications"),
        &admin(),
        json!({"type": "ccp1_remn", "date": "2022-01-07", "resultat": "reussie"}),
    )
    .await;
    assert_eq!(passed.status, 201, "{}", passed.text);
    assert!(!en_retard("2022-01-10").await);
    statistiques(
        "2022-01-10",
        json!({"formes": 1, "certifies": 1, "part_certifies": 100.0, "en_retard": 0}),
    )
    .await;
}

/// Six initial trainings of one person sent at once (by its employer and the préfecture):
/// exactly one is recorded, the others refused with the code naming it.
async fn concurrent_initial_trainings(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 2), true).await;
    let person = created_id(
        &post(
            &app,
            "/api/v1/conseillers",
            &admin(),
            recrue(&convention, &ids[0], 1),
        )
        .await,
    );
    let uri = format!("/api/v1/conseillers/{person}/formations");
    let callers = [structure(&ids[0]), prefecture_93()];
    let requests: Vec<_> = (0..6)
        .map(|n| {
            let mut body = initiale();
            body["parcours_heures"] = json!([105, 280, 350, 420][n % 4]);
            common::request("POST", &uri, Some(&callers[n % 2]), Some(&body), &[])
        })
        .collect();
    let answers =
        futures_util::future::join_all(requests.into_iter().map(|r| common::call(&app, r))).await;
    let created: Vec<&common::Answer> = answers.iter().filter(|a| a.status == 201).collect();
    let texts: Vec<&str> = answers.iter().map(|a| a.text.as_str()).collect();
    assert_eq!(created.len(), 1, "{texts:?}");
    let id = created[0].json["id"].as_str().unwrap();
    for answer in answers.iter().filter(|a| a.status != 201) {
        answer.assert_problem(409, "formation_initiale_existante");
        assert_eq!(answer.json["formation_id"], id);
    }
    assert_eq!(rows(&db, "formations", &person), 1);
}

/// The database holds the rules too: one initial training per person (partial unique index), a
/// certification follows a training of the same person, the initial paths, a row of the API
/// with everything the API requires.
async fn the_database_refuses_what_the_rules_refuse(db: TestDb) {
    use diesel::connection::SimpleConnection;
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 2), true).await;
    let mut people = Vec::new();
    for n in 1..=2 {
        people.push(created_id(
            &post(
                &app,
                "/api/v1/conseillers",
                &admin(),
                recrue(&convention, &ids[0], n),
            )
            .await,
        ));
    }
    let contrat = contrats_de(&app, &people[0]).await.remove(0);
    let formation = created_id(
        &post(
            &app,
            &format!("/api/v1/conseillers/{}/formations", people[0]),
            &admin(),
            initiale(),
        )
        .await,
    );
    let (a, b, s) = (&people[0], &people[1], &ids[0]);
    let now = "'2026-01-01T00:00:00.000000Z'";
    let columns = "INSERT INTO formations (id, conseiller_id, type, parcours_heures, date_debut, \
                   date_fin, organisme, contrat_id, structure_id, reprise, cree_le) VALUES";
    for (what, sql) in [
        (
            "a second initial training",
            format!(
                "{columns} ('01936b2e-9a4c-7d41-8f3e-2b5c6d7e0001', '{a}', 'initiale', 105, \
                 '2021-07-01', '2021-08-01', 'Simplon', '{contrat}', '{s}', FALSE, {now})"
            ),
        ),
        (
            "an initial path of 300 hours",
            format!(
                "{columns} ('01936b2e-9a4c-7d41-8f3e-2b5c6d7e0002', '{b}', 'initiale', 300, \
                 '2021-07-01', '2021-08-01', 'Simplon', NULL, '{s}', TRUE, {now})"
            ),
        ),
        (
            "a training of the API without its end",
            format!(
                "{columns} ('01936b2e-9a4c-7d41-8f3e-2b5c6d7e0003', '{a}', 'continue', NULL, \
                 '2021-07-01', NULL, 'Simplon', '{contrat}', '{s}', FALSE, {now})"
            ),
        ),
        (
            "a training ending before it starts",
            format!(
                "{columns} ('01936b2e-9a4c-7d41-8f3e-2b5c6d7e0004', '{a}', 'continue', NULL, \
                 '2021-07-01', '2021-06-01', 'Simplon', '{contrat}', '{s}', FALSE, {now})"
            ),
        ),
        (
            "a certification following another person's training",
            format!(
                "INSERT INTO certifications (id, conseiller_id, formation_id, type, date, \
                 resultat, reprise, cree_le) VALUES ('01936b2e-9a4c-7d41-8f3e-2b5c6d7e0005', \
                 '{b}', '{formation}', 'pix', '2021-07-15', 'reussie', FALSE, {now})"
            ),
        ),
    ] {
        assert!(
            db.conn().batch_execute(&sql).is_err(),
            "the database accepted {what}"
        );
    }
    assert_eq!(rows(&db, "formations", a) + rows(&db, "formations", b), 1);
    assert_eq!(rows(&db, "certifications", b), 0);
}

on_both_backends!(
    concurrent_initial_trainings,
    the_database_refuses_what_the_rules_refuse,
    trainings_and_certifications_are_recorded_and_shown,
    each_refusal_has_its_code_and_changes_nothing,
    access_is_the_advisors,
    a_person_who_changed_employer_keeps_one_initial_training,
    late_six_months_after_the_training_without_a_passed_certification,
);

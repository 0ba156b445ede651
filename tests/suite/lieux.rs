//! Places of activity through HTTP on both backends: who writes them, every check of the national
//! standard, public reads, changes under `If-Match`.

use crate::common;

use cnfs_api::auth::Role;
use common::scenario::{admin, post, prefecture_93, structure};
use common::{App, TestApp, TestDb, count, siret_for, token};
use serde_json::{Value, json};

/// Aubervilliers (93) and Paris (75); returns their ids.
async fn aubervilliers_and_paris(app: &TestApp<impl App>) -> (String, String) {
    let mut ids = Vec::new();
    for (siren, nom, commune) in [
        ("219300019", "Ville d'Aubervilliers", "93001"),
        ("217500016", "Ville de Paris", "75056"),
    ] {
        let body = json!({"siret": siret_for(siren), "nom": nom, "type": "commune", "code_insee": commune});
        let created = post(app, "/api/v1/structures", &admin(), body).await;
        assert_eq!(created.status, 201, "{}", created.text);
        ids.push(created.json["id"].as_str().unwrap().to_owned());
    }
    (ids[0].clone(), ids[1].clone())
}

fn mediatheque(structure: &str) -> Value {
    json!({
        "structure_id": structure, "nom": "Médiathèque André Breton", "adresse": "1 rue Bordier",
        "code_postal": "93300", "code_insee": "93001", "latitude": 48.9146, "longitude": 2.3821,
        "horaires": "Tu-Sa 10:00-18:00; Su off", "telephone": "+33148393850",
        "courriels": ["mediatheques@plainecommune.fr"],
        "site_web": ["https://www.mediatheques-plainecommune.fr"], "itinerance": ["Fixe"],
        "services": ["Aide aux démarches administratives", "Maîtrise des outils numériques du quotidien"],
        "modalites_acces": ["Se présenter", "Téléphoner"], "publics_specifiquement_adresses": ["Seniors"]
    })
}

async fn who_writes_and_public_reads(db: TestDb) {
    let app = TestApp::on(&db).await;
    let (aubervilliers, paris) = aubervilliers_and_paris(&app).await;
    let itself = structure(&aubervilliers);
    let created = post(&app, "/api/v1/lieux", &itself, mediatheque(&aubervilliers)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(created.header("location"), format!("/api/v1/lieux/{id}"));
    assert_eq!(created.json["commune"], "Aubervilliers");
    assert_eq!(created.json["departement"], "93");
    assert_eq!(
        created.json["services"][1],
        "Maîtrise des outils numériques du quotidien"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'lieu'"
        ),
        1
    );

    // Another structure, a préfecture of another département, a lecteur: 403.
    let other = structure(&paris);
    post(&app, "/api/v1/lieux", &other, mediatheque(&aubervilliers))
        .await
        .assert_problem(403, "interdit");
    post(
        &app,
        "/api/v1/lieux",
        &token(Role::Prefecture, &["75"], None),
        mediatheque(&aubervilliers),
    )
    .await
    .assert_problem(403, "interdit");
    post(
        &app,
        "/api/v1/lieux",
        &token(Role::Lecteur, &[], None),
        mediatheque(&aubervilliers),
    )
    .await
    .assert_problem(403, "interdit");
    let by_prefecture = post(
        &app,
        "/api/v1/lieux",
        &prefecture_93(),
        json!({"structure_id": aubervilliers, "nom": "Espace numérique", "adresse": "2 rue de la Commune de Paris", "code_postal": "93300", "code_insee": "93001"}),
    )
    .await;
    assert_eq!(by_prefecture.status, 201, "{}", by_prefecture.text);
    assert_eq!(by_prefecture.json["services"], json!([]));

    // Public reads, with filters.
    let listed = app.anonymous().get("/api/v1/lieux?code_insee=93001").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 2);
    let listed = app.anonymous().get("/api/v1/lieux?departement=75").await;
    assert_eq!(listed.json["items"], json!([]));
    let listed = app
        .anonymous()
        .get(&format!(
            "/api/v1/lieux?structure_id={aubervilliers}&limit=1"
        ))
        .await;
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 1);
    assert!(listed.json["next_cursor"].is_string());
    let one = app.anonymous().get(&format!("/api/v1/lieux/{id}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.header("etag"), "\"1\"");
    assert_eq!(one.json["telephone"], "+33148393850");
}

/// Every field of the standard is checked, each refusal pointing at its field.
async fn the_standards_checks(db: TestDb) {
    let app = TestApp::on(&db).await;
    let (aubervilliers, _) = aubervilliers_and_paris(&app).await;
    let refused = |change: Value| {
        let mut body = mediatheque(&aubervilliers);
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let app = &app;
        async move { post(app, "/api/v1/lieux", &admin(), body).await }
    };
    for (change, code, pointer) in [
        (
            json!({"telephone": "01 48 39 38 50"}),
            "validation",
            "/telephone",
        ),
        (
            json!({"telephone": "+4412345678"}),
            "validation",
            "/telephone",
        ),
        (
            json!({"horaires": "lundi 9h-12h"}),
            "validation",
            "/horaires",
        ),
        (
            json!({"services": ["Cours de cuisine"]}),
            "validation",
            "/services/0",
        ),
        (
            json!({"itinerance": ["Mobile"]}),
            "validation",
            "/itinerance/0",
        ),
        (
            json!({"modalites_acces": ["Écrire"]}),
            "validation",
            "/modalites_acces/0",
        ),
        (
            json!({"publics_specifiquement_adresses": ["Tous"]}),
            "validation",
            "/publics_specifiquement_adresses/0",
        ),
        (
            json!({"site_web": ["www.example.fr"]}),
            "validation",
            "/site_web",
        ),
        (
            json!({"courriels": ["pas-une-adresse"]}),
            "validation",
            "/courriels",
        ),
        // The spec's maxLength of each address (2,000 and 320 characters) is enforced.
        (
            json!({"site_web": [long_site(2001)]}),
            "validation",
            "/site_web",
        ),
        (
            json!({"courriels": [format!("{}@example.fr", "a".repeat(65))]}),
            "validation",
            "/courriels",
        ),
        (json!({"latitude": 91.0}), "validation", "/latitude"),
        (json!({"longitude": null}), "validation", "/longitude"),
        (json!({"code_postal": "9330"}), "validation", "/code_postal"),
        (
            json!({"code_postal": "75001"}),
            "code_postal_incoherent",
            "/code_postal",
        ),
        (
            json!({"code_insee": "93999", "code_postal": "93999"}),
            "commune_inconnue",
            "/code_insee",
        ),
        (
            json!({"structure_id": "01936b2e-9a4c-7d41-8f3e-000000000000"}),
            "reference_invalide",
            "/structure_id",
        ),
    ] {
        let answer = refused(change.clone()).await;
        answer.assert_problem(422, code);
        assert_eq!(
            answer.json["errors"][0]["pointer"], pointer,
            "{change}: {}",
            answer.text
        );
    }
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM lieux"), 0);
    // At the bounds: accepted, and stored whole.
    let mut longest = mediatheque(&aubervilliers);
    longest["site_web"] = json!([long_site(2000)]);
    // 64 characters, `@`, a domain of 255 (labels of 63, 62, 62, 62, then `.fr`).
    let domain = format!(
        "{}.{}.{}.{}.fr",
        "b".repeat(63),
        "c".repeat(62),
        "d".repeat(62),
        "e".repeat(62)
    );
    let courriel = format!("{}@{domain}", "a".repeat(64));
    assert_eq!(courriel.len(), 320);
    longest["courriels"] = json!([courriel]);
    let created = post(&app, "/api/v1/lieux", &admin(), longest).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["site_web"][0], long_site(2000));
    assert_eq!(created.json["courriels"][0], courriel);
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM lieux"), 1);
}

/// A web address of exactly `length` characters.
fn long_site(length: usize) -> String {
    let start = "https://www.example.fr/";
    format!("{start}{}", "a".repeat(length - start.len()))
}

async fn changes(db: TestDb) {
    let app = TestApp::on(&db).await;
    let (aubervilliers, paris) = aubervilliers_and_paris(&app).await;
    let created = post(&app, "/api/v1/lieux", &admin(), mediatheque(&aubervilliers)).await;
    let uri = format!("/api/v1/lieux/{}", created.json["id"].as_str().unwrap());
    let itself = structure(&aubervilliers);
    let patch = |who: String, body: Value, etag: Option<&'static str>| {
        let app = &app;
        let uri = uri.clone();
        async move {
            let call = app.as_(&who);
            let call = match etag {
                Some(etag) => call.if_match(etag),
                None => call,
            };
            call.patch(&uri, &body).await
        }
    };
    patch(itself.clone(), json!({"nom": "Médiathèque"}), None)
        .await
        .assert_problem(428, "precondition_requise");
    patch(itself.clone(), json!({"nom": "Médiathèque"}), Some("\"9\""))
        .await
        .assert_problem(412, "precondition_echouee");
    patch(structure(&paris), json!({"nom": "x"}), Some("\"1\""))
        .await
        .assert_problem(403, "interdit");
    patch(
        token(Role::Prefecture, &["75"], None),
        json!({"nom": "x"}),
        Some("\"1\""),
    )
    .await
    .assert_problem(403, "interdit");
    patch(
        itself.clone(),
        json!({"structure_id": paris}),
        Some("\"1\""),
    )
    .await
    .assert_problem(422, "validation");
    patch(
        itself.clone(),
        json!({"code_postal": "93200"}),
        Some("\"1\""),
    )
    .await
    .assert_problem(422, "code_postal_incoherent");
    let changed = patch(
        itself.clone(),
        json!({"horaires": "Tu-Sa 10:00-19:00", "services": ["Aide aux démarches administratives"], "code_insee": "93066", "code_postal": "93200"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.header("etag"), "\"2\"");
    assert_eq!(changed.json["commune"], "Saint-Denis");
    assert_eq!(
        changed.json["services"],
        json!(["Aide aux démarches administratives"])
    );
    assert_eq!(
        changed.json["telephone"], "+33148393850",
        "untouched fields stay"
    );
    // A préfecture of the 93 may not move it to Paris.
    patch(
        prefecture_93(),
        json!({"code_insee": "75056", "code_postal": "75001"}),
        Some("\"2\""),
    )
    .await
    .assert_problem(403, "interdit");
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'lieu' AND action = 'modification'"
        ),
        1
    );
}

/// Issue 29 §5: a structure's lieu stays in its département, whoever edits it (a structure used
/// to move its own lieu to Paris with a 200, where a préfecture got a 403).
async fn a_lieu_stays_in_its_departement(db: TestDb) {
    let app = TestApp::on(&db).await;
    let (aubervilliers, _) = aubervilliers_and_paris(&app).await;
    let created = post(&app, "/api/v1/lieux", &admin(), mediatheque(&aubervilliers)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let uri = format!("/api/v1/lieux/{}", created.json["id"].as_str().unwrap());
    let unchanged = || {
        count(
            &db,
            "SELECT COUNT(*) AS n FROM lieux WHERE departement = '93' AND code_insee = '93001' \
             AND code_postal = '93300' AND version = 1",
        )
    };
    let to_paris = json!({"code_insee": "75056", "code_postal": "75001"});
    for who in [structure(&aubervilliers), admin()] {
        let answer = app.as_(&who).if_match("\"1\"").patch(&uri, &to_paris).await;
        answer.assert_problem(403, "changement_de_departement");
        assert_eq!(answer.json["errors"][0]["pointer"], "/code_insee");
        assert_eq!(unchanged(), 1);
    }
    // A préfecture of two départements may not move it across them either.
    let both = token(Role::Prefecture, &["75", "93"], None);
    app.as_(&both)
        .if_match("\"1\"")
        .patch(&uri, &to_paris)
        .await
        .assert_problem(403, "changement_de_departement");
    assert_eq!(unchanged(), 1);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'lieu' AND action = 'modification'"
        ),
        0
    );
    // Within its département, the structure moves it.
    let moved = app
        .as_(structure(&aubervilliers))
        .if_match("\"1\"")
        .patch(
            &uri,
            &json!({"code_insee": "93066", "code_postal": "93200"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.json["departement"], "93");
    assert_eq!(moved.json["commune"], "Saint-Denis");
}

on_both_backends!(
    who_writes_and_public_reads,
    the_standards_checks,
    changes,
    a_lieu_stays_in_its_departement,
);

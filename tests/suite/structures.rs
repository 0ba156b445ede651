//! `/api/v1/structures`: creation against the référentiel, reads and lists within the caller's
//! scope, the conditional rename, the journal, on both backends.

use crate::common;

use cnfs_api::auth::Role;
use common::scenario::{admin, prefecture_93, structure};
use common::{TestApp, TestDb, count, siret_for, token};
use serde_json::{Value, json};

fn aubervilliers() -> Value {
    json!({"siret": siret_for("219300019"), "nom": "Ville d'Aubervilliers", "type": "commune", "code_insee": "93001"})
}

async fn structure_lifecycle(db: TestDb) {
    let app = TestApp::on(&db).await;
    let prefecture = prefecture_93();
    let created = app
        .as_(&prefecture)
        .post("/api/v1/structures", aubervilliers())
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        format!("/api/v1/structures/{id}")
    );
    assert_eq!(created.header("etag"), "\"1\"");
    assert_eq!(created.json["siren"], "219300019");
    assert_eq!(created.json["commune"], "Aubervilliers");
    assert_eq!(created.json["departement"], "93");
    assert_eq!(created.json["region"], "11");
    assert_eq!(created.json["type"], "commune");
    assert_eq!(created.json["version"], 1);

    let read = app
        .as_(&prefecture)
        .get(&format!("/api/v1/structures/{id}"))
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json, created.json);
    assert_eq!(read.header("etag"), "\"1\"");

    // The rename: If-Match required, then checked.
    let uri = format!("/api/v1/structures/{id}");
    let rename = json!({"nom": "Mairie d'Aubervilliers"});
    app.as_(&prefecture)
        .patch(&uri, &rename)
        .await
        .assert_problem(428, "precondition_requise");
    app.as_(&prefecture)
        .if_match("\"7\"")
        .patch(&uri, &rename)
        .await
        .assert_problem(412, "precondition_echouee");
    let renamed = app
        .as_(&prefecture)
        .if_match("\"1\"")
        .patch(&uri, &rename)
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.json["nom"], "Mairie d'Aubervilliers");
    assert_eq!(renamed.header("etag"), "\"2\"");
    // The SIRET never changes.
    app.as_(&prefecture)
        .if_match("\"2\"")
        .patch(&uri, json!({"nom": "X", "siret": siret_for("219300019")}))
        .await
        .assert_problem(422, "validation");
    // The structure itself may rename itself; another structure does not see it.
    let itself = structure(&id);
    let renamed = app
        .as_(&itself)
        .if_match("\"2\"")
        .patch(&uri, json!({"nom": "Aubervilliers"}))
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let other = token(
        Role::Structure,
        &[],
        Some("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"),
    );
    app.as_(&other)
        .if_match("\"3\"")
        .patch(&uri, &rename)
        .await
        .assert_problem(404, "ressource_introuvable");
    app.as_(&other)
        .get(&uri)
        .await
        .assert_problem(404, "ressource_introuvable");
    // A lecteur in scope sees it but may not change it.
    let lecteur = token(Role::Lecteur, &["93"], None);
    assert_eq!(app.as_(&lecteur).get(&uri).await.status, 200);
    app.as_(&lecteur)
        .if_match("\"3\"")
        .patch(&uri, &rename)
        .await
        .assert_problem(403, "interdit");
    // Out of scope: 404 whatever the role.
    let prefecture_75 = token(Role::Prefecture, &["75"], None);
    app.as_(&prefecture_75)
        .get(&uri)
        .await
        .assert_problem(404, "ressource_introuvable");
    app.as_(&prefecture_75)
        .if_match("\"3\"")
        .patch(&uri, &rename)
        .await
        .assert_problem(404, "ressource_introuvable");

    // The journal: a creation and two renames (refusals write nothing), with author and fields.
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'structure' AND ressource_id = '{id}'"
            )
        ),
        3
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE action = 'modification' AND avant LIKE '%Ville d''Aubervilliers%' AND apres LIKE '%Mairie d''Aubervilliers%' AND role = 'prefecture'"
        ),
        1
    );
}

async fn creation_refusals(db: TestDb) {
    let app = TestApp::on(&db).await;
    let prefecture = prefecture_93();
    let post = |body: Value, who: Option<String>| {
        let app = &app;
        async move {
            app.caller(who.as_deref())
                .post("/api/v1/structures", &body)
                .await
        }
    };
    let with = |field: &str, value: Value| {
        let mut body = aubervilliers();
        body[field] = value;
        body
    };
    // Luhn.
    let answer = post(
        with("siret", json!("21930001900010")),
        Some(prefecture.clone()),
    )
    .await;
    answer.assert_problem(422, "validation");
    assert_eq!(answer.json["errors"][0]["pointer"], "/siret");
    // La Poste's exception: its SIRETs pass when the sum of their digits is a multiple of 5.
    let la_poste = json!({"siret": "35600000000001", "nom": "La Poste", "type": "autre_public", "code_insee": "93066"});
    assert_eq!(post(la_poste, Some(prefecture.clone())).await.status, 201);
    // Unknown commune.
    let answer = post(with("code_insee", json!("93999")), Some(prefecture.clone())).await;
    answer.assert_problem(422, "commune_inconnue");
    assert_eq!(answer.json["errors"][0]["pointer"], "/code_insee");
    // A commune whose SIREN is not the référentiel's; Saint-Denis' SIREN before 2025 included.
    let answer = post(with("code_insee", json!("93048")), Some(prefecture.clone())).await;
    answer.assert_problem(422, "siren_incoherent");
    assert_eq!(answer.json["errors"][0]["pointer"], "/siret");
    let old_saint_denis = json!({"siret": siret_for("219300662"), "nom": "Saint-Denis", "type": "commune", "code_insee": "93066"});
    post(old_saint_denis, Some(prefecture.clone()))
        .await
        .assert_problem(422, "siren_incoherent");
    let saint_denis = json!({"siret": siret_for("929939411"), "nom": "Saint-Denis", "type": "commune", "code_insee": "93066"});
    assert_eq!(
        post(saint_denis, Some(prefecture.clone())).await.status,
        201
    );
    // An EPT: Plaine Commune, seat Saint-Denis.
    let plaine_commune = json!({"siret": "20005786700018", "nom": "Plaine Commune", "type": "epci", "code_insee": "93066"});
    assert_eq!(
        post(plaine_commune.clone(), Some(prefecture.clone()))
            .await
            .status,
        201
    );
    // Same SIRET again: 409.
    let answer = post(plaine_commune, Some(prefecture.clone())).await;
    answer.assert_problem(409, "deja_existant");
    // Shape: a missing field, an unknown type, a blank name.
    let mut missing = aubervilliers();
    missing.as_object_mut().unwrap().remove("nom");
    let answer = post(missing, Some(prefecture.clone())).await;
    answer.assert_problem(422, "validation");
    assert_eq!(answer.json["errors"][0]["pointer"], "/nom");
    post(with("type", json!("ministere")), Some(prefecture.clone()))
        .await
        .assert_problem(422, "validation");
    post(with("nom", json!("   ")), Some(prefecture.clone()))
        .await
        .assert_problem(422, "validation");
    post(with("id", json!("x")), Some(prefecture.clone()))
        .await
        .assert_problem(422, "validation");
    // Access: no token, a role that may not create, a préfecture of another département.
    post(aubervilliers(), None)
        .await
        .assert_problem(401, "jeton_absent");
    post(aubervilliers(), Some(token(Role::Lecteur, &[], None)))
        .await
        .assert_problem(403, "interdit");
    post(
        aubervilliers(),
        Some(token(Role::Prefecture, &["75"], None)),
    )
    .await
    .assert_problem(403, "interdit");
    // A role that may not create learns nothing from a malformed body.
    post(json!({"x": 1}), Some(token(Role::Lecteur, &[], None)))
        .await
        .assert_problem(403, "interdit");
    // Nothing refused was written.
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM structures"), 3);
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM journal"), 3);
}

async fn lists_follow_the_scope_and_filters(db: TestDb) {
    let app = TestApp::on(&db).await;
    let admin = admin();
    let mut ids = Vec::new();
    for body in [
        aubervilliers(),
        json!({"siret": "20005786700018", "nom": "Plaine Commune", "type": "epci", "code_insee": "93066"}),
        json!({"siret": siret_for("217500016"), "nom": "Ville de Paris", "type": "commune", "code_insee": "75056"}),
    ] {
        let created = app.as_(&admin).post("/api/v1/structures", &body).await;
        assert_eq!(created.status, 201, "{}", created.text);
        ids.push(created.json["id"].as_str().unwrap().to_owned());
    }
    let names = |answer: &common::Answer| -> Vec<String> {
        answer.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["nom"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |uri: &'static str, who: String| {
        let app = &app;
        async move { app.as_(&who).get(uri).await }
    };
    assert_eq!(
        names(&list("/api/v1/structures", admin.clone()).await).len(),
        3
    );
    assert_eq!(
        names(&list("/api/v1/structures", prefecture_93()).await),
        ["Ville d'Aubervilliers", "Plaine Commune"]
    );
    assert_eq!(
        names(&list("/api/v1/structures", token(Role::Prefecture, &["75"], None)).await),
        ["Ville de Paris"]
    );
    assert_eq!(
        names(&list("/api/v1/structures", structure(&ids[1])).await),
        ["Plaine Commune"]
    );
    assert_eq!(
        names(&list("/api/v1/structures?type=epci", admin.clone()).await),
        ["Plaine Commune"]
    );
    assert_eq!(
        names(&list("/api/v1/structures?departement=75", admin.clone()).await),
        ["Ville de Paris"]
    );
    assert_eq!(
        names(&list("/api/v1/structures?siret=20005786700018", admin.clone()).await),
        ["Plaine Commune"]
    );
    assert_eq!(
        names(&list("/api/v1/structures?q=plaine", admin.clone()).await),
        ["Plaine Commune"]
    );
    assert_eq!(
        names(&list("/api/v1/structures?q=ville", admin.clone()).await),
        ["Ville d'Aubervilliers", "Ville de Paris"]
    );
    // Pages chain.
    let first = list("/api/v1/structures?limit=2", admin.clone()).await;
    assert_eq!(names(&first).len(), 2);
    let cursor = first.json["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .as_(&admin)
        .get(&format!("/api/v1/structures?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(names(&second).len(), 1);
    assert!(second.json["next_cursor"].is_null());
    list("/api/v1/structures?type=ministere", admin.clone())
        .await
        .assert_problem(400, "parametre_invalide");
}

/// Two renames with the same ETag at the same time: exactly one 200, one 412.
async fn concurrent_renames_with_one_etag(db: TestDb) {
    let app = TestApp::on(&db).await;
    let prefecture = prefecture_93();
    let created = app
        .as_(&prefecture)
        .post("/api/v1/structures", aubervilliers())
        .await;
    let uri = format!(
        "/api/v1/structures/{}",
        created.json["id"].as_str().unwrap()
    );
    common::assert_one_patch_wins_per_etag(
        &app,
        &uri,
        &prefecture,
        1,
        |round, who| json!({"nom": format!("{who}{round}")}),
    )
    .await;
}

/// The employer category follows the legal nature; a priority territory is the State's call:
/// admin or the département's préfecture, journaled, `If-Match` checked; the structure itself,
/// a lecteur and another département's préfecture may not.
async fn categorie_and_priority_territory(db: TestDb) {
    let app = TestApp::on(&db).await;
    let admin = admin();
    let mut ids = Vec::new();
    for (body, categorie) in [
        (aubervilliers(), "public"),
        (
            json!({"siret": siret_for("775672272"), "nom": "Emmaüs Connect", "type": "association", "code_insee": "93066"}),
            "prive",
        ),
        (
            json!({"siret": siret_for("380129866"), "nom": "SCIC Numérique", "type": "autre_prive", "code_insee": "93066"}),
            "prive",
        ),
        (
            json!({"siret": siret_for("269300015"), "nom": "CCAS de Bobigny", "type": "autre_public", "code_insee": "93008"}),
            "public",
        ),
    ] {
        let created = app.as_(&admin).post("/api/v1/structures", &body).await;
        assert_eq!(created.status, 201, "{}", created.text);
        assert_eq!(created.json["categorie"], categorie, "{body}");
        assert_eq!(created.json["territoire_prioritaire"], false);
        ids.push(created.json["id"].as_str().unwrap().to_owned());
    }
    let uri = format!("/api/v1/structures/{}/territoire-prioritaire", ids[0]);
    let yes = json!({"territoire_prioritaire": true});
    // Who may not: the structure itself and a lecteur (403), another département (404).
    app.as_(structure(&ids[0]))
        .post(&uri, &yes)
        .await
        .assert_problem(403, "interdit");
    app.as_(token(Role::Lecteur, &["93"], None))
        .post(&uri, &yes)
        .await
        .assert_problem(403, "interdit");
    app.as_(token(Role::Prefecture, &["75"], None))
        .post(&uri, &yes)
        .await
        .assert_problem(404, "ressource_introuvable");
    app.as_(prefecture_93())
        .post(&uri, json!({"territoire_prioritaire": "oui"}))
        .await
        .assert_problem(422, "validation");
    app.as_(prefecture_93())
        .if_match("\"4\"")
        .post(&uri, &yes)
        .await
        .assert_problem(412, "precondition_echouee");
    let read = app
        .as_(&admin)
        .get(&format!("/api/v1/structures/{}", ids[0]))
        .await;
    assert_eq!(read.json["territoire_prioritaire"], false);
    assert_eq!(read.json["version"], 1);

    let classed = app
        .as_(prefecture_93())
        .if_match("\"1\"")
        .post(&uri, &yes)
        .await;
    assert_eq!(classed.status, 200, "{}", classed.text);
    assert_eq!(classed.json["territoire_prioritaire"], true);
    assert_eq!(classed.json["categorie"], "public");
    assert_eq!(classed.header("etag"), "\"2\"");
    let read = app
        .as_(structure(&ids[0]))
        .get(&format!("/api/v1/structures/{}", ids[0]))
        .await;
    assert_eq!(read.json, classed.json);
    // Admin takes it out again.
    let out = app
        .as_(&admin)
        .post(&uri, json!({"territoire_prioritaire": false}))
        .await;
    assert_eq!(out.status, 200, "{}", out.text);
    assert_eq!(out.json["territoire_prioritaire"], false);
    assert_eq!(out.json["version"], 3);
    // The list's filters.
    let names = |uri: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let page = app.as_(&admin).get(&uri).await;
            assert_eq!(page.status, 200, "{}", page.text);
            page.json["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["nom"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let mut prives = names("/api/v1/structures?categorie=prive".to_owned()).await;
    prives.sort();
    assert_eq!(prives, ["Emmaüs Connect", "SCIC Numérique"]);
    assert_eq!(
        names("/api/v1/structures?categorie=public&type=association".to_owned()).await,
        Vec::<String>::new()
    );
    let again = app.as_(prefecture_93()).post(&uri, &yes).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(
        names("/api/v1/structures?territoire_prioritaire=true".to_owned()).await,
        ["Ville d'Aubervilliers"]
    );
    assert_eq!(
        names("/api/v1/structures?territoire_prioritaire=false&categorie=public".to_owned()).await,
        ["CCAS de Bobigny"]
    );
    app.as_(&admin)
        .get("/api/v1/structures?categorie=mixte")
        .await
        .assert_problem(400, "parametre_invalide");
    app.as_(&admin)
        .get("/api/v1/structures?territoire_prioritaire=oui")
        .await
        .assert_problem(400, "parametre_invalide");
    // Three entries in the journal, each with the value before and after; refusals wrote
    // nothing.
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM journal WHERE action = 'territoire_prioritaire' AND ressource_id = '{}'",
                ids[0]
            )
        ),
        3
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE action = 'territoire_prioritaire' AND role = 'prefecture' AND avant LIKE '%\"territoire_prioritaire\":false%' AND apres LIKE '%\"territoire_prioritaire\":true%'"
        ),
        2
    );
}

on_both_backends!(
    categorie_and_priority_territory,
    structure_lifecycle,
    creation_refusals,
    lists_follow_the_scope_and_filters,
    concurrent_renames_with_one_etag,
);

//! Conventions through HTTP on both backends: the Seine-Saint-Denis story, every refusal of the
//! life cycle, amendments, lateness, scoping, and concurrent writes.

use crate::common;

use chrono::NaiveDate;
use cnfs_api::auth::Role;
use common::scenario::{admin, app_on_day, post, prefecture_93, structure};
use common::{Answer, App, TestApp, TestDb, count, siret_for, token};
use serde_json::{Value, json};

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Creates the structures of the story; returns their ids: Aubervilliers, Montreuil, Plaine
/// Commune (signatories, 93), Bobigny (93, not signatory) and Paris (75) — the shared
/// [`structures`](common::scenario::structures) has neither Plaine Commune nor Paris.
async fn structures_with_plaine_commune_and_paris(app: &TestApp<impl App>) -> Vec<String> {
    let mut ids = Vec::new();
    for (siren, nom, kind, commune) in [
        ("219300019", "Ville d'Aubervilliers", "commune", "93001"),
        ("219300480", "Ville de Montreuil", "commune", "93048"),
        ("200057867", "Plaine Commune", "epci", "93066"),
        ("219300084", "Ville de Bobigny", "commune", "93008"),
        ("217500016", "Ville de Paris", "commune", "75056"),
    ] {
        let body =
            json!({"siret": siret_for(siren), "nom": nom, "type": kind, "code_insee": commune});
        let created = app.as_(admin()).post("/api/v1/structures", &body).await;
        assert_eq!(created.status, 201, "{nom}: {}", created.text);
        ids.push(created.json["id"].as_str().unwrap().to_owned());
    }
    ids
}

fn new_convention(signataires: &[&String], postes: i64) -> Value {
    json!({
        "departement": "93",
        "intitule": "Conseillers numériques France Services — Seine-Saint-Denis",
        "signataires": signataires,
        "postes_attribues": postes,
    })
}

/// The Seine-Saint-Denis story: Aubervilliers, Montreuil and Plaine Commune sign for 80 posts on
/// 2021-02-08; the deadline is 2021-04-08; the project splits the 80 posts; it is validated; a
/// préfecture of Paris does not see it.
async fn the_seine_saint_denis_story(db: TestDb) {
    let app = app_on_day(&db, "2021-03-01").await;
    let ids = structures_with_plaine_commune_and_paris(&app).await;
    let prefecture = prefecture_93();

    let created = post(
        &app,
        "/api/v1/conventions",
        &prefecture,
        new_convention(&[&ids[0], &ids[1], &ids[2]], 80),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_owned();
    let uri = format!("/api/v1/conventions/{id}");
    assert_eq!(created.header("location"), uri);
    assert_eq!(created.header("etag"), "\"1\"");
    assert_eq!(created.json["numero"], "CNFS-93-2021-0001");
    assert_eq!(created.json["statut"], "brouillon");
    assert_eq!(created.json["region"], "11");
    assert_eq!(created.json["delai_projet_mois"], 2);
    assert_eq!(created.json["signataires"].as_array().unwrap().len(), 3);
    assert_eq!(
        created.json["actions_possibles"],
        json!(["modification", "signature", "resiliation"])
    );

    let signed = post(
        &app,
        &format!("{uri}/signature"),
        &prefecture,
        json!({"date_signature": "2021-02-08"}),
    )
    .await;
    assert_eq!(signed.status, 200, "{}", signed.text);
    assert_eq!(signed.json["statut"], "signee");
    assert_eq!(signed.json["date_signature"], "2021-02-08");
    assert_eq!(signed.json["date_limite_projet"], "2021-04-08");
    assert_eq!(signed.json["jours_restants"], 38);
    assert_eq!(signed.json["en_retard"], false);
    assert_eq!(signed.header("etag"), "\"2\"");

    let projet = json!({
        "repartition": [
            {"structure_id": ids[0], "postes": 30},
            {"structure_id": ids[1], "postes": 25},
            {"structure_id": ids[2], "postes": 25}
        ],
        "lieux_prevus": 12,
        "date_depot": "2021-02-26"
    });
    let filed = app
        .as_(&prefecture)
        .if_match("\"2\"")
        .post(&format!("{uri}/projet-accueil"), &projet)
        .await;
    assert_eq!(filed.status, 200, "{}", filed.text);
    assert_eq!(filed.json["statut"], "projet_depose");
    assert_eq!(filed.json["repartition"].as_array().unwrap().len(), 3);
    assert_eq!(filed.json["lieux_prevus"], 12);
    assert!(filed.json["jours_restants"].is_null());

    let validated = post(
        &app,
        &format!("{uri}/validation"),
        &prefecture,
        json!({"date_validation": "2021-03-01"}),
    )
    .await;
    assert_eq!(validated.status, 200, "{}", validated.text);
    assert_eq!(validated.json["statut"], "en_execution");
    assert_eq!(validated.json["date_validation"], "2021-03-01");
    assert_eq!(validated.json["version"], 4);

    let read = app.as_(&prefecture).get(&uri).await;
    assert_eq!(read.json, validated.json);
    assert_eq!(read.header("etag"), "\"4\"");
    // What reads show (the JSON copies) is what the tables hold.
    assert_same_as_tables(&db, &id, &read.json);

    // A signatory and a lecteur of the département see it; a préfecture of Paris does not.
    let aubervilliers = structure(&ids[0]);
    assert_eq!(app.as_(&aubervilliers).get(&uri).await.status, 200);
    assert_eq!(
        app.as_(token(Role::Lecteur, &["93"], None))
            .get(&uri)
            .await
            .status,
        200
    );
    let paris = token(Role::Prefecture, &["75"], None);
    app.as_(&paris)
        .get(&uri)
        .await
        .assert_problem(404, "ressource_introuvable");
    let listed = app.as_(&paris).get("/api/v1/conventions").await;
    assert_eq!(listed.json["items"], json!([]));
    app.as_(&paris)
        .get(&format!("/api/v1/journal?ressource=convention&id={id}"))
        .await;
    let paris_journal = app
        .as_(&paris)
        .get(&format!("/api/v1/journal?id={id}"))
        .await;
    assert_eq!(paris_journal.json["items"], json!([]));

    // The journal: four entries, newest first, with the changed fields.
    let journal = app
        .as_(&prefecture)
        .get(&format!("/api/v1/journal?ressource=convention&id={id}"))
        .await;
    assert_eq!(journal.status, 200, "{}", journal.text);
    let actions: Vec<&str> = journal.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["validation", "projet_accueil", "signature", "creation"]
    );
    let signature = &journal.json["items"][2];
    assert_eq!(signature["avant"]["statut"], "brouillon");
    assert_eq!(signature["apres"]["statut"], "signee");
    assert_eq!(signature["apres"]["date_limite_projet"], "2021-04-08");
    assert_eq!(signature["role"], "prefecture");
    assert!(signature["avant"].get("jours_restants").is_none());
    app.as_(token(Role::Lecteur, &[], None))
        .get("/api/v1/journal")
        .await
        .assert_problem(403, "interdit");
    app.as_(&aubervilliers)
        .get("/api/v1/journal")
        .await
        .assert_problem(403, "interdit");
}

/// The signatories and split a convention shows are those of `conventions_signataires` and
/// `conventions_repartition` (the reads use the JSON copies kept on the convention's row).
fn assert_same_as_tables(db: &TestDb, id: &str, shown: &Value) {
    let signataires = shown["signataires"].as_array().unwrap();
    assert_eq!(
        count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM conventions_signataires WHERE convention_id = '{id}'"
            )
        ),
        signataires.len() as i64
    );
    for signataire in signataires {
        let sid = signataire.as_str().unwrap();
        assert_eq!(
            count(
                db,
                &format!(
                    "SELECT COUNT(*) AS n FROM conventions_signataires WHERE convention_id = '{id}' AND structure_id = '{sid}'"
                )
            ),
            1
        );
    }
    let parts = shown["repartition"].as_array().unwrap();
    assert_eq!(
        count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM conventions_repartition WHERE convention_id = '{id}'"
            )
        ),
        parts.len() as i64
    );
    for part in parts {
        let (sid, postes) = (
            part["structure_id"].as_str().unwrap(),
            part["postes"].as_i64().unwrap(),
        );
        assert_eq!(
            count(
                db,
                &format!(
                    "SELECT COUNT(*) AS n FROM conventions_repartition WHERE convention_id = '{id}' AND structure_id = '{sid}' AND postes = {postes}"
                )
            ),
            1
        );
    }
}

/// Creates a draft convention of the 93 signed by `signataires`; returns its URI.
async fn draft(app: &TestApp<impl App>, signataires: &[&String], postes: i64) -> String {
    let created = post(
        app,
        "/api/v1/conventions",
        &prefecture_93(),
        new_convention(signataires, postes),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    format!(
        "/api/v1/conventions/{}",
        created.json["id"].as_str().unwrap()
    )
}

/// A signed convention of the story (today 2021-03-01); returns (app's ids, convention uri).
async fn signed_convention(app: &TestApp<impl App>, ids: &[String]) -> String {
    let created = post(
        app,
        "/api/v1/conventions",
        &prefecture_93(),
        new_convention(&[&ids[0], &ids[1]], 80),
    )
    .await;
    let uri = format!(
        "/api/v1/conventions/{}",
        created.json["id"].as_str().unwrap()
    );
    let signed = post(
        app,
        &format!("{uri}/signature"),
        &prefecture_93(),
        json!({"date_signature": "2021-02-08"}),
    )
    .await;
    assert_eq!(signed.status, 200, "{}", signed.text);
    uri
}

async fn lifecycle_refusals(db: TestDb) {
    let app = app_on_day(&db, "2021-03-01").await;
    let ids = structures_with_plaine_commune_and_paris(&app).await;
    let prefecture = prefecture_93();

    // Creation: a signatory of another département, an unknown one, none, twice the same.
    let answer = post(
        &app,
        "/api/v1/conventions",
        &prefecture,
        new_convention(&[&ids[0], &ids[4]], 80),
    )
    .await;
    answer.assert_problem(422, "structure_non_eligible");
    assert_eq!(answer.json["errors"][0]["pointer"], "/signataires/1");
    let unknown = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f99".to_owned();
    post(
        &app,
        "/api/v1/conventions",
        &prefecture,
        new_convention(&[&unknown], 80),
    )
    .await
    .assert_problem(422, "reference_invalide");
    post(
        &app,
        "/api/v1/conventions",
        &prefecture,
        new_convention(&[], 80),
    )
    .await
    .assert_problem(422, "validation");
    post(
        &app,
        "/api/v1/conventions",
        &prefecture,
        new_convention(&[&ids[0], &ids[0]], 80),
    )
    .await
    .assert_problem(422, "validation");
    post(
        &app,
        "/api/v1/conventions",
        &prefecture,
        new_convention(&[&ids[0]], 0),
    )
    .await
    .assert_problem(422, "validation");
    let mut late_field = new_convention(&[&ids[0]], 80);
    late_field["statut"] = json!("signee");
    post(&app, "/api/v1/conventions", &prefecture, late_field)
        .await
        .assert_problem(422, "validation");
    post(
        &app,
        "/api/v1/conventions",
        &token(Role::Prefecture, &["75"], None),
        new_convention(&[&ids[0]], 80),
    )
    .await
    .assert_problem(403, "interdit");
    post(
        &app,
        "/api/v1/conventions",
        &structure(&ids[0]),
        new_convention(&[&ids[0]], 80),
    )
    .await
    .assert_problem(403, "interdit");
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM conventions"), 0);

    // Dates: never in the future; never before the previous step.
    let uri = draft(&app, &[&ids[0], &ids[1]], 80).await;
    let answer = post(
        &app,
        &format!("{uri}/signature"),
        &prefecture,
        json!({"date_signature": "2021-03-02"}),
    )
    .await;
    answer.assert_problem(422, "date_future");
    assert_eq!(answer.json["errors"][0]["pointer"], "/date_signature");
    post(&app, &format!("{uri}/validation"), &prefecture, json!({}))
        .await
        .assert_problem(409, "transition_invalide");
    let signed = post(
        &app,
        &format!("{uri}/signature"),
        &prefecture,
        json!({"date_signature": "2021-02-08"}),
    )
    .await;
    assert_eq!(signed.status, 200);
    // Signing a signed convention: 409 whatever its date, with the possible actions.
    let again = post(
        &app,
        &format!("{uri}/signature"),
        &prefecture,
        json!({"date_signature": "2031-01-01"}),
    )
    .await;
    again.assert_problem(409, "transition_invalide");
    assert_eq!(again.json["statut_actuel"], "signee");
    assert_eq!(
        again.json["actions_possibles"],
        json!(["modification", "projet_accueil", "avenant", "resiliation"])
    );
    let split = |a: i64, b: i64| json!({"repartition": [{"structure_id": ids[0], "postes": a}, {"structure_id": ids[1], "postes": b}], "date_depot": "2021-02-20"});
    let mut before_signature = split(40, 40);
    before_signature["date_depot"] = json!("2021-02-07");
    let answer = post(
        &app,
        &format!("{uri}/projet-accueil"),
        &prefecture,
        before_signature,
    )
    .await;
    answer.assert_problem(422, "date_anterieure");
    assert_eq!(answer.json["errors"][0]["pointer"], "/date_depot");
    let answer = post(
        &app,
        &format!("{uri}/projet-accueil"),
        &prefecture,
        split(40, 39),
    )
    .await;
    answer.assert_problem(422, "repartition_incomplete");
    assert_eq!(answer.json["postes_repartis"], 79);
    assert_eq!(answer.json["postes_attribues"], 80);
    // A host neither signatory nor of the département.
    let elsewhere = json!({"repartition": [{"structure_id": ids[0], "postes": 40}, {"structure_id": ids[4], "postes": 40}]});
    let answer = post(
        &app,
        &format!("{uri}/projet-accueil"),
        &prefecture,
        elsewhere,
    )
    .await;
    answer.assert_problem(422, "structure_non_eligible");
    assert_eq!(
        answer.json["errors"][0]["pointer"],
        "/repartition/1/structure_id"
    );
    // If-Match on an action: stale → 412.
    app.as_(&prefecture)
        .if_match("\"1\"")
        .post(&format!("{uri}/projet-accueil"), split(40, 40))
        .await
        .assert_problem(412, "precondition_echouee");
    // Who may file: a signatory structure yes; a host of the département that does not sign sees
    // the convention once hosting, but may not file; a lecteur may not; Paris does not see it.
    post(
        &app,
        &format!("{uri}/projet-accueil"),
        &token(Role::Lecteur, &["93"], None),
        split(40, 40),
    )
    .await
    .assert_problem(403, "interdit");
    post(
        &app,
        &format!("{uri}/projet-accueil"),
        &structure(&ids[3]),
        split(40, 40),
    )
    .await
    .assert_problem(404, "ressource_introuvable");
    post(
        &app,
        &format!("{uri}/projet-accueil"),
        &token(Role::Prefecture, &["75"], None),
        split(40, 40),
    )
    .await
    .assert_problem(404, "ressource_introuvable");
    let with_bobigny = json!({"repartition": [{"structure_id": ids[0], "postes": 40}, {"structure_id": ids[3], "postes": 40}], "date_depot": "2021-02-20"});
    let filed = post(
        &app,
        &format!("{uri}/projet-accueil"),
        &structure(&ids[0]),
        with_bobigny,
    )
    .await;
    assert_eq!(filed.status, 200, "{}", filed.text);
    let bobigny = structure(&ids[3]);
    assert_eq!(app.as_(&bobigny).get(&uri).await.status, 200);
    post(&app, &format!("{uri}/validation"), &bobigny, json!({}))
        .await
        .assert_problem(403, "interdit");
    // Validation before the filing date, then the right one.
    post(
        &app,
        &format!("{uri}/validation"),
        &prefecture,
        json!({"date_validation": "2021-02-19"}),
    )
    .await
    .assert_problem(422, "date_anterieure");
    post(&app, &format!("{uri}/cloture"), &prefecture, json!({}))
        .await
        .assert_problem(409, "transition_invalide");
    // A bare POST (no body) means "today".
    let validated = app
        .as_(&prefecture)
        .post_without_body(&format!("{uri}/validation"))
        .await;
    assert_eq!(validated.status, 200, "{}", validated.text);
    assert_eq!(validated.json["date_validation"], "2021-03-01");
    let closed = post(
        &app,
        &format!("{uri}/cloture"),
        &prefecture,
        json!({"date_cloture": "2021-03-01"}),
    )
    .await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert_eq!(closed.json["statut"], "terminee");
    assert_eq!(closed.json["actions_possibles"], json!([]));
    // Final: nothing more, not even a change of title or a termination.
    post(
        &app,
        &format!("{uri}/resiliation"),
        &prefecture,
        json!({"motif": "x"}),
    )
    .await
    .assert_problem(409, "transition_invalide");
    app.as_(&prefecture)
        .if_match("\"5\"")
        .patch(&uri, json!({"intitule": "Autre"}))
        .await
        .assert_problem(409, "transition_invalide");
}

async fn free_fields_change_by_the_prefecture_under_if_match(db: TestDb) {
    let app = app_on_day(&db, "2021-03-01").await;
    let ids = structures_with_plaine_commune_and_paris(&app).await;
    let prefecture = prefecture_93();
    let uri = draft(&app, &[&ids[0]], 10).await;
    let change = json!({"intitule": "Convention CnFS 93 — avenant de principe"});
    app.as_(&prefecture)
        .patch(&uri, &change)
        .await
        .assert_problem(428, "precondition_requise");
    app.as_(&prefecture)
        .if_match("\"9\"")
        .patch(&uri, &change)
        .await
        .assert_problem(412, "precondition_echouee");
    app.as_(&prefecture)
        .if_match("\"1\"")
        .patch(&uri, json!({"postes_attribues": 12}))
        .await
        .assert_problem(422, "validation");
    app.as_(structure(&ids[0]))
        .if_match("\"1\"")
        .patch(&uri, &change)
        .await
        .assert_problem(403, "interdit");
    let changed = app
        .as_(&prefecture)
        .if_match("\"1\"")
        .patch(&uri, &change)
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(
        changed.json["intitule"],
        "Convention CnFS 93 — avenant de principe"
    );
    assert_eq!(changed.header("etag"), "\"2\"");
}

/// Termination from a draft.
async fn a_draft_is_terminated_with_a_motive(db: TestDb) {
    let app = app_on_day(&db, "2021-03-01").await;
    let ids = structures_with_plaine_commune_and_paris(&app).await;
    let prefecture = prefecture_93();
    let uri = draft(&app, &[&ids[0]], 10).await;
    post(
        &app,
        &format!("{uri}/resiliation"),
        &prefecture,
        json!({"motif": ""}),
    )
    .await
    .assert_problem(422, "validation");
    let ended = post(
        &app,
        &format!("{uri}/resiliation"),
        &prefecture,
        json!({"motif": "Doublon."}),
    )
    .await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    assert_eq!(ended.json["statut"], "resiliee");
    assert_eq!(ended.json["date_resiliation"], "2021-03-01");
    assert_eq!(ended.json["motif_resiliation"], "Doublon.");
}

async fn amendments_follow_the_posts(db: TestDb) {
    let app = app_on_day(&db, "2021-03-01").await;
    let ids = structures_with_plaine_commune_and_paris(&app).await;
    let prefecture = prefecture_93();
    let uri = draft(&app, &[&ids[0], &ids[1]], 80).await;
    let add = |n: i64| json!({"type": "ajout", "nombre_postes": n, "motif": "Extension."});
    // Not on a draft.
    post(&app, &format!("{uri}/avenants"), &prefecture, add(5))
        .await
        .assert_problem(409, "transition_invalide");
    post(
        &app,
        &format!("{uri}/signature"),
        &prefecture,
        json!({"date_signature": "2021-02-08"}),
    )
    .await;
    let first = post(&app, &format!("{uri}/avenants"), &prefecture, add(5)).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.json["rang"], 1);
    assert_eq!(first.json["postes_avant"], 80);
    assert_eq!(first.json["postes_apres"], 85);
    let location = first.header("location").to_owned();
    let read = app.as_(&prefecture).get(&location).await;
    assert_eq!(read.json, first.json);
    assert_eq!(
        app.as_(&prefecture).get(&uri).await.json["postes_attribues"],
        85
    );
    // A split before the project is refused; the project must now account for 85 posts.
    let mut with_split = add(1);
    with_split["repartition"] = json!([{"structure_id": ids[0], "postes": 86}]);
    post(&app, &format!("{uri}/avenants"), &prefecture, with_split)
        .await
        .assert_problem(422, "validation");
    let project = json!({"repartition": [{"structure_id": ids[0], "postes": 45}, {"structure_id": ids[1], "postes": 40}]});
    assert_eq!(
        post(&app, &format!("{uri}/projet-accueil"), &prefecture, project)
            .await
            .status,
        200
    );
    // After the project, an avenant carries the new split.
    let withdraw = json!({"type": "retrait", "nombre_postes": 10, "motif": "Postes non pourvus."});
    let answer = post(
        &app,
        &format!("{uri}/avenants"),
        &prefecture,
        withdraw.clone(),
    )
    .await;
    answer.assert_problem(422, "validation");
    assert_eq!(answer.json["errors"][0]["pointer"], "/repartition");
    let mut withdraw_split = withdraw.clone();
    withdraw_split["repartition"] =
        json!([{"structure_id": ids[0], "postes": 40}, {"structure_id": ids[1], "postes": 40}]);
    post(
        &app,
        &format!("{uri}/avenants"),
        &prefecture,
        withdraw_split.clone(),
    )
    .await
    .assert_problem(422, "repartition_incomplete");
    withdraw_split["repartition"] =
        json!([{"structure_id": ids[0], "postes": 40}, {"structure_id": ids[1], "postes": 35}]);
    let second = post(
        &app,
        &format!("{uri}/avenants"),
        &prefecture,
        withdraw_split,
    )
    .await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(second.json["postes_apres"], 75);
    let after_withdrawal = app.as_(&prefecture).get(&uri).await;
    assert_eq!(
        after_withdrawal.json["repartition"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_same_as_tables(&db, uri.rsplit('/').next().unwrap(), &after_withdrawal.json);
    // Never below the posts filled by active advisors (kept by the advisors module).
    let convention_id = uri.rsplit('/').next().unwrap();
    {
        use diesel::connection::SimpleConnection;
        db.conn()
            .batch_execute(&format!(
                "UPDATE conventions SET postes_pourvus = 70 WHERE id = '{convention_id}'"
            ))
            .unwrap();
    }
    let mut too_many = json!({"type": "retrait", "nombre_postes": 6, "motif": "x"});
    too_many["repartition"] = json!([{"structure_id": ids[0], "postes": 69}]);
    let answer = post(&app, &format!("{uri}/avenants"), &prefecture, too_many).await;
    answer.assert_problem(422, "postes_insuffisants");
    assert_eq!(answer.json["postes_pourvus"], 70);
    // Only préfecture and admin amend.
    post(
        &app,
        &format!("{uri}/avenants"),
        &structure(&ids[0]),
        add(1),
    )
    .await
    .assert_problem(403, "interdit");
    // The history.
    let history = app.as_(&prefecture).get(&format!("{uri}/avenants")).await;
    assert_eq!(history.status, 200);
    let ranks: Vec<i64> = history.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rang"].as_i64().unwrap())
        .collect();
    assert_eq!(ranks, [1, 2]);
    assert!(history.json["next_cursor"].is_null());
    assert_eq!(history.json["items"][0]["auteur"], "test-prefecture");
    // Who amended is personal data: not for a lecteur or a structure.
    for who in [token(Role::Lecteur, &["93"], None), structure(&ids[0])] {
        let seen = app.as_(&who).get(&format!("{uri}/avenants")).await;
        assert_eq!(seen.status, 200, "{}", seen.text);
        assert!(seen.json["items"][0]["auteur"].is_null(), "{}", seen.text);
    }
    app.as_(token(Role::Prefecture, &["75"], None))
        .get(&format!("{uri}/avenants"))
        .await
        .assert_problem(404, "ressource_introuvable");
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM journal WHERE action = 'avenant' AND ressource_id = '{convention_id}'"
            )
        ),
        2
    );
}

/// The day before a deadline, on it and after it: the convention's `en_retard`, the list's
/// filter and the statistics' count (the last two are SQL forms of the domain's rule) agree with
/// `domain::convention::en_retard`.
async fn lateness_agrees_everywhere_around_the_deadline(db: TestDb) {
    let app = app_on_day(&db, "2021-03-01").await;
    let ids = structures_with_plaine_commune_and_paris(&app).await;
    let uri = signed_convention(&app, &ids).await; // deadline 2021-04-08
    let admin = admin();
    for day in ["2021-04-07", "2021-04-08", "2021-04-09", "2022-01-01"] {
        let expected = cnfs_api::domain::convention::en_retard(
            cnfs_api::domain::convention::StatutConvention::Signee,
            Some(date("2021-04-08")),
            date(day),
        );
        let on_day = app_on_day(&db, day).await;
        let read = on_day.as_(&admin).get(&uri).await;
        assert_eq!(read.json["en_retard"], expected, "{day}: the convention");
        let late = on_day
            .as_(&admin)
            .get("/api/v1/conventions?en_retard=true")
            .await;
        assert_eq!(
            late.json["items"].as_array().unwrap().len(),
            usize::from(expected),
            "{day}: the list's filter"
        );
        for path in [
            "/api/v1/statistiques",
            "/api/v1/statistiques/departements/93",
        ] {
            let stats = on_day.as_(&admin).get(path).await;
            assert_eq!(stats.status, 200, "{}", stats.text);
            assert_eq!(
                stats.json["conventions"]["en_retard"],
                i64::from(expected),
                "{day}: {path}"
            );
            assert_eq!(stats.json["conventions"]["signee"], 1, "{day}: {path}");
        }
    }
}

async fn lateness_and_lists(db: TestDb) {
    let app = app_on_day(&db, "2021-03-01").await;
    let ids = structures_with_plaine_commune_and_paris(&app).await;
    let late = signed_convention(&app, &ids).await;
    let _draft = post(
        &app,
        "/api/v1/conventions",
        &prefecture_93(),
        new_convention(&[&ids[2]], 5),
    )
    .await;
    // Seen from 2021-04-09, the signed one is late.
    let later = app_on_day(&db, "2021-04-09").await;
    let read = later.as_(prefecture_93()).get(&late).await;
    assert_eq!(read.json["en_retard"], true);
    assert_eq!(read.json["jours_restants"], -1);
    let numbers = |answer: &Answer| -> Vec<String> {
        answer.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["numero"].as_str().unwrap().to_owned())
            .collect()
    };
    let admin = admin();
    let list = |uri: String| {
        let later = &later;
        let admin = admin.clone();
        async move { later.as_(&admin).get(&uri).await }
    };
    // Newest first.
    assert_eq!(
        numbers(&list("/api/v1/conventions".into()).await),
        ["CNFS-93-2021-0002", "CNFS-93-2021-0001"]
    );
    assert_eq!(
        numbers(&list("/api/v1/conventions?en_retard=true".into()).await),
        ["CNFS-93-2021-0001"]
    );
    assert_eq!(
        numbers(&list("/api/v1/conventions?en_retard=false".into()).await),
        ["CNFS-93-2021-0002"]
    );
    assert_eq!(
        numbers(&list("/api/v1/conventions?statut=brouillon".into()).await),
        ["CNFS-93-2021-0002"]
    );
    assert_eq!(
        numbers(&list(format!("/api/v1/conventions?signataire={}", ids[2])).await),
        ["CNFS-93-2021-0002"]
    );
    assert_eq!(
        numbers(&list("/api/v1/conventions?region=11&departement=93".into()).await).len(),
        2
    );
    assert_eq!(
        numbers(&list("/api/v1/conventions?region=84".into()).await).len(),
        0
    );
    let first = list("/api/v1/conventions?limit=1".into()).await;
    let cursor = first.json["next_cursor"].as_str().unwrap();
    assert_eq!(
        numbers(&list(format!("/api/v1/conventions?limit=1&cursor={cursor}")).await),
        ["CNFS-93-2021-0001"]
    );
    list("/api/v1/conventions?en_retard=peut-etre".into())
        .await
        .assert_problem(400, "parametre_invalide");
    list("/api/v1/conventions?statut=ouverte".into())
        .await
        .assert_problem(400, "parametre_invalide");
    // A structure sees what it signs (or hosts).
    let montreuil = structure(&ids[1]);
    let seen = later.as_(&montreuil).get("/api/v1/conventions").await;
    assert_eq!(numbers(&seen), ["CNFS-93-2021-0001"]);
}

/// Two creations with one Idempotency-Key at the same time: one convention; the other caller gets
/// the same 201 body or a 409. Concurrent creations without a key get distinct numbers.
async fn concurrent_creations(db: TestDb) {
    let app = app_on_day(&db, "2021-03-01").await;
    let ids = structures_with_plaine_commune_and_paris(&app).await;
    let prefecture = prefecture_93();
    let body = new_convention(&[&ids[0]], 80);
    for round in 0..3 {
        let key = format!("cle-{round}");
        let a = common::request(
            "POST",
            "/api/v1/conventions",
            Some(&prefecture),
            Some(&body),
            &[("idempotency-key", &key)],
        );
        let b = common::request(
            "POST",
            "/api/v1/conventions",
            Some(&prefecture),
            Some(&body),
            &[("idempotency-key", &key)],
        );
        let (a, b) = futures_util::future::join(common::call(&app, a), common::call(&app, b)).await;
        // Whichever finished first created it.
        let (a, b) = if a.status == 201 { (a, b) } else { (b, a) };
        assert_eq!(a.status, 201, "{}", a.text);
        match b.status.as_u16() {
            201 => {
                assert_eq!(b.json, a.json);
                assert_eq!(b.header("location"), a.header("location"));
                assert_eq!(b.header("etag"), a.header("etag"));
            }
            409 => b.assert_problem(409, "requete_en_cours"),
            other => panic!("second caller: {other} {}", b.text),
        }
        assert_eq!(
            count(&db, "SELECT COUNT(*) AS n FROM conventions"),
            round + 1
        );
    }
    // The same key with another body.
    let other = new_convention(&[&ids[1]], 3);
    app.as_(&prefecture)
        .idempotency_key("cle-0")
        .post("/api/v1/conventions", &other)
        .await
        .assert_problem(422, "cle_idempotence_reutilisee");
    // Eight creations at once: eight distinct, consecutive numbers.
    let requests: Vec<_> = (0..8)
        .map(|_| {
            common::call(
                &app,
                common::request(
                    "POST",
                    "/api/v1/conventions",
                    Some(&prefecture),
                    Some(&body),
                    &[],
                ),
            )
        })
        .collect();
    let answers = futures_util::future::join_all(requests).await;
    let mut numbers: Vec<String> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, 201, "{}", a.text);
            a.json["numero"].as_str().unwrap().to_owned()
        })
        .collect();
    numbers.sort();
    let expected: Vec<String> = (4..=11).map(|n| format!("CNFS-93-2021-{n:04}")).collect();
    assert_eq!(numbers, expected);
}

/// Two PATCHes with the same ETag at the same time: exactly one 200 and one 412.
async fn concurrent_patches_with_one_etag(db: TestDb) {
    let app = app_on_day(&db, "2021-03-01").await;
    let ids = structures_with_plaine_commune_and_paris(&app).await;
    let prefecture = prefecture_93();
    let uri = draft(&app, &[&ids[0]], 80).await;
    common::assert_one_patch_wins_per_etag(
        &app,
        &uri,
        &prefecture,
        1,
        |round, who| json!({"intitule": format!("{who}{round}")}),
    )
    .await;
}

on_both_backends!(
    the_seine_saint_denis_story,
    lifecycle_refusals,
    free_fields_change_by_the_prefecture_under_if_match,
    a_draft_is_terminated_with_a_motive,
    amendments_follow_the_posts,
    lateness_and_lists,
    lateness_agrees_everywhere_around_the_deadline,
    concurrent_creations,
    concurrent_patches_with_one_etag,
);

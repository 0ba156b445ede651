//! Advisors through HTTP on both backends: the Seine-Saint-Denis story (40 recruited at one
//! host, the 41st refused, one taken along the whole path then gone and replaced), the posts view,
//! personal data by role, every refusal, and concurrent recruitments on the last posts.

use crate::common;

use cnfs_api::auth::Role;
use common::scenario::{
    admin, app_on, convention, get, post, prefecture_93, recrue, rupture, structures,
};
use common::{TestDb, count, token};
use serde_json::{Value, json};

async fn the_seine_saint_denis_story(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (40, 40), true).await;
    let employer = token(Role::Structure, &[], Some(&ids[0]));

    // 40 advisors at Aubervilliers; the 41st is refused.
    let mut advisors = Vec::new();
    for n in 0..40 {
        let created = post(
            &app,
            "/api/v1/conseillers",
            &employer,
            recrue(&convention, &ids[0], n),
        )
        .await;
        assert_eq!(created.status, 201, "{n}: {}", created.text);
        advisors.push(created.json["id"].as_str().unwrap().to_owned());
    }
    let refused = post(
        &app,
        "/api/v1/conseillers",
        &employer,
        recrue(&convention, &ids[0], 40),
    )
    .await;
    refused.assert_problem(409, "quota_atteint");
    assert_eq!(refused.json["postes"], 40);
    assert_eq!(refused.json["actifs"], 40);

    // One advisor along the whole path, at a lieu of Aubervilliers, then gone.
    let lieu = post(
        &app,
        "/api/v1/lieux",
        &employer,
        json!({"structure_id": ids[0], "nom": "Médiathèque André Breton", "adresse": "1 rue Bordier", "code_postal": "93300", "code_insee": "93001"}),
    )
    .await;
    assert_eq!(lieu.status, 201, "{}", lieu.text);
    let lieu = lieu.json["id"].as_str().unwrap().to_owned();
    let uri = format!("/api/v1/conseillers/{}", advisors[0]);
    let placed = app
        .as_(employer.clone())
        .put(&format!("{uri}/lieux/{lieu}"), json!({"principal": true}))
        .await;
    assert_eq!(placed.status, 200, "{}", placed.text);
    assert_eq!(placed.json["lieu_id"], lieu.as_str());
    assert_eq!(placed.json["statut"], "en_poste");
    // The first model's path operations are gone: 404 (no such route).
    for action in ["formation", "certification", "prise-de-poste", "sortie"] {
        let gone = post(&app, &format!("{uri}/{action}"), &employer, json!({})).await;
        assert_eq!(gone.status, 404, "{action}: {}", gone.text);
    }
    let gone = rupture(
        &app,
        &advisors[0],
        &prefecture_93(),
        "2021-08-01",
        "licenciement",
    )
    .await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    let read = get(&app, &uri, &employer).await;
    assert_eq!(read.json["statut"], "sorti");
    assert_eq!(read.json["date_sortie"], "2021-08-01");
    assert_eq!(read.json["motif_sortie"], "rupture");

    // A replacement takes the freed post, vacant from the day after the exit: not before.
    let mut replacement = recrue(&convention, &ids[0], 41);
    replacement["date_recrutement"] = json!("2021-08-01");
    let early = post(&app, "/api/v1/conseillers", &employer, replacement.clone()).await;
    early.assert_problem(422, "date_anterieure");
    assert_eq!(early.json["errors"][0]["pointer"], "/date_recrutement");
    replacement["date_recrutement"] = json!("2021-08-02");
    let replacement = post(&app, "/api/v1/conseillers", &employer, replacement).await;
    assert_eq!(replacement.status, 201, "{}", replacement.text);

    // The posts view.
    let postes = get(
        &app,
        &format!("/api/v1/conventions/{convention}/postes"),
        &prefecture_93(),
    )
    .await;
    assert_eq!(postes.status, 200, "{}", postes.text);
    assert_eq!(postes.json["postes_attribues"], 80);
    assert_eq!(postes.json["postes_pourvus"], 40);
    assert_eq!(postes.json["vacants"], 40);
    assert_eq!(
        postes.json["hotes"],
        json!([
            {"structure_id": ids[0], "postes": 40, "actifs": 40, "par_statut": {"en_poste": 40}, "sortis": 1, "vacants": 0},
            {"structure_id": ids[1], "postes": 40, "actifs": 0, "par_statut": {}, "sortis": 0, "vacants": 40}
        ])
    );
    let read = get(&app, &format!("/api/v1/conventions/{convention}"), &admin()).await;
    assert_eq!(read.json["postes_pourvus"], 40);

    // Personal data by role.
    let one = format!("/api/v1/conseillers/{}", advisors[1]);
    for who in [admin(), employer.clone()] {
        let seen = get(&app, &one, &who).await;
        assert_eq!(seen.json["nom"], "Nom1", "{}", seen.text);
        assert_eq!(seen.json["donnees_personnelles"], "visibles");
    }
    let masked = get(&app, &one, &prefecture_93()).await;
    assert_eq!(masked.status, 200);
    assert_eq!(masked.json["nom"], Value::Null);
    assert_eq!(masked.json["email"], Value::Null);
    assert_eq!(masked.json["commune_residence"], Value::Null);
    assert_eq!(masked.json["donnees_personnelles"], "masquees");
    assert_eq!(masked.json["recrutement_local"], true);
    get(&app, &one, &token(Role::Lecteur, &[], None))
        .await
        .assert_problem(403, "interdit");
    get(
        &app,
        "/api/v1/conseillers",
        &token(Role::Lecteur, &["93"], None),
    )
    .await
    .assert_problem(403, "interdit");
    let other_host = token(Role::Structure, &[], Some(&ids[1]));
    assert_eq!(get(&app, &one, &other_host).await.status, 404);
    assert_eq!(
        get(&app, &one, &token(Role::Prefecture, &["75"], None))
            .await
            .status,
        404
    );
    let listed = get(
        &app,
        &format!("/api/v1/conseillers?convention_id={convention}&statut=sorti"),
        &prefecture_93(),
    )
    .await;
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed.json["items"][0]["nom"], Value::Null);
    let listed = get(&app, "/api/v1/conseillers?limit=200", &other_host).await;
    assert_eq!(listed.json["items"], json!([]));

    // Once anonymised (more than 24 months after leaving), nobody sees its personal data and
    // it cannot be corrected any more.
    let mut conn = db.conn();
    let erased = cnfs_api::db::write(&mut conn, |tx| {
        cnfs_api::db::repo::anonymisation::anonymise_departed(tx, "2023-09-01".parse().unwrap(), 24)
    })
    .unwrap();
    assert_eq!(erased, 1);
    let anonymous = get(&app, &uri, &admin()).await;
    assert_eq!(anonymous.json["donnees_personnelles"], "anonymisees");
    assert_eq!(anonymous.json["nom"], Value::Null);
    assert_eq!(anonymous.json["recrutement_local"], true);
    let version = anonymous.header("etag").to_owned();
    app.as_(admin())
        .if_match(&version)
        .patch(&uri, json!({"nom": "Retour"}))
        .await
        .assert_problem(409, "donnees_anonymisees");

    // The journal names advisors by id only.
    let journal = count(
        &db,
        "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'conseiller' AND (avant LIKE '%Nom1%' OR apres LIKE '%Nom1%' OR apres LIKE '%example.org%')",
    );
    assert_eq!(journal, 0, "no personal data in the journal");
    assert!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'conseiller'"
        ) >= 43
    );
}

async fn refusals(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let signed_only = convention(&app, &ids, (2, 2), false).await;
    let convention = convention(&app, &ids, (2, 2), true).await;
    let employer = token(Role::Structure, &[], Some(&ids[0]));
    post(
        &app,
        "/api/v1/conseillers",
        &employer,
        recrue(&signed_only, &ids[0], 0),
    )
    .await
    .assert_problem(409, "convention_hors_execution");
    let bobigny = token(Role::Structure, &[], Some(&ids[2]));
    let not_host = post(
        &app,
        "/api/v1/conseillers",
        &bobigny,
        recrue(&convention, &ids[2], 0),
    )
    .await;
    assert_eq!(
        not_host.status, 404,
        "Bobigny does not see the convention: {}",
        not_host.text
    );
    let not_host = post(
        &app,
        "/api/v1/conseillers",
        &admin(),
        recrue(&convention, &ids[2], 0),
    )
    .await;
    not_host.assert_problem(422, "structure_non_eligible");
    assert_eq!(not_host.json["errors"][0]["pointer"], "/structure_id");
    post(
        &app,
        "/api/v1/conseillers",
        &token(Role::Structure, &[], Some(&ids[1])),
        recrue(&convention, &ids[0], 0),
    )
    .await
    .assert_problem(403, "interdit");
    let mut early = recrue(&convention, &ids[0], 0);
    early["date_recrutement"] = json!("2021-03-14");
    post(&app, "/api/v1/conseillers", &employer, early.clone())
        .await
        .assert_problem(422, "date_anterieure");
    early["date_recrutement"] = json!("2021-09-02");
    post(&app, "/api/v1/conseillers", &employer, early)
        .await
        .assert_problem(422, "date_future");
    let mut bad = recrue(&convention, &ids[0], 0);
    bad["email"] = json!("pas-une-adresse");
    post(&app, "/api/v1/conseillers", &employer, bad)
        .await
        .assert_problem(422, "validation");

    // A Parisian advisor is not a local recruitment.
    let mut paris = recrue(&convention, &ids[0], 1);
    paris["commune_residence"] = json!("75056");
    let created = post(&app, "/api/v1/conseillers", &employer, paris).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["recrutement_local"], false);
    let uri = format!(
        "/api/v1/conseillers/{}",
        created.json["id"].as_str().unwrap()
    );

    // A lieu of another structure.
    let montreuil_lieu = post(
        &app,
        "/api/v1/lieux",
        &admin(),
        json!({"structure_id": ids[1], "nom": "Espace numérique", "adresse": "1 place Jean Jaurès", "code_postal": "93100", "code_insee": "93048"}),
    )
    .await;
    assert_eq!(montreuil_lieu.status, 201, "{}", montreuil_lieu.text);
    let wrong = app
        .as_(&employer)
        .put(
            &format!(
                "{uri}/lieux/{}",
                montreuil_lieu.json["id"].as_str().unwrap()
            ),
            json!({"principal": true}),
        )
        .await;
    wrong.assert_problem(422, "lieu_non_eligible");

    // Personal data: corrected by the employer or an admin, with If-Match.
    app.as_(&employer)
        .patch(&uri, json!({"email": "c@example.org"}))
        .await
        .assert_problem(428, "precondition_requise");
    app.as_(prefecture_93())
        .if_match("\"1\"")
        .patch(&uri, json!({"email": "c@example.org"}))
        .await
        .assert_problem(403, "interdit");
    let corrected = app
        .as_(&employer)
        .if_match("\"1\"")
        .patch(&uri, json!({"commune_residence": "93001"}))
        .await;
    assert_eq!(corrected.status, 200, "{}", corrected.text);
    assert_eq!(corrected.json["recrutement_local"], true);

    // The convention's side: no end with active advisors; no split below them.
    let conv = format!("/api/v1/conventions/{convention}");
    post(
        &app,
        &format!("{conv}/resiliation"),
        &prefecture_93(),
        json!({"motif": "Essai."}),
    )
    .await
    .assert_problem(409, "conseillers_actifs");
    post(
        &app,
        &format!("{conv}/cloture"),
        &prefecture_93(),
        json!({}),
    )
    .await
    .assert_problem(409, "conseillers_actifs");
    let squeezed = post(
        &app,
        &format!("{conv}/avenants"),
        &prefecture_93(),
        json!({"type": "ajout", "nombre_postes": 1, "motif": "Répartition revue.",
               "repartition": [{"structure_id": ids[1], "postes": 5}]}),
    )
    .await;
    squeezed.assert_problem(409, "postes_occupes");
    assert_eq!(squeezed.json["actifs"], 1);
}

/// 10 recruitments at once for 5 free posts: exactly 5 advisors.
async fn concurrent_recruitments(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (5, 5), true).await;
    let employer = token(Role::Structure, &[], Some(&ids[0]));
    let requests: Vec<_> = (0..10)
        .map(|n| {
            common::request(
                "POST",
                "/api/v1/conseillers",
                Some(&employer),
                Some(&recrue(&convention, &ids[0], n)),
                &[],
            )
        })
        .collect();
    let answers =
        futures_util::future::join_all(requests.into_iter().map(|r| common::call(&app, r))).await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    for answer in answers.iter().filter(|a| a.status != 201) {
        answer.assert_problem(409, "quota_atteint");
    }
    assert_eq!(created, 5);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM conseillers WHERE convention_id IS NOT NULL AND fin_contrats IS NULL"
        ),
        5
    );
    assert_eq!(
        count(
            &db,
            &format!("SELECT postes_pourvus AS n FROM conventions WHERE id = '{convention}'")
        ),
        5
    );
}

on_both_backends!(
    the_seine_saint_denis_story,
    refusals,
    concurrent_recruitments
);

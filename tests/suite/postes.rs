//! Posts as objects: created by the validation of a hosting project and by an avenant, occupied by
//! a recruitment and freed the day after an exit, returned by a withdrawal or the convention's
//! end, moved by a transfer; their list (filters, scopes), their read, and their export.

use crate::common;
use crate::common::scenario::rupture;

use cnfs_api::auth::Role;
use common::scenario::{
    TODAY, admin, app_on, convention, created_id, get, post, prefecture_93, recrue, structure,
    structures,
};
use common::{TestDb, count, siret_for, token};
use serde_json::{Value, json};

/// The posts a caller lists with `query` (one page of up to 200).
async fn postes(app: &common::TestApp<impl common::App>, who: &str, query: &str) -> Vec<Value> {
    let listed = get(app, &format!("/api/v1/postes?limit=200&{query}"), who).await;
    assert_eq!(listed.status, 200, "{query}: {}", listed.text);
    listed.json["items"].as_array().unwrap().clone()
}

/// A convention of the 93 (Aubervilliers 3 posts of which 1 coordinator's, Montreuil 2), signed
/// and filed, not yet validated; returns its id.
async fn filed(app: &common::TestApp<impl common::App>, ids: &[String]) -> String {
    let created = post(
        app,
        "/api/v1/conventions",
        &prefecture_93(),
        json!({"departement": "93", "intitule": "CnFS 93", "signataires": [ids[0], ids[1]], "postes_attribues": 5}),
    )
    .await;
    let id = created_id(&created);
    let uri = format!("/api/v1/conventions/{id}");
    let signed = post(
        app,
        &format!("{uri}/signature"),
        &prefecture_93(),
        json!({"date_signature": "2021-02-08"}),
    )
    .await;
    assert_eq!(signed.status, 200, "{}", signed.text);
    // More coordinator posts than posts: refused, naming the field.
    let too_many = post(
        app,
        &format!("{uri}/projet-accueil"),
        &prefecture_93(),
        json!({"repartition": [{"structure_id": ids[0], "postes": 3, "postes_coordinateur": 4}, {"structure_id": ids[1], "postes": 2}], "date_depot": "2021-03-01"}),
    )
    .await;
    too_many.assert_problem(422, "validation");
    assert_eq!(
        too_many.json["errors"][0]["pointer"],
        "/repartition/0/postes_coordinateur"
    );
    let project = post(
        app,
        &format!("{uri}/projet-accueil"),
        &prefecture_93(),
        json!({"repartition": [{"structure_id": ids[0], "postes": 3, "postes_coordinateur": 1}, {"structure_id": ids[1], "postes": 2}], "date_depot": "2021-03-01"}),
    )
    .await;
    assert_eq!(project.status, 200, "{}", project.text);
    assert_eq!(project.json["repartition"][0]["postes_coordinateur"], 1);
    assert_eq!(project.json["repartition"][1]["postes_coordinateur"], 0);
    id
}

/// Validates the hosting project of `convention` on 2021-03-15.
async fn validate(app: &common::TestApp<impl common::App>, convention: &str) {
    let validated = post(
        app,
        &format!("/api/v1/conventions/{convention}/validation"),
        &prefecture_93(),
        json!({"date_validation": "2021-03-15"}),
    )
    .await;
    assert_eq!(validated.status, 200, "{}", validated.text);
}

async fn posts_come_with_the_validated_project(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = filed(&app, &ids).await;
    let of_convention = format!("convention_id={convention}");
    assert!(postes(&app, &admin(), &of_convention).await.is_empty());
    validate(&app, &convention).await;

    let all = postes(&app, &prefecture_93(), &of_convention).await;
    assert_eq!(all.len(), 5);
    for poste in &all {
        assert_eq!(poste["etat"], "vacant");
        assert_eq!(poste["depuis"], "2021-03-15");
        assert_eq!(poste["departement"], "93");
        assert_eq!(poste["conseiller_id"], Value::Null);
        assert_eq!(
            poste["historique"],
            json!([{"date": "2021-03-15", "evenement": "attribution", "etat": "vacant", "structure_id": poste["structure_id"], "conseiller_id": null}])
        );
    }
    let held_by = |structure: &str, typologie: &str| {
        all.iter()
            .filter(|p| p["structure_id"] == structure && p["typologie"] == typologie)
            .count()
    };
    assert_eq!(held_by(&ids[0], "coordinateur"), 1);
    assert_eq!(held_by(&ids[0], "conseiller"), 2);
    assert_eq!(held_by(&ids[1], "conseiller"), 2);
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM postes_historique"), 5);

    // Filters: lists of states and typologies, the host, the age of the vacancy (today is
    // 2021-09-01: 170 days since the validation).
    let admin = admin();
    let n = |query: &'static str| {
        let app = &app;
        let admin = &admin;
        async move { postes(app, admin, query).await.len() }
    };
    assert_eq!(n("typologie=coordinateur").await, 1);
    assert_eq!(n("typologie=conseiller,coordinateur").await, 5);
    assert_eq!(n("etat=occupe,rendu").await, 0);
    assert_eq!(n("etat=vacant").await, 5);
    assert_eq!(n("departement=75").await, 0);
    assert_eq!(n("vacant_depuis_jours=170").await, 5);
    assert_eq!(n("vacant_depuis_jours=171").await, 0);
    assert_eq!(
        postes(&app, &admin, &format!("structure_id={}", ids[1]))
            .await
            .len(),
        2
    );
    for bad in [
        "etat=libre",
        "etat=vacant,",
        "typologie=Conseiller",
        "vacant_depuis_jours=-1",
        "vacant_depuis_jours=36501",
    ] {
        let refused = get(&app, &format!("/api/v1/postes?{bad}"), &admin).await;
        refused.assert_problem(400, "parametre_invalide");
    }

    // Scopes: a structure sees the posts it holds; another département's préfecture none.
    assert_eq!(postes(&app, &structure(&ids[1]), "").await.len(), 2);
    let prefecture_75 = token(Role::Prefecture, &["75"], None);
    assert!(postes(&app, &prefecture_75, "").await.is_empty());
    let lecteur = token(Role::Lecteur, &[], None);
    assert_eq!(postes(&app, &lecteur, "").await.len(), 5);
    assert_eq!(
        get(&app, "/api/v1/postes", "").await.status,
        401,
        "the list needs a token"
    );

    // One post, with its ETag; out of scope: 404.
    let id = all[0]["id"].as_str().unwrap();
    let one = get(&app, &format!("/api/v1/postes/{id}"), &prefecture_93()).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.json, all[0]);
    assert_eq!(one.header("etag"), "\"1\"");
    get(&app, &format!("/api/v1/postes/{id}"), &prefecture_75)
        .await
        .assert_problem(404, "ressource_introuvable");
    get(
        &app,
        "/api/v1/postes/01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fff",
        &admin,
    )
    .await
    .assert_problem(404, "ressource_introuvable");
}

/// A recruitment takes the host's advisor post vacant the longest (never a coordinator's); an
/// exit frees it from the next day.
async fn recruitment_and_exit_move_a_post(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = filed(&app, &ids).await;
    validate(&app, &convention).await;
    let employer = structure(&ids[0]);
    let mut advisors = Vec::new();
    for n in 0..2 {
        let created = post(
            &app,
            "/api/v1/conseillers",
            &employer,
            recrue(&convention, &ids[0], n),
        )
        .await;
        advisors.push(created_id(&created));
    }
    // Its third post is a coordinator's: no advisor takes it.
    let refused = post(
        &app,
        "/api/v1/conseillers",
        &employer,
        recrue(&convention, &ids[0], 2),
    )
    .await;
    refused.assert_problem(409, "quota_atteint");
    assert_eq!(refused.json["postes"], 2);
    assert_eq!(refused.json["actifs"], 2);
    let held = postes(
        &app,
        &admin(),
        &format!("structure_id={}&etat=occupe", ids[0]),
    )
    .await;
    assert_eq!(held.len(), 2);
    for poste in &held {
        assert_eq!(poste["typologie"], "conseiller");
        assert_eq!(poste["depuis"], "2021-04-01");
        assert!(
            advisors
                .iter()
                .any(|a| poste["conseiller_id"] == a.as_str())
        );
        assert_eq!(poste["historique"][1]["evenement"], "occupation");
        assert_eq!(poste["version"], 2);
    }

    let gone = rupture(&app, &advisors[0], &employer, "2021-08-01", "demission").await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    let freed = held
        .iter()
        .find(|p| p["conseiller_id"] == advisors[0].as_str())
        .unwrap();
    let freed = get(
        &app,
        &format!("/api/v1/postes/{}", freed["id"].as_str().unwrap()),
        &employer,
    )
    .await;
    assert_eq!(freed.json["etat"], "vacant");
    assert_eq!(
        freed.json["depuis"], "2021-08-02",
        "vacant from the next day"
    );
    assert_eq!(freed.json["conseiller_id"], Value::Null);
    assert_eq!(
        freed.json["historique"][2],
        json!({"date": "2021-08-02", "evenement": "liberation", "etat": "vacant", "structure_id": ids[0], "conseiller_id": null})
    );
    // A recruitment dated before the vacancy is refused; from it, it takes the post.
    let mut again = recrue(&convention, &ids[0], 3);
    again["date_recrutement"] = json!("2021-08-01");
    post(&app, "/api/v1/conseillers", &employer, again.clone())
        .await
        .assert_problem(422, "date_anterieure");
    again["date_recrutement"] = json!("2021-08-02");
    let replacement = created_id(&post(&app, "/api/v1/conseillers", &employer, again).await);
    let refilled = get(
        &app,
        &format!("/api/v1/postes/{}", freed.json["id"].as_str().unwrap()),
        &employer,
    )
    .await;
    assert_eq!(refilled.json["conseiller_id"], replacement.as_str());
    assert_eq!(refilled.json["historique"].as_array().unwrap().len(), 4);
}

/// An avenant with a new split creates the posts a host gains and returns the vacant posts it
/// loses; a convention's end returns every post.
async fn avenants_and_the_end_create_and_return_posts(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (3, 2), true).await;
    let uri = format!("/api/v1/conventions/{convention}");
    let employer = structure(&ids[1]);
    let advisor = created_id(
        &post(
            &app,
            "/api/v1/conseillers",
            &employer,
            recrue(&convention, &ids[1], 0),
        )
        .await,
    );
    let added = post(
        &app,
        &format!("{uri}/avenants"),
        &prefecture_93(),
        json!({"type": "ajout", "nombre_postes": 2, "motif": "Extension", "repartition": [{"structure_id": ids[0], "postes": 4, "postes_coordinateur": 1}, {"structure_id": ids[1], "postes": 3}]}),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let of_convention = format!("convention_id={convention}");
    let all = postes(&app, &admin(), &of_convention).await;
    assert_eq!(all.len(), 7);
    let new: Vec<&Value> = all.iter().filter(|p| p["depuis"] == TODAY).collect();
    assert_eq!(new.len(), 2, "the avenant's posts are vacant from today");
    assert!(
        new.iter()
            .any(|p| p["structure_id"] == ids[0].as_str() && p["typologie"] == "coordinateur")
    );
    assert!(new.iter().any(|p| p["structure_id"] == ids[1].as_str()));

    // A withdrawal of two Montreuil posts: its two vacant ones go, its occupied one stays.
    let withdrawn = post(
        &app,
        &format!("{uri}/avenants"),
        &prefecture_93(),
        json!({"type": "retrait", "nombre_postes": 2, "motif": "Postes non pourvus", "repartition": [{"structure_id": ids[0], "postes": 4, "postes_coordinateur": 1}, {"structure_id": ids[1], "postes": 1}]}),
    )
    .await;
    assert_eq!(withdrawn.status, 201, "{}", withdrawn.text);
    let montreuil = postes(&app, &admin(), &format!("structure_id={}", ids[1])).await;
    let etats: Vec<&str> = montreuil
        .iter()
        .map(|p| p["etat"].as_str().unwrap())
        .collect();
    assert_eq!(etats.iter().filter(|e| **e == "rendu").count(), 2);
    assert_eq!(etats.iter().filter(|e| **e == "occupe").count(), 1);
    let rendu = montreuil.iter().find(|p| p["etat"] == "rendu").unwrap();
    assert_eq!(rendu["depuis"], TODAY);
    assert_eq!(
        rendu["historique"].as_array().unwrap().last().unwrap()["evenement"],
        "rendu"
    );

    // The end: the advisor leaves, then the convention is terminated; every post is returned.
    let gone = rupture(&app, &advisor, &employer, "2021-08-01", "demission").await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    let ended = post(
        &app,
        &format!("{uri}/resiliation"),
        &prefecture_93(),
        json!({"date_resiliation": "2021-08-20", "motif": "Fin anticipée"}),
    )
    .await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    let after = postes(&app, &admin(), &of_convention).await;
    assert_eq!(after.len(), 7);
    assert!(after.iter().all(|p| p["etat"] == "rendu"), "{after:?}");
    // Returned at the end, never before they came into being (the avenant's posts, attributed
    // today, after the end's date) nor twice (those the withdrawal returned).
    let depuis = |p: &Value| {
        (
            p["depuis"].as_str().unwrap().to_owned(),
            p["historique"].as_array().unwrap().len(),
        )
    };
    let mut dates: Vec<(String, usize)> = after.iter().map(depuis).collect();
    dates.sort();
    assert_eq!(
        dates,
        [
            ("2021-08-20".to_owned(), 2),
            ("2021-08-20".to_owned(), 2),
            ("2021-08-20".to_owned(), 2),
            ("2021-08-20".to_owned(), 4),
            (TODAY.to_owned(), 2),
            (TODAY.to_owned(), 2),
            (TODAY.to_owned(), 2),
        ]
    );
}

/// A vacant post moves to another structure of the département: the split follows, the total
/// does not change; every refusal.
async fn a_vacant_post_moves_to_another_host(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (1, 2), true).await;
    let paris = created_id(
        &post(
            &app,
            "/api/v1/structures",
            &admin(),
            json!({"siret": siret_for("217500016"), "nom": "Ville de Paris", "type": "commune", "code_insee": "75056"}),
        )
        .await,
    );
    let occupant = created_id(
        &post(
            &app,
            "/api/v1/conseillers",
            &structure(&ids[1]),
            recrue(&convention, &ids[1], 0),
        )
        .await,
    );
    let all = postes(&app, &admin(), &format!("convention_id={convention}")).await;
    let aubervilliers = all
        .iter()
        .find(|p| p["structure_id"] == ids[0].as_str())
        .unwrap();
    let id = aubervilliers["id"].as_str().unwrap();
    let occupied = all.iter().find(|p| p["etat"] == "occupe").unwrap();
    let uri = format!("/api/v1/postes/{id}/transfert");
    let to = |structure: &str, date: &str| json!({"structure_id": structure, "date": date});

    // Refusals, in the API's order: scope and role, then the post and its target.
    let prefecture_75 = token(Role::Prefecture, &["75"], None);
    post(&app, &uri, &prefecture_75, to(&ids[2], "2021-06-01"))
        .await
        .assert_problem(404, "ressource_introuvable");
    for who in [structure(&ids[0]), token(Role::Lecteur, &["93"], None)] {
        post(&app, &uri, &who, to(&ids[2], "2021-06-01"))
            .await
            .assert_problem(403, "interdit");
    }
    post(
        &app,
        &format!(
            "/api/v1/postes/{}/transfert",
            occupied["id"].as_str().unwrap()
        ),
        &prefecture_93(),
        to(&ids[2], "2021-06-01"),
    )
    .await
    .assert_problem(409, "poste_non_vacant");
    for target in [
        paris.as_str(),
        ids[0].as_str(),
        "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fff",
    ] {
        let refused = post(&app, &uri, &prefecture_93(), to(target, "2021-06-01")).await;
        refused.assert_problem(422, "structure_non_eligible");
        assert_eq!(refused.json["errors"][0]["pointer"], "/structure_id");
    }
    post(&app, &uri, &prefecture_93(), to(&ids[2], "2021-03-14"))
        .await
        .assert_problem(422, "date_anterieure");
    post(&app, &uri, &prefecture_93(), to(&ids[2], "2021-09-02"))
        .await
        .assert_problem(422, "date_future");
    let stale = app
        .as_(prefecture_93())
        .if_match("\"7\"")
        .post(&uri, to(&ids[2], "2021-06-01"))
        .await;
    stale.assert_problem(412, "precondition_echouee");
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'poste'"
        ),
        0
    );

    // Aubervilliers' only post goes to Bobigny, not yet a host.
    let moved = app
        .as_(prefecture_93())
        .if_match("\"1\"")
        .post(&uri, to(&ids[2], "2021-06-01"))
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.json["structure_id"], ids[2].as_str());
    assert_eq!(moved.json["etat"], "vacant");
    assert_eq!(
        moved.json["depuis"], "2021-03-15",
        "the vacancy keeps its date"
    );
    assert_eq!(moved.json["version"], 2);
    assert_eq!(moved.header("etag"), "\"2\"");
    assert_eq!(
        moved.json["historique"][1],
        json!({"date": "2021-06-01", "evenement": "transfert", "etat": "vacant", "structure_id": ids[2], "conseiller_id": null})
    );
    let after = get(&app, &format!("/api/v1/conventions/{convention}"), &admin()).await;
    assert_eq!(after.json["postes_attribues"], 3);
    assert_eq!(
        after.json["repartition"],
        json!([
            {"structure_id": ids[1], "postes": 2, "postes_coordinateur": 0},
            {"structure_id": ids[2], "postes": 1, "postes_coordinateur": 0}
        ])
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM conventions_repartition WHERE convention_id = '{convention}'"
            )
        ),
        2
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE (ressource = 'poste' AND action = 'transfert') \
             OR (ressource = 'convention' AND action = 'transfert_poste')"
        ),
        2
    );
    // The new host now holds it: its employer may recruit on it.
    let recruited = post(
        &app,
        "/api/v1/conseillers",
        &structure(&ids[2]),
        recrue(&convention, &ids[2], 1),
    )
    .await;
    assert_eq!(recruited.status, 201, "{}", recruited.text);
    assert_ne!(occupant, created_id(&recruited));
}

/// `postes.csv`: public, one line per post, no occupant.
async fn the_posts_export(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (3, 2), true).await;
    let advisor = created_id(
        &post(
            &app,
            "/api/v1/conseillers",
            &structure(&ids[0]),
            recrue(&convention, &ids[0], 0),
        )
        .await,
    );
    let csv = app.anonymous().get("/api/v1/exports/postes.csv").await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "departement,convention,siret_structure,nom_structure,typologie,etat,depuis,id"
    );
    assert_eq!(lines.len(), 1 + 5);
    let siret = siret_for("219300019");
    let occupied: Vec<&&str> = lines.iter().filter(|l| l.contains(",occupe,")).collect();
    assert_eq!(occupied.len(), 1);
    assert!(
        occupied[0].starts_with(&format!("93,CNFS-93-2021-0001,{siret},")),
        "{}",
        occupied[0]
    );
    assert!(occupied[0].contains(",conseiller,occupe,2021-04-01,"));
    assert!(!csv.text.contains(&advisor), "no occupant in the open data");
}

on_both_backends!(
    posts_come_with_the_validated_project,
    recruitment_and_exit_move_a_post,
    avenants_and_the_end_create_and_return_posts,
    a_vacant_post_moves_to_another_host,
    the_posts_export,
);

//! Contracts created for a person (`POST /api/v1/contrats`) and extended
//! (`POST /api/v1/contrats/{id}/prolongation`): the same person moving to another host, the
//! refusals with their codes, and a fixed-term contract's end freeing its post at read time.

use crate::common;

use cnfs_api::auth::Role;
use common::scenario::{
    admin, app_on, app_on_day, convention, created_id, get, post, recrue, structure, structures,
    vacants,
};
use common::{TestDb, count, token};
use serde_json::{Value, json};

/// Recruits advisor `n` at `host` (a `cdd` from 2021-04-01); returns its id and its contract's.
async fn recruit(
    app: &common::TestApp<impl common::App>,
    convention: &str,
    host: &str,
    n: usize,
) -> (String, String) {
    let mut body = recrue(convention, host, n);
    body["type_contrat"] = json!("cdd");
    let id = created_id(&post(app, "/api/v1/conseillers", &admin(), body).await);
    let listed = get(
        app,
        &format!("/api/v1/contrats?conseiller_id={id}"),
        &admin(),
    )
    .await;
    let contrat = listed.json["items"][0]["id"].as_str().unwrap().to_owned();
    (id, contrat)
}

async fn a_person_moves_to_another_host_under_a_new_contract(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 2), true).await;
    let (person, first) = recruit(&app, &convention, &ids[0], 1).await;
    // Her first contract is not renewed at the end of June.
    let ended = post(
        &app,
        &format!("/api/v1/contrats/{first}/rupture"),
        &admin(),
        json!({"date": "2021-06-30", "motif": "non_reconduction_cdd"}),
    )
    .await;
    assert_eq!(ended.status, 200, "{}", ended.text);

    let pourvus = || {
        count(
            &db,
            &format!("SELECT postes_pourvus AS n FROM conventions WHERE id = '{convention}'"),
        )
    };
    assert_eq!(pourvus(), 0, "she left");
    // The second host engages her on one of its vacant posts.
    let poste = vacants(&app, &ids[1]).await.remove(0);
    let body = json!({
        "conseiller_id": person, "poste_id": poste, "type": "cdi",
        "date_debut": "2021-08-02", "salaire_brut_mensuel_centimes": 190000
    });
    // Not on another host's post: 404; a lecteur: 403.
    post(&app, "/api/v1/contrats", &structure(&ids[0]), body.clone())
        .await
        .assert_problem(404, "ressource_introuvable");
    post(
        &app,
        "/api/v1/contrats",
        &token(Role::Lecteur, &[], None),
        body.clone(),
    )
    .await
    .assert_problem(403, "interdit");
    let created = post(&app, "/api/v1/contrats", &structure(&ids[1]), body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let contrat = &created.json;
    assert_eq!(contrat["conseiller_id"], person.as_str());
    assert_eq!(contrat["poste_id"], poste.as_str());
    assert_eq!(contrat["structure_id"], ids[1].as_str());
    assert_eq!(contrat["type"], "cdi");
    assert_eq!(contrat["date_debut"], "2021-08-02");
    assert_eq!(contrat["date_fin"], Value::Null);
    assert_eq!(contrat["etat"], "en_cours");
    let id = contrat["id"].as_str().unwrap();
    assert_eq!(created.header("location"), format!("/api/v1/contrats/{id}"));

    assert_eq!(pourvus(), 1, "she fills a post again");
    // The same person (one id), now employed by the second host; her two contracts.
    let read = get(&app, &format!("/api/v1/conseillers/{person}"), &admin()).await;
    assert_eq!(read.json["structure_id"], ids[1].as_str());
    assert_eq!(read.json["statut"], "en_poste", "{}", read.text);
    assert_eq!(read.json["date_sortie"], Value::Null);
    // Her read shows both contracts, oldest first, the second in force.
    assert_eq!(read.json["contrat_en_cours_id"], id);
    let contrats = read.json["contrats"].as_array().unwrap();
    assert_eq!(contrats.len(), 2, "{}", read.text);
    assert_eq!(contrats[0]["id"], first.as_str());
    assert_eq!(contrats[0]["etat"], "rompu");
    assert_eq!(contrats[0]["structure_id"], ids[0].as_str());
    assert_eq!(contrats[1]["id"], id);
    assert_eq!(contrats[1]["etat"], "en_cours");
    let listed = get(
        &app,
        &format!("/api/v1/contrats?conseiller_id={person}"),
        &admin(),
    )
    .await;
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 2);
    // The post is hers, under that contract, from its first day.
    let held = get(&app, &format!("/api/v1/postes/{poste}"), &admin()).await;
    assert_eq!(held.json["etat"], "occupe");
    assert_eq!(held.json["depuis"], "2021-08-02");
    assert_eq!(held.json["conseiller_id"], person.as_str());
    assert_eq!(held.json["contrat_id"], id);
    assert_eq!(held.json["libere_le"], Value::Null);
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM contrats WHERE conseiller_id = '{person}' AND salaire_brut_mensuel_centimes = 190000"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'contrat' AND ressource_id = '{id}' AND action = 'creation'"
            )
        ),
        1
    );
}

async fn a_new_contract_is_refused_with_its_code(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (3, 1), true).await;
    let (busy, contrat) = recruit(&app, &convention, &ids[0], 1).await;
    let (free, first) = recruit(&app, &convention, &ids[0], 2).await;
    let ended = post(
        &app,
        &format!("/api/v1/contrats/{first}/rupture"),
        &admin(),
        json!({"date": "2021-05-31", "motif": "demission"}),
    )
    .await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    let poste = vacants(&app, &ids[0]).await.remove(0);
    let body = |patch: Value| {
        let mut body = json!({
            "conseiller_id": free, "poste_id": poste, "type": "cdd",
            "date_debut": "2021-08-02", "date_fin": "2022-08-01"
        });
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let refused = |status: u16, code: &'static str, patch: Value| {
        let app = &app;
        async move {
            let answer = post(app, "/api/v1/contrats", &admin(), body(patch)).await;
            answer.assert_problem(status, code);
            answer
        }
    };
    // One contract in force per person at any date, naming the one in force.
    let answer = refused(409, "contrat_en_cours", json!({"conseiller_id": busy})).await;
    assert_eq!(answer.json["contrat_id"], contrat.as_str());
    // Overlapping her former contract's last days.
    refused(409, "contrat_en_cours", json!({"date_debut": "2021-05-31"})).await;
    // The post must be vacant.
    let occupe = get(&app, &format!("/api/v1/contrats/{contrat}"), &admin())
        .await
        .json["poste_id"]
        .as_str()
        .unwrap()
        .to_owned();
    refused(409, "poste_non_vacant", json!({"poste_id": occupe})).await;
    // The typology of the post.
    refused(
        409,
        "typologie_incompatible",
        json!({"typologie": "coordinateur"}),
    )
    .await;
    // The planned end: required for fixed-term types, refused for open-ended ones.
    for patch in [
        json!({"date_fin": null}),
        json!({"type": "pec", "date_fin": null}),
        json!({"type": "cdi"}),
        json!({"type": "titulaire"}),
        json!({"date_fin": "2021-08-01"}),
    ] {
        let answer = refused(422, "date_fin_invalide", patch).await;
        assert_eq!(answer.json["errors"][0]["pointer"], "/date_fin");
    }
    // Dates: not in the future, not before the post's vacancy.
    refused(422, "date_future", json!({"date_debut": "2021-09-02"})).await;
    refused(422, "date_anterieure", json!({"date_debut": "2021-03-01"})).await;
    // The SMIC in force on the first day (1,554.58 € in August 2021).
    let answer = refused(
        422,
        "salaire_inferieur_smic",
        json!({"salaire_brut_mensuel_centimes": 155457}),
    )
    .await;
    assert_eq!(answer.json["smic_mensuel_brut_centimes"], 155458);
    assert_eq!(
        answer.json["errors"][0]["pointer"],
        "/salaire_brut_mensuel_centimes"
    );
    // Unknown person: 404. Nothing was written.
    refused(
        404,
        "ressource_introuvable",
        json!({"conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fff"}),
    )
    .await;
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM contrats"), 2);
    // A recruitment records no PEC (it is a contract of its own).
    let mut pec = recrue(&convention, &ids[0], 3);
    pec["type_contrat"] = json!("pec");
    let answer = post(&app, "/api/v1/conseillers", &admin(), pec).await;
    answer.assert_problem(422, "type_contrat_non_recrutable");

    // At the SMIC, a PEC: created.
    let created = post(
        &app,
        "/api/v1/contrats",
        &admin(),
        body(json!({"type": "pec", "salaire_brut_mensuel_centimes": 155458})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["type"], "pec");
}

async fn a_fixed_term_contract_frees_its_post_the_day_after_its_end(db: TestDb) {
    let app = app_on_day(&db, "2021-08-15").await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (2, 1), true).await;
    let (person, first) = recruit(&app, &convention, &ids[0], 1).await;
    let ended = post(
        &app,
        &format!("/api/v1/contrats/{first}/rupture"),
        &admin(),
        json!({"date": "2021-06-30", "motif": "non_reconduction_cdd"}),
    )
    .await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    let poste = vacants(&app, &ids[0]).await.remove(0);
    let created = post(
        &app,
        "/api/v1/contrats",
        &structure(&ids[0]),
        json!({"conseiller_id": person, "poste_id": poste, "type": "cdd",
               "date_debut": "2021-08-02", "date_fin": "2021-08-31"}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let contrat = created.json["id"].as_str().unwrap().to_owned();
    let held = get(&app, &format!("/api/v1/postes/{poste}"), &admin()).await;
    assert_eq!(held.json["etat"], "occupe");
    assert_eq!(held.json["libere_le"], "2021-09-01");
    // The statistics see a fixed-term contract in force ending within 60 days.
    let stats = app
        .anonymous()
        .get("/api/v1/statistiques/departements/93")
        .await;
    assert_eq!(
        stats.json["contrats"],
        json!({"en_vigueur": 1, "par_type": {"cdi": 0, "cdd": 1, "pec": 0, "contrat_de_projet": 0, "titulaire": 0}, "fin_dans_60_jours": 1}),
        "{}",
        stats.text
    );

    // Extended to the end of the year: held until then.
    let uri = format!("/api/v1/contrats/{contrat}/prolongation");
    post(&app, &uri, &admin(), json!({"date_fin": "2021-08-31"}))
        .await
        .assert_problem(422, "date_fin_invalide");
    let extended = post(
        &app,
        &uri,
        &structure(&ids[0]),
        json!({"date_fin": "2021-12-31"}),
    )
    .await;
    assert_eq!(extended.status, 200, "{}", extended.text);
    assert_eq!(extended.json["date_fin"], "2021-12-31");
    assert_eq!(extended.json["version"], 2);
    let stats = app
        .anonymous()
        .get("/api/v1/statistiques/departements/93")
        .await;
    assert_eq!(
        stats.json["contrats"]["fin_dans_60_jours"], 0,
        "ends in December now"
    );
    let held = get(&app, &format!("/api/v1/postes/{poste}"), &admin()).await;
    assert_eq!(held.json["libere_le"], "2022-01-01");
    for outsider in [structure(&ids[1]), token(Role::Prefecture, &["75"], None)] {
        post(&app, &uri, &outsider, json!({"date_fin": "2022-06-30"}))
            .await
            .assert_problem(404, "ressource_introuvable");
    }

    // On 1 January 2022, without any job: the contract has ended and the post is vacant since
    // that day, in its read, the lists, the export and the statistics.
    let later = app_on_day(&db, "2022-01-01").await;
    let read = get(&later, &format!("/api/v1/contrats/{contrat}"), &admin()).await;
    assert_eq!(read.json["etat"], "termine");
    let post_read = get(&later, &format!("/api/v1/postes/{poste}"), &admin()).await;
    assert_eq!(post_read.json["etat"], "vacant", "{}", post_read.text);
    assert_eq!(post_read.json["depuis"], "2022-01-01");
    assert_eq!(post_read.json["conseiller_id"], Value::Null);
    let last = post_read.json["historique"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["evenement"], "liberation");
    assert_eq!(last["date"], "2022-01-01");
    let version = post_read.json["version"].clone();
    assert!(vacants(&later, &ids[0]).await.contains(&poste));
    // The person's status follows: in post until 31 December, gone from 1 January, with the
    // contract's term as its exit, in its read, the list's filter and the statistics; the row
    // keeps the last day of its contracts, from which all of them derive it.
    let until = get(&app, &format!("/api/v1/conseillers/{person}"), &admin()).await;
    assert_eq!(
        (&until.json["statut"], &until.json["date_sortie"]),
        (&json!("en_poste"), &Value::Null)
    );
    let gone = get(&later, &format!("/api/v1/conseillers/{person}"), &admin()).await;
    assert_eq!(gone.json["statut"], "sorti", "{}", gone.text);
    assert_eq!(gone.json["date_sortie"], "2021-12-31");
    assert_eq!(gone.json["motif_sortie"], "fin_de_contrat");
    assert_eq!(gone.json["contrat_en_cours_id"], Value::Null);
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM conseillers WHERE id = '{person}' AND fin_contrats = '2021-12-31'"
            )
        ),
        1
    );
    for (day, statut, expected) in [
        (&app, "en_poste", true),
        (&app, "sorti", false),
        (&later, "sorti", true),
        (&later, "en_poste", false),
    ] {
        let listed = get(
            day,
            &format!("/api/v1/conseillers?statut={statut}&limit=100"),
            &admin(),
        )
        .await;
        assert_eq!(listed.status, 200, "{}", listed.text);
        let found = listed.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == person.as_str());
        assert_eq!(found, expected, "?statut={statut}");
    }
    let stats_before = app
        .anonymous()
        .get("/api/v1/statistiques/departements/93")
        .await;
    let stats_after = later
        .anonymous()
        .get("/api/v1/statistiques/departements/93")
        .await;
    let en_poste = |s: &common::Answer| s.json["conseillers"]["en_poste"].as_i64().unwrap();
    let sortis = |s: &common::Answer| s.json["conseillers"]["sorti"].as_i64().unwrap();
    assert_eq!(
        en_poste(&stats_after),
        en_poste(&stats_before) - 1,
        "{}",
        stats_after.text
    );
    assert_eq!(sortis(&stats_after), sortis(&stats_before) + 1);
    let occupied = get(
        &later,
        &format!("/api/v1/postes?structure_id={}&etat=occupe", ids[0]),
        &admin(),
    )
    .await;
    assert!(
        occupied.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != poste.as_str()),
        "{}",
        occupied.text
    );
    let export = later.anonymous().get("/api/v1/exports/postes.csv").await;
    let line = export
        .text
        .lines()
        .find(|l| l.ends_with(&poste))
        .unwrap()
        .to_owned();
    assert!(line.contains(",vacant,2022-01-01,"), "{line}");
    // Still stored as held: reads derive it; the next write records it.
    assert_eq!(
        count(
            &db,
            &format!("SELECT COUNT(*) AS n FROM postes WHERE id = '{poste}' AND etat = 'occupe'")
        ),
        1
    );
    // No longer extendable.
    post(&later, &uri, &admin(), json!({"date_fin": "2022-06-30"}))
        .await
        .assert_problem(409, "contrat_termine");
    // A CDI for the same person on the same post from the 3rd: the liberation is recorded under
    // the version reads showed, then the new occupation.
    let renewed = post(
        &later,
        "/api/v1/contrats",
        &admin(),
        json!({"conseiller_id": person, "poste_id": poste, "type": "cdi", "date_debut": "2022-01-01"}),
    )
    .await;
    assert_eq!(renewed.status, 201, "{}", renewed.text);
    let post_read = get(&later, &format!("/api/v1/postes/{poste}"), &admin()).await;
    let events: Vec<(&str, &str)> = post_read.json["historique"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["evenement"].as_str().unwrap(),
                e["date"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        events[events.len() - 3..],
        [
            ("occupation", "2021-08-02"),
            ("liberation", "2022-01-01"),
            ("occupation", "2022-01-01")
        ]
    );
    assert_eq!(post_read.json["version"], version.as_i64().unwrap() + 1);
    assert_eq!(post_read.json["etat"], "occupe");
}

async fn an_open_ended_contract_is_not_extended(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (1, 1), true).await;
    let mut body = recrue(&convention, &ids[0], 1);
    body["type_contrat"] = json!("cdi");
    let person = created_id(&post(&app, "/api/v1/conseillers", &admin(), body).await);
    let listed = get(
        &app,
        &format!("/api/v1/contrats?conseiller_id={person}"),
        &admin(),
    )
    .await;
    let contrat = listed.json["items"][0]["id"].as_str().unwrap();
    post(
        &app,
        &format!("/api/v1/contrats/{contrat}/prolongation"),
        &admin(),
        json!({"date_fin": "2022-06-30"}),
    )
    .await
    .assert_problem(409, "contrat_sans_terme");
}

on_both_backends!(
    a_person_moves_to_another_host_under_a_new_contract,
    a_new_contract_is_refused_with_its_code,
    a_fixed_term_contract_frees_its_post_the_day_after_its_end,
    an_open_ended_contract_is_not_extended,
);

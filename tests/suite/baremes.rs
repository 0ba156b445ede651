//! Tariffs (barèmes) through HTTP on both backends: an envelope's tariffs replaced whole, every
//! incoherence refused at its pointer with nothing written, and each employer of a convention
//! funded at the tariff of its category and territory (default amount, cap, and the changes of
//! tariffs or split that would leave a convention funded beyond them).

use crate::common;

use cnfs_api::domain::bareme::{baremes_premiere_phase, baremes_renouvellement};
use common::scenario::{admin, app_on_day, get, post, prefecture_93};
use common::{Answer, App, TestApp, TestDb, count, siret_for};
use serde_json::{Value, json};

const EURO: i64 = 100;
const TODAY: &str = "2023-06-01";

fn renouvellement() -> Value {
    serde_json::to_value(baremes_renouvellement()).unwrap()
}

/// An envelope of 10 M€ over 2023–2024, with the tariffs given (or none); returns its id.
async fn enveloppe(app: &TestApp<impl App>, baremes: Option<Value>) -> String {
    let mut body = json!({
        "libelle": "Renouvellement", "financeur": "DITP", "nature": "postes_conseillers",
        "montant_centimes": 10_000_000 * EURO, "date_debut": "2023-01-01", "date_fin": "2024-12-31",
    });
    if let Some(baremes) = baremes {
        body["baremes"] = baremes;
    }
    let created = post(app, "/api/v1/enveloppes", &admin(), body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json["id"].as_str().unwrap().to_owned()
}

async fn put_baremes(
    app: &TestApp<impl App>,
    id: &str,
    who: &str,
    etag: Option<&str>,
    body: &Value,
) -> Answer {
    let request = app.as_(who);
    let request = match etag {
        Some(etag) => request.if_match(etag),
        None => request,
    };
    request
        .put(&format!("/api/v1/enveloppes/{id}/baremes"), body)
        .await
}

fn stored_baremes(db: &TestDb, id: &str) -> i64 {
    count(
        db,
        &format!("SELECT COUNT(*) AS n FROM baremes WHERE enveloppe_id = '{id}'"),
    )
}

/// Tariffs are read with the envelope, replaced whole under `If-Match` by an admin, and refused
/// at the pointer of each incoherence with nothing written.
async fn tariffs_are_replaced_whole_and_checked(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let id = enveloppe(&app, None).await;
    let uri = format!("/api/v1/enveloppes/{id}");
    let read = get(&app, &uri, &admin()).await;
    assert_eq!(read.json["baremes"], json!([]));
    assert!(read.json.get("montant_par_poste_centimes").is_none());

    let list = renouvellement();
    put_baremes(&app, &id, &admin(), None, &list)
        .await
        .assert_problem(428, "precondition_requise");
    let stale = put_baremes(&app, &id, &admin(), Some("\"7\""), &list).await;
    assert_eq!(stale.status, 412, "{}", stale.text);
    put_baremes(&app, &id, &prefecture_93(), Some("\"1\""), &list)
        .await
        .assert_problem(403, "interdit");
    put_baremes(
        &app,
        "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f00",
        &admin(),
        Some("\"1\""),
        &list,
    )
    .await
    .assert_problem(404, "ressource_introuvable");
    assert_eq!(stored_baremes(&db, &id), 0);

    let put = put_baremes(&app, &id, &admin(), Some("\"1\""), &list).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.header("etag"), "\"2\"");
    assert_eq!(
        put.json["baremes"], list,
        "public first, outside priority first"
    );
    assert_eq!(
        put.json["baremes"][1]["montant_par_poste_centimes"],
        50_000 * EURO
    );
    assert_eq!(get(&app, &uri, &admin()).await.json["baremes"], list);
    assert_eq!(stored_baremes(&db, &id), 4);
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'enveloppe' \
                 AND ressource_id = '{id}' AND action = 'baremes'"
            ),
        ),
        1
    );

    // Each incoherence, at its pointer; nothing written.
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = renouvellement();
        change(&mut body);
        body
    };
    for (body, pointer) in [
        (with(&|b| b[1] = b[0].clone()), "/1"),
        (
            with(&|b| b[0]["tranches"][2]["montant_centimes"] = json!(1)),
            "/0/tranches",
        ),
        (
            with(&|b| b[2]["tranches"][1]["rang"] = json!(3)),
            "/2/tranches/1/rang",
        ),
        (
            with(&|b| b[3]["tranches"][2]["mois_apres_debut"] = json!(36)),
            "/3/tranches/2/mois_apres_debut",
        ),
        (with(&|b| b[0]["duree_mois"] = json!(0)), "/0/duree_mois"),
    ] {
        let refused = put_baremes(&app, &id, &admin(), Some("\"2\""), &body).await;
        refused.assert_problem(422, "validation");
        assert_eq!(
            refused.json["errors"][0]["pointer"], pointer,
            "{}",
            refused.text
        );
    }
    let unknown = put_baremes(
        &app,
        &id,
        &admin(),
        Some("\"2\""),
        &with(&|b| b[0]["bonus"] = json!(1)),
    )
    .await;
    unknown.assert_problem(422, "validation");
    assert_eq!(get(&app, &uri, &admin()).await.json["baremes"], list);
    assert_eq!(get(&app, &uri, &admin()).await.header("etag"), "\"2\"");

    // An empty list removes them.
    let emptied = put_baremes(&app, &id, &admin(), Some("\"2\""), &json!([])).await;
    assert_eq!(emptied.status, 200, "{}", emptied.text);
    assert_eq!(emptied.json["baremes"], json!([]));
    assert_eq!(stored_baremes(&db, &id), 0);

    // At creation: the same rules, pointed at in the body.
    let mut bad = renouvellement();
    bad[0]["tranches"][0]["montant_centimes"] = json!(2);
    let refused = post(
        &app,
        "/api/v1/enveloppes",
        &admin(),
        json!({"libelle": "x", "financeur": "x", "nature": "postes_conseillers",
               "montant_centimes": 10, "date_debut": "2023-01-01", "date_fin": "2023-12-31",
               "baremes": bad}),
    )
    .await;
    refused.assert_problem(422, "validation");
    assert_eq!(refused.json["errors"][0]["pointer"], "/baremes/0/tranches");
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM enveloppes"), 1);
    let first = enveloppe(
        &app,
        Some(serde_json::to_value(baremes_premiere_phase()).unwrap()),
    )
    .await;
    assert_eq!(stored_baremes(&db, &first), 4);
}

/// A commune of the 93 in a priority territory and an association share a convention's five
/// posts (3 + 2); returns (convention, commune, association).
async fn convention_mixte(app: &TestApp<impl App>) -> (String, String, String) {
    let mut ids = Vec::new();
    for (siren, nom, kind) in [
        ("219300019", "Ville d'Aubervilliers", "commune"),
        (
            "775672272",
            "Association Aubervilliers numérique",
            "association",
        ),
    ] {
        let created = post(
            app,
            "/api/v1/structures",
            &admin(),
            json!({"siret": siret_for(siren), "nom": nom, "type": kind, "code_insee": "93001"}),
        )
        .await;
        assert_eq!(created.status, 201, "{}", created.text);
        ids.push(created.json["id"].as_str().unwrap().to_owned());
    }
    let (commune, association) = (ids[0].clone(), ids[1].clone());
    let classed = post(
        app,
        &format!("/api/v1/structures/{commune}/territoire-prioritaire"),
        &prefecture_93(),
        json!({"territoire_prioritaire": true}),
    )
    .await;
    assert_eq!(classed.status, 200, "{}", classed.text);
    let created = post(
        app,
        "/api/v1/conventions",
        &prefecture_93(),
        json!({"departement": "93", "intitule": "Renouvellement Aubervilliers",
               "signataires": [commune], "postes_attribues": 5}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let convention = created.json["id"].as_str().unwrap().to_owned();
    for (action, body) in [
        ("signature", json!({"date_signature": "2023-02-01"})),
        (
            "projet-accueil",
            json!({"date_depot": "2023-03-01", "repartition": [
                {"structure_id": commune, "postes": 3},
                {"structure_id": association, "postes": 2}]}),
        ),
    ] {
        let done = post(
            app,
            &format!("/api/v1/conventions/{convention}/{action}"),
            &prefecture_93(),
            body,
        )
        .await;
        assert_eq!(done.status, 200, "{action}: {}", done.text);
    }
    (convention, commune, association)
}

async fn engager(app: &TestApp<impl App>, enveloppe: &str, key: &str, body: Value) -> Answer {
    app.as_(prefecture_93())
        .idempotency_key(key)
        .post(&format!("/api/v1/enveloppes/{enveloppe}/engagements"), body)
        .await
}

/// Each employer is funded at its tariff: 3 public posts in a priority territory at 50,000 € and
/// 2 private ones at 44,000 €. Neither a commitment, nor new tariffs, nor a new split may leave
/// the convention beyond that.
async fn each_employer_is_funded_at_its_tariff(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let (convention, commune, association) = convention_mixte(&app).await;
    let id = enveloppe(&app, Some(renouvellement())).await;
    let maximum = 3 * 50_000 * EURO + 2 * 44_000 * EURO;

    // Each employer's subsidy by default: its posts × the tariff of its pair.
    for (key, beneficiaire, montant) in [
        ("t1", &commune, 3 * 50_000 * EURO),
        ("t1b", &association, 2 * 44_000 * EURO),
    ] {
        let committed = engager(
            &app,
            &id,
            key,
            json!({"convention_id": convention, "beneficiaire_id": beneficiaire, "objet": "Renouvellement", "date_engagement": "2023-03-15"}),
        )
        .await;
        assert_eq!(committed.status, 201, "{}", committed.text);
        assert_eq!(committed.json["montant_centimes"], montant);
        assert_eq!(committed.json["beneficiaire_id"], *beneficiaire);
    }
    let engaged = count(
        &db,
        "SELECT CAST(SUM(montant_centimes) AS BIGINT) AS n FROM engagements",
    );
    assert_eq!(engaged, maximum);
    for (key, beneficiaire) in [("t2", &commune), ("t2b", &association)] {
        let more = engager(
            &app,
            &id,
            key,
            json!({"convention_id": convention, "beneficiaire_id": beneficiaire, "montant_centimes": 1, "objet": "Un centime"}),
        )
        .await;
        more.assert_problem(409, "beneficiaire_entierement_finance");
        assert_eq!(more.json["disponible_centimes"], 0);
        assert_eq!(more.json["beneficiaire_id"], *beneficiaire);
    }
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM engagements"), 2);

    // Tariffs that would fund it less: refused, naming the convention; nothing changes.
    let mut lower = renouvellement();
    lower[1] = lower[0].clone();
    lower[1]["territoire_prioritaire"] = json!(true);
    let refused = put_baremes(&app, &id, &admin(), Some("\"1\""), &lower).await;
    refused.assert_problem(409, "convention_surfinancee");
    assert_eq!(refused.json["convention_id"], convention);
    assert_eq!(
        refused.json["excedent_centimes"],
        3 * (50_000 - 42_500) * EURO
    );
    let read = get(&app, &format!("/api/v1/enveloppes/{id}"), &admin()).await;
    assert_eq!(read.json["baremes"], renouvellement());

    // A new split: one more post for the association is funded; a post moved from the commune
    // to the association (3 + 2 → 2 + 3) is not.
    let avenants = format!("/api/v1/conventions/{convention}/avenants");
    let added = post(
        &app,
        &avenants,
        &prefecture_93(),
        json!({"type": "ajout", "nombre_postes": 1, "motif": "Un poste de plus.", "repartition": [
            {"structure_id": commune, "postes": 3}, {"structure_id": association, "postes": 3}]}),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let moved = post(
        &app,
        &avenants,
        &prefecture_93(),
        json!({"type": "retrait", "nombre_postes": 1, "motif": "Un poste de moins.", "repartition": [
            {"structure_id": commune, "postes": 2}, {"structure_id": association, "postes": 3}]}),
    )
    .await;
    moved.assert_problem(409, "convention_surfinancee");
    assert_eq!(
        moved.json["maximum_centimes"],
        2 * 50_000 * EURO + 3 * 44_000 * EURO
    );
    let read = get(&app, &format!("/api/v1/conventions/{convention}"), &admin()).await;
    assert_eq!(
        read.json["postes_attribues"], 6,
        "the withdrawal changed nothing"
    );

    // An envelope without a tariff for an employer funds nothing for it: no default amount.
    let public_only = enveloppe(&app, Some(json!([renouvellement()[0].clone()]))).await;
    let refused = engager(
        &app,
        &public_only,
        "t3",
        json!({"convention_id": convention, "beneficiaire_id": association, "objet": "Sans barème"}),
    )
    .await;
    refused.assert_problem(422, "validation");
    assert_eq!(refused.json["errors"][0]["pointer"], "/montant_centimes");
}

/// A payment may name the instalment of its beneficiary's tariff it pays: by default its amount
/// for the beneficiary's posts; an instalment is paid once per commitment (a cancelled payment
/// frees it); a rank the tariff lacks, or an envelope without a tariff for the beneficiary, is a
/// 422 at `/tranche`. `GET /structures/{id}/financement` shows each employer what it receives,
/// per envelope and convention, with its schedule, to itself, its préfecture and national
/// readers only.
async fn instalments_are_paid_once_and_scheduled(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let (convention, commune, association) = convention_mixte(&app).await;
    let renouvellement = enveloppe(&app, Some(renouvellement())).await;
    let materiel = enveloppe(&app, None).await;
    let mut engagements = Vec::new();
    for (key, envelope, beneficiaire, montant) in [
        ("i1", &renouvellement, &commune, None),
        ("i2", &renouvellement, &association, None),
        ("i3", &materiel, &commune, Some(1_000 * EURO)),
    ] {
        let mut body = json!({"convention_id": convention, "beneficiaire_id": beneficiaire,
                              "objet": "Renouvellement", "date_engagement": "2023-03-15"});
        if let Some(montant) = montant {
            body["montant_centimes"] = json!(montant);
        }
        let committed = engager(&app, envelope, key, body).await;
        assert_eq!(committed.status, 201, "{}", committed.text);
        engagements.push(committed.json["id"].as_str().unwrap().to_owned());
    }
    let payments = format!("/api/v1/engagements/{}/versements", engagements[0]);
    let pay = |body: Value| {
        let uri = payments.clone();
        let app = &app;
        async move { post(app, &uri, &admin(), body).await }
    };

    // The first instalment of the commune's priority tariff, for its 3 posts: 3 × 20,000 €.
    let first = pay(json!({"tranche": 1, "date_versement": "2023-04-01", "reference": "T1"})).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.json["montant_centimes"], 60_000 * EURO);
    assert_eq!(first.json["tranche"], 1);
    let first_id = first.json["id"].as_str().unwrap().to_owned();
    let again = pay(json!({"tranche": 1, "montant_centimes": EURO, "date_versement": "2023-04-02", "reference": "T1 bis"})).await;
    again.assert_problem(409, "tranche_deja_versee");
    assert_eq!(again.json["versement_id"], first_id.as_str());
    assert_eq!(again.json["tranche"], 1);
    for (body, pointer) in [
        (
            json!({"tranche": 4, "date_versement": "2023-04-02", "reference": "T4"}),
            "/tranche",
        ),
        (
            json!({"tranche": 0, "date_versement": "2023-04-02", "reference": "T0"}),
            "/tranche",
        ),
        (
            json!({"date_versement": "2023-04-02", "reference": "Sans"}),
            "/montant_centimes",
        ),
    ] {
        let refused = pay(body).await;
        refused.assert_problem(422, "validation");
        assert_eq!(
            refused.json["errors"][0]["pointer"], pointer,
            "{}",
            refused.text
        );
    }
    let no_tariff = post(
        &app,
        &format!("/api/v1/engagements/{}/versements", engagements[2]),
        &admin(),
        json!({"tranche": 1, "date_versement": "2023-04-02", "reference": "Matériel"}),
    )
    .await;
    no_tariff.assert_problem(422, "validation");
    assert_eq!(no_tariff.json["errors"][0]["pointer"], "/tranche");
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM versements"),
        1,
        "no refusal wrote a payment"
    );
    // Cancelled, the instalment is free again.
    let cancelled = post(
        &app,
        &format!("/api/v1/versements/{first_id}/annulation"),
        &admin(),
        json!({"motif": "Mandat rejeté."}),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    let repaid =
        pay(json!({"tranche": 1, "date_versement": "2023-04-03", "reference": "T1 ter"})).await;
    assert_eq!(repaid.status, 201, "{}", repaid.text);
    assert_eq!(repaid.json["montant_centimes"], 60_000 * EURO);

    // What the commune receives, as it reads it on 2023-06-01.
    let uri = |id: &str| format!("/api/v1/structures/{id}/financement");
    let read = get(&app, &uri(&commune), &common::scenario::structure(&commune)).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        read.json,
        json!({
            "structure_id": commune,
            "engage_centimes": 151_000 * EURO, "verse_centimes": 60_000 * EURO,
            "reste_a_verser_centimes": 91_000 * EURO,
            "lignes": [
                {"enveloppe_id": renouvellement, "convention_id": convention, "postes": 3,
                 "maximum_centimes": 150_000 * EURO, "engage_centimes": 150_000 * EURO,
                 "verse_centimes": 60_000 * EURO, "reste_a_verser_centimes": 90_000 * EURO,
                 "engagements": [engagements[0]],
                 "tranches": [
                    {"rang": 1, "montant_centimes": 60_000 * EURO, "echeance": "2023-03-15",
                     "verse_centimes": 60_000 * EURO, "etat": "versee"},
                    {"rang": 2, "montant_centimes": 52_500 * EURO, "echeance": "2024-03-15",
                     "verse_centimes": 0, "etat": "a_venir"},
                    {"rang": 3, "montant_centimes": 37_500 * EURO, "echeance": "2025-03-15",
                     "verse_centimes": 0, "etat": "a_venir"}]},
                {"enveloppe_id": materiel, "convention_id": convention, "postes": 3,
                 "maximum_centimes": null, "engage_centimes": 1_000 * EURO,
                 "verse_centimes": 0, "reste_a_verser_centimes": 1_000 * EURO,
                 "engagements": [engagements[2]], "tranches": []}
            ]
        })
    );
    // The association's first instalment, not paid, is due.
    let read = get(&app, &uri(&association), &admin()).await;
    assert_eq!(read.status, 200, "{}", read.text);
    let tranches = &read.json["lignes"][0]["tranches"];
    assert_eq!(tranches[0]["montant_centimes"], 2 * 20_000 * EURO);
    assert_eq!(tranches[0]["etat"], "echue");
    assert_eq!(tranches[1]["etat"], "a_venir");
    assert_eq!(read.json["lignes"].as_array().unwrap().len(), 1);
    // Who may read it: the structure itself, its préfecture, national readers.
    use cnfs_api::auth::Role;
    for (who, status) in [
        (common::scenario::structure(&association), 404),
        (common::token(Role::Prefecture, &["75"], None), 404),
        (prefecture_93(), 200),
        (common::token(Role::Lecteur, &[], None), 200),
    ] {
        let answer = get(&app, &uri(&commune), &who).await;
        assert_eq!(answer.status, status, "{}", answer.text);
    }
    let unknown = get(&app, &uri("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f00"), &admin()).await;
    unknown.assert_problem(404, "ressource_introuvable");
    assert_eq!(app.anonymous().get(&uri(&commune)).await.status, 401);
}

/// The balance through HTTP, over two hosts of one post each funded 50,000 € over 24 months from
/// 2021-04-01 (730 days) and paid whole: the first recruits on 2021-11-01 (seven months vacant:
/// 516 days occupied, 35,342.47 € due, 14,657.53 € to pay back), the second's advisor leaves on
/// 2021-06-14, in the third month, and the post stays vacant (75 days, 5,136.99 € due,
/// 44,863.01 € back).
async fn the_balance_counts_the_days_occupied(db: TestDb) {
    use common::scenario::{convention, rupture, structure, structures};
    let app = app_on_day(&db, TODAY).await;
    let ids = structures(&app).await;
    let convention = convention(&app, &ids, (1, 1), true).await;
    let created = post(
        &app,
        "/api/v1/enveloppes",
        &admin(),
        json!({"libelle": "Plan de relance", "financeur": "DGCL", "nature": "postes_conseillers",
               "montant_centimes": 10_000_000 * EURO, "date_debut": "2021-01-01",
               "date_fin": "2023-12-31", "baremes": common::baremes_uniformes(50_000 * EURO)}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let enveloppe = created.json["id"].as_str().unwrap().to_owned();
    for (n, host) in ids[..2].iter().enumerate() {
        let committed = engager(
            &app,
            &enveloppe,
            &format!("bilan-{n}"),
            json!({"convention_id": convention, "beneficiaire_id": host, "objet": "Un poste",
                   "date_engagement": "2021-04-01"}),
        )
        .await;
        assert_eq!(committed.status, 201, "{}", committed.text);
        let paid = post(
            &app,
            &format!(
                "/api/v1/engagements/{}/versements",
                committed.json["id"].as_str().unwrap()
            ),
            &admin(),
            json!({"tranche": 1, "date_versement": "2021-04-15", "reference": "MANDAT"}),
        )
        .await;
        assert_eq!(paid.status, 201, "{}", paid.text);
    }
    let mut advisors = Vec::new();
    for (n, (host, recruited)) in ids[..2]
        .iter()
        .zip(["2021-11-01", "2021-04-01"])
        .enumerate()
    {
        let mut body = common::scenario::recrue(&convention, host, n);
        body["date_recrutement"] = json!(recruited);
        let answer = post(&app, "/api/v1/conseillers", &structure(host), body).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        advisors.push(answer.json["id"].as_str().unwrap().to_owned());
    }
    let left = rupture(
        &app,
        &advisors[1],
        &structure(&ids[1]),
        "2021-06-14",
        "demission",
    )
    .await;
    assert_eq!(left.status, 200, "{}", left.text);

    let read = get(
        &app,
        &format!("/api/v1/conventions/{convention}/bilan"),
        &prefecture_93(),
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.text);
    let line = |host: &str, occupied: i64, months: f64, due: i64| {
        json!({"structure_id": host, "enveloppe_id": enveloppe, "postes": 1,
               "montant_par_poste_centimes": 50_000 * EURO, "duree_mois": 24,
               "debut": "2021-04-01", "fin": "2023-03-31", "jours_periode": 730,
               "mois_finances": 24, "jours_occupes": occupied, "mois_occupes": months,
               "verse_centimes": 50_000 * EURO, "du_centimes": due,
               "avoir_centimes": 50_000 * EURO - due})
    };
    let mut expected = vec![
        line(&ids[0], 516, 16.96, 3_534_247),
        line(&ids[1], 75, 2.47, 513_699),
    ];
    expected.sort_by_key(|l| l["structure_id"].as_str().unwrap().to_owned());
    assert_eq!(
        read.json,
        json!({
            "convention_id": convention,
            "employeurs": expected,
            "totaux": {"mois_finances": 48, "mois_occupes": 19.43,
                       "verse_centimes": 100_000 * EURO, "du_centimes": 3_534_247 + 513_699,
                       "avoir_centimes": 100_000 * EURO - 3_534_247 - 513_699}
        })
    );
    // Read like the convention: another département's préfecture does not see it.
    let elsewhere = common::token(cnfs_api::auth::Role::Prefecture, &["75"], None);
    let hidden = get(
        &app,
        &format!("/api/v1/conventions/{convention}/bilan"),
        &elsewhere,
    )
    .await;
    hidden.assert_problem(404, "ressource_introuvable");
}

on_both_backends!(
    the_balance_counts_the_days_occupied,
    tariffs_are_replaced_whole_and_checked,
    each_employer_is_funded_at_its_tariff,
    instalments_are_paid_once_and_scheduled,
);

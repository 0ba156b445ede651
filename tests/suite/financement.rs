//! Funding through HTTP on both backends: the Seine-Saint-Denis story continued (the national
//! envelope, the 93's ceiling, the Ville envelope, a first payment), every refusal with its
//! status and code, and what the convention's life does to its money. The concurrency and
//! property tests are in `financement_concurrence.rs` and `financement_proprietes.rs`.

use crate::common;

use cnfs_api::auth::Role;
use common::scenario::{admin, app_on_day, get, post, prefecture_93};
use common::{Answer, App, TestApp, TestDb, count, siret_for, token};
use serde_json::{Value, json};

const EURO: i64 = 100;

/// "Today" for the funding tests.
const TODAY: &str = "2021-06-01";

/// A POST with an `Idempotency-Key` (required on commitments).
async fn post_keyed(
    app: &TestApp<impl App>,
    uri: &str,
    who: &str,
    key: &str,
    body: Value,
) -> Answer {
    app.as_(who).idempotency_key(key).post(uri, body).await
}

/// Aubervilliers and Montreuil sign a convention of the 93 for `postes` posts on 2021-02-08;
/// returns its id.
async fn signed_convention(app: &TestApp<impl App>, postes: i64) -> String {
    let mut ids = Vec::new();
    for (siren, nom, commune) in [
        ("219300019", "Ville d'Aubervilliers", "93001"),
        ("219300480", "Ville de Montreuil", "93048"),
    ] {
        let body = json!({"siret": siret_for(siren), "nom": nom, "type": "commune", "code_insee": commune});
        let created = post(app, "/api/v1/structures", &admin(), body).await;
        // The second convention of a test reuses the structures.
        let id = if created.status == 201 {
            created.json["id"].as_str().unwrap().to_owned()
        } else {
            let found = get(
                app,
                &format!("/api/v1/structures?siret={}", siret_for(siren)),
                &admin(),
            )
            .await;
            found.json["items"][0]["id"].as_str().unwrap().to_owned()
        };
        ids.push(id);
    }
    let created = post(
        app,
        "/api/v1/conventions",
        &prefecture_93(),
        json!({"departement": "93", "intitule": "CnFS Seine-Saint-Denis", "signataires": ids, "postes_attribues": postes}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_owned();
    let signed = post(
        app,
        &format!("/api/v1/conventions/{id}/signature"),
        &prefecture_93(),
        json!({"date_signature": "2021-02-08"}),
    )
    .await;
    assert_eq!(signed.status, 200, "{}", signed.text);
    id
}

fn plan_de_relance() -> Value {
    json!({
        "libelle": "Plan de relance — conseillers numériques",
        "financeur": "DGCL — Plan de relance",
        "programme_budgetaire": "364",
        "nature": "postes_conseillers",
        "montant_centimes": 200_000_000 * EURO,
        "date_debut": "2021-01-01",
        "date_fin": "2023-12-31",
        "objectif_postes": 4000,
        "baremes": common::baremes_uniformes(50_000 * EURO),
    })
}

/// An envelope of `montant` euros without per-post amount; returns its id.
async fn enveloppe(app: &TestApp<impl App>, montant: i64, extra: Value) -> String {
    let mut body = json!({
        "libelle": "Essai", "financeur": "Essai", "nature": "mixte",
        "montant_centimes": montant * EURO, "date_debut": "2021-01-01", "date_fin": "2023-12-31",
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    let created = post(app, "/api/v1/enveloppes", &admin(), body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json["id"].as_str().unwrap().to_owned()
}

/// Takes a commitment as the 93's préfecture; to the convention's first employer unless the body
/// names a beneficiary ([`common::scenario::avec_beneficiaire`]).
async fn engager(app: &TestApp<impl App>, enveloppe: &str, key: &str, body: Value) -> Answer {
    let body = common::scenario::avec_beneficiaire(app, body).await;
    post_keyed(
        app,
        &format!("/api/v1/enveloppes/{enveloppe}/engagements"),
        &prefecture_93(),
        key,
        body,
    )
    .await
}

/// The sums the database holds for an envelope: (engaged, paid) on its row, and engaged
/// recomputed from its commitments.
fn sums(db: &TestDb, enveloppe: &str) -> (i64, i64, i64) {
    let engaged = count(
        db,
        &format!("SELECT engage_centimes AS n FROM enveloppes WHERE id = '{enveloppe}'"),
    );
    let paid = count(
        db,
        &format!("SELECT verse_centimes AS n FROM enveloppes WHERE id = '{enveloppe}'"),
    );
    let recomputed = count(
        db,
        &format!(
            "SELECT CAST(COALESCE(SUM(CASE statut WHEN 'actif' THEN montant_centimes \
             ELSE verse_centimes END), 0) AS BIGINT) AS n FROM engagements \
             WHERE enveloppe_id = '{enveloppe}'"
        ),
    );
    (engaged, paid, recomputed)
}

/// The programme's own example: the national envelope, the 93's ceiling, 80 × 50,000 € committed
/// without an amount, 1 € more refused, the Ville 93 envelope, a first payment, every read model.
async fn the_seine_saint_denis_story(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let convention = signed_convention(&app, 80).await;

    // 1. The national envelope.
    let created = post(&app, "/api/v1/enveloppes", &admin(), plan_de_relance()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let national = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        format!("/api/v1/enveloppes/{national}")
    );
    assert_eq!(created.header("etag"), "\"1\"");
    assert_eq!(created.json["engage_centimes"], 0);
    assert_eq!(created.json["disponible_centimes"], 200_000_000 * EURO);
    assert_eq!(created.json["plafonds"], json!([]));

    // 2. The 93's ceiling: created, then replaced with the same value.
    let ceiling_uri = format!("/api/v1/enveloppes/{national}/plafonds/93");
    let ceiling = json!({"plafond_centimes": 4_000_000 * EURO});
    let put = app.as_(admin()).put(&ceiling_uri, &ceiling).await;
    assert_eq!(put.status, 201, "{}", put.text);
    assert_eq!(put.header("location"), ceiling_uri);
    let put = app.as_(admin()).put(&ceiling_uri, &ceiling).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(
        put.json["plafonds"],
        json!([{"departement": "93", "plafond_centimes": 4_000_000 * EURO, "engage_centimes": 0,
                "verse_centimes": 0, "disponible_centimes": 4_000_000 * EURO}])
    );

    // 3. Each signatory's 40 posts × 50,000 € without an amount (no split yet: they share the
    // 80 posts); the same key replays; 1 € more to one of them is refused.
    let signataires = get(&app, &format!("/api/v1/conventions/{convention}"), &admin())
        .await
        .json["signataires"]
        .clone();
    let (aubervilliers, montreuil) = (&signataires[0], &signataires[1]);
    let body = json!({"convention_id": convention, "beneficiaire_id": aubervilliers, "objet": "40 postes sur 24 mois", "date_engagement": "2021-03-01"});
    let committed = engager(&app, &national, "story-1", body.clone()).await;
    assert_eq!(committed.status, 201, "{}", committed.text);
    assert_eq!(committed.json["montant_centimes"], 2_000_000 * EURO);
    assert_eq!(committed.json["beneficiaire_id"], *aubervilliers);
    assert_eq!(committed.json["statut"], "actif");
    assert_eq!(
        committed.json["actions_possibles"],
        json!(["versement", "annulation"])
    );
    let engagement = committed.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        committed.header("location"),
        format!("/api/v1/engagements/{engagement}")
    );
    let replay = engager(&app, &national, "story-1", body).await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.json, committed.json);
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM engagements"),
        1,
        "the replay created nothing"
    );
    let second = engager(
        &app,
        &national,
        "story-1b",
        json!({"convention_id": convention, "beneficiaire_id": montreuil, "objet": "40 postes sur 24 mois", "date_engagement": "2021-03-01"}),
    )
    .await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(second.json["montant_centimes"], 2_000_000 * EURO);
    let more = engager(
        &app,
        &national,
        "story-2",
        json!({"convention_id": convention, "beneficiaire_id": aubervilliers, "montant_centimes": EURO, "objet": "Un euro de plus"}),
    )
    .await;
    more.assert_problem(409, "beneficiaire_entierement_finance");
    assert_eq!(more.json["disponible_centimes"], 0);
    assert_eq!(more.json["demande_centimes"], EURO);
    assert_eq!(more.json["beneficiaire_id"], *aubervilliers);
    // Neither employer may be named for the other, nor a structure that employs no one here.
    let ailleurs = engager(
        &app,
        &national,
        "story-2b",
        json!({"convention_id": convention, "beneficiaire_id": national, "montant_centimes": EURO, "objet": "Ailleurs"}),
    )
    .await;
    ailleurs.assert_problem(422, "validation");
    assert_eq!(ailleurs.json["errors"][0]["pointer"], "/beneficiaire_id");
    let sans = engager(
        &app,
        &national,
        "story-2c",
        json!({"convention_id": convention, "beneficiaire_id": null, "montant_centimes": EURO, "objet": "Sans"}),
    )
    .await;
    sans.assert_problem(422, "validation");
    assert_eq!(sans.json["errors"][0]["pointer"], "/beneficiaire_id");
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM engagements"),
        2,
        "no refusal wrote a commitment"
    );

    // 4. The Ville 93 envelope: departmental, mixed; part of it committed.
    let ville = enveloppe(
        &app,
        1_000_000,
        json!({"libelle": "Ville 93 — matériel, connexion, formation", "financeur": "Ministère de la Ville", "perimetre_departement": "93"}),
    )
    .await;
    let equipment = engager(
        &app,
        &ville,
        "story-3",
        json!({"convention_id": convention, "montant_centimes": 300_000 * EURO, "objet": "Matériel et connexion"}),
    )
    .await;
    assert_eq!(equipment.status, 201, "{}", equipment.text);

    // 5. A first instalment.
    let paid = post(
        &app,
        &format!("/api/v1/engagements/{engagement}/versements"),
        &admin(),
        json!({"montant_centimes": 1_000_000 * EURO, "date_versement": "2021-04-01", "reference": "MANDAT-2021-000123"}),
    )
    .await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let versement = paid.json["id"].as_str().unwrap();
    assert_eq!(
        paid.header("location"),
        format!("/api/v1/versements/{versement}")
    );

    // 6. Every read model.
    let read = get(
        &app,
        &format!("/api/v1/enveloppes/{national}"),
        &prefecture_93(),
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json["engage_centimes"], 4_000_000 * EURO);
    assert_eq!(read.json["verse_centimes"], 1_000_000 * EURO);
    assert_eq!(read.json["disponible_centimes"], 196_000_000 * EURO);
    assert_eq!(
        read.json["plafonds"],
        json!([{"departement": "93", "plafond_centimes": 4_000_000 * EURO,
                "engage_centimes": 4_000_000 * EURO, "verse_centimes": 1_000_000 * EURO,
                "disponible_centimes": 0}])
    );
    assert_eq!(read.header("etag"), "\"1\"", "money moves keep the version");
    let read = get(
        &app,
        &format!("/api/v1/enveloppes/{ville}"),
        &prefecture_93(),
    )
    .await;
    assert_eq!(read.json["engage_centimes"], 300_000 * EURO);
    assert_eq!(read.json["disponible_centimes"], 700_000 * EURO);
    assert_eq!(read.json["perimetre_departement"], "93");

    let listed = get(
        &app,
        &format!("/api/v1/engagements?convention_id={convention}"),
        &prefecture_93(),
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let items = listed.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let total: i64 = items
        .iter()
        .map(|e| e["engage_centimes"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 4_300_000 * EURO);
    let one = get(
        &app,
        &format!("/api/v1/engagements/{engagement}"),
        &prefecture_93(),
    )
    .await;
    assert_eq!(one.json["verse_centimes"], 1_000_000 * EURO);
    assert_eq!(one.json["reste_a_verser_centimes"], 1_000_000 * EURO);
    let to_montreuil = get(
        &app,
        &format!(
            "/api/v1/engagements?convention_id={convention}&beneficiaire_id={}",
            montreuil.as_str().unwrap()
        ),
        &prefecture_93(),
    )
    .await;
    assert_eq!(to_montreuil.status, 200, "{}", to_montreuil.text);
    assert_eq!(
        to_montreuil.json["items"].as_array().unwrap().len(),
        1,
        "filtered by beneficiary"
    );
    assert_eq!(to_montreuil.json["items"][0]["beneficiaire_id"], *montreuil);
    let payments = get(
        &app,
        &format!("/api/v1/engagements/{engagement}/versements"),
        &prefecture_93(),
    )
    .await;
    assert_eq!(payments.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(payments.json["items"][0]["reference"], "MANDAT-2021-000123");
    let filtered = get(
        &app,
        &format!("/api/v1/engagements?enveloppe_id={ville}&departement=93"),
        &admin(),
    )
    .await;
    assert_eq!(filtered.json["items"].as_array().unwrap().len(), 1);
    let all = get(&app, "/api/v1/enveloppes", &token(Role::Lecteur, &[], None)).await;
    assert_eq!(all.status, 200, "{}", all.text);
    let items = all.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], ville.as_str(), "newest first");
    assert_eq!(items[0]["plafonds"], json!([]));
    assert_eq!(items[1]["plafonds"][0]["engage_centimes"], 4_000_000 * EURO);
    let national_list = get(&app, "/api/v1/enveloppes?departement=75", &admin()).await;
    assert_eq!(
        national_list.json["items"].as_array().unwrap().len(),
        1,
        "the Ville 93 envelope does not fund the 75"
    );

    // The database agrees, and every movement is journaled.
    assert_eq!(
        sums(&db, &national),
        (4_000_000 * EURO, 1_000_000 * EURO, 4_000_000 * EURO)
    );
    assert_eq!(sums(&db, &ville), (300_000 * EURO, 0, 300_000 * EURO));
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'engagement'"
        ),
        3
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'versement'"
        ),
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'enveloppe' AND action = 'creation' AND departement IS NULL"
        ),
        2,
        "the envelopes' creations are national entries"
    );
    // A préfecture sees the 93's money movements in its journal, not the envelopes'.
    let journal = get(
        &app,
        "/api/v1/journal?ressource=engagement",
        &prefecture_93(),
    )
    .await;
    assert_eq!(journal.json["items"].as_array().unwrap().len(), 3);
    let journal = get(
        &app,
        "/api/v1/journal?ressource=enveloppe",
        &prefecture_93(),
    )
    .await;
    assert_eq!(
        journal.json["items"].as_array().unwrap().len(),
        2,
        "only the 93's ceiling, set then replaced"
    );
}

/// Amounts: zero, negative, non-integral, beyond 10^15 and beyond i64 are 422 on the field; an
/// integral number written `1.0` is an integer.
async fn bad_amounts(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let convention = signed_convention(&app, 10).await;
    let id = enveloppe(&app, 1_000, json!({})).await;
    for (index, amount) in [
        json!(0),
        json!(-5),
        json!(1.5),
        json!(1_000_000_000_000_001i64),
        json!(1e30),
    ]
    .into_iter()
    .enumerate()
    {
        let answer = engager(
            &app,
            &id,
            &format!("bad-{index}"),
            json!({"convention_id": convention, "montant_centimes": amount, "objet": "Essai"}),
        )
        .await;
        answer.assert_problem(422, "validation");
        assert_eq!(
            answer.json["errors"][0]["pointer"], "/montant_centimes",
            "{amount}: {}",
            answer.text
        );
    }
    let integral = engager(
        &app,
        &id,
        "integral",
        json!({"convention_id": convention, "montant_centimes": 100.0, "objet": "Essai"}),
    )
    .await;
    assert_eq!(integral.status, 201, "{}", integral.text);
    assert_eq!(integral.json["montant_centimes"], 100);
    for body in [
        json!({"libelle": "x", "financeur": "x", "nature": "mixte", "montant_centimes": 0, "date_debut": "2021-01-01", "date_fin": "2021-12-31"}),
        json!({"libelle": "x", "financeur": "x", "nature": "mixte", "montant_centimes": 10, "date_debut": "2021-01-01", "date_fin": "2021-12-31", "baremes": [{"categorie": "public", "territoire_prioritaire": false, "montant_par_poste_centimes": -1, "duree_mois": 24, "tranches": [{"rang": 1, "montant_centimes": -1, "mois_apres_debut": 0}]}]}),
    ] {
        post(&app, "/api/v1/enveloppes", &admin(), body)
            .await
            .assert_problem(422, "validation");
    }
    let backwards = post(
        &app,
        "/api/v1/enveloppes",
        &admin(),
        json!({"libelle": "x", "financeur": "x", "nature": "mixte", "montant_centimes": 10, "date_debut": "2021-12-31", "date_fin": "2021-01-01"}),
    )
    .await;
    backwards.assert_problem(422, "validation");
    assert_eq!(backwards.json["errors"][0]["pointer"], "/date_fin");
    let server_owned = post(
        &app,
        "/api/v1/enveloppes",
        &admin(),
        json!({"libelle": "x", "financeur": "x", "nature": "mixte", "montant_centimes": 10, "date_debut": "2021-01-01", "date_fin": "2021-12-31", "engage_centimes": 0}),
    )
    .await;
    server_owned.assert_problem(422, "validation");
}

/// Every refusal of a commitment, each with its status, code and the available amount.
async fn commitment_refusals(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let convention = signed_convention(&app, 80).await;
    let small = enveloppe(&app, 1_000, json!({})).await;
    let commit = |envelope: String, key: &'static str, body: Value| {
        let app = &app;
        async move { engager(app, &envelope, key, body).await }
    };
    let body = |euros: i64| json!({"convention_id": convention, "montant_centimes": euros * EURO, "objet": "Essai"});

    // Without a key: 400 naming the header.
    let keyless = post(
        &app,
        &format!("/api/v1/enveloppes/{small}/engagements"),
        &prefecture_93(),
        body(1),
    )
    .await;
    keyless.assert_problem(400, "parametre_invalide");
    assert_eq!(keyless.faulty_parameters(), ["Idempotency-Key"]);

    // The envelope's amount.
    let over = commit(small.clone(), "r1", body(1_001)).await;
    over.assert_problem(409, "enveloppe_insuffisante");
    assert_eq!(over.json["disponible_centimes"], 1_000 * EURO);
    assert_eq!(commit(small.clone(), "r2", body(600)).await.status, 201);
    let over = commit(small.clone(), "r3", body(401)).await;
    over.assert_problem(409, "enveloppe_insuffisante");
    assert_eq!(over.json["disponible_centimes"], 400 * EURO);

    // The département's ceiling.
    let capped = enveloppe(&app, 10_000, json!({})).await;
    let put = app
        .as_(admin())
        .put(
            &format!("/api/v1/enveloppes/{capped}/plafonds/93"),
            json!({"plafond_centimes": 500 * EURO}),
        )
        .await;
    assert_eq!(put.status, 201, "{}", put.text);
    let over = commit(capped.clone(), "r4", body(501)).await;
    over.assert_problem(409, "plafond_depasse");
    assert_eq!(over.json["disponible_centimes"], 500 * EURO);
    assert_eq!(over.json["departement"], "93");

    // Without an amount on an envelope without per-post amount.
    let no_amount = commit(
        capped.clone(),
        "r5",
        json!({"convention_id": convention, "objet": "Essai"}),
    )
    .await;
    no_amount.assert_problem(422, "validation");
    assert_eq!(no_amount.json["errors"][0]["pointer"], "/montant_centimes");

    // Dates: in the future, before the signature, outside the period.
    let dated = |date: &str| json!({"convention_id": convention, "montant_centimes": EURO, "objet": "Essai", "date_engagement": date});
    commit(small.clone(), "r6", dated("2021-06-02"))
        .await
        .assert_problem(422, "date_future");
    commit(small.clone(), "r7", dated("2021-02-07"))
        .await
        .assert_problem(422, "date_anterieure");
    let later = enveloppe(&app, 1_000, json!({"date_debut": "2021-05-01"})).await;
    let outside = commit(later, "r8", dated("2021-04-30")).await;
    outside.assert_problem(422, "hors_periode");
    assert_eq!(outside.json["errors"][0]["pointer"], "/date_engagement");

    // A departmental envelope of another département.
    let paris = enveloppe(&app, 1_000, json!({"perimetre_departement": "75"})).await;
    let elsewhere = commit(paris.clone(), "r9", body(1)).await;
    elsewhere.assert_problem(422, "hors_perimetre");
    assert_eq!(elsewhere.json["errors"][0]["pointer"], "/convention_id");
    let ceiling = app
        .as_(admin())
        .put(
            &format!("/api/v1/enveloppes/{paris}/plafonds/93"),
            json!({"plafond_centimes": 100}),
        )
        .await;
    ceiling.assert_problem(422, "hors_perimetre");

    // A convention that is not signed, or has ended.
    let draft = post(
        &app,
        "/api/v1/conventions",
        &prefecture_93(),
        json!({"departement": "93", "intitule": "Brouillon", "signataires": [count_structure(&db)], "postes_attribues": 5}),
    )
    .await;
    assert_eq!(draft.status, 201, "{}", draft.text);
    let unsigned = commit(
        small.clone(),
        "r10",
        json!({"convention_id": draft.json["id"], "montant_centimes": EURO, "objet": "Essai"}),
    )
    .await;
    unsigned.assert_problem(409, "convention_non_engageable");
    assert_eq!(unsigned.json["statut_convention"], "brouillon");

    // Who: a lecteur (403), a préfecture of another département (404: it does not see the
    // convention), an unknown envelope or convention (404).
    let lecteur = post_keyed(
        &app,
        &format!("/api/v1/enveloppes/{small}/engagements"),
        &token(Role::Lecteur, &[], None),
        "r11",
        body(1),
    )
    .await;
    lecteur.assert_problem(403, "interdit");
    let paris_prefecture = post_keyed(
        &app,
        &format!("/api/v1/enveloppes/{small}/engagements"),
        &token(Role::Prefecture, &["75"], None),
        "r12",
        body(1),
    )
    .await;
    assert_eq!(paris_prefecture.status, 404, "{}", paris_prefecture.text);
    let unknown = commit(
        "01936b2e-9a4c-7d41-8f3e-000000000000".to_owned(),
        "r13",
        body(1),
    )
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.text);

    // The same key with another body.
    commit(small.clone(), "r2", body(1))
        .await
        .assert_problem(422, "cle_idempotence_reutilisee");

    // Nothing refused left a trace.
    assert_eq!(sums(&db, &small), (600 * EURO, 0, 600 * EURO));
    assert_eq!(sums(&db, &capped), (0, 0, 0));
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM engagements"), 1);
}

/// The id of the first structure (a signatory of the test's convention).
fn count_structure(db: &TestDb) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let mut conn = db.conn();
    let found: diesel::QueryResult<Id> = cnfs_api::db_run!(&mut conn, |c| diesel::sql_query(
        "SELECT id FROM structures ORDER BY id LIMIT 1"
    )
    .get_result::<Id>(c));
    found.unwrap().id
}

/// Payments, their cancellation, annulments: the sums follow and the refusals hold.
async fn payments_and_annulments(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let convention = signed_convention(&app, 80).await;
    let id = enveloppe(&app, 10_000, json!({})).await;
    let committed = engager(
        &app,
        &id,
        "p1",
        json!({"convention_id": convention, "montant_centimes": 1_000 * EURO, "objet": "Essai", "date_engagement": "2021-03-01"}),
    )
    .await;
    assert_eq!(committed.status, 201);
    let engagement = committed.json["id"].as_str().unwrap().to_owned();
    let pay_uri = format!("/api/v1/engagements/{engagement}/versements");
    let pay = |euros: i64, date: &'static str| json!({"montant_centimes": euros * EURO, "date_versement": date, "reference": "MANDAT"});

    // Who pays: admins only.
    post(&app, &pay_uri, &prefecture_93(), pay(1, "2021-04-01"))
        .await
        .assert_problem(403, "interdit");
    // Dates and amounts.
    post(&app, &pay_uri, &admin(), pay(1, "2021-02-28"))
        .await
        .assert_problem(422, "date_anterieure");
    post(&app, &pay_uri, &admin(), pay(1, "2021-06-02"))
        .await
        .assert_problem(422, "date_future");
    let first = post(&app, &pay_uri, &admin(), pay(600, "2021-04-01")).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let excessive = post(&app, &pay_uri, &admin(), pay(401, "2021-04-02")).await;
    excessive.assert_problem(409, "versement_excessif");
    assert_eq!(excessive.json["disponible_centimes"], 400 * EURO);
    assert_eq!(sums(&db, &id), (1_000 * EURO, 600 * EURO, 1_000 * EURO));

    // Annulment: what was not paid is freed; the paid part stays engaged.
    let annul_uri = format!("/api/v1/engagements/{engagement}/annulation");
    post(
        &app,
        &annul_uri,
        &token(Role::Lecteur, &[], None),
        json!({"motif": "x"}),
    )
    .await
    .assert_problem(403, "interdit");
    let annulled = post(
        &app,
        &annul_uri,
        &prefecture_93(),
        json!({"motif": "Poste non pourvu."}),
    )
    .await;
    assert_eq!(annulled.status, 200, "{}", annulled.text);
    assert_eq!(annulled.json["statut"], "annule");
    assert_eq!(annulled.json["engage_centimes"], 600 * EURO);
    assert_eq!(annulled.json["reste_a_verser_centimes"], 0);
    assert_eq!(annulled.json["actions_possibles"], json!([]));
    assert_eq!(sums(&db, &id), (600 * EURO, 600 * EURO, 600 * EURO));
    let again = post(
        &app,
        &annul_uri,
        &prefecture_93(),
        json!({"motif": "Encore."}),
    )
    .await;
    again.assert_problem(409, "transition_invalide");
    post(&app, &pay_uri, &admin(), pay(1, "2021-04-02"))
        .await
        .assert_problem(409, "transition_invalide");

    // Cancelling a payment of an annulled commitment frees its amount too.
    let versement = first.json["id"].as_str().unwrap();
    let cancel_uri = format!("/api/v1/versements/{versement}/annulation");
    post(&app, &cancel_uri, &prefecture_93(), json!({"motif": "x"}))
        .await
        .assert_problem(403, "interdit");
    let cancelled = post(
        &app,
        &cancel_uri,
        &admin(),
        json!({"motif": "Erreur de mandat."}),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.json["statut"], "annule");
    assert_eq!(sums(&db, &id), (0, 0, 0));
    post(&app, &cancel_uri, &admin(), json!({"motif": "Encore."}))
        .await
        .assert_problem(409, "transition_invalide");
    let read = get(
        &app,
        &format!("/api/v1/versements/{versement}"),
        &prefecture_93(),
    )
    .await;
    assert_eq!(read.json["motif_annulation"], "Erreur de mandat.");
    let outside = get(
        &app,
        &format!("/api/v1/versements/{versement}"),
        &token(Role::Prefecture, &["75"], None),
    )
    .await;
    assert_eq!(outside.status, 404);
    let journal = count(
        &db,
        "SELECT COUNT(*) AS n FROM journal WHERE action = 'annulation'",
    );
    assert_eq!(
        journal, 2,
        "the annulment and the cancellation are journaled"
    );
}

/// Envelope changes and ceilings: never below what is engaged, never beyond the amount; the
/// period keeps covering the commitments.
async fn envelope_changes_and_ceilings(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let convention = signed_convention(&app, 80).await;
    let id = enveloppe(&app, 10_000, json!({})).await;
    let uri = format!("/api/v1/enveloppes/{id}");
    let committed = engager(
        &app,
        &id,
        "c1",
        json!({"convention_id": convention, "montant_centimes": 3_000 * EURO, "objet": "Essai", "date_engagement": "2021-03-01"}),
    )
    .await;
    assert_eq!(committed.status, 201);
    let patch = |body: Value, etag: Option<&'static str>| {
        let app = &app;
        let uri = uri.clone();
        async move {
            let call = app.as_(admin());
            let call = match etag {
                Some(etag) => call.if_match(etag),
                None => call,
            };
            call.patch(&uri, &body).await
        }
    };
    patch(json!({"libelle": "Nouveau"}), None)
        .await
        .assert_problem(428, "precondition_requise");
    patch(json!({"libelle": "Nouveau"}), Some("\"7\""))
        .await
        .assert_problem(412, "precondition_echouee");
    let low = patch(json!({"montant_centimes": 2_999 * EURO}), Some("\"1\"")).await;
    low.assert_problem(409, "montant_insuffisant");
    assert_eq!(low.json["minimum_centimes"], 3_000 * EURO);
    let period = patch(json!({"date_debut": "2021-03-02"}), Some("\"1\"")).await;
    period.assert_problem(409, "periode_incompatible");
    patch(json!({"nature": "materiel"}), Some("\"1\""))
        .await
        .assert_problem(422, "validation");
    let send_patch = app
        .as_(prefecture_93())
        .if_match("\"1\"")
        .patch(&uri, json!({"libelle": "x"}))
        .await;
    send_patch.assert_problem(403, "interdit");
    let changed = patch(
        json!({"montant_centimes": 5_000 * EURO, "libelle": "Réduite", "date_fin": "2024-06-30"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.header("etag"), "\"2\"");
    assert_eq!(changed.json["disponible_centimes"], 2_000 * EURO);
    assert_eq!(changed.json["date_fin"], "2024-06-30");

    // Ceilings: below what is engaged in the 93; beyond the amount with the others.
    let ceiling = |dep: &'static str, euros: i64| {
        let app = &app;
        let uri = format!("/api/v1/enveloppes/{id}/plafonds/{dep}");
        async move {
            app.as_(admin())
                .put(&uri, json!({"plafond_centimes": euros * EURO}))
                .await
        }
    };
    let under = ceiling("93", 2_999).await;
    under.assert_problem(409, "plafond_insuffisant");
    assert_eq!(under.json["engage_centimes"], 3_000 * EURO);
    assert_eq!(ceiling("75", 1_500).await.status, 201);
    let beyond = ceiling("93", 3_501).await;
    beyond.assert_problem(409, "plafonds_excedentaires");
    assert_eq!(beyond.json["disponible_centimes"], 3_500 * EURO);
    assert_eq!(ceiling("93", 3_500).await.status, 201);
    let low = patch(json!({"montant_centimes": 4_999 * EURO}), Some("\"2\"")).await;
    low.assert_problem(409, "montant_insuffisant");
    assert_eq!(low.json["plafonds_centimes"], 5_000 * EURO);
    app.as_(prefecture_93())
        .put(
            &format!("/api/v1/enveloppes/{id}/plafonds/93"),
            json!({"plafond_centimes": 1}),
        )
        .await
        .assert_problem(403, "interdit");
    let delete_uri = format!("/api/v1/enveloppes/{id}/plafonds/75");
    let deleted = app.as_(admin()).delete(&delete_uri).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let missing = app.as_(admin()).delete(&delete_uri).await;
    assert_eq!(missing.status, 404);
    let read = get(&app, &uri, &admin()).await;
    assert_eq!(
        read.json["plafonds"].as_array().unwrap().len(),
        1,
        "{}",
        read.text
    );
}

/// The convention's side: a withdrawal that would leave it overfunded is refused until a
/// commitment is annulled; its résiliation annuls its live commitments in the same transaction.
async fn convention_side(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let convention = signed_convention(&app, 80).await;
    let national = post(&app, "/api/v1/enveloppes", &admin(), plan_de_relance()).await;
    let national = national.json["id"].as_str().unwrap().to_owned();
    let first = engager(
        &app,
        &national,
        "s1",
        json!({"convention_id": convention, "montant_centimes": 1_900_000 * EURO, "objet": "Première tranche", "date_engagement": "2021-03-01"}),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.text);
    // The other signatory's 40 posts, all of them.
    let read = get(&app, &format!("/api/v1/conventions/{convention}"), &admin()).await;
    let montreuil = read.json["signataires"][1].clone();
    let second = engager(
        &app,
        &national,
        "s2",
        json!({"convention_id": convention, "beneficiaire_id": montreuil, "objet": "Seconde tranche"}),
    )
    .await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(second.json["montant_centimes"], 2_000_000 * EURO);
    let avenants = format!("/api/v1/conventions/{convention}/avenants");
    // 75 posts: 3,750,000 € for the convention (3,900,000 € engaged), 38 and 37 posts for
    // its signatories.
    let withdraw = json!({"type": "retrait", "nombre_postes": 5, "motif": "Moins de postes."});
    let refused = post(&app, &avenants, &prefecture_93(), withdraw.clone()).await;
    refused.assert_problem(409, "convention_surfinancee");
    assert_eq!(refused.json["excedent_centimes"], 150_000 * EURO);
    assert!(
        refused.json.get("beneficiaire_id").is_none(),
        "the convention's own limit"
    );
    let read = get(&app, &format!("/api/v1/conventions/{convention}"), &admin()).await;
    assert_eq!(read.json["postes_attribues"], 80, "nothing changed");
    let annulled = post(
        &app,
        &format!(
            "/api/v1/engagements/{}/annulation",
            second.json["id"].as_str().unwrap()
        ),
        &prefecture_93(),
        json!({"motif": "Réduction."}),
    )
    .await;
    assert_eq!(annulled.status, 200);
    // Seven posts withdrawn: 73, of which 37 for Aubervilliers, whose 1,900,000 € they no longer
    // justify (1,850,000 €): refused for that employer, though the convention's limit holds.
    let seven = json!({"type": "retrait", "nombre_postes": 7, "motif": "Moins de postes."});
    let refused = post(&app, &avenants, &prefecture_93(), seven).await;
    refused.assert_problem(409, "convention_surfinancee");
    assert_eq!(refused.json["excedent_centimes"], 50_000 * EURO);
    assert_eq!(refused.json["beneficiaire_id"], read.json["signataires"][0]);
    let accepted = post(&app, &avenants, &prefecture_93(), withdraw).await;
    assert_eq!(accepted.status, 201, "{}", accepted.text);

    // A payment, then the résiliation: the live commitment is annulled, its paid part stays.
    let engagement = first.json["id"].as_str().unwrap();
    let paid = post(
        &app,
        &format!("/api/v1/engagements/{engagement}/versements"),
        &admin(),
        json!({"montant_centimes": 500_000 * EURO, "date_versement": "2021-05-01", "reference": "MANDAT-1"}),
    )
    .await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let ended = post(
        &app,
        &format!("/api/v1/conventions/{convention}/resiliation"),
        &prefecture_93(),
        json!({"motif": "Projet abandonné.", "date_resiliation": "2021-05-15"}),
    )
    .await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    let read = get(&app, &format!("/api/v1/engagements/{engagement}"), &admin()).await;
    assert_eq!(read.json["statut"], "annule");
    assert_eq!(read.json["date_annulation"], "2021-05-15");
    assert_eq!(
        read.json["motif_annulation"],
        "Convention résiliée : Projet abandonné."
    );
    assert_eq!(
        sums(&db, &national),
        (500_000 * EURO, 500_000 * EURO, 500_000 * EURO)
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'engagement' AND action = 'annulation'"
        ),
        2
    );
    // An ended convention receives nothing more.
    let after = engager(
        &app,
        &national,
        "s3",
        json!({"convention_id": convention, "montant_centimes": EURO, "objet": "Après"}),
    )
    .await;
    after.assert_problem(409, "convention_non_engageable");
}

/// Reads and their scopes: a structure sees the money of the conventions it signs; a préfecture
/// of another département sees none of it; every role reads envelopes.
async fn reads_and_scopes(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let convention = signed_convention(&app, 80).await;
    let id = enveloppe(&app, 10_000, json!({})).await;
    let committed = engager(
        &app,
        &id,
        "v1",
        json!({"convention_id": convention, "montant_centimes": 100 * EURO, "objet": "Essai"}),
    )
    .await;
    let engagement = committed.json["id"].as_str().unwrap().to_owned();
    let signatory = count_structure(&db);
    let structure = token(Role::Structure, &[], Some(&signatory));
    let paris = token(Role::Prefecture, &["75"], None);
    for who in [
        &structure,
        &admin(),
        &prefecture_93(),
        &token(Role::Lecteur, &["93"], None),
    ] {
        let one = get(&app, &format!("/api/v1/engagements/{engagement}"), who).await;
        assert_eq!(one.status, 200, "{}", one.text);
        let list = get(&app, "/api/v1/engagements", who).await;
        assert_eq!(list.json["items"].as_array().unwrap().len(), 1);
    }
    assert_eq!(
        get(&app, &format!("/api/v1/engagements/{engagement}"), &paris)
            .await
            .status,
        404
    );
    assert_eq!(
        get(&app, "/api/v1/engagements", &paris).await.json["items"],
        json!([])
    );
    assert_eq!(
        get(
            &app,
            &format!("/api/v1/engagements/{engagement}/versements"),
            &paris
        )
        .await
        .status,
        404
    );
    let envelope = get(&app, &format!("/api/v1/enveloppes/{id}"), &paris).await;
    assert_eq!(envelope.status, 200);
    let anonymous = app.anonymous().get("/api/v1/enveloppes").await;
    anonymous.assert_problem(401, "jeton_absent");
    let bad = get(&app, "/api/v1/engagements?statut=perdu", &admin()).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.faulty_parameters(), ["statut"]);
    // Pagination: two pages of one.
    engager(
        &app,
        &id,
        "v2",
        json!({"convention_id": convention, "montant_centimes": 100 * EURO, "objet": "Essai 2"}),
    )
    .await;
    let page = get(
        &app,
        &format!("/api/v1/engagements?enveloppe_id={id}&limit=1"),
        &admin(),
    )
    .await;
    assert_eq!(page.json["items"].as_array().unwrap().len(), 1);
    let cursor = page.json["next_cursor"].as_str().unwrap();
    let next = get(
        &app,
        &format!("/api/v1/engagements?enveloppe_id={id}&limit=1&cursor={cursor}"),
        &admin(),
    )
    .await;
    assert_eq!(next.json["items"][0]["id"], engagement);
    assert_eq!(next.json["next_cursor"], Value::Null);
}

on_both_backends!(
    the_seine_saint_denis_story,
    bad_amounts,
    commitment_refusals,
    payments_and_annulments,
    envelope_changes_and_ceilings,
    convention_side,
    reads_and_scopes,
    simulations_write_nothing,
);

/// What a simulation leaves behind: the rows of money, the journal and the idempotency records.
fn traces(db: &TestDb) -> [i64; 4] {
    ["engagements", "versements", "journal", "idempotence"]
        .map(|table| count(db, &format!("SELECT COUNT(*) AS n FROM {table}")))
}

/// `?simulation=true` runs every rule and writes nothing: no row, no journal entry, no
/// idempotency record (the key stays free for the real request); it answers what the movement
/// would do and the balances it would leave, or the refusal the real request gets.
async fn simulations_write_nothing(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let convention = signed_convention(&app, 80).await;
    let national = post(&app, "/api/v1/enveloppes", &admin(), plan_de_relance()).await;
    let national = national.json["id"].as_str().unwrap().to_owned();
    let put = app
        .as_(admin())
        .put(
            &format!("/api/v1/enveloppes/{national}/plafonds/93"),
            &json!({"plafond_centimes": 4_000_000 * EURO}),
        )
        .await;
    assert_eq!(put.status, 201, "{}", put.text);
    let before = traces(&db);
    let uri = format!("/api/v1/enveloppes/{national}/engagements?simulation=true");
    // To the first signatory: its 40 posts of 80.
    let body = common::scenario::avec_beneficiaire(
        &app,
        json!({"convention_id": convention, "objet": "40 postes", "date_engagement": "2021-03-01"}),
    )
    .await;
    let beneficiaire = body["beneficiaire_id"].clone();

    let simulated = post_keyed(&app, &uri, &prefecture_93(), "sim-1", body.clone()).await;
    assert_eq!(simulated.status, 200, "{}", simulated.text);
    assert_eq!(simulated.json["simulation"], true);
    assert_eq!(
        simulated.json["engagement"]["montant_centimes"],
        2_000_000 * EURO
    );
    assert_eq!(
        simulated.json["soldes"],
        json!({
            "enveloppe": {"montant_centimes": 200_000_000 * EURO, "engage_centimes": 2_000_000 * EURO,
                          "verse_centimes": 0, "disponible_centimes": 198_000_000 * EURO},
            "departement": {"departement": "93", "plafond_centimes": 4_000_000 * EURO,
                            "engage_centimes": 2_000_000 * EURO, "verse_centimes": 0,
                            "disponible_centimes": 2_000_000 * EURO},
            "convention": {"postes": 80, "maximum_centimes": 4_000_000 * EURO,
                           "engage_centimes": 2_000_000 * EURO, "disponible_centimes": 2_000_000 * EURO},
            "beneficiaire": {"beneficiaire_id": beneficiaire, "postes": 40,
                             "maximum_centimes": 2_000_000 * EURO,
                             "engage_centimes": 2_000_000 * EURO, "disponible_centimes": 0},
        })
    );
    assert_eq!(traces(&db), before, "the simulation wrote nothing");
    assert_eq!(sums(&db, &national), (0, 0, 0));

    // The same refusals as the real request, and nothing written either.
    let mut beyond = body.clone();
    beyond["montant_centimes"] = json!(2_000_000 * EURO + 1);
    let refused = post_keyed(&app, &uri, &prefecture_93(), "sim-2", beyond).await;
    refused.assert_problem(409, "beneficiaire_entierement_finance");
    app.as_(prefecture_93())
        .post(&uri, body.clone())
        .await
        .assert_problem(400, "parametre_invalide");
    let elsewhere = token(cnfs_api::auth::Role::Prefecture, &["75"], None);
    post_keyed(&app, &uri, &elsewhere, "sim-3", body.clone())
        .await
        .assert_problem(404, "ressource_introuvable");
    assert_eq!(traces(&db), before);

    // The key of the simulation is free: the real request under it takes the commitment.
    let real = engager(&app, &national, "sim-1", body).await;
    assert_eq!(real.status, 201, "{}", real.text);
    let engagement = real.json["id"].as_str().unwrap().to_owned();
    let after_real = traces(&db);

    let payments = format!("/api/v1/engagements/{engagement}/versements?simulation=true");
    let paid = post(
        &app,
        &payments,
        &admin(),
        json!({"montant_centimes": 1_000_000 * EURO, "date_versement": "2021-04-01", "reference": "MANDAT-1"}),
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    assert_eq!(paid.json["simulation"], true);
    assert_eq!(paid.json["versement"]["montant_centimes"], 1_000_000 * EURO);
    assert_eq!(paid.json["engagement"]["verse_centimes"], 1_000_000 * EURO);
    assert_eq!(
        paid.json["engagement"]["reste_a_verser_centimes"],
        1_000_000 * EURO
    );
    assert_eq!(
        paid.json["soldes"]["enveloppe"]["verse_centimes"],
        1_000_000 * EURO
    );
    let too_much = post(
        &app,
        &payments,
        &admin(),
        json!({"montant_centimes": 5_000_000 * EURO, "date_versement": "2021-04-01", "reference": "MANDAT-2"}),
    )
    .await;
    too_much.assert_problem(409, "versement_excessif");
    assert_eq!(
        traces(&db),
        after_real,
        "the payment simulations wrote nothing"
    );
    assert_eq!(
        sums(&db, &national),
        (2_000_000 * EURO, 0, 2_000_000 * EURO)
    );
    let read = get(&app, &format!("/api/v1/engagements/{engagement}"), &admin()).await;
    assert_eq!(read.json["verse_centimes"], 0);
}

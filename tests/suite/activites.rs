//! Activities through HTTP on both backends: declaring, reading, listing and deleting them, every
//! refusal, access from outside the scope, idempotent creation, and the per-day aggregates kept
//! equal to a recomputation from the rows (after a random workload with deletions).

use crate::common;
use crate::common::scenario::rupture;

use cnfs_api::auth::Role;
use cnfs_api::db_run;
use common::scenario::{
    Declarant, THEMES, admin, advisor_en_poste, app_on, convention, created_id, get, lieu, post,
    prefecture_93, random_activities, recrue, structure, structures,
};
use common::{App, TestApp, TestDb, count, token};
use serde_json::{Value, json};

/// Aubervilliers and Montreuil with a convention in execution (3 + 3 posts), one lieu each, and
/// one advisor in post at Aubervilliers' lieu.
struct Setting {
    ids: Vec<String>,
    convention: String,
    lieux: Vec<String>,
    advisor: String,
}

async fn setting(app: &TestApp<impl App>) -> Setting {
    let ids = structures(app).await;
    let convention = convention(app, &ids, (3, 3), true).await;
    let lieux = vec![
        lieu(app, &ids[0], "Médiathèque André Breton", "93001", "93300").await,
        lieu(app, &ids[1], "Maison de quartier", "93048", "93100").await,
    ];
    let advisor = advisor_en_poste(app, &convention, &ids[0], &lieux[0], 0).await;
    Setting {
        ids,
        convention,
        lieux,
        advisor,
    }
}

fn atelier(s: &Setting, date: &str, participants: i64, themes: &[&str]) -> Value {
    json!({
        "conseiller_id": s.advisor, "lieu_id": s.lieux[0], "date": date,
        "type": "atelier_collectif", "duree_minutes": 120, "nb_participants": participants,
        "thematiques": themes
    })
}

/// A day of the aggregates, or of their recomputation from the rows.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, diesel::QueryableByName)]
struct Day {
    #[diesel(sql_type = diesel::sql_types::Text)]
    departement: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    jour: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    nombre: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    participants: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    minutes: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    themes: String,
}

fn days(db: &TestDb, sql: &str) -> Vec<Day> {
    use diesel::RunQueryDsl;
    let mut conn = db.conn();
    let loaded: diesel::QueryResult<Vec<Day>> =
        db_run!(&mut conn, |c| diesel::sql_query(sql).load::<Day>(c));
    let mut loaded = loaded.expect("days");
    loaded.sort();
    loaded
}

/// Every non-empty day of `activites_jour`, and month of `activites_mois`, equals a recomputation
/// from the activities not deleted, theme by theme.
fn assert_aggregates_match_rows(db: &TestDb) {
    let concat = |parts: Vec<String>| -> String {
        if db.is_postgres() {
            format!("CONCAT_WS(',', {})", parts.join(", "))
        } else {
            parts.join(" || ',' || ")
        }
    };
    let places = cnfs_api::domain::activite::TypeLieu::TEXTS;
    let stored = concat(
        THEMES
            .iter()
            .map(|t| format!("CAST(t_{t} AS TEXT)"))
            .chain(places.iter().map(|l| format!("CAST(l_{l} AS TEXT)")))
            .collect(),
    );
    let recomputed = concat(
        THEMES
            .iter()
            .map(|t| {
                format!(
                    "CAST(SUM(CASE WHEN thematiques LIKE '%\"{t}\"%' THEN 1 ELSE 0 END) AS TEXT)"
                )
            })
            .chain(places.iter().map(|l| {
                format!("CAST(SUM(CASE WHEN type_lieu = '{l}' THEN 1 ELSE 0 END) AS TEXT)")
            }))
            .collect(),
    );
    let aggregates = days(
        db,
        &format!(
            "SELECT departement, jour, nombre, participants, minutes, {stored} AS themes \
             FROM activites_jour WHERE nombre > 0"
        ),
    );
    let rows = days(
        db,
        &format!(
            "SELECT departement, date AS jour, CAST(COUNT(*) AS BIGINT) AS nombre, \
             CAST(SUM(nb_participants) AS BIGINT) AS participants, \
             CAST(SUM(duree_minutes) AS BIGINT) AS minutes, {recomputed} AS themes \
             FROM activites WHERE supprime_le IS NULL GROUP BY departement, date"
        ),
    );
    assert_eq!(aggregates, rows);
    // The same per month.
    let stored_months = days(
        db,
        &format!(
            "SELECT departement, mois AS jour, nombre, participants, minutes, {stored} AS themes \
             FROM activites_mois WHERE nombre > 0"
        ),
    );
    let month_rows = days(
        db,
        &format!(
            "SELECT departement, substr(date, 1, 7) AS jour, CAST(COUNT(*) AS BIGINT) AS nombre, \
             CAST(SUM(nb_participants) AS BIGINT) AS participants, \
             CAST(SUM(duree_minutes) AS BIGINT) AS minutes, {recomputed} AS themes \
             FROM activites WHERE supprime_le IS NULL GROUP BY departement, substr(date, 1, 7)"
        ),
    );
    assert_eq!(stored_months, month_rows);
    assert!(!month_rows.is_empty() || rows.is_empty());
    // A day emptied by deletions holds zeros only.
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM activites_jour WHERE nombre = 0 AND (participants <> 0 OR minutes <> 0)"
        ),
        0
    );
}

async fn declare_read_list_delete(db: TestDb) {
    let app = app_on(&db).await;
    let s = setting(&app).await;
    let employer = structure(&s.ids[0]);

    let created = post(
        &app,
        "/api/v1/activites",
        &employer,
        atelier(&s, "2021-06-14", 8, &["trouver_un_emploi", "courriels"]),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        format!("/api/v1/activites/{id}")
    );
    assert_eq!(created.json["conseiller_id"], s.advisor.as_str());
    assert_eq!(created.json["structure_id"], s.ids[0].as_str());
    assert_eq!(created.json["departement"], "93");
    assert_eq!(created.json["type"], "atelier_collectif");
    assert_eq!(created.json["nb_participants"], 8);
    assert_eq!(
        created.json["thematiques"],
        json!(["trouver_un_emploi", "courriels"])
    );
    let individual = post(
        &app,
        "/api/v1/activites",
        &admin(),
        json!({
            "conseiller_id": s.advisor, "lieu_id": s.lieux[0], "date": "2021-06-14",
            "type": "accompagnement_individuel", "duree_minutes": 45.0, "nb_participants": 1,
            "thematiques": ["sante"]
        }),
    )
    .await;
    let individual = created_id(&individual);

    // Read by the employer, the préfecture of the 93 and an admin.
    for who in [employer.clone(), prefecture_93(), admin()] {
        let read = get(&app, &format!("/api/v1/activites/{id}"), &who).await;
        assert_eq!(read.status, 200, "{}", read.text);
        assert_eq!(read.json, created.json);
    }
    let listed = get(&app, "/api/v1/activites", &employer).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let listed_ids: Vec<&str> = listed.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed_ids, [individual.as_str(), id.as_str()]);
    let filtered = get(
        &app,
        "/api/v1/activites?type=accompagnement_individuel&du=2021-06-14&au=2021-06-14",
        &prefecture_93(),
    )
    .await;
    assert_eq!(filtered.json["items"].as_array().unwrap().len(), 1);
    let none = get(&app, "/api/v1/activites?du=2021-06-15", &admin()).await;
    assert_eq!(none.json["items"], json!([]));

    // The day's aggregates.
    assert_eq!(
        count(
            &db,
            "SELECT nombre AS n FROM activites_jour WHERE departement = '93' AND jour = '2021-06-14'"
        ),
        2
    );
    assert_eq!(
        count(
            &db,
            "SELECT participants AS n FROM activites_jour WHERE jour = '2021-06-14'"
        ),
        9
    );
    assert_eq!(
        count(
            &db,
            "SELECT minutes AS n FROM activites_jour WHERE jour = '2021-06-14'"
        ),
        165
    );
    assert_aggregates_match_rows(&db);

    // Deleted: gone from reads and lists, out of the aggregates, in the journal.
    let deleted = app
        .as_(&employer)
        .delete(&format!("/api/v1/activites/{id}"))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(deleted.text, "");
    get(&app, &format!("/api/v1/activites/{id}"), &admin())
        .await
        .assert_problem(404, "ressource_introuvable");
    app.as_(&employer)
        .delete(&format!("/api/v1/activites/{id}"))
        .await
        .assert_problem(404, "ressource_introuvable");
    let listed = get(&app, "/api/v1/activites", &admin()).await;
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        count(
            &db,
            "SELECT participants AS n FROM activites_jour WHERE jour = '2021-06-14'"
        ),
        1
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM activites WHERE id = '{id}' AND supprime_le IS NOT NULL"
            )
        ),
        1,
        "the row stays, marked"
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'activite' AND ressource_id = '{id}' AND action IN ('creation', 'suppression')"
            )
        ),
        2
    );
    assert_aggregates_match_rows(&db);
}

async fn an_activity_needs_a_contract_in_force_not_a_status(db: TestDb) {
    let app = app_on(&db).await;
    let s = setting(&app).await;
    let employer = structure(&s.ids[0]);
    let create = |body: Value, who: String| {
        let app = &app;
        async move { post(app, "/api/v1/activites", &who, body).await }
    };

    // An advisor only recruited (on 2021-04-01), with no lieu yet.
    let recruited = created_id(
        &post(
            &app,
            "/api/v1/conseillers",
            &employer,
            recrue(&s.convention, &s.ids[0], 1),
        )
        .await,
    );
    let mut body = atelier(&s, "2021-06-14", 3, &["sante"]);
    body["conseiller_id"] = json!(recruited);
    // At a lieu: only one of its lieux (it has none yet).
    let refused = create(body.clone(), employer.clone()).await;
    refused.assert_problem(422, "lieu_non_eligible");
    assert_eq!(refused.json["errors"][0]["pointer"], "/lieu_id");
    // Before its contract: no contract in force.
    let mut remote = body.clone();
    remote["type_lieu"] = json!("a_distance");
    remote.as_object_mut().unwrap().remove("lieu_id");
    remote["date"] = json!("2021-03-31");
    let refused = create(remote.clone(), employer.clone()).await;
    refused.assert_problem(409, "sans_contrat");
    assert_eq!(refused.json["date"], "2021-03-31");
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM activites"), 0);
    // Under contract, remotely: declared, whatever its path (no training, no post taken).
    remote["date"] = json!("2021-04-01");
    let declared = create(remote, employer.clone()).await;
    assert_eq!(declared.status, 201, "{}", declared.text);
    assert_eq!(declared.json["type_lieu"], "a_distance");
    assert_eq!(declared.json["lieu_id"], Value::Null);
    assert_eq!(declared.json["code_insee"], Value::Null);
    assert_eq!(declared.json["departement"], "93");

    // After its exit on 2021-06-30, no contract in force any more.
    let left = rupture(&app, &recruited, &employer, "2021-06-30", "demission").await;
    assert_eq!(left.status, 200, "{}", left.text);
    let mut after = body.clone();
    after["type_lieu"] = json!("domicile");
    after.as_object_mut().unwrap().remove("lieu_id");
    after["code_insee"] = json!("93066");
    after["date"] = json!("2021-07-01");
    create(after.clone(), employer.clone())
        .await
        .assert_problem(409, "sans_contrat");
    after["date"] = json!("2021-06-30");
    let last_day = create(after, employer.clone()).await;
    assert_eq!(
        last_day.status, 201,
        "its last day is under contract: {}",
        last_day.text
    );
    assert_eq!(last_day.json["type_lieu"], "domicile");
    assert_eq!(last_day.json["code_insee"], "93066");

    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM activites"), 2);
    assert_aggregates_match_rows(&db);
}

async fn where_an_activity_happens(db: TestDb) {
    let app = app_on(&db).await;
    let s = setting(&app).await;
    let employer = structure(&s.ids[0]);
    let create = |body: Value| {
        let app = &app;
        let who = employer.clone();
        async move { post(app, "/api/v1/activites", &who, body).await }
    };
    let at = |type_lieu: &str, lieu: Option<&str>, commune: Option<&str>| {
        let mut body = atelier(&s, "2021-06-14", 3, &["sante"]);
        body["type_lieu"] = json!(type_lieu);
        let fields = body.as_object_mut().unwrap();
        fields.remove("lieu_id");
        if let Some(lieu) = lieu {
            fields.insert("lieu_id".into(), json!(lieu));
        }
        if let Some(commune) = commune {
            fields.insert("code_insee".into(), json!(commune));
        }
        body
    };
    let lieu = s.lieux[0].as_str();
    // What locates each kind, and nothing else.
    for (body, pointer) in [
        (at("lieu_activite", None, None), "/lieu_id"),
        (
            at("lieu_activite", Some(lieu), Some("93066")),
            "/code_insee",
        ),
        (at("domicile", None, None), "/code_insee"),
        (at("autre", Some(lieu), Some("93066")), "/lieu_id"),
        (at("a_distance", None, Some("93066")), "/code_insee"),
        (at("a_distance", Some(lieu), None), "/lieu_id"),
    ] {
        let refused = create(body).await;
        refused.assert_problem(422, "validation");
        assert_eq!(refused.json["errors"][0]["pointer"], pointer);
    }
    let unknown = create(at("autre", None, Some("99999"))).await;
    assert!(
        unknown.status == 400 || unknown.status == 422,
        "{}",
        unknown.text
    );
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM activites"), 0);
    // Each kind declared; an itinerant workshop in another département still counts in the
    // employer's.
    for body in [
        at("lieu_activite", Some(lieu), None),
        at("domicile", None, Some("93066")),
        at("a_distance", None, None),
        at("autre", None, Some("75056")),
    ] {
        let declared = create(body).await;
        assert_eq!(declared.status, 201, "{}", declared.text);
        assert_eq!(declared.json["departement"], "93");
    }
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM activites WHERE type_lieu = 'autre' AND code_insee = '75056' AND lieu_id IS NULL"
        ),
        1
    );
    // Without `type_lieu`, an activity is at a lieu, as before.
    let plain = create(atelier(&s, "2021-06-15", 2, &["budget"])).await;
    assert_eq!(plain.status, 201, "{}", plain.text);
    assert_eq!(plain.json["type_lieu"], "lieu_activite");
    assert_aggregates_match_rows(&db);
    // The statistics count them by place, at every level, in the employer's département.
    for uri in [
        "/api/v1/statistiques/departements/93",
        "/api/v1/statistiques/regions/11",
        "/api/v1/statistiques",
    ] {
        let stats = get(&app, uri, &admin()).await;
        assert_eq!(stats.status, 200, "{uri}: {}", stats.text);
        assert_eq!(
            stats.json["activites"]["par_type_lieu"],
            json!({"lieu_activite": 2, "domicile": 1, "a_distance": 1, "autre": 1}),
            "{uri}"
        );
    }
    let month = get(
        &app,
        "/api/v1/statistiques/departements/93?du=2021-06-15&au=2021-06-15",
        &admin(),
    )
    .await;
    assert_eq!(
        month.json["activites"]["par_type_lieu"],
        json!({"lieu_activite": 1, "domicile": 0, "a_distance": 0, "autre": 0}),
        "a day read from the per-day sums"
    );
}

async fn a_lieu_of_another_structure_is_refused(db: TestDb) {
    let app = app_on(&db).await;
    let s = setting(&app).await;
    let employer = structure(&s.ids[0]);
    let create = |body: Value, who: String| {
        let app = &app;
        async move { post(app, "/api/v1/activites", &who, body).await }
    };

    // A lieu of another structure.
    let mut body = atelier(&s, "2021-06-14", 3, &["sante"]);
    body["lieu_id"] = json!(s.lieux[1]);
    create(body, employer.clone())
        .await
        .assert_problem(422, "lieu_non_eligible");

    // Nothing refused was written.
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM activites"), 0);
    assert_aggregates_match_rows(&db);
}

async fn a_date_in_the_future_or_before_the_contract_is_refused(db: TestDb) {
    let app = app_on(&db).await;
    let s = setting(&app).await;
    let employer = structure(&s.ids[0]);
    let create = |body: Value, who: String| {
        let app = &app;
        async move { post(app, "/api/v1/activites", &who, body).await }
    };

    // Dates: in the future, before the contract (recruited on 2021-04-01).
    let future = create(atelier(&s, "2021-09-02", 3, &["sante"]), employer.clone()).await;
    future.assert_problem(422, "date_future");
    assert_eq!(future.json["errors"][0]["pointer"], "/date");
    create(atelier(&s, "2021-03-31", 3, &["sante"]), employer.clone())
        .await
        .assert_problem(409, "sans_contrat");
    assert_eq!(
        create(atelier(&s, "2021-04-01", 3, &["sante"]), employer.clone())
            .await
            .status,
        201,
        "the contract's first day is fine (the post need not be taken)"
    );

    // Nothing refused was written: only the one accepted on the contract's first day.
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM activites"), 1);
    assert_aggregates_match_rows(&db);
}

async fn the_body_is_checked_field_by_field(db: TestDb) {
    let app = app_on(&db).await;
    let s = setting(&app).await;
    let employer = structure(&s.ids[0]);
    let create = |body: Value, who: String| {
        let app = &app;
        async move { post(app, "/api/v1/activites", &who, body).await }
    };

    // Body rules.
    let mut individual = atelier(&s, "2021-06-14", 2, &["sante"]);
    individual["type"] = json!("accompagnement_individuel");
    let refused = create(individual, employer.clone()).await;
    refused.assert_problem(422, "validation");
    assert_eq!(refused.json["errors"][0]["pointer"], "/nb_participants");
    for (field, value, pointer) in [
        ("duree_minutes", json!(0), "/duree_minutes"),
        ("duree_minutes", json!(601), "/duree_minutes"),
        ("duree_minutes", json!(1.5), "/duree_minutes"),
        ("nb_participants", json!(101), "/nb_participants"),
        ("nb_participants", json!(0), "/nb_participants"),
        ("thematiques", json!([]), "/thematiques"),
        (
            "thematiques",
            json!(["sante", "budget", "sante"]),
            "/thematiques/2",
        ),
        ("thematiques", json!(["astrologie"]), "/thematiques/0"),
        ("type", json!("conference"), "/type"),
        ("date", json!("2021-13-01"), "/date"),
    ] {
        let mut body = atelier(&s, "2021-06-14", 3, &["sante"]);
        body[field] = value.clone();
        let refused = create(body, employer.clone()).await;
        refused.assert_problem(422, "validation");
        assert_eq!(
            refused.json["errors"][0]["pointer"], pointer,
            "{field} = {value}: {}",
            refused.text
        );
    }
    let mut eleven = atelier(&s, "2021-06-14", 3, &[]);
    eleven["thematiques"] = json!(THEMES[..11]);
    create(eleven, employer.clone())
        .await
        .assert_problem(422, "validation");
    let mut unknown_field = atelier(&s, "2021-06-14", 3, &["sante"]);
    unknown_field["beneficiaire"] = json!("Jean Dupont");
    assert_eq!(create(unknown_field, employer.clone()).await.status, 422);

    // Nothing refused was written.
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM activites"), 0);
    assert_aggregates_match_rows(&db);
}

async fn who_may_not_declare(db: TestDb) {
    let app = app_on(&db).await;
    let s = setting(&app).await;
    let create = |body: Value, who: String| {
        let app = &app;
        async move { post(app, "/api/v1/activites", &who, body).await }
    };

    // Who: the préfecture and a lecteur may not declare; another structure does not see the
    // advisor; an unknown advisor is not found; no token is a 401.
    let body = atelier(&s, "2021-06-14", 3, &["sante"]);
    create(body.clone(), prefecture_93())
        .await
        .assert_problem(403, "interdit");
    create(body.clone(), token(Role::Lecteur, &[], None))
        .await
        .assert_problem(403, "interdit");
    create(body.clone(), structure(&s.ids[1]))
        .await
        .assert_problem(404, "ressource_introuvable");
    let mut unknown = body.clone();
    unknown["conseiller_id"] = json!("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f00");
    create(unknown, admin())
        .await
        .assert_problem(404, "ressource_introuvable");
    let anonymous = app.anonymous().post("/api/v1/activites", &body).await;
    assert_eq!(anonymous.status, 401);

    // Nothing refused was written.
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM activites"), 0);
    assert_aggregates_match_rows(&db);
}

async fn access_from_outside_the_scope(db: TestDb) {
    let app = app_on(&db).await;
    let s = setting(&app).await;
    let employer = structure(&s.ids[0]);
    let id = created_id(
        &post(
            &app,
            "/api/v1/activites",
            &employer,
            atelier(&s, "2021-06-14", 5, &["budget"]),
        )
        .await,
    );
    let uri = format!("/api/v1/activites/{id}");
    let other_structure = structure(&s.ids[1]);
    let prefecture_75 = token(Role::Prefecture, &["75"], None);
    for who in [other_structure.clone(), prefecture_75.clone()] {
        get(&app, &uri, &who)
            .await
            .assert_problem(404, "ressource_introuvable");
        app.as_(&who)
            .delete(&uri)
            .await
            .assert_problem(404, "ressource_introuvable");
        let listed = get(&app, "/api/v1/activites", &who).await;
        assert_eq!(listed.status, 200);
        assert_eq!(listed.json["items"], json!([]));
    }
    // A lecteur uses the statistics: no activity list or read.
    let lecteur = token(Role::Lecteur, &[], None);
    get(&app, "/api/v1/activites", &lecteur)
        .await
        .assert_problem(403, "interdit");
    get(&app, &uri, &lecteur)
        .await
        .assert_problem(403, "interdit");
    // The préfecture reads but does not delete.
    app.as_(prefecture_93())
        .delete(&uri)
        .await
        .assert_problem(403, "interdit");
    let anonymous = app.anonymous().get(&uri).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM activites WHERE supprime_le IS NULL"
        ),
        1,
        "nothing deleted from outside"
    );
}

async fn idempotent_creation(db: TestDb) {
    let app = app_on(&db).await;
    let s = setting(&app).await;
    let employer = structure(&s.ids[0]);
    let body = atelier(&s, "2021-06-14", 5, &["budget"]);
    let first = app
        .as_(&employer)
        .idempotency_key("atelier-2021-06-14")
        .post("/api/v1/activites", &body)
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = app
        .as_(&employer)
        .idempotency_key("atelier-2021-06-14")
        .post("/api/v1/activites", &body)
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.json, first.json);
    let mut other = body.clone();
    other["nb_participants"] = json!(6);
    app.as_(&employer)
        .idempotency_key("atelier-2021-06-14")
        .post("/api/v1/activites", &other)
        .await
        .assert_problem(422, "cle_idempotence_reutilisee");
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM activites"), 1);
    assert_eq!(
        count(&db, "SELECT participants AS n FROM activites_jour"),
        5
    );
}

/// A pseudo-random workload (fixed seed): activities of two advisors over a few days, some
/// deleted, some concurrent; the aggregates equal the recomputation from the rows afterwards.
async fn aggregates_follow_a_random_workload(db: TestDb) {
    let app = app_on(&db).await;
    let s = setting(&app).await;
    let second = advisor_en_poste(&app, &s.convention, &s.ids[1], &s.lieux[1], 1).await;
    let declarants = [
        Declarant {
            conseiller: s.advisor.clone(),
            lieu: s.lieux[0].clone(),
            structure: s.ids[0].clone(),
        },
        Declarant {
            conseiller: second,
            lieu: s.lieux[1].clone(),
            structure: s.ids[1].clone(),
        },
    ];
    let first_day = "2021-06-10".parse().unwrap();
    let live = random_activities(&app, &declarants, 12, first_day, 4, 0x2021_0914).await;
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM activites WHERE supprime_le IS NULL"
        ),
        live.len() as i64
    );
    assert_aggregates_match_rows(&db);
}

on_both_backends!(
    declare_read_list_delete,
    an_activity_needs_a_contract_in_force_not_a_status,
    where_an_activity_happens,
    a_lieu_of_another_structure_is_refused,
    a_date_in_the_future_or_before_the_contract_is_refused,
    the_body_is_checked_field_by_field,
    who_may_not_declare,
    access_from_outside_the_scope,
    idempotent_creation,
    aggregates_follow_a_random_workload,
);

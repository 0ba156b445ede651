//! Coordination (`PUT` / `DELETE /api/v1/conseillers/{id}/coordinateur`,
//! `GET /api/v1/conseillers?coordinateur_id=`): an advisor followed by a person who holds a
//! coordinator's contract in force in its département; each refusal with its status, its code
//! and the state left; access from outside the scope.

use crate::common;

use cnfs_api::auth::Role;
use common::scenario::{
    TODAY, admin, app_on, app_on_day, created_id, get, post, prefecture_93, recrue, structure,
    structures,
};
use common::{TestDb, count, siret_for, token};
use serde_json::{Value, json};

type App<'a, S> = &'a common::TestApp<S>;

/// A validated convention of `departement` (by an admin) signed by `hosts`, each hosting
/// `postes` posts of which one is a coordinator's; returns its id.
async fn convention_with_coordinators(
    app: App<'_, impl common::App>,
    departement: &str,
    hosts: &[&str],
    postes: i64,
) -> String {
    let created = post(
        app,
        "/api/v1/conventions",
        &admin(),
        json!({"departement": departement, "intitule": format!("CnFS {departement}"), "signataires": hosts, "postes_attribues": postes * hosts.len() as i64}),
    )
    .await;
    let id = created_id(&created);
    let repartition: Vec<Value> = hosts
        .iter()
        .map(|h| json!({"structure_id": h, "postes": postes, "postes_coordinateur": 1}))
        .collect();
    for (action, body) in [
        ("signature", json!({"date_signature": "2021-02-08"})),
        (
            "projet-accueil",
            json!({"repartition": repartition, "date_depot": "2021-03-01"}),
        ),
        ("validation", json!({"date_validation": "2021-03-15"})),
    ] {
        let done = post(
            app,
            &format!("/api/v1/conventions/{id}/{action}"),
            &admin(),
            body,
        )
        .await;
        assert_eq!(done.status, 200, "{action}: {}", done.text);
    }
    id
}

/// Recruits advisor `n` at `host` on `convention` (from 2021-04-01); returns its id.
async fn advisor(app: App<'_, impl common::App>, convention: &str, host: &str, n: usize) -> String {
    created_id(
        &post(
            app,
            "/api/v1/conseillers",
            &admin(),
            recrue(convention, host, n),
        )
        .await,
    )
}

/// The id of the only contract of `person`.
async fn only_contract(app: App<'_, impl common::App>, person: &str) -> String {
    let listed = get(
        app,
        &format!("/api/v1/contrats?conseiller_id={person}"),
        &admin(),
    )
    .await;
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 1);
    listed.json["items"][0]["id"].as_str().unwrap().to_owned()
}

/// Breaks the contract of `person` on `date` (its last day).
async fn break_contract(app: App<'_, impl common::App>, person: &str, date: &str) {
    let contrat = only_contract(app, person).await;
    let broken = post(
        app,
        &format!("/api/v1/contrats/{contrat}/rupture"),
        &admin(),
        json!({"date": date, "motif": "demission"}),
    )
    .await;
    assert_eq!(broken.status, 200, "{}", broken.text);
}

/// A coordinator: person `n`, first recruited as an advisor at `host`, whose contract ends on
/// 2021-06-30, then under a `cdi` on the host's coordinator post from 2021-07-01; returns its id.
async fn coordinator(
    app: App<'_, impl common::App>,
    convention: &str,
    host: &str,
    n: usize,
) -> String {
    let person = advisor(app, convention, host, n).await;
    break_contract(app, &person, "2021-06-30").await;
    let vacant = get(
        app,
        &format!("/api/v1/postes?structure_id={host}&etat=vacant&typologie=coordinateur"),
        &admin(),
    )
    .await;
    let poste = vacant.json["items"][0]["id"].as_str().unwrap();
    let created = post(
        app,
        "/api/v1/contrats",
        &admin(),
        json!({"conseiller_id": person, "poste_id": poste, "type": "cdi", "date_debut": "2021-07-01", "typologie": "coordinateur"}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    person
}

/// The story: in the 93, Aubervilliers employs advisors A1 and A2 and the coordinator C2,
/// Montreuil employs the advisor A3 and the coordinator C; in the 75, a structure employs the
/// coordinator C75.
struct Story {
    /// Aubervilliers, Montreuil, Bobigny (93).
    hosts: Vec<String>,
    a1: String,
    a2: String,
    a3: String,
    c: String,
    c2: String,
    c75: String,
}

async fn story(app: App<'_, impl common::App>) -> Story {
    let hosts = structures(app).await;
    let convention = convention_with_coordinators(app, "93", &[&hosts[0], &hosts[1]], 4).await;
    let (a1, a2, a3) = (
        advisor(app, &convention, &hosts[0], 1).await,
        advisor(app, &convention, &hosts[0], 2).await,
        advisor(app, &convention, &hosts[1], 3).await,
    );
    let c = coordinator(app, &convention, &hosts[1], 4).await;
    let c2 = coordinator(app, &convention, &hosts[0], 5).await;
    let paris = created_id(
        &post(
            app,
            "/api/v1/structures",
            &admin(),
            json!({"siret": siret_for("775672272"), "nom": "Association parisienne", "type": "association", "code_insee": "75056"}),
        )
        .await,
    );
    let convention_75 = convention_with_coordinators(app, "75", &[&paris], 2).await;
    let c75 = coordinator(app, &convention_75, &paris, 6).await;
    Story {
        hosts,
        a1,
        a2,
        a3,
        c,
        c2,
        c75,
    }
}

fn uri(advisor: &str) -> String {
    format!("/api/v1/conseillers/{advisor}/coordinateur")
}

/// The coordinator stored for `advisor` and since when (`None` when none).
fn stored(db: &TestDb, advisor: &str) -> Option<(String, String)> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        coordinateur_id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        depuis: String,
    }
    let mut conn = db.conn();
    let sql = format!(
        "SELECT coordinateur_id, depuis FROM coordinations WHERE conseiller_id = '{advisor}'"
    );
    let rows: Vec<Row> = cnfs_api::db_run!(&mut conn, |c| diesel::sql_query(&sql).load::<Row>(c))
        .expect("coordinations read");
    assert!(rows.len() <= 1, "one coordinator at most");
    rows.into_iter()
        .next()
        .map(|row| (row.coordinateur_id, row.depuis))
}

/// The journal entries of `action` on `advisor`.
fn journaled(db: &TestDb, advisor: &str, action: &str) -> i64 {
    count(
        db,
        &format!(
            "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'conseiller' AND ressource_id = '{advisor}' AND action = '{action}'"
        ),
    )
}

/// The ids of the advisors a list shows.
async fn listed(app: App<'_, impl common::App>, query: &str, who: &str) -> Vec<String> {
    let page = get(app, &format!("/api/v1/conseillers?{query}"), who).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let mut ids: Vec<String> = page.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<&String>) -> Vec<String> {
    ids.sort();
    ids.into_iter().cloned().collect()
}

async fn an_advisor_is_followed_by_a_coordinator_of_its_departement(db: TestDb) {
    let app = app_on(&db).await;
    let s = story(&app).await;
    let employer = structure(&s.hosts[0]);
    // Nobody is followed yet: the advisor's read says so.
    let read = get(&app, &format!("/api/v1/conseillers/{}", s.a1), &admin()).await;
    assert_eq!(read.json["coordinateur_id"], Value::Null, "{}", read.text);
    let version = read.json["version"].as_i64().unwrap();

    // The employer names C, whom another structure of the 93 employs.
    let put = app
        .as_(&employer)
        .put(&uri(&s.a1), json!({"coordinateur_id": s.c}))
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.json["coordinateur_id"], s.c.as_str());
    assert_eq!(put.json["id"], s.a1.as_str());
    assert_eq!(put.json["nom"], "Nom1", "the employer sees personal data");
    assert_eq!(put.json["version"], version + 1);
    assert_eq!(put.header("etag"), format!("\"{}\"", version + 1));
    assert_eq!(stored(&db, &s.a1), Some((s.c.clone(), TODAY.to_owned())));
    assert_eq!(journaled(&db, &s.a1, "coordination"), 1);
    // The préfecture names C for A3 (If-Match with the current version).
    let a3 = get(&app, &format!("/api/v1/conseillers/{}", s.a3), &admin()).await;
    let put = app
        .as_(prefecture_93())
        .if_match(a3.header("etag"))
        .put(&uri(&s.a3), json!({"coordinateur_id": s.c}))
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.json["nom"], Value::Null, "masked for a préfecture");
    assert_eq!(put.json["coordinateur_id"], s.c.as_str());
    // Naming the same coordinator again changes nothing.
    let again = app
        .as_(admin())
        .put(&uri(&s.a3), json!({"coordinateur_id": s.c}))
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json["version"], put.json["version"]);
    assert_eq!(journaled(&db, &s.a3, "coordination"), 1);

    // Reads show it: the advisor, the list's items.
    let read = get(
        &app,
        &format!("/api/v1/conseillers/{}", s.a1),
        &prefecture_93(),
    )
    .await;
    assert_eq!(read.json["coordinateur_id"], s.c.as_str());
    let page = get(&app, "/api/v1/conseillers?limit=200", &admin()).await;
    for item in page.json["items"].as_array().unwrap() {
        let expected = if item["id"] == s.a1.as_str() || item["id"] == s.a3.as_str() {
            json!(s.c)
        } else {
            Value::Null
        };
        assert_eq!(item["coordinateur_id"], expected, "{item}");
    }
    // The advisors C follows, within each caller's scope, and the other filters still apply.
    let of_c = format!("coordinateur_id={}", s.c);
    assert_eq!(
        listed(&app, &of_c, &admin()).await,
        sorted(vec![&s.a1, &s.a3])
    );
    assert_eq!(
        listed(&app, &of_c, &prefecture_93()).await,
        sorted(vec![&s.a1, &s.a3])
    );
    assert_eq!(listed(&app, &of_c, &employer).await, vec![s.a1.clone()]);
    assert_eq!(
        listed(
            &app,
            &format!("{of_c}&structure_id={}", s.hosts[1]),
            &admin()
        )
        .await,
        vec![s.a3.clone()]
    );
    assert!(
        listed(&app, &format!("coordinateur_id={}", s.c2), &admin())
            .await
            .is_empty()
    );
    // Keyset pagination is kept: one advisor per page, then the next.
    let first = get(
        &app,
        &format!("/api/v1/conseillers?{of_c}&limit=1"),
        &admin(),
    )
    .await;
    assert_eq!(first.json["items"].as_array().unwrap().len(), 1);
    let cursor = first.json["next_cursor"].as_str().unwrap();
    let second = get(
        &app,
        &format!("/api/v1/conseillers?{of_c}&limit=1&cursor={cursor}"),
        &admin(),
    )
    .await;
    assert_eq!(second.json["items"].as_array().unwrap().len(), 1);
    assert_ne!(second.json["items"][0]["id"], first.json["items"][0]["id"]);
    assert_eq!(second.json["next_cursor"], Value::Null);

    // Reassigned: C2 follows A1 from now on.
    let put = app
        .as_(&employer)
        .put(&uri(&s.a1), json!({"coordinateur_id": s.c2}))
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.json["coordinateur_id"], s.c2.as_str());
    assert_eq!(stored(&db, &s.a1), Some((s.c2.clone(), TODAY.to_owned())));
    assert_eq!(listed(&app, &of_c, &admin()).await, vec![s.a3.clone()]);
    assert_eq!(
        listed(&app, &format!("coordinateur_id={}", s.c2), &admin()).await,
        vec![s.a1.clone()]
    );
    assert_eq!(journaled(&db, &s.a1, "coordination"), 2);

    // Removed: no coordinator any more; removing again is a 404.
    let removed = app.as_(&employer).delete(&uri(&s.a1)).await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    assert_eq!(stored(&db, &s.a1), None);
    let read = get(&app, &format!("/api/v1/conseillers/{}", s.a1), &admin()).await;
    assert_eq!(read.json["coordinateur_id"], Value::Null);
    assert_eq!(
        read.json["version"],
        put.json["version"].as_i64().unwrap() + 1
    );
    assert_eq!(journaled(&db, &s.a1, "fin_coordination"), 1);
    app.as_(&employer)
        .delete(&uri(&s.a1))
        .await
        .assert_problem(404, "ressource_introuvable");
    assert_eq!(journaled(&db, &s.a1, "fin_coordination"), 1);
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM coordinations"), 1);

    // C's coordinator contract is broken on 31 August: from 1 September C follows nobody, in
    // the read and the filter, without any job (the link stays stored, and may be removed).
    break_contract_of_coordinator(&app, &s.c).await;
    let read = get(&app, &format!("/api/v1/conseillers/{}", s.a3), &admin()).await;
    assert_eq!(read.json["coordinateur_id"], Value::Null, "{}", read.text);
    assert!(listed(&app, &of_c, &admin()).await.is_empty());
    let last_day = app_on_day(&db, "2021-08-31").await;
    let read = get(
        &last_day,
        &format!("/api/v1/conseillers/{}", s.a3),
        &admin(),
    )
    .await;
    assert_eq!(
        read.json["coordinateur_id"],
        s.c.as_str(),
        "on its last day"
    );
    assert_eq!(listed(&last_day, &of_c, &admin()).await, vec![s.a3.clone()]);
    let removed = app.as_(admin()).delete(&uri(&s.a3)).await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM coordinations"), 0);
}

async fn each_refusal_has_its_code_and_changes_nothing(db: TestDb) {
    let app = app_on(&db).await;
    let s = story(&app).await;
    let employer = structure(&s.hosts[0]);
    // A1 starts followed by C.
    let put = app
        .as_(admin())
        .put(&uri(&s.a1), json!({"coordinateur_id": s.c}))
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let version = put.json["version"].as_i64().unwrap();
    // A2's contract ended yesterday: it has none in force today.
    break_contract(&app, &s.a2, "2021-08-31").await;
    let version_of = |id: &str| {
        count(
            &db,
            &format!("SELECT version AS n FROM conseillers WHERE id = '{id}'"),
        )
    };

    let refused = |who: String, advisor: String, coordinateur: String| {
        let app = &app;
        async move {
            app.as_(who)
                .put(&uri(&advisor), json!({"coordinateur_id": coordinateur}))
                .await
        }
    };
    // Its own coordinator: 422 on the field.
    let answer = refused(admin(), s.c.clone(), s.c.clone()).await;
    answer.assert_problem(422, "coordination_de_soi");
    assert_eq!(answer.json["errors"][0]["pointer"], "/coordinateur_id");
    // Nobody of that id; a person the caller may not name (a préfecture: not of its
    // départements; the employer: not of the advisor's département): 422, the same answer.
    for (who, named) in [
        (admin(), "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fff".to_owned()),
        (prefecture_93(), s.c75.clone()),
        (employer.clone(), s.c75.clone()),
    ] {
        let answer = refused(who, s.a1.clone(), named).await;
        answer.assert_problem(422, "coordinateur_inconnu");
        assert_eq!(answer.json["errors"][0]["pointer"], "/coordinateur_id");
    }
    // The advisor has no contract in force today.
    let answer = refused(employer.clone(), s.a2.clone(), s.c.clone()).await;
    answer.assert_problem(409, "sans_contrat");
    assert_eq!(answer.json["date"], TODAY);
    // A person who is an advisor, not a coordinator.
    refused(employer.clone(), s.a1.clone(), s.a3.clone())
        .await
        .assert_problem(409, "pas_coordinateur");
    // A coordinator of another département (an admin may name anyone).
    let answer = refused(admin(), s.a1.clone(), s.c75.clone()).await;
    answer.assert_problem(409, "coordinateur_hors_departement");
    assert_eq!(answer.json["departement"], "93");
    assert_eq!(answer.json["departement_coordinateur"], "75");
    // A stale If-Match: 412.
    app.as_(admin())
        .if_match(format!("\"{}\"", version - 1))
        .put(&uri(&s.a1), json!({"coordinateur_id": s.c2}))
        .await
        .assert_problem(412, "precondition_echouee");
    // A body without the field, or with another: 422 `validation`.
    for body in [
        json!({}),
        json!({"coordinateur_id": s.c2, "depuis": "2021-01-01"}),
    ] {
        app.as_(admin())
            .put(&uri(&s.a1), body)
            .await
            .assert_problem(422, "validation");
    }
    // A coordinator whose contract has ended is no longer one: C2 leaves on 2021-08-31.
    break_contract_of_coordinator(&app, &s.c2).await;
    refused(admin(), s.a1.clone(), s.c2.clone())
        .await
        .assert_problem(409, "pas_coordinateur");
    // DELETE when none: 404.
    app.as_(admin())
        .delete(&uri(&s.a3))
        .await
        .assert_problem(404, "ressource_introuvable");

    // Nothing changed: A1 still followed by C at the same version, nobody else followed, no
    // journal entry of a coordination but the first.
    assert_eq!(stored(&db, &s.a1), Some((s.c.clone(), TODAY.to_owned())));
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM coordinations"), 1);
    assert_eq!(version_of(&s.a1), version);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE action IN ('coordination', 'fin_coordination')"
        ),
        1
    );
}

/// Breaks the coordinator's contract of `person` on 2021-08-31.
async fn break_contract_of_coordinator(app: App<'_, impl common::App>, person: &str) {
    let listed = get(
        app,
        &format!("/api/v1/contrats?conseiller_id={person}&etat=en_cours"),
        &admin(),
    )
    .await;
    let contrat = listed.json["items"][0]["id"].as_str().unwrap();
    let broken = post(
        app,
        &format!("/api/v1/contrats/{contrat}/rupture"),
        &admin(),
        json!({"date": "2021-08-31", "motif": "demission"}),
    )
    .await;
    assert_eq!(broken.status, 200, "{}", broken.text);
}

async fn access_is_the_advisors_lecteur_403_out_of_scope_404(db: TestDb) {
    let app = app_on(&db).await;
    let s = story(&app).await;
    let put = app
        .as_(admin())
        .put(&uri(&s.a3), json!({"coordinateur_id": s.c}))
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let body = json!({"coordinateur_id": s.c2});
    // Outside the scope (another structure, the préfecture of another département): 404, as
    // for an advisor that does not exist.
    for who in [
        structure(&s.hosts[2]),
        structure(&s.hosts[0]),
        token(Role::Prefecture, &["75"], None),
    ] {
        app.as_(&who)
            .put(&uri(&s.a3), body.clone())
            .await
            .assert_problem(404, "ressource_introuvable");
        app.as_(&who)
            .delete(&uri(&s.a3))
            .await
            .assert_problem(404, "ressource_introuvable");
    }
    app.as_(admin())
        .put(&uri("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fff"), body.clone())
        .await
        .assert_problem(404, "ressource_introuvable");
    // A lecteur: 403 on writes, and on the list.
    let lecteur = token(Role::Lecteur, &["93"], None);
    app.as_(&lecteur)
        .put(&uri(&s.a3), body.clone())
        .await
        .assert_problem(403, "interdit");
    app.as_(&lecteur)
        .delete(&uri(&s.a3))
        .await
        .assert_problem(403, "interdit");
    get(
        &app,
        &format!("/api/v1/conseillers?coordinateur_id={}", s.c),
        &lecteur,
    )
    .await
    .assert_problem(403, "interdit");
    // Without a token: 401.
    app.anonymous()
        .put(&uri(&s.a3), body.clone())
        .await
        .assert_problem(401, "jeton_absent");
    // A malformed coordinator id in the list: 400 naming it.
    let bad = get(&app, "/api/v1/conseillers?coordinateur_id=abc", &admin()).await;
    bad.assert_problem(400, "parametre_invalide");
    assert_eq!(bad.faulty_parameters(), ["coordinateur_id"]);
    // Nothing changed.
    assert_eq!(stored(&db, &s.a3), Some((s.c.clone(), TODAY.to_owned())));
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM coordinations"), 1);
}

on_both_backends!(
    an_advisor_is_followed_by_a_coordinator_of_its_departement,
    each_refusal_has_its_code_and_changes_nothing,
    access_is_the_advisors_lecteur_403_out_of_scope_404,
);

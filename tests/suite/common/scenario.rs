//! The Seine-Saint-Denis scenario through the API, for the tests of the modules built on
//! conventions: three structures of the 93, a convention split between the first two, lieux and
//! advisors taken along their path. "Today" is fixed at [`TODAY`].

use cnfs_api::auth::Role;
use serde_json::{Value, json};

use super::{Answer, App, TestApp, TestDb, siret_for, token};

/// The fixed "today" of the scenario's application.
pub const TODAY: &str = "2021-09-01";

/// A national admin's token.
pub fn admin() -> String {
    token(Role::Admin, &[], None)
}

/// The préfecture of the 93's token.
pub fn prefecture_93() -> String {
    token(Role::Prefecture, &["93"], None)
}

/// A structure's token.
pub fn structure(id: &str) -> String {
    token(Role::Structure, &[], Some(id))
}

/// The application over `db`, "today" being [`TODAY`].
pub async fn app_on(db: &TestDb) -> TestApp<impl App> {
    app_on_day(db, TODAY).await
}

/// The application over `db`, "today" being `day` (`YYYY-MM-DD`).
pub async fn app_on_day(db: &TestDb, day: &str) -> TestApp<impl App> {
    let today = day.parse().expect("a day as YYYY-MM-DD");
    TestApp::over(db.state().with_today(Some(today))).await
}

/// `POST uri` with a JSON body.
pub async fn post(app: &TestApp<impl App>, uri: &str, who: &str, body: Value) -> Answer {
    app.as_(who).post(uri, body).await
}

/// `GET uri`.
pub async fn get(app: &TestApp<impl App>, uri: &str, who: &str) -> Answer {
    app.as_(who).get(uri).await
}

/// The id in a 201's body.
pub fn created_id(created: &Answer) -> String {
    assert_eq!(created.status, 201, "{}", created.text);
    created.json["id"].as_str().unwrap().to_owned()
}

/// Aubervilliers and Montreuil (hosts) and Bobigny (not a host), of the 93; returns their ids.
pub async fn structures(app: &TestApp<impl App>) -> Vec<String> {
    let mut ids = Vec::new();
    for (siren, nom, commune) in [
        ("219300019", "Ville d'Aubervilliers", "93001"),
        ("219300480", "Ville de Montreuil", "93048"),
        ("219300084", "Ville de Bobigny", "93008"),
    ] {
        let body = json!({"siret": siret_for(siren), "nom": nom, "type": "commune", "code_insee": commune});
        ids.push(created_id(
            &post(app, "/api/v1/structures", &admin(), body).await,
        ));
    }
    ids
}

/// A convention of the 93 signed by the first two structures, split `split` between them, and,
/// if `validate`, validated on 2021-03-15; returns its id.
pub async fn convention(
    app: &TestApp<impl App>,
    ids: &[String],
    split: (i64, i64),
    validate: bool,
) -> String {
    let created = post(
        app,
        "/api/v1/conventions",
        &prefecture_93(),
        json!({"departement": "93", "intitule": "CnFS 93", "signataires": [ids[0], ids[1]], "postes_attribues": split.0 + split.1}),
    )
    .await;
    let id = created_id(&created);
    let uri = format!("/api/v1/conventions/{id}");
    let steps = [
        ("signature", json!({"date_signature": "2021-02-08"})),
        (
            "projet-accueil",
            json!({"repartition": [{"structure_id": ids[0], "postes": split.0}, {"structure_id": ids[1], "postes": split.1}], "date_depot": "2021-03-01"}),
        ),
        ("validation", json!({"date_validation": "2021-03-15"})),
    ];
    let steps = if validate { &steps[..] } else { &steps[..2] };
    for (action, body) in steps {
        let done = post(
            app,
            &format!("{uri}/{action}"),
            &prefecture_93(),
            body.clone(),
        )
        .await;
        assert_eq!(done.status, 200, "{action}: {}", done.text);
    }
    id
}

/// The body of a recruitment at `structure` on `convention` (advisor number `n`).
pub fn recrue(convention: &str, structure: &str, n: usize) -> Value {
    json!({
        "convention_id": convention, "structure_id": structure, "nom": format!("Nom{n}"),
        "prenom": "Camille", "email": format!("conseiller{n}@example.org"),
        "commune_residence": "93001", "date_recrutement": "2021-04-01", "type_contrat": "contrat_de_projet"
    })
}

/// A lieu of `structure` in `commune` (with one of its postcodes); returns its id.
pub async fn lieu(
    app: &TestApp<impl App>,
    structure: &str,
    nom: &str,
    commune: &str,
    code_postal: &str,
) -> String {
    let body = json!({"structure_id": structure, "nom": nom, "adresse": "1 place de la Mairie", "code_postal": code_postal, "code_insee": commune});
    created_id(&post(app, "/api/v1/lieux", &admin(), body).await)
}

/// Recruits advisor `n` at `structure` (on 2021-04-01, `recrue`) and puts it to work at `lieu`,
/// its principal lieu; returns its id.
pub async fn advisor_en_poste(
    app: &TestApp<impl App>,
    convention: &str,
    structure: &str,
    lieu: &str,
    n: usize,
) -> String {
    let who = self::structure(structure);
    let id = created_id(
        &post(
            app,
            "/api/v1/conseillers",
            &who,
            recrue(convention, structure, n),
        )
        .await,
    );
    let placed = app
        .as_(&who)
        .put(
            &format!("/api/v1/conseillers/{id}/lieux/{lieu}"),
            json!({"principal": true}),
        )
        .await;
    assert_eq!(placed.status, 200, "lieu: {}", placed.text);
    id
}

/// The convention's `postes_pourvus`, as admin reads it.
pub async fn postes_pourvus(app: &TestApp<impl App>, convention: &str) -> i64 {
    let read = get(app, &format!("/api/v1/conventions/{convention}"), &admin()).await;
    assert_eq!(read.status, 200, "{}", read.text);
    read.json["postes_pourvus"].as_i64().unwrap()
}

/// Ends the advisor's contract in force early (`POST /contrats/{id}/rupture`) on `date` for
/// `motif`, as `who`; returns the answer (the contract).
pub async fn rupture(
    app: &TestApp<impl App>,
    advisor: &str,
    who: &str,
    date: &str,
    motif: &str,
) -> Answer {
    let read = get(app, &format!("/api/v1/conseillers/{advisor}"), &admin()).await;
    assert_eq!(read.status, 200, "{}", read.text);
    let contrat = read.json["contrat_en_cours_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{advisor}: no contract in force: {}", read.text))
        .to_owned();
    post(
        app,
        &format!("/api/v1/contrats/{contrat}/rupture"),
        who,
        json!({"date": date, "motif": motif}),
    )
    .await
}

/// The themes of the API's closed list, in its order.
pub const THEMES: &[&str] = cnfs_api::domain::activite::Thematique::TEXTS;

/// An advisor in post who declares activities: its id, its lieu, its employer.
pub struct Declarant {
    pub conseiller: String,
    pub lieu: String,
    pub structure: String,
}

/// A pseudo-random workload (xorshift from `seed`): `rounds` rounds of 5 concurrent activity
/// declarations by the `declarants`, over the days `first_day` + 0..`days`, each round followed by
/// one or two deletions at random. Returns the ids of the activities left.
pub async fn random_activities(
    app: &TestApp<impl App>,
    declarants: &[Declarant],
    rounds: usize,
    first_day: chrono::NaiveDate,
    days: u64,
    seed: u64,
) -> Vec<String> {
    let mut seed = seed | 1;
    let mut next = move |bound: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % bound
    };
    let mut live: Vec<(String, String)> = Vec::new();
    for round in 0..rounds {
        let mut requests = Vec::new();
        for _ in 0..5 {
            let declarant = &declarants[next(declarants.len() as u64) as usize];
            let individual = next(3) == 0;
            let themes: Vec<&str> = (0..=next(3))
                .map(|_| THEMES[next(13) as usize])
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let date = first_day + chrono::Days::new(next(days));
            let body = json!({
                "conseiller_id": declarant.conseiller, "lieu_id": declarant.lieu,
                "date": date.to_string(),
                "type": if individual { "accompagnement_individuel" } else { "atelier_collectif" },
                "duree_minutes": 30 + next(150),
                "nb_participants": if individual { 1 } else { 1 + next(20) },
                "thematiques": themes,
            });
            let who = structure(&declarant.structure);
            requests.push(super::request(
                "POST",
                "/api/v1/activites",
                Some(&who),
                Some(&body),
                &[],
            ));
        }
        let answers =
            futures_util::future::join_all(requests.into_iter().map(|req| super::call(app, req)))
                .await;
        for answer in answers {
            assert_eq!(answer.status, 201, "round {round}: {}", answer.text);
            live.push((
                answer.json["id"].as_str().unwrap().to_owned(),
                answer.json["structure_id"].as_str().unwrap().to_owned(),
            ));
        }
        for _ in 0..=next(2) {
            if live.is_empty() {
                break;
            }
            let (id, owner) = live.remove(next(live.len() as u64) as usize);
            let deleted = app
                .as_(structure(&owner))
                .delete(&format!("/api/v1/activites/{id}"))
                .await;
            assert_eq!(deleted.status, 204, "{}", deleted.text);
        }
    }
    live.into_iter().map(|(id, _)| id).collect()
}

/// The vacant advisor posts of `host` (ids), vacant the longest first.
pub async fn vacants(app: &TestApp<impl App>, host: &str) -> Vec<String> {
    let listed = get(
        app,
        &format!("/api/v1/postes?limit=200&structure_id={host}&etat=vacant&typologie=conseiller"),
        &admin(),
    )
    .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    listed.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The first employer of a convention, as the API names them: the first host of its split, or
/// before one its first signatory (what a commitment's `beneficiaire_id` names).
pub async fn premier_employeur(app: &TestApp<impl App>, convention: &str) -> String {
    let read = app
        .as_(admin())
        .get(&format!("/api/v1/conventions/{convention}"))
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
    let first = read.json["repartition"][0]["structure_id"]
        .as_str()
        .or_else(|| read.json["signataires"][0].as_str())
        .expect("a convention has an employer");
    first.to_owned()
}

/// A commitment's body with its beneficiary: `body` as given when it names one (`null`
/// included, to test its absence), else with the convention's first employer.
pub async fn avec_beneficiaire(app: &TestApp<impl App>, mut body: Value) -> Value {
    if body.get("beneficiaire_id").is_none()
        && let Some(convention) = body["convention_id"].as_str()
    {
        let premier = premier_employeur(app, convention).await;
        body["beneficiaire_id"] = Value::String(premier);
    }
    body
}

//! Statistics through HTTP on both backends: the Seine-Saint-Denis story read nationally, for the
//! Île-de-France and for the 93 (and a département without anything), the lists that draw a map,
//! the period filter, caching (`ETag`, 304), public access, and agreement with a recomputation in
//! SQL from the rows after a random workload with deletions.

use crate::common;
use crate::common::scenario::rupture;

use common::scenario::{
    Declarant, THEMES, admin, advisor_en_poste, app_on, convention, created_id, get, lieu, post,
    prefecture_93, random_activities, recrue, structure, structures,
};
use common::statistiques::assert_agrees_with_rows;
use common::{App, TestApp, TestDb, count};
use serde_json::{Value, json};

const EURO: i64 = 100;

/// Anonymous `GET`.
async fn public(app: &TestApp<impl App>, uri: &str) -> common::Answer {
    app.anonymous().get(uri).await
}

/// The story: an executed convention (3 + 3 posts), a signed one past its deadline (2 posts), a
/// draft (4 posts); advisors en poste (local), recruited (from Paris) and gone (local); the
/// national envelope with a 4 M€ ceiling for the 93, 300,000 € committed and 100,000 € paid; the
/// Ville 93 envelope (1 M€, 300,000 € committed); three activities in June and July.
async fn story(app: &TestApp<impl App>) -> Vec<String> {
    let ids = structures(app).await;
    let executed = convention(app, &ids, (3, 3), true).await;
    let signed = created_id(
        &post(
            app,
            "/api/v1/conventions",
            &prefecture_93(),
            json!({"departement": "93", "intitule": "CnFS 93 — second appel", "signataires": [ids[0]], "postes_attribues": 2}),
        )
        .await,
    );
    let done = post(
        app,
        &format!("/api/v1/conventions/{signed}/signature"),
        &prefecture_93(),
        json!({"date_signature": "2021-02-08"}),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.text);
    created_id(
        &post(
            app,
            "/api/v1/conventions",
            &prefecture_93(),
            json!({"departement": "93", "intitule": "CnFS 93 — brouillon", "signataires": [ids[1]], "postes_attribues": 4}),
        )
        .await,
    );

    let lieu_0 = lieu(app, &ids[0], "Médiathèque André Breton", "93001", "93300").await;
    let advisor = advisor_en_poste(app, &executed, &ids[0], &lieu_0, 0).await;
    let mut parisian = recrue(&executed, &ids[1], 1);
    parisian["commune_residence"] = json!("75056");
    created_id(&post(app, "/api/v1/conseillers", &structure(&ids[1]), parisian).await);
    let gone = created_id(
        &post(
            app,
            "/api/v1/conseillers",
            &structure(&ids[1]),
            recrue(&executed, &ids[1], 2),
        )
        .await,
    );
    let left = rupture(app, &gone, &structure(&ids[1]), "2021-06-30", "demission").await;
    assert_eq!(left.status, 200, "{}", left.text);

    let national = created_id(
        &post(
            app,
            "/api/v1/enveloppes",
            &admin(),
            json!({
                "libelle": "Plan de relance — conseillers numériques", "financeur": "DGCL",
                "nature": "postes_conseillers", "montant_centimes": 200_000_000 * EURO,
                "date_debut": "2021-01-01", "date_fin": "2023-12-31", "objectif_postes": 4000,
                "baremes": common::baremes_uniformes(50_000 * EURO),
            }),
        )
        .await,
    );
    let ceiling = app
        .as_(admin())
        .put(
            &format!("/api/v1/enveloppes/{national}/plafonds/93"),
            json!({"plafond_centimes": 4_000_000 * EURO}),
        )
        .await;
    assert_eq!(ceiling.status, 201, "{}", ceiling.text);
    // Each host's 3 posts × 50,000 €.
    let committed = app.as_(prefecture_93()).idempotency_key("stats-1").post(&format!("/api/v1/enveloppes/{national}/engagements"), json!({"convention_id": executed, "beneficiaire_id": ids[0], "objet": "3 postes", "date_engagement": "2021-03-20"}))
    .await;
    let engagement = created_id(&committed);
    assert_eq!(committed.json["montant_centimes"], 150_000 * EURO);
    let other = app.as_(prefecture_93()).idempotency_key("stats-1b").post(&format!("/api/v1/enveloppes/{national}/engagements"), json!({"convention_id": executed, "beneficiaire_id": ids[1], "objet": "3 postes", "date_engagement": "2021-03-20"}))
    .await;
    assert_eq!(
        other.json["montant_centimes"],
        150_000 * EURO,
        "{}",
        other.text
    );
    let paid = post(
        app,
        &format!("/api/v1/engagements/{engagement}/versements"),
        &admin(),
        json!({"montant_centimes": 100_000 * EURO, "date_versement": "2021-04-01", "reference": "MANDAT-1"}),
    )
    .await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let ville = created_id(
        &post(
            app,
            "/api/v1/enveloppes",
            &admin(),
            json!({
                "libelle": "Ville 93", "financeur": "Ministère de la Ville", "nature": "mixte",
                "montant_centimes": 1_000_000 * EURO, "date_debut": "2021-01-01",
                "date_fin": "2023-12-31", "perimetre_departement": "93",
            }),
        )
        .await,
    );
    let equipment = app.as_(prefecture_93()).idempotency_key("stats-2").post(&format!("/api/v1/enveloppes/{ville}/engagements"), json!({"convention_id": executed, "beneficiaire_id": ids[0], "montant_centimes": 300_000 * EURO, "objet": "Matériel", "date_engagement": "2021-03-20"}))
    .await;
    created_id(&equipment);

    let employer = structure(&ids[0]);
    let mut activities = Vec::new();
    for (date, kind, minutes, participants, themes) in [
        (
            "2021-06-14",
            "atelier_collectif",
            120,
            8,
            json!(["trouver_un_emploi", "courriels"]),
        ),
        (
            "2021-06-20",
            "accompagnement_individuel",
            45,
            1,
            json!(["sante"]),
        ),
        (
            "2021-07-01",
            "atelier_collectif",
            60,
            5,
            json!(["sante", "budget"]),
        ),
    ] {
        activities.push(created_id(
            &post(
                app,
                "/api/v1/activites",
                &employer,
                json!({"conseiller_id": advisor, "lieu_id": lieu_0, "date": date, "type": kind,
                       "duree_minutes": minutes, "nb_participants": participants, "thematiques": themes}),
            )
            .await,
        ));
    }
    activities
}

fn themes(counts: &[(&str, i64)]) -> Value {
    let mut map = serde_json::Map::new();
    for &theme in THEMES {
        let n = counts
            .iter()
            .find(|(t, _)| *t == theme)
            .map_or(0, |(_, n)| *n);
        map.insert(theme.to_owned(), n.into());
    }
    Value::Object(map)
}

/// What every level shares in the story (the 93 holds everything).
fn story_body(territoire: Value, objectif: i64, financement: Value) -> Value {
    json!({
        "territoire": territoire,
        // The draft's 4 posts count nowhere: a convention attributes its posts once signed (2 +
        // 6). The 6 posts of the convention in execution are objects: 2 held, 4 vacant (one of
        // them since the exit).
        "postes": {
            "objectif": objectif, "attribues": 8, "pourvus": 2, "vacants": 6, "taux_pourvus_pct": 25.0,
            "par_etat": {"vacant": 4, "occupe": 2, "rendu": 0},
            "par_typologie": {
                "conseiller": {"vacant": 4, "occupe": 2, "rendu": 0},
                "coordinateur": {"vacant": 0, "occupe": 0, "rendu": 0}
            },
            "vacants_plus_de_180_jours": 0
        },
        "conseillers": {"en_poste": 2, "sorti": 1, "recrutement_local_pct": 66.7},
        "conventions": {"brouillon": 1, "signee": 1, "projet_depose": 0, "en_execution": 1, "terminee": 0, "resiliee": 0, "en_retard": 1},
        // The two active advisors' contracts are in force (the leaver's ended), none with a
        // planned end.
        "contrats": {"en_vigueur": 2, "par_type": {"cdi": 0, "cdd": 0, "pec": 0, "contrat_de_projet": 2, "titulaire": 0}, "fin_dans_60_jours": 0},
        // No training recorded in the story (POST …/formations).
        "certifications": {"formes": 0, "certifies": 0, "part_certifies": null, "en_retard": 0},
        "financement": financement,
        "activites": {
            "nombre": 3, "participants": 14, "heures": 3.8,
            "par_thematique": themes(&[("trouver_un_emploi", 1), ("courriels", 1), ("sante", 2), ("budget", 1)]),
            "par_type_lieu": {"lieu_activite": 3, "domicile": 0, "a_distance": 0, "autre": 0},
            "par_mois": [{"mois": "2021-06", "nombre": 2, "participants": 9}, {"mois": "2021-07", "nombre": 1, "participants": 5}]
        }
    })
}

async fn the_story_at_every_level(db: TestDb) {
    let app = app_on(&db).await;
    story(&app).await;
    let mixte = json!({"nature": "mixte", "montant_centimes": 1_000_000 * EURO, "engage_centimes": 300_000 * EURO, "verse_centimes": 0, "disponible_centimes": 700_000 * EURO});

    let d93 = public(&app, "/api/v1/statistiques/departements/93").await;
    assert_eq!(d93.status, 200, "{}", d93.text);
    assert_eq!(
        d93.json,
        story_body(
            json!({"niveau": "departement", "code": "93", "nom": "Seine-Saint-Denis"}),
            80,
            json!([
                {"nature": "postes_conseillers", "montant_centimes": 4_000_000 * EURO, "engage_centimes": 300_000 * EURO, "verse_centimes": 100_000 * EURO, "disponible_centimes": 3_700_000 * EURO},
                mixte
            ])
        )
    );

    let idf = public(&app, "/api/v1/statistiques/regions/11").await;
    assert_eq!(idf.status, 200, "{}", idf.text);
    assert_eq!(
        idf.json,
        story_body(
            json!({"niveau": "region", "code": "11", "nom": "Île-de-France"}),
            80,
            d93.json["financement"].clone()
        )
    );

    let national = public(&app, "/api/v1/statistiques").await;
    assert_eq!(national.status, 200, "{}", national.text);
    assert_eq!(
        national.json,
        story_body(
            json!({"niveau": "national", "code": null, "nom": "France"}),
            4000,
            json!([
                {"nature": "postes_conseillers", "montant_centimes": 200_000_000 * EURO, "engage_centimes": 300_000 * EURO, "verse_centimes": 100_000 * EURO, "disponible_centimes": 199_700_000 * EURO},
                mixte
            ])
        )
    );

    // A département with nothing.
    let paris = public(&app, "/api/v1/statistiques/departements/75").await;
    assert_eq!(
        paris.json,
        json!({
            "territoire": {"niveau": "departement", "code": "75", "nom": "Paris"},
            "postes": {
                "objectif": null, "attribues": 0, "pourvus": 0, "vacants": 0, "taux_pourvus_pct": null,
                "par_etat": {"vacant": 0, "occupe": 0, "rendu": 0},
                "par_typologie": {
                    "conseiller": {"vacant": 0, "occupe": 0, "rendu": 0},
                    "coordinateur": {"vacant": 0, "occupe": 0, "rendu": 0}
                },
                "vacants_plus_de_180_jours": 0
            },
            "conseillers": {"en_poste": 0, "sorti": 0, "recrutement_local_pct": null},
            "conventions": {"brouillon": 0, "signee": 0, "projet_depose": 0, "en_execution": 0, "terminee": 0, "resiliee": 0, "en_retard": 0},
            "contrats": {"en_vigueur": 0, "par_type": {"cdi": 0, "cdd": 0, "pec": 0, "contrat_de_projet": 0, "titulaire": 0}, "fin_dans_60_jours": 0},
            "certifications": {"formes": 0, "certifies": 0, "part_certifies": null, "en_retard": 0},
            "financement": [],
            "activites": {"nombre": 0, "participants": 0, "heures": 0.0, "par_thematique": themes(&[]), "par_type_lieu": {"lieu_activite": 0, "domicile": 0, "a_distance": 0, "autre": 0}, "par_mois": []}
        })
    );

    // The lists: one item per territory of the référentiel, by code, each equal to its own read.
    let departements = public(&app, "/api/v1/statistiques/departements").await;
    assert_eq!(departements.status, 200, "{}", departements.text);
    let items = departements.json["items"].as_array().unwrap();
    assert_eq!(
        items.len() as i64,
        count(&db, "SELECT COUNT(*) AS n FROM departements")
    );
    let codes: Vec<&str> = items
        .iter()
        .map(|i| i["territoire"]["code"].as_str().unwrap())
        .collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted);
    let item_93 = items
        .iter()
        .find(|i| i["territoire"]["code"] == "93")
        .unwrap();
    assert_eq!(*item_93, d93.json);
    let regions = public(&app, "/api/v1/statistiques/regions").await;
    let items = regions.json["items"].as_array().unwrap();
    assert_eq!(
        items.len() as i64,
        count(&db, "SELECT COUNT(*) AS n FROM regions")
    );
    let item_11 = items
        .iter()
        .find(|i| i["territoire"]["code"] == "11")
        .unwrap();
    assert_eq!(*item_11, idf.json);
    assert!(
        items
            .iter()
            .filter(|i| i["territoire"]["code"] != "11")
            .all(|i| i["activites"]["nombre"] == 0 && i["postes"]["attribues"] == 0)
    );

    // Unknown territories, malformed codes.
    public(&app, "/api/v1/statistiques/departements/96")
        .await
        .assert_problem(404, "ressource_introuvable");
    public(&app, "/api/v1/statistiques/regions/99")
        .await
        .assert_problem(404, "ressource_introuvable");
    assert_eq!(
        public(&app, "/api/v1/statistiques/departements/9A")
            .await
            .status,
        400
    );
}

async fn the_period_filters_activities_only(db: TestDb) {
    let app = app_on(&db).await;
    story(&app).await;
    let july = public(&app, "/api/v1/statistiques/departements/93?du=2021-07-01").await;
    assert_eq!(july.status, 200, "{}", july.text);
    assert_eq!(july.json["activites"]["nombre"], 1);
    assert_eq!(july.json["activites"]["participants"], 5);
    assert_eq!(july.json["activites"]["heures"], 1.0);
    assert_eq!(july.json["postes"]["attribues"], 8, "posts are today's");
    let june = public(&app, "/api/v1/statistiques?du=2021-06-14&au=2021-06-14").await;
    assert_eq!(june.json["activites"]["nombre"], 1);
    assert_eq!(
        june.json["activites"]["par_mois"],
        json!([{"mois": "2021-06", "nombre": 1, "participants": 8}])
    );
    let until = public(&app, "/api/v1/statistiques/regions?au=2021-06-30").await;
    let idf = until.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["territoire"]["code"] == "11")
        .unwrap()
        .clone();
    assert_eq!(idf["activites"]["nombre"], 2);
    // An empty period: no activity, the rest unchanged.
    let reversed = public(&app, "/api/v1/statistiques?du=2021-07-01&au=2021-06-30").await;
    assert_eq!(reversed.status, 200, "{}", reversed.text);
    assert_eq!(reversed.json["activites"]["nombre"], 0);
    assert_eq!(reversed.json["activites"]["par_mois"], json!([]));
    assert_eq!(reversed.json["postes"]["attribues"], 8);
    public(&app, "/api/v1/statistiques?du=2021-02-30")
        .await
        .assert_problem(400, "parametre_invalide");
    public(&app, "/api/v1/statistiques?annee=2021")
        .await
        .assert_problem(400, "parametre_invalide");
}

async fn answers_are_cacheable(db: TestDb) {
    let app = app_on(&db).await;
    let activities = story(&app).await;
    for uri in [
        "/api/v1/statistiques",
        "/api/v1/statistiques/regions",
        "/api/v1/statistiques/regions/11",
        "/api/v1/statistiques/departements",
        "/api/v1/statistiques/departements/93",
    ] {
        let first = public(&app, uri).await;
        assert_eq!(first.status, 200, "{uri}: {}", first.text);
        assert_eq!(first.header("cache-control"), "public, max-age=60");
        let etag = first.header("etag").to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        let again = public(&app, uri).await;
        assert_eq!(again.header("etag"), etag, "{uri}: same data, same tag");
        let cached = app.anonymous().if_none_match(&etag).get(uri).await;
        assert_eq!(cached.status, 304, "{uri}");
        assert_eq!(cached.text, "");
        assert_eq!(cached.header("etag"), etag);
        let weak = format!("W/{etag}");
        let cached = app.anonymous().if_none_match(&weak).get(uri).await;
        assert_eq!(cached.status, 304, "{uri}: weak comparison");
        let other = app.anonymous().if_none_match("\"autre\"").get(uri).await;
        assert_eq!(other.status, 200);
        // With a token too: the same public answer.
        let with_token = get(&app, uri, &prefecture_93()).await;
        assert_eq!(with_token.json, first.json);
    }
    // A change makes a new tag.
    let before = public(&app, "/api/v1/statistiques/departements/93").await;
    let deleted = app
        .as_(admin())
        .delete(&format!("/api/v1/activites/{}", activities[0]))
        .await;
    assert_eq!(deleted.status, 204);
    let after = app
        .anonymous()
        .if_none_match(before.header("etag"))
        .get("/api/v1/statistiques/departements/93")
        .await;
    assert_eq!(after.status, 200);
    assert_ne!(after.header("etag"), before.header("etag"));
    assert_eq!(after.json["activites"]["nombre"], 2);
}

/// With `CNFS_CACHE_STATISTIQUES` set, this instance answers from its cache for that long: a
/// write is not seen until the entry expires (the same body, the same tag), each URL and period
/// being its own entry; 304 still works from a cached answer.
async fn an_instance_reuses_an_answer_for_its_cache_time(db: TestDb) {
    let today = common::scenario::TODAY.parse().unwrap();
    let cached_app = TestApp::over(
        db.state()
            .with_today(Some(today))
            .with_cache_statistiques(std::time::Duration::from_secs(5)),
    )
    .await;
    let fresh_app = app_on(&db).await;
    let activities = story(&fresh_app).await;
    let uri = "/api/v1/statistiques/departements/93";
    let before = public(&cached_app, uri).await;
    assert_eq!(before.status, 200);
    let nombre = before.json["activites"]["nombre"].as_i64().unwrap();
    let deleted = fresh_app
        .as_(admin())
        .delete(&format!("/api/v1/activites/{}", activities[0]))
        .await;
    assert_eq!(deleted.status, 204);
    // The caching instance still answers what it computed; one without a cache sees the change.
    let reused = public(&cached_app, uri).await;
    assert_eq!(reused.text, before.text);
    assert_eq!(reused.header("etag"), before.header("etag"));
    let revalidated = cached_app
        .anonymous()
        .if_none_match(before.header("etag"))
        .get(uri)
        .await;
    assert_eq!(revalidated.status, 304);
    let fresh = public(&fresh_app, uri).await;
    assert_eq!(fresh.json["activites"]["nombre"], nombre - 1);
    // Another URL (a period) is another entry, computed now.
    let period = public(&cached_app, &format!("{uri}?du=2021-01-01")).await;
    assert_eq!(period.json["activites"]["nombre"], nombre - 1);
}

async fn statistics_agree_with_the_rows_after_a_random_workload(db: TestDb) {
    let app = app_on(&db).await;
    let ids = structures(&app).await;
    let executed = convention(&app, &ids, (4, 4), true).await;
    let lieux = [
        lieu(&app, &ids[0], "Médiathèque André Breton", "93001", "93300").await,
        lieu(&app, &ids[1], "Maison de quartier", "93048", "93100").await,
    ];
    let mut declarants = Vec::new();
    for n in 0..3 {
        let host = n % 2;
        declarants.push(Declarant {
            conseiller: advisor_en_poste(&app, &executed, &ids[host], &lieux[host], n).await,
            lieu: lieux[host].clone(),
            structure: ids[host].clone(),
        });
    }
    // Over two months and a half: 2021-05-20 + 0..75 days, up to today (2021-09-01) at most.
    let first_day = "2021-05-20".parse().unwrap();
    random_activities(&app, &declarants, 15, first_day, 75, 0x5eed_0093).await;
    // One advisor leaves, which changes the posts filled.
    let left = rupture(
        &app,
        &declarants[2].conseiller,
        &structure(&declarants[2].structure),
        "2021-08-31",
        "non_reconduction_cdd",
    )
    .await;
    assert_eq!(left.status, 200, "{}", left.text);

    for (uri, where_departement) in [
        ("/api/v1/statistiques", ""),
        (
            "/api/v1/statistiques/departements/93",
            "AND departement = '93'",
        ),
    ] {
        let stats = public(&app, uri).await;
        assert_eq!(stats.status, 200, "{}", stats.text);
        assert!(stats.json["activites"]["nombre"].as_i64().unwrap() > 20);
        assert_agrees_with_rows(&db, &stats.json, where_departement, "0000", "9999");
        // Days of two partial months; then whole months with partial ones around them.
        for (du, au) in [("2021-06-15", "2021-07-20"), ("2021-05-25", "2021-08-03")] {
            let window = public(&app, &format!("{uri}?du={du}&au={au}")).await;
            assert_agrees_with_rows(&db, &window.json, where_departement, du, au);
        }
    }
}

/// `statistiques-departements.csv`: the list flattened, one row per département, each value that
/// of its JSON field.
async fn the_departements_flattened_in_csv(db: TestDb) {
    let app = app_on(&db).await;
    story(&app).await;
    let csv = public(
        &app,
        "/api/v1/exports/statistiques-departements.csv?du=2021-07-01",
    )
    .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        csv.header("content-disposition"),
        "attachment; filename=\"statistiques-departements.csv\""
    );
    let lines: Vec<&str> = csv.text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines.len() as i64 - 1,
        count(&db, "SELECT COUNT(*) AS n FROM departements")
    );
    let header: Vec<&str> = lines[0].split(',').collect();
    let row_93: Vec<&str> = lines
        .iter()
        .find(|l| l.starts_with("93,"))
        .unwrap()
        .split(',')
        .collect();
    let field = |name: &str| row_93[header.iter().position(|h| *h == name).unwrap()];
    let json = public(&app, "/api/v1/statistiques/departements/93?du=2021-07-01")
        .await
        .json;
    assert_eq!(field("nom"), "Seine-Saint-Denis");
    assert_eq!(field("postes_objectif"), "80");
    assert_eq!(
        field("postes_attribues"),
        json["postes"]["attribues"].to_string()
    );
    assert_eq!(field("postes_taux_pourvus_pct"), "25");
    assert_eq!(field("postes_par_etat_vacant"), "4");
    assert_eq!(field("postes_par_typologie_conseiller_occupe"), "2");
    assert_eq!(field("postes_vacants_plus_de_180_jours"), "0");
    assert_eq!(field("conseillers_recrutement_local_pct"), "66.7");
    assert_eq!(field("conventions_en_retard"), "1");
    assert_eq!(
        field("financement_postes_conseillers_verse_centimes"),
        (100_000 * EURO).to_string()
    );
    assert_eq!(
        field("financement_mixte_montant_centimes"),
        (1_000_000 * EURO).to_string()
    );
    assert_eq!(field("financement_materiel_montant_centimes"), "0");
    assert_eq!(field("activites_nombre"), "1", "the period applies");
    assert_eq!(field("activites_par_thematique_budget"), "1");
    assert_eq!(field("activites_par_type_lieu_lieu_activite"), "1");
    assert_eq!(field("activites_par_type_lieu_a_distance"), "0");
    // A département with nothing: empty goal and rates.
    let row_75: Vec<&str> = lines
        .iter()
        .find(|l| l.starts_with("75,"))
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(row_75[..7], ["75", "Paris", "", "0", "0", "0", ""]);
}

on_both_backends!(
    the_departements_flattened_in_csv,
    the_story_at_every_level,
    the_period_filters_activities_only,
    answers_are_cacheable,
    an_instance_reuses_an_answer_for_its_cache_time,
    statistics_agree_with_the_rows_after_a_random_workload,
);

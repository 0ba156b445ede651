//! The open-data exports through HTTP on both backends: the exact bytes of `subventions.csv`
//! (largest-remainder split, signatories before a split, annulled commitments, payments) and of
//! `lieux.csv` (lists joined by `|`), anonymous access, the headers, and files longer than one
//! batch (streamed in several chunks, complete and in order).

use crate::common;

use std::collections::BTreeSet;

use actix_web::body::{BodySize, MessageBody};
use actix_web::test as actix_test;
use cnfs_api::auth::Role;
use cnfs_api::domain::calendar::paris_date;
use cnfs_api::domain::codes::Siret;
use cnfs_api::domain::donnees_ouvertes::Attribuant;
use common::scenario::{admin, app_on_day, created_id, post, prefecture_93};
use common::{App, TestApp, TestDb, siret_for, token};
use serde_json::{Value, json};

const AGENCE: &str = "Caisse des dépôts et consignations,18002002600019";

/// "Today" for the exports: payments of 2021 are in the past.
const TODAY: &str = "2021-12-01";

/// Creates a structure of the 93; returns (id, SIRET).
async fn structure_with_siret(
    app: &TestApp<impl App>,
    siren: &str,
    nom: &str,
    kind: &str,
    commune: &str,
) -> (String, String) {
    let siret = siret_for(siren);
    let body = json!({"siret": siret, "nom": nom, "type": kind, "code_insee": commune});
    (
        created_id(&post(app, "/api/v1/structures", &admin(), body).await),
        siret,
    )
}

/// A convention of the 93 signed by `signataires` on 2021-02-08, with one post each, and, if
/// `split`, its hosting project splitting them one each; returns (id, numero). Unlike the shared
/// [`convention`](common::scenario::convention), never validated.
async fn signed_convention_one_post_each(
    app: &TestApp<impl App>,
    signataires: &[&str],
    split: bool,
) -> (String, String) {
    let created = post(
        app,
        "/api/v1/conventions",
        &prefecture_93(),
        json!({"departement": "93", "intitule": "CnFS 93", "signataires": signataires,
               "postes_attribues": signataires.len()}),
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
    if split {
        let repartition: Vec<Value> = signataires
            .iter()
            .map(|s| json!({"structure_id": s, "postes": 1}))
            .collect();
        let filed = post(
            app,
            &format!("{uri}/projet-accueil"),
            &prefecture_93(),
            json!({"repartition": repartition, "date_depot": "2021-03-01"}),
        )
        .await;
        assert_eq!(filed.status, 200, "{}", filed.text);
    }
    (id, signed.json["numero"].as_str().unwrap().to_owned())
}

/// An envelope of 10 M€ without per-post amount; returns its id.
async fn enveloppe(app: &TestApp<impl App>) -> String {
    created_id(
        &post(
            app,
            "/api/v1/enveloppes",
            &admin(),
            json!({"libelle": "Ville 93", "financeur": "Ministère de la Ville", "nature": "mixte",
                   "montant_centimes": 1_000_000_000i64, "date_debut": "2021-01-01",
                   "date_fin": "2023-12-31"}),
        )
        .await,
    )
}

/// A commitment of `montant` cents to `convention`, for `beneficiaire`; returns its id.
async fn engager(
    app: &TestApp<impl App>,
    enveloppe: &str,
    (convention, beneficiaire): (&str, &str),
    montant: i64,
    objet: &str,
) -> String {
    created_id(
        &app.as_(prefecture_93())
            .idempotency_key(uuid::Uuid::now_v7().to_string())
            .post(
                &format!("/api/v1/enveloppes/{enveloppe}/engagements"),
                &json!({"convention_id": convention, "beneficiaire_id": beneficiaire,
                         "montant_centimes": montant, "objet": objet,
                         "date_engagement": "2021-03-10"}),
            )
            .await,
    )
}

/// A payment of `montant` cents on `date`; returns its id.
async fn verser(app: &TestApp<impl App>, engagement: &str, montant: i64, date: &str) -> String {
    created_id(
        &post(
            app,
            &format!("/api/v1/engagements/{engagement}/versements"),
            &admin(),
            json!({"montant_centimes": montant, "date_versement": date, "reference": "MANDAT"}),
        )
        .await,
    )
}

/// Annuls a commitment (the préfecture) or cancels a payment (an admin).
async fn annuler(app: &TestApp<impl App>, uri: &str) {
    let who = if uri.contains("/versements/") {
        admin()
    } else {
        prefecture_93()
    };
    let done = post(app, uri, &who, json!({"motif": "Erreur."})).await;
    assert_eq!(done.status, 200, "{uri}: {}", done.text);
}

/// The story's file, byte for byte: one row per commitment, to its beneficiary, for its amount.
/// - 100,000.01 € to the centre (an association whose name needs quoting) in a convention split
///   among three hosts; three payments of which one cancelled: `échelonné`, the two live dates;
/// - 1,000.01 € to Montreuil in a convention signed by two structures and not split yet; one
///   payment: `unique`;
/// - an annulled commitment of 500 € to Aubervilliers with 120.01 € paid: its paid part;
/// - an annulled commitment never paid: no row.
async fn the_subventions_file_byte_for_byte(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let (aubervilliers, siret_a) = structure_with_siret(
        &app,
        "219300019",
        "Ville d'Aubervilliers",
        "commune",
        "93001",
    )
    .await;
    let (montreuil, siret_m) =
        structure_with_siret(&app, "219300480", "Ville de Montreuil", "commune", "93048").await;
    let (centre, siret_c) = structure_with_siret(
        &app,
        "775672272",
        "Centre social \"La Passerelle\", Bobigny",
        "association",
        "93008",
    )
    .await;
    let (split, numero_split) =
        signed_convention_one_post_each(&app, &[&aubervilliers, &montreuil, &centre], true).await;
    let (unsplit, numero_unsplit) =
        signed_convention_one_post_each(&app, &[&aubervilliers, &montreuil], false).await;
    let enveloppe = enveloppe(&app).await;

    let big = engager(
        &app,
        &enveloppe,
        (&split, &centre),
        10_000_001,
        "Postes, 2021-2023",
    )
    .await;
    verser(&app, &big, 3_000_000, "2021-04-01").await;
    let cancelled = verser(&app, &big, 1_000_000, "2021-05-01").await;
    verser(&app, &big, 3_000_000, "2021-06-01").await;
    annuler(&app, &format!("/api/v1/versements/{cancelled}/annulation")).await;

    let small = engager(
        &app,
        &enveloppe,
        (&unsplit, &montreuil),
        100_001,
        "Matériel",
    )
    .await;
    verser(&app, &small, 100_001, "2021-07-01").await;

    let paid_then_annulled = engager(
        &app,
        &enveloppe,
        (&unsplit, &aubervilliers),
        50_000,
        "Connexion",
    )
    .await;
    verser(&app, &paid_then_annulled, 12_001, "2021-08-02").await;
    annuler(
        &app,
        &format!("/api/v1/engagements/{paid_then_annulled}/annulation"),
    )
    .await;
    let never_paid = engager(
        &app,
        &enveloppe,
        (&unsplit, &aubervilliers),
        70_000,
        "Formation",
    )
    .await;
    annuler(
        &app,
        &format!("/api/v1/engagements/{never_paid}/annulation"),
    )
    .await;

    let answer = app.anonymous().get("/api/v1/exports/subventions.csv").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        answer.header("content-disposition"),
        "attachment; filename=\"subventions.csv\""
    );
    let centre_name = "\"Centre social \"\"La Passerelle\"\", Bobigny\"";
    let row = |numero: &str,
               (nom, siret): (&str, &str),
               (objet, montant): (&str, &str),
               versement: &str| {
        format!(
            "{AGENCE},2021-02-08,{numero},{nom},{siret},{objet},{montant},aide en numéraire,\
             {versement},,non,\r\n"
        )
    };
    let expected = format!(
        "nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,\
         idBeneficiaire,objet,montant,nature,conditionsVersement,datesPeriodeVersement,idRAE,\
         notificationUE,pourcentageSubvention\r\n{}{}{}",
        row(
            &numero_split,
            (centre_name, &siret_c),
            ("\"Postes, 2021-2023\"", "100000.01"),
            "échelonné,2021-04-01;2021-06-01"
        ),
        row(
            &numero_unsplit,
            ("Ville de Montreuil", &siret_m),
            ("Matériel", "1000.01"),
            "unique,2021-07-01"
        ),
        row(
            &numero_unsplit,
            ("Ville d'Aubervilliers", &siret_a),
            ("Connexion", "120.01"),
            "unique,2021-08-02"
        ),
    );
    assert_eq!(answer.text, expected);

    // The rows of each commitment add up to what it publishes, to the cent.
    let mut reader = csv::Reader::from_reader(answer.text.as_bytes());
    let cents: i64 = reader
        .records()
        .map(|r| r.unwrap()[7].replace('.', "").parse::<i64>().unwrap())
        .sum();
    assert_eq!(cents, 10_000_001 + 100_001 + 12_001);

    // The same file for a lecteur; the attributing body comes from the configuration.
    let lecteur = app
        .as_(token(Role::Lecteur, &[], None))
        .get("/api/v1/exports/subventions.csv")
        .await;
    assert_eq!(lecteur.text, expected);
    let configured = TestApp::over(db.state().with_attribuant(Attribuant {
        nom: "Préfecture de la Seine-Saint-Denis, DDETS".to_owned(),
        siret: Siret::parse("17930001400018").unwrap(),
    }))
    .await;
    let answer = configured
        .anonymous()
        .get("/api/v1/exports/subventions.csv")
        .await;
    assert_eq!(
        answer.text,
        expected.replace(
            AGENCE,
            "\"Préfecture de la Seine-Saint-Denis, DDETS\",17930001400018"
        )
    );
}

/// Lieux: every column of the standard, lists joined by `|`, the commune from the référentiel,
/// `pivot` the structure's SIRET, `date_maj` the date of the last change.
async fn the_lieux_file_byte_for_byte(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let (aubervilliers, siret_a) = structure_with_siret(
        &app,
        "219300019",
        "Ville d'Aubervilliers",
        "commune",
        "93001",
    )
    .await;
    let full = post(
        &app,
        "/api/v1/lieux",
        &admin(),
        json!({"structure_id": aubervilliers, "nom": "Médiathèque \"André Breton\", annexe",
               "adresse": "1 rue Édouard Poisson", "code_postal": "93300", "code_insee": "93001",
               "latitude": 48.9146, "longitude": 2.3821,
               "horaires": "Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00",
               "telephone": "+33148392000",
               "courriels": ["mediatheque@example.org", "accueil@example.org"],
               "site_web": ["https://mediatheque.example.org/", "https://www.example.org/numerique"],
               "itinerance": ["Fixe", "Itinérant"],
               "services": ["Aide aux démarches administratives", "Compréhension du monde numérique"],
               "modalites_acces": ["Se présenter", "Téléphoner"],
               "publics_specifiquement_adresses": ["Seniors", "Familles et/ou enfants"]}),
    )
    .await;
    let full_id = created_id(&full);
    // The second lieu says only what is required; it is changed once.
    let bare_id = created_id(
        &post(
            &app,
            "/api/v1/lieux",
            &admin(),
            json!({"structure_id": aubervilliers, "nom": "Espace public numérique",
                   "adresse": "2 place de la Mairie", "code_postal": "93300", "code_insee": "93001"}),
        )
        .await,
    );
    let changed = app
        .as_(admin())
        .if_match("\"1\"")
        .patch(
            &format!("/api/v1/lieux/{bare_id}"),
            json!({"nom": "Espace public numérique Jean Moulin"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let date_maj = |body: &Value| {
        let instant = body["modifie_le"].as_str().unwrap();
        paris_date(instant.parse::<chrono::DateTime<chrono::Utc>>().unwrap()).to_string()
    };

    let answer = app.anonymous().get("/api/v1/exports/lieux.csv").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        answer.header("content-disposition"),
        "attachment; filename=\"lieux.csv\""
    );
    let expected = format!(
        "id,pivot,nom,commune,code_postal,code_insee,adresse,complement_adresse,latitude,longitude,\
         typologie,telephone,courriels,site_web,horaires,presentation_resume,presentation_detail,\
         source,itinerance,structure_parente,date_maj,services,publics_specifiquement_adresses,\
         prise_en_charge_specifique,frais_a_charge,dispositif_programmes_nationaux,\
         formations_labels,autres_formations_labels,modalites_acces,modalites_accompagnement,\
         fiche_acces_libre,prise_rdv\r\n\
         {full_id},{siret_a},\"Médiathèque \"\"André Breton\"\", annexe\",Aubervilliers,93300,93001,\
         1 rue Édouard Poisson,,48.9146,2.3821,,+33148392000,\
         mediatheque@example.org|accueil@example.org,\
         https://mediatheque.example.org/|https://www.example.org/numerique,\
         \"Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00\",,,cnfs-api,Fixe|Itinérant,,{},\
         Aide aux démarches administratives|Compréhension du monde numérique,\
         Seniors|Familles et/ou enfants,,,Conseillers numériques,,,Se présenter|Téléphoner,,,\r\n\
         {bare_id},{siret_a},Espace public numérique Jean Moulin,Aubervilliers,93300,93001,\
         2 place de la Mairie,,,,,,,,,,,cnfs-api,,,{},,,,,Conseillers numériques,,,,,,\r\n",
        date_maj(&full.json),
        date_maj(&changed.json),
    );
    assert_eq!(answer.text, expected);
}

/// Unknown parameters are refused, as on every operation.
/// A text a spreadsheet would run as a formula reaches a public file as text (a leading
/// apostrophe); numbers, negative ones included, stay numbers.
async fn formulas_are_written_as_text(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let (aubervilliers, _) = structure_with_siret(
        &app,
        "219300019",
        "Ville d'Aubervilliers",
        "commune",
        "93001",
    )
    .await;
    let id = created_id(
        &post(
            &app,
            "/api/v1/lieux",
            &admin(),
            json!({"structure_id": aubervilliers, "nom": "=HYPERLINK(\"https://example.org\",\"clic\")",
                   "adresse": "@SUM(1+1)", "code_postal": "93300", "code_insee": "93001",
                   "latitude": 48.9146, "longitude": -2.3821}),
        )
        .await,
    );
    let stored = app.anonymous().get(&format!("/api/v1/lieux/{id}")).await;
    assert_eq!(
        stored.json["adresse"], "@SUM(1+1)",
        "the API keeps what was sent"
    );
    let answer = app.anonymous().get("/api/v1/exports/lieux.csv").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let line = answer.text.lines().nth(1).unwrap();
    assert!(
        line.contains(",\"'=HYPERLINK(\"\"https://example.org\"\",\"\"clic\"\")\",Aubervilliers,"),
        "{line}"
    );
    assert!(line.contains(",'@SUM(1+1),,48.9146,-2.3821,"), "{line}");
}

async fn unknown_parameters_are_refused(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    for uri in [
        "/api/v1/exports/subventions.csv?departement=93",
        "/api/v1/exports/lieux.csv?format=json",
    ] {
        let answer = app.anonymous().get(uri).await;
        answer.assert_problem(400, "parametre_invalide");
    }
    // Empty database: the header alone.
    let answer = app.anonymous().get("/api/v1/exports/subventions.csv").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text.lines().count(), 1);
    assert!(answer.text.starts_with("nomAttribuant,idAttribuant,"));
}

/// Reads a response body chunk by chunk: the chunks, and the size the body announced.
async fn chunks(app: &TestApp<impl App>, uri: &str) -> (BodySize, Vec<actix_web::web::Bytes>) {
    let response =
        actix_test::call_service(app, actix_test::TestRequest::get().uri(uri).to_request()).await;
    assert_eq!(response.status(), 200);
    let body = response.into_body();
    let size = body.size();
    let mut body = Box::pin(body);
    let mut chunks = Vec::new();
    while let Some(chunk) = std::future::poll_fn(|cx| body.as_mut().poll_next(cx)).await {
        chunks.push(chunk.unwrap_or_else(|_| panic!("{uri}: a chunk failed")));
    }
    (size, chunks)
}

/// `n` new UUID v7, sorted (the exports' order).
fn ids(n: usize) -> Vec<String> {
    let mut ids: Vec<String> = (0..n).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    ids.sort();
    ids
}

/// Runs multi-row inserts of `rows` (SQL value tuples) into `table (columns)`, 200 rows a statement.
fn insert_many(db: &TestDb, table: &str, columns: &str, rows: &[String]) {
    use diesel::connection::SimpleConnection;
    let mut conn = db.conn();
    for chunk in rows.chunks(200) {
        let sql = format!(
            "INSERT INTO {table} ({columns}) VALUES {};",
            chunk.join(", ")
        );
        conn.batch_execute(&sql).expect("rows inserted");
    }
}

/// More rows than two batches (500 each): the files are streamed in several chunks and complete,
/// every row once, in order; the split still adds up on every commitment.
async fn files_longer_than_a_batch_are_streamed_whole(db: TestDb) {
    let app = app_on_day(&db, TODAY).await;
    let (aubervilliers, siret_a) = structure_with_siret(
        &app,
        "219300019",
        "Ville d'Aubervilliers",
        "commune",
        "93001",
    )
    .await;
    let (montreuil, _) =
        structure_with_siret(&app, "219300480", "Ville de Montreuil", "commune", "93048").await;
    let (convention, _) =
        signed_convention_one_post_each(&app, &[&aubervilliers, &montreuil], true).await;
    let enveloppe = enveloppe(&app).await;

    const LIEUX: usize = 1_234;
    let lieux = ids(LIEUX);
    let now = "'2021-06-01T10:00:00.000000Z'";
    let rows: Vec<String> = lieux
        .iter()
        .enumerate()
        .map(|(n, id)| {
            format!(
                "('{id}', '{aubervilliers}', 'Lieu {n}', '{n} rue de la Paix', '93300', '93001', \
                 '93', '[]', '[]', '[\"Fixe\"]', '[]', '[]', '[]', 1, {now}, {now})"
            )
        })
        .collect();
    insert_many(
        &db,
        "lieux",
        "id, structure_id, nom, adresse, code_postal, code_insee, departement, courriels, \
         site_web, itinerance, services, modalites_acces, publics_specifiquement_adresses, \
         version, cree_le, modifie_le",
        &rows,
    );
    let (size, parts) = chunks(&app, "/api/v1/exports/lieux.csv").await;
    assert_eq!(size, BodySize::Stream);
    assert!(parts.len() >= 3, "{} chunks for 3 batches", parts.len());
    let file: Vec<u8> = parts.concat();
    let mut reader = csv::Reader::from_reader(&file[..]);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), LIEUX);
    let exported: Vec<&str> = records.iter().map(|r| &r[0]).collect();
    assert_eq!(exported, lieux, "every lieu once, by id");
    for (n, record) in records.iter().enumerate() {
        assert_eq!(record.len(), 32);
        assert_eq!(&record[1], siret_a);
        assert_eq!(&record[2], format!("Lieu {n}"));
        assert_eq!(&record[20], "2021-06-01");
    }

    const ENGAGEMENTS: usize = 1_001;
    let engagements = ids(ENGAGEMENTS);
    let rows: Vec<String> = engagements
        .iter()
        .enumerate()
        .map(|(n, id)| {
            format!(
                "('{id}', '{enveloppe}', '{convention}', '93', {}, 0, '2021-03-10', 'Lot {n}', \
                 'actif', 1, {now}, {now}, '{aubervilliers}')",
                1 + n
            )
        })
        .collect();
    insert_many(
        &db,
        "engagements",
        "id, enveloppe_id, convention_id, departement, montant_centimes, verse_centimes, \
         date_engagement, objet, statut, version, cree_le, modifie_le, beneficiaire_id",
        &rows,
    );
    let (size, parts) = chunks(&app, "/api/v1/exports/subventions.csv").await;
    assert_eq!(size, BodySize::Stream);
    assert!(parts.len() >= 3, "{} chunks for 3 batches", parts.len());
    let file: Vec<u8> = parts.concat();
    let mut reader = csv::Reader::from_reader(&file[..]);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), ENGAGEMENTS, "one row per commitment");
    let objets: BTreeSet<&str> = records.iter().map(|r| &r[6]).collect();
    assert_eq!(objets.len(), ENGAGEMENTS);
    for (n, record) in records.iter().enumerate() {
        assert_eq!(&record[6], format!("Lot {n}"), "in commitment order");
        assert_eq!(&record[5], siret_a);
        let cents = record[7].replace('.', "").parse::<i64>().unwrap();
        assert_eq!(cents, 1 + n as i64);
    }
}

on_both_backends!(
    the_subventions_file_byte_for_byte,
    the_lieux_file_byte_for_byte,
    formulas_are_written_as_text,
    unknown_parameters_are_refused,
    files_longer_than_a_batch_are_streamed_whole,
);

//! The national seed (`cnfs-api seed --scale national`) on both backends, small (20,000
//! activities; CI never runs the national one): every invariant of the domain holds afterwards,
//! checked in SQL from the rows; the statistics endpoints equal a recomputation from the rows;
//! the same graine gives the same rows, ids included; a database with programme data is refused
//! without `--force` and added to with it; its posts meet the rules the upgrade's posts meet, and
//! a recruitment through the API takes one.

use crate::common;

use std::cell::RefCell;
use std::collections::BTreeMap;

use cnfs_api::auth::Role;
use cnfs_api::db::DbConn;
use cnfs_api::domain::activite::{Thematique, check_thematiques};
use cnfs_api::domain::codes::Siret;
use cnfs_api::seed::national::{Options, SeedError, seed_national};
use common::statistiques::{assert_agrees_with_rows, count_on, figures, figures_on};
use common::{App, TestApp, TestDb, count, token};
use serde_json::json;
use sha2::{Digest, Sha256};

/// "Today" of these tests: after the activities' last day (2024-12-31).
const TODAY: &str = "2025-06-30";
const ACTIVITES: u64 = 20_000;

fn options(graine: u64, activites: u64, force: bool) -> Options {
    Options {
        graine,
        activites,
        force,
        today: TODAY.parse().unwrap(),
    }
}

fn seed(db: &TestDb, options: &Options) -> Result<cnfs_api::seed::national::Bilan, SeedError> {
    seed_national(&mut db.conn(), options, &mut |_| {})
}

/// Queries over one connection (PostgreSQL connections are not free).
struct Rows {
    conn: RefCell<DbConn>,
}

impl Rows {
    fn new(db: &TestDb) -> Rows {
        Rows {
            conn: RefCell::new(db.conn()),
        }
    }

    /// The number `sql` selects.
    fn count(&self, sql: &str) -> i64 {
        count_on(&mut self.conn.borrow_mut(), sql)
    }

    /// The `(k, n)` rows of `sql`.
    fn figures(&self, sql: &str) -> Vec<(String, i64)> {
        figures_on(&mut self.conn.borrow_mut(), sql)
    }

    /// Asserts that `sql` (a `SELECT COUNT(*) AS n …` of the rows breaking a rule) counts none.
    fn none(&self, rule: &str, sql: &str) {
        assert_eq!(self.count(sql), 0, "{rule}: {sql}");
    }
}

/// Every invariant of the domain, in SQL over the rows (`runs`: national seeds in the database).
fn assert_invariants(db: &TestDb, runs: i64, activites: i64) {
    let db = &Rows::new(db);
    // Territories and posts.
    db.none(
        "every département has conventions",
        "SELECT COUNT(*) AS n FROM departements d WHERE NOT EXISTS \
         (SELECT 1 FROM conventions c WHERE c.departement = d.code)",
    );
    assert_eq!(
        db.count("SELECT CAST(SUM(postes_attribues) AS BIGINT) AS n FROM conventions"),
        4000 * runs
    );
    db.none(
        "a filed project splits every post",
        "SELECT COUNT(*) AS n FROM conventions c WHERE c.date_depot IS NOT NULL AND \
         c.postes_attribues <> (SELECT COALESCE(SUM(r.postes), 0) FROM conventions_repartition r \
         WHERE r.convention_id = c.id)",
    );
    db.none(
        "no split before a project",
        "SELECT COUNT(*) AS n FROM conventions_repartition r JOIN conventions c \
         ON c.id = r.convention_id WHERE c.date_depot IS NULL OR c.repartition = '[]'",
    );
    db.none(
        "signed by at least one structure",
        "SELECT COUNT(*) AS n FROM conventions c WHERE c.signataires = '[]' OR NOT EXISTS \
         (SELECT 1 FROM conventions_signataires s WHERE s.convention_id = c.id)",
    );
    db.none(
        "the JSON copy of the signatories names each one",
        "SELECT COUNT(*) AS n FROM conventions_signataires s JOIN conventions c \
         ON c.id = s.convention_id WHERE c.signataires NOT LIKE '%' || s.structure_id || '%'",
    );
    db.none(
        "signatories and hosts are of the convention's département",
        "SELECT COUNT(*) AS n FROM conventions c JOIN structures st ON st.id IN \
         (SELECT structure_id FROM conventions_signataires WHERE convention_id = c.id \
          UNION SELECT structure_id FROM conventions_repartition WHERE convention_id = c.id) \
         WHERE st.departement <> c.departement",
    );
    db.none(
        "the deadline is the signature + délai",
        "SELECT COUNT(*) AS n FROM conventions WHERE date_signature IS NOT NULL AND \
         (date_limite_projet <= date_signature OR delai_projet_mois NOT IN (2, 3))",
    );
    for row in db.figures(
        "SELECT date_signature || '/' || date_limite_projet AS k, delai_projet_mois AS n \
         FROM conventions",
    ) {
        let (signature, limite) = row.0.split_once('/').unwrap();
        let expected = cnfs_api::domain::convention::date_limite_projet(
            signature.parse().unwrap(),
            row.1 as u32,
        )
        .unwrap();
        assert_eq!(limite, expected.to_string());
    }

    // Structures: real SIRENs of the référentiel, Luhn-valid SIRETs.
    db.none(
        "a commune's SIREN is the référentiel's",
        "SELECT COUNT(*) AS n FROM structures s JOIN communes c ON c.code_insee = s.code_insee \
         WHERE s.type = 'commune' AND (c.siren IS NULL OR c.siren <> s.siren)",
    );
    db.none("an EPCI's SIREN is one its seat belongs to",
        "SELECT COUNT(*) AS n FROM structures s WHERE s.type = 'epci' AND NOT EXISTS \
         (SELECT 1 FROM epci_membres m WHERE m.epci_siren = s.siren AND m.code_insee = s.code_insee)",
    );
    db.none(
        "a structure is of its seat's département",
        "SELECT COUNT(*) AS n FROM structures s JOIN communes c ON c.code_insee = s.code_insee \
         WHERE c.departement <> s.departement OR NOT c.actuelle",
    );
    for (siret, _) in db.figures("SELECT siret AS k, CAST(0 AS BIGINT) AS n FROM structures") {
        assert!(Siret::is_valid(&siret), "{siret}");
    }

    // Money.
    db.none(
        "an envelope's engaged sum is its commitments'",
        "SELECT COUNT(*) AS n FROM enveloppes e WHERE e.engage_centimes <> (SELECT COALESCE(SUM(\
         CASE WHEN g.statut = 'actif' THEN g.montant_centimes ELSE g.verse_centimes END), 0) \
         FROM engagements g WHERE g.enveloppe_id = e.id)",
    );
    db.none(
        "an envelope's paid sum is its payments'",
        "SELECT COUNT(*) AS n FROM enveloppes e WHERE e.verse_centimes <> (SELECT \
         COALESCE(SUM(v.montant_centimes), 0) FROM versements v JOIN engagements g \
         ON g.id = v.engagement_id WHERE g.enveloppe_id = e.id AND v.statut = 'effectue')",
    );
    db.none(
        "a commitment's paid sum is its payments'",
        "SELECT COUNT(*) AS n FROM engagements g WHERE g.verse_centimes <> (SELECT \
         COALESCE(SUM(v.montant_centimes), 0) FROM versements v WHERE v.engagement_id = g.id \
         AND v.statut = 'effectue')",
    );
    db.none(
        "a département's sums are its commitments' and payments'",
        "SELECT COUNT(*) AS n FROM enveloppes_departements d WHERE d.engage_centimes <> \
         (SELECT COALESCE(SUM(CASE WHEN g.statut = 'actif' THEN g.montant_centimes ELSE \
         g.verse_centimes END), 0) FROM engagements g WHERE g.enveloppe_id = d.enveloppe_id AND \
         g.departement = d.departement) OR \
         d.verse_centimes <> (SELECT COALESCE(SUM(g.verse_centimes), 0) FROM engagements g \
         WHERE g.enveloppe_id = d.enveloppe_id AND g.departement = d.departement)",
    );
    db.none(
        "ceilings within the envelope, engaged within ceilings and amounts",
        "SELECT COUNT(*) AS n FROM enveloppes e WHERE e.montant_centimes < (SELECT \
         COALESCE(SUM(plafond_centimes), 0) FROM enveloppes_departements d WHERE \
         d.enveloppe_id = e.id) OR e.engage_centimes > e.montant_centimes OR EXISTS (SELECT 1 \
         FROM enveloppes_departements d WHERE d.enveloppe_id = e.id AND \
         d.engage_centimes > d.plafond_centimes)",
    );
    db.none(
        "a convention is funded at most posts × its employers' highest tariff",
        "SELECT COUNT(*) AS n FROM conventions c JOIN enveloppes e ON EXISTS (SELECT 1 FROM \
         baremes b WHERE b.enveloppe_id = e.id) WHERE (SELECT COALESCE(SUM(g.montant_centimes), 0) \
         FROM engagements g WHERE g.convention_id = c.id AND g.enveloppe_id = e.id) > \
         c.postes_attribues * (SELECT MAX(b.montant_par_poste_centimes) FROM baremes b WHERE \
         b.enveloppe_id = e.id)",
    );
    db.none(
        "payments within their commitment",
        "SELECT COUNT(*) AS n FROM engagements WHERE verse_centimes > montant_centimes",
    );
    db.none(
        "money dates: commitment after the signature and in the period, payment after it",
        "SELECT COUNT(*) AS n FROM engagements g JOIN conventions c ON c.id = g.convention_id \
         JOIN enveloppes e ON e.id = g.enveloppe_id WHERE g.date_engagement < c.date_signature \
         OR g.date_engagement < e.date_debut OR g.date_engagement > e.date_fin OR EXISTS \
         (SELECT 1 FROM versements v WHERE v.engagement_id = g.id AND \
         v.date_versement < g.date_engagement)",
    );
    assert_eq!(
        db.count("SELECT CAST(SUM(engage_centimes) AS BIGINT) AS n FROM enveloppes"),
        20_000_000_000 * runs
    );

    // Advisors.
    db.none(
        "active advisors within each host's posts",
        "SELECT COUNT(*) AS n FROM conventions_repartition r WHERE r.postes < (SELECT COUNT(*) \
         FROM conseillers a WHERE a.convention_id = r.convention_id AND a.structure_id = \
         r.structure_id AND a.fin_contrats IS NULL)",
    );
    db.none(
        "an advisor's employer is a host of its convention",
        "SELECT COUNT(*) AS n FROM conseillers a WHERE NOT EXISTS (SELECT 1 FROM \
         conventions_repartition r WHERE r.convention_id = a.convention_id AND \
         r.structure_id = a.structure_id)",
    );
    db.none(
        "posts filled = active advisors",
        "SELECT COUNT(*) AS n FROM conventions c WHERE c.postes_pourvus <> (SELECT COUNT(*) \
         FROM conseillers a WHERE a.convention_id = c.id AND a.fin_contrats IS NULL)",
    );
    db.none(
        "recruited on a validated convention, active only while it runs, of its département",
        "SELECT COUNT(*) AS n FROM conseillers a JOIN conventions c ON c.id = a.convention_id \
         WHERE c.date_validation IS NULL OR a.date_recrutement < c.date_validation OR \
         a.departement <> c.departement OR (a.fin_contrats IS NULL AND c.statut <> 'en_execution') \
         OR (c.statut = 'terminee' AND a.fin_contrats > c.date_cloture)",
    );
    db.none(
        "in post at a lieu of the employer",
        "SELECT COUNT(*) AS n FROM conseillers a LEFT JOIN lieux l ON l.id = a.lieu_id \
         WHERE (a.date_prise_poste IS NOT NULL AND a.fin_contrats IS NULL AND l.id IS NULL) \
         OR l.structure_id <> a.structure_id",
    );
    db.none(
        "local recruitment = lives in the convention's département",
        "SELECT COUNT(*) AS n FROM conseillers a JOIN communes c ON c.code_insee = \
         a.commune_residence WHERE CASE WHEN c.departement = a.departement THEN 1 ELSE 0 END \
         <> CASE WHEN a.recrutement_local THEN 1 ELSE 0 END",
    );
    db.none(
        "fictitious e-mails",
        "SELECT COUNT(*) AS n FROM conseillers WHERE email NOT LIKE '%@example.org'",
    );
    for (stage, condition) in [
        (
            "recruited",
            "date_debut_formation IS NULL AND fin_contrats IS NULL",
        ),
        (
            "in training",
            "date_debut_formation IS NOT NULL AND date_certification IS NULL",
        ),
        (
            "certified",
            "date_certification IS NOT NULL AND date_prise_poste IS NULL",
        ),
        (
            "at a lieu",
            "date_prise_poste IS NOT NULL AND fin_contrats IS NULL",
        ),
        ("gone", "fin_contrats IS NOT NULL"),
    ] {
        assert!(
            db.count(&format!(
                "SELECT COUNT(*) AS n FROM conseillers WHERE {condition}"
            )) > 0,
            "advisors at every stage: {stage}"
        );
    }
    let max_date = db.figures(
        "SELECT COALESCE(MAX(d), '') AS k, CAST(0 AS BIGINT) AS n FROM (SELECT fin_contrats AS d \
         FROM conseillers UNION ALL SELECT date_prise_poste FROM conseillers UNION ALL SELECT \
         date_versement FROM versements UNION ALL SELECT date_cloture FROM conventions \
         UNION ALL SELECT date FROM activites) x WHERE d IS NOT NULL",
    );
    assert!(max_date[0].0.as_str() <= "2024-12-31" && max_date[0].0.as_str() <= TODAY);

    // Lieux.
    db.none(
        "a lieu's postcode is one of its commune's",
        "SELECT COUNT(*) AS n FROM lieux l JOIN communes c ON c.code_insee = l.code_insee WHERE \
         c.departement <> l.departement OR NOT EXISTS (SELECT 1 FROM communes_codes_postaux p \
         WHERE p.code_insee = l.code_insee AND p.code_postal = l.code_postal)",
    );

    // Activities.
    assert_eq!(db.count("SELECT COUNT(*) AS n FROM activites"), activites);
    db.none(
        "by an advisor in post, of its employer and département, since the post was taken",
        "SELECT COUNT(*) AS n FROM activites x JOIN conseillers a ON a.id = x.conseiller_id \
         JOIN lieux l ON l.id = x.lieu_id WHERE a.fin_contrats IS NOT NULL OR x.date < \
         a.date_prise_poste OR x.structure_id <> a.structure_id OR x.departement <> \
         a.departement OR l.structure_id <> x.structure_id OR x.date < '2021-01-01' \
         OR x.supprime_le IS NOT NULL OR x.cree_le < x.date",
    );
    for (themes, n) in db.figures(
        "SELECT thematiques AS k, CAST(COUNT(*) AS BIGINT) AS n FROM activites \
         GROUP BY thematiques",
    ) {
        let parsed: Vec<Thematique> = serde_json::from_str(&themes).unwrap();
        assert!(
            check_thematiques(&parsed).is_ok() && parsed.len() <= 3,
            "{themes}"
        );
        assert!(n > 0);
    }
    let spread = db.figures(
        "SELECT substr(date, 1, 4) AS k, CAST(COUNT(*) AS BIGINT) AS n FROM activites \
         GROUP BY substr(date, 1, 4) ORDER BY k",
    );
    let years: Vec<&str> = spread.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(years, ["2021", "2022", "2023", "2024"], "{spread:?}");

    // The aggregates are the rows' sums, day by day and month by month, sum by sum: every
    // (département, period) of the rows has its aggregate with the same sums, and there is no
    // other aggregate.
    let mut sums: Vec<(String, String)> = [
        ("nombre", "COUNT(*)"),
        ("participants", "SUM(nb_participants)"),
        ("minutes", "SUM(duree_minutes)"),
    ]
    .iter()
    .map(|(c, e)| ((*c).to_owned(), (*e).to_owned()))
    .collect();
    for theme in Thematique::TEXTS {
        sums.push((
            format!("t_{theme}"),
            format!("SUM(CASE WHEN thematiques LIKE '%\"{theme}\"%' THEN 1 ELSE 0 END)"),
        ));
    }
    let selected = sums
        .iter()
        .map(|(column, expression)| format!("CAST({expression} AS BIGINT) AS {column}"))
        .collect::<Vec<_>>()
        .join(", ");
    let differs = sums
        .iter()
        .map(|(column, _)| format!("j.{column} <> r.{column}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    for (table, period, grain) in [
        ("activites_jour", "jour", "date"),
        ("activites_mois", "mois", "substr(date, 1, 7)"),
    ] {
        let recomputed = format!(
            "SELECT departement, {grain} AS {period}, {selected} FROM activites \
             WHERE supprime_le IS NULL GROUP BY departement, {grain}"
        );
        db.none(
            &format!("{table}: each period's sums are its rows'"),
            &format!(
                "SELECT COUNT(*) AS n FROM ({recomputed}) r LEFT JOIN {table} j ON \
                 j.departement = r.departement AND j.{period} = r.{period} \
                 WHERE j.{period} IS NULL OR {differs}"
            ),
        );
        assert_eq!(
            db.count(&format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE nombre > 0"
            )),
            db.count(&format!("SELECT COUNT(*) AS n FROM ({recomputed}) r")),
            "{table}: no sums without rows"
        );
        db.none(
            &format!("{table}: an empty period sums nothing"),
            &format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE nombre = 0 AND (participants <> 0 OR \
                 minutes <> 0)"
            ),
        );
    }
}

/// National and departmental statistics through HTTP equal the recomputation from the rows.
/// `departements`: the codes to read besides the national figures; the first one (and the
/// national figures) are read over a period too.
async fn assert_statistics_agree(app: &TestApp<impl App>, db: &TestDb, departements: &[&str]) {
    let mut uris = vec![("/api/v1/statistiques".to_owned(), String::new())];
    for code in departements {
        uris.push((
            format!("/api/v1/statistiques/departements/{code}"),
            format!("AND departement = '{code}'"),
        ));
    }
    for (rank, (uri, where_departement)) in uris.into_iter().enumerate() {
        let stats = app.anonymous().get(&uri).await;
        assert_eq!(stats.status, 200, "{uri}: {}", stats.text);
        assert_agrees_with_rows(db, &stats.json, &where_departement, "0000", "9999");
        if rank > 1 {
            continue;
        }
        let window = app
            .anonymous()
            .get(&format!("{uri}?du=2022-03-15&au=2023-06-30"))
            .await;
        assert_agrees_with_rows(
            db,
            &window.json,
            &where_departement,
            "2022-03-15",
            "2023-06-30",
        );
    }
}

/// One territory's statistics (its months summed by the database) equal its item in the lists
/// (read per département and month): every région and département, over all time and over a
/// period whose ends are partial months.
async fn assert_each_territory_as_in_its_list(app: &TestApp<impl App>) {
    for period in ["", "?du=2022-03-15&au=2023-06-30"] {
        for level in ["regions", "departements"] {
            let list = app
                .anonymous()
                .get(&format!("/api/v1/statistiques/{level}{period}"))
                .await;
            assert_eq!(list.status, 200, "{}", list.text);
            let items = list.json["items"].as_array().unwrap();
            assert!(items.len() > 10, "{level}");
            for item in items {
                let code = item["territoire"]["code"].as_str().unwrap();
                let uri = format!("/api/v1/statistiques/{level}/{code}{period}");
                let one = app.anonymous().get(&uri).await;
                assert_eq!(one.status, 200, "{uri}: {}", one.text);
                assert_eq!(&one.json, item, "{uri}");
            }
        }
    }
}

async fn the_national_seed_keeps_every_invariant(db: TestDb) {
    let bilan = seed(&db, &options(12, ACTIVITES, false)).expect("seeded");
    assert_eq!(bilan.comptes.activites, ACTIVITES);
    assert_eq!(bilan.comptes.postes, 4000);
    assert_eq!(
        bilan.comptes.departements as i64,
        count(&db, "SELECT COUNT(*) AS n FROM departements")
    );
    assert_invariants(&db, 1, ACTIVITES as i64);
    crate::migration::check_postes(&db);
    crate::migration::check_contrats(&db);
    crate::migration::check_lieux_conseillers(&db);
    assert_eq!(
        bilan.comptes.postes_attribues as i64,
        count(&db, "SELECT COUNT(*) AS n FROM postes")
    );

    let app = TestApp::over(db.state().with_today(Some(TODAY.parse().unwrap()))).await;
    let national = app.anonymous().get("/api/v1/statistiques").await;
    assert_eq!(national.json["postes"]["objectif"], 4000);
    assert_eq!(national.json["activites"]["nombre"], ACTIVITES);
    assert_eq!(
        national.json["financement"][0]["engage_centimes"],
        20_000_000_000_i64
    );
    // The Seine-Saint-Denis, Corse-du-Sud, an overseas collectivité (CCAS hosts) and the TAAF
    // (no postcode: no lieu, so no advisor in post and no activity).
    assert_statistics_agree(&app, &db, &["93", "2A", "987", "984"]).await;
    assert_each_territory_as_in_its_list(&app).await;

    // Programme data there: refused without --force, nothing written.
    let refused = seed(&db, &options(12, 1000, false)).unwrap_err();
    assert!(
        matches!(&refused, SeedError::DonneesPresentes(tables) if tables.iter().any(|(t, _)| *t == "activites")),
        "{refused}"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM activites"),
        ACTIVITES as i64
    );
    // With --force, the same graine adds a second dataset without collisions.
    let added = seed(&db, &options(12, 5_000, true)).expect("added");
    assert_ne!(added.graine, bilan.graine);
    assert_invariants(&db, 2, ACTIVITES as i64 + 5_000);
    crate::migration::check_postes(&db);
    crate::migration::check_contrats(&db);
    crate::migration::check_lieux_conseillers(&db);
    let app = TestApp::over(db.state().with_today(Some(TODAY.parse().unwrap()))).await;
    assert_statistics_agree(&app, &db, &["93"]).await;
}

/// A recruitment through the API on a convention in execution of the seed succeeds and takes
/// its host's advisor post vacant the longest; the posts still meet every rule afterwards.
async fn a_recruitment_takes_a_vacant_post_of_the_seed(db: TestDb) {
    seed(&db, &options(5, 1_000, false)).expect("seeded");
    let vacant = figures(
        &db,
        "SELECT p.convention_id || '|' || p.structure_id || '|' || p.id || '|' || p.depuis AS k, \
         CAST(0 AS BIGINT) AS n FROM postes p JOIN conventions c ON c.id = p.convention_id \
         WHERE c.statut = 'en_execution' AND p.etat = 'vacant' AND p.typologie = 'conseiller' \
         ORDER BY p.convention_id, p.structure_id, p.depuis, p.id LIMIT 1",
    );
    let (convention, rest) = vacant[0].0.split_once('|').expect("a vacant post");
    let fields: Vec<&str> = rest.split('|').collect();
    let (structure, poste, depuis) = (fields[0], fields[1], fields[2]);
    let pourvus = || {
        count(
            &db,
            &format!("SELECT postes_pourvus AS n FROM conventions WHERE id = '{convention}'"),
        )
    };
    let avant = pourvus();
    let app = TestApp::over(db.state().with_today(Some(TODAY.parse().unwrap()))).await;
    let employer = token(Role::Structure, &[], Some(structure));
    let recrutement = "2025-01-15";
    assert!(depuis <= recrutement, "vacant since {depuis}");
    let created = app
        .as_(&employer)
        .post(
            "/api/v1/conseillers",
            json!({
                "convention_id": convention, "structure_id": structure, "nom": "Recrue",
                "prenom": "Camille", "email": "recrue.seed@example.org",
                "commune_residence": "93001", "date_recrutement": recrutement,
                "type_contrat": "contrat_de_projet"
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let conseiller = created.json["id"].as_str().unwrap();
    let taken = figures(
        &db,
        &format!(
            "SELECT etat || '|' || COALESCE(conseiller_id, '-') || '|' || depuis AS k, \
             CAST(0 AS BIGINT) AS n FROM postes WHERE id = '{poste}'"
        ),
    );
    assert_eq!(
        taken[0].0,
        format!("occupe|{conseiller}|{recrutement}"),
        "the post vacant the longest is taken"
    );
    assert_eq!(pourvus(), avant + 1);
    crate::migration::check_postes(&db);
    crate::migration::check_contrats(&db);
    crate::migration::check_lieux_conseillers(&db);
}

/// A digest of every programme table's rows (ids included), each row as the text of its columns.
fn digest(db: &TestDb) -> BTreeMap<&'static str, String> {
    let tables = [
        "structures",
        "conventions",
        "conventions_signataires",
        "conventions_repartition",
        "conventions_numeros",
        "enveloppes",
        "enveloppes_departements",
        "engagements",
        "versements",
        "lieux",
        "conseillers",
        "postes",
        "postes_historique",
        "activites",
        "activites_jour",
        "activites_mois",
    ];
    let mut out = BTreeMap::new();
    for table in tables {
        let columns: Vec<String> = if db.is_postgres() {
            figures(
                db,
                &format!(
                    "SELECT CAST(column_name AS TEXT) AS k, CAST(ordinal_position AS BIGINT) AS n \
                     FROM information_schema.columns WHERE table_schema = current_schema() \
                     AND table_name = '{table}' ORDER BY n"
                ),
            )
        } else {
            figures(
                db,
                &format!(
                    "SELECT name AS k, CAST(cid AS BIGINT) AS n FROM pragma_table_info('{table}') \
                     ORDER BY n"
                ),
            )
        }
        .into_iter()
        .map(|(name, _)| name)
        .collect();
        assert!(!columns.is_empty(), "{table}");
        let row = columns
            .iter()
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), '-')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let mut rows: Vec<String> = figures(
            db,
            &format!("SELECT {row} AS k, CAST(0 AS BIGINT) AS n FROM {table}"),
        )
        .into_iter()
        .map(|(k, _)| k)
        .collect();
        assert!(!rows.is_empty(), "{table} has rows");
        rows.sort();
        let mut hasher = Sha256::new();
        for row in &rows {
            hasher.update(row.as_bytes());
            hasher.update(b"\n");
        }
        let hash: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        out.insert(table, format!("{} rows {hash}", rows.len()));
    }
    out
}

async fn the_same_graine_gives_the_same_rows(db: TestDb) {
    let fresh = || {
        if db.is_postgres() {
            TestDb::postgres().expect("PostgreSQL is there")
        } else {
            TestDb::sqlite()
        }
    };
    let other = fresh();
    let third = fresh();
    seed(&db, &options(99, 3_000, false)).expect("seeded");
    seed(&other, &options(99, 3_000, false)).expect("seeded again");
    seed(&third, &options(100, 3_000, false)).expect("seeded with another graine");
    let first = digest(&db);
    assert_eq!(first, digest(&other), "same graine, same rows");
    let different = digest(&third);
    for table in ["structures", "conventions", "conseillers", "activites"] {
        assert_ne!(first[table], different[table], "{table}: another graine");
    }
}

on_both_backends!(
    the_national_seed_keeps_every_invariant,
    the_same_graine_gives_the_same_rows,
    a_recruitment_takes_a_vacant_post_of_the_seed,
);

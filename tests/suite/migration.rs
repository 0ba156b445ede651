//! Upgrading a database of the previous release: its schema and data are rebuilt, then the later
//! migrations run, and nothing may be lost (issue 25's acceptance: every advisor, date and
//! statistic accounted for), on both backends.
//!
//! The previous release is commit c65732e, whose last migration is
//! `2026-12-05-000001_generations`. Its data was captured once, with its own binary, in
//! `tests/fixtures/previous_release/` (see `generate.sh` there): `data.sql` (the demo story and a
//! small national seed, as portable SQL), `counts.json` (rows per table, advisors per status) and
//! `statistiques.json` (what its statistics endpoints answered over that data).
//!
//! [`migrated`] builds such a database and upgrades it, keeping what it read in between
//! ([`Avant`]); each check is its own function, so that checks of the new tables can be added
//! beside them.

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use cnfs_api::db::{self, DbConn, referentiel};
use cnfs_api::db_run;
use common::statistiques::count_on;
use common::{TestApp, TestDb};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use serde_json::Value;

/// The previous release's last migration, as diesel records its version
/// (`2026-12-05-000001_generations`).
pub const DERNIERE_MIGRATION_PRECEDENTE: &str = "20261205000001";

/// "Today" when the fixture was generated (`AUJOURDHUI` of `generate.sh`): the statistics count
/// late conventions as of today, so the new answers are computed as of the same day.
pub const AUJOURDHUI: &str = "2026-12-07";

/// A file of the fixture.
fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/previous_release")
        .join(name)
}

fn read_fixture(name: &str) -> String {
    let path = fixture(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// `counts.json`: what the previous release held.
#[derive(Debug, serde::Deserialize)]
pub struct Comptes {
    /// Rows per dumped table.
    pub tables: BTreeMap<String, i64>,
    /// Advisors per status.
    pub conseillers_par_statut: BTreeMap<String, i64>,
}

/// The fixture's counts.
pub fn comptes() -> Comptes {
    serde_json::from_str(&read_fixture("counts.json")).expect("counts.json")
}

/// `statistiques.json`: each statistics answer of the previous release, keyed by path and query.
pub fn statistiques_enregistrees() -> BTreeMap<String, Value> {
    serde_json::from_str(&read_fixture("statistiques.json")).expect("statistiques.json")
}

/// One advisor's path: status and dates (exit reason with the exit date).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, diesel::QueryableByName)]
pub struct Parcours {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub statut: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub date_recrutement: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub date_debut_formation: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub date_certification: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub date_prise_poste: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub date_sortie: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub motif_sortie: Option<String>,
}

/// Every advisor's path, by id, as the previous release's schema stores it (one `conseillers`
/// row each). Once the advisors are reshaped, the state after the migration is read from the
/// new tables by another function, compared with this one's reading before.
pub fn parcours(conn: &mut DbConn) -> Vec<Parcours> {
    use diesel::RunQueryDsl;
    let sql = "SELECT id, statut, date_recrutement, date_debut_formation, date_certification, \
               date_prise_poste, date_sortie, motif_sortie FROM conseillers ORDER BY id";
    let rows: diesel::QueryResult<Vec<Parcours>> =
        db_run!(conn, |c| diesel::sql_query(sql).load::<Parcours>(c));
    rows.expect("advisors' paths")
}

/// Rows of each table of `tables`.
pub fn lignes(
    conn: &mut DbConn,
    tables: impl IntoIterator<Item = String>,
) -> BTreeMap<String, i64> {
    tables
        .into_iter()
        .map(|table| {
            let n = count_on(
                conn,
                &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"),
            );
            (table, n)
        })
        .collect()
}

/// How many migrations of `db`'s backend the repository holds up to and including
/// [`DERNIERE_MIGRATION_PRECEDENTE`], and after it (their folders, `YYYY-MM-DD-NNNNNN_name`).
fn migrations_du_depot(db: &TestDb) -> (usize, usize) {
    let backend = if db.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let versions: Vec<String> = std::fs::read_dir(&folder)
        .unwrap_or_else(|error| panic!("{}: {error}", folder.display()))
        .map(|entry| entry.expect("a migration folder").file_name())
        .filter_map(|name| {
            name.to_str()
                .and_then(|n| n.split('_').next())
                .map(|v| v.replace('-', ""))
        })
        .collect();
    let jusqu_a = versions
        .iter()
        .filter(|v| v.as_str() <= DERNIERE_MIGRATION_PRECEDENTE)
        .count();
    (jusqu_a, versions.len() - jusqu_a)
}

/// What the database held once the fixture was loaded, before the later migrations.
#[derive(Debug, Clone)]
pub struct Avant {
    /// Rows of each fixture table.
    pub lignes: BTreeMap<String, i64>,
    /// Every advisor's path.
    pub parcours: Vec<Parcours>,
}

/// Turns the empty database `db` into an upgraded one of the previous release: the migrations up
/// to [`DERNIERE_MIGRATION_PRECEDENTE`], the référentiel (the fixture's rows reference its
/// communes and départements), the fixture's data in one transaction, then what a new release
/// does when it starts on that database: the remaining migrations, and the référentiel again if
/// the new release ships another extract. Asserts that exactly the repository's migrations up to
/// that one ran before the load, and all the others after it. Returns what was read between the
/// load and the later migrations.
pub fn migrated(db: &TestDb) -> Avant {
    migrated_with(db, "")
}

/// [`migrated`], with `extra` (SQL) run over the previous release's data before the later
/// migrations: a case the fixture lacks.
pub fn migrated_with(db: &TestDb, extra: &str) -> Avant {
    let mut conn = db.conn();
    let (jusqu_a, ensuite) = migrations_du_depot(db);
    let ran = db::run_migrations_up_to(&mut conn, DERNIERE_MIGRATION_PRECEDENTE)
        .expect("previous release's migrations");
    assert_eq!(
        ran, jusqu_a,
        "the previous release's migrations, and only them"
    );
    referentiel::load_if_needed(&mut conn).expect("référentiel");
    let sql = read_fixture("data.sql");
    conn.transaction(|c| c.batch_execute(&sql))
        .expect("the previous release's data loads");
    if !extra.is_empty() {
        conn.transaction(|c| c.batch_execute(extra))
            .expect("the extra rows load");
    }
    let lignes = lignes(&mut conn, comptes().tables.into_keys());
    let parcours = parcours(&mut conn);
    // What the first model stored of each exit, which the upgrade no longer keeps on the
    // advisor (2026-12-15: the status is derived from the contracts): kept aside for the checks.
    conn.transaction(|c| {
        c.batch_execute(
            "CREATE TABLE parcours_avant AS SELECT id, statut, date_sortie, motif_sortie \
             FROM conseillers",
        )
    })
    .expect("the previous release's exits kept aside");
    let migrations_apres = db::run_migrations(&mut conn).expect("later migrations");
    assert_eq!(migrations_apres, ensuite, "every later migration ran");
    referentiel::load_if_needed(&mut conn).expect("référentiel after the migrations");
    Avant { lignes, parcours }
}

/// Every fixture table holds as many rows after the migrations as the previous release did
/// (and as were loaded).
pub fn check_row_counts(db: &TestDb, avant: &Avant) {
    let comptes = comptes();
    assert_eq!(
        avant.lignes, comptes.tables,
        "the fixture did not load whole"
    );
    let apres = lignes(&mut db.conn(), comptes.tables.keys().cloned());
    let changed: Vec<String> = comptes
        .tables
        .iter()
        .filter(|(table, n)| match apres.get(*table) {
            // A commitment split among its employers (2026-12-18) is several rows, and so are
            // its payments: never fewer.
            Some(now) if TABLES_REPARTIES.contains(&table.as_str()) => now < n,
            now => now != Some(n),
        })
        .map(|(table, n)| format!("{table}: {n} → {:?}", apres.get(table)))
        .collect();
    assert!(changed.is_empty(), "row counts changed: {changed:?}");
}

/// The tables whose rows the upgrade may multiply: commitments split among their convention's
/// employers, and their payments with them (`2026-12-18-000001_beneficiaires`).
const TABLES_REPARTIES: [&str; 2] = ["engagements", "versements"];

/// Every advisor is there after the migrations, with the same status and dates, and as many per
/// status as the previous release had.
pub fn check_advisors(db: &TestDb, avant: &Avant) {
    let comptes = comptes();
    let mut par_statut = BTreeMap::<String, i64>::new();
    for p in &avant.parcours {
        *par_statut.entry(p.statut.clone()).or_default() += 1;
    }
    assert_eq!(
        par_statut, comptes.conseillers_par_statut,
        "advisors loaded"
    );
    // The first model's statuses under contract are `en_poste` now, derived as of the day the
    // fixture was made; an exit is its contracts' last day, read back as the rule reads it.
    let avant_derive: Vec<Parcours> = avant
        .parcours
        .iter()
        .map(|p| Parcours {
            statut: if p.statut == "sorti" {
                "sorti".to_owned()
            } else {
                "en_poste".to_owned()
            },
            ..p.clone()
        })
        .collect();
    let apres = parcours_derives(&mut db.conn());
    let missing: Vec<&Parcours> = avant_derive
        .iter()
        .filter(|p| apres.binary_search(p).is_err())
        .collect();
    let extra: Vec<&Parcours> = apres
        .iter()
        .filter(|p| avant_derive.binary_search(p).is_err())
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} advisor path(s) lost or changed, {} new or changed; first lost: {:?}; first new: {:?}",
        missing.len(),
        extra.len(),
        missing.first(),
        extra.first()
    );
}

/// The differences between the previous release's answer `saved` and the new one `now`, each
/// with its path under `path`: every field of `saved` must be in `now` with the same value
/// (fields only `now` has are new, not differences); arrays must have the same length.
pub fn differences(path: &str, saved: &Value, now: &Value, out: &mut Vec<String>) {
    match (saved, now) {
        (Value::Object(saved), Value::Object(now)) => {
            for (key, value) in saved {
                let here = format!("{path}.{key}");
                match now.get(key) {
                    Some(new) => differences(&here, value, new, out),
                    None => out.push(format!("{here}: absent now, was {value}")),
                }
            }
        }
        (Value::Array(saved), Value::Array(now)) => {
            if saved.len() != now.len() {
                out.push(format!(
                    "{path}: {} item(s) now, {} before",
                    now.len(),
                    saved.len()
                ));
            }
            for (index, (value, new)) in saved.iter().zip(now).enumerate() {
                differences(&format!("{path}[{index}]"), value, new, out);
            }
        }
        // 12 and 12.0 are the same figure.
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        _ if saved == now => {}
        _ => out.push(format!("{path}: {now} now, {saved} before")),
    }
}

/// The previous release's `conseillers` blocks as the derived statuses count them: every status
/// under contract (`recrute`, `en_formation`, `certifie`, `en_poste`) is `en_poste`; `sorti`
/// stays.
fn statuts_derives(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(conseillers)) = map.get_mut("conseillers")
                && conseillers.contains_key("recrute")
            {
                let sous_contrat: i64 = ["recrute", "en_formation", "certifie", "en_poste"]
                    .iter()
                    .filter_map(|k| conseillers.remove(*k).and_then(|v| v.as_i64()))
                    .sum();
                conseillers.insert("en_poste".to_owned(), Value::from(sous_contrat));
            }
            map.values_mut().for_each(statuts_derives);
        }
        Value::Array(items) => items.iter_mut().for_each(statuts_derives),
        _ => {}
    }
}

/// The statistics the new code answers over the upgraded database equal, field by field, what the
/// previous release answered over the same data, as of the same day.
pub async fn check_statistics(db: &TestDb) {
    let today = AUJOURDHUI.parse().expect("a date");
    let app = TestApp::over(db.state().with_today(Some(today))).await;
    let saved = statistiques_enregistrees();
    assert!(saved.len() > 10, "statistiques.json holds {}", saved.len());
    let mut found = Vec::new();
    for (uri, before) in &saved {
        let answer = app.anonymous().get(uri).await;
        assert_eq!(answer.status.as_u16(), 200, "{uri}: {}", answer.text);
        let mut before = before.clone();
        statuts_derives(&mut before);
        differences(uri, &before, &answer.json, &mut found);
    }
    assert!(
        found.is_empty(),
        "{} statistic(s) differ from the previous release's; first ones:\n{}",
        found.len(),
        found
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Every advisor's path after the upgrade, by id: its status derived as of [`AUJOURDHUI`] from
/// the last day of its contracts (`fin_contrats`), its first-model dates (kept), and its exit
/// read from its contract as the API reads it (`Conseiller::sortie_le`).
pub fn parcours_derives(conn: &mut DbConn) -> Vec<Parcours> {
    use diesel::RunQueryDsl;
    let sql = format!(
        "SELECT a.id, CASE WHEN a.fin_contrats < '{AUJOURDHUI}' THEN 'sorti' ELSE 'en_poste' END \
         AS statut, a.date_recrutement, a.date_debut_formation, a.date_certification, \
         a.date_prise_poste, CASE WHEN a.fin_contrats < '{AUJOURDHUI}' THEN a.fin_contrats END \
         AS date_sortie, CASE WHEN a.fin_contrats < '{AUJOURDHUI}' THEN (SELECT CASE \
           WHEN k.date_rupture IS NULL OR k.motif_rupture = 'non_reconduction_cdd' \
             THEN 'fin_de_contrat' \
           WHEN k.motif_rupture = 'demission' THEN 'demission' \
           WHEN k.motif_rupture = 'autre' AND k.commentaire_rupture = \
             'Fin de contrat enregistrée avant les contrats (reprise des données).' \
             THEN 'fin_de_contrat' \
           WHEN k.motif_rupture = 'autre' THEN 'autre' ELSE 'rupture' END \
           FROM contrats k WHERE k.conseiller_id = a.id \
           AND COALESCE(k.date_rupture, k.date_fin) = a.fin_contrats LIMIT 1) END AS motif_sortie \
         FROM conseillers a ORDER BY a.id"
    );
    let rows: diesel::QueryResult<Vec<Parcours>> =
        db_run!(conn, |c| diesel::sql_query(&sql).load::<Parcours>(c));
    rows.expect("advisors' derived paths")
}

/// Each rule (what it forbids, the SQL counting the rows that break it) that some rows break,
/// with their number.
fn broken_rules(conn: &mut DbConn, rules: &[(&str, impl AsRef<str>)]) -> Vec<String> {
    rules
        .iter()
        .map(|(rule, sql)| (rule, count_on(conn, sql.as_ref())))
        .filter(|(_, n)| *n != 0)
        .map(|(rule, n)| format!("{n} × {rule}"))
        .collect()
}

/// The posts the upgrade creates from the stored data (`2026-12-08-000001_postes`): each
/// validated hosting project's split as posts, every active advisor on one post of its
/// convention and employer since its recruitment, the posts of an ended convention returned at
/// its end, a vacant post never vacant before its validation, and each post's history ending in
/// its state. Each rule is a count of the rows that break it.
pub fn check_postes(db: &TestDb) {
    let mut conn = db.conn();
    let total = count_on(&mut conn, "SELECT COUNT(*) AS n FROM postes");
    let parts = count_on(
        &mut conn,
        "SELECT CAST(COALESCE(SUM(r.postes), 0) AS BIGINT) AS n FROM conventions_repartition r \
         JOIN conventions c ON c.id = r.convention_id WHERE c.date_validation IS NOT NULL",
    );
    assert!(
        total > 3000,
        "{total} posts: the fixture's splits were not carried over"
    );
    assert_eq!(total, parts, "one post per post of each validated split");
    let rules = [
        (
            "a validated convention whose posts differ from its split, host by host",
            "SELECT COUNT(*) AS n FROM conventions_repartition r JOIN conventions c \
             ON c.id = r.convention_id WHERE c.date_validation IS NOT NULL AND r.postes <> \
             (SELECT COUNT(*) FROM postes p WHERE p.convention_id = r.convention_id \
              AND p.structure_id = r.structure_id)",
        ),
        (
            "a post of a convention never validated",
            "SELECT COUNT(*) AS n FROM postes p JOIN conventions c ON c.id = p.convention_id \
             WHERE c.date_validation IS NULL",
        ),
        (
            "an active advisor without exactly one post of its convention and employer, occupied \
             since its recruitment",
            "SELECT COUNT(*) AS n FROM conseillers a WHERE a.fin_contrats IS NULL AND 1 <> \
             (SELECT COUNT(*) FROM postes p WHERE p.conseiller_id = a.id AND p.etat = 'occupe' \
              AND p.convention_id = a.convention_id AND p.structure_id = a.structure_id \
              AND p.depuis = a.date_recrutement)",
        ),
        (
            "a post held by an advisor who left",
            "SELECT COUNT(*) AS n FROM postes p JOIN conseillers a ON a.id = p.conseiller_id \
             WHERE a.fin_contrats IS NOT NULL",
        ),
        (
            "a convention whose occupied posts are not its filled posts",
            "SELECT COUNT(*) AS n FROM conventions c WHERE c.date_validation IS NOT NULL AND \
             c.postes_pourvus <> (SELECT COUNT(*) FROM postes p WHERE p.convention_id = c.id \
             AND p.etat = 'occupe')",
        ),
        (
            "a post of an ended convention not returned at its end",
            "SELECT COUNT(*) AS n FROM postes p JOIN conventions c ON c.id = p.convention_id \
             WHERE c.statut IN ('terminee', 'resiliee') AND (p.etat <> 'rendu' \
             OR p.depuis <> COALESCE(c.date_resiliation, c.date_cloture))",
        ),
        (
            "a post of a live convention returned, or vacant since before its validation",
            "SELECT COUNT(*) AS n FROM postes p JOIN conventions c ON c.id = p.convention_id \
             WHERE c.statut NOT IN ('terminee', 'resiliee') \
             AND (p.etat = 'rendu' OR p.depuis < c.date_validation)",
        ),
        (
            "a post whose history does not start with its attribution at the validation",
            "SELECT COUNT(*) AS n FROM postes p JOIN conventions c ON c.id = p.convention_id \
             WHERE NOT EXISTS (SELECT 1 FROM postes_historique h WHERE h.poste_id = p.id \
             AND h.rang = 1 AND h.evenement = 'attribution' AND h.date = c.date_validation)",
        ),
        (
            "a post whose last step is not its state, date and holder",
            "SELECT COUNT(*) AS n FROM postes p WHERE NOT EXISTS (SELECT 1 FROM \
             postes_historique h WHERE h.poste_id = p.id AND h.etat = p.etat \
             AND h.date = p.depuis AND (h.conseiller_id = p.conseiller_id \
             OR (h.conseiller_id IS NULL AND p.conseiller_id IS NULL)) \
             AND h.rang = (SELECT MAX(rang) FROM postes_historique l WHERE l.poste_id = p.id))",
        ),
    ];
    let broken = broken_rules(&mut conn, &rules);
    assert!(broken.is_empty(), "posts carried over wrongly: {broken:?}");
    // Some posts of each state, so that each rule above was tried.
    for etat in ["vacant", "occupe", "rendu"] {
        let n = count_on(
            &mut conn,
            &format!("SELECT COUNT(*) AS n FROM postes WHERE etat = '{etat}'"),
        );
        assert!(n > 0, "no post {etat} after the upgrade");
    }
}

/// The contracts the upgrade creates from the stored advisors (`2026-12-09-000001_contrats`):
/// one per advisor, with its employer, convention, type and recruitment; an active advisor's
/// without an end, bound to the post it holds (which names it back); a departed advisor's ended
/// on its exit date by the rule of its motif. Each rule is a count of the rows that break it.
pub fn check_contrats(db: &TestDb) {
    let mut conn = db.conn();
    let advisors = count_on(&mut conn, "SELECT COUNT(*) AS n FROM conseillers");
    let total = count_on(&mut conn, "SELECT COUNT(*) AS n FROM contrats");
    assert!(advisors > 3000, "{advisors} advisors: not the fixture's");
    assert_eq!(total, advisors, "one contract per advisor");
    let rules = [
        (
            "an advisor without exactly one contract of its employer, convention, type and \
             recruitment",
            "SELECT COUNT(*) AS n FROM conseillers a WHERE 1 <> (SELECT COUNT(*) FROM contrats c \
             WHERE c.conseiller_id = a.id AND c.structure_id = a.structure_id \
             AND c.convention_id = a.convention_id AND c.departement = a.departement \
             AND c.type = a.type_contrat AND c.date_debut = a.date_recrutement \
             AND c.typologie = 'conseiller')"
                .to_owned(),
        ),
        (
            "an active advisor's contract with an end, or not bound to the post it holds",
            "SELECT COUNT(*) AS n FROM conseillers a JOIN contrats c ON c.conseiller_id = a.id \
             WHERE a.fin_contrats IS NULL AND (c.date_fin IS NOT NULL OR c.date_rupture IS NOT NULL \
             OR c.poste_id IS NULL OR NOT EXISTS (SELECT 1 FROM postes p WHERE p.id = c.poste_id \
             AND p.conseiller_id = a.id AND p.contrat_id = c.id AND p.etat = 'occupe'))"
                .to_owned(),
        ),
        (
            "an occupied post whose contract is not its holder's",
            "SELECT COUNT(*) AS n FROM postes p WHERE p.etat = 'occupe' AND NOT EXISTS \
             (SELECT 1 FROM contrats c WHERE c.id = p.contrat_id \
             AND c.conseiller_id = p.conseiller_id)"
                .to_owned(),
        ),
        (
            "a departed advisor's contract not ended on its exit date",
            "SELECT COUNT(*) AS n FROM conseillers a JOIN contrats c ON c.conseiller_id = a.id \
             WHERE a.fin_contrats IS NOT NULL \
             AND COALESCE(c.date_rupture, c.date_fin, '') <> a.fin_contrats"
                .to_owned(),
        ),
    ];
    let broken = broken_rules(&mut conn, &rules);
    assert!(
        broken.is_empty(),
        "contracts carried over wrongly: {broken:?}"
    );
    // Each branch of the rule was tried.
    for (what, sql) in [
        ("in force", "c.date_rupture IS NULL AND c.date_fin IS NULL"),
        ("ended at their planned end", "c.date_fin IS NOT NULL"),
        ("broken by a resignation", "c.motif_rupture = 'demission'"),
        (
            "broken by agreement",
            "c.motif_rupture = 'rupture_conventionnelle'",
        ),
        ("broken for another motif", "c.motif_rupture = 'autre'"),
    ] {
        let n = count_on(
            &mut conn,
            &format!(
                "SELECT COUNT(*) AS n FROM contrats c WHERE {what_sql}",
                what_sql = sql
            ),
        );
        assert!(n > 0, "no contract {what} after the upgrade");
    }
}

async fn contracts_carry_the_advisors(db: TestDb) {
    migrated(&db);
    check_contrats(&db);
}

/// The lieux the upgrade gives the stored advisors (`2026-12-10-000001_lieux_conseillers`): each
/// advisor's lieu, and only it, as its principal lieu.
pub fn check_lieux_conseillers(db: &TestDb) {
    let mut conn = db.conn();
    let with_lieu = count_on(
        &mut conn,
        "SELECT COUNT(*) AS n FROM conseillers WHERE lieu_id IS NOT NULL",
    );
    assert!(
        with_lieu > 1000,
        "{with_lieu} advisors with a lieu: not the fixture's"
    );
    let rows = count_on(&mut conn, "SELECT COUNT(*) AS n FROM conseillers_lieux");
    assert_eq!(rows, with_lieu, "one lieu per advisor that had one");
    let wrong = count_on(
        &mut conn,
        "SELECT COUNT(*) AS n FROM conseillers a WHERE a.lieu_id IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM conseillers_lieux l WHERE l.conseiller_id = a.id \
         AND l.lieu_id = a.lieu_id AND l.principal = TRUE)",
    );
    assert_eq!(wrong, 0, "advisors whose lieu is not their principal lieu");
}

async fn lieux_carry_the_advisors_lieu(db: TestDb) {
    migrated(&db);
    check_lieux_conseillers(&db);
}

/// The trainings and certifications the upgrade carries over (`2026-12-13-000001_formations`):
/// each advisor whose training had started has exactly one training, its initial one, from that
/// day, with its organisation (hours and end unknown), marked `reprise`, under a contract of its
/// own begun by then and that contract's employer; each advisor certified has exactly one
/// certification, a `ccp1_remn` passed on its date, following that training. Each rule is a
/// count of the rows that break it.
pub fn check_formations(db: &TestDb) {
    let mut conn = db.conn();
    let started = count_on(
        &mut conn,
        "SELECT COUNT(*) AS n FROM conseillers WHERE date_debut_formation IS NOT NULL",
    );
    let certified = count_on(
        &mut conn,
        "SELECT COUNT(*) AS n FROM conseillers WHERE date_certification IS NOT NULL",
    );
    assert!(
        started > 1000 && certified > 500,
        "{started} advisors trained, {certified} certified: not the fixture's"
    );
    let formations = count_on(&mut conn, "SELECT COUNT(*) AS n FROM formations");
    let certifications = count_on(&mut conn, "SELECT COUNT(*) AS n FROM certifications");
    assert_eq!(formations, started, "one training per advisor trained");
    assert_eq!(
        certifications, certified,
        "one certification per advisor certified"
    );
    let rules = [
        (
            "an advisor trained without exactly one initial training carried over from its date \
             and organisation",
            "SELECT COUNT(*) AS n FROM conseillers a WHERE a.date_debut_formation IS NOT NULL \
             AND 1 <> (SELECT COUNT(*) FROM formations f WHERE f.conseiller_id = a.id \
             AND f.type = 'initiale' AND f.reprise = TRUE AND f.date_debut = a.date_debut_formation \
             AND (f.organisme = a.organisme_formation \
                  OR (f.organisme IS NULL AND a.organisme_formation IS NULL)) \
             AND f.parcours_heures IS NULL AND f.date_fin IS NULL)",
        ),
        (
            "a training carried over without a contract of its advisor begun by its first day, or \
             with another employer than that contract's",
            "SELECT COUNT(*) AS n FROM formations f WHERE NOT EXISTS (SELECT 1 FROM contrats k \
             WHERE k.id = f.contrat_id AND k.conseiller_id = f.conseiller_id \
             AND k.date_debut <= f.date_debut AND k.structure_id = f.structure_id)",
        ),
        (
            "an advisor certified without exactly one passed ccp1_remn on its date, following its \
             initial training",
            "SELECT COUNT(*) AS n FROM conseillers a WHERE a.date_certification IS NOT NULL \
             AND 1 <> (SELECT COUNT(*) FROM certifications c JOIN formations f \
             ON f.id = c.formation_id AND f.conseiller_id = a.id AND f.type = 'initiale' \
             WHERE c.conseiller_id = a.id AND c.type = 'ccp1_remn' AND c.resultat = 'reussie' \
             AND c.reprise = TRUE AND c.date = a.date_certification)",
        ),
    ];
    let broken = broken_rules(&mut conn, &rules);
    assert!(
        broken.is_empty(),
        "trainings carried over wrongly: {broken:?}"
    );
}

async fn trainings_and_certifications_carry_the_advisors_dates(db: TestDb) {
    migrated(&db);
    check_formations(&db);
}

async fn posts_carry_the_splits_and_the_advisors(db: TestDb) {
    migrated(&db);
    check_postes(&db);
}

async fn row_counts_are_unchanged(db: TestDb) {
    let avant = migrated(&db);
    check_row_counts(&db, &avant);
}

async fn advisors_keep_their_status_and_dates(db: TestDb) {
    let avant = migrated(&db);
    check_advisors(&db, &avant);
}

async fn statistics_are_unchanged(db: TestDb) {
    migrated(&db);
    check_statistics(&db).await;
}

/// The copy of the first departed advisor that the first model would have made had she been
/// recruited again: another record under the same address (upper-cased), newer (a larger id).
const DOUBLON: &str = "ffffffff-ffff-7fff-8fff-ffffffffffff";

/// People after the upgrade (`2026-12-14-000001_personnes`): every stored advisor is a person
/// under a contract (a convention, a type, a recruitment date; none `sans_contrat`; no
/// telephone invented), and a person the first model recorded twice keeps both records, the
/// older pointing to the newer (`doublon_de`), which alone holds the address: a third record
/// of it is refused by the database.
async fn people_carry_the_advisors_and_their_duplicates(db: TestDb) {
    let columns = "convention_id, departement, structure_id, nom, prenom, email, \
                   commune_residence, anonymise_le, recrutement_local, type_contrat, statut, \
                   date_recrutement, date_debut_formation, organisme_formation, \
                   date_certification, date_prise_poste, lieu_id, date_sortie, motif_sortie, \
                   version, cree_le, modifie_le";
    let copie = columns.replace("email,", "upper(email),");
    let extra = format!(
        "INSERT INTO conseillers (id, {columns}) SELECT '{DOUBLON}', {copie} FROM conseillers \
         WHERE id = (SELECT min(id) FROM conseillers WHERE statut = 'sorti' \
         AND anonymise_le IS NULL)"
    );
    migrated_with(&db, &extra);
    let mut conn = db.conn();
    let broken = broken_rules(
        &mut conn,
        &[
            (
                "a stored advisor without its contract's fields",
                "SELECT COUNT(*) AS n FROM conseillers WHERE convention_id IS NULL \
                 OR type_contrat IS NULL OR date_recrutement IS NULL",
            ),
            (
                "a telephone invented",
                "SELECT COUNT(*) AS n FROM conseillers WHERE telephone IS NOT NULL",
            ),
            (
                "a duplicate other than the copy's original",
                &format!(
                    "SELECT COUNT(*) AS n FROM conseillers WHERE doublon_de IS NOT NULL \
                     AND (doublon_de <> '{DOUBLON}' OR lower(email) <> \
                     (SELECT lower(email) FROM conseillers WHERE id = '{DOUBLON}'))"
                ),
            ),
        ],
    );
    assert!(broken.is_empty(), "{broken:?}");
    let pointing = count_on(
        &mut conn,
        &format!("SELECT COUNT(*) AS n FROM conseillers WHERE doublon_de = '{DOUBLON}'"),
    );
    assert_eq!(pointing, 1, "the older record points to the newer");
    // The address now belongs to one person: the database refuses a third record of it.
    // (the status and exit columns are gone since: 2026-12-15)
    let columns = columns
        .replace(" statut,", "")
        .replace(" date_sortie, motif_sortie,", "");
    let third = format!(
        "INSERT INTO conseillers (id, {columns}) SELECT 'ffffffff-ffff-7fff-8fff-fffffffffffe', \
         {columns} FROM conseillers WHERE id = '{DOUBLON}'"
    );
    let refused = db_run!(&mut conn, |c| c.batch_execute(&third));
    assert!(
        refused.is_err_and(|e| e.to_string().contains("conseillers")),
        "a third record of the address is refused by the unique index"
    );
}

/// Tariffs after the upgrade (`2026-12-17-000001_baremes`): each envelope's amount per post is
/// the same one-instalment tariff, over 24 months, for the four pairs; an envelope without one
/// has none. What a convention may receive is therefore unchanged.
async fn tariffs_carry_the_amount_per_post(db: TestDb) {
    migrated_with(
        &db,
        "CREATE TABLE par_poste_avant AS SELECT id, montant_par_poste_centimes FROM enveloppes",
    );
    let mut conn = db.conn();
    let avec = count_on(
        &mut conn,
        "SELECT COUNT(*) AS n FROM par_poste_avant WHERE montant_par_poste_centimes IS NOT NULL",
    );
    assert!(
        avec > 0,
        "the fixture has an envelope with an amount per post"
    );
    let broken = broken_rules(
        &mut conn,
        &[
            (
                "an envelope with an amount per post without its four tariffs",
                "SELECT COUNT(*) AS n FROM par_poste_avant a WHERE a.montant_par_poste_centimes \
                 IS NOT NULL AND (SELECT COUNT(*) FROM baremes b WHERE b.enveloppe_id = a.id \
                 AND b.montant_par_poste_centimes = a.montant_par_poste_centimes \
                 AND b.duree_mois = 24) <> 4",
            ),
            (
                "a tariff for an envelope that had no amount per post",
                "SELECT COUNT(*) AS n FROM baremes b JOIN par_poste_avant a ON a.id = \
                 b.enveloppe_id WHERE a.montant_par_poste_centimes IS NULL",
            ),
        ],
    );
    assert!(broken.is_empty(), "{broken:?}");
    // Each tariff reads back through the API's types: one instalment, at the start.
    use diesel::RunQueryDsl;
    let id = db_run!(&mut conn, |c| {
        diesel::sql_query(
            "SELECT id AS n FROM par_poste_avant WHERE montant_par_poste_centimes IS NOT NULL",
        )
        .load::<IdRow>(c)
    })
    .expect("an envelope id")
    .remove(0)
    .n;
    let baremes = cnfs_api::db::repo::financement::baremes_of(
        &mut conn,
        &cnfs_api::domain::ids::EnveloppeId::parse(&id).unwrap(),
    )
    .expect("the tariffs read");
    assert_eq!(baremes.len(), 4);
    for bareme in baremes {
        assert_eq!(bareme.tranches.len(), 1);
        assert_eq!(
            bareme.tranches[0].montant_centimes,
            bareme.montant_par_poste_centimes
        );
        assert_eq!(bareme.tranches[0].mois_apres_debut, 0);
    }
}

/// The demo's commitment of the whole convention (80 posts, 4,000,000.00 €), paid 1,600,000.00 €.
const ENGAGEMENT_DEMO: &str = "01a24f02-41bb-7694-95e0-82d3dbded3bc";

/// Money per employer after the upgrade (`2026-12-18-000001_beneficiaires` and its data step):
/// every commitment names an employer of its convention; what each envelope, département and
/// convention has engaged and paid is the same to the cent, and so is each envelope's stored
/// sum; a commitment's paid part is its payments made, never beyond its amount. The demo's
/// commitment of the whole convention became one per host, by its posts, its payment with it,
/// and a cancelled payment (added here) is split too without counting.
async fn money_is_split_per_employer_to_the_cent(db: TestDb) {
    let annule = format!(
        "INSERT INTO versements (id, engagement_id, montant_centimes, date_versement, reference, \
         statut, date_annulation, motif_annulation, cree_le) VALUES \
         ('01a24f02-43b4-7793-9811-ffffffffffff', '{ENGAGEMENT_DEMO}', 100001, '2021-04-16', \
         'DEMO-ERREUR', 'annule', '2021-04-17', 'Erreur de saisie', '2026-12-07T05:37:58.300000Z')"
    );
    let sommes = "CAST(SUM(CASE WHEN statut = 'actif' THEN montant_centimes ELSE verse_centimes \
                  END) AS BIGINT) AS engage, CAST(SUM(verse_centimes) AS BIGINT) AS verse";
    let avant = format!(
        "{annule}; \
         CREATE TABLE sommes_avant AS SELECT enveloppe_id, convention_id, departement, {sommes} \
         FROM engagements GROUP BY enveloppe_id, convention_id, departement; \
         CREATE TABLE versements_avant AS SELECT e.enveloppe_id, e.convention_id, v.statut, \
         CAST(SUM(v.montant_centimes) AS BIGINT) AS montant FROM versements v \
         JOIN engagements e ON e.id = v.engagement_id \
         GROUP BY e.enveloppe_id, e.convention_id, v.statut"
    );
    migrated_with(&db, &avant);
    let mut conn = db.conn();
    let apres = format!(
        "(SELECT enveloppe_id, convention_id, departement, {sommes} FROM engagements \
         GROUP BY enveloppe_id, convention_id, departement)"
    );
    let broken = broken_rules(
        &mut conn,
        &[
            (
                "a commitment without a beneficiary",
                "SELECT COUNT(*) AS n FROM engagements WHERE beneficiaire_id IS NULL".to_owned(),
            ),
            (
                "a beneficiary that is neither a host nor a signatory of the convention",
                "SELECT COUNT(*) AS n FROM engagements e WHERE NOT EXISTS (SELECT 1 FROM \
                 conventions_repartition r WHERE r.convention_id = e.convention_id AND \
                 r.structure_id = e.beneficiaire_id) AND NOT EXISTS (SELECT 1 FROM \
                 conventions_signataires s WHERE s.convention_id = e.convention_id AND \
                 s.structure_id = e.beneficiaire_id)"
                    .to_owned(),
            ),
            (
                "a convention's engaged or paid sum on an envelope changed",
                format!(
                    "SELECT COUNT(*) AS n FROM sommes_avant a LEFT JOIN {apres} p ON \
                     p.enveloppe_id = a.enveloppe_id AND p.convention_id = a.convention_id \
                     WHERE p.engage IS NULL OR p.engage <> a.engage OR p.verse <> a.verse"
                ),
            ),
            (
                "a convention's sums on an envelope that did not exist",
                format!(
                    "SELECT COUNT(*) AS n FROM {apres} p WHERE NOT EXISTS (SELECT 1 FROM \
                     sommes_avant a WHERE a.enveloppe_id = p.enveloppe_id AND \
                     a.convention_id = p.convention_id)"
                ),
            ),
            (
                "an envelope's stored sums no longer its commitments'",
                format!(
                    "SELECT COUNT(*) AS n FROM enveloppes v LEFT JOIN (SELECT enveloppe_id, \
                     CAST(SUM(engage) AS BIGINT) AS engage, CAST(SUM(verse) AS BIGINT) AS verse \
                     FROM {apres} x GROUP BY enveloppe_id) p ON p.enveloppe_id = v.id \
                     WHERE COALESCE(p.engage, 0) <> v.engage_centimes \
                     OR COALESCE(p.verse, 0) <> v.verse_centimes"
                ),
            ),
            (
                "a département's stored sums no longer its commitments'",
                format!(
                    "SELECT COUNT(*) AS n FROM enveloppes_departements d LEFT JOIN (SELECT \
                     enveloppe_id, departement, CAST(SUM(engage) AS BIGINT) AS engage, \
                     CAST(SUM(verse) AS BIGINT) AS verse FROM {apres} x \
                     GROUP BY enveloppe_id, departement) p ON \
                     p.enveloppe_id = d.enveloppe_id AND p.departement = d.departement \
                     WHERE COALESCE(p.engage, 0) <> d.engage_centimes \
                     OR COALESCE(p.verse, 0) <> d.verse_centimes"
                ),
            ),
            (
                "a convention's payments (made or cancelled) changed",
                "SELECT COUNT(*) AS n FROM versements_avant a WHERE a.montant <> (SELECT \
                 CAST(SUM(v.montant_centimes) AS BIGINT) FROM versements v JOIN engagements e \
                 ON e.id = v.engagement_id WHERE e.enveloppe_id = a.enveloppe_id AND \
                 e.convention_id = a.convention_id AND v.statut = a.statut)"
                    .to_owned(),
            ),
            (
                "a commitment whose paid part is not its payments made",
                "SELECT COUNT(*) AS n FROM engagements e WHERE e.verse_centimes <> (SELECT \
                 COALESCE(CAST(SUM(v.montant_centimes) AS BIGINT), 0) FROM versements v \
                 WHERE v.engagement_id = e.id AND v.statut = 'effectue')"
                    .to_owned(),
            ),
        ],
    );
    assert!(broken.is_empty(), "{broken:?}");
    // The demo's commitment kept its id for the first host of the split; each of the eight hosts has its posts' share, paid 40 % as the whole was.
    let n = |conn: &mut DbConn, sql: &str| count_on(conn, sql);
    let demo = format!(
        "FROM engagements WHERE enveloppe_id = (SELECT enveloppe_id FROM engagements \
         WHERE id = '{ENGAGEMENT_DEMO}') AND convention_id = (SELECT convention_id FROM \
         engagements WHERE id = '{ENGAGEMENT_DEMO}')"
    );
    assert_eq!(n(&mut conn, &format!("SELECT COUNT(*) AS n {demo}")), 8);
    assert_eq!(
        n(
            &mut conn,
            &format!(
                "SELECT COUNT(*) AS n {demo} AND (montant_centimes % 5000000 <> 0 \
                 OR verse_centimes * 5 <> montant_centimes * 2)"
            )
        ),
        0,
        "each host's share is its posts × 50,000.00 €, 40 % of it paid"
    );
    assert_eq!(
        n(
            &mut conn,
            &format!(
                "SELECT COUNT(*) AS n FROM engagements e JOIN conventions_repartition r ON \
                 r.convention_id = e.convention_id AND r.structure_id = e.beneficiaire_id \
                 WHERE e.id = '{ENGAGEMENT_DEMO}' AND e.montant_centimes = r.postes * 5000000"
            )
        ),
        1,
        "the stored commitment is its first host's share, by that host's posts"
    );
    assert_eq!(
        n(
            &mut conn,
            "SELECT COUNT(*) AS n FROM versements WHERE reference = 'DEMO-ERREUR'"
        ),
        8,
        "the cancelled payment, split among the hosts"
    );
}

#[derive(diesel::QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    n: String,
}

/// Each check on an empty SQLite database and on an empty PostgreSQL one.
macro_rules! on_both_empty_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::common::TestDb::sqlite_empty()).await
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    if let Some(db) = $crate::common::TestDb::postgres_empty() {
                        super::$name(db).await
                    }
                }
            )*
        }
    };
}

on_both_empty_backends!(
    row_counts_are_unchanged,
    tariffs_carry_the_amount_per_post,
    money_is_split_per_employer_to_the_cent,
    advisors_keep_their_status_and_dates,
    statistics_are_unchanged,
    posts_carry_the_splits_and_the_advisors,
    contracts_carry_the_advisors,
    lieux_carry_the_advisors_lieu,
    people_carry_the_advisors_and_their_duplicates,
    trainings_and_certifications_carry_the_advisors_dates,
);

#[test]
fn differences_name_the_path_of_each_change() {
    let saved = serde_json::json!({
        "a": {"b": [1, 2, {"c": "x"}], "d": 2.5},
        "e": 12.0,
        "f": "gone"
    });
    let now = serde_json::json!({
        "a": {"b": [1, 3, {"c": "y"}], "d": 2.5, "new": true},
        "e": 12
    });
    let mut found = Vec::new();
    differences("/s", &saved, &now, &mut found);
    assert_eq!(
        found,
        vec![
            "/s.a.b[1]: 3 now, 2 before",
            "/s.a.b[2].c: \"y\" now, \"x\" before",
            "/s.f: absent now, was \"gone\"",
        ]
    );
    let mut none = Vec::new();
    differences("/s", &saved, &saved, &mut none);
    assert!(none.is_empty());
    let mut shorter = Vec::new();
    differences(
        "/s",
        &serde_json::json!([1, 2]),
        &serde_json::json!([1]),
        &mut shorter,
    );
    assert_eq!(shorter, vec!["/s: 1 item(s) now, 2 before"]);
}

//! `cnfs-api anonymiser`: the personal data of advisors whose contracts ended more than N months
//! ago, and of people recorded that long ago who never had a contract, is erased, every statistic stays, the journal says so without personal data; on both backends,
//! and through the real binary on SQLite.

use crate::common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use cnfs_api::db::repo::anonymisation::anonymise_departed;
use cnfs_api::db::schema::{conseillers, journal};
use cnfs_api::db::{self, DatabaseUrl, DbConn};
use common::TestDb;
use diesel::connection::SimpleConnection;
use diesel::dsl::count_star;
use diesel::prelude::*;

const STRUCTURE_93: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90";
const STRUCTURE_75: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa0";
const CONVENTION_93: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91";
const CONVENTION_75: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa1";
const LIEU_93: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97";
const LIEU_75: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa7";

/// "Today" of the tests: 24 months before is 2024-06-15.
const TODAY: &str = "2026-06-15";

/// Left 25 months ago (93): anonymised.
const LEFT_25_MONTHS: &str = "01936b2e-0000-7000-8000-000000000001";
/// Left 29 months ago (75): anonymised.
const LEFT_29_MONTHS: &str = "01936b2e-0000-7000-8000-000000000002";
/// Left 23 months ago (93): kept.
const LEFT_23_MONTHS: &str = "01936b2e-0000-7000-8000-000000000003";
/// Left exactly 24 months ago (75): kept ("more than" 24 months is strict).
const LEFT_24_MONTHS: &str = "01936b2e-0000-7000-8000-000000000004";
/// At work (93): kept.
const EN_POSTE: &str = "01936b2e-0000-7000-8000-000000000005";
/// Just recruited (93): kept.
const RECRUTE: &str = "01936b2e-0000-7000-8000-000000000006";
/// Left long ago (75), anonymised by an earlier run: untouched.
const ALREADY_ANONYMISED: &str = "01936b2e-0000-7000-8000-000000000007";

const ANONYMISED_BEFORE: &str = "2025-02-01T00:00:00.000000Z";

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// Two structures (93, 75), each with a convention in execution and a place of activity, and the
/// advisors above. Personal values are built from the advisor's number so that each is unique.
fn seed(conn: &mut DbConn) {
    let now = "'2021-04-01T00:00:00.000000Z'";
    let mut sql = String::new();
    for (structure, convention, lieu, departement, siret, commune, code_postal, numero) in [
        (
            STRUCTURE_93,
            CONVENTION_93,
            LIEU_93,
            "93",
            "77567227200009",
            "93066",
            "93200",
            "CNFS-93-2021-0001",
        ),
        (
            STRUCTURE_75,
            CONVENTION_75,
            LIEU_75,
            "75",
            "21750001600019",
            "75056",
            "75001",
            "CNFS-75-2021-0001",
        ),
    ] {
        let siren = &siret[..9];
        sql.push_str(&format!(
            "INSERT INTO structures (id, siret, siren, nom, nom_recherche, type, code_insee, \
             departement, version, cree_le, modifie_le) VALUES ('{structure}', '{siret}', \
             '{siren}', 'Structure {departement}', 'structure {departement}', 'association', \
             '{commune}', '{departement}', 1, {now}, {now});
             INSERT INTO conventions (id, numero, departement, intitule, postes_attribues, \
             delai_projet_mois, statut, date_signature, date_limite_projet, date_depot, \
             date_validation, signataires, repartition, version, cree_le, modifie_le) VALUES \
             ('{convention}', '{numero}', '{departement}', 'CnFS {departement}', 10, 2, \
             'en_execution', '2021-02-08', '2021-04-08', '2021-03-01', '2021-03-15', \
             '[\"{structure}\"]', '[{{\"structure_id\": \"{structure}\", \"postes\": 10}}]', 1, \
             {now}, {now});
             INSERT INTO conventions_signataires (convention_id, structure_id) VALUES \
             ('{convention}', '{structure}');
             INSERT INTO conventions_repartition (convention_id, structure_id, postes) VALUES \
             ('{convention}', '{structure}', 10);
             INSERT INTO lieux (id, structure_id, nom, adresse, code_postal, code_insee, \
             departement, courriels, site_web, itinerance, services, modalites_acces, \
             publics_specifiquement_adresses, version, cree_le, modifie_le) VALUES ('{lieu}', \
             '{structure}', 'Médiathèque', '1 place de la Mairie', '{code_postal}', '{commune}', \
             '{departement}', '[]', '[]', '[]', '[]', '[]', '[]', 1, {now}, {now});"
        ));
    }
    let advisors: [Advisor; 7] = [
        (
            LEFT_25_MONTHS,
            "93",
            true,
            "sorti",
            Some("2024-05-15"),
            None,
            4,
        ),
        (
            LEFT_29_MONTHS,
            "75",
            false,
            "sorti",
            Some("2024-01-31"),
            None,
            5,
        ),
        (
            LEFT_23_MONTHS,
            "93",
            true,
            "sorti",
            Some("2024-07-15"),
            None,
            4,
        ),
        (
            LEFT_24_MONTHS,
            "75",
            true,
            "sorti",
            Some("2024-06-15"),
            None,
            4,
        ),
        (EN_POSTE, "93", false, "en_poste", None, None, 3),
        (RECRUTE, "93", true, "recrute", None, None, 1),
        (
            ALREADY_ANONYMISED,
            "75",
            false,
            "sorti",
            Some("2023-01-10"),
            Some(ANONYMISED_BEFORE),
            6,
        ),
    ];
    for (id, departement, local, statut, sortie, anonymise_le, version) in advisors {
        let (structure, convention, lieu) = if departement == "93" {
            (STRUCTURE_93, CONVENTION_93, LIEU_93)
        } else {
            (STRUCTURE_75, CONVENTION_75, LIEU_75)
        };
        let n = &id[id.len() - 2..];
        let quoted = |value: Option<&str>| value.map_or("NULL".to_owned(), |v| format!("'{v}'"));
        let personal = |value: String| {
            if anonymise_le.is_some() {
                "NULL".to_owned()
            } else {
                format!("'{value}'")
            }
        };
        let on_path = statut != "recrute";
        let path = |value: &str| {
            if on_path {
                format!("'{value}'")
            } else {
                "NULL".to_owned()
            }
        };
        sql.push_str(&format!(
            "INSERT INTO conseillers (id, convention_id, departement, structure_id, nom, prenom, \
             email, commune_residence, anonymise_le, recrutement_local, type_contrat, \
             date_recrutement, date_debut_formation, organisme_formation, date_certification, \
             date_prise_poste, lieu_id, fin_contrats, version, cree_le, modifie_le) \
             VALUES ('{id}', '{convention}', '{departement}', '{structure}', {nom}, {prenom}, \
             {email}, {commune}, {anonymise_le}, {local}, 'cdd', '2021-04-01', \
             {formation}, {organisme}, {certification}, {prise_poste}, {lieu}, {sortie}, \
             {version}, {now}, {modifie_le});",
            nom = personal(format!("Nomdefamille{n}")),
            prenom = personal(format!("Prenom{n}")),
            email = personal(format!("conseiller{n}@courriel.example")),
            commune = personal(format!("Communederesidence{n}")),
            anonymise_le = quoted(anonymise_le),
            local = if local { "TRUE" } else { "FALSE" },
            formation = path("2021-04-15"),
            organisme = path("Organisme de formation"),
            certification = path("2021-06-01"),
            prise_poste = path("2021-06-15"),
            lieu = if on_path {
                format!("'{lieu}'")
            } else {
                "NULL".to_owned()
            },
            sortie = quoted(sortie),
            modifie_le = anonymise_le.map_or(now.to_owned(), |at| format!("'{at}'")),
        ));
    }
    conn.batch_execute(&sql).expect("fixtures seeded");
}

/// Recorded 25 months ago without a contract (93): anonymised.
const CANDIDAT_ANCIEN: &str = "01936b2e-0000-7000-8000-000000000008";
/// Recorded 13 months ago without a contract (93): kept at 24 months.
const CANDIDAT_RECENT: &str = "01936b2e-0000-7000-8000-000000000009";

/// Two people recorded without a contract, one 25 months before [`TODAY`], one 13.
fn seed_candidats(conn: &mut DbConn) {
    let mut sql = String::new();
    for (id, cree_le) in [
        (CANDIDAT_ANCIEN, "2024-05-15T10:00:00.000000Z"),
        (CANDIDAT_RECENT, "2025-05-15T10:00:00.000000Z"),
    ] {
        let n = &id[id.len() - 2..];
        sql.push_str(&format!(
            "INSERT INTO conseillers (id, departement, structure_id, nom, prenom, email, \
             commune_residence, recrutement_local, version, cree_le, modifie_le) VALUES \
             ('{id}', '93', '{STRUCTURE_93}', 'Nomdefamille{n}', 'Prenom{n}', \
             'candidat{n}@courriel.example', '93066', TRUE, 1, '{cree_le}', '{cree_le}');"
        ));
    }
    conn.batch_execute(&sql).expect("candidates seeded");
}

/// A fixture advisor: id, département, recruited locally, its path (`sorti`: its contracts
/// ended on the date; `recrute`: recruited, nothing since), the last day of its contracts,
/// anonymise_le, version.
type Advisor = (
    &'static str,
    &'static str,
    bool,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    i64,
);

/// The personal values the fixtures gave (anonymised or not).
fn personal_values() -> Vec<String> {
    (1..=7)
        .flat_map(|n| {
            [
                format!("Nomdefamille0{n}"),
                format!("Prenom0{n}"),
                format!("conseiller0{n}@courriel.example"),
                format!("Communederesidence0{n}"),
            ]
        })
        .collect()
}

type Personal = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    String,
);

/// Per advisor: personal fields, anonymise_le, version, modifie_le.
fn personal_rows(conn: &mut DbConn) -> BTreeMap<String, Personal> {
    conseillers::table
        .select((
            conseillers::id,
            conseillers::nom,
            conseillers::prenom,
            conseillers::email,
            conseillers::commune_residence,
            conseillers::anonymise_le,
            conseillers::version,
            conseillers::modifie_le,
        ))
        .load::<Personal>(conn)
        .unwrap()
        .into_iter()
        .map(|row| (row.0.clone(), row))
        .collect()
}

type Statistics = (
    (
        String,
        Option<String>,
        String,
        String,
        bool,
        Option<String>,
        Option<String>,
    ),
    (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    ),
);

/// Per advisor, every field the statistics use.
fn statistics_rows(conn: &mut DbConn) -> Vec<Statistics> {
    conseillers::table
        .order(conseillers::id)
        .select((
            (
                conseillers::id,
                conseillers::convention_id,
                conseillers::departement,
                conseillers::structure_id,
                conseillers::recrutement_local,
                conseillers::type_contrat,
                conseillers::fin_contrats,
            ),
            (
                conseillers::date_recrutement,
                conseillers::date_debut_formation,
                conseillers::organisme_formation,
                conseillers::date_certification,
                conseillers::date_prise_poste,
                conseillers::lieu_id,
                conseillers::cree_le,
            ),
        ))
        .load(conn)
        .unwrap()
}

/// Counts of advisors by recrutement_local, by the last day of their contracts (their status's
/// source), by département and by structure, as the
/// statistics count them (SQL GROUP BY).
fn counts(conn: &mut DbConn) -> Vec<BTreeMap<String, i64>> {
    let by_local: Vec<(bool, i64)> = conseillers::table
        .group_by(conseillers::recrutement_local)
        .select((conseillers::recrutement_local, count_star()))
        .load(conn)
        .unwrap();
    let by_fin: Vec<(Option<String>, i64)> = conseillers::table
        .group_by(conseillers::fin_contrats)
        .select((conseillers::fin_contrats, count_star()))
        .load(conn)
        .unwrap();
    let by_departement: Vec<(String, i64)> = conseillers::table
        .group_by(conseillers::departement)
        .select((conseillers::departement, count_star()))
        .load(conn)
        .unwrap();
    let by_structure: Vec<(String, i64)> = conseillers::table
        .group_by(conseillers::structure_id)
        .select((conseillers::structure_id, count_star()))
        .load(conn)
        .unwrap();
    vec![
        by_local
            .into_iter()
            .map(|(local, n)| (local.to_string(), n))
            .collect(),
        by_fin
            .into_iter()
            .map(|(fin, n)| (fin.unwrap_or_default(), n))
            .collect(),
        by_departement.into_iter().collect(),
        by_structure.into_iter().collect(),
    ]
}

type JournalLine = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn journal_rows(conn: &mut DbConn) -> Vec<JournalLine> {
    journal::table
        .order(journal::ressource_id)
        .select((
            journal::horodatage,
            journal::sub,
            journal::role,
            journal::action,
            journal::ressource,
            journal::ressource_id,
            journal::departement,
            journal::avant,
            journal::apres,
        ))
        .load(conn)
        .unwrap()
}

fn run(conn: &mut DbConn, today: &str, months: u32) -> usize {
    db::write(conn, |tx| anonymise_departed(tx, date(today), months)).expect("anonymisation runs")
}

async fn anonymises_only_those_who_left_more_than_n_months_ago(db: TestDb) {
    let mut conn = db.conn();
    seed(&mut conn);
    let before = personal_rows(&mut conn);

    assert_eq!(run(&mut conn, TODAY, 24), 2);

    let after = personal_rows(&mut conn);
    for id in [LEFT_25_MONTHS, LEFT_29_MONTHS] {
        let (_, nom, prenom, email, commune, anonymise_le, version, modifie_le) = &after[id];
        assert_eq!(
            (nom, prenom, email, commune),
            (&None, &None, &None, &None),
            "{id}"
        );
        let at = anonymise_le.as_deref().expect("anonymise_le set");
        assert!(
            chrono::DateTime::parse_from_rfc3339(at).is_ok() && at.ends_with('Z'),
            "{at}"
        );
        assert_eq!(modifie_le, at);
        assert_eq!(*version, before[id].6 + 1, "{id}: version bumped");
    }
    for id in [
        LEFT_23_MONTHS,
        LEFT_24_MONTHS,
        EN_POSTE,
        RECRUTE,
        ALREADY_ANONYMISED,
    ] {
        assert_eq!(after[id], before[id], "{id} untouched");
    }
    assert_eq!(
        after[ALREADY_ANONYMISED].5.as_deref(),
        Some(ANONYMISED_BEFORE)
    );

    // The journal: one entry per anonymised advisor, without personal data.
    let entries = journal_rows(&mut conn);
    assert_eq!(entries.len(), 2, "{entries:?}");
    for ((_, sub, role, action, ressource, ressource_id, departement, avant, apres), (id, dep)) in
        entries
            .iter()
            .zip([(LEFT_25_MONTHS, "93"), (LEFT_29_MONTHS, "75")])
    {
        assert_eq!(ressource_id, id);
        assert_eq!(departement.as_deref(), Some(dep));
        assert_eq!(
            (
                sub.as_str(),
                role.as_str(),
                action.as_str(),
                ressource.as_str()
            ),
            (
                "cnfs-api anonymiser",
                "systeme",
                "anonymisation",
                "conseiller"
            )
        );
        let avant: serde_json::Value = serde_json::from_str(avant.as_deref().unwrap()).unwrap();
        let apres: serde_json::Value = serde_json::from_str(apres.as_deref().unwrap()).unwrap();
        assert_eq!(avant, serde_json::json!({"anonymise": false}));
        assert_eq!(apres, serde_json::json!({"anonymise": true}));
    }
    let text = format!("{entries:?}");
    for value in personal_values() {
        assert!(!text.contains(&value), "{value} in the journal: {text}");
    }

    // Idempotent: a second run the same day changes nothing and journals nothing.
    assert_eq!(run(&mut conn, TODAY, 24), 0);
    assert_eq!(personal_rows(&mut conn), after);
    assert_eq!(journal_rows(&mut conn).len(), 2);

    // A shorter delay reaches the advisor who left 23 months ago and the one of exactly 24
    // months, never the active ones.
    assert_eq!(run(&mut conn, TODAY, 12), 2);
    let later = personal_rows(&mut conn);
    assert!(later[LEFT_23_MONTHS].5.is_some() && later[LEFT_24_MONTHS].5.is_some());
    assert_eq!(later[EN_POSTE], before[EN_POSTE]);
    assert_eq!(later[RECRUTE], before[RECRUTE]);
    assert_eq!(journal_rows(&mut conn).len(), 4);
}

async fn statistics_are_unchanged(db: TestDb) {
    let mut conn = db.conn();
    seed(&mut conn);
    let rows_before = statistics_rows(&mut conn);
    let counts_before = counts(&mut conn);
    assert_eq!(
        counts_before[0],
        BTreeMap::from([("false".to_owned(), 3), ("true".to_owned(), 4)])
    );
    assert_eq!(
        counts_before[2],
        BTreeMap::from([("75".to_owned(), 3), ("93".to_owned(), 4)])
    );

    assert_eq!(run(&mut conn, TODAY, 24), 2);
    assert_eq!(statistics_rows(&mut conn), rows_before);
    assert_eq!(counts(&mut conn), counts_before);

    // Even with everybody who left anonymised.
    assert_eq!(run(&mut conn, TODAY, 1), 2);
    assert_eq!(statistics_rows(&mut conn), rows_before);
    assert_eq!(counts(&mut conn), counts_before);
    let anonymised: i64 = conseillers::table
        .filter(conseillers::anonymise_le.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(anonymised, 5);
}

/// People recorded without ever getting a contract are kept as long as those who left: their
/// personal data is erased once they were recorded more than N months ago.
async fn people_never_contracted_are_anonymised_after_the_same_delay(db: TestDb) {
    let mut conn = db.conn();
    seed(&mut conn);
    seed_candidats(&mut conn);
    let before = personal_rows(&mut conn);
    assert_eq!(
        run(&mut conn, TODAY, 24),
        3,
        "the two who left, and the old candidate"
    );
    let after = personal_rows(&mut conn);
    assert!(after[CANDIDAT_ANCIEN].5.is_some(), "anonymised");
    assert_eq!(after[CANDIDAT_ANCIEN].1, None);
    assert_eq!(after[CANDIDAT_RECENT], before[CANDIDAT_RECENT], "kept");
    assert_eq!(after[RECRUTE], before[RECRUTE], "under contract: kept");
    assert_eq!(
        run(&mut conn, TODAY, 12),
        3,
        "23 and 24 months, and the recent candidate"
    );
    assert!(personal_rows(&mut conn)[CANDIDAT_RECENT].5.is_some());
    assert_eq!(personal_rows(&mut conn)[EN_POSTE], before[EN_POSTE]);
}

on_both_backends!(
    anonymises_only_those_who_left_more_than_n_months_ago,
    statistics_are_unchanged,
    people_never_contracted_are_anonymised_after_the_same_delay,
);

fn cli(args: &[&str], database: &std::path::Path) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_cnfs-api"))
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("DATABASE_URL", database)
        .env("CNFS_AUJOURDHUI", TODAY)
        .output()
        .expect("the binary runs")
}

#[test]
fn the_command_anonymises_and_says_how_many() {
    let db = TestDb::sqlite();
    let DatabaseUrl::Sqlite(path) = &db.url else {
        unreachable!("a SQLite test database")
    };
    seed(&mut db.conn());

    let output = cli(&["anonymiser", "--apres-mois", "24"], path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "2 conseiller(s) anonymisé(s) : sortis, ou enregistrés sans contrat, avant le 2024-06-15 \
         (plus de 24 mois avant le 2026-06-15)\n"
    );
    let after = personal_rows(&mut db.conn());
    assert!(after[LEFT_25_MONTHS].5.is_some() && after[LEFT_29_MONTHS].5.is_some());
    assert!(after[LEFT_23_MONTHS].1.is_some());

    // Again: nothing left to do, still a success. The default delay is 24 months.
    let output = cli(&["anonymiser"], path);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "0 conseiller(s) anonymisé(s) : sortis, ou enregistrés sans contrat, avant le 2024-06-15 \
         (plus de 24 mois avant le 2026-06-15)\n"
    );

    // Out of range: refused by the argument parser, nothing done.
    for months in ["0", "1201", "-3", "douze"] {
        let output = cli(&["anonymiser", "--apres-mois", months], path);
        assert_eq!(output.status.code(), Some(2), "--apres-mois {months}");
    }
    assert_eq!(personal_rows(&mut db.conn()), after);
}

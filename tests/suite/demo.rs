//! `cnfs-api seed --demo` on both backends: the story is there and tells itself through the
//! statistics, and a second run writes nothing (every table's row count, journal included).

use crate::common;

use cnfs_api::seed::demo::{self, Outcome};
use common::{TestApp, TestDb, count};

/// Every table the demo may write.
const TABLES: [&str; 20] = [
    "structures",
    "conventions",
    "conventions_signataires",
    "conventions_repartition",
    "enveloppes",
    "enveloppes_departements",
    "engagements",
    "versements",
    "lieux",
    "conseillers",
    "formations",
    "certifications",
    "postes",
    "postes_historique",
    "activites",
    "activites_jour",
    "activites_mois",
    "journal",
    "idempotence",
    "coordinations",
];

fn counts(db: &TestDb) -> Vec<(&'static str, i64)> {
    TABLES
        .iter()
        .map(|t| (*t, count(db, &format!("SELECT COUNT(*) AS n FROM {t}"))))
        .collect()
}

async fn the_story_once_and_only_once(db: TestDb) {
    let state = db.state();
    let mut lines = Vec::new();
    let outcome = demo::seed(state.pool.clone(), db.is_postgres(), None, |l| {
        lines.push(l.to_owned())
    })
    .await
    .expect("the demo loads");
    assert!(matches!(
        outcome,
        Outcome::Loaded {
            structures: 8,
            activites: demo::ACTIVITES,
            ..
        }
    ));
    assert_eq!(lines.len(), 8, "{lines:?}");
    let after_first = counts(&db);

    // The story, in the database.
    let n = |sql: &str| count(&db, sql);
    assert_eq!(
        n("SELECT postes_attribues AS n FROM conventions WHERE statut = 'en_execution'"),
        80
    );
    assert_eq!(n("SELECT COUNT(*) AS n FROM conventions_signataires"), 8);
    assert_eq!(
        n("SELECT CAST(SUM(postes) AS BIGINT) AS n FROM conventions_repartition"),
        80
    );
    // Advisors in post and gone, as of today (the status is derived from the contracts).
    let today = chrono::Utc::now().date_naive().to_string();
    let en_poste = format!(
        "convention_id IS NOT NULL AND (fin_contrats IS NULL OR fin_contrats >= '{today}')"
    );
    assert!(
        n(&format!(
            "SELECT COUNT(*) AS n FROM conseillers WHERE fin_contrats < '{today}'"
        )) > 0
    );
    assert_eq!(
        n("SELECT postes_pourvus AS n FROM conventions"),
        n(&format!(
            "SELECT COUNT(*) AS n FROM conseillers WHERE {en_poste}"
        ))
    );
    // Activities at the lieux, at home and remotely; each advisor has its contract.
    for type_lieu in ["lieu_activite", "domicile", "a_distance"] {
        assert!(
            n(&format!(
                "SELECT COUNT(*) AS n FROM activites WHERE type_lieu = '{type_lieu}'"
            )) > 0,
            "activities {type_lieu}"
        );
    }
    // Trainings and certifications along the same path: every advisor who started its training
    // has its initial one; certifications passed, failed and missed; some advisors late.
    assert!(n("SELECT COUNT(*) AS n FROM formations WHERE type = 'initiale'") > 40);
    assert_eq!(
        n("SELECT COUNT(*) AS n FROM formations WHERE type = 'initiale'"),
        n("SELECT COUNT(DISTINCT conseiller_id) AS n FROM formations WHERE type = 'initiale'"),
        "one initial training per person"
    );
    for resultat in ["reussie", "echouee", "absent"] {
        assert!(
            n(&format!(
                "SELECT COUNT(*) AS n FROM certifications WHERE resultat = '{resultat}'"
            )) > 0,
            "certifications {resultat}"
        );
    }
    // Those certified passed both (Pix and CCP1), some of the trained only.
    let certifies = n(
        "SELECT COUNT(DISTINCT conseiller_id) AS n FROM certifications WHERE resultat = 'reussie' \
         AND type = 'ccp1_remn'",
    );
    assert!(certifies > 0);
    assert_eq!(
        certifies,
        n(
            "SELECT COUNT(DISTINCT conseiller_id) AS n FROM certifications WHERE resultat = 'reussie' \
             AND type = 'pix'"
        )
    );
    assert!(certifies < n("SELECT COUNT(*) AS n FROM formations WHERE type = 'initiale'"));
    // Late on any day the story may be served (its trainings ended in 2021, "today" is at least
    // its last date, 2022-06-30).
    assert!(
        n(
            "SELECT COUNT(*) AS n FROM formations f WHERE f.date_fin < '2021-12-30' AND NOT EXISTS \
           (SELECT 1 FROM certifications c WHERE c.formation_id = f.id AND c.resultat = 'reussie')"
        ) > 0,
        "advisors late for their certification"
    );
    // Two people moved between two hosts: two contracts each, two employers; one of the
    // second contracts extended, the other a coordinator's.
    assert_eq!(
        n("SELECT COUNT(*) AS n FROM contrats"),
        n("SELECT COUNT(*) AS n FROM conseillers") + 2
    );
    assert_eq!(
        n(
            "SELECT COUNT(*) AS n FROM (SELECT conseiller_id FROM contrats GROUP BY conseiller_id \
           HAVING COUNT(DISTINCT structure_id) = 2) AS moved"
        ),
        2
    );
    // The coordinator, under its coordinator's contract, follows advisors in post of the 93.
    assert_eq!(
        n("SELECT COUNT(*) AS n FROM contrats WHERE typologie = 'coordinateur'"),
        1
    );
    assert_eq!(
        n("SELECT COUNT(*) AS n FROM coordinations"),
        demo::COORDONNES as i64
    );
    assert_eq!(
        n(
            "SELECT COUNT(*) AS n FROM coordinations k JOIN contrats c ON c.conseiller_id = \
           k.coordinateur_id AND c.typologie = 'coordinateur' JOIN conseillers a ON a.id = \
           k.conseiller_id WHERE a.fin_contrats IS NULL AND a.departement = c.departement"
        ),
        demo::COORDONNES as i64
    );
    assert_eq!(
        n(
            "SELECT COUNT(*) AS n FROM journal j JOIN contrats k ON k.id = j.ressource_id \
             WHERE j.ressource = 'contrat' AND j.action = 'prolongation' AND k.type = 'cdd'"
        ),
        1,
        "a CDD extended"
    );
    // Posts: one per post of the split, one of them a coordinator's; held by the active advisors;
    // one vacant post moved to the third host, which the split shows.
    assert_eq!(n("SELECT COUNT(*) AS n FROM postes"), 80);
    assert_eq!(
        n("SELECT COUNT(*) AS n FROM postes WHERE typologie = 'coordinateur'"),
        1
    );
    assert_eq!(
        n("SELECT COUNT(*) AS n FROM postes WHERE etat = 'occupe'"),
        n(&format!(
            "SELECT COUNT(*) AS n FROM conseillers WHERE {en_poste}"
        ))
    );
    assert_eq!(
        n("SELECT COUNT(*) AS n FROM postes_historique WHERE evenement = 'transfert'"),
        1
    );
    assert_eq!(
        n(
            "SELECT COUNT(*) AS n FROM conventions_repartition r WHERE r.postes <> \
           (SELECT COUNT(*) FROM postes p WHERE p.structure_id = r.structure_id)"
        ),
        0,
        "the split follows the transfer"
    );
    assert_eq!(
        n("SELECT engage_centimes AS n FROM enveloppes WHERE programme_budgetaire = '364'"),
        400_000_000
    );
    assert_eq!(
        n(
            "SELECT verse_centimes AS n FROM enveloppes_departements WHERE departement = '93' AND plafond_centimes IS NOT NULL"
        ),
        160_000_000
    );
    assert_eq!(
        n("SELECT COUNT(*) AS n FROM activites"),
        demo::ACTIVITES as i64
    );
    assert_eq!(
        n("SELECT CAST(SUM(nombre) AS BIGINT) AS n FROM activites_mois"),
        demo::ACTIVITES as i64
    );
    assert_eq!(
        n("SELECT CAST(SUM(participants) AS BIGINT) AS n FROM activites_jour"),
        n("SELECT CAST(SUM(nb_participants) AS BIGINT) AS n FROM activites")
    );
    assert_eq!(
        n(
            "SELECT COUNT(*) AS n FROM activites a WHERE NOT EXISTS (SELECT 1 FROM contrats k \
           WHERE k.conseiller_id = a.conseiller_id AND k.date_debut <= a.date \
           AND COALESCE(k.date_rupture, k.date_fin, '9999-12-31') >= a.date) \
           OR (a.lieu_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM lieux l \
           WHERE l.id = a.lieu_id AND l.structure_id = a.structure_id))"
        ),
        0,
        "activities under a contract in force, at a lieu of their employer"
    );

    // The statistics of the 93 tell it.
    let app = TestApp::on(&db).await;
    let stats = app
        .anonymous()
        .get("/api/v1/statistiques/departements/93")
        .await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    assert_eq!(stats.json["postes"]["objectif"], 80);
    assert_eq!(stats.json["postes"]["attribues"], 80);
    assert_eq!(stats.json["conventions"]["en_execution"], 1);
    assert_eq!(stats.json["activites"]["nombre"], demo::ACTIVITES as i64);
    assert_eq!(stats.json["financement"][0]["verse_centimes"], 160_000_000);

    // Again: nothing written.
    let mut lines = Vec::new();
    let outcome = demo::seed(state.pool.clone(), db.is_postgres(), None, |l| {
        lines.push(l.to_owned())
    })
    .await
    .expect("the second run succeeds");
    assert_eq!(outcome, Outcome::AlreadyLoaded);
    assert_eq!(counts(&db), after_first);
}

/// A "today" before the story's end is refused before anything is written.
async fn refused_when_today_precedes_the_story(db: TestDb) {
    let state = db.state();
    let before = counts(&db);
    let today = "2022-06-29".parse().ok();
    let error = demo::seed(state.pool.clone(), db.is_postgres(), today, |_| {})
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("2022-06-30"), "{error}");
    assert_eq!(counts(&db), before);
}

on_both_backends!(
    the_story_once_and_only_once,
    refused_when_today_precedes_the_story
);

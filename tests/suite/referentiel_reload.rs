//! Reloading the référentiel with a newer extract under existing structures, on both backends:
//! every referenced row stays, what changed is updated, what left and nothing references goes.

use crate::common;

use cnfs_api::db::DbConn;
use cnfs_api::db::referentiel::{LoadOutcome, load_extract};
use cnfs_api::db::repo::referentiel as repo;
use cnfs_api::db::schema::{
    communes, communes_codes_postaux, departements, epci, epci_membres, regions, structures,
};
use common::{TestApp, TestDb, get};
use diesel::prelude::*;

const REGIONS: &str = include_str!("../../data/referentiel/regions.tsv");
const DEPARTEMENTS: &str = include_str!("../../data/referentiel/departements.tsv");
const COMMUNES: &str = include_str!("../../data/referentiel/communes.tsv");
const EPCI: &str = include_str!("../../data/referentiel/epci.tsv");

/// The seat of the structure; it leaves the newer extract.
const REFERENCED: &str = "01001";
/// Leaves the newer extract; nothing references it.
const UNREFERENCED: &str = "01002";
/// Renamed in the newer extract.
const RENAMED: &str = "01004";
const NEW_NAME: &str = "Ambérieu-en-Bugey-les-Bains";
/// Moves from `EPCI_FROM` to `EPCI_TO` in the newer extract.
const MOVED: &str = "01005";
const EPCI_FROM: &str = "200042497";
const EPCI_TO: &str = "200069193";

/// The embedded extract's TSV text with each line passed through `edit` (`None` drops it).
fn edited(text: &str, edit: impl Fn(Vec<String>) -> Option<Vec<String>>) -> String {
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().expect("header"));
    for line in lines {
        let fields = line.split('\t').map(str::to_owned).collect();
        if let Some(fields) = edit(fields) {
            out.push_str(&fields.join("\t"));
            out.push('\n');
        }
    }
    out
}

/// The newer extract: communes and EPCI edited, régions and départements unchanged.
fn newer_extract() -> (String, String) {
    let communes = edited(COMMUNES, |mut fields| match fields[0].as_str() {
        REFERENCED | UNREFERENCED => None,
        RENAMED => {
            fields[1] = NEW_NAME.to_owned();
            Some(fields)
        }
        _ => Some(fields),
    });
    let epci = edited(EPCI, |mut fields| {
        let mut membres: Vec<&str> = fields[4]
            .split(' ')
            .filter(|code| ![REFERENCED, UNREFERENCED, MOVED].contains(code))
            .collect();
        if fields[4].split(' ').any(|code| code == MOVED) {
            assert_eq!(fields[0], EPCI_FROM, "the data moved: pick another commune");
        }
        if fields[0] == EPCI_TO {
            membres.push(MOVED);
            membres.sort_unstable();
        }
        fields[4] = membres.join(" ");
        Some(fields)
    });
    (communes, epci)
}

type StructureRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
);

fn insert_structure(conn: &mut DbConn) -> StructureRow {
    let row: StructureRow = (
        "01937a3c-5b2e-7c00-8000-000000000001".to_owned(),
        "21010001200017".to_owned(),
        "210100012".to_owned(),
        "Commune de L'Abergement-Clémenciat".to_owned(),
        "commune de l abergement clemenciat".to_owned(),
        "commune".to_owned(),
        REFERENCED.to_owned(),
        "01".to_owned(),
        1,
        "2026-11-28T09:00:00.000000Z".to_owned(),
        "2026-11-28T09:00:00.000000Z".to_owned(),
    );
    diesel::insert_into(structures::table)
        .values((
            structures::id.eq(&row.0),
            structures::siret.eq(&row.1),
            structures::siren.eq(&row.2),
            structures::nom.eq(&row.3),
            structures::nom_recherche.eq(&row.4),
            structures::type_.eq(&row.5),
            structures::code_insee.eq(&row.6),
            structures::departement.eq(&row.7),
            structures::version.eq(row.8),
            structures::cree_le.eq(&row.9),
            structures::modifie_le.eq(&row.10),
        ))
        .execute(conn)
        .expect("structure inserted");
    row
}

fn structures_rows(conn: &mut DbConn) -> Vec<StructureRow> {
    structures::table
        .select((
            structures::id,
            structures::siret,
            structures::siren,
            structures::nom,
            structures::nom_recherche,
            structures::type_,
            structures::code_insee,
            structures::departement,
            structures::version,
            structures::cree_le,
            structures::modifie_le,
        ))
        .order(structures::id)
        .load(conn)
        .unwrap()
}

/// `(code, current)` of a commune row, whether current or not.
fn commune_row(conn: &mut DbConn, code: &str) -> Option<(String, bool)> {
    communes::table
        .find(code)
        .select((communes::nom, communes::actuelle))
        .first(conn)
        .optional()
        .unwrap()
}

fn members(json: &serde_json::Value) -> Vec<String> {
    json["membres"]
        .as_array()
        .expect("membres")
        .iter()
        .map(|m| m["code_insee"].as_str().expect("code").to_owned())
        .collect()
}

fn codes(json: &serde_json::Value) -> Vec<String> {
    json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["code_insee"].as_str().expect("code").to_owned())
        .collect()
}

async fn a_newer_extract_keeps_what_structures_reference(db: TestDb) {
    let mut conn = db.conn();
    let structure = insert_structure(&mut conn);
    let (communes_tsv, epci_tsv) = newer_extract();

    let outcome = load_extract(&mut conn, REGIONS, DEPARTEMENTS, &communes_tsv, &epci_tsv)
        .expect("the newer extract loads under a structure");
    assert!(
        matches!(
            outcome,
            LoadOutcome::Loaded {
                communes: 34_967,
                epci: 1_266,
                communes_removed: 1,
                communes_retained: 1,
                ..
            }
        ),
        "{outcome:?}"
    );

    // The referenced commune is kept, not current; the other one is gone.
    assert_eq!(
        commune_row(&mut conn, REFERENCED).map(|(_, current)| current),
        Some(false)
    );
    assert_eq!(commune_row(&mut conn, UNREFERENCED), None);
    assert_eq!(
        commune_row(&mut conn, RENAMED),
        Some((NEW_NAME.to_owned(), true))
    );
    assert_eq!(structures_rows(&mut conn), [structure]);
    assert!(
        repo::find_commune(&mut conn, &REFERENCED.parse().unwrap())
            .unwrap()
            .is_none()
    );
    let current: i64 = communes::table
        .filter(communes::actuelle.eq(true))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(current, 34_967);

    let app = TestApp::on(&db).await;
    get(&app, &format!("/api/v1/communes/{REFERENCED}"))
        .await
        .assert_problem(404, "ressource_introuvable");
    get(&app, &format!("/api/v1/communes/{UNREFERENCED}"))
        .await
        .assert_problem(404, "ressource_introuvable");
    let found = get(&app, "/api/v1/communes?q=abergement&limit=100").await;
    assert_eq!(found.status, 200, "{}", found.text);
    let found = codes(&found.json);
    assert!(found.contains(&"71001".to_owned()), "{found:?}");
    assert!(!found.contains(&REFERENCED.to_owned()) && !found.contains(&UNREFERENCED.to_owned()));
    let in_ain = get(&app, "/api/v1/communes?departement=01&limit=3").await;
    assert_eq!(codes(&in_ain.json), [RENAMED, MOVED, "01006"]);
    let by_postcode = get(&app, "/api/v1/communes?code_postal=01400&limit=100").await;
    assert!(!codes(&by_postcode.json).contains(&REFERENCED.to_owned()));

    let renamed = get(&app, &format!("/api/v1/communes/{RENAMED}")).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.json["nom"], NEW_NAME);
    let searched = get(
        &app,
        "/api/v1/communes?q=amberieu%20en%20bugey%20les%20bains",
    )
    .await;
    assert_eq!(codes(&searched.json), [RENAMED]);

    let from = get(&app, &format!("/api/v1/epci/{EPCI_FROM}")).await;
    assert_eq!(from.status, 200, "{}", from.text);
    assert!(!members(&from.json).contains(&MOVED.to_owned()));
    let to = get(&app, &format!("/api/v1/epci/{EPCI_TO}")).await;
    assert!(members(&to.json).contains(&MOVED.to_owned()));
    assert!(!members(&to.json).contains(&REFERENCED.to_owned()));

    // The structure on the kept commune still reads whole; no new structure may sit there.
    let admin = common::token(cnfs_api::auth::Role::Admin, &[], None);
    let kept = app
        .as_(&admin)
        .get("/api/v1/structures/01937a3c-5b2e-7c00-8000-000000000001")
        .await;
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert_eq!(kept.json["code_insee"], REFERENCED);
    assert_eq!(kept.json["commune"], "L'Abergement-Clémenciat");
    let body = serde_json::json!({"siret": common::siret_for("775672272"), "nom": "Association", "type": "association", "code_insee": REFERENCED});
    app.as_(&admin)
        .post("/api/v1/structures", &body)
        .await
        .assert_problem(422, "commune_inconnue");

    // The extract after that one brings the commune back: it is current again.
    let outcome = load_extract(&mut conn, REGIONS, DEPARTEMENTS, COMMUNES, EPCI)
        .expect("the embedded extract loads again");
    assert!(
        matches!(
            outcome,
            LoadOutcome::Loaded {
                communes: 34_969,
                communes_removed: 0,
                communes_retained: 0,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(
        commune_row(&mut conn, REFERENCED).map(|(_, current)| current),
        Some(true)
    );
    let back = get(&app, &format!("/api/v1/communes/{REFERENCED}")).await;
    assert_eq!(back.status, 200, "{}", back.text);
    assert_eq!(back.json["codes_postaux"], serde_json::json!(["01400"]));
    assert_eq!(structures_rows(&mut conn).len(), 1);
}

/// Everything the référentiel tables hold, in key order.
#[allow(clippy::type_complexity)]
fn snapshot(
    conn: &mut DbConn,
) -> (
    Vec<(String, String, Option<String>, String)>,
    Vec<(String, String, String, Option<String>, String)>,
    Vec<(
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<i64>,
        bool,
    )>,
    Vec<(String, String)>,
    Vec<(String, String, String, String, Option<i64>)>,
    Vec<(String, String)>,
) {
    (
        regions::table.order(regions::code).load(conn).unwrap(),
        departements::table
            .order(departements::code)
            .load(conn)
            .unwrap(),
        communes::table
            .order(communes::code_insee)
            .load(conn)
            .unwrap(),
        communes_codes_postaux::table
            .order((
                communes_codes_postaux::code_postal,
                communes_codes_postaux::code_insee,
            ))
            .load(conn)
            .unwrap(),
        epci::table.order(epci::siren).load(conn).unwrap(),
        epci_membres::table
            .order((epci_membres::epci_siren, epci_membres::code_insee))
            .load(conn)
            .unwrap(),
    )
}

async fn reloading_the_same_extract_changes_nothing(db: TestDb) {
    let mut conn = db.conn();
    let structure = insert_structure(&mut conn);
    let before = snapshot(&mut conn);
    assert_eq!(before.2.len(), 34_969);
    for _ in 0..2 {
        let outcome = load_extract(&mut conn, REGIONS, DEPARTEMENTS, COMMUNES, EPCI)
            .expect("the same extract reloads");
        assert!(
            matches!(
                outcome,
                LoadOutcome::Loaded {
                    communes: 34_969,
                    communes_removed: 0,
                    communes_retained: 0,
                    ..
                }
            ),
            "{outcome:?}"
        );
        assert!(snapshot(&mut conn) == before, "the reload changed the data");
    }
    assert_eq!(structures_rows(&mut conn), [structure]);
}

on_both_backends!(
    a_newer_extract_keeps_what_structures_reference,
    reloading_the_same_extract_changes_nothing,
);

//! The rules that span aggregates, tested at the use-case level (`src/app`), without HTTP, on
//! both backends: each test drives the use cases in write transactions as a handler does, then
//! reads what the database holds. A broken rule is named by the failing test.

use crate::common;

use chrono::NaiveDate;
use cnfs_api::api::convention::NouvelAvenant;
use cnfs_api::app::financement::EngagementPris;
use cnfs_api::app::{self, Context};
use cnfs_api::auth::{Caller, Role, Scope};
use cnfs_api::db::repo::conseiller as conseillers;
use cnfs_api::db::repo::convention as conventions;
use cnfs_api::db::repo::financement as money;
use cnfs_api::db::repo::structure::{self as structures, NewStructure};
use cnfs_api::db::{self, DbConn, WriteTx};
use cnfs_api::domain::convention::StatutConvention;
use cnfs_api::domain::financement::StatutEngagement;
use cnfs_api::domain::ids::{ConventionId, EngagementId, EnveloppeId, StructureId};
use cnfs_api::error::ApiError;
use common::TestDb;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const EURO: i64 = 100;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// The national administrator, acting on 2021-09-01.
fn admin() -> Context {
    let caller = Caller {
        sub: "test-admin".to_owned(),
        role: Role::Admin,
        scope: Scope::National,
        expires_at: i64::MAX,
    };
    Context::new(caller, date("2021-09-01"))
}

/// A request body, as the HTTP layer would have accepted it.
fn input<T: DeserializeOwned>(body: Value) -> T {
    serde_json::from_value(body).expect("a valid body")
}

/// The gate of a request whose body and `If-Match` hold.
fn accepted<T>(body: T) -> impl FnOnce(i64) -> Result<T, ApiError> {
    move |_version| Ok(body)
}

fn write<T>(
    conn: &mut DbConn,
    work: impl FnOnce(&mut WriteTx<'_>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    db::write(conn, work)
}

/// What the tests start from: two hosts of the 93 in a convention in execution (2 posts each),
/// and an envelope of 10,000 € per post.
struct Programme {
    hosts: [StructureId; 2],
    convention: ConventionId,
    enveloppe: EnveloppeId,
}

fn programme(conn: &mut DbConn) -> Programme {
    let ctx = admin();
    let hosts = write(conn, |tx| {
        let mut ids = Vec::new();
        for (siren, nom, commune) in [
            ("219300019", "Ville d'Aubervilliers", "93001"),
            ("219300480", "Ville de Montreuil", "93048"),
        ] {
            let created = structures::insert(
                tx,
                &NewStructure {
                    siret: common::siret_for(siren).parse().unwrap(),
                    nom: nom.to_owned(),
                    type_structure: "commune".parse().unwrap(),
                    code_insee: commune.parse().unwrap(),
                },
            )?;
            ids.push(created.id);
        }
        Ok([ids[0].clone(), ids[1].clone()])
    })
    .unwrap();
    let convention = write(conn, |tx| {
        let created = app::convention::create(
            tx,
            &ctx,
            input(json!({"departement": "93", "intitule": "CnFS 93",
                "signataires": [hosts[0], hosts[1]], "postes_attribues": 4})),
        )?;
        let id = created.id;
        app::convention::sign(
            tx,
            &ctx,
            &id,
            accepted(input(json!({"date_signature": "2021-02-08"}))),
        )?;
        app::convention::file_projet_accueil(
            tx,
            &ctx,
            &id,
            accepted(input(json!({"date_depot": "2021-03-01", "repartition": [
                {"structure_id": hosts[0], "postes": 2}, {"structure_id": hosts[1], "postes": 2}]}))),
        )?;
        app::convention::validate(
            tx,
            &ctx,
            &id,
            accepted(input(json!({"date_validation": "2021-03-15"}))),
        )?;
        Ok(id)
    })
    .unwrap();
    let enveloppe = write(conn, |tx| {
        Ok(app::financement::create_enveloppe(
            tx,
            &ctx,
            input(
                json!({"libelle": "Postes", "financeur": "État", "nature": "postes_conseillers",
                "montant_centimes": 1_000_000 * EURO, "date_debut": "2021-01-01",
                "date_fin": "2023-12-31", "baremes": crate::common::baremes_uniformes(10_000 * EURO)}),
            ),
        )?
        .id)
    })
    .unwrap();
    Programme {
        hosts,
        convention,
        enveloppe,
    }
}

/// A commitment to the host of index `host` of `montant` (none: its posts × the per-post
/// amount), its money moved in the same transaction, as the handler does.
fn engage(
    conn: &mut DbConn,
    p: &Programme,
    (host, montant): (usize, Option<i64>),
) -> Result<EngagementId, ApiError> {
    write(conn, |tx| {
        let EngagementPris { engagement, money } = app::financement::engage(
            tx,
            &admin(),
            &p.enveloppe,
            accepted(input(
                json!({"convention_id": p.convention, "beneficiaire_id": p.hosts[host],
                "montant_centimes": montant, "date_engagement": "2021-04-01",
                "objet": "Postes 2021"}),
            )),
        )?;
        money.move_now(tx)?;
        Ok(engagement.id)
    })
}

fn recruit(conn: &mut DbConn, p: &Programme, host: usize, n: usize) -> Result<(), ApiError> {
    write(conn, |tx| {
        app::conseiller::create(
            tx,
            &admin(),
            input(
                json!({"convention_id": p.convention, "structure_id": p.hosts[host],
                "nom": format!("Nom{n}"), "prenom": "Camille",
                "email": format!("c{n}@example.org"), "commune_residence": "93001",
                "date_recrutement": "2021-04-01", "type_contrat": "contrat_de_projet"}),
            ),
        )?;
        Ok(())
    })
}

fn terminate(conn: &mut DbConn, p: &Programme) -> Result<(), ApiError> {
    write(conn, |tx| {
        app::convention::terminate(
            tx,
            &admin(),
            &p.convention,
            accepted(input(
                json!({"date_resiliation": "2021-06-30", "motif": "Projet abandonné"}),
            )),
        )?;
        Ok(())
    })
}

fn withdraw_one_post(conn: &mut DbConn, p: &Programme, split: (i64, i64)) -> Result<(), ApiError> {
    let avenant: NouvelAvenant = input(json!({"type": "retrait", "nombre_postes": 1,
        "motif": "Un poste rendu", "repartition": [
            {"structure_id": p.hosts[0], "postes": split.0},
            {"structure_id": p.hosts[1], "postes": split.1}]}));
    write(conn, |tx| {
        app::convention::amend(tx, &admin(), &p.convention, accepted(avenant))?;
        Ok(())
    })
}

fn statut(conn: &mut DbConn, p: &Programme) -> (StatutConvention, i64) {
    let convention = conventions::find(conn, &p.convention).unwrap().unwrap();
    (convention.statut, convention.postes_attribues)
}

fn engaged(conn: &mut DbConn, p: &Programme) -> i64 {
    money::find_enveloppe(conn, &p.enveloppe)
        .unwrap()
        .unwrap()
        .engage_centimes
}

async fn a_convention_ended_annuls_its_live_commitments(db: TestDb) {
    let mut conn = db.conn();
    let p = programme(&mut conn);
    let first = engage(&mut conn, &p, (0, Some(15_000 * EURO))).unwrap();
    let second = engage(&mut conn, &p, (1, Some(5_000 * EURO))).unwrap();
    write(&mut conn, |tx| {
        app::financement::pay(
            tx,
            &admin(),
            &first,
            accepted(input(json!({"montant_centimes": 6_000 * EURO,
                "date_versement": "2021-05-01", "reference": "MANDAT-1"}))),
        )
    })
    .unwrap();
    assert_eq!(engaged(&mut conn, &p), 20_000 * EURO);

    terminate(&mut conn, &p).unwrap();

    assert_eq!(statut(&mut conn, &p).0, StatutConvention::Resiliee);
    for id in [&first, &second] {
        let engagement = money::find_engagement(&mut conn, id).unwrap().unwrap();
        assert_eq!(engagement.statut, StatutEngagement::Annule);
        assert_eq!(engagement.date_annulation, Some(date("2021-06-30")));
    }
    // What was paid stays engaged; the rest returned to the envelope.
    assert_eq!(engaged(&mut conn, &p), 6_000 * EURO);
    assert_eq!(
        common::count(
            &db,
            "SELECT COUNT(*) AS n FROM journal WHERE ressource = 'engagement' AND action = 'annulation'"
        ),
        2
    );
}

async fn active_advisors_block_the_end_of_a_convention(db: TestDb) {
    let mut conn = db.conn();
    let p = programme(&mut conn);
    let commitment = engage(&mut conn, &p, (0, Some(15_000 * EURO))).unwrap();
    recruit(&mut conn, &p, 0, 1).unwrap();

    let refused = terminate(&mut conn, &p).unwrap_err();

    assert_eq!(refused.code(), "conseillers_actifs");
    // Nothing moved: the convention runs, its commitment is live, its money engaged.
    assert_eq!(statut(&mut conn, &p).0, StatutConvention::EnExecution);
    let engagement = money::find_engagement(&mut conn, &commitment)
        .unwrap()
        .unwrap();
    assert_eq!(engagement.statut, StatutEngagement::Actif);
    assert_eq!(engaged(&mut conn, &p), 15_000 * EURO);
}

async fn a_withdrawal_never_leaves_a_host_fewer_posts_than_its_advisors(db: TestDb) {
    let mut conn = db.conn();
    let p = programme(&mut conn);
    recruit(&mut conn, &p, 0, 1).unwrap();
    recruit(&mut conn, &p, 0, 2).unwrap();

    let refused = withdraw_one_post(&mut conn, &p, (1, 2)).unwrap_err();

    assert_eq!(refused.code(), "postes_occupes");
    assert_eq!(statut(&mut conn, &p), (StatutConvention::EnExecution, 4));
    let actifs =
        conseillers::actifs_par_structure(&mut conn, &p.convention, date("2021-09-01")).unwrap();
    assert_eq!(actifs.iter().map(|a| a.actifs).sum::<i64>(), 2);
    // The same withdrawal taken from the other host is accepted.
    withdraw_one_post(&mut conn, &p, (2, 1)).unwrap();
    assert_eq!(statut(&mut conn, &p), (StatutConvention::EnExecution, 3));
}

async fn a_withdrawal_never_leaves_money_over_the_cap(db: TestDb) {
    let mut conn = db.conn();
    let p = programme(&mut conn);
    // The whole cap: each host's 2 posts × 10,000 €.
    engage(&mut conn, &p, (0, None)).unwrap();
    engage(&mut conn, &p, (1, None)).unwrap();
    assert_eq!(engaged(&mut conn, &p), 40_000 * EURO);

    let refused = withdraw_one_post(&mut conn, &p, (2, 1)).unwrap_err();

    assert_eq!(refused.code(), "convention_surfinancee");
    assert_eq!(statut(&mut conn, &p), (StatutConvention::EnExecution, 4));
    assert_eq!(engaged(&mut conn, &p), 40_000 * EURO);
    // The cap holds for new money too: nothing more fits either host.
    for host in [0, 1] {
        assert_eq!(
            engage(&mut conn, &p, (host, Some(EURO)))
                .unwrap_err()
                .code(),
            "beneficiaire_entierement_finance"
        );
    }
}

on_both_backends!(
    a_convention_ended_annuls_its_live_commitments,
    active_advisors_block_the_end_of_a_convention,
    a_withdrawal_never_leaves_a_host_fewer_posts_than_its_advisors,
    a_withdrawal_never_leaves_money_over_the_cap,
);

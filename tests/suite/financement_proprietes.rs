//! The money invariants as a property: random sequences of commitments to one employer of a
//! convention (amounts that fit, that land exactly on a limit, that pass it by one cent, absurd
//! ones, the per-post default),
//! annulments, payments (exact rest, one cent too many, random, an instalment of the
//! beneficiary's tariff named: paid once, refused when the tariff lacks it) and payment
//! cancellations, on
//! two fresh envelopes per case (with or without per-post amount, with or without ceilings on the
//! 93 and the 75) and three signed conventions in those two départements (one with two employers
//! sharing its posts), driven through the in-process HTTP app.
//!
//! After every step, the database rows are checked against the money invariants of docs/ARCHITECTURE.md (engaged
//! and paid sums of envelopes and départements equal the sums over commitments and payments,
//! within amounts, ceilings, and posts × per-post amount for each convention and each of its
//! employers) and against a model of what should have
//! happened; every answer is the one the model predicts (a refusal is a 409/422 with its code,
//! never a 500).
//!
//! SQLite always (32 cases); PostgreSQL when `CNFS_TEST_PG_URL` is set (8 cases);
//! `PROPTEST_CASES` changes both. The seed is printed; `PROPTEST_RNG_SEED=<seed>` replays a run,
//! and a failure prints the smallest failing sequence proptest found.

use crate::common;

use std::collections::BTreeMap;
use std::sync::Mutex;

use actix_web::rt::System;
use chrono::NaiveDate;
use cnfs_api::auth::Role;
use cnfs_api::db::DbConn;
use cnfs_api::http::AppState;
use common::{Answer, App, TestApp, TestDb, siret_for, token};
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Nullable, Text};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use serde_json::json;

const TODAY: &str = "2021-06-01";
/// The largest amount the API accepts (10^15 cents).
const MONTANT_MAX: i64 = 1_000_000_000_000_000;

// ---------------------------------------------------------------------------------------------
// What a case is made of.

/// An envelope of a case: its amount, per-post amount, and ceilings as percentages of its amount
/// (at most 50 % each, so that their sum never exceeds the amount).
#[derive(Debug, Clone)]
struct EnvelopeSpec {
    montant: i64,
    par_poste: Option<i64>,
    plafond_93_pct: Option<i64>,
    plafond_75_pct: Option<i64>,
}

impl EnvelopeSpec {
    fn plafond(&self, departement: &str) -> Option<i64> {
        let pct = match departement {
            "93" => self.plafond_93_pct,
            _ => self.plafond_75_pct,
        }?;
        Some((self.montant * pct / 100).max(1))
    }
}

/// The amount of a new commitment.
#[derive(Debug, Clone)]
enum Montant {
    /// This amount.
    Donne(i64),
    /// None given: posts × per-post amount (422 without one).
    ParDefaut,
    /// Exactly what the tightest limit leaves (1 cent when nothing is left).
    Disponible,
    /// One cent more than that.
    DisponiblePlusUn,
    /// 10^15 cents: beyond any envelope.
    Enorme,
}

/// The amount of a payment.
#[derive(Debug, Clone)]
enum MontantVersement {
    Donne(i64),
    /// Exactly what is left to pay (1 cent when nothing is).
    Reste,
    /// One cent more than what is left to pay.
    RestePlusUn,
    /// Naming this instalment of the beneficiary's tariff (the uniform tariffs have one: rank 1,
    /// the whole amount per post): of one cent when `true`, else none given (the instalment's
    /// amount for the beneficiary's posts).
    Tranche(i64, bool),
}

#[derive(Debug, Clone)]
enum Step {
    /// Envelope 0 or 1, convention 0, 1 (93) or 2 (75), to one of its employers.
    Engager {
        enveloppe: usize,
        convention: usize,
        beneficiaire: Index,
        montant: Montant,
    },
    /// One of the commitments made so far (live or annulled).
    AnnulerEngagement(Index),
    /// A payment on one of the commitments made so far.
    Verser(Index, MontantVersement),
    /// One of the payments made so far (done or cancelled).
    AnnulerVersement(Index),
}

#[derive(Debug, Clone)]
struct Scenario {
    enveloppes: [EnvelopeSpec; 2],
    steps: Vec<Step>,
}

fn envelope_spec() -> impl Strategy<Value = EnvelopeSpec> {
    (
        10_000_000i64..=60_000_000,
        prop::option::of(2_000_000i64..=8_000_000),
        prop::option::of(10i64..=50),
        prop::option::of(10i64..=50),
    )
        .prop_map(
            |(montant, par_poste, plafond_93_pct, plafond_75_pct)| EnvelopeSpec {
                montant,
                par_poste,
                plafond_93_pct,
                plafond_75_pct,
            },
        )
}

fn montant() -> impl Strategy<Value = Montant> {
    prop_oneof![
        4 => (1i64..=20_000_000).prop_map(Montant::Donne),
        1 => Just(Montant::ParDefaut),
        2 => Just(Montant::Disponible),
        1 => Just(Montant::DisponiblePlusUn),
        1 => Just(Montant::Enorme),
    ]
}

fn montant_versement() -> impl Strategy<Value = MontantVersement> {
    prop_oneof![
        3 => (1i64..=15_000_000).prop_map(MontantVersement::Donne),
        2 => Just(MontantVersement::Reste),
        1 => Just(MontantVersement::RestePlusUn),
        2 => (1i64..=2, any::<bool>()).prop_map(|(rang, cent)| MontantVersement::Tranche(rang, cent)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (0usize..2, 0usize..3, any::<Index>(), montant()).prop_map(
            |(enveloppe, convention, beneficiaire, montant)| {
                Step::Engager { enveloppe, convention, beneficiaire, montant }
            }
        ),
        2 => any::<Index>().prop_map(Step::AnnulerEngagement),
        4 => (any::<Index>(), montant_versement()).prop_map(|(i, m)| Step::Verser(i, m)),
        2 => any::<Index>().prop_map(Step::AnnulerVersement),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        envelope_spec(),
        envelope_spec(),
        prop::collection::vec(step(), 1..=25),
    )
        .prop_map(|(a, b, steps)| Scenario {
            enveloppes: [a, b],
            steps,
        })
}

// ---------------------------------------------------------------------------------------------
// The fixture (once per database) and the model (once per case).

/// The three signed conventions: (id, département, employers with their posts). The first has
/// two signatories sharing its 5 posts (3 and 2), the others one.
struct Fixture {
    state: AppState,
    conventions: Vec<(String, &'static str, Employeurs)>,
}

/// A convention's employers: each one's id and posts.
type Employeurs = Vec<(String, i64)>;

async fn fixture(db: &TestDb) -> Fixture {
    let today = NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap();
    let state = db.state().with_today(Some(today));
    let app = TestApp::over(state.clone()).await;
    let admin = token(Role::Admin, &[], None);
    let mut conventions = Vec::new();
    for (signataires, departement, parts) in [
        (
            &[
                ("219300019", "Ville d'Aubervilliers", "93001"),
                ("219300084", "Ville de Bobigny", "93008"),
            ][..],
            "93",
            &[3, 2][..],
        ),
        (
            &[("219300480", "Ville de Montreuil", "93048")][..],
            "93",
            &[2][..],
        ),
        (
            &[("217500016", "Ville de Paris", "75056")][..],
            "75",
            &[3][..],
        ),
    ] {
        let mut employeurs = Vec::new();
        for ((siren, nom, commune), postes) in signataires.iter().zip(parts) {
            let body = json!({"siret": siret_for(siren), "nom": nom, "type": "commune", "code_insee": commune});
            let structure = app.as_(&admin).post("/api/v1/structures", &body).await;
            assert_eq!(structure.status, 201, "{nom}: {}", structure.text);
            employeurs.push((structure.json["id"].as_str().unwrap().to_owned(), *postes));
        }
        let nom = signataires[0].1;
        let prefecture = token(Role::Prefecture, &[departement], None);
        let body = json!({
            "departement": departement,
            "intitule": format!("Conseillers numériques — {nom}"),
            "signataires": employeurs.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            "postes_attribues": parts.iter().sum::<i64>(),
        });
        let created = app
            .as_(&prefecture)
            .post("/api/v1/conventions", &body)
            .await;
        assert_eq!(created.status, 201, "convention {nom}: {}", created.text);
        let id = created.json["id"].as_str().unwrap().to_owned();
        let signed = app
            .as_(&prefecture)
            .post(
                &format!("/api/v1/conventions/{id}/signature"),
                json!({"date_signature": "2021-02-08"}),
            )
            .await;
        assert_eq!(signed.status, 200, "signature {nom}: {}", signed.text);
        conventions.push((id, departement, employeurs));
    }
    Fixture { state, conventions }
}

struct ModelEnvelope {
    id: String,
    spec: EnvelopeSpec,
}

struct ModelEngagement {
    id: String,
    enveloppe: usize,
    convention: usize,
    /// Index among its convention's employers.
    beneficiaire: usize,
    montant: i64,
    verse: i64,
    actif: bool,
}

impl ModelEngagement {
    /// What it counts in the engaged sums.
    fn engage(&self) -> i64 {
        if self.actif { self.montant } else { self.verse }
    }
}

struct ModelVersement {
    id: String,
    engagement: usize,
    montant: i64,
    effectue: bool,
    tranche: Option<i64>,
}

/// What the API should hold.
#[derive(Default)]
struct Model {
    enveloppes: Vec<ModelEnvelope>,
    engagements: Vec<ModelEngagement>,
    versements: Vec<ModelVersement>,
}

impl Model {
    fn engaged(&self, keep: impl Fn(&ModelEngagement) -> bool) -> i64 {
        self.engagements
            .iter()
            .filter(|e| keep(e))
            .map(ModelEngagement::engage)
            .sum()
    }
}

/// What an answer must be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Status(u16),
    Refusal(u16, &'static str),
}

// ---------------------------------------------------------------------------------------------
// Playing a case.

fn key() -> String {
    format!("prop-{}", uuid::Uuid::now_v7())
}

/// Checks the answer against the prediction: the predicted success, or a problem with the
/// predicted status and code.
fn check_answer(answer: &Answer, expected: Expect) -> Result<(), String> {
    let status = answer.status.as_u16();
    let matches = match expected {
        Expect::Status(wanted) => status == wanted,
        Expect::Refusal(wanted, code) => status == wanted && answer.json["code"] == code,
    };
    if matches {
        Ok(())
    } else {
        Err(format!(
            "expected {expected:?}, got {status}: {}",
            answer.text
        ))
    }
}

/// Outcomes seen over a run, for the figures.
static OUTCOMES: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());

fn note(what: &str, expected: Expect) {
    let label = match expected {
        Expect::Status(status) => format!("{what} {status}"),
        Expect::Refusal(status, code) => format!("{what} {status} {code}"),
    };
    *OUTCOMES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(label)
        .or_default() += 1;
}

async fn play(db: &TestDb, fixture: &Fixture, scenario: &Scenario) -> Result<(), String> {
    let app = TestApp::over(fixture.state.clone()).await;
    let admin = token(Role::Admin, &[], None);
    let mut conn = db.conn();
    let mut model = Model::default();

    for (n, spec) in scenario.enveloppes.iter().enumerate() {
        let mut body = json!({
            "libelle": format!("Enveloppe {n}"),
            "financeur": "DGCL — Plan de relance",
            "nature": "postes_conseillers",
            "montant_centimes": spec.montant,
            "date_debut": "2021-01-01",
            "date_fin": "2022-12-31",
        });
        if let Some(par_poste) = spec.par_poste {
            body["baremes"] = common::baremes_uniformes(par_poste);
        }
        let created = app.as_(&admin).post("/api/v1/enveloppes", &body).await;
        check_answer(&created, Expect::Status(201)).map_err(|e| format!("envelope {n}: {e}"))?;
        let id = created.json["id"].as_str().unwrap().to_owned();
        for departement in ["93", "75"] {
            if let Some(plafond) = spec.plafond(departement) {
                let answer = app
                    .as_(&admin)
                    .put(
                        &format!("/api/v1/enveloppes/{id}/plafonds/{departement}"),
                        json!({"plafond_centimes": plafond}),
                    )
                    .await;
                check_answer(&answer, Expect::Status(201))
                    .map_err(|e| format!("ceiling {departement} of envelope {n}: {e}"))?;
            }
        }
        model.enveloppes.push(ModelEnvelope {
            id,
            spec: spec.clone(),
        });
    }
    check_invariants(&mut conn, fixture, &model).map_err(|e| format!("after set-up: {e}"))?;

    for (n, step) in scenario.steps.iter().enumerate() {
        play_step(&app, &admin, fixture, &mut model, step)
            .await
            .map_err(|e| format!("step {n} ({step:?}): {e}"))?;
        check_invariants(&mut conn, fixture, &model)
            .map_err(|e| format!("after step {n} ({step:?}): {e}"))?;
    }
    Ok(())
}

async fn play_step(
    app: &TestApp<impl App>,
    admin: &str,
    fixture: &Fixture,
    model: &mut Model,
    step: &Step,
) -> Result<(), String> {
    match step {
        Step::Engager {
            enveloppe,
            convention,
            beneficiaire,
            montant,
        } => {
            let (enveloppe, convention) = (*enveloppe, *convention);
            let (convention_id, departement, employeurs) = &fixture.conventions[convention];
            let beneficiaire = beneficiaire.index(employeurs.len());
            let (beneficiaire_id, postes_beneficiaire) = &employeurs[beneficiaire];
            let postes: i64 = employeurs.iter().map(|(_, p)| p).sum();
            let spec = &model.enveloppes[enveloppe].spec;
            // The limits, in the order the API checks them: the beneficiary's funding, the
            // convention's, the département's ceiling, the envelope.
            let limits: Vec<(i64, &'static str)> = [
                spec.par_poste.map(|par_poste| {
                    let engage = model.engaged(|e| {
                        e.enveloppe == enveloppe
                            && e.convention == convention
                            && e.beneficiaire == beneficiaire
                    });
                    (
                        postes_beneficiaire * par_poste - engage,
                        "beneficiaire_entierement_finance",
                    )
                }),
                spec.par_poste.map(|par_poste| {
                    let engage =
                        model.engaged(|e| e.enveloppe == enveloppe && e.convention == convention);
                    (
                        postes * par_poste - engage,
                        "convention_entierement_financee",
                    )
                }),
                spec.plafond(departement).map(|plafond| {
                    let engage = model.engaged(|e| {
                        e.enveloppe == enveloppe
                            && fixture.conventions[e.convention].1 == *departement
                    });
                    (plafond - engage, "plafond_depasse")
                }),
                Some((
                    spec.montant - model.engaged(|e| e.enveloppe == enveloppe),
                    "enveloppe_insuffisante",
                )),
            ]
            .into_iter()
            .flatten()
            .collect();
            let tightest = limits.iter().map(|(left, _)| *left).min().unwrap();
            let amount = match montant {
                Montant::Donne(m) => Some(*m),
                Montant::ParDefaut => spec.par_poste.map(|p| postes_beneficiaire * p),
                Montant::Disponible => Some(tightest.max(1)),
                Montant::DisponiblePlusUn => Some(tightest + 1),
                Montant::Enorme => Some(MONTANT_MAX),
            };
            let expected = match amount {
                None => Expect::Refusal(422, "validation"),
                Some(amount) => match limits.iter().find(|(left, _)| amount > *left) {
                    Some((_, code)) => Expect::Refusal(409, code),
                    None => Expect::Status(201),
                },
            };
            let mut body = json!({"convention_id": convention_id, "beneficiaire_id": beneficiaire_id,
                                  "objet": "Postes de conseillers"});
            if !matches!(montant, Montant::ParDefaut) {
                body["montant_centimes"] = json!(amount);
            }
            let uri = format!(
                "/api/v1/enveloppes/{}/engagements",
                model.enveloppes[enveloppe].id
            );
            let answer = app
                .as_(admin)
                .idempotency_key(key())
                .post(&uri, &body)
                .await;
            check_answer(&answer, expected)?;
            note("engagement", expected);
            if expected == Expect::Status(201) {
                let amount = amount.unwrap();
                let read = &answer.json;
                if read["montant_centimes"] != amount
                    || read["engage_centimes"] != amount
                    || read["verse_centimes"] != 0
                    || read["statut"] != "actif"
                    || read["departement"] != *departement
                    || read["beneficiaire_id"] != *beneficiaire_id
                {
                    return Err(format!("unexpected commitment: {}", answer.text));
                }
                model.engagements.push(ModelEngagement {
                    id: read["id"].as_str().unwrap().to_owned(),
                    enveloppe,
                    convention,
                    beneficiaire,
                    montant: amount,
                    verse: 0,
                    actif: true,
                });
            }
        }
        Step::AnnulerEngagement(which) => {
            if model.engagements.is_empty() {
                return Ok(());
            }
            let i = which.index(model.engagements.len());
            let engagement = &model.engagements[i];
            let expected = if engagement.actif {
                Expect::Status(200)
            } else {
                Expect::Refusal(409, "transition_invalide")
            };
            let answer = app
                .as_(admin)
                .post(
                    &format!("/api/v1/engagements/{}/annulation", engagement.id),
                    json!({"motif": "Poste non pourvu"}),
                )
                .await;
            check_answer(&answer, expected)?;
            note("annulation engagement", expected);
            if expected == Expect::Status(200) {
                let engagement = &mut model.engagements[i];
                engagement.actif = false;
                if answer.json["statut"] != "annule"
                    || answer.json["engage_centimes"] != engagement.verse
                {
                    return Err(format!("unexpected annulled commitment: {}", answer.text));
                }
            }
        }
        Step::Verser(which, montant) => {
            if model.engagements.is_empty() {
                return Ok(());
            }
            // An instalment is paid, then asked again: the second time it is already paid.
            let fois = if matches!(montant, MontantVersement::Tranche(..)) {
                2
            } else {
                1
            };
            for _ in 0..fois {
                let i = which.index(model.engagements.len());
                let engagement = &model.engagements[i];
                let reste = engagement.montant - engagement.verse;
                let (_, _, employeurs) = &fixture.conventions[engagement.convention];
                let postes = employeurs[engagement.beneficiaire].1;
                let par_poste = model.enveloppes[engagement.enveloppe].spec.par_poste;
                let tranche = match montant {
                    MontantVersement::Tranche(rang, _) => Some(*rang),
                    _ => None,
                };
                let amount = match montant {
                    MontantVersement::Donne(m) => *m,
                    MontantVersement::Reste => reste.max(1),
                    MontantVersement::RestePlusUn => reste + 1,
                    MontantVersement::Tranche(_, true) => 1,
                    MontantVersement::Tranche(_, false) => par_poste.map_or(0, |p| p * postes),
                };
                let deja = tranche.is_some_and(|rang| {
                    model
                        .versements
                        .iter()
                        .any(|v| v.engagement == i && v.effectue && v.tranche == Some(rang))
                });
                // In the order the API checks: the commitment's status, the instalment (the
                // beneficiary's tariff has it, it is not paid yet), then what is left to pay.
                let expected = if !engagement.actif {
                    Expect::Refusal(409, "transition_invalide")
                } else if tranche.is_some() && (par_poste.is_none() || tranche != Some(1)) {
                    Expect::Refusal(422, "validation")
                } else if deja {
                    Expect::Refusal(409, "tranche_deja_versee")
                } else if amount > reste {
                    Expect::Refusal(409, "versement_excessif")
                } else {
                    Expect::Status(201)
                };
                let mut body = json!({
                    "date_versement": TODAY,
                    "reference": "MANDAT-2021-000123",
                });
                match montant {
                    MontantVersement::Tranche(rang, cent) => {
                        body["tranche"] = json!(rang);
                        if *cent {
                            body["montant_centimes"] = json!(1);
                        }
                    }
                    _ => body["montant_centimes"] = json!(amount),
                }
                let answer = app
                    .as_(admin)
                    .idempotency_key(key())
                    .post(
                        &format!("/api/v1/engagements/{}/versements", engagement.id),
                        body,
                    )
                    .await;
                check_answer(&answer, expected)?;
                note("versement", expected);
                if expected == Expect::Status(201) {
                    if answer.json["montant_centimes"] != amount
                        || answer.json["statut"] != "effectue"
                        || answer.json["tranche"] != json!(tranche)
                    {
                        return Err(format!("unexpected payment: {}", answer.text));
                    }
                    model.engagements[i].verse += amount;
                    model.versements.push(ModelVersement {
                        id: answer.json["id"].as_str().unwrap().to_owned(),
                        engagement: i,
                        montant: amount,
                        effectue: true,
                        tranche,
                    });
                }
            }
        }
        Step::AnnulerVersement(which) => {
            if model.versements.is_empty() {
                return Ok(());
            }
            let v = which.index(model.versements.len());
            let versement = &model.versements[v];
            let expected = if versement.effectue {
                Expect::Status(200)
            } else {
                Expect::Refusal(409, "transition_invalide")
            };
            let answer = app
                .as_(admin)
                .post(
                    &format!("/api/v1/versements/{}/annulation", versement.id),
                    json!({"motif": "Mandat rejeté"}),
                )
                .await;
            check_answer(&answer, expected)?;
            note("annulation versement", expected);
            if expected == Expect::Status(200) {
                if answer.json["statut"] != "annule" {
                    return Err(format!("unexpected cancelled payment: {}", answer.text));
                }
                let (engagement, montant) = (versement.engagement, versement.montant);
                model.versements[v].effectue = false;
                model.engagements[engagement].verse -= montant;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The invariants, from the rows.

#[derive(diesel::QueryableByName, Debug)]
struct EnvelopeRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = BigInt)]
    montant_centimes: i64,
    #[diesel(sql_type = BigInt)]
    engage_centimes: i64,
    #[diesel(sql_type = BigInt)]
    verse_centimes: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    montant_par_poste_centimes: Option<i64>,
}

#[derive(diesel::QueryableByName, Debug)]
struct DepartementRow {
    #[diesel(sql_type = Text)]
    enveloppe_id: String,
    #[diesel(sql_type = Text)]
    departement: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    plafond_centimes: Option<i64>,
    #[diesel(sql_type = BigInt)]
    engage_centimes: i64,
    #[diesel(sql_type = BigInt)]
    verse_centimes: i64,
}

#[derive(diesel::QueryableByName, Debug)]
struct EngagementRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    enveloppe_id: String,
    #[diesel(sql_type = Text)]
    convention_id: String,
    #[diesel(sql_type = Text)]
    beneficiaire_id: String,
    #[diesel(sql_type = Text)]
    departement: String,
    #[diesel(sql_type = BigInt)]
    montant_centimes: i64,
    #[diesel(sql_type = BigInt)]
    verse_centimes: i64,
    #[diesel(sql_type = Text)]
    statut: String,
}

impl EngagementRow {
    fn engage(&self) -> i64 {
        if self.statut == "actif" {
            self.montant_centimes
        } else {
            self.verse_centimes
        }
    }
}

#[derive(diesel::QueryableByName, Debug)]
struct VersementRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    engagement_id: String,
    #[diesel(sql_type = BigInt)]
    montant_centimes: i64,
    #[diesel(sql_type = Text)]
    statut: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    tranche: Option<i64>,
}

fn load<T>(conn: &mut DbConn, sql: &str) -> Result<Vec<T>, String>
where
    T: diesel::QueryableByName<diesel::pg::Pg>
        + diesel::QueryableByName<diesel::sqlite::Sqlite>
        + 'static,
{
    let rows: diesel::QueryResult<Vec<T>> =
        cnfs_api::db_run!(conn, |c| diesel::sql_query(sql).load::<T>(c));
    rows.map_err(|e| format!("{sql}: {e}"))
}

fn ensure(condition: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if condition { Ok(()) } else { Err(what()) }
}

fn check_invariants(conn: &mut DbConn, fixture: &Fixture, model: &Model) -> Result<(), String> {
    let ids: Vec<String> = model
        .enveloppes
        .iter()
        .map(|e| format!("'{}'", e.id))
        .collect();
    let ids = ids.join(", ");
    let enveloppes: Vec<EnvelopeRow> = load(
        conn,
        &format!(
            "SELECT id, montant_centimes, engage_centimes, verse_centimes, \
             (SELECT MIN(b.montant_par_poste_centimes) FROM baremes b \
              WHERE b.enveloppe_id = enveloppes.id) AS montant_par_poste_centimes \
             FROM enveloppes WHERE id IN ({ids})"
        ),
    )?;
    let departements: Vec<DepartementRow> = load(
        conn,
        &format!(
            "SELECT enveloppe_id, departement, plafond_centimes, engage_centimes, verse_centimes \
             FROM enveloppes_departements WHERE enveloppe_id IN ({ids})"
        ),
    )?;
    let engagements: Vec<EngagementRow> = load(
        conn,
        &format!(
            "SELECT id, enveloppe_id, convention_id, beneficiaire_id, departement, \
             montant_centimes, verse_centimes, statut FROM engagements \
             WHERE enveloppe_id IN ({ids})"
        ),
    )?;
    let versements: Vec<VersementRow> = load(
        conn,
        &format!(
            "SELECT v.id, v.engagement_id, v.montant_centimes, v.statut, v.tranche FROM versements v \
             JOIN engagements e ON e.id = v.engagement_id WHERE e.enveloppe_id IN ({ids})"
        ),
    )?;

    // Each commitment: paid = Σ of its payments not cancelled ≤ its amount.
    for engagement in &engagements {
        let paid: i64 = versements
            .iter()
            .filter(|v| v.engagement_id == engagement.id && v.statut == "effectue")
            .map(|v| v.montant_centimes)
            .sum();
        ensure(engagement.verse_centimes == paid, || {
            format!("commitment {engagement:?}: paid {paid} by its payments")
        })?;
        ensure(
            (0..=engagement.montant_centimes).contains(&engagement.verse_centimes),
            || format!("commitment {engagement:?}: paid beyond its amount"),
        )?;
        // Each instalment paid at most once (payments not cancelled).
        let mut tranches: Vec<i64> = versements
            .iter()
            .filter(|v| v.engagement_id == engagement.id && v.statut == "effectue")
            .filter_map(|v| v.tranche)
            .collect();
        let named = tranches.len();
        tranches.sort_unstable();
        tranches.dedup();
        ensure(tranches.len() == named, || {
            format!("commitment {engagement:?}: an instalment paid twice")
        })?;
    }

    // Each envelope: engaged = Σ parts of its commitments ≤ amount; paid = Σ paid.
    for enveloppe in &enveloppes {
        let mine = || {
            engagements
                .iter()
                .filter(|e| e.enveloppe_id == enveloppe.id)
        };
        let engaged: i64 = mine().map(EngagementRow::engage).sum();
        let paid: i64 = mine().map(|e| e.verse_centimes).sum();
        ensure(
            enveloppe.engage_centimes == engaged && enveloppe.verse_centimes == paid,
            || format!("envelope {enveloppe:?}: commitments engage {engaged}, paid {paid}"),
        )?;
        ensure(
            enveloppe.engage_centimes <= enveloppe.montant_centimes,
            || format!("envelope {enveloppe:?}: engaged beyond its amount"),
        )?;
        // With (uniform) tariffs: each convention within its posts × the tariff, and each of
        // its employers within its own posts × the tariff.
        if let Some(par_poste) = enveloppe.montant_par_poste_centimes {
            for (convention, _, employeurs) in &fixture.conventions {
                let postes: i64 = employeurs.iter().map(|(_, p)| p).sum();
                let engaged: i64 = mine()
                    .filter(|e| e.convention_id == *convention)
                    .map(EngagementRow::engage)
                    .sum();
                ensure(engaged <= postes * par_poste, || {
                    format!(
                        "envelope {}: convention {convention} engaged {engaged} > {postes} × {par_poste}",
                        enveloppe.id
                    )
                })?;
                for (employeur, postes) in employeurs {
                    let engaged: i64 = mine()
                        .filter(|e| {
                            e.convention_id == *convention && e.beneficiaire_id == *employeur
                        })
                        .map(EngagementRow::engage)
                        .sum();
                    ensure(engaged <= postes * par_poste, || {
                        format!(
                            "envelope {}: employer {employeur} of {convention} engaged {engaged} > {postes} × {par_poste}",
                            enveloppe.id
                        )
                    })?;
                }
            }
        }
        // Each département with money: its row holds the same sums, within its ceiling.
        let mut codes: Vec<&str> = mine().map(|e| e.departement.as_str()).collect();
        codes.extend(
            departements
                .iter()
                .filter(|d| d.enveloppe_id == enveloppe.id)
                .map(|d| d.departement.as_str()),
        );
        codes.sort();
        codes.dedup();
        for code in codes {
            let engaged: i64 = mine()
                .filter(|e| e.departement == code)
                .map(EngagementRow::engage)
                .sum();
            let paid: i64 = mine()
                .filter(|e| e.departement == code)
                .map(|e| e.verse_centimes)
                .sum();
            let row = departements
                .iter()
                .find(|d| d.enveloppe_id == enveloppe.id && d.departement == code);
            let (row_engaged, row_paid, plafond) = row
                .map(|d| (d.engage_centimes, d.verse_centimes, d.plafond_centimes))
                .unwrap_or((0, 0, None));
            ensure(row_engaged == engaged && row_paid == paid, || {
                format!(
                    "envelope {} département {code}: row {row:?}, commitments engage {engaged}, paid {paid}",
                    enveloppe.id
                )
            })?;
            if let Some(plafond) = plafond {
                ensure(row_engaged <= plafond, || {
                    format!(
                        "envelope {} département {code}: engaged beyond the ceiling: {row:?}",
                        enveloppe.id
                    )
                })?;
            }
        }
    }

    // The rows are what the model says.
    ensure(
        enveloppes.len() == model.enveloppes.len()
            && engagements.len() == model.engagements.len()
            && versements.len() == model.versements.len(),
        || {
            format!(
                "{} envelopes, {} commitments, {} payments stored; the model has {}, {}, {}",
                enveloppes.len(),
                engagements.len(),
                versements.len(),
                model.enveloppes.len(),
                model.engagements.len(),
                model.versements.len()
            )
        },
    )?;
    for expected in &model.engagements {
        let row = engagements.iter().find(|e| e.id == expected.id);
        ensure(
            row.is_some_and(|row| {
                row.enveloppe_id == model.enveloppes[expected.enveloppe].id
                    && row.convention_id == fixture.conventions[expected.convention].0
                    && row.beneficiaire_id
                        == fixture.conventions[expected.convention].2[expected.beneficiaire].0
                    && row.montant_centimes == expected.montant
                    && row.verse_centimes == expected.verse
                    && (row.statut == "actif") == expected.actif
            }),
            || {
                format!(
                    "commitment {}: stored {row:?}; expected montant {}, paid {}, actif {}",
                    expected.id, expected.montant, expected.verse, expected.actif
                )
            },
        )?;
    }
    for expected in &model.versements {
        let row = versements.iter().find(|v| v.id == expected.id);
        ensure(
            row.is_some_and(|row| {
                row.engagement_id == model.engagements[expected.engagement].id
                    && row.montant_centimes == expected.montant
                    && (row.statut == "effectue") == expected.effectue
                    && row.tranche == expected.tranche
            }),
            || format!("payment {}: stored {row:?}", expected.id),
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The runs.

/// The seed of this run: `PROPTEST_RNG_SEED` when given, else a fresh one (printed either way).
fn seed() -> u64 {
    match Config::default().rng_seed {
        RngSeed::Fixed(seed) => seed,
        RngSeed::Random => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
        }
    }
}

/// Runs `cases` cases (`PROPTEST_CASES` overrides it) on `db`.
fn run(db: TestDb, cases: u32, label: &str) {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    let started = std::time::Instant::now();
    let fixture = System::new().block_on(fixture(&db));
    let seed = seed();
    println!("[{label}] {cases} cases, PROPTEST_RNG_SEED={seed}");
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        // The seed is printed: no regression files next to the sources.
        failure_persistence: None,
        max_shrink_iters: 300,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&scenario(), |scenario| {
        System::new()
            .block_on(play(&db, &fixture, &scenario))
            .map_err(TestCaseError::fail)
    });
    if let Err(error) = result {
        panic!("[{label}] {error}\nreplay with PROPTEST_RNG_SEED={seed}");
    }
    let outcomes = std::mem::take(&mut *OUTCOMES.lock().unwrap_or_else(|p| p.into_inner()));
    println!(
        "[{label}] {cases} cases passed in {} ms; answers: {outcomes:?}",
        started.elapsed().as_millis()
    );
}

/// The tests of this file count outcomes in one static: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn money_invariants_hold_after_every_step_on_sqlite() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    run(TestDb::sqlite(), 32, "sqlite");
}

#[test]
fn money_invariants_hold_after_every_step_on_postgres() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    run(db, 8, "postgres");
}

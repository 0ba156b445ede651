//! Money under concurrency, through real `cnfs-api` processes and real HTTP: commitments released
//! together on one envelope never exceed the département's ceiling — on PostgreSQL with two
//! server processes on one database, on SQLite with one — and concurrent duplicates of one
//! `Idempotency-Key` create one commitment; payments released together never exceed their
//! commitment.
//!
//! The requests go through a plain HTTP/1.1 client over `TcpStream` (one connection per request,
//! `Connection: close`), one thread per request, all released by one `Barrier`. Run with
//! `--nocapture` to see the figures of each round.
//!
//! The servers, the client and the bursts are [`common::processus`]'s, shared with the posts' race
//! (`postes_concurrence`).

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use common::processus::{
    Answer, Server, Shot, TODAY, burst, connect, created, exchange, http,
    on_postgres_two_processes, on_sqlite_one_process, request_bytes, signed_convention_93,
    structures_93, tally,
};
use common::scenario::admin;
use common::{TestDb, count};
use serde_json::json;

/// 200 M€: the envelope never limits these tests.
const MONTANT_ENVELOPPE: i64 = 20_000_000_000;
/// 4 M€: the ceiling of the 93 in the envelope.
const PLAFOND_93: i64 = 400_000_000;
/// 250 000 €: each commitment; 16 fit under the ceiling.
const MONTANT_ENGAGEMENT: i64 = 25_000_000;
/// Commitments sent at once.
const CONCURRENT: usize = 40;
/// Rounds of the burst (a fresh envelope each).
const ROUNDS: usize = 3;

// ---------------------------------------------------------------------------------------------
// The data: a signed convention of the 93 and envelopes with a ceiling for the 93.

/// Aubervilliers and Montreuil sign a convention of the 93 for 80 posts on 2021-02-08, 40 posts
/// each; its id and Aubervilliers' (the beneficiary of the commitments).
fn signed_convention(addr: SocketAddr) -> (String, String) {
    let structures = structures_93(addr);
    let convention = signed_convention_93(addr, &structures, 80);
    (convention, structures[0].clone())
}

/// The limit a burst of commitments runs into.
#[derive(Debug, Clone, Copy)]
enum Limite {
    /// The 93's ceiling of 4 M€ on an envelope without tariffs: 16 commitments fit.
    Plafond,
    /// Aubervilliers' 40 posts × 50,000 € = 2 M€ on an envelope with tariffs (and the same
    /// ceiling): 8 commitments fit.
    Beneficiaire,
}

impl Limite {
    /// The refusal's code.
    fn code(self) -> &'static str {
        match self {
            Limite::Plafond => "plafond_depasse",
            Limite::Beneficiaire => "beneficiaire_entierement_finance",
        }
    }

    /// What the limit lets through.
    fn montant(self) -> i64 {
        match self {
            Limite::Plafond => PLAFOND_93,
            Limite::Beneficiaire => 40 * 5_000_000,
        }
    }

    /// Commitments that fit.
    fn acceptes(self) -> usize {
        (self.montant() / MONTANT_ENGAGEMENT) as usize
    }
}

/// A 200 M€ envelope over 2021–2022, with a 4 M€ ceiling for the 93; with tariffs (50,000 € a
/// post for every employer) when `limite` is the beneficiary's.
fn envelope_with_ceiling(addr: SocketAddr, round: usize, limite: Limite) -> String {
    let admin = admin();
    let mut body = json!({
        "libelle": format!("Plan de relance — postes de conseillers (tour {round})"),
        "financeur": "DGCL — Plan de relance",
        "nature": "postes_conseillers",
        "montant_centimes": MONTANT_ENVELOPPE,
        "date_debut": "2021-01-01",
        "date_fin": "2022-12-31",
    });
    if let Limite::Beneficiaire = limite {
        body["baremes"] = common::baremes_uniformes(5_000_000);
    }
    let answer = http(
        addr,
        "POST",
        "/api/v1/enveloppes",
        Some(&admin),
        Some(&body),
    );
    let id = created(answer, "enveloppe");
    let ceiling = http(
        addr,
        "PUT",
        &format!("/api/v1/enveloppes/{id}/plafonds/93"),
        Some(&admin),
        Some(&json!({"plafond_centimes": PLAFOND_93})),
    );
    assert_eq!(ceiling.status, 201, "plafond: {}", ceiling.text);
    id
}

/// What the database holds for an envelope: engaged on its row, on its 93 row, and the sums over
/// its commitments (live amounts; commitments counted).
#[derive(Debug, PartialEq, Eq)]
struct Held {
    enveloppe: i64,
    departement_93: i64,
    somme_engagements: i64,
    engagements: i64,
}

fn held(db: &TestDb, enveloppe: &str) -> Held {
    Held {
        enveloppe: count(
            db,
            &format!("SELECT engage_centimes AS n FROM enveloppes WHERE id = '{enveloppe}'"),
        ),
        departement_93: count(
            db,
            &format!(
                "SELECT engage_centimes AS n FROM enveloppes_departements \
                 WHERE enveloppe_id = '{enveloppe}' AND departement = '93'"
            ),
        ),
        somme_engagements: count(
            db,
            &format!(
                "SELECT CAST(COALESCE(SUM(montant_centimes), 0) AS BIGINT) AS n FROM engagements \
                 WHERE enveloppe_id = '{enveloppe}' AND statut = 'actif'"
            ),
        ),
        engagements: count(
            db,
            &format!("SELECT COUNT(*) AS n FROM engagements WHERE enveloppe_id = '{enveloppe}'"),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The bursts.

/// A commitment of 250 000 € on `enveloppe` for `convention` to `beneficiaire`, as the admin,
/// with `key`.
fn engagement_request(
    addr: SocketAddr,
    enveloppe: &str,
    (convention, beneficiaire): (&str, &str),
    key: &str,
    objet: &str,
) -> Vec<u8> {
    let body = json!({
        "convention_id": convention,
        "beneficiaire_id": beneficiaire,
        "montant_centimes": MONTANT_ENGAGEMENT,
        "objet": objet,
    });
    request_bytes(
        addr,
        "POST",
        &format!("/api/v1/enveloppes/{enveloppe}/engagements"),
        Some(&admin()),
        Some(&body),
        &[("Idempotency-Key", key)],
    )
}

/// 40 commitments of 250 000 € released together on fresh envelopes (a 4 M€ ceiling for the 93),
/// split evenly over `servers`, for [`ROUNDS`] rounds: exactly 16 are taken, 24 refused with
/// `plafond_depasse`, and the database holds exactly 4 M€ engaged.
fn forty_commitments_under_one_ceiling(db: &TestDb, servers: &[Server], label: &str) {
    forty_commitments(db, servers, label, Limite::Plafond);
}

/// The same burst to one employer of the convention on envelopes with tariffs: exactly 8 are
/// taken (its 40 posts × 50,000 €), 32 refused with `beneficiaire_entierement_finance`, and the
/// database holds exactly 2 M€ engaged, all to it.
fn forty_commitments_to_one_employer(db: &TestDb, servers: &[Server], label: &str) {
    forty_commitments(db, servers, label, Limite::Beneficiaire);
    let (convention, beneficiaire) = (
        count(
            db,
            "SELECT COUNT(DISTINCT convention_id) AS n FROM engagements",
        ),
        count(
            db,
            "SELECT COUNT(DISTINCT beneficiaire_id) AS n FROM engagements",
        ),
    );
    assert_eq!(
        (convention, beneficiaire),
        (1, 1),
        "[{label}] one convention, one employer"
    );
}

fn forty_commitments(db: &TestDb, servers: &[Server], label: &str, limite: Limite) {
    let (convention, beneficiaire) = signed_convention(servers[0].addr);
    let code = limite.code();
    let (fit, total) = (limite.acceptes(), limite.montant());
    for round in 1..=ROUNDS {
        let enveloppe = envelope_with_ceiling(servers[0].addr, round, limite);
        let shots: Vec<Shot> = (0..CONCURRENT)
            .map(|i| {
                let addr = servers[i % servers.len()].addr;
                let key = format!("burst-{round}-{i}-{enveloppe}");
                Shot {
                    addr,
                    request: engagement_request(
                        addr,
                        &enveloppe,
                        (&convention, &beneficiaire),
                        &key,
                        &format!("Tour {round}, demande {i}"),
                    ),
                }
            })
            .collect();
        let (answers, wall) = burst(&shots);

        let accepted: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
        let refused: Vec<&Answer> = answers
            .iter()
            .filter(|a| a.status == 409 && a.json["code"] == code)
            .collect();
        let per_server: Vec<String> = servers
            .iter()
            .enumerate()
            .map(|(s, server)| {
                let won = (0..CONCURRENT)
                    .filter(|i| i % servers.len() == s && answers[*i].status == 201)
                    .count();
                format!("{}: {won} × 201", server.name)
            })
            .collect();
        let state = held(db, &enveloppe);
        println!(
            "[{label}] round {round}: {} × 201, {} × 409 {code} (all: {:?}; {}); \
             engaged {} c on the envelope, {} c on the 93, {} c over {} commitment rows; \
             wall time {} ms",
            accepted.len(),
            refused.len(),
            tally(&answers),
            per_server.join(", "),
            state.enveloppe,
            state.departement_93,
            state.somme_engagements,
            state.engagements,
            wall.as_millis()
        );

        let unexpected: Vec<&Answer> = answers
            .iter()
            .filter(|a| a.status != 201 && !(a.status == 409 && a.json["code"] == code))
            .collect();
        assert!(
            unexpected.is_empty(),
            "[{label}] round {round}: unexpected answers: {unexpected:#?}"
        );
        assert_eq!(
            (accepted.len(), refused.len()),
            (fit, CONCURRENT - fit),
            "[{label}] round {round}"
        );
        assert_eq!(
            state,
            Held {
                enveloppe: total,
                departement_93: total,
                somme_engagements: total,
                engagements: fit as i64,
            },
            "[{label}] round {round}"
        );
        // Every success is its own commitment, as stored.
        let mut ids: Vec<&str> = accepted
            .iter()
            .map(|a| a.json["id"].as_str().expect("an id"))
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), fit, "[{label}] round {round}: distinct ids");
        for answer in &accepted {
            assert_eq!(answer.json["montant_centimes"], MONTANT_ENGAGEMENT);
            assert_eq!(
                answer.header("location"),
                Some(
                    format!(
                        "/api/v1/engagements/{}",
                        answer.json["id"].as_str().unwrap()
                    )
                    .as_str()
                )
            );
        }
        // Each refusal tells what was left under the limit when it was checked.
        for answer in &refused {
            assert_eq!(answer.json["disponible_centimes"], 0, "{}", answer.text);
            assert_eq!(answer.json["demande_centimes"], MONTANT_ENGAGEMENT);
        }
    }
}

/// 20 identical requests with one `Idempotency-Key` released together (split over `servers`):
/// one commitment; every answer is its 201 (the same `id`) or 409 `requete_en_cours`; the key
/// replays that 201 afterwards.
fn one_key_twenty_times(db: &TestDb, servers: &[Server], label: &str) {
    let (convention, beneficiaire) = signed_convention(servers[0].addr);
    let enveloppe = envelope_with_ceiling(servers[0].addr, 0, Limite::Plafond);
    let key = format!("meme-cle-{enveloppe}");
    let shots: Vec<Shot> = (0..20)
        .map(|i| {
            let addr = servers[i % servers.len()].addr;
            Shot {
                addr,
                request: engagement_request(
                    addr,
                    &enveloppe,
                    (&convention, &beneficiaire),
                    &key,
                    "Une seule fois",
                ),
            }
        })
        .collect();
    let (answers, wall) = burst(&shots);
    let state = held(db, &enveloppe);
    println!(
        "[{label}] one key × 20: {:?}; {} commitment row(s), engaged {} c; wall time {} ms",
        tally(&answers),
        state.engagements,
        state.enveloppe,
        wall.as_millis()
    );

    let created: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert!(
        !created.is_empty(),
        "[{label}] nobody got the 201: {answers:#?}"
    );
    let first = created[0];
    let id = first.json["id"].as_str().expect("an id").to_owned();
    for answer in &answers {
        match answer.status {
            201 => {
                assert_eq!(answer.json, first.json, "[{label}] every 201 is the same");
                assert_eq!(
                    answer.header("location"),
                    Some(format!("/api/v1/engagements/{id}").as_str())
                );
            }
            409 => assert_eq!(
                answer.json["code"], "requete_en_cours",
                "[{label}]: {}",
                answer.text
            ),
            _ => panic!("[{label}] unexpected answer: {answer:#?}"),
        }
    }
    assert_eq!(
        state,
        Held {
            enveloppe: MONTANT_ENGAGEMENT,
            departement_93: MONTANT_ENGAGEMENT,
            somme_engagements: MONTANT_ENGAGEMENT,
            engagements: 1,
        },
        "[{label}]"
    );
    assert_eq!(
        count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM journal \
                 WHERE ressource = 'engagement' AND ressource_id = '{id}'"
            ),
        ),
        1,
        "[{label}] one journal entry"
    );
    // Afterwards, on every server, the key replays the 201.
    for server in servers {
        let stream = connect(server.addr, Duration::from_secs(10)).expect("connect");
        let replay = exchange(
            stream,
            &engagement_request(
                server.addr,
                &enveloppe,
                (&convention, &beneficiaire),
                &key,
                "Une seule fois",
            ),
        )
        .expect("replay");
        assert_eq!(replay.status, 201, "{}", replay.text);
        assert_eq!(replay.json, first.json);
    }
    assert_eq!(held(db, &enveloppe).engagements, 1);
}

/// A commitment of 2.5 M€, then 20 payments of 250 000 € released together (split over
/// `servers`): exactly 10 are recorded, 10 refused with `versement_excessif`, and every paid sum
/// (commitment, envelope, 93, payments) is 2.5 M€.
fn twenty_payments_on_one_commitment(db: &TestDb, servers: &[Server], label: &str) {
    const ENGAGE: i64 = 10 * MONTANT_ENGAGEMENT;
    let (convention, beneficiaire) = signed_convention(servers[0].addr);
    let enveloppe = envelope_with_ceiling(servers[0].addr, 0, Limite::Plafond);
    let addr = servers[0].addr;
    let stream = connect(addr, Duration::from_secs(10)).expect("connect");
    let body = json!({"convention_id": convention, "beneficiaire_id": beneficiaire,
                      "montant_centimes": ENGAGE, "objet": "Paiements"});
    let engagement = exchange(
        stream,
        &request_bytes(
            addr,
            "POST",
            &format!("/api/v1/enveloppes/{enveloppe}/engagements"),
            Some(&admin()),
            Some(&body),
            &[("Idempotency-Key", &format!("paiements-{enveloppe}"))],
        ),
    )
    .expect("commitment");
    let engagement = created(engagement, "engagement");
    let shots: Vec<Shot> = (0..20)
        .map(|i| {
            let addr = servers[i % servers.len()].addr;
            let body = json!({
                "montant_centimes": MONTANT_ENGAGEMENT,
                "date_versement": TODAY,
                "reference": format!("MANDAT-2021-{i:06}"),
            });
            Shot {
                addr,
                request: request_bytes(
                    addr,
                    "POST",
                    &format!("/api/v1/engagements/{engagement}/versements"),
                    Some(&admin()),
                    Some(&body),
                    &[("Idempotency-Key", &format!("versement-{i}-{engagement}"))],
                ),
            }
        })
        .collect();
    let (answers, wall) = burst(&shots);
    let paid = |sql: String| count(db, &sql);
    let sums = [
        paid(format!(
            "SELECT verse_centimes AS n FROM engagements WHERE id = '{engagement}'"
        )),
        paid(format!(
            "SELECT verse_centimes AS n FROM enveloppes WHERE id = '{enveloppe}'"
        )),
        paid(format!(
            "SELECT verse_centimes AS n FROM enveloppes_departements \
             WHERE enveloppe_id = '{enveloppe}' AND departement = '93'"
        )),
        paid(format!(
            "SELECT CAST(COALESCE(SUM(montant_centimes), 0) AS BIGINT) AS n FROM versements \
             WHERE engagement_id = '{engagement}' AND statut = 'effectue'"
        )),
    ];
    println!(
        "[{label}] 20 payments of 250 000 € on a 2 500 000 € commitment: {:?}; paid (commitment, \
         envelope, 93, Σ payments) {sums:?} c; wall time {} ms",
        tally(&answers),
        wall.as_millis()
    );
    let outcomes: Vec<String> = answers.iter().map(Answer::outcome).collect();
    assert_eq!(
        (
            outcomes.iter().filter(|o| *o == "201").count(),
            outcomes
                .iter()
                .filter(|o| *o == "409 versement_excessif")
                .count()
        ),
        (10, 10),
        "[{label}] {answers:#?}"
    );
    assert_eq!(sums, [ENGAGE; 4], "[{label}]");
    assert_eq!(
        count(
            db,
            &format!("SELECT COUNT(*) AS n FROM versements WHERE engagement_id = '{engagement}'")
        ),
        10
    );
}

mod postgres {
    use super::*;

    /// Two processes on one PostgreSQL database: the envelope's row lock holds across them.
    #[test]
    fn forty_commitments_on_two_processes_never_exceed_the_ceiling() {
        on_postgres_two_processes(forty_commitments_under_one_ceiling);
    }

    /// Two processes on one PostgreSQL database: one employer's cap holds across them.
    #[test]
    fn forty_commitments_to_one_employer_on_two_processes_never_exceed_its_tariff() {
        on_postgres_two_processes(forty_commitments_to_one_employer);
    }

    #[test]
    fn one_key_twenty_times_on_two_processes_commits_once() {
        on_postgres_two_processes(one_key_twenty_times);
    }

    #[test]
    fn twenty_payments_on_two_processes_never_exceed_the_commitment() {
        on_postgres_two_processes(twenty_payments_on_one_commitment);
    }
}

mod sqlite {
    use super::*;

    #[test]
    fn forty_commitments_on_one_process_never_exceed_the_ceiling() {
        on_sqlite_one_process(forty_commitments_under_one_ceiling);
    }

    #[test]
    fn forty_commitments_to_one_employer_on_one_process_never_exceed_its_tariff() {
        on_sqlite_one_process(forty_commitments_to_one_employer);
    }

    #[test]
    fn one_key_twenty_times_on_one_process_commits_once() {
        on_sqlite_one_process(one_key_twenty_times);
    }

    #[test]
    fn twenty_payments_on_one_process_never_exceed_the_commitment() {
        on_sqlite_one_process(twenty_payments_on_one_commitment);
    }
}

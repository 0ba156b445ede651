//! The last vacant posts under concurrency, through real `cnfs-api` processes and real HTTP: two
//! requests, or two employers, racing for a host's last vacant post never both win — on
//! PostgreSQL with two server processes on one database, on SQLite with one (the same rounds).
//!
//! A convention of the 93 gives Aubervilliers (A) [`POSTES_A`] advisor posts and Montreuil (B)
//! [`POSTES_B`]. Round 1 releases [`RECRUES_1`] recruitments for A at once: exactly
//! [`POSTES_A`] win, each on a post of its own. Round 2 frees one post of A (an exit the day
//! before the servers' today) and releases [`RECRUES_2`] recruitments for it at once, from A's
//! employer and from the préfecture, on every process, with one of B's employer for B's own
//! vacant post in the same burst: exactly one of A's wins, and B's is not turned away by the
//! race next door. Round 2 runs once per winner of round 1 (B only in the first pass): each pass
//! leaves the convention full, the only state in which a recruitment without its locks gets
//! through where it should not (see [`last_vacant_posts`]). After each round the database holds
//! as many occupied posts as active advisors, each post held by a distinct one, and
//! `conventions.postes_pourvus` agrees. Round 3 races contracts (`POST /contrats`) on a second
//! convention: the people who left in round 2 for one vacant post (one wins), then one of them
//! for two posts at once (one wins): one holder per post, one contract in force per person.
//!
//! The servers, the client and the bursts are [`common::processus`]'s. Run with `--nocapture`
//! to see the figures of each round.

use crate::common;

use std::net::SocketAddr;

use common::processus::{
    Answer, Server, Shot, TODAY, burst, created, http, on_postgres_two_processes,
    on_sqlite_one_process, request_bytes, signed_convention_93, structures_93, tally,
};
use common::scenario::{prefecture_93, recrue, structure};
use common::{TestDb, count};
use serde_json::{Value, json};

/// A's advisor posts.
const POSTES_A: i64 = 3;
/// B's advisor posts.
const POSTES_B: i64 = 1;
/// Recruitments for A released together in round 1.
const RECRUES_1: usize = 24;
/// Recruitments for A's one freed post released together in round 2 (B's comes on top).
const RECRUES_2: usize = 16;

/// The convention the rounds race on.
struct Terrain {
    convention: String,
    a: String,
    b: String,
}

/// A and B, a convention of the 93 signed by both, its hosting project (A [`POSTES_A`] posts,
/// B [`POSTES_B`]) filed on 2021-03-01 and validated on 2021-03-15: its posts, all vacant.
fn validated_convention(db: &TestDb, addr: SocketAddr) -> Terrain {
    validated_convention_of(db, addr, structures_93(addr))
}

/// [`validated_convention`] for `hosts` (A, B) already recorded.
fn validated_convention_of(db: &TestDb, addr: SocketAddr, hosts: Vec<String>) -> Terrain {
    let convention = signed_convention_93(addr, &hosts, POSTES_A + POSTES_B);
    let steps = [
        (
            "projet-accueil",
            json!({
                "repartition": [
                    {"structure_id": hosts[0], "postes": POSTES_A},
                    {"structure_id": hosts[1], "postes": POSTES_B},
                ],
                "date_depot": "2021-03-01",
            }),
        ),
        ("validation", json!({"date_validation": "2021-03-15"})),
    ];
    for (action, body) in steps {
        let done = http(
            addr,
            "POST",
            &format!("/api/v1/conventions/{convention}/{action}"),
            Some(&prefecture_93()),
            Some(&body),
        );
        assert_eq!(done.status, 200, "{action}: {}", done.text);
    }
    let terrain = Terrain {
        convention,
        a: hosts[0].clone(),
        b: hosts[1].clone(),
    };
    assert_eq!(postes(db, &terrain, &terrain.a), Postes::vacants(POSTES_A));
    assert_eq!(postes(db, &terrain, &terrain.b), Postes::vacants(POSTES_B));
    terrain
}

/// A recruitment of person `n` (its own name and e-mail) at `host` on `date`, sent by `token`
/// to `addr`.
fn recrutement(
    addr: SocketAddr,
    token: &str,
    terrain: &Terrain,
    host: &str,
    n: usize,
    date: &str,
) -> Shot {
    let mut body = recrue(&terrain.convention, host, n);
    body["date_recrutement"] = json!(date);
    Shot {
        addr,
        request: request_bytes(
            addr,
            "POST",
            "/api/v1/conseillers",
            Some(token),
            Some(&body),
            &[],
        ),
    }
}

/// A host's posts in the convention, as the database holds them.
#[derive(Debug, PartialEq, Eq)]
struct Postes {
    vacants: i64,
    occupes: i64,
    /// Distinct active advisors of the host holding its occupied posts.
    titulaires: i64,
    /// The host's active advisors in the convention.
    actifs: i64,
}

impl Postes {
    /// `n` posts, all vacant, and no advisor.
    fn vacants(n: i64) -> Postes {
        Postes {
            vacants: n,
            occupes: 0,
            titulaires: 0,
            actifs: 0,
        }
    }

    /// All `n` posts occupied, each by a distinct active advisor of the host, and no other.
    fn pleins(n: i64) -> Postes {
        Postes {
            vacants: 0,
            occupes: n,
            titulaires: n,
            actifs: n,
        }
    }
}

/// A host's posts in the convention and its active advisors, read from the database.
fn postes(db: &TestDb, terrain: &Terrain, host: &str) -> Postes {
    let convention = &terrain.convention;
    let of_host = format!("convention_id = '{convention}' AND structure_id = '{host}'");
    Postes {
        vacants: count(
            db,
            &format!("SELECT COUNT(*) AS n FROM postes WHERE {of_host} AND etat = 'vacant'"),
        ),
        occupes: count(
            db,
            &format!("SELECT COUNT(*) AS n FROM postes WHERE {of_host} AND etat = 'occupe'"),
        ),
        titulaires: count(
            db,
            &format!(
                "SELECT COUNT(DISTINCT p.conseiller_id) AS n FROM postes p \
                 JOIN conseillers c ON c.id = p.conseiller_id \
                 WHERE p.convention_id = '{convention}' AND p.structure_id = '{host}' \
                 AND p.etat = 'occupe' AND c.structure_id = '{host}' AND c.fin_contrats IS NULL"
            ),
        ),
        actifs: count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM conseillers WHERE {of_host} AND convention_id IS NOT NULL AND fin_contrats IS NULL"
            ),
        ),
    }
}

/// `conventions.postes_pourvus` and the convention's active advisors counted.
fn pourvus(db: &TestDb, terrain: &Terrain) -> (i64, i64) {
    let convention = &terrain.convention;
    (
        count(
            db,
            &format!("SELECT postes_pourvus AS n FROM conventions WHERE id = '{convention}'"),
        ),
        count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM conseillers \
                 WHERE convention_id = '{convention}' AND convention_id IS NOT NULL AND fin_contrats IS NULL"
            ),
        ),
    )
}

/// The posts an advisor holds (0 or 1).
fn tenus_par(db: &TestDb, conseiller: &str) -> i64 {
    count(
        db,
        &format!("SELECT COUNT(*) AS n FROM postes WHERE conseiller_id = '{conseiller}'"),
    )
}

/// A refusal for want of a vacant post.
fn quota_atteint(answer: &Answer) -> bool {
    answer.status == 409 && answer.json["code"] == "quota_atteint"
}

/// Asserts that exactly `wins` of `answers` are 201s and all the others 409 `quota_atteint`.
fn assert_wins(answers: &[&Answer], wins: usize, what: &str) {
    let unexpected: Vec<&&Answer> = answers
        .iter()
        .filter(|a| a.status != 201 && !quota_atteint(a))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{what}: unexpected answers: {unexpected:#?}"
    );
    let won = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(won, wins, "{what}: 201s among {} answers", answers.len());
}

/// `server: n × 201` for each server, from the answers and the server each shot went to.
fn wins_per_server(servers: &[Server], sent_to: &[usize], answers: &[&Answer]) -> String {
    servers
        .iter()
        .enumerate()
        .map(|(s, server)| {
            let won = sent_to
                .iter()
                .zip(answers)
                .filter(|(to, answer)| **to == s && answer.status == 201)
                .count();
            format!("{}: {won} × 201", server.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The ids of the 201s among `answers`.
fn ids(answers: &[&Answer]) -> Vec<String> {
    answers
        .iter()
        .filter(|a| a.status == 201)
        .map(|a| a.json["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Both rounds on `servers` (one database).
fn last_vacant_posts(db: &TestDb, servers: &[Server], label: &str) {
    let terrain = validated_convention(db, servers[0].addr);
    let winners = round_1(db, servers, &terrain, label);
    // Without the convention's and the posts' locks, the `postes_pourvus` UPDATE of a
    // recruitment still waits for the one before it, and the posts read after it are fresh: a
    // recruit that passed a stale quota check then finds no vacant post (a 409 as it should be)
    // unless the convention is full, where that UPDATE breaks its CHECK first (a 422 the test
    // refuses). Each pass fills the convention again: one more chance to catch a lock missing.
    for (pass, partant) in winners.iter().enumerate() {
        round_2(db, servers, &terrain, partant, pass + 1, label);
    }
    // Round 3 on a second convention of A and B, its posts vacant since its validation.
    let second = validated_convention_of(
        db,
        servers[0].addr,
        vec![terrain.a.clone(), terrain.b.clone()],
    );
    round_3(db, servers, &second, &winners, label);
}

/// The contract of `person` on `poste` from the servers' today, sent by `token` to `addr`.
fn contrat(addr: SocketAddr, token: &str, person: &str, poste: &str) -> Shot {
    let body =
        json!({"conseiller_id": person, "poste_id": poste, "type": "cdi", "date_debut": TODAY});
    Shot {
        addr,
        request: request_bytes(
            addr,
            "POST",
            "/api/v1/contrats",
            Some(token),
            Some(&body),
            &[],
        ),
    }
}

/// The vacant posts of A in the terrain's convention, by id.
fn postes_vacants_de_a(servers: &[Server], terrain: &Terrain) -> Vec<String> {
    let vacant = http(
        servers[0].addr,
        "GET",
        &format!(
            "/api/v1/postes?structure_id={}&etat=vacant&convention_id={}",
            terrain.a, terrain.convention
        ),
        Some(&prefecture_93()),
        None,
    );
    assert_eq!(vacant.status, 200, "{}", vacant.text);
    let mut ids: Vec<String> = vacant.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["id"].as_str().expect("an id").to_owned())
        .collect();
    ids.sort();
    ids
}

/// Whether an answer is the refusal a lost contract race gives.
fn course_perdue(answer: &Answer) -> bool {
    answer.status == 409
        && ["poste_non_vacant", "contrat_en_cours"]
            .contains(&answer.json["code"].as_str().unwrap_or(""))
}

/// Round 3, contracts (`POST /contrats`) for the people who left in round 2, on a second
/// convention whose posts are all vacant: (a) the three race for one post of A, four requests
/// each (A's employer and the préfecture in turn, every server): exactly one 201; (b) one
/// person races for the two others at once, eight requests:
/// exactly one 201 — one contract in force per person and one holder per post, whatever the
/// process. Every other answer is 409 `poste_non_vacant` or `contrat_en_cours`.
fn round_3(db: &TestDb, servers: &[Server], terrain: &Terrain, partis: &[String], label: &str) {
    let employer = structure(&terrain.a);
    let prefecture = prefecture_93();
    let token = |i: usize| if i % 2 == 0 { &employer } else { &prefecture };

    // (a) Three people, one post.
    let poste = postes_vacants_de_a(servers, terrain).remove(0);
    let shots: Vec<Shot> = (0..4 * partis.len())
        .map(|i| {
            contrat(
                servers[i % servers.len()].addr,
                token(i / servers.len()),
                &partis[i % partis.len()],
                &poste,
            )
        })
        .collect();
    let (answers, wall) = burst(&shots);
    let answers: Vec<&Answer> = answers.iter().collect();
    println!(
        "[{label}] round 3a, {} contracts of {} people for one freed post: {:?}; wall time {} ms",
        answers.len(),
        partis.len(),
        tally(answers.iter().copied()),
        wall.as_millis()
    );
    let won: Vec<&&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert_eq!(
        won.len(),
        1,
        "[{label}] round 3a: {:?}",
        tally(answers.iter().copied())
    );
    assert!(
        answers.iter().all(|a| a.status == 201 || course_perdue(a)),
        "[{label}] round 3a: {:?}",
        tally(answers.iter().copied())
    );
    let gagnant = won[0].json["conseiller_id"]
        .as_str()
        .expect("a person")
        .to_owned();
    assert_eq!(
        tenus_par(db, &gagnant),
        1,
        "[{label}] round 3a: the winner holds the post"
    );

    // (b) One person, two posts.
    let postes_libres = postes_vacants_de_a(servers, terrain);
    assert_eq!(
        postes_libres.len(),
        2,
        "[{label}] round 3b: two vacant posts"
    );
    let person = partis
        .iter()
        .find(|p| **p != gagnant)
        .expect("another person");
    let shots: Vec<Shot> = (0..8)
        .map(|i| {
            contrat(
                servers[i % servers.len()].addr,
                token(i / 2),
                person,
                &postes_libres[(i / 2) % 2],
            )
        })
        .collect();
    let (answers, wall) = burst(&shots);
    let answers: Vec<&Answer> = answers.iter().collect();
    println!(
        "[{label}] round 3b, 8 contracts of one person for two freed posts: {:?}; wall time {} ms",
        tally(answers.iter().copied()),
        wall.as_millis()
    );
    assert_eq!(
        answers.iter().filter(|a| a.status == 201).count(),
        1,
        "[{label}] round 3b: {:?}",
        tally(answers.iter().copied())
    );
    assert!(
        answers.iter().all(|a| a.status == 201 || course_perdue(a)),
        "[{label}] round 3b: {:?}",
        tally(answers.iter().copied())
    );
    assert_eq!(tenus_par(db, person), 1, "[{label}] round 3b: one post");

    // Nobody has two contracts in force; no post has two holders; the counter agrees.
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM (SELECT conseiller_id FROM contrats \
                   WHERE date_rupture IS NULL AND date_fin IS NULL \
                   GROUP BY conseiller_id HAVING COUNT(*) > 1) AS deux"
        ),
        0,
        "[{label}] round 3: one contract in force per person"
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM (SELECT conseiller_id FROM postes \
                   WHERE conseiller_id IS NOT NULL GROUP BY conseiller_id HAVING COUNT(*) > 1) AS deux"
        ),
        0,
        "[{label}] round 3: one post per holder"
    );
    let (pourvus, actifs) = pourvus(db, terrain);
    assert_eq!(pourvus, actifs, "[{label}] round 3: postes_pourvus");
}

/// [`RECRUES_1`] recruitments for A, released together, alternating over `servers`: exactly
/// [`POSTES_A`] answer 201, the others 409 `quota_atteint`, and each winner holds one of A's
/// posts. Returns the winners.
fn round_1(db: &TestDb, servers: &[Server], terrain: &Terrain, label: &str) -> Vec<String> {
    let employer = structure(&terrain.a);
    let sent_to: Vec<usize> = (0..RECRUES_1).map(|i| i % servers.len()).collect();
    let shots: Vec<Shot> = (0..RECRUES_1)
        .map(|i| {
            let addr = servers[sent_to[i]].addr;
            recrutement(addr, &employer, terrain, &terrain.a, i, "2021-04-01")
        })
        .collect();
    let (answers, wall) = burst(&shots);
    let answers: Vec<&Answer> = answers.iter().collect();
    let winners = ids(&answers);
    let refused = answers.iter().filter(|a| quota_atteint(a)).count();
    let state = postes(db, terrain, &terrain.a);
    let (pourvus, actifs) = pourvus(db, terrain);
    println!(
        "[{label}] round 1, {RECRUES_1} recruitments for A's {POSTES_A} posts: {} × 201, \
         {refused} × 409 quota_atteint (all: {:?}; {}); A's posts {state:?}; postes_pourvus \
         {pourvus}, active advisors {actifs}; wall time {} ms",
        winners.len(),
        tally(answers.iter().copied()),
        wins_per_server(servers, &sent_to, &answers),
        wall.as_millis()
    );

    assert_wins(&answers, POSTES_A as usize, &format!("[{label}] round 1"));
    assert_eq!(
        state,
        Postes::pleins(POSTES_A),
        "[{label}] round 1: A's posts"
    );
    assert_eq!(
        postes(db, terrain, &terrain.b),
        Postes::vacants(POSTES_B),
        "[{label}] round 1: B's posts untouched"
    );
    for winner in &winners {
        assert_eq!(
            tenus_par(db, winner),
            1,
            "[{label}] round 1: {winner} holds a post"
        );
    }
    assert_eq!((pourvus, actifs), (POSTES_A, POSTES_A), "[{label}] round 1");
    // A refusal leaves nothing behind: the convention has the winners' rows only.
    assert_eq!(
        count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM conseillers WHERE convention_id = '{}'",
                terrain.convention
            ),
        ),
        POSTES_A,
        "[{label}] round 1: advisor rows"
    );
    for refusal in answers.iter().filter(|a| quota_atteint(a)) {
        assert_eq!(refusal.json["postes"], POSTES_A, "{}", refusal.text);
        assert_eq!(refusal.json["actifs"], POSTES_A, "{}", refusal.text);
    }
    winners
}

/// Pass `pass` of round 2: `partant`, one of A's advisors, leaves the day before the servers'
/// today, freeing its post from today; then [`RECRUES_2`] recruitments for A (A's employer and
/// the préfecture in turn, on every server) — and, in the first pass, one of B's employer for
/// B's post — are released together: exactly one of A's wins, on the freed post; B's wins.
fn round_2(
    db: &TestDb,
    servers: &[Server],
    terrain: &Terrain,
    partant: &str,
    pass: usize,
    label: &str,
) {
    let employer_a = structure(&terrain.a);
    let employer_b = structure(&terrain.b);
    let prefecture = prefecture_93();
    let veille = TODAY
        .parse::<chrono::NaiveDate>()
        .expect("a day")
        .pred_opt()
        .expect("a day before")
        .to_string();
    let lu = http(
        servers[0].addr,
        "GET",
        &format!("/api/v1/conseillers/{partant}"),
        Some(&employer_a),
        None,
    );
    let contrat = lu.json["contrat_en_cours_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no contract in force: {}", lu.text))
        .to_owned();
    let gone = http(
        servers[0].addr,
        "POST",
        &format!("/api/v1/contrats/{contrat}/rupture"),
        Some(&employer_a),
        Some(&json!({"date": veille, "motif": "demission"})),
    );
    assert_eq!(gone.status, 200, "rupture: {}", gone.text);
    let vacant = http(
        servers[servers.len() - 1].addr,
        "GET",
        &format!(
            "/api/v1/postes?structure_id={}&etat=vacant&convention_id={}",
            terrain.a, terrain.convention
        ),
        Some(&prefecture),
        None,
    );
    assert_eq!(vacant.status, 200, "{}", vacant.text);
    let vacant: &Vec<Value> = vacant.json["items"].as_array().expect("items");
    assert_eq!(
        vacant.len(),
        1,
        "[{label}] round 2.{pass}: one post of A freed: {vacant:#?}"
    );
    assert_eq!(
        vacant[0]["depuis"], TODAY,
        "vacant from the day after the exit"
    );
    let freed = vacant[0]["id"].as_str().expect("an id").to_owned();
    assert_eq!(
        tenus_par(db, partant),
        0,
        "[{label}] round 2.{pass}: the leaver holds no post"
    );

    // A's requests, then B's in the middle of the burst.
    let mut sent_to: Vec<usize> = Vec::new();
    let mut shots: Vec<Shot> = Vec::new();
    for i in 0..RECRUES_2 {
        // A's employer and the préfecture in turn, each on every server.
        let token = if i % 2 == 0 { &employer_a } else { &prefecture };
        let server = (i / 2) % servers.len();
        sent_to.push(server);
        shots.push(recrutement(
            servers[server].addr,
            token,
            terrain,
            &terrain.a,
            100 * pass + i,
            TODAY,
        ));
    }
    let b_at = (pass == 1).then_some(RECRUES_2 / 2);
    if let Some(b_at) = b_at {
        let b_server = 1 % servers.len();
        sent_to.insert(b_at, b_server);
        shots.insert(
            b_at,
            recrutement(
                servers[b_server].addr,
                &employer_b,
                terrain,
                &terrain.b,
                1000,
                TODAY,
            ),
        );
    }
    let (answers, wall) = burst(&shots);
    let b_answer = b_at.map(|b_at| &answers[b_at]);
    let (a_answers, a_sent_to): (Vec<&Answer>, Vec<usize>) = answers
        .iter()
        .zip(&sent_to)
        .enumerate()
        .filter(|(k, _)| Some(*k) != b_at)
        .map(|(_, (answer, to))| (answer, *to))
        .unzip();
    let a_winners = ids(&a_answers);
    // Who won A's post, and through which process (A's shots keep their order in `a_answers`).
    let won_by: Vec<String> = (0..RECRUES_2)
        .filter(|i| a_answers[*i].status == 201)
        .map(|i| {
            let who = if i % 2 == 0 {
                "A's employer"
            } else {
                "the préfecture"
            };
            format!("{who} on {}", servers[a_sent_to[i]].name)
        })
        .collect();
    let refused = a_answers.iter().filter(|a| quota_atteint(a)).count();
    let state_a = postes(db, terrain, &terrain.a);
    let state_b = postes(db, terrain, &terrain.b);
    let (pourvus, actifs) = pourvus(db, terrain);
    println!(
        "[{label}] round 2.{pass}, {RECRUES_2} recruitments for A's freed post (A's employer \
         and the préfecture) + {} for B's post: A {} × 201, {refused} × 409 quota_atteint \
         (all: {:?}; {}; won by {won_by:?}); B {}; A's posts {state_a:?}; B's posts \
         {state_b:?}; postes_pourvus {pourvus}, active advisors {actifs}; wall time {} ms",
        b_answer.map_or(0, |_| 1),
        a_winners.len(),
        tally(a_answers.iter().copied()),
        wins_per_server(servers, &a_sent_to, &a_answers),
        b_answer.map_or_else(|| "-".to_owned(), Answer::outcome),
        wall.as_millis()
    );

    assert_wins(&a_answers, 1, &format!("[{label}] round 2.{pass}: A"));
    assert_eq!(
        state_a,
        Postes::pleins(POSTES_A),
        "[{label}] round 2.{pass}: A's posts"
    );
    assert_eq!(
        state_b,
        Postes::pleins(POSTES_B),
        "[{label}] round 2.{pass}: B's posts"
    );
    assert_eq!(
        (pourvus, actifs),
        (POSTES_A + POSTES_B, POSTES_A + POSTES_B),
        "[{label}] round 2.{pass}"
    );
    // A's winner holds the freed post, occupied from today: its fourth event.
    let winner = &a_winners[0];
    assert_eq!(
        count(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM postes WHERE id = '{freed}' \
                 AND conseiller_id = '{winner}' AND depuis = '{TODAY}'"
            ),
        ),
        1,
        "[{label}] round 2.{pass}: the freed post is the winner's"
    );
    assert_eq!(
        count(
            db,
            &format!("SELECT COUNT(*) AS n FROM postes_historique WHERE poste_id = '{freed}'"),
        ),
        4,
        "[{label}] round 2.{pass}: attribution, occupation, liberation, occupation"
    );
    if let Some(b_answer) = b_answer {
        // The race for A's post did not turn B's recruitment away.
        let b_winner = created(b_answer.clone(), "B's recruitment");
        assert_eq!(
            tenus_par(db, &b_winner),
            1,
            "[{label}] round 2.{pass}: B's post"
        );
    }
    assert_eq!(
        tenus_par(db, partant),
        0,
        "[{label}] round 2.{pass}: the leaver"
    );
}

mod postgres {
    use super::*;

    /// Two processes on one PostgreSQL database: the convention's and the posts' row locks hold
    /// across them.
    #[test]
    fn the_last_vacant_posts_go_once_across_two_processes() {
        on_postgres_two_processes(last_vacant_posts);
    }
}

mod sqlite {
    use super::*;

    #[test]
    fn the_last_vacant_posts_go_once_on_one_process() {
        on_sqlite_one_process(last_vacant_posts);
    }
}

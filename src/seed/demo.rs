//! `cnfs-api seed --demo`: the Seine-Saint-Denis story, loaded through the API itself.
//!
//! The demo sends the requests a client would send to the real application, in-process (the
//! same routes, extractors, domain rules, locks, journal and idempotency as a served request),
//! with tokens of the role each step needs: admin for envelopes and payments, the préfecture of
//! the 93 for conventions and commitments, each structure for its advisors, lieux and
//! activities. Its tokens are signed with a throw-away secret known only to this run: the
//! configured keys are neither needed nor used.
//!
//! Run twice, it changes nothing: it first looks for the demo convention (signed by Plaine
//! Commune); when the story is complete (its last step, the first payment, is there) it stops;
//! when a previous run stopped midway it refuses and says so.

use std::fmt;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use crate::auth::mint::{TokenRequest, mint};
use crate::auth::{JwtKeys, Role, Verifier};
use crate::db::DbPool;
use crate::domain::bareme::{baremes_premiere_phase, baremes_renouvellement};
use crate::domain::codes::Siret;
use crate::http::AppState;

/// The demo's convention title (also how a second run finds it).
pub const INTITULE: &str =
    "Conseillers numériques France Services — Seine-Saint-Denis (démonstration)";
/// The reference of the last host's first payment: the story's last step (its presence means
/// "complete").
pub const REFERENCE_VERSEMENT: &str = "DEMO-MANDAT-2021-0008";
/// Activities the story declares.
pub const ACTIVITES: usize = 360;
/// How many advisors in post the story's coordinator follows.
pub const COORDONNES: usize = 3;

/// The hosts: SIREN, name, type, seat (code INSEE), posts in the split. Real EPT and communes of
/// the 93; the SIRENs are those of the référentiel.
const HOTES: [(&str, &str, &str, &str, i64); 8] = [
    ("200057867", "Plaine Commune", "epci", "93066", 16),
    ("200057875", "Est Ensemble", "epci", "93063", 12),
    ("929939411", "Ville de Saint-Denis", "commune", "93066", 12),
    ("219300019", "Ville d'Aubervilliers", "commune", "93001", 10),
    ("219300480", "Ville de Montreuil", "commune", "93048", 10),
    ("219300084", "Ville de Bobigny", "commune", "93008", 8),
    ("219300555", "Ville de Pantin", "commune", "93055", 6),
    (
        "219300050",
        "Ville d'Aulnay-sous-Bois",
        "commune",
        "93005",
        6,
    ),
];

/// The lieu of each host (same order): name and commune.
const LIEUX: [(&str, &str); 8] = [
    ("Médiathèque Ulysse", "93066"),
    ("Maison de l'emploi d'Est Ensemble", "93063"),
    ("Espace numérique de la Plaine", "93066"),
    ("Médiathèque André Breton", "93001"),
    ("Maison populaire", "93048"),
    ("Bibliothèque Elsa Triolet", "93008"),
    ("Centre social des Courtillières", "93055"),
    ("Espace public numérique du Galion", "93005"),
];

/// Fictitious first and last names of the advisors (personal data, e-mails under example.org).
const PRENOMS: [&str; 12] = [
    "Camille", "Yanis", "Inès", "Moussa", "Léa", "Karim", "Sofia", "Mathis", "Aïcha", "Hugo",
    "Nour", "Théo",
];
const NOMS: [&str; 10] = [
    "Démo-Martin",
    "Démo-Diallo",
    "Démo-Nguyen",
    "Démo-Benali",
    "Démo-Moreau",
    "Démo-Traoré",
    "Démo-Lefèvre",
    "Démo-Haddad",
    "Démo-Petit",
    "Démo-Rossi",
];

/// What went wrong: the step and the answer that stopped the demo.
#[derive(Debug)]
pub struct DemoError(String);

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DemoError {}

/// What the demo did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The story was already there: nothing written.
    AlreadyLoaded,
    /// The story was loaded: what was created.
    Loaded {
        /// Structures created (those already there were reused).
        structures: usize,
        /// Advisors recruited.
        conseillers: usize,
        /// Activities declared.
        activites: usize,
    },
}

/// A small deterministic generator (xorshift64*): the same story on every database.
struct Tirage(u64);

impl Tirage {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound.max(1)
    }
}

/// Requests to the in-process application, as one role or another.
struct Client<S> {
    app: S,
    keys: JwtKeys,
}

impl<S, B> Client<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    fn token(&self, role: Role, departement: Option<&str>, structure: Option<&str>) -> String {
        let request = TokenRequest {
            role,
            departements: departement.map(|d| vec![d.to_owned()]).unwrap_or_default(),
            structure_id: structure.map(str::to_owned),
            sub: "cnfs-api seed --demo".to_owned(),
            ttl_seconds: 3600,
        };
        mint(&self.keys, None, &request).expect("the demo's own key signs")
    }

    fn admin(&self) -> String {
        self.token(Role::Admin, None, None)
    }

    fn prefecture(&self) -> String {
        self.token(Role::Prefecture, Some("93"), None)
    }

    fn structure(&self, id: &str) -> String {
        self.token(Role::Structure, None, Some(id))
    }

    /// Sends a request that must succeed (2xx); its JSON body (null when there is none).
    async fn ok(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Value, DemoError> {
        let mut request = test::TestRequest::default()
            .method(method.parse().expect("a method"))
            .uri(uri)
            .insert_header(("authorization", format!("Bearer {token}")));
        if let Some(body) = body {
            request = request
                .insert_header(("content-type", "application/json"))
                .set_payload(body.to_string());
        }
        for header in headers {
            request = request.insert_header(*header);
        }
        let response = self
            .app
            .call(request.to_request())
            .await
            .map_err(|error| DemoError(format!("{method} {uri} : {error}")))?;
        let status = response.status().as_u16();
        let bytes = test::read_body(response).await;
        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            Ok(json)
        } else {
            Err(DemoError(format!(
                "{method} {uri} : {status} {} — {}",
                json["code"].as_str().unwrap_or("?"),
                json["detail"].as_str().unwrap_or("")
            )))
        }
    }

    async fn post(&self, uri: &str, token: &str, body: Value) -> Result<Value, DemoError> {
        self.ok("POST", uri, token, Some(&body), &[]).await
    }

    async fn get(&self, uri: &str, token: &str) -> Result<Value, DemoError> {
        self.ok("GET", uri, token, None, &[]).await
    }
}

/// The `items` of a page the API answered (none if it has none).
fn items(page: &Value) -> impl Iterator<Item = &Value> {
    page["items"].as_array().into_iter().flatten()
}

fn id(value: &Value) -> Result<String, DemoError> {
    value["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| DemoError(format!("réponse sans identifiant : {value}")))
}

/// A SIRET of `siren`: the first establishment number whose Luhn key is valid.
fn siret_of(siren: &str) -> String {
    (1..100_000)
        .map(|nic| format!("{siren}{nic:05}"))
        .find(|siret| Siret::is_valid(siret))
        .expect("some NIC passes the Luhn check")
}

/// The ASCII slug of a name, for a fictitious e-mail address (`Démo-Lefèvre` → `demo-lefevre`).
fn slug(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfd()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect::<String>()
        .to_lowercase()
}

fn date(text: &str) -> NaiveDate {
    text.parse().expect("a date of the story")
}

/// The last date of the story: "today" must not be before it (its dates are never in the future).
pub const DERNIERE_DATE: &str = "2022-06-30";

/// Loads the story into the database of `pool` (migrated, référentiel loaded), printing one line
/// per step with `say`. `today` is the served application's "today" (`CNFS_AUJOURDHUI` when set):
/// the story's dates must not be after it.
pub async fn seed(
    pool: DbPool,
    postgres: bool,
    today: Option<NaiveDate>,
    mut say: impl FnMut(&str),
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let secret: [u8; 32] = {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| DemoError(e.to_string()))?;
        bytes
    };
    let keys = JwtKeys::from_secret(&secret, "cnfs-api-demo", "cnfs-api-demo")?;
    let verifier = Verifier::new(JwtKeys::from_secret(
        &secret,
        "cnfs-api-demo",
        "cnfs-api-demo",
    )?);
    let state = AppState::new(pool, postgres, true, verifier).with_today(today);
    let aujourdhui = state.today();
    if state.today() < date(DERNIERE_DATE) {
        return Err(Box::new(DemoError(format!(
            "aujourd'hui ({}) précède la fin de l'histoire ({DERNIERE_DATE}) : ses dates seraient \
             dans le futur",
            state.today()
        ))));
    }
    let app = test::init_service(crate::build_app(state, Vec::new())).await;
    let client = Client { app, keys };
    let admin = client.admin();
    let prefecture = client.prefecture();

    // 1. The hosts: created, or found by their SIRET.
    let mut hotes = Vec::new();
    let mut created_structures = 0;
    for (siren, nom, kind, seat, _) in HOTES {
        let siret = siret_of(siren);
        let found = client
            .get(&format!("/api/v1/structures?siret={siret}"), &admin)
            .await?;
        let existing = items(&found).next();
        let structure = match existing {
            Some(structure) => id(structure)?,
            None => {
                created_structures += 1;
                id(&client
                    .post(
                        "/api/v1/structures",
                        &admin,
                        json!({"siret": siret, "nom": nom, "type": kind, "code_insee": seat}),
                    )
                    .await?)?
            }
        };
        hotes.push(structure);
    }

    // 2. Is the story there already?
    let signed = client
        .get(
            &format!("/api/v1/conventions?signataire={}&limit=100", hotes[0]),
            &admin,
        )
        .await?;
    let existing = items(&signed).find(|c| c["intitule"] == INTITULE);
    if let Some(convention) = existing {
        let convention = id(convention)?;
        let commitments = client
            .get(
                &format!("/api/v1/engagements?convention_id={convention}"),
                &admin,
            )
            .await?;
        for commitment in items(&commitments) {
            let payments = client
                .get(
                    &format!("/api/v1/engagements/{}/versements", id(commitment)?),
                    &admin,
                )
                .await?;
            let complete = items(&payments).any(|p| p["reference"] == REFERENCE_VERSEMENT);
            if complete {
                say("données de démonstration déjà chargées : rien à faire");
                return Ok(Outcome::AlreadyLoaded);
            }
        }
        return Err(Box::new(DemoError(format!(
            "la convention de démonstration {convention} existe mais l'histoire est incomplète \
             (un chargement précédent s'est interrompu) : repartez d'une base neuve"
        ))));
    }
    say(&format!(
        "structures : {} hôtes de la Seine-Saint-Denis ({created_structures} créée(s))",
        hotes.len()
    ));

    // 3. The convention: signed, its hosting project filed, validated.
    let convention = id(&client
        .post(
            "/api/v1/conventions",
            &prefecture,
            json!({"departement": "93", "intitule": INTITULE, "signataires": hotes, "postes_attribues": 80,
                   "delai_projet_mois": 2}),
        )
        .await?)?;
    let uri = format!("/api/v1/conventions/{convention}");
    // The first host's first post is a coordinator's.
    let repartition: Vec<Value> = hotes
        .iter()
        .zip(HOTES)
        .enumerate()
        .map(|(index, (structure, (.., postes)))| {
            json!({"structure_id": structure, "postes": postes, "postes_coordinateur": u8::from(index == 0)})
        })
        .collect();
    for (action, body) in [
        ("signature", json!({"date_signature": "2021-02-08"})),
        (
            "projet-accueil",
            json!({"repartition": repartition, "date_depot": "2021-03-01"}),
        ),
        ("validation", json!({"date_validation": "2021-03-15"})),
    ] {
        client
            .post(&format!("{uri}/{action}"), &prefecture, body)
            .await?;
    }
    say("convention : 80 postes, 8 signataires, en exécution depuis le 2021-03-15");

    // 4. The envelopes, the 93's ceiling, the commitments.
    let national = id(&client
        .post(
            "/api/v1/enveloppes",
            &admin,
            json!({
                "libelle": "Plan France Relance — conseillers numériques (démonstration)",
                "financeur": "DGCL — Plan de relance", "programme_budgetaire": "364",
                "nature": "postes_conseillers", "montant_centimes": 20_000_000_000i64,
                "date_debut": "2021-01-01", "date_fin": "2023-12-31", "objectif_postes": 4000,
                "baremes": baremes_premiere_phase(),
            }),
        )
        .await?)?;
    client
        .post(
            "/api/v1/enveloppes",
            &admin,
            json!({
                "libelle": "Renouvellement — conseillers numériques (démonstration)",
                "financeur": "DITP — renouvellement", "programme_budgetaire": "349",
                "nature": "postes_conseillers", "montant_centimes": 7_200_000_000i64,
                "date_debut": "2023-01-01", "date_fin": "2024-12-31", "objectif_postes": 1600,
                "baremes": baremes_renouvellement(),
            }),
        )
        .await?;
    client
        .ok(
            "PUT",
            &format!("/api/v1/enveloppes/{national}/plafonds/93"),
            &admin,
            Some(&json!({"plafond_centimes": 400_000_000})),
            &[],
        )
        .await?;
    let ville = id(&client
        .post(
            "/api/v1/enveloppes",
            &admin,
            json!({
                "libelle": "Ville 93 — matériel, connexion, formation (démonstration)",
                "financeur": "Ministère de la Ville", "nature": "mixte",
                "montant_centimes": 100_000_000, "date_debut": "2021-01-01",
                "date_fin": "2023-12-31", "perimetre_departement": "93",
            }),
        )
        .await?)?;
    // One commitment per host, its subsidy: its posts × the first phase's tariff.
    let mut engagements = Vec::new();
    for (index, hote) in hotes.iter().enumerate() {
        let postes = HOTES[index].4;
        engagements.push(id(&client
            .ok(
                "POST",
                &format!("/api/v1/enveloppes/{national}/engagements"),
                &prefecture,
                Some(&json!({"convention_id": convention, "beneficiaire_id": hote,
                             "objet": format!("{postes} postes de conseillers numériques sur 24 mois"),
                             "date_engagement": "2021-03-20"})),
                &[("idempotency-key", &format!("demo-engagement-national-{}", index + 1))],
            )
            .await?)?);
    }
    client
        .ok(
            "POST",
            &format!("/api/v1/enveloppes/{ville}/engagements"),
            &prefecture,
            Some(&json!({"convention_id": convention, "beneficiaire_id": hotes[0],
                         "montant_centimes": 30_000_000,
                         "objet": "Matériel et connexion des lieux", "date_engagement": "2021-04-01"})),
            &[("idempotency-key", "demo-engagement-ville")],
        )
        .await?;
    say(
        "financement : enveloppe nationale (200 M€, plafond 93 de 4 M€), un engagement par hôte, enveloppe Ville 93 (1 M€)",
    );

    // 5. A lieu per host, in its commune.
    let mut lieux = Vec::new();
    for (index, (nom, commune)) in LIEUX.iter().enumerate() {
        let found = client
            .get(&format!("/api/v1/communes/{commune}"), &admin)
            .await?;
        let code_postal = found["codes_postaux"][0]
            .as_str()
            .ok_or_else(|| DemoError(format!("commune {commune} sans code postal")))?
            .to_owned();
        let lieu = client
            .post(
                "/api/v1/lieux",
                &client.structure(&hotes[index]),
                json!({
                    "structure_id": hotes[index], "nom": nom, "adresse": format!("{} place de la République", index + 1),
                    "code_postal": code_postal, "code_insee": commune,
                    "services": ["Aide aux démarches administratives", "Maîtrise des outils numériques du quotidien"],
                    "modalites_acces": ["Se présenter"], "horaires": "Tu-Sa 10:00-18:00",
                }),
            )
            .await?;
        lieux.push(id(&lieu)?);
    }
    say(&format!("lieux : {} lieux d'activité", lieux.len()));

    // 6. Advisors at every stage: about 60 % of each host's posts filled, most in post.
    let mut tirage = Tirage(0x93_2021_cafe_f00d);
    let mut en_poste: Vec<(String, usize, NaiveDate)> = Vec::new();
    // Who left the first host in August (she will be engaged by another), and who left the
    // third (he will coordinate).
    let mut partie: Option<String> = None;
    let mut parti: Option<String> = None;
    let mut recruited = 0;
    let mut n = 0;
    for (index, structure) in hotes.iter().enumerate() {
        let employer = client.structure(structure);
        let posts = HOTES[index].4;
        let filled = (posts * 6 + 9) / 10;
        // One more at the three largest hosts, who will leave: a post freed and filled again.
        let leaving = usize::from(index < 3);
        for k in 0..(filled as usize + leaving) {
            n += 1;
            let prenom = PRENOMS[n % PRENOMS.len()];
            let nom = NOMS[(n / PRENOMS.len() + n) % NOMS.len()];
            let residence = match tirage.next(10) {
                0 => "75056",
                1 => "94028",
                _ => HOTES[index].3,
            };
            let recruited_on = date("2021-04-01") + Days::new(tirage.next(45));
            let advisor = id(&client
                .post(
                    "/api/v1/conseillers",
                    &employer,
                    json!({
                        "convention_id": convention, "structure_id": structure, "nom": nom,
                        "prenom": prenom, "email": format!("{}.{}{n}@example.org", slug(prenom), slug(nom)),
                        "commune_residence": residence, "date_recrutement": recruited_on.to_string(),
                        "type_contrat": if k % 4 == 0 { "cdd" } else { "contrat_de_projet" },
                    }),
                )
                .await?)?;
            recruited += 1;
            let uri = format!("/api/v1/conseillers/{advisor}");
            // How far the advisor got by the summer (most work at a lieu): 0 recruited, 1 in
            // training, 2 certified, 3 working at its employer's lieu.
            let etape = if k < leaving {
                3
            } else {
                match tirage.next(20) {
                    0 | 1 => 0,
                    2..=4 => 1,
                    5..=7 => 2,
                    _ => 3,
                }
            };
            let formation = recruited_on + Days::new(7);
            let certification = formation + Days::new(56);
            let prise = certification + Days::new(4);
            if etape >= 3 {
                client
                    .ok(
                        "PUT",
                        &format!("{uri}/lieux/{}", lieux[index]),
                        &employer,
                        Some(&json!({"principal": true})),
                        &[],
                    )
                    .await?;
            }
            // The same path as trainings and certifications: the initial training (seven weeks,
            // one of the four paths) for those who started it; Pix passed and the CCP1 passed
            // (failed first by one in five) for the certified; the others, trained in 2021 and
            // not certified, are late (one in three missed its Pix, one in three failed it).
            if etape >= 1 {
                let heures = [105, 280, 350, 420][n % 4];
                client
                    .post(
                        &format!("{uri}/formations"),
                        &employer,
                        json!({
                            "type": "initiale", "parcours_heures": heures,
                            "date_debut": formation.to_string(),
                            "date_fin": (formation + Days::new(49)).to_string(),
                            "organisme": "Organisme de formation habilité",
                        }),
                    )
                    .await?;
                let mut passages = Vec::new();
                if etape >= 2 {
                    passages.push(("pix", certification, "reussie"));
                    if n % 5 == 0 {
                        passages.push(("ccp1_remn", certification, "echouee"));
                    }
                    passages.push(("ccp1_remn", certification, "reussie"));
                } else if n % 3 != 0 {
                    let resultat = if n % 3 == 1 { "absent" } else { "echouee" };
                    passages.push(("pix", formation + Days::new(60), resultat));
                }
                for (type_certification, le, resultat) in passages {
                    client
                        .post(
                            &format!("{uri}/certifications"),
                            &employer,
                            json!({"type": type_certification, "date": le.to_string(), "resultat": resultat}),
                        )
                        .await?;
                }
            }
            if k < leaving {
                // She resigns: her contract is broken on 31 August, her post vacant the next day.
                let lu = client.get(&uri, &employer).await?;
                let contrat = lu["contrat_en_cours_id"]
                    .as_str()
                    .ok_or_else(|| DemoError(format!("{advisor} sans contrat en cours")))?;
                client
                    .post(
                        &format!("/api/v1/contrats/{contrat}/rupture"),
                        &employer,
                        json!({"date": "2021-08-31", "motif": "demission"}),
                    )
                    .await?;
                if index == 0 {
                    partie = Some(advisor.clone());
                } else if index == 2 {
                    parti = Some(advisor.clone());
                }
            } else if etape == 3 {
                en_poste.push((advisor, index, prise));
            }
        }
    }
    say(&format!(
        "conseillers : {recruited} recrutés, {} en poste, 3 sortis",
        en_poste.len()
    ));

    // 6 bis. The préfecture moves a vacant post of the second host to the third.
    let vacants = client
        .get(
            &format!(
                "/api/v1/postes?convention_id={convention}&structure_id={}&etat=vacant&typologie=conseiller&limit=1",
                hotes[1]
            ),
            &prefecture,
        )
        .await?;
    let poste = items(&vacants)
        .next()
        .ok_or_else(|| DemoError("aucun poste vacant à transférer".to_owned()))?;
    client
        .post(
            &format!("/api/v1/postes/{}/transfert", id(poste)?),
            &prefecture,
            json!({"structure_id": hotes[2], "date": "2021-09-15"}),
        )
        .await?;

    // 6 ter. The advisor who left the first host in August is engaged by the third on
    // 1 October, the same person under the same id, on a CDD; her CDD is then extended by a
    // year (its end is set from "today", so that it is still in force).
    let partie = partie.ok_or_else(|| DemoError("aucune sortie au premier hôte".to_owned()))?;
    let vacants = client
        .get(
            &format!(
                "/api/v1/postes?convention_id={convention}&structure_id={}&etat=vacant&typologie=conseiller&limit=1",
                hotes[2]
            ),
            &prefecture,
        )
        .await?;
    let poste = items(&vacants)
        .next()
        .ok_or_else(|| DemoError("aucun poste vacant au troisième hôte".to_owned()))?;
    let troisieme = client.structure(&hotes[2]);
    let contrat = client
        .post(
            "/api/v1/contrats",
            &troisieme,
            json!({
                "conseiller_id": partie, "poste_id": id(poste)?, "type": "cdd",
                "date_debut": "2021-10-01", "date_fin": (aujourdhui + Days::new(90)).to_string(),
                "salaire_brut_mensuel_centimes": 195_000,
            }),
        )
        .await?;
    client
        .post(
            &format!("/api/v1/contrats/{}/prolongation", id(&contrat)?),
            &troisieme,
            json!({"date_fin": (aujourdhui + Days::new(455)).to_string()}),
        )
        .await?;

    // 6 quater. The advisor who left the third host in August holds the first host's
    // coordinator post from 1 September (a cdi), and follows three advisors in post, named by
    // their employers.
    let coordinateur =
        parti.ok_or_else(|| DemoError("aucune sortie au troisième hôte".to_owned()))?;
    let vacants = client
        .get(
            &format!(
                "/api/v1/postes?convention_id={convention}&structure_id={}&etat=vacant&typologie=coordinateur&limit=1",
                hotes[0]
            ),
            &prefecture,
        )
        .await?;
    let poste = items(&vacants)
        .next()
        .ok_or_else(|| DemoError("aucun poste de coordinateur vacant".to_owned()))?;
    client
        .post(
            "/api/v1/contrats",
            &client.structure(&hotes[0]),
            json!({
                "conseiller_id": coordinateur, "poste_id": id(poste)?, "type": "cdi",
                "typologie": "coordinateur", "date_debut": "2021-09-01",
                "salaire_brut_mensuel_centimes": 210_000,
            }),
        )
        .await?;
    for (advisor, index, _) in en_poste.iter().take(COORDONNES) {
        client
            .ok(
                "PUT",
                &format!("/api/v1/conseillers/{advisor}/coordinateur"),
                &client.structure(&hotes[*index]),
                Some(&json!({"coordinateur_id": coordinateur})),
                &[],
            )
            .await?;
    }
    say(&format!(
        "postes : 1 poste vacant transféré d'un hôte à un autre ; une conseillère partie du \
         premier hôte engagée par le troisième, son contrat prolongé ; un conseiller parti du \
         troisième devenu coordinateur (le poste de coordinateur du premier), qui suit \
         {COORDONNES} conseillers"
    ));

    // 7. Activities from September 2021 to June 2022, by the advisors in post: at their lieu,
    // and one in ten remote, one in ten (of the individual sessions) at the person's home.
    let first = date("2021-09-01");
    // 303 days from the first: the last possible day is DERNIERE_DATE.
    let themes = crate::domain::activite::Thematique::TEXTS;
    for count in 0..ACTIVITES {
        let (advisor, index, _) = &en_poste[count % en_poste.len()];
        let day = first + Days::new(tirage.next(303));
        let individual = tirage.next(3) == 0;
        let mut chosen: Vec<&str> = Vec::new();
        for _ in 0..=tirage.next(3) {
            let theme = themes[tirage.next(themes.len() as u64) as usize];
            if !chosen.contains(&theme) {
                chosen.push(theme);
            }
        }
        let mut body = json!({
            "conseiller_id": advisor, "lieu_id": lieux[*index], "date": day.to_string(),
            "type": if individual { "accompagnement_individuel" } else { "atelier_collectif" },
            "duree_minutes": if individual { 30 + 15 * tirage.next(5) } else { 60 + 30 * tirage.next(4) },
            "nb_participants": if individual { 1 } else { 3 + tirage.next(10) },
            "thematiques": chosen,
        });
        let ailleurs = match count % 10 {
            3 => Some(json!({"type_lieu": "a_distance"})),
            7 if individual => Some(json!({"type_lieu": "domicile", "code_insee": "93008"})),
            _ => None,
        };
        if let Some(ailleurs) = ailleurs {
            let fields = body.as_object_mut().expect("an object");
            fields.remove("lieu_id");
            fields.extend(ailleurs.as_object().expect("an object").clone());
        }
        client
            .post("/api/v1/activites", &client.structure(&hotes[*index]), body)
            .await?;
    }
    say(&format!(
        "activités : {ACTIVITES} ateliers et accompagnements, au lieu d'activité, à domicile et à distance"
    ));

    // 8. Last: a first payment of 40 % to each host, the last one's reference telling a second
    // run that the story is whole.
    for (index, engagement) in engagements.iter().enumerate() {
        let reference = if index + 1 == engagements.len() {
            REFERENCE_VERSEMENT.to_owned()
        } else {
            format!("DEMO-MANDAT-2021-{:04}", index + 1)
        };
        client
            .post(
                &format!("/api/v1/engagements/{engagement}/versements"),
                &admin,
                json!({"montant_centimes": HOTES[index].4 * 2_000_000, "date_versement": "2021-04-15",
                       "reference": reference}),
            )
            .await?;
    }
    say("versements : premier acompte de 40 % à chaque hôte, 1,6 M€ en tout");
    Ok(Outcome::Loaded {
        structures: created_structures,
        conseillers: recruited,
        activites: ACTIVITES,
    })
}

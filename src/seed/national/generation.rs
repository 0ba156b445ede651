//! The national dataset, generated in memory from the référentiel and a graine: plain functions
//! that build valid rows by construction and check them with the domain's own rules on the way
//! (the SIREN of a commune or EPCI, the split of the posts, the hosts' quotas, the money limits,
//! the chronology of every path, the lieux' addresses).
//!
//! Shape of the data (see `docs/OPERATIONS.md`):
//! - 4,000 posts split over every département of the référentiel by population (largest
//!   remainders, at least one each), in 1 to 3 conventions per département;
//! - signatories and hosts: the département's real communes and EPCI/EPT (SIRET = their SIREN and
//!   a Luhn-valid establishment number); where the référentiel gives no SIREN (some overseas
//!   collectivités), a CCAS with a fictitious SIREN (`autre_public`);
//! - the national envelope (200 M€, 4,000 posts, 50,000 € per post) with a ceiling per
//!   département (its posts × 50,000 €), one commitment per convention (its posts × 50,000 €) and
//!   instalments paid;
//! - advisors at every stage (most `en_poste`), never above a host's posts, with fictitious
//!   identities (`@example.org`); lieux in real communes with one of their postcodes;
//! - the posts of the validated conventions and their history, rebuilt from the advisors;
//! - N activities over 2021–2024 (never after today) by the advisors `en_poste`, at their lieu,
//!   from the day they took the post, and their per-day and per-month aggregates.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Days, NaiveDate};

use super::alea::{Alea, hash, instant};
use crate::db::repo::idempotency::stored_time;
use crate::db::repo::seed_national::{
    ActiviteSeed, ConseillerSeed, ContratSeed, ConventionSeed, DeclarantSeed, EngagementSeed,
    EnveloppeSeed, Existant, FinancementSeed, LieuSeed, PosteSeed, ReferentielSource, SommeSeed,
    StructureSeed, VersementSeed,
};
use crate::domain::activite::Apport;
use crate::domain::bareme::{PartEmployeur, baremes_premiere_phase, financement_maximal};
use crate::domain::codes::{CodeDepartement, CodeInsee, Siren, Siret};
use crate::domain::conseiller::{MotifSortie, TypeContrat, check_quota, recrutement_local};
use crate::domain::contrat::Contrat;
use crate::domain::convention::{
    PartHote, StatutConvention, check_repartition, date_limite_projet, postes_des_signataires,
};
use crate::domain::financement::{
    FinancementBeneficiaire, FinancementConvention, PlafondDepartement, Soldes, check_engagement,
    date_engagement, montant_engagement,
};
use crate::domain::ids::{ConseillerId, ContratId, ConventionId, PosteId, StructureId};
use crate::domain::lieu::{CommuneLieu, Itinerance, ModaliteAcces, Service, check_adresse};
use crate::domain::poste::{EtatPoste, TypologiePoste, postes_reconstitues};
use crate::domain::referentiel::search_key;
use crate::domain::split::largest_remainders;
use crate::domain::statistiques::SoldeStat;
use crate::domain::structure::{CategorieEmployeur, Seat, TypeStructure, check_siren};

/// Posts of the national programme.
pub const POSTES_NATIONAUX: i64 = 4_000;
/// Funding per post (50,000 €), in cents.
pub const MONTANT_PAR_POSTE_CENTIMES: i64 = 5_000_000;
/// The associations (private employers) that may host in each département.
const ASSOCIATIONS_PAR_DEPARTEMENT: usize = 3;
/// The national envelope (200 M€), in cents.
pub const ENVELOPPE_CENTIMES: i64 = POSTES_NATIONAUX * MONTANT_PAR_POSTE_CENTIMES;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// The first day of the envelope's period.
fn debut_programme() -> NaiveDate {
    date(2020, 11, 1)
}

/// The first day activities are spread from.
pub fn premier_jour_activites() -> NaiveDate {
    date(2021, 1, 1)
}

/// The last day activities are spread to (and the envelope's end).
pub fn dernier_jour_activites() -> NaiveDate {
    date(2024, 12, 31)
}

/// What the generator needs besides the référentiel.
#[derive(Debug, Clone)]
pub struct Parametres {
    /// The graine (already mixed with what the database holds under `--force`).
    pub graine: u64,
    /// Activities to generate.
    pub activites: u64,
    /// Today: nothing is dated after it.
    pub today: NaiveDate,
}

impl Parametres {
    /// The last date anything is given: 2024-12-31, or today if earlier.
    pub fn fin(&self) -> NaiveDate {
        dernier_jour_activites().min(self.today)
    }
}

/// A rule of the domain that the generated data broke: a bug of the generator (the database
/// would refuse the rows too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("donnée générée invalide ({what}) : {detail}")]
pub struct RegleEnfreinte {
    /// What was being built.
    pub what: String,
    /// The refusal's detail.
    pub detail: String,
}

fn enfreinte(what: impl Into<String>, detail: impl Into<String>) -> RegleEnfreinte {
    RegleEnfreinte {
        what: what.into(),
        detail: detail.into(),
    }
}

/// Everything but the activities: structures, conventions, money, lieux and advisors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Programme {
    /// Structures.
    pub structures: Vec<StructureSeed>,
    /// Conventions (with signatories and splits).
    pub conventions: Vec<ConventionSeed>,
    /// The convention number counters after the seed (département, last number).
    pub numeros: Vec<(String, i64)>,
    /// Envelope, ceilings, commitments, payments.
    pub financement: FinancementSeed,
    /// Lieux.
    pub lieux: Vec<LieuSeed>,
    /// Advisors.
    pub conseillers: Vec<ConseillerSeed>,
    /// The advisors' contracts (one each).
    pub contrats: Vec<ContratSeed>,
    /// The posts of the validated conventions, with their history.
    pub postes: Vec<PosteSeed>,
    /// The advisors `en_poste` who declare activities, each with the window of its dates.
    pub declarants: Vec<(DeclarantSeed, NaiveDate, NaiveDate)>,
}

/// The activities and their aggregates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activites {
    /// Activities, in id order (which is date order).
    pub activites: Vec<ActiviteSeed>,
    /// Sums per département and day, by département then day.
    pub jours: Vec<SommeSeed>,
    /// Sums per département and month, by département then month.
    pub mois: Vec<SommeSeed>,
}

/// Splits `total` into parts proportional to `weights` by largest remainders
/// (`domain::split`), with at least `minimum` each (`total` ≥ `minimum` × parts).
pub fn largest_remainders_with_minimum(total: i64, weights: &[i64], minimum: i64) -> Vec<i64> {
    let rest = total - minimum * weights.len() as i64;
    if rest <= 0 {
        return vec![minimum; weights.len()];
    }
    largest_remainders(rest, weights)
        .into_iter()
        .map(|share| share + minimum)
        .collect()
}

/// A possible signatory or host of a département, from the référentiel.
#[derive(Debug, Clone)]
struct Candidat {
    type_structure: TypeStructure,
    siren: String,
    nom: String,
    /// Index of the seat commune.
    seat: usize,
    /// Communes where its lieux may be (indices; the seat first).
    communes: Vec<usize>,
    population: i64,
}

/// A SIREN with its Luhn key: `payload` (8 digits) and the key digit.
fn siren_with_key(payload: &str) -> String {
    (0..10)
        .map(|d| format!("{payload}{d}"))
        .find(|siren| {
            let digits: Vec<u32> = siren.bytes().map(|b| u32::from(b - b'0')).collect();
            crate::domain::codes::luhn(&digits)
        })
        .expect("one key digit fits")
}

/// The first SIRET of `siren` from establishment number 10 on that passes the key check and is
/// not taken; marks it taken.
fn free_siret(siren: &str, taken: &mut HashSet<String>) -> String {
    (10..100_000)
        .map(|nic| format!("{siren}{nic:05}"))
        .find(|siret| Siret::is_valid(siret) && !taken.contains(siret))
        .inspect(|siret| {
            taken.insert(siret.clone());
        })
        .expect("a free establishment number")
}

/// What the generator reads of the référentiel, indexed.
struct Index<'a> {
    source: &'a ReferentielSource,
    /// Communes of each département (indices), most populous first.
    communes_par_departement: BTreeMap<&'a str, Vec<usize>>,
    /// The EPCI sirens of each commune.
    epci_de: HashMap<&'a str, Vec<&'a str>>,
    /// The EPCI with members in each département: EPCI index and those members (indices).
    epci_par_departement: BTreeMap<&'a str, Vec<(usize, Vec<usize>)>>,
}

impl<'a> Index<'a> {
    fn new(source: &'a ReferentielSource) -> Index<'a> {
        let mut communes_par_departement: BTreeMap<&str, Vec<usize>> = source
            .departements
            .iter()
            .map(|(code, _)| (code.as_str(), Vec::new()))
            .collect();
        let mut commune = HashMap::new();
        for (index, c) in source.communes.iter().enumerate() {
            commune.insert(c.code_insee.as_str(), index);
            communes_par_departement
                .entry(c.departement.as_str())
                .or_default()
                .push(index);
        }
        for list in communes_par_departement.values_mut() {
            list.sort_by(|a, b| {
                let (a, b) = (&source.communes[*a], &source.communes[*b]);
                b.population
                    .cmp(&a.population)
                    .then(a.code_insee.cmp(&b.code_insee))
            });
        }
        let mut epci_de: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut epci_par_departement: BTreeMap<&str, Vec<(usize, Vec<usize>)>> = BTreeMap::new();
        for (e, epci) in source.epci.iter().enumerate() {
            let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for member in &epci.membres {
                epci_de
                    .entry(member.as_str())
                    .or_default()
                    .push(epci.siren.as_str());
                if let Some(&index) = commune.get(member.as_str()) {
                    members
                        .entry(source.communes[index].departement.as_str())
                        .or_default()
                        .push(index);
                }
            }
            for (departement, members) in members {
                epci_par_departement
                    .entry(departement)
                    .or_default()
                    .push((e, members));
            }
        }
        Index {
            source,
            communes_par_departement,
            epci_de,
            epci_par_departement,
        }
    }

    /// The possible signatories and hosts of a département, most populous first.
    fn candidats(&self, departement: &str) -> Vec<Candidat> {
        let communes = &self.communes_par_departement[departement];
        let mut out: Vec<Candidat> = Vec::new();
        for &index in communes {
            let c = &self.source.communes[index];
            if let Some(siren) = &c.siren {
                out.push(Candidat {
                    type_structure: TypeStructure::Commune,
                    siren: siren.clone(),
                    nom: format!("Commune de {}", c.nom),
                    seat: index,
                    communes: vec![index],
                    population: c.population,
                });
            }
        }
        for (e, members) in self
            .epci_par_departement
            .get(departement)
            .into_iter()
            .flatten()
        {
            let e = &self.source.epci[*e];
            let mut members = members.clone();
            members.sort_by(|a, b| {
                let (a, b) = (&self.source.communes[*a], &self.source.communes[*b]);
                b.population
                    .cmp(&a.population)
                    .then(a.code_insee.cmp(&b.code_insee))
            });
            out.push(Candidat {
                type_structure: TypeStructure::Epci,
                siren: e.siren.clone(),
                nom: e.nom.clone(),
                seat: members[0],
                communes: members,
                population: e.population,
            });
        }
        if out.is_empty() {
            // No SIREN in the référentiel (some overseas collectivités): a CCAS per commune, with
            // a fictitious SIREN (26…: établissements publics locaux) and the real seat.
            for (rank, &index) in communes.iter().enumerate() {
                let c = &self.source.communes[index];
                let digits: String = c.code_insee.chars().filter(char::is_ascii_digit).collect();
                out.push(Candidat {
                    type_structure: TypeStructure::AutrePublic,
                    siren: siren_with_key(&format!("26{digits:0>5}{}", rank % 10)),
                    nom: format!("Centre communal d'action sociale de {}", c.nom),
                    seat: index,
                    communes: vec![index],
                    population: c.population,
                });
            }
        }
        // Private employers too: an association in each of the three most populous communes,
        // with a fictitious SIREN (7…, which no public body's starts with) and the real seat.
        // Weighted by a quarter of the commune's population, they host beside the collectivités.
        for (rank, &index) in communes
            .iter()
            .take(ASSOCIATIONS_PAR_DEPARTEMENT)
            .enumerate()
        {
            let c = &self.source.communes[index];
            let digits: String = c.code_insee.chars().filter(char::is_ascii_digit).collect();
            out.push(Candidat {
                type_structure: TypeStructure::Association,
                siren: siren_with_key(&format!("7{digits:0>5}{rank:02}")),
                nom: format!("Association Numérique solidaire de {}", c.nom),
                seat: index,
                communes: vec![index],
                population: c.population / 4,
            });
        }
        out.sort_by(|a, b| {
            b.population
                .cmp(&a.population)
                .then(a.siren.cmp(&b.siren))
                .then(a.seat.cmp(&b.seat))
        });
        out
    }

    /// What the référentiel says of a seat, for [`check_siren`].
    fn seat(&self, index: usize) -> Seat {
        let c = &self.source.communes[index];
        Seat {
            code_insee: CodeInsee::parse(&c.code_insee).expect("a stored INSEE code"),
            commune_siren: c.siren.as_deref().and_then(|s| Siren::parse(s).ok()),
            epci_sirens: self
                .epci_de
                .get(c.code_insee.as_str())
                .into_iter()
                .flatten()
                .filter_map(|s| Siren::parse(s).ok())
                .collect(),
        }
    }
}

const PRENOMS: [&str; 40] = [
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Jade",
    "Louise",
    "Emma",
    "Zoé",
    "Amina",
    "Nadia",
    "Sophie",
    "Claire",
    "Julie",
    "Hélène",
    "Fatou",
    "Mélanie",
    "Aurélie",
    "Céline",
    "Lucas",
    "Hugo",
    "Nathan",
    "Thomas",
    "Karim",
    "Yanis",
    "Mehdi",
    "Julien",
    "Nicolas",
    "Antoine",
    "Maxime",
    "Théo",
    "Sébastien",
    "Olivier",
    "Mamadou",
    "Bruno",
    "Éric",
    "Loïc",
    "Rémi",
    "François",
];
const NOMS: [&str; 40] = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
];
const TYPES_LIEU: [&str; 6] = [
    "Médiathèque",
    "Espace public numérique",
    "France services",
    "Maison de quartier",
    "Centre social",
    "Tiers-lieu numérique",
];
const VOIES: [&str; 8] = [
    "place de la Mairie",
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "Grande Rue",
    "rue de l'Église",
    "boulevard Pasteur",
    "rue Jules Ferry",
];
/// Opening hours of the lieux (each checked by `check_horaires` in a unit test).
pub const HORAIRES: [&str; 4] = [
    "Mo-Fr 09:00-12:00,14:00-17:00",
    "Tu-Sa 10:00-19:00",
    "Mo,We,Fr 09:00-17:00",
    "Tu-Fr 13:30-18:00; Sa 09:00-12:00",
];
/// Relative frequency of each theme (in the order of
/// [`Thematique::ALL`](crate::domain::activite::Thematique::ALL)): the announced ones
/// come most often.
const POIDS_THEMES: [u64; 13] = [12, 12, 8, 8, 6, 16, 14, 10, 10, 8, 6, 5, 3];

/// Lower-case ASCII for an e-mail address: `"Hélène"` → `"helene"`.
fn ascii(text: &str) -> String {
    search_key(text).replace(' ', "-")
}

fn add_days(day: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        day.checked_add_days(Days::new(days as u64))
    } else {
        day.checked_sub_days(Days::new(days.unsigned_abs()))
    }
    .expect("a date within the calendar")
}

fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

/// A draw of a date between two dates (inclusive; `low` when `high` is before it).
fn day_between(alea: &mut Alea, low: NaiveDate, high: NaiveDate) -> NaiveDate {
    let span = days_between(low, high).max(0);
    add_days(low, alea.between(0, span))
}

/// The dates of an advisor's path up to `etape` (0 recruited, 1 training, 2 certified, 3 in
/// post), recruited no earlier than `earliest`, every date no later than `latest`; `recent`
/// places the path just before `latest` (a recent recruitment), else soon after `earliest`.
fn parcours(
    alea: &mut Alea,
    earliest: NaiveDate,
    latest: NaiveDate,
    etape: usize,
    recent: bool,
) -> [Option<NaiveDate>; 4] {
    let mut gaps = [
        0,
        alea.between(3, 30),
        alea.between(20, 90),
        alea.between(0, 21),
    ];
    let mut total: i64 = gaps[1..=etape].iter().sum();
    let room = days_between(earliest, latest);
    if total > room {
        gaps = [0; 4];
        total = 0;
    }
    let last_start = add_days(latest, -total);
    let start = if recent {
        day_between(alea, add_days(last_start, -150).max(earliest), last_start)
    } else {
        day_between(alea, earliest, add_days(earliest, 300).min(last_start))
    };
    let mut dates = [None; 4];
    let mut current = start;
    for (index, slot) in dates.iter_mut().enumerate().take(etape + 1) {
        current = add_days(current, gaps[index]);
        *slot = Some(current);
    }
    dates
}

/// A convention's plan: its département's index, its hosts (structure index, posts) and how many
/// of them (the first) sign it.
type Plan = (usize, Vec<(usize, i64)>, usize);

/// A structure being built: its row and the earliest date it is used.
struct EnCours {
    seed: StructureSeed,
    premier_usage: NaiveDate,
    candidat: Candidat,
}

/// Generates the programme (everything but activities) for every département of `source`,
/// adding to what `existant` holds (SIRETs and convention numbers not reused).
pub fn programme(
    source: &ReferentielSource,
    existant: &Existant,
    parametres: &Parametres,
) -> Result<Programme, RegleEnfreinte> {
    let index = Index::new(source);
    let fin = parametres.fin();
    let graine = parametres.graine;
    let populations: Vec<i64> = source
        .departements
        .iter()
        .map(|(code, _)| {
            index.communes_par_departement[code.as_str()]
                .iter()
                .map(|c| source.communes[*c].population)
                .sum()
        })
        .collect();
    let postes_par_departement = largest_remainders_with_minimum(POSTES_NATIONAUX, &populations, 1);

    let mut taken = existant.sirets.clone();
    let mut structures: Vec<EnCours> = Vec::new();
    let mut conventions: Vec<ConventionSeed> = Vec::new();
    let mut numeros = Vec::new();
    // Per convention, in the order of `conventions`: its plan.
    let mut plans: Vec<Plan> = Vec::new();

    for (d, (code, nom_departement)) in source.departements.iter().enumerate() {
        let mut alea = Alea::flux(graine, &format!("departement/{code}"));
        let postes = postes_par_departement[d];
        let candidats = index.candidats(code);
        if candidats.is_empty() {
            return Err(enfreinte(
                format!("département {code}"),
                "aucune commune dans le référentiel",
            ));
        }
        let nombre = if postes <= 5 {
            1
        } else if postes <= 40 {
            2
        } else {
            3
        };
        let poids: Vec<i64> = (0..nombre).map(|_| alea.between(1, 4)).collect();
        let parts = largest_remainders_with_minimum(postes, &poids, 1);
        let mut used: HashMap<usize, usize> = HashMap::new();
        let mut cursor = 0;
        let mut departement_conventions = Vec::new();
        for (k, postes_convention) in parts.into_iter().enumerate() {
            let statut = if k == 0 {
                StatutConvention::EnExecution
            } else {
                [
                    StatutConvention::EnExecution,
                    StatutConvention::Terminee,
                    StatutConvention::ProjetDepose,
                    StatutConvention::Signee,
                ][alea.weighted(&[60, 15, 12, 13])]
            };
            let hotes = ((postes_convention + 5) / 6).clamp(1, candidats.len() as i64) as usize;
            let mut chosen: Vec<usize> =
                (0..hotes).map(|h| (cursor + h) % candidats.len()).collect();
            // The signatories are the first hosts: collectivités before associations.
            chosen.sort_by_key(|c| {
                candidats[*c].type_structure.categorie() != CategorieEmployeur::Public
            });
            cursor = (cursor + hotes) % candidats.len();
            let weights: Vec<i64> = chosen
                .iter()
                .map(|c| 1 + (candidats[*c].population.max(0) as f64).sqrt() as i64)
                .collect();
            let split = largest_remainders_with_minimum(postes_convention, &weights, 1);

            // Dates along the life cycle.
            let recente = matches!(
                statut,
                StatutConvention::Signee | StatutConvention::ProjetDepose
            );
            let signature = if recente {
                day_between(&mut alea, add_days(fin, -300), add_days(fin, -60))
            } else {
                day_between(&mut alea, date(2020, 12, 1), date(2021, 6, 30))
            };
            let delai = if alea.chance(0.8) { 2 } else { 3 };
            let limite = date_limite_projet(signature, delai)
                .ok_or_else(|| enfreinte("convention", "date limite hors calendrier"))?;
            let depot = (statut != StatutConvention::Signee)
                .then(|| add_days(signature, alea.between(7, 50)).min(fin));
            let validation = matches!(
                statut,
                StatutConvention::EnExecution | StatutConvention::Terminee
            )
            .then(|| add_days(depot.expect("filed"), alea.between(3, 30)).min(fin));
            let cloture = (statut == StatutConvention::Terminee).then(|| {
                day_between(&mut alea, date(2024, 1, 15), fin).max(validation.expect("valid"))
            });
            let cree = add_days(signature, -alea.between(5, 30));
            let cree_le = instant(cree, 9 * 3600 + alea.between(0, 3600) as u32);
            let derniere = cloture.or(validation).or(depot).unwrap_or(signature);
            let etapes = [Some(signature), depot, validation, cloture]
                .iter()
                .flatten()
                .count() as i64;
            let modifie_le = instant(derniere, 15 * 3600).max(cree_le);

            let mut repartition_ids = Vec::new();
            for (slot, c) in chosen.iter().enumerate() {
                let structure = match used.get(c) {
                    Some(s) => *s,
                    None => {
                        let candidat = &candidats[*c];
                        let siret = free_siret(&candidat.siren, &mut taken);
                        let seat = &source.communes[candidat.seat];
                        let siret_checked =
                            Siret::parse(&siret).map_err(|e| enfreinte("structure", e.expected))?;
                        check_siren(
                            candidat.type_structure,
                            &siret_checked,
                            &index.seat(candidat.seat),
                        )
                        .map_err(|r| enfreinte(format!("structure {}", candidat.nom), r.detail))?;
                        structures.push(EnCours {
                            seed: StructureSeed {
                                id: String::new(),
                                siret,
                                nom: candidat.nom.clone(),
                                type_structure: candidat.type_structure,
                                code_insee: seat.code_insee.clone(),
                                departement: seat.departement.clone(),
                                cree_le: String::new(),
                            },
                            premier_usage: cree,
                            candidat: candidat.clone(),
                        });
                        used.insert(*c, structures.len() - 1);
                        structures.len() - 1
                    }
                };
                let entry = &mut structures[structure];
                entry.premier_usage = entry.premier_usage.min(cree);
                repartition_ids.push((structure, split[slot]));
            }
            let signataires = alea.between(1, 3.min(hotes as i64)) as usize;
            departement_conventions.push((
                cree_le,
                ConventionSeed {
                    id: String::new(),
                    numero: String::new(),
                    departement: code.clone(),
                    intitule: format!(
                        "Conseillers numériques France Services — {nom_departement} ({})",
                        k + 1
                    ),
                    postes_attribues: postes_convention,
                    postes_pourvus: 0,
                    delai_projet_mois: i64::from(delai),
                    statut,
                    date_signature: Some(signature),
                    date_limite_projet: Some(limite),
                    date_depot: depot,
                    lieux_prevus: depot.map(|_| hotes as i64),
                    date_validation: validation,
                    date_cloture: cloture,
                    signataires: Vec::new(),
                    repartition: Vec::new(),
                    version: etapes + 1,
                    cree_le: stored_time(cree_le),
                    modifie_le: stored_time(modifie_le),
                },
                repartition_ids,
                signataires,
            ));
        }
        // Numbers follow the order of creation.
        departement_conventions.sort_by_key(|a| a.0);
        let mut dernier = existant.numeros.get(code).copied().unwrap_or(0);
        let mut ids = Alea::flux(graine, &format!("conventions/{code}"));
        for (cree_le, mut convention, hosts, signataires) in departement_conventions {
            dernier += 1;
            convention.id = ids.id(cree_le);
            convention.numero = crate::domain::convention::numero(
                &CodeDepartement::parse(code).map_err(|e| enfreinte("département", e.expected))?,
                chrono::Datelike::year(&cree_le.date_naive()),
                dernier,
            );
            conventions.push(convention);
            plans.push((d, hosts, signataires));
        }
        numeros.push((code.clone(), dernier));
    }

    // Structures: ids and creation times from their first use.
    let mut ids = Alea::flux(graine, "structures");
    for entry in &mut structures {
        let at = instant(
            add_days(entry.premier_usage, -2),
            8 * 3600 + ids.between(0, 3600) as u32,
        );
        entry.seed.id = ids.id(at);
        entry.seed.cree_le = stored_time(at);
    }
    let structure_id = |index: usize| structures[index].seed.id.clone();
    for (convention, (_, hosts, signataires)) in conventions.iter_mut().zip(&plans) {
        convention.signataires = hosts[..*signataires]
            .iter()
            .map(|(s, _)| structure_id(*s))
            .collect();
        if convention.date_depot.is_some() {
            convention.repartition = hosts
                .iter()
                .map(|(s, postes)| (structure_id(*s), *postes))
                .collect();
            let parts: Vec<PartHote> = convention
                .repartition
                .iter()
                .map(|(id, postes)| PartHote {
                    structure_id: StructureId::parse(id).expect("a generated id"),
                    postes: *postes,
                    postes_coordinateur: 0,
                })
                .collect();
            check_repartition(convention.postes_attribues, &parts)
                .map_err(|r| enfreinte(format!("convention {}", convention.numero), r.detail))?;
        }
    }

    let categories: HashMap<&str, CategorieEmployeur> = structures
        .iter()
        .map(|s| (s.seed.id.as_str(), s.seed.type_structure.categorie()))
        .collect();
    let financement = financement(
        &conventions,
        &categories,
        &source.departements,
        &postes_par_departement,
        parametres,
    )?;
    let lieux = lieux(&structures, &conventions, &plans, source, graine)?;
    let (conseillers, declarants) = conseillers(
        &mut conventions,
        &plans,
        &structures,
        &lieux,
        source,
        &index,
        parametres,
    )?;
    let mut contrats = contrats(&conseillers, graine)?;
    let postes = postes(&conventions, &conseillers, &contrats, graine)?;
    lier_contrats(&mut contrats, &postes);
    Ok(Programme {
        structures: structures.into_iter().map(|s| s.seed).collect(),
        conventions,
        numeros,
        financement,
        lieux: lieux.into_iter().map(|(l, _)| l).collect(),
        conseillers,
        contrats,
        postes,
        declarants,
    })
}

/// One contract per advisor, as a recruitment and an exit through the use cases make it (and
/// as the upgrade migration `2026-12-09-000001_contrats` carried them over): its type, from its
/// recruitment, ended by its exit's motif ([`Contrat::fin_par_sortie`]). Ids from the advisor's
/// own stream at its recruitment; the post comes with [`lier_contrats`].
fn contrats(
    conseillers: &[ConseillerSeed],
    graine: u64,
) -> Result<Vec<ContratSeed>, RegleEnfreinte> {
    conseillers
        .iter()
        .map(|c| {
            let what = || format!("contrat de {}", c.id);
            let cree = instant(c.date_recrutement, 16 * 3600);
            let mut ids = Alea::flux(graine, &format!("contrats/{}", c.id));
            let mut contrat = Contrat {
                id: ContratId::parse(&ids.id(cree)).map_err(|e| enfreinte(what(), e.expected))?,
                conseiller_id: ConseillerId::parse(&c.id)
                    .map_err(|e| enfreinte(what(), e.expected))?,
                poste_id: None,
                structure_id: StructureId::parse(&c.structure_id)
                    .map_err(|e| enfreinte(what(), e.expected))?,
                convention_id: ConventionId::parse(&c.convention_id)
                    .map_err(|e| enfreinte(what(), e.expected))?,
                departement: CodeDepartement::parse(&c.departement)
                    .map_err(|e| enfreinte(what(), e.expected))?,
                typologie: TypologiePoste::Conseiller,
                type_contrat: c.type_contrat,
                date_debut: c.date_recrutement,
                date_fin: None,
                rupture: None,
                salaire_brut_mensuel_centimes: None,
                version: 1,
            };
            let mut modifie_le = c.cree_le.clone();
            if let (Some(date), Some(motif)) = (c.date_sortie, c.motif_sortie) {
                contrat.fin_par_sortie(motif, date);
                contrat.version = 2;
                modifie_le = c.modifie_le.clone();
            }
            Ok(ContratSeed {
                contrat,
                cree_le: c.cree_le.clone(),
                modifie_le,
            })
        })
        .collect()
}

/// Each contract whose advisor holds a post names it.
fn lier_contrats(contrats: &mut [ContratSeed], postes: &[PosteSeed]) {
    let par_contrat: HashMap<&str, &PosteId> = postes
        .iter()
        .filter_map(|p| Some((p.poste.contrat_id.as_ref()?.as_str(), &p.poste.id)))
        .collect();
    for c in contrats.iter_mut() {
        c.contrat.poste_id = par_contrat.get(c.contrat.id.as_str()).map(|p| (*p).clone());
    }
}

/// The national envelope, a ceiling per département, a commitment per convention and its
/// instalments.
fn financement(
    conventions: &[ConventionSeed],
    categories: &HashMap<&str, CategorieEmployeur>,
    departements: &[(String, String)],
    postes: &[i64],
    parametres: &Parametres,
) -> Result<FinancementSeed, RegleEnfreinte> {
    let fin = parametres.fin();
    let mut alea = Alea::flux(parametres.graine, "financement");
    let cree = instant(date(2020, 11, 2), 9 * 3600);
    let periode = (debut_programme(), dernier_jour_activites());
    let mut enveloppe = EnveloppeSeed {
        id: alea.id(cree),
        libelle: "Plan de relance — conseillers numériques France Services".to_owned(),
        financeur: "État — France Relance".to_owned(),
        programme_budgetaire: Some("364".to_owned()),
        nature: "postes_conseillers",
        montant_centimes: ENVELOPPE_CENTIMES,
        date_debut: periode.0,
        date_fin: periode.1,
        objectif_postes: Some(POSTES_NATIONAUX),
        baremes: baremes_premiere_phase(),
        engage_centimes: 0,
        verse_centimes: 0,
        cree_le: stored_time(cree),
        modifie_le: stored_time(cree),
    };
    let mut plafonds: BTreeMap<&str, SoldeStat> = departements
        .iter()
        .zip(postes)
        .map(|((code, _), postes)| {
            (
                code.as_str(),
                SoldeStat {
                    enveloppe_id: enveloppe.id.clone(),
                    departement: code.clone(),
                    plafond_centimes: Some(postes * MONTANT_PAR_POSTE_CENTIMES),
                    engage_centimes: 0,
                    verse_centimes: 0,
                },
            )
        })
        .collect();
    let plafonds_total: i64 = plafonds.values().filter_map(|p| p.plafond_centimes).sum();
    if plafonds_total > enveloppe.montant_centimes {
        return Err(enfreinte("plafonds", "au-delà du montant de l'enveloppe"));
    }
    let mut engagements = Vec::new();
    let mut versements = Vec::new();
    let mut derniere_modification = cree;
    let mut reference = 0;
    // In the order of the commitments' dates, as the API would have taken them.
    let mut ordre: Vec<usize> = (0..conventions.len()).collect();
    let dates: Vec<NaiveDate> = conventions
        .iter()
        .map(|c| {
            let signature = c.date_signature.expect("signed");
            add_days(signature, alea.between(0, 30))
                .min(fin)
                .max(signature)
        })
        .collect();
    ordre.sort_by_key(|i| (dates[*i], *i));
    for i in ordre {
        let convention = &conventions[i];
        let plafond = plafonds
            .get_mut(convention.departement.as_str())
            .expect("every département has a ceiling");
        // Its employers as the API sees them: the split's hosts, or the signatories before one.
        let employeurs: Vec<(&String, i64)> = if convention.repartition.is_empty() {
            let parts =
                postes_des_signataires(convention.postes_attribues, convention.signataires.len());
            convention.signataires.iter().zip(parts).collect()
        } else {
            convention
                .repartition
                .iter()
                .map(|(id, p)| (id, *p))
                .collect()
        };
        let parts = employeurs
            .into_iter()
            .map(|(id, postes)| {
                Ok(PartEmployeur {
                    structure_id: StructureId::parse(id)
                        .map_err(|e| enfreinte("employeur", e.expected))?,
                    postes,
                    categorie: *categories
                        .get(id.as_str())
                        .ok_or_else(|| enfreinte("employeur", "structure inconnue"))?,
                    territoire_prioritaire: false,
                })
            })
            .collect::<Result<Vec<_>, RegleEnfreinte>>()?;
        let maximum_convention = financement_maximal(&enveloppe.baremes, &parts);
        let jour = date_engagement(
            Some(dates[i]),
            parametres.today,
            convention.date_signature,
            periode,
        )
        .map_err(|r| enfreinte(format!("engagement {}", convention.numero), r.detail))?;
        let mut engage_convention = 0;
        // One commitment per employer, to it: its posts × its tariff.
        for part in &parts {
            let maximum = financement_maximal(&enveloppe.baremes, std::slice::from_ref(part));
            if maximum == 0 {
                continue;
            }
            let montant = montant_engagement(None, Some(maximum))
                .map_err(|r| enfreinte("engagement", r.detail))?;
            let soldes = Soldes {
                montant_centimes: enveloppe.montant_centimes,
                engage_centimes: enveloppe.engage_centimes,
                plafond: Some(PlafondDepartement {
                    departement: CodeDepartement::parse(&plafond.departement)
                        .map_err(|e| enfreinte("département", e.expected))?,
                    plafond_centimes: plafond.plafond_centimes.unwrap_or(i64::MAX),
                    engage_centimes: plafond.engage_centimes,
                }),
                par_poste: Some(FinancementConvention {
                    postes: convention.postes_attribues,
                    maximum_centimes: maximum_convention,
                    engage_centimes: engage_convention,
                }),
                beneficiaire: Some(FinancementBeneficiaire {
                    structure_id: part.structure_id.clone(),
                    financement: FinancementConvention {
                        postes: part.postes,
                        maximum_centimes: maximum,
                        engage_centimes: 0,
                    },
                }),
            };
            check_engagement(montant, &soldes)
                .map_err(|r| enfreinte(format!("engagement {}", convention.numero), r.detail))?;
            engage_convention += montant;
            let at = instant(jour, 10 * 3600 + alea.between(0, 7200) as u32);
            let mut engagement = EngagementSeed {
                id: alea.id(at),
                enveloppe_id: enveloppe.id.clone(),
                convention_id: convention.id.clone(),
                departement: convention.departement.clone(),
                beneficiaire_id: part.structure_id.to_string(),
                montant_centimes: montant,
                verse_centimes: 0,
                date_engagement: jour,
                objet: format!(
                    "{} poste(s) de conseiller numérique — {}",
                    part.postes, convention.numero
                ),
                cree_le: stored_time(at),
                modifie_le: stored_time(at),
            };
            enveloppe.engage_centimes += montant;
            plafond.engage_centimes += montant;
            derniere_modification = derniere_modification.max(at);
            // Instalments: 40 % soon after, 30 % some months later, the rest for closed
            // conventions; a few commitments are not paid yet.
            let mut tranches: Vec<(i64, NaiveDate)> = Vec::new();
            if alea.chance(0.92) || convention.statut == StatutConvention::Terminee {
                let first = add_days(jour, alea.between(15, 60)).min(fin);
                tranches.push((montant * 40 / 100, first));
                let executed = matches!(
                    convention.statut,
                    StatutConvention::EnExecution | StatutConvention::Terminee
                );
                if executed && alea.chance(0.7) || convention.statut == StatutConvention::Terminee {
                    let second = add_days(first, alea.between(180, 300)).min(fin);
                    tranches.push((montant * 30 / 100, second));
                    if convention.statut == StatutConvention::Terminee {
                        let last = day_between(
                            &mut alea,
                            second,
                            convention.date_cloture.expect("closed").max(second),
                        );
                        tranches.push((montant - montant * 70 / 100, last));
                    }
                }
            }
            for (amount, day) in tranches {
                if amount < 1 || engagement.verse_centimes + amount > engagement.montant_centimes {
                    return Err(enfreinte("versement", "au-delà de l'engagement"));
                }
                reference += 1;
                let paid = instant(day, 14 * 3600 + alea.between(0, 7200) as u32).max(at);
                versements.push(VersementSeed {
                    id: alea.id(paid),
                    engagement_id: engagement.id.clone(),
                    montant_centimes: amount,
                    date_versement: day,
                    reference: format!("MANDAT-{}-{reference:06}", day.format("%Y")),
                    cree_le: stored_time(paid),
                });
                engagement.verse_centimes += amount;
                engagement.modifie_le = stored_time(paid);
                enveloppe.verse_centimes += amount;
                plafond.verse_centimes += amount;
                derniere_modification = derniere_modification.max(paid);
            }
            engagements.push(engagement);
        }
    }
    enveloppe.modifie_le = stored_time(derniere_modification);
    Ok(FinancementSeed {
        enveloppes: vec![enveloppe],
        plafonds: plafonds.into_values().collect(),
        engagements,
        versements,
    })
}

/// The lieux of every host of a convention whose project is filed: 1 to 3 each (by its posts),
/// in its seat or, for an EPCI, its member communes of the département, with one of the
/// commune's postcodes. Returns each lieu with its structure's index.
fn lieux(
    structures: &[EnCours],
    conventions: &[ConventionSeed],
    plans: &[Plan],
    source: &ReferentielSource,
    graine: u64,
) -> Result<Vec<(LieuSeed, usize)>, RegleEnfreinte> {
    let mut postes: BTreeMap<usize, i64> = BTreeMap::new();
    for (convention, (_, hosts, _)) in conventions.iter().zip(plans) {
        if convention.date_depot.is_some() {
            for (s, p) in hosts {
                *postes.entry(*s).or_default() += p;
            }
        }
    }
    let mut out = Vec::new();
    for (s, postes) in postes {
        let structure = &structures[s];
        let mut alea = Alea::flux(graine, &format!("lieux/{}", structure.seed.siret));
        let nombre = 1 + usize::from(postes >= 4) + usize::from(postes >= 10);
        let communes: Vec<usize> = structure
            .candidat
            .communes
            .iter()
            .copied()
            .filter(|c| !source.communes[*c].codes_postaux.is_empty())
            .collect();
        if communes.is_empty() {
            continue;
        }
        for n in 0..nombre {
            let c = if n == 0 {
                communes[0]
            } else {
                *alea.pick(&communes)
            };
            let commune = &source.communes[c];
            let code_postal = alea.pick(&commune.codes_postaux).clone();
            let code_insee =
                CodeInsee::parse(&commune.code_insee).map_err(|e| enfreinte("lieu", e.expected))?;
            let referentiel = CommuneLieu {
                nom: commune.nom.clone(),
                departement: CodeDepartement::parse(&commune.departement)
                    .map_err(|e| enfreinte("lieu", e.expected))?,
                codes_postaux: commune.codes_postaux.clone(),
            };
            check_adresse(&code_insee, &code_postal, Some(&referentiel))
                .map_err(|r| enfreinte("lieu", r.detail))?;
            let at = instant(
                add_days(structure.premier_usage, alea.between(1, 20)),
                11 * 3600 + alea.between(0, 3600) as u32,
            );
            let services: Vec<Service> = {
                let mut chosen: Vec<Service> = Vec::new();
                for _ in 0..alea.between(1, 3) {
                    let service = *alea.pick(Service::ALL);
                    if !chosen.contains(&service) {
                        chosen.push(service);
                    }
                }
                chosen
            };
            let mut modalites = vec![ModaliteAcces::SePresenter];
            if alea.chance(0.5) {
                modalites.push(ModaliteAcces::Telephoner);
            }
            out.push((
                LieuSeed {
                    id: alea.id(at),
                    structure_id: structure.seed.id.clone(),
                    nom: format!("{} de {}", alea.pick(&TYPES_LIEU), commune.nom),
                    adresse: format!("{} {}", alea.between(1, 120), alea.pick(&VOIES)),
                    code_postal,
                    code_insee: commune.code_insee.clone(),
                    departement: commune.departement.clone(),
                    horaires: alea.pick(&HORAIRES).to_string(),
                    itinerance: vec![Itinerance::Fixe],
                    services,
                    modalites_acces: modalites,
                    cree_le: stored_time(at),
                },
                s,
            ));
        }
    }
    Ok(out)
}

/// Advisors of the executed and closed conventions: on each host's posts, active ones (most in
/// post, some recruited, training or certified) within its quota, and some who left; on a closed
/// convention, only advisors who left. Sets each convention's posts filled. Returns the advisors
/// and those in post, with the window of their activities.
#[allow(clippy::type_complexity)]
fn conseillers(
    conventions: &mut [ConventionSeed],
    plans: &[Plan],
    structures: &[EnCours],
    lieux: &[(LieuSeed, usize)],
    source: &ReferentielSource,
    index: &Index<'_>,
    parametres: &Parametres,
) -> Result<
    (
        Vec<ConseillerSeed>,
        Vec<(DeclarantSeed, NaiveDate, NaiveDate)>,
    ),
    RegleEnfreinte,
> {
    let fin = parametres.fin();
    let mut lieux_de: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (l, (_, s)) in lieux.iter().enumerate() {
        lieux_de.entry(*s).or_default().push(l);
    }
    let mut out = Vec::new();
    let mut declarants = Vec::new();
    for (convention, (_, hosts, _)) in conventions.iter_mut().zip(plans) {
        let (Some(validation), statut) = (convention.date_validation, convention.statut) else {
            continue;
        };
        let mut alea = Alea::flux(parametres.graine, &format!("conseillers/{}", convention.id));
        let departement = CodeDepartement::parse(&convention.departement)
            .map_err(|e| enfreinte("département", e.expected))?;
        let communes_departement = &index.communes_par_departement[convention.departement.as_str()];
        let mut pourvus = 0;
        for (s, postes) in hosts {
            let structure = &structures[*s];
            let structure_id = StructureId::parse(&structure.seed.id).expect("a generated id");
            let own_lieux = lieux_de.get(s).cloned().unwrap_or_default();
            let mut actifs = 0;
            for _ in 0..*postes {
                // (whether it left, reached stage: 0 recruited, 1 in training, 2 certified, 3
                // working at a lieu)
                let mut chemins: Vec<(bool, usize)> = Vec::new();
                if statut == StatutConvention::Terminee {
                    chemins.push((true, 3));
                } else {
                    if alea.chance(0.12) {
                        chemins.push((true, [3, 3, 3, 2, 1, 0][alea.below(6) as usize]));
                    }
                    if alea.chance(0.92) {
                        let etape = [0, 1, 2, 3][alea.weighted(&[4, 6, 4, 86])];
                        chemins.push((false, etape));
                    }
                }
                for (sorti, mut etape) in chemins {
                    if etape == 3 && own_lieux.is_empty() {
                        etape = 2;
                    }
                    let actif = !sorti;
                    if actif {
                        check_quota(&structure_id, *postes, actifs)
                            .map_err(|r| enfreinte("conseiller", r.detail))?;
                    }
                    let latest = match (statut, actif) {
                        (StatutConvention::Terminee, _) => {
                            add_days(convention.date_cloture.expect("closed"), -1).max(validation)
                        }
                        (_, false) => add_days(fin, -30).max(validation),
                        _ => fin,
                    };
                    let recent = actif && (etape < 3 || alea.chance(0.15));
                    let dates = parcours(&mut alea, validation, latest, etape, recent);
                    let derniere = dates[etape].expect("reached");
                    let (sortie, motif) = if actif {
                        (None, None)
                    } else if statut == StatutConvention::Terminee {
                        let cloture = convention.date_cloture.expect("closed");
                        (
                            Some(day_between(&mut alea, derniere, cloture)),
                            Some(MotifSortie::FinDeContrat),
                        )
                    } else {
                        (
                            Some(
                                add_days(derniere, alea.between(30, 600))
                                    .min(fin)
                                    .max(derniere),
                            ),
                            Some(
                                [
                                    MotifSortie::FinDeContrat,
                                    MotifSortie::Demission,
                                    MotifSortie::Rupture,
                                    MotifSortie::Autre,
                                ][alea.weighted(&[40, 35, 15, 10])],
                            ),
                        )
                    };
                    let lieu = (etape == 3).then(|| lieux[*alea.pick(&own_lieux)].0.id.clone());
                    let residence = if alea.chance(0.85) {
                        let local =
                            alea.pick(&communes_departement[..communes_departement.len().min(60)]);
                        source.communes[*local].code_insee.clone()
                    } else {
                        alea.pick(&source.communes).code_insee.clone()
                    };
                    let local = recrutement_local(
                        &CodeInsee::parse(&residence)
                            .map_err(|e| enfreinte("résidence", e.expected))?,
                        &departement,
                    );
                    let numero = out.len() + 1;
                    let prenom = *alea.pick(&PRENOMS);
                    let nom = *alea.pick(&NOMS);
                    let cree = instant(
                        dates[0].expect("recruited"),
                        10 * 3600 + alea.between(0, 3600) as u32,
                    );
                    let last_change = sortie.unwrap_or(derniere);
                    let modifie = instant(last_change, 16 * 3600).max(cree);
                    let steps = etape as i64 + 1 + i64::from(sortie.is_some());
                    let id = alea.id(cree);
                    // one person per address, across datasets added with --force: the id's
                    // random tail makes the address unique
                    let email = format!(
                        "{}.{}.{numero}.{}@example.org",
                        ascii(prenom),
                        ascii(nom),
                        &id[id.len() - 8..]
                    );
                    let seed = ConseillerSeed {
                        id,
                        convention_id: convention.id.clone(),
                        departement: convention.departement.clone(),
                        structure_id: structure.seed.id.clone(),
                        nom: nom.to_owned(),
                        prenom: prenom.to_owned(),
                        email,
                        commune_residence: residence,
                        recrutement_local: local,
                        type_contrat: [
                            TypeContrat::Cdd,
                            TypeContrat::ContratDeProjet,
                            TypeContrat::Cdi,
                            TypeContrat::Titulaire,
                        ][alea.weighted(&[55, 25, 10, 10])],
                        actif,
                        date_recrutement: dates[0].expect("recruited"),
                        date_debut_formation: dates[1],
                        organisme_formation: dates[1].map(|_| {
                            format!("Organisme de formation habilité n° {}", 1 + alea.below(12))
                        }),
                        date_certification: dates[2],
                        date_prise_poste: dates[3],
                        lieu_id: lieu.clone(),
                        date_sortie: sortie,
                        motif_sortie: motif,
                        version: steps,
                        cree_le: stored_time(cree),
                        modifie_le: stored_time(modifie),
                    };
                    if actif {
                        actifs += 1;
                    }
                    if actif && etape == 3 {
                        let start = seed
                            .date_prise_poste
                            .expect("in post")
                            .max(premier_jour_activites());
                        declarants.push((
                            DeclarantSeed {
                                conseiller_id: seed.id.clone(),
                                structure_id: seed.structure_id.clone(),
                                departement: seed.departement.clone(),
                                lieu_id: lieu.expect("in post at a lieu"),
                            },
                            start,
                            fin,
                        ));
                    }
                    out.push(seed);
                }
            }
            pourvus += actifs;
        }
        convention.postes_pourvus = pourvus;
    }
    Ok((out, declarants))
}

/// The posts of every validated convention: the seed writes advisors without the use cases, so
/// the posts that the validation, the recruitments and the exits would have made are rebuilt
/// from them, host by host, by the upgrade's rule ([`postes_reconstitues`]). Checked against
/// each convention's posts filled. Ids from the convention's own stream, created at its
/// validation (15:00, as the convention's change), changed at their last event (16:00, as the
/// advisors'); the version counts the history's steps (one per change through the API).
fn postes(
    conventions: &[ConventionSeed],
    conseillers: &[ConseillerSeed],
    contrats: &[ContratSeed],
    graine: u64,
) -> Result<Vec<PosteSeed>, RegleEnfreinte> {
    /// A host's active advisors (id, contract, recruitment) and exit dates.
    type Parcours = (Vec<(ConseillerId, ContratId, NaiveDate)>, Vec<NaiveDate>);
    let mut par_hote: HashMap<(&str, &str), Parcours> = HashMap::new();
    for (c, contrat) in conseillers.iter().zip(contrats) {
        let (actifs, sorties) = par_hote
            .entry((c.convention_id.as_str(), c.structure_id.as_str()))
            .or_default();
        if c.actif {
            let id = ConseillerId::parse(&c.id).map_err(|e| enfreinte("conseiller", e.expected))?;
            actifs.push((id, contrat.contrat.id.clone(), c.date_recrutement));
        } else if let Some(sortie) = c.date_sortie {
            sorties.push(sortie);
        }
    }
    let aucun: Parcours = (Vec::new(), Vec::new());
    let mut out = Vec::new();
    for convention in conventions {
        let Some(validation) = convention.date_validation else {
            continue;
        };
        let what = || format!("postes de {}", convention.numero);
        let fin = if matches!(
            convention.statut,
            StatutConvention::Terminee | StatutConvention::Resiliee
        ) {
            Some(
                convention
                    .date_cloture
                    .ok_or_else(|| enfreinte(what(), "convention close sans date de clôture"))?,
            )
        } else {
            None
        };
        let convention_id =
            ConventionId::parse(&convention.id).map_err(|e| enfreinte(what(), e.expected))?;
        let departement = CodeDepartement::parse(&convention.departement)
            .map_err(|e| enfreinte(what(), e.expected))?;
        let cree = instant(validation, 15 * 3600);
        let mut ids = Alea::flux(graine, &format!("postes/{}", convention.id));
        let mut occupes = 0;
        for (structure, postes) in &convention.repartition {
            let part = PartHote {
                structure_id: StructureId::parse(structure).expect("a generated id"),
                postes: *postes,
                postes_coordinateur: 0,
            };
            let (actifs, sorties) = par_hote
                .get(&(convention.id.as_str(), structure.as_str()))
                .unwrap_or(&aucun);
            for mut poste in postes_reconstitues(
                &convention_id,
                &departement,
                &part,
                validation,
                fin,
                actifs,
                sorties,
            ) {
                poste.id = PosteId::parse(&ids.id(cree)).expect("a generated id");
                poste.version = poste.historique.len() as i64;
                occupes += i64::from(poste.etat == EtatPoste::Occupe);
                let modifie = instant(poste.depuis, 16 * 3600).max(cree);
                out.push(PosteSeed {
                    poste,
                    cree_le: stored_time(cree),
                    modifie_le: stored_time(modifie),
                });
            }
        }
        if occupes != convention.postes_pourvus {
            return Err(enfreinte(
                what(),
                format!(
                    "{occupes} poste(s) occupé(s) pour {} pourvu(s)",
                    convention.postes_pourvus
                ),
            ));
        }
    }
    Ok(out)
}

/// `n` activities spread over the declarants in proportion to the days of their window, each on
/// a day of it drawn evenly; then sorted by date and given ids whose time is their declaration
/// (the day at 17:00 UTC and one millisecond per activity of the day), so that ids follow dates
/// and go into the tables' indexes in order. The per-day and per-month aggregates are summed
/// alongside.
pub fn activites(
    declarants: &[(DeclarantSeed, NaiveDate, NaiveDate)],
    parametres: &Parametres,
) -> Result<Activites, RegleEnfreinte> {
    let n = parametres.activites;
    if n == 0 {
        return Ok(Activites::default());
    }
    let mut cumulative: Vec<u64> = Vec::with_capacity(declarants.len());
    let mut total = 0u64;
    for (_, start, end) in declarants {
        total += (days_between(*start, *end) + 1).max(0) as u64;
        cumulative.push(total);
    }
    if total == 0 {
        return Err(enfreinte(
            "activités",
            "aucun conseiller en poste ne peut en déclarer",
        ));
    }
    let mut alea = Alea::flux(parametres.graine, "activites");
    let mut rows: Vec<ActiviteSeed> = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let draw = alea.below(total);
        let who = cumulative.partition_point(|c| *c <= draw);
        let (_, start, end) = &declarants[who];
        let day = add_days(
            *start,
            alea.below((days_between(*start, *end) + 1) as u64) as i64,
        );
        let individuel = alea.chance(0.45);
        let (duree, participants) = if individuel {
            (5 * alea.between(3, 18), 1)
        } else if alea.chance(0.05) {
            (alea.between(60, 240), alea.between(13, 40))
        } else {
            (alea.between(45, 180), alea.between(2, 12))
        };
        let mut themes = 0u16;
        for _ in 0..=alea.weighted(&[55, 35, 10]) {
            loop {
                let theme = alea.weighted(&POIDS_THEMES);
                if themes & (1 << theme) == 0 {
                    themes |= 1 << theme;
                    break;
                }
            }
        }
        rows.push(ActiviteSeed {
            id: 0,
            declarant: who as u32,
            date: day,
            individuel,
            duree_minutes: duree as u16,
            nb_participants: participants as u8,
            thematiques: themes,
        });
    }
    rows.sort_by_key(|a| (a.date, a.declarant));

    let departement_of: Vec<usize> = {
        let codes: Vec<&str> = {
            let mut codes: Vec<&str> = declarants
                .iter()
                .map(|d| d.0.departement.as_str())
                .collect();
            codes.sort_unstable();
            codes.dedup();
            codes
        };
        declarants
            .iter()
            .map(|d| {
                codes
                    .binary_search(&d.0.departement.as_str())
                    .expect("listed")
            })
            .collect()
    };
    let mut ids = Alea::flux(parametres.graine, "activites/ids");
    let mut jours: BTreeMap<(usize, NaiveDate), Apport> = BTreeMap::new();
    let mut current = None;
    let mut of_day = 0i64;
    for row in &mut rows {
        if current != Some(row.date) {
            current = Some(row.date);
            of_day = 0;
        }
        let millis = instant(row.date, 17 * 3600).timestamp_millis() + of_day;
        of_day += 1;
        row.id = ids.uuid_v7(millis);
        let key = (departement_of[row.declarant as usize], row.date);
        let sum = jours.entry(key).or_default();
        *sum = sum
            .plus(row.apport())
            .ok_or_else(|| enfreinte("agrégats", "dépassement de capacité"))?;
    }
    let mut by_code: BTreeMap<usize, &str> = BTreeMap::new();
    for (d, index) in declarants.iter().zip(&departement_of) {
        by_code.insert(*index, d.0.departement.as_str());
    }
    let mut mois: BTreeMap<(usize, String), Apport> = BTreeMap::new();
    for ((d, jour), apport) in &jours {
        let sum = mois
            .entry((*d, jour.format("%Y-%m").to_string()))
            .or_default();
        *sum = sum
            .plus(*apport)
            .ok_or_else(|| enfreinte("agrégats", "dépassement de capacité"))?;
    }
    let jours = jours
        .into_iter()
        .map(|((d, jour), apport)| SommeSeed {
            departement: by_code[&d].to_owned(),
            periode: jour.format("%Y-%m-%d").to_string(),
            apport,
        })
        .collect();
    let mois = mois
        .into_iter()
        .map(|((d, mois), apport)| SommeSeed {
            departement: by_code[&d].to_owned(),
            periode: mois,
            apport,
        })
        .collect();
    Ok(Activites {
        activites: rows,
        jours,
        mois,
    })
}

/// A digest of what the seed is: its graine mixed with what the database held (`--force`), so
/// that a second seed of the same graine gives new ids and SIRETs, deterministically.
pub fn graine_effective(graine: u64, existant: &Existant) -> u64 {
    if existant.is_empty() {
        return graine;
    }
    let held: Vec<String> = existant
        .tables
        .iter()
        .map(|(table, n)| format!("{table}={n}"))
        .collect();
    graine ^ hash(&held.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lieu::check_horaires;

    #[test]
    fn largest_remainders_add_up_with_a_minimum() {
        let shares = largest_remainders_with_minimum(4000, &[1_000_000, 2_000_000, 0, 3], 1);
        assert_eq!(shares.iter().sum::<i64>(), 4000);
        assert!(shares.iter().all(|s| *s >= 1));
        assert_eq!(shares[2], 1);
        assert!(shares[1] > shares[0]);
        assert_eq!(
            largest_remainders_with_minimum(3, &[1, 1, 1], 1),
            vec![1, 1, 1]
        );
        assert_eq!(largest_remainders_with_minimum(5, &[1, 1], 1), vec![3, 2]);
        assert_eq!(largest_remainders_with_minimum(4, &[0, 0], 0), vec![2, 2]);
    }

    #[test]
    fn sirens_and_sirets_have_their_keys() {
        let siren = siren_with_key("26975010");
        assert_eq!(siren.len(), 9);
        let mut taken = HashSet::new();
        let first = free_siret(&siren, &mut taken);
        let second = free_siret(&siren, &mut taken);
        assert_ne!(first, second);
        assert!(Siret::is_valid(&first) && Siret::is_valid(&second));
        assert!(first.starts_with(&siren));
    }

    #[test]
    fn opening_hours_follow_the_standard() {
        for horaires in HORAIRES {
            assert_eq!(check_horaires(horaires), Ok(()), "{horaires}");
        }
    }

    #[test]
    fn paths_respect_their_bounds() {
        let mut alea = Alea::flux(3, "parcours");
        let earliest = date(2021, 3, 1);
        let latest = date(2024, 12, 31);
        for etape in 0..4 {
            for recent in [false, true] {
                let dates = parcours(&mut alea, earliest, latest, etape, recent);
                let reached: Vec<NaiveDate> = dates.iter().flatten().copied().collect();
                assert_eq!(reached.len(), etape + 1);
                assert!(reached.windows(2).all(|w| w[0] <= w[1]));
                assert!(reached[0] >= earliest && *reached.last().unwrap() <= latest);
            }
        }
        // No room: everything on the one day there is.
        let dates = parcours(&mut alea, earliest, earliest, 3, false);
        assert!(dates.iter().all(|d| *d == Some(earliest)));
    }
}

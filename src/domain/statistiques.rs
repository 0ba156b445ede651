//! Statistics by territory (national, région, département): posts, advisors, conventions, money
//! and activities, in one shape at every level.
//!
//! The storage layer reads, per département, small grouped figures (conventions by status and
//! deadline, advisors by status, money per envelope and département, activities per month from
//! the per-day aggregates); [`compose`] adds up the départements of a territory. Nothing here is
//! personal: only counts and sums. [`Territoire`], [`Postes`] and [`Financement`] are also the
//! API's views (`api::statistiques` re-exports them): their French docs are the spec's.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use super::activite::{Apport, Thematique};
use super::conseiller::{StatutConseiller, TypeContrat};
use super::convention::StatutConvention;
use super::financement::{NatureEnveloppe, disponible};
use crate::closed_enum;

closed_enum! {
    /// Niveau d'un territoire des statistiques.
    NiveauTerritoire, "niveau de territoire" {
        /// La France entière.
        National = "national",
        /// Une région.
        Region = "region",
        /// Un département.
        Departement = "departement",
    }
}

/// Conventions of one département sharing a status (the storage layer groups them so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupeConventions {
    /// Their status.
    pub statut: StatutConvention,
    /// How many.
    pub nombre: i64,
    /// Their posts granted, summed.
    pub postes_attribues: i64,
    /// How many of them are late ([`en_retard`](crate::domain::convention::en_retard)) on the
    /// day the statistics are computed for: counted by the storage layer with that rule's SQL
    /// form, since grouping by deadline made about one group per convention.
    pub en_retard: i64,
}

/// Advisors of one département sharing a status and whether they were recruited locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupeConseillers {
    /// Their status.
    pub statut: StatutConseiller,
    /// Recruited in the convention's département.
    pub recrutement_local: bool,
    /// How many.
    pub nombre: i64,
}

/// The posts of one département: by typology and state, and how many are vacant since more
/// than [`VACANCE_MAX_JOURS`](super::poste::VACANCE_MAX_JOURS) days on the day the statistics
/// are computed for (counted by the storage layer, one row per département).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostesDepartement {
    /// By typology, each by state.
    pub par_typologie: PostesParTypologie,
    /// Vacant for more than 180 days.
    pub vacants_anciens: i64,
}

/// Days ahead within which a fixed-term contract in force counts as ending soon: the time a
/// préfecture needs to see a renewal or a vacancy coming.
pub const FIN_PROCHE_JOURS: u64 = 60;

/// The contracts of one département in force on the day the statistics are computed for, by
/// type (in the order of [`TypeContrat::ALL`]), and how many of them are fixed-term contracts
/// whose planned end comes within [`FIN_PROCHE_JOURS`] days (counted by the storage layer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContratsDepartement {
    /// In force, by type.
    pub par_type: [i64; TypeContrat::ALL.len()],
    /// Of those, fixed-term contracts ending within [`FIN_PROCHE_JOURS`] days.
    pub fin_proche: i64,
}

/// The certifications of one département's advisors (by the advisor's current département), on
/// the day the statistics are computed for (counted by the storage layer, rules of
/// `domain::formation`): trained (an initial training that has ended, or a certification passed:
/// it follows the end), certified (at least one certification `reussie`), late
/// (`certification_en_retard`: trained more than six months ago, nothing passed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificationsDepartement {
    /// Advisors trained.
    pub formes: i64,
    /// Advisors certified.
    pub certifies: i64,
    /// Advisors late for their certification.
    pub en_retard: i64,
}

/// What the statistics know of a département.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DonneesDepartement {
    /// Its code.
    pub code: String,
    /// Its name.
    pub nom: String,
    /// Its région's code.
    pub region: String,
    /// Its conventions, grouped.
    pub conventions: Vec<GroupeConventions>,
    /// Its advisors, grouped.
    pub conseillers: Vec<GroupeConseillers>,
    /// Its posts.
    pub postes: PostesDepartement,
    /// Its contracts in force.
    pub contrats: ContratsDepartement,
    /// Its advisors' certifications.
    pub certifications: CertificationsDepartement,
    /// Its activities per month (`YYYY-MM`) within the dates asked.
    pub activites_par_mois: BTreeMap<String, Apport>,
}

/// An envelope, as the statistics need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnveloppeStat {
    /// Its id (text).
    pub id: String,
    /// What it funds.
    pub nature: NatureEnveloppe,
    /// Its amount.
    pub montant_centimes: i64,
    /// Engaged on it.
    pub engage_centimes: i64,
    /// Paid from it.
    pub verse_centimes: i64,
    /// The one département it serves, if departmental.
    pub perimetre_departement: Option<String>,
    /// Posts it aims to fund.
    pub objectif_postes: Option<i64>,
    /// Its lowest tariff per post (none without tariffs): a ceiling funds at most ceiling ÷ this
    /// many posts.
    pub montant_par_poste_centimes: Option<i64>,
}

/// The money of an envelope in one département: its ceiling, what is engaged and paid there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldeStat {
    /// The envelope's id.
    pub enveloppe_id: String,
    /// The département.
    pub departement: String,
    /// Its ceiling, if set.
    pub plafond_centimes: Option<i64>,
    /// Engaged there.
    pub engage_centimes: i64,
    /// Paid there.
    pub verse_centimes: i64,
}

/// Le territoire décrit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"niveau": "departement", "code": "93", "nom": "Seine-Saint-Denis"}))]
pub struct Territoire {
    /// Niveau : `national`, `region` ou `departement`.
    pub niveau: NiveauTerritoire,
    /// Code INSEE de la région ou du département ; null pour la France entière.
    pub code: Option<String>,
    /// Nom.
    pub nom: String,
}

/// Des postes par état.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"vacant": 37, "occupe": 41, "rendu": 2}))]
pub struct PostesParEtat {
    /// Vacants.
    pub vacant: i64,
    /// Occupés.
    pub occupe: i64,
    /// Rendus.
    pub rendu: i64,
}

impl PostesParEtat {
    fn add(&mut self, other: &PostesParEtat) {
        add(&mut self.vacant, other.vacant);
        add(&mut self.occupe, other.occupe);
        add(&mut self.rendu, other.rendu);
    }
}

/// Des postes par typologie, chacune par état.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct PostesParTypologie {
    /// Postes de conseiller.
    pub conseiller: PostesParEtat,
    /// Postes de coordinateur.
    pub coordinateur: PostesParEtat,
}

/// Les postes : objectif, attribués, pourvus, vacants ; les postes attribués aux structures par
/// état et typologie, et ceux vacants depuis plus de 180 jours.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "objectif": 80, "attribues": 80, "pourvus": 41, "vacants": 39, "taux_pourvus_pct": 51.3,
    "par_etat": {"vacant": 37, "occupe": 41, "rendu": 2},
    "par_typologie": {
        "conseiller": {"vacant": 36, "occupe": 40, "rendu": 2},
        "coordinateur": {"vacant": 1, "occupe": 1, "rendu": 0}
    },
    "vacants_plus_de_180_jours": 4
}))]
pub struct Postes {
    /// Postes visés : au national, la somme des `objectif_postes` des enveloppes ; pour un
    /// territoire, pour chaque enveloppe à barèmes, ⌊plafonds du territoire ÷
    /// son plus petit montant par poste⌋, plus les `objectif_postes` des enveloppes départementales du
    /// territoire ; null quand aucune enveloppe ne le dit.
    pub objectif: Option<i64>,
    /// Postes des conventions signées et vivantes (ni `brouillon`, ni `resiliee`, ni
    /// `terminee`).
    pub attribues: i64,
    /// Conseillers en poste à la date du calcul (statut `en_poste`, déduit de leurs contrats).
    pub pourvus: i64,
    /// `attribues − pourvus`.
    pub vacants: i64,
    /// `pourvus ÷ attribues`, en pourcentage à une décimale ; null sans poste attribué.
    pub taux_pourvus_pct: Option<f64>,
    /// Les postes attribués aux structures d'accueil (à la validation de leur projet d'accueil,
    /// ou par avenant), par état.
    pub par_etat: PostesParEtat,
    /// Les mêmes, par typologie.
    pub par_typologie: PostesParTypologie,
    /// Postes vacants depuis plus de 180 jours (la règle du programme : un poste vacant plus de
    /// six mois doit être rendu).
    pub vacants_plus_de_180_jours: i64,
}

/// Advisors by status, and the share recruited locally.
#[derive(Debug, Clone, PartialEq)]
pub struct Conseillers {
    /// Count per status, in the order of [`StatutConseiller::ALL`].
    pub par_statut: [i64; StatutConseiller::ALL.len()],
    /// Share of the advisors ever recruited (every status) who live in the convention's
    /// département, in percent, one decimal; none without advisors.
    pub recrutement_local_pct: Option<f64>,
}

/// Conventions by status, and those late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventions {
    /// Count per status, in the order of [`StatutConvention::ALL`].
    pub par_statut: [i64; StatutConvention::ALL.len()],
    /// Signed, deadline passed, no project filed.
    pub en_retard: i64,
}

/// L'argent d'une nature d'enveloppe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"nature": "postes_conseillers", "montant_centimes": 400000000, "engage_centimes": 400000000, "verse_centimes": 120000000, "disponible_centimes": 0}))]
pub struct Financement {
    /// Ce que financent ces enveloppes.
    pub nature: NatureEnveloppe,
    /// Au national, le montant des enveloppes ; pour un territoire, ses plafonds plus le montant
    /// de ses enveloppes départementales.
    pub montant_centimes: i64,
    /// Engagé (dans le territoire).
    pub engage_centimes: i64,
    /// Versé (dans le territoire).
    pub verse_centimes: i64,
    /// Ce qui reste à engager sous ces montants.
    pub disponible_centimes: i64,
}

/// Activities: totals, per theme, per month.
#[derive(Debug, Clone, PartialEq)]
pub struct Activites {
    /// The sums over the dates asked.
    pub total: Apport,
    /// Hours (minutes ÷ 60, one decimal).
    pub heures: f64,
    /// Per month (`YYYY-MM`, ascending), months without activity left out.
    pub par_mois: Vec<(String, Apport)>,
}

/// The statistics of one territory.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistiques {
    /// Which territory.
    pub territoire: Territoire,
    /// Posts.
    pub postes: Postes,
    /// Advisors.
    pub conseillers: Conseillers,
    /// Conventions.
    pub conventions: Conventions,
    /// Contracts in force.
    pub contrats: ContratsDepartement,
    /// Advisors' certifications.
    pub certifications: CertificationsDepartement,
    /// Money, one line per nature that has an envelope concerning the territory.
    pub financement: Vec<Financement>,
    /// Activities.
    pub activites: Activites,
}

/// `part / whole` in percent with one decimal; none when `whole` is 0.
pub fn pourcentage(part: i64, whole: i64) -> Option<f64> {
    (whole != 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// Minutes as hours, one decimal.
pub fn heures(minutes: i64) -> f64 {
    (minutes as f64 / 6.0).round() / 10.0
}

fn add(total: &mut i64, value: i64) {
    *total = total.saturating_add(value);
}

/// The statistics of `territoire` from its départements' data (`departements`: those of the
/// territory only) and every envelope with its per-département money (`soldes`: every row;
/// only those of the territory's départements count).
///
/// - Posts aimed at: nationally, the sum of the envelopes' `objectif_postes`; for a territory,
///   over the envelopes with an amount per post, ⌊the territory's ceilings ÷ that amount⌋, plus
///   the `objectif_postes` of the departmental envelopes of its départements; none when nothing
///   says.
/// - Money: nationally, each envelope's amount, engaged and paid; for a territory, its ceilings
///   and its departmental envelopes' amounts, what is engaged and paid in its départements, and
///   what is left under those amounts.
/// - Activities: `par_mois` when the reader already summed the territory's months (one grouped
///   read, see `repo::statistiques::Lecture`), otherwise the sum of each département's
///   `activites_par_mois`.
pub fn compose(
    territoire: Territoire,
    departements: &[&DonneesDepartement],
    par_mois_lu: Option<&BTreeMap<String, Apport>>,
    enveloppes: &[EnveloppeStat],
    soldes: &[SoldeStat],
) -> Statistiques {
    let national = territoire.niveau == NiveauTerritoire::National;
    let in_territory = |code: &str| departements.iter().any(|d| d.code == code);

    // Conventions and posts granted.
    let mut conventions = Conventions {
        par_statut: [0; StatutConvention::ALL.len()],
        en_retard: 0,
    };
    let mut attribues = 0;
    // Advisors.
    let mut par_statut = [0; StatutConseiller::ALL.len()];
    let (mut recrutes, mut locaux) = (0, 0);
    // Posts as objects.
    let mut par_typologie = PostesParTypologie::default();
    let mut vacants_anciens = 0;
    // Contracts in force.
    let mut contrats = ContratsDepartement::default();
    // Certifications.
    let mut certifications = CertificationsDepartement::default();
    // Activities.
    let mut par_mois: BTreeMap<String, Apport> = BTreeMap::new();
    for departement in departements {
        for groupe in &departement.conventions {
            let index = StatutConvention::ALL
                .iter()
                .position(|s| *s == groupe.statut)
                .expect("every status is in ALL");
            add(&mut conventions.par_statut[index], groupe.nombre);
            add(&mut conventions.en_retard, groupe.en_retard);
            // A draft attributes nothing yet: its posts count once it is signed.
            if !matches!(
                groupe.statut,
                StatutConvention::Brouillon
                    | StatutConvention::Resiliee
                    | StatutConvention::Terminee
            ) {
                add(&mut attribues, groupe.postes_attribues);
            }
        }
        // people recorded without a contract yet are not advisors of the programme
        for groupe in departement
            .conseillers
            .iter()
            .filter(|g| g.statut != StatutConseiller::SansContrat)
        {
            let index = StatutConseiller::ALL
                .iter()
                .position(|s| *s == groupe.statut)
                .expect("every status is in ALL");
            add(&mut par_statut[index], groupe.nombre);
            add(&mut recrutes, groupe.nombre);
            if groupe.recrutement_local {
                add(&mut locaux, groupe.nombre);
            }
        }
        let postes = &departement.postes;
        par_typologie
            .conseiller
            .add(&postes.par_typologie.conseiller);
        par_typologie
            .coordinateur
            .add(&postes.par_typologie.coordinateur);
        add(&mut vacants_anciens, postes.vacants_anciens);
        for (sum, n) in contrats
            .par_type
            .iter_mut()
            .zip(departement.contrats.par_type)
        {
            add(sum, n);
        }
        add(&mut contrats.fin_proche, departement.contrats.fin_proche);
        let c = &departement.certifications;
        add(&mut certifications.formes, c.formes);
        add(&mut certifications.certifies, c.certifies);
        add(&mut certifications.en_retard, c.en_retard);
        if par_mois_lu.is_none() {
            for (mois, apport) in &departement.activites_par_mois {
                let sum = par_mois.entry(mois.clone()).or_default();
                *sum = sum.plus(*apport).unwrap_or(*sum);
            }
        }
    }
    if let Some(lu) = par_mois_lu {
        par_mois = lu.clone();
    }
    let pourvus = StatutConseiller::ALL
        .iter()
        .zip(par_statut)
        .filter(|(statut, _)| **statut == StatutConseiller::EnPoste)
        .map(|(_, n)| n)
        .sum::<i64>();

    // Posts aimed at and money, per envelope.
    let mut objectif: Option<i64> = None;
    let mut money: BTreeMap<NatureEnveloppe, Financement> = BTreeMap::new();
    for enveloppe in enveloppes {
        let departmental = enveloppe.perimetre_departement.as_deref();
        let rows = soldes
            .iter()
            .filter(|s| s.enveloppe_id == enveloppe.id && in_territory(&s.departement));
        let (mut plafonds, mut engage, mut verse, mut reste) = (0i64, 0i64, 0i64, 0i64);
        let mut has_ceiling = false;
        for row in rows {
            add(&mut engage, row.engage_centimes);
            add(&mut verse, row.verse_centimes);
            if departmental.is_none()
                && let Some(plafond) = row.plafond_centimes
            {
                has_ceiling = true;
                add(&mut plafonds, plafond);
                add(&mut reste, disponible(plafond, row.engage_centimes));
            }
        }
        let (montant, engage, verse, reste, concerns) = if national {
            (
                enveloppe.montant_centimes,
                enveloppe.engage_centimes,
                enveloppe.verse_centimes,
                disponible(enveloppe.montant_centimes, enveloppe.engage_centimes),
                true,
            )
        } else if departmental.is_some_and(in_territory) {
            (
                enveloppe.montant_centimes,
                engage,
                verse,
                disponible(enveloppe.montant_centimes, enveloppe.engage_centimes),
                true,
            )
        } else if departmental.is_none() {
            (plafonds, engage, verse, reste, has_ceiling || engage != 0)
        } else {
            (0, 0, 0, 0, false)
        };
        if concerns {
            let line = money
                .entry(enveloppe.nature)
                .or_insert_with(|| Financement {
                    nature: enveloppe.nature,
                    montant_centimes: 0,
                    engage_centimes: 0,
                    verse_centimes: 0,
                    disponible_centimes: 0,
                });
            add(&mut line.montant_centimes, montant);
            add(&mut line.engage_centimes, engage);
            add(&mut line.verse_centimes, verse);
            add(&mut line.disponible_centimes, reste);
        }
        let aimed = if national || departmental.is_some_and(in_territory) {
            enveloppe.objectif_postes
        } else if departmental.is_none() && has_ceiling {
            enveloppe
                .montant_par_poste_centimes
                .filter(|per_post| *per_post > 0)
                .map(|per_post| plafonds / per_post)
        } else {
            None
        };
        if let Some(aimed) = aimed {
            objectif = Some(objectif.unwrap_or(0).saturating_add(aimed));
        }
    }

    let total = par_mois
        .values()
        .fold(Apport::default(), |sum, a| sum.plus(*a).unwrap_or(sum));
    Statistiques {
        territoire,
        postes: Postes {
            objectif,
            attribues,
            pourvus,
            vacants: attribues - pourvus,
            taux_pourvus_pct: pourcentage(pourvus, attribues),
            par_etat: {
                let mut par_etat = par_typologie.conseiller.clone();
                par_etat.add(&par_typologie.coordinateur);
                par_etat
            },
            par_typologie,
            vacants_plus_de_180_jours: vacants_anciens,
        },
        conseillers: Conseillers {
            par_statut,
            recrutement_local_pct: pourcentage(locaux, recrutes),
        },
        conventions,
        contrats,
        certifications,
        financement: money.into_values().collect(),
        activites: Activites {
            total,
            heures: heures(total.minutes),
            par_mois: par_mois
                .into_iter()
                .filter(|(_, a)| a.nombre != 0)
                .collect(),
        },
    }
}

/// How a period of activities `[du, au]` (either bound open) is read: the whole months inside it
/// from the per-month aggregates, and the days of the partial months at its ends from the
/// per-day aggregates. Nothing is read twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoupage {
    /// The first and last whole months (`YYYY-MM`, inclusive; `0000-00`/`9999-99` for an open
    /// bound), or none when the period holds no whole month.
    pub mois: Option<(String, String)>,
    /// Day ranges (inclusive) outside those months: at most two.
    pub jours: Vec<(NaiveDate, NaiveDate)>,
}

fn month_text(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("every month has a first day")
}

fn last_of_month(date: NaiveDate) -> NaiveDate {
    super::calendar::add_months(first_of_month(date), 1)
        .and_then(|next| next.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

/// Splits `[du, au]` into whole months and the days around them (see [`Decoupage`]).
pub fn decoupe(du: Option<NaiveDate>, au: Option<NaiveDate>) -> Decoupage {
    if let (Some(du), Some(au)) = (du, au)
        && au < du
    {
        return Decoupage {
            mois: None,
            jours: Vec::new(),
        };
    }
    // The first day of the first whole month, and the last day of the last one (open bounds
    // stay open).
    let start = du.map(|d| {
        if d.day() == 1 {
            d
        } else {
            last_of_month(d).succ_opt().unwrap_or(NaiveDate::MAX)
        }
    });
    let end = au.map(|a| {
        if a == last_of_month(a) {
            a
        } else {
            first_of_month(a).pred_opt().unwrap_or(NaiveDate::MIN)
        }
    });
    let whole = match (start, end) {
        (Some(start), Some(end)) => start < end,
        _ => true,
    };
    if !whole {
        // No whole month: both bounds are set (an open bound always leaves whole months).
        let (Some(du), Some(au)) = (du, au) else {
            unreachable!("an open bound leaves whole months")
        };
        return Decoupage {
            mois: None,
            jours: vec![(du, au)],
        };
    }
    let mut jours = Vec::new();
    if let (Some(du), Some(start)) = (du, start)
        && du < start
    {
        jours.push((du, start.pred_opt().unwrap_or(du)));
    }
    if let (Some(au), Some(end)) = (au, end)
        && end < au
    {
        jours.push((end.succ_opt().unwrap_or(au), au));
    }
    Decoupage {
        mois: Some((
            start.map_or_else(|| "0000-00".to_owned(), month_text),
            end.map_or_else(|| "9999-99".to_owned(), month_text),
        )),
        jours,
    }
}

/// The number of activities per theme, in the order of [`Thematique::ALL`].
pub fn par_thematique(apport: &Apport) -> Vec<(Thematique, i64)> {
    Thematique::ALL
        .iter()
        .copied()
        .zip(apport.par_thematique)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn departement(code: &str) -> DonneesDepartement {
        DonneesDepartement {
            code: code.to_owned(),
            nom: format!("D{code}"),
            region: "11".to_owned(),
            ..DonneesDepartement::default()
        }
    }

    fn territoire(niveau: NiveauTerritoire) -> Territoire {
        Territoire {
            niveau,
            code: None,
            nom: "T".to_owned(),
        }
    }

    fn enveloppe(id: &str, perimetre: Option<&str>) -> EnveloppeStat {
        EnveloppeStat {
            id: id.to_owned(),
            nature: NatureEnveloppe::PostesConseillers,
            montant_centimes: 20_000_000_000,
            engage_centimes: 500_000_000,
            verse_centimes: 100_000_000,
            perimetre_departement: perimetre.map(str::to_owned),
            objectif_postes: Some(4000),
            montant_par_poste_centimes: Some(5_000_000),
        }
    }

    fn solde(enveloppe: &str, departement: &str, plafond: Option<i64>, engage: i64) -> SoldeStat {
        SoldeStat {
            enveloppe_id: enveloppe.to_owned(),
            departement: departement.to_owned(),
            plafond_centimes: plafond,
            engage_centimes: engage,
            verse_centimes: engage / 4,
        }
    }

    #[test]
    fn posts_count_live_conventions_and_active_advisors() {
        let mut d93 = departement("93");
        d93.conventions = vec![
            GroupeConventions {
                statut: StatutConvention::EnExecution,
                nombre: 2,
                postes_attribues: 80,
                en_retard: 0,
            },
            GroupeConventions {
                statut: StatutConvention::Resiliee,
                nombre: 1,
                postes_attribues: 10,
                en_retard: 0,
            },
            // Four signed, one of them past its deadline.
            GroupeConventions {
                statut: StatutConvention::Signee,
                nombre: 4,
                postes_attribues: 10,
                en_retard: 1,
            },
        ];
        d93.conseillers = vec![
            GroupeConseillers {
                statut: StatutConseiller::EnPoste,
                recrutement_local: true,
                nombre: 30,
            },
            GroupeConseillers {
                statut: StatutConseiller::EnPoste,
                recrutement_local: false,
                nombre: 11,
            },
            GroupeConseillers {
                statut: StatutConseiller::Sorti,
                recrutement_local: true,
                nombre: 7,
            },
            // people recorded without a contract: not counted
            GroupeConseillers {
                statut: StatutConseiller::SansContrat,
                recrutement_local: true,
                nombre: 5,
            },
        ];
        let stats = compose(
            territoire(NiveauTerritoire::Departement),
            &[&d93],
            None,
            &[],
            &[],
        );
        assert_eq!(stats.postes.attribues, 90);
        assert_eq!(stats.postes.pourvus, 41);
        assert_eq!(stats.postes.vacants, 49);
        assert_eq!(stats.postes.taux_pourvus_pct, Some(45.6));
        assert_eq!(stats.postes.objectif, None);
        assert_eq!(stats.conventions.par_statut, [0, 4, 0, 2, 0, 1]);
        assert_eq!(
            stats.conventions.en_retard, 1,
            "only the one past its deadline"
        );
        assert_eq!(stats.conseillers.par_statut, [0, 41, 7]);
        // 37 of 48 recruited locally.
        assert_eq!(stats.conseillers.recrutement_local_pct, Some(77.1));
    }

    #[test]
    fn certifications_are_the_sum_of_the_departements() {
        let (mut d93, mut d94) = (departement("93"), departement("94"));
        d93.certifications = CertificationsDepartement {
            formes: 30,
            certifies: 24,
            en_retard: 2,
        };
        d94.certifications = CertificationsDepartement {
            formes: 10,
            certifies: 4,
            en_retard: 5,
        };
        let both = compose(
            territoire(NiveauTerritoire::Region),
            &[&d93, &d94],
            None,
            &[],
            &[],
        );
        assert_eq!(
            both.certifications,
            CertificationsDepartement {
                formes: 40,
                certifies: 28,
                en_retard: 7
            }
        );
        let one = compose(
            territoire(NiveauTerritoire::Departement),
            &[&d94],
            None,
            &[],
            &[],
        );
        assert_eq!(one.certifications, d94.certifications);
    }

    #[test]
    fn a_territory_aims_at_its_ceilings_divided_by_the_amount_per_post() {
        let (d93, d94) = (departement("93"), departement("94"));
        let enveloppes = [
            enveloppe("national", None),
            EnveloppeStat {
                nature: NatureEnveloppe::Mixte,
                montant_centimes: 100_000_000,
                engage_centimes: 30_000_000,
                verse_centimes: 0,
                objectif_postes: None,
                montant_par_poste_centimes: None,
                ..enveloppe("ville93", Some("93"))
            },
        ];
        let soldes = [
            solde("national", "93", Some(400_000_000), 400_000_000),
            solde("national", "94", Some(212_500_000), 100_000_000),
            solde("ville93", "93", None, 30_000_000),
        ];
        // The statistics of `departements` composed at `niveau`, without activities.
        let composed = |niveau, departements: &[&DonneesDepartement]| {
            compose(territoire(niveau), departements, None, &enveloppes, &soldes)
        };
        let one = composed(NiveauTerritoire::Departement, &[&d93]);
        assert_eq!(one.postes.objectif, Some(80));
        assert_eq!(
            one.financement,
            vec![
                Financement {
                    nature: NatureEnveloppe::PostesConseillers,
                    montant_centimes: 400_000_000,
                    engage_centimes: 400_000_000,
                    verse_centimes: 100_000_000,
                    disponible_centimes: 0,
                },
                Financement {
                    nature: NatureEnveloppe::Mixte,
                    montant_centimes: 100_000_000,
                    engage_centimes: 30_000_000,
                    verse_centimes: 7_500_000,
                    disponible_centimes: 70_000_000,
                },
            ]
        );
        // (level, objective, amount, available): the région floors the sum of its ceilings,
        // (4 M€ + 2.125 M€) ÷ 50,000 € = 122.5 → 122; nationally, the envelopes' goals and amounts.
        for (niveau, objectif, montant, disponible) in [
            (NiveauTerritoire::Region, 122, 612_500_000, 112_500_000),
            (
                NiveauTerritoire::National,
                4000,
                20_000_000_000,
                19_500_000_000,
            ),
        ] {
            let both = composed(niveau, &[&d93, &d94]);
            assert_eq!(both.postes.objectif, Some(objectif), "{niveau:?}");
            assert_eq!(both.financement[0].montant_centimes, montant);
            assert_eq!(both.financement[0].disponible_centimes, disponible);
        }
        // A département with nothing: no goal, no money line.
        let d75 = departement("75");
        let empty = composed(NiveauTerritoire::Departement, &[&d75]);
        assert_eq!(empty.postes.objectif, None);
        assert!(empty.financement.is_empty());
        assert_eq!(empty.postes.taux_pourvus_pct, None);
    }

    #[test]
    fn activities_add_up_by_month_across_departements() {
        let apport = |nombre: i64, participants: i64, minutes: i64| {
            let mut a = Apport {
                nombre,
                participants,
                minutes,
                ..Apport::default()
            };
            a.par_thematique[Thematique::Sante.index()] = nombre;
            a
        };
        let mut d93 = departement("93");
        d93.activites_par_mois
            .insert("2021-09".to_owned(), apport(2, 10, 90));
        d93.activites_par_mois
            .insert("2021-10".to_owned(), apport(1, 1, 30));
        let mut d94 = departement("94");
        d94.activites_par_mois
            .insert("2021-09".to_owned(), apport(3, 3, 61));
        d94.activites_par_mois
            .insert("2021-11".to_owned(), apport(0, 0, 0));
        let stats = compose(
            territoire(NiveauTerritoire::Region),
            &[&d93, &d94],
            None,
            &[],
            &[],
        );
        assert_eq!(stats.activites.total.nombre, 6);
        assert_eq!(stats.activites.total.participants, 14);
        assert_eq!(stats.activites.heures, 3.0, "181 minutes");
        let months: Vec<(&str, i64)> = stats
            .activites
            .par_mois
            .iter()
            .map(|(m, a)| (m.as_str(), a.nombre))
            .collect();
        assert_eq!(
            months,
            [("2021-09", 5), ("2021-10", 1)],
            "empty months left out"
        );
        let themes = par_thematique(&stats.activites.total);
        assert_eq!(themes.len(), Thematique::ALL.len());
        assert_eq!(themes[Thematique::Sante.index()], (Thematique::Sante, 6));
    }

    #[test]
    fn a_period_reads_whole_months_and_the_days_around_them() {
        type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<(&'a str, &'a str)>);
        // (du, au, whole months) and the day ranges around them.
        let cases: [(Case<'_>, &[(&str, &str)]); 9] = [
            // Open: every month.
            ((None, None, Some(("0000-00", "9999-99"))), &[]),
            // Whole months exactly.
            (
                (
                    Some("2021-06-01"),
                    Some("2021-07-31"),
                    Some(("2021-06", "2021-07")),
                ),
                &[],
            ),
            // Partial months at both ends (February of a leap year included).
            (
                (
                    Some("2024-02-15"),
                    Some("2024-05-10"),
                    Some(("2024-03", "2024-04")),
                ),
                &[("2024-02-15", "2024-02-29"), ("2024-05-01", "2024-05-10")],
            ),
            // Open at one end.
            (
                (Some("2021-06-15"), None, Some(("2021-07", "9999-99"))),
                &[("2021-06-15", "2021-06-30")],
            ),
            (
                (None, Some("2021-06-15"), Some(("0000-00", "2021-05"))),
                &[("2021-06-01", "2021-06-15")],
            ),
            // Within one month, or across two without a whole one: days only.
            (
                (Some("2021-06-14"), Some("2021-06-14"), None),
                &[("2021-06-14", "2021-06-14")],
            ),
            (
                (Some("2021-06-15"), Some("2021-07-20"), None),
                &[("2021-06-15", "2021-07-20")],
            ),
            // One whole month and one day after it.
            (
                (
                    Some("2021-06-01"),
                    Some("2021-07-01"),
                    Some(("2021-06", "2021-06")),
                ),
                &[("2021-07-01", "2021-07-01")],
            ),
            // Reversed: nothing.
            ((Some("2021-07-01"), Some("2021-06-30"), None), &[]),
        ];
        for ((du, au, mois), jours) in cases {
            let expected = Decoupage {
                mois: mois.map(|(first, last)| (first.to_owned(), last.to_owned())),
                jours: jours.iter().map(|(a, b)| (date(a), date(b))).collect(),
            };
            assert_eq!(
                decoupe(du.map(date), au.map(date)),
                expected,
                "{du:?}..{au:?}"
            );
        }
    }

    #[test]
    fn percentages_and_hours_round_to_one_decimal() {
        assert_eq!(pourcentage(41, 80), Some(51.3));
        assert_eq!(pourcentage(0, 0), None);
        assert_eq!(pourcentage(80, 80), Some(100.0));
        assert_eq!(heures(31_230), 520.5);
        assert_eq!(heures(0), 0.0);
    }
}

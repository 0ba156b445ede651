//! Tariffs (barèmes): what an envelope pays per post, by kind of employer and territory, and in
//! which instalments.
//!
//! An envelope holds at most one tariff per pair (employer category, priority territory). A
//! tariff is an amount per post, a duration in months and a schedule of instalments (tranches)
//! whose amounts add up to the amount per post, each due some months after the start. An envelope
//! without tariffs funds things that are not posts (equipment, connectivity): its commitments
//! name their amount.
//!
//! What a convention may receive from an envelope with tariffs is, for each employer of the
//! convention ([`crate::domain::convention::Convention::parts_employeurs`]), its posts × the
//! tariff of its pair; an employer whose pair has no tariff receives nothing from it
//! ([`financement_maximal`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calendar::add_months;
use super::financement::{MONTANT_MAX_CENTIMES, euros};
use super::ids::{ConventionId, EngagementId, EnveloppeId, StructureId};
use super::refusal::{FieldError, Refusal, VALIDATION};
use super::structure::CategorieEmployeur;
use crate::closed_enum;

/// The longest funding period a tariff may describe, in months (ten years).
pub const DUREE_MAX_MOIS: i64 = 120;

/// The most instalments a tariff may have (one a month over three years).
pub const TRANCHES_MAX: usize = 36;

/// Une tranche d'un barème : son rang (1, 2, …), son montant par poste et le mois, compté depuis
/// le début du financement, où elle est due (0 : dès le début).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rang": 1, "montant_centimes": 1750000, "mois_apres_debut": 0}))]
pub struct Tranche {
    /// Rang de la tranche : 1 pour la première, puis 2, 3… sans trou.
    #[schema(minimum = 1, maximum = 36)]
    pub rang: i64,
    /// Montant de la tranche par poste, en centimes (au moins 1).
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000i64)]
    pub montant_centimes: i64,
    /// Mois où elle est due, compté depuis le début du financement (0 à `duree_mois` − 1, jamais
    /// avant la tranche précédente).
    #[schema(minimum = 0, maximum = 119)]
    pub mois_apres_debut: i64,
}

/// Un barème : ce qu'une enveloppe verse par poste à une catégorie d'employeur, selon qu'il est
/// ou non en territoire prioritaire (QPV/ZRR), sur quelle durée et en quelles tranches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "categorie": "public", "territoire_prioritaire": false,
    "montant_par_poste_centimes": 4250000, "duree_mois": 36,
    "tranches": [
        {"rang": 1, "montant_centimes": 1750000, "mois_apres_debut": 0},
        {"rang": 2, "montant_centimes": 1250000, "mois_apres_debut": 12},
        {"rang": 3, "montant_centimes": 1250000, "mois_apres_debut": 24}
    ]
}))]
pub struct Bareme {
    /// Catégorie d'employeur à laquelle il s'applique.
    pub categorie: CategorieEmployeur,
    /// S'il s'applique aux employeurs en territoire prioritaire (QPV/ZRR).
    pub territoire_prioritaire: bool,
    /// Montant par poste, en centimes : la somme des tranches.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000i64)]
    pub montant_par_poste_centimes: i64,
    /// Durée du financement d'un poste, en mois (1 à 120).
    #[schema(minimum = 1, maximum = 120)]
    pub duree_mois: i64,
    /// Les tranches, dans l'ordre de leur rang (1 à 36).
    #[schema(min_items = 1, max_items = 36)]
    pub tranches: Vec<Tranche>,
}

impl Bareme {
    /// A tariff paid at once at the start: what an envelope's single amount per post became.
    pub fn versement_unique(
        categorie: CategorieEmployeur,
        territoire_prioritaire: bool,
        montant_par_poste_centimes: i64,
        duree_mois: i64,
    ) -> Bareme {
        Bareme {
            categorie,
            territoire_prioritaire,
            montant_par_poste_centimes,
            duree_mois,
            tranches: vec![Tranche {
                rang: 1,
                montant_centimes: montant_par_poste_centimes,
                mois_apres_debut: 0,
            }],
        }
    }
}

/// The first phase's tariffs (France Relance, 2021–2023): 50,000 € per post, paid at the start,
/// over 24 months for a public employer and 18 for a private one, whatever the territory.
pub fn baremes_premiere_phase() -> Vec<Bareme> {
    use CategorieEmployeur::{Prive, Public};
    vec![
        Bareme::versement_unique(Public, false, 5_000_000, 24),
        Bareme::versement_unique(Public, true, 5_000_000, 24),
        Bareme::versement_unique(Prive, false, 5_000_000, 18),
        Bareme::versement_unique(Prive, true, 5_000_000, 18),
    ]
}

/// The renewal's tariffs (from 2023, 36 months whatever the employer), one instalment a year:
/// public 17,500 + 12,500 + 12,500 €, plus 2,500 € the first year and 5,000 € the second in a
/// priority territory (50,000 € in all); private 20,000 + 14,000 + 10,000 €, with no bonus.
pub fn baremes_renouvellement() -> Vec<Bareme> {
    use CategorieEmployeur::{Prive, Public};
    let bareme = |categorie, territoire_prioritaire, euros: [i64; 3]| Bareme {
        categorie,
        territoire_prioritaire,
        montant_par_poste_centimes: euros.iter().sum::<i64>() * 100,
        duree_mois: 36,
        tranches: (0..3)
            .map(|annee| Tranche {
                rang: annee + 1,
                montant_centimes: euros[annee as usize] * 100,
                mois_apres_debut: annee * 12,
            })
            .collect(),
    };
    vec![
        bareme(Public, false, [17_500, 12_500, 12_500]),
        bareme(Public, true, [20_000, 17_500, 12_500]),
        bareme(Prive, false, [20_000, 14_000, 10_000]),
        bareme(Prive, true, [20_000, 14_000, 10_000]),
    ]
}

/// The tariff of an employer's pair, if the envelope has one.
pub fn bareme_pour(
    baremes: &[Bareme],
    categorie: CategorieEmployeur,
    territoire_prioritaire: bool,
) -> Option<&Bareme> {
    baremes
        .iter()
        .find(|b| b.categorie == categorie && b.territoire_prioritaire == territoire_prioritaire)
}

/// The tariff of an employer of a convention, if the envelope has one for its pair.
pub fn bareme_de<'a>(baremes: &'a [Bareme], part: &PartEmployeur) -> Option<&'a Bareme> {
    bareme_pour(baremes, part.categorie, part.territoire_prioritaire)
}

closed_enum! {
    /// État d'une tranche de l'échéancier d'un employeur.
    EtatTranche, "état de tranche" {
        /// Versée : un versement non annulé la nomme.
        Versee = "versee",
        /// Échue : son échéance est passée et aucun versement ne la nomme.
        Echue = "echue",
        /// À venir : son échéance n'est pas passée.
        AVenir = "a_venir",
    }
}

/// One instalment of an employer's schedule: its rank, its amount for the employer's posts, its
/// due date, what payments naming it paid, and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Echeance {
    /// Rank in the tariff.
    pub rang: i64,
    /// The instalment per post × the employer's posts.
    pub montant_centimes: i64,
    /// Due on: the start of the funding plus the instalment's months.
    pub echeance: NaiveDate,
    /// Paid by the payments (not cancelled) that name it.
    pub verse_centimes: i64,
    /// Paid, due, or to come.
    pub etat: EtatTranche,
}

/// What one employer receives from one envelope for one convention: its posts there now, what
/// the tariff allows them (with tariffs), its commitments' sums, and its schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinancementEmployeur {
    /// The envelope.
    pub enveloppe_id: EnveloppeId,
    /// The convention.
    pub convention_id: ConventionId,
    /// Its posts in the convention now (0 when it no longer employs there).
    pub postes: i64,
    /// With tariffs: its posts × its tariff; `None` on an envelope without tariffs.
    pub maximum_centimes: Option<i64>,
    /// Engaged (live amounts, paid parts of annulled commitments).
    pub engage_centimes: i64,
    /// Paid (payments not cancelled).
    pub verse_centimes: i64,
    /// What its live commitments have left to pay.
    pub reste_a_verser_centimes: i64,
    /// Its commitments, oldest first.
    pub engagements: Vec<EngagementId>,
    /// Its tariff's instalments for its posts, due from its first commitment's date; empty
    /// without a tariff for its pair.
    pub tranches: Vec<Echeance>,
}

/// An employer's schedule under `bareme` for `postes` posts, funded from `debut`: each instalment
/// with its amount and due date, paid when a payment (`versements`: rank named and amount, not
/// cancelled) names it, else due once its date is reached (`today` included), else to come.
pub fn echeancier(
    bareme: &Bareme,
    postes: i64,
    debut: NaiveDate,
    versements: &[(i64, i64)],
    today: NaiveDate,
) -> Vec<Echeance> {
    bareme
        .tranches
        .iter()
        .map(|tranche| {
            let echeance = add_months(debut, u32::try_from(tranche.mois_apres_debut).unwrap_or(0))
                .unwrap_or(debut);
            let nommee: Vec<i64> = versements
                .iter()
                .filter(|(rang, _)| *rang == tranche.rang)
                .map(|(_, montant)| *montant)
                .collect();
            let etat = if !nommee.is_empty() {
                EtatTranche::Versee
            } else if echeance <= today {
                EtatTranche::Echue
            } else {
                EtatTranche::AVenir
            };
            Echeance {
                rang: tranche.rang,
                montant_centimes: tranche.montant_centimes.saturating_mul(postes),
                echeance,
                verse_centimes: nommee.iter().sum(),
                etat,
            }
        })
        .collect()
}

/// The instalment of rank `rang` of an employer's tariff, for a payment that names it: its
/// amount for `postes` posts. 422 at `/tranche` when the employer has no tariff on the envelope
/// or the tariff no such rank.
pub fn montant_tranche(bareme: Option<&Bareme>, postes: i64, rang: i64) -> Result<i64, Refusal> {
    let invalid = |detail: String| {
        Refusal::new(&VALIDATION, detail.clone())
            .with_error(FieldError::pointer("/tranche", detail))
    };
    let bareme = bareme.ok_or_else(|| {
        invalid(
            "L'enveloppe n'a pas de barème pour le bénéficiaire de cet engagement : aucune tranche à nommer."
                .to_owned(),
        )
    })?;
    let tranche = bareme
        .tranches
        .iter()
        .find(|t| t.rang == rang)
        .ok_or_else(|| {
            invalid(format!(
                "Le barème du bénéficiaire a {} tranche(s) : la tranche {rang} n'existe pas.",
                bareme.tranches.len()
            ))
        })?;
    Ok(tranche.montant_centimes.saturating_mul(postes))
}

/// A list of tariffs is coherent: each pair at most once, amounts and durations in range, and
/// each schedule ranked 1..n, within the duration, in time order and adding up to the amount.
/// Every fault is reported at its JSON Pointer in the body (422 `validation`), the list being at
/// `prefix` (`""`: the body is the list).
pub fn check_baremes(prefix: &str, baremes: &[Bareme]) -> Result<(), Refusal> {
    let mut errors = Vec::new();
    for (index, bareme) in baremes.iter().enumerate() {
        let at = |field: &str| format!("{prefix}/{index}{field}");
        if baremes[..index].iter().any(|earlier| {
            (earlier.categorie, earlier.territoire_prioritaire)
                == (bareme.categorie, bareme.territoire_prioritaire)
        }) {
            errors.push(FieldError::pointer(
                at(""),
                format!(
                    "Deux barèmes pour les employeurs {} {} territoire prioritaire.",
                    bareme.categorie,
                    if bareme.territoire_prioritaire {
                        "en"
                    } else {
                        "hors"
                    }
                ),
            ));
        }
        if !(1..=MONTANT_MAX_CENTIMES).contains(&bareme.montant_par_poste_centimes) {
            errors.push(FieldError::pointer(
                at("/montant_par_poste_centimes"),
                "de 1 à 10^15 centimes",
            ));
        }
        if !(1..=DUREE_MAX_MOIS).contains(&bareme.duree_mois) {
            errors.push(FieldError::pointer(at("/duree_mois"), "de 1 à 120 mois"));
        }
        if bareme.tranches.is_empty() || bareme.tranches.len() > TRANCHES_MAX {
            errors.push(FieldError::pointer(at("/tranches"), "de 1 à 36 tranches"));
            continue;
        }
        let mut somme: Option<i64> = Some(0);
        for (rank, tranche) in bareme.tranches.iter().enumerate() {
            let at = |field: &str| format!("{prefix}/{index}/tranches/{rank}{field}");
            let expected = rank as i64 + 1;
            if tranche.rang != expected {
                errors.push(FieldError::pointer(
                    at("/rang"),
                    format!(
                        "rang {} attendu (les rangs vont de 1 à n, dans l'ordre)",
                        expected
                    ),
                ));
            }
            if !(1..=MONTANT_MAX_CENTIMES).contains(&tranche.montant_centimes) {
                errors.push(FieldError::pointer(
                    at("/montant_centimes"),
                    "de 1 à 10^15 centimes",
                ));
            }
            if !(0..bareme.duree_mois.max(1)).contains(&tranche.mois_apres_debut) {
                errors.push(FieldError::pointer(
                    at("/mois_apres_debut"),
                    format!(
                        "de 0 à {} : la tranche tombe dans les {} mois du financement",
                        bareme.duree_mois.max(1) - 1,
                        bareme.duree_mois
                    ),
                ));
            } else if rank > 0
                && tranche.mois_apres_debut < bareme.tranches[rank - 1].mois_apres_debut
            {
                errors.push(FieldError::pointer(
                    at("/mois_apres_debut"),
                    "jamais avant la tranche précédente",
                ));
            }
            somme = somme.and_then(|s| s.checked_add(tranche.montant_centimes));
        }
        if somme != Some(bareme.montant_par_poste_centimes) {
            errors.push(FieldError::pointer(
                at("/tranches"),
                match somme {
                    Some(somme) => format!(
                        "Les tranches font {} ; le montant par poste est de {}.",
                        euros(somme),
                        euros(bareme.montant_par_poste_centimes)
                    ),
                    None => "La somme des tranches dépasse tout montant accepté.".to_owned(),
                },
            ));
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    Err(Refusal::invalid_fields("Barèmes invalides", errors))
}

/// One employer of a convention, as its funding sees it: its posts and its tariff's pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartEmployeur {
    /// The employer.
    pub structure_id: StructureId,
    /// Its posts in the convention.
    pub postes: i64,
    /// Its category.
    pub categorie: CategorieEmployeur,
    /// Whether it is in a priority territory.
    pub territoire_prioritaire: bool,
}

/// What an envelope's tariffs allow a convention to receive: each employer's posts × the tariff
/// of its pair (nothing for an employer whose pair has no tariff). Saturating: far beyond any
/// envelope, so an absurd product is still refused by the envelope's amount.
pub fn financement_maximal(baremes: &[Bareme], parts: &[PartEmployeur]) -> i64 {
    parts
        .iter()
        .filter_map(|part| {
            bareme_pour(baremes, part.categorie, part.territoire_prioritaire)
                .map(|b| part.postes.saturating_mul(b.montant_par_poste_centimes))
        })
        .fold(0, i64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CategorieEmployeur::{Prive, Public};

    const EURO: i64 = 100;

    fn tranche(rang: i64, euros: i64, mois: i64) -> Tranche {
        Tranche {
            rang,
            montant_centimes: euros * 100,
            mois_apres_debut: mois,
        }
    }

    /// The renewal phase's public tariff: 17,500 + 12,500 + 12,500 € over 36 months.
    fn renouvellement_public() -> Bareme {
        Bareme {
            categorie: Public,
            territoire_prioritaire: false,
            montant_par_poste_centimes: 42_500 * EURO,
            duree_mois: 36,
            tranches: vec![
                tranche(1, 17_500, 0),
                tranche(2, 12_500, 12),
                tranche(3, 12_500, 24),
            ],
        }
    }

    fn pointers(refusal: Refusal) -> Vec<String> {
        refusal
            .errors
            .into_iter()
            .filter_map(|e| e.pointer)
            .collect()
    }

    #[test]
    fn the_renewal_tariffs_are_coherent() {
        let prive = Bareme {
            categorie: Prive,
            montant_par_poste_centimes: 44_000 * EURO,
            tranches: vec![
                tranche(1, 20_000, 0),
                tranche(2, 14_000, 12),
                tranche(3, 10_000, 24),
            ],
            ..renouvellement_public()
        };
        assert!(check_baremes("", &[renouvellement_public(), prive]).is_ok());
        assert!(check_baremes("", &[]).is_ok());
        assert!(
            check_baremes(
                "",
                &[Bareme::versement_unique(Public, true, 50_000 * EURO, 24)]
            )
            .is_ok()
        );
    }

    #[test]
    fn the_programmes_tariffs_are_coherent_and_as_published() {
        assert!(check_baremes("", &baremes_premiere_phase()).is_ok());
        assert!(check_baremes("", &baremes_renouvellement()).is_ok());
        let renouvellement = baremes_renouvellement();
        let montant = |categorie, prioritaire| {
            bareme_pour(&renouvellement, categorie, prioritaire)
                .map(|b| b.montant_par_poste_centimes)
        };
        assert_eq!(montant(Public, false), Some(42_500 * EURO));
        assert_eq!(montant(Public, true), Some(50_000 * EURO));
        assert_eq!(montant(Prive, false), Some(44_000 * EURO));
        assert_eq!(renouvellement[0], renouvellement_public());
        let premiere = baremes_premiere_phase();
        assert_eq!(
            bareme_pour(&premiere, Prive, true).map(|b| b.duree_mois),
            Some(18)
        );
        assert_eq!(
            bareme_pour(&premiere, Public, true).map(|b| b.duree_mois),
            Some(24)
        );
    }

    #[test]
    fn a_pair_twice_is_refused_at_the_second() {
        let refusal = check_baremes(
            "",
            &[
                renouvellement_public(),
                Bareme::versement_unique(Prive, false, 1, 1),
                renouvellement_public(),
            ],
        )
        .unwrap_err();
        assert_eq!(refusal.code.code, "validation");
        assert_eq!(pointers(refusal), vec!["/2"]);
    }

    #[test]
    fn instalments_add_up_to_the_amount_per_post() {
        let mut short = renouvellement_public();
        short.tranches[2].montant_centimes -= 1;
        let refusal = check_baremes("", &[short]).unwrap_err();
        assert_eq!(pointers(refusal), vec!["/0/tranches"]);
        let mut overflowing = renouvellement_public();
        overflowing.tranches[0].montant_centimes = i64::MAX;
        overflowing.tranches[1].montant_centimes = i64::MAX;
        let errors = pointers(check_baremes("", &[overflowing]).unwrap_err());
        assert!(errors.contains(&"/0/tranches".to_owned()), "{errors:?}");
    }

    #[test]
    fn ranks_run_from_one_without_gaps() {
        let mut gap = renouvellement_public();
        gap.tranches[2].rang = 4;
        assert_eq!(
            pointers(check_baremes("", &[gap]).unwrap_err()),
            vec!["/0/tranches/2/rang"]
        );
        let mut none = renouvellement_public();
        none.tranches.clear();
        assert_eq!(
            pointers(check_baremes("", &[none]).unwrap_err()),
            vec!["/0/tranches"]
        );
    }

    #[test]
    fn instalments_fall_within_the_duration_in_time_order() {
        let mut late = renouvellement_public();
        late.tranches[2].mois_apres_debut = 36;
        assert_eq!(
            pointers(check_baremes("", &[late]).unwrap_err()),
            vec!["/0/tranches/2/mois_apres_debut"]
        );
        let mut backwards = renouvellement_public();
        backwards.tranches[2].mois_apres_debut = 6;
        assert_eq!(
            pointers(check_baremes("", &[backwards]).unwrap_err()),
            vec!["/0/tranches/2/mois_apres_debut"]
        );
        let mut long = renouvellement_public();
        long.duree_mois = 121;
        assert_eq!(
            pointers(check_baremes("", &[long]).unwrap_err()),
            vec!["/0/duree_mois"]
        );
    }

    #[test]
    fn a_convention_receives_each_employers_posts_times_its_tariff() {
        let prioritaire = Bareme::versement_unique(Public, true, 47_500 * EURO, 36);
        let baremes = [renouvellement_public(), prioritaire];
        let part = |postes, categorie, prioritaire| PartEmployeur {
            structure_id: StructureId::new(),
            postes,
            categorie,
            territoire_prioritaire: prioritaire,
        };
        let parts = [
            part(3, Public, false),
            part(2, Public, true),
            // No tariff for private employers: nothing from this envelope.
            part(5, Prive, false),
        ];
        assert_eq!(
            financement_maximal(&baremes, &parts),
            3 * 42_500 * EURO + 2 * 47_500 * EURO
        );
        assert_eq!(financement_maximal(&[], &parts), 0);
        assert_eq!(
            financement_maximal(&baremes, &[part(i64::MAX, Public, false)]),
            i64::MAX
        );
    }

    #[test]
    fn a_schedule_dates_each_instalment_and_says_its_state() {
        let renouvellement = baremes_renouvellement();
        let prive = bareme_pour(&renouvellement, Prive, false).unwrap();
        let debut: NaiveDate = "2023-01-31".parse().unwrap();
        let today: NaiveDate = "2024-01-31".parse().unwrap();
        let schedule = echeancier(prive, 2, debut, &[(1, 4_000_000)], today);
        let view: Vec<(i64, i64, String, i64, EtatTranche)> = schedule
            .into_iter()
            .map(|e| {
                (
                    e.rang,
                    e.montant_centimes,
                    e.echeance.to_string(),
                    e.verse_centimes,
                    e.etat,
                )
            })
            .collect();
        assert_eq!(
            view,
            [
                (
                    1,
                    4_000_000,
                    "2023-01-31".into(),
                    4_000_000,
                    EtatTranche::Versee
                ),
                // Due on the day itself: due.
                (2, 2_800_000, "2024-01-31".into(), 0, EtatTranche::Echue),
                (3, 2_000_000, "2025-01-31".into(), 0, EtatTranche::AVenir),
            ]
        );
    }

    #[test]
    fn a_payment_names_an_instalment_of_its_beneficiarys_tariff() {
        let renouvellement = baremes_renouvellement();
        let public = bareme_pour(&renouvellement, Public, true);
        assert_eq!(montant_tranche(public, 3, 2), Ok(3 * 1_750_000));
        for (bareme, rang) in [(public, 4), (public, 0), (None, 1)] {
            let refusal = montant_tranche(bareme, 3, rang).unwrap_err();
            assert_eq!(refusal.code_at(), ("validation", Some("/tranche")));
        }
    }
}

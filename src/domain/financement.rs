//! Funding: envelopes of money, their ceilings per département, the commitments (engagements)
//! made from them to conventions, and the payments (versements) made against commitments.
//!
//! Money is integer euro cents (`i64`). What is *engaged* is the amounts of live commitments plus
//! the paid parts of annulled ones ([`part_engagee`]). The rules are plain functions over the sums
//! that the storage layer reads under the envelope's lock: an envelope is never over-committed,
//! nor a département beyond its ceiling, nor a convention beyond what the envelope's tariffs
//! allow its employers ([`super::bareme`]);
//! a commitment is never paid beyond its amount. Sums are checked, never wrapped: an addition that
//! would overflow counts as exceeding any limit.

use chrono::NaiveDate;

use super::calendar::effective_date;
use super::codes::CodeDepartement;
use super::convention::StatutConvention;
use super::ids::{ConventionId, EngagementId, EnveloppeId, StructureId, VersementId};
use super::lifecycle::Lifecycle;
use super::refusal::{FieldError, Refusal, RefusalCode, RefusalKind, VALIDATION};
use super::split::largest_remainders;
use crate::closed_enum;

/// The largest amount of any money field: 10^15 cents (10,000 billion euros). Any sum of amounts
/// the rules allow stays far below `i64::MAX`.
pub const MONTANT_MAX_CENTIMES: i64 = 1_000_000_000_000_000;

closed_enum! {
    /// Ce que finance une enveloppe.
    NatureEnveloppe, "nature d'enveloppe" {
        /// Des postes de conseillers numériques.
        PostesConseillers = "postes_conseillers",
        /// Du matériel.
        Materiel = "materiel",
        /// De la connectivité.
        Connexion = "connexion",
        /// De la formation.
        Formation = "formation",
        /// Plusieurs de ces objets.
        Mixte = "mixte",
    }
}

closed_enum! {
    /// Statut d'un engagement : `actif`, ou `annule` (statut final ; ce qui était versé reste
    /// engagé).
    StatutEngagement, "statut d'engagement" {
        /// En cours : son montant compte dans l'engagé.
        Actif = "actif",
        /// Annulé : seule sa part versée compte encore dans l'engagé.
        Annule = "annule",
    }
}

closed_enum! {
    /// Action sur un engagement.
    ActionEngagement, "action sur un engagement" {
        /// Verser une partie du montant (`POST …/versements`).
        Versement = "versement",
        /// Annuler ce qui n'est pas versé (`POST …/annulation`).
        Annulation = "annulation",
    }
}

impl Lifecycle for StatutEngagement {
    type Action = ActionEngagement;

    fn after(self, action: ActionEngagement) -> Option<StatutEngagement> {
        match (self, action) {
            // A payment keeps it live; an annulment ends it.
            (StatutEngagement::Actif, ActionEngagement::Versement) => Some(StatutEngagement::Actif),
            (StatutEngagement::Actif, ActionEngagement::Annulation) => {
                Some(StatutEngagement::Annule)
            }
            (StatutEngagement::Annule, _) => None,
        }
    }
}

closed_enum! {
    /// Statut d'un versement : `effectue`, ou `annule` (statut final).
    StatutVersement, "statut de versement" {
        /// Effectué : il compte dans le versé.
        Effectue = "effectue",
        /// Annulé : il ne compte plus.
        Annule = "annule",
    }
}

closed_enum! {
    /// Action sur un versement.
    ActionVersement, "action sur un versement" {
        /// Annuler le versement (`POST /versements/{id}/annulation`).
        Annulation = "annulation",
    }
}

impl Lifecycle for StatutVersement {
    type Action = ActionVersement;

    fn after(self, action: ActionVersement) -> Option<StatutVersement> {
        match (self, action) {
            (StatutVersement::Effectue, ActionVersement::Annulation) => {
                Some(StatutVersement::Annule)
            }
            (StatutVersement::Annule, _) => None,
        }
    }
}

/// An envelope as stored, with its running sums (kept under its lock by every money movement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enveloppe {
    /// Its identifier.
    pub id: EnveloppeId,
    /// Its label.
    pub libelle: String,
    /// Who funds it ("DGCL — Plan de relance").
    pub financeur: String,
    /// The budget programme ("364"), if known.
    pub programme_budgetaire: Option<String>,
    /// What it funds.
    pub nature: NatureEnveloppe,
    /// Its amount.
    pub montant_centimes: i64,
    /// First day commitments may bear.
    pub date_debut: NaiveDate,
    /// Last day commitments may bear.
    pub date_fin: NaiveDate,
    /// The single département it serves, if departmental.
    pub perimetre_departement: Option<CodeDepartement>,
    /// The posts it aims to fund.
    pub objectif_postes: Option<i64>,
    /// Engaged: live commitments plus the paid parts of annulled ones.
    pub engage_centimes: i64,
    /// Paid (payments not cancelled).
    pub verse_centimes: i64,
    /// Row version (its `ETag`).
    pub version: i64,
    /// Created at (RFC 3339 UTC).
    pub cree_le: String,
    /// Last changed at (RFC 3339 UTC).
    pub modifie_le: String,
}

impl Enveloppe {
    /// What can still be committed.
    pub fn disponible_centimes(&self) -> i64 {
        disponible(self.montant_centimes, self.engage_centimes)
    }
}

/// The money of one département in an envelope: what is engaged there, and its ceiling if set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldeDepartement {
    /// The département.
    pub departement: CodeDepartement,
    /// Its ceiling, if one is set.
    pub plafond_centimes: Option<i64>,
    /// Engaged in it.
    pub engage_centimes: i64,
    /// Paid in it.
    pub verse_centimes: i64,
}

/// A commitment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engagement {
    /// Its identifier.
    pub id: EngagementId,
    /// The envelope it draws on.
    pub enveloppe_id: EnveloppeId,
    /// The convention it funds.
    pub convention_id: ConventionId,
    /// The convention's département.
    pub departement: CodeDepartement,
    /// The employer of the convention it goes to.
    pub beneficiaire_id: StructureId,
    /// Its amount.
    pub montant_centimes: i64,
    /// Paid so far (payments not cancelled).
    pub verse_centimes: i64,
    /// Its date.
    pub date_engagement: NaiveDate,
    /// What it is for.
    pub objet: String,
    /// Live or annulled.
    pub statut: StatutEngagement,
    /// Annulled on.
    pub date_annulation: Option<NaiveDate>,
    /// Why it was annulled.
    pub motif_annulation: Option<String>,
    /// Row version (its `ETag`).
    pub version: i64,
    /// Created at (RFC 3339 UTC).
    pub cree_le: String,
    /// Last changed at (RFC 3339 UTC).
    pub modifie_le: String,
}

impl Engagement {
    /// What this commitment counts for in the engaged sums.
    pub fn engage_centimes(&self) -> i64 {
        part_engagee(self.statut, self.montant_centimes, self.verse_centimes)
    }

    /// What may still be paid on it (nothing once annulled).
    pub fn reste_a_verser_centimes(&self) -> i64 {
        match self.statut {
            StatutEngagement::Actif => disponible(self.montant_centimes, self.verse_centimes),
            StatutEngagement::Annule => 0,
        }
    }
}

/// A payment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versement {
    /// Its identifier.
    pub id: VersementId,
    /// The commitment it pays.
    pub engagement_id: EngagementId,
    /// Its amount.
    pub montant_centimes: i64,
    /// Paid on.
    pub date_versement: NaiveDate,
    /// The accounting reference (mandate, transfer).
    pub reference: String,
    /// The rank of the instalment of the beneficiary's tariff it pays, if it names one.
    pub tranche: Option<i64>,
    /// Made or cancelled.
    pub statut: StatutVersement,
    /// Cancelled on.
    pub date_annulation: Option<NaiveDate>,
    /// Why it was cancelled.
    pub motif_annulation: Option<String>,
    /// Created at (RFC 3339 UTC).
    pub cree_le: String,
}

/// What a commitment counts for in the engaged sums: its amount while live, its paid part once
/// annulled.
pub fn part_engagee(statut: StatutEngagement, montant: i64, verse: i64) -> i64 {
    match statut {
        StatutEngagement::Actif => montant,
        StatutEngagement::Annule => verse,
    }
}

/// What a money movement does to the sums kept beside the rows: the engaged and paid deltas, on
/// the envelope, its département and (for `verse_centimes`) the commitment. Every movement is
/// computed here, from [`part_engagee`], and the repository only applies it: no sum is adjusted
/// anywhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mouvement {
    /// Added to the engaged sums (negative: money freed).
    pub engage_centimes: i64,
    /// Added to the paid sums (negative: a cancelled payment).
    pub verse_centimes: i64,
}

impl Mouvement {
    /// A new live commitment of `montant`, nothing paid: its whole amount is engaged.
    pub fn engagement(montant: i64) -> Mouvement {
        Mouvement {
            engage_centimes: part_engagee(StatutEngagement::Actif, montant, 0),
            verse_centimes: 0,
        }
    }

    /// A live commitment annulled: its engaged part becomes what was paid.
    pub fn annulation(engagement: &Engagement) -> Mouvement {
        let (montant, verse) = (engagement.montant_centimes, engagement.verse_centimes);
        Mouvement {
            engage_centimes: part_engagee(StatutEngagement::Annule, montant, verse)
                - part_engagee(StatutEngagement::Actif, montant, verse),
            verse_centimes: 0,
        }
    }

    /// `montant` paid on a commitment (negative: a payment cancelled). On an annulled commitment
    /// the paid part is its engaged part, so the engaged sums follow.
    pub fn versement(engagement: &Engagement, montant: i64) -> Mouvement {
        let (statut, total, verse) = (
            engagement.statut,
            engagement.montant_centimes,
            engagement.verse_centimes,
        );
        Mouvement {
            engage_centimes: part_engagee(statut, total, verse + montant)
                - part_engagee(statut, total, verse),
            verse_centimes: montant,
        }
    }
}

/// What is left under `limit` once `used` is taken (never negative).
pub fn disponible(limit: i64, used: i64) -> i64 {
    limit.saturating_sub(used).max(0)
}

/// Whether adding `added` to `used` goes beyond `limit` (an overflowing sum does).
fn exceeds(used: i64, added: i64, limit: i64) -> bool {
    used.checked_add(added).is_none_or(|total| total > limit)
}

/// An amount in euros, the French way: `4 000 000,00 €`.
pub fn euros(centimes: i64) -> String {
    let sign = if centimes < 0 { "-" } else { "" };
    let magnitude = centimes.unsigned_abs();
    let units = (magnitude / 100).to_string();
    let mut grouped = String::with_capacity(units.len() + units.len() / 3);
    for (index, digit) in units.chars().enumerate() {
        if index > 0 && (units.len() - index) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped},{:02}\u{a0}€", magnitude % 100)
}

/// 409: a commitment beyond what the envelope has left.
pub const ENVELOPPE_INSUFFISANTE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "enveloppe_insuffisante",
    title: "Enveloppe insuffisante",
    example: "Il reste 100 000,00 € sur l'enveloppe ; 250 000,00 € demandés.",
};

/// 409: a commitment beyond what the département's ceiling has left.
pub const PLAFOND_DEPASSE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "plafond_depasse",
    title: "Plafond départemental dépassé",
    example: "Il reste 0,00 € sous le plafond du département 93 ; 250 000,00 € demandés.",
};

/// 409: a commitment beyond what the envelope's tariffs allow the convention's employers.
pub const CONVENTION_ENTIEREMENT_FINANCEE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "convention_entierement_financee",
    title: "Convention entièrement financée",
    example: "Les barèmes de l'enveloppe financent la convention au plus à hauteur de 4 000 000,00 € (80 postes) ; 4 000 000,00 € déjà engagés, il reste 0,00 € ; 50 000,00 € demandés.",
};

/// 409: a commitment beyond what the envelope's tariffs allow one employer of the convention
/// (its posts × the tariff of its pair).
pub const BENEFICIAIRE_ENTIEREMENT_FINANCE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "beneficiaire_entierement_finance",
    title: "Employeur entièrement financé",
    example: "Les barèmes de l'enveloppe financent cet employeur au plus à hauteur de 250 000,00 € (5 postes) ; 250 000,00 € déjà engagés, il reste 0,00 € ; 50 000,00 € demandés.",
};

/// 409: a payment naming an instalment its commitment has already received.
pub const TRANCHE_DEJA_VERSEE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "tranche_deja_versee",
    title: "Tranche déjà versée",
    example: "La tranche 1 de cet engagement a déjà été versée (versement 01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f96) : annuler ce versement d'abord.",
};

/// 409: a payment beyond what the commitment has left to pay.
pub const VERSEMENT_EXCESSIF: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "versement_excessif",
    title: "Versement excessif",
    example: "Il reste 50 000,00 € à verser sur cet engagement ; 60 000,00 € demandés.",
};

/// 409: a change of posts or of split that would leave the convention's commitments above what
/// the envelope's tariffs allow its employers.
pub const CONVENTION_SURFINANCEE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "convention_surfinancee",
    title: "Convention surfinancée",
    example: "Les barèmes de l'enveloppe financent désormais la convention à hauteur de 3 750 000,00 € (75 postes) ; 4 000 000,00 € sont engagés : annuler ou réduire un engagement d'abord.",
};

/// 409: the convention is not in a status that can receive money (signed and not ended).
pub const CONVENTION_NON_ENGAGEABLE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "convention_non_engageable",
    title: "Convention non engageable",
    example: "La convention est au statut « brouillon » : seule une convention signée et non terminée reçoit des engagements.",
};

/// 422: a convention, or a ceiling, outside a departmental envelope's département.
pub const HORS_PERIMETRE: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "hors_perimetre",
    title: "Hors du périmètre de l'enveloppe",
    example: "L'enveloppe est réservée au département 93 ; la convention est du 75.",
};

/// 422: a commitment dated outside its envelope's period.
pub const HORS_PERIODE: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "hors_periode",
    title: "Hors de la période de l'enveloppe",
    example: "date_engagement (2020-12-01) est hors de la période de l'enveloppe (2021-01-01 — 2022-12-31).",
};

/// 409: an envelope's amount set below what is engaged or below the sum of its ceilings.
pub const MONTANT_INSUFFISANT: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "montant_insuffisant",
    title: "Montant insuffisant",
    example: "Le montant ne peut descendre sous 4 000 000,00 € (engagé : 4 000 000,00 € ; plafonds : 4 000 000,00 €).",
};

/// 409: ceilings whose sum would exceed the envelope's amount.
pub const PLAFONDS_EXCEDENTAIRES: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "plafonds_excedentaires",
    title: "Plafonds supérieurs au montant",
    example: "Les autres plafonds laissent 1 000 000,00 € sur l'enveloppe ; 4 000 000,00 € demandés.",
};

/// 409: a ceiling set below what is already engaged in its département.
pub const PLAFOND_INSUFFISANT: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "plafond_insuffisant",
    title: "Plafond inférieur à l'engagé",
    example: "4 000 000,00 € sont déjà engagés dans le département 93 : le plafond ne peut descendre en dessous.",
};

/// 409: a change of an envelope's period that would leave commitments outside it.
pub const PERIODE_INCOMPATIBLE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "periode_incompatible",
    title: "Période incompatible avec les engagements",
    example: "Des engagements sont datés du 2021-03-01 au 2022-06-30 : la période doit les couvrir.",
};

/// The limits a new commitment is checked against, read under the envelope's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Soldes {
    /// The envelope's amount.
    pub montant_centimes: i64,
    /// Engaged on the envelope.
    pub engage_centimes: i64,
    /// The convention's département's ceiling and what is engaged there (`None`: no ceiling).
    pub plafond: Option<PlafondDepartement>,
    /// With tariffs: what they allow the convention, and what it already has engaged on the
    /// envelope.
    pub par_poste: Option<FinancementConvention>,
    /// With tariffs: what they allow the commitment's beneficiary, and what it already has
    /// engaged on the envelope for this convention.
    pub beneficiaire: Option<FinancementBeneficiaire>,
}

/// A département's ceiling on an envelope, and what is engaged there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlafondDepartement {
    /// The département.
    pub departement: CodeDepartement,
    /// Its ceiling.
    pub plafond_centimes: i64,
    /// Engaged there on the envelope.
    pub engage_centimes: i64,
}

/// The balances a movement leaves, read in its transaction after it (under the envelope's lock):
/// what a simulation answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldesApres {
    /// The envelope.
    pub enveloppe: Enveloppe,
    /// The convention's département on it (its ceiling, if any, and its sums).
    pub departement: SoldeDepartement,
    /// With tariffs: what they allow the convention, and what it has engaged on the envelope.
    pub convention: Option<FinancementConvention>,
    /// With tariffs: what they allow the commitment's beneficiary, and what it has engaged on the
    /// envelope for this convention.
    pub beneficiaire: Option<FinancementBeneficiaire>,
}

/// What bounds one convention's funding on an envelope with tariffs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinancementConvention {
    /// Posts granted.
    pub postes: i64,
    /// What the tariffs allow: each employer's posts × its tariff
    /// ([`super::bareme::financement_maximal`]).
    pub maximum_centimes: i64,
    /// Engaged for this convention on the envelope.
    pub engage_centimes: i64,
}

/// What bounds one employer's funding, for one convention, on an envelope with tariffs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinancementBeneficiaire {
    /// The employer.
    pub structure_id: StructureId,
    /// Its posts in the convention, what its tariff allows them
    /// ([`super::bareme::financement_maximal`] of its part alone), and what it has engaged.
    pub financement: FinancementConvention,
}

fn money_refusal(
    code: &'static RefusalCode,
    detail: String,
    disponible: i64,
    demande: i64,
) -> Refusal {
    Refusal::new(code, detail)
        .with_member("disponible_centimes", disponible)
        .with_member("demande_centimes", demande)
}

/// A new commitment of `montant` fits: its beneficiary's funding first (the most specific
/// limit), then the convention's, then the département's ceiling, then the envelope. Each refusal carries what is available
/// (`disponible_centimes`) and what was asked (`demande_centimes`).
pub fn check_engagement(montant: i64, soldes: &Soldes) -> Result<(), Refusal> {
    if let Some(FinancementBeneficiaire {
        structure_id,
        financement,
    }) = &soldes.beneficiaire
    {
        let maximum = financement.maximum_centimes;
        if exceeds(financement.engage_centimes, montant, maximum) {
            let left = disponible(maximum, financement.engage_centimes);
            return Err(money_refusal(
                &BENEFICIAIRE_ENTIEREMENT_FINANCE,
                format!(
                    "Les barèmes de l'enveloppe financent cet employeur au plus à hauteur de {} ({} postes) ; {} déjà engagés, il reste {} ; {} demandés.",
                    euros(maximum),
                    financement.postes,
                    euros(financement.engage_centimes),
                    euros(left),
                    euros(montant)
                ),
                left,
                montant,
            )
            .with_member("beneficiaire_id", structure_id.as_str()));
        }
    }
    if let Some(convention) = &soldes.par_poste {
        let maximum = convention.maximum_centimes;
        if exceeds(convention.engage_centimes, montant, maximum) {
            let left = disponible(maximum, convention.engage_centimes);
            return Err(money_refusal(
                &CONVENTION_ENTIEREMENT_FINANCEE,
                format!(
                    "Les barèmes de l'enveloppe financent la convention au plus à hauteur de {} ({} postes) ; {} déjà engagés, il reste {} ; {} demandés.",
                    euros(maximum),
                    convention.postes,
                    euros(convention.engage_centimes),
                    euros(left),
                    euros(montant)
                ),
                left,
                montant,
            ));
        }
    }
    if let Some(PlafondDepartement {
        departement,
        plafond_centimes: plafond,
        engage_centimes: engage,
    }) = &soldes.plafond
        && exceeds(*engage, montant, *plafond)
    {
        let left = disponible(*plafond, *engage);
        return Err(money_refusal(
            &PLAFOND_DEPASSE,
            format!(
                "Il reste {} sous le plafond du département {departement} ({}) ; {} demandés.",
                euros(left),
                euros(*plafond),
                euros(montant)
            ),
            left,
            montant,
        )
        .with_member("departement", departement.as_str()));
    }
    if exceeds(soldes.engage_centimes, montant, soldes.montant_centimes) {
        let left = disponible(soldes.montant_centimes, soldes.engage_centimes);
        return Err(money_refusal(
            &ENVELOPPE_INSUFFISANTE,
            format!(
                "Il reste {} sur l'enveloppe ({}) ; {} demandés.",
                euros(left),
                euros(soldes.montant_centimes),
                euros(montant)
            ),
            left,
            montant,
        ));
    }
    Ok(())
}

/// The amount of a new commitment: the one given, or what the envelope's tariffs allow the
/// convention (`maximum`: `None` when the envelope has no tariffs). 422 on `/montant_centimes`
/// when there is nothing to default to (no tariffs, or none for the convention's employers), or
/// when the default is beyond [`MONTANT_MAX_CENTIMES`].
pub fn montant_engagement(given: Option<i64>, maximum: Option<i64>) -> Result<i64, Refusal> {
    if let Some(montant) = given {
        return Ok(montant);
    }
    let invalid = |detail: &str| {
        Refusal::new(&VALIDATION, detail.to_owned())
            .with_error(FieldError::pointer("/montant_centimes", detail))
    };
    match maximum {
        None => Err(invalid(
            "montant_centimes est obligatoire : l'enveloppe n'a pas de barème.",
        )),
        Some(0) => Err(invalid(
            "montant_centimes est obligatoire : aucun barème de l'enveloppe ne couvre les employeurs de la convention.",
        )),
        Some(maximum) if maximum > MONTANT_MAX_CENTIMES => Err(invalid(
            "Les postes × les barèmes dépassent le plus grand montant accepté.",
        )),
        Some(maximum) => Ok(maximum),
    }
}

/// Only a signed convention that has not ended receives commitments.
pub fn check_convention_engageable(statut: StatutConvention) -> Result<(), Refusal> {
    match statut {
        StatutConvention::Signee
        | StatutConvention::ProjetDepose
        | StatutConvention::EnExecution => Ok(()),
        other => Err(Refusal::new(
            &CONVENTION_NON_ENGAGEABLE,
            format!(
                "La convention est au statut « {other} » : seule une convention signée et non terminée reçoit des engagements."
            ),
        )
        .with_member("statut_convention", other.as_str())),
    }
}

/// A departmental envelope serves only its département (`where_`: the faulty input, a pointer
/// or a parameter).
pub fn check_perimetre(
    perimetre: Option<&CodeDepartement>,
    departement: &CodeDepartement,
    where_: FieldError,
) -> Result<(), Refusal> {
    match perimetre {
        Some(only) if only != departement => {
            let detail = format!(
                "L'enveloppe est réservée au département {only} ; celui-ci est le {departement}."
            );
            Err(Refusal::new(&HORS_PERIMETRE, detail.clone())
                .with_error(FieldError { detail, ..where_ }))
        }
        _ => Ok(()),
    }
}

/// The date of a commitment: the one given or today; not in the future, not before the
/// convention's signature, and within the envelope's period.
pub fn date_engagement(
    given: Option<NaiveDate>,
    today: NaiveDate,
    date_signature: Option<NaiveDate>,
    periode: (NaiveDate, NaiveDate),
) -> Result<NaiveDate, Refusal> {
    let date = effective_date(
        "date_engagement",
        given,
        today,
        date_signature.map(|d| ("date_signature", d)),
    )?;
    let (debut, fin) = periode;
    if date < debut || date > fin {
        let detail = format!(
            "date_engagement ({date}) est hors de la période de l'enveloppe ({debut} — {fin})."
        );
        return Err(Refusal::new(&HORS_PERIODE, detail.clone())
            .with_error(FieldError::pointer("/date_engagement", detail)));
    }
    Ok(date)
}

/// A payment of `montant` on a live commitment fits what is left to pay.
pub fn check_versement(engagement: &Engagement, montant: i64) -> Result<(), Refusal> {
    if exceeds(
        engagement.verse_centimes,
        montant,
        engagement.montant_centimes,
    ) {
        let left = engagement.reste_a_verser_centimes();
        return Err(money_refusal(
            &VERSEMENT_EXCESSIF,
            format!(
                "Il reste {} à verser sur cet engagement ({} engagés, {} versés) ; {} demandés.",
                euros(left),
                euros(engagement.montant_centimes),
                euros(engagement.verse_centimes),
                euros(montant)
            ),
            left,
            montant,
        ));
    }
    Ok(())
}

/// An envelope's new amount covers what is engaged and the sum of its ceilings.
pub fn check_montant_enveloppe(
    montant: i64,
    engage: i64,
    somme_plafonds: i64,
) -> Result<(), Refusal> {
    let minimum = engage.max(somme_plafonds);
    if montant < minimum {
        let detail = format!(
            "Le montant ne peut descendre sous {} (engagé : {} ; plafonds : {}).",
            euros(minimum),
            euros(engage),
            euros(somme_plafonds)
        );
        return Err(Refusal::new(&MONTANT_INSUFFISANT, detail.clone())
            .with_error(FieldError::pointer("/montant_centimes", detail))
            .with_member("minimum_centimes", minimum)
            .with_member("engage_centimes", engage)
            .with_member("plafonds_centimes", somme_plafonds));
    }
    Ok(())
}

/// A ceiling of `plafond` for `departement`: with the other ceilings, within the envelope's
/// amount; not below what is engaged in the département.
pub fn check_plafond(
    departement: &CodeDepartement,
    plafond: i64,
    montant_enveloppe: i64,
    autres_plafonds: i64,
    engage_departement: i64,
) -> Result<(), Refusal> {
    if exceeds(autres_plafonds, plafond, montant_enveloppe) {
        let left = disponible(montant_enveloppe, autres_plafonds);
        return Err(money_refusal(
            &PLAFONDS_EXCEDENTAIRES,
            format!(
                "Les autres plafonds ({}) laissent {} sur l'enveloppe ({}) ; {} demandés.",
                euros(autres_plafonds),
                euros(left),
                euros(montant_enveloppe),
                euros(plafond)
            ),
            left,
            plafond,
        ));
    }
    if plafond < engage_departement {
        return Err(Refusal::new(
            &PLAFOND_INSUFFISANT,
            format!(
                "{} sont déjà engagés dans le département {departement} : le plafond ne peut descendre en dessous ({} demandés).",
                euros(engage_departement),
                euros(plafond)
            ),
        )
        .with_member("engage_centimes", engage_departement)
        .with_member("demande_centimes", plafond));
    }
    Ok(())
}

/// After a change of posts or of split (or of tariffs), a convention's commitments on an
/// envelope with tariffs stay within what the tariffs allow its employers now: the convention's
/// as a whole, and each beneficiary's (`beneficiaire`: whose funding this is; `None`: the
/// convention's).
pub fn check_financement_apres_retrait(
    financement: &FinancementConvention,
    beneficiaire: Option<&StructureId>,
) -> Result<(), Refusal> {
    let maximum = financement.maximum_centimes;
    if financement.engage_centimes > maximum {
        let qui = if beneficiaire.is_some() {
            "cet employeur de la convention"
        } else {
            "la convention"
        };
        let refusal = Refusal::new(
            &CONVENTION_SURFINANCEE,
            format!(
                "Les barèmes de l'enveloppe financent désormais {qui} à hauteur de {} ({} postes) ; {} sont engagés : annuler ou réduire un engagement d'abord.",
                euros(maximum),
                financement.postes,
                euros(financement.engage_centimes)
            ),
        )
        .with_member("disponible_centimes", 0)
        .with_member("excedent_centimes", financement.engage_centimes - maximum)
        .with_member("engage_centimes", financement.engage_centimes)
        .with_member("maximum_centimes", maximum);
        return Err(match beneficiaire {
            Some(id) => refusal.with_member("beneficiaire_id", id.as_str()),
            None => refusal,
        });
    }
    Ok(())
}

/// The beneficiary of a new commitment among the convention's employers (`parts`: each with its
/// posts, [`super::convention::Convention::parts_employeurs`]): the one named, which must be one
/// of them; when none is named, the only one (422 at `/beneficiaire_id` otherwise).
pub fn choisir_beneficiaire<'a>(
    parts: &[(&'a StructureId, i64)],
    given: Option<&StructureId>,
) -> Result<(&'a StructureId, i64), Refusal> {
    let invalid = |detail: String| {
        Refusal::new(&VALIDATION, detail.clone())
            .with_error(FieldError::pointer("/beneficiaire_id", detail))
    };
    match given {
        Some(id) => parts
            .iter()
            .find(|(employeur, _)| *employeur == id)
            .copied()
            .ok_or_else(|| {
                invalid(format!(
                    "La structure {id} n'est pas un employeur de la convention (ses employeurs : {}).",
                    liste_ids(parts)
                ))
            }),
        None => match parts {
            [seul] => Ok(*seul),
            _ => Err(invalid(format!(
                "beneficiaire_id est obligatoire : la convention a {} employeurs ({}).",
                parts.len(),
                liste_ids(parts)
            ))),
        },
    }
}

fn liste_ids(parts: &[(&StructureId, i64)]) -> String {
    parts
        .iter()
        .map(|(id, _)| id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stored payment of a commitment being split among employers (see [`repartir_engagement`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersementARepartir {
    /// Its amount.
    pub montant_centimes: i64,
    /// Made (`true`) or cancelled: only a payment made counts in what is paid.
    pub effectue: bool,
}

/// A commitment split among employers: per employer (in the order of the posts given) its amount
/// and paid part, and per payment (in the order given) its part for each employer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngagementReparti {
    /// Each employer's amount.
    pub montants: Vec<i64>,
    /// What was paid to each (its payments made).
    pub verses: Vec<i64>,
    /// Each payment's part for each employer.
    pub versements: Vec<Vec<i64>>,
}

/// Splits a convention-level commitment of `montant` among its employers (`postes`: each one's
/// posts), by largest remainders of their posts, and its payments (`versements`, in date order)
/// one after the other by largest remainders of **what is still to pay to each**; a cancelled
/// payment by their amounts. Splitting each payment by posts instead could pay an employer one
/// cent beyond its amount (a rounding that favours it several times); by what is left, no share
/// ever exceeds it. Every sum is kept to the cent: the amounts add up to `montant`, each
/// payment's parts to the payment, and so the paid parts to what was paid.
pub fn repartir_engagement(
    montant: i64,
    postes: &[i64],
    versements: &[VersementARepartir],
) -> EngagementReparti {
    let montants = largest_remainders(montant, postes);
    let mut verses = vec![0; montants.len()];
    let versements = versements
        .iter()
        .map(|versement| {
            if !versement.effectue {
                return largest_remainders(versement.montant_centimes, &montants);
            }
            let restes: Vec<i64> = montants
                .iter()
                .zip(&verses)
                .map(|(montant, verse)| montant - verse)
                .collect();
            let parts = largest_remainders(versement.montant_centimes, &restes);
            for (verse, part) in verses.iter_mut().zip(&parts) {
                *verse += part;
            }
            parts
        })
        .collect();
    EngagementReparti {
        montants,
        verses,
        versements,
    }
}

/// An envelope's period: its start is not after its end.
pub fn check_periode(debut: NaiveDate, fin: NaiveDate) -> Result<(), Refusal> {
    if debut > fin {
        let detail = format!("date_fin ({fin}) précède date_debut ({debut}).");
        return Err(Refusal::new(&VALIDATION, detail.clone())
            .with_error(FieldError::pointer("/date_fin", detail)));
    }
    Ok(())
}

/// A new period still covers the dates of the envelope's commitments (`dates`: the earliest and
/// the latest, if any).
pub fn check_periode_couvre(
    debut: NaiveDate,
    fin: NaiveDate,
    dates: Option<(NaiveDate, NaiveDate)>,
) -> Result<(), Refusal> {
    check_periode(debut, fin)?;
    match dates {
        Some((first, last)) if first < debut || last > fin => Err(Refusal::new(
            &PERIODE_INCOMPATIBLE,
            format!(
                "Des engagements sont datés du {first} au {last} : la période ({debut} — {fin}) doit les couvrir."
            ),
        )
        .with_member("premier_engagement", first.to_string())
        .with_member("dernier_engagement", last.to_string())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{allowed_actions, apply};

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn dep(code: &str) -> CodeDepartement {
        CodeDepartement::parse(code).unwrap()
    }

    const EURO: i64 = 100;

    fn soldes() -> Soldes {
        Soldes {
            montant_centimes: 200_000_000 * EURO,
            engage_centimes: 0,
            plafond: Some(PlafondDepartement {
                departement: dep("93"),
                plafond_centimes: 4_000_000 * EURO,
                engage_centimes: 0,
            }),
            par_poste: Some(FinancementConvention {
                postes: 80,
                maximum_centimes: 80 * 50_000 * EURO,
                engage_centimes: 0,
            }),
            beneficiaire: None,
        }
    }

    #[test]
    fn euros_are_written_the_french_way() {
        assert_eq!(euros(400_000_000), "4\u{202f}000\u{202f}000,00\u{a0}€");
        assert_eq!(euros(1), "0,01\u{a0}€");
        assert_eq!(euros(-12_345), "-123,45\u{a0}€");
        assert_eq!(euros(100_000), "1\u{202f}000,00\u{a0}€");
    }

    #[test]
    fn engaged_counts_live_amounts_and_paid_parts_of_annulled_ones() {
        assert_eq!(part_engagee(StatutEngagement::Actif, 500, 200), 500);
        assert_eq!(part_engagee(StatutEngagement::Annule, 500, 200), 200);
    }

    #[test]
    fn a_commitment_up_to_every_limit_fits_and_one_cent_more_does_not() {
        let s = soldes();
        assert!(check_engagement(4_000_000 * EURO, &s).is_ok());
        let refusal = check_engagement(4_000_000 * EURO + 1, &s).unwrap_err();
        // The convention's funding is the most specific limit: it answers first.
        assert_eq!(refusal.code.code, "convention_entierement_financee");
        assert_eq!(refusal.members["disponible_centimes"], 4_000_000 * EURO);
        assert_eq!(refusal.members["demande_centimes"], 4_000_000 * EURO + 1);
    }

    #[test]
    fn each_limit_refuses_with_its_code_and_what_is_left() {
        let mut s = soldes();
        s.par_poste = None;
        s.plafond = Some(PlafondDepartement {
            departement: dep("93"),
            plafond_centimes: 1_000 * EURO,
            engage_centimes: 900 * EURO,
        });
        let refusal = check_engagement(101 * EURO, &s).unwrap_err();
        assert_eq!(refusal.code.code, "plafond_depasse");
        assert_eq!(refusal.members["disponible_centimes"], 100 * EURO);
        assert_eq!(refusal.members["departement"], "93");
        assert!(check_engagement(100 * EURO, &s).is_ok());

        s.plafond = None;
        s.engage_centimes = s.montant_centimes - 5;
        let refusal = check_engagement(6, &s).unwrap_err();
        assert_eq!(refusal.code.code, "enveloppe_insuffisante");
        assert_eq!(refusal.members["disponible_centimes"], 5);
        assert!(check_engagement(5, &s).is_ok());
    }

    #[test]
    fn sums_never_overflow() {
        let s = Soldes {
            montant_centimes: i64::MAX,
            engage_centimes: i64::MAX - 1,
            plafond: None,
            par_poste: None,
            beneficiaire: None,
        };
        assert_eq!(
            check_engagement(MONTANT_MAX_CENTIMES, &s)
                .unwrap_err()
                .code
                .code,
            "enveloppe_insuffisante"
        );
        let full = Soldes {
            par_poste: Some(FinancementConvention {
                postes: 1,
                maximum_centimes: i64::MAX,
                engage_centimes: i64::MAX,
            }),
            ..soldes()
        };
        assert_eq!(
            check_engagement(1, &full).unwrap_err().code.code,
            "convention_entierement_financee"
        );
        assert_eq!(disponible(i64::MIN, i64::MAX), 0);
    }

    #[test]
    fn the_default_amount_is_what_the_tariffs_allow() {
        assert_eq!(
            montant_engagement(None, Some(4_000_000 * EURO)),
            Ok(4_000_000 * EURO)
        );
        assert_eq!(montant_engagement(Some(7), None), Ok(7));
        assert_eq!(montant_engagement(Some(7), Some(0)), Ok(7));
        for maximum in [None, Some(0), Some(MONTANT_MAX_CENTIMES + 1)] {
            let refusal = montant_engagement(None, maximum).unwrap_err();
            assert_eq!(refusal.code_at(), ("validation", Some("/montant_centimes")));
        }
    }

    #[test]
    fn only_a_signed_convention_that_has_not_ended_is_funded() {
        for statut in [
            StatutConvention::Signee,
            StatutConvention::ProjetDepose,
            StatutConvention::EnExecution,
        ] {
            assert!(check_convention_engageable(statut).is_ok());
        }
        for statut in [
            StatutConvention::Brouillon,
            StatutConvention::Terminee,
            StatutConvention::Resiliee,
        ] {
            let refusal = check_convention_engageable(statut).unwrap_err();
            assert_eq!(refusal.code.code, "convention_non_engageable");
            assert_eq!(refusal.kind().status(), 409);
            assert_eq!(refusal.members["statut_convention"], statut.as_str());
        }
    }

    #[test]
    fn a_departmental_envelope_serves_only_its_departement() {
        let at = FieldError::pointer("/convention_id", "");
        assert!(check_perimetre(None, &dep("75"), at.clone()).is_ok());
        assert!(check_perimetre(Some(&dep("93")), &dep("93"), at.clone()).is_ok());
        let refusal = check_perimetre(Some(&dep("93")), &dep("75"), at).unwrap_err();
        assert_eq!(
            refusal.code_at(),
            ("hors_perimetre", Some("/convention_id"))
        );
        assert!(!refusal.errors[0].detail.is_empty());
    }

    #[test]
    fn a_commitment_date_is_past_after_signature_and_within_the_period() {
        let today = d("2021-06-01");
        let periode = (d("2021-01-01"), d("2022-12-31"));
        let signed = Some(d("2021-02-08"));
        assert_eq!(date_engagement(None, today, signed, periode), Ok(today));
        assert_eq!(
            date_engagement(Some(d("2021-02-08")), today, signed, periode),
            Ok(d("2021-02-08"))
        );
        let code = |given: &str, periode| {
            date_engagement(Some(d(given)), today, signed, periode)
                .unwrap_err()
                .code
                .code
        };
        assert_eq!(code("2021-06-02", periode), "date_future");
        assert_eq!(code("2021-02-07", periode), "date_anterieure");
        assert_eq!(
            code("2021-03-01", (d("2021-04-01"), d("2022-12-31"))),
            "hors_periode"
        );
        assert_eq!(
            code("2021-05-01", (d("2021-01-01"), d("2021-04-30"))),
            "hors_periode"
        );
    }

    fn engagement(montant: i64, verse: i64, statut: StatutEngagement) -> Engagement {
        Engagement {
            id: EngagementId::new(),
            enveloppe_id: EnveloppeId::new(),
            convention_id: ConventionId::new(),
            departement: dep("93"),
            beneficiaire_id: StructureId::new(),
            montant_centimes: montant,
            verse_centimes: verse,
            date_engagement: d("2021-03-01"),
            objet: "Postes".to_owned(),
            statut,
            date_annulation: None,
            motif_annulation: None,
            version: 1,
            cree_le: String::new(),
            modifie_le: String::new(),
        }
    }

    #[test]
    fn payments_never_exceed_the_commitment() {
        let e = engagement(1_000, 600, StatutEngagement::Actif);
        assert_eq!(e.reste_a_verser_centimes(), 400);
        assert!(check_versement(&e, 400).is_ok());
        let refusal = check_versement(&e, 401).unwrap_err();
        assert_eq!(refusal.code.code, "versement_excessif");
        assert_eq!(refusal.members["disponible_centimes"], 400);
        assert_eq!(
            engagement(1_000, 600, StatutEngagement::Annule).reste_a_verser_centimes(),
            0
        );
        assert_eq!(
            engagement(1_000, 600, StatutEngagement::Annule).engage_centimes(),
            600
        );
    }

    #[test]
    fn an_annulled_commitment_takes_no_payment_and_no_second_annulment() {
        assert_eq!(
            apply(StatutEngagement::Actif, ActionEngagement::Versement),
            Ok(StatutEngagement::Actif)
        );
        assert_eq!(
            apply(StatutEngagement::Actif, ActionEngagement::Annulation),
            Ok(StatutEngagement::Annule)
        );
        for action in ActionEngagement::ALL {
            let refusal = apply(StatutEngagement::Annule, *action).unwrap_err();
            assert_eq!(refusal.code.code, "transition_invalide");
        }
        assert!(allowed_actions(StatutEngagement::Annule).is_empty());
        assert_eq!(
            apply(StatutVersement::Effectue, ActionVersement::Annulation),
            Ok(StatutVersement::Annule)
        );
        assert!(apply(StatutVersement::Annule, ActionVersement::Annulation).is_err());
    }

    #[test]
    fn an_envelope_amount_covers_engaged_and_ceilings() {
        assert!(check_montant_enveloppe(100, 100, 80).is_ok());
        let refusal = check_montant_enveloppe(99, 100, 80).unwrap_err();
        assert_eq!(refusal.code.code, "montant_insuffisant");
        assert_eq!(refusal.members["minimum_centimes"], 100);
        let refusal = check_montant_enveloppe(99, 10, 100).unwrap_err();
        assert_eq!(refusal.members["minimum_centimes"], 100);
    }

    #[test]
    fn ceilings_stay_within_the_amount_and_above_what_is_engaged() {
        let d93 = dep("93");
        assert!(check_plafond(&d93, 600, 1_000, 400, 600).is_ok());
        let refusal = check_plafond(&d93, 601, 1_000, 400, 0).unwrap_err();
        assert_eq!(refusal.code.code, "plafonds_excedentaires");
        assert_eq!(refusal.members["disponible_centimes"], 600);
        let refusal = check_plafond(&d93, 599, 1_000, 400, 600).unwrap_err();
        assert_eq!(refusal.code.code, "plafond_insuffisant");
        assert_eq!(refusal.members["engage_centimes"], 600);
    }

    #[test]
    fn a_withdrawal_never_leaves_a_convention_overfunded() {
        let mut f = FinancementConvention {
            postes: 75,
            maximum_centimes: 75 * 50_000 * EURO,
            engage_centimes: 3_750_000 * EURO,
        };
        assert!(check_financement_apres_retrait(&f, None).is_ok());
        f.engage_centimes += 1;
        let refusal = check_financement_apres_retrait(&f, None).unwrap_err();
        assert_eq!(refusal.code.code, "convention_surfinancee");
        assert_eq!(refusal.members["disponible_centimes"], 0);
        assert_eq!(refusal.members["excedent_centimes"], 1);
        assert!(!refusal.members.contains_key("beneficiaire_id"));
        // An employer's own funding: the same refusal, naming it.
        let hote = StructureId::parse("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f01").unwrap();
        let refusal = check_financement_apres_retrait(&f, Some(&hote)).unwrap_err();
        assert_eq!(refusal.code.code, "convention_surfinancee");
        assert_eq!(refusal.members["beneficiaire_id"], hote.as_str());
    }

    #[test]
    fn the_beneficiary_is_named_among_the_employers_or_is_the_only_one() {
        let a = StructureId::parse("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f01").unwrap();
        let b = StructureId::parse("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f02").unwrap();
        let c = StructureId::parse("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f03").unwrap();
        let deux = [(&a, 5), (&b, 3)];
        assert_eq!(choisir_beneficiaire(&deux, Some(&b)), Ok((&b, 3)));
        for (parts, given) in [(&deux[..], Some(&c)), (&deux[..], None), (&[][..], None)] {
            let refusal = choisir_beneficiaire(parts, given).unwrap_err();
            assert_eq!(refusal.code_at(), ("validation", Some("/beneficiaire_id")));
        }
        assert_eq!(choisir_beneficiaire(&deux[..1], None), Ok((&a, 5)));
    }

    #[test]
    fn the_beneficiary_answers_before_the_convention() {
        let mut s = soldes();
        let hote = StructureId::parse("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f01").unwrap();
        s.beneficiaire = Some(FinancementBeneficiaire {
            structure_id: hote.clone(),
            financement: FinancementConvention {
                postes: 5,
                maximum_centimes: 5 * 50_000 * EURO,
                engage_centimes: 4 * 50_000 * EURO,
            },
        });
        assert!(check_engagement(50_000 * EURO, &s).is_ok());
        let refusal = check_engagement(50_000 * EURO + 1, &s).unwrap_err();
        assert_eq!(refusal.code.code, "beneficiaire_entierement_finance");
        assert_eq!(refusal.members["disponible_centimes"], 50_000 * EURO);
        assert_eq!(refusal.members["beneficiaire_id"], hote.as_str());
    }

    #[test]
    fn a_split_commitment_keeps_every_sum_and_pays_no_employer_beyond_its_amount() {
        let made = |montant_centimes| VersementARepartir {
            montant_centimes,
            effectue: true,
        };
        // 0.02 € over two employers of one post each, paid a cent at a time: by posts each cent
        // would go to the first employer (the earlier share on a tie), paying it 0.02 € of its
        // 0.01 €; by what is left, the second cent goes to the second.
        let split = repartir_engagement(2, &[1, 1], &[made(1), made(1)]);
        assert_eq!(split.montants, [1, 1]);
        assert_eq!(split.versements, [[1, 0], [0, 1]]);
        assert_eq!(split.verses, [1, 1]);
        // A cancelled payment is split by the amounts and counts in nothing paid.
        let cancelled = VersementARepartir {
            montant_centimes: 10,
            effectue: false,
        };
        let split = repartir_engagement(100, &[3, 1], &[cancelled, made(100)]);
        assert_eq!(split.versements, [[8, 2], [75, 25]]);
        assert_eq!(split.verses, [75, 25]);
        // Many shapes: every sum to the cent, no paid part beyond its amount.
        for montant in [1, 7, 99, 10_001, 400_000_000] {
            for postes in [&[1][..], &[5, 3], &[1, 2, 4], &[0, 0], &[7, 0, 1]] {
                for steps in [1, 2, 3, 7] {
                    let mut left = montant;
                    let payments: Vec<VersementARepartir> = (0..steps)
                        .map(|i| {
                            let part = if i + 1 == steps { left } else { left / 3 };
                            left -= part;
                            made(part)
                        })
                        .filter(|v| v.montant_centimes > 0)
                        .collect();
                    let split = repartir_engagement(montant, postes, &payments);
                    assert_eq!(split.montants.iter().sum::<i64>(), montant);
                    assert_eq!(split.verses.iter().sum::<i64>(), montant);
                    for (payment, parts) in payments.iter().zip(&split.versements) {
                        assert_eq!(parts.iter().sum::<i64>(), payment.montant_centimes);
                    }
                    for (verse, montant) in split.verses.iter().zip(&split.montants) {
                        assert!(verse <= montant, "{postes:?} {steps}: {verse} > {montant}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_period_must_cover_the_commitments() {
        assert!(check_periode(d("2021-01-01"), d("2021-01-01")).is_ok());
        assert_eq!(
            check_periode(d("2021-01-02"), d("2021-01-01"))
                .unwrap_err()
                .errors[0]
                .pointer
                .as_deref(),
            Some("/date_fin")
        );
        let dates = Some((d("2021-03-01"), d("2022-06-30")));
        assert!(check_periode_couvre(d("2021-03-01"), d("2022-06-30"), dates).is_ok());
        assert!(check_periode_couvre(d("2021-01-01"), d("2022-12-31"), None).is_ok());
        assert_eq!(
            check_periode_couvre(d("2021-03-02"), d("2022-12-31"), dates)
                .unwrap_err()
                .code
                .code,
            "periode_incompatible"
        );
    }

    #[test]
    fn each_movement_follows_the_engaged_part() {
        use StatutEngagement::{Actif, Annule};
        let m = |engage_centimes, verse_centimes| Mouvement {
            engage_centimes,
            verse_centimes,
        };
        assert_eq!(Mouvement::engagement(1_000), m(1_000, 0));
        // Annulled with 600 paid: 400 go back to the envelope, the 600 stay engaged.
        assert_eq!(
            Mouvement::annulation(&engagement(1_000, 600, Actif)),
            m(-400, 0)
        );
        // Paid on a live commitment: the engaged sum does not move.
        assert_eq!(
            Mouvement::versement(&engagement(1_000, 600, Actif), 300),
            m(0, 300)
        );
        // A payment cancelled on an annulled commitment frees its money too.
        assert_eq!(
            Mouvement::versement(&engagement(1_000, 600, Annule), -200),
            m(-200, -200)
        );
        // Annulling then cancelling every payment frees the whole amount, as annulling unpaid.
        let annulled = Mouvement::annulation(&engagement(1_000, 600, Actif));
        let cancelled = Mouvement::versement(&engagement(1_000, 600, Annule), -600);
        assert_eq!(
            annulled.engage_centimes + cancelled.engage_centimes,
            Mouvement::annulation(&engagement(1_000, 0, Actif)).engage_centimes
        );
    }
}

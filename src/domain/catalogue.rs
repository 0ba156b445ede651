//! The catalogue of refusal codes: every [`RefusalCode`] the API can answer, for the
//! documentation (the OpenAPI document builds the examples of its shared 403/409/412/422/428
//! responses from it). It sits above the modules that declare the codes, so that
//! `domain::refusal`, which they all use, imports none of them. A new code is one constant next
//! to its rule and one line here; `tests/registries.rs` fails when a declared code is missing.

use super::refusal::{self, RefusalCode};
use super::{
    activite, calendar, conseiller, contrat, convention, coordination, financement, formation,
    lieu, poste, smic, structure,
};

/// Every refusal code.
pub const CATALOGUE: &[&RefusalCode] = &[
    &refusal::INTERDIT,
    &refusal::VALIDATION,
    &refusal::DEJA_EXISTANT,
    &refusal::REFERENCE_INVALIDE,
    &refusal::CONTRAINTE_NON_RESPECTEE,
    &refusal::TRANSITION_INVALIDE,
    &refusal::CLE_IDEMPOTENCE_REUTILISEE,
    &refusal::REQUETE_EN_COURS,
    &refusal::PRECONDITION_ECHOUEE,
    &refusal::PRECONDITION_REQUISE,
    &refusal::CARACTERE_INTERDIT,
    &structure::COMMUNE_INCONNUE,
    &structure::SIREN_INCOHERENT,
    &convention::REPARTITION_INCOMPLETE,
    &calendar::DATE_FUTURE,
    &calendar::DATE_ANTERIEURE,
    &convention::POSTES_INSUFFISANTS,
    &convention::STRUCTURE_NON_ELIGIBLE,
    &financement::ENVELOPPE_INSUFFISANTE,
    &financement::PLAFOND_DEPASSE,
    &financement::CONVENTION_ENTIEREMENT_FINANCEE,
    &financement::BENEFICIAIRE_ENTIEREMENT_FINANCE,
    &financement::TRANCHE_DEJA_VERSEE,
    &financement::VERSEMENT_EXCESSIF,
    &financement::CONVENTION_SURFINANCEE,
    &financement::CONVENTION_NON_ENGAGEABLE,
    &financement::HORS_PERIMETRE,
    &financement::HORS_PERIODE,
    &financement::MONTANT_INSUFFISANT,
    &financement::PLAFONDS_EXCEDENTAIRES,
    &financement::PLAFOND_INSUFFISANT,
    &financement::PERIODE_INCOMPATIBLE,
    &conseiller::QUOTA_ATTEINT,
    &conseiller::CONSEILLERS_ACTIFS,
    &conseiller::POSTES_OCCUPES,
    &conseiller::CONVENTION_HORS_EXECUTION,
    &conseiller::LIEU_NON_ELIGIBLE,
    &conseiller::DONNEES_ANONYMISEES,
    &conseiller::LIEU_PRINCIPAL,
    &lieu::CODE_POSTAL_INCOHERENT,
    &lieu::CHANGEMENT_DE_DEPARTEMENT,
    &activite::SANS_CONTRAT,
    &formation::FORMATION_INITIALE_EXISTANTE,
    &formation::SANS_FORMATION_INITIALE,
    &poste::POSTE_NON_VACANT,
    &contrat::CONTRAT_TERMINE,
    &contrat::DATE_POSTERIEURE_FIN,
    &contrat::CONTRAT_EN_COURS,
    &contrat::DATE_FIN_INVALIDE,
    &contrat::TYPOLOGIE_INCOMPATIBLE,
    &contrat::CONTRAT_SANS_TERME,
    &smic::SALAIRE_INFERIEUR_SMIC,
    &conseiller::TYPE_CONTRAT_NON_RECRUTABLE,
    &coordination::COORDINATION_DE_SOI,
    &coordination::COORDINATEUR_INCONNU,
    &coordination::PAS_COORDINATEUR,
    &coordination::COORDINATEUR_HORS_DEPARTEMENT,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::refusal::RefusalKind;

    #[test]
    fn codes_are_unique_snake_case_and_every_kind_has_one() {
        let mut seen = std::collections::BTreeSet::new();
        for code in CATALOGUE {
            assert!(seen.insert(code.code), "{} declared twice", code.code);
            assert!(
                code.code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                code.code
            );
            assert!(!code.title.is_empty() && !code.example.is_empty());
        }
        for kind in RefusalKind::ALL {
            assert!(
                CATALOGUE.iter().any(|code| code.kind == kind),
                "{kind:?} has no code"
            );
        }
    }
}

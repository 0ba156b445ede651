//! Coordination: an advisor is followed by a coordinator, a person who holds a coordinator's
//! contract (a contract in force whose typology is `coordinateur`) in the same département as
//! the advisor's employment. One coordinator at most per advisor, never the advisor itself.
//!
//! The rules are checked when the link is made (`PUT /conseillers/{id}/coordinateur`), in the
//! order of the API's refusals: the body (422: the advisor itself, a coordinator unknown to the
//! caller), then the state (409: the advisor without a contract in force, a person who is not a
//! coordinator today, a coordinator of another département).

use chrono::NaiveDate;

use super::activite::check_sous_contrat;
use super::codes::CodeDepartement;
use super::contrat::Contrat;
use super::ids::ConseillerId;
use super::poste::TypologiePoste;
use super::refusal::{FieldError, Refusal, RefusalCode, RefusalKind};

/// 422: an advisor named as its own coordinator.
pub const COORDINATION_DE_SOI: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "coordination_de_soi",
    title: "Coordination de soi-même",
    example: "Le conseiller 0193… ne peut pas être son propre coordinateur.",
};

/// 422: the coordinator named is no person the caller may name (unknown, or outside its scope).
pub const COORDINATEUR_INCONNU: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "coordinateur_inconnu",
    title: "Coordinateur inconnu",
    example: "Aucune personne 0193… dans votre portée.",
};

/// 409: the person named holds no coordinator's contract in force today.
pub const PAS_COORDINATEUR: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "pas_coordinateur",
    title: "Pas coordinateur",
    example: "La personne 0193… n'a pas de contrat de coordinateur en vigueur le 2021-09-01.",
};

/// 409: the coordinator works in another département than the advisor.
pub const COORDINATEUR_HORS_DEPARTEMENT: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "coordinateur_hors_departement",
    title: "Coordinateur hors du département",
    example: "Le coordinateur 0193… exerce dans le département 75, le conseiller dans le 93.",
};

/// A pointer refusal on `/coordinateur_id`.
fn on_coordinateur(code: &'static RefusalCode, detail: String) -> Refusal {
    Refusal::new(code, detail.clone()).with_error(FieldError::pointer("/coordinateur_id", detail))
}

/// An advisor is not its own coordinator (422 `coordination_de_soi` on `/coordinateur_id`).
pub fn check_autre_personne(
    conseiller: &ConseillerId,
    coordinateur: &ConseillerId,
) -> Result<(), Refusal> {
    if conseiller != coordinateur {
        return Ok(());
    }
    Err(on_coordinateur(
        &COORDINATION_DE_SOI,
        format!("Le conseiller {conseiller} ne peut pas être son propre coordinateur."),
    ))
}

/// 422 `coordinateur_inconnu` on `/coordinateur_id`: no such person, or none the caller may name
/// (the same answer, so that the refusal reveals nothing outside the caller's scope).
pub fn coordinateur_inconnu(coordinateur: &ConseillerId) -> Refusal {
    on_coordinateur(
        &COORDINATEUR_INCONNU,
        format!("Aucune personne {coordinateur} dans votre portée."),
    )
}

/// The advisor's contract in force on `today`, among its `contrats` (409 `sans_contrat`, with
/// `date`, when there is none): an advisor is coordinated while it works.
pub fn contrat_du_conseiller<'c>(
    conseiller: &ConseillerId,
    contrats: &'c [Contrat],
    today: NaiveDate,
) -> Result<&'c Contrat, Refusal> {
    check_sous_contrat(
        conseiller,
        today,
        contrats.iter().find(|c| c.en_vigueur_le(today)),
    )
}

/// The coordinator's contract of the person, in force on `today`, among its `contrats` (409
/// `pas_coordinateur`, with `date`, when it holds none: no contract, or one on an advisor's post).
pub fn contrat_de_coordinateur<'c>(
    coordinateur: &ConseillerId,
    contrats: &'c [Contrat],
    today: NaiveDate,
) -> Result<&'c Contrat, Refusal> {
    contrats
        .iter()
        .find(|c| c.typologie == TypologiePoste::Coordinateur && c.en_vigueur_le(today))
        .ok_or_else(|| {
            Refusal::new(
                &PAS_COORDINATEUR,
                format!(
                    "La personne {coordinateur} n'a pas de contrat de coordinateur en vigueur le {today}."
                ),
            )
            .with_member("date", today.to_string())
        })
}

/// The coordinator works in the advisor's département (409 `coordinateur_hors_departement`,
/// with both départements).
pub fn check_meme_departement(
    coordinateur: &ConseillerId,
    du_coordinateur: &CodeDepartement,
    du_conseiller: &CodeDepartement,
) -> Result<(), Refusal> {
    if du_coordinateur == du_conseiller {
        return Ok(());
    }
    Err(Refusal::new(
        &COORDINATEUR_HORS_DEPARTEMENT,
        format!(
            "Le coordinateur {coordinateur} exerce dans le département {du_coordinateur}, le conseiller dans le {du_conseiller}."
        ),
    )
    .with_member("departement", du_conseiller.as_str())
    .with_member("departement_coordinateur", du_coordinateur.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contrat::{MotifRupture, Rupture, TypeContrat};
    use crate::domain::ids::{ContratId, ConventionId, StructureId};

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn contrat(
        personne: &ConseillerId,
        typologie: TypologiePoste,
        debut: &str,
        fin: Option<&str>,
    ) -> Contrat {
        Contrat {
            id: ContratId::new(),
            conseiller_id: personne.clone(),
            poste_id: None,
            structure_id: StructureId::new(),
            convention_id: ConventionId::new(),
            departement: CodeDepartement::parse("93").unwrap(),
            typologie,
            type_contrat: if fin.is_some() {
                TypeContrat::Cdd
            } else {
                TypeContrat::Cdi
            },
            date_debut: date(debut),
            date_fin: fin.map(date),
            rupture: None,
            salaire_brut_mensuel_centimes: None,
            version: 1,
        }
    }

    #[test]
    fn an_advisor_is_not_its_own_coordinator() {
        let (a, b) = (ConseillerId::new(), ConseillerId::new());
        assert!(check_autre_personne(&a, &b).is_ok());
        let refusal = check_autre_personne(&a, &a).unwrap_err();
        assert_eq!(
            refusal.code_at(),
            ("coordination_de_soi", Some("/coordinateur_id"))
        );
        assert_eq!(refusal.kind().status(), 422);
        assert_eq!(
            coordinateur_inconnu(&b).code_at(),
            ("coordinateur_inconnu", Some("/coordinateur_id"))
        );
    }

    #[test]
    fn an_advisor_is_coordinated_while_a_contract_is_in_force() {
        let a = ConseillerId::new();
        let ended = contrat(
            &a,
            TypologiePoste::Conseiller,
            "2021-01-01",
            Some("2021-06-30"),
        );
        let later = contrat(&a, TypologiePoste::Conseiller, "2021-08-01", None);
        let contrats = [ended.clone(), later.clone()];
        assert_eq!(
            contrat_du_conseiller(&a, &contrats, date("2021-06-30")).unwrap(),
            &ended
        );
        assert_eq!(
            contrat_du_conseiller(&a, &contrats, date("2021-09-01")).unwrap(),
            &later
        );
        let refusal = contrat_du_conseiller(&a, &contrats, date("2021-07-15")).unwrap_err();
        assert_eq!(refusal.code.code, "sans_contrat");
        assert_eq!(refusal.kind().status(), 409);
        assert_eq!(refusal.members["date"], "2021-07-15");
        assert!(contrat_du_conseiller(&a, &[], date("2021-07-15")).is_err());
    }

    #[test]
    fn a_coordinator_holds_a_coordinators_contract_in_force_today() {
        let c = ConseillerId::new();
        let today = date("2021-09-01");
        let conseiller = contrat(&c, TypologiePoste::Conseiller, "2021-01-01", None);
        let refusal =
            contrat_de_coordinateur(&c, std::slice::from_ref(&conseiller), today).unwrap_err();
        assert_eq!(refusal.code.code, "pas_coordinateur");
        assert_eq!(refusal.kind().status(), 409);
        assert_eq!(refusal.members["date"], "2021-09-01");
        // Not yet, no longer (past its end, or broken): not today.
        let futur = contrat(&c, TypologiePoste::Coordinateur, "2021-09-02", None);
        let passe = contrat(
            &c,
            TypologiePoste::Coordinateur,
            "2021-01-01",
            Some("2021-08-31"),
        );
        let mut rompu = contrat(&c, TypologiePoste::Coordinateur, "2021-01-01", None);
        rompu.rupture = Some(Rupture {
            date: date("2021-08-31"),
            motif: MotifRupture::Demission,
            commentaire: None,
        });
        for other in [futur, passe, rompu] {
            assert!(contrat_de_coordinateur(&c, &[other], today).is_err());
        }
        let coordinateur = contrat(&c, TypologiePoste::Coordinateur, "2021-09-01", None);
        let contrats = [conseiller, coordinateur.clone()];
        assert_eq!(
            contrat_de_coordinateur(&c, &contrats, today).unwrap(),
            &coordinateur
        );
    }

    #[test]
    fn a_coordinator_works_in_the_advisors_departement() {
        let c = ConseillerId::new();
        let (d93, d75) = (
            CodeDepartement::parse("93").unwrap(),
            CodeDepartement::parse("75").unwrap(),
        );
        assert!(check_meme_departement(&c, &d93, &d93).is_ok());
        let refusal = check_meme_departement(&c, &d75, &d93).unwrap_err();
        assert_eq!(refusal.code.code, "coordinateur_hors_departement");
        assert_eq!(refusal.kind().status(), 409);
        assert_eq!(refusal.members["departement"], "93");
        assert_eq!(refusal.members["departement_coordinateur"], "75");
    }
}

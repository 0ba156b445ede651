//! Advisors (conseillers numériques): recruited by a host structure on the posts of a convention
//! in execution, trained, certified, deployed at a place of activity, and one day gone.
//!
//! One status machine ([`StatutConseiller`] with [`ActionConseiller`]); the quota of each host
//! (its active advisors never exceed its posts in the split); the chronology of the path's dates;
//! and whether an advisor was recruited locally (lives in the convention's département).

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::codes::{CodeDepartement, CodeInsee};
use super::contrat::Contrat;
pub use super::contrat::{MotifSortie, TypeContrat};
pub use super::convention::{CONVENTION_HORS_EXECUTION, check_convention_en_execution};
use super::convention::{PartHote, STRUCTURE_NON_ELIGIBLE};
use super::formation::{Certification, Formation};
use super::ids::{ConseillerId, ContratId, ConventionId, LieuId, PosteId, StructureId};
use super::lifecycle::Lifecycle;
pub use super::poste::POSTES_OCCUPES;
use super::poste::TypologiePoste;
use super::refusal::{FieldError, Refusal, RefusalCode, RefusalKind};
use crate::closed_enum;

closed_enum! {
    /// Statut d'un conseiller : `sans_contrat` tant qu'aucun contrat ne l'a lié à un poste, puis
    /// `recrute → en_formation → certifie → en_poste`, et `sorti` depuis tout statut sous contrat
    /// (final, sauf nouveau contrat).
    StatutConseiller, "statut de conseiller" {
        /// Personne enregistrée sans contrat encore : son premier contrat la fait `recrute`.
        SansContrat = "sans_contrat",
        /// Recruté : le contrat court, la formation n'a pas commencé.
        Recrute = "recrute",
        /// En formation.
        EnFormation = "en_formation",
        /// Certifié, pas encore en poste.
        Certifie = "certifie",
        /// En poste dans un lieu d'activité.
        EnPoste = "en_poste",
        /// Sorti du dispositif (statut final) : son poste est libre.
        Sorti = "sorti",
    }
}

closed_enum! {
    /// Action sur un conseiller.
    ActionConseiller, "action sur un conseiller" {
        /// Entrer en formation (`POST …/formation`).
        Formation = "formation",
        /// Obtenir la certification (`POST …/certification`).
        Certification = "certification",
        /// Prendre son poste dans un lieu d'activité (`POST …/prise-de-poste`).
        PriseDePoste = "prise_de_poste",
        /// Quitter le dispositif (`POST …/sortie`), depuis tout statut.
        Sortie = "sortie",
    }
}

impl Lifecycle for StatutConseiller {
    type Action = ActionConseiller;

    fn after(self, action: ActionConseiller) -> Option<StatutConseiller> {
        use ActionConseiller as A;
        use StatutConseiller as S;
        match (self, action) {
            (S::Sorti | S::SansContrat, _) => None,
            (_, A::Sortie) => Some(S::Sorti),
            (S::Recrute, A::Formation) => Some(S::EnFormation),
            (S::EnFormation, A::Certification) => Some(S::Certifie),
            (S::Certifie, A::PriseDePoste) => Some(S::EnPoste),
            _ => None,
        }
    }
}

impl StatutConseiller {
    /// Whether the advisor holds a post (every status but `sorti` and `sans_contrat`).
    pub fn est_actif(self) -> bool {
        !matches!(
            self,
            StatutConseiller::Sorti | StatutConseiller::SansContrat
        )
    }
}

/// Personal data of an advisor: shown to admins and the employer only, replaced when anonymised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identite {
    /// Family name.
    pub nom: String,
    /// Given name.
    pub prenom: String,
    /// E-mail address (one person per address, case aside).
    pub email: String,
    /// Telephone number, if given.
    pub telephone: Option<String>,
    /// Commune of residence.
    pub commune_residence: CodeInsee,
}

/// An advisor as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conseiller {
    /// Its identifier.
    pub id: ConseillerId,
    /// The convention of its current (or last) contract; `None` before any contract.
    pub convention_id: Option<ConventionId>,
    /// The convention's département (before any contract, the recording structure's).
    pub departement: CodeDepartement,
    /// The employer: a host of the convention's split (before any contract, the structure that
    /// recorded the person, which keeps the record in its scope).
    pub structure_id: StructureId,
    /// Personal data (`None` once anonymised).
    pub identite: Option<Identite>,
    /// When its personal data was erased (RFC 3339 UTC), if it was.
    pub anonymise_le: Option<String>,
    /// The newest record of the same person, when the first model (one record per recruitment)
    /// recorded this one earlier under the same e-mail address.
    pub doublon_de: Option<ConseillerId>,
    /// Whether it lives in the convention's département (computed at recruitment, kept after
    /// anonymisation).
    pub recrutement_local: bool,
    /// Its current (or last) contract's type (`None` before any contract).
    pub type_contrat: Option<TypeContrat>,
    /// Its status.
    pub statut: StatutConseiller,
    /// Recruited on: its first contract's first day (`None` before any contract).
    pub date_recrutement: Option<NaiveDate>,
    /// Training started on.
    pub date_debut_formation: Option<NaiveDate>,
    /// The training organisation.
    pub organisme_formation: Option<String>,
    /// Certified on.
    pub date_certification: Option<NaiveDate>,
    /// Took up the post on.
    pub date_prise_poste: Option<NaiveDate>,
    /// The place of activity: its principal lieu (kept equal to the principal of `lieux`).
    pub lieu_id: Option<LieuId>,
    /// The lieux where it works, exactly one of them principal (none before it has one).
    pub lieux: Vec<LieuConseiller>,
    /// Its contracts, oldest first (read with it; written by the contracts' own operations).
    pub contrats: Vec<Contrat>,
    /// The coordinator who follows it, if any (`coordinations`, see [`super::coordination`]).
    pub coordinateur_id: Option<ConseillerId>,
    /// Its trainings, by first day (read with it, never written by its own saves).
    pub formations: Vec<Formation>,
    /// Its certifications, by date (read with it, never written by its own saves).
    pub certifications: Vec<Certification>,
    /// Left on.
    pub date_sortie: Option<NaiveDate>,
    /// Why it left.
    pub motif_sortie: Option<MotifSortie>,
    /// Row version (its `ETag`).
    pub version: i64,
    /// Created at (RFC 3339 UTC).
    pub cree_le: String,
    /// Last changed at (RFC 3339 UTC).
    pub modifie_le: String,
}

impl Conseiller {
    /// A new recruit (`recrute`) on a post of `structure_id` in a convention of `departement`:
    /// no step after the recruitment yet; local when it lives in that département. Its id is
    /// new; its version and times are the storage's to set.
    pub fn recrute(
        convention_id: ConventionId,
        departement: CodeDepartement,
        structure_id: StructureId,
        identite: Identite,
        type_contrat: TypeContrat,
        date_recrutement: NaiveDate,
    ) -> Conseiller {
        Conseiller {
            convention_id: Some(convention_id),
            type_contrat: Some(type_contrat),
            statut: StatutConseiller::Recrute,
            date_recrutement: Some(date_recrutement),
            ..Conseiller::personne(departement, structure_id, identite)
        }
    }

    /// A person recorded before any contract (`sans_contrat`), by `structure_id` in
    /// `departement` (the structure's), which keep the record in their scope until a contract
    /// places it. Its id is new; its version and times are the storage's to set.
    pub fn personne(
        departement: CodeDepartement,
        structure_id: StructureId,
        identite: Identite,
    ) -> Conseiller {
        Conseiller {
            id: ConseillerId::new(),
            convention_id: None,
            recrutement_local: recrutement_local(&identite.commune_residence, &departement),
            departement,
            structure_id,
            identite: Some(identite),
            anonymise_le: None,
            doublon_de: None,
            type_contrat: None,
            statut: StatutConseiller::SansContrat,
            date_recrutement: None,
            date_debut_formation: None,
            organisme_formation: None,
            date_certification: None,
            date_prise_poste: None,
            lieu_id: None,
            lieux: Vec::new(),
            contrats: Vec::new(),
            coordinateur_id: None,
            formations: Vec::new(),
            certifications: Vec::new(),
            date_sortie: None,
            motif_sortie: None,
            version: 1,
            cree_le: String::new(),
            modifie_le: String::new(),
        }
    }

    /// The contract of a recruit of the first model: its type, from its recruitment, on `poste`;
    /// no planned end (that model recorded none). `None` for a person without a recruitment
    /// (`sans_contrat`). Its version is the storage's to set.
    pub fn contrat_du_recrutement(&self, poste: &PosteId) -> Option<Contrat> {
        Some(Contrat {
            id: ContratId::new(),
            conseiller_id: self.id.clone(),
            poste_id: Some(poste.clone()),
            structure_id: self.structure_id.clone(),
            convention_id: self.convention_id.clone()?,
            departement: self.departement.clone(),
            typologie: TypologiePoste::Conseiller,
            type_contrat: self.type_contrat?,
            date_debut: self.date_recrutement?,
            date_fin: None,
            rupture: None,
            salaire_brut_mensuel_centimes: None,
            version: 1,
        })
    }

    /// The date of the last step reached (for the chronology of the next one); `None` for a
    /// person without a contract yet (no step to follow).
    pub fn derniere_etape(&self) -> Option<(&'static str, NaiveDate)> {
        [
            ("date_prise_poste", self.date_prise_poste),
            ("date_certification", self.date_certification),
            ("date_debut_formation", self.date_debut_formation),
            ("date_recrutement", self.date_recrutement),
        ]
        .into_iter()
        .find_map(|(field, date)| date.map(|d| (field, d)))
    }
}

/// 409: the host has as many active advisors as posts.
pub const QUOTA_ATTEINT: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "quota_atteint",
    title: "Quota de postes atteint",
    example: "La structure a 40 postes et 40 conseillers actifs.",
};

/// 409: a convention cannot end while advisors hold its posts.
pub const CONSEILLERS_ACTIFS: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "conseillers_actifs",
    title: "Conseillers actifs",
    example: "3 conseillers sont encore actifs sur cette convention : enregistrer leur sortie d'abord.",
};

/// 422: a place of activity that is not the employer's.
pub const LIEU_NON_ELIGIBLE: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "lieu_non_eligible",
    title: "Lieu non éligible",
    example: "Le lieu 0193… n'est pas un lieu de l'employeur du conseiller.",
};

/// 409: the personal data of an anonymised advisor cannot be corrected any more.
pub const DONNEES_ANONYMISEES: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "donnees_anonymisees",
    title: "Données anonymisées",
    example: "Les données personnelles de ce conseiller ont été effacées le 2025-01-01.",
};

/// 422: a contract type the first model's recruitment does not record.
pub const TYPE_CONTRAT_NON_RECRUTABLE: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "type_contrat_non_recrutable",
    title: "Type de contrat hors recrutement",
    example: "Un contrat « pec » s'enregistre par POST /api/v1/contrats.",
};

/// A recruitment (`POST /conseillers`) records a `cdi`, `cdd`, `contrat_de_projet` or
/// `titulaire`; a `pec` is recorded as a contract (`POST /contrats`), 422 on `/type_contrat`.
pub fn check_type_recrutement(type_contrat: TypeContrat) -> Result<(), Refusal> {
    if type_contrat != TypeContrat::Pec {
        return Ok(());
    }
    let detail = "Un contrat « pec » s'enregistre par POST /api/v1/contrats.".to_owned();
    Err(Refusal::new(&TYPE_CONTRAT_NON_RECRUTABLE, detail.clone())
        .with_error(FieldError::pointer("/type_contrat", detail)))
}

/// A host's posts in a split (0 when it is not a host).
pub fn postes_de(repartition: &[PartHote], structure: &StructureId) -> i64 {
    repartition
        .iter()
        .find(|part| &part.structure_id == structure)
        .map_or(0, |part| part.postes)
}

/// The employer of a new advisor hosts posts in the convention's split: its posts, or 422
/// `structure_non_eligible` on `/structure_id`.
pub fn postes_employeur(repartition: &[PartHote], employer: &StructureId) -> Result<i64, Refusal> {
    match postes_de(repartition, employer) {
        0 => {
            let detail = format!(
                "La structure {employer} n'accueille aucun poste dans la répartition de la convention."
            );
            Err(Refusal::new(&STRUCTURE_NON_ELIGIBLE, detail.clone())
                .with_error(FieldError::pointer("/structure_id", detail)))
        }
        postes => Ok(postes),
    }
}

/// An advisor takes its post at a lieu of its employer (`lieu`: the lieu's structure, `None` when
/// there is no such lieu), else 422 `lieu_non_eligible` on `/lieu_id`.
pub fn check_lieu(
    lieu_id: &LieuId,
    lieu: Option<&StructureId>,
    employer: &StructureId,
) -> Result<(), Refusal> {
    if lieu != Some(employer) {
        let detail = format!("Le lieu {lieu_id} n'est pas un lieu de l'employeur du conseiller.");
        return Err(Refusal::new(&LIEU_NON_ELIGIBLE, detail.clone())
            .with_error(FieldError::pointer("/lieu_id", detail)));
    }
    Ok(())
}

/// Un lieu où travaille un conseiller : un lieu de son employeur, principal ou non.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"lieu_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97", "principal": true}))]
pub struct LieuConseiller {
    /// Le lieu.
    pub lieu_id: LieuId,
    /// Le lieu principal du conseiller (exactement un parmi ses lieux).
    pub principal: bool,
}

/// 409: a change that would leave an advisor's lieux without exactly one principal.
pub const LIEU_PRINCIPAL: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "lieu_principal",
    title: "Lieu principal requis",
    example: "Le lieu 0193… est le lieu principal du conseiller : désigner d'abord un autre lieu principal.",
};

fn lieu_principal(detail: String) -> Refusal {
    Refusal::new(&LIEU_PRINCIPAL, detail)
}

impl Conseiller {
    /// Its lieux once it works at `lieu` (added, or changed), principal or not: a new principal
    /// lieu makes the others secondary; 409 `lieu_principal` when the change would leave it
    /// without a principal (its first lieu is principal; its principal stays so until another
    /// is). Keeps `lieu_id` on the principal.
    pub fn travaille_a(&mut self, lieu: &LieuId, principal: bool) -> Result<(), Refusal> {
        let actuel = self.lieux.iter().find(|l| l.principal).map(|l| &l.lieu_id);
        if !principal {
            match actuel {
                None => {
                    return Err(lieu_principal(format!(
                        "Le conseiller {} n'a pas encore de lieu principal : son premier lieu l'est.",
                        self.id
                    )));
                }
                Some(actuel) if actuel == lieu => {
                    return Err(lieu_principal(format!(
                        "Le lieu {lieu} est le lieu principal du conseiller : désigner d'abord un autre lieu principal."
                    )));
                }
                Some(_) => {}
            }
        }
        if principal {
            for l in &mut self.lieux {
                l.principal = false;
            }
        }
        match self.lieux.iter_mut().find(|l| &l.lieu_id == lieu) {
            Some(l) => l.principal = principal,
            None => self.lieux.push(LieuConseiller {
                lieu_id: lieu.clone(),
                principal,
            }),
        }
        self.lieu_id = self
            .lieux
            .iter()
            .find(|l| l.principal)
            .map(|l| l.lieu_id.clone());
        Ok(())
    }

    /// Its lieux without `lieu` (`false` when it did not work there): 409 `lieu_principal` for
    /// its principal lieu while it works at others (designate another first), or while it is in
    /// post (an advisor in post keeps a principal lieu).
    pub fn ne_travaille_plus_a(&mut self, lieu: &LieuId) -> Result<bool, Refusal> {
        let Some(index) = self.lieux.iter().position(|l| &l.lieu_id == lieu) else {
            return Ok(false);
        };
        if self.lieux[index].principal
            && (self.lieux.len() > 1 || self.statut == StatutConseiller::EnPoste)
        {
            return Err(lieu_principal(format!(
                "Le lieu {lieu} est le lieu principal du conseiller : désigner d'abord un autre lieu principal."
            )));
        }
        self.lieux.remove(index);
        if self.lieux.is_empty() {
            self.lieu_id = None;
        }
        Ok(true)
    }
}

/// One more advisor fits the host's posts (`postes`: its posts in the split; `actifs`: its
/// active advisors on the convention).
pub fn check_quota(structure: &StructureId, postes: i64, actifs: i64) -> Result<(), Refusal> {
    if actifs >= postes {
        return Err(quota_atteint(structure, postes, actifs));
    }
    Ok(())
}

/// 409 `quota_atteint`: the host's `postes` are all held by its `actifs`.
pub fn quota_atteint(structure: &StructureId, postes: i64, actifs: i64) -> Refusal {
    Refusal::new(
        &QUOTA_ATTEINT,
        format!("La structure {structure} a {postes} poste(s) et {actifs} conseiller(s) actif(s)."),
    )
    .with_member("postes", postes)
    .with_member("actifs", actifs)
}

/// An employer's active advisors in a convention (those not `sorti`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActifsStructure {
    /// The employer.
    pub structure_id: StructureId,
    /// Its active advisors.
    pub actifs: i64,
}

/// A new split leaves every host at least as many posts as active advisors (`actifs`: active
/// advisors by employer; `postes_de`: the host's posts in the new split, 0 when absent).
pub fn check_postes_occupes(
    actifs: &[ActifsStructure],
    postes_de: impl Fn(&StructureId) -> i64,
) -> Result<(), Refusal> {
    for ActifsStructure {
        structure_id: structure,
        actifs: count,
    } in actifs
    {
        let postes = postes_de(structure);
        if *count > postes {
            return Err(Refusal::new(
                &POSTES_OCCUPES,
                format!(
                    "La structure {structure} aurait {postes} poste(s) pour {count} conseiller(s) actif(s) : enregistrer des sorties d'abord."
                ),
            )
            .with_member("structure_id", structure.as_str())
            .with_member("postes", postes)
            .with_member("actifs", *count));
        }
    }
    Ok(())
}

/// A convention ends only once no advisor holds its posts.
pub fn check_aucun_actif(actifs: i64) -> Result<(), Refusal> {
    if actifs > 0 {
        return Err(Refusal::new(
            &CONSEILLERS_ACTIFS,
            format!(
                "{actifs} conseiller(s) encore actif(s) sur cette convention : enregistrer leur sortie d'abord."
            ),
        )
        .with_member("actifs", actifs));
    }
    Ok(())
}

/// Whether an advisor living in `commune` is a local recruitment for a convention of
/// `departement`.
pub fn recrutement_local(commune: &CodeInsee, departement: &CodeDepartement) -> bool {
    commune.departement() == *departement
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::convention::StatutConvention;
    use crate::domain::lifecycle::{allowed_actions, apply};

    fn recrue() -> Conseiller {
        Conseiller::recrute(
            ConventionId::new(),
            CodeDepartement::parse("93").unwrap(),
            StructureId::new(),
            Identite {
                nom: "Martin".into(),
                prenom: "Awa".into(),
                email: "awa.martin@example.org".into(),
                telephone: None,
                commune_residence: CodeInsee::parse("93008").unwrap(),
            },
            TypeContrat::Cdd,
            NaiveDate::from_ymd_opt(2021, 4, 1).unwrap(),
        )
    }

    #[test]
    fn an_advisor_has_exactly_one_principal_lieu_among_its_lieux() {
        let (a, b) = (LieuId::new(), LieuId::new());
        let mut c = recrue();
        let principaux = |c: &Conseiller| -> Vec<(LieuId, bool)> {
            c.lieux
                .iter()
                .map(|l| (l.lieu_id.clone(), l.principal))
                .collect()
        };
        // The first lieu is principal.
        let refusal = c.travaille_a(&a, false).unwrap_err();
        assert_eq!(refusal.code.code, "lieu_principal");
        assert!(c.lieux.is_empty());
        c.travaille_a(&a, true).unwrap();
        assert_eq!(c.lieu_id, Some(a.clone()));
        c.travaille_a(&b, false).unwrap();
        assert_eq!(principaux(&c), [(a.clone(), true), (b.clone(), false)]);
        // The principal stays so until another is.
        let refusal = c.travaille_a(&a, false).unwrap_err();
        assert_eq!(refusal.code.code, "lieu_principal");
        c.travaille_a(&b, true).unwrap();
        assert_eq!(principaux(&c), [(a.clone(), false), (b.clone(), true)]);
        assert_eq!(c.lieu_id, Some(b.clone()));
        // Again the same: nothing changes.
        c.travaille_a(&b, true).unwrap();
        assert_eq!(principaux(&c), [(a.clone(), false), (b.clone(), true)]);
        // Removing: the principal only once it is alone, and not while in post.
        assert_eq!(
            c.ne_travaille_plus_a(&b).unwrap_err().code.code,
            "lieu_principal"
        );
        assert!(c.ne_travaille_plus_a(&a).unwrap());
        assert!(!c.ne_travaille_plus_a(&a).unwrap(), "not there any more");
        c.statut = StatutConseiller::EnPoste;
        assert_eq!(
            c.ne_travaille_plus_a(&b).unwrap_err().code.code,
            "lieu_principal"
        );
        c.statut = StatutConseiller::Certifie;
        assert!(c.ne_travaille_plus_a(&b).unwrap());
        assert_eq!((c.lieux.len(), c.lieu_id.clone()), (0, None));
    }

    #[test]
    fn every_status_and_action_pair() {
        use ActionConseiller as A;
        use StatutConseiller as S;
        let expected = |status: S, action: A| match (status, action) {
            (S::Recrute, A::Formation) => Some(S::EnFormation),
            (S::EnFormation, A::Certification) => Some(S::Certifie),
            (S::Certifie, A::PriseDePoste) => Some(S::EnPoste),
            (S::Recrute | S::EnFormation | S::Certifie | S::EnPoste, A::Sortie) => Some(S::Sorti),
            _ => None,
        };
        for status in S::ALL {
            for action in A::ALL {
                let result = apply(*status, *action);
                match expected(*status, *action) {
                    Some(next) => assert_eq!(result, Ok(next), "{status} + {action}"),
                    None => {
                        let refusal = result.unwrap_err();
                        assert_eq!(refusal.code.code, "transition_invalide");
                        assert_eq!(refusal.members["statut_actuel"], status.as_str());
                    }
                }
            }
        }
        assert!(allowed_actions(S::Sorti).is_empty());
        assert_eq!(allowed_actions(S::EnPoste), [A::Sortie]);
        assert_eq!(allowed_actions(S::Recrute), [A::Formation, A::Sortie]);
        assert!(allowed_actions(S::SansContrat).is_empty());
        assert!(
            S::ALL
                .iter()
                .all(|s| s.est_actif() == !matches!(s, S::Sorti | S::SansContrat))
        );
    }

    fn structure() -> StructureId {
        StructureId::parse("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90").unwrap()
    }

    #[test]
    fn a_host_never_has_more_active_advisors_than_posts() {
        assert!(check_quota(&structure(), 40, 39).is_ok());
        let refusal = check_quota(&structure(), 40, 40).unwrap_err();
        assert_eq!(refusal.code.code, "quota_atteint");
        assert_eq!(refusal.kind().status(), 409);
        assert_eq!(refusal.members["postes"], 40);
        assert_eq!(refusal.members["actifs"], 40);
    }

    #[test]
    fn a_new_split_keeps_every_active_advisor_on_a_post() {
        let actifs = vec![ActifsStructure {
            structure_id: structure(),
            actifs: 35,
        }];
        assert!(check_postes_occupes(&actifs, |_| 35).is_ok());
        let refusal = check_postes_occupes(&actifs, |_| 30).unwrap_err();
        assert_eq!(refusal.code.code, "postes_occupes");
        assert_eq!(refusal.members["actifs"], 35);
        assert_eq!(
            check_postes_occupes(&actifs, |_| 0).unwrap_err().members["postes"],
            0
        );
    }

    #[test]
    fn advisors_are_recruited_on_a_convention_in_execution() {
        assert!(check_convention_en_execution(StatutConvention::EnExecution).is_ok());
        for statut in StatutConvention::ALL
            .iter()
            .filter(|s| **s != StatutConvention::EnExecution)
        {
            let refusal = check_convention_en_execution(*statut).unwrap_err();
            assert_eq!(refusal.code.code, "convention_hors_execution");
            assert_eq!(refusal.members["statut_convention"], statut.as_str());
        }
    }

    #[test]
    fn the_employer_hosts_posts_and_the_lieu_is_its_own() {
        let other = StructureId::parse("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91").unwrap();
        let split = vec![PartHote {
            structure_id: structure(),
            postes: 40,
            postes_coordinateur: 0,
        }];
        assert_eq!(postes_employeur(&split, &structure()), Ok(40));
        let refusal = postes_employeur(&split, &other).unwrap_err();
        assert_eq!(
            refusal.code_at(),
            ("structure_non_eligible", Some("/structure_id"))
        );
        let lieu = LieuId::new();
        assert!(check_lieu(&lieu, Some(&structure()), &structure()).is_ok());
        for found in [Some(&other), None] {
            let refusal = check_lieu(&lieu, found, &structure()).unwrap_err();
            assert_eq!(refusal.code_at(), ("lieu_non_eligible", Some("/lieu_id")));
        }
    }

    #[test]
    fn a_convention_ends_without_active_advisors() {
        assert!(check_aucun_actif(0).is_ok());
        let refusal = check_aucun_actif(3).unwrap_err();
        assert_eq!(refusal.code.code, "conseillers_actifs");
        assert_eq!(refusal.members["actifs"], 3);
    }

    #[test]
    fn local_recruitment_is_living_in_the_conventions_departement() {
        let d93 = CodeDepartement::parse("93").unwrap();
        assert!(recrutement_local(&CodeInsee::parse("93001").unwrap(), &d93));
        assert!(!recrutement_local(
            &CodeInsee::parse("75056").unwrap(),
            &d93
        ));
        let d2a = CodeDepartement::parse("2A").unwrap();
        assert!(recrutement_local(&CodeInsee::parse("2A004").unwrap(), &d2a));
        let d971 = CodeDepartement::parse("971").unwrap();
        assert!(recrutement_local(
            &CodeInsee::parse("97105").unwrap(),
            &d971
        ));
    }

    #[test]
    fn the_last_step_gives_the_earliest_next_date() {
        let date = |s: &str| s.parse::<NaiveDate>().unwrap();
        let identite = Identite {
            nom: "Martin".to_owned(),
            prenom: "Camille".to_owned(),
            email: "c.martin@example.org".to_owned(),
            telephone: None,
            commune_residence: CodeInsee::parse("93001").unwrap(),
        };
        let mut c = Conseiller::recrute(
            ConventionId::new(),
            CodeDepartement::parse("93").unwrap(),
            structure(),
            identite,
            TypeContrat::Cdd,
            date("2021-05-01"),
        );
        assert!(c.recrutement_local);
        assert_eq!(
            c.derniere_etape(),
            Some(("date_recrutement", date("2021-05-01")))
        );
        c.date_debut_formation = Some(date("2021-05-10"));
        c.date_certification = Some(date("2021-07-01"));
        assert_eq!(
            c.derniere_etape(),
            Some(("date_certification", date("2021-07-01")))
        );
    }
}

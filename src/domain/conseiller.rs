//! Advisors (conseillers numériques): people, bound to posts by their contracts
//! ([`super::contrat`]), working at one or more lieux of their employer, trained and certified
//! while in post ([`super::formation`]).
//!
//! Their status is derived from their contracts on the service's date ([`StatutConseiller::de`]);
//! the quota of each host (its advisors in post never exceed its posts in the split); and whether
//! an advisor was recruited locally (lives in the convention's département).

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
pub use super::poste::POSTES_OCCUPES;
use super::poste::TypologiePoste;
use super::refusal::{FieldError, Refusal, RefusalCode, RefusalKind};
use crate::closed_enum;

closed_enum! {
    /// Statut d'un conseiller, déduit de ses contrats à la date du service (jamais enregistré) :
    /// `sans_contrat` avant tout contrat, `en_poste` tant qu'un contrat court ou doit commencer,
    /// `sorti` quand aucun ne reprendra (le dernier jour de ses contrats est passé).
    StatutConseiller, "statut de conseiller" {
        /// Personne enregistrée sans contrat encore : son premier contrat la met `en_poste`.
        SansContrat = "sans_contrat",
        /// Sous contrat : un contrat est en vigueur, ou commencera.
        EnPoste = "en_poste",
        /// Sorti : le dernier jour de ses contrats est passé ; un nouveau contrat le remet en poste.
        Sorti = "sorti",
    }
}

impl StatutConseiller {
    /// The status of a person who has had contracts or not (`sous_contrat`), whose contracts'
    /// last day is `fin` (`None`: one is open-ended), on `today`: the rule the SQL of the lists,
    /// quotas and statistics repeats (`db::repo::conseiller::statut_sql`).
    pub fn de(sous_contrat: bool, fin: Option<NaiveDate>, today: NaiveDate) -> StatutConseiller {
        match (sous_contrat, fin) {
            (false, _) => StatutConseiller::SansContrat,
            (true, Some(fin)) if fin < today => StatutConseiller::Sorti,
            (true, _) => StatutConseiller::EnPoste,
        }
    }
}

/// The last day of a person's `contrats` when every one has one (its rupture, or its planned
/// end); `None` while one is open-ended, or without any contract.
pub fn fin_des_contrats(contrats: &[Contrat]) -> Option<NaiveDate> {
    contrats
        .iter()
        .map(Contrat::dernier_jour)
        .collect::<Option<Vec<NaiveDate>>>()?
        .into_iter()
        .max()
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
    /// Recruited on: its first contract's first day (`None` before any contract).
    pub date_recrutement: Option<NaiveDate>,
    /// The place of activity: its principal lieu (kept equal to the principal of `lieux`).
    pub lieu_id: Option<LieuId>,
    /// The lieux where it works, exactly one of them principal (none before it has one).
    pub lieux: Vec<LieuConseiller>,
    /// Its contracts, oldest first (read with it; written by the contracts' own operations).
    pub contrats: Vec<Contrat>,
    /// The coordinator who follows it, if any (`coordinations`, see [`super::coordination`]),
    /// as named: [`Conseiller::coordinateur_le`] says whether the coordination still holds.
    pub coordinateur_id: Option<ConseillerId>,
    /// The last day of that coordinator's coordinator contracts when all have one (`None`: one is
    /// open-ended, or no coordinator): the coordination holds until then.
    pub fin_coordination: Option<NaiveDate>,
    /// Its trainings, by first day (read with it, never written by its own saves).
    pub formations: Vec<Formation>,
    /// Its certifications, by date (read with it, never written by its own saves).
    pub certifications: Vec<Certification>,
    /// The last day of its contracts when all have one ([`fin_des_contrats`], kept by every
    /// write of a contract); `None` while one is open-ended, or before any.
    pub fin_contrats: Option<NaiveDate>,
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
            date_recrutement: None,
            lieu_id: None,
            lieux: Vec::new(),
            contrats: Vec::new(),
            coordinateur_id: None,
            fin_coordination: None,
            formations: Vec::new(),
            certifications: Vec::new(),
            fin_contrats: None,
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

    /// Its status on `today` ([`StatutConseiller::de`]).
    pub fn statut_le(&self, today: NaiveDate) -> StatutConseiller {
        StatutConseiller::de(self.convention_id.is_some(), self.fin_contrats, today)
    }

    /// The rupture that ended its contracts, when the last of them (the one whose last day is
    /// `fin_contrats`) was broken rather than reaching its term (its contracts must be read).
    pub fn rupture_finale(&self) -> Option<&super::contrat::Rupture> {
        let fin = self.fin_contrats?;
        self.contrats
            .iter()
            .filter(|c| c.dernier_jour() == Some(fin))
            .find_map(|c| c.rupture.as_ref())
    }

    /// The coordinator who follows it on `today`: the one named, while that person still holds a
    /// coordinator contract (its last day not passed); none once it ended, without any job.
    pub fn coordinateur_le(&self, today: NaiveDate) -> Option<&ConseillerId> {
        self.coordinateur_id
            .as_ref()
            .filter(|_| self.fin_coordination.is_none_or(|fin| fin >= today))
    }

    /// When and why it left, once `sorti` on `today`: its contracts' last day, and the exit its
    /// last contract's end amounts to (a rupture's motif, [`super::contrat::motif_de_sortie`];
    /// else, or for the first model's end of an open-ended contract carried over as a rupture,
    /// the end of the contract).
    pub fn sortie_le(&self, today: NaiveDate) -> Option<(NaiveDate, MotifSortie)> {
        if self.statut_le(today) != StatutConseiller::Sorti {
            return None;
        }
        let fin = self.fin_contrats?;
        let motif = self
            .rupture_finale()
            .map_or(MotifSortie::FinDeContrat, |r| {
                // the first model's end of an open-ended contract, carried over as a rupture
                if r.commentaire.as_deref() == Some(super::contrat::FIN_SANS_TERME) {
                    MotifSortie::FinDeContrat
                } else {
                    super::contrat::motif_de_sortie(r.motif)
                }
            });
        Some((fin, motif))
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
    /// post on `today` (an advisor in post keeps a principal lieu).
    pub fn ne_travaille_plus_a(&mut self, lieu: &LieuId) -> Result<bool, Refusal> {
        let Some(index) = self.lieux.iter().position(|l| &l.lieu_id == lieu) else {
            return Ok(false);
        };
        if self.lieux[index].principal && self.lieux.len() > 1 {
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
    use crate::domain::contrat::MotifRupture;
    use crate::domain::convention::StatutConvention;

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
        // alone, the principal goes too
        assert!(c.ne_travaille_plus_a(&b).unwrap());
        assert_eq!((c.lieux.len(), c.lieu_id.clone()), (0, None));
    }

    fn contrat(debut: &str, fin: Option<&str>, rupture: Option<(&str, MotifRupture)>) -> Contrat {
        let date = |s: &str| s.parse::<NaiveDate>().unwrap();
        Contrat {
            id: ContratId::new(),
            conseiller_id: ConseillerId::new(),
            poste_id: None,
            structure_id: StructureId::new(),
            convention_id: ConventionId::new(),
            departement: CodeDepartement::parse("93").unwrap(),
            typologie: TypologiePoste::Conseiller,
            type_contrat: if fin.is_some() {
                TypeContrat::Cdd
            } else {
                TypeContrat::Cdi
            },
            date_debut: date(debut),
            date_fin: fin.map(date),
            rupture: rupture.map(|(d, motif)| super::super::contrat::Rupture {
                date: date(d),
                motif,
                commentaire: None,
            }),
            salaire_brut_mensuel_centimes: None,
            version: 1,
        }
    }

    #[test]
    fn a_coordination_holds_until_the_coordinators_last_day() {
        let date = |s: &str| s.parse::<NaiveDate>().unwrap();
        let mut c = recrue();
        assert_eq!(c.coordinateur_le(date("2021-09-01")), None, "nobody named");
        let coordinateur = ConseillerId::new();
        c.coordinateur_id = Some(coordinateur.clone());
        assert_eq!(
            c.coordinateur_le(date("2030-01-01")),
            Some(&coordinateur),
            "open-ended"
        );
        c.fin_coordination = Some(date("2021-08-31"));
        assert_eq!(c.coordinateur_le(date("2021-08-31")), Some(&coordinateur));
        assert_eq!(c.coordinateur_le(date("2021-09-01")), None);
    }

    #[test]
    fn the_status_is_derived_from_the_contracts_on_the_day() {
        use StatutConseiller as S;
        let date = |s: &str| s.parse::<NaiveDate>().unwrap();
        let today = date("2024-06-15");
        assert_eq!(S::de(false, None, today), S::SansContrat);
        assert_eq!(S::de(true, None, today), S::EnPoste, "open-ended");
        assert_eq!(S::de(true, Some(today), today), S::EnPoste, "its last day");
        assert_eq!(S::de(true, Some(date("2024-06-14")), today), S::Sorti);
        assert_eq!(S::de(true, Some(date("2025-01-01")), today), S::EnPoste);

        assert_eq!(fin_des_contrats(&[]), None);
        let cdd = contrat("2023-01-01", Some("2023-12-31"), None);
        let cdi = contrat("2024-01-01", None, None);
        assert_eq!(
            fin_des_contrats(std::slice::from_ref(&cdd)),
            Some(date("2023-12-31"))
        );
        assert_eq!(
            fin_des_contrats(&[cdd.clone(), cdi.clone()]),
            None,
            "one open-ended"
        );
        let rompu = contrat(
            "2024-01-01",
            None,
            Some(("2024-03-31", MotifRupture::Licenciement)),
        );
        assert_eq!(
            fin_des_contrats(&[cdd.clone(), rompu.clone()]),
            Some(date("2024-03-31"))
        );

        let mut c = recrue();
        assert_eq!(c.statut_le(today), S::EnPoste);
        assert_eq!(c.sortie_le(today), None);
        c.contrats = vec![cdd.clone(), rompu];
        c.fin_contrats = fin_des_contrats(&c.contrats);
        assert_eq!(c.statut_le(today), S::Sorti);
        assert_eq!(
            c.sortie_le(today),
            Some((date("2024-03-31"), MotifSortie::Rupture))
        );
        assert_eq!(
            c.statut_le(date("2024-03-31")),
            S::EnPoste,
            "until its last day"
        );
        c.contrats = vec![cdd];
        c.fin_contrats = fin_des_contrats(&c.contrats);
        assert_eq!(
            c.sortie_le(today),
            Some((date("2023-12-31"), MotifSortie::FinDeContrat))
        );
        let personne = Conseiller::personne(
            c.departement.clone(),
            c.structure_id.clone(),
            c.identite.clone().unwrap(),
        );
        assert_eq!(personne.statut_le(today), S::SansContrat);
        assert_eq!(personne.sortie_le(today), None);
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
}

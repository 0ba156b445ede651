//! Conventions: the State–collectivités agreement of one département, from draft to execution.
//!
//! One status machine ([`StatutConvention`] with [`ActionConvention`]), and the rules of each
//! action as plain functions: the deadline of the hosting project, the chronology of effective
//! dates, the split of the posts among hosts, and amendments (avenants).

use chrono::NaiveDate;

use super::calendar;
use super::codes::{CodeDepartement, CodeRegion};
use super::ids::{AvenantId, ConventionId, StructureId};
use super::lifecycle::Lifecycle;
use super::refusal::{
    FieldError, REFERENCE_INVALIDE, Refusal, RefusalCode, RefusalKind, VALIDATION,
};
use super::split::largest_remainders;
use crate::closed_enum;

closed_enum! {
    /// Statut d'une convention. `brouillon → signee → projet_depose → en_execution → terminee` ;
    /// `resiliee` depuis tout statut non final.
    StatutConvention, "statut de convention" {
        /// Préparée, pas encore signée.
        Brouillon = "brouillon",
        /// Signée : le projet d'accueil est attendu avant la date limite.
        Signee = "signee",
        /// Le projet d'accueil est déposé, en attente de validation.
        ProjetDepose = "projet_depose",
        /// Le projet est validé : recrutement, formation et déploiement des conseillers.
        EnExecution = "en_execution",
        /// Exécutée et close (statut final).
        Terminee = "terminee",
        /// Résiliée avant son terme (statut final).
        Resiliee = "resiliee",
    }
}

closed_enum! {
    /// Action sur une convention.
    ActionConvention, "action sur une convention" {
        /// Modifier les champs libres (`PATCH`).
        Modification = "modification",
        /// Signer (`POST …/signature`).
        Signature = "signature",
        /// Déposer le projet d'accueil (`POST …/projet-accueil`).
        ProjetAccueil = "projet_accueil",
        /// Valider le projet d'accueil (`POST …/validation`).
        Validation = "validation",
        /// Ajouter ou retirer des postes (`POST …/avenants`).
        Avenant = "avenant",
        /// Résilier (`POST …/resiliation`).
        Resiliation = "resiliation",
        /// Clore une convention exécutée (`POST …/cloture`).
        Cloture = "cloture",
    }
}

impl Lifecycle for StatutConvention {
    type Action = ActionConvention;

    fn after(self, action: ActionConvention) -> Option<StatutConvention> {
        use ActionConvention as A;
        use StatutConvention as S;
        match (self, action) {
            (S::Terminee | S::Resiliee, _) => None,
            (_, A::Modification) => Some(self),
            (_, A::Resiliation) => Some(S::Resiliee),
            (S::Brouillon, A::Signature) => Some(S::Signee),
            (S::Signee, A::ProjetAccueil) => Some(S::ProjetDepose),
            (S::ProjetDepose, A::Validation) => Some(S::EnExecution),
            (S::Signee | S::ProjetDepose | S::EnExecution, A::Avenant) => Some(self),
            (S::EnExecution, A::Cloture) => Some(S::Terminee),
            _ => None,
        }
    }
}

closed_enum! {
    /// Sens d'un avenant.
    TypeAvenant, "type d'avenant" {
        /// Des postes s'ajoutent aux postes attribués.
        Ajout = "ajout",
        /// Des postes sont rendus.
        Retrait = "retrait",
    }
}

/// A convention as stored, with its signatories and the current split of its posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Convention {
    /// Its identifier.
    pub id: ConventionId,
    /// Its readable number (`CNFS-93-2026-0001`).
    pub numero: String,
    /// Its département.
    pub departement: CodeDepartement,
    /// The département's région.
    pub region: CodeRegion,
    /// Its title.
    pub intitule: String,
    /// Posts granted (follows the avenants).
    pub postes_attribues: i64,
    /// Posts held by active advisors.
    pub postes_pourvus: i64,
    /// Months allowed to file the hosting project after signature.
    pub delai_projet_mois: i64,
    /// Its status.
    pub statut: StatutConvention,
    /// Signed on.
    pub date_signature: Option<NaiveDate>,
    /// The hosting project is due by.
    pub date_limite_projet: Option<NaiveDate>,
    /// The hosting project was filed on.
    pub date_depot: Option<NaiveDate>,
    /// Places of activity the project plans.
    pub lieux_prevus: Option<i64>,
    /// The project was validated on.
    pub date_validation: Option<NaiveDate>,
    /// Closed on.
    pub date_cloture: Option<NaiveDate>,
    /// Terminated on.
    pub date_resiliation: Option<NaiveDate>,
    /// Why it was terminated.
    pub motif_resiliation: Option<String>,
    /// Signatory structures.
    pub signataires: Vec<StructureId>,
    /// The split of the posts among hosts (empty before the project).
    pub repartition: Vec<PartHote>,
    /// Row version (its `ETag`).
    pub version: i64,
    /// Created at (RFC 3339 UTC).
    pub cree_le: String,
    /// Last changed at (RFC 3339 UTC).
    pub modifie_le: String,
}

impl Convention {
    /// The structures that see this convention: signatories and hosts.
    pub fn structures(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .signataires
            .iter()
            .chain(self.repartition.iter().map(|part| &part.structure_id))
            .map(|id| id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The date of the last step reached (for the chronology of a termination).
    pub fn derniere_etape(&self) -> Option<(&'static str, NaiveDate)> {
        [
            ("date_validation", self.date_validation),
            ("date_depot", self.date_depot),
            ("date_signature", self.date_signature),
        ]
        .into_iter()
        .find_map(|(field, date)| date.map(|d| (field, d)))
    }

    /// The employers of this convention and their posts, whom its money goes to: the hosts of
    /// its split with their posts; before a split exists, its signatories, sharing the posts
    /// granted equally by largest remainders (the earlier signatory first on a tie).
    pub fn parts_employeurs(&self) -> Vec<(&StructureId, i64)> {
        parts_employeurs(self.postes_attribues, &self.signataires, &self.repartition)
    }
}

/// A convention's employers and their posts from its posts granted, signatories and split (see
/// [`Convention::parts_employeurs`]); also read from a stored view of an earlier state.
pub fn parts_employeurs<'a>(
    postes_attribues: i64,
    signataires: &'a [StructureId],
    repartition: &'a [PartHote],
) -> Vec<(&'a StructureId, i64)> {
    if !repartition.is_empty() {
        return repartition
            .iter()
            .map(|part| (&part.structure_id, part.postes))
            .collect();
    }
    let parts = postes_des_signataires(postes_attribues, signataires.len());
    signataires.iter().zip(parts).collect()
}

/// Before a split exists, the posts granted shared equally among `signataires` signatories by
/// largest remainders (the earlier one first on a tie).
pub fn postes_des_signataires(postes_attribues: i64, signataires: usize) -> Vec<i64> {
    largest_remainders(postes_attribues, &vec![1; signataires])
}

/// An amendment, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avenant {
    /// Its identifier.
    pub id: AvenantId,
    /// Its convention.
    pub convention_id: ConventionId,
    /// Its rank in the convention's history (1, 2…).
    pub rang: i64,
    /// Adds or withdraws.
    pub type_avenant: TypeAvenant,
    /// How many posts.
    pub nombre_postes: i64,
    /// Why.
    pub motif: String,
    /// Posts granted before.
    pub postes_avant: i64,
    /// Posts granted after.
    pub postes_apres: i64,
    /// Who (token subject).
    pub auteur: String,
    /// When (RFC 3339 UTC).
    pub cree_le: String,
}

/// Default time allowed to file the hosting project after signature, in months.
pub const DELAI_PROJET_PAR_DEFAUT: u32 = 2;

/// 422: the hosting project does not account for every post granted.
pub const REPARTITION_INCOMPLETE: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "repartition_incomplete",
    title: "Répartition incomplète",
    example: "La répartition compte 78 postes ; la convention en attribue 80.",
};

/// 422: an amendment would take the posts below those already filled, or below one.
pub const POSTES_INSUFFISANTS: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "postes_insuffisants",
    title: "Retrait de postes impossible",
    example: "Retirer 5 postes laisserait 75 postes pour 78 déjà pourvus.",
};

/// 422: a structure that cannot take part (signatory outside the département, host neither
/// signatory nor of the département, unknown structure).
pub const STRUCTURE_NON_ELIGIBLE: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "structure_non_eligible",
    title: "Structure non éligible",
    example: "La structure 0193… n'est pas du département 93.",
};

/// The deadline of the hosting project: signature + délai, in calendar months (month ends clamp).
pub fn date_limite_projet(date_signature: NaiveDate, delai_mois: u32) -> Option<NaiveDate> {
    calendar::add_months(date_signature, delai_mois)
}

/// Whether a convention is late: signed, its deadline passed, no project filed.
pub fn en_retard(
    statut: StatutConvention,
    date_limite: Option<NaiveDate>,
    today: NaiveDate,
) -> bool {
    statut == StatutConvention::Signee && date_limite.is_some_and(|limit| today > limit)
}

/// Days left before the project's deadline (negative once passed), while the project is awaited.
pub fn jours_restants(
    statut: StatutConvention,
    date_limite: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<i64> {
    match (statut, date_limite) {
        (StatutConvention::Signee, Some(limit)) => Some(calendar::days_between(today, limit)),
        _ => None,
    }
}

/// One line of a hosting project: a host structure and its posts. Also its stored form (the
/// JSON copy of the split in `conventions.repartition`, where older rows lack
/// `postes_coordinateur`: 0).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PartHote {
    /// The host.
    pub structure_id: StructureId,
    /// Its posts (at least one).
    pub postes: i64,
    /// How many of them are coordinator posts (at most `postes`).
    #[serde(default)]
    pub postes_coordinateur: i64,
}

/// A hosting project's split must name each host once and account for every post granted.
pub fn check_repartition(postes_attribues: i64, repartition: &[PartHote]) -> Result<(), Refusal> {
    for (index, part) in repartition.iter().enumerate() {
        if repartition[..index]
            .iter()
            .any(|earlier| earlier.structure_id == part.structure_id)
        {
            let detail = format!(
                "La structure {} apparaît deux fois dans la répartition.",
                part.structure_id
            );
            return Err(
                Refusal::new(&VALIDATION, detail.clone()).with_error(FieldError::pointer(
                    format!("/repartition/{index}/structure_id"),
                    detail,
                )),
            );
        }
        if part.postes_coordinateur > part.postes {
            let detail = format!(
                "{} poste(s) de coordinateur pour {} poste(s) en tout.",
                part.postes_coordinateur, part.postes
            );
            return Err(
                Refusal::new(&VALIDATION, detail.clone()).with_error(FieldError::pointer(
                    format!("/repartition/{index}/postes_coordinateur"),
                    detail,
                )),
            );
        }
    }
    let repartis: i64 = repartition.iter().map(|part| part.postes).sum();
    if repartis != postes_attribues {
        let detail = format!(
            "La répartition compte {repartis} poste(s) ; la convention en attribue {postes_attribues}."
        );
        return Err(Refusal::new(&REPARTITION_INCOMPLETE, detail.clone())
            .with_error(FieldError::pointer("/repartition", detail))
            .with_member("postes_attribues", postes_attribues)
            .with_member("postes_repartis", repartis));
    }
    Ok(())
}

/// The posts granted after an amendment. A withdrawal keeps at least one post and never goes
/// below the posts already filled by active advisors.
pub fn postes_apres_avenant(
    postes_attribues: i64,
    postes_pourvus: i64,
    kind: TypeAvenant,
    nombre: i64,
) -> Result<i64, Refusal> {
    let refusal = |detail: String| {
        Refusal::new(&POSTES_INSUFFISANTS, detail.clone())
            .with_error(FieldError::pointer("/nombre_postes", detail))
            .with_member("postes_attribues", postes_attribues)
            .with_member("postes_pourvus", postes_pourvus)
    };
    match kind {
        TypeAvenant::Ajout => postes_attribues
            .checked_add(nombre)
            .ok_or_else(|| refusal(format!("Ajouter {nombre} postes dépasse toute limite."))),
        TypeAvenant::Retrait => {
            let after = postes_attribues - nombre;
            if after < postes_pourvus {
                Err(refusal(format!(
                    "Retirer {nombre} poste(s) laisserait {after} poste(s) pour {postes_pourvus} déjà pourvu(s)."
                )))
            } else if after < 1 {
                Err(refusal(format!(
                    "Retirer {nombre} poste(s) n'en laisserait aucun sur {postes_attribues} : résilier la convention plutôt."
                )))
            } else {
                Ok(after)
            }
        }
    }
}

/// Whether an amendment must come with a new split of the posts: once the project is filed.
pub fn avenant_requiert_repartition(statut: StatutConvention) -> bool {
    matches!(
        statut,
        StatutConvention::ProjetDepose | StatutConvention::EnExecution
    )
}

/// An amendment carries a new split (`with_split`) exactly when the project is filed: required
/// then (the split must account for the new number of posts), refused before (the split comes
/// with the project). 422 `validation` on `/repartition` otherwise.
pub fn check_repartition_avenant(
    statut: StatutConvention,
    with_split: bool,
) -> Result<(), Refusal> {
    let detail = match (avenant_requiert_repartition(statut), with_split) {
        (true, false) => {
            "Le projet d'accueil est déposé : l'avenant doit porter la nouvelle répartition de tous les postes."
        }
        (false, true) => "Aucun projet d'accueil n'est déposé : la répartition viendra avec lui.",
        _ => return Ok(()),
    };
    Err(Refusal::new(&VALIDATION, detail).with_error(FieldError::pointer("/repartition", detail)))
}

/// The département of each structure a request names (`None`: no such structure).
pub type Departements<'a> = &'a dyn Fn(&StructureId) -> Option<CodeDepartement>;

/// Signatories are named once each, exist, and belong to the convention's département.
pub fn check_signataires(
    departement: &CodeDepartement,
    signataires: &[StructureId],
    departement_of: Departements<'_>,
) -> Result<(), Refusal> {
    for (index, id) in signataires.iter().enumerate() {
        let pointer = format!("/signataires/{index}");
        if signataires[..index].contains(id) {
            let detail = format!("La structure {id} est nommée deux fois.");
            return Err(Refusal::new(&VALIDATION, detail.clone())
                .with_error(FieldError::pointer(pointer, detail)));
        }
        match departement_of(id) {
            None => {
                let detail = format!("Aucune structure d'identifiant {id}.");
                return Err(Refusal::new(&REFERENCE_INVALIDE, detail.clone())
                    .with_error(FieldError::pointer(pointer, detail)));
            }
            Some(found) if found != *departement => {
                let detail = format!(
                    "La structure {id} est du département {found}, pas du département {departement}."
                );
                return Err(Refusal::new(&STRUCTURE_NON_ELIGIBLE, detail.clone())
                    .with_error(FieldError::pointer(pointer, detail)));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Every host of a split exists and is a signatory or a structure of the convention's
/// département (`field`: where the split is in the body, `/repartition`).
pub fn check_hotes(
    convention: &Convention,
    repartition: &[PartHote],
    departement_of: Departements<'_>,
) -> Result<(), Refusal> {
    for (index, part) in repartition.iter().enumerate() {
        let pointer = format!("/repartition/{index}/structure_id");
        let id = &part.structure_id;
        match departement_of(id) {
            None => {
                let detail = format!("Aucune structure d'identifiant {id}.");
                return Err(Refusal::new(&REFERENCE_INVALIDE, detail.clone())
                    .with_error(FieldError::pointer(pointer, detail)));
            }
            Some(found)
                if found != convention.departement && !convention.signataires.contains(id) =>
            {
                let detail = format!(
                    "La structure {id} n'est ni signataire ni du département {} (elle est du {found}).",
                    convention.departement
                );
                return Err(Refusal::new(&STRUCTURE_NON_ELIGIBLE, detail.clone())
                    .with_error(FieldError::pointer(pointer, detail)));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The readable number of a convention: `CNFS-93-2026-0001` (département, year of creation, and
/// the département's sequence, on four digits or more).
pub fn numero(departement: &CodeDepartement, annee: i32, sequence: i64) -> String {
    format!("CNFS-{departement}-{annee}-{sequence:04}")
}

/// 409: advisors are recruited only on a convention in execution.
pub const CONVENTION_HORS_EXECUTION: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "convention_hors_execution",
    title: "Convention hors exécution",
    example: "La convention est au statut « signee » : on ne recrute que sur une convention en exécution.",
};

/// Advisors are recruited on a convention in execution only.
pub fn check_convention_en_execution(statut: StatutConvention) -> Result<(), Refusal> {
    if statut != StatutConvention::EnExecution {
        return Err(Refusal::new(
            &CONVENTION_HORS_EXECUTION,
            format!(
                "La convention est au statut « {statut} » : on ne recrute que sur une convention en exécution."
            ),
        )
        .with_member("statut_convention", statut.as_str()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{allowed_actions, apply};
    use ActionConvention as A;
    use StatutConvention as S;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    /// Every (status, action) pair, written out: the table of docs/API.md.
    #[test]
    fn every_status_and_action_pair() {
        let expected: &[(S, A, Option<S>)] = &[
            (S::Brouillon, A::Modification, Some(S::Brouillon)),
            (S::Brouillon, A::Signature, Some(S::Signee)),
            (S::Brouillon, A::ProjetAccueil, None),
            (S::Brouillon, A::Validation, None),
            (S::Brouillon, A::Avenant, None),
            (S::Brouillon, A::Resiliation, Some(S::Resiliee)),
            (S::Brouillon, A::Cloture, None),
            (S::Signee, A::Modification, Some(S::Signee)),
            (S::Signee, A::Signature, None),
            (S::Signee, A::ProjetAccueil, Some(S::ProjetDepose)),
            (S::Signee, A::Validation, None),
            (S::Signee, A::Avenant, Some(S::Signee)),
            (S::Signee, A::Resiliation, Some(S::Resiliee)),
            (S::Signee, A::Cloture, None),
            (S::ProjetDepose, A::Modification, Some(S::ProjetDepose)),
            (S::ProjetDepose, A::Signature, None),
            (S::ProjetDepose, A::ProjetAccueil, None),
            (S::ProjetDepose, A::Validation, Some(S::EnExecution)),
            (S::ProjetDepose, A::Avenant, Some(S::ProjetDepose)),
            (S::ProjetDepose, A::Resiliation, Some(S::Resiliee)),
            (S::ProjetDepose, A::Cloture, None),
            (S::EnExecution, A::Modification, Some(S::EnExecution)),
            (S::EnExecution, A::Signature, None),
            (S::EnExecution, A::ProjetAccueil, None),
            (S::EnExecution, A::Validation, None),
            (S::EnExecution, A::Avenant, Some(S::EnExecution)),
            (S::EnExecution, A::Resiliation, Some(S::Resiliee)),
            (S::EnExecution, A::Cloture, Some(S::Terminee)),
        ];
        let mut checked = 0;
        for &status in S::ALL {
            for &action in A::ALL {
                let wanted = expected
                    .iter()
                    .find(|(s, a, _)| *s == status && *a == action)
                    .map(|(_, _, to)| *to)
                    .unwrap_or(None); // final statuses allow nothing
                assert_eq!(status.after(action), wanted, "{status:?} + {action:?}");
                match wanted {
                    Some(to) => assert_eq!(apply(status, action), Ok(to)),
                    None => {
                        let refusal = apply(status, action).unwrap_err();
                        assert_eq!(refusal.code.code, "transition_invalide");
                        assert_eq!(refusal.members["statut_actuel"], status.as_str());
                    }
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 42);
        assert!(allowed_actions(S::Terminee).is_empty());
        assert!(allowed_actions(S::Resiliee).is_empty());
        assert_eq!(
            allowed_actions(S::Signee),
            [
                A::Modification,
                A::ProjetAccueil,
                A::Avenant,
                A::Resiliation
            ]
        );
    }

    #[test]
    fn the_deadline_is_signature_plus_the_delay_in_calendar_months() {
        assert_eq!(
            date_limite_projet(date("2021-02-08"), 2),
            Some(date("2021-04-08"))
        );
        assert_eq!(
            date_limite_projet(date("2021-12-31"), 2),
            Some(date("2022-02-28"))
        );
    }

    #[test]
    fn late_means_signed_past_the_deadline_without_a_project() {
        let limit = Some(date("2021-04-08"));
        assert!(!en_retard(S::Signee, limit, date("2021-04-08")));
        assert!(en_retard(S::Signee, limit, date("2021-04-09")));
        assert!(!en_retard(S::ProjetDepose, limit, date("2022-01-01")));
        assert!(!en_retard(S::Brouillon, None, date("2022-01-01")));
        assert_eq!(
            jours_restants(S::Signee, limit, date("2021-04-01")),
            Some(7)
        );
        assert_eq!(
            jours_restants(S::Signee, limit, date("2021-04-10")),
            Some(-2)
        );
        assert_eq!(
            jours_restants(S::EnExecution, limit, date("2021-04-01")),
            None
        );
    }

    fn part(id: &str, postes: i64) -> PartHote {
        PartHote {
            structure_id: StructureId::parse(id).unwrap(),
            postes,
            postes_coordinateur: 0,
        }
    }

    const A_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90";
    const B_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91";

    #[test]
    fn a_split_accounts_for_every_post_once() {
        assert_eq!(
            check_repartition(80, &[part(A_ID, 50), part(B_ID, 30)]),
            Ok(())
        );
        let short = check_repartition(80, &[part(A_ID, 50), part(B_ID, 28)]).unwrap_err();
        assert_eq!(short.code.code, "repartition_incomplete");
        assert_eq!(short.members["postes_repartis"], 78);
        assert!(check_repartition(80, &[part(A_ID, 50), part(B_ID, 31)]).is_err());
        let twice = check_repartition(80, &[part(A_ID, 40), part(A_ID, 40)]).unwrap_err();
        assert_eq!(
            twice.code_at(),
            ("validation", Some("/repartition/1/structure_id"))
        );
        let mut coordinated = part(B_ID, 30);
        coordinated.postes_coordinateur = 30;
        assert!(check_repartition(80, &[part(A_ID, 50), coordinated.clone()]).is_ok());
        coordinated.postes_coordinateur = 31;
        let too_many = check_repartition(80, &[part(A_ID, 50), coordinated]).unwrap_err();
        assert_eq!(
            too_many.code_at(),
            ("validation", Some("/repartition/1/postes_coordinateur"))
        );
    }

    #[test]
    fn amendments_add_or_withdraw_but_never_below_the_filled_posts() {
        assert_eq!(postes_apres_avenant(80, 0, TypeAvenant::Ajout, 5), Ok(85));
        assert_eq!(
            postes_apres_avenant(80, 70, TypeAvenant::Retrait, 10),
            Ok(70)
        );
        let refusal = postes_apres_avenant(80, 78, TypeAvenant::Retrait, 5).unwrap_err();
        assert_eq!(refusal.code.code, "postes_insuffisants");
        assert_eq!(refusal.members["postes_pourvus"], 78);
        assert!(postes_apres_avenant(80, 0, TypeAvenant::Retrait, 80).is_err());
        assert!(postes_apres_avenant(i64::MAX, 0, TypeAvenant::Ajout, 1).is_err());
        assert!(!avenant_requiert_repartition(S::Signee));
        assert!(avenant_requiert_repartition(S::ProjetDepose));
        assert!(avenant_requiert_repartition(S::EnExecution));
        assert_eq!(check_repartition_avenant(S::Signee, false), Ok(()));
        assert_eq!(check_repartition_avenant(S::EnExecution, true), Ok(()));
        for (statut, with_split) in [
            (S::Signee, true),
            (S::ProjetDepose, false),
            (S::EnExecution, false),
        ] {
            let refusal = check_repartition_avenant(statut, with_split).unwrap_err();
            assert_eq!(refusal.code_at(), ("validation", Some("/repartition")));
        }
    }

    #[test]
    fn signatories_and_hosts_must_exist_and_belong() {
        let a = StructureId::parse(A_ID).unwrap();
        let b = StructureId::parse(B_ID).unwrap();
        let dep93 = CodeDepartement::parse("93").unwrap();
        let dep75 = CodeDepartement::parse("75").unwrap();
        let known = |id: &StructureId| {
            if id.as_str() == A_ID {
                Some(CodeDepartement::parse("93").unwrap())
            } else if id.as_str() == B_ID {
                Some(CodeDepartement::parse("75").unwrap())
            } else {
                None
            }
        };
        assert_eq!(
            check_signataires(&dep93, std::slice::from_ref(&a), &known),
            Ok(())
        );
        let refusal = check_signataires(&dep93, &[a.clone(), b.clone()], &known).unwrap_err();
        assert_eq!(
            refusal.code_at(),
            ("structure_non_eligible", Some("/signataires/1"))
        );
        assert_eq!(
            check_signataires(&dep93, &[a.clone(), a.clone()], &known)
                .unwrap_err()
                .code
                .code,
            "validation"
        );
        let unknown = StructureId::parse("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f99").unwrap();
        assert_eq!(
            check_signataires(&dep93, std::slice::from_ref(&unknown), &known)
                .unwrap_err()
                .code
                .code,
            "reference_invalide"
        );
        // Hosts: a signatory from elsewhere is fine; a non-signatory from elsewhere is not.
        let mut convention = sample(dep93.clone());
        convention.signataires = vec![a.clone()];
        let refusal =
            check_hotes(&convention, &[part(A_ID, 40), part(B_ID, 40)], &known).unwrap_err();
        assert_eq!(
            refusal.code_at(),
            (
                "structure_non_eligible",
                Some("/repartition/1/structure_id")
            )
        );
        convention.departement = dep75;
        convention.signataires = vec![a];
        assert_eq!(
            check_hotes(&convention, &[part(A_ID, 40), part(B_ID, 40)], &known),
            Ok(())
        );
    }

    fn sample(departement: CodeDepartement) -> Convention {
        Convention {
            id: ConventionId::new(),
            numero: "CNFS-93-2021-0001".into(),
            departement,
            region: CodeRegion::parse("11").unwrap(),
            intitule: "x".into(),
            postes_attribues: 80,
            postes_pourvus: 0,
            delai_projet_mois: 2,
            statut: S::Signee,
            date_signature: None,
            date_limite_projet: None,
            date_depot: None,
            lieux_prevus: None,
            date_validation: None,
            date_cloture: None,
            date_resiliation: None,
            motif_resiliation: None,
            signataires: vec![],
            repartition: vec![],
            version: 1,
            cree_le: String::new(),
            modifie_le: String::new(),
        }
    }

    #[test]
    fn numbers_are_readable_and_grow_past_four_digits() {
        let code = CodeDepartement::parse("93").unwrap();
        assert_eq!(numero(&code, 2026, 1), "CNFS-93-2026-0001");
        assert_eq!(numero(&code, 2026, 12345), "CNFS-93-2026-12345");
        let corse = CodeDepartement::parse("2A").unwrap();
        assert_eq!(numero(&corse, 2021, 7), "CNFS-2A-2021-0007");
    }
}

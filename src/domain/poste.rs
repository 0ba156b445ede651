//! Posts (postes): each post a convention attributes to a host is an object, from the validation
//! of the hosting project (or the avenant that adds it) until it is returned.
//!
//! A post is `vacant`, `occupe` (an advisor holds it) or `rendu` (returned: final), since a date;
//! of the `conseiller` or `coordinateur` typology; and keeps its history (attribution,
//! occupations, releases, transfers, return). The rules here are plain functions: the posts a
//! split creates, what a new split changes host by host, a transfer's conditions and the split
//! after it, and how long a post has been vacant (the programme's rule since 2025: a post vacant
//! for more than six months must be returned).

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::codes::CodeDepartement;
use super::convention::{PartHote, STRUCTURE_NON_ELIGIBLE, StatutConvention};
use super::ids::{ConseillerId, ContratId, ConventionId, PosteId, StructureId};
use super::refusal::{FieldError, Refusal, RefusalCode, RefusalKind};
use crate::closed_enum;

closed_enum! {
    /// Typologie d'un poste.
    TypologiePoste, "typologie de poste" {
        /// Poste de conseiller numérique.
        Conseiller = "conseiller",
        /// Poste de coordinateur, qui coordonne des conseillers (`postes_coordinateur`).
        Coordinateur = "coordinateur",
    }
}

closed_enum! {
    /// État d'un poste : `vacant` ⇄ `occupe`, et `rendu` (final) depuis `vacant`.
    EtatPoste, "état de poste" {
        /// Attribué, sans titulaire.
        Vacant = "vacant",
        /// Tenu par un conseiller.
        Occupe = "occupe",
        /// Rendu (retrait par avenant, fin de la convention) : il ne compte plus.
        Rendu = "rendu",
    }
}

closed_enum! {
    /// Événement de l'historique d'un poste.
    EvenementPoste, "événement de poste" {
        /// Le poste est attribué à la structure (validation du projet d'accueil, avenant d'ajout).
        Attribution = "attribution",
        /// Un conseiller prend le poste.
        Occupation = "occupation",
        /// Le conseiller quitte le poste : vacant à partir de cette date.
        Liberation = "liberation",
        /// Le poste passe à une autre structure d'accueil de la convention.
        Transfert = "transfert",
        /// Le poste est rendu.
        Rendu = "rendu",
    }
}

/// Une étape de l'historique d'un poste : l'événement, sa date, l'état où il laisse le poste, la
/// structure d'accueil et le titulaire d'alors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "date": "2021-06-01", "evenement": "occupation", "etat": "occupe",
    "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90",
    "conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98"
}))]
pub struct EtapePoste {
    /// Date de l'événement.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Événement.
    pub evenement: EvenementPoste,
    /// État du poste après l'événement.
    pub etat: EtatPoste,
    /// Structure d'accueil après l'événement.
    pub structure_id: StructureId,
    /// Titulaire après l'événement ; null quand le poste est vacant ou rendu.
    pub conseiller_id: Option<ConseillerId>,
}

/// Un poste attribué à une structure d'accueil par une convention, avec son historique.
// As stored (its history read with it) and the API's view of it (`api::poste` re-exports it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa2",
    "convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91",
    "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "departement": "93",
    "typologie": "conseiller", "etat": "occupe", "depuis": "2021-06-01",
    "conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98",
    "contrat_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa5",
    "historique": [
        {"date": "2021-04-15", "evenement": "attribution", "etat": "vacant",
         "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "conseiller_id": null},
        {"date": "2021-06-01", "evenement": "occupation", "etat": "occupe",
         "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90",
         "conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98"}
    ],
    "version": 2
}))]
pub struct Poste {
    /// Identifiant.
    pub id: PosteId,
    /// Convention qui attribue le poste.
    pub convention_id: ConventionId,
    /// Structure d'accueil qui tient le poste (un transfert la change).
    pub structure_id: StructureId,
    /// Département de la convention.
    pub departement: CodeDepartement,
    /// Typologie : `conseiller` ou `coordinateur`.
    pub typologie: TypologiePoste,
    /// État : `vacant`, `occupe` ou `rendu`.
    pub etat: EtatPoste,
    /// Date de l'état actuel (vacant depuis, occupé depuis, rendu depuis).
    #[schema(value_type = String, format = Date)]
    pub depuis: NaiveDate,
    /// Titulaire quand le poste est occupé ; null sinon.
    pub conseiller_id: Option<ConseillerId>,
    /// Contrat du titulaire quand le poste est occupé ; null sinon.
    pub contrat_id: Option<ContratId>,
    /// Premier jour de vacance déjà connu d'un poste occupé : le lendemain de la fin prévue du
    /// contrat à durée déterminée de son titulaire (`date_fin`) ; null sinon. Ce jour-là, le
    /// poste devient vacant sans autre traitement.
    #[schema(value_type = Option<String>, format = Date)]
    pub libere_le: Option<NaiveDate>,
    /// Historique, du plus ancien au plus récent.
    pub historique: Vec<EtapePoste>,
    /// Version (son `ETag`).
    pub version: i64,
}

impl Poste {
    /// A new vacant post of `typologie` for `structure`, attributed on `date` (its history: the
    /// attribution). Its version is the storage's to set.
    pub fn attribue(
        convention_id: &ConventionId,
        departement: &CodeDepartement,
        structure_id: &StructureId,
        typologie: TypologiePoste,
        date: NaiveDate,
    ) -> Poste {
        Poste {
            id: PosteId::new(),
            convention_id: convention_id.clone(),
            structure_id: structure_id.clone(),
            departement: departement.clone(),
            typologie,
            etat: EtatPoste::Vacant,
            depuis: date,
            conseiller_id: None,
            contrat_id: None,
            libere_le: None,
            historique: vec![EtapePoste {
                date,
                evenement: EvenementPoste::Attribution,
                etat: EtatPoste::Vacant,
                structure_id: structure_id.clone(),
                conseiller_id: None,
            }],
            version: 1,
        }
    }

    /// Records `evenement` on `date`: the post's state, host and holder (the advisor and its
    /// contract) become the step's.
    pub fn passe(
        &mut self,
        date: NaiveDate,
        evenement: EvenementPoste,
        etat: EtatPoste,
        structure_id: StructureId,
        titulaire: Option<(ConseillerId, ContratId)>,
    ) {
        if etat != self.etat {
            self.depuis = date;
        }
        let (conseiller_id, contrat_id) = titulaire.unzip();
        self.etat = etat;
        self.structure_id = structure_id.clone();
        self.conseiller_id = conseiller_id.clone();
        self.contrat_id = contrat_id;
        self.libere_le = None;
        self.historique.push(EtapePoste {
            date,
            evenement,
            etat,
            structure_id,
            conseiller_id,
        });
    }

    /// The post as it stands on `today`: an occupied post whose holder's contract has reached
    /// its end (`libere_le` passed) is vacant since `libere_le`, its history showing the
    /// liberation on that day. Reads answer this; a write that locks the post records it.
    pub fn le(mut self, today: NaiveDate) -> Poste {
        if self.etat == EtatPoste::Occupe
            && let Some(jour) = self.libere_le.filter(|jour| *jour <= today)
        {
            let structure = self.structure_id.clone();
            self.passe(
                jour,
                EvenementPoste::Liberation,
                EtatPoste::Vacant,
                structure,
                None,
            );
        }
        self
    }

    /// The days a vacant post has been vacant on `today` (`None` when it is not vacant).
    pub fn jours_vacance(&self, today: NaiveDate) -> Option<i64> {
        (self.etat == EtatPoste::Vacant).then(|| (today - self.depuis).num_days().max(0))
    }
}

/// Past this many days of vacancy, a post must be returned (the programme's rule since 2025:
/// a post not filled again within six months).
pub const VACANCE_MAX_JOURS: i64 = 180;

/// 409: the post is not vacant (a transfer, an occupation, a return needs a vacant post).
pub const POSTE_NON_VACANT: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "poste_non_vacant",
    title: "Poste non vacant",
    example: "Le poste 0193… est « occupe » : seul un poste vacant peut être transféré.",
};

/// The typologies of the posts a host's part of a split creates: its coordinator posts, then
/// its advisor posts.
pub fn typologies(part: &PartHote) -> Vec<TypologiePoste> {
    let coordinateurs = part.postes_coordinateur.clamp(0, part.postes);
    let mut out = vec![TypologiePoste::Coordinateur; coordinateurs as usize];
    out.extend(vec![
        TypologiePoste::Conseiller;
        (part.postes - coordinateurs).max(0) as usize
    ]);
    out
}

/// The posts of one host in a validated convention, rebuilt from its advisors: for data written
/// without the use cases (the national seed), by the rule of the upgrade migration
/// `2026-12-08-000001_postes` for the data stored before posts existed.
///
/// One post per post of the host's `part` (its coordinator posts first, see [`typologies`]),
/// each attributed (vacant) on `date_validation`; then:
/// - a convention ended on `fin` (terminated or cancelled): every post returned on that day (no
///   advisor was active then: the rules refuse the end otherwise);
/// - otherwise the host's `actifs` (advisor, its contract, recruitment date), oldest recruitment
///   first (then by id), occupy its first advisor posts, each since its recruitment;
/// - its next advisor posts are vacant: the k-th of them since the day after the k-th most
///   recent of the host's `sorties` (exit dates: each exit freed a post, and the most recent ones
///   are the least likely to have been filled again), never before the validation; the others
///   since the validation, as are the coordinator posts (these advisors hold advisor posts).
///
/// Active advisors beyond the host's advisor posts get none: the caller keeps them within its
/// quota ([`check_quota`](super::conseiller::check_quota)). Ids are new; the version is the
/// storage's to set.
pub fn postes_reconstitues(
    convention_id: &ConventionId,
    departement: &CodeDepartement,
    part: &PartHote,
    date_validation: NaiveDate,
    fin: Option<NaiveDate>,
    actifs: &[(ConseillerId, ContratId, NaiveDate)],
    sorties: &[NaiveDate],
) -> Vec<Poste> {
    let structure = &part.structure_id;
    let mut actifs: Vec<&(ConseillerId, ContratId, NaiveDate)> = actifs.iter().collect();
    actifs.sort_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)));
    let mut actifs = actifs.into_iter();
    let mut sorties = sorties.to_vec();
    sorties.sort_unstable_by(|a, b| b.cmp(a));
    let mut sorties = sorties.into_iter();
    typologies(part)
        .into_iter()
        .map(|typologie| {
            let mut poste = Poste::attribue(
                convention_id,
                departement,
                structure,
                typologie,
                date_validation,
            );
            if let Some(fin) = fin {
                poste.passe(
                    fin,
                    EvenementPoste::Rendu,
                    EtatPoste::Rendu,
                    structure.clone(),
                    None,
                );
            } else if typologie == TypologiePoste::Conseiller {
                if let Some((conseiller, contrat, recrutement)) = actifs.next() {
                    poste.passe(
                        *recrutement,
                        EvenementPoste::Occupation,
                        EtatPoste::Occupe,
                        structure.clone(),
                        Some((conseiller.clone(), contrat.clone())),
                    );
                } else if let Some(sortie) = sorties.next() {
                    let libre = sortie.succ_opt().unwrap_or(sortie).max(date_validation);
                    poste.passe(
                        libre,
                        EvenementPoste::Liberation,
                        EtatPoste::Vacant,
                        structure.clone(),
                        None,
                    );
                    // Vacant before and after (its occupation by the advisor who left is not
                    // recorded, as in the migration), so `passe` kept the attribution's date:
                    // the vacancy runs from the release.
                    poste.depuis = libre;
                }
            }
            poste
        })
        .collect()
}

/// The posts a host keeps (vacant or occupied) by typology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostesTenus {
    /// The host.
    pub structure_id: StructureId,
    /// Of this typology.
    pub typologie: TypologiePoste,
    /// Vacant.
    pub vacants: i64,
    /// Occupied.
    pub occupes: i64,
}

/// What a new split changes for one host and typology: posts to create (`delta > 0`), or vacant
/// posts to return (`delta < 0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ecart {
    /// The host.
    pub structure_id: StructureId,
    /// The typology.
    pub typologie: TypologiePoste,
    /// Posts to create (positive) or to return (negative).
    pub delta: i64,
}

/// What a new split means for the posts (`tenus`: the posts hosts hold now): per host and
/// typology, posts to create or vacant posts to return; 409 `postes_occupes` when a host would
/// keep fewer posts of a typology than it has occupied.
pub fn ecarts(tenus: &[PostesTenus], repartition: &[PartHote]) -> Result<Vec<Ecart>, Refusal> {
    let mut keys: Vec<(StructureId, TypologiePoste)> = tenus
        .iter()
        .map(|t| (t.structure_id.clone(), t.typologie))
        .collect();
    for part in repartition {
        for typologie in TypologiePoste::ALL {
            keys.push((part.structure_id.clone(), *typologie));
        }
    }
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for (structure, typologie) in keys {
        let voulus = repartition
            .iter()
            .find(|p| p.structure_id == structure)
            .map_or(0, |part| {
                typologies(part)
                    .into_iter()
                    .filter(|t| *t == typologie)
                    .count() as i64
            });
        let (vacants, occupes) = tenus
            .iter()
            .find(|t| t.structure_id == structure && t.typologie == typologie)
            .map_or((0, 0), |t| (t.vacants, t.occupes));
        if voulus < occupes {
            return Err(Refusal::new(
                &POSTES_OCCUPES,
                format!(
                    "La structure {structure} aurait {voulus} poste(s) « {typologie} » pour {occupes} occupé(s) : enregistrer des sorties d'abord."
                ),
            )
            .with_member("structure_id", structure.as_str())
            .with_member("postes", voulus)
            .with_member("actifs", occupes));
        }
        let delta = voulus - (vacants + occupes);
        if delta != 0 {
            out.push(Ecart {
                structure_id: structure,
                typologie,
                delta,
            });
        }
    }
    Ok(out)
}

/// A transfer moves a vacant post of a convention in execution to another structure of the
/// convention's département (`destination`: that structure's département, `None` when unknown).
pub fn check_transfert(
    poste: &Poste,
    statut_convention: StatutConvention,
    vers: &StructureId,
    destination: Option<&CodeDepartement>,
) -> Result<(), Refusal> {
    if poste.etat != EtatPoste::Vacant {
        return Err(Refusal::new(
            &POSTE_NON_VACANT,
            format!(
                "Le poste {} est « {} » : seul un poste vacant peut être transféré.",
                poste.id, poste.etat
            ),
        )
        .with_member("etat", poste.etat.as_str()));
    }
    super::convention::check_convention_en_execution(statut_convention)?;
    let refus = |detail: String| {
        Refusal::new(&STRUCTURE_NON_ELIGIBLE, detail.clone())
            .with_error(FieldError::pointer("/structure_id", detail))
    };
    if vers == &poste.structure_id {
        return Err(refus(format!("La structure {vers} tient déjà ce poste.")));
    }
    if destination != Some(&poste.departement) {
        return Err(refus(format!(
            "La structure {vers} n'est pas une structure du département {}.",
            poste.departement
        )));
    }
    Ok(())
}

/// The split after a post of `typologie` moves from `de` to `vers`: one post less for the first
/// (gone from the split at zero), one more for the second (added to it if absent). The total is
/// unchanged.
pub fn repartition_apres_transfert(
    repartition: &[PartHote],
    de: &StructureId,
    vers: &StructureId,
    typologie: TypologiePoste,
) -> Vec<PartHote> {
    let coordinateur = i64::from(typologie == TypologiePoste::Coordinateur);
    let mut out: Vec<PartHote> = repartition
        .iter()
        .cloned()
        .filter_map(|mut part| {
            if &part.structure_id == de {
                part.postes -= 1;
                part.postes_coordinateur = (part.postes_coordinateur - coordinateur).max(0);
            }
            (part.postes > 0).then_some(part)
        })
        .collect();
    match out.iter_mut().find(|part| &part.structure_id == vers) {
        Some(part) => {
            part.postes += 1;
            part.postes_coordinateur += coordinateur;
        }
        None => out.push(PartHote {
            structure_id: vers.clone(),
            postes: 1,
            postes_coordinateur: coordinateur,
        }),
    }
    out
}

/// 409: a split or a withdrawal that would leave a host fewer posts than active advisors.
pub const POSTES_OCCUPES: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "postes_occupes",
    title: "Postes occupés",
    example: "La structure 0193… aurait 30 postes pour 35 conseillers actifs.",
};

#[cfg(test)]
mod tests {
    use super::*;

    fn structure(n: u8) -> StructureId {
        StructureId::parse(&format!("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f9{n}")).unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn part(n: u8, postes: i64, postes_coordinateur: i64) -> PartHote {
        PartHote {
            structure_id: structure(n),
            postes,
            postes_coordinateur,
        }
    }

    fn tenus(n: u8, typologie: TypologiePoste, vacants: i64, occupes: i64) -> PostesTenus {
        PostesTenus {
            structure_id: structure(n),
            typologie,
            vacants,
            occupes,
        }
    }

    #[test]
    fn a_part_creates_its_coordinator_posts_then_its_advisor_posts() {
        use TypologiePoste::{Conseiller as A, Coordinateur as C};
        assert_eq!(typologies(&part(0, 3, 1)), [C, A, A]);
        assert_eq!(typologies(&part(0, 2, 0)), [A, A]);
        assert_eq!(typologies(&part(0, 2, 2)), [C, C]);
    }

    #[test]
    fn a_new_split_creates_or_returns_posts_host_by_host() {
        use TypologiePoste::{Conseiller as A, Coordinateur as C};
        let now = [tenus(0, A, 2, 3), tenus(1, A, 1, 0)];
        // Host 0 gains a coordinator post and an advisor post; host 1 leaves; host 2 arrives.
        let split = [part(0, 7, 1), part(2, 1, 0)];
        let changes = ecarts(&now, &split).unwrap();
        let delta = |n: u8, t: TypologiePoste| {
            changes
                .iter()
                .find(|e| e.structure_id == structure(n) && e.typologie == t)
                .map_or(0, |e| e.delta)
        };
        assert_eq!(delta(0, A), 1);
        assert_eq!(delta(0, C), 1);
        assert_eq!(delta(1, A), -1);
        assert_eq!(delta(2, A), 1);
        assert_eq!(changes.len(), 4);
        // The same split again changes nothing.
        let same = [part(0, 5, 0), part(1, 1, 0)];
        assert!(ecarts(&now, &same).unwrap().is_empty());
        // Fewer posts than occupied: refused, naming the host.
        let refusal = ecarts(&now, &[part(0, 2, 0), part(1, 1, 0)]).unwrap_err();
        assert_eq!(refusal.code.code, "postes_occupes");
        assert_eq!(refusal.members["actifs"], 3);
        assert_eq!(refusal.members["postes"], 2);
        // Occupied advisor posts cannot become coordinator posts either.
        let refusal = ecarts(&now, &[part(0, 5, 3), part(1, 1, 0)]).unwrap_err();
        assert_eq!(refusal.code.code, "postes_occupes");
    }

    fn poste(etat: EtatPoste) -> Poste {
        let mut p = Poste::attribue(
            &ConventionId::new(),
            &CodeDepartement::parse("93").unwrap(),
            &structure(0),
            TypologiePoste::Conseiller,
            date("2021-04-15"),
        );
        if etat != EtatPoste::Vacant {
            let holder =
                (etat == EtatPoste::Occupe).then(|| (ConseillerId::new(), ContratId::new()));
            let event = match etat {
                EtatPoste::Occupe => EvenementPoste::Occupation,
                _ => EvenementPoste::Rendu,
            };
            p.passe(date("2021-06-01"), event, etat, structure(0), holder);
        }
        p
    }

    #[test]
    fn a_post_is_vacant_from_the_day_after_its_holders_fixed_term_contract_ends() {
        let mut p = poste(EtatPoste::Occupe);
        assert_eq!(
            p.clone().le(date("2030-01-01")),
            p,
            "no known end: still held"
        );
        p.libere_le = Some(date("2023-06-01"));
        let before = p.clone().le(date("2023-05-31"));
        assert_eq!(
            (before.etat, before.depuis),
            (EtatPoste::Occupe, date("2021-06-01"))
        );
        assert_eq!(before.historique.len(), 2);
        let after = p.clone().le(date("2023-06-01"));
        assert_eq!(
            (after.etat, after.depuis),
            (EtatPoste::Vacant, date("2023-06-01"))
        );
        assert_eq!(
            (&after.conseiller_id, &after.contrat_id, after.libere_le),
            (&None, &None, None)
        );
        let last = after.historique.last().unwrap();
        assert_eq!(
            (last.date, last.evenement, last.etat),
            (
                date("2023-06-01"),
                EvenementPoste::Liberation,
                EtatPoste::Vacant
            )
        );
        assert_eq!(after.jours_vacance(date("2023-06-11")), Some(10));
    }

    #[test]
    fn a_post_keeps_the_date_of_its_state_and_its_history() {
        let mut p = poste(EtatPoste::Vacant);
        assert_eq!(p.jours_vacance(date("2021-10-13")), Some(181));
        let holder = ConseillerId::new();
        p.passe(
            date("2021-06-01"),
            EvenementPoste::Occupation,
            EtatPoste::Occupe,
            structure(0),
            Some((holder.clone(), ContratId::new())),
        );
        assert_eq!((p.etat, p.depuis), (EtatPoste::Occupe, date("2021-06-01")));
        assert_eq!(p.conseiller_id, Some(holder));
        assert!(p.contrat_id.is_some());
        assert_eq!(p.jours_vacance(date("2022-01-01")), None);
        // A transfer keeps the state, so it keeps the date of the vacancy.
        let mut v = poste(EtatPoste::Vacant);
        v.passe(
            date("2021-09-01"),
            EvenementPoste::Transfert,
            EtatPoste::Vacant,
            structure(1),
            None,
        );
        assert_eq!(v.depuis, date("2021-04-15"));
        assert_eq!(v.structure_id, structure(1));
        assert_eq!(v.historique.len(), 2);
    }

    #[test]
    fn only_a_vacant_post_of_a_convention_in_execution_moves_within_its_departement() {
        let d93 = CodeDepartement::parse("93").unwrap();
        let d75 = CodeDepartement::parse("75").unwrap();
        let vacant = poste(EtatPoste::Vacant);
        let en_execution = StatutConvention::EnExecution;
        assert!(check_transfert(&vacant, en_execution, &structure(1), Some(&d93)).is_ok());
        for etat in [EtatPoste::Occupe, EtatPoste::Rendu] {
            let refusal =
                check_transfert(&poste(etat), en_execution, &structure(1), Some(&d93)).unwrap_err();
            assert_eq!(refusal.code.code, "poste_non_vacant");
            assert_eq!(refusal.members["etat"], etat.as_str());
        }
        let refusal = check_transfert(
            &vacant,
            StatutConvention::Terminee,
            &structure(1),
            Some(&d93),
        )
        .unwrap_err();
        assert_eq!(refusal.code.code, "convention_hors_execution");
        for (vers, departement) in [(1, Some(&d75)), (1, None), (0, Some(&d93))] {
            let refusal =
                check_transfert(&vacant, en_execution, &structure(vers), departement).unwrap_err();
            assert_eq!(
                refusal.code_at(),
                ("structure_non_eligible", Some("/structure_id"))
            );
        }
    }

    /// A post in short: typology, state, since, holder, the events of its history.
    type Resume = (
        TypologiePoste,
        EtatPoste,
        NaiveDate,
        Option<ConseillerId>,
        Vec<EvenementPoste>,
    );

    /// Each post in short, in order (checking that its last step is its state).
    fn resume(postes: &[Poste]) -> Vec<Resume> {
        postes
            .iter()
            .map(|p| {
                let last = p.historique.last().unwrap();
                // The last step is the post's state, date and holder.
                assert_eq!(
                    (last.etat, last.date, &last.conseiller_id),
                    (p.etat, p.depuis, &p.conseiller_id)
                );
                assert_eq!(p.historique[0].evenement, EvenementPoste::Attribution);
                (
                    p.typologie,
                    p.etat,
                    p.depuis,
                    p.conseiller_id.clone(),
                    p.historique.iter().map(|e| e.evenement).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn rebuilt_posts_are_occupied_by_the_oldest_recruits_then_vacant_since_the_latest_exits() {
        use EtatPoste::{Occupe, Vacant};
        use EvenementPoste::{Attribution as A, Liberation as L, Occupation as O};
        use TypologiePoste::{Conseiller, Coordinateur};
        let (convention, d93) = (ConventionId::new(), CodeDepartement::parse("93").unwrap());
        let validation = date("2021-03-01");
        let (early, late) = (ConseillerId::new(), ConseillerId::new());
        // Given out of order: the oldest recruitment takes the first advisor post.
        let actifs = [
            (late.clone(), ContratId::new(), date("2022-05-10")),
            (early.clone(), ContratId::new(), date("2021-04-01")),
        ];
        // Three exits for two free advisor posts: the two most recent ones date them.
        let sorties = [date("2021-09-30"), date("2023-01-15"), date("2022-02-28")];
        let rebuilt = |part: PartHote,
                       actifs: &[(ConseillerId, ContratId, NaiveDate)],
                       sorties: &[NaiveDate]| {
            postes_reconstitues(&convention, &d93, &part, validation, None, actifs, sorties)
        };
        let postes = rebuilt(part(0, 5, 1), &actifs, &sorties);
        assert!(postes.iter().all(|p| p.convention_id == convention
            && p.departement == d93
            && p.structure_id == structure(0)));
        assert_eq!(
            resume(&postes),
            [
                (Coordinateur, Vacant, validation, None, vec![A]),
                (
                    Conseiller,
                    Occupe,
                    date("2021-04-01"),
                    Some(early),
                    vec![A, O]
                ),
                (
                    Conseiller,
                    Occupe,
                    date("2022-05-10"),
                    Some(late),
                    vec![A, O]
                ),
                (Conseiller, Vacant, date("2023-01-16"), None, vec![A, L]),
                (Conseiller, Vacant, date("2022-03-01"), None, vec![A, L]),
            ]
        );
        // No exit: the free posts are vacant since the validation; an exit before it (data
        // from before the rules) dates none before it.
        let postes = rebuilt(part(0, 2, 0), &[], &[date("2021-01-10")]);
        assert_eq!(
            resume(&postes),
            [
                (Conseiller, Vacant, validation, None, vec![A, L]),
                (Conseiller, Vacant, validation, None, vec![A]),
            ]
        );
        // Coordinator posts only: none is occupied by these advisors.
        let postes = rebuilt(part(0, 2, 2), &actifs, &sorties);
        assert!(
            postes
                .iter()
                .all(|p| p.etat == Vacant && p.depuis == validation)
        );
    }

    #[test]
    fn rebuilt_posts_of_an_ended_convention_are_returned_at_its_end() {
        use EvenementPoste::{Attribution as A, Rendu as R};
        let fin = date("2024-03-31");
        let postes = postes_reconstitues(
            &ConventionId::new(),
            &CodeDepartement::parse("2A").unwrap(),
            &part(1, 3, 1),
            date("2021-03-01"),
            Some(fin),
            &[],
            &[date("2024-02-01"), date("2023-06-30")],
        );
        assert_eq!(postes.len(), 3);
        for (_, etat, depuis, holder, events) in resume(&postes) {
            assert_eq!(
                (etat, depuis, holder, events),
                (EtatPoste::Rendu, fin, None, vec![A, R])
            );
        }
        assert_eq!(postes[0].typologie, TypologiePoste::Coordinateur);
    }

    #[test]
    fn a_transfer_moves_one_post_and_keeps_the_total() {
        let split = [part(0, 1, 0), part(1, 3, 1)];
        let after = repartition_apres_transfert(
            &split,
            &structure(0),
            &structure(1),
            TypologiePoste::Conseiller,
        );
        assert_eq!(after, [part(1, 4, 1)]);
        let after = repartition_apres_transfert(
            &split,
            &structure(1),
            &structure(2),
            TypologiePoste::Coordinateur,
        );
        assert_eq!(after, [part(0, 1, 0), part(1, 2, 0), part(2, 1, 1)]);
        let total = |s: &[PartHote]| s.iter().map(|p| p.postes).sum::<i64>();
        assert_eq!(total(&after), total(&split));
    }
}

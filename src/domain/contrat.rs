//! Contracts (contrats): each employment of an advisor on a post is an object, with its type, its
//! dates and how it ended.
//!
//! A contract is in force from `date_debut` to its end, both days included: `date_rupture` when
//! it was broken early, else `date_fin` (fixed-term contracts; open-ended ones have none). Its
//! post is vacant from the day after. Its state ([`EtatContrat`]) is never stored: it is computed
//! on the service's date ([`Contrat::etat`]), so that a fixed-term contract ends without any job.

use chrono::NaiveDate;

use super::codes::CodeDepartement;
pub use super::conseiller::TypeContrat;
use super::conseiller::{Conseiller, MotifSortie};
use super::ids::{ConseillerId, ContratId, ConventionId, PosteId, StructureId};
use super::poste::TypologiePoste;
use super::refusal::{FieldError, Refusal, RefusalCode, RefusalKind};
use crate::closed_enum;

closed_enum! {
    /// État d'un contrat à la date du service.
    EtatContrat, "état de contrat" {
        /// En vigueur : commencé, ni rompu, ni arrivé à son terme.
        EnCours = "en_cours",
        /// Arrivé à son terme (`date_fin` passée) : constaté à la lecture, sans traitement.
        Termine = "termine",
        /// Rompu avant son terme (`date_rupture`).
        Rompu = "rompu",
    }
}

closed_enum! {
    /// Motif de la rupture d'un contrat.
    MotifRupture, "motif de rupture" {
        /// Le contrat à durée déterminée n'est pas reconduit.
        NonReconductionCdd = "non_reconduction_cdd",
        /// Licenciement.
        Licenciement = "licenciement",
        /// Démission.
        Demission = "demission",
        /// Rupture conventionnelle.
        RuptureConventionnelle = "rupture_conventionnelle",
        /// La subvention du poste a pris fin.
        FinDeSubventionnement = "fin_de_subventionnement",
        /// Autre motif (à préciser en commentaire).
        Autre = "autre",
    }
}

impl TypeContrat {
    /// Whether a contract of this type has a planned end (`date_fin`): every type but `cdi` and
    /// `titulaire`.
    pub fn a_duree_determinee(self) -> bool {
        !matches!(self, TypeContrat::Cdi | TypeContrat::Titulaire)
    }
}

/// How a contract was broken: its last day, the motif, a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rupture {
    /// The last day of the contract.
    pub date: NaiveDate,
    /// Why.
    pub motif: MotifRupture,
    /// A free comment.
    pub commentaire: Option<String>,
}

/// A contract as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contrat {
    /// Its identifier.
    pub id: ContratId,
    /// The advisor employed.
    pub conseiller_id: ConseillerId,
    /// The post it binds (`None` for a contract carried over that had ended before posts
    /// existed).
    pub poste_id: Option<PosteId>,
    /// The employer.
    pub structure_id: StructureId,
    /// The convention of the post.
    pub convention_id: ConventionId,
    /// The convention's département.
    pub departement: CodeDepartement,
    /// The typology of the post it takes.
    pub typologie: TypologiePoste,
    /// Its type.
    pub type_contrat: TypeContrat,
    /// First day.
    pub date_debut: NaiveDate,
    /// Planned last day (fixed-term contracts).
    pub date_fin: Option<NaiveDate>,
    /// How it was broken, if it was.
    pub rupture: Option<Rupture>,
    /// Gross monthly salary in cents, when known.
    pub salaire_brut_mensuel_centimes: Option<i64>,
    /// Row version (its `ETag`).
    pub version: i64,
}

impl Contrat {
    /// The contract of a recruit of the first model: its type, from its recruitment, on `poste`;
    /// no planned end (that model recorded none). Its version is the storage's to set.
    pub fn du_recrutement(conseiller: &Conseiller, poste: &PosteId) -> Contrat {
        Contrat {
            id: ContratId::new(),
            conseiller_id: conseiller.id.clone(),
            poste_id: Some(poste.clone()),
            structure_id: conseiller.structure_id.clone(),
            convention_id: conseiller.convention_id.clone(),
            departement: conseiller.departement.clone(),
            typologie: TypologiePoste::Conseiller,
            type_contrat: conseiller.type_contrat,
            date_debut: conseiller.date_recrutement,
            date_fin: None,
            rupture: None,
            salaire_brut_mensuel_centimes: None,
            version: 1,
        }
    }

    /// Its last day in force, when known: the rupture's, else the planned end.
    pub fn dernier_jour(&self) -> Option<NaiveDate> {
        self.rupture.as_ref().map(|r| r.date).or(self.date_fin)
    }

    /// Its state on `today`: `rompu` once broken, `termine` the day after its planned end,
    /// else `en_cours`.
    pub fn etat(&self, today: NaiveDate) -> EtatContrat {
        if self.rupture.is_some() {
            EtatContrat::Rompu
        } else if self.date_fin.is_some_and(|fin| fin < today) {
            EtatContrat::Termine
        } else {
            EtatContrat::EnCours
        }
    }

    /// Whether it is in force on `date` (from its first day to its last, both included).
    pub fn en_vigueur_le(&self, date: NaiveDate) -> bool {
        self.date_debut <= date && self.dernier_jour().is_none_or(|fin| date <= fin)
    }

    /// The end an exit of the first model (`POST /conseillers/{id}/sortie`) gives the contract,
    /// on its last day `date`: a fixed-term contract that reached its end ends on its
    /// `date_fin`; an open-ended one cannot, so it is a rupture `autre` saying so; a
    /// resignation is a rupture `demission`, a rupture a `rupture_conventionnelle`. The
    /// migration that carried the first model's exits over applies the same rule.
    pub fn fin_par_sortie(&mut self, motif: MotifSortie, date: NaiveDate) {
        let rompu = |motif, commentaire: Option<&str>| {
            Some(Rupture {
                date,
                motif,
                commentaire: commentaire.map(str::to_owned),
            })
        };
        match motif {
            MotifSortie::FinDeContrat if self.type_contrat.a_duree_determinee() => {
                self.date_fin = Some(date);
            }
            MotifSortie::FinDeContrat => {
                self.rupture = rompu(MotifRupture::Autre, Some(FIN_SANS_TERME));
            }
            MotifSortie::Demission => self.rupture = rompu(MotifRupture::Demission, None),
            MotifSortie::Rupture => {
                self.rupture = rompu(MotifRupture::RuptureConventionnelle, None);
            }
            MotifSortie::Autre => self.rupture = rompu(MotifRupture::Autre, None),
        }
    }
}

/// The comment of a rupture that stands for the end of an open-ended contract (the first
/// model let an exit say `fin_de_contrat` whatever the contract).
pub const FIN_SANS_TERME: &str =
    "Fin de contrat enregistrée avant les contrats (reprise des données).";

/// The first model's exit motif a rupture amounts to (the advisor of that model leaves with
/// its contract): a non-renewal is the end of the contract, a resignation a resignation, every
/// other rupture a rupture, `autre` stays `autre`.
pub fn motif_de_sortie(motif: MotifRupture) -> MotifSortie {
    match motif {
        MotifRupture::NonReconductionCdd => MotifSortie::FinDeContrat,
        MotifRupture::Demission => MotifSortie::Demission,
        MotifRupture::Licenciement
        | MotifRupture::RuptureConventionnelle
        | MotifRupture::FinDeSubventionnement => MotifSortie::Rupture,
        MotifRupture::Autre => MotifSortie::Autre,
    }
}

/// 409: the contract is no longer in force (broken, or past its end).
pub const CONTRAT_TERMINE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "contrat_termine",
    title: "Contrat terminé",
    example: "Le contrat 0193… est « rompu » : seul un contrat en cours peut être rompu.",
};

/// 409 `contrat_termine` unless the contract is in force on `today`.
pub fn check_en_cours(contrat: &Contrat, today: NaiveDate) -> Result<(), Refusal> {
    let etat = contrat.etat(today);
    if etat == EtatContrat::EnCours {
        return Ok(());
    }
    Err(Refusal::new(
        &CONTRAT_TERMINE,
        format!(
            "Le contrat {} est « {etat} » : seul un contrat en cours peut être rompu.",
            contrat.id
        ),
    )
    .with_member("etat", etat.as_str()))
}

/// A rupture's date is the contract's last day: not after its planned end (422
/// `date_posterieure_fin` on `/date`). The rest of the chronology (not in the future, not before
/// the start) is the calendar's ([`super::calendar::effective_date`]).
pub fn check_date_rupture(contrat: &Contrat, date: NaiveDate) -> Result<(), Refusal> {
    match contrat.date_fin {
        Some(fin) if date > fin => {
            let detail =
                format!("date ({date}) est postérieure à la fin prévue du contrat ({fin}).");
            Err(Refusal::new(&DATE_POSTERIEURE_FIN, detail.clone())
                .with_error(FieldError::pointer("/date", detail)))
        }
        _ => Ok(()),
    }
}

/// 422: a rupture dated after the contract's planned end (it had ended by then).
pub const DATE_POSTERIEURE_FIN: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "date_posterieure_fin",
    title: "Date postérieure à la fin du contrat",
    example: "date (2024-07-01) est postérieure à la fin prévue du contrat (2024-06-30).",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::CodeInsee;
    use crate::domain::conseiller::Identite;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn contrat(type_contrat: TypeContrat) -> Contrat {
        let conseiller = Conseiller::recrute(
            ConventionId::new(),
            CodeDepartement::try_from("93".to_owned()).unwrap(),
            StructureId::new(),
            Identite {
                nom: "Martin".into(),
                prenom: "Awa".into(),
                email: "awa.martin@example.org".into(),
                commune_residence: CodeInsee::try_from("93008".to_owned()).unwrap(),
            },
            type_contrat,
            date("2024-01-15"),
        );
        Contrat::du_recrutement(&conseiller, &PosteId::new())
    }

    #[test]
    fn a_recruitment_contract_starts_on_the_recruitment_without_an_end() {
        let c = contrat(TypeContrat::Cdd);
        assert_eq!(c.date_debut, date("2024-01-15"));
        assert_eq!((c.date_fin, c.rupture.clone()), (None, None));
        assert_eq!(c.typologie, TypologiePoste::Conseiller);
        assert_eq!(c.etat(date("2030-01-01")), EtatContrat::EnCours);
    }

    #[test]
    fn a_fixed_term_contract_ends_the_day_after_its_last_day_without_a_job() {
        let mut c = contrat(TypeContrat::Cdd);
        c.date_fin = Some(date("2024-12-31"));
        assert_eq!(c.etat(date("2024-12-31")), EtatContrat::EnCours);
        assert_eq!(c.etat(date("2025-01-01")), EtatContrat::Termine);
        assert!(c.en_vigueur_le(date("2024-12-31")));
        assert!(!c.en_vigueur_le(date("2025-01-01")));
        assert!(!c.en_vigueur_le(date("2024-01-14")));
        assert!(c.en_vigueur_le(date("2024-01-15")));
    }

    #[test]
    fn a_broken_contract_is_rompu_at_once_and_in_force_until_its_last_day() {
        let mut c = contrat(TypeContrat::Cdi);
        c.rupture = Some(Rupture {
            date: date("2024-06-30"),
            motif: MotifRupture::Licenciement,
            commentaire: None,
        });
        assert_eq!(c.etat(date("2024-06-30")), EtatContrat::Rompu);
        assert!(c.en_vigueur_le(date("2024-06-30")));
        assert!(!c.en_vigueur_le(date("2024-07-01")));
        let refusal = check_en_cours(&c, date("2024-06-30")).unwrap_err();
        assert_eq!(refusal.code.code, "contrat_termine");
    }

    #[test]
    fn an_exit_of_the_first_model_ends_the_contract_by_its_motif() {
        let fin = date("2024-06-30");
        let ended = |type_contrat, motif| {
            let mut c = contrat(type_contrat);
            c.fin_par_sortie(motif, fin);
            (
                c.date_fin,
                c.rupture.map(|r| (r.date, r.motif, r.commentaire)),
            )
        };
        for fixed in [TypeContrat::Cdd, TypeContrat::ContratDeProjet] {
            assert_eq!(ended(fixed, MotifSortie::FinDeContrat), (Some(fin), None));
        }
        for open in [TypeContrat::Cdi, TypeContrat::Titulaire] {
            assert_eq!(
                ended(open, MotifSortie::FinDeContrat),
                (
                    None,
                    Some((fin, MotifRupture::Autre, Some(FIN_SANS_TERME.to_owned())))
                )
            );
        }
        assert_eq!(
            ended(TypeContrat::Cdd, MotifSortie::Demission).1,
            Some((fin, MotifRupture::Demission, None))
        );
        assert_eq!(
            ended(TypeContrat::Cdi, MotifSortie::Rupture).1,
            Some((fin, MotifRupture::RuptureConventionnelle, None))
        );
        assert_eq!(
            ended(TypeContrat::Cdi, MotifSortie::Autre).1,
            Some((fin, MotifRupture::Autre, None))
        );
    }

    #[test]
    fn every_rupture_motif_maps_to_an_exit_motif() {
        use MotifRupture as R;
        use MotifSortie as S;
        let mapped: Vec<(R, S)> = R::ALL.iter().map(|m| (*m, motif_de_sortie(*m))).collect();
        assert_eq!(
            mapped,
            [
                (R::NonReconductionCdd, S::FinDeContrat),
                (R::Licenciement, S::Rupture),
                (R::Demission, S::Demission),
                (R::RuptureConventionnelle, S::Rupture),
                (R::FinDeSubventionnement, S::Rupture),
                (R::Autre, S::Autre),
            ]
        );
    }

    #[test]
    fn a_rupture_is_not_dated_after_the_planned_end() {
        let mut c = contrat(TypeContrat::Cdd);
        assert!(check_date_rupture(&c, date("2040-01-01")).is_ok());
        c.date_fin = Some(date("2024-06-30"));
        assert!(check_date_rupture(&c, date("2024-06-30")).is_ok());
        let refusal = check_date_rupture(&c, date("2024-07-01")).unwrap_err();
        assert_eq!(refusal.code.code, "date_posterieure_fin");
    }
}

//! Contracts (contrats): each employment of an advisor on a post is an object, with its type, its
//! dates and how it ended.
//!
//! A contract is in force from `date_debut` to its end, both days included: `date_rupture` when
//! it was broken early, else `date_fin` (fixed-term contracts; open-ended ones have none). Its
//! post is vacant from the day after. Its state ([`EtatContrat`]) is never stored: it is computed
//! on the service's date ([`Contrat::etat`]), so that a fixed-term contract ends without any job.

use chrono::NaiveDate;

use super::codes::CodeDepartement;
use super::ids::{ConseillerId, ContratId, ConventionId, PosteId, StructureId};
use super::poste::TypologiePoste;
use super::refusal::{FieldError, Refusal, RefusalCode, RefusalKind};
use crate::closed_enum;

closed_enum! {
    /// Type de contrat d'un conseiller.
    TypeContrat, "type de contrat" {
        /// Contrat à durée indéterminée.
        Cdi = "cdi",
        /// Contrat à durée déterminée.
        Cdd = "cdd",
        /// Parcours emploi compétences (contrat aidé, à durée déterminée ; `POST /contrats`).
        Pec = "pec",
        /// Contrat de projet.
        ContratDeProjet = "contrat_de_projet",
        /// Fonctionnaire titulaire.
        Titulaire = "titulaire",
    }
}

closed_enum! {
    /// Motif de la sortie d'un conseiller.
    MotifSortie, "motif de sortie" {
        /// Le contrat est arrivé à son terme.
        FinDeContrat = "fin_de_contrat",
        /// Rupture du contrat.
        Rupture = "rupture",
        /// Démission.
        Demission = "demission",
        /// Autre motif.
        Autre = "autre",
    }
}

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

/// 409: a person has one contract in force at any date.
pub const CONTRAT_EN_COURS: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "contrat_en_cours",
    title: "Contrat en cours",
    example: "Le conseiller a déjà le contrat 0193… en vigueur du 2024-01-15 au 2025-01-14 : un seul contrat en vigueur à la fois.",
};

/// 422: a fixed-term contract without its planned end, or an open-ended one with one.
pub const DATE_FIN_INVALIDE: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "date_fin_invalide",
    title: "Date de fin invalide",
    example: "date_fin est requise pour un contrat « cdd » (à durée déterminée).",
};

/// 409: a post of one typology takes a contract of the same typology.
pub const TYPOLOGIE_INCOMPATIBLE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "typologie_incompatible",
    title: "Typologie incompatible",
    example: "Le poste 0193… est un poste « coordinateur » : il faut un contrat de coordinateur.",
};

/// 409: only a fixed-term contract can be extended.
pub const CONTRAT_SANS_TERME: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "contrat_sans_terme",
    title: "Contrat sans terme",
    example: "Le contrat 0193… est un « cdi » : seul un contrat à durée déterminée se prolonge.",
};

/// A contract's planned end suits its type: required for fixed-term types, refused for `cdi`
/// and `titulaire`, not before `date_debut` (422 `date_fin_invalide` on `/date_fin`).
pub fn check_date_fin(
    type_contrat: TypeContrat,
    date_debut: NaiveDate,
    date_fin: Option<NaiveDate>,
) -> Result<(), Refusal> {
    let detail = match (type_contrat.a_duree_determinee(), date_fin) {
        (true, None) => {
            format!("date_fin est requise pour un contrat « {type_contrat} » (à durée déterminée).")
        }
        (false, Some(_)) => {
            format!("date_fin est refusée pour un contrat « {type_contrat} » (sans terme).")
        }
        (true, Some(fin)) if fin < date_debut => {
            format!("date_fin ({fin}) précède date_debut ({date_debut}).")
        }
        _ => return Ok(()),
    };
    Err(Refusal::new(&DATE_FIN_INVALIDE, detail.clone())
        .with_error(FieldError::pointer("/date_fin", detail)))
}

/// The post's typology is the contract's (409 `typologie_incompatible`).
pub fn check_typologie(
    poste: &PosteId,
    du_poste: TypologiePoste,
    du_contrat: TypologiePoste,
) -> Result<(), Refusal> {
    if du_poste == du_contrat {
        return Ok(());
    }
    Err(Refusal::new(
        &TYPOLOGIE_INCOMPATIBLE,
        format!(
            "Le poste {poste} est un poste « {du_poste} » : il faut un contrat de {du_poste}, pas de {du_contrat}."
        ),
    )
    .with_member("typologie_poste", du_poste.as_str()))
}

/// A person has one contract in force at any date: a new contract from `debut` to `fin` (none:
/// open-ended) overlaps none of `existants` (409 `contrat_en_cours`, naming the first it meets).
pub fn check_un_seul_contrat(
    existants: &[Contrat],
    debut: NaiveDate,
    fin: Option<NaiveDate>,
) -> Result<(), Refusal> {
    let chevauche = |c: &&Contrat| {
        c.date_debut <= fin.unwrap_or(NaiveDate::MAX)
            && c.dernier_jour().is_none_or(|dernier| debut <= dernier)
    };
    let Some(autre) = existants.iter().find(chevauche) else {
        return Ok(());
    };
    let jusqu_au = autre
        .dernier_jour()
        .map_or_else(|| "sans terme".to_owned(), |d| format!("au {d}"));
    Err(Refusal::new(
        &CONTRAT_EN_COURS,
        format!(
            "Le conseiller a déjà le contrat {} en vigueur du {} {jusqu_au} : un seul contrat en vigueur à la fois.",
            autre.id, autre.date_debut
        ),
    )
    .with_member("contrat_id", autre.id.as_str()))
}

/// A prolongation moves a fixed-term contract in force to a later end: 409 `contrat_termine`
/// when it is not in force on `today`, 409 `contrat_sans_terme` for an open-ended one, 422
/// `date_fin_invalide` on `/date_fin` unless the new end is later than the planned one (a
/// fixed-term contract carried over without a planned end takes any end from today on).
pub fn prolonger(
    contrat: &mut Contrat,
    nouvelle_fin: NaiveDate,
    today: NaiveDate,
) -> Result<(), Refusal> {
    check_en_cours(contrat, today)?;
    if !contrat.type_contrat.a_duree_determinee() {
        return Err(Refusal::new(
            &CONTRAT_SANS_TERME,
            format!(
                "Le contrat {} est un « {} » : seul un contrat à durée déterminée se prolonge.",
                contrat.id, contrat.type_contrat
            ),
        ));
    }
    let minimum = contrat
        .date_fin
        .unwrap_or(today.pred_opt().unwrap_or(today));
    if nouvelle_fin <= minimum {
        let detail = match contrat.date_fin {
            Some(fin) => {
                format!("date_fin ({nouvelle_fin}) doit être postérieure à la fin prévue ({fin}).")
            }
            None => {
                format!("date_fin ({nouvelle_fin}) doit être au plus tôt aujourd'hui ({today}).")
            }
        };
        return Err(Refusal::new(&DATE_FIN_INVALIDE, detail.clone())
            .with_error(FieldError::pointer("/date_fin", detail)));
    }
    contrat.date_fin = Some(nouvelle_fin);
    Ok(())
}

/// The first day a post held under `contrat` is vacant, when its last day is known.
pub fn libere_le(contrat: &Contrat) -> Option<NaiveDate> {
    contrat.dernier_jour().and_then(|d| d.succ_opt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::CodeInsee;
    use crate::domain::conseiller::{Conseiller, Identite};

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
                telephone: None,
                commune_residence: CodeInsee::try_from("93008".to_owned()).unwrap(),
            },
            type_contrat,
            date("2024-01-15"),
        );
        conseiller
            .contrat_du_recrutement(&PosteId::new())
            .expect("a recruit")
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

    #[test]
    fn a_planned_end_suits_the_type() {
        let debut = date("2024-01-15");
        assert!(check_date_fin(TypeContrat::Cdd, debut, Some(date("2025-01-14"))).is_ok());
        assert!(check_date_fin(TypeContrat::Pec, debut, Some(debut)).is_ok());
        assert!(check_date_fin(TypeContrat::Cdi, debut, None).is_ok());
        for (type_contrat, fin) in [
            (TypeContrat::Cdd, None),
            (TypeContrat::ContratDeProjet, None),
            (TypeContrat::Cdi, Some(date("2025-01-14"))),
            (TypeContrat::Titulaire, Some(date("2025-01-14"))),
            (TypeContrat::Cdd, Some(date("2024-01-14"))),
        ] {
            let refusal = check_date_fin(type_contrat, debut, fin).unwrap_err();
            assert_eq!(refusal.code_at(), ("date_fin_invalide", Some("/date_fin")));
        }
    }

    #[test]
    fn a_person_has_one_contract_in_force_at_any_date() {
        let mut cdd = contrat(TypeContrat::Cdd);
        cdd.date_fin = Some(date("2024-12-31"));
        let existants = [cdd.clone()];
        // The day after its end: free.
        assert!(check_un_seul_contrat(&existants, date("2025-01-01"), None).is_ok());
        // Overlapping its last day, or wholly before it starts and running into it.
        let refusal = check_un_seul_contrat(&existants, date("2024-12-31"), None).unwrap_err();
        assert_eq!(refusal.code.code, "contrat_en_cours");
        assert_eq!(refusal.members["contrat_id"], cdd.id.as_str());
        assert!(
            check_un_seul_contrat(&existants, date("2023-01-01"), Some(date("2024-01-15")))
                .is_err()
        );
        assert!(
            check_un_seul_contrat(&existants, date("2023-01-01"), Some(date("2024-01-14"))).is_ok()
        );
        // An open-ended contract in force blocks every later start; broken, it frees the next day.
        let mut cdi = contrat(TypeContrat::Cdi);
        assert!(check_un_seul_contrat(&[cdi.clone()], date("2030-01-01"), None).is_err());
        cdi.rupture = Some(Rupture {
            date: date("2024-06-30"),
            motif: MotifRupture::Demission,
            commentaire: None,
        });
        assert!(check_un_seul_contrat(&[cdi.clone()], date("2024-07-01"), None).is_ok());
        assert!(check_un_seul_contrat(&[cdi], date("2024-06-30"), None).is_err());
    }

    #[test]
    fn a_fixed_term_contract_in_force_is_extended_to_a_later_end() {
        let today = date("2024-06-01");
        let mut c = contrat(TypeContrat::Cdd);
        c.date_fin = Some(date("2024-12-31"));
        let refusal = prolonger(&mut c, date("2024-12-31"), today).unwrap_err();
        assert_eq!(refusal.code_at(), ("date_fin_invalide", Some("/date_fin")));
        prolonger(&mut c, date("2025-06-30"), today).unwrap();
        assert_eq!(c.date_fin, Some(date("2025-06-30")));
        assert_eq!(libere_le(&c), Some(date("2025-07-01")));
        // Ended: no longer.
        assert_eq!(
            prolonger(&mut c, date("2026-06-30"), date("2025-07-01"))
                .unwrap_err()
                .code
                .code,
            "contrat_termine"
        );
        // Open-ended: never.
        let mut cdi = contrat(TypeContrat::Cdi);
        assert_eq!(
            prolonger(&mut cdi, date("2030-01-01"), today)
                .unwrap_err()
                .code
                .code,
            "contrat_sans_terme"
        );
        assert_eq!(libere_le(&cdi), None);
        // Carried over without a planned end: from today on.
        let mut sans_fin = contrat(TypeContrat::Cdd);
        assert!(prolonger(&mut sans_fin, date("2024-05-31"), today).is_err());
        prolonger(&mut sans_fin, today, today).unwrap();
    }

    #[test]
    fn a_post_takes_a_contract_of_its_typology() {
        let poste = PosteId::new();
        assert!(
            check_typologie(
                &poste,
                TypologiePoste::Conseiller,
                TypologiePoste::Conseiller
            )
            .is_ok()
        );
        let refusal = check_typologie(
            &poste,
            TypologiePoste::Coordinateur,
            TypologiePoste::Conseiller,
        )
        .unwrap_err();
        assert_eq!(refusal.code.code, "typologie_incompatible");
        assert_eq!(refusal.members["typologie_poste"], "coordinateur");
    }
}

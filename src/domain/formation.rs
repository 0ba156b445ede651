//! Trainings and certifications of advisors while in post (issue 25 §4).
//!
//! An advisor (one person, whatever its employers) follows one initial training (`initiale`,
//! a path of 105, 280, 350 or 420 hours) and any number of continuing ones (`continue`), each
//! under a contract in force on its first day. After the initial training ends it sits two
//! certifications (Pix, and CCP1 of the REMN title), within six months; each attempt is recorded
//! with its result (`reussie`, `echouee`, `absent`). An advisor is late
//! ([`certification_en_retard`]) when its initial training ended more than six months ago and
//! no certification is passed. Nothing here is stored as a status: it is read from the rows on
//! the service's date.
//!
//! Rows carried over from the first model (`reprise`) may lack what it did not record: the
//! hours, the end, the organisation, the contract.

use chrono::{Days, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use super::calendar::{DATE_ANTERIEURE, add_months, sub_months};
use super::ids::{CertificationId, ConseillerId, ContratId, FormationId, StructureId};
use super::refusal::{FieldError, Refusal, RefusalCode, RefusalKind, VALIDATION};
use crate::closed_enum;

closed_enum! {
    /// Type de formation.
    TypeFormation, "type de formation" {
        /// La formation initiale du dispositif (une par personne, quel que soit l'employeur).
        Initiale = "initiale",
        /// Une formation continue.
        Continue = "continue",
    }
}

closed_enum! {
    /// Type de certification.
    TypeCertification, "type de certification" {
        /// La certification Pix.
        Pix = "pix",
        /// Le CCP1 du titre « Responsable espace de médiation numérique » (REMN).
        Ccp1Remn = "ccp1_remn",
    }
}

closed_enum! {
    /// Résultat d'une certification.
    ResultatCertification, "résultat de certification" {
        /// Réussie.
        Reussie = "reussie",
        /// Échouée.
        Echouee = "echouee",
        /// Le conseiller ne s'est pas présenté.
        Absent = "absent",
    }
}

/// The lengths of the initial training's paths, in hours.
pub const PARCOURS_INITIAUX: [i32; 4] = [105, 280, 350, 420];

/// The months after the initial training's end within which an advisor is certified.
pub const DELAI_CERTIFICATION_MOIS: u32 = 6;

/// Une formation suivie par un conseiller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa7", "conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98",
    "type": "initiale", "parcours_heures": 280, "date_debut": "2021-05-10", "date_fin": "2021-07-30",
    "organisme": "Simplon", "contrat_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa5",
    "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "reprise": false, "version": 1,
    "cree_le": "2021-05-10T09:00:00.000000Z"
}))]
#[schema(as = FormationConseiller)]
pub struct Formation {
    /// Identifiant.
    pub id: FormationId,
    /// Le conseiller formé.
    pub conseiller_id: ConseillerId,
    /// `initiale` ou `continue`.
    #[serde(rename = "type")]
    pub type_formation: TypeFormation,
    /// Durée du parcours en heures : 105, 280, 350 ou 420 pour la formation initiale ; null
    /// quand elle n'est pas connue (reprise du premier modèle, formation continue sans durée).
    pub parcours_heures: Option<i32>,
    /// Premier jour.
    #[schema(value_type = String, format = Date)]
    pub date_debut: NaiveDate,
    /// Dernier jour ; null quand il n'est pas connu (reprise du premier modèle).
    #[schema(value_type = Option<String>, format = Date)]
    pub date_fin: Option<NaiveDate>,
    /// Organisme de formation ; null quand il n'est pas connu (reprise du premier modèle).
    pub organisme: Option<String>,
    /// Le contrat en vigueur au premier jour ; null quand il n'est pas connu (reprise).
    pub contrat_id: Option<ContratId>,
    /// L'employeur de ce contrat (l'employeur d'alors pour une reprise).
    pub structure_id: StructureId,
    /// Reprise des données du premier modèle (`date_debut_formation`, `organisme_formation`).
    pub reprise: bool,
    /// Version de l'enregistrement : l'`ETag`.
    pub version: i64,
    /// Enregistrement (RFC 3339, UTC).
    pub cree_le: String,
}

/// Une certification passée par un conseiller, après sa formation initiale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa8", "conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98",
    "formation_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa7", "type": "pix", "date": "2021-09-15",
    "resultat": "reussie", "reprise": false, "version": 1, "cree_le": "2021-09-16T09:00:00.000000Z"
}))]
#[schema(as = CertificationConseiller)]
pub struct Certification {
    /// Identifiant.
    pub id: CertificationId,
    /// Le conseiller.
    pub conseiller_id: ConseillerId,
    /// La formation initiale qu'elle suit.
    pub formation_id: FormationId,
    /// `pix` ou `ccp1_remn`.
    #[serde(rename = "type")]
    pub type_certification: TypeCertification,
    /// Date de l'épreuve.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// `reussie`, `echouee` ou `absent`.
    pub resultat: ResultatCertification,
    /// Reprise du premier modèle (`date_certification` : une `ccp1_remn` réussie).
    pub reprise: bool,
    /// Version de l'enregistrement : l'`ETag`.
    pub version: i64,
    /// Enregistrement (RFC 3339, UTC).
    pub cree_le: String,
}

/// 409: a person has one initial training, whatever its employers.
pub const FORMATION_INITIALE_EXISTANTE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "formation_initiale_existante",
    title: "Formation initiale déjà enregistrée",
    example: "Le conseiller a déjà une formation initiale (0193…) : une seule par personne.",
};

/// 409: a certification follows the initial training.
pub const SANS_FORMATION_INITIALE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "sans_formation_initiale",
    title: "Sans formation initiale",
    example: "Le conseiller n'a pas de formation initiale enregistrée : la certification la suit.",
};

/// The initial training among `formations`, if any.
pub fn initiale(formations: &[Formation]) -> Option<&Formation> {
    formations
        .iter()
        .find(|f| f.type_formation == TypeFormation::Initiale)
}

/// The hours of a training: for the initial one, one of [`PARCOURS_INITIAUX`] (422 `validation`
/// on `/parcours_heures` otherwise, or when missing); for a continuing one, any positive number,
/// or none (its validation is the body's).
pub fn check_parcours(type_formation: TypeFormation, heures: Option<i32>) -> Result<(), Refusal> {
    if type_formation == TypeFormation::Continue {
        return Ok(());
    }
    match heures {
        Some(h) if PARCOURS_INITIAUX.contains(&h) => Ok(()),
        _ => {
            let detail = match heures {
                Some(h) => format!(
                    "la formation initiale dure 105, 280, 350 ou 420 heures (reçu {h})"
                ),
                None => "la formation initiale dure 105, 280, 350 ou 420 heures : parcours_heures est requis".to_owned(),
            };
            Err(Refusal::new(&VALIDATION, detail.clone())
                .with_error(FieldError::pointer("/parcours_heures", detail)))
        }
    }
}

/// A training ends on or after its first day (422 `date_anterieure` on `/date_fin`).
pub fn check_dates(date_debut: NaiveDate, date_fin: NaiveDate) -> Result<(), Refusal> {
    if date_fin < date_debut {
        let detail = format!("date_fin ({date_fin}) précède date_debut ({date_debut}).");
        return Err(Refusal::new(&DATE_ANTERIEURE, detail.clone())
            .with_error(FieldError::pointer("/date_fin", detail)));
    }
    Ok(())
}

/// One initial training per person (409 `formation_initiale_existante`, with the existing
/// one's `formation_id`); a continuing one is always possible.
pub fn check_une_initiale(
    type_formation: TypeFormation,
    formations: &[Formation],
) -> Result<(), Refusal> {
    if type_formation != TypeFormation::Initiale {
        return Ok(());
    }
    match initiale(formations) {
        None => Ok(()),
        Some(existante) => Err(formation_initiale_existante(&existante.id)),
    }
}

/// 409 `formation_initiale_existante` naming the existing training.
pub fn formation_initiale_existante(existante: &FormationId) -> Refusal {
    Refusal::new(
        &FORMATION_INITIALE_EXISTANTE,
        format!(
            "Le conseiller a déjà une formation initiale ({existante}) : une seule par personne, quel que soit l'employeur."
        ),
    )
    .with_member("formation_id", existante.as_str())
}

/// The initial training a certification on `date` follows: it must exist (409
/// `sans_formation_initiale`) and the certification come after its last day (after its first
/// day when the end is unknown: a row carried over), else 422 `date_anterieure` on `/date`.
pub fn check_certification(
    formations: &[Formation],
    date: NaiveDate,
) -> Result<&Formation, Refusal> {
    let Some(formation) = initiale(formations) else {
        return Err(Refusal::new(
            &SANS_FORMATION_INITIALE,
            "Le conseiller n'a pas de formation initiale enregistrée : la certification la suit.",
        ));
    };
    let (field, limite) = match formation.date_fin {
        Some(fin) => ("la fin de la formation initiale", fin),
        None => ("le début de la formation initiale", formation.date_debut),
    };
    if date <= limite {
        let detail = format!("date ({date}) n'est pas postérieure à {field} ({limite}).");
        return Err(Refusal::new(&DATE_ANTERIEURE, detail.clone())
            .with_error(FieldError::pointer("/date", detail)));
    }
    Ok(formation)
}

/// Whether the initial training has ended on `today` (its last day is past); an unknown end
/// (a row carried over) is not known to have passed.
pub fn initiale_terminee(formations: &[Formation], today: NaiveDate) -> bool {
    initiale(formations)
        .and_then(|f| f.date_fin)
        .is_some_and(|fin| fin < today)
}

/// Whether at least one certification is passed.
pub fn certifie(certifications: &[Certification]) -> bool {
    certifications
        .iter()
        .any(|c| c.resultat == ResultatCertification::Reussie)
}

/// Late for its certification on `today`: the initial training ended more than six months ago
/// (`today` after its last day + 6 months) and no certification is passed. An unknown end (a
/// row carried over) is never late.
pub fn certification_en_retard(
    formations: &[Formation],
    certifications: &[Certification],
    today: NaiveDate,
) -> bool {
    let Some(fin) = initiale(formations).and_then(|f| f.date_fin) else {
        return false;
    };
    let echeance = add_months(fin, DELAI_CERTIFICATION_MOIS).unwrap_or(NaiveDate::MAX);
    today > echeance && !certifie(certifications)
}

/// The latest last day of an initial training that is late on `today` (when nothing is
/// passed): a training ending on or before it is [`certification_en_retard`], one ending after
/// it is not. For the statistics' SQL, which compares dates as text.
pub fn derniere_fin_en_retard(today: NaiveDate) -> NaiveDate {
    let mut fin = sub_months(today, DELAI_CERTIFICATION_MOIS)
        .unwrap_or(NaiveDate::MIN)
        .checked_add_days(Days::new(4))
        .unwrap_or(NaiveDate::MAX);
    while add_months(fin, DELAI_CERTIFICATION_MOIS).is_none_or(|echeance| echeance >= today) {
        match fin.pred_opt() {
            Some(previous) => fin = previous,
            None => return NaiveDate::MIN,
        }
    }
    fin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn formation(type_formation: TypeFormation, debut: &str, fin: Option<&str>) -> Formation {
        Formation {
            id: FormationId::new(),
            conseiller_id: ConseillerId::new(),
            type_formation,
            parcours_heures: Some(280),
            date_debut: date(debut),
            date_fin: fin.map(date),
            organisme: Some("Simplon".to_owned()),
            contrat_id: Some(ContratId::new()),
            structure_id: StructureId::new(),
            reprise: false,
            version: 1,
            cree_le: String::new(),
        }
    }

    fn certification(on: &str, resultat: ResultatCertification) -> Certification {
        Certification {
            id: CertificationId::new(),
            conseiller_id: ConseillerId::new(),
            formation_id: FormationId::new(),
            type_certification: TypeCertification::Pix,
            date: date(on),
            resultat,
            reprise: false,
            version: 1,
            cree_le: String::new(),
        }
    }

    #[test]
    fn the_initial_training_lasts_one_of_the_four_paths() {
        for heures in PARCOURS_INITIAUX {
            assert!(check_parcours(TypeFormation::Initiale, Some(heures)).is_ok());
        }
        for heures in [Some(0), Some(100), Some(421), None] {
            let refusal = check_parcours(TypeFormation::Initiale, heures).unwrap_err();
            assert_eq!(
                refusal.code_at(),
                ("validation", Some("/parcours_heures")),
                "{heures:?}"
            );
        }
        assert!(check_parcours(TypeFormation::Continue, Some(14)).is_ok());
        assert!(check_parcours(TypeFormation::Continue, None).is_ok());
    }

    #[test]
    fn a_training_ends_on_or_after_its_first_day() {
        assert!(check_dates(date("2021-05-10"), date("2021-05-10")).is_ok());
        assert!(check_dates(date("2021-05-10"), date("2021-07-30")).is_ok());
        let refusal = check_dates(date("2021-05-10"), date("2021-05-09")).unwrap_err();
        assert_eq!(refusal.code_at(), ("date_anterieure", Some("/date_fin")));
        assert_eq!(refusal.kind().status(), 422);
    }

    #[test]
    fn one_initial_training_per_person() {
        let continue_ = formation(TypeFormation::Continue, "2021-05-10", Some("2021-05-12"));
        assert!(
            check_une_initiale(TypeFormation::Initiale, std::slice::from_ref(&continue_)).is_ok()
        );
        let first = formation(TypeFormation::Initiale, "2021-05-10", Some("2021-07-30"));
        let both = [continue_, first.clone()];
        let refusal = check_une_initiale(TypeFormation::Initiale, &both).unwrap_err();
        assert_eq!(refusal.code.code, "formation_initiale_existante");
        assert_eq!(refusal.kind().status(), 409);
        assert_eq!(refusal.members["formation_id"], first.id.as_str());
        assert!(check_une_initiale(TypeFormation::Continue, &both).is_ok());
    }

    #[test]
    fn a_certification_follows_the_end_of_the_initial_training() {
        let continue_ = formation(TypeFormation::Continue, "2021-05-10", Some("2021-05-12"));
        let refusal =
            check_certification(std::slice::from_ref(&continue_), date("2021-09-01")).unwrap_err();
        assert_eq!(refusal.code.code, "sans_formation_initiale");
        assert_eq!(refusal.kind().status(), 409);
        let initial = formation(TypeFormation::Initiale, "2021-05-10", Some("2021-07-30"));
        let both = [continue_, initial.clone()];
        for on in ["2021-07-30", "2021-07-01"] {
            let refusal = check_certification(&both, date(on)).unwrap_err();
            assert_eq!(
                refusal.code_at(),
                ("date_anterieure", Some("/date")),
                "{on}"
            );
        }
        assert_eq!(
            check_certification(&both, date("2021-07-31")).unwrap().id,
            initial.id
        );
        // A training carried over without its end: after its first day.
        let mut reprise = initial;
        reprise.date_fin = None;
        reprise.reprise = true;
        let refusal = check_certification(&[reprise.clone()], date("2021-05-10")).unwrap_err();
        assert_eq!(refusal.code_at(), ("date_anterieure", Some("/date")));
        assert!(check_certification(&[reprise], date("2021-05-11")).is_ok());
    }

    #[test]
    fn the_latest_late_end_is_the_rule_of_lateness() {
        let initial = |fin: NaiveDate| {
            let mut f = formation(TypeFormation::Initiale, "2020-01-01", None);
            f.date_fin = Some(fin);
            vec![f]
        };
        // Every day of two years, month ends included, against every end around it.
        let mut today = date("2022-01-01");
        while today < date("2024-01-01") {
            let limite = derniere_fin_en_retard(today);
            for offset in -5..=5 {
                let fin = limite + chrono::Duration::days(offset);
                assert_eq!(
                    certification_en_retard(&initial(fin), &[], today),
                    fin <= limite,
                    "today {today}, end {fin}, latest late end {limite}"
                );
            }
            today = today.succ_opt().unwrap();
        }
        assert_eq!(
            derniere_fin_en_retard(date("2022-01-31")),
            date("2021-07-30")
        );
    }

    #[test]
    fn late_six_months_after_the_end_without_a_passed_certification() {
        let initial = [formation(
            TypeFormation::Initiale,
            "2021-05-10",
            Some("2021-07-31"),
        )];
        // Six months after the end: 2022-01-31 is still in time, the day after is late.
        assert!(!certification_en_retard(&initial, &[], date("2022-01-31")));
        assert!(certification_en_retard(&initial, &[], date("2022-02-01")));
        let failed = [
            certification("2021-09-01", ResultatCertification::Echouee),
            certification("2021-10-01", ResultatCertification::Absent),
        ];
        assert!(certification_en_retard(
            &initial,
            &failed,
            date("2022-02-01")
        ));
        let passed = [
            failed[0].clone(),
            certification("2022-03-01", ResultatCertification::Reussie),
        ];
        assert!(!certification_en_retard(
            &initial,
            &passed,
            date("2022-04-01")
        ));
        assert!(certifie(&passed) && !certifie(&failed));
        // No initial training, or one whose end is unknown: never late.
        let continue_ = [formation(
            TypeFormation::Continue,
            "2020-01-01",
            Some("2020-01-02"),
        )];
        assert!(!certification_en_retard(
            &continue_,
            &[],
            date("2022-02-01")
        ));
        let mut reprise = initial[0].clone();
        reprise.date_fin = None;
        assert!(!certification_en_retard(
            &[reprise],
            &[],
            date("2030-01-01")
        ));
        // Ended: the day after its last day.
        assert!(!initiale_terminee(&initial, date("2021-07-31")));
        assert!(initiale_terminee(&initial, date("2021-08-01")));
    }
}

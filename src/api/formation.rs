//! Trainings and certifications of an advisor: the bodies of their creation and the lists of
//! one advisor's (whole: a person has a handful).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::structure::not_blank;
pub use crate::domain::formation::{Certification, Formation};
use crate::domain::formation::{ResultatCertification, TypeCertification, TypeFormation};

/// Une formation suivie par le conseiller, sous un contrat en vigueur à son premier jour.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "type": "initiale", "parcours_heures": 280, "date_debut": "2021-05-10",
    "date_fin": "2021-07-30", "organisme": "Simplon"
}))]
pub struct NouvelleFormation {
    /// `initiale` (une par personne, quel que soit l'employeur) ou `continue`.
    #[serde(rename = "type")]
    pub type_formation: TypeFormation,
    /// Durée du parcours en heures : 105, 280, 350 ou 420 pour la formation initiale (requise) ;
    /// facultative pour une formation continue (de 1 à 2 000).
    #[validate(range(min = 1, max = 2000, message = "de 1 à 2 000 heures"))]
    #[schema(minimum = 1, maximum = 2000)]
    pub parcours_heures: Option<i32>,
    /// Premier jour : pas dans le futur ; un contrat du conseiller y est en vigueur.
    #[schema(value_type = String, format = Date)]
    pub date_debut: NaiveDate,
    /// Dernier jour (prévu) : pas avant `date_debut`.
    #[schema(value_type = String, format = Date)]
    pub date_fin: NaiveDate,
    /// Organisme de formation.
    #[validate(
        length(min = 1, max = 200, message = "1 à 200 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 200)]
    pub organisme: String,
}

/// Une certification passée après la formation initiale.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "pix", "date": "2021-09-15", "resultat": "reussie"}))]
pub struct NouvelleCertification {
    /// `pix` ou `ccp1_remn`.
    #[serde(rename = "type")]
    pub type_certification: TypeCertification,
    /// Date de l'épreuve : après le dernier jour de la formation initiale, pas dans le futur.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// `reussie`, `echouee` ou `absent`.
    pub resultat: ResultatCertification,
}

/// Les formations d'un conseiller, par premier jour.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa7", "conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98",
    "type": "initiale", "parcours_heures": 280, "date_debut": "2021-05-10", "date_fin": "2021-07-30",
    "organisme": "Simplon", "contrat_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa5",
    "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "reprise": false, "version": 1,
    "cree_le": "2021-05-10T09:00:00.000000Z"
}]}))]
pub struct FormationList {
    /// Ses formations.
    pub items: Vec<Formation>,
}

/// Les certifications d'un conseiller, par date.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa8", "conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98",
    "formation_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa7", "type": "pix", "date": "2021-09-15",
    "resultat": "reussie", "reprise": false, "version": 1, "cree_le": "2021-09-16T09:00:00.000000Z"
}]}))]
pub struct CertificationList {
    /// Ses certifications.
    pub items: Vec<Certification>,
}

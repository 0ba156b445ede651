//! Bodies and parameters of `/api/v1/activites`. An activity names no beneficiary: nothing here
//! is personal data.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::activite::{Thematique, TypeActivite, TypeLieu};
use crate::domain::codes::CodeInsee;
use crate::domain::ids::{ConseillerId, LieuId};

/// The view of an activity is the stored activity itself: its French docs are the spec's.
pub use crate::domain::activite::Activite;

/// Une activité déclarée par l'employeur d'un conseiller sous contrat.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98", "type_lieu": "lieu_activite",
    "lieu_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97", "date": "2022-03-14",
    "type": "atelier_collectif", "duree_minutes": 120, "nb_participants": 8,
    "thematiques": ["trouver_un_emploi", "courriels"]
}))]
pub struct NouvelleActivite {
    /// Le conseiller (sous contrat à la date de l'activité).
    pub conseiller_id: ConseillerId,
    /// Où : `lieu_activite` (par défaut : un des lieux du conseiller, `lieu_id`), `domicile`
    /// (de la personne accompagnée) ou `autre` (atelier itinérant, lieu partenaire), avec la
    /// commune (`code_insee`), ou `a_distance` (ni lieu ni commune).
    #[serde(default)]
    pub type_lieu: Option<TypeLieu>,
    /// Le lieu, pour `lieu_activite` seulement : un des lieux où travaille le conseiller.
    pub lieu_id: Option<LieuId>,
    /// La commune (code INSEE), pour `domicile` et `autre` seulement. L'activité compte dans le
    /// département de l'employeur, où qu'elle ait lieu.
    pub code_insee: Option<CodeInsee>,
    /// Date : ni dans le futur, ni un jour où le conseiller n'est pas sous contrat.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Atelier collectif ou accompagnement individuel.
    #[serde(rename = "type")]
    pub type_activite: TypeActivite,
    /// Durée, en minutes (1 à 600).
    #[validate(range(min = 1, max = 600, message = "de 1 à 600 minutes"))]
    #[schema(minimum = 1, maximum = 600)]
    pub duree_minutes: i64,
    /// Participants (1 à 100 ; exactement 1 pour un accompagnement individuel).
    #[validate(range(min = 1, max = 100, message = "de 1 à 100 participants"))]
    #[schema(minimum = 1, maximum = 100)]
    pub nb_participants: i64,
    /// Thématiques abordées : 1 à 10, chacune une fois.
    #[validate(length(min = 1, max = 10, message = "de 1 à 10 thématiques"))]
    #[schema(schema_with = thematiques_schema)]
    pub thematiques: Vec<Thematique>,
}

/// The themes of a new activity: 1 to 10 values of the closed list, each once (`uniqueItems`,
/// which utoipa's attributes do not express).
fn thematiques_schema() -> utoipa::openapi::schema::Array {
    use utoipa::PartialSchema;
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(Thematique::schema())
        .min_items(Some(1))
        .max_items(Some(10))
        .unique_items(true)
        .description(Some("Thématiques abordées : 1 à 10, chacune une fois."))
        .build()
}

crate::page_dto! {
    /// Une page d'activités, les plus récemment déclarées d'abord.
    #[schema(example = json!({"items": [], "next_cursor": null}))]
    ActivitePage, Activite, "Les activités de cette page.",
}

/// The query parameters of the list (declared once, with what its repo function reads).
pub use crate::domain::filter::ActiviteFilter;

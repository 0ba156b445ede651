//! Posts: the view (the domain's [`Poste`], with its history), the list's filters and page, and
//! the body of a transfer.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub use crate::domain::filter::PosteFilter;
use crate::domain::ids::StructureId;
pub use crate::domain::poste::{EtapePoste, Poste};

/// Le transfert d'un poste vacant à une autre structure d'accueil de la convention.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97", "date": "2021-09-01"
}))]
pub struct Transfert {
    /// La structure qui reçoit le poste : une structure du département de la convention, autre
    /// que celle qui le tient.
    pub structure_id: StructureId,
    /// Date du transfert (aujourd'hui par défaut) : ni dans le futur, ni avant la date de l'état
    /// du poste (`depuis`).
    #[schema(value_type = Option<String>, format = Date)]
    pub date: Option<NaiveDate>,
}

crate::page_dto! {
    /// Une page de postes, les plus récemment créés d'abord.
    #[schema(example = json!({"items": [], "next_cursor": null}))]
    PostePage, Poste, "Les postes de cette page.",
}

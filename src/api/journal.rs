//! Bodies and parameters of `/api/v1/journal`.

use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use crate::domain::journal::RessourceJournal;

/// An entry of the journal as shown is the entry as read: its French docs are the spec's.
pub use crate::domain::journal::EntreeJournal;

crate::page_dto! {
    /// Une page du journal, les entrées les plus récentes d'abord.
    #[schema(example = json!({"items": [], "next_cursor": null}))]
    JournalPage, EntreeJournal, "Les entrées de cette page.",
}

/// Filtres de `GET /api/v1/journal` (la pagination s'y ajoute).
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct JournalQuery {
    /// Seulement les entrées de cette nature d'objet.
    #[param(inline)]
    pub ressource: Option<RessourceJournal>,
    /// Seulement les entrées de cet objet (son identifiant).
    #[param(max_length = 64)]
    #[validate(length(max = 64, message = "64 caractères au plus"))]
    pub id: Option<String>,
}

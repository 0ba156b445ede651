//! Bodies and parameters of `/api/v1/journal`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::domain::codes::CodeDepartement;
use crate::domain::ids::JournalId;
use crate::domain::journal::RessourceJournal;

/// Une entrée du journal : qui a changé quoi, quand, avec les champs modifiés avant et après.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f93", "horodatage": "2021-02-08T15:00:00.000000Z",
    "sub": "agent@seine-saint-denis.gouv.fr", "role": "prefecture", "action": "signature",
    "ressource": "convention", "ressource_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91",
    "departement": "93",
    "avant": {"statut": "brouillon", "date_signature": null},
    "apres": {"statut": "signee", "date_signature": "2021-02-08"}
}))]
pub struct EntreeJournal {
    /// Identifiant (dans l'ordre du temps).
    pub id: JournalId,
    /// Instant de la modification (RFC 3339, UTC).
    pub horodatage: String,
    /// Sujet du jeton de l'auteur.
    pub sub: String,
    /// Rôle de l'auteur.
    pub role: String,
    /// Action : `creation`, `modification`, ou le nom de l'action de cycle de vie (`signature`,
    /// `projet_accueil`, `validation`, `avenant`, `resiliation`, `cloture`, `annulation`), ou,
    /// sur une enveloppe, `plafond` et `suppression_plafond`.
    pub action: String,
    /// Nature de l'objet.
    pub ressource: RessourceJournal,
    /// Identifiant de l'objet.
    pub ressource_id: String,
    /// Département de l'objet ; null pour un objet national (une enveloppe), dont seuls les
    /// lecteurs nationaux voient les entrées.
    pub departement: Option<CodeDepartement>,
    /// Les champs modifiés, avant (null pour une création).
    #[schema(value_type = Option<Object>)]
    pub avant: Option<serde_json::Value>,
    /// Les champs modifiés, après.
    #[schema(value_type = Option<Object>)]
    pub apres: Option<serde_json::Value>,
}

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

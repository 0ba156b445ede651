//! The body of `PUT /api/v1/conseillers/{id}/coordinateur`: the coordinator who follows an
//! advisor. The advisor's view shows it (`coordinateur_id`); the list of advisors filters by it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::ids::ConseillerId;

/// Le coordinateur d'un conseiller : une personne qui tient aujourd'hui un contrat de
/// coordinateur dans le département du conseiller.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"coordinateur_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fc1"}))]
pub struct Coordination {
    /// Le coordinateur (l'identifiant de la personne, comme celui d'un conseiller).
    pub coordinateur_id: ConseillerId,
}

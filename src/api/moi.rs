//! The caller as the API sees it.

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Caller, Role, Scope};
use crate::domain::codes::CodeDepartement;
use crate::domain::ids::StructureId;

/// Qui appelle : rôle, portée, sujet et expiration du jeton, tels que l'API les a vérifiés.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "sub": "prefecture-93@interieur.gouv.fr",
    "role": "prefecture",
    "departements": ["93"],
    "structure_id": null,
    "expire_le": "2026-11-26T20:00:00Z"
}))]
pub struct Moi {
    /// Le sujet du jeton (`sub`).
    pub sub: String,
    /// Le rôle du jeton.
    pub role: Role,
    /// Les départements d'une préfecture ou d'un lecteur territorial ; null pour une portée
    /// nationale ou une structure.
    pub departements: Option<Vec<CodeDepartement>>,
    /// La structure d'un appelant `structure` ; null sinon.
    pub structure_id: Option<StructureId>,
    /// Expiration du jeton (RFC 3339, UTC).
    pub expire_le: String,
}

impl From<Caller> for Moi {
    fn from(caller: Caller) -> Self {
        let (departements, structure_id) = match caller.scope {
            Scope::National => (None, None),
            Scope::Departements(codes) => (Some(codes), None),
            Scope::Structure(id) => (None, Some(id)),
        };
        let expire_le = chrono::DateTime::from_timestamp(caller.expires_at, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        Moi {
            sub: caller.sub,
            role: caller.role,
            departements,
            structure_id,
            expire_le,
        }
    }
}

//! The caller as the API sees it.

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Caller, Role, Scope};

/// Who is calling: role, scope, subject and token expiry, as verified from the bearer token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "sub": "prefecture-93@interieur.gouv.fr",
    "role": "prefecture",
    "departements": ["93"],
    "structure_id": null,
    "expire_le": "2026-11-26T20:00:00Z"
}))]
pub struct Moi {
    /// The token's subject (`sub`).
    pub sub: String,
    /// The token's role.
    pub role: Role,
    /// The départements of a préfecture or territorial lecteur; null when national or a structure.
    pub departements: Option<Vec<String>>,
    /// The structure of a `structure` caller; null otherwise.
    pub structure_id: Option<String>,
    /// When the token expires (RFC 3339, UTC).
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

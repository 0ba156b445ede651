//! Authentication: bearer JWT verification (RFC 8725 practice), the caller it yields, and the
//! policy that answers "may this caller do X on this object?".
//!
//! The API verifies tokens; it does not run a login. Tokens come from an identity provider, or from
//! `cnfs-api token` for operators and tests (see [`mint`]).

pub mod extract;
pub mod keys;
pub mod mint;
pub mod policy;
pub mod verify;

pub use keys::{JwtKeys, KeyError};
pub use verify::{AuthError, Verifier};

use crate::closed_enum;
use crate::domain::codes::CodeDepartement;
use crate::domain::ids::StructureId;
use crate::domain::scope::ScopeFilter;
use policy::Resource;

closed_enum! {
    /// Rôle porté par un jeton : il dit ce que l'appelant peut faire, sa portée dit sur quoi.
    Role, "rôle" {
        /// Lit les données du programme, au niveau national ou pour certains départements.
        Lecteur = "lecteur",
        /// Une structure d'accueil : ses propres données, ses conseillers.
        Structure = "structure",
        /// Une préfecture : les conventions et l'argent de ses départements.
        Prefecture = "prefecture",
        /// L'administration nationale : tout.
        Admin = "admin",
    }
}

/// What part of the programme a caller sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything (admin, national lecteur).
    National,
    /// Some départements (préfecture, territorial lecteur), codes sorted and unique.
    Departements(Vec<CodeDepartement>),
    /// One structure (and the agreements it signs or hosts).
    Structure(StructureId),
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's subject (`sub`): who is calling, for the journal.
    pub sub: String,
    /// The token's role.
    pub role: Role,
    /// The token's scope.
    pub scope: Scope,
    /// The token's expiry (`exp`), seconds since the Unix epoch.
    pub expires_at: i64,
}

impl Caller {
    /// The rows of `resource` this caller may list, for the repo's list functions to apply in SQL.
    /// Resources without a territory (envelopes, the référentiel) are visible whole to every role
    /// that may read them; a role that may not read the resource sees nothing.
    pub fn scope_filter(&self, resource: Resource) -> ScopeFilter {
        if !policy::role_allows(self.role, resource, policy::Action::Read) {
            return ScopeFilter::Nothing;
        }
        if resource.is_national() {
            return ScopeFilter::All;
        }
        match &self.scope {
            Scope::National => ScopeFilter::All,
            Scope::Departements(codes) => ScopeFilter::Departements(codes.clone()),
            Scope::Structure(id) => ScopeFilter::Structure(id.clone()),
        }
    }
}

//! Authentication: bearer JWT verification (RFC 8725 practice), the caller it yields, and the
//! policy that answers "may this caller do X on this object?".
//!
//! The API verifies tokens; it does not run a login. Tokens come from an identity provider, or from
//! `cnfs-api token` for operators and tests (see [`mint`]).

use serde::Serialize;

pub mod extract;
pub mod keys;
pub mod mint;
pub mod policy;
pub mod verify;

pub use keys::{JwtKeys, KeyError};
pub use verify::{AuthError, Verifier};

/// The roles a token may carry (DESIGN.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the programme's data, nationally or for some départements.
    Lecteur,
    /// A host structure: its own data, its advisors.
    Structure,
    /// A préfecture: its départements' agreements and money.
    Prefecture,
    /// The national administration: everything.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [
        Role::Lecteur,
        Role::Structure,
        Role::Prefecture,
        Role::Admin,
    ];

    /// The role's name in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lecteur => "lecteur",
            Role::Structure => "structure",
            Role::Prefecture => "prefecture",
            Role::Admin => "admin",
        }
    }

    /// Parses a role name from a token.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

/// What part of the programme a caller sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything (admin, national lecteur).
    National,
    /// Some départements (préfecture, territorial lecteur), codes sorted and unique.
    Departements(Vec<String>),
    /// One structure (and the agreements it signs or hosts).
    Structure(String),
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

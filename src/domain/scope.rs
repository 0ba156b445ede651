//! What part of the programme's data a caller may list, as a plain value that the storage layer
//! turns into SQL (`db::repo::scope`): every list applies the caller's scope inside its query,
//! so that "outside the scope" is one rule, not one per handler.

use super::codes::CodeDepartement;
use super::ids::StructureId;

/// The rows of a resource a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeFilter {
    /// Every row (admin, national lecteur; resources without a territory, such as envelopes).
    All,
    /// The rows of these départements (préfecture, territorial lecteur).
    Departements(Vec<CodeDepartement>),
    /// The rows of one structure and of what it signs or hosts (a structure).
    Structure(StructureId),
    /// No row (a role that may not list this resource at all).
    Nothing,
}

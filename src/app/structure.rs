//! Host structures' use cases: classing a structure in a priority territory.

use super::{Context, Gate, journal, locks};
use crate::api::structure::ClassementTerritoire;
use crate::auth::policy::{self, Action, Resource};
use crate::db::WriteTx;
use crate::db::repo::structure as repo;
use crate::domain::ids::StructureId;
use crate::domain::structure::Structure;
use crate::error::ApiError;

/// 404: no such structure within the caller's scope.
pub fn not_found() -> ApiError {
    ApiError::NotFound("Aucune structure de cet identifiant dans votre portée.".to_owned())
}

/// Classes a structure in a priority territory (QPV or ZRR), or takes it out: admin, or the
/// préfecture of its département. Journaled as `territoire_prioritaire`; the version moves
/// even when the value does not (the request was made, and is in the journal).
pub fn classer_territoire(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &StructureId,
    gate: impl Gate<ClassementTerritoire>,
) -> Result<Structure, ApiError> {
    let current = locks::structure(tx, id)?.ok_or_else(not_found)?;
    policy::check_seen_placed(&ctx.caller, Resource::Structure, Action::Act, &current)?;
    let input = gate(current.version)?;
    let saved = repo::set_territoire_prioritaire(tx, id, input.territoire_prioritaire)?;
    journal::record(
        tx,
        &ctx.author,
        "territoire_prioritaire",
        Some(&current),
        &saved,
    )?;
    Ok(saved)
}

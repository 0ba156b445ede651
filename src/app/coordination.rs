//! Coordination's use cases: an advisor followed by a coordinator (`coordonner`), then no longer
//! (`ne_plus_coordonner`). Under the advisor's row lock (the coordination is part of what the
//! advisor shows: its version goes up), journalled on the advisor.

use super::conseiller::{check_access, not_found};
use super::{Context, Gate, journal, locks};
use crate::api::coordination::Coordination;
use crate::auth::policy::{self, Action, Perimeter};
use crate::auth::{Caller, Scope};
use crate::db::WriteTx;
use crate::db::repo::conseiller as conseillers;
use crate::db::repo::contrat as contrats;
use crate::db::repo::coordination as repo;
use crate::domain::conseiller::Conseiller;
use crate::domain::coordination::{
    check_autre_personne, check_meme_departement, contrat_de_coordinateur, contrat_du_conseiller,
    coordinateur_inconnu,
};
use crate::domain::ids::ConseillerId;
use crate::error::ApiError;

/// Whether `caller` may name `coordinateur` for `conseiller`: an admin anyone; a préfecture a
/// person of its départements; a structure (the advisor's employer) a person of the advisor's
/// département, whoever employs it.
fn nommable(caller: &Caller, coordinateur: &Conseiller, conseiller: &Conseiller) -> bool {
    match &caller.scope {
        Scope::Structure(_) => coordinateur.departement == conseiller.departement,
        _ => policy::in_scope(
            caller,
            &Perimeter::of_departement(Some(&coordinateur.departement)),
        ),
    }
}

/// The advisor is followed by the coordinator of the body: 422 `coordination_de_soi` (itself),
/// 422 `coordinateur_inconnu` (no person the caller may name), 409 `sans_contrat` (the advisor
/// has no contract in force today), 409 `pas_coordinateur` (the person holds no coordinator's
/// contract in force today), 409 `coordinateur_hors_departement` (that contract is in another
/// département than the advisor's). Naming its current coordinator again changes nothing (same
/// version, no journal entry).
pub fn coordonner(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConseillerId,
    gate: impl Gate<Coordination>,
) -> Result<Conseiller, ApiError> {
    let current = locks::conseiller_row(tx, id)?.ok_or_else(not_found)?;
    check_access(&ctx.caller, &current, Action::Act)?;
    let input = gate(current.version)?;
    let named = input.coordinateur_id;
    check_autre_personne(id, &named)?;
    let coordinateur = conseillers::find(tx.conn(), &named)?
        .filter(|person| nommable(&ctx.caller, person, &current))
        .ok_or_else(|| coordinateur_inconnu(&named))?;
    let siens = contrats::du_conseiller(tx.conn(), id)?;
    let contrat = contrat_du_conseiller(id, &siens, ctx.today)?;
    // the coordinator's contracts locked: a concurrent rupture of its coordinator's contract
    // either lands first (and the rule sees it) or waits for this one
    let leurs = locks::contrats_du_coordinateur(tx, &coordinateur.id)?;
    let coordination = contrat_de_coordinateur(&coordinateur.id, &leurs, ctx.today)?;
    check_meme_departement(
        &coordinateur.id,
        &coordination.departement,
        &contrat.departement,
    )?;
    if current.coordinateur_id.as_ref() == Some(&coordinateur.id) {
        return Ok(current);
    }
    repo::save(tx, id, &coordinateur.id, ctx.today)?;
    let mut next = current.clone();
    next.coordinateur_id = Some(coordinateur.id);
    let saved = conseillers::save(tx, &current, &next)?;
    journal::record(tx, &ctx.author, "coordination", Some(&current), &saved)?;
    Ok(saved)
}

/// The advisor is no longer followed by a coordinator (404 when it was not).
pub fn ne_plus_coordonner(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConseillerId,
) -> Result<(), ApiError> {
    let current = locks::conseiller_row(tx, id)?.ok_or_else(not_found)?;
    check_access(&ctx.caller, &current, Action::Act)?;
    if current.coordinateur_id.is_none() || !repo::delete(tx, id)? {
        return Err(ApiError::NotFound(format!(
            "Le conseiller {id} n'a pas de coordinateur."
        )));
    }
    let mut next = current.clone();
    next.coordinateur_id = None;
    let saved = conseillers::save(tx, &current, &next)?;
    journal::record(tx, &ctx.author, "fin_coordination", Some(&current), &saved)?;
    Ok(())
}

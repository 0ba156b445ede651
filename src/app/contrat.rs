//! Contracts' use cases: the contract a recruitment creates, the end an advisor's exit gives it,
//! and the rupture of a contract in force (which, in this model where an advisor is one
//! employment, is the advisor's exit too: its post is vacant from the next day).
//!
//! Locks: the convention, the advisor, the contract, then the post ([`locks`]).

use chrono::NaiveDate;

use super::{Context, Gate, journal, locks, poste};
use crate::api::contrat::RuptureContrat;
use crate::auth::policy::{self, Action, Resource};
use crate::db::WriteTx;
use crate::db::repo::conseiller as conseillers;
use crate::db::repo::contrat as repo;
use crate::domain::calendar::effective_date;
use crate::domain::conseiller::{ActionConseiller, Conseiller, MotifSortie};
use crate::domain::contrat::{
    Contrat, Rupture, check_date_rupture, check_en_cours, motif_de_sortie,
};
use crate::domain::ids::{ContratId, PosteId};
use crate::domain::lifecycle::apply;
use crate::error::ApiError;

/// 404 for a contract unknown or out of the caller's scope.
pub fn not_found() -> ApiError {
    ApiError::NotFound("Aucun contrat de cet identifiant dans votre portée.".to_owned())
}

/// The contract of a recruit (under its convention's lock), on the post it took.
pub fn du_recrutement(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    conseiller: &Conseiller,
    poste: &PosteId,
) -> Result<Contrat, ApiError> {
    let created = repo::insert(tx, &Contrat::du_recrutement(conseiller, poste))?;
    journal::record(tx, &ctx.author, "creation", None, &created)?;
    Ok(created)
}

/// The end an advisor's exit on `date` gives its latest contract (under the advisor's locks):
/// see [`Contrat::fin_par_sortie`]. Returns the contract the post was held under, if any.
pub fn fin_par_sortie(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    conseiller: &Conseiller,
    motif: MotifSortie,
    date: NaiveDate,
) -> Result<(), ApiError> {
    let Some(current) = locks::dernier_contrat(tx, &conseiller.id)? else {
        return Err(ApiError::internal(format!(
            "conseiller {} sans contrat",
            conseiller.id
        )));
    };
    let mut next = current.clone();
    next.fin_par_sortie(motif, date);
    let saved = repo::save(tx, &next)?;
    journal::record(tx, &ctx.author, "sortie", Some(&current), &saved)?;
    Ok(())
}

/// Breaks a contract in force (409 `contrat_termine` otherwise) on its last day `date` (not in
/// the future, not before the advisor's last step, not after the planned end): the advisor
/// leaves (`sorti`, with the exit motif the rupture amounts to) and its post is vacant from the
/// next day.
pub fn rompre(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ContratId,
    gate: impl Gate<RuptureContrat>,
) -> Result<Contrat, ApiError> {
    let (conseiller, current) = locks::contrat(tx, id)?.ok_or_else(not_found)?;
    policy::check_seen_placed(&ctx.caller, Resource::Contrat, Action::Act, &current)?;
    let input = gate(current.version)?;
    check_en_cours(&current, ctx.today)?;
    let date = effective_date(
        "date",
        input.date,
        ctx.today,
        Some(conseiller.derniere_etape()),
    )?;
    check_date_rupture(&current, date)?;
    let mut next = current.clone();
    next.rupture = Some(Rupture {
        date,
        motif: input.motif,
        commentaire: input.commentaire.map(|c| c.trim().to_owned()),
    });
    let saved = repo::save(tx, &next)?;
    journal::record(tx, &ctx.author, "rupture", Some(&current), &saved)?;

    let mut sorti = conseiller.clone();
    sorti.statut = apply(conseiller.statut, ActionConseiller::Sortie)?;
    sorti.date_sortie = Some(date);
    sorti.motif_sortie = Some(motif_de_sortie(input.motif));
    let sorti = conseillers::save(tx, &conseiller, &sorti)?;
    journal::record(tx, &ctx.author, "sortie", Some(&conseiller), &sorti)?;
    poste::liberer(tx, &conseiller.id, date)?;
    Ok(saved)
}

//! Every row lock a use case takes, in the one order of the whole application:
//!
//! **convention → advisor → contract → posts → envelopes (by id) → commitment → payment.**
//!
//! Each function here takes the locks an object needs in that order (an advisor's convention
//! before the advisor; a post's convention before the post; a commitment's envelope before the
//! commitment), and [`enveloppes`] takes
//! several envelopes by ascending id. A use case that needs more than one object asks for them
//! in that order too (a convention's end: the convention, then [`enveloppes`], then each
//! [`engagement`]). Since every transaction climbs the same ladder, none can wait for another in
//! a cycle. `tests/layers.rs` checks that no other module of `src/app` or `src/http` takes a
//! row lock itself.
//!
//! On PostgreSQL a lock is `SELECT … FOR UPDATE` (`FOR NO KEY UPDATE` for an envelope, whose key
//! new commitments reference; `FOR SHARE` for [`convention_shared`]); on SQLite the write
//! transaction (`BEGIN IMMEDIATE`) already holds the database's one write lock, and these are
//! plain reads.

use chrono::NaiveDate;

use crate::db::WriteTx;
use crate::db::repo::conseiller as conseillers;
use crate::db::repo::contrat as contrats;
use crate::db::repo::convention as conventions;
use crate::db::repo::financement as money;
use crate::db::repo::poste as postes;
use crate::db::repo::structure as structures;
use crate::domain::conseiller::Conseiller;
use crate::domain::contrat::Contrat;
use crate::domain::convention::Convention;
use crate::domain::financement::{Engagement, Enveloppe, Versement};
use crate::domain::ids::{
    ConseillerId, ContratId, ConventionId, EngagementId, EnveloppeId, PosteId, StructureId,
    VersementId,
};
use crate::domain::poste::{Poste, TypologiePoste};
use crate::domain::structure::Structure;
use crate::error::ApiError;

/// A row read under its lock: `None` when it does not exist.
pub type Locked<T> = Result<Option<T>, ApiError>;

/// Locks a structure's row for a change of its own fields (its name, its priority territory).
/// Outside the ladder: no use case holds it with another lock.
pub fn structure(tx: &mut WriteTx<'_>, id: &StructureId) -> Locked<Structure> {
    Ok(structures::lock(tx, id)?)
}

/// Locks a convention's row for a change (its writers and its advisors' wait).
pub fn convention(tx: &mut WriteTx<'_>, id: &ConventionId) -> Locked<Convention> {
    Ok(conventions::lock(tx, id)?)
}

/// Holds a convention's row shared: its status and posts cannot change before the transaction
/// ends, while other holders (commitments of the same convention) do not wait for each other.
pub fn convention_shared(tx: &mut WriteTx<'_>, id: &ConventionId) -> Locked<Convention> {
    Ok(conventions::share(tx, id)?)
}

/// Locks an advisor: its convention first (the quota of posts is a count of advisors, which
/// only the convention's lock keeps true), then its own row. A person without a contract has
/// no convention: its row alone.
pub fn conseiller(tx: &mut WriteTx<'_>, id: &ConseillerId) -> Locked<Conseiller> {
    let Some(seen) = conseillers::find(tx.conn(), id)? else {
        return Ok(None);
    };
    if let Some(convention) = &seen.convention_id {
        conventions::lock(tx, convention)?;
    }
    Ok(conseillers::lock(tx, id)?)
}

/// Locks an advisor's row alone, for a change that leaves the quota of posts as it is (its
/// personal data): nothing below it in the order is taken.
pub fn conseiller_row(tx: &mut WriteTx<'_>, id: &ConseillerId) -> Locked<Conseiller> {
    Ok(conseillers::lock(tx, id)?)
}

/// Locks a contract: its convention, its advisor (with its contracts and lieux, without its
/// trainings), then its own row (all read again under the locks).
pub fn contrat(tx: &mut WriteTx<'_>, id: &ContratId) -> Locked<(Conseiller, Contrat)> {
    let Some(seen) = contrats::find(tx.conn(), id)? else {
        return Ok(None);
    };
    conventions::lock(tx, &seen.convention_id)?;
    let Some(conseiller) = conseillers::lock_sans_parcours(tx, &seen.conseiller_id)? else {
        return Ok(None);
    };
    Ok(contrats::lock(tx, id)?.map(|contrat| (conseiller, contrat)))
}

/// Locks what a new contract binds, in the one order: the conventions (the post's, and the one
/// the person is employed under when it differs: its filled posts may change too, by ascending
/// id), the person, then the post (brought up to date on `today`). `None` when the post or the
/// person does not exist (which one: the caller reads them again); 503 in the rare case where
/// the person moved to a third convention between the first read and its lock (retrying is
/// safe).
pub fn nouveau_contrat(
    tx: &mut WriteTx<'_>,
    poste: &PosteId,
    conseiller: &ConseillerId,
    today: NaiveDate,
) -> Locked<(Convention, Conseiller, Poste)> {
    let Some(seen) = postes::find(tx.conn(), poste)? else {
        return Ok(None);
    };
    // its row only: which conventions to lock (its lieux and contracts are read under its lock)
    let Some(person) = conseillers::find_row(tx.conn(), conseiller)? else {
        return Ok(None);
    };
    let mut ids: Vec<&ConventionId> = [Some(&seen.convention_id), person.convention_id.as_ref()]
        .into_iter()
        .flatten()
        .collect();
    ids.sort();
    ids.dedup();
    let mut convention = None;
    for id in &ids {
        let locked = conventions::lock(tx, id)?;
        if *id == &seen.convention_id {
            convention = locked;
        }
    }
    let Some(convention) = convention else {
        return Ok(None);
    };
    // its contracts and lieux, not its trainings: a contract needs neither
    let Some(locked_person) = conseillers::lock_sans_parcours(tx, conseiller)? else {
        return Ok(None);
    };
    // Its employment may have moved meanwhile (a concurrent contract won): fine when to a
    // convention locked here (the post's: the rules then refuse what they must); else the
    // filled-posts counter of a convention not locked would change.
    if let Some(now) = &locked_person.convention_id
        && !ids.contains(&now)
    {
        return Err(ApiError::Unavailable(
            "Le conseiller a changé d'employeur pendant la requête : la renvoyer.".to_owned(),
        ));
    }
    let Some(locked) = postes::lock(tx, poste)? else {
        return Ok(None);
    };
    Ok(Some((
        convention,
        locked_person,
        a_jour(tx, locked, today)?,
    )))
}

/// Locks the contracts of the person named coordinator (the caller holds the coordinated
/// advisor's row): after them in the order, since a contract's own use cases lock its
/// convention, its person and then it, and never an advisor it coordinates.
pub fn contrats_du_coordinateur(
    tx: &mut WriteTx<'_>,
    coordinateur: &ConseillerId,
) -> Result<Vec<Contrat>, ApiError> {
    Ok(contrats::lock_du_conseiller(tx, coordinateur)?)
}

/// Locks a post's convention then the post, brought up to date on `today` ([`a_jour`]).
pub fn poste(tx: &mut WriteTx<'_>, id: &PosteId, today: NaiveDate) -> Locked<(Convention, Poste)> {
    let Some(seen) = postes::find(tx.conn(), id)? else {
        return Ok(None);
    };
    let Some(convention) = conventions::lock(tx, &seen.convention_id)? else {
        return Ok(None);
    };
    match postes::lock(tx, id)? {
        Some(poste) => Ok(Some((convention, a_jour(tx, poste, today)?))),
        None => Ok(None),
    }
}

/// Locks up to `limit` posts of a host and typology vacant on `today` in a convention whose lock
/// the caller holds, vacant the longest first, brought up to date ([`a_jour`]).
pub fn postes_vacants(
    tx: &mut WriteTx<'_>,
    convention: &ConventionId,
    structure: &StructureId,
    typologie: TypologiePoste,
    today: NaiveDate,
    limit: usize,
) -> Result<Vec<Poste>, ApiError> {
    let locked = postes::lock_vacants(tx, convention, structure, typologie, today, limit)?;
    locked.into_iter().map(|p| a_jour(tx, p, today)).collect()
}

/// Locks the posts of a convention (whose lock the caller holds) not yet returned, brought up to
/// date on `today` ([`a_jour`]).
pub fn postes_non_rendus(
    tx: &mut WriteTx<'_>,
    convention: &ConventionId,
    today: NaiveDate,
) -> Result<Vec<Poste>, ApiError> {
    let locked = postes::lock_non_rendus(tx, convention)?;
    locked.into_iter().map(|p| a_jour(tx, p, today)).collect()
}

/// Locks the post an advisor holds on `today` (the caller holds the advisor's convention and
/// row): none once its contract's end has freed it ([`a_jour`] records that).
pub fn poste_du_conseiller(
    tx: &mut WriteTx<'_>,
    conseiller: &ConseillerId,
    today: NaiveDate,
) -> Locked<Poste> {
    let Some(poste) = postes::lock_du_conseiller(tx, conseiller)? else {
        return Ok(None);
    };
    let poste = a_jour(tx, poste, today)?;
    Ok((poste.conseiller_id.as_ref() == Some(conseiller)).then_some(poste))
}

/// A locked post as it stands on `today` ([`Poste::le`]): the liberation a fixed-term
/// contract's end gave it, which reads derive, is recorded before any change (under the same
/// version: reads showed it so), so that the stored history stays in order.
fn a_jour(tx: &mut WriteTx<'_>, poste: Poste, today: NaiveDate) -> Result<Poste, ApiError> {
    let derived = poste.clone().le(today);
    if derived == poste {
        return Ok(poste);
    }
    Ok(postes::record_liberation(tx, &poste, &derived)?)
}

/// Locks one envelope (every movement of its money waits here).
pub fn enveloppe(tx: &mut WriteTx<'_>, id: &EnveloppeId) -> Locked<Enveloppe> {
    Ok(money::lock_enveloppe(tx, id)?)
}

/// Locks several envelopes, by ascending id whatever the order given (each once).
pub fn enveloppes<'a>(
    tx: &mut WriteTx<'_>,
    ids: impl IntoIterator<Item = &'a EnveloppeId>,
) -> Result<Vec<Enveloppe>, ApiError> {
    let mut ids: Vec<&EnveloppeId> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    let mut locked = Vec::with_capacity(ids.len());
    for id in ids {
        locked.extend(money::lock_enveloppe(tx, id)?);
    }
    Ok(locked)
}

/// Locks a commitment: its envelope first, then its row. Read again under the locks: a
/// concurrent movement may have changed it meanwhile.
pub fn engagement(tx: &mut WriteTx<'_>, id: &EngagementId) -> Locked<Engagement> {
    let Some(seen) = money::find_engagement(tx.conn(), id)? else {
        return Ok(None);
    };
    money::lock_enveloppe(tx, &seen.enveloppe_id)?;
    Ok(money::lock_engagement(tx, id)?)
}

/// Locks a payment: its commitment's envelope, the commitment, then the payment's row.
pub fn versement(tx: &mut WriteTx<'_>, id: &VersementId) -> Locked<(Engagement, Versement)> {
    let Some(seen) = money::find_versement(tx.conn(), id)? else {
        return Ok(None);
    };
    let Some(engagement) = engagement(tx, &seen.engagement_id)? else {
        return Ok(None);
    };
    Ok(money::lock_versement(tx, id)?.map(|versement| (engagement, versement)))
}

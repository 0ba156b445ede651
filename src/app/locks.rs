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

use crate::db::WriteTx;
use crate::db::repo::conseiller as conseillers;
use crate::db::repo::contrat as contrats;
use crate::db::repo::convention as conventions;
use crate::db::repo::financement as money;
use crate::db::repo::poste as postes;
use crate::domain::conseiller::Conseiller;
use crate::domain::contrat::Contrat;
use crate::domain::convention::Convention;
use crate::domain::financement::{Engagement, Enveloppe, Versement};
use crate::domain::ids::{
    ConseillerId, ContratId, ConventionId, EngagementId, EnveloppeId, PosteId, StructureId,
    VersementId,
};
use crate::domain::poste::{Poste, TypologiePoste};
use crate::error::ApiError;

/// A row read under its lock: `None` when it does not exist.
pub type Locked<T> = Result<Option<T>, ApiError>;

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
/// only the convention's lock keeps true), then its own row.
pub fn conseiller(tx: &mut WriteTx<'_>, id: &ConseillerId) -> Locked<Conseiller> {
    let Some(seen) = conseillers::find(tx.conn(), id)? else {
        return Ok(None);
    };
    conventions::lock(tx, &seen.convention_id)?;
    Ok(conseillers::lock(tx, id)?)
}

/// Locks an advisor's row alone, for a change that leaves the quota of posts as it is (its
/// personal data): nothing below it in the order is taken.
pub fn conseiller_row(tx: &mut WriteTx<'_>, id: &ConseillerId) -> Locked<Conseiller> {
    Ok(conseillers::lock(tx, id)?)
}

/// Locks a contract: its convention, its advisor, then its own row (all read again under the
/// locks).
pub fn contrat(tx: &mut WriteTx<'_>, id: &ContratId) -> Locked<(Conseiller, Contrat)> {
    let Some(seen) = contrats::find(tx.conn(), id)? else {
        return Ok(None);
    };
    conventions::lock(tx, &seen.convention_id)?;
    let Some(conseiller) = conseillers::lock(tx, &seen.conseiller_id)? else {
        return Ok(None);
    };
    Ok(contrats::lock(tx, id)?.map(|contrat| (conseiller, contrat)))
}

/// Locks an advisor's latest contract (the caller holds the advisor's convention and row).
pub fn dernier_contrat(tx: &mut WriteTx<'_>, conseiller: &ConseillerId) -> Locked<Contrat> {
    Ok(contrats::lock_dernier_du_conseiller(tx, conseiller)?)
}

/// Locks a post: its convention first (a transfer changes the convention's split), then the
/// post's row. Both read again under the locks.
pub fn poste(tx: &mut WriteTx<'_>, id: &PosteId) -> Locked<(Convention, Poste)> {
    let Some(seen) = postes::find(tx.conn(), id)? else {
        return Ok(None);
    };
    let Some(convention) = conventions::lock(tx, &seen.convention_id)? else {
        return Ok(None);
    };
    Ok(postes::lock(tx, id)?.map(|poste| (convention, poste)))
}

/// Locks up to `limit` vacant posts of a host and typology in a convention whose lock the caller
/// holds, vacant the longest first.
pub fn postes_vacants(
    tx: &mut WriteTx<'_>,
    convention: &ConventionId,
    structure: &StructureId,
    typologie: TypologiePoste,
    limit: usize,
) -> Result<Vec<Poste>, ApiError> {
    Ok(postes::lock_vacants(
        tx, convention, structure, typologie, limit,
    )?)
}

/// Locks the posts of a convention (whose lock the caller holds) not yet returned.
pub fn postes_non_rendus(
    tx: &mut WriteTx<'_>,
    convention: &ConventionId,
) -> Result<Vec<Poste>, ApiError> {
    Ok(postes::lock_non_rendus(tx, convention)?)
}

/// Locks the post an advisor holds (the caller holds the advisor's convention and row).
pub fn poste_du_conseiller(tx: &mut WriteTx<'_>, conseiller: &ConseillerId) -> Locked<Poste> {
    Ok(postes::lock_du_conseiller(tx, conseiller)?)
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

//! The application layer: one use case per write operation, over the write transaction its
//! handler opened, without actix.
//!
//! A use case locks what it needs (through [`locks`], which takes every lock in the one
//! documented order), lets the HTTP layer check what it owns once the object is locked and its
//! access decided (a [`Gate`]: the body, then `If-Match`), checks the domain's rules, applies
//! the effects — on other aggregates too — and writes the journal ([`journal`]).
//!
//! A rule that spans aggregates belongs to the use case of the aggregate that triggers it:
//! [`convention`] calls [`financement`] (a convention's end annuls its commitments; a withdrawal
//! must keep its money within the cap) and [`conseiller`] (active advisors block the end; a new
//! split keeps every advisor a post), never the reverse. `tests/layers.rs` guards that
//! direction, and that this layer imports no actix.

use chrono::NaiveDate;

use crate::auth::Caller;
use crate::db::repo::journal::Author;
use crate::error::ApiError;

pub mod conseiller;
pub mod contrat;
pub mod convention;
pub mod coordination;
pub mod financement;
pub mod formation;
pub mod journal;
pub mod locks;
pub mod poste;
pub mod statistiques;
pub mod structure;

/// Who acts, and on which day: what every use case is given.
#[derive(Debug, Clone)]
pub struct Context {
    /// The authenticated caller (its role and scope decide access).
    pub caller: Caller,
    /// The journal's author (the token's `sub` and role).
    pub author: Author,
    /// Today in Europe/Paris (or the configured day): effective dates are never after it.
    pub today: NaiveDate,
}

impl Context {
    /// The context of `caller` acting on `today`.
    pub fn new(caller: Caller, today: NaiveDate) -> Context {
        let author = author_of(&caller);
        Context {
            caller,
            author,
            today,
        }
    }
}

/// The journal's author for `caller`: the token's `sub` and role.
pub fn author_of(caller: &Caller) -> Author {
    Author {
        sub: caller.sub.clone(),
        role: caller.role.as_str().to_owned(),
    }
}

/// What the HTTP layer checks once a use case has locked the object and decided the caller's
/// access to it (404, then 403): the body (400/422), then `If-Match` against the version read
/// under the lock (428/412). Called with that version; returns the accepted input. This keeps
/// the order of refusals the API promises (401 → 404 → 403 → body → `If-Match` → status →
/// rules) while the lock is the use case's.
pub trait Gate<T>: FnOnce(i64) -> Result<T, ApiError> {}

impl<T, F: FnOnce(i64) -> Result<T, ApiError>> Gate<T> for F {}

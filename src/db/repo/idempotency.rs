//! Idempotency-Key records: a POST that creates or moves money claims its key inside the same
//! write transaction as its effect, so that a crash leaves both or neither.
//!
//! - The first request with a key claims it ([`Claim::Won`]), does its effect, stores its response
//!   ([`complete`]) and commits.
//! - The same caller, key and request again: the stored response ([`Claim::Replay`]).
//! - The same key with another request: [`Claim::Mismatch`] (422 `cle_idempotence_reutilisee`).
//! - A duplicate while the first is still in its transaction: on PostgreSQL, where writers run in
//!   parallel, [`Claim::InFlight`] (409 `requete_en_cours`), detected with a transaction-level
//!   advisory lock on the key; on SQLite, whose `BEGIN IMMEDIATE` lets one writer in at a time,
//!   the duplicate waits for the first to commit and then gets its response.
//! - A claim rolled back with its transaction (the effect was refused) frees the key.
//!
//! Records are scoped by caller and kept [`RETENTION_HOURS`]. An expired record is replaced by
//! the next claim of its key; the others are purged by a claim at most every
//! [`PURGE_EVERY_SECONDS`] per process (purging on every claim would cost PostgreSQL a scan of the
//! whole table per idempotent request).

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use diesel::prelude::*;

use crate::db::schema::idempotence;
use crate::db::{DbConn, WriteTx};
use crate::insert_if_absent;

/// How long a record is kept, in hours (the IETF draft asks for at least 24 h).
pub const RETENTION_HOURS: i64 = 24;

/// How often a process purges the expired records, in seconds (see the module doc).
pub const PURGE_EVERY_SECONDS: i64 = 60;

/// When this process last purged (Unix seconds).
static LAST_PURGE: AtomicI64 = AtomicI64::new(i64::MIN);

/// Whether this claim purges: the first claim [`PURGE_EVERY_SECONDS`] after the last purge (of
/// this process; a purge rolled back with its transaction waits for the next turn).
fn purge_due(now: DateTime<Utc>) -> bool {
    let now = now.timestamp();
    let last = LAST_PURGE.load(Ordering::Relaxed);
    now.saturating_sub(last) >= PURGE_EVERY_SECONDS
        && LAST_PURGE
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
}

/// Namespace of the advisory locks on keys (`pg_try_advisory_xact_lock(namespace, hash)`): the
/// two-integer key space does not overlap the start-up lock's single-bigint one.
const LOCK_NAMESPACE: i32 = 0x4944_4d50; // "IDMP"

diesel::define_sql_function! {
    /// PostgreSQL: takes a transaction-level advisory lock if it is free.
    fn pg_try_advisory_xact_lock(namespace: diesel::sql_types::Integer, key: diesel::sql_types::Integer) -> diesel::sql_types::Bool;
}

/// Who claims which key for which request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyClaim {
    /// The caller (role and subject): keys of different callers never meet.
    pub caller: String,
    /// The `Idempotency-Key`.
    pub key: String,
    /// SHA-256 (hex) of the request: method, path and canonical body.
    pub fingerprint: String,
}

/// A stored response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: String,
    /// The `Location` header, if any.
    pub location: Option<String>,
    /// The `ETag` header, if any.
    pub etag: Option<String>,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is ours: do the effect, then [`complete`].
    Won,
    /// The same request was done: answer its stored response.
    Replay(StoredResponse),
    /// The key was used for another request.
    Mismatch,
    /// The first request with this key is still in its transaction (PostgreSQL).
    InFlight,
}

/// A row of `idempotence`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotence, treat_none_as_default_value = false)]
struct Record {
    appelant: String,
    cle: String,
    empreinte: String,
    statut: Option<i32>,
    corps: Option<String>,
    location: Option<String>,
    cree_le: String,
    expire_le: String,
    etag: Option<String>,
}

/// A time as stored: RFC 3339 UTC with microseconds (fixed width, so text order is time order).
pub fn stored_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A 32-bit hash of the caller and key, for the advisory lock (FNV-1a).
fn lock_key(claim: &KeyClaim) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in claim.caller.bytes().chain([0u8]).chain(claim.key.bytes()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash as i32
}

/// Claims `claim.key` for `claim.caller` inside the write transaction `tx` (see the module doc).
pub fn claim(tx: &mut WriteTx<'_>, claim: &KeyClaim, now: DateTime<Utc>) -> QueryResult<Claim> {
    if let DbConn::Pg(pg) = tx.conn() {
        let free: bool = diesel::select(pg_try_advisory_xact_lock(LOCK_NAMESPACE, lock_key(claim)))
            .get_result(pg)?;
        if !free {
            return Ok(Claim::InFlight);
        }
    }
    if purge_due(now) {
        purge_expired(tx, now)?;
    }
    let now_text = stored_time(now);
    let record = Record {
        appelant: claim.caller.clone(),
        cle: claim.key.clone(),
        empreinte: claim.fingerprint.clone(),
        statut: None,
        corps: None,
        location: None,
        cree_le: now_text.clone(),
        expire_le: stored_time(now + Duration::hours(RETENTION_HOURS)),
        etag: None,
    };
    // A new key (the common case) is claimed in one statement; only a key already recorded is
    // read. On PostgreSQL the advisory lock above keeps this insert from waiting on a concurrent
    // claim of the same key.
    if insert_if_absent!(tx, idempotence::table, &record)? == 1 {
        return Ok(Claim::Won);
    }
    let existing: Record = idempotence::table
        .find((&claim.caller, &claim.key))
        .select(Record::as_select())
        .first(tx.conn())?;
    if existing.expire_le <= now_text {
        // Expired and not purged yet: the key is free again.
        diesel::update(idempotence::table.find((&claim.caller, &claim.key)))
            .set((
                idempotence::empreinte.eq(&record.empreinte),
                idempotence::statut.eq(None::<i32>),
                idempotence::corps.eq(None::<String>),
                idempotence::location.eq(None::<String>),
                idempotence::etag.eq(None::<String>),
                idempotence::cree_le.eq(&record.cree_le),
                idempotence::expire_le.eq(&record.expire_le),
            ))
            .execute(tx.conn())?;
        return Ok(Claim::Won);
    }
    if existing.empreinte != claim.fingerprint {
        return Ok(Claim::Mismatch);
    }
    Ok(match (existing.statut, existing.corps) {
        (Some(status), Some(body)) => Claim::Replay(StoredResponse {
            status: u16::try_from(status).unwrap_or(500),
            body,
            location: existing.location,
            etag: existing.etag,
        }),
        // Only the claiming transaction sees a record without its response.
        _ => Claim::InFlight,
    })
}

/// Stores the response of a won claim, in the same transaction as its effect.
pub fn complete(
    tx: &mut WriteTx<'_>,
    claim: &KeyClaim,
    response: &StoredResponse,
) -> QueryResult<()> {
    let updated = crate::db_run!(tx.conn(), |c| diesel::update(
        idempotence::table.find((&claim.caller, &claim.key))
    )
    .set((
        idempotence::statut.eq(Some(i32::from(response.status))),
        idempotence::corps.eq(Some(&response.body)),
        idempotence::location.eq(response.location.as_ref()),
        idempotence::etag.eq(response.etag.as_ref()),
    ))
    .execute(c))?;
    if updated == 1 {
        Ok(())
    } else {
        Err(diesel::result::Error::NotFound)
    }
}

/// Deletes the records whose retention has passed; returns how many.
pub fn purge_expired(tx: &mut WriteTx<'_>, now: DateTime<Utc>) -> QueryResult<usize> {
    let now = stored_time(now);
    diesel::delete(idempotence::table.filter(idempotence::expire_le.le(&now))).execute(tx.conn())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_separate_callers() {
        let a = KeyClaim {
            caller: "admin:a".into(),
            key: "k1".into(),
            fingerprint: String::new(),
        };
        let b = KeyClaim {
            caller: "admin:ak".into(),
            key: "1".into(),
            ..a.clone()
        };
        assert_ne!(lock_key(&a), lock_key(&b));
        assert_eq!(lock_key(&a), lock_key(&a.clone()));
    }

    #[test]
    fn stored_times_sort_as_times() {
        let earlier = DateTime::parse_from_rfc3339("2026-11-26T09:05:00Z").unwrap();
        let later = DateTime::parse_from_rfc3339("2026-11-26T10:00:00.5Z").unwrap();
        let (a, b) = (
            stored_time(earlier.with_timezone(&Utc)),
            stored_time(later.with_timezone(&Utc)),
        );
        assert_eq!(a, "2026-11-26T09:05:00.000000Z");
        assert!(a < b);
    }
}

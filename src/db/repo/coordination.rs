//! Coordinations: which coordinator follows which advisor (`coordinations`, one row per
//! advisor followed). Read with the advisors (one query for a page), written under the
//! advisor's row lock.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;

use super::date_text;
use super::idempotency::stored_time;
use crate::db::schema::coordinations;
use crate::db::{DbConn, WriteTx};
use crate::domain::conseiller::fin_des_contrats;
use crate::domain::ids::ConseillerId;
use crate::insert_row;

/// A row of `coordinations`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = coordinations, treat_none_as_default_value = false)]
struct CoordinationRow {
    conseiller_id: String,
    coordinateur_id: String,
    depuis: String,
    cree_le: String,
}

/// The last day of each coordinator's coordinator contracts (`typologie = 'coordinateur'`),
/// by the contracts' own rule ([`fin_des_contrats`]: `None` while one is open-ended), for the
/// coordinators `ids`: one query for them all. A coordination holds until that day
/// ([`crate::domain::conseiller::Conseiller::coordinateur_le`]).
pub fn fins_de_coordination(
    conn: &mut DbConn,
    ids: &[&str],
) -> QueryResult<Vec<(ConseillerId, Option<NaiveDate>)>> {
    let mut contrats = super::contrat::de_coordinateurs(conn, ids)?;
    contrats.sort_by(|a, b| a.conseiller_id.cmp(&b.conseiller_id));
    Ok(contrats
        .chunk_by(|a, b| a.conseiller_id == b.conseiller_id)
        .map(|leurs| (leurs[0].conseiller_id.clone(), fin_des_contrats(leurs)))
        .collect())
}

/// The coordinators of these advisors, as `(advisor, coordinator)` ids: one query for them all.
pub fn des_conseillers(conn: &mut DbConn, ids: &[&str]) -> QueryResult<Vec<(String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    coordinations::table
        .filter(coordinations::conseiller_id.eq_any(ids))
        .select((coordinations::conseiller_id, coordinations::coordinateur_id))
        .load(conn)
}

/// The advisor is followed by `coordinateur` from `depuis` (replacing its former coordinator,
/// if any). Under the advisor's row lock.
pub fn save(
    tx: &mut WriteTx<'_>,
    conseiller: &ConseillerId,
    coordinateur: &ConseillerId,
    depuis: NaiveDate,
) -> QueryResult<()> {
    delete(tx, conseiller)?;
    let row = CoordinationRow {
        conseiller_id: conseiller.to_string(),
        coordinateur_id: coordinateur.to_string(),
        depuis: date_text(depuis),
        cree_le: stored_time(Utc::now()),
    };
    insert_row!(tx, coordinations::table, &row)?;
    Ok(())
}

/// The advisor is no longer followed; `false` when it was not. Under the advisor's row lock.
pub fn delete(tx: &mut WriteTx<'_>, conseiller: &ConseillerId) -> QueryResult<bool> {
    let deleted =
        diesel::delete(coordinations::table.find(conseiller.as_str())).execute(tx.conn())?;
    Ok(deleted > 0)
}

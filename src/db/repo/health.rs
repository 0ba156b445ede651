//! What the readiness probe asks the database.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::referentiel_chargements;

/// Whether some référentiel is in the database (this release's or another's): what readiness
/// needs. Not the checksum of this release: during a rolling upgrade, instances of the previous
/// release must stay ready after a newer one has reloaded the data.
pub fn referentiel_present(conn: &mut DbConn) -> QueryResult<bool> {
    let count: i64 = referentiel_chargements::table.count().get_result(conn)?;
    Ok(count > 0)
}

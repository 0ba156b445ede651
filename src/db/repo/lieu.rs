//! Places of activity: creation, reads with their commune's name, public lists, changes under a
//! row lock. The standard's lists are stored as JSON arrays of its values.

use chrono::Utc;
use diesel::prelude::*;

use super::idempotency::stored_time;
use super::{from_json, stored, to_json};
use crate::db::schema::{communes, communes_codes_postaux, lieux};
use crate::db::{DbConn, WriteTx};
use crate::domain::codes::{CodeDepartement, CodeInsee};
use crate::domain::filter::LieuFilter;
use crate::domain::ids::{LieuId, StructureId};
use crate::domain::lieu::{CommuneLieu, Lieu};
use crate::{current_commune, insert_then_read, list_fn, lock_then_read, values_of_commune};

/// A row of `lieux`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = lieux, treat_none_as_null = true, treat_none_as_default_value = false)]
pub(super) struct LieuRow {
    pub(super) id: String,
    structure_id: String,
    nom: String,
    adresse: String,
    code_postal: String,
    code_insee: String,
    departement: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    horaires: Option<String>,
    telephone: Option<String>,
    courriels: String,
    site_web: String,
    itinerance: String,
    services: String,
    modalites_acces: String,
    publics_specifiquement_adresses: String,
    version: i64,
    cree_le: String,
    modifie_le: String,
}

/// A struct literal of a lieu or of its row, with the standard's six lists taken from the
/// same fields of `source`, each converted with `convert` (`to_json` to store them, `from_json`
/// to read them back).
macro_rules! with_lists {
    ($kind:ident { $($field:ident $(: $value:expr)?),* $(,)? }, $convert:ident(&$source:ident)) => {
        $kind {
            $($field $(: $value)?,)*
            courriels: $convert(&$source.courriels)?,
            site_web: $convert(&$source.site_web)?,
            itinerance: $convert(&$source.itinerance)?,
            services: $convert(&$source.services)?,
            modalites_acces: $convert(&$source.modalites_acces)?,
            publics_specifiquement_adresses: $convert(&$source.publics_specifiquement_adresses)?,
        }
    };
}

fn row_of(lieu: &Lieu) -> QueryResult<LieuRow> {
    Ok(with_lists!(
        LieuRow {
            id: lieu.id.to_string(),
            structure_id: lieu.structure_id.to_string(),
            nom: lieu.nom.clone(),
            adresse: lieu.adresse.clone(),
            code_postal: lieu.code_postal.clone(),
            code_insee: lieu.code_insee.to_string(),
            departement: lieu.departement.to_string(),
            latitude: lieu.latitude,
            longitude: lieu.longitude,
            horaires: lieu.horaires.clone(),
            telephone: lieu.telephone.clone(),
            version: lieu.version,
            cree_le: lieu.cree_le.clone(),
            modifie_le: lieu.modifie_le.clone(),
        },
        to_json(&lieu)
    ))
}

/// A lieu from its row and its commune's name.
pub(super) fn lieu_of((row, commune): (LieuRow, String)) -> QueryResult<Lieu> {
    Ok(with_lists!(
        Lieu {
            id: stored(LieuId::parse(&row.id))?,
            structure_id: stored(StructureId::parse(&row.structure_id))?,
            nom: row.nom,
            adresse: row.adresse,
            code_postal: row.code_postal,
            code_insee: stored(CodeInsee::parse(&row.code_insee))?,
            commune,
            departement: stored(CodeDepartement::parse(&row.departement))?,
            latitude: row.latitude,
            longitude: row.longitude,
            horaires: row.horaires,
            telephone: row.telephone,
            version: row.version,
            cree_le: row.cree_le,
            modifie_le: row.modifie_le,
        },
        from_json(&row)
    ))
}

/// What the référentiel says about a lieu's commune (`None`: no current commune of that code).
pub fn commune(conn: &mut DbConn, code_insee: &CodeInsee) -> QueryResult<Option<CommuneLieu>> {
    let found: Option<(String, String)> = current_commune!(
        conn,
        code_insee.as_str(),
        (communes::nom, communes::departement)
    )?;
    let Some((nom, departement)) = found else {
        return Ok(None);
    };
    let codes_postaux = values_of_commune!(
        conn,
        communes_codes_postaux::code_postal,
        code_insee.as_str()
    )?;
    Ok(Some(CommuneLieu {
        nom,
        departement: stored(CodeDepartement::parse(&departement))?,
        codes_postaux,
    }))
}

/// Creates a lieu (already checked); `lieu.id`, `version` and the times are set here. Returns it
/// as read back.
pub fn insert(tx: &mut WriteTx<'_>, lieu: &Lieu) -> QueryResult<Lieu> {
    let now = stored_time(Utc::now());
    let mut row = row_of(lieu)?;
    let id = LieuId::new();
    row.id = id.to_string();
    row.version = 1;
    row.cree_le = now.clone();
    row.modifie_le = now;
    insert_then_read!(tx, lieux::table, &row, |conn| find(conn, &id))
}

/// One lieu.
pub fn find(conn: &mut DbConn, id: &LieuId) -> QueryResult<Option<Lieu>> {
    lieux::table
        .inner_join(communes::table)
        .filter(lieux::id.eq(id.as_str()))
        .select((LieuRow::as_select(), communes::nom))
        .first(conn)
        .optional()?
        .map(lieu_of)
        .transpose()
}

/// Locks a lieu's row until the end of the transaction, and reads it.
pub fn lock(tx: &mut WriteTx<'_>, id: &LieuId) -> QueryResult<Option<Lieu>> {
    lock_then_read!(tx, lieux::table, lieux::id, id.as_str(), |conn| find(
        conn, id
    ))
}

/// Writes every field of a locked lieu and bumps its version; returns it as read back.
pub fn save(tx: &mut WriteTx<'_>, lieu: &Lieu) -> QueryResult<Lieu> {
    let mut row = row_of(lieu)?;
    row.version = lieu.version + 1;
    row.modifie_le = stored_time(Utc::now());
    diesel::update(lieux::table.find(lieu.id.as_str()))
        .set(&row)
        .execute(tx.conn())?;
    find(tx.conn(), &lieu.id)?.ok_or(diesel::result::Error::NotFound)
}

list_fn! {
    /// A page of lieux, newest first (public: no scope).
    pub fn list(filter: &LieuFilter) -> Page<Lieu> {
        rows lieux::table
            .inner_join(communes::table)
            .select((LieuRow::as_select(), communes::nom)),
            |row: (LieuRow, String)| &row.0.id, by lieux::id => desc, into lieu_of;
        equal [
            lieux::departement => filter.departement,
            lieux::code_insee => filter.code_insee,
            lieux::structure_id => filter.structure_id,
        ];
    }
}

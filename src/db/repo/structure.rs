//! Host structures: creation, reads (with their seat commune's name and région), lists within a
//! scope, and the changes allowed (the name; whether it is in a priority territory).

use chrono::Utc;
use diesel::prelude::*;

use super::idempotency::stored_time;
use super::{Backend, Ranked, SearchQuery, ranked_search, stored};
use crate::db::schema::{communes, epci_membres, structures};
use crate::db::{DbConn, WriteTx};
use crate::domain::codes::{CodeDepartement, CodeInsee, CodeRegion, Siren, Siret};
use crate::domain::filter::{StructureFilter, name_key};
use crate::domain::ids::StructureId;
use crate::domain::paging::{Page, Position};
use crate::domain::referentiel::search_key;
use crate::domain::scope::ScopeFilter;
use crate::domain::structure::{Seat, Structure, TypeStructure};
use crate::{
    apply_search, current_commune, filter_eq, insert_then_read, lock_then_read, scope_filter,
    update_versioned, values_of_commune,
};

/// A row of `structures`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = structures, treat_none_as_default_value = false)]
pub struct StructureRow {
    id: String,
    siret: String,
    siren: String,
    nom: String,
    nom_recherche: String,
    type_: String,
    code_insee: String,
    departement: String,
    version: i64,
    cree_le: String,
    modifie_le: String,
    territoire_prioritaire: bool,
}

/// A structure to create (already checked against the référentiel).
#[derive(Debug, Clone)]
pub struct NewStructure {
    /// Its SIRET.
    pub siret: Siret,
    /// Its name.
    pub nom: String,
    /// Its legal nature.
    pub type_structure: TypeStructure,
    /// Its seat.
    pub code_insee: CodeInsee,
}

type Joined = (StructureRow, String, String);

fn structure_of((row, commune, region): Joined) -> QueryResult<Structure> {
    let siret = stored(Siret::parse(&row.siret))?;
    let type_structure = stored(TypeStructure::parse(&row.type_))?;
    Ok(Structure {
        id: stored(StructureId::parse(&row.id))?,
        siren: siret.siren(),
        siret,
        nom: row.nom,
        type_structure,
        categorie: type_structure.categorie(),
        territoire_prioritaire: row.territoire_prioritaire,
        code_insee: stored(CodeInsee::parse(&row.code_insee))?,
        commune,
        departement: stored(CodeDepartement::parse(&row.departement))?,
        region: stored(CodeRegion::parse(&region))?,
        version: row.version,
        cree_le: row.cree_le,
        modifie_le: row.modifie_le,
    })
}

/// What the référentiel says about a seat commune (`None`: no such current commune; one that
/// left the référentiel is kept for the structures already there, but takes no new one).
pub fn seat(conn: &mut DbConn, code_insee: &CodeInsee) -> QueryResult<Option<Seat>> {
    let commune: Option<Option<String>> =
        current_commune!(conn, code_insee.as_str(), communes::siren)?;
    let Some(commune_siren) = commune else {
        return Ok(None);
    };
    let epci = values_of_commune!(conn, epci_membres::epci_siren, code_insee.as_str())?;
    Ok(Some(Seat {
        code_insee: code_insee.clone(),
        commune_siren: commune_siren
            .map(|s| stored(Siren::parse(&s)))
            .transpose()?,
        epci_sirens: epci
            .iter()
            .map(|s| stored(Siren::parse(s)))
            .collect::<QueryResult<_>>()?,
    }))
}

/// Inserts a structure; returns it as read back.
pub fn insert(tx: &mut WriteTx<'_>, new: &NewStructure) -> QueryResult<Structure> {
    let now = stored_time(Utc::now());
    let id = StructureId::new();
    let row = StructureRow {
        id: id.to_string(),
        siret: new.siret.to_string(),
        siren: new.siret.siren().to_string(),
        nom: new.nom.clone(),
        nom_recherche: search_key(&new.nom),
        type_: new.type_structure.as_str().to_owned(),
        code_insee: new.code_insee.to_string(),
        departement: new.code_insee.departement().to_string(),
        version: 1,
        cree_le: now.clone(),
        modifie_le: now,
        territoire_prioritaire: false,
    };
    insert_then_read!(tx, structures::table, &row, |conn| find(conn, &id))
}

/// One structure.
pub fn find(conn: &mut DbConn, id: &StructureId) -> QueryResult<Option<Structure>> {
    structures::table
        .inner_join(communes::table)
        .filter(structures::id.eq(id.as_str()))
        .select((StructureRow::as_select(), communes::nom, communes::region))
        .first::<Joined>(conn)
        .optional()?
        .map(structure_of)
        .transpose()
}

/// Several structures by id (those that exist), in no particular order.
pub fn find_many(conn: &mut DbConn, ids: &[StructureId]) -> QueryResult<Vec<Structure>> {
    let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    structures::table
        .inner_join(communes::table)
        .filter(structures::id.eq_any(ids))
        .select((StructureRow::as_select(), communes::nom, communes::region))
        .load::<Joined>(conn)?
        .into_iter()
        .map(structure_of)
        .collect()
}

/// Locks a structure's row until the end of the transaction, and reads it.
pub fn lock(tx: &mut WriteTx<'_>, id: &StructureId) -> QueryResult<Option<Structure>> {
    lock_then_read!(tx, structures::table, structures::id, id.as_str(), |conn| {
        find(conn, id)
    })
}

/// Renames a locked structure; bumps its version. Returns it as read back.
pub fn rename(tx: &mut WriteTx<'_>, id: &StructureId, nom: &str) -> QueryResult<Structure> {
    update_versioned!(
        tx,
        structures,
        id.as_str(),
        [
            structures::nom.eq(nom),
            structures::nom_recherche.eq(search_key(nom)),
        ]
    )?;
    find(tx.conn(), id)?.ok_or(diesel::result::Error::NotFound)
}

/// Sets whether a locked structure is in a priority territory; bumps its version. Returns it as
/// read back.
pub fn set_territoire_prioritaire(
    tx: &mut WriteTx<'_>,
    id: &StructureId,
    territoire_prioritaire: bool,
) -> QueryResult<Structure> {
    update_versioned!(
        tx,
        structures,
        id.as_str(),
        [structures::territoire_prioritaire.eq(territoire_prioritaire)]
    )?;
    find(tx.conn(), id)?.ok_or(diesel::result::Error::NotFound)
}

/// A page of structures within `scope`: by id without `q`; with `q`, names starting with it
/// first, then names containing it.
pub fn list(
    conn: &mut DbConn,
    filter: &StructureFilter,
    scope: &ScopeFilter,
    after: Option<&Position>,
    limit: usize,
) -> QueryResult<Page<Structure>> {
    ranked_search(
        name_key(filter.q.as_deref()).as_deref(),
        after,
        limit,
        |search: &SearchQuery<'_>| {
            let mut query = structures::table
                .inner_join(communes::table)
                .select((StructureRow::as_select(), communes::nom, communes::region))
                .into_boxed::<Backend>();
            filter_eq!(query, [
                structures::departement => filter.departement,
                structures::type_ => filter.type_structure,
                structures::siret => filter.siret,
            ]);
            if let Some(categorie) = filter.categorie {
                let types: Vec<&str> = TypeStructure::ALL
                    .iter()
                    .filter(|kind| kind.categorie() == categorie)
                    .map(|kind| kind.as_str())
                    .collect();
                query = query.filter(structures::type_.eq_any(types));
            }
            if let Some(prioritaire) = filter.territoire_prioritaire {
                query = query.filter(structures::territoire_prioritaire.eq(prioritaire));
            }
            let query = scope_filter!(
                query,
                scope,
                departement = structures::departement,
                structure = |id| structures::id.eq(id)
            );
            let query = apply_search!(query, search, structures::nom_recherche, structures::id);
            query
                .load::<Joined>(conn)?
                .into_iter()
                .map(|joined| {
                    let key = joined.0.nom_recherche.clone();
                    let id = joined.0.id.clone();
                    Ok::<Ranked<Structure>, _>((key, id, structure_of(joined)?))
                })
                .collect()
        },
    )
}

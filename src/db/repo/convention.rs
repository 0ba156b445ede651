//! Conventions: numbering, creation, reads with signatories and split, lists within a scope,
//! changes under a row lock, and the avenants' history.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;

use super::idempotency::stored_time;
use super::{Backend, converted, date_text, optional_date, stored};
use crate::db::schema::{
    avenants, conventions, conventions_numeros, conventions_repartition, conventions_signataires,
    departements,
};
use crate::db::{DbConn, WriteTx};
use crate::domain::codes::{CodeDepartement, CodeRegion};
use crate::domain::convention::{Avenant, Convention, PartHote, StatutConvention, TypeAvenant};
use crate::domain::filter::ConventionFilter;
use crate::domain::ids::{AvenantId, ConventionId, StructureId};
use crate::domain::paging::{Page, Position};
use crate::domain::scope::ScopeFilter;
use crate::{
    filter_eq, insert_if_absent, insert_row, insert_rows, keyset_page, lock_rows, scope_filter,
    share_rows, update_versioned,
};

/// A row of `conventions`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = conventions, treat_none_as_default_value = false)]
struct ConventionRow {
    id: String,
    numero: String,
    departement: String,
    intitule: String,
    postes_attribues: i64,
    postes_pourvus: i64,
    delai_projet_mois: i64,
    statut: String,
    date_signature: Option<String>,
    date_limite_projet: Option<String>,
    date_depot: Option<String>,
    lieux_prevus: Option<i64>,
    date_validation: Option<String>,
    date_cloture: Option<String>,
    date_resiliation: Option<String>,
    motif_resiliation: Option<String>,
    signataires: String,
    repartition: String,
    version: i64,
    cree_le: String,
    modifie_le: String,
}

fn json_error(error: serde_json::Error) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(Box::new(error))
}

/// The JSON copies of the signatories and the split (see the migration).
fn signataires_json(signataires: &[StructureId]) -> QueryResult<String> {
    let ids: Vec<&str> = signataires.iter().map(|id| id.as_str()).collect();
    serde_json::to_string(&ids).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

fn repartition_json(repartition: &[PartHote]) -> QueryResult<String> {
    serde_json::to_string(repartition)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

/// A row of `avenants`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = avenants, treat_none_as_default_value = false)]
struct AvenantRow {
    id: String,
    convention_id: String,
    rang: i64,
    type_: String,
    nombre_postes: i64,
    motif: String,
    postes_avant: i64,
    postes_apres: i64,
    auteur: String,
    cree_le: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = conventions_signataires, treat_none_as_default_value = false)]
struct SignataireRow {
    convention_id: String,
    structure_id: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = conventions_repartition, treat_none_as_default_value = false)]
struct RepartitionRow {
    convention_id: String,
    structure_id: String,
    postes: i64,
    postes_coordinateur: i64,
}

/// A convention to create (already checked).
#[derive(Debug, Clone)]
pub struct NewConvention {
    /// Its département.
    pub departement: CodeDepartement,
    /// Its title.
    pub intitule: String,
    /// Its signatories.
    pub signataires: Vec<StructureId>,
    /// Posts granted.
    pub postes_attribues: i64,
    /// Months to file the project.
    pub delai_projet_mois: i64,
    /// The year of its number.
    pub annee: i32,
}

/// The next number of a département's sequence, in the creating transaction: the counter's row
/// is locked by its update until the end of the transaction (PostgreSQL), and SQLite has one
/// writer at a time, so that two concurrent creations never get the same number.
fn next_sequence(tx: &mut WriteTx<'_>, departement: &CodeDepartement) -> QueryResult<i64> {
    insert_if_absent!(
        tx,
        conventions_numeros::table,
        (
            conventions_numeros::departement.eq(departement.as_str()),
            conventions_numeros::dernier.eq(0i64)
        )
    )?;
    diesel::update(conventions_numeros::table.find(departement.as_str()))
        .set(conventions_numeros::dernier.eq(conventions_numeros::dernier + 1))
        .execute(tx.conn())?;
    conventions_numeros::table
        .find(departement.as_str())
        .select(conventions_numeros::dernier)
        .first(tx.conn())
}

/// Creates a convention in `brouillon` with its number and signatories; returns it as read back.
pub fn insert(tx: &mut WriteTx<'_>, new: &NewConvention) -> QueryResult<Convention> {
    let sequence = next_sequence(tx, &new.departement)?;
    let id = ConventionId::new();
    let now = stored_time(Utc::now());
    let row = ConventionRow {
        id: id.to_string(),
        numero: crate::domain::convention::numero(&new.departement, new.annee, sequence),
        departement: new.departement.to_string(),
        intitule: new.intitule.clone(),
        postes_attribues: new.postes_attribues,
        postes_pourvus: 0,
        delai_projet_mois: new.delai_projet_mois,
        statut: StatutConvention::Brouillon.as_str().to_owned(),
        date_signature: None,
        date_limite_projet: None,
        date_depot: None,
        lieux_prevus: None,
        date_validation: None,
        date_cloture: None,
        date_resiliation: None,
        motif_resiliation: None,
        signataires: signataires_json(&new.signataires)?,
        repartition: "[]".to_owned(),
        version: 1,
        cree_le: now.clone(),
        modifie_le: now,
    };
    insert_row!(tx, conventions::table, &row)?;
    let signataires: Vec<SignataireRow> = new
        .signataires
        .iter()
        .map(|structure| SignataireRow {
            convention_id: id.to_string(),
            structure_id: structure.to_string(),
        })
        .collect();
    insert_rows!(tx, conventions_signataires::table, &signataires)?;
    find(tx.conn(), &id)?.ok_or(diesel::result::Error::NotFound)
}

/// Builds conventions from their rows (signatories and split from their JSON copies).
fn assemble(rows: Vec<(ConventionRow, String)>) -> QueryResult<Vec<Convention>> {
    rows.into_iter()
        .map(|(row, region)| {
            // Identifiers and codes keep the row's strings (`try_from` checks them in place);
            // the JSON copies parse straight into identifiers.
            let signataires: Vec<StructureId> =
                serde_json::from_str(&row.signataires).map_err(json_error)?;
            let repartition: Vec<PartHote> =
                serde_json::from_str(&row.repartition).map_err(json_error)?;
            Ok(Convention {
                id: stored(ConventionId::try_from(row.id))?,
                numero: row.numero,
                departement: stored(CodeDepartement::try_from(row.departement))?,
                region: stored(CodeRegion::try_from(region))?,
                intitule: row.intitule,
                postes_attribues: row.postes_attribues,
                postes_pourvus: row.postes_pourvus,
                delai_projet_mois: row.delai_projet_mois,
                statut: stored(StatutConvention::parse(&row.statut))?,
                date_signature: optional_date(row.date_signature)?,
                date_limite_projet: optional_date(row.date_limite_projet)?,
                date_depot: optional_date(row.date_depot)?,
                lieux_prevus: row.lieux_prevus,
                date_validation: optional_date(row.date_validation)?,
                date_cloture: optional_date(row.date_cloture)?,
                date_resiliation: optional_date(row.date_resiliation)?,
                motif_resiliation: row.motif_resiliation,
                signataires,
                repartition,
                version: row.version,
                cree_le: row.cree_le,
                modifie_le: row.modifie_le,
            })
        })
        .collect()
}

/// The query of one convention's row and its région. The région comes from a subquery, not a
/// join, so that a row lock taken with the read (`FOR UPDATE`, `FOR SHARE`) is the convention's
/// alone, and the lock and the read are one statement.
macro_rules! convention_by_id {
    ($id:expr) => {
        conventions::table.filter(conventions::id.eq($id)).select((
            ConventionRow::as_select(),
            departements::table
                .filter(departements::code.eq(conventions::departement))
                .select(departements::region)
                .single_value(),
        ))
    };
}

/// A row of [`convention_by_id!`].
type RowWithRegion = (ConventionRow, Option<String>);

/// The convention of a [`convention_by_id!`] read, if there was one. Its département exists (a
/// foreign key), so its région too.
fn one(rows: Vec<RowWithRegion>) -> QueryResult<Option<Convention>> {
    let rows = rows
        .into_iter()
        .map(|(row, region)| Ok((row, stored_region(region)?)))
        .collect::<QueryResult<Vec<_>>>()?;
    Ok(assemble(rows)?.pop())
}

fn stored_region(region: Option<String>) -> QueryResult<String> {
    region
        .ok_or_else(|| diesel::result::Error::DeserializationError("convention sans région".into()))
}

/// One convention.
pub fn find(conn: &mut DbConn, id: &ConventionId) -> QueryResult<Option<Convention>> {
    one(crate::db_run!(conn, |c| convention_by_id!(id.as_str())
        .load::<RowWithRegion>(c)?))
}

/// Locks a convention's row until the end of the transaction, and reads it.
pub fn lock(tx: &mut WriteTx<'_>, id: &ConventionId) -> QueryResult<Option<Convention>> {
    one(lock_rows!(tx, convention_by_id!(id.as_str()) => RowWithRegion)?)
}

/// Keeps a convention's row unchanged until the end of the transaction, and reads it: its
/// writers ([`lock`]) wait, other transactions that only rely on it (commitments) do not.
pub fn share(tx: &mut WriteTx<'_>, id: &ConventionId) -> QueryResult<Option<Convention>> {
    one(share_rows!(tx, convention_by_id!(id.as_str()) => RowWithRegion)?)
}

/// Writes the changed state of a locked convention (every field an action may change) and bumps
/// its version; returns it as read back.
pub fn save(tx: &mut WriteTx<'_>, convention: &Convention) -> QueryResult<Convention> {
    update_versioned!(
        tx,
        conventions,
        convention.id.as_str(),
        [
            conventions::intitule.eq(&convention.intitule),
            conventions::postes_attribues.eq(convention.postes_attribues),
            conventions::statut.eq(convention.statut.as_str()),
            conventions::date_signature.eq(convention.date_signature.map(date_text)),
            conventions::date_limite_projet.eq(convention.date_limite_projet.map(date_text)),
            conventions::date_depot.eq(convention.date_depot.map(date_text)),
            conventions::lieux_prevus.eq(convention.lieux_prevus),
            conventions::date_validation.eq(convention.date_validation.map(date_text)),
            conventions::date_cloture.eq(convention.date_cloture.map(date_text)),
            conventions::date_resiliation.eq(convention.date_resiliation.map(date_text)),
            conventions::motif_resiliation.eq(convention.motif_resiliation.as_ref()),
            conventions::repartition.eq(repartition_json(&convention.repartition)?),
        ]
    )?;
    diesel::delete(
        conventions_repartition::table
            .filter(conventions_repartition::convention_id.eq(convention.id.as_str())),
    )
    .execute(tx.conn())?;
    let split: Vec<RepartitionRow> = convention
        .repartition
        .iter()
        .map(|part| RepartitionRow {
            convention_id: convention.id.to_string(),
            structure_id: part.structure_id.to_string(),
            postes: part.postes,
            postes_coordinateur: part.postes_coordinateur,
        })
        .collect();
    if !split.is_empty() {
        insert_rows!(tx, conventions_repartition::table, &split)?;
    }
    find(tx.conn(), &convention.id)?.ok_or(diesel::result::Error::NotFound)
}

/// An avenant to record.
#[derive(Debug, Clone)]
pub struct NewAvenant<'a> {
    /// Its convention.
    pub convention_id: &'a ConventionId,
    /// Adds or withdraws.
    pub type_avenant: TypeAvenant,
    /// How many posts.
    pub nombre_postes: i64,
    /// Why.
    pub motif: &'a str,
    /// Posts before.
    pub postes_avant: i64,
    /// Posts after.
    pub postes_apres: i64,
    /// Who.
    pub auteur: &'a str,
}

impl TryFrom<AvenantRow> for Avenant {
    type Error = diesel::result::Error;
    fn try_from(row: AvenantRow) -> QueryResult<Avenant> {
        Ok(Avenant {
            id: stored(AvenantId::parse(&row.id))?,
            convention_id: stored(ConventionId::parse(&row.convention_id))?,
            rang: row.rang,
            type_avenant: stored(TypeAvenant::parse(&row.type_))?,
            nombre_postes: row.nombre_postes,
            motif: row.motif,
            postes_avant: row.postes_avant,
            postes_apres: row.postes_apres,
            auteur: row.auteur,
            cree_le: row.cree_le,
        })
    }
}

/// Appends an avenant to a locked convention's history (its rank is the next one).
pub fn insert_avenant(tx: &mut WriteTx<'_>, new: &NewAvenant<'_>) -> QueryResult<Avenant> {
    let last: Option<i64> = avenants::table
        .filter(avenants::convention_id.eq(new.convention_id.as_str()))
        .select(diesel::dsl::max(avenants::rang))
        .first(tx.conn())?;
    let row = AvenantRow {
        id: AvenantId::new().to_string(),
        convention_id: new.convention_id.to_string(),
        rang: last.unwrap_or(0) + 1,
        type_: new.type_avenant.as_str().to_owned(),
        nombre_postes: new.nombre_postes,
        motif: new.motif.to_owned(),
        postes_avant: new.postes_avant,
        postes_apres: new.postes_apres,
        auteur: new.auteur.to_owned(),
        cree_le: stored_time(Utc::now()),
    };
    diesel::insert_into(avenants::table)
        .values(&row)
        .execute(tx.conn())?;
    Avenant::try_from(row)
}

/// A convention's avenants, in order.
pub fn list_avenants(conn: &mut DbConn, convention_id: &ConventionId) -> QueryResult<Vec<Avenant>> {
    avenants::table
        .filter(avenants::convention_id.eq(convention_id.as_str()))
        .select(AvenantRow::as_select())
        .order(avenants::rang)
        .load::<AvenantRow>(conn)
        .and_then(converted)
}

/// One avenant of a convention.
pub fn find_avenant(
    conn: &mut DbConn,
    convention_id: &ConventionId,
    id: &AvenantId,
) -> QueryResult<Option<Avenant>> {
    avenants::table
        .filter(avenants::convention_id.eq(convention_id.as_str()))
        .filter(avenants::id.eq(id.as_str()))
        .select(AvenantRow::as_select())
        .first(conn)
        .optional()?
        .map(Avenant::try_from)
        .transpose()
}

/// [`domain::convention::en_retard`](crate::domain::convention::en_retard) as SQL, for the
/// list's filter and the statistics' count (which would otherwise read every signed
/// convention's deadline): signed, and the deadline before `today`. NULL, not false, for a
/// signed convention without a deadline (none exists: signing sets it). `tests/conventions.rs`
/// checks it against the domain's rule on the days around a deadline.
pub fn en_retard(today: NaiveDate) -> EnRetard {
    conventions::statut
        .eq(StatutConvention::Signee.as_str())
        .and(conventions::date_limite_projet.lt(date_text(today)))
}

/// The type of [`en_retard`]'s expression.
pub type EnRetard = diesel::dsl::And<
    diesel::dsl::Eq<conventions::statut, &'static str>,
    diesel::dsl::Lt<conventions::date_limite_projet, String>,
>;

/// The condition "the structure `structure` (a `String`) signs the convention whose id is in
/// `convention` (a column)": `EXISTS` over `conventions_signataires`.
#[macro_export]
macro_rules! signed_by {
    ($convention:expr, $structure:expr) => {{
        use $crate::db::schema::conventions_signataires as signataires;
        diesel::dsl::exists(
            signataires::table
                .filter(signataires::convention_id.eq($convention))
                .filter(signataires::structure_id.eq($structure)),
        )
    }};
}

/// The condition "the structure `structure` (a `String` variable) is a party to the convention
/// whose id is in `convention` (a column)": it signs it, or has posts in its split. What a
/// structure's scope sees of conventions and of what hangs from them.
#[macro_export]
macro_rules! party_to {
    ($convention:expr, $structure:ident) => {{
        use $crate::db::schema::conventions_repartition as repartition;
        $crate::signed_by!($convention, $structure.clone()).or(diesel::dsl::exists(
            repartition::table
                .filter(repartition::convention_id.eq($convention))
                .filter(repartition::structure_id.eq($structure)),
        ))
    }};
}

/// A page of conventions within `scope`, newest first (ids are time-ordered); `en_retard` as of
/// `today` (Europe/Paris).
pub fn list(
    conn: &mut DbConn,
    filter: &ConventionFilter,
    today: NaiveDate,
    scope: &ScopeFilter,
    after: Option<&Position>,
    limit: usize,
) -> QueryResult<Page<Convention>> {
    let mut query = conventions::table
        .inner_join(departements::table)
        .select((ConventionRow::as_select(), departements::region))
        .into_boxed::<Backend>();
    filter_eq!(query, [
        conventions::departement => filter.departement,
        departements::region => filter.region,
        conventions::statut => filter.statut,
    ]);
    if let Some(structure) = &filter.signataire {
        query = query.filter(signed_by!(conventions::id, structure.to_string()));
    }
    if let Some(late) = filter.en_retard {
        let is_late = en_retard(today);
        query = if late {
            query.filter(is_late)
        } else {
            query.filter(diesel::dsl::not(is_late.assume_not_null()))
        };
    }
    let query = scope_filter!(
        query,
        scope,
        departement = conventions::departement,
        structure = |id| party_to!(conventions::id, id)
    );
    let page = keyset_page!(conn, query, after, limit, conventions::id => desc,
        |row: (ConventionRow, String)| &row.0.id)?;
    let items = assemble(page.items)?;
    Ok(Page {
        items,
        next: page.next,
    })
}

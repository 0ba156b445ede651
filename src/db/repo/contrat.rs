//! Contracts: their rows, created with a recruitment, changed under their convention's lock (an
//! exit, a rupture), read one by one or by page. Their state is computed from `today`, in Rust
//! for one contract ([`Contrat::etat`]) and in SQL for a list's filter ([`etat_le`]): the same
//! rule, tested together.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;

use super::Backend;
use super::idempotency::stored_time;
use super::{converted, date_text, stored, stored_date, stored_option};
use crate::db::schema::contrats;
use crate::db::{DbConn, WriteTx};
use crate::domain::codes::CodeDepartement;
use crate::domain::contrat::{Contrat, EtatContrat, MotifRupture, Rupture, TypeContrat};
use crate::domain::filter::ContratFilter;
use crate::domain::ids::{ConseillerId, ContratId, ConventionId, PosteId, StructureId};
use crate::domain::paging::{Page, Position};
use crate::domain::poste::TypologiePoste;
use crate::domain::scope::ScopeFilter;
use crate::{filter_eq, keyset_page, scope_filter};

/// A row of `contrats`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = contrats, treat_none_as_default_value = false)]
struct ContratRow {
    id: String,
    conseiller_id: String,
    poste_id: Option<String>,
    structure_id: String,
    convention_id: String,
    departement: String,
    typologie: String,
    type_contrat: String,
    date_debut: String,
    date_fin: Option<String>,
    date_rupture: Option<String>,
    motif_rupture: Option<String>,
    commentaire_rupture: Option<String>,
    salaire_brut_mensuel_centimes: Option<i64>,
    version: i64,
    cree_le: String,
    modifie_le: String,
}

impl TryFrom<ContratRow> for Contrat {
    type Error = diesel::result::Error;
    fn try_from(row: ContratRow) -> QueryResult<Contrat> {
        let rupture = match (row.date_rupture, row.motif_rupture) {
            (Some(date), Some(motif)) => Some(Rupture {
                date: stored_date(&date)?,
                motif: stored(MotifRupture::parse(&motif))?,
                commentaire: row.commentaire_rupture,
            }),
            _ => None,
        };
        Ok(Contrat {
            id: stored(ContratId::try_from(row.id))?,
            conseiller_id: stored(ConseillerId::try_from(row.conseiller_id))?,
            poste_id: stored_option(row.poste_id, PosteId::parse)?,
            structure_id: stored(StructureId::try_from(row.structure_id))?,
            convention_id: stored(ConventionId::try_from(row.convention_id))?,
            departement: stored(CodeDepartement::try_from(row.departement))?,
            typologie: stored(TypologiePoste::parse(&row.typologie))?,
            type_contrat: stored(TypeContrat::parse(&row.type_contrat))?,
            date_debut: stored_date(&row.date_debut)?,
            date_fin: row.date_fin.as_deref().map(stored_date).transpose()?,
            rupture,
            salaire_brut_mensuel_centimes: row.salaire_brut_mensuel_centimes,
            version: row.version,
        })
    }
}

/// The columns a contract's end changes.
type Fin = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn fin(contrat: &Contrat) -> Fin {
    let rupture = contrat.rupture.as_ref();
    (
        contrat.date_fin.map(date_text),
        rupture.map(|r| date_text(r.date)),
        rupture.map(|r| r.motif.as_str().to_owned()),
        rupture.and_then(|r| r.commentaire.clone()),
    )
}

/// Records a new contract (built by the domain) in the transaction; returns it as stored.
pub fn insert(tx: &mut WriteTx<'_>, contrat: &Contrat) -> QueryResult<Contrat> {
    let now = stored_time(Utc::now());
    let (date_fin, date_rupture, motif_rupture, commentaire_rupture) = fin(contrat);
    let row = ContratRow {
        id: contrat.id.to_string(),
        conseiller_id: contrat.conseiller_id.to_string(),
        poste_id: contrat.poste_id.as_ref().map(ToString::to_string),
        structure_id: contrat.structure_id.to_string(),
        convention_id: contrat.convention_id.to_string(),
        departement: contrat.departement.to_string(),
        typologie: contrat.typologie.as_str().to_owned(),
        type_contrat: contrat.type_contrat.as_str().to_owned(),
        date_debut: date_text(contrat.date_debut),
        date_fin,
        date_rupture,
        motif_rupture,
        commentaire_rupture,
        salaire_brut_mensuel_centimes: contrat.salaire_brut_mensuel_centimes,
        version: 1,
        cree_le: now.clone(),
        modifie_le: now,
    };
    crate::insert_then_read!(tx, contrats::table, &row, |conn| find(conn, &contrat.id))
}

/// Writes a locked contract's new end (planned end, rupture) and bumps its version. Returns it
/// as read back.
pub fn save(tx: &mut WriteTx<'_>, after: &Contrat) -> QueryResult<Contrat> {
    let (date_fin, date_rupture, motif_rupture, commentaire_rupture) = fin(after);
    crate::update_versioned!(
        tx,
        contrats,
        after.id.as_str(),
        [
            contrats::date_fin.eq(date_fin),
            contrats::date_rupture.eq(date_rupture),
            contrats::motif_rupture.eq(motif_rupture),
            contrats::commentaire_rupture.eq(commentaire_rupture),
        ]
    )?;
    find(tx.conn(), &after.id)?.ok_or(diesel::result::Error::NotFound)
}

/// One contract.
pub fn find(conn: &mut DbConn, id: &ContratId) -> QueryResult<Option<Contrat>> {
    crate::row_by_key!(conn, contrats::table, id.as_str() => ContratRow)
}

/// Locks a contract's row (after its convention's and its advisor's) and reads it.
pub fn lock(tx: &mut WriteTx<'_>, id: &ContratId) -> QueryResult<Option<Contrat>> {
    crate::row_by_key!(lock tx, contrats::table, id.as_str() => ContratRow)
}

/// Locks every contract of a person (by id: two lockers never wait for each other in a cycle)
/// and reads them, oldest first: what a coordination checks of its coordinator, so that a
/// rupture or an extension of the coordinator's contract waits for it, or it for them.
pub fn lock_du_conseiller(
    tx: &mut WriteTx<'_>,
    conseiller: &ConseillerId,
) -> QueryResult<Vec<Contrat>> {
    let rows = crate::lock_rows!(tx, contrats::table
        .filter(contrats::conseiller_id.eq(conseiller.as_str()))
        .order(contrats::id)
        .select(ContratRow::as_select()) => ContratRow)?;
    let mut contrats: Vec<Contrat> = converted(rows)?;
    contrats.sort_by(|a, b| (a.date_debut, a.id.as_str()).cmp(&(b.date_debut, b.id.as_str())));
    Ok(contrats)
}

/// The coordinator contracts (`typologie = 'coordinateur'`) of the people `ids`: one query for
/// them all.
pub fn de_coordinateurs(conn: &mut DbConn, ids: &[&str]) -> QueryResult<Vec<Contrat>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<ContratRow> = contrats::table
        .filter(contrats::conseiller_id.eq_any(ids))
        .filter(contrats::typologie.eq(TypologiePoste::Coordinateur.as_str()))
        .select(ContratRow::as_select())
        .load(conn)?;
    converted(rows)
}

/// Every contract of an advisor, oldest first (read under the advisor's row lock).
pub fn du_conseiller(conn: &mut DbConn, conseiller: &ConseillerId) -> QueryResult<Vec<Contrat>> {
    let rows: Vec<ContratRow> = contrats::table
        .filter(contrats::conseiller_id.eq(conseiller.as_str()))
        .order((contrats::date_debut, contrats::id))
        .select(ContratRow::as_select())
        .load(conn)?;
    converted(rows)
}

/// Every contract of `conseillers`, by advisor, oldest first (the advisors' reads: one query
/// for a page).
pub fn des_conseillers(
    conn: &mut DbConn,
    conseillers: &[ConseillerId],
) -> QueryResult<Vec<Contrat>> {
    let ids: Vec<&str> = conseillers.iter().map(ConseillerId::as_str).collect();
    let rows: Vec<ContratRow> = contrats::table
        .filter(contrats::conseiller_id.eq_any(&ids))
        .order((contrats::conseiller_id, contrats::date_debut, contrats::id))
        .select(ContratRow::as_select())
        .load(conn)?;
    converted(rows)
}

/// The advisor's contract in force on `date` (from its first day to its last, both included:
/// the rule of [`Contrat::en_vigueur_le`]), if any: its id only (an activity's declaration
/// asks, on a hot path).
pub fn en_vigueur_le(
    conn: &mut DbConn,
    conseiller: &ConseillerId,
    date: NaiveDate,
) -> QueryResult<Option<ContratId>> {
    let date = date_text(date);
    let id: Option<String> = contrats::table
        .filter(contrats::conseiller_id.eq(conseiller.as_str()))
        .filter(contrats::date_debut.le(&date))
        .filter(
            contrats::date_rupture
                .is_null()
                .or(contrats::date_rupture.ge(&date).assume_not_null()),
        )
        .filter(
            contrats::date_fin
                .is_null()
                .or(contrats::date_fin.ge(&date).assume_not_null()),
        )
        .select(contrats::id)
        .first(conn)
        .optional()?;
    id.map(|id| stored(ContratId::try_from(id))).transpose()
}

/// The SQL condition "in state `etat` on `today`", the rule of [`Contrat::etat`].
fn etat_le(
    etat: EtatContrat,
    today: &str,
) -> Box<dyn BoxableExpression<contrats::table, Backend, SqlType = diesel::sql_types::Bool> + '_> {
    match etat {
        EtatContrat::Rompu => Box::new(contrats::date_rupture.is_not_null()),
        EtatContrat::Termine => Box::new(
            contrats::date_rupture
                .is_null()
                .and(contrats::date_fin.lt(today).assume_not_null()),
        ),
        EtatContrat::EnCours => Box::new(
            contrats::date_rupture.is_null().and(
                contrats::date_fin
                    .is_null()
                    .or(contrats::date_fin.ge(today).assume_not_null()),
            ),
        ),
    }
}

/// A page of contracts within `scope` (a structure sees those it employs under), newest first;
/// `today` decides their states.
pub fn list(
    conn: &mut DbConn,
    filter: &ContratFilter,
    today: NaiveDate,
    scope: &ScopeFilter,
    after: Option<&Position>,
    limit: usize,
) -> QueryResult<Page<Contrat>> {
    let today = date_text(today);
    let mut query = contrats::table
        .select(ContratRow::as_select())
        .into_boxed::<Backend>();
    filter_eq!(query, [
        contrats::conseiller_id => filter.conseiller_id,
        contrats::structure_id => filter.structure_id,
        contrats::convention_id => filter.convention_id,
        contrats::departement => filter.departement,
    ]);
    if let Some(types) = &filter.type_contrat {
        query = query.filter(contrats::type_contrat.eq_any(types.texts()));
    }
    if let Some(etats) = &filter.etat {
        let mut etats = etats.0.iter().map(|etat| etat_le(*etat, &today));
        if let Some(first) = etats.next() {
            let any = etats.fold(first, |any, next| Box::new(any.or(next)));
            query = query.filter(any);
        }
    }
    let query = scope_filter!(
        query,
        scope,
        departement = contrats::departement,
        structure = |id| contrats::structure_id.eq(id)
    );
    let page = keyset_page!(conn, query, after, limit, contrats::id => desc,
        |row: ContratRow| &row.id)?;
    Ok(Page {
        items: converted(page.items)?,
        next: page.next,
    })
}

/// The contracts on posts of a convention, as the balance counts them: each one's employer, first
/// day and last day in force (its rupture, else its planned end; none when open-ended or still
/// running without an end).
pub fn occupations_of_convention(
    conn: &mut DbConn,
    convention_id: &ConventionId,
) -> QueryResult<Vec<(StructureId, NaiveDate, Option<NaiveDate>)>> {
    let rows: Vec<(String, String, Option<String>, Option<String>)> = contrats::table
        .filter(contrats::convention_id.eq(convention_id.as_str()))
        .filter(contrats::poste_id.is_not_null())
        .select((
            contrats::structure_id,
            contrats::date_debut,
            contrats::date_fin,
            contrats::date_rupture,
        ))
        .order(contrats::id)
        .load(conn)?;
    rows.into_iter()
        .map(|(structure, debut, fin, rupture)| {
            let fin = match rupture.or(fin) {
                Some(day) => Some(stored_date(&day)?),
                None => None,
            };
            Ok((
                stored(StructureId::parse(&structure))?,
                stored_date(&debut)?,
                fin,
            ))
        })
        .collect()
}

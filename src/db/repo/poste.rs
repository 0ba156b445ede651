//! Posts: their rows and their history, created by a validation or an avenant, changed under the
//! convention's lock (occupation, release, transfer, return), read one by one or by page.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;

use super::Backend;
use super::idempotency::stored_time;
use super::{converted, date_text, stored, stored_date, stored_option};
use crate::db::schema::{postes, postes_historique};
use crate::db::{DbConn, WriteTx};
use crate::domain::codes::CodeDepartement;
use crate::domain::filter::PosteFilter;
use crate::domain::ids::{ConseillerId, ContratId, ConventionId, PosteId, StructureId};
use crate::domain::paging::{Page, Position};
use crate::domain::poste::{
    EtapePoste, EtatPoste, EvenementPoste, Poste, PostesTenus, TypologiePoste,
};
use crate::domain::scope::ScopeFilter;
use crate::{filter_eq, insert_rows, keyset_page, lock_rows, scope_filter};

/// A row of `postes`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = postes, treat_none_as_default_value = false)]
struct PosteRow {
    id: String,
    convention_id: String,
    structure_id: String,
    departement: String,
    typologie: String,
    etat: String,
    depuis: String,
    conseiller_id: Option<String>,
    version: i64,
    cree_le: String,
    modifie_le: String,
    contrat_id: Option<String>,
}

/// A row of `postes_historique`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = postes_historique, treat_none_as_default_value = false)]
struct EtapeRow {
    poste_id: String,
    rang: i64,
    date: String,
    evenement: String,
    etat: String,
    structure_id: String,
    conseiller_id: Option<String>,
}

impl TryFrom<PosteRow> for Poste {
    type Error = diesel::result::Error;
    fn try_from(row: PosteRow) -> QueryResult<Poste> {
        Ok(Poste {
            id: stored(PosteId::try_from(row.id))?,
            convention_id: stored(ConventionId::try_from(row.convention_id))?,
            structure_id: stored(StructureId::try_from(row.structure_id))?,
            departement: stored(CodeDepartement::try_from(row.departement))?,
            typologie: stored(TypologiePoste::parse(&row.typologie))?,
            etat: stored(EtatPoste::parse(&row.etat))?,
            depuis: stored_date(&row.depuis)?,
            conseiller_id: stored_option(row.conseiller_id, ConseillerId::parse)?,
            contrat_id: stored_option(row.contrat_id, ContratId::parse)?,
            historique: Vec::new(),
            version: row.version,
        })
    }
}

impl TryFrom<EtapeRow> for EtapePoste {
    type Error = diesel::result::Error;
    fn try_from(row: EtapeRow) -> QueryResult<EtapePoste> {
        Ok(EtapePoste {
            date: stored_date(&row.date)?,
            evenement: stored(EvenementPoste::parse(&row.evenement))?,
            etat: stored(EtatPoste::parse(&row.etat))?,
            structure_id: stored(StructureId::try_from(row.structure_id))?,
            conseiller_id: stored_option(row.conseiller_id, ConseillerId::parse)?,
        })
    }
}

fn etape_row(poste: &PosteId, rang: usize, etape: &EtapePoste) -> EtapeRow {
    EtapeRow {
        poste_id: poste.to_string(),
        rang: rang as i64 + 1,
        date: date_text(etape.date),
        evenement: etape.evenement.as_str().to_owned(),
        etat: etape.etat.as_str().to_owned(),
        structure_id: etape.structure_id.to_string(),
        conseiller_id: etape.conseiller_id.as_ref().map(ToString::to_string),
    }
}

/// Reads the history of `postes` (ordered) into them: one query for them all.
fn with_history(conn: &mut DbConn, mut postes: Vec<Poste>) -> QueryResult<Vec<Poste>> {
    if postes.is_empty() {
        return Ok(postes);
    }
    let ids: Vec<&str> = postes.iter().map(|p| p.id.as_str()).collect();
    let rows: Vec<EtapeRow> = postes_historique::table
        .filter(postes_historique::poste_id.eq_any(&ids))
        .select(EtapeRow::as_select())
        .order((postes_historique::poste_id, postes_historique::rang))
        .load(conn)?;
    for row in rows {
        let index = postes.iter().position(|p| p.id.as_str() == row.poste_id);
        if let Some(index) = index {
            postes[index].historique.push(EtapePoste::try_from(row)?);
        }
    }
    Ok(postes)
}

/// Records new posts (already built by the domain) and their history, in the transaction.
pub fn insert(tx: &mut WriteTx<'_>, nouveaux: &[Poste]) -> QueryResult<()> {
    if nouveaux.is_empty() {
        return Ok(());
    }
    let now = stored_time(Utc::now());
    let rows: Vec<PosteRow> = nouveaux
        .iter()
        .map(|p| PosteRow {
            id: p.id.to_string(),
            convention_id: p.convention_id.to_string(),
            structure_id: p.structure_id.to_string(),
            departement: p.departement.to_string(),
            typologie: p.typologie.as_str().to_owned(),
            etat: p.etat.as_str().to_owned(),
            depuis: date_text(p.depuis),
            conseiller_id: p.conseiller_id.as_ref().map(ToString::to_string),
            version: 1,
            cree_le: now.clone(),
            modifie_le: now.clone(),
            contrat_id: p.contrat_id.as_ref().map(ToString::to_string),
        })
        .collect();
    let etapes: Vec<EtapeRow> = nouveaux
        .iter()
        .flat_map(|p| {
            p.historique
                .iter()
                .enumerate()
                .map(|(rang, etape)| etape_row(&p.id, rang, etape))
        })
        .collect();
    // Bounded statements: a split of thousands of posts stays under the backends' parameter
    // limits.
    for chunk in rows.chunks(500) {
        insert_rows!(tx, postes::table, chunk)?;
    }
    for chunk in etapes.chunks(500) {
        insert_rows!(tx, postes_historique::table, chunk)?;
    }
    Ok(())
}

/// Writes a locked post's new state (`after`, from `before` and the steps added to its
/// history) and bumps its version. Returns it as read back.
pub fn save(tx: &mut WriteTx<'_>, before: &Poste, after: &Poste) -> QueryResult<Poste> {
    crate::update_versioned!(
        tx,
        postes,
        after.id.as_str(),
        [
            postes::structure_id.eq(after.structure_id.as_str()),
            postes::etat.eq(after.etat.as_str()),
            postes::depuis.eq(date_text(after.depuis)),
            postes::conseiller_id.eq(after.conseiller_id.as_ref().map(|c| c.as_str())),
            postes::contrat_id.eq(after.contrat_id.as_ref().map(|c| c.as_str())),
        ]
    )?;
    let nouvelles: Vec<EtapeRow> = after
        .historique
        .iter()
        .enumerate()
        .skip(before.historique.len())
        .map(|(rang, etape)| etape_row(&after.id, rang, etape))
        .collect();
    if !nouvelles.is_empty() {
        insert_rows!(tx, postes_historique::table, &nouvelles)?;
    }
    find(tx.conn(), &after.id)?.ok_or(diesel::result::Error::NotFound)
}

/// One post, with its history.
pub fn find(conn: &mut DbConn, id: &PosteId) -> QueryResult<Option<Poste>> {
    let poste: Option<Poste> = crate::row_by_key!(conn, postes::table, id.as_str() => PosteRow)?;
    Ok(with_history(conn, poste.into_iter().collect())?.pop())
}

/// Locks a post's row (after its convention's) and reads it with its history.
pub fn lock(tx: &mut WriteTx<'_>, id: &PosteId) -> QueryResult<Option<Poste>> {
    crate::lock_then_read!(tx, postes::table, postes::id, id.as_str(), |conn| find(
        conn, id
    ))
}

/// The posts a convention's hosts hold (vacant or occupied), by host and typology (read under
/// the convention's lock).
pub fn tenus(conn: &mut DbConn, convention: &ConventionId) -> QueryResult<Vec<PostesTenus>> {
    let rows: Vec<(String, String, String, i64)> = postes::table
        .filter(postes::convention_id.eq(convention.as_str()))
        .filter(postes::etat.ne(EtatPoste::Rendu.as_str()))
        .group_by((postes::structure_id, postes::typologie, postes::etat))
        .select((
            postes::structure_id,
            postes::typologie,
            postes::etat,
            diesel::dsl::count_star(),
        ))
        .order((postes::structure_id, postes::typologie, postes::etat))
        .load(conn)?;
    let mut out: Vec<PostesTenus> = Vec::new();
    for (structure, typologie, etat, nombre) in rows {
        let structure_id = stored(StructureId::try_from(structure))?;
        let typologie = stored(TypologiePoste::parse(&typologie))?;
        let index = match out
            .iter()
            .position(|t| t.structure_id == structure_id && t.typologie == typologie)
        {
            Some(index) => index,
            None => {
                out.push(PostesTenus {
                    structure_id,
                    typologie,
                    vacants: 0,
                    occupes: 0,
                });
                out.len() - 1
            }
        };
        match stored(EtatPoste::parse(&etat))? {
            EtatPoste::Vacant => out[index].vacants += nombre,
            _ => out[index].occupes += nombre,
        }
    }
    Ok(out)
}

/// Locks and reads up to `limit` vacant posts of a host and typology in a convention, vacant the
/// longest first (those the six-month rule concerns: a return takes them first, an occupation
/// fills them first).
pub fn lock_vacants(
    tx: &mut WriteTx<'_>,
    convention: &ConventionId,
    structure: &StructureId,
    typologie: TypologiePoste,
    limit: usize,
) -> QueryResult<Vec<Poste>> {
    let rows = lock_rows!(tx, postes::table
        .filter(postes::convention_id.eq(convention.as_str()))
        .filter(postes::structure_id.eq(structure.as_str()))
        .filter(postes::typologie.eq(typologie.as_str()))
        .filter(postes::etat.eq(EtatPoste::Vacant.as_str()))
        .order((postes::depuis, postes::id))
        .limit(limit as i64)
        .select(PosteRow::as_select()) => PosteRow)?;
    with_history(tx.conn(), converted(rows)?)
}

/// Locks and reads every post of a convention not yet returned.
pub fn lock_non_rendus(tx: &mut WriteTx<'_>, convention: &ConventionId) -> QueryResult<Vec<Poste>> {
    let rows = lock_rows!(tx, postes::table
        .filter(postes::convention_id.eq(convention.as_str()))
        .filter(postes::etat.ne(EtatPoste::Rendu.as_str()))
        .order(postes::id)
        .select(PosteRow::as_select()) => PosteRow)?;
    with_history(tx.conn(), converted(rows)?)
}

/// Locks and reads the post an advisor holds, if any.
pub fn lock_du_conseiller(
    tx: &mut WriteTx<'_>,
    conseiller: &ConseillerId,
) -> QueryResult<Option<Poste>> {
    let rows = lock_rows!(tx, postes::table
        .filter(postes::conseiller_id.eq(conseiller.as_str()))
        .select(PosteRow::as_select()) => PosteRow)?;
    Ok(with_history(tx.conn(), converted(rows)?)?.pop())
}

/// A page of posts within `scope` (a structure sees the posts it holds), newest first, with
/// their history; `today` dates `vacant_depuis_jours`.
pub fn list(
    conn: &mut DbConn,
    filter: &PosteFilter,
    today: NaiveDate,
    scope: &ScopeFilter,
    after: Option<&Position>,
    limit: usize,
) -> QueryResult<Page<Poste>> {
    let mut query = postes::table
        .select(PosteRow::as_select())
        .into_boxed::<Backend>();
    filter_eq!(query, [
        postes::departement => filter.departement,
        postes::convention_id => filter.convention_id,
        postes::structure_id => filter.structure_id,
    ]);
    if let Some(etats) = &filter.etat {
        query = query.filter(postes::etat.eq_any(etats.texts()));
    }
    if let Some(typologies) = &filter.typologie {
        query = query.filter(postes::typologie.eq_any(typologies.texts()));
    }
    if let Some(jours) = filter.vacant_depuis_jours {
        // The filter's range (days of a century) keeps this within the calendar.
        let limite = today
            .checked_sub_days(chrono::Days::new(jours))
            .unwrap_or(today);
        query = query
            .filter(postes::etat.eq(EtatPoste::Vacant.as_str()))
            .filter(postes::depuis.le(date_text(limite)));
    }
    let query = scope_filter!(
        query,
        scope,
        departement = postes::departement,
        structure = |id| postes::structure_id.eq(id)
    );
    let page = keyset_page!(conn, query, after, limit, postes::id => desc,
        |row: PosteRow| &row.id)?;
    Ok(Page {
        items: with_history(conn, converted(page.items)?)?,
        next: page.next,
    })
}

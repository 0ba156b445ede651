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
    libere_le: Option<String>,
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
            libere_le: row.libere_le.as_deref().map(stored_date).transpose()?,
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
            libere_le: p.libere_le.map(date_text),
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
            postes::libere_le.eq(after.libere_le.map(date_text)),
        ]
    )?;
    insert_steps(tx, before, after)?;
    find(tx.conn(), &after.id)?.ok_or(diesel::result::Error::NotFound)
}

/// Records on a locked post the liberation its holder's contract's end gave it (`after`:
/// [`Poste::le`] of `before`), **keeping its version**: reads already showed it so, under that
/// version, so an `ETag` taken from them stays valid.
pub fn record_liberation(
    tx: &mut WriteTx<'_>,
    before: &Poste,
    after: &Poste,
) -> QueryResult<Poste> {
    diesel::update(postes::table.find(after.id.as_str()))
        .set((
            postes::etat.eq(after.etat.as_str()),
            postes::depuis.eq(date_text(after.depuis)),
            postes::conseiller_id.eq(after.conseiller_id.as_ref().map(|c| c.as_str())),
            postes::contrat_id.eq(after.contrat_id.as_ref().map(|c| c.as_str())),
            postes::libere_le.eq(after.libere_le.map(date_text)),
        ))
        .execute(tx.conn())?;
    insert_steps(tx, before, after)?;
    find(tx.conn(), &after.id)?.ok_or(diesel::result::Error::NotFound)
}

/// Inserts the steps `after`'s history has beyond `before`'s.
fn insert_steps(tx: &mut WriteTx<'_>, before: &Poste, after: &Poste) -> QueryResult<()> {
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
    Ok(())
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

/// The posts a convention's hosts hold on `today` (vacant or occupied, [`Poste::le`] deciding),
/// by host and typology (read under the convention's lock).
pub fn tenus(
    conn: &mut DbConn,
    convention: &ConventionId,
    today: NaiveDate,
) -> QueryResult<Vec<PostesTenus>> {
    // A convention's posts are a few hundred at most: read them and let [`Poste::le`]'s rule
    // decide each one's state, rather than grouping on a derived condition.
    let rows: Vec<(String, String, String, Option<String>)> = postes::table
        .filter(postes::convention_id.eq(convention.as_str()))
        .filter(postes::etat.ne(EtatPoste::Rendu.as_str()))
        .select((
            postes::structure_id,
            postes::typologie,
            postes::etat,
            postes::libere_le,
        ))
        .load(conn)?;
    let rows = rows
        .into_iter()
        .map(|(structure, typologie, etat, libere_le)| {
            let vacant = etat == EtatPoste::Vacant.as_str()
                || libere_le.is_some_and(|jour| jour <= date_text(today));
            (structure, typologie, vacant, 1)
        });
    let mut out: Vec<PostesTenus> = Vec::new();
    for (structure, typologie, vacant, nombre) in rows {
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
        if vacant {
            out[index].vacants += nombre;
        } else {
            out[index].occupes += nombre;
        }
    }
    out.sort_by(|a, b| (&a.structure_id, a.typologie).cmp(&(&b.structure_id, b.typologie)));
    Ok(out)
}

/// Locks and reads up to `limit` posts of a host and typology in a convention vacant on `today`
/// (stored so, or whose holder's contract has ended: [`Poste::le`] gives their state), vacant the
/// longest first (those the six-month rule concerns: a return takes them first, an occupation
/// fills them first).
pub fn lock_vacants(
    tx: &mut WriteTx<'_>,
    convention: &ConventionId,
    structure: &StructureId,
    typologie: TypologiePoste,
    today: NaiveDate,
    limit: usize,
) -> QueryResult<Vec<Poste>> {
    let today = date_text(today);
    let rows = lock_rows!(tx, postes::table
        .filter(postes::convention_id.eq(convention.as_str()))
        .filter(postes::structure_id.eq(structure.as_str()))
        .filter(postes::typologie.eq(typologie.as_str()))
        // The rule of [`etat_le`] for `vacant`, unboxed: the lock runs on each backend's own
        // connection.
        .filter(
            postes::etat.eq(EtatPoste::Vacant.as_str()).or(postes::etat
                .eq(EtatPoste::Occupe.as_str())
                .and(postes::libere_le.le(&today).assume_not_null()))
        )
        .order((vacant_depuis(), postes::id))
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
    let jour = date_text(today);
    // The filter's range (days of a century) keeps this within the calendar.
    let limite = filter.vacant_depuis_jours.map(|jours| {
        date_text(
            today
                .checked_sub_days(chrono::Days::new(jours))
                .unwrap_or(today),
        )
    });
    let mut query = postes::table
        .select(PosteRow::as_select())
        .into_boxed::<Backend>();
    filter_eq!(query, [
        postes::departement => filter.departement,
        postes::convention_id => filter.convention_id,
        postes::structure_id => filter.structure_id,
    ]);
    if let Some(etats) = &filter.etat {
        let mut etats = etats.0.iter().map(|etat| etat_le(*etat, &jour));
        if let Some(first) = etats.next() {
            let any = etats.fold(first, |any, next| Box::new(any.or(next)));
            query = query.filter(any);
        }
    }
    if let Some(typologies) = &filter.typologie {
        query = query.filter(postes::typologie.eq_any(typologies.texts()));
    }
    if let Some(limite) = &limite {
        query = query.filter(vacant_depuis_le(limite));
    }
    let query = scope_filter!(
        query,
        scope,
        departement = postes::departement,
        structure = |id| postes::structure_id.eq(id)
    );
    let page = keyset_page!(conn, query, after, limit, postes::id => desc,
        |row: PosteRow| &row.id)?;
    let items = with_history(conn, converted(page.items)?)?;
    Ok(Page {
        items: items.into_iter().map(|p| p.le(today)).collect(),
        next: page.next,
    })
}

/// A boolean SQL condition on `postes`.
type Condition<'a> =
    Box<dyn BoxableExpression<postes::table, Backend, SqlType = diesel::sql_types::Bool> + 'a>;

/// The SQL condition "in state `etat` on `today`", the rule of [`Poste::le`]: an occupied post
/// whose `libere_le` has come is vacant.
pub fn etat_le(etat: EtatPoste, today: &str) -> Condition<'_> {
    let libere = postes::libere_le.le(today).assume_not_null();
    let occupe = postes::etat.eq(EtatPoste::Occupe.as_str());
    match etat {
        EtatPoste::Vacant => Box::new(
            postes::etat
                .eq(EtatPoste::Vacant.as_str())
                .or(occupe.and(libere)),
        ),
        EtatPoste::Occupe => Box::new(
            occupe.and(
                postes::libere_le
                    .is_null()
                    .or(postes::libere_le.gt(today).assume_not_null()),
            ),
        ),
        EtatPoste::Rendu => Box::new(postes::etat.eq(EtatPoste::Rendu.as_str())),
    }
}

/// The SQL condition "vacant since `limite` or before" (`limite` not after the service's date):
/// stored vacant since then, or held under a contract whose last day came before it.
pub fn vacant_depuis_le(limite: &str) -> Condition<'_> {
    Box::new(
        postes::etat
            .eq(EtatPoste::Vacant.as_str())
            .and(postes::depuis.le(limite))
            .or(postes::etat
                .eq(EtatPoste::Occupe.as_str())
                .and(postes::libere_le.le(limite).assume_not_null())),
    )
}

diesel::define_sql_function! {
    /// `COALESCE` of a nullable date and a date (dates are texts on both backends).
    #[sql_name = "COALESCE"]
    fn coalesce_date(x: diesel::sql_types::Nullable<diesel::sql_types::Text>, y: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The first day of a (possibly derived) vacancy: `libere_le` when set, else `depuis`.
fn vacant_depuis() -> coalesce_date<postes::libere_le, postes::depuis> {
    coalesce_date(postes::libere_le, postes::depuis)
}

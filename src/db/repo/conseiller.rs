//! Advisors: recruitment, reads, lists within a scope, the path's changes under a row lock, and
//! the active counts the quota rules need (read under the convention's lock).

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;

use super::formation;
use super::idempotency::stored_time;
use super::{date_text, optional_date, stored, stored_option};
use crate::db::schema::{conseillers, conseillers_lieux, conventions, coordinations};
use crate::db::{DbConn, WriteTx};
use crate::domain::codes::{CodeDepartement, CodeInsee};
use crate::domain::conseiller::{
    ActifsStructure, Conseiller, Identite, LieuConseiller, StatutConseiller, TypeContrat,
};
use crate::domain::filter::ConseillerFilter;
use crate::domain::ids::{ConseillerId, ConventionId, LieuId, StructureId};
use crate::domain::paging::{Page, Position};
use crate::domain::poste::TypologiePoste;
use crate::domain::scope::ScopeFilter;
use crate::{insert_row, row_by_key};

/// A row of `conseillers`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = conseillers, treat_none_as_null = true, treat_none_as_default_value = false)]
struct ConseillerRow {
    id: String,
    convention_id: Option<String>,
    departement: String,
    structure_id: String,
    nom: Option<String>,
    prenom: Option<String>,
    email: Option<String>,
    commune_residence: Option<String>,
    anonymise_le: Option<String>,
    recrutement_local: bool,
    type_contrat: Option<String>,
    date_recrutement: Option<String>,
    // The first model's path, kept as it was (no longer written: an update leaves it; a new
    // person has none).
    #[diesel(skip_update)]
    date_debut_formation: Option<String>,
    #[diesel(skip_update)]
    organisme_formation: Option<String>,
    #[diesel(skip_update)]
    date_certification: Option<String>,
    #[diesel(skip_update)]
    date_prise_poste: Option<String>,
    lieu_id: Option<String>,
    version: i64,
    cree_le: String,
    modifie_le: String,
    telephone: Option<String>,
    doublon_de: Option<String>,
    fin_contrats: Option<String>,
}

fn row_of(c: &Conseiller) -> ConseillerRow {
    let identite = c.identite.as_ref();
    ConseillerRow {
        id: c.id.to_string(),
        convention_id: c.convention_id.as_ref().map(ConventionId::to_string),
        departement: c.departement.to_string(),
        structure_id: c.structure_id.to_string(),
        nom: identite.map(|i| i.nom.clone()),
        prenom: identite.map(|i| i.prenom.clone()),
        email: identite.map(|i| i.email.clone()),
        telephone: identite.and_then(|i| i.telephone.clone()),
        commune_residence: identite.map(|i| i.commune_residence.to_string()),
        anonymise_le: c.anonymise_le.clone(),
        doublon_de: c.doublon_de.as_ref().map(ConseillerId::to_string),
        recrutement_local: c.recrutement_local,
        type_contrat: c.type_contrat.map(|t| t.as_str().to_owned()),
        date_recrutement: c.date_recrutement.map(date_text),
        date_debut_formation: None,
        organisme_formation: None,
        date_certification: None,
        date_prise_poste: None,
        lieu_id: c.lieu_id.as_ref().map(|l| l.to_string()),
        fin_contrats: c.fin_contrats.map(date_text),
        version: c.version,
        cree_le: c.cree_le.clone(),
        modifie_le: c.modifie_le.clone(),
    }
}

impl TryFrom<ConseillerRow> for Conseiller {
    type Error = diesel::result::Error;
    fn try_from(row: ConseillerRow) -> QueryResult<Conseiller> {
        let identite = match (row.nom, row.prenom, row.email, row.commune_residence) {
            (Some(nom), Some(prenom), Some(email), Some(commune)) => Some(Identite {
                nom,
                prenom,
                email,
                telephone: row.telephone,
                commune_residence: stored(CodeInsee::parse(&commune))?,
            }),
            _ => None,
        };
        Ok(Conseiller {
            id: stored(ConseillerId::parse(&row.id))?,
            convention_id: stored_option(row.convention_id, ConventionId::parse)?,
            departement: stored(CodeDepartement::parse(&row.departement))?,
            structure_id: stored(StructureId::parse(&row.structure_id))?,
            identite,
            anonymise_le: row.anonymise_le,
            doublon_de: stored_option(row.doublon_de, ConseillerId::parse)?,
            recrutement_local: row.recrutement_local,
            type_contrat: stored_option(row.type_contrat, TypeContrat::parse)?,
            date_recrutement: optional_date(row.date_recrutement)?,
            lieu_id: stored_option(row.lieu_id, LieuId::parse)?,
            lieux: Vec::new(),
            contrats: Vec::new(),
            coordinateur_id: None,
            fin_coordination: None,
            formations: Vec::new(),
            certifications: Vec::new(),
            fin_contrats: optional_date(row.fin_contrats)?,
            version: row.version,
            cree_le: row.cree_le,
            modifie_le: row.modifie_le,
        })
    }
}

/// Adds `delta` to the posts a convention has filled (`conventions.postes_pourvus`: its active
/// advisors), in the transaction that recruits or lets one go; the migration's CHECK keeps it
/// within the posts granted.
fn fill_posts(tx: &mut WriteTx<'_>, convention: &ConventionId, delta: i64) -> QueryResult<()> {
    diesel::update(conventions::table.find(convention.as_str()))
        .set(conventions::postes_pourvus.eq(conventions::postes_pourvus + delta))
        .execute(tx.conn())?;
    Ok(())
}

/// The convention whose posts `conseiller` fills, as the counter `conventions.postes_pourvus`
/// counts it: its contract's, until a rupture ends its contracts (the post is vacant from the
/// next day). A fixed-term contract that reaches its term without a write stays counted until
/// the person's next contract moves it: the posts and the statistics are read as of the day,
/// this counter is not (docs/API.md). Only stored facts, never the day: the same person gives
/// the same answer before and after a write that leaves its contracts alone.
fn pourvoit(conseiller: &Conseiller) -> Option<&ConventionId> {
    conseiller
        .convention_id
        .as_ref()
        .filter(|_| conseiller.rupture_finale().is_none())
}

/// Records a person or a recruited advisor (already checked under the convention's lock); `id`,
/// `version` and the times are set here. Returns it as read back.
pub fn insert(tx: &mut WriteTx<'_>, conseiller: &Conseiller) -> QueryResult<Conseiller> {
    let now = stored_time(Utc::now());
    let id = ConseillerId::new();
    let mut row = row_of(conseiller);
    row.id = id.to_string();
    row.version = 1;
    row.cree_le = now.clone();
    row.modifie_le = now;
    insert_row!(tx, conseillers::table, &row)?;
    if let Some(convention) = pourvoit(conseiller) {
        fill_posts(tx, convention, 1)?;
    }
    find(tx.conn(), &id)?.ok_or(diesel::result::Error::NotFound)
}

/// Reads the lieux (principal first, then by id), the contracts (oldest first) and the
/// coordinators of `conseillers` into them: one query for each, for them all.
fn with_lieux(conn: &mut DbConn, mut conseillers: Vec<Conseiller>) -> QueryResult<Vec<Conseiller>> {
    if conseillers.is_empty() {
        return Ok(conseillers);
    }
    let ids: Vec<ConseillerId> = conseillers.iter().map(|c| c.id.clone()).collect();
    for contrat in super::contrat::des_conseillers(conn, &ids)? {
        if let Some(c) = conseillers
            .iter_mut()
            .find(|c| c.id == contrat.conseiller_id)
        {
            c.contrats.push(contrat);
        }
    }
    let ids: Vec<&str> = conseillers.iter().map(|c| c.id.as_str()).collect();
    let rows: Vec<(String, String, bool)> = conseillers_lieux::table
        .filter(conseillers_lieux::conseiller_id.eq_any(&ids))
        .select((
            conseillers_lieux::conseiller_id,
            conseillers_lieux::lieu_id,
            conseillers_lieux::principal,
        ))
        .order((
            conseillers_lieux::conseiller_id,
            conseillers_lieux::principal.desc(),
            conseillers_lieux::lieu_id,
        ))
        .load(conn)?;
    let coordinateurs = super::coordination::des_conseillers(conn, &ids)?;
    if !coordinateurs.is_empty() {
        let leurs: Vec<&str> = coordinateurs.iter().map(|(_, c)| c.as_str()).collect();
        let fins = super::coordination::fins_de_coordination(conn, &leurs)?;
        for (conseiller, coordinateur) in &coordinateurs {
            if let Some(c) = conseillers.iter_mut().find(|c| c.id.as_str() == conseiller) {
                c.coordinateur_id = Some(stored(ConseillerId::parse(coordinateur))?);
                c.fin_coordination = fins
                    .iter()
                    .find(|(id, _)| id.as_str() == coordinateur)
                    .and_then(|(_, fin)| *fin);
            }
        }
    }
    for (conseiller, lieu, principal) in rows {
        if let Some(c) = conseillers.iter_mut().find(|c| c.id.as_str() == conseiller) {
            c.lieux.push(LieuConseiller {
                lieu_id: stored(LieuId::parse(&lieu))?,
                principal,
            });
        }
    }
    Ok(conseillers)
}

/// Reads the trainings and certifications of `conseillers` into them: one query for them all
/// ([`formation::of_conseillers`]).
fn with_parcours(
    conn: &mut DbConn,
    mut conseillers: Vec<Conseiller>,
) -> QueryResult<Vec<Conseiller>> {
    let ids: Vec<&str> = conseillers.iter().map(|c| c.id.as_str()).collect();
    let parcours = formation::of_conseillers(conn, &ids)?;
    for c in &mut conseillers {
        c.formations = parcours
            .formations
            .iter()
            .filter(|f| f.conseiller_id == c.id)
            .cloned()
            .collect();
        c.certifications = parcours
            .certifications
            .iter()
            .filter(|f| f.conseiller_id == c.id)
            .cloned()
            .collect();
    }
    Ok(conseillers)
}

/// One advisor, with its lieux, trainings and certifications.
pub fn find(conn: &mut DbConn, id: &ConseillerId) -> QueryResult<Option<Conseiller>> {
    let found: Option<Conseiller> =
        row_by_key!(conn, conseillers::table, id.as_str() => ConseillerRow)?;
    let found = with_lieux(conn, found.into_iter().collect())?;
    Ok(with_parcours(conn, found)?.pop())
}

/// One advisor's row, without its lieux and contracts (`lieux` and `contrats` empty): what a
/// lock order needs before the locks.
pub fn find_row(conn: &mut DbConn, id: &ConseillerId) -> QueryResult<Option<Conseiller>> {
    row_by_key!(conn, conseillers::table, id.as_str() => ConseillerRow)
}

/// Locks an advisor's row (after its convention's) and reads it, with its lieux, contracts,
/// trainings and certifications.
pub fn lock(tx: &mut WriteTx<'_>, id: &ConseillerId) -> QueryResult<Option<Conseiller>> {
    let locked: Option<Conseiller> =
        row_by_key!(lock tx, conseillers::table, id.as_str() => ConseillerRow)?;
    let locked = with_lieux(tx.conn(), locked.into_iter().collect())?;
    Ok(with_parcours(tx.conn(), locked)?.pop())
}

/// Locks an advisor's row and reads it with its lieux, contracts and coordinator, **without its
/// trainings and certifications** (`formations` and `certifications` empty): for a contract's use
/// case, which neither checks nor journals them (the journal's view leaves them out), on a hot
/// path (`POST /contrats`). [`save`] never writes them.
pub fn lock_sans_parcours(
    tx: &mut WriteTx<'_>,
    id: &ConseillerId,
) -> QueryResult<Option<Conseiller>> {
    let locked: Option<Conseiller> =
        row_by_key!(lock tx, conseillers::table, id.as_str() => ConseillerRow)?;
    Ok(with_lieux(tx.conn(), locked.into_iter().collect())?.pop())
}

/// The person recorded under `email` (case aside; the index `conseillers_email`), other than
/// `except`, if any: the first model's older duplicates (`doublon_de`) are not it.
pub fn par_email(
    conn: &mut DbConn,
    email: &str,
    except: Option<&ConseillerId>,
) -> QueryResult<Option<ConseillerId>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    // no id is empty (CHECK length = 36): "other than nobody"
    let except = except.map_or("", ConseillerId::as_str);
    let found: Option<String> = crate::db_run!(conn, |c| conseillers::table
        .filter(
            sql::<Bool>("lower(email) = lower(")
                .bind::<Text, _>(email)
                .sql(")"),
        )
        .filter(conseillers::doublon_de.is_null())
        .filter(conseillers::id.ne(except))
        .select(conseillers::id)
        .first(c)
        .optional())?;
    found.map(|id| stored(ConseillerId::parse(&id))).transpose()
}

/// Whether the advisor works at `lieu` (one of its lieux).
pub fn travaille_a(
    conn: &mut DbConn,
    conseiller: &ConseillerId,
    lieu: &LieuId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        conseillers_lieux::table
            .filter(conseillers_lieux::conseiller_id.eq(conseiller.as_str()))
            .filter(conseillers_lieux::lieu_id.eq(lieu.as_str())),
    ))
    .get_result(conn)
}

/// Locks an advisor's row and reads it **without its lieux** (`lieux` empty; `lieu_id`, its
/// principal, is there; nor its trainings and certifications): for a use case that neither shows nor changes them, on a hot path (an
/// activity's declaration). [`save`] leaves the lieux of such a value as they are.
pub fn lock_without_lieux(
    tx: &mut WriteTx<'_>,
    id: &ConseillerId,
) -> QueryResult<Option<Conseiller>> {
    row_by_key!(lock tx, conseillers::table, id.as_str() => ConseillerRow)
}

/// Writes a locked advisor's changed state and bumps its version; a departure frees its post.
/// Returns it as read back, with everything its read shows.
pub fn save(
    tx: &mut WriteTx<'_>,
    before: &Conseiller,
    after: &Conseiller,
) -> QueryResult<Conseiller> {
    write_changes(tx, before, after)?;
    find(tx.conn(), &after.id)?.ok_or(diesel::result::Error::NotFound)
}

/// [`save`] without reading the advisor back: `after` with its new version and change time,
/// its other parts (contracts, trainings, coordinator) as the caller read them. For a use case
/// that answers something else and only journals the advisor (whose journal view leaves those
/// parts out): a new contract, on a hot path, saves five queries.
pub fn save_unread(
    tx: &mut WriteTx<'_>,
    before: &Conseiller,
    after: &Conseiller,
) -> QueryResult<Conseiller> {
    let (version, modifie_le) = write_changes(tx, before, after)?;
    let mut saved = after.clone();
    saved.version = version;
    saved.modifie_le = modifie_le;
    Ok(saved)
}

/// The writes of [`save`]: the row, the lieux when they changed, the filled-posts counters;
/// returns the new version and change time.
fn write_changes(
    tx: &mut WriteTx<'_>,
    before: &Conseiller,
    after: &Conseiller,
) -> QueryResult<(i64, String)> {
    let mut row = row_of(after);
    row.version = before.version + 1;
    row.modifie_le = stored_time(Utc::now());
    let written = (row.version, row.modifie_le.clone());
    diesel::update(conseillers::table.find(after.id.as_str()))
        .set(&row)
        .execute(tx.conn())?;
    if before.lieux != after.lieux {
        diesel::delete(
            conseillers_lieux::table.filter(conseillers_lieux::conseiller_id.eq(after.id.as_str())),
        )
        .execute(tx.conn())?;
        let rows: Vec<_> = after
            .lieux
            .iter()
            .map(|l| {
                (
                    conseillers_lieux::conseiller_id.eq(after.id.as_str()),
                    conseillers_lieux::lieu_id.eq(l.lieu_id.as_str()),
                    conseillers_lieux::principal.eq(l.principal),
                )
            })
            .collect();
        if !rows.is_empty() {
            crate::insert_rows!(tx, conseillers_lieux::table, &rows)?;
        }
    }
    // The posts an advisor fills: counted on the convention of its contract until a rupture
    // (a new contract may move it to another convention, or bring it back).
    let avant = pourvoit(before);
    let apres = pourvoit(after);
    if avant != apres {
        if let Some(convention) = avant {
            fill_posts(tx, convention, -1)?;
        }
        if let Some(convention) = apres {
            fill_posts(tx, convention, 1)?;
        }
    }
    Ok(written)
}

/// [`StatutConseiller::de`] as SQL: in post on `today` (a contract, and its contracts' last day
/// not passed, or none).
pub fn en_poste_le(today: NaiveDate) -> EnPosteLe {
    conseillers::convention_id.is_not_null().and(
        conseillers::fin_contrats
            .is_null()
            .or(conseillers::fin_contrats.ge(date_text(today))),
    )
}

/// The type of [`en_poste_le`].
pub type EnPosteLe = diesel::dsl::And<
    diesel::dsl::IsNotNull<conseillers::convention_id>,
    diesel::dsl::Or<
        diesel::dsl::IsNull<conseillers::fin_contrats>,
        diesel::dsl::GtEq<conseillers::fin_contrats, String>,
    >,
>;

/// [`StatutConseiller::de`] as SQL: left on `today` (its contracts' last day passed; the CHECK
/// `convention_id IS NOT NULL OR fin_contrats IS NULL` makes it a person who had contracts).
/// NULL, not false, without that day.
pub fn sorti_le(today: NaiveDate) -> SortiLe {
    conseillers::fin_contrats.lt(date_text(today))
}

/// The type of [`sorti_le`].
pub type SortiLe = diesel::dsl::Lt<conseillers::fin_contrats, String>;

/// The advisors of a convention in post on `today`, by employer (read under the convention's
/// lock).
pub fn actifs_par_structure(
    conn: &mut DbConn,
    convention: &ConventionId,
    today: NaiveDate,
) -> QueryResult<Vec<ActifsStructure>> {
    let rows: Vec<(String, i64)> = conseillers::table
        .filter(conseillers::convention_id.eq(convention.as_str()))
        .filter(en_poste_le(today))
        .group_by(conseillers::structure_id)
        .select((conseillers::structure_id, diesel::dsl::count_star()))
        .order(conseillers::structure_id)
        .load(conn)?;
    rows.into_iter()
        .map(|(id, actifs)| {
            Ok(ActifsStructure {
                structure_id: stored(StructureId::parse(&id))?,
                actifs,
            })
        })
        .collect()
}

/// A convention's advisors by employer: in post on `today`, and gone (for the posts view).
pub fn par_structure_en_poste_et_sortis(
    conn: &mut DbConn,
    convention: &ConventionId,
    today: NaiveDate,
) -> QueryResult<Vec<(StructureId, i64, i64)>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Text};
    // the rule of `sorti_le`, counted per host
    let sortis = sql::<BigInt>("CAST(SUM(CASE WHEN fin_contrats < ")
        .bind::<Text, _>(date_text(today))
        .sql(" THEN 1 ELSE 0 END) AS BIGINT)");
    let rows: Vec<(String, i64, i64)> = crate::db_run!(conn, |c| conseillers::table
        .filter(conseillers::convention_id.eq(convention.as_str()))
        .group_by(conseillers::structure_id)
        .select((
            conseillers::structure_id,
            diesel::dsl::count_star(),
            sortis.clone(),
        ))
        .order(conseillers::structure_id)
        .load(c))?;
    rows.into_iter()
        .map(|(id, tous, sortis)| Ok((stored(StructureId::parse(&id))?, tous - sortis, sortis)))
        .collect()
}

/// A page of advisors within `scope`, newest first, without their lieux (see [`list`]); the
/// status filter as of `today`.
pub fn list_rows(
    conn: &mut DbConn,
    filter: &ConseillerFilter,
    today: NaiveDate,
    scope: &ScopeFilter,
    after: Option<&Position>,
    limit: usize,
) -> QueryResult<Page<Conseiller>> {
    let mut query = conseillers::table
        .select(ConseillerRow::as_select())
        .into_boxed::<super::Backend>();
    crate::filter_eq!(query, [
        conseillers::convention_id => filter.convention_id,
        conseillers::structure_id => filter.structure_id,
        conseillers::departement => filter.departement,
    ]);
    query = match filter.statut {
        None => query,
        Some(StatutConseiller::SansContrat) => query.filter(conseillers::convention_id.is_null()),
        Some(StatutConseiller::EnPoste) => query.filter(en_poste_le(today)),
        Some(StatutConseiller::Sorti) => query.filter(sorti_le(today)),
    };
    if let Some(coordinateur) = &filter.coordinateur_id {
        use crate::db::schema::contrats;
        query = query.filter(
            conseillers::id.eq_any(
                coordinations::table
                    .filter(coordinations::coordinateur_id.eq(coordinateur.as_str()))
                    .select(coordinations::conseiller_id),
            ),
        );
        // while the coordination holds (`Conseiller::coordinateur_le`): the coordinator has a
        // coordinator contract whose last day has not passed, or has none
        let jour = date_text(today);
        query = query.filter(diesel::dsl::exists(
            contrats::table
                .filter(contrats::conseiller_id.eq(coordinateur.as_str()))
                .filter(contrats::typologie.eq(TypologiePoste::Coordinateur.as_str()))
                .filter(
                    contrats::date_rupture
                        .ge(jour.clone())
                        .or(contrats::date_rupture
                            .is_null()
                            .and(contrats::date_fin.is_null().or(contrats::date_fin.ge(jour)))),
                ),
        ));
    }
    let query = crate::scope_filter!(
        query,
        scope,
        departement = conseillers::departement,
        structure = |id| conseillers::structure_id.eq(id)
    );
    crate::keyset_page!(conn, query, after, limit, conseillers::id => desc, |row: ConseillerRow| &row.id)?
        .try_map(Conseiller::try_from)
}

/// A page of advisors within `scope` (a structure sees the advisors it employs), newest first,
/// with their lieux (one more query for the page) and their trainings and certifications (one
/// more).
pub fn list(
    conn: &mut DbConn,
    filter: &ConseillerFilter,
    today: NaiveDate,
    scope: &ScopeFilter,
    after: Option<&Position>,
    limit: usize,
) -> QueryResult<Page<Conseiller>> {
    let page = list_rows(conn, filter, today, scope, after, limit)?;
    let items = with_lieux(conn, page.items)?;
    Ok(Page {
        items: with_parcours(conn, items)?,
        next: page.next,
    })
}

//! Reads of the référentiel territorial.
//!
//! Only *current* communes (`communes.actuelle`: those of the loaded extract) are read here: a
//! commune that left the extract but is kept because a structure references it (see
//! `db::referentiel`) is neither listed, nor found, nor a member of an EPCI.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::{Backend, Ranked, SearchQuery, converted, ranked_search, stored, stored_option};
use crate::db::DbConn;
use crate::db::schema::{
    communes, communes_codes_postaux, departements, epci, epci_membres, regions,
};
use crate::domain::codes::{CodeDepartement, CodeInsee, CodePostal, CodeRegion, Siren};
use crate::domain::filter::name_key;
/// The filters of the communes' and EPCI's lists (declared once, in the domain).
pub use crate::domain::filter::{CommuneFilter, EpciFilter};
use crate::domain::paging::{Page, Position};
use crate::domain::referentiel::{Commune, Departement, Epci, EpciMembre, EpciType, Region, Zone};
use crate::{apply_search, filter_eq, row_by_key};

/// Reads the columns `columns` of the current commune of code INSEE `code_insee` (a `&str`):
/// `QueryResult<Option<_>>`, `None` when no current commune has that code.
#[macro_export]
macro_rules! current_commune {
    ($conn:expr, $code_insee:expr, $columns:expr) => {{
        use $crate::db::schema::communes;
        communes::table
            .find($code_insee)
            .filter(communes::actuelle.eq(true))
            .select($columns)
            .first($conn)
            .optional()
    }};
}

/// The values of the text column `table::column` in the rows of `table` that name the commune
/// `code_insee` (a `&str`, in its `code_insee` column), in ascending order:
/// `QueryResult<Vec<String>>`.
#[macro_export]
macro_rules! values_of_commune {
    ($conn:expr, $table:ident::$column:ident, $code_insee:expr) => {
        $table::table
            .filter($table::code_insee.eq($code_insee))
            .select($table::$column)
            .order($table::$column)
            .load::<String>($conn)
    };
}

/// A row of `regions`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = regions, treat_none_as_default_value = false)]
pub struct RegionRow {
    /// Code INSEE.
    pub code: String,
    /// Official name.
    pub nom: String,
    /// Chef-lieu commune.
    pub chef_lieu: Option<String>,
    /// `metro`, `drom` or `com`.
    pub zone: String,
}

impl TryFrom<RegionRow> for Region {
    type Error = DieselError;
    fn try_from(row: RegionRow) -> QueryResult<Region> {
        Ok(Region {
            code: stored(CodeRegion::parse(&row.code))?,
            nom: row.nom,
            chef_lieu: stored_option(row.chef_lieu, CodeInsee::parse)?,
            zone: stored(Zone::parse(&row.zone))?,
        })
    }
}

/// Every région, by code.
pub fn list_regions(conn: &mut DbConn) -> QueryResult<Vec<Region>> {
    regions::table
        .select(RegionRow::as_select())
        .order(regions::code)
        .load::<RegionRow>(conn)
        .and_then(converted)
}

/// One région by code.
pub fn find_region(conn: &mut DbConn, code: &CodeRegion) -> QueryResult<Option<Region>> {
    row_by_key!(conn, regions::table, code.as_str() => RegionRow)
}

/// A row of `departements`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = departements, treat_none_as_default_value = false)]
pub struct DepartementRow {
    /// Code.
    pub code: String,
    /// Official name.
    pub nom: String,
    /// Code of its région.
    pub region: String,
    /// Chef-lieu commune.
    pub chef_lieu: Option<String>,
    /// `metro`, `drom` or `com`.
    pub zone: String,
}

impl TryFrom<DepartementRow> for Departement {
    type Error = DieselError;
    fn try_from(row: DepartementRow) -> QueryResult<Departement> {
        Ok(Departement {
            code: stored(CodeDepartement::parse(&row.code))?,
            nom: row.nom,
            region: stored(CodeRegion::parse(&row.region))?,
            chef_lieu: stored_option(row.chef_lieu, CodeInsee::parse)?,
            zone: stored(Zone::parse(&row.zone))?,
        })
    }
}

/// Every département, optionally of one région, by code.
pub fn list_departements(
    conn: &mut DbConn,
    region: Option<&CodeRegion>,
) -> QueryResult<Vec<Departement>> {
    let mut query = departements::table
        .select(DepartementRow::as_select())
        .order(departements::code)
        .into_boxed::<Backend>();
    if let Some(region) = region {
        query = query.filter(departements::region.eq(region.as_str().to_owned()));
    }
    query.load::<DepartementRow>(conn).and_then(converted)
}

/// One département by code.
pub fn find_departement(
    conn: &mut DbConn,
    code: &CodeDepartement,
) -> QueryResult<Option<Departement>> {
    row_by_key!(conn, departements::table, code.as_str() => DepartementRow)
}

/// A row of `communes` (without its search key, which only the loader writes and the search reads).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = communes)]
pub struct CommuneRow {
    /// Code INSEE.
    pub code_insee: String,
    /// Official name.
    pub nom: String,
    /// SIREN, when known.
    pub siren: Option<String>,
    /// Code of its département.
    pub departement: String,
    /// Code of its région.
    pub region: String,
    /// Population, when known.
    pub population: Option<i64>,
}

/// A page of communes: by relevance when searching by name, else by code INSEE.
pub fn search_communes(
    conn: &mut DbConn,
    filter: &CommuneFilter,
    after: Option<&Position>,
    limit: usize,
) -> QueryResult<Page<Commune>> {
    let page = ranked_search(
        name_key(filter.q.as_deref()).as_deref(),
        after,
        limit,
        |search: &SearchQuery<'_>| {
            let mut query = communes::table
                .filter(communes::actuelle.eq(true))
                .select((communes::nom_recherche, CommuneRow::as_select()))
                .into_boxed::<Backend>();
            filter_eq!(query, [communes::departement => filter.departement]);
            if let Some(code_postal) = &filter.code_postal {
                query = query.filter(
                    communes::code_insee.eq_any(
                        communes_codes_postaux::table
                            .filter(
                                communes_codes_postaux::code_postal
                                    .eq(code_postal.as_str().to_owned()),
                            )
                            .select(communes_codes_postaux::code_insee),
                    ),
                );
            }
            let query = apply_search!(query, search, communes::nom_recherche, communes::code_insee);
            let found: Vec<(String, CommuneRow)> = query.load(conn)?;
            Ok(found
                .into_iter()
                .map(|(key, row)| -> Ranked<CommuneRow> { (key, row.code_insee.clone(), row) })
                .collect())
        },
    )?;
    let items = with_codes_postaux(conn, page.items)?;
    Ok(Page {
        items,
        next: page.next,
    })
}

/// One current commune by code INSEE (`None` for a commune kept only because something references
/// it: a new structure cannot take it as its seat).
pub fn find_commune(conn: &mut DbConn, code_insee: &CodeInsee) -> QueryResult<Option<Commune>> {
    let row: Option<CommuneRow> =
        current_commune!(conn, code_insee.as_str(), CommuneRow::as_select())?;
    Ok(with_codes_postaux(conn, row.into_iter().collect())?.pop())
}

/// The codes postaux of communes as stored (unchecked text), by code INSEE, each list in
/// ascending order: of the communes named, or of every commune (`None`, the national seed).
/// A commune without a code postal has no entry.
pub fn codes_postaux_by_commune(
    conn: &mut DbConn,
    communes: Option<Vec<String>>,
) -> QueryResult<HashMap<String, Vec<String>>> {
    let mut query = communes_codes_postaux::table
        .select((
            communes_codes_postaux::code_insee,
            communes_codes_postaux::code_postal,
        ))
        .order((
            communes_codes_postaux::code_insee,
            communes_codes_postaux::code_postal,
        ))
        .into_boxed::<Backend>();
    if let Some(communes) = communes {
        query = query.filter(communes_codes_postaux::code_insee.eq_any(communes));
    }
    let pairs: Vec<(String, String)> = query.load(conn)?;
    let mut by_commune: HashMap<String, Vec<String>> = HashMap::new();
    for (code_insee, code_postal) in pairs {
        by_commune.entry(code_insee).or_default().push(code_postal);
    }
    Ok(by_commune)
}

/// Adds their codes postaux to commune rows, in one query for the whole page.
fn with_codes_postaux(conn: &mut DbConn, rows: Vec<CommuneRow>) -> QueryResult<Vec<Commune>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let codes: Vec<String> = rows.iter().map(|row| row.code_insee.clone()).collect();
    let mut by_commune = codes_postaux_by_commune(conn, Some(codes))?;
    rows.into_iter()
        .map(|row| {
            let codes_postaux = by_commune
                .remove(&row.code_insee)
                .unwrap_or_default()
                .iter()
                .map(|code| stored(CodePostal::parse(code)))
                .collect::<QueryResult<Vec<_>>>()?;
            Ok(Commune {
                code_insee: stored(CodeInsee::parse(&row.code_insee))?,
                nom: row.nom,
                siren: stored_option(row.siren, Siren::parse)?,
                departement: stored(CodeDepartement::parse(&row.departement))?,
                region: stored(CodeRegion::parse(&row.region))?,
                population: row.population,
                codes_postaux,
            })
        })
        .collect()
}

/// A row of `epci` (without its search key).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = epci)]
pub struct EpciRow {
    /// SIREN.
    pub siren: String,
    /// Official name.
    pub nom: String,
    /// Legal category.
    pub type_: String,
    /// Population, when known.
    pub population: Option<i64>,
}

impl TryFrom<EpciRow> for Epci {
    type Error = DieselError;
    fn try_from(row: EpciRow) -> QueryResult<Epci> {
        Ok(Epci {
            siren: stored(Siren::parse(&row.siren))?,
            nom: row.nom,
            type_: stored(EpciType::parse(&row.type_))?,
            population: row.population,
        })
    }
}

/// A page of EPCI and EPT: by relevance when searching by name, else by SIREN.
pub fn search_epci(
    conn: &mut DbConn,
    filter: &EpciFilter,
    after: Option<&Position>,
    limit: usize,
) -> QueryResult<Page<Epci>> {
    let page = ranked_search(
        name_key(filter.q.as_deref()).as_deref(),
        after,
        limit,
        |search: &SearchQuery<'_>| {
            let mut query = epci::table
                .select((epci::nom_recherche, EpciRow::as_select()))
                .into_boxed::<Backend>();
            if let Some(departement) = &filter.departement {
                query = query.filter(
                    epci::siren.eq_any(
                        epci_membres::table
                            .inner_join(communes::table)
                            .filter(communes::actuelle.eq(true))
                            .filter(communes::departement.eq(departement.as_str().to_owned()))
                            .select(epci_membres::epci_siren),
                    ),
                );
            }
            let query = apply_search!(query, search, epci::nom_recherche, epci::siren);
            let found: Vec<(String, EpciRow)> = query.load(conn)?;
            Ok(found
                .into_iter()
                .map(|(key, row)| -> Ranked<EpciRow> { (key, row.siren.clone(), row) })
                .collect())
        },
    )?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(Epci::try_from)
            .collect::<QueryResult<_>>()?,
        next: page.next,
    })
}

/// A member commune as listed with its EPCI.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = communes)]
struct MembreRow {
    code_insee: String,
    nom: String,
    departement: String,
}

/// One EPCI by SIREN, with its member communes by code INSEE.
pub fn find_epci(conn: &mut DbConn, siren: &Siren) -> QueryResult<Option<(Epci, Vec<EpciMembre>)>> {
    let row: Option<EpciRow> = epci::table
        .find(siren.as_str())
        .select(EpciRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let membres = epci_membres::table
        .inner_join(communes::table)
        .filter(epci_membres::epci_siren.eq(siren.as_str()))
        .filter(communes::actuelle.eq(true))
        .select(MembreRow::as_select())
        .order(communes::code_insee)
        .load(conn)?
        .into_iter()
        .map(|m| {
            Ok(EpciMembre {
                code_insee: stored(CodeInsee::parse(&m.code_insee))?,
                nom: m.nom,
                departement: stored(CodeDepartement::parse(&m.departement))?,
            })
        })
        .collect::<QueryResult<_>>()?;
    Ok(Some((Epci::try_from(row)?, membres)))
}

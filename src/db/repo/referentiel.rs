//! Reads of the référentiel territorial.

use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::{Backend, Page, Position, Ranked, ranked_search};
use crate::db::DbConn;
use crate::db::schema::{
    communes, communes_codes_postaux, departements, epci, epci_membres, regions,
};
use crate::domain::referentiel::{
    Commune, Departement, Epci, EpciMembre, EpciType, Region, UnknownValue, Zone,
};

fn stored<T>(parsed: Result<T, UnknownValue>) -> QueryResult<T> {
    parsed.map_err(|error| DieselError::DeserializationError(Box::new(error)))
}

type RegionRow = (String, String, Option<String>, String);
const REGION_COLUMNS: (
    regions::code,
    regions::nom,
    regions::chef_lieu,
    regions::zone,
) = (
    regions::code,
    regions::nom,
    regions::chef_lieu,
    regions::zone,
);

fn region((code, nom, chef_lieu, zone): RegionRow) -> QueryResult<Region> {
    Ok(Region {
        code,
        nom,
        chef_lieu,
        zone: stored(Zone::parse(&zone))?,
    })
}

/// Every région, by code.
pub fn list_regions(conn: &mut DbConn) -> QueryResult<Vec<Region>> {
    regions::table
        .select(REGION_COLUMNS)
        .order(regions::code)
        .load::<RegionRow>(conn)?
        .into_iter()
        .map(region)
        .collect()
}

/// One région by code.
pub fn find_region(conn: &mut DbConn, code: &str) -> QueryResult<Option<Region>> {
    regions::table
        .find(code)
        .select(REGION_COLUMNS)
        .first::<RegionRow>(conn)
        .optional()?
        .map(region)
        .transpose()
}

type DepartementRow = (String, String, String, Option<String>, String);
const DEPARTEMENT_COLUMNS: (
    departements::code,
    departements::nom,
    departements::region,
    departements::chef_lieu,
    departements::zone,
) = (
    departements::code,
    departements::nom,
    departements::region,
    departements::chef_lieu,
    departements::zone,
);

fn departement((code, nom, region, chef_lieu, zone): DepartementRow) -> QueryResult<Departement> {
    Ok(Departement {
        code,
        nom,
        region,
        chef_lieu,
        zone: stored(Zone::parse(&zone))?,
    })
}

/// Every département, optionally of one région, by code.
pub fn list_departements(conn: &mut DbConn, region: Option<&str>) -> QueryResult<Vec<Departement>> {
    let mut query = departements::table
        .select(DEPARTEMENT_COLUMNS)
        .order(departements::code)
        .into_boxed::<Backend>();
    if let Some(region) = region {
        query = query.filter(departements::region.eq(region.to_owned()));
    }
    query
        .load::<DepartementRow>(conn)?
        .into_iter()
        .map(departement)
        .collect()
}

/// One département by code.
pub fn find_departement(conn: &mut DbConn, code: &str) -> QueryResult<Option<Departement>> {
    departements::table
        .find(code)
        .select(DEPARTEMENT_COLUMNS)
        .first::<DepartementRow>(conn)
        .optional()?
        .map(departement)
        .transpose()
}

/// Filters of the commune list; `q` is already a search key (`domain::referentiel::search_key`).
#[derive(Debug, Clone, Default)]
pub struct CommuneFilter {
    /// Search key of a name query.
    pub q: Option<String>,
    /// Only communes of this département.
    pub departement: Option<String>,
    /// Only communes served by this code postal.
    pub code_postal: Option<String>,
}

type CommuneRow = (String, String, Option<String>, String, String, Option<i64>);

/// A page of communes: by relevance when searching by name, else by code INSEE.
pub fn search_communes(
    conn: &mut DbConn,
    filter: &CommuneFilter,
    after: Option<&Position>,
    limit: usize,
) -> QueryResult<Page<Commune>> {
    let page = ranked_search(filter.q.as_deref(), after, limit, |matching, rows| {
        let mut query = communes::table
            .select((
                communes::nom_recherche,
                (
                    communes::code_insee,
                    communes::nom,
                    communes::siren,
                    communes::departement,
                    communes::region,
                    communes::population,
                ),
            ))
            .limit(rows)
            .into_boxed::<Backend>();
        if let Some(departement) = &filter.departement {
            query = query.filter(communes::departement.eq(departement.clone()));
        }
        if let Some(code_postal) = &filter.code_postal {
            query = query.filter(
                communes::code_insee.eq_any(
                    communes_codes_postaux::table
                        .filter(communes_codes_postaux::code_postal.eq(code_postal.clone()))
                        .select(communes_codes_postaux::code_insee),
                ),
            );
        }
        let query = apply_matching!(
            query,
            matching,
            communes::nom_recherche,
            communes::code_insee
        );
        let found: Vec<(String, CommuneRow)> = query.load(conn)?;
        Ok(found
            .into_iter()
            .map(|(key, row)| -> Ranked<CommuneRow> { (key, row.0.clone(), row) })
            .collect())
    })?;
    let items = with_codes_postaux(conn, page.items)?;
    Ok(Page {
        items,
        next: page.next,
    })
}

/// One commune by code INSEE.
pub fn find_commune(conn: &mut DbConn, code_insee: &str) -> QueryResult<Option<Commune>> {
    let row: Option<CommuneRow> = communes::table
        .find(code_insee)
        .select((
            communes::code_insee,
            communes::nom,
            communes::siren,
            communes::departement,
            communes::region,
            communes::population,
        ))
        .first(conn)
        .optional()?;
    Ok(with_codes_postaux(conn, row.into_iter().collect())?.pop())
}

/// Adds their codes postaux to commune rows, in one query for the whole page.
fn with_codes_postaux(conn: &mut DbConn, rows: Vec<CommuneRow>) -> QueryResult<Vec<Commune>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let codes: Vec<String> = rows.iter().map(|row| row.0.clone()).collect();
    let pairs: Vec<(String, String)> = communes_codes_postaux::table
        .filter(communes_codes_postaux::code_insee.eq_any(codes))
        .select((
            communes_codes_postaux::code_insee,
            communes_codes_postaux::code_postal,
        ))
        .order((
            communes_codes_postaux::code_insee,
            communes_codes_postaux::code_postal,
        ))
        .load(conn)?;
    let mut by_commune: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for (code_insee, code_postal) in pairs {
        by_commune.entry(code_insee).or_default().push(code_postal);
    }
    Ok(rows
        .into_iter()
        .map(
            |(code_insee, nom, siren, departement, region, population)| Commune {
                codes_postaux: by_commune.remove(&code_insee).unwrap_or_default(),
                code_insee,
                nom,
                siren,
                departement,
                region,
                population,
            },
        )
        .collect())
}

/// Filters of the EPCI list; `q` is already a search key.
#[derive(Debug, Clone, Default)]
pub struct EpciFilter {
    /// Search key of a name query.
    pub q: Option<String>,
    /// Only groupements with at least one member commune in this département.
    pub departement: Option<String>,
}

type EpciRow = (String, String, String, Option<i64>);

fn epci_item((siren, nom, type_, population): EpciRow) -> QueryResult<Epci> {
    Ok(Epci {
        siren,
        nom,
        type_: stored(EpciType::parse(&type_))?,
        population,
    })
}

/// A page of EPCI and EPT: by relevance when searching by name, else by SIREN.
pub fn search_epci(
    conn: &mut DbConn,
    filter: &EpciFilter,
    after: Option<&Position>,
    limit: usize,
) -> QueryResult<Page<Epci>> {
    let page = ranked_search(filter.q.as_deref(), after, limit, |matching, rows| {
        let mut query = epci::table
            .select((
                epci::nom_recherche,
                (epci::siren, epci::nom, epci::type_, epci::population),
            ))
            .limit(rows)
            .into_boxed::<Backend>();
        if let Some(departement) = &filter.departement {
            query = query.filter(
                epci::siren.eq_any(
                    epci_membres::table
                        .inner_join(communes::table)
                        .filter(communes::departement.eq(departement.clone()))
                        .select(epci_membres::epci_siren),
                ),
            );
        }
        let query = apply_matching!(query, matching, epci::nom_recherche, epci::siren);
        let found: Vec<(String, EpciRow)> = query.load(conn)?;
        Ok(found
            .into_iter()
            .map(|(key, row)| -> Ranked<EpciRow> { (key, row.0.clone(), row) })
            .collect())
    })?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(epci_item)
            .collect::<QueryResult<_>>()?,
        next: page.next,
    })
}

/// One EPCI by SIREN, with its member communes by code INSEE.
pub fn find_epci(conn: &mut DbConn, siren: &str) -> QueryResult<Option<(Epci, Vec<EpciMembre>)>> {
    let row: Option<EpciRow> = epci::table
        .find(siren)
        .select((epci::siren, epci::nom, epci::type_, epci::population))
        .first(conn)
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let membres = epci_membres::table
        .inner_join(communes::table)
        .filter(epci_membres::epci_siren.eq(siren))
        .select((communes::code_insee, communes::nom, communes::departement))
        .order(communes::code_insee)
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(code_insee, nom, departement)| EpciMembre {
            code_insee,
            nom,
            departement,
        })
        .collect();
    Ok(Some((epci_item(row)?, membres)))
}

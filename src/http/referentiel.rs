//! Référentiel territorial: régions, départements, communes, EPCI. Public, read-only.

use actix_web::{get, web};

use crate::api::NoQuery;
use crate::api::referentiel::{
    Commune, CommuneFilter, CommunePage, Departement, DepartementList, DepartementQuery,
    EpciDetail, EpciFilter, EpciPage, Region, RegionList,
};
use crate::db::repo::referentiel as repo;
use crate::domain::codes::{CodeDepartement, CodeInsee, CodeRegion, Siren};
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::extract::{PathParam, StrictQuery};
use crate::list_operation;

/// Lister les régions
///
/// Les 26 régions (dont les collectivités d'outre-mer), par code. La liste vient entière :
/// `next_cursor` est toujours null. Public (aucun jeton).
#[utoipa::path(
    tag = "Référentiel",
    operation_id = "listRegions",
    params(NoQuery),
    responses(
        (status = 200, description = "Toutes les régions.", body = RegionList),
        crate::openapi::ReadErrors,
    )
)]
#[get("/regions")]
pub async fn list_regions(
    state: web::Data<AppState>,
    _query: StrictQuery<NoQuery>,
) -> Result<web::Json<RegionList>, ApiError> {
    let regions = state.read(|conn| Ok(repo::list_regions(conn)?)).await?;
    Ok(web::Json(RegionList {
        items: regions,
        next_cursor: None,
    }))
}

/// Lire une région
///
/// Une région par son code INSEE (`"11"` Île-de-France, `"975"` Saint-Pierre-et-Miquelon).
/// Public (aucun jeton).
#[utoipa::path(
    tag = "Référentiel",
    operation_id = "getRegion",
    params(
        crate::api::RegionPath,
        NoQuery
    ),
    responses(
        (status = 200, description = "La région.", body = Region),
        crate::openapi::ItemReadErrors,
    )
)]
#[get("/regions/{code}")]
pub async fn get_region(
    state: web::Data<AppState>,
    code: PathParam<CodeRegion>,
    _query: StrictQuery<NoQuery>,
) -> Result<web::Json<Region>, ApiError> {
    let code = code.into_inner();
    state
        .read(move |conn| {
            repo::find_region(conn, &code)?
                .map(web::Json)
                .ok_or_else(|| ApiError::NotFound(format!("Aucune région de code {code}.")))
        })
        .await
}

/// Lister les départements
///
/// Les 109 départements et collectivités d'outre-mer, par code (`"2A"`, `"2B"`, `"971"` sont des
/// chaînes), éventuellement d'une seule région. La liste vient entière : `next_cursor` est
/// toujours null. Public (aucun jeton).
#[utoipa::path(
    tag = "Référentiel",
    operation_id = "listDepartements",
    params(DepartementQuery),
    responses(
        (status = 200, description = "Les départements.", body = DepartementList),
        crate::openapi::ReadErrors,
    )
)]
#[get("/departements")]
pub async fn list_departements(
    state: web::Data<AppState>,
    query: StrictQuery<DepartementQuery>,
) -> Result<web::Json<DepartementList>, ApiError> {
    let region = query.0.region;
    let departements = state
        .read(move |conn| Ok(repo::list_departements(conn, region.as_ref())?))
        .await?;
    Ok(web::Json(DepartementList {
        items: departements,
        next_cursor: None,
    }))
}

/// Lire un département
///
/// Un département par son code (`"93"`, `"2A"`, `"971"`). Public (aucun jeton).
#[utoipa::path(
    tag = "Référentiel",
    operation_id = "getDepartement",
    params(
        crate::api::DepartementPath,
        NoQuery
    ),
    responses(
        (status = 200, description = "Le département.", body = Departement),
        crate::openapi::ItemReadErrors,
    )
)]
#[get("/departements/{code}")]
pub async fn get_departement(
    state: web::Data<AppState>,
    code: PathParam<CodeDepartement>,
    _query: StrictQuery<NoQuery>,
) -> Result<web::Json<Departement>, ApiError> {
    let code = code.into_inner();
    state
        .read(move |conn| {
            repo::find_departement(conn, &code)?
                .map(web::Json)
                .ok_or_else(|| ApiError::NotFound(format!("Aucun département de code {code}.")))
        })
        .await
}

list_operation! {
    /// Rechercher des communes
    ///
    /// Les communes actuelles (34 969), filtrées par nom, département ou code postal, paginées par
    /// curseur. La recherche `q` ignore la casse, les accents et la ponctuation ; les noms qui
    /// commencent par la recherche viennent d'abord, puis ceux qui la contiennent. Sans `q`, les
    /// communes viennent par code INSEE. Page suivante : `next_cursor` (aussi dans l'en-tête `Link`).
    /// Public (aucun jeton).
    list_communes, "/communes", "listCommunes",
    tag = "Référentiel", filter = CommuneFilter, page = (CommunePage, "Une page de communes."),
    public |req, state, filter| {}
    read = move |conn, after, limit| repo::search_communes(conn, &filter, after, limit),
    item = std::convert::identity,
}

/// Lire une commune
///
/// Une commune actuelle par son code INSEE (`"93066"` Saint-Denis, `"2A004"` Ajaccio), avec son
/// SIREN et ses codes postaux. Public (aucun jeton).
#[utoipa::path(
    tag = "Référentiel",
    operation_id = "getCommune",
    params(
        crate::api::CommunePath,
        NoQuery
    ),
    responses(
        (status = 200, description = "La commune.", body = Commune),
        crate::openapi::ItemReadErrors,
    )
)]
#[get("/communes/{code_insee}")]
pub async fn get_commune(
    state: web::Data<AppState>,
    code_insee: PathParam<CodeInsee>,
    _query: StrictQuery<NoQuery>,
) -> Result<web::Json<Commune>, ApiError> {
    let code = code_insee.into_inner();
    state
        .read(move |conn| {
            repo::find_commune(conn, &code)?
                .map(web::Json)
                .ok_or_else(|| {
                    ApiError::NotFound(format!("Aucune commune actuelle de code INSEE {code}."))
                })
        })
        .await
}

list_operation! {
    /// Rechercher des EPCI
    ///
    /// Les EPCI à fiscalité propre (CC, CA, CU, métropoles) et les EPT du Grand Paris, filtrés par nom
    /// ou par département (au moins une commune membre), paginés par curseur. Sans `q`, ils viennent
    /// par SIREN. Public (aucun jeton).
    list_epci, "/epci", "listEpci",
    tag = "Référentiel", filter = EpciFilter, page = (EpciPage, "Une page d'EPCI."),
    public |req, state, filter| {}
    read = move |conn, after, limit| repo::search_epci(conn, &filter, after, limit),
    item = std::convert::identity,
}

/// Lire un EPCI
///
/// Un EPCI ou un EPT par son SIREN, avec ses communes membres. Public (aucun jeton).
#[utoipa::path(
    tag = "Référentiel",
    operation_id = "getEpci",
    params(
        crate::api::EpciPath,
        NoQuery
    ),
    responses(
        (status = 200, description = "L'EPCI et ses communes membres.", body = EpciDetail),
        crate::openapi::ItemReadErrors,
    )
)]
#[get("/epci/{siren}")]
pub async fn get_epci(
    state: web::Data<AppState>,
    siren: PathParam<Siren>,
    _query: StrictQuery<NoQuery>,
) -> Result<web::Json<EpciDetail>, ApiError> {
    let siren = siren.into_inner();
    state
        .read(move |conn| {
            repo::find_epci(conn, &siren)?
                .map(|found| web::Json(found.into()))
                .ok_or_else(|| ApiError::NotFound(format!("Aucun EPCI de SIREN {siren}.")))
        })
        .await
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_regions)
        .service(get_region)
        .service(list_departements)
        .service(get_departement)
        .service(list_communes)
        .service(get_commune)
        .service(list_epci)
        .service(get_epci);
}

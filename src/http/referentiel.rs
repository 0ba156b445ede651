//! Référentiel territorial: régions, départements, communes, EPCI. Public, read-only.

use actix_web::{HttpResponse, get};
use diesel::QueryResult;

use crate::api::NoQuery;
use crate::api::referentiel::{
    Commune, CommuneFilter, CommunePage, Departement, DepartementList, DepartementQuery,
    EpciDetail, EpciFilter, EpciPage, Region, RegionList,
};
use crate::db::DbConn;
use crate::db::repo::referentiel as repo;
use crate::domain::codes::{CodeDepartement, CodeInsee, CodeRegion, Siren};
use crate::error::ApiError;
use crate::http::AppState;
use crate::{get_operation, list_operation, read_operation};

/// One object of the référentiel by its code, read on the blocking pool: `200` with its view, or
/// 404 with what `missing` says of the code.
async fn read_by_code<C, T, V>(
    state: &AppState,
    code: C,
    find: fn(&mut DbConn, &C) -> QueryResult<Option<T>>,
    missing: fn(&C) -> String,
) -> Result<HttpResponse, ApiError>
where
    C: Send + 'static,
    T: Send + 'static,
    V: From<T> + serde::Serialize,
{
    let found = state
        .read(move |conn| find(conn, &code)?.ok_or_else(|| ApiError::NotFound(missing(&code))))
        .await?;
    Ok(HttpResponse::Ok().json(V::from(found)))
}

read_operation! {
    /// Lister les régions
    ///
    /// Les 26 régions (dont les collectivités d'outre-mer), par code. La liste vient entière :
    /// `next_cursor` est toujours null. Public (aucun jeton).
    list_regions, "/regions", "listRegions", tag = "Référentiel",
    query = NoQuery, response = (RegionList, "Toutes les régions."),
    |state, _query| {
        let regions = state.read(|conn| Ok(repo::list_regions(conn)?)).await?;
        Ok(HttpResponse::Ok().json(RegionList {
            items: regions,
            next_cursor: None,
        }))
    }
}

get_operation! {
    /// Lire une région
    ///
    /// Une région par son code INSEE (`"11"` Île-de-France, `"975"` Saint-Pierre-et-Miquelon).
    /// Public (aucun jeton).
    get_region, "/regions/{code}", "getRegion", tag = "Référentiel",
    id = (CodeRegion, crate::api::RegionPath), response = (Region, "La région."),
    public |state, code| {
        read_by_code::<_, _, Region>(&state, code, repo::find_region, |code| {
            format!("Aucune région de code {code}.")
        })
        .await
    }
}

read_operation! {
    /// Lister les départements
    ///
    /// Les 109 départements et collectivités d'outre-mer, par code (`"2A"`, `"2B"`, `"971"` sont des
    /// chaînes), éventuellement d'une seule région. La liste vient entière : `next_cursor` est
    /// toujours null. Public (aucun jeton).
    list_departements, "/departements", "listDepartements", tag = "Référentiel",
    query = DepartementQuery, response = (DepartementList, "Les départements."),
    |state, query| {
        let region = query.region;
        let departements = state
            .read(move |conn| Ok(repo::list_departements(conn, region.as_ref())?))
            .await?;
        Ok(HttpResponse::Ok().json(DepartementList {
            items: departements,
            next_cursor: None,
        }))
    }
}

get_operation! {
    /// Lire un département
    ///
    /// Un département par son code (`"93"`, `"2A"`, `"971"`). Public (aucun jeton).
    get_departement, "/departements/{code}", "getDepartement", tag = "Référentiel",
    id = (CodeDepartement, crate::api::DepartementPath),
    response = (Departement, "Le département."),
    public |state, code| {
        read_by_code::<_, _, Departement>(&state, code, repo::find_departement, |code| {
            format!("Aucun département de code {code}.")
        })
        .await
    }
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
    public, read = repo::search_communes, item = std::convert::identity,
}

get_operation! {
    /// Lire une commune
    ///
    /// Une commune actuelle par son code INSEE (`"93066"` Saint-Denis, `"2A004"` Ajaccio), avec son
    /// SIREN et ses codes postaux. Public (aucun jeton).
    get_commune, "/communes/{code_insee}", "getCommune", tag = "Référentiel",
    id = (CodeInsee, crate::api::CommunePath), response = (Commune, "La commune."),
    public |state, code| {
        read_by_code::<_, _, Commune>(&state, code, repo::find_commune, |code| {
            format!("Aucune commune actuelle de code INSEE {code}.")
        })
        .await
    }
}

list_operation! {
    /// Rechercher des EPCI
    ///
    /// Les EPCI à fiscalité propre (CC, CA, CU, métropoles) et les EPT du Grand Paris, filtrés par nom
    /// ou par département (au moins une commune membre), paginés par curseur. Sans `q`, ils viennent
    /// par SIREN. Public (aucun jeton).
    list_epci, "/epci", "listEpci",
    tag = "Référentiel", filter = EpciFilter, page = (EpciPage, "Une page d'EPCI."),
    public, read = repo::search_epci, item = std::convert::identity,
}

get_operation! {
    /// Lire un EPCI
    ///
    /// Un EPCI ou un EPT par son SIREN, avec ses communes membres. Public (aucun jeton).
    get_epci, "/epci/{siren}", "getEpci", tag = "Référentiel",
    id = (Siren, crate::api::EpciPath), response = (EpciDetail, "L'EPCI et ses communes membres."),
    public |state, siren| {
        read_by_code::<_, _, EpciDetail>(&state, siren, repo::find_epci, |siren| {
            format!("Aucun EPCI de SIREN {siren}.")
        })
        .await
    }
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

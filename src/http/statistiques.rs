//! `/api/v1/statistiques`: public statistics, national, by région and by département.
//!
//! Every answer is computed from the grouped figures of [`repo::donnees`] (whose activity part
//! reads the per-day aggregates, not the activities), composed by
//! [`domain::compose`](crate::domain::statistiques::compose). Answers carry a strong `ETag` (a
//! hash of the body) and `Cache-Control: public, max-age=60`; `If-None-Match` with that tag
//! answers 304 without a body.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use sha2::{Digest, Sha256};

use crate::api::statistiques::{PeriodeQuery, Statistiques, StatistiquesListe};
use crate::db::repo::statistiques::{self as repo, Donnees};
use crate::domain::codes::{CodeDepartement, CodeRegion};
use crate::domain::statistiques::{DonneesDepartement, NiveauTerritoire, Territoire, compose};
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::extract::{PathParam, StrictQuery};

/// How long a client or a proxy may reuse an answer, in seconds.
pub const MAX_AGE_SECONDS: u32 = 60;

/// The strong `ETag` of a body: the first 16 bytes of its SHA-256, quoted.
pub fn body_etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether an `If-None-Match` header value matches `etag` (`*`, or one of a comma-separated list;
/// weak comparison: a `W/` prefix is ignored, RFC 9110 §13.1.2).
pub fn none_match(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

/// A public, cacheable JSON answer: 200 with `ETag` and `Cache-Control`, or 304 when the
/// request's `If-None-Match` names the same tag.
pub fn cacheable_json<T: serde::Serialize>(
    req: &HttpRequest,
    value: &T,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    let etag = body_etag(&body);
    let cache = format!("public, max-age={MAX_AGE_SECONDS}");
    let matched = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .any(|v| none_match(v, &etag));
    let mut response = if matched {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache));
    if matched {
        return Ok(response.finish());
    }
    Ok(response.content_type("application/json").body(body))
}

/// Reads the figures, activities within the period asked. `au` before `du` is an empty period
/// (no activity), not an error: the spec cannot express a rule across two parameters, so every
/// pair of dates it allows is answered.
async fn donnees(state: &AppState, periode: PeriodeQuery) -> Result<Donnees, ApiError> {
    state
        .read(move |conn| Ok(repo::donnees(conn, periode.du, periode.au)?))
        .await
}

fn national(donnees: &Donnees, today: chrono::NaiveDate) -> Statistiques {
    let all: Vec<&DonneesDepartement> = donnees.departements.iter().collect();
    compose(
        Territoire {
            niveau: NiveauTerritoire::National,
            code: None,
            nom: "France".to_owned(),
        },
        &all,
        &donnees.enveloppes,
        &donnees.soldes,
        today,
    )
    .into()
}

fn region(
    donnees: &Donnees,
    (code, nom): &(String, String),
    today: chrono::NaiveDate,
) -> Statistiques {
    let members: Vec<&DonneesDepartement> = donnees
        .departements
        .iter()
        .filter(|d| &d.region == code)
        .collect();
    compose(
        Territoire {
            niveau: NiveauTerritoire::Region,
            code: Some(code.clone()),
            nom: nom.clone(),
        },
        &members,
        &donnees.enveloppes,
        &donnees.soldes,
        today,
    )
    .into()
}

/// The statistics of one département of `donnees`.
pub fn departement(
    donnees: &Donnees,
    departement: &DonneesDepartement,
    today: chrono::NaiveDate,
) -> Statistiques {
    compose(
        Territoire {
            niveau: NiveauTerritoire::Departement,
            code: Some(departement.code.clone()),
            nom: departement.nom.clone(),
        },
        &[departement],
        &donnees.enveloppes,
        &donnees.soldes,
        today,
    )
    .into()
}

/// Statistiques nationales
///
/// Les postes (objectif, attribués, pourvus, vacants), les conseillers par statut, les
/// conventions par statut et en retard, l'argent par nature d'enveloppe et les activités
/// (nombre, participants, heures, par thématique, par mois) de la France entière. `du` et `au`
/// filtrent les activités seulement. Réponse avec `ETag` et `Cache-Control: public,
/// max-age=60` ; `If-None-Match` : 304. Public (aucun jeton) ; aucune donnée personnelle.
#[utoipa::path(
    tag = "Statistiques",
    operation_id = "getStatistiquesNationales",
    params(PeriodeQuery),
    responses(
        (status = 200, description = "Les statistiques nationales.", body = Statistiques,
            headers(("ETag" = String, description = "Empreinte de la réponse, pour `If-None-Match`."),
                    ("Cache-Control" = String, description = "`public, max-age=60`."))),
        (status = 304, description = "Inchangées depuis l'`ETag` donné dans `If-None-Match`."),
        crate::openapi::ReadErrors,
    )
)]
#[get("/statistiques")]
pub async fn get_nationales(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: StrictQuery<PeriodeQuery>,
) -> Result<HttpResponse, ApiError> {
    let donnees = donnees(&state, query.0).await?;
    cacheable_json(&req, &national(&donnees, state.today()))
}

/// Statistiques de chaque région
///
/// Les statistiques de chacune des régions du référentiel, par code, pour dessiner une carte en
/// un appel. Mêmes champs et mêmes règles que les statistiques nationales ; l'objectif et
/// l'argent d'une région sont ceux de ses plafonds départementaux et de ses enveloppes
/// départementales. Public (aucun jeton).
#[utoipa::path(
    tag = "Statistiques",
    operation_id = "listStatistiquesRegions",
    params(PeriodeQuery),
    responses(
        (status = 200, description = "Une entrée par région.", body = StatistiquesListe,
            headers(("ETag" = String, description = "Empreinte de la réponse, pour `If-None-Match`."),
                    ("Cache-Control" = String, description = "`public, max-age=60`."))),
        (status = 304, description = "Inchangées depuis l'`ETag` donné dans `If-None-Match`."),
        crate::openapi::ReadErrors,
    )
)]
#[get("/statistiques/regions")]
pub async fn list_regions(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: StrictQuery<PeriodeQuery>,
) -> Result<HttpResponse, ApiError> {
    let donnees = donnees(&state, query.0).await?;
    let today = state.today();
    let items = donnees
        .regions
        .iter()
        .map(|r| region(&donnees, r, today))
        .collect();
    cacheable_json(&req, &StatistiquesListe { items })
}

/// Statistiques d'une région
///
/// Les statistiques d'une région (la somme de ses départements). Une région inconnue : 404.
/// Public (aucun jeton).
#[utoipa::path(
    tag = "Statistiques",
    operation_id = "getStatistiquesRegion",
    params(
        ("code" = inline(CodeRegion), Path, description = "Code INSEE de la région.", example = "11"),
        PeriodeQuery
    ),
    responses(
        (status = 200, description = "Les statistiques de la région.", body = Statistiques,
            headers(("ETag" = String, description = "Empreinte de la réponse, pour `If-None-Match`."),
                    ("Cache-Control" = String, description = "`public, max-age=60`."))),
        (status = 304, description = "Inchangées depuis l'`ETag` donné dans `If-None-Match`."),
        crate::openapi::ItemReadErrors,
    )
)]
#[get("/statistiques/regions/{code}")]
pub async fn get_region(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: PathParam<CodeRegion>,
    query: StrictQuery<PeriodeQuery>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let donnees = donnees(&state, query.0).await?;
    let found = donnees
        .regions
        .iter()
        .find(|(c, _)| c == code.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("Aucune région de code {code}.")))?;
    cacheable_json(&req, &region(&donnees, found, state.today()))
}

/// Statistiques de chaque département
///
/// Les statistiques de chacun des départements du référentiel, par code, pour dessiner une carte
/// en un appel. Public (aucun jeton).
#[utoipa::path(
    tag = "Statistiques",
    operation_id = "listStatistiquesDepartements",
    params(PeriodeQuery),
    responses(
        (status = 200, description = "Une entrée par département.", body = StatistiquesListe,
            headers(("ETag" = String, description = "Empreinte de la réponse, pour `If-None-Match`."),
                    ("Cache-Control" = String, description = "`public, max-age=60`."))),
        (status = 304, description = "Inchangées depuis l'`ETag` donné dans `If-None-Match`."),
        crate::openapi::ReadErrors,
    )
)]
#[get("/statistiques/departements")]
pub async fn list_departements(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: StrictQuery<PeriodeQuery>,
) -> Result<HttpResponse, ApiError> {
    let donnees = donnees(&state, query.0).await?;
    let today = state.today();
    let items = donnees
        .departements
        .iter()
        .map(|d| departement(&donnees, d, today))
        .collect();
    cacheable_json(&req, &StatistiquesListe { items })
}

/// Statistiques d'un département
///
/// Les statistiques d'un département. Un département inconnu : 404. Public (aucun jeton).
#[utoipa::path(
    tag = "Statistiques",
    operation_id = "getStatistiquesDepartement",
    params(
        ("code" = inline(CodeDepartement), Path, description = "Code du département.", example = "93"),
        PeriodeQuery
    ),
    responses(
        (status = 200, description = "Les statistiques du département.", body = Statistiques,
            headers(("ETag" = String, description = "Empreinte de la réponse, pour `If-None-Match`."),
                    ("Cache-Control" = String, description = "`public, max-age=60`."))),
        (status = 304, description = "Inchangées depuis l'`ETag` donné dans `If-None-Match`."),
        crate::openapi::ItemReadErrors,
    )
)]
#[get("/statistiques/departements/{code}")]
pub async fn get_departement(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: PathParam<CodeDepartement>,
    query: StrictQuery<PeriodeQuery>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let donnees = donnees(&state, query.0).await?;
    let found = donnees
        .departements
        .iter()
        .find(|d| d.code == code.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("Aucun département de code {code}.")))?;
    cacheable_json(&req, &departement(&donnees, found, state.today()))
}

/// Registers the handlers of this module.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_nationales)
        .service(list_regions)
        .service(get_region)
        .service(list_departements)
        .service(get_departement);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists() {
        let tag = body_etag(b"{}");
        assert_eq!(tag.len(), 34);
        assert!(none_match(&tag, &tag));
        assert!(none_match(&format!("W/{tag}"), &tag));
        assert!(none_match(&format!("\"x\", {tag}"), &tag));
        assert!(none_match("*", &tag));
        assert!(!none_match("\"x\"", &tag));
        assert_ne!(body_etag(b"{}"), body_etag(b"[]"));
    }
}

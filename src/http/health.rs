//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};

use crate::api::NoQuery;
use crate::api::health::{Backend, Live, Ready};
use crate::db::repo::health::referentiel_present;
use crate::error::ApiError;
use crate::http::extract::StrictQuery;
use crate::{operation, read_operation};

operation! {
    /// Sonde de vie
    ///
    /// Répond 200 tant que le processus sert des requêtes, sans toucher à la base de données.
    /// Public (aucun jeton).
    get "/health/live", live, "healthLive", tag = "Santé",
    params(NoQuery),
    responses(
        (status = 200, description = "Le processus répond.", body = Live),
        (status = 400, response = crate::openapi::BadRequest),
    ),
    fn(_query: StrictQuery<NoQuery>) -> web::Json<Live> {
        web::Json(Live { status: "ok" })
    }
}

read_operation! {
    /// Sonde de disponibilité
    ///
    /// Répond 200 quand le service peut servir : une connexion est obtenue du pool, les migrations sont
    /// appliquées et le référentiel territorial est chargé ; sinon un problème 503 (à retenter après
    /// `Retry-After`). Public (aucun jeton).
    ready, "/health/ready", "healthReady", tag = "Santé",
    query = NoQuery, response = (Ready, "Le service est prêt."),
    |state, _query| {
        if !state.is_ready() {
            return Err(ApiError::Unavailable(
                "Démarrage en cours : migrations ou chargement du référentiel.".to_owned(),
            ));
        }
        let loaded = state.read(|conn| Ok(referentiel_present(conn)?)).await?;
        if !loaded {
            return Err(ApiError::Unavailable(
                "Le référentiel territorial n'est pas chargé dans la base.".to_owned(),
            ));
        }
        Ok(HttpResponse::Ok().json(Ready {
            status: "ok",
            base: if state.postgres {
                Backend::Postgres
            } else {
                Backend::Sqlite
            },
        }))
    }
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(live).service(ready);
}

//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};

use crate::api::NoQuery;
use crate::api::health::{Backend, Live, Ready};
use crate::db::deadline::stuck_statements;
use crate::db::repo::health::referentiel_present;
use crate::error::ApiError;
use crate::http::extract::StrictQuery;
use crate::{operation, read_operation};

operation! {
    /// Sonde de vie
    ///
    /// Répond 200 tant que le processus sert des requêtes et peut se rétablir seul, sans toucher à
    /// la base de données : une base injoignable, même longtemps, ne la fait pas échouer (chaque
    /// attente de la base est bornée, les connexions rompues sont remplacées, `/health/ready`
    /// répond 503 en attendant). Répond 503 quand une instruction de la base reste bloquée plus de
    /// 30 s au-delà de son délai malgré ces bornes : le processus ne se rétablira pas seul, il faut
    /// le redémarrer. Public (aucun jeton).
    get "/health/live", live, "healthLive", tag = "Santé",
    params(NoQuery),
    responses(
        (status = 200, description = "Le processus répond.", body = Live),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 503, response = crate::openapi::ServiceUnavailable),
    ),
    fn(_query: StrictQuery<NoQuery>) -> Result<web::Json<Live>, ApiError> {
        let stuck = stuck_statements();
        if stuck > 0 {
            log::error!(
                "{stuck} instruction(s) de la base bloquée(s) au-delà de leur délai : \
                 redémarrage nécessaire"
            );
            return Err(ApiError::Unavailable(format!(
                "{stuck} instruction(s) de la base restent bloquées au-delà de leur délai : \
                 le processus ne se rétablira pas seul."
            )));
        }
        Ok(web::Json(Live { status: "ok" }))
    }
}

read_operation! {
    /// Sonde de disponibilité
    ///
    /// Répond 200 quand le service peut servir : une connexion est obtenue du pool, les migrations sont
    /// appliquées et le référentiel territorial est chargé ; sinon un problème 503 (à retenter après
    /// `Retry-After`), en particulier dès le début d'un arrêt (SIGTERM), pendant que les requêtes en
    /// cours se terminent. Public (aucun jeton).
    ready, "/health/ready", "healthReady", tag = "Santé",
    query = NoQuery, response = (Ready, "Le service est prêt."),
    |state, _query| {
        if state.is_stopping() {
            return Err(ApiError::Unavailable(
                "Arrêt en cours : les requêtes en cours se terminent, adresser les suivantes à une \
                 autre instance."
                    .to_owned(),
            ));
        }
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

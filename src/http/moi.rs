//! `GET /api/v1/moi`: the caller, as verified from the bearer token.

use actix_web::{get, web};

use crate::api::NoQuery;
use crate::api::moi::Moi;
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Perimeter, Resource};
use crate::error::ApiError;
use crate::http::extract::StrictQuery;

/// Qui suis-je ?
///
/// Le rôle, la portée (départements ou structure), le sujet et l'expiration du jeton présenté, tels
/// que l'API les a vérifiés. Accès : tout jeton valide (`lecteur`, `structure`, `prefecture`,
/// `admin`) ; sans jeton ou avec un jeton refusé, 401 avec `WWW-Authenticate`.
#[utoipa::path(
    tag = "Accès",
    operation_id = "getMoi",
    params(NoQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "L'appelant.", body = Moi),
        crate::openapi::AuthenticatedReadErrors,
    )
)]
#[get("/moi")]
pub async fn moi(caller: Caller, _query: StrictQuery<NoQuery>) -> Result<web::Json<Moi>, ApiError> {
    policy::check(
        Some(&caller),
        Resource::Moi,
        Action::Read,
        &Perimeter::NATIONAL,
    )?;
    Ok(web::Json(caller.into()))
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(moi);
}

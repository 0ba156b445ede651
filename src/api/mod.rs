//! Request and response bodies (DTOs) and query parameters: serde + `ToSchema`/`IntoParams`,
//! built from domain types. Their `///` docs (in French) and examples become the OpenAPI document.
//! This layer imports the domain only (never `http` or `db`).

pub mod activite;
pub mod conseiller;
pub mod convention;
pub mod financement;
pub mod health;
pub mod journal;
pub mod lieu;
pub mod moi;
pub mod paging;
pub mod referentiel;
pub mod statistiques;
pub mod structure;

use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

/// The query of an operation that takes no query parameter: any parameter is refused (400).
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct NoQuery {}

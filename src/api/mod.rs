//! Request and response bodies (DTOs): serde + `ToSchema`, built from domain types. Their `///`
//! docs and examples become the OpenAPI document.

pub mod health;
pub mod moi;
pub mod referentiel;

use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

/// The query of an operation that takes no query parameter: any parameter is refused (400).
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct NoQuery {}

//! Request and response bodies (DTOs): serde + `ToSchema`, built from domain types. Their `///`
//! docs and examples become the OpenAPI document.

pub mod health;
pub mod moi;
pub mod referentiel;

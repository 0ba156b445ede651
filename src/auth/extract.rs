//! The caller extractors: [`Caller`] requires a valid bearer token (401 otherwise);
//! [`MaybeCaller`] also lets anonymous requests through, but still refuses a bad token. Both
//! refuse two `Authorization` headers (400): which token the request means is ambiguous.
//!
//! The [`Verifier`] is the application's own data (`web::Data<Verifier>`), registered by the app
//! builder: this module needs nothing else from the HTTP layer.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};

use super::{AuthError, Caller, Verifier};
use crate::domain::refusal::FieldError;
use crate::error::ApiError;

fn authenticate(req: &HttpRequest) -> Result<Option<Caller>, ApiError> {
    let mut values = req.headers().get_all(AUTHORIZATION);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    // Two tokens: which one the request means is ambiguous (and a proxy may have added one).
    if values.next().is_some() {
        return Err(ApiError::InvalidParameters(vec![FieldError::parameter(
            "Authorization",
            "Un seul en-tête Authorization est accepté.",
        )]));
    }
    let verifier = req
        .app_data::<web::Data<Verifier>>()
        .ok_or_else(|| ApiError::internal("Verifier absent de l'application"))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized(AuthError::Malformed("en-tête non ASCII".into())))?;
    verifier
        .verify_header(Some(value))
        .map(Some)
        .map_err(ApiError::Unauthorized)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            authenticate(req)
                .and_then(|caller| caller.ok_or(ApiError::Unauthorized(AuthError::Missing))),
        )
    }
}

/// The caller when a token is sent, `None` for an anonymous request. A token that is sent but
/// invalid is refused (401), never silently treated as anonymous.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequest for MaybeCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(MaybeCaller))
    }
}

//! The caller extractors: [`Caller`] requires a valid bearer token (401 otherwise);
//! [`MaybeCaller`] also lets anonymous requests through, but still refuses a bad token. Both
//! refuse two `Authorization` headers (400): which token the request means is ambiguous.
//!
//! The [`Verifier`] is the application's own data (`web::Data<Verifier>`), registered by the app
//! builder: this module needs nothing else from the HTTP layer.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::{AuthError, Caller, Verifier};
use crate::domain::refusal::FieldError;
use crate::error::ApiError;

/// The caller of a request with one bearer token, verified; `None` without a token. The verified
/// caller is kept in the request's extensions: for the access log, and so that a token the rate
/// limit already verified (it keys by `sub`) is not verified twice. A refusal is counted in the
/// metrics by its code.
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
    if let Some(caller) = req.extensions().get::<Caller>() {
        return Ok(Some(caller.clone()));
    }
    let verifier = req
        .app_data::<web::Data<Verifier>>()
        .ok_or_else(|| ApiError::internal("Verifier absent de l'application"))?;
    let verified = match value.to_str() {
        Ok(value) => verifier.verify_header(Some(value)),
        Err(_) => Err(AuthError::Malformed("en-tête non ASCII".into())),
    };
    match verified {
        Ok(caller) => {
            req.extensions_mut().insert(caller.clone());
            Ok(Some(caller))
        }
        Err(error) => Err(refused(error)),
    }
}

/// A 401 for `error`, counted by its code.
fn refused(error: AuthError) -> ApiError {
    crate::metrics::count_token_refused(error.code());
    ApiError::Unauthorized(error)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            authenticate(req).and_then(|caller| caller.ok_or_else(|| refused(AuthError::Missing))),
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

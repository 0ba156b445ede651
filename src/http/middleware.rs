//! The request middleware: request id, and every error as a complete problem.
//!
//! - `X-Request-Id` is taken from the request when it is a sane token, else generated (UUID v7);
//!   it is stored in the request extensions, echoed on every response, and put in every problem.
//! - A problem produced by [`ApiError`] gets its `instance` (the request path) and `request_id`.
//! - Any other error response (actix's own plain-text ones) is turned into a problem of its status;
//!   a problem is never compressed (this middleware wraps `Compress`).
//! - A 500 is logged with the request id and its server-side detail.
//! - A request whose query string carries a token (`access_token`, RFC 6750 §2.3, any case) is
//!   refused with a 400 `jeton_dans_url` before anything else (the access log never shows a
//!   query string); then a header the API reads holding a control character is a 400
//!   `caractere_interdit` (`http::extract::check_headers`).
//! - Every response carries `X-Content-Type-Options: nosniff` (a browser never guesses another
//!   type than the one declared); a response to a request that carries `Authorization` gets
//!   `Cache-Control: no-store` (nothing a caller's token shows is kept by a shared cache or the
//!   browser), unless the handler set its own (the public statistics say `public, max-age=60`).
//! - Every request counts as in flight ([`AppState::in_flight`](crate::http::AppState::in_flight))
//!   from its arrival until its response body has been written whole, or its connection lost:
//!   what a shutdown waits for.
//! - Once a shutdown has begun ([`AppState::stopping`](crate::http::AppState::stopping)), every
//!   response closes its connection: a client on a kept-alive connection opens its next one
//!   elsewhere instead of holding this instance open until its keep-alive ends.
//! - Every request, once its response is ready, is counted in the metrics
//!   ([`metrics::record_request`]) and gets its access line ([`AccessLine`]): by its route
//!   template, never its path or query string, and with the caller the `Caller` extractor (or the
//!   rate limit) verified.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use std::borrow::Cow;

use crate::auth::Caller;
use crate::error::{ApiError, InternalDetail, PROBLEM_JSON, Problem};
use crate::logging::AccessLine;
use crate::metrics;

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, in the request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Accepts a client-given request id only when it is short and printable (it goes into logs).
fn sane_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = (1..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| text.to_owned())
}

/// The query parameter of RFC 6750 §2.3 that carries a token; also matched in any case.
pub const QUERY_TOKEN_PARAMETER: &str = "access_token";

/// The name of the query string's parameter that carries a token, if one does.
pub fn token_in_query(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(name, _)| name)
        .find(|name| name.trim().eq_ignore_ascii_case(QUERY_TOKEN_PARAMETER))
        .map(Cow::into_owned)
}

/// The middleware function (see the module documentation).
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = std::time::Instant::now();
    let method = metrics::method_label(req.method());
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(sane_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let path = req.path().to_owned();
    let authenticated = req.headers().contains_key(header::AUTHORIZATION);
    let state = req.app_data::<web::Data<crate::http::AppState>>();
    let stopping = state.map(|state| state.stopping.clone());
    let in_flight = state.map(|state| InFlight::start(state.in_flight.clone()));
    // Handlers and extractors answer errors as responses; an `Err` here could only come from an
    // inner middleware, and the request (needed to build a response) is no longer ours to clone:
    // routing needs it unshared.
    let refused = match token_in_query(req.query_string()) {
        Some(name) => Err(ApiError::TokenInUrl(name)),
        None => crate::http::extract::check_headers(req.headers()),
    };
    let response = match refused {
        Err(error) => req.error_response(error),
        Ok(()) => next.call(req).await?.map_into_boxed_body(),
    };
    let mut response = complete_problem(response, &path, &request_id);
    // The route template and the caller cost allocations on every request: only when metrics
    // or access lines are on.
    let (count, line) = (metrics::enabled(), AccessLine::enabled());
    if count || line {
        let route = metrics::route_label(response.request());
        let took = started.elapsed();
        if count {
            metrics::record_request(method, route.clone(), response.status(), took);
        }
        if line {
            let caller = response
                .request()
                .extensions()
                .get::<Caller>()
                .map(|caller| (caller.sub.clone(), caller.role.as_str()));
            AccessLine {
                request_id: request_id.clone(),
                method,
                route,
                status: response.status().as_u16(),
                duration: took,
                caller,
            }
            .log();
        }
    }
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if authenticated && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if stopping.is_some_and(|flag| flag.load(std::sync::atomic::Ordering::Acquire)) {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    Ok(match in_flight {
        Some(in_flight) => response.map_body(|_, body| {
            BoxBody::new(Tracked {
                body,
                _in_flight: in_flight,
            })
        }),
        None => response,
    })
}

/// One request in flight: counted while this lives.
struct InFlight(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl InFlight {
    fn start(counter: std::sync::Arc<std::sync::atomic::AtomicUsize>) -> InFlight {
        counter.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        InFlight(counter)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// A response body that keeps its request counted in flight until it is written whole (actix
/// drops it then, or when the connection is lost).
struct Tracked {
    body: BoxBody,
    _in_flight: InFlight,
}

impl MessageBody for Tracked {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> actix_web::body::BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<actix_web::web::Bytes, Self::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_next(cx)
    }
}

fn complete_problem(
    response: ServiceResponse<BoxBody>,
    path: &str,
    request_id: &str,
) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    let known = response.response().extensions().get::<Problem>().cloned();
    let mut problem = match known {
        Some(problem) => problem,
        None => {
            // An error actix (or a library) answered on its own: keep its status, use our shape.
            ApiError::Other {
                status,
                detail: generic_detail(status.as_u16()),
            }
            .problem()
        }
    };
    if let Some(InternalDetail(detail)) = response.response().extensions().get::<InternalDetail>() {
        log::error!("[{request_id}] {path} : {detail}");
    } else if status.is_server_error() {
        log::error!(
            "[{request_id}] {path} : {} {}",
            problem.status,
            problem.detail
        );
    }
    problem.instance = Some(path.to_owned());
    problem.request_id = Some(request_id.to_owned());
    let body = serde_json::to_string(&problem).unwrap_or_default();
    let (request, mut http_response) = response.into_parts();
    http_response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    // A fresh body: drop what described the old one (its length, and the coding `Compress` chose
    // for it; problems are small and go uncompressed).
    http_response.headers_mut().remove(header::CONTENT_LENGTH);
    http_response.headers_mut().remove(header::CONTENT_ENCODING);
    let http_response = http_response.set_body(BoxBody::new(body));
    ServiceResponse::new(request, http_response)
}

fn generic_detail(status: u16) -> String {
    match status {
        400 => "Requête invalide.".to_owned(),
        404 => "Ressource introuvable.".to_owned(),
        413 => "Corps de requête trop volumineux.".to_owned(),
        414 => "URI trop longue.".to_owned(),
        415 => "Type de contenu non pris en charge.".to_owned(),
        431 => "En-têtes trop volumineux.".to_owned(),
        other => format!("La requête a échoué (statut {other})."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_in_the_query_is_found() {
        assert_eq!(
            token_in_query("a=1&access_token=x").as_deref(),
            Some("access_token")
        );
        assert_eq!(
            token_in_query("ACCESS_TOKEN=x").as_deref(),
            Some("ACCESS_TOKEN")
        );
        assert_eq!(
            token_in_query("access%5Ftoken=x").as_deref(),
            Some("access_token")
        );
        assert_eq!(token_in_query("q=access_token&limit=2"), None);
    }

    #[test]
    fn only_sane_request_ids_are_kept() {
        let ok = HeaderValue::from_static("abc-123_x.y:z");
        assert_eq!(sane_request_id(&ok).as_deref(), Some("abc-123_x.y:z"));
        for bad in ["", "a b", "a\"b", "é"] {
            if let Ok(value) = HeaderValue::from_str(bad) {
                assert!(sane_request_id(&value).is_none(), "{bad}");
            }
        }
        let long = HeaderValue::from_str(&"a".repeat(129)).unwrap();
        assert!(sane_request_id(&long).is_none());
    }
}

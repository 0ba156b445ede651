//! `cnfs-api`: the JSON REST API of the *Conseillers numériques France Services* programme.
//!
//! The map of the code is in `docs/ARCHITECTURE.md`. This file builds the two things every entry
//! point shares: the OpenAPI document and the actix application (server, CLI and tests use the same
//! builders, so what is tested is what is served).

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, Condition, from_fn};
use actix_web::{App, Error, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod seed;

use http::{AppState, RouteTable};

/// Path of the served OpenAPI document.
pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";

/// Collects the routes into an app and its OpenAPI document (finished, see [`openapi::finish`]).
fn collect() -> (
    App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = Error,
            InitError = (),
        >,
    >,
    utoipa::openapi::OpenApi,
) {
    let (app, doc) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(http::routes)
        .split_for_parts();
    (app, openapi::finish(doc))
}

/// The OpenAPI document, exactly as served at [`OPENAPI_PATH`].
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    collect().1
}

/// The OpenAPI document as committed in `openapi/openapi.json` (pretty JSON, final newline).
pub fn openapi_json() -> String {
    pretty_json(&openapi_document())
}

/// A document as pretty JSON with a final newline: the committed form, which is also served.
fn pretty_json(doc: &utoipa::openapi::OpenApi) -> String {
    let mut json = doc
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    json.push('\n');
    json
}

/// Builds the application: documented routes, the spec and Swagger UI (see [`http::docs`]), the
/// fallback (404/405), body limits, CORS (only when origins are configured), compression
/// (negotiated with `Accept-Encoding`), the rate limit (when configured), request ids, problems,
/// metrics and the access log (see [`http::middleware`]).
pub fn build_app(
    state: AppState,
    cors_origins: Vec<String>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let (app, doc) = collect();
    let table = RouteTable::from_openapi(&doc);
    let cors = cors_origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers([
            "authorization",
            "content-type",
            "if-match",
            "idempotency-key",
            "x-request-id",
        ])
        .expose_headers(["etag", "location", "link", "x-request-id", "retry-after"])
        .max_age(3600);
    let verifier = web::Data::from(state.verifier.clone());
    app.app_data(web::Data::new(state))
        .app_data(verifier)
        .app_data(web::Data::new(table))
        .app_data(http::extract::json_config())
        .app_data(http::extract::payload_config())
        .configure(http::docs::configure(pretty_json(&doc)))
        .default_service(web::to(http::fallback))
        .wrap(Condition::new(!cors_origins.is_empty(), cors))
        // Inside the request middleware, so that its 408 is completed like any problem.
        .wrap(from_fn(http::limits::body_deadline))
        // Inside the request middleware, so that its own refusal (406 when no offered coding is
        // acceptable) becomes a problem with a request id like any other error.
        .wrap(Compress::default())
        // Inside the request middleware, so that its 429 is completed like any problem, counted
        // and logged.
        .wrap(from_fn(http::rate_limit::rate_limit))
        .wrap(from_fn(http::middleware::request_context))
}

//! The documentation endpoints: the OpenAPI document and Swagger UI.
//!
//! Swagger UI's files are the ones `utoipa-swagger-ui` vendors (nothing is downloaded, at build
//! time or by the browser), served by these handlers rather than by `utoipa_swagger_ui::SwaggerUi`
//! so that:
//! - `HEAD` answers like `GET` on these paths (actix-http drops the body of a `HEAD` response and
//!   keeps its headers); the API and the probes keep refusing `HEAD` (405), as the spec says;
//! - the static assets carry `Cache-Control: public, max-age=86400`, while the page, its
//!   initializer (which holds the configuration) and the spec carry `no-cache`;
//! - the page is in French (`lang="fr"`) and titled `cnfs-api`;
//! - every URL given to the browser is relative (the spec URL in the initializer, the redirect to
//!   `/swagger-ui/`), so that the UI keeps working when a reverse proxy publishes the service
//!   under a sub-path (`/cnfs/…`); see `docs/OPERATIONS.md`.

use std::borrow::Cow;
use std::sync::Arc;

use actix_web::http::header::{self, ContentType};
use actix_web::web::{self, Bytes};
use actix_web::{HttpResponse, guard};
use utoipa_swagger_ui::Config;

use crate::OPENAPI_PATH;

/// Path of the Swagger UI page.
pub const SWAGGER_UI_PATH: &str = "/swagger-ui/";

/// Cache policy of what changes with a release and must be revalidated on every use.
pub const NO_CACHE: &str = "no-cache";

/// Cache policy of Swagger UI's static assets (scripts, styles, icons).
pub const STATIC_CACHE: &str = "public, max-age=86400";

/// The OpenAPI document as served: the exact bytes of the committed `openapi/openapi.json`.
struct SpecJson(Bytes);

/// What the Swagger UI handler serves from.
struct SwaggerUiFiles {
    /// Swagger UI's configuration, written into `swagger-initializer.js`.
    config: Arc<Config<'static>>,
    /// The page, made French and titled (see [`localized_index`]).
    index: Bytes,
}

/// The spec URL as the browser sees it: relative to the Swagger UI page, so that a path prefix
/// added by a reverse proxy is kept.
pub fn spec_url_from_ui() -> String {
    // The page is one level deep (`/swagger-ui/`): `..` leads back to the root of the service.
    format!("..{OPENAPI_PATH}")
}

/// Swagger UI's configuration: the relative spec URL, and no online validator (by default
/// Swagger UI sends the spec's URL to validator.swagger.io for a badge, except on localhost).
fn swagger_ui_config() -> Config<'static> {
    Config::new([spec_url_from_ui()]).validator_url("none")
}

/// Makes the vendored page French and titled after the service.
fn localized_index(html: &str) -> String {
    html.replacen("<html lang=\"en\">", "<html lang=\"fr\">", 1)
        .replacen("<title>Swagger UI</title>", "<title>cnfs-api</title>", 1)
}

/// Registers the spec at [`OPENAPI_PATH`] and Swagger UI under [`SWAGGER_UI_PATH`], for `GET` and
/// `HEAD` (other methods fall through to the fallback: 404), and the redirect from `/swagger-ui`
/// (any method, as `web::redirect` does). `spec_json` is the document as committed (see
/// [`crate::openapi_json`]).
pub fn configure(spec_json: String) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let config = Arc::new(swagger_ui_config());
        let page = utoipa_swagger_ui::serve("index.html", config.clone())
            .ok()
            .flatten()
            .expect("utoipa-swagger-ui vendors index.html");
        let index = localized_index(&String::from_utf8_lossy(&page.bytes));
        let files = SwaggerUiFiles {
            config,
            index: Bytes::from(index),
        };
        let get_or_head = || guard::Any(guard::Get()).or(guard::Head());
        cfg.service(
            web::resource(OPENAPI_PATH)
                .guard(get_or_head())
                .app_data(web::Data::new(SpecJson(Bytes::from(spec_json))))
                .to(spec),
        )
        .service(
            web::resource(format!("{SWAGGER_UI_PATH}{{file:.*}}"))
                .guard(get_or_head())
                .app_data(web::Data::new(files))
                .to(swagger_ui_file),
        )
        // Relative, like every URL here: `/cnfs/swagger-ui` leads to `/cnfs/swagger-ui/`.
        .service(web::redirect(
            SWAGGER_UI_PATH.trim_end_matches('/').to_owned(),
            SWAGGER_UI_PATH.trim_start_matches('/').to_owned(),
        ));
    }
}

async fn spec(spec: web::Data<SpecJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .insert_header((header::CACHE_CONTROL, NO_CACHE))
        .body(spec.0.clone())
}

/// The cache policy of a Swagger UI file.
fn cache_control(file: &str) -> &'static str {
    if file.ends_with(".html") || file == "swagger-initializer.js" {
        NO_CACHE
    } else {
        STATIC_CACHE
    }
}

async fn swagger_ui_file(
    file: web::Path<String>,
    files: web::Data<SwaggerUiFiles>,
) -> HttpResponse {
    let file = file.into_inner();
    let name = if file.is_empty() { "index.html" } else { &file };
    if name == "index.html" {
        return HttpResponse::Ok()
            .content_type(ContentType::html())
            .insert_header((header::CACHE_CONTROL, NO_CACHE))
            .body(files.index.clone());
    }
    match utoipa_swagger_ui::serve(name, files.config.clone()) {
        Ok(Some(found)) => {
            let mut response = HttpResponse::Ok();
            if found.gzpipped {
                response.insert_header((header::CONTENT_ENCODING, "gzip"));
            }
            let body = match found.bytes {
                Cow::Borrowed(bytes) => Bytes::from_static(bytes),
                Cow::Owned(bytes) => Bytes::from(bytes),
            };
            response
                .content_type(found.content_type)
                .insert_header((header::CACHE_CONTROL, cache_control(name)))
                .body(body)
        }
        // Turned into a 404 problem by the request middleware.
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(error) => {
            log::error!("Swagger UI : {name} : {error}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_policy_by_file() {
        assert_eq!(cache_control("swagger-ui-bundle.js"), STATIC_CACHE);
        assert_eq!(cache_control("swagger-ui.css"), STATIC_CACHE);
        assert_eq!(cache_control("favicon-32x32.png"), STATIC_CACHE);
        assert_eq!(cache_control("swagger-initializer.js"), NO_CACHE);
        assert_eq!(cache_control("oauth2-redirect.html"), NO_CACHE);
    }

    #[test]
    fn spec_url_is_relative_to_the_page() {
        assert_eq!(spec_url_from_ui(), "../api-docs/openapi.json");
    }
}

//! The metrics' series and their hooks. Series are recorded through the `metrics` facade: its
//! macros cost next to nothing while no recorder is installed (metrics are off by default), so
//! the hooks stay where things happen (the request middleware, `auth::extract`, `error.rs`).
//! [`install_recorder`] installs the Prometheus recorder once per process;
//! [`crate::http::metrics`] serves the text on its own listener (`CNFS_METRICS_BIND`).
//!
//! - Per request ([`record_request`], called by the request middleware): a count and a latency
//!   histogram labelled by method, route template (`/api/v1/conventions/{id}`, never the raw
//!   path: [`UNMATCHED_ROUTE`] when no route matches) and status class.
//! - Database: connections of the pool in use and idle (read at each scrape), errors by kind
//!   (counted where database errors become API errors, [`DB_ERRORS`]); requests in flight.
//! - Tokens refused, by the problem's `code` ([`TOKENS_REFUSED`]); requests refused by the rate
//!   limit ([`RATE_LIMITED`]).
//! - Business gauges (conventions by status, advisors by status, money engaged by nature): see
//!   [`crate::http::metrics`].

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::{Method, StatusCode};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests answered, by `method`, `route` and `status_class`.
pub const HTTP_REQUESTS: &str = "cnfs_http_requests_total";
/// Time to answer a request (until its response's head is ready), same labels.
pub const HTTP_DURATION: &str = "cnfs_http_request_duration_seconds";
/// Requests in flight on this instance.
pub const HTTP_IN_FLIGHT: &str = "cnfs_http_requests_in_flight";
/// Connections of the pool, by `state` (`in_use`, `idle`).
pub const DB_POOL_CONNECTIONS: &str = "cnfs_db_pool_connections";
/// The pool's largest number of connections (`CNFS_DB_POOL_SIZE`).
pub const DB_POOL_MAX: &str = "cnfs_db_pool_max_connections";
/// Database errors, by `kind` (see [`DbErrorKind`]).
pub const DB_ERRORS: &str = "cnfs_db_errors_total";
/// Tokens refused (401), by the problem's `code`.
pub const TOKENS_REFUSED: &str = "cnfs_auth_refused_total";
/// Requests refused by the rate limit (429).
pub const RATE_LIMITED: &str = "cnfs_rate_limited_total";
/// Conventions, by `statut`.
pub const CONVENTIONS: &str = "cnfs_conventions";
/// Advisors, by `statut` (`en_poste`: the active ones).
pub const CONSEILLERS: &str = "cnfs_conseillers";
/// Money engaged (cents), by envelope `nature`.
pub const MONEY_ENGAGED: &str = "cnfs_financement_engage_centimes";
/// When the business gauges were last read (seconds since the Unix epoch).
pub const BUSINESS_READ_AT: &str = "cnfs_metier_lu_timestamp_seconds";

/// The route label of a request that matched no route: never its path (one series per path
/// tried would let any client grow the metrics without bound).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Bounds of the latency histogram, in seconds: from a cached read (under a millisecond) to a
/// national export (seconds).
const DURATION_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The kinds of database errors counted in [`DB_ERRORS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    /// No connection came from the pool within its timeout (database down, pool exhausted).
    NoConnection,
    /// The connection was lost or the database unreachable during a statement.
    Unreachable,
    /// A statement ran for the whole statement timeout (PostgreSQL cancelled it).
    StatementTimeout,
    /// A transient write conflict (serialization failure, deadlock, SQLite's lock).
    TransientConflict,
    /// A constraint of the schema refused a write (unique, foreign key, check, not null).
    Constraint,
    /// Anything else (a 500).
    Other,
}

impl DbErrorKind {
    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            DbErrorKind::NoConnection => "connexion_indisponible",
            DbErrorKind::Unreachable => "injoignable",
            DbErrorKind::StatementTimeout => "delai_instruction",
            DbErrorKind::TransientConflict => "conflit_transitoire",
            DbErrorKind::Constraint => "contrainte",
            DbErrorKind::Other => "autre",
        }
    }
}

/// Counts one database error of `kind`.
pub fn count_db_error(kind: DbErrorKind) {
    metrics::counter!(DB_ERRORS, "kind" => kind.label()).increment(1);
}

/// Counts one token refused with `code`.
pub fn count_token_refused(code: &'static str) {
    metrics::counter!(TOKENS_REFUSED, "code" => code).increment(1);
}

/// The route template a request matched (`/api/v1/conventions/{id}`), or [`UNMATCHED_ROUTE`].
pub fn route_label(req: &HttpRequest) -> String {
    req.match_pattern()
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_owned())
}

/// The method as a label: the methods HTTP defines, any other as `other` (a client may send any
/// token as a method).
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// The status class as a label: `2xx`, `4xx`…
pub fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Whether [`install_recorder`] has installed the recorder: until then the request middleware
/// skips building the labels of series nobody records.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Whether metrics are recorded in this process.
pub fn enabled() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// Records one answered request.
pub fn record_request(method: &'static str, route: String, status: StatusCode, took: Duration) {
    if !enabled() {
        return;
    }
    let class = status_class(status);
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status_class", class.to_owned()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(took.as_secs_f64());
}

/// Installs the Prometheus recorder for this process (once: later calls return the same handle).
pub fn install_recorder() -> Result<PrometheusHandle, String> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            describe();
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), &DURATION_BUCKETS)
                .map_err(|error| error.to_string())?
                .install_recorder()
                .map_err(|error| error.to_string())
                .inspect(|_| INSTALLED.store(true, Ordering::Relaxed))
        })
        .clone()
}

/// The `# HELP` lines.
fn describe() {
    metrics::describe_counter!(
        HTTP_REQUESTS,
        "Requêtes répondues (méthode, route, classe de statut)."
    );
    metrics::describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "Durée jusqu'à l'en-tête de la réponse (méthode, route, classe de statut)."
    );
    metrics::describe_counter!(DB_ERRORS, "Erreurs de base de données, par nature.");
    metrics::describe_counter!(TOKENS_REFUSED, "Requêtes refusées en 401, par code.");
    metrics::describe_counter!(RATE_LIMITED, "Requêtes refusées en 429 (CNFS_RATE_LIMIT).");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
        assert_eq!(status_class(StatusCode::NO_CONTENT), "2xx");
        assert_eq!(status_class(StatusCode::NOT_MODIFIED), "3xx");
        assert_eq!(status_class(StatusCode::TOO_MANY_REQUESTS), "4xx");
        assert_eq!(status_class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
    }
}

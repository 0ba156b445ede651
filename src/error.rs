//! One error type for the whole API, rendered as RFC 9457 `application/problem+json`.
//!
//! Handlers and extractors return [`ApiError`]; its response carries the [`Problem`] in the response
//! extensions too, so that the request middleware (`http::middleware`) can add what only the request
//! knows (`instance`, `request_id`) and log server errors with the request id. Messages are French;
//! `code` is the stable, machine-readable part.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::policy::Denied;
pub use crate::domain::refusal::FieldError;
use crate::domain::refusal::{
    CARACTERE_INTERDIT, CONTRAINTE_NON_RESPECTEE, DEJA_EXISTANT, INTERDIT, REFERENCE_INVALIDE,
    Refusal, RefusalCode,
};
use crate::metrics::{DbErrorKind, count_db_error};

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Une erreur, telle que toute opération la répond (RFC 9457, `application/problem+json`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:cnfs-api:probleme:parametre_invalide",
    "title": "Paramètre invalide",
    "status": 400,
    "detail": "Paramètre de requête invalide : limit.",
    "code": "parametre_invalide",
    "request_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90",
    "errors": [{"parameter": "limit", "detail": "doit être un entier entre 1 et 200"}]
}))]
pub struct Problem {
    /// URI du type de problème : `urn:cnfs-api:probleme:` suivi de `code`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Résumé court du type de problème.
    pub title: String,
    /// Le code de statut HTTP.
    pub status: u16,
    /// Ce qui s'est passé dans ce cas précis.
    pub detail: String,
    /// Le chemin de la requête à laquelle ce problème répond.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Code stable, lisible par une machine (snake_case) : c'est sur lui qu'il faut se fonder,
    /// pas sur le texte.
    pub code: String,
    /// L'identifiant de la requête (aussi dans l'en-tête `X-Request-Id` et les journaux du serveur).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Pour une entrée invalide : une entrée par paramètre ou champ fautif.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Members particular to one code (e.g. `statut_actuel` of a `transition_invalide`).
    #[serde(flatten)]
    #[schema(ignore)]
    pub members: serde_json::Map<String, serde_json::Value>,
}

/// The server-side detail of a 500, kept in the response extensions for the log, never sent.
#[derive(Debug, Clone)]
pub struct InternalDetail(pub String);

/// Every error the API answers.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is not authenticated (no token, or a token refused for the stated reason).
    #[error("{0}")]
    Unauthorized(crate::auth::AuthError),
    /// No such resource (or outside the caller's scope).
    #[error("{0}")]
    NotFound(String),
    /// No route at this path.
    #[error("Aucune route ne correspond à {0}.")]
    UnknownRoute(String),
    /// The route exists with other methods.
    #[error("Méthode {method} non autorisée ; méthodes acceptées : {}.", allow.join(", "))]
    MethodNotAllowed {
        /// The method of the request.
        method: String,
        /// The methods the route accepts, for the `Allow` header.
        allow: Vec<String>,
    },
    /// Query or path parameters that cannot be used.
    #[error("{}", parameters_detail(.0))]
    InvalidParameters(Vec<FieldError>),
    /// Query or path parameters, or headers, holding a character the API refuses (a control
    /// character): 400 `caractere_interdit`, naming each.
    #[error("{}", forbidden_detail(.0))]
    ForbiddenCharacters(Vec<FieldError>),
    /// A token sent in the query string (`access_token`, RFC 6750 §2.3): refused, whatever the
    /// operation, since URLs end up in logs, histories and `Referer` headers.
    #[error(
        "Jeton dans l'URL (paramètre {0}) : l'envoyer dans l'en-tête Authorization: Bearer <jeton>, jamais dans l'URL."
    )]
    TokenInUrl(String),
    /// A body that is not the expected JSON (syntax, types, unknown fields).
    #[error("{detail}")]
    MalformedBody {
        /// What is wrong.
        detail: String,
        /// Where, when known.
        errors: Vec<FieldError>,
    },
    /// A refusal of the domain or of the database's constraints (403, 409, 412, 422, 428), with
    /// its own code.
    #[error("{}", .0.detail)]
    Refused(Refusal),
    /// A write that broke a constraint of the database (409 unique key, 422 foreign key or
    /// `CHECK`): the refusal it maps to, and what was violated for [`ApiError::refine`].
    #[error("{}", .1.detail)]
    Constraint(Box<Violation>, Refusal),
    /// A body in another media type than JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A body over the size limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The database (or another dependency) cannot answer now.
    #[error("{0}")]
    Unavailable(String),
    /// The caller sent more requests than the rate limit allows (`CNFS_RATE_LIMIT`).
    #[error("Trop de requêtes : au plus {per_minute} par minute ; réessayer dans {retry_after} s.")]
    TooManyRequests {
        /// The configured limit.
        per_minute: u32,
        /// Seconds until the next request is allowed (`Retry-After`).
        retry_after: u64,
    },
    /// A bug or an unexpected failure: the detail is logged, not sent.
    #[error("erreur interne : {0}")]
    Internal(String),
    /// Any other status actix produced on its own, turned into a problem.
    #[error("{detail}")]
    Other {
        /// The status to answer.
        status: StatusCode,
        /// What happened.
        detail: String,
    },
}

fn parameters_detail(errors: &[FieldError]) -> String {
    let names: Vec<&str> = errors
        .iter()
        .filter_map(|e| e.parameter.as_deref())
        .collect();
    format!("Paramètre de requête invalide : {}.", names.join(", "))
}

fn forbidden_detail(errors: &[FieldError]) -> String {
    let names: Vec<&str> = errors
        .iter()
        .filter_map(|e| e.parameter.as_deref())
        .collect();
    format!(
        "Caractère interdit (caractère de contrôle) dans : {}.",
        names.join(", ")
    )
}

impl ApiError {
    /// An internal error from anything displayable; the text goes to the log only.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        ApiError::Internal(error.to_string())
    }

    /// One invalid parameter.
    pub fn invalid_parameter(name: &str, detail: impl Into<String>) -> Self {
        ApiError::InvalidParameters(vec![FieldError::parameter(name, detail)])
    }

    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        self.code_and_title().0
    }

    /// The short title of this kind of error.
    fn title(&self) -> &'static str {
        self.code_and_title().1
    }

    /// The stable code and the short title of this kind of error, side by side so that a new
    /// kind gets both at once.
    fn code_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Unauthorized(error) => (error.code(), "Authentification requise"),
            ApiError::NotFound(_) => ("ressource_introuvable", "Ressource introuvable"),
            ApiError::UnknownRoute(_) => ("route_inconnue", "Route inconnue"),
            ApiError::MethodNotAllowed { .. } => ("methode_non_autorisee", "Méthode non autorisée"),
            ApiError::InvalidParameters(_) => ("parametre_invalide", "Paramètre invalide"),
            ApiError::ForbiddenCharacters(_) => (CARACTERE_INTERDIT.code, CARACTERE_INTERDIT.title),
            ApiError::TokenInUrl(_) => ("jeton_dans_url", "Jeton dans l'URL"),
            ApiError::MalformedBody { .. } => ("corps_invalide", "Corps de requête invalide"),
            ApiError::Refused(refusal) | ApiError::Constraint(_, refusal) => {
                (refusal.code.code, refusal.code.title)
            }
            ApiError::UnsupportedMediaType(_) => (
                "type_de_contenu_non_supporte",
                "Type de contenu non pris en charge",
            ),
            ApiError::PayloadTooLarge(_) => {
                ("corps_trop_volumineux", "Corps de requête trop volumineux")
            }
            ApiError::Unavailable(_) => ("service_indisponible", "Service indisponible"),
            ApiError::TooManyRequests { .. } => ("trop_de_requetes", "Trop de requêtes"),
            ApiError::Internal(_) => ("erreur_interne", "Erreur interne"),
            ApiError::Other { status, .. } => (
                generic_code(*status),
                status.canonical_reason().unwrap_or("Erreur"),
            ),
        }
    }

    /// The problem body (without `instance` and `request_id`, added by the middleware).
    pub fn problem(&self) -> Problem {
        let detail = match self {
            ApiError::Internal(_) => {
                "Une erreur interne est survenue ; elle a été journalisée avec l'identifiant de la requête."
                    .to_owned()
            }
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::InvalidParameters(errors)
            | ApiError::ForbiddenCharacters(errors)
            | ApiError::MalformedBody { errors, .. } => errors.clone(),
            ApiError::TokenInUrl(name) => vec![FieldError::parameter(
                name.clone(),
                "un jeton ne se passe pas dans l'URL",
            )],
            ApiError::Refused(refusal) | ApiError::Constraint(_, refusal) => refusal.errors.clone(),
            _ => Vec::new(),
        };
        let members = match self {
            ApiError::Refused(refusal) | ApiError::Constraint(_, refusal) => {
                refusal.members.clone()
            }
            _ => serde_json::Map::new(),
        };
        let code = self.code();
        Problem {
            type_: format!("urn:cnfs-api:probleme:{code}"),
            title: self.title().to_owned(),
            status: self.status_code().as_u16(),
            detail,
            instance: None,
            code: code.to_owned(),
            request_id: None,
            errors,
            members,
        }
    }
}

/// The code of a status that has no specific variant.
fn generic_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "requete_invalide",
        401 => "non_authentifie",
        403 => "interdit",
        404 => "ressource_introuvable",
        406 => "non_acceptable",
        408 => "delai_depasse",
        409 => "conflit",
        411 => "longueur_requise",
        413 => "corps_trop_volumineux",
        414 => "uri_trop_longue",
        415 => "type_de_contenu_non_supporte",
        431 => "en_tetes_trop_volumineux",
        500..=599 => "erreur_serveur",
        _ => "erreur",
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) | ApiError::UnknownRoute(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::InvalidParameters(_)
            | ApiError::ForbiddenCharacters(_)
            | ApiError::TokenInUrl(_)
            | ApiError::MalformedBody { .. } => StatusCode::BAD_REQUEST,
            ApiError::Refused(refusal) | ApiError::Constraint(_, refusal) => {
                StatusCode::from_u16(refusal.kind().status())
                    .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
            }
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Other { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.problem();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            ApiError::MethodNotAllowed { allow, .. } => {
                response.insert_header((header::ALLOW, allow.join(", ")));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::TooManyRequests { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            // RFC 6750 §3: a bare challenge when no token was sent, `invalid_token` otherwise.
            ApiError::Unauthorized(error) => {
                let challenge = if error.token_sent() {
                    "Bearer error=\"invalid_token\""
                } else {
                    "Bearer"
                };
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            _ => {}
        }
        let mut response = response.body(serde_json::to_string(&problem).unwrap_or_default());
        if let ApiError::Internal(detail) = self {
            response
                .extensions_mut()
                .insert(InternalDetail(detail.clone()));
        }
        response.extensions_mut().insert(problem);
        response
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        ApiError::Refused(refusal)
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Unauthenticated => ApiError::Unauthorized(crate::auth::AuthError::Missing),
            Denied::OutOfScope => ApiError::NotFound("Ressource introuvable.".to_owned()),
            Denied::Forbidden(role) => ApiError::Refused(Refusal::new(
                &INTERDIT,
                format!("Le rôle {role} ne permet pas cette action."),
            )),
        }
    }
}

/// Which constraint of the database a write broke, as far as the backend tells: PostgreSQL gives
/// the constraint's name and the key's columns; SQLite gives `table.column` in its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The refusal the violation maps to by default.
    pub code: &'static RefusalCode,
    /// The table, when known.
    pub table: Option<String>,
    /// The columns involved, when known (unique keys on both backends).
    pub columns: Vec<String>,
    /// The constraint's name (PostgreSQL).
    pub constraint: Option<String>,
}

/// The columns a unique violation names: `Key (a, b)=(…) already exists.` on PostgreSQL,
/// `UNIQUE constraint failed: t.a, t.b` on SQLite.
fn violated_columns(message: &str, details: Option<&str>) -> (Option<String>, Vec<String>) {
    if let Some(list) = message
        .strip_prefix("UNIQUE constraint failed: ")
        .or_else(|| message.strip_prefix("NOT NULL constraint failed: "))
    {
        let mut table = None;
        let columns = list
            .split(", ")
            .map(|qualified| match qualified.split_once('.') {
                Some((t, column)) => {
                    table = Some(t.to_owned());
                    column.to_owned()
                }
                None => qualified.to_owned(),
            })
            .collect();
        return (table, columns);
    }
    let columns = details
        .and_then(|d| d.strip_prefix("Key ("))
        .and_then(|d| d.split_once(")="))
        .map(|(list, _)| list.split(", ").map(str::to_owned).collect())
        .unwrap_or_default();
    (None, columns)
}

/// Whether a database error says "try again": a PostgreSQL serialization failure or deadlock, or
/// SQLite busy (another writer held the database past the busy timeout).
fn is_transient(kind: &diesel::result::DatabaseErrorKind, message: &str) -> bool {
    use diesel::result::DatabaseErrorKind as K;
    matches!(kind, K::SerializationFailure)
        || (matches!(kind, K::Unknown)
            && (message.contains("deadlock detected")
                || message.contains("database is locked")
                || message.contains("database table is locked")))
}

impl ApiError {
    /// For a constraint violation, a more precise refusal chosen from what was violated (e.g. a
    /// unique key on `siret` → 409 `siret_deja_enregistre`); other errors pass unchanged.
    pub fn refine(self, choose: impl FnOnce(&Violation) -> Option<Refusal>) -> ApiError {
        match self {
            ApiError::Constraint(violation, refusal) => match choose(&violation) {
                Some(precise) => ApiError::Refused(precise),
                None => ApiError::Constraint(violation, refusal),
            },
            other => other,
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error};
        match error {
            Error::NotFound => ApiError::NotFound("Ressource introuvable.".to_owned()),
            Error::DatabaseError(K::ClosedConnection | K::UnableToSendCommand, info) => {
                count_db_error(DbErrorKind::Unreachable);
                log::warn!("base de données injoignable : {}", info.message());
                ApiError::Unavailable(
                    "La base de données ne répond pas ; réessayer dans quelques secondes."
                        .to_owned(),
                )
            }
            Error::DatabaseError(kind, info) if is_transient(&kind, info.message()) => {
                count_db_error(DbErrorKind::TransientConflict);
                log::warn!("conflit d'écriture transitoire : {}", info.message());
                ApiError::Unavailable(
                    "Écritures concurrentes : la requête n'a pas été appliquée ; la réessayer."
                        .to_owned(),
                )
            }
            Error::DatabaseError(
                kind @ (K::UniqueViolation
                | K::ForeignKeyViolation
                | K::CheckViolation
                | K::NotNullViolation),
                info,
            ) => {
                count_db_error(DbErrorKind::Constraint);
                let (code, detail): (&'static RefusalCode, &str) = match kind {
                    K::UniqueViolation => {
                        (&DEJA_EXISTANT, "Un objet avec la même clé existe déjà.")
                    }
                    K::ForeignKeyViolation => (
                        &REFERENCE_INVALIDE,
                        "La requête désigne un objet qui n'existe pas.",
                    ),
                    _ => (
                        &CONTRAINTE_NON_RESPECTEE,
                        "Une valeur enfreint une contrainte des données.",
                    ),
                };
                let (table, columns) = violated_columns(info.message(), info.details());
                let violation = Violation {
                    code,
                    table: table.or_else(|| info.table_name().map(str::to_owned)),
                    columns,
                    constraint: info.constraint_name().map(str::to_owned),
                };
                log::info!("contrainte enfreinte : {} ({violation:?})", info.message());
                let mut refusal = Refusal::new(code, detail);
                if !violation.columns.is_empty() {
                    refusal = refusal.with_member("champs", violation.columns.clone());
                }
                ApiError::Constraint(Box::new(violation), refusal)
            }
            other => {
                // PostgreSQL's words when it cancels a statement for `statement_timeout` (or an
                // idle transaction for its own timeout).
                let text = other.to_string();
                count_db_error(if text.contains("timeout") {
                    DbErrorKind::StatementTimeout
                } else {
                    DbErrorKind::Other
                });
                ApiError::internal(format!("base de données : {text}"))
            }
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        count_db_error(DbErrorKind::NoConnection);
        log::warn!("aucune connexion disponible : {error}");
        ApiError::Unavailable(
            "Aucune connexion à la base de données n'est disponible ; réessayer dans quelques secondes."
                .to_owned(),
        )
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::internal(format!("tâche bloquante interrompue : {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_show_their_cause() {
        let error = ApiError::internal("duplicate key value violates constraint secret_table");
        let problem = error.problem();
        assert_eq!(problem.status, 500);
        assert_eq!(problem.code, "erreur_interne");
        assert!(!problem.detail.contains("secret_table"));
        let response = error.error_response();
        assert!(response.extensions().get::<InternalDetail>().is_some());
    }

    #[test]
    fn database_errors_are_mapped() {
        use diesel::result::Error;
        assert_eq!(
            ApiError::from(Error::NotFound).status_code(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ApiError::from(Error::RollbackTransaction).status_code(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn method_not_allowed_carries_allow() {
        let response = ApiError::MethodNotAllowed {
            method: "DELETE".into(),
            allow: vec!["GET".into()],
        }
        .error_response();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers().get(header::ALLOW).unwrap(), "GET");
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            PROBLEM_JSON
        );
    }
}

//! Shared extractors: strict query strings ([`StrictQuery`], [`Paged`]), typed path segments
//! ([`PathParam`]), conditional updates ([`IfMatch`]), JSON body limits, and the list response
//! ([`page_response`], [`read_page`]). Every refusal is a problem naming the parameter, segment
//! or header.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use utoipa::openapi::path::ParameterIn;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::api::paging::{Cursor, Paging};
use crate::db::DbConn;
use crate::domain::TextValue;
use crate::domain::paging::{Page, Position};
use crate::domain::refusal::{
    PRECONDITION_ECHOUEE, PRECONDITION_REQUISE, Refusal, forbidden_character,
    forbidden_character_detail,
};
use crate::error::{ApiError, FieldError};
use crate::http::AppState;

/// Size limit of a JSON body (64 KiB); larger bodies answer 413.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

/// A query string parsed strictly into `T`:
/// - a parameter `T` does not document is refused (the documented set comes from its `IntoParams`,
///   so what is accepted is exactly what the spec lists);
/// - a parameter given twice is refused;
/// - an ill-typed value is refused, naming the parameter (typed codes refuse a bad form);
/// - then `T`'s `Validate` rules run (ranges, lengths).
#[derive(Debug)]
pub struct StrictQuery<T>(pub T);

/// The `FromRequest` of an extractor of the query string: `parse` of the request's query string,
/// whose documented parameters come from `P`'s `IntoParams`.
macro_rules! query_extractor {
    ($extractor:ident<$parameters:ident>, $parse:expr) => {
        impl<$parameters> FromRequest for $extractor<$parameters>
        where
            $parameters: DeserializeOwned + IntoParams + Validate,
        {
            type Error = ApiError;
            type Future = Ready<Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready($parse(req.query_string()))
            }
        }
    };
}

query_extractor!(StrictQuery<T>, |query| parse_query::<T>(query)
    .map(StrictQuery));

/// A list's query: its filters `F` and the shared [`Paging`] (`limit`, `cursor`), parsed strictly
/// from one query string (the accepted names are those of both). Document it with
/// `params(F, Paging)`.
#[derive(Debug)]
pub struct Paged<F> {
    /// The list's own filters.
    pub filter: F,
    /// `limit` and `cursor`.
    pub paging: Paging,
}

query_extractor!(Paged<F>, parse_paged::<F>);

/// The names of the query parameters `T` documents.
fn documented_names<T: IntoParams>() -> Vec<String> {
    T::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|parameter| parameter.name)
        .collect()
}

type Pairs = Vec<(String, String)>;

/// The error of a parameter, path segment or header named `name` whose text holds a forbidden
/// character (a control character; see `domain::refusal::forbidden_character`), if it does.
pub fn forbidden_in(name: &str, text: &str) -> Option<FieldError> {
    forbidden_character(text, false)
        .map(|c| FieldError::parameter(name, forbidden_character_detail(c)))
}

/// The 400 `caractere_interdit` of one parameter, segment or header, if its text holds a
/// forbidden character.
pub fn check_text(name: &str, text: &str) -> Result<(), ApiError> {
    match forbidden_in(name, text) {
        Some(error) => Err(ApiError::ForbiddenCharacters(vec![error])),
        None => Ok(()),
    }
}

/// The request headers the API reads as text, each with whether TAB may appear in it (HTTP
/// whitespace between the entity-tags of `If-Match` and `If-None-Match`; never in a bearer token
/// or an idempotency key). A control character in one of them is a 400 `caractere_interdit`
/// naming it ([`check_headers`]); HTTP parsing already refuses the others in any header.
/// (`X-Request-Id` is not one: an id that is not a short printable token is replaced by a
/// generated one.)
pub const TEXT_HEADERS: &[(&str, bool)] = &[
    ("Authorization", false),
    ("Idempotency-Key", false),
    ("If-Match", true),
    ("If-None-Match", true),
];

/// Refuses a request whose [`TEXT_HEADERS`] hold a control character (400 `caractere_interdit`,
/// naming each such header). The request middleware calls it before routing, so that every
/// operation, and every extractor (`Option<IfMatch>` included), sees only clean headers.
pub fn check_headers(headers: &actix_web::http::header::HeaderMap) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (name, tab_allowed) in TEXT_HEADERS {
        for value in headers.get_all(*name) {
            let forbidden = value
                .as_bytes()
                .iter()
                .find(|&&b| b.is_ascii_control() && !(*tab_allowed && b == b'\t'));
            if let Some(&byte) = forbidden {
                errors.push(FieldError::parameter(
                    *name,
                    forbidden_character_detail(char::from(byte)),
                ));
                break;
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::ForbiddenCharacters(errors))
    }
}

/// Splits a query string into pairs, refusing forbidden characters (400 `caractere_interdit`),
/// then unknown and repeated names.
fn checked_pairs(query: &str, documented: &[String]) -> Result<Pairs, ApiError> {
    let pairs: Pairs = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let forbidden: Vec<FieldError> = pairs
        .iter()
        .filter_map(|(name, value)| forbidden_in(name, name).or_else(|| forbidden_in(name, value)))
        .collect();
    if !forbidden.is_empty() {
        return Err(ApiError::ForbiddenCharacters(forbidden));
    }
    let mut errors = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in &pairs {
        if !documented.iter().any(|known| known == name) {
            errors.push(FieldError::parameter(
                name.clone(),
                format!(
                    "paramètre inconnu ; paramètres acceptés : {}",
                    if documented.is_empty() {
                        "aucun".to_owned()
                    } else {
                        documented.join(", ")
                    }
                ),
            ));
        } else if seen.contains(&name.as_str()) {
            errors.push(FieldError::parameter(name.clone(), "donné plusieurs fois"));
        } else {
            seen.push(name);
        }
    }
    if errors.is_empty() {
        Ok(pairs)
    } else {
        Err(ApiError::InvalidParameters(errors))
    }
}

/// Deserializes and validates `T` from pairs already checked.
fn from_pairs<T: DeserializeOwned + Validate>(pairs: &[(String, String)]) -> Result<T, ApiError> {
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
    let value: T = serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let name = error.path().to_string();
        ApiError::invalid_parameter(&name, format!("valeur invalide : {}", error.inner()))
    })?;
    value
        .validate()
        .map_err(|errors| ApiError::InvalidParameters(parameter_errors(&errors)))?;
    Ok(value)
}

/// Parses a raw query string into `T` (see [`StrictQuery`]).
pub fn parse_query<T>(query: &str) -> Result<T, ApiError>
where
    T: DeserializeOwned + IntoParams + Validate,
{
    let pairs = checked_pairs(query, &documented_names::<T>())?;
    from_pairs(&pairs)
}

/// Parses a raw query string into a list's filters and paging (see [`Paged`]).
pub fn parse_paged<F>(query: &str) -> Result<Paged<F>, ApiError>
where
    F: DeserializeOwned + IntoParams + Validate,
{
    let paging_names = documented_names::<Paging>();
    let mut documented = documented_names::<F>();
    documented.extend(paging_names.iter().cloned());
    let pairs = checked_pairs(query, &documented)?;
    let (paging_pairs, filter_pairs): (Pairs, Pairs) = pairs
        .into_iter()
        .partition(|(name, _)| paging_names.contains(name));
    // Both parts are checked, so that one request lists every faulty parameter.
    let filter = from_pairs::<F>(&filter_pairs);
    let paging = from_pairs::<Paging>(&paging_pairs);
    match (filter, paging) {
        (Ok(filter), Ok(paging)) => Ok(Paged { filter, paging }),
        (Err(ApiError::InvalidParameters(mut a)), Err(ApiError::InvalidParameters(b))) => {
            a.extend(b);
            Err(ApiError::InvalidParameters(a))
        }
        (Err(error), _) | (_, Err(error)) => Err(error),
    }
}

/// What a failed `validator` rule says: its message, or its code.
pub fn rule_message(error: &validator::ValidationError) -> String {
    error
        .message
        .as_ref()
        .map(|m| m.to_string())
        .unwrap_or_else(|| format!("règle « {} » non respectée", error.code))
}

/// Turns `validator` errors into one [`FieldError`] per parameter, using the rule's message.
pub fn parameter_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    for (field, kind) in errors.errors() {
        if let ValidationErrorsKind::Field(list) = kind {
            for error in list {
                out.push(FieldError::parameter(
                    field.to_string(),
                    rule_message(error),
                ));
            }
        }
    }
    out.sort_by(|a, b| a.parameter.cmp(&b.parameter));
    out
}

/// The one path segment of a route (`/departements/{code}`), typed: a value that does not have
/// the type's form is a 400 naming the segment, before any lookup. Document the segment with
/// a `path_param!` type (`crate::api::DepartementPath`).
#[derive(Debug)]
pub struct PathParam<T>(pub T);

impl<T: TextValue> PathParam<T> {
    /// The value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: TextValue> FromRequest for PathParam<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut segments = req.match_info().iter();
        let result = match (segments.next(), segments.next()) {
            (Some((name, value)), None) => check_text(name, value).and_then(|()| {
                T::parse_text(value)
                    .map(PathParam)
                    .map_err(|error| ApiError::invalid_parameter(name, error.expected))
            }),
            _ => Err(ApiError::internal(
                "PathParam sur une route qui n'a pas exactement un segment variable",
            )),
        };
        ready(result)
    }
}

/// The two path segments of a nested route (`/conventions/{id}/avenants/{avenant_id}`), typed
/// like [`PathParam`]: each malformed one is a 400 naming it.
#[derive(Debug)]
pub struct PathParams<A, B>(pub A, pub B);

impl<A: TextValue, B: TextValue> FromRequest for PathParams<A, B> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let segments: Vec<(&str, &str)> = req.match_info().iter().collect();
        let forbidden: Vec<FieldError> = segments
            .iter()
            .filter_map(|(name, value)| forbidden_in(name, value))
            .collect();
        if !forbidden.is_empty() {
            return ready(Err(ApiError::ForbiddenCharacters(forbidden)));
        }
        let result = match segments.as_slice() {
            [(first_name, first), (second_name, second)] => {
                let a = A::parse_text(first)
                    .map_err(|error| FieldError::parameter(*first_name, error.expected));
                let b = B::parse_text(second)
                    .map_err(|error| FieldError::parameter(*second_name, error.expected));
                match (a, b) {
                    (Ok(a), Ok(b)) => Ok(PathParams(a, b)),
                    (a, b) => Err(ApiError::InvalidParameters(
                        [a.err(), b.err()].into_iter().flatten().collect(),
                    )),
                }
            }
            _ => Err(ApiError::internal(
                "PathParams sur une route qui n'a pas exactement deux segments variables",
            )),
        };
        ready(result)
    }
}

/// The `ETag` of a stored object: its row version, quoted (`"3"`). It never comes from the body,
/// which holds derived, time-dependent fields.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A `200` with the object's `ETag` (its row version) and its JSON view.
pub fn ok_with_etag<T: serde::Serialize>(version: i64, view: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, etag(version)))
        .json(view)
}

/// The `If-Match` header of a conditional change: missing → 428 `precondition_requise`; then
/// [`IfMatch::check`] against the current version → 412 `precondition_echouee` when stale.
#[derive(Debug, Clone)]
pub struct IfMatch(pub String);

impl IfMatch {
    /// Whether the request's `If-Match` names the current version (`*` matches any).
    pub fn check(&self, current_version: i64) -> Result<(), ApiError> {
        let current = etag(current_version);
        let matches = self.0.trim() == "*"
            || self
                .0
                .split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == current);
        if matches {
            Ok(())
        } else {
            Err(Refusal::new(
                &PRECONDITION_ECHOUEE,
                format!(
                    "L'objet a changé depuis sa lecture (ETag actuel {current}) : le relire puis réessayer."
                ),
            )
            .into())
        }
    }
}

impl IfMatch {
    /// The `If-Match` of a change that requires one (take it as `Option<IfMatch>`, so that the
    /// access checks come first): 428 `precondition_requise` when absent.
    pub fn required(header: Option<IfMatch>) -> Result<IfMatch, ApiError> {
        header.ok_or_else(|| {
            Refusal::new(
                &PRECONDITION_REQUISE,
                "En-tête If-Match obligatoire : y mettre l'ETag de la dernière lecture.",
            )
            .into()
        })
    }

    /// Checks an optional `If-Match` (lifecycle actions): absent, nothing is checked.
    pub fn check_if_present(
        header: &Option<IfMatch>,
        current_version: i64,
    ) -> Result<(), ApiError> {
        match header {
            Some(if_match) => if_match.check(current_version),
            None => Ok(()),
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req
            .headers()
            .get(actix_web::http::header::IF_MATCH)
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.trim().is_empty());
        ready(match value {
            Some(value) => Ok(IfMatch(value.to_owned())),
            None => Err(Refusal::new(
                &PRECONDITION_REQUISE,
                "En-tête If-Match obligatoire : y mettre l'ETag de la dernière lecture.",
            )
            .into()),
        })
    }
}

/// A `200` list response: the page body, and a `Link: <…>; rel="next"` header when there is a next
/// page (the same request, its `cursor` replaced).
pub fn page_response<T, D: serde::Serialize>(
    req: &HttpRequest,
    page: Page<T>,
    body: impl FnOnce(Vec<T>, Option<String>) -> D,
) -> HttpResponse {
    match page_body(page, body) {
        Ok(page) => page_reply(req, page.json, page.next_cursor.as_deref()),
        Err(error) => actix_web::ResponseError::error_response(&error),
    }
}

/// Reads a page of a list on the blocking pool and answers it ([`page_response`]): `list` reads
/// the rows after the cursor's position, as many as `paging` asks for; `body` makes the page's
/// DTO of its items and next cursor (`XPage::of`, see `page_dto!`).
pub async fn read_page<T, E, D>(
    req: &HttpRequest,
    state: &AppState,
    paging: &Paging,
    list: impl FnOnce(&mut DbConn, Option<&Position>, usize) -> Result<Page<T>, E> + Send + 'static,
    body: impl FnOnce(Vec<T>, Option<String>) -> D,
) -> Result<HttpResponse, ApiError>
where
    T: Send + 'static,
    ApiError: From<E>,
    D: serde::Serialize,
{
    let (after, limit) = (paging.after(), paging.limit());
    let page = state
        .read(move |conn| Ok(list(conn, after.as_ref(), limit)?))
        .await?;
    Ok(page_response(req, page, body))
}

/// A page of a list as answered: its JSON body and the cursor of the next page.
#[derive(Debug, Clone)]
pub struct PageBody {
    /// The body.
    pub json: web::Bytes,
    /// The next page's cursor, if there is one (for the `Link` header).
    pub next_cursor: Option<String>,
}

/// Serializes a page with `body` (given the items and the next cursor).
pub fn page_body<T, D: serde::Serialize>(
    page: Page<T>,
    body: impl FnOnce(Vec<T>, Option<String>) -> D,
) -> Result<PageBody, ApiError> {
    let next_cursor = page
        .next
        .as_ref()
        .map(|position| Cursor::encode(position).to_string());
    // Serialized into a buffer sized for the page up front: a page of 50 conventions is about
    // 40 KB, and growing a string from empty copies it several times over.
    let mut buffer = Vec::with_capacity(256 + page.items.len() * 1024);
    serde_json::to_writer(&mut buffer, &body(page.items, next_cursor.clone()))
        .map_err(ApiError::internal)?;
    Ok(PageBody {
        json: buffer.into(),
        next_cursor,
    })
}

/// The `200` response of a serialized page, with its `Link` header when there is a next page.
pub fn page_reply(req: &HttpRequest, json: web::Bytes, next_cursor: Option<&str>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = next_cursor {
        let mut pairs: Vec<(String, String)> =
            form_urlencoded::parse(req.query_string().as_bytes())
                .into_owned()
                .collect();
        pairs.retain(|(name, _)| name != "cursor");
        pairs.push(("cursor".to_owned(), cursor.to_owned()));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        response.insert_header((
            actix_web::http::header::LINK,
            format!("<{}?{query}>; rel=\"next\"", req.path()),
        ));
    }
    response.content_type("application/json").body(json)
}

/// The JSON body configuration: 64 KiB, and every failure as a problem (400 malformed, 413 too
/// large, 415 not JSON).
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_BODY_LIMIT)
        .error_handler(|error, _req| json_error(error).into())
}

pub(crate) fn json_error(error: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match error {
        E::OverflowKnownLength { length, limit } => ApiError::PayloadTooLarge(format!(
            "Corps de {length} octets ; la limite est de {limit} octets."
        )),
        E::Overflow { limit } => ApiError::PayloadTooLarge(format!(
            "Corps trop volumineux ; la limite est de {limit} octets."
        )),
        E::ContentType => ApiError::UnsupportedMediaType(
            "Le corps doit être envoyé avec Content-Type: application/json.".to_owned(),
        ),
        E::Deserialize(error) => {
            let detail = if error.is_syntax() || error.is_eof() {
                format!(
                    "JSON mal formé (ligne {}, colonne {}).",
                    error.line(),
                    error.column()
                )
            } else {
                format!("JSON inattendu : {error}.")
            };
            ApiError::MalformedBody {
                detail,
                errors: Vec::new(),
            }
        }
        other => ApiError::MalformedBody {
            detail: format!("Corps illisible : {other}."),
            errors: Vec::new(),
        },
    }
}

/// The payload configuration for non-JSON bodies: the same 64 KiB limit.
pub fn payload_config() -> web::PayloadConfig {
    web::PayloadConfig::new(JSON_BODY_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::paging::{WholeNumber, validate_limit};
    use crate::domain::codes::CodeDepartement;
    use crate::domain::paging::Position;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, IntoParams, Validate)]
    #[into_params(parameter_in = Query)]
    struct Params {
        #[validate(custom(function = "validate_limit"))]
        #[param(value_type = Option<i64>)]
        limit: Option<WholeNumber>,
        #[validate(length(max = 5, message = "5 caractères au plus"))]
        q: Option<String>,
    }

    #[derive(Debug, Deserialize, IntoParams, Validate)]
    #[into_params(parameter_in = Query)]
    struct Filter {
        #[param(inline)]
        departement: Option<CodeDepartement>,
    }

    fn error_parameters(error: ApiError) -> Vec<String> {
        match error {
            ApiError::InvalidParameters(errors) => {
                errors.into_iter().filter_map(|e| e.parameter).collect()
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn documented_parameters_are_parsed() {
        let params: Params = parse_query("limit=10&q=ab%20c").unwrap();
        assert_eq!(params.q.as_deref(), Some("ab c"));
        let params: Params = parse_query("limit=10.0&q=abc").unwrap();
        assert_eq!(params.limit, Some(WholeNumber(10)));
        let params: Params = parse_query("").unwrap();
        assert_eq!(params.limit, None);
    }

    #[test]
    fn every_refusal_names_its_parameter() {
        for (query, names) in [
            ("limit=abc", vec!["limit"]),
            ("limit=1.5", vec!["limit"]),
            ("limit=0", vec!["limit"]),
            ("limit=201", vec!["limit"]),
            ("limit=", vec!["limit"]),
            ("foo=1", vec!["foo"]),
            ("foo=1&bar=2", vec!["foo", "bar"]),
            ("q=a&q=b", vec!["q"]),
            ("q=abcdef", vec!["q"]),
        ] {
            let error = parse_query::<Params>(query).unwrap_err();
            assert_eq!(error_parameters(error), names, "{query}");
        }
    }

    #[test]
    fn control_characters_in_a_query_are_refused_naming_the_parameter() {
        for query in [
            "q=a%00b",
            "q=%09",
            "q=a%0Ab",
            "q=%7F",
            "q%00=a",
            "limit=1&q=%1B",
        ] {
            match parse_query::<Params>(query).unwrap_err() {
                ApiError::ForbiddenCharacters(errors) => {
                    assert_eq!(errors.len(), 1, "{query}");
                    assert!(errors[0].parameter.as_deref().unwrap().starts_with('q'));
                }
                other => panic!("{query}: {other:?}"),
            }
        }
        assert_eq!(
            parse_query::<Params>("q=%00").unwrap_err().code(),
            "caractere_interdit"
        );
        match parse_paged::<Filter>("departement=%00").unwrap_err() {
            ApiError::ForbiddenCharacters(errors) => {
                assert_eq!(errors[0].parameter.as_deref(), Some("departement"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paged_queries_take_the_filters_and_the_paging() {
        let paged: Paged<Filter> =
            parse_paged("departement=2A&limit=20&cursor=0.saint_denis.93066").unwrap();
        assert_eq!(paged.filter.departement.unwrap().as_str(), "2A");
        assert_eq!(paged.paging.limit(), 20);
        assert_eq!(
            paged.paging.after(),
            Some(Position::new(["0", "saint denis", "93066"]))
        );
        let paged: Paged<Filter> = parse_paged("").unwrap();
        assert_eq!((paged.paging.limit(), paged.paging.after()), (50, None));
        // A bad code, a bad limit, a malformed cursor and an unknown name are each named.
        for (query, names) in [
            ("departement=2C", vec!["departement"]),
            ("cursor=a%20b", vec!["cursor"]),
            ("cursor=a.b.c.d.e", vec!["cursor"]),
            ("limit=0", vec!["limit"]),
            ("departement=7&limit=0", vec!["departement", "limit"]),
            ("page=2", vec!["page"]),
        ] {
            let error = parse_paged::<Filter>(query).unwrap_err();
            assert_eq!(error_parameters(error), names, "{query}");
        }
    }

    #[test]
    fn if_match_compares_with_the_current_version() {
        assert!(IfMatch("\"3\"".into()).check(3).is_ok());
        assert!(IfMatch("W/\"3\"".into()).check(3).is_ok());
        assert!(IfMatch("\"2\", \"3\"".into()).check(3).is_ok());
        assert!(IfMatch("*".into()).check(7).is_ok());
        let stale = IfMatch("\"2\"".into()).check(3).unwrap_err();
        assert_eq!(stale.code(), "precondition_echouee");
        assert_eq!(etag(3), "\"3\"");
    }
}

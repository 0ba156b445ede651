//! Shared extractors: strict query strings, path parameter checks, cursor pagination, and the JSON
//! body configuration. Every refusal is an [`ApiError`] (a problem naming the parameter).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{self, DeserializeOwned, Deserializer};
use utoipa::IntoParams;
use utoipa::openapi::path::ParameterIn;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::db::repo::{Page, Position};
use crate::error::{ApiError, FieldError};

/// Size limit of a JSON body (64 KiB); larger bodies answer 413.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;
/// Default page size of a list.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size of a list.
pub const MAX_LIMIT: i64 = 200;

/// A query string parsed strictly into `T`:
/// - a parameter `T` does not document is refused (the documented set comes from its `IntoParams`,
///   so what is accepted is exactly what the spec lists);
/// - a parameter given twice is refused;
/// - an ill-typed value is refused, naming the parameter;
/// - then `T`'s `Validate` rules run (ranges, lengths, patterns).
#[derive(Debug)]
pub struct StrictQuery<T>(pub T);

impl<T> FromRequest for StrictQuery<T>
where
    T: DeserializeOwned + IntoParams + Validate,
{
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query::<T>(req.query_string()).map(StrictQuery))
    }
}

/// The names of the query parameters `T` documents.
fn documented_names<T: IntoParams>() -> Vec<String> {
    T::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|parameter| parameter.name)
        .collect()
}

/// Parses a raw query string into `T` (see [`StrictQuery`]).
pub fn parse_query<T>(query: &str) -> Result<T, ApiError>
where
    T: DeserializeOwned + IntoParams + Validate,
{
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let documented = documented_names::<T>();
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
    if !errors.is_empty() {
        return Err(ApiError::InvalidParameters(errors));
    }
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    let value: T = serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let name = error.path().to_string();
        ApiError::invalid_parameter(&name, format!("valeur invalide : {}", error.inner()))
    })?;
    value
        .validate()
        .map_err(|errors| ApiError::InvalidParameters(parameter_errors(&errors)))?;
    Ok(value)
}

/// Turns `validator` errors into one [`FieldError`] per parameter, using the rule's message.
pub fn parameter_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    for (field, kind) in errors.errors() {
        if let ValidationErrorsKind::Field(list) = kind {
            for error in list {
                let detail = error
                    .message
                    .as_ref()
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| format!("règle « {} » non respectée", error.code));
                out.push(FieldError::parameter(field.to_string(), detail));
            }
        }
    }
    out.sort_by(|a, b| a.parameter.cmp(&b.parameter));
    out
}

/// Checks a path parameter against its documented format (400 naming it when it does not fit).
pub fn check_path(
    name: &str,
    value: &str,
    valid: fn(&str) -> bool,
    pattern: &str,
) -> Result<(), ApiError> {
    if valid(value) {
        Ok(())
    } else {
        Err(ApiError::invalid_parameter(
            name,
            format!("format invalide ; motif attendu : {pattern}"),
        ))
    }
}

/// An integer written as `12`, `"12"`, `12.0` or `"12.0"`: JSON Schema counts `12.0` as an
/// integer, so clients generated from the spec may send it; `12.5` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct WholeNumber(pub i64);

impl<'de> de::Deserialize<'de> for WholeNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = WholeNumber;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("un entier")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WholeNumber, E> {
                Ok(WholeNumber(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WholeNumber, E> {
                i64::try_from(v)
                    .map(WholeNumber)
                    .map_err(|_| E::custom("entier trop grand"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<WholeNumber, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(WholeNumber(v as i64))
                } else {
                    Err(E::custom(format!("{v} n'est pas un entier")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WholeNumber, E> {
                if let Ok(n) = v.parse::<i64>() {
                    return Ok(WholeNumber(n));
                }
                match v.parse::<f64>() {
                    Ok(f) if f.is_finite() => self.visit_f64(f),
                    _ => Err(E::custom(format!("« {v} » n'est pas un entier"))),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Validates an optional page size (`validator` custom rule).
pub fn validate_limit(limit: &WholeNumber) -> Result<(), validator::ValidationError> {
    if (1..=MAX_LIMIT).contains(&limit.0) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("range")
            .with_message(format!("doit être un entier entre 1 et {MAX_LIMIT}").into()))
    }
}

/// The page size a request asks for, or the default.
pub fn page_limit(limit: Option<WholeNumber>) -> usize {
    limit.map_or(DEFAULT_LIMIT, |l| l.0) as usize
}

/// Encodes a page end as an opaque cursor (URL-safe base64 of a versioned text form).
pub fn encode_cursor(position: &Position) -> String {
    let text = match position {
        Position::ById(id) => format!("1|i|{id}"),
        Position::Ranked { rank, key, id } => format!("1|r|{rank}|{id}|{key}"),
    };
    URL_SAFE_NO_PAD.encode(text)
}

/// Decodes a cursor given with `?cursor=`; `ranked` says whether the request has a name query
/// (a cursor from a list without one, or the other way round, is refused).
pub fn decode_cursor(cursor: &str, ranked: bool) -> Result<Position, ApiError> {
    let invalid = || {
        ApiError::invalid_parameter(
            "cursor",
            "curseur invalide : réutiliser tel quel le next_cursor d'une réponse à la même requête",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.splitn(5, '|');
    let position = match (parts.next(), parts.next()) {
        (Some("1"), Some("i")) => {
            let id = parts
                .next()
                .filter(|id| !id.is_empty())
                .ok_or_else(invalid)?;
            Position::ById(id.to_owned())
        }
        (Some("1"), Some("r")) => {
            let rank = match parts.next() {
                Some("0") => 0,
                Some("1") => 1,
                _ => return Err(invalid()),
            };
            let id = parts
                .next()
                .filter(|id| !id.is_empty())
                .ok_or_else(invalid)?;
            let key = parts.next().ok_or_else(invalid)?;
            Position::Ranked {
                rank,
                key: key.to_owned(),
                id: id.to_owned(),
            }
        }
        _ => return Err(invalid()),
    };
    if matches!(position, Position::Ranked { .. }) != ranked {
        return Err(invalid());
    }
    Ok(position)
}

/// A `200` list response: the page body, and a `Link: <…>; rel="next"` header when there is a next
/// page (the same request, its `cursor` replaced).
pub fn page_response<T, D: serde::Serialize>(
    req: &HttpRequest,
    page: Page<T>,
    body: impl FnOnce(Vec<T>, Option<String>) -> D,
) -> HttpResponse {
    let next_cursor = page.next.as_ref().map(encode_cursor);
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = &next_cursor {
        let mut pairs: Vec<(String, String)> =
            form_urlencoded::parse(req.query_string().as_bytes())
                .into_owned()
                .collect();
        pairs.retain(|(name, _)| name != "cursor");
        pairs.push(("cursor".to_owned(), cursor.clone()));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        response.insert_header((
            actix_web::http::header::LINK,
            format!("<{}?{query}>; rel=\"next\"", req.path()),
        ));
    }
    response.json(body(page.items, next_cursor))
}

/// The JSON body configuration: 64 KiB, and every failure as a problem (400 malformed, 413 too
/// large, 415 not JSON).
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_BODY_LIMIT)
        .error_handler(|error, _req| json_error(error).into())
}

fn json_error(error: actix_web::error::JsonPayloadError) -> ApiError {
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
        assert_eq!(params.q.as_deref(), Some("abc"));
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
    fn cursors_round_trip_and_garbage_is_refused() {
        for position in [
            Position::ById("93066".into()),
            Position::Ranked {
                rank: 1,
                key: "saint denis | x".into(),
                id: "93066".into(),
            },
        ] {
            let ranked = matches!(position, Position::Ranked { .. });
            assert_eq!(
                decode_cursor(&encode_cursor(&position), ranked).unwrap(),
                position
            );
            assert!(decode_cursor(&encode_cursor(&position), !ranked).is_err());
        }
        for garbage in ["", "!!!", "MXxp", "bm9wZQ", "MXxyfDJ8OTMwNjZ8YQ"] {
            assert!(decode_cursor(garbage, true).is_err(), "{garbage}");
            assert!(decode_cursor(garbage, false).is_err(), "{garbage}");
        }
    }
}

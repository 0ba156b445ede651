//! Shared extractors: strict query strings, path parameter checks, cursor pagination, and the JSON
//! body configuration. Every refusal is an [`ApiError`] (a problem naming the parameter).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
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

/// The documented form of a cursor. Every string of this form is a valid position (keyset
/// pagination only needs "after this point"), so a schema-valid cursor is never refused; anything
/// else is a 400 on `cursor`. Clients treat it as opaque: they give back `next_cursor` unchanged.
pub const CURSOR_PATTERN: &str = "^[01]\\.[0-9A-Za-z-]{1,64}\\.[0-9a-z_]{0,200}$";

/// Encodes a page end: `<rank>.<id>.<key>` (spaces of the key as `_`; rank and key are empty
/// parts for lists ordered by identifier).
pub fn encode_cursor(position: &Position) -> String {
    match position {
        Position::ById(id) => format!("0.{id}."),
        Position::Ranked { rank, key, id } => format!("{rank}.{id}.{}", key.replace(' ', "_")),
    }
}

/// Decodes a cursor given with `?cursor=` into the position of the list at hand: `ranked` says
/// whether the request has a name query (then rank, key and id are used; else the id alone).
pub fn decode_cursor(cursor: &str, ranked: bool) -> Result<Position, ApiError> {
    let invalid = || {
        ApiError::invalid_parameter(
            "cursor",
            format!(
                "curseur invalide : redonner tel quel le next_cursor d'une réponse (motif {CURSOR_PATTERN})"
            ),
        )
    };
    let mut parts = cursor.split('.');
    let (Some(rank), Some(id), Some(key), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let rank = match rank {
        "0" => 0,
        "1" => 1,
        _ => return Err(invalid()),
    };
    let id_ok =
        (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let key_ok = key.len() <= 200
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !id_ok || !key_ok {
        return Err(invalid());
    }
    Ok(if ranked {
        Position::Ranked {
            rank,
            key: key.replace('_', " "),
            id: id.to_owned(),
        }
    } else {
        Position::ById(id.to_owned())
    })
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
        let ranked = Position::Ranked {
            rank: 1,
            key: "saint denis de pile".into(),
            id: "33402".into(),
        };
        assert_eq!(encode_cursor(&ranked), "1.33402.saint_denis_de_pile");
        assert_eq!(
            decode_cursor(&encode_cursor(&ranked), true).unwrap(),
            ranked
        );
        let by_id = Position::ById("2A004".into());
        assert_eq!(encode_cursor(&by_id), "0.2A004.");
        assert_eq!(decode_cursor(&encode_cursor(&by_id), false).unwrap(), by_id);
        // Any cursor of the documented form is a position, whatever list it came from.
        assert_eq!(
            decode_cursor("1.33402.saint_denis", false).unwrap(),
            Position::ById("33402".into())
        );
        assert_eq!(
            decode_cursor("0.93066.", true).unwrap(),
            Position::Ranked {
                rank: 0,
                key: String::new(),
                id: "93066".into()
            }
        );
        for garbage in [
            "",
            "!!!",
            "0",
            "0.",
            "0..",
            "2.93066.",
            "0.93066",
            "0.9306 6.",
            "0.93066.A",
            "0.93066.a.b",
            "x.1.a",
        ] {
            assert!(decode_cursor(garbage, true).is_err(), "{garbage}");
            assert!(decode_cursor(garbage, false).is_err(), "{garbage}");
        }
        assert!(decode_cursor(&format!("0.{}.", "1".repeat(65)), false).is_err());
        assert!(decode_cursor(&format!("0.1.{}", "a".repeat(201)), true).is_err());
    }
}

//! The JSON body of a write, read when the request arrives but judged when the handler asks for
//! it ([`Body::accept`]), after the access checks: the order of refusals is 401 → 404 → 403 →
//! body (400/422) → status (409) → rules (docs/API.md), and a caller who may not write learns
//! nothing from a malformed body. A use case of `src/app` receives the judgement as its gate
//! ([`Body::gate`]), which it calls once it holds the object's lock and has decided access.
//!
//! - no body at all: the empty object `{}` (an action whose fields are all optional);
//! - not JSON (wrong `Content-Type`) → 415; over 64 KiB → 413; not well-formed JSON → 400
//!   `corps_invalide`;
//! - a text (a string, or a member's name) holding a control character → 422
//!   `caractere_interdit` with its `pointer`, before anything else is read: U+0000–U+001F and
//!   U+007F, except TAB, LF and CR in the free-text members (`domain::refusal::MULTILINE_MEMBERS`);
//! - well-formed JSON that does not fit the type (a missing or unknown field, a wrong type, a
//!   code of the wrong form) → 422 `validation` with the field's `pointer`;
//! - then the type's `Validate` rules → 422 `validation`, one `pointer` per faulty field.
//!
//! An integral number written with a fractional part (`1.0`) is the integer (JSON Schema counts
//! it as one); `1.5` stays a number and is refused where an integer is expected.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::{JsonBody, Payload};
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use super::extract::{IfMatch, JSON_BODY_LIMIT, json_error, rule_message};
use crate::domain::refusal::{
    CARACTERE_INTERDIT, FieldError, MULTILINE_MEMBERS, Refusal, VALIDATION, forbidden_character,
    forbidden_character_detail,
};
use crate::error::ApiError;

/// A JSON body of type `T`, judged by [`Body::accept`]. Document it with `request_body = T`.
pub struct Body<T> {
    /// The body as sent (integral numbers normalized), for the idempotency fingerprint.
    value: Value,
    parsed: Result<T, ApiError>,
}

impl<T> Body<T> {
    /// The body, or the refusal of it (400, 413, 415 or 422).
    pub fn accept(self) -> Result<T, ApiError> {
        self.parsed
    }

    /// The JSON as sent (`Null` when it could not be read), for an `Idempotency-Key` fingerprint.
    pub fn raw(&self) -> &Value {
        &self.value
    }

    /// The gate of an action (`app::Gate`): the body, then `If-Match` when the request has one
    /// (412 when it names another version).
    pub fn gate(self, if_match: Option<IfMatch>) -> impl FnOnce(i64) -> Result<T, ApiError> {
        move |version| {
            let input = self.accept()?;
            IfMatch::check_if_present(&if_match, version)?;
            Ok(input)
        }
    }

    /// The gate of a `PATCH`: the body, then `If-Match`, required (428 without, 412 when it names
    /// another version).
    pub fn gate_required(
        self,
        if_match: Option<IfMatch>,
    ) -> impl FnOnce(i64) -> Result<T, ApiError> {
        move |version| {
            let input = self.accept()?;
            IfMatch::required(if_match)?.check(version)?;
            Ok(input)
        }
    }

    /// The gate of a write whose object has no version to match (the body only).
    pub fn gate_unversioned(self) -> impl FnOnce(i64) -> Result<T, ApiError> {
        move |_| self.accept()
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // No body at all (no Content-Type, no length): the empty object, so that an action whose
        // fields are all optional (`POST …/validation`) can be sent bare.
        let headers = req.headers();
        let bare = headers.get(actix_web::http::header::CONTENT_TYPE).is_none()
            && headers
                .get(actix_web::http::header::CONTENT_LENGTH)
                .is_none_or(|length| length.as_bytes() == b"0")
            && headers
                .get(actix_web::http::header::TRANSFER_ENCODING)
                .is_none();
        if bare {
            let value = Value::Object(serde_json::Map::new());
            let parsed = parse_value(&value);
            return Box::pin(async move { Ok(Body { value, parsed }) });
        }
        let reading = JsonBody::<Value>::new(req, payload, None, true).limit(JSON_BODY_LIMIT);
        Box::pin(async move {
            Ok(match reading.await {
                Err(error) => Body {
                    value: Value::Null,
                    parsed: Err(json_error(error)),
                },
                Ok(mut value) => {
                    integral_numbers(&mut value);
                    let parsed = parse_value(&value);
                    Body { value, parsed }
                }
            })
        })
    }
}

/// Turns every integral float (`1.0`) into an integer, in place.
fn integral_numbers(value: &mut Value) {
    match value {
        Value::Number(number) if !number.is_i64() && !number.is_u64() => {
            if let Some(float) = number.as_f64()
                && float.fract() == 0.0
                && float.abs() < 9.0e15
            {
                *value = Value::from(float as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// Deserializes and validates `T` from well-formed JSON (see the module doc).
pub fn parse_value<T: DeserializeOwned + Validate>(value: &Value) -> Result<T, ApiError> {
    let mut forbidden = Vec::new();
    forbidden_texts(value, "", false, &mut forbidden);
    if !forbidden.is_empty() {
        let pointers: Vec<&str> = forbidden
            .iter()
            .filter_map(|f| f.pointer.as_deref())
            .collect();
        let mut refusal = Refusal::new(
            &CARACTERE_INTERDIT,
            format!(
                "Caractère interdit (caractère de contrôle) en {}.",
                pointers.join(", ")
            ),
        );
        for field in forbidden {
            refusal = refusal.with_error(field);
        }
        return Err(refusal.into());
    }
    let parsed: T = serde_path_to_error::deserialize(value).map_err(|error| {
        let mut pointer = pointer_of(error.path());
        let message = error.inner().to_string();
        // serde names a missing field in its message, at the path of its object (an unknown
        // field is already in the path).
        if let Some(field) = quoted_field(&message) {
            pointer = format!("{pointer}/{field}");
        }
        let detail = french_serde_message(&message);
        ApiError::from(
            Refusal::new(
                &VALIDATION,
                format!("Corps invalide en {pointer} : {detail}"),
            )
            .with_error(FieldError::pointer(pointer, detail)),
        )
    })?;
    parsed.validate().map_err(|errors| {
        let mut fields = Vec::new();
        collect_errors("", &errors, &mut fields);
        fields.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        ApiError::from(Refusal::invalid_fields("Données invalides", fields))
    })?;
    Ok(parsed)
}

/// One [`FieldError`] per text of `value` (strings, members' names) that holds a forbidden
/// character, at its pointer; `multiline` for the strings of a free-text member.
fn forbidden_texts(value: &Value, pointer: &str, multiline: bool, out: &mut Vec<FieldError>) {
    match value {
        Value::String(text) => {
            if let Some(c) = forbidden_character(text, multiline) {
                out.push(FieldError::pointer(pointer, forbidden_character_detail(c)));
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                forbidden_texts(item, &format!("{pointer}/{index}"), multiline, out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let inner = format!("{pointer}/{}", escape(key));
                if let Some(c) = forbidden_character(key, false) {
                    out.push(FieldError::pointer(&inner, forbidden_character_detail(c)));
                    continue;
                }
                forbidden_texts(item, &inner, MULTILINE_MEMBERS.contains(&key.as_str()), out);
            }
        }
        _ => {}
    }
}

/// The JSON Pointer (RFC 6901) of a serde path.
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => pointer.push_str(&format!("/{}", escape(key))),
            Segment::Enum { variant } => pointer.push_str(&format!("/{}", escape(variant))),
            Segment::Unknown => {}
        }
    }
    pointer
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The field a "missing field `x`" message names.
fn quoted_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(escape)
}

/// serde's English messages for the common cases, in French (others pass through).
fn french_serde_message(message: &str) -> String {
    if message.starts_with("missing field") {
        "champ obligatoire absent".to_owned()
    } else if let Some(rest) = message.strip_prefix("unknown field ") {
        let expected = rest.split_once(", expected ").map(|(_, e)| e).unwrap_or("");
        format!("champ inconnu ; champs acceptés : {expected}")
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        format!("type inattendu ({rest})")
    } else if let Some(rest) = message.strip_prefix("unknown variant ") {
        format!("valeur inconnue {rest}")
    } else {
        message.to_owned()
    }
}

/// One [`FieldError`] per failed rule, at its JSON Pointer (nested structs and lists included).
fn collect_errors(prefix: &str, errors: &ValidationErrors, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let pointer = format!("{prefix}/{}", escape(field));
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    out.push(FieldError::pointer(pointer.clone(), rule_message(error)));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect_errors(&pointer, inner, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect_errors(&format!("{pointer}/{index}"), inner, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Line {
        #[validate(range(min = 1, message = "au moins 1"))]
        postes: i64,
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Thing {
        #[validate(length(min = 1, message = "au moins un caractère"))]
        nom: String,
        #[validate(nested)]
        lignes: Vec<Line>,
    }

    fn refusal(json: &str) -> (String, Vec<String>) {
        let mut value: Value = serde_json::from_str(json).unwrap();
        integral_numbers(&mut value);
        match parse_value::<Thing>(&value) {
            Err(ApiError::Refused(refusal)) => (
                refusal.code.code.to_owned(),
                refusal
                    .errors
                    .iter()
                    .map(|e| e.pointer.clone().unwrap())
                    .collect(),
            ),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn shape_errors_point_at_the_field() {
        assert_eq!(
            refusal(r#"{"lignes": []}"#),
            ("validation".into(), vec!["/nom".into()])
        );
        assert_eq!(
            refusal(r#"{"nom": "a", "lignes": [], "statut": "x"}"#),
            ("validation".into(), vec!["/statut".into()])
        );
        assert_eq!(
            refusal(r#"{"nom": "a", "lignes": [{"postes": "3"}]}"#),
            ("validation".into(), vec!["/lignes/0/postes".into()])
        );
        assert_eq!(
            refusal(r#"{"nom": "a", "lignes": [{"postes": 1.5}]}"#),
            ("validation".into(), vec!["/lignes/0/postes".into()])
        );
    }

    #[test]
    fn rule_errors_point_at_every_faulty_field_including_nested_ones() {
        assert_eq!(
            refusal(r#"{"nom": "", "lignes": [{"postes": 1}, {"postes": 0}]}"#),
            (
                "validation".into(),
                vec!["/lignes/1/postes".into(), "/nom".into()]
            )
        );
    }

    #[test]
    fn control_characters_are_refused_at_their_pointer() {
        assert_eq!(
            refusal(r#"{"nom": "a\u0000", "lignes": [{"postes": 1}]}"#),
            ("caractere_interdit".into(), vec!["/nom".into()])
        );
        assert_eq!(
            refusal(r#"{"nom": "a\nb", "lignes": [], "x\u0001": 1}"#),
            (
                "caractere_interdit".into(),
                vec!["/nom".into(), "/x\u{1}".into()]
            )
        );
        // In a free-text member, line breaks and tabs are text; other controls are not.
        let mut fields = Vec::new();
        let value: Value =
            serde_json::from_str(r#"{"motif": "a\r\n\tb", "objet": ["\u001b"]}"#).unwrap();
        forbidden_texts(&value, "", false, &mut fields);
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].pointer.as_deref(), Some("/objet/0"));
    }

    #[test]
    fn integral_floats_are_integers() {
        let mut value: Value =
            serde_json::from_str(r#"{"nom": "a", "lignes": [{"postes": 2.0}]}"#).unwrap();
        integral_numbers(&mut value);
        let thing: Thing = parse_value(&value).unwrap();
        assert_eq!(thing.lignes[0].postes, 2);
    }
}

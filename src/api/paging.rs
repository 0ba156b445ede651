//! Pagination as every list takes it: `limit` and `cursor`, declared once in [`Paging`] and
//! composed with each list's own filters (the HTTP layer's `Paged<F>` extractor accepts exactly the
//! parameters of both), and the cursor's text form.
//!
//! A cursor is the [`Position`] of the last item of a page: its sort keys joined by `.`, spaces
//! written `_`. Its documented pattern is exact: every string of that form decodes to a position
//! (see `domain::paging`), so a schema-valid cursor is never refused; anything else is a 400 on
//! `cursor`. Clients treat it as opaque and give back `next_cursor` unchanged.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use validator::Validate;

use crate::code_type;
use crate::domain::paging::Position;

/// Declares a page of a list: `items` of one type and `next_cursor`, with its documentation and
/// example (the spec's component is named after it), and `of` to build it from the items a repo
/// read. Every paginated list answers this shape.
///
/// ```text
/// page_dto! {
///     /// Une page d'activités, les plus récemment déclarées d'abord.
///     #[schema(example = json!({"items": [], "next_cursor": null}))]
///     ActivitePage, Activite, "Les activités de cette page.",
/// }
/// // then: ActivitePage::of(items, next_cursor, Activite::from)
/// ```
#[macro_export]
macro_rules! page_dto {
    ($(#[$attr:meta])* $name:ident, $item:ty, $items_doc:literal $(,)?) => {
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        $(#[$attr])*
        pub struct $name {
            #[doc = $items_doc]
            pub items: Vec<$item>,
            /// À redonner dans `cursor` (autres paramètres inchangés) pour la page suivante ; null sur la
            /// dernière.
            pub next_cursor: Option<String>,
        }

        impl $name {
            /// The page of `items`, each shown with `item`, and the next page's cursor (what a
            /// list handler gives `page_response` or `cached_list`).
            pub fn of<T>(
                items: Vec<T>,
                next_cursor: Option<String>,
                item: impl FnMut(T) -> $item,
            ) -> Self {
                $name {
                    items: items.into_iter().map(item).collect(),
                    next_cursor,
                }
            }
        }
    };
}

/// Default page size of a list.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size of a list.
pub const MAX_LIMIT: i64 = 200;
/// Most sort keys a cursor carries.
const MAX_CURSOR_PARTS: usize = 4;
/// Longest sort key a cursor carries.
const MAX_CURSOR_PART: usize = 200;

fn is_cursor(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() <= MAX_CURSOR_PARTS
        && parts.iter().all(|part| {
            part.len() <= MAX_CURSOR_PART
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

code_type! {
    /// Curseur de pagination : le `next_cursor` de la page précédente, redonné tel quel.
    Cursor,
    pattern = "^[0-9A-Za-z_-]{0,200}(?:\\.[0-9A-Za-z_-]{0,200}){0,3}$",
    check = is_cursor
}

impl Cursor {
    /// The cursor of a position. Sort keys are ASCII letters, digits, `-` and spaces (codes,
    /// identifiers, dates, search keys); spaces become `_`, anything else (never produced by the
    /// lists) is dropped rather than producing a cursor the server would refuse.
    pub fn encode(position: &Position) -> Cursor {
        let parts: Vec<String> = position
            .parts()
            .iter()
            .take(MAX_CURSOR_PARTS)
            .map(|part| {
                debug_assert!(
                    part.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b' '),
                    "sort key outside the cursor alphabet: {part:?}"
                );
                part.chars()
                    .filter_map(|c| match c {
                        ' ' => Some('_'),
                        c if c.is_ascii_alphanumeric() || c == '-' => Some(c),
                        _ => None,
                    })
                    .take(MAX_CURSOR_PART)
                    .collect()
            })
            .collect();
        Cursor(parts.join("."))
    }

    /// The position this cursor stands for.
    pub fn position(&self) -> Position {
        Position::new(self.as_str().split('.').map(|part| part.replace('_', " ")))
    }
}

/// An integer written as `12`, `"12"`, `12.0` or `"12.0"`: JSON Schema counts `12.0` as an
/// integer, so clients generated from the spec may send it; `12.5` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// The pagination parameters of every list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Taille de la page, de 1 à 200 (50 par défaut).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    #[validate(custom(function = "validate_limit"))]
    pub limit: Option<WholeNumber>,
    /// Curseur opaque : le `next_cursor` de la page précédente, redonné tel quel (avec les mêmes
    /// autres paramètres). Absent : la première page.
    #[param(inline)]
    pub cursor: Option<Cursor>,
}

impl Paging {
    /// The page size asked for, or the default.
    pub fn limit(&self) -> usize {
        self.limit.map_or(DEFAULT_LIMIT, |l| l.0) as usize
    }

    /// The position after which the page starts, if a cursor was given.
    pub fn after(&self) -> Option<Position> {
        self.cursor.as_ref().map(Cursor::position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        for position in [
            Position::new(["1", "saint denis de pile", "33402"]),
            Position::new(["2A004"]),
            Position::new(["2026-11-26", "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"]),
            Position::new([""]),
        ] {
            let cursor = Cursor::encode(&position);
            assert!(Cursor::is_valid(cursor.as_str()), "{cursor}");
            assert_eq!(cursor.position(), position);
        }
        assert_eq!(
            Cursor::encode(&Position::new(["1", "saint denis", "93066"])).as_str(),
            "1.saint_denis.93066"
        );
    }

    #[test]
    fn every_string_of_the_pattern_is_a_cursor_and_nothing_else() {
        for valid in [
            "",
            "0",
            "0.93066.",
            "a.b.c.d",
            "-_-",
            "x".repeat(200).as_str(),
        ] {
            assert!(Cursor::is_valid(valid), "{valid}");
        }
        for invalid in [
            "a.b.c.d.e",
            "0.9306 6.",
            "é",
            "a/b",
            "a=b",
            &"x".repeat(201),
        ] {
            assert!(!Cursor::is_valid(invalid), "{invalid}");
        }
    }
}

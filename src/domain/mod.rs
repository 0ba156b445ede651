//! The domain: plain types and rules, without HTTP or database. This layer imports no actix,
//! diesel, `api`, `http` or `db` (`tests/layers.rs` checks it); it may derive `serde` and `utoipa`
//! traits, so that a type declared here is also its own wire format and schema.
//!
//! Three macros declare the types every module shares, each in one place:
//! - [`code_type!`](crate::code_type): a code with a format (département, commune, SIREN…): its
//!   check, its serde form, its OpenAPI schema with the pattern, its text storage;
//! - [`closed_enum!`](crate::closed_enum): a closed list (statuses, types, natures…): its strings,
//!   serde form, schema and text storage;
//! - [`id_type!`](crate::id_type): the identifier of a resource (UUID v7 as text).

pub mod activite;
pub mod bareme;
pub mod bilan;
pub mod calendar;
pub mod catalogue;
pub mod codes;
pub mod conseiller;
pub mod contrat;
pub mod convention;
pub mod coordination;
pub mod donnees_ouvertes;
pub mod filter;
pub mod financement;
pub mod formation;
pub mod ids;
pub mod journal;
pub mod lieu;
pub mod lifecycle;
pub mod paging;
pub mod poste;
pub mod referentiel;
pub mod refusal;
pub mod scope;
pub mod smic;
pub mod split;
pub mod statistiques;
pub mod structure;

/// A value that does not have the form its type requires; `expected` says what the form is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("« {value} » : {expected}")]
pub struct FormatError {
    /// The value refused (truncated to 64 characters).
    pub value: String,
    /// What was expected, in French.
    pub expected: String,
}

impl FormatError {
    /// A refusal of `value`, expecting `expected`.
    pub fn new(value: &str, expected: impl Into<String>) -> Self {
        FormatError {
            value: value.chars().take(64).collect(),
            expected: expected.into(),
        }
    }
}

/// What every textual domain type offers (codes, closed enums, identifiers): a checked parse and
/// a name and description for messages. The HTTP layer's path extractor and the storage layer's
/// text mapping are written once against this trait.
pub trait TextValue: Sized + Clone + std::fmt::Debug + Send + 'static {
    /// Parses a value, or says what form was expected.
    fn parse_text(text: &str) -> Result<Self, FormatError>;
    /// The value as stored and sent.
    fn text(&self) -> &str;
}

/// A closed list of values (`closed_enum!`): every value, and each one's text. Status machines
/// ([`lifecycle::Lifecycle`]) are written against it.
pub trait ClosedList: Copy + Eq + std::fmt::Debug + 'static {
    /// Every value, in declaration order.
    const VALUES: &'static [Self];
    /// The value as stored and sent.
    fn as_text(self) -> &'static str;
}

/// Declares a code type: a `String` newtype whose every value has the given form.
///
/// One declaration gives the domain check (`parse`, `is_valid`), `FromStr`, `Display`,
/// `AsRef<str>`, serde (deserialization refuses a bad value with a message that the API turns into
/// a problem naming the field or parameter), the OpenAPI schema (a string with its `pattern`,
/// inlined wherever the type is used) and the conversions the storage layer uses
/// (`TryFrom<String>`, `From<Self> for String`).
///
/// ```ignore
/// code_type! {
///     /// Code d'un département.
///     CodeDepartement, pattern = "^(?:[0-9]{2,3}|2[AB])$", example = "93",
///     check = |code: &str| code == "2A" || code == "2B" || is_digits(code, 2..=3)
/// }
/// ```
#[macro_export]
macro_rules! code_type {
    (
        #[doc = $doc:literal] $(#[doc = $more:literal])*
        $name:ident, pattern = $pattern:literal,
        check = $check:expr $(,)?
    ) => {
        #[doc = $doc] $(#[doc = $more])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The form of every value (ECMA-262 regular expression, as published in the spec).
            pub const PATTERN: &'static str = $pattern;

            /// Whether `text` has the form of this code.
            pub fn is_valid(text: &str) -> bool {
                let check: fn(&str) -> bool = $check;
                check(text)
            }

            /// Parses a code, or says what form was expected.
            pub fn parse(text: &str) -> Result<Self, $crate::domain::FormatError> {
                if Self::is_valid(text) {
                    Ok($name(text.to_owned()))
                } else {
                    Err(Self::invalid(text))
                }
            }

            /// [`parse`](Self::parse) of text already owned, kept without a copy.
            pub fn parse_owned(text: String) -> Result<Self, $crate::domain::FormatError> {
                if Self::is_valid(&text) {
                    Ok($name(text))
                } else {
                    Err(Self::invalid(&text))
                }
            }

            fn invalid(text: &str) -> $crate::domain::FormatError {
                $crate::domain::FormatError::new(
                    text,
                    format!("format invalide ; motif attendu : {}", $pattern),
                )
            }

        }

        $crate::text_newtype!($name);

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($crate::domain::doc_text(&[$doc $(, $more)*])))
                    .pattern(Some($pattern))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

/// The impls every [`TextValue`] shares, written once over that trait: `FromStr` (through the
/// checked parse), `Display` and `Serialize` (the text as stored and sent). `text_newtype!` and
/// `closed_enum!` both use it.
#[doc(hidden)]
#[macro_export]
macro_rules! text_value_impls {
    ($name:ident) => {
        impl std::str::FromStr for $name {
            type Err = $crate::domain::FormatError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <Self as $crate::domain::TextValue>::parse_text(text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::domain::TextValue::text(self))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str($crate::domain::TextValue::text(self))
            }
        }
    };
}

/// The impls every `String` newtype with a checked `parse` shares (codes and identifiers):
/// `as_str`, [`TextValue`], `FromStr`, `Display`, `AsRef<str>`, the storage conversions and serde
/// (deserialization goes through `parse`, so a bad value is refused with its message).
#[doc(hidden)]
#[macro_export]
macro_rules! text_newtype {
    ($name:ident) => {
        impl $name {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl $crate::domain::TextValue for $name {
            fn parse_text(text: &str) -> Result<Self, $crate::domain::FormatError> {
                Self::parse(text)
            }
            fn text(&self) -> &str {
                &self.0
            }
        }

        $crate::text_value_impls!($name);

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::FormatError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse_owned(text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                match <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?
                {
                    std::borrow::Cow::Borrowed(text) => Self::parse(text),
                    std::borrow::Cow::Owned(text) => Self::parse_owned(text),
                }
                .map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Declares a closed list of values: one Rust enum that gives its strings (`as_str`, `parse`,
/// `ALL`), its serde form, its OpenAPI schema (an `enum` of strings) and the conversions its text
/// storage uses (`TryFrom<String>`, `From<Self> for String`); the migration backs it with a
/// `CHECK (… IN (…))`. The enum and each value take exactly `///` lines (they become the spec).
///
/// ```ignore
/// closed_enum! {
///     /// Où se situe un territoire.
///     Zone, "zone" {
///         /// France métropolitaine.
///         Metro = "metro",
///         /// Départements et régions d'outre-mer.
///         Drom = "drom",
///     }
/// }
/// ```
#[macro_export]
macro_rules! closed_enum {
    (
        #[doc = $doc:literal] $(#[doc = $more:literal])*
        $name:ident, $what:literal {
            $( #[doc = $vdoc:literal] $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        #[doc = $doc] $(#[doc = $more])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( #[doc = $vdoc] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// What the list is (for messages).
            pub const WHAT: &'static str = $what;
            /// Every value as text, in declaration order.
            pub const TEXTS: &'static [&'static str] = &[$($text),+];

            /// The value as stored and sent.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Parses a value of the list.
            pub fn parse(text: &str) -> Result<Self, $crate::domain::FormatError> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::domain::FormatError::new(
                        text,
                        format!("{} inconnu ; valeurs acceptées : {}", $what, Self::TEXTS.join(", ")),
                    )),
                }
            }
        }

        impl $crate::domain::TextValue for $name {
            fn parse_text(text: &str) -> Result<Self, $crate::domain::FormatError> {
                Self::parse(text)
            }
            fn text(&self) -> &str {
                self.as_str()
            }
        }

        $crate::text_value_impls!($name);

        impl $crate::domain::ClosedList for $name {
            const VALUES: &'static [Self] = $name::ALL;
            fn as_text(self) -> &'static str {
                self.as_str()
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::FormatError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.as_str().to_owned()
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($crate::domain::doc_text(&[$doc $(, $more)*])))
                    .enum_values(Some(Self::TEXTS.iter().copied()))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

/// Whether `text` is a UUID in the form identifiers are kept in (lower-case, hyphenated): then
/// parsing it gives it back unchanged, and an identifier read from storage is checked without
/// being copied or formatted again.
pub fn is_canonical_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, &byte)| match index {
            8 | 13 | 18 | 23 => byte == b'-',
            _ => byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte),
        })
}

/// The text of `///` lines as the spec shows it (utoipa's way: one leading space trimmed, lines
/// joined by newlines).
pub fn doc_text(lines: &[&str]) -> String {
    lines
        .iter()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Declares the identifier of a resource: a UUID v7 (time-ordered, so keyset pagination by id
/// follows creation order) kept as lower-case text. It gives `new()`, the checked parse, serde,
/// the OpenAPI schema (`string`, `format: uuid`) and the text storage conversions.
#[macro_export]
macro_rules! id_type {
    (#[doc = $doc:literal] $(#[doc = $more:literal])* $name:ident $(,)?) => {
        #[doc = $doc] $(#[doc = $more])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// A new identifier (UUID v7: time-ordered).
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                $name(uuid::Uuid::now_v7().to_string())
            }

            /// Parses an identifier: any UUID, kept in its lower-case hyphenated form.
            pub fn parse(text: &str) -> Result<Self, $crate::domain::FormatError> {
                if $crate::domain::is_canonical_uuid(text) {
                    return Ok($name(text.to_owned()));
                }
                uuid::Uuid::try_parse(text)
                    .map(|uuid| $name(uuid.hyphenated().to_string()))
                    .map_err(|_| $crate::domain::FormatError::new(
                        text,
                        "identifiant invalide ; un UUID est attendu (ex. 01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90)",
                    ))
            }

            /// [`parse`](Self::parse) of text already owned: kept without a copy when it is
            /// already in the canonical form (as every stored identifier is).
            pub fn parse_owned(text: String) -> Result<Self, $crate::domain::FormatError> {
                if $crate::domain::is_canonical_uuid(&text) {
                    Ok($name(text))
                } else {
                    Self::parse(&text)
                }
            }

        }

        $crate::text_newtype!($name);

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($crate::domain::doc_text(&[$doc $(, $more)*])))
                    .format(Some(utoipa::openapi::schema::SchemaFormat::Custom(
                        "uuid".to_owned(),
                    )))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

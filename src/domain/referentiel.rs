//! Rules of the référentiel territorial: code formats and the name search key.
//!
//! Codes are strings: `"2A"`, `"971"`, `"93066"` are not numbers. The patterns below are published
//! in the OpenAPI document; the `is_*` functions implement them for the server's own checks.
//! (`tests/openapi.rs` checks that the spec publishes exactly these.)

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Pattern of a région code: two digits, or three for the overseas collectivités (`"975"`).
pub const REGION_CODE_PATTERN: &str = "^[0-9]{2,3}$";
/// Pattern of a département code: `"01"`…`"95"`, `"2A"`, `"2B"`, `"971"`…`"989"`.
pub const DEPARTEMENT_CODE_PATTERN: &str = "^(?:[0-9]{2,3}|2[AB])$";
/// Pattern of a commune code INSEE: département part then three digits (`"2A004"`, `"97411"`).
pub const CODE_INSEE_PATTERN: &str = "^(?:[0-9]{2}|2[AB])[0-9]{3}$";
/// Pattern of a code postal: five digits.
pub const CODE_POSTAL_PATTERN: &str = "^[0-9]{5}$";
/// Pattern of a SIREN: nine digits.
pub const SIREN_PATTERN: &str = "^[0-9]{9}$";

/// A région, as the référentiel gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Code INSEE of the région (`"11"`, `"975"`).
    pub code: String,
    /// Official name.
    pub nom: String,
    /// Code INSEE of its chef-lieu commune.
    pub chef_lieu: Option<String>,
    /// Metropolitan, overseas département-région or overseas collectivité.
    pub zone: Zone,
}

/// A département, as the référentiel gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departement {
    /// Code (`"93"`, `"2A"`, `"971"`).
    pub code: String,
    /// Official name.
    pub nom: String,
    /// Code of its région.
    pub region: String,
    /// Code INSEE of its chef-lieu commune.
    pub chef_lieu: Option<String>,
    /// Metropolitan, overseas département-région or overseas collectivité.
    pub zone: Zone,
}

/// A current commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commune {
    /// Code INSEE (`"93066"`).
    pub code_insee: String,
    /// Official name.
    pub nom: String,
    /// SIREN of the commune as a legal person (absent for a few overseas communes).
    pub siren: Option<String>,
    /// Code of its département.
    pub departement: String,
    /// Code of its région.
    pub region: String,
    /// Total population, when known.
    pub population: Option<i64>,
    /// Its codes postaux, in ascending order.
    pub codes_postaux: Vec<String>,
}

/// An EPCI à fiscalité propre or an EPT of the Métropole du Grand Paris.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epci {
    /// SIREN of the groupement.
    pub siren: String,
    /// Official name.
    pub nom: String,
    /// Legal category.
    pub type_: EpciType,
    /// Total population, when known.
    pub population: Option<i64>,
}

/// A member commune of an EPCI, as listed with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpciMembre {
    /// Code INSEE of the commune.
    pub code_insee: String,
    /// Name of the commune.
    pub nom: String,
    /// Code of the commune's département.
    pub departement: String,
}

/// Where a territory lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// Metropolitan France.
    Metro,
    /// Overseas départements and régions.
    Drom,
    /// Overseas collectivités.
    Com,
}

/// The legal category of an EPCI or EPT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpciType {
    /// Communauté de communes.
    Cc,
    /// Communauté d'agglomération.
    Ca,
    /// Communauté urbaine.
    Cu,
    /// Métropole.
    Metro,
    /// Métropole de Lyon.
    Met69,
    /// Établissement public territorial (Grand Paris).
    Ept,
}

/// A stored value outside its closed list (the database `CHECK`s make this a bug, not an input error).
#[derive(Debug, thiserror::Error)]
#[error("valeur inconnue pour {what} : {value}")]
pub struct UnknownValue {
    what: &'static str,
    value: String,
}

impl Zone {
    /// The stored code of the zone.
    pub fn as_str(self) -> &'static str {
        match self {
            Zone::Metro => "metro",
            Zone::Drom => "drom",
            Zone::Com => "com",
        }
    }

    /// Parses a stored code.
    pub fn parse(value: &str) -> Result<Self, UnknownValue> {
        [Zone::Metro, Zone::Drom, Zone::Com]
            .into_iter()
            .find(|zone| zone.as_str() == value)
            .ok_or_else(|| UnknownValue {
                what: "zone",
                value: value.to_owned(),
            })
    }
}

impl EpciType {
    /// The stored code of the category.
    pub fn as_str(self) -> &'static str {
        match self {
            EpciType::Cc => "CC",
            EpciType::Ca => "CA",
            EpciType::Cu => "CU",
            EpciType::Metro => "METRO",
            EpciType::Met69 => "MET69",
            EpciType::Ept => "EPT",
        }
    }

    /// Parses a stored code.
    pub fn parse(value: &str) -> Result<Self, UnknownValue> {
        use EpciType::*;
        [Cc, Ca, Cu, Metro, Met69, Ept]
            .into_iter()
            .find(|kind| kind.as_str() == value)
            .ok_or_else(|| UnknownValue {
                what: "type d'EPCI",
                value: value.to_owned(),
            })
    }
}

fn all_digits(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `code` has the form of a région code ([`REGION_CODE_PATTERN`]).
pub fn is_region_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && all_digits(code)
}

/// Whether `code` has the form of a département code ([`DEPARTEMENT_CODE_PATTERN`]).
pub fn is_departement_code(code: &str) -> bool {
    code == "2A" || code == "2B" || ((2..=3).contains(&code.len()) && all_digits(code))
}

/// Whether `code` has the form of a commune code INSEE ([`CODE_INSEE_PATTERN`]).
pub fn is_code_insee(code: &str) -> bool {
    code.len() == 5
        && code.is_char_boundary(2)
        && (all_digits(&code[..2]) || &code[..2] == "2A" || &code[..2] == "2B")
        && all_digits(&code[2..])
}

/// Whether `code` has the form of a code postal ([`CODE_POSTAL_PATTERN`]).
pub fn is_code_postal(code: &str) -> bool {
    code.len() == 5 && all_digits(code)
}

/// Whether `siren` has the form of a SIREN ([`SIREN_PATTERN`]); the Luhn key is not checked here.
pub fn is_siren(siren: &str) -> bool {
    siren.len() == 9 && all_digits(siren)
}

/// The search key of a name: lower-case ASCII letters and digits, accents and other marks removed
/// (whatever the Unicode normalization form of the input), ligatures and a few letters without
/// decomposition spelt out (`œ` → `oe`, `ø` → `o`), every run of anything else turned into one
/// space. `"L'Île-Saint-Denis"` → `"l ile saint denis"`.
///
/// The same function builds the stored key and the key of a query, so a match is a plain `LIKE` on
/// the key (no `ilike`, which the multi-backend connection lacks), and a key never holds a `LIKE`
/// wildcard. Its alphabet (`[a-z0-9 ]`) is also what lets a pagination cursor carry it.
pub fn search_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        for lower in c.to_lowercase() {
            let spelt: &str = match lower {
                'a'..='z' | '0'..='9' => "",
                'œ' => "oe",
                'æ' => "ae",
                'ß' => "ss",
                'ø' => "o",
                'đ' | 'ð' => "d",
                'ł' => "l",
                'þ' => "th",
                _ => {
                    pending_space = true;
                    continue;
                }
            };
            if pending_space && !key.is_empty() {
                key.push(' ');
            }
            pending_space = false;
            if spelt.is_empty() {
                key.push(lower);
            } else {
                key.push_str(spelt);
            }
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_key_ignores_case_accents_and_punctuation() {
        assert_eq!(search_key("Épinay-sur-Seine"), "epinay sur seine");
        assert_eq!(search_key("L'Île-Saint-Denis"), "l ile saint denis");
        assert_eq!(search_key("  saint   DENIS "), "saint denis");
        assert_eq!(search_key("Œuilly"), "oeuilly");
        assert_eq!(search_key("---"), "");
        assert_eq!(search_key("Ørsted Łódź ÆØ"), "orsted lodz aeo");
        // Letters outside the Latin script separate words; they never reach the key.
        assert_eq!(search_key("Москва 2024"), "2024");
        let any = "Ça va? 𝔸 ½ ﬁ Ⅻ ＡＢ";
        assert!(
            search_key(any)
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' ')
        );
    }

    #[test]
    fn search_key_is_the_same_for_composed_and_decomposed_input() {
        let composed = "\u{00c9}pinay"; // É as one code point
        let decomposed = "E\u{0301}pinay"; // E + combining acute accent
        assert_ne!(composed, decomposed);
        assert_eq!(search_key(composed), search_key(decomposed));
        assert_eq!(search_key(decomposed), "epinay");
    }

    #[test]
    fn stored_codes_round_trip() {
        for zone in [Zone::Metro, Zone::Drom, Zone::Com] {
            assert_eq!(Zone::parse(zone.as_str()).unwrap(), zone);
        }
        for kind in [
            EpciType::Cc,
            EpciType::Ca,
            EpciType::Cu,
            EpciType::Metro,
            EpciType::Met69,
            EpciType::Ept,
        ] {
            assert_eq!(EpciType::parse(kind.as_str()).unwrap(), kind);
        }
        assert!(Zone::parse("mars").is_err());
    }

    #[test]
    fn code_formats() {
        for code in ["01", "93", "2A", "2B", "971", "989"] {
            assert!(is_departement_code(code), "{code}");
        }
        for code in ["1", "2a", "2C", "9711", "", "A1", "é1"] {
            assert!(!is_departement_code(code), "{code}");
        }
        for code in ["93066", "2A004", "2B033", "97411", "01001"] {
            assert!(is_code_insee(code), "{code}");
        }
        for code in ["9306", "930666", "2C004", "2A00A", "é3066", "ABCDE"] {
            assert!(!is_code_insee(code), "{code}");
        }
        assert!(is_region_code("11") && is_region_code("975"));
        assert!(!is_region_code("1") && !is_region_code("1a") && !is_region_code("9750"));
        assert!(is_code_postal("93200") && !is_code_postal("9320") && !is_code_postal("9320A"));
        assert!(is_siren("200057867") && !is_siren("20005786") && !is_siren("20005786X"));
    }
}

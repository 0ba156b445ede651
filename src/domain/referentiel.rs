//! The référentiel territorial as plain types, and the name search key.
//!
//! Codes are typed (`domain::codes`): `"2A"`, `"971"`, `"93066"` are strings of a checked form.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::codes::{CodeDepartement, CodeInsee, CodePostal, CodeRegion, Siren};
use crate::closed_enum;

/// A région, as the référentiel gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Code INSEE of the région (`"11"`, `"975"`).
    pub code: CodeRegion,
    /// Official name.
    pub nom: String,
    /// Code INSEE of its chef-lieu commune.
    pub chef_lieu: Option<CodeInsee>,
    /// Metropolitan, overseas département-région or overseas collectivité.
    pub zone: Zone,
}

/// A département, as the référentiel gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departement {
    /// Code (`"93"`, `"2A"`, `"971"`).
    pub code: CodeDepartement,
    /// Official name.
    pub nom: String,
    /// Code of its région.
    pub region: CodeRegion,
    /// Code INSEE of its chef-lieu commune.
    pub chef_lieu: Option<CodeInsee>,
    /// Metropolitan, overseas département-région or overseas collectivité.
    pub zone: Zone,
}

/// A current commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commune {
    /// Code INSEE (`"93066"`).
    pub code_insee: CodeInsee,
    /// Official name.
    pub nom: String,
    /// SIREN of the commune as a legal person (absent for a few overseas communes).
    pub siren: Option<Siren>,
    /// Code of its département.
    pub departement: CodeDepartement,
    /// Code of its région.
    pub region: CodeRegion,
    /// Total population, when known.
    pub population: Option<i64>,
    /// Its codes postaux, in ascending order.
    pub codes_postaux: Vec<CodePostal>,
}

/// An EPCI à fiscalité propre or an EPT of the Métropole du Grand Paris.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epci {
    /// SIREN of the groupement.
    pub siren: Siren,
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
    pub code_insee: CodeInsee,
    /// Name of the commune.
    pub nom: String,
    /// Code of the commune's département.
    pub departement: CodeDepartement,
}

closed_enum! {
    /// Où se situe un territoire.
    Zone, "zone" {
        /// France métropolitaine.
        Metro = "metro",
        /// Départements et régions d'outre-mer (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte).
        Drom = "drom",
        /// Collectivités d'outre-mer (Saint-Pierre-et-Miquelon, Polynésie française…).
        Com = "com",
    }
}

closed_enum! {
    /// Catégorie juridique d'un EPCI ou d'un EPT.
    EpciType, "type d'EPCI" {
        /// Communauté de communes.
        Cc = "CC",
        /// Communauté d'agglomération.
        Ca = "CA",
        /// Communauté urbaine.
        Cu = "CU",
        /// Métropole.
        Metro = "METRO",
        /// Métropole de Lyon.
        Met69 = "MET69",
        /// Établissement public territorial de la Métropole du Grand Paris.
        Ept = "EPT",
    }
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
        for zone in Zone::ALL {
            assert_eq!(Zone::parse(zone.as_str()).unwrap(), *zone);
        }
        for kind in EpciType::ALL {
            assert_eq!(EpciType::parse(kind.as_str()).unwrap(), *kind);
        }
        let error = Zone::parse("mars").unwrap_err();
        assert!(error.expected.contains("metro, drom, com"), "{error}");
        assert_eq!(
            serde_json::to_string(&EpciType::Met69).unwrap(),
            "\"MET69\""
        );
    }
}

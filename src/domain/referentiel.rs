//! The référentiel territorial as plain types, and the name search key.
//!
//! Codes are typed (`domain::codes`): `"2A"`, `"971"`, `"93066"` are strings of a checked form.
//! Each type is also the API's view of it (`api::referentiel` re-exports them): their French docs
//! are the spec's descriptions.

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use utoipa::ToSchema;

use super::codes::{CodeDepartement, CodeInsee, CodePostal, CodeRegion, Siren};
use crate::closed_enum;

/// Une région.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"code": "11", "nom": "Île-de-France", "chef_lieu": "75056", "zone": "metro"}))]
pub struct Region {
    /// Code INSEE de la région.
    pub code: CodeRegion,
    /// Nom officiel.
    pub nom: String,
    /// Code INSEE de sa commune chef-lieu.
    pub chef_lieu: Option<CodeInsee>,
    /// Où elle se situe.
    pub zone: Zone,
}

/// Un département.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"code": "93", "nom": "Seine-Saint-Denis", "region": "11", "chef_lieu": "93008", "zone": "metro"}))]
pub struct Departement {
    /// Code du département (`"93"`, `"2A"`, `"971"`) : une chaîne, pas un nombre.
    pub code: CodeDepartement,
    /// Nom officiel.
    pub nom: String,
    /// Code de sa région.
    pub region: CodeRegion,
    /// Code INSEE de sa commune chef-lieu.
    pub chef_lieu: Option<CodeInsee>,
    /// Où il se situe.
    pub zone: Zone,
}

/// Une commune actuelle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "code_insee": "93066", "nom": "Saint-Denis", "siren": "929939411", "departement": "93",
    "region": "11", "population": 149077, "codes_postaux": ["93200", "93210", "93380"]
}))]
pub struct Commune {
    /// Code INSEE (`"93066"`, `"2A004"`).
    pub code_insee: CodeInsee,
    /// Nom officiel.
    pub nom: String,
    /// SIREN de la commune (absent pour quelques communes d'outre-mer).
    pub siren: Option<Siren>,
    /// Code de son département.
    pub departement: CodeDepartement,
    /// Code de sa région.
    pub region: CodeRegion,
    /// Population totale, quand elle est connue.
    pub population: Option<i64>,
    /// Codes postaux, par ordre croissant.
    pub codes_postaux: Vec<CodePostal>,
}

/// Un EPCI à fiscalité propre, ou un EPT de la Métropole du Grand Paris.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"siren": "200057867", "nom": "Plaine Commune", "type": "EPT", "population": 455226}))]
pub struct Epci {
    /// SIREN du groupement.
    pub siren: Siren,
    /// Nom officiel.
    pub nom: String,
    /// Catégorie juridique.
    #[serde(rename = "type")]
    pub type_: EpciType,
    /// Population totale, quand elle est connue.
    pub population: Option<i64>,
}

/// Une commune membre d'un EPCI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EpciMembre {
    /// Code INSEE de la commune.
    pub code_insee: CodeInsee,
    /// Nom de la commune.
    pub nom: String,
    /// Code du département de la commune.
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

/// The codes of the départements of the référentiel shipped in the binary
/// (`data/referentiel/departements.tsv`, what start-up loads): a token's scope may only name
/// these.
pub fn departements_connus() -> &'static std::collections::BTreeSet<String> {
    static CODES: std::sync::LazyLock<std::collections::BTreeSet<String>> =
        std::sync::LazyLock::new(|| {
            include_str!("../../data/referentiel/departements.tsv")
                .lines()
                .skip(1)
                .filter_map(|line| line.split('\t').next())
                .filter(|code| !code.trim().is_empty())
                .map(|code| code.trim().to_owned())
                .collect()
        });
    &CODES
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
    #[test]
    fn the_shipped_departements_are_known() {
        let known = super::departements_connus();
        assert!(known.len() >= 100, "{}", known.len());
        for code in ["01", "2A", "2B", "93", "971", "976"] {
            assert!(known.contains(code), "{code}");
        }
        for code in ["20", "96", "999", "code"] {
            assert!(!known.contains(code), "{code}");
        }
    }

    use super::*;

    #[test]
    fn search_key_ignores_case_accents_and_punctuation() {
        for (name, key) in [
            ("Épinay-sur-Seine", "epinay sur seine"),
            ("L'Île-Saint-Denis", "l ile saint denis"),
            ("  saint   DENIS ", "saint denis"),
            ("Œuilly", "oeuilly"),
            ("---", ""),
            ("Ørsted Łódź ÆØ", "orsted lodz aeo"),
            // Letters outside the Latin script separate words; they never reach the key.
            ("Москва 2024", "2024"),
        ] {
            assert_eq!(search_key(name), key, "{name}");
        }
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

//! The codes of the programme's data, each declared once with [`code_type!`](crate::code_type):
//! the form checked here is the pattern the spec publishes and the one the path extractor, serde
//! and storage enforce.
//!
//! Codes are strings: `"2A"`, `"971"`, `"93066"` are not numbers.

use crate::code_type;

fn all_digits(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_digit())
}

fn digits(value: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&value.len()) && all_digits(value)
}

code_type! {
    /// Code INSEE d'une région : deux chiffres, trois pour les collectivités d'outre-mer (`"11"`,
    /// `"975"`).
    CodeRegion, pattern = "^[0-9]{2,3}$",
    check = |code| digits(code, 2..=3)
}

code_type! {
    /// Code d'un département : `"01"`…`"95"`, `"2A"`, `"2B"`, `"971"`…`"989"` (une chaîne, pas un
    /// nombre).
    CodeDepartement, pattern = "^(?:[0-9]{2,3}|2[AB])$",
    check = |code| code == "2A" || code == "2B" || digits(code, 2..=3)
}

code_type! {
    /// Code INSEE d'une commune : la partie département puis trois chiffres (`"93066"`, `"2A004"`).
    CodeInsee, pattern = "^(?:[0-9]{2}|2[AB])[0-9]{3}$",
    check = |code| {
        code.len() == 5
            && code.is_char_boundary(2)
            && (all_digits(&code[..2]) || &code[..2] == "2A" || &code[..2] == "2B")
            && all_digits(&code[2..])
    }
}

code_type! {
    /// Code postal : cinq chiffres.
    CodePostal, pattern = "^[0-9]{5}$",
    check = |code| digits(code, 5..=5)
}

code_type! {
    /// SIREN : neuf chiffres (la clé n'est pas vérifiée : le référentiel fait foi).
    Siren, pattern = "^[0-9]{9}$",
    check = |code| digits(code, 9..=9)
}

code_type! {
    /// SIRET : quatorze chiffres dont la clé de Luhn est valide. Exception connue : La Poste
    /// (SIREN 356000000), dont les SIRET ont une somme de chiffres multiple de 5.
    Siret, pattern = "^[0-9]{14}$",
    check = |code| digits(code, 14..=14) && siret_key_is_valid(code)
}

code_type! {
    /// Quatorze chiffres : la forme d'un SIRET, sans contrôle de sa clé (un filtre de recherche ;
    /// un SIRET que sa clé refuse ne trouve simplement rien).
    SiretRecherche, pattern = "^[0-9]{14}$",
    check = |code| digits(code, 14..=14)
}

/// SIREN of La Poste, whose SIRETs follow their own key rule.
pub const SIREN_LA_POSTE: &str = "356000000";

/// The Luhn check of a SIRET, with La Poste's exception (sum of digits multiple of 5).
fn siret_key_is_valid(siret: &str) -> bool {
    let digits: Vec<u32> = siret.bytes().map(|b| u32::from(b - b'0')).collect();
    luhn(&digits) || (siret.starts_with(SIREN_LA_POSTE) && digits.iter().sum::<u32>() % 5 == 0)
}

/// The Luhn checksum: from the right, every second digit doubled (minus 9 above 9); valid when the
/// sum is a multiple of 10.
pub fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(index, &digit)| {
            if index % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    sum % 10 == 0
}

impl Siret {
    /// The SIREN: the first nine digits.
    pub fn siren(&self) -> Siren {
        Siren(self.as_str()[..9].to_owned())
    }
}

impl CodeInsee {
    /// The département part of the code (`"93"`, `"2A"`, `"974"` for overseas communes).
    pub fn departement(&self) -> CodeDepartement {
        let code = self.as_str();
        let length = if code.starts_with("97") || code.starts_with("98") {
            3
        } else {
            2
        };
        CodeDepartement(code[..length].to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        for code in ["01", "93", "2A", "2B", "971", "989"] {
            assert!(CodeDepartement::is_valid(code), "{code}");
        }
        for code in ["1", "2a", "2C", "9711", "", "A1", "é1"] {
            assert!(!CodeDepartement::is_valid(code), "{code}");
        }
        for code in ["93066", "2A004", "2B033", "97411", "01001"] {
            assert!(CodeInsee::is_valid(code), "{code}");
        }
        for code in ["9306", "930666", "2C004", "2A00A", "é3066", "ABCDE"] {
            assert!(!CodeInsee::is_valid(code), "{code}");
        }
        assert!(CodeRegion::is_valid("11") && CodeRegion::is_valid("975"));
        assert!(!CodeRegion::is_valid("1") && !CodeRegion::is_valid("1a"));
        assert!(!CodeRegion::is_valid("9750"));
        assert!(CodePostal::is_valid("93200") && !CodePostal::is_valid("9320A"));
        assert!(Siren::is_valid("200057867") && !Siren::is_valid("20005786X"));
    }

    #[test]
    fn siret_key() {
        // Plaine Commune's SIREN with a valid key; one digit changed breaks it.
        assert!(Siret::is_valid("20005786700018"));
        assert!(!Siret::is_valid("20005786700017"));
        assert!(!Siret::is_valid("2000578670001"));
        assert!(!Siret::is_valid("2000578670001A"));
        // La Poste: its head office passes Luhn; its other SIRETs have a digit sum multiple of 5.
        assert!(Siret::is_valid("35600000000048"));
        assert!(Siret::is_valid("35600000049837"));
        assert!(!Siret::is_valid("35600000049838"));
        assert_eq!(
            Siret::parse("92993941100013").unwrap().siren().as_str(),
            "929939411"
        );
    }

    #[test]
    fn parse_says_what_was_expected() {
        let error = CodeDepartement::parse("7").unwrap_err();
        assert_eq!(error.value, "7");
        assert!(error.expected.contains(CodeDepartement::PATTERN));
        let code: CodeDepartement = serde_json::from_str("\"2A\"").unwrap();
        assert_eq!(code, "2A");
        assert!(serde_json::from_str::<CodeDepartement>("\"2C\"").is_err());
        assert_eq!(
            CodeInsee::parse("97411").unwrap().departement().as_str(),
            "974"
        );
        assert_eq!(
            CodeInsee::parse("2A004").unwrap().departement().as_str(),
            "2A"
        );
    }

    #[test]
    fn the_published_pattern_is_the_check() {
        // Every value the check accepts matches the pattern and vice versa, on a spread of inputs.
        fn matches(pattern: &str, value: &str) -> bool {
            // A tiny matcher for these anchored patterns: built from the pattern's own alternatives.
            match pattern {
                "^[0-9]{2,3}$" => (2..=3).contains(&value.len()) && all_digits(value),
                "^(?:[0-9]{2,3}|2[AB])$" => {
                    value == "2A"
                        || value == "2B"
                        || ((2..=3).contains(&value.len()) && all_digits(value))
                }
                "^(?:[0-9]{2}|2[AB])[0-9]{3}$" => {
                    value.len() == 5
                        && value.is_char_boundary(2)
                        && (all_digits(&value[..2]) || ["2A", "2B"].contains(&&value[..2]))
                        && all_digits(&value[2..])
                }
                "^[0-9]{5}$" => value.len() == 5 && all_digits(value),
                "^[0-9]{9}$" => value.len() == 9 && all_digits(value),
                "^[0-9]{14}$" => value.len() == 14 && all_digits(value),
                other => panic!("pattern without a reference matcher: {other}"),
            }
        }
        let samples = [
            "",
            "1",
            "11",
            "975",
            "9750",
            "2A",
            "2B",
            "2C",
            "93066",
            "2A004",
            "2C004",
            "93200",
            "200057867",
            "A1",
            "é1",
            "00",
            "1234567890",
            "20005786700018",
            "20005786700019",
            "2000578670001A",
        ];
        /// A code type: its name, its checker and its documented pattern.
        type Checked<'a> = (&'a str, fn(&str) -> bool, &'a str);
        let codes: [Checked<'_>; 6] = [
            ("CodeRegion", CodeRegion::is_valid, CodeRegion::PATTERN),
            (
                "CodeDepartement",
                CodeDepartement::is_valid,
                CodeDepartement::PATTERN,
            ),
            ("CodeInsee", CodeInsee::is_valid, CodeInsee::PATTERN),
            ("CodePostal", CodePostal::is_valid, CodePostal::PATTERN),
            ("Siren", Siren::is_valid, Siren::PATTERN),
            (
                "SiretRecherche",
                SiretRecherche::is_valid,
                SiretRecherche::PATTERN,
            ),
        ];
        for sample in samples {
            for (name, is_valid, pattern) in codes {
                assert_eq!(
                    is_valid(sample),
                    matches(pattern, sample),
                    "{name} on {sample:?}"
                );
            }
        }
    }
}

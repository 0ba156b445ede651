//! The SMIC (salaire minimum interprofessionnel de croissance) in force on a date: a contract's
//! gross monthly salary, when given, is at least the full-time monthly SMIC on its first day.
//!
//! The amounts are those of the décrets and arrêtés that set them, in `data/smic.tsv` (each line
//! with its text and where it was checked), embedded at build time. Mayotte (département 976)
//! has its own SMIC; every other département the national one.

use std::sync::LazyLock;

use chrono::NaiveDate;

use super::codes::CodeDepartement;
use super::refusal::{FieldError, Refusal, RefusalCode, RefusalKind};

/// One revaluation of the SMIC on a territory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smic {
    /// First day it applies.
    pub date_effet: NaiveDate,
    /// `true` for Mayotte's SMIC, `false` for the national one.
    pub mayotte: bool,
    /// Gross monthly amount for 35 hours a week, in cents.
    pub mensuel_centimes: i64,
    /// The décret or arrêté that set it.
    pub texte: String,
}

/// The shipped table, by date.
static TABLE: LazyLock<Vec<Smic>> = LazyLock::new(|| {
    parse(include_str!("../../data/smic.tsv")).expect("data/smic.tsv is checked by its tests")
});

/// Reads the table (header, then `date_effet, territoire, horaire_brut, mensuel_brut_35h, texte,
/// …` tab-separated), sorted by date.
fn parse(text: &str) -> Result<Vec<Smic>, String> {
    let mut lines = text.lines();
    lines.next().ok_or("empty table")?;
    let mut table = Vec::new();
    for (number, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [date, territoire, _horaire, mensuel, texte, ..] = fields[..] else {
            return Err(format!("line {}: expected 7 fields", number + 2));
        };
        let date_effet = date
            .parse()
            .map_err(|e| format!("line {}: date {date}: {e}", number + 2))?;
        let mayotte = match territoire {
            "national" => false,
            "mayotte" => true,
            other => return Err(format!("line {}: territory {other}", number + 2)),
        };
        table.push(Smic {
            date_effet,
            mayotte,
            mensuel_centimes: cents(mensuel)
                .ok_or(format!("line {}: amount {mensuel}", number + 2))?,
            texte: texte.to_owned(),
        });
    }
    table.sort_by_key(|s| s.date_effet);
    Ok(table)
}

/// `1554.58` → 155458.
fn cents(amount: &str) -> Option<i64> {
    let (euros, centimes) = amount.split_once('.')?;
    if centimes.len() != 2 {
        return None;
    }
    Some(euros.parse::<i64>().ok()? * 100 + centimes.parse::<i64>().ok()?)
}

/// The SMIC in force on `date` in `departement` (`None` before the table's first line).
pub fn en_vigueur(date: NaiveDate, departement: &CodeDepartement) -> Option<&'static Smic> {
    let mayotte = departement.as_str() == "976";
    TABLE
        .iter()
        .rev()
        .find(|s| s.mayotte == mayotte && s.date_effet <= date)
}

/// 422: a salary under the SMIC in force.
pub const SALAIRE_INFERIEUR_SMIC: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "salaire_inferieur_smic",
    title: "Salaire inférieur au SMIC",
    example: "salaire_brut_mensuel_centimes (150000) est inférieur au SMIC mensuel brut en vigueur le 2024-01-15 (176692, décret n° 2023-1216 du 20 décembre 2023).",
};

/// A gross monthly salary (cents) is at least the SMIC in force on `date` in `departement`
/// (422 `salaire_inferieur_smic` on `/salaire_brut_mensuel_centimes`, naming the amount and its
/// text).
pub fn check_salaire(
    salaire: i64,
    date: NaiveDate,
    departement: &CodeDepartement,
) -> Result<(), Refusal> {
    let Some(smic) = en_vigueur(date, departement) else {
        return Ok(());
    };
    if salaire >= smic.mensuel_centimes {
        return Ok(());
    }
    let detail = format!(
        "salaire_brut_mensuel_centimes ({salaire}) est inférieur au SMIC mensuel brut en vigueur le {date} ({}, {}).",
        smic.mensuel_centimes, smic.texte
    );
    Err(Refusal::new(&SALAIRE_INFERIEUR_SMIC, detail.clone())
        .with_error(FieldError::pointer(
            "/salaire_brut_mensuel_centimes",
            detail,
        ))
        .with_member("smic_mensuel_brut_centimes", smic.mensuel_centimes)
        .with_member("texte", smic.texte.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn departement(code: &str) -> CodeDepartement {
        CodeDepartement::parse(code).unwrap()
    }

    #[test]
    fn the_shipped_table_reads_and_each_revaluation_has_both_territories() {
        let table = parse(include_str!("../../data/smic.tsv")).unwrap();
        assert!(table.len() >= 22);
        for s in &table {
            assert!(
                table
                    .iter()
                    .any(|o| o.date_effet == s.date_effet && o.mayotte != s.mayotte),
                "{} has both territories",
                s.date_effet
            );
            assert!(s.texte.starts_with("Décret") || s.texte.starts_with("Arrêté"));
        }
        // Each revaluation raises the amount on its territory.
        for mayotte in [false, true] {
            let amounts: Vec<i64> = table
                .iter()
                .filter(|s| s.mayotte == mayotte)
                .map(|s| s.mensuel_centimes)
                .collect();
            assert!(amounts.windows(2).all(|w| w[0] < w[1]), "{amounts:?}");
        }
    }

    #[test]
    fn the_amount_in_force_is_the_last_revaluation_on_or_before_the_date() {
        let paris = departement("75");
        assert_eq!(en_vigueur(date("2019-12-31"), &paris), None);
        assert_eq!(
            en_vigueur(date("2021-01-01"), &paris)
                .unwrap()
                .mensuel_centimes,
            155458
        );
        assert_eq!(
            en_vigueur(date("2021-09-30"), &paris)
                .unwrap()
                .mensuel_centimes,
            155458
        );
        assert_eq!(
            en_vigueur(date("2021-10-01"), &paris)
                .unwrap()
                .mensuel_centimes,
            158947
        );
        assert_eq!(
            en_vigueur(date("2025-06-01"), &paris)
                .unwrap()
                .mensuel_centimes,
            180180
        );
        let mayotte = departement("976");
        assert_eq!(
            en_vigueur(date("2024-11-01"), &mayotte)
                .unwrap()
                .mensuel_centimes,
            136197
        );
        assert_eq!(
            en_vigueur(date("2024-11-01"), &departement("971"))
                .unwrap()
                .mensuel_centimes,
            180180
        );
    }

    #[test]
    fn a_salary_under_the_smic_is_refused_with_the_amount_and_its_text() {
        let d93 = departement("93");
        assert!(check_salaire(176692, date("2024-01-15"), &d93).is_ok());
        let refusal = check_salaire(176691, date("2024-01-15"), &d93).unwrap_err();
        assert_eq!(
            refusal.code_at(),
            (
                "salaire_inferieur_smic",
                Some("/salaire_brut_mensuel_centimes")
            )
        );
        assert_eq!(refusal.members["smic_mensuel_brut_centimes"], 176692);
        assert!(refusal.detail.contains("2023-1216"), "{}", refusal.detail);
        // Mayotte's own SMIC.
        assert!(check_salaire(136197, date("2025-03-01"), &departement("976")).is_ok());
        assert!(check_salaire(136197, date("2025-03-01"), &d93).is_err());
        // Before the table: nothing to check against.
        assert!(check_salaire(1, date("2019-06-01"), &d93).is_ok());
    }

    #[test]
    fn amounts_are_read_to_the_cent() {
        assert_eq!(cents("1554.58"), Some(155458));
        assert_eq!(cents("1554.5"), None);
        assert_eq!(cents("x.00"), None);
    }
}

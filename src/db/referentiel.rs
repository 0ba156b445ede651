//! The embedded référentiel territorial (`data/referentiel/`) and its load into the database.
//!
//! The load is idempotent: a checksum of the embedded files is kept in `referentiel_chargements`;
//! when it matches, nothing is done (a restart is ready at once); when it differs (first start, or
//! a newer extract shipped), every référentiel table is replaced in one write transaction.
//! Rows go in with multi-row `INSERT` statements (Diesel's multi-row insert does not compile on the
//! multi-backend connection, see `db::insert_rows!`); the SQL is the same on both backends.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::schema::referentiel_chargements;
use super::{DbConn, write};
use crate::domain::referentiel::search_key;

const REGIONS_TSV: &str = include_str!("../../data/referentiel/regions.tsv");
const DEPARTEMENTS_TSV: &str = include_str!("../../data/referentiel/departements.tsv");
const COMMUNES_TSV: &str = include_str!("../../data/referentiel/communes.tsv");
const EPCI_TSV: &str = include_str!("../../data/referentiel/epci.tsv");

/// Name of the data set in `referentiel_chargements`.
const DATA_SET: &str = "decoupage-administratif";
/// Rows per `INSERT` statement: large enough to be fast, small enough for any server limit.
const ROWS_PER_INSERT: usize = 500;

/// What [`load_if_needed`] did.
#[derive(Debug, Clone)]
pub enum LoadOutcome {
    /// The data with the same checksum was already there.
    AlreadyLoaded,
    /// The data was (re)loaded.
    Loaded {
        /// Number of communes written.
        communes: usize,
        /// Number of EPCI and EPT written.
        epci: usize,
        /// Time spent in the load transaction.
        elapsed: Duration,
    },
}

/// The checksum of the embedded data (FNV-1a, 64 bits): it changes whenever a file changes.
pub fn fingerprint() -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in [REGIONS_TSV, DEPARTEMENTS_TSV, COMMUNES_TSV, EPCI_TSV] {
        for byte in file.bytes().chain([0u8]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Whether the référentiel with the embedded checksum is in the database.
pub fn is_loaded(conn: &mut DbConn) -> QueryResult<bool> {
    let stored: Option<String> = referentiel_chargements::table
        .find(DATA_SET)
        .select(referentiel_chargements::empreinte)
        .first(conn)
        .optional()?;
    Ok(stored.as_deref() == Some(fingerprint().as_str()))
}

/// Loads the embedded référentiel unless the same data is already there.
pub fn load_if_needed(conn: &mut DbConn) -> Result<LoadOutcome, Box<dyn std::error::Error>> {
    if is_loaded(conn)? {
        return Ok(LoadOutcome::AlreadyLoaded);
    }
    let started = Instant::now();
    let data = EmbeddedData::parse()?;
    write(conn, |tx| -> QueryResult<()> {
        let conn = tx.conn();
        conn.batch_execute(
            "DELETE FROM epci_membres; DELETE FROM epci; DELETE FROM communes_codes_postaux; \
             DELETE FROM communes; DELETE FROM departements; DELETE FROM regions;",
        )?;
        for statement in data.insert_statements() {
            conn.batch_execute(&statement)?;
        }
        diesel::delete(referentiel_chargements::table.find(DATA_SET)).execute(conn)?;
        diesel::insert_into(referentiel_chargements::table)
            .values((
                referentiel_chargements::jeu.eq(DATA_SET),
                referentiel_chargements::empreinte.eq(fingerprint()),
                referentiel_chargements::charge_le
                    .eq(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(LoadOutcome::Loaded {
        communes: data.communes.len(),
        epci: data.epci.len(),
        elapsed: started.elapsed(),
    })
}

/// A malformed line in the embedded data (caught by the unit tests before it ships).
#[derive(Debug, thiserror::Error)]
#[error("données embarquées invalides : {file}, ligne {line} : {message}")]
pub struct DataError {
    file: &'static str,
    line: usize,
    message: String,
}

struct Region<'a> {
    code: &'a str,
    nom: &'a str,
    chef_lieu: Option<&'a str>,
    zone: &'a str,
}

struct Departement<'a> {
    code: &'a str,
    nom: &'a str,
    region: &'a str,
    chef_lieu: Option<&'a str>,
    zone: &'a str,
}

struct Commune<'a> {
    code_insee: &'a str,
    nom: &'a str,
    departement: &'a str,
    region: &'a str,
    siren: Option<&'a str>,
    population: Option<i64>,
    codes_postaux: Vec<&'a str>,
}

struct Epci<'a> {
    siren: &'a str,
    nom: &'a str,
    type_: &'a str,
    population: Option<i64>,
    membres: Vec<&'a str>,
}

struct EmbeddedData<'a> {
    regions: Vec<Region<'a>>,
    departements: Vec<Departement<'a>>,
    communes: Vec<Commune<'a>>,
    epci: Vec<Epci<'a>>,
}

/// Splits a TSV file into rows of exactly `N` fields, skipping the header.
fn rows<const N: usize>(
    file: &'static str,
    text: &'static str,
) -> impl Iterator<Item = Result<(usize, [&'static str; N]), DataError>> {
    text.lines().enumerate().skip(1).map(move |(index, line)| {
        let fields: Vec<&str> = line.split('\t').collect();
        let fields: [&str; N] = fields.try_into().map_err(|fields: Vec<&str>| DataError {
            file,
            line: index + 1,
            message: format!("{} champs au lieu de {N}", fields.len()),
        })?;
        Ok((index + 1, fields))
    })
}

fn optional(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

fn optional_number(file: &'static str, line: usize, value: &str) -> Result<Option<i64>, DataError> {
    optional(value)
        .map(|v| {
            v.parse().map_err(|_| DataError {
                file,
                line,
                message: format!("nombre attendu : « {v} »"),
            })
        })
        .transpose()
}

fn words(value: &str) -> Vec<&str> {
    value.split(' ').filter(|w| !w.is_empty()).collect()
}

impl EmbeddedData<'static> {
    fn parse() -> Result<Self, DataError> {
        let regions = rows::<4>("regions.tsv", REGIONS_TSV)
            .map(|row| {
                let (_, [code, nom, chef_lieu, zone]) = row?;
                Ok(Region {
                    code,
                    nom,
                    chef_lieu: optional(chef_lieu),
                    zone,
                })
            })
            .collect::<Result<_, DataError>>()?;
        let departements = rows::<5>("departements.tsv", DEPARTEMENTS_TSV)
            .map(|row| {
                let (_, [code, nom, region, chef_lieu, zone]) = row?;
                Ok(Departement {
                    code,
                    nom,
                    region,
                    chef_lieu: optional(chef_lieu),
                    zone,
                })
            })
            .collect::<Result<_, DataError>>()?;
        let communes = rows::<7>("communes.tsv", COMMUNES_TSV)
            .map(|row| {
                let (
                    line,
                    [
                        code_insee,
                        nom,
                        departement,
                        region,
                        siren,
                        population,
                        codes,
                    ],
                ) = row?;
                Ok(Commune {
                    code_insee,
                    nom,
                    departement,
                    region,
                    siren: optional(siren),
                    population: optional_number("communes.tsv", line, population)?,
                    codes_postaux: words(codes),
                })
            })
            .collect::<Result<_, DataError>>()?;
        let epci = rows::<5>("epci.tsv", EPCI_TSV)
            .map(|row| {
                let (line, [siren, nom, type_, population, membres]) = row?;
                Ok(Epci {
                    siren,
                    nom,
                    type_,
                    population: optional_number("epci.tsv", line, population)?,
                    membres: words(membres),
                })
            })
            .collect::<Result<_, DataError>>()?;
        Ok(EmbeddedData {
            regions,
            departements,
            communes,
            epci,
        })
    }

    /// The `INSERT` statements, parents before children.
    fn insert_statements(&self) -> Vec<String> {
        let mut statements = Vec::new();
        multi_row_insert(
            &mut statements,
            "regions (code, nom, chef_lieu, zone)",
            self.regions.iter().map(|r| {
                vec![
                    Value::Text(r.code),
                    Value::Text(r.nom),
                    Value::OptText(r.chef_lieu),
                    Value::Text(r.zone),
                ]
            }),
        );
        multi_row_insert(
            &mut statements,
            "departements (code, nom, region, chef_lieu, zone)",
            self.departements.iter().map(|d| {
                vec![
                    Value::Text(d.code),
                    Value::Text(d.nom),
                    Value::Text(d.region),
                    Value::OptText(d.chef_lieu),
                    Value::Text(d.zone),
                ]
            }),
        );
        multi_row_insert(
            &mut statements,
            "communes (code_insee, nom, nom_recherche, departement, region, siren, population)",
            self.communes.iter().map(|c| {
                vec![
                    Value::Text(c.code_insee),
                    Value::Text(c.nom),
                    Value::Owned(search_key(c.nom)),
                    Value::Text(c.departement),
                    Value::Text(c.region),
                    Value::OptText(c.siren),
                    Value::OptNumber(c.population),
                ]
            }),
        );
        multi_row_insert(
            &mut statements,
            "communes_codes_postaux (code_postal, code_insee)",
            self.communes.iter().flat_map(|c| {
                c.codes_postaux
                    .iter()
                    .map(|cp| vec![Value::Text(cp), Value::Text(c.code_insee)])
            }),
        );
        multi_row_insert(
            &mut statements,
            "epci (siren, nom, nom_recherche, type, population)",
            self.epci.iter().map(|e| {
                vec![
                    Value::Text(e.siren),
                    Value::Text(e.nom),
                    Value::Owned(search_key(e.nom)),
                    Value::Text(e.type_),
                    Value::OptNumber(e.population),
                ]
            }),
        );
        multi_row_insert(
            &mut statements,
            "epci_membres (epci_siren, code_insee)",
            self.epci.iter().flat_map(|e| {
                e.membres
                    .iter()
                    .map(|code| vec![Value::Text(e.siren), Value::Text(code)])
            }),
        );
        statements
    }
}

/// A value written as an SQL literal. Only the embedded data goes through here, never user input;
/// quotes are still doubled so that any name is written as it is.
enum Value<'a> {
    Text(&'a str),
    Owned(String),
    OptText(Option<&'a str>),
    OptNumber(Option<i64>),
}

impl Value<'_> {
    fn write(&self, sql: &mut String) {
        let text = match self {
            Value::Text(text) | Value::OptText(Some(text)) => text,
            Value::Owned(text) => text.as_str(),
            Value::OptText(None) | Value::OptNumber(None) => {
                sql.push_str("NULL");
                return;
            }
            Value::OptNumber(Some(number)) => {
                let _ = write!(sql, "{number}");
                return;
            }
        };
        sql.push('\'');
        sql.push_str(&text.replace('\'', "''"));
        sql.push('\'');
    }
}

fn multi_row_insert<'a>(
    statements: &mut Vec<String>,
    target: &str,
    rows: impl Iterator<Item = Vec<Value<'a>>>,
) {
    let mut sql = String::new();
    let mut count = 0;
    for row in rows {
        if count == 0 {
            sql = format!("INSERT INTO {target} VALUES ");
        } else {
            sql.push(',');
        }
        sql.push('(');
        for (index, value) in row.iter().enumerate() {
            if index > 0 {
                sql.push(',');
            }
            value.write(&mut sql);
        }
        sql.push(')');
        count += 1;
        if count == ROWS_PER_INSERT {
            statements.push(std::mem::take(&mut sql));
            count = 0;
        }
    }
    if count > 0 {
        statements.push(sql);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::{CodeDepartement, CodeInsee, CodePostal, Siren};

    fn is_departement_code(code: &str) -> bool {
        CodeDepartement::is_valid(code)
    }
    fn is_code_insee(code: &str) -> bool {
        CodeInsee::is_valid(code)
    }
    fn is_code_postal(code: &str) -> bool {
        CodePostal::is_valid(code)
    }
    fn is_siren(code: &str) -> bool {
        Siren::is_valid(code)
    }
    use std::collections::HashSet;

    #[test]
    fn embedded_data_parses_and_is_consistent() {
        let data = EmbeddedData::parse().expect("embedded data parses");
        assert_eq!(data.regions.len(), 26);
        assert_eq!(data.departements.len(), 109);
        assert_eq!(data.communes.len(), 34_969);
        assert_eq!(data.epci.len(), 1_266);
        let departements: HashSet<_> = data.departements.iter().map(|d| d.code).collect();
        let communes: HashSet<_> = data.communes.iter().map(|c| c.code_insee).collect();
        assert!(departements.iter().all(|code| is_departement_code(code)));
        for commune in &data.communes {
            assert!(is_code_insee(commune.code_insee), "{}", commune.code_insee);
            assert!(departements.contains(commune.departement));
            assert!(commune.siren.is_none_or(is_siren));
            assert!(commune.codes_postaux.iter().all(|cp| is_code_postal(cp)));
        }
        for epci in &data.epci {
            assert!(is_siren(epci.siren));
            assert!(epci.membres.iter().all(|code| communes.contains(code)));
        }
    }

    #[test]
    fn literals_double_quotes_and_write_nulls() {
        let mut statements = Vec::new();
        multi_row_insert(
            &mut statements,
            "t (a, b, c)",
            [vec![
                Value::Text("L'Haÿ-les-Roses"),
                Value::OptText(None),
                Value::OptNumber(Some(31_000)),
            ]]
            .into_iter(),
        );
        assert_eq!(
            statements,
            ["INSERT INTO t (a, b, c) VALUES ('L''Haÿ-les-Roses',NULL,31000)"]
        );
    }

    #[test]
    fn rows_are_chunked() {
        let mut statements = Vec::new();
        let rows = (0..ROWS_PER_INSERT * 2 + 1).map(|i| vec![Value::OptNumber(Some(i as i64))]);
        multi_row_insert(&mut statements, "t (a)", rows);
        assert_eq!(statements.len(), 3);
        assert!(statements[2].ends_with("VALUES (1000)"));
    }
}

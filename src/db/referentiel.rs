//! The embedded référentiel territorial (`data/referentiel/`) and its load into the database.
//!
//! The load is idempotent: a checksum of the embedded files is kept in `referentiel_chargements`;
//! when it matches, nothing is done (a restart is ready at once); when it differs (first start, or
//! a newer extract shipped), the référentiel tables are brought to the new extract in one write
//! transaction, without touching what references them (structures, conventions):
//!
//! - régions, départements, communes and EPCI are upserted (`INSERT … ON CONFLICT (key) DO UPDATE`,
//!   the same SQL on both backends): a row whose values changed is updated in place, an unchanged
//!   row is left alone, a new one is inserted; every commune of the extract is *current*
//!   (`communes.actuelle`);
//! - the link tables nothing references (`communes_codes_postaux`, `epci_membres`) are replaced
//!   whole;
//! - a row that left the extract is deleted unless something still references it (see
//!   [`COMMUNES`], [`DEPARTEMENTS`], [`REGIONS`], [`EPCI`] below); a commune kept that way stays
//!   with its last values but is no longer current: the référentiel reads skip it and a new
//!   structure cannot take it as its seat. A département or région kept that way stays as it was
//!   (it cannot be flagged; the log says so).
//!
//! A table that comes to reference the référentiel must be added to those lists, or a reload
//! after its rows appear fails on the foreign key (and rolls back: the previous data stays).
//! `tests/registries.rs` compares them with the foreign keys of both migrated databases.
//!
//! Rows go in with multi-row statements of literal SQL (Diesel's multi-row insert does not compile
//! on the multi-backend connection, see `db::insert_rows!`), a few hundred rows each.
//! [`load_extract`] loads TSV text of the same format as the embedded files, for tests and tools.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::schema::{communes, departements, epci, referentiel_chargements, regions};
use super::{DbConn, write};
use crate::domain::referentiel::search_key;

const REGIONS_TSV: &str = include_str!("../../data/referentiel/regions.tsv");
const DEPARTEMENTS_TSV: &str = include_str!("../../data/referentiel/departements.tsv");
const COMMUNES_TSV: &str = include_str!("../../data/referentiel/communes.tsv");
const EPCI_TSV: &str = include_str!("../../data/referentiel/epci.tsv");

/// Name of the data set in `referentiel_chargements`.
const DATA_SET: &str = "decoupage-administratif";
/// Rows per `INSERT` statement (and codes per `IN` list): large enough to be fast, small enough
/// for any server limit (the values are literals: no bind parameters).
const ROWS_PER_INSERT: usize = 500;

/// A référentiel table and what references its key, as `(table, column)` pairs: a row that left
/// the extract is only deleted when none of these points at it. The link tables
/// (`communes_codes_postaux`, `epci_membres`) are listed too: once replaced, they only hold rows of
/// the extract.
///
/// Public so that `tests/registries.rs` can hold each list equal to the foreign keys of the
/// migrated databases (a forgotten table would make a reload fail once its rows appear).
#[derive(Debug)]
pub struct Referenced {
    /// The référentiel table.
    pub table: &'static str,
    /// Its key column.
    pub key: &'static str,
    /// Every `(table, column)` whose foreign key points at that key.
    pub by: &'static [(&'static str, &'static str)],
}

/// Every référentiel table a reload may delete rows from, with what references it.
pub const REFERENCED: [&Referenced; 4] = [&REGIONS, &DEPARTEMENTS, &COMMUNES, &EPCI];

/// What references a commune.
pub const COMMUNES: Referenced = Referenced {
    table: "communes",
    key: "code_insee",
    by: &[
        ("structures", "code_insee"),
        ("lieux", "code_insee"),
        ("activites", "code_insee"),
        ("communes_codes_postaux", "code_insee"),
        ("epci_membres", "code_insee"),
    ],
};
/// What references a département.
pub const DEPARTEMENTS: Referenced = Referenced {
    table: "departements",
    key: "code",
    by: &[
        ("communes", "departement"),
        ("structures", "departement"),
        ("conventions", "departement"),
        ("conventions_numeros", "departement"),
        ("enveloppes", "perimetre_departement"),
        ("enveloppes_departements", "departement"),
        ("engagements", "departement"),
        ("lieux", "departement"),
        ("conseillers", "departement"),
        ("postes", "departement"),
        ("contrats", "departement"),
        ("activites", "departement"),
        ("activites_jour", "departement"),
        ("activites_mois", "departement"),
    ],
};
/// What references a région.
pub const REGIONS: Referenced = Referenced {
    table: "regions",
    key: "code",
    by: &[("departements", "region"), ("communes", "region")],
};
/// What references an EPCI.
pub const EPCI: Referenced = Referenced {
    table: "epci",
    key: "siren",
    by: &[("epci_membres", "epci_siren")],
};

/// What [`load_if_needed`] did.
#[derive(Debug, Clone)]
pub enum LoadOutcome {
    /// The data with the same checksum was already there.
    AlreadyLoaded,
    /// The data was (re)loaded.
    Loaded {
        /// Number of communes in the extract (all current).
        communes: usize,
        /// Number of EPCI and EPT in the extract.
        epci: usize,
        /// Communes of the previous data that left the extract and were deleted.
        communes_removed: usize,
        /// Communes not in the extract kept because something references them (not current).
        communes_retained: usize,
        /// Time spent parsing the extract and in the load transaction.
        elapsed: Duration,
    },
}

/// The checksum of the embedded data (FNV-1a, 64 bits): it changes whenever a file changes.
pub fn fingerprint() -> String {
    fingerprint_of([REGIONS_TSV, DEPARTEMENTS_TSV, COMMUNES_TSV, EPCI_TSV])
}

fn fingerprint_of(files: [&str; 4]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
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
    load_since(conn, &Extract::embedded()?, &fingerprint(), started)
}

/// Loads an extract given as the text of its four TSV files (the format of `data/referentiel/`,
/// header line included), whatever is loaded; its checksum is recorded as the loaded one, so the
/// next start loads the embedded data again. For tests and tools.
pub fn load_extract(
    conn: &mut DbConn,
    regions_tsv: &str,
    departements_tsv: &str,
    communes_tsv: &str,
    epci_tsv: &str,
) -> Result<LoadOutcome, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let extract = Extract::parse(regions_tsv, departements_tsv, communes_tsv, epci_tsv)?;
    let fingerprint = fingerprint_of([regions_tsv, departements_tsv, communes_tsv, epci_tsv]);
    load_since(conn, &extract, &fingerprint, started)
}

/// Brings the référentiel tables to `extract` (see the module documentation) and records
/// `fingerprint` as the loaded checksum, in one write transaction.
pub fn load(
    conn: &mut DbConn,
    extract: &Extract<'_>,
    fingerprint: &str,
) -> Result<LoadOutcome, Box<dyn std::error::Error>> {
    load_since(conn, extract, fingerprint, Instant::now())
}

/// [`load`], its time counted from `started`.
fn load_since(
    conn: &mut DbConn,
    extract: &Extract<'_>,
    fingerprint: &str,
    started: Instant,
) -> Result<LoadOutcome, Box<dyn std::error::Error>> {
    let (communes_removed, communes_retained) = write(conn, |tx| -> QueryResult<_> {
        let conn = tx.conn();
        // What is there before: what is not in the extract any more goes (if it can) at the end.
        let previous = PreviousKeys::read(conn)?;
        conn.batch_execute("DELETE FROM epci_membres; DELETE FROM communes_codes_postaux;")?;
        for statement in extract.statements() {
            conn.batch_execute(&statement)?;
        }
        let vanished_communes = vanished(
            &previous.communes,
            extract.communes.iter().map(|c| c.code_insee),
        );
        let communes_removed = delete_unreferenced(conn, &COMMUNES, &vanished_communes)?;
        let communes_retained = vanished_communes.len() - communes_removed;
        for chunk in vanished_communes.chunks(ROWS_PER_INSERT) {
            let mut sql = String::from(
                "UPDATE communes SET actuelle = FALSE WHERE actuelle AND code_insee IN ",
            );
            in_list(&mut sql, chunk);
            conn.batch_execute(&sql)?;
        }
        let vanished_departements = vanished(
            &previous.departements,
            extract.departements.iter().map(|d| d.code),
        );
        let removed = delete_unreferenced(conn, &DEPARTEMENTS, &vanished_departements)?;
        if removed < vanished_departements.len() {
            log::warn!(
                "{} département(s) absent(s) de l'extrait conservé(s) car référencé(s)",
                vanished_departements.len() - removed
            );
        }
        let vanished_regions = vanished(&previous.regions, extract.regions.iter().map(|r| r.code));
        let removed = delete_unreferenced(conn, &REGIONS, &vanished_regions)?;
        if removed < vanished_regions.len() {
            log::warn!(
                "{} région(s) absente(s) de l'extrait conservée(s) car référencée(s)",
                vanished_regions.len() - removed
            );
        }
        let vanished_epci = vanished(&previous.epci, extract.epci.iter().map(|e| e.siren));
        delete_unreferenced(conn, &EPCI, &vanished_epci)?;

        diesel::delete(referentiel_chargements::table.find(DATA_SET)).execute(conn)?;
        diesel::insert_into(referentiel_chargements::table)
            .values((
                referentiel_chargements::jeu.eq(DATA_SET),
                referentiel_chargements::empreinte.eq(fingerprint),
                referentiel_chargements::charge_le
                    .eq(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            ))
            .execute(conn)?;
        Ok((communes_removed, communes_retained))
    })?;
    Ok(LoadOutcome::Loaded {
        communes: extract.communes.len(),
        epci: extract.epci.len(),
        communes_removed,
        communes_retained,
        elapsed: started.elapsed(),
    })
}

/// The keys of the référentiel tables before a load.
struct PreviousKeys {
    regions: Vec<String>,
    departements: Vec<String>,
    communes: Vec<String>,
    epci: Vec<String>,
}

impl PreviousKeys {
    fn read(conn: &mut DbConn) -> QueryResult<PreviousKeys> {
        Ok(PreviousKeys {
            regions: regions::table.select(regions::code).load(conn)?,
            departements: departements::table.select(departements::code).load(conn)?,
            communes: communes::table.select(communes::code_insee).load(conn)?,
            epci: epci::table.select(epci::siren).load(conn)?,
        })
    }
}

/// The keys of `previous` that are not in `current`.
fn vanished<'k>(previous: &'k [String], current: impl Iterator<Item = &'k str>) -> Vec<&'k str> {
    if previous.is_empty() {
        return Vec::new();
    }
    let current: HashSet<&str> = current.collect();
    previous
        .iter()
        .map(String::as_str)
        .filter(|key| !current.contains(key))
        .collect()
}

/// Deletes the rows of `table` with these keys that nothing references; returns how many went.
fn delete_unreferenced(conn: &mut DbConn, table: &Referenced, keys: &[&str]) -> QueryResult<usize> {
    let Referenced {
        table: name,
        key,
        by,
    } = table;
    let mut deleted = 0;
    for chunk in keys.chunks(ROWS_PER_INSERT) {
        let mut sql = format!("DELETE FROM {name} WHERE {key} IN ");
        in_list(&mut sql, chunk);
        for (other, column) in by.iter() {
            let _ = write!(
                sql,
                " AND NOT EXISTS (SELECT 1 FROM {other} r WHERE r.{column} = {name}.{key})"
            );
        }
        deleted += diesel::sql_query(sql).execute(conn)?;
    }
    Ok(deleted)
}

/// Appends `('a','b',…)` to `sql`.
fn in_list(sql: &mut String, keys: &[&str]) {
    sql.push('(');
    for (index, key) in keys.iter().enumerate() {
        if index > 0 {
            sql.push(',');
        }
        Value::Text(key).write(sql);
    }
    sql.push(')');
}

/// A malformed line in an extract (caught by the unit tests before the embedded one ships).
#[derive(Debug, thiserror::Error)]
#[error("données du référentiel invalides : {file}, ligne {line} : {message}")]
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

/// A parsed extract of the référentiel, borrowing the text of its files.
pub struct Extract<'a> {
    regions: Vec<Region<'a>>,
    departements: Vec<Departement<'a>>,
    communes: Vec<Commune<'a>>,
    epci: Vec<Epci<'a>>,
}

/// Splits a TSV file into rows of exactly `N` fields, skipping the header.
fn rows<'a, const N: usize>(
    file: &'static str,
    text: &'a str,
) -> impl Iterator<Item = Result<(usize, [&'a str; N]), DataError>> {
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

/// The set of keys; fails on the first key met twice (an upsert cannot write one row twice in a
/// statement).
fn unique_keys<'a>(
    file: &'static str,
    keys: impl Iterator<Item = &'a str>,
) -> Result<HashSet<&'a str>, DataError> {
    let mut seen = HashSet::new();
    for (index, key) in keys.enumerate() {
        if !seen.insert(key) {
            return Err(DataError {
                file,
                line: index + 2,
                message: format!("clé en double : « {key} »"),
            });
        }
    }
    Ok(seen)
}

impl Extract<'static> {
    /// The extract embedded in the binary.
    pub fn embedded() -> Result<Self, DataError> {
        Extract::parse(REGIONS_TSV, DEPARTEMENTS_TSV, COMMUNES_TSV, EPCI_TSV)
    }
}

impl<'a> Extract<'a> {
    /// Parses the text of the four TSV files (the format of `data/referentiel/`, header included).
    pub fn parse(
        regions_tsv: &'a str,
        departements_tsv: &'a str,
        communes_tsv: &'a str,
        epci_tsv: &'a str,
    ) -> Result<Self, DataError> {
        let regions: Vec<Region<'a>> = rows::<4>("regions.tsv", regions_tsv)
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
        let departements: Vec<Departement<'a>> = rows::<5>("departements.tsv", departements_tsv)
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
        let communes: Vec<Commune<'a>> = rows::<7>("communes.tsv", communes_tsv)
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
        let epci: Vec<Epci<'a>> = rows::<5>("epci.tsv", epci_tsv)
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
        let region_codes = unique_keys("regions.tsv", regions.iter().map(|r| r.code))?;
        let departement_codes =
            unique_keys("departements.tsv", departements.iter().map(|d| d.code))?;
        let commune_codes = unique_keys("communes.tsv", communes.iter().map(|c| c.code_insee))?;
        unique_keys("epci.tsv", epci.iter().map(|e| e.siren))?;
        // The extract stands on its own: its links only point at its own rows (so that a row that
        // left it is only kept when something outside the référentiel references it).
        let known = |file, line: usize, set: &HashSet<&str>, code: &str| {
            if set.contains(code) {
                Ok(())
            } else {
                Err(DataError {
                    file,
                    line: line + 2,
                    message: format!("« {code} » absent de l'extrait"),
                })
            }
        };
        for (line, d) in departements.iter().enumerate() {
            known("departements.tsv", line, &region_codes, d.region)?;
        }
        for (line, c) in communes.iter().enumerate() {
            known("communes.tsv", line, &departement_codes, c.departement)?;
            known("communes.tsv", line, &region_codes, c.region)?;
        }
        for (line, e) in epci.iter().enumerate() {
            for membre in &e.membres {
                known("epci.tsv", line, &commune_codes, membre)?;
            }
        }
        Ok(Extract {
            regions,
            departements,
            communes,
            epci,
        })
    }

    /// The upserts and inserts of a load, parents before children (the link tables are emptied
    /// before).
    fn statements(&self) -> Vec<String> {
        let mut statements = Vec::new();
        multi_row_insert(
            &mut statements,
            &Target::upsert("regions", &["code", "nom", "chef_lieu", "zone"], ""),
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
            &Target::upsert(
                "departements",
                &["code", "nom", "region", "chef_lieu", "zone"],
                "",
            ),
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
            // a commune back in the extract is current again
            &Target::upsert(
                "communes",
                &[
                    "code_insee",
                    "nom",
                    "nom_recherche",
                    "departement",
                    "region",
                    "siren",
                    "population",
                ],
                "actuelle = TRUE",
            ),
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
            &Target::insert("communes_codes_postaux (code_postal, code_insee)"),
            self.communes.iter().flat_map(|c| {
                c.codes_postaux
                    .iter()
                    .map(|cp| vec![Value::Text(cp), Value::Text(c.code_insee)])
            }),
        );
        multi_row_insert(
            &mut statements,
            &Target::upsert(
                "epci",
                &["siren", "nom", "nom_recherche", "type", "population"],
                "",
            ),
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
            &Target::insert("epci_membres (epci_siren, code_insee)"),
            self.epci.iter().flat_map(|e| {
                e.membres
                    .iter()
                    .map(|code| vec![Value::Text(e.siren), Value::Text(code)])
            }),
        );
        statements
    }
}

/// Where the rows of a multi-row statement go: the text before `VALUES` and after the rows.
struct Target {
    head: String,
    tail: String,
}

impl Target {
    /// A plain `INSERT INTO {table_and_columns} VALUES …`.
    fn insert(table_and_columns: &str) -> Target {
        Target {
            head: format!("INSERT INTO {table_and_columns} VALUES "),
            tail: String::new(),
        }
    }

    /// `INSERT … ON CONFLICT (first column) DO UPDATE SET` the other columns (and `extra`, an
    /// assignment that is not a column of the rows, when not empty), only where a value differs:
    /// an unchanged row is not written again. The same SQL on SQLite (≥ 3.39) and PostgreSQL.
    fn upsert(table: &str, columns: &[&str], extra: &str) -> Target {
        let (key, others) = columns.split_first().expect("a key column");
        let mut set: Vec<String> = others
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        let mut differs: Vec<String> = others
            .iter()
            .map(|c| format!("{table}.{c} IS DISTINCT FROM excluded.{c}"))
            .collect();
        if let Some((column, value)) = extra.split_once(" = ") {
            set.push(extra.to_owned());
            differs.push(format!("{table}.{column} IS DISTINCT FROM {value}"));
        }
        Target {
            head: format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")),
            tail: format!(
                " ON CONFLICT ({key}) DO UPDATE SET {} WHERE {}",
                set.join(", "),
                differs.join(" OR ")
            ),
        }
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
    target: &Target,
    rows: impl Iterator<Item = Vec<Value<'a>>>,
) {
    let mut sql = String::new();
    let mut count = 0;
    for row in rows {
        if count == 0 {
            sql.clone_from(&target.head);
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
            sql.push_str(&target.tail);
            statements.push(std::mem::take(&mut sql));
            count = 0;
        }
    }
    if count > 0 {
        sql.push_str(&target.tail);
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
    #[test]
    fn embedded_data_parses_and_is_consistent() {
        let data = Extract::embedded().expect("embedded data parses");
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
            &Target::insert("t (a, b, c)"),
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
        multi_row_insert(&mut statements, &Target::insert("t (a)"), rows);
        assert_eq!(statements.len(), 3);
        assert!(statements[2].ends_with("VALUES (1000)"));
    }

    #[test]
    fn upserts_update_only_what_differs() {
        let mut statements = Vec::new();
        multi_row_insert(
            &mut statements,
            &Target::upsert("t", &["k", "a", "b"], "c = TRUE"),
            [vec![
                Value::Text("1"),
                Value::OptText(None),
                Value::OptNumber(Some(2)),
            ]]
            .into_iter(),
        );
        assert_eq!(
            statements,
            [
                "INSERT INTO t (k, a, b) VALUES ('1',NULL,2) ON CONFLICT (k) DO UPDATE SET \
              a = excluded.a, b = excluded.b, c = TRUE WHERE t.a IS DISTINCT FROM excluded.a \
              OR t.b IS DISTINCT FROM excluded.b OR t.c IS DISTINCT FROM TRUE"
            ]
        );
    }

    #[test]
    fn a_key_twice_is_refused() {
        let header = "code\tnom\tchef_lieu\tzone\n";
        let regions = format!("{header}01\tA\t\tdrom\n01\tB\t\tdrom\n");
        let error = Extract::parse(&regions, "h\n", "h\n", "h\n")
            .err()
            .expect("refused");
        assert!(error.to_string().contains("ligne 3"), "{error}");
    }

    #[test]
    fn a_member_outside_the_extract_is_refused() {
        let regions = "h\n84\tAuvergne-Rhône-Alpes\t69123\tmetro\n";
        let departements = "h\n01\tAin\t84\t01053\tmetro\n";
        let communes = "h\n01001\tX\t01\t84\t\t\t01400\n";
        let epci = "h\n200069193\tCC\tCC\t\t01001 01002\n";
        let error = Extract::parse(regions, departements, communes, epci)
            .err()
            .expect("refused");
        assert!(error.to_string().contains("01002"), "{error}");
        let epci = "h\n200069193\tCC\tCC\t\t01001\n";
        assert!(Extract::parse(regions, departements, communes, epci).is_ok());
    }

    #[test]
    fn vanished_keys_are_those_not_in_the_extract() {
        let previous = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(vanished(&previous, ["c", "a", "d"].into_iter()), ["b"]);
        assert!(vanished(&[], ["a"].into_iter()).is_empty());
    }
}

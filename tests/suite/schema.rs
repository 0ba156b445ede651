//! `src/db/schema.rs` is written by hand: this test keeps it true to the migrations, on both
//! backends. It parses every `diesel::table!` block of the file and compares it with the migrated
//! database (tables, columns and their order, primary keys, nullability, types).
//!
//! A new Diesel SQL type needs a line in [`accepted_types`]; until then the test names it.

use crate::common;

use std::fmt;

use cnfs_api::db::DbConn;
use common::TestDb;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Text};

/// The schema as the application compiles it.
const SCHEMA_RS: &str = include_str!("../../src/db/schema.rs");

/// Diesel's own bookkeeping, in every migrated database, never in `schema.rs`.
const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

// ------------------------------------------------------------------ the model

/// A table, as `schema.rs` declares it or as the database has it.
#[derive(Debug, Clone, PartialEq)]
struct Table {
    /// The SQL name (`#[sql_name]` applied).
    name: String,
    /// Primary key columns, in key order.
    primary_key: Vec<String>,
    columns: Vec<Column>,
}

/// A column; `sql_type` is the Diesel type (`BigInt`) on the declared side, the database's
/// type (`BIGINT`, `bigint`) on the other.
#[derive(Debug, Clone, PartialEq)]
struct Column {
    /// The SQL name (`#[sql_name]` applied).
    name: String,
    sql_type: String,
    nullable: bool,
}

impl Column {
    fn declared(&self) -> String {
        if self.nullable {
            format!("Nullable<{}>", self.sql_type)
        } else {
            self.sql_type.clone()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

// ------------------------------------------------------------------ parsing schema.rs

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Punct(char),
}

/// Splits Rust source into identifiers, string literals and punctuation; comments go.
fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '"' {
            let mut text = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    text.push(c);
                }
                i += 1;
            }
            i += 1;
            tokens.push(Token::Str(text));
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let mut word: String = chars[start..i].iter().collect();
            // A raw identifier (`r#type`) names the column `type`.
            if word == "r" && chars.get(i) == Some(&'#') {
                let start = i + 1;
                i = start;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                word = chars[start..i].iter().collect();
            }
            tokens.push(Token::Ident(word));
        } else {
            tokens.push(Token::Punct(c));
            i += 1;
        }
    }
    tokens
}

/// A cursor over the tokens of one `table!` block.
struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    /// The table, for error messages.
    context: String,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Result<Token, String> {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or_else(|| format!("{}: unexpected end of the table! block", self.context))?;
        self.at += 1;
        Ok(token)
    }

    fn is_punct(&self, c: char) -> bool {
        self.peek() == Some(&Token::Punct(c))
    }

    fn punct(&mut self, c: char) -> Result<(), String> {
        match self.next()? {
            Token::Punct(found) if found == c => Ok(()),
            other => Err(format!("{}: expected `{c}`, found {other:?}", self.context)),
        }
    }

    fn ident(&mut self) -> Result<String, String> {
        match self.next()? {
            Token::Ident(word) => Ok(word),
            other => Err(format!(
                "{}: expected a name, found {other:?}",
                self.context
            )),
        }
    }

    /// `#[…]` attributes: returns the `sql_name` among them, if any; others are skipped.
    fn attributes(&mut self) -> Result<Option<String>, String> {
        let mut sql_name = None;
        while self.is_punct('#') {
            self.punct('#')?;
            self.punct('[')?;
            let key = self.ident()?;
            let mut depth = 1;
            let mut body = Vec::new();
            while depth > 0 {
                let token = self.next()?;
                match token {
                    Token::Punct('[') => depth += 1,
                    Token::Punct(']') => depth -= 1,
                    _ => {}
                }
                if depth > 0 {
                    body.push(token);
                }
            }
            if key == "sql_name" {
                match body.as_slice() {
                    [Token::Punct('='), Token::Str(name)] => sql_name = Some(name.clone()),
                    _ => return Err(format!("{}: unreadable #[sql_name …]", self.context)),
                }
            }
        }
        Ok(sql_name)
    }

    /// A type (`Text`, `diesel::sql_types::BigInt`, `Nullable<Text>`…), as text without paths.
    fn sql_type(&mut self) -> Result<String, String> {
        let mut name = self.ident()?;
        while self.is_punct(':') {
            self.punct(':')?;
            self.punct(':')?;
            name = self.ident()?;
        }
        if self.is_punct('<') {
            self.punct('<')?;
            let mut arguments = vec![self.sql_type()?];
            while self.is_punct(',') {
                self.punct(',')?;
                arguments.push(self.sql_type()?);
            }
            self.punct('>')?;
            name = format!("{name}<{}>", arguments.join(", "));
        }
        Ok(name)
    }

    /// `[#[sql_name = "…"]] [use …;]* [schema.]name [(pk, …)] { columns }`.
    fn table(&mut self) -> Result<Table, String> {
        let mut sql_name = None;
        loop {
            if let Some(name) = self.attributes()? {
                sql_name = Some(name);
            }
            if self.peek() == Some(&Token::Ident("use".into())) {
                while !self.is_punct(';') {
                    self.next()?;
                }
                self.punct(';')?;
            } else {
                break;
            }
        }
        let mut name = self.ident()?;
        if self.is_punct('.') {
            self.punct('.')?;
            name = self.ident()?; // a PostgreSQL schema prefix: the table is the second part
        }
        self.context = format!("table `{name}`");
        // Diesel's default primary key is `id`.
        let mut primary_key = vec!["id".to_owned()];
        if self.is_punct('(') {
            self.punct('(')?;
            primary_key.clear();
            while !self.is_punct(')') {
                primary_key.push(self.ident()?);
                if self.is_punct(',') {
                    self.punct(',')?;
                }
            }
            self.punct(')')?;
        }
        self.punct('{')?;
        let mut columns: Vec<(String, Column)> = Vec::new();
        while !self.is_punct('}') {
            let sql_name = self.attributes()?;
            let rust_name = self.ident()?;
            self.punct('-')?;
            self.punct('>')?;
            let sql_type = self.sql_type()?;
            let (sql_type, nullable) = match sql_type
                .strip_prefix("Nullable<")
                .and_then(|inner| inner.strip_suffix('>'))
            {
                Some(inner) => (inner.to_owned(), true),
                None => (sql_type, false),
            };
            columns.push((
                rust_name.clone(),
                Column {
                    name: sql_name.unwrap_or(rust_name),
                    sql_type,
                    nullable,
                },
            ));
            if self.is_punct(',') {
                self.punct(',')?;
            }
        }
        self.punct('}')?;
        // The key names Rust columns: turn them into SQL names.
        let primary_key = primary_key
            .into_iter()
            .map(|key| {
                columns
                    .iter()
                    .find(|(rust, _)| *rust == key)
                    .map(|(_, column)| column.name.clone())
                    .ok_or_else(|| format!("table `{name}`: primary key `{key}` is not a column"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Table {
            name: sql_name.unwrap_or(name),
            primary_key,
            columns: columns.into_iter().map(|(_, column)| column).collect(),
        })
    }
}

/// Every `table!` block of a schema file, in file order.
fn parse_schema(source: &str) -> Result<Vec<Table>, String> {
    let tokens = tokenize(source);
    let mut tables = Vec::new();
    let mut i = 0;
    while i + 2 < tokens.len() {
        if tokens[i] == Token::Ident("table".into())
            && tokens[i + 1] == Token::Punct('!')
            && tokens[i + 2] == Token::Punct('{')
        {
            let mut parser = Parser {
                tokens: &tokens,
                at: i + 3,
                context: format!("table! block #{}", tables.len() + 1),
            };
            tables.push(parser.table()?);
            parser.punct('}')?;
            i = parser.at;
        } else {
            i += 1;
        }
    }
    if tables.is_empty() {
        return Err("no diesel::table! block found".to_owned());
    }
    Ok(tables)
}

// ------------------------------------------------------------------ reading the database

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared_type: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    /// Position in the primary key, from 1; 0 outside it.
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The tables of the migrated database, sorted by name, Diesel's bookkeeping left out.
fn database_tables(conn: &mut DbConn) -> (Backend, Vec<Table>) {
    match conn {
        DbConn::Sqlite(conn) => {
            let names = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> ? ORDER BY name",
            )
            .bind::<Text, _>(MIGRATIONS_TABLE)
            .load::<Name>(conn)
            .expect("sqlite_master read");
            let mut tables = Vec::new();
            for Name { name } in names {
                let rows = diesel::sql_query(
                    "SELECT name, type AS declared_type, \"notnull\" AS not_null, pk \
                     FROM pragma_table_info(?) ORDER BY cid",
                )
                .bind::<Text, _>(&name)
                .load::<SqliteColumn>(conn)
                .expect("table_info read");
                let mut key: Vec<(i32, String)> = rows
                    .iter()
                    .filter(|row| row.pk > 0)
                    .map(|row| (row.pk, row.name.clone()))
                    .collect();
                key.sort();
                tables.push(Table {
                    name,
                    primary_key: key.into_iter().map(|(_, column)| column).collect(),
                    columns: rows
                        .into_iter()
                        .map(|row| Column {
                            name: row.name,
                            // SQLite keeps the declared type as written: compare it in capitals.
                            sql_type: row.declared_type.to_uppercase(),
                            nullable: row.not_null == 0,
                        })
                        .collect(),
                });
            }
            (Backend::Sqlite, tables)
        }
        DbConn::Pg(conn) => {
            let names = diesel::sql_query(
                "SELECT table_name::text AS name FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                 AND table_name <> $1 ORDER BY table_name",
            )
            .bind::<Text, _>(MIGRATIONS_TABLE)
            .load::<Name>(conn)
            .expect("information_schema.tables read");
            let mut tables = Vec::new();
            for Name { name } in names {
                let columns = diesel::sql_query(
                    "SELECT column_name::text AS name, data_type::text AS data_type, \
                     is_nullable = 'YES' AS nullable FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 \
                     ORDER BY ordinal_position",
                )
                .bind::<Text, _>(&name)
                .load::<PgColumn>(conn)
                .expect("information_schema.columns read");
                // The primary key from the catalogue, in key order.
                let key = diesel::sql_query(
                    "SELECT a.attname::text AS name FROM pg_index i \
                     CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
                     WHERE i.indisprimary \
                     AND i.indrelid = format('%I.%I', current_schema(), $1::text)::regclass \
                     ORDER BY k.ord",
                )
                .bind::<Text, _>(&name)
                .load::<Name>(conn)
                .expect("primary key read");
                tables.push(Table {
                    name,
                    primary_key: key.into_iter().map(|n| n.name).collect(),
                    columns: columns
                        .into_iter()
                        .map(|c| Column {
                            name: c.name,
                            sql_type: c.data_type,
                            nullable: c.nullable,
                        })
                        .collect(),
                });
            }
            (Backend::Postgres, tables)
        }
    }
}

// ------------------------------------------------------------------ the comparison

/// The database types a Diesel SQL type may be stored as (SQLite: the declared type in
/// capitals; PostgreSQL: `information_schema.columns.data_type`). `None`: not known here yet.
fn accepted_types(diesel_type: &str, backend: Backend) -> Option<&'static [&'static str]> {
    use Backend::{Postgres, Sqlite};
    Some(match (diesel_type, backend) {
        ("Text", Sqlite) => &["TEXT"],
        ("Text", Postgres) => &["text"],
        ("BigInt", Sqlite) => &["BIGINT"],
        ("BigInt", Postgres) => &["bigint"],
        ("Integer", Sqlite) => &["INTEGER"],
        ("Integer", Postgres) => &["integer"],
        ("SmallInt", Sqlite) => &["SMALLINT"],
        ("SmallInt", Postgres) => &["smallint"],
        ("Bool", Sqlite) => &["BOOLEAN"],
        ("Bool", Postgres) => &["boolean"],
        ("Double", Sqlite) => &["DOUBLE PRECISION", "DOUBLE", "REAL"],
        ("Double", Postgres) => &["double precision"],
        ("Float", Sqlite) => &["REAL", "FLOAT"],
        ("Float", Postgres) => &["real"],
        ("Date", Sqlite) => &["DATE"],
        ("Date", Postgres) => &["date"],
        ("Timestamp", Sqlite) => &["TIMESTAMP", "DATETIME"],
        ("Timestamp", Postgres) => &["timestamp without time zone"],
        ("Binary", Sqlite) => &["BLOB"],
        ("Binary", Postgres) => &["bytea"],
        _ => return None,
    })
}

/// Every difference between the declared tables and the database's, one readable line each
/// (empty: they agree).
fn drifts(declared: &[Table], actual: &[Table], backend: Backend) -> Vec<String> {
    let mut drifts = Vec::new();
    for table in declared {
        if declared.iter().filter(|t| t.name == table.name).count() > 1 {
            drifts.push(format!(
                "table `{}`: declared twice in schema.rs",
                table.name
            ));
        }
    }
    for table in actual {
        if !declared.iter().any(|t| t.name == table.name) {
            drifts.push(format!(
                "table `{}`: in the migrated {backend} database, missing from schema.rs",
                table.name
            ));
        }
    }
    for want in declared {
        let Some(have) = actual.iter().find(|t| t.name == want.name) else {
            drifts.push(format!(
                "table `{}`: in schema.rs, missing from the migrated {backend} database",
                want.name
            ));
            continue;
        };
        let table = &want.name;
        for column in &have.columns {
            if !want.columns.iter().any(|c| c.name == column.name) {
                drifts.push(format!(
                    "table `{table}`, column `{}`: in the {backend} database ({}), missing from schema.rs",
                    column.name, column.sql_type
                ));
            }
        }
        for column in &want.columns {
            let Some(found) = have.columns.iter().find(|c| c.name == column.name) else {
                drifts.push(format!(
                    "table `{table}`, column `{}`: in schema.rs ({}), missing from the {backend} database",
                    column.name,
                    column.declared()
                ));
                continue;
            };
            if column.nullable != found.nullable {
                drifts.push(format!(
                    "table `{table}`, column `{}`: schema.rs says {}, the {backend} database has it {}",
                    column.name,
                    column.declared(),
                    if found.nullable {
                        "nullable (no NOT NULL)"
                    } else {
                        "NOT NULL"
                    }
                ));
            }
            match accepted_types(&column.sql_type, backend) {
                None => drifts.push(format!(
                    "table `{table}`, column `{}`: no known {backend} type for Diesel's {} \
                     (add it to accepted_types in tests/suite/schema.rs)",
                    column.name, column.sql_type
                )),
                Some(accepted) if !accepted.contains(&found.sql_type.as_str()) => {
                    drifts.push(format!(
                        "table `{table}`, column `{}`: schema.rs says {}, the {backend} database has {} (expected {})",
                        column.name,
                        column.declared(),
                        found.sql_type,
                        accepted.join(" or ")
                    ))
                }
                Some(_) => {}
            }
        }
        let names = |columns: &[Column]| -> Vec<String> {
            columns.iter().map(|c| c.name.clone()).collect()
        };
        let (want_order, have_order) = (names(&want.columns), names(&have.columns));
        let common = |order: &[String], other: &[String]| -> Vec<String> {
            order
                .iter()
                .filter(|n| other.contains(n))
                .cloned()
                .collect()
        };
        if common(&want_order, &have_order) != common(&have_order, &want_order) {
            drifts.push(format!(
                "table `{table}`: columns in another order: schema.rs ({}), the {backend} database ({})",
                want_order.join(", "),
                have_order.join(", ")
            ));
        }
        if want.primary_key != have.primary_key {
            drifts.push(format!(
                "table `{table}`: primary key ({}) in schema.rs, ({}) in the {backend} database",
                want.primary_key.join(", "),
                have.primary_key.join(", ")
            ));
        }
    }
    drifts
}

/// Compares `schema_text` with the database behind `conn`.
fn drifts_against(schema_text: &str, conn: &mut DbConn) -> (Backend, Vec<String>) {
    let declared = parse_schema(schema_text).unwrap_or_else(|error| panic!("{error}"));
    let (backend, actual) = database_tables(conn);
    (backend, drifts(&declared, &actual, backend))
}

// ------------------------------------------------------------------ tests against databases

async fn schema_rs_matches_the_migrated_database(db: TestDb) {
    let (backend, drifts) = drifts_against(SCHEMA_RS, &mut db.conn());
    assert!(
        drifts.is_empty(),
        "src/db/schema.rs does not match the migrated {backend} database:\n  - {}",
        drifts.join("\n  - ")
    );
}

/// A table made for this test in its own database, with every type the comparison knows.
const PROBE_TABLE: &str = "CREATE TABLE zz_probe (
    id TEXT NOT NULL,
    n BIGINT,
    i INTEGER NOT NULL,
    s SMALLINT NOT NULL,
    b BOOLEAN NOT NULL,
    d DOUBLE PRECISION,
    day DATE,
    at TIMESTAMP NOT NULL,
    \"type\" TEXT,
    PRIMARY KEY (id, i)
)";

/// `zz_probe` as schema.rs would declare it.
const PROBE_DECLARED: &str = r#"
diesel::table! {
    /// A probe.
    zz_probe (id, i) {
        id -> Text,
        n -> Nullable<BigInt>,
        i -> Integer,
        s -> SmallInt,
        b -> Bool,
        d -> Nullable<Double>,
        day -> Nullable<Date>,
        at -> Timestamp,
        #[sql_name = "type"]
        type_ -> Nullable<Text>,
    }
}
"#;

/// The probe with one drift of each kind.
const PROBE_DRIFTED: &str = r#"
diesel::table! {
    zz_probe (i, id) {
        id -> Text,
        i -> Integer,
        n -> Nullable<Integer>,
        s -> Nullable<SmallInt>,
        b -> Bool,
        d -> Nullable<Double>,
        day -> Nullable<Date>,
        at -> Timestamp,
        #[sql_name = "kind"]
        type_ -> Nullable<Text>,
        extra -> Text,
    }
}

diesel::table! {
    zz_absent (cle) {
        cle -> Text,
        statut -> Integer,
    }
}
"#;

async fn drift_is_reported_by_table_and_column(db: TestDb) {
    let mut conn = db.conn();
    conn.batch_execute(PROBE_TABLE)
        .expect("probe table created");

    // Declared faithfully, next to the real schema: no drift (every known type maps).
    let (backend, found) = drifts_against(&format!("{SCHEMA_RS}{PROBE_DECLARED}"), &mut conn);
    assert!(found.is_empty(), "{backend}: {found:#?}");

    // Without its declaration: the probe is reported as missing from schema.rs.
    let (_, found) = drifts_against(SCHEMA_RS, &mut conn);
    assert_eq!(
        found,
        [format!(
            "table `zz_probe`: in the migrated {backend} database, missing from schema.rs"
        )]
    );

    let (_, found) = drifts_against(&format!("{SCHEMA_RS}{PROBE_DRIFTED}"), &mut conn);
    let (text, bigint, integer) = match backend {
        Backend::Sqlite => ("TEXT", "BIGINT", "INTEGER"),
        Backend::Postgres => ("text", "bigint", "integer"),
    };
    let expected = [
        format!(
            "table `zz_probe`, column `type`: in the {backend} database ({text}), missing from schema.rs"
        ),
        format!(
            "table `zz_probe`, column `n`: schema.rs says Nullable<Integer>, the {backend} database has {bigint} (expected {integer})"
        ),
        format!(
            "table `zz_probe`, column `s`: schema.rs says Nullable<SmallInt>, the {backend} database has it NOT NULL"
        ),
        format!(
            "table `zz_probe`, column `kind`: in schema.rs (Nullable<Text>), missing from the {backend} database"
        ),
        format!(
            "table `zz_probe`, column `extra`: in schema.rs (Text), missing from the {backend} database"
        ),
        format!(
            "table `zz_probe`: columns in another order: schema.rs (id, i, n, s, b, d, day, at, kind, extra), \
             the {backend} database (id, n, i, s, b, d, day, at, type)"
        ),
        format!(
            "table `zz_probe`: primary key (i, id) in schema.rs, (id, i) in the {backend} database"
        ),
        format!("table `zz_absent`: in schema.rs, missing from the migrated {backend} database"),
    ];
    for line in &expected {
        assert!(
            found.contains(line),
            "not reported: {line}\nreported:\n{found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
}

on_both_backends!(
    schema_rs_matches_the_migrated_database,
    drift_is_reported_by_table_and_column,
);

// ------------------------------------------------------------------ tests of the parser

#[test]
fn the_real_schema_parses() {
    let tables = parse_schema(SCHEMA_RS).expect("src/db/schema.rs parses");
    let epci = tables.iter().find(|t| t.name == "epci").expect("epci");
    assert_eq!(epci.primary_key, ["siren"]);
    let kind = epci
        .columns
        .iter()
        .find(|c| c.name == "type")
        .expect("`type_` is read under its #[sql_name]");
    assert_eq!((kind.sql_type.as_str(), kind.nullable), ("Text", false));
    let population = &epci.columns.last().expect("columns");
    assert_eq!(
        (population.name.as_str(), population.declared()),
        ("population", "Nullable<BigInt>".to_owned())
    );
    let postaux = tables
        .iter()
        .find(|t| t.name == "communes_codes_postaux")
        .expect("communes_codes_postaux");
    assert_eq!(postaux.primary_key, ["code_postal", "code_insee"]);
}

#[test]
fn the_parser_reads_every_form_diesel_accepts() {
    let source = r#"
        // diesel::table! { not_this (x) { x -> Text, } }
        diesel::table! {
            use diesel::sql_types::*;

            /// Keys.
            #[sql_name = "cles"]
            public.keys {
                /// The id (Diesel's default key).
                id -> diesel::sql_types::BigInt,
                r#type -> Nullable<Text>,
                #[max_length = 12]
                code -> Text /* last, no comma */
            }
        }
        table! { t (a, b,) { a -> Integer, b -> SmallInt } }
    "#;
    let tables = parse_schema(source).expect("parses");
    assert_eq!(
        tables,
        [
            Table {
                name: "cles".into(),
                primary_key: vec!["id".into()],
                columns: vec![
                    Column {
                        name: "id".into(),
                        sql_type: "BigInt".into(),
                        nullable: false
                    },
                    Column {
                        name: "type".into(),
                        sql_type: "Text".into(),
                        nullable: true
                    },
                    Column {
                        name: "code".into(),
                        sql_type: "Text".into(),
                        nullable: false
                    },
                ],
            },
            Table {
                name: "t".into(),
                primary_key: vec!["a".into(), "b".into()],
                columns: vec![
                    Column {
                        name: "a".into(),
                        sql_type: "Integer".into(),
                        nullable: false
                    },
                    Column {
                        name: "b".into(),
                        sql_type: "SmallInt".into(),
                        nullable: false
                    },
                ],
            },
        ]
    );
    assert!(parse_schema("diesel::table! { t (missing) { a -> Text, } }").is_err());
    assert!(parse_schema("no tables here").is_err());
}

/// A schema in the style of schema.rs, for the comparison alone.
const SAMPLE: &str = r#"
diesel::table! {
    communes (code_insee) {
        code_insee -> Text,
        chef_lieu -> Nullable<Text>,
        population -> Nullable<BigInt>,
    }
}

diesel::table! {
    idempotence (cle) {
        cle -> Text,
        statut -> SmallInt,
        cree_le -> BigInt,
    }
}
"#;

#[test]
fn a_drifted_schema_text_is_reported_without_a_database() {
    // SAMPLE as a PostgreSQL database would have it…
    let sample = parse_schema(SAMPLE).expect("parses");
    let in_database: Vec<Table> = sample
        .iter()
        .map(|table| Table {
            columns: table
                .columns
                .iter()
                .map(|c| Column {
                    sql_type: accepted_types(&c.sql_type, Backend::Postgres).expect("known")[0]
                        .to_owned(),
                    ..c.clone()
                })
                .collect(),
            ..table.clone()
        })
        .collect();
    assert_eq!(
        drifts(&sample, &in_database, Backend::Postgres),
        Vec::<String>::new()
    );
    // …and the schema text drifted: a type changed, a nullable column said NOT NULL, a column
    // of the database forgotten.
    let drifted_text = SAMPLE
        .replace(
            "population -> Nullable<BigInt>",
            "population -> Nullable<Integer>",
        )
        .replace("chef_lieu -> Nullable<Text>", "chef_lieu -> Text")
        .replace("cree_le -> BigInt,", "");
    let found = drifts(
        &parse_schema(&drifted_text).expect("parses"),
        &in_database,
        Backend::Postgres,
    );
    assert_eq!(
        found,
        [
            "table `communes`, column `chef_lieu`: schema.rs says Text, the PostgreSQL database has it nullable (no NOT NULL)",
            "table `communes`, column `population`: schema.rs says Nullable<Integer>, the PostgreSQL database has bigint (expected integer)",
            "table `idempotence`, column `cree_le`: in the PostgreSQL database (bigint), missing from schema.rs",
        ],
        "{found:#?}"
    );
}

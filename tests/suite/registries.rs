//! The registries a new resource could forget (docs/ARCHITECTURE.md, "Adding a resource: the
//! recipe", step 4): nothing fails to compile when one of them is left behind, so each is held
//! equal here to what it must list, and a failure names the entries out of step.
//!
//! - refusal codes: every `RefusalCode` constant declared under `src/` is in
//!   `domain::catalogue::CATALOGUE` (else the spec's error examples never show it), and nothing
//!   else is;
//! - the journal: the `CHECK` on `journal.ressource` of each migrated database accepts exactly
//!   `RessourceJournal` (else writing a new resource's journal entry fails at run time);
//! - the référentiel's reload: every foreign key to a référentiel table is in its list in
//!   `db::referentiel` (else a reload fails once the new table has rows);
//! - `Insertable` rows: each binds every column of its table and never lets `None` stand for the
//!   column's `DEFAULT` (else a column added by a migration is silently left to its default);
//! - OpenAPI tags: each tag's name and description name the path segments of its operations, and
//!   the `Journal` tag names every resource the journal records (else the documentation lags).
//!
//! Each check reads its inputs with a small parser; each parser also has a test on a hand-written
//! input where an entry is missing (as `tests/suite/layers.rs` does with `the_check_sees_a_leak`), so
//! that a green run means "in step", not "nothing was read".

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cnfs_api::db::DbConn;
use cnfs_api::db::referentiel::{REFERENCED, Referenced};
use cnfs_api::domain::journal::RessourceJournal;
use cnfs_api::domain::referentiel::search_key;
use common::TestDb;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

/// The schema as the application compiles it.
const SCHEMA_RS: &str = include_str!("../../src/db/schema.rs");

// ------------------------------------------------------------------ reading Rust source

/// A token of Rust source; comments (doc comments too) are dropped.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Punct(char),
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits Rust source into identifiers, string literals and punctuation. Comments go, so a
/// commented-out or documented declaration is not taken for a real one; string literals (raw ones
/// too) are kept whole, so a `//` or `{` inside one is not taken for code.
fn rust_tokens(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == Some('/') {
            while at(i).is_some_and(|c| c != '\n') {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == Some('*') {
            let mut depth = 0;
            while let Some(c) = at(i) {
                if c == '/' && at(i + 1) == Some('*') {
                    depth += 1;
                    i += 2;
                } else if c == '*' && at(i + 1) == Some('/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            let mut text = String::new();
            i += 1;
            while let Some(c) = at(i) {
                if c == '"' {
                    break;
                }
                if c == '\\' {
                    i += 1;
                }
                if let Some(c) = at(i) {
                    text.push(c);
                }
                i += 1;
            }
            i += 1;
            tokens.push(Token::Str(text));
        } else if c == '\'' {
            // A char literal ('x', '\n', '\'') or a lifetime ('a): only the first is skipped.
            if at(i + 1) == Some('\\') {
                i += 3;
                while at(i).is_some_and(|c| c != '\'') {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == Some('\'') {
                i += 3;
            } else {
                tokens.push(Token::Punct('\''));
                i += 1;
            }
        } else if is_word(c) {
            let start = i;
            while at(i).is_some_and(is_word) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word == "b" && at(i) == Some('"') {
                continue; // a byte string: the `"` is read as a string next
            }
            let raw = word == "r" || word == "br";
            if raw && matches!(at(i), Some('"' | '#')) {
                let mut hashes = 0;
                while at(i + hashes) == Some('#') {
                    hashes += 1;
                }
                if at(i + hashes) == Some('"') {
                    // A raw string: up to a `"` followed by as many `#`.
                    i += hashes + 1;
                    let start = i;
                    while at(i).is_some()
                        && !(at(i) == Some('"') && (1..=hashes).all(|k| at(i + k) == Some('#')))
                    {
                        i += 1;
                    }
                    tokens.push(Token::Str(chars[start..i].iter().collect()));
                    i += hashes + 1;
                    continue;
                }
                if word == "r" && hashes == 1 {
                    // A raw identifier (`r#type`) is the identifier `type`.
                    i += 1;
                    let start = i;
                    while at(i).is_some_and(is_word) {
                        i += 1;
                    }
                    tokens.push(Token::Ident(chars[start..i].iter().collect()));
                    continue;
                }
            }
            tokens.push(Token::Ident(word));
        } else {
            tokens.push(Token::Punct(c));
            i += 1;
        }
    }
    tokens
}

fn ident(token: Option<&Token>) -> Option<&str> {
    match token {
        Some(Token::Ident(word)) => Some(word),
        _ => None,
    }
}

fn is_punct(token: Option<&Token>, c: char) -> bool {
    token == Some(&Token::Punct(c))
}

/// The index just after the group that opens at `open` (`(`, `[` or `{`), nested groups included.
fn group_end(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0;
    for (index, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Punct('(' | '[' | '{') => depth += 1,
            Token::Punct(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return index + 1;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// `tokens` split at the commas outside any group (`<…>` of a type included; the `>` of `->` is
/// not a closing one).
fn split_commas(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (index, token) in tokens.iter().enumerate() {
        match token {
            Token::Punct('(' | '[' | '{' | '<') => depth += 1,
            Token::Punct('>') if index > 0 && is_punct(tokens.get(index - 1), '-') => {}
            Token::Punct(')' | ']' | '}' | '>') => depth -= 1,
            Token::Punct(',') if depth == 0 => {
                parts.push(&tokens[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    if start < tokens.len() {
        parts.push(&tokens[start..]);
    }
    parts
}

/// Every `.rs` file under `src/`, as (path from the crate root, text), in path order.
fn source_files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file is readable");
                let name = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                files.push((name, text));
            }
        }
    }
    files.sort();
    files
}

// ------------------------------------------------------------------ 1. refusal codes

/// A `const NAME: RefusalCode = RefusalCode { code: "…", … }` of the source.
#[derive(Debug, Clone, PartialEq)]
struct DeclaredCode {
    file: String,
    name: String,
    code: String,
}

/// The last segment of the path at `at` (`super::refusal::RefusalCode` → `RefusalCode`) and the
/// index after the path.
fn path_at(tokens: &[Token], mut at: usize) -> Option<(&str, usize)> {
    let mut last = None;
    while let Some(word) = ident(tokens.get(at)) {
        last = Some(word);
        at += 1;
        if is_punct(tokens.get(at), ':') && is_punct(tokens.get(at + 1), ':') {
            at += 2;
        } else {
            break;
        }
    }
    last.map(|word| (word, at))
}

/// For the name of a `const` at `name_at`: the index of the `{` of `: RefusalCode = RefusalCode {`
/// (each type possibly written with its path), if that is what follows.
fn refusal_code_open(tokens: &[Token], name_at: usize) -> Option<usize> {
    if !is_punct(tokens.get(name_at + 1), ':') {
        return None;
    }
    let (declared_type, at) = path_at(tokens, name_at + 2)?;
    if declared_type != "RefusalCode" || !is_punct(tokens.get(at), '=') {
        return None;
    }
    let (value_type, at) = path_at(tokens, at + 1)?;
    (value_type == "RefusalCode" && is_punct(tokens.get(at), '{')).then_some(at)
}

/// Every `RefusalCode` constant of `source` (any visibility; the type may be written with its
/// path), with its `code` string.
fn declared_codes(file: &str, source: &str) -> Result<Vec<DeclaredCode>, String> {
    let tokens = rust_tokens(source);
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let (Some("const"), Some(name)) = (ident(tokens.get(i)), ident(tokens.get(i + 1))) else {
            i += 1;
            continue;
        };
        let Some(j) = refusal_code_open(&tokens, i + 1) else {
            i += 1;
            continue;
        };
        let end = group_end(&tokens, j);
        let body = &tokens[j + 1..end - 1];
        let code = split_commas(body)
            .into_iter()
            .find_map(|field| match field {
                [Token::Ident(key), Token::Punct(':'), Token::Str(code)] if key == "code" => {
                    Some(code.clone())
                }
                _ => None,
            });
        let code = code.ok_or_else(|| format!("{file}: {name} has no `code: \"…\"` field"))?;
        found.push(DeclaredCode {
            file: file.to_owned(),
            name: name.to_owned(),
            code,
        });
        i = end;
    }
    Ok(found)
}

/// What is out of step between the declared codes and the catalogue's, both ways.
fn catalogue_drift(declared: &[DeclaredCode], catalogued: &[&str]) -> Vec<String> {
    let mut drift = Vec::new();
    let mut by_code: BTreeMap<&str, Vec<&DeclaredCode>> = BTreeMap::new();
    for code in declared {
        by_code.entry(&code.code).or_default().push(code);
    }
    for (code, consts) in &by_code {
        let names: Vec<String> = consts
            .iter()
            .map(|c| format!("{} ({})", c.name, c.file))
            .collect();
        if consts.len() > 1 {
            drift.push(format!(
                "code \"{code}\" declared twice: {}",
                names.join(", ")
            ));
        }
        if !catalogued.contains(code) {
            drift.push(format!(
                "{} declares \"{code}\", missing from CATALOGUE (src/domain/catalogue.rs)",
                names.join(", ")
            ));
        }
    }
    for code in catalogued {
        if !by_code.contains_key(code) {
            drift.push(format!(
                "CATALOGUE lists \"{code}\", which no `const …: RefusalCode = RefusalCode {{ … }}` under src/ declares"
            ));
        }
    }
    drift
}

#[test]
fn every_declared_refusal_code_is_in_the_catalogue() {
    let mut declared = Vec::new();
    for (file, text) in source_files() {
        declared.extend(declared_codes(&file, &text).unwrap_or_else(|error| panic!("{error}")));
    }
    assert!(
        declared.len() >= 10,
        "the scan found only {} RefusalCode constants under src/: is it still reading them?",
        declared.len()
    );
    let catalogued: Vec<&str> = cnfs_api::domain::catalogue::CATALOGUE
        .iter()
        .map(|code| code.code)
        .collect();
    let drift = catalogue_drift(&declared, &catalogued);
    assert!(
        drift.is_empty(),
        "refusal codes and the catalogue are out of step:\n  - {}",
        drift.join("\n  - ")
    );
}

#[test]
fn the_code_scan_sees_a_code_missing_from_the_catalogue() {
    let source = r#"
        // pub const COMMENTED: RefusalCode = RefusalCode { code: "commente", };
        /// Like `pub const DOC: RefusalCode = RefusalCode { code: "doc" }`.
        pub const QUOTA_ATTEINT: RefusalCode = RefusalCode {
            kind: RefusalKind::Conflict,
            code: "quota_atteint",
            title: "Quota { atteint }",
            example: "voir // ici",
        };
        pub(crate) const NOUVEAU: super::refusal::RefusalCode = super::refusal::RefusalCode {
            kind: RefusalKind::Unprocessable, code: "nouveau", title: "", example: "",
        };
        pub const AUTRE: &str = "RefusalCode";
        fn f(code: &'static RefusalCode) -> char { '"' }
    "#;
    let declared = declared_codes("src/domain/x.rs", source).expect("parses");
    let codes: Vec<(&str, &str)> = declared
        .iter()
        .map(|c| (c.name.as_str(), c.code.as_str()))
        .collect();
    assert_eq!(
        codes,
        [("QUOTA_ATTEINT", "quota_atteint"), ("NOUVEAU", "nouveau")]
    );
    assert!(catalogue_drift(&declared, &["quota_atteint", "nouveau"]).is_empty());
    assert_eq!(
        catalogue_drift(&declared, &["quota_atteint", "ancien"]),
        [
            "NOUVEAU (src/domain/x.rs) declares \"nouveau\", missing from CATALOGUE (src/domain/catalogue.rs)",
            "CATALOGUE lists \"ancien\", which no `const …: RefusalCode = RefusalCode { … }` under src/ declares",
        ]
    );
    let mut twice = declared.clone();
    twice[1].code = "quota_atteint".into();
    assert_eq!(
        catalogue_drift(&twice, &["quota_atteint"]),
        [
            "code \"quota_atteint\" declared twice: QUOTA_ATTEINT (src/domain/x.rs), NOUVEAU (src/domain/x.rs)"
        ]
    );
    assert!(declared_codes("x.rs", "const A: RefusalCode = RefusalCode { kind: K };").is_err());
}

// ------------------------------------------------------------------ reading SQL

/// A token of SQL: identifiers (quoted or not, as written), string literals, punctuation.
#[derive(Debug, Clone, PartialEq)]
enum SqlToken {
    Ident(String),
    Str(String),
    Punct(char),
}

fn sql_tokens(sql: &str) -> Vec<SqlToken> {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '\'' || c == '"' {
            // `''` inside a string is one quote (`""` inside a quoted identifier likewise).
            let mut text = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == c {
                    if chars.get(i + 1) == Some(&c) {
                        text.push(c);
                        i += 2;
                        continue;
                    }
                    break;
                }
                text.push(chars[i]);
                i += 1;
            }
            i += 1;
            tokens.push(if c == '\'' {
                SqlToken::Str(text)
            } else {
                SqlToken::Ident(text)
            });
        } else if is_word(c) {
            let start = i;
            while i < chars.len() && is_word(chars[i]) {
                i += 1;
            }
            tokens.push(SqlToken::Ident(chars[start..i].iter().collect()));
        } else {
            tokens.push(SqlToken::Punct(c));
            i += 1;
        }
    }
    tokens
}

/// The strings of the one `CHECK` about `column` among `texts` (SQLite: the table's `CREATE
/// TABLE`; PostgreSQL: each `pg_get_constraintdef`). A `CHECK` is about `column` when the column
/// is the first name in it: `CHECK (ressource IN ('a', 'b'))` as written, or PostgreSQL's
/// `CHECK ((ressource = ANY (ARRAY['a'::text, 'b'::text])))`.
fn check_values(texts: &[String], column: &str) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    for text in texts {
        let tokens = sql_tokens(text);
        for (index, token) in tokens.iter().enumerate() {
            let is_check =
                matches!(token, SqlToken::Ident(word) if word.eq_ignore_ascii_case("check"));
            if !is_check || tokens.get(index + 1) != Some(&SqlToken::Punct('(')) {
                continue;
            }
            let mut depth = 0;
            let mut body = Vec::new();
            for token in &tokens[index + 1..] {
                match token {
                    SqlToken::Punct('(') => depth += 1,
                    SqlToken::Punct(')') => depth -= 1,
                    _ => {}
                }
                body.push(token);
                if depth == 0 {
                    break;
                }
            }
            let first_name = body.iter().find_map(|token| match token {
                SqlToken::Ident(word) => Some(word.as_str()),
                _ => None,
            });
            if first_name == Some(column) {
                found.push(
                    body.iter()
                        .filter_map(|token| match token {
                            SqlToken::Str(value) => Some(value.clone()),
                            _ => None,
                        })
                        .collect::<Vec<_>>(),
                );
            }
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!("no CHECK on `{column}` in:\n{}", texts.join("\n"))),
        n => Err(format!(
            "{n} CHECKs on `{column}` in:\n{}",
            texts.join("\n")
        )),
    }
}

/// What `accepted` lacks of `wanted` and has beyond it.
fn set_drift(wanted: &[&str], accepted: &[String]) -> (Vec<String>, Vec<String>) {
    let missing = wanted
        .iter()
        .filter(|w| !accepted.iter().any(|a| a == *w))
        .map(|w| w.to_string())
        .collect();
    let extra = accepted
        .iter()
        .filter(|a| !wanted.contains(&a.as_str()))
        .cloned()
        .collect();
    (missing, extra)
}

// ------------------------------------------------------------------ reading the database

#[derive(QueryableByName)]
struct Sql {
    #[diesel(sql_type = Text)]
    text: String,
}

fn backend(conn: &DbConn) -> &'static str {
    match conn {
        DbConn::Sqlite(_) => "SQLite",
        DbConn::Pg(_) => "PostgreSQL",
    }
}

/// The text that holds the `CHECK`s of `table`: SQLite keeps the `CREATE TABLE` as written (after
/// a rebuild, as the last migration wrote it); PostgreSQL gives each constraint's definition.
fn check_texts(conn: &mut DbConn, table: &str) -> Vec<String> {
    let rows = match conn {
        DbConn::Sqlite(conn) => diesel::sql_query(
            "SELECT sql AS text FROM sqlite_master WHERE type = 'table' AND name = ?",
        )
        .bind::<Text, _>(table)
        .load::<Sql>(conn),
        DbConn::Pg(conn) => diesel::sql_query(
            "SELECT pg_get_constraintdef(c.oid) AS text FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid \
             WHERE c.contype = 'c' AND t.relname = $1 \
             AND t.relnamespace = current_schema()::regnamespace ORDER BY c.conname",
        )
        .bind::<Text, _>(table)
        .load::<Sql>(conn),
    };
    rows.expect("the table's constraints are readable")
        .into_iter()
        .map(|row| row.text)
        .collect()
}

/// A foreign key column of the migrated database.
#[derive(QueryableByName, Debug, Clone, PartialEq)]
struct ForeignKey {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    referenced_table: String,
    /// Empty on SQLite when the key names no column (it then references the primary key).
    #[diesel(sql_type = Text)]
    referenced_column: String,
}

/// Every foreign key column of the migrated database, one row per column.
fn foreign_keys(conn: &mut DbConn) -> Vec<ForeignKey> {
    let rows = match conn {
        DbConn::Sqlite(conn) => diesel::sql_query(
            "SELECT m.name AS table_name, f.\"from\" AS column_name, \
             f.\"table\" AS referenced_table, COALESCE(f.\"to\", '') AS referenced_column \
             FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' ORDER BY 1, 2",
        )
        .load::<ForeignKey>(conn),
        DbConn::Pg(conn) => diesel::sql_query(
            "SELECT t.relname::text AS table_name, a.attname::text AS column_name, \
             r.relname::text AS referenced_table, ra.attname::text AS referenced_column \
             FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_class r ON r.oid = c.confrelid \
             CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(attnum, fattnum) \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
             JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.fattnum \
             WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace \
             ORDER BY 1, 2",
        )
        .load::<ForeignKey>(conn),
    };
    rows.expect("the foreign keys are readable")
}

// ------------------------------------------------------------------ 2. the journal's CHECK

/// What the `CHECK` on `table.ressource` accepts beyond or short of `RessourceJournal`.
fn journal_check_drift(conn: &mut DbConn, table: &str) -> Vec<String> {
    let backend = backend(conn);
    let accepted = check_values(&check_texts(conn, table), "ressource")
        .unwrap_or_else(|error| panic!("{backend}, table `{table}`: {error}"));
    let wanted: Vec<&str> = RessourceJournal::ALL.iter().map(|r| r.as_str()).collect();
    let (missing, extra) = set_drift(&wanted, &accepted);
    let mut drift = Vec::new();
    if !missing.is_empty() {
        drift.push(format!(
            "{backend}: the CHECK on {table}.ressource refuses {} (in RessourceJournal): a migration must widen it",
            missing.join(", ")
        ));
    }
    if !extra.is_empty() {
        drift.push(format!(
            "{backend}: the CHECK on {table}.ressource accepts {}, not in RessourceJournal",
            extra.join(", ")
        ));
    }
    drift
}

async fn the_journal_check_accepts_exactly_the_journal_resources(db: TestDb) {
    let drift = journal_check_drift(&mut db.conn(), "journal");
    assert!(drift.is_empty(), "{}", drift.join("\n"));
}

/// A journal whose CHECK a new resource forgot: the same reading sees it, on each backend.
async fn the_check_reading_sees_a_stale_journal_check(db: TestDb) {
    let mut conn = db.conn();
    conn.batch_execute(
        "CREATE TABLE zz_journal (
            id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
            ressource TEXT NOT NULL CHECK (ressource IN ('structure', 'convention', 'ancienne')),
            departement TEXT
        )",
    )
    .expect("probe table created");
    let backend = backend(&conn);
    let resources: Vec<&str> = RessourceJournal::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        journal_check_drift(&mut conn, "zz_journal"),
        [
            format!(
                "{backend}: the CHECK on zz_journal.ressource refuses {} (in RessourceJournal): a migration must widen it",
                resources[2..].join(", ")
            ),
            format!(
                "{backend}: the CHECK on zz_journal.ressource accepts ancienne, not in RessourceJournal"
            ),
        ]
    );
}

#[test]
fn the_check_parser_reads_both_backends_forms() {
    let sqlite = "CREATE TABLE \"journal\" (\n    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),\n    \
        -- ressource CHECK (ressource IN ('commentaire'))\n    \
        ressource TEXT NOT NULL CHECK (ressource IN ('structure', 'convention',\n        'l''autre')),\n    \
        apres TEXT\n)";
    assert_eq!(
        check_values(&[sqlite.to_owned()], "ressource"),
        Ok(vec![
            "structure".into(),
            "convention".into(),
            "l'autre".into()
        ])
    );
    let postgres = [
        "CHECK ((length(id) = 36))".to_owned(),
        "CHECK ((ressource = ANY (ARRAY['structure'::text, 'convention'::text])))".to_owned(),
    ];
    let accepted = check_values(&postgres, "ressource").expect("one CHECK on ressource");
    assert_eq!(accepted, ["structure", "convention"]);
    assert_eq!(
        set_drift(&["structure", "convention", "lieu"], &accepted),
        (vec!["lieu".to_owned()], vec![])
    );
    assert!(check_values(&postgres[..1], "ressource").is_err());
    assert!(check_values(&[postgres[1].clone(), postgres[1].clone()], "ressource").is_err());
}

// ------------------------------------------------------------------ 3. the référentiel's reload

/// What is out of step between the foreign keys to the référentiel tables and the reload's lists,
/// both ways.
fn reload_list_drift(keys: &[ForeignKey], lists: &[&Referenced], backend: &str) -> Vec<String> {
    let mut drift = Vec::new();
    for list in lists {
        let mut in_database = BTreeSet::new();
        for key in keys.iter().filter(|k| k.referenced_table == list.table) {
            if !key.referenced_column.is_empty() && key.referenced_column != list.key {
                drift.push(format!(
                    "{backend}: {}.{} references {}.{}, not the key {} the reload deletes by",
                    key.table_name, key.column_name, list.table, key.referenced_column, list.key
                ));
            }
            in_database.insert((key.table_name.as_str(), key.column_name.as_str()));
        }
        let listed: BTreeSet<(&str, &str)> = list.by.iter().copied().collect();
        for (table, column) in in_database.difference(&listed) {
            drift.push(format!(
                "{backend}: {table}.{column} references {}, missing from its list in src/db/referentiel.rs \
                 (a reload would fail on the foreign key once {table} has rows)",
                list.table
            ));
        }
        for (table, column) in listed.difference(&in_database) {
            drift.push(format!(
                "{backend}: src/db/referentiel.rs lists {table}.{column} as referencing {}, \
                 but the database has no such foreign key",
                list.table
            ));
        }
    }
    drift
}

async fn every_foreign_key_to_the_referentiel_is_in_the_reload_lists(db: TestDb) {
    let tables: Vec<&str> = REFERENCED.iter().map(|list| list.table).collect();
    for required in ["departements", "communes"] {
        assert!(tables.contains(&required), "REFERENCED lacks {required}");
    }
    let mut conn = db.conn();
    let backend = backend(&conn);
    let keys = foreign_keys(&mut conn);
    assert!(
        keys.iter().any(|k| k.referenced_table == "departements"),
        "{backend}: no foreign key to departements read: is the introspection still working?"
    );
    let drift = reload_list_drift(&keys, &REFERENCED, backend);
    assert!(
        drift.is_empty(),
        "the référentiel's reload lists are out of step with the schema:\n  - {}",
        drift.join("\n  - ")
    );
}

/// A new table referencing the référentiel, not yet listed: the same reading sees it.
async fn the_foreign_key_reading_sees_an_unlisted_table(db: TestDb) {
    let mut conn = db.conn();
    conn.batch_execute(
        "CREATE TABLE zz_probe (
            id TEXT PRIMARY KEY NOT NULL,
            departement TEXT NOT NULL REFERENCES departements (code),
            commune TEXT REFERENCES communes (code_insee)
        )",
    )
    .expect("probe table created");
    let backend = backend(&conn);
    let drift = reload_list_drift(&foreign_keys(&mut conn), &REFERENCED, backend);
    assert_eq!(
        drift,
        [
            format!(
                "{backend}: zz_probe.departement references departements, missing from its list in \
                 src/db/referentiel.rs (a reload would fail on the foreign key once zz_probe has rows)"
            ),
            format!(
                "{backend}: zz_probe.commune references communes, missing from its list in \
                 src/db/referentiel.rs (a reload would fail on the foreign key once zz_probe has rows)"
            ),
        ]
    );
}

on_both_backends!(
    the_journal_check_accepts_exactly_the_journal_resources,
    the_check_reading_sees_a_stale_journal_check,
    every_foreign_key_to_the_referentiel_is_in_the_reload_lists,
    the_foreign_key_reading_sees_an_unlisted_table,
);

#[test]
fn a_listed_reference_without_its_foreign_key_is_reported() {
    let key = |table: &str, column: &str, referenced: &str, to: &str| ForeignKey {
        table_name: table.into(),
        column_name: column.into(),
        referenced_table: referenced.into(),
        referenced_column: to.into(),
    };
    let list = Referenced {
        table: "departements",
        key: "code",
        by: &[("communes", "departement"), ("ancienne", "departement")],
    };
    let keys = [
        key("communes", "departement", "departements", "code"),
        key("zz", "dep", "departements", "nom"),
        key("communes", "region", "regions", ""),
    ];
    assert_eq!(
        reload_list_drift(&keys, &[&list], "SQLite"),
        [
            "SQLite: zz.dep references departements.nom, not the key code the reload deletes by",
            "SQLite: zz.dep references departements, missing from its list in src/db/referentiel.rs \
             (a reload would fail on the foreign key once zz has rows)",
            "SQLite: src/db/referentiel.rs lists ancienne.departement as referencing departements, \
             but the database has no such foreign key",
        ]
    );
}

// ------------------------------------------------------------------ 4. Insertable rows

/// The Rust column names of every `table!` block of a schema file, by table (Rust name).
fn schema_columns(source: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    let tokens = rust_tokens(source);
    let mut tables = BTreeMap::new();
    let mut i = 0;
    while i + 2 < tokens.len() {
        if !(ident(tokens.get(i)) == Some("table")
            && is_punct(tokens.get(i + 1), '!')
            && is_punct(tokens.get(i + 2), '{'))
        {
            i += 1;
            continue;
        }
        let end = group_end(&tokens, i + 2);
        let mut j = i + 3;
        // Attributes and `use …;` lines before the name.
        loop {
            if is_punct(tokens.get(j), '#') {
                j = group_end(&tokens, j + 1);
            } else if ident(tokens.get(j)) == Some("use") {
                while j < end && !is_punct(tokens.get(j), ';') {
                    j += 1;
                }
                j += 1;
            } else {
                break;
            }
        }
        let mut name = ident(tokens.get(j)).ok_or("a table! block without a name")?;
        j += 1;
        if is_punct(tokens.get(j), '.') {
            name = ident(tokens.get(j + 1)).ok_or("a schema-qualified table without a name")?;
            j += 2;
        }
        if is_punct(tokens.get(j), '(') {
            j = group_end(&tokens, j);
        }
        if !is_punct(tokens.get(j), '{') {
            return Err(format!("table `{name}`: no column block"));
        }
        let columns_end = group_end(&tokens, j);
        let mut columns = Vec::new();
        for column in split_commas(&tokens[j + 1..columns_end - 1]) {
            let mut k = 0;
            while is_punct(column.get(k), '#') {
                k = k + 1 + group_end(&column[k + 1..], 0);
            }
            match (ident(column.get(k)), column.get(k + 1), column.get(k + 2)) {
                (Some(name), Some(Token::Punct('-')), Some(Token::Punct('>'))) => {
                    columns.push(name.to_owned())
                }
                _ => return Err(format!("table `{name}`: unreadable column {column:?}")),
            }
        }
        tables.insert(name.to_owned(), columns);
        i = end;
    }
    if tables.is_empty() {
        return Err("no table! block".to_owned());
    }
    Ok(tables)
}

/// A struct deriving `Insertable`.
#[derive(Debug, PartialEq)]
struct InsertableRow {
    file: String,
    name: String,
    /// `table_name` of its `#[diesel(…)]` (the last segment of a path).
    table: Option<String>,
    treat_none_as_default_value_false: bool,
    /// The columns its fields bind (`column_name` applied, `skip_insertion` fields left out).
    columns: Vec<String>,
    /// Fields the check cannot read (`#[diesel(embed)]`).
    unreadable: Vec<String>,
}

/// The `diesel(…)` attributes among `attributes` (each the tokens inside `#[…]`), as the
/// comma-separated items inside their parentheses.
fn diesel_items(attributes: &[&[Token]]) -> Vec<Vec<Token>> {
    let mut items = Vec::new();
    for attribute in attributes {
        if ident(attribute.first()) == Some("diesel") && is_punct(attribute.get(1), '(') {
            let inner = &attribute[2..attribute.len() - 1];
            items.extend(split_commas(inner).into_iter().map(<[Token]>::to_vec));
        }
    }
    items
}

/// `key = value` among diesel items: the value's last identifier (`schema::lieux` → `lieux`).
fn diesel_value(items: &[Vec<Token>], key: &str) -> Option<String> {
    items
        .iter()
        .find(|item| ident(item.first()) == Some(key) && is_punct(item.get(1), '='))
        .and_then(|item| item.iter().rev().find_map(|t| ident(Some(t))))
        .map(str::to_owned)
}

/// Every struct of `source` that derives `Insertable`, with what its attributes and fields say.
fn insertable_rows(file: &str, source: &str) -> Vec<InsertableRow> {
    let tokens = rust_tokens(source);
    let mut rows = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if !(is_punct(tokens.get(i), '#') && is_punct(tokens.get(i + 1), '[')) {
            i += 1;
            continue;
        }
        // The run of outer attributes, then the item they belong to.
        let mut attributes: Vec<&[Token]> = Vec::new();
        let mut j = i;
        while is_punct(tokens.get(j), '#') && is_punct(tokens.get(j + 1), '[') {
            let end = group_end(&tokens, j + 1);
            attributes.push(&tokens[j + 2..end - 1]);
            j = end;
        }
        i = j;
        let derives_insertable = attributes.iter().any(|attribute| {
            ident(attribute.first()) == Some("derive")
                && attribute
                    .iter()
                    .any(|t| *t == Token::Ident("Insertable".into()))
        });
        if !derives_insertable {
            continue;
        }
        if ident(tokens.get(j)) == Some("pub") {
            j += 1;
            if is_punct(tokens.get(j), '(') {
                j = group_end(&tokens, j);
            }
        }
        let (Some("struct"), Some(name)) = (ident(tokens.get(j)), ident(tokens.get(j + 1))) else {
            continue;
        };
        let mut k = j + 2;
        while k < tokens.len() && !is_punct(tokens.get(k), '{') && !is_punct(tokens.get(k), ';') {
            k += 1; // generics, a where clause
        }
        let items = diesel_items(&attributes);
        let mut row = InsertableRow {
            file: file.to_owned(),
            name: name.to_owned(),
            table: diesel_value(&items, "table_name"),
            treat_none_as_default_value_false: diesel_value(&items, "treat_none_as_default_value")
                .as_deref()
                == Some("false"),
            columns: Vec::new(),
            unreadable: Vec::new(),
        };
        if is_punct(tokens.get(k), '{') {
            let end = group_end(&tokens, k);
            for field in split_commas(&tokens[k + 1..end - 1]) {
                let mut field_attributes: Vec<&[Token]> = Vec::new();
                let mut f = 0;
                while is_punct(field.get(f), '#') {
                    let close = f + 1 + group_end(&field[f + 1..], 0);
                    field_attributes.push(&field[f + 2..close - 1]);
                    f = close;
                }
                if ident(field.get(f)) == Some("pub") {
                    f += 1;
                    if is_punct(field.get(f), '(') {
                        f += group_end(&field[f..], 0);
                    }
                }
                let Some(field_name) = ident(field.get(f)) else {
                    continue;
                };
                let items = diesel_items(&field_attributes);
                let flag = |key: &str| items.iter().any(|item| ident(item.first()) == Some(key));
                if flag("embed") {
                    row.unreadable.push(field_name.to_owned());
                } else if !flag("skip_insertion") {
                    row.columns.push(
                        diesel_value(&items, "column_name")
                            .unwrap_or_else(|| field_name.to_owned()),
                    );
                }
            }
        }
        rows.push(row);
        i = k;
    }
    rows
}

/// What is wrong with each row, against the schema's tables.
fn insertable_drift(rows: &[InsertableRow], tables: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut drift = Vec::new();
    for row in rows {
        let who = format!("{} ({})", row.name, row.file);
        if !row.treat_none_as_default_value_false {
            drift.push(format!(
                "{who}: its #[diesel(…)] lacks `treat_none_as_default_value = false` \
                 (a None would insert the column's DEFAULT instead of NULL)"
            ));
        }
        for field in &row.unreadable {
            drift.push(format!(
                "{who}: field `{field}` is #[diesel(embed)]: this check cannot see its columns"
            ));
        }
        let Some(table) = &row.table else {
            drift.push(format!("{who}: its #[diesel(…)] names no table_name"));
            continue;
        };
        let Some(columns) = tables.get(table) else {
            drift.push(format!(
                "{who}: table_name = {table}, which src/db/schema.rs does not declare"
            ));
            continue;
        };
        let missing: Vec<&str> = columns
            .iter()
            .filter(|c| !row.columns.contains(c))
            .map(String::as_str)
            .collect();
        let extra: Vec<&str> = row
            .columns
            .iter()
            .filter(|c| !columns.contains(c))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            drift.push(format!(
                "{who}: binds no field to {table}.{{{}}} (an insert would leave them to their DEFAULT)",
                missing.join(", ")
            ));
        }
        if !extra.is_empty() {
            drift.push(format!(
                "{who}: fields {} are not columns of {table}",
                extra.join(", ")
            ));
        }
    }
    drift
}

#[test]
fn every_insertable_binds_every_column_of_its_table() {
    let tables = schema_columns(SCHEMA_RS).expect("src/db/schema.rs parses");
    let mut rows = Vec::new();
    for (file, text) in source_files() {
        if file != "src/db/schema.rs" {
            rows.extend(insertable_rows(&file, &text));
        }
    }
    assert!(
        rows.len() >= 5,
        "the scan found only {} Insertable structs under src/: is it still reading them?",
        rows.len()
    );
    let drift = insertable_drift(&rows, &tables);
    assert!(
        drift.is_empty(),
        "Insertable rows out of step with src/db/schema.rs:\n  - {}",
        drift.join("\n  - ")
    );
}

#[test]
fn the_insertable_scan_sees_a_forgotten_column() {
    let schema = r#"
        diesel::table! {
            use diesel::sql_types::*;
            /// Lieux.
            lieux (id) {
                id -> Text,
                #[sql_name = "type"]
                type_ -> Text,
                /// A doc comment.
                nom -> Nullable<Text>,
                version -> BigInt,
            }
        }
        diesel::table! { t (a) { a -> Integer } }
    "#;
    let tables = schema_columns(schema).expect("parses");
    assert_eq!(tables["lieux"], ["id", "type_", "nom", "version"]);
    assert_eq!(tables["t"], ["a"]);
    let source = r#"
        /// `#[derive(Insertable)] struct InDoc { x: i32 }`
        #[derive(Debug, Clone, Queryable, diesel::Insertable, AsChangeset)]
        #[diesel(table_name = crate::db::schema::lieux, treat_none_as_null = true,
                 treat_none_as_default_value = false)]
        pub(super) struct Complete {
            pub(super) id: String,
            #[diesel(column_name = type_)]
            kind: String,
            /// Optional.
            nom: Option<String>,
            version: i64,
        }

        #[diesel(table_name = lieux)]
        #[derive(Insertable)]
        struct Forgetful<'a> {
            id: &'a str,
            type_: HashMap<String, Vec<(i32, i64)>>,
            #[diesel(skip_insertion)]
            version: i64,
            ville: String,
        }

        #[derive(Queryable)]
        struct NotInserted { x: i32 }
    "#;
    let rows = insertable_rows("src/db/repo/lieu.rs", source);
    assert_eq!(
        rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["Complete", "Forgetful"]
    );
    assert_eq!(rows[0].columns, ["id", "type_", "nom", "version"]);
    assert!(insertable_drift(&rows[..1], &tables).is_empty());
    assert_eq!(
        insertable_drift(&rows[1..], &tables),
        [
            "Forgetful (src/db/repo/lieu.rs): its #[diesel(…)] lacks `treat_none_as_default_value = false` \
             (a None would insert the column's DEFAULT instead of NULL)",
            "Forgetful (src/db/repo/lieu.rs): binds no field to lieux.{nom, version} \
             (an insert would leave them to their DEFAULT)",
            "Forgetful (src/db/repo/lieu.rs): fields ville are not columns of lieux",
        ]
    );
}

// ------------------------------------------------------------------ 5. OpenAPI tags

/// The words of a text for matching: lower case, accents and punctuation gone (the
/// référentiel's own search key), each word in the singular (a final `s` or `x` dropped), so
/// that `Départements` names `departements` and `lieux` names `lieu`.
fn words(text: &str) -> BTreeSet<String> {
    search_key(text)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(singular)
        .collect()
}

fn singular(word: &str) -> String {
    match word.strip_suffix(['s', 'x']) {
        Some(stem) if stem.len() >= 3 => stem.to_owned(),
        _ => word.to_owned(),
    }
}

/// Those of `wanted` that `text` does not name (every word of each must be among the text's).
fn unnamed<'w>(text: &str, wanted: &[&'w str]) -> Vec<&'w str> {
    let have = words(text);
    wanted
        .iter()
        .filter(|w| !words(w).is_subset(&have))
        .copied()
        .collect()
}

/// What a path asks its tag to name: its literal segments after `/api/v1/` (parameters left out,
/// a file's extension dropped): `/api/v1/exports/statistiques-departements.csv` → `exports`,
/// `statistiques-departements`. Words of two letters (`de`) are not asked for.
fn path_segments(path: &str) -> Vec<String> {
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return Vec::new();
    };
    rest.split('/')
        .filter(|segment| !segment.is_empty() && !segment.starts_with('{'))
        .map(|segment| segment.split('.').next().unwrap_or(segment))
        .map(|segment| {
            search_key(segment)
                .split(' ')
                .filter(|w| w.len() > 2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|segment| !segment.is_empty())
        .collect()
}

/// A tag of the document and the operations (`METHOD path`) filed under it.
struct Tagged {
    name: String,
    description: String,
    declared: bool,
    operations: Vec<(String, String)>,
}

/// The tags of an OpenAPI document (as JSON), with their operations; a tag that an operation
/// uses but `tags` does not declare comes last, undeclared.
fn tags_of(spec: &serde_json::Value) -> Vec<Tagged> {
    let mut tags: Vec<Tagged> = spec["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tag| Tagged {
            name: tag["name"].as_str().unwrap_or_default().to_owned(),
            description: tag["description"].as_str().unwrap_or_default().to_owned(),
            declared: true,
            operations: Vec::new(),
        })
        .collect();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            for tag in operation["tags"].as_array().into_iter().flatten() {
                let name = tag.as_str().unwrap_or_default();
                let index = match tags.iter().position(|t| t.name == name) {
                    Some(index) => index,
                    None => {
                        tags.push(Tagged {
                            name: name.to_owned(),
                            description: String::new(),
                            declared: false,
                            operations: Vec::new(),
                        });
                        tags.len() - 1
                    }
                };
                tags[index]
                    .operations
                    .push((method.to_uppercase(), path.clone()));
            }
        }
    }
    tags
}

/// Each tag's name and description must name every literal segment of its operations' paths
/// under `/api/v1/`: the collection (`enveloppes`), a sub-resource (`plafonds`), an action
/// (`annulation`), an exported file (`statistiques-departements`). A resource or action filed
/// under an existing tag without a word in its description is what this catches. The health
/// probes (`/health/…`, outside `/api/v1/`) are exempt: their paths are the orchestrators'
/// English conventions, not resources.
fn tag_drift(tags: &[Tagged]) -> Vec<String> {
    let mut drift = Vec::new();
    for tag in tags {
        if !tag.declared {
            let operations: Vec<String> = tag
                .operations
                .iter()
                .map(|(method, path)| format!("{method} {path}"))
                .collect();
            drift.push(format!(
                "tag `{}` ({}) is not declared in the tags of openapi::ApiDoc (src/openapi.rs)",
                tag.name,
                operations.join(", ")
            ));
            continue;
        }
        if tag.description.trim().is_empty() {
            drift.push(format!("tag `{}` has no description", tag.name));
        }
        let text = format!("{} {}", tag.name, tag.description);
        let mut unnamed_segments: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (method, path) in &tag.operations {
            for segment in path_segments(path) {
                if !unnamed(&text, &[&segment]).is_empty() {
                    unnamed_segments
                        .entry(segment)
                        .or_default()
                        .push(format!("{method} {path}"));
                }
            }
        }
        for (segment, operations) in unnamed_segments {
            drift.push(format!(
                "tag `{}`: its name and description do not name « {segment} » (from {})",
                tag.name,
                operations.join(", ")
            ));
        }
    }
    drift
}

fn spec() -> serde_json::Value {
    serde_json::to_value(cnfs_api::openapi_document()).expect("the document serializes")
}

#[test]
fn every_tag_description_names_the_segments_of_its_paths() {
    let tags = tags_of(&spec());
    assert!(
        tags.iter().any(|t| t.operations.len() > 1),
        "no tag with operations read"
    );
    let drift = tag_drift(&tags);
    assert!(
        drift.is_empty(),
        "tag descriptions out of step with their operations (src/openapi.rs; then regenerate \
         openapi/openapi.json):\n  - {}",
        drift.join("\n  - ")
    );
}

#[test]
fn the_journal_tag_names_every_journalled_resource() {
    let tags = tags_of(&spec());
    let journal = tags
        .iter()
        .find(|t| t.name == "Journal")
        .expect("a Journal tag");
    let resources: Vec<&str> = RessourceJournal::ALL.iter().map(|r| r.as_str()).collect();
    let missing = unnamed(&journal.description, &resources);
    assert!(
        missing.is_empty(),
        "the Journal tag's description (src/openapi.rs) does not name {} (RessourceJournal): \
         «{}»",
        missing.join(", "),
        journal.description
    );
}

#[test]
fn the_tag_check_sees_a_forgotten_segment_and_resource() {
    let spec = serde_json::json!({
        "tags": [
            {"name": "Données ouvertes", "description": "Exports publics en CSV : les subventions et les lieux."},
            {"name": "Financement", "description": "Enveloppes, plafonds, engagements de crédits et versements."},
            {"name": "Journal", "description": "Une entrée par modification d'une structure ou d'un lieu."},
        ],
        "paths": {
            "/health/live": {"get": {"tags": ["Santé"]}},
            "/api/v1/exports/lieux.csv": {"get": {"tags": ["Données ouvertes"]}},
            "/api/v1/exports/statistiques-departements.csv": {"get": {"tags": ["Données ouvertes"]}},
            "/api/v1/enveloppes/{id}/plafonds/{departement}": {"put": {"tags": ["Financement"]}},
            "/api/v1/engagements/{id}/annulation": {"post": {"tags": ["Financement"]}},
            "/api/v1/versements/{id}/annulation": {"post": {"tags": ["Financement"]}},
            "/api/v1/journal": {"get": {"tags": ["Journal"]}},
        }
    });
    let tags = tags_of(&spec);
    assert_eq!(
        tag_drift(&tags),
        [
            "tag `Données ouvertes`: its name and description do not name « statistiques departements » \
             (from GET /api/v1/exports/statistiques-departements.csv)",
            "tag `Financement`: its name and description do not name « annulation » \
             (from POST /api/v1/engagements/{id}/annulation, POST /api/v1/versements/{id}/annulation)",
            "tag `Santé` (GET /health/live) is not declared in the tags of openapi::ApiDoc (src/openapi.rs)",
        ]
    );
    assert_eq!(
        unnamed(
            &tags[2].description,
            &["structure", "lieu", "conseiller", "activite"]
        ),
        ["conseiller", "activite"]
    );
    // Accents, case and plurals aside: « Activités » names `activite`, « lieux » names `lieu`.
    assert!(unnamed("Les Activités et les lieux", &["activite", "lieu", "lieux"]).is_empty());
}

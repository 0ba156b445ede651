//! PostgreSQL databases for tests: one fresh database per test, next to the one
//! `CNFS_TEST_PG_URL` names (same server, same credentials).
//!
//! - The start-up sequence (migrations + référentiel) runs once per version of the sources, on a
//!   template database `cnfs_tpl_<fingerprint>` shared by every test binary and every run (kept on
//!   the server between runs; replaced when the sources change); each test gets
//!   `CREATE DATABASE … TEMPLATE` of it, dropped `WITH (FORCE)` when its [`Database`] guard is
//!   dropped. Tests create and drop their databases in parallel, each on an
//!   admin connection of its own (reused from one test to the next).
//! - Every database of a run is named `cnfs_test_<pid>_<random>_…`. The run keeps one connection
//!   (the "beacon") open to the database `CNFS_TEST_PG_URL` names, with `application_name` set to
//!   that prefix: while the process lives, the beacon shows in `pg_stat_activity`; when the
//!   process dies, even killed, the server ends it.
//! - At start, a run drops the `cnfs_test_…` databases (of its own role) whose run has no beacon
//!   any more: what killed runs left behind. At exit (`atexit`: statics are never dropped), a run
//!   drops whatever test database of its own is left.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// The prefix of every database a test run creates.
const PREFIX: &str = "cnfs_test_";

/// `url` with its database name replaced by `database`; the query string is kept, except a
/// `dbname` parameter (it would override the path).
pub fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url
        .split_once("://")
        .unwrap_or_else(|| panic!("not a URL: {url}"));
    // RFC 3986: the authority (userinfo included) ends at the first '/', '?' or '#'.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (query, fragment) = match tail.find(['?', '#']) {
        None => ("", ""),
        Some(start) => {
            let after_path = &tail[start..];
            match after_path.find('#') {
                Some(hash) => (&after_path[..hash], &after_path[hash..]),
                None => (after_path, ""),
            }
        }
    };
    let kept: Vec<&str> = query
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("dbname"))
        .collect();
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    format!("{scheme}://{authority}/{database}{query}{fragment}")
}

/// The run a database belongs to: `cnfs_test_<pid>_<random>` out of `cnfs_test_<pid>_<random>_…`.
pub fn run_of(database: &str) -> Option<&str> {
    let rest = database.strip_prefix(PREFIX)?;
    let mut parts = rest.splitn(3, '_');
    let (pid, random) = (parts.next()?, parts.next()?);
    parts.next()?;
    Some(&database[..PREFIX.len() + pid.len() + 1 + random.len()])
}

/// This run: its name, its beacon, its admin connections.
struct Run {
    /// `cnfs_test_<pid>_<random>`, also the `application_name` of its connections.
    id: String,
    /// `CNFS_TEST_PG_URL`, whose database serves as the maintenance database.
    base_url: String,
    /// Open as long as the process lives: tells other runs that this one is alive.
    beacon: Mutex<PgConnection>,
    /// Idle admin connections, for CREATE and DROP DATABASE.
    idle: Mutex<Vec<PgConnection>>,
    counter: AtomicUsize,
}

/// A lock that a test panicking while holding it leaves usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A connection whose `application_name` names the run; errors show the URL without password.
fn connect(url: &str, application_name: &str) -> Result<PgConnection, String> {
    let redacted = || cnfs_api::db::DatabaseUrl::Postgres(url.to_owned()).redacted();
    let mut conn = PgConnection::establish(url)
        .map_err(|error| format!("cannot reach PostgreSQL at {}: {error}", redacted()))?;
    conn.batch_execute(&format!("SET application_name = '{application_name}'"))
        .map_err(|error| format!("cannot set application_name on {}: {error}", redacted()))?;
    Ok(conn)
}

impl Run {
    /// Runs one statement on an admin connection of its own, so that tests create and drop
    /// databases in parallel. (One statement: a multi-statement string runs as one transaction,
    /// where CREATE/DROP DATABASE cannot.)
    fn execute(&self, statement: &str) -> Result<(), String> {
        let idle = lock(&self.idle).pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => connect(&self.base_url, &self.id)?,
        };
        match conn.batch_execute(statement) {
            Ok(()) => {
                lock(&self.idle).push(conn);
                Ok(())
            }
            // The connection may be broken: let it go.
            Err(error) => Err(error.to_string()),
        }
    }

    fn url_of(&self, database: &str) -> String {
        with_database(&self.base_url, database)
    }

    fn next_name(&self) -> String {
        format!(
            "{}_{}",
            self.id,
            self.counter.fetch_add(1, Ordering::Relaxed)
        )
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// The names `query` returns (its column must be called `name`).
fn names(conn: &mut PgConnection, query: &str) -> QueryResult<Vec<String>> {
    Ok(diesel::sql_query(query)
        .load::<Name>(conn)?
        .into_iter()
        .map(|row| row.name)
        .collect())
}

/// The test databases of this role (`_` escaped for `LIKE`).
const OWN_TEST_DATABASES: &str = "SELECT datname::text AS name FROM pg_database \
     WHERE datname LIKE 'cnfs\\_test\\_%' \
     AND datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user)";

/// Drops the test databases whose run is gone (no connection carries its name any more).
fn drop_stale_databases(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    // Databases first, live runs second: a database listed here was created after its run's
    // beacon opened, so a run still alive now shows in the second list.
    let databases = names(conn, OWN_TEST_DATABASES)?;
    let live = names(
        conn,
        "SELECT DISTINCT application_name::text AS name FROM pg_stat_activity \
         WHERE application_name LIKE 'cnfs\\_test\\_%'",
    )?;
    let mut dropped = Vec::new();
    for database in databases {
        let Some(run) = run_of(&database) else {
            continue;
        };
        if live.iter().any(|l| l == run) {
            continue;
        }
        match conn.batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
        )) {
            Ok(()) => dropped.push(database),
            Err(error) => eprintln!("stale test database {database} not dropped: {error}"),
        }
    }
    Ok(dropped)
}

/// This run, created by the first test that needs PostgreSQL.
static RUN: OnceLock<Run> = OnceLock::new();

fn this_run() -> &'static Run {
    RUN.get_or_init(|| {
        let base_url = super::postgres_url().expect("PostgreSQL tests need CNFS_TEST_PG_URL");
        let random = uuid::Uuid::now_v7().simple().to_string();
        let id = format!("{PREFIX}{}_{}", std::process::id(), &random[24..]);
        // The beacon opens before this run creates anything (see drop_stale_databases).
        let mut beacon = connect(&base_url, &id).unwrap_or_else(|error| panic!("{error}"));
        match drop_stale_databases(&mut beacon) {
            Ok(dropped) if !dropped.is_empty() => {
                eprintln!("dropped test databases left by killed runs: {dropped:?}")
            }
            Ok(_) => {}
            Err(error) => eprintln!("stale test databases not swept: {error}"),
        }
        register_exit_cleanup();
        Run {
            id,
            base_url,
            beacon: Mutex::new(beacon),
            idle: Mutex::new(Vec::new()),
            counter: AtomicUsize::new(0),
        }
    })
}

unsafe extern "C" {
    /// C's `atexit`.
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

fn register_exit_cleanup() {
    // SAFETY: `drop_run_databases` is a plain function that never unwinds out.
    if unsafe { atexit(drop_run_databases) } != 0 {
        eprintln!("atexit refused: this run's template will be dropped by the next run");
    }
}

/// At exit: drops this run's template and any test database still there.
extern "C" fn drop_run_databases() {
    let _ = std::panic::catch_unwind(|| {
        let Some(run) = RUN.get() else {
            return;
        };
        // A test thread still running (a failed run exits without waiting) may hold it.
        let Ok(mut beacon) = run.beacon.try_lock() else {
            return;
        };
        let Ok(databases) = names(&mut beacon, OWN_TEST_DATABASES) else {
            return;
        };
        for database in databases.iter().filter(|d| run_of(d) == Some(&run.id)) {
            let _ = beacon.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
            ));
        }
    });
}

/// Prefix of the shared templates (not `cnfs_test_`: no run owns them, the sweep leaves them).
const TEMPLATE_PREFIX: &str = "cnfs_tpl_";
/// Advisory lock taken while a template is checked and built (two runs build it once).
const TEMPLATE_LOCK: i64 = 0x636e_6673_7470; // "cnfstp"

/// A fingerprint of what a prepared database depends on: the library's sources (the loader and
/// the search keys it computes), the migrations, the embedded data and the locked dependencies.
/// The same sources give the same template, shared by every test binary and every run.
fn source_fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = ["src", "migrations", "data"]
        .iter()
        .map(|dir| root.join(dir))
        .collect();
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).expect("source folder readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.push(root.join("Cargo.lock"));
    files.sort();
    let mut hash = Sha256::new();
    for file in files {
        hash.update(
            file.strip_prefix(root)
                .unwrap_or(&file)
                .to_string_lossy()
                .as_bytes(),
        );
        hash.update([0]);
        hash.update(std::fs::read(&file).expect("source file readable"));
        hash.update([0]);
    }
    hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The prepared template (migrations applied, référentiel loaded, no connection left open),
/// built once per version of the sources and shared by every test binary and run: the first
/// binary that needs it builds it under an advisory lock (under a temporary name, renamed when
/// ready), the others copy it. Templates of other versions are dropped when nobody uses them.
fn template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let run = this_run();
        let name = format!("{TEMPLATE_PREFIX}{}", source_fingerprint());
        let mut admin = connect(&run.base_url, &run.id).unwrap_or_else(|error| panic!("{error}"));
        admin
            .batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
            .expect("template lock");
        let built = build_template_if_missing(run, &mut admin, &name);
        let _ = admin.batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"));
        built.unwrap_or_else(|error| {
            panic!(
                "cannot prepare the test template {name} (does the role have CREATEDB?): {error}"
            )
        });
        name
    })
}

fn build_template_if_missing(
    run: &Run,
    admin: &mut PgConnection,
    name: &str,
) -> Result<(), String> {
    let templates = names(
        admin,
        &format!(
            "SELECT datname::text AS name FROM pg_database WHERE datname LIKE '{}%'",
            TEMPLATE_PREFIX.replace('_', "\\_")
        ),
    )
    .map_err(|error| error.to_string())?;
    if !templates.iter().any(|t| t == name) {
        let building = format!("{name}_b");
        for statement in [
            format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"),
            format!("CREATE DATABASE \"{building}\""),
        ] {
            admin
                .batch_execute(&statement)
                .map_err(|error| error.to_string())?;
        }
        let url = cnfs_api::db::DatabaseUrl::Postgres(run.url_of(&building));
        // prepare_database closes its connection before returning: a template must have none.
        cnfs_api::db::prepare_database(&url).map_err(|error| error.to_string())?;
        admin
            .batch_execute(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
            ))
            .map_err(|error| error.to_string())?;
    }
    // Older versions' templates of this role: dropped unless in use (a plain DROP refuses then).
    // Another role's are left alone: runs of other checkouts (another fingerprint) may share this
    // server, and a template dropped between two of their tests fails those tests.
    let own = names(
        admin,
        &format!(
            "SELECT datname::text AS name FROM pg_database WHERE datname LIKE '{}%' \
             AND datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user)",
            TEMPLATE_PREFIX.replace('_', "\\_")
        ),
    )
    .map_err(|error| error.to_string())?;
    for old in own.iter().filter(|t| *t != name && !t.ends_with("_b")) {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{old}\""));
    }
    Ok(())
}

/// A database of this run, dropped (`WITH (FORCE)`: a pool may still hold connections) when
/// the guard is dropped.
pub struct Database {
    /// The database name.
    pub name: String,
    /// Its URL: `CNFS_TEST_PG_URL` with the name replaced.
    pub url: String,
}

impl Database {
    /// A fresh copy of this binary's prepared template (migrations applied, référentiel loaded).
    pub fn prepared() -> Database {
        let template = template();
        Database::create(&format!("TEMPLATE \"{template}\""))
    }

    /// A fresh, empty database (a copy of `template0`: nothing migrated, nothing loaded).
    pub fn empty() -> Database {
        Database::create("TEMPLATE template0")
    }

    fn create(options: &str) -> Database {
        let run = this_run();
        let name = run.next_name();
        // No STRATEGY clause: PostgreSQL 15's default, WAL_LOG, copied the prepared template
        // as fast as FILE_COPY or faster (FILE_COPY also checkpoints the whole cluster twice,
        // for every test), and servers before 15 do not know the clause.
        run.execute(&format!("CREATE DATABASE \"{name}\" {options}"))
            .unwrap_or_else(|error| panic!("cannot create test database {name}: {error}"));
        Database {
            url: run.url_of(&name),
            name,
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let result = this_run().execute(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ));
        if let Err(error) = result {
            // Never panic in drop (a failing test is already unwinding): the exit handler or
            // the next run drops it.
            eprintln!("test database {} not dropped: {error}", self.name);
        }
    }
}

/// The databases of this run that exist on the server.
pub fn databases_of_this_run() -> Vec<String> {
    let run = this_run();
    names(&mut lock(&run.beacon), OWN_TEST_DATABASES)
        .expect("databases listed")
        .into_iter()
        .filter(|d| run_of(d) == Some(&run.id))
        .collect()
}

/// Whether a database of that name exists on the server.
pub fn database_exists(name: &str) -> bool {
    let found = names(
        &mut lock(&this_run().beacon),
        &format!("SELECT datname::text AS name FROM pg_database WHERE datname = '{name}'"),
    )
    .expect("pg_database read");
    !found.is_empty()
}

/// Creates a database named as if a run that no longer exists had left it; returns its name.
pub fn create_database_of_a_dead_run() -> String {
    // No connection carries this name: its random part is fresh.
    let random = uuid::Uuid::now_v7().simple().to_string();
    let name = format!("{PREFIX}{}_{}_template", u32::MAX, &random[24..]);
    this_run()
        .execute(&format!("CREATE DATABASE \"{name}\" TEMPLATE template0"))
        .expect("stale-looking database created");
    name
}

/// Sweeps as a new run does at start; returns what it dropped.
pub fn sweep_stale_databases() -> Vec<String> {
    drop_stale_databases(&mut lock(&this_run().beacon)).expect("sweep")
}

/// The name of the shared template (`cnfs_tpl_<fingerprint>`), built if missing.
pub fn template_name() -> &'static str {
    template()
}

/// The name of this run (`cnfs_test_<pid>_<random>`).
pub fn run_id() -> &'static str {
    &this_run().id
}

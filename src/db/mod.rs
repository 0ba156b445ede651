//! Storage: one connection type over SQLite and PostgreSQL, its pool, the write path, migrations
//! and the start-up sequence (migrations + référentiel load under one lock).
//!
//! - Reads take a `&mut DbConn`. Writes take a [`WriteTx`], which only [`write`] creates: a
//!   `BEGIN IMMEDIATE` transaction on SQLite, a plain one on PostgreSQL, never nested on either.
//!   Repo functions that change data take `&mut WriteTx`, so a write outside a transaction does
//!   not compile.
//! - Backend-specific SQL goes through [`db_run!`](crate::db_run) (and the helpers built on it:
//!   [`lock_rows!`](crate::lock_rows), [`insert_rows!`](crate::insert_rows),
//!   [`insert_if_absent!`](crate::insert_if_absent), [`upsert!`](crate::upsert),
//!   [`bulk_insert!`](crate::bulk_insert)), nowhere else.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub mod beneficiaires;
pub mod bulk;
pub mod deadline;
pub mod referentiel;
pub mod repo;
pub mod schema;

/// One connection, to whichever backend `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// PostgreSQL, for production and several instances.
    Pg(diesel::PgConnection),
    /// SQLite, the embedded default.
    Sqlite(diesel::SqliteConnection),
}

/// The pool every request borrows from.
pub type DbPool = r2d2::Pool<ConnectionManager>;
/// A connection borrowed from the pool.
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Key of the PostgreSQL advisory lock held while migrating and loading reference data, so that
/// instances starting together do this once, one after the other ("cnfs" in ASCII).
const STARTUP_LOCK_KEY: i64 = 0x636e_6673;

/// The backend and location parsed from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file (`sqlite://path` or a plain path).
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://…` or `postgresql://…`), kept as given.
    Postgres(String),
}

impl DatabaseUrl {
    /// Chooses the backend by URL scheme; anything else with a scheme is refused.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        if path.contains("://") || path.is_empty() {
            return Err(
                "schéma non pris en charge : utiliser postgres://…, postgresql://…, sqlite://chemin ou un chemin de fichier"
                    .to_owned(),
            );
        }
        if path == ":memory:" {
            return Err(
                "une base SQLite en mémoire ne survit pas au pool : donner un fichier".to_owned(),
            );
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    /// A description safe for logs: the PostgreSQL password is masked.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => redact_password(url),
        }
    }

    /// Opens one connection (outside the pool), creating the SQLite file's folder when needed.
    pub fn connect(&self) -> ConnectionResult<DbConn> {
        match self {
            DatabaseUrl::Postgres(url) => diesel::PgConnection::establish(url).map(DbConn::Pg),
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|error| {
                        ConnectionError::BadConnection(format!(
                            "impossible de créer le dossier {} : {error}",
                            parent.display()
                        ))
                    })?;
                }
                let path = path.to_str().ok_or_else(|| {
                    ConnectionError::BadConnection("chemin SQLite non UTF-8".to_owned())
                })?;
                sqlite_configure();
                let mut conn = diesel::SqliteConnection::establish(path)?;
                // WAL lets readers go on while one writer writes; foreign keys are off by default
                // in SQLite; the busy timeout makes a second writer wait instead of failing.
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                )
                .map_err(|error| ConnectionError::BadConnection(error.to_string()))?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// Configures SQLite once per process, before its first connection (SQLite accepts global
/// settings only before it initialises; should a connection have come first, it answers
/// `SQLITE_MISUSE` and keeps its defaults, which are only slower):
/// - its "multi-thread" mode instead of its default "serialized" one: a connection is only ever
///   used by one thread at a time (the pool lends it out; Diesel's connection is not `Sync`), so
///   the mutex that serialized mode takes around every call, each column of each row read
///   included, guards nothing;
/// - no memory statistics (`SQLITE_CONFIG_MEMSTATUS` off): with them, every allocation of
///   SQLite takes one process-wide mutex to count itself, for figures nobody reads here.
fn sqlite_configure() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: every SQLite connection of the process is opened by `connect`, after this call
        // (other threads wait on `ONCE`), so nothing else runs SQLite concurrently; MULTITHREAD
        // takes no argument, MEMSTATUS one int.
        let modes = unsafe {
            [
                libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MULTITHREAD),
                libsqlite3_sys::sqlite3_config(
                    libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
                    0 as std::ffi::c_int,
                ),
            ]
        };
        if modes.iter().any(|&code| code != libsqlite3_sys::SQLITE_OK) {
            log::debug!("SQLite garde une partie de sa configuration par défaut : {modes:?}");
        }
        if !sqlite_plans_are_stable() {
            log::warn!(
                "SQLite compilé sans SQLITE_ENABLE_QPSG (voir .cargo/config.toml) : après ANALYZE, \
                 les requêtes seront analysées deux fois à chaque exécution"
            );
        }
    });
}

/// Whether the linked SQLite was compiled with the query planner stability guarantee
/// (`SQLITE_ENABLE_QPSG`, set in `.cargo/config.toml`). Without it, once ANALYZE has written its
/// STAT4 samples, a kept statement whose plan looked at a bound value is prepared again after
/// every new binding: each execution pays the parse and the planning twice.
fn sqlite_plans_are_stable() -> bool {
    sqlite_compiled_with(c"ENABLE_QPSG")
}

/// Whether the linked SQLite was compiled with this option (its name without `SQLITE_`).
fn sqlite_compiled_with(option: &std::ffi::CStr) -> bool {
    // SAFETY: a NUL-terminated option name that outlives the call; the function only reads
    // SQLite's compile-time list of options.
    unsafe { libsqlite3_sys::sqlite3_compileoption_used(option.as_ptr()) == 1 }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// How long a connection that just answered is trusted without a ping when checked out again.
pub const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// A pooled connection, with when it last proved alive. Checking out a connection that answered
/// within [`TRUSTED_FOR`] skips the validation ping (on PostgreSQL a round trip, as long as the
/// read itself); an older one is pinged first, and one whose last use failed at the connection
/// level is pinged, then dropped by the pool if the ping fails. Consequence: after a database
/// restart, each connection used within the last second may fail one request (503, `Retry-After`)
/// before it is replaced.
///
/// On PostgreSQL, each statement is watched ([`deadline::Watch`]): one left unanswered past the
/// statement timeout has its connection cut, and the pool drops it.
pub struct PooledDb {
    /// Declared before `conn`, hence dropped first: the connection leaves the watchdog's list
    /// before it closes its socket.
    watch: Option<deadline::Watch>,
    conn: DbConn,
    alive_at: Option<Instant>,
}

impl PooledDb {
    /// Records that the connection just answered.
    pub fn answered(&mut self) {
        self.alive_at = Some(Instant::now());
    }

    /// Records that the connection may be dead: the next checkout pings it.
    pub fn suspect(&mut self) {
        self.alive_at = None;
    }

    fn trusted(&self) -> bool {
        self.alive_at.is_some_and(|at| at.elapsed() < TRUSTED_FOR)
    }

    /// Whether a statement of this checkout ran for the whole statement timeout and failed
    /// (PostgreSQL cancelled it).
    pub fn timed_out(&self) -> bool {
        self.watch.as_ref().is_some_and(deadline::Watch::timed_out)
    }
}

impl std::ops::Deref for PooledDb {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for PooledDb {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

/// The r2d2 manager: connects by URL scheme (never by trial and error, which could create a SQLite
/// file named after a PostgreSQL URL when the server is down) and applies the SQLite pragmas; on
/// PostgreSQL, sets the statement timeout and watches every statement ([`deadline`]).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    limits: deadline::PgLimits,
}

impl ManageConnection for ConnectionManager {
    type Connection = PooledDb;
    type Error = ConnectionError;

    fn connect(&self) -> Result<PooledDb, ConnectionError> {
        let DatabaseUrl::Postgres(url) = &self.url else {
            return Ok(PooledDb {
                watch: None,
                conn: self.url.connect()?,
                alive_at: Some(Instant::now()),
            });
        };
        let (mut pg, socket) = deadline::new_socket(|| diesel::PgConnection::establish(url))?;
        let watch = deadline::Watch::new(socket, self.limits.statement_timeout);
        pg.set_instrumentation(watch.instrumentation());
        pg.batch_execute(&self.limits.session_sql())
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
        Ok(PooledDb {
            watch: Some(watch),
            conn: DbConn::Pg(pg),
            alive_at: Some(Instant::now()),
        })
    }

    fn is_valid(&self, conn: &mut PooledDb) -> Result<(), ConnectionError> {
        if conn.trusted() {
            return Ok(());
        }
        let PooledDb {
            watch, conn: db, ..
        } = conn;
        let mut ping = || db.batch_execute("SELECT 1");
        match watch {
            Some(watch) => watch.with_ping_deadline(ping),
            None => ping(),
        }
        .map_err(|error| ConnectionError::BadConnection(error.to_string()))?;
        conn.answered();
        Ok(())
    }

    fn has_broken(&self, conn: &mut PooledDb) -> bool {
        if let Some(watch) = &conn.watch {
            watch.settle();
            if watch.fired() {
                return true;
            }
        }
        <DbConn as TransactionManager<DbConn>>::is_broken_transaction_manager(&mut conn.conn)
    }
}

/// Builds the pool without connecting: a database that is down at start answers 503 until it is
/// up. PostgreSQL connections get the default [`deadline::PgLimits`].
pub fn build_pool(url: &DatabaseUrl, size: u32, timeout: Duration) -> DbPool {
    build_pool_with_limits(url, size, timeout, deadline::PgLimits::default())
}

/// [`build_pool`] with the statement timeout of `limits` (its libpq parameters are in the URL:
/// see `Config`).
pub fn build_pool_with_limits(
    url: &DatabaseUrl,
    size: u32,
    timeout: Duration,
    limits: deadline::PgLimits,
) -> DbPool {
    r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .test_on_check_out(true)
        .build_unchecked(ConnectionManager {
            url: url.clone(),
            limits,
        })
}

/// A write transaction in progress: the only way to call a repo function that changes data.
/// Created by [`write`] alone; it derefs to nothing, so reads inside it go through [`WriteTx::conn`].
pub struct WriteTx<'c> {
    conn: &'c mut DbConn,
}

impl WriteTx<'_> {
    /// The connection, for the statements of the transaction.
    pub fn conn(&mut self) -> &mut DbConn {
        self.conn
    }

    /// Whether the transaction runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.conn, DbConn::Pg(_))
    }
}

/// The depth of the transaction the connection is in (0: none).
fn transaction_depth(conn: &mut DbConn) -> QueryResult<u32> {
    let depth = crate::db_run!(conn, |inner| {
        <AnsiTransactionManager as TransactionManager<_>>::transaction_manager_status_mut(inner)
            .transaction_depth()?
    });
    Ok(depth.map_or(0, |depth| depth.get()))
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (a deferred `BEGIN` that reads then
/// writes fails with "database is locked" under concurrency), a plain `BEGIN` on PostgreSQL.
/// Commits when `f` succeeds, rolls back when it fails.
///
/// Transactions never nest: inside one, `write` fails with `AlreadyInTransaction` on both backends
/// (PostgreSQL would take a savepoint where SQLite cannot upgrade to `IMMEDIATE`; refusing on both
/// keeps them alike). A repo function that needs to write takes the caller's `&mut WriteTx`.
pub fn write<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    transaction(conn, f, Ending::Commit)
}

/// Runs `f` as [`write`] does (the same transaction, the same locks, the same rules) and always
/// rolls back: what `f` returns is what the write would have done, and nothing of it stays (no
/// row, no journal entry, no idempotency record). For `?simulation=true`.
pub fn dry_run<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    transaction(conn, f, Ending::RollBack)
}

/// How a successful write transaction ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Commit,
    RollBack,
}

fn transaction<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
    ending: Ending,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    if transaction_depth(conn)? > 0 {
        return Err(diesel::result::Error::AlreadyInTransaction.into());
    }
    match conn {
        DbConn::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
        }
        DbConn::Pg(inner) => {
            <AnsiTransactionManager as TransactionManager<_>>::begin_transaction(inner)?
        }
    }
    let mut tx = WriteTx { conn };
    match f(&mut tx) {
        Ok(value) if ending == Ending::Commit => {
            <DbConn as TransactionManager<DbConn>>::commit_transaction(conn)?;
            Ok(value)
        }
        Ok(value) => {
            <DbConn as TransactionManager<DbConn>>::rollback_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            if let Err(rollback) =
                <DbConn as TransactionManager<DbConn>>::rollback_transaction(conn)
            {
                log::error!("échec du rollback : {rollback}");
            }
            Err(error)
        }
    }
}

/// Runs backend-specific code on the inner connection, in the spirit of vaultwarden's `db_run!`.
///
/// - `db_run!(conn, |c| body)`: the same source for both backends, type-checked once for each
///   inner connection (`PgConnection`, `SqliteConnection`): for what the multi-backend connection
///   cannot express but both backends accept (`ON CONFLICT`, multi-row inserts of rows with
///   defaults…).
/// - `db_run!(conn, postgres |c| pg_body, sqlite |c| sqlite_body)`: where the SQL differs.
///
/// `conn` is a `&mut DbConn` (from a read, or [`WriteTx::conn`]).
#[macro_export]
macro_rules! db_run {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
    ($conn:expr, postgres |$p:ident| $pg:expr, sqlite |$s:ident| $sqlite:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($p) => $pg,
            $crate::db::DbConn::Sqlite($s) => $sqlite,
        }
    };
}

/// Reads rows and locks them until the end of the write transaction `tx`: `SELECT … FOR UPDATE`
/// on PostgreSQL; on SQLite the `BEGIN IMMEDIATE` transaction already holds the database's write
/// lock. `lock_rows!(tx, query => Row)` returns `QueryResult<Vec<Row>>`.
///
/// `lock_rows!(tx, query => Row, no_key)` takes `FOR NO KEY UPDATE` instead: still one writer at
/// a time, but it does not wait for (nor block) the `FOR KEY SHARE` locks that a foreign key
/// check takes when another transaction inserts a row that references this one. Use it for a row
/// whose key never changes and that others reference while they wait for it (an envelope: a
/// commitment inserts its row before it takes the envelope's lock).
#[macro_export]
macro_rules! lock_rows {
    ($tx:expr, $query:expr => $row:ty) => {
        $crate::lock_rows!(@with for_update, $tx, $query => $row)
    };
    ($tx:expr, $query:expr => $row:ty, no_key) => {
        $crate::lock_rows!(@with for_no_key_update, $tx, $query => $row)
    };
    // The row-level lock `$lock` (a Diesel locking method) on PostgreSQL, a plain read on SQLite.
    (@with $lock:ident, $tx:expr, $query:expr => $row:ty) => {{
        use diesel::prelude::*;
        let tx: &mut $crate::db::WriteTx<'_> = $tx;
        $crate::db_run!(
            tx.conn(),
            postgres | c | $query.$lock().load::<$row>(c),
            sqlite | c | $query.load::<$row>(c)
        )
    }};
}

/// Reads rows and keeps them unchanged until the end of the write transaction `tx`: `SELECT …
/// FOR SHARE` on PostgreSQL, so that many transactions may rely on the same row at once while
/// any writer of it ([`lock_rows!`]) waits for them all; on SQLite the write lock is already the
/// whole database's. `share_rows!(tx, query => Row)` returns `QueryResult<Vec<Row>>`.
#[macro_export]
macro_rules! share_rows {
    ($tx:expr, $query:expr => $row:ty) => {
        $crate::lock_rows!(@with for_share, $tx, $query => $row)
    };
}

/// A multi-row `INSERT` of a `Vec` or slice of `Insertable` rows inside the write transaction
/// `tx`, on the inner connection: Diesel 2.3's multi-backend connection does not compile a batch
/// insert (the enum's SQL dialect has its own DEFAULT-keyword type; checked in
/// `tests/write_path.rs`), each backend's own connection does. Returns the rows inserted. Keep a
/// batch under PostgreSQL's 65,535 bind parameters (rows × columns).
#[macro_export]
macro_rules! insert_rows {
    ($tx:expr, $table:expr, $rows:expr) => {
        $crate::insert_rows!(@then $tx, $table, $rows,)
    };
    // The insert with the clauses `$clauses` (method calls) between its values and its execution.
    (@then $tx:expr, $table:expr, $values:expr, $($clauses:tt)*) => {{
        use diesel::prelude::*;
        let tx: &mut $crate::db::WriteTx<'_> = $tx;
        $crate::db_run!(tx.conn(), |c| diesel::insert_into($table)
            .values($values)
            $($clauses)*
            .execute(c))
    }};
}

/// `INSERT … ON CONFLICT DO NOTHING` (same syntax on both backends) inside the write transaction
/// `tx`; returns the number of rows inserted (0: a row with that key was there).
/// `insert_if_absent!(tx, table, values)`; `values` may be one row or a `Vec`/slice of rows.
#[macro_export]
macro_rules! insert_if_absent {
    ($tx:expr, $table:expr, $values:expr) => {
        $crate::insert_rows!(@then $tx, $table, $values, .on_conflict_do_nothing())
    };
}

/// `INSERT … ON CONFLICT (target) DO UPDATE SET …` (same syntax on both backends) inside the write
/// transaction `tx`: `upsert!(tx, table, values, conflict_target, changes)`; returns the number of
/// rows written.
#[macro_export]
macro_rules! upsert {
    ($tx:expr, $table:expr, $values:expr, $target:expr, $changes:expr) => {
        $crate::insert_rows!(@then $tx, $table, $values, .on_conflict($target).do_update().set($changes))
    };
}

/// What the start-up sequence did, for the logs and the closing figures.
#[derive(Debug, Clone)]
pub struct StartupReport {
    /// Migrations applied by this run.
    pub migrations_applied: usize,
    /// Whether the référentiel was (re)loaded by this run.
    pub referentiel: referentiel::LoadOutcome,
}

/// Applies pending migrations and loads the référentiel when absent or changed, on a dedicated
/// connection. On PostgreSQL the whole sequence holds an advisory lock, so that several instances
/// starting together run it once; the lock goes with the connection if the process dies.
pub fn prepare_database(url: &DatabaseUrl) -> Result<StartupReport, Box<dyn std::error::Error>> {
    let mut conn = url.connect()?;
    if let DbConn::Pg(pg) = &mut conn {
        pg.batch_execute(&format!("SELECT pg_advisory_lock({STARTUP_LOCK_KEY})"))?;
    }
    let result = run_startup(&mut conn);
    if let DbConn::Pg(pg) = &mut conn
        && let Err(error) =
            pg.batch_execute(&format!("SELECT pg_advisory_unlock({STARTUP_LOCK_KEY})"))
    {
        log::warn!("verrou de démarrage non relâché (il le sera à la fermeture) : {error}");
    }
    result
}

fn run_startup(conn: &mut DbConn) -> Result<StartupReport, Box<dyn std::error::Error>> {
    let migrations_applied = run_migrations(conn)?;
    let referentiel = referentiel::load_if_needed(conn)?;
    Ok(StartupReport {
        migrations_applied,
        referentiel,
    })
}

/// The migration after which the stored commitments are split among their employers
/// ([`beneficiaires::repartir`]), before the next one requires a beneficiary.
const MIGRATION_BENEFICIAIRES: &str = "20261218000001";

/// Applies the pending migrations of the connection's backend, with the data steps that run
/// between two of them ([`beneficiaires::repartir`]); returns how many migrations ran.
pub fn run_migrations(conn: &mut DbConn) -> Result<usize, Box<dyn std::error::Error>> {
    let before = run_migrations_up_to(conn, MIGRATION_BENEFICIAIRES)?;
    let split = beneficiaires::repartir(conn)?;
    if split > 0 {
        log::info!("{split} engagement(s) répartis entre les employeurs de leur convention");
    }
    Ok(before + run_pending_migrations(conn)?)
}

/// Applies every pending migration of the connection's backend; returns how many ran.
fn run_pending_migrations(conn: &mut DbConn) -> Result<usize, Box<dyn std::error::Error>> {
    let applied = match conn {
        DbConn::Sqlite(inner) => inner
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|error| error.to_string())?
            .len(),
        DbConn::Pg(inner) => inner
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map_err(|error| error.to_string())?
            .len(),
    };
    Ok(applied)
}

/// Applies the pending migrations of the connection's backend up to and including the one whose
/// version is `last` (the digits of its folder's date, as diesel records it: `"20261205000001"`
/// for `2026-12-05-000001_generations`), and none after it; returns how many ran. For tests that
/// build a database with an earlier release's schema and data, then migrate it the rest of the
/// way with [`run_migrations`]. A `last` that names no migration of the backend is an error, so
/// that a typo does not silently run everything.
pub fn run_migrations_up_to(
    conn: &mut DbConn,
    last: &str,
) -> Result<usize, Box<dyn std::error::Error>> {
    fn up_to<DB, C>(
        inner: &mut C,
        source: EmbeddedMigrations,
        last: &str,
    ) -> Result<usize, Box<dyn std::error::Error>>
    where
        DB: diesel::backend::Backend,
        C: MigrationHarness<DB>,
        EmbeddedMigrations: diesel::migration::MigrationSource<DB>,
    {
        use diesel::migration::MigrationSource;
        let known = MigrationSource::<DB>::migrations(&source)
            .map_err(|error| error.to_string())?
            .iter()
            .any(|migration| migration.name().version().to_string() == last);
        if !known {
            return Err(format!("aucune migration de version {last}").into());
        }
        let pending = inner
            .pending_migrations(source)
            .map_err(|error| error.to_string())?;
        let mut applied = 0;
        // Pending migrations come in version order; versions are digits of the same length.
        for migration in pending
            .iter()
            .take_while(|migration| migration.name().version().to_string().as_str() <= last)
        {
            inner
                .run_migration(migration.as_ref())
                .map_err(|error| error.to_string())?;
            applied += 1;
        }
        Ok(applied)
    }
    match conn {
        DbConn::Sqlite(inner) => up_to(inner, SQLITE_MIGRATIONS, last),
        DbConn::Pg(inner) => up_to(inner, POSTGRES_MIGRATIONS, last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@h/db").unwrap(),
            DatabaseUrl::Postgres("postgres://u:p@h/db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert_eq!(
            DatabaseUrl::parse("sqlite://var/x.db").unwrap(),
            DatabaseUrl::Sqlite("var/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("./var/cnfs.sqlite3").unwrap(),
            DatabaseUrl::Sqlite("./var/cnfs.sqlite3".into())
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse(":memory:").is_err());
    }

    #[test]
    fn the_bundled_sqlite_is_built_with_the_options_of_cargo_config() {
        assert!(
            sqlite_plans_are_stable(),
            "SQLITE_ENABLE_QPSG missing: LIBSQLITE3_FLAGS of .cargo/config.toml not applied"
        );
        assert!(
            !sqlite_compiled_with(c"ENABLE_MEMORY_MANAGEMENT"),
            "SQLITE_ENABLE_MEMORY_MANAGEMENT still on: LIBSQLITE3_FLAGS not applied"
        );
        // The check itself sees the crate's defaults.
        assert!(sqlite_compiled_with(c"ENABLE_STAT4"));
    }

    #[test]
    fn logs_never_show_the_password() {
        let url = DatabaseUrl::parse("postgres://cnfs:secret@db:5432/cnfs").unwrap();
        assert_eq!(url.redacted(), "postgres://cnfs:***@db:5432/cnfs");
        assert!(!url.redacted().contains("secret"));
    }
}

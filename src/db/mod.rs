//! Storage: one connection type over SQLite and PostgreSQL, its pool, migrations and the start-up
//! sequence (migrations + référentiel load under one lock).
//!
//! Backend-specific SQL lives only here and in the repo functions, behind a `match` on [`DbConn`].

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

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

/// The r2d2 manager: connects by URL scheme (never by trial and error, which could create a SQLite
/// file named after a PostgreSQL URL when the server is down) and applies the SQLite pragmas.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = ConnectionError;

    fn connect(&self) -> Result<DbConn, ConnectionError> {
        self.url.connect()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectionError> {
        conn.batch_execute("SELECT 1")
            .map_err(|error| ConnectionError::BadConnection(error.to_string()))
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        <DbConn as TransactionManager<DbConn>>::is_broken_transaction_manager(conn)
    }
}

/// Builds the pool without connecting: a database that is down at start answers 503 until it is up.
pub fn build_pool(url: &DatabaseUrl, size: u32, timeout: Duration) -> DbPool {
    r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .build_unchecked(ConnectionManager { url: url.clone() })
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (a deferred `BEGIN` that reads then
/// writes fails with "database is locked" under concurrency), a plain `BEGIN` on PostgreSQL.
/// Commits when `f` succeeds, rolls back when it fails.
pub fn write_transaction<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
        }
        DbConn::Pg(inner) => {
            <AnsiTransactionManager as TransactionManager<_>>::begin_transaction(inner)?
        }
    }
    match f(conn) {
        Ok(value) => {
            <DbConn as TransactionManager<DbConn>>::commit_transaction(conn)?;
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

/// Applies the pending migrations of the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut DbConn) -> Result<usize, Box<dyn std::error::Error>> {
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
    fn logs_never_show_the_password() {
        let url = DatabaseUrl::parse("postgres://cnfs:secret@db:5432/cnfs").unwrap();
        assert_eq!(url.redacted(), "postgres://cnfs:***@db:5432/cnfs");
        assert!(!url.redacted().contains("secret"));
    }
}

//! The HTTP layer: one module per resource (thin handlers documented with `#[utoipa::path]`),
//! shared extractors, the request middleware and the fallback for unknown routes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::{HttpRequest, web};
use chrono::NaiveDate;
use utoipa::openapi::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Verifier;
use crate::db::{self, DbConn, DbPool, WriteTx};
use crate::domain::calendar::paris_date;
use crate::domain::donnees_ouvertes::Attribuant;
use crate::error::ApiError;

pub mod activite;
pub mod body;
pub mod cache;
pub mod conseiller;
pub mod contrat;
pub mod convention;
pub mod coordination;
pub mod csv;
pub mod docs;
pub mod donnees_ouvertes;
pub mod enveloppe;
pub mod extract;
pub mod financement;
pub mod formation;
pub mod health;
pub mod idempotency;
pub mod journal;
pub mod lieu;
pub mod limits;
pub mod metrics;
pub mod middleware;
pub mod moi;
pub mod operation;
pub mod poste;
pub mod rate_limit;
pub mod referentiel;
pub mod statistiques;
pub mod structure;

/// Base path of the API.
pub const API_BASE: &str = "/api/v1";

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub pool: DbPool,
    /// Set once migrations and the référentiel load have completed.
    pub ready: Arc<AtomicBool>,
    /// Set when a shutdown begins (SIGTERM, SIGINT): `/health/ready` answers 503 from then on, and
    /// every response closes its connection, so that load balancers move away while the requests
    /// in flight finish.
    pub stopping: Arc<AtomicBool>,
    /// The requests of this instance in flight: counted from their arrival until their response
    /// has been written (or their connection lost), so that a shutdown waits for them
    /// (see [`middleware`]).
    pub in_flight: Arc<std::sync::atomic::AtomicUsize>,
    /// `true` on PostgreSQL, `false` on SQLite (reported by `/health/ready`).
    pub postgres: bool,
    /// Verifies bearer tokens (also registered as its own app data, for the `Caller` extractor).
    pub verifier: Arc<Verifier>,
    /// A fixed "today" (configuration `CNFS_AUJOURDHUI`, tests), instead of the date in
    /// Europe/Paris.
    pub fixed_today: Option<NaiveDate>,
    /// The body that grants the money, in the subventions export (configuration
    /// `CNFS_ATTRIBUANT_NOM`, `CNFS_ATTRIBUANT_SIRET`).
    pub attribuant: Arc<Attribuant>,
    /// This instance's cache of statistics answers (configuration `CNFS_CACHE_STATISTIQUES`;
    /// none unless set).
    pub cache_statistiques: Arc<statistiques::CacheStatistiques>,
    /// This instance's pages of lists, kept while their resource is unchanged (configuration
    /// `CNFS_CACHE_LECTURES`, half of it).
    pub cache_listes: Arc<cache::CacheListes>,
    /// This instance's conventions read by id, kept likewise (the other half).
    pub cache_conventions: Arc<cache::CacheObjets<crate::domain::convention::Convention>>,
    /// How long a request body may take to arrive whole (configuration `CNFS_BODY_TIMEOUT`;
    /// see [`limits`]).
    pub body_timeout: std::time::Duration,
    /// This instance's per-caller rate limit (configuration `CNFS_RATE_LIMIT`; none unless set,
    /// see [`rate_limit`]).
    pub rate_limit: Option<Arc<rate_limit::RateLimit>>,
    /// On SQLite, the one writer's turn (see [`AppState::write`]).
    writers: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// A state over `pool`, marked ready or not, verifying tokens with `verifier`.
    pub fn new(pool: DbPool, postgres: bool, ready: bool, verifier: Verifier) -> Self {
        AppState {
            pool,
            ready: Arc::new(AtomicBool::new(ready)),
            stopping: Arc::new(AtomicBool::new(false)),
            in_flight: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            postgres,
            verifier: Arc::new(verifier),
            fixed_today: None,
            attribuant: Arc::new(Attribuant::default()),
            cache_statistiques: Arc::new(statistiques::CacheStatistiques::default()),
            cache_listes: Arc::new(cache::CacheListes::new(0)),
            cache_conventions: Arc::new(cache::CacheObjets::new(0)),
            body_timeout: std::time::Duration::from_secs(limits::DEFAULT_BODY_TIMEOUT_SECONDS),
            rate_limit: None,
            writers: Arc::new(tokio::sync::Semaphore::new(1)),
        }
        .with_cache_lectures(cache::DEFAULT_BUDGET_MIB << 20)
    }

    /// The same state reusing statistics answers for `ttl` (at most
    /// [`statistiques::CACHE_MAX_SECONDS`]).
    pub fn with_cache_statistiques(mut self, ttl: std::time::Duration) -> Self {
        self.cache_statistiques = Arc::new(statistiques::CacheStatistiques::new(ttl));
        self
    }

    /// The same state keeping up to `budget` bytes of reads (0: none), half for list pages,
    /// half for objects read by id.
    pub fn with_cache_lectures(mut self, budget: usize) -> Self {
        self.cache_listes = Arc::new(cache::CacheListes::new(budget / 2));
        self.cache_conventions = Arc::new(cache::CacheObjets::new(budget / 2));
        self
    }

    /// The same state with another body deadline (see [`limits`]).
    pub fn with_body_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// The same state limiting each caller to `per_minute` requests a minute (`None`: no limit;
    /// see [`rate_limit`]).
    pub fn with_rate_limit(mut self, per_minute: Option<std::num::NonZeroU32>) -> Self {
        self.rate_limit = per_minute.map(|n| Arc::new(rate_limit::RateLimit::per_minute(n)));
        self
    }

    /// The same state with another attributing body for the subventions export.
    pub fn with_attribuant(mut self, attribuant: Attribuant) -> Self {
        self.attribuant = Arc::new(attribuant);
        self
    }

    /// The same state with "today" fixed (see [`AppState::today`]).
    pub fn with_today(mut self, today: Option<NaiveDate>) -> Self {
        self.fixed_today = today;
        self
    }

    /// Today: the date in Europe/Paris, unless the configuration fixes it. Effective dates are
    /// never after it; lateness and days left are counted from it.
    pub fn today(&self) -> NaiveDate {
        self.fixed_today
            .unwrap_or_else(|| paris_date(chrono::Utc::now()))
    }

    /// Whether the start-up sequence has completed.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Marks the start-up sequence as completed.
    pub fn mark_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    /// Whether a shutdown has begun.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// How many requests are in flight (see [`AppState::in_flight`]).
    pub fn requests_in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Marks the beginning of a shutdown (see [`AppState::stopping`]).
    pub fn begin_shutdown(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// Runs a read on the blocking thread pool, off the async workers, with a pooled connection
    /// (503 when none comes within the pool timeout).
    pub async fn read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            let result = work(&mut conn);
            note_health(&mut conn, result)
        })
        .await?
    }

    /// Runs a short read (one row by its key, a page of rows) on the async worker itself when the
    /// database is SQLite and a pooled connection is free at once, else as [`AppState::read`]
    /// does. Handing a SQLite read of some tens of microseconds to the blocking pool and back
    /// costs more than the read: two thread wake-ups, the largest cost of reading one convention. On
    /// PostgreSQL the read waits for the network, and a worker waiting holds up all its
    /// connections, so it always goes through [`AppState::read`] (measured: docs/PERFORMANCE.md).
    /// A read that may take milliseconds (statistics, exports, searches) uses [`AppState::read`].
    pub async fn read_short<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    {
        if !self.postgres
            && let Some(mut conn) = self.pool.try_get()
        {
            let result = work(&mut conn);
            return note_health(&mut conn, result);
        }
        self.read(work).await
    }

    /// Reads one object by a [short read](AppState::read_short): `missing()` when there is none.
    pub async fn read_found<T, F>(&self, read: F, missing: fn() -> ApiError) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> diesel::QueryResult<Option<T>> + Send + 'static,
    {
        self.read_short(move |conn| Ok(read(conn)?))
            .await?
            .ok_or_else(missing)
    }

    /// Runs a write in one transaction (see [`db::write`]) on the blocking thread pool: committed
    /// when `work` succeeds, rolled back when it fails.
    ///
    /// On SQLite, which takes one writer at a time, writes first wait their turn here, in arrival
    /// order, without holding a connection or a thread (503 after the pool timeout). Left to
    /// SQLite, waiting writers would each hold a pooled connection and poll the lock with growing
    /// sleeps (its busy handler), served in no order: a write could wait past the busy timeout
    /// and fail with 503.
    /// Another process writing the same file still meets the busy timeout.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteTx<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        self.write_ending(work, db::write).await
    }

    /// Runs a write as [`AppState::write`] does, in its turn and under the same locks, and rolls
    /// it back whatever it did (see [`db::dry_run`]): what it answers is what the write would
    /// have done.
    pub async fn simulate<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteTx<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        self.write_ending(work, db::dry_run).await
    }

    async fn write_ending<T, F>(
        &self,
        work: F,
        run: fn(&mut DbConn, F) -> Result<T, ApiError>,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteTx<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        let _turn = if self.postgres {
            None
        } else {
            let waited =
                tokio::time::timeout(self.pool.connection_timeout(), self.writers.acquire()).await;
            match waited {
                Ok(permit) => Some(permit.map_err(ApiError::internal)?),
                Err(_) => {
                    log::warn!("écriture SQLite : délai d'attente dépassé");
                    return Err(ApiError::Unavailable(
                        "Trop d'écritures en attente ; réessayer dans quelques secondes."
                            .to_owned(),
                    ));
                }
            }
        };
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            let result = run(&mut conn, work);
            note_health(&mut conn, result)
        })
        .await?
    }
}

/// Records how the connection fared: a failure that may come from the connection itself (503,
/// 500) makes the next checkout ping it (see [`db::PooledDb`]). A failure of a statement that
/// ran for the whole statement timeout (PostgreSQL cancelled it: a lock held too long, a
/// database too slow) is a 503, to retry, not a 500.
fn note_health<T>(conn: &mut db::PooledDb, result: Result<T, ApiError>) -> Result<T, ApiError> {
    match result {
        Err(ApiError::Internal(detail)) if conn.timed_out() => {
            conn.suspect();
            log::warn!("base de données : délai d'instruction dépassé ({detail})");
            Err(ApiError::Unavailable(
                "La base de données n'a pas répondu dans le délai imparti ; réessayer dans \
                 quelques secondes."
                    .to_owned(),
            ))
        }
        Err(error @ (ApiError::Unavailable(_) | ApiError::Internal(_))) => {
            conn.suspect();
            Err(error)
        }
        other => {
            conn.answered();
            other
        }
    }
}

/// Registers every documented route (through `utoipa-actix-web`, so that none escapes the spec).
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.configure(health::routes);
    // One line per resource module: each registers its own handlers.
    cfg.service(
        utoipa_actix_web::scope(API_BASE)
            .configure(moi::routes)
            .configure(referentiel::routes)
            .configure(structure::routes)
            .configure(convention::routes)
            .configure(enveloppe::routes)
            .configure(financement::routes)
            .configure(lieu::routes)
            .configure(conseiller::routes)
            .configure(coordination::routes)
            .configure(formation::routes)
            .configure(poste::routes)
            .configure(contrat::routes)
            .configure(activite::routes)
            .configure(statistiques::routes)
            .configure(donnees_ouvertes::routes)
            .configure(journal::routes),
    );
}

/// The documented routes, for answering 405 with `Allow` (actix's method guards fall through to
/// the default service instead) and 404 for anything else.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<&'static str>)>,
}

impl RouteTable {
    /// Builds the table from the OpenAPI document: the spec is the list of what is routed.
    pub fn from_openapi(openapi: &OpenApi) -> Self {
        let mut routes = Vec::new();
        for (path, item) in &openapi.paths.paths {
            let methods: Vec<&'static str> = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ]
            .into_iter()
            .filter_map(|(method, present)| present.then_some(method))
            .collect();
            let segments = path.split('/').map(str::to_owned).collect();
            routes.push((segments, methods));
        }
        RouteTable { routes }
    }

    /// The methods a path accepts, or `None` when no route has this path.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut allowed: Vec<String> = Vec::new();
        for (template, methods) in &self.routes {
            let matches = template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| {
                    if t.starts_with('{') && t.ends_with('}') {
                        !s.is_empty()
                    } else {
                        t == s
                    }
                });
            if matches {
                allowed.extend(methods.iter().map(|m| m.to_string()));
            }
        }
        (!allowed.is_empty()).then_some(allowed)
    }
}

/// The default service: 405 with `Allow` when the path exists with other methods, else 404.
pub async fn fallback(req: HttpRequest, table: web::Data<RouteTable>) -> ApiError {
    match table.allowed(req.path()) {
        Some(allow) => ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            allow,
        },
        None => ApiError::UnknownRoute(req.path().to_owned()),
    }
}

impl actix_web::Responder for ApiError {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> actix_web::HttpResponse {
        actix_web::ResponseError::error_response(&self)
    }
}

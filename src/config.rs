//! Configuration read from the environment (a `.env` file is optional), validated once at start.
//!
//! Every variable is documented in `.env.example` and `docs/OPERATIONS.md`. A bad value stops the
//! service with an error that names the variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::db::DatabaseUrl;
use crate::db::deadline::PgLimits;
use crate::domain::codes::Siret;
use crate::domain::donnees_ouvertes::Attribuant;

/// Default SQLite file: created with its folder on first start.
pub const DEFAULT_DATABASE_URL: &str = "./var/cnfs.sqlite3";
/// Default listening address: loopback only, so that a development start exposes nothing.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Default pool on SQLite: its readers run in parallel, each on its own connection.
const DEFAULT_POOL_SIZE_SQLITE: u32 = 10;
const DEFAULT_POOL_TIMEOUT_SECONDS: u64 = 3;
const DEFAULT_CACHE_STATISTIQUES_SECONDS: u64 = 5;
/// Default grace period of a shutdown: what an orchestrator usually waits before SIGKILL
/// (Kubernetes' `terminationGracePeriodSeconds`, systemd's `TimeoutStopSec` are both 30 s or more).
const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS: u64 = 30;
/// Default cap on client connections per instance (docs/OPERATIONS.md, "Bounded resources").
const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// A configuration value that cannot be used; the message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("configuration invalide : {variable} : {message}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong with its value.
    pub message: String,
}

/// The pool size when `CNFS_DB_POOL_SIZE` is not set: 10 on SQLite; on PostgreSQL twice this
/// host's CPUs, at least 4 (the usual starting point, "cores × 2 + disks"). More PostgreSQL
/// connections than the CPUs can serve only add waiting inside PostgreSQL (docs/PERFORMANCE.md). When PostgreSQL runs on another host, size the
/// pools from its cores: `instances × CNFS_DB_POOL_SIZE` near twice them.
fn default_pool_size(url: &DatabaseUrl, cpus: usize) -> u32 {
    match url {
        DatabaseUrl::Sqlite(_) => DEFAULT_POOL_SIZE_SQLITE,
        DatabaseUrl::Postgres(_) => u32::try_from(cpus.saturating_mul(2))
            .unwrap_or(u32::MAX)
            .clamp(4, 512),
    }
}

/// The CPUs this process may use (1 when unknown).
fn available_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The validated configuration of the service.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: the backend and where it is.
    pub database_url: DatabaseUrl,
    /// `CNFS_BIND`: the socket address the HTTP server listens on.
    pub bind: SocketAddr,
    /// `CNFS_DB_POOL_SIZE`: the maximum number of pooled connections.
    pub pool_size: u32,
    /// `CNFS_DB_POOL_TIMEOUT`: how long a request waits for a connection before a 503.
    pub pool_timeout: Duration,
    /// `CNFS_CORS_ORIGINS`: origins allowed to call the API from a browser (none by default).
    pub cors_origins: Vec<String>,
    /// Token verification settings.
    pub auth: AuthConfig,
    /// `CNFS_AUJOURDHUI` (`YYYY-MM-DD`): a fixed "today" instead of the date in Europe/Paris, for
    /// tests and demonstrations; refused in production.
    pub today: Option<chrono::NaiveDate>,
    /// `CNFS_ATTRIBUANT_NOM`, `CNFS_ATTRIBUANT_SIRET`: the body that grants the money, in the
    /// subventions export (default: the Caisse des dépôts et consignations).
    pub attribuant: Attribuant,
    /// `CNFS_CACHE_STATISTIQUES`: how long, in seconds (0 to 5, default 5), this instance reuses
    /// a statistics answer; 0 computes every one.
    pub cache_statistiques: Duration,
    /// `CNFS_CACHE_LECTURES`: how many MiB (0 to 1024, default 8) of list pages and objects read
    /// by id this instance keeps while their resource is unchanged in the database; 0 reads
    /// everything from the database.
    pub cache_lectures_octets: usize,
    /// `CNFS_SHUTDOWN_TIMEOUT`: on SIGTERM or SIGINT, how long (seconds, 1 to 3600, default 30)
    /// the requests in flight have to finish before the process exits anyway.
    pub shutdown_timeout: Duration,
    /// `CNFS_DB_CONNECT_TIMEOUT`, `CNFS_DB_STATEMENT_TIMEOUT`, `CNFS_DB_TCP_TIMEOUT`: the bounds
    /// on PostgreSQL waits (see [`PgLimits`]); their libpq parameters are already in
    /// `database_url`.
    pub pg_limits: PgLimits,
    /// `CNFS_BODY_TIMEOUT`: seconds (1 to 300, default 10) a request body may take to arrive
    /// whole after the request's head; beyond, 408.
    pub body_timeout: Duration,
    /// `CNFS_MAX_CONNECTIONS`: the most client connections this instance holds at once (16 to
    /// 100,000, default 256); beyond, new ones wait in the listen backlog.
    pub max_connections: usize,
    /// `CNFS_METRICS_BIND`: the socket address of the metrics listener (Prometheus text at
    /// `/metrics`); none by default, and never the public port.
    pub metrics_bind: Option<SocketAddr>,
    /// `CNFS_LOG_FORMAT`: `text` (the default, human-readable) or `json` (one JSON object per
    /// line).
    pub log_format: crate::logging::LogFormat,
    /// `CNFS_RATE_LIMIT`: requests per minute (1 to 1,000,000) each caller may send to this
    /// instance (by token `sub`, else by IP address); none by default.
    pub rate_limit: Option<std::num::NonZeroU32>,
}

/// Token settings (`CNFS_ENV`, `CNFS_JWT_*`); the keys themselves are read by
/// [`JwtKeys::load`](crate::auth::JwtKeys::load).
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `CNFS_ENV=production`: keys, issuer and audience must be configured explicitly.
    pub production: bool,
    /// `CNFS_JWT_ALGORITHM`: the one accepted algorithm (HS256, EdDSA or ES256).
    pub algorithm: Algorithm,
    /// `CNFS_JWT_SECRET`: the HS256 secret.
    pub secret: Option<String>,
    /// `CNFS_JWT_PUBLIC_KEYS`: `kid=path.pem` pairs, comma-separated.
    pub public_keys: Vec<(String, PathBuf)>,
    /// `CNFS_JWT_PRIVATE_KEY`: a PEM private key, for `cnfs-api token` only.
    pub private_key: Option<PathBuf>,
    /// `CNFS_JWT_ISSUER`: the expected `iss`.
    pub issuer: String,
    /// `CNFS_JWT_AUDIENCE`: the value `aud` must contain.
    pub audience: String,
    /// `CNFS_TOKEN_MAX_TTL`: the longest lifetime of an accepted token, in seconds (`exp - iat`,
    /// and `exp` from now); 60 to 31,536,000 (a year), default 2,592,000 (30 days, the bound of
    /// `cnfs-api token --ttl`).
    pub token_max_ttl: i64,
}

/// Bounds of `CNFS_TOKEN_MAX_TTL`, in seconds: a minute to a year.
pub const TOKEN_MAX_TTL_RANGE: std::ops::RangeInclusive<u64> = 60..=31_536_000;

/// Issuer and audience outside production when none is configured.
pub const DEVELOPMENT_ISSUER: &str = "cnfs-api-dev";
/// Audience outside production when none is configured.
pub const DEFAULT_AUDIENCE: &str = "cnfs-api";

impl Config {
    /// Reads the configuration from the process environment (after an optional `.env`).
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is the normal case in production; a malformed one is not silently ignored.
        if let Err(error) = dotenvy::dotenv()
            && !error.not_found()
        {
            return Err(ConfigError {
                variable: ".env",
                message: error.to_string(),
            });
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable lookup (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let database_url = DatabaseUrl::parse(&database_url).map_err(|message| ConfigError {
            variable: "DATABASE_URL",
            message,
        })?;
        let defaults = PgLimits::default();
        let seconds = |variable: &'static str, range, default: Duration| {
            parse_number(variable, get(variable), range)
                .map(|value| value.map_or(default, Duration::from_secs))
        };
        let pg_limits = PgLimits {
            connect_timeout: seconds("CNFS_DB_CONNECT_TIMEOUT", 2..=300, defaults.connect_timeout)?,
            statement_timeout: seconds(
                "CNFS_DB_STATEMENT_TIMEOUT",
                1..=3600,
                defaults.statement_timeout,
            )?,
            tcp_timeout: seconds("CNFS_DB_TCP_TIMEOUT", 2..=600, defaults.tcp_timeout)?,
        };
        // Every PostgreSQL connection, pooled or not (migrations, maintenance commands), gets the
        // connect timeout, keepalives and TCP user timeout.
        let database_url = match database_url {
            DatabaseUrl::Postgres(url) => DatabaseUrl::Postgres(pg_limits.apply_to(&url)),
            sqlite => sqlite,
        };
        let bind = get("CNFS_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let bind = bind.trim().parse().map_err(|_| ConfigError {
            variable: "CNFS_BIND",
            message: format!("« {bind} » n'est pas une adresse IP:port (exemple : 127.0.0.1:8080)"),
        })?;
        let pool_size = parse_number("CNFS_DB_POOL_SIZE", get("CNFS_DB_POOL_SIZE"), 1..=512)?
            .map(|size| size as u32)
            .unwrap_or_else(|| default_pool_size(&database_url, available_cpus()));
        let pool_timeout =
            parse_number("CNFS_DB_POOL_TIMEOUT", get("CNFS_DB_POOL_TIMEOUT"), 1..=300)?
                .unwrap_or(DEFAULT_POOL_TIMEOUT_SECONDS);
        let cors_origins = match get("CNFS_CORS_ORIGINS") {
            None => Vec::new(),
            Some(list) => parse_origins(&list)?,
        };
        let auth = parse_auth(&get)?;
        let today = match get("CNFS_AUJOURDHUI") {
            None => None,
            Some(_) if auth.production => {
                return Err(ConfigError {
                    variable: "CNFS_AUJOURDHUI",
                    message: "réservé aux essais : interdit en production".to_owned(),
                });
            }
            Some(text) => Some(
                chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
                    ConfigError {
                        variable: "CNFS_AUJOURDHUI",
                        message: format!("« {text} » n'est pas une date AAAA-MM-JJ"),
                    }
                })?,
            ),
        };
        let attribuant = parse_attribuant(&get)?;
        let cache_statistiques = parse_number(
            "CNFS_CACHE_STATISTIQUES",
            get("CNFS_CACHE_STATISTIQUES"),
            0..=crate::http::statistiques::CACHE_MAX_SECONDS,
        )?
        .unwrap_or(DEFAULT_CACHE_STATISTIQUES_SECONDS);
        let cache_lectures_mib =
            parse_number("CNFS_CACHE_LECTURES", get("CNFS_CACHE_LECTURES"), 0..=1024)?
                .map_or(crate::http::cache::DEFAULT_BUDGET_MIB, |mib| mib as usize);
        let shutdown_timeout = parse_number(
            "CNFS_SHUTDOWN_TIMEOUT",
            get("CNFS_SHUTDOWN_TIMEOUT"),
            1..=3600,
        )?
        .unwrap_or(DEFAULT_SHUTDOWN_TIMEOUT_SECONDS);
        let body_timeout = seconds(
            "CNFS_BODY_TIMEOUT",
            1..=300,
            Duration::from_secs(crate::http::limits::DEFAULT_BODY_TIMEOUT_SECONDS),
        )?;
        let max_connections = parse_number(
            "CNFS_MAX_CONNECTIONS",
            get("CNFS_MAX_CONNECTIONS"),
            16..=100_000,
        )?
        .map_or(DEFAULT_MAX_CONNECTIONS, |n| n as usize);
        let metrics_bind = match get("CNFS_METRICS_BIND") {
            None => None,
            Some(text) => {
                let addr: SocketAddr = text.trim().parse().map_err(|_| ConfigError {
                    variable: "CNFS_METRICS_BIND",
                    message: format!(
                        "« {text} » n'est pas une adresse IP:port (exemple : 127.0.0.1:9090)"
                    ),
                })?;
                if addr == bind {
                    return Err(ConfigError {
                        variable: "CNFS_METRICS_BIND",
                        message:
                            "les métriques ne s'exposent jamais sur le port public (CNFS_BIND)"
                                .to_owned(),
                    });
                }
                Some(addr)
            }
        };
        let log_format = match get("CNFS_LOG_FORMAT") {
            None => crate::logging::LogFormat::default(),
            Some(text) => crate::logging::LogFormat::parse(&text).ok_or_else(|| ConfigError {
                variable: "CNFS_LOG_FORMAT",
                message: format!("« {text} » : text ou json"),
            })?,
        };
        let rate_limit = parse_number("CNFS_RATE_LIMIT", get("CNFS_RATE_LIMIT"), 1..=1_000_000)?
            .and_then(|n| std::num::NonZeroU32::new(n as u32));
        Ok(Config {
            database_url,
            bind,
            pool_size,
            pool_timeout: Duration::from_secs(pool_timeout),
            cors_origins,
            auth,
            today,
            attribuant,
            cache_statistiques: Duration::from_secs(cache_statistiques),
            cache_lectures_octets: cache_lectures_mib << 20,
            shutdown_timeout: Duration::from_secs(shutdown_timeout),
            pg_limits,
            body_timeout,
            max_connections,
            metrics_bind,
            log_format,
            rate_limit,
        })
    }
}

fn parse_auth(get: &dyn Fn(&str) -> Option<String>) -> Result<AuthConfig, ConfigError> {
    let error = |variable: &'static str, message: &str| ConfigError {
        variable,
        message: message.to_owned(),
    };
    let production = match get("CNFS_ENV").as_deref().map(str::trim) {
        None | Some("development") => false,
        Some("production") => true,
        Some(_) => return Err(error("CNFS_ENV", "« development » ou « production »")),
    };
    let secret = get("CNFS_JWT_SECRET");
    let public_keys = match get("CNFS_JWT_PUBLIC_KEYS") {
        None => Vec::new(),
        Some(list) => parse_key_list(&list)?,
    };
    if secret.is_some() && !public_keys.is_empty() {
        return Err(error(
            "CNFS_JWT_PUBLIC_KEYS",
            "CNFS_JWT_SECRET et CNFS_JWT_PUBLIC_KEYS s'excluent : un seul algorithme est accepté",
        ));
    }
    let algorithm = match get("CNFS_JWT_ALGORITHM").as_deref().map(str::trim) {
        Some("HS256") => Algorithm::HS256,
        Some("EdDSA") => Algorithm::EdDSA,
        Some("ES256") => Algorithm::ES256,
        Some(_) => return Err(error("CNFS_JWT_ALGORITHM", "HS256, EdDSA ou ES256")),
        None if !public_keys.is_empty() => {
            return Err(error(
                "CNFS_JWT_ALGORITHM",
                "obligatoire avec CNFS_JWT_PUBLIC_KEYS : EdDSA ou ES256",
            ));
        }
        None => Algorithm::HS256,
    };
    if !public_keys.is_empty() && algorithm == Algorithm::HS256 {
        return Err(error(
            "CNFS_JWT_ALGORITHM",
            "EdDSA ou ES256 avec des clés publiques",
        ));
    }
    let issuer = match get("CNFS_JWT_ISSUER") {
        Some(issuer) => issuer.trim().to_owned(),
        None if production => return Err(error("CNFS_JWT_ISSUER", "obligatoire en production")),
        None => DEVELOPMENT_ISSUER.to_owned(),
    };
    let audience = match get("CNFS_JWT_AUDIENCE") {
        Some(audience) => audience.trim().to_owned(),
        None if production => return Err(error("CNFS_JWT_AUDIENCE", "obligatoire en production")),
        None => DEFAULT_AUDIENCE.to_owned(),
    };
    let token_max_ttl = parse_number(
        "CNFS_TOKEN_MAX_TTL",
        get("CNFS_TOKEN_MAX_TTL"),
        TOKEN_MAX_TTL_RANGE,
    )?
    .map_or(crate::auth::mint::TTL_MAX_SECONDES, |seconds| {
        seconds as i64
    });
    Ok(AuthConfig {
        production,
        algorithm,
        secret,
        public_keys,
        private_key: get("CNFS_JWT_PRIVATE_KEY").map(|p| PathBuf::from(p.trim())),
        issuer,
        audience,
        token_max_ttl,
    })
}

/// The attributing body of the subventions export: a name, and a SIRET whose Luhn key is valid.
fn parse_attribuant(get: &dyn Fn(&str) -> Option<String>) -> Result<Attribuant, ConfigError> {
    let mut attribuant = Attribuant::default();
    if let Some(nom) = get("CNFS_ATTRIBUANT_NOM") {
        attribuant.nom = nom.trim().to_owned();
    }
    if let Some(siret) = get("CNFS_ATTRIBUANT_SIRET") {
        attribuant.siret = Siret::parse(siret.trim()).map_err(|_| ConfigError {
            variable: "CNFS_ATTRIBUANT_SIRET",
            message: format!("« {siret} » n'est pas un SIRET (14 chiffres, clé de Luhn valide)"),
        })?;
    }
    Ok(attribuant)
}

/// Parses `kid=path,kid=path`.
fn parse_key_list(list: &str) -> Result<Vec<(String, PathBuf)>, ConfigError> {
    let mut keys: Vec<(String, PathBuf)> = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((kid, path)) = entry.split_once('=') else {
            return Err(ConfigError {
                variable: "CNFS_JWT_PUBLIC_KEYS",
                message: format!("« {entry} » : attendu kid=chemin/vers/cle.pem"),
            });
        };
        let kid = kid.trim();
        let kid_ok = !kid.is_empty()
            && kid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !kid_ok || keys.iter().any(|(known, _)| known == kid) {
            return Err(ConfigError {
                variable: "CNFS_JWT_PUBLIC_KEYS",
                message: format!("kid « {kid} » vide, répété ou hors [A-Za-z0-9._-]"),
            });
        }
        keys.push((kid.to_owned(), PathBuf::from(path.trim())));
    }
    Ok(keys)
}

fn parse_number(
    variable: &'static str,
    value: Option<String>,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Option<u64>, ConfigError> {
    let Some(value) = value else { return Ok(None) };
    match value.trim().parse::<u64>() {
        Ok(number) if range.contains(&number) => Ok(Some(number)),
        _ => Err(ConfigError {
            variable,
            message: format!(
                "« {value} » n'est pas un entier entre {} et {}",
                range.start(),
                range.end()
            ),
        }),
    }
}

/// Parses a comma-separated list of origins such as `https://portail.example.fr`.
fn parse_origins(list: &str) -> Result<Vec<String>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains('/') && !host.contains('*') => {
                    Ok(origin.to_owned())
                }
                _ => Err(ConfigError {
                    variable: "CNFS_CORS_ORIGINS",
                    message: format!(
                        "« {origin} » n'est pas une origine (schéma http(s), hôte, port facultatif, sans chemin ni joker)"
                    ),
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn the_postgresql_pool_is_twice_the_cpus_unless_set() {
        let pg = DatabaseUrl::Postgres("postgres://h/db".into());
        assert_eq!(default_pool_size(&pg, 1), 4);
        assert_eq!(default_pool_size(&pg, 2), 4);
        assert_eq!(default_pool_size(&pg, 8), 16);
        assert_eq!(
            default_pool_size(&DatabaseUrl::Sqlite("x.db".into()), 2),
            10
        );
        let set = config(&[
            ("DATABASE_URL", "postgres://h/db"),
            ("CNFS_DB_POOL_SIZE", "7"),
            ("CNFS_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ])
        .unwrap();
        assert_eq!(set.pool_size, 7);
        // The bounds on PostgreSQL waits are in the URL, the operator's own values kept.
        let DatabaseUrl::Postgres(url) = set.database_url else {
            panic!("a PostgreSQL URL")
        };
        assert!(
            url.starts_with("postgres://h/db?connect_timeout=3&keepalives=1&"),
            "{url}"
        );
        let bounded = config(&[
            ("DATABASE_URL", "postgres://h/db?keepalives_idle=60"),
            ("CNFS_DB_STATEMENT_TIMEOUT", "5"),
            ("CNFS_DB_TCP_TIMEOUT", "20"),
        ])
        .unwrap();
        assert_eq!(bounded.pg_limits.statement_timeout, Duration::from_secs(5));
        let DatabaseUrl::Postgres(url) = bounded.database_url else {
            panic!("a PostgreSQL URL")
        };
        assert!(url.contains("keepalives_idle=60"), "{url}");
        assert!(!url.contains("keepalives_idle=10"), "{url}");
        assert!(url.ends_with("&tcp_user_timeout=20000"), "{url}");
    }

    #[test]
    fn defaults_are_the_embedded_development_setup() {
        let config = config(&[]).unwrap();
        assert_eq!(
            config.database_url,
            DatabaseUrl::Sqlite("./var/cnfs.sqlite3".into())
        );
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.pool_size, 10);
        assert_eq!(config.pool_timeout, Duration::from_secs(3));
        assert!(config.cors_origins.is_empty());
        assert_eq!(config.attribuant, Attribuant::default());
        assert_eq!(config.cache_lectures_octets, 8 << 20);
        assert_eq!(config.shutdown_timeout, Duration::from_secs(30));
        assert_eq!(config.body_timeout, Duration::from_secs(10));
        assert_eq!(config.max_connections, 256);
        assert_eq!(config.metrics_bind, None);
        assert_eq!(config.log_format, crate::logging::LogFormat::Text);
        assert_eq!(config.rate_limit, None);
    }

    #[test]
    fn observability_and_the_rate_limit_are_opt_in() {
        let set = config(&[
            ("CNFS_METRICS_BIND", "127.0.0.1:9090"),
            ("CNFS_LOG_FORMAT", "json"),
            ("CNFS_RATE_LIMIT", "600"),
        ])
        .unwrap();
        assert_eq!(set.metrics_bind, Some("127.0.0.1:9090".parse().unwrap()));
        assert_eq!(set.log_format, crate::logging::LogFormat::Json);
        assert_eq!(set.rate_limit.map(|n| n.get()), Some(600));
        // Never the public port.
        let same = config(&[
            ("CNFS_BIND", "0.0.0.0:8080"),
            ("CNFS_METRICS_BIND", "0.0.0.0:8080"),
        ])
        .unwrap_err();
        assert_eq!(same.variable, "CNFS_METRICS_BIND");
    }

    #[test]
    fn the_reads_cache_is_set_in_mib_and_zero_turns_it_off() {
        let set = |mib: &str| config(&[("CNFS_CACHE_LECTURES", mib)]);
        assert_eq!(set("0").unwrap().cache_lectures_octets, 0);
        assert_eq!(set("64").unwrap().cache_lectures_octets, 64 << 20);
        let refused = set("1025").unwrap_err();
        assert_eq!(refused.variable, "CNFS_CACHE_LECTURES");
        assert!(set("huit").is_err());
    }

    #[test]
    fn the_attributing_body_is_configured_and_its_siret_checked() {
        let config = config(&[
            (
                "CNFS_ATTRIBUANT_NOM",
                " Préfecture de la Seine-Saint-Denis ",
            ),
            ("CNFS_ATTRIBUANT_SIRET", "17930001400018"),
        ])
        .unwrap();
        assert_eq!(config.attribuant.nom, "Préfecture de la Seine-Saint-Denis");
        assert_eq!(config.attribuant.siret.as_str(), "17930001400018");
    }

    #[test]
    fn every_error_names_its_variable() {
        for (variable, value) in [
            ("DATABASE_URL", "mysql://localhost/cnfs"),
            ("CNFS_BIND", "localhost"),
            ("CNFS_DB_POOL_SIZE", "0"),
            ("CNFS_DB_POOL_SIZE", "dix"),
            ("CNFS_DB_POOL_TIMEOUT", "1000"),
            ("CNFS_SHUTDOWN_TIMEOUT", "0"),
            ("CNFS_DB_CONNECT_TIMEOUT", "1"),
            ("CNFS_DB_STATEMENT_TIMEOUT", "0"),
            ("CNFS_DB_TCP_TIMEOUT", "dix"),
            ("CNFS_BODY_TIMEOUT", "0"),
            ("CNFS_MAX_CONNECTIONS", "8"),
            ("CNFS_METRICS_BIND", "9090"),
            ("CNFS_LOG_FORMAT", "logfmt"),
            ("CNFS_RATE_LIMIT", "0"),
            ("CNFS_SHUTDOWN_TIMEOUT", "trente"),
            ("CNFS_CORS_ORIGINS", "https://a.example.fr/chemin"),
            ("CNFS_CORS_ORIGINS", "*"),
            ("CNFS_ENV", "prod"),
            ("CNFS_JWT_ALGORITHM", "RS256"),
            ("CNFS_JWT_ALGORITHM", "none"),
            ("CNFS_JWT_PUBLIC_KEYS", "sans-egal"),
            ("CNFS_JWT_PUBLIC_KEYS", "a=/x.pem,a=/y.pem"),
            // A wrong Luhn key, and not 14 digits.
            ("CNFS_ATTRIBUANT_SIRET", "13002603200017"),
            ("CNFS_ATTRIBUANT_SIRET", "130026032"),
        ] {
            let error = config(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable, "{value}");
            assert!(error.to_string().contains(variable));
        }
    }

    #[test]
    fn token_settings() {
        let dev = config(&[]).unwrap().auth;
        assert!(!dev.production);
        assert_eq!(dev.algorithm, Algorithm::HS256);
        assert_eq!(
            (dev.issuer.as_str(), dev.audience.as_str()),
            ("cnfs-api-dev", "cnfs-api")
        );

        let keys = config(&[
            ("CNFS_JWT_ALGORITHM", "EdDSA"),
            ("CNFS_JWT_PUBLIC_KEYS", "2026-01=/k/a.pem, 2026-06=/k/b.pem"),
        ])
        .unwrap()
        .auth;
        assert_eq!(keys.public_keys.len(), 2);
        assert_eq!(keys.public_keys[1].0, "2026-06");

        // Public keys need their algorithm; a secret and public keys exclude each other.
        let error = config(&[("CNFS_JWT_PUBLIC_KEYS", "k=/a.pem")]).unwrap_err();
        assert_eq!(error.variable, "CNFS_JWT_ALGORITHM");
        let error = config(&[
            ("CNFS_JWT_SECRET", "x"),
            ("CNFS_JWT_ALGORITHM", "EdDSA"),
            ("CNFS_JWT_PUBLIC_KEYS", "k=/a.pem"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "CNFS_JWT_PUBLIC_KEYS");

        // Production wants its issuer and audience spelled out.
        let error = config(&[("CNFS_ENV", "production")]).unwrap_err();
        assert_eq!(error.variable, "CNFS_JWT_ISSUER");
        let error = config(&[
            ("CNFS_ENV", "production"),
            ("CNFS_JWT_ISSUER", "https://idp"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "CNFS_JWT_AUDIENCE");
    }

    #[test]
    fn origins_are_a_comma_separated_allow_list() {
        let config = config(&[(
            "CNFS_CORS_ORIGINS",
            "https://portail.example.fr, http://localhost:3000",
        )])
        .unwrap();
        assert_eq!(
            config.cors_origins,
            ["https://portail.example.fr", "http://localhost:3000"]
        );
    }
}

//! The `cnfs-api` binary: `serve` (default), `migrate`, `openapi`, `token`, `anonymiser`, `seed`.

use std::process::ExitCode;
use std::time::Instant;

use actix_web::HttpServer;
use clap::{Parser, Subcommand};

use cnfs_api::auth::mint::{TokenRequest, mint};
use cnfs_api::auth::{JwtKeys, Role, Verifier};
use cnfs_api::config::Config;
use cnfs_api::db::repo::anonymisation;
use cnfs_api::db::{self, DatabaseUrl, referentiel::LoadOutcome};
use cnfs_api::domain::calendar::paris_date;
use cnfs_api::http::AppState;

/// API REST du programme Conseillers numériques France Services.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default): migrate, load the référentiel if needed, then listen.
    Serve,
    /// Apply pending migrations and load the référentiel, then exit (a deployment step).
    Migrate,
    /// Erase the personal data of advisors who left more than N months ago (statistics kept),
    /// then exit; idempotent, for a daily timer.
    Anonymiser {
        /// Anonymise the advisors whose exit date is more than this many months before today.
        #[arg(long = "apres-mois", default_value_t = 24,
              value_parser = clap::value_parser!(u32).range(1..=1200))]
        apres_mois: u32,
    },
    /// Load data: `--demo`, the Seine-Saint-Denis story through the API's own rules
    /// (idempotent: a second run changes nothing); or `--scale national`, a deterministic national
    /// dataset (about 4,000 posts in every département, advisors, money, N activities), which
    /// refuses a database that holds programme data unless `--force`. Both migrate and load the
    /// référentiel first.
    Seed {
        /// The Seine-Saint-Denis story: a convention of 80 posts, envelopes, commitments and a
        /// payment, advisors at every stage, lieux, a few hundred activities.
        #[arg(long, conflicts_with = "scale")]
        demo: bool,
        /// A generated dataset: `national`.
        #[arg(long, value_enum)]
        scale: Option<Scale>,
        /// Number of activities (national scale).
        #[arg(long, default_value_t = cnfs_api::seed::national::ACTIVITES_PAR_DEFAUT)]
        activites: u64,
        /// The generator's graine: the same graine on the same database gives the same rows
        /// (national scale).
        #[arg(long, default_value_t = cnfs_api::seed::national::GRAINE_PAR_DEFAUT)]
        graine: u64,
        /// Add to a database that already holds programme data (national scale).
        #[arg(long)]
        force: bool,
    },
    /// Write the OpenAPI document (as served and committed) to stdout or to a file.
    Openapi {
        /// Write to this file instead of stdout.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// Mint a signed token (printed alone on stdout) with the configured signing key.
    Token {
        /// The role: lecteur, structure, prefecture or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// A département of the scope (préfecture, territorial lecteur); repeat for several.
        #[arg(long = "departement")]
        departements: Vec<String>,
        /// The structure of a `structure` token (its UUID).
        #[arg(long = "structure")]
        structure_id: Option<String>,
        /// The subject (`sub`): who the token is for.
        #[arg(long, default_value = "cnfs-api-token")]
        sub: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: i64,
        /// The key id (`kid`), required with public keys (CNFS_JWT_PRIVATE_KEY).
        #[arg(long)]
        kid: Option<String>,
    },
}

/// The generated datasets of `seed --scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Scale {
    /// Every département, about 4,000 posts, N activities (`--activites`).
    National,
}

fn parse_role(name: &str) -> Result<Role, String> {
    Role::parse(name).map_err(|error| error.expected)
}

/// Two malloc arenas instead of glibc's eight per CPU: the server's work moves between a worker
/// and its blocking threads, and with an arena per thread each keeps its own high-water mark
/// (the resident memory under load: docs/PERFORMANCE.md). The same as `MALLOC_ARENA_MAX=2`, which still wins when set.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; called first thing in `main`, before
        // any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi { output } = &command {
        // Needs no configuration and no database: the document depends on the code only.
        let json = cnfs_api::openapi_json();
        return match output {
            None => {
                print!("{json}");
                ExitCode::SUCCESS
            }
            Some(path) => match std::fs::write(path, json) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("impossible d'écrire {} : {error}", path.display());
                    ExitCode::FAILURE
                }
            },
        };
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let log_format = config.log_format;
    let init_logger = || cnfs_api::logging::init(log_format, "info");
    if let Command::Migrate = command {
        // A deployment step: it needs the database, not the token keys.
        init_logger();
        return if prepare(&config.database_url) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    if let Command::Anonymiser { apres_mois } = command {
        // A maintenance job: it needs the database, not the token keys.
        init_logger();
        if !prepare(&config.database_url) {
            return ExitCode::FAILURE;
        }
        return anonymise(&config, apres_mois);
    }
    if let Command::Seed {
        demo,
        scale,
        activites,
        graine,
        force,
    } = command
    {
        // Data loading: it needs the database, not the token keys (the demo signs its own).
        // The demo's requests are in-process: their access-log lines would bury its report.
        cnfs_api::logging::init(
            log_format,
            &format!("info,{}=warn", cnfs_api::logging::ACCESS_TARGET),
        );
        if !demo && scale.is_none() {
            eprintln!("seed : précisez ce qu'il faut charger (--demo ou --scale national)");
            return ExitCode::from(2);
        }
        if config.auth.production {
            eprintln!(
                "seed refusé en production (CNFS_ENV=production) : il écrit des données \
                 personnelles fictives"
            );
            return ExitCode::from(2);
        }
        if !prepare(&config.database_url) {
            return ExitCode::FAILURE;
        }
        if demo {
            return seed_demo(&config);
        }
        let options = cnfs_api::seed::national::Options {
            graine,
            activites,
            force,
            today: config
                .today
                .unwrap_or_else(|| paris_date(chrono::Utc::now())),
        };
        return seed_national(&config.database_url, &options);
    }
    // Before touching the database: a production start with bad keys fails at once.
    // The development secret lives next to the embedded SQLite file; PostgreSQL has none.
    let dev_secret = match &config.database_url {
        DatabaseUrl::Sqlite(path) => Some(cnfs_api::auth::keys::dev_secret_path(path)),
        DatabaseUrl::Postgres(_) => None,
    };
    let keys = match JwtKeys::load(&config.auth, dev_secret) {
        Ok(keys) => keys,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    if let Command::Token {
        role,
        departements,
        structure_id,
        sub,
        ttl,
        kid,
    } = command
    {
        let request = TokenRequest {
            role,
            departements,
            structure_id,
            sub,
            ttl_seconds: ttl,
        };
        return match mint(&keys, kid.as_deref(), &request) {
            Ok(token) => {
                println!("{token}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("jeton non émis : {error}");
                ExitCode::from(2)
            }
        };
    }
    init_logger();
    if !prepare(&config.database_url) {
        return ExitCode::FAILURE;
    }
    match serve(config, keys) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            log::error!("arrêt du serveur : {error}");
            ExitCode::FAILURE
        }
    }
}

/// Migrations and référentiel load, logged with their timings; `false` on failure.
fn prepare(url: &DatabaseUrl) -> bool {
    let started = Instant::now();
    log::info!("base de données : {}", url.redacted());
    match db::prepare_database(url) {
        Ok(report) => {
            match report.referentiel {
                LoadOutcome::AlreadyLoaded => log::info!("référentiel déjà chargé"),
                LoadOutcome::Loaded {
                    communes,
                    epci,
                    communes_removed,
                    communes_retained,
                    elapsed,
                } => log::info!(
                    "référentiel chargé : {communes} communes, {epci} EPCI en {} ms \
                     (communes disparues de l'extrait : {communes_removed} supprimée(s), \
                     {communes_retained} conservée(s) car référencée(s))",
                    elapsed.as_millis()
                ),
            }
            log::info!(
                "base prête en {} ms ({} migration(s) appliquée(s))",
                started.elapsed().as_millis(),
                report.migrations_applied
            );
            true
        }
        Err(error) => {
            log::error!("préparation de la base impossible : {error}");
            false
        }
    }
}

/// `cnfs-api anonymiser`: one write transaction; prints how many advisors were anonymised.
fn anonymise(config: &Config, months: u32) -> ExitCode {
    let today = config
        .today
        .unwrap_or_else(|| paris_date(chrono::Utc::now()));
    let Some(cutoff) = anonymisation::cutoff(today, months) else {
        eprintln!("anonymisation impossible : {today} moins {months} mois sort du calendrier");
        return ExitCode::FAILURE;
    };
    let result = config
        .database_url
        .connect()
        .map_err(|error| error.to_string())
        .and_then(|mut conn| {
            db::write(&mut conn, |tx| {
                anonymisation::anonymise_departed(tx, today, months)
            })
            .map_err(|error| error.to_string())
        });
    match result {
        Ok(count) => {
            println!(
                "{count} conseiller(s) anonymisé(s) : sortis, ou enregistrés sans contrat, avant le {cutoff} \
                 (plus de {months} mois avant le {today})"
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("anonymisation impossible : {error}");
            ExitCode::FAILURE
        }
    }
}

/// `cnfs-api seed --demo`: the story through the in-process application; one line per step.
fn seed_demo(config: &Config) -> ExitCode {
    let started = Instant::now();
    let pool = db::build_pool(&config.database_url, 4, config.pool_timeout);
    let postgres = matches!(config.database_url, DatabaseUrl::Postgres(_));
    let result = actix_web::rt::System::new().block_on(cnfs_api::seed::demo::seed(
        pool,
        postgres,
        config.today,
        |line| println!("{line}"),
    ));
    match result {
        Ok(outcome) => {
            if let cnfs_api::seed::demo::Outcome::Loaded { .. } = outcome {
                println!(
                    "données de démonstration chargées en {} ms",
                    started.elapsed().as_millis()
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("données de démonstration non chargées : {error}");
            ExitCode::FAILURE
        }
    }
}

/// `cnfs-api seed --scale national`: one line per step (rows, time, rows per second), then the
/// totals.
fn seed_national(url: &DatabaseUrl, options: &cnfs_api::seed::national::Options) -> ExitCode {
    use cnfs_api::seed::national::{milliers, seed_national};
    println!(
        "jeu national : graine {}, {} activités, sur {}",
        options.graine,
        milliers(options.activites),
        url.redacted()
    );
    let mut conn = match url.connect() {
        Ok(conn) => conn,
        Err(error) => {
            eprintln!("connexion impossible : {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut progress = |etape: &cnfs_api::seed::national::Etape| println!("  {etape}");
    match seed_national(&mut conn, options, &mut progress) {
        Ok(bilan) => {
            let c = bilan.comptes;
            println!(
                "jeu national chargé en {:.1} s (graine effective {}) : {} départements, {} \
                 structures, {} conventions, {} postes (dont {} attribués à une structure), {} lieux, \
                 {} conseillers dont {} en poste, {} engagements, {} versements, {} activités",
                bilan.duree.as_secs_f64(),
                bilan.graine,
                c.departements,
                milliers(c.structures),
                milliers(c.conventions),
                milliers(c.postes),
                milliers(c.postes_attribues),
                milliers(c.lieux),
                milliers(c.conseillers),
                milliers(c.en_poste),
                milliers(c.engagements),
                milliers(c.versements),
                milliers(c.activites)
            );
            ExitCode::SUCCESS
        }
        Err(error @ cnfs_api::seed::national::SeedError::DonneesPresentes(_)) => {
            eprintln!("{error}");
            ExitCode::from(3)
        }
        Err(error) => {
            eprintln!("jeu national non chargé (rien n'a été écrit) : {error}");
            ExitCode::FAILURE
        }
    }
}

/// Development default: print ready-to-paste tokens (valid 12 h) and how to use them.
fn log_development_tokens(keys: &JwtKeys, bind: std::net::SocketAddr) {
    let Some(path) = &keys.development_secret else {
        return;
    };
    log::warn!(
        "mode développement : jetons signés avec le secret {} (interdit en production)",
        path.display()
    );
    let tokens = [
        ("admin", Role::Admin, vec![]),
        ("préfecture 93", Role::Prefecture, vec!["93".to_owned()]),
        ("lecteur national", Role::Lecteur, vec![]),
    ];
    for (label, role, departements) in tokens {
        let request = TokenRequest {
            role,
            departements,
            structure_id: None,
            sub: format!("dev-{}", role.as_str()),
            ttl_seconds: 12 * 3600,
        };
        match mint(keys, None, &request) {
            Ok(token) => log::info!("jeton {label} (12 h) : {token}"),
            Err(error) => log::warn!("jeton {label} non émis : {error}"),
        }
    }
    log::info!(
        "Swagger UI : http://{bind}/swagger-ui/ → « Authorize » → coller un jeton ci-dessus \
         (sans « Bearer »). Autres jetons : cargo run -- token --role structure --structure <uuid>"
    );
}

#[actix_web::main]
async fn serve(config: Config, keys: JwtKeys) -> std::io::Result<()> {
    let pool = db::build_pool_with_limits(
        &config.database_url,
        config.pool_size,
        config.pool_timeout,
        config.pg_limits,
    );
    let postgres = matches!(config.database_url, DatabaseUrl::Postgres(_));
    log_development_tokens(&keys, config.bind);
    let verifier = Verifier::new(keys).with_max_lifetime(config.auth.token_max_ttl);
    let state = AppState::new(pool, postgres, true, verifier)
        .with_today(config.today)
        .with_attribuant(config.attribuant.clone())
        .with_cache_statistiques(config.cache_statistiques)
        .with_cache_lectures(config.cache_lectures_octets)
        .with_body_timeout(config.body_timeout)
        .with_rate_limit(config.rate_limit);
    if let Some(limit) = state.rate_limit.clone() {
        log::info!(
            "limite de débit : {} requêtes par minute et par appelant, sur cette instance",
            limit.limit()
        );
        // The keys of callers gone quiet are forgotten every minute.
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(std::time::Duration::from_secs(60)).await;
                limit.forget_idle();
            }
        });
    }
    let metrics = match config.metrics_bind {
        None => None,
        Some(addr) => Some(metrics_server(addr, state.clone())?),
    };
    let cors_origins = config.cors_origins.clone();
    log::info!(
        "écoute sur http://{} — Swagger UI : http://{}/swagger-ui/",
        config.bind,
        config.bind
    );
    // Database work runs on each worker's blocking threads, and a thread beyond the pool's
    // connections would only wait for one: capping them at the pool size keeps memory flat
    // under load (actix's default, 512 / workers, lets threads pile up under many clients;
    // bench/load.sh reports the peak RSS).
    //
    // Signals are ours, not actix's. actix-server 2.6 stops at once on SIGINT (and SIGQUIT),
    // cutting every request in flight; and even its graceful stop (SIGTERM, `stop(true)`) can
    // cut them: it stops the accept thread first, whose exit closes the channel each worker
    // receives connections on, and a worker that sees the closed channel before its stop message
    // ends at once, dropping its connections (the probe's 6 runs out of 19, exit in 0.31 s: the
    // 300 ms actix sleeps before stopping the runtime). So, on SIGTERM or SIGINT:
    // 1. the instance is marked stopping (`/health/ready` answers 503, responses close their
    //    connection);
    // 2. the listening socket drops the packets that open connections (their clients retry,
    //    and are refused then), accepting is paused once the backlog is drained, and the
    //    socket shut down, so that new connections are refused (not left in the backlog);
    // 3. the requests in flight, counted by the request middleware until their response is
    //    written, are awaited for at most `CNFS_SHUTDOWN_TIMEOUT`;
    // 4. then only the server stops (connections left are idle), and the process exits 0.
    //
    // actix caps connections per worker: the instance's cap is shared among the workers (one per
    // CPU, as actix's default), rounded up.
    let stopping = state.clone();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let listener = listen(config.bind)?;
    let listening = std::os::fd::AsRawFd::as_raw_fd(&listener);
    let server = HttpServer::new(move || cnfs_api::build_app(state.clone(), cors_origins.clone()))
        .workers(workers)
        .max_connections(config.max_connections.div_ceil(workers))
        .worker_max_blocking_threads(config.pool_size as usize)
        .disable_signals()
        .listen(listener)?
        .run();
    let handle = server.handle();
    let grace = config.shutdown_timeout;
    actix_web::rt::spawn(async move {
        let signal = stop_signal().await;
        stopping.begin_shutdown();
        log::info!(
            "{signal} reçu : arrêt en cours, /health/ready répond 503, {} requête(s) en cours \
             ont {} s pour se terminer",
            stopping.requests_in_flight(),
            grace.as_secs()
        );
        // No connection starts from now on, while the accept thread still takes those the
        // kernel has queued or is completing: a connection left in the backlog when the socket
        // stops listening would be reset after its client sent its request, a failure it
        // cannot safely retry (bench/rolling_restart.py saw one per client at each SIGTERM when
        // the pause came first). Clients whose SYN is dropped here try again after their SYN
        // timeout (1 s on Linux) and are refused then.
        drop_new_connections(listening);
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        handle.pause().await;
        // Let the accept thread take the pause in before the socket stops listening.
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        // SAFETY: shutdown(2) on the listening socket, which actix keeps open until it stops;
        // on Linux it leaves the LISTEN state (new connections are refused) without closing it.
        unsafe {
            libc::shutdown(listening, libc::SHUT_RD);
        }
        let deadline = std::time::Instant::now() + grace;
        while stopping.requests_in_flight() > 0 && std::time::Instant::now() < deadline {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let left = stopping.requests_in_flight();
        if left > 0 {
            log::warn!(
                "délai d'arrêt écoulé : {left} requête(s) encore en cours sont interrompues"
            );
        }
        handle.stop(false).await;
    });
    server.await?;
    if let Some((task, handle)) = metrics {
        handle.stop(false).await;
        task.await.map_err(std::io::Error::other)??;
    }
    log::info!("serveur arrêté");
    Ok(())
}

/// Makes the listening socket `fd` drop the packets that open a connection (a SYN without ACK),
/// with a classic BPF filter: no new connection starts, while the handshakes under way complete
/// and the connections queued stay to be accepted. Clients retry a dropped SYN after their
/// timeout (1 s on Linux), and are refused then. Logged and otherwise ignored if the kernel
/// refuses the filter (the shutdown then works as without it).
#[cfg(target_os = "linux")]
fn drop_new_connections(fd: std::os::fd::RawFd) {
    // The filter sees each packet from its TCP header on (byte 13: the flags).
    let instruction = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    let mut program = [
        instruction(0x30, 0, 0, 13),       // ldb [13]: A = the TCP flags
        instruction(0x54, 0, 0, 0x12),     // and #0x12: keep SYN and ACK
        instruction(0x15, 0, 1, 0x02),     // jeq #0x02: a SYN alone? next, else skip one
        instruction(0x06, 0, 0, 0),        // ret #0: drop it
        instruction(0x06, 0, 0, u32::MAX), // ret #-1: let the whole packet through
    ];
    let fprog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_mut_ptr(),
    };
    // SAFETY: setsockopt(2) with a pointer to a valid `sock_fprog` and its size; the kernel
    // copies the program before returning.
    let attached = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            std::ptr::from_ref(&fprog).cast(),
            std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    if attached != 0 {
        log::warn!(
            "filtre d'arrêt non posé sur la socket d'écoute : {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Elsewhere than Linux (development machines) there is no socket filter: connections that
/// arrive while the server stops may be reset.
#[cfg(not(target_os = "linux"))]
fn drop_new_connections(_fd: std::os::fd::RawFd) {}

/// The metrics listener on `addr` (one worker, `GET /metrics` only), started; its task and handle.
/// Installs the Prometheus recorder, and folds the histograms' samples every 5 seconds so that
/// memory stays flat between scrapes.
#[allow(clippy::type_complexity)]
fn metrics_server(
    addr: std::net::SocketAddr,
    state: AppState,
) -> std::io::Result<(
    actix_web::rt::task::JoinHandle<std::io::Result<()>>,
    actix_web::dev::ServerHandle,
)> {
    use cnfs_api::http::metrics::{MetricsEndpoint, metrics_app};
    use cnfs_api::metrics::install_recorder;
    let handle = install_recorder().map_err(std::io::Error::other)?;
    let endpoint = actix_web::web::Data::new(MetricsEndpoint::new(handle, state));
    let upkeep = endpoint.clone();
    actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(std::time::Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });
    let server = HttpServer::new(move || metrics_app(endpoint.clone()))
        .workers(1)
        .disable_signals()
        .bind(addr)?
        .run();
    log::info!("métriques Prometheus sur http://{addr}/metrics");
    let handle = server.handle();
    Ok((actix_web::rt::spawn(server), handle))
}

/// The listening socket on `addr`, as actix's own `bind` makes it (`SO_REUSEADDR`, backlog
/// 1,024), but ours: its descriptor lets a shutdown stop listening without closing it.
fn listen(addr: std::net::SocketAddr) -> std::io::Result<std::net::TcpListener> {
    // std sets SO_REUSEADDR on Unix and listens with a backlog of 128.
    let listener = std::net::TcpListener::bind(addr)?;
    // SAFETY: listen(2) again on a listening socket only changes its backlog.
    unsafe {
        libc::listen(std::os::fd::AsRawFd::as_raw_fd(&listener), 1024);
    }
    Ok(listener)
}

/// Waits for SIGTERM or SIGINT (Ctrl-C); returns its name. Should a handler fail to install,
/// waits for the other one alone.
#[cfg(unix)]
async fn stop_signal() -> &'static str {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    use std::task::Poll;
    let install = |kind: SignalKind, name: &str| {
        signal(kind)
            .map_err(|error| log::warn!("{name} non intercepté : {error}"))
            .ok()
    };
    let mut term = install(SignalKind::terminate(), "SIGTERM");
    let mut int = install(SignalKind::interrupt(), "SIGINT");
    std::future::poll_fn(|cx| {
        if let Some(term) = term.as_mut()
            && term.poll_recv(cx).is_ready()
        {
            return Poll::Ready("SIGTERM");
        }
        if let Some(int) = int.as_mut()
            && int.poll_recv(cx).is_ready()
        {
            return Poll::Ready("SIGINT");
        }
        Poll::Pending
    })
    .await
}

/// Waits for Ctrl-C.
#[cfg(not(unix))]
async fn stop_signal() -> &'static str {
    if let Err(error) = actix_web::rt::signal::ctrl_c().await {
        log::warn!("Ctrl-C non intercepté : {error}");
        std::future::pending::<()>().await;
    }
    "Ctrl-C"
}

//! The `cnfs-api` binary: `serve` (default), `migrate`, `openapi`.

use std::process::ExitCode;
use std::time::Instant;

use actix_web::HttpServer;
use clap::{Parser, Subcommand};

use cnfs_api::config::Config;
use cnfs_api::db::{self, DatabaseUrl, referentiel::LoadOutcome};
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
    /// Write the OpenAPI document (as served and committed) to stdout or to a file.
    Openapi {
        /// Write to this file instead of stdout.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
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
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let prepared = prepare(&config.database_url);
    if !prepared {
        return ExitCode::FAILURE;
    }
    match command {
        Command::Migrate => ExitCode::SUCCESS,
        _ => match serve(config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                log::error!("arrêt du serveur : {error}");
                ExitCode::FAILURE
            }
        },
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
                    elapsed,
                } => log::info!(
                    "référentiel chargé : {communes} communes, {epci} EPCI en {} ms",
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

#[actix_web::main]
async fn serve(config: Config) -> std::io::Result<()> {
    let pool = db::build_pool(&config.database_url, config.pool_size, config.pool_timeout);
    let postgres = matches!(config.database_url, DatabaseUrl::Postgres(_));
    let state = AppState::new(pool, postgres, true);
    let cors_origins = config.cors_origins.clone();
    log::info!(
        "écoute sur http://{} — Swagger UI : http://{}/swagger-ui/",
        config.bind,
        config.bind
    );
    HttpServer::new(move || cnfs_api::build_app(state.clone(), cors_origins.clone()))
        .bind(config.bind)?
        .run()
        .await
}

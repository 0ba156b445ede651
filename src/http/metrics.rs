//! The metrics listener (`CNFS_METRICS_BIND`, off by default, never the public port): `GET
//! /metrics` in the Prometheus text format, the process's series (see [`crate::metrics`]) then the
//! gauges of the application's state: its pool, its requests in flight, and the business gauges
//! (conventions by status, advisors by status, money engaged by nature), read from the national
//! statistics' groups and envelopes at most once every [`BUSINESS_REFRESH`] whatever the scrape
//! interval, never per scrape.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, HttpResponse, web};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::db::repo::statistiques::{self as repo, Lecture};
use crate::domain::conseiller::StatutConseiller;
use crate::domain::convention::StatutConvention;
use crate::domain::financement::NatureEnveloppe;
use crate::domain::statistiques::Statistiques;
use crate::http::AppState;
use crate::metrics::{
    BUSINESS_READ_AT, CONSEILLERS, CONVENTIONS, DB_POOL_CONNECTIONS, DB_POOL_MAX, HTTP_IN_FLIGHT,
    MONEY_ENGAGED,
};

/// How often, at most, the business gauges are read again from the database.
pub const BUSINESS_REFRESH: Duration = Duration::from_secs(60);

/// The business gauges as last read: (statut, count) of conventions and of advisors, (nature,
/// cents) engaged, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessGauges {
    /// Conventions by status, every status listed.
    pub conventions: Vec<(&'static str, i64)>,
    /// Advisors by status, every status listed (`en_poste`: the active ones).
    pub conseillers: Vec<(&'static str, i64)>,
    /// Money engaged by envelope nature, every nature listed, in cents.
    pub engage_centimes: Vec<(&'static str, i64)>,
    /// When they were read, seconds since the Unix epoch.
    pub read_at: f64,
}

impl BusinessGauges {
    /// The gauges of the national statistics.
    pub fn of(national: &Statistiques) -> Self {
        let engage = |nature: NatureEnveloppe| {
            national
                .financement
                .iter()
                .filter(|line| line.nature == nature)
                .map(|line| line.engage_centimes)
                .sum::<i64>()
        };
        BusinessGauges {
            conventions: StatutConvention::ALL
                .iter()
                .zip(national.conventions.par_statut)
                .map(|(statut, count)| (statut.as_str(), count))
                .collect(),
            conseillers: StatutConseiller::ALL
                .iter()
                .zip(national.conseillers.par_statut)
                // the statistics count advisors only, not people without a contract yet
                .filter(|(statut, _)| **statut != StatutConseiller::SansContrat)
                .map(|(statut, count)| (statut.as_str(), count))
                .collect(),
            engage_centimes: NatureEnveloppe::ALL
                .iter()
                .map(|nature| (nature.as_str(), engage(*nature)))
                .collect(),
            read_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        }
    }
}

/// What the metrics listener serves from: the recorder's handle (the process's counters and
/// histograms), the application's state (its pool, its requests in flight, its database for the
/// business gauges) and the business gauges last read. The gauges of the state are written by
/// the endpoint itself at each scrape, not through the global recorder: they belong to this
/// state's pool and database.
pub struct MetricsEndpoint {
    handle: PrometheusHandle,
    state: AppState,
    business: Mutex<Option<(Instant, Arc<BusinessGauges>)>>,
    business_turn: tokio::sync::Mutex<()>,
}

impl MetricsEndpoint {
    /// An endpoint rendering `handle`'s series, with the gauges of `state`.
    pub fn new(handle: PrometheusHandle, state: AppState) -> Self {
        MetricsEndpoint {
            handle,
            state,
            business: Mutex::new(None),
            business_turn: tokio::sync::Mutex::new(()),
        }
    }

    /// Keeps the recorder's memory bounded between scrapes (histogram samples folded in); the
    /// server calls it every few seconds.
    pub fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The business gauges last read, and whether they are due for another read.
    fn business(&self) -> (Option<Arc<BusinessGauges>>, bool) {
        let business = self.business.lock().unwrap_or_else(|e| e.into_inner());
        match &*business {
            None => (None, true),
            Some((at, gauges)) => (Some(gauges.clone()), at.elapsed() >= BUSINESS_REFRESH),
        }
    }

    /// The business gauges, read again when the last read is older than [`BUSINESS_REFRESH`]:
    /// one scrape reads (the national statistics' groups and envelopes, and today's activities:
    /// a few hundred rows, never the activities' millions), scrapes meanwhile serve the previous
    /// values. `None` until a first read succeeds.
    async fn business_gauges(&self) -> Option<Arc<BusinessGauges>> {
        let (last, due) = self.business();
        if !due {
            return last;
        }
        let Ok(_turn) = self.business_turn.try_lock() else {
            return last;
        };
        let (last, due) = self.business();
        if !due {
            return last;
        }
        let today = self.state.today();
        let read = self
            .state
            .read(move |conn| {
                Ok(repo::donnees(
                    conn,
                    Some(today),
                    Some(today),
                    today,
                    Lecture::National,
                )?)
            })
            .await;
        let gauges = match read {
            Ok(donnees) => Arc::new(BusinessGauges::of(&crate::app::statistiques::nationales(
                &donnees,
            ))),
            Err(error) => {
                log::warn!("métriques : jauges métier non lues : {error}");
                // A failing database is not asked again at every scrape: the last values wait
                // their interval.
                let mut business = self.business.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((at, _)) = business.as_mut() {
                    *at = Instant::now();
                }
                return last;
            }
        };
        *self.business.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), gauges.clone()));
        Some(gauges)
    }

    /// The text of a scrape: the process's series, then this state's gauges.
    pub async fn render(&self) -> String {
        let business = self.business_gauges().await;
        let mut text = self.handle.render();
        let pool = self.state.pool.state();
        let in_use = pool.connections.saturating_sub(pool.idle_connections);
        gauge(
            &mut text,
            DB_POOL_CONNECTIONS,
            "Connexions du pool : en usage, libres.",
            &[
                (Some(("state", "in_use")), f64::from(in_use)),
                (Some(("state", "idle")), f64::from(pool.idle_connections)),
            ],
        );
        gauge(
            &mut text,
            DB_POOL_MAX,
            "Connexions au plus dans le pool (CNFS_DB_POOL_SIZE).",
            &[(None, f64::from(self.state.pool.max_size()))],
        );
        gauge(
            &mut text,
            HTTP_IN_FLIGHT,
            "Requêtes en cours sur cette instance.",
            &[(None, self.state.requests_in_flight() as f64)],
        );
        if let Some(business) = business {
            let labelled = |label: &'static str, values: &[(&'static str, i64)]| {
                values
                    .iter()
                    .map(|(value, count)| (Some((label, *value)), *count as f64))
                    .collect::<Vec<_>>()
            };
            gauge(
                &mut text,
                CONVENTIONS,
                "Conventions par statut.",
                &labelled("statut", &business.conventions),
            );
            gauge(
                &mut text,
                CONSEILLERS,
                "Conseillers par statut (en_poste : actifs).",
                &labelled("statut", &business.conseillers),
            );
            gauge(
                &mut text,
                MONEY_ENGAGED,
                "Montant engagé (centimes) par nature d'enveloppe.",
                &labelled("nature", &business.engage_centimes),
            );
            gauge(
                &mut text,
                BUSINESS_READ_AT,
                "Date de la dernière lecture des jauges métier (secondes depuis 1970).",
                &[(None, business.read_at)],
            );
        }
        text
    }
}

/// Appends one gauge family in the Prometheus text format. Label values here are fixed
/// identifiers (statuses, natures): nothing to escape.
fn gauge(text: &mut String, name: &str, help: &str, samples: &[(Option<(&str, &str)>, f64)]) {
    use std::fmt::Write;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let _ = writeln!(text, "# HELP {name} {help}");
    let _ = writeln!(text, "# TYPE {name} gauge");
    for (label, value) in samples {
        match label {
            Some((label, label_value)) => {
                let _ = writeln!(text, "{name}{{{label}=\"{label_value}\"}} {value}");
            }
            None => {
                let _ = writeln!(text, "{name} {value}");
            }
        }
    }
}

/// `GET /metrics`: the Prometheus text format (version 0.0.4).
async fn scrape(endpoint: web::Data<MetricsEndpoint>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(endpoint.render().await)
}

/// The application of the metrics listener: `GET /metrics` and nothing else (404).
pub fn metrics_app(
    endpoint: web::Data<MetricsEndpoint>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(endpoint)
        .route("/metrics", web::get().to(scrape))
}

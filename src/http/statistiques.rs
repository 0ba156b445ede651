//! `/api/v1/statistiques`: public statistics, national, by région and by département.
//!
//! Every answer is computed from the grouped figures of [`repo::donnees`] (whose activity part
//! reads the per-day aggregates, not the activities), composed by
//! [`domain::compose`](crate::domain::statistiques::compose). Answers carry a strong `ETag` (a
//! hash of the body) and `Cache-Control: public, max-age=60`; `If-None-Match` with that tag
//! answers 304 without a body.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use sha2::{Digest, Sha256};

use crate::api::statistiques::{PeriodeQuery, Statistiques, StatistiquesListe};
use crate::app;
use crate::db::repo::statistiques::{self as repo, Donnees, Lecture};
use crate::domain::codes::{CodeDepartement, CodeRegion};
use crate::domain::statistiques::{DonneesDepartement, NiveauTerritoire, Territoire, compose};
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::extract::{PathParam, StrictQuery};
use crate::operation;

/// How long a client or a proxy may reuse an answer, in seconds.
pub const MAX_AGE_SECONDS: u32 = 60;

/// The strong `ETag` of a body: the first 16 bytes of its SHA-256, quoted.
pub fn body_etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether an `If-None-Match` header value matches `etag` (`*`, or one of a comma-separated list;
/// weak comparison: a `W/` prefix is ignored, RFC 9110 §13.1.2).
pub fn none_match(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

/// A computed answer: its body and `ETag`, and when it was computed.
#[derive(Debug)]
pub struct Reponse {
    computed: Instant,
    body: web::Bytes,
    etag: String,
}

impl Reponse {
    /// `value` serialized, with its `ETag`.
    fn of<T: serde::Serialize>(value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
        Ok(Reponse {
            computed: Instant::now(),
            etag: body_etag(&body),
            body: body.into(),
        })
    }

    /// 200 with `ETag` and `Cache-Control`, or 304 when the request's `If-None-Match` names the
    /// same tag.
    fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let matched = req
            .headers()
            .get_all(header::IF_NONE_MATCH)
            .filter_map(|v| v.to_str().ok())
            .any(|v| none_match(v, &self.etag));
        let mut response = if matched {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        response
            .insert_header((header::ETAG, self.etag.clone()))
            .insert_header((
                header::CACHE_CONTROL,
                format!("public, max-age={MAX_AGE_SECONDS}"),
            ));
        if matched {
            return response.finish();
        }
        response
            .content_type("application/json")
            .body(self.body.clone())
    }
}

/// The most answers [`CacheStatistiques`] keeps (one per URL and day; the periods make the set
/// of URLs unbounded, so a full cache stores nothing more until its entries expire).
pub const CACHE_ENTRIES: usize = 512;

/// The longest a statistics answer may be reused by this instance, in seconds.
pub const CACHE_MAX_SECONDS: u64 = 5;

/// Statistics answers of this instance, reused for at most a few seconds
/// (`CNFS_CACHE_STATISTIQUES`, 0 to 5 s; off in tests): a dashboard polled by many clients costs
/// one computation per URL and period, not one per request. The figures may thus lag a write by
/// that long on this instance (and by `max-age` at a client or proxy, which is longer).
///
/// Computations are CPU-bound and hold their figures in memory while they compose: at most one
/// per CPU runs at once, the others wait their turn (then look in the cache again, where the
/// computation they waited for may have put their answer). More at once would not finish sooner
/// on that many CPUs, only hold more memory.
#[derive(Debug)]
pub struct CacheStatistiques {
    ttl: Duration,
    entries: Mutex<HashMap<String, Arc<Reponse>>>,
    computations: tokio::sync::Semaphore,
}

impl Default for CacheStatistiques {
    fn default() -> Self {
        CacheStatistiques::new(Duration::ZERO)
    }
}

impl CacheStatistiques {
    /// A cache keeping answers for `ttl` (at most [`CACHE_MAX_SECONDS`]); zero keeps none.
    pub fn new(ttl: Duration) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        CacheStatistiques {
            ttl: ttl.min(Duration::from_secs(CACHE_MAX_SECONDS)),
            entries: Mutex::new(HashMap::new()),
            computations: tokio::sync::Semaphore::new(cpus),
        }
    }

    /// How long answers are kept.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn get(&self, key: &str) -> Option<Arc<Reponse>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|r| r.computed.elapsed() < self.ttl)
            .cloned()
    }

    fn put(&self, key: String, reponse: Arc<Reponse>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CACHE_ENTRIES {
            entries.retain(|_, r| r.computed.elapsed() < self.ttl);
        }
        if entries.len() < CACHE_ENTRIES {
            entries.insert(key, reponse);
        }
    }
}

/// Answers a statistics request: from this instance's cache when a fresh answer to the same URL
/// (path and query) exists for today, else by reading the figures `lecture` says and building
/// the body with `build`.
async fn answer<T, F>(
    req: &HttpRequest,
    state: &AppState,
    periode: PeriodeQuery,
    lecture: Lecture,
    build: F,
) -> Result<HttpResponse, ApiError>
where
    T: serde::Serialize,
    F: FnOnce(&Donnees) -> Result<T, ApiError>,
{
    let today = state.today();
    let key = format!("{today} {}?{}", req.path(), req.query_string());
    let cache = &state.cache_statistiques;
    if let Some(hit) = cache.get(&key) {
        return Ok(hit.respond(req));
    }
    let _turn = cache
        .computations
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    if let Some(hit) = cache.get(&key) {
        return Ok(hit.respond(req));
    }
    let donnees = state
        .read(move |conn| Ok(repo::donnees(conn, periode.du, periode.au, today, lecture)?))
        .await?;
    let reponse = Arc::new(Reponse::of(&build(&donnees)?)?);
    cache.put(key, reponse.clone());
    Ok(reponse.respond(req))
}

fn national(donnees: &Donnees) -> Statistiques {
    crate::app::statistiques::nationales(donnees).into()
}

fn region(donnees: &Donnees, (code, nom): &(String, String)) -> Statistiques {
    let members: Vec<&DonneesDepartement> = donnees
        .departements
        .iter()
        .filter(|d| &d.region == code)
        .collect();
    compose(
        Territoire {
            niveau: NiveauTerritoire::Region,
            code: Some(code.clone()),
            nom: nom.clone(),
        },
        &members,
        donnees.activites_ensemble.as_ref(),
        &donnees.enveloppes,
        &donnees.soldes,
    )
    .into()
}

/// Declares a statistics handler: public, `du` and `au` as its query (`PeriodeQuery`), answered
/// by [`answer`] with a strong `ETag`, `Cache-Control` and `304` (its documentation says so), of
/// the whole country or of the territory its path names (`path = (code: type, documented
/// parameter)`).
macro_rules! statistiques_operation {
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal,
        $(path = ($code:ident: $code_type:ty, $path_doc:path),)?
        response = ($response:ty, $description:literal), errors = $errors:ident,
        |$req:ident, $state:ident, $periode:ident| $body:block
    ) => {
        operation! {
            $(#[doc = $doc])+
            get $route, $name, $operation, tag = "Statistiques",
            params($($path_doc,)? PeriodeQuery),
            responses(
                (status = 200, description = $description, body = $response,
                    headers(("ETag" = String, description = "Empreinte de la réponse, pour `If-None-Match`."),
                            ("Cache-Control" = String, description = "`public, max-age=60`."))),
                (status = 304, description = "Inchangées depuis l'`ETag` donné dans `If-None-Match`."),
                crate::openapi::$errors,
            ),
            fn(
                $req: HttpRequest,
                $state: web::Data<AppState>,
                $(PathParam($code): PathParam<$code_type>,)?
                StrictQuery($periode): StrictQuery<PeriodeQuery>,
            ) -> Result<HttpResponse, ApiError> $body
        }
    };
}

statistiques_operation! {
    /// Statistiques nationales
    ///
    /// Les postes (objectif, attribués, pourvus, vacants), les conseillers par statut, les
    /// conventions par statut et en retard, l'argent par nature d'enveloppe et les activités
    /// (nombre, participants, heures, par thématique, par mois) de la France entière. `du` et `au`
    /// filtrent les activités seulement. Réponse avec `ETag` et `Cache-Control: public,
    /// max-age=60` ; `If-None-Match` : 304. Public (aucun jeton) ; aucune donnée personnelle.
    get_nationales, "/statistiques", "getStatistiquesNationales",
    response = (Statistiques, "Les statistiques nationales."), errors = ReadErrors,
    |req, state, periode| {
        answer(&req, &state, periode, Lecture::National, |donnees| {
            Ok(national(donnees))
        })
        .await
    }
}

statistiques_operation! {
    /// Statistiques de chaque région
    ///
    /// Les statistiques de chacune des régions du référentiel, par code, pour dessiner une carte en
    /// un appel. Mêmes champs et mêmes règles que les statistiques nationales ; l'objectif et
    /// l'argent d'une région sont ceux de ses plafonds départementaux et de ses enveloppes
    /// départementales. Public (aucun jeton).
    list_regions, "/statistiques/regions", "listStatistiquesRegions",
    response = (StatistiquesListe, "Une entrée par région."), errors = ReadErrors,
    |req, state, periode| {
        answer(&req, &state, periode, Lecture::ParDepartement, |donnees| {
            let items = donnees.regions.iter().map(|r| region(donnees, r)).collect();
            Ok(StatistiquesListe { items })
        })
        .await
    }
}

statistiques_operation! {
    /// Statistiques d'une région
    ///
    /// Les statistiques d'une région (la somme de ses départements). Une région inconnue : 404.
    /// Public (aucun jeton).
    get_region, "/statistiques/regions/{code}", "getStatistiquesRegion",
    path = (code: CodeRegion, crate::api::RegionPath),
    response = (Statistiques, "Les statistiques de la région."), errors = ItemReadErrors,
    |req, state, periode| {
        let lecture = Lecture::Region(code.as_str().to_owned());
        answer(&req, &state, periode, lecture, |donnees| {
            let found = donnees
                .regions
                .iter()
                .find(|(c, _)| c == code.as_str())
                .ok_or_else(|| ApiError::NotFound(format!("Aucune région de code {code}.")))?;
            Ok(region(donnees, found))
        })
        .await
    }
}

statistiques_operation! {
    /// Statistiques de chaque département
    ///
    /// Les statistiques de chacun des départements du référentiel, par code, pour dessiner une carte
    /// en un appel. Public (aucun jeton).
    list_departements, "/statistiques/departements", "listStatistiquesDepartements",
    response = (StatistiquesListe, "Une entrée par département."), errors = ReadErrors,
    |req, state, periode| {
        answer(&req, &state, periode, Lecture::ParDepartement, |donnees| {
            let items = donnees
                .departements
                .iter()
                .map(|d| app::statistiques::departement(donnees, d))
                .collect();
            Ok(StatistiquesListe { items })
        })
        .await
    }
}

statistiques_operation! {
    /// Statistiques d'un département
    ///
    /// Les statistiques d'un département. Un département inconnu : 404. Public (aucun jeton).
    get_departement, "/statistiques/departements/{code}", "getStatistiquesDepartement",
    path = (code: CodeDepartement, crate::api::DepartementPath),
    response = (Statistiques, "Les statistiques du département."), errors = ItemReadErrors,
    |req, state, periode| {
        let lecture = Lecture::Departement(code.as_str().to_owned());
        answer(&req, &state, periode, lecture, |donnees| {
            let found = donnees
                .departements
                .iter()
                .find(|d| d.code == code.as_str())
                .ok_or_else(|| ApiError::NotFound(format!("Aucun département de code {code}.")))?;
            Ok(app::statistiques::departement(donnees, found))
        })
        .await
    }
}

/// Registers the handlers of this module.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_nationales)
        .service(list_regions)
        .service(get_region)
        .service(list_departements)
        .service(get_departement);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists() {
        let tag = body_etag(b"{}");
        assert_eq!(tag.len(), 34);
        assert!(none_match(&tag, &tag));
        assert!(none_match(&format!("W/{tag}"), &tag));
        assert!(none_match(&format!("\"x\", {tag}"), &tag));
        assert!(none_match("*", &tag));
        assert!(!none_match("\"x\"", &tag));
        assert_ne!(body_etag(b"{}"), body_etag(b"[]"));
    }

    fn reponse() -> Arc<Reponse> {
        Arc::new(Reponse::of(&serde_json::json!({"n": 1})).unwrap())
    }

    #[test]
    fn the_cache_keeps_answers_for_its_time_and_no_more() {
        let off = CacheStatistiques::new(Duration::ZERO);
        off.put("a".to_owned(), reponse());
        assert!(off.get("a").is_none(), "0 s: nothing kept");

        let capped = CacheStatistiques::new(Duration::from_secs(60));
        assert_eq!(capped.ttl(), Duration::from_secs(CACHE_MAX_SECONDS));

        let short = CacheStatistiques::new(Duration::from_millis(40));
        short.put("a".to_owned(), reponse());
        assert!(short.get("a").is_some());
        assert!(short.get("b").is_none());
        std::thread::sleep(Duration::from_millis(60));
        assert!(short.get("a").is_none(), "expired");
    }

    #[test]
    fn a_full_cache_makes_room_from_expired_entries_only() {
        let cache = CacheStatistiques::new(Duration::from_millis(40));
        for n in 0..CACHE_ENTRIES {
            cache.put(format!("{n}"), reponse());
        }
        cache.put("late".to_owned(), reponse());
        assert!(
            cache.get("late").is_none(),
            "full of fresh entries: not kept"
        );
        assert!(cache.get("0").is_some());
        std::thread::sleep(Duration::from_millis(60));
        cache.put("later".to_owned(), reponse());
        assert!(cache.get("later").is_some(), "the expired ones made room");
        let entries = cache.entries.lock().unwrap();
        assert_eq!(entries.len(), 1);
    }
}

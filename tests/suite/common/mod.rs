//! Test support shared by the integration tests: databases on both backends and the test app.
//!
//! - SQLite: the start-up sequence (migrations + référentiel) runs once per test process on a
//!   template file; each test gets its own copy, so tests never see each other's writes.
//! - PostgreSQL: runs when `CNFS_TEST_PG_URL` is set (`.ci/run` sets it); under CI (`CI=true`) a
//!   missing URL fails the test instead of skipping it. Each test gets its own database on that
//!   server, a copy of a template prepared once per test process, dropped after the test (see
//!   [`pg`]); [`TestDb::postgres_empty`] gives an empty one.
//! - Real server processes on such a database, and a plain HTTP client to race them: [`processus`].
#![allow(dead_code)] // helpers kept for the next test even when no test calls them yet

pub mod pg;
pub mod processus;
pub mod scenario;
pub mod statistiques;
pub mod test_app;

#[allow(unused_imports)] // not every test binary sends requests
pub use test_app::{Call, TestApp};

use std::path::PathBuf;
use std::sync::OnceLock;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::test;
use cnfs_api::auth::mint::{TokenRequest, mint};
use cnfs_api::auth::{JwtKeys, Role, Verifier};
use cnfs_api::db::{self, DatabaseUrl, DbConn};
use cnfs_api::http::AppState;

/// The HS256 secret of the test application (32 bytes and more).
pub const TEST_SECRET: &[u8] = b"test-secret-0123456789-abcdefghijklmnop";
/// The issuer the test application expects.
pub const TEST_ISSUER: &str = "https://auth.test.cnfs.example";
/// The audience the test application expects.
pub const TEST_AUDIENCE: &str = "cnfs-api";
/// The structure of the spec's examples (its `{id}` path parameter's example): the structure
/// token's own in the access matrix's fixtures.
pub const EXAMPLE_STRUCTURE_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90";

/// The keys of the test application.
pub fn test_keys() -> JwtKeys {
    JwtKeys::from_secret(TEST_SECRET, TEST_ISSUER, TEST_AUDIENCE).expect("test secret")
}

/// A valid token of the test application (one hour).
pub fn token(role: Role, departements: &[&str], structure_id: Option<&str>) -> String {
    let request = TokenRequest {
        role,
        departements: departements.iter().map(|d| d.to_string()).collect(),
        structure_id: structure_id.map(str::to_owned),
        sub: format!("test-{}", role.as_str()),
        ttl_seconds: 3600,
    };
    mint(&test_keys(), None, &request).expect("test token")
}

/// An application state over `pool` with the test keys.
pub fn state_with(pool: db::DbPool, postgres: bool) -> AppState {
    AppState::new(pool, postgres, true, Verifier::new(test_keys()))
}

/// A database prepared for one test.
pub struct TestDb {
    /// Where it is.
    pub url: DatabaseUrl,
    /// Keeps a SQLite copy alive for the test's duration.
    _dir: Option<tempfile::TempDir>,
    /// Drops the PostgreSQL database after the test.
    _pg: Option<pg::Database>,
}

fn sqlite_template() -> &'static PathBuf {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &TEMPLATE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("template.sqlite3");
            let url = DatabaseUrl::Sqlite(path.clone());
            db::prepare_database(&url).expect("template database prepared");
            // Fold the WAL into the main file so that copying the file copies everything.
            let mut conn = url.connect().expect("template reopens");
            use diesel::connection::SimpleConnection;
            conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")
                .expect("checkpoint");
            (dir, path)
        })
        .1
}

/// The PostgreSQL URL for tests, if any; under CI its absence is a failure, not a skip.
pub fn postgres_url() -> Option<String> {
    match std::env::var("CNFS_TEST_PG_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1") {
                panic!(
                    "CI=true but CNFS_TEST_PG_URL is not set: the PostgreSQL suite must run in CI"
                );
            }
            eprintln!("CNFS_TEST_PG_URL not set: PostgreSQL test skipped");
            None
        }
    }
}

impl TestDb {
    /// A private copy of the prepared SQLite template.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cnfs.sqlite3");
        std::fs::copy(sqlite_template(), &path).expect("template copied");
        TestDb {
            url: DatabaseUrl::Sqlite(path),
            _dir: Some(dir),
            _pg: None,
        }
    }

    /// An empty SQLite file (nothing migrated, nothing loaded).
    pub fn sqlite_empty() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        TestDb {
            url: DatabaseUrl::Sqlite(dir.path().join("empty.sqlite3")),
            _dir: Some(dir),
            _pg: None,
        }
    }

    /// A private copy of the prepared PostgreSQL template (`None`: skipped outside CI).
    pub fn postgres() -> Option<TestDb> {
        postgres_url()?;
        Some(TestDb::on_postgres(pg::Database::prepared()))
    }

    /// A fresh, empty PostgreSQL database (nothing migrated, nothing loaded; `None`: skipped
    /// outside CI).
    pub fn postgres_empty() -> Option<TestDb> {
        postgres_url()?;
        Some(TestDb::on_postgres(pg::Database::empty()))
    }

    fn on_postgres(database: pg::Database) -> TestDb {
        TestDb {
            url: DatabaseUrl::Postgres(database.url.clone()),
            _dir: None,
            _pg: Some(database),
        }
    }

    /// The PostgreSQL database's name (`None` on SQLite).
    pub fn postgres_database(&self) -> Option<&str> {
        self._pg.as_ref().map(|database| database.name.as_str())
    }

    /// Whether this database is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.url, DatabaseUrl::Postgres(_))
    }

    /// One connection outside any pool.
    pub fn conn(&self) -> DbConn {
        self.url.connect().expect("test database reachable")
    }

    /// A ready application state over a small pool.
    pub fn state(&self) -> AppState {
        let pool = db::build_pool(&self.url, 4, std::time::Duration::from_secs(5));
        state_with(pool, matches!(self.url, DatabaseUrl::Postgres(_)))
    }
}

/// Defines each listed `async fn name(db: TestDb)` as a test on SQLite and one on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::common::TestDb::sqlite()).await
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    if let Some(db) = $crate::common::TestDb::postgres() {
                        super::$name(db).await
                    }
                }
            )*
        }
    };
}

/// The application over `state`, without CORS origins, ready for `call` / `get`.
pub async fn app(
    state: AppState,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(cnfs_api::build_app(state, Vec::new())).await
}

/// A response read whole: status, headers, body text and body as JSON (Null when not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: serde_json::Value,
}

impl Answer {
    /// A header as text (panics when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("header {name} missing; headers: {:?}", self.headers))
            .to_str()
            .expect("header is text")
    }

    /// Asserts a problem+json body of `status` with `code`, its request id and instance.
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(self.header("content-type"), "application/problem+json");
        assert_eq!(self.json["status"], status, "body: {}", self.text);
        assert_eq!(self.json["code"], code, "body: {}", self.text);
        assert_eq!(
            self.json["type"],
            format!("urn:cnfs-api:probleme:{code}"),
            "body: {}",
            self.text
        );
        assert!(self.json["title"].is_string() && self.json["detail"].is_string());
        assert_eq!(self.json["request_id"], self.header("x-request-id"));
        assert!(
            self.json["instance"]
                .as_str()
                .is_some_and(|i| i.starts_with('/'))
        );
    }

    /// The names of the parameters a 400 problem lists.
    pub fn faulty_parameters(&self) -> Vec<String> {
        self.json["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["parameter"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Sends a request to the app and reads the whole answer.
pub async fn call<S, B>(app: &S, req: actix_http::Request) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = test::call_service(app, req).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = test::read_body(response).await;
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8 body");
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Answer {
        status,
        headers,
        text,
        json,
    }
}

/// `GET uri`.
pub async fn get<S, B>(app: &S, uri: &str) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    call(app, test::TestRequest::get().uri(uri).to_request()).await
}

/// A concrete URI for a documented operation (its JSON in the spec): each path parameter replaced
/// by its example, or by `value` for the parameter named `name` in `instead`.
pub fn example_uri(
    path: &str,
    operation: &serde_json::Value,
    instead: Option<(&str, &str)>,
) -> String {
    let mut uri = path.to_owned();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        if parameter["in"] != "path" {
            continue;
        }
        let name = parameter["name"].as_str().expect("a named parameter");
        let value = match instead {
            Some((wanted, value)) if wanted == name => value,
            _ => parameter["example"]
                .as_str()
                .unwrap_or_else(|| panic!("{path}: path parameter {name} has no example")),
        };
        uri = uri.replace(&format!("{{{name}}}"), value);
    }
    uri
}

/// `method uri` with an optional bearer token, JSON body and extra headers, as a request for
/// [`call`] (what [`TestApp`]'s calls send).
pub fn request(
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
    headers: &[(&str, &str)],
) -> actix_http::Request {
    let mut req = test::TestRequest::default()
        .method(method.parse().expect("a method"))
        .uri(uri);
    if let Some(token) = token {
        req = req.insert_header(("authorization", format!("Bearer {token}")));
    }
    if let Some(body) = body {
        req = req
            .insert_header(("content-type", "application/json"))
            .set_payload(body.to_string());
    }
    for (name, value) in headers {
        req = req.insert_header((*name, *value));
    }
    req.to_request()
}

/// A valid SIRET (Luhn key) of a SIREN: the first establishment number that passes the check.
pub fn siret_for(siren: &str) -> String {
    (1..100_000)
        .map(|nic| format!("{siren}{nic:05}"))
        .find(|siret| cnfs_api::domain::codes::Siret::is_valid(siret))
        .expect("some NIC passes the Luhn check")
}

/// Counts the rows of `sql` (a `SELECT COUNT(*) AS n …` query).
pub fn count(db: &TestDb, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = db.conn();
    let counted: diesel::QueryResult<Count> =
        cnfs_api::db_run!(&mut conn, |c| diesel::sql_query(sql).get_result::<Count>(c));
    counted.expect("count query").n
}

/// Sends, at the same time and five rounds in a row, two `PATCH`es of `uri` with the same
/// `If-Match` (the version of the round) and bodies `body(round, "A")` / `body(round, "B")`:
/// exactly one gets 200, the other 412.
pub async fn assert_one_patch_wins_per_etag<S, B>(
    app: &S,
    uri: &str,
    token: &str,
    first_version: i64,
    body: impl Fn(i64, &str) -> serde_json::Value,
) where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    for round in 0..5 {
        let version = format!("\"{}\"", first_version + round);
        let a = request(
            "PATCH",
            uri,
            Some(token),
            Some(&body(round, "A")),
            &[("if-match", &version)],
        );
        let b = request(
            "PATCH",
            uri,
            Some(token),
            Some(&body(round, "B")),
            &[("if-match", &version)],
        );
        let (a, b) = futures_util::future::join(call(app, a), call(app, b)).await;
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(
            statuses,
            [200, 412],
            "round {round}: {} / {}",
            a.text,
            b.text
        );
    }
}

/// The test application, as a type a helper can take: `async fn f(app: &impl App)`.
pub trait App:
    Service<actix_http::Request, Response = ServiceResponse<Self::Body>, Error = actix_web::Error>
{
    /// The response body type.
    type Body: MessageBody;
}

impl<S, B> App for S
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Body = B;
}

/// The same one-instalment tariff of `montant_par_poste` cents for every employer category and
/// territory, over 24 months (what an envelope's single amount per post became): the `baremes`
/// of an envelope's body.
pub fn baremes_uniformes(montant_par_poste: i64) -> serde_json::Value {
    use cnfs_api::domain::bareme::Bareme;
    use cnfs_api::domain::structure::CategorieEmployeur::{Prive, Public};
    let baremes: Vec<Bareme> = [
        (Public, false),
        (Public, true),
        (Prive, false),
        (Prive, true),
    ]
    .into_iter()
    .map(|(categorie, prioritaire)| {
        Bareme::versement_unique(categorie, prioritaire, montant_par_poste, 24)
    })
    .collect();
    serde_json::to_value(baremes).expect("tariffs serialize")
}

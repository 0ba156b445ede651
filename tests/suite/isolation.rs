//! Tests never see each other's rows: each gets its own database, on both backends; PostgreSQL
//! databases are dropped after their test, and those of killed runs by the next run.

use crate::common;

use cnfs_api::db::schema::regions;
use cnfs_api::db::{DatabaseUrl, DbConn};
use common::TestDb;
use common::pg;
use diesel::prelude::*;

/// Writes region 99 named `nom` and reads back every region 99 there is.
fn write_then_read(conn: &mut DbConn, nom: &str) -> Vec<String> {
    diesel::insert_into(regions::table)
        .values((
            regions::code.eq("99"),
            regions::nom.eq(nom),
            regions::zone.eq("com"),
        ))
        .execute(conn)
        .expect("region 99 written");
    regions::table
        .filter(regions::code.eq("99"))
        .select(regions::nom)
        .load(conn)
        .expect("regions read")
}

async fn two_databases_never_share_rows(first: TestDb, second: TestDb) {
    assert_ne!(first.url, second.url);
    let (mut a, mut b) = (first.conn(), second.conn());
    assert_eq!(write_then_read(&mut a, "première"), ["première"]);
    assert_eq!(write_then_read(&mut b, "seconde"), ["seconde"]);
    // Committed in each, seen in neither of the others.
    let in_first: Vec<String> = regions::table
        .filter(regions::code.eq("99"))
        .select(regions::nom)
        .load(&mut a)
        .unwrap();
    assert_eq!(in_first, ["première"]);
}

// Two tests writing the same key: in a shared database the second would hit the primary key,
// whichever order (or at the same time) they run.
async fn one_test_writes_region_99(db: TestDb) {
    assert_eq!(
        write_then_read(&mut db.conn(), "de ce test-ci"),
        ["de ce test-ci"]
    );
}

async fn another_test_writes_region_99(db: TestDb) {
    assert_eq!(
        write_then_read(&mut db.conn(), "de l'autre"),
        ["de l'autre"]
    );
}

on_both_backends!(one_test_writes_region_99, another_test_writes_region_99);

mod sqlite_pair {
    #[actix_web::test]
    async fn two_databases_never_share_rows() {
        super::two_databases_never_share_rows(super::TestDb::sqlite(), super::TestDb::sqlite())
            .await
    }
}

mod postgres_pair {
    use super::*;

    #[actix_web::test]
    async fn two_databases_never_share_rows() {
        if let (Some(first), Some(second)) = (TestDb::postgres(), TestDb::postgres()) {
            super::two_databases_never_share_rows(first, second).await
        }
    }

    /// Dropped with the guard, even while a pool still holds connections to it.
    #[actix_web::test]
    async fn the_database_goes_with_its_test() {
        let Some(db) = TestDb::postgres() else {
            return;
        };
        let name = db
            .postgres_database()
            .expect("a PostgreSQL database")
            .to_owned();
        let state = db.state();
        let app = common::app(state).await;
        assert_eq!(common::get(&app, "/api/v1/regions").await.status, 200);
        let mut held = db.conn();
        assert!(pg::database_exists(&name));
        drop(db);
        assert!(!pg::database_exists(&name), "{name} still there");
        assert!(diesel::sql_query("SELECT 1").execute(&mut held).is_err());
    }

    /// A run's sweep drops what dead runs left, never what a live run uses.
    #[actix_web::test]
    async fn the_sweep_drops_only_databases_of_dead_runs() {
        let Some(db) = TestDb::postgres() else {
            return;
        };
        let stale = pg::create_database_of_a_dead_run();
        let dropped = pg::sweep_stale_databases();
        assert!(dropped.contains(&stale), "{stale} not in {dropped:?}");
        assert!(!pg::database_exists(&stale));
        assert!(dropped.iter().all(|d| pg::run_of(d) != Some(pg::run_id())));
        let ours = pg::databases_of_this_run();
        // The shared template belongs to no run: the sweep leaves it.
        assert!(pg::database_exists(pg::template_name()));
        assert!(
            ours.iter()
                .any(|d| Some(d.as_str()) == db.postgres_database())
        );
    }

    #[actix_web::test]
    async fn the_empty_database_has_no_table() {
        let Some(db) = TestDb::postgres_empty() else {
            return;
        };
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let DbConn::Pg(mut conn) = db.conn() else {
            panic!("a PostgreSQL connection");
        };
        let tables = diesel::sql_query(
            "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        .get_result::<Count>(&mut conn)
        .unwrap();
        assert_eq!(tables.n, 0);
        assert!(matches!(db.url, DatabaseUrl::Postgres(_)));
    }
}

#[test]
fn a_database_url_keeps_server_credentials_and_options() {
    for (url, expected) in [
        (
            "postgres://cnfs:s3cr%2Ft@db.example:6432/cnfs_ci?sslmode=require&connect_timeout=5",
            "postgres://cnfs:s3cr%2Ft@db.example:6432/x?sslmode=require&connect_timeout=5",
        ),
        (
            "postgres://postgres@127.0.0.1/cnfs_test",
            "postgres://postgres@127.0.0.1/x",
        ),
        (
            "postgresql://127.0.0.1:5432",
            "postgresql://127.0.0.1:5432/x",
        ),
        (
            "postgres://h?application_name=a",
            "postgres://h/x?application_name=a",
        ),
        ("postgres://[::1]:5432/db", "postgres://[::1]:5432/x"),
        (
            "postgresql:///cnfs?host=/var/run/postgresql",
            "postgresql:///x?host=/var/run/postgresql",
        ),
        // A dbname parameter would override the path: it goes.
        (
            "postgres://h/ignored?dbname=other&sslmode=disable",
            "postgres://h/x?sslmode=disable",
        ),
        ("postgres://h/db?dbname=other", "postgres://h/x"),
    ] {
        assert_eq!(pg::with_database(url, "x"), expected, "{url}");
    }
}

#[test]
fn a_database_name_tells_its_run() {
    assert_eq!(
        pg::run_of("cnfs_test_4242_0a1b2c3d_template"),
        Some("cnfs_test_4242_0a1b2c3d")
    );
    assert_eq!(
        pg::run_of("cnfs_test_4242_0a1b2c3d_17"),
        Some("cnfs_test_4242_0a1b2c3d")
    );
    assert_eq!(pg::run_of("cnfs_test_4242_0a1b2c3d"), None);
    assert_eq!(pg::run_of("cnfs_ci_1764160000_12"), None);
    assert_eq!(pg::run_of("postgres"), None);
}

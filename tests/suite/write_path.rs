//! The write path on both backends: transactions, backend-specific helpers, database errors as
//! problems, keysets in both directions, scope filters in SQL, and idempotency claims.
//!
//! No domain resource exists yet: the tests write into the référentiel and idempotence tables of a
//! per-test database.

use crate::common;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use actix_web::ResponseError;
use chrono::Utc;
use cnfs_api::db::repo::Backend;
use cnfs_api::db::repo::idempotency::{self, Claim, KeyClaim, StoredResponse};
use cnfs_api::db::schema::{communes, idempotence as idempotence_table, regions};
use cnfs_api::db::{self, DbConn, WriteTx};
use cnfs_api::domain::paging::Position;
use cnfs_api::domain::refusal::{Refusal, RefusalCode, RefusalKind};
use cnfs_api::domain::scope::ScopeFilter;
use cnfs_api::error::ApiError;
use cnfs_api::{db_run, insert_if_absent, insert_rows, keyset, lock_rows, scope_filter, upsert};
use common::TestDb;
use diesel::prelude::*;

/// A région row for the tests (the référentiel's own table, with its CHECKs and keys).
#[derive(Debug, Clone, PartialEq, Insertable, Queryable, Selectable)]
#[diesel(table_name = regions)]
struct TestRegion {
    code: String,
    nom: String,
    chef_lieu: Option<String>,
    zone: String,
}

fn region(code: &str, nom: &str) -> TestRegion {
    TestRegion {
        code: code.to_owned(),
        nom: nom.to_owned(),
        chef_lieu: None,
        zone: "metro".to_owned(),
    }
}

fn count_regions(conn: &mut DbConn, prefix: &str) -> i64 {
    regions::table
        .filter(regions::code.like(format!("{prefix}%")))
        .count()
        .get_result(conn)
        .unwrap()
}

async fn writes_commit_or_roll_back_and_never_nest(db: TestDb) {
    let mut conn = db.conn();
    db::write(&mut conn, |tx| -> QueryResult<()> {
        diesel::insert_into(regions::table)
            .values(region("90", "Région A"))
            .execute(tx.conn())?;
        Ok(())
    })
    .unwrap();
    let refused: Result<(), ApiError> = db::write(&mut conn, |tx| {
        diesel::insert_into(regions::table)
            .values(region("91", "Région B"))
            .execute(tx.conn())?;
        Err(ApiError::NotFound("refus du domaine".into()))
    });
    assert!(refused.is_err());
    assert_eq!(count_regions(&mut conn, "90"), 1);
    assert_eq!(count_regions(&mut conn, "91"), 0, "rolled back");

    // A transaction inside a transaction is refused on both backends, and the outer one goes on.
    let nested = db::write(&mut conn, |tx| -> QueryResult<bool> {
        let inner = db::write(tx.conn(), |_| -> QueryResult<()> { Ok(()) });
        assert!(matches!(
            inner,
            Err(diesel::result::Error::AlreadyInTransaction)
        ));
        diesel::insert_into(regions::table)
            .values(region("92", "Région C"))
            .execute(tx.conn())?;
        Ok(true)
    });
    assert_eq!(nested, Ok(true));
    assert_eq!(count_regions(&mut conn, "92"), 1);
}

async fn backend_helpers_upsert_insert_if_absent_lock_and_batch(db: TestDb) {
    let mut conn = db.conn();
    // A multi-row insert runs on the inner connection (the multi-backend one does not compile it).
    let batch: Vec<TestRegion> = (0..3).map(|i| region(&format!("6{i}"), "Lot")).collect();
    let inserted = db::write(&mut conn, |tx| insert_rows!(tx, regions::table, &batch)).unwrap();
    assert_eq!(inserted, 3);

    let outcome = db::write(&mut conn, |tx| -> QueryResult<(usize, usize, usize)> {
        let again = insert_if_absent!(tx, regions::table, &region("60", "Autre nom"))?;
        let fresh = insert_if_absent!(tx, regions::table, &region("63", "Nouvelle"))?;
        let replaced = upsert!(
            tx,
            regions::table,
            &region("61", "Ignoré"),
            regions::code,
            regions::nom.eq("Renommée")
        )?;
        Ok((again, fresh, replaced))
    })
    .unwrap();
    assert_eq!(outcome, (0, 1, 1));
    let names: Vec<(String, String)> = regions::table
        .filter(regions::code.like("6%"))
        .select((regions::code, regions::nom))
        .order(regions::code)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        names,
        [
            ("60".to_owned(), "Lot".to_owned()),
            ("61".to_owned(), "Renommée".to_owned()),
            ("62".to_owned(), "Lot".to_owned()),
            ("63".to_owned(), "Nouvelle".to_owned()),
        ]
    );

    // A locked row: a second writer waits for the first transaction to end.
    let url = db.url.clone();
    let held = Arc::new(Barrier::new(2));
    let holder = {
        let held = held.clone();
        let url = url.clone();
        std::thread::spawn(move || {
            let mut conn = url.connect().unwrap();
            db::write(&mut conn, |tx: &mut WriteTx<'_>| -> QueryResult<()> {
                let rows = lock_rows!(tx, regions::table.filter(regions::code.eq("60")).select(regions::nom) => String)?;
                assert_eq!(rows, ["Lot"]);
                held.wait();
                std::thread::sleep(Duration::from_millis(300));
                diesel::update(regions::table.find("60"))
                    .set(regions::nom.eq("Verrouillée"))
                    .execute(tx.conn())?;
                Ok(())
            })
            .unwrap();
        })
    };
    held.wait();
    let started = std::time::Instant::now();
    let seen = db::write(&mut conn, |tx| -> QueryResult<Vec<String>> {
        lock_rows!(tx, regions::table.filter(regions::code.eq("60")).select(regions::nom) => String)
    })
    .unwrap();
    holder.join().unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "did not wait"
    );
    assert_eq!(seen, ["Verrouillée"], "read after the holder's commit");

    // Backend-specific SQL where it differs.
    let version: String = db_run!(
        &mut conn,
        postgres
            | c
            | diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("'postgres'"))
                .get_result(c),
        sqlite
            | c
            | diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("'sqlite'")).get_result(c)
    )
    .unwrap();
    assert_eq!(
        version,
        if db.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    );
}

fn api_error(error: diesel::result::Error) -> ApiError {
    ApiError::from(error)
}

const CODE_REGION_PRISE: RefusalCode = RefusalCode {
    kind: RefusalKind::Conflict,
    code: "code_region_pris",
    title: "Code de région déjà pris",
    example: "Une région a déjà ce code.",
};

async fn database_errors_become_problems(db: TestDb) {
    let mut conn = db.conn();
    let write = |conn: &mut DbConn, row: TestRegion| {
        db::write(conn, |tx| {
            diesel::insert_into(regions::table)
                .values(row)
                .execute(tx.conn())
        })
        .map_err(api_error)
    };
    // Unique key → 409 deja_existant, naming the column; a handler may refine it.
    let duplicate = write(&mut conn, region("11", "Doublon")).unwrap_err();
    assert_eq!(duplicate.status_code(), 409);
    assert_eq!(duplicate.code(), "deja_existant");
    assert_eq!(
        duplicate.problem().members["champs"],
        serde_json::json!(["code"])
    );
    let refined = duplicate.refine(|violation| {
        (violation.columns == ["code"]).then(|| Refusal::new(&CODE_REGION_PRISE, "Code déjà pris."))
    });
    assert_eq!(
        (refined.status_code().as_u16(), refined.code()),
        (409, "code_region_pris")
    );

    // CHECK → 422 contrainte_non_respectee.
    let mut bad_zone = region("55", "Mars");
    bad_zone.zone = "mars".into();
    let check = write(&mut conn, bad_zone).unwrap_err();
    assert_eq!(
        (check.status_code().as_u16(), check.code()),
        (422, "contrainte_non_respectee")
    );

    // Foreign key → 422 reference_invalide.
    let orphan = db::write(&mut conn, |tx| {
        diesel::insert_into(communes::table)
            .values((
                communes::code_insee.eq("99999"),
                communes::nom.eq("Nulle part"),
                communes::nom_recherche.eq("nulle part"),
                communes::departement.eq("00"),
                communes::region.eq("00"),
            ))
            .execute(tx.conn())
    })
    .map_err(api_error)
    .unwrap_err();
    assert_eq!(
        (orphan.status_code().as_u16(), orphan.code()),
        (422, "reference_invalide")
    );

    // Nothing was written by the refused statements.
    assert_eq!(count_regions(&mut conn, "55"), 0);

    // Contention: PostgreSQL serialization failure, SQLite busy → 503 with Retry-After.
    let contention = contention_error(&db);
    let response = contention.error_response();
    assert_eq!(response.status(), 503, "{contention:?}");
    assert_eq!(response.headers().get("retry-after").unwrap(), "5");
}

/// Provokes the backend's "try again" error: two serializable transactions that read what the
/// other writes (PostgreSQL), or a writer that holds the SQLite database past a short busy timeout.
fn contention_error(db: &TestDb) -> ApiError {
    use diesel::connection::SimpleConnection;
    let mut first = db.conn();
    let mut second = db.conn();
    if db.is_postgres() {
        first
            .batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT count(*) FROM regions WHERE code = '70';")
            .unwrap();
        second
            .batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT count(*) FROM regions WHERE code = '71';")
            .unwrap();
        first
            .batch_execute("INSERT INTO regions (code, nom, zone) VALUES ('71', 'A', 'metro');")
            .unwrap();
        // Write skew: one of the two fails, at its insert or at its commit.
        let error = match second
            .batch_execute("INSERT INTO regions (code, nom, zone) VALUES ('70', 'B', 'metro');")
        {
            Err(error) => {
                first.batch_execute("COMMIT;").unwrap();
                error
            }
            Ok(()) => {
                let first_commit = first.batch_execute("COMMIT;");
                let second_commit = second.batch_execute("COMMIT;");
                first_commit
                    .err()
                    .or(second_commit.err())
                    .expect("a serialization failure")
            }
        };
        api_error(error)
    } else {
        first.batch_execute("BEGIN IMMEDIATE;").unwrap();
        second.batch_execute("PRAGMA busy_timeout = 50;").unwrap();
        let error = db::write(&mut second, |tx| {
            diesel::insert_into(regions::table)
                .values(region("70", "B"))
                .execute(tx.conn())
        })
        .unwrap_err();
        first.batch_execute("ROLLBACK;").unwrap();
        api_error(error)
    }
}

async fn keysets_page_in_both_directions(db: TestDb) {
    let mut conn = db.conn();
    // Idempotence records as a list "newest first, then by key": (cree_le DESC, cle ASC).
    let base = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    db::write(&mut conn, |tx| -> QueryResult<()> {
        for (i, key) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            let day = base + chrono::Duration::days((i / 2) as i64);
            diesel::insert_into(idempotence_table::table)
                .values((
                    idempotence_table::appelant.eq("test"),
                    idempotence_table::cle.eq(*key),
                    idempotence_table::empreinte.eq("0".repeat(64)),
                    idempotence_table::cree_le.eq(idempotency::stored_time(day)),
                    idempotence_table::expire_le
                        .eq(idempotency::stored_time(day + chrono::Duration::days(3650))),
                ))
                .execute(tx.conn())?;
        }
        Ok(())
    })
    .unwrap();
    let page = |conn: &mut DbConn, after: Option<&Position>| -> Vec<String> {
        let query = idempotence_table::table
            .select(idempotence_table::cle)
            .into_boxed::<Backend>();
        keyset!(query, after, [idempotence_table::cree_le => desc, idempotence_table::cle => asc])
            .load(conn)
            .unwrap()
    };
    assert_eq!(page(&mut conn, None), ["e", "c", "d", "a", "b"]);
    let day1 = idempotency::stored_time(base + chrono::Duration::days(1));
    // After (day 1, "c"): "d" of the same day, then the older ones.
    assert_eq!(
        page(&mut conn, Some(&Position::new([day1.as_str(), "c"]))),
        ["d", "a", "b"]
    );
    // A position with the date only includes that whole day.
    assert_eq!(
        page(&mut conn, Some(&Position::new([day1.as_str()]))),
        ["c", "d", "a", "b"]
    );
    // Any text is a position: before every date ("9" sorts after digits) or after all ("").
    assert_eq!(page(&mut conn, Some(&Position::new(["9"]))).len(), 5);
    assert!(page(&mut conn, Some(&Position::new([""]))).is_empty());
}

async fn scope_filters_apply_in_sql(db: TestDb) {
    let mut conn = db.conn();
    // Communes stand in for a resource with a département and an owning structure (its SIREN).
    let count = |conn: &mut DbConn, filter: &ScopeFilter| -> i64 {
        let query = communes::table.count().into_boxed::<Backend>();
        scope_filter!(
            query,
            filter,
            departement = communes::departement,
            structure = |id| communes::siren.eq(id)
        )
        .get_result(conn)
        .unwrap()
    };
    let all = count(&mut conn, &ScopeFilter::All);
    assert_eq!(all, 34_969);
    let in_departement = |conn: &mut DbConn, code: &str| -> i64 {
        communes::table
            .filter(communes::departement.eq(code))
            .count()
            .get_result(conn)
            .unwrap()
    };
    let expected = in_departement(&mut conn, "93") + in_departement(&mut conn, "2A");
    assert_eq!(in_departement(&mut conn, "93"), 39);
    let two = ScopeFilter::Departements(vec!["93".parse().unwrap(), "2A".parse().unwrap()]);
    assert_eq!(count(&mut conn, &two), expected);
    assert_eq!(count(&mut conn, &ScopeFilter::Nothing), 0);
    // A structure scope applies the resource's own condition (here: communes whose SIREN is the
    // structure's identifier, which none is).
    let structure = ScopeFilter::Structure(cnfs_api::domain::ids::StructureId::new());
    assert_eq!(count(&mut conn, &structure), 0);
}

fn claim_of(key: &str, body: &str) -> KeyClaim {
    KeyClaim {
        caller: "admin:test".into(),
        key: key.into(),
        fingerprint: format!("{:0>64}", body),
    }
}

async fn idempotency_claims_are_exclusive_and_rolled_back_with_their_transaction(db: TestDb) {
    let mut conn = db.conn();
    let claim = claim_of("k1", "a");
    let stored = StoredResponse {
        status: 201,
        body: r#"{"id":"x"}"#.into(),
        location: Some("/api/v1/x".into()),
        etag: Some("\"1\"".into()),
    };
    // A claim whose transaction rolls back frees the key.
    let refused: QueryResult<()> = db::write(&mut conn, |tx| {
        assert_eq!(idempotency::claim(tx, &claim, Utc::now())?, Claim::Won);
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(refused.is_err());
    let won = db::write(&mut conn, |tx| -> QueryResult<Claim> {
        let outcome = idempotency::claim(tx, &claim, Utc::now())?;
        idempotency::complete(tx, &claim, &stored)?;
        Ok(outcome)
    })
    .unwrap();
    assert_eq!(won, Claim::Won, "the rolled-back claim freed the key");
    // The same request again: the stored response; another request: a mismatch; another caller:
    // its own key.
    let again = db::write(&mut conn, |tx| idempotency::claim(tx, &claim, Utc::now())).unwrap();
    assert_eq!(again, Claim::Replay(stored.clone()));
    let other_body = db::write(&mut conn, |tx| {
        idempotency::claim(tx, &claim_of("k1", "b"), Utc::now())
    })
    .unwrap();
    assert_eq!(other_body, Claim::Mismatch);
    let mut other_caller = claim.clone();
    other_caller.caller = "admin:autre".into();
    let theirs = db::write(&mut conn, |tx| {
        idempotency::claim(tx, &other_caller, Utc::now())
    })
    .unwrap();
    assert_eq!(theirs, Claim::Won);
    // Expired records are purged by later claims: 25 h later, the key is free again.
    let later = Utc::now() + chrono::Duration::hours(idempotency::RETENTION_HOURS + 1);
    let after_expiry = db::write(&mut conn, |tx| idempotency::claim(tx, &claim, later)).unwrap();
    assert_eq!(after_expiry, Claim::Won);
    // An expired record is replaced by the next claim of its key even when no purge is due (a
    // process purges at most every PURGE_EVERY_SECONDS; the claim just above purged at `later`).
    let expiring = claim_of("k-expire", "a");
    let before = later
        - chrono::Duration::hours(idempotency::RETENTION_HOURS)
        - chrono::Duration::seconds(30);
    let first = db::write(&mut conn, |tx| idempotency::claim(tx, &expiring, before)).unwrap();
    assert_eq!(first, Claim::Won);
    let changed = claim_of("k-expire", "b");
    let soon = later + chrono::Duration::seconds(10);
    // Unexpired, the record would answer Mismatch (another body); expired, the key is free.
    let again = db::write(&mut conn, |tx| idempotency::claim(tx, &changed, soon)).unwrap();
    assert_eq!(again, Claim::Won);
    let expiry: String = idempotence_table::table
        .find(("admin:test", "k-expire"))
        .select(idempotence_table::expire_le)
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        expiry,
        idempotency::stored_time(soon + chrono::Duration::hours(idempotency::RETENTION_HOURS))
    );

    // 20 threads claim one key together: exactly one wins; the others see it in flight
    // (PostgreSQL) or, once it committed, its stored response.
    let url = db.url.clone();
    let start = Arc::new(Barrier::new(20));
    let racing = claim_of("k-race", "c");
    let outcomes: Vec<Claim> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let (url, start, racing, stored) =
                    (url.clone(), start.clone(), racing.clone(), stored.clone());
                scope.spawn(move || {
                    let mut conn = url.connect().unwrap();
                    start.wait();
                    db::write(&mut conn, |tx| -> QueryResult<Claim> {
                        let outcome = idempotency::claim(tx, &racing, Utc::now())?;
                        if outcome == Claim::Won {
                            std::thread::sleep(Duration::from_millis(100));
                            idempotency::complete(tx, &racing, &stored)?;
                        }
                        Ok(outcome)
                    })
                    .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wins = outcomes.iter().filter(|o| **o == Claim::Won).count();
    assert_eq!(wins, 1, "{outcomes:?}");
    for outcome in &outcomes {
        assert!(
            matches!(outcome, Claim::Won | Claim::InFlight)
                || *outcome == Claim::Replay(stored.clone()),
            "{outcome:?}"
        );
    }
    if !db.is_postgres() {
        // SQLite lets one writer in at a time: the others waited, then found the response.
        assert!(!outcomes.contains(&Claim::InFlight));
    }
}

/// SQLite takes one writer at a time: `AppState::write` queues writers in arrival order before
/// they take a connection, and answers 503 to one that waited longer than the pool timeout.
#[actix_web::test]
async fn sqlite_writers_take_their_turn_in_arrival_order_or_time_out() {
    let db = TestDb::sqlite();
    let pool = db::build_pool(&db.url, 8, Duration::from_millis(600));
    let state = common::state_with(pool, false);
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let write = |name: &'static str, hold: Duration| {
        let (state, order) = (state.clone(), order.clone());
        actix_web::rt::spawn(async move {
            state
                .write(move |_tx| {
                    order.lock().unwrap().push(name);
                    std::thread::sleep(hold);
                    Ok(())
                })
                .await
        })
    };
    // The first holds the turn 400 ms; three more arrive meanwhile, 20 ms apart, and each waits
    // less than the 600 ms timeout.
    let first = write("first", Duration::from_millis(400));
    let mut queued = Vec::new();
    for name in ["second", "third", "fourth"] {
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        queued.push(write(name, Duration::from_millis(50)));
    }
    first.await.unwrap().unwrap();
    for handle in queued {
        handle.await.unwrap().unwrap();
    }
    assert_eq!(
        *order.lock().unwrap(),
        ["first", "second", "third", "fourth"]
    );
    // One that holds the turn past the timeout: the next waits 600 ms, then 503, unwritten.
    let long = write("long", Duration::from_millis(1_000));
    actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    let late = write("late", Duration::ZERO).await.unwrap();
    match late {
        Err(error @ ApiError::Unavailable(_)) => assert_eq!(error.status_code(), 503),
        other => panic!("expected 503, got {other:?}"),
    }
    long.await.unwrap().unwrap();
    assert!(!order.lock().unwrap().contains(&"late"));
}

on_both_backends!(
    writes_commit_or_roll_back_and_never_nest,
    backend_helpers_upsert_insert_if_absent_lock_and_batch,
    database_errors_become_problems,
    keysets_page_in_both_directions,
    scope_filters_apply_in_sql,
    idempotency_claims_are_exclusive_and_rolled_back_with_their_transaction,
);

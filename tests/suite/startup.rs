//! The start-up sequence (migrations + référentiel load) and write transactions, on both backends.

use crate::common;

use cnfs_api::db::referentiel::LoadOutcome;
use cnfs_api::db::schema::{
    communes, communes_codes_postaux, epci_membres, referentiel_chargements, regions,
};
use cnfs_api::db::{self, DbConn};
use common::TestDb;
use diesel::prelude::*;

fn counts(conn: &mut DbConn) -> (i64, i64, i64) {
    (
        communes::table.count().get_result(conn).unwrap(),
        communes_codes_postaux::table
            .count()
            .get_result(conn)
            .unwrap(),
        epci_membres::table.count().get_result(conn).unwrap(),
    )
}

async fn startup_loads_once_then_is_a_no_op(db: TestDb) {
    let first = db::prepare_database(&db.url).expect("first start");
    assert!(first.migrations_applied >= 1);
    assert!(matches!(
        first.referentiel,
        LoadOutcome::Loaded {
            communes: 34_969,
            epci: 1_266,
            ..
        }
    ));
    let mut conn = db.conn();
    let loaded = counts(&mut conn);
    assert_eq!(loaded.0, 34_969);

    let second = db::prepare_database(&db.url).expect("restart");
    assert_eq!(second.migrations_applied, 0);
    assert!(matches!(second.referentiel, LoadOutcome::AlreadyLoaded));
    assert_eq!(counts(&mut conn), loaded);

    // A different checksum (a newer extract shipped) reloads everything, without duplicates.
    diesel::update(referentiel_chargements::table)
        .set(referentiel_chargements::empreinte.eq("extrait-precedent"))
        .execute(&mut conn)
        .unwrap();
    let third = db::prepare_database(&db.url).expect("start with new data");
    assert!(matches!(third.referentiel, LoadOutcome::Loaded { .. }));
    assert_eq!(counts(&mut conn), loaded);
}

async fn write_transaction_rolls_back_on_error(db: TestDb) {
    let mut conn = db.conn();
    let result: Result<(), diesel::result::Error> = db::write(&mut conn, |tx| {
        let conn = tx.conn();
        diesel::insert_into(regions::table)
            .values((
                regions::code.eq("99"),
                regions::nom.eq("Région de test"),
                regions::zone.eq("metro"),
            ))
            .execute(conn)?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(result.is_err());
    let found: i64 = regions::table
        .filter(regions::code.eq("99"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(found, 0);

    // The database refuses what breaks its constraints, whatever the caller checked.
    let bad_zone = diesel::insert_into(regions::table)
        .values((
            regions::code.eq("98"),
            regions::nom.eq("X"),
            regions::zone.eq("mars"),
        ))
        .execute(&mut conn);
    assert!(bad_zone.is_err());
    let orphan = diesel::insert_into(communes_codes_postaux::table)
        .values((
            communes_codes_postaux::code_postal.eq("00000"),
            communes_codes_postaux::code_insee.eq("00000"),
        ))
        .execute(&mut conn);
    assert!(orphan.is_err(), "foreign keys are enforced");
}

mod sqlite {
    use super::*;

    #[actix_web::test]
    async fn startup_loads_once_then_is_a_no_op() {
        super::startup_loads_once_then_is_a_no_op(TestDb::sqlite_empty()).await
    }

    #[actix_web::test]
    async fn write_transaction_rolls_back_on_error() {
        super::write_transaction_rolls_back_on_error(TestDb::sqlite()).await
    }
}

mod postgres {
    use super::*;

    #[actix_web::test]
    async fn startup_loads_once_then_is_a_no_op() {
        if let Some(db) = TestDb::postgres_empty() {
            super::startup_loads_once_then_is_a_no_op(db).await
        }
    }

    #[actix_web::test]
    async fn write_transaction_rolls_back_on_error() {
        if let Some(db) = TestDb::postgres() {
            super::write_transaction_rolls_back_on_error(db).await
        }
    }

    /// Instances starting together on one PostgreSQL: the advisory lock makes one of them load,
    /// the others wait and find the data there.
    #[actix_web::test]
    async fn instances_starting_together_load_once() {
        let Some(db) = TestDb::postgres_empty() else {
            return;
        };
        let outcomes: Vec<LoadOutcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..3)
                .map(|_| {
                    scope.spawn(|| {
                        db::prepare_database(&db.url)
                            .map(|r| r.referentiel)
                            .map_err(|e| e.to_string())
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().expect("every instance starts"))
                .collect()
        });
        let loads = outcomes
            .iter()
            .filter(|o| matches!(o, LoadOutcome::Loaded { .. }))
            .count();
        assert_eq!(loads, 1, "{outcomes:?}");
        assert_eq!(counts(&mut db.conn()).0, 34_969);
    }
}

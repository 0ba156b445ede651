//! Statistics recomputed in SQL from the rows, to compare with what the API answers (the
//! statistics tests and the national seed's test).

use cnfs_api::db::DbConn;
use cnfs_api::db_run;
use serde_json::{Value, json};

use super::TestDb;
use super::scenario::THEMES;

#[derive(diesel::QueryableByName)]
pub struct Figure {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub k: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
}

/// `(key, number)` rows of `sql` (a query selecting `k` and `n`).
pub fn figures(db: &TestDb, sql: &str) -> Vec<(String, i64)> {
    figures_on(&mut db.conn(), sql)
}

/// [`figures`] on an open connection (many queries in a row need not reconnect each time).
pub fn figures_on(conn: &mut DbConn, sql: &str) -> Vec<(String, i64)> {
    use diesel::RunQueryDsl;
    let loaded: diesel::QueryResult<Vec<Figure>> =
        db_run!(conn, |c| diesel::sql_query(sql).load::<Figure>(c));
    loaded
        .unwrap_or_else(|error| panic!("figures: {error}: {sql}"))
        .into_iter()
        .map(|f| (f.k, f.n))
        .collect()
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The number `sql` selects (`SELECT COUNT(*) AS n …`), on an open connection.
pub fn count_on(conn: &mut DbConn, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    let counted: diesel::QueryResult<Count> =
        db_run!(conn, |c| diesel::sql_query(sql).get_result::<Count>(c));
    counted
        .unwrap_or_else(|error| panic!("count: {error}: {sql}"))
        .n
}

/// The statistics of `stats` (national, or a département's with `where_departement` =
/// `"AND departement = '93'"`) equal what SQL computes from the rows, within `[du, au]` for
/// activities.
pub fn assert_agrees_with_rows(
    db: &TestDb,
    stats: &Value,
    where_departement: &str,
    du: &str,
    au: &str,
) {
    let conn = std::cell::RefCell::new(db.conn());
    let live =
        format!("supprime_le IS NULL AND date >= '{du}' AND date <= '{au}' {where_departement}");
    let n = |sql: String| count_on(&mut conn.borrow_mut(), &sql);
    let activites = &stats["activites"];
    assert_eq!(
        activites["nombre"],
        n(format!("SELECT COUNT(*) AS n FROM activites WHERE {live}"))
    );
    assert_eq!(
        activites["participants"],
        n(format!(
            "SELECT CAST(COALESCE(SUM(nb_participants), 0) AS BIGINT) AS n FROM activites WHERE {live}"
        ))
    );
    let minutes = n(format!(
        "SELECT CAST(COALESCE(SUM(duree_minutes), 0) AS BIGINT) AS n FROM activites WHERE {live}"
    ));
    assert_eq!(
        activites["heures"].as_f64().unwrap(),
        (minutes as f64 / 6.0).round() / 10.0
    );
    for &theme in THEMES {
        assert_eq!(
            activites["par_thematique"][theme],
            n(format!(
                "SELECT COUNT(*) AS n FROM activites WHERE {live} AND thematiques LIKE '%\"{theme}\"%'"
            )),
            "{theme}"
        );
    }
    let months: Vec<Value> = figures_on(
        &mut conn.borrow_mut(),
        &format!(
            "SELECT substr(date, 1, 7) AS k, CAST(COUNT(*) AS BIGINT) AS n FROM activites \
             WHERE {live} GROUP BY substr(date, 1, 7) ORDER BY k"
        ),
    )
    .into_iter()
    .map(|(k, n)| json!([k, n]))
    .collect();
    let reported: Vec<Value> = activites["par_mois"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| json!([m["mois"], m["nombre"]]))
        .collect();
    assert_eq!(reported, months);
    let advisors = figures_on(
        &mut conn.borrow_mut(),
        &format!(
            // The status derived from the contracts; every end these fixtures record is past.
            "SELECT k, CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT CASE WHEN convention_id IS NULL \
             THEN 'sans_contrat' WHEN fin_contrats IS NOT NULL THEN 'sorti' ELSE 'en_poste' END \
             AS k FROM conseillers WHERE 1 = 1 {where_departement}) x GROUP BY k"
        ),
    );
    for statut in ["en_poste", "sorti"] {
        let expected = advisors
            .iter()
            .find(|(k, _)| k == statut)
            .map_or(0, |(_, n)| *n);
        assert_eq!(stats["conseillers"][statut], expected, "{statut}");
    }
    let conventions = figures_on(
        &mut conn.borrow_mut(),
        &format!(
            "SELECT statut AS k, CAST(COUNT(*) AS BIGINT) AS n FROM conventions WHERE 1 = 1 {where_departement} GROUP BY statut"
        ),
    );
    for statut in cnfs_api::domain::convention::StatutConvention::TEXTS {
        let expected = conventions
            .iter()
            .find(|(k, _)| k == statut)
            .map_or(0, |(_, n)| *n);
        assert_eq!(stats["conventions"][statut], expected, "{statut}");
    }
    // Money per nature: the envelopes' sums nationally, the départements' rows otherwise.
    let national = where_departement.is_empty();
    let money = |column: &str| -> Vec<(String, i64)> {
        let sql = if national {
            format!(
                "SELECT nature AS k, CAST(SUM({column}) AS BIGINT) AS n FROM enveloppes GROUP BY nature"
            )
        } else {
            format!(
                "SELECT e.nature AS k, CAST(SUM(d.{column}) AS BIGINT) AS n FROM enveloppes_departements d \
                 JOIN enveloppes e ON e.id = d.enveloppe_id WHERE 1 = 1 {where_departement} GROUP BY e.nature"
            )
        };
        figures_on(&mut conn.borrow_mut(), &sql)
    };
    let reported: Vec<&Value> = stats["financement"].as_array().unwrap().iter().collect();
    let mut columns = vec!["engage_centimes", "verse_centimes"];
    if national {
        columns.push("montant_centimes");
    }
    for column in columns {
        for (nature, sum) in money(column) {
            let line = reported
                .iter()
                .find(|line| line["nature"] == nature.as_str());
            match line {
                Some(line) => assert_eq!(line[column], sum, "{nature} {column}"),
                None => assert_eq!(sum, 0, "{nature} {column} is not reported"),
            }
        }
    }
    assert_eq!(
        stats["postes"]["attribues"],
        n(format!(
            "SELECT CAST(COALESCE(SUM(postes_attribues), 0) AS BIGINT) AS n FROM conventions \
             WHERE statut NOT IN ('resiliee', 'terminee') {where_departement}"
        ))
    );
    assert_eq!(
        stats["postes"]["pourvus"],
        n(format!(
            "SELECT COUNT(*) AS n FROM conseillers WHERE convention_id IS NOT NULL AND fin_contrats IS NULL {where_departement}"
        ))
    );
}

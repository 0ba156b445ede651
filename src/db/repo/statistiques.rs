//! What the statistics read: per département, grouped figures that stay small whatever the
//! number of rows behind them (conventions by status and deadline, advisors by status, money
//! per envelope and département, activities per month from the per-month aggregates, and the
//! per-day ones for the partial months of a period).
//!
//! The same SQL runs on both backends (`CAST(SUM(…) AS BIGINT)` gives one integer type to both;
//! `substr` takes the month of a `YYYY-MM-DD` text date on both).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::activite::per_sum;
use super::{date_text, stored};
use crate::db::DbConn;
use crate::db_run;
use crate::domain::activite::Apport;
use crate::domain::conseiller::{StatutConseiller, TypeContrat};
use crate::domain::convention::StatutConvention;
use crate::domain::financement::NatureEnveloppe;
use crate::domain::formation::derniere_fin_en_retard;
use crate::domain::poste::{EtatPoste, TypologiePoste, VACANCE_MAX_JOURS};
use crate::domain::statistiques::{
    CertificationsDepartement, Decoupage, DonneesDepartement, EnveloppeStat, FIN_PROCHE_JOURS,
    GroupeConseillers, GroupeConventions, PostesDepartement, PostesParEtat, PostesParTypologie,
    SoldeStat, decoupe,
};

/// Everything the statistics of any territory are composed from.
#[derive(Debug, Clone, Default)]
pub struct Donnees {
    /// Every département of the référentiel, by code.
    pub departements: Vec<DonneesDepartement>,
    /// Every région: code and name, by code.
    pub regions: Vec<(String, String)>,
    /// Every envelope.
    pub enveloppes: Vec<EnveloppeStat>,
    /// Every envelope's money per département.
    pub soldes: Vec<SoldeStat>,
    /// Read for one territory ([`Lecture::National`], [`Lecture::Region`],
    /// [`Lecture::Departement`]): its activities per month, summed by the database (the
    /// départements' own `activites_par_mois` then stay empty). `None` for
    /// [`Lecture::ParDepartement`].
    pub activites_ensemble: Option<BTreeMap<String, Apport>>,
}

/// How the activities are read. One territory's months are summed by the database (about 50
/// rows for four years, whatever the number of départements behind it); the lists, every
/// territory at once, read them per département and month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lecture {
    /// Per département and month, into each [`DonneesDepartement::activites_par_mois`].
    ParDepartement,
    /// The whole country's months, into [`Donnees::activites_ensemble`].
    National,
    /// One région's months (by its code), into [`Donnees::activites_ensemble`].
    Region(String),
    /// One département's months (by its code), into [`Donnees::activites_ensemble`].
    Departement(String),
}

/// Conventions grouped by département and status: their number, their posts, and how many of
/// them are late on the day asked. Typed and read by position. Grouping on the status alone
/// (hundreds of groups nationally rather than one per deadline and number of posts, about as
/// many as there are conventions) reads the covering index `conventions_statistiques` in order,
/// with no sort.
type GroupeConventionsRow = (String, String, i64, i64, i64);

/// Advisors grouped by département and local recruitment: how many, without a contract, gone.
type GroupeConseillersRow = (String, bool, i64, i64, i64);

/// Posts by département (covering index `postes_statistiques`): advisor posts vacant, occupied,
/// returned; coordinator posts the same; those vacant since more than [`VACANCE_MAX_JOURS`] days.
/// One row per département, pivoted by the database: the statistics read them on every
/// uncached request, and a row per typology and state read twice the rows, each with two texts
/// to allocate.
type GroupePostesRow = (String, i64, i64, i64, i64, i64, i64, i64);

/// The groups a département's statistics are composed from.
type Groupes = (
    Vec<GroupeConventionsRow>,
    Vec<GroupeConseillersRow>,
    Vec<GroupePostesRow>,
);

diesel::define_sql_function! {
    /// `SUM` of an `INTEGER`: a `BIGINT` on both backends (PostgreSQL sums a `BIGINT` in
    /// `NUMERIC`).
    #[aggregate]
    #[sql_name = "SUM"]
    fn sum_integer(x: diesel::sql_types::Integer) -> diesel::sql_types::BigInt;
}

/// `CAST(SUM(x) AS BIGINT)` of a `BIGINT` column: one integer type on both backends
/// (PostgreSQL sums a `BIGINT` in `NUMERIC`). Written as an expression of the query builder
/// rather than as literal SQL, which diesel never keeps prepared. Only used over groups that
/// have rows, where the sum is never null.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
struct Somme<E>(E);

impl<E, GroupBy> diesel::expression::ValidGrouping<GroupBy> for Somme<E> {
    type IsAggregate = diesel::expression::is_aggregate::Yes;
}

impl<E> diesel::Expression for Somme<E>
where
    E: diesel::Expression<SqlType = BigInt>,
{
    type SqlType = BigInt;
}

impl<E, DB> diesel::query_builder::QueryFragment<DB> for Somme<E>
where
    DB: diesel::backend::Backend,
    E: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql("CAST(SUM(");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(") AS BIGINT)");
        Ok(())
    }
}

impl<E, QS> diesel::SelectableExpression<QS> for Somme<E> where Somme<E>: diesel::AppearsOnTable<QS> {}

impl<E, QS> diesel::AppearsOnTable<QS> for Somme<E>
where
    Somme<E>: diesel::Expression,
    E: diesel::AppearsOnTable<QS>,
{
}

/// The départements whose rows a read keeps. Each is one SQL condition whatever the territory
/// (a bound code, or a sub-select of the région's départements), so that both backends keep
/// every statistics read prepared: `eq_any` over a list of codes is prepared again on each
/// call on SQLite, its SQL depending on the list's length.
#[derive(Debug, Clone, Copy)]
enum Perimetre<'a> {
    /// Every département.
    Tous,
    /// One département, by its code.
    Departement(&'a str),
    /// The départements of one région, by its code.
    Region(&'a str),
}

/// Loads `$query` keeping the rows whose `$column` (a département code) is in `$perimetre`.
/// A macro: each condition gives the query its own type.
macro_rules! charger_dans {
    ($conn:expr, $query:expr, $column:expr, $perimetre:expr) => {
        match $perimetre {
            Perimetre::Tous => $query.load($conn),
            Perimetre::Departement(code) => $query.filter($column.eq(code)).load($conn),
            Perimetre::Region(code) => {
                use crate::db::schema::departements as d;
                $query
                    .filter($column.eq_any(d::table.filter(d::region.eq(code)).select(d::code)))
                    .load($conn)
            }
        }
    };
}

/// The groups of conventions (late ones counted as of `today`), of advisors and of posts of the
/// départements of `perimetre`, each query reading its covering index
/// (`conventions_statistiques`, `conseillers_statistiques`).
fn groupes(conn: &mut DbConn, perimetre: Perimetre, today: NaiveDate) -> QueryResult<Groupes> {
    use crate::db::schema::{conseillers as a, conventions as c, postes as p};
    use diesel::dsl::{case_when, count_star};
    use diesel::sql_types::Integer;
    db_run!(conn, |x| {
        let late = case_when(super::convention::en_retard(today), 1.into_sql::<Integer>())
            .otherwise(0.into_sql::<Integer>());
        let conventions = c::table.group_by((c::departement, c::statut)).select((
            c::departement,
            c::statut,
            count_star(),
            Somme(c::postes_attribues),
            sum_integer(late),
        ));
        // An advisor's status as of `today` (`StatutConseiller::de`): every group counts its
        // people, those without a contract, and those gone.
        let conseillers = a::table
            .group_by((a::departement, a::recrutement_local))
            .select((
                a::departement,
                a::recrutement_local,
                count_star(),
                sum_integer(
                    case_when(a::convention_id.is_null(), 1.into_sql::<Integer>())
                        .otherwise(0.into_sql::<Integer>()),
                ),
                sum_integer(
                    case_when(
                        super::conseiller::sorti_le(today).assume_not_null(),
                        1.into_sql::<Integer>(),
                    )
                    .otherwise(0.into_sql::<Integer>()),
                ),
            ));
        // A post's state as of `today`, the rule of `Poste::le`: an occupied post whose holder's
        // contract has ended (`libere_le` come) is vacant since `libere_le`.
        let jour = date_text(today);
        let limite = date_text(today - chrono::Days::new(VACANCE_MAX_JOURS as u64));
        let ancien = p::etat
            .eq(EtatPoste::Vacant.as_str())
            .and(p::depuis.lt(&limite))
            .or(p::etat
                .eq(EtatPoste::Occupe.as_str())
                .and(p::libere_le.lt(&limite).assume_not_null()));
        let ancien = case_when(ancien, 1.into_sql::<Integer>()).otherwise(0.into_sql::<Integer>());
        // The count of rows meeting a condition (each condition its own type: a macro, not a
        // closure).
        macro_rules! un {
            ($condition:expr) => {
                sum_integer(
                    case_when($condition, 1.into_sql::<Integer>())
                        .otherwise(0.into_sql::<Integer>()),
                )
            };
        }
        let fini = p::libere_le.le(&jour).assume_not_null();
        let vacants = |typologie: TypologiePoste| {
            un!(p::typologie.eq(typologie.as_str()).and(
                p::etat
                    .eq(EtatPoste::Vacant.as_str())
                    .or(p::etat.eq(EtatPoste::Occupe.as_str()).and(fini)),
            ))
        };
        let occupes = |typologie: TypologiePoste| {
            un!(p::typologie.eq(typologie.as_str()).and(
                p::etat.eq(EtatPoste::Occupe.as_str()).and(
                    p::libere_le
                        .is_null()
                        .or(p::libere_le.gt(&jour).assume_not_null())
                ),
            ))
        };
        let rendus = |typologie: TypologiePoste| {
            un!(p::typologie
                .eq(typologie.as_str())
                .and(p::etat.eq(EtatPoste::Rendu.as_str())))
        };
        let (conseiller, coordinateur) = (TypologiePoste::Conseiller, TypologiePoste::Coordinateur);
        let postes = p::table.group_by(p::departement).select((
            p::departement,
            vacants(conseiller),
            occupes(conseiller),
            rendus(conseiller),
            vacants(coordinateur),
            occupes(coordinateur),
            rendus(coordinateur),
            sum_integer(ancien),
        ));
        Ok((
            charger_dans!(x, conventions, c::departement, perimetre)?,
            charger_dans!(x, conseillers, a::departement, perimetre)?,
            charger_dans!(x, postes, p::departement, perimetre)?,
        ))
    })
}

/// An envelope as the statistics read it: id, nature, amount, engaged, paid, département of
/// its scope, target of posts, amount per post.
type EnveloppeRow = (
    String,
    String,
    i64,
    i64,
    i64,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

/// An envelope's money in one département: envelope, département, ceiling, engaged, paid.
type SoldeRow = (String, String, Option<i64>, i64, i64);

/// The sums of an aggregates table over a group, in the order of [`Apport`]'s fields (themes in
/// the order of [`Thematique::ALL`](crate::domain::activite::Thematique::ALL), as
/// [`COLONNES_THEMATIQUES`](super::activite::COLONNES_THEMATIQUES) lists them).
fn columns_sql() -> String {
    super::activite::colonnes_sommes()
        .map(|column| format!("CAST(SUM({column}) AS BIGINT) AS {column}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(QueryableByName)]
struct MonthRow {
    #[diesel(sql_type = Text)]
    departement: String,
    #[diesel(sql_type = Text)]
    mois: String,
    #[diesel(sql_type = BigInt)]
    nombre: i64,
    #[diesel(sql_type = BigInt)]
    participants: i64,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
    #[diesel(sql_type = BigInt)]
    t_echanger_avec_ses_proches: i64,
    #[diesel(sql_type = BigInt)]
    t_trouver_un_emploi: i64,
    #[diesel(sql_type = BigInt)]
    t_accompagner_scolarite: i64,
    #[diesel(sql_type = BigInt)]
    t_donnees_personnelles: i64,
    #[diesel(sql_type = BigInt)]
    t_verifier_les_informations: i64,
    #[diesel(sql_type = BigInt)]
    t_demarches_en_ligne: i64,
    #[diesel(sql_type = BigInt)]
    t_prendre_en_main_un_equipement: i64,
    #[diesel(sql_type = BigInt)]
    t_naviguer_sur_internet: i64,
    #[diesel(sql_type = BigInt)]
    t_courriels: i64,
    #[diesel(sql_type = BigInt)]
    t_securite_numerique: i64,
    #[diesel(sql_type = BigInt)]
    t_sante: i64,
    #[diesel(sql_type = BigInt)]
    t_budget: i64,
    #[diesel(sql_type = BigInt)]
    t_autre: i64,
    #[diesel(sql_type = BigInt)]
    l_lieu_activite: i64,
    #[diesel(sql_type = BigInt)]
    l_domicile: i64,
    #[diesel(sql_type = BigInt)]
    l_a_distance: i64,
    #[diesel(sql_type = BigInt)]
    l_autre: i64,
}

impl MonthRow {
    fn apport(&self) -> Apport {
        Apport {
            nombre: self.nombre,
            participants: self.participants,
            minutes: self.minutes,
            par_thematique: [
                self.t_echanger_avec_ses_proches,
                self.t_trouver_un_emploi,
                self.t_accompagner_scolarite,
                self.t_donnees_personnelles,
                self.t_verifier_les_informations,
                self.t_demarches_en_ligne,
                self.t_prendre_en_main_un_equipement,
                self.t_naviguer_sur_internet,
                self.t_courriels,
                self.t_securite_numerique,
                self.t_sante,
                self.t_budget,
                self.t_autre,
            ],
            par_type_lieu: [
                self.l_lieu_activite,
                self.l_domicile,
                self.l_a_distance,
                self.l_autre,
            ],
        }
    }
}

/// The sums of one aggregates row as read positionally (in [`per_sum!`]'s order).
type Sums = (
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);

fn apport(s: Sums) -> Apport {
    Apport {
        nombre: s.0,
        participants: s.1,
        minutes: s.2,
        par_thematique: [
            s.3, s.4, s.5, s.6, s.7, s.8, s.9, s.10, s.11, s.12, s.13, s.14, s.15,
        ],
        par_type_lieu: [s.16, s.17, s.18, s.19],
    }
}

/// `$query` (boxed) restricted to `$column >= from` and `$column <= to`, where each bound is
/// an `Option`: an open one (`None`) adds no condition. PostgreSQL plans a prepared statement
/// once for any bounds after a few calls: with a condition that keeps every row, its generic
/// plan expected a few rows and sorted them all through the index (6 ms instead of 3.5 for the
/// national months).
macro_rules! entre {
    ($query:expr, $column:expr, $from:expr, $to:expr) => {{
        let mut query = $query;
        if let Some(from) = $from {
            query = query.filter($column.ge(from));
        }
        if let Some(to) = $to {
            query = query.filter($column.le(to));
        }
        query
    }};
}

/// Activities per département and month within `[du, au]` (either bound open): the whole months
/// from `activites_mois` (départements × months rows, whatever the number of activities), the
/// days of the partial months at the ends from `activites_jour` (see [`decoupe`]).
///
/// The whole months, the bulk of the rows, are read by position through a typed query (a cached
/// prepared statement): reading them by column name (`sql_query`) cost most of an uncached
/// national answer (`<NamedRow>::get`, `index_for_column_name` at the top of its profile).
fn activites_par_mois(
    conn: &mut DbConn,
    du: Option<NaiveDate>,
    au: Option<NaiveDate>,
    territoire: Option<Perimetre>,
) -> QueryResult<Vec<(String, String, Apport)>> {
    use crate::db::schema::{activites_jour as aj, activites_mois as am};
    let Decoupage { mois, jours } = decoupe(du, au);
    let mut rows = Vec::new();
    // `territoire`: per département and month (None), or summed by the database per month
    // (whole months) and per day (partial ones) over the départements it keeps. `departement`
    // is '' in these rows: they are the territory's.
    if let Some(perimetre) = territoire {
        if let Some((first, last)) = mois {
            let whole: Vec<(String, Sums)> = db_run!(conn, |c| {
                let query = am::table
                    .group_by(am::mois)
                    .select((
                        am::mois,
                        per_sum!(activites_mois, &Apport::default(), |column, _value| {
                            Somme(column)
                        }),
                    ))
                    .into_boxed();
                let query = entre!(query, am::mois, du.and(Some(&first)), au.and(Some(&last)));
                charger_dans!(c, query, am::departement, perimetre)?
            });
            rows.extend(
                whole
                    .into_iter()
                    .map(|(m, s)| (String::new(), m, apport(s))),
            );
        }
        for (from, to) in jours {
            let query = aj::table
                .filter(aj::jour.ge(date_text(from)).and(aj::jour.le(date_text(to))))
                .group_by(aj::jour)
                .select((
                    aj::jour,
                    per_sum!(activites_jour, &Apport::default(), |column, _value| {
                        Somme(column)
                    }),
                ));
            let days: Vec<(String, Sums)> = db_run!(conn, |c| charger_dans!(
                c,
                query,
                aj::departement,
                perimetre
            )?);
            // A day `YYYY-MM-DD` counts in its month `YYYY-MM` (the caller adds the days up).
            rows.extend(days.into_iter().map(|(jour, s)| {
                let month = jour.get(..7).unwrap_or(&jour).to_owned();
                (String::new(), month, apport(s))
            }));
        }
        return Ok(rows);
    }
    if let Some((first, last)) = mois {
        let whole: Vec<(String, String, Sums)> = db_run!(conn, |c| entre!(
            am::table.into_boxed(),
            am::mois,
            du.and(Some(&first)),
            au.and(Some(&last))
        )
        .select((
            am::departement,
            am::mois,
            per_sum!(activites_mois, &Apport::default(), |column, _value| column),
        ))
        .load(c)?);
        rows.extend(whole.into_iter().map(|(d, m, s)| (d, m, apport(s))));
    }
    for (from, to) in jours {
        let sql = format!(
            "SELECT departement, substr(jour, 1, 7) AS mois, {} FROM activites_jour \
             WHERE jour >= $1 AND jour <= $2 GROUP BY departement, substr(jour, 1, 7)",
            columns_sql()
        );
        rows.extend(
            between(conn, &sql, &date_text(from), &date_text(to))?
                .into_iter()
                .map(|row| {
                    let apport = row.apport();
                    (row.departement, row.mois, apport)
                }),
        );
    }
    Ok(rows)
}

/// Runs `sql` (written with PostgreSQL's `$1`, `$2`) with two text bounds.
fn between(conn: &mut DbConn, sql: &str, from: &str, to: &str) -> QueryResult<Vec<MonthRow>> {
    db_run!(
        conn,
        postgres
            | c
            | diesel::sql_query(sql)
                .bind::<Text, _>(from)
                .bind::<Text, _>(to)
                .load::<MonthRow>(c),
        sqlite
            | c
            | diesel::sql_query(sql.replace("$1", "?").replace("$2", "?"))
                .bind::<Text, _>(from)
                .bind::<Text, _>(to)
                .load::<MonthRow>(c)
    )
}

/// The contracts in force on `today` in the départements of `perimetre`, by département
/// and type, each group with how many are fixed-term contracts ending within
/// [`FIN_PROCHE_JOURS`] days (covering index `contrats_statistiques`). In force: the rule of
/// `Contrat::en_vigueur_le`.
fn contrats_en_vigueur(
    conn: &mut DbConn,
    perimetre: Perimetre,
    today: NaiveDate,
) -> QueryResult<Vec<(String, String, i64, i64)>> {
    use crate::db::schema::contrats as k;
    use diesel::dsl::{case_when, count_star};
    use diesel::sql_types::Integer;
    let jour = date_text(today);
    let limite = date_text(today + chrono::Days::new(FIN_PROCHE_JOURS));
    db_run!(conn, |x| {
        let fin_proche = case_when(
            k::date_rupture
                .is_null()
                .and(k::date_fin.le(&limite).assume_not_null()),
            1.into_sql::<Integer>(),
        )
        .otherwise(0.into_sql::<Integer>());
        let query = k::table
            .filter(k::date_debut.le(&jour))
            .filter(
                k::date_rupture
                    .is_null()
                    .or(k::date_rupture.ge(&jour).assume_not_null()),
            )
            .filter(
                k::date_fin
                    .is_null()
                    .or(k::date_fin.ge(&jour).assume_not_null()),
            )
            .group_by((k::departement, k::type_contrat))
            .select((
                k::departement,
                k::type_contrat,
                count_star(),
                sum_integer(fin_proche),
            ));
        charger_dans!(x, query, k::departement, perimetre)
    })
}

/// A département's advisors' certifications, as [`certifications`] counts them: département,
/// trained, certified, late.
type CertificationsRow = (String, i64, i64, i64);

/// The certifications of the advisors of the départements of `perimetre` on `today`, by
/// their current département, in one grouped query over the initial trainings (index
/// `formations_initiale`) and their passed certifications (index `certifications_formation`):
/// trained (the training ended before today, or a certification passed), certified, late (ended
/// on or before [`derniere_fin_en_retard`], nothing passed). Written with the query builder and
/// bound dates, so that PostgreSQL keeps it prepared (raw SQL is planned on every call).
fn certifications(
    conn: &mut DbConn,
    perimetre: Perimetre,
    today: NaiveDate,
) -> QueryResult<Vec<CertificationsRow>> {
    use crate::db::schema::{certifications as k, conseillers as a, formations as f};
    use diesel::dsl::{case_when, exists, not};
    use diesel::sql_types::Integer;
    let jour = date_text(today);
    let limite = date_text(derniere_fin_en_retard(today));
    db_run!(conn, |c| {
        let reussie = || {
            exists(
                k::table
                    .filter(k::formation_id.eq(f::id))
                    .filter(k::resultat.eq("reussie")),
            )
        };
        let un = || 1.into_sql::<Integer>();
        let zero = || 0.into_sql::<Integer>();
        let query = f::table
            .inner_join(a::table)
            .filter(f::type_formation.eq("initiale"))
            .group_by(a::departement)
            .select((
                a::departement,
                sum_integer(
                    case_when(
                        f::date_fin.lt(jour.clone()).assume_not_null().or(reussie()),
                        un(),
                    )
                    .otherwise(zero()),
                ),
                sum_integer(case_when(reussie(), un()).otherwise(zero())),
                sum_integer(
                    case_when(
                        f::date_fin
                            .le(limite.clone())
                            .assume_not_null()
                            .and(not(reussie())),
                        un(),
                    )
                    .otherwise(zero()),
                ),
            ));
        charger_dans!(c, query, a::departement, perimetre)
    })
}

/// Reads everything the statistics need, activities within `[du, au]`, late conventions as of
/// `today`.
pub fn donnees(
    conn: &mut DbConn,
    du: Option<NaiveDate>,
    au: Option<NaiveDate>,
    today: NaiveDate,
    lecture: Lecture,
) -> QueryResult<Donnees> {
    use crate::db::schema::{
        departements as d, enveloppes as e, enveloppes_departements as ed, regions as r,
    };
    use diesel::sql_types::Integer;
    // The départements (level 0) and the régions (level 1) in one round trip (every uncached
    // read makes it).
    let mut territoires: Vec<(String, String, String, i32)> = db_run!(conn, |c| d::table
        .select((d::code, d::nom, d::region, 0.into_sql::<Integer>()))
        .union_all(r::table.select((r::code, r::nom, r::code, 1.into_sql::<Integer>())))
        .load(c)?);
    territoires.sort_unstable_by(|x, y| (x.3, &x.0).cmp(&(y.3, &y.0)));
    let (regions, departements): (Vec<_>, Vec<_>) = territoires.into_iter().partition(|t| t.3 == 1);
    // For a région or a département, only its départements' rows are read (their groups are all
    // it composes). For one territory, the national one included, its months are summed by the
    // database. `None`: every département, each on its own.
    let perimetre = match &lecture {
        Lecture::ParDepartement | Lecture::National => Perimetre::Tous,
        Lecture::Region(code) => Perimetre::Region(code),
        Lecture::Departement(code) => Perimetre::Departement(code),
    };
    let territoire = (lecture != Lecture::ParDepartement).then_some(perimetre);
    let (conventions, conseillers, postes) = groupes(conn, perimetre, today)?;
    let contrats = contrats_en_vigueur(conn, perimetre, today)?;
    let certifies = certifications(conn, perimetre, today)?;
    let (enveloppes, soldes): (Vec<EnveloppeRow>, Vec<SoldeRow>) = db_run!(conn, |c| {
        (
            e::table
                .order(e::id)
                .select((
                    e::id,
                    e::nature,
                    e::montant_centimes,
                    e::engage_centimes,
                    e::verse_centimes,
                    e::perimetre_departement,
                    e::objectif_postes,
                    // The lowest of its tariffs: the most posts its ceilings could fund.
                    crate::db::schema::baremes::table
                        .filter(crate::db::schema::baremes::enveloppe_id.eq(e::id))
                        .select(diesel::dsl::min(
                            crate::db::schema::baremes::montant_par_poste_centimes,
                        ))
                        .single_value(),
                ))
                .load(c)?,
            ed::table
                .select((
                    ed::enveloppe_id,
                    ed::departement,
                    ed::plafond_centimes,
                    ed::engage_centimes,
                    ed::verse_centimes,
                ))
                .load(c)?,
        )
    });
    let months = activites_par_mois(conn, du, au, territoire)?;
    let mut ensemble = territoire.is_some().then(BTreeMap::<String, Apport>::new);

    let mut by_code: BTreeMap<String, DonneesDepartement> = departements
        .into_iter()
        .map(|(code, nom, region, _)| {
            (
                code.clone(),
                DonneesDepartement {
                    code,
                    nom,
                    region,
                    ..DonneesDepartement::default()
                },
            )
        })
        .collect();
    for (departement, statut, nombre, postes_attribues, en_retard) in conventions {
        if let Some(d) = by_code.get_mut(&departement) {
            d.conventions.push(GroupeConventions {
                statut: stored(StatutConvention::parse(&statut))?,
                nombre,
                postes_attribues,
                en_retard,
            });
        }
    }
    for (departement, recrutement_local, tous, sans_contrat, sortis) in conseillers {
        if let Some(d) = by_code.get_mut(&departement) {
            for (statut, nombre) in [
                (StatutConseiller::SansContrat, sans_contrat),
                (StatutConseiller::EnPoste, tous - sans_contrat - sortis),
                (StatutConseiller::Sorti, sortis),
            ] {
                if nombre > 0 {
                    d.conseillers.push(GroupeConseillers {
                        statut,
                        recrutement_local,
                        nombre,
                    });
                }
            }
        }
    }
    for (departement, a_vacant, a_occupe, a_rendu, c_vacant, c_occupe, c_rendu, anciens) in postes {
        if let Some(d) = by_code.get_mut(&departement) {
            d.postes = PostesDepartement {
                par_typologie: PostesParTypologie {
                    conseiller: PostesParEtat {
                        vacant: a_vacant,
                        occupe: a_occupe,
                        rendu: a_rendu,
                    },
                    coordinateur: PostesParEtat {
                        vacant: c_vacant,
                        occupe: c_occupe,
                        rendu: c_rendu,
                    },
                },
                vacants_anciens: anciens,
            };
        }
    }
    for (departement, type_contrat, nombre, fin_proche) in contrats {
        if let Some(d) = by_code.get_mut(&departement) {
            let type_contrat = stored(TypeContrat::parse(&type_contrat))?;
            let index = TypeContrat::ALL
                .iter()
                .position(|t| *t == type_contrat)
                .expect("every type is in ALL");
            d.contrats.par_type[index] += nombre;
            d.contrats.fin_proche += fin_proche;
        }
    }
    for (departement, formes, certifies, en_retard) in certifies {
        if let Some(d) = by_code.get_mut(&departement) {
            d.certifications = CertificationsDepartement {
                formes,
                certifies,
                en_retard,
            };
        }
    }
    for (departement, mois, apport) in months {
        if let Some(sums) = ensemble.as_mut() {
            let sum = sums.entry(mois).or_default();
            *sum = sum.plus(apport).unwrap_or(*sum);
        } else if let Some(d) = by_code.get_mut(&departement) {
            // `decoupe` never reads a month twice; adding keeps the sums right regardless.
            let sum = d.activites_par_mois.entry(mois).or_default();
            *sum = sum.plus(apport).unwrap_or(*sum);
        }
    }
    Ok(Donnees {
        departements: by_code.into_values().collect(),
        regions: regions
            .into_iter()
            .map(|(code, nom, ..)| (code, nom))
            .collect(),
        enveloppes: enveloppes
            .into_iter()
            .map(
                |(
                    id,
                    nature,
                    montant_centimes,
                    engage_centimes,
                    verse_centimes,
                    perimetre_departement,
                    objectif_postes,
                    montant_par_poste_centimes,
                )| {
                    Ok(EnveloppeStat {
                        id,
                        nature: stored(NatureEnveloppe::parse(&nature))?,
                        montant_centimes,
                        engage_centimes,
                        verse_centimes,
                        perimetre_departement,
                        objectif_postes,
                        montant_par_poste_centimes,
                    })
                },
            )
            .collect::<QueryResult<_>>()?,
        soldes: soldes
            .into_iter()
            .map(
                |(enveloppe_id, departement, plafond_centimes, engage_centimes, verse_centimes)| {
                    SoldeStat {
                        enveloppe_id,
                        departement,
                        plafond_centimes,
                        engage_centimes,
                        verse_centimes,
                    }
                },
            )
            .collect(),
        activites_ensemble: ensemble,
    })
}

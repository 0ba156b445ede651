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
use diesel::sql_types::{BigInt, Nullable, Text};

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

#[derive(QueryableByName)]
struct NamedRow {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    nom: String,
    #[diesel(sql_type = Text)]
    region: String,
    /// 0 for a département, 1 for a région (both read in one statement).
    #[diesel(sql_type = diesel::sql_types::Integer)]
    niveau: i32,
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

/// The groups of conventions (late ones counted as of `today`) and of advisors of the
/// départements `codes` (all of them: `None`), each query reading its covering index
/// (`conventions_statistiques`, `conseillers_statistiques`).
fn groupes(conn: &mut DbConn, codes: Option<&[String]>, today: NaiveDate) -> QueryResult<Groupes> {
    use crate::db::schema::{conseillers as a, conventions as c, postes as p};
    use diesel::dsl::{case_when, count_star, sql};
    use diesel::sql_types::Integer;
    db_run!(conn, |x| {
        let late = case_when(super::convention::en_retard(today), 1.into_sql::<Integer>())
            .otherwise(0.into_sql::<Integer>());
        let conventions = c::table.group_by((c::departement, c::statut)).select((
            c::departement,
            c::statut,
            count_star(),
            // The sum of a BIGINT is a NUMERIC on PostgreSQL: cast back, once per group.
            sql::<BigInt>("CAST(SUM(postes_attribues) AS BIGINT)"),
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
        match codes {
            None => Ok((conventions.load(x)?, conseillers.load(x)?, postes.load(x)?)),
            Some(codes) => Ok((
                conventions.filter(c::departement.eq_any(codes)).load(x)?,
                conseillers.filter(a::departement.eq_any(codes)).load(x)?,
                postes.filter(p::departement.eq_any(codes)).load(x)?,
            )),
        }
    })
}

#[derive(QueryableByName)]
struct EnveloppeRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    nature: String,
    #[diesel(sql_type = BigInt)]
    montant_centimes: i64,
    #[diesel(sql_type = BigInt)]
    engage_centimes: i64,
    #[diesel(sql_type = BigInt)]
    verse_centimes: i64,
    #[diesel(sql_type = Nullable<Text>)]
    perimetre_departement: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    objectif_postes: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    montant_par_poste_centimes: Option<i64>,
}

#[derive(QueryableByName)]
struct SoldeRow {
    #[diesel(sql_type = Text)]
    enveloppe_id: String,
    #[diesel(sql_type = Text)]
    departement: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    plafond_centimes: Option<i64>,
    #[diesel(sql_type = BigInt)]
    engage_centimes: i64,
    #[diesel(sql_type = BigInt)]
    verse_centimes: i64,
}

/// The sums of an aggregates table, in the order of [`Apport`]'s fields (themes in the order of
/// [`Thematique::ALL`](crate::domain::activite::Thematique::ALL), as
/// [`COLONNES_THEMATIQUES`](super::activite::COLONNES_THEMATIQUES) lists them): summed over a
/// group (`grouped`), or as stored.
fn columns_sql(grouped: bool) -> String {
    super::activite::colonnes_sommes()
        .map(|column| {
            if grouped {
                format!("CAST(SUM({column}) AS BIGINT) AS {column}")
            } else {
                (*column).to_owned()
            }
        })
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
    territoire: Option<&str>,
) -> QueryResult<Vec<(String, String, Apport)>> {
    use crate::db::schema::activites_mois as am;
    let Decoupage { mois, jours } = decoupe(du, au);
    let mut rows = Vec::new();
    // `territoire`: per département and month (None), or summed per month over the départements
    // that this SQL condition keeps (see `donnees`).
    if let Some(filter) = territoire {
        // `departement` is '' in these rows: they are the territory's.
        let mut reads = Vec::new();
        if let Some((first, last)) = mois {
            reads.push((
                format!(
                    "SELECT '' AS departement, mois, {} FROM activites_mois \
                     WHERE mois >= $1 AND mois <= $2{filter} GROUP BY mois",
                    columns_sql(true)
                ),
                first,
                last,
            ));
        }
        for (from, to) in jours {
            reads.push((
                format!(
                    "SELECT '' AS departement, substr(jour, 1, 7) AS mois, {} \
                     FROM activites_jour WHERE jour >= $1 AND jour <= $2{filter} \
                     GROUP BY substr(jour, 1, 7)",
                    columns_sql(true)
                ),
                date_text(from),
                date_text(to),
            ));
        }
        for (sql, from, to) in reads {
            rows.extend(between(conn, &sql, &from, &to)?.into_iter().map(|row| {
                let apport = row.apport();
                (row.departement, row.mois, apport)
            }));
        }
        return Ok(rows);
    }
    if let Some((first, last)) = mois {
        let whole: Vec<(String, String, Sums)> = db_run!(conn, |c| am::table
            .filter(am::mois.ge(&first).and(am::mois.le(&last)))
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
            columns_sql(true)
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

/// ` AND departement IN ('93', …)` for the départements given, nothing for all of them. The codes
/// come from the référentiel's table; one that is not two or three letters and digits is left
/// out rather than written into the SQL.
fn departements_sql(codes: &[String]) -> String {
    let listed: Vec<String> = codes
        .iter()
        .filter(|code| {
            (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
        })
        .map(|code| format!("'{code}'"))
        .collect();
    if listed.is_empty() {
        " AND 1 = 0".to_owned()
    } else {
        format!(" AND departement IN ({})", listed.join(", "))
    }
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

/// The contracts in force on `today` in the départements `codes` (all: `None`), by département
/// and type, each group with how many are fixed-term contracts ending within
/// [`FIN_PROCHE_JOURS`] days (covering index `contrats_statistiques`). In force: the rule of
/// `Contrat::en_vigueur_le`.
fn contrats_en_vigueur(
    conn: &mut DbConn,
    codes: Option<&[String]>,
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
        match codes {
            None => query.load(x),
            Some(codes) => query.filter(k::departement.eq_any(codes)).load(x),
        }
    })
}

/// A département's advisors' certifications, as [`certifications`] counts them: département,
/// trained, certified, late.
type CertificationsRow = (String, i64, i64, i64);

/// The certifications of the advisors of the départements `codes` (all: `None`) on `today`, by
/// their current département, in one grouped query over the initial trainings (index
/// `formations_initiale`) and their passed certifications (index `certifications_formation`):
/// trained (the training ended before today, or a certification passed), certified, late (ended
/// on or before [`derniere_fin_en_retard`], nothing passed). Written with the query builder and
/// bound dates, so that PostgreSQL keeps it prepared (raw SQL is planned on every call).
fn certifications(
    conn: &mut DbConn,
    codes: Option<&[String]>,
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
        match codes {
            None => query.load(c),
            Some(codes) => query.filter(a::departement.eq_any(codes)).load(c),
        }
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
    // The départements and the régions in one round trip (every uncached read makes it).
    let territoires: QueryResult<Vec<NamedRow>> = db_run!(conn, |c| diesel::sql_query(
        "SELECT code, nom, region, 0 AS niveau FROM departements \
         UNION ALL SELECT code, nom, code AS region, 1 AS niveau FROM regions \
         ORDER BY niveau, code"
    )
    .load::<NamedRow>(c));
    let (regions, departements): (Vec<NamedRow>, Vec<NamedRow>) =
        territoires?.into_iter().partition(|t| t.niveau == 1);
    // For a région or a département, its départements: only their conventions and advisors are
    // read (their groups are all it composes). For one territory, the national one included, its
    // months are summed by the database, under the SQL condition that keeps its départements
    // (none nationally). `None`: every département, each on its own.
    let codes: Option<Vec<String>> = match &lecture {
        Lecture::ParDepartement | Lecture::National => None,
        Lecture::Region(code) => Some(
            departements
                .iter()
                .filter(|d| &d.region == code)
                .map(|d| d.code.clone())
                .collect(),
        ),
        Lecture::Departement(code) => Some(vec![code.clone()]),
    };
    let territoire: Option<String> = match &lecture {
        Lecture::ParDepartement => None,
        _ => Some(codes.as_deref().map(departements_sql).unwrap_or_default()),
    };
    let (conventions, conseillers, postes) = groupes(conn, codes.as_deref(), today)?;
    let contrats = contrats_en_vigueur(conn, codes.as_deref(), today)?;
    let certifies = certifications(conn, codes.as_deref(), today)?;
    let (enveloppes, soldes) = db_run!(conn, |c| {
        (
            diesel::sql_query(
                "SELECT id, nature, montant_centimes, engage_centimes, verse_centimes, \
             perimetre_departement, objectif_postes, montant_par_poste_centimes \
             FROM enveloppes ORDER BY id",
            )
            .load::<EnveloppeRow>(c)?,
            diesel::sql_query(
                "SELECT enveloppe_id, departement, plafond_centimes, engage_centimes, \
             verse_centimes FROM enveloppes_departements",
            )
            .load::<SoldeRow>(c)?,
        )
    });
    let months = activites_par_mois(conn, du, au, territoire.as_deref())?;
    let mut ensemble = territoire.is_some().then(BTreeMap::<String, Apport>::new);

    let mut by_code: BTreeMap<String, DonneesDepartement> = departements
        .into_iter()
        .map(|d| {
            (
                d.code.clone(),
                DonneesDepartement {
                    code: d.code,
                    nom: d.nom,
                    region: d.region,
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
        regions: regions.into_iter().map(|r| (r.code, r.nom)).collect(),
        enveloppes: enveloppes
            .into_iter()
            .map(|e| {
                Ok(EnveloppeStat {
                    id: e.id,
                    nature: stored(NatureEnveloppe::parse(&e.nature))?,
                    montant_centimes: e.montant_centimes,
                    engage_centimes: e.engage_centimes,
                    verse_centimes: e.verse_centimes,
                    perimetre_departement: e.perimetre_departement,
                    objectif_postes: e.objectif_postes,
                    montant_par_poste_centimes: e.montant_par_poste_centimes,
                })
            })
            .collect::<QueryResult<_>>()?,
        soldes: soldes
            .into_iter()
            .map(|s| SoldeStat {
                enveloppe_id: s.enveloppe_id,
                departement: s.departement,
                plafond_centimes: s.plafond_centimes,
                engage_centimes: s.engage_centimes,
                verse_centimes: s.verse_centimes,
            })
            .collect(),
        activites_ensemble: ensemble,
    })
}

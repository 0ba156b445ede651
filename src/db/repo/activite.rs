//! Activities: creation, reads, lists within a scope, soft deletion, and the per-day and
//! per-month aggregates (`activites_jour`, `activites_mois`) that every write keeps in step, in
//! the same transaction.
//!
//! The aggregates are only ever changed by increments (`x = x + n`, in SQL): two instances writing
//! activities of the same département and day at once both add, in whichever order the row lock
//! of `activites_jour` lets them (PostgreSQL), or one after the other (SQLite's single writer).
//! Nothing reads a sum to write it back.

use chrono::Utc;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::idempotency::stored_time;
use super::{date_text, from_json, stored, stored_date, stored_option, to_json};
use crate::db::schema::{activites, activites_jour, activites_mois};
use crate::db::{DbConn, WriteTx};
use crate::domain::activite::{Activite, Apport, Thematique, TypeActivite, TypeLieu};
use crate::domain::codes::{CodeDepartement, CodeInsee};
use crate::domain::filter::ActiviteFilter;
use crate::domain::ids::{ActiviteId, ConseillerId, LieuId, StructureId};
use crate::{list_fn, row_by_key, upsert};

/// A row of `activites`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = activites, treat_none_as_default_value = false)]
struct ActiviteRow {
    id: String,
    conseiller_id: String,
    structure_id: String,
    departement: String,
    lieu_id: Option<String>,
    date: String,
    type_: String,
    duree_minutes: i32,
    nb_participants: i32,
    thematiques: String,
    cree_le: String,
    supprime_le: Option<String>,
    type_lieu: String,
    code_insee: Option<String>,
}

impl TryFrom<ActiviteRow> for Activite {
    type Error = diesel::result::Error;
    fn try_from(row: ActiviteRow) -> QueryResult<Activite> {
        let thematiques: Vec<String> = from_json(&row.thematiques)?;
        Ok(Activite {
            id: stored(ActiviteId::parse(&row.id))?,
            conseiller_id: stored(ConseillerId::parse(&row.conseiller_id))?,
            structure_id: stored(StructureId::parse(&row.structure_id))?,
            departement: stored(CodeDepartement::parse(&row.departement))?,
            type_lieu: stored(TypeLieu::parse(&row.type_lieu))?,
            lieu_id: stored_option(row.lieu_id, LieuId::parse)?,
            code_insee: stored_option(row.code_insee, CodeInsee::parse)?,
            date: stored_date(&row.date)?,
            type_activite: stored(TypeActivite::parse(&row.type_))?,
            duree_minutes: i64::from(row.duree_minutes),
            nb_participants: i64::from(row.nb_participants),
            thematiques: thematiques
                .iter()
                .map(|t| stored(Thematique::parse(t)))
                .collect::<QueryResult<_>>()?,
            cree_le: row.cree_le,
        })
    }
}

/// A bounded count as stored in an `INTEGER` column (the domain checked the range).
fn small(value: i64) -> QueryResult<i32> {
    i32::try_from(value).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

/// Applies `$make(column, value)` to every sum of an aggregates table (`activites_jour` or
/// `activites_mois`: the same sums) and the matching part of an [`Apport`], in one tuple: the set
/// of an upsert or of an update, and the one place that maps the themes (in the order of
/// [`Thematique::ALL`]) to their columns.
macro_rules! per_sum {
    ($table:ident, $apport:expr, |$column:ident, $value:ident| $make:expr) => {{
        use $crate::db::schema::$table as aj;
        let apport: &Apport = $apport;
        let t = &apport.par_thematique;
        (
            {
                let ($column, $value) = (aj::nombre, apport.nombre);
                $make
            },
            {
                let ($column, $value) = (aj::participants, apport.participants);
                $make
            },
            {
                let ($column, $value) = (aj::minutes, apport.minutes);
                $make
            },
            {
                let ($column, $value) = (aj::t_echanger_avec_ses_proches, t[0]);
                $make
            },
            {
                let ($column, $value) = (aj::t_trouver_un_emploi, t[1]);
                $make
            },
            {
                let ($column, $value) = (aj::t_accompagner_scolarite, t[2]);
                $make
            },
            {
                let ($column, $value) = (aj::t_donnees_personnelles, t[3]);
                $make
            },
            {
                let ($column, $value) = (aj::t_verifier_les_informations, t[4]);
                $make
            },
            {
                let ($column, $value) = (aj::t_demarches_en_ligne, t[5]);
                $make
            },
            {
                let ($column, $value) = (aj::t_prendre_en_main_un_equipement, t[6]);
                $make
            },
            {
                let ($column, $value) = (aj::t_naviguer_sur_internet, t[7]);
                $make
            },
            {
                let ($column, $value) = (aj::t_courriels, t[8]);
                $make
            },
            {
                let ($column, $value) = (aj::t_securite_numerique, t[9]);
                $make
            },
            {
                let ($column, $value) = (aj::t_sante, t[10]);
                $make
            },
            {
                let ($column, $value) = (aj::t_budget, t[11]);
                $make
            },
            {
                let ($column, $value) = (aj::t_autre, t[12]);
                $make
            },
        )
    }};
}
pub(crate) use per_sum;

/// The theme columns of the aggregates tables, in the order of [`Thematique::ALL`] (as [`per_sum!`]
/// maps them; a unit test keeps the two in step).
pub const COLONNES_THEMATIQUES: [&str; 13] = [
    "t_echanger_avec_ses_proches",
    "t_trouver_un_emploi",
    "t_accompagner_scolarite",
    "t_donnees_personnelles",
    "t_verifier_les_informations",
    "t_demarches_en_ligne",
    "t_prendre_en_main_un_equipement",
    "t_naviguer_sur_internet",
    "t_courriels",
    "t_securite_numerique",
    "t_sante",
    "t_budget",
    "t_autre",
];

/// Adds `apport` to the row of the aggregates table `table` for (`departement`, `period` =
/// `value`): `INSERT … ON CONFLICT (departement, period) DO UPDATE SET x = x + excluded.x`.
macro_rules! add_to_period {
    ($tx:expr, $table:ident, $departement:expr, $period:ident = $value:expr, $apport:expr) => {{
        let values = (
            $table::departement.eq($departement),
            $table::$period.eq($value),
            per_sum!($table, $apport, |column, value| column.eq(value)),
        );
        upsert!(
            $tx,
            $table::table,
            &values,
            ($table::departement, $table::$period),
            per_sum!($table, $apport, |column, _value| column
                .eq(column + excluded(column)))
        )
    }};
}

/// Adds an activity's contribution to its département's day and month: each row is created at
/// the first activity, incremented afterwards (`INSERT … ON CONFLICT DO UPDATE SET x = x +
/// excluded.x`, atomic under concurrent writers on both backends).
fn add_to_aggregates(tx: &mut WriteTx<'_>, activite: &Activite) -> QueryResult<()> {
    let (departement, jour, apport) = (
        activite.departement.as_str(),
        &date_text(activite.date),
        &Apport::de(activite),
    );
    add_to_period!(tx, activites_jour, departement, jour = jour, apport)?;
    add_to_period!(tx, activites_mois, departement, mois = &jour[..7], apport)?;
    Ok(())
}

/// Takes a deleted activity's contribution out of its day and month (the rows exist: the
/// activity was added to them); the migration's CHECKs refuse a sum below zero.
fn remove_from_aggregates(tx: &mut WriteTx<'_>, activite: &Activite) -> QueryResult<()> {
    let (departement, jour) = (activite.departement.as_str(), &date_text(activite.date));
    let taken = Apport::de(activite).retrait();
    let day = diesel::update(activites_jour::table.find((departement, jour)))
        .set(per_sum!(activites_jour, &taken, |column, value| column
            .eq(column + value)))
        .execute(tx.conn())?;
    let month = diesel::update(activites_mois::table.find((departement, &jour[..7])))
        .set(per_sum!(activites_mois, &taken, |column, value| column
            .eq(column + value)))
        .execute(tx.conn())?;
    if (day, month) != (1, 1) {
        return Err(diesel::result::Error::NotFound);
    }
    Ok(())
}

/// Records an activity (already checked) and adds it to its day's aggregates, in the caller's
/// transaction; `id` and `cree_le` are set here. Returns it as stored.
pub fn insert(tx: &mut WriteTx<'_>, activite: &Activite) -> QueryResult<Activite> {
    let row = ActiviteRow {
        id: ActiviteId::new().to_string(),
        conseiller_id: activite.conseiller_id.to_string(),
        structure_id: activite.structure_id.to_string(),
        departement: activite.departement.to_string(),
        lieu_id: activite.lieu_id.as_ref().map(ToString::to_string),
        type_lieu: activite.type_lieu.as_str().to_owned(),
        code_insee: activite.code_insee.as_ref().map(ToString::to_string),
        date: date_text(activite.date),
        type_: activite.type_activite.as_str().to_owned(),
        duree_minutes: small(activite.duree_minutes)?,
        nb_participants: small(activite.nb_participants)?,
        thematiques: to_json(&activite.thematiques)?,
        cree_le: stored_time(Utc::now()),
        supprime_le: None,
    };
    diesel::insert_into(activites::table)
        .values(&row)
        .execute(tx.conn())?;
    let stored = Activite::try_from(row)?;
    add_to_aggregates(tx, &stored)?;
    Ok(stored)
}

/// One activity, unless deleted.
pub fn find(conn: &mut DbConn, id: &ActiviteId) -> QueryResult<Option<Activite>> {
    row_by_key!(conn, activites::table, id.as_str(), activites::supprime_le.is_null() => ActiviteRow)
}

/// Locks an activity's row, unless deleted, and reads it.
pub fn lock(tx: &mut WriteTx<'_>, id: &ActiviteId) -> QueryResult<Option<Activite>> {
    row_by_key!(lock tx, activites::table, id.as_str(), activites::supprime_le.is_null() => ActiviteRow)
}

/// Deletes a locked activity (softly: the row stays, marked) and takes it out of its day's
/// aggregates, in the caller's transaction.
pub fn delete(tx: &mut WriteTx<'_>, activite: &Activite) -> QueryResult<()> {
    let marked = diesel::update(
        activites::table
            .find(activite.id.as_str())
            .filter(activites::supprime_le.is_null()),
    )
    .set(activites::supprime_le.eq(stored_time(Utc::now())))
    .execute(tx.conn())?;
    if marked != 1 {
        return Err(diesel::result::Error::NotFound);
    }
    remove_from_aggregates(tx, activite)
}

list_fn! {
    /// A page of activities within `scope` (a structure sees its advisors'), the most recently
    /// declared first; deleted ones are gone.
    pub fn list(filter: &ActiviteFilter, scope: &ScopeFilter) -> Page<Activite> {
        rows activites as ActiviteRow, by id => desc;
        scope departement = activites::departement,
            structure = |id| activites::structure_id.eq(id);
        where activites::supprime_le.is_null();
        equal [
            activites::conseiller_id => filter.conseiller_id,
            activites::structure_id => filter.structure_id,
            activites::lieu_id => filter.lieu_id,
            activites::departement => filter.departement,
            activites::type_ => filter.type_activite,
        ];
        then |mut query| {
            if let Some(du) = filter.du {
                query = query.filter(activites::date.ge(date_text(du)));
            }
            if let Some(au) = filter.au {
                query = query.filter(activites::date.le(date_text(au)));
            }
            query
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_columns_follow_the_list_of_themes() {
        assert_eq!(COLONNES_THEMATIQUES.len(), Thematique::ALL.len());
        for (column, theme) in COLONNES_THEMATIQUES.iter().zip(Thematique::ALL) {
            assert_eq!(*column, format!("t_{theme}"));
        }
        // per_sum! maps the same columns in the same order.
        let mut apport = Apport::default();
        for (index, n) in apport.par_thematique.iter_mut().enumerate() {
            *n = index as i64 + 100;
        }
        let names: Vec<(&str, i64)> = {
            use diesel::Column;
            let (_, _, _, a, b, c, d, e, f, g, h, i, j, k, l, m) =
                per_sum!(activites_jour, &apport, |column, value| (column, value));
            fn named<C: Column>(pair: (C, i64)) -> (&'static str, i64) {
                (C::NAME, pair.1)
            }
            vec![
                named(a),
                named(b),
                named(c),
                named(d),
                named(e),
                named(f),
                named(g),
                named(h),
                named(i),
                named(j),
                named(k),
                named(l),
                named(m),
            ]
        };
        for (index, (name, value)) in names.iter().enumerate() {
            assert_eq!(*name, COLONNES_THEMATIQUES[index]);
            assert_eq!(*value, index as i64 + 100);
        }
    }
}

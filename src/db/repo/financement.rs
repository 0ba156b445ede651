//! Funding: envelopes with their running sums, the money of each département in them (with its
//! ceiling), commitments and payments.
//!
//! Every money movement runs in a write transaction that locks the envelope's row
//! ([`lock_enveloppe`]), then reads the sums, checks the domain's rules and moves the money with
//! [`move_money`], which updates the envelope's and the département's sums in the same
//! transaction. The migration's `CHECK`s refuse any state where engaged exceeds an amount or a
//! ceiling, or paid exceeds engaged. Lock order, everywhere: convention, envelopes (by id),
//! commitment, payment. A new commitment takes the envelope's lock as late as it can (its row,
//! its journal entry and every check that does not read the sums come first): every commitment
//! on an envelope waits for that one lock, so what runs under it bounds their rate.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;

use super::idempotency::stored_time;
use super::{Backend, converted, date_text, optional_date, stored, stored_date, stored_option};
use crate::db::schema::{baremes, engagements, enveloppes, enveloppes_departements, versements};
use crate::db::{DbConn, WriteTx};
use crate::domain::bareme::{Bareme, Tranche};
use crate::domain::codes::CodeDepartement;
use crate::domain::filter::{EngagementFilter, EnveloppeFilter};
use crate::domain::financement::{
    Engagement, Enveloppe, Mouvement, NatureEnveloppe, SoldeDepartement, StatutEngagement,
    StatutVersement, Versement, part_engagee,
};
use crate::domain::ids::{ConventionId, EngagementId, EnveloppeId, StructureId, VersementId};
use crate::domain::structure::CategorieEmployeur;
use crate::{insert_if_absent, insert_then_read, list_fn, party_to, row_by_key, update_versioned};

/// A row of `enveloppes`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = enveloppes, treat_none_as_default_value = false)]
struct EnveloppeRow {
    id: String,
    libelle: String,
    financeur: String,
    programme_budgetaire: Option<String>,
    nature: String,
    montant_centimes: i64,
    date_debut: String,
    date_fin: String,
    perimetre_departement: Option<String>,
    objectif_postes: Option<i64>,
    engage_centimes: i64,
    verse_centimes: i64,
    version: i64,
    cree_le: String,
    modifie_le: String,
}

impl TryFrom<EnveloppeRow> for Enveloppe {
    type Error = diesel::result::Error;
    fn try_from(row: EnveloppeRow) -> QueryResult<Enveloppe> {
        Ok(Enveloppe {
            id: stored(EnveloppeId::parse(&row.id))?,
            libelle: row.libelle,
            financeur: row.financeur,
            programme_budgetaire: row.programme_budgetaire,
            nature: stored(NatureEnveloppe::parse(&row.nature))?,
            montant_centimes: row.montant_centimes,
            date_debut: stored_date(&row.date_debut)?,
            date_fin: stored_date(&row.date_fin)?,
            perimetre_departement: stored_option(
                row.perimetre_departement,
                CodeDepartement::parse,
            )?,
            objectif_postes: row.objectif_postes,
            engage_centimes: row.engage_centimes,
            verse_centimes: row.verse_centimes,
            version: row.version,
            cree_le: row.cree_le,
            modifie_le: row.modifie_le,
        })
    }
}

/// A row of `baremes` (the schedule as JSON).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = baremes, treat_none_as_default_value = false)]
struct BaremeRow {
    enveloppe_id: String,
    categorie: String,
    territoire_prioritaire: bool,
    montant_par_poste_centimes: i64,
    duree_mois: i64,
    tranches: String,
}

impl TryFrom<BaremeRow> for Bareme {
    type Error = diesel::result::Error;
    fn try_from(row: BaremeRow) -> QueryResult<Bareme> {
        let tranches: Vec<Tranche> = serde_json::from_str(&row.tranches).map_err(|error| {
            diesel::result::Error::DeserializationError(
                format!("tranches d'un barème : {error}").into(),
            )
        })?;
        Ok(Bareme {
            categorie: stored(CategorieEmployeur::parse(&row.categorie))?,
            territoire_prioritaire: row.territoire_prioritaire,
            montant_par_poste_centimes: row.montant_par_poste_centimes,
            duree_mois: row.duree_mois,
            tranches,
        })
    }
}

/// A row of `enveloppes_departements`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = enveloppes_departements)]
struct DepartementRow {
    departement: String,
    plafond_centimes: Option<i64>,
    engage_centimes: i64,
    verse_centimes: i64,
}

impl TryFrom<DepartementRow> for SoldeDepartement {
    type Error = diesel::result::Error;
    fn try_from(row: DepartementRow) -> QueryResult<SoldeDepartement> {
        Ok(SoldeDepartement {
            departement: stored(CodeDepartement::parse(&row.departement))?,
            plafond_centimes: row.plafond_centimes,
            engage_centimes: row.engage_centimes,
            verse_centimes: row.verse_centimes,
        })
    }
}

/// A row of `engagements`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = engagements, treat_none_as_default_value = false)]
struct EngagementRow {
    id: String,
    enveloppe_id: String,
    convention_id: String,
    departement: String,
    montant_centimes: i64,
    verse_centimes: i64,
    date_engagement: String,
    objet: String,
    statut: String,
    date_annulation: Option<String>,
    motif_annulation: Option<String>,
    version: i64,
    cree_le: String,
    modifie_le: String,
    beneficiaire_id: String,
}

impl TryFrom<EngagementRow> for Engagement {
    type Error = diesel::result::Error;
    fn try_from(row: EngagementRow) -> QueryResult<Engagement> {
        Ok(Engagement {
            id: stored(EngagementId::parse(&row.id))?,
            enveloppe_id: stored(EnveloppeId::parse(&row.enveloppe_id))?,
            convention_id: stored(ConventionId::parse(&row.convention_id))?,
            departement: stored(CodeDepartement::parse(&row.departement))?,
            beneficiaire_id: stored(StructureId::parse(&row.beneficiaire_id))?,
            montant_centimes: row.montant_centimes,
            verse_centimes: row.verse_centimes,
            date_engagement: stored_date(&row.date_engagement)?,
            objet: row.objet,
            statut: stored(StatutEngagement::parse(&row.statut))?,
            date_annulation: optional_date(row.date_annulation)?,
            motif_annulation: row.motif_annulation,
            version: row.version,
            cree_le: row.cree_le,
            modifie_le: row.modifie_le,
        })
    }
}

/// A row of `versements`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = versements, treat_none_as_default_value = false)]
struct VersementRow {
    id: String,
    engagement_id: String,
    montant_centimes: i64,
    date_versement: String,
    reference: String,
    statut: String,
    date_annulation: Option<String>,
    motif_annulation: Option<String>,
    cree_le: String,
    tranche: Option<i64>,
}

impl TryFrom<VersementRow> for Versement {
    type Error = diesel::result::Error;
    fn try_from(row: VersementRow) -> QueryResult<Versement> {
        Ok(Versement {
            id: stored(VersementId::parse(&row.id))?,
            engagement_id: stored(EngagementId::parse(&row.engagement_id))?,
            montant_centimes: row.montant_centimes,
            date_versement: stored_date(&row.date_versement)?,
            reference: row.reference,
            tranche: row.tranche,
            statut: stored(StatutVersement::parse(&row.statut))?,
            date_annulation: optional_date(row.date_annulation)?,
            motif_annulation: row.motif_annulation,
            cree_le: row.cree_le,
        })
    }
}

/// Creates an envelope (already checked) with nothing engaged nor paid; `id`, `version` and the
/// times are set here. Returns it as read back.
pub fn insert_enveloppe(tx: &mut WriteTx<'_>, new: &Enveloppe) -> QueryResult<Enveloppe> {
    let id = EnveloppeId::new();
    let now = stored_time(Utc::now());
    let row = EnveloppeRow {
        id: id.to_string(),
        libelle: new.libelle.clone(),
        financeur: new.financeur.clone(),
        programme_budgetaire: new.programme_budgetaire.clone(),
        nature: new.nature.as_str().to_owned(),
        montant_centimes: new.montant_centimes,
        date_debut: date_text(new.date_debut),
        date_fin: date_text(new.date_fin),
        perimetre_departement: new.perimetre_departement.as_ref().map(|d| d.to_string()),
        objectif_postes: new.objectif_postes,
        engage_centimes: 0,
        verse_centimes: 0,
        version: 1,
        cree_le: now.clone(),
        modifie_le: now,
    };
    insert_then_read!(tx, enveloppes::table, &row, |conn| find_enveloppe(
        conn, &id
    ))
}

/// One envelope.
pub fn find_enveloppe(conn: &mut DbConn, id: &EnveloppeId) -> QueryResult<Option<Enveloppe>> {
    crate::db_run!(
        conn,
        |c| row_by_key!(c, enveloppes::table, id.as_str() => EnveloppeRow)
    )
}

/// Locks an envelope's row until the end of the transaction (every money movement on it waits),
/// and reads it. `FOR NO KEY UPDATE` on PostgreSQL: a commitment inserted before its envelope's
/// lock holds the foreign key's `KEY SHARE` on the envelope, which a `FOR UPDATE` would wait for
/// (two such commitments would deadlock).
pub fn lock_enveloppe(tx: &mut WriteTx<'_>, id: &EnveloppeId) -> QueryResult<Option<Enveloppe>> {
    row_by_key!(lock tx, enveloppes::table, id.as_str() => EnveloppeRow, no_key)
}

/// Writes the editable fields of a locked envelope and bumps its version; returns it as read
/// back. The sums are never written here (see [`move_money`]).
pub fn save_enveloppe(tx: &mut WriteTx<'_>, enveloppe: &Enveloppe) -> QueryResult<Enveloppe> {
    update_versioned!(
        tx,
        enveloppes,
        enveloppe.id.as_str(),
        [
            enveloppes::libelle.eq(&enveloppe.libelle),
            enveloppes::financeur.eq(&enveloppe.financeur),
            enveloppes::programme_budgetaire.eq(enveloppe.programme_budgetaire.as_ref()),
            enveloppes::montant_centimes.eq(enveloppe.montant_centimes),
            enveloppes::date_debut.eq(date_text(enveloppe.date_debut)),
            enveloppes::date_fin.eq(date_text(enveloppe.date_fin)),
            enveloppes::objectif_postes.eq(enveloppe.objectif_postes),
        ]
    )?;
    find_enveloppe(tx.conn(), &enveloppe.id)?.ok_or(diesel::result::Error::NotFound)
}

list_fn! {
    /// A page of envelopes, newest first.
    pub fn list_enveloppes(filter: &EnveloppeFilter) -> Page<Enveloppe> {
        rows enveloppes as EnveloppeRow, by id => desc;
        equal [enveloppes::nature => filter.nature];
        then |mut query| {
            if let Some(departement) = &filter.departement {
                query = query.filter(
                    enveloppes::perimetre_departement
                        .is_null()
                        .or(enveloppes::perimetre_departement.eq(departement.as_str())),
                );
            }
            query
        }
    }
}

/// The money of every département of an envelope that has a ceiling or money in it, by code.
pub fn departements(
    conn: &mut DbConn,
    enveloppe_id: &EnveloppeId,
) -> QueryResult<Vec<SoldeDepartement>> {
    enveloppes_departements::table
        .filter(enveloppes_departements::enveloppe_id.eq(enveloppe_id.as_str()))
        .select(DepartementRow::as_select())
        .order(enveloppes_departements::departement)
        .load::<DepartementRow>(conn)
        .and_then(converted)
}

/// An envelope's tariffs: public before private, each outside then inside priority territories.
pub fn baremes_of(conn: &mut DbConn, enveloppe_id: &EnveloppeId) -> QueryResult<Vec<Bareme>> {
    baremes::table
        .filter(baremes::enveloppe_id.eq(enveloppe_id.as_str()))
        .select(BaremeRow::as_select())
        .order((baremes::categorie.desc(), baremes::territoire_prioritaire))
        .load::<BaremeRow>(conn)
        .and_then(converted)
}

/// The tariffs of several envelopes (a page), in one query: by envelope, in the order of
/// [`baremes_of`].
pub fn baremes_of_many(
    conn: &mut DbConn,
    ids: &[&EnveloppeId],
) -> QueryResult<Vec<(EnveloppeId, Vec<Bareme>)>> {
    let keys: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    let rows: Vec<BaremeRow> = baremes::table
        .filter(baremes::enveloppe_id.eq_any(keys))
        .select(BaremeRow::as_select())
        .order((
            baremes::enveloppe_id,
            baremes::categorie.desc(),
            baremes::territoire_prioritaire,
        ))
        .load(conn)?;
    let mut grouped: Vec<(EnveloppeId, Vec<Bareme>)> =
        ids.iter().map(|id| ((*id).clone(), Vec::new())).collect();
    for row in rows {
        if let Some((_, list)) = grouped
            .iter_mut()
            .find(|(id, _)| id.as_str() == row.enveloppe_id)
        {
            list.push(Bareme::try_from(row)?);
        }
    }
    Ok(grouped)
}

/// Replaces the tariffs of a locked envelope (already checked) by `baremes`.
pub fn replace_baremes(
    tx: &mut WriteTx<'_>,
    enveloppe_id: &EnveloppeId,
    list: &[Bareme],
) -> QueryResult<()> {
    let rows = list
        .iter()
        .map(|bareme| {
            Ok(BaremeRow {
                enveloppe_id: enveloppe_id.to_string(),
                categorie: bareme.categorie.as_str().to_owned(),
                territoire_prioritaire: bareme.territoire_prioritaire,
                montant_par_poste_centimes: bareme.montant_par_poste_centimes,
                duree_mois: bareme.duree_mois,
                tranches: serde_json::to_string(&bareme.tranches)
                    .map_err(|error| diesel::result::Error::SerializationError(Box::new(error)))?,
            })
        })
        .collect::<QueryResult<Vec<_>>>()?;
    diesel::delete(baremes::table.filter(baremes::enveloppe_id.eq(enveloppe_id.as_str())))
        .execute(tx.conn())?;
    // At most four rows: one statement each (a multi-row insert is not offered on both backends).
    for row in &rows {
        diesel::insert_into(baremes::table)
            .values(row)
            .execute(tx.conn())?;
    }
    Ok(())
}

/// The départements' money of several envelopes (a page), in one query: by envelope, each by
/// code.
pub fn departements_of_many(
    conn: &mut DbConn,
    ids: &[&EnveloppeId],
) -> QueryResult<Vec<(EnveloppeId, Vec<SoldeDepartement>)>> {
    let keys: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    let rows: Vec<(String, DepartementRow)> = enveloppes_departements::table
        .filter(enveloppes_departements::enveloppe_id.eq_any(keys))
        .select((
            enveloppes_departements::enveloppe_id,
            DepartementRow::as_select(),
        ))
        .order((
            enveloppes_departements::enveloppe_id,
            enveloppes_departements::departement,
        ))
        .load(conn)?;
    let mut grouped: Vec<(EnveloppeId, Vec<SoldeDepartement>)> =
        ids.iter().map(|id| ((*id).clone(), Vec::new())).collect();
    for (enveloppe_id, row) in rows {
        if let Some((_, list)) = grouped
            .iter_mut()
            .find(|(id, _)| id.as_str() == enveloppe_id)
        {
            list.push(SoldeDepartement::try_from(row)?);
        }
    }
    Ok(grouped)
}

/// The money of one département of an envelope (nothing engaged, no ceiling when it has no row).
pub fn departement(
    conn: &mut DbConn,
    enveloppe_id: &EnveloppeId,
    departement: &CodeDepartement,
) -> QueryResult<SoldeDepartement> {
    let row = enveloppes_departements::table
        .find((enveloppe_id.as_str(), departement.as_str()))
        .select(DepartementRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => SoldeDepartement::try_from(row),
        None => Ok(SoldeDepartement {
            departement: departement.clone(),
            plafond_centimes: None,
            engage_centimes: 0,
            verse_centimes: 0,
        }),
    }
}

/// Creates a département's row of an envelope (no ceiling, no money) if it has none; `true` when
/// it was created.
fn ensure_departement_row(
    tx: &mut WriteTx<'_>,
    enveloppe_id: &EnveloppeId,
    departement: &CodeDepartement,
) -> QueryResult<bool> {
    let created = insert_if_absent!(
        tx,
        enveloppes_departements::table,
        (
            enveloppes_departements::enveloppe_id.eq(enveloppe_id.as_str()),
            enveloppes_departements::departement.eq(departement.as_str()),
            enveloppes_departements::engage_centimes.eq(0i64),
            enveloppes_departements::verse_centimes.eq(0i64),
        )
    )?;
    Ok(created == 1)
}

/// Sets (`Some`) or removes (`None`) the ceiling of a département on a locked envelope.
pub fn set_plafond(
    tx: &mut WriteTx<'_>,
    enveloppe_id: &EnveloppeId,
    departement: &CodeDepartement,
    plafond: Option<i64>,
) -> QueryResult<()> {
    ensure_departement_row(tx, enveloppe_id, departement)?;
    diesel::update(
        enveloppes_departements::table.find((enveloppe_id.as_str(), departement.as_str())),
    )
    .set(enveloppes_departements::plafond_centimes.eq(plafond))
    .execute(tx.conn())?;
    Ok(())
}

/// Moves money on a locked envelope: applies a movement computed by the domain
/// ([`Mouvement`]) to the envelope's sums and to its département's (whose row is created the
/// first time). The `CHECK`s of the migration refuse a result beyond the amount, the ceiling, or
/// with more paid than engaged.
pub fn move_money(
    tx: &mut WriteTx<'_>,
    enveloppe_id: &EnveloppeId,
    departement: &CodeDepartement,
    mouvement: Mouvement,
) -> QueryResult<()> {
    let Mouvement {
        engage_centimes: engage,
        verse_centimes: verse,
    } = mouvement;
    let moved = diesel::update(enveloppes::table.find(enveloppe_id.as_str()))
        .set((
            enveloppes::engage_centimes.eq(enveloppes::engage_centimes + engage),
            enveloppes::verse_centimes.eq(enveloppes::verse_centimes + verse),
        ))
        .execute(tx.conn())?;
    if moved != 1 {
        return Err(diesel::result::Error::NotFound);
    }
    let move_departement = |tx: &mut WriteTx<'_>| {
        diesel::update(
            enveloppes_departements::table.find((enveloppe_id.as_str(), departement.as_str())),
        )
        .set((
            enveloppes_departements::engage_centimes
                .eq(enveloppes_departements::engage_centimes + engage),
            enveloppes_departements::verse_centimes
                .eq(enveloppes_departements::verse_centimes + verse),
        ))
        .execute(tx.conn())
    };
    // The département's row exists after its first movement: one statement under the lock then.
    if move_departement(tx)? == 0 {
        ensure_departement_row(tx, enveloppe_id, departement)?;
        if move_departement(tx)? != 1 {
            return Err(diesel::result::Error::NotFound);
        }
    }
    Ok(())
}

/// Engages `montant`, dated `date`, on an envelope and its département **if it fits**: the
/// envelope still at the version its caller read (`seen`: whatever was decided from it, such as
/// "no tariffs", still holds), the date within the envelope's period, the envelope's engaged sum
/// within its amount, the département's within its ceiling (the rules of
/// `domain::financement::check_engagement` and `date_engagement` for an envelope without
/// tariffs). One conditional `UPDATE` per row; the first takes
/// the envelope's lock, so that the check and the move are one step for every concurrent
/// commitment. `false`: something does not fit and nothing moved; the caller then locks the
/// envelope, reads its sums and lets the domain say which limit refuses.
pub fn try_engage(
    tx: &mut WriteTx<'_>,
    enveloppe_id: &EnveloppeId,
    departement: &CodeDepartement,
    montant: i64,
    (date, seen): (NaiveDate, i64),
) -> QueryResult<bool> {
    let date = date_text(date);
    let on_envelope = EngageOnEnvelope {
        enveloppe_id: enveloppe_id.as_str(),
        version: seen,
        date: &date,
        montant,
    };
    if crate::db_run!(tx.conn(), |c| on_envelope.execute(c))? == 0 {
        return Ok(false);
    }
    let on_departement = EngageOnDepartement {
        enveloppe_id: enveloppe_id.as_str(),
        departement: departement.as_str(),
        montant,
    };
    let in_departement =
        |tx: &mut WriteTx<'_>| crate::db_run!(tx.conn(), |c| on_departement.execute(c));
    let mut moved = in_departement(tx)?;
    if moved == 0 && ensure_departement_row(tx, enveloppe_id, departement)? {
        // The département's first money on this envelope: no ceiling yet.
        moved = in_departement(tx)?;
    }
    if moved == 0 {
        // Beyond the ceiling: the envelope's sum goes back.
        diesel::update(enveloppes::table.find(enveloppe_id.as_str()))
            .set(enveloppes::engage_centimes.eq(enveloppes::engage_centimes - montant))
            .execute(tx.conn())?;
        return Ok(false);
    }
    Ok(true)
}

/// [`try_engage`]'s first statement, written out so that it stays prepared: Diesel never keeps
/// an `UPDATE` built with its DSL prepared (PostgreSQL parsed and planned it at every
/// commitment). `UPDATE enveloppes SET engage_centimes = engage_centimes + m WHERE id = … AND
/// version = v AND date_debut <= d AND date_fin >= d AND engage_centimes + m <=
/// montant_centimes`. Kept
/// prepared, the two statements raise the commitments' rate (docs/PERFORMANCE.md). The compiler no longer checks their column names: the tests do
/// (`tests/financement*.rs` reach each condition through the API, on both backends).
#[derive(Debug, Clone, Copy)]
struct EngageOnEnvelope<'a> {
    enveloppe_id: &'a str,
    version: i64,
    date: &'a str,
    montant: i64,
}

/// [`try_engage`]'s second statement (see [`EngageOnEnvelope`]): the département's engaged sum,
/// within its ceiling when it has one.
#[derive(Debug, Clone, Copy)]
struct EngageOnDepartement<'a> {
    enveloppe_id: &'a str,
    departement: &'a str,
    montant: i64,
}

crate::prepared_statement!(EngageOnEnvelope, |this, out| {
    out.push_sql("UPDATE enveloppes SET engage_centimes = engage_centimes + ");
    out.push_bind_param::<BigInt, _>(&this.montant)?;
    out.push_sql(" WHERE id = ");
    out.push_bind_param::<Text, _>(this.enveloppe_id)?;
    out.push_sql(" AND version = ");
    out.push_bind_param::<BigInt, _>(&this.version)?;
    out.push_sql(" AND date_debut <= ");
    out.push_bind_param::<Text, _>(this.date)?;
    out.push_sql(" AND date_fin >= ");
    out.push_bind_param::<Text, _>(this.date)?;
    out.push_sql(" AND engage_centimes + ");
    out.push_bind_param::<BigInt, _>(&this.montant)?;
    out.push_sql(" <= montant_centimes");
});

crate::prepared_statement!(EngageOnDepartement, |this, out| {
    out.push_sql("UPDATE enveloppes_departements SET engage_centimes = engage_centimes + ");
    out.push_bind_param::<BigInt, _>(&this.montant)?;
    out.push_sql(" WHERE enveloppe_id = ");
    out.push_bind_param::<Text, _>(this.enveloppe_id)?;
    out.push_sql(" AND departement = ");
    out.push_bind_param::<Text, _>(this.departement)?;
    out.push_sql(" AND (plafond_centimes IS NULL OR engage_centimes + ");
    out.push_bind_param::<BigInt, _>(&this.montant)?;
    out.push_sql(" <= plafond_centimes)");
});

/// The earliest and latest dates of an envelope's commitments, if it has any.
pub fn dates_engagements(
    conn: &mut DbConn,
    enveloppe_id: &EnveloppeId,
) -> QueryResult<Option<(NaiveDate, NaiveDate)>> {
    let (first, last): (Option<String>, Option<String>) = engagements::table
        .filter(engagements::enveloppe_id.eq(enveloppe_id.as_str()))
        .select((
            diesel::dsl::min(engagements::date_engagement),
            diesel::dsl::max(engagements::date_engagement),
        ))
        .first(conn)?;
    match (first, last) {
        (Some(first), Some(last)) => Ok(Some((stored_date(&first)?, stored_date(&last)?))),
        _ => Ok(None),
    }
}

/// A commitment to create (already checked under the envelope's lock).
#[derive(Debug, Clone)]
pub struct NewEngagement<'a> {
    /// The envelope.
    pub enveloppe_id: &'a EnveloppeId,
    /// The convention.
    pub convention_id: &'a ConventionId,
    /// The convention's département.
    pub departement: &'a CodeDepartement,
    /// The employer of the convention it goes to.
    pub beneficiaire_id: &'a StructureId,
    /// Its amount.
    pub montant_centimes: i64,
    /// Its date.
    pub date_engagement: NaiveDate,
    /// What it is for.
    pub objet: &'a str,
}

/// Creates a live commitment's row and returns it, **without its money**: the caller then
/// engages the amount in the same transaction, with [`try_engage`] or under the envelope's lock
/// with [`move_money`] (no other transaction sees the row before its money).
pub fn insert_engagement(tx: &mut WriteTx<'_>, new: &NewEngagement<'_>) -> QueryResult<Engagement> {
    let id = EngagementId::new();
    let now = stored_time(Utc::now());
    let row = EngagementRow {
        id: id.to_string(),
        enveloppe_id: new.enveloppe_id.to_string(),
        convention_id: new.convention_id.to_string(),
        departement: new.departement.to_string(),
        montant_centimes: new.montant_centimes,
        verse_centimes: 0,
        date_engagement: date_text(new.date_engagement),
        objet: new.objet.to_owned(),
        statut: StatutEngagement::Actif.as_str().to_owned(),
        date_annulation: None,
        motif_annulation: None,
        version: 1,
        cree_le: now.clone(),
        modifie_le: now,
        beneficiaire_id: new.beneficiaire_id.to_string(),
    };
    crate::db_run!(tx.conn(), |c| diesel::insert_into(engagements::table)
        .values(&row)
        .execute(c))?;
    Engagement::try_from(row)
}

/// One commitment.
pub fn find_engagement(conn: &mut DbConn, id: &EngagementId) -> QueryResult<Option<Engagement>> {
    row_by_key!(conn, engagements::table, id.as_str() => EngagementRow)
}

/// Locks a commitment's row (after its envelope's) and reads it.
pub fn lock_engagement(tx: &mut WriteTx<'_>, id: &EngagementId) -> QueryResult<Option<Engagement>> {
    row_by_key!(lock tx, engagements::table, id.as_str() => EngagementRow)
}

/// A convention's commitments (on one envelope, or on all), oldest first.
pub fn engagements_of_convention(
    conn: &mut DbConn,
    convention_id: &ConventionId,
    enveloppe_id: Option<&EnveloppeId>,
) -> QueryResult<Vec<Engagement>> {
    let mut query = engagements::table
        .filter(engagements::convention_id.eq(convention_id.as_str()))
        .select(EngagementRow::as_select())
        .order(engagements::id)
        .into_boxed::<Backend>();
    if let Some(enveloppe_id) = enveloppe_id {
        query = query.filter(engagements::enveloppe_id.eq(enveloppe_id.as_str()));
    }
    query.load::<EngagementRow>(conn).and_then(converted)
}

/// The conventions that have commitments on an envelope (live or annulled), by id.
pub fn conventions_engagees(
    conn: &mut DbConn,
    enveloppe_id: &EnveloppeId,
) -> QueryResult<Vec<ConventionId>> {
    engagements::table
        .filter(engagements::enveloppe_id.eq(enveloppe_id.as_str()))
        .select(engagements::convention_id)
        .distinct()
        .order(engagements::convention_id)
        .load::<String>(conn)?
        .into_iter()
        .map(|id| stored(ConventionId::parse(&id)))
        .collect()
}

/// What a convention has engaged on an envelope (live amounts + paid parts of annulled ones)
/// for each of its beneficiaries, by beneficiary, leaving out `except` (a commitment being
/// created, whose money has not moved yet); with `beneficiaire`, for that one only.
pub fn engage_par_beneficiaire(
    conn: &mut DbConn,
    convention_id: &ConventionId,
    enveloppe_id: &EnveloppeId,
    beneficiaire: Option<&StructureId>,
    except: Option<&EngagementId>,
) -> QueryResult<Vec<(StructureId, i64)>> {
    let mut query = engagements::table
        .filter(engagements::convention_id.eq(convention_id.as_str()))
        .filter(engagements::enveloppe_id.eq(enveloppe_id.as_str()))
        .select((
            engagements::beneficiaire_id,
            engagements::statut,
            engagements::montant_centimes,
            engagements::verse_centimes,
        ))
        .order(engagements::beneficiaire_id)
        .into_boxed::<Backend>();
    if let Some(beneficiaire) = beneficiaire {
        query = query.filter(engagements::beneficiaire_id.eq(beneficiaire.as_str()));
    }
    if let Some(except) = except {
        query = query.filter(engagements::id.ne(except.as_str()));
    }
    let rows: Vec<(String, String, i64, i64)> = query.load(conn)?;
    let mut sums: Vec<(StructureId, i64)> = Vec::new();
    for (beneficiaire, statut, montant, verse) in rows {
        let part = part_engagee(stored(StatutEngagement::parse(&statut))?, montant, verse);
        let beneficiaire = stored(StructureId::parse(&beneficiaire))?;
        match sums.last_mut() {
            Some((id, total)) if *id == beneficiaire => {
                // Each part is at most 10^15 and their sum at most the envelope's amount: a
                // checked sum only guards against a corrupted database.
                *total = total.checked_add(part).ok_or_else(|| {
                    diesel::result::Error::DeserializationError(
                        "somme des engagements hors limites".into(),
                    )
                })?;
            }
            _ => sums.push((beneficiaire, part)),
        }
    }
    Ok(sums)
}

/// The commitments to one employer (whatever their convention), by envelope, convention and id.
pub fn engagements_du_beneficiaire(
    conn: &mut DbConn,
    beneficiaire: &StructureId,
) -> QueryResult<Vec<Engagement>> {
    engagements::table
        .filter(engagements::beneficiaire_id.eq(beneficiaire.as_str()))
        .select(EngagementRow::as_select())
        .order((
            engagements::enveloppe_id,
            engagements::convention_id,
            engagements::id,
        ))
        .load::<EngagementRow>(conn)
        .and_then(converted)
}

/// The payments not cancelled of some commitments, oldest first.
pub fn versements_effectues(
    conn: &mut DbConn,
    engagement_ids: &[EngagementId],
) -> QueryResult<Vec<Versement>> {
    let ids: Vec<&str> = engagement_ids.iter().map(|id| id.as_str()).collect();
    versements::table
        .filter(versements::engagement_id.eq_any(ids))
        .filter(versements::statut.eq(StatutVersement::Effectue.as_str()))
        .select(VersementRow::as_select())
        .order(versements::id)
        .load::<VersementRow>(conn)
        .and_then(converted)
}

/// The payment, not cancelled, that pays a commitment's instalment of rank `tranche`, if any.
pub fn versement_de_tranche(
    conn: &mut DbConn,
    engagement_id: &EngagementId,
    tranche: i64,
) -> QueryResult<Option<VersementId>> {
    let found: Option<String> = versements::table
        .filter(versements::engagement_id.eq(engagement_id.as_str()))
        .filter(versements::tranche.eq(tranche))
        .filter(versements::statut.eq(StatutVersement::Effectue.as_str()))
        .select(versements::id)
        .first(conn)
        .optional()?;
    found.map(|id| stored(VersementId::parse(&id))).transpose()
}

/// Marks a locked live commitment annulled (its money moves apart: [`Mouvement::annulation`]).
pub fn annul_engagement(
    tx: &mut WriteTx<'_>,
    engagement: &Engagement,
    date: NaiveDate,
    motif: &str,
) -> QueryResult<Engagement> {
    update_versioned!(
        tx,
        engagements,
        engagement.id.as_str(),
        [
            engagements::statut.eq(StatutEngagement::Annule.as_str()),
            engagements::date_annulation.eq(Some(date_text(date))),
            engagements::motif_annulation.eq(Some(motif)),
        ]
    )?;
    find_engagement(tx.conn(), &engagement.id)?.ok_or(diesel::result::Error::NotFound)
}

list_fn! {
    /// A page of commitments within `scope`, newest first.
    pub fn list_engagements(filter: &EngagementFilter, scope: &ScopeFilter) -> Page<Engagement> {
        rows engagements as EngagementRow, by id => desc;
        scope departement = engagements::departement,
            structure = |id| party_to!(engagements::convention_id, id);
        equal [
            engagements::enveloppe_id => filter.enveloppe_id,
            engagements::convention_id => filter.convention_id,
            engagements::beneficiaire_id => filter.beneficiaire_id,
            engagements::departement => filter.departement,
            engagements::statut => filter.statut,
        ];
    }
}

/// A payment to record (already checked under the envelope's lock).
#[derive(Debug, Clone)]
pub struct NewVersement<'a> {
    /// The locked, live commitment it pays.
    pub engagement: &'a Engagement,
    /// Its amount.
    pub montant_centimes: i64,
    /// Paid on.
    pub date_versement: NaiveDate,
    /// Accounting reference.
    pub reference: &'a str,
    /// The instalment it pays, if it names one.
    pub tranche: Option<i64>,
}

/// Records a payment's row (its money moves apart: [`pay`] with [`Mouvement::versement`]).
pub fn insert_versement(tx: &mut WriteTx<'_>, new: &NewVersement<'_>) -> QueryResult<Versement> {
    let row = VersementRow {
        id: VersementId::new().to_string(),
        engagement_id: new.engagement.id.to_string(),
        montant_centimes: new.montant_centimes,
        date_versement: date_text(new.date_versement),
        reference: new.reference.to_owned(),
        statut: StatutVersement::Effectue.as_str().to_owned(),
        date_annulation: None,
        motif_annulation: None,
        cree_le: stored_time(Utc::now()),
        tranche: new.tranche,
    };
    diesel::insert_into(versements::table)
        .values(&row)
        .execute(tx.conn())?;
    Versement::try_from(row)
}

/// Applies a payment's movement ([`Mouvement::versement`]) to a locked commitment's paid sum (a
/// new version) and to its envelope's and département's sums.
pub fn pay(tx: &mut WriteTx<'_>, engagement: &Engagement, mouvement: Mouvement) -> QueryResult<()> {
    update_versioned!(
        tx,
        engagements,
        engagement.id.as_str(),
        [engagements::verse_centimes.eq(engagements::verse_centimes + mouvement.verse_centimes),]
    )?;
    move_money(
        tx,
        &engagement.enveloppe_id,
        &engagement.departement,
        mouvement,
    )
}

/// One payment.
pub fn find_versement(conn: &mut DbConn, id: &VersementId) -> QueryResult<Option<Versement>> {
    row_by_key!(conn, versements::table, id.as_str() => VersementRow)
}

/// Locks a payment's row (after its envelope's and commitment's) and reads it.
pub fn lock_versement(tx: &mut WriteTx<'_>, id: &VersementId) -> QueryResult<Option<Versement>> {
    row_by_key!(lock tx, versements::table, id.as_str() => VersementRow)
}

/// Marks a locked payment cancelled (its money moves apart: [`pay`] with the opposite amount).
pub fn annul_versement(
    tx: &mut WriteTx<'_>,
    versement: &Versement,
    date: NaiveDate,
    motif: &str,
) -> QueryResult<Versement> {
    diesel::update(versements::table.find(versement.id.as_str()))
        .set((
            versements::statut.eq(StatutVersement::Annule.as_str()),
            versements::date_annulation.eq(Some(date_text(date))),
            versements::motif_annulation.eq(Some(motif)),
        ))
        .execute(tx.conn())?;
    find_versement(tx.conn(), &versement.id)?.ok_or(diesel::result::Error::NotFound)
}

list_fn! {
    /// A page of a commitment's payments, oldest first.
    pub fn list_versements(engagement_id: &EngagementId) -> Page<Versement> {
        rows versements as VersementRow, by id => asc;
        where versements::engagement_id.eq(engagement_id.to_string());
    }
}

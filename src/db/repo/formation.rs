//! Trainings and certifications: their rows, written one by one under the advisor's row lock,
//! and read for one advisor or a page of them in one query (trainings left-joined with the
//! certifications that follow them: a certification always names its person's initial training).

use chrono::Utc;
use diesel::prelude::*;

use super::idempotency::stored_time;
use super::{date_text, optional_date, stored, stored_date, stored_option};
use crate::db::schema::{certifications, formations};
use crate::db::{DbConn, WriteTx};
use crate::domain::formation::{
    Certification, Formation, ResultatCertification, TypeCertification, TypeFormation,
};
use crate::domain::ids::{CertificationId, ConseillerId, ContratId, FormationId, StructureId};

/// A row of `formations`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = formations, treat_none_as_default_value = false)]
struct FormationRow {
    id: String,
    conseiller_id: String,
    type_formation: String,
    parcours_heures: Option<i32>,
    date_debut: String,
    date_fin: Option<String>,
    organisme: Option<String>,
    contrat_id: Option<String>,
    structure_id: String,
    reprise: bool,
    version: i64,
    cree_le: String,
}

/// A row of `certifications`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = certifications, treat_none_as_default_value = false)]
struct CertificationRow {
    id: String,
    conseiller_id: String,
    formation_id: String,
    type_certification: String,
    date: String,
    resultat: String,
    reprise: bool,
    version: i64,
    cree_le: String,
}

impl TryFrom<FormationRow> for Formation {
    type Error = diesel::result::Error;
    fn try_from(row: FormationRow) -> QueryResult<Formation> {
        Ok(Formation {
            id: stored(FormationId::try_from(row.id))?,
            conseiller_id: stored(ConseillerId::try_from(row.conseiller_id))?,
            type_formation: stored(TypeFormation::parse(&row.type_formation))?,
            parcours_heures: row.parcours_heures,
            date_debut: stored_date(&row.date_debut)?,
            date_fin: optional_date(row.date_fin)?,
            organisme: row.organisme,
            contrat_id: stored_option(row.contrat_id, ContratId::parse)?,
            structure_id: stored(StructureId::try_from(row.structure_id))?,
            reprise: row.reprise,
            version: row.version,
            cree_le: row.cree_le,
        })
    }
}

impl TryFrom<CertificationRow> for Certification {
    type Error = diesel::result::Error;
    fn try_from(row: CertificationRow) -> QueryResult<Certification> {
        Ok(Certification {
            id: stored(CertificationId::try_from(row.id))?,
            conseiller_id: stored(ConseillerId::try_from(row.conseiller_id))?,
            formation_id: stored(FormationId::try_from(row.formation_id))?,
            type_certification: stored(TypeCertification::parse(&row.type_certification))?,
            date: stored_date(&row.date)?,
            resultat: stored(ResultatCertification::parse(&row.resultat))?,
            reprise: row.reprise,
            version: row.version,
            cree_le: row.cree_le,
        })
    }
}

/// The trainings and certifications of some advisors.
#[derive(Debug, Default)]
pub struct Parcours {
    /// Their trainings, by advisor, first day and id.
    pub formations: Vec<Formation>,
    /// Their certifications, by advisor, date and id.
    pub certifications: Vec<Certification>,
}

/// The trainings and certifications of the advisors `ids`, in one query.
pub fn of_conseillers(conn: &mut DbConn, ids: &[&str]) -> QueryResult<Parcours> {
    if ids.is_empty() {
        return Ok(Parcours::default());
    }
    let rows: Vec<(FormationRow, Option<CertificationRow>)> = formations::table
        .left_join(certifications::table)
        .filter(formations::conseiller_id.eq_any(ids))
        .select((
            FormationRow::as_select(),
            Option::<CertificationRow>::as_select(),
        ))
        .order((
            formations::conseiller_id,
            formations::date_debut,
            formations::id,
        ))
        .load(conn)?;
    let mut parcours = Parcours::default();
    let mut last: Option<String> = None;
    for (formation, certification) in rows {
        if last.as_deref() != Some(formation.id.as_str()) {
            last = Some(formation.id.clone());
            parcours.formations.push(Formation::try_from(formation)?);
        }
        if let Some(certification) = certification {
            parcours
                .certifications
                .push(Certification::try_from(certification)?);
        }
    }
    parcours.certifications.sort_by(|a, b| {
        (a.conseiller_id.as_str(), a.date, a.id.as_str()).cmp(&(
            b.conseiller_id.as_str(),
            b.date,
            b.id.as_str(),
        ))
    });
    Ok(parcours)
}

/// The trainings and certifications of one advisor.
pub fn du_conseiller(conn: &mut DbConn, id: &ConseillerId) -> QueryResult<Parcours> {
    of_conseillers(conn, &[id.as_str()])
}

/// Records a training (checked under its advisor's row lock); its time of recording is set here.
/// The partial unique index `formations_initiale` refuses a second initial training of a person.
pub fn insert_formation(tx: &mut WriteTx<'_>, formation: &Formation) -> QueryResult<Formation> {
    let row = FormationRow {
        id: formation.id.to_string(),
        conseiller_id: formation.conseiller_id.to_string(),
        type_formation: formation.type_formation.as_str().to_owned(),
        parcours_heures: formation.parcours_heures,
        date_debut: date_text(formation.date_debut),
        date_fin: formation.date_fin.map(date_text),
        organisme: formation.organisme.clone(),
        contrat_id: formation.contrat_id.as_ref().map(ToString::to_string),
        structure_id: formation.structure_id.to_string(),
        reprise: formation.reprise,
        version: 1,
        cree_le: stored_time(Utc::now()),
    };
    crate::insert_row!(tx, formations::table, &row)?;
    Formation::try_from(row)
}

/// Records a certification (checked under its advisor's row lock); its time of recording is set
/// here.
pub fn insert_certification(
    tx: &mut WriteTx<'_>,
    certification: &Certification,
) -> QueryResult<Certification> {
    let row = CertificationRow {
        id: certification.id.to_string(),
        conseiller_id: certification.conseiller_id.to_string(),
        formation_id: certification.formation_id.to_string(),
        type_certification: certification.type_certification.as_str().to_owned(),
        date: date_text(certification.date),
        resultat: certification.resultat.as_str().to_owned(),
        reprise: certification.reprise,
        version: 1,
        cree_le: stored_time(Utc::now()),
    };
    crate::insert_row!(tx, certifications::table, &row)?;
    Certification::try_from(row)
}

//! The reads of the open-data exports, in keyset batches: each call reads at most `limit` rows
//! after a key (the rows' ids: UUID v7, in creation order) and says where the next batch starts,
//! so that an export of any size holds one batch in memory at a time.

use std::collections::HashMap;

use diesel::prelude::*;

use super::lieu::{LieuRow, lieu_of};
use super::{Backend, stored, stored_date};
use crate::db::DbConn;
use crate::db::schema::{
    communes, conventions, engagements, lieux, postes, structures, versements,
};
use crate::domain::donnees_ouvertes::{Beneficiaire, EngagementPublie, PostePublie};
use crate::domain::financement::{StatutEngagement, StatutVersement};
use crate::domain::lieu::Lieu;

/// One batch of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Lot<T> {
    /// What the batch holds.
    pub items: Vec<T>,
    /// The key to read the next batch after; `None` for the last batch.
    pub suivant: Option<String>,
}

/// The key of the next batch: the last id read, when the batch is full (there may be more).
fn suivant(ids: &[String], limit: usize) -> Option<String> {
    (ids.len() >= limit).then(|| ids.last().cloned()).flatten()
}

/// Up to `limit` commitments after the id `after`, by id, each with its convention's number and
/// signature date, its live payments and its beneficiary's name and SIRET. Annulled commitments
/// are included (the domain decides what they publish).
pub fn subventions(
    conn: &mut DbConn,
    after: Option<&str>,
    limit: usize,
) -> QueryResult<Lot<EngagementPublie>> {
    let mut query = engagements::table
        .inner_join(conventions::table)
        .inner_join(structures::table.on(structures::id.eq(engagements::beneficiaire_id)))
        .select((
            engagements::id,
            engagements::montant_centimes,
            engagements::statut,
            engagements::objet,
            conventions::numero,
            conventions::date_signature,
            structures::nom,
            structures::siret,
        ))
        .order(engagements::id.asc())
        .limit(limit as i64)
        .into_boxed::<Backend>();
    if let Some(after) = after {
        query = query.filter(engagements::id.gt(after.to_owned()));
    }
    type Row = (
        String,
        i64,
        String,
        String,
        String,
        Option<String>,
        String,
        String,
    );
    let rows: Vec<Row> = query.load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();

    let mut paiements: HashMap<String, Vec<(chrono::NaiveDate, i64)>> = HashMap::new();
    let paid: Vec<(String, String, i64)> = versements::table
        .filter(versements::engagement_id.eq_any(&ids))
        .filter(versements::statut.eq(StatutVersement::Effectue.as_str()))
        .select((
            versements::engagement_id,
            versements::date_versement,
            versements::montant_centimes,
        ))
        .order((
            versements::engagement_id,
            versements::date_versement,
            versements::id,
        ))
        .load(conn)?;
    for (engagement, date, montant) in paid {
        paiements
            .entry(engagement)
            .or_default()
            .push((stored_date(&date)?, montant));
    }

    let suivant = suivant(&ids, limit);
    let items = rows
        .into_iter()
        .map(
            |(id, montant, statut, objet, numero, signature, nom, siret)| {
                // A commitment is only made on a signed convention (the domain's rule, and the
                // convention's CHECKs keep the date once signed): a missing date is a bug.
                let signature = signature.ok_or_else(|| {
                    diesel::result::Error::DeserializationError(
                        format!("engagement {id} : convention {numero} sans date de signature")
                            .into(),
                    )
                })?;
                Ok(EngagementPublie {
                    date_convention: stored_date(&signature)?,
                    reference: numero,
                    objet,
                    montant_centimes: montant,
                    statut: stored(StatutEngagement::parse(&statut))?,
                    versements: paiements.remove(&id).unwrap_or_default(),
                    beneficiaire: Beneficiaire { nom, siret },
                })
            },
        )
        .collect::<QueryResult<Vec<_>>>()?;
    Ok(Lot { items, suivant })
}

/// Up to `limit` lieux after the id `after`, by id, each with its commune's name (from the
/// référentiel) and the SIRET of the structure that runs it.
pub fn lieux(
    conn: &mut DbConn,
    after: Option<&str>,
    limit: usize,
) -> QueryResult<Lot<(Lieu, String)>> {
    let mut query = lieux::table
        .inner_join(communes::table)
        .inner_join(structures::table)
        .select((LieuRow::as_select(), communes::nom, structures::siret))
        .order(lieux::id.asc())
        .limit(limit as i64)
        .into_boxed::<Backend>();
    if let Some(after) = after {
        query = query.filter(lieux::id.gt(after.to_owned()));
    }
    let rows: Vec<(LieuRow, String, String)> = query.load(conn)?;
    let ids: Vec<String> = rows.iter().map(|(row, _, _)| row.id.clone()).collect();
    let items = rows
        .into_iter()
        .map(|(row, commune, siret)| Ok((lieu_of((row, commune))?, siret)))
        .collect::<QueryResult<Vec<_>>>()?;
    Ok(Lot {
        items,
        suivant: suivant(&ids, limit),
    })
}

/// Up to `limit` posts after the id `after`, by id, each with its convention's number and its
/// host's SIRET and name (never its occupant).
pub fn postes(
    conn: &mut DbConn,
    after: Option<&str>,
    limit: usize,
) -> QueryResult<Lot<PostePublie>> {
    let mut query = postes::table
        .inner_join(conventions::table)
        .inner_join(structures::table)
        .select((
            postes::id,
            postes::departement,
            conventions::numero,
            structures::siret,
            structures::nom,
            postes::typologie,
            postes::etat,
            postes::depuis,
            postes::libere_le,
        ))
        .order(postes::id.asc())
        .limit(limit as i64)
        .into_boxed::<Backend>();
    if let Some(after) = after {
        query = query.filter(postes::id.gt(after.to_owned()));
    }
    type Ligne = (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
    );
    let rows: Vec<Ligne> = query.load(conn)?;
    let ids: Vec<String> = rows.iter().map(|row| row.0.clone()).collect();
    let items = rows
        .into_iter()
        .map(
            |(id, departement, convention, siret, nom, typologie, etat, depuis, libere_le)| {
                PostePublie {
                    id,
                    departement,
                    convention,
                    siret,
                    nom,
                    typologie,
                    etat,
                    depuis,
                    libere_le,
                }
            },
        )
        .collect();
    Ok(Lot {
        items,
        suivant: suivant(&ids, limit),
    })
}

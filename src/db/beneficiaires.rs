//! The data step of the migration to money per employer (`2026-12-18-000001_beneficiaires`):
//! the commitments stored before it went to a whole convention; each is split here among the
//! convention's employers, **as they stood when it was taken**, and its payments with it.
//!
//! It runs right after that migration and before the next one, which makes the beneficiary
//! required ([`super::run_migrations`]). It touches only commitments without a beneficiary, in
//! one transaction: run again, it finds none and does nothing.
//!
//! The employers of a convention at a commitment's creation are read from the journal: its
//! creation's view and the fields of each change up to that instant, replayed (its posts,
//! signatories and split); a convention whose journal does not tell them (the bulk seed writes
//! no entry) is taken as it stands. The split itself is `domain::financement::repartir_engagement`:
//! largest remainders of the posts, each payment by what is left to pay to each employer.
//!
//! Only the columns that exist at that migration are read and written, so that a later change
//! of these tables does not break an upgrade from an older release.

use diesel::prelude::*;

use super::DbConn;
use super::schema::{conventions, engagements, journal, versements};
use crate::domain::convention::{PartHote, parts_employeurs};
use crate::domain::financement::{VersementARepartir, repartir_engagement};
use crate::domain::ids::{EngagementId, StructureId, VersementId};
use crate::domain::journal::RessourceJournal;

/// What the split needs of a convention's state: its posts, signatories and split (the stored
/// columns, or the same fields of a journaled view).
#[derive(Debug, serde::Deserialize)]
struct EtatConvention {
    postes_attribues: i64,
    signataires: Vec<StructureId>,
    #[serde(default)]
    repartition: Vec<PartHote>,
}

fn json_error(error: serde_json::Error) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(Box::new(error))
}

/// The convention's state at `instant` (RFC 3339 UTC, as stored): its journal replayed up to
/// then, or the stored row when the journal does not tell it (no creation entry).
fn etat_convention(
    conn: &mut DbConn,
    convention_id: &str,
    instant: &str,
) -> QueryResult<EtatConvention> {
    // Its journal up to then, oldest first: the creation's view is whole, each change's holds
    // the fields it changed; replayed, they give the state of the instant.
    let vues: Vec<Option<String>> = crate::db_run!(conn, |c| journal::table
        .filter(journal::ressource.eq(RessourceJournal::Convention.as_str()))
        .filter(journal::ressource_id.eq(convention_id))
        .filter(journal::horodatage.le(instant))
        .order((journal::horodatage, journal::id))
        .select(journal::apres)
        .load::<Option<String>>(c))?;
    let mut etat = serde_json::Map::new();
    for vue in vues.iter().flatten() {
        if let serde_json::Value::Object(champs) = serde_json::from_str(vue).map_err(json_error)? {
            etat.extend(champs);
        }
    }
    if let Ok(etat) = serde_json::from_value::<EtatConvention>(serde_json::Value::Object(etat)) {
        return Ok(etat);
    }
    let (postes_attribues, signataires, repartition): (i64, String, String) =
        crate::db_run!(conn, |c| conventions::table
            .find(convention_id)
            .select((
                conventions::postes_attribues,
                conventions::signataires,
                conventions::repartition,
            ))
            .first(c))?;
    Ok(EtatConvention {
        postes_attribues,
        signataires: serde_json::from_str(&signataires).map_err(json_error)?,
        repartition: serde_json::from_str(&repartition).map_err(json_error)?,
    })
}

/// A stored commitment without a beneficiary.
type Stored = (String, String, i64, String);

/// Splits every commitment without a beneficiary (see the module); returns how many there were.
pub fn repartir(conn: &mut DbConn) -> QueryResult<usize> {
    super::write(conn, |tx| repartir_tout(tx.conn()))
}

fn repartir_tout(conn: &mut DbConn) -> QueryResult<usize> {
    let stored: Vec<Stored> = crate::db_run!(conn, |c| engagements::table
        .filter(engagements::beneficiaire_id.is_null())
        .order(engagements::id)
        .select((
            engagements::id,
            engagements::convention_id,
            engagements::montant_centimes,
            engagements::cree_le,
        ))
        .load(c))?;
    for (id, convention_id, montant, cree_le) in &stored {
        repartir_un(conn, id, convention_id, *montant, cree_le)?;
    }
    Ok(stored.len())
}

fn repartir_un(
    conn: &mut DbConn,
    id: &str,
    convention_id: &str,
    montant: i64,
    cree_le: &str,
) -> QueryResult<()> {
    let etat = etat_convention(conn, convention_id, cree_le)?;
    let employeurs = parts_employeurs(etat.postes_attribues, &etat.signataires, &etat.repartition);
    if employeurs.is_empty() {
        return Err(diesel::result::Error::DeserializationError(
            format!("engagement {id} : la convention {convention_id} n'a pas d'employeur").into(),
        ));
    }
    let postes: Vec<i64> = employeurs.iter().map(|(_, postes)| *postes).collect();
    // Payments in date order (then as recorded).
    let paiements: Vec<(String, i64, String)> = crate::db_run!(conn, |c| versements::table
        .filter(versements::engagement_id.eq(id))
        .order((versements::date_versement, versements::id))
        .select((
            versements::id,
            versements::montant_centimes,
            versements::statut,
        ))
        .load(c))?;
    let split = repartir_engagement(
        montant,
        &postes,
        &paiements
            .iter()
            .map(|(_, montant, statut)| VersementARepartir {
                montant_centimes: *montant,
                effectue: statut == "effectue",
            })
            .collect::<Vec<_>>(),
    );
    // Each employer's commitment: the first with an amount keeps the stored id (what integrators
    // hold), the others are new rows, copies of it but for the amounts and the beneficiary.
    let mut ids: Vec<Option<String>> = Vec::with_capacity(employeurs.len());
    for (((beneficiaire, _), part), verse) in
        employeurs.iter().zip(&split.montants).zip(&split.verses)
    {
        if *part == 0 {
            ids.push(None);
            continue;
        }
        let beneficiaire = beneficiaire.as_str();
        if ids.iter().all(Option::is_none) {
            crate::db_run!(conn, |c| diesel::update(engagements::table.find(id))
                .set((
                    engagements::montant_centimes.eq(part),
                    engagements::verse_centimes.eq(verse),
                    engagements::beneficiaire_id.eq(beneficiaire),
                ))
                .execute(c))?;
            ids.push(Some(id.to_owned()));
        } else {
            let nouveau = EngagementId::new().to_string();
            copy_engagement(conn, id, &nouveau, (*part, *verse), beneficiaire)?;
            ids.push(Some(nouveau));
        }
    }
    // Each payment's parts go to the commitments of their employers: the first keeps the
    // stored id, the others are new rows.
    for ((versement_id, _, _), parts) in paiements.iter().zip(&split.versements) {
        let mut premier = true;
        for (part, engagement) in parts.iter().zip(&ids) {
            let Some(engagement) = engagement.as_deref().filter(|_| *part > 0) else {
                continue;
            };
            if premier {
                crate::db_run!(conn, |c| diesel::update(
                    versements::table.find(versement_id)
                )
                .set((
                    versements::montant_centimes.eq(part),
                    versements::engagement_id.eq(engagement),
                ))
                .execute(c))?;
                premier = false;
            } else {
                copy_versement(conn, versement_id, *part, engagement)?;
            }
        }
    }
    Ok(())
}

/// A new commitment `nouveau`, a copy of `source` but for its amount and paid part and its
/// beneficiary.
fn copy_engagement(
    conn: &mut DbConn,
    source: &str,
    nouveau: &str,
    (montant, verse): (i64, i64),
    beneficiaire: &str,
) -> QueryResult<()> {
    crate::db_run!(conn, |c| {
        let row = engagements::table
            .find(source)
            .select((
                engagements::enveloppe_id,
                engagements::convention_id,
                engagements::departement,
                engagements::date_engagement,
                engagements::objet,
                engagements::statut,
                engagements::date_annulation,
                engagements::motif_annulation,
                engagements::version,
                engagements::cree_le,
                engagements::modifie_le,
            ))
            .first::<(
                String,
                String,
                String,
                String,
                String,
                String,
                Option<String>,
                Option<String>,
                i64,
                String,
                String,
            )>(c)?;
        diesel::insert_into(engagements::table)
            .values((
                engagements::id.eq(nouveau),
                engagements::enveloppe_id.eq(row.0),
                engagements::convention_id.eq(row.1),
                engagements::departement.eq(row.2),
                engagements::montant_centimes.eq(montant),
                engagements::verse_centimes.eq(verse),
                engagements::date_engagement.eq(row.3),
                engagements::objet.eq(row.4),
                engagements::statut.eq(row.5),
                engagements::date_annulation.eq(row.6),
                engagements::motif_annulation.eq(row.7),
                engagements::version.eq(row.8),
                engagements::cree_le.eq(row.9),
                engagements::modifie_le.eq(row.10),
                engagements::beneficiaire_id.eq(beneficiaire),
            ))
            .execute(c)
    })?;
    Ok(())
}

/// A new payment, a copy of `source` but for its amount and its commitment.
fn copy_versement(
    conn: &mut DbConn,
    source: &str,
    montant: i64,
    engagement: &str,
) -> QueryResult<()> {
    crate::db_run!(conn, |c| {
        let row = versements::table
            .find(source)
            .select((
                versements::date_versement,
                versements::reference,
                versements::statut,
                versements::date_annulation,
                versements::motif_annulation,
                versements::cree_le,
            ))
            .first::<(
                String,
                String,
                String,
                Option<String>,
                Option<String>,
                String,
            )>(c)?;
        diesel::insert_into(versements::table)
            .values((
                versements::id.eq(VersementId::new().to_string()),
                versements::engagement_id.eq(engagement),
                versements::montant_centimes.eq(montant),
                versements::date_versement.eq(row.0),
                versements::reference.eq(row.1),
                versements::statut.eq(row.2),
                versements::date_annulation.eq(row.3),
                versements::motif_annulation.eq(row.4),
                versements::cree_le.eq(row.5),
            ))
            .execute(c)
    })?;
    Ok(())
}

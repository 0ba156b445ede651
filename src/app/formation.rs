//! Trainings and certifications of an advisor (issue 25 §4): each recorded under the person's
//! row lock ([`locks::conseiller_row`]: nothing below it in the lock order is taken), so that two
//! requests for the same person never both record an initial training; the partial unique index
//! `formations_initiale` backs the rule.
//!
//! Access is the advisor's (as for its lieux): admin, the préfecture of its département, its
//! employer; a lecteur 403; out of scope 404. The journal records each as a change of the advisor
//! (`ajout_formation`, `ajout_certification`: the row as `apres`), like an envelope's ceiling is
//! a change of the envelope.

use super::conseiller::{check_access, not_found};
use super::journal::{record_view, snapshot};
use super::{Context, Gate, locks};
use crate::api::formation::{NouvelleCertification, NouvelleFormation};
use crate::auth::policy::Action;
use crate::db::WriteTx;
use crate::db::repo::contrat as contrats;
use crate::db::repo::formation as repo;
use crate::domain::activite::check_sous_contrat;
use crate::domain::calendar::effective_date;
use crate::domain::conseiller::Conseiller;
use crate::domain::formation::{
    Certification, FORMATION_INITIALE_EXISTANTE, Formation, check_certification, check_dates,
    check_parcours, check_une_initiale,
};
use crate::domain::ids::{CertificationId, ConseillerId, FormationId};
use crate::domain::journal::RessourceJournal;
use crate::domain::refusal::Refusal;
use crate::error::ApiError;

/// The advisor locked (its row alone), seen by the caller (404) who may act on it (403).
fn locked(tx: &mut WriteTx<'_>, ctx: &Context, id: &ConseillerId) -> Result<Conseiller, ApiError> {
    let conseiller = locks::conseiller_row(tx, id)?.ok_or_else(not_found)?;
    check_access(&ctx.caller, &conseiller, Action::Act)?;
    Ok(conseiller)
}

/// Writes the journal's entry of a training or a certification: a change of its advisor.
fn journal<T: serde::Serialize>(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    action: &str,
    conseiller: &Conseiller,
    created: &T,
) -> Result<(), ApiError> {
    record_view(
        tx,
        &ctx.author,
        action,
        (
            RessourceJournal::Conseiller,
            conseiller.id.as_str(),
            Some(&conseiller.departement),
        ),
        None,
        &snapshot(created)?,
    )
}

/// Records a training of the advisor: the hours of its type (422 `validation` on
/// `/parcours_heures`), a first day not in the future (422 `date_future`) and a last day not
/// before it (422 `date_anterieure` on `/date_fin`), one initial training per person whatever
/// its employers (409 `formation_initiale_existante`, with its `formation_id`), a contract of
/// the person in force on the first day (409 `sans_contrat`), whose id and employer the training
/// keeps.
pub fn creer_formation(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConseillerId,
    gate: impl Gate<NouvelleFormation>,
) -> Result<Formation, ApiError> {
    let conseiller = locked(tx, ctx, id)?;
    let new = gate(conseiller.version)?;
    check_parcours(new.type_formation, new.parcours_heures)?;
    let date_debut = effective_date("date_debut", Some(new.date_debut), ctx.today, None)?;
    check_dates(date_debut, new.date_fin)?;
    check_une_initiale(new.type_formation, &conseiller.formations)?;
    let en_vigueur = contrats::en_vigueur_le(tx.conn(), &conseiller.id, date_debut)?;
    let contrat_id = check_sous_contrat(&conseiller.id, date_debut, en_vigueur)?;
    let contrat = contrats::find(tx.conn(), &contrat_id)?
        .ok_or_else(|| ApiError::internal(format!("contrat {contrat_id} introuvable")))?;
    let formation = Formation {
        id: FormationId::new(),
        conseiller_id: conseiller.id.clone(),
        type_formation: new.type_formation,
        parcours_heures: new.parcours_heures,
        date_debut,
        date_fin: Some(new.date_fin),
        organisme: Some(new.organisme.trim().to_owned()),
        contrat_id: Some(contrat.id),
        structure_id: contrat.structure_id,
        reprise: false,
        version: 1,
        cree_le: String::new(),
    };
    let created = repo::insert_formation(tx, &formation).map_err(|error| {
        // Under the person's lock a second initial training is refused above; the index is the
        // last word if a write ever bypasses that lock.
        ApiError::from(error).refine(|violation| {
            let initiale = violation.constraint.as_deref() == Some("formations_initiale")
                || violation.columns.iter().any(|c| c == "conseiller_id");
            initiale.then(|| {
                Refusal::new(
                    &FORMATION_INITIALE_EXISTANTE,
                    "Le conseiller a déjà une formation initiale : une seule par personne.",
                )
            })
        })
    })?;
    journal(tx, ctx, "ajout_formation", &conseiller, &created)?;
    Ok(created)
}

/// Records a certification of the advisor: after its initial training (409
/// `sans_formation_initiale` without one), dated after that training's last day (422
/// `date_anterieure` on `/date`) and not in the future (422 `date_future`).
pub fn creer_certification(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConseillerId,
    gate: impl Gate<NouvelleCertification>,
) -> Result<Certification, ApiError> {
    let conseiller = locked(tx, ctx, id)?;
    let new = gate(conseiller.version)?;
    let date = effective_date("date", Some(new.date), ctx.today, None)?;
    let initiale = check_certification(&conseiller.formations, date)?;
    let certification = Certification {
        id: CertificationId::new(),
        conseiller_id: conseiller.id.clone(),
        formation_id: initiale.id.clone(),
        type_certification: new.type_certification,
        date,
        resultat: new.resultat,
        reprise: false,
        version: 1,
        cree_le: String::new(),
    };
    let created = repo::insert_certification(tx, &certification)?;
    journal(tx, ctx, "ajout_certification", &conseiller, &created)?;
    Ok(created)
}

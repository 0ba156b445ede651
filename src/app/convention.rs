//! Conventions' use cases: creation, the free-field change, the lifecycle actions and the
//! avenants — with what they do to the other aggregates.
//!
//! Every change goes through [`act`] (or [`amend`]): lock the convention, access (404, then
//! 403), the gate (body, `If-Match`), the status (409 `transition_invalide`), the action's rule,
//! save, journal. A convention's end first asks [`conseiller`](super::conseiller) whether an
//! advisor is still active, then annuls its commitments through
//! [`financement`](super::financement); a withdrawal asks both whether the new posts still hold
//! the advisors and the money. Those modules never call back here.

use chrono::{Datelike, NaiveDate};

use super::{Context, Gate, conseiller, financement, journal, locks, poste};
use crate::api::convention::{
    Cloture, ModificationConvention, NouvelAvenant, NouvelleConvention, ProjetAccueil, Resiliation,
    Signature, Validation,
};
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Perimeter, Resource};
use crate::db::repo::convention::{self as repo, NewAvenant, NewConvention};
use crate::db::repo::financement as money;
use crate::db::repo::structure as structures;
use crate::db::{DbConn, WriteTx};
use crate::domain::calendar::effective_date;
use crate::domain::codes::CodeDepartement;
use crate::domain::convention::{
    ActionConvention, Avenant, Convention, DELAI_PROJET_PAR_DEFAUT, PartHote, check_hotes,
    check_repartition, check_repartition_avenant, check_signataires, date_limite_projet,
    postes_apres_avenant,
};
use crate::domain::ids::{ConventionId, StructureId};
use crate::domain::lifecycle::apply;
use crate::error::ApiError;

/// 404 for a convention unknown or out of the caller's scope.
pub fn not_found() -> ApiError {
    ApiError::NotFound("Aucune convention de cet identifiant dans votre portée.".to_owned())
}

/// The départements of the structures a request names, read in the transaction.
fn departements_of(
    tx: &mut WriteTx<'_>,
    ids: &[StructureId],
) -> Result<Vec<(StructureId, CodeDepartement)>, ApiError> {
    Ok(structures::find_many(tx.conn(), ids)?
        .into_iter()
        .map(|s| (s.id, s.departement))
        .collect())
}

/// A structure's département among those read (none: unknown structure).
fn lookup(
    found: &[(StructureId, CodeDepartement)],
) -> impl Fn(&StructureId) -> Option<CodeDepartement> + '_ {
    move |id| found.iter().find(|(f, _)| f == id).map(|(_, d)| d.clone())
}

/// Creates a convention (`brouillon`), its signatories structures of its département.
pub fn create(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    new: NouvelleConvention,
) -> Result<Convention, ApiError> {
    let found = departements_of(tx, &new.signataires)?;
    check_signataires(&new.departement, &new.signataires, &lookup(&found))?;
    let created = repo::insert(
        tx,
        &NewConvention {
            departement: new.departement,
            intitule: new.intitule.trim().to_owned(),
            signataires: new.signataires,
            postes_attribues: new.postes_attribues,
            delai_projet_mois: new
                .delai_projet_mois
                .unwrap_or(i64::from(DELAI_PROJET_PAR_DEFAUT)),
            annee: ctx.today.year(),
        },
    )?;
    journal::record(tx, &ctx.author, "creation", None, &created)?;
    Ok(created)
}

/// Whether the caller may create a convention in `departement` (403 otherwise: nothing exists
/// to hide).
pub fn check_create(ctx: &Context, departement: Option<&CodeDepartement>) -> Result<(), ApiError> {
    let place = Perimeter::of_departement(departement);
    Ok(policy::check_create(
        &ctx.caller,
        Resource::Convention,
        &place,
    )?)
}

/// What a lifecycle action changes on the locked convention, from its input, on `today`.
pub type Rule<'r, T> =
    Box<dyn FnOnce(&mut WriteTx<'_>, &mut Convention, T, NaiveDate) -> Result<(), ApiError> + 'r>;

/// The access an action needs: the hosting project is its own resource (a signatory structure
/// files it); a free-field change is an edit.
fn access(action: ActionConvention) -> (Resource, Action) {
    match action {
        ActionConvention::ProjetAccueil => (Resource::ProjetAccueil, Action::Act),
        ActionConvention::Modification => (Resource::Convention, Action::Edit),
        _ => (Resource::Convention, Action::Act),
    }
}

/// One change of a convention (see the module doc). When the action ends the convention
/// (résiliation, clôture), no advisor may still be active, and its live commitments are annulled
/// in the same transaction.
pub fn act<T>(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConventionId,
    action: ActionConvention,
    gate: impl Gate<T>,
    rule: Rule<'_, T>,
) -> Result<Convention, ApiError> {
    let current = locks::convention(tx, id)?.ok_or_else(not_found)?;
    let (resource, permission) = access(action);
    policy::check_convention(&ctx.caller, &current, resource, permission)?;
    let input = gate(current.version)?;
    let mut next = current.clone();
    next.statut = apply(current.statut, action)?;
    let ends = matches!(
        action,
        ActionConvention::Resiliation | ActionConvention::Cloture
    );
    if ends {
        conseiller::check_fin_convention(tx, id, ctx.today)?;
    }
    rule(tx, &mut next, input, ctx.today)?;
    let saved = repo::save(tx, &next)?;
    journal::record(tx, &ctx.author, action.as_str(), Some(&current), &saved)?;
    if ends {
        if let Some(date) = saved.date_resiliation.or(saved.date_cloture) {
            poste::rendre_tous(tx, id, date, ctx.today)?;
        }
        release_money(tx, ctx, &saved)?;
    }
    Ok(saved)
}

/// When a convention ends, its live commitments are annulled, dated from its end: what was not
/// paid returns to the envelopes.
fn release_money(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    convention: &Convention,
) -> Result<(), ApiError> {
    let (date, motif) = match (convention.date_resiliation, convention.date_cloture) {
        (Some(date), _) => (
            date,
            format!(
                "Convention résiliée : {}",
                convention.motif_resiliation.as_deref().unwrap_or_default()
            ),
        ),
        (None, Some(date)) => (date, "Convention close.".to_owned()),
        (None, None) => return Ok(()),
    };
    financement::annul_for_convention(tx, &ctx.author, &convention.id, date, &motif)
}

/// Changes the free fields (the title), at any non-final status.
pub fn modify(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConventionId,
    gate: impl Gate<ModificationConvention>,
) -> Result<Convention, ApiError> {
    let rule: Rule<'_, ModificationConvention> = Box::new(|_, next, change, _| {
        next.intitule = change.intitule.trim().to_owned();
        Ok(())
    });
    act(tx, ctx, id, ActionConvention::Modification, gate, rule)
}

/// Signs: the signature date (today by default, never in the future) sets the hosting project's
/// deadline (signature + délai in calendar months).
pub fn sign(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConventionId,
    gate: impl Gate<Signature>,
) -> Result<Convention, ApiError> {
    let rule: Rule<'_, Signature> = Box::new(|_, next, input, today| {
        let date = effective_date("date_signature", input.date_signature, today, None)?;
        next.date_signature = Some(date);
        next.date_limite_projet = Some(
            u32::try_from(next.delai_projet_mois)
                .ok()
                .and_then(|months| date_limite_projet(date, months))
                .ok_or_else(|| ApiError::internal("date limite hors calendrier"))?,
        );
        Ok(())
    });
    act(tx, ctx, id, ActionConvention::Signature, gate, rule)
}

/// The split of a request, checked against the convention: hosts, then the sum.
fn accept_repartition(
    tx: &mut WriteTx<'_>,
    convention: &Convention,
    repartition: &[crate::api::convention::PartHote],
) -> Result<Vec<PartHote>, ApiError> {
    let parts: Vec<PartHote> = repartition.iter().map(PartHote::from).collect();
    check_repartition(convention.postes_attribues, &parts)?;
    let ids: Vec<StructureId> = parts.iter().map(|p| p.structure_id.clone()).collect();
    let found = departements_of(tx, &ids)?;
    check_hotes(convention, &parts, &lookup(&found))?;
    Ok(parts)
}

/// Files the hosting project: the split accounts for every post, among signatories or
/// structures of the département; dated neither in the future nor before the signature.
pub fn file_projet_accueil(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConventionId,
    gate: impl Gate<ProjetAccueil>,
) -> Result<Convention, ApiError> {
    let rule: Rule<'_, ProjetAccueil> = Box::new(|tx, next, input, today| {
        let previous = next.date_signature.map(|d| ("date_signature", d));
        let date = effective_date("date_depot", input.date_depot, today, previous)?;
        next.repartition = accept_repartition(tx, next, &input.repartition)?;
        // The hosts replace the signatories as the employers the tariffs fund.
        financement::check_financement_convention(tx, next)?;
        next.date_depot = Some(date);
        next.lieux_prevus = input.lieux_prevus;
        Ok(())
    });
    act(tx, ctx, id, ActionConvention::ProjetAccueil, gate, rule)
}

/// Validates the hosting project: dated neither in the future nor before the filing.
pub fn validate(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConventionId,
    gate: impl Gate<Validation>,
) -> Result<Convention, ApiError> {
    let rule: Rule<'_, Validation> = Box::new(|tx, next, input, today| {
        let previous = next.date_depot.map(|d| ("date_depot", d));
        let date = effective_date("date_validation", input.date_validation, today, previous)?;
        next.date_validation = Some(date);
        // The posts come into being with the validated project, vacant from its validation.
        poste::attribuer(tx, next, date)
    });
    act(tx, ctx, id, ActionConvention::Validation, gate, rule)
}

/// Terminates (résiliation), with a motif: dated neither in the future nor before the last step.
pub fn terminate(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConventionId,
    gate: impl Gate<Resiliation>,
) -> Result<Convention, ApiError> {
    let rule: Rule<'_, Resiliation> = Box::new(|_, next, input, today| {
        let previous = next.derniere_etape();
        next.date_resiliation = Some(effective_date(
            "date_resiliation",
            input.date_resiliation,
            today,
            previous,
        )?);
        next.motif_resiliation = Some(input.motif.trim().to_owned());
        Ok(())
    });
    act(tx, ctx, id, ActionConvention::Resiliation, gate, rule)
}

/// Closes (clôture): dated neither in the future nor before the validation.
pub fn close(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConventionId,
    gate: impl Gate<Cloture>,
) -> Result<Convention, ApiError> {
    let rule: Rule<'_, Cloture> = Box::new(|_, next, input, today| {
        let previous = next.date_validation.map(|d| ("date_validation", d));
        next.date_cloture = Some(effective_date(
            "date_cloture",
            input.date_cloture,
            today,
            previous,
        )?);
        Ok(())
    });
    act(tx, ctx, id, ActionConvention::Cloture, gate, rule)
}

/// Records an avenant: posts added or withdrawn (never below the posts filled, nor below one;
/// a withdrawal never leaves the convention funded beyond its posts), and once the hosting
/// project is filed, the new split of every post (each host keeping a post per active advisor).
pub fn amend(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConventionId,
    gate: impl Gate<NouvelAvenant>,
) -> Result<Avenant, ApiError> {
    let current = locks::convention(tx, id)?.ok_or_else(not_found)?;
    policy::check_convention(&ctx.caller, &current, Resource::Convention, Action::Act)?;
    let input = gate(current.version)?;
    let mut next = current.clone();
    next.statut = apply(current.statut, ActionConvention::Avenant)?;
    next.postes_attribues = postes_apres_avenant(
        current.postes_attribues,
        current.postes_pourvus,
        input.type_avenant,
        input.nombre_postes,
    )?;
    check_repartition_avenant(current.statut, input.repartition.is_some())?;
    if let Some(repartition) = &input.repartition {
        next.repartition = accept_repartition(tx, &next, repartition)?;
        conseiller::check_nouvelle_repartition(tx, id, &next.repartition, ctx.today)?;
    }
    // Fewer posts, or posts moved between employers, may leave it funded beyond its tariffs.
    financement::check_financement_convention(tx, &next)?;
    if input.repartition.is_some() && current.date_validation.is_some() {
        poste::repartir(tx, &next, &next.repartition, ctx.today)?;
    }
    let saved = repo::save(tx, &next)?;
    let avenant = repo::insert_avenant(
        tx,
        &NewAvenant {
            convention_id: id,
            type_avenant: input.type_avenant,
            nombre_postes: input.nombre_postes,
            motif: input.motif.trim(),
            postes_avant: current.postes_attribues,
            postes_apres: saved.postes_attribues,
            auteur: &ctx.author.sub,
        },
    )?;
    journal::record(
        tx,
        &ctx.author,
        ActionConvention::Avenant.as_str(),
        Some(&current),
        &saved,
    )?;
    Ok(avenant)
}

/// `GET /conventions/{id}/bilan`: for each employer that received commitments and each envelope
/// whose tariffs cover it, the balance of `domain::bilan` from its commitments, its tariff and
/// the contracts on its posts. Read like the convention (404 outside the caller's scope). An
/// employer on an envelope without a tariff for its pair has no line: nothing says what a month
/// is worth.
pub fn bilan_convention(
    conn: &mut DbConn,
    caller: &Caller,
    id: &ConventionId,
) -> Result<Vec<crate::domain::bilan::LigneBilan>, ApiError> {
    let convention = repo::find(conn, id)?.ok_or_else(not_found)?;
    policy::check_convention(caller, &convention, Resource::Convention, Action::Read)?;
    let parts = financement::parts_employeurs(conn, &convention)?;
    let mut engagements = money::engagements_of_convention(conn, id, None)?;
    engagements.sort_by(|a, b| {
        (&a.beneficiaire_id, &a.enveloppe_id, &a.id).cmp(&(
            &b.beneficiaire_id,
            &b.enveloppe_id,
            &b.id,
        ))
    });
    let occupations = crate::db::repo::contrat::occupations_of_convention(conn, id)?;
    let mut baremes = Vec::new();
    let mut lignes = Vec::new();
    for groupe in engagements.chunk_by(|a, b| {
        (&a.beneficiaire_id, &a.enveloppe_id) == (&b.beneficiaire_id, &b.enveloppe_id)
    }) {
        let first = &groupe[0];
        let tarifs = financement::baremes_lus(conn, &mut baremes, &first.enveloppe_id)?;
        let part = parts
            .iter()
            .find(|p| p.structure_id == first.beneficiaire_id);
        let Some(bareme) = part.and_then(|p| crate::domain::bareme::bareme_de(tarifs, p)) else {
            continue;
        };
        let financement = crate::domain::bilan::Financement {
            postes: part.map_or(0, |p| p.postes),
            montant_par_poste_centimes: bareme.montant_par_poste_centimes,
            duree_mois: bareme.duree_mois,
            debut: groupe
                .iter()
                .map(|e| e.date_engagement)
                .min()
                .unwrap_or(first.date_engagement),
            verse_centimes: groupe.iter().map(|e| e.verse_centimes).sum(),
        };
        let contrats: Vec<crate::domain::bilan::Occupation> = occupations
            .iter()
            .filter(|(structure, _, _)| structure == &first.beneficiaire_id)
            .map(|(_, debut, fin)| crate::domain::bilan::Occupation {
                debut: *debut,
                fin: *fin,
            })
            .collect();
        lignes.push(crate::domain::bilan::LigneBilan {
            structure_id: first.beneficiaire_id.clone(),
            enveloppe_id: first.enveloppe_id.clone(),
            bilan: crate::domain::bilan::bilan(&financement, &contrats),
            financement,
        });
    }
    Ok(lignes)
}

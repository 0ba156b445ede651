//! Contracts' use cases: a new contract on a vacant post, the contract a recruitment in one call
//! creates, an extension, and the rupture of a contract in force (its post is vacant from the
//! next day). Each keeps the person's employment and the last day of its contracts
//! (`fin_contrats`, from which its status is derived) in the same transaction.
//!
//! Locks: the convention, the advisor, the contract, then the post ([`locks`]).

use super::{Context, Gate, journal, locks, poste};
use crate::api::contrat::{NouveauContrat, ProlongationContrat, RuptureContrat};
use crate::auth::policy::{self, Action, Perimeter, Resource};
use crate::db::WriteTx;
use crate::db::repo::conseiller as conseillers;
use crate::db::repo::contrat as repo;
use crate::domain::calendar::effective_date;
use crate::domain::conseiller::{Conseiller, check_convention_en_execution, fin_des_contrats};
use crate::domain::contrat::{
    Contrat, Rupture, check_date_fin, check_date_rupture, check_en_cours, check_typologie,
    check_un_seul_contrat, libere_le, prolonger,
};
use crate::domain::ids::{ContratId, PosteId};
use crate::domain::poste::{EtatPoste, POSTE_NON_VACANT, TypologiePoste};
use crate::domain::refusal::Refusal;
use crate::domain::smic::check_salaire;
use crate::error::ApiError;

/// 404 for a contract unknown or out of the caller's scope.
pub fn not_found() -> ApiError {
    ApiError::NotFound("Aucun contrat de cet identifiant dans votre portée.".to_owned())
}

/// The contract of a recruit (under its convention's lock), on the post it took.
pub fn du_recrutement(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    conseiller: &Conseiller,
    poste: &PosteId,
) -> Result<Contrat, ApiError> {
    let contrat = conseiller.contrat_du_recrutement(poste).ok_or_else(|| {
        ApiError::Internal(format!("recrutement sans convention : {}", conseiller.id))
    })?;
    let created = repo::insert(tx, &contrat)?;
    journal::record(tx, &ctx.author, "creation", None, &created)?;
    Ok(created)
}

/// The person once `saved` is one of its contracts (new, or changed): the last day of its
/// contracts ([`fin_des_contrats`]) follows.
fn avec_contrat(person: &Conseiller, saved: &Contrat) -> Conseiller {
    let mut next = person.clone();
    match next.contrats.iter_mut().find(|c| c.id == saved.id) {
        Some(contrat) => *contrat = saved.clone(),
        None => next.contrats.push(saved.clone()),
    }
    next.fin_contrats = fin_des_contrats(&next.contrats);
    next
}

/// Saves the person's change (`next`, from [`avec_contrat`]) when there is one, and journals it
/// (`contrat`), without reading it back: a contract's use case answers the contract.
fn suivre(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    person: &Conseiller,
    next: &Conseiller,
) -> Result<(), ApiError> {
    if next != person {
        let saved = conseillers::save_unread(tx, person, next)?;
        journal::record(tx, &ctx.author, "contrat", Some(person), &saved)?;
    }
    Ok(())
}

/// Breaks a contract in force (409 `contrat_termine` otherwise) on its last day `date` (not in
/// the future, not before its first day, not after the planned end): its post is vacant from
/// the next day, and the person is `sorti` from then unless another contract follows.
pub fn rompre(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ContratId,
    gate: impl Gate<RuptureContrat>,
) -> Result<Contrat, ApiError> {
    let (conseiller, current) = locks::contrat(tx, id)?.ok_or_else(not_found)?;
    policy::check_seen_placed(&ctx.caller, Resource::Contrat, Action::Act, &current)?;
    let input = gate(current.version)?;
    check_en_cours(&current, ctx.today)?;
    let date = effective_date(
        "date",
        input.date,
        ctx.today,
        Some(("date_debut", current.date_debut)),
    )?;
    check_date_rupture(&current, date)?;
    let mut next = current.clone();
    next.rupture = Some(Rupture {
        date,
        motif: input.motif,
        commentaire: input.commentaire.map(|c| c.trim().to_owned()),
    });
    let saved = repo::save(tx, &next)?;
    journal::record(tx, &ctx.author, "rupture", Some(&current), &saved)?;

    suivre(tx, ctx, &conseiller, &avec_contrat(&conseiller, &saved))?;
    poste::liberer(tx, &conseiller.id, date, ctx.today)?;
    Ok(saved)
}

/// Binds a person to a vacant post of its employer under a convention in execution: the post's
/// convention, the person, then the post locked ([`locks::nouveau_contrat`]); 404 for a post out
/// of the caller's sight or an unknown person; 403 unless the caller may engage for the post's
/// host (the host itself, the département's préfecture, admin); then the rules, each with its
/// code: the convention in execution (409 `convention_hors_execution`), the post vacant on
/// `date_debut` (409 `poste_non_vacant`), its typology (409 `typologie_incompatible`), the
/// planned end (422 `date_fin_invalide`), the dates (not in the future, not before the post's
/// vacancy: 422), the SMIC (422 `salaire_inferieur_smic`), one contract in force per person
/// (409 `contrat_en_cours`, checked under the person's lock, so that two requests for the same
/// person never both win). The post is occupied from `date_debut` (until the day after
/// `date_fin` when it has one); the person's employment becomes this contract's.
pub fn creer(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    new: NouveauContrat,
) -> Result<Contrat, ApiError> {
    let (convention, person, poste) =
        locks::nouveau_contrat(tx, &new.poste_id, &new.conseiller_id, ctx.today)?.ok_or_else(
            || {
                ApiError::NotFound(format!(
                    "Aucun poste {} ou aucun conseiller {} de ces identifiants.",
                    new.poste_id, new.conseiller_id
                ))
            },
        )?;
    if policy::check_seen_placed(&ctx.caller, Resource::Poste, Action::Read, &poste).is_err() {
        return Err(crate::app::poste::not_found());
    }
    let host = [poste.structure_id.as_str()];
    policy::check_create(
        &ctx.caller,
        Resource::Contrat,
        &Perimeter {
            departement: Some(poste.departement.as_str()),
            structures: &host,
        },
    )?;
    check_convention_en_execution(convention.statut)?;
    if poste.etat != EtatPoste::Vacant {
        return Err(Refusal::new(
            &POSTE_NON_VACANT,
            format!(
                "Le poste {} est « {} » : un contrat ne prend qu'un poste vacant.",
                poste.id, poste.etat
            ),
        )
        .with_member("etat", poste.etat.as_str())
        .into());
    }
    check_typologie(
        &poste.id,
        poste.typologie,
        new.typologie.unwrap_or(TypologiePoste::Conseiller),
    )?;
    let date_debut = effective_date(
        "date_debut",
        Some(new.date_debut),
        ctx.today,
        Some(("vacant_depuis", poste.depuis)),
    )?;
    check_date_fin(new.type_contrat, date_debut, new.date_fin)?;
    if let Some(salaire) = new.salaire_brut_mensuel_centimes {
        check_salaire(salaire, date_debut, &poste.departement)?;
    }
    // the person's contracts, read with them under their lock
    check_un_seul_contrat(&person.contrats, date_debut, new.date_fin)?;

    let contrat = Contrat {
        id: ContratId::new(),
        conseiller_id: person.id.clone(),
        poste_id: Some(poste.id.clone()),
        structure_id: poste.structure_id.clone(),
        convention_id: poste.convention_id.clone(),
        departement: poste.departement.clone(),
        typologie: poste.typologie,
        type_contrat: new.type_contrat,
        date_debut,
        date_fin: new.date_fin,
        rupture: None,
        salaire_brut_mensuel_centimes: new.salaire_brut_mensuel_centimes,
        version: 1,
    };
    let created = repo::insert(tx, &contrat)?;
    journal::record(tx, &ctx.author, "creation", None, &created)?;
    poste::occuper(
        tx,
        &poste,
        &person.id,
        &created.id,
        date_debut,
        libere_le(&created),
    )?;

    suivre(tx, ctx, &person, &emploi(&person, &created))?;
    Ok(created)
}

/// A person under a new contract: its employment (convention, employer, département) becomes
/// the contract's, and the last day of its contracts follows; with another employer, its lieux
/// (the former employer's) are left. A person recorded without a contract is recruited on this
/// contract's first day; its contract type is this contract's.
fn emploi(person: &Conseiller, contrat: &Contrat) -> Conseiller {
    let mut next = avec_contrat(person, contrat);
    let meme_employeur = person.structure_id == contrat.structure_id;
    next.convention_id = Some(contrat.convention_id.clone());
    next.structure_id = contrat.structure_id.clone();
    next.type_contrat = Some(contrat.type_contrat);
    next.date_recrutement = next.date_recrutement.or(Some(contrat.date_debut));
    if next.departement != contrat.departement {
        next.departement = contrat.departement.clone();
        if let Some(identite) = &next.identite {
            next.recrutement_local = crate::domain::conseiller::recrutement_local(
                &identite.commune_residence,
                &next.departement,
            );
        }
    }
    if !meme_employeur {
        next.lieux.clear();
        next.lieu_id = None;
    }
    next
}

/// Extends a fixed-term contract in force to a later end ([`prolonger`]): the post it holds
/// stays occupied until then.
pub fn prolonger_contrat(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ContratId,
    gate: impl Gate<ProlongationContrat>,
) -> Result<Contrat, ApiError> {
    let (conseiller, current) = locks::contrat(tx, id)?.ok_or_else(not_found)?;
    policy::check_seen_placed(&ctx.caller, Resource::Contrat, Action::Act, &current)?;
    let input = gate(current.version)?;
    let mut next = current.clone();
    prolonger(&mut next, input.date_fin, ctx.today)?;
    let saved = repo::save(tx, &next)?;
    journal::record(tx, &ctx.author, "prolongation", Some(&current), &saved)?;
    suivre(tx, ctx, &conseiller, &avec_contrat(&conseiller, &saved))?;
    if let Some(held) = locks::poste_du_conseiller(tx, &conseiller.id, ctx.today)?
        && held.contrat_id.as_ref() == Some(&saved.id)
    {
        poste::jusqu_au(tx, &held, libere_le(&saved))?;
    }
    Ok(saved)
}

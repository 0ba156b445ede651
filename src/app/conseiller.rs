//! Advisors' use cases: recording a person (and the first model's recruitment in one call), the
//! correction of personal data, the lieux where they work, and the rules a convention's changes
//! must respect about its advisors in post.
//!
//! Every write locks the convention's row first ([`locks::conseiller`]): a host's quota of posts
//! is a count of rows, and only that lock keeps two concurrent recruitments from both taking
//! the last post. The journal records advisors without their personal data.

use chrono::NaiveDate;

use super::{Context, Gate, contrat, journal, locks, poste};
use crate::api::conseiller::{LieuDeTravail, ModificationConseiller, NouveauConseiller};
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Denied, Perimeter, Resource};
use crate::db::WriteTx;
use crate::db::repo::conseiller as repo;
use crate::db::repo::lieu as lieux;
use crate::db::repo::structure as structures;
use crate::domain::calendar::effective_date;
use crate::domain::conseiller::TypeContrat;
use crate::domain::conseiller::{
    Conseiller, DONNEES_ANONYMISEES, Identite, check_aucun_actif, check_convention_en_execution,
    check_lieu, check_postes_occupes, check_quota, check_type_recrutement, postes_de,
    postes_employeur, recrutement_local,
};
use crate::domain::convention::PartHote;
use crate::domain::ids::{ConseillerId, ConventionId, LieuId, StructureId};
use crate::domain::refusal::{DEJA_EXISTANT, FieldError, REFERENCE_INVALIDE, Refusal, VALIDATION};
use crate::error::ApiError;

/// 404 for an advisor unknown or out of the caller's scope.
pub fn not_found() -> ApiError {
    ApiError::NotFound("Aucun conseiller de cet identifiant dans votre portée.".to_owned())
}

fn convention_not_found() -> ApiError {
    ApiError::NotFound("Aucune convention de cet identifiant dans votre portée.".to_owned())
}

/// Whether `caller` sees the advisor (404 otherwise: its département, or its employer) and may
/// do `action` (403 otherwise).
pub fn check_access(
    caller: &Caller,
    conseiller: &Conseiller,
    action: Action,
) -> Result<(), Denied> {
    policy::check_seen_placed(caller, Resource::Conseiller, action, conseiller)
}

/// The first model's recruitment in one call: the convention, its first day and the contract's
/// type, all three or none.
struct Recrutement {
    convention_id: ConventionId,
    date: NaiveDate,
    type_contrat: TypeContrat,
}

/// Records a person: recruited at once on a post of the employer when the body names a
/// convention ([`recruit`]), else without a contract ([`record_person`]), to be bound to a post
/// by `POST /contrats`. 422 `validation` when only some of the recruitment's fields are given;
/// 409 `deja_existant` (with the person's `conseiller_id`) when the e-mail address is already a
/// person's, after the access checks (nobody learns of an address they could not record).
pub fn create(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    new: NouveauConseiller,
) -> Result<Conseiller, ApiError> {
    match (
        new.convention_id.clone(),
        new.date_recrutement,
        new.type_contrat,
    ) {
        (Some(convention_id), Some(date), Some(type_contrat)) => recruit(
            tx,
            ctx,
            Recrutement {
                convention_id,
                date,
                type_contrat,
            },
            new,
        ),
        (None, None, None) => record_person(tx, ctx, new),
        (convention, date, type_contrat) => {
            let missing: Vec<FieldError> = [
                ("/convention_id", convention.is_none()),
                ("/date_recrutement", date.is_none()),
                ("/type_contrat", type_contrat.is_none()),
            ]
            .into_iter()
            .filter(|(_, absent)| *absent)
            .map(|(pointer, _)| {
                FieldError::pointer(
                    pointer,
                    "requis pour un recrutement : convention_id, date_recrutement et type_contrat vont ensemble",
                )
            })
            .collect();
            let refusal = Refusal::new(
                &VALIDATION,
                "Un recrutement donne convention_id, date_recrutement et type_contrat ensemble ; \
                 sans eux, la personne est enregistrée sans contrat.",
            );
            Err(missing
                .into_iter()
                .fold(refusal, Refusal::with_error)
                .into())
        }
    }
}

/// 409 `deja_existant` when `email` is already the address of a person other than `except`,
/// with that person's id (`conseiller_id`): a new employer contracts with them
/// (`POST /contrats`) rather than recording them twice. The unique index
/// `conseillers_email` backs it (two creations racing: the second gets the same code, without
/// the id).
fn check_email_libre(
    tx: &mut WriteTx<'_>,
    email: &str,
    except: Option<&ConseillerId>,
) -> Result<(), ApiError> {
    match repo::par_email(tx.conn(), email.trim(), except)? {
        None => Ok(()),
        Some(existing) => Err(Refusal::new(
            &DEJA_EXISTANT,
            format!(
                "Une personne est déjà enregistrée avec l'adresse {} : {existing}. Un nouvel \
                 employeur lui propose un contrat (POST /api/v1/contrats) sans la réenregistrer.",
                email.trim()
            ),
        )
        .with_member("conseiller_id", existing.as_str())
        .with_error(FieldError::pointer(
            "/email",
            "adresse déjà enregistrée pour une autre personne",
        ))
        .into()),
    }
}

/// The identity a body gives, trimmed.
fn identite_of(new: &NouveauConseiller) -> Identite {
    Identite {
        nom: new.nom.trim().to_owned(),
        prenom: new.prenom.trim().to_owned(),
        email: new.email.trim().to_owned(),
        telephone: new.telephone.as_deref().map(|t| t.trim().to_owned()),
        commune_residence: new.commune_residence.clone(),
    }
}

/// Records a person without a contract (`sans_contrat`), in the scope of the structure that
/// records them (its département): the structure itself, its département's préfecture, admin.
/// 422 `reference_invalide` on `/structure_id` for an unknown structure.
fn record_person(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    new: NouveauConseiller,
) -> Result<Conseiller, ApiError> {
    let structure = structures::find(tx.conn(), &new.structure_id)?.ok_or_else(|| {
        let detail = format!("Aucune structure {} enregistrée.", new.structure_id);
        Refusal::new(&REFERENCE_INVALIDE, detail.clone())
            .with_error(FieldError::pointer("/structure_id", detail))
    })?;
    let recorder = [structure.id.as_str()];
    policy::check_create(
        &ctx.caller,
        Resource::Conseiller,
        &Perimeter {
            departement: Some(structure.departement.as_str()),
            structures: &recorder,
        },
    )?;
    check_email_libre(tx, &new.email, None)?;
    let person = Conseiller::personne(structure.departement, structure.id, identite_of(&new));
    let created = repo::insert(tx, &person)?;
    journal::record(tx, &ctx.author, "creation", None, &created)?;
    Ok(created)
}

/// Recruits an advisor on a post of its employer in a convention in execution, within the
/// employer's quota (counted under the convention's lock).
fn recruit(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    recrutement: Recrutement,
    new: NouveauConseiller,
) -> Result<Conseiller, ApiError> {
    let convention = locks::convention(tx, &recrutement.convention_id)?
        .filter(|c| policy::convention_visible(&ctx.caller, c))
        .ok_or_else(convention_not_found)?;
    let employer = [new.structure_id.as_str()];
    policy::check_create(
        &ctx.caller,
        Resource::Conseiller,
        &Perimeter {
            departement: Some(convention.departement.as_str()),
            structures: &employer,
        },
    )?;
    check_convention_en_execution(convention.statut)?;
    check_type_recrutement(recrutement.type_contrat)?;
    let postes = postes_employeur(&convention.repartition, &new.structure_id)?;
    let date = effective_date(
        "date_recrutement",
        Some(recrutement.date),
        ctx.today,
        convention.date_validation.map(|d| ("date_validation", d)),
    )?;
    let actifs = repo::actifs_par_structure(tx.conn(), &convention.id, ctx.today)?
        .into_iter()
        .find(|actifs| actifs.structure_id == new.structure_id)
        .map_or(0, |actifs| actifs.actifs);
    check_quota(&new.structure_id, postes, actifs)?;
    let poste = poste::a_pourvoir(tx, &convention.id, &new.structure_id, date, ctx.today)?;
    check_email_libre(tx, &new.email, None)?;
    let recruit = Conseiller::recrute(
        convention.id.clone(),
        convention.departement.clone(),
        new.structure_id.clone(),
        identite_of(&new),
        recrutement.type_contrat,
        date,
    );
    let created = repo::insert(tx, &recruit)?;
    journal::record(tx, &ctx.author, "creation", None, &created)?;
    let contrat = contrat::du_recrutement(tx, ctx, &created, &poste.id)?;
    poste::occuper(tx, &poste, &created.id, &contrat.id, date, None)?;
    Ok(created)
}

/// Corrects an advisor's personal data (409 `donnees_anonymisees` once they are erased).
pub fn update(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConseillerId,
    gate: impl Gate<ModificationConseiller>,
) -> Result<Conseiller, ApiError> {
    let current = locks::conseiller_row(tx, id)?.ok_or_else(not_found)?;
    check_access(&ctx.caller, &current, Action::Edit)?;
    let change = gate(current.version)?;
    let Some(mut identite) = current.identite.clone() else {
        return Err(Refusal::new(
            &DONNEES_ANONYMISEES,
            format!(
                "Les données personnelles de ce conseiller ont été effacées ({}).",
                current.anonymise_le.as_deref().unwrap_or("date inconnue")
            ),
        )
        .into());
    };
    if let Some(nom) = change.nom {
        identite.nom = nom.trim().to_owned();
    }
    if let Some(prenom) = change.prenom {
        identite.prenom = prenom.trim().to_owned();
    }
    if let Some(email) = change.email {
        check_email_libre(tx, &email, Some(&current.id))?;
        identite.email = email.trim().to_owned();
    }
    if let Some(telephone) = change.telephone {
        identite.telephone = Some(telephone.trim().to_owned());
    }
    let mut next = current.clone();
    if let Some(commune) = change.commune_residence {
        next.recrutement_local = recrutement_local(&commune, &current.departement);
        identite.commune_residence = commune;
    }
    next.identite = Some(identite);
    let saved = repo::save(tx, &current, &next)?;
    journal::record(tx, &ctx.author, "modification", Some(&current), &saved)?;
    Ok(saved)
}

/// An advisor works at a lieu of its employer (422 `lieu_non_eligible`), as its principal lieu
/// or as one more (409 `lieu_principal` when that would leave it without exactly one principal).
/// Putting what is already there changes nothing (same version, no journal entry).
pub fn travailler_a(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConseillerId,
    lieu: &LieuId,
    gate: impl Gate<LieuDeTravail>,
) -> Result<Conseiller, ApiError> {
    let current = locks::conseiller_row(tx, id)?.ok_or_else(not_found)?;
    check_access(&ctx.caller, &current, Action::Act)?;
    let input = gate(current.version)?;
    check_lieu_of_employer(tx, lieu, &current.structure_id)?;
    let mut next = current.clone();
    next.travaille_a(lieu, input.principal)?;
    if next == current {
        return Ok(current);
    }
    let saved = repo::save(tx, &current, &next)?;
    journal::record(tx, &ctx.author, "lieu_de_travail", Some(&current), &saved)?;
    Ok(saved)
}

/// An advisor no longer works at a lieu: 404 when it did not; 409 `lieu_principal` for its
/// principal lieu while it has others.
pub fn quitter_lieu(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &ConseillerId,
    lieu: &LieuId,
) -> Result<(), ApiError> {
    let current = locks::conseiller_row(tx, id)?.ok_or_else(not_found)?;
    check_access(&ctx.caller, &current, Action::Act)?;
    let mut next = current.clone();
    if !next.ne_travaille_plus_a(lieu)? {
        return Err(ApiError::NotFound(format!(
            "Le conseiller ne travaille pas au lieu {lieu}."
        )));
    }
    let saved = repo::save(tx, &current, &next)?;
    journal::record(tx, &ctx.author, "lieu_quitte", Some(&current), &saved)?;
    Ok(())
}

/// The lieu must exist and be one of the employer's (422 `lieu_non_eligible`): where an advisor
/// works, where its activities take place. Read in the transaction.
pub fn check_lieu_of_employer(
    tx: &mut WriteTx<'_>,
    lieu_id: &LieuId,
    employer: &StructureId,
) -> Result<(), ApiError> {
    let lieu = lieux::find(tx.conn(), lieu_id)?;
    Ok(check_lieu(
        lieu_id,
        lieu.as_ref().map(|l| &l.structure_id),
        employer,
    )?)
}

/// A convention may end only once none of its advisors is in post on `today` (409
/// `conseillers_actifs`). Called under the convention's lock.
pub fn check_fin_convention(
    tx: &mut WriteTx<'_>,
    convention: &ConventionId,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let actifs: i64 = repo::actifs_par_structure(tx.conn(), convention, today)?
        .iter()
        .map(|actifs| actifs.actifs)
        .sum();
    Ok(check_aucun_actif(actifs)?)
}

/// A new split of a convention's posts leaves each host at least as many posts as its advisors
/// in post on `today` (409 `postes_occupes`). Called under the convention's lock.
pub fn check_nouvelle_repartition(
    tx: &mut WriteTx<'_>,
    convention: &ConventionId,
    repartition: &[PartHote],
    today: NaiveDate,
) -> Result<(), ApiError> {
    let actifs = repo::actifs_par_structure(tx.conn(), convention, today)?;
    Ok(check_postes_occupes(&actifs, |structure| {
        postes_de(repartition, structure)
    })?)
}

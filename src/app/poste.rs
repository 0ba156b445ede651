//! Posts' use cases: the transfer of a vacant post, and what the conventions' and advisors' use
//! cases do to posts — create them when a hosting project is validated or a split grows, return
//! them when a split shrinks or a convention ends, fill one when an advisor is recruited, free
//! it the day after the advisor leaves.
//!
//! Every change happens under the convention's lock (the posts of a convention change together
//! with its split), then the posts' own locks ([`locks`]): two recruitments racing for a host's
//! last vacant post wait for each other, and the second finds none.

use chrono::NaiveDate;

use super::{Context, Gate, journal, locks};
use crate::api::poste::Transfert;
use crate::auth::policy::{self, Action, Resource};
use crate::db::WriteTx;
use crate::db::repo::convention as conventions;
use crate::db::repo::poste as repo;
use crate::db::repo::structure as structures;
use crate::domain::calendar::effective_date;
use crate::domain::conseiller::quota_atteint;
use crate::domain::convention::{Convention, PartHote};
use crate::domain::ids::{ConseillerId, ContratId, ConventionId, PosteId, StructureId};
use crate::domain::poste::{
    EtatPoste, EvenementPoste, Poste, TypologiePoste, check_transfert, ecarts,
    repartition_apres_transfert, typologies,
};
use crate::error::ApiError;

/// 404 for a post unknown or out of the caller's scope.
pub fn not_found() -> ApiError {
    ApiError::NotFound("Aucun poste de cet identifiant dans votre portée.".to_owned())
}

/// The posts of a validated hosting project: one per post of each host's split, vacant since
/// `date`.
pub fn attribuer(
    tx: &mut WriteTx<'_>,
    convention: &Convention,
    date: NaiveDate,
) -> Result<(), ApiError> {
    let nouveaux: Vec<Poste> = convention
        .repartition
        .iter()
        .flat_map(|part| {
            typologies(part).into_iter().map(|typologie| {
                Poste::attribue(
                    &convention.id,
                    &convention.departement,
                    &part.structure_id,
                    typologie,
                    date,
                )
            })
        })
        .collect();
    Ok(repo::insert(tx, &nouveaux)?)
}

/// A new split of a convention whose posts exist (under its lock): each host gains the posts it
/// lacks (vacant since `date`) and returns the vacant posts it no longer has, vacant the longest
/// first (409 `postes_occupes` when it would keep fewer posts of a typology than are occupied).
pub fn repartir(
    tx: &mut WriteTx<'_>,
    convention: &Convention,
    repartition: &[PartHote],
    date: NaiveDate,
) -> Result<(), ApiError> {
    let tenus = repo::tenus(tx.conn(), &convention.id, date)?;
    let mut nouveaux = Vec::new();
    for ecart in ecarts(&tenus, repartition)? {
        if ecart.delta > 0 {
            nouveaux.extend((0..ecart.delta).map(|_| {
                Poste::attribue(
                    &convention.id,
                    &convention.departement,
                    &ecart.structure_id,
                    ecart.typologie,
                    date,
                )
            }));
        } else {
            let rendus = locks::postes_vacants(
                tx,
                &convention.id,
                &ecart.structure_id,
                ecart.typologie,
                date,
                ecart.delta.unsigned_abs() as usize,
            )?;
            for poste in rendus {
                rendre(tx, poste, date)?;
            }
        }
    }
    Ok(repo::insert(tx, &nouveaux)?)
}

/// What a post is after an event: its state, its host, its holder (advisor and contract).
struct Apres(EtatPoste, StructureId, Option<(ConseillerId, ContratId)>);

/// Records `evenement` on a locked post and saves it.
fn passe(
    tx: &mut WriteTx<'_>,
    poste: &Poste,
    date: NaiveDate,
    evenement: EvenementPoste,
    Apres(etat, structure, titulaire): Apres,
) -> Result<Poste, ApiError> {
    let mut next = poste.clone();
    next.passe(date, evenement, etat, structure, titulaire);
    Ok(repo::save(tx, poste, &next)?)
}

/// Returns a vacant post on `date`, or on the date of its vacancy when that is later (a post
/// an avenant created after the date a convention's end is backdated to is returned on the day
/// it came into being, so that its history stays in order).
fn rendre(tx: &mut WriteTx<'_>, poste: Poste, date: NaiveDate) -> Result<Poste, ApiError> {
    let vers = Apres(EtatPoste::Rendu, poste.structure_id.clone(), None);
    passe(
        tx,
        &poste,
        date.max(poste.depuis),
        EvenementPoste::Rendu,
        vers,
    )
}

/// When a convention ends (under its lock, once no advisor is active), its posts are returned on
/// its end date.
pub fn rendre_tous(
    tx: &mut WriteTx<'_>,
    convention: &ConventionId,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<(), ApiError> {
    for poste in locks::postes_non_rendus(tx, convention, today)? {
        if poste.etat == EtatPoste::Occupe {
            return Err(ApiError::internal(format!(
                "poste {} encore occupé à la fin de sa convention",
                poste.id
            )));
        }
        rendre(tx, poste, date)?;
    }
    Ok(())
}

/// The post a recruit on `date` will take: the host's advisor post vacant the longest, locked
/// (under the convention's lock): 409 `quota_atteint` when none is vacant (with the host's
/// advisor posts and those held); 422 `date_anterieure` when the recruitment predates its
/// vacancy.
pub fn a_pourvoir(
    tx: &mut WriteTx<'_>,
    convention: &ConventionId,
    structure: &StructureId,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<Poste, ApiError> {
    let typologie = TypologiePoste::Conseiller;
    let vacants = locks::postes_vacants(tx, convention, structure, typologie, today, 1)?;
    let Some(poste) = vacants.into_iter().next() else {
        let tenus = repo::tenus(tx.conn(), convention, today)?;
        let (postes, occupes) = tenus
            .iter()
            .find(|t| &t.structure_id == structure && t.typologie == typologie)
            .map_or((0, 0), |t| (t.vacants + t.occupes, t.occupes));
        return Err(quota_atteint(structure, postes, occupes).into());
    };
    effective_date(
        "date_recrutement",
        Some(date),
        date,
        Some(("vacant_depuis", poste.depuis)),
    )?;
    Ok(poste)
}

/// A locked vacant post is occupied from `date` by an advisor under its contract, until the
/// day before `libere_le` when the contract's last day is known.
pub fn occuper(
    tx: &mut WriteTx<'_>,
    poste: &Poste,
    conseiller: &ConseillerId,
    contrat: &ContratId,
    date: NaiveDate,
    libere_le: Option<NaiveDate>,
) -> Result<Poste, ApiError> {
    let mut next = poste.clone();
    next.passe(
        date,
        EvenementPoste::Occupation,
        EtatPoste::Occupe,
        poste.structure_id.clone(),
        Some((conseiller.clone(), contrat.clone())),
    );
    next.libere_le = libere_le;
    Ok(repo::save(tx, poste, &next)?)
}

/// A locked occupied post is held until the day before `libere_le` (its contract extended).
pub fn jusqu_au(
    tx: &mut WriteTx<'_>,
    poste: &Poste,
    libere_le: Option<NaiveDate>,
) -> Result<Poste, ApiError> {
    let mut next = poste.clone();
    next.libere_le = libere_le;
    Ok(repo::save(tx, poste, &next)?)
}

/// An advisor who leaves on `date` frees its post (when it holds one) from the next day.
pub fn liberer(
    tx: &mut WriteTx<'_>,
    conseiller: &ConseillerId,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let Some(poste) = locks::poste_du_conseiller(tx, conseiller, today)? else {
        return Ok(());
    };
    let lendemain = date
        .succ_opt()
        .ok_or_else(|| ApiError::internal("date hors calendrier"))?;
    let vers = Apres(EtatPoste::Vacant, poste.structure_id.clone(), None);
    passe(tx, &poste, lendemain, EvenementPoste::Liberation, vers)?;
    Ok(())
}

/// Moves a vacant post to another structure of the convention's département (admin, the
/// département's préfecture): the post keeps its state and the date of its vacancy; the split
/// moves one post from one host to the other; the convention's total is unchanged.
pub fn transfer(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &PosteId,
    gate: impl Gate<Transfert>,
) -> Result<Poste, ApiError> {
    let (convention, current) = locks::poste(tx, id, ctx.today)?.ok_or_else(not_found)?;
    policy::check_seen_placed(&ctx.caller, Resource::Poste, Action::Act, &current)?;
    let input = gate(current.version)?;
    let destination = structures::find(tx.conn(), &input.structure_id)?;
    check_transfert(
        &current,
        convention.statut,
        &input.structure_id,
        destination.as_ref().map(|s| &s.departement),
    )?;
    let date = effective_date(
        "date",
        input.date,
        ctx.today,
        Some(("depuis", current.depuis)),
    )?;
    let vers = Apres(current.etat, input.structure_id.clone(), None);
    let saved = passe(tx, &current, date, EvenementPoste::Transfert, vers)?;
    let mut split = convention.clone();
    split.repartition = repartition_apres_transfert(
        &convention.repartition,
        &current.structure_id,
        &input.structure_id,
        current.typologie,
    );
    let split = conventions::save(tx, &split)?;
    journal::record(tx, &ctx.author, "transfert", Some(&current), &saved)?;
    journal::record(
        tx,
        &ctx.author,
        "transfert_poste",
        Some(&convention),
        &split,
    )?;
    Ok(saved)
}

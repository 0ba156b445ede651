//! Funding use cases: envelopes and their ceilings, commitments and payments, and what a
//! convention's changes do to its money.
//!
//! Every movement runs under the envelope's lock ([`locks`]), re-reads the sums there, checks the
//! rules of `domain::financement`, and applies the [`Mouvement`] the domain computes: no sum is
//! adjusted here. A new commitment is the exception that makes the rate: see [`engage`].

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::journal::{self, VersementPlace};
use super::{Context, Gate, locks};
use crate::api::financement::{
    Annulation, ModificationEnveloppe, NouveauPlafond, NouveauVersement, NouveauxBaremes,
    NouvelEngagement, NouvelleEnveloppe,
};
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Perimeter, Resource};
use crate::db::repo::convention as conventions;
use crate::db::repo::financement::{self as repo, NewEngagement, NewVersement};
use crate::db::repo::journal::Author;
use crate::db::repo::structure as structures;
use crate::db::{DbConn, WriteTx};
use crate::domain::bareme::{
    Bareme, FinancementEmployeur, PartEmployeur, bareme_de, check_baremes, financement_maximal,
    montant_tranche,
};
use crate::domain::calendar::effective_date;
use crate::domain::codes::CodeDepartement;
use crate::domain::convention::Convention;
use crate::domain::financement::{
    ActionEngagement, ActionVersement, Engagement, Enveloppe, FinancementBeneficiaire,
    FinancementConvention, Mouvement, PlafondDepartement, Soldes, SoldesApres, StatutEngagement,
    TRANCHE_DEJA_VERSEE, Versement, check_convention_engageable, check_engagement,
    check_financement_apres_retrait, check_montant_enveloppe, check_perimetre, check_periode,
    check_periode_couvre, check_plafond, check_versement, choisir_beneficiaire, date_engagement,
    montant_engagement,
};
use crate::domain::ids::{ConventionId, EngagementId, EnveloppeId, StructureId, VersementId};
use crate::domain::journal::RessourceJournal;
use crate::domain::lifecycle::apply;
use crate::domain::refusal::{FieldError, Refusal, VALIDATION};
use crate::error::ApiError;

/// 404 for an unknown envelope.
pub fn enveloppe_not_found() -> ApiError {
    ApiError::NotFound("Aucune enveloppe de cet identifiant.".to_owned())
}

/// 404 for a commitment unknown or out of the caller's scope.
pub fn engagement_not_found() -> ApiError {
    ApiError::NotFound("Aucun engagement de cet identifiant dans votre portée.".to_owned())
}

/// 404 for a payment unknown or out of the caller's scope.
pub fn versement_not_found() -> ApiError {
    ApiError::NotFound("Aucun versement de cet identifiant dans votre portée.".to_owned())
}

/// Envelopes have no territory: every authenticated caller reads them; only admins write.
pub fn check_enveloppe(caller: &Caller, action: Action) -> Result<(), ApiError> {
    policy::check(
        Some(caller),
        Resource::Enveloppe,
        action,
        &Perimeter::NATIONAL,
    )?;
    Ok(())
}

/// The structures of a commitment's convention (signatories and hosts): what places its money
/// in a structure's scope.
pub fn structures_of(
    conn: &mut DbConn,
    convention_id: &ConventionId,
) -> Result<Vec<StructureId>, ApiError> {
    let convention = conventions::find(conn, convention_id)?
        .ok_or_else(|| ApiError::internal("engagement sans convention"))?;
    Ok(convention
        .structures()
        .into_iter()
        .filter_map(|id| StructureId::parse(id).ok())
        .collect())
}

/// Whether `caller` sees a commitment (404 otherwise) and may do `action` on `resource` (403),
/// the commitment placed by its département and its convention's `structures`.
pub fn check_engagement_access(
    caller: &Caller,
    engagement: &Engagement,
    structures: &[StructureId],
    resource: Resource,
    action: Action,
) -> Result<(), ApiError> {
    let structures: Vec<&str> = structures.iter().map(|s| s.as_str()).collect();
    let perimeter = Perimeter {
        departement: Some(engagement.departement.as_str()),
        structures: &structures,
    };
    Ok(policy::check_seen(caller, resource, action, &perimeter)?)
}

/// The employers of a convention with their posts and their tariffs' pair
/// ([`Convention::parts_employeurs`]), in the convention's order.
pub fn parts_employeurs(
    conn: &mut DbConn,
    convention: &Convention,
) -> Result<Vec<PartEmployeur>, ApiError> {
    let parts = convention.parts_employeurs();
    let ids: Vec<StructureId> = parts.iter().map(|(id, _)| (*id).clone()).collect();
    let found = structures::find_many(conn, &ids)?;
    parts
        .into_iter()
        .map(|(id, postes)| {
            let structure = found
                .iter()
                .find(|s| &s.id == id)
                .ok_or_else(|| ApiError::internal("employeur de convention introuvable"))?;
            Ok(PartEmployeur {
                structure_id: id.clone(),
                postes,
                categorie: structure.categorie,
                territoire_prioritaire: structure.territoire_prioritaire,
            })
        })
        .collect()
}

/// What bounds a convention's funding on an envelope with tariffs, and one of its employers'
/// (`beneficiaire`), read under the envelope's lock: `None` when the envelope has none (no cap
/// but the envelope's and the ceiling's). `except`: a commitment being created, whose money has
/// not moved yet.
fn financements(
    tx: &mut WriteTx<'_>,
    baremes: &[Bareme],
    (convention_id, parts): (&ConventionId, &[PartEmployeur]),
    enveloppe_id: &EnveloppeId,
    beneficiaire: Option<&StructureId>,
    except: Option<&EngagementId>,
) -> Result<Option<(FinancementConvention, Option<FinancementBeneficiaire>)>, ApiError> {
    if baremes.is_empty() {
        return Ok(None);
    }
    let engages =
        repo::engage_par_beneficiaire(tx.conn(), convention_id, enveloppe_id, None, except)?;
    let convention = FinancementConvention {
        postes: parts.iter().map(|p| p.postes).sum(),
        maximum_centimes: financement_maximal(baremes, parts),
        engage_centimes: engages.iter().map(|(_, engage)| engage).sum(),
    };
    let beneficiaire =
        beneficiaire.map(|id| financement_beneficiaire(baremes, parts, id, &engages));
    Ok(Some((convention, beneficiaire)))
}

/// One employer's funding for a convention: its posts and what its tariff allows them (nothing
/// for a structure that no longer employs in the convention), and what it has engaged
/// (`engages`: by beneficiary).
fn financement_beneficiaire(
    baremes: &[Bareme],
    parts: &[PartEmployeur],
    id: &StructureId,
    engages: &[(StructureId, i64)],
) -> FinancementBeneficiaire {
    let part = parts.iter().find(|p| &p.structure_id == id);
    FinancementBeneficiaire {
        structure_id: id.clone(),
        financement: FinancementConvention {
            postes: part.map_or(0, |p| p.postes),
            maximum_centimes: part
                .map_or(0, |p| financement_maximal(baremes, std::slice::from_ref(p))),
            engage_centimes: engages
                .iter()
                .find(|(beneficiaire, _)| beneficiaire == id)
                .map_or(0, |(_, engage)| *engage),
        },
    }
}

/// After a change of tariffs, posts or split, a convention's commitments on an envelope stay
/// within what its tariffs allow: the convention as a whole, then each beneficiary that has
/// commitments (409 `convention_surfinancee`, naming the beneficiary for its own limit).
fn check_financements(
    tx: &mut WriteTx<'_>,
    baremes: &[Bareme],
    (convention_id, parts): (&ConventionId, &[PartEmployeur]),
    enveloppe_id: &EnveloppeId,
) -> Result<(), ApiError> {
    if baremes.is_empty() {
        return Ok(());
    }
    let engages =
        repo::engage_par_beneficiaire(tx.conn(), convention_id, enveloppe_id, None, None)?;
    check_financement_apres_retrait(
        &FinancementConvention {
            postes: parts.iter().map(|p| p.postes).sum(),
            maximum_centimes: financement_maximal(baremes, parts),
            engage_centimes: engages.iter().map(|(_, engage)| engage).sum(),
        },
        None,
    )?;
    for (id, _) in &engages {
        let beneficiaire = financement_beneficiaire(baremes, parts, id, &engages);
        check_financement_apres_retrait(&beneficiaire.financement, Some(id))?;
    }
    Ok(())
}

/// Creates an envelope (nothing engaged), with its tariffs if given.
pub fn create_enveloppe(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    new: NouvelleEnveloppe,
) -> Result<Enveloppe, ApiError> {
    check_periode(new.date_debut, new.date_fin)?;
    check_baremes("/baremes", &new.baremes)?;
    let created = repo::insert_enveloppe(
        tx,
        &Enveloppe {
            id: EnveloppeId::new(),
            libelle: new.libelle.trim().to_owned(),
            financeur: new.financeur.trim().to_owned(),
            programme_budgetaire: new.programme_budgetaire.map(|p| p.trim().to_owned()),
            nature: new.nature,
            montant_centimes: new.montant_centimes,
            date_debut: new.date_debut,
            date_fin: new.date_fin,
            perimetre_departement: new.perimetre_departement,
            objectif_postes: new.objectif_postes,
            engage_centimes: 0,
            verse_centimes: 0,
            version: 1,
            cree_le: String::new(),
            modifie_le: String::new(),
        },
    )?;
    journal::record(tx, &ctx.author, "creation", None, &created)?;
    if !new.baremes.is_empty() {
        repo::replace_baremes(tx, &created.id, &new.baremes)?;
        record_baremes(tx, &ctx.author, &created.id, None, &new.baremes)?;
    }
    Ok(created)
}

/// The journal's entry for an envelope's tariffs, replaced.
fn record_baremes(
    tx: &mut WriteTx<'_>,
    author: &Author,
    id: &EnveloppeId,
    before: Option<&[Bareme]>,
    after: &[Bareme],
) -> Result<(), ApiError> {
    let view = |list: &[Bareme]| -> Result<Map<String, Value>, ApiError> {
        let mut map = Map::new();
        map.insert(
            "baremes".to_owned(),
            serde_json::to_value(list).map_err(ApiError::internal)?,
        );
        Ok(map)
    };
    let before = before.map(view).transpose()?;
    journal::record_view(
        tx,
        author,
        "baremes",
        (RessourceJournal::Enveloppe, id.as_str(), None),
        before.as_ref(),
        &view(after)?,
    )
}

/// Replaces an envelope's tariffs (all pairs at once; an empty list removes them). They must be
/// coherent (422 with the pointer of each fault) and leave no convention funded beyond what they
/// allow its employers (409 `convention_surfinancee`). Bumps the envelope's version: a commitment
/// whose envelope changed since it read it is checked again under the lock.
pub fn put_baremes(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &EnveloppeId,
    gate: impl Gate<NouveauxBaremes>,
) -> Result<Enveloppe, ApiError> {
    let enveloppe = locks::enveloppe(tx, id)?.ok_or_else(enveloppe_not_found)?;
    check_enveloppe(&ctx.caller, Action::Edit)?;
    let NouveauxBaremes(baremes) = gate(enveloppe.version)?;
    check_baremes("", &baremes)?;
    let before = repo::baremes_of(tx.conn(), id)?;
    if !baremes.is_empty() {
        for convention_id in repo::conventions_engagees(tx.conn(), id)? {
            let convention = conventions::find(tx.conn(), &convention_id)?
                .ok_or_else(|| ApiError::internal("engagement sans convention"))?;
            let parts = parts_employeurs(tx.conn(), &convention)?;
            check_financements(tx, &baremes, (&convention.id, &parts), id).map_err(|error| {
                match error {
                    ApiError::Refused(refusal) => ApiError::Refused(
                        refusal.with_member("convention_id", convention.id.as_str()),
                    ),
                    other => other,
                }
            })?;
        }
    }
    repo::replace_baremes(tx, id, &baremes)?;
    let saved = repo::save_enveloppe(tx, &enveloppe)?;
    record_baremes(tx, &ctx.author, id, Some(&before), &baremes)?;
    Ok(saved)
}

/// The sum of an envelope's ceilings, leaving out one département's.
fn sum_plafonds(
    tx: &mut WriteTx<'_>,
    id: &EnveloppeId,
    except: Option<&CodeDepartement>,
) -> Result<i64, ApiError> {
    Ok(repo::departements(tx.conn(), id)?
        .into_iter()
        .filter(|d| Some(&d.departement) != except)
        .filter_map(|d| d.plafond_centimes)
        // Each ceiling is at most 10^15 and their sum at most the amount: saturating only
        // guards against a corrupted database.
        .fold(0i64, i64::saturating_add))
}

/// Changes an envelope's free fields, its period (which must still cover its commitments) or its
/// amount (never below what is engaged nor below its ceilings).
pub fn update_enveloppe(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &EnveloppeId,
    gate: impl Gate<ModificationEnveloppe>,
) -> Result<Enveloppe, ApiError> {
    let current = locks::enveloppe(tx, id)?.ok_or_else(enveloppe_not_found)?;
    check_enveloppe(&ctx.caller, Action::Edit)?;
    let change = gate(current.version)?;
    let mut next = current.clone();
    if let Some(libelle) = change.libelle {
        next.libelle = libelle.trim().to_owned();
    }
    if let Some(financeur) = change.financeur {
        next.financeur = financeur.trim().to_owned();
    }
    if let Some(programme) = change.programme_budgetaire {
        next.programme_budgetaire = Some(programme.trim().to_owned());
    }
    if let Some(objectif) = change.objectif_postes {
        next.objectif_postes = Some(objectif);
    }
    next.date_debut = change.date_debut.unwrap_or(current.date_debut);
    next.date_fin = change.date_fin.unwrap_or(current.date_fin);
    if (next.date_debut, next.date_fin) != (current.date_debut, current.date_fin) {
        let dates = repo::dates_engagements(tx.conn(), id)?;
        check_periode_couvre(next.date_debut, next.date_fin, dates)?;
    }
    if let Some(montant) = change.montant_centimes {
        let plafonds = sum_plafonds(tx, id, None)?;
        check_montant_enveloppe(montant, current.engage_centimes, plafonds)?;
        next.montant_centimes = montant;
    }
    let saved = repo::save_enveloppe(tx, &next)?;
    journal::record(tx, &ctx.author, "modification", Some(&current), &saved)?;
    Ok(saved)
}

/// The journal's view of one ceiling.
fn plafond_view(departement: &CodeDepartement, plafond: Option<i64>) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("departement".to_owned(), departement.as_str().into());
    map.insert("plafond_centimes".to_owned(), plafond.into());
    map
}

/// A ceiling set: the envelope, and whether the ceiling is new.
pub struct PlafondFixe {
    /// The envelope (locked).
    pub enveloppe: Enveloppe,
    /// `true` when the département had no ceiling before.
    pub cree: bool,
}

/// Sets (or replaces) a département's ceiling: never below what is engaged there, and the
/// ceilings never above the amount.
pub fn put_plafond(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &EnveloppeId,
    departement: &CodeDepartement,
    gate: impl Gate<NouveauPlafond>,
) -> Result<PlafondFixe, ApiError> {
    let enveloppe = locks::enveloppe(tx, id)?.ok_or_else(enveloppe_not_found)?;
    check_enveloppe(&ctx.caller, Action::Edit)?;
    let input = gate(enveloppe.version)?;
    check_perimetre(
        enveloppe.perimetre_departement.as_ref(),
        departement,
        FieldError::parameter("departement", ""),
    )?;
    let current = repo::departement(tx.conn(), id, departement)?;
    let autres = sum_plafonds(tx, id, Some(departement))?;
    check_plafond(
        departement,
        input.plafond_centimes,
        enveloppe.montant_centimes,
        autres,
        current.engage_centimes,
    )?;
    repo::set_plafond(tx, id, departement, Some(input.plafond_centimes))?;
    journal::record_view(
        tx,
        &ctx.author,
        "plafond",
        (RessourceJournal::Enveloppe, id.as_str(), Some(departement)),
        current
            .plafond_centimes
            .map(|p| plafond_view(departement, Some(p)))
            .as_ref(),
        &plafond_view(departement, Some(input.plafond_centimes)),
    )?;
    Ok(PlafondFixe {
        enveloppe,
        cree: current.plafond_centimes.is_none(),
    })
}

/// Removes a département's ceiling (404 when it has none).
pub fn delete_plafond(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &EnveloppeId,
    departement: &CodeDepartement,
) -> Result<(), ApiError> {
    locks::enveloppe(tx, id)?.ok_or_else(enveloppe_not_found)?;
    check_enveloppe(&ctx.caller, Action::Edit)?;
    let current = repo::departement(tx.conn(), id, departement)?;
    let Some(plafond) = current.plafond_centimes else {
        return Err(ApiError::NotFound(format!(
            "L'enveloppe n'a pas de plafond pour le département {departement}."
        )));
    };
    repo::set_plafond(tx, id, departement, None)?;
    journal::record_view(
        tx,
        &ctx.author,
        "suppression_plafond",
        (RessourceJournal::Enveloppe, id.as_str(), Some(departement)),
        Some(&plafond_view(departement, Some(plafond))),
        &plafond_view(departement, None),
    )
}

/// A commitment taken, whose money moves last ([`PendingMoney::move_now`]).
pub struct EngagementPris {
    /// The commitment's row, inserted and journaled.
    pub engagement: Engagement,
    /// Its money, to move as the transaction's last step.
    pub money: PendingMoney,
}

/// The money of a new commitment, moved as the last step of its transaction: the envelope's lock
/// (which every commitment on the envelope waits for) is then held only for that step and the
/// commit.
pub struct PendingMoney {
    enveloppe_id: EnveloppeId,
    engagement_id: EngagementId,
    convention: Convention,
    beneficiaire_id: StructureId,
    montant: i64,
    date: NaiveDate,
    date_given: Option<NaiveDate>,
    today: NaiveDate,
    /// The envelope's version when it was read, and whether it had tariffs then.
    seen: (i64, bool),
    /// The convention's employers, when they were read (for tariffs).
    parts: Option<Vec<PartEmployeur>>,
}

impl PendingMoney {
    /// Moves the money: on an envelope without tariffs, in two conditional `UPDATE`s
    /// (`repo::financement::try_engage`: the envelope's version as read, the period, the amount
    /// and the ceiling in their `WHERE`), the first of which takes the envelope's lock; when one
    /// does not fit — or with tariffs, whose cap needs the convention's sum read under the lock,
    /// or when the envelope changed since it was read — under the lock, where the domain decides
    /// from the sums and tariffs as they are now: the refusal, or the money after all (another
    /// commitment may have been annulled meanwhile).
    pub fn move_now(self, tx: &mut WriteTx<'_>) -> Result<(), ApiError> {
        let departement = &self.convention.departement;
        let (version, had_baremes) = self.seen;
        if !had_baremes
            && repo::try_engage(
                tx,
                &self.enveloppe_id,
                departement,
                self.montant,
                (self.date, version),
            )?
        {
            return Ok(());
        }
        let enveloppe =
            locks::enveloppe(tx, &self.enveloppe_id)?.ok_or_else(enveloppe_not_found)?;
        date_engagement(
            self.date_given,
            self.today,
            self.convention.date_signature,
            (enveloppe.date_debut, enveloppe.date_fin),
        )?;
        let solde = repo::departement(tx.conn(), &self.enveloppe_id, departement)?;
        let baremes = repo::baremes_of(tx.conn(), &self.enveloppe_id)?;
        let parts = match (self.parts, baremes.is_empty()) {
            (Some(parts), _) => parts,
            (None, true) => Vec::new(),
            // Tariffs set since the envelope was read.
            (None, false) => parts_employeurs(tx.conn(), &self.convention)?,
        };
        let (par_poste, beneficiaire) = financements(
            tx,
            &baremes,
            (&self.convention.id, &parts),
            &self.enveloppe_id,
            Some(&self.beneficiaire_id),
            Some(&self.engagement_id),
        )?
        .unzip();
        check_engagement(
            self.montant,
            &Soldes {
                montant_centimes: enveloppe.montant_centimes,
                engage_centimes: enveloppe.engage_centimes,
                plafond: solde.plafond_centimes.map(|plafond| PlafondDepartement {
                    departement: departement.clone(),
                    plafond_centimes: plafond,
                    engage_centimes: solde.engage_centimes,
                }),
                par_poste,
                beneficiaire: beneficiaire.flatten(),
            },
        )?;
        repo::move_money(
            tx,
            &self.enveloppe_id,
            departement,
            Mouvement::engagement(self.montant),
        )?;
        Ok(())
    }
}

/// Takes a commitment on an envelope for a convention the caller sees: its row and journal entry
/// now, its money as the transaction's last step ([`EngagementPris::money`]).
///
/// Locks: the convention shared (commitments of one convention do not wait for each other, and
/// its status and posts cannot change before the transaction ends); the envelope only in
/// [`PendingMoney::move_now`]. The envelope is read first, unlocked, for its 404 before the body.
pub fn engage(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    enveloppe_id: &EnveloppeId,
    gate: impl Gate<NouvelEngagement>,
) -> Result<EngagementPris, ApiError> {
    let seen = repo::find_enveloppe(tx.conn(), enveloppe_id)?.ok_or_else(enveloppe_not_found)?;
    let input = gate(seen.version)?;
    let convention = locks::convention_shared(tx, &input.convention_id)?
        .filter(|c| policy::convention_visible(&ctx.caller, c))
        .ok_or_else(|| {
            ApiError::NotFound(
                "Aucune convention de cet identifiant (convention_id) dans votre portée."
                    .to_owned(),
            )
        })?;
    policy::check_create(
        &ctx.caller,
        Resource::Engagement,
        &Perimeter {
            departement: Some(convention.departement.as_str()),
            structures: &[],
        },
    )?;
    check_convention_engageable(convention.statut)?;
    let beneficiaire_id = choisir_beneficiaire(
        &convention.parts_employeurs(),
        input.beneficiaire_id.as_ref(),
    )?
    .0
    .clone();
    // The perimeter never changes; the period and the tariffs may, and are checked again under
    // the lock.
    check_perimetre(
        seen.perimetre_departement.as_ref(),
        &convention.departement,
        FieldError::pointer("/convention_id", ""),
    )?;
    let baremes = repo::baremes_of(tx.conn(), enveloppe_id)?;
    let parts = if baremes.is_empty() {
        None
    } else {
        Some(parts_employeurs(tx.conn(), &convention)?)
    };
    // The beneficiary's posts × its tariff (nothing when its pair has none).
    let maximum = parts.as_deref().map(|parts| {
        parts
            .iter()
            .find(|p| p.structure_id == beneficiaire_id)
            .map_or(0, |part| {
                financement_maximal(&baremes, std::slice::from_ref(part))
            })
    });
    let montant = montant_engagement(input.montant_centimes, maximum)?;
    let date = date_engagement(
        input.date_engagement,
        ctx.today,
        convention.date_signature,
        (seen.date_debut, seen.date_fin),
    )?;
    let created = repo::insert_engagement(
        tx,
        &NewEngagement {
            enveloppe_id,
            convention_id: &convention.id,
            departement: &convention.departement,
            beneficiaire_id: &beneficiaire_id,
            montant_centimes: montant,
            date_engagement: date,
            objet: input.objet.trim(),
        },
    )?;
    journal::record(tx, &ctx.author, "creation", None, &created)?;
    let money = PendingMoney {
        enveloppe_id: enveloppe_id.clone(),
        engagement_id: created.id.clone(),
        convention,
        beneficiaire_id,
        montant,
        date,
        date_given: input.date_engagement,
        today: ctx.today,
        seen: (seen.version, !baremes.is_empty()),
        parts,
    };
    Ok(EngagementPris {
        engagement: created,
        money,
    })
}

/// Reads the balances of an envelope, a département, a convention and a commitment's
/// beneficiary as they stand in the transaction.
fn soldes_apres(tx: &mut WriteTx<'_>, engagement: &Engagement) -> Result<SoldesApres, ApiError> {
    let enveloppe_id = &engagement.enveloppe_id;
    let enveloppe =
        repo::find_enveloppe(tx.conn(), enveloppe_id)?.ok_or_else(enveloppe_not_found)?;
    let convention = conventions::find(tx.conn(), &engagement.convention_id)?
        .ok_or_else(|| ApiError::internal("engagement sans convention"))?;
    let departement = repo::departement(tx.conn(), enveloppe_id, &convention.departement)?;
    let baremes = repo::baremes_of(tx.conn(), enveloppe_id)?;
    let parts = if baremes.is_empty() {
        Vec::new()
    } else {
        parts_employeurs(tx.conn(), &convention)?
    };
    let (convention, beneficiaire) = financements(
        tx,
        &baremes,
        (&convention.id, &parts),
        enveloppe_id,
        Some(&engagement.beneficiaire_id),
        None,
    )?
    .unzip();
    Ok(SoldesApres {
        enveloppe,
        departement,
        convention,
        beneficiaire: beneficiaire.flatten(),
    })
}

/// `POST …/engagements?simulation=true`: the commitment taken as [`engage`] then
/// [`PendingMoney::move_now`] would take it (every rule, under the same locks), and the balances
/// it would leave; the caller rolls the transaction back.
pub fn simulate_engage(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    enveloppe_id: &EnveloppeId,
    gate: impl Gate<NouvelEngagement>,
) -> Result<(Engagement, SoldesApres), ApiError> {
    let EngagementPris { engagement, money } = engage(tx, ctx, enveloppe_id, gate)?;
    money.move_now(tx)?;
    let soldes = soldes_apres(tx, &engagement)?;
    Ok((engagement, soldes))
}

/// `POST …/versements?simulation=true`: the payment as [`pay`] would record it, the commitment
/// after it and the balances it would leave; the caller rolls the transaction back.
pub fn simulate_pay(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    engagement_id: &EngagementId,
    gate: impl Gate<NouveauVersement>,
) -> Result<(Versement, Engagement, SoldesApres), ApiError> {
    let versement = pay(tx, ctx, engagement_id, gate)?;
    let engagement =
        repo::find_engagement(tx.conn(), engagement_id)?.ok_or_else(engagement_not_found)?;
    let soldes = soldes_apres(tx, &engagement)?;
    Ok((versement, engagement, soldes))
}

/// Annuls a locked live commitment: what was not paid returns to the envelope; journaled.
fn annul(
    tx: &mut WriteTx<'_>,
    author: &Author,
    engagement: &Engagement,
    date: NaiveDate,
    motif: &str,
) -> Result<Engagement, ApiError> {
    apply(engagement.statut, ActionEngagement::Annulation)?;
    let annulled = repo::annul_engagement(tx, engagement, date, motif)?;
    repo::move_money(
        tx,
        &engagement.enveloppe_id,
        &engagement.departement,
        Mouvement::annulation(engagement),
    )?;
    journal::record(
        tx,
        author,
        ActionEngagement::Annulation.as_str(),
        Some(engagement),
        &annulled,
    )?;
    Ok(annulled)
}

/// Locks a commitment (its envelope first) and checks the caller's access to it.
fn locked_engagement_in_scope(
    tx: &mut WriteTx<'_>,
    caller: &Caller,
    id: &EngagementId,
    resource: Resource,
    action: Action,
) -> Result<Engagement, ApiError> {
    let engagement = locks::engagement(tx, id)?.ok_or_else(engagement_not_found)?;
    let structures = structures_of(tx.conn(), &engagement.convention_id)?;
    check_engagement_access(caller, &engagement, &structures, resource, action)?;
    Ok(engagement)
}

/// Annuls a commitment at the caller's request.
pub fn annul_engagement(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &EngagementId,
    gate: impl Gate<Annulation>,
) -> Result<Engagement, ApiError> {
    let engagement =
        locked_engagement_in_scope(tx, &ctx.caller, id, Resource::Engagement, Action::Delete)?;
    let input = gate(engagement.version)?;
    apply(engagement.statut, ActionEngagement::Annulation)?;
    let date = effective_date(
        "date_annulation",
        input.date_annulation,
        ctx.today,
        Some(("date_engagement", engagement.date_engagement)),
    )?;
    annul(tx, &ctx.author, &engagement, date, input.motif.trim())
}

/// When a convention ends (résiliation, clôture) on `date`, its live commitments are annulled in
/// the same transaction, each journaled: what was not paid returns to the envelopes. Called
/// under the convention's lock; locks the envelopes concerned by id, then each commitment.
pub fn annul_for_convention(
    tx: &mut WriteTx<'_>,
    author: &Author,
    convention: &ConventionId,
    date: NaiveDate,
    motif: &str,
) -> Result<(), ApiError> {
    let live: Vec<Engagement> = repo::engagements_of_convention(tx.conn(), convention, None)?
        .into_iter()
        .filter(|e| e.statut == StatutEngagement::Actif)
        .collect();
    locks::enveloppes(tx, live.iter().map(|e| &e.enveloppe_id))?;
    for seen in &live {
        let engagement = locks::engagement(tx, &seen.id)?.ok_or_else(engagement_not_found)?;
        if engagement.statut == StatutEngagement::Actif {
            annul(
                tx,
                author,
                &engagement,
                date.max(engagement.date_engagement),
                motif,
            )?;
        }
    }
    Ok(())
}

/// A change of a convention's posts or split (an avenant, the hosting project) never leaves it
/// funded beyond what an envelope's tariffs allow its employers as they will be (409
/// `convention_surfinancee`). Called under the convention's lock with the convention as it will
/// be saved; locks the envelopes concerned by id, then reads their tariffs and what the
/// convention has engaged on each.
pub fn check_financement_convention(
    tx: &mut WriteTx<'_>,
    convention: &Convention,
) -> Result<(), ApiError> {
    let engagements = repo::engagements_of_convention(tx.conn(), &convention.id, None)?;
    if engagements.is_empty() {
        return Ok(());
    }
    let enveloppes = locks::enveloppes(tx, engagements.iter().map(|e| &e.enveloppe_id))?;
    let parts = parts_employeurs(tx.conn(), convention)?;
    for enveloppe in enveloppes {
        let baremes = repo::baremes_of(tx.conn(), &enveloppe.id)?;
        check_financements(tx, &baremes, (&convention.id, &parts), &enveloppe.id)?;
    }
    Ok(())
}

/// Records a payment on a live commitment (never beyond what is left to pay), of the instalment
/// it names if it names one ([`montant_versement`]).
pub fn pay(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    engagement_id: &EngagementId,
    gate: impl Gate<NouveauVersement>,
) -> Result<Versement, ApiError> {
    let engagement = locked_engagement_in_scope(
        tx,
        &ctx.caller,
        engagement_id,
        Resource::Versement,
        Action::Create,
    )?;
    let input = gate(engagement.version)?;
    apply(engagement.statut, ActionEngagement::Versement)?;
    let date = effective_date(
        "date_versement",
        Some(input.date_versement),
        ctx.today,
        Some(("date_engagement", engagement.date_engagement)),
    )?;
    let montant = montant_versement(tx, &engagement, input.montant_centimes, input.tranche)?;
    check_versement(&engagement, montant)?;
    let versement = repo::insert_versement(
        tx,
        &NewVersement {
            engagement: &engagement,
            montant_centimes: montant,
            date_versement: date,
            reference: input.reference.trim(),
            tranche: input.tranche,
        },
    )?;
    repo::pay(tx, &engagement, Mouvement::versement(&engagement, montant))?;
    journal::record(
        tx,
        &ctx.author,
        "creation",
        None,
        &VersementPlace {
            versement: &versement,
            departement: &engagement.departement,
        },
    )?;
    Ok(versement)
}

/// A payment's amount: the one given; when it names an instalment, that instalment must exist in
/// the beneficiary's tariff (422 at `/tranche`) and not be paid yet on this commitment (409
/// `tranche_deja_versee`), and it defaults to the instalment × the beneficiary's posts. Called
/// under the commitment's lock.
fn montant_versement(
    tx: &mut WriteTx<'_>,
    engagement: &Engagement,
    given: Option<i64>,
    tranche: Option<i64>,
) -> Result<i64, ApiError> {
    let Some(rang) = tranche else {
        return given.ok_or_else(|| {
            let detail = "montant_centimes est obligatoire sans tranche.";
            ApiError::from(
                Refusal::new(&VALIDATION, detail.to_owned())
                    .with_error(FieldError::pointer("/montant_centimes", detail)),
            )
        });
    };
    let baremes = repo::baremes_of(tx.conn(), &engagement.enveloppe_id)?;
    let convention = conventions::find(tx.conn(), &engagement.convention_id)?
        .ok_or_else(|| ApiError::internal("engagement sans convention"))?;
    let parts = parts_employeurs(tx.conn(), &convention)?;
    let part = parts
        .iter()
        .find(|p| p.structure_id == engagement.beneficiaire_id);
    let montant_tranche = montant_tranche(
        part.and_then(|part| bareme_de(&baremes, part)),
        part.map_or(0, |p| p.postes),
        rang,
    )?;
    if let Some(deja) = repo::versement_de_tranche(tx.conn(), &engagement.id, rang)? {
        return Err(Refusal::new(
            &TRANCHE_DEJA_VERSEE,
            format!(
                "La tranche {rang} de cet engagement a déjà été versée (versement {deja}) : annuler ce versement d'abord."
            ),
        )
        .with_member("tranche", rang)
        .with_member("versement_id", deja.as_str())
        .into());
    }
    match given {
        Some(montant) => Ok(montant),
        None => montant_engagement(None, Some(montant_tranche)).map_err(|_| {
            let detail = "montant_centimes est obligatoire : la tranche ne vaut rien pour les postes du bénéficiaire.";
            Refusal::new(&VALIDATION, detail.to_owned())
                .with_error(FieldError::pointer("/montant_centimes", detail))
                .into()
        }),
    }
}

/// Cancels a payment: what it paid leaves the paid sums (and, on an annulled commitment, the
/// engaged sums).
pub fn annul_versement(
    tx: &mut WriteTx<'_>,
    ctx: &Context,
    id: &VersementId,
    gate: impl Gate<Annulation>,
) -> Result<Versement, ApiError> {
    let (engagement, versement) = locks::versement(tx, id)?.ok_or_else(versement_not_found)?;
    let structures = structures_of(tx.conn(), &engagement.convention_id)?;
    check_engagement_access(
        &ctx.caller,
        &engagement,
        &structures,
        Resource::Versement,
        Action::Delete,
    )
    .map_err(|error| match error {
        ApiError::NotFound(_) => versement_not_found(),
        other => other,
    })?;
    let input = gate(engagement.version)?;
    apply(versement.statut, ActionVersement::Annulation)?;
    let date = effective_date(
        "date_annulation",
        input.date_annulation,
        ctx.today,
        Some(("date_versement", versement.date_versement)),
    )?;
    let annulled = repo::annul_versement(tx, &versement, date, input.motif.trim())?;
    repo::pay(
        tx,
        &engagement,
        Mouvement::versement(&engagement, -versement.montant_centimes),
    )?;
    let place = |versement| VersementPlace {
        versement,
        departement: &engagement.departement,
    };
    journal::record(
        tx,
        &ctx.author,
        ActionVersement::Annulation.as_str(),
        Some(&place(&versement)),
        &place(&annulled),
    )?;
    Ok(annulled)
}

/// An envelope's tariffs, read once for several lines (`lues`: those read so far).
pub fn baremes_lus<'a>(
    conn: &mut DbConn,
    lues: &'a mut Vec<(EnveloppeId, Vec<Bareme>)>,
    enveloppe_id: &EnveloppeId,
) -> Result<&'a [Bareme], ApiError> {
    let index = match lues.iter().position(|(e, _)| e == enveloppe_id) {
        Some(index) => index,
        None => {
            lues.push((enveloppe_id.clone(), repo::baremes_of(conn, enveloppe_id)?));
            lues.len() - 1
        }
    };
    Ok(&lues[index].1)
}

/// `GET /structures/{id}/financement`: what the structure receives, per envelope and convention
/// ([`FinancementEmployeur`]), as of `today`. Read like a commitment placed at the structure
/// (404 outside the caller's scope: the structure role reads its own only).
pub fn financement_structure(
    conn: &mut DbConn,
    caller: &Caller,
    id: &StructureId,
    today: NaiveDate,
) -> Result<Vec<FinancementEmployeur>, ApiError> {
    let structure = structures::find(conn, id)?.ok_or_else(crate::app::structure::not_found)?;
    policy::check_seen_placed(caller, Resource::Engagement, Action::Read, &structure)?;
    let engagements = repo::engagements_du_beneficiaire(conn, id)?;
    let ids: Vec<EngagementId> = engagements.iter().map(|e| e.id.clone()).collect();
    let versements = repo::versements_effectues(conn, &ids)?;
    let mut lignes: Vec<FinancementEmployeur> = Vec::new();
    let mut baremes = Vec::new();
    for groupe in engagements
        .chunk_by(|a, b| (&a.enveloppe_id, &a.convention_id) == (&b.enveloppe_id, &b.convention_id))
    {
        let first = &groupe[0];
        let tarifs = baremes_lus(conn, &mut baremes, &first.enveloppe_id)?;
        let convention = conventions::find(conn, &first.convention_id)?
            .ok_or_else(|| ApiError::internal("engagement sans convention"))?;
        let parts = parts_employeurs(conn, &convention)?;
        let part = parts.iter().find(|p| &p.structure_id == id);
        let postes = part.map_or(0, |p| p.postes);
        let bareme = part.and_then(|p| bareme_de(tarifs, p));
        let siens: Vec<(i64, i64)> = versements
            .iter()
            .filter(|v| groupe.iter().any(|e| e.id == v.engagement_id))
            .filter_map(|v| v.tranche.map(|rang| (rang, v.montant_centimes)))
            .collect();
        let debut = groupe
            .iter()
            .map(|e| e.date_engagement)
            .min()
            .unwrap_or(first.date_engagement);
        lignes.push(FinancementEmployeur {
            enveloppe_id: first.enveloppe_id.clone(),
            convention_id: first.convention_id.clone(),
            postes,
            maximum_centimes: (!tarifs.is_empty())
                .then(|| part.map_or(0, |p| financement_maximal(tarifs, std::slice::from_ref(p)))),
            engage_centimes: groupe.iter().map(Engagement::engage_centimes).sum(),
            verse_centimes: groupe.iter().map(|e| e.verse_centimes).sum(),
            reste_a_verser_centimes: groupe.iter().map(Engagement::reste_a_verser_centimes).sum(),
            engagements: groupe.iter().map(|e| e.id.clone()).collect(),
            tranches: bareme
                .map(|b| crate::domain::bareme::echeancier(b, postes, debut, &siens, today))
                .unwrap_or_default(),
        });
    }
    Ok(lignes)
}

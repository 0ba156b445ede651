//! `/api/v1/enveloppes`, `/api/v1/engagements`, `/api/v1/versements`: funding envelopes and
//! their ceilings, commitments and payments.
//!
//! Every money movement is one write transaction that locks, in this order, the convention (for
//! a new commitment), the envelopes (by id), the commitment, then the payment; re-reads the sums
//! under those locks; checks the rules of `domain::financement`; moves the money; and writes the
//! journal entry and the idempotency record. The same order in every path means two
//! transactions never wait on each other in a cycle.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use chrono::NaiveDate;

use crate::api::NoQuery;
use crate::api::financement::{
    Annulation, Engagement, EngagementPage, EngagementQuery, Enveloppe, EnveloppePage,
    EnveloppeQuery, ModificationEnveloppe, NouveauPlafond, NouveauVersement, NouvelEngagement,
    NouvelleEnveloppe, Versement, VersementPage,
};
use crate::api::paging::Paging;
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Perimeter, Resource};
use crate::db::WriteTx;
use crate::db::repo::convention as conventions;
use crate::db::repo::financement::{
    self as repo, EngagementFilter, EnveloppeFilter, NewEngagement, NewEnveloppe, NewVersement,
};
use crate::db::repo::journal::{self, Author, Change};
use crate::domain::codes::CodeDepartement;
use crate::domain::convention::effective_date;
use crate::domain::financement::{
    self as domain, ActionEngagement, ActionVersement, FinancementConvention, Soldes,
    StatutEngagement, check_engagement, check_financement_apres_retrait, check_montant_enveloppe,
    check_perimetre, check_periode, check_periode_couvre, check_plafond, check_versement,
    date_engagement, montant_engagement,
};
use crate::domain::ids::{ConventionId, EngagementId, EnveloppeId, StructureId, VersementId};
use crate::domain::journal::RessourceJournal;
use crate::domain::lifecycle::apply;
use crate::domain::refusal::FieldError;
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::extract::{
    IfMatch, Paged, PathParam, PathParams, StrictQuery, etag, page_response,
};
use crate::http::idempotency::{Idempotency, Reply};
use crate::http::{AppState, author, snapshot};

fn enveloppe_not_found() -> ApiError {
    ApiError::NotFound("Aucune enveloppe de cet identifiant.".to_owned())
}

fn engagement_not_found() -> ApiError {
    ApiError::NotFound("Aucun engagement de cet identifiant dans votre portée.".to_owned())
}

fn versement_not_found() -> ApiError {
    ApiError::NotFound("Aucun versement de cet identifiant dans votre portée.".to_owned())
}

/// Envelopes have no territory: every authenticated caller reads them; only admins write.
fn check_enveloppe(caller: &Caller, action: Action) -> Result<(), ApiError> {
    policy::check(
        Some(caller),
        Resource::Enveloppe,
        action,
        &Perimeter::NATIONAL,
    )?;
    Ok(())
}

/// A commitment with what places it: its département and its convention's structures.
struct Placed {
    engagement: domain::Engagement,
    structures: Vec<StructureId>,
}

impl Placed {
    /// Whether `caller` sees it (404 otherwise) and may do `action` on `resource` (403).
    fn check(&self, caller: &Caller, resource: Resource, action: Action) -> Result<(), ApiError> {
        let structures: Vec<&str> = self.structures.iter().map(|s| s.as_str()).collect();
        let perimeter = Perimeter {
            departement: Some(self.engagement.departement.as_str()),
            structures: &structures,
        };
        Ok(policy::check_seen(caller, resource, action, &perimeter)?)
    }
}

/// The structures of a convention (signatories and hosts), for the scope of its money.
fn structures_of(
    conn: &mut crate::db::DbConn,
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

fn placed(
    conn: &mut crate::db::DbConn,
    engagement: Option<domain::Engagement>,
) -> Result<Option<Placed>, ApiError> {
    engagement
        .map(|engagement| {
            let structures = structures_of(conn, &engagement.convention_id)?;
            Ok(Placed {
                engagement,
                structures,
            })
        })
        .transpose()
}

/// An envelope's read model, read in the transaction or connection given.
fn enveloppe_view(
    conn: &mut crate::db::DbConn,
    enveloppe: domain::Enveloppe,
) -> Result<Enveloppe, ApiError> {
    let departements = repo::departements(conn, &enveloppe.id)?;
    Ok(Enveloppe::of(enveloppe, departements))
}

/// The stored state of an object, for the journal (a DTO as a JSON object).
fn record(
    tx: &mut WriteTx<'_>,
    who: &Author,
    action: &str,
    ressource: (RessourceJournal, &str),
    departement: Option<&CodeDepartement>,
    before: Option<&serde_json::Map<String, serde_json::Value>>,
    after: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ApiError> {
    journal::record(
        tx,
        Change {
            author: who,
            action,
            ressource: ressource.0,
            ressource_id: ressource.1,
            departement,
            before,
            after,
        },
    )?;
    Ok(())
}

/// The journal's view of an envelope: its stored fields, without the ceilings (journaled as
/// their own entries).
fn enveloppe_snapshot(
    enveloppe: &domain::Enveloppe,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let mut view = snapshot(&Enveloppe::of(enveloppe.clone(), Vec::new()))?;
    view.remove("plafonds");
    Ok(view)
}

/// Créer une enveloppe
///
/// Crée une enveloppe de financement (rien n'y est engagé). Une enveloppe départementale
/// (`perimetre_departement`) ne finance que les conventions de ce département. Accepte
/// `Idempotency-Key`. Accès : `admin`.
#[utoipa::path(
    tag = "Financement",
    operation_id = "createEnveloppe",
    params(crate::openapi::IdempotencyKey, NoQuery),
    request_body = NouvelleEnveloppe,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "L'enveloppe créée.", body = Enveloppe,
            headers(("Location" = String, description = "L'URL de l'enveloppe."),
                    ("ETag" = String, description = "La version de l'enveloppe."))),
        crate::openapi::CreateErrors,
    )
)]
#[post("/enveloppes")]
pub async fn create_enveloppe(
    state: web::Data<AppState>,
    caller: Caller,
    once: Idempotency,
    _query: StrictQuery<NoQuery>,
    body: Body<NouvelleEnveloppe>,
) -> Result<HttpResponse, ApiError> {
    policy::check_create(&caller, Resource::Enveloppe, &Perimeter::NATIONAL)?;
    let request = once.request(&caller, body.raw())?;
    let new = body.accept()?;
    check_periode(new.date_debut, new.date_fin)?;
    let who = author(&caller);
    state
        .write_once(request, move |tx| {
            let created = repo::insert_enveloppe(
                tx,
                &NewEnveloppe {
                    libelle: new.libelle.trim().to_owned(),
                    financeur: new.financeur.trim().to_owned(),
                    programme_budgetaire: new.programme_budgetaire.map(|p| p.trim().to_owned()),
                    nature: new.nature,
                    montant_centimes: new.montant_centimes,
                    date_debut: new.date_debut,
                    date_fin: new.date_fin,
                    perimetre_departement: new.perimetre_departement,
                    objectif_postes: new.objectif_postes,
                    montant_par_poste_centimes: new.montant_par_poste_centimes,
                },
            )?;
            record(
                tx,
                &who,
                "creation",
                (RessourceJournal::Enveloppe, created.id.as_str()),
                None,
                None,
                &enveloppe_snapshot(&created)?,
            )?;
            Ok(Reply::created(
                format!("/api/v1/enveloppes/{}", created.id),
                &Enveloppe::of(created.clone(), Vec::new()),
            )?
            .with_version(created.version))
        })
        .await
}

/// Lister les enveloppes
///
/// Les enveloppes, les plus récentes d'abord, avec leurs soldes et plafonds, filtrées par nature
/// ou par département financé. Accès : tout jeton valide.
#[utoipa::path(
    tag = "Financement",
    operation_id = "listEnveloppes",
    params(EnveloppeQuery, Paging),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Une page d'enveloppes.", body = EnveloppePage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` : l'URL de la page suivante, quand il y en a une."))),
        crate::openapi::ListErrors,
    )
)]
#[get("/enveloppes")]
pub async fn list_enveloppes(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: Paged<EnveloppeQuery>,
) -> Result<HttpResponse, ApiError> {
    check_enveloppe(&caller, Action::Read)?;
    let Paged { filter, paging } = query;
    let filter = EnveloppeFilter {
        nature: filter.nature,
        departement: filter.departement,
    };
    let (after, limit) = (paging.after(), paging.limit());
    let page = state
        .read(move |conn| {
            let page = repo::list_enveloppes(conn, &filter, after.as_ref(), limit)?;
            let ids: Vec<&EnveloppeId> = page.items.iter().map(|e| &e.id).collect();
            let mut departements = repo::departements_of_many(conn, &ids)?.into_iter();
            // One query for the page's ceilings, in the page's order.
            page.try_map(|e| {
                let (_, soldes) = departements
                    .next()
                    .ok_or_else(|| ApiError::internal("plafonds de la page"))?;
                Ok::<_, ApiError>(Enveloppe::of(e, soldes))
            })
        })
        .await?;
    Ok(page_response(&req, page, |items, next_cursor| {
        EnveloppePage { items, next_cursor }
    }))
}

/// Lire une enveloppe
///
/// Une enveloppe avec ses soldes : engagé (engagements actifs et parts versées des engagements
/// annulés), versé, disponible, et chacun de ses plafonds départementaux avec son engagé et son
/// disponible. Accès : tout jeton valide.
#[utoipa::path(
    tag = "Financement",
    operation_id = "getEnveloppe",
    params(
        ("id" = inline(EnveloppeId), Path, description = "Identifiant de l'enveloppe.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f94"),
        NoQuery
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "L'enveloppe.", body = Enveloppe,
            headers(("ETag" = String, description = "La version de l'enveloppe, pour `If-Match`."))),
        crate::openapi::ItemErrors,
    )
)]
#[get("/enveloppes/{id}")]
pub async fn get_enveloppe(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<EnveloppeId>,
    _query: StrictQuery<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    check_enveloppe(&caller, Action::Read)?;
    let id = id.into_inner();
    let view = state
        .read_short(move |conn| {
            let enveloppe = repo::find_enveloppe(conn, &id)?.ok_or_else(enveloppe_not_found)?;
            enveloppe_view(conn, enveloppe)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(view.version)))
        .json(view))
}

/// Modifier une enveloppe
///
/// Change les champs modifiables d'une enveloppe. Le montant ne descend jamais sous ce qui est
/// engagé ni sous la somme des plafonds (409 `montant_insuffisant`) ; la période couvre toujours
/// les engagements pris (409 `periode_incompatible`). Exige `If-Match` : absent, 428 ; périmé,
/// 412. Accès : `admin`.
#[utoipa::path(
    tag = "Financement",
    operation_id = "updateEnveloppe",
    params(
        ("id" = inline(EnveloppeId), Path, description = "Identifiant de l'enveloppe.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f94"),
        ("If-Match" = Option<String>, Header, description = "Obligatoire : l'`ETag` de la dernière lecture (`\"3\"`) ; absent, 428 `precondition_requise` (RFC 6585) ; périmé, 412."),
        NoQuery
    ),
    request_body = ModificationEnveloppe,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "L'enveloppe modifiée.", body = Enveloppe,
            headers(("ETag" = String, description = "La nouvelle version."))),
        crate::openapi::ChangeErrors,
    )
)]
#[patch("/enveloppes/{id}")]
pub async fn update_enveloppe(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<EnveloppeId>,
    if_match: Option<IfMatch>,
    _query: StrictQuery<NoQuery>,
    body: Body<ModificationEnveloppe>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let who = author(&caller);
    let reply = state
        .write(move |tx| {
            let current = repo::lock_enveloppe(tx, &id)?.ok_or_else(enveloppe_not_found)?;
            check_enveloppe(&caller, Action::Edit)?;
            let change = body.accept()?;
            IfMatch::required(if_match)?.check(current.version)?;
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
                let dates = repo::dates_engagements(tx.conn(), &id)?;
                check_periode_couvre(next.date_debut, next.date_fin, dates)?;
            }
            if let Some(montant) = change.montant_centimes {
                let plafonds = sum_plafonds(tx, &id, None)?;
                check_montant_enveloppe(montant, current.engage_centimes, plafonds)?;
                next.montant_centimes = montant;
            }
            let saved = repo::save_enveloppe(tx, &next)?;
            record(
                tx,
                &who,
                "modification",
                (RessourceJournal::Enveloppe, saved.id.as_str()),
                None,
                Some(&enveloppe_snapshot(&current)?),
                &enveloppe_snapshot(&saved)?,
            )?;
            let view = enveloppe_view(tx.conn(), saved.clone())?;
            Ok(Reply::ok(&view)?.with_version(saved.version))
        })
        .await?;
    Ok(reply.into_response())
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

/// Fixer le plafond d'un département
///
/// Crée (201) ou remplace (200) le plafond d'un département dans l'enveloppe. La somme des
/// plafonds ne dépasse jamais le montant (409 `plafonds_excedentaires`) ; un plafond ne descend
/// jamais sous ce qui est déjà engagé dans le département (409 `plafond_insuffisant`). Une
/// enveloppe départementale n'a de plafond que pour son département (422 `hors_perimetre`).
/// Répond avec l'enveloppe entière. Accès : `admin`.
#[utoipa::path(
    tag = "Financement",
    operation_id = "putPlafond",
    params(
        ("id" = inline(EnveloppeId), Path, description = "Identifiant de l'enveloppe.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f94"),
        ("departement" = inline(CodeDepartement), Path, description = "Code du département.", example = "93"),
        NoQuery
    ),
    request_body = NouveauPlafond,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Le plafond est remplacé : l'enveloppe.", body = Enveloppe),
        (status = 201, description = "Le plafond est créé : l'enveloppe.", body = Enveloppe,
            headers(("Location" = String, description = "L'URL du plafond."))),
        crate::openapi::ActErrors,
    )
)]
#[put("/enveloppes/{id}/plafonds/{departement}")]
pub async fn put_plafond(
    state: web::Data<AppState>,
    caller: Caller,
    ids: PathParams<EnveloppeId, CodeDepartement>,
    _query: StrictQuery<NoQuery>,
    body: Body<NouveauPlafond>,
) -> Result<HttpResponse, ApiError> {
    let PathParams(id, departement) = ids;
    let who = author(&caller);
    let reply = state
        .write(move |tx| {
            let enveloppe = repo::lock_enveloppe(tx, &id)?.ok_or_else(enveloppe_not_found)?;
            check_enveloppe(&caller, Action::Edit)?;
            let input = body.accept()?;
            check_perimetre(
                enveloppe.perimetre_departement.as_ref(),
                &departement,
                FieldError::parameter("departement", ""),
            )?;
            let current = repo::departement(tx.conn(), &id, &departement)?;
            let autres = sum_plafonds(tx, &id, Some(&departement))?;
            check_plafond(
                &departement,
                input.plafond_centimes,
                enveloppe.montant_centimes,
                autres,
                current.engage_centimes,
            )?;
            repo::set_plafond(tx, &id, &departement, Some(input.plafond_centimes))?;
            let plafond = |value: Option<i64>| {
                let mut map = serde_json::Map::new();
                map.insert("departement".to_owned(), departement.as_str().into());
                map.insert("plafond_centimes".to_owned(), value.into());
                map
            };
            record(
                tx,
                &who,
                "plafond",
                (RessourceJournal::Enveloppe, id.as_str()),
                Some(&departement),
                current.plafond_centimes.map(|p| plafond(Some(p))).as_ref(),
                &plafond(Some(input.plafond_centimes)),
            )?;
            let view = enveloppe_view(tx.conn(), enveloppe)?;
            match current.plafond_centimes {
                Some(_) => Reply::ok(&view),
                None => Reply::created(
                    format!("/api/v1/enveloppes/{id}/plafonds/{departement}"),
                    &view,
                ),
            }
        })
        .await?;
    Ok(reply.into_response())
}

/// Supprimer le plafond d'un département
///
/// Le département n'a plus de plafond propre dans l'enveloppe (ce qui y est engagé le reste).
/// 404 quand il n'en avait pas. Accès : `admin`.
#[utoipa::path(
    tag = "Financement",
    operation_id = "deletePlafond",
    params(
        ("id" = inline(EnveloppeId), Path, description = "Identifiant de l'enveloppe.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f94"),
        ("departement" = inline(CodeDepartement), Path, description = "Code du département.", example = "93"),
        NoQuery
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Le plafond est supprimé."),
        crate::openapi::ActErrors,
    )
)]
#[delete("/enveloppes/{id}/plafonds/{departement}")]
pub async fn delete_plafond(
    state: web::Data<AppState>,
    caller: Caller,
    ids: PathParams<EnveloppeId, CodeDepartement>,
    _query: StrictQuery<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let PathParams(id, departement) = ids;
    let who = author(&caller);
    state
        .write(move |tx| {
            repo::lock_enveloppe(tx, &id)?.ok_or_else(enveloppe_not_found)?;
            check_enveloppe(&caller, Action::Edit)?;
            let current = repo::departement(tx.conn(), &id, &departement)?;
            let Some(plafond) = current.plafond_centimes else {
                return Err(ApiError::NotFound(format!(
                    "L'enveloppe n'a pas de plafond pour le département {departement}."
                )));
            };
            repo::set_plafond(tx, &id, &departement, None)?;
            let mut before = serde_json::Map::new();
            before.insert("departement".to_owned(), departement.as_str().into());
            before.insert("plafond_centimes".to_owned(), plafond.into());
            let mut after = before.clone();
            after.insert("plafond_centimes".to_owned(), serde_json::Value::Null);
            record(
                tx,
                &who,
                "suppression_plafond",
                (RessourceJournal::Enveloppe, id.as_str()),
                Some(&departement),
                Some(&before),
                &after,
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Engager des crédits
///
/// Engage des crédits de l'enveloppe pour une convention signée et non terminée (409
/// `convention_non_engageable` sinon ; d'un autre département qu'une enveloppe départementale :
/// 422 `hors_perimetre`). Sans montant : postes attribués × montant par poste. La date
/// (aujourd'hui par défaut) n'est ni dans le futur, ni avant la signature, et tombe dans la
/// période de l'enveloppe (422 `hors_periode`).
///
/// Jamais au-delà : des postes × montant par poste de la convention (409
/// `convention_entierement_financee`), du plafond du département (409 `plafond_depasse`), du
/// montant de l'enveloppe (409 `enveloppe_insuffisante`) ; chaque refus donne le disponible
/// (`disponible_centimes`). Tenu même sous requêtes concurrentes sur plusieurs instances : la
/// ligne de l'enveloppe est verrouillée pendant la transaction.
///
/// `Idempotency-Key` obligatoire (400 sans) : la même clé et le même corps rejouent la réponse ;
/// une requête identique encore en cours répond 409 `requete_en_cours`. Une convention inconnue
/// ou hors de la portée de l'appelant : 404, comme une enveloppe inconnue.
/// Accès : `admin` ; `prefecture` pour une convention de ses départements.
#[utoipa::path(
    tag = "Financement",
    operation_id = "createEngagement",
    params(
        ("id" = inline(EnveloppeId), Path, description = "Identifiant de l'enveloppe.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f94"),
        crate::openapi::IdempotencyKeyRequired,
        NoQuery
    ),
    request_body = NouvelEngagement,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "L'engagement pris.", body = Engagement,
            headers(("Location" = String, description = "L'URL de l'engagement."),
                    ("ETag" = String, description = "La version de l'engagement."))),
        crate::openapi::ActErrors,
    )
)]
#[post("/enveloppes/{id}/engagements")]
pub async fn create_engagement(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<EnveloppeId>,
    once: Idempotency,
    _query: StrictQuery<NoQuery>,
    body: Body<NouvelEngagement>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    policy::check_create(&caller, Resource::Engagement, &Perimeter::NATIONAL)?;
    let request = once.required(&caller, body.raw())?;
    let today = state.today();
    let who = author(&caller);
    state
        .write_once_then(request, move |tx| {
            // 404 for an unknown envelope before anything about the body. Its lock comes last,
            // after the convention's (the order of every path) and after the idempotency record:
            // every commitment on the envelope waits for it, so only the money and the commit run
            // under it.
            let seen = repo::find_enveloppe(tx.conn(), &id)?.ok_or_else(enveloppe_not_found)?;
            let input = body.accept()?;
            // Shared: concurrent commitments of one convention do not wait for each other, and
            // its status and posts cannot change before this transaction ends.
            let convention = conventions::share(tx, &input.convention_id)?
                .filter(|c| super::convention::visible(&caller, c))
                .ok_or_else(|| {
                    ApiError::NotFound(
                        "Aucune convention de cet identifiant (convention_id) dans votre portée."
                            .to_owned(),
                    )
                })?;
            policy::check_create(
                &caller,
                Resource::Engagement,
                &Perimeter {
                    departement: Some(convention.departement.as_str()),
                    structures: &[],
                },
            )?;
            domain::check_convention_engageable(convention.statut)?;
            // The perimeter and the per-post amount never change; the period may, and is checked
            // again under the lock.
            check_perimetre(
                seen.perimetre_departement.as_ref(),
                &convention.departement,
                FieldError::pointer("/convention_id", ""),
            )?;
            let montant = montant_engagement(
                input.montant_centimes,
                convention.postes_attribues,
                seen.montant_par_poste_centimes,
            )?;
            let dated = move |enveloppe: &domain::Enveloppe| {
                date_engagement(
                    input.date_engagement,
                    today,
                    convention.date_signature,
                    (enveloppe.date_debut, enveloppe.date_fin),
                )
            };
            let date = dated(&seen)?;
            let created = repo::insert_engagement(
                tx,
                &NewEngagement {
                    enveloppe_id: &id,
                    convention_id: &convention.id,
                    departement: &convention.departement,
                    montant_centimes: montant,
                    date_engagement: date,
                    objet: input.objet.trim(),
                },
            )?;
            let dto = Engagement::from(created.clone());
            record(
                tx,
                &who,
                "creation",
                (RessourceJournal::Engagement, created.id.as_str()),
                Some(&created.departement),
                None,
                &snapshot(&dto)?,
            )?;
            let reply = Reply::created(format!("/api/v1/engagements/{}", created.id), &dto)?
                .with_version(created.version);
            // The money, last: in two conditional updates when the envelope has no per-post
            // amount (the sum of the convention's commitments needs reading under the lock), the
            // first of which takes the envelope's lock; what runs under that lock bounds how many
            // commitments per second an envelope takes.
            let par_poste_fixe = seen.montant_par_poste_centimes;
            let money = move |tx: &mut WriteTx<'_>| -> Result<(), ApiError> {
                if par_poste_fixe.is_none()
                    && repo::try_engage(tx, &id, &convention.departement, montant, date)?
                {
                    return Ok(());
                }
                // Otherwise, under the lock, the domain decides from the sums as they are now: the
                // refusal, or the money after all (another commitment may have been annulled
                // meanwhile).
                let enveloppe = repo::lock_enveloppe(tx, &id)?.ok_or_else(enveloppe_not_found)?;
                dated(&enveloppe)?;
                let departement = repo::departement(tx.conn(), &id, &convention.departement)?;
                let par_poste = match enveloppe.montant_par_poste_centimes {
                    Some(par_poste) => Some(FinancementConvention {
                        postes: convention.postes_attribues,
                        montant_par_poste_centimes: par_poste,
                        // The sum counts the new commitment (live, nothing paid: its whole amount).
                        engage_centimes: repo::engage_pour_convention(
                            tx.conn(),
                            &convention.id,
                            &id,
                        )? - montant,
                    }),
                    None => None,
                };
                check_engagement(
                    montant,
                    &Soldes {
                        montant_centimes: enveloppe.montant_centimes,
                        engage_centimes: enveloppe.engage_centimes,
                        plafond: departement.plafond_centimes.map(|plafond| {
                            (
                                convention.departement.clone(),
                                plafond,
                                departement.engage_centimes,
                            )
                        }),
                        par_poste,
                    },
                )?;
                repo::move_money(tx, &id, &convention.departement, montant, 0)?;
                Ok(())
            };
            Ok((reply, money))
        })
        .await
}

/// Lister les engagements
///
/// Les engagements visibles de l'appelant, les plus récents d'abord, filtrés par enveloppe,
/// convention, département ou statut. Accès : `admin` et `lecteur` national : tous ;
/// `prefecture` et `lecteur` territorial : ceux de leurs départements ; `structure` : ceux des
/// conventions qu'elle signe ou où elle accueille des postes.
#[utoipa::path(
    tag = "Financement",
    operation_id = "listEngagements",
    params(EngagementQuery, Paging),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Une page d'engagements.", body = EngagementPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` : l'URL de la page suivante, quand il y en a une."))),
        crate::openapi::ListErrors,
    )
)]
#[get("/engagements")]
pub async fn list_engagements(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: Paged<EngagementQuery>,
) -> Result<HttpResponse, ApiError> {
    let Paged { filter, paging } = query;
    let scope = caller.scope_filter(Resource::Engagement);
    let filter = EngagementFilter {
        enveloppe_id: filter.enveloppe_id,
        convention_id: filter.convention_id,
        departement: filter.departement,
        statut: filter.statut,
    };
    let (after, limit) = (paging.after(), paging.limit());
    let page = state
        .read(move |conn| {
            Ok(repo::list_engagements(
                conn,
                &filter,
                &scope,
                after.as_ref(),
                limit,
            )?)
        })
        .await?;
    Ok(page_response(&req, page, |items, next_cursor| {
        EngagementPage {
            items: items.into_iter().map(Engagement::from).collect(),
            next_cursor,
        }
    }))
}

/// Lire un engagement
///
/// Un engagement, avec ce qu'il compte dans l'engagé et ce qui reste à verser. Accès : comme la
/// liste ; hors de la portée de l'appelant : 404.
#[utoipa::path(
    tag = "Financement",
    operation_id = "getEngagement",
    params(
        ("id" = inline(EngagementId), Path, description = "Identifiant de l'engagement.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f95"),
        NoQuery
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "L'engagement.", body = Engagement,
            headers(("ETag" = String, description = "La version de l'engagement."))),
        crate::openapi::ItemErrors,
    )
)]
#[get("/engagements/{id}")]
pub async fn get_engagement(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<EngagementId>,
    _query: StrictQuery<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state
        .read_short(move |conn| {
            let engagement = repo::find_engagement(conn, &id)?;
            placed(conn, engagement)
        })
        .await?
        .ok_or_else(engagement_not_found)?;
    found.check(&caller, Resource::Engagement, Action::Read)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(found.engagement.version)))
        .json(Engagement::from(found.engagement)))
}

/// Locks a commitment and its envelope (envelope first) and checks the caller's access.
fn lock_engagement(
    tx: &mut WriteTx<'_>,
    caller: &Caller,
    id: &EngagementId,
    resource: Resource,
    action: Action,
) -> Result<domain::Engagement, ApiError> {
    let seen = repo::find_engagement(tx.conn(), id)?.ok_or_else(engagement_not_found)?;
    repo::lock_enveloppe(tx, &seen.enveloppe_id)?.ok_or_else(enveloppe_not_found)?;
    let engagement = repo::lock_engagement(tx, id)?.ok_or_else(engagement_not_found)?;
    let structures = structures_of(tx.conn(), &engagement.convention_id)?;
    let placed = Placed {
        engagement,
        structures,
    };
    placed.check(caller, resource, action)?;
    Ok(placed.engagement)
}

/// Annuls a locked live commitment and journals it (shared by the annulment endpoint and the end
/// of a convention).
fn annul(
    tx: &mut WriteTx<'_>,
    who: &Author,
    engagement: &domain::Engagement,
    date: NaiveDate,
    motif: &str,
) -> Result<domain::Engagement, ApiError> {
    apply(engagement.statut, ActionEngagement::Annulation)?;
    let annulled = repo::annul_engagement(tx, engagement, date, motif)?;
    record(
        tx,
        who,
        ActionEngagement::Annulation.as_str(),
        (RessourceJournal::Engagement, annulled.id.as_str()),
        Some(&annulled.departement),
        Some(&snapshot(&Engagement::from(engagement.clone()))?),
        &snapshot(&Engagement::from(annulled.clone()))?,
    )?;
    Ok(annulled)
}

/// Annuler un engagement
///
/// `actif` → `annule` : ce qui n'était pas versé retourne au disponible de l'enveloppe et du
/// département ; la part versée reste engagée. La date (aujourd'hui par défaut) n'est ni dans le
/// futur ni avant l'engagement. 409 `transition_invalide` sur un engagement déjà annulé. Accepte
/// `Idempotency-Key`. Accès : `admin` ; `prefecture` dans ses départements.
#[utoipa::path(
    tag = "Financement",
    operation_id = "annulEngagement",
    params(
        ("id" = inline(EngagementId), Path, description = "Identifiant de l'engagement.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f95"),
        crate::openapi::IdempotencyKey,
        NoQuery
    ),
    request_body = Annulation,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "L'engagement annulé.", body = Engagement,
            headers(("ETag" = String, description = "La nouvelle version."))),
        crate::openapi::ActErrors,
    )
)]
#[post("/engagements/{id}/annulation")]
pub async fn annul_engagement(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<EngagementId>,
    once: Idempotency,
    _query: StrictQuery<NoQuery>,
    body: Body<Annulation>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let request = once.request(&caller, body.raw())?;
    let today = state.today();
    let who = author(&caller);
    state
        .write_once(request, move |tx| {
            let engagement =
                lock_engagement(tx, &caller, &id, Resource::Engagement, Action::Delete)?;
            let input = body.accept()?;
            apply(engagement.statut, ActionEngagement::Annulation)?;
            let date = effective_date(
                "date_annulation",
                input.date_annulation,
                today,
                Some(("date_engagement", engagement.date_engagement)),
            )?;
            let annulled = annul(tx, &who, &engagement, date, input.motif.trim())?;
            Ok(Reply::ok(&Engagement::from(annulled.clone()))?.with_version(annulled.version))
        })
        .await
}

/// Annuls the live commitments of a convention that ends (résiliation, clôture), in the
/// convention's write transaction: its row is locked; the envelopes are locked by id, then each
/// commitment. `date` is the convention's end; an annulment is never dated before its
/// commitment.
pub fn annul_for_convention(
    tx: &mut WriteTx<'_>,
    who: &Author,
    convention: &ConventionId,
    date: NaiveDate,
    motif: &str,
) -> Result<(), ApiError> {
    let live: Vec<domain::Engagement> =
        repo::engagements_of_convention(tx.conn(), convention, None)?
            .into_iter()
            .filter(|e| e.statut == StatutEngagement::Actif)
            .collect();
    let mut envelopes: Vec<&EnveloppeId> = live.iter().map(|e| &e.enveloppe_id).collect();
    envelopes.sort();
    envelopes.dedup();
    for id in envelopes {
        repo::lock_enveloppe(tx, id)?;
    }
    for seen in &live {
        let engagement = repo::lock_engagement(tx, &seen.id)?.ok_or_else(engagement_not_found)?;
        if engagement.statut == StatutEngagement::Actif {
            annul(
                tx,
                who,
                &engagement,
                date.max(engagement.date_engagement),
                motif,
            )?;
        }
    }
    Ok(())
}

/// Checks, under the locks of the envelopes concerned (by id), that a convention whose posts
/// drop to `postes` stays within posts × the per-post amount of every envelope that funds it
/// (409 `convention_surfinancee`). The convention's row is locked by the caller.
pub fn check_retrait(
    tx: &mut WriteTx<'_>,
    convention: &ConventionId,
    postes: i64,
) -> Result<(), ApiError> {
    let mut envelopes: Vec<EnveloppeId> =
        repo::engagements_of_convention(tx.conn(), convention, None)?
            .into_iter()
            .map(|e| e.enveloppe_id)
            .collect();
    envelopes.sort();
    envelopes.dedup();
    for id in envelopes {
        let enveloppe = repo::lock_enveloppe(tx, &id)?.ok_or_else(enveloppe_not_found)?;
        if let Some(par_poste) = enveloppe.montant_par_poste_centimes {
            check_financement_apres_retrait(&FinancementConvention {
                postes,
                montant_par_poste_centimes: par_poste,
                engage_centimes: repo::engage_pour_convention(tx.conn(), convention, &id)?,
            })?;
        }
    }
    Ok(())
}

/// Enregistrer un versement
///
/// Enregistre un versement sur un engagement actif (409 `transition_invalide` sur un engagement
/// annulé). Les versements ne dépassent jamais l'engagement (409 `versement_excessif`, avec le
/// reste à verser en `disponible_centimes`). La date n'est ni dans le futur, ni avant
/// l'engagement. Accepte `Idempotency-Key`. Accès : `admin`.
#[utoipa::path(
    tag = "Financement",
    operation_id = "createVersement",
    params(
        ("id" = inline(EngagementId), Path, description = "Identifiant de l'engagement.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f95"),
        crate::openapi::IdempotencyKey,
        NoQuery
    ),
    request_body = NouveauVersement,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Le versement enregistré.", body = Versement,
            headers(("Location" = String, description = "L'URL du versement."))),
        crate::openapi::ActErrors,
    )
)]
#[post("/engagements/{id}/versements")]
pub async fn create_versement(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<EngagementId>,
    once: Idempotency,
    _query: StrictQuery<NoQuery>,
    body: Body<NouveauVersement>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let request = once.request(&caller, body.raw())?;
    let today = state.today();
    let who = author(&caller);
    state
        .write_once(request, move |tx| {
            let engagement =
                lock_engagement(tx, &caller, &id, Resource::Versement, Action::Create)?;
            let input = body.accept()?;
            apply(engagement.statut, ActionEngagement::Versement)?;
            let date = effective_date(
                "date_versement",
                Some(input.date_versement),
                today,
                Some(("date_engagement", engagement.date_engagement)),
            )?;
            check_versement(&engagement, input.montant_centimes)?;
            let versement = repo::insert_versement(
                tx,
                &NewVersement {
                    engagement: &engagement,
                    montant_centimes: input.montant_centimes,
                    date_versement: date,
                    reference: input.reference.trim(),
                },
            )?;
            let dto = Versement::from(versement.clone());
            record(
                tx,
                &who,
                "creation",
                (RessourceJournal::Versement, versement.id.as_str()),
                Some(&engagement.departement),
                None,
                &snapshot(&dto)?,
            )?;
            Reply::created(format!("/api/v1/versements/{}", versement.id), &dto)
        })
        .await
}

/// Lister les versements d'un engagement
///
/// Les versements d'un engagement, dans l'ordre où ils ont été enregistrés, annulés compris.
/// Accès : comme la lecture de l'engagement.
#[utoipa::path(
    tag = "Financement",
    operation_id = "listVersements",
    params(
        ("id" = inline(EngagementId), Path, description = "Identifiant de l'engagement.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f95"),
        Paging
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Une page de versements.", body = VersementPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` : l'URL de la page suivante, quand il y en a une."))),
        crate::openapi::ItemErrors,
    )
)]
#[get("/engagements/{id}/versements")]
pub async fn list_versements(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<EngagementId>,
    query: Paged<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (after, limit) = (query.paging.after(), query.paging.limit());
    let (found, page) = state
        .read(move |conn| {
            let engagement = repo::find_engagement(conn, &id)?;
            let found = placed(conn, engagement)?.ok_or_else(engagement_not_found)?;
            let page = repo::list_versements(conn, &id, after.as_ref(), limit)?;
            Ok((found, page))
        })
        .await?;
    found.check(&caller, Resource::Versement, Action::Read)?;
    Ok(page_response(&req, page, |items, next_cursor| {
        VersementPage {
            items: items.into_iter().map(Versement::from).collect(),
            next_cursor,
        }
    }))
}

/// Lire un versement
///
/// Un versement. Accès : comme la lecture de son engagement ; hors de la portée de l'appelant :
/// 404.
#[utoipa::path(
    tag = "Financement",
    operation_id = "getVersement",
    params(
        ("id" = inline(VersementId), Path, description = "Identifiant du versement.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f96"),
        NoQuery
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Le versement.", body = Versement),
        crate::openapi::ItemErrors,
    )
)]
#[get("/versements/{id}")]
pub async fn get_versement(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<VersementId>,
    _query: StrictQuery<NoQuery>,
) -> Result<web::Json<Versement>, ApiError> {
    let id = id.into_inner();
    let (versement, found) = state
        .read_short(move |conn| {
            let versement = repo::find_versement(conn, &id)?.ok_or_else(versement_not_found)?;
            let engagement = repo::find_engagement(conn, &versement.engagement_id)?;
            let found = placed(conn, engagement)?.ok_or_else(versement_not_found)?;
            Ok((versement, found))
        })
        .await?;
    found
        .check(&caller, Resource::Versement, Action::Read)
        .map_err(|error| match error {
            ApiError::NotFound(_) => versement_not_found(),
            other => other,
        })?;
    Ok(web::Json(Versement::from(versement)))
}

/// Annuler un versement
///
/// `effectue` → `annule` : le versé de l'engagement, du département et de l'enveloppe diminue
/// (et l'engagé aussi quand l'engagement est annulé, dont seule la part versée comptait). La
/// date (aujourd'hui par défaut) n'est ni dans le futur ni avant le versement. 409
/// `transition_invalide` sur un versement déjà annulé. Accepte `Idempotency-Key`.
/// Accès : `admin`.
#[utoipa::path(
    tag = "Financement",
    operation_id = "annulVersement",
    params(
        ("id" = inline(VersementId), Path, description = "Identifiant du versement.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f96"),
        crate::openapi::IdempotencyKey,
        NoQuery
    ),
    request_body = Annulation,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Le versement annulé.", body = Versement),
        crate::openapi::ActErrors,
    )
)]
#[post("/versements/{id}/annulation")]
pub async fn annul_versement(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<VersementId>,
    once: Idempotency,
    _query: StrictQuery<NoQuery>,
    body: Body<Annulation>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let request = once.request(&caller, body.raw())?;
    let today = state.today();
    let who = author(&caller);
    state
        .write_once(request, move |tx| {
            let seen = repo::find_versement(tx.conn(), &id)?.ok_or_else(versement_not_found)?;
            let engagement = lock_engagement(
                tx,
                &caller,
                &seen.engagement_id,
                Resource::Versement,
                Action::Delete,
            )
            .map_err(|error| match error {
                ApiError::NotFound(_) => versement_not_found(),
                other => other,
            })?;
            let versement = repo::lock_versement(tx, &id)?.ok_or_else(versement_not_found)?;
            let input = body.accept()?;
            apply(versement.statut, ActionVersement::Annulation)?;
            let date = effective_date(
                "date_annulation",
                input.date_annulation,
                today,
                Some(("date_versement", versement.date_versement)),
            )?;
            let annulled =
                repo::annul_versement(tx, &engagement, &versement, date, input.motif.trim())?;
            let dto = Versement::from(annulled.clone());
            record(
                tx,
                &who,
                ActionVersement::Annulation.as_str(),
                (RessourceJournal::Versement, annulled.id.as_str()),
                Some(&engagement.departement),
                Some(&snapshot(&Versement::from(versement))?),
                &snapshot(&dto)?,
            )?;
            Reply::ok(&dto)
        })
        .await
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_enveloppe)
        .service(list_enveloppes)
        .service(get_enveloppe)
        .service(update_enveloppe)
        .service(put_plafond)
        .service(delete_plafond)
        .service(create_engagement)
        .service(list_engagements)
        .service(get_engagement)
        .service(annul_engagement)
        .service(create_versement)
        .service(list_versements)
        .service(get_versement)
        .service(annul_versement);
}

//! `/api/v1/enveloppes`: funding envelopes and their départemental ceilings. Every change is one
//! use case of `app::financement`, under the envelope's lock.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};

use crate::api::NoQuery;
use crate::api::financement::{
    Enveloppe, EnveloppeFilter, EnveloppePage, ModificationEnveloppe, NouveauPlafond,
    NouvelleEnveloppe,
};
use crate::app::Context;
use crate::app::financement::{self as use_case, check_enveloppe, enveloppe_not_found};
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Perimeter, Resource};
use crate::db::DbConn;
use crate::db::repo::financement as repo;
use crate::domain::codes::CodeDepartement;
use crate::domain::financement as domain;
use crate::domain::ids::EnveloppeId;
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::body::Body;
use crate::http::extract::{IfMatch, PathParam, PathParams, StrictQuery, etag};
use crate::http::idempotency::{Idempotency, OnceRequest, Reply};
use crate::list_operation;

/// An envelope's read model, read in the transaction or connection given.
fn enveloppe_view(conn: &mut DbConn, enveloppe: domain::Enveloppe) -> Result<Enveloppe, ApiError> {
    let departements = repo::departements(conn, &enveloppe.id)?;
    Ok(Enveloppe::of(enveloppe, departements))
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
    let ctx = Context::new(caller, state.today());
    state
        .write_once(request, move |tx| {
            let created = use_case::create_enveloppe(tx, &ctx, new)?;
            Ok(Reply::created(
                format!("/api/v1/enveloppes/{}", created.id),
                &Enveloppe::of(created.clone(), Vec::new()),
            )?
            .with_version(created.version))
        })
        .await
}

list_operation! {
    /// Lister les enveloppes
    ///
    /// Les enveloppes, les plus récentes d'abord, avec leurs soldes et plafonds, filtrées par nature
    /// ou par département financé. Accès : tout jeton valide.
    list_enveloppes, "/enveloppes", "listEnveloppes",
    tag = "Financement", filter = EnveloppeFilter, page = (EnveloppePage, "Une page d'enveloppes."),
    |req, state, caller, filter| {
        check_enveloppe(&caller, Action::Read)?;
    }
    read = move |conn, after, limit| {
        let page = repo::list_enveloppes(conn, &filter, after, limit)?;
        let ids: Vec<&EnveloppeId> = page.items.iter().map(|e| &e.id).collect();
        let mut departements = repo::departements_of_many(conn, &ids)?.into_iter();
        // One query for the page's ceilings, in the page's order.
        page.try_map(|e| {
            let (_, soldes) = departements
                .next()
                .ok_or_else(|| ApiError::internal("plafonds de la page"))?;
            Ok::<_, ApiError>(Enveloppe::of(e, soldes))
        })
    },
    item = std::convert::identity,
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
        crate::api::EnveloppePath,
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
        crate::api::EnveloppePath,
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
    let ctx = Context::new(caller, state.today());
    state
        .write_once(OnceRequest::unkeyed(), move |tx| {
            let saved = use_case::update_enveloppe(tx, &ctx, &id, body.gate_required(if_match))?;
            let view = enveloppe_view(tx.conn(), saved.clone())?;
            Ok(Reply::ok(&view)?.with_version(saved.version))
        })
        .await
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
        crate::api::EnveloppePath,
        crate::api::PlafondDepartementPath,
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
    let ctx = Context::new(caller, state.today());
    state
        .write_once(OnceRequest::unkeyed(), move |tx| {
            let fixe = use_case::put_plafond(tx, &ctx, &id, &departement, body.gate_unversioned())?;
            let view = enveloppe_view(tx.conn(), fixe.enveloppe)?;
            if fixe.cree {
                Reply::created(
                    format!("/api/v1/enveloppes/{id}/plafonds/{departement}"),
                    &view,
                )
            } else {
                Reply::ok(&view)
            }
        })
        .await
}

/// Supprimer le plafond d'un département
///
/// Le département n'a plus de plafond propre dans l'enveloppe (ce qui y est engagé le reste).
/// 404 quand il n'en avait pas. Accès : `admin`.
#[utoipa::path(
    tag = "Financement",
    operation_id = "deletePlafond",
    params(
        crate::api::EnveloppePath,
        crate::api::PlafondDepartementPath,
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
    let ctx = Context::new(caller, state.today());
    state
        .write(move |tx| use_case::delete_plafond(tx, &ctx, &id, &departement))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_enveloppe)
        .service(list_enveloppes)
        .service(get_enveloppe)
        .service(update_enveloppe)
        .service(put_plafond)
        .service(delete_plafond);
}

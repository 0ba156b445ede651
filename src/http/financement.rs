//! `/api/v1/enveloppes/{id}/engagements`, `/api/v1/engagements`, `/api/v1/versements`:
//! commitments and payments (the envelopes themselves: `http::enveloppe`).
//!
//! Every money movement is one use case of `app::financement`, in one write transaction that
//! takes its locks in the application's order (`app::locks`), re-reads the sums under them,
//! checks the rules of `domain::financement` and applies the movement the domain computes.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::api::NoQuery;
use crate::api::financement::{
    Annulation, Engagement, EngagementFilter, EngagementPage, NouveauVersement, NouvelEngagement,
    Versement, VersementPage,
};
use crate::api::paging::Paging;
use crate::app::financement::{
    self as use_case, check_engagement_access, engagement_not_found, structures_of,
    versement_not_found,
};
use crate::app::{Context, financement::EngagementPris};
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Perimeter, Resource};
use crate::db::DbConn;
use crate::db::repo::financement as repo;
use crate::domain::financement as domain;
use crate::domain::ids::{EngagementId, EnveloppeId, StructureId, VersementId};
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::body::Body;
use crate::http::extract::{Paged, PathParam, StrictQuery, etag, page_response};
use crate::http::idempotency::{Idempotency, Reply};
use crate::list_operation;

/// A commitment with the structures of its convention: what places it in a scope.
struct Placed {
    engagement: domain::Engagement,
    structures: Vec<StructureId>,
}

impl Placed {
    /// Whether `caller` sees it (404 otherwise) and may do `action` on `resource` (403).
    fn check(&self, caller: &Caller, resource: Resource, action: Action) -> Result<(), ApiError> {
        check_engagement_access(caller, &self.engagement, &self.structures, resource, action)
    }
}

fn placed(
    conn: &mut DbConn,
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
        crate::api::EnveloppePath,
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
    let ctx = Context::new(caller, state.today());
    state
        .write_once_then(request, move |tx| {
            let EngagementPris { engagement, money } =
                use_case::engage(tx, &ctx, &id, body.gate_unversioned())?;
            let reply = Reply::created(
                format!("/api/v1/engagements/{}", engagement.id),
                &Engagement::from(engagement.clone()),
            )?
            .with_version(engagement.version);
            Ok((reply, move |tx: &mut crate::db::WriteTx<'_>| {
                money.move_now(tx)
            }))
        })
        .await
}

list_operation! {
    /// Lister les engagements
    ///
    /// Les engagements visibles de l'appelant, les plus récents d'abord, filtrés par enveloppe,
    /// convention, département ou statut. Accès : `admin` et `lecteur` national : tous ;
    /// `prefecture` et `lecteur` territorial : ceux de leurs départements ; `structure` : ceux des
    /// conventions qu'elle signe ou où elle accueille des postes.
    list_engagements, "/engagements", "listEngagements",
    tag = "Financement", filter = EngagementFilter, page = (EngagementPage, "Une page d'engagements."),
    |req, state, caller, filter| {
        let scope = caller.scope_filter(Resource::Engagement);
    }
    read = move |conn, after, limit| repo::list_engagements(conn, &filter, &scope, after, limit),
    item = Engagement::from,
}

/// Lire un engagement
///
/// Un engagement, avec ce qu'il compte dans l'engagé et ce qui reste à verser. Accès : comme la
/// liste ; hors de la portée de l'appelant : 404.
#[utoipa::path(
    tag = "Financement",
    operation_id = "getEngagement",
    params(
        crate::api::EngagementPath,
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
        crate::api::EngagementPath,
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
    let ctx = Context::new(caller, state.today());
    state
        .write_once(request, move |tx| {
            let annulled = use_case::annul_engagement(tx, &ctx, &id, body.gate_unversioned())?;
            Ok(Reply::ok(&Engagement::from(annulled.clone()))?.with_version(annulled.version))
        })
        .await
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
        crate::api::EngagementPath,
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
    let ctx = Context::new(caller, state.today());
    state
        .write_once(request, move |tx| {
            let versement = use_case::pay(tx, &ctx, &id, body.gate_unversioned())?;
            Reply::created(
                format!("/api/v1/versements/{}", versement.id),
                &Versement::from(versement),
            )
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
        crate::api::EngagementPath,
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
        crate::api::VersementPath,
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
        crate::api::VersementPath,
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
    let ctx = Context::new(caller, state.today());
    state
        .write_once(request, move |tx| {
            let annulled = use_case::annul_versement(tx, &ctx, &id, body.gate_unversioned())?;
            Reply::ok(&Versement::from(annulled))
        })
        .await
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_engagement)
        .service(list_engagements)
        .service(get_engagement)
        .service(annul_engagement)
        .service(create_versement)
        .service(list_versements)
        .service(get_versement)
        .service(annul_versement);
}

//! `/api/v1/structures`: host structures.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};

use crate::api::NoQuery;
use crate::api::structure::{
    ModificationStructure, NouvelleStructure, Structure, StructureFilter, StructurePage,
};
use crate::app::{self, journal};
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Perimeter, Resource};
use crate::db::repo::structure::{self as repo, NewStructure};
use crate::domain::ids::StructureId;
use crate::domain::refusal::{FieldError, Refusal};
use crate::domain::structure::{self as domain, COMMUNE_INCONNUE, check_siren};
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::body::Body;
use crate::http::extract::{IfMatch, PathParam, StrictQuery, etag};
use crate::http::idempotency::{Idempotency, Reply};
use crate::list_operation;

/// Checks `action` on a structure for `caller` (404 outside the scope, 403 for the role): its
/// perimeter is its département, and itself.
fn check(caller: &Caller, action: Action, structure: &domain::Structure) -> Result<(), ApiError> {
    policy::check(
        Some(caller),
        Resource::Structure,
        action,
        &Perimeter {
            departement: Some(structure.departement.as_str()),
            structures: &[structure.id.as_str()],
        },
    )?;
    Ok(())
}

/// Enregistrer une structure
///
/// Enregistre une structure d'accueil. Le SIRET doit passer la clé de Luhn (La Poste exceptée) ;
/// la commune du siège doit être une commune actuelle du référentiel ; pour une commune ou un EPCI,
/// le SIREN doit être celui que donne le référentiel (`siren_incoherent` sinon). Un SIRET déjà
/// enregistré répond 409 `deja_existant`. Accepte `Idempotency-Key`.
/// Accès : `admin` ; `prefecture` pour une structure de ses départements.
#[utoipa::path(
    tag = "Structures",
    operation_id = "createStructure",
    params(crate::openapi::IdempotencyKey, NoQuery),
    request_body = NouvelleStructure,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "La structure enregistrée.", body = Structure,
            headers(("Location" = String, description = "L'URL de la structure."),
                    ("ETag" = String, description = "La version de la structure."))),
        crate::openapi::CreateErrors,
    )
)]
#[post("/structures")]
pub async fn create_structure(
    state: web::Data<AppState>,
    caller: Caller,
    once: Idempotency,
    _query: StrictQuery<NoQuery>,
    body: Body<NouvelleStructure>,
) -> Result<HttpResponse, ApiError> {
    policy::check_create(&caller, Resource::Structure, &Perimeter::NATIONAL)?;
    let request = once.request(&caller, body.raw())?;
    let new = body.accept()?;
    let departement = new.code_insee.departement();
    policy::check_create(
        &caller,
        Resource::Structure,
        &Perimeter {
            departement: Some(departement.as_str()),
            structures: &[],
        },
    )?;
    let who = app::author_of(&caller);
    state
        .write_once(request, move |tx| {
            let seat = repo::seat(tx.conn(), &new.code_insee)?.ok_or_else(|| {
                let detail = format!(
                    "Aucune commune actuelle de code INSEE {} dans le référentiel.",
                    new.code_insee
                );
                Refusal::new(&COMMUNE_INCONNUE, detail.clone())
                    .with_error(FieldError::pointer("/code_insee", detail))
            })?;
            check_siren(new.type_structure, &new.siret, &seat)?;
            let created = repo::insert(
                tx,
                &NewStructure {
                    siret: new.siret,
                    nom: new.nom.trim().to_owned(),
                    type_structure: new.type_structure,
                    code_insee: new.code_insee,
                },
            )?;
            let dto = created.clone();
            journal::record(tx, &who, "creation", None, &created)?;
            Ok(
                Reply::created(format!("/api/v1/structures/{}", created.id), &dto)?
                    .with_version(created.version),
            )
        })
        .await
}

list_operation! {
    /// Lister les structures
    ///
    /// Les structures visibles de l'appelant, filtrées par département, nature, SIRET ou nom,
    /// paginées par curseur. Accès : `admin` et `lecteur` national : toutes ; `prefecture` et
    /// `lecteur` territorial : celles de leurs départements ; `structure` : elle-même.
    list_structures, "/structures", "listStructures",
    tag = "Structures", filter = StructureFilter, page = (StructurePage, "Une page de structures."),
    |req, state, caller, filter| {
        let scope = caller.scope_filter(Resource::Structure);
    }
    read = move |conn, after, limit| repo::list(conn, &filter, &scope, after, limit),
    item = std::convert::identity,
}

/// Lire une structure
///
/// Une structure par son identifiant, avec son `ETag` (sa version). Accès : `admin` et `lecteur`
/// national ; `prefecture` et `lecteur` territorial dans leurs départements ; `structure` :
/// elle-même. Hors de la portée de l'appelant : 404.
#[utoipa::path(
    tag = "Structures",
    operation_id = "getStructure",
    params(
        crate::api::StructurePath,
        NoQuery
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "La structure.", body = Structure,
            headers(("ETag" = String, description = "La version de la structure, pour `If-Match`."))),
        crate::openapi::ItemErrors,
    )
)]
#[get("/structures/{id}")]
pub async fn get_structure(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<StructureId>,
    _query: StrictQuery<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = state
        .read_short(move |conn| Ok(repo::find(conn, &id)?))
        .await?;
    let structure = found.ok_or_else(not_found)?;
    check(&caller, Action::Read, &structure)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(structure.version)))
        .json(structure))
}

fn not_found() -> ApiError {
    ApiError::NotFound("Aucune structure de cet identifiant dans votre portée.".to_owned())
}

/// Modifier une structure
///
/// Change le nom d'une structure (le SIRET ne change jamais). Exige `If-Match` avec l'`ETag` de
/// la dernière lecture : absent, 428 ; périmé, 412. Accès : `admin` ; `prefecture` dans ses
/// départements ; `structure` : elle-même.
#[utoipa::path(
    tag = "Structures",
    operation_id = "updateStructure",
    params(
        crate::api::StructurePath,
        ("If-Match" = Option<String>, Header, description = "Obligatoire : l'`ETag` de la dernière lecture (`\"3\"`) ; absent, 428 `precondition_requise` (RFC 6585) ; périmé, 412."),
        NoQuery
    ),
    request_body = ModificationStructure,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "La structure modifiée.", body = Structure,
            headers(("ETag" = String, description = "La nouvelle version."))),
        crate::openapi::ChangeErrors,
    )
)]
#[patch("/structures/{id}")]
pub async fn update_structure(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<StructureId>,
    if_match: Option<IfMatch>,
    _query: StrictQuery<NoQuery>,
    body: Body<ModificationStructure>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let who = app::author_of(&caller);
    let reply = state
        .write(move |tx| {
            let current = repo::lock(tx, &id)?.ok_or_else(not_found)?;
            check(&caller, Action::Edit, &current)?;
            let change = body.accept()?;
            IfMatch::required(if_match)?.check(current.version)?;
            let updated = repo::rename(tx, &id, change.nom.trim())?;
            let dto = updated.clone();
            journal::record(tx, &who, "modification", Some(&current), &updated)?;
            Reply::ok(&dto).map(|reply| reply.with_version(updated.version))
        })
        .await?;
    Ok(reply.into_response())
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_structure)
        .service(list_structures)
        .service(get_structure)
        .service(update_structure);
}

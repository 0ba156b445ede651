//! `/api/v1/conventions`: creation, reads, the free-field change, the lifecycle actions and the
//! avenants. Every write goes through [`run`]: lock the row, check access (404, then 403), the
//! body (400/422), `If-Match` (428/412), the status (409), then the action's rules, save, and
//! journal, in one transaction under the request's `Idempotency-Key`.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{Datelike, NaiveDate};
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::api::NoQuery;
use crate::api::convention::{
    Avenant, AvenantList, Cloture, Convention, ConventionPage, ConventionQuery, DERIVED_FIELDS,
    ModificationConvention, NouvelAvenant, NouvelleConvention, ProjetAccueil, Resiliation,
    Signature, Validation,
};
use crate::api::paging::Paging;
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Perimeter, Resource};
use crate::db::WriteTx;
use crate::db::repo::convention::{self as repo, ConventionFilter, NewAvenant, NewConvention};
use crate::db::repo::generation::Ressource;
use crate::db::repo::journal::{self, Author, Change};
use crate::db::repo::structure as structures;
use crate::domain::codes::CodeDepartement;
use crate::domain::convention::{
    self as domain, ActionConvention, PartHote, TypeAvenant, check_hotes, check_repartition,
    check_repartition_avenant, check_signataires, date_limite_projet, effective_date,
    postes_apres_avenant,
};
use crate::domain::ids::{AvenantId, ConventionId, StructureId};
use crate::domain::journal::RessourceJournal;
use crate::domain::lifecycle::apply;
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::cache::{PageKey, cached_object, cached_page};
use crate::http::extract::{IfMatch, Paged, PathParam, PathParams, StrictQuery, etag};
use crate::http::idempotency::{Idempotency, OnceRequest, Reply};
use crate::http::{AppState, author, conseiller, financement, snapshot};

/// Whether the caller sees who made a change (an agent's identity is personal data): the roles
/// that read the journal.
fn sees_authors(caller: &Caller) -> bool {
    policy::role_allows(caller.role, Resource::Journal, Action::Read)
}

fn not_found() -> ApiError {
    ApiError::NotFound("Aucune convention de cet identifiant dans votre portée.".to_owned())
}

/// Whether `caller` sees the convention (404 otherwise) and may do `action` on `resource` (403
/// otherwise). For the hosting project, only the signatories among structures may act.
fn authorize(
    caller: &Caller,
    convention: &domain::Convention,
    resource: Resource,
    action: Action,
) -> Result<(), ApiError> {
    let departement = convention.departement.as_str();
    policy::check(
        Some(caller),
        Resource::Convention,
        Action::Read,
        &Perimeter {
            departement: Some(departement),
            structures: &convention.structures(),
        },
    )?;
    if action == Action::Read {
        return Ok(());
    }
    let signataires: Vec<&str> = convention
        .signataires
        .iter()
        .map(|id| id.as_str())
        .collect();
    let acting = Perimeter {
        departement: Some(departement),
        structures: if resource == Resource::ProjetAccueil {
            &signataires
        } else {
            &[]
        },
    };
    // It sees the convention (a host that does not sign it): a 403, not a 404.
    Ok(policy::check_visible(caller, resource, action, &acting)?)
}

/// Whether `caller` sees a convention (the conventions' read rule), for the modules that name a
/// convention in a body (a commitment, a recruitment): one it does not see is a 404.
pub fn visible(caller: &Caller, convention: &domain::Convention) -> bool {
    policy::check(
        Some(caller),
        Resource::Convention,
        Action::Read,
        &Perimeter {
            departement: Some(convention.departement.as_str()),
            structures: &convention.structures(),
        },
    )
    .is_ok()
}

/// The convention as stored, for the journal (without the fields computed from today).
fn stored_view(
    convention: &domain::Convention,
    today: NaiveDate,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let mut view = snapshot(&Convention::of(convention.clone(), today))?;
    for field in DERIVED_FIELDS {
        view.remove(field);
    }
    Ok(view)
}

fn record(
    tx: &mut WriteTx<'_>,
    who: &Author,
    action: &str,
    before: Option<&domain::Convention>,
    after: &domain::Convention,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let before = before.map(|c| stored_view(c, today)).transpose()?;
    journal::record(
        tx,
        Change {
            author: who,
            action,
            ressource: RessourceJournal::Convention,
            ressource_id: after.id.as_str(),
            departement: Some(&after.departement),
            before: before.as_ref(),
            after: &stored_view(after, today)?,
        },
    )?;
    Ok(())
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

fn lookup(
    found: &[(StructureId, CodeDepartement)],
) -> impl Fn(&StructureId) -> Option<CodeDepartement> + '_ {
    move |id| found.iter().find(|(f, _)| f == id).map(|(_, d)| d.clone())
}

/// What an action does to a locked convention that may take it: its rules, and the changes.
type Rule<T> = Box<
    dyn FnOnce(&mut WriteTx<'_>, &mut domain::Convention, T, NaiveDate) -> Result<(), ApiError>
        + Send,
>;

/// When a convention ends (résiliation, clôture), its live commitments are annulled in the same
/// transaction, each journaled: what was not paid returns to the envelopes.
fn release_money(
    tx: &mut WriteTx<'_>,
    who: &Author,
    convention: &domain::Convention,
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
    financement::annul_for_convention(tx, who, &convention.id, date, &motif)
}

/// One write on a convention (see the module doc). `if_match` is required for `PATCH`
/// (`required_if_match`), checked when present for the actions.
#[allow(clippy::too_many_arguments)]
async fn run<T: DeserializeOwned + Validate + Send + 'static>(
    state: web::Data<AppState>,
    caller: Caller,
    request: OnceRequest,
    id: ConventionId,
    if_match: Option<IfMatch>,
    required_if_match: bool,
    body: Body<T>,
    (resource, action, lifecycle): (Resource, Action, ActionConvention),
    rule: Rule<T>,
) -> Result<HttpResponse, ApiError> {
    let today = state.today();
    let who = author(&caller);
    state
        .write_once(request, move |tx| {
            let current = repo::lock(tx, &id)?.ok_or_else(not_found)?;
            authorize(&caller, &current, resource, action)?;
            let input = body.accept()?;
            match (&if_match, required_if_match) {
                (None, true) => {
                    IfMatch::required(None)?;
                }
                (header, _) => IfMatch::check_if_present(header, current.version)?,
            }
            let mut next = current.clone();
            next.statut = apply(current.statut, lifecycle)?;
            if matches!(
                lifecycle,
                ActionConvention::Resiliation | ActionConvention::Cloture
            ) {
                conseiller::check_fin_convention(tx, &id)?;
            }
            rule(tx, &mut next, input, today)?;
            let saved = repo::save(tx, &next)?;
            record(tx, &who, lifecycle.as_str(), Some(&current), &saved, today)?;
            release_money(tx, &who, &saved)?;
            Ok(Reply::ok(&Convention::of(saved.clone(), today))?.with_version(saved.version))
        })
        .await
}

/// Créer une convention
///
/// Crée une convention au statut `brouillon`, avec un numéro lisible et unique
/// (`CNFS-93-2026-0001` : département, année, rang dans le département). Les signataires doivent
/// être des structures du département. Accepte `Idempotency-Key`.
/// Accès : `admin` ; `prefecture` pour ses départements.
#[utoipa::path(
    tag = "Conventions",
    operation_id = "createConvention",
    params(crate::openapi::IdempotencyKey, NoQuery),
    request_body = NouvelleConvention,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "La convention créée.", body = Convention,
            headers(("Location" = String, description = "L'URL de la convention."),
                    ("ETag" = String, description = "La version de la convention."))),
        crate::openapi::CreateErrors,
    )
)]
#[post("/conventions")]
pub async fn create_convention(
    state: web::Data<AppState>,
    caller: Caller,
    once: Idempotency,
    _query: StrictQuery<NoQuery>,
    body: Body<NouvelleConvention>,
) -> Result<HttpResponse, ApiError> {
    policy::check_create(&caller, Resource::Convention, &Perimeter::NATIONAL)?;
    let request = once.request(&caller, body.raw())?;
    let new = body.accept()?;
    policy::check_create(
        &caller,
        Resource::Convention,
        &Perimeter {
            departement: Some(new.departement.as_str()),
            structures: &[],
        },
    )?;
    let today = state.today();
    let who = author(&caller);
    state
        .write_once(request, move |tx| {
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
                        .unwrap_or(i64::from(domain::DELAI_PROJET_PAR_DEFAUT)),
                    annee: today.year(),
                },
            )?;
            record(tx, &who, "creation", None, &created, today)?;
            Ok(Reply::created(
                format!("/api/v1/conventions/{}", created.id),
                &Convention::of(created.clone(), today),
            )?
            .with_version(created.version))
        })
        .await
}

/// Lister les conventions
///
/// Les conventions visibles de l'appelant, les plus récentes d'abord, filtrées par département,
/// région, statut, signataire ou retard, paginées par curseur. `en_retard` et `jours_restants`
/// sont calculés au jour de Paris. Accès : `admin` et `lecteur` national : toutes ; `prefecture`
/// et `lecteur` territorial : celles de leurs départements ; `structure` : celles qu'elle signe
/// ou où elle accueille des postes.
#[utoipa::path(
    tag = "Conventions",
    operation_id = "listConventions",
    params(ConventionQuery, Paging),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Une page de conventions.", body = ConventionPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` : l'URL de la page suivante, quand il y en a une."))),
        crate::openapi::ListErrors,
    )
)]
#[get("/conventions")]
pub async fn list_conventions(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: Paged<ConventionQuery>,
) -> Result<HttpResponse, ApiError> {
    let Paged { filter, paging } = query;
    let scope = caller.scope_filter(Resource::Convention);
    let today = state.today();
    let filter = ConventionFilter {
        departement: filter.departement,
        region: filter.region,
        statut: filter.statut,
        signataire: filter.signataire,
        en_retard: filter.en_retard,
        today: Some(today),
    };
    let (after, limit) = (paging.after(), paging.limit());
    let key = PageKey {
        scope: &scope,
        role: caller.role,
        today: Some(today),
    };
    let list_scope = scope.clone();
    cached_page(
        &req,
        &state,
        Ressource::Conventions,
        key,
        move |conn| {
            Ok(repo::list(
                conn,
                &filter,
                &list_scope,
                after.as_ref(),
                limit,
            )?)
        },
        |items, next_cursor| ConventionPage {
            items: items
                .into_iter()
                .map(|c| Convention::of(c, today))
                .collect(),
            next_cursor,
        },
    )
    .await
}

/// Lire une convention
///
/// Une convention par son identifiant, avec son `ETag` (sa version), ses champs calculés au jour
/// de Paris et les actions que permet son statut. Accès : `admin` et `lecteur` national ;
/// `prefecture` et `lecteur` territorial dans leurs départements ; `structure` signataire ou
/// d'accueil. Hors de la portée de l'appelant : 404.
#[utoipa::path(
    tag = "Conventions",
    operation_id = "getConvention",
    params(
        ("id" = inline(ConventionId), Path, description = "Identifiant de la convention.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91"),
        NoQuery
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "La convention.", body = Convention,
            headers(("ETag" = String, description = "La version de la convention, pour `If-Match`."))),
        crate::openapi::ItemErrors,
    )
)]
#[get("/conventions/{id}")]
pub async fn get_convention(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<ConventionId>,
    _query: StrictQuery<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = cached_object(
        &state,
        &state.cache_conventions,
        Ressource::Conventions,
        id.to_string(),
        move |conn| Ok(repo::find(conn, &id)?),
    )
    .await?;
    let convention = found.ok_or_else(not_found)?;
    authorize(&caller, &convention, Resource::Convention, Action::Read)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(convention.version)))
        .json(Convention::of(
            Arc::unwrap_or_clone(convention),
            state.today(),
        )))
}

/// Modifier une convention
///
/// Change les champs libres (l'intitulé) à tout statut non final (409 `transition_invalide`
/// sinon). Exige `If-Match` avec l'`ETag` de la dernière lecture : absent, 428 ; périmé, 412.
/// Accès : `admin` ; `prefecture` dans ses départements.
#[utoipa::path(
    tag = "Conventions",
    operation_id = "updateConvention",
    params(
        ("id" = inline(ConventionId), Path, description = "Identifiant de la convention.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91"),
        ("If-Match" = Option<String>, Header, description = "Obligatoire : l'`ETag` de la dernière lecture (`\"3\"`) ; absent, 428 `precondition_requise` (RFC 6585) ; périmé, 412."),
        NoQuery
    ),
    request_body = ModificationConvention,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "La convention modifiée.", body = Convention,
            headers(("ETag" = String, description = "La nouvelle version."))),
        crate::openapi::ChangeErrors,
    )
)]
#[patch("/conventions/{id}")]
pub async fn update_convention(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<ConventionId>,
    if_match: Option<IfMatch>,
    _query: StrictQuery<NoQuery>,
    body: Body<ModificationConvention>,
) -> Result<HttpResponse, ApiError> {
    run(
        state,
        caller,
        OnceRequest::unkeyed(),
        id.into_inner(),
        if_match,
        true,
        body,
        (
            Resource::Convention,
            Action::Edit,
            ActionConvention::Modification,
        ),
        Box::new(|_, next, change: ModificationConvention, _| {
            next.intitule = change.intitule.trim().to_owned();
            Ok(())
        }),
    )
    .await
}

/// Declares a lifecycle action's handler: its route, documentation, body type and rule.
macro_rules! action {
    (
        $(#[doc = $doc:literal])+
        $name:ident, $path:literal, $operation:literal, $body:ty, $resource:expr, $action:expr,
        $rule:expr
    ) => {
        $(#[doc = $doc])+
        ///
        /// Accepte `If-Match` (412 si l'`ETag` est périmé) et `Idempotency-Key`. Répond 200 avec
        /// la convention entière ; 409 `transition_invalide` (avec `actions_possibles`) quand le
        /// statut ne le permet pas, avant tout contrôle de date.
        #[utoipa::path(
            tag = "Conventions",
            operation_id = $operation,
            params(
                ("id" = inline(ConventionId), Path, description = "Identifiant de la convention.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91"),
                ("If-Match" = Option<String>, Header, description = "Facultatif : l'`ETag` de la dernière lecture (`\"3\"`)."),
                crate::openapi::IdempotencyKey,
                NoQuery
            ),
            request_body = $body,
            security(("bearer" = [])),
            responses(
                (status = 200, description = "La convention après l'action.", body = Convention,
                    headers(("ETag" = String, description = "La nouvelle version."))),
                crate::openapi::ChangeErrors,
            )
        )]
        #[post($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            caller: Caller,
            id: PathParam<ConventionId>,
            if_match: Option<IfMatch>,
            once: Idempotency,
            _query: StrictQuery<NoQuery>,
            body: Body<$body>,
        ) -> Result<HttpResponse, ApiError> {
            let request = once.request(&caller, body.raw())?;
            run(
                state,
                caller,
                request,
                id.into_inner(),
                if_match,
                false,
                body,
                ($resource, Action::Act, $action),
                Box::new($rule),
            )
            .await
        }
    };
}

action! {
    /// Signer une convention
    ///
    /// `brouillon` → `signee`. La date de signature (aujourd'hui par défaut, jamais dans le futur)
    /// fixe la date limite du projet d'accueil : signature + délai en mois calendaires (le
    /// 2021-02-08 + 2 mois donne le 2021-04-08 ; le 2021-12-31 + 2 mois, le 2022-02-28).
    /// Accès : `admin` ; `prefecture` dans ses départements.
    sign_convention, "/conventions/{id}/signature", "signConvention", Signature,
    Resource::Convention, ActionConvention::Signature,
    |_: &mut WriteTx<'_>, next: &mut domain::Convention, input: Signature, today: NaiveDate| {
        let date = effective_date("date_signature", input.date_signature, today, None)?;
        next.date_signature = Some(date);
        next.date_limite_projet = Some(
            u32::try_from(next.delai_projet_mois)
                .ok()
                .and_then(|months| date_limite_projet(date, months))
                .ok_or_else(|| ApiError::internal("date limite hors calendrier"))?,
        );
        Ok(())
    }
}

/// The split of a request, checked against the convention: hosts, then the sum.
fn accept_repartition(
    tx: &mut WriteTx<'_>,
    convention: &domain::Convention,
    repartition: &[crate::api::convention::PartHote],
) -> Result<Vec<PartHote>, ApiError> {
    let parts: Vec<PartHote> = repartition.iter().map(PartHote::from).collect();
    check_repartition(convention.postes_attribues, &parts)?;
    let ids: Vec<StructureId> = parts.iter().map(|p| p.structure_id.clone()).collect();
    let found = departements_of(tx, &ids)?;
    check_hotes(convention, &parts, &lookup(&found))?;
    Ok(parts)
}

action! {
    /// Déposer le projet d'accueil
    ///
    /// `signee` → `projet_depose`. La répartition doit compter exactement les postes attribués
    /// (422 `repartition_incomplete` sinon) entre des structures signataires ou du département.
    /// La date de dépôt (aujourd'hui par défaut) n'est ni dans le futur ni avant la signature.
    /// Accès : `admin` ; `prefecture` dans ses départements ; `structure` signataire.
    file_projet_accueil, "/conventions/{id}/projet-accueil", "fileProjetAccueil", ProjetAccueil,
    Resource::ProjetAccueil, ActionConvention::ProjetAccueil,
    |tx: &mut WriteTx<'_>, next: &mut domain::Convention, input: ProjetAccueil, today: NaiveDate| {
        let previous = next.date_signature.map(|d| ("date_signature", d));
        let date = effective_date("date_depot", input.date_depot, today, previous)?;
        next.repartition = accept_repartition(tx, next, &input.repartition)?;
        next.date_depot = Some(date);
        next.lieux_prevus = input.lieux_prevus;
        Ok(())
    }
}

action! {
    /// Valider le projet d'accueil
    ///
    /// `projet_depose` → `en_execution`. La date de validation (aujourd'hui par défaut) n'est ni
    /// dans le futur ni avant le dépôt. Accès : `admin` ; `prefecture` dans ses départements.
    validate_projet, "/conventions/{id}/validation", "validateConvention", Validation,
    Resource::Convention, ActionConvention::Validation,
    |_: &mut WriteTx<'_>, next: &mut domain::Convention, input: Validation, today: NaiveDate| {
        let previous = next.date_depot.map(|d| ("date_depot", d));
        next.date_validation = Some(effective_date("date_validation", input.date_validation, today, previous)?);
        Ok(())
    }
}

action! {
    /// Résilier une convention
    ///
    /// Tout statut non final → `resiliee`, avec un motif. La date de résiliation (aujourd'hui par
    /// défaut) n'est ni dans le futur ni avant la dernière étape franchie. Accès : `admin` ;
    /// `prefecture` dans ses départements.
    terminate_convention, "/conventions/{id}/resiliation", "terminateConvention", Resiliation,
    Resource::Convention, ActionConvention::Resiliation,
    |_: &mut WriteTx<'_>, next: &mut domain::Convention, input: Resiliation, today: NaiveDate| {
        let previous = next.derniere_etape();
        next.date_resiliation = Some(effective_date("date_resiliation", input.date_resiliation, today, previous)?);
        next.motif_resiliation = Some(input.motif.trim().to_owned());
        Ok(())
    }
}

action! {
    /// Clore une convention
    ///
    /// `en_execution` → `terminee`. La date de clôture (aujourd'hui par défaut) n'est ni dans le
    /// futur ni avant la validation. Accès : `admin` ; `prefecture` dans ses départements.
    close_convention, "/conventions/{id}/cloture", "closeConvention", Cloture,
    Resource::Convention, ActionConvention::Cloture,
    |_: &mut WriteTx<'_>, next: &mut domain::Convention, input: Cloture, today: NaiveDate| {
        let previous = next.date_validation.map(|d| ("date_validation", d));
        next.date_cloture = Some(effective_date("date_cloture", input.date_cloture, today, previous)?);
        Ok(())
    }
}

/// Enregistrer un avenant
///
/// Ajoute ou retire des postes (`signee`, `projet_depose` ou `en_execution` ; 409
/// `transition_invalide` sinon). Les avenants forment un historique sans suppression ;
/// `postes_attribues` le suit. Un retrait ne descend jamais sous les postes déjà pourvus ni sous
/// un poste (422 `postes_insuffisants`). Une fois le projet d'accueil déposé, l'avenant porte la
/// nouvelle répartition de tous les postes. Accepte `If-Match` et `Idempotency-Key`.
/// Accès : `admin` ; `prefecture` dans ses départements.
#[utoipa::path(
    tag = "Conventions",
    operation_id = "createAvenant",
    params(
        ("id" = inline(ConventionId), Path, description = "Identifiant de la convention.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91"),
        ("If-Match" = Option<String>, Header, description = "Facultatif : l'`ETag` de la dernière lecture de la convention (`\"3\"`)."),
        crate::openapi::IdempotencyKey,
        NoQuery
    ),
    request_body = NouvelAvenant,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "L'avenant enregistré.", body = Avenant,
            headers(("Location" = String, description = "L'URL de l'avenant."))),
        crate::openapi::ChangeErrors,
    )
)]
#[post("/conventions/{id}/avenants")]
pub async fn create_avenant(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<ConventionId>,
    if_match: Option<IfMatch>,
    once: Idempotency,
    _query: StrictQuery<NoQuery>,
    body: Body<NouvelAvenant>,
) -> Result<HttpResponse, ApiError> {
    let request = once.request(&caller, body.raw())?;
    let id = id.into_inner();
    let today = state.today();
    let who = author(&caller);
    let sees_author = sees_authors(&caller);
    state
        .write_once(request, move |tx| {
            let current = repo::lock(tx, &id)?.ok_or_else(not_found)?;
            authorize(&caller, &current, Resource::Convention, Action::Act)?;
            let input = body.accept()?;
            IfMatch::check_if_present(&if_match, current.version)?;
            let mut next = current.clone();
            next.statut = apply(current.statut, ActionConvention::Avenant)?;
            next.postes_attribues = postes_apres_avenant(
                current.postes_attribues,
                current.postes_pourvus,
                input.type_avenant,
                input.nombre_postes,
            )?;
            check_repartition_avenant(current.statut, input.repartition.is_some())?;
            if input.type_avenant == TypeAvenant::Retrait {
                financement::check_retrait(tx, &id, next.postes_attribues)?;
            }
            if let Some(repartition) = &input.repartition {
                next.repartition = accept_repartition(tx, &next, repartition)?;
                conseiller::check_nouvelle_repartition(tx, &id, &next.repartition)?;
            }
            let saved = repo::save(tx, &next)?;
            let avenant = repo::insert_avenant(
                tx,
                &NewAvenant {
                    convention_id: &id,
                    type_avenant: input.type_avenant,
                    nombre_postes: input.nombre_postes,
                    motif: input.motif.trim(),
                    postes_avant: current.postes_attribues,
                    postes_apres: saved.postes_attribues,
                    auteur: &who.sub,
                },
            )?;
            record(
                tx,
                &who,
                ActionConvention::Avenant.as_str(),
                Some(&current),
                &saved,
                today,
            )?;
            Reply::created(
                format!("/api/v1/conventions/{id}/avenants/{}", avenant.id),
                &Avenant::shown(avenant, sees_author),
            )
        })
        .await
}

/// Lister les avenants d'une convention
///
/// L'historique des avenants, par rang (la liste vient entière). L'auteur (donnée personnelle)
/// n'est montré qu'à `admin` et `prefecture`. Accès : comme la lecture de la convention.
#[utoipa::path(
    tag = "Conventions",
    operation_id = "listAvenants",
    params(
        ("id" = inline(ConventionId), Path, description = "Identifiant de la convention.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91"),
        NoQuery
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Les avenants.", body = AvenantList),
        crate::openapi::ItemErrors,
    )
)]
#[get("/conventions/{id}/avenants")]
pub async fn list_avenants(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<ConventionId>,
    _query: StrictQuery<NoQuery>,
) -> Result<web::Json<AvenantList>, ApiError> {
    let id = id.into_inner();
    let (convention, avenants) = state
        .read(move |conn| {
            let convention = repo::find(conn, &id)?.ok_or_else(not_found)?;
            let avenants = repo::list_avenants(conn, &id)?;
            Ok((convention, avenants))
        })
        .await?;
    authorize(&caller, &convention, Resource::Convention, Action::Read)?;
    let sees_author = sees_authors(&caller);
    Ok(web::Json(AvenantList {
        items: avenants
            .into_iter()
            .map(|a| Avenant::shown(a, sees_author))
            .collect(),
        next_cursor: None,
    }))
}

/// Lire un avenant
///
/// Un avenant d'une convention. Accès : comme la lecture de la convention.
#[utoipa::path(
    tag = "Conventions",
    operation_id = "getAvenant",
    params(
        ("id" = inline(ConventionId), Path, description = "Identifiant de la convention.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91"),
        ("avenant_id" = inline(AvenantId), Path, description = "Identifiant de l'avenant.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f92"),
        NoQuery
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "L'avenant.", body = Avenant),
        crate::openapi::ItemErrors,
    )
)]
#[get("/conventions/{id}/avenants/{avenant_id}")]
pub async fn get_avenant(
    state: web::Data<AppState>,
    caller: Caller,
    ids: PathParams<ConventionId, AvenantId>,
    _query: StrictQuery<NoQuery>,
) -> Result<web::Json<Avenant>, ApiError> {
    let PathParams(id, avenant_id) = ids;
    let (convention, avenant) = state
        .read(move |conn| {
            let convention = repo::find(conn, &id)?.ok_or_else(not_found)?;
            let avenant = repo::find_avenant(conn, &id, &avenant_id)?;
            Ok((convention, avenant))
        })
        .await?;
    authorize(&caller, &convention, Resource::Convention, Action::Read)?;
    let avenant = avenant.ok_or_else(|| {
        ApiError::NotFound("Aucun avenant de cet identifiant pour cette convention.".to_owned())
    })?;
    Ok(web::Json(Avenant::shown(avenant, sees_authors(&caller))))
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_convention)
        .service(list_conventions)
        .service(get_convention)
        .service(update_convention)
        .service(sign_convention)
        .service(file_projet_accueil)
        .service(validate_projet)
        .service(terminate_convention)
        .service(close_convention)
        .service(create_avenant)
        .service(list_avenants)
        .service(get_avenant);
}

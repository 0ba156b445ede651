//! `/api/v1/conseillers` and `/api/v1/conventions/{id}/postes`: advisors, from recruitment to
//! exit, and the posts of a convention.
//!
//! Every write locks the convention's row first (the quota is a count of rows: only that lock
//! keeps two concurrent recruitments from both taking the last post), then the advisor's. The
//! journal records advisors without their personal data.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::api::NoQuery;
use crate::api::conseiller::{
    Certification, Conseiller, ConseillerPage, ConseillerQuery, Formation, ModificationConseiller,
    NouveauConseiller, PostesConvention, PostesHote, PriseDePoste, Sortie,
};
use crate::api::paging::Paging;
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Denied, Perimeter, Resource};
use crate::db::WriteTx;
use crate::db::repo::conseiller::{self as repo, ConseillerFilter};
use crate::db::repo::convention as conventions;
use crate::db::repo::journal::{self, Author, Change};
use crate::db::repo::lieu as lieux;
use crate::domain::conseiller::{
    self as domain, ActionConseiller, DONNEES_ANONYMISEES, Identite, StatutConseiller,
    check_aucun_actif, check_convention_en_execution, check_lieu, check_postes_occupes,
    check_quota, postes_de, postes_employeur, recrutement_local,
};
use crate::domain::convention::{PartHote, effective_date};
use crate::domain::ids::{ConseillerId, ConventionId};
use crate::domain::journal::RessourceJournal;
use crate::domain::lifecycle::apply;
use crate::domain::refusal::Refusal;
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::extract::{IfMatch, Paged, PathParam, StrictQuery, etag, page_response};
use crate::http::idempotency::{Idempotency, OnceRequest, Reply};
use crate::http::{AppState, author, snapshot};

fn not_found() -> ApiError {
    ApiError::NotFound("Aucun conseiller de cet identifiant dans votre portée.".to_owned())
}

fn convention_not_found() -> ApiError {
    ApiError::NotFound("Aucune convention de cet identifiant dans votre portée.".to_owned())
}

/// Whether `caller` sees the advisor (404 otherwise) and may do `action` (403 otherwise). A
/// structure sees the advisors it employs; a lecteur none (403: it uses the statistics).
fn check(caller: &Caller, conseiller: &domain::Conseiller, action: Action) -> Result<(), ApiError> {
    let structures = [conseiller.structure_id.as_str()];
    let perimeter = Perimeter {
        departement: Some(conseiller.departement.as_str()),
        structures: &structures,
    };
    Ok(policy::check_seen(
        caller,
        Resource::Conseiller,
        action,
        &perimeter,
    )?)
}

/// The advisor as `caller` may see it (personal data for admins and the employer only).
fn shown(caller: &Caller, conseiller: domain::Conseiller) -> Conseiller {
    let sees = policy::sees_personal_data(caller, conseiller.structure_id.as_str());
    Conseiller::shown(conseiller, sees)
}

/// Journals a change of an advisor, without its personal data (the ids only).
fn record(
    tx: &mut WriteTx<'_>,
    who: &Author,
    action: &str,
    before: Option<&domain::Conseiller>,
    after: &domain::Conseiller,
) -> Result<(), ApiError> {
    let view = |c: &domain::Conseiller| snapshot(&Conseiller::shown(c.clone(), false));
    let before = before.map(view).transpose()?;
    journal::record(
        tx,
        Change {
            author: who,
            action,
            ressource: RessourceJournal::Conseiller,
            ressource_id: after.id.as_str(),
            departement: Some(&after.departement),
            before: before.as_ref(),
            after: &view(after)?,
        },
    )?;
    Ok(())
}

/// Recruter un conseiller
///
/// Recrute un conseiller sur un poste d'une structure d'accueil d'une convention en exécution
/// (409 `convention_hors_execution` sinon ; employeur hors de la répartition : 422
/// `structure_non_eligible`). Les conseillers actifs d'une structure ne dépassent jamais ses
/// postes dans la répartition (409 `quota_atteint`, avec `postes` et `actifs`), même sous
/// recrutements concurrents. La date de recrutement n'est ni dans le futur ni avant la validation
/// du projet. `recrutement_local` dit si le conseiller réside dans le département de la
/// convention. Accepte `Idempotency-Key`. Une convention inconnue ou hors de portée : 404.
/// Accès : `admin` ; `prefecture` dans ses départements ; `structure` : l'employeur.
#[utoipa::path(
    tag = "Conseillers",
    operation_id = "createConseiller",
    params(crate::openapi::IdempotencyKey, NoQuery),
    request_body = NouveauConseiller,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Le conseiller recruté.", body = Conseiller,
            headers(("Location" = String, description = "L'URL du conseiller."),
                    ("ETag" = String, description = "La version du conseiller."))),
        crate::openapi::ActErrors,
    )
)]
#[post("/conseillers")]
pub async fn create_conseiller(
    state: web::Data<AppState>,
    caller: Caller,
    once: Idempotency,
    _query: StrictQuery<NoQuery>,
    body: Body<NouveauConseiller>,
) -> Result<HttpResponse, ApiError> {
    policy::check_create(&caller, Resource::Conseiller, &Perimeter::NATIONAL)?;
    let request = once.request(&caller, body.raw())?;
    let new = body.accept()?;
    let today = state.today();
    let who = author(&caller);
    state
        .write_once(request, move |tx| {
            let convention = conventions::lock(tx, &new.convention_id)?
                .filter(|c| super::convention::visible(&caller, c))
                .ok_or_else(convention_not_found)?;
            let employer = [new.structure_id.as_str()];
            policy::check_create(
                &caller,
                Resource::Conseiller,
                &Perimeter {
                    departement: Some(convention.departement.as_str()),
                    structures: &employer,
                },
            )?;
            check_convention_en_execution(convention.statut)?;
            let postes = postes_employeur(&convention.repartition, &new.structure_id)?;
            let date = effective_date(
                "date_recrutement",
                Some(new.date_recrutement),
                today,
                convention.date_validation.map(|d| ("date_validation", d)),
            )?;
            let actifs = repo::actifs_par_structure(tx.conn(), &convention.id)?
                .into_iter()
                .find(|(structure, _)| structure == &new.structure_id)
                .map_or(0, |(_, count)| count);
            check_quota(&new.structure_id, postes, actifs)?;
            let local = recrutement_local(&new.commune_residence, &convention.departement);
            let created = repo::insert(
                tx,
                &domain::Conseiller {
                    id: ConseillerId::new(),
                    convention_id: convention.id.clone(),
                    departement: convention.departement.clone(),
                    structure_id: new.structure_id,
                    identite: Some(Identite {
                        nom: new.nom.trim().to_owned(),
                        prenom: new.prenom.trim().to_owned(),
                        email: new.email.trim().to_owned(),
                        commune_residence: new.commune_residence,
                    }),
                    anonymise_le: None,
                    recrutement_local: local,
                    type_contrat: new.type_contrat,
                    statut: StatutConseiller::Recrute,
                    date_recrutement: date,
                    date_debut_formation: None,
                    organisme_formation: None,
                    date_certification: None,
                    date_prise_poste: None,
                    lieu_id: None,
                    date_sortie: None,
                    motif_sortie: None,
                    version: 1,
                    cree_le: String::new(),
                    modifie_le: String::new(),
                },
            )?;
            record(tx, &who, "creation", None, &created)?;
            Ok(Reply::created(
                format!("/api/v1/conseillers/{}", created.id),
                &shown(&caller, created.clone()),
            )?
            .with_version(created.version))
        })
        .await
}

/// Lister les conseillers
///
/// Les conseillers visibles de l'appelant, les plus récents d'abord, filtrés par convention,
/// employeur, département ou statut. Données personnelles pour `admin` et l'employeur
/// seulement. Accès : `admin` : tous ; `prefecture` : ceux de ses départements, sans données
/// personnelles ; `structure` : ceux qu'elle emploie ; `lecteur` : 403 (il utilise les
/// statistiques).
#[utoipa::path(
    tag = "Conseillers",
    operation_id = "listConseillers",
    params(ConseillerQuery, Paging),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Une page de conseillers.", body = ConseillerPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` : l'URL de la page suivante, quand il y en a une."))),
        crate::openapi::ListErrors,
    )
)]
#[get("/conseillers")]
pub async fn list_conseillers(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: Paged<ConseillerQuery>,
) -> Result<HttpResponse, ApiError> {
    if !policy::role_allows(caller.role, Resource::Conseiller, Action::Read) {
        return Err(Denied::Forbidden(caller.role).into());
    }
    let Paged { filter, paging } = query;
    let scope = caller.scope_filter(Resource::Conseiller);
    let filter = ConseillerFilter {
        convention_id: filter.convention_id,
        structure_id: filter.structure_id,
        departement: filter.departement,
        statut: filter.statut,
    };
    let (after, limit) = (paging.after(), paging.limit());
    let page = state
        .read(move |conn| Ok(repo::list(conn, &filter, &scope, after.as_ref(), limit)?))
        .await?;
    Ok(page_response(&req, page, |items, next_cursor| {
        ConseillerPage {
            items: items.into_iter().map(|c| shown(&caller, c)).collect(),
            next_cursor,
        }
    }))
}

/// Lire un conseiller
///
/// Un conseiller, avec son `ETag`. Données personnelles pour `admin` et l'employeur seulement.
/// Accès : comme la liste ; hors de la portée de l'appelant : 404 ; `lecteur` : 403.
#[utoipa::path(
    tag = "Conseillers",
    operation_id = "getConseiller",
    params(
        ("id" = inline(ConseillerId), Path, description = "Identifiant du conseiller.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98"),
        NoQuery
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Le conseiller.", body = Conseiller,
            headers(("ETag" = String, description = "La version du conseiller, pour `If-Match`."))),
        crate::openapi::ItemErrors,
    )
)]
#[get("/conseillers/{id}")]
pub async fn get_conseiller(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<ConseillerId>,
    _query: StrictQuery<NoQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let conseiller = state
        .read_short(move |conn| Ok(repo::find(conn, &id)?))
        .await?
        .ok_or_else(not_found)?;
    check(&caller, &conseiller, Action::Read)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(conseiller.version)))
        .json(shown(&caller, conseiller)))
}

/// Corriger les données personnelles d'un conseiller
///
/// Corrige le nom, le prénom, l'adresse électronique ou la commune de résidence (qui recalcule
/// `recrutement_local`). Exige `If-Match` : absent, 428 ; périmé, 412. 409
/// `donnees_anonymisees` une fois les données effacées. Accès : `admin` ; `structure` :
/// l'employeur.
#[utoipa::path(
    tag = "Conseillers",
    operation_id = "updateConseiller",
    params(
        ("id" = inline(ConseillerId), Path, description = "Identifiant du conseiller.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98"),
        ("If-Match" = Option<String>, Header, description = "Obligatoire : l'`ETag` de la dernière lecture (`\"3\"`) ; absent, 428 `precondition_requise` (RFC 6585) ; périmé, 412."),
        NoQuery
    ),
    request_body = ModificationConseiller,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Le conseiller corrigé.", body = Conseiller,
            headers(("ETag" = String, description = "La nouvelle version."))),
        crate::openapi::ChangeErrors,
    )
)]
#[patch("/conseillers/{id}")]
pub async fn update_conseiller(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<ConseillerId>,
    if_match: Option<IfMatch>,
    _query: StrictQuery<NoQuery>,
    body: Body<ModificationConseiller>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let who = author(&caller);
    let reply = state
        .write(move |tx| {
            let current = repo::lock(tx, &id)?.ok_or_else(not_found)?;
            check(&caller, &current, Action::Edit)?;
            let change = body.accept()?;
            IfMatch::required(if_match)?.check(current.version)?;
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
                identite.email = email.trim().to_owned();
            }
            let mut next = current.clone();
            if let Some(commune) = change.commune_residence {
                next.recrutement_local = recrutement_local(&commune, &current.departement);
                identite.commune_residence = commune;
            }
            next.identite = Some(identite);
            let saved = repo::save(tx, &current, &next)?;
            record(tx, &who, "modification", Some(&current), &saved)?;
            Reply::ok(&shown(&caller, saved.clone())).map(|r| r.with_version(saved.version))
        })
        .await?;
    Ok(reply.into_response())
}

/// What an action does to a locked advisor that may take it: its rule and changes.
type Rule<T> = Box<
    dyn FnOnce(&mut WriteTx<'_>, &mut domain::Conseiller, T, NaiveDate) -> Result<(), ApiError>
        + Send,
>;

/// One action on an advisor: lock its convention then itself, access (404, then 403), body,
/// `If-Match` when given, status (409), the action's rule, save, journal.
async fn act<T: DeserializeOwned + Validate + Send + 'static>(
    state: web::Data<AppState>,
    caller: Caller,
    request: OnceRequest,
    id: ConseillerId,
    if_match: Option<IfMatch>,
    body: Body<T>,
    (action, rule): (ActionConseiller, Rule<T>),
) -> Result<HttpResponse, ApiError> {
    let today = state.today();
    let who = author(&caller);
    state
        .write_once(request, move |tx| {
            let seen = repo::find(tx.conn(), &id)?.ok_or_else(not_found)?;
            conventions::lock(tx, &seen.convention_id)?;
            let current = repo::lock(tx, &id)?.ok_or_else(not_found)?;
            check(&caller, &current, Action::Act)?;
            let input = body.accept()?;
            IfMatch::check_if_present(&if_match, current.version)?;
            let mut next = current.clone();
            next.statut = apply(current.statut, action)?;
            rule(tx, &mut next, input, today)?;
            let saved = repo::save(tx, &current, &next)?;
            record(tx, &who, action.as_str(), Some(&current), &saved)?;
            Ok(Reply::ok(&shown(&caller, saved.clone()))?.with_version(saved.version))
        })
        .await
}

/// Declares an action's handler: its route, documentation, body type and rule.
macro_rules! action {
    (
        $(#[doc = $doc:literal])+
        $name:ident, $path:literal, $operation:literal, $body:ty, $action:expr, $rule:expr
    ) => {
        $(#[doc = $doc])+
        ///
        /// Accepte `If-Match` (412 si l'`ETag` est périmé) et `Idempotency-Key`. Répond 200 avec
        /// le conseiller ; 409 `transition_invalide` (avec `actions_possibles`) hors de l'ordre du
        /// parcours. Accès : `admin` ; `prefecture` dans ses départements ; `structure` :
        /// l'employeur.
        #[utoipa::path(
            tag = "Conseillers",
            operation_id = $operation,
            params(
                ("id" = inline(ConseillerId), Path, description = "Identifiant du conseiller.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98"),
                ("If-Match" = Option<String>, Header, description = "Facultatif : l'`ETag` de la dernière lecture (`\"3\"`)."),
                crate::openapi::IdempotencyKey,
                NoQuery
            ),
            request_body = $body,
            security(("bearer" = [])),
            responses(
                (status = 200, description = "Le conseiller après l'action.", body = Conseiller,
                    headers(("ETag" = String, description = "La nouvelle version."))),
                crate::openapi::ChangeErrors,
            )
        )]
        #[post($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            caller: Caller,
            id: PathParam<ConseillerId>,
            if_match: Option<IfMatch>,
            once: Idempotency,
            _query: StrictQuery<NoQuery>,
            body: Body<$body>,
        ) -> Result<HttpResponse, ApiError> {
            let request = once.request(&caller, body.raw())?;
            act(state, caller, request, id.into_inner(), if_match, body, ($action, Box::new($rule))).await
        }
    };
}

action! {
    /// Entrer en formation
    ///
    /// `recrute` → `en_formation`. La date de début n'est ni dans le futur ni avant le
    /// recrutement.
    start_formation, "/conseillers/{id}/formation", "startFormation", Formation,
    ActionConseiller::Formation,
    |_: &mut WriteTx<'_>, next: &mut domain::Conseiller, input: Formation, today: NaiveDate| {
        let previous = next.derniere_etape();
        next.date_debut_formation = Some(effective_date("date_debut", Some(input.date_debut), today, Some(previous))?);
        next.organisme_formation = input.organisme.map(|o| o.trim().to_owned());
        Ok(())
    }
}

action! {
    /// Certifier un conseiller
    ///
    /// `en_formation` → `certifie`. La date n'est ni dans le futur ni avant le début de la
    /// formation.
    certify, "/conseillers/{id}/certification", "certifyConseiller", Certification,
    ActionConseiller::Certification,
    |_: &mut WriteTx<'_>, next: &mut domain::Conseiller, input: Certification, today: NaiveDate| {
        let previous = next.derniere_etape();
        next.date_certification = Some(effective_date("date_certification", Some(input.date_certification), today, Some(previous))?);
        Ok(())
    }
}

action! {
    /// Prendre son poste
    ///
    /// `certifie` → `en_poste`, dans un lieu d'activité de l'employeur (422 `lieu_non_eligible`
    /// sinon). La date n'est ni dans le futur ni avant la certification.
    take_post, "/conseillers/{id}/prise-de-poste", "takePost", PriseDePoste,
    ActionConseiller::PriseDePoste,
    |tx: &mut WriteTx<'_>, next: &mut domain::Conseiller, input: PriseDePoste, today: NaiveDate| {
        let previous = next.derniere_etape();
        let date = effective_date("date_prise_poste", Some(input.date_prise_poste), today, Some(previous))?;
        let lieu = lieux::find(tx.conn(), &input.lieu_id)?;
        check_lieu(&input.lieu_id, lieu.as_ref().map(|l| &l.structure_id), &next.structure_id)?;
        next.date_prise_poste = Some(date);
        next.lieu_id = Some(input.lieu_id);
        Ok(())
    }
}

action! {
    /// Enregistrer la sortie d'un conseiller
    ///
    /// Tout statut sauf `sorti` → `sorti` : le poste se libère (un autre conseiller peut y être
    /// recruté). La date n'est ni dans le futur ni avant l'étape précédente.
    leave, "/conseillers/{id}/sortie", "leaveProgramme", Sortie,
    ActionConseiller::Sortie,
    |_: &mut WriteTx<'_>, next: &mut domain::Conseiller, input: Sortie, today: NaiveDate| {
        let previous = next.derniere_etape();
        next.date_sortie = Some(effective_date("date_sortie", Some(input.date_sortie), today, Some(previous))?);
        next.motif_sortie = Some(input.motif);
        Ok(())
    }
}

/// Lire les postes d'une convention
///
/// Par structure d'accueil : ses postes dans la répartition, ses conseillers actifs par statut,
/// ses sortis et ses postes vacants. Accès : comme la lecture de la convention.
#[utoipa::path(
    tag = "Conventions",
    operation_id = "getPostes",
    params(
        ("id" = inline(ConventionId), Path, description = "Identifiant de la convention.", example = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91"),
        NoQuery
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Les postes de la convention.", body = PostesConvention),
        crate::openapi::ItemErrors,
    )
)]
#[get("/conventions/{id}/postes")]
pub async fn get_postes(
    state: web::Data<AppState>,
    caller: Caller,
    id: PathParam<ConventionId>,
    _query: StrictQuery<NoQuery>,
) -> Result<web::Json<PostesConvention>, ApiError> {
    let id = id.into_inner();
    let (convention, counts) = state
        .read(move |conn| {
            let convention = conventions::find(conn, &id)?.ok_or_else(convention_not_found)?;
            let counts = repo::par_structure_et_statut(conn, &id)?;
            Ok((convention, counts))
        })
        .await?;
    if !super::convention::visible(&caller, &convention) {
        return Err(convention_not_found());
    }
    let mut hosts: Vec<PostesHote> = convention
        .repartition
        .iter()
        .map(|part| PostesHote {
            structure_id: part.structure_id.clone(),
            postes: part.postes,
            actifs: 0,
            par_statut: Default::default(),
            sortis: 0,
            vacants: 0,
        })
        .collect();
    for (structure, statut, count) in counts {
        let index = match hosts.iter().position(|h| h.structure_id == structure) {
            Some(index) => index,
            // A former host (the split changed after its advisors left).
            None => {
                hosts.push(PostesHote {
                    structure_id: structure,
                    postes: 0,
                    actifs: 0,
                    par_statut: Default::default(),
                    sortis: 0,
                    vacants: 0,
                });
                hosts.len() - 1
            }
        };
        let host = &mut hosts[index];
        if statut.est_actif() {
            host.actifs += count;
            host.par_statut.insert(statut.as_str().to_owned(), count);
        } else {
            host.sortis += count;
        }
    }
    for host in &mut hosts {
        host.vacants = (host.postes - host.actifs).max(0);
    }
    Ok(web::Json(PostesConvention {
        convention_id: convention.id,
        postes_attribues: convention.postes_attribues,
        postes_pourvus: convention.postes_pourvus,
        vacants: (convention.postes_attribues - convention.postes_pourvus).max(0),
        hotes: hosts,
    }))
}

/// Refuses the end of a convention (résiliation, clôture) while advisors hold its posts (409
/// `conseillers_actifs`); the convention's row is locked by the caller.
pub fn check_fin_convention(
    tx: &mut WriteTx<'_>,
    convention: &ConventionId,
) -> Result<(), ApiError> {
    let actifs: i64 = repo::actifs_par_structure(tx.conn(), convention)?
        .iter()
        .map(|(_, count)| count)
        .sum();
    Ok(check_aucun_actif(actifs)?)
}

/// Refuses a new split that would leave a host fewer posts than active advisors (409
/// `postes_occupes`); the convention's row is locked by the caller.
pub fn check_nouvelle_repartition(
    tx: &mut WriteTx<'_>,
    convention: &ConventionId,
    repartition: &[PartHote],
) -> Result<(), ApiError> {
    let actifs = repo::actifs_par_structure(tx.conn(), convention)?;
    Ok(check_postes_occupes(&actifs, |structure| {
        postes_de(repartition, structure)
    })?)
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_conseiller)
        .service(list_conseillers)
        .service(get_conseiller)
        .service(update_conseiller)
        .service(start_formation)
        .service(certify)
        .service(take_post)
        .service(leave)
        .service(get_postes);
}

//! `/api/v1/conseillers` and `/api/v1/conventions/{id}/postes`: advisors (people, their lieux;
//! their contracts, trainings and coordinator have their own modules), and the posts of a
//! convention by host.
//!
//! A recruitment in one call locks the convention's row first (the quota is a count of rows:
//! only that lock keeps two concurrent recruitments from both taking the last post), then the
//! advisor's. The journal records advisors without their personal data.

use actix_web::{HttpResponse, delete, get, patch, post, put};
use chrono::NaiveDate;

use crate::api::conseiller::{
    Conseiller, ConseillerFilter, ConseillerPage, LieuDeTravail, ModificationConseiller,
    NouveauConseiller, PostesConvention, PostesHote,
};
use crate::app::conseiller::{check_access, not_found};
use crate::app::{self, Context};
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Resource};
use crate::db::repo::conseiller as repo;
use crate::db::repo::convention as conventions;
use crate::domain::conseiller as domain;
use crate::domain::ids::{ConseillerId, ConventionId, LieuId};
use crate::error::ApiError;
use crate::http::extract::ok_with_etag;
use crate::http::idempotency::Reply;
use crate::{create_operation, get_operation, list_operation, update_operation};

fn convention_not_found() -> ApiError {
    ApiError::NotFound("Aucune convention de cet identifiant dans votre portée.".to_owned())
}

/// The advisor as `caller` may see it (personal data for admins and the employer only).
fn shown(caller: &Caller, conseiller: domain::Conseiller, today: NaiveDate) -> Conseiller {
    Conseiller::for_caller(caller, conseiller, today)
}

create_operation! {
    /// Enregistrer ou recruter un conseiller
    ///
    /// Enregistre une personne (un conseiller, qui garde le même identifiant d'un employeur à
    /// l'autre). Sans `convention_id` : la personne est enregistrée **sans contrat**
    /// (`statut` `sans_contrat`), dans la portée de la structure qui l'enregistre
    /// (`structure_id`) et de son département ; un contrat la lie ensuite à un poste vacant
    /// (`POST /api/v1/contrats`). Avec `convention_id`, `date_recrutement` et `type_contrat`
    /// (les trois ensemble, 422 `validation` sinon) : elle est recrutée du même coup sur un poste
    /// de l'employeur dans une convention en exécution (409 `convention_hors_execution` sinon ;
    /// employeur hors de la répartition : 422 `structure_non_eligible`) ; les conseillers actifs
    /// d'une structure ne dépassent jamais ses postes (409 `quota_atteint`, avec `postes` et
    /// `actifs`), même sous recrutements concurrents ; la date de recrutement n'est ni dans le
    /// futur ni avant la validation du projet. Une adresse électronique déjà enregistrée (casse
    /// ignorée) : 409 `deja_existant`, avec l'identifiant de la personne (`conseiller_id`) : le
    /// nouvel employeur lui propose un contrat au lieu de l'enregistrer deux fois.
    /// `recrutement_local` dit si la personne réside dans le département. Accepte
    /// `Idempotency-Key`. Une convention inconnue ou hors de portée : 404 ; une structure
    /// inconnue : 422 `reference_invalide`.
    /// Accès : `admin` ; `prefecture` dans ses départements ; `structure` : elle-même (employeur
    /// ou structure qui enregistre).
    create_conseiller, "/conseillers", "createConseiller", tag = "Conseillers",
    key = IdempotencyKey, body = NouveauConseiller, errors = ActErrors,
    created = (Conseiller, "La personne enregistrée (recrutée avec `convention_id`).", "L'URL du conseiller."),
    etag = "La version du conseiller.",
    checked = Resource::Conseiller,
    |state, caller, request, new| {
        let ctx = Context::new(caller, state.today());
        state
            .write_once(request, move |tx| {
                let created = app::conseiller::create(tx, &ctx, new)?;
                let location = format!("/api/v1/conseillers/{}", created.id);
                let version = created.version;
                Reply::created_with_version(location, &shown(&ctx.caller, created, ctx.today), version)
            })
            .await
    }
}

list_operation! {
    /// Lister les conseillers
    ///
    /// Les conseillers visibles de l'appelant, les plus récents d'abord, filtrés par convention,
    /// employeur, département, statut (déduit des contrats à la date du service) ou
    /// coordinateur. Données personnelles pour `admin` et l'employeur
    /// seulement. Accès : `admin` : tous ; `prefecture` : ceux de ses départements, sans données
    /// personnelles ; `structure` : ceux qu'elle emploie ; `lecteur` : 403 (il utilise les
    /// statistiques).
    list_conseillers, "/conseillers", "listConseillers",
    tag = "Conseillers", filter = ConseillerFilter, page = (ConseillerPage, "Une page de conseillers."),
    |req, state, caller, filter| {
        let scope = policy::readers_scope(&caller, Resource::Conseiller)?;
        let today = state.today();
    }
    read = move |conn, after, limit| repo::list(conn, &filter, today, &scope, after, limit),
    item = |c| shown(&caller, c, today),
}

get_operation! {
    /// Lire un conseiller
    ///
    /// Un conseiller, avec son `ETag`. Données personnelles pour `admin` et l'employeur seulement.
    /// Accès : comme la liste ; hors de la portée de l'appelant : 404 ; `lecteur` : 403.
    get_conseiller, "/conseillers/{id}", "getConseiller", tag = "Conseillers",
    id = (ConseillerId, crate::api::ConseillerPath), response = (Conseiller, "Le conseiller."),
    etag = "La version du conseiller, pour `If-Match`.",
    errors = crate::openapi::ItemRoleErrors,
    |state, caller, id| {
        let conseiller = state
            .read_found(move |conn| repo::find(conn, &id), not_found)
            .await?;
        check_access(&caller, &conseiller, Action::Read)?;
        Ok(ok_with_etag(conseiller.version, &shown(&caller, conseiller, state.today())))
    }
}

update_operation! {
    /// Corriger les données personnelles d'un conseiller
    ///
    /// Corrige le nom, le prénom, l'adresse électronique ou la commune de résidence (qui recalcule
    /// `recrutement_local`). Exige `If-Match` : absent, 428 ; périmé, 412. 409
    /// `donnees_anonymisees` une fois les données effacées. Accès : `admin` ; `structure` :
    /// l'employeur.
    update_conseiller, "/conseillers/{id}", "updateConseiller", tag = "Conseillers",
    id = (ConseillerId, crate::api::ConseillerPath), body = ModificationConseiller,
    response = (Conseiller, "Le conseiller corrigé."),
    use_case = app::conseiller::update, view = answered,
}

/// The advisor as answered after an action.
fn answered(saved: domain::Conseiller, ctx: &Context) -> Conseiller {
    shown(&ctx.caller, saved, ctx.today)
}

get_operation! {
    /// Lire les postes d'une convention
    ///
    /// Par structure d'accueil : ses postes dans la répartition, ses conseillers en poste à la
    /// date du service (`par_statut` : `en_poste`), ses sortis et ses postes vacants. Accès :
    /// comme la lecture de la convention.
    get_postes, "/conventions/{id}/postes", "getPostes", tag = "Conventions",
    id = (ConventionId, crate::api::ConventionPath),
    response = (PostesConvention, "Les postes de la convention."),
    |state, caller, id| {
        let today = state.today();
        let (convention, counts) = state
            .read(move |conn| {
                let convention = conventions::find(conn, &id)?.ok_or_else(convention_not_found)?;
                let counts = repo::par_structure_en_poste_et_sortis(conn, &id, today)?;
                Ok((convention, counts))
            })
            .await?;
        if !policy::convention_visible(&caller, &convention) {
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
        for (structure, en_poste, sortis) in counts {
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
            host.actifs = en_poste;
            if en_poste > 0 {
                host.par_statut.insert(
                    domain::StatutConseiller::EnPoste.as_str().to_owned(),
                    en_poste,
                );
            }
            host.sortis = sortis;
        }
        for host in &mut hosts {
            host.vacants = (host.postes - host.actifs).max(0);
        }
        // as of the day, like its hosts' (the convention's own counter is kept by the writes)
        let pourvus: i64 = hosts.iter().map(|h| h.actifs).sum();
        Ok(HttpResponse::Ok().json(PostesConvention {
            convention_id: convention.id,
            postes_attribues: convention.postes_attribues,
            postes_pourvus: pourvus,
            vacants: (convention.postes_attribues - pourvus).max(0),
            hotes: hosts,
        }))
    }
}

crate::operation! {
    /// Affecter un conseiller à un lieu
    ///
    /// Le conseiller travaille à ce lieu de son employeur (422 `lieu_non_eligible` sinon) : son
    /// lieu principal (`principal: true` ; l'ancien principal devient secondaire) ou un lieu de
    /// plus (`false`). Exactement un de ses lieux est principal : son premier lieu l'est, et son
    /// lieu principal le reste tant qu'un autre ne l'est pas (409 `lieu_principal`). Refaire la
    /// même affectation ne change rien (même version). Accepte `If-Match` (412 si l'`ETag` est
    /// périmé). Accès : `admin` ; `prefecture` dans ses départements ; `structure` :
    /// l'employeur.
    put "/conseillers/{id}/lieux/{lieu_id}", put_lieu_conseiller, "putLieuConseiller",
    tag = "Conseillers",
    params(
        crate::api::ConseillerPath,
        crate::api::LieuConseillerPath,
        ("If-Match" = Option<String>, Header, description = "Facultatif : l'`ETag` de la dernière lecture (`\"3\"`)."),
        crate::api::NoQuery
    ),
    request_body = LieuDeTravail,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Le conseiller et ses lieux.", body = Conseiller,
            headers(("ETag" = String, description = "La nouvelle version."))),
        crate::openapi::ChangeErrors,
    ),
    fn(
        state: actix_web::web::Data<crate::http::AppState>,
        caller: Caller,
        crate::http::extract::PathParams(id, lieu): crate::http::extract::PathParams<ConseillerId, LieuId>,
        if_match: Option<crate::http::extract::IfMatch>,
        _query: crate::http::extract::StrictQuery<crate::api::NoQuery>,
        body: crate::http::body::Body<LieuDeTravail>,
    ) -> Result<HttpResponse, ApiError> {
        let ctx = Context::new(caller, state.today());
        let request = crate::http::idempotency::OnceRequest::unkeyed();
        crate::operation!(
            @change state, request, ctx, app::conseiller::travailler_a,
            [&id, &lieu, body.gate(if_match)], answered => Conseiller
        )
    }
}

crate::delete_operation! {
    /// Retirer un lieu d'un conseiller
    ///
    /// Le conseiller ne travaille plus à ce lieu (404 s'il n'y travaillait pas). Son lieu
    /// principal ne se retire qu'une fois seul (409 `lieu_principal` : désigner d'abord un autre
    /// lieu principal). Accès : `admin` ;
    /// `prefecture` dans ses départements ; `structure` : l'employeur.
    delete_lieu_conseiller, "/conseillers/{id}/lieux/{lieu_id}", "deleteLieuConseiller",
    tag = "Conseillers",
    ids = ((ConseillerId, LieuId), (crate::api::ConseillerPath, crate::api::LieuConseillerPath)),
    deleted = "Le conseiller ne travaille plus à ce lieu.",
    |state, caller, (id, lieu)| {
        let ctx = Context::new(caller, state.today());
        state
            .write(move |tx| app::conseiller::quitter_lieu(tx, &ctx, &id, &lieu))
            .await
    }
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_conseiller)
        .service(list_conseillers)
        .service(get_conseiller)
        .service(update_conseiller)
        .service(put_lieu_conseiller)
        .service(delete_lieu_conseiller)
        .service(get_postes);
}

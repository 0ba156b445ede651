//! `/api/v1/conventions`: creation, reads, the free-field change, the lifecycle actions and the
//! avenants. Every write is one use case of `app::convention` (lock, access, the body and
//! `If-Match` through the gate, status, rules, save, journal, and the effects on advisors and
//! money) in one transaction under the request's `Idempotency-Key`.

use std::sync::Arc;

use actix_web::{HttpResponse, get, patch, post, web};

use crate::api::NoQuery;
use crate::api::convention::{
    Avenant, AvenantList, BilanConvention, Cloture, Convention, ConventionFilter, ConventionPage,
    ModificationConvention, NouvelAvenant, NouvelleConvention, ProjetAccueil, Resiliation,
    Signature, Validation,
};
use crate::app::{self, Context};
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Resource};
use crate::db::repo::convention as repo;
use crate::db::repo::generation::CountedResource;
use crate::domain::ids::{AvenantId, ConventionId};
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::body::Body;
use crate::http::cache::{PageKey, cached_object};
use crate::http::extract::ok_with_etag;
use crate::http::extract::{IfMatch, PathParam, StrictQuery};
use crate::http::idempotency::{Idempotency, Reply};
use crate::{
    create_operation, get_operation, lifecycle_action, list_operation, operation, update_operation,
};

/// Whether the caller sees who made a change (an agent's identity is personal data): the roles
/// that read the journal.
fn sees_authors(caller: &Caller) -> bool {
    policy::role_allows(caller.role, Resource::Journal, Action::Read)
}

/// The convention as answered after a change (its fields computed from today).
fn answered(saved: crate::domain::convention::Convention, ctx: &Context) -> Convention {
    Convention::of(saved, ctx.today)
}

create_operation! {
    /// Créer une convention
    ///
    /// Crée une convention au statut `brouillon`, avec un numéro lisible et unique
    /// (`CNFS-93-2026-0001` : département, année, rang dans le département). Les signataires doivent
    /// être des structures du département. Accepte `Idempotency-Key`.
    /// Accès : `admin` ; `prefecture` pour ses départements.
    create_convention, "/conventions", "createConvention", tag = "Conventions",
    key = IdempotencyKey, body = NouvelleConvention, errors = CreateErrors,
    created = (Convention, "La convention créée.", "L'URL de la convention."),
    etag = "La version de la convention.",
    |state, caller, once, body| {
        let ctx = Context::new(caller, state.today());
        app::convention::check_create(&ctx, None)?;
        let request = once.request(&ctx.caller, body.raw())?;
        let new = body.accept()?;
        app::convention::check_create(&ctx, Some(&new.departement))?;
        state
            .write_once(request, move |tx| {
                let created = app::convention::create(tx, &ctx, new)?;
                let location = format!("/api/v1/conventions/{}", created.id);
                let version = created.version;
                Reply::created_with_version(location, &answered(created, &ctx), version)
            })
            .await
    }
}

list_operation! {
    /// Lister les conventions
    ///
    /// Les conventions visibles de l'appelant, les plus récentes d'abord, filtrées par département,
    /// région, statut, signataire ou retard, paginées par curseur. `en_retard` et `jours_restants`
    /// sont calculés au jour de Paris. Accès : `admin` et `lecteur` national : toutes ; `prefecture`
    /// et `lecteur` territorial : celles de leurs départements ; `structure` : celles qu'elle signe
    /// ou où elle accueille des postes.
    list_conventions, "/conventions", "listConventions",
    tag = "Conventions", filter = ConventionFilter, page = (ConventionPage, "Une page de conventions."),
    |req, state, caller, filter| {
        let scope = caller.scope_filter(Resource::Convention);
        let today = state.today();
        let key = PageKey {
            scope: &scope,
            role: caller.role,
            today: Some(today),
        };
        let list_scope = scope.clone();
    }
    read = move |conn, after, limit| repo::list(conn, &filter, today, &list_scope, after, limit),
    item = |c| Convention::of(c, today),
    cached = (CountedResource::Conventions, key),
}

get_operation! {
    /// Lire une convention
    ///
    /// Une convention par son identifiant, avec son `ETag` (sa version), ses champs calculés au jour
    /// de Paris et les actions que permet son statut. Accès : `admin` et `lecteur` national ;
    /// `prefecture` et `lecteur` territorial dans leurs départements ; `structure` signataire ou
    /// d'accueil. Hors de la portée de l'appelant : 404.
    get_convention, "/conventions/{id}", "getConvention", tag = "Conventions",
    id = (ConventionId, crate::api::ConventionPath), response = (Convention, "La convention."),
    etag = "La version de la convention, pour `If-Match`.",
    |state, caller, id| {
        let found = cached_object(
            &state,
            &state.cache_conventions,
            CountedResource::Conventions,
            id.to_string(),
            move |conn| Ok(repo::find(conn, &id)?),
        )
        .await?;
        let convention = found.ok_or_else(app::convention::not_found)?;
        policy::check_convention(&caller, &convention, Resource::Convention, Action::Read)?;
        let version = convention.version;
        let view = Convention::of(Arc::unwrap_or_clone(convention), state.today());
        Ok(ok_with_etag(version, &view))
    }
}

update_operation! {
    /// Modifier une convention
    ///
    /// Change les champs libres (l'intitulé) à tout statut non final (409 `transition_invalide`
    /// sinon). Exige `If-Match` avec l'`ETag` de la dernière lecture : absent, 428 ; périmé, 412.
    /// Accès : `admin` ; `prefecture` dans ses départements.
    update_convention, "/conventions/{id}", "updateConvention", tag = "Conventions",
    id = (ConventionId, crate::api::ConventionPath), body = ModificationConvention,
    response = (Convention, "La convention modifiée."),
    use_case = app::convention::modify, view = answered,
}

lifecycle_action! {
    tag = "Conventions", id = (ConventionId, crate::api::ConventionPath),
    response = (Convention, "La convention après l'action."), view = answered,
    shared_doc = {
        ///
        /// Accepte `If-Match` (412 si l'`ETag` est périmé) et `Idempotency-Key`. Répond 200 avec
        /// la convention entière ; 409 `transition_invalide` (avec `actions_possibles`) quand le
        /// statut ne le permet pas, avant tout contrôle de date.
    },
    actions = {
        /// Signer une convention
        ///
        /// `brouillon` → `signee`. La date de signature (aujourd'hui par défaut, jamais dans le futur)
        /// fixe la date limite du projet d'accueil : signature + délai en mois calendaires (le
        /// 2021-02-08 + 2 mois donne le 2021-04-08 ; le 2021-12-31 + 2 mois, le 2022-02-28).
        /// Accès : `admin` ; `prefecture` dans ses départements.
        sign_convention, "/conventions/{id}/signature", "signConvention", Signature, app::convention::sign;

        /// Déposer le projet d'accueil
        ///
        /// `signee` → `projet_depose`. La répartition doit compter exactement les postes attribués
        /// (422 `repartition_incomplete` sinon) entre des structures signataires ou du département.
        /// La date de dépôt (aujourd'hui par défaut) n'est ni dans le futur ni avant la signature.
        /// Accès : `admin` ; `prefecture` dans ses départements ; `structure` signataire.
        file_projet_accueil, "/conventions/{id}/projet-accueil", "fileProjetAccueil", ProjetAccueil, app::convention::file_projet_accueil;

        /// Valider le projet d'accueil
        ///
        /// `projet_depose` → `en_execution`. La date de validation (aujourd'hui par défaut) n'est ni
        /// dans le futur ni avant le dépôt. Accès : `admin` ; `prefecture` dans ses départements.
        validate_projet, "/conventions/{id}/validation", "validateConvention", Validation, app::convention::validate;

        /// Résilier une convention
        ///
        /// Tout statut non final → `resiliee`, avec un motif. La date de résiliation (aujourd'hui par
        /// défaut) n'est ni dans le futur ni avant la dernière étape franchie. Accès : `admin` ;
        /// `prefecture` dans ses départements.
        terminate_convention, "/conventions/{id}/resiliation", "terminateConvention", Resiliation, app::convention::terminate;

        /// Clore une convention
        ///
        /// `en_execution` → `terminee`. La date de clôture (aujourd'hui par défaut) n'est ni dans le
        /// futur ni avant la validation. Accès : `admin` ; `prefecture` dans ses départements.
        close_convention, "/conventions/{id}/cloture", "closeConvention", Cloture, app::convention::close;
    }
}

operation! {
    /// Enregistrer un avenant
    ///
    /// Ajoute ou retire des postes (`signee`, `projet_depose` ou `en_execution` ; 409
    /// `transition_invalide` sinon). Les avenants forment un historique sans suppression ;
    /// `postes_attribues` le suit. Un retrait ne descend jamais sous les postes déjà pourvus ni sous
    /// un poste (422 `postes_insuffisants`). Une fois le projet d'accueil déposé, l'avenant porte la
    /// nouvelle répartition de tous les postes. Accepte `If-Match` et `Idempotency-Key`.
    /// Accès : `admin` ; `prefecture` dans ses départements.
    post "/conventions/{id}/avenants", create_avenant, "createAvenant", tag = "Conventions",
    params(
        crate::api::ConventionPath,
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
    ),
    fn(
        state: web::Data<AppState>,
        caller: Caller,
        PathParam(id): PathParam<ConventionId>,
        if_match: Option<IfMatch>,
        once: Idempotency,
        _query: StrictQuery<NoQuery>,
        body: Body<NouvelAvenant>,
    ) -> Result<HttpResponse, ApiError> {
        let request = once.request(&caller, body.raw())?;
        let sees_author = sees_authors(&caller);
        let ctx = Context::new(caller, state.today());
        state
            .write_once(request, move |tx| {
                let avenant = app::convention::amend(tx, &ctx, &id, body.gate(if_match))?;
                Reply::created(
                    format!("/api/v1/conventions/{id}/avenants/{}", avenant.id),
                    &Avenant::shown(avenant, sees_author),
                )
            })
            .await
    }
}

get_operation! {
    /// Lister les avenants d'une convention
    ///
    /// L'historique des avenants, par rang (la liste vient entière). L'auteur (donnée personnelle)
    /// n'est montré qu'à `admin` et `prefecture`. Accès : comme la lecture de la convention.
    list_avenants, "/conventions/{id}/avenants", "listAvenants", tag = "Conventions",
    id = (ConventionId, crate::api::ConventionPath), response = (AvenantList, "Les avenants."),
    |state, caller, id| {
        let (convention, avenants) = state
            .read(move |conn| {
                let convention = repo::find(conn, &id)?.ok_or_else(app::convention::not_found)?;
                let avenants = repo::list_avenants(conn, &id)?;
                Ok((convention, avenants))
            })
            .await?;
        policy::check_convention(&caller, &convention, Resource::Convention, Action::Read)?;
        let sees_author = sees_authors(&caller);
        Ok(HttpResponse::Ok().json(AvenantList {
            items: avenants
                .into_iter()
                .map(|a| Avenant::shown(a, sees_author))
                .collect(),
            next_cursor: None,
        }))
    }
}

get_operation! {
    /// Lire un avenant
    ///
    /// Un avenant d'une convention. Accès : comme la lecture de la convention.
    get_avenant, "/conventions/{id}/avenants/{avenant_id}", "getAvenant", tag = "Conventions",
    ids = ((ConventionId, AvenantId), (crate::api::ConventionPath, crate::api::AvenantPath)),
    response = (Avenant, "L'avenant."),
    |state, caller, (id, avenant_id)| {
        let (convention, avenant) = state
            .read(move |conn| {
                let convention = repo::find(conn, &id)?.ok_or_else(app::convention::not_found)?;
                let avenant = repo::find_avenant(conn, &id, &avenant_id)?;
                Ok((convention, avenant))
            })
            .await?;
        policy::check_convention(&caller, &convention, Resource::Convention, Action::Read)?;
        let avenant = avenant.ok_or_else(|| {
            ApiError::NotFound("Aucun avenant de cet identifiant pour cette convention.".to_owned())
        })?;
        Ok(HttpResponse::Ok().json(Avenant::shown(avenant, sees_authors(&caller))))
    }
}

get_operation! {
    /// Lire le bilan d'une convention
    ///
    /// Pour chaque employeur qui a reçu des engagements et chaque enveloppe dont un barème le
    /// couvre : sa période de financement (de la date de son premier engagement, pour la durée
    /// de son barème), les mois financés (postes × durée), les jours et mois occupés par les
    /// contrats sur ses postes (un contrat sans fin connue court jusqu'à la fin de la période :
    /// le bilan est prévisionnel), le versé, le dû (montant par poste × jours occupés ÷ jours de
    /// la période, au centime) et l'avoir prévisionnel (versé − dû, jamais négatif), avec les
    /// totaux. Un employeur sans barème sur une enveloppe n'y a pas de ligne. Accès : comme la
    /// lecture de la convention.
    get_bilan, "/conventions/{id}/bilan", "getBilanConvention", tag = "Conventions",
    id = (ConventionId, crate::api::ConventionPath),
    response = (BilanConvention, "Le bilan de la convention."),
    |state, caller, id| {
        let lignes = state
            .read(move |conn| {
                app::convention::bilan_convention(conn, &caller, &id).map(|l| (id, l))
            })
            .await?;
        Ok(HttpResponse::Ok().json(BilanConvention::of(lignes.0, lignes.1)))
    }
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
        .service(get_avenant)
        .service(get_bilan);
}

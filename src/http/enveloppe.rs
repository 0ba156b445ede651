//! `/api/v1/enveloppes`: funding envelopes and their départemental ceilings. Every change is one
//! use case of `app::financement`, under the envelope's lock.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};

use crate::api::NoQuery;
use crate::api::financement::{
    Enveloppe, EnveloppeFilter, EnveloppePage, ModificationEnveloppe, NouveauPlafond,
    NouveauxBaremes, NouvelleEnveloppe,
};
use crate::app::Context;
use crate::app::financement::{self as use_case, check_enveloppe, enveloppe_not_found};
use crate::auth::Caller;
use crate::auth::policy::{Action, Resource};
use crate::db::DbConn;
use crate::db::repo::financement as repo;
use crate::domain::codes::CodeDepartement;
use crate::domain::financement as domain;
use crate::domain::ids::EnveloppeId;
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::body::Body;
use crate::http::extract::ok_with_etag;
use crate::http::extract::{PathParams, StrictQuery};
use crate::http::idempotency::{OnceRequest, Reply};
use crate::{
    create_operation, delete_operation, get_operation, list_operation, operation, update_operation,
};

/// An envelope's read model, read in the transaction or connection given.
fn enveloppe_view(conn: &mut DbConn, enveloppe: domain::Enveloppe) -> Result<Enveloppe, ApiError> {
    let departements = repo::departements(conn, &enveloppe.id)?;
    let baremes = repo::baremes_of(conn, &enveloppe.id)?;
    Ok(Enveloppe::of(enveloppe, departements, baremes))
}

create_operation! {
    /// Créer une enveloppe
    ///
    /// Crée une enveloppe de financement (rien n'y est engagé), avec ses barèmes s'ils sont
    /// donnés (422 à leur pointeur s'ils sont incohérents, comme pour `PUT …/baremes`). Une
    /// enveloppe départementale (`perimetre_departement`) ne finance que les conventions de ce
    /// département. Accepte `Idempotency-Key`. Accès : `admin`.
    create_enveloppe, "/enveloppes", "createEnveloppe", tag = "Financement",
    key = IdempotencyKey, body = NouvelleEnveloppe, errors = CreateErrors,
    created = (Enveloppe, "L'enveloppe créée.", "L'URL de l'enveloppe."),
    etag = "La version de l'enveloppe.",
    checked = Resource::Enveloppe,
    |state, caller, request, new| {
        let ctx = Context::new(caller, state.today());
        state
            .write_once(request, move |tx| {
                let created = use_case::create_enveloppe(tx, &ctx, new)?;
                let location = format!("/api/v1/enveloppes/{}", created.id);
                let version = created.version;
                let view = enveloppe_view(tx.conn(), created)?;
                Reply::created_with_version(location, &view, version)
            })
            .await
    }
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
        let mut baremes = repo::baremes_of_many(conn, &ids)?.into_iter();
        // One query for the page's ceilings and one for its tariffs, in the page's order.
        page.try_map(|e| {
            let (_, soldes) = departements
                .next()
                .ok_or_else(|| ApiError::internal("plafonds de la page"))?;
            let (_, baremes) = baremes
                .next()
                .ok_or_else(|| ApiError::internal("barèmes de la page"))?;
            Ok::<_, ApiError>(Enveloppe::of(e, soldes, baremes))
        })
    },
    item = std::convert::identity,
}

get_operation! {
    /// Lire une enveloppe
    ///
    /// Une enveloppe avec ses barèmes et ses soldes : engagé (engagements actifs et parts versées
    /// des engagements annulés), versé, disponible, et chacun de ses plafonds départementaux avec
    /// son engagé et son disponible. Accès : tout jeton valide.
    get_enveloppe, "/enveloppes/{id}", "getEnveloppe", tag = "Financement",
    id = (EnveloppeId, crate::api::EnveloppePath), response = (Enveloppe, "L'enveloppe."),
    etag = "La version de l'enveloppe, pour `If-Match`.",
    |state, caller, id| {
        check_enveloppe(&caller, Action::Read)?;
        let view = state
            .read_short(move |conn| {
                let enveloppe = repo::find_enveloppe(conn, &id)?.ok_or_else(enveloppe_not_found)?;
                enveloppe_view(conn, enveloppe)
            })
            .await?;
        Ok(ok_with_etag(view.version, &view))
    }
}

update_operation! {
    /// Modifier une enveloppe
    ///
    /// Change les champs modifiables d'une enveloppe. Le montant ne descend jamais sous ce qui est
    /// engagé ni sous la somme des plafonds (409 `montant_insuffisant`) ; la période couvre toujours
    /// les engagements pris (409 `periode_incompatible`). Exige `If-Match` : absent, 428 ; périmé,
    /// 412. Accès : `admin`.
    update_enveloppe, "/enveloppes/{id}", "updateEnveloppe", tag = "Financement",
    id = (EnveloppeId, crate::api::EnveloppePath), body = ModificationEnveloppe,
    response = (Enveloppe, "L'enveloppe modifiée."),
    |state, caller, id, if_match, body| {
        let ctx = Context::new(caller, state.today());
        state
            .write_once(OnceRequest::unkeyed(), move |tx| {
                let gate = body.gate_required(if_match);
                let saved = use_case::update_enveloppe(tx, &ctx, &id, gate)?;
                let view = enveloppe_view(tx.conn(), saved.clone())?;
                Ok(Reply::ok(&view)?.with_version(saved.version))
            })
            .await
    }
}

operation! {
    /// Fixer le plafond d'un département
    ///
    /// Crée (201) ou remplace (200) le plafond d'un département dans l'enveloppe. La somme des
    /// plafonds ne dépasse jamais le montant (409 `plafonds_excedentaires`) ; un plafond ne descend
    /// jamais sous ce qui est déjà engagé dans le département (409 `plafond_insuffisant`). Une
    /// enveloppe départementale n'a de plafond que pour son département (422 `hors_perimetre`).
    /// Répond avec l'enveloppe entière. Accès : `admin`.
    put "/enveloppes/{id}/plafonds/{departement}", put_plafond, "putPlafond", tag = "Financement",
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
    ),
    fn(
        state: web::Data<AppState>,
        caller: Caller,
        PathParams(id, departement): PathParams<EnveloppeId, CodeDepartement>,
        _query: StrictQuery<NoQuery>,
        body: Body<NouveauPlafond>,
    ) -> Result<HttpResponse, ApiError> {
        let ctx = Context::new(caller, state.today());
        state
            .write_once(OnceRequest::unkeyed(), move |tx| {
                let gate = body.gate_unversioned();
                let fixe = use_case::put_plafond(tx, &ctx, &id, &departement, gate)?;
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
}

operation! {
    @changing
    /// Remplacer les barèmes d'une enveloppe
    ///
    /// Remplace tous les barèmes de l'enveloppe par la liste donnée (vide : plus de barème). Un
    /// barème par couple (`categorie`, `territoire_prioritaire`) au plus ; ses tranches, de rang
    /// 1 à n, tombent dans sa durée, dans l'ordre, et font ensemble son montant par poste : sinon
    /// 422 `validation`, chaque faute à son pointeur dans la liste (`/1/tranches/2/rang`). Les
    /// barèmes ne laissent aucune convention engagée au-delà de ce qu'ils accordent à ses
    /// employeurs (409 `convention_surfinancee`, avec `convention_id`). Les engagements déjà
    /// pris gardent leur montant. Répond avec l'enveloppe, dont la version change. Accès :
    /// `admin`.
    put "/enveloppes/{id}/baremes", put_baremes, "putBaremes", "Financement",
    (EnveloppeId, crate::api::EnveloppePath),
    "Obligatoire : l'`ETag` de la dernière lecture (`\"3\"`) ; absent, 428 `precondition_requise` (RFC 6585) ; périmé, 412.",
    [], NouveauxBaremes, (Enveloppe, "L'enveloppe et ses nouveaux barèmes."),
    |state, caller, id, if_match, [], body| {
        let ctx = Context::new(caller, state.today());
        state
            .write_once(OnceRequest::unkeyed(), move |tx| {
                let gate = body.gate_required(if_match);
                let saved = use_case::put_baremes(tx, &ctx, &id, gate)?;
                let view = enveloppe_view(tx.conn(), saved.clone())?;
                Ok(Reply::ok(&view)?.with_version(saved.version))
            })
            .await
    }
}

delete_operation! {
    /// Supprimer le plafond d'un département
    ///
    /// Le département n'a plus de plafond propre dans l'enveloppe (ce qui y est engagé le reste).
    /// 404 quand il n'en avait pas. Accès : `admin`.
    delete_plafond, "/enveloppes/{id}/plafonds/{departement}", "deletePlafond", tag = "Financement",
    ids = (
        (EnveloppeId, CodeDepartement),
        (crate::api::EnveloppePath, crate::api::PlafondDepartementPath)
    ),
    deleted = "Le plafond est supprimé.",
    |state, caller, (id, departement)| {
        let ctx = Context::new(caller, state.today());
        state
            .write(move |tx| use_case::delete_plafond(tx, &ctx, &id, &departement))
            .await
    }
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_enveloppe)
        .service(list_enveloppes)
        .service(get_enveloppe)
        .service(update_enveloppe)
        .service(put_baremes)
        .service(put_plafond)
        .service(delete_plafond);
}

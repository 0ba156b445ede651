//! `/api/v1/conseillers/{id}/coordinateur`: the coordinator who follows an advisor (the list of
//! the advisors one coordinator follows is `GET /conseillers?coordinateur_id=`).

use actix_web::{delete, put};

use crate::api::conseiller::Conseiller;
use crate::api::coordination::Coordination;
use crate::app::{self, Context};
use crate::domain::conseiller as domain;
use crate::domain::ids::ConseillerId;

/// The advisor as answered after the change (personal data for admins and the employer only).
fn answered(saved: domain::Conseiller, ctx: &Context) -> Conseiller {
    Conseiller::for_caller(&ctx.caller, saved, ctx.today)
}

crate::operation! {
    @changing
    /// Donner un coordinateur à un conseiller
    ///
    /// Le conseiller est suivi par ce coordinateur (il remplace le précédent) : une personne qui
    /// tient aujourd'hui un contrat de coordinateur (un contrat en vigueur de typologie
    /// `coordinateur`) dans le département de l'emploi du conseiller. Refus : le conseiller
    /// lui-même, 422 `coordination_de_soi` ; une personne inconnue ou que l'appelant ne peut pas
    /// nommer (une préfecture : une personne de ses départements ; l'employeur : une personne du
    /// département du conseiller), 422 `coordinateur_inconnu` ; le conseiller sans contrat en
    /// vigueur aujourd'hui, 409 `sans_contrat` ; une personne sans contrat de coordinateur en
    /// vigueur aujourd'hui, 409 `pas_coordinateur` ; un coordinateur d'un autre département, 409
    /// `coordinateur_hors_departement`. Répond 200 avec le conseiller (`coordinateur_id`) ;
    /// renommer son coordinateur actuel ne change rien (même version). Accepte `If-Match` (412 si
    /// l'`ETag` est périmé). Accès : `admin` ; `prefecture` dans ses départements ; `structure` :
    /// l'employeur ; `lecteur` : 403 ; un conseiller hors de portée : 404.
    put "/conseillers/{id}/coordinateur", put_coordinateur, "putCoordinateur", "Conseillers",
    (ConseillerId, crate::api::ConseillerPath),
    "Facultatif : l'`ETag` de la dernière lecture (`\"3\"`).",
    [], Coordination, (Conseiller, "Le conseiller et son coordinateur."),
    |state, caller, id, if_match, [], body| {
        let ctx = Context::new(caller, state.today());
        let request = crate::http::idempotency::OnceRequest::unkeyed();
        crate::operation!(
            @change state, request, ctx, app::coordination::coordonner,
            [&id, body.gate(if_match)], answered => Conseiller
        )
    }
}

crate::delete_operation! {
    /// Retirer son coordinateur à un conseiller
    ///
    /// Le conseiller n'est plus suivi par un coordinateur (404 s'il n'en avait pas). Accès :
    /// `admin` ; `prefecture` dans ses départements ; `structure` : l'employeur ; `lecteur` :
    /// 403 ; un conseiller hors de portée : 404.
    delete_coordinateur, "/conseillers/{id}/coordinateur", "deleteCoordinateur",
    tag = "Conseillers",
    id = (ConseillerId, crate::api::ConseillerPath),
    deleted = "Le conseiller n'a plus de coordinateur.",
    |state, caller, id| {
        let ctx = Context::new(caller, state.today());
        state
            .write(move |tx| app::coordination::ne_plus_coordonner(tx, &ctx, &id))
            .await
    }
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(put_coordinateur).service(delete_coordinateur);
}

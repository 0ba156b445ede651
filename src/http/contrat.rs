//! `/api/v1/contrats`: advisors' contracts, each an object with its type, its dates, its state on
//! the service's date, and the rupture of a contract in force.

use actix_web::{get, post};

use crate::api::contrat::{
    Contrat, ContratFilter, ContratPage, NouveauContrat, ProlongationContrat, RuptureContrat,
};
use crate::app::contrat::not_found;
use crate::app::{self, Context};
use crate::auth::policy::{self, Action, Resource};
use crate::db::repo::contrat as repo;
use crate::domain::contrat as domain;
use crate::domain::ids::ContratId;
use crate::http::extract::ok_with_etag;
use crate::http::idempotency::Reply;
use crate::{create_operation, get_operation, lifecycle_action, list_operation};

create_operation! {
    /// Créer un contrat
    ///
    /// Engage une personne (`conseiller_id`, enregistrée par `POST /conseillers`) sur un poste
    /// vacant (`poste_id`) d'une convention en exécution : le poste est occupé à partir de
    /// `date_debut`, et le redevient vacant le lendemain de `date_fin` sans autre traitement ;
    /// l'emploi du conseiller (convention, employeur, département) devient celui du contrat.
    /// Refus : convention hors exécution (409 `convention_hors_execution`), poste non vacant
    /// (409 `poste_non_vacant`), typologie du contrat autre que celle du poste (409
    /// `typologie_incompatible`), un autre contrat de la personne en vigueur sur la période (409
    /// `contrat_en_cours`, avec son `contrat_id` : un seul contrat en vigueur à la fois, même
    /// sous requêtes concurrentes), `date_fin` requise pour `cdd`, `pec` et `contrat_de_projet`
    /// et refusée pour `cdi` et `titulaire` (422 `date_fin_invalide`), `date_debut` dans le
    /// futur ou avant la vacance du poste (422 `date_future`, `date_anterieure`), salaire sous le
    /// SMIC mensuel brut en vigueur à `date_debut` (422 `salaire_inferieur_smic`, avec le
    /// montant et son texte). Poste hors de portée ou personne inconnue : 404. Accepte
    /// `Idempotency-Key`. Accès : `admin` ; `prefecture` dans ses départements ; `structure` :
    /// sur ses propres postes.
    create_contrat, "/contrats", "createContrat", tag = "Contrats",
    key = IdempotencyKey, body = NouveauContrat, errors = ActErrors,
    created = (Contrat, "Le contrat créé.", "L'URL du contrat."),
    etag = "La version du contrat.",
    checked = Resource::Contrat,
    |state, caller, request, new| {
        let ctx = Context::new(caller, state.today());
        state
            .write_once(request, move |tx| {
                let created = app::contrat::creer(tx, &ctx, new)?;
                let location = format!("/api/v1/contrats/{}", created.id);
                let version = created.version;
                Reply::created_with_version(location, &answered(created, &ctx), version)
            })
            .await
    }
}

list_operation! {
    /// Lister les contrats
    ///
    /// Les contrats des conseillers, les plus récents d'abord, avec leur état à la date du
    /// service (`en_cours`, `termine` le lendemain de `date_fin`, `rompu`) ; filtrés par
    /// conseiller, employeur, convention, département, types et états (listes séparées par des
    /// virgules). Accès : `admin` : tous ; `prefecture` : ceux de ses départements ; `structure` :
    /// ceux dont elle est l'employeur ; `lecteur` : 403 (il utilise les statistiques).
    list_contrats, "/contrats", "listContrats",
    tag = "Contrats", filter = ContratFilter, page = (ContratPage, "Une page de contrats."),
    |req, state, caller, filter| {
        let scope = policy::readers_scope(&caller, Resource::Contrat)?;
        let today = state.today();
    }
    read = move |conn, after, limit| repo::list(conn, &filter, today, &scope, after, limit),
    item = move |c| Contrat::on(c, today),
}

get_operation! {
    /// Lire un contrat
    ///
    /// Un contrat, avec son état à la date du service et son `ETag`. Accès : comme la liste ;
    /// hors de la portée de l'appelant : 404 ; `lecteur` : 403.
    get_contrat, "/contrats/{id}", "getContrat", tag = "Contrats",
    id = (ContratId, crate::api::ContratPath), response = (Contrat, "Le contrat."),
    etag = "La version du contrat, pour `If-Match`.",
    errors = crate::openapi::ItemRoleErrors,
    |state, caller, id| {
        let contrat = state
            .read_found(move |conn| repo::find(conn, &id), not_found)
            .await?;
        policy::check_seen_placed(&caller, Resource::Contrat, Action::Read, &contrat)?;
        let version = contrat.version;
        Ok(ok_with_etag(version, &Contrat::on(contrat, state.today())))
    }
}

/// The contract as answered after a change, on the day of the request.
fn answered(saved: domain::Contrat, ctx: &Context) -> Contrat {
    Contrat::on(saved, ctx.today)
}

lifecycle_action! {
    tag = "Contrats", id = (ContratId, crate::api::ContratPath),
    response = (Contrat, "Le contrat après le changement."), view = answered,
    shared_doc = {
        ///
        /// Accepte `If-Match` (412 si l'`ETag` est périmé) et `Idempotency-Key`. Accès : `admin` ;
        /// `prefecture` dans ses départements ; `structure` : l'employeur.
    },
    actions = {
        /// Rompre un contrat
        ///
        /// Rompt un contrat en cours (409 `contrat_termine` s'il est rompu ou arrivé à son
        /// terme) avant son terme, avec un motif (`non_reconduction_cdd`, `licenciement`,
        /// `demission`, `rupture_conventionnelle`, `fin_de_subventionnement`, `autre`) et un
        /// commentaire. `date` est son dernier jour : ni dans le futur, ni avant la dernière
        /// étape du parcours du conseiller (422 `date_anterieure`), ni après sa fin prévue (422
        /// `date_posterieure_fin`). Le conseiller sort du dispositif (`sorti`, avec le motif de
        /// sortie correspondant) et son poste est vacant le lendemain.
        rupture_contrat, "/contrats/{id}/rupture", "ruptureContrat", RuptureContrat,
        app::contrat::rompre;

        /// Prolonger un contrat
        ///
        /// Reporte la fin prévue (`date_fin`) d'un contrat à durée déterminée en cours (409
        /// `contrat_termine` s'il est rompu ou arrivé à son terme ; 409 `contrat_sans_terme`
        /// pour un `cdi` ou un `titulaire`) à une date postérieure à l'actuelle (422
        /// `date_fin_invalide`) ; un contrat repris sans fin prévue en reçoit une, au plus tôt
        /// aujourd'hui. Le poste reste occupé jusqu'à la nouvelle fin.
        prolongation_contrat, "/contrats/{id}/prolongation", "prolongationContrat",
        ProlongationContrat, app::contrat::prolonger_contrat;
    }
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_contrat)
        .service(list_contrats)
        .service(get_contrat)
        .service(rupture_contrat)
        .service(prolongation_contrat);
}

//! `/api/v1/contrats`: advisors' contracts, each an object with its type, its dates, its state on
//! the service's date, and the rupture of a contract in force.

use actix_web::{get, post};

use crate::api::contrat::{Contrat, ContratFilter, ContratPage, RuptureContrat};
use crate::app::contrat::not_found;
use crate::app::{self, Context};
use crate::auth::policy::{self, Action, Resource};
use crate::db::repo::contrat as repo;
use crate::domain::contrat as domain;
use crate::domain::ids::ContratId;
use crate::http::extract::ok_with_etag;
use crate::{get_operation, lifecycle_action, list_operation};

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
    /// hors de la portée de l'appelant : 404.
    get_contrat, "/contrats/{id}", "getContrat", tag = "Contrats",
    id = (ContratId, crate::api::ContratPath), response = (Contrat, "Le contrat."),
    etag = "La version du contrat, pour `If-Match`.",
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
    }
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_contrats)
        .service(get_contrat)
        .service(rupture_contrat);
}

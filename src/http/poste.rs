//! `/api/v1/postes`: the posts attributed to hosts, each an object with its state, its date and
//! its history, and the transfer of a vacant post to another host.

use actix_web::{get, post};

use crate::api::poste::{Poste, PosteFilter, PostePage, Transfert};
use crate::app::poste::not_found;
use crate::app::{self, Context};
use crate::auth::policy::{self, Action, Resource};
use crate::db::repo::poste as repo;
use crate::domain::ids::PosteId;
use crate::http::extract::ok_with_etag;
use crate::{get_operation, lifecycle_action, list_operation};

list_operation! {
    /// Lister les postes
    ///
    /// Les postes attribués aux structures d'accueil, les plus récents d'abord, avec leur état
    /// (`vacant`, `occupe`, `rendu`), la date de cet état (`depuis`) et leur historique ; filtrés
    /// par département, convention, structure, états et typologies (listes séparées par des
    /// virgules) et ancienneté de la vacance (`vacant_depuis_jours`, au jour de Paris : `180`
    /// donne les postes que la règle des six mois oblige à rendre). Accès : `admin` et `lecteur`
    /// national : tous ; `prefecture` et `lecteur` territorial : ceux de leurs départements ;
    /// `structure` : ceux qu'elle tient.
    list_postes, "/postes", "listPostes",
    tag = "Postes", filter = PosteFilter, page = (PostePage, "Une page de postes."),
    |req, state, caller, filter| {
        let scope = caller.scope_filter(Resource::Poste);
        let today = state.today();
    }
    read = move |conn, after, limit| repo::list(conn, &filter, today, &scope, after, limit),
    item = std::convert::identity,
}

get_operation! {
    /// Lire un poste
    ///
    /// Un poste, avec son historique (attribution, occupations, libérations, transferts, rendu)
    /// et son `ETag`. Accès : comme la liste ; hors de la portée de l'appelant : 404.
    get_poste, "/postes/{id}", "getPoste", tag = "Postes",
    id = (PosteId, crate::api::PostePath), response = (Poste, "Le poste."),
    etag = "La version du poste, pour `If-Match`.",
    |state, caller, id| {
        let poste = state
            .read_found(move |conn| repo::find(conn, &id), not_found)
            .await?;
        policy::check_seen_placed(&caller, Resource::Poste, Action::Read, &poste)?;
        Ok(ok_with_etag(poste.version, &poste.le(state.today())))
    }
}

/// The post as answered after a transfer.
fn answered(saved: Poste, _: &Context) -> Poste {
    saved
}

lifecycle_action! {
    tag = "Postes", id = (PosteId, crate::api::PostePath),
    response = (Poste, "Le poste après le transfert."), view = answered,
    shared_doc = {
        ///
        /// Accepte `If-Match` (412 si l'`ETag` est périmé) et `Idempotency-Key`. Accès : `admin` ;
        /// `prefecture` dans ses départements.
    },
    actions = {
        /// Transférer un poste vacant
        ///
        /// Transfère un poste vacant (409 `poste_non_vacant` sinon) d'une convention en exécution
        /// (409 `convention_hors_execution` sinon) à une autre structure du département de la
        /// convention (422 `structure_non_eligible` sinon, sur `/structure_id`). Le poste garde
        /// son état et la date de sa vacance ; la répartition de la convention passe un poste de
        /// l'ancienne structure d'accueil à la nouvelle (ajoutée si elle n'y était pas, retirée
        /// si elle n'a plus de poste) ; le total de la convention ne change pas. La date n'est ni
        /// dans le futur ni avant `depuis`.
        transfer_poste, "/postes/{id}/transfert", "transferPoste", Transfert, app::poste::transfer;
    }
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_postes)
        .service(get_poste)
        .service(transfer_poste);
}

//! `GET /api/v1/journal`: who changed what, when.

use actix_web::get;

use crate::api::journal::{JournalFilter, JournalPage};
use crate::auth::policy::{self, Action, Perimeter, Resource};
use crate::db::repo::journal as repo;
use crate::list_operation;

list_operation! {
    /// Lire le journal
    ///
    /// Les modifications des structures et des conventions, les plus récentes d'abord : auteur
    /// (sujet et rôle du jeton), action, objet, instant, et les champs modifiés avant et après.
    /// Filtrable par nature d'objet et par objet. Accès : `admin` : tout ; `prefecture` : les objets
    /// de ses départements. Les autres rôles : 403.
    list_journal, "/journal", "listJournal",
    tag = "Journal", filter = JournalFilter, page = (JournalPage, "Une page du journal."),
    |req, state, caller, filter| {
        policy::check(
            Some(&caller),
            Resource::Journal,
            Action::Read,
            &Perimeter::NATIONAL,
        )?;
        let scope = caller.scope_filter(Resource::Journal);
    }
    read = move |conn, after, limit| repo::list(conn, &filter, &scope, after, limit),
    item = std::convert::identity,
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_journal);
}

//! `GET /api/v1/journal`: who changed what, when.

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::api::journal::{JournalPage, JournalQuery};
use crate::api::paging::Paging;
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Perimeter, Resource};
use crate::db::repo::journal::{self as repo, JournalFilter};
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::extract::{Paged, page_response};

/// Lire le journal
///
/// Les modifications des structures et des conventions, les plus récentes d'abord : auteur
/// (sujet et rôle du jeton), action, objet, instant, et les champs modifiés avant et après.
/// Filtrable par nature d'objet et par objet. Accès : `admin` : tout ; `prefecture` : les objets
/// de ses départements. Les autres rôles : 403.
#[utoipa::path(
    tag = "Journal",
    operation_id = "listJournal",
    params(JournalQuery, Paging),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Une page du journal.", body = JournalPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` : l'URL de la page suivante, quand il y en a une."))),
        crate::openapi::ListErrors,
    )
)]
#[get("/journal")]
pub async fn list_journal(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: Paged<JournalQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::check(
        Some(&caller),
        Resource::Journal,
        Action::Read,
        &Perimeter::NATIONAL,
    )?;
    let Paged { filter, paging } = query;
    let scope = caller.scope_filter(Resource::Journal);
    let filter = JournalFilter {
        ressource: filter.ressource,
        ressource_id: filter.id,
    };
    let (after, limit) = (paging.after(), paging.limit());
    let page = state
        .read(move |conn| Ok(repo::list(conn, &filter, &scope, after.as_ref(), limit)?))
        .await?;
    Ok(page_response(&req, page, |items, next_cursor| {
        JournalPage { items, next_cursor }
    }))
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_journal);
}

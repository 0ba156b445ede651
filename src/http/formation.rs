//! `/api/v1/conseillers/{id}/formations` and `/api/v1/conseillers/{id}/certifications`: the
//! trainings an advisor follows while in post and the certifications it sits after its initial
//! training (issue 25 §4). Written under the advisor's row lock ([`app::formation`]); read with
//! the advisor, whose access they share.

use actix_web::{HttpResponse, get, post};

use crate::api::formation::{
    Certification, CertificationList, Formation, FormationList, NouvelleCertification,
    NouvelleFormation,
};
use crate::app::conseiller::{check_access, not_found};
use crate::app::{self, Context};
use crate::auth::Caller;
use crate::auth::policy::Action;
use crate::db::repo::conseiller as conseillers;
use crate::domain::conseiller::Conseiller;
use crate::domain::ids::{CertificationId, ConseillerId, FormationId};
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::extract::ok_with_etag;
use crate::http::idempotency::Reply;
use crate::{create_operation, get_operation};

/// The advisor `id` (with its trainings and certifications), if `caller` may read it (404 out of
/// scope, 403 for a role that may not).
async fn read_conseiller(
    state: &AppState,
    caller: &Caller,
    id: ConseillerId,
) -> Result<Conseiller, ApiError> {
    let conseiller = state
        .read_found(move |conn| conseillers::find(conn, &id), not_found)
        .await?;
    check_access(caller, &conseiller, Action::Read)?;
    Ok(conseiller)
}

create_operation! {
    /// Enregistrer une formation d'un conseiller
    ///
    /// Une formation suivie par le conseiller pendant son emploi : `initiale` (une seule par
    /// personne, quel que soit l'employeur : 409 `formation_initiale_existante`, avec le
    /// `formation_id` de l'existante) ou `continue`. La formation initiale dure 105, 280, 350 ou
    /// 420 heures (`parcours_heures`, requis ; 422 `validation` sinon) ; pour une formation
    /// continue, `parcours_heures` est facultatif (de 1 à 2 000). `date_debut` n'est pas dans le
    /// futur (422 `date_future`) ; `date_fin` (dernier jour, prévu s'il est à venir) n'est pas
    /// avant `date_debut` (422 `date_anterieure`). Un contrat du conseiller est en vigueur le
    /// premier jour (409 `sans_contrat` sinon) : la formation garde ce contrat (`contrat_id`) et
    /// son employeur (`structure_id`). Accepte `Idempotency-Key`. Un conseiller inconnu ou hors
    /// de portée : 404. Accès : `admin` ; `prefecture` dans ses départements ; `structure` :
    /// l'employeur ; `lecteur` : 403.
    create_formation, "/conseillers/{id}/formations", "createFormation", tag = "Conseillers",
    path = (id: ConseillerId, crate::api::ConseillerPath),
    key = IdempotencyKey, body = NouvelleFormation, errors = ActErrors,
    created = (Formation, "La formation enregistrée.", "L'URL de la formation."),
    etag = "La version de la formation.",
    |state, caller, once, body| {
        let request = once.request(&caller, body.raw())?;
        let ctx = Context::new(caller, state.today());
        state
            .write_once(request, move |tx| {
                let created =
                    app::formation::creer_formation(tx, &ctx, &id, body.gate_unversioned())?;
                let location = format!("/api/v1/conseillers/{id}/formations/{}", created.id);
                let version = created.version;
                Reply::created_with_version(location, &created, version)
            })
            .await
    }
}

create_operation! {
    /// Enregistrer une certification d'un conseiller
    ///
    /// Une épreuve de certification (`pix` ou `ccp1_remn`) passée après la formation initiale
    /// (409 `sans_formation_initiale` sans elle), avec son résultat : `reussie`, `echouee` ou
    /// `absent` (une épreuve se repasse : chaque tentative est enregistrée). `date` est
    /// postérieure au dernier jour de la formation initiale (422 `date_anterieure` ; au premier
    /// jour pour une formation reprise du premier modèle, dont la fin n'est pas connue) et pas
    /// dans le futur (422 `date_future`). Accepte `Idempotency-Key`. Un conseiller inconnu ou
    /// hors de portée : 404. Accès : `admin` ; `prefecture` dans ses départements ; `structure` :
    /// l'employeur ; `lecteur` : 403.
    create_certification, "/conseillers/{id}/certifications", "createCertification",
    tag = "Conseillers",
    path = (id: ConseillerId, crate::api::ConseillerPath),
    key = IdempotencyKey, body = NouvelleCertification, errors = ActErrors,
    created = (Certification, "La certification enregistrée.", "L'URL de la certification."),
    etag = "La version de la certification.",
    |state, caller, once, body| {
        let request = once.request(&caller, body.raw())?;
        let ctx = Context::new(caller, state.today());
        state
            .write_once(request, move |tx| {
                let created =
                    app::formation::creer_certification(tx, &ctx, &id, body.gate_unversioned())?;
                let location = format!("/api/v1/conseillers/{id}/certifications/{}", created.id);
                let version = created.version;
                Reply::created_with_version(location, &created, version)
            })
            .await
    }
}

get_operation! {
    /// Lister les formations d'un conseiller
    ///
    /// Toutes ses formations (une poignée : la liste vient entière), par premier jour, y compris
    /// celles suivies chez un employeur précédent. Accès : comme la lecture du conseiller ; hors
    /// de la portée de l'appelant : 404 ; `lecteur` : 403.
    list_formations, "/conseillers/{id}/formations", "listFormations", tag = "Conseillers",
    id = (ConseillerId, crate::api::ConseillerPath),
    response = (FormationList, "Les formations du conseiller."),
    errors = crate::openapi::ItemRoleErrors,
    |state, caller, id| {
        let conseiller = read_conseiller(&state, &caller, id).await?;
        Ok(HttpResponse::Ok().json(FormationList {
            items: conseiller.formations,
        }))
    }
}

get_operation! {
    /// Lister les certifications d'un conseiller
    ///
    /// Toutes ses certifications (la liste vient entière), par date. Accès : comme la lecture du
    /// conseiller ; hors de la portée de l'appelant : 404 ; `lecteur` : 403.
    list_certifications, "/conseillers/{id}/certifications", "listCertifications",
    tag = "Conseillers",
    id = (ConseillerId, crate::api::ConseillerPath),
    response = (CertificationList, "Les certifications du conseiller."),
    errors = crate::openapi::ItemRoleErrors,
    |state, caller, id| {
        let conseiller = read_conseiller(&state, &caller, id).await?;
        Ok(HttpResponse::Ok().json(CertificationList {
            items: conseiller.certifications,
        }))
    }
}

get_operation! {
    /// Lire une formation d'un conseiller
    ///
    /// Une formation, avec son `ETag`. 404 quand elle n'est pas une formation de ce conseiller.
    /// Accès : comme la lecture du conseiller.
    get_formation, "/conseillers/{id}/formations/{formation_id}", "getFormation",
    tag = "Conseillers",
    ids = ((ConseillerId, FormationId), (crate::api::ConseillerPath, crate::api::FormationPath)),
    response = (Formation, "La formation."),
    etag = "La version de la formation.",
    errors = crate::openapi::ItemRoleErrors,
    |state, caller, (id, formation)| {
        let conseiller = read_conseiller(&state, &caller, id).await?;
        let found = conseiller
            .formations
            .into_iter()
            .find(|f| f.id == formation)
            .ok_or_else(|| {
                ApiError::NotFound("Aucune formation de cet identifiant pour ce conseiller.".to_owned())
            })?;
        Ok(ok_with_etag(found.version, &found))
    }
}

get_operation! {
    /// Lire une certification d'un conseiller
    ///
    /// Une certification, avec son `ETag`. 404 quand elle n'est pas une certification de ce
    /// conseiller. Accès : comme la lecture du conseiller.
    get_certification, "/conseillers/{id}/certifications/{certification_id}",
    "getCertification", tag = "Conseillers",
    ids = (
        (ConseillerId, CertificationId),
        (crate::api::ConseillerPath, crate::api::CertificationPath)
    ),
    response = (Certification, "La certification."),
    etag = "La version de la certification.",
    errors = crate::openapi::ItemRoleErrors,
    |state, caller, (id, certification)| {
        let conseiller = read_conseiller(&state, &caller, id).await?;
        let found = conseiller
            .certifications
            .into_iter()
            .find(|c| c.id == certification)
            .ok_or_else(|| {
                ApiError::NotFound(
                    "Aucune certification de cet identifiant pour ce conseiller.".to_owned(),
                )
            })?;
        Ok(ok_with_etag(found.version, &found))
    }
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_formation)
        .service(list_formations)
        .service(get_formation)
        .service(create_certification)
        .service(list_certifications)
        .service(get_certification);
}

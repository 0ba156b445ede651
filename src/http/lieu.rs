//! `/api/v1/lieux`: places of activity. Public reads; writes by the structure that runs the
//! place, the préfecture of its département, or an admin.

use actix_web::{get, patch, post};

use crate::api::lieu::{Lieu, LieuFilter, LieuPage, ModificationLieu, NouveauLieu};
use crate::app::{self, journal};
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Denied, Resource};
use crate::db::WriteTx;
use crate::db::repo::lieu as repo;
use crate::db::repo::structure as structures;
use crate::domain::codes::CodeInsee;
use crate::domain::ids::LieuId;
use crate::domain::lieu::{
    self as domain, check_adresse, check_coordonnees, check_meme_departement,
};
use crate::domain::refusal::{FieldError, REFERENCE_INVALIDE, Refusal};
use crate::error::ApiError;
use crate::http::extract::IfMatch;
use crate::http::extract::ok_with_etag;
use crate::http::idempotency::Reply;
use crate::{create_operation, get_operation, list_operation, update_operation};

/// Each of `fields` that `change` gives replaces the same field of `next` (a list given replaces
/// the whole list).
macro_rules! replace_given {
    ($next:ident, $change:ident, [$($field:ident),+ $(,)?]) => {
        $(
            if let Some(value) = $change.$field {
                $next.$field = value;
            }
        )+
    };
}

fn not_found() -> ApiError {
    ApiError::NotFound("Aucun lieu de cet identifiant.".to_owned())
}

/// Whether `caller` may write a lieu of this structure in this département. Lieux are public:
/// outside one's scope is a 403, never a 404.
fn check_write(caller: &Caller, action: Action, lieu: &domain::Lieu) -> Result<(), Denied> {
    policy::check_visible_placed(caller, Resource::Lieu, action, lieu)
}

/// The commune of an address, checked: a current commune, and a postcode of it.
fn checked_commune(
    tx: &mut WriteTx<'_>,
    code_insee: &CodeInsee,
    code_postal: &str,
) -> Result<domain::CommuneLieu, ApiError> {
    let commune = repo::commune(tx.conn(), code_insee)?;
    check_adresse(code_insee, code_postal, commune.as_ref())?;
    commune.ok_or_else(|| ApiError::internal("commune vérifiée"))
}

create_operation! {
    /// Enregistrer un lieu d'activité
    ///
    /// Enregistre un lieu selon le standard national des lieux de médiation numérique : la commune
    /// doit être une commune actuelle (`commune_inconnue`) et le code postal l'un des siens
    /// (`code_postal_incoherent`) ; le téléphone, les horaires (OpenStreetMap), les listes
    /// (services, itinérance, modalités d'accès, publics) suivent le standard. Accepte
    /// `Idempotency-Key`. Accès : `admin` ; `prefecture` dans ses départements ; `structure` pour
    /// elle-même.
    create_lieu, "/lieux", "createLieu", tag = "Lieux",
    key = IdempotencyKey, body = NouveauLieu, errors = CreateErrors,
    created = (Lieu, "Le lieu enregistré.", "L'URL du lieu."), etag = "La version du lieu.",
    checked = Resource::Lieu,
    |state, caller, request, new| {
        check_coordonnees(new.latitude, new.longitude)?;
        let who = app::author_of(&caller);
        state
            .write_once(request, move |tx| {
                if structures::find(tx.conn(), &new.structure_id)?.is_none() {
                    let detail = "Aucune structure de cet identifiant.";
                    return Err(Refusal::new(&REFERENCE_INVALIDE, detail)
                        .with_error(FieldError::pointer("/structure_id", detail))
                        .into());
                }
                let commune = checked_commune(tx, &new.code_insee, &new.code_postal)?;
                let lieu = domain::Lieu {
                    id: LieuId::new(),
                    structure_id: new.structure_id,
                    nom: new.nom.trim().to_owned(),
                    adresse: new.adresse.trim().to_owned(),
                    code_postal: new.code_postal,
                    code_insee: new.code_insee,
                    commune: commune.nom,
                    departement: commune.departement,
                    latitude: new.latitude,
                    longitude: new.longitude,
                    horaires: new.horaires.map(|h| h.trim().to_owned()),
                    telephone: new.telephone,
                    courriels: new.courriels,
                    site_web: new.site_web,
                    itinerance: new.itinerance,
                    services: new.services,
                    modalites_acces: new.modalites_acces,
                    publics_specifiquement_adresses: new.publics_specifiquement_adresses,
                    version: 1,
                    cree_le: String::new(),
                    modifie_le: String::new(),
                };
                policy::on_placed(&lieu, |place| {
                    policy::check_create(&caller, Resource::Lieu, place)
                })?;
                let created = repo::insert(tx, &lieu)?;
                journal::record(tx, &who, "creation", None, &created)?;
                let location = format!("/api/v1/lieux/{}", created.id);
                Reply::created_with_version(location, &created, created.version)
            })
            .await
    }
}

list_operation! {
    /// Lister les lieux d'activité
    ///
    /// Les lieux, les plus récents d'abord, filtrés par département, commune ou structure.
    /// Public (aucun jeton).
    list_lieux, "/lieux", "listLieux",
    tag = "Lieux", filter = LieuFilter, page = (LieuPage, "Une page de lieux."),
    public, read = repo::list, item = std::convert::identity,
}

get_operation! {
    /// Lire un lieu d'activité
    ///
    /// Un lieu, avec son `ETag`. Public (aucun jeton).
    get_lieu, "/lieux/{id}", "getLieu", tag = "Lieux",
    id = (LieuId, crate::api::LieuPath), response = (Lieu, "Le lieu."),
    etag = "La version du lieu, pour `If-Match`.",
    public |state, id| {
        let lieu = state
            .read_found(move |conn| repo::find(conn, &id), not_found)
            .await?;
        Ok(ok_with_etag(lieu.version, &lieu))
    }
}

update_operation! {
    /// Modifier un lieu d'activité
    ///
    /// Change les champs donnés (une liste donnée remplace la précédente) ; la structure ne change
    /// pas, le département non plus : une commune d'un autre département est refusée, quel que
    /// soit le rôle (403 `changement_de_departement`). Mêmes contrôles qu'à l'enregistrement. Exige `If-Match` : absent, 428 ; périmé, 412.
    /// Accès : `admin` ; `prefecture` dans ses départements ; `structure` pour ses lieux.
    update_lieu, "/lieux/{id}", "updateLieu", tag = "Lieux",
    id = (LieuId, crate::api::LieuPath), body = ModificationLieu,
    response = (Lieu, "Le lieu modifié."),
    |state, caller, id, if_match, body| {
        let who = app::author_of(&caller);
        let reply = state
            .write(move |tx| {
                let current = repo::lock(tx, &id)?.ok_or_else(not_found)?;
                check_write(&caller, Action::Edit, &current)?;
                let change = body.accept()?;
                IfMatch::required(if_match)?.check(current.version)?;
                let mut next = current.clone();
                if let Some(nom) = change.nom {
                    next.nom = nom.trim().to_owned();
                }
                if let Some(adresse) = change.adresse {
                    next.adresse = adresse.trim().to_owned();
                }
                if change.code_insee.is_some() || change.code_postal.is_some() {
                    next.code_insee = change.code_insee.unwrap_or(current.code_insee.clone());
                    next.code_postal = change.code_postal.unwrap_or(current.code_postal.clone());
                    let commune = checked_commune(tx, &next.code_insee, &next.code_postal)?;
                    next.commune = commune.nom;
                    next.departement = commune.departement;
                    // Moving it must stay within the caller's scope, and in its département,
                    // whoever the caller.
                    check_write(&caller, Action::Edit, &next)?;
                    check_meme_departement(
                        &current.departement,
                        &next.code_insee,
                        &next.departement,
                    )?;
                }
                if change.latitude.is_some() || change.longitude.is_some() {
                    check_coordonnees(change.latitude, change.longitude)?;
                    next.latitude = change.latitude;
                    next.longitude = change.longitude;
                }
                if let Some(horaires) = change.horaires {
                    next.horaires = Some(horaires.trim().to_owned());
                }
                if let Some(telephone) = change.telephone {
                    next.telephone = Some(telephone);
                }
                replace_given!(next, change, [
                    courriels,
                    site_web,
                    itinerance,
                    services,
                    modalites_acces,
                    publics_specifiquement_adresses,
                ]);
                let saved = repo::save(tx, &next)?;
                journal::record(tx, &who, "modification", Some(&current), &saved)?;
                Reply::ok(&saved).map(|r| r.with_version(saved.version))
            })
            .await?;
        Ok(reply.into_response())
    }
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_lieu)
        .service(list_lieux)
        .service(get_lieu)
        .service(update_lieu);
}

//! `/api/v1/activites`: the workshops and individual sessions of advisors under contract.
//!
//! A creation locks the advisor's row (its status cannot change underneath), writes the activity
//! and adds it to its day's aggregates in one transaction; a deletion marks the row and takes it
//! back out, in one transaction too. See `docs/ARCHITECTURE.md` ("Activities and their
//! aggregates").

use actix_web::{HttpResponse, delete, get, post};

use crate::api::activite::{Activite, ActiviteFilter, ActivitePage, NouvelleActivite};
use crate::app;
use crate::app::journal::{self, ActiviteJournal};
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Denied, Resource};
use crate::db::repo::activite as repo;
use crate::db::repo::conseiller as conseillers;
use crate::db::repo::contrat as contrats;
use crate::domain::activite::{
    self as domain, TypeLieu, check_lieu_du_conseiller, check_ou, check_participants,
    check_sous_contrat, check_thematiques,
};
use crate::domain::calendar::effective_date;
use crate::domain::ids::ActiviteId;
use crate::error::ApiError;
use crate::http::idempotency::Reply;
use crate::{create_operation, delete_operation, get_operation, list_operation};

fn not_found() -> ApiError {
    ApiError::NotFound("Aucune activité de cet identifiant dans votre portée.".to_owned())
}

fn conseiller_not_found() -> ApiError {
    ApiError::NotFound("Aucun conseiller de cet identifiant dans votre portée.".to_owned())
}

/// Whether `caller` sees the activity (404 otherwise: a structure sees its advisors', a
/// préfecture those of its départements) and may do `action` (403 otherwise).
fn check(caller: &Caller, activite: &domain::Activite, action: Action) -> Result<(), Denied> {
    policy::check_seen_placed(caller, Resource::Activite, action, activite)
}

create_operation! {
    /// Déclarer une activité
    ///
    /// Déclare un atelier collectif ou un accompagnement individuel d'un conseiller sous contrat
    /// à sa date (409 `sans_contrat` sinon), où qu'il ait lieu (`type_lieu`) : dans un des lieux
    /// où travaille le conseiller (`lieu_activite`, par défaut, avec `lieu_id` ; 422
    /// `lieu_non_eligible` pour un autre lieu), au domicile de la personne ou ailleurs
    /// (`domicile`, `autre`, avec la commune `code_insee`), ou à distance (`a_distance`, ni l'un
    /// ni l'autre) ; un champ manquant ou qui ne s'applique pas : 422 `validation` sur ce champ.
    /// Elle compte dans le département de l'employeur. La date n'est pas dans le futur (422
    /// `date_future`). Un accompagnement individuel a exactement 1 participant ; 1 à 10
    /// thématiques, chacune une fois (422 `validation`). Aucune donnée sur les personnes accompagnées.
    /// L'activité compte aussitôt dans les statistiques. Accepte `Idempotency-Key`. Un conseiller
    /// inconnu ou hors de portée : 404. Accès : `admin` ; `structure` : l'employeur du conseiller.
    create_activite, "/activites", "createActivite", tag = "Activités",
    key = IdempotencyKey, body = NouvelleActivite, errors = ActErrors,
    created = (Activite, "L'activité déclarée.", "L'URL de l'activité."),
    checked = Resource::Activite,
    |state, caller, request, new| {
        check_participants(new.type_activite, new.nb_participants)?;
        check_thematiques(&new.thematiques)?;
        let type_lieu = new.type_lieu.unwrap_or(TypeLieu::LieuActivite);
        check_ou(type_lieu, new.lieu_id.as_ref(), new.code_insee.as_ref())?;
        let today = state.today();
        let who = app::author_of(&caller);
        state
            .write_once(request, move |tx| {
                let conseiller = conseillers::lock_without_lieux(tx, &new.conseiller_id)?
                    .filter(|c| policy::on_placed(c, |place| policy::in_scope(&caller, place)))
                    .ok_or_else(conseiller_not_found)?;
                policy::on_placed(&conseiller, |place| {
                    policy::check_create(&caller, Resource::Activite, place)
                })?;
                let date = effective_date("date", Some(new.date), today, None)?;
                contrats::en_vigueur_le(tx.conn(), &conseiller.id, date)
                    .map(|contrat| check_sous_contrat(&conseiller.id, date, contrat))??;
                if let Some(lieu) = &new.lieu_id {
                    let travaille_la = conseillers::travaille_a(tx.conn(), &conseiller.id, lieu)?;
                    check_lieu_du_conseiller(lieu, travaille_la)?;
                }
                let created = repo::insert(
                    tx,
                    &domain::Activite {
                        id: ActiviteId::new(),
                        conseiller_id: conseiller.id.clone(),
                        structure_id: conseiller.structure_id.clone(),
                        departement: conseiller.departement.clone(),
                        type_lieu,
                        lieu_id: new.lieu_id,
                        code_insee: new.code_insee,
                        date,
                        type_activite: new.type_activite,
                        duree_minutes: new.duree_minutes,
                        nb_participants: new.nb_participants,
                        thematiques: new.thematiques,
                        cree_le: String::new(),
                    },
                )?;
                journal::record(
                    tx,
                    &who,
                    "creation",
                    None,
                    &ActiviteJournal {
                        activite: &created,
                        supprimee: false,
                    },
                )?;
                Reply::created(format!("/api/v1/activites/{}", created.id), &created)
            })
            .await
    }
}

list_operation! {
    /// Lister les activités
    ///
    /// Les activités visibles de l'appelant, les plus récemment déclarées d'abord, filtrées par
    /// conseiller, employeur, lieu, département, type ou dates (`du`, `au` inclus). Les activités
    /// supprimées n'y sont plus. Accès : `admin` : toutes ; `prefecture` : celles de ses
    /// départements ; `structure` : celles de ses conseillers ; `lecteur` : 403 (il utilise les
    /// statistiques).
    list_activites, "/activites", "listActivites",
    tag = "Activités", filter = ActiviteFilter, page = (ActivitePage, "Une page d'activités."),
    readers_scope = Resource::Activite, read = repo::list, item = std::convert::identity,
}

get_operation! {
    /// Lire une activité
    ///
    /// Une activité non supprimée. Accès : comme la liste ; hors de la portée de l'appelant ou
    /// supprimée : 404 ; `lecteur` : 403.
    get_activite, "/activites/{id}", "getActivite", tag = "Activités",
    id = (ActiviteId, crate::api::ActivitePath), response = (Activite, "L'activité."),
    errors = crate::openapi::ItemRoleErrors,
    |state, caller, id| {
        let activite = state
            .read_found(move |conn| repo::find(conn, &id), not_found)
            .await?;
        check(&caller, &activite, Action::Read)?;
        Ok(HttpResponse::Ok().json(activite))
    }
}

delete_operation! {
    /// Supprimer une activité
    ///
    /// Supprime une activité déclarée par erreur : elle disparaît des listes et ne compte plus dans
    /// les statistiques ; le journal garde la trace de la suppression. Une activité déjà supprimée :
    /// 404. Accès : `admin` ; `structure` : l'employeur du conseiller ; `prefecture` : 403.
    delete_activite, "/activites/{id}", "deleteActivite", tag = "Activités",
    id = (ActiviteId, crate::api::ActivitePath), deleted = "L'activité est supprimée.",
    |state, caller, id| {
        let who = app::author_of(&caller);
        state
            .write(move |tx| {
                let activite = repo::lock(tx, &id)?.ok_or_else(not_found)?;
                check(&caller, &activite, Action::Delete)?;
                repo::delete(tx, &activite)?;
                journal::record(
                    tx,
                    &who,
                    "suppression",
                    Some(&ActiviteJournal {
                        activite: &activite,
                        supprimee: false,
                    }),
                    &ActiviteJournal {
                        activite: &activite,
                        supprimee: true,
                    },
                )
            })
            .await
    }
}

/// Registers the handlers of this module.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_activite)
        .service(list_activites)
        .service(get_activite)
        .service(delete_activite);
}

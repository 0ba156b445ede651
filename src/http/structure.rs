//! `/api/v1/structures`: host structures.

use actix_web::{get, patch, post};

use crate::api::structure::{
    ClassementTerritoire, ModificationStructure, NouvelleStructure, Structure, StructureFilter,
    StructurePage,
};
use crate::app::structure::not_found;
use crate::app::{self, journal};
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Denied, Perimeter, Resource};
use crate::db::repo::structure::{self as repo, NewStructure};
use crate::domain::ids::StructureId;
use crate::domain::refusal::{FieldError, Refusal};
use crate::domain::structure::{self as domain, COMMUNE_INCONNUE, check_siren};
use crate::http::extract::IfMatch;
use crate::http::extract::ok_with_etag;
use crate::http::idempotency::Reply;
use crate::{create_operation, get_operation, lifecycle_action, list_operation, update_operation};

/// Checks `action` on a structure for `caller` (404 outside the scope, 403 for the role): its
/// perimeter is its département, and itself.
fn check(caller: &Caller, action: Action, structure: &domain::Structure) -> Result<(), Denied> {
    policy::on_placed(structure, |place| {
        policy::check(Some(caller), Resource::Structure, action, place)
    })
}

create_operation! {
    /// Enregistrer une structure
    ///
    /// Enregistre une structure d'accueil. Le SIRET doit passer la clé de Luhn (La Poste exceptée) ;
    /// la commune du siège doit être une commune actuelle du référentiel ; pour une commune ou un EPCI,
    /// le SIREN doit être celui que donne le référentiel (`siren_incoherent` sinon). Un SIRET déjà
    /// enregistré répond 409 `deja_existant`. Accepte `Idempotency-Key`.
    /// Accès : `admin` ; `prefecture` pour une structure de ses départements.
    create_structure, "/structures", "createStructure", tag = "Structures",
    key = IdempotencyKey, body = NouvelleStructure, errors = CreateErrors,
    created = (Structure, "La structure enregistrée.", "L'URL de la structure."),
    etag = "La version de la structure.",
    checked = Resource::Structure,
    |state, caller, request, new| {
        let departement = new.code_insee.departement();
        let place = Perimeter::of_departement(Some(&departement));
        policy::check_create(&caller, Resource::Structure, &place)?;
        let who = app::author_of(&caller);
        state
            .write_once(request, move |tx| {
                let seat = repo::seat(tx.conn(), &new.code_insee)?.ok_or_else(|| {
                    let detail = format!(
                        "Aucune commune actuelle de code INSEE {} dans le référentiel.",
                        new.code_insee
                    );
                    Refusal::new(&COMMUNE_INCONNUE, detail.clone())
                        .with_error(FieldError::pointer("/code_insee", detail))
                })?;
                check_siren(new.type_structure, &new.siret, &seat)?;
                let created = repo::insert(
                    tx,
                    &NewStructure {
                        siret: new.siret,
                        nom: new.nom.trim().to_owned(),
                        type_structure: new.type_structure,
                        code_insee: new.code_insee,
                    },
                )?;
                journal::record(tx, &who, "creation", None, &created)?;
                let location = format!("/api/v1/structures/{}", created.id);
                Reply::created_with_version(location, &created, created.version)
            })
            .await
    }
}

list_operation! {
    /// Lister les structures
    ///
    /// Les structures visibles de l'appelant, filtrées par département, nature, SIRET ou nom,
    /// paginées par curseur. Accès : `admin` et `lecteur` national : toutes ; `prefecture` et
    /// `lecteur` territorial : celles de leurs départements ; `structure` : elle-même.
    list_structures, "/structures", "listStructures",
    tag = "Structures", filter = StructureFilter, page = (StructurePage, "Une page de structures."),
    scope = Resource::Structure, read = repo::list, item = std::convert::identity,
}

get_operation! {
    /// Lire une structure
    ///
    /// Une structure par son identifiant, avec son `ETag` (sa version). Accès : `admin` et `lecteur`
    /// national ; `prefecture` et `lecteur` territorial dans leurs départements ; `structure` :
    /// elle-même. Hors de la portée de l'appelant : 404.
    get_structure, "/structures/{id}", "getStructure", tag = "Structures",
    id = (StructureId, crate::api::StructurePath), response = (Structure, "La structure."),
    etag = "La version de la structure, pour `If-Match`.",
    |state, caller, id| {
        let structure = state
            .read_found(move |conn| repo::find(conn, &id), not_found)
            .await?;
        check(&caller, Action::Read, &structure)?;
        Ok(ok_with_etag(structure.version, &structure))
    }
}

/// The structure as answered after an action.
fn answered(saved: Structure, _: &app::Context) -> Structure {
    saved
}

update_operation! {
    /// Modifier une structure
    ///
    /// Change le nom d'une structure (le SIRET ne change jamais). Exige `If-Match` avec l'`ETag` de
    /// la dernière lecture : absent, 428 ; périmé, 412. Accès : `admin` ; `prefecture` dans ses
    /// départements ; `structure` : elle-même.
    update_structure, "/structures/{id}", "updateStructure", tag = "Structures",
    id = (StructureId, crate::api::StructurePath), body = ModificationStructure,
    response = (Structure, "La structure modifiée."),
    |state, caller, id, if_match, body| {
        let who = app::author_of(&caller);
        let reply = state
            .write(move |tx| {
                let current = app::locks::structure(tx, &id)?.ok_or_else(not_found)?;
                check(&caller, Action::Edit, &current)?;
                let change = body.accept()?;
                IfMatch::required(if_match)?.check(current.version)?;
                let updated = repo::rename(tx, &id, change.nom.trim())?;
                journal::record(tx, &who, "modification", Some(&current), &updated)?;
                Reply::ok(&updated).map(|reply| reply.with_version(updated.version))
            })
            .await?;
        Ok(reply.into_response())
    }
}

lifecycle_action! {
    tag = "Structures", id = (StructureId, crate::api::StructurePath),
    response = (Structure, "La structure après le classement."), view = answered,
    shared_doc = {
        ///
        /// Accepte `If-Match` (412 si l'`ETag` est périmé) et `Idempotency-Key`. Accès : `admin` ;
        /// `prefecture` dans ses départements (403 pour `structure` et `lecteur`).
    },
    actions = {
        /// Classer une structure en territoire prioritaire
        ///
        /// Dit si la structure est en territoire prioritaire (quartier prioritaire de la
        /// politique de la ville, QPV, ou zone de revitalisation rurale, ZRR) : `true` l'y
        /// classe, `false` l'en retire. Le barème de sa subvention en dépend. Le changement est
        /// journalisé (`territoire_prioritaire`) et la version de la structure avance.
        classer_territoire, "/structures/{id}/territoire-prioritaire", "classerTerritoirePrioritaire", ClassementTerritoire, app::structure::classer_territoire;
    }
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_structure)
        .service(list_structures)
        .service(get_structure)
        .service(update_structure)
        .service(classer_territoire);
}

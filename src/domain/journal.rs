//! The journal: who changed what, when, with the fields before and after. Entries are written in
//! the same transaction as the change and never updated.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::codes::CodeDepartement;
use super::ids::JournalId;
use crate::closed_enum;

closed_enum! {
    /// Nature de l'objet modifié.
    RessourceJournal, "ressource journalisée" {
        /// Une structure.
        Structure = "structure",
        /// Une convention (avenants et projet d'accueil compris).
        Convention = "convention",
        /// Une enveloppe de financement (plafonds compris).
        Enveloppe = "enveloppe",
        /// Un engagement de crédits.
        Engagement = "engagement",
        /// Un versement.
        Versement = "versement",
        /// Un lieu d'activité.
        Lieu = "lieu",
        /// Un conseiller numérique (sans ses données personnelles).
        Conseiller = "conseiller",
        /// Une activité (atelier ou accompagnement).
        Activite = "activite",
        /// Un poste (transfert entre structures d'accueil).
        Poste = "poste",
        /// Un contrat de conseiller (sans son salaire).
        Contrat = "contrat",
    }
}

/// Une entrée du journal : qui a changé quoi, quand, avec les champs modifiés avant et après.
// As read from the journal, and the API's view of it (`api::journal::EntreeJournal` re-exports
// it): the French docs are the spec's descriptions, the example its example.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f93", "horodatage": "2021-02-08T15:00:00.000000Z",
    "sub": "agent@seine-saint-denis.gouv.fr", "role": "prefecture", "action": "signature",
    "ressource": "convention", "ressource_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91",
    "departement": "93",
    "avant": {"statut": "brouillon", "date_signature": null},
    "apres": {"statut": "signee", "date_signature": "2021-02-08"}
}))]
pub struct EntreeJournal {
    /// Identifiant (dans l'ordre du temps).
    pub id: JournalId,
    /// Instant de la modification (RFC 3339, UTC).
    pub horodatage: String,
    /// Sujet du jeton de l'auteur.
    pub sub: String,
    /// Rôle de l'auteur.
    pub role: String,
    /// Action : `creation`, `modification`, ou le nom de l'action de cycle de vie (`signature`,
    /// `projet_accueil`, `validation`, `avenant`, `resiliation`, `cloture`, `annulation`), ou,
    /// sur une enveloppe, `plafond` et `suppression_plafond`.
    pub action: String,
    /// Nature de l'objet.
    pub ressource: RessourceJournal,
    /// Identifiant de l'objet.
    pub ressource_id: String,
    /// Département de l'objet ; null pour un objet national (une enveloppe), dont seuls les
    /// lecteurs nationaux voient les entrées.
    pub departement: Option<CodeDepartement>,
    /// Les champs modifiés, avant (null pour une création).
    #[schema(value_type = Option<Object>)]
    pub avant: Option<serde_json::Value>,
    /// Les champs modifiés, après.
    #[schema(value_type = Option<Object>)]
    pub apres: Option<serde_json::Value>,
}

/// The fields that differ between two states of an object: `(before, after)`, each holding only
/// the changed fields. A creation has no before; every field is in after.
pub fn changed_fields(
    before: Option<&Map<String, Value>>,
    after: &Map<String, Value>,
) -> (Option<Map<String, Value>>, Map<String, Value>) {
    let Some(before) = before else {
        return (None, after.clone());
    };
    let mut old = Map::new();
    let mut new = Map::new();
    let keys = before
        .keys()
        .chain(after.keys().filter(|k| !before.contains_key(*k)));
    for key in keys {
        let (b, a) = (before.get(key), after.get(key));
        if b != a {
            old.insert(key.clone(), b.cloned().unwrap_or(Value::Null));
            new.insert(key.clone(), a.cloned().unwrap_or(Value::Null));
        }
    }
    (Some(old), new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn only_changed_fields_are_kept() {
        let before = map(json!({"nom": "A", "statut": "signee", "postes": 80}));
        let after = map(
            json!({"nom": "A", "statut": "projet_depose", "postes": 80, "date_depot": "2021-03-30"}),
        );
        let (old, new) = changed_fields(Some(&before), &after);
        assert_eq!(
            Value::Object(old.unwrap()),
            json!({"statut": "signee", "date_depot": null})
        );
        assert_eq!(
            Value::Object(new),
            json!({"statut": "projet_depose", "date_depot": "2021-03-30"})
        );
    }

    #[test]
    fn a_creation_has_everything_after_and_nothing_before() {
        let after = map(json!({"nom": "A"}));
        assert_eq!(changed_fields(None, &after), (None, after.clone()));
    }
}

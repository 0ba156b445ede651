//! The journal: who changed what, when, with the fields before and after. Entries are written in
//! the same transaction as the change and never updated.

use serde_json::{Map, Value};

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
    }
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

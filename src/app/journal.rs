//! The journal's one writer for the use cases: an object kind says once what the journal keeps of
//! it ([`Journaled`]), and [`record`] writes the change in the caller's transaction.
//!
//! The journal keeps an object as the API shows it to a reader without personal data: the
//! response's JSON, without the fields computed from today (a convention's lateness) and without
//! an advisor's identity. Only the fields that changed are stored
//! (`domain::journal::changed_fields`).

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::api;
use crate::db::WriteTx;
use crate::db::repo::journal::{self, Author, Change};
use crate::domain::activite::Activite;
use crate::domain::codes::CodeDepartement;
use crate::domain::conseiller::Conseiller;
use crate::domain::contrat::Contrat;
use crate::domain::convention::Convention;
use crate::domain::financement::{Engagement, Enveloppe, Versement};
use crate::domain::journal::RessourceJournal;
use crate::domain::lieu::Lieu;
use crate::domain::poste::Poste;
use crate::domain::structure::Structure;
use crate::error::ApiError;

/// An object the journal records.
pub trait Journaled {
    /// Its kind, as the journal names it.
    const RESSOURCE: RessourceJournal;
    /// Its identifier.
    fn journal_id(&self) -> &str;
    /// Its département (none for a national object: only national readers see the entry).
    fn journal_departement(&self) -> Option<&CodeDepartement>;
    /// What the journal keeps of it.
    fn journal_view(&self) -> Result<Map<String, Value>, ApiError>;
}

/// A value as a JSON object (a DTO), for the journal.
pub fn snapshot<T: serde::Serialize>(dto: &T) -> Result<Map<String, Value>, ApiError> {
    match serde_json::to_value(dto).map_err(ApiError::internal)? {
        Value::Object(map) => Ok(map),
        other => Err(ApiError::internal(format!("objet attendu, reçu {other}"))),
    }
}

/// Writes the change of `after` (from `before`; none for a creation) by `author`, doing `action`.
pub fn record<T: Journaled>(
    tx: &mut WriteTx<'_>,
    author: &Author,
    action: &str,
    before: Option<&T>,
    after: &T,
) -> Result<(), ApiError> {
    let before = before.map(Journaled::journal_view).transpose()?;
    record_view(
        tx,
        author,
        action,
        (
            T::RESSOURCE,
            after.journal_id(),
            after.journal_departement(),
        ),
        before.as_ref(),
        &after.journal_view()?,
    )
}

/// Writes a change whose views are built by the caller (a part of an object, such as an
/// envelope's ceiling for one département): `subject` is the kind, id and département.
pub fn record_view(
    tx: &mut WriteTx<'_>,
    author: &Author,
    action: &str,
    subject: (RessourceJournal, &str, Option<&CodeDepartement>),
    before: Option<&Map<String, Value>>,
    after: &Map<String, Value>,
) -> Result<(), ApiError> {
    let (ressource, ressource_id, departement) = subject;
    journal::record(
        tx,
        Change {
            author,
            action,
            ressource,
            ressource_id,
            departement,
            before,
            after,
        },
    )?;
    Ok(())
}

impl Journaled for Convention {
    const RESSOURCE: RessourceJournal = RessourceJournal::Convention;
    fn journal_id(&self) -> &str {
        self.id.as_str()
    }
    fn journal_departement(&self) -> Option<&CodeDepartement> {
        Some(&self.departement)
    }
    fn journal_view(&self) -> Result<Map<String, Value>, ApiError> {
        // The fields computed from today are removed: any day gives the same view.
        let mut view = snapshot(&api::convention::Convention::of(
            self.clone(),
            NaiveDate::MIN,
        ))?;
        for field in api::convention::DERIVED_FIELDS {
            view.remove(field);
        }
        Ok(view)
    }
}

impl Journaled for Enveloppe {
    const RESSOURCE: RessourceJournal = RessourceJournal::Enveloppe;
    fn journal_id(&self) -> &str {
        self.id.as_str()
    }
    fn journal_departement(&self) -> Option<&CodeDepartement> {
        None
    }
    fn journal_view(&self) -> Result<Map<String, Value>, ApiError> {
        // Without the ceilings and the tariffs: each change of them is its own entry.
        let mut view = snapshot(&api::financement::Enveloppe::of(
            self.clone(),
            Vec::new(),
            Vec::new(),
        ))?;
        view.remove("plafonds");
        view.remove("baremes");
        Ok(view)
    }
}

impl Journaled for Engagement {
    const RESSOURCE: RessourceJournal = RessourceJournal::Engagement;
    fn journal_id(&self) -> &str {
        self.id.as_str()
    }
    fn journal_departement(&self) -> Option<&CodeDepartement> {
        Some(&self.departement)
    }
    fn journal_view(&self) -> Result<Map<String, Value>, ApiError> {
        snapshot(&api::financement::Engagement::from(self.clone()))
    }
}

/// A payment with its commitment's département (a payment row does not carry it).
pub struct VersementPlace<'a> {
    /// The payment.
    pub versement: &'a Versement,
    /// Its commitment's département.
    pub departement: &'a CodeDepartement,
}

impl Journaled for VersementPlace<'_> {
    const RESSOURCE: RessourceJournal = RessourceJournal::Versement;
    fn journal_id(&self) -> &str {
        self.versement.id.as_str()
    }
    fn journal_departement(&self) -> Option<&CodeDepartement> {
        Some(self.departement)
    }
    fn journal_view(&self) -> Result<Map<String, Value>, ApiError> {
        snapshot(&api::financement::Versement::from(self.versement.clone()))
    }
}

impl Journaled for Conseiller {
    const RESSOURCE: RessourceJournal = RessourceJournal::Conseiller;
    fn journal_id(&self) -> &str {
        self.id.as_str()
    }
    fn journal_departement(&self) -> Option<&CodeDepartement> {
        Some(&self.departement)
    }
    fn journal_view(&self) -> Result<Map<String, Value>, ApiError> {
        // Never the personal data: the view a caller without them gets; without its contracts,
        // trainings and certifications (their own entries) and what is computed from today.
        let mut view = snapshot(&api::conseiller::Conseiller::shown(
            self.clone(),
            false,
            NaiveDate::MIN,
        ))?;
        for field in api::conseiller::PARCOURS_FIELDS.iter().chain(&[
            "contrats",
            "contrat_en_cours_id",
            "statut",
            "date_sortie",
            "motif_sortie",
        ]) {
            view.remove(*field);
        }
        // what the status is derived from, on any day: the last day of its contracts
        view.insert(
            "fin_contrats".to_owned(),
            self.fin_contrats
                .map_or(Value::Null, |d| Value::String(d.to_string())),
        );
        Ok(view)
    }
}

impl Journaled for Structure {
    const RESSOURCE: RessourceJournal = RessourceJournal::Structure;
    fn journal_id(&self) -> &str {
        self.id.as_str()
    }
    fn journal_departement(&self) -> Option<&CodeDepartement> {
        Some(&self.departement)
    }
    fn journal_view(&self) -> Result<Map<String, Value>, ApiError> {
        snapshot(self)
    }
}

impl Journaled for Lieu {
    const RESSOURCE: RessourceJournal = RessourceJournal::Lieu;
    fn journal_id(&self) -> &str {
        self.id.as_str()
    }
    fn journal_departement(&self) -> Option<&CodeDepartement> {
        Some(&self.departement)
    }
    fn journal_view(&self) -> Result<Map<String, Value>, ApiError> {
        snapshot(self)
    }
}

/// An activity, marked deleted in the journal's view when it is.
pub struct ActiviteJournal<'a> {
    /// The activity.
    pub activite: &'a Activite,
    /// Whether this state is its deletion.
    pub supprimee: bool,
}

impl Journaled for ActiviteJournal<'_> {
    const RESSOURCE: RessourceJournal = RessourceJournal::Activite;
    fn journal_id(&self) -> &str {
        self.activite.id.as_str()
    }
    fn journal_departement(&self) -> Option<&CodeDepartement> {
        Some(&self.activite.departement)
    }
    fn journal_view(&self) -> Result<Map<String, Value>, ApiError> {
        let mut view = snapshot(self.activite)?;
        if self.supprimee {
            view.insert("supprimee".to_owned(), true.into());
        }
        Ok(view)
    }
}

impl Journaled for Poste {
    const RESSOURCE: RessourceJournal = RessourceJournal::Poste;
    fn journal_id(&self) -> &str {
        self.id.as_str()
    }
    fn journal_departement(&self) -> Option<&CodeDepartement> {
        Some(&self.departement)
    }
    fn journal_view(&self) -> Result<Map<String, Value>, ApiError> {
        // Without its history: the entry says what this change did, and the history is kept
        // with the post.
        let mut view = snapshot(self)?;
        view.remove("historique");
        Ok(view)
    }
}

impl Journaled for Contrat {
    const RESSOURCE: RessourceJournal = RessourceJournal::Contrat;
    fn journal_id(&self) -> &str {
        self.id.as_str()
    }
    fn journal_departement(&self) -> Option<&CodeDepartement> {
        Some(&self.departement)
    }
    fn journal_view(&self) -> Result<Map<String, Value>, ApiError> {
        // Without its state, computed from today (the view never shows the salary).
        let mut view = snapshot(&api::contrat::Contrat::on(self.clone(), self.date_debut))?;
        view.remove("etat");
        Ok(view)
    }
}

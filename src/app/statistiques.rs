//! What the statistics and the open-data exports share: the statistics of one département,
//! composed from what `repo::statistiques` read.

use crate::api::statistiques::Statistiques;
use crate::db::repo::statistiques::Donnees;
use crate::domain::statistiques::{DonneesDepartement, NiveauTerritoire, Territoire, compose};

/// The statistics of one département of `donnees` (its activities are its own months, or the
/// summed ones when `donnees` was read for that département alone).
pub fn departement(donnees: &Donnees, departement: &DonneesDepartement) -> Statistiques {
    compose(
        Territoire {
            niveau: NiveauTerritoire::Departement,
            code: Some(departement.code.clone()),
            nom: departement.nom.clone(),
        },
        &[departement],
        donnees.activites_ensemble.as_ref(),
        &donnees.enveloppes,
        &donnees.soldes,
    )
    .into()
}

//! What the statistics, the open-data exports and the metrics share: the statistics of one
//! département, and the national ones, composed from what `repo::statistiques` read.

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

/// The national statistics composed from what was read (every département): what
/// `/api/v1/statistiques` answers, and what the metrics' business gauges show.
pub fn nationales(donnees: &Donnees) -> crate::domain::statistiques::Statistiques {
    let all: Vec<&DonneesDepartement> = donnees.departements.iter().collect();
    compose(
        Territoire {
            niveau: NiveauTerritoire::National,
            code: None,
            nom: "France".to_owned(),
        },
        &all,
        donnees.activites_ensemble.as_ref(),
        &donnees.enveloppes,
        &donnees.soldes,
    )
}

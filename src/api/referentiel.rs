//! Bodies and query parameters of the référentiel territorial. Codes and closed lists are the
//! domain's own types: their schema (pattern, enum) comes with them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::domain::codes::{CodeRegion, Siren};
use crate::domain::referentiel::{self as domain, EpciType};

/// The views of the référentiel are its domain types themselves: their French docs are the spec's.
pub use crate::domain::referentiel::{Commune, Departement, Epci, EpciMembre, Region};

/// Toutes les régions (un petit ensemble fixe, jamais paginé : `next_cursor` est toujours null).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{"code": "11", "nom": "Île-de-France", "chef_lieu": "75056", "zone": "metro"}],
    "next_cursor": null
}))]
pub struct RegionList {
    /// Toutes les régions, par code.
    pub items: Vec<Region>,
    /// Toujours null : la liste vient entière.
    #[schema(value_type = Option<String>)]
    pub next_cursor: Option<String>,
}

/// Les départements (un petit ensemble fixe, jamais paginé : `next_cursor` est toujours null).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{"code": "93", "nom": "Seine-Saint-Denis", "region": "11", "chef_lieu": "93008", "zone": "metro"}],
    "next_cursor": null
}))]
pub struct DepartementList {
    /// Les départements, par code.
    pub items: Vec<Departement>,
    /// Toujours null : la liste vient entière.
    #[schema(value_type = Option<String>)]
    pub next_cursor: Option<String>,
}

crate::page_dto! {
    /// Une page de communes.
    #[schema(example = json!({
        "items": [{
            "code_insee": "93066", "nom": "Saint-Denis", "siren": "929939411", "departement": "93",
            "region": "11", "population": 149077, "codes_postaux": ["93200", "93210", "93380"]
        }],
        "next_cursor": "0.saint_denis.93066"
    }))]
    CommunePage, Commune, "Les communes de cette page.",
}

/// Un EPCI avec ses communes membres.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "siren": "200057867", "nom": "Plaine Commune", "type": "EPT", "population": 455226,
    "membres": [{"code_insee": "93001", "nom": "Aubervilliers", "departement": "93"}]
}))]
pub struct EpciDetail {
    /// SIREN du groupement.
    pub siren: Siren,
    /// Nom officiel.
    pub nom: String,
    /// Catégorie juridique.
    #[serde(rename = "type")]
    pub type_: EpciType,
    /// Population totale, quand elle est connue.
    pub population: Option<i64>,
    /// Communes membres, par code INSEE.
    pub membres: Vec<EpciMembre>,
}

impl From<(domain::Epci, Vec<domain::EpciMembre>)> for EpciDetail {
    fn from((e, membres): (domain::Epci, Vec<domain::EpciMembre>)) -> Self {
        EpciDetail {
            siren: e.siren,
            nom: e.nom,
            type_: e.type_,
            population: e.population,
            membres,
        }
    }
}

crate::page_dto! {
    /// Une page d'EPCI.
    #[schema(example = json!({
        "items": [{"siren": "200057867", "nom": "Plaine Commune", "type": "EPT", "population": 455226}],
        "next_cursor": null
    }))]
    EpciPage, Epci, "Les EPCI de cette page.",
}

/// Filtres de `GET /api/v1/departements`.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct DepartementQuery {
    /// Seulement les départements de cette région (code INSEE de la région, par exemple `11`).
    #[param(inline)]
    pub region: Option<CodeRegion>,
}

/// The query parameters of the list (declared once, with what its repo function reads).
pub use crate::domain::filter::{CommuneFilter, EpciFilter};

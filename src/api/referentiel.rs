//! Bodies and query parameters of the référentiel territorial.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::domain::referentiel as domain;
use crate::http::extract::{WholeNumber, validate_limit};

/// Where a territory lies.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Zone {
    /// Metropolitan France.
    Metro,
    /// Overseas départements and régions (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte).
    Drom,
    /// Overseas collectivités (Saint-Pierre-et-Miquelon, Polynésie française…).
    Com,
}

impl From<domain::Zone> for Zone {
    fn from(zone: domain::Zone) -> Self {
        match zone {
            domain::Zone::Metro => Zone::Metro,
            domain::Zone::Drom => Zone::Drom,
            domain::Zone::Com => Zone::Com,
        }
    }
}

/// A région.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "11", "nom": "Île-de-France", "chef_lieu": "75056", "zone": "metro"}))]
pub struct Region {
    /// Code INSEE of the région.
    #[schema(pattern = "^[0-9]{2,3}$")]
    pub code: String,
    /// Official name.
    pub nom: String,
    /// Code INSEE of its chef-lieu commune.
    pub chef_lieu: Option<String>,
    /// Where it lies.
    pub zone: Zone,
}

impl From<domain::Region> for Region {
    fn from(r: domain::Region) -> Self {
        Region {
            code: r.code,
            nom: r.nom,
            chef_lieu: r.chef_lieu,
            zone: r.zone.into(),
        }
    }
}

/// A département.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "93", "nom": "Seine-Saint-Denis", "region": "11", "chef_lieu": "93008", "zone": "metro"}))]
pub struct Departement {
    /// Code of the département (`"93"`, `"2A"`, `"971"`): a string, not a number.
    #[schema(pattern = "^(?:[0-9]{2,3}|2[AB])$")]
    pub code: String,
    /// Official name.
    pub nom: String,
    /// Code of its région.
    pub region: String,
    /// Code INSEE of its chef-lieu commune.
    pub chef_lieu: Option<String>,
    /// Where it lies.
    pub zone: Zone,
}

impl From<domain::Departement> for Departement {
    fn from(d: domain::Departement) -> Self {
        Departement {
            code: d.code,
            nom: d.nom,
            region: d.region,
            chef_lieu: d.chef_lieu,
            zone: d.zone.into(),
        }
    }
}

/// The whole list of régions (a small fixed set: never paginated, `next_cursor` is always null).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{"code": "11", "nom": "Île-de-France", "chef_lieu": "75056", "zone": "metro"}],
    "next_cursor": null
}))]
pub struct RegionList {
    /// Every région, by code.
    pub items: Vec<Region>,
    /// Always null: the list comes whole.
    #[schema(value_type = Option<String>)]
    pub next_cursor: Option<String>,
}

/// The whole list of départements (a small fixed set: never paginated, `next_cursor` is always null).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{"code": "93", "nom": "Seine-Saint-Denis", "region": "11", "chef_lieu": "93008", "zone": "metro"}],
    "next_cursor": null
}))]
pub struct DepartementList {
    /// The départements, by code.
    pub items: Vec<Departement>,
    /// Always null: the list comes whole.
    #[schema(value_type = Option<String>)]
    pub next_cursor: Option<String>,
}

/// A current commune.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "code_insee": "93066", "nom": "Saint-Denis", "siren": "929939411", "departement": "93",
    "region": "11", "population": 149077, "codes_postaux": ["93200", "93210", "93380"]
}))]
pub struct Commune {
    /// Code INSEE (`"93066"`, `"2A004"`).
    #[schema(pattern = "^(?:[0-9]{2}|2[AB])[0-9]{3}$")]
    pub code_insee: String,
    /// Official name.
    pub nom: String,
    /// SIREN of the commune (absent for a few overseas communes).
    pub siren: Option<String>,
    /// Code of its département.
    pub departement: String,
    /// Code of its région.
    pub region: String,
    /// Total population, when known.
    pub population: Option<i64>,
    /// Codes postaux, ascending.
    pub codes_postaux: Vec<String>,
}

impl From<domain::Commune> for Commune {
    fn from(c: domain::Commune) -> Self {
        Commune {
            code_insee: c.code_insee,
            nom: c.nom,
            siren: c.siren,
            departement: c.departement,
            region: c.region,
            population: c.population,
            codes_postaux: c.codes_postaux,
        }
    }
}

/// A page of communes.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "code_insee": "93066", "nom": "Saint-Denis", "siren": "929939411", "departement": "93",
        "region": "11", "population": 149077, "codes_postaux": ["93200", "93210", "93380"]
    }],
    "next_cursor": "0.93066.saint_denis"
}))]
pub struct CommunePage {
    /// The communes of this page.
    pub items: Vec<Commune>,
    /// Give it back as `cursor` (other parameters unchanged) for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// The legal category of an EPCI or EPT.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum EpciType {
    /// Communauté de communes.
    #[serde(rename = "CC")]
    Cc,
    /// Communauté d'agglomération.
    #[serde(rename = "CA")]
    Ca,
    /// Communauté urbaine.
    #[serde(rename = "CU")]
    Cu,
    /// Métropole.
    #[serde(rename = "METRO")]
    Metro,
    /// Métropole de Lyon.
    #[serde(rename = "MET69")]
    Met69,
    /// Établissement public territorial of the Métropole du Grand Paris.
    #[serde(rename = "EPT")]
    Ept,
}

impl From<domain::EpciType> for EpciType {
    fn from(kind: domain::EpciType) -> Self {
        match kind {
            domain::EpciType::Cc => EpciType::Cc,
            domain::EpciType::Ca => EpciType::Ca,
            domain::EpciType::Cu => EpciType::Cu,
            domain::EpciType::Metro => EpciType::Metro,
            domain::EpciType::Met69 => EpciType::Met69,
            domain::EpciType::Ept => EpciType::Ept,
        }
    }
}

/// An EPCI à fiscalité propre, or an EPT of the Métropole du Grand Paris.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"siren": "200057867", "nom": "Plaine Commune", "type": "EPT", "population": 455226}))]
pub struct Epci {
    /// SIREN of the groupement.
    #[schema(pattern = "^[0-9]{9}$")]
    pub siren: String,
    /// Official name.
    pub nom: String,
    /// Legal category.
    #[serde(rename = "type")]
    pub type_: EpciType,
    /// Total population, when known.
    pub population: Option<i64>,
}

impl From<domain::Epci> for Epci {
    fn from(e: domain::Epci) -> Self {
        Epci {
            siren: e.siren,
            nom: e.nom,
            type_: e.type_.into(),
            population: e.population,
        }
    }
}

/// A member commune of an EPCI.
#[derive(Debug, Serialize, ToSchema)]
pub struct EpciMembre {
    /// Code INSEE of the commune.
    pub code_insee: String,
    /// Name of the commune.
    pub nom: String,
    /// Code of the commune's département.
    pub departement: String,
}

/// An EPCI with its member communes.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "siren": "200057867", "nom": "Plaine Commune", "type": "EPT", "population": 455226,
    "membres": [{"code_insee": "93001", "nom": "Aubervilliers", "departement": "93"}]
}))]
pub struct EpciDetail {
    /// SIREN of the groupement.
    pub siren: String,
    /// Official name.
    pub nom: String,
    /// Legal category.
    #[serde(rename = "type")]
    pub type_: EpciType,
    /// Total population, when known.
    pub population: Option<i64>,
    /// Member communes, by code INSEE.
    pub membres: Vec<EpciMembre>,
}

impl From<(domain::Epci, Vec<domain::EpciMembre>)> for EpciDetail {
    fn from((e, membres): (domain::Epci, Vec<domain::EpciMembre>)) -> Self {
        EpciDetail {
            siren: e.siren,
            nom: e.nom,
            type_: e.type_.into(),
            population: e.population,
            membres: membres
                .into_iter()
                .map(|m| EpciMembre {
                    code_insee: m.code_insee,
                    nom: m.nom,
                    departement: m.departement,
                })
                .collect(),
        }
    }
}

/// A page of EPCI.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{"siren": "200057867", "nom": "Plaine Commune", "type": "EPT", "population": 455226}],
    "next_cursor": null
}))]
pub struct EpciPage {
    /// The EPCI of this page.
    pub items: Vec<Epci>,
    /// Give it back as `cursor` (other parameters unchanged) for the next page; null on the last.
    pub next_cursor: Option<String>,
}

fn check_departement_code(code: &str) -> Result<(), validator::ValidationError> {
    pattern_rule(
        domain::is_departement_code(code),
        domain::DEPARTEMENT_CODE_PATTERN,
    )
}

fn check_region_code(code: &str) -> Result<(), validator::ValidationError> {
    pattern_rule(domain::is_region_code(code), domain::REGION_CODE_PATTERN)
}

fn check_code_postal(code: &str) -> Result<(), validator::ValidationError> {
    pattern_rule(domain::is_code_postal(code), domain::CODE_POSTAL_PATTERN)
}

fn pattern_rule(ok: bool, pattern: &str) -> Result<(), validator::ValidationError> {
    if ok {
        Ok(())
    } else {
        Err(validator::ValidationError::new("pattern")
            .with_message(format!("format invalide ; motif attendu : {pattern}").into()))
    }
}

/// Filters of `GET /api/v1/departements`.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct DepartementQuery {
    /// Only the départements of this région (code).
    #[param(pattern = "^[0-9]{2,3}$", example = "11")]
    #[validate(custom(function = "check_region_code"))]
    pub region: Option<String>,
}

/// Filters and pagination of `GET /api/v1/communes`.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct CommuneQuery {
    /// Name search, ignoring case, accents and punctuation (`epinay` finds Épinay-sur-Seine,
    /// `saint denis` finds Saint-Denis). Names starting with the search come first, then names
    /// containing it. Without it (or when it holds no letter or digit), communes come by code INSEE.
    #[param(max_length = 100, example = "saint denis")]
    #[validate(length(max = 100, message = "100 caractères au plus"))]
    pub q: Option<String>,
    /// Only the communes of this département (code).
    #[param(pattern = "^(?:[0-9]{2,3}|2[AB])$", example = "93")]
    #[validate(custom(function = "check_departement_code"))]
    pub departement: Option<String>,
    /// Only the communes served by this code postal.
    #[param(pattern = "^[0-9]{5}$", example = "93200")]
    #[validate(custom(function = "check_code_postal"))]
    pub code_postal: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, example = 50)]
    #[validate(custom(function = "validate_limit"))]
    pub limit: Option<WholeNumber>,
    /// Opaque cursor: the `next_cursor` of the previous page, unchanged (same other parameters).
    #[param(
        pattern = "^[01]\\.[0-9A-Za-z-]{1,64}\\.[0-9a-z_]{0,200}$",
        example = "0.93066."
    )]
    pub cursor: Option<String>,
}

/// Filters and pagination of `GET /api/v1/epci`.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct EpciQuery {
    /// Name search, ignoring case, accents and punctuation (`plaine commune`). Names starting with
    /// the search come first. Without it, EPCI come by SIREN.
    #[param(max_length = 100, example = "plaine commune")]
    #[validate(length(max = 100, message = "100 caractères au plus"))]
    pub q: Option<String>,
    /// Only the EPCI with at least one member commune in this département (code).
    #[param(pattern = "^(?:[0-9]{2,3}|2[AB])$", example = "93")]
    #[validate(custom(function = "check_departement_code"))]
    pub departement: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, example = 50)]
    #[validate(custom(function = "validate_limit"))]
    pub limit: Option<WholeNumber>,
    /// Opaque cursor: the `next_cursor` of the previous page, unchanged (same other parameters).
    #[param(
        pattern = "^[01]\\.[0-9A-Za-z-]{1,64}\\.[0-9a-z_]{0,200}$",
        example = "0.93066."
    )]
    pub cursor: Option<String>,
}

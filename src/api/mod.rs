//! Request and response bodies (DTOs) and query parameters: serde + `ToSchema`/`IntoParams`,
//! built from domain types. Their `///` docs (in French) and examples become the OpenAPI document.
//! This layer imports the domain only (never `http` or `db`).

pub mod activite;
pub mod conseiller;
pub mod contrat;
pub mod convention;
pub mod coordination;
pub mod financement;
pub mod formation;
pub mod health;
pub mod journal;
pub mod lieu;
pub mod moi;
pub mod paging;
pub mod poste;
pub mod referentiel;
pub mod statistiques;
pub mod structure;

use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

/// The query of an operation that takes no query parameter: any parameter is refused (400).
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct NoQuery {}

/// Declares a path segment's documentation once per type of value: its name, description and
/// example, for `params(ConventionPath, NoQuery)`. The handler still extracts the value with
/// `PathParam<ConventionId>` (or `PathParams<A, B>`).
#[macro_export]
macro_rules! path_param {
    ($name:ident, $segment:literal, $value:ty, $description:literal, $example:literal) => {
        #[doc = concat!("The `{", $segment, "}` path segment: ", $description)]
        #[derive(utoipa::IntoParams)]
        #[into_params(names($segment), parameter_in = Path)]
        pub struct $name(
            #[doc = $description]
            #[param(inline, example = $example)]
            pub $value,
        );
    };
}

path_param!(
    ActivitePath,
    "id",
    crate::domain::ids::ActiviteId,
    "Identifiant de l'activité.",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa0"
);
path_param!(
    PostePath,
    "id",
    crate::domain::ids::PosteId,
    "Identifiant du poste.",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa2"
);
path_param!(
    ContratPath,
    "id",
    crate::domain::ids::ContratId,
    "Identifiant du contrat.",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa5"
);
path_param!(
    ConseillerPath,
    "id",
    crate::domain::ids::ConseillerId,
    "Identifiant du conseiller.",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98"
);
path_param!(
    ConventionPath,
    "id",
    crate::domain::ids::ConventionId,
    "Identifiant de la convention.",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91"
);
path_param!(
    EngagementPath,
    "id",
    crate::domain::ids::EngagementId,
    "Identifiant de l'engagement.",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f95"
);
path_param!(
    EnveloppePath,
    "id",
    crate::domain::ids::EnveloppeId,
    "Identifiant de l'enveloppe.",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f94"
);
path_param!(
    LieuPath,
    "id",
    crate::domain::ids::LieuId,
    "Identifiant du lieu.",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97"
);
path_param!(
    VersementPath,
    "id",
    crate::domain::ids::VersementId,
    "Identifiant du versement.",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f96"
);
path_param!(
    StructurePath,
    "id",
    crate::domain::ids::StructureId,
    "Identifiant de la structure.",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"
);
path_param!(
    FormationPath,
    "formation_id",
    crate::domain::ids::FormationId,
    "Identifiant de la formation (une formation du conseiller).",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa7"
);
path_param!(
    CertificationPath,
    "certification_id",
    crate::domain::ids::CertificationId,
    "Identifiant de la certification (une certification du conseiller).",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa8"
);
path_param!(
    LieuConseillerPath,
    "lieu_id",
    crate::domain::ids::LieuId,
    "Identifiant du lieu (un lieu de l'employeur du conseiller).",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97"
);
path_param!(
    AvenantPath,
    "avenant_id",
    crate::domain::ids::AvenantId,
    "Identifiant de l'avenant.",
    "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f92"
);
path_param!(
    PlafondDepartementPath,
    "departement",
    crate::domain::codes::CodeDepartement,
    "Code du département.",
    "93"
);
path_param!(
    DepartementPath,
    "code",
    crate::domain::codes::CodeDepartement,
    "Code du département.",
    "93"
);
path_param!(
    RegionPath,
    "code",
    crate::domain::codes::CodeRegion,
    "Code INSEE de la région.",
    "11"
);
path_param!(
    CommunePath,
    "code_insee",
    crate::domain::codes::CodeInsee,
    "Code INSEE de la commune.",
    "93066"
);
path_param!(
    EpciPath,
    "siren",
    crate::domain::codes::Siren,
    "SIREN de l'EPCI.",
    "200057867"
);

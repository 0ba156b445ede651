//! Bodies and parameters of `/api/v1/structures`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::codes::{CodeInsee, Siret};
use crate::domain::structure::TypeStructure;

/// Checks that a name is not blank (it may not be only spaces).
pub fn not_blank(text: &str) -> Result<(), validator::ValidationError> {
    if text.trim().is_empty() {
        Err(validator::ValidationError::new("vide").with_message("ne doit pas être vide".into()))
    } else {
        Ok(())
    }
}

/// Une structure à enregistrer.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "siret": "20005786700018", "nom": "Plaine Commune", "type": "epci", "code_insee": "93066"
}))]
pub struct NouvelleStructure {
    /// SIRET (14 chiffres, clé de Luhn ; La Poste fait exception). Pour une commune ou un EPCI,
    /// son SIREN (9 premiers chiffres) doit être celui que donne le référentiel.
    pub siret: Siret,
    /// Nom de la structure.
    #[validate(
        length(min = 1, max = 200, message = "1 à 200 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 200)]
    pub nom: String,
    /// Nature juridique.
    #[serde(rename = "type")]
    pub type_structure: TypeStructure,
    /// Code INSEE de la commune du siège (une commune actuelle du référentiel).
    pub code_insee: CodeInsee,
}

/// Les champs modifiables d'une structure (le SIRET ne change jamais).
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"nom": "Établissement public territorial Plaine Commune"}))]
pub struct ModificationStructure {
    /// Nouveau nom de la structure.
    #[validate(
        length(min = 1, max = 200, message = "1 à 200 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 200)]
    pub nom: String,
}

/// Le classement d'une structure en territoire prioritaire, ou son retrait.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"territoire_prioritaire": true}))]
pub struct ClassementTerritoire {
    /// Vrai : la structure est en territoire prioritaire (QPV ou ZRR) ; faux : elle ne l'est
    /// pas (ou plus).
    pub territoire_prioritaire: bool,
}

/// Une structure d'accueil : le type du domaine, qui est sa propre vue.
pub use crate::domain::structure::Structure;

crate::page_dto! {
    /// Une page de structures.
    #[schema(example = json!({
        "items": [{
            "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "siret": "20005786700018",
            "siren": "200057867", "nom": "Plaine Commune", "type": "epci", "categorie": "public",
            "territoire_prioritaire": false, "code_insee": "93066",
            "commune": "Saint-Denis", "departement": "93", "region": "11", "version": 1,
            "cree_le": "2026-11-26T10:00:00.000000Z", "modifie_le": "2026-11-26T10:00:00.000000Z"
        }],
        "next_cursor": null
    }))]
    StructurePage, Structure, "Les structures de cette page.",
}

/// The query parameters of the list (declared once, with what its repo function reads).
pub use crate::domain::filter::StructureFilter;

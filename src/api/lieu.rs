//! Bodies and parameters of `/api/v1/lieux`: places of activity, with the fields and constraints
//! of the national "lieux de médiation numérique" standard.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use super::structure::not_blank;
use crate::domain::codes::CodeInsee;
use crate::domain::ids::StructureId;
use crate::domain::lieu::{
    Itinerance, ModaliteAcces, PublicAdresse, Service, check_horaires, site_web_valide,
    telephone_valide,
};

/// The view of a lieu is the stored lieu itself: its French docs are the spec's.
pub use crate::domain::lieu::Lieu;

fn rule(code: &'static str, message: String) -> ValidationError {
    ValidationError::new(code).with_message(message.into())
}

fn check_telephone(value: &str) -> Result<(), ValidationError> {
    if telephone_valide(value) {
        Ok(())
    } else {
        Err(rule(
            "telephone",
            "format du standard : indicatif (+33, +590, +262…) puis 6 à 9 chiffres, sans espace (+33180059880)".to_owned(),
        ))
    }
}

fn check_horaires_osm(value: &str) -> Result<(), ValidationError> {
    check_horaires(value).map_err(|e| {
        rule(
            "horaires",
            format!(
                "horaires OpenStreetMap (« Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00 ») : {e}"
            ),
        )
    })
}

/// The longest e-mail address the check accepts: validator's local part (64) + `@` + domain (255).
const COURRIEL_MAX: usize = 320;
/// The longest web address accepted, in characters (the sitemaps protocol's limit is 2,048 bytes).
const SITE_WEB_MAX: usize = 2000;

/// An array of strings whose items are at most `max` characters (`maxLength`, which utoipa's
/// attributes do not put on items), nullable for the modification's `Option<Vec<_>>`.
fn strings_schema(max: usize, nullable: bool, description: &str) -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    let array = ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(max)),
        )
        .max_items(Some(10))
        .description(Some(description));
    if nullable {
        array
            .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
            .build()
    } else {
        array.build()
    }
}

fn courriels_schema() -> utoipa::openapi::schema::Array {
    strings_schema(COURRIEL_MAX, false, "Adresses électroniques.")
}

fn sites_schema() -> utoipa::openapi::schema::Array {
    strings_schema(SITE_WEB_MAX, false, "Sites web (`https://…`).")
}

fn courriels_modification_schema() -> utoipa::openapi::schema::Array {
    strings_schema(COURRIEL_MAX, true, "Adresses électroniques.")
}

fn sites_modification_schema() -> utoipa::openapi::schema::Array {
    strings_schema(SITE_WEB_MAX, true, "Sites web.")
}

fn check_sites(values: &[String]) -> Result<(), ValidationError> {
    if values.iter().any(|url| url.chars().count() > SITE_WEB_MAX) {
        return Err(rule(
            "site_web",
            format!("une adresse de {SITE_WEB_MAX} caractères au plus"),
        ));
    }
    match values.iter().find(|url| !site_web_valide(url)) {
        Some(bad) => Err(rule(
            "site_web",
            format!("« {bad} » n'est pas une adresse http(s):// absolue"),
        )),
        None => Ok(()),
    }
}

fn check_courriels(values: &[String]) -> Result<(), ValidationError> {
    use validator::ValidateEmail;
    match values
        .iter()
        .find(|email| !email.validate_email() || email.contains('|'))
    {
        Some(bad) => Err(rule(
            "courriels",
            format!("« {bad} » n'est pas une adresse électronique"),
        )),
        None => Ok(()),
    }
}

/// Un lieu d'activité à enregistrer.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "nom": "Médiathèque André Breton",
    "adresse": "1 rue Bordier", "code_postal": "93300", "code_insee": "93001",
    "latitude": 48.9146, "longitude": 2.3821, "horaires": "Tu-Sa 10:00-18:00",
    "telephone": "+33148393850", "courriels": ["mediatheques@plainecommune.fr"],
    "site_web": ["https://www.mediatheques-plainecommune.fr"], "itinerance": ["Fixe"],
    "services": ["Aide aux démarches administratives", "Maîtrise des outils numériques du quotidien"],
    "modalites_acces": ["Se présenter", "Téléphoner"], "publics_specifiquement_adresses": ["Seniors"]
}))]
pub struct NouveauLieu {
    /// La structure qui tient le lieu (une `structure` ne nomme qu'elle-même).
    pub structure_id: StructureId,
    /// Nom du lieu.
    #[validate(
        length(min = 1, max = 300, message = "1 à 300 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub nom: String,
    /// Adresse (numéro et voie).
    #[validate(
        length(min = 1, max = 300, message = "1 à 300 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub adresse: String,
    /// Code postal : un des codes postaux de la commune (`code_postal_incoherent` sinon).
    #[validate(length(equal = 5, message = "5 chiffres"))]
    #[schema(pattern = r"^\d{5}$", example = "93300")]
    pub code_postal: String,
    /// Commune : une commune actuelle du référentiel (`commune_inconnue` sinon).
    pub code_insee: CodeInsee,
    /// Latitude (WGS 84), avec la longitude.
    #[validate(range(min = -90.0, max = 90.0, message = "de -90 à 90"))]
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    /// Longitude (WGS 84), avec la latitude.
    #[validate(range(min = -180.0, max = 180.0, message = "de -180 à 180"))]
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// Horaires au format OpenStreetMap `opening_hours`.
    #[validate(
        length(min = 1, max = 500, message = "1 à 500 caractères"),
        custom(function = "check_horaires_osm")
    )]
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"
    )]
    pub horaires: Option<String>,
    /// Téléphone, au format du standard (`+33180059880`).
    #[validate(custom(function = "check_telephone"))]
    #[schema(
        pattern = r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)(\d){6,9}$",
        example = "+33180059880"
    )]
    pub telephone: Option<String>,
    /// Adresses électroniques.
    #[serde(default)]
    #[validate(
        length(max = 10, message = "10 au plus"),
        custom(function = "check_courriels")
    )]
    #[schema(schema_with = courriels_schema)]
    pub courriels: Vec<String>,
    /// Sites web (`https://…`).
    #[serde(default)]
    #[validate(
        length(max = 10, message = "10 au plus"),
        custom(function = "check_sites")
    )]
    #[schema(schema_with = sites_schema)]
    pub site_web: Vec<String>,
    /// Fixe et/ou itinérant.
    #[serde(default)]
    #[validate(length(max = 2, message = "2 au plus"))]
    #[schema(max_items = 2)]
    pub itinerance: Vec<Itinerance>,
    /// Services proposés (liste du standard).
    #[serde(default)]
    #[validate(length(max = 9, message = "9 au plus"))]
    #[schema(max_items = 9)]
    pub services: Vec<Service>,
    /// Modalités d'accès (liste du standard).
    #[serde(default)]
    #[validate(length(max = 6, message = "6 au plus"))]
    #[schema(max_items = 6)]
    pub modalites_acces: Vec<ModaliteAcces>,
    /// Publics spécifiquement adressés (liste du standard).
    #[serde(default)]
    #[validate(length(max = 5, message = "5 au plus"))]
    #[schema(max_items = 5)]
    pub publics_specifiquement_adresses: Vec<PublicAdresse>,
}

/// Les champs d'un lieu à modifier : un champ absent ne change pas ; une liste donnée remplace
/// la précédente (`[]` la vide). La structure ne change jamais.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"horaires": "Tu-Sa 10:00-19:00", "services": ["Aide aux démarches administratives"]}))]
pub struct ModificationLieu {
    /// Nom du lieu.
    #[validate(
        length(min = 1, max = 300, message = "1 à 300 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub nom: Option<String>,
    /// Adresse.
    #[validate(
        length(min = 1, max = 300, message = "1 à 300 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub adresse: Option<String>,
    /// Code postal (avec la commune actuelle ou nouvelle : un de ses codes postaux).
    #[validate(length(equal = 5, message = "5 chiffres"))]
    #[schema(pattern = r"^\d{5}$", example = "93300")]
    pub code_postal: Option<String>,
    /// Commune.
    pub code_insee: Option<CodeInsee>,
    /// Latitude (avec la longitude).
    #[validate(range(min = -90.0, max = 90.0, message = "de -90 à 90"))]
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    /// Longitude (avec la latitude).
    #[validate(range(min = -180.0, max = 180.0, message = "de -180 à 180"))]
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// Horaires OpenStreetMap.
    #[validate(
        length(min = 1, max = 500, message = "1 à 500 caractères"),
        custom(function = "check_horaires_osm")
    )]
    #[schema(min_length = 1, max_length = 500)]
    pub horaires: Option<String>,
    /// Téléphone, au format du standard.
    #[validate(custom(function = "check_telephone"))]
    #[schema(pattern = r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)(\d){6,9}$")]
    pub telephone: Option<String>,
    /// Adresses électroniques.
    #[validate(
        length(max = 10, message = "10 au plus"),
        custom(function = "check_courriels")
    )]
    #[schema(schema_with = courriels_modification_schema)]
    pub courriels: Option<Vec<String>>,
    /// Sites web.
    #[validate(
        length(max = 10, message = "10 au plus"),
        custom(function = "check_sites")
    )]
    #[schema(schema_with = sites_modification_schema)]
    pub site_web: Option<Vec<String>>,
    /// Fixe et/ou itinérant.
    #[validate(length(max = 2, message = "2 au plus"))]
    #[schema(max_items = 2)]
    pub itinerance: Option<Vec<Itinerance>>,
    /// Services proposés.
    #[validate(length(max = 9, message = "9 au plus"))]
    #[schema(max_items = 9)]
    pub services: Option<Vec<Service>>,
    /// Modalités d'accès.
    #[validate(length(max = 6, message = "6 au plus"))]
    #[schema(max_items = 6)]
    pub modalites_acces: Option<Vec<ModaliteAcces>>,
    /// Publics spécifiquement adressés.
    #[validate(length(max = 5, message = "5 au plus"))]
    #[schema(max_items = 5)]
    pub publics_specifiquement_adresses: Option<Vec<PublicAdresse>>,
}

crate::page_dto! {
    /// Une page de lieux, les plus récents d'abord.
    #[schema(example = json!({"items": [], "next_cursor": null}))]
    LieuPage, Lieu, "Les lieux de cette page.",
}

/// The query parameters of the list (declared once, with what its repo function reads).
pub use crate::domain::filter::LieuFilter;

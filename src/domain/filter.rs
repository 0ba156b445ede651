//! The filters of every paginated list, declared once: each struct is at the same time the list's
//! query parameters (serde, `IntoParams` for the spec, `Validate` for their rules: the HTTP
//! layer's `Paged<F>` accepts exactly these names and `Paging`'s) and what the list's repo
//! function reads (`db::repo::<resource>::list…(conn, &filter, …)`). The API re-exports each
//! from the module of its resource (`api::activite::ActiviteFilter`).
//!
//! What a list needs besides what the caller sent is given next to the filter, never copied into
//! it: the scope (`ScopeFilter`), today (conventions' `en_retard`); a name query `q` is turned
//! into its search key (`referentiel::search_key`) by the repo function that searches.
//!
//! Adding a filter to a list is one field here (its documentation is the parameter's
//! description) and its condition in the repo function.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use super::ClosedList;
use super::activite::TypeActivite;
use super::codes::{CodeDepartement, CodeInsee, CodePostal, CodeRegion, SiretRecherche};
use super::conseiller::StatutConseiller;
use super::contrat::{EtatContrat, TypeContrat};
use super::convention::StatutConvention;
use super::financement::{NatureEnveloppe, StatutEngagement};
use super::ids::{ConseillerId, ConventionId, EnveloppeId, LieuId, StructureId};
use super::journal::RessourceJournal;
use super::poste::{EtatPoste, TypologiePoste};
use super::structure::{CategorieEmployeur, TypeStructure};

/// Filtres de `GET /api/v1/activites` (la pagination s'y ajoute).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ActiviteFilter {
    /// Seulement de ce conseiller.
    #[param(inline)]
    pub conseiller_id: Option<ConseillerId>,
    /// Seulement de cet employeur.
    #[param(inline)]
    pub structure_id: Option<StructureId>,
    /// Seulement dans ce lieu.
    #[param(inline)]
    pub lieu_id: Option<LieuId>,
    /// Seulement dans ce département.
    #[param(inline)]
    pub departement: Option<CodeDepartement>,
    /// Seulement de ce type.
    #[param(inline, rename = "type")]
    #[serde(rename = "type")]
    pub type_activite: Option<TypeActivite>,
    /// Seulement à partir de cette date (incluse).
    #[param(value_type = Option<String>, format = Date)]
    pub du: Option<NaiveDate>,
    /// Seulement jusqu'à cette date (incluse).
    #[param(value_type = Option<String>, format = Date)]
    pub au: Option<NaiveDate>,
}

/// Filtres de `GET /api/v1/conseillers` (la pagination s'y ajoute).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ConseillerFilter {
    /// Seulement sur cette convention.
    #[param(inline)]
    pub convention_id: Option<ConventionId>,
    /// Seulement de cet employeur.
    #[param(inline)]
    pub structure_id: Option<StructureId>,
    /// Seulement dans ce département.
    #[param(inline)]
    pub departement: Option<CodeDepartement>,
    /// Seulement ce statut.
    #[param(inline)]
    pub statut: Option<StatutConseiller>,
    /// Seulement ceux que suit ce coordinateur.
    #[param(inline)]
    pub coordinateur_id: Option<ConseillerId>,
}

/// Filtres de `GET /api/v1/conventions` (la pagination s'y ajoute).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ConventionFilter {
    /// Seulement ce département.
    #[param(inline)]
    pub departement: Option<CodeDepartement>,
    /// Seulement les départements de cette région.
    #[param(inline)]
    pub region: Option<CodeRegion>,
    /// Seulement ce statut.
    #[param(inline)]
    pub statut: Option<StatutConvention>,
    /// Seulement les conventions que signe cette structure.
    #[param(inline)]
    pub signataire: Option<StructureId>,
    /// Seulement les conventions en retard (`true`) ou seulement les autres (`false`).
    pub en_retard: Option<bool>,
}

/// Filtres de `GET /api/v1/enveloppes` (la pagination s'y ajoute).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct EnveloppeFilter {
    /// Seulement cette nature.
    #[param(inline)]
    pub nature: Option<NatureEnveloppe>,
    /// Seulement les enveloppes qui peuvent financer ce département (nationales, ou réservées à
    /// lui).
    #[param(inline)]
    pub departement: Option<CodeDepartement>,
}

/// Filtres de `GET /api/v1/engagements` (la pagination s'y ajoute).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct EngagementFilter {
    /// Seulement sur cette enveloppe.
    #[param(inline)]
    pub enveloppe_id: Option<EnveloppeId>,
    /// Seulement pour cette convention.
    #[param(inline)]
    pub convention_id: Option<ConventionId>,
    /// Seulement au profit de cet employeur.
    #[param(inline)]
    pub beneficiaire_id: Option<StructureId>,
    /// Seulement dans ce département.
    #[param(inline)]
    pub departement: Option<CodeDepartement>,
    /// Seulement ce statut.
    #[param(inline)]
    pub statut: Option<StatutEngagement>,
}

/// Filtres de `GET /api/v1/journal` (la pagination s'y ajoute).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct JournalFilter {
    /// Seulement les entrées de cette nature d'objet.
    #[param(inline)]
    pub ressource: Option<RessourceJournal>,
    /// Seulement les entrées de cet objet (son identifiant).
    #[param(max_length = 64, pattern = r"^[^\u0000-\u001F\u007F]*$")]
    #[validate(length(max = 64, message = "64 caractères au plus"))]
    pub id: Option<String>,
}

/// Filtres de `GET /api/v1/lieux` (la pagination s'y ajoute).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct LieuFilter {
    /// Seulement dans ce département.
    #[param(inline)]
    pub departement: Option<CodeDepartement>,
    /// Seulement dans cette commune.
    #[param(inline)]
    pub code_insee: Option<CodeInsee>,
    /// Seulement les lieux de cette structure.
    #[param(inline)]
    pub structure_id: Option<StructureId>,
}

/// Filtres de `GET /api/v1/structures` (la pagination s'y ajoute).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct StructureFilter {
    /// Seulement les structures dont le siège est dans ce département.
    #[param(inline)]
    pub departement: Option<CodeDepartement>,
    /// Seulement les structures de cette nature.
    #[serde(rename = "type")]
    #[param(inline, rename = "type")]
    pub type_structure: Option<TypeStructure>,
    /// Seulement les structures de cette catégorie d'employeur (`public` ou `prive`).
    #[param(inline)]
    pub categorie: Option<CategorieEmployeur>,
    /// Seulement les structures en territoire prioritaire (`true`) ou hors de ceux-ci (`false`).
    pub territoire_prioritaire: Option<bool>,
    /// Seulement la structure de ce SIRET (quatorze chiffres).
    #[param(inline)]
    pub siret: Option<SiretRecherche>,
    /// Recherche par nom, sans tenir compte de la casse, des accents ni de la ponctuation ; les
    /// noms qui commencent par la recherche viennent d'abord. Sans elle, par identifiant.
    #[param(max_length = 100, pattern = r"^[^\u0000-\u001F\u007F]*$")]
    #[validate(length(max = 100, message = "100 caractères au plus"))]
    pub q: Option<String>,
}

/// Filtres de `GET /api/v1/communes` (la pagination s'y ajoute).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct CommuneFilter {
    /// Recherche par nom, sans tenir compte de la casse, des accents ni de la ponctuation
    /// (`epinay` trouve Épinay-sur-Seine, `saint denis` trouve Saint-Denis). Les noms qui
    /// commencent par la recherche viennent d'abord, puis ceux qui la contiennent. Sans elle (ou
    /// si elle ne contient ni lettre ni chiffre), les communes viennent par code INSEE.
    #[param(max_length = 100, pattern = r"^[^\u0000-\u001F\u007F]*$")]
    #[validate(length(max = 100, message = "100 caractères au plus"))]
    pub q: Option<String>,
    /// Seulement les communes de ce département (code, par exemple `93` ou `2A`).
    #[param(inline)]
    pub departement: Option<CodeDepartement>,
    /// Seulement les communes desservies par ce code postal (par exemple `93200`).
    #[param(inline)]
    pub code_postal: Option<CodePostal>,
}

/// Filtres de `GET /api/v1/epci` (la pagination s'y ajoute).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct EpciFilter {
    /// Recherche par nom, sans tenir compte de la casse, des accents ni de la ponctuation
    /// (`plaine commune`). Les noms qui commencent par la recherche viennent d'abord. Sans elle,
    /// les EPCI viennent par SIREN.
    #[param(max_length = 100, pattern = r"^[^\u0000-\u001F\u007F]*$")]
    #[validate(length(max = 100, message = "100 caractères au plus"))]
    pub q: Option<String>,
    /// Seulement les EPCI ayant au moins une commune membre dans ce département (code, par
    /// exemple `93`).
    #[param(inline)]
    pub departement: Option<CodeDepartement>,
}

/// Filtres de `GET /api/v1/postes` (la pagination s'y ajoute).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PosteFilter {
    /// Seulement dans ce département.
    #[param(inline)]
    pub departement: Option<CodeDepartement>,
    /// Seulement de cette convention.
    #[param(inline)]
    pub convention_id: Option<ConventionId>,
    /// Seulement ceux que tient cette structure d'accueil.
    #[param(inline)]
    pub structure_id: Option<StructureId>,
    /// Seulement dans ces états (`vacant`, `occupe`, `rendu`), séparés par des virgules
    /// (`vacant,occupe`).
    #[param(value_type = Option<String>, pattern = "^(vacant|occupe|rendu)(,(vacant|occupe|rendu))*$")]
    pub etat: Option<UnOuPlusieurs<EtatPoste>>,
    /// Seulement de ces typologies (`conseiller`, `coordinateur`), séparées par des virgules
    /// (`conseiller,coordinateur`).
    #[param(
        value_type = Option<String>,
        pattern = "^(conseiller|coordinateur)(,(conseiller|coordinateur))*$"
    )]
    pub typologie: Option<UnOuPlusieurs<TypologiePoste>>,
    /// Seulement les postes vacants depuis au moins ce nombre de jours à la date du service
    /// (`180` : ceux que la règle des six mois oblige à rendre).
    #[param(minimum = 0, maximum = 36500)]
    #[validate(range(max = 36500, message = "de 0 à 36 500"))]
    pub vacant_depuis_jours: Option<u64>,
}

/// Filtres de `GET /api/v1/contrats` (la pagination s'y ajoute).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ContratFilter {
    /// Seulement les contrats de ce conseiller.
    #[param(inline)]
    pub conseiller_id: Option<ConseillerId>,
    /// Seulement ceux de cet employeur.
    #[param(inline)]
    pub structure_id: Option<StructureId>,
    /// Seulement ceux des postes de cette convention.
    #[param(inline)]
    pub convention_id: Option<ConventionId>,
    /// Seulement dans ce département.
    #[param(inline)]
    pub departement: Option<CodeDepartement>,
    /// Seulement de ces types (`cdi`, `cdd`, `contrat_de_projet`, `titulaire`), séparés par des
    /// virgules.
    #[serde(rename = "type")]
    #[param(
        rename = "type",
        value_type = Option<String>,
        pattern = "^(cdi|cdd|pec|contrat_de_projet|titulaire)(,(cdi|cdd|pec|contrat_de_projet|titulaire))*$"
    )]
    pub type_contrat: Option<UnOuPlusieurs<TypeContrat>>,
    /// Seulement dans ces états à la date du service (`en_cours`, `termine`, `rompu`), séparés
    /// par des virgules.
    #[param(
        value_type = Option<String>,
        pattern = "^(en_cours|termine|rompu)(,(en_cours|termine|rompu))*$"
    )]
    pub etat: Option<UnOuPlusieurs<EtatContrat>>,
}

/// One or more values of a closed list, sent as one query parameter separated by commas
/// (`vacant,occupe`): each value is checked, an empty item is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnOuPlusieurs<T>(pub Vec<T>);

impl<T: ClosedList> UnOuPlusieurs<T> {
    /// The values as stored (for an `IN`).
    pub fn texts(&self) -> Vec<&'static str> {
        self.0.iter().map(|v| v.as_text()).collect()
    }

    /// The pattern of the parameter (what its documentation must say: `tests` compare).
    pub fn pattern() -> String {
        let one = format!(
            "({})",
            T::VALUES
                .iter()
                .map(|v| v.as_text())
                .collect::<Vec<_>>()
                .join("|")
        );
        format!("^{one}(,{one})*$")
    }
}

impl<'de, T: ClosedList + super::TextValue> Deserialize<'de> for UnOuPlusieurs<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str> as Deserialize>::deserialize(deserializer)?;
        text.split(',')
            .map(|item| T::parse_text(item).map_err(serde::de::Error::custom))
            .collect::<Result<Vec<T>, D::Error>>()
            .map(UnOuPlusieurs)
    }
}

/// The search key of a name query `q`, or `None` when it holds no letter or digit (then it
/// filters nothing): what the searching repo functions compare with their key column.
pub fn name_key(q: Option<&str>) -> Option<String> {
    q.map(super::referentiel::search_key)
        .filter(|key| !key.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_parameter_documents_the_pattern_its_parse_follows() {
        // The literal patterns of `PosteFilter` (utoipa's attributes take literals) are the
        // closed lists' own.
        let documented = |name: &str| {
            let params = PosteFilter::into_params(|| None);
            let param = params.into_iter().find(|p| p.name == name).unwrap();
            let schema = serde_json::to_value(param.schema.unwrap()).unwrap();
            schema["pattern"].as_str().unwrap().to_owned()
        };
        assert_eq!(documented("etat"), UnOuPlusieurs::<EtatPoste>::pattern());
        assert_eq!(
            documented("typologie"),
            UnOuPlusieurs::<TypologiePoste>::pattern()
        );
        let documented_contrat = |name: &str| {
            let params = ContratFilter::into_params(|| None);
            let param = params.into_iter().find(|p| p.name == name).unwrap();
            let schema = serde_json::to_value(param.schema.unwrap()).unwrap();
            schema["pattern"].as_str().unwrap().to_owned()
        };
        assert_eq!(
            documented_contrat("type"),
            UnOuPlusieurs::<TypeContrat>::pattern()
        );
        assert_eq!(
            documented_contrat("etat"),
            UnOuPlusieurs::<EtatContrat>::pattern()
        );
        let parse = |text: &str| {
            serde_json::from_value::<UnOuPlusieurs<EtatPoste>>(serde_json::json!(text))
        };
        assert_eq!(
            parse("vacant,rendu").unwrap(),
            UnOuPlusieurs(vec![EtatPoste::Vacant, EtatPoste::Rendu])
        );
        for bad in ["", "vacant,", ",vacant", "vacant,libre", "VACANT"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}

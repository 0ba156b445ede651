//! Bodies and parameters of `/api/v1/conseillers` and of the posts view of a convention.
//! Personal data (`nom`, `prenom`, `email`, `telephone`, `commune_residence`) is shown to admins and the
//! employer only.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::structure::not_blank;
use crate::api::contrat::Contrat;
use crate::domain::codes::{CodeDepartement, CodeInsee};
use crate::domain::conseiller::{
    self as domain, LieuConseiller, MotifSortie, StatutConseiller, TypeContrat,
};
use crate::domain::formation::{self as formation, certification_en_retard};
use crate::domain::ids::{ConseillerId, ContratId, ConventionId, LieuId, StructureId};

/// Une personne à enregistrer : sans contrat (sans `convention_id`), ou recrutée du même coup
/// sur un poste d'une convention en exécution (avec `convention_id`, `date_recrutement` et
/// `type_contrat`, les trois ensemble).
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91",
    "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "nom": "Martin", "prenom": "Camille",
    "email": "camille.martin@example.org", "telephone": "01 48 95 60 00",
    "commune_residence": "93001", "date_recrutement": "2021-05-03",
    "type_contrat": "contrat_de_projet"
}))]
pub struct NouveauConseiller {
    /// La convention du recrutement (au statut `en_execution`) ; absente, la personne est
    /// enregistrée sans contrat (`sans_contrat`) et un contrat la lie ensuite à un poste
    /// (`POST /api/v1/contrats`).
    pub convention_id: Option<ConventionId>,
    /// L'employeur (une structure d'accueil de la répartition de la convention) ; sans
    /// convention, la structure qui enregistre la personne : le dossier est dans sa portée et
    /// dans celle de son département jusqu'au premier contrat.
    pub structure_id: StructureId,
    /// Nom (donnée personnelle).
    #[validate(
        length(min = 1, max = 100, message = "1 à 100 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 100)]
    pub nom: String,
    /// Prénom (donnée personnelle).
    #[validate(
        length(min = 1, max = 100, message = "1 à 100 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 100)]
    pub prenom: String,
    /// Adresse électronique (donnée personnelle).
    #[validate(
        email(message = "adresse électronique invalide"),
        length(max = 254, message = "254 caractères au plus")
    )]
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Téléphone (donnée personnelle), facultatif : chiffres, espaces, `+`, `.`, `-`, parenthèses.
    #[validate(custom(function = "check_telephone"))]
    #[schema(min_length = 4, max_length = 30, pattern = r"^\+?[0-9 .()-]{4,30}$")]
    pub telephone: Option<String>,
    /// Commune de résidence, code INSEE (donnée personnelle) : dit si le recrutement est local.
    pub commune_residence: CodeInsee,
    /// Date de recrutement (avec `convention_id`) : ni dans le futur, ni avant la validation du
    /// projet d'accueil.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_recrutement: Option<NaiveDate>,
    /// Type de contrat (avec `convention_id`).
    pub type_contrat: Option<TypeContrat>,
}

/// A telephone number as people write them: an optional `+`, then 4 to 30 digits, spaces, dots,
/// dashes or parentheses, with at least 4 digits.
pub fn check_telephone(text: &str) -> Result<(), validator::ValidationError> {
    let allowed = |c: char| c.is_ascii_digit() || " .()-".contains(c);
    let rest = text.strip_prefix('+').unwrap_or(text);
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    if (4..=30).contains(&rest.len()) && rest.chars().all(allowed) && digits >= 4 {
        Ok(())
    } else {
        Err(validator::ValidationError::new("telephone")
            .with_message("numéro de téléphone invalide (chiffres, espaces, + . - ( ))".into()))
    }
}

/// Les données personnelles à corriger ; un champ absent ne change pas.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "c.martin@example.org"}))]
pub struct ModificationConseiller {
    /// Nom.
    #[validate(
        length(min = 1, max = 100, message = "1 à 100 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 100)]
    pub nom: Option<String>,
    /// Prénom.
    #[validate(
        length(min = 1, max = 100, message = "1 à 100 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 100)]
    pub prenom: Option<String>,
    /// Adresse électronique.
    #[validate(
        email(message = "adresse électronique invalide"),
        length(max = 254, message = "254 caractères au plus")
    )]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// Téléphone.
    #[validate(custom(function = "check_telephone"))]
    #[schema(min_length = 4, max_length = 30, pattern = r"^\+?[0-9 .()-]{4,30}$")]
    pub telephone: Option<String>,
    /// Commune de résidence (code INSEE).
    pub commune_residence: Option<CodeInsee>,
}

/// Un lieu où travaille le conseiller.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"principal": true}))]
pub struct LieuDeTravail {
    /// Son lieu principal (les autres deviennent secondaires) ; `false` : un lieu de plus.
    pub principal: bool,
}

/// Un conseiller numérique. Les données personnelles (`nom`, `prenom`, `email`,
/// `commune_residence`) ne sont montrées qu'à `admin` et à l'employeur : null pour les autres,
/// et une fois anonymisées.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98", "convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91",
    "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "departement": "93",
    "nom": "Martin", "prenom": "Camille", "email": "camille.martin@example.org",
    "telephone": "01 48 95 60 00", "commune_residence": "93001", "doublon_de": null,
    "donnees_personnelles": "visibles", "recrutement_local": true,
    "type_contrat": "contrat_de_projet", "statut": "en_poste", "date_recrutement": "2021-05-03",
    "lieu_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97",
    "lieux": [{"lieu_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97", "principal": true}],
    "contrat_en_cours_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa1",
    "contrats": [{"id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa1",
        "conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98",
        "poste_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa2",
        "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90",
        "convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91", "departement": "93",
        "typologie": "conseiller", "type": "contrat_de_projet", "date_debut": "2021-05-03",
        "date_fin": null, "date_rupture": null, "motif_rupture": null,
        "commentaire_rupture": null, "etat": "en_cours", "version": 1}],
    "coordinateur_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fc1",
    "formations": [], "certifications": [], "certification_en_retard": false,
    "date_sortie": null, "motif_sortie": null, "version": 4,
    "cree_le": "2021-05-03T09:00:00.000000Z", "modifie_le": "2021-07-05T09:00:00.000000Z"
}))]
pub struct Conseiller {
    /// Identifiant.
    pub id: ConseillerId,
    /// Convention du contrat en cours ou du dernier ; null avant tout contrat.
    pub convention_id: Option<ConventionId>,
    /// Employeur (en cours ou dernier) ; avant tout contrat, la structure qui a enregistré la
    /// personne.
    pub structure_id: StructureId,
    /// Département de la convention (avant tout contrat, celui de la structure).
    pub departement: CodeDepartement,
    /// Nom (donnée personnelle).
    pub nom: Option<String>,
    /// Prénom (donnée personnelle).
    pub prenom: Option<String>,
    /// Adresse électronique (donnée personnelle).
    pub email: Option<String>,
    /// Téléphone (donnée personnelle).
    pub telephone: Option<String>,
    /// Commune de résidence (donnée personnelle).
    pub commune_residence: Option<CodeInsee>,
    /// L'enregistrement le plus récent de la même personne (même adresse électronique), quand
    /// le premier modèle (un enregistrement par recrutement) l'avait enregistrée deux fois.
    pub doublon_de: Option<ConseillerId>,
    /// `visibles`, `masquees` (rôle sans accès aux données personnelles) ou `anonymisees`.
    pub donnees_personnelles: DonneesPersonnelles,
    /// Le conseiller réside dans le département de la convention (calculé au recrutement).
    pub recrutement_local: bool,
    /// Type du contrat en cours ou du dernier ; null avant tout contrat.
    pub type_contrat: Option<TypeContrat>,
    /// Statut, déduit de ses contrats à la date du service : `sans_contrat` avant tout contrat,
    /// `en_poste` tant qu'un contrat court ou doit commencer, `sorti` quand le dernier jour de
    /// ses contrats est passé (une rupture, ou le terme d'un contrat à durée déterminée, sans
    /// autre action).
    pub statut: StatutConseiller,
    /// Date de recrutement (début du premier contrat) ; null avant tout contrat.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_recrutement: Option<NaiveDate>,
    /// Lieu d'activité principal.
    pub lieu_id: Option<LieuId>,
    /// Les lieux où il travaille (lieux de son employeur), le principal d'abord.
    pub lieux: Vec<LieuConseiller>,
    /// Le contrat en vigueur à la date du service, s'il y en a un (son employeur est
    /// `structure_id`).
    pub contrat_en_cours_id: Option<ContratId>,
    /// Tous ses contrats, du plus ancien au plus récent, chez tous ses employeurs, avec leur état
    /// à la date du service (chacun a sa propre version : `GET /api/v1/contrats/{id}`).
    pub contrats: Vec<Contrat>,
    /// Le coordinateur qui le suit (`PUT /conseillers/{id}/coordinateur`), tant qu'il tient un
    /// contrat de coordinateur (son dernier jour non passé) ; null sans coordinateur, ou une
    /// fois ce contrat terminé (sans autre action).
    pub coordinateur_id: Option<ConseillerId>,
    /// Ses formations (`POST /conseillers/{id}/formations`), par premier jour.
    pub formations: Vec<formation::Formation>,
    /// Ses certifications (`POST /conseillers/{id}/certifications`), par date.
    pub certifications: Vec<formation::Certification>,
    /// Calculé à la date du service : sa formation initiale s'est terminée il y a plus de six
    /// mois et aucune certification n'est réussie (fin inconnue, pour une reprise : jamais).
    pub certification_en_retard: bool,
    /// Une fois `sorti` : le dernier jour de ses contrats ; null sinon.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_sortie: Option<NaiveDate>,
    /// Une fois `sorti` : ce à quoi revient la fin de son dernier contrat (`fin_de_contrat` à
    /// son terme ou pour une non-reconduction, `demission`, `rupture` pour un licenciement, une
    /// rupture conventionnelle ou une fin de subventionnement, `autre`) ; null sinon.
    pub motif_sortie: Option<MotifSortie>,
    /// Version de l'enregistrement : l'`ETag`, à renvoyer dans `If-Match`.
    pub version: i64,
    /// Création (RFC 3339, UTC).
    pub cree_le: String,
    /// Dernière modification (RFC 3339, UTC).
    pub modifie_le: String,
}

/// Ce que la réponse montre des données personnelles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DonneesPersonnelles {
    /// Montrées (admin, employeur).
    Visibles,
    /// Masquées pour ce rôle.
    Masquees,
    /// Effacées par l'anonymisation.
    Anonymisees,
}

impl Conseiller {
    /// The advisor as `caller` may see it on `today`: personal data for admins and the employer
    /// only.
    pub fn for_caller(
        caller: &crate::auth::Caller,
        c: domain::Conseiller,
        today: NaiveDate,
    ) -> Self {
        let sees = crate::auth::policy::sees_personal_data(caller, c.structure_id.as_str());
        Conseiller::shown(c, sees, today)
    }

    /// The advisor as shown on `today` (its contracts' states) to a caller who may (`true`) or
    /// may not see its personal data.
    pub fn shown(c: domain::Conseiller, sees_personal_data: bool, today: NaiveDate) -> Self {
        let statut = c.statut_le(today);
        let sortie = c.sortie_le(today);
        let coordinateur_id = c.coordinateur_le(today).cloned();
        let (identite, donnees) = match (c.identite, sees_personal_data) {
            (None, _) => (None, DonneesPersonnelles::Anonymisees),
            (Some(_), false) => (None, DonneesPersonnelles::Masquees),
            (Some(identite), true) => (Some(identite), DonneesPersonnelles::Visibles),
        };
        Conseiller {
            certification_en_retard: certification_en_retard(
                &c.formations,
                &c.certifications,
                today,
            ),
            id: c.id,
            convention_id: c.convention_id,
            structure_id: c.structure_id,
            departement: c.departement,
            nom: identite.as_ref().map(|i| i.nom.clone()),
            prenom: identite.as_ref().map(|i| i.prenom.clone()),
            email: identite.as_ref().map(|i| i.email.clone()),
            telephone: identite.as_ref().and_then(|i| i.telephone.clone()),
            commune_residence: identite.map(|i| i.commune_residence),
            doublon_de: c.doublon_de,
            donnees_personnelles: donnees,
            recrutement_local: c.recrutement_local,
            type_contrat: c.type_contrat,
            statut,
            date_recrutement: c.date_recrutement,
            lieu_id: c.lieu_id,
            lieux: c.lieux,
            contrat_en_cours_id: c
                .contrats
                .iter()
                .find(|contrat| contrat.en_vigueur_le(today))
                .map(|contrat| contrat.id.clone()),
            contrats: c
                .contrats
                .into_iter()
                .map(|contrat| Contrat::on(contrat, today))
                .collect(),
            coordinateur_id,
            formations: c.formations,
            certifications: c.certifications,
            date_sortie: sortie.map(|(date, _)| date),
            motif_sortie: sortie.map(|(_, motif)| motif),
            version: c.version,
            cree_le: c.cree_le,
            modifie_le: c.modifie_le,
        }
    }
}

/// The fields of the view that the journal does not keep with the advisor: its trainings and
/// certifications (each journaled as its own entry) and what is computed from today.
pub const PARCOURS_FIELDS: [&str; 3] = ["formations", "certifications", "certification_en_retard"];

crate::page_dto! {
    /// Une page de conseillers, les plus récents d'abord.
    #[schema(example = json!({"items": [], "next_cursor": null}))]
    ConseillerPage, Conseiller, "Les conseillers de cette page.",
}

/// The query parameters of the list (declared once, with what its repo function reads).
pub use crate::domain::filter::ConseillerFilter;

/// Les postes d'une structure d'accueil : attribués par la répartition, ses conseillers en poste
/// et sortis à la date du service, vacants.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostesHote {
    /// Structure d'accueil.
    pub structure_id: StructureId,
    /// Postes que lui donne la répartition.
    pub postes: i64,
    /// Conseillers en poste (statut `en_poste`).
    pub actifs: i64,
    /// Conseillers en poste par statut (`en_poste` ; absent à zéro).
    pub par_statut: std::collections::BTreeMap<String, i64>,
    /// Conseillers sortis.
    pub sortis: i64,
    /// Postes vacants : postes − actifs.
    pub vacants: i64,
}

/// Les postes d'une convention, par structure d'accueil.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91", "postes_attribues": 80,
    "postes_pourvus": 41, "vacants": 39,
    "hotes": [{"structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "postes": 40, "actifs": 40,
               "par_statut": {"en_poste": 40}, "sortis": 1, "vacants": 0}]
}))]
pub struct PostesConvention {
    /// Convention.
    pub convention_id: ConventionId,
    /// Postes attribués.
    pub postes_attribues: i64,
    /// Postes pourvus : conseillers en poste à la date du service (la somme des `actifs`).
    pub postes_pourvus: i64,
    /// Postes vacants.
    pub vacants: i64,
    /// Par structure d'accueil, dans l'ordre de la répartition.
    pub hotes: Vec<PostesHote>,
}

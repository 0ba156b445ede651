//! Contracts: the view (the stored contract with its state on the service's date), the list's
//! filters and page, and the body of a rupture.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::codes::CodeDepartement;
use crate::domain::contrat::{self as domain, EtatContrat, MotifRupture, TypeContrat};
pub use crate::domain::filter::ContratFilter;
use crate::domain::ids::{ConseillerId, ContratId, ConventionId, PosteId, StructureId};
use crate::domain::poste::TypologiePoste;

/// Le contrat d'un conseiller sur un poste, avec son état à la date du service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa5",
    "conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98",
    "poste_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa2",
    "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90",
    "convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91", "departement": "93",
    "typologie": "conseiller", "type": "cdd", "date_debut": "2021-06-01",
    "date_fin": "2023-05-31", "date_rupture": null, "motif_rupture": null,
    "commentaire_rupture": null, "etat": "termine", "version": 1
}))]
pub struct Contrat {
    /// Identifiant.
    pub id: ContratId,
    /// Le conseiller employé.
    pub conseiller_id: ConseillerId,
    /// Le poste qu'il occupe ; null pour un contrat repris des données d'avant les postes, déjà
    /// terminé alors.
    pub poste_id: Option<PosteId>,
    /// L'employeur.
    pub structure_id: StructureId,
    /// La convention du poste.
    pub convention_id: ConventionId,
    /// Département de la convention.
    pub departement: CodeDepartement,
    /// Typologie du poste : `conseiller` ou `coordinateur`.
    pub typologie: TypologiePoste,
    /// Type de contrat.
    #[serde(rename = "type")]
    pub type_contrat: TypeContrat,
    /// Premier jour.
    #[schema(value_type = String, format = Date)]
    pub date_debut: NaiveDate,
    /// Dernier jour prévu (contrats à durée déterminée ; null si inconnu ou sans terme).
    #[schema(value_type = Option<String>, format = Date)]
    pub date_fin: Option<NaiveDate>,
    /// Dernier jour d'un contrat rompu avant son terme.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_rupture: Option<NaiveDate>,
    /// Motif de la rupture.
    pub motif_rupture: Option<MotifRupture>,
    /// Commentaire de la rupture.
    pub commentaire_rupture: Option<String>,
    /// État à la date du service : `en_cours`, `termine` (le lendemain de `date_fin`, sans
    /// traitement) ou `rompu`. Le poste est vacant le lendemain du dernier jour.
    pub etat: EtatContrat,
    /// Version (son `ETag`).
    pub version: i64,
}

impl Contrat {
    /// The view of a stored contract on `today`.
    pub fn on(contrat: domain::Contrat, today: NaiveDate) -> Contrat {
        let etat = contrat.etat(today);
        let (date_rupture, motif_rupture, commentaire_rupture) = match contrat.rupture {
            Some(r) => (Some(r.date), Some(r.motif), r.commentaire),
            None => (None, None, None),
        };
        Contrat {
            id: contrat.id,
            conseiller_id: contrat.conseiller_id,
            poste_id: contrat.poste_id,
            structure_id: contrat.structure_id,
            convention_id: contrat.convention_id,
            departement: contrat.departement,
            typologie: contrat.typologie,
            type_contrat: contrat.type_contrat,
            date_debut: contrat.date_debut,
            date_fin: contrat.date_fin,
            date_rupture,
            motif_rupture,
            commentaire_rupture,
            etat,
            version: contrat.version,
        }
    }
}

/// La rupture d'un contrat en cours, avant son terme.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "date": "2022-03-31", "motif": "demission", "commentaire": "Départ pour un autre emploi."
}))]
pub struct RuptureContrat {
    /// Dernier jour du contrat (aujourd'hui par défaut) : ni dans le futur, ni avant son début,
    /// ni après sa fin prévue. Le poste est vacant le lendemain.
    #[schema(value_type = Option<String>, format = Date)]
    pub date: Option<NaiveDate>,
    /// Motif.
    pub motif: MotifRupture,
    /// Commentaire libre.
    #[validate(length(min = 1, max = 1000, message = "1 à 1 000 caractères"))]
    #[schema(min_length = 1, max_length = 1000)]
    pub commentaire: Option<String>,
}

/// Un nouveau contrat : une personne déjà enregistrée (`POST /conseillers`) sur un poste vacant
/// de son employeur.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98",
    "poste_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa2",
    "type": "cdd", "date_debut": "2024-01-15", "date_fin": "2026-01-14",
    "salaire_brut_mensuel_centimes": 185000
}))]
pub struct NouveauContrat {
    /// La personne employée : sans autre contrat en vigueur sur la période (409
    /// `contrat_en_cours`).
    pub conseiller_id: ConseillerId,
    /// Le poste : vacant à `date_debut` (409 `poste_non_vacant`), d'une convention en exécution,
    /// tenu par l'employeur (une structure n'engage que sur ses postes).
    pub poste_id: PosteId,
    /// Type de contrat.
    #[serde(rename = "type")]
    pub type_contrat: TypeContrat,
    /// Typologie du contrat (`conseiller` par défaut) : celle du poste (409
    /// `typologie_incompatible`).
    pub typologie: Option<TypologiePoste>,
    /// Premier jour : ni dans le futur, ni avant la vacance du poste (422 `date_anterieure`).
    #[schema(value_type = String, format = Date)]
    pub date_debut: NaiveDate,
    /// Dernier jour prévu : requis pour `cdd`, `pec` et `contrat_de_projet`, refusé pour `cdi` et
    /// `titulaire`, pas avant `date_debut` (422 `date_fin_invalide`).
    #[schema(value_type = Option<String>, format = Date)]
    pub date_fin: Option<NaiveDate>,
    /// Salaire brut mensuel en centimes : au moins le SMIC mensuel brut (35 h) en vigueur à
    /// `date_debut` dans le département (422 `salaire_inferieur_smic`).
    #[validate(range(min = 0, max = 100_000_000, message = "entre 0 et 100 000 000"))]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub salaire_brut_mensuel_centimes: Option<i64>,
}

/// La prolongation d'un contrat à durée déterminée en cours.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date_fin": "2027-01-14"}))]
pub struct ProlongationContrat {
    /// Nouveau dernier jour prévu : postérieur à l'actuel (422 `date_fin_invalide`). Le poste
    /// reste occupé jusqu'à ce jour.
    #[schema(value_type = String, format = Date)]
    pub date_fin: NaiveDate,
}

crate::page_dto! {
    /// Une page de contrats, les plus récemment créés d'abord.
    #[schema(example = json!({"items": [], "next_cursor": null}))]
    ContratPage, Contrat, "Les contrats de cette page.",
}

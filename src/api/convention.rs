//! Bodies and parameters of `/api/v1/conventions` and `/api/v1/journal`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::structure::not_blank;
use crate::domain::codes::{CodeDepartement, CodeRegion};
use crate::domain::convention::{
    self as domain, ActionConvention, PartHote as DomainPart, StatutConvention, TypeAvenant,
};
use crate::domain::ids::{AvenantId, ConventionId, EnveloppeId, StructureId};
use crate::domain::lifecycle::allowed_actions;

/// Une convention à créer (au statut `brouillon`).
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "departement": "93", "intitule": "Conseillers numériques France Services — Seine-Saint-Denis",
    "signataires": ["01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"], "postes_attribues": 80,
    "delai_projet_mois": 2
}))]
pub struct NouvelleConvention {
    /// Département de la convention.
    pub departement: CodeDepartement,
    /// Intitulé.
    #[validate(
        length(min = 1, max = 300, message = "1 à 300 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub intitule: String,
    /// Structures signataires (au moins une, toutes du département, chacune une fois).
    #[validate(length(min = 1, max = 100, message = "1 à 100 signataires"))]
    #[schema(min_items = 1, max_items = 100)]
    pub signataires: Vec<StructureId>,
    /// Postes de conseillers attribués.
    #[validate(range(min = 1, max = 100000, message = "de 1 à 100 000"))]
    #[schema(minimum = 1, maximum = 100000)]
    pub postes_attribues: i64,
    /// Délai de dépôt du projet d'accueil après la signature, en mois (2 par défaut).
    #[validate(range(min = 1, max = 24, message = "de 1 à 24 mois"))]
    #[schema(minimum = 1, maximum = 24)]
    pub delai_projet_mois: Option<i64>,
}

/// Les champs libres d'une convention, modifiables à tout statut non final.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"intitule": "Convention CnFS Seine-Saint-Denis 2021"}))]
pub struct ModificationConvention {
    /// Nouvel intitulé.
    #[validate(
        length(min = 1, max = 300, message = "1 à 300 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub intitule: String,
}

/// La signature d'une convention.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date_signature": "2021-02-08"}))]
pub struct Signature {
    /// Date de signature (aujourd'hui par défaut ; jamais dans le futur). Fixe la date limite du
    /// projet d'accueil : signature + délai, en mois calendaires.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_signature: Option<NaiveDate>,
}

/// Les postes d'une structure d'accueil dans le projet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PartHote {
    /// Structure d'accueil : une signataire, ou une structure du département.
    pub structure_id: StructureId,
    /// Ses postes (au moins un).
    #[validate(range(min = 1, max = 100000, message = "de 1 à 100 000"))]
    #[schema(minimum = 1, maximum = 100000)]
    pub postes: i64,
    /// Combien de ces postes sont des postes de coordinateur (0 par défaut ; au plus `postes`).
    #[serde(default)]
    #[validate(range(min = 0, max = 100000, message = "de 0 à 100 000"))]
    #[schema(minimum = 0, maximum = 100000, default = 0)]
    pub postes_coordinateur: i64,
}

impl From<&PartHote> for DomainPart {
    fn from(part: &PartHote) -> Self {
        DomainPart {
            structure_id: part.structure_id.clone(),
            postes: part.postes,
            postes_coordinateur: part.postes_coordinateur,
        }
    }
}

impl From<DomainPart> for PartHote {
    fn from(part: DomainPart) -> Self {
        PartHote {
            structure_id: part.structure_id,
            postes: part.postes,
            postes_coordinateur: part.postes_coordinateur,
        }
    }
}

/// Le projet d'accueil : la répartition de tous les postes attribués entre structures d'accueil.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "repartition": [
        {"structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "postes": 50},
        {"structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91", "postes": 30}
    ],
    "lieux_prevus": 12, "date_depot": "2021-03-30"
}))]
pub struct ProjetAccueil {
    /// Répartition des postes : chaque structure une fois ; la somme doit égaler les postes
    /// attribués (`repartition_incomplete` sinon).
    #[validate(length(min = 1, max = 200, message = "1 à 200 structures"), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub repartition: Vec<PartHote>,
    /// Nombre de lieux d'activité prévus.
    #[validate(range(min = 0, max = 100000, message = "de 0 à 100 000"))]
    #[schema(minimum = 0, maximum = 100000)]
    pub lieux_prevus: Option<i64>,
    /// Date de dépôt (aujourd'hui par défaut ; ni dans le futur, ni avant la signature).
    #[schema(value_type = Option<String>, format = Date)]
    pub date_depot: Option<NaiveDate>,
}

/// La validation du projet d'accueil.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date_validation": "2021-04-15"}))]
pub struct Validation {
    /// Date de validation (aujourd'hui par défaut ; ni dans le futur, ni avant le dépôt).
    #[schema(value_type = Option<String>, format = Date)]
    pub date_validation: Option<NaiveDate>,
}

/// La résiliation d'une convention.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"motif": "Projet d'accueil abandonné par les signataires.", "date_resiliation": "2021-06-01"}))]
pub struct Resiliation {
    /// Motif de la résiliation.
    #[validate(
        length(min = 1, max = 1000, message = "1 à 1 000 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 1000)]
    pub motif: String,
    /// Date de résiliation (aujourd'hui par défaut ; ni dans le futur, ni avant l'étape
    /// précédente).
    #[schema(value_type = Option<String>, format = Date)]
    pub date_resiliation: Option<NaiveDate>,
}

/// La clôture d'une convention exécutée.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date_cloture": "2023-04-15"}))]
pub struct Cloture {
    /// Date de clôture (aujourd'hui par défaut ; ni dans le futur, ni avant la validation).
    #[schema(value_type = Option<String>, format = Date)]
    pub date_cloture: Option<NaiveDate>,
}

/// Un avenant à enregistrer.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "ajout", "nombre_postes": 5, "motif": "Extension au quartier des Courtillières."}))]
pub struct NouvelAvenant {
    /// Ajout ou retrait de postes.
    #[serde(rename = "type")]
    pub type_avenant: TypeAvenant,
    /// Nombre de postes ajoutés ou retirés. Un retrait ne descend jamais sous les postes déjà
    /// pourvus (`postes_insuffisants`).
    #[validate(range(min = 1, max = 100000, message = "de 1 à 100 000"))]
    #[schema(minimum = 1, maximum = 100000)]
    pub nombre_postes: i64,
    /// Motif.
    #[validate(
        length(min = 1, max = 1000, message = "1 à 1 000 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 1000)]
    pub motif: String,
    /// Nouvelle répartition de tous les postes après l'avenant : obligatoire une fois le projet
    /// d'accueil déposé, refusée avant.
    #[validate(length(min = 1, max = 200, message = "1 à 200 structures"), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub repartition: Option<Vec<PartHote>>,
}

/// Une convention entre l'État et les collectivités d'un département.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91", "numero": "CNFS-93-2021-0001",
    "departement": "93", "region": "11",
    "intitule": "Conseillers numériques France Services — Seine-Saint-Denis",
    "statut": "signee", "postes_attribues": 80, "postes_pourvus": 0, "delai_projet_mois": 2,
    "date_signature": "2021-02-08", "date_limite_projet": "2021-04-08", "date_depot": null,
    "lieux_prevus": null, "date_validation": null, "date_cloture": null,
    "date_resiliation": null, "motif_resiliation": null,
    "signataires": ["01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"], "repartition": [],
    "en_retard": false, "jours_restants": 38,
    "actions_possibles": ["modification", "projet_accueil", "avenant", "resiliation"],
    "version": 2, "cree_le": "2021-02-01T09:00:00.000000Z", "modifie_le": "2021-02-08T15:00:00.000000Z"
}))]
pub struct Convention {
    /// Identifiant.
    pub id: ConventionId,
    /// Numéro lisible et unique : département, année de création, rang dans le département.
    pub numero: String,
    /// Département.
    pub departement: CodeDepartement,
    /// Région du département.
    pub region: CodeRegion,
    /// Intitulé.
    pub intitule: String,
    /// Statut.
    pub statut: StatutConvention,
    /// Postes attribués (suivent les avenants).
    pub postes_attribues: i64,
    /// Postes pourvus : compteur tenu par les écritures (un contrat ajoute son titulaire, une
    /// rupture le retire) ; un contrat à durée déterminée arrivé à son terme sans autre écriture
    /// y reste compté jusqu'au contrat suivant de la personne (l'état du jour :
    /// `GET /conventions/{id}/postes`, les postes, les statistiques).
    pub postes_pourvus: i64,
    /// Délai de dépôt du projet d'accueil après la signature, en mois.
    pub delai_projet_mois: i64,
    /// Date de signature.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_signature: Option<NaiveDate>,
    /// Date limite de dépôt du projet d'accueil.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_limite_projet: Option<NaiveDate>,
    /// Date de dépôt du projet d'accueil.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_depot: Option<NaiveDate>,
    /// Lieux d'activité prévus par le projet.
    pub lieux_prevus: Option<i64>,
    /// Date de validation du projet.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_validation: Option<NaiveDate>,
    /// Date de clôture.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_cloture: Option<NaiveDate>,
    /// Date de résiliation.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_resiliation: Option<NaiveDate>,
    /// Motif de la résiliation.
    pub motif_resiliation: Option<String>,
    /// Structures signataires.
    pub signataires: Vec<StructureId>,
    /// Répartition des postes entre structures d'accueil (vide avant le projet).
    pub repartition: Vec<PartHote>,
    /// Signée, date limite passée, aucun projet déposé (calculé au jour de Paris).
    pub en_retard: bool,
    /// Jours restants avant la date limite du projet (négatif une fois passée) ; null quand aucun
    /// projet n'est attendu.
    pub jours_restants: Option<i64>,
    /// Actions que permet le statut actuel.
    pub actions_possibles: Vec<ActionConvention>,
    /// Version de l'enregistrement : l'`ETag` de la réponse, à renvoyer dans `If-Match`.
    pub version: i64,
    /// Création (RFC 3339, UTC).
    pub cree_le: String,
    /// Dernière modification (RFC 3339, UTC).
    pub modifie_le: String,
}

/// The fields computed from "today", left out of the journal's before/after.
pub const DERIVED_FIELDS: [&str; 3] = ["en_retard", "jours_restants", "actions_possibles"];

impl Convention {
    /// The convention as seen on `today`.
    pub fn of(c: domain::Convention, today: NaiveDate) -> Self {
        Convention {
            en_retard: domain::en_retard(c.statut, c.date_limite_projet, today),
            jours_restants: domain::jours_restants(c.statut, c.date_limite_projet, today),
            actions_possibles: allowed_actions(c.statut),
            id: c.id,
            numero: c.numero,
            departement: c.departement,
            region: c.region,
            intitule: c.intitule,
            statut: c.statut,
            postes_attribues: c.postes_attribues,
            postes_pourvus: c.postes_pourvus,
            delai_projet_mois: c.delai_projet_mois,
            date_signature: c.date_signature,
            date_limite_projet: c.date_limite_projet,
            date_depot: c.date_depot,
            lieux_prevus: c.lieux_prevus,
            date_validation: c.date_validation,
            date_cloture: c.date_cloture,
            date_resiliation: c.date_resiliation,
            motif_resiliation: c.motif_resiliation,
            signataires: c.signataires,
            repartition: c.repartition.into_iter().map(PartHote::from).collect(),
            version: c.version,
            cree_le: c.cree_le,
            modifie_le: c.modifie_le,
        }
    }
}

crate::page_dto! {
    /// Une page de conventions, les plus récentes d'abord.
    #[schema(example = json!({"items": [], "next_cursor": null}))]
    ConventionPage, Convention, "Les conventions de cette page.",
}

/// The query parameters of the list (declared once, with what its repo function reads).
pub use crate::domain::filter::ConventionFilter;

/// Un avenant : postes ajoutés ou retirés, gardé dans l'historique de la convention.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f92", "convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91",
    "rang": 1, "type": "ajout", "nombre_postes": 5, "motif": "Extension au quartier des Courtillières.",
    "postes_avant": 80, "postes_apres": 85, "auteur": "agent@seine-saint-denis.gouv.fr",
    "cree_le": "2021-09-01T10:00:00.000000Z"
}))]
pub struct Avenant {
    /// Identifiant.
    pub id: AvenantId,
    /// Convention amendée.
    pub convention_id: ConventionId,
    /// Rang dans l'historique de la convention (1, 2…).
    pub rang: i64,
    /// Ajout ou retrait.
    #[serde(rename = "type")]
    pub type_avenant: TypeAvenant,
    /// Postes ajoutés ou retirés.
    pub nombre_postes: i64,
    /// Motif.
    pub motif: String,
    /// Postes attribués avant l'avenant.
    pub postes_avant: i64,
    /// Postes attribués après l'avenant.
    pub postes_apres: i64,
    /// Auteur (sujet du jeton de l'agent : une donnée personnelle) ; null pour les rôles qui ne
    /// lisent pas le journal (`lecteur`, `structure`).
    pub auteur: Option<String>,
    /// Enregistrement (RFC 3339, UTC).
    pub cree_le: String,
}

impl Avenant {
    /// The avenant as shown to a caller who may (`true`) or may not see who made it.
    pub fn shown(a: domain::Avenant, sees_author: bool) -> Self {
        let mut avenant = Avenant::from(a);
        if !sees_author {
            avenant.auteur = None;
        }
        avenant
    }
}

impl From<domain::Avenant> for Avenant {
    fn from(a: domain::Avenant) -> Self {
        Avenant {
            id: a.id,
            convention_id: a.convention_id,
            rang: a.rang,
            type_avenant: a.type_avenant,
            nombre_postes: a.nombre_postes,
            motif: a.motif,
            postes_avant: a.postes_avant,
            postes_apres: a.postes_apres,
            auteur: Some(a.auteur),
            cree_le: a.cree_le,
        }
    }
}

/// L'historique des avenants d'une convention, dans l'ordre (la liste vient entière :
/// `next_cursor` est toujours null).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct AvenantList {
    /// Les avenants, par rang.
    pub items: Vec<Avenant>,
    /// Toujours null : la liste vient entière.
    pub next_cursor: Option<String>,
}

/// Le bilan d'un employeur sur une enveloppe à barèmes (voir `GET /conventions/{id}/bilan`).
#[derive(Debug, Serialize, ToSchema)]
pub struct BilanEmployeur {
    /// L'employeur.
    pub structure_id: StructureId,
    /// L'enveloppe.
    pub enveloppe_id: EnveloppeId,
    /// Ses postes dans la convention.
    pub postes: i64,
    /// Montant par poste de son barème, en centimes.
    pub montant_par_poste_centimes: i64,
    /// Durée de son barème, en mois.
    pub duree_mois: i64,
    /// Premier jour de sa période de financement : la date de son premier engagement.
    #[schema(value_type = String, format = Date)]
    pub debut: NaiveDate,
    /// Dernier jour de sa période de financement.
    #[schema(value_type = String, format = Date)]
    pub fin: NaiveDate,
    /// Jours de la période.
    pub jours_periode: i64,
    /// Mois financés : postes × durée.
    pub mois_finances: i64,
    /// Jours de la période couverts par un contrat sur l'un de ses postes (un contrat sans fin
    /// connue court jusqu'à la fin de la période).
    pub jours_occupes: i64,
    /// Mois occupés : jours occupés × durée ÷ jours de la période, au centième.
    pub mois_occupes: f64,
    /// Versé, en centimes.
    pub verse_centimes: i64,
    /// Dû : montant par poste × jours occupés ÷ jours de la période, au centime.
    pub du_centimes: i64,
    /// Avoir prévisionnel : versé − dû s'il est positif, 0 sinon.
    pub avoir_centimes: i64,
}

/// Les totaux d'un bilan.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotauxBilan {
    /// Mois financés.
    pub mois_finances: i64,
    /// Mois occupés, au centième.
    pub mois_occupes: f64,
    /// Versé.
    pub verse_centimes: i64,
    /// Dû.
    pub du_centimes: i64,
    /// Avoirs prévisionnels.
    pub avoir_centimes: i64,
}

/// Le bilan d'une convention : pour chaque employeur et chaque enveloppe à barèmes qui le
/// finance, ce que ses postes occupés justifient de ce qui lui a été versé.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = exemple_bilan)]
pub struct BilanConvention {
    /// La convention.
    pub convention_id: ConventionId,
    /// Par employeur et enveloppe.
    pub employeurs: Vec<BilanEmployeur>,
    /// Les totaux.
    pub totaux: TotauxBilan,
}

impl BilanConvention {
    /// The balance's read model.
    pub fn of(convention_id: ConventionId, lignes: Vec<crate::domain::bilan::LigneBilan>) -> Self {
        let centiemes: i64 = lignes
            .iter()
            .map(|l| l.bilan.centiemes_mois_occupes())
            .sum();
        let employeurs: Vec<BilanEmployeur> = lignes
            .into_iter()
            .map(|l| BilanEmployeur {
                mois_occupes: l.bilan.centiemes_mois_occupes() as f64 / 100.0,
                structure_id: l.structure_id,
                enveloppe_id: l.enveloppe_id,
                postes: l.financement.postes,
                montant_par_poste_centimes: l.financement.montant_par_poste_centimes,
                duree_mois: l.financement.duree_mois,
                debut: l.bilan.debut,
                fin: l.bilan.fin,
                jours_periode: l.bilan.jours_periode,
                mois_finances: l.bilan.mois_finances,
                jours_occupes: l.bilan.jours_occupes,
                verse_centimes: l.bilan.verse_centimes,
                du_centimes: l.bilan.du_centimes,
                avoir_centimes: l.bilan.avoir_centimes,
            })
            .collect();
        BilanConvention {
            convention_id,
            totaux: TotauxBilan {
                mois_finances: employeurs.iter().map(|e| e.mois_finances).sum(),
                mois_occupes: centiemes as f64 / 100.0,
                verse_centimes: employeurs.iter().map(|e| e.verse_centimes).sum(),
                du_centimes: employeurs.iter().map(|e| e.du_centimes).sum(),
                avoir_centimes: employeurs.iter().map(|e| e.avoir_centimes).sum(),
            },
            employeurs,
        }
    }
}

/// One post at 50,000 € over 24 months, vacant its first seven months, paid whole.
fn exemple_bilan() -> serde_json::Value {
    let ligne = serde_json::json!({
        "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f01",
        "enveloppe_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f94",
        "postes": 1, "montant_par_poste_centimes": 5_000_000, "duree_mois": 24,
        "debut": "2021-03-01", "fin": "2023-02-28", "jours_periode": 730, "mois_finances": 24,
        "jours_occupes": 516, "mois_occupes": 16.96, "verse_centimes": 5_000_000,
        "du_centimes": 3_534_247, "avoir_centimes": 1_465_753
    });
    serde_json::json!({
        "convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91",
        "employeurs": [ligne],
        "totaux": {"mois_finances": 24, "mois_occupes": 16.96, "verse_centimes": 5_000_000,
                   "du_centimes": 3_534_247, "avoir_centimes": 1_465_753}
    })
}

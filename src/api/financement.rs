//! Bodies and parameters of `/api/v1/enveloppes`, `/api/v1/engagements` and `/api/v1/versements`.
//! Amounts are integer euro cents (`*_centimes`), from 1 to 10^15.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::structure::not_blank;
use crate::domain::bareme::{Bareme, EtatTranche, FinancementEmployeur};
use crate::domain::codes::CodeDepartement;
use crate::domain::financement::{
    self as domain, ActionEngagement, ActionVersement, NatureEnveloppe, SoldeDepartement,
    StatutEngagement, StatutVersement,
};
use crate::domain::ids::{ConventionId, EngagementId, EnveloppeId, StructureId, VersementId};
use crate::domain::lifecycle::allowed_actions;
use serde_json::json;

/// Une enveloppe de financement à créer.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "libelle": "Plan de relance — conseillers numériques", "financeur": "DGCL — Plan de relance",
    "programme_budgetaire": "364", "nature": "postes_conseillers",
    "montant_centimes": 20000000000i64, "date_debut": "2021-01-01", "date_fin": "2023-12-31",
    "objectif_postes": 4000,
    "baremes": [
        {"categorie": "public", "territoire_prioritaire": false, "montant_par_poste_centimes": 5000000,
         "duree_mois": 24, "tranches": [{"rang": 1, "montant_centimes": 5000000, "mois_apres_debut": 0}]},
        {"categorie": "prive", "territoire_prioritaire": false, "montant_par_poste_centimes": 5000000,
         "duree_mois": 18, "tranches": [{"rang": 1, "montant_centimes": 5000000, "mois_apres_debut": 0}]}
    ]
}))]
pub struct NouvelleEnveloppe {
    /// Libellé.
    #[validate(
        length(min = 1, max = 300, message = "1 à 300 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub libelle: String,
    /// Financeur (« DGCL — Plan de relance », « Ministère de la Ville »).
    #[validate(
        length(min = 1, max = 300, message = "1 à 300 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub financeur: String,
    /// Programme budgétaire (« 364 »), facultatif.
    #[validate(length(min = 1, max = 50, message = "1 à 50 caractères"))]
    #[schema(min_length = 1, max_length = 50)]
    pub programme_budgetaire: Option<String>,
    /// Ce que finance l'enveloppe.
    pub nature: NatureEnveloppe,
    /// Montant, en centimes (1 à 10^15).
    #[validate(range(
        min = 1,
        max = 1_000_000_000_000_000i64,
        message = "de 1 à 10^15 centimes"
    ))]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000i64)]
    pub montant_centimes: i64,
    /// Premier jour de la période des engagements.
    #[schema(value_type = String, format = Date)]
    pub date_debut: NaiveDate,
    /// Dernier jour de la période des engagements (pas avant `date_debut`).
    #[schema(value_type = String, format = Date)]
    pub date_fin: NaiveDate,
    /// Le seul département que sert l'enveloppe, si elle est départementale.
    pub perimetre_departement: Option<CodeDepartement>,
    /// Postes que l'enveloppe vise à financer.
    #[validate(range(min = 1, max = 1_000_000, message = "de 1 à 1 000 000"))]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub objectif_postes: Option<i64>,
    /// Barèmes : au plus un par couple (catégorie d'employeur, territoire prioritaire). Ils
    /// bornent les engagements de chaque convention (les postes de chacun de ses employeurs ×
    /// son barème) et en donnent le montant par défaut. Sans barème (matériel, connexion…),
    /// chaque engagement dit son montant. Se remplacent ensuite par
    /// `PUT /enveloppes/{id}/baremes`.
    #[serde(default)]
    #[schema(max_items = 4)]
    pub baremes: Vec<Bareme>,
}

/// Les barèmes d'une enveloppe, qui remplacent tous les précédents : une liste (vide : plus de
/// barème). Les règles (un barème par couple, rangs de 1 à n, tranches dans la durée et dans
/// l'ordre, dont la somme fait le montant par poste) sont celles de `domain::bareme`, vérifiées
/// par le cas d'usage, chaque faute à son pointeur JSON dans la liste.
#[derive(Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NouveauxBaremes(pub Vec<Bareme>);

/// Its schema, written out: an array of at most four tariffs (one per pair), which the derive
/// cannot say of a newtype.
impl utoipa::PartialSchema for NouveauxBaremes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let one = |categorie: &str, montant: i64, tranches: [i64; 3]| {
            serde_json::json!({"categorie": categorie, "territoire_prioritaire": false,
                   "montant_par_poste_centimes": montant, "duree_mois": 36, "tranches": [
                {"rang": 1, "montant_centimes": tranches[0], "mois_apres_debut": 0},
                {"rang": 2, "montant_centimes": tranches[1], "mois_apres_debut": 12},
                {"rang": 3, "montant_centimes": tranches[2], "mois_apres_debut": 24}]})
        };
        let example = serde_json::json!([
            one("public", 4_250_000, [1_750_000, 1_250_000, 1_250_000]),
            one("prive", 4_400_000, [2_000_000, 1_400_000, 1_000_000]),
        ]);
        #[allow(deprecated)] // `example`, as every derived schema of the spec writes it
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(utoipa::openapi::Ref::from_schema_name("Bareme"))
            .max_items(Some(4))
            .description(Some(
                "Les barèmes d'une enveloppe, qui remplacent tous les précédents : au plus un par \
                 couple (`categorie`, `territoire_prioritaire`) ; vide : plus de barème. Chaque \
                 faute est refusée (422 `validation`) à son pointeur JSON dans la liste.",
            ))
            .example(Some(example))
            .into()
    }
}

impl ToSchema for NouveauxBaremes {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("NouveauxBaremes")
    }
}

impl Validate for NouveauxBaremes {
    /// Nothing to check field by field: the list's rules are the domain's
    /// (`domain::bareme::check_baremes`), run by the use case with their pointers.
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

/// Les champs modifiables d'une enveloppe (les autres fixent les règles des engagements déjà
/// pris : nature, périmètre ; les barèmes se remplacent par `PUT …/baremes`). Un champ absent ne
/// change pas.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"montant_centimes": 21000000000i64, "date_fin": "2024-06-30"}))]
pub struct ModificationEnveloppe {
    /// Libellé.
    #[validate(
        length(min = 1, max = 300, message = "1 à 300 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub libelle: Option<String>,
    /// Financeur.
    #[validate(
        length(min = 1, max = 300, message = "1 à 300 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub financeur: Option<String>,
    /// Programme budgétaire.
    #[validate(length(min = 1, max = 50, message = "1 à 50 caractères"))]
    #[schema(min_length = 1, max_length = 50)]
    pub programme_budgetaire: Option<String>,
    /// Montant, en centimes : jamais sous ce qui est engagé ni sous la somme des plafonds
    /// (409 `montant_insuffisant`).
    #[validate(range(
        min = 1,
        max = 1_000_000_000_000_000i64,
        message = "de 1 à 10^15 centimes"
    ))]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000i64)]
    pub montant_centimes: Option<i64>,
    /// Premier jour de la période : elle doit couvrir les engagements pris
    /// (409 `periode_incompatible`).
    #[schema(value_type = Option<String>, format = Date)]
    pub date_debut: Option<NaiveDate>,
    /// Dernier jour de la période.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_fin: Option<NaiveDate>,
    /// Postes visés.
    #[validate(range(min = 1, max = 1_000_000, message = "de 1 à 1 000 000"))]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub objectif_postes: Option<i64>,
}

/// Le plafond d'un département dans une enveloppe, avec ce qui y est engagé.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "departement": "93", "plafond_centimes": 400000000, "engage_centimes": 400000000,
    "verse_centimes": 0, "disponible_centimes": 0
}))]
pub struct Plafond {
    /// Département.
    pub departement: CodeDepartement,
    /// Plafond, en centimes.
    pub plafond_centimes: i64,
    /// Engagé dans le département.
    pub engage_centimes: i64,
    /// Versé dans le département.
    pub verse_centimes: i64,
    /// Ce qui peut encore y être engagé (sous réserve du disponible de l'enveloppe).
    pub disponible_centimes: i64,
}

/// Une enveloppe de financement et ses soldes : l'engagé (engagements actifs et parts versées
/// des engagements annulés), le versé et le disponible, ainsi que ses plafonds départementaux.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f94", "libelle": "Plan de relance — conseillers numériques",
    "financeur": "DGCL — Plan de relance", "programme_budgetaire": "364",
    "nature": "postes_conseillers", "montant_centimes": 20000000000i64,
    "date_debut": "2021-01-01", "date_fin": "2023-12-31", "perimetre_departement": null,
    "objectif_postes": 4000,
    "baremes": [{"categorie": "public", "territoire_prioritaire": false,
                 "montant_par_poste_centimes": 5000000, "duree_mois": 24,
                 "tranches": [{"rang": 1, "montant_centimes": 5000000, "mois_apres_debut": 0}]}],
    "engage_centimes": 400000000, "verse_centimes": 100000000, "disponible_centimes": 19600000000i64,
    "plafonds": [{"departement": "93", "plafond_centimes": 400000000, "engage_centimes": 400000000,
                  "verse_centimes": 100000000, "disponible_centimes": 0}],
    "version": 2, "cree_le": "2021-01-04T09:00:00.000000Z", "modifie_le": "2021-01-05T10:00:00.000000Z"
}))]
pub struct Enveloppe {
    /// Identifiant.
    pub id: EnveloppeId,
    /// Libellé.
    pub libelle: String,
    /// Financeur.
    pub financeur: String,
    /// Programme budgétaire.
    pub programme_budgetaire: Option<String>,
    /// Ce que finance l'enveloppe.
    pub nature: NatureEnveloppe,
    /// Montant, en centimes.
    pub montant_centimes: i64,
    /// Premier jour de la période des engagements.
    #[schema(value_type = String, format = Date)]
    pub date_debut: NaiveDate,
    /// Dernier jour de la période des engagements.
    #[schema(value_type = String, format = Date)]
    pub date_fin: NaiveDate,
    /// Le seul département que sert l'enveloppe ; null pour une enveloppe nationale.
    pub perimetre_departement: Option<CodeDepartement>,
    /// Postes visés.
    pub objectif_postes: Option<i64>,
    /// Barèmes par couple (catégorie d'employeur, territoire prioritaire) : public avant privé,
    /// chacun hors puis en territoire prioritaire. Vide : l'enveloppe ne finance pas des postes
    /// au barème, chaque engagement dit son montant.
    pub baremes: Vec<Bareme>,
    /// Engagé : engagements actifs et parts versées des engagements annulés.
    pub engage_centimes: i64,
    /// Versé (versements non annulés).
    pub verse_centimes: i64,
    /// Disponible : montant − engagé.
    pub disponible_centimes: i64,
    /// Plafonds départementaux, par code de département.
    pub plafonds: Vec<Plafond>,
    /// Version de l'enregistrement : l'`ETag` de la réponse, à renvoyer dans `If-Match`. Les
    /// mouvements d'argent ne la changent pas.
    pub version: i64,
    /// Création (RFC 3339, UTC).
    pub cree_le: String,
    /// Dernière modification (RFC 3339, UTC).
    pub modifie_le: String,
}

impl Enveloppe {
    /// The envelope with its tariffs and its départements' money (those with a ceiling are
    /// shown).
    pub fn of(
        e: domain::Enveloppe,
        departements: Vec<SoldeDepartement>,
        baremes: Vec<Bareme>,
    ) -> Self {
        Enveloppe {
            baremes,
            disponible_centimes: e.disponible_centimes(),
            plafonds: departements
                .into_iter()
                .filter_map(|d| {
                    d.plafond_centimes.map(|plafond| Plafond {
                        disponible_centimes: domain::disponible(plafond, d.engage_centimes),
                        departement: d.departement,
                        plafond_centimes: plafond,
                        engage_centimes: d.engage_centimes,
                        verse_centimes: d.verse_centimes,
                    })
                })
                .collect(),
            id: e.id,
            libelle: e.libelle,
            financeur: e.financeur,
            programme_budgetaire: e.programme_budgetaire,
            nature: e.nature,
            montant_centimes: e.montant_centimes,
            date_debut: e.date_debut,
            date_fin: e.date_fin,
            perimetre_departement: e.perimetre_departement,
            objectif_postes: e.objectif_postes,
            engage_centimes: e.engage_centimes,
            verse_centimes: e.verse_centimes,
            version: e.version,
            cree_le: e.cree_le,
            modifie_le: e.modifie_le,
        }
    }
}

crate::page_dto! {
    /// Une page d'enveloppes, les plus récentes d'abord.
    #[schema(example = json!({"items": [], "next_cursor": null}))]
    EnveloppePage, Enveloppe, "Les enveloppes de cette page.",
}

/// The query parameters of the list (declared once, with what its repo function reads).
pub use crate::domain::filter::{EngagementFilter, EnveloppeFilter};

/// Le plafond d'un département.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"plafond_centimes": 400000000}))]
pub struct NouveauPlafond {
    /// Plafond, en centimes : avec les autres plafonds, au plus le montant de l'enveloppe
    /// (`plafonds_excedentaires`) ; jamais sous ce qui est engagé dans le département
    /// (`plafond_insuffisant`).
    #[validate(range(
        min = 1,
        max = 1_000_000_000_000_000i64,
        message = "de 1 à 10^15 centimes"
    ))]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000i64)]
    pub plafond_centimes: i64,
}

/// Un engagement de crédits à prendre sur l'enveloppe, pour une convention.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91",
    "beneficiaire_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f01",
    "objet": "Subvention de 5 postes de conseillers numériques sur 24 mois",
    "date_engagement": "2021-03-01"
}))]
pub struct NouvelEngagement {
    /// La convention financée : signée et non terminée.
    pub convention_id: ConventionId,
    /// L'employeur de la convention à qui l'engagement est dû : un hôte de sa répartition (ou,
    /// avant elle, un signataire). Facultatif quand la convention n'a qu'un employeur.
    pub beneficiaire_id: Option<StructureId>,
    /// Montant, en centimes ; par défaut, ce que les barèmes de l'enveloppe accordent au
    /// bénéficiaire (ses postes × le barème de son couple ; obligatoire quand aucun barème ne
    /// s'applique).
    #[validate(range(
        min = 1,
        max = 1_000_000_000_000_000i64,
        message = "de 1 à 10^15 centimes"
    ))]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000i64)]
    pub montant_centimes: Option<i64>,
    /// Date de l'engagement (aujourd'hui par défaut) : ni dans le futur, ni avant la signature de
    /// la convention, dans la période de l'enveloppe.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_engagement: Option<NaiveDate>,
    /// Objet.
    #[validate(
        length(min = 1, max = 1000, message = "1 à 1 000 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 1000)]
    pub objet: String,
}

/// L'annulation d'un engagement ou d'un versement.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"motif": "Poste non pourvu : crédits rendus à l'enveloppe."}))]
pub struct Annulation {
    /// Motif.
    #[validate(
        length(min = 1, max = 1000, message = "1 à 1 000 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 1000)]
    pub motif: String,
    /// Date de l'annulation (aujourd'hui par défaut) : ni dans le futur, ni avant la date de ce
    /// qui est annulé.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_annulation: Option<NaiveDate>,
}

/// Un engagement de crédits d'une enveloppe envers une convention.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = exemple_engagement)]
pub struct Engagement {
    /// Identifiant.
    pub id: EngagementId,
    /// Enveloppe.
    pub enveloppe_id: EnveloppeId,
    /// Convention financée.
    pub convention_id: ConventionId,
    /// Département de la convention.
    pub departement: CodeDepartement,
    /// L'employeur de la convention à qui il est dû (son bénéficiaire).
    pub beneficiaire_id: StructureId,
    /// Montant engagé à l'origine, en centimes.
    pub montant_centimes: i64,
    /// Versé (versements non annulés).
    pub verse_centimes: i64,
    /// Ce qu'il compte dans l'engagé : son montant s'il est actif, sa part versée s'il est
    /// annulé.
    pub engage_centimes: i64,
    /// Ce qui peut encore être versé (0 une fois annulé).
    pub reste_a_verser_centimes: i64,
    /// Date de l'engagement.
    #[schema(value_type = String, format = Date)]
    pub date_engagement: NaiveDate,
    /// Objet.
    pub objet: String,
    /// Statut.
    pub statut: StatutEngagement,
    /// Date de l'annulation.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_annulation: Option<NaiveDate>,
    /// Motif de l'annulation.
    pub motif_annulation: Option<String>,
    /// Actions que permet le statut actuel.
    pub actions_possibles: Vec<ActionEngagement>,
    /// Version de l'enregistrement (change à chaque versement ou annulation).
    pub version: i64,
    /// Création (RFC 3339, UTC).
    pub cree_le: String,
    /// Dernière modification (RFC 3339, UTC).
    pub modifie_le: String,
}

impl From<domain::Engagement> for Engagement {
    fn from(e: domain::Engagement) -> Self {
        Engagement {
            engage_centimes: e.engage_centimes(),
            reste_a_verser_centimes: e.reste_a_verser_centimes(),
            actions_possibles: allowed_actions(e.statut),
            id: e.id,
            enveloppe_id: e.enveloppe_id,
            convention_id: e.convention_id,
            departement: e.departement,
            beneficiaire_id: e.beneficiaire_id,
            montant_centimes: e.montant_centimes,
            verse_centimes: e.verse_centimes,
            date_engagement: e.date_engagement,
            objet: e.objet,
            statut: e.statut,
            date_annulation: e.date_annulation,
            motif_annulation: e.motif_annulation,
            version: e.version,
            cree_le: e.cree_le,
            modifie_le: e.modifie_le,
        }
    }
}

crate::page_dto! {
    /// Une page d'engagements, les plus récents d'abord.
    #[schema(example = json!({"items": [], "next_cursor": null}))]
    EngagementPage, Engagement, "Les engagements de cette page.",
}

/// Un versement à enregistrer sur un engagement actif.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "tranche": 1, "date_versement": "2021-04-01", "reference": "MANDAT-2021-000123"
}))]
pub struct NouveauVersement {
    /// Montant, en centimes : les versements ne dépassent jamais l'engagement
    /// (409 `versement_excessif`). Par défaut, quand `tranche` est donnée, le montant de cette
    /// tranche pour les postes du bénéficiaire ; obligatoire sinon.
    #[validate(range(
        min = 1,
        max = 1_000_000_000_000_000i64,
        message = "de 1 à 10^15 centimes"
    ))]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000i64)]
    pub montant_centimes: Option<i64>,
    /// Rang de la tranche du barème du bénéficiaire que paie ce versement : une tranche n'est
    /// versée qu'une fois par engagement (409 `tranche_deja_versee` ; un versement annulé la
    /// libère). 422 quand l'enveloppe n'a pas de barème pour le bénéficiaire ou que le barème n'a
    /// pas ce rang.
    #[validate(range(min = 1, max = 120, message = "de 1 à 120"))]
    #[schema(minimum = 1, maximum = 120)]
    pub tranche: Option<i64>,
    /// Date du versement : ni dans le futur, ni avant la date de l'engagement.
    #[schema(value_type = String, format = Date)]
    pub date_versement: NaiveDate,
    /// Référence comptable (mandat, virement).
    #[validate(
        length(min = 1, max = 100, message = "1 à 100 caractères"),
        custom(function = "not_blank")
    )]
    #[schema(min_length = 1, max_length = 100)]
    pub reference: String,
}

/// Un versement fait au titre d'un engagement.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = exemple_versement)]
pub struct Versement {
    /// Identifiant.
    pub id: VersementId,
    /// Engagement payé.
    pub engagement_id: EngagementId,
    /// Montant, en centimes.
    pub montant_centimes: i64,
    /// Date du versement.
    #[schema(value_type = String, format = Date)]
    pub date_versement: NaiveDate,
    /// Référence comptable.
    pub reference: String,
    /// Rang de la tranche du barème du bénéficiaire qu'il paie, s'il en nomme une.
    pub tranche: Option<i64>,
    /// Statut.
    pub statut: StatutVersement,
    /// Date de l'annulation.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_annulation: Option<NaiveDate>,
    /// Motif de l'annulation.
    pub motif_annulation: Option<String>,
    /// Actions que permet le statut actuel.
    pub actions_possibles: Vec<ActionVersement>,
    /// Enregistrement (RFC 3339, UTC).
    pub cree_le: String,
}

impl From<domain::Versement> for Versement {
    fn from(v: domain::Versement) -> Self {
        Versement {
            actions_possibles: allowed_actions(v.statut),
            id: v.id,
            engagement_id: v.engagement_id,
            montant_centimes: v.montant_centimes,
            date_versement: v.date_versement,
            reference: v.reference,
            tranche: v.tranche,
            statut: v.statut,
            date_annulation: v.date_annulation,
            motif_annulation: v.motif_annulation,
            cree_le: v.cree_le,
        }
    }
}

crate::page_dto! {
    /// Une page de versements, dans l'ordre où ils ont été enregistrés.
    #[schema(example = json!({"items": [], "next_cursor": null}))]
    VersementPage, Versement, "Les versements de cette page.",
}

/// Le paramètre `simulation` de `POST …/engagements` et de `POST …/versements`.
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct SimulationQuery {
    /// `true` : applique toutes les règles, sous les mêmes verrous, puis n'écrit rien (ni ligne,
    /// ni journal, ni réponse enregistrée sous la clé d'idempotence) ; répond 200 avec ce que
    /// l'opération aurait fait et les soldes qu'elle aurait laissés, ou le même refus que
    /// l'opération réelle. `false` ou absent : l'opération réelle.
    pub simulation: Option<bool>,
}

impl SimulationQuery {
    /// Whether the request asks for a simulation.
    pub fn active(&self) -> bool {
        self.simulation == Some(true)
    }
}

/// Les soldes d'une enveloppe après l'opération simulée.
#[derive(Debug, Serialize, ToSchema)]
pub struct SoldeEnveloppeSimule {
    /// Montant, en centimes.
    pub montant_centimes: i64,
    /// Engagé.
    pub engage_centimes: i64,
    /// Versé.
    pub verse_centimes: i64,
    /// Disponible : montant − engagé.
    pub disponible_centimes: i64,
}

/// Ce que les barèmes de l'enveloppe accordent à la convention, et ce qu'elle y a engagé, après
/// l'opération simulée.
#[derive(Debug, Serialize, ToSchema)]
pub struct SoldeConventionSimule {
    /// Postes de la convention.
    pub postes: i64,
    /// Ce que les barèmes lui accordent : les postes de chacun de ses employeurs × son barème.
    pub maximum_centimes: i64,
    /// Engagé pour elle sur l'enveloppe.
    pub engage_centimes: i64,
    /// Ce qui peut encore lui être engagé (sous réserve du plafond et de l'enveloppe).
    pub disponible_centimes: i64,
}

/// Les soldes que l'opération simulée laisserait : l'enveloppe, le département de la convention
/// (son plafond s'il en a un) et, sur une enveloppe à barèmes, la convention.
#[derive(Debug, Serialize, ToSchema)]
pub struct SoldesSimules {
    /// L'enveloppe.
    pub enveloppe: SoldeEnveloppeSimule,
    /// Le département de la convention dans l'enveloppe ; `plafond_centimes` et
    /// `disponible_centimes` valent null sans plafond.
    pub departement: SoldeDepartementSimule,
    /// La convention, sur une enveloppe à barèmes ; null sinon.
    pub convention: Option<SoldeConventionSimule>,
    /// Le bénéficiaire de l'engagement pour cette convention, sur une enveloppe à barèmes ; null
    /// sinon.
    pub beneficiaire: Option<SoldeBeneficiaireSimule>,
}

/// Ce que les barèmes de l'enveloppe accordent au bénéficiaire pour la convention, et ce qui lui
/// y est engagé, après l'opération simulée.
#[derive(Debug, Serialize, ToSchema)]
pub struct SoldeBeneficiaireSimule {
    /// L'employeur.
    pub beneficiaire_id: StructureId,
    /// Ses postes dans la convention.
    pub postes: i64,
    /// Ce que son barème lui accorde : ses postes × le montant par poste.
    pub maximum_centimes: i64,
    /// Engagé pour lui au titre de la convention sur l'enveloppe.
    pub engage_centimes: i64,
    /// Ce qui peut encore lui être engagé (sous réserve de la convention, du plafond et de
    /// l'enveloppe).
    pub disponible_centimes: i64,
}

/// Le département de la convention dans l'enveloppe, après l'opération simulée.
#[derive(Debug, Serialize, ToSchema)]
pub struct SoldeDepartementSimule {
    /// Département.
    pub departement: CodeDepartement,
    /// Plafond, s'il en a un.
    pub plafond_centimes: Option<i64>,
    /// Engagé dans le département.
    pub engage_centimes: i64,
    /// Versé dans le département.
    pub verse_centimes: i64,
    /// Ce qui peut encore y être engagé sous son plafond ; null sans plafond.
    pub disponible_centimes: Option<i64>,
}

impl From<domain::SoldesApres> for SoldesSimules {
    fn from(soldes: domain::SoldesApres) -> Self {
        let (e, d) = (soldes.enveloppe, soldes.departement);
        SoldesSimules {
            enveloppe: SoldeEnveloppeSimule {
                disponible_centimes: e.disponible_centimes(),
                montant_centimes: e.montant_centimes,
                engage_centimes: e.engage_centimes,
                verse_centimes: e.verse_centimes,
            },
            departement: SoldeDepartementSimule {
                disponible_centimes: d
                    .plafond_centimes
                    .map(|plafond| domain::disponible(plafond, d.engage_centimes)),
                departement: d.departement,
                plafond_centimes: d.plafond_centimes,
                engage_centimes: d.engage_centimes,
                verse_centimes: d.verse_centimes,
            },
            convention: soldes.convention.map(|c| SoldeConventionSimule {
                disponible_centimes: domain::disponible(c.maximum_centimes, c.engage_centimes),
                postes: c.postes,
                maximum_centimes: c.maximum_centimes,
                engage_centimes: c.engage_centimes,
            }),
            beneficiaire: soldes.beneficiaire.map(|b| SoldeBeneficiaireSimule {
                disponible_centimes: domain::disponible(
                    b.financement.maximum_centimes,
                    b.financement.engage_centimes,
                ),
                beneficiaire_id: b.structure_id,
                postes: b.financement.postes,
                maximum_centimes: b.financement.maximum_centimes,
                engage_centimes: b.financement.engage_centimes,
            }),
        }
    }
}

/// Une simulation d'engagement : l'engagement tel qu'il serait pris (son identifiant n'existe
/// pas) et les soldes qu'il laisserait. Rien n'est écrit.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = exemple_simulation_engagement)]
pub struct SimulationEngagement {
    /// Toujours vrai : rien n'a été écrit.
    pub simulation: bool,
    /// L'engagement tel qu'il serait pris.
    pub engagement: Engagement,
    /// Les soldes qu'il laisserait.
    pub soldes: SoldesSimules,
}

/// Une simulation de versement : le versement tel qu'il serait enregistré (son identifiant
/// n'existe pas), l'engagement après lui et les soldes qu'il laisserait. Rien n'est écrit.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = exemple_simulation_versement)]
pub struct SimulationVersement {
    /// Toujours vrai : rien n'a été écrit.
    pub simulation: bool,
    /// Le versement tel qu'il serait enregistré.
    pub versement: Versement,
    /// L'engagement après lui.
    pub engagement: Engagement,
    /// Les soldes qu'il laisserait.
    pub soldes: SoldesSimules,
}

/// The example of a commitment (`verse`: paid so far; its version follows its payments): a
/// commune's 5 posts of an 80-post convention at 50,000 € a post.
fn engagement_exemple(verse: i64) -> serde_json::Value {
    let montant = 25_000_000i64;
    json!({
        "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f95", "enveloppe_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f94",
        "convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91", "departement": "93",
        "beneficiaire_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f01",
        "montant_centimes": montant, "verse_centimes": verse, "engage_centimes": montant,
        "reste_a_verser_centimes": montant - verse, "date_engagement": "2021-03-01",
        "objet": "Subvention de 5 postes de conseillers numériques sur 24 mois", "statut": "actif",
        "date_annulation": null, "motif_annulation": null,
        "actions_possibles": ["versement", "annulation"], "version": if verse > 0 { 2 } else { 1 },
        "cree_le": "2021-03-01T10:00:00.000000Z",
        "modifie_le": if verse > 0 { "2021-04-01T10:00:00.000000Z" } else { "2021-03-01T10:00:00.000000Z" }
    })
}

/// The first instalment paid on [`engagement_exemple`].
const VERSEMENT_EXEMPLE_CENTIMES: i64 = 12_500_000;

fn exemple_engagement() -> serde_json::Value {
    engagement_exemple(VERSEMENT_EXEMPLE_CENTIMES)
}

fn exemple_versement() -> serde_json::Value {
    json!({
        "id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f96", "engagement_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f95",
        "montant_centimes": VERSEMENT_EXEMPLE_CENTIMES, "date_versement": "2021-04-01",
        "reference": "MANDAT-2021-000123", "tranche": 1,
        "statut": "effectue", "date_annulation": null, "motif_annulation": null,
        "actions_possibles": ["annulation"], "cree_le": "2021-04-01T10:00:00.000000Z"
    })
}

/// The balances of the examples after the commitment (`verse`: paid on it): a 200 M€ envelope,
/// a 4 M€ ceiling in the 93, the convention's 80 posts and the commune's 5.
fn soldes_exemple(verse: i64) -> serde_json::Value {
    let (envelope, plafond, engage) = (20_000_000_000i64, 400_000_000i64, 25_000_000i64);
    json!({
        "enveloppe": {"montant_centimes": envelope, "engage_centimes": engage,
                      "verse_centimes": verse, "disponible_centimes": envelope - engage},
        "departement": {"departement": "93", "plafond_centimes": plafond,
                        "engage_centimes": engage, "verse_centimes": verse,
                        "disponible_centimes": plafond - engage},
        "convention": {"postes": 80, "maximum_centimes": 400_000_000i64,
                       "engage_centimes": engage, "disponible_centimes": 400_000_000i64 - engage},
        "beneficiaire": {"beneficiaire_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f01", "postes": 5,
                         "maximum_centimes": engage, "engage_centimes": engage,
                         "disponible_centimes": 0}
    })
}

fn exemple_simulation_engagement() -> serde_json::Value {
    json!({"simulation": true, "engagement": engagement_exemple(0), "soldes": soldes_exemple(0)})
}

fn exemple_simulation_versement() -> serde_json::Value {
    json!({
        "simulation": true,
        "versement": exemple_versement(),
        "engagement": exemple_engagement(),
        "soldes": soldes_exemple(VERSEMENT_EXEMPLE_CENTIMES)
    })
}

/// Une tranche de l'échéancier d'un employeur : le montant de la tranche de son barème pour ses
/// postes, son échéance (le début de son financement, la date de son premier engagement, plus
/// les mois de la tranche) et son état.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrancheEcheancier {
    /// Rang dans le barème.
    pub rang: i64,
    /// Montant de la tranche par poste × les postes de l'employeur, en centimes.
    pub montant_centimes: i64,
    /// Échéance.
    #[schema(value_type = String, format = Date)]
    pub echeance: NaiveDate,
    /// Versé par les versements non annulés qui la nomment.
    pub verse_centimes: i64,
    /// `versee` (un versement la nomme), `echue` (échéance passée, rien versé), `a_venir`.
    pub etat: EtatTranche,
}

/// Ce qu'un employeur reçoit d'une enveloppe au titre d'une convention.
#[derive(Debug, Serialize, ToSchema)]
pub struct LigneFinancement {
    /// Enveloppe.
    pub enveloppe_id: EnveloppeId,
    /// Convention.
    pub convention_id: ConventionId,
    /// Ses postes dans la convention aujourd'hui (0 s'il n'y emploie plus).
    pub postes: i64,
    /// Sur une enveloppe à barèmes : ses postes × son barème ; null sans barème.
    pub maximum_centimes: Option<i64>,
    /// Engagé : montants des engagements actifs, parts versées des engagements annulés.
    pub engage_centimes: i64,
    /// Versé : versements non annulés.
    pub verse_centimes: i64,
    /// Ce qui reste à verser sur ses engagements actifs.
    pub reste_a_verser_centimes: i64,
    /// Ses engagements, du plus ancien au plus récent.
    pub engagements: Vec<EngagementId>,
    /// L'échéancier de son barème ; vide sans barème pour son couple.
    pub tranches: Vec<TrancheEcheancier>,
}

/// Le financement d'une structure : ce qu'elle reçoit, par enveloppe et convention, et les totaux.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = exemple_financement_structure)]
pub struct FinancementStructure {
    /// La structure.
    pub structure_id: StructureId,
    /// Engagé en sa faveur, toutes lignes.
    pub engage_centimes: i64,
    /// Versé, toutes lignes.
    pub verse_centimes: i64,
    /// Reste à verser, toutes lignes.
    pub reste_a_verser_centimes: i64,
    /// Par enveloppe et convention.
    pub lignes: Vec<LigneFinancement>,
}

impl FinancementStructure {
    /// The read model of a structure's funding lines.
    pub fn of(structure_id: StructureId, lignes: Vec<FinancementEmployeur>) -> Self {
        FinancementStructure {
            structure_id,
            engage_centimes: lignes.iter().map(|l| l.engage_centimes).sum(),
            verse_centimes: lignes.iter().map(|l| l.verse_centimes).sum(),
            reste_a_verser_centimes: lignes.iter().map(|l| l.reste_a_verser_centimes).sum(),
            lignes: lignes
                .into_iter()
                .map(|l| LigneFinancement {
                    enveloppe_id: l.enveloppe_id,
                    convention_id: l.convention_id,
                    postes: l.postes,
                    maximum_centimes: l.maximum_centimes,
                    engage_centimes: l.engage_centimes,
                    verse_centimes: l.verse_centimes,
                    reste_a_verser_centimes: l.reste_a_verser_centimes,
                    engagements: l.engagements,
                    tranches: l
                        .tranches
                        .into_iter()
                        .map(|t| TrancheEcheancier {
                            rang: t.rang,
                            montant_centimes: t.montant_centimes,
                            echeance: t.echeance,
                            verse_centimes: t.verse_centimes,
                            etat: t.etat,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A commune's 5 public posts in priority territory under the renewal's tariff, its first
/// instalment paid.
fn exemple_financement_structure() -> serde_json::Value {
    json!({
        "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f01",
        "engage_centimes": 25_000_000i64, "verse_centimes": 10_000_000i64,
        "reste_a_verser_centimes": 15_000_000i64,
        "lignes": [{
            "enveloppe_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f94",
            "convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91",
            "postes": 5, "maximum_centimes": 25_000_000i64,
            "engage_centimes": 25_000_000i64, "verse_centimes": 10_000_000i64,
            "reste_a_verser_centimes": 15_000_000i64,
            "engagements": ["01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f95"],
            "tranches": [
                {"rang": 1, "montant_centimes": 10_000_000i64, "echeance": "2023-03-01",
                 "verse_centimes": 10_000_000i64, "etat": "versee"},
                {"rang": 2, "montant_centimes": 8_750_000i64, "echeance": "2024-03-01",
                 "verse_centimes": 0, "etat": "echue"},
                {"rang": 3, "montant_centimes": 6_250_000i64, "echeance": "2025-03-01",
                 "verse_centimes": 0, "etat": "a_venir"}
            ]
        }]
    })
}

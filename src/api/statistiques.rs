//! Bodies and parameters of `/api/v1/statistiques`: one shape at every level (national, région,
//! département). Counts and sums only: no personal data.

use chrono::NaiveDate;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use validator::Validate;

use crate::domain::activite::{Apport, Thematique, TypeLieu};
use crate::domain::conseiller::{StatutConseiller, TypeContrat};
use crate::domain::convention::StatutConvention;
use crate::domain::financement::NatureEnveloppe;
use crate::domain::statistiques::{self as domain, par_thematique};

/// The territory, posts and money of the statistics are the domain's own figures: their French
/// docs are the spec's.
pub use crate::domain::statistiques::{Financement, Postes, Territoire};

/// Les conseillers par statut, déduit de leurs contrats à la date du calcul (les personnes
/// enregistrées sans contrat n'y sont pas), et la part recrutée localement.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"en_poste": 41, "sorti": 2, "recrutement_local_pct": 62.8}))]
pub struct Conseillers {
    /// En poste : un contrat court ou doit commencer.
    pub en_poste: i64,
    /// Sortis : le dernier jour de leurs contrats est passé.
    pub sorti: i64,
    /// Part des conseillers recrutés (tous statuts) qui résidaient dans le département de leur
    /// convention, en pourcentage à une décimale ; null sans conseiller.
    pub recrutement_local_pct: Option<f64>,
}

/// Les conventions par statut, et celles en retard.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"brouillon": 0, "signee": 1, "projet_depose": 0, "en_execution": 3, "terminee": 0, "resiliee": 0, "en_retard": 1}))]
pub struct Conventions {
    /// En préparation.
    pub brouillon: i64,
    /// Signées, projet d'accueil attendu.
    pub signee: i64,
    /// Projet déposé, en attente de validation.
    pub projet_depose: i64,
    /// En exécution.
    pub en_execution: i64,
    /// Terminées.
    pub terminee: i64,
    /// Résiliées.
    pub resiliee: i64,
    /// Signées dont la date limite du projet est passée sans projet déposé (calculé à la lecture).
    pub en_retard: i64,
}

/// Les contrats en vigueur, par type.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"cdi": 12, "cdd": 20, "pec": 3, "contrat_de_projet": 6, "titulaire": 0}))]
pub struct ContratsParType {
    /// Contrats à durée indéterminée.
    pub cdi: i64,
    /// Contrats à durée déterminée.
    pub cdd: i64,
    /// Parcours emploi compétences.
    pub pec: i64,
    /// Contrats de projet.
    pub contrat_de_projet: i64,
    /// Fonctionnaires titulaires.
    pub titulaire: i64,
}

/// Les contrats en vigueur le jour du calcul, par type, et ceux à durée déterminée dont la fin
/// prévue arrive dans les 60 jours (renouvellement ou vacance à prévoir).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"en_vigueur": 41, "par_type": {"cdi": 12, "cdd": 20, "pec": 3, "contrat_de_projet": 6, "titulaire": 0}, "fin_dans_60_jours": 4}))]
pub struct Contrats {
    /// Contrats en vigueur (commencés, ni rompus, ni arrivés à leur terme).
    pub en_vigueur: i64,
    /// Les mêmes, par type.
    pub par_type: ContratsParType,
    /// Contrats à durée déterminée en vigueur dont la fin prévue (`date_fin`) est dans les 60
    /// jours, aujourd'hui compris.
    pub fin_dans_60_jours: i64,
}

/// La certification des conseillers (par leur département actuel), le jour du calcul.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"formes": 30, "certifies": 24, "part_certifies": 80.0, "en_retard": 2}))]
pub struct Certifications {
    /// Conseillers formés : leur formation initiale est terminée (ou une certification est
    /// réussie, une formation reprise du premier modèle n'ayant pas de fin connue).
    pub formes: i64,
    /// Conseillers certifiés : au moins une certification réussie.
    pub certifies: i64,
    /// Part des formés qui sont certifiés, en %, une décimale (null sans formé).
    pub part_certifies: Option<f64>,
    /// Conseillers en retard : formation initiale terminée depuis plus de six mois, aucune
    /// certification réussie (`certification_en_retard`).
    pub en_retard: i64,
}

/// Les activités d'un mois.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"mois": "2021-09", "nombre": 12, "participants": 60}))]
pub struct Mois {
    /// Le mois, `AAAA-MM`.
    pub mois: String,
    /// Activités.
    pub nombre: i64,
    /// Participants.
    pub participants: i64,
}

/// Le nombre d'activités par thématique : une clé par thématique de la liste, toujours toutes.
#[derive(Debug)]
pub struct ParThematique(pub Vec<(Thematique, i64)>);

impl Serialize for ParThematique {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (theme, count) in &self.0 {
            map.serialize_entry(theme.as_str(), count)?;
        }
        map.end()
    }
}

impl PartialSchema for ParThematique {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new().description(Some(
            "Le nombre d'activités par thématique : une clé par thématique de la liste, toujours toutes.",
        ));
        for theme in Thematique::TEXTS {
            object = object
                .property(
                    *theme,
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .format(Some(schema::SchemaFormat::KnownFormat(
                            schema::KnownFormat::Int64,
                        )))
                        .minimum(Some(0)),
                )
                .required(*theme);
        }
        object
            .additional_properties(Some(schema::AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl ToSchema for ParThematique {}

/// Les activités par lieu : dans un lieu d'activité, au domicile, à distance, ailleurs.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"lieu_activite": 280, "domicile": 12, "a_distance": 15, "autre": 5}))]
pub struct ParTypeLieu {
    /// Dans un lieu d'activité du conseiller.
    pub lieu_activite: i64,
    /// Au domicile de la personne accompagnée.
    pub domicile: i64,
    /// À distance.
    pub a_distance: i64,
    /// Ailleurs (atelier itinérant, lieu partenaire).
    pub autre: i64,
}

impl ParTypeLieu {
    /// The counts of a sum, in the order of [`TypeLieu::ALL`].
    pub fn of(apport: &Apport) -> ParTypeLieu {
        let n = |t: TypeLieu| apport.par_type_lieu[t.index()];
        ParTypeLieu {
            lieu_activite: n(TypeLieu::LieuActivite),
            domicile: n(TypeLieu::Domicile),
            a_distance: n(TypeLieu::ADistance),
            autre: n(TypeLieu::Autre),
        }
    }
}

/// Les activités : totaux, par thématique, par lieu, par mois.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"nombre": 312, "participants": 1480, "heures": 520.5,
    "par_thematique": {"echanger_avec_ses_proches": 20, "trouver_un_emploi": 40, "accompagner_scolarite": 12,
        "donnees_personnelles": 8, "verifier_les_informations": 5, "demarches_en_ligne": 90,
        "prendre_en_main_un_equipement": 70, "naviguer_sur_internet": 30, "courriels": 25,
        "securite_numerique": 10, "sante": 15, "budget": 7, "autre": 3},
    "par_type_lieu": {"lieu_activite": 280, "domicile": 12, "a_distance": 15, "autre": 5},
    "par_mois": [{"mois": "2021-09", "nombre": 12, "participants": 60}]}))]
pub struct Activites {
    /// Activités (ateliers et accompagnements).
    pub nombre: i64,
    /// Participants.
    pub participants: i64,
    /// Heures d'activité (une décimale).
    pub heures: f64,
    /// Activités par thématique (une activité compte pour chacune de ses thématiques).
    pub par_thematique: ParThematique,
    /// Activités par lieu (`type_lieu`).
    pub par_type_lieu: ParTypeLieu,
    /// Par mois, dans l'ordre, les mois sans activité omis.
    pub par_mois: Vec<Mois>,
}

/// The example of a territory's statistics (Seine-Saint-Denis), also the item of the list's.
fn example_statistiques() -> Value {
    json!({
        "territoire": {"niveau": "departement", "code": "93", "nom": "Seine-Saint-Denis"},
        "postes": {"objectif": 80, "attribues": 80, "pourvus": 41, "vacants": 39, "taux_pourvus_pct": 51.3,
            "par_etat": {"vacant": 37, "occupe": 41, "rendu": 2},
            "par_typologie": {"conseiller": {"vacant": 36, "occupe": 40, "rendu": 2},
                "coordinateur": {"vacant": 1, "occupe": 1, "rendu": 0}},
            "vacants_plus_de_180_jours": 4},
        "conseillers": {"en_poste": 41, "sorti": 2, "recrutement_local_pct": 62.8},
        "conventions": {"brouillon": 0, "signee": 1, "projet_depose": 0, "en_execution": 3, "terminee": 0, "resiliee": 0, "en_retard": 1},
        "contrats": {"en_vigueur": 41, "par_type": {"cdi": 12, "cdd": 20, "pec": 3, "contrat_de_projet": 6, "titulaire": 0}, "fin_dans_60_jours": 4},
        "certifications": {"formes": 30, "certifies": 24, "part_certifies": 80.0, "en_retard": 2},
        "financement": [{"nature": "postes_conseillers", "montant_centimes": 400000000, "engage_centimes": 400000000, "verse_centimes": 120000000, "disponible_centimes": 0}],
        "activites": {"nombre": 312, "participants": 1480, "heures": 520.5,
            "par_thematique": {"echanger_avec_ses_proches": 20, "trouver_un_emploi": 40, "accompagner_scolarite": 12,
                "donnees_personnelles": 8, "verifier_les_informations": 5, "demarches_en_ligne": 90,
                "prendre_en_main_un_equipement": 70, "naviguer_sur_internet": 30, "courriels": 25,
                "securite_numerique": 10, "sante": 15, "budget": 7, "autre": 3},
            "par_type_lieu": {"lieu_activite": 280, "domicile": 12, "a_distance": 15, "autre": 5},
            "par_mois": [{"mois": "2021-09", "nombre": 12, "participants": 60}]}
    })
}

/// Les statistiques d'un territoire : postes, conseillers, conventions, financement, activités.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = example_statistiques)]
pub struct Statistiques {
    /// Le territoire.
    pub territoire: Territoire,
    /// Les postes.
    pub postes: Postes,
    /// Les conseillers.
    pub conseillers: Conseillers,
    /// Les conventions.
    pub conventions: Conventions,
    /// Les contrats en vigueur.
    pub contrats: Contrats,
    /// La certification des conseillers.
    pub certifications: Certifications,
    /// L'argent, une ligne par nature d'enveloppe concernant le territoire.
    pub financement: Vec<Financement>,
    /// Les activités (filtrées par `du` et `au`).
    pub activites: Activites,
}

/// The example of the list: one territory.
fn example_statistiques_liste() -> Value {
    json!({"items": [example_statistiques()]})
}

/// Les statistiques de chaque territoire d'un niveau, pour dessiner une carte en un appel.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = example_statistiques_liste)]
pub struct StatistiquesListe {
    /// Un élément par territoire, par code.
    pub items: Vec<Statistiques>,
}

fn count<S: PartialEq + Copy>(all: &[S], counts: &[i64], which: S) -> i64 {
    all.iter()
        .zip(counts)
        .find(|(s, _)| **s == which)
        .map_or(0, |(_, n)| *n)
}

impl From<domain::Statistiques> for Statistiques {
    fn from(s: domain::Statistiques) -> Self {
        let c = |statut| count(StatutConseiller::ALL, &s.conseillers.par_statut, statut);
        let v = |statut| count(StatutConvention::ALL, &s.conventions.par_statut, statut);
        let k = |type_contrat| count(TypeContrat::ALL, &s.contrats.par_type, type_contrat);
        Statistiques {
            territoire: s.territoire,
            postes: s.postes,
            conseillers: Conseillers {
                en_poste: c(StatutConseiller::EnPoste),
                sorti: c(StatutConseiller::Sorti),
                recrutement_local_pct: s.conseillers.recrutement_local_pct,
            },
            conventions: Conventions {
                brouillon: v(StatutConvention::Brouillon),
                signee: v(StatutConvention::Signee),
                projet_depose: v(StatutConvention::ProjetDepose),
                en_execution: v(StatutConvention::EnExecution),
                terminee: v(StatutConvention::Terminee),
                resiliee: v(StatutConvention::Resiliee),
                en_retard: s.conventions.en_retard,
            },
            contrats: Contrats {
                en_vigueur: s.contrats.par_type.iter().sum(),
                par_type: ContratsParType {
                    cdi: k(TypeContrat::Cdi),
                    cdd: k(TypeContrat::Cdd),
                    pec: k(TypeContrat::Pec),
                    contrat_de_projet: k(TypeContrat::ContratDeProjet),
                    titulaire: k(TypeContrat::Titulaire),
                },
                fin_dans_60_jours: s.contrats.fin_proche,
            },
            certifications: Certifications {
                formes: s.certifications.formes,
                certifies: s.certifications.certifies,
                part_certifies: domain::pourcentage(
                    s.certifications.certifies,
                    s.certifications.formes,
                ),
                en_retard: s.certifications.en_retard,
            },
            financement: s.financement,
            activites: Activites {
                nombre: s.activites.total.nombre,
                participants: s.activites.total.participants,
                heures: s.activites.heures,
                par_thematique: ParThematique(par_thematique(&s.activites.total)),
                par_type_lieu: ParTypeLieu::of(&s.activites.total),
                par_mois: s
                    .activites
                    .par_mois
                    .into_iter()
                    .map(|(mois, a)| Mois {
                        mois,
                        nombre: a.nombre,
                        participants: a.participants,
                    })
                    .collect(),
            },
        }
    }
}

/// Période des activités comptées (les autres chiffres sont ceux du jour).
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PeriodeQuery {
    /// Seulement les activités à partir de cette date (incluse).
    #[param(value_type = Option<String>, format = Date)]
    pub du: Option<NaiveDate>,
    /// Seulement les activités jusqu'à cette date (incluse) ; avant `du`, la période est vide.
    #[param(value_type = Option<String>, format = Date)]
    pub au: Option<NaiveDate>,
}

/// [`colonnes_csv`], computed once, as the `'static` header an export declares.
pub static COLONNES_CSV: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    colonnes_csv()
        .into_iter()
        .map(|column| &*column.leak())
        .collect()
});

/// The columns of `statistiques-departements.csv`: the statistics of a territory flattened, each
/// name the path of its JSON field joined by `_` (money per nature of envelope, activities per
/// theme; the months are left out).
pub fn colonnes_csv() -> Vec<String> {
    let mut columns: Vec<String> = [
        "code",
        "nom",
        "postes_objectif",
        "postes_attribues",
        "postes_pourvus",
        "postes_vacants",
        "postes_taux_pourvus_pct",
        "postes_par_etat_vacant",
        "postes_par_etat_occupe",
        "postes_par_etat_rendu",
        "postes_par_typologie_conseiller_vacant",
        "postes_par_typologie_conseiller_occupe",
        "postes_par_typologie_conseiller_rendu",
        "postes_par_typologie_coordinateur_vacant",
        "postes_par_typologie_coordinateur_occupe",
        "postes_par_typologie_coordinateur_rendu",
        "postes_vacants_plus_de_180_jours",
        "conseillers_en_poste",
        "conseillers_sorti",
        "conseillers_recrutement_local_pct",
        "conventions_brouillon",
        "conventions_signee",
        "conventions_projet_depose",
        "conventions_en_execution",
        "conventions_terminee",
        "conventions_resiliee",
        "conventions_en_retard",
        "contrats_en_vigueur",
        "contrats_par_type_cdi",
        "contrats_par_type_cdd",
        "contrats_par_type_pec",
        "contrats_par_type_contrat_de_projet",
        "contrats_par_type_titulaire",
        "contrats_fin_dans_60_jours",
        "certifications_formes",
        "certifications_certifies",
        "certifications_part_certifies",
        "certifications_en_retard",
    ]
    .iter()
    .map(|c| (*c).to_owned())
    .collect();
    for nature in NatureEnveloppe::ALL {
        for sum in ["montant", "engage", "verse", "disponible"] {
            columns.push(format!("financement_{nature}_{sum}_centimes"));
        }
    }
    columns.extend(
        [
            "activites_nombre",
            "activites_participants",
            "activites_heures",
        ]
        .iter()
        .map(|c| (*c).to_owned()),
    );
    for theme in Thematique::ALL {
        columns.push(format!("activites_par_thematique_{theme}"));
    }
    for place in TypeLieu::ALL {
        columns.push(format!("activites_par_type_lieu_{place}"));
    }
    columns
}

/// One row of `statistiques-departements.csv`, in the order of [`colonnes_csv`]; an absent value
/// (no goal, nothing to divide by) is an empty field.
pub fn ligne_csv(s: &Statistiques) -> Vec<String> {
    let optional = |v: Option<String>| v.unwrap_or_default();
    let mut row = vec![
        s.territoire.code.clone().unwrap_or_default(),
        s.territoire.nom.clone(),
        optional(s.postes.objectif.map(|n| n.to_string())),
        s.postes.attribues.to_string(),
        s.postes.pourvus.to_string(),
        s.postes.vacants.to_string(),
        optional(s.postes.taux_pourvus_pct.map(|p| p.to_string())),
    ];
    let typologies = &s.postes.par_typologie;
    for etats in [
        &s.postes.par_etat,
        &typologies.conseiller,
        &typologies.coordinateur,
    ] {
        row.extend([etats.vacant, etats.occupe, etats.rendu].map(|n| n.to_string()));
    }
    row.extend([
        s.postes.vacants_plus_de_180_jours.to_string(),
        s.conseillers.en_poste.to_string(),
        s.conseillers.sorti.to_string(),
        optional(s.conseillers.recrutement_local_pct.map(|p| p.to_string())),
        s.conventions.brouillon.to_string(),
        s.conventions.signee.to_string(),
        s.conventions.projet_depose.to_string(),
        s.conventions.en_execution.to_string(),
        s.conventions.terminee.to_string(),
        s.conventions.resiliee.to_string(),
        s.conventions.en_retard.to_string(),
    ]);
    let k = &s.contrats;
    row.extend(
        [
            k.en_vigueur,
            k.par_type.cdi,
            k.par_type.cdd,
            k.par_type.pec,
            k.par_type.contrat_de_projet,
            k.par_type.titulaire,
            k.fin_dans_60_jours,
        ]
        .map(|n| n.to_string()),
    );
    let c = &s.certifications;
    row.extend([
        c.formes.to_string(),
        c.certifies.to_string(),
        optional(c.part_certifies.map(|p| p.to_string())),
        c.en_retard.to_string(),
    ]);
    for nature in NatureEnveloppe::ALL {
        let line = s.financement.iter().find(|f| f.nature == *nature);
        for value in [
            line.map(|f| f.montant_centimes),
            line.map(|f| f.engage_centimes),
            line.map(|f| f.verse_centimes),
            line.map(|f| f.disponible_centimes),
        ] {
            row.push(value.unwrap_or(0).to_string());
        }
    }
    row.push(s.activites.nombre.to_string());
    row.push(s.activites.participants.to_string());
    row.push(s.activites.heures.to_string());
    for (_, count) in &s.activites.par_thematique.0 {
        row.push(count.to_string());
    }
    let lieux = &s.activites.par_type_lieu;
    row.extend(
        [
            lieux.lieu_activite,
            lieux.domicile,
            lieux.a_distance,
            lieux.autre,
        ]
        .map(|n| n.to_string()),
    );
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::statistiques::{NiveauTerritoire, compose};

    #[test]
    fn a_csv_row_has_a_value_per_column() {
        let stats: Statistiques = compose(
            Territoire {
                niveau: NiveauTerritoire::Departement,
                code: Some("93".to_owned()),
                nom: "Seine-Saint-Denis".to_owned(),
            },
            &[],
            None,
            &[],
            &[],
        )
        .into();
        let columns = colonnes_csv();
        let row = ligne_csv(&stats);
        assert_eq!(row.len(), columns.len());
        assert_eq!(
            columns.len(),
            38 + 4 * NatureEnveloppe::ALL.len() + 3 + 13 + 4
        );
        assert_eq!(&row[..3], ["93", "Seine-Saint-Denis", ""]);
        let mut unique = columns.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), columns.len());
        assert_eq!(*COLONNES_CSV, columns);
    }

    #[test]
    fn the_published_schema_has_the_columns_in_order() {
        let schema: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/schemas/statistiques-departements/schema.json"
        ))
        .unwrap();
        let fields: Vec<&str> = schema["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(fields, *COLONNES_CSV);
    }
}

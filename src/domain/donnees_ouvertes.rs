//! Open data: the rows of the two national formats the exports follow, as plain functions.
//!
//! - **Subventions** (SCDL, Etalab "format-subventions"): one row per commitment, to its
//!   beneficiary (the employer it goes to, by its SIRET), for its amount: the money that moved,
//!   no share computed. An annulled commitment shows its paid part, or no row when nothing was
//!   paid.
//! - **Lieux de médiation numérique** (LaMednum standard v1.0.2): one row per lieu, every column
//!   of the standard in its order, lists joined by `|`.
//!
//! The column lists are checked against the Table Schemas shipped under `tests/schemas/` by the
//! unit tests below; `.ci/run` validates real exports against the same files with `frictionless`.

use chrono::{DateTime, NaiveDate};

use super::calendar::paris_date;
use super::codes::Siret;
use super::financement::{StatutEngagement, part_engagee};
use super::lieu::Lieu;

/// Default `nomAttribuant`: the Caisse des dépôts et consignations, which grants and pays the
/// programme's subsidies for the State (through the Banque des Territoires), under the name it
/// publishes its own subventions with (docs/OPERATIONS.md gives the source).
pub const ATTRIBUANT_NOM_DEFAUT: &str = "Caisse des dépôts et consignations";
/// Default `idAttribuant`: the SIRET of the Caisse des dépôts et consignations' head office.
pub const ATTRIBUANT_SIRET_DEFAUT: &str = "18002002600019";

/// The body that grants the money: `nomAttribuant` and `idAttribuant` of every subventions row
/// (configuration `CNFS_ATTRIBUANT_NOM`, `CNFS_ATTRIBUANT_SIRET`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribuant {
    /// Its name.
    pub nom: String,
    /// Its SIRET (Luhn key checked).
    pub siret: Siret,
}

impl Default for Attribuant {
    /// The Caisse des dépôts et consignations.
    fn default() -> Self {
        Attribuant {
            nom: ATTRIBUANT_NOM_DEFAUT.to_owned(),
            siret: Siret::parse(ATTRIBUANT_SIRET_DEFAUT)
                .expect("the default SIRET passes its own check (unit-tested)"),
        }
    }
}

/// An amount in euros for a data file: `.` as decimal separator, two decimals, no grouping
/// (`10000001` → `100000.01`). Written from the integer cents, never through a float.
pub fn montant_decimal(centimes: i64) -> String {
    let sign = if centimes < 0 { "-" } else { "" };
    let magnitude = centimes.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// The columns of the subventions format (SCDL), in order.
pub const COLONNES_SUBVENTIONS: [&str; 14] = [
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
];

/// `nature` of every row: the programme grants money.
pub const NATURE_NUMERAIRE: &str = "aide en numéraire";

/// The structure a commitment goes to: its beneficiary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beneficiaire {
    /// Its name.
    pub nom: String,
    /// Its SIRET.
    pub siret: String,
}

/// A commitment as the subventions format publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngagementPublie {
    /// The convention's signature date.
    pub date_convention: NaiveDate,
    /// The convention's number.
    pub reference: String,
    /// The commitment's purpose.
    pub objet: String,
    /// Its amount, in cents.
    pub montant_centimes: i64,
    /// Live or annulled.
    pub statut: StatutEngagement,
    /// Its live payments: date and amount in cents.
    pub versements: Vec<(NaiveDate, i64)>,
    /// Who receives it.
    pub beneficiaire: Beneficiaire,
}

impl EngagementPublie {
    /// What is published: the amount while live, the paid part (sum of live payments) once
    /// annulled.
    pub fn montant_publie(&self) -> i64 {
        let verse = self.versements.iter().map(|(_, montant)| montant).sum();
        part_engagee(self.statut, self.montant_centimes, verse)
    }
}

/// The subventions row of one commitment: to its beneficiary, for
/// [`EngagementPublie::montant_publie`]; none when nothing is to be published (an annulled
/// commitment never paid).
pub fn ligne_subvention(
    attribuant: &Attribuant,
    engagement: &EngagementPublie,
) -> Option<Vec<String>> {
    let montant = engagement.montant_publie();
    if montant <= 0 {
        return None;
    }
    let conditions = if engagement.versements.len() <= 1 {
        "unique"
    } else {
        "échelonné"
    };
    let mut dates: Vec<NaiveDate> = engagement.versements.iter().map(|(d, _)| *d).collect();
    dates.sort_unstable();
    dates.dedup();
    let dates = dates
        .iter()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect::<Vec<_>>()
        .join(";");
    Some(vec![
        attribuant.nom.clone(),
        attribuant.siret.to_string(),
        engagement.date_convention.format("%Y-%m-%d").to_string(),
        engagement.reference.clone(),
        engagement.beneficiaire.nom.clone(),
        engagement.beneficiaire.siret.clone(),
        engagement.objet.clone(),
        montant_decimal(montant),
        NATURE_NUMERAIRE.to_owned(),
        conditions.to_owned(),
        dates,
        String::new(),
        "non".to_owned(),
        String::new(),
    ])
}

/// The columns of the lieux de médiation numérique standard (v1.0.2), in order.
pub const COLONNES_LIEUX: [&str; 32] = [
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
];

/// `dispositif_programmes_nationaux` of every lieu: the programme's own.
pub const DISPOSITIF_CONSEILLERS: &str = "Conseillers numériques";

/// `source` of every lieu: the data comes from this API.
pub const SOURCE_LIEUX: &str = "cnfs-api";

/// The standard's multi-value separator.
pub const SEPARATEUR_LISTE: &str = "|";

/// The date of an instant (RFC 3339) in Europe/Paris, the programme's calendar: `date_maj`.
pub fn date_de_l_instant(instant: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(instant)
        .ok()
        .map(|moment| paris_date(moment.to_utc()))
}

fn liste<T>(values: &[T], text: impl Fn(&T) -> &str) -> String {
    values
        .iter()
        .map(text)
        .collect::<Vec<_>>()
        .join(SEPARATEUR_LISTE)
}

/// The standard's row of a lieu, `pivot` being the SIRET of the structure that runs it. The
/// columns this API does not hold stay empty. `None` when the lieu's `modifie_le` is not an
/// RFC 3339 instant (a stored value out of its form).
pub fn ligne_lieu(lieu: &Lieu, pivot: &str) -> Option<Vec<String>> {
    let date_maj = date_de_l_instant(&lieu.modifie_le)?;
    let nombre = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
    Some(vec![
        lieu.id.to_string(),
        pivot.to_owned(),
        lieu.nom.clone(),
        lieu.commune.clone(),
        lieu.code_postal.clone(),
        lieu.code_insee.to_string(),
        lieu.adresse.clone(),
        String::new(), // complement_adresse
        nombre(lieu.latitude),
        nombre(lieu.longitude),
        String::new(), // typologie
        lieu.telephone.clone().unwrap_or_default(),
        liste(&lieu.courriels, |c| c.as_str()),
        liste(&lieu.site_web, |s| s.as_str()),
        lieu.horaires.clone().unwrap_or_default(),
        String::new(), // presentation_resume
        String::new(), // presentation_detail
        SOURCE_LIEUX.to_owned(),
        liste(&lieu.itinerance, |i| i.as_str()),
        String::new(), // structure_parente
        date_maj.format("%Y-%m-%d").to_string(),
        liste(&lieu.services, |s| s.as_str()),
        liste(&lieu.publics_specifiquement_adresses, |p| p.as_str()),
        String::new(), // prise_en_charge_specifique
        String::new(), // frais_a_charge
        DISPOSITIF_CONSEILLERS.to_owned(),
        String::new(), // formations_labels
        String::new(), // autres_formations_labels
        liste(&lieu.modalites_acces, |m| m.as_str()),
        String::new(), // modalites_accompagnement
        String::new(), // fiche_acces_libre
        String::new(), // prise_rdv
    ])
}

/// The columns of `postes.csv`.
pub const COLONNES_POSTES: [&str; 8] = [
    "departement",
    "convention",
    "siret_structure",
    "nom_structure",
    "typologie",
    "etat",
    "depuis",
    "id",
];

/// A post as the open-data file publishes it: where it is and in which state, without its
/// occupant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostePublie {
    /// The post's id.
    pub id: String,
    /// Its département.
    pub departement: String,
    /// Its convention's number.
    pub convention: String,
    /// The host's SIRET.
    pub siret: String,
    /// The host's name.
    pub nom: String,
    /// Its typology.
    pub typologie: String,
    /// Its state.
    pub etat: String,
    /// The date of that state (`YYYY-MM-DD`).
    pub depuis: String,
    /// The first vacant day already known of an occupied post (`YYYY-MM-DD`).
    pub libere_le: Option<String>,
}

/// The line of `postes.csv` for a post on `today` (`YYYY-MM-DD`), in the order of
/// [`COLONNES_POSTES`]: an occupied post whose holder's contract has ended is vacant since the
/// day after (the rule of `Poste::le`).
pub fn ligne_poste(poste: &PostePublie, today: &str) -> Vec<String> {
    if poste.etat == "occupe"
        && let Some(jour) = poste
            .libere_le
            .as_ref()
            .filter(|jour| jour.as_str() <= today)
    {
        let vacant = PostePublie {
            etat: "vacant".to_owned(),
            depuis: jour.clone(),
            libere_le: None,
            ..poste.clone()
        };
        return ligne_poste(&vacant, today);
    }
    vec![
        poste.departement.clone(),
        poste.convention.clone(),
        poste.siret.clone(),
        poste.nom.clone(),
        poste.typologie.clone(),
        poste.etat.clone(),
        poste.depuis.clone(),
        poste.id.clone(),
    ]
}

/// A field of a public CSV file as written: a text a spreadsheet would run as a formula (it
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return, and is not a plain number) gets a
/// leading apostrophe, as OWASP's guidance on CSV injection says, so that it shows as text.
/// Numbers (a negative longitude, `-12.5`) and every other text are written unchanged.
pub fn sans_formule(field: &str) -> std::borrow::Cow<'_, str> {
    let formula = field.starts_with(['=', '+', '-', '@', '\t', '\r'])
        && field.trim().parse::<f64>().map_or(true, |n| !n.is_finite());
    if formula {
        std::borrow::Cow::Owned(format!("'{field}"))
    } else {
        std::borrow::Cow::Borrowed(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::{CodeDepartement, CodeInsee};
    use crate::domain::ids::{LieuId, StructureId};
    use crate::domain::lieu::{Itinerance, ModaliteAcces, PublicAdresse, Service};

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn amounts_are_written_from_cents() {
        for (centimes, written) in [
            (10_000_001, "100000.01"),
            (0, "0.00"),
            (5, "0.05"),
            (400_000_000, "4000000.00"),
            (1_000_000_000_000_000, "10000000000000.00"),
            (-150, "-1.50"),
        ] {
            assert_eq!(montant_decimal(centimes), written);
        }
    }

    #[test]
    fn the_default_attributing_body_is_the_caisse_des_depots() {
        let attribuant = Attribuant::default();
        assert_eq!(attribuant.siret.as_str(), "18002002600019");
        assert_eq!(attribuant.siret.siren().as_str(), "180020026");
        assert_eq!(attribuant.nom, "Caisse des dépôts et consignations");
    }

    fn engagement(statut: StatutEngagement, versements: &[(&str, i64)]) -> EngagementPublie {
        EngagementPublie {
            date_convention: date("2021-02-08"),
            reference: "CNFS-93-2021-0001".to_owned(),
            objet: "Postes, « 2021 »".to_owned(),
            montant_centimes: 10_000_001,
            statut,
            versements: versements.iter().map(|(d, m)| (date(d), *m)).collect(),
            beneficiaire: Beneficiaire {
                nom: "Ville A".to_owned(),
                siret: "21930000100017".to_owned(),
            },
        }
    }

    #[test]
    fn a_live_commitment_is_published_whole_to_its_beneficiary() {
        let row = ligne_subvention(
            &Attribuant::default(),
            &engagement(StatutEngagement::Actif, &[]),
        )
        .expect("a row");
        assert_eq!(
            row,
            [
                "Caisse des dépôts et consignations",
                "18002002600019",
                "2021-02-08",
                "CNFS-93-2021-0001",
                "Ville A",
                "21930000100017",
                "Postes, « 2021 »",
                "100000.01",
                "aide en numéraire",
                "unique",
                "",
                "",
                "non",
                "",
            ]
        );
        assert_eq!(row.len(), COLONNES_SUBVENTIONS.len());
    }

    #[test]
    fn payments_say_unique_or_staggered_and_their_dates() {
        let one = engagement(StatutEngagement::Actif, &[("2021-04-01", 100)]);
        let row = ligne_subvention(&Attribuant::default(), &one).unwrap();
        assert_eq!(
            (row[9].as_str(), row[10].as_str()),
            ("unique", "2021-04-01")
        );
        let two = engagement(
            StatutEngagement::Actif,
            &[("2021-06-01", 100), ("2021-04-01", 100), ("2021-06-01", 5)],
        );
        let row = ligne_subvention(&Attribuant::default(), &two).unwrap();
        assert_eq!(
            (row[9].as_str(), row[10].as_str()),
            ("échelonné", "2021-04-01;2021-06-01")
        );
    }

    #[test]
    fn an_annulled_commitment_shows_its_paid_part_or_nothing() {
        let paid = engagement(
            StatutEngagement::Annule,
            &[("2021-04-01", 200), ("2021-05-01", 101)],
        );
        let row = ligne_subvention(&Attribuant::default(), &paid).unwrap();
        assert_eq!(row[7], "3.01");
        let unpaid = engagement(StatutEngagement::Annule, &[]);
        assert!(ligne_subvention(&Attribuant::default(), &unpaid).is_none());
    }

    #[test]
    fn a_lieu_fills_every_column_of_the_standard_it_holds() {
        let lieu = Lieu {
            id: LieuId::parse("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97").unwrap(),
            structure_id: StructureId::parse("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90").unwrap(),
            nom: "Médiathèque".to_owned(),
            adresse: "1 place de la Mairie".to_owned(),
            code_postal: "93300".to_owned(),
            code_insee: CodeInsee::parse("93001").unwrap(),
            commune: "Aubervilliers".to_owned(),
            departement: CodeDepartement::parse("93").unwrap(),
            latitude: Some(48.9146),
            longitude: Some(2.3821),
            horaires: Some("Mo-Fr 09:00-12:00".to_owned()),
            telephone: Some("+33148392000".to_owned()),
            courriels: vec!["a@example.org".to_owned(), "b@example.org".to_owned()],
            site_web: vec![],
            itinerance: vec![Itinerance::Fixe, Itinerance::Itinerant],
            services: vec![Service::AideDemarches, Service::Loisirs],
            modalites_acces: vec![ModaliteAcces::SePresenter],
            publics_specifiquement_adresses: vec![PublicAdresse::Seniors],
            version: 3,
            cree_le: "2021-06-30T21:00:00.000000Z".to_owned(),
            // 23:30 UTC on 30 June is 1 July in Paris.
            modifie_le: "2021-06-30T23:30:00.000000Z".to_owned(),
        };
        let row = ligne_lieu(&lieu, "21930001900011").unwrap();
        assert_eq!(row.len(), COLONNES_LIEUX.len());
        let column =
            |name: &str| row[COLONNES_LIEUX.iter().position(|c| *c == name).unwrap()].as_str();
        for (name, expected) in [
            ("id", "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97"),
            ("pivot", "21930001900011"),
            ("commune", "Aubervilliers"),
            ("latitude", "48.9146"),
            ("courriels", "a@example.org|b@example.org"),
            ("site_web", ""),
            ("itinerance", "Fixe|Itinérant"),
            (
                "services",
                "Aide aux démarches administratives|Loisirs et créations numériques",
            ),
            ("date_maj", "2021-07-01"),
            ("dispositif_programmes_nationaux", "Conseillers numériques"),
            ("source", "cnfs-api"),
            ("complement_adresse", ""),
        ] {
            assert_eq!(column(name), expected, "{name}");
        }
        let mut broken = lieu;
        broken.modifie_le = "hier".to_owned();
        assert!(ligne_lieu(&broken, "21930001900011").is_none());
    }

    /// The field names of a shipped Table Schema, in order.
    fn schema_fields(schema: &str) -> Vec<String> {
        let schema: serde_json::Value = serde_json::from_str(schema).unwrap();
        schema["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn a_formula_is_written_as_text_and_a_number_as_itself() {
        for formula in [
            "=HYPERLINK(\"https://example.org\",\"x\")",
            "@SUM(1+1)",
            "+33 1 48",
            "-2+3+cmd|' /C calc'!A0",
            "\tTab",
            "\rCR",
            "-inf",
            "+NaN",
        ] {
            assert_eq!(sans_formule(formula), format!("'{formula}"), "{formula:?}");
        }
        for kept in [
            "-1.5536",
            "+2",
            "-12",
            "2021-09-01",
            "Médiathèque",
            "a=b",
            "",
            "'quoted",
        ] {
            assert_eq!(sans_formule(kept), kept, "{kept:?}");
        }
    }

    #[test]
    fn the_columns_are_the_schemas_in_order() {
        assert_eq!(
            schema_fields(include_str!(
                "../../tests/schemas/scdl-subventions/schema.json"
            )),
            COLONNES_SUBVENTIONS
        );
        assert_eq!(
            schema_fields(include_str!(
                "../../tests/schemas/lieux-mediation-numerique/schema.json"
            )),
            COLONNES_LIEUX
        );
        assert_eq!(
            schema_fields(include_str!("../../tests/schemas/postes/schema.json")),
            COLONNES_POSTES
        );
    }
}

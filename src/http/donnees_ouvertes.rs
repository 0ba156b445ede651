//! `/api/v1/exports/…`: the public open-data files, streamed as CSV ([`crate::http::csv`]).
//!
//! - `subventions.csv`: the commitments in the national subventions format (SCDL), one row per
//!   commitment, to its beneficiary, for its amount ([`domain::ligne_subvention`]);
//! - `lieux.csv`: the lieux in the "lieux de médiation numérique" standard
//!   ([`domain::ligne_lieu`]);
//! - `postes.csv`: the posts, where they are and in which state ([`domain::ligne_poste`]).
//!
//! None holds personal data: commitments name structures (public bodies, associations), lieux
//! are public places.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use diesel::QueryResult;
use utoipa::IntoResponses;
use utoipa::openapi::{RefOr, Response};

use crate::api::NoQuery;
use crate::api::statistiques::{COLONNES_CSV, PeriodeQuery, ligne_csv};
use crate::db::DbConn;
use crate::db::repo::donnees_ouvertes::{self as repo, Lot};
use crate::domain::codes::{CodeDepartement, CodeInsee};
use crate::domain::donnees_ouvertes::{
    self as domain, Attribuant, Beneficiaire, COLONNES_LIEUX, COLONNES_POSTES,
    COLONNES_SUBVENTIONS, EngagementPublie, PostePublie,
};
use crate::domain::financement::StatutEngagement;
use crate::domain::ids::{LieuId, StructureId};
use crate::domain::lieu::{Itinerance, Lieu, ModaliteAcces, PublicAdresse, Service};
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::csv::{self, Batch, CsvExport, TAILLE_LOT};
use crate::http::extract::StrictQuery;
use crate::operation;

/// The subventions file.
pub const SUBVENTIONS: CsvExport = CsvExport {
    filename: "subventions.csv",
    header: &COLONNES_SUBVENTIONS,
};

/// The lieux file.
pub const LIEUX: CsvExport = CsvExport {
    filename: "lieux.csv",
    header: &COLONNES_LIEUX,
};

/// The posts file.
pub const POSTES: CsvExport = CsvExport {
    filename: "postes.csv",
    header: &COLONNES_POSTES,
};

/// The 200 of `postes.csv` in the spec, its example built by the export's own rules.
pub struct PostesCsv;

impl IntoResponses for PostesCsv {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let exemple = PostePublie {
            id: "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa2".to_owned(),
            departement: "93".to_owned(),
            convention: "CNFS-93-2021-0001".to_owned(),
            siret: "21930001900011".to_owned(),
            nom: "Ville d'Aubervilliers".to_owned(),
            typologie: "conseiller".to_owned(),
            etat: "vacant".to_owned(),
            depuis: "2021-09-01".to_owned(),
            libere_le: None,
        };
        csv::ok_response(
            "Le fichier des postes, en téléchargement.",
            POSTES,
            &[domain::ligne_poste(&exemple, "2021-09-01")],
        )
    }
}

/// The example commitment of the spec: 100,000.01 € to a convention of the 93 split 5 + 3 posts,
/// paid in two instalments.
fn exemple_engagement() -> EngagementPublie {
    let date = |text: &str| text.parse().unwrap_or_default();
    EngagementPublie {
        date_convention: date("2021-02-08"),
        reference: "CNFS-93-2021-0001".to_owned(),
        objet: "Postes de conseillers numériques, 2021-2023".to_owned(),
        montant_centimes: 25_000_000,
        statut: StatutEngagement::Actif,
        versements: vec![
            (date("2021-04-01"), 10_000_000),
            (date("2021-10-01"), 7_500_000),
        ],
        beneficiaire: Beneficiaire {
            nom: "Ville d'Aubervilliers".to_owned(),
            siret: "21930001900011".to_owned(),
        },
    }
}

/// The example lieu of the spec.
fn exemple_lieu() -> Option<Vec<String>> {
    let lieu = Lieu {
        id: LieuId::parse("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97").ok()?,
        structure_id: StructureId::parse("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90").ok()?,
        nom: "Médiathèque André Breton".to_owned(),
        adresse: "1 place de la Mairie".to_owned(),
        code_postal: "93300".to_owned(),
        code_insee: CodeInsee::parse("93001").ok()?,
        commune: "Aubervilliers".to_owned(),
        departement: CodeDepartement::parse("93").ok()?,
        latitude: Some(48.9146),
        longitude: Some(2.3821),
        horaires: Some("Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00".to_owned()),
        telephone: Some("+33148392000".to_owned()),
        courriels: vec!["mediatheque@example.org".to_owned()],
        site_web: vec!["https://mediatheque.example.org/".to_owned()],
        itinerance: vec![Itinerance::Fixe],
        services: vec![Service::AideDemarches, Service::OutilsQuotidien],
        modalites_acces: vec![ModaliteAcces::SePresenter, ModaliteAcces::Telephoner],
        publics_specifiquement_adresses: vec![PublicAdresse::Seniors],
        version: 2,
        cree_le: "2021-05-03T08:00:00.000000Z".to_owned(),
        modifie_le: "2021-06-14T09:30:00.000000Z".to_owned(),
    };
    domain::ligne_lieu(&lieu, "21930001900011")
}

/// The 200 of `subventions.csv` in the spec, its example built by the export's own rules.
pub struct SubventionsCsv;

impl IntoResponses for SubventionsCsv {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        csv::ok_response(
            "Le fichier des subventions (format SCDL), en téléchargement.",
            SUBVENTIONS,
            &domain::ligne_subvention(&Attribuant::default(), &exemple_engagement())
                .into_iter()
                .collect::<Vec<_>>(),
        )
    }
}

/// The 200 of `lieux.csv` in the spec, its example built by the export's own rules.
pub struct LieuxCsv;

impl IntoResponses for LieuxCsv {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        csv::ok_response(
            "Le fichier des lieux (standard des lieux de médiation numérique), en téléchargement.",
            LIEUX,
            &exemple_lieu().into_iter().collect::<Vec<_>>(),
        )
    }
}
/// The reader of an export read by keyset batches of [`TAILLE_LOT`] (`read`: a batch after a
/// key, and the key after it): each call reads the next batch and makes its rows with `rows`; the
/// batch without a next key is the last.
fn by_lots<T: 'static>(
    read: fn(&mut DbConn, Option<&str>, usize) -> QueryResult<Lot<T>>,
    mut rows: impl FnMut(&[T]) -> Result<Vec<Vec<String>>, ApiError> + Send + 'static,
) -> impl FnMut(&mut DbConn) -> Result<Batch, ApiError> + Send + 'static {
    let mut after: Option<String> = None;
    move |conn| {
        let lot = read(conn, after.as_deref(), TAILLE_LOT)?;
        let rows = rows(&lot.items)?;
        after = lot.suivant;
        Ok(Batch {
            rows,
            last: after.is_none(),
        })
    }
}

/// Declares an export's handler: public, `GET` of a CSV file streamed by [`csv::stream`]: its
/// documentation (`file`: the `200` with its example; the `ReadErrors`), its query (`NoQuery`,
/// or the period of the statistics) and the reading body.
macro_rules! export_operation {
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal,
        file = $file:ident, query = $query:ident,
        |$req:ident, $state:ident, $parameters:ident| $body:block
    ) => {
        operation! {
            $(#[doc = $doc])+
            get $route, $name, $operation, tag = "Données ouvertes",
            params($query),
            responses($file, crate::openapi::ReadErrors),
            fn(
                $req: HttpRequest,
                $state: web::Data<AppState>,
                StrictQuery($parameters): StrictQuery<$query>,
            ) -> Result<HttpResponse, ApiError> $body
        }
    };
}

export_operation! {
    /// Exporter les subventions (SCDL)
    ///
    /// Les engagements de crédits au format national des données de subventions (SCDL) : une ligne
    /// par engagement, à son bénéficiaire (`idBeneficiaire` : le SIRET de l'employeur à qui il est
    /// dû), pour son montant : l'argent engagé, sans répartition calculée. Un engagement annulé
    /// montre sa part versée, ou aucune ligne s'il n'a rien versé. L'attribuant est configurable
    /// (la Caisse des dépôts et consignations par défaut).
    /// `montant` en euros, point décimal et deux décimales ; `conditionsVersement` : `unique` (au plus
    /// un versement) ou `échelonné` ; `datesPeriodeVersement` : les dates des versements, séparées par
    /// `;`. CSV (RFC 4180) : virgule, UTF-8, une ligne d'en-tête ; diffusé en flux, quelle que soit sa
    /// taille. Public (aucun jeton) ; aucune donnée personnelle.
    export_subventions, "/exports/subventions.csv", "exportSubventions",
    file = SubventionsCsv, query = NoQuery,
    |req, state, _query| {
        let attribuant = state.attribuant.clone();
        let reader = by_lots(repo::subventions, move |engagements| {
            Ok(engagements
                .iter()
                .filter_map(|engagement| domain::ligne_subvention(&attribuant, engagement))
                .collect())
        });
        csv::stream(&req, &state, SUBVENTIONS, reader).await
    }
}

export_operation! {
    /// Exporter les lieux (standard des lieux de médiation numérique)
    ///
    /// Les lieux d'activité selon le standard national des lieux de médiation numérique (v1.0.2) :
    /// toutes ses colonnes, dans son ordre. `pivot` : le SIRET de la structure qui tient le lieu ;
    /// `commune` : le nom de la commune dans le référentiel ; `date_maj` : la date (Europe/Paris) de
    /// sa dernière modification ; `dispositif_programmes_nationaux` : `Conseillers numériques` ;
    /// `source` : `cnfs-api` ; listes séparées par `|` ; les colonnes que l'API ne tient pas restent
    /// vides. CSV (RFC 4180) : virgule, UTF-8, une ligne d'en-tête ; diffusé en flux, quelle que soit
    /// sa taille. Public (aucun jeton).
    export_lieux, "/exports/lieux.csv", "exportLieux",
    file = LieuxCsv, query = NoQuery,
    |req, state, _query| {
        let reader = by_lots(repo::lieux, |lieux| {
            lieux
                .iter()
                .map(|(lieu, siret)| {
                    domain::ligne_lieu(lieu, siret).ok_or_else(|| {
                        ApiError::internal(format!(
                            "lieu {} : modifie_le « {} » n'est pas un instant RFC 3339",
                            lieu.id, lieu.modifie_le
                        ))
                    })
                })
                .collect()
        });
        csv::stream(&req, &state, LIEUX, reader).await
    }
}

export_operation! {
    /// Exporter les postes
    ///
    /// Les postes attribués aux structures d'accueil : une ligne par poste, avec son département,
    /// le numéro de sa convention, le SIRET et le nom de la structure qui le tient, sa typologie
    /// (`conseiller`, `coordinateur`), son état (`vacant`, `occupe`, `rendu`) et la date de cet
    /// état (`depuis`, `AAAA-MM-JJ`), puis son identifiant. CSV (RFC 4180) : virgule, UTF-8, une
    /// ligne d'en-tête ; diffusé en flux, quelle que soit sa taille. Public (aucun jeton) ; aucune
    /// donnée personnelle (ni le titulaire, ni son contrat).
    export_postes, "/exports/postes.csv", "exportPostes",
    file = PostesCsv, query = NoQuery,
    |req, state, _query| {
        let today = crate::db::repo::date_text(state.today());
        let reader = by_lots(repo::postes, move |postes| {
            Ok(postes.iter().map(|p| domain::ligne_poste(p, &today)).collect())
        });
        csv::stream(&req, &state, POSTES, reader).await
    }
}

/// The statistics of every département, flattened.
pub fn statistiques_departements() -> CsvExport {
    CsvExport {
        filename: "statistiques-departements.csv",
        header: &COLONNES_CSV,
    }
}

/// The 200 of `statistiques-departements.csv` in the spec, its example row built by the export's
/// own rules (a département without data).
pub struct StatistiquesCsv;

impl IntoResponses for StatistiquesCsv {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let vide = crate::db::repo::statistiques::Donnees::default();
        let exemple = crate::domain::statistiques::DonneesDepartement {
            code: "93".to_owned(),
            nom: "Seine-Saint-Denis".to_owned(),
            region: "11".to_owned(),
            ..Default::default()
        };
        csv::ok_response(
            "Les statistiques de chaque département, à plat, en téléchargement.",
            statistiques_departements(),
            &[ligne_csv(&crate::app::statistiques::departement(
                &vide, &exemple,
            ))],
        )
    }
}

export_operation! {
    /// Exporter les statistiques des départements
    ///
    /// Les statistiques de `GET /api/v1/statistiques/departements`, à plat : une ligne par
    /// département du référentiel, par code ; chaque colonne est le chemin de son champ JSON joint
    /// par `_` (l'argent par nature d'enveloppe, les activités par thématique ; les mois n'y sont
    /// pas). Une valeur absente (pas d'objectif, rien à diviser) est un champ vide. `du` et `au`
    /// filtrent les activités. CSV (RFC 4180) : virgule, UTF-8, une ligne d'en-tête. Public (aucun
    /// jeton) ; aucune donnée personnelle.
    export_statistiques_departements, "/exports/statistiques-departements.csv",
    "exportStatistiquesDepartements",
    file = StatistiquesCsv, query = PeriodeQuery,
    |req, state, query| {
        let PeriodeQuery { du, au } = query;
        let today = state.today();
        csv::stream(&req, &state, statistiques_departements(), move |conn| {
            let donnees = crate::db::repo::statistiques::donnees(
                conn,
                du,
                au,
                today,
                crate::db::repo::statistiques::Lecture::ParDepartement,
            )?;
            let rows = donnees
                .departements
                .iter()
                .map(|d| ligne_csv(&crate::app::statistiques::departement(&donnees, d)))
                .collect();
            Ok(Batch { rows, last: true })
        })
        .await
    }
}

/// Registers the handlers of this module.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export_subventions)
        .service(export_lieux)
        .service(export_postes)
        .service(export_statistiques_departements);
}

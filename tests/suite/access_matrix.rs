//! Access control: the role × route matrix. Every routed operation has an entry saying who may
//! call it; each role calls it on fixtures of département 93 and gets the expected status. Token
//! verification is in `tokens.rs`.

use crate::common;

use actix_web::test as actix_test;
use cnfs_api::auth::Role;
use common::{EXAMPLE_STRUCTURE_ID as STRUCTURE_ID, TestDb, call, token};
use serde_json::json;

/// Who may call each route. Every documented operation must have an entry: a new route without
/// one fails [`every_documented_operation_has_an_entry_in_the_matrix`], so that no route can
/// forget its policy.
enum Access {
    /// No token needed.
    Public,
    /// Any valid token; these roles are allowed (on the fixtures of [`seed_fixtures`], inside
    /// département 93).
    Roles(&'static [Role]),
    /// Like `Roles`, and a préfecture of another département is refused too (the route touches
    /// one object of département 93, or creates one there).
    Scoped(&'static [Role]),
}

/// One route of the matrix: its method, path, who may call it, and the JSON body an allowed
/// caller sends (writes).
struct Route {
    method: &'static str,
    path: &'static str,
    access: Access,
    body: Option<&'static str>,
    /// The status of the fixture convention a write needs.
    statut: &'static str,
}

const fn route(method: &'static str, path: &'static str, access: Access) -> Route {
    Route {
        method,
        path,
        access,
        body: None,
        statut: "signee",
    }
}

const fn write(
    method: &'static str,
    path: &'static str,
    access: Access,
    body: &'static str,
) -> Route {
    Route {
        method,
        path,
        access,
        body: Some(body),
        statut: "signee",
    }
}

/// A write on the fixture convention in `statut`.
const fn act(
    path: &'static str,
    statut: &'static str,
    access: Access,
    body: &'static str,
) -> Route {
    Route {
        method: "POST",
        path,
        access,
        body: Some(body),
        statut,
    }
}

use Role::{Admin, Prefecture, Structure as StructureRole};

const ACCESS: &[Route] = &[
    route("GET", "/health/live", Access::Public),
    route("GET", "/health/ready", Access::Public),
    route("GET", "/api/v1/regions", Access::Public),
    route("GET", "/api/v1/regions/{code}", Access::Public),
    route("GET", "/api/v1/departements", Access::Public),
    route("GET", "/api/v1/departements/{code}", Access::Public),
    route("GET", "/api/v1/communes", Access::Public),
    route("GET", "/api/v1/communes/{code_insee}", Access::Public),
    route("GET", "/api/v1/epci", Access::Public),
    route("GET", "/api/v1/epci/{siren}", Access::Public),
    route("GET", "/api/v1/moi", Access::Roles(Role::ALL)),
    write(
        "POST",
        "/api/v1/structures",
        Access::Scoped(&[Prefecture, Admin]),
        r#"{"siret": "20005786700018", "nom": "Plaine Commune", "type": "epci", "code_insee": "93066"}"#,
    ),
    route("GET", "/api/v1/structures", Access::Roles(Role::ALL)),
    route("GET", "/api/v1/structures/{id}", Access::Scoped(Role::ALL)),
    write(
        "PATCH",
        "/api/v1/structures/{id}",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"nom": "Centre social renommé"}"#,
    ),
    write(
        "POST",
        "/api/v1/structures/{id}/territoire-prioritaire",
        Access::Scoped(&[Prefecture, Admin]),
        r#"{"territoire_prioritaire": true}"#,
    ),
    write(
        "POST",
        "/api/v1/conventions",
        Access::Scoped(&[Prefecture, Admin]),
        r#"{"departement": "93", "intitule": "CnFS 93", "signataires": ["01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"], "postes_attribues": 10}"#,
    ),
    route("GET", "/api/v1/conventions", Access::Roles(Role::ALL)),
    route("GET", "/api/v1/conventions/{id}", Access::Scoped(Role::ALL)),
    write(
        "PATCH",
        "/api/v1/conventions/{id}",
        Access::Scoped(&[Prefecture, Admin]),
        r#"{"intitule": "CnFS 93 — renommée"}"#,
    ),
    act(
        "/api/v1/conventions/{id}/signature",
        "brouillon",
        Access::Scoped(&[Prefecture, Admin]),
        "{}",
    ),
    act(
        "/api/v1/conventions/{id}/projet-accueil",
        "signee",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"repartition": [{"structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "postes": 80}]}"#,
    ),
    act(
        "/api/v1/conventions/{id}/validation",
        "projet_depose",
        Access::Scoped(&[Prefecture, Admin]),
        "{}",
    ),
    act(
        "/api/v1/conventions/{id}/resiliation",
        "signee",
        Access::Scoped(&[Prefecture, Admin]),
        r#"{"motif": "Essai."}"#,
    ),
    act(
        "/api/v1/conventions/{id}/cloture",
        "en_execution",
        Access::Scoped(&[Prefecture, Admin]),
        "{}",
    ),
    act(
        "/api/v1/conventions/{id}/avenants",
        "signee",
        Access::Scoped(&[Prefecture, Admin]),
        r#"{"type": "ajout", "nombre_postes": 2, "motif": "Essai."}"#,
    ),
    route(
        "GET",
        "/api/v1/conventions/{id}/avenants",
        Access::Scoped(Role::ALL),
    ),
    route(
        "GET",
        "/api/v1/conventions/{id}/avenants/{avenant_id}",
        Access::Scoped(Role::ALL),
    ),
    route(
        "GET",
        "/api/v1/journal",
        Access::Roles(&[Prefecture, Admin]),
    ),
    write(
        "POST",
        "/api/v1/enveloppes",
        Access::Roles(&[Admin]),
        r#"{"libelle": "Ville 93", "financeur": "Ministère de la Ville", "nature": "mixte", "montant_centimes": 100000000, "date_debut": "2021-01-01", "date_fin": "2022-12-31", "perimetre_departement": "93"}"#,
    ),
    route("GET", "/api/v1/enveloppes", Access::Roles(Role::ALL)),
    route("GET", "/api/v1/enveloppes/{id}", Access::Roles(Role::ALL)),
    write(
        "PATCH",
        "/api/v1/enveloppes/{id}",
        Access::Roles(&[Admin]),
        r#"{"libelle": "Plan de relance — conseillers"}"#,
    ),
    write(
        "PUT",
        "/api/v1/enveloppes/{id}/plafonds/{departement}",
        Access::Roles(&[Admin]),
        r#"{"plafond_centimes": 500000000}"#,
    ),
    // On its own copy of the fixtures (a body makes it a write), which hold the 93's ceiling.
    write(
        "PUT",
        "/api/v1/enveloppes/{id}/baremes",
        Access::Roles(&[Admin]),
        r#"[{"categorie": "public", "territoire_prioritaire": false, "montant_par_poste_centimes": 5000000, "duree_mois": 24, "tranches": [{"rang": 1, "montant_centimes": 5000000, "mois_apres_debut": 0}]},
            {"categorie": "prive", "territoire_prioritaire": false, "montant_par_poste_centimes": 5000000, "duree_mois": 18, "tranches": [{"rang": 1, "montant_centimes": 5000000, "mois_apres_debut": 0}]}]"#,
    ),
    write(
        "DELETE",
        "/api/v1/enveloppes/{id}/plafonds/{departement}",
        Access::Roles(&[Admin]),
        "{}",
    ),
    write(
        "POST",
        "/api/v1/enveloppes/{id}/engagements",
        Access::Scoped(&[Prefecture, Admin]),
        r#"{"convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91", "montant_centimes": 100000, "objet": "Essai."}"#,
    ),
    route("GET", "/api/v1/engagements", Access::Roles(Role::ALL)),
    route(
        "GET",
        "/api/v1/structures/{id}/financement",
        Access::Scoped(Role::ALL),
    ),
    route(
        "GET",
        "/api/v1/conventions/{id}/bilan",
        Access::Scoped(Role::ALL),
    ),
    route("GET", "/api/v1/engagements/{id}", Access::Scoped(Role::ALL)),
    act(
        "/api/v1/engagements/{id}/annulation",
        "signee",
        Access::Scoped(&[Prefecture, Admin]),
        r#"{"motif": "Essai."}"#,
    ),
    act(
        "/api/v1/engagements/{id}/versements",
        "signee",
        Access::Scoped(&[Admin]),
        r#"{"montant_centimes": 1000, "date_versement": "2026-01-02", "reference": "MANDAT-1"}"#,
    ),
    route(
        "GET",
        "/api/v1/engagements/{id}/versements",
        Access::Scoped(Role::ALL),
    ),
    route("GET", "/api/v1/versements/{id}", Access::Scoped(Role::ALL)),
    act(
        "/api/v1/versements/{id}/annulation",
        "signee",
        Access::Scoped(&[Admin]),
        r#"{"motif": "Essai."}"#,
    ),
    write(
        "POST",
        "/api/v1/lieux",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "nom": "Médiathèque", "adresse": "4 place de la Légion d'honneur", "code_postal": "93200", "code_insee": "93066"}"#,
    ),
    write(
        "POST",
        "/api/v1/conseillers",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f99", "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "nom": "Martin", "prenom": "Camille", "email": "camille.martin.bis@example.org", "commune_residence": "93066", "date_recrutement": "2021-05-03", "type_contrat": "cdd"}"#,
    ),
    route(
        "GET",
        "/api/v1/conseillers",
        Access::Roles(&[StructureRole, Prefecture, Admin]),
    ),
    route(
        "GET",
        "/api/v1/conseillers/{id}",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
    ),
    write(
        "PATCH",
        "/api/v1/conseillers/{id}",
        Access::Scoped(&[StructureRole, Admin]),
        r#"{"email": "c.martin@example.org"}"#,
    ),
    // On their own copy of the fixtures (a body makes it a write): the advisor works at the lieu.
    write(
        "PUT",
        "/api/v1/conseillers/{id}/lieux/{lieu_id}",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"principal": true}"#,
    ),
    write(
        "DELETE",
        "/api/v1/conseillers/{id}/lieux/{lieu_id}",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        "{}",
    ),
    // The advisor is followed by the coordinator …8fc1 (the same one: nothing changes).
    write(
        "PUT",
        "/api/v1/conseillers/{id}/coordinateur",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"coordinateur_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fc1"}"#,
    ),
    write(
        "DELETE",
        "/api/v1/conseillers/{id}/coordinateur",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        "{}",
    ),
    act(
        "/api/v1/conseillers/{id}/formations",
        "recrute",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"type": "continue", "date_debut": "2021-09-06", "date_fin": "2021-09-07", "organisme": "MedNum"}"#,
    ),
    route(
        "GET",
        "/api/v1/conseillers/{id}/formations",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
    ),
    route(
        "GET",
        "/api/v1/conseillers/{id}/formations/{formation_id}",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
    ),
    act(
        "/api/v1/conseillers/{id}/certifications",
        "recrute",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"type": "ccp1_remn", "date": "2021-09-06", "resultat": "echouee"}"#,
    ),
    route(
        "GET",
        "/api/v1/conseillers/{id}/certifications",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
    ),
    route(
        "GET",
        "/api/v1/conseillers/{id}/certifications/{certification_id}",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
    ),
    route(
        "GET",
        "/api/v1/conventions/{id}/postes",
        Access::Scoped(Role::ALL),
    ),
    route("GET", "/api/v1/postes", Access::Roles(Role::ALL)),
    route("GET", "/api/v1/postes/{id}", Access::Scoped(Role::ALL)),
    act(
        "/api/v1/postes/{id}/transfert",
        "en_execution",
        Access::Scoped(&[Prefecture, Admin]),
        r#"{"structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa3", "date": "2021-09-01"}"#,
    ),
    route("GET", "/api/v1/exports/postes.csv", Access::Public),
    route(
        "GET",
        "/api/v1/contrats",
        Access::Roles(&[StructureRole, Prefecture, Admin]),
    ),
    route(
        "GET",
        "/api/v1/contrats/{id}",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
    ),
    act(
        "/api/v1/contrats/{id}/rupture",
        "recrute",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"date": "2021-09-01", "motif": "demission"}"#,
    ),
    act(
        "/api/v1/contrats/{id}/prolongation",
        "recrute",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"date_fin": "2099-12-31"}"#,
    ),
    act(
        "/api/v1/contrats",
        "recrute",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa6", "poste_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa2", "type": "cdi", "date_debut": "2021-09-01"}"#,
    ),
    act(
        "/api/v1/activites",
        "en_poste",
        Access::Scoped(&[StructureRole, Admin]),
        r#"{"conseiller_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98", "lieu_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97", "date": "2021-09-14", "type": "atelier_collectif", "duree_minutes": 90, "nb_participants": 6, "thematiques": ["courriels"]}"#,
    ),
    route(
        "GET",
        "/api/v1/activites",
        Access::Roles(&[StructureRole, Prefecture, Admin]),
    ),
    route(
        "GET",
        "/api/v1/activites/{id}",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
    ),
    // On its own copy of the fixtures (a body makes it a write).
    write(
        "DELETE",
        "/api/v1/activites/{id}",
        Access::Scoped(&[StructureRole, Admin]),
        "{}",
    ),
    route("GET", "/api/v1/statistiques", Access::Public),
    route(
        "GET",
        "/api/v1/exports/statistiques-departements.csv",
        Access::Public,
    ),
    route("GET", "/api/v1/statistiques/regions", Access::Public),
    route("GET", "/api/v1/statistiques/regions/{code}", Access::Public),
    route("GET", "/api/v1/statistiques/departements", Access::Public),
    route(
        "GET",
        "/api/v1/statistiques/departements/{code}",
        Access::Public,
    ),
    route("GET", "/api/v1/exports/subventions.csv", Access::Public),
    route("GET", "/api/v1/exports/lieux.csv", Access::Public),
    route("GET", "/api/v1/lieux", Access::Public),
    route("GET", "/api/v1/lieux/{id}", Access::Public),
    write(
        "PATCH",
        "/api/v1/lieux/{id}",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"nom": "Médiathèque renommée"}"#,
    ),
];

/// The objects the example identifiers of the spec name, in département 93: the structure
/// `STRUCTURE_ID` (the structure token's own), which signs the convention `CONVENTION_ID` (in
/// `statut`, 80 posts, hosted by that structure once the project is filed), and its avenant
/// `AVENANT_ID`.
fn seed_fixtures(db: &TestDb, statut: &str) {
    use diesel::connection::SimpleConnection;
    // An advisor's status names the advisor's fixture state; the convention is then signed.
    let (statut, statut_conseiller) = match statut {
        "recrute" | "en_formation" | "certifie" | "en_poste" => ("signee", statut),
        other => (other, "recrute"),
    };
    const CONVENTION_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f91";
    const AVENANT_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f92";
    const ENVELOPPE_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f94";
    const ENGAGEMENT_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f95";
    const VERSEMENT_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f96";
    const LIEU_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97";
    const CONSEILLER_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f98";
    const EXECUTION_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f99";
    let (signature, limite, depot, validation) = match statut {
        "brouillon" => ("NULL", "NULL", "NULL", "NULL"),
        "signee" => ("'2021-02-08'", "'2021-04-08'", "NULL", "NULL"),
        "projet_depose" => ("'2021-02-08'", "'2021-04-08'", "'2021-03-01'", "NULL"),
        "en_execution" => (
            "'2021-02-08'",
            "'2021-04-08'",
            "'2021-03-01'",
            "'2021-03-15'",
        ),
        other => panic!("no fixture for {other}"),
    };
    let now = "'2026-01-01T00:00:00.000000Z'";
    // The JSON copies of the signatories and split (conventions.signataires / .repartition).
    let repartition = if depot == "NULL" {
        "[]".to_owned()
    } else {
        format!("[{{\"structure_id\": \"{STRUCTURE_ID}\", \"postes\": 80}}]")
    };
    let mut sql = format!(
        "INSERT INTO structures (id, siret, siren, nom, nom_recherche, type, code_insee, \
         departement, version, cree_le, modifie_le) VALUES ('{STRUCTURE_ID}', '77567227200009', \
         '775672272', 'Centre social', 'centre social', 'association', '93066', '93', 1, {now}, {now});
         INSERT INTO conventions (id, numero, departement, intitule, postes_attribues, \
         delai_projet_mois, statut, date_signature, date_limite_projet, date_depot, \
         date_validation, signataires, repartition, version, cree_le, modifie_le) VALUES \
         ('{CONVENTION_ID}', 'CNFS-93-2021-0001', '93', 'CnFS 93', 80, 2, '{statut}', {signature}, \
         {limite}, {depot}, {validation}, '[\"{STRUCTURE_ID}\"]', '{repartition}', 1, {now}, {now});
         INSERT INTO conventions_signataires (convention_id, structure_id) VALUES \
         ('{CONVENTION_ID}', '{STRUCTURE_ID}');
         INSERT INTO avenants (id, convention_id, rang, type, nombre_postes, motif, postes_avant, \
         postes_apres, auteur, cree_le) VALUES ('{AVENANT_ID}', '{CONVENTION_ID}', 1, 'ajout', 5, \
         'Essai', 75, 80, 'test', {now});"
    );
    // A national envelope (…8f94) with the 93's ceiling, a commitment (…8f95) of 10,000 € to the
    // convention, of which 1,000 € paid (…8f96).
    sql.push_str(&format!(
        "INSERT INTO enveloppes (id, libelle, financeur, nature, montant_centimes, date_debut, \
         date_fin, objectif_postes, engage_centimes, verse_centimes, \
         version, cree_le, modifie_le) VALUES ('{ENVELOPPE_ID}', 'Plan de relance', 'DGCL', \
         'postes_conseillers', 20000000000, '2021-01-01', '2099-12-31', 4000, 1000000, \
         100000, 1, {now}, {now});
         INSERT INTO enveloppes_departements (enveloppe_id, departement, plafond_centimes, \
         engage_centimes, verse_centimes) VALUES ('{ENVELOPPE_ID}', '93', 400000000, 1000000, 100000);
         INSERT INTO engagements (id, enveloppe_id, convention_id, departement, montant_centimes, \
         verse_centimes, date_engagement, objet, statut, version, cree_le, modifie_le, \
         beneficiaire_id) VALUES \
         ('{ENGAGEMENT_ID}', '{ENVELOPPE_ID}', '{CONVENTION_ID}', '93', 1000000, 100000, \
         '2021-03-01', 'Postes', 'actif', 1, {now}, {now}, '{STRUCTURE_ID}');
         INSERT INTO versements (id, engagement_id, montant_centimes, date_versement, reference, \
         statut, cree_le) VALUES ('{VERSEMENT_ID}', '{ENGAGEMENT_ID}', 100000, '2021-04-01', \
         'MANDAT-0', 'effectue', {now});"
    ));
    // A second convention (…8f99), in execution, the structure hosting its 80 posts, and an
    // advisor (…8f98) it employs there, in `statut_conseiller`.
    // It works at the lieu below (its principal lieu) whatever its status.
    let lieu = "'01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97'";
    let (formation, certification, prise) = match statut_conseiller {
        "recrute" => ("NULL", "NULL", "NULL"),
        "en_formation" => ("'2021-05-10'", "NULL", "NULL"),
        "certifie" => ("'2021-05-10'", "'2021-07-01'", "NULL"),
        _ => ("'2021-05-10'", "'2021-07-01'", "'2021-07-05'"),
    };
    sql.push_str(&format!(
        "INSERT INTO conventions (id, numero, departement, intitule, postes_attribues, \
         postes_pourvus, delai_projet_mois, statut, date_signature, date_limite_projet, date_depot, \
         date_validation, signataires, repartition, version, cree_le, modifie_le) VALUES \
         ('{EXECUTION_ID}', 'CNFS-93-2021-0002', '93', 'CnFS 93 bis', 80, 1, 2, 'en_execution', \
         '2021-02-08', '2021-04-08', '2021-03-01', '2021-03-15', '[\"{STRUCTURE_ID}\"]', \
         '[{{\"structure_id\": \"{STRUCTURE_ID}\", \"postes\": 80}}]', 1, {now}, {now});
         INSERT INTO conventions_signataires (convention_id, structure_id) VALUES \
         ('{EXECUTION_ID}', '{STRUCTURE_ID}');
         INSERT INTO conventions_repartition (convention_id, structure_id, postes) VALUES \
         ('{EXECUTION_ID}', '{STRUCTURE_ID}', 80);"
    ));
    // Two posts of that convention held by the structure: one vacant since the validation
    // (…8fa2), one (…8fa4) held by the advisor below (active in every fixture); and a second structure
    // of the 93 (…8fa3) a post may move to.
    const POSTE_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa2";
    const POSTE_OCCUPE_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa4";
    const AUTRE_STRUCTURE_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa3";
    sql.push_str(&format!(
        "INSERT INTO structures (id, siret, siren, nom, nom_recherche, type, code_insee, \
         departement, version, cree_le, modifie_le) VALUES ('{AUTRE_STRUCTURE_ID}', \
         '21930001900011', '219300019', 'Ville d''Aubervilliers', 'ville d aubervilliers', \
         'commune', '93001', '93', 1, {now}, {now});
         INSERT INTO postes (id, convention_id, structure_id, departement, typologie, etat, \
         depuis, conseiller_id, version, cree_le, modifie_le) VALUES ('{POSTE_ID}', \
         '{EXECUTION_ID}', '{STRUCTURE_ID}', '93', 'conseiller', 'vacant', '2021-03-15', NULL, 1, \
         {now}, {now});
         INSERT INTO postes_historique (poste_id, rang, date, evenement, etat, structure_id, \
         conseiller_id) VALUES ('{POSTE_ID}', 1, '2021-03-15', 'attribution', 'vacant', \
         '{STRUCTURE_ID}', NULL);"
    ));
    // The advisor's contract (…8fa5) on that post (each names the other: the post once both
    // rows exist).
    const CONTRAT_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa5";
    const PERSONNE_LIBRE_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa6";
    let poste_occupe = format!(
        "INSERT INTO contrats (id, conseiller_id, poste_id, structure_id, convention_id, \
         departement, typologie, type, date_debut, version, cree_le, modifie_le) VALUES \
         ('{CONTRAT_ID}', '{CONSEILLER_ID}', NULL, '{STRUCTURE_ID}', '{EXECUTION_ID}', '93', \
         'conseiller', 'cdd', '2021-05-03', 1, {now}, {now});
         INSERT INTO postes (id, convention_id, structure_id, departement, typologie, etat, \
         depuis, conseiller_id, contrat_id, version, cree_le, modifie_le) VALUES \
         ('{POSTE_OCCUPE_ID}', '{EXECUTION_ID}', '{STRUCTURE_ID}', '93', 'conseiller', 'occupe', \
         '2021-05-03', '{CONSEILLER_ID}', '{CONTRAT_ID}', 1, {now}, {now});
         UPDATE contrats SET poste_id = '{POSTE_OCCUPE_ID}' WHERE id = '{CONTRAT_ID}';"
    );
    // A lieu (…8f97) of the structure, in Saint-Denis.
    sql.push_str(&format!(
        "INSERT INTO lieux (id, structure_id, nom, adresse, code_postal, code_insee, departement, \
         courriels, site_web, itinerance, services, modalites_acces, \
         publics_specifiquement_adresses, version, cree_le, modifie_le) VALUES ('{LIEU_ID}', \
         '{STRUCTURE_ID}', 'Médiathèque', '4 place de la Légion d''honneur', '93200', '93066', '93', \
         '[]', '[]', '[]', '[]', '[]', '[]', 1, {now}, {now});"
    ));
    sql.push_str(&format!(
        "INSERT INTO conseillers (id, convention_id, departement, structure_id, nom, prenom, email, \
         commune_residence, recrutement_local, type_contrat, date_recrutement, \
         date_debut_formation, date_certification, date_prise_poste, lieu_id, version, cree_le, \
         modifie_le) VALUES ('{CONSEILLER_ID}', '{EXECUTION_ID}', '93', '{STRUCTURE_ID}', 'Martin', \
         'Camille', 'camille.martin@example.org', '93066', TRUE, 'cdd', \
         '2021-05-03', {formation}, {certification}, {prise}, {lieu}, 1, {now}, {now});"
    ));
    sql.push_str(&poste_occupe);
    // A person who left (…8fa6), with no contract in force: a new contract may bind her.
    sql.push_str(&format!(
        "INSERT INTO conseillers (id, convention_id, departement, structure_id, nom, prenom, email, \
         commune_residence, recrutement_local, type_contrat, date_recrutement, \
         fin_contrats, version, cree_le, modifie_le) VALUES ('{PERSONNE_LIBRE_ID}', \
         '{EXECUTION_ID}', '93', '{STRUCTURE_ID}', 'Diallo', 'Awa', 'awa.diallo@example.org', \
         '93066', TRUE, 'cdi', '2021-04-01', '2021-04-30', 1, {now}, {now});"
    ));
    sql.push_str(&format!(
        "INSERT INTO conseillers_lieux (conseiller_id, lieu_id, principal) VALUES \
         ('{CONSEILLER_ID}', '{LIEU_ID}', TRUE);"
    ));
    // A coordinator (…8fc1) of the structure, under a coordinator's contract (…8fc2) in force,
    // who follows the advisor.
    const COORDINATEUR_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fc1";
    const CONTRAT_COORDINATEUR_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fc2";
    sql.push_str(&format!(
        "INSERT INTO conseillers (id, convention_id, departement, structure_id, nom, prenom, email, \
         commune_residence, recrutement_local, type_contrat, date_recrutement, version, \
         cree_le, modifie_le) VALUES ('{COORDINATEUR_ID}', '{EXECUTION_ID}', '93', \
         '{STRUCTURE_ID}', 'Bernard', 'Lina', 'lina.bernard@example.org', '93066', TRUE, 'cdi', \
         '2021-05-03', 1, {now}, {now});
         INSERT INTO contrats (id, conseiller_id, poste_id, structure_id, convention_id, \
         departement, typologie, type, date_debut, version, cree_le, modifie_le) VALUES \
         ('{CONTRAT_COORDINATEUR_ID}', '{COORDINATEUR_ID}', NULL, '{STRUCTURE_ID}', \
         '{EXECUTION_ID}', '93', 'coordinateur', 'cdi', '2021-05-03', 1, {now}, {now});
         INSERT INTO coordinations (conseiller_id, coordinateur_id, depuis, cree_le) VALUES \
         ('{CONSEILLER_ID}', '{COORDINATEUR_ID}', '2021-09-01', {now});"
    ));
    // The advisor's initial training (…8fa7) under its contract, and a certification (…8fa8).
    sql.push_str(&format!(
        "INSERT INTO formations (id, conseiller_id, type, parcours_heures, date_debut, date_fin, \
         organisme, contrat_id, structure_id, reprise, version, cree_le) VALUES \
         ('01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa7', '{CONSEILLER_ID}', 'initiale', 280, \
         '2021-05-10', '2021-07-09', 'Simplon', '{CONTRAT_ID}', '{STRUCTURE_ID}', FALSE, 1, {now});
         INSERT INTO certifications (id, conseiller_id, formation_id, type, date, resultat, \
         reprise, version, cree_le) VALUES ('01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa8', \
         '{CONSEILLER_ID}', '01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa7', 'pix', '2021-07-20', \
         'reussie', FALSE, 1, {now});"
    ));
    // An activity (…8fa0) of the advisor at the lieu, counted in its day's and month's aggregates.
    const ACTIVITE_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8fa0";
    sql.push_str(&format!(
        "INSERT INTO activites (id, conseiller_id, structure_id, departement, lieu_id, date, type, \
         duree_minutes, nb_participants, thematiques, cree_le) VALUES ('{ACTIVITE_ID}', \
         '{CONSEILLER_ID}', '{STRUCTURE_ID}', '93', '{LIEU_ID}', '2021-09-13', 'atelier_collectif', \
         60, 4, '[\"sante\"]', {now});
         INSERT INTO activites_jour (departement, jour, nombre, participants, minutes, \
         t_echanger_avec_ses_proches, t_trouver_un_emploi, t_accompagner_scolarite, \
         t_donnees_personnelles, t_verifier_les_informations, t_demarches_en_ligne, \
         t_prendre_en_main_un_equipement, t_naviguer_sur_internet, t_courriels, \
         t_securite_numerique, t_sante, t_budget, t_autre, l_lieu_activite) VALUES ('93', \
         '2021-09-13', 1, 4, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1);
         INSERT INTO activites_mois SELECT departement, substr(jour, 1, 7), nombre, participants, \
         minutes, t_echanger_avec_ses_proches, t_trouver_un_emploi, t_accompagner_scolarite, \
         t_donnees_personnelles, t_verifier_les_informations, t_demarches_en_ligne, \
         t_prendre_en_main_un_equipement, t_naviguer_sur_internet, t_courriels, \
         t_securite_numerique, t_sante, t_budget, t_autre, l_lieu_activite, l_domicile, \
         l_a_distance, l_autre FROM activites_jour;"
    ));
    if depot != "NULL" {
        sql.push_str(&format!(
            "INSERT INTO conventions_repartition (convention_id, structure_id, postes) VALUES \
             ('{CONVENTION_ID}', '{STRUCTURE_ID}', 80);"
        ));
    }
    db.conn().batch_execute(&sql).expect("fixtures seeded");
}

/// One token of each role, with a scope that fits it.
fn tokens_by_role() -> Vec<(Role, String)> {
    vec![
        (Role::Lecteur, token(Role::Lecteur, &["93"], None)),
        (
            Role::Structure,
            token(Role::Structure, &[], Some(STRUCTURE_ID)),
        ),
        (Role::Prefecture, token(Role::Prefecture, &["93"], None)),
        (Role::Admin, token(Role::Admin, &[], None)),
    ]
}

/// A documented operation of the spec.
struct Operation {
    method: &'static str,
    path: String,
    /// Its `security` requirements, as JSON (`[]`: public).
    security: serde_json::Value,
    /// Its description (which says who may call it).
    description: String,
    /// A concrete URI for it (its path parameters' examples).
    uri: String,
    /// The statuses its responses document.
    statuses: Vec<u16>,
}

/// Every operation of the generated spec.
fn documented_operations() -> Vec<Operation> {
    let spec = cnfs_api::openapi_document();
    let mut documented = Vec::new();
    for (path, item) in &spec.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            documented.push(Operation {
                method,
                path: path.clone(),
                security: serde_json::to_value(&operation.security).unwrap(),
                description: operation.description.clone().unwrap_or_default(),
                uri: common::example_uri(path, &serde_json::to_value(operation).unwrap(), None),
                statuses: operation
                    .responses
                    .responses
                    .keys()
                    .filter_map(|status| status.parse().ok())
                    .collect(),
            });
        }
    }
    documented
}

/// The operations that have an entry in the matrix, with it (those without one are reported by
/// [`every_documented_operation_has_an_entry_in_the_matrix`]).
fn operations_in_the_matrix() -> Vec<(Operation, &'static Route)> {
    documented_operations()
        .into_iter()
        .filter_map(|operation| {
            let entry = ACCESS
                .iter()
                .find(|r| r.method == operation.method && r.path == operation.path)?;
            Some((operation, entry))
        })
        .collect()
}

/// The request a caller with `token` (or none) sends to `operation`: a write carries its body,
/// `If-Match: *` and an `Idempotency-Key`.
fn request(operation: &Operation, entry: &Route, token: Option<&str>) -> actix_http::Request {
    let mut req = actix_test::TestRequest::default()
        .method(operation.method.parse().unwrap())
        .uri(&operation.uri);
    if let Some(token) = token {
        req = req.insert_header(("authorization", format!("Bearer {token}")));
    }
    if let Some(body) = entry.body {
        req = req
            .insert_header(("content-type", "application/json"))
            .insert_header(("if-match", "*"))
            .insert_header(("idempotency-key", "matrice"))
            .set_payload(body);
    }
    req.to_request()
}

/// A database with the fixtures of a read (a signed convention).
fn reads() -> TestDb {
    let db = TestDb::sqlite();
    seed_fixtures(&db, "signee");
    db
}

#[test]
fn every_documented_operation_has_an_entry_in_the_matrix() {
    let missing: Vec<String> = documented_operations()
        .iter()
        .filter(|o| {
            !ACCESS
                .iter()
                .any(|r| r.method == o.method && r.path == o.path)
        })
        .map(|o| format!("{} {}", o.method, o.path))
        .collect();
    assert!(
        missing.is_empty(),
        "no entry in the access matrix (tests/suite/access_matrix.rs) for {missing:?}"
    );
}

#[test]
fn every_entry_of_the_matrix_is_a_documented_operation() {
    let documented = documented_operations();
    for r in ACCESS {
        assert!(
            documented
                .iter()
                .any(|o| o.method == r.method && o.path == r.path),
            "the matrix lists {} {}, which is not a route any more",
            r.method,
            r.path
        );
    }
}

#[test]
fn public_operations_declare_no_security() {
    for (operation, entry) in operations_in_the_matrix() {
        if let Access::Public = entry.access {
            assert_eq!(
                operation.security,
                json!([]),
                "{} {}: public operations declare security: []",
                operation.method,
                operation.path
            );
        }
    }
}

#[test]
fn protected_operations_declare_bearer_security() {
    for (operation, entry) in operations_in_the_matrix() {
        if !matches!(entry.access, Access::Public) {
            assert_eq!(
                operation.security,
                json!([{"bearer": []}]),
                "{} {}: bearer security",
                operation.method,
                operation.path
            );
        }
    }
}

#[test]
fn protected_operations_say_who_may_call() {
    for (operation, entry) in operations_in_the_matrix() {
        if !matches!(entry.access, Access::Public) {
            assert!(
                operation.description.contains("Accès"),
                "{} {}: the description says who may call",
                operation.method,
                operation.path
            );
        }
    }
}

#[actix_web::test]
async fn public_operations_answer_anonymous_callers() {
    let reads = reads();
    let app = common::app(reads.state()).await;
    for (operation, entry) in operations_in_the_matrix() {
        if let Access::Public = entry.access {
            let answer = call(&app, request(&operation, entry, None)).await;
            assert!(
                answer.status.is_success(),
                "{} {} anonymous: {}",
                operation.method,
                operation.path,
                answer.text
            );
        }
    }
}

#[actix_web::test]
async fn protected_operations_refuse_a_caller_without_token() {
    let reads = reads();
    let app = common::app(reads.state()).await;
    for (operation, entry) in operations_in_the_matrix() {
        if !matches!(entry.access, Access::Public) {
            let answer = call(&app, request(&operation, entry, None)).await;
            answer.assert_problem(401, "jeton_absent");
        }
    }
}

#[actix_web::test]
async fn each_role_gets_its_status_on_every_protected_operation() {
    let reads = reads();
    let app = common::app(reads.state()).await;
    for (operation, entry) in operations_in_the_matrix() {
        let (method, path) = (operation.method, &operation.path);
        let (allowed, scoped) = match &entry.access {
            Access::Public => continue,
            Access::Roles(allowed) => (allowed, false),
            Access::Scoped(allowed) => (allowed, true),
        };
        let mut callers = tokens_by_role();
        if scoped {
            callers.push((Role::Prefecture, token(Role::Prefecture, &["75"], None)));
        }
        for (index, (role, token)) in callers.iter().enumerate() {
            let out_of_scope = index == 4;
            // A write runs on its own copy of the fixtures, so that each caller meets the same
            // state.
            let answer = if entry.body.is_some() {
                let db = TestDb::sqlite();
                seed_fixtures(&db, entry.statut);
                let app = common::app(db.state()).await;
                call(&app, request(&operation, entry, Some(token))).await
            } else {
                call(&app, request(&operation, entry, Some(token))).await
            };
            // Whatever the answer, the spec documents it for that operation.
            assert!(
                operation.statuses.contains(&answer.status.as_u16()),
                "{method} {path} as {role:?} answers {}, which its responses do not document \
                 ({:?})",
                answer.status,
                operation.statuses
            );
            if allowed.contains(role) && !out_of_scope {
                assert!(
                    answer.status.is_success(),
                    "{method} {path} as {role:?}: {}",
                    answer.text
                );
            } else {
                assert!(
                    [403, 404].contains(&answer.status.as_u16()),
                    "{method} {path} as {role:?}{} must be refused: {} {}",
                    if out_of_scope {
                        " of département 75"
                    } else {
                        ""
                    },
                    answer.status,
                    answer.text
                );
            }
        }
    }
}

/// The committed spec (`openapi/openapi.json`), which the walk below reads.
fn committed_spec() -> serde_json::Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json");
    serde_json::from_str(&text).expect("the spec is JSON")
}

/// `schema` with its `$ref` followed (one level of `components/schemas`).
fn resolved<'s>(
    spec: &'s serde_json::Value,
    schema: &'s serde_json::Value,
) -> &'s serde_json::Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            &spec["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// Whether a schema takes a string (or a list of strings: `Some(true)`).
fn takes_text(spec: &serde_json::Value, schema: &serde_json::Value) -> Option<bool> {
    let schema = resolved(spec, schema);
    let is = |s: &serde_json::Value, t: &str| {
        s["type"] == t
            || s["type"]
                .as_array()
                .is_some_and(|l| l.iter().any(|x| x == t))
    };
    if is(schema, "string") {
        return Some(false);
    }
    if is(schema, "array") && takes_text(spec, &schema["items"]) == Some(false) {
        return Some(true);
    }
    for variant in ["oneOf", "anyOf", "allOf"] {
        for inner in schema[variant].as_array().into_iter().flatten() {
            if let Some(list) = takes_text(spec, inner) {
                return Some(list);
            }
        }
    }
    None
}

/// The text members of a request body's schema (its own properties, and those of the variants it
/// combines), each with whether it is a list of strings.
fn text_members(spec: &serde_json::Value, schema: &serde_json::Value) -> Vec<(String, bool)> {
    let schema = resolved(spec, schema);
    let mut members = Vec::new();
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        if let Some(list) = takes_text(spec, property) {
            members.push((name.clone(), list));
        }
    }
    for variant in ["oneOf", "anyOf", "allOf"] {
        for inner in schema[variant].as_array().into_iter().flatten() {
            for member in text_members(spec, inner) {
                if !members.contains(&member) {
                    members.push(member);
                }
            }
        }
    }
    members
}

/// The JSON pointers of every string of `value`.
fn string_pointers(value: &serde_json::Value, pointer: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(_) => out.push(pointer.to_owned()),
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                string_pointers(item, &format!("{pointer}/{index}"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                string_pointers(item, &format!("{pointer}/{key}"), out);
            }
        }
        _ => {}
    }
}

/// One request of the bad-byte walk: what it changes, and the answer expected once the guard
/// decides it (400 on a parameter, 422 on a body member, both `caractere_interdit`).
struct BadByte {
    method: &'static str,
    uri: String,
    body: Option<serde_json::Value>,
    /// A header sent with this value instead of the walk's own.
    header: Option<(String, String)>,
    /// The parameter (query, path or header) or body pointer that holds the NUL.
    at: String,
    status: u16,
}

/// Every request of the walk for one operation of the spec: a NUL in each string query
/// parameter, in each path parameter, and in each text of a valid body (those the matrix's body
/// has, and each text member of the request schema it lacks).
fn bad_bytes(spec: &serde_json::Value, operation: &Operation, entry: &Route) -> Vec<BadByte> {
    let method_key = operation.method.to_lowercase();
    let documented = &spec["paths"][&operation.path][&method_key];
    let mut walk = Vec::new();
    for parameter in documented["parameters"].as_array().into_iter().flatten() {
        let parameter = match parameter["$ref"].as_str() {
            Some(reference) => {
                &spec["components"]["parameters"][reference.rsplit('/').next().unwrap()]
            }
            None => parameter,
        };
        let name = parameter["name"].as_str().unwrap();
        if takes_text(spec, &parameter["schema"]).is_none() {
            continue;
        }
        match parameter["in"].as_str() {
            Some("query") => {
                for value in ["%00", "a%00b", "%1B"] {
                    walk.push(BadByte {
                        method: operation.method,
                        uri: format!("{}?{name}={value}", operation.uri),
                        body: entry.body.map(|b| serde_json::from_str(b).unwrap()),
                        header: None,
                        at: name.to_owned(),
                        status: 400,
                    });
                }
            }
            Some("path") => walk.push(BadByte {
                method: operation.method,
                uri: common::example_uri(&operation.path, documented, Some((name, "a%00b"))),
                body: entry.body.map(|b| serde_json::from_str(b).unwrap()),
                header: None,
                at: name.to_owned(),
                status: 400,
            }),
            // HTTP itself refuses the other control characters in a header; TAB is refused
            // where it is not HTTP whitespace.
            Some("header")
                if cnfs_api::http::extract::TEXT_HEADERS
                    .iter()
                    .any(|(known, tab)| known.eq_ignore_ascii_case(name) && !tab) =>
            {
                walk.push(BadByte {
                    method: operation.method,
                    uri: operation.uri.clone(),
                    body: entry.body.map(|b| serde_json::from_str(b).unwrap()),
                    header: Some((name.to_owned(), "a\tb".to_owned())),
                    at: name.to_owned(),
                    status: 400,
                })
            }
            _ => {}
        }
    }
    let Some(body) = entry.body else { return walk };
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    let mut pointers = Vec::new();
    string_pointers(&body, "", &mut pointers);
    for pointer in pointers {
        let mut changed = body.clone();
        let text = changed.pointer_mut(&pointer).unwrap();
        *text = json!(format!("{}\u{0}", text.as_str().unwrap()));
        walk.push(BadByte {
            method: operation.method,
            uri: operation.uri.clone(),
            body: Some(changed),
            header: None,
            at: pointer,
            status: 422,
        });
    }
    let schema = &documented["requestBody"]["content"]["application/json"]["schema"];
    for (member, list) in text_members(spec, schema) {
        if body.get(&member).is_some() {
            continue;
        }
        let mut changed = body.clone();
        let (value, at) = if list {
            (json!(["x\u{0}"]), format!("/{member}/0"))
        } else {
            (json!("x\u{0}"), format!("/{member}"))
        };
        changed[&member] = value;
        walk.push(BadByte {
            method: operation.method,
            uri: operation.uri.clone(),
            body: Some(changed),
            header: None,
            at,
            status: 422,
        });
    }
    walk
}

/// Issue 29 §2: a NUL (or another control character) in any text input of any operation never
/// reaches the database: every string query parameter, path parameter and header of the spec,
/// and every text of a valid body, sent by an admin on fixtures where the rest of the request is
/// valid, answers the guard's 400 or 422 `caractere_interdit` naming it, never a 5xx. (Without
/// the guard, PostgreSQL answered 29 of these requests with a 500, SQLite 2, and stored the rest.)
async fn no_bad_byte_reaches_the_database(backend: fn() -> Option<TestDb>) {
    let spec = committed_spec();
    let admin = token(Role::Admin, &[], None);
    let mut by_statut: std::collections::BTreeMap<&str, Vec<(Operation, &Route)>> =
        Default::default();
    for (operation, entry) in operations_in_the_matrix() {
        by_statut
            .entry(entry.statut)
            .or_default()
            .push((operation, entry));
    }
    let (mut sent, mut body_operations, mut failures) =
        (0, std::collections::BTreeSet::new(), Vec::new());
    for (statut, operations) in by_statut {
        let Some(db) = backend() else { return };
        seed_fixtures(&db, statut);
        let app = common::app(db.state()).await;
        for (operation, entry) in &operations {
            for bad in bad_bytes(&spec, operation, entry) {
                sent += 1;
                let key = format!("walk-{sent}");
                let mut headers = vec![("idempotency-key", key.as_str())];
                if bad.body.is_some() {
                    headers.push(("if-match", "*"));
                }
                if let Some((name, value)) = &bad.header {
                    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                    headers.push((name.as_str(), value.as_str()));
                }
                if bad.body.is_some() && bad.status == 422 {
                    body_operations.insert(format!("{} {}", bad.method, operation.path));
                }
                let answer = call(
                    &app,
                    common::request(
                        bad.method,
                        &bad.uri,
                        Some(&admin),
                        bad.body.as_ref(),
                        &headers,
                    ),
                )
                .await;
                let named = answer.json["errors"][0]["parameter"]
                    .as_str()
                    .or(answer.json["errors"][0]["pointer"].as_str());
                if answer.status.as_u16() != bad.status
                    || answer.json["code"] != "caractere_interdit"
                    || named != Some(bad.at.as_str())
                {
                    failures.push(format!(
                        "{} {} ({}): {} {}",
                        bad.method,
                        bad.uri,
                        bad.at,
                        answer.status,
                        answer.text.chars().take(300).collect::<String>()
                    ));
                }
            }
        }
    }
    let server_errors = failures.iter().filter(|f| f.contains(": 5")).count();
    eprintln!(
        "bad-byte walk: {sent} requests, {} operations with a body, {} not refused by the guard, {server_errors} answered 5xx",
        body_operations.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {sent} requests were not refused by the guard ({server_errors} answered 5xx):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
    // The walk reaches what the probe found: 18 operations with free-text bodies at least.
    assert!(sent >= 200, "only {sent} requests");
    assert!(
        body_operations.len() >= 18,
        "only {} operations with a body: {body_operations:?}",
        body_operations.len()
    );
}

#[actix_web::test]
async fn no_bad_byte_reaches_sqlite() {
    no_bad_byte_reaches_the_database(|| Some(TestDb::sqlite())).await
}

#[actix_web::test]
async fn no_bad_byte_reaches_postgres() {
    no_bad_byte_reaches_the_database(TestDb::postgres).await
}

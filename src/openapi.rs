//! The OpenAPI document: its fixed parts (info, tags, shared error responses) and the finishing
//! touches applied after `utoipa-actix-web` has collected the routes.
//!
//! The document never depends on the configuration: the served spec equals the committed
//! `openapi/openapi.json` whatever the environment.

use std::collections::BTreeMap;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi as OpenApiDoc, RefOr, Response, ResponseBuilder, Server,
};

use utoipa::openapi::Required;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::{IntoParams, IntoResponses, OpenApi, ToResponse};

use crate::auth::AuthError;
use crate::domain::catalogue::CATALOGUE;
use crate::domain::refusal::{FieldError, Refusal, RefusalKind, VALIDATION};
use crate::error::{ApiError, PROBLEM_JSON, Problem};

/// The fixed part of the document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "cnfs-api",
        description = "API REST du programme **Conseillers numériques France Services** : conventions \
entre l'État et les collectivités, enveloppes et engagements financiers, recrutement, formation et \
déploiement des conseillers numériques, tableaux de bord et données ouvertes.\n\n\
Conventions : montants en centimes d'euro (`*_centimes`), dates `AAAA-MM-JJ`, instants RFC 3339 UTC ; \
listes paginées par curseur (`limit`, `cursor`, `next_cursor` et en-tête `Link`) ; erreurs au format \
RFC 9457 (`application/problem+json`) avec un `code` stable ; chaque réponse porte `X-Request-Id`.",
        license(name = "MIT", identifier = "MIT"),
        contact(name = "Équipe cnfs-api", email = "cnfs-api@example.org")
    ),
    tags(
        (name = "Référentiel", description = "Découpage administratif officiel (régions, départements, communes, EPCI), \
issu du jeu Etalab « découpage administratif » 6.0.0 (licence MIT) ; lecture publique."),
        (name = "Santé", description = "Sondes de vie et de disponibilité pour l'orchestrateur et la supervision."),
        (name = "Accès", description = "Qui suis-je (`moi`) : l'appelant authentifié par son jeton bearer, son rôle et \
sa portée."),
        (name = "Structures", description = "Structures d'accueil : collectivités, établissements publics et \
associations qui signent les conventions et accueillent les conseillers ; leur catégorie d'employeur \
(publique ou privée) et leur classement en territoire prioritaire (QPV, ZRR)."),
        (name = "Conventions", description = "Conventions entre l'État et les collectivités d'un département : \
signature, projet d'accueil, validation, avenants, résiliation et clôture ; leurs postes par structure d'accueil \
(pourvus et vacants) ; le bilan de leurs subventions (mois financés et occupés, dû, avoir)."),
        (name = "Financement", description = "Enveloppes de financement, leurs barèmes (baremes : montant \
par poste et tranches selon la catégorie d'employeur et le territoire prioritaire) et leurs plafonds départementaux, \
engagements de crédits envers un employeur d'une convention (son bénéficiaire), versements (qui peuvent nommer \
une tranche), l'annulation d'un engagement ou d'un versement, et le financement de chacune des structures \
(structures/{id}/financement : engagé, versé, échéancier) : jamais d'engagement au-delà d'une enveloppe, d'un \
plafond, des postes d'une convention ou de ceux d'un employeur, même sous requêtes concurrentes."),
        (name = "Lieux", description = "Lieux d'activité des conseillers, selon le standard national des lieux de \
médiation numérique : lecture publique ; écriture par la structure qui tient le lieu, la préfecture ou l'administration."),
        (name = "Postes", description = "Les postes attribués aux structures d'accueil, chacun un objet : \
`vacant`, `occupe` ou `rendu` depuis une date, de typologie `conseiller` ou `coordinateur`, avec son historique \
(attribution à la validation du projet d'accueil ou par avenant, occupations, libérations, transferts, rendu) ; \
le transfert d'un poste vacant à une autre structure d'accueil de la convention."),
        (name = "Conseillers", description = "Conseillers numériques : recrutement sur les postes d'une convention en \
exécution, formation, certification, prise de poste dans un lieu, sortie ; le coordinateur qui suit un \
conseiller ; données personnelles pour l'employeur et l'administration seulement."),
        (name = "Contrats", description = "Les contrats des conseillers, chacun un objet : type, premier jour, fin prévue, rupture et son motif, et l'état à la date du service (`en_cours`, `termine` le lendemain de la fin prévue sans aucun traitement, `rompu`) ; la création d'un contrat pour une personne sur un poste vacant de son employeur (un seul contrat en vigueur à la fois, salaire au moins au SMIC), la prolongation d'un contrat à durée déterminée, la rupture d'un contrat en cours, après laquelle le poste est vacant le lendemain."),
        (name = "Activités", description = "Ateliers collectifs et accompagnements individuels des conseillers en \
poste, sans aucune donnée sur les personnes accompagnées ; ils alimentent les statistiques."),
        (name = "Statistiques", description = "Tableaux de bord publics : postes, conseillers, conventions, \
financement et activités, au national, par région et par département, calculés à la lecture ; sans aucune donnée \
personnelle."),
        (name = "Données ouvertes", description = "Exports publics en CSV (RFC 4180 : virgule, UTF-8, une ligne \
d'en-tête), diffusés en flux : les subventions au format national SCDL (une ligne par engagement et structure \
d'accueil), les lieux selon le standard des lieux de médiation numérique, les postes (une ligne par poste) et les \
statistiques des départements (une ligne par département) ; sans aucune donnée personnelle."),
        (name = "Journal", description = "Qui a changé quoi, quand : une entrée par modification d'une structure, \
d'une convention, d'une enveloppe, d'un engagement, d'un versement, d'un lieu, d'un conseiller, d'une \
activité, d'un poste ou d'un contrat, écrite dans la même transaction.")
    ),
    components(
        schemas(Problem),
        responses(
            BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed,
            Unprocessable, PreconditionRequired, TooManyRequests, InternalError,
            ServiceUnavailable
        )
    )
)]
pub struct ApiDoc;

/// The bearer scheme: how to get a token and paste it into Swagger UI, then what a token must
/// hold. No configured value (issuer, audience) appears here: the document is the same for every
/// deployment.
fn bearer_scheme() -> SecurityScheme {
    SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "**Obtenir un jeton.** En développement (aucune clé configurée, base SQLite), le \
service journalise à son démarrage des jetons prêts à coller (admin, préfecture 93, lecteur \
national ; valables 12 h). La commande `cnfs-api token --role <rôle> [--departement <code>]… \
[--structure <uuid>]` en émet un avec la configuration du service : en production, avec la clé de \
signature configurée (`CNFS_JWT_SECRET`, ou `CNFS_JWT_PRIVATE_KEY` et `--kid`) ; sinon les jetons \
viennent du fournisseur d'identité du déploiement.\n\n\
**Dans Swagger UI**, bouton « Authorize » : coller le jeton seul, **sans** le préfixe `Bearer ` \
(Swagger UI l'ajoute ; un `Bearer` en double est refusé : `jeton_mal_forme`).\n\n\
**Vérification.** Jeton JWT signé (JWS compact), vérifié selon les bonnes pratiques de la RFC8725 (JWT BCP) : \
seul l'algorithme configuré par le déploiement est accepté (HS256, EdDSA ou ES256 ; jamais `none`, \
jamais choisi par l'en-tête du jeton) ; la clé est choisie par `kid` dans la liste configurée \
(facultatif avec un unique secret HS256). Claims obligatoires : `iss` (l'émetteur configuré), \
`aud` (contient l'audience configurée), `exp`, `nbf`, `iat`, `sub`, `role` \
(`lecteur`, `structure`, `prefecture`, `admin`) ; tolérance d'horloge 30 s. Portée : \
`departements` (tableau de codes) obligatoire pour `prefecture`, facultatif pour `lecteur` \
(sans lui, lecteur national) ; `structure_id` (UUID) obligatoire pour `structure` ; `admin` est \
national et ne porte ni l'un ni l'autre ; ses départements existent. Chaque chaîne des claims \
(`sub`…) a au plus 255 caractères, sans caractère de contrôle ; un en-tête `crit` est refusé ; la \
durée de vie (`exp - iat`) a un maximum configuré (30 jours par défaut). Le jeton passe dans \
l'en-tête `Authorization`, jamais dans l'URL (`?access_token=` : 400 `jeton_dans_url`). Un jeton \
refusé reçoit 401, \
`WWW-Authenticate: Bearer error=\"invalid_token\"` et un problème dont le `code` dit pourquoi.",
            ))
            .build(),
    )
}

/// Swagger UI's parameter table shows a parameter's type, not its pattern: the pattern (from the
/// code type's schema, never written twice) is added to the description.
fn show_format(parameter: &mut Parameter) {
    let Some(RefOr::T(utoipa::openapi::schema::Schema::Object(schema))) = &parameter.schema else {
        return;
    };
    let Some(pattern) = &schema.pattern else {
        return;
    };
    let note = format!("Format : `{pattern}`.");
    parameter.description = Some(match parameter.description.take() {
        Some(text) if !text.is_empty() => format!("{text}\n\n{note}"),
        _ => note,
    });
}

fn text_header(description: &str, integer: bool) -> Header {
    let schema = if integer {
        // Seconds (`Retry-After`): a small integer, with its format (OWASP API4).
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
    } else {
        ObjectBuilder::new().schema_type(Type::String)
    };
    HeaderBuilder::new()
        .schema(Some(schema))
        .description(Some(description))
        .build()
}

fn request_id_header() -> Header {
    text_header(
        "Identifiant de la requête : celui de la requête s'il est sûr (1 à 128 caractères \
         `[A-Za-z0-9-_.:]`), sinon un UUID v7 généré ; repris dans les problèmes et les journaux.",
        false,
    )
}

/// Documents `X-Request-Id` on a response (every response carries it).
fn add_request_id(response: &mut RefOr<Response>) {
    if let RefOr::T(response) = response {
        response
            .headers
            .insert("X-Request-Id".to_owned(), RefOr::T(request_id_header()));
    }
}

/// Finishes the collected document: a relative server (no configured host), `security: []` on
/// every operation that does not declare its own (public operations say so explicitly), and the
/// `X-Request-Id` header on every response.
///
/// The server is `..`, relative to the document's own location (`/api-docs/openapi.json`, as
/// OpenAPI allows): it names the root of the service that serves the document, also when a
/// reverse proxy publishes it under a prefix (`/cnfs/api-docs/openapi.json` → `/cnfs/`), which
/// Swagger UI's "Execute" then uses. `/` would lead outside the prefix.
pub fn finish(mut doc: OpenApiDoc) -> OpenApiDoc {
    let mut server = Server::new("..");
    server.description = Some(
        "Le service qui publie ce document (URL relative à celle du document, \
`…/api-docs/openapi.json`) : sa racine, y compris derrière un proxy qui le publie sous un préfixe ; \
le même document pour chaque environnement (local, recette/staging, production)."
            .to_owned(),
    );
    // Public: préfecture portals, ministry dashboards and integrators call it (OWASP API9).
    let mut public = utoipa::openapi::extensions::Extensions::default();
    public.insert("x-internal".to_owned(), serde_json::Value::Bool(false));
    server.extensions = Some(public);
    doc.servers = Some(vec![server]);
    if let Some(components) = doc.components.as_mut() {
        components.responses.values_mut().for_each(add_request_id);
        components.add_security_scheme("bearer", bearer_scheme());
    }
    // A shared parameter is published once an operation names it (no unused component).
    let mut used = std::collections::BTreeSet::new();
    for (path, item) in doc.paths.paths.iter_mut() {
        // The rate limit (`CNFS_RATE_LIMIT`) applies to every operation but the health probes.
        let limited = !path.starts_with("/health/");
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            operation.security.get_or_insert_with(Vec::new);
            // Shared parameters are written inline by the operations (`params(IdempotencyKey)`)
            // and published as references to the one component.
            for parameter in operation.parameters.iter_mut().flatten() {
                if let RefOr::T(inline) = parameter
                    && let Some((name, _)) = shared_parameters()
                        .into_iter()
                        .find(|(_, shared)| shared == inline)
                {
                    *parameter = RefOr::Ref(utoipa::openapi::Ref::new(format!(
                        "#/components/parameters/{name}"
                    )));
                    used.insert(name);
                } else if let RefOr::T(inline) = parameter {
                    show_format(inline);
                }
            }
            if limited {
                operation.responses.responses.insert(
                    "429".to_owned(),
                    RefOr::Ref(utoipa::openapi::Ref::from_response_name("TooManyRequests")),
                );
            }
            operation
                .responses
                .responses
                .values_mut()
                .for_each(add_request_id);
        }
    }
    add_creation_links(&mut doc);
    if let Some(components) = doc.components.as_mut() {
        for (name, parameter) in shared_parameters() {
            if used.contains(name) {
                components
                    .parameters
                    .insert(name.to_owned(), RefOr::T(parameter));
            }
        }
    }
    doc
}

/// Links from each creation (`POST /x` answering 201) to the operations on what it created
/// (`/x/{id}…`), with `id` taken from the created body: clients and tools (Swagger UI, the
/// stateful tests of schemathesis) learn where a new identifier leads.
fn add_creation_links(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::link::LinkBuilder;
    let mut targets: Vec<(String, String)> = Vec::new(); // (path, operation id)
    for (path, item) in &doc.paths.paths {
        for operation in [&item.get, &item.post, &item.put, &item.patch, &item.delete]
            .into_iter()
            .flatten()
        {
            if let Some(id) = &operation.operation_id {
                targets.push((path.clone(), id.clone()));
            }
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let Some(created) = item.post.as_mut() else {
            continue;
        };
        let Some(RefOr::T(response)) = created.responses.responses.get_mut("201") else {
            continue;
        };
        let prefix = format!("{path}/{{id}}");
        for (target_path, operation_id) in &targets {
            let nested_ids = target_path.matches('{').count();
            if (target_path == &prefix || target_path.starts_with(&format!("{prefix}/")))
                && nested_ids == 1
            {
                response.links.insert(
                    operation_id.clone(),
                    RefOr::T(
                        LinkBuilder::new()
                            .operation_id(operation_id.clone())
                            .parameter("id", "$response.body#/id")
                            .description("L'identifiant de l'objet créé.")
                            .build(),
                    ),
                );
            }
        }
    }
}

/// The request id shown in examples.
const EXAMPLE_REQUEST_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90";

/// The problem an error answers, as an example: built from the error itself (so the example cannot
/// drift from what is sent), with a sample request id and no `instance` (shared examples fit every
/// operation; the real `instance` is the request's path).
pub fn problem_example(error: &ApiError) -> serde_json::Value {
    let mut problem = error.problem();
    problem.request_id = Some(EXAMPLE_REQUEST_ID.to_owned());
    serde_json::to_value(problem).unwrap_or_default()
}

fn problem_content() -> ContentBuilder {
    ContentBuilder::new().schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
        "Problem",
    ))))
}

fn problem_response(description: &str, error: ApiError) -> RefOr<Response> {
    problem_response_builder(description, error).build().into()
}

fn problem_response_builder(description: &str, error: ApiError) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        PROBLEM_JSON,
        problem_content()
            .example(Some(problem_example(&error)))
            .build(),
    )
}

/// A refusal response: one named example per code of that kind in the catalogue.
fn refusal_response(kind: RefusalKind, description: &str) -> RefOr<Response> {
    let examples = CATALOGUE
        .iter()
        .filter(|code| code.kind == kind)
        .map(|code| {
            let mut refusal = Refusal::new(code, code.example);
            if code.code == VALIDATION.code {
                refusal = refusal.with_error(FieldError::pointer(
                    "/postes_attribues",
                    "doit être un entier supérieur ou égal à 1",
                ));
            }
            let example = ExampleBuilder::new()
                .summary(code.title)
                .value(Some(problem_example(&ApiError::Refused(refusal))))
                .build();
            (code.code, example)
        });
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            problem_content().examples_from_iter(examples).build(),
        )
        .build()
        .into()
}

/// Declares a shared refusal response (403, 409, 412, 422, 428) with its examples.
macro_rules! refusal_responses {
    ($($name:ident: $kind:expr, $description:literal;)+) => {
        $(
            #[doc = $description]
            pub struct $name;

            impl<'s> ToResponse<'s> for $name {
                fn response() -> (&'s str, RefOr<Response>) {
                    (stringify!($name), refusal_response($kind, $description))
                }
            }
        )+
    };
}

refusal_responses! {
    Forbidden: RefusalKind::Forbidden,
        "Action interdite : l'appelant voit l'objet, mais son rôle ne permet pas cette action.";
    Conflict: RefusalKind::Conflict,
        "Conflit avec l'état actuel des données : statut qui ne permet pas l'action, objet déjà existant, requête de même clé d'idempotence en cours ; `code` dit lequel.";
    PreconditionFailed: RefusalKind::PreconditionFailed,
        "Précondition non remplie : l'objet a changé depuis la lecture dont l'`ETag` est dans `If-Match` ; le relire puis réessayer.";
    Unprocessable: RefusalKind::Unprocessable,
        "Requête bien formée mais qui enfreint une règle : `errors` désigne chaque champ fautif (pointeur JSON) ; `code` dit quelle règle.";
    PreconditionRequired: RefusalKind::PreconditionRequired,
        "Précondition requise : une modification doit porter `If-Match` avec l'`ETag` de la dernière lecture.";
}

/// 400: a query or path parameter is unknown, repeated, ill-typed or out of range.
pub struct BadRequest;

impl<'s> ToResponse<'s> for BadRequest {
    fn response() -> (&'s str, RefOr<Response>) {
        (
            "BadRequest",
            problem_response(
                "Paramètre invalide : inconnu, répété, mal typé, hors bornes ou de format invalide (`parametre_invalide`), ou contenant un caractère de contrôle, comme un en-tête lu par l'API (`caractere_interdit`) ; jeton passé dans l'URL (`jeton_dans_url`) ; `errors` nomme chaque paramètre fautif.",
                ApiError::invalid_parameter(
                    "tri",
                    "paramètre inconnu ; paramètres acceptés : ceux que documente l'opération",
                ),
            ),
        )
    }
}

/// 401: no token, or a token refused (the `code` says why).
pub struct Unauthorized;

impl<'s> ToResponse<'s> for Unauthorized {
    fn response() -> (&'s str, RefOr<Response>) {
        (
            "Unauthorized",
            problem_response_builder(
                "Authentification requise : jeton absent, ou refusé (mal formé, expiré, pas encore valide, \
signature, algorithme, clé, émetteur, audience, claim manquante ou invalide, rôle inconnu, portée ne convenant pas au rôle, \
en-tête `crit`, durée de vie excessive) ; \
`code` dit lequel, sans jamais reprendre le jeton.",
                ApiError::Unauthorized(AuthError::Expired),
            )
            .header(
                "WWW-Authenticate",
                text_header(
                    "`Bearer` quand aucun jeton n'a été envoyé, `Bearer error=\"invalid_token\"` sinon (RFC 6750).",
                    false,
                ),
            )
            .build()
            .into(),
        )
    }
}

/// 404: no such resource (or outside the caller's scope).
pub struct NotFound;

impl<'s> ToResponse<'s> for NotFound {
    fn response() -> (&'s str, RefOr<Response>) {
        (
            "NotFound",
            problem_response(
                "Ressource introuvable (ou hors de la portée de l'appelant, sans le révéler).",
                ApiError::NotFound("Ressource introuvable.".to_owned()),
            ),
        )
    }
}

/// 500: an unexpected failure, logged with the request id.
pub struct InternalError;

impl<'s> ToResponse<'s> for InternalError {
    fn response() -> (&'s str, RefOr<Response>) {
        (
            "InternalError",
            problem_response(
                "Erreur interne : journalisée avec l'identifiant de la requête, sans détail dans la réponse.",
                ApiError::internal("exemple"),
            ),
        )
    }
}

/// 429: the caller's rate limit is reached (retry after `Retry-After` seconds).
pub struct TooManyRequests;

impl<'s> ToResponse<'s> for TooManyRequests {
    fn response() -> (&'s str, RefOr<Response>) {
        (
            "TooManyRequests",
            problem_response_builder(
                "Trop de requêtes : l'appelant (le `sub` de son jeton, sinon son adresse IP) a dépassé la limite de débit de l'instance (`CNFS_RATE_LIMIT` requêtes par minute, désactivée par défaut) ; réessayer après `Retry-After` secondes.",
                ApiError::TooManyRequests {
                    per_minute: 600,
                    retry_after: 1,
                },
            )
            .header(
                "Retry-After",
                text_header("Secondes à attendre avant la prochaine requête admise.", true),
            )
            .build()
            .into(),
        )
    }
}

/// 503: the database cannot answer now (retry after `Retry-After` seconds).
pub struct ServiceUnavailable;

impl<'s> ToResponse<'s> for ServiceUnavailable {
    fn response() -> (&'s str, RefOr<Response>) {
        (
            "ServiceUnavailable",
            problem_response_builder(
                "Service indisponible : base de données injoignable, démarrage en cours ou écritures concurrentes ; réessayer après `Retry-After` secondes.",
                ApiError::Unavailable(
                    "Aucune connexion à la base de données n'est disponible ; réessayer dans quelques secondes."
                        .to_owned(),
                ),
            )
            .header(
                "Retry-After",
                text_header("Secondes à attendre avant de réessayer.", true),
            )
            .build()
            .into(),
        )
    }
}

/// The `Idempotency-Key` header of a POST that creates something: `params(IdempotencyKey)` in its
/// `#[utoipa::path]`; the document shows it as a `$ref` to the shared parameter.
pub struct IdempotencyKey;

/// The `Idempotency-Key` header of a POST that moves money, where it is required.
pub struct IdempotencyKeyRequired;

const IDEMPOTENCY_KEY_DESCRIPTION: &str = "Clé d'idempotence (brouillon IETF « The Idempotency-Key HTTP Header Field ») : \
une valeur unique par opération, choisie par le client (un UUID, par exemple ; 1 à 255 caractères ASCII visibles). \
Rejouer la même requête avec la même clé renvoie la réponse enregistrée (même statut, même corps, même `Location`), \
sans refaire l'opération ; la même clé avec une autre requête est refusée (422 `cle_idempotence_reutilisee`) ; \
pendant que la première est en cours, 409 `requete_en_cours`. Les clés sont propres à chaque appelant et gardées 24 h.";

fn idempotency_parameter(required: bool) -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .description(Some(IDEMPOTENCY_KEY_DESCRIPTION))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[!-~]+$")),
        ))
        .build()
}

impl IntoParams for IdempotencyKey {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![idempotency_parameter(false)]
    }
}

impl IntoParams for IdempotencyKeyRequired {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![idempotency_parameter(true)]
    }
}

/// The shared parameter components and the name each inline parameter is replaced by.
fn shared_parameters() -> [(&'static str, Parameter); 2] {
    [
        ("IdempotencyKey", idempotency_parameter(false)),
        ("IdempotencyKeyRequired", idempotency_parameter(true)),
    ]
}

/// The shared error response that answers `status` (its component's name).
fn response_name(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        412 => "PreconditionFailed",
        422 => "Unprocessable",
        428 => "PreconditionRequired",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        _ => unreachable!("no shared response for {status}"),
    }
}

/// References to shared error responses, by status.
fn shared(statuses: &[u16]) -> BTreeMap<String, RefOr<Response>> {
    statuses
        .iter()
        .map(|status| {
            let name = response_name(*status);
            (
                status.to_string(),
                RefOr::Ref(utoipa::openapi::Ref::from_response_name(name)),
            )
        })
        .collect()
}

/// Declares the error sets operations name in `responses(…)`: each a unit struct whose
/// `IntoResponses` lists references to the shared error responses of its statuses.
macro_rules! error_sets {
    ($($(#[doc = $doc:literal])+ $name:ident = [$($status:literal),+];)+) => {
        $(
            $(#[doc = $doc])+
            pub struct $name;

            impl IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    shared(&[$($status),+])
                }
            }
        )+
    };
}

error_sets! {
    /// The errors of a public read without path parameter: 400, 500, 503.
    ReadErrors = [400, 500, 503];
    /// The errors of a public read by identifier: 400 (malformed identifier), 404, 500, 503.
    ItemReadErrors = [400, 404, 500, 503];
    /// The errors of an authenticated read that touches no stored object: 400, 401.
    AuthenticatedReadErrors = [400, 401];
    /// The errors of an authenticated list: 400, 401, 403 (a role that may not list it), 500, 503.
    ListErrors = [400, 401, 403, 500, 503];
    /// The errors of an authenticated read by identifier: 400, 401, 404 (absent or outside the
    /// caller's scope), 500, 503.
    ItemErrors = [400, 401, 404, 500, 503];
    /// The errors of an authenticated read by identifier that some roles may not do at all: 400,
    /// 401, 403 (such a role), 404 (absent or outside the caller's scope), 500, 503.
    ItemRoleErrors = [400, 401, 403, 404, 500, 503];
    /// The errors of a creation: 400, 401, 403, 409, 422, 500, 503.
    CreateErrors = [400, 401, 403, 409, 422, 500, 503];
    /// The errors of an action on an object that takes no `If-Match` (a money movement, a
    /// sub-resource's creation): 400, 401, 403, 404, 409, 422, 500, 503.
    ActErrors = [400, 401, 403, 404, 409, 422, 500, 503];
    /// The errors of a change or an action on an object: 400, 401, 403, 404, 409, 412, 422, 428,
    /// 500, 503.
    ChangeErrors = [400, 401, 403, 404, 409, 412, 422, 428, 500, 503];
}

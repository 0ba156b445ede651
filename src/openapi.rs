//! The OpenAPI document: its fixed parts (info, tags, shared error responses) and the finishing
//! touches applied after `utoipa-actix-web` has collected the routes.
//!
//! The document never depends on the configuration: the served spec equals the committed
//! `openapi/openapi.json` whatever the environment.

use serde_json::json;
use std::collections::BTreeMap;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi as OpenApiDoc, RefOr, Response, ResponseBuilder, Server,
};

use utoipa::{IntoResponses, OpenApi, ToResponse};

use crate::error::{PROBLEM_JSON, Problem};

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
        (name = "Accès", description = "L'appelant authentifié par son jeton bearer.")
    ),
    components(
        schemas(Problem),
        responses(BadRequest, Unauthorized, NotFound, InternalError, ServiceUnavailable)
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
**Vérification.** Jeton JWT signé (JWS compact), vérifié selon les bonnes pratiques de la RFC 8725 : \
seul l'algorithme configuré par le déploiement est accepté (HS256, EdDSA ou ES256 ; jamais `none`, \
jamais choisi par l'en-tête du jeton) ; la clé est choisie par `kid` dans la liste configurée \
(facultatif avec un unique secret HS256). Claims obligatoires : `iss` (l'émetteur configuré), \
`aud` (contient l'audience configurée), `exp`, `nbf`, `iat`, `sub`, `role` \
(`lecteur`, `structure`, `prefecture`, `admin`) ; tolérance d'horloge 30 s. Portée : \
`departements` (tableau de codes) obligatoire pour `prefecture`, facultatif pour `lecteur` \
(sans lui, lecteur national) ; `structure_id` (UUID) obligatoire pour `structure` ; `admin` est \
national et ne porte ni l'un ni l'autre. Un jeton refusé reçoit 401, \
`WWW-Authenticate: Bearer error=\"invalid_token\"` et un problème dont le `code` dit pourquoi.",
            ))
            .build(),
    )
}

fn text_header(description: &str, integer: bool) -> Header {
    let kind = if integer { Type::Integer } else { Type::String };
    HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(kind)))
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
`…/api-docs/openapi.json`) : sa racine, y compris derrière un proxy qui le publie sous un préfixe."
            .to_owned(),
    );
    doc.servers = Some(vec![server]);
    if let Some(components) = doc.components.as_mut() {
        components.responses.values_mut().for_each(add_request_id);
        components.add_security_scheme("bearer", bearer_scheme());
    }
    for item in doc.paths.paths.values_mut() {
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
            operation
                .responses
                .responses
                .values_mut()
                .for_each(add_request_id);
        }
    }
    doc
}

fn problem_response(description: &str, example: serde_json::Value) -> RefOr<Response> {
    problem_response_builder(description, example)
        .build()
        .into()
}

fn problem_response_builder(description: &str, example: serde_json::Value) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                "Problem",
            ))))
            .example(Some(example))
            .build(),
    )
}

/// 400: a query or path parameter is unknown, repeated, ill-typed or out of range.
pub struct BadRequest;

impl<'s> ToResponse<'s> for BadRequest {
    fn response() -> (&'s str, RefOr<Response>) {
        (
            "BadRequest",
            problem_response(
                "Paramètre invalide : inconnu, répété, mal typé ou hors bornes ; `errors` nomme chaque paramètre fautif.",
                json!({
                    "type": "urn:cnfs-api:probleme:parametre_invalide",
                    "title": "Paramètre invalide",
                    "status": 400,
                    "detail": "Paramètre de requête invalide : limit.",
                    "instance": "/api/v1/communes",
                    "code": "parametre_invalide",
                    "request_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90",
                    "errors": [{"parameter": "limit", "detail": "doit être un entier entre 1 et 200"}]
                }),
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
signature, algorithme, clé, émetteur, audience, claim manquante, rôle inconnu, portée ne convenant pas au rôle) ; \
`code` dit lequel, sans jamais reprendre le jeton.",
                json!({
                    "type": "urn:cnfs-api:probleme:jeton_expire",
                    "title": "Authentification requise",
                    "status": 401,
                    "detail": "Jeton expiré.",
                    "instance": "/api/v1/moi",
                    "code": "jeton_expire",
                    "request_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"
                }),
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

/// 404: no such resource.
pub struct NotFound;

impl<'s> ToResponse<'s> for NotFound {
    fn response() -> (&'s str, RefOr<Response>) {
        (
            "NotFound",
            problem_response(
                "Ressource introuvable.",
                json!({
                    "type": "urn:cnfs-api:probleme:ressource_introuvable",
                    "title": "Ressource introuvable",
                    "status": 404,
                    "detail": "Aucun département de code 00.",
                    "instance": "/api/v1/departements/00",
                    "code": "ressource_introuvable",
                    "request_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"
                }),
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
                json!({
                    "type": "urn:cnfs-api:probleme:erreur_interne",
                    "title": "Erreur interne",
                    "status": 500,
                    "detail": "Une erreur interne est survenue ; elle a été journalisée avec l'identifiant de la requête.",
                    "instance": "/api/v1/communes",
                    "code": "erreur_interne",
                    "request_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"
                }),
            ),
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
                "Service indisponible : base de données injoignable ou démarrage en cours ; réessayer après `Retry-After` secondes.",
                json!({
                    "type": "urn:cnfs-api:probleme:service_indisponible",
                    "title": "Service indisponible",
                    "status": 503,
                    "detail": "Aucune connexion à la base de données n'est disponible ; réessayer dans quelques secondes.",
                    "instance": "/api/v1/communes",
                    "code": "service_indisponible",
                    "request_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90"
                }),
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

/// References to shared error responses, by status.
fn shared(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, name)| {
            (
                status.to_string(),
                RefOr::Ref(utoipa::openapi::Ref::from_response_name(*name)),
            )
        })
        .collect()
}

/// The errors of a public read without path parameter: 400, 500, 503.
pub struct ReadErrors;

impl IntoResponses for ReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        shared(&[
            ("400", "BadRequest"),
            ("500", "InternalError"),
            ("503", "ServiceUnavailable"),
        ])
    }
}

/// The errors of a public read by identifier: 400 (malformed identifier), 404, 500, 503.
pub struct ItemReadErrors;

impl IntoResponses for ItemReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        shared(&[
            ("400", "BadRequest"),
            ("404", "NotFound"),
            ("500", "InternalError"),
            ("503", "ServiceUnavailable"),
        ])
    }
}

/// The errors of an authenticated read that touches no stored object: 400, 401.
pub struct AuthenticatedReadErrors;

impl IntoResponses for AuthenticatedReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        shared(&[("400", "BadRequest"), ("401", "Unauthorized")])
    }
}

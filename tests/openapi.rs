//! The published contract: committed, served, complete.

mod common;

use actix_web::test as actix_test;
use common::{TestDb, get};

const COMMITTED: &str = include_str!("../openapi/openapi.json");
const REGENERATE: &str = "cargo run -- openapi --output openapi/openapi.json";

#[test]
fn committed_spec_equals_the_generated_one() {
    let generated = cnfs_api::openapi_json();
    if generated != COMMITTED {
        panic!(
            "openapi/openapi.json differs from the document the code generates.\n\
             Regenerate it with `{REGENERATE}`, review the diff and commit it."
        );
    }
}

#[actix_web::test]
async fn served_spec_equals_the_committed_one_whatever_the_configuration() {
    let db = TestDb::sqlite();
    let app = actix_test::init_service(cnfs_api::build_app(
        db.state(),
        vec!["https://portail.example.fr".to_owned()],
    ))
    .await;
    let answer = get(&app, "/api-docs/openapi.json").await;
    assert_eq!(answer.status, 200);
    let committed: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert!(
        answer.json == committed,
        "the served spec differs from openapi/openapi.json"
    );
    assert_eq!(committed["openapi"], "3.1.0");
    assert!(!COMMITTED.contains("127.0.0.1") && !COMMITTED.contains("localhost"));
}

fn operations(spec: &serde_json::Value) -> Vec<(String, String, &serde_json::Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), operation));
        }
    }
    out
}

#[test]
fn every_operation_is_documented_with_its_errors() {
    let spec: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let responses = &spec["components"]["responses"];
    let ops = operations(&spec);
    assert!(ops.len() >= 10);
    for (method, path, op) in ops {
        let name = format!("{method} {path}");
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{name}: summary"
        );
        assert!(
            op["description"].as_str().is_some_and(|s| s.len() > 20),
            "{name}: description"
        );
        assert!(op["operationId"].is_string(), "{name}: operationId");
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{name}: tag"
        );
        // Public operations say so explicitly; protected ones name the bearer scheme and
        // document their 401.
        let codes: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
        if op["security"] == serde_json::json!([]) {
            assert!(
                op["description"].as_str().unwrap().contains("Public"),
                "{name}: says it is public"
            );
        } else {
            assert_eq!(
                op["security"],
                serde_json::json!([{"bearer": []}]),
                "{name}: security"
            );
            assert!(
                codes.iter().any(|c| c.as_str() == "401"),
                "{name}: 401 documented"
            );
        }
        assert!(
            codes.iter().any(|c| c.starts_with('2')),
            "{name}: success response"
        );
        assert!(
            codes.iter().any(|c| c.as_str() == "400"),
            "{name}: 400 documented"
        );
        for (code, response) in op["responses"].as_object().unwrap() {
            if !code.starts_with('4') && !code.starts_with('5') {
                continue;
            }
            let reference = response["$ref"]
                .as_str()
                .expect("error responses are shared components");
            let component = &responses[reference.rsplit('/').next().unwrap()];
            let content = &component["content"]["application/problem+json"];
            assert_eq!(
                content["schema"]["$ref"], "#/components/schemas/Problem",
                "{name} {code}"
            );
            assert!(
                content["example"]["code"].is_string(),
                "{name} {code}: example"
            );
        }
        // The success body's schema carries an example (shown in Swagger UI).
        for (code, response) in op["responses"].as_object().unwrap() {
            if !code.starts_with('2') {
                continue;
            }
            let schema = &response["content"]["application/json"]["schema"]["$ref"];
            let name = schema.as_str().expect("success bodies are named schemas");
            let schema = &spec["components"]["schemas"][name.rsplit('/').next().unwrap()];
            assert!(
                !schema["example"].is_null(),
                "{method} {path}: {name} has no example"
            );
        }
        if path.contains('{') {
            assert!(
                codes.iter().any(|c| c.as_str() == "404"),
                "{name}: 404 documented"
            );
        }
    }
}

#[test]
fn every_routed_path_is_in_the_spec() {
    // The fallback answers 405 from the spec's paths; a route missing from the spec would answer
    // there as unknown. Check the list of documented paths against what the app routes.
    let spec = cnfs_api::openapi_document();
    let mut paths: Vec<&str> = spec.paths.paths.keys().map(String::as_str).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/api/v1/communes",
            "/api/v1/communes/{code_insee}",
            "/api/v1/departements",
            "/api/v1/departements/{code}",
            "/api/v1/epci",
            "/api/v1/epci/{siren}",
            "/api/v1/moi",
            "/api/v1/regions",
            "/api/v1/regions/{code}",
            "/health/live",
            "/health/ready",
        ]
    );
}

/// The patterns the spec publishes are string literals (utoipa checks them at compile time and
/// takes no constant), so they are written a second time beside the domain's checks. This test
/// keeps the two in step: every pattern in the spec is one the server enforces, by name.
#[test]
fn published_patterns_are_the_enforced_ones() {
    use cnfs_api::domain::referentiel as domain;
    let enforced = [
        ("region", domain::REGION_CODE_PATTERN),
        ("departement", domain::DEPARTEMENT_CODE_PATTERN),
        ("code_insee", domain::CODE_INSEE_PATTERN),
        ("code_postal", domain::CODE_POSTAL_PATTERN),
        ("siren", domain::SIREN_PATTERN),
        ("cursor", cnfs_api::http::extract::CURSOR_PATTERN),
    ];
    let spec: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for operation in item.as_object().unwrap().values() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let Some(pattern) = parameter["schema"]["pattern"].as_str() else {
                    continue;
                };
                let name = parameter["name"].as_str().unwrap();
                // `code` is a région code under /regions, a département code elsewhere.
                let key = match name {
                    "code" if path.starts_with("/api/v1/regions") => "region",
                    "code" => "departement",
                    other => other,
                };
                let expected = enforced.iter().find(|(k, _)| *k == key).map(|(_, p)| *p);
                assert_eq!(Some(pattern), expected, "{path} parameter {name}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} patterns found");
    for (schema, field, key) in [
        ("Region", "code", "region"),
        ("Departement", "code", "departement"),
        ("Commune", "code_insee", "code_insee"),
        ("Epci", "siren", "siren"),
    ] {
        let pattern =
            spec["components"]["schemas"][schema]["properties"][field]["pattern"].as_str();
        let expected = enforced.iter().find(|(k, _)| *k == key).map(|(_, p)| *p);
        assert_eq!(pattern, expected, "{schema}.{field}");
    }
}

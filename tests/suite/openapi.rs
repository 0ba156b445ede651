//! The published contract: committed, served, complete.

use crate::common;

use actix_web::test as actix_test;
use common::{TestApp, TestDb, get};

const COMMITTED: &str = include_str!("../../openapi/openapi.json");
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
                content["example"]["code"].is_string()
                    || content["examples"]
                        .as_object()
                        .is_some_and(|examples| examples
                            .values()
                            .all(|e| e["value"]["code"].is_string())),
                "{name} {code}: example"
            );
        }
        // The success body's schema carries an example (shown in Swagger UI).
        for (code, response) in op["responses"].as_object().unwrap() {
            if !code.starts_with('2') {
                continue;
            }
            if code == "204" {
                assert!(response["content"].is_null(), "{name}: a 204 has no body");
                continue;
            }
            // A CSV export: a string with an example file (header row first).
            if let Some(csv) = response["content"].get("text/csv") {
                assert_eq!(csv["schema"]["type"], "string", "{method} {path}: CSV");
                assert!(
                    csv["example"].as_str().is_some_and(|e| e.contains("\r\n")),
                    "{method} {path}: the CSV example is a file"
                );
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

/// Every documented operation is routed: a request with its method and example parameters never
/// falls through to the fallback (404 `route_inconnue`, 405). The other direction holds by
/// construction: routes are registered through `utoipa-actix-web`, which documents each one.
#[actix_web::test]
async fn every_documented_operation_is_routed() {
    let spec: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let db = TestDb::sqlite();
    let app = TestApp::on(&db).await;
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let uri = common::example_uri(path, operation, None);
            let req = actix_test::TestRequest::default()
                .method(method.to_uppercase().parse().unwrap())
                .uri(&uri)
                .to_request();
            let answer = common::call(&app, req).await;
            assert_ne!(answer.json["code"], "route_inconnue", "{method} {uri}");
            assert_ne!(answer.status.as_u16(), 405, "{method} {uri}");
            checked += 1;
        }
    }
    assert!(checked >= 11, "{checked}");
}

/// Every format the spec publishes for a parameter is enforced by the server: a value outside
/// the pattern is a 400 naming that parameter. (Patterns come from the code types themselves, so
/// there is no second list to keep in step; this checks the extractors use them.)
#[actix_web::test]
async fn every_published_parameter_pattern_is_enforced() {
    let spec: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let db = TestDb::sqlite();
    let app = TestApp::on(&db).await;
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if method != "get" {
                continue;
            }
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for tested in &parameters {
                if tested["schema"]["pattern"].as_str().is_none() {
                    continue;
                }
                let name = tested["name"].as_str().unwrap();
                // A free-text parameter's pattern refuses only control characters (400
                // caractere_interdit); every other pattern refuses an accented word.
                let free_text = tested["schema"]["pattern"] == r"^[^\u0000-\u001F\u007F]*$";
                let (bad, code) = if free_text {
                    ("a%00b", "caractere_interdit")
                } else {
                    ("%C3%A9x%20y", "parametre_invalide")
                };
                let mut uri = if tested["in"] == "path" {
                    common::example_uri(path, operation, Some((name, &bad.replace("%20y", ""))))
                } else {
                    common::example_uri(path, operation, None)
                };
                if tested["in"] == "query" {
                    uri = format!("{uri}?{name}={bad}");
                }
                // Protected operations check parameters once the caller is known.
                let protected = operation["security"]
                    .as_array()
                    .is_some_and(|s| !s.is_empty());
                let admin = common::token(cnfs_api::auth::Role::Admin, &[], None);
                let answer = app
                    .caller(protected.then_some(admin.as_str()))
                    .get(&uri)
                    .await;
                answer.assert_problem(400, code);
                assert_eq!(answer.faulty_parameters(), [name], "GET {uri}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} patterns found");
}

/// Shared error responses carry examples built from the API's own errors: one example, or one per
/// refusal code of that status; no example names a particular request path.
#[test]
fn shared_error_examples_are_generic() {
    let spec: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    for (name, response) in spec["components"]["responses"].as_object().unwrap() {
        let content = &response["content"]["application/problem+json"];
        let examples: Vec<&serde_json::Value> = match content["examples"].as_object() {
            Some(map) => map.values().map(|e| &e["value"]).collect(),
            None => vec![&content["example"]],
        };
        assert!(!examples.is_empty(), "{name}");
        for example in examples {
            assert!(example["code"].is_string(), "{name}: {example}");
            assert!(example["instance"].is_null(), "{name}: {example}");
            let status = example["status"].as_u64().unwrap();
            let key = spec["paths"]
                .as_object()
                .unwrap()
                .values()
                .flat_map(|item| item.as_object().unwrap().values())
                .flat_map(|op| op["responses"].as_object().unwrap().iter())
                .find(|(_, r)| r["$ref"] == format!("#/components/responses/{name}"))
                .map(|(code, _)| code.clone());
            if let Some(key) = key {
                assert_eq!(key, status.to_string(), "{name}");
            }
        }
    }
    let conflict = &spec["components"]["responses"]["Conflict"]["content"]["application/problem+json"]
        ["examples"];
    for code in ["transition_invalide", "deja_existant", "requete_en_cours"] {
        assert_eq!(conflict[code]["value"]["code"], code);
        assert_eq!(conflict[code]["value"]["status"], 409);
    }
}

//! Access control: token verification (every refusal), key rotation, minting, production rules,
//! and the role × route matrix generated from the registered routes.

mod common;

use actix_web::test as actix_test;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cnfs_api::auth::{JwtKeys, Role, Verifier};
use cnfs_api::config::Config;
use cnfs_api::db::DatabaseUrl;
use common::{Answer, TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, TestDb, call, token};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const STRUCTURE_ID: &str = "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Valid claims for the test application; tests remove or change one at a time.
fn claims() -> Value {
    json!({
        "iss": TEST_ISSUER, "aud": TEST_AUDIENCE, "sub": "agent@prefecture.example",
        "role": "prefecture", "departements": ["93"],
        "iat": now(), "nbf": now(), "exp": now() + 600
    })
}

fn sign(header: Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(&header, claims, key).expect("signed")
}

fn hs256(claims: &Value) -> String {
    sign(
        Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(TEST_SECRET),
    )
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn eddsa_keys(kids: &[&str]) -> JwtKeys {
    let keys: Vec<(String, Vec<u8>)> = kids
        .iter()
        .map(|kid| (kid.to_string(), fixture(&format!("ed25519-{kid}.pub.pem"))))
        .collect();
    JwtKeys::from_public_keys(Algorithm::EdDSA, &keys, None, TEST_ISSUER, TEST_AUDIENCE).unwrap()
}

fn eddsa(kid: Option<&str>, signing_kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = kid.map(str::to_owned);
    let key =
        EncodingKey::from_ed_pem(&fixture(&format!("ed25519-{signing_kid}.key.pem"))).unwrap();
    sign(header, claims, &key)
}

/// A token made of raw parts (for headers no library would write).
fn raw_token(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

async fn moi_with(keys: Option<JwtKeys>, authorization: Option<&str>) -> Answer {
    let db = TestDb::sqlite();
    let mut state = db.state();
    if let Some(keys) = keys {
        state.verifier = std::sync::Arc::new(Verifier::new(keys));
    }
    let app = common::app(state).await;
    let mut req = actix_test::TestRequest::get().uri("/api/v1/moi");
    if let Some(value) = authorization {
        req = req.insert_header(("authorization", value));
    }
    call(&app, req.to_request()).await
}

fn assert_refused(answer: &Answer, code: &str, token: &str) {
    answer.assert_problem(401, code);
    assert_eq!(
        answer.header("www-authenticate"),
        "Bearer error=\"invalid_token\""
    );
    if token.len() > 8 {
        assert!(!answer.text.contains(token), "the problem echoes the token");
    }
}

#[actix_web::test]
async fn missing_or_non_bearer_credentials() {
    for authorization in [None, Some("Basic dXNlcjpwYXNz"), Some("Bearer"), Some("")] {
        let answer = moi_with(None, authorization).await;
        answer.assert_problem(401, "jeton_absent");
        assert_eq!(
            answer.header("www-authenticate"),
            "Bearer",
            "{authorization:?}"
        );
    }
}

#[actix_web::test]
async fn every_bad_token_gets_its_401() {
    let mut cases: Vec<(String, String)> = Vec::new();
    let mut case = |label: &str, token: String| cases.push((label.to_owned(), token));

    case("jeton_mal_forme", "pas-un-jeton".into());
    case("jeton_mal_forme", "a.b.c".into());
    case(
        "jeton_mal_forme",
        raw_token(&json!({"typ": "JWT"}), &claims(), b"x"),
    );
    case(
        "jeton_expire",
        hs256(&{
            let mut c = claims();
            c["exp"] = json!(now() - 120);
            c
        }),
    );
    case(
        "jeton_pas_encore_valide",
        hs256(&{
            let mut c = claims();
            c["nbf"] = json!(now() + 120);
            c
        }),
    );
    case(
        "jeton_pas_encore_valide",
        hs256(&{
            let mut c = claims();
            c["iat"] = json!(now() + 120);
            c
        }),
    );
    case(
        "signature_invalide",
        sign(
            Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"another-secret-0123456789-abcdefghijkl"),
        ),
    );
    case(
        "algorithme_refuse",
        raw_token(&json!({"alg": "none", "typ": "JWT"}), &claims(), b""),
    );
    case(
        "algorithme_refuse",
        sign(
            Header::new(Algorithm::HS512),
            &claims(),
            &EncodingKey::from_secret(TEST_SECRET),
        ),
    );
    case(
        "emetteur_invalide",
        hs256(&{
            let mut c = claims();
            c["iss"] = json!("https://ailleurs.example");
            c
        }),
    );
    case(
        "audience_invalide",
        hs256(&{
            let mut c = claims();
            c["aud"] = json!("autre-api");
            c
        }),
    );
    for claim in ["iss", "aud", "exp", "nbf", "iat", "sub", "role"] {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(claim);
        case("claim_manquante", hs256(&c));
    }
    case(
        "role_inconnu",
        hs256(&{
            let mut c = claims();
            c["role"] = json!("superviseur");
            c
        }),
    );
    case(
        "portee_invalide",
        hs256(&{
            let mut c = claims();
            c.as_object_mut().unwrap().remove("departements");
            c
        }),
    );
    case(
        "portee_invalide",
        hs256(&{
            let mut c = claims();
            c["role"] = json!("admin");
            c
        }),
    );
    case(
        "portee_invalide",
        hs256(&{
            let mut c = claims();
            c["role"] = json!("structure");
            c
        }),
    );
    case(
        "portee_invalide",
        hs256(&{
            let mut c = claims();
            c["departements"] = json!(["7"]);
            c
        }),
    );

    for (code, token) in cases {
        let answer = moi_with(None, Some(&format!("Bearer {token}"))).await;
        assert_refused(&answer, &code, &token);
        if code == "claim_manquante" {
            assert!(answer.json["detail"].as_str().unwrap().contains("Claim"));
        }
    }
}

#[actix_web::test]
async fn doubled_bearer_says_to_paste_the_token_alone() {
    // What Swagger UI sends when `Bearer eyJ…` was pasted into Authorize: a valid token, refused
    // with a detail that says what to do (not "en-tête non base64url").
    let valid = token(Role::Admin, &[], None);
    for authorization in [
        format!("Bearer Bearer {valid}"),
        format!("bearer  BEARER {valid}"),
        "Bearer Bearer".to_owned(),
    ] {
        let answer = moi_with(None, Some(&authorization)).await;
        assert_refused(&answer, "jeton_mal_forme", &valid);
        assert_eq!(
            answer.json["detail"],
            "Jeton mal formé : « Bearer » en double ; coller le jeton seul, sans « Bearer », \
             dans Authorize.",
            "{authorization}"
        );
    }
    // The same token, sent once with its scheme, is accepted.
    let answer = moi_with(None, Some(&format!("Bearer {valid}"))).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

#[actix_web::test]
async fn clock_leeway_is_thirty_seconds_at_most() {
    let within = hs256(&{
        let mut c = claims();
        c["exp"] = json!(now() - 10);
        c
    });
    assert_eq!(
        moi_with(None, Some(&format!("Bearer {within}")))
            .await
            .status,
        200
    );
    let beyond = hs256(&{
        let mut c = claims();
        c["exp"] = json!(now() - 45);
        c
    });
    assert_refused(
        &moi_with(None, Some(&format!("Bearer {beyond}"))).await,
        "jeton_expire",
        &beyond,
    );
}

#[actix_web::test]
async fn public_key_algorithms_refuse_hmac_and_unknown_keys() {
    let keys = || Some(eddsa_keys(&["2026-01"]));
    let good = eddsa(Some("2026-01"), "2026-01", &claims());
    assert_eq!(
        moi_with(keys(), Some(&format!("Bearer {good}")))
            .await
            .status,
        200
    );

    // HS256 "signed" with the public key as HMAC secret: the classic confusion attack.
    let public_pem = fixture("ed25519-2026-01.pub.pem");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("2026-01".into());
    let confused = sign(header, &claims(), &EncodingKey::from_secret(&public_pem));
    assert_refused(
        &moi_with(keys(), Some(&format!("Bearer {confused}"))).await,
        "algorithme_refuse",
        &confused,
    );

    let unknown = eddsa(Some("2025-12"), "2026-01", &claims());
    assert_refused(
        &moi_with(keys(), Some(&format!("Bearer {unknown}"))).await,
        "cle_inconnue",
        &unknown,
    );
    let no_kid = eddsa(None, "2026-01", &claims());
    assert_refused(
        &moi_with(keys(), Some(&format!("Bearer {no_kid}"))).await,
        "cle_inconnue",
        &no_kid,
    );
    // Signed by another key than the one its kid names.
    let wrong_key = eddsa(Some("2026-01"), "2026-06", &claims());
    assert_refused(
        &moi_with(keys(), Some(&format!("Bearer {wrong_key}"))).await,
        "signature_invalide",
        &wrong_key,
    );
}

#[actix_web::test]
async fn es256_public_keys_verify_and_refuse_eddsa() {
    let keys = || {
        let pem = fixture("es256-2026-01.pub.pem");
        Some(
            JwtKeys::from_public_keys(
                Algorithm::ES256,
                &[("2026-01".into(), pem)],
                None,
                TEST_ISSUER,
                TEST_AUDIENCE,
            )
            .unwrap(),
        )
    };
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("2026-01".into());
    let key = EncodingKey::from_ec_pem(&fixture("es256-2026-01.key.pem")).unwrap();
    let good = sign(header, &claims(), &key);
    let answer = moi_with(keys(), Some(&format!("Bearer {good}"))).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    // An EdDSA token, even with a known kid, is not the configured algorithm.
    let other = eddsa(Some("2026-01"), "2026-01", &claims());
    assert_refused(
        &moi_with(keys(), Some(&format!("Bearer {other}"))).await,
        "algorithme_refuse",
        &other,
    );
}

#[actix_web::test]
async fn rotation_old_kid_works_while_configured() {
    let old = eddsa(Some("2026-01"), "2026-01", &claims());
    let new = eddsa(Some("2026-06"), "2026-06", &claims());
    // During rotation both keys are configured: both tokens pass.
    for token in [&old, &new] {
        let answer = moi_with(
            Some(eddsa_keys(&["2026-01", "2026-06"])),
            Some(&format!("Bearer {token}")),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    // Once the old key is removed, its tokens are refused; the new ones still pass.
    let answer = moi_with(
        Some(eddsa_keys(&["2026-06"])),
        Some(&format!("Bearer {old}")),
    )
    .await;
    assert_refused(&answer, "cle_inconnue", &old);
    let answer = moi_with(
        Some(eddsa_keys(&["2026-06"])),
        Some(&format!("Bearer {new}")),
    )
    .await;
    assert_eq!(answer.status, 200);
}

#[actix_web::test]
async fn moi_returns_the_verified_caller() {
    let answer = moi_with(
        None,
        Some(&format!(
            "Bearer {}",
            token(Role::Prefecture, &["93", "2A"], None)
        )),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json["role"], "prefecture");
    assert_eq!(answer.json["departements"], json!(["2A", "93"]));
    assert_eq!(answer.json["structure_id"], Value::Null);
    assert_eq!(answer.json["sub"], "test-prefecture");
    let expires =
        chrono::DateTime::parse_from_rfc3339(answer.json["expire_le"].as_str().unwrap()).unwrap();
    assert!((expires.timestamp() - (now() + 3600)).abs() < 10);

    let answer = moi_with(
        None,
        Some(&format!(
            "Bearer {}",
            token(Role::Structure, &[], Some(STRUCTURE_ID))
        )),
    )
    .await;
    assert_eq!(answer.json["structure_id"], STRUCTURE_ID);
    assert_eq!(answer.json["departements"], Value::Null);
    let answer = moi_with(
        None,
        Some(&format!("Bearer {}", token(Role::Lecteur, &[], None))),
    )
    .await;
    assert_eq!(
        (
            answer.json["role"].as_str(),
            answer.json["departements"].is_null()
        ),
        (Some("lecteur"), true)
    );
}

/// A token built without any JWT library: HMAC-SHA256 over the base64url parts (RFC 7515).
#[actix_web::test]
async fn hand_built_hs256_token_is_accepted() {
    use hmac::{Hmac, Mac};
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(TEST_SECRET).unwrap();
    mac.update(format!("{header}.{payload}").as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    let answer = moi_with(
        None,
        Some(&format!("Bearer {header}.{payload}.{signature}")),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["sub"], "agent@prefecture.example");
}

fn cli(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cnfs-api"));
    command.args(args).current_dir(dir.path()).env_clear();
    command.env("DATABASE_URL", dir.path().join("cnfs.sqlite3"));
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

#[actix_web::test]
async fn token_command_mints_what_the_api_accepts() {
    let secret = std::str::from_utf8(TEST_SECRET).unwrap();
    let env = [
        ("CNFS_JWT_SECRET", secret),
        ("CNFS_JWT_ISSUER", TEST_ISSUER),
        ("CNFS_JWT_AUDIENCE", TEST_AUDIENCE),
    ];
    let output = cli(
        &[
            "token",
            "--role",
            "prefecture",
            "--departement",
            "93",
            "--sub",
            "ops",
            "--ttl",
            "600",
        ],
        &env,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let token = stdout.trim();
    assert_eq!(stdout.lines().count(), 1, "the token alone on stdout");
    let answer = moi_with(None, Some(&format!("Bearer {token}"))).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        (
            answer.json["sub"].as_str(),
            answer.json["departements"].clone()
        ),
        (Some("ops"), json!(["93"]))
    );

    // It refuses to mint what the API would refuse.
    let output = cli(&["token", "--role", "prefecture"], &env);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("departements"));
    let output = cli(&["token", "--role", "chef"], &env);
    assert!(!output.status.success());
}

#[actix_web::test]
async fn production_refuses_weak_or_missing_keys() {
    let prod = [
        ("CNFS_ENV", "production"),
        ("CNFS_JWT_ISSUER", TEST_ISSUER),
        ("CNFS_JWT_AUDIENCE", TEST_AUDIENCE),
    ];
    let output = cli(&["serve"], &prod);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("CNFS_JWT_SECRET"));
    // `migrate` is a deployment step: it needs the database, not the token keys.
    let output = cli(&["migrate"], &prod);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut short = prod.to_vec();
    short.push(("CNFS_JWT_SECRET", "trop-court"));
    let output = cli(&["serve"], &short);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("32"));

    // The development secret file, copied into CNFS_JWT_SECRET, is refused in production.
    let dir = tempfile::tempdir().unwrap();
    let database = DatabaseUrl::Sqlite(dir.path().join("cnfs.sqlite3"));
    let dev = Config::from_lookup(|_| None).unwrap().auth;
    let dev_keys = JwtKeys::load(&dev, dev_secret_file(&database)).unwrap();
    let dev_file = dev_keys
        .development_secret
        .clone()
        .expect("a development secret");
    let dev_secret = std::fs::read_to_string(&dev_file).unwrap();
    let lookup = |name: &str| match name {
        "CNFS_ENV" => Some("production".to_owned()),
        "CNFS_JWT_ISSUER" => Some(TEST_ISSUER.to_owned()),
        "CNFS_JWT_AUDIENCE" => Some(TEST_AUDIENCE.to_owned()),
        "CNFS_JWT_SECRET" => Some(dev_secret.trim().to_owned()),
        _ => None,
    };
    let production = Config::from_lookup(lookup).unwrap().auth;
    let error = JwtKeys::load(&production, dev_secret_file(&database)).unwrap_err();
    assert_eq!(error.variable, "CNFS_JWT_SECRET");
    assert!(error.message.contains("développement"));
}

/// Where the binary keeps the development secret for this database (none on PostgreSQL).
fn dev_secret_file(database: &DatabaseUrl) -> Option<std::path::PathBuf> {
    match database {
        DatabaseUrl::Sqlite(path) => Some(cnfs_api::auth::keys::dev_secret_path(path)),
        DatabaseUrl::Postgres(_) => None,
    }
}

#[actix_web::test]
async fn development_secret_survives_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let database = DatabaseUrl::Sqlite(dir.path().join("var").join("cnfs.sqlite3"));
    let dev = Config::from_lookup(|_| None).unwrap().auth;
    let first = JwtKeys::load(&dev, dev_secret_file(&database)).unwrap();
    let path = first.development_secret.clone().unwrap();
    assert_eq!(path, dir.path().join("var").join("jwt-dev-secret"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let request = cnfs_api::auth::mint::TokenRequest {
        role: Role::Admin,
        departements: vec![],
        structure_id: None,
        sub: "dev".into(),
        ttl_seconds: 60,
    };
    let minted = cnfs_api::auth::mint::mint(&first, None, &request).unwrap();
    let second = JwtKeys::load(&dev, dev_secret_file(&database)).unwrap();
    assert!(Verifier::new(second).verify(&minted).is_ok());
    // Not on PostgreSQL: there, keys must be configured.
    let error = JwtKeys::load(
        &dev,
        dev_secret_file(&DatabaseUrl::Postgres("postgres://h/db".into())),
    )
    .unwrap_err();
    assert_eq!(error.variable, "CNFS_JWT_SECRET");
}

/// Who may call each route. Every documented operation must have an entry: a new route without
/// one fails this test, so that no route can forget its policy.
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
        r#"{"convention_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f99", "structure_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90", "nom": "Martin", "prenom": "Camille", "email": "camille.martin@example.org", "commune_residence": "93066", "date_recrutement": "2021-05-03", "type_contrat": "cdd"}"#,
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
    act(
        "/api/v1/conseillers/{id}/formation",
        "recrute",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"date_debut": "2021-05-10"}"#,
    ),
    act(
        "/api/v1/conseillers/{id}/certification",
        "en_formation",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"date_certification": "2021-07-01"}"#,
    ),
    act(
        "/api/v1/conseillers/{id}/prise-de-poste",
        "certifie",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"date_prise_poste": "2021-07-05", "lieu_id": "01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97"}"#,
    ),
    act(
        "/api/v1/conseillers/{id}/sortie",
        "recrute",
        Access::Scoped(&[StructureRole, Prefecture, Admin]),
        r#"{"date_sortie": "2021-06-01", "motif": "demission"}"#,
    ),
    route(
        "GET",
        "/api/v1/conventions/{id}/postes",
        Access::Scoped(Role::ALL),
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
         date_fin, objectif_postes, montant_par_poste_centimes, engage_centimes, verse_centimes, \
         version, cree_le, modifie_le) VALUES ('{ENVELOPPE_ID}', 'Plan de relance', 'DGCL', \
         'postes_conseillers', 20000000000, '2021-01-01', '2099-12-31', 4000, 5000000, 1000000, \
         100000, 1, {now}, {now});
         INSERT INTO enveloppes_departements (enveloppe_id, departement, plafond_centimes, \
         engage_centimes, verse_centimes) VALUES ('{ENVELOPPE_ID}', '93', 400000000, 1000000, 100000);
         INSERT INTO engagements (id, enveloppe_id, convention_id, departement, montant_centimes, \
         verse_centimes, date_engagement, objet, statut, version, cree_le, modifie_le) VALUES \
         ('{ENGAGEMENT_ID}', '{ENVELOPPE_ID}', '{CONVENTION_ID}', '93', 1000000, 100000, \
         '2021-03-01', 'Postes', 'actif', 1, {now}, {now});
         INSERT INTO versements (id, engagement_id, montant_centimes, date_versement, reference, \
         statut, cree_le) VALUES ('{VERSEMENT_ID}', '{ENGAGEMENT_ID}', 100000, '2021-04-01', \
         'MANDAT-0', 'effectue', {now});"
    ));
    // A second convention (…8f99), in execution, the structure hosting its 80 posts, and an
    // advisor (…8f98) it employs there, in `statut_conseiller`.
    let (formation, certification, prise, lieu) = match statut_conseiller {
        "recrute" => ("NULL", "NULL", "NULL", "NULL"),
        "en_formation" => ("'2021-05-10'", "NULL", "NULL", "NULL"),
        "certifie" => ("'2021-05-10'", "'2021-07-01'", "NULL", "NULL"),
        _ => (
            "'2021-05-10'",
            "'2021-07-01'",
            "'2021-07-05'",
            "'01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f97'",
        ),
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
         commune_residence, recrutement_local, type_contrat, statut, date_recrutement, \
         date_debut_formation, date_certification, date_prise_poste, lieu_id, version, cree_le, \
         modifie_le) VALUES ('{CONSEILLER_ID}', '{EXECUTION_ID}', '93', '{STRUCTURE_ID}', 'Martin', \
         'Camille', 'camille.martin@example.org', '93066', TRUE, 'cdd', '{statut_conseiller}', \
         '2021-05-03', {formation}, {certification}, {prise}, {lieu}, 1, {now}, {now});"
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
         t_securite_numerique, t_sante, t_budget, t_autre) VALUES ('93', '2021-09-13', 1, 4, 60, \
         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0);
         INSERT INTO activites_mois SELECT departement, substr(jour, 1, 7), nombre, participants, \
         minutes, t_echanger_avec_ses_proches, t_trouver_un_emploi, t_accompagner_scolarite, \
         t_donnees_personnelles, t_verifier_les_informations, t_demarches_en_ligne, \
         t_prendre_en_main_un_equipement, t_naviguer_sur_internet, t_courriels, \
         t_securite_numerique, t_sante, t_budget, t_autre FROM activites_jour;"
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

#[actix_web::test]
async fn role_route_matrix_covers_every_registered_route() {
    let spec = cnfs_api::openapi_document();
    let reads = TestDb::sqlite();
    seed_fixtures(&reads, "signee");
    let app = common::app(reads.state()).await;
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
            documented.push((method, path.clone()));
            let entry = ACCESS
                .iter()
                .find(|r| r.method == method && r.path == path)
                .unwrap_or_else(|| {
                    panic!("{method} {path} has no entry in the access matrix (tests/auth.rs)")
                });
            let security = serde_json::to_value(&operation.security).unwrap();
            let uri = common::example_uri(path, &serde_json::to_value(operation).unwrap(), None);
            let request = |token: Option<&str>| {
                let mut req = actix_test::TestRequest::default()
                    .method(method.parse().unwrap())
                    .uri(&uri);
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
            };
            let (allowed, scoped) = match &entry.access {
                Access::Public => {
                    assert_eq!(
                        security,
                        json!([]),
                        "{method} {path}: public operations declare security: []"
                    );
                    let answer = call(&app, request(None)).await;
                    assert!(
                        answer.status.is_success(),
                        "{method} {path} anonymous: {}",
                        answer.text
                    );
                    continue;
                }
                Access::Roles(allowed) => (allowed, false),
                Access::Scoped(allowed) => (allowed, true),
            };
            assert_eq!(
                security,
                json!([{"bearer": []}]),
                "{method} {path}: bearer security"
            );
            let description = operation.description.clone().unwrap_or_default();
            assert!(
                description.contains("Accès"),
                "{method} {path}: the description says who may call"
            );
            let answer = call(&app, request(None)).await;
            answer.assert_problem(401, "jeton_absent");
            let mut callers = tokens_by_role();
            if scoped {
                callers.push((Role::Prefecture, token(Role::Prefecture, &["75"], None)));
            }
            for (index, (role, token)) in callers.iter().enumerate() {
                let out_of_scope = index == 4;
                // A write runs on its own copy of the fixtures, so that each caller meets the
                // same state.
                let answer = if entry.body.is_some() {
                    let db = TestDb::sqlite();
                    seed_fixtures(&db, entry.statut);
                    let app = common::app(db.state()).await;
                    call(&app, request(Some(token))).await
                } else {
                    call(&app, request(Some(token))).await
                };
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
    for r in ACCESS {
        assert!(
            documented
                .iter()
                .any(|(m, p)| *m == r.method && p == r.path),
            "the matrix lists {} {}, which is not a route any more",
            r.method,
            r.path
        );
    }
}

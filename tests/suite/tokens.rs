//! Tokens: verification (every refusal is a 401 with `WWW-Authenticate`: algorithms, expiry,
//! issuer and audience, key ids, roles and scopes), key rotation, minting, production rules. The
//! role × route matrix is in `access_matrix.rs`.

use crate::common;

use actix_web::test as actix_test;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cnfs_api::auth::{JwtKeys, Role, Verifier};
use cnfs_api::config::Config;
use cnfs_api::db::DatabaseUrl;
use common::{
    Answer, EXAMPLE_STRUCTURE_ID, TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, TestDb, call, token,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

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

/// `claims()` with `change` applied.
fn claims_with(change: impl FnOnce(&mut Value)) -> Value {
    let mut c = claims();
    change(&mut c);
    c
}

/// Sends each token to `/moi` and asserts its 401 with `code`.
async fn assert_each_refused(code: &str, tokens: &[String]) {
    for token in tokens {
        let answer = moi_with(None, Some(&format!("Bearer {token}"))).await;
        assert_refused(&answer, code, token);
        if code == "claim_manquante" {
            assert!(answer.json["detail"].as_str().unwrap().contains("Claim"));
        }
    }
}

#[actix_web::test]
async fn malformed_tokens_get_jeton_mal_forme() {
    assert_each_refused(
        "jeton_mal_forme",
        &[
            "pas-un-jeton".into(),
            "a.b.c".into(),
            raw_token(&json!({"typ": "JWT"}), &claims(), b"x"),
        ],
    )
    .await;
}

#[actix_web::test]
async fn an_expired_token_gets_jeton_expire() {
    assert_each_refused(
        "jeton_expire",
        &[hs256(&claims_with(|c| c["exp"] = json!(now() - 120)))],
    )
    .await;
}

#[actix_web::test]
async fn a_token_not_yet_valid_or_issued_later_gets_jeton_pas_encore_valide() {
    assert_each_refused(
        "jeton_pas_encore_valide",
        &[
            hs256(&claims_with(|c| c["nbf"] = json!(now() + 120))),
            hs256(&claims_with(|c| c["iat"] = json!(now() + 120))),
        ],
    )
    .await;
}

#[actix_web::test]
async fn another_secret_gets_signature_invalide() {
    assert_each_refused(
        "signature_invalide",
        &[sign(
            Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"another-secret-0123456789-abcdefghijkl"),
        )],
    )
    .await;
}

#[actix_web::test]
async fn alg_none_or_another_algorithm_gets_algorithme_refuse() {
    assert_each_refused(
        "algorithme_refuse",
        &[
            raw_token(&json!({"alg": "none", "typ": "JWT"}), &claims(), b""),
            sign(
                Header::new(Algorithm::HS512),
                &claims(),
                &EncodingKey::from_secret(TEST_SECRET),
            ),
        ],
    )
    .await;
}

#[actix_web::test]
async fn another_issuer_gets_emetteur_invalide() {
    assert_each_refused(
        "emetteur_invalide",
        &[
            hs256(&claims_with(|c| {
                c["iss"] = json!("https://ailleurs.example")
            })),
            // An array holding the right issuer: `iss` is one string (RFC 7519).
            hs256(&claims_with(|c| c["iss"] = json!([TEST_ISSUER]))),
            hs256(&claims_with(|c| {
                c["iss"] = json!([TEST_ISSUER, "https://autre.example"])
            })),
        ],
    )
    .await;
}

#[actix_web::test]
async fn another_audience_gets_audience_invalide() {
    assert_each_refused(
        "audience_invalide",
        &[hs256(&claims_with(|c| c["aud"] = json!("autre-api")))],
    )
    .await;
}

#[actix_web::test]
async fn each_missing_claim_gets_claim_manquante() {
    let tokens: Vec<String> = ["iss", "aud", "exp", "nbf", "iat", "sub", "role"]
        .iter()
        .map(|claim| {
            hs256(&claims_with(|c| {
                c.as_object_mut().unwrap().remove(*claim);
            }))
        })
        .collect();
    assert_each_refused("claim_manquante", &tokens).await;
}

#[actix_web::test]
async fn an_unknown_role_gets_role_inconnu() {
    assert_each_refused(
        "role_inconnu",
        &[hs256(&claims_with(|c| c["role"] = json!("superviseur")))],
    )
    .await;
}

/// A préfecture without départements or with a code that is no département; an admin with
/// départements; a structure with départements and without its structure id.
#[actix_web::test]
async fn a_scope_that_does_not_fit_the_role_gets_portee_invalide() {
    assert_each_refused(
        "portee_invalide",
        &[
            hs256(&claims_with(|c| {
                c.as_object_mut().unwrap().remove("departements");
            })),
            hs256(&claims_with(|c| c["role"] = json!("admin"))),
            hs256(&claims_with(|c| c["role"] = json!("structure"))),
            hs256(&claims_with(|c| c["departements"] = json!(["7"]))),
        ],
    )
    .await;
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

/// The EdDSA keys of the tests with the one kid `2026-01`.
fn eddsa_2026_01() -> Option<JwtKeys> {
    Some(eddsa_keys(&["2026-01"]))
}

#[actix_web::test]
async fn eddsa_tokens_verify_with_their_kid() {
    let good = eddsa(Some("2026-01"), "2026-01", &claims());
    assert_eq!(
        moi_with(eddsa_2026_01(), Some(&format!("Bearer {good}")))
            .await
            .status,
        200
    );
}

/// HS256 "signed" with the public key as HMAC secret: the classic confusion attack.
#[actix_web::test]
async fn hmac_signed_with_the_public_key_gets_algorithme_refuse() {
    let public_pem = fixture("ed25519-2026-01.pub.pem");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("2026-01".into());
    let confused = sign(header, &claims(), &EncodingKey::from_secret(&public_pem));
    assert_refused(
        &moi_with(eddsa_2026_01(), Some(&format!("Bearer {confused}"))).await,
        "algorithme_refuse",
        &confused,
    );
}

#[actix_web::test]
async fn an_unknown_or_missing_kid_gets_cle_inconnue() {
    let unknown = eddsa(Some("2025-12"), "2026-01", &claims());
    assert_refused(
        &moi_with(eddsa_2026_01(), Some(&format!("Bearer {unknown}"))).await,
        "cle_inconnue",
        &unknown,
    );
    let no_kid = eddsa(None, "2026-01", &claims());
    assert_refused(
        &moi_with(eddsa_2026_01(), Some(&format!("Bearer {no_kid}"))).await,
        "cle_inconnue",
        &no_kid,
    );
}

/// Signed by another key than the one its kid names.
#[actix_web::test]
async fn another_key_than_its_kid_names_gets_signature_invalide() {
    let wrong_key = eddsa(Some("2026-01"), "2026-06", &claims());
    assert_refused(
        &moi_with(eddsa_2026_01(), Some(&format!("Bearer {wrong_key}"))).await,
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
            token(Role::Structure, &[], Some(EXAMPLE_STRUCTURE_ID))
        )),
    )
    .await;
    assert_eq!(answer.json["structure_id"], EXAMPLE_STRUCTURE_ID);
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

/// The environment that gives the binary the test application's keys.
fn test_keys_env() -> [(&'static str, &'static str); 3] {
    [
        ("CNFS_JWT_SECRET", std::str::from_utf8(TEST_SECRET).unwrap()),
        ("CNFS_JWT_ISSUER", TEST_ISSUER),
        ("CNFS_JWT_AUDIENCE", TEST_AUDIENCE),
    ]
}

#[actix_web::test]
async fn token_command_mints_what_the_api_accepts() {
    let env = test_keys_env();
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
}

#[test]
fn token_command_refuses_what_the_api_would_refuse() {
    let env = test_keys_env();
    let output = cli(&["token", "--role", "prefecture"], &env);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("departements"));
    let output = cli(&["token", "--role", "chef"], &env);
    assert!(!output.status.success());
    // A lifetime outside 1 s – 30 days (a huge one overflowed `exp` before): refused, nothing
    // printed.
    for ttl in ["0", "-5", "2592001", "9223372036854775807"] {
        let output = cli(&["token", "--role", "admin", &format!("--ttl={ttl}")], &env);
        assert_eq!(output.status.code(), Some(2), "--ttl {ttl}");
        assert!(output.stdout.is_empty(), "--ttl {ttl}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("30 jours"),
            "--ttl {ttl}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let output = cli(&["token", "--role", "admin", "--ttl", "2592000"], &env);
    assert!(output.status.success(), "30 days is the longest");
}

/// The environment of production, with the test application's issuer and audience and no
/// secret.
const PRODUCTION: [(&str, &str); 3] = [
    ("CNFS_ENV", "production"),
    ("CNFS_JWT_ISSUER", TEST_ISSUER),
    ("CNFS_JWT_AUDIENCE", TEST_AUDIENCE),
];

#[test]
fn production_refuses_to_serve_without_a_secret() {
    let output = cli(&["serve"], &PRODUCTION);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("CNFS_JWT_SECRET"));
}

/// `migrate` is a deployment step: it needs the database, not the token keys.
#[test]
fn migrate_needs_no_token_keys_in_production() {
    let output = cli(&["migrate"], &PRODUCTION);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn production_refuses_a_secret_shorter_than_32_bytes() {
    let mut short = PRODUCTION.to_vec();
    short.push(("CNFS_JWT_SECRET", "trop-court"));
    let output = cli(&["serve"], &short);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("32"));
}

/// The development secret file, copied into CNFS_JWT_SECRET, is refused in production.
#[test]
fn production_refuses_the_development_secret() {
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

/// The development keys (no variable set) of the SQLite database `database`.
fn development_keys(database: &DatabaseUrl) -> JwtKeys {
    let dev = Config::from_lookup(|_| None).unwrap().auth;
    JwtKeys::load(&dev, dev_secret_file(database)).unwrap()
}

#[test]
fn development_secret_is_kept_beside_the_database_for_its_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let database = DatabaseUrl::Sqlite(dir.path().join("var").join("cnfs.sqlite3"));
    let path = development_keys(&database)
        .development_secret
        .clone()
        .unwrap();
    assert_eq!(path, dir.path().join("var").join("jwt-dev-secret"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn development_secret_survives_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let database = DatabaseUrl::Sqlite(dir.path().join("var").join("cnfs.sqlite3"));
    let first = development_keys(&database);
    let request = cnfs_api::auth::mint::TokenRequest {
        role: Role::Admin,
        departements: vec![],
        structure_id: None,
        sub: "dev".into(),
        ttl_seconds: 60,
    };
    let minted = cnfs_api::auth::mint::mint(&first, None, &request).unwrap();
    let second = development_keys(&database);
    assert!(Verifier::new(second).verify(&minted).is_ok());
}

/// Not on PostgreSQL: there, keys must be configured.
#[test]
fn no_development_secret_on_postgresql() {
    let dev = Config::from_lookup(|_| None).unwrap().auth;
    let error = JwtKeys::load(
        &dev,
        dev_secret_file(&DatabaseUrl::Postgres("postgres://h/db".into())),
    )
    .unwrap_err();
    assert_eq!(error.variable, "CNFS_JWT_SECRET");
}

#[actix_web::test]
async fn claims_with_control_characters_or_too_long_get_claim_invalide() {
    let long = "a".repeat(cnfs_api::auth::verify::MAX_CLAIM_LENGTH + 1);
    assert_each_refused(
        "claim_invalide",
        &[
            // The probe's `sub` with a NUL, which made every write a 500.
            hs256(&claims_with(|c| c["sub"] = json!("agent\u{0}"))),
            hs256(&claims_with(|c| c["sub"] = json!("agent\u{1b}[2J"))),
            hs256(&claims_with(|c| c["sub"] = json!("agent\nadmin"))),
            // The probe's 3,000-character `sub`, whose idempotency key row was too large.
            hs256(&claims_with(|c| c["sub"] = json!("a".repeat(3000)))),
            hs256(&claims_with(|c| c["sub"] = json!(long.clone()))),
            // Any string claim, at any depth, and the claims' names.
            hs256(&claims_with(|c| {
                c["departements"] = json!(["93", long.clone()])
            })),
            hs256(&claims_with(|c| c["extra"] = json!({"x": "\u{7f}"}))),
            hs256(&claims_with(|c| c["extra\u{0}"] = json!(1))),
        ],
    )
    .await;
    // At the bound, accepted.
    let at_bound = hs256(&claims_with(|c| {
        c["sub"] = json!("é".repeat(cnfs_api::auth::verify::MAX_CLAIM_LENGTH))
    }));
    let answer = moi_with(None, Some(&format!("Bearer {at_bound}"))).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

#[actix_web::test]
async fn a_scope_naming_a_departement_that_does_not_exist_gets_portee_invalide() {
    assert_each_refused(
        "portee_invalide",
        &[
            hs256(&claims_with(|c| c["departements"] = json!(["999"]))),
            hs256(&claims_with(|c| c["departements"] = json!(["93", "20"]))),
            hs256(&claims_with(|c| {
                c["role"] = json!("lecteur");
                c["departements"] = json!(["96"]);
            })),
        ],
    )
    .await;
    for codes in [json!(["2A", "971"]), json!(["976", "93"])] {
        let good = hs256(&claims_with(|c| c["departements"] = codes.clone()));
        let answer = moi_with(None, Some(&format!("Bearer {good}"))).await;
        assert_eq!(answer.status, 200, "{codes}: {}", answer.text);
    }
    // And `cnfs-api token` does not mint one.
    let minted = cli(
        &["token", "--role", "prefecture", "--departement", "999"],
        &test_keys_env(),
    );
    assert!(!minted.status.success());
    assert!(minted.stdout.is_empty());
}

#[actix_web::test]
async fn a_crit_header_gets_crit_non_compris() {
    let claims = claims();
    for crit in [json!(["exp"]), json!(["b64"]), json!([]), json!("x")] {
        let header = json!({"alg": "HS256", "typ": "JWT", "crit": crit});
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let header = URL_SAFE_NO_PAD.encode(header.to_string());
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(TEST_SECRET).unwrap();
        mac.update(format!("{header}.{payload}").as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        let token = format!("{header}.{payload}.{signature}");
        assert_refused(
            &moi_with(None, Some(&format!("Bearer {token}"))).await,
            "crit_non_compris",
            &token,
        );
    }
}

#[actix_web::test]
async fn a_lifetime_beyond_the_maximum_gets_duree_de_vie_excessive() {
    let max = cnfs_api::auth::mint::TTL_MAX_SECONDES;
    assert_each_refused(
        "duree_de_vie_excessive",
        &[
            // The probe's `exp` of i64::MAX.
            hs256(&claims_with(|c| c["exp"] = json!(i64::MAX))),
            hs256(&claims_with(|c| c["exp"] = json!(now() + max + 1))),
            // Issued long ago, valid for a long time yet.
            hs256(&claims_with(|c| {
                c["iat"] = json!(now() - 3600);
                c["exp"] = json!(now() + max - 60);
            })),
        ],
    )
    .await;
    let at_bound = hs256(&claims_with(|c| {
        let t = now();
        c["iat"] = json!(t);
        c["exp"] = json!(t + max);
    }));
    let answer = moi_with(None, Some(&format!("Bearer {at_bound}"))).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    // A configured maximum (CNFS_TOKEN_MAX_TTL) is what the verifier applies.
    let db = TestDb::sqlite();
    let mut state = db.state();
    state.verifier = std::sync::Arc::new(Verifier::new(common::test_keys()).with_max_lifetime(600));
    let app = common::app(state).await;
    for (lifetime, status) in [(600, 200), (601, 401)] {
        let token = hs256(&claims_with(|c| {
            let t = now();
            c["iat"] = json!(t);
            c["exp"] = json!(t + lifetime);
        }));
        let answer = call(
            &app,
            actix_test::TestRequest::get()
                .uri("/api/v1/moi")
                .insert_header(("authorization", format!("Bearer {token}")))
                .to_request(),
        )
        .await;
        assert_eq!(answer.status, status, "{lifetime}: {}", answer.text);
    }
}

#[test]
fn the_maximum_lifetime_is_configured() {
    let config = |value: Option<&str>| {
        Config::from_lookup(|name| match name {
            "CNFS_TOKEN_MAX_TTL" => value.map(str::to_owned),
            _ => None,
        })
    };
    assert_eq!(
        config(None).unwrap().auth.token_max_ttl,
        cnfs_api::auth::mint::TTL_MAX_SECONDES
    );
    assert_eq!(config(Some("3600")).unwrap().auth.token_max_ttl, 3600);
    for bad in ["0", "59", "31536001", "-1", "1h"] {
        let error = config(Some(bad)).unwrap_err();
        assert_eq!(error.variable, "CNFS_TOKEN_MAX_TTL", "{bad}");
    }
}

/// The probe's 500: a long `sub` with an `Idempotency-Key` made the key's index row too large.
/// Both at their bounds (255 characters each), the write and its replay go through.
async fn the_longest_sub_and_key_fit_the_index(db: TestDb) {
    let app = common::TestApp::on(&db).await;
    let sub = "é".repeat(cnfs_api::auth::verify::MAX_CLAIM_LENGTH);
    let admin = hs256(&json!({
        "iss": TEST_ISSUER, "aud": TEST_AUDIENCE, "sub": sub, "role": "admin",
        "iat": now(), "nbf": now(), "exp": now() + 600
    }));
    let key = "k".repeat(255);
    let body = json!({"siret": common::siret_for("219300019"), "nom": "Ville", "type": "commune", "code_insee": "93001"});
    let first = app
        .as_(&admin)
        .idempotency_key(&key)
        .post("/api/v1/structures", body.clone())
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let replay = app
        .as_(&admin)
        .idempotency_key(&key)
        .post("/api/v1/structures", body)
        .await;
    assert_eq!(replay.status, 201, "{}", replay.text);
    assert_eq!(replay.json["id"], first.json["id"]);
    assert_eq!(
        common::count(&db, "SELECT COUNT(*) AS n FROM structures"),
        1
    );
}

on_both_backends!(the_longest_sub_and_key_fit_the_index);

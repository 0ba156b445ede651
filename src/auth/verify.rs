//! Bearer token verification, following RFC 8725 (JWT best current practices):
//! - only the configured algorithm is accepted; the header's `alg` is compared, never trusted to
//!   pick one (`none`, or HS256 over a public key, are refused);
//! - the key is chosen from the local configuration by `kid`, never from the token's content;
//! - `iss`, `aud`, `exp`, `nbf`, `iat`, `sub` and `role` are required; clock leeway is 30 s;
//! - the role must be known and the scope claims must fit it; a scope names départements of the
//!   référentiel only;
//! - a header with `crit` is refused: the API understands no extension (RFC 7515 §4.1.11);
//! - a token lives at most [`Verifier::max_lifetime`] (`exp - iat`, and `exp - now`);
//! - every string of the claims is at most [`MAX_CLAIM_LENGTH`] characters and holds no control
//!   character (`sub` reaches the journal and the idempotency keys' index).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Validation, decode};
use serde::Deserialize;

use super::{Caller, JwtKeys, Role, Scope};
use crate::domain::codes::CodeDepartement;
use crate::domain::ids::StructureId;
use crate::domain::referentiel::departements_connus;

/// Clock leeway for `exp`, `nbf` and `iat`, in seconds (at most 30, per the design).
pub const LEEWAY_SECONDS: u64 = 30;

/// The longest string a claim (`sub`, `iss`, a scope's codes…) or the header's `kid` may hold,
/// in characters.
pub const MAX_CLAIM_LENGTH: usize = 255;

/// Why a token that starts with a second `Bearer` is refused, and what to do instead.
const DOUBLED_BEARER: &str =
    "« Bearer » en double ; coller le jeton seul, sans « Bearer », dans Authorize";

/// Why a request is not authenticated. Each variant says which check failed, never the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer …` header.
    #[error("Jeton absent : envoyer l'en-tête Authorization: Bearer <jeton>.")]
    Missing,
    /// Not three base64url parts of JSON.
    #[error("Jeton mal formé : {0}.")]
    Malformed(String),
    /// The header's `alg` is not the configured algorithm.
    #[error("Algorithme refusé : {0} ; seul l'algorithme configuré est accepté.")]
    WrongAlgorithm(String),
    /// The `kid` names no configured key (or is missing where keys are chosen by `kid`).
    #[error("Clé inconnue : {0}.")]
    UnknownKey(String),
    /// The signature does not verify with the key.
    #[error("Signature invalide.")]
    BadSignature,
    /// `exp` is past.
    #[error("Jeton expiré.")]
    Expired,
    /// `nbf` (or `iat`) is in the future.
    #[error("Jeton pas encore valide (nbf ou iat dans le futur).")]
    NotYetValid,
    /// `iss` is not the configured issuer.
    #[error("Émetteur (iss) invalide.")]
    WrongIssuer,
    /// `aud` does not contain the configured audience.
    #[error("Audience (aud) invalide.")]
    WrongAudience,
    /// A required claim is absent.
    #[error("Claim obligatoire absente : {0}.")]
    MissingClaim(String),
    /// A claim has the wrong type or form.
    #[error("Claim invalide : {0}.")]
    InvalidClaim(String),
    /// `role` is not one of the API's roles.
    #[error("Rôle inconnu : {0}.")]
    UnknownRole(String),
    /// The scope claims do not fit the role.
    #[error("Portée invalide pour le rôle : {0}.")]
    ScopeMismatch(String),
    /// The header has `crit`: it names extensions the API does not understand.
    #[error("En-tête crit refusé : aucune extension critique n'est prise en charge ({0}).")]
    CriticalHeader(String),
    /// `exp` is further from `iat` (or from now) than the configured maximum lifetime.
    #[error("Durée de vie du jeton excessive : {0}.")]
    LifetimeTooLong(String),
}

impl AuthError {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "jeton_absent",
            AuthError::Malformed(_) => "jeton_mal_forme",
            AuthError::WrongAlgorithm(_) => "algorithme_refuse",
            AuthError::UnknownKey(_) => "cle_inconnue",
            AuthError::BadSignature => "signature_invalide",
            AuthError::Expired => "jeton_expire",
            AuthError::NotYetValid => "jeton_pas_encore_valide",
            AuthError::WrongIssuer => "emetteur_invalide",
            AuthError::WrongAudience => "audience_invalide",
            AuthError::MissingClaim(_) => "claim_manquante",
            AuthError::InvalidClaim(_) => "claim_invalide",
            AuthError::UnknownRole(_) => "role_inconnu",
            AuthError::ScopeMismatch(_) => "portee_invalide",
            AuthError::CriticalHeader(_) => "crit_non_compris",
            AuthError::LifetimeTooLong(_) => "duree_de_vie_excessive",
        }
    }

    /// Whether a token was sent (it decides the `WWW-Authenticate` challenge).
    pub fn token_sent(&self) -> bool {
        !matches!(self, AuthError::Missing)
    }
}

/// The claims this API reads; the spec claims are checked by `jsonwebtoken`'s validation.
#[derive(Debug, Deserialize)]
struct Claims {
    /// Checked against the configured issuer by `jsonwebtoken`, which also takes an array of
    /// issuers (RFC 7519 says a string): read here to refuse anything but one string.
    iss: serde_json::Value,
    sub: String,
    exp: i64,
    iat: Option<i64>,
    role: Option<String>,
    departements: Option<Vec<String>>,
    structure_id: Option<String>,
}

/// How many verified tokens [`Verifier`] remembers before it starts afresh.
pub const VERIFIED_CACHE_CAPACITY: usize = 10_000;

/// Verifies bearer tokens against the configured keys.
///
/// A token that passed every check is remembered by its exact text (signature included, so no
/// other text can match it) with the caller it names, until its `exp` (with the leeway): the
/// signature, claims and scope are checked once per token rather than on every request. The keys
/// are fixed for the life of the process (a rotation restarts the instances), so a remembered
/// token is one the current keys accept. At most [`VERIFIED_CACHE_CAPACITY`] tokens are kept; the
/// memory is emptied when full.
#[derive(Debug, Clone)]
pub struct Verifier {
    keys: JwtKeys,
    validation: Validation,
    max_lifetime: i64,
    verified: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Caller>>>,
}

impl Verifier {
    /// A verifier for these keys.
    pub fn new(keys: JwtKeys) -> Self {
        let mut validation = Validation::new(keys.algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[&keys.issuer]);
        validation.set_audience(&[&keys.audience]);
        Verifier {
            keys,
            validation,
            max_lifetime: super::mint::TTL_MAX_SECONDES,
            verified: Default::default(),
        }
    }

    /// The same verifier refusing tokens that live longer than `seconds` (configuration
    /// `CNFS_TOKEN_MAX_TTL`; [`super::mint::TTL_MAX_SECONDES`], 30 days, by default).
    pub fn with_max_lifetime(mut self, seconds: i64) -> Self {
        self.max_lifetime = seconds;
        self
    }

    /// The longest lifetime accepted, in seconds: `exp - iat`, and `exp` from now, may not be
    /// more (with the clock leeway for the latter).
    pub fn max_lifetime(&self) -> i64 {
        self.max_lifetime
    }

    /// The keys (for minting development tokens).
    pub fn keys(&self) -> &JwtKeys {
        &self.keys
    }

    /// Verifies the value of an `Authorization` header.
    pub fn verify_header(&self, authorization: Option<&str>) -> Result<Caller, AuthError> {
        let value = authorization.ok_or(AuthError::Missing)?;
        let (scheme, token) = value.trim().split_once(' ').ok_or(AuthError::Missing)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::Missing);
        }
        let token = token.trim();
        // `Bearer Bearer eyJ…`: what Swagger UI sends when `Bearer …` was pasted into Authorize.
        let first_word = token.split_ascii_whitespace().next().unwrap_or_default();
        if first_word.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::Malformed(DOUBLED_BEARER.to_owned()));
        }
        self.verify(token)
    }

    /// Verifies a compact JWS token and returns the caller it names.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let now = chrono::Utc::now().timestamp();
        let still_valid = |caller: &Caller| now <= caller.expires_at + LEEWAY_SECONDS as i64;
        if let Ok(mut verified) = self.verified.lock()
            && let Some(caller) = verified.get(token)
        {
            if still_valid(caller) {
                return Ok(caller.clone());
            }
            verified.remove(token);
        }
        let caller = self.verify_fully(token)?;
        if let Ok(mut verified) = self.verified.lock() {
            if verified.len() >= VERIFIED_CACHE_CAPACITY {
                verified.clear();
            }
            verified.insert(token.to_owned(), caller.clone());
        }
        Ok(caller)
    }

    /// Every check of a token: header, algorithm, key, signature, claims, role and scope.
    fn verify_fully(&self, token: &str) -> Result<Caller, AuthError> {
        let (alg, kid) = read_header(token)?;
        let expected = algorithm_name(self.keys.algorithm);
        if alg != expected {
            return Err(AuthError::WrongAlgorithm(alg));
        }
        let key = match (&kid, self.keys.kid_required()) {
            (None, true) => {
                return Err(AuthError::UnknownKey(
                    "le jeton ne nomme pas sa clé (kid)".to_owned(),
                ));
            }
            _ => self.keys.decoding_key(kid.as_deref()).ok_or_else(|| {
                AuthError::UnknownKey(format!("kid « {} »", kid.unwrap_or_default()))
            })?,
        };
        let data = decode::<serde_json::Value>(token, key, &self.validation).map_err(map_error)?;
        check_strings(&data.claims, "")?;
        let claims: Claims = serde_json::from_value(data.claims).map_err(json_error)?;
        if !claims.iss.is_string() {
            return Err(AuthError::WrongIssuer);
        }
        let now = chrono::Utc::now().timestamp();
        let iat = claims
            .iat
            .ok_or_else(|| AuthError::MissingClaim("iat".to_owned()))?;
        if iat > now + LEEWAY_SECONDS as i64 {
            return Err(AuthError::NotYetValid);
        }
        let max = self.max_lifetime;
        if claims.exp.saturating_sub(iat) > max {
            return Err(AuthError::LifetimeTooLong(format!(
                "exp - iat dépasse {max} s"
            )));
        }
        if claims.exp.saturating_sub(now) > max.saturating_add(LEEWAY_SECONDS as i64) {
            return Err(AuthError::LifetimeTooLong(format!(
                "exp est à plus de {max} s d'ici"
            )));
        }
        if claims.sub.trim().is_empty() {
            return Err(AuthError::InvalidClaim("sub vide".to_owned()));
        }
        let role_name = claims
            .role
            .ok_or_else(|| AuthError::MissingClaim("role".to_owned()))?;
        let role = Role::parse(&role_name).map_err(|_| AuthError::UnknownRole(role_name))?;
        let scope = scope_for(role, claims.departements, claims.structure_id)?;
        Ok(Caller {
            sub: claims.sub,
            role,
            scope,
            expires_at: claims.exp,
        })
    }
}

/// The name of an algorithm as it appears in a JOSE header.
pub fn algorithm_name(algorithm: jsonwebtoken::Algorithm) -> String {
    format!("{algorithm:?}")
}

/// Reads `alg` and `kid` from the token's header without trusting anything else in it.
fn read_header(token: &str) -> Result<(String, Option<String>), AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed(
            "trois segments base64url attendus".to_owned(),
        ));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| AuthError::Malformed("en-tête non base64url".to_owned()))?;
    let header: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| AuthError::Malformed("en-tête non JSON".to_owned()))?;
    let alg = header["alg"]
        .as_str()
        .ok_or_else(|| AuthError::Malformed("en-tête sans alg".to_owned()))?
        .to_owned();
    let kid = match &header["kid"] {
        serde_json::Value::Null => None,
        serde_json::Value::String(kid)
            if kid.chars().count() <= MAX_CLAIM_LENGTH
                && !kid.chars().any(|c| c.is_ascii_control()) =>
        {
            Some(kid.clone())
        }
        serde_json::Value::String(_) => {
            return Err(AuthError::Malformed(format!(
                "kid de plus de {MAX_CLAIM_LENGTH} caractères ou avec un caractère de contrôle"
            )));
        }
        _ => return Err(AuthError::Malformed("kid non textuel".to_owned())),
    };
    // RFC 7515 §4.1.11: an extension listed in `crit` must be understood; none is.
    if let Some(crit) = header.get("crit") {
        return Err(AuthError::CriticalHeader(format!("crit = {crit}")));
    }
    Ok((alg, kid))
}

/// Refuses a claim holding a string of more than [`MAX_CLAIM_LENGTH`] characters or a control
/// character (U+0000–U+001F, U+007F), at any depth (`departements` is a list), names included.
fn check_strings(value: &serde_json::Value, claim: &str) -> Result<(), AuthError> {
    let check = |text: &str, claim: &str| {
        if text.chars().any(|c| c.is_ascii_control()) {
            Err(AuthError::InvalidClaim(format!(
                "{claim} contient un caractère de contrôle"
            )))
        } else if text.chars().count() > MAX_CLAIM_LENGTH {
            Err(AuthError::InvalidClaim(format!(
                "{claim} dépasse {MAX_CLAIM_LENGTH} caractères"
            )))
        } else {
            Ok(())
        }
    };
    match value {
        serde_json::Value::String(text) => check(text, claim),
        serde_json::Value::Array(items) => items.iter().try_for_each(|v| check_strings(v, claim)),
        serde_json::Value::Object(map) => map.iter().try_for_each(|(name, v)| {
            let shown = if claim.is_empty() {
                name.chars().take(40).filter(|c| !c.is_control()).collect()
            } else {
                claim.to_owned()
            };
            check(name, "un nom de claim").and_then(|()| check_strings(v, &shown))
        }),
        _ => Ok(()),
    }
}

/// The refusal of claims that do not have the expected types.
fn json_error(error: serde_json::Error) -> AuthError {
    json_message(error.to_string())
}

fn json_message(text: String) -> AuthError {
    match text
        .strip_prefix("missing field `")
        .and_then(|t| t.split('`').next())
    {
        Some(claim) => AuthError::MissingClaim(claim.to_owned()),
        None => AuthError::InvalidClaim(text),
    }
}

fn map_error(error: jsonwebtoken::errors::Error) -> AuthError {
    match error.into_kind() {
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::MissingRequiredClaim(claim) => AuthError::MissingClaim(claim),
        ErrorKind::InvalidClaimFormat(claim) => AuthError::InvalidClaim(claim),
        ErrorKind::InvalidAlgorithm => {
            AuthError::WrongAlgorithm("incompatible avec la clé configurée".to_owned())
        }
        ErrorKind::Json(error) => json_message(error.to_string()),
        _ => AuthError::Malformed("contenu illisible".to_owned()),
    }
}

/// The scope the claims give a role, or why they do not fit it.
pub(crate) fn scope_for(
    role: Role,
    departements: Option<Vec<String>>,
    structure_id: Option<String>,
) -> Result<Scope, AuthError> {
    let mismatch = |why: &str| {
        Err(AuthError::ScopeMismatch(format!(
            "{} : {why}",
            role.as_str()
        )))
    };
    let departements = match departements {
        None => None,
        Some(list) if list.is_empty() => return mismatch("departements vide"),
        Some(list) => {
            let mut codes = Vec::with_capacity(list.len());
            for code in &list {
                match CodeDepartement::parse(code) {
                    Ok(code) if departements_connus().contains(code.as_str()) => codes.push(code),
                    Ok(_) => {
                        return mismatch(&format!(
                            "le département « {code} » n'existe pas dans le référentiel"
                        ));
                    }
                    Err(_) => {
                        return mismatch(&format!("code de département invalide « {code} »"));
                    }
                }
            }
            codes.sort();
            codes.dedup();
            Some(codes)
        }
    };
    match (role, departements, structure_id) {
        (Role::Admin, None, None) => Ok(Scope::National),
        (Role::Admin, _, _) => mismatch("un admin est national, sans departements ni structure_id"),
        (Role::Lecteur, None, None) => Ok(Scope::National),
        (Role::Lecteur, Some(list), None) => Ok(Scope::Departements(list)),
        (Role::Lecteur, _, Some(_)) => mismatch("pas de structure_id pour un lecteur"),
        (Role::Prefecture, Some(list), None) => Ok(Scope::Departements(list)),
        (Role::Prefecture, None, _) => mismatch("departements obligatoire"),
        (Role::Prefecture, Some(_), Some(_)) => mismatch("pas de structure_id pour une préfecture"),
        (Role::Structure, None, Some(id)) => match StructureId::parse(&id) {
            Ok(id) => Ok(Scope::Structure(id)),
            Err(_) => mismatch("structure_id doit être un UUID"),
        },
        (Role::Structure, None, None) => mismatch("structure_id obligatoire"),
        (Role::Structure, Some(_), _) => mismatch("pas de departements pour une structure"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier() -> Verifier {
        Verifier::new(
            JwtKeys::from_secret(b"test-secret-0123456789-abcdefghijklmnop", "iss", "aud").unwrap(),
        )
    }

    fn caller(expires_at: i64) -> Caller {
        Caller {
            sub: "cached".into(),
            role: Role::Admin,
            scope: Scope::National,
            expires_at,
        }
    }

    #[test]
    fn a_verified_token_is_remembered_by_its_text_until_it_expires() {
        let verifier = verifier();
        let now = chrono::Utc::now().timestamp();
        let remember = |token: &str, caller: Caller| {
            verifier
                .verified
                .lock()
                .unwrap()
                .insert(token.to_owned(), caller);
        };
        // Remembered and unexpired: answered without a check (this text would not pass one).
        remember("a.b.c", caller(now + 600));
        assert_eq!(verifier.verify("a.b.c").unwrap().sub, "cached");
        // Expired beyond the leeway: checked in full again, and refused.
        remember("d.e.f", caller(now - LEEWAY_SECONDS as i64 - 1));
        assert!(matches!(
            verifier.verify("d.e.f"),
            Err(AuthError::Malformed(_))
        ));
        // Within the leeway, still accepted (as the full check would).
        remember("g.h.i", caller(now - 5));
        assert!(verifier.verify("g.h.i").is_ok());
        // A refused token is not remembered.
        assert!(!verifier.verified.lock().unwrap().contains_key("d.e.f"));
    }

    #[test]
    fn the_memory_is_bounded() {
        let verifier = verifier();
        let token = crate::auth::mint::mint(
            verifier.keys(),
            None,
            &crate::auth::mint::TokenRequest {
                role: Role::Admin,
                departements: vec![],
                structure_id: None,
                sub: "admin".into(),
                ttl_seconds: 600,
            },
        )
        .unwrap();
        {
            let mut verified = verifier.verified.lock().unwrap();
            for index in 0..VERIFIED_CACHE_CAPACITY {
                verified.insert(format!("t{index}"), caller(i64::MAX / 2));
            }
        }
        assert_eq!(verifier.verify(&token).unwrap().sub, "admin");
        let verified = verifier.verified.lock().unwrap();
        assert_eq!(verified.len(), 1);
        assert!(verified.contains_key(&token));
    }

    #[test]
    fn scope_must_fit_the_role() {
        let deps = || Some(vec!["93".to_owned(), "2A".to_owned(), "93".to_owned()]);
        let id = || Some("01936b2e-9a4c-7d41-8f3e-2b5c6d7e8f90".to_owned());
        assert_eq!(scope_for(Role::Admin, None, None), Ok(Scope::National));
        assert_eq!(scope_for(Role::Lecteur, None, None), Ok(Scope::National));
        assert_eq!(
            scope_for(Role::Prefecture, deps(), None),
            Ok(Scope::Departements(vec![
                CodeDepartement::parse("2A").unwrap(),
                CodeDepartement::parse("93").unwrap()
            ]))
        );
        assert!(matches!(
            scope_for(Role::Structure, None, id()),
            Ok(Scope::Structure(_))
        ));
        for (role, d, s) in [
            (Role::Admin, deps(), None),
            (Role::Admin, None, id()),
            (Role::Lecteur, None, id()),
            (Role::Prefecture, None, None),
            (Role::Prefecture, Some(vec![]), None),
            (Role::Prefecture, Some(vec!["7".to_owned()]), None),
            (Role::Prefecture, Some(vec!["999".to_owned()]), None),
            (
                Role::Prefecture,
                Some(vec!["93".to_owned(), "20".to_owned()]),
                None,
            ),
            (Role::Lecteur, Some(vec!["96".to_owned()]), None),
            (Role::Structure, None, None),
            (Role::Structure, deps(), id()),
            (Role::Structure, None, Some("structure-1".to_owned())),
        ] {
            assert!(
                matches!(
                    scope_for(role, d.clone(), s.clone()),
                    Err(AuthError::ScopeMismatch(_))
                ),
                "{role:?} {d:?} {s:?}"
            );
        }
    }
}

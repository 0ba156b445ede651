//! Minting tokens: for `cnfs-api token` (operators, tests) and the development tokens printed at
//! start. A token that the verifier would refuse (unknown role, scope not fitting the role) is
//! never minted.

use jsonwebtoken::{EncodingKey, Header, encode};
use serde::Serialize;

use super::verify::scope_for;
use super::{AuthError, JwtKeys, Role};

/// What a token should say.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// `role`.
    pub role: Role,
    /// `departements` (préfecture, territorial lecteur).
    pub departements: Vec<String>,
    /// `structure_id` (structure).
    pub structure_id: Option<String>,
    /// `sub`.
    pub sub: String,
    /// Lifetime in seconds.
    pub ttl_seconds: i64,
}

/// Why a token cannot be minted.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    /// No signing key is configured.
    #[error(
        "aucune clé de signature : CNFS_JWT_SECRET (HS256), ou CNFS_JWT_PRIVATE_KEY avec --kid"
    )]
    NoSigningKey,
    /// Public keys are chosen by `kid`: one is needed.
    #[error("--kid est obligatoire avec des clés publiques (CNFS_JWT_PUBLIC_KEYS)")]
    KidRequired,
    /// The claims would be refused.
    #[error("{0}")]
    Refused(#[from] AuthError),
    /// A lifetime that is not positive, or longer than [`TTL_MAX_SECONDES`].
    #[error("--ttl doit être un nombre de secondes de 1 à 2592000 (30 jours)")]
    BadTtl,
    /// The signing library failed.
    #[error("signature impossible : {0}")]
    Signing(String),
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    role: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    departements: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    structure_id: Option<&'a str>,
}

/// The longest lifetime `cnfs-api token` signs: 30 days. A minted token is a bearer credential
/// handed around by hand (scripts, CI, an agent's first access); beyond a month it is a key that
/// outlives whoever asked for it. (Before this bound, a huge `--ttl` overflowed `exp`.)
pub const TTL_MAX_SECONDES: i64 = 30 * 24 * 3600;

/// Signs a token for `request` with the configured signing key.
pub fn mint(
    keys: &JwtKeys,
    kid: Option<&str>,
    request: &TokenRequest,
) -> Result<String, MintError> {
    let key: &EncodingKey = keys.signing_key().ok_or(MintError::NoSigningKey)?;
    if keys.kid_required() && kid.is_none() {
        return Err(MintError::KidRequired);
    }
    if !(1..=TTL_MAX_SECONDES).contains(&request.ttl_seconds) {
        return Err(MintError::BadTtl);
    }
    let departements =
        (!request.departements.is_empty()).then_some(request.departements.as_slice());
    scope_for(
        request.role,
        departements.map(<[String]>::to_vec),
        request.structure_id.clone(),
    )?;
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: &keys.issuer,
        aud: &keys.audience,
        sub: &request.sub,
        role: request.role.as_str(),
        iat: now,
        nbf: now,
        exp: now + request.ttl_seconds,
        departements,
        structure_id: request.structure_id.as_deref(),
    };
    let mut header = Header::new(keys.algorithm);
    header.kid = kid.map(str::to_owned);
    encode(&header, &claims, key).map_err(|error| MintError::Signing(error.to_string()))
}

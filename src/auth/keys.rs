//! Token keys: the configured algorithm, the verification keys (by `kid`) and, when available, a
//! signing key for `cnfs-api token` and the development tokens.
//!
//! Sources, in order: `CNFS_JWT_SECRET` (HS256, one secret, `kid` optional); `CNFS_JWT_PUBLIC_KEYS`
//! (EdDSA or ES256 public keys in PEM files, each with its `kid`; several may be live at once for
//! rotation; `CNFS_JWT_PRIVATE_KEY` optionally signs); otherwise, outside production and on the
//! embedded SQLite database only, a development secret kept next to the SQLite file (mode 0600).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

use crate::config::AuthConfig;

/// Smallest HS256 secret accepted, in bytes (RFC 7518 §3.2: at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;
/// Name of the development secret file, next to the SQLite database file.
pub const DEV_SECRET_FILE: &str = "jwt-dev-secret";

/// A key configuration that cannot be used; the message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("configuration des jetons invalide : {variable} : {message}")]
pub struct KeyError {
    /// The variable at fault.
    pub variable: &'static str,
    /// What is wrong.
    pub message: String,
}

fn key_error(variable: &'static str, message: impl Into<String>) -> KeyError {
    KeyError {
        variable,
        message: message.into(),
    }
}

/// The keys tokens are verified (and possibly signed) with.
#[derive(Clone)]
pub struct JwtKeys {
    /// The one algorithm accepted; a token's header never chooses it.
    pub algorithm: Algorithm,
    /// Expected `iss`.
    pub issuer: String,
    /// Expected member of `aud`.
    pub audience: String,
    /// The key used when there is a single HS256 secret (then `kid` is optional and ignored).
    single: Option<DecodingKey>,
    /// Keys selected by the token's `kid`.
    by_kid: BTreeMap<String, DecodingKey>,
    /// The signing key, when configured.
    signing: Option<EncodingKey>,
    /// Where the development secret came from, when it is in use.
    pub development_secret: Option<PathBuf>,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("JwtKeys")
            .field("algorithm", &self.algorithm)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("kids", &self.by_kid.keys().collect::<Vec<_>>())
            .field("single", &self.single.is_some())
            .field("signing", &self.signing.is_some())
            .finish()
    }
}

impl JwtKeys {
    /// Keys from one HS256 secret (tests, and the `CNFS_JWT_SECRET` case).
    pub fn from_secret(secret: &[u8], issuer: &str, audience: &str) -> Result<Self, KeyError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(key_error(
                "CNFS_JWT_SECRET",
                format!(
                    "secret de {} octets : {MIN_SECRET_BYTES} au moins",
                    secret.len()
                ),
            ));
        }
        Ok(JwtKeys {
            algorithm: Algorithm::HS256,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            single: Some(DecodingKey::from_secret(secret)),
            by_kid: BTreeMap::new(),
            signing: Some(EncodingKey::from_secret(secret)),
            development_secret: None,
        })
    }

    /// Keys from public keys in PEM, each with its `kid` (EdDSA or ES256), and an optional
    /// private key in PEM for signing.
    pub fn from_public_keys(
        algorithm: Algorithm,
        keys: &[(String, Vec<u8>)],
        private_key: Option<&[u8]>,
        issuer: &str,
        audience: &str,
    ) -> Result<Self, KeyError> {
        let mut by_kid = BTreeMap::new();
        for (kid, pem) in keys {
            let key = match algorithm {
                Algorithm::EdDSA => DecodingKey::from_ed_pem(pem),
                Algorithm::ES256 => DecodingKey::from_ec_pem(pem),
                _ => {
                    return Err(key_error(
                        "CNFS_JWT_ALGORITHM",
                        "EdDSA ou ES256 avec des clés publiques",
                    ));
                }
            }
            .map_err(|error| {
                key_error(
                    "CNFS_JWT_PUBLIC_KEYS",
                    format!("clé « {kid} » illisible pour {algorithm:?} : {error}"),
                )
            })?;
            by_kid.insert(kid.clone(), key);
        }
        let signing = private_key
            .map(|pem| match algorithm {
                Algorithm::EdDSA => EncodingKey::from_ed_pem(pem),
                _ => EncodingKey::from_ec_pem(pem),
            })
            .transpose()
            .map_err(|error| {
                key_error("CNFS_JWT_PRIVATE_KEY", format!("clé illisible : {error}"))
            })?;
        Ok(JwtKeys {
            algorithm,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            single: None,
            by_kid,
            signing,
            development_secret: None,
        })
    }

    /// Loads the keys the configuration names (reads files; may create the development secret).
    /// `dev_secret_path` is where the development secret lives: next to the embedded SQLite file
    /// ([`dev_secret_path`]), and `None` on PostgreSQL, where no development secret exists.
    pub fn load(auth: &AuthConfig, dev_secret_path: Option<PathBuf>) -> Result<Self, KeyError> {
        if let Some(secret) = &auth.secret {
            if auth.algorithm != Algorithm::HS256 {
                return Err(key_error(
                    "CNFS_JWT_ALGORITHM",
                    "CNFS_JWT_SECRET est un secret HS256 : CNFS_JWT_ALGORITHM doit valoir HS256",
                ));
            }
            if auth.production
                && let Some(path) = &dev_secret_path
                && std::fs::read_to_string(path).is_ok_and(|dev| dev.trim() == secret.trim())
            {
                return Err(key_error(
                    "CNFS_JWT_SECRET",
                    "c'est le secret de développement : interdit en production",
                ));
            }
            return JwtKeys::from_secret(secret.as_bytes(), &auth.issuer, &auth.audience);
        }
        if !auth.public_keys.is_empty() {
            let mut keys = Vec::new();
            for (kid, path) in &auth.public_keys {
                let pem = std::fs::read(path).map_err(|error| {
                    key_error(
                        "CNFS_JWT_PUBLIC_KEYS",
                        format!("{} : {error}", path.display()),
                    )
                })?;
                keys.push((kid.clone(), pem));
            }
            let private = auth
                .private_key
                .as_ref()
                .map(|path| {
                    std::fs::read(path).map_err(|error| {
                        key_error(
                            "CNFS_JWT_PRIVATE_KEY",
                            format!("{} : {error}", path.display()),
                        )
                    })
                })
                .transpose()?;
            return JwtKeys::from_public_keys(
                auth.algorithm,
                &keys,
                private.as_deref(),
                &auth.issuer,
                &auth.audience,
            );
        }
        if auth.production {
            return Err(key_error(
                "CNFS_JWT_SECRET",
                "aucune clé configurée : en production, CNFS_JWT_SECRET (HS256) ou CNFS_JWT_PUBLIC_KEYS est obligatoire",
            ));
        }
        let Some(path) = dev_secret_path else {
            return Err(key_error(
                "CNFS_JWT_SECRET",
                "aucune clé configurée : le secret de développement n'existe qu'avec la base SQLite embarquée ; configurer CNFS_JWT_SECRET ou CNFS_JWT_PUBLIC_KEYS",
            ));
        };
        let secret = read_or_create_dev_secret(&path)?;
        let mut keys = JwtKeys::from_secret(secret.as_bytes(), &auth.issuer, &auth.audience)?;
        keys.development_secret = Some(path);
        Ok(keys)
    }

    /// The verification key for a token's `kid`.
    pub fn decoding_key(&self, kid: Option<&str>) -> Option<&DecodingKey> {
        match (&self.single, kid) {
            (Some(single), _) => Some(single),
            (None, Some(kid)) => self.by_kid.get(kid),
            (None, None) => None,
        }
    }

    /// Whether tokens must name their key (`kid`).
    pub fn kid_required(&self) -> bool {
        self.single.is_none()
    }

    /// The signing key, when one is configured.
    pub fn signing_key(&self) -> Option<&EncodingKey> {
        self.signing.as_ref()
    }
}

/// Where the development secret lives for a SQLite database file.
pub fn dev_secret_path(sqlite_file: &Path) -> PathBuf {
    sqlite_file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(DEV_SECRET_FILE)
}

fn read_or_create_dev_secret(path: &Path) -> Result<String, KeyError> {
    let fail = |error: std::io::Error| {
        key_error(
            "CNFS_JWT_SECRET",
            format!("secret de développement {} : {error}", path.display()),
        )
    };
    if let Ok(secret) = std::fs::read_to_string(path) {
        return Ok(secret.trim().to_owned());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|error| key_error("CNFS_JWT_SECRET", format!("aléa indisponible : {error}")))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(path, &secret).map_err(fail)?;
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(content.as_bytes())?;
    file.write_all(b"\n")
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, format!("{content}\n"))
}

//! `Idempotency-Key` on the POSTs that create or move money: one mechanism, one line per handler.
//!
//! ```ignore
//! async fn create(state: web::Data<AppState>, caller: Caller, once: Idempotency,
//!                 body: web::Json<NewThing>) -> Result<HttpResponse, ApiError> {
//!     let request = once.request(&caller, &*body)?;          // or once.required(…) for money
//!     state.write_once(request, move |tx| {
//!         let thing = repo::insert(tx, …)?;
//!         Ok(Reply::created(format!("/api/v1/things/{}", thing.id), &Thing::from(thing))?)
//!     }).await
//! }
//! ```
//!
//! The key is claimed in the same write transaction as the effect (see `db::repo::idempotency`):
//! the same key with the same request replays the stored status, body and `Location`; with another
//! request, 422 `cle_idempotence_reutilisee`; while the first is in flight, 409 `requete_en_cours`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::AppState;
use crate::auth::Caller;
use crate::db::WriteTx;
use crate::db::repo::idempotency::{self, Claim, KeyClaim, StoredResponse};
use crate::domain::refusal::{CLE_IDEMPOTENCE_REUTILISEE, REQUETE_EN_COURS, Refusal};
use crate::error::ApiError;

/// The header.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Longest key accepted.
pub const MAX_KEY_LENGTH: usize = 255;

/// The `Idempotency-Key` of a request (if any), with what identifies the request: its method and
/// path. A malformed key is a 400 naming the header.
#[derive(Debug, Clone)]
pub struct Idempotency {
    key: Option<String>,
    method: String,
    path: String,
}

/// A request ready for [`AppState::write_once`]: its key claim, if it carries a key.
#[derive(Debug, Clone)]
pub struct OnceRequest {
    claim: Option<KeyClaim>,
}

/// Checks a key: 1 to 255 visible ASCII characters. The draft writes it as a structured-field
/// string (`"…"`); the quotes are optional here.
fn parse_key(raw: &str) -> Result<String, ApiError> {
    let key = raw
        .trim()
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .unwrap_or(raw.trim());
    if (1..=MAX_KEY_LENGTH).contains(&key.len()) && key.bytes().all(|b| (0x21..=0x7e).contains(&b))
    {
        Ok(key.to_owned())
    } else {
        Err(invalid_key())
    }
}

/// The 400 of a key that is not 1 to 255 visible ASCII characters.
fn invalid_key() -> ApiError {
    ApiError::invalid_parameter(
        "Idempotency-Key",
        format!("1 à {MAX_KEY_LENGTH} caractères ASCII visibles (un UUID, par exemple)"),
    )
}

impl FromRequest for Idempotency {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = match req.headers().get(IDEMPOTENCY_KEY) {
            None => Ok(None),
            Some(value) => value
                .to_str()
                .map_err(|_| invalid_key())
                .and_then(parse_key)
                .map(Some),
        };
        ready(key.map(|key| Idempotency {
            key,
            method: req.method().to_string(),
            path: req.path().to_owned(),
        }))
    }
}

/// JSON with the keys of every object sorted, so that the same body always hashes the same.
fn canonical(value: &serde_json::Value) -> String {
    fn sorted(value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                serde_json::Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(sorted).collect())
            }
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

impl OnceRequest {
    /// A request without a key (a `PATCH`, which `If-Match` protects instead): it just runs.
    pub fn unkeyed() -> OnceRequest {
        OnceRequest { claim: None }
    }
}

impl Idempotency {
    /// The request of `caller` with this body: the key is optional (without one, the request just
    /// runs).
    pub fn request<B: Serialize>(
        &self,
        caller: &Caller,
        body: &B,
    ) -> Result<OnceRequest, ApiError> {
        let Some(key) = &self.key else {
            return Ok(OnceRequest { claim: None });
        };
        let body = serde_json::to_value(body).map_err(ApiError::internal)?;
        let mut hash = Sha256::new();
        hash.update(self.method.as_bytes());
        hash.update([0]);
        hash.update(self.path.as_bytes());
        hash.update([0]);
        hash.update(canonical(&body).as_bytes());
        let fingerprint = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(OnceRequest {
            claim: Some(KeyClaim {
                caller: format!("{}:{}", caller.role, caller.sub),
                key: key.clone(),
                fingerprint,
            }),
        })
    }

    /// Like [`Idempotency::request`], for a request that must carry a key (money movements): 400
    /// naming the header when it is absent.
    pub fn required<B: Serialize>(
        &self,
        caller: &Caller,
        body: &B,
    ) -> Result<OnceRequest, ApiError> {
        if self.key.is_none() {
            return Err(ApiError::invalid_parameter(
                "Idempotency-Key",
                "en-tête obligatoire sur cette opération : une clé unique par opération (un UUID, par exemple)",
            ));
        }
        self.request(caller, body)
    }
}

/// The response of a write, as it is sent and, under a key, stored for replay.
#[derive(Debug, Clone)]
pub struct Reply {
    status: StatusCode,
    location: Option<String>,
    etag: Option<String>,
    body: String,
}

impl Reply {
    /// 201 with `Location` and the created resource.
    pub fn created<T: Serialize>(location: impl Into<String>, body: &T) -> Result<Reply, ApiError> {
        Ok(Reply {
            status: StatusCode::CREATED,
            location: Some(location.into()),
            etag: None,
            body: serde_json::to_string(body).map_err(ApiError::internal)?,
        })
    }

    /// 201 with `Location`, the created resource and its `ETag` (its row version).
    pub fn created_with_version<T: Serialize>(
        location: impl Into<String>,
        body: &T,
        version: i64,
    ) -> Result<Reply, ApiError> {
        Ok(Reply::created(location, body)?.with_version(version))
    }

    /// 200 with the updated resource (an action, a money movement on an existing object).
    pub fn ok<T: Serialize>(body: &T) -> Result<Reply, ApiError> {
        Ok(Reply {
            status: StatusCode::OK,
            location: None,
            etag: None,
            body: serde_json::to_string(body).map_err(ApiError::internal)?,
        })
    }

    /// The same reply with the `ETag` of the object written (its row version).
    pub fn with_version(mut self, version: i64) -> Reply {
        self.etag = Some(super::extract::etag(version));
        self
    }

    fn stored(&self) -> StoredResponse {
        StoredResponse {
            status: self.status.as_u16(),
            body: self.body.clone(),
            location: self.location.clone(),
            etag: self.etag.clone(),
        }
    }

    fn from_stored(stored: StoredResponse) -> Reply {
        Reply {
            status: StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK),
            location: stored.location,
            etag: stored.etag,
            body: stored.body,
        }
    }

    /// The HTTP response.
    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/json");
        if let Some(location) = self.location {
            response.insert_header((header::LOCATION, location));
        }
        if let Some(etag) = self.etag {
            response.insert_header((header::ETAG, etag));
        }
        response.body(self.body)
    }
}

impl AppState {
    /// Runs `effect` in a write transaction, under the request's `Idempotency-Key` when it has one
    /// (claimed in the same transaction, see the module doc), and answers its [`Reply`].
    pub async fn write_once(
        &self,
        request: OnceRequest,
        effect: impl FnOnce(&mut WriteTx<'_>) -> Result<Reply, ApiError> + Send + 'static,
    ) -> Result<HttpResponse, ApiError> {
        self.write_once_then(request, move |tx| {
            Ok((effect(tx)?, |_: &mut WriteTx<'_>| Ok(())))
        })
        .await
    }

    /// As [`AppState::write_once`], for an effect whose last step takes a lock that many requests
    /// wait for (an envelope's, for a commitment): `effect` does everything else and returns its
    /// reply with that `last` step, which runs after the reply is stored under the key, so that
    /// the lock is held for `last` and the commit only. An error from `last` rolls everything
    /// back, the stored reply included: the answer is then that error.
    pub async fn write_once_then<F, L>(
        &self,
        request: OnceRequest,
        effect: F,
    ) -> Result<HttpResponse, ApiError>
    where
        F: FnOnce(&mut WriteTx<'_>) -> Result<(Reply, L), ApiError> + Send + 'static,
        L: FnOnce(&mut WriteTx<'_>) -> Result<(), ApiError>,
    {
        let reply = self
            .write(move |tx| {
                let Some(claim) = &request.claim else {
                    let (reply, last) = effect(tx)?;
                    last(tx)?;
                    return Ok(reply);
                };
                match idempotency::claim(tx, claim, chrono::Utc::now())? {
                    Claim::Won => {
                        let (reply, last) = effect(tx)?;
                        idempotency::complete(tx, claim, &reply.stored())?;
                        last(tx)?;
                        Ok(reply)
                    }
                    Claim::Replay(stored) => Ok(Reply::from_stored(stored)),
                    Claim::Mismatch => Err(Refusal::new(
                        &CLE_IDEMPOTENCE_REUTILISEE,
                        "Cette clé d'idempotence a déjà servi pour une autre requête ; en choisir une nouvelle.",
                    )
                    .into()),
                    Claim::InFlight => Err(Refusal::new(
                        &REQUETE_EN_COURS,
                        "Une requête avec cette clé d'idempotence est en cours de traitement ; réessayer dans un instant.",
                    )
                    .into()),
                }
            })
            .await?;
        Ok(reply.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert_eq!(parse_key("abc-123").unwrap(), "abc-123");
        assert_eq!(parse_key("\"8e03978e-40d5\"").unwrap(), "8e03978e-40d5");
        for bad in ["", "a b", "\"\"", &"x".repeat(256), "é"] {
            assert!(parse_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_same_body_in_any_key_order_hashes_the_same() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b": 1, "a": {"y": 2, "x": [3]}}"#).unwrap();
        let b: serde_json::Value =
            serde_json::from_str(r#"{"a": {"x": [3], "y": 2}, "b": 1}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        let c: serde_json::Value =
            serde_json::from_str(r#"{"a": {"x": [3], "y": 2}, "b": 2}"#).unwrap();
        assert_ne!(canonical(&a), canonical(&c));
    }
}

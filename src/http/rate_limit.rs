//! The per-caller rate limit (`CNFS_RATE_LIMIT` requests per minute, off by default): a keyed
//! GCRA (`governor`), keyed by the verified token's `sub`, or by the peer's IP address for a
//! request without a valid token. Beyond the limit: 429 `trop_de_requetes` with `Retry-After`.
//!
//! Why not `actix-governor`: its key extractor would have to verify the token itself, and its
//! refusal is its own plain response; here the token is verified once (the verified caller is
//! kept in the request's extensions, where the `Caller` extractor finds it), and the refusal is
//! an [`ApiError`] completed into a problem like every other error.
//!
//! The count is per instance: behind N instances a caller gets up to N times the limit
//! (docs/OPERATIONS.md). The health probes are never limited (a load balancer polls them).
//! Keys unseen for a minute are forgotten (see [`RateLimit::forget_idle`]): the memory follows
//! the callers of the last minute.

use std::num::NonZeroU32;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::auth::{Caller, Verifier};
use crate::error::ApiError;
use crate::http::AppState;

/// Who a request counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKey {
    /// An authenticated caller, by the token's `sub`.
    Sub(String),
    /// An anonymous request (or one whose token is refused), by the peer's IP address.
    Ip(std::net::IpAddr),
    /// No peer address (an in-process call).
    Unknown,
}

/// The limiter of one instance.
pub struct RateLimit {
    per_minute: NonZeroU32,
    limiter: DefaultKeyedRateLimiter<RateKey>,
    clock: DefaultClock,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("per_minute", &self.per_minute)
            .finish_non_exhaustive()
    }
}

impl RateLimit {
    /// A limit of `per_minute` requests per minute and per key, all of them at once in a burst
    /// (a caller idle for a minute may send its whole minute's allowance at once).
    pub fn per_minute(per_minute: NonZeroU32) -> Self {
        RateLimit {
            per_minute,
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// The configured number of requests per minute.
    pub fn limit(&self) -> NonZeroU32 {
        self.per_minute
    }

    /// Counts one request of `key`: `Ok` when allowed, else how many whole seconds until the
    /// next one is (at least 1).
    pub fn check(&self, key: &RateKey) -> Result<(), u64> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }

    /// Forgets the keys whose allowance is whole again (unseen for a minute); the server calls it
    /// every minute.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// How many keys are remembered.
    pub fn keys(&self) -> usize {
        self.limiter.len()
    }
}

/// The key of a request: the `sub` of its token when the token verifies (the caller is then
/// kept in the request's extensions for the `Caller` extractor), else its peer's IP address.
fn key_of(req: &ServiceRequest) -> RateKey {
    let mut values = req.headers().get_all(AUTHORIZATION);
    // Two Authorization headers are refused by the extractor (400); count them by address.
    if let (Some(value), None) = (values.next(), values.next())
        && let Some(verifier) = req.app_data::<web::Data<Verifier>>()
        && let Ok(caller) = verifier.verify_header(value.to_str().ok())
    {
        let key = RateKey::Sub(caller.sub.clone());
        req.extensions_mut().insert::<Caller>(caller);
        return key;
    }
    req.peer_addr()
        .map_or(RateKey::Unknown, |addr| RateKey::Ip(addr.ip()))
}

/// The middleware: refuses a request over its caller's limit with 429 `trop_de_requetes` and
/// `Retry-After`; lets everything through when no limit is configured.
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let limit = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.rate_limit.clone());
    let Some(limit) = limit else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if req.path().starts_with("/health/") {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    match limit.check(&key_of(&req)) {
        Ok(()) => Ok(next.call(req).await?.map_into_boxed_body()),
        Err(retry_after) => {
            metrics::counter!(crate::metrics::RATE_LIMITED).increment(1);
            Ok(req.error_response(ApiError::TooManyRequests {
                per_minute: limit.limit().get(),
                retry_after,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_own_allowance_and_a_wait_in_whole_seconds() {
        let limit = RateLimit::per_minute(NonZeroU32::new(2).unwrap());
        let a = RateKey::Sub("a".to_owned());
        let b = RateKey::Ip("127.0.0.1".parse().unwrap());
        assert_eq!(limit.check(&a), Ok(()));
        assert_eq!(limit.check(&a), Ok(()));
        // 2 a minute: the next one comes 30 s after the first.
        let wait = limit.check(&a).unwrap_err();
        assert!((29..=30).contains(&wait), "{wait}");
        assert_eq!(limit.check(&b), Ok(()));
        assert_eq!(limit.keys(), 2);
    }
}

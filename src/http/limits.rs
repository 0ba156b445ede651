//! The body deadline: a request body must arrive whole within `CNFS_BODY_TIMEOUT` seconds of
//! the request's head, else 408 `delai_depasse` and the connection closes.
//!
//! actix-web bounds the wait for a request's head (`client_request_timeout`, 5 s) but not for its
//! body: a client that sends its headers and then a `Content-Length` larger than what follows, or
//! nothing more, held a connection, a worker's task and their buffers for as long as it liked
//! (the probe held 8,000 such for minutes). This middleware wraps the request's payload in a
//! stream that fails once the deadline has passed; the extractor reading the body stops there,
//! and the response, whatever the extractor made of the failure, becomes a 408 problem that
//! closes the connection.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{Error, HttpMessage, ResponseError};
use futures_core::Stream;

use crate::error::ApiError;
use crate::http::AppState;

/// The default body deadline, in seconds (`CNFS_BODY_TIMEOUT`): 64 KiB, the largest body
/// accepted, in 10 s is 6.4 KiB/s, slower than any client the API serves.
pub const DEFAULT_BODY_TIMEOUT_SECONDS: u64 = 10;

/// A payload that fails once its deadline has passed.
struct Deadline<S> {
    inner: S,
    sleep: Pin<Box<tokio::time::Sleep>>,
    expired: Rc<Cell<bool>>,
}

impl<S> Stream for Deadline<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired.get() {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.expired.set(true);
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "corps de requête non reçu dans le délai",
            )))));
        }
        Poll::Pending
    }
}

/// The middleware function (see the module documentation).
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let timeout = req
        .app_data::<Data<AppState>>()
        .map_or(Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECONDS), |state| {
            state.body_timeout
        });
    let expired = Rc::new(Cell::new(false));
    let payload = req.take_payload();
    let deadline = Deadline {
        inner: payload,
        sleep: Box::pin(tokio::time::sleep(timeout)),
        expired: expired.clone(),
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(deadline),
    });
    let response = next.call(req).await?.map_into_boxed_body();
    if !expired.get() {
        return Ok(response);
    }
    log::info!(
        "corps de requête non reçu en entier dans les {} s : 408",
        timeout.as_secs()
    );
    let error = ApiError::Other {
        status: StatusCode::REQUEST_TIMEOUT,
        detail: format!(
            "Le corps de la requête n'est pas arrivé en entier dans les {} s.",
            timeout.as_secs()
        ),
    };
    let (request, _) = response.into_parts();
    let mut answer = error.error_response();
    answer
        .head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    Ok(ServiceResponse::new(request, answer))
}

//! The test application and its callers, in the spirit of crates.io's `TestApp`: a request reads
//! as the caller, the verb, the path and the body.
//!
//! ```ignore
//! let app = TestApp::on(&db).await;
//! let created = app.as_(prefecture_93()).post("/api/v1/conventions", json!({…})).await;
//! let read = app.anonymous().get("/api/v1/lieux").await;
//! let renamed = app.as_(admin()).if_match("\"3\"").patch(&uri, json!({…})).await;
//! ```
//!
//! A [`TestApp`] is itself a service ([`App`]), so [`call`], [`get`](super::get) and the helpers
//! that take `&impl App` take it too.

use std::task::{Context, Poll};

use actix_web::dev::{Service, ServiceResponse};
use cnfs_api::http::AppState;
use serde::Serialize;

use super::{Answer, App, TestDb, call, request};

/// The real application (`cnfs_api::build_app`) over a test database.
pub struct TestApp<S> {
    service: S,
}

impl TestApp<()> {
    /// The application over `db`, as [`TestDb::state`] configures it.
    pub async fn on(db: &TestDb) -> TestApp<impl App> {
        TestApp::over(db.state()).await
    }

    /// The application over `state` (a fixed "today", other keys, a cache…).
    pub async fn over(state: AppState) -> TestApp<impl App> {
        TestApp {
            service: super::app(state).await,
        }
    }
}

impl<S: App> TestApp<S> {
    /// A request with `token` as bearer.
    pub fn as_(&self, token: impl AsRef<str>) -> Call<'_, S> {
        self.caller(Some(token.as_ref()))
    }

    /// A request without a token.
    pub fn anonymous(&self) -> Call<'_, S> {
        self.caller(None)
    }

    /// A request with `token` as bearer, or without a token when `None`.
    pub fn caller(&self, token: Option<&str>) -> Call<'_, S> {
        Call {
            app: self,
            token: token.map(str::to_owned),
            headers: Vec::new(),
        }
    }
}

impl<S: App> Service<actix_http::Request> for TestApp<S> {
    type Response = ServiceResponse<S::Body>;
    type Error = actix_web::Error;
    type Future = <S as Service<actix_http::Request>>::Future;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.service.poll_ready(cx)
    }

    fn call(&self, req: actix_http::Request) -> Self::Future {
        self.service.call(req)
    }
}

/// A request being built: its caller, then optional headers, then the verb that sends it.
#[must_use = "a request is sent by its verb: .get(uri), .post(uri, body)…"]
pub struct Call<'a, S> {
    app: &'a TestApp<S>,
    token: Option<String>,
    headers: Vec<(String, String)>,
}

impl<S: App> Call<'_, S> {
    /// Adds the header `name: value`.
    pub fn header(mut self, name: &str, value: impl AsRef<str>) -> Self {
        self.headers
            .push((name.to_owned(), value.as_ref().to_owned()));
        self
    }

    /// `If-Match: etag` (the quotes are the caller's: `"\"3\""`).
    pub fn if_match(self, etag: impl AsRef<str>) -> Self {
        self.header("if-match", etag)
    }

    /// `If-None-Match: etag`.
    pub fn if_none_match(self, etag: impl AsRef<str>) -> Self {
        self.header("if-none-match", etag)
    }

    /// `Idempotency-Key: key`.
    pub fn idempotency_key(self, key: impl AsRef<str>) -> Self {
        self.header("idempotency-key", key)
    }

    /// `GET uri`.
    pub async fn get(self, uri: &str) -> Answer {
        self.send("GET", uri, None).await
    }

    /// `DELETE uri`.
    pub async fn delete(self, uri: &str) -> Answer {
        self.send("DELETE", uri, None).await
    }

    /// `POST uri` with a JSON body.
    pub async fn post(self, uri: &str, body: impl Serialize) -> Answer {
        self.send("POST", uri, Some(json(body))).await
    }

    /// `POST uri` without a body.
    pub async fn post_without_body(self, uri: &str) -> Answer {
        self.send("POST", uri, None).await
    }

    /// `PATCH uri` with a JSON body.
    pub async fn patch(self, uri: &str, body: impl Serialize) -> Answer {
        self.send("PATCH", uri, Some(json(body))).await
    }

    /// `PUT uri` with a JSON body.
    pub async fn put(self, uri: &str, body: impl Serialize) -> Answer {
        self.send("PUT", uri, Some(json(body))).await
    }

    async fn send(self, method: &str, uri: &str, body: Option<serde_json::Value>) -> Answer {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let req = request(method, uri, self.token.as_deref(), body.as_ref(), &headers);
        call(self.app, req).await
    }
}

fn json(body: impl Serialize) -> serde_json::Value {
    serde_json::to_value(body).expect("a JSON body")
}

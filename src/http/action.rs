//! The one shape of a lifecycle action's handler, for every resource with a status machine:
//! `POST /<resource>/{id}/<action>`, with an optional `If-Match` and an `Idempotency-Key`,
//! answering 200 with the whole resource and its new `ETag`.
//!
//! [`lifecycle_action!`](crate::lifecycle_action) declares the handler (its name stays
//! greppable: `sign_convention`, `take_post`), its documentation and route; the work is one call
//! to the use case of `src/app` that the invocation names.

/// Declares a lifecycle action's handler. The invoking module imports `actix_web::post` (the
/// spec reads the route from that attribute).
///
/// ```text
/// lifecycle_action! {
///     /// Summary and description (the spec's text).
///     sign_convention, "/conventions/{id}/signature", "signConvention",
///     tag = "Conventions", id = ConventionId, path = crate::api::ConventionPath, body = Signature,
///     response = (Convention, "La convention après l'action."),
///     use_case = app::convention::sign,
///     view = |saved, ctx| Convention::of(saved, ctx.today),
/// }
/// ```
#[macro_export]
macro_rules! lifecycle_action {
    (
        $(#[doc = $doc:literal])+
        $name:ident, $path:literal, $operation:literal,
        tag = $tag:literal, id = $id:ty, path = $path_doc:path, body = $body:ty,
        response = ($response:ty, $response_description:literal),
        use_case = $use_case:path,
        view = $view:expr $(,)?
    ) => {
        $(#[doc = $doc])+
        #[utoipa::path(
            tag = $tag,
            operation_id = $operation,
            params(
                $path_doc,
                ("If-Match" = Option<String>, Header, description = "Facultatif : l'`ETag` de la dernière lecture (`\"3\"`)."),
                $crate::openapi::IdempotencyKey,
                $crate::api::NoQuery
            ),
            request_body = $body,
            security(("bearer" = [])),
            responses(
                (status = 200, description = $response_description, body = $response,
                    headers(("ETag" = String, description = "La nouvelle version."))),
                $crate::openapi::ChangeErrors,
            )
        )]
        #[post($path)]
        pub async fn $name(
            state: actix_web::web::Data<$crate::http::AppState>,
            caller: $crate::auth::Caller,
            id: $crate::http::extract::PathParam<$id>,
            if_match: Option<$crate::http::extract::IfMatch>,
            once: $crate::http::idempotency::Idempotency,
            _query: $crate::http::extract::StrictQuery<$crate::api::NoQuery>,
            body: $crate::http::body::Body<$body>,
        ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
            let request = once.request(&caller, body.raw())?;
            let ctx = $crate::app::Context::new(caller, state.today());
            let id = id.into_inner();
            state
                .write_once(request, move |tx| {
                    let saved = $use_case(tx, &ctx, &id, body.gate(if_match))?;
                    let version = saved.version;
                    let view: $response = ($view)(saved, &ctx);
                    Ok($crate::http::idempotency::Reply::ok(&view)?.with_version(version))
                })
                .await
        }
    };
}

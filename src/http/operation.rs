//! The shapes of a handler, each written once: a macro per kind of operation declares the
//! handler's documentation (`#[utoipa::path]`: parameters, responses, error set), its route and
//! its signature (the extractors, in the order that gives the access order of `docs/API.md`), and
//! takes from its invocation only what differs: the names, the texts and the steps of the body.
//!
//! [`operation!`](crate::operation) is the skeleton under the others (each documents its kind):
//! [`read_operation!`](crate::read_operation), [`get_operation!`](crate::get_operation),
//! [`create_operation!`](crate::create_operation), [`update_operation!`](crate::update_operation),
//! [`delete_operation!`](crate::delete_operation), [`lifecycle_action!`](crate::lifecycle_action)
//! and [`list_operation!`](crate::list_operation).
//!
//! The handler's name is the first word of every invocation, so that it stays greppable
//! (`get_convention`, `take_post`). The invoking module imports the route attribute of its
//! method (`actix_web::get`…): the spec reads the route from that attribute.

/// Declares a handler: its documentation (the doc comment: summary, then description), its
/// `#[utoipa::path]` (tag, operation id, parameters, request body, security, responses), its
/// route and its signature. The other macros of this module write their kind's parameters,
/// responses and extractors through it; a handler of a kind of its own invokes it directly.
///
/// ```text
/// operation! {
///     /// Sonde de vie
///     ///
///     /// Répond 200 tant que le processus sert des requêtes (the spec's text).
///     get "/health/live", live, "healthLive", tag = "Santé",
///     params(NoQuery),
///     responses((status = 200, description = "Le processus répond.", body = Live), …),
///     fn(_query: StrictQuery<NoQuery>) -> web::Json<Live> {
///         web::Json(Live { status: "ok" })
///     }
/// }
/// ```
#[macro_export]
macro_rules! operation {
    // The change of an update or an action: the use case over the write transaction (given the
    // context, the id and the gate), then the view of what it saved, with its new version.
    (
        @change $state:ident, $request:ident, $ctx:ident, $use_case:path, [$($input:tt)*],
        $view:expr => $response:ty
    ) => {
        $state
            .write_once($request, move |tx| {
                let saved = $use_case(tx, &$ctx, $($input)*)?;
                let version = saved.version;
                let view: $response = ($view)(saved, &$ctx);
                Ok($crate::http::idempotency::Reply::ok(&view)?.with_version(version))
            })
            .await
    };
    // A change of one object named by its path, answering it with its new `ETag`: an update
    // (`If-Match` required) or a lifecycle action (optional, with an `Idempotency-Key`).
    (
        @changing $(#[doc = $doc:literal])+
        $method:ident $route:literal, $name:ident, $operation:literal, $tag:literal,
        ($id_type:ty, $path_doc:path), $if_match_doc:literal, [$($key:tt)*], $body_type:ty,
        ($response:ty, $description:literal),
        |$state:ident, $caller:ident, $id:ident, $if_match:ident, [$($once:tt)*], $body:ident|
        $block:block
    ) => {
        $crate::operation! {
            $(#[doc = $doc])+
            $method $route, $name, $operation, tag = $tag,
            params(
                $path_doc,
                ("If-Match" = Option<String>, Header, description = $if_match_doc),
                $($key)*
                $crate::api::NoQuery
            ),
            request_body = $body_type,
            security(("bearer" = [])),
            responses(
                (status = 200, description = $description, body = $response,
                    headers(("ETag" = String, description = "La nouvelle version."))),
                $crate::openapi::ChangeErrors,
            ),
            fn(
                $state: actix_web::web::Data<$crate::http::AppState>,
                $caller: $crate::auth::Caller,
                $crate::http::extract::PathParam($id): $crate::http::extract::PathParam<$id_type>,
                $if_match: Option<$crate::http::extract::IfMatch>,
                $($once)*
                _query: $crate::http::extract::StrictQuery<$crate::api::NoQuery>,
                $body: $crate::http::body::Body<$body_type>,
            ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> $block
        }
    };
    (
        $(#[doc = $doc:literal])+
        $method:ident $route:literal, $name:ident, $operation:literal, tag = $tag:literal,
        params($($params:tt)*),
        $(request_body = $request:ty,)?
        $(security($($security:tt)*),)?
        responses($($responses:tt)*),
        fn($($args:tt)*) -> $answer:ty $body:block
    ) => {
        $(#[doc = $doc])+
        #[utoipa::path(
            tag = $tag,
            operation_id = $operation,
            params($($params)*),
            $(request_body = $request,)?
            $(security($($security)*),)?
            responses($($responses)*)
        )]
        #[$method($route)]
        pub async fn $name($($args)*) -> $answer $body
    };
}

/// Declares a public `GET` of a whole (a list that comes whole, a probe), answering `200` with
/// `response`, or the `ReadErrors`; its query string is the `IntoParams` struct `query`
/// (`NoQuery` for none), bound to the second name of the head.
///
/// ```text
/// read_operation! {
///     /// Lister les régions
///     ///
///     /// Les 26 régions… (the spec's text).
///     list_regions, "/regions", "listRegions", tag = "Référentiel",
///     query = NoQuery, response = (RegionList, "Toutes les régions."),
///     |state, _query| { … }
/// }
/// ```
#[macro_export]
macro_rules! read_operation {
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, tag = $tag:literal,
        query = $query:ident, response = ($response:ty, $description:literal),
        |$state:ident, $parameters:ident| $body:block
    ) => {
        $crate::operation! {
            $(#[doc = $doc])+
            get $route, $name, $operation, tag = $tag,
            params($query),
            responses(
                (status = 200, description = $description, body = $response),
                $crate::openapi::ReadErrors,
            ),
            fn(
                $state: actix_web::web::Data<$crate::http::AppState>,
                $crate::http::extract::StrictQuery($parameters):
                    $crate::http::extract::StrictQuery<$query>,
            ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> $body
        }
    };
}

/// Declares the handler of `GET` on one object named by its path: with a token (the caller's
/// access is the body's first step; 404 out of scope), or `public` (no token). It answers `200`
/// with `response`, documented with its `ETag` when `etag` describes it (the body then answers
/// [`ok_with_etag`](crate::http::extract::ok_with_etag)), and the item error set (`ItemErrors`,
/// `ItemReadErrors` when public, or the set `errors = …` names: `ItemRoleErrors` when a role
/// may not read it at all).
/// The path is `id = (type, documented parameter)`, or `ids = ((a, b), (a's, b's))` for a
/// nested object; the closure-like head names what the body uses.
///
/// ```text
/// get_operation! {
///     /// Lire un conseiller
///     ///
///     /// Un conseiller, avec son `ETag` (the spec's text).
///     get_conseiller, "/conseillers/{id}", "getConseiller", tag = "Conseillers",
///     id = (ConseillerId, crate::api::ConseillerPath), response = (Conseiller, "Le conseiller."),
///     etag = "La version du conseiller, pour `If-Match`.",
///     |state, caller, id| {
///         let conseiller = …;
///         Ok(ok_with_etag(conseiller.version, &shown(&caller, conseiller)))
///     }
/// }
/// ```
#[macro_export]
macro_rules! get_operation {
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, tag = $tag:literal,
        id = ($id_type:ty, $path_doc:path), response = ($response:ty, $description:literal),
        $(etag = $etag:literal,)?
        |$state:ident, $caller:ident, $id:ident| $body:block
    ) => {
        $crate::get_operation! {
            @read $(#[doc = $doc])+ $name, $route, $operation, $tag, [$path_doc],
            $response, $description, [$($etag)?], [security(("bearer" = [])),],
            $crate::openapi::ItemErrors,
            [
                $state: actix_web::web::Data<$crate::http::AppState>,
                $caller: $crate::auth::Caller,
                $crate::http::extract::PathParam($id): $crate::http::extract::PathParam<$id_type>,
            ],
            $body
        }
    };
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, tag = $tag:literal,
        id = ($id_type:ty, $path_doc:path), response = ($response:ty, $description:literal),
        $(etag = $etag:literal,)? errors = $errors:path,
        |$state:ident, $caller:ident, $id:ident| $body:block
    ) => {
        $crate::get_operation! {
            @read $(#[doc = $doc])+ $name, $route, $operation, $tag, [$path_doc],
            $response, $description, [$($etag)?], [security(("bearer" = [])),],
            $errors,
            [
                $state: actix_web::web::Data<$crate::http::AppState>,
                $caller: $crate::auth::Caller,
                $crate::http::extract::PathParam($id): $crate::http::extract::PathParam<$id_type>,
            ],
            $body
        }
    };
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, tag = $tag:literal,
        ids = (($first_type:ty, $second_type:ty), ($first_doc:path, $second_doc:path)),
        response = ($response:ty, $description:literal),
        $(etag = $etag:literal,)? errors = $errors:path,
        |$state:ident, $caller:ident, ($first:ident, $second:ident)| $body:block
    ) => {
        $crate::get_operation! {
            @read $(#[doc = $doc])+ $name, $route, $operation, $tag, [$first_doc, $second_doc],
            $response, $description, [$($etag)?], [security(("bearer" = [])),],
            $errors,
            [
                $state: actix_web::web::Data<$crate::http::AppState>,
                $caller: $crate::auth::Caller,
                $crate::http::extract::PathParams($first, $second):
                    $crate::http::extract::PathParams<$first_type, $second_type>,
            ],
            $body
        }
    };
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, tag = $tag:literal,
        ids = (($first_type:ty, $second_type:ty), ($first_doc:path, $second_doc:path)),
        response = ($response:ty, $description:literal),
        |$state:ident, $caller:ident, ($first:ident, $second:ident)| $body:block
    ) => {
        $crate::get_operation! {
            @read $(#[doc = $doc])+ $name, $route, $operation, $tag, [$first_doc, $second_doc],
            $response, $description, [], [security(("bearer" = [])),],
            $crate::openapi::ItemErrors,
            [
                $state: actix_web::web::Data<$crate::http::AppState>,
                $caller: $crate::auth::Caller,
                $crate::http::extract::PathParams($first, $second):
                    $crate::http::extract::PathParams<$first_type, $second_type>,
            ],
            $body
        }
    };
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, tag = $tag:literal,
        id = ($id_type:ty, $path_doc:path), response = ($response:ty, $description:literal),
        $(etag = $etag:literal,)?
        public |$state:ident, $id:ident| $body:block
    ) => {
        $crate::get_operation! {
            @read $(#[doc = $doc])+ $name, $route, $operation, $tag, [$path_doc],
            $response, $description, [$($etag)?], [], $crate::openapi::ItemReadErrors,
            [
                $state: actix_web::web::Data<$crate::http::AppState>,
                $crate::http::extract::PathParam($id): $crate::http::extract::PathParam<$id_type>,
            ],
            $body
        }
    };
    (
        @read $(#[doc = $doc:literal])+ $name:ident, $route:literal, $operation:literal,
        $tag:literal, [$($path_doc:path),+], $response:ty, $description:literal,
        [$($etag:literal)?], [$($security:tt)*], $errors:path, [$($args:tt)*], $body:block
    ) => {
        $crate::operation! {
            $(#[doc = $doc])+
            get $route, $name, $operation, tag = $tag,
            params($($path_doc,)+ $crate::api::NoQuery),
            $($security)*
            responses(
                (status = 200, description = $description, body = $response
                    $(, headers(("ETag" = String, description = $etag)))?),
                $errors,
            ),
            fn(
                $($args)*
                _query: $crate::http::extract::StrictQuery<$crate::api::NoQuery>,
            ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> $body
        }
    };
}

/// Declares the handler of a `POST` that creates an object in a collection, or in the
/// sub-collection of the object its path names (`path = (id: type, documented parameter)`): it
/// takes an `Idempotency-Key` (`key = IdempotencyKey`, or `IdempotencyKeyRequired`) and a JSON
/// body, and answers `201` with the object, its `Location` and, when `etag` describes it, its
/// `ETag` (the body's `Reply::created_with_version`), or the error set `errors`. With
/// `checked = Resource::X`, the handler first checks that the caller's role may create one at
/// all (403 before the body is judged), then takes the key and the accepted body: the block after
/// `|state, caller, request, new|` starts there.
///
/// ```text
/// create_operation! {
///     /// Créer une enveloppe
///     ///
///     /// Crée une enveloppe de financement (the spec's text).
///     create_enveloppe, "/enveloppes", "createEnveloppe", tag = "Financement",
///     key = IdempotencyKey, body = NouvelleEnveloppe, errors = CreateErrors,
///     created = (Enveloppe, "L'enveloppe créée.", "L'URL de l'enveloppe."),
///     etag = "La version de l'enveloppe.", checked = Resource::Enveloppe,
///     |state, caller, request, new| { … }
/// }
/// ```
#[macro_export]
macro_rules! create_operation {
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, tag = $tag:literal,
        key = $key:ident, body = $body_type:ty, errors = $errors:ident,
        created = ($response:ty, $description:literal, $location:literal),
        $(etag = $etag:literal,)?
        checked = $resource:expr,
        |$state:ident, $caller:ident, $request:ident, $new:ident| $block:block
    ) => {
        $crate::create_operation! {
            $(#[doc = $doc])+
            $name, $route, $operation, tag = $tag,
            key = $key, body = $body_type, errors = $errors,
            created = ($response, $description, $location),
            $(etag = $etag,)?
            |$state, $caller, once, body| {
                $crate::auth::policy::check_create(
                    &$caller,
                    $resource,
                    &$crate::auth::policy::Perimeter::NATIONAL,
                )?;
                let $request = once.request(&$caller, body.raw())?;
                let $new = body.accept()?;
                $block
            }
        }
    };
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, tag = $tag:literal,
        $(path = ($id:ident: $id_type:ty, $path_doc:path),)?
        key = $key:ident, body = $body_type:ty, errors = $errors:ident,
        created = ($response:ty, $description:literal, $location:literal),
        $(etag = $etag:literal,)?
        |$state:ident, $caller:ident, $once:ident, $body:ident| $block:block
    ) => {
        $crate::operation! {
            $(#[doc = $doc])+
            post $route, $name, $operation, tag = $tag,
            params($($path_doc,)? $crate::openapi::$key, $crate::api::NoQuery),
            request_body = $body_type,
            security(("bearer" = [])),
            responses(
                (status = 201, description = $description, body = $response,
                    headers(("Location" = String, description = $location)
                        $(, ("ETag" = String, description = $etag))?)),
                $crate::openapi::$errors,
            ),
            fn(
                $state: actix_web::web::Data<$crate::http::AppState>,
                $caller: $crate::auth::Caller,
                $($crate::http::extract::PathParam($id):
                    $crate::http::extract::PathParam<$id_type>,)?
                $once: $crate::http::idempotency::Idempotency,
                _query: $crate::http::extract::StrictQuery<$crate::api::NoQuery>,
                $body: $crate::http::body::Body<$body_type>,
            ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> $block
        }
    };
}

/// Declares the handler of a `DELETE` of an object named by its path (`id = (type, documented
/// parameter)`, or `ids = ((a, b), (a's, b's))`): the body does the deletion (an error is the
/// answer) and the handler answers `204` (`deleted` describes it), or the `ActErrors`.
///
/// ```text
/// delete_operation! {
///     /// Supprimer une activité
///     ///
///     /// Supprime une activité déclarée par erreur (the spec's text).
///     delete_activite, "/activites/{id}", "deleteActivite", tag = "Activités",
///     id = (ActiviteId, crate::api::ActivitePath), deleted = "L'activité est supprimée.",
///     |state, caller, id| { state.write(move |tx| …).await }
/// }
/// ```
#[macro_export]
macro_rules! delete_operation {
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, tag = $tag:literal,
        id = ($id_type:ty, $path_doc:path), deleted = $description:literal,
        |$state:ident, $caller:ident, $id:ident| $body:block
    ) => {
        $crate::delete_operation! {
            @delete $(#[doc = $doc])+ $name, $route, $operation, $tag, [$path_doc], $description,
            [$crate::http::extract::PathParam($id): $crate::http::extract::PathParam<$id_type>],
            $state, $caller, $body
        }
    };
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, tag = $tag:literal,
        ids = (($first_type:ty, $second_type:ty), ($first_doc:path, $second_doc:path)),
        deleted = $description:literal,
        |$state:ident, $caller:ident, ($first:ident, $second:ident)| $body:block
    ) => {
        $crate::delete_operation! {
            @delete $(#[doc = $doc])+ $name, $route, $operation, $tag, [$first_doc, $second_doc],
            $description,
            [
                $crate::http::extract::PathParams($first, $second):
                    $crate::http::extract::PathParams<$first_type, $second_type>
            ],
            $state, $caller, $body
        }
    };
    (
        @delete $(#[doc = $doc:literal])+ $name:ident, $route:literal, $operation:literal,
        $tag:literal, [$($path_doc:path),+], $description:literal, [$($path:tt)*],
        $state:ident, $caller:ident, $body:block
    ) => {
        $crate::operation! {
            $(#[doc = $doc])+
            delete $route, $name, $operation, tag = $tag,
            params($($path_doc,)+ $crate::api::NoQuery),
            security(("bearer" = [])),
            responses(
                (status = 204, description = $description),
                $crate::openapi::ActErrors,
            ),
            fn(
                $state: actix_web::web::Data<$crate::http::AppState>,
                $caller: $crate::auth::Caller,
                $($path)*,
                _query: $crate::http::extract::StrictQuery<$crate::api::NoQuery>,
            ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
                let deleted: Result<(), $crate::error::ApiError> = $body;
                deleted?;
                Ok(actix_web::HttpResponse::NoContent().finish())
            }
        }
    };
}

/// Declares the handler of a `PATCH` of an object: `If-Match` is required (428 without it, 412
/// when stale), the answer is `200` with the changed object and its new `ETag`, or the
/// `ChangeErrors`. The body is either the use case of `src/app` and the view of what it saved
/// (`use_case = …, view = |saved, ctx| …`: the change runs unkeyed in `write_once`, the gate
/// checks the body then `If-Match`), or a block of its own after
/// `|state, caller, id, if_match, body|`.
///
/// ```text
/// update_operation! {
///     /// Modifier une convention
///     ///
///     /// Change les champs libres (the spec's text).
///     update_convention, "/conventions/{id}", "updateConvention", tag = "Conventions",
///     id = (ConventionId, crate::api::ConventionPath), body = ModificationConvention,
///     response = (Convention, "La convention modifiée."),
///     use_case = app::convention::modify, view = answered,
/// }
/// ```
#[macro_export]
macro_rules! update_operation {
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, tag = $tag:literal,
        id = ($id_type:ty, $path_doc:path), body = $body_type:ty,
        response = ($response:ty, $description:literal),
        use_case = $use_case:path, view = $view:expr $(,)?
    ) => {
        $crate::update_operation! {
            $(#[doc = $doc])+
            $name, $route, $operation, tag = $tag,
            id = ($id_type, $path_doc), body = $body_type,
            response = ($response, $description),
            |state, caller, id, if_match, body| {
                let ctx = $crate::app::Context::new(caller, state.today());
                let request = $crate::http::idempotency::OnceRequest::unkeyed();
                $crate::operation!(
                    @change state, request, ctx, $use_case, [&id, body.gate_required(if_match)],
                    $view => $response
                )
            }
        }
    };
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, tag = $tag:literal,
        id = ($id_type:ty, $path_doc:path), body = $body_type:ty,
        response = ($response:ty, $description:literal),
        |$state:ident, $caller:ident, $id:ident, $if_match:ident, $body:ident| $block:block
    ) => {
        $crate::operation! {
            @changing $(#[doc = $doc])+
            patch $route, $name, $operation, $tag, ($id_type, $path_doc),
            "Obligatoire : l'`ETag` de la dernière lecture (`\"3\"`) ; absent, 428 `precondition_requise` (RFC 6585) ; périmé, 412.",
            [], $body_type, ($response, $description),
            |$state, $caller, $id, $if_match, [], $body| $block
        }
    };
}

/// Declares the lifecycle actions of one resource with a status machine: each is
/// `POST /<resource>/{id}/<action>`, with an optional `If-Match` and an `Idempotency-Key`,
/// answering 200 with the whole resource and its new `ETag`; its work is one call to the use case
/// of `src/app` it names. What the actions of a resource share is given once: the tag, the id
/// and its documented parameter, the answer and its view, and the last paragraph of every
/// action's documentation (`shared_doc`). Then one line per action, after its own summary and
/// description: the handler's name, the route, the operation id, the body and the use case.
///
/// ```text
/// lifecycle_action! {
///     tag = "Conventions", id = (ConventionId, crate::api::ConventionPath),
///     response = (Convention, "La convention après l'action."), view = answered,
///     shared_doc = {
///         ///
///         /// Accepte `If-Match` (412 si l'`ETag` est périmé)…
///     },
///     actions = {
///         /// Signer une convention
///         ///
///         /// `brouillon` → `signee`…
///         sign_convention, "/conventions/{id}/signature", "signConvention", Signature, app::convention::sign;
///     }
/// }
/// ```
#[macro_export]
macro_rules! lifecycle_action {
    (
        tag = $tag:literal, id = ($id_type:ty, $path_doc:path),
        response = ($response:ty, $response_description:literal), view = $view:expr,
        shared_doc = $shared:tt,
        actions = {
            $(
                $(#[doc = $doc:literal])+
                $name:ident, $route:literal, $operation:literal, $body:ty, $use_case:path;
            )+
        } $(,)?
    ) => {
        $(
            $crate::lifecycle_action! {
                @action [$(#[doc = $doc])+] $shared
                $name, $route, $operation, $tag, $id_type, $path_doc, $body,
                $response, $response_description, $use_case, $view
            }
        )+
    };
    (
        @action [$(#[doc = $doc:literal])+] {$(#[doc = $shared:literal])*}
        $name:ident, $route:literal, $operation:literal, $tag:literal, $id_type:ty,
        $path_doc:path, $body_type:ty, $response:ty, $response_description:literal,
        $use_case:path, $view:expr
    ) => {
        $crate::operation! {
            @changing $(#[doc = $doc])+ $(#[doc = $shared])*
            post $route, $name, $operation, $tag, ($id_type, $path_doc),
            "Facultatif : l'`ETag` de la dernière lecture (`\"3\"`).",
            [$crate::openapi::IdempotencyKey,], $body_type, ($response, $response_description),
            |state, caller, id, if_match, [once: $crate::http::idempotency::Idempotency,], body| {
                let request = once.request(&caller, body.raw())?;
                let ctx = $crate::app::Context::new(caller, state.today());
                $crate::operation!(
                    @change state, request, ctx, $use_case, [&id, body.gate(if_match)],
                    $view => $response
                )
            }
        }
    };
}

/// Declares the handler of a paginated list, `GET <route>` with `Paged<filter>` (the filters and
/// `Paging`, one 400 naming every bad parameter): its documentation (the doc comment: summary,
/// then description), its `#[utoipa::path]` (the filters and `Paging` as parameters, a `200`
/// with the page and its `Link` header, the error set) and its body.
///
/// The body is what differs from one list to another:
/// - `scope = Resource::X, read = repo::list`: the caller's scope filter of that resource, and the
///   repo function given the connection, the filters, that scope, the position after which the
///   page starts and its size; `readers_scope` instead of `scope` for a resource that some roles
///   may not read at all ([`readers_scope`]: 403 first); `public, read = repo::list`: no token,
///   the repo function given the connection, the filters, the position and the size;
/// - or the block after `|req, state, caller, filter|` (with `public`, no token, no `caller`):
///   the access check and what the read needs besides the filters (the caller's scope, today),
///   then `read`: the repo read, given the connection, the position after which the page starts
///   and its size (its error is anything `ApiError` comes `From`);
/// - `item`: how an item read becomes an item of the page (`XPage::of`);
/// - `cached = (resource, key)` for a list whose pages are kept (`http::cache::cached_list`).
///
/// A list for callers with a token answers the `ListErrors` (401, 403…), a public one the
/// `ReadErrors`.
///
/// ```text
/// list_operation! {
///     /// Lister les structures
///     ///
///     /// Les structures visibles de l'appelant, … (the spec's text).
///     list_structures, "/structures", "listStructures",
///     tag = "Structures", filter = StructureFilter, page = (StructurePage, "Une page de structures."),
///     scope = Resource::Structure, read = repo::list, item = Structure::from,
/// }
/// ```
#[macro_export]
macro_rules! list_operation {
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal,
        tag = $tag:literal, filter = $filter:path, page = ($page:ty, $description:literal),
        $scope:ident = $resource:expr, read = $read:path, item = $item:expr $(,)?
    ) => {
        $crate::list_operation! {
            $(#[doc = $doc])+
            $name, $route, $operation,
            tag = $tag, filter = $filter, page = ($page, $description),
            |req, state, caller, filter| {
                let scope = $crate::list_operation!(@scope $scope, caller, $resource);
            }
            read = move |conn, after, limit| $read(conn, &filter, &scope, after, limit),
            item = $item,
        }
    };
    (@scope scope, $caller:ident, $resource:expr) => {
        $caller.scope_filter($resource)
    };
    (@scope readers_scope, $caller:ident, $resource:expr) => {
        $crate::auth::policy::readers_scope(&$caller, $resource)?
    };
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal,
        tag = $tag:literal, filter = $filter:path, page = ($page:ty, $description:literal),
        public, read = $read:path, item = $item:expr $(,)?
    ) => {
        $crate::list_operation! {
            $(#[doc = $doc])+
            $name, $route, $operation,
            tag = $tag, filter = $filter, page = ($page, $description),
            public |req, state, filter| {}
            read = move |conn, after, limit| $read(conn, &filter, after, limit),
            item = $item,
        }
    };
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal,
        tag = $tag:literal, filter = $filter:path, page = ($page:ty, $description:literal),
        |$req:ident, $state:ident, $caller:ident, $filters:ident| { $($prepare:tt)* }
        read = $read:expr,
        item = $item:expr
        $(, cached = ($resource:expr, $key:expr))? $(,)?
    ) => {
        $crate::list_operation! {
            @handler $(#[doc = $doc])+
            $name, $route, $operation, $tag, $filter, $page, $description,
            [security(("bearer" = [])),], $crate::openapi::ListErrors,
            [$caller: $crate::auth::Caller,], $req, $state, $filters, { $($prepare)* },
            $read, $item, [$($resource, $key)?]
        }
    };
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal,
        tag = $tag:literal, filter = $filter:path, page = ($page:ty, $description:literal),
        public |$req:ident, $state:ident, $filters:ident| { $($prepare:tt)* }
        read = $read:expr,
        item = $item:expr $(,)?
    ) => {
        $crate::list_operation! {
            @handler $(#[doc = $doc])+
            $name, $route, $operation, $tag, $filter, $page, $description,
            [], $crate::openapi::ReadErrors, [], $req, $state, $filters, { $($prepare)* },
            $read, $item, []
        }
    };
    (
        @handler $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, $tag:literal, $filter:path, $page:ty,
        $description:literal, [$($security:tt)*], $errors:path, [$($caller:tt)*],
        $req:ident, $state:ident, $filters:ident, { $($prepare:tt)* },
        $read:expr, $item:expr, [$($cache:tt)*]
    ) => {
        $crate::operation! {
            $(#[doc = $doc])+
            get $route, $name, $operation, tag = $tag,
            params($filter, $crate::api::paging::Paging),
            $($security)*
            responses(
                (status = 200, description = $description, body = $page,
                    headers(("Link" = String, description = "`<…>; rel=\"next\"` : l'URL de la page suivante, quand il y en a une."))),
                $errors,
            ),
            fn(
                $req: actix_web::HttpRequest,
                $state: actix_web::web::Data<$crate::http::AppState>,
                $($caller)*
                query: $crate::http::extract::Paged<$filter>,
            ) -> Result<actix_web::HttpResponse, $crate::error::ApiError> {
                let $crate::http::extract::Paged { filter: $filters, paging } = query;
                $($prepare)*
                $crate::list_operation!(@answer $req, $state, paging, $read, |items, next_cursor| {
                    <$page>::of(items, next_cursor, $item)
                }, [$($cache)*])
            }
        }
    };
    (@answer $req:ident, $state:ident, $paging:ident, $read:expr, $body:expr, []) => {
        $crate::http::extract::read_page(&$req, &$state, &$paging, $read, $body).await
    };
    (
        @answer $req:ident, $state:ident, $paging:ident, $read:expr, $body:expr,
        [$resource:expr, $key:expr]
    ) => {
        $crate::http::cache::cached_list(&$req, &$state, &$paging, $resource, $key, $read, $body)
            .await
    };
}

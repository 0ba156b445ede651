//! `/api/v1/enveloppes/{id}/engagements`, `/api/v1/engagements`, `/api/v1/versements`:
//! commitments and payments (the envelopes themselves: `http::enveloppe`).
//!
//! Every money movement is one use case of `app::financement`, in one write transaction that
//! takes its locks in the application's order (`app::locks`), re-reads the sums under them,
//! checks the rules of `domain::financement` and applies the movement the domain computes.

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::api::NoQuery;
use crate::api::financement::{
    Annulation, Engagement, EngagementFilter, EngagementPage, FinancementStructure,
    NouveauVersement, NouvelEngagement, SimulationEngagement, SimulationQuery, SimulationVersement,
    SoldesSimules, Versement, VersementPage,
};
use crate::api::paging::Paging;
use crate::app::financement::{
    self as use_case, check_engagement_access, engagement_not_found, structures_of,
    versement_not_found,
};
use crate::app::{Context, financement::EngagementPris};
use crate::auth::Caller;
use crate::auth::policy::{self, Action, Perimeter, Resource};
use crate::db::DbConn;
use crate::db::repo::financement as repo;
use crate::domain::financement as domain;
use crate::domain::ids::{EngagementId, EnveloppeId, StructureId, VersementId};
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::body::Body;
use crate::http::extract::ok_with_etag;
use crate::http::extract::{Paged, PathParam, StrictQuery, page_response};
use crate::http::idempotency::{Idempotency, Reply};
use crate::{get_operation, list_operation, operation};

/// A commitment with the structures of its convention: what places it in a scope.
struct Placed {
    engagement: domain::Engagement,
    structures: Vec<StructureId>,
}

impl Placed {
    /// Whether `caller` sees it (404 otherwise) and may do `action` on `resource` (403).
    fn check(&self, caller: &Caller, resource: Resource, action: Action) -> Result<(), ApiError> {
        check_engagement_access(caller, &self.engagement, &self.structures, resource, action)
    }
}

fn placed(
    conn: &mut DbConn,
    engagement: Option<domain::Engagement>,
) -> Result<Option<Placed>, ApiError> {
    engagement
        .map(|engagement| {
            let structures = structures_of(conn, &engagement.convention_id)?;
            Ok(Placed {
                engagement,
                structures,
            })
        })
        .transpose()
}

/// An annulment, `POST /<resource>/{id}/annulation` with an `Idempotency-Key` and its date:
/// `use_case` annuls under the locks of `app::locks` and the answer is `200` with the annulled
/// object (and its new `ETag` when `etag` describes it).
macro_rules! annulation {
    (
        $(#[doc = $doc:literal])+
        $name:ident, $route:literal, $operation:literal, id = ($id_type:ty, $path_doc:path),
        response = ($response:ident, $description:literal $(, etag = $etag:literal)?),
        use_case = $use_case:path $(,)?
    ) => {
        operation! {
            $(#[doc = $doc])+
            post $route, $name, $operation, tag = "Financement",
            params(
                $path_doc,
                crate::openapi::IdempotencyKey,
                NoQuery
            ),
            request_body = Annulation,
            security(("bearer" = [])),
            responses(
                (status = 200, description = $description, body = $response
                    $(, headers(("ETag" = String, description = $etag)))?),
                crate::openapi::ActErrors,
            ),
            fn(
                state: web::Data<AppState>,
                caller: Caller,
                PathParam(id): PathParam<$id_type>,
                once: Idempotency,
                _query: StrictQuery<NoQuery>,
                body: Body<Annulation>,
            ) -> Result<HttpResponse, ApiError> {
                let request = once.request(&caller, body.raw())?;
                let ctx = Context::new(caller, state.today());
                state
                    .write_once(request, move |tx| {
                        let annulled = $use_case(tx, &ctx, &id, body.gate_unversioned())?;
                        Ok(annulation!(@reply $response, annulled, [$($etag)?]))
                    })
                    .await
            }
        }
    };
    (@reply $response:ident, $annulled:ident, []) => {
        Reply::ok(&$response::from($annulled))?
    };
    (@reply $response:ident, $annulled:ident, [$etag:literal]) => {{
        let version = $annulled.version;
        Reply::ok(&$response::from($annulled))?.with_version(version)
    }};
}

operation! {
    /// Engager des crédits
    ///
    /// Engage des crédits de l'enveloppe pour une convention signée et non terminée (409
    /// `convention_non_engageable` sinon ; d'un autre département qu'une enveloppe départementale :
    /// 422 `hors_perimetre`), au profit d'un de ses employeurs, son bénéficiaire
    /// (`beneficiaire_id` : un hôte de sa répartition ou, avant elle, un signataire ; facultatif
    /// quand elle n'a qu'un employeur, 422 sinon). Sans montant : ce que les barèmes de
    /// l'enveloppe accordent au bénéficiaire (ses postes × le barème de son couple ; 422 sans
    /// barème qui s'applique). La date (aujourd'hui par défaut) n'est ni dans le futur, ni avant
    /// la signature, et tombe dans la période de l'enveloppe (422 `hors_periode`).
    ///
    /// Jamais au-delà : de ce que les barèmes accordent au bénéficiaire pour cette convention (409
    /// `beneficiaire_entierement_finance`), à ses employeurs ensemble (409
    /// `convention_entierement_financee`), du plafond du département (409 `plafond_depasse`), du
    /// montant de l'enveloppe (409 `enveloppe_insuffisante`) ; chaque refus donne le disponible
    /// (`disponible_centimes`). Tenu même sous requêtes concurrentes sur plusieurs instances : la
    /// ligne de l'enveloppe est verrouillée pendant la transaction.
    ///
    /// `Idempotency-Key` obligatoire (400 sans) : la même clé et le même corps rejouent la réponse ;
    /// une requête identique encore en cours répond 409 `requete_en_cours`. Une convention inconnue
    /// ou hors de la portée de l'appelant : 404, comme une enveloppe inconnue.
    ///
    /// `?simulation=true` : les mêmes règles sous les mêmes verrous, puis rien n'est écrit (ni
    /// engagement, ni journal, ni réponse enregistrée sous la clé, qui reste libre pour
    /// l'engagement réel) ; 200 avec l'engagement tel qu'il serait pris et les soldes qu'il
    /// laisserait (enveloppe, département, convention, bénéficiaire), ou le même refus.
    /// Accès : `admin` ; `prefecture` pour une convention de ses départements.
    post "/enveloppes/{id}/engagements", create_engagement, "createEngagement", tag = "Financement",
    params(
        crate::api::EnveloppePath,
        crate::openapi::IdempotencyKeyRequired,
        SimulationQuery
    ),
    request_body = NouvelEngagement,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "L'engagement pris.", body = Engagement,
            headers(("Location" = String, description = "L'URL de l'engagement."),
                ("ETag" = String, description = "La version de l'engagement."))),
        (status = 200, description = "Simulation (`simulation=true`) : rien n'est écrit.",
            body = SimulationEngagement),
        crate::openapi::ActErrors,
    ),
    fn(
        state: web::Data<AppState>,
        caller: Caller,
        PathParam(id): PathParam<EnveloppeId>,
        once: Idempotency,
        query: StrictQuery<SimulationQuery>,
        body: Body<NouvelEngagement>,
    ) -> Result<HttpResponse, ApiError> {
        policy::check_create(&caller, Resource::Engagement, &Perimeter::NATIONAL)?;
        let request = once.required(&caller, body.raw())?;
        let ctx = Context::new(caller, state.today());
        if query.0.active() {
            let (engagement, soldes) = state
                .simulate(move |tx| use_case::simulate_engage(tx, &ctx, &id, body.gate_unversioned()))
                .await?;
            return Ok(HttpResponse::Ok().json(SimulationEngagement {
                simulation: true,
                engagement: Engagement::from(engagement),
                soldes: SoldesSimules::from(soldes),
            }));
        }
        state
            .write_once_then(request, move |tx| {
                let EngagementPris { engagement, money } =
                    use_case::engage(tx, &ctx, &id, body.gate_unversioned())?;
                let location = format!("/api/v1/engagements/{}", engagement.id);
                let view = Engagement::from(engagement.clone());
                let reply = Reply::created_with_version(location, &view, engagement.version)?;
                Ok((reply, move |tx: &mut crate::db::WriteTx<'_>| {
                    money.move_now(tx)
                }))
            })
            .await
    }
}

list_operation! {
    /// Lister les engagements
    ///
    /// Les engagements visibles de l'appelant, les plus récents d'abord, filtrés par enveloppe,
    /// convention, département ou statut. Accès : `admin` et `lecteur` national : tous ;
    /// `prefecture` et `lecteur` territorial : ceux de leurs départements ; `structure` : ceux des
    /// conventions qu'elle signe ou où elle accueille des postes.
    list_engagements, "/engagements", "listEngagements",
    tag = "Financement", filter = EngagementFilter, page = (EngagementPage, "Une page d'engagements."),
    scope = Resource::Engagement, read = repo::list_engagements, item = Engagement::from,
}

get_operation! {
    /// Lire un engagement
    ///
    /// Un engagement, avec ce qu'il compte dans l'engagé et ce qui reste à verser. Accès : comme la
    /// liste ; hors de la portée de l'appelant : 404.
    get_engagement, "/engagements/{id}", "getEngagement", tag = "Financement",
    id = (EngagementId, crate::api::EngagementPath), response = (Engagement, "L'engagement."),
    etag = "La version de l'engagement.",
    |state, caller, id| {
        let found = state
            .read_short(move |conn| {
                let engagement = repo::find_engagement(conn, &id)?;
                placed(conn, engagement)
            })
            .await?
            .ok_or_else(engagement_not_found)?;
        found.check(&caller, Resource::Engagement, Action::Read)?;
        let version = found.engagement.version;
        Ok(ok_with_etag(version, &Engagement::from(found.engagement)))
    }
}

annulation! {
    /// Annuler un engagement
    ///
    /// `actif` → `annule` : ce qui n'était pas versé retourne au disponible de l'enveloppe et du
    /// département ; la part versée reste engagée. La date (aujourd'hui par défaut) n'est ni dans le
    /// futur ni avant l'engagement. 409 `transition_invalide` sur un engagement déjà annulé. Accepte
    /// `Idempotency-Key`. Accès : `admin` ; `prefecture` dans ses départements.
    annul_engagement, "/engagements/{id}/annulation", "annulEngagement",
    id = (EngagementId, crate::api::EngagementPath),
    response = (Engagement, "L'engagement annulé.", etag = "La nouvelle version."),
    use_case = use_case::annul_engagement,
}

operation! {
    /// Enregistrer un versement
    ///
    /// Enregistre un versement au bénéficiaire d'un engagement actif (409 `transition_invalide` sur
    /// un engagement annulé). Les versements ne dépassent jamais l'engagement (409
    /// `versement_excessif`, avec le reste à verser en `disponible_centimes`). `tranche` nomme la
    /// tranche du barème du bénéficiaire qu'il paie : le montant vaut alors par défaut cette tranche
    /// × ses postes (422 sur `/tranche` quand son barème n'a pas ce rang ou que l'enveloppe n'en a
    /// pas pour lui) ; une tranche n'est versée qu'une fois par engagement (409
    /// `tranche_deja_versee` ; annuler le versement la libère). Sans `tranche`, `montant_centimes`
    /// est obligatoire. La date n'est ni dans le futur, ni avant l'engagement. Accepte
    /// `Idempotency-Key`.
    ///
    /// `?simulation=true` : les mêmes règles sous les mêmes verrous, puis rien n'est écrit ; 200
    /// avec le versement tel qu'il serait enregistré, l'engagement après lui et les soldes qu'il
    /// laisserait, ou le même refus. Accès : `admin`.
    post "/engagements/{id}/versements", create_versement, "createVersement", tag = "Financement",
    params(
        crate::api::EngagementPath,
        crate::openapi::IdempotencyKey,
        SimulationQuery
    ),
    request_body = NouveauVersement,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Le versement enregistré.", body = Versement,
            headers(("Location" = String, description = "L'URL du versement."))),
        (status = 200, description = "Simulation (`simulation=true`) : rien n'est écrit.",
            body = SimulationVersement),
        crate::openapi::ActErrors,
    ),
    fn(
        state: web::Data<AppState>,
        caller: Caller,
        PathParam(id): PathParam<EngagementId>,
        once: Idempotency,
        query: StrictQuery<SimulationQuery>,
        body: Body<NouveauVersement>,
    ) -> Result<HttpResponse, ApiError> {
        let request = once.request(&caller, body.raw())?;
        let ctx = Context::new(caller, state.today());
        if query.0.active() {
            let (versement, engagement, soldes) = state
                .simulate(move |tx| use_case::simulate_pay(tx, &ctx, &id, body.gate_unversioned()))
                .await?;
            return Ok(HttpResponse::Ok().json(SimulationVersement {
                simulation: true,
                versement: Versement::from(versement),
                engagement: Engagement::from(engagement),
                soldes: SoldesSimules::from(soldes),
            }));
        }
        state
            .write_once(request, move |tx| {
                let versement = use_case::pay(tx, &ctx, &id, body.gate_unversioned())?;
                Reply::created(
                    format!("/api/v1/versements/{}", versement.id),
                    &Versement::from(versement),
                )
            })
            .await
    }
}

operation! {
    /// Lister les versements d'un engagement
    ///
    /// Les versements d'un engagement, dans l'ordre où ils ont été enregistrés, annulés compris.
    /// Accès : comme la lecture de l'engagement.
    get "/engagements/{id}/versements", list_versements, "listVersements", tag = "Financement",
    params(
        crate::api::EngagementPath,
        Paging
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Une page de versements.", body = VersementPage,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` : l'URL de la page suivante, quand il y en a une."))),
        crate::openapi::ItemErrors,
    ),
    fn(
        req: HttpRequest,
        state: web::Data<AppState>,
        caller: Caller,
        PathParam(id): PathParam<EngagementId>,
        query: Paged<NoQuery>,
    ) -> Result<HttpResponse, ApiError> {
        let (after, limit) = (query.paging.after(), query.paging.limit());
        let (found, page) = state
            .read(move |conn| {
                let engagement = repo::find_engagement(conn, &id)?;
                let found = placed(conn, engagement)?.ok_or_else(engagement_not_found)?;
                let page = repo::list_versements(conn, &id, after.as_ref(), limit)?;
                Ok((found, page))
            })
            .await?;
        found.check(&caller, Resource::Versement, Action::Read)?;
        Ok(page_response(&req, page, |items, next_cursor| {
            VersementPage {
                items: items.into_iter().map(Versement::from).collect(),
                next_cursor,
            }
        }))
    }
}

get_operation! {
    /// Lire un versement
    ///
    /// Un versement. Accès : comme la lecture de son engagement ; hors de la portée de l'appelant :
    /// 404.
    get_versement, "/versements/{id}", "getVersement", tag = "Financement",
    id = (VersementId, crate::api::VersementPath), response = (Versement, "Le versement."),
    |state, caller, id| {
        let (versement, found) = state
            .read_short(move |conn| {
                let versement = repo::find_versement(conn, &id)?.ok_or_else(versement_not_found)?;
                let engagement = repo::find_engagement(conn, &versement.engagement_id)?;
                let found = placed(conn, engagement)?.ok_or_else(versement_not_found)?;
                Ok((versement, found))
            })
            .await?;
        found
            .check(&caller, Resource::Versement, Action::Read)
            .map_err(|error| match error {
                ApiError::NotFound(_) => versement_not_found(),
                other => other,
            })?;
        Ok(HttpResponse::Ok().json(Versement::from(versement)))
    }
}

annulation! {
    /// Annuler un versement
    ///
    /// `effectue` → `annule` : le versé de l'engagement, du département et de l'enveloppe diminue
    /// (et l'engagé aussi quand l'engagement est annulé, dont seule la part versée comptait). La
    /// date (aujourd'hui par défaut) n'est ni dans le futur ni avant le versement. 409
    /// `transition_invalide` sur un versement déjà annulé. Accepte `Idempotency-Key`.
    /// Accès : `admin`.
    annul_versement, "/versements/{id}/annulation", "annulVersement",
    id = (VersementId, crate::api::VersementPath), response = (Versement, "Le versement annulé."),
    use_case = use_case::annul_versement,
}

get_operation! {
    /// Lire le financement d'une structure
    ///
    /// Ce qu'une structure reçoit comme employeur, par enveloppe et convention : ses postes, ce que
    /// son barème lui accorde (postes × barème ; null sans barème), l'engagé, le versé et le reste
    /// à verser de ses engagements, et l'échéancier de son barème (chaque tranche pour ses postes,
    /// due à la date de son premier engagement plus les mois de la tranche : `versee` quand un
    /// versement non annulé la nomme, `echue` quand son échéance est passée, `a_venir` sinon), avec
    /// les totaux. Toutes les lignes viennent ensemble (une par enveloppe et convention). Accès :
    /// `admin` et `lecteur` national ; `prefecture` et `lecteur` territorial dans leurs
    /// départements ; `structure` : la sienne. Hors de la portée de l'appelant : 404.
    get_financement_structure, "/structures/{id}/financement", "getFinancementStructure",
    tag = "Financement",
    id = (StructureId, crate::api::StructurePath),
    response = (FinancementStructure, "Le financement de la structure."),
    |state, caller, id| {
        let today = state.today();
        let lignes = state
            .read(move |conn| use_case::financement_structure(conn, &caller, &id, today).map(|l| (id, l)))
            .await?;
        Ok(HttpResponse::Ok().json(FinancementStructure::of(lignes.0, lignes.1)))
    }
}

/// Registers this module's handlers (documented: through `utoipa-actix-web`).
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_engagement)
        .service(get_financement_structure)
        .service(list_engagements)
        .service(get_engagement)
        .service(annul_engagement)
        .service(create_versement)
        .service(list_versements)
        .service(get_versement)
        .service(annul_versement);
}

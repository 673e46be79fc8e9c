//! The HTTP conventions every endpoint shares, in one place: the optional
//! `/appid-<app>/<tenant>` path prefix, the `api-key` check, the `cdi-version` check, the
//! 404 and 405 answers and the one log line per request.
//!
//! Routing is done here rather than by actix patterns because upstream's prefix rules are not
//! expressible as patterns: a first path segment is a tenant id only when the rest of the
//! path is a known API and the segment is not one of a few reserved words.

mod cdi;
mod domains;
mod head_limits;
mod in_flight;
mod input;
mod tenant;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::{ConnectionType, Method, StatusCode};
use actix_web::web::{Bytes, Data, Payload};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use subtle::ConstantTimeEq;

pub use cdi::{AccessTokenVersion, CdiVersion, SUPPORTED_CDI_VERSIONS};
pub use domains::Domains;
pub use head_limits::LimitedStream;
pub use in_flight::{CutOff, InFlight};
pub use input::{JsonInput, Update};
pub use tenant::{
    ensure_exists as ensure_tenant_exists, exists as tenant_exists, parse_app_id, parse_domain,
    parse_tenant_id, TenantId, PUBLIC as PUBLIC_TENANT,
};

use self::tenant::Found;
use crate::config::TenantSettings;
use crate::error::ApiError;
use crate::metrics::UNMATCHED_ROUTE;
use crate::state::AppState;

/// Who may call an endpoint and for which tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// No API key, no `cdi-version`, any tenant (`/hello`).
    Open,
    /// No API key, no `cdi-version`, for one tenant that must exist (the public JWKS).
    OpenTenant,
    /// Works on one tenant, which must exist.
    Tenant,
    /// Works on one tenant that may not exist: the handler answers for a missing one
    /// (multitenancy's `TENANT_NOT_FOUND_ERROR`).
    AnyTenant,
    /// Works on a whole app: only the public tenant may call it, and the app must exist.
    App,
    /// As `App`, but answers whatever `cdi-version` is sent (`/apiversion`).
    AppAnyVersion,
}

impl Scope {
    fn is_open(self) -> bool {
        matches!(self, Self::Open | Self::OpenTenant)
    }
}

pub type HandlerResult = Result<HttpResponse, ApiError>;
type BoxedHandler =
    Box<dyn Fn(Request) -> Pin<Box<dyn Future<Output = HandlerResult>>> + Send + Sync>;

/// The methods of one API path; each method has its own scope (upstream's GET
/// /recipe/user by email is per tenant while PUT /recipe/user is app-wide). A method that
/// several recipes serve on one path has one handler per recipe, chosen by the request's
/// `rid` header; the one registered without a recipe answers any other `rid`, as upstream's
/// first recipe does.
#[derive(Default)]
struct Resource {
    methods: Vec<Endpoint>,
}

struct Endpoint {
    method: Method,
    rid: Option<&'static str>,
    scope: Scope,
    handler: BoxedHandler,
}

impl Resource {
    fn find(&self, method: &Method, rid: Option<&str>) -> Option<&Endpoint> {
        let mut of_method = self.methods.iter().filter(|e| e.method == *method);
        let for_recipe = of_method
            .clone()
            .find(|endpoint| endpoint.rid.is_some() && endpoint.rid == rid);
        for_recipe.or_else(|| of_method.find(|endpoint| endpoint.rid.is_none()))
    }
}

/// The table of every endpoint, and of what each recipe deletes when a user is deleted.
/// Recipes add theirs in their `register` function.
#[derive(Default)]
pub struct Routes {
    resources: HashMap<&'static str, Resource>,
    user_removal: Vec<&'static str>,
    login_method_removal: Vec<&'static str>,
    cleanup: Vec<&'static str>,
}

impl Routes {
    /// A statement that deletes a recipe's data of one user; it is bound to the app id ($1)
    /// and the user id ($2) and runs in the transaction that deletes the user.
    pub fn on_user_removed(&mut self, statement: &'static str) {
        self.user_removal.push(statement);
    }

    pub fn user_removal_statements(&self) -> Vec<&'static str> {
        self.user_removal.clone()
    }

    /// A statement that deletes a recipe's sign-in data of one login method (a password), for
    /// a login method that goes while its row stays (a primary user's own, deleted while
    /// others are linked to it); bound like [`Routes::on_user_removed`]'s.
    pub fn on_login_method_removed(&mut self, statement: &'static str) {
        self.login_method_removal.push(statement);
    }

    pub fn login_method_removal_statements(&self) -> Vec<&'static str> {
        self.login_method_removal.clone()
    }

    /// A statement that deletes a recipe's expired data, bound to the current time in
    /// milliseconds ($1); the periodic clean-up runs it.
    pub fn on_cleanup(&mut self, statement: &'static str) {
        self.cleanup.push(statement);
    }

    pub fn cleanup_statements(&self) -> Vec<&'static str> {
        self.cleanup.clone()
    }

    pub fn get<F, Fut>(&mut self, path: &'static str, scope: Scope, handler: F)
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + 'static,
    {
        self.add(Method::GET, path, scope, handler)
    }

    pub fn post<F, Fut>(&mut self, path: &'static str, scope: Scope, handler: F)
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + 'static,
    {
        self.add(Method::POST, path, scope, handler)
    }

    pub fn put<F, Fut>(&mut self, path: &'static str, scope: Scope, handler: F)
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + 'static,
    {
        self.add(Method::PUT, path, scope, handler)
    }

    pub fn delete<F, Fut>(&mut self, path: &'static str, scope: Scope, handler: F)
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + 'static,
    {
        self.add(Method::DELETE, path, scope, handler)
    }

    /// A method that recipe `rid` serves on a path another recipe serves too.
    pub fn for_recipe<F, Fut>(
        &mut self,
        method: Method,
        rid: &'static str,
        path: &'static str,
        scope: Scope,
        handler: F,
    ) where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + 'static,
    {
        self.add_endpoint(method, Some(rid), path, scope, handler)
    }

    fn add<F, Fut>(&mut self, method: Method, path: &'static str, scope: Scope, handler: F)
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + 'static,
    {
        self.add_endpoint(method, None, path, scope, handler)
    }

    fn add_endpoint<F, Fut>(
        &mut self,
        method: Method,
        rid: Option<&'static str>,
        path: &'static str,
        scope: Scope,
        handler: F,
    ) where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + 'static,
    {
        assert_eq!(path, path.to_lowercase(), "API paths are lower case");
        let resource = self.resources.entry(path).or_default();
        assert!(
            resource
                .methods
                .iter()
                .all(|known| known.method != method || known.rid != rid),
            "{method} {path} registered twice"
        );
        resource.methods.push(Endpoint {
            method,
            rid,
            scope,
            handler: Box::new(move |request| Box::pin(handler(request))),
        });
    }

    fn contains(&self, path: &str) -> bool {
        self.resources.contains_key(path)
    }
}

/// What a handler gets: the parsed request plus the shared state.
pub struct Request {
    pub state: Data<AppState>,
    pub tenant: TenantId,
    pub cdi: CdiVersion,
    /// The settings of the request's app and tenant (see `TenantSettings`).
    pub settings: Arc<TenantSettings>,
    pub http: HttpRequest,
    body: Bytes,
}

impl Request {
    /// The body as a JSON object, or 400 `Invalid Json Input`.
    pub fn json(&self) -> Result<JsonInput, ApiError> {
        JsonInput::parse(&self.body)
    }

    /// For the app-wide forms of tenant APIs (all tenants, or by user id): refused under a
    /// tenant other than `public` from CDI 5.0, as app-wide APIs are.
    pub fn ensure_app_wide(&self) -> Result<(), ApiError> {
        ensure_app_wide_allowed(&self.tenant, self.cdi)
    }

    /// A query parameter that must be present.
    pub fn query(&self, name: &str) -> Result<String, ApiError> {
        self.query_opt(name)?
            .ok_or_else(|| input::missing_query_param(name))
    }

    /// A query parameter that may be absent.
    pub fn query_opt(&self, name: &str) -> Result<Option<String>, ApiError> {
        input::query_param(self.http.query_string(), name)
    }

    /// An optional 32-bit number in the query.
    pub fn query_int_opt(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.query_opt(name)?
            .map(|value| input::parse_int(name, &value))
            .transpose()
    }

    /// A required 64-bit number in the query.
    pub fn query_long(&self, name: &str) -> Result<i64, ApiError> {
        input::parse_long(name, &self.query(name)?)
    }

    /// A comma-separated list in the query: items trimmed, empty ones dropped.
    pub fn query_list(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        Ok(self.query_opt(name)?.map(|value| {
            value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(String::from)
                .collect()
        }))
    }
}

/// A 200 JSON answer.
pub fn json<T: Serialize>(body: &T) -> HandlerResult {
    Ok(HttpResponse::Ok().json(body))
}

/// A 200 `{"status": "OK"}` answer.
pub fn ok() -> HandlerResult {
    json(&serde_json::json!({ "status": "OK" }))
}

/// The largest request body accepted; user metadata is the biggest thing clients send.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long a client has to send its whole body once its head has arrived (actix limits the
/// head to 5 s). The SDKs' bodies are small and sent at once; a client slower than this only
/// holds a connection and a file descriptor.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A plain-text answer that also closes the connection, for requests refused before routing.
fn refuse(status: StatusCode, text: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(format!("{text}\n"));
    response
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    response
}

/// Reads the whole body within the size and time limits.
async fn read_body(payload: Payload) -> Result<Bytes, HttpResponse> {
    match tokio::time::timeout(BODY_READ_TIMEOUT, payload.to_bytes_limited(MAX_BODY_BYTES)).await {
        Ok(Ok(Ok(body))) => Ok(body),
        Ok(Ok(Err(_))) => Err(refuse(StatusCode::BAD_REQUEST, "Invalid request body")),
        Ok(Err(_)) => Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request body too large",
        )),
        Err(_) => Err(refuse(
            StatusCode::REQUEST_TIMEOUT,
            "Request body not received in time",
        )),
    }
}

/// The single actix service behind every path.
pub async fn dispatch(
    http: HttpRequest,
    payload: Payload,
    state: Data<AppState>,
    routes: Data<Arc<Routes>>,
) -> HttpResponse {
    let started = Instant::now();
    let method = http.method().clone();
    let mut route = UNMATCHED_ROUTE;
    let mut response = match read_body(payload).await {
        Err(refused) => refused,
        Ok(body) => match state.in_flight.enter(&method, http.path()) {
            None => refuse(StatusCode::SERVICE_UNAVAILABLE, "Service is stopping"),
            Some(_entered) => {
                match serve(http.clone(), body, state.clone(), &routes, &mut route).await {
                    Ok(response) => response,
                    Err(error) => error.error_response(),
                }
            }
        },
    };
    if state.in_flight.is_stopping() {
        // Sends the client to reconnect, to another instance, rather than reuse this one.
        response
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    let took = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.observe_request(&method, route, status, took);
    // The query string is left out: it can carry emails and session handles.
    tracing::info!(
        method = %method,
        path = http.path(),
        status,
        elapsed_ms = format_args!("{:.3}", took.as_secs_f64() * 1000.0),
        "request"
    );
    response
}

/// Serves one request; `route` is set to the API it matched (for metrics).
async fn serve(
    http: HttpRequest,
    body: Bytes,
    state: Data<AppState>,
    routes: &Routes,
    route: &mut &'static str,
) -> HandlerResult {
    let path = http.path().to_lowercase();
    let path = match state.settings.base_path.as_str() {
        "" => path.as_str(),
        base => match path.strip_prefix(base) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
            _ => return Err(ApiError::NotFound),
        },
    };
    let Some((api_path, mut tenant)) =
        tenant::split_path(path, |candidate| routes.contains(candidate))
    else {
        return Err(ApiError::NotFound);
    };
    let (&registered, resource) = routes
        .resources
        .get_key_value(api_path)
        .expect("split_path found this API");
    *route = registered;
    let rid = http
        .headers()
        .get("rid")
        .and_then(|value| value.to_str().ok());
    let matched = resource.find(http.method(), rid);
    // `/hello` answers without the database, whatever the host and path.
    let needs_database = !matched.is_some_and(|endpoint| endpoint.scope == Scope::Open);
    if needs_database {
        let host = http
            .headers()
            .get("host")
            .and_then(|value| value.to_str().ok())
            .or_else(|| http.uri().host())
            .map(tenant::request_host)
            .unwrap_or_default();
        let domain = state.domains.of_host(&state.db, &host).await?;
        if !domain.is_empty() {
            tenant.app_id = TenantId::app_key(&domain, &tenant.app_id);
        }
    }
    // Upstream's order: the key, then the version, then the method.
    let open = match matched {
        Some(endpoint) => endpoint.scope.is_open(),
        None => resource
            .methods
            .iter()
            .all(|endpoint| endpoint.scope.is_open()),
    };
    let found = match needs_database {
        true => tenant::find(&state.db, &tenant, &state.tenant_defaults).await?,
        false => Found::Tenant(state.tenant_defaults.clone()),
    };
    if !open {
        let keys = match &found {
            Found::UnknownApp => &state.tenant_defaults.api_keys,
            Found::UnknownTenant(app) => &app.api_keys,
            Found::Tenant(settings) => &settings.api_keys,
        };
        check_api_key(&http, keys)?;
    }
    let exact_version = matched.is_some_and(|endpoint| {
        matches!(
            endpoint.scope,
            Scope::Tenant | Scope::AnyTenant | Scope::App
        )
    });
    let cdi = CdiVersion::from_request(&http, exact_version)?;
    let Some(Endpoint { scope, handler, .. }) = matched else {
        return Err(ApiError::MethodNotAllowed);
    };
    let settings = match scope {
        Scope::Open | Scope::AnyTenant => match found {
            Found::UnknownApp => state.tenant_defaults.clone(),
            Found::UnknownTenant(settings) | Found::Tenant(settings) => settings,
        },
        Scope::Tenant | Scope::OpenTenant => found.settings(&tenant)?,
        Scope::App | Scope::AppAnyVersion => {
            ensure_app_wide_allowed(&tenant, cdi)?;
            found.settings(&tenant)?
        }
    };

    handler(Request {
        state,
        tenant,
        cdi,
        settings,
        http,
        body,
    })
    .await
}

/// Whether an app-wide API (or an app-wide form of one) may be called under `tenant`.
fn ensure_app_wide_allowed(tenant: &TenantId, cdi: CdiVersion) -> Result<(), ApiError> {
    if cdi.app_apis_only_from_public_tenant() && !tenant.is_public_tenant() {
        return Err(ApiError::Forbidden(
            "Only public tenantId can call this app specific API".into(),
        ));
    }
    Ok(())
}

/// Passes when no keys are configured or the request carries one of them, in the `api-key`
/// header or as `Authorization: Bearer <key>`. Every configured key is compared, in constant
/// time, so the answer's timing reveals nothing about the keys.
fn check_api_key(http: &HttpRequest, keys: &[String]) -> Result<(), ApiError> {
    if keys.is_empty() {
        return Ok(());
    }
    let header = |name| {
        http.headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let given = match (header("api-key"), header("authorization")) {
        (Some(key), _) => key.trim(),
        (None, Some(authorization)) => {
            let authorization = authorization.trim();
            match authorization.get(..7) {
                Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => authorization[7..].trim(),
                _ => authorization,
            }
        }
        (None, None) => return Err(ApiError::Unauthorised),
    };
    let matched = keys.iter().fold(0u8, |found, key| {
        found | key.as_bytes().ct_eq(given.as_bytes()).unwrap_u8()
    });
    if matched == 1 {
        Ok(())
    } else {
        Err(ApiError::Unauthorised)
    }
}

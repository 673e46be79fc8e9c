//! The `/appid-<appId>/<tenantId>` path prefix, and connection-URI domains.
//!
//! A connection-URI domain is a namespace of apps chosen by the request's `Host`. An app of a
//! domain other than the default one is stored under the key `<domain>#<app>`: `#` appears
//! in no app id, tenant id or domain, and every table keyed by app keeps apart what belongs
//! to different domains without knowing about them.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::config::TenantSettings;
use crate::db::Db;
use crate::error::ApiError;
use crate::with_pool;

pub const PUBLIC: &str = "public";

/// Segments that are never taken for a tenant id, because API paths start with them.
const RESERVED_SEGMENTS: [&str; 4] = ["recipe", "config", "users", "hello"];

/// Separates a connection-URI domain from the app id in an app's key.
const DOMAIN_SEPARATOR: char = '#';

/// The app and tenant a request is for; both `public` when the path has no prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantId {
    /// The app's key: its id, after `<domain>#` outside the default domain (see
    /// [`TenantId::app_key`]).
    pub app_id: String,
    pub tenant_id: String,
}

impl Default for TenantId {
    fn default() -> Self {
        Self {
            app_id: PUBLIC.into(),
            tenant_id: PUBLIC.into(),
        }
    }
}

impl TenantId {
    pub fn is_public_tenant(&self) -> bool {
        self.tenant_id == PUBLIC
    }

    /// The public tenant of the public app of the default domain: the base every other app
    /// and tenant starts from.
    pub fn is_default(&self) -> bool {
        self.app_id == PUBLIC && self.tenant_id == PUBLIC
    }

    /// The key an app of a connection-URI domain is stored under (`""`: the default domain).
    pub fn app_key(domain: &str, app_id: &str) -> String {
        match domain {
            "" => app_id.to_string(),
            domain => format!("{domain}{DOMAIN_SEPARATOR}{app_id}"),
        }
    }

    /// The connection-URI domain of the app; empty for the default one.
    pub fn domain(&self) -> &str {
        self.app_id
            .split_once(DOMAIN_SEPARATOR)
            .map_or("", |(domain, _)| domain)
    }

    /// The app's id as clients name it.
    pub fn app_name(&self) -> &str {
        self.app_id
            .split_once(DOMAIN_SEPARATOR)
            .map_or(self.app_id.as_str(), |(_, app)| app)
    }

    /// Whether this is the public tenant of its domain's public app.
    pub fn is_domain_base(&self) -> bool {
        self.app_name() == PUBLIC && self.is_public_tenant()
    }

    /// The public tenant of another app of the same domain.
    pub fn sibling_app(&self, app_id: &str) -> TenantId {
        TenantId {
            app_id: Self::app_key(self.domain(), app_id),
            tenant_id: PUBLIC.into(),
        }
    }
}

/// A connection-URI domain of a request body, normalised and checked as upstream does: a
/// host name or IPv4 address, any port dropped.
pub fn parse_domain(text: &str) -> Result<String, ApiError> {
    let domain = text.trim().to_lowercase();
    if domain.is_empty() {
        return Err(ApiError::bad_request(
            "connectionUriDomain should not be an empty String",
        ));
    }
    let (host, port) = match domain.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain.as_str(), None),
    };
    let label_ok = |label: &str| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let port_ok =
        port.is_none_or(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
    if !port_ok || !host.split('.').all(label_ok) {
        return Err(ApiError::bad_request("connectionUriDomain is invalid"));
    }
    Ok(host.to_string())
}

/// The host a request was sent to, as a domain may name it: lower case, without the port.
pub fn request_host(host_header: &str) -> String {
    let host = host_header.trim().to_lowercase();
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name.to_string(),
        _ => host,
    }
}

/// Splits a lower-cased request path into the API path and the tenant it names, given a test
/// for known API paths. `None` when no API matches.
///
/// Accepted forms: `<api>`, `/<tenant><api>`, `/appid-<app><api>` and
/// `/appid-<app>/<tenant><api>`, each with an optional trailing slash. The root API `/`
/// also answers `/<tenant>` and `/appid-<app>/<tenant>`.
pub fn split_path<'p>(path: &'p str, is_api: impl Fn(&str) -> bool) -> Option<(&'p str, TenantId)> {
    let path = match path.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed,
        _ => path,
    };
    let root = |rest: &str| rest.is_empty() || rest == "/";
    let api = |rest: &'p str| {
        if root(rest) {
            is_api("/").then_some("/")
        } else {
            is_api(rest).then_some(rest)
        }
    };
    if let Some(found) = api(path) {
        return Some((found, TenantId::default()));
    }

    let mut tenant = TenantId::default();
    let mut rest = path;
    if let Some((segment, after)) = first_segment(rest) {
        if let Some(app) = segment.strip_prefix("appid-") {
            if !is_id(app) && !app.is_empty() {
                return None;
            }
            tenant.app_id = if app.is_empty() {
                PUBLIC.into()
            } else {
                app.into()
            };
            rest = after;
            if let Some(found) = api(rest) {
                return Some((found, tenant));
            }
        }
    }
    let (segment, after) = first_segment(rest)?;
    if !is_id(segment) || RESERVED_SEGMENTS.contains(&segment) {
        return None;
    }
    tenant.tenant_id = segment.into();
    api(after).map(|found| (found, tenant))
}

/// The first `/segment` of `path` and what follows it.
fn first_segment(path: &str) -> Option<(&str, &str)> {
    let body = path.strip_prefix('/')?;
    let end = body.find('/').unwrap_or(body.len());
    Some((&body[..end], &body[end..]))
}

fn is_id(segment: &str) -> bool {
    !segment.is_empty()
        && segment
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A tenant id of a request body, normalised (trimmed, lower case) and checked as upstream
/// checks it, in its order.
pub fn parse_tenant_id(text: &str) -> Result<String, ApiError> {
    let id = text.trim().to_lowercase();
    if id.is_empty() {
        return Err(ApiError::bad_request(
            "tenantId should not be an empty String",
        ));
    }
    if RESERVED_SEGMENTS.contains(&id.as_str()) {
        return Err(ApiError::bad_request(format!(
            "Cannot use '{id}' as a tenantId"
        )));
    }
    if id.starts_with("appid-") {
        return Err(ApiError::bad_request(
            "tenantId must not start with 'appid-'",
        ));
    }
    if !is_id(&id) {
        return Err(ApiError::bad_request(
            "tenantId can only contain letters, numbers and hyphens",
        ));
    }
    Ok(id)
}

/// An app id of a request body, normalised and checked as upstream does (no reserved words).
pub fn parse_app_id(text: &str) -> Result<String, ApiError> {
    let id = text.trim().to_lowercase();
    if id.is_empty() {
        return Err(ApiError::bad_request("appId should not be an empty String"));
    }
    if id.starts_with("appid-") {
        return Err(ApiError::bad_request("appId must not start with 'appid-'"));
    }
    if !is_id(&id) {
        return Err(ApiError::bad_request(
            "appId can only contain letters, numbers and hyphens",
        ));
    }
    Ok(id)
}

/// Whether the app and tenant exist (the default ones always do).
pub async fn exists(db: &Db, tenant: &TenantId) -> Result<bool, sqlx::Error> {
    if tenant.is_default() {
        return Ok(true);
    }
    let found: Option<i32> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT 1 FROM tenants WHERE app_id = $1 AND tenant_id = $2")
            .bind(&tenant.app_id)
            .bind(&tenant.tenant_id)
            .fetch_optional(pool)
            .await?
    });
    Ok(found.is_some())
}

/// 400 `AppId or tenantId not found => ...` unless the app and tenant exist.
pub async fn ensure_exists(db: &Db, tenant: &TenantId) -> Result<(), ApiError> {
    if exists(db, tenant).await? {
        return Ok(());
    }
    Err(not_found(tenant))
}

fn not_found(tenant: &TenantId) -> ApiError {
    ApiError::bad_request(format!(
        "AppId or tenantId not found => Tenant with the following connectionURIDomain, appId and tenantId combination not found: ({}, {}, {})",
        tenant.domain(),
        tenant.app_name(),
        tenant.tenant_id
    ))
}

/// A request's app and tenant as the database has them.
pub enum Found {
    UnknownApp,
    /// The app exists, with these settings; the tenant does not.
    UnknownTenant(Arc<TenantSettings>),
    /// Both exist; the tenant runs with these settings.
    Tenant(Arc<TenantSettings>),
}

impl Found {
    /// The settings of the tenant, or 400 `AppId or tenantId not found`.
    pub fn settings(self, tenant: &TenantId) -> Result<Arc<TenantSettings>, ApiError> {
        match self {
            Found::Tenant(settings) => Ok(settings),
            _ => Err(not_found(tenant)),
        }
    }
}

/// Whether the app and tenant exist, and the settings they run with: the instance's (the
/// default app and tenant cannot change theirs), overlaid with the domain's (for an app of a
/// connection-URI domain), then the app's, then the tenant's own. One query, by primary key.
pub async fn find(
    db: &Db,
    tenant: &TenantId,
    instance: &Arc<TenantSettings>,
) -> Result<Found, ApiError> {
    if tenant.is_default() {
        return Ok(Found::Tenant(instance.clone()));
    }
    let domain_base = tenant.sibling_app(PUBLIC).app_id;
    let rows: Vec<(String, String, Option<String>)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT app_id, tenant_id, core_config FROM tenants \
             WHERE (app_id = $1 AND tenant_id IN ($2, 'public')) OR (app_id = $3 AND tenant_id = 'public')",
        )
        .bind(&tenant.app_id)
        .bind(&tenant.tenant_id)
        .bind(&domain_base)
        .fetch_all(pool)
        .await?
    });
    let config_of = |app_id: &str, tenant_id: &str| {
        rows.iter()
            .find(|(app, tenant, _)| app == app_id && tenant == tenant_id)
            .map(|(_, _, config)| config)
    };
    let overlay = |base: &Arc<TenantSettings>, config: &Option<String>| match config {
        None => Ok(base.clone()),
        Some(text) => {
            let config: Map<String, Value> = serde_json::from_str(text).map_err(|error| {
                anyhow::anyhow!("a stored core config is not a JSON object: {error}")
            })?;
            let settings = base.overlaid(&config).map_err(|invalid| {
                anyhow::anyhow!("a stored core config is invalid: {}", invalid.message)
            })?;
            Ok::<_, ApiError>(Arc::new(settings))
        }
    };
    let Some(app_config) = config_of(&tenant.app_id, PUBLIC) else {
        return Ok(Found::UnknownApp);
    };
    let domain = match config_of(&domain_base, PUBLIC) {
        Some(config) if domain_base != tenant.app_id => overlay(instance, config)?,
        _ => instance.clone(),
    };
    let app = overlay(&domain, app_config)?;
    if tenant.is_public_tenant() {
        return Ok(Found::Tenant(app));
    }
    Ok(match config_of(&tenant.app_id, &tenant.tenant_id) {
        None => Found::UnknownTenant(app),
        Some(config) => Found::Tenant(overlay(&app, config)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(path: &str) -> Option<(&str, String, String)> {
        let known = ["/", "/recipe/user", "/apiversion", "/hello"];
        split_path(path, |p| known.contains(&p)).map(|(api, t)| (api, t.app_id, t.tenant_id))
    }

    fn some(api: &'static str, app: &str, tenant: &str) -> Option<(&'static str, String, String)> {
        Some((api, app.into(), tenant.into()))
    }

    #[test]
    fn accepts_every_prefix_form() {
        assert_eq!(
            split("/recipe/user"),
            some("/recipe/user", "public", "public")
        );
        assert_eq!(
            split("/recipe/user/"),
            some("/recipe/user", "public", "public")
        );
        assert_eq!(
            split("/t1/recipe/user"),
            some("/recipe/user", "public", "t1")
        );
        assert_eq!(
            split("/appid-a1/recipe/user"),
            some("/recipe/user", "a1", "public")
        );
        assert_eq!(
            split("/appid-a1/t-2/recipe/user"),
            some("/recipe/user", "a1", "t-2")
        );
        assert_eq!(split("/"), some("/", "public", "public"));
        assert_eq!(split(""), some("/", "public", "public"));
        assert_eq!(split("/t1"), some("/", "public", "t1"));
        assert_eq!(split("/appid-a1/t1/"), some("/", "a1", "t1"));
    }

    #[test]
    fn refuses_what_is_not_an_api() {
        assert_eq!(split("/recipe/nothing"), None);
        assert_eq!(split("/t1/t2/recipe/user"), None);
        assert_eq!(split("/t_1/recipe/user"), None);
        assert_eq!(
            split("/recipe/recipe/user"),
            None,
            "reserved words are not tenant ids"
        );
        assert_eq!(split("/appid-a_1/recipe/user"), None);
    }
}

//! Multitenancy: creating, configuring, listing and removing apps and tenants (v2 APIs, and
//! the v1 reads older SDKs make), which tenants a user belongs to, and the first-factor gate
//! of the login recipes. Apps and tenants are free on every storage.

mod config;
mod providers;
mod store;

use std::collections::BTreeMap;

use serde_json::{json, Value};

pub use self::config::LoginRecipe;
use self::config::{Shape, TenantConfig, TenantUpdate};
use self::store::{AppRemoval, Association, CoreConfigChange};
use crate::error::ApiError;
use crate::http::{
    self, parse_app_id, parse_domain, parse_tenant_id, HandlerResult, JsonInput, Request, Routes,
    Scope, TenantId, PUBLIC_TENANT,
};
use crate::state::AppState;

pub fn register(routes: &mut Routes) {
    routes.put(
        "/recipe/multitenancy/connectionuridomain/v2",
        Scope::Tenant,
        |r| create_or_update_domain(r, Shape::V2),
    );
    routes.put(
        "/recipe/multitenancy/connectionuridomain",
        Scope::Tenant,
        |r| create_or_update_domain(r, Shape::V1),
    );
    routes.post(
        "/recipe/multitenancy/connectionuridomain/remove",
        Scope::Tenant,
        remove_domain,
    );
    routes.get(
        "/recipe/multitenancy/connectionuridomain/list/v2",
        Scope::Tenant,
        |r| list_domains(r, Shape::V2),
    );
    routes.get(
        "/recipe/multitenancy/connectionuridomain/list",
        Scope::Tenant,
        |r| list_domains(r, Shape::V1),
    );
    routes.put("/recipe/multitenancy/app/v2", Scope::Tenant, |r| {
        create_or_update_app(r, Shape::V2)
    });
    routes.put("/recipe/multitenancy/app", Scope::Tenant, |r| {
        create_or_update_app(r, Shape::V1)
    });
    routes.post("/recipe/multitenancy/app/remove", Scope::Tenant, remove_app);
    routes.get("/recipe/multitenancy/app/list/v2", Scope::Tenant, |r| {
        list_apps(r, Shape::V2)
    });
    routes.get("/recipe/multitenancy/app/list", Scope::Tenant, |r| {
        list_apps(r, Shape::V1)
    });
    routes.put("/recipe/multitenancy/tenant/v2", Scope::Tenant, |r| {
        create_or_update_tenant(r, Shape::V2)
    });
    routes.put("/recipe/multitenancy/tenant", Scope::Tenant, |r| {
        create_or_update_tenant(r, Shape::V1)
    });
    routes.post(
        "/recipe/multitenancy/tenant/remove",
        Scope::Tenant,
        remove_tenant,
    );
    routes.get("/recipe/multitenancy/tenant/v2", Scope::AnyTenant, |r| {
        get_tenant(r, Shape::V2)
    });
    routes.get("/recipe/multitenancy/tenant/list/v2", Scope::Tenant, |r| {
        list_tenants(r, Shape::V2)
    });
    routes.get("/recipe/multitenancy/tenant", Scope::AnyTenant, |r| {
        get_tenant(r, Shape::V1)
    });
    routes.get("/recipe/multitenancy/tenant/list", Scope::Tenant, |r| {
        list_tenants(r, Shape::V1)
    });
    routes.post(
        "/recipe/multitenancy/tenant/user",
        Scope::Tenant,
        associate_user,
    );
    routes.post(
        "/recipe/multitenancy/tenant/user/remove",
        Scope::Tenant,
        disassociate_user,
    );
    routes.put(
        "/recipe/multitenancy/config/thirdparty",
        Scope::Tenant,
        put_provider,
    );
    routes.post(
        "/recipe/multitenancy/config/thirdparty/remove",
        Scope::Tenant,
        remove_provider,
    );
}

/// Refuses a login recipe's API (403 `message`) where the request's tenant does not allow
/// the recipe for its CDI version (see `TenantConfig::allows_recipe`).
pub async fn ensure_recipe_allowed(
    request: &Request,
    recipe: LoginRecipe,
    message: &str,
) -> Result<(), ApiError> {
    if request.cdi.sdk_enforces_first_factors() {
        return Ok(());
    }
    let allowed = store::find(&request.state.db, &request.tenant)
        .await?
        .is_none_or(|tenant| tenant.allows_recipe(recipe, request.cdi));
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden(message.into()))
    }
}

async fn get_tenant(request: Request, shape: Shape) -> HandlerResult {
    match store::find(&request.state.db, &request.tenant).await? {
        None => http::json(&json!({ "status": "TENANT_NOT_FOUND_ERROR" })),
        Some(tenant) => {
            let mut answer = tenant.to_json(shape, request.cdi);
            answer["status"] = json!("OK");
            http::json(&answer)
        }
    }
}

async fn list_tenants(request: Request, shape: Shape) -> HandlerResult {
    if !request.tenant.is_public_tenant() {
        return Err(ApiError::Forbidden(
            "Only the public tenantId is allowed to list all tenants associated with this app"
                .into(),
        ));
    }
    let tenants: Vec<Value> = store::list(&request.state.db, Some(&request.tenant.app_id))
        .await?
        .iter()
        .map(|(_, tenant)| tenant.to_json(shape, request.cdi))
        .collect();
    http::json(&json!({ "status": "OK", "tenants": tenants }))
}

async fn list_apps(request: Request, shape: Shape) -> HandlerResult {
    if !request.tenant.is_domain_base() {
        return Err(ApiError::Forbidden(
            "Only the public tenantId and public appId is allowed to list all apps associated with this connection uri domain"
                .into(),
        ));
    }
    let mut domains = apps_by_domain(&request, shape).await?;
    let apps = domains.remove(request.tenant.domain()).unwrap_or_default();
    http::json(&json!({ "status": "OK", "apps": apps }))
}

async fn list_domains(request: Request, shape: Shape) -> HandlerResult {
    if !request.tenant.is_default() {
        return Err(ApiError::Forbidden(
            "Only the public tenantId, public appId and default connectionUriDomain is allowed to list all connectionUriDomains and appIds associated with this core"
                .into(),
        ));
    }
    let domains: Vec<Value> = apps_by_domain(&request, shape)
        .await?
        .into_iter()
        .map(|(domain, apps)| json!({ "connectionUriDomain": domain, "apps": apps }))
        .collect();
    http::json(&json!({ "status": "OK", "connectionUriDomains": domains }))
}

/// Every app with its tenants (`{appId, tenants}` in `shape`), by connection-URI domain
/// (the default one, empty, first).
async fn apps_by_domain(
    request: &Request,
    shape: Shape,
) -> Result<BTreeMap<String, Vec<Value>>, ApiError> {
    let mut domains: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (app_key, tenant) in store::list(&request.state.db, None).await? {
        let app = TenantId {
            app_id: app_key,
            tenant_id: tenant.tenant_id.clone(),
        };
        let tenant = tenant.to_json(shape, request.cdi);
        let apps = domains.entry(app.domain().to_string()).or_default();
        match apps.last_mut() {
            Some(last) if last["appId"] == app.app_name() => {
                last["tenants"].as_array_mut().expect("a list").push(tenant)
            }
            _ => apps.push(json!({ "appId": app.app_name(), "tenants": [tenant] })),
        }
    }
    Ok(domains)
}

async fn create_or_update_tenant(request: Request, shape: Shape) -> HandlerResult {
    let input = request.json()?;
    let tenant_id = match input.opt_str("tenantId")? {
        Some(id) => parse_tenant_id(&id)?,
        None => PUBLIC_TENANT.to_string(),
    };
    let target = TenantId {
        app_id: request.tenant.app_id.clone(),
        tenant_id,
    };
    save(&request, &input, &target, shape).await
}

async fn create_or_update_app(request: Request, shape: Shape) -> HandlerResult {
    let input = request.json()?;
    let app_id = match input.opt_str("appId")? {
        Some(id) => parse_app_id(&id)?,
        None => PUBLIC_TENANT.to_string(),
    };
    let target = request.tenant.sibling_app(&app_id);
    save(&request, &input, &target, shape).await
}

async fn create_or_update_domain(request: Request, shape: Shape) -> HandlerResult {
    let input = request.json()?;
    let domain = match input.opt_str("connectionUriDomain")? {
        Some(domain) => parse_domain(&domain)?,
        None => String::new(),
    };
    let target = TenantId {
        app_id: TenantId::app_key(&domain, PUBLIC_TENANT),
        tenant_id: PUBLIC_TENANT.to_string(),
    };
    let answer = save(&request, &input, &target, shape).await?;
    request.state.domains.forget();
    Ok(answer)
}

/// The create-or-update of an app (its public tenant) or a tenant through `shape`'s API,
/// with upstream's checks in upstream's order.
async fn save(
    request: &Request,
    input: &JsonInput,
    target: &TenantId,
    shape: Shape,
) -> HandlerResult {
    let core_config = input.opt_object("coreConfig")?;
    let update = TenantUpdate::read(input, shape, request.cdi)?;
    ensure_may_write(&request.tenant, target)?;
    if target.is_default()
        && core_config
            .as_ref()
            .is_some_and(|config| !config.is_empty())
    {
        return Err(ApiError::bad_request("Cannot modify base config"));
    }
    let state = &request.state;
    let core_change = core_config.map(|update| CoreConfigChange {
        update,
        instance: &state.tenant_defaults,
    });
    let changes_settings = core_change.is_some();
    let base = TenantConfig::new(&target.tenant_id, shape, request.cdi);
    let created = store::save(&state.db, target, base, update, core_change).await?;
    if changes_settings {
        keep_signing_keys_published(state).await?;
    }
    http::json(&json!({ "status": "OK", "createdNew": created }))
}

/// Keeps signing keys published as long as the longest access token lifetime of any app
/// needs (other instances catch up at their next clean-up).
pub async fn keep_signing_keys_published(state: &AppState) -> Result<(), ApiError> {
    let longest =
        store::longest_access_token_validity_ms(&state.db, &state.tenant_defaults).await?;
    state
        .signing_keys
        .set_longest_access_token_validity(longest);
    Ok(())
}

/// Who may create or change an app or tenant: a tenant is changed from its app's public
/// tenant or from itself; an app from its domain's public app or from itself, through its
/// public tenant; a connection-URI domain from the default one or from itself.
fn ensure_may_write(source: &TenantId, target: &TenantId) -> Result<(), ApiError> {
    let forbidden = |message: &str| Err(ApiError::Forbidden(message.into()));
    if target.tenant_id != PUBLIC_TENANT {
        if !source.is_public_tenant() && source.tenant_id != target.tenant_id {
            return forbidden("You must use the public or same tenant to add/update a tenant");
        }
    } else if target.app_name() != PUBLIC_TENANT {
        let same_or_public_app =
            source.app_name() == PUBLIC_TENANT || source.app_id == target.app_id;
        if !source.is_public_tenant() || !same_or_public_app {
            return forbidden("You must use the public or same app to add/update an app");
        }
    } else if !target.domain().is_empty()
        && !source.is_default()
        && source.domain() != target.domain()
    {
        return forbidden(
            "You must use the default or same connectionUriDomain to create/update a connectionUriDomain",
        );
    }
    Ok(())
}

async fn remove_tenant(request: Request) -> HandlerResult {
    let tenant_id = parse_tenant_id(&request.json()?.str("tenantId")?)?;
    if tenant_id == PUBLIC_TENANT {
        return Err(ApiError::Forbidden(
            "Cannot delete public tenant, use remove app API instead".into(),
        ));
    }
    if !request.tenant.is_public_tenant() {
        return Err(ApiError::Forbidden(
            "Only the public tenantId is allowed to delete a tenant".into(),
        ));
    }
    let target = TenantId {
        app_id: request.tenant.app_id.clone(),
        tenant_id,
    };
    let existed = store::delete_tenant(&request.state.db, &target).await?;
    http::json(&json!({ "status": "OK", "didExist": existed }))
}

async fn remove_app(request: Request) -> HandlerResult {
    let app_id = parse_app_id(&request.json()?.str("appId")?)?;
    if app_id == PUBLIC_TENANT {
        return Err(ApiError::Forbidden(
            "Cannot delete the public app, use remove connection uri domain API instead".into(),
        ));
    }
    if !request.tenant.is_domain_base() {
        return Err(ApiError::Forbidden(
            "Only the public tenantId and public appId is allowed to delete an app".into(),
        ));
    }
    let app_key = request.tenant.sibling_app(&app_id).app_id;
    match store::delete_app(&request.state.db, &app_key, false).await? {
        AppRemoval::HasTenants => Err(ApiError::Forbidden(
            "Please delete all tenants except the public tenant for this app before calling the delete API"
                .into(),
        )),
        AppRemoval::Removed(existed) => {
            forget_app(&request.state, &app_key);
            http::json(&json!({ "status": "OK", "didExist": existed }))
        }
    }
}

/// An app's keys went with it; a new app of that id gets new ones.
fn forget_app(state: &AppState, app_key: &str) {
    state.signing_keys.forget(app_key);
    state.app_keys.forget(app_key);
}

/// Removes a connection-URI domain (its public app with all its tenants), once it has no
/// other apps.
async fn remove_domain(request: Request) -> HandlerResult {
    let domain = parse_domain(&request.json()?.str("connectionUriDomain")?)?;
    if !request.tenant.is_default() {
        return Err(ApiError::Forbidden(
            "Only the public tenantId, public appId and default connectionUriDomain is allowed to delete a connectionUriDomain"
                .into(),
        ));
    }
    let state = &request.state;
    let has_other_apps = store::list(&state.db, None).await?.iter().any(|(key, _)| {
        let app = TenantId {
            app_id: key.clone(),
            tenant_id: PUBLIC_TENANT.into(),
        };
        app.domain() == domain && app.app_name() != PUBLIC_TENANT
    });
    if has_other_apps {
        return Err(ApiError::Forbidden(
            "Please delete all apps except the public appID for this connectionUriDomain before calling the delete API."
                .into(),
        ));
    }
    let app_key = TenantId::app_key(&domain, PUBLIC_TENANT);
    let AppRemoval::Removed(existed) = store::delete_app(&state.db, &app_key, true).await? else {
        unreachable!("a domain's public app is removed with its tenants");
    };
    forget_app(state, &app_key);
    state.domains.forget();
    http::json(&json!({ "status": "OK", "didExist": existed }))
}

/// Adds a third-party provider config to the tenant, or replaces the one with its id.
async fn put_provider(request: Request) -> HandlerResult {
    let input = request.json()?;
    let config = input.object("config")?;
    let provider = providers::parse(&config)?;
    let skip_validation = input.opt_bool("skipValidation")?.unwrap_or(false);
    let change = providers::Change::Put {
        provider,
        check: !skip_validation,
    };
    let existed = providers::change(&request.state.db, &request.tenant, change).await?;
    http::json(&json!({ "status": "OK", "createdNew": !existed }))
}

async fn remove_provider(request: Request) -> HandlerResult {
    let third_party_id = request.json()?.str("thirdPartyId")?.trim().to_string();
    let change = providers::Change::Remove(third_party_id);
    let existed = providers::change(&request.state.db, &request.tenant, change).await?;
    http::json(&json!({ "status": "OK", "didConfigExist": existed }))
}

/// The login method a tenant-user call names: `recipeUserId` from CDI 4.0, `userId` before.
async fn user_of(request: &Request) -> Result<String, ApiError> {
    let field = match request.cdi.has_account_linking() {
        true => "recipeUserId",
        false => "userId",
    };
    let user_id = request.json()?.str(field)?.trim().to_string();
    if user_id.is_empty() {
        // Upstream names `userId` at every version.
        return Err(ApiError::bad_request(
            "Field name 'userId' cannot be an empty String",
        ));
    }
    super::useridmapping::resolve(&request.state.db, &request.tenant.app_id, &user_id).await
}

async fn associate_user(request: Request) -> HandlerResult {
    let user_id = user_of(&request).await?;
    match store::associate(&request.state.db, &request.tenant, &user_id).await? {
        Association::UnknownUser => http::json(&json!({ "status": "UNKNOWN_USER_ID_ERROR" })),
        Association::EmailTaken => http::json(&json!({ "status": "EMAIL_ALREADY_EXISTS_ERROR" })),
        Association::NotAllowed(conflict) => http::json(
            &json!({ "status": "ASSOCIATION_NOT_ALLOWED_ERROR", "reason": conflict.association_reason() }),
        ),
        Association::PhoneNumberTaken => {
            http::json(&json!({ "status": "PHONE_NUMBER_ALREADY_EXISTS_ERROR" }))
        }
        Association::ThirdPartyAccountTaken => {
            http::json(&json!({ "status": "THIRD_PARTY_USER_ALREADY_EXISTS_ERROR" }))
        }
        Association::Added {
            was_already_associated,
        } => http::json(&json!({ "status": "OK", "wasAlreadyAssociated": was_already_associated })),
    }
}

async fn disassociate_user(request: Request) -> HandlerResult {
    let user_id = user_of(&request).await?;
    let (db, app_id) = (&request.state.db, &request.tenant.app_id);
    let data_id = super::useridmapping::shown_id(db, app_id, &user_id).await?;
    match store::disassociate(db, &request.tenant, &user_id, &data_id).await? {
        None => http::json(&json!({ "status": "UNKNOWN_USER_ID_ERROR" })),
        Some(was_associated) => {
            http::json(&json!({ "status": "OK", "wasAssociated": was_associated }))
        }
    }
}

//! Multitenancy: creating, configuring, listing and removing apps and tenants (v2 APIs, and
//! the v1 reads older SDKs make), which tenants a user belongs to, and the first-factor gate
//! of the login recipes. Apps and tenants are free on every storage.

mod config;
mod providers;
mod store;

use serde_json::{json, Value};

pub use self::config::LoginRecipe;
use self::config::{Shape, TenantConfig, TenantUpdate};
use self::store::{AppRemoval, Association, CoreConfigChange};
use crate::error::ApiError;
use crate::http::{
    self, parse_app_id, parse_tenant_id, HandlerResult, JsonInput, Request, Routes, Scope,
    TenantId, PUBLIC_TENANT,
};
use crate::state::AppState;

pub fn register(routes: &mut Routes) {
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
    if !request.tenant.is_default() {
        return Err(ApiError::Forbidden(
            "Only the public tenantId and public appId is allowed to list all apps associated with this connection uri domain"
                .into(),
        ));
    }
    let mut apps: Vec<Value> = Vec::new();
    for (app_id, tenant) in store::list(&request.state.db, None).await? {
        let tenant = tenant.to_json(shape, request.cdi);
        match apps.last_mut() {
            Some(app) if app["appId"] == app_id.as_str() => {
                app["tenants"].as_array_mut().expect("a list").push(tenant)
            }
            _ => apps.push(json!({ "appId": app_id, "tenants": [tenant] })),
        }
    }
    http::json(&json!({ "status": "OK", "apps": apps }))
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
    let target = TenantId {
        app_id,
        tenant_id: PUBLIC_TENANT.to_string(),
    };
    save(&request, &input, &target, shape).await
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
/// tenant or from itself; an app from the public app or from itself, through its public
/// tenant.
fn ensure_may_write(source: &TenantId, target: &TenantId) -> Result<(), ApiError> {
    let forbidden = |message: &str| Err(ApiError::Forbidden(message.into()));
    if target.tenant_id != PUBLIC_TENANT {
        if !source.is_public_tenant() && source.tenant_id != target.tenant_id {
            return forbidden("You must use the public or same tenant to add/update a tenant");
        }
    } else if target.app_id != PUBLIC_TENANT {
        let same_or_public_app = source.app_id == PUBLIC_TENANT || source.app_id == target.app_id;
        if !source.is_public_tenant() || !same_or_public_app {
            return forbidden("You must use the public or same app to add/update an app");
        }
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
    if !request.tenant.is_default() {
        return Err(ApiError::Forbidden(
            "Only the public tenantId and public appId is allowed to delete an app".into(),
        ));
    }
    match store::delete_app(&request.state.db, &app_id).await? {
        AppRemoval::HasTenants => Err(ApiError::Forbidden(
            "Please delete all tenants except the public tenant for this app before calling the delete API"
                .into(),
        )),
        AppRemoval::Removed(existed) => {
            // Its keys went with it; a new app of that id gets new ones.
            request.state.signing_keys.forget(&app_id);
            request.state.refresh_token_keys.forget(&app_id);
            http::json(&json!({ "status": "OK", "didExist": existed }))
        }
    }
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

//! The read-only multitenancy calls the SDKs make: the tenant a sign-in or sign-up is for,
//! and the list of tenants the dashboard shows. Every tenant has every login method on and
//! no third-party providers; creating and configuring tenants is not served yet.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::http::{self, tenant_exists, HandlerResult, Request, Routes, Scope};
use crate::with_pool;

pub fn register(routes: &mut Routes) {
    routes.get(
        "/recipe/multitenancy/tenant/v2",
        Scope::AnyTenant,
        get_tenant,
    );
    routes.get(
        "/recipe/multitenancy/tenant/list/v2",
        Scope::Tenant,
        list_tenants,
    );
}

/// A tenant in the v2 shape (CDI 5.4); `firstFactors` is left out, which means "every
/// login method the backend has".
fn tenant_json(tenant_id: &str) -> Value {
    json!({ "tenantId": tenant_id, "thirdParty": { "providers": [] }, "coreConfig": {} })
}

async fn get_tenant(request: Request) -> HandlerResult {
    if !tenant_exists(&request.state.db, &request.tenant).await? {
        return http::json(&json!({ "status": "TENANT_NOT_FOUND_ERROR" }));
    }
    let mut tenant = tenant_json(&request.tenant.tenant_id);
    tenant["status"] = json!("OK");
    http::json(&tenant)
}

async fn list_tenants(request: Request) -> HandlerResult {
    if !request.tenant.is_public_tenant() {
        return Err(ApiError::Forbidden(
            "Only the public tenantId is allowed to list all tenants associated with this app"
                .into(),
        ));
    }
    let tenant_ids: Vec<String> = with_pool!(&request.state.db, pool => {
        sqlx::query_scalar("SELECT tenant_id FROM tenants WHERE app_id = $1 ORDER BY created_at_time, tenant_id")
            .bind(&request.tenant.app_id)
            .fetch_all(pool)
            .await?
    });
    let tenants: Vec<Value> = tenant_ids
        .iter()
        .map(|tenant_id| tenant_json(tenant_id))
        .collect();
    http::json(&json!({ "status": "OK", "tenants": tenants }))
}

//! The read-only multitenancy calls the SDKs make: the tenant a sign-in or sign-up is for,
//! and the list of tenants the dashboard shows, in the v2 form (CDI 5.1 on) and the v1 form
//! older SDKs call. Every tenant has every login method on and no third-party providers;
//! creating and configuring tenants is not served yet.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::http::{self, tenant_exists, CdiVersion, HandlerResult, Request, Routes, Scope};
use crate::with_pool;

pub fn register(routes: &mut Routes) {
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
}

/// The two generations of the tenant APIs: v1 (deprecated with CDI 5.1) and v2.
#[derive(Debug, Clone, Copy)]
enum Shape {
    V1,
    V2,
}

/// What a tenant allows. `None` factors mean "every login method the backend has" and
/// "no second factor required"; gatehouse does not store tenant settings yet, so every
/// tenant has those.
struct TenantConfig {
    tenant_id: String,
    first_factors: Option<Vec<String>>,
    required_secondary_factors: Option<Vec<String>>,
}

impl TenantConfig {
    fn of(tenant_id: &str) -> Self {
        Self {
            tenant_id: tenant_id.to_string(),
            first_factors: None,
            required_secondary_factors: None,
        }
    }

    /// The v2 shape: factors as stored, no per-recipe switches.
    fn v2_json(&self) -> Value {
        let mut tenant = json!({ "tenantId": self.tenant_id, "thirdParty": { "providers": [] } });
        self.add_factors(&mut tenant);
        tenant["coreConfig"] = json!({});
        tenant
    }

    /// The v1 shape: a switch per login recipe. Before CDI 5.0 a recipe is on when the
    /// first factors allow it; from 5.0 when any first factor is allowed, and the factors
    /// themselves are shown.
    fn v1_json(&self, cdi: CdiVersion) -> Value {
        let enabled = |recipe_factors: &[&str]| match &self.first_factors {
            None => true,
            Some(factors) if cdi.tenants_show_factors() => !factors.is_empty(),
            Some(factors) => factors
                .iter()
                .any(|factor| recipe_factors.contains(&factor.as_str())),
        };
        let mut tenant = json!({
            "tenantId": self.tenant_id,
            "emailPassword": { "enabled": enabled(&["emailpassword"]) },
            "thirdParty": { "enabled": enabled(&["thirdparty"]), "providers": [] },
            "passwordless": { "enabled": enabled(&["otp-email", "otp-phone", "link-email", "link-phone"]) },
        });
        if cdi.tenants_show_factors() {
            self.add_factors(&mut tenant);
        }
        tenant["coreConfig"] = json!({});
        tenant
    }

    fn add_factors(&self, tenant: &mut Value) {
        if let Some(factors) = self.first_factors.as_ref().filter(|f| !f.is_empty()) {
            tenant["firstFactors"] = json!(factors);
        }
        if let Some(factors) = &self.required_secondary_factors {
            tenant["requiredSecondaryFactors"] = json!(factors);
        }
    }

    fn to_json(&self, shape: Shape, cdi: CdiVersion) -> Value {
        match shape {
            Shape::V1 => self.v1_json(cdi),
            Shape::V2 => self.v2_json(),
        }
    }
}

async fn get_tenant(request: Request, shape: Shape) -> HandlerResult {
    if !tenant_exists(&request.state.db, &request.tenant).await? {
        return http::json(&json!({ "status": "TENANT_NOT_FOUND_ERROR" }));
    }
    let mut tenant = TenantConfig::of(&request.tenant.tenant_id).to_json(shape, request.cdi);
    tenant["status"] = json!("OK");
    http::json(&tenant)
}

async fn list_tenants(request: Request, shape: Shape) -> HandlerResult {
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
        .map(|tenant_id| TenantConfig::of(tenant_id).to_json(shape, request.cdi))
        .collect();
    http::json(&json!({ "status": "OK", "tenants": tenants }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_factors(first: &[&str], secondary: &[&str]) -> TenantConfig {
        TenantConfig {
            tenant_id: "t1".into(),
            first_factors: Some(first.iter().map(|f| f.to_string()).collect()),
            required_secondary_factors: Some(secondary.iter().map(|f| f.to_string()).collect()),
        }
    }

    #[test]
    fn v1_switches_follow_the_first_factors_before_5_0() {
        let tenant = with_factors(&["otp-email"], &["totp"]).v1_json(CdiVersion::new(4, 0));
        assert_eq!(tenant["emailPassword"]["enabled"], false);
        assert_eq!(tenant["thirdParty"]["enabled"], false);
        assert_eq!(tenant["passwordless"]["enabled"], true);
        assert!(tenant.get("firstFactors").is_none());
        assert!(tenant.get("requiredSecondaryFactors").is_none());
    }

    #[test]
    fn v1_shows_the_factors_from_5_0() {
        let tenant = with_factors(&["otp-email"], &["totp"]).v1_json(CdiVersion::new(5, 0));
        assert_eq!(tenant["emailPassword"]["enabled"], true);
        assert_eq!(tenant["firstFactors"], json!(["otp-email"]));
        assert_eq!(tenant["requiredSecondaryFactors"], json!(["totp"]));
        let keys: Vec<&String> = tenant.as_object().unwrap().keys().collect();
        assert_eq!(keys.last().unwrap().as_str(), "coreConfig");
        let none_allowed = with_factors(&[], &[]).v1_json(CdiVersion::new(5, 0));
        assert_eq!(none_allowed["emailPassword"]["enabled"], false);
        assert!(none_allowed.get("firstFactors").is_none());
    }

    #[test]
    fn a_tenant_without_settings_allows_everything_at_every_version() {
        for cdi in crate::http::SUPPORTED_CDI_VERSIONS {
            let tenant = TenantConfig::of("public").v1_json(*cdi);
            assert_eq!(
                tenant,
                json!({
                    "tenantId": "public",
                    "emailPassword": { "enabled": true },
                    "thirdParty": { "enabled": true, "providers": [] },
                    "passwordless": { "enabled": true },
                    "coreConfig": {},
                }),
                "{cdi}"
            );
        }
    }
}

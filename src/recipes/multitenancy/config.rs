//! What a tenant allows (its first factors and required second factors), the JSON shapes the
//! tenant APIs answer it in, and the rules of the v2 update.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::http::{CdiVersion, Update};

/// Factor ids of the login recipes, as upstream names them.
pub const EMAIL_PASSWORD_FACTORS: &[&str] = &["emailpassword"];
pub const THIRD_PARTY_FACTORS: &[&str] = &["thirdparty"];
const PASSWORDLESS_FACTORS: &[&str] = &["otp-email", "otp-phone", "link-email", "link-phone"];

/// The two generations of the tenant APIs: v1 (deprecated with CDI 5.1) and v2.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    V1,
    V2,
}

/// A tenant's settings. `None` first factors mean "every login method the backend has";
/// `Some([])` means none. `None` second factors mean none required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantConfig {
    pub tenant_id: String,
    pub first_factors: Option<Vec<String>>,
    pub required_secondary_factors: Option<Vec<String>>,
    /// Third-party provider configs, in the shape the SDKs read back.
    pub providers: Vec<Value>,
}

impl TenantConfig {
    /// What a tenant created through the v2 API starts with: an app's public tenant allows
    /// every login method, any other tenant none until its first factors are set.
    pub fn new_v2(tenant_id: &str) -> Self {
        Self {
            tenant_id: tenant_id.to_string(),
            first_factors: (tenant_id != crate::http::PUBLIC_TENANT).then(Vec::new),
            required_secondary_factors: None,
            providers: Vec::new(),
        }
    }

    pub fn apply(&mut self, update: FactorsUpdate) {
        match update.first_factors {
            Update::Keep => {}
            Update::Reset => self.first_factors = None,
            Update::Set(factors) => self.first_factors = Some(factors),
        }
        match update.required_secondary_factors {
            Update::Keep => {}
            Update::Reset => self.required_secondary_factors = None,
            // An empty list requires nothing, which is what `None` says.
            Update::Set(factors) if factors.is_empty() => self.required_secondary_factors = None,
            Update::Set(factors) => self.required_secondary_factors = Some(factors),
        }
    }

    /// Whether a login recipe (by its factors) is on for a client of `cdi`, as the v1 shape
    /// shows it: before 5.0 one of the recipe's factors must be a first factor; from 5.0
    /// any first factor must be allowed.
    fn shows_recipe_enabled(&self, recipe_factors: &[&str], cdi: CdiVersion) -> bool {
        match &self.first_factors {
            None => true,
            Some(factors) if cdi.tenants_show_factors() => !factors.is_empty(),
            Some(factors) => factors
                .iter()
                .any(|factor| recipe_factors.contains(&factor.as_str())),
        }
    }

    /// Whether a login recipe's APIs answer for this tenant. From CDI 5.1 the SDK decides
    /// from the tenant's factors and the core always answers; before, the v1 rule applies.
    pub fn allows_recipe(&self, recipe_factors: &[&str], cdi: CdiVersion) -> bool {
        cdi.sdk_enforces_first_factors() || self.shows_recipe_enabled(recipe_factors, cdi)
    }

    /// The v2 shape: factors as stored, no per-recipe switches.
    fn v2_json(&self) -> Value {
        let mut tenant =
            json!({ "tenantId": self.tenant_id, "thirdParty": { "providers": self.providers } });
        if let Some(factors) = &self.first_factors {
            tenant["firstFactors"] = json!(factors);
        }
        if let Some(factors) = &self.required_secondary_factors {
            tenant["requiredSecondaryFactors"] = json!(factors);
        }
        tenant["coreConfig"] = json!({});
        tenant
    }

    /// The v1 shape: a switch per login recipe; from CDI 5.0 the factors too (an empty list
    /// of first factors is left out).
    fn v1_json(&self, cdi: CdiVersion) -> Value {
        let enabled = |factors| self.shows_recipe_enabled(factors, cdi);
        let mut tenant = json!({
            "tenantId": self.tenant_id,
            "emailPassword": { "enabled": enabled(EMAIL_PASSWORD_FACTORS) },
            "thirdParty": { "enabled": enabled(THIRD_PARTY_FACTORS), "providers": self.providers },
            "passwordless": { "enabled": enabled(PASSWORDLESS_FACTORS) },
        });
        if cdi.tenants_show_factors() {
            if let Some(factors) = self.first_factors.as_ref().filter(|f| !f.is_empty()) {
                tenant["firstFactors"] = json!(factors);
            }
            if let Some(factors) = &self.required_secondary_factors {
                tenant["requiredSecondaryFactors"] = json!(factors);
            }
        }
        tenant["coreConfig"] = json!({});
        tenant
    }

    pub fn to_json(&self, shape: Shape, cdi: CdiVersion) -> Value {
        match shape {
            Shape::V1 => self.v1_json(cdi),
            Shape::V2 => self.v2_json(),
        }
    }
}

/// The factor fields of a v2 create-or-update, checked.
#[derive(Debug)]
pub struct FactorsUpdate {
    first_factors: Update<Vec<String>>,
    required_secondary_factors: Update<Vec<String>>,
}

impl FactorsUpdate {
    /// Upstream's checks, in its order: duplicates in each list, then the characters of
    /// each list's ids.
    pub fn new(
        first_factors: Update<Vec<String>>,
        required_secondary_factors: Update<Vec<String>>,
    ) -> Result<Self, ApiError> {
        let lists = [
            ("firstFactors", &first_factors),
            ("requiredSecondaryFactors", &required_secondary_factors),
        ];
        for (field, update) in lists {
            if let Update::Set(factors) = update {
                let mut sorted = factors.clone();
                sorted.sort_unstable();
                sorted.dedup();
                if sorted.len() != factors.len() {
                    return Err(ApiError::bad_request(format!(
                        "{field} input should not contain duplicate values"
                    )));
                }
            }
        }
        for (field, update) in lists {
            if let Update::Set(factors) = update {
                if !factors.iter().all(|factor| is_factor_id(factor)) {
                    return Err(ApiError::bad_request(format!(
                        "{field} should contain only 0-9,a-z,A-Z,_,.,- characters"
                    )));
                }
            }
        }
        Ok(Self {
            first_factors,
            required_secondary_factors,
        })
    }
}

/// Upstream's factor id pattern (which also lets parentheses through).
fn is_factor_id(factor: &str) -> bool {
    !factor.is_empty()
        && factor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_().-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_factors(first: &[&str], secondary: &[&str]) -> TenantConfig {
        TenantConfig {
            tenant_id: "t1".into(),
            first_factors: Some(first.iter().map(|f| f.to_string()).collect()),
            required_secondary_factors: Some(secondary.iter().map(|f| f.to_string()).collect()),
            providers: Vec::new(),
        }
    }

    fn list(items: &[&str]) -> Update<Vec<String>> {
        Update::Set(items.iter().map(|item| item.to_string()).collect())
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
    fn recipes_are_gated_by_the_first_factors_before_5_1() {
        let passwordless_only = with_factors(&["otp-email"], &[]);
        let gate = |cdi| passwordless_only.allows_recipe(EMAIL_PASSWORD_FACTORS, cdi);
        assert!(!gate(CdiVersion::new(4, 0)));
        assert!(gate(CdiVersion::new(5, 0)));
        assert!(gate(CdiVersion::new(5, 1)));
        let nothing = with_factors(&[], &[]);
        assert!(!nothing.allows_recipe(EMAIL_PASSWORD_FACTORS, CdiVersion::new(5, 0)));
        assert!(nothing.allows_recipe(EMAIL_PASSWORD_FACTORS, CdiVersion::new(5, 4)));
    }

    #[test]
    fn updates_keep_reset_or_set() {
        let mut tenant = TenantConfig::new_v2("t1");
        assert_eq!(tenant.first_factors, Some(vec![]));
        assert_eq!(TenantConfig::new_v2("public").first_factors, None);
        tenant.apply(FactorsUpdate::new(list(&["emailpassword"]), list(&["totp"])).unwrap());
        assert_eq!(tenant.first_factors, Some(vec!["emailpassword".into()]));
        tenant.apply(FactorsUpdate::new(Update::Keep, list(&[])).unwrap());
        assert_eq!(tenant.first_factors, Some(vec!["emailpassword".into()]));
        assert_eq!(tenant.required_secondary_factors, None);
        tenant.apply(FactorsUpdate::new(Update::Reset, Update::Keep).unwrap());
        assert_eq!(tenant.first_factors, None);
    }

    #[test]
    fn factor_lists_are_checked_in_upstreams_order() {
        let message = |error: ApiError| match error {
            ApiError::BadRequest(message) => message,
            other => panic!("{other:?}"),
        };
        let duplicate = FactorsUpdate::new(list(&["a b"]), list(&["x", "x"])).unwrap_err();
        assert_eq!(
            message(duplicate),
            "requiredSecondaryFactors input should not contain duplicate values"
        );
        let bad_name = FactorsUpdate::new(list(&["a b"]), Update::Keep).unwrap_err();
        assert_eq!(
            message(bad_name),
            "firstFactors should contain only 0-9,a-z,A-Z,_,.,- characters"
        );
        assert!(FactorsUpdate::new(list(&["custom.factor_(1)-x"]), Update::Reset).is_ok());
    }

    #[test]
    fn a_tenant_without_settings_allows_everything_at_every_version() {
        let public = TenantConfig::new_v2("public");
        for cdi in crate::http::SUPPORTED_CDI_VERSIONS {
            assert_eq!(
                public.v1_json(*cdi),
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

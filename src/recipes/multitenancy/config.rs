//! What a tenant allows (a switch per login recipe, its first factors and required second
//! factors, its third-party providers), the JSON shapes the tenant APIs answer it in, and the
//! rules of the v2 and the deprecated v1 updates.

use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::http::{CdiVersion, Update};

/// The login recipes a tenant switches on and off (the v1 APIs' `...Enabled` booleans).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRecipe {
    EmailPassword,
    ThirdParty,
    Passwordless,
}

impl LoginRecipe {
    const ALL: [LoginRecipe; 3] = [Self::EmailPassword, Self::ThirdParty, Self::Passwordless];

    /// The first factors that sign in with the recipe, in upstream's order for checks.
    fn factors(self) -> &'static [&'static str] {
        match self {
            Self::EmailPassword => &["emailpassword"],
            Self::ThirdParty => &["thirdparty"],
            Self::Passwordless => &["otp-phone", "otp-email", "link-phone", "link-email"],
        }
    }

    fn of_factor(factor: &str) -> Option<LoginRecipe> {
        Self::ALL
            .into_iter()
            .find(|recipe| recipe.factors().contains(&factor))
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Its name in upstream's messages and in the v1 answers.
    fn name(self) -> &'static str {
        match self {
            Self::EmailPassword => "emailPassword",
            Self::ThirdParty => "thirdParty",
            Self::Passwordless => "passwordless",
        }
    }

    /// The v1 request field that switches it.
    fn switch_field(self) -> &'static str {
        match self {
            Self::EmailPassword => "emailPasswordEnabled",
            Self::ThirdParty => "thirdPartyEnabled",
            Self::Passwordless => "passwordlessEnabled",
        }
    }
}

/// Every login factor, in the order upstream derives first factors from the switches.
const ALL_LOGIN_FACTORS: [&str; 6] = [
    "emailpassword",
    "thirdparty",
    "otp-email",
    "otp-phone",
    "link-email",
    "link-phone",
];

/// The two generations of the tenant APIs: v1 (deprecated with CDI 5.1) and v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    V1,
    V2,
}

/// A tenant's settings. `None` first factors mean "every login method the backend has";
/// `Some([])` means none. `None` second factors mean none required. A recipe switched off
/// (v1) is off whatever the factors say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantConfig {
    pub tenant_id: String,
    /// Indexed by [`LoginRecipe`].
    pub recipes_enabled: [bool; 3],
    pub first_factors: Option<Vec<String>>,
    pub required_secondary_factors: Option<Vec<String>>,
    /// Third-party provider configs, in the shape the SDKs read back.
    pub providers: Vec<Value>,
    /// The settings it sets for itself (for an app's public tenant: for the app), as given.
    pub core_config: Map<String, Value>,
}

impl TenantConfig {
    /// What a tenant created through `shape`'s API at `cdi` starts with. An app's public
    /// tenant allows every login method. Another tenant allows none until told: through v2
    /// its first factors are empty, through v1 its recipes are off.
    pub fn new(tenant_id: &str, shape: Shape, cdi: CdiVersion) -> Self {
        let public = tenant_id == crate::http::PUBLIC_TENANT;
        let (enabled, first_factors) = match shape {
            _ if public => (true, None),
            Shape::V2 => (true, Some(Vec::new())),
            Shape::V1 if cdi.tenants_show_factors() => (false, None),
            Shape::V1 => (false, Some(Vec::new())),
        };
        Self {
            tenant_id: tenant_id.to_string(),
            recipes_enabled: [enabled; 3],
            first_factors,
            required_secondary_factors: None,
            providers: Vec::new(),
            core_config: Map::new(),
        }
    }

    fn is_on(&self, recipe: LoginRecipe) -> bool {
        self.recipes_enabled[recipe.index()]
    }

    /// Before CDI 5.0: switched on, and one of its factors a first factor (or all allowed).
    fn enabled_before_5_0(&self, recipe: LoginRecipe) -> bool {
        self.is_on(recipe)
            && self.first_factors.as_ref().is_none_or(|factors| {
                factors
                    .iter()
                    .any(|factor| recipe.factors().contains(&factor.as_str()))
            })
    }

    /// From CDI 5.0: switched on, and some first factor allowed.
    fn enabled_from_5_0(&self, recipe: LoginRecipe) -> bool {
        self.is_on(recipe)
            && self
                .first_factors
                .as_ref()
                .is_none_or(|factors| !factors.is_empty())
    }

    /// Whether a login recipe is on for a client of `cdi`, as the v1 shape shows it.
    fn shows_enabled(&self, recipe: LoginRecipe, cdi: CdiVersion) -> bool {
        if cdi.tenants_show_factors() {
            self.enabled_from_5_0(recipe)
        } else {
            self.enabled_before_5_0(recipe)
        }
    }

    /// Whether a login recipe's APIs answer for this tenant. From CDI 5.1 the SDK decides
    /// from the tenant's factors and the core always answers; before, the v1 rule applies.
    pub fn allows_recipe(&self, recipe: LoginRecipe, cdi: CdiVersion) -> bool {
        cdi.sdk_enforces_first_factors() || self.shows_enabled(recipe, cdi)
    }

    /// The first factors the switches leave, when some are off: what the v2 shape shows for
    /// a tenant without first factors of its own.
    fn factors_of_switches(&self) -> Option<Vec<String>> {
        let factors: Vec<String> = ALL_LOGIN_FACTORS
            .iter()
            .filter(|factor| LoginRecipe::of_factor(factor).is_some_and(|r| self.is_on(r)))
            .map(|factor| factor.to_string())
            .collect();
        (factors.len() < ALL_LOGIN_FACTORS.len()).then_some(factors)
    }

    /// The v2 shape: the factors (derived from the switches when only they say something),
    /// no switches.
    fn v2_json(&self) -> Value {
        let mut tenant =
            json!({ "tenantId": self.tenant_id, "thirdParty": { "providers": self.providers } });
        if let Some(factors) = self
            .first_factors
            .clone()
            .or_else(|| self.factors_of_switches())
        {
            tenant["firstFactors"] = json!(factors);
        }
        if let Some(factors) = &self.required_secondary_factors {
            tenant["requiredSecondaryFactors"] = json!(factors);
        }
        tenant["coreConfig"] = Value::Object(self.core_config.clone());
        tenant
    }

    /// The v1 shape: a switch per login recipe; from CDI 5.0 the factors too (an empty list
    /// of first factors is left out).
    fn v1_json(&self, cdi: CdiVersion) -> Value {
        let enabled = |recipe| self.shows_enabled(recipe, cdi);
        let mut tenant = json!({
            "tenantId": self.tenant_id,
            "emailPassword": { "enabled": enabled(LoginRecipe::EmailPassword) },
            "thirdParty": { "enabled": enabled(LoginRecipe::ThirdParty), "providers": self.providers },
            "passwordless": { "enabled": enabled(LoginRecipe::Passwordless) },
        });
        if cdi.tenants_show_factors() {
            if let Some(factors) = self.first_factors.as_ref().filter(|f| !f.is_empty()) {
                tenant["firstFactors"] = json!(factors);
            }
            if let Some(factors) = &self.required_secondary_factors {
                tenant["requiredSecondaryFactors"] = json!(factors);
            }
        }
        tenant["coreConfig"] = Value::Object(self.core_config.clone());
        tenant
    }

    pub fn to_json(&self, shape: Shape, cdi: CdiVersion) -> Value {
        match shape {
            Shape::V1 => self.v1_json(cdi),
            Shape::V2 => self.v2_json(),
        }
    }

    pub fn apply(&mut self, update: &TenantUpdate) {
        match update {
            TenantUpdate::V2(factors) => self.apply_v2(factors),
            TenantUpdate::V1BeforeFactors(switches) => self.apply_v1_before_5_0(switches),
            TenantUpdate::V1 { switches, factors } => self.apply_v1(switches, factors),
        }
    }

    /// v2: the factors given replace the stored ones; setting either one hands the switches'
    /// say over to the factors.
    fn apply_v2(&mut self, update: &FactorsUpdate) {
        if update.first_factors == Update::Keep && update.required_secondary_factors == Update::Keep
        {
            return;
        }
        if self.first_factors.is_none() {
            self.first_factors = self.factors_of_switches();
        }
        self.recipes_enabled = [true; 3];
        self.set_factors(update);
    }

    fn set_factors(&mut self, update: &FactorsUpdate) {
        match &update.first_factors {
            Update::Keep => {}
            Update::Reset => self.first_factors = None,
            Update::Set(factors) => self.first_factors = Some(factors.clone()),
        }
        match &update.required_secondary_factors {
            Update::Keep => {}
            // An empty list requires nothing, which is what `None` says.
            Update::Reset => self.required_secondary_factors = None,
            Update::Set(factors) if factors.is_empty() => self.required_secondary_factors = None,
            Update::Set(factors) => self.required_secondary_factors = Some(factors.clone()),
        }
    }

    /// v1 before CDI 5.0: switching a recipe on adds its factors; switching one off (or a
    /// switch already off) is said by leaving its factors out. Switches are never turned off.
    fn apply_v1_before_5_0(&mut self, switches: &Switches) {
        for recipe in LoginRecipe::ALL {
            if switches[recipe.index()] == Some(true) && !self.enabled_before_5_0(recipe) {
                self.recipes_enabled[recipe.index()] = true;
                if let Some(factors) = &mut self.first_factors {
                    add_factors(factors, recipe);
                }
            }
        }
        let switched_off = |config: &Self, recipe: LoginRecipe| {
            !config.is_on(recipe) || switches[recipe.index()] == Some(false)
        };
        if LoginRecipe::ALL.iter().any(|r| switched_off(self, *r)) {
            let mut factors = self
                .first_factors
                .clone()
                .unwrap_or_else(|| ALL_LOGIN_FACTORS.map(String::from).to_vec());
            for recipe in LoginRecipe::ALL {
                if switched_off(self, recipe) {
                    factors.retain(|factor| !recipe.factors().contains(&factor.as_str()));
                }
            }
            self.first_factors = Some(factors);
        }
    }

    /// v1 from CDI 5.0: switches and factors both given; the factors a switch turns off go.
    fn apply_v1(&mut self, switches: &Switches, update: &FactorsUpdate) {
        let turned_on_while_off = LoginRecipe::ALL
            .into_iter()
            .any(|recipe| switches[recipe.index()] == Some(true) && !self.enabled_from_5_0(recipe));
        if turned_on_while_off && self.first_factors.as_ref().is_some_and(Vec::is_empty) {
            // "No login method" said by an empty list becomes switches off.
            self.recipes_enabled = [false; 3];
            self.first_factors = None;
        }
        let before = self.clone();
        for recipe in LoginRecipe::ALL {
            if let Some(on) = switches[recipe.index()] {
                self.recipes_enabled[recipe.index()] = on;
            }
        }
        let off = |recipe: LoginRecipe| switches[recipe.index()] == Some(false);
        if LoginRecipe::ALL.into_iter().any(off) {
            let keep = |factor: &String| !LoginRecipe::of_factor(factor).is_some_and(off);
            if update.first_factors == Update::Keep {
                if let Some(factors) = &mut self.first_factors {
                    factors.retain(keep);
                }
            }
            if update.required_secondary_factors == Update::Keep {
                if let Some(factors) = &mut self.required_secondary_factors {
                    factors.retain(keep);
                }
                if self
                    .required_secondary_factors
                    .as_ref()
                    .is_some_and(Vec::is_empty)
                {
                    self.required_secondary_factors = None;
                }
            }
        }
        self.set_factors(update);
        if let Update::Set(secondary) = &update.required_secondary_factors {
            // A recipe turned on only to serve as a second factor stays out of the first
            // factors.
            let newly_needed = secondary
                .iter()
                .filter_map(|f| LoginRecipe::of_factor(f))
                .any(|recipe| !before.is_on(recipe) && switches[recipe.index()] != Some(true));
            if update.first_factors == Update::Keep
                && before.first_factors.is_none()
                && newly_needed
            {
                let factors: Vec<String> = ALL_LOGIN_FACTORS
                    .iter()
                    .filter(|factor| {
                        LoginRecipe::of_factor(factor).is_some_and(|recipe| {
                            (before.is_on(recipe) || switches[recipe.index()] == Some(true))
                                && !off(recipe)
                        })
                    })
                    .map(|factor| factor.to_string())
                    .collect();
                if factors.len() < ALL_LOGIN_FACTORS.len() {
                    self.first_factors = Some(factors);
                }
            }
        }
        // Every factor in use needs its recipe on.
        let in_use: Vec<String> = self
            .first_factors
            .iter()
            .chain(&self.required_secondary_factors)
            .flatten()
            .cloned()
            .collect();
        for factor in in_use {
            if let Some(recipe) = LoginRecipe::of_factor(&factor) {
                self.recipes_enabled[recipe.index()] = true;
            }
        }
    }
}

fn add_factors(factors: &mut Vec<String>, recipe: LoginRecipe) {
    for factor in recipe.factors() {
        if !factors.iter().any(|known| known == factor) {
            factors.push(factor.to_string());
        }
    }
}

/// The v1 switches of a request, indexed by [`LoginRecipe`]; `None` when not given.
pub type Switches = [Option<bool>; 3];

/// A create-or-update of a tenant, checked.
#[derive(Debug)]
pub enum TenantUpdate {
    V2(FactorsUpdate),
    /// v1 before CDI 5.0: only the switches count.
    V1BeforeFactors(Switches),
    /// v1 from CDI 5.0.
    V1 {
        switches: Switches,
        factors: FactorsUpdate,
    },
}

impl TenantUpdate {
    /// Reads the update of `shape`'s API at `cdi` with upstream's checks, in its order.
    pub fn read(
        input: &crate::http::JsonInput,
        shape: Shape,
        cdi: CdiVersion,
    ) -> Result<Self, ApiError> {
        let factors = || {
            Ok::<_, ApiError>((
                input.str_array_update("firstFactors")?,
                input.str_array_update("requiredSecondaryFactors")?,
            ))
        };
        if shape == Shape::V2 {
            for recipe in LoginRecipe::ALL {
                if input.has(recipe.switch_field()) {
                    let name = match recipe {
                        LoginRecipe::EmailPassword => recipe.switch_field(),
                        _ => recipe.name(),
                    };
                    return Err(ApiError::bad_request(format!(
                        "{name} is not a valid input for this API"
                    )));
                }
            }
            let (first, secondary) = factors()?;
            return Ok(Self::V2(FactorsUpdate::new(first, secondary)?));
        }
        let mut switches: Switches = [None; 3];
        for recipe in LoginRecipe::ALL {
            switches[recipe.index()] = input.opt_bool(recipe.switch_field())?;
        }
        if !cdi.tenants_show_factors() {
            return Ok(Self::V1BeforeFactors(switches));
        }
        let (first, secondary) = factors()?;
        for (field, update, what) in [
            ("firstFactors", &first, "first factors"),
            (
                "requiredSecondaryFactors",
                &secondary,
                "required secondary factors",
            ),
        ] {
            if update == &Update::Set(Vec::new()) {
                return Err(ApiError::bad_request(format!(
                    "{field} cannot be empty. Set null instead to remove all {what}."
                )));
            }
        }
        let factors = FactorsUpdate::new(first, secondary)?;
        for recipe in LoginRecipe::ALL {
            if switches[recipe.index()] != Some(false) {
                continue;
            }
            for factor in recipe.factors() {
                for (field, update) in [
                    ("firstFactors", &factors.first_factors),
                    (
                        "requiredSecondaryFactors",
                        &factors.required_secondary_factors,
                    ),
                ] {
                    if matches!(update, Update::Set(list) if list.iter().any(|f| f == factor)) {
                        return Err(ApiError::bad_request(format!(
                            "Invalid core config: {field} should not contain '{factor}' because {} is disabled for the tenant.",
                            recipe.name()
                        )));
                    }
                }
            }
        }
        Ok(Self::V1 { switches, factors })
    }
}

/// The factor fields of a create-or-update, checked.
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
            recipes_enabled: [true; 3],
            first_factors: Some(first.iter().map(|f| f.to_string()).collect()),
            required_secondary_factors: Some(secondary.iter().map(|f| f.to_string()).collect()),
            providers: Vec::new(),
            core_config: Map::new(),
        }
    }

    fn list(items: &[&str]) -> Update<Vec<String>> {
        Update::Set(items.iter().map(|item| item.to_string()).collect())
    }

    fn strings(items: &[&str]) -> Option<Vec<String>> {
        Some(items.iter().map(|item| item.to_string()).collect())
    }

    const V4_0: CdiVersion = CdiVersion::new(4, 0);
    const V5_0: CdiVersion = CdiVersion::new(5, 0);

    fn v2(first: Update<Vec<String>>, secondary: Update<Vec<String>>) -> TenantUpdate {
        TenantUpdate::V2(FactorsUpdate::new(first, secondary).unwrap())
    }

    #[test]
    fn v1_switches_follow_the_first_factors_before_5_0() {
        let tenant = with_factors(&["otp-email"], &["totp"]).v1_json(V4_0);
        assert_eq!(tenant["emailPassword"]["enabled"], false);
        assert_eq!(tenant["thirdParty"]["enabled"], false);
        assert_eq!(tenant["passwordless"]["enabled"], true);
        assert!(tenant.get("firstFactors").is_none());
        assert!(tenant.get("requiredSecondaryFactors").is_none());
    }

    #[test]
    fn v1_shows_the_factors_from_5_0() {
        let tenant = with_factors(&["otp-email"], &["totp"]).v1_json(V5_0);
        assert_eq!(tenant["emailPassword"]["enabled"], true);
        assert_eq!(tenant["firstFactors"], json!(["otp-email"]));
        assert_eq!(tenant["requiredSecondaryFactors"], json!(["totp"]));
        let keys: Vec<&String> = tenant.as_object().unwrap().keys().collect();
        assert_eq!(keys.last().unwrap().as_str(), "coreConfig");
        let none_allowed = with_factors(&[], &[]).v1_json(V5_0);
        assert_eq!(none_allowed["emailPassword"]["enabled"], false);
        assert!(none_allowed.get("firstFactors").is_none());
    }

    #[test]
    fn recipes_are_gated_by_switches_and_first_factors_before_5_1() {
        let passwordless_only = with_factors(&["otp-email"], &[]);
        let gate = |cdi| passwordless_only.allows_recipe(LoginRecipe::EmailPassword, cdi);
        assert!(!gate(V4_0));
        assert!(gate(V5_0));
        assert!(gate(CdiVersion::new(5, 1)));
        let nothing = with_factors(&[], &[]);
        assert!(!nothing.allows_recipe(LoginRecipe::EmailPassword, V5_0));
        assert!(nothing.allows_recipe(LoginRecipe::EmailPassword, CdiVersion::new(5, 4)));
        let mut switched_off = TenantConfig::new("t1", Shape::V1, V5_0);
        assert!(!switched_off.allows_recipe(LoginRecipe::ThirdParty, V5_0));
        switched_off.recipes_enabled[LoginRecipe::ThirdParty.index()] = true;
        assert!(switched_off.allows_recipe(LoginRecipe::ThirdParty, V5_0));
    }

    #[test]
    fn v2_updates_keep_reset_or_set() {
        let mut tenant = TenantConfig::new("t1", Shape::V2, V5_0);
        assert_eq!(tenant.first_factors, Some(vec![]));
        assert_eq!(
            TenantConfig::new("public", Shape::V2, V4_0).first_factors,
            None
        );
        tenant.apply(&v2(list(&["emailpassword"]), list(&["totp"])));
        assert_eq!(tenant.first_factors, strings(&["emailpassword"]));
        tenant.apply(&v2(Update::Keep, list(&[])));
        assert_eq!(tenant.first_factors, strings(&["emailpassword"]));
        assert_eq!(tenant.required_secondary_factors, None);
        tenant.apply(&v2(Update::Reset, Update::Keep));
        assert_eq!(tenant.first_factors, None);
    }

    #[test]
    fn v2_takes_over_from_switches() {
        let mut tenant = TenantConfig::new("public", Shape::V1, V4_0);
        tenant.recipes_enabled[LoginRecipe::ThirdParty.index()] = false;
        // Shown as the factors the switches leave.
        assert_eq!(
            tenant.v2_json()["firstFactors"],
            json!([
                "emailpassword",
                "otp-email",
                "otp-phone",
                "link-email",
                "link-phone"
            ])
        );
        tenant.apply(&v2(Update::Keep, list(&["totp"])));
        assert_eq!(tenant.recipes_enabled, [true; 3]);
        assert_eq!(
            tenant.first_factors,
            strings(&[
                "emailpassword",
                "otp-email",
                "otp-phone",
                "link-email",
                "link-phone"
            ])
        );
    }

    #[test]
    fn v1_before_5_0_says_off_with_factors() {
        // Upstream's example: an app with everything on, third party switched off.
        let mut app = TenantConfig::new("public", Shape::V1, V4_0);
        app.apply(&TenantUpdate::V1BeforeFactors([None, Some(false), None]));
        assert_eq!(app.recipes_enabled, [true; 3]);
        assert_eq!(
            app.first_factors,
            strings(&[
                "emailpassword",
                "otp-email",
                "otp-phone",
                "link-email",
                "link-phone"
            ])
        );
        // A new tenant allows nothing until a recipe is switched on.
        let mut tenant = TenantConfig::new("t1", Shape::V1, V4_0);
        assert!(!tenant.allows_recipe(LoginRecipe::EmailPassword, V4_0));
        tenant.apply(&TenantUpdate::V1BeforeFactors([Some(true), None, None]));
        assert_eq!(tenant.first_factors, strings(&["emailpassword"]));
        assert!(tenant.allows_recipe(LoginRecipe::EmailPassword, V4_0));
        assert!(!tenant.allows_recipe(LoginRecipe::ThirdParty, V4_0));
    }

    fn v1(input: Value) -> Result<TenantUpdate, ApiError> {
        let input = crate::http::JsonInput::parse(input.to_string().as_bytes()).unwrap();
        TenantUpdate::read(&input, Shape::V1, V5_0)
    }

    fn message(result: Result<TenantUpdate, ApiError>) -> String {
        match result {
            Err(ApiError::BadRequest(message)) => message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn v1_from_5_0_checks_switches_against_factors() {
        assert_eq!(
            message(v1(json!({ "firstFactors": [] }))),
            "firstFactors cannot be empty. Set null instead to remove all first factors."
        );
        assert_eq!(
            message(v1(json!({ "thirdPartyEnabled": false, "requiredSecondaryFactors": ["thirdparty"] }))),
            "Invalid core config: requiredSecondaryFactors should not contain 'thirdparty' because thirdParty is disabled for the tenant."
        );
        let mut tenant = TenantConfig::new("t1", Shape::V1, V5_0);
        assert_eq!(tenant.recipes_enabled, [false; 3]);
        tenant.apply(&v1(json!({ "emailPasswordEnabled": true })).unwrap());
        assert_eq!(tenant.recipes_enabled, [true, false, false]);
        assert_eq!(tenant.first_factors, None);
        // Factors in use switch their recipes on.
        tenant.apply(&v1(json!({ "firstFactors": ["otp-email"] })).unwrap());
        assert!(tenant.is_on(LoginRecipe::Passwordless));
        // Switching off drops the recipe's factors.
        tenant.apply(
            &v1(json!({ "passwordlessEnabled": false, "emailPasswordEnabled": true })).unwrap(),
        );
        assert_eq!(tenant.first_factors, Some(vec![]));
        assert!(!tenant.is_on(LoginRecipe::Passwordless));
    }

    #[test]
    fn v2_refuses_the_switches() {
        let input = crate::http::JsonInput::parse(br#"{"thirdPartyEnabled": null}"#).unwrap();
        assert_eq!(
            message(TenantUpdate::read(&input, Shape::V2, V5_0)),
            "thirdParty is not a valid input for this API"
        );
    }

    #[test]
    fn factor_lists_are_checked_in_upstreams_order() {
        let error = |result: Result<FactorsUpdate, ApiError>| match result {
            Err(ApiError::BadRequest(message)) => message,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            error(FactorsUpdate::new(list(&["a b"]), list(&["x", "x"]))),
            "requiredSecondaryFactors input should not contain duplicate values"
        );
        assert_eq!(
            error(FactorsUpdate::new(list(&["a b"]), Update::Keep)),
            "firstFactors should contain only 0-9,a-z,A-Z,_,.,- characters"
        );
        assert!(FactorsUpdate::new(list(&["custom.factor_(1)-x"]), Update::Reset).is_ok());
    }

    #[test]
    fn a_tenant_without_settings_allows_everything_at_every_version() {
        let public = TenantConfig::new("public", Shape::V2, V5_0);
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

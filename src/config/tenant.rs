//! The settings an app or tenant may set for itself (the multitenancy APIs' `coreConfig`),
//! what each request runs with, and upstream's rules and texts for them: which keys must be
//! the same for every tenant of an app, which only the instance's own configuration sets.
//!
//! A tenant runs with the instance's settings, overlaid with its app's (the `coreConfig` of
//! the app's public tenant), then with its own.

use serde_json::{Map, Value};

use super::{Secret, Settings};

/// The settings that may differ between apps or tenants.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantSettings {
    /// Seconds.
    pub access_token_validity: i64,
    /// Read only by CDI versions before 2.21, which gatehouse does not serve: kept so that
    /// a `coreConfig` carrying it is accepted and read back.
    pub access_token_blacklisting: bool,
    /// Minutes.
    pub refresh_token_validity: f64,
    /// Milliseconds.
    pub password_reset_token_lifetime: i64,
    /// Milliseconds.
    pub email_verification_token_lifetime: i64,
    pub passwordless_max_code_input_attempts: i64,
    /// Milliseconds.
    pub passwordless_code_lifetime: i64,
    pub totp_max_attempts: i64,
    /// Seconds.
    pub totp_rate_limit_cooldown_sec: i64,
    /// Empty when the app's API is open.
    pub api_keys: Vec<String>,
    pub disable_telemetry: bool,
    /// `ARGON2` or `BCRYPT`, any case.
    pub password_hashing_alg: String,
    pub firebase_password_hashing_signer_key: Option<Secret>,
}

/// A refusal of a `coreConfig`, in upstream's words.
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid {
    pub key: &'static str,
    pub message: String,
}

impl Invalid {
    fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}

impl TenantSettings {
    /// The instance's values.
    pub fn of(settings: &Settings) -> Self {
        Self {
            access_token_validity: i64::try_from(settings.access_token_validity)
                .unwrap_or(i64::MAX),
            access_token_blacklisting: settings.access_token_blacklisting,
            refresh_token_validity: settings.refresh_token_validity,
            password_reset_token_lifetime: i64::try_from(settings.password_reset_token_lifetime)
                .unwrap_or(i64::MAX),
            email_verification_token_lifetime: i64::try_from(
                settings.email_verification_token_lifetime,
            )
            .unwrap_or(i64::MAX),
            passwordless_max_code_input_attempts: i64::from(
                settings.passwordless_max_code_input_attempts,
            ),
            passwordless_code_lifetime: i64::try_from(settings.passwordless_code_lifetime)
                .unwrap_or(i64::MAX),
            totp_max_attempts: i64::from(settings.totp_max_attempts),
            totp_rate_limit_cooldown_sec: i64::try_from(settings.totp_rate_limit_cooldown_sec)
                .unwrap_or(i64::MAX),
            api_keys: settings.api_key_list(),
            disable_telemetry: settings.disable_telemetry,
            password_hashing_alg: settings.password_hashing_alg.clone(),
            firebase_password_hashing_signer_key: settings
                .firebase_password_hashing_signer_key
                .clone(),
        }
    }

    pub fn access_token_validity_ms(&self) -> i64 {
        self.access_token_validity.saturating_mul(1000)
    }

    pub fn refresh_token_validity_ms(&self) -> i64 {
        (self.refresh_token_validity * 60_000.0) as i64
    }

    /// These settings with a stored `coreConfig` laid over them. Keys that are not settings
    /// of an app or tenant are skipped: a stored config was checked when it was saved.
    pub fn overlaid(&self, config: &Map<String, Value>) -> Result<Self, Invalid> {
        let mut settings = self.clone();
        for (key, value) in config {
            settings.set(key, value)?;
        }
        Ok(settings)
    }

    /// Sets one key from its JSON value, converted as upstream converts it (numbers and
    /// booleans may come as strings). `Ok(false)` when `key` is not a setting of an app or
    /// tenant. A null leaves the value alone.
    fn set(&mut self, key: &str, value: &Value) -> Result<bool, Invalid> {
        if value.is_null() {
            return Ok(is_tenant_key(key));
        }
        match key {
            "access_token_validity" => self.access_token_validity = long(ACCESS, value)?,
            "access_token_blacklisting" => {
                self.access_token_blacklisting = boolean("access_token_blacklisting", value)?
            }
            "refresh_token_validity" => self.refresh_token_validity = double(REFRESH, value)?,
            "password_reset_token_lifetime" => {
                self.password_reset_token_lifetime = long("password_reset_token_lifetime", value)?
            }
            "email_verification_token_lifetime" => {
                self.email_verification_token_lifetime =
                    long("email_verification_token_lifetime", value)?
            }
            "passwordless_max_code_input_attempts" => {
                self.passwordless_max_code_input_attempts =
                    long("passwordless_max_code_input_attempts", value)?
            }
            "passwordless_code_lifetime" => {
                self.passwordless_code_lifetime = long("passwordless_code_lifetime", value)?
            }
            "totp_max_attempts" => self.totp_max_attempts = long("totp_max_attempts", value)?,
            "totp_rate_limit_cooldown_sec" => {
                self.totp_rate_limit_cooldown_sec = long("totp_rate_limit_cooldown_sec", value)?
            }
            "api_keys" => self.api_keys = split_api_keys(&string("api_keys", value)?),
            "disable_telemetry" => self.disable_telemetry = boolean("disable_telemetry", value)?,
            "password_hashing_alg" => {
                self.password_hashing_alg = string("password_hashing_alg", value)?
            }
            "firebase_password_hashing_signer_key" => {
                self.firebase_password_hashing_signer_key = Some(Secret::new(string(
                    "firebase_password_hashing_signer_key",
                    value,
                )?))
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Upstream's checks of these values, in its order.
    pub fn validate(&self) -> Result<(), Invalid> {
        if !(1..=86_400_000).contains(&self.access_token_validity) {
            return Err(Invalid::new(
                ACCESS,
                "'access_token_validity' must be between 1 and 86400000 seconds inclusive.",
            ));
        }
        if self.refresh_token_validity * 60.0 <= self.access_token_validity as f64 {
            return Err(Invalid::new(
                REFRESH,
                "'refresh_token_validity' must be strictly greater than 'access_token_validity'.",
            ));
        }
        if self.password_reset_token_lifetime <= 0 {
            return Err(Invalid::new(
                "password_reset_token_lifetime",
                "'password_reset_token_lifetime' must be >= 0",
            ));
        }
        if self.email_verification_token_lifetime <= 0 {
            return Err(Invalid::new(
                "email_verification_token_lifetime",
                "'email_verification_token_lifetime' must be >= 0",
            ));
        }
        if self.passwordless_code_lifetime <= 0 {
            return Err(Invalid::new(
                "passwordless_code_lifetime",
                "'passwordless_code_lifetime' must be > 0",
            ));
        }
        if self.passwordless_max_code_input_attempts <= 0 {
            return Err(Invalid::new(
                "passwordless_max_code_input_attempts",
                "'passwordless_max_code_input_attempts' must be > 0",
            ));
        }
        if self.totp_max_attempts <= 0 {
            return Err(Invalid::new(
                "totp_max_attempts",
                "'totp_max_attempts' must be > 0",
            ));
        }
        if self.totp_rate_limit_cooldown_sec <= 0 {
            return Err(Invalid::new(
                "totp_rate_limit_cooldown_sec",
                "'totp_rate_limit_cooldown_sec' must be > 0",
            ));
        }
        for key in &self.api_keys {
            if key.len() < 20 {
                return Err(Invalid::new(
                    "api_keys",
                    "One of the API keys is too short. Please use at least 20 characters",
                ));
            }
            if !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '=' || c == '-')
            {
                return Err(Invalid::new(
                    "api_keys",
                    "Invalid characters in API key. Please only use '=', '-' and alpha-numeric (including capitals)",
                ));
            }
        }
        if !matches!(
            self.password_hashing_alg.to_ascii_uppercase().as_str(),
            "ARGON2" | "BCRYPT"
        ) {
            return Err(Invalid::new(
                "password_hashing_alg",
                "'password_hashing_alg' must be one of 'ARGON2' or 'BCRYPT'",
            ));
        }
        Ok(())
    }

    /// The values that are not secrets, by key (what the dashboard may show).
    pub fn public_values(&self) -> Map<String, Value> {
        let values = serde_json::json!({
            ACCESS: self.access_token_validity,
            "access_token_blacklisting": self.access_token_blacklisting,
            REFRESH: self.refresh_token_validity,
            "password_reset_token_lifetime": self.password_reset_token_lifetime,
            "email_verification_token_lifetime": self.email_verification_token_lifetime,
            "passwordless_max_code_input_attempts": self.passwordless_max_code_input_attempts,
            "passwordless_code_lifetime": self.passwordless_code_lifetime,
            "totp_max_attempts": self.totp_max_attempts,
            "totp_rate_limit_cooldown_sec": self.totp_rate_limit_cooldown_sec,
            "disable_telemetry": self.disable_telemetry,
            "password_hashing_alg": self.password_hashing_alg,
        });
        match values {
            Value::Object(map) => map,
            _ => unreachable!("a JSON object literal"),
        }
    }

    /// Whether a key may differ between the tenants of one app.
    pub fn differs_across_tenants(key: &str) -> bool {
        matches!(
            key,
            "password_reset_token_lifetime"
                | "email_verification_token_lifetime"
                | "passwordless_max_code_input_attempts"
                | "passwordless_code_lifetime"
                | "totp_max_attempts"
                | "totp_rate_limit_cooldown_sec"
        )
    }

    /// The first key that must be the same for every tenant of an app and is not, in
    /// upstream's order.
    fn first_app_wide_difference(&self, other: &Self) -> Option<&'static str> {
        [
            (
                ACCESS,
                self.access_token_validity != other.access_token_validity,
            ),
            (
                "access_token_blacklisting",
                self.access_token_blacklisting != other.access_token_blacklisting,
            ),
            (
                REFRESH,
                self.refresh_token_validity != other.refresh_token_validity,
            ),
            ("api_keys", self.api_keys != other.api_keys),
            (
                "disable_telemetry",
                self.disable_telemetry != other.disable_telemetry,
            ),
            (
                "password_hashing_alg",
                self.password_hashing_alg != other.password_hashing_alg,
            ),
            (
                "firebase_password_hashing_signer_key",
                self.firebase_password_hashing_signer_key
                    != other.firebase_password_hashing_signer_key,
            ),
        ]
        .into_iter()
        .find_map(|(key, differs)| differs.then_some(key))
    }
}

const ACCESS: &str = "access_token_validity";
const REFRESH: &str = "refresh_token_validity";

/// The keys of [`TenantSettings`], as `coreConfig` names them.
const TENANT_KEYS: [&str; 13] = [
    ACCESS,
    "access_token_blacklisting",
    REFRESH,
    "password_reset_token_lifetime",
    "email_verification_token_lifetime",
    "passwordless_max_code_input_attempts",
    "passwordless_code_lifetime",
    "totp_max_attempts",
    "totp_rate_limit_cooldown_sec",
    "api_keys",
    "disable_telemetry",
    "password_hashing_alg",
    "firebase_password_hashing_signer_key",
];

fn is_tenant_key(key: &str) -> bool {
    TENANT_KEYS.contains(&key)
}

/// The keys of a comma-separated list, trimmed, empty ones dropped.
pub fn split_api_keys(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(String::from)
        .collect()
}

fn type_error(key: &'static str, java_type: &str) -> Invalid {
    Invalid::new(key, format!("'{key}' must be of type {java_type}"))
}

/// A JSON number, or a string holding one.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn long(key: &'static str, value: &Value) -> Result<i64, Invalid> {
    if let Some(whole) = value.as_i64() {
        return Ok(whole);
    }
    match value {
        Value::String(text) => text.trim().parse::<i64>().ok(),
        _ => None,
    }
    .or_else(|| {
        number(value)
            .filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15)
            .map(|n| n as i64)
    })
    .ok_or_else(|| type_error(key, "long"))
}

fn double(key: &'static str, value: &Value) -> Result<f64, Invalid> {
    number(value)
        .filter(|n| n.is_finite())
        .ok_or_else(|| type_error(key, "double"))
}

fn boolean(key: &'static str, value: &Value) -> Result<bool, Invalid> {
    match value {
        Value::Bool(flag) => Ok(*flag),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(type_error(key, "boolean")),
    }
}

fn string(key: &'static str, value: &Value) -> Result<String, Invalid> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        _ => Err(type_error(key, "String")),
    }
}

/// `current` with `update` applied: a null removes its key, anything else sets it.
pub fn merge(current: &Map<String, Value>, update: &Map<String, Value>) -> Map<String, Value> {
    let mut merged = current.clone();
    for (key, value) in update {
        if value.is_null() {
            merged.remove(key);
        } else {
            merged.insert(key.clone(), value.clone());
        }
    }
    merged
}

/// Where the config being checked sits.
pub struct Placement<'a> {
    /// The `coreConfig` of the app's public tenant; `None` when the config checked is it.
    pub app: Option<&'a Map<String, Value>>,
    /// The `coreConfig` of the app's other tenants (all but the app's public tenant and the
    /// one checked).
    pub other_tenants: &'a [Map<String, Value>],
}

/// Upstream's checks of a tenant's (or, without `placement.app`, an app's) new `coreConfig`,
/// in its order: unknown keys, the values the tenant would run with, keys that must agree
/// across the app, keys only the instance's own configuration sets. The error is the text
/// after `Invalid core config: `.
pub fn check(
    instance: &TenantSettings,
    config: &Map<String, Value>,
    placement: &Placement,
) -> Result<(), String> {
    let instance_keys = Settings::keys();
    if let Some(key) = config.keys().find(|key| !instance_keys.contains(*key)) {
        return Err(format!("Invalid config key: {key}"));
    }
    let invalid = |error: Invalid| error.message;
    let app = match placement.app {
        Some(app) => instance.overlaid(app).map_err(invalid)?,
        None => instance.clone(),
    };
    let own = app.overlaid(config).map_err(invalid)?;
    own.validate().map_err(invalid)?;
    // Every other tenant of the app, as it would run after this change.
    let others = match placement.app {
        Some(_) => vec![app],
        None => placement
            .other_tenants
            .iter()
            .map(|tenant| own.overlaid(tenant))
            .collect::<Result<_, _>>()
            .map_err(invalid)?,
    };
    if let Some(key) = others
        .iter()
        .find_map(|other| other.first_app_wide_difference(&own))
    {
        return Err(format!(
            "You cannot set different values for {key} for the same appId"
        ));
    }
    if let Some(key) = config.keys().find(|key| !is_tenant_key(key)) {
        return Err(format!(
            "{key} can only be set via the core's base config setting"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().expect("an object").clone()
    }

    fn instance() -> TenantSettings {
        TenantSettings::of(&Settings::default())
    }

    fn check_tenant(app: Value, tenant: Value) -> Result<(), String> {
        let app = map(app);
        let placement = Placement {
            app: Some(&app),
            other_tenants: &[],
        };
        check(&instance(), &map(tenant), &placement)
    }

    #[test]
    fn converts_values_as_upstream_does() {
        let settings = instance()
            .overlaid(&map(json!({
                "access_token_validity": "120",
                "refresh_token_validity": "3.5",
                "access_token_blacklisting": "TRUE",
                "password_hashing_alg": "argon2",
                "api_keys": " aaaaaaaaaaaaaaaaaaaaaaaa , bbbbbbbbbbbbbbbbbbbbbbbb ",
            })))
            .unwrap();
        assert_eq!(settings.access_token_validity, 120);
        assert_eq!(settings.refresh_token_validity, 3.5);
        assert!(settings.access_token_blacklisting);
        assert_eq!(settings.password_hashing_alg, "argon2");
        assert_eq!(
            settings.api_keys,
            ["aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb"]
        );
        for (config, message) in [
            (
                json!({ "access_token_validity": 1.5 }),
                "'access_token_validity' must be of type long",
            ),
            (
                json!({ "access_token_validity": "soon" }),
                "'access_token_validity' must be of type long",
            ),
            (
                json!({ "refresh_token_validity": true }),
                "'refresh_token_validity' must be of type double",
            ),
            (
                json!({ "disable_telemetry": "yes" }),
                "'disable_telemetry' must be of type boolean",
            ),
            (
                json!({ "password_hashing_alg": ["BCRYPT"] }),
                "'password_hashing_alg' must be of type String",
            ),
        ] {
            assert_eq!(
                instance().overlaid(&map(config)).unwrap_err().message,
                message
            );
        }
    }

    #[test]
    fn refuses_in_upstreams_order_and_words() {
        for (tenant, message) in [
            (
                json!({ "no_such_key": 1, "port": 1 }),
                "Invalid config key: no_such_key",
            ),
            (
                json!({ "port": 1, "access_token_validity": 0 }),
                "'access_token_validity' must be between 1 and 86400000 seconds inclusive.",
            ),
            (
                json!({ "access_token_validity": 9000 }),
                "You cannot set different values for access_token_validity for the same appId",
            ),
            (
                json!({ "port": 4000 }),
                "port can only be set via the core's base config setting",
            ),
            (
                json!({ "postgresql_connection_uri": "postgresql://x" }),
                "postgresql_connection_uri can only be set via the core's base config setting",
            ),
            (
                json!({ "email_verification_token_lifetime": -1 }),
                "'email_verification_token_lifetime' must be >= 0",
            ),
            (
                json!({ "api_keys": "short" }),
                "One of the API keys is too short. Please use at least 20 characters",
            ),
        ] {
            assert_eq!(check_tenant(json!({}), tenant).unwrap_err(), message);
        }
        // The app's value may be repeated; tenant-level keys may differ.
        check_tenant(
            json!({ "access_token_validity": 9000 }),
            json!({ "access_token_validity": "9000", "password_reset_token_lifetime": 5 }),
        )
        .unwrap();
        // The refresh rule sees the app's value under the tenant's.
        assert_eq!(
            check_tenant(json!({ "refresh_token_validity": 1 }), json!({})).unwrap_err(),
            "'refresh_token_validity' must be strictly greater than 'access_token_validity'."
        );
    }

    #[test]
    fn an_app_change_must_agree_with_its_tenants() {
        let pinned = map(json!({ "access_token_validity": 60 }));
        let free = map(json!({ "email_verification_token_lifetime": 5 }));
        let app_change = |config: Value, others: &[Map<String, Value>]| {
            let placement = Placement {
                app: None,
                other_tenants: others,
            };
            check(&instance(), &map(config), &placement)
        };
        let change = json!({ "access_token_validity": 120 });
        app_change(change.clone(), std::slice::from_ref(&free)).unwrap();
        assert_eq!(
            app_change(change, &[free, pinned.clone()]).unwrap_err(),
            "You cannot set different values for access_token_validity for the same appId"
        );
        app_change(json!({ "access_token_validity": 60 }), &[pinned]).unwrap();
    }

    #[test]
    fn every_tenant_key_is_a_setting() {
        for key in TENANT_KEYS {
            assert!(Settings::keys().contains(key), "{key}");
            let taken = instance().set(key, &json!("1")).map_or(true, |known| known);
            assert!(taken, "{key}");
        }
        assert_eq!(instance().set("port", &json!(1)), Ok(false));
    }

    #[test]
    fn null_removes_a_key() {
        let current = map(json!({ "api_keys": "a", "access_token_validity": 5 }));
        let merged = merge(&current, &map(json!({ "api_keys": null, "x": null })));
        assert_eq!(Value::Object(merged), json!({ "access_token_validity": 5 }));
    }
}

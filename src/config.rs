//! Configuration: defaults, then `config.yaml`, then one environment variable per key (the key
//! in upper case, as the SuperTokens docker image does it), then command-line flags.
//!
//! Key names, meanings and defaults follow the SuperTokens core so that an existing
//! `config.yaml` keeps working. Everything is validated once at start-up; the server never
//! starts on a value it would have to reject later.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, Serializer};

mod tenant;
pub use tenant::{
    check as check_core_config, merge as merge_core_config, Placement, TenantSettings,
};

/// A value that must never reach a log line or an error body.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("[redacted]")
    }
}

/// Every key gatehouse understands. Field names are the config keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// 0 picks a free port; the start-up line says which.
    pub port: u16,
    pub host: String,
    /// Comma-separated list; empty means the API is open.
    pub api_keys: Option<Secret>,
    pub log_level: String,
    /// Worker threads of the HTTP server.
    pub max_server_pool_size: usize,
    /// A prefix every API path is served under (for example `/auth-core`).
    pub base_path: String,
    pub disable_telemetry: bool,
    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT.
    pub shutdown_grace_period_seconds: u64,

    /// Seconds.
    pub access_token_validity: u64,
    pub access_token_blacklisting: bool,
    /// Minutes.
    pub refresh_token_validity: f64,
    /// Hours.
    pub access_token_dynamic_signing_key_update_interval: f64,
    /// Milliseconds.
    pub password_reset_token_lifetime: u64,
    /// Milliseconds.
    pub email_verification_token_lifetime: u64,
    /// Wrong passwordless codes a sign-in may have before it has to start again.
    pub passwordless_max_code_input_attempts: u32,
    /// Milliseconds.
    pub passwordless_code_lifetime: u64,
    /// Failed TOTP codes in a row after which a user must wait out the cool-down.
    pub totp_max_attempts: u32,
    /// Seconds.
    pub totp_rate_limit_cooldown_sec: u64,

    pub password_hashing_alg: String,
    pub argon2_iterations: u32,
    pub argon2_memory_kb: u32,
    pub argon2_parallelism: u32,
    pub argon2_hashing_pool_size: usize,
    pub bcrypt_log_rounds: u32,
    pub firebase_password_hashing_signer_key: Option<Secret>,
    pub firebase_password_hashing_pool_size: usize,

    /// Failed dashboard sign-ins of one email within the window after which further
    /// attempts are refused (still as `INVALID_CREDENTIALS_ERROR`) until the window passes.
    pub dashboard_signin_max_failed_attempts: u32,
    /// Seconds; at most one day.
    pub dashboard_signin_throttle_window_seconds: u64,

    /// Path of the embedded SQLite database, used when no PostgreSQL key is set.
    /// `:memory:` gives a throwaway database (development mode).
    pub sqlite_path: String,
    pub postgresql_connection_uri: Option<Secret>,
    pub postgresql_host: Option<String>,
    pub postgresql_port: Option<u16>,
    pub postgresql_user: Option<String>,
    pub postgresql_password: Option<Secret>,
    pub postgresql_database_name: Option<String>,
    pub postgresql_connection_pool_size: u32,
    /// libpq's `sslmode`, when the connection URI does not set one.
    pub postgresql_sslmode: Option<String>,
    /// libpq's `sslrootcert`, when the connection URI does not set one.
    pub postgresql_sslrootcert: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            port: 3567,
            host: "localhost".into(),
            api_keys: None,
            log_level: "INFO".into(),
            max_server_pool_size: 10,
            base_path: String::new(),
            disable_telemetry: false,
            shutdown_grace_period_seconds: 30,
            access_token_validity: 3600,
            access_token_blacklisting: false,
            refresh_token_validity: 144_000.0,
            access_token_dynamic_signing_key_update_interval: 168.0,
            password_reset_token_lifetime: 3_600_000,
            email_verification_token_lifetime: 24 * 3_600_000,
            passwordless_max_code_input_attempts: 5,
            passwordless_code_lifetime: 900_000,
            totp_max_attempts: 5,
            totp_rate_limit_cooldown_sec: 900,
            password_hashing_alg: "BCRYPT".into(),
            argon2_iterations: 1,
            argon2_memory_kb: 87795,
            argon2_parallelism: 2,
            argon2_hashing_pool_size: 1,
            bcrypt_log_rounds: 11,
            firebase_password_hashing_signer_key: None,
            firebase_password_hashing_pool_size: 1,
            dashboard_signin_max_failed_attempts: 5,
            dashboard_signin_throttle_window_seconds: 900,
            sqlite_path: "./gatehouse.db".into(),
            postgresql_connection_uri: None,
            postgresql_host: None,
            postgresql_port: None,
            postgresql_user: None,
            postgresql_password: None,
            postgresql_database_name: None,
            postgresql_connection_pool_size: 10,
            postgresql_sslmode: None,
            postgresql_sslrootcert: None,
        }
    }
}

/// libpq's TLS modes, which the driver understands.
const SSL_MODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// Where the data lives, resolved from the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    Sqlite { path: String },
    Postgres,
}

/// Values given on the command line; they win over the file and the environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub port: Option<u16>,
    pub host: Option<String>,
}

/// The result of loading: the settings, plus warnings to log once logging is up.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads `path` (optional unless `path_was_given`), the environment and the overrides.
    pub fn load(
        path: &Path,
        path_was_given: bool,
        env: impl Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> Result<Loaded, ConfigError> {
        if path_was_given && !path.exists() {
            return Err(ConfigError(format!(
                "config file {} does not exist",
                path.display()
            )));
        }
        let known = Self::keys();
        let file = config::File::from(PathBuf::from(path))
            .format(config::FileFormat::Yaml)
            .required(false);
        let mut builder = config::Config::builder().add_source(file.clone());
        for key in &known {
            if let Some(value) = env_value(key, &env)? {
                builder = builder
                    .set_override(key.as_str(), value)
                    .map_err(describe)?;
            }
        }
        if let Some(port) = overrides.port {
            builder = builder.set_override("port", port).map_err(describe)?;
        }
        if let Some(host) = &overrides.host {
            builder = builder
                .set_override("host", host.as_str())
                .map_err(describe)?;
        }
        let merged = builder.build().map_err(describe)?;

        let from_file: BTreeMap<String, config::Value> = config::Config::builder()
            .add_source(file)
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(describe)?;
        let warnings = from_file
            .keys()
            .filter(|key| !known.contains(*key))
            .map(|key| format!("config key `{key}` is not used by gatehouse and was ignored"))
            .collect();

        let mut settings: Settings = merged.try_deserialize().map_err(describe)?;
        settings.validate()?;
        settings.base_path = normalise_base_path(&settings.base_path);
        Ok(Loaded { settings, warnings })
    }

    /// The names of all supported keys, taken from the struct itself so the list cannot drift.
    pub fn keys() -> BTreeSet<String> {
        match serde_json::to_value(Settings::default()) {
            Ok(serde_json::Value::Object(map)) => map.into_iter().map(|(key, _)| key).collect(),
            _ => unreachable!("Settings serialises to a JSON object"),
        }
    }

    /// Upstream's checks and messages, prefixed with the key so the line says what to fix.
    fn validate(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, rule: &str| Err(ConfigError(format!("config key `{key}`: {rule}")));
        if let Err(invalid) = TenantSettings::of(self).validate() {
            return fail(invalid.key, &invalid.message);
        }
        if log_filter_level(&self.log_level).is_none() {
            return fail(
                "log_level",
                "'log_level' config must be one of \"NONE\",\"DEBUG\", \"INFO\", \"WARN\" or \"ERROR\".",
            );
        }
        if self.max_server_pool_size == 0 {
            return fail(
                "max_server_pool_size",
                "'max_server_pool_size' must be >= 1.",
            );
        }
        if self.base_path.contains(' ') {
            return fail("base_path", "Invalid characters in base_path config");
        }
        if self.access_token_dynamic_signing_key_update_interval < 1.0 {
            return fail(
                "access_token_dynamic_signing_key_update_interval",
                "'access_token_dynamic_signing_key_update_interval' must be greater than, equal to 1 hour.",
            );
        }
        for (key, value) in [
            ("argon2_iterations", self.argon2_iterations as usize),
            ("argon2_memory_kb", self.argon2_memory_kb as usize),
            ("argon2_parallelism", self.argon2_parallelism as usize),
            ("argon2_hashing_pool_size", self.argon2_hashing_pool_size),
            (
                "firebase_password_hashing_pool_size",
                self.firebase_password_hashing_pool_size,
            ),
        ] {
            if value == 0 {
                return fail(key, &format!("'{key}' must be >= 1"));
            }
        }
        if !(4..=31).contains(&self.bcrypt_log_rounds) {
            return fail(
                "bcrypt_log_rounds",
                "'bcrypt_log_rounds' must be between 4 and 31",
            );
        }
        if !(1..=3600).contains(&self.shutdown_grace_period_seconds) {
            return fail(
                "shutdown_grace_period_seconds",
                "must be between 1 and 3600 seconds",
            );
        }
        if self.dashboard_signin_max_failed_attempts == 0 {
            return fail(
                "dashboard_signin_max_failed_attempts",
                "must be a positive number",
            );
        }
        if !(1..=86_400).contains(&self.dashboard_signin_throttle_window_seconds) {
            return fail(
                "dashboard_signin_throttle_window_seconds",
                "must be between 1 and 86400 seconds",
            );
        }
        if self.sqlite_path.trim().is_empty() {
            return fail("sqlite_path", "must be a file path or :memory:");
        }
        if let Some(mode) = &self.postgresql_sslmode {
            if !SSL_MODES.contains(&mode.as_str()) {
                return fail(
                    "postgresql_sslmode",
                    "must be one of disable, allow, prefer, require, verify-ca, verify-full",
                );
            }
        }
        if self.postgresql_connection_pool_size == 0 {
            return fail(
                "postgresql_connection_pool_size",
                "'postgresql_connection_pool_size' in the config.yaml file must be > 0",
            );
        }
        if let Some(uri) = &self.postgresql_connection_uri {
            if url::Url::parse(uri.expose()).is_err() {
                return fail(
                    "postgresql_connection_uri",
                    "The provided postgresql connection URI has an incorrect format. Please use a format like \
                     postgresql://[user[:[password]]@]host[:port][/dbname][?attr1=val1&attr2=val2...",
                );
            }
        }
        Ok(())
    }

    /// The configured API keys; empty when the API is open.
    pub fn api_key_list(&self) -> Vec<String> {
        self.api_keys
            .as_ref()
            .map(|keys| tenant::split_api_keys(keys.expose()))
            .unwrap_or_default()
    }

    /// A throwaway in-memory database: development mode, where every paid feature is on
    /// (as upstream's in-memory mode).
    pub fn is_development(&self) -> bool {
        self.storage()
            == Storage::Sqlite {
                path: ":memory:".into(),
            }
    }

    /// PostgreSQL as soon as any of its connection keys is set, the embedded file otherwise.
    pub fn storage(&self) -> Storage {
        let postgres = self.postgresql_connection_uri.is_some()
            || self.postgresql_host.is_some()
            || self.postgresql_port.is_some()
            || self.postgresql_user.is_some()
            || self.postgresql_password.is_some()
            || self.postgresql_database_name.is_some();
        if postgres {
            Storage::Postgres
        } else {
            Storage::Sqlite {
                path: self.sqlite_path.clone(),
            }
        }
    }

    /// The tracing filter for `log_level`; the libraries' own chatter (sqlx's per-query lines,
    /// actix's worker start-up) stays quiet.
    pub fn log_filter(&self) -> String {
        let level = log_filter_level(&self.log_level).unwrap_or("info");
        format!("{level},sqlx=warn,actix_server=warn,actix_web=warn")
    }
}

/// Secret keys that may also be given as `<KEY>_FILE`, the path of a file holding the value
/// (how Docker and Kubernetes hand out secrets without putting them in the environment).
const FILE_KEYS: [&str; 4] = [
    "api_keys",
    "firebase_password_hashing_signer_key",
    "postgresql_connection_uri",
    "postgresql_password",
];

/// The environment's value for `key`, if any. Errors name the variable, never the value.
fn env_value(
    key: &str,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, ConfigError> {
    let set = |name: &str| env(name).filter(|value| !value.is_empty());
    let upper = key.to_uppercase();
    let mut value = set(&upper);
    // The official image also knows `port` and `host` as SUPERTOKENS_PORT/_HOST.
    if value.is_none() && matches!(key, "port" | "host") {
        value = set(&format!("SUPERTOKENS_{upper}"));
    }
    if !FILE_KEYS.contains(&key) {
        return Ok(value);
    }
    let file_variable = format!("{upper}_FILE");
    let Some(path) = set(&file_variable) else {
        return Ok(value);
    };
    if value.is_some() {
        return Err(ConfigError(format!(
            "both {upper} and {file_variable} are set; set only one"
        )));
    }
    let contents = std::fs::read_to_string(&path)
        .map_err(|error| ConfigError(format!("{file_variable}: cannot read {path}: {error}")))?;
    // Files written by editors and `echo` end in a newline that is not part of the secret.
    let contents = contents.trim_end_matches(['\r', '\n']);
    if contents.is_empty() {
        // Unlike an empty variable, an empty secret file is a mistake: for `api_keys` it
        // would silently open the API.
        return Err(ConfigError(format!("{file_variable}: {path} is empty")));
    }
    Ok(Some(contents.to_string()))
}

fn log_filter_level(log_level: &str) -> Option<&'static str> {
    Some(match log_level.to_ascii_uppercase().as_str() {
        "DEBUG" => "debug",
        "INFO" => "info",
        "WARN" => "warn",
        "ERROR" => "error",
        "NONE" => "off",
        _ => return None,
    })
}

/// `auth//core/` → `/auth/core`; `/` and empty → empty (no base path).
fn normalise_base_path(base_path: &str) -> String {
    let segments: Vec<&str> = base_path
        .split('/')
        .filter(|part| !part.is_empty())
        .collect();
    if segments.is_empty() {
        String::new()
    } else {
        format!("/{}", segments.join("/")).to_lowercase()
    }
}

fn describe(error: config::ConfigError) -> ConfigError {
    ConfigError(error.to_string())
}

//! Loading and validating configuration: file, environment, flags.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gatehouse::config::{Overrides, Settings, Storage};

/// A config file that lives as long as the test.
struct ConfigFile(PathBuf);

impl ConfigFile {
    fn new(contents: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("gatehouse-config-{}.yaml", uuid::Uuid::new_v4()));
        std::fs::write(&path, contents).unwrap();
        Self(path)
    }
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn load(file: &str, env: &[(&str, &str)]) -> Result<gatehouse::config::Loaded, String> {
    let file = ConfigFile::new(file);
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::load(
        &file.0,
        true,
        |name| env.get(name).cloned(),
        &Overrides::default(),
    )
    .map_err(|e| e.to_string())
}

fn error(file: &str, env: &[(&str, &str)]) -> String {
    load(file, env).expect_err("the configuration is refused")
}

#[test]
fn defaults_are_upstreams() {
    let settings = load("", &[]).unwrap().settings;
    assert_eq!(settings.port, 3567);
    assert_eq!(settings.host, "localhost");
    assert!(settings.api_key_list().is_empty());
    assert_eq!(settings.access_token_validity, 3600);
    assert_eq!(settings.refresh_token_validity, 144000.0);
    assert_eq!(settings.password_hashing_alg, "BCRYPT");
    assert_eq!(settings.argon2_memory_kb, 87795);
    assert_eq!(settings.bcrypt_log_rounds, 11);
    assert_eq!(settings.password_reset_token_lifetime, 3_600_000);
    assert_eq!(settings.email_verification_token_lifetime, 86_400_000);
    assert_eq!(settings.postgresql_connection_pool_size, 10);
    assert_eq!(
        settings.storage(),
        Storage::Sqlite {
            path: "./gatehouse.db".into()
        }
    );
}

#[test]
fn the_shipped_config_documents_every_key_and_loads_clean() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.yaml");
    let text = std::fs::read_to_string(&shipped).unwrap();
    for key in Settings::keys() {
        assert!(
            text.contains(&format!("# {key}:\n")),
            "config.yaml does not document `{key}`"
        );
    }
    let loaded = Settings::load(&shipped, true, |_| None, &Overrides::default()).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.settings.port, Settings::default().port);
}

#[test]
fn environment_beats_file_and_flags_beat_both() {
    let file = ConfigFile::new("port: 4000\nhost: 0.0.0.0\nlog_level: warn\n");
    let env: HashMap<&str, &str> = [
        ("PORT", "5000"),
        ("API_KEYS", "abcdefghijklmnopqrstuvwxyz"),
        ("LOG_LEVEL", ""),
    ]
    .into();
    let get = |name: &str| env.get(name).map(|v| v.to_string());
    let settings = Settings::load(&file.0, true, get, &Overrides::default())
        .unwrap()
        .settings;
    assert_eq!(settings.port, 5000);
    assert_eq!(settings.host, "0.0.0.0");
    assert_eq!(
        settings.log_level, "warn",
        "an empty variable does not override"
    );
    assert_eq!(settings.api_key_list(), ["abcdefghijklmnopqrstuvwxyz"]);

    let overrides = Overrides {
        port: Some(6000),
        host: Some("127.0.0.1".into()),
    };
    let settings = Settings::load(&file.0, true, get, &overrides)
        .unwrap()
        .settings;
    assert_eq!((settings.port, settings.host.as_str()), (6000, "127.0.0.1"));
}

#[test]
fn the_docker_image_names_for_port_and_host_work() {
    let settings = load(
        "",
        &[
            ("SUPERTOKENS_PORT", "7000"),
            ("SUPERTOKENS_HOST", "0.0.0.0"),
        ],
    )
    .unwrap()
    .settings;
    assert_eq!((settings.port, settings.host.as_str()), (7000, "0.0.0.0"));
}

#[test]
fn unknown_keys_are_warnings() {
    let loaded = load(
        "port: 3600\noauth_provider_public_service_url: x\nmade_up: true\npasswordless_code_lifetime: 5\n",
        &[],
    )
    .unwrap();
    assert_eq!(loaded.settings.port, 3600);
    assert_eq!(loaded.settings.passwordless_code_lifetime, 5);
    assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
    assert!(loaded.warnings.iter().any(|w| w.contains("`made_up`")));
}

#[test]
fn invalid_values_name_the_key() {
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        ("api_keys: short", &[], "config key `api_keys`: One of the API keys is too short. Please use at least 20 characters"),
        ("", &[("API_KEYS", "abcdefghijklmnopqrstuvwxyz,has space in it at all")], "config key `api_keys`: Invalid characters in API key"),
        ("api_keys: abcdefghijklmnopqrstu_wxyz", &[], "Invalid characters in API key. Please only use '=', '-' and alpha-numeric (including capitals)"),
        ("log_level: LOUD", &[], "config key `log_level`: 'log_level' config must be one of"),
        ("access_token_validity: 0", &[], "config key `access_token_validity`"),
        ("access_token_validity: 7200\nrefresh_token_validity: 60", &[], "config key `refresh_token_validity`"),
        ("password_hashing_alg: MD5", &[], "'password_hashing_alg' must be one of 'ARGON2' or 'BCRYPT'"),
        ("bcrypt_log_rounds: 40", &[], "config key `bcrypt_log_rounds`"),
        ("argon2_memory_kb: 0", &[], "'argon2_memory_kb' must be >= 1"),
        ("access_token_dynamic_signing_key_update_interval: 0.5", &[], "must be greater than, equal to 1 hour"),
        ("postgresql_connection_pool_size: 0", &[], "config key `postgresql_connection_pool_size`"),
        ("base_path: /a b", &[], "Invalid characters in base_path config"),
        ("", &[("POSTGRESQL_CONNECTION_URI", "not a uri")], "config key `postgresql_connection_uri`"),
        ("port: not-a-number", &[], "port"),
        ("", &[("PORT", "99999")], "port"),
    ];
    for (file, env, expected) in cases {
        let message = error(file, env);
        assert!(message.contains(expected), "{file:?} {env:?}: {message}");
        assert_eq!(message.lines().count(), 1, "one line: {message}");
    }
}

#[test]
fn secrets_stay_out_of_errors_and_debug_output() {
    let message = error(
        "",
        &[(
            "POSTGRESQL_CONNECTION_URI",
            "postgresql://u:sekrit-pass@[bad/db",
        )],
    );
    assert!(!message.contains("sekrit-pass"), "{message}");
    let settings = load(
        "postgresql_password: sekrit-pass\napi_keys: abcdefghijklmnopqrstuvwxyz\n",
        &[],
    )
    .unwrap()
    .settings;
    let debug = format!("{settings:?}");
    assert!(
        !debug.contains("sekrit-pass") && !debug.contains("abcdefghijklmnopqrstuvwxyz"),
        "{debug}"
    );
}

#[test]
fn secrets_can_come_from_files() {
    let keys = ConfigFile::new("abcdefghijklmnopqrstuvwxyz,ABCDEFGHIJKLMNOPQRSTUVWXYZ\n");
    let password = ConfigFile::new("sekrit-pass\r\n");
    let uri = ConfigFile::new("postgresql://u:sekrit-pass@db.internal/gatehouse");
    let settings = load(
        "api_keys: from-the-file-that-loses-to-the-environment",
        &[
            ("API_KEYS_FILE", keys.0.to_str().unwrap()),
            ("POSTGRESQL_PASSWORD_FILE", password.0.to_str().unwrap()),
            ("POSTGRESQL_CONNECTION_URI_FILE", uri.0.to_str().unwrap()),
        ],
    )
    .unwrap()
    .settings;
    assert_eq!(
        settings.api_key_list(),
        ["abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    );
    assert_eq!(
        settings.postgresql_password.unwrap().expose(),
        "sekrit-pass",
        "the trailing newline is not part of the secret"
    );
    assert_eq!(
        settings.postgresql_connection_uri.unwrap().expose(),
        "postgresql://u:sekrit-pass@db.internal/gatehouse"
    );
}

#[test]
fn secret_files_that_cannot_be_used_are_refused_by_variable_name() {
    let password = ConfigFile::new("sekrit-pass\n");
    let path = password.0.to_str().unwrap();
    let both = error(
        "",
        &[
            ("POSTGRESQL_PASSWORD", "sekrit-pass"),
            ("POSTGRESQL_PASSWORD_FILE", path),
        ],
    );
    assert!(
        both.contains("both POSTGRESQL_PASSWORD and POSTGRESQL_PASSWORD_FILE are set"),
        "{both}"
    );

    let missing = error("", &[("API_KEYS_FILE", "/nonexistent/gatehouse-api-keys")]);
    assert!(
        missing.contains("API_KEYS_FILE: cannot read /nonexistent/gatehouse-api-keys"),
        "{missing}"
    );

    let empty = ConfigFile::new("\n");
    let message = error("", &[("API_KEYS_FILE", empty.0.to_str().unwrap())]);
    assert!(
        message.contains("API_KEYS_FILE") && message.contains("is empty"),
        "{message}"
    );

    let bad_uri = ConfigFile::new("postgresql://u:sekrit-pass@[bad/db\n");
    let invalid = error(
        "",
        &[(
            "POSTGRESQL_CONNECTION_URI_FILE",
            bad_uri.0.to_str().unwrap(),
        )],
    );
    assert!(
        invalid.contains("config key `postgresql_connection_uri`"),
        "{invalid}"
    );

    for message in [both, missing, message, invalid] {
        assert!(!message.contains("sekrit-pass"), "{message}");
        assert_eq!(message.lines().count(), 1, "one line: {message}");
    }
}

#[test]
fn postgresql_keys_switch_the_storage() {
    for key in [
        "POSTGRESQL_CONNECTION_URI",
        "POSTGRESQL_USER",
        "POSTGRESQL_HOST",
        "POSTGRESQL_DATABASE_NAME",
    ] {
        let value = if key.ends_with("URI") {
            "postgresql://localhost/db"
        } else {
            "x"
        };
        assert_eq!(
            load("", &[(key, value)]).unwrap().settings.storage(),
            Storage::Postgres,
            "{key}"
        );
    }
}

#[test]
fn base_path_is_normalised() {
    for (given, expected) in [
        ("/", ""),
        ("auth", "/auth"),
        ("//auth//core/", "/auth/core"),
    ] {
        let settings = load(&format!("base_path: \"{given}\""), &[])
            .unwrap()
            .settings;
        assert_eq!(settings.base_path, expected, "{given}");
    }
}

#[test]
fn a_missing_config_file_is_an_error_only_when_named() {
    let missing = std::env::temp_dir().join("gatehouse-no-such-config.yaml");
    assert!(Settings::load(&missing, true, |_| None, &Overrides::default()).is_err());
    assert!(Settings::load(&missing, false, |_| None, &Overrides::default()).is_ok());
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |backend: &str| -> Vec<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert!(!names("sqlite").is_empty());
    assert_eq!(names("sqlite"), names("postgres"));
}

//! The user management dashboard's own users and sessions, the free-user limit, licences and
//! feature flags. The SDK serves the dashboard; gatehouse answers the calls it makes.

pub mod cli;
pub mod service;

use serde_json::json;

use self::service::{DashboardUser, Outcome, Who, LIMIT_MESSAGE};
use crate::config::TenantSettings;
use crate::db::{now_millis, Db};
use crate::error::ApiError;
use crate::http::{self, HandlerResult, JsonInput, Request, Routes, Scope};
use crate::licence::{self, DASHBOARD_LOGIN};
use crate::recipes::core::user::normalise_email;
use crate::state::AppState;
use crate::with_pool;

pub fn register(routes: &mut Routes) {
    routes.post("/recipe/dashboard/user", Scope::App, create_user);
    routes.put("/recipe/dashboard/user", Scope::App, update_user);
    routes.delete("/recipe/dashboard/user", Scope::App, delete_user);
    routes.get("/recipe/dashboard/users", Scope::App, list_users);
    routes.post("/recipe/dashboard/signin", Scope::App, sign_in);
    routes.post(
        "/recipe/dashboard/session/verify",
        Scope::App,
        verify_session,
    );
    routes.delete("/recipe/dashboard/session", Scope::App, revoke_session);
    routes.get("/recipe/dashboard/user/sessions", Scope::App, user_sessions);
    routes.get(
        "/recipe/dashboard/tenant/core-config",
        Scope::Tenant,
        tenant_core_config,
    );
    routes.get("/ee/featureflag", Scope::App, feature_flags);
    routes.get("/ee/license", Scope::App, get_licence);
    routes.put("/ee/license", Scope::App, put_licence);
    routes.delete("/ee/license", Scope::App, delete_licence);
    routes.on_cleanup("DELETE FROM dashboard_sessions WHERE expiry < $1");
    // Failed sign-ins matter for at most a day (the longest throttle window).
    routes.on_cleanup("DELETE FROM dashboard_failed_signins WHERE attempted_at < $1 - 86400000");
}

/// How long a dashboard session lasts (upstream: 30 days).
const SESSION_LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;
const SUSPENDED_AT_SIGN_IN: &str =
    "User is currently suspended, please sign in with another account, or reactivate the SuperTokens core license key";
const SUSPENDED: &str = "User is suspended.";

async fn features(state: &AppState, app_id: &str) -> Result<Vec<String>, ApiError> {
    Ok(licence::enabled_features(&state.db, state.settings.is_development(), app_id).await?)
}

async fn unlimited(state: &AppState, app_id: &str) -> Result<bool, ApiError> {
    Ok(features(state, app_id)
        .await?
        .iter()
        .any(|feature| feature == DASHBOARD_LOGIN))
}

/// A string field that must be present and not blank once trimmed.
fn required(input: &JsonInput, field: &str) -> Result<String, ApiError> {
    not_blank(field, input.str(field)?)
}

/// An optional string field that, when present, must not be blank once trimmed.
fn optional(input: &JsonInput, field: &str) -> Result<Option<String>, ApiError> {
    input
        .opt_str(field)?
        .map(|value| not_blank(field, value))
        .transpose()
}

fn not_blank(field: &str, value: String) -> Result<String, ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Field name '{field}' cannot be an empty String"
        )));
    }
    Ok(trimmed.to_string())
}

fn outcome(outcome: Outcome) -> HandlerResult {
    match outcome {
        Outcome::Ok(user) => http::json(&json!({ "status": "OK", "user": user.to_json() })),
        Outcome::InvalidEmail => http::json(&json!({ "status": "INVALID_EMAIL_ERROR" })),
        Outcome::WeakPassword(message) => {
            http::json(&json!({ "status": "PASSWORD_WEAK_ERROR", "message": message }))
        }
        Outcome::EmailExists => http::json(&json!({ "status": "EMAIL_ALREADY_EXISTS_ERROR" })),
        Outcome::UnknownUser => http::json(&json!({ "status": "UNKNOWN_USER_ERROR" })),
        Outcome::LimitReached => Err(ApiError::PaymentRequired(LIMIT_MESSAGE.into())),
    }
}

async fn create_user(request: Request) -> HandlerResult {
    let input = request.json()?;
    let email = normalise_email(&required(&input, "email")?);
    // The email is judged before the password is even read, as upstream does.
    if !service::is_valid_email(&email) {
        return outcome(Outcome::InvalidEmail);
    }
    let password = required(&input, "password")?;
    let state = &request.state;
    let app_id = &request.tenant.app_id;
    let unlimited = unlimited(state, app_id).await?;
    outcome(
        service::create(
            &state.db,
            state.passwords.for_tenant(&request.settings),
            app_id,
            &email,
            &password,
            unlimited,
        )
        .await?,
    )
}

/// `userId`, else `email`, of a body or query; one of them must be there.
fn who(user_id: Option<String>, email: Option<String>) -> Result<Who, ApiError> {
    match (user_id, email) {
        (Some(user_id), _) => Ok(Who::UserId(user_id)),
        (None, Some(email)) => Ok(Who::Email(email)),
        (None, None) => Err(ApiError::bad_request(
            "Either field 'email' or 'userId' must be present",
        )),
    }
}

async fn update_user(request: Request) -> HandlerResult {
    let input = request.json()?;
    let new_email = optional(&input, "newEmail")?;
    if new_email
        .as_deref()
        .is_some_and(|email| !service::is_valid_email(&normalise_email(email)))
    {
        return outcome(Outcome::InvalidEmail);
    }
    let new_password = optional(&input, "newPassword")?;
    let who = who(optional(&input, "userId")?, optional(&input, "email")?)?;
    let state = &request.state;
    let result = service::update(
        &state.db,
        state.passwords.for_tenant(&request.settings),
        &request.tenant.app_id,
        &who,
        new_email.as_deref(),
        new_password.as_deref(),
    )
    .await?;
    outcome(result)
}

/// A query parameter that, when present, must not be blank.
fn query_not_blank(request: &Request, name: &str) -> Result<Option<String>, ApiError> {
    request
        .query_opt(name)?
        .map(|value| not_blank(name, value))
        .transpose()
}

async fn delete_user(request: Request) -> HandlerResult {
    let who = who(
        query_not_blank(&request, "userId")?,
        query_not_blank(&request, "email")?,
    )?;
    let existed = service::delete(&request.state.db, &request.tenant.app_id, &who).await?;
    http::json(&json!({ "status": "OK", "didUserExist": existed }))
}

async fn list_users(request: Request) -> HandlerResult {
    let state = &request.state;
    let app_id = &request.tenant.app_id;
    let users = service::list(&state.db, app_id, unlimited(state, app_id).await?).await?;
    http::json(
        &json!({ "status": "OK", "users": users.iter().map(DashboardUser::to_json).collect::<Vec<_>>() }),
    )
}

/// Failed sign-ins of `email` within the throttle window.
async fn recent_failures(db: &Db, app_id: &str, email: &str, since: i64) -> Result<i64, ApiError> {
    Ok(with_pool!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM dashboard_failed_signins WHERE app_id = $1 AND email = $2 AND attempted_at >= $3")
            .bind(app_id)
            .bind(email)
            .bind(since)
            .fetch_one(pool)
            .await?
    }))
}

async fn record_failure(db: &Db, app_id: &str, email: &str) -> Result<(), ApiError> {
    with_pool!(db, pool => {
        sqlx::query("INSERT INTO dashboard_failed_signins (app_id, email, attempted_at) VALUES ($1, $2, $3)")
            .bind(app_id)
            .bind(email)
            .bind(now_millis())
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Signs in with the dashboard credentials. Failures are counted per email in the database
/// (so the throttle holds across instances); past the limit, attempts are refused without a
/// password check until the window passes. An unknown email costs a password check.
async fn sign_in(request: Request) -> HandlerResult {
    let input = request.json()?;
    let email = normalise_email(&required(&input, "email")?);
    let password = required(&input, "password")?;
    let state = &request.state;
    let app_id = &request.tenant.app_id;
    let invalid = || http::json(&json!({ "status": "INVALID_CREDENTIALS_ERROR" }));
    let window_start =
        now_millis() - state.settings.dashboard_signin_throttle_window_seconds as i64 * 1000;
    if recent_failures(&state.db, app_id, &email, window_start).await?
        >= i64::from(state.settings.dashboard_signin_max_failed_attempts)
    {
        return invalid();
    }
    let stored: Option<(String, String)> = with_pool!(&state.db, pool => {
        sqlx::query_as("SELECT user_id, password_hash FROM dashboard_users WHERE app_id = $1 AND email = $2")
            .bind(app_id)
            .bind(&email)
            .fetch_optional(pool)
            .await?
    });
    let Some((user_id, hash)) = stored else {
        state
            .passwords
            .for_tenant(&request.settings)
            .verify_decoy(password)
            .await?;
        record_failure(&state.db, app_id, &email).await?;
        return invalid();
    };
    if service::is_suspended(&state.db, app_id, &user_id, unlimited(state, app_id).await?).await? {
        return http::json(
            &json!({ "status": "USER_SUSPENDED_ERROR", "message": SUSPENDED_AT_SIGN_IN }),
        );
    }
    if !state
        .passwords
        .for_tenant(&request.settings)
        .verify(password, hash)
        .await?
    {
        record_failure(&state.db, app_id, &email).await?;
        return invalid();
    }
    let session_id = uuid::Uuid::new_v4().to_string();
    let now = now_millis();
    with_pool!(&state.db, pool => {
        sqlx::query("INSERT INTO dashboard_sessions (app_id, session_id, user_id, time_created, expiry) VALUES ($1, $2, $3, $4, $5)")
            .bind(app_id)
            .bind(&session_id)
            .bind(&user_id)
            .bind(now)
            .bind(now + SESSION_LIFETIME_MS)
            .execute(pool)
            .await?;
    });
    http::json(&json!({ "status": "OK", "sessionId": session_id }))
}

/// Checked by the SDK on every dashboard API call.
async fn verify_session(request: Request) -> HandlerResult {
    let session_id = required(&request.json()?, "sessionId")?;
    let state = &request.state;
    let app_id = &request.tenant.app_id;
    let found: Option<(String, String)> = with_pool!(&state.db, pool => {
        sqlx::query_as(
            "SELECT u.user_id, u.email FROM dashboard_sessions s \
             JOIN dashboard_users u ON u.app_id = s.app_id AND u.user_id = s.user_id \
             WHERE s.app_id = $1 AND s.session_id = $2 AND s.expiry > $3",
        )
        .bind(app_id)
        .bind(&session_id)
        .bind(now_millis())
        .fetch_optional(pool)
        .await?
    });
    let Some((user_id, email)) = found else {
        return http::json(&json!({ "status": "INVALID_SESSION_ERROR" }));
    };
    if service::is_suspended(&state.db, app_id, &user_id, unlimited(state, app_id).await?).await? {
        return http::json(&json!({ "status": "USER_SUSPENDED_ERROR", "message": SUSPENDED }));
    }
    http::json(&json!({ "status": "OK", "email": email }))
}

async fn revoke_session(request: Request) -> HandlerResult {
    let session_id = not_blank("sessionId", request.query("sessionId")?)?;
    with_pool!(&request.state.db, pool => {
        sqlx::query("DELETE FROM dashboard_sessions WHERE app_id = $1 AND session_id = $2")
            .bind(&request.tenant.app_id)
            .bind(&session_id)
            .execute(pool)
            .await?;
    });
    http::ok()
}

async fn user_sessions(request: Request) -> HandlerResult {
    let user_id = not_blank("userId", request.query("userId")?)?;
    let sessions: Vec<(String, String, i64, i64)> = with_pool!(&request.state.db, pool => {
        sqlx::query_as(
            "SELECT user_id, session_id, time_created, expiry FROM dashboard_sessions \
             WHERE app_id = $1 AND user_id = $2 AND expiry > $3 ORDER BY time_created",
        )
        .bind(&request.tenant.app_id)
        .bind(&user_id)
        .bind(now_millis())
        .fetch_all(pool)
        .await?
    });
    let sessions: Vec<_> = sessions
        .into_iter()
        .map(|(user_id, session_id, time_created, expiry)| {
            json!({ "userId": user_id, "sessionId": session_id, "timeCreated": time_created, "expiry": expiry })
        })
        .collect();
    http::json(&json!({ "status": "OK", "sessions": sessions }))
}

/// The settings the dashboard's tenant page shows, in upstream's shape: those upstream lists
/// (not file-only, not deprecated) that gatehouse has, without secrets, as the tenant runs
/// with them.
const TENANT_PAGE_SETTINGS: [(&str, &str, Option<&[&str]>); 12] = [
    ("access_token_validity", "Time in seconds for how long an access token is valid for.", None),
    ("access_token_blacklisting", "If true, every access token verification checks the database, so that revoked sessions are refused at once.", None),
    ("refresh_token_validity", "Time in minutes for how long a refresh token is valid for.", None),
    ("access_token_dynamic_signing_key_update_interval", "Time in hours for how frequently the dynamic signing key is changed.", None),
    ("password_reset_token_lifetime", "Time in milliseconds for how long a password reset token is valid for.", None),
    ("email_verification_token_lifetime", "Time in milliseconds for how long an email verification token is valid for.", None),
    ("passwordless_max_code_input_attempts", "The number of wrong codes a passwordless sign-in may have before it has to start again.", None),
    ("passwordless_code_lifetime", "Time in milliseconds for how long a passwordless code is valid for.", None),
    ("totp_max_attempts", "The number of failed TOTP codes in a row after which a user has to wait for the cool-down.", None),
    ("totp_rate_limit_cooldown_sec", "Time in seconds a user has to wait after too many failed TOTP codes.", None),
    ("disable_telemetry", "Accepted for compatibility; gatehouse never sends telemetry.", None),
    ("password_hashing_alg", "The hashing algorithm used for new passwords.", Some(&["ARGON2", "BCRYPT"])),
];

async fn tenant_core_config(request: Request) -> HandlerResult {
    let mut current = serde_json::to_value(&request.state.settings).map_err(anyhow::Error::from)?;
    for (key, value) in request.settings.public_values() {
        current[key] = value;
    }
    let defaults =
        serde_json::to_value(crate::config::Settings::default()).map_err(anyhow::Error::from)?;
    let config: Vec<_> = TENANT_PAGE_SETTINGS
        .iter()
        .map(|(key, description, possible_values)| {
            let value_type = match (&current[key], possible_values) {
                (_, Some(_)) => "enum",
                (serde_json::Value::Bool(_), _) => "boolean",
                (serde_json::Value::Number(_), _) => "number",
                _ => "string",
            };
            json!({
                "key": key,
                "valueType": value_type,
                "value": current[key],
                "description": description,
                "isDifferentAcrossTenants": TenantSettings::differs_across_tenants(key),
                "possibleValues": possible_values,
                "isNullable": false,
                "defaultValue": defaults[key],
                "isPluginProperty": false,
                "isPluginPropertyEditable": false,
            })
        })
        .collect();
    http::json(&json!({ "status": "OK", "config": config }))
}

async fn feature_flags(request: Request) -> HandlerResult {
    let state = &request.state;
    let app_id = &request.tenant.app_id;
    let features = features(state, app_id).await?;
    let mut usage = serde_json::Map::new();
    if features.iter().any(|feature| feature == DASHBOARD_LOGIN) {
        let user_count: i64 = with_pool!(&state.db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM dashboard_users WHERE app_id = $1").bind(app_id).fetch_one(pool).await?
        });
        usage.insert(DASHBOARD_LOGIN.into(), json!({ "user_count": user_count }));
    }
    http::json(&json!({ "status": "OK", "features": features, "usageStats": usage }))
}

async fn get_licence(request: Request) -> HandlerResult {
    match licence::stored_key(&request.state.db, &request.tenant.app_id).await? {
        Some(key) => http::json(&json!({ "status": "OK", "licenseKey": key })),
        None => http::json(&json!({ "status": "NO_LICENSE_KEY_FOUND_ERROR" })),
    }
}

/// Stores a licence key that verifies offline; anything else is refused and changes
/// nothing. A body without `licenseKey` re-checks the stored key.
async fn put_licence(request: Request) -> HandlerResult {
    let input = request.json()?;
    let db = &request.state.db;
    let app_id = &request.tenant.app_id;
    let key = match input.opt_str("licenseKey")? {
        Some(key) => key,
        None if input.is_empty() => match licence::stored_key(db, app_id).await? {
            Some(key) => key,
            None => return http::ok(),
        },
        None => {
            return Err(ApiError::bad_request(
                "Field name 'licenseKey' is missing in JSON input",
            ))
        }
    };
    if licence::verify(&key, now_millis()).is_none() {
        return http::json(&json!({ "status": "INVALID_LICENSE_KEY_ERROR" }));
    }
    licence::store_key(db, app_id, key.trim()).await?;
    http::ok()
}

async fn delete_licence(request: Request) -> HandlerResult {
    licence::delete_key(&request.state.db, &request.tenant.app_id).await?;
    http::ok()
}

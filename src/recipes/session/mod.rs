//! Sessions: creation, verification, refresh with rotating refresh tokens and theft
//! detection, revocation, and the session's two payloads.
//!
//! Refresh follows upstream's CDI 5.4 rules. The session row keeps the double hash of the
//! confirmed refresh token. Refreshing with it issues a child token without writing
//! anything; the child becomes the confirmed token when it is used to refresh, or when an
//! access token issued with it (the one carrying `parentRefreshTokenHash1`) is verified.
//! Using a token that is neither the confirmed one nor its child is theft. Every decision
//! reads and writes the row under the database's lock, so processes sharing a database and
//! racing requests see the order the database gives them.

mod store;
mod tokens;

use serde_json::{json, Map, Value};

use self::store::{Payload, SessionRow};
use self::tokens::{
    has_protected_claim, random_id, refresh_token_hash2, AccessClaims, RefreshClaims, TokenError,
    UnverifiedToken, PROTECTED_FIELD_ERROR,
};
use super::core::user::find_user;
use crate::db::{now_millis, BeginWrite, Db};
use crate::error::ApiError;
use crate::http::{
    self, ensure_tenant_exists, CdiVersion, HandlerResult, Request, Routes, Scope, TenantId,
};
use crate::state::AppState;
use crate::token::token_hash;
use crate::with_pool;

pub fn register(routes: &mut Routes) {
    routes.post("/recipe/session", Scope::Tenant, create);
    routes.get("/recipe/session", Scope::App, information);
    routes.post("/recipe/session/remove", Scope::Tenant, remove);
    routes.post("/recipe/session/verify", Scope::App, verify);
    routes.post("/recipe/session/refresh", Scope::App, refresh);
    routes.get("/recipe/session/user", Scope::Tenant, user_sessions);
    routes.post("/recipe/session/regenerate", Scope::App, regenerate);
    routes.put("/recipe/session/data", Scope::App, update_session_data);
    routes.get("/recipe/session/data", Scope::App, session_data);
    routes.put("/recipe/jwt/data", Scope::App, update_jwt_data);
    routes.get("/recipe/jwt/data", Scope::App, jwt_data);
    routes.on_user_removed("DELETE FROM sessions WHERE app_id = $1 AND user_id = $2");
    routes.on_cleanup("DELETE FROM sessions WHERE expires_at <= $1");
}

fn unauthorised(message: &str) -> HandlerResult {
    http::json(&json!({ "status": "UNAUTHORISED", "message": message }))
}

fn try_refresh(error: TokenError) -> HandlerResult {
    http::json(&json!({ "status": "TRY_REFRESH_TOKEN", "message": error.0 }))
}

/// Whole seconds, as a JWT carries times.
fn to_seconds(millis: i64) -> i64 {
    millis - millis.rem_euclid(1000)
}

/// A session handle names its tenant after an underscore; none means `public`.
fn tenant_of_handle(app_id: &str, handle: &str) -> TenantId {
    TenantId {
        app_id: app_id.to_string(),
        tenant_id: handle
            .split_once('_')
            .map_or("public", |(_, tenant)| tenant)
            .to_string(),
    }
}

/// The `session` of create, verify, refresh and regenerate answers; it names the login
/// method (`recipeUserId`) from CDI 4.0.
fn session_json(
    cdi: CdiVersion,
    handle: &str,
    user_id: &str,
    recipe_user_id: &str,
    payload: &Map<String, Value>,
    tenant_id: &str,
) -> Value {
    let mut session = json!({
        "handle": handle,
        "userId": user_id,
        "userDataInJWT": payload,
        "tenantId": tenant_id,
    });
    if cdi.has_account_linking() {
        session["recipeUserId"] = json!(recipe_user_id);
    }
    session
}

/// Signs `claims` with the current dynamic key or the app's static key.
async fn sign(
    state: &AppState,
    app_id: &str,
    claims: &AccessClaims,
    use_static_key: bool,
) -> Result<String, ApiError> {
    let key = state
        .signing_keys
        .signing_key(&state.db, app_id, !use_static_key)
        .await?;
    Ok(claims.sign(&key))
}

/// A session's next refresh token, made before its access token: creating a session stores
/// the refresh token's double hash, and the stored row says whose session it is.
struct NewRefreshToken {
    token: String,
    hash2: String,
    parent_refresh_token_hash1: Option<String>,
    anti_csrf_token: Option<String>,
    created: i64,
}

async fn new_refresh_token(
    state: &AppState,
    app_id: &str,
    session: (&str, &str),
    parent_refresh_token_hash1: Option<String>,
    anti_csrf: bool,
) -> Result<NewRefreshToken, ApiError> {
    let (tenant_id, handle) = session;
    let anti_csrf_token = anti_csrf.then(random_id);
    let claims = RefreshClaims {
        session_handle: handle.to_string(),
        tenant_id: tenant_id.to_string(),
        parent_refresh_token_hash1: parent_refresh_token_hash1.clone(),
        anti_csrf_token: anti_csrf_token.clone(),
        nonce: random_id(),
    };
    let token = tokens::seal_refresh_token(&state.app_keys, &state.db, app_id, &claims).await?;
    Ok(NewRefreshToken {
        hash2: refresh_token_hash2(&token),
        token,
        parent_refresh_token_hash1,
        anti_csrf_token,
        created: now_millis(),
    })
}

/// The answer of create and refresh: the session, a new access token in the format of the
/// request's CDI version, signed with the session's key, and `refresh`.
async fn issue(request: &Request, row: &SessionRow, refresh: NewRefreshToken) -> HandlerResult {
    let (state, app_id) = (&request.state, &request.tenant.app_id);
    let now = refresh.created;
    let access = AccessClaims {
        version: request.cdi.access_token_version(),
        session_handle: row.handle.clone(),
        user_id: row.user_id.clone(),
        recipe_user_id: row.recipe_user_id.clone(),
        tenant_id: row.tenant_id.clone(),
        expiry: to_seconds(now + request.settings.access_token_validity_ms()),
        created: to_seconds(now),
        refresh_token_hash1: token_hash(&refresh.token),
        parent_refresh_token_hash1: refresh.parent_refresh_token_hash1,
        anti_csrf_token: refresh.anti_csrf_token.clone(),
        user_data: row.jwt_payload.clone(),
    };
    let access_token = sign(state, app_id, &access, row.use_static_key).await?;
    let mut body = json!({
        "status": "OK",
        "session": session_json(request.cdi, &row.handle, &row.user_id, &row.recipe_user_id, &row.jwt_payload, &row.tenant_id),
        "accessToken": access.token_json(&access_token),
        "refreshToken": { "token": refresh.token, "expiry": now + request.settings.refresh_token_validity_ms(), "createdTime": now },
    });
    if let Some(anti_csrf_token) = refresh.anti_csrf_token {
        body["antiCsrfToken"] = json!(anti_csrf_token);
    }
    http::json(&body)
}

async fn create(request: Request) -> HandlerResult {
    let input = request.json()?;
    let user_id = input.str("userId")?;
    let anti_csrf = input.bool("enableAntiCsrf")?;
    let jwt_payload = input.object("userDataInJWT")?;
    let session_data = input.object("userDataInDatabase")?;
    let use_dynamic_key = input.opt_bool("useDynamicSigningKey")?.unwrap_or(true);
    if has_protected_claim(&jwt_payload, request.cdi.access_token_version()) {
        return Err(ApiError::bad_request(PROTECTED_FIELD_ERROR));
    }
    let state = &request.state;
    let (app_id, tenant_id) = (&request.tenant.app_id, &request.tenant.tenant_id);
    let handle = match request.tenant.is_public_tenant() {
        true => uuid::Uuid::new_v4().to_string(),
        false => format!("{}_{tenant_id}", uuid::Uuid::new_v4()),
    };
    let refresh = new_refresh_token(state, app_id, (tenant_id, &handle), None, anti_csrf).await?;
    let now = refresh.created;
    let mut row = SessionRow {
        tenant_id: tenant_id.clone(),
        handle,
        user_id: user_id.clone(),
        recipe_user_id: user_id,
        refresh_token_hash2: refresh.hash2.clone(),
        session_data,
        jwt_payload,
        expires_at: now + request.settings.refresh_token_validity_ms(),
        created_at: now,
        use_static_key: !use_dynamic_key,
    };
    // The insert answers with the user the session belongs to (the recipe user's primary
    // user), which the access token names.
    // Storing the session also marks its user active (a trigger: see the migrations).
    (row.recipe_user_id, row.user_id) = store::insert(&state.db, app_id, &row).await?;
    state.metrics.sessions_created.inc();
    issue(&request, &row, refresh).await
}

/// A live session by handle; the tenant the handle names must exist.
async fn find_by_handle(request: &Request, handle: &str) -> Result<Option<SessionRow>, ApiError> {
    let tenant = tenant_of_handle(&request.tenant.app_id, handle);
    ensure_tenant_exists(&request.state.db, &tenant).await?;
    store::find(&request.state.db, &tenant.app_id, &tenant.tenant_id, handle).await
}

async fn information(request: Request) -> HandlerResult {
    let handle = request.query("sessionHandle")?;
    match find_by_handle(&request, &handle).await? {
        None => unauthorised("Session does not exist."),
        Some(row) => {
            let mut body = json!({
                "status": "OK",
                "sessionHandle": row.handle,
                "userId": row.user_id,
                "userDataInDatabase": row.session_data,
                "expiry": row.expires_at,
                "userDataInJWT": row.jwt_payload,
                "timeCreated": row.created_at,
                "tenantId": row.tenant_id,
            });
            if request.cdi.has_account_linking() {
                body["recipeUserId"] = json!(row.recipe_user_id);
            }
            http::json(&body)
        }
    }
}

async fn verify(request: Request) -> HandlerResult {
    let input = request.json()?;
    let access_token = input.str("accessToken")?;
    let anti_csrf_token = input.opt_str("antiCsrfToken")?;
    let do_anti_csrf_check = input.bool("doAntiCsrfCheck")?;
    let enable_anti_csrf = input.bool("enableAntiCsrf")?;
    let check_database = input.bool("checkDatabase")?;
    let state = &request.state;
    let app_id = &request.tenant.app_id;

    let token = match UnverifiedToken::parse(&access_token) {
        Ok(token) => token,
        Err(error) => return try_refresh(error),
    };
    let Some(key) = state
        .signing_keys
        .find(&state.db, app_id, &token.key_id)
        .await?
    else {
        return try_refresh(TokenError("Key not found".into()));
    };
    if let Err(error) = token.verify_signature(&state.signing_keys, &key) {
        return try_refresh(error);
    }
    let claims = match token.claims() {
        Ok(claims) => claims,
        Err(error) => return try_refresh(error),
    };
    let tenant = TenantId {
        app_id: app_id.clone(),
        tenant_id: claims.tenant_id.clone(),
    };
    ensure_tenant_exists(&state.db, &tenant).await?;
    let now = now_millis();
    if claims.expiry < now {
        return try_refresh(TokenError("Access token expired".into()));
    }
    if do_anti_csrf_check && enable_anti_csrf {
        let Some(expected) = &claims.anti_csrf_token else {
            return try_refresh(TokenError(
                "Access token does not contain all the information. Maybe the structure has changed?".into(),
            ));
        };
        if anti_csrf_token.as_ref() != Some(expected) {
            return try_refresh(TokenError("anti-csrf check failed".into()));
        }
    }
    let mut payload_changed = false;
    if check_database {
        match store::find(&state.db, app_id, &claims.tenant_id, &claims.session_handle).await? {
            None => return unauthorised("Either the session has ended or has been blacklisted"),
            Some(row) => payload_changed = row.jwt_payload != claims.user_data,
        }
    }
    let token_session = || {
        session_json(
            request.cdi,
            &claims.session_handle,
            &claims.user_id,
            &claims.recipe_user_id,
            &claims.user_data,
            &claims.tenant_id,
        )
    };
    if claims.parent_refresh_token_hash1.is_none() && !payload_changed {
        return http::json(&json!({ "status": "OK", "session": token_session() }));
    }

    // The token was issued by a refresh whose new refresh token is not confirmed yet (its
    // first use confirms it), or its payload is out of date: issue a fresh access token.
    let select = store::locking_select(&state.db);
    let refresh_validity = request.settings.refresh_token_validity_ms();
    let outcome: Option<(SessionRow, bool)> = with_pool!(&state.db, pool => {
        let mut tx = pool.begin_write().await?;
        match store::locked_row(&mut tx, &select, app_id, &claims.tenant_id, &claims.session_handle).await? {
            None => None,
            Some(row) => {
                let promote = claims
                    .parent_refresh_token_hash1
                    .as_deref()
                    .is_some_and(|parent| row.refresh_token_hash2 == token_hash(parent));
                let current = row.refresh_token_hash2 == token_hash(&claims.refresh_token_hash1);
                if promote {
                    sqlx::query(
                        "UPDATE sessions SET refresh_token_hash_2 = $4, expires_at = $5 \
                         WHERE app_id = $1 AND tenant_id = $2 AND session_handle = $3",
                    )
                    .bind(app_id)
                    .bind(&claims.tenant_id)
                    .bind(&claims.session_handle)
                    .bind(token_hash(&claims.refresh_token_hash1))
                    .bind(now + refresh_validity)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Some((row, promote || current || payload_changed))
            }
        }
    });
    match outcome {
        None => unauthorised("Session missing in db"),
        // The session moved on to another refresh token: the token stays valid as it is.
        Some((_, false)) => http::json(&json!({ "status": "OK", "session": token_session() })),
        Some((row, true)) => {
            let fresh = AccessClaims {
                expiry: to_seconds(now + request.settings.access_token_validity_ms()),
                created: to_seconds(now),
                parent_refresh_token_hash1: None,
                user_data: row.jwt_payload.clone(),
                ..claims
            };
            let token = sign(state, app_id, &fresh, row.use_static_key).await?;
            http::json(&json!({
                "status": "OK",
                "session": session_json(request.cdi, &fresh.session_handle, &fresh.user_id, &fresh.recipe_user_id, &fresh.user_data, &fresh.tenant_id),
                "accessToken": fresh.token_json(&token),
            }))
        }
    }
}

enum RefreshOutcome {
    Missing,
    Rotate(SessionRow),
    Theft(SessionRow),
}

async fn refresh(request: Request) -> HandlerResult {
    let input = request.json()?;
    let refresh_token = input.str("refreshToken")?;
    let anti_csrf_token = input.opt_str("antiCsrfToken")?;
    let enable_anti_csrf = input.bool("enableAntiCsrf")?;
    let use_dynamic_key = match request.cdi.refresh_must_name_signing_key() {
        true => Some(input.bool("useDynamicSigningKey")?),
        false => input.opt_bool("useDynamicSigningKey")?,
    };
    let state = &request.state;
    let app_id = &request.tenant.app_id;

    let Some(claims) =
        tokens::open_refresh_token(&state.app_keys, &state.db, app_id, &refresh_token).await?
    else {
        return unauthorised("Invalid refresh token");
    };
    if enable_anti_csrf {
        if let Some(expected) = &claims.anti_csrf_token {
            if anti_csrf_token.as_ref() != Some(expected) {
                return unauthorised("Anti CSRF token missing, or not matching");
            }
        }
    }
    let tenant = TenantId {
        app_id: app_id.clone(),
        tenant_id: claims.tenant_id.clone(),
    };
    ensure_tenant_exists(&state.db, &tenant).await?;

    let presented = refresh_token_hash2(&refresh_token);
    let parent = claims.parent_refresh_token_hash1.as_deref().map(token_hash);
    let use_static_key = use_dynamic_key.map(|dynamic| !dynamic);
    let rotation = store::Rotation {
        tenant_id: &claims.tenant_id,
        handle: &claims.session_handle,
        presented: &presented,
        parent: parent.as_deref(),
        expires_at: now_millis() + request.settings.refresh_token_validity_ms(),
        use_static_key,
    };
    let outcome = match store::rotate(&state.db, app_id, &rotation).await? {
        Some(row) => RefreshOutcome::Rotate(row),
        // A live session that accepts neither this token nor its parent has moved on
        // past it: the token was used after its child, so it was stolen.
        None => {
            match store::find(&state.db, app_id, &claims.tenant_id, &claims.session_handle).await? {
                Some(row) => RefreshOutcome::Theft(row),
                None => RefreshOutcome::Missing,
            }
        }
    };
    match outcome {
        RefreshOutcome::Missing => unauthorised("Session missing in db or has expired"),
        RefreshOutcome::Theft(row) => {
            state.metrics.token_thefts_detected.inc();
            http::json(&json!({
            "status": "TOKEN_THEFT_DETECTED",
            "session": { "handle": row.handle, "userId": row.user_id, "recipeUserId": row.recipe_user_id },
            }))
        }
        RefreshOutcome::Rotate(row) => {
            state.metrics.sessions_refreshed.inc();
            let parent = Some(token_hash(&refresh_token));
            let session = (row.tenant_id.as_str(), row.handle.as_str());
            let next = new_refresh_token(state, app_id, session, parent, enable_anti_csrf).await?;
            issue(&request, &row, next).await
        }
    }
}

/// `userId` of a body or query and, when `linked`, every login method of its user, by the
/// ids sessions are created with (the mapped ones, where the application mapped its own).
/// An id gatehouse does not know stands for itself.
async fn user_ids(
    db: &Db,
    app_id: &str,
    user_id: String,
    linked: bool,
) -> Result<Vec<String>, ApiError> {
    let mut ids = vec![user_id];
    if linked {
        if let Some(user) = find_user(db, app_id, &ids[0]).await? {
            for method in &user.login_methods {
                let id = method.shown_id();
                if !ids.iter().any(|known| known == id) {
                    ids.push(id.to_string());
                }
            }
        }
    }
    Ok(ids)
}

async fn remove(request: Request) -> HandlerResult {
    let input = request.json()?;
    let user_id = input.opt_str("userId")?;
    let handles = input.opt_str_array("sessionHandles")?;
    let across_tenants = input.opt_bool("revokeAcrossAllTenants")?;
    let linked = input.opt_bool("revokeSessionsForLinkedAccounts")?;
    let state = &request.state;
    let app_id = &request.tenant.app_id;
    let targets: Vec<(String, String)> = match (user_id, handles) {
        (Some(user_id), None) => {
            let across_tenants = across_tenants.unwrap_or(true);
            if across_tenants {
                request.ensure_app_wide()?;
            }
            let ids = user_ids(&state.db, app_id, user_id, linked.unwrap_or(true)).await?;
            let tenant = (!across_tenants).then_some(request.tenant.tenant_id.as_str());
            store::handles_of_users(&state.db, app_id, tenant, &ids)
                .await?
                .into_iter()
                .map(|handle| (tenant_of_handle(app_id, &handle).tenant_id, handle))
                .collect()
        }
        (None, Some(handles)) => {
            if across_tenants.is_some() {
                return Err(ApiError::bad_request(
                    "Invalid JSON input - revokeAcrossAllTenants can only be set if userId is set",
                ));
            }
            if linked.is_some() {
                return Err(ApiError::bad_request(
                    "Invalid JSON input - revokeSessionsForLinkedAccounts can only be set if userId is set",
                ));
            }
            let mut targets = Vec::new();
            for handle in handles {
                let tenant = tenant_of_handle(app_id, &handle);
                ensure_tenant_exists(&state.db, &tenant).await?;
                targets.push((tenant.tenant_id, handle));
            }
            targets
        }
        _ => {
            return Err(ApiError::bad_request(
                "Invalid JSON input - use one of userId or sessionHandles array",
            ))
        }
    };
    let revoked = store::delete(&state.db, app_id, &targets).await?;
    state.metrics.sessions_revoked.inc_by(revoked.len() as u64);
    http::json(&json!({ "status": "OK", "sessionHandlesRevoked": revoked }))
}

/// `"true"` in any case is true; absent is `default`; anything else is false (upstream).
fn query_flag(request: &Request, name: &str, default: bool) -> Result<bool, ApiError> {
    Ok(request
        .query_opt(name)?
        .map_or(default, |value| value.eq_ignore_ascii_case("true")))
}

async fn user_sessions(request: Request) -> HandlerResult {
    let user_id = request.query("userId")?;
    let across_tenants = query_flag(&request, "fetchAcrossAllTenants", true)?;
    let linked = query_flag(&request, "fetchSessionsForAllLinkedAccounts", true)?;
    if across_tenants {
        request.ensure_app_wide()?;
    }
    let state = &request.state;
    let app_id = &request.tenant.app_id;
    let ids = user_ids(&state.db, app_id, user_id, linked).await?;
    let tenant = (!across_tenants).then_some(request.tenant.tenant_id.as_str());
    let handles = store::handles_of_users(&state.db, app_id, tenant, &ids).await?;
    http::json(&json!({ "status": "OK", "sessionHandles": handles }))
}

/// A new access token with a new payload and the same expiry. Like upstream, the old token
/// is read but not verified (the caller holds the API key).
async fn regenerate(request: Request) -> HandlerResult {
    let input = request.json()?;
    let access_token = input.str("accessToken")?;
    let new_payload = input.opt_object("userDataInJWT")?;
    let state = &request.state;
    let app_id = &request.tenant.app_id;
    let claims = match UnverifiedToken::parse(&access_token).and_then(UnverifiedToken::claims) {
        Ok(claims) => claims,
        Err(error) => return unauthorised(&error.0),
    };
    let tenant = TenantId {
        app_id: app_id.clone(),
        tenant_id: claims.tenant_id.clone(),
    };
    ensure_tenant_exists(&state.db, &tenant).await?;
    let Some(row) =
        store::find(&state.db, app_id, &claims.tenant_id, &claims.session_handle).await?
    else {
        return unauthorised("Session does not exist.");
    };
    let payload = new_payload.unwrap_or(row.jwt_payload);
    if has_protected_claim(&payload, claims.version) {
        return Err(ApiError::bad_request(PROTECTED_FIELD_ERROR));
    }
    if !store::update_payload(
        &state.db,
        app_id,
        &claims.tenant_id,
        &claims.session_handle,
        Payload::Jwt,
        &payload,
    )
    .await?
    {
        return unauthorised("Session does not exist.");
    }
    let session = session_json(
        request.cdi,
        &claims.session_handle,
        &claims.user_id,
        &claims.recipe_user_id,
        &payload,
        &claims.tenant_id,
    );
    let now = now_millis();
    if claims.expiry < now {
        return http::json(&json!({ "status": "OK", "session": session }));
    }
    let fresh = AccessClaims {
        created: to_seconds(now),
        user_data: payload,
        ..claims
    };
    let token = sign(state, app_id, &fresh, row.use_static_key).await?;
    http::json(
        &json!({ "status": "OK", "session": session, "accessToken": fresh.token_json(&token) }),
    )
}

/// PUT of one of the two payloads by session handle.
async fn update_payload(request: Request, field: &str, payload: Payload) -> HandlerResult {
    let input = request.json()?;
    let handle = input.str("sessionHandle")?;
    let value = input.object(field)?;
    if matches!(payload, Payload::Jwt)
        && has_protected_claim(&value, request.cdi.access_token_version())
    {
        return Err(ApiError::bad_request(PROTECTED_FIELD_ERROR));
    }
    let tenant = tenant_of_handle(&request.tenant.app_id, &handle);
    ensure_tenant_exists(&request.state.db, &tenant).await?;
    if store::update_payload(
        &request.state.db,
        &tenant.app_id,
        &tenant.tenant_id,
        &handle,
        payload,
        &value,
    )
    .await?
    {
        http::ok()
    } else {
        unauthorised("Session does not exist.")
    }
}

/// GET of one of the two payloads by session handle (deprecated upstream, still answered).
async fn read_payload(request: Request, field: &str, payload: Payload) -> HandlerResult {
    let handle = request.query("sessionHandle")?;
    match find_by_handle(&request, &handle).await? {
        None => unauthorised("Session does not exist."),
        Some(row) => {
            let value = match payload {
                Payload::Database => row.session_data,
                Payload::Jwt => row.jwt_payload,
            };
            http::json(&json!({ "status": "OK", field: value }))
        }
    }
}

async fn update_session_data(request: Request) -> HandlerResult {
    update_payload(request, "userDataInDatabase", Payload::Database).await
}

async fn session_data(request: Request) -> HandlerResult {
    read_payload(request, "userDataInDatabase", Payload::Database).await
}

async fn update_jwt_data(request: Request) -> HandlerResult {
    update_payload(request, "userDataInJWT", Payload::Jwt).await
}

async fn jwt_data(request: Request) -> HandlerResult {
    read_payload(request, "userDataInJWT", Payload::Jwt).await
}

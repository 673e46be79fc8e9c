//! EmailPassword: sign-up and sign-in with an email and a password, changing either, and
//! password reset tokens.

use serde_json::json;

use super::core::user::{
    find_user, lookup_answer, normalise_email, touch_last_active, AccountInfo, LoginMethod,
    NewLoginMethod, User, EMAILPASSWORD,
};
use super::multitenancy::{ensure_recipe_allowed, LoginRecipe};
use super::useridmapping;
use crate::db::{is_unique_violation, now_millis, BeginWrite, Db};
use crate::error::ApiError;
use crate::http::{self, HandlerResult, Request, Routes, Scope};
use crate::password::StoredHash;
use crate::recipes::core::primary_accounts::{self, AccountConflict, AccountKind};
use crate::token::{random_token, token_hash};
use crate::{
    in_refusable_write_transaction, in_write_transaction, insert_login_method,
    reserve_primary_accounts, update_login_method_account, with_pool,
};

/// Upstream's answer when a tenant's first factors leave EmailPassword out (before CDI 5.1).
const NOT_ENABLED: &str = "Email password login not enabled for tenant";

pub fn register(routes: &mut Routes) {
    routes.post("/recipe/signup", Scope::Tenant, sign_up);
    routes.post("/recipe/signin", Scope::Tenant, sign_in);
    routes.get("/recipe/user", Scope::Tenant, get_user);
    routes.put("/recipe/user", Scope::App, update_user);
    routes.post(
        "/recipe/user/password/reset/token",
        Scope::Tenant,
        create_reset_token,
    );
    routes.post(
        "/recipe/user/password/reset/token/consume",
        Scope::Tenant,
        consume_reset_token,
    );
    routes.post("/recipe/user/password/reset", Scope::Tenant, reset_password);
    routes.post(
        "/recipe/user/passwordhash/import",
        Scope::Tenant,
        import_user,
    );
    routes.on_login_method_removed(
        "DELETE FROM emailpassword_users WHERE app_id = $1 AND user_id = $2",
    );
}

async fn sign_up(request: Request) -> HandlerResult {
    ensure_recipe_allowed(&request, LoginRecipe::EmailPassword, NOT_ENABLED).await?;
    let input = request.json()?;
    let email = normalise_email(&input.str("email")?);
    let password = input.str("password")?;
    if password.is_empty() {
        return Err(ApiError::bad_request("Password cannot be an empty string"));
    }
    let hash = request
        .state
        .passwords
        .for_tenant(&request.settings)
        .hash(password)
        .await?;
    match create_user(&request, &email, &hash).await? {
        Some(user) => {
            let recipe_user_id = user.id.clone();
            touch_last_active(&request.state.db, &request.tenant.app_id, &user.id).await;
            http::json(&user.signed_in_json(&recipe_user_id, request.cdi))
        }
        None => http::json(&json!({ "status": "EMAIL_ALREADY_EXISTS_ERROR" })),
    }
}

/// A new email-password user in the request's tenant; `None` when the email is taken there.
async fn create_user(
    request: &Request,
    email: &str,
    password_hash: &str,
) -> Result<Option<User>, ApiError> {
    let user_id = uuid::Uuid::new_v4().to_string();
    let time_joined = now_millis();
    let method = NewLoginMethod {
        app_id: &request.tenant.app_id,
        tenant_id: &request.tenant.tenant_id,
        user_id: &user_id,
        recipe_id: EMAILPASSWORD,
        email: Some(email),
        phone_number: None,
        third_party: None,
        time_joined,
    };
    let inserted: sqlx::Result<()> = in_write_transaction!(&request.state.db, tx => async {
        insert_login_method!(tx, &method).await?;
        sqlx::query("INSERT INTO emailpassword_users (app_id, user_id, password_hash) VALUES ($1, $2, $3)")
            .bind(method.app_id)
            .bind(&user_id)
            .bind(password_hash)
            .execute(&mut *tx)
            .await?;
        Ok::<(), sqlx::Error>(())
    });
    match inserted {
        Ok(()) => Ok(Some(User {
            id: user_id.clone(),
            external_id: None,
            is_primary: false,
            login_methods: vec![LoginMethod {
                recipe_user_id: user_id,
                external_id: None,
                recipe_id: EMAILPASSWORD.into(),
                time_joined,
                email: Some(email.into()),
                phone_number: None,
                third_party: None,
                tenant_ids: vec![request.tenant.tenant_id.clone()],
                verified: false,
            }],
        })),
        Err(error) if is_unique_violation(&error) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// The email-password login method of `email` in a tenant: (recipe user id, password hash).
async fn find_login(
    db: &Db,
    app_id: &str,
    tenant_id: &str,
    email: &str,
) -> Result<Option<(String, String)>, ApiError> {
    Ok(with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT t.user_id, p.password_hash FROM user_tenants t \
             JOIN emailpassword_users p ON p.app_id = t.app_id AND p.user_id = t.user_id \
             WHERE t.app_id = $1 AND t.tenant_id = $2 AND t.email = $3 AND t.recipe_id = 'emailpassword'",
        )
        .bind(app_id)
        .bind(tenant_id)
        .bind(email)
        .fetch_optional(pool)
        .await?
    }))
}

/// Wrong password and unknown email are one answer, and cost the same time.
async fn sign_in(request: Request) -> HandlerResult {
    ensure_recipe_allowed(&request, LoginRecipe::EmailPassword, NOT_ENABLED).await?;
    let input = request.json()?;
    let email = normalise_email(&input.str("email")?);
    let password = input.str("password")?;
    let state = &request.state;
    let (app_id, tenant_id) = (&request.tenant.app_id, &request.tenant.tenant_id);
    let wrong = || http::json(&json!({ "status": "WRONG_CREDENTIALS_ERROR" }));
    let Some((recipe_user_id, hash)) = find_login(&state.db, app_id, tenant_id, &email).await?
    else {
        state
            .passwords
            .for_tenant(&request.settings)
            .verify_decoy(password)
            .await?;
        return wrong();
    };
    if !state
        .passwords
        .for_tenant(&request.settings)
        .verify(password, hash)
        .await?
    {
        return wrong();
    }
    let Some(user) = find_user(&state.db, app_id, &recipe_user_id).await? else {
        // Deleted between the two reads.
        return wrong();
    };
    touch_last_active(&state.db, app_id, &user.id).await;
    http::json(&user.signed_in_json(&recipe_user_id, request.cdi))
}

/// The deprecated look-up: by recipe user id (only that login method) or by email.
async fn get_user(request: Request) -> HandlerResult {
    let user_id = request.query_opt("userId")?;
    let email = request.query_opt("email")?;
    let db = &request.state.db;
    let app_id = &request.tenant.app_id;
    match (user_id, email) {
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "Please provide only one of userId or email",
        )),
        (None, None) => Err(ApiError::bad_request(
            "Please provide one of userId or email",
        )),
        (Some(user_id), None) => {
            request.ensure_app_wide()?;
            let user = find_user(db, app_id, &user_id)
                .await?
                .and_then(|user| user.only_login_method(&user_id, EMAILPASSWORD));
            http::json(&lookup_answer(user, "UNKNOWN_USER_ID_ERROR", request.cdi))
        }
        (None, Some(email)) => {
            let email = normalise_email(&email);
            let login = find_login(db, app_id, &request.tenant.tenant_id, &email).await?;
            let user = match login {
                Some((recipe_user_id, _)) => find_user(db, app_id, &recipe_user_id).await?,
                None => None,
            };
            http::json(&lookup_answer(user, "UNKNOWN_EMAIL_ERROR", request.cdi))
        }
    }
}

/// Changes the email and/or the password of an email-password login method, atomically.
async fn update_user(request: Request) -> HandlerResult {
    let input = request.json()?;
    let recipe_user_id = match request.cdi.has_account_linking() {
        true => input.str("recipeUserId")?,
        false => input.str("userId")?,
    };
    let email = input.opt_str("email")?.as_deref().map(normalise_email);
    let password = input.opt_str("password")?;
    if email.is_none() && password.is_none() {
        return Err(ApiError::bad_request(
            "You have to provide either email or password.",
        ));
    }
    let state = &request.state;
    let app_id = &request.tenant.app_id;
    let recipe_user_id = useridmapping::resolve(&state.db, app_id, &recipe_user_id).await?;
    let user = find_user(&state.db, app_id, &recipe_user_id)
        .await?
        .filter(|user| {
            user.login_methods.iter().any(|method| {
                method.recipe_user_id == recipe_user_id && method.recipe_id == EMAILPASSWORD
            })
        });
    let Some(user) = user else {
        return http::json(&json!({ "status": "UNKNOWN_USER_ID_ERROR" }));
    };
    // A new email of a linked user must not be another primary user's in its tenants.
    let group = user.is_primary.then_some(user.id.as_str());
    let not_allowed = || {
        http::json(&json!({
            "status": "EMAIL_CHANGE_NOT_ALLOWED_ERROR",
            "reason": "New email is associated with another primary user ID",
        }))
    };
    if let (Some(group), Some(email)) = (group, &email) {
        if primary_accounts::held_by_another(&state.db, app_id, group, AccountKind::Email, email)
            .await?
        {
            return not_allowed();
        }
    }
    let hash = match password {
        Some(password) => Some(
            state
                .passwords
                .for_tenant(&request.settings)
                .hash(password)
                .await?,
        ),
        None => None,
    };
    let updated: sqlx::Result<Result<(), AccountConflict>> = in_refusable_write_transaction!(&state.db, tx => async {
        if let Some(email) = &email {
            update_login_method_account!(tx, app_id, &recipe_user_id, &AccountInfo::Email(Some(email))).await?;
            if let Some(group) = group {
                if let Some(conflict) = reserve_primary_accounts!(tx, app_id, group).await? {
                    return Ok(Err(conflict));
                }
            }
        }
        if let Some(hash) = &hash {
            sqlx::query("UPDATE emailpassword_users SET password_hash = $3 WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(&recipe_user_id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        Ok::<_, sqlx::Error>(Ok(()))
    });
    match updated {
        Ok(Ok(())) => http::ok(),
        Ok(Err(_)) => not_allowed(),
        Err(error) if is_unique_violation(&error) => {
            http::json(&json!({ "status": "EMAIL_ALREADY_EXISTS_ERROR" }))
        }
        Err(error) => Err(error.into()),
    }
}

/// A single-use token that lets `userId` set a new password for `email` within
/// `password_reset_token_lifetime`. Earlier tokens stay valid until one is used. Before CDI
/// 4.0 the request names no email: the token is for the user's email-password email.
async fn create_reset_token(request: Request) -> HandlerResult {
    ensure_recipe_allowed(&request, LoginRecipe::EmailPassword, NOT_ENABLED).await?;
    let input = request.json()?;
    let user_id = input.str("userId")?;
    let email = match request.cdi.has_account_linking() {
        true => Some(input.str("email")?),
        false => None,
    };
    let state = &request.state;
    let app_id = &request.tenant.app_id;
    let unknown = || http::json(&json!({ "status": "UNKNOWN_USER_ID_ERROR" }));
    let user_id = useridmapping::resolve(&state.db, app_id, &user_id).await?;
    let Some(user) = find_user(&state.db, app_id, &user_id).await? else {
        return unknown();
    };
    let email = match email {
        Some(email) => email,
        None => {
            let email_password_email = user
                .login_methods
                .into_iter()
                .find(|method| {
                    method.recipe_user_id == user_id && method.recipe_id == EMAILPASSWORD
                })
                .and_then(|method| method.email);
            match email_password_email {
                Some(email) => email,
                None => return unknown(),
            }
        }
    };
    let token = random_token();
    let expires_at = now_millis().saturating_add(request.settings.password_reset_token_lifetime);
    let stored: sqlx::Result<()> = with_pool!(&state.db, pool => {
        sqlx::query(
            "INSERT INTO emailpassword_reset_tokens (app_id, token_hash, user_id, email, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(app_id)
        .bind(token_hash(&token))
        .bind(&user_id)
        .bind(&email)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(drop)
    });
    match stored {
        Ok(()) => http::json(&json!({ "status": "OK", "token": token })),
        // The user was deleted meanwhile (the foreign key refused the token).
        Err(sqlx::Error::Database(error))
            if error.kind() == sqlx::error::ErrorKind::ForeignKeyViolation =>
        {
            http::json(&json!({ "status": "UNKNOWN_USER_ID_ERROR" }))
        }
        Err(error) => Err(error.into()),
    }
}

/// Uses up a reset token and every other reset token of its user: (user id, email), or
/// `None` when the token is unknown, already used or expired. With `new_password_hash`, the
/// user's password is replaced in the same transaction.
async fn consume(
    db: &Db,
    app_id: &str,
    token: &str,
    new_password_hash: Option<&str>,
) -> Result<Option<(String, String)>, ApiError> {
    let select = format!(
        "SELECT user_id, email, expires_at FROM emailpassword_reset_tokens WHERE app_id = $1 AND token_hash = $2{}",
        db.for_update()
    );
    let hash = token_hash(token);
    Ok(with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let found: Option<(String, String, i64)> =
            sqlx::query_as(&select).bind(app_id).bind(&hash).fetch_optional(&mut *tx).await?;
        let Some((user_id, email, expires_at)) = found else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM emailpassword_reset_tokens WHERE app_id = $1 AND user_id = $2")
            .bind(app_id)
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        let valid = expires_at >= now_millis();
        if let (true, Some(new_hash)) = (valid, new_password_hash) {
            sqlx::query("UPDATE emailpassword_users SET password_hash = $3 WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(&user_id)
                .bind(new_hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        valid.then_some((user_id, email))
    }))
}

async fn consume_reset_token(request: Request) -> HandlerResult {
    let token = request.json()?.str("token")?;
    match consume(&request.state.db, &request.tenant.app_id, &token, None).await? {
        Some((user_id, email)) => {
            let user_id =
                useridmapping::shown_id(&request.state.db, &request.tenant.app_id, &user_id)
                    .await?;
            http::json(&json!({ "status": "OK", "userId": user_id, "email": email }))
        }
        None => http::json(&json!({ "status": "RESET_PASSWORD_INVALID_TOKEN_ERROR" })),
    }
}

/// The deprecated one-step reset: consume the token and set the new password.
async fn reset_password(request: Request) -> HandlerResult {
    let input = request.json()?;
    let method = input.str("method")?;
    let token = input.str("token")?;
    let new_password = input.str("newPassword")?;
    if method != "token" {
        return Err(ApiError::bad_request(
            "Unsupported method for password reset",
        ));
    }
    if new_password.is_empty() {
        return Err(ApiError::bad_request("Password cannot be an empty string"));
    }
    let hash = request
        .state
        .passwords
        .for_tenant(&request.settings)
        .hash(new_password)
        .await?;
    match consume(
        &request.state.db,
        &request.tenant.app_id,
        &token,
        Some(&hash),
    )
    .await?
    {
        Some((user_id, _)) => {
            let user_id =
                useridmapping::shown_id(&request.state.db, &request.tenant.app_id, &user_id)
                    .await?;
            http::json(&json!({ "status": "OK", "userId": user_id }))
        }
        None => http::json(&json!({ "status": "RESET_PASSWORD_INVALID_TOKEN_ERROR" })),
    }
}

/// Creates a user with a hash made elsewhere (argon2, bcrypt or Firebase scrypt), or
/// replaces the hash of the email-password user that already has this email in the tenant.
async fn import_user(request: Request) -> HandlerResult {
    ensure_recipe_allowed(&request, LoginRecipe::EmailPassword, NOT_ENABLED).await?;
    let input = request.json()?;
    let email = normalise_email(&input.str("email")?);
    let password_hash = input.str("passwordHash")?.trim().to_string();
    let algorithm = input.opt_str("hashingAlgorithm")?;
    if password_hash.is_empty() {
        return Err(ApiError::bad_request(
            "Password hash cannot be an empty string",
        ));
    }
    let expected = match algorithm.map(|name| name.trim().to_uppercase()) {
        None => None,
        Some(name) if name.is_empty() => {
            return Err(ApiError::bad_request(
                "Hashing Algorithm cannot be an empty string",
            ))
        }
        Some(name) => Some(match name.as_str() {
            "ARGON2" => (
                StoredHash::Argon2,
                "Password hash is in invalid Argon2 format",
            ),
            "BCRYPT" => (
                StoredHash::Bcrypt,
                "Password hash is in invalid BCrypt format",
            ),
            "FIREBASE_SCRYPT" => (
                StoredHash::FirebaseScrypt,
                "Password hash is in invalid Firebase SCrypt format",
            ),
            _ => {
                return Err(ApiError::bad_request(
                    "Unsupported password hashing algorithm",
                ))
            }
        }),
    };
    let found = StoredHash::recognise(&password_hash);
    match expected {
        Some((wanted, message)) if found != Some(wanted) => {
            return Err(ApiError::bad_request(message))
        }
        None if found.is_none() => {
            return Err(ApiError::bad_request("Password hash is in invalid format"))
        }
        _ => {}
    }
    if found == Some(StoredHash::FirebaseScrypt) {
        // Such users could never sign in; the operator has to set the key first.
        request
            .state
            .passwords
            .for_tenant(&request.settings)
            .ensure_firebase_signer_key()?;
    }

    if let Some(user) = create_user(&request, &email, &password_hash).await? {
        return http::json(
            &json!({ "status": "OK", "user": user.recipe_answer_json(request.cdi), "didUserAlreadyExist": false }),
        );
    }
    let state = &request.state;
    let (app_id, tenant_id) = (&request.tenant.app_id, &request.tenant.tenant_id);
    let existing = match find_login(&state.db, app_id, tenant_id, &email).await? {
        Some((recipe_user_id, _)) => {
            with_pool!(&state.db, pool => {
                sqlx::query("UPDATE emailpassword_users SET password_hash = $3 WHERE app_id = $1 AND user_id = $2")
                    .bind(app_id)
                    .bind(&recipe_user_id)
                    .bind(&password_hash)
                    .execute(pool)
                    .await?;
            });
            find_user(&state.db, app_id, &recipe_user_id).await?
        }
        None => None,
    };
    match existing {
        Some(user) => http::json(
            &json!({ "status": "OK", "user": user.recipe_answer_json(request.cdi), "didUserAlreadyExist": true }),
        ),
        // The clashing user was deleted between the two steps; the client may retry.
        None => Err(anyhow::anyhow!("the user with this email changed during the import").into()),
    }
}

//! EmailVerification: single-use tokens that mark a user's email as verified.

use serde_json::json;

use super::core::user::normalise_email;
use crate::db::{now_millis, BeginWrite};
use crate::error::ApiError;
use crate::http::{self, HandlerResult, JsonInput, Request, Routes, Scope};
use crate::token::{random_token, token_hash};
use crate::with_pool;

pub fn register(routes: &mut Routes) {
    routes.post(
        "/recipe/user/email/verify/token",
        Scope::Tenant,
        create_token,
    );
    routes.post("/recipe/user/email/verify", Scope::Tenant, verify_email);
    routes.get("/recipe/user/email/verify", Scope::App, is_verified);
    routes.post(
        "/recipe/user/email/verify/remove",
        Scope::App,
        unverify_email,
    );
    routes.post(
        "/recipe/user/email/verify/token/remove",
        Scope::Tenant,
        revoke_tokens,
    );
    routes.on_user_removed(
        "DELETE FROM emailverification_verified_emails WHERE app_id = $1 AND user_id = $2",
    );
    routes
        .on_user_removed("DELETE FROM emailverification_tokens WHERE app_id = $1 AND user_id = $2");
}

/// `userId` and the normalised `email` of a request body.
fn user_and_email(input: &JsonInput) -> Result<(String, String), ApiError> {
    let user_id = input.str("userId")?;
    let email = normalise_email(&input.str("email")?);
    Ok((user_id, email))
}

async fn create_token(request: Request) -> HandlerResult {
    let (user_id, email) = user_and_email(&request.json()?)?;
    let state = &request.state;
    let (app_id, tenant_id) = (&request.tenant.app_id, &request.tenant.tenant_id);
    let token = random_token();
    let expires_at =
        now_millis().saturating_add(request.settings.email_verification_token_lifetime);
    let created = with_pool!(&state.db, pool => {
        let verified: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM emailverification_verified_emails WHERE app_id = $1 AND user_id = $2 AND email = $3",
        )
        .bind(app_id)
        .bind(&user_id)
        .bind(&email)
        .fetch_optional(pool)
        .await?;
        if verified.is_none() {
            sqlx::query(
                "INSERT INTO emailverification_tokens (app_id, tenant_id, token_hash, user_id, email, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(app_id)
            .bind(tenant_id)
            .bind(token_hash(&token))
            .bind(&user_id)
            .bind(&email)
            .bind(expires_at)
            .execute(pool)
            .await?;
        }
        verified.is_none()
    });
    if created {
        http::json(&json!({ "status": "OK", "token": token }))
    } else {
        http::json(&json!({ "status": "EMAIL_ALREADY_VERIFIED_ERROR" }))
    }
}

/// Using a token (or trying an expired one) uses up every token of that user and email in
/// the tenant; a valid one marks the email verified for the whole app.
async fn verify_email(request: Request) -> HandlerResult {
    let input = request.json()?;
    let method = input.str("method")?;
    let token = input.str("token")?;
    if method != "token" {
        return Err(ApiError::bad_request(
            "Unsupported method for email verification",
        ));
    }
    let db = &request.state.db;
    let (app_id, tenant_id) = (&request.tenant.app_id, &request.tenant.tenant_id);
    let select = format!(
        "SELECT user_id, email, expires_at FROM emailverification_tokens \
         WHERE app_id = $1 AND tenant_id = $2 AND token_hash = $3{}",
        db.for_update()
    );
    let verified: Option<(String, String)> = with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let found: Option<(String, String, i64)> = sqlx::query_as(&select)
            .bind(app_id)
            .bind(tenant_id)
            .bind(token_hash(&token))
            .fetch_optional(&mut *tx)
            .await?;
        match found {
            None => None,
            Some((user_id, email, expires_at)) => {
                sqlx::query("DELETE FROM emailverification_tokens WHERE app_id = $1 AND tenant_id = $2 AND user_id = $3 AND email = $4")
                    .bind(app_id)
                    .bind(tenant_id)
                    .bind(&user_id)
                    .bind(&email)
                    .execute(&mut *tx)
                    .await?;
                let valid = expires_at >= now_millis();
                if valid {
                    sqlx::query(
                        "INSERT INTO emailverification_verified_emails (app_id, user_id, email) VALUES ($1, $2, $3) \
                         ON CONFLICT (app_id, user_id, email) DO NOTHING",
                    )
                    .bind(app_id)
                    .bind(&user_id)
                    .bind(&email)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                valid.then_some((user_id, email))
            }
        }
    });
    match verified {
        Some((user_id, email)) => {
            http::json(&json!({ "status": "OK", "userId": user_id, "email": email }))
        }
        None => http::json(&json!({ "status": "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR" })),
    }
}

async fn is_verified(request: Request) -> HandlerResult {
    let user_id = request.query("userId")?;
    let email = normalise_email(&request.query("email")?);
    let found: Option<i32> = with_pool!(&request.state.db, pool => {
        sqlx::query_scalar(
            "SELECT 1 FROM emailverification_verified_emails WHERE app_id = $1 AND user_id = $2 AND email = $3",
        )
        .bind(&request.tenant.app_id)
        .bind(&user_id)
        .bind(&email)
        .fetch_optional(pool)
        .await?
    });
    http::json(&json!({ "status": "OK", "isVerified": found.is_some() }))
}

async fn unverify_email(request: Request) -> HandlerResult {
    let (user_id, email) = user_and_email(&request.json()?)?;
    with_pool!(&request.state.db, pool => {
        sqlx::query("DELETE FROM emailverification_verified_emails WHERE app_id = $1 AND user_id = $2 AND email = $3")
            .bind(&request.tenant.app_id)
            .bind(&user_id)
            .bind(&email)
            .execute(pool)
            .await?;
    });
    http::ok()
}

async fn revoke_tokens(request: Request) -> HandlerResult {
    let (user_id, email) = user_and_email(&request.json()?)?;
    with_pool!(&request.state.db, pool => {
        sqlx::query("DELETE FROM emailverification_tokens WHERE app_id = $1 AND tenant_id = $2 AND user_id = $3 AND email = $4")
            .bind(&request.tenant.app_id)
            .bind(&request.tenant.tenant_id)
            .bind(&user_id)
            .bind(&email)
            .execute(pool)
            .await?;
    });
    http::ok()
}

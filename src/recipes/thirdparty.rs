//! ThirdParty: signing in with an account of another provider (Google, GitHub, ...). The
//! SDK talks to the provider; the core keeps one user per provider account and tenant.

use actix_web::http::Method;
use serde_json::json;

use super::core::user::{
    create_login_method, find_user, load_users, lookup_answer, normalise_email, touch_last_active,
    AccountInfo, NewLoginMethod, ThirdPartyAccount, THIRDPARTY,
};
use super::multitenancy::{ensure_recipe_allowed, LoginRecipe};
use super::useridmapping;
use crate::db::{now_millis, Db};
use crate::error::ApiError;
use crate::http::{self, HandlerResult, Request, Routes, Scope, TenantId};
use crate::recipes::core::primary_accounts::AccountConflict;
use crate::{
    in_refusable_write_transaction, reserve_primary_accounts, update_login_method_account,
    with_pool,
};

/// Upstream's answer when a tenant's first factors leave ThirdParty out (before CDI 5.1).
const NOT_ENABLED: &str = "ThirdParty login not enabled for tenant";

pub fn register(routes: &mut Routes) {
    routes.post("/recipe/signinup", Scope::Tenant, sign_in_up);
    routes.for_recipe(
        Method::GET,
        THIRDPARTY,
        "/recipe/user",
        Scope::Tenant,
        get_user,
    );
    routes.get("/recipe/users/by-email", Scope::Tenant, users_by_email);
}

/// Signs a provider account in, creating its user in the tenant the first time. A changed
/// email replaces the stored one; `isVerified` (CDI 4.0 on) marks the email verified.
async fn sign_in_up(request: Request) -> HandlerResult {
    let input = request.json()?;
    let account = ThirdPartyAccount {
        id: input.str("thirdPartyId")?,
        user_id: input.str("thirdPartyUserId")?,
    };
    let email_input = input.nested("email")?;
    let email = normalise_email(&email_input.str_stored_as("id", "email")?);
    let verified = match request.cdi.has_account_linking() {
        true => email_input.bool("isVerified")?,
        false => false,
    };
    ensure_recipe_allowed(&request, LoginRecipe::ThirdParty, NOT_ENABLED).await?;
    let db = &request.state.db;
    let tenant = &request.tenant;
    let (user_id, created) = loop {
        if let Some(user_id) = create(db, tenant, &account, &email).await? {
            break (user_id, true);
        }
        // The account exists in this tenant: sign it in, with the email it has now. A user
        // deleted meanwhile is created again by the next turn.
        match sign_in(db, tenant, &account, &email).await? {
            Some(Ok(user_id)) => break (user_id, false),
            Some(Err(_)) => {
                return http::json(&json!({
                    "status": "EMAIL_CHANGE_NOT_ALLOWED_ERROR",
                    "reason": "Email already associated with another primary user.",
                }))
            }
            None => {}
        }
    };
    if verified {
        // Verified emails are kept under the id the application knows the user by.
        let shown_id = useridmapping::shown_id(db, &tenant.app_id, &user_id).await?;
        with_pool!(db, pool => {
            sqlx::query(
                "INSERT INTO emailverification_verified_emails (app_id, user_id, email) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&tenant.app_id)
            .bind(&shown_id)
            .bind(&email)
            .execute(pool)
            .await?;
        });
    }
    let Some(user) = find_user(db, &tenant.app_id, &user_id).await? else {
        return Err(anyhow::anyhow!("the signed-in user was deleted meanwhile").into());
    };
    touch_last_active(db, &tenant.app_id, &user.id).await;
    let mut answer = user.signed_in_json(&user_id, request.cdi);
    answer["createdNewUser"] = json!(created);
    http::json(&answer)
}

/// The deprecated look-up (rid `thirdparty`): by user id (app-wide) or by provider account
/// (in the tenant).
async fn get_user(request: Request) -> HandlerResult {
    let user_id = request.query_opt("userId")?;
    let third_party_id = request.query_opt("thirdPartyId")?;
    let third_party_user_id = request.query_opt("thirdPartyUserId")?;
    let db = &request.state.db;
    let app_id = &request.tenant.app_id;
    let (user, unknown) = match (user_id, third_party_id, third_party_user_id) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(ApiError::bad_request(
                "Please provide only one of userId or (thirdPartyId & thirdPartyUserId)",
            ))
        }
        (Some(user_id), None, None) => {
            request.ensure_app_wide()?;
            let user = find_user(db, app_id, &user_id)
                .await?
                .and_then(|user| user.only_login_method(&user_id, THIRDPARTY));
            (user, "UNKNOWN_USER_ID_ERROR")
        }
        (None, Some(id), Some(user_id)) => {
            let account = ThirdPartyAccount { id, user_id };
            let user = match account_user(db, &request.tenant, &account).await? {
                Some((user_id, _, _)) => find_user(db, app_id, &user_id).await?,
                None => None,
            };
            (user, "UNKNOWN_THIRD_PARTY_USER_ERROR")
        }
        _ => {
            return Err(ApiError::bad_request(
                "Please provide one of userId or (thirdPartyId & thirdPartyUserId)",
            ))
        }
    };
    http::json(&lookup_answer(user, unknown, request.cdi))
}

/// The deprecated look-up of the tenant's ThirdParty users with an email.
async fn users_by_email(request: Request) -> HandlerResult {
    let email = normalise_email(&request.query("email")?);
    let db = &request.state.db;
    let ids: Vec<String> = with_pool!(db, pool => {
        sqlx::query_scalar(
            "SELECT user_id FROM user_tenants WHERE app_id = $1 AND tenant_id = $2 \
             AND recipe_id = 'thirdparty' AND email = $3 ORDER BY primary_time_joined, user_id",
        )
        .bind(&request.tenant.app_id)
        .bind(&request.tenant.tenant_id)
        .bind(&email)
        .fetch_all(pool)
        .await?
    });
    let users: Vec<_> = load_users(db, &request.tenant.app_id, &ids)
        .await?
        .iter()
        .map(|user| user.recipe_answer_json(request.cdi))
        .collect();
    http::json(&json!({ "status": "OK", "users": users }))
}

/// A new user for the account in the tenant; `None` when the tenant has one already.
async fn create(
    db: &Db,
    tenant: &TenantId,
    account: &ThirdPartyAccount,
    email: &str,
) -> Result<Option<String>, ApiError> {
    let user_id = uuid::Uuid::new_v4().to_string();
    let method = NewLoginMethod {
        app_id: &tenant.app_id,
        tenant_id: &tenant.tenant_id,
        user_id: &user_id,
        recipe_id: THIRDPARTY,
        email: Some(email),
        phone_number: None,
        third_party: Some(account),
        time_joined: now_millis(),
    };
    Ok(create_login_method(db, &method).await?.then_some(user_id))
}

/// The login method of a provider account in a tenant: its id, its email, and its primary
/// user's id when it is linked or primary.
async fn account_user(
    db: &Db,
    tenant: &TenantId,
    account: &ThirdPartyAccount,
) -> Result<Option<(String, Option<String>, Option<String>)>, ApiError> {
    Ok(with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT t.user_id, t.email, CASE WHEN u.is_primary THEN u.primary_user_id END FROM user_tenants t \
             JOIN users u ON u.app_id = t.app_id AND u.user_id = t.user_id \
             WHERE t.app_id = $1 AND t.tenant_id = $2 \
             AND t.recipe_id = 'thirdparty' AND t.third_party_id = $3 AND t.third_party_user_id = $4",
        )
        .bind(&tenant.app_id)
        .bind(&tenant.tenant_id)
        .bind(&account.id)
        .bind(&account.user_id)
        .fetch_optional(pool)
        .await?
    }))
}

/// The account's user in the tenant, its email updated when the provider gives another;
/// `Some(Err)` when the user is linked and another primary user has the new email in one of
/// its tenants.
async fn sign_in(
    db: &Db,
    tenant: &TenantId,
    account: &ThirdPartyAccount,
    email: &str,
) -> Result<Option<Result<String, AccountConflict>>, ApiError> {
    let Some((user_id, stored_email, group)) = account_user(db, tenant, account).await? else {
        return Ok(None);
    };
    if stored_email.as_deref() == Some(email) {
        return Ok(Some(Ok(user_id)));
    }
    let app_id = &tenant.app_id;
    let updated: sqlx::Result<Result<(), AccountConflict>> = in_refusable_write_transaction!(db, tx => async {
        update_login_method_account!(tx, app_id, &user_id, &AccountInfo::Email(Some(email))).await?;
        if let Some(group) = &group {
            if let Some(conflict) = reserve_primary_accounts!(tx, app_id, group).await? {
                return Ok(Err(conflict));
            }
        }
        Ok::<_, sqlx::Error>(Ok(()))
    });
    Ok(Some(updated?.map(|()| user_id)))
}

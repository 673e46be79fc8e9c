//! The user every auth recipe shares: its login methods, its JSON form (CDI 5.4), loading,
//! listing and deleting. Recipes create login methods through [`insert_login_method`].

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::db::{now_millis, placeholders, Db};
use crate::error::ApiError;
use crate::with_pool;

pub const EMAILPASSWORD: &str = "emailpassword";

/// The longest user id and email the storage keeps (upstream's column sizes); longer ones
/// are refused with a 400 rather than failing in the database.
pub const MAX_USER_ID_CHARS: usize = 128;
pub const MAX_EMAIL_CHARS: usize = 256;

/// Upstream's email normalisation: surrounding blanks removed, lower case.
pub fn normalise_email(email: &str) -> String {
    email.trim_matches(|c: char| c <= ' ').to_lowercase()
}

/// One way of signing in (a "recipe user").
#[derive(Debug, Clone)]
pub struct LoginMethod {
    pub recipe_user_id: String,
    pub recipe_id: String,
    pub time_joined: i64,
    pub email: Option<String>,
    pub tenant_ids: Vec<String>,
    pub verified: bool,
}

/// A user with all its login methods.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub is_primary: bool,
    pub login_methods: Vec<LoginMethod>,
}

impl User {
    pub fn time_joined(&self) -> i64 {
        self.login_methods
            .iter()
            .map(|method| method.time_joined)
            .min()
            .unwrap_or_default()
    }

    /// The user object of CDI 5.4, which the SDKs build their `User` from. Keys of a login
    /// method that do not apply to it are left out, never sent as null.
    pub fn to_json(&self) -> Value {
        let mut tenant_ids: Vec<&str> = Vec::new();
        let mut emails: Vec<&str> = Vec::new();
        for method in &self.login_methods {
            for tenant in &method.tenant_ids {
                if !tenant_ids.contains(&tenant.as_str()) {
                    tenant_ids.push(tenant);
                }
            }
            if let Some(email) = method
                .email
                .as_deref()
                .filter(|email| !emails.contains(email))
            {
                emails.push(email);
            }
        }
        let login_methods: Vec<Value> = self
            .login_methods
            .iter()
            .map(|method| {
                let mut value = json!({
                    "tenantIds": method.tenant_ids,
                    "recipeUserId": method.recipe_user_id,
                    "verified": method.verified,
                    "timeJoined": method.time_joined,
                    "recipeId": method.recipe_id,
                });
                if let Some(email) = &method.email {
                    value["email"] = json!(email);
                }
                value
            })
            .collect();
        json!({
            "id": self.id,
            "isPrimaryUser": self.is_primary,
            "tenantIds": tenant_ids,
            "timeJoined": self.time_joined(),
            "emails": emails,
            "phoneNumbers": [],
            "thirdParty": [],
            "webauthn": { "credentialIds": [] },
            "loginMethods": login_methods,
        })
    }
}

/// What a recipe stores for a new login method, in its own transaction.
pub struct NewLoginMethod<'a> {
    pub app_id: &'a str,
    pub tenant_id: &'a str,
    pub user_id: &'a str,
    pub recipe_id: &'static str,
    pub email: Option<&'a str>,
    pub time_joined: i64,
}

/// Inserts a new (unlinked) user with one login method in one tenant, inside the caller's
/// transaction `$tx` (either backend). A duplicate email of the same recipe in that tenant
/// fails with a unique violation. A macro, because the statements must run on whichever
/// backend's transaction the caller holds.
#[macro_export]
macro_rules! insert_login_method {
    ($tx:expr, $method:expr) => {
        async {
            let method: &$crate::recipes::core::user::NewLoginMethod<'_> = $method;
            let domain = method.email.and_then(|email| email.rsplit_once('@')).map(|(_, domain)| domain);
            sqlx::query(
                "INSERT INTO users (app_id, user_id, recipe_id, primary_user_id, is_primary, time_joined, email) \
                 VALUES ($1, $2, $3, $2, FALSE, $4, $5)",
            )
            .bind(method.app_id)
            .bind(method.user_id)
            .bind(method.recipe_id)
            .bind(method.time_joined)
            .bind(method.email)
            .execute(&mut *$tx)
            .await?;
            sqlx::query(
                "INSERT INTO user_tenants \
                 (app_id, tenant_id, user_id, recipe_id, primary_user_id, primary_time_joined, email, email_domain) \
                 VALUES ($1, $2, $3, $4, $3, $5, $6, $7)",
            )
            .bind(method.app_id)
            .bind(method.tenant_id)
            .bind(method.user_id)
            .bind(method.recipe_id)
            .bind(method.time_joined)
            .bind(method.email)
            .bind(domain)
            .execute(&mut *$tx)
            .await?;
            Ok::<(), sqlx::Error>(())
        }
    };
}

/// Loads users by their primary ids, in the order asked; ids that do not exist are skipped.
pub async fn load_users(
    db: &Db,
    app_id: &str,
    primary_ids: &[String],
) -> Result<Vec<User>, ApiError> {
    if primary_ids.is_empty() {
        return Ok(Vec::new());
    }
    let in_list = placeholders(2, primary_ids.len());
    let methods_sql = format!(
        "SELECT u.user_id, u.primary_user_id, u.recipe_id, u.is_primary, u.time_joined, u.email, \
                v.user_id IS NOT NULL AS verified \
         FROM users u \
         LEFT JOIN emailverification_verified_emails v \
           ON v.app_id = u.app_id AND v.user_id = u.user_id AND v.email = u.email \
         WHERE u.app_id = $1 AND u.primary_user_id IN ({in_list}) \
         ORDER BY u.time_joined, u.user_id"
    );
    let tenants_sql = format!(
        "SELECT user_id, tenant_id FROM user_tenants WHERE app_id = $1 AND primary_user_id IN ({in_list}) \
         ORDER BY tenant_id"
    );
    type MethodRow = (String, String, String, bool, i64, Option<String>, bool);
    let (methods, tenants): (Vec<MethodRow>, Vec<(String, String)>) = with_pool!(db, pool => {
        let mut methods = sqlx::query_as(&methods_sql).bind(app_id);
        let mut tenants = sqlx::query_as(&tenants_sql).bind(app_id);
        for id in primary_ids {
            methods = methods.bind(id);
            tenants = tenants.bind(id);
        }
        (methods.fetch_all(pool).await?, tenants.fetch_all(pool).await?)
    });

    let mut tenants_of: HashMap<String, Vec<String>> = HashMap::new();
    for (user_id, tenant_id) in tenants {
        tenants_of.entry(user_id).or_default().push(tenant_id);
    }
    let mut users: HashMap<String, User> = HashMap::new();
    for (user_id, primary_user_id, recipe_id, is_primary, time_joined, email, verified) in methods {
        let user = users
            .entry(primary_user_id.clone())
            .or_insert_with(|| User {
                id: primary_user_id,
                is_primary: false,
                login_methods: Vec::new(),
            });
        user.is_primary |= is_primary;
        user.login_methods.push(LoginMethod {
            tenant_ids: tenants_of.remove(&user_id).unwrap_or_default(),
            recipe_user_id: user_id,
            recipe_id,
            time_joined,
            email,
            verified,
        });
    }
    Ok(primary_ids
        .iter()
        .filter_map(|id| users.remove(id))
        .collect())
}

/// The user that `user_id` (a primary or a recipe user id) belongs to.
pub async fn find_user(db: &Db, app_id: &str, user_id: &str) -> Result<Option<User>, ApiError> {
    let primary: Option<String> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT primary_user_id FROM users WHERE app_id = $1 AND user_id = $2")
            .bind(app_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?
    });
    match primary {
        Some(primary) => Ok(load_users(db, app_id, &[primary]).await?.pop()),
        None => Ok(None),
    }
}

/// Records that a user was active now (sign-up, sign-in, sessions).
pub async fn touch_last_active(db: &Db, app_id: &str, user_id: &str) -> Result<(), ApiError> {
    with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO user_last_active (app_id, user_id, last_active_time) VALUES ($1, $2, $3) \
             ON CONFLICT (app_id, user_id) DO UPDATE SET last_active_time = excluded.last_active_time",
        )
        .bind(app_id)
        .bind(user_id)
        .bind(now_millis())
        .execute(pool)
        .await?;
    });
    Ok(())
}

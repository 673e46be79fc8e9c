//! The user every auth recipe shares: its login methods, its JSON forms (per CDI version),
//! loading, listing and deleting. Recipes create login methods through [`insert_login_method`].

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::db::{now_millis, placeholders, Db};
use crate::error::ApiError;
use crate::http::CdiVersion;
use crate::with_pool;

pub const EMAILPASSWORD: &str = "emailpassword";
pub const THIRDPARTY: &str = "thirdparty";
pub const PASSWORDLESS: &str = "passwordless";

/// Upstream's email normalisation: surrounding blanks removed, lower case.
pub fn normalise_email(email: &str) -> String {
    email.trim_matches(|c: char| c <= ' ').to_lowercase()
}

/// Upstream's phone number normalisation: E.164 when the number parses (it must then start
/// with `+` and a country code), else the input without surrounding blanks.
pub fn normalise_phone_number(phone_number: &str) -> String {
    let trimmed = phone_number.trim_matches(|c: char| c <= ' ');
    match phonenumber::parse(None, trimmed) {
        Ok(parsed) => parsed.format().mode(phonenumber::Mode::E164).to_string(),
        Err(_) => trimmed.to_string(),
    }
}

/// One way of signing in (a "recipe user").
#[derive(Debug, Clone)]
pub struct LoginMethod {
    pub recipe_user_id: String,
    /// The application's own id for it (user id mapping), which answers show instead.
    pub external_id: Option<String>,
    pub recipe_id: String,
    pub time_joined: i64,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub third_party: Option<ThirdPartyAccount>,
    pub tenant_ids: Vec<String>,
    pub verified: bool,
}

/// A ThirdParty login method's account: the provider's id and the user's id there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThirdPartyAccount {
    pub id: String,
    pub user_id: String,
}

impl ThirdPartyAccount {
    /// The account of a provider id and a user id there, when both are given.
    pub fn from_pair(id: Option<String>, user_id: Option<String>) -> Option<Self> {
        Some(Self {
            id: id?,
            user_id: user_id?,
        })
    }

    fn to_json(&self) -> Value {
        json!({ "id": self.id, "userId": self.user_id })
    }
}

impl LoginMethod {
    /// The id answers show: the application's own id when it mapped one.
    pub fn shown_id(&self) -> &str {
        self.external_id.as_deref().unwrap_or(&self.recipe_user_id)
    }

    /// Whether `id` names this login method, by gatehouse's id or the mapped one.
    pub fn is_named(&self, id: &str) -> bool {
        self.recipe_user_id == id || self.external_id.as_deref() == Some(id)
    }

    /// Adds what the login method signs in with (email, phone number, provider account) to
    /// its JSON form; keys that do not apply are left out, never sent as null.
    fn add_account_info(&self, value: &mut Value) {
        if let Some(email) = &self.email {
            value["email"] = json!(email);
        }
        if let Some(phone_number) = &self.phone_number {
            value["phoneNumber"] = json!(phone_number);
        }
        if let Some(account) = &self.third_party {
            value["thirdParty"] = account.to_json();
        }
    }
}

/// A user with all its login methods.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    /// The application's own id for the user (user id mapping), which answers show instead.
    pub external_id: Option<String>,
    pub is_primary: bool,
    pub login_methods: Vec<LoginMethod>,
}

impl User {
    /// The id answers show for the user: the application's own id when it mapped one.
    pub fn shown_id(&self) -> &str {
        self.external_id.as_deref().unwrap_or(&self.id)
    }

    pub fn time_joined(&self) -> i64 {
        self.login_methods
            .iter()
            .map(|method| method.time_joined)
            .min()
            .unwrap_or_default()
    }

    /// The user as a recipe's deprecated look-up by id shows it: only its login method
    /// `recipe_user_id` of `recipe_id`, if it has one.
    pub fn only_login_method(self, recipe_user_id: &str, recipe_id: &str) -> Option<User> {
        let method = self
            .login_methods
            .into_iter()
            .find(|method| method.is_named(recipe_user_id) && method.recipe_id == recipe_id)?;
        Some(User {
            id: method.recipe_user_id.clone(),
            external_id: method.external_id.clone(),
            is_primary: self.is_primary,
            login_methods: vec![method],
        })
    }

    /// The account-linking user object, which the SDKs build their `User` from; the core
    /// APIs (/user/id, /users/by-accountinfo) answer it at every version. Keys of a login
    /// method that do not apply to it are left out, never sent as null.
    pub fn to_json(&self, cdi: CdiVersion) -> Value {
        let mut tenant_ids: Vec<&str> = Vec::new();
        let mut emails: Vec<&str> = Vec::new();
        let mut phone_numbers: Vec<&str> = Vec::new();
        let mut third_party: Vec<Value> = Vec::new();
        for method in &self.login_methods {
            if let Some(account) = &method.third_party {
                third_party.push(account.to_json());
            }
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
            if let Some(phone_number) = method
                .phone_number
                .as_deref()
                .filter(|phone_number| !phone_numbers.contains(phone_number))
            {
                phone_numbers.push(phone_number);
            }
        }
        let login_methods: Vec<Value> = self
            .login_methods
            .iter()
            .map(|method| {
                let mut value = json!({
                    "tenantIds": method.tenant_ids,
                    "recipeUserId": method.shown_id(),
                    "verified": method.verified,
                    "timeJoined": method.time_joined,
                    "recipeId": method.recipe_id,
                });
                method.add_account_info(&mut value);
                value
            })
            .collect();
        let mut user = json!({
            "id": self.shown_id(),
            "isPrimaryUser": self.is_primary,
            "tenantIds": tenant_ids,
            "timeJoined": self.time_joined(),
            "emails": emails,
            "phoneNumbers": phone_numbers,
            "thirdParty": third_party,
            "loginMethods": login_methods,
        });
        if cdi.shows_webauthn() {
            user["webauthn"] = json!({ "credentialIds": [] });
        }
        user
    }

    /// The user before account linking (CDI < 4.0): one login method of one recipe, shaped
    /// as that recipe's user (`{id, email, timeJoined, tenantIds}` for EmailPassword).
    fn recipe_user_json(&self) -> Value {
        let Some(method) = self.login_methods.first() else {
            return json!({ "id": self.id, "timeJoined": self.time_joined(), "tenantIds": [] });
        };
        let mut user = json!({
            "id": method.shown_id(),
            "timeJoined": method.time_joined,
            "tenantIds": method.tenant_ids,
        });
        method.add_account_info(&mut user);
        user
    }

    /// The user in a recipe's own answers (sign-up, sign-in, GET /recipe/user, import): the
    /// account-linking user from CDI 4.0, the recipe's user before.
    pub fn recipe_answer_json(&self, cdi: CdiVersion) -> Value {
        if cdi.has_account_linking() {
            self.to_json(cdi)
        } else {
            self.recipe_user_json()
        }
    }

    /// An item of GET /users: the user, wrapped with its recipe before CDI 4.0.
    pub fn listing_json(&self, cdi: CdiVersion) -> Value {
        if cdi.has_account_linking() {
            return self.to_json(cdi);
        }
        let recipe_id = self
            .login_methods
            .first()
            .map_or(EMAILPASSWORD, |method| method.recipe_id.as_str());
        json!({ "recipeId": recipe_id, "user": self.recipe_user_json() })
    }

    /// The answer of a sign-up or sign-in with `recipe_user_id`: the user, and from CDI 4.0
    /// the login method used.
    pub fn signed_in_json(&self, recipe_user_id: &str, cdi: CdiVersion) -> Value {
        let mut answer = json!({ "status": "OK", "user": self.recipe_answer_json(cdi) });
        if cdi.has_account_linking() {
            let shown = self
                .login_methods
                .iter()
                .find(|method| method.is_named(recipe_user_id))
                .map_or(recipe_user_id, LoginMethod::shown_id);
            answer["recipeUserId"] = json!(shown);
        }
        answer
    }
}

/// The answer of a recipe's deprecated look-up (GET /recipe/user): the user in the recipe's
/// shape for the version, or the recipe's status for an unknown one.
pub fn lookup_answer(user: Option<User>, unknown_status: &str, cdi: CdiVersion) -> Value {
    match user {
        Some(user) => json!({ "status": "OK", "user": user.recipe_answer_json(cdi) }),
        None => json!({ "status": unknown_status }),
    }
}

/// The part of an email after its last `@`, which domain searches read.
pub fn email_domain(email: &str) -> Option<&str> {
    email.rsplit_once('@').map(|(_, domain)| domain)
}

/// A change of what a login method signs in with: a new email or phone number, or `None` to
/// remove it.
#[derive(Debug, Clone, Copy)]
pub enum AccountInfo<'a> {
    Email(Option<&'a str>),
    PhoneNumber(Option<&'a str>),
}

impl AccountInfo<'_> {
    /// The statements that apply it to the login method ($2) of the app ($1), in every
    /// tenant it belongs to: the value is bound as $3 and, where the flag says so, the
    /// email's domain as $4.
    pub fn statements(&self) -> [(&'static str, bool); 2] {
        match self {
            AccountInfo::Email(_) => [
                ("UPDATE users SET email = $3 WHERE app_id = $1 AND user_id = $2", false),
                (
                    "UPDATE user_tenants SET email = $3, email_domain = $4 WHERE app_id = $1 AND user_id = $2",
                    true,
                ),
            ],
            AccountInfo::PhoneNumber(_) => [
                ("UPDATE users SET phone_number = $3 WHERE app_id = $1 AND user_id = $2", false),
                ("UPDATE user_tenants SET phone_number = $3 WHERE app_id = $1 AND user_id = $2", false),
            ],
        }
    }

    pub fn value(&self) -> Option<&str> {
        match self {
            AccountInfo::Email(value) | AccountInfo::PhoneNumber(value) => *value,
        }
    }

    /// The email's domain, which searches read.
    pub fn email_domain(&self) -> Option<&str> {
        self.value().and_then(email_domain)
    }
}

/// Applies an [`AccountInfo`] change to a login method in every tenant it belongs to, inside
/// the caller's transaction `$tx` (either backend); a macro for the same reason as
/// [`insert_login_method!`]. A value another login method of the recipe has in one of those
/// tenants fails with a unique violation.
#[macro_export]
macro_rules! update_login_method_account {
    ($tx:expr, $app_id:expr, $user_id:expr, $change:expr) => {
        async {
            let (app_id, user_id): (&str, &str) = ($app_id, $user_id);
            let change: &$crate::recipes::core::user::AccountInfo<'_> = $change;
            for (statement, with_domain) in change.statements() {
                let mut query = sqlx::query(statement)
                    .bind(app_id)
                    .bind(user_id)
                    .bind(change.value());
                if with_domain {
                    query = query.bind(change.email_domain());
                }
                query.execute(&mut *$tx).await?;
            }
            Ok::<(), sqlx::Error>(())
        }
    };
}

/// What a recipe stores for a new login method, in its own transaction.
pub struct NewLoginMethod<'a> {
    pub app_id: &'a str,
    pub tenant_id: &'a str,
    pub user_id: &'a str,
    pub recipe_id: &'static str,
    pub email: Option<&'a str>,
    pub phone_number: Option<&'a str>,
    pub third_party: Option<&'a ThirdPartyAccount>,
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
            let domain = method.email.and_then($crate::recipes::core::user::email_domain);
            let third_party_id = method.third_party.map(|account| account.id.as_str());
            let third_party_user_id = method.third_party.map(|account| account.user_id.as_str());
            sqlx::query(
                "INSERT INTO users (app_id, user_id, recipe_id, primary_user_id, is_primary, time_joined, email, \
                 phone_number, third_party_id, third_party_user_id) VALUES ($1, $2, $3, $2, FALSE, $4, $5, $6, $7, $8)",
            )
            .bind(method.app_id)
            .bind(method.user_id)
            .bind(method.recipe_id)
            .bind(method.time_joined)
            .bind(method.email)
            .bind(method.phone_number)
            .bind(third_party_id)
            .bind(third_party_user_id)
            .execute(&mut *$tx)
            .await?;
            sqlx::query(
                "INSERT INTO user_tenants \
                 (app_id, tenant_id, user_id, recipe_id, primary_user_id, primary_time_joined, email, email_domain, \
                 phone_number, third_party_id, third_party_user_id) VALUES ($1, $2, $3, $4, $3, $5, $6, $7, $8, $9, $10)",
            )
            .bind(method.app_id)
            .bind(method.tenant_id)
            .bind(method.user_id)
            .bind(method.recipe_id)
            .bind(method.time_joined)
            .bind(method.email)
            .bind(domain)
            .bind(method.phone_number)
            .bind(third_party_id)
            .bind(third_party_user_id)
            .execute(&mut *$tx)
            .await?;
            Ok::<(), sqlx::Error>(())
        }
    };
}

/// Stores a new (unlinked) user with one login method in one tenant, in its own transaction:
/// `false` when the recipe's unique account (email, phone number, provider account) is taken
/// in that tenant.
pub async fn create_login_method(db: &Db, method: &NewLoginMethod<'_>) -> Result<bool, ApiError> {
    let inserted: sqlx::Result<()> = crate::in_write_transaction!(db, tx => async { crate::insert_login_method!(tx, method).await });
    match inserted {
        Ok(()) => Ok(true),
        Err(error) if crate::db::is_unique_violation(&error) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// One row per login method and tenant: the login method, whether its email is verified,
/// and one of its tenants (none when it belongs to no tenant). The tenant join goes through
/// the primary-user index, which every look-up here already narrows to.
const LOGIN_METHOD_ROWS: &str =
    "SELECT u.user_id, u.primary_user_id, u.recipe_id, u.is_primary, u.time_joined, u.email, u.phone_number, \
            u.third_party_id, u.third_party_user_id, m.external_user_id, pm.external_user_id, \
            (v.user_id IS NOT NULL OR (u.email IS NULL AND u.phone_number IS NOT NULL)) AS verified, t.tenant_id \
     FROM users u \
     LEFT JOIN userid_mapping m ON m.app_id = u.app_id AND m.supertokens_user_id = u.user_id \
     LEFT JOIN userid_mapping pm ON pm.app_id = u.app_id AND pm.supertokens_user_id = u.primary_user_id \
     LEFT JOIN emailverification_verified_emails v \
       ON v.app_id = u.app_id AND v.user_id = COALESCE(m.external_user_id, u.user_id) AND v.email = u.email \
     LEFT JOIN user_tenants t \
       ON t.app_id = u.app_id AND t.primary_user_id = u.primary_user_id AND t.user_id = u.user_id";
const LOGIN_METHOD_ORDER: &str = "ORDER BY u.time_joined, u.user_id, t.tenant_id";

type LoginMethodRow = (
    String,
    String,
    String,
    bool,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
);

/// Folds [`LOGIN_METHOD_ROWS`] (in [`LOGIN_METHOD_ORDER`]) into users by primary id.
fn fold_users(rows: Vec<LoginMethodRow>) -> HashMap<String, User> {
    let mut users: HashMap<String, User> = HashMap::new();
    for (
        user_id,
        primary_user_id,
        recipe_id,
        is_primary,
        time_joined,
        email,
        phone_number,
        third_party_id,
        third_party_user_id,
        external_id,
        primary_external_id,
        verified,
        tenant,
    ) in rows
    {
        let user = users
            .entry(primary_user_id.clone())
            .or_insert_with(|| User {
                id: primary_user_id,
                external_id: primary_external_id,
                is_primary: false,
                login_methods: Vec::new(),
            });
        user.is_primary |= is_primary;
        let same_method = user
            .login_methods
            .last()
            .is_some_and(|method| method.recipe_user_id == user_id);
        if !same_method {
            user.login_methods.push(LoginMethod {
                recipe_user_id: user_id,
                external_id,
                recipe_id,
                time_joined,
                email,
                phone_number,
                third_party: ThirdPartyAccount::from_pair(third_party_id, third_party_user_id),
                tenant_ids: Vec::new(),
                verified,
            });
        }
        if let (Some(tenant), Some(method)) = (tenant, user.login_methods.last_mut()) {
            method.tenant_ids.push(tenant);
        }
    }
    users
}

/// Loads users by their primary ids, in the order asked; ids that do not exist are skipped.
/// One round trip, whatever the number of users.
pub async fn load_users(
    db: &Db,
    app_id: &str,
    primary_ids: &[String],
) -> Result<Vec<User>, ApiError> {
    if primary_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{LOGIN_METHOD_ROWS} WHERE u.app_id = $1 AND NOT u.deleted AND u.primary_user_id IN ({}) {LOGIN_METHOD_ORDER}",
        placeholders(2, primary_ids.len())
    );
    let rows: Vec<LoginMethodRow> = with_pool!(db, pool => {
        let mut query = sqlx::query_as(&sql).bind(app_id);
        for id in primary_ids {
            query = query.bind(id);
        }
        query.fetch_all(pool).await?
    });
    let mut users = fold_users(rows);
    Ok(primary_ids
        .iter()
        .filter_map(|id| users.remove(id))
        .collect())
}

/// [`find_user`]'s query, binding the app id and the user id; public so that the benchmark
/// measures the very query as its floor. The id of a primary user whose own login method was
/// deleted while others stay linked still finds them (its row stays, marked `deleted`).
pub fn find_user_sql() -> String {
    const ID: &str = "COALESCE((SELECT supertokens_user_id FROM userid_mapping \
       WHERE app_id = $1 AND external_user_id = $2), $2)";
    format!(
        "{LOGIN_METHOD_ROWS} WHERE u.app_id = $1 AND NOT u.deleted AND u.primary_user_id = \
           (SELECT primary_user_id FROM users WHERE app_id = $1 AND user_id = {ID}) \
         {LOGIN_METHOD_ORDER}"
    )
}

/// The user that `user_id` (a primary or a recipe user id, gatehouse's or the mapped one)
/// belongs to, in one round trip:
/// get-user is among the hottest calls an application makes.
pub async fn find_user(db: &Db, app_id: &str, user_id: &str) -> Result<Option<User>, ApiError> {
    let sql = find_user_sql();
    let rows: Vec<LoginMethodRow> = with_pool!(db, pool => {
        sqlx::query_as(&sql).bind(app_id).bind(user_id).fetch_all(pool).await?
    });
    Ok(fold_users(rows).into_values().next())
}

/// Records that a user was active now (sign-up, sign-in, sessions).
pub async fn touch_last_active(db: &Db, app_id: &str, user_id: &str) {
    let written: sqlx::Result<u64> = with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO user_last_active (app_id, user_id, last_active_time) VALUES ($1, $2, $3) \
             ON CONFLICT (app_id, user_id) DO UPDATE SET last_active_time = excluded.last_active_time",
        )
        .bind(app_id)
        .bind(user_id)
        .bind(now_millis())
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    });
    // The sign-in or sign-up it follows has succeeded: telling the client otherwise would
    // make a retry fail (upstream ignores this failure too).
    if let Err(error) = written {
        tracing::warn!(error = %error, "could not record the user's last-active time");
    }
}

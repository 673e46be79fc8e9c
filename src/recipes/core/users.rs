//! The core's user APIs: look-up, listing and search, counts, deletion.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::json;

use super::primary_accounts;
use super::user::{
    find_user, load_users, normalise_email, normalise_phone_number, LoginMethod, ThirdPartyAccount,
    User,
};
use crate::db::{placeholders, BeginWrite, Db};
use crate::error::ApiError;
use crate::http::{self, HandlerResult, Request, Routes, Scope};
use crate::{reserve_primary_accounts, with_pool};

pub fn register(routes: &mut Routes) {
    routes.get("/user/id", Scope::App, get_user);
    routes.get("/users", Scope::Tenant, list_users);
    routes.get("/users/count", Scope::Tenant, count_users);
    routes.post("/user/remove", Scope::App, remove_user);
    routes.get(
        "/users/by-accountinfo",
        Scope::Tenant,
        users_by_account_info,
    );
    routes.get("/user/search/tags", Scope::Tenant, search_tags);
    routes.get("/users/count/active", Scope::App, count_active_users);
    routes.on_user_removed("DELETE FROM user_last_active WHERE app_id = $1 AND user_id = $2");
}

/// Upstream's page size bounds for GET /users.
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 500;
/// The most users one search answers with (upstream's bound; searches are not paginated).
const SEARCH_LIMIT: i64 = 1000;

/// Every recipe id upstream knows; filtering on one without users simply finds none.
const RECIPE_IDS: &[&str] = &[
    "emailpassword",
    "thirdparty",
    "passwordless",
    "webauthn",
    "session",
    "emailverification",
    "jwt",
    "usermetadata",
    "userroles",
    "useridmapping",
    "dashboard",
    "totp",
    "multitenancy",
    "accountlinking",
    "mfa",
    "oauth",
    "saml",
];

async fn get_user(request: Request) -> HandlerResult {
    let user_id = request.query("userId")?;
    match find_user(&request.state.db, &request.tenant.app_id, &user_id).await? {
        Some(user) => http::json(&json!({ "status": "OK", "user": user.to_json(request.cdi) })),
        None => http::json(&json!({ "status": "UNKNOWN_USER_ID_ERROR" })),
    }
}

/// `includeRecipeIds`, checked against the known recipes and lower-cased.
fn recipe_filter(request: &Request) -> Result<Vec<String>, ApiError> {
    let ids = request.query_list("includeRecipeIds")?.unwrap_or_default();
    ids.into_iter()
        .map(|id| {
            let lower = id.to_lowercase();
            if RECIPE_IDS.contains(&lower.as_str()) {
                Ok(lower)
            } else {
                Err(ApiError::bad_request(format!("Unknown recipe ID: {id}")))
            }
        })
        .collect()
}

/// A `;`-separated search tag: values trimmed and lower-cased; `None` when nothing is left.
fn search_values(request: &Request, tag: &str) -> Result<Option<Vec<String>>, ApiError> {
    let values: Vec<String> = request
        .query_opt(tag)?
        .unwrap_or_default()
        .split(';')
        .map(|value| value.trim().to_lowercase())
        .filter(|value| !value.is_empty())
        .collect();
    Ok((!values.is_empty()).then_some(values))
}

/// Where a page starts: the first user of the page, inclusive, as upstream encodes it.
#[derive(Debug)]
struct PageStart {
    user_id: String,
    time_joined: i64,
}

impl PageStart {
    fn encode(&self) -> String {
        BASE64.encode(format!("{};{}", self.user_id, self.time_joined))
    }

    fn decode(token: &str) -> Result<PageStart, ApiError> {
        let invalid = || ApiError::bad_request("invalid pagination token");
        let text = String::from_utf8(BASE64.decode(token).map_err(|_| invalid())?)
            .map_err(|_| invalid())?;
        let (user_id, time_joined) = text.split_once(';').ok_or_else(invalid)?;
        Ok(PageStart {
            user_id: user_id.to_string(),
            time_joined: time_joined.parse().map_err(|_| invalid())?,
        })
    }
}

async fn list_users(request: Request) -> HandlerResult {
    let recipes = recipe_filter(&request)?;
    let start = request
        .query_opt("paginationToken")?
        .map(|token| PageStart::decode(&token))
        .transpose()?;
    let limit = request.query_int_opt("limit")?.unwrap_or(DEFAULT_LIMIT);
    let ascending = match request.query_opt("timeJoinedOrder")?.as_deref() {
        None | Some("ASC") => true,
        Some("DESC") => false,
        Some(_) => {
            return Err(ApiError::bad_request(
                "timeJoinedOrder can be either ASC OR DESC",
            ))
        }
    };
    let emails = search_values(&request, "email")?;
    let phones = search_values(&request, "phone")?;
    let providers = search_values(&request, "provider")?;
    let searching = emails.is_some() || phones.is_some() || providers.is_some();
    if limit > MAX_LIMIT && !searching {
        return Err(ApiError::bad_request(format!(
            "max limit allowed is {MAX_LIMIT}"
        )));
    }
    if limit < 1 {
        return Err(ApiError::bad_request(
            "limit must a positive integer with min value 1",
        ));
    }

    let db = &request.state.db;
    let (app_id, tenant_id) = (&request.tenant.app_id, &request.tenant.tenant_id);
    let order = if ascending { "ASC" } else { "DESC" };
    let mut body = json!({ "status": "OK" });
    let users = if searching {
        let ids = search(db, app_id, tenant_id, [&emails, &phones, &providers], order).await?;
        load_users(db, app_id, &ids).await?
    } else {
        let mut rows = page(
            db,
            app_id,
            tenant_id,
            &recipes,
            start.as_ref(),
            ascending,
            limit + 1,
        )
        .await?;
        if rows.len() as i64 > limit {
            let (user_id, time_joined) = rows.pop().expect("more rows than the limit");
            body["nextPaginationToken"] = json!(PageStart {
                user_id,
                time_joined
            }
            .encode());
        }
        let ids: Vec<String> = rows.into_iter().map(|(id, _)| id).collect();
        load_users(db, app_id, &ids).await?
    };
    body["users"] = users
        .iter()
        .map(|user| user.listing_json(request.cdi))
        .collect();
    http::json(&body)
}

/// One page of (user id, time joined) in a tenant, by time joined then id, both in the
/// page's direction, starting at `start` (inclusive). Keyset pagination: a deep page costs
/// what the first does, and sign-ups during paging neither skip nor repeat anyone.
async fn page(
    db: &Db,
    app_id: &str,
    tenant_id: &str,
    recipes: &[String],
    start: Option<&PageStart>,
    ascending: bool,
    rows: i64,
) -> Result<Vec<(String, i64)>, ApiError> {
    let sql = page_sql(recipes.len(), start.is_some(), ascending);
    Ok(with_pool!(db, pool => {
        let mut query = sqlx::query_as(&sql).bind(app_id).bind(tenant_id);
        for recipe in recipes {
            query = query.bind(recipe);
        }
        if let Some(start) = start {
            query = query.bind(start.time_joined).bind(&start.user_id);
        }
        query.bind(rows).fetch_all(pool).await?
    }))
}

/// The page query: `$1` app, `$2` tenant, then the recipe ids, then the start (time, id),
/// then the row count.
fn page_sql(recipes: usize, from_start: bool, ascending: bool) -> String {
    let mut sql = String::from(
        "SELECT DISTINCT primary_user_id, primary_time_joined FROM user_tenants WHERE app_id = $1 AND tenant_id = $2",
    );
    let mut next = 3;
    if recipes > 0 {
        sql += &format!(" AND recipe_id IN ({})", placeholders(next, recipes));
        next += recipes;
    }
    let (compare, order) = if ascending {
        (">=", "ASC")
    } else {
        ("<=", "DESC")
    };
    if from_start {
        sql += &format!(
            " AND (primary_time_joined, primary_user_id) {compare} (${}, ${})",
            next,
            next + 1
        );
        next += 2;
    }
    sql + &format!(" ORDER BY primary_time_joined {order}, primary_user_id {order} LIMIT ${next}")
}

/// Users of a tenant that match every kind of term given (emails, phone numbers, providers):
/// an email term when their email, or its domain, starts with it; a phone term when their
/// phone number does; a provider term when their provider id does. Each prefix is an index
/// range (the columns are stored byte-ordered).
async fn search(
    db: &Db,
    app_id: &str,
    tenant_id: &str,
    terms: [&Option<Vec<String>>; 3],
    order: &str,
) -> Result<Vec<String>, ApiError> {
    let count = |terms: &Option<Vec<String>>| terms.as_ref().map(Vec::len);
    let sql = search_sql(terms.map(count), order);
    let prefixes: Vec<&String> = terms.into_iter().flatten().flatten().collect();
    Ok(with_pool!(db, pool => {
        let mut query = sqlx::query_scalar(&sql).bind(app_id).bind(tenant_id);
        for prefix in prefixes {
            query = query.bind(prefix.as_str()).bind(prefix_end(prefix));
        }
        query.fetch_all(pool).await?
    }))
}

/// The search query: `$1` app, `$2` tenant, then a (low, high) range per email term, then per
/// phone term, then per provider term. A kind of term that is `None` is not searched on.
fn search_sql(terms: [Option<usize>; 3], order: &str) -> String {
    let mut next = 3;
    let mut groups = Vec::new();
    let columns: [&[&str]; 3] = [
        &["email", "email_domain"],
        &["phone_number"],
        &["third_party_id"],
    ];
    for (terms, columns) in terms.into_iter().zip(columns) {
        let Some(terms) = terms else { continue };
        let ranges: Vec<String> = (0..terms)
            .map(|_| {
                let (low, high) = (next, next + 1);
                next += 2;
                let conditions: Vec<String> = columns
                    .iter()
                    .map(|column| format!("({column} >= ${low} AND {column} < ${high})"))
                    .collect();
                conditions.join(" OR ")
            })
            .collect();
        groups.push(format!("({})", ranges.join(" OR ")));
    }
    format!(
        "SELECT DISTINCT primary_user_id, primary_time_joined FROM user_tenants WHERE app_id = $1 AND tenant_id = $2 AND {} \
         ORDER BY primary_time_joined {order}, primary_user_id {order} LIMIT {SEARCH_LIMIT}",
        groups.join(" AND ")
    )
}

/// The smallest string greater than every string that starts with `prefix`.
fn prefix_end(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    // Only a prefix made of U+10FFFF alone gets here; nothing sorts after it.
    format!("{prefix}{}", char::MAX)
}

async fn count_users(request: Request) -> HandlerResult {
    let recipes = recipe_filter(&request)?;
    let all_tenants = request
        .query_opt("includeAllTenants")?
        .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    if all_tenants {
        request.ensure_app_wide()?;
    }
    let tenant_id = if all_tenants {
        None
    } else {
        Some(request.tenant.tenant_id.as_str())
    };
    let count = count(
        &request.state.db,
        &request.tenant.app_id,
        tenant_id,
        &recipes,
    )
    .await?;
    http::json(&json!({ "status": "OK", "count": count }))
}

/// Users of an app (in one tenant, or in all) with a login method of one of `recipes` (any
/// when empty). The running counts kept by triggers count login methods: a few rows, however
/// many users there are. Once the app has linked login methods, a user is one group however
/// many of its login methods match, and the groups are counted from the index instead.
async fn count(
    db: &Db,
    app_id: &str,
    tenant_id: Option<&str>,
    recipes: &[String],
) -> Result<i64, ApiError> {
    let has_linked: bool = with_pool!(db, pool => {
        sqlx::query_scalar::<_, i32>("SELECT 1 FROM users WHERE app_id = $1 AND primary_user_id <> user_id LIMIT 1")
            .bind(app_id)
            .fetch_optional(pool)
            .await?
            .is_some()
    });
    // The running counts keep the whole app's under tenant ''.
    let (sql, tenant_id) = match (has_linked, tenant_id) {
        (false, tenant_id) => (
            "SELECT CAST(COALESCE(SUM(users), 0) AS BIGINT) FROM user_counts WHERE app_id = $1 AND tenant_id = $2",
            Some(tenant_id.unwrap_or("")),
        ),
        (true, Some(tenant_id)) => (
            "SELECT COUNT(DISTINCT primary_user_id) FROM user_tenants WHERE app_id = $1 AND tenant_id = $2",
            Some(tenant_id),
        ),
        (true, None) => (
            "SELECT COUNT(DISTINCT primary_user_id) FROM users WHERE app_id = $1 AND NOT deleted",
            None,
        ),
    };
    let mut sql = sql.to_string();
    if !recipes.is_empty() {
        let first = if tenant_id.is_some() { 3 } else { 2 };
        sql += &format!(" AND recipe_id IN ({})", placeholders(first, recipes.len()));
    }
    Ok(with_pool!(db, pool => {
        let mut query = sqlx::query_scalar(&sql).bind(app_id);
        if let Some(tenant_id) = tenant_id {
            query = query.bind(tenant_id);
        }
        for recipe in recipes {
            query = query.bind(recipe);
        }
        query.fetch_one(pool).await?
    }))
}

/// What a user removal deletes.
enum Removal<'u> {
    /// Data kept under an id gatehouse has no user for (metadata, roles, ...).
    UnknownUser,
    /// The whole user: every login method, all data.
    Group,
    /// One login method linked to a primary user, with the data under its own id.
    LinkedLoginMethod(&'u LoginMethod),
    /// The primary user's own login method, while others are linked to it: they keep its id
    /// and all its data (upstream's rule, which the SDKs' flows rely on).
    PrimaryLoginMethod(&'u LoginMethod),
    /// The id of a primary user whose own login method is gone already.
    Nothing,
}

/// Deletes a user with all its login methods and everything every recipe keeps for them
/// (under the user's id and each login method's), or with `removeAllLinkedAccounts: false`
/// only the login method named.
async fn remove_user(request: Request) -> HandlerResult {
    let input = request.json()?;
    let user_id = input.str("userId")?;
    let remove_linked = input.opt_bool("removeAllLinkedAccounts")?.unwrap_or(true);
    let state = &request.state;
    let app_id = &request.tenant.app_id;
    let user = find_user(&state.db, app_id, &user_id).await?;
    let removal = match &user {
        None => Removal::UnknownUser,
        Some(user) if remove_linked || user.login_methods.len() == 1 => Removal::Group,
        Some(user) => match user.login_methods.iter().find(|m| m.is_named(&user_id)) {
            Some(method) if method.recipe_user_id == user.id => Removal::PrimaryLoginMethod(method),
            Some(method) => Removal::LinkedLoginMethod(method),
            None => Removal::Nothing,
        },
    };
    // Other recipes keep their data under the id the application knows the user by.
    let mut data_ids: Vec<&str> = match (&removal, &user) {
        (Removal::UnknownUser, _) => vec![user_id.as_str()],
        (Removal::Group, Some(user)) => {
            let mut ids = vec![user.id.as_str(), user.shown_id()];
            for method in &user.login_methods {
                ids.extend([method.recipe_user_id.as_str(), method.shown_id()]);
            }
            ids
        }
        (Removal::LinkedLoginMethod(method), _) => {
            vec![method.recipe_user_id.as_str(), method.shown_id()]
        }
        _ => Vec::new(),
    };
    data_ids.sort_unstable();
    data_ids.dedup();
    with_pool!(&state.db, pool => {
        let mut tx = pool.begin_write().await?;
        for statement in &state.user_removal_statements {
            for id in &data_ids {
                sqlx::query(statement).bind(app_id).bind(id).execute(&mut *tx).await?;
            }
        }
        match (&removal, &user) {
            (Removal::Group, Some(user)) => {
                sqlx::query("DELETE FROM users WHERE app_id = $1 AND primary_user_id = $2")
                    .bind(app_id)
                    .bind(&user.id)
                    .execute(&mut *tx)
                    .await?;
            }
            (Removal::LinkedLoginMethod(method), _) => {
                sqlx::query("DELETE FROM users WHERE app_id = $1 AND user_id = $2")
                    .bind(app_id)
                    .bind(&method.recipe_user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            (Removal::PrimaryLoginMethod(method), _) => {
                let statements = primary_accounts::RETIRE_LOGIN_METHOD.iter().chain(&state.login_method_removal_statements);
                for statement in statements {
                    sqlx::query(statement).bind(app_id).bind(&method.recipe_user_id).execute(&mut *tx).await?;
                }
            }
            _ => {}
        }
        if let Some(user) = &user {
            // What the group had of the deleted login methods goes from its accounts and its
            // time joined (nothing is left of a group deleted whole).
            sqlx::query(primary_accounts::REFRESH_GROUP_TIME).bind(app_id).bind(&user.id).execute(&mut *tx).await?;
            reserve_primary_accounts!(tx, app_id, &user.id).await?;
        }
        tx.commit().await?;
    });
    http::ok()
}

async fn users_by_account_info(request: Request) -> HandlerResult {
    let email = request
        .query_opt("email")?
        .map(|email| normalise_email(&email));
    let phone_number = request
        .query_opt("phoneNumber")?
        .map(|phone_number| normalise_phone_number(&phone_number));
    let third_party_id = request.query_opt("thirdPartyId")?;
    let third_party_user_id = request.query_opt("thirdPartyUserId")?;
    let webauthn_credential_id = request.query_opt("webauthnCredentialId")?;
    let union = match request.query("doUnionOfAccountInfo")?.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(ApiError::bad_request(
                "'doUnionOfAccountInfo' should be either 'true' or 'false'",
            ))
        }
    };
    if third_party_id.is_some() != third_party_user_id.is_some() {
        return Err(ApiError::bad_request(
            "If 'thirdPartyId' is provided, 'thirdPartyUserId' must also be provided, and vice versa",
        ));
    }
    // Each piece of account info given finds a set of users; the answer is their union or
    // their intersection. Passkeys belong to a recipe gatehouse does not have yet: they find
    // nobody.
    let db = &request.state.db;
    let (app_id, tenant_id) = (&request.tenant.app_id, &request.tenant.tenant_id);
    let mut matches: Vec<Vec<String>> = Vec::new();
    if let Some(email) = &email {
        matches.push(with_pool!(db, pool => {
            sqlx::query_scalar(
                "SELECT DISTINCT primary_user_id FROM user_tenants WHERE app_id = $1 AND tenant_id = $2 AND email = $3",
            )
            .bind(app_id)
            .bind(tenant_id)
            .bind(email)
            .fetch_all(pool)
            .await?
        }));
    }
    if let (Some(id), Some(user_id)) = (&third_party_id, &third_party_user_id) {
        matches.push(with_pool!(db, pool => {
            sqlx::query_scalar(
                "SELECT DISTINCT primary_user_id FROM user_tenants WHERE app_id = $1 AND tenant_id = $2 \
                 AND third_party_id = $3 AND third_party_user_id = $4",
            )
            .bind(app_id)
            .bind(tenant_id)
            .bind(id)
            .bind(user_id)
            .fetch_all(pool)
            .await?
        }));
    }
    if let Some(phone_number) = &phone_number {
        matches.push(with_pool!(db, pool => {
            sqlx::query_scalar(
                "SELECT DISTINCT primary_user_id FROM user_tenants WHERE app_id = $1 AND tenant_id = $2 \
                 AND phone_number = $3",
            )
            .bind(app_id)
            .bind(tenant_id)
            .bind(phone_number)
            .fetch_all(pool)
            .await?
        }));
    }
    if webauthn_credential_id.is_some() {
        matches.push(Vec::new());
    }
    // The users found in the tenant by any of them; for an intersection, those of them that
    // have every account asked for, on any of their login methods (in any tenant).
    let mut ids: Vec<String> = Vec::new();
    for id in matches.into_iter().flatten() {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut users = load_users(&request.state.db, &request.tenant.app_id, &ids).await?;
    if !union {
        let account = ThirdPartyAccount::from_pair(third_party_id, third_party_user_id);
        users.retain(|user| {
            let has = |found: &dyn Fn(&LoginMethod) -> bool| user.login_methods.iter().any(found);
            email
                .as_ref()
                .is_none_or(|email| has(&|m| m.email.as_ref() == Some(email)))
                && phone_number
                    .as_ref()
                    .is_none_or(|phone| has(&|m| m.phone_number.as_ref() == Some(phone)))
                && account
                    .as_ref()
                    .is_none_or(|account| has(&|m| m.third_party.as_ref() == Some(account)))
                && webauthn_credential_id.is_none()
        });
    }
    users.sort_by_key(User::time_joined);
    http::json(
        &json!({ "status": "OK", "users": users.iter().map(|user| user.to_json(request.cdi)).collect::<Vec<_>>() }),
    )
}

async fn search_tags(_: Request) -> HandlerResult {
    http::json(&json!({ "status": "OK", "tags": ["email", "phone", "provider"] }))
}

async fn count_active_users(request: Request) -> HandlerResult {
    let since = request.query_long("since")?;
    if since < 0 {
        return Err(ApiError::bad_request(
            "'since' query parameter must be >= 0",
        ));
    }
    let count: i64 = with_pool!(&request.state.db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM user_last_active WHERE app_id = $1 AND last_active_time >= $2")
            .bind(&request.tenant.app_id)
            .bind(since)
            .fetch_one(pool)
            .await?
    });
    http::json(&json!({ "status": "OK", "count": count }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_bounds_every_extension() {
        assert_eq!(prefix_end("abc"), "abd");
        assert_eq!(prefix_end("a\u{10FFFF}"), "b");
        assert!("abc@x.com" < prefix_end("abc").as_str());
        assert!("abd" >= prefix_end("abc").as_str());
    }

    /// SQLite's plan for `sql`, one line per step.
    async fn plan(sql: &str) -> String {
        let settings = crate::config::Settings {
            sqlite_path: ":memory:".into(),
            ..Default::default()
        };
        let db = Db::connect(&settings).await.unwrap();
        db.migrate().await.unwrap();
        let Db::Sqlite(pool) = &db else {
            unreachable!()
        };
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                .fetch_all(pool)
                .await
                .unwrap();
        rows.into_iter()
            .map(|row| row.3)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[tokio::test]
    async fn listing_and_search_read_indexes_not_the_table() {
        for sql in [
            page_sql(0, false, true),
            page_sql(0, true, true),
            page_sql(0, true, false),
            page_sql(1, true, false),
            search_sql([Some(2), None, None], "DESC"),
            search_sql([None, None, Some(1)], "ASC"),
            search_sql([None, Some(2), None], "ASC"),
            search_sql([Some(1), None, Some(1)], "DESC"),
        ] {
            let plan = plan(&sql).await;
            assert!(
                !plan.contains("SCAN user_tenants"),
                "a full scan: {plan}\n{sql}"
            );
            // A search sorts only what it matched.
            if !["email", "phone_number", "third_party_id"]
                .iter()
                .any(|column| sql.contains(column))
            {
                assert!(
                    !plan.contains("TEMP B-TREE"),
                    "sorts every row: {plan}\n{sql}"
                );
            }
        }
    }

    #[test]
    fn page_tokens_round_trip_and_reject_garbage() {
        let token = PageStart {
            user_id: "u-1".into(),
            time_joined: 1700,
        }
        .encode();
        let start = PageStart::decode(&token).unwrap();
        assert_eq!((start.user_id.as_str(), start.time_joined), ("u-1", 1700));
        for bad in ["%%%", "bm9zZW1pY29sb24=", "dTsxeA=="] {
            assert_eq!(
                PageStart::decode(bad).unwrap_err().to_string(),
                "invalid pagination token"
            );
        }
    }
}

//! UserIdMapping: an application's own id for a user (from the system it migrates from).
//! Answers show the mapped id; every API that takes a user id takes either one; sessions,
//! metadata, roles and verified emails are kept under the id the application passes, which
//! is the mapped one.

use serde_json::json;

use crate::db::{is_unique_violation, Db};
use crate::error::ApiError;
use crate::http::{self, HandlerResult, JsonInput, Request, Routes, Scope};
use crate::with_pool;

pub fn register(routes: &mut Routes) {
    routes.post("/recipe/userid/map", Scope::App, create);
    routes.get("/recipe/userid/map", Scope::App, get);
    routes.post("/recipe/userid/map/remove", Scope::App, remove);
    routes.put(
        "/recipe/userid/external-user-id-info",
        Scope::App,
        update_info,
    );
}

/// Which ids a look-up by id considers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdType {
    SuperTokens,
    External,
    Any,
}

impl IdType {
    fn parse(text: Option<String>) -> Result<IdType, ApiError> {
        match text.as_deref().map(str::trim) {
            None | Some("ANY") => Ok(Self::Any),
            Some("SUPERTOKENS") => Ok(Self::SuperTokens),
            Some("EXTERNAL") => Ok(Self::External),
            Some(_) => Err(ApiError::bad_request(
                "Field name 'userIdType' should be one of 'SUPERTOKENS', 'EXTERNAL' or 'ANY'",
            )),
        }
    }
}

/// A trimmed id that may not be empty (upstream's rule for every id of this recipe).
fn non_empty(field: &str, value: String) -> Result<String, ApiError> {
    let value = value.trim().to_string();
    if value.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Field name '{field}' cannot be an empty String"
        )));
    }
    Ok(value)
}

/// `externalUserIdInfo`: absent or null is none; otherwise a non-empty string.
fn info(input: &JsonInput, required: bool) -> Result<Option<String>, ApiError> {
    if input.is_null("externalUserIdInfo") {
        return Ok(None);
    }
    let value = match required {
        true => Some(input.str("externalUserIdInfo")?),
        false => input.opt_str("externalUserIdInfo")?,
    };
    value
        .map(|value| non_empty("externalUserIdInfo", value))
        .transpose()
}

/// A stored mapping: (SuperTokens id, external id, info).
type Mapping = (String, String, Option<String>);

async fn find(
    db: &Db,
    app_id: &str,
    id: &str,
    id_type: IdType,
) -> Result<Option<Mapping>, ApiError> {
    let rows: Vec<Mapping> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT supertokens_user_id, external_user_id, external_user_id_info FROM userid_mapping \
             WHERE app_id = $1 AND ((supertokens_user_id = $2 AND $3) OR (external_user_id = $2 AND $4))",
        )
        .bind(app_id)
        .bind(id)
        .bind(id_type != IdType::External)
        .bind(id_type != IdType::SuperTokens)
        .fetch_all(pool)
        .await?
    });
    // With ANY, an id that is one user's SuperTokens id and another's external id names the
    // user whose SuperTokens id it is.
    let by_own_id = rows
        .iter()
        .position(|(supertokens, _, _)| supertokens == id);
    Ok(match by_own_id {
        Some(index) => rows.into_iter().nth(index),
        None => rows.into_iter().next(),
    })
}

/// Gatehouse's id of the user an API names by either of its ids.
pub async fn resolve(db: &Db, app_id: &str, id: &str) -> Result<String, ApiError> {
    let mapped: Option<String> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT supertokens_user_id FROM userid_mapping WHERE app_id = $1 AND external_user_id = $2")
            .bind(app_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    Ok(mapped.unwrap_or_else(|| id.to_string()))
}

/// The id answers show for gatehouse's user id: the mapped one, if any.
pub async fn shown_id(db: &Db, app_id: &str, id: &str) -> Result<String, ApiError> {
    let mapped: Option<String> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT external_user_id FROM userid_mapping WHERE app_id = $1 AND supertokens_user_id = $2")
            .bind(app_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    Ok(mapped.unwrap_or_else(|| id.to_string()))
}

/// The first recipe (in upstream's order) that keeps data under `user_id` outside the login
/// methods: mapping an id in use there would strand that data.
async fn recipe_using(
    db: &Db,
    app_id: &str,
    user_id: &str,
) -> Result<Option<&'static str>, ApiError> {
    for (recipe, sql) in [
        ("Session", "SELECT 1 FROM sessions WHERE app_id = $1 AND user_id = $2 LIMIT 1"),
        ("UserMetadata", "SELECT 1 FROM user_metadata WHERE app_id = $1 AND user_id = $2 LIMIT 1"),
        ("UserRoles", "SELECT 1 FROM user_roles WHERE app_id = $1 AND user_id = $2 LIMIT 1"),
        (
            "EmailVerification",
            "SELECT 1 FROM emailverification_verified_emails WHERE app_id = $1 AND user_id = $2 \
             UNION ALL SELECT 1 FROM emailverification_tokens WHERE app_id = $1 AND user_id = $2 LIMIT 1",
        ),
        ("TOTP", "SELECT 1 FROM totp_devices WHERE app_id = $1 AND user_id = $2 LIMIT 1"),
    ] {
        let used: Option<i32> = with_pool!(db, pool => {
            sqlx::query_scalar(sql).bind(app_id).bind(user_id).fetch_optional(pool).await?
        });
        if used.is_some() {
            return Ok(Some(recipe));
        }
    }
    Ok(None)
}

fn in_use(recipe: &str) -> ApiError {
    ApiError::bad_request(format!("UserId is already in use in {recipe} recipe"))
}

async fn create(request: Request) -> HandlerResult {
    let input = request.json()?;
    let supertokens_id = non_empty("superTokensUserId", input.str("superTokensUserId")?)?;
    let external_id = non_empty("externalUserId", input.str("externalUserId")?)?;
    let external_info = info(&input, false)?;
    let force = input.opt_bool("force")?.unwrap_or(false);
    let db = &request.state.db;
    let app_id = &request.tenant.app_id;
    let already_exists = |supertokens: bool, external: bool| {
        http::json(&json!({
            "status": "USER_ID_MAPPING_ALREADY_EXISTS_ERROR",
            "doesSuperTokensUserIdExist": supertokens,
            "doesExternalUserIdExist": external,
        }))
    };
    if let Some((mapped_supertokens, _, _)) =
        find(db, app_id, &external_id, IdType::External).await?
    {
        return already_exists(mapped_supertokens == supertokens_id, true);
    }
    let user_exists = |id: String| async move {
        let found: Option<i32> = with_pool!(db, pool => {
            sqlx::query_scalar("SELECT 1 FROM users WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(&id)
                .fetch_optional(pool)
                .await?
        });
        Ok::<bool, ApiError>(found.is_some())
    };
    if !user_exists(supertokens_id.clone()).await? {
        return http::json(&json!({ "status": "UNKNOWN_SUPERTOKENS_USER_ID_ERROR" }));
    }
    let mut move_verified_emails = false;
    if !force {
        if user_exists(external_id.clone()).await? {
            return Err(ApiError::bad_request(
                "Cannot create a userId mapping where the externalId is also a SuperTokens userID",
            ));
        }
        match recipe_using(db, app_id, &supertokens_id).await? {
            None => {}
            // From CDI 4.0 verified emails alone follow the user to its new id.
            Some("EmailVerification") if request.cdi.has_account_linking() => {
                move_verified_emails = true;
            }
            Some(recipe) => return Err(in_use(recipe)),
        }
    }
    let created: sqlx::Result<()> = crate::in_write_transaction!(db, tx => async {
        sqlx::query(
            "INSERT INTO userid_mapping (app_id, supertokens_user_id, external_user_id, external_user_id_info) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(app_id)
        .bind(&supertokens_id)
        .bind(&external_id)
        .bind(&external_info)
        .execute(&mut *tx)
        .await?;
        if move_verified_emails {
            sqlx::query("UPDATE emailverification_verified_emails SET user_id = $3 WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(&supertokens_id)
                .bind(&external_id)
                .execute(&mut *tx)
                .await?;
        }
        Ok::<(), sqlx::Error>(())
    });
    match created {
        Ok(()) => http::ok(),
        // Mapped meanwhile, or already mapped to another external id.
        Err(error) if is_unique_violation(&error) => {
            let external_taken = find(db, app_id, &external_id, IdType::External)
                .await?
                .is_some();
            already_exists(true, external_taken)
        }
        Err(sqlx::Error::Database(error))
            if error.kind() == sqlx::error::ErrorKind::ForeignKeyViolation =>
        {
            http::json(&json!({ "status": "UNKNOWN_SUPERTOKENS_USER_ID_ERROR" }))
        }
        Err(error) => Err(error.into()),
    }
}

async fn get(request: Request) -> HandlerResult {
    let user_id = non_empty("userId", request.query("userId")?)?;
    let id_type = IdType::parse(request.query_opt("userIdType")?)?;
    match find(&request.state.db, &request.tenant.app_id, &user_id, id_type).await? {
        None => http::json(&json!({ "status": "UNKNOWN_MAPPING_ERROR" })),
        Some((supertokens, external, info)) => {
            let mut answer = json!({ "status": "OK", "superTokensUserId": supertokens, "externalUserId": external });
            if let Some(info) = info {
                answer["externalUserIdInfo"] = json!(info);
            }
            http::json(&answer)
        }
    }
}

async fn remove(request: Request) -> HandlerResult {
    let input = request.json()?;
    let user_id = non_empty("userId", input.str("userId")?)?;
    let id_type = IdType::parse(input.opt_str("userIdType")?)?;
    let force = input.opt_bool("force")?.unwrap_or(false);
    let db = &request.state.db;
    let app_id = &request.tenant.app_id;
    let Some((supertokens, external, _)) = find(db, app_id, &user_id, id_type).await? else {
        return http::json(&json!({ "status": "OK", "didMappingExist": false }));
    };
    if !force {
        // Data kept under the external id would lose its user.
        if let Some(recipe) = recipe_using(db, app_id, &external).await? {
            return Err(in_use(recipe));
        }
    }
    let removed = with_pool!(db, pool => {
        sqlx::query("DELETE FROM userid_mapping WHERE app_id = $1 AND supertokens_user_id = $2")
            .bind(app_id)
            .bind(&supertokens)
            .execute(pool)
            .await?
            .rows_affected()
    });
    http::json(&json!({ "status": "OK", "didMappingExist": removed == 1 }))
}

async fn update_info(request: Request) -> HandlerResult {
    let input = request.json()?;
    let user_id = non_empty("userId", input.str("userId")?)?;
    let id_type = IdType::parse(input.opt_str("userIdType")?)?;
    let external_info = info(&input, true)?;
    let db = &request.state.db;
    let app_id = &request.tenant.app_id;
    let Some((supertokens, _, _)) = find(db, app_id, &user_id, id_type).await? else {
        return http::json(&json!({ "status": "UNKNOWN_MAPPING_ERROR" }));
    };
    with_pool!(db, pool => {
        sqlx::query("UPDATE userid_mapping SET external_user_id_info = $3 WHERE app_id = $1 AND supertokens_user_id = $2")
            .bind(app_id)
            .bind(&supertokens)
            .bind(&external_info)
            .execute(pool)
            .await?;
    });
    http::ok()
}

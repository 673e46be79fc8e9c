//! Account linking: a primary user owns several login methods (email and password, a
//! provider account, a passwordless email or phone number). Sessions, metadata and roles
//! belong to the primary user; the SDKs decide when to link, the core keeps the rules (see
//! `core::primary_accounts`). Upstream sells this; gatehouse gives it free.

mod store;

use serde_json::{json, Value};

use self::store::{Link, MakePrimary, Mode, Unlink};
use super::core::primary_accounts::AccountConflict;
use super::core::user::find_user;
use super::useridmapping;
use crate::db::Db;
use crate::error::ApiError;
use crate::http::{self, HandlerResult, Request, Routes, Scope};
use crate::with_pool;

pub fn register(routes: &mut Routes) {
    routes.get(
        "/recipe/accountlinking/user/primary/check",
        Scope::App,
        |r| make_primary(r, Mode::Check),
    );
    routes.post("/recipe/accountlinking/user/primary", Scope::App, |r| {
        make_primary(r, Mode::Change)
    });
    routes.get("/recipe/accountlinking/user/link/check", Scope::App, |r| {
        link(r, Mode::Check)
    });
    routes.post("/recipe/accountlinking/user/link", Scope::App, |r| {
        link(r, Mode::Change)
    });
    routes.post("/recipe/accountlinking/user/unlink", Scope::App, unlink);
}

fn unknown_user() -> ApiError {
    ApiError::bad_request("Unknown user ID provided")
}

/// The user ids of the request (`recipeUserId`, `primaryUserId`: from the query for checks
/// and the body for changes), read first, then each as gatehouse knows it.
async fn user_ids_of<const N: usize>(
    request: &Request,
    mode: Mode,
    fields: [&str; N],
) -> Result<[String; N], ApiError> {
    let body = match mode {
        Mode::Check => None,
        Mode::Change => Some(request.json()?),
    };
    let mut ids = fields.map(|_| String::new());
    for (id, field) in ids.iter_mut().zip(fields) {
        *id = match &body {
            None => request.query(field)?,
            Some(body) => body.str(field)?,
        };
    }
    for id in &mut ids {
        *id = useridmapping::resolve(&request.state.db, &request.tenant.app_id, id).await?;
    }
    Ok(ids)
}

/// The user (whole group) of `user_id` in its JSON form.
async fn user_json(request: &Request, user_id: &str) -> Result<Value, ApiError> {
    match find_user(&request.state.db, &request.tenant.app_id, user_id).await? {
        Some(user) => Ok(user.to_json(request.cdi)),
        None => Err(unknown_user()),
    }
}

fn conflict_json(conflict: &AccountConflict, shown_primary: String) -> Value {
    json!({
        "status": "ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR",
        "primaryUserId": shown_primary,
        "description": conflict.description(),
    })
}

async fn make_primary(request: Request, mode: Mode) -> HandlerResult {
    let [user_id] = user_ids_of(&request, mode, ["recipeUserId"]).await?;
    let db = &request.state.db;
    let app_id = &request.tenant.app_id;
    let mut answer = match store::make_primary(db, app_id, &user_id, mode).await? {
        MakePrimary::UnknownUser => return Err(unknown_user()),
        MakePrimary::Made => json!({ "status": "OK", "wasAlreadyAPrimaryUser": false }),
        MakePrimary::WasAlreadyPrimary => json!({ "status": "OK", "wasAlreadyAPrimaryUser": true }),
        MakePrimary::LinkedTo(primary) => {
            return http::json(&json!({
                "status": "RECIPE_USER_ID_ALREADY_LINKED_WITH_PRIMARY_USER_ID_ERROR",
                "primaryUserId": useridmapping::shown_id(db, app_id, &primary).await?,
                "description": "This user ID is already linked to another user ID",
            }))
        }
        MakePrimary::Conflict(conflict) => {
            let shown = useridmapping::shown_id(db, app_id, &conflict.primary_user_id).await?;
            return http::json(&conflict_json(&conflict, shown));
        }
    };
    if mode == Mode::Change {
        answer["user"] = user_json(&request, &user_id).await?;
    }
    http::json(&answer)
}

async fn link(request: Request, mode: Mode) -> HandlerResult {
    let [user_id, primary_id] =
        user_ids_of(&request, mode, ["recipeUserId", "primaryUserId"]).await?;
    let db = &request.state.db;
    let app_id = &request.tenant.app_id;
    let accounts_already_linked = match store::link(db, app_id, &user_id, &primary_id, mode).await?
    {
        Link::UnknownUser => return Err(unknown_user()),
        Link::NotPrimary => {
            return http::json(&json!({ "status": "INPUT_USER_IS_NOT_A_PRIMARY_USER" }))
        }
        Link::LinkedElsewhere(group) => {
            let mut answer = json!({
                "status": "RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR",
                "primaryUserId": useridmapping::shown_id(db, app_id, &group).await?,
                "description": "The input recipe user ID is already linked to another user ID",
            });
            if mode == Mode::Change {
                answer["user"] = user_json(&request, &group).await?;
            }
            return http::json(&answer);
        }
        Link::Conflict(conflict) => {
            let shown = useridmapping::shown_id(db, app_id, &conflict.primary_user_id).await?;
            return http::json(&conflict_json(&conflict, shown));
        }
        Link::WereAlreadyLinked => true,
        Link::Linked => false,
    };
    let mut answer = json!({ "status": "OK", "accountsAlreadyLinked": accounts_already_linked });
    if mode == Mode::Change {
        if !accounts_already_linked {
            // The login method's sessions were made for it alone; it signs in again as the
            // primary user.
            let shown_id = useridmapping::shown_id(db, app_id, &user_id).await?;
            revoke_sessions(db, app_id, &shown_id).await?;
        }
        answer["user"] = user_json(&request, &primary_id).await?;
    }
    http::json(&answer)
}

async fn unlink(request: Request) -> HandlerResult {
    let [user_id] = user_ids_of(&request, Mode::Change, ["recipeUserId"]).await?;
    let db = &request.state.db;
    let app_id = &request.tenant.app_id;
    // Taken first: deleting a login method takes its id mapping with it.
    let shown_id = useridmapping::shown_id(db, app_id, &user_id).await?;
    let (was_linked, was_deleted) = match store::unlink(
        db,
        app_id,
        &user_id,
        &request.state.login_method_removal_statements,
    )
    .await?
    {
        Unlink::UnknownUser => return Err(unknown_user()),
        Unlink::WasNotLinked => (false, false),
        Unlink::Unlinked => (true, false),
        Unlink::Deleted => (true, true),
    };
    if was_linked {
        revoke_sessions(db, app_id, &shown_id).await?;
    }
    http::json(&json!({
        "status": "OK",
        "wasRecipeUserDeleted": was_deleted,
        "wasLinked": was_linked,
    }))
}

/// Revokes the sessions of one login method in every tenant: those stored under its shown id
/// (the application's own when it is mapped).
async fn revoke_sessions(db: &Db, app_id: &str, shown: &str) -> Result<(), ApiError> {
    with_pool!(db, pool => {
        sqlx::query("DELETE FROM sessions WHERE app_id = $1 AND user_id = $2")
            .bind(app_id)
            .bind(shown)
            .execute(pool)
            .await?;
    });
    Ok(())
}

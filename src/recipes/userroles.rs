//! UserRoles: roles and their permissions belong to an app; users hold roles per tenant.

use serde_json::json;

use crate::db::{BeginWrite, Db};
use crate::error::ApiError;
use crate::http::{self, HandlerResult, JsonInput, Request, Routes, Scope};
use crate::with_pool;

pub fn register(routes: &mut Routes) {
    routes.put("/recipe/role", Scope::App, create_role);
    routes.get("/recipe/roles", Scope::App, all_roles);
    routes.get("/recipe/role/permissions", Scope::App, role_permissions);
    routes.post(
        "/recipe/role/permissions/remove",
        Scope::App,
        remove_permissions,
    );
    routes.get(
        "/recipe/permission/roles",
        Scope::App,
        roles_with_permission,
    );
    routes.post("/recipe/role/remove", Scope::App, delete_role);
    routes.put("/recipe/user/role", Scope::Tenant, add_user_role);
    routes.post("/recipe/user/role/remove", Scope::Tenant, remove_user_role);
    routes.get("/recipe/user/roles", Scope::Tenant, user_roles);
    routes.get("/recipe/role/users", Scope::Tenant, role_users);
    routes.on_user_removed("DELETE FROM user_roles WHERE app_id = $1 AND user_id = $2");
}

fn unknown_role() -> HandlerResult {
    http::json(&json!({ "status": "UNKNOWN_ROLE_ERROR" }))
}

/// A role or permission name: trimmed, not empty.
fn name(field: &str, value: &str) -> Result<String, ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Field name '{field}' cannot be an empty String"
        )));
    }
    Ok(trimmed.to_string())
}

fn role_field(input: &JsonInput) -> Result<String, ApiError> {
    name("role", &input.str("role")?)
}

fn permissions_field(input: &JsonInput) -> Result<Option<Vec<String>>, ApiError> {
    let Some(permissions) = input.opt_str_array("permissions")? else {
        return Ok(None);
    };
    permissions
        .iter()
        .map(|permission| {
            let trimmed = permission.trim();
            if trimmed.is_empty() {
                return Err(ApiError::bad_request(
                    "Field name 'permissions' cannot contain an empty string",
                ));
            }
            Ok(trimmed.to_string())
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

async fn role_exists(db: &Db, app_id: &str, role: &str) -> Result<bool, ApiError> {
    let found: Option<i32> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT 1 FROM roles WHERE app_id = $1 AND role = $2")
            .bind(app_id)
            .bind(role)
            .fetch_optional(pool)
            .await?
    });
    Ok(found.is_some())
}

/// Creates the role if needed and adds the permissions; never removes any.
async fn create_role(request: Request) -> HandlerResult {
    let input = request.json()?;
    let role = role_field(&input)?;
    let permissions = permissions_field(&input)?.unwrap_or_default();
    let app_id = &request.tenant.app_id;
    let created = with_pool!(&request.state.db, pool => {
        let mut tx = pool.begin_write().await?;
        let created = sqlx::query("INSERT INTO roles (app_id, role) VALUES ($1, $2) ON CONFLICT (app_id, role) DO NOTHING")
            .bind(app_id)
            .bind(&role)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        for permission in &permissions {
            sqlx::query(
                "INSERT INTO role_permissions (app_id, role, permission) VALUES ($1, $2, $3) \
                 ON CONFLICT (app_id, role, permission) DO NOTHING",
            )
            .bind(app_id)
            .bind(&role)
            .bind(permission)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        created
    });
    http::json(&json!({ "status": "OK", "createdNewRole": created }))
}

async fn all_roles(request: Request) -> HandlerResult {
    let roles: Vec<String> = with_pool!(&request.state.db, pool => {
        sqlx::query_scalar("SELECT role FROM roles WHERE app_id = $1 ORDER BY role")
            .bind(&request.tenant.app_id)
            .fetch_all(pool)
            .await?
    });
    http::json(&json!({ "status": "OK", "roles": roles }))
}

async fn role_permissions(request: Request) -> HandlerResult {
    let role = name("role", &request.query("role")?)?;
    let db = &request.state.db;
    let app_id = &request.tenant.app_id;
    if !role_exists(db, app_id, &role).await? {
        return unknown_role();
    }
    let permissions: Vec<String> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT permission FROM role_permissions WHERE app_id = $1 AND role = $2 ORDER BY permission")
            .bind(app_id)
            .bind(&role)
            .fetch_all(pool)
            .await?
    });
    http::json(&json!({ "status": "OK", "permissions": permissions }))
}

/// Removes the listed permissions, or all of them when `permissions` is absent.
async fn remove_permissions(request: Request) -> HandlerResult {
    let input = request.json()?;
    let role = role_field(&input)?;
    let permissions = permissions_field(&input)?;
    let db = &request.state.db;
    let app_id = &request.tenant.app_id;
    if !role_exists(db, app_id, &role).await? {
        return unknown_role();
    }
    with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        match &permissions {
            None => {
                sqlx::query("DELETE FROM role_permissions WHERE app_id = $1 AND role = $2")
                    .bind(app_id)
                    .bind(&role)
                    .execute(&mut *tx)
                    .await?;
            }
            Some(permissions) => {
                for permission in permissions {
                    sqlx::query("DELETE FROM role_permissions WHERE app_id = $1 AND role = $2 AND permission = $3")
                        .bind(app_id)
                        .bind(&role)
                        .bind(permission)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
    });
    http::ok()
}

async fn roles_with_permission(request: Request) -> HandlerResult {
    let permission = name("permission", &request.query("permission")?)?;
    let roles: Vec<String> = with_pool!(&request.state.db, pool => {
        sqlx::query_scalar("SELECT role FROM role_permissions WHERE app_id = $1 AND permission = $2 ORDER BY role")
            .bind(&request.tenant.app_id)
            .bind(&permission)
            .fetch_all(pool)
            .await?
    });
    http::json(&json!({ "status": "OK", "roles": roles }))
}

/// Deletes the role, its permissions and every user's hold of it, in every tenant.
async fn delete_role(request: Request) -> HandlerResult {
    let role = role_field(&request.json()?)?;
    let existed = with_pool!(&request.state.db, pool => {
        sqlx::query("DELETE FROM roles WHERE app_id = $1 AND role = $2")
            .bind(&request.tenant.app_id)
            .bind(&role)
            .execute(pool)
            .await?
            .rows_affected()
            > 0
    });
    http::json(&json!({ "status": "OK", "didRoleExist": existed }))
}

async fn add_user_role(request: Request) -> HandlerResult {
    let input = request.json()?;
    let user_id = input.str("userId")?;
    let role = role_field(&input)?;
    let (app_id, tenant_id) = (&request.tenant.app_id, &request.tenant.tenant_id);
    let added = with_pool!(&request.state.db, pool => {
        sqlx::query(
            "INSERT INTO user_roles (app_id, tenant_id, user_id, role) \
             SELECT $1, $2, $3, role FROM roles WHERE app_id = $1 AND role = $4 \
             ON CONFLICT (app_id, tenant_id, user_id, role) DO NOTHING",
        )
        .bind(app_id)
        .bind(tenant_id)
        .bind(&user_id)
        .bind(&role)
        .execute(pool)
        .await?
        .rows_affected()
            > 0
    });
    if added {
        return http::json(&json!({ "status": "OK", "didUserAlreadyHaveRole": false }));
    }
    // Nothing was inserted: either the role does not exist or the user already had it.
    if !role_exists(&request.state.db, app_id, &role).await? {
        return unknown_role();
    }
    http::json(&json!({ "status": "OK", "didUserAlreadyHaveRole": true }))
}

async fn remove_user_role(request: Request) -> HandlerResult {
    let input = request.json()?;
    let user_id = input.str("userId")?;
    let role = role_field(&input)?;
    let db = &request.state.db;
    let (app_id, tenant_id) = (&request.tenant.app_id, &request.tenant.tenant_id);
    if !role_exists(db, app_id, &role).await? {
        return unknown_role();
    }
    let removed = with_pool!(db, pool => {
        sqlx::query("DELETE FROM user_roles WHERE app_id = $1 AND tenant_id = $2 AND user_id = $3 AND role = $4")
            .bind(app_id)
            .bind(tenant_id)
            .bind(&user_id)
            .bind(&role)
            .execute(pool)
            .await?
            .rows_affected()
            > 0
    });
    http::json(&json!({ "status": "OK", "didUserHaveRole": removed }))
}

async fn user_roles(request: Request) -> HandlerResult {
    let user_id = request.query("userId")?;
    let roles: Vec<String> = with_pool!(&request.state.db, pool => {
        sqlx::query_scalar("SELECT role FROM user_roles WHERE app_id = $1 AND tenant_id = $2 AND user_id = $3 ORDER BY role")
            .bind(&request.tenant.app_id)
            .bind(&request.tenant.tenant_id)
            .bind(&user_id)
            .fetch_all(pool)
            .await?
    });
    http::json(&json!({ "status": "OK", "roles": roles }))
}

async fn role_users(request: Request) -> HandlerResult {
    let role = name("role", &request.query("role")?)?;
    let db = &request.state.db;
    let (app_id, tenant_id) = (&request.tenant.app_id, &request.tenant.tenant_id);
    if !role_exists(db, app_id, &role).await? {
        return unknown_role();
    }
    let users: Vec<String> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT user_id FROM user_roles WHERE app_id = $1 AND tenant_id = $2 AND role = $3 ORDER BY user_id")
            .bind(app_id)
            .bind(tenant_id)
            .bind(&role)
            .fetch_all(pool)
            .await?
    });
    http::json(&json!({ "status": "OK", "users": users }))
}

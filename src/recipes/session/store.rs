//! The sessions table.

use serde_json::{Map, Value};

use crate::db::{now_millis, placeholders, Db};
use crate::error::ApiError;
use crate::with_pool;

/// One session as stored, with the user it belongs to.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub tenant_id: String,
    pub handle: String,
    pub recipe_user_id: String,
    pub user_id: String,
    pub refresh_token_hash2: String,
    pub session_data: Map<String, Value>,
    pub jwt_payload: Map<String, Value>,
    pub expires_at: i64,
    pub created_at: i64,
    pub use_static_key: bool,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    bool,
);

/// The columns of [`Row`]; `s` is the session, stored under its login method's shown id (the
/// application's own when mapped), `u` that login method (absent for ids the app keeps outside
/// gatehouse, which then are their own primary id), `pm` the mapping of its primary user.
pub const SELECT: &str = "SELECT s.tenant_id, s.session_handle, s.user_id, \
       COALESCE(pm.external_user_id, u.primary_user_id, s.user_id), \
     s.refresh_token_hash_2, s.session_data, s.jwt_user_payload, s.expires_at, s.created_at, s.use_static_key \
     FROM sessions s \
     LEFT JOIN userid_mapping m ON m.app_id = s.app_id AND m.external_user_id = s.user_id \
     LEFT JOIN users u ON u.app_id = s.app_id AND u.user_id = COALESCE(m.supertokens_user_id, s.user_id) \
     LEFT JOIN userid_mapping pm ON pm.app_id = s.app_id AND pm.supertokens_user_id = u.primary_user_id";

/// In the `RETURNING` of a statement that writes a session: the shown id of its primary user.
const PRIMARY_USER_OF_WRITTEN_SESSION: &str = "COALESCE((SELECT COALESCE(pm.external_user_id, u.primary_user_id) \
       FROM users u LEFT JOIN userid_mapping pm ON pm.app_id = u.app_id AND pm.supertokens_user_id = u.primary_user_id \
       WHERE u.app_id = sessions.app_id AND u.user_id = COALESCE((SELECT m.supertokens_user_id FROM userid_mapping m \
         WHERE m.app_id = sessions.app_id AND m.external_user_id = sessions.user_id), sessions.user_id)), \
     sessions.user_id)";

pub fn from_row(row: Row) -> Result<SessionRow, ApiError> {
    let (
        tenant_id,
        handle,
        recipe_user_id,
        user_id,
        hash2,
        data,
        payload,
        expires_at,
        created_at,
        use_static_key,
    ) = row;
    Ok(SessionRow {
        tenant_id,
        handle,
        recipe_user_id,
        user_id,
        refresh_token_hash2: hash2,
        session_data: parse_object(&data)?,
        jwt_payload: parse_object(&payload)?,
        expires_at,
        created_at,
        use_static_key,
    })
}

fn parse_object(text: &str) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(anyhow::anyhow!("a stored session payload is not a JSON object").into()),
    }
}

/// Stores a new session under its login method's shown id (either id may be given); answers
/// with that id and the shown id of its primary user (the given id itself when gatehouse does
/// not know that user: the app keeps its users elsewhere).
pub async fn insert(
    db: &Db,
    app_id: &str,
    session: &SessionRow,
) -> Result<(String, String), ApiError> {
    Ok(with_pool!(db, pool => {
        sqlx::query_as(&format!(
            "INSERT INTO sessions (app_id, tenant_id, session_handle, user_id, refresh_token_hash_2, session_data, \
             jwt_user_payload, expires_at, created_at, use_static_key) VALUES ($1, $2, $3, \
             COALESCE((SELECT external_user_id FROM userid_mapping WHERE app_id = $1 AND supertokens_user_id = $4), $4), \
             $5, $6, $7, $8, $9, $10) \
             RETURNING user_id, {PRIMARY_USER_OF_WRITTEN_SESSION}"
        ))
        .bind(app_id)
        .bind(&session.tenant_id)
        .bind(&session.handle)
        .bind(&session.recipe_user_id)
        .bind(&session.refresh_token_hash2)
        .bind(Value::Object(session.session_data.clone()).to_string())
        .bind(Value::Object(session.jwt_payload.clone()).to_string())
        .bind(session.expires_at)
        .bind(session.created_at)
        .bind(session.use_static_key)
        .fetch_one(pool)
        .await?
    }))
}

/// The session row under the database's write lock, expired or not.
pub async fn locked_row<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
    sql: &str,
    app_id: &str,
    tenant_id: &str,
    handle: &str,
) -> Result<Option<SessionRow>, ApiError>
where
    DB: sqlx::Database,
    for<'a> &'a mut DB::Connection: sqlx::Executor<'a, Database = DB>,
    for<'a> <DB as sqlx::Database>::Arguments<'a>: sqlx::IntoArguments<'a, DB>,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Row: for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let row = sqlx::query_as(sql)
        .bind(app_id)
        .bind(tenant_id)
        .bind(handle)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(from_row).transpose()
}

pub fn locking_select(db: &Db) -> String {
    format!(
        "{} WHERE s.app_id = $1 AND s.tenant_id = $2 AND s.session_handle = $3{}",
        SELECT,
        db.for_update_of("s")
    )
}

/// A session that has not expired.
pub async fn find(
    db: &Db,
    app_id: &str,
    tenant_id: &str,
    handle: &str,
) -> Result<Option<SessionRow>, ApiError> {
    let sql = format!("{SELECT} WHERE s.app_id = $1 AND s.tenant_id = $2 AND s.session_handle = $3 AND s.expires_at > $4");
    let row: Option<Row> = with_pool!(db, pool => {
        sqlx::query_as(&sql)
            .bind(app_id)
            .bind(tenant_id)
            .bind(handle)
            .bind(now_millis())
            .fetch_optional(pool)
            .await?
    });
    row.map(from_row).transpose()
}

/// What a refresh asks of a live session: move on to the presented refresh token.
pub struct Rotation<'a> {
    pub tenant_id: &'a str,
    pub handle: &'a str,
    /// Double hash of the refresh token presented.
    pub presented: &'a str,
    /// Double hash of that token's parent, when it has one.
    pub parent: Option<&'a str>,
    /// The session's new expiry, when the presented token becomes its current one.
    pub expires_at: i64,
    /// `None` keeps the session's signing key choice (refreshes before CDI 5.0 may omit it).
    pub use_static_key: Option<bool>,
}

/// Rotates a live session to the presented refresh token when that token is its current
/// one or the first use of the current one's child, in one statement (concurrent
/// refreshes serialise on the row). The session as it is afterwards; `None` when no live
/// session accepts the token.
pub async fn rotate(
    db: &Db,
    app_id: &str,
    rotation: &Rotation<'_>,
) -> Result<Option<SessionRow>, ApiError> {
    let row: Option<Row> = with_pool!(db, pool => {
        sqlx::query_as(&format!(
            "UPDATE sessions SET refresh_token_hash_2 = $4, use_static_key = COALESCE($6, use_static_key), \
               expires_at = CASE WHEN refresh_token_hash_2 = $4 THEN expires_at ELSE $5 END \
             WHERE app_id = $1 AND tenant_id = $2 AND session_handle = $3 AND expires_at > $7 \
               AND (refresh_token_hash_2 = $4 OR refresh_token_hash_2 = $8) \
             RETURNING tenant_id, session_handle, user_id, {PRIMARY_USER_OF_WRITTEN_SESSION}, \
               refresh_token_hash_2, session_data, jwt_user_payload, expires_at, created_at, use_static_key"
        ))
        .bind(app_id)
        .bind(rotation.tenant_id)
        .bind(rotation.handle)
        .bind(rotation.presented)
        .bind(rotation.expires_at)
        .bind(rotation.use_static_key)
        .bind(now_millis())
        .bind(rotation.parent)
        .fetch_optional(pool)
        .await?
    });
    row.map(from_row).transpose()
}

/// Replaces a live session's database payload or JWT payload; false when there is no such
/// session.
pub async fn update_payload(
    db: &Db,
    app_id: &str,
    tenant_id: &str,
    handle: &str,
    column: Payload,
    value: &Map<String, Value>,
) -> Result<bool, ApiError> {
    let sql = format!(
        "UPDATE sessions SET {} = $4 WHERE app_id = $1 AND tenant_id = $2 AND session_handle = $3 AND expires_at > $5",
        column.column()
    );
    Ok(with_pool!(db, pool => {
        sqlx::query(&sql)
            .bind(app_id)
            .bind(tenant_id)
            .bind(handle)
            .bind(Value::Object(value.clone()).to_string())
            .bind(now_millis())
            .execute(pool)
            .await?
            .rows_affected()
            > 0
    }))
}

#[derive(Debug, Clone, Copy)]
pub enum Payload {
    Database,
    Jwt,
}

impl Payload {
    fn column(self) -> &'static str {
        match self {
            Payload::Database => "session_data",
            Payload::Jwt => "jwt_user_payload",
        }
    }
}

/// Live session handles of these users, in one tenant or (with `None`) every tenant.
pub async fn handles_of_users(
    db: &Db,
    app_id: &str,
    tenant_id: Option<&str>,
    user_ids: &[String],
) -> Result<Vec<String>, ApiError> {
    let (tenant_filter, first) = match tenant_id {
        Some(_) => (" AND tenant_id = $3", 4),
        None => ("", 3),
    };
    let sql = format!(
        "SELECT session_handle FROM sessions WHERE app_id = $1 AND expires_at > $2{tenant_filter} \
         AND user_id IN ({}) ORDER BY created_at, session_handle",
        placeholders(first, user_ids.len())
    );
    Ok(with_pool!(db, pool => {
        let mut query = sqlx::query_scalar(&sql).bind(app_id).bind(now_millis());
        if let Some(tenant_id) = tenant_id {
            query = query.bind(tenant_id);
        }
        for user_id in user_ids {
            query = query.bind(user_id);
        }
        query.fetch_all(pool).await?
    }))
}

/// Deletes sessions by (tenant, handle); returns the handles that existed.
pub async fn delete(
    db: &Db,
    app_id: &str,
    sessions: &[(String, String)],
) -> Result<Vec<String>, ApiError> {
    let mut revoked = Vec::new();
    with_pool!(db, pool => {
        for (tenant_id, handle) in sessions {
            let deleted = sqlx::query("DELETE FROM sessions WHERE app_id = $1 AND tenant_id = $2 AND session_handle = $3")
                .bind(app_id)
                .bind(tenant_id)
                .bind(handle)
                .execute(pool)
                .await?
                .rows_affected();
            if deleted > 0 {
                revoked.push(handle.clone());
            }
        }
    });
    Ok(revoked)
}

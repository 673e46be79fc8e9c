//! UserMetadata: one JSON object per user, updated by shallow merge.

use serde_json::{json, Map, Value};

use crate::db::{BeginWrite, Db};
use crate::error::ApiError;
use crate::http::{self, HandlerResult, Request, Routes, Scope, TenantId};
use crate::with_pool;

pub fn register(routes: &mut Routes) {
    routes.get("/recipe/user/metadata", Scope::App, get_metadata);
    routes.put("/recipe/user/metadata", Scope::App, update_metadata);
    routes.post("/recipe/user/metadata/remove", Scope::App, remove_metadata);
    routes.on_user_removed("DELETE FROM user_metadata WHERE app_id = $1 AND user_id = $2");
}

async fn get_metadata(request: Request) -> HandlerResult {
    let user_id = request.query("userId")?;
    let metadata = load(&request.state.db, &request.tenant, &user_id).await?;
    http::json(&json!({ "status": "OK", "metadata": metadata }))
}

/// Top-level keys of `metadataUpdate` replace the stored ones; a `null` removes the key.
async fn update_metadata(request: Request) -> HandlerResult {
    let input = request.json()?;
    let user_id = input.str("userId")?;
    let update = input.object("metadataUpdate")?;
    let db = &request.state.db;
    let app_id = &request.tenant.app_id;
    let select = format!(
        "SELECT user_metadata FROM user_metadata WHERE app_id = $1 AND user_id = $2{}",
        db.for_update()
    );
    let metadata = with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        // The empty row first, so that two first updates of a user lock the same row.
        sqlx::query("INSERT INTO user_metadata (app_id, user_id, user_metadata) VALUES ($1, $2, '{}') ON CONFLICT (app_id, user_id) DO NOTHING")
            .bind(app_id)
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        let stored: String = sqlx::query_scalar(&select).bind(app_id).bind(&user_id).fetch_one(&mut *tx).await?;
        let metadata = merge(parse(&stored)?, update);
        sqlx::query("UPDATE user_metadata SET user_metadata = $3 WHERE app_id = $1 AND user_id = $2")
            .bind(app_id)
            .bind(&user_id)
            .bind(Value::Object(metadata.clone()).to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        metadata
    });
    http::json(&json!({ "status": "OK", "metadata": metadata }))
}

async fn remove_metadata(request: Request) -> HandlerResult {
    let user_id = request.json()?.str("userId")?;
    with_pool!(&request.state.db, pool => {
        sqlx::query("DELETE FROM user_metadata WHERE app_id = $1 AND user_id = $2")
            .bind(&request.tenant.app_id)
            .bind(&user_id)
            .execute(pool)
            .await?;
    });
    http::ok()
}

async fn load(db: &Db, tenant: &TenantId, user_id: &str) -> Result<Map<String, Value>, ApiError> {
    let stored: Option<String> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT user_metadata FROM user_metadata WHERE app_id = $1 AND user_id = $2")
            .bind(&tenant.app_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?
    });
    stored.map_or_else(|| Ok(Map::new()), |text| parse(&text))
}

fn parse(stored: &str) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_str(stored) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(anyhow::anyhow!("stored user metadata is not a JSON object").into()),
    }
}

/// Each updated key moves to the end, as upstream orders them; `null` removes it.
fn merge(mut metadata: Map<String, Value>, update: Map<String, Value>) -> Map<String, Value> {
    for (key, value) in update {
        metadata.shift_remove(&key);
        if !value.is_null() {
            metadata.insert(key, value);
        }
    }
    metadata
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_is_shallow_and_null_removes() {
        let stored = json!({ "a": 1, "nested": { "x": 1, "y": 2 }, "gone": true });
        let update = json!({ "nested": { "x": 5 }, "gone": null, "new": "v", "absent": null });
        let Value::Object(stored) = stored else {
            unreachable!()
        };
        let Value::Object(update) = update else {
            unreachable!()
        };
        let merged = merge(stored, update);
        assert_eq!(
            Value::Object(merged.clone()),
            json!({ "a": 1, "nested": { "x": 5 }, "new": "v" })
        );
        let order: Vec<&str> = merged.keys().map(String::as_str).collect();
        assert_eq!(
            order,
            ["a", "nested", "new"],
            "updated keys move to the end"
        );
    }
}

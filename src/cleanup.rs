//! The periodic clean-up of expired data: sessions, one-time tokens, old signing keys.
//! Every statement only deletes what is already expired, so any number of processes may
//! run it at the same time.

use std::time::Duration;

use actix_web::web::Data;

use crate::db::now_millis;
use crate::state::AppState;
use crate::with_pool;

/// How often the clean-up runs; expired rows are already ignored by every read, so this
/// only bounds how long they take up space.
const INTERVAL: Duration = Duration::from_secs(3600);

/// Deletes everything that has expired; returns how many rows went.
pub async fn run_once(state: &AppState) -> anyhow::Result<u64> {
    let now = now_millis();
    let mut deleted = 0;
    for statement in &state.cleanup_statements {
        deleted += with_pool!(&state.db, pool => sqlx::query(statement).bind(now).execute(pool).await?.rows_affected());
    }
    crate::recipes::multitenancy::keep_signing_keys_published(state).await?;
    deleted += state.signing_keys.delete_expired(&state.db).await?;
    Ok(deleted)
}

/// Runs the clean-up now and then every [`INTERVAL`], in the background, until the handle
/// is aborted.
pub fn spawn(state: Data<AppState>) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(INTERVAL);
        loop {
            ticks.tick().await;
            match run_once(&state).await {
                Ok(deleted) => tracing::debug!(deleted, "expired data cleaned up"),
                Err(error) => tracing::warn!(
                    error = format!("{error:#}"),
                    "clean-up of expired data failed"
                ),
            }
        }
    })
}

//! Liveness, version negotiation and telemetry.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use actix_web::HttpResponse;
use serde_json::json;

use crate::db::now_millis;
use crate::error::ApiError;
use crate::http::{self, HandlerResult, Request, Routes, Scope, SUPPORTED_CDI_VERSIONS};
use crate::with_pool;

pub fn register(routes: &mut Routes) {
    routes.get("/", Scope::Open, root);
    routes.post("/", Scope::Open, root);
    routes.put("/", Scope::Open, root);
    routes.delete("/", Scope::Open, root);
    routes.get("/hello", Scope::Open, hello);
    routes.post("/hello", Scope::Open, hello);
    routes.put("/hello", Scope::Open, hello);
    routes.delete("/hello", Scope::Open, hello);
    routes.get("/apiversion", Scope::AppAnyVersion, api_version);
    routes.get("/telemetry", Scope::App, telemetry);
    // Process-wide numbers: asked of the default app, with the API key when keys are set.
    routes.get("/metrics", Scope::AppAnyVersion, metrics);
}

/// How long a successful database check vouches for the storage, so that a busy health
/// check or load test measures HTTP, not one database round trip per call.
const STORAGE_CHECK_INTERVAL_MS: i64 = 1000;
/// How long /hello waits for the storage before it answers 500.
const HEALTH_CHECK_TIMEOUT: Duration = Duration::from_secs(2);
static LAST_STORAGE_CHECK: AtomicI64 = AtomicI64::new(0);

/// The root path also stands for every `/<tenant>` and `/appid-<app>/<tenant>`, so a
/// tenant that does not exist makes it a 404, as an unknown path is.
async fn root(request: Request) -> HandlerResult {
    if !http::tenant_exists(&request.state.db, &request.tenant).await? {
        return Err(ApiError::NotFound);
    }
    hello(request).await
}

/// `Hello` once the storage answers; a 500 when it does not.
async fn hello(request: Request) -> HandlerResult {
    let now = now_millis();
    if now - LAST_STORAGE_CHECK.load(Ordering::Relaxed) > STORAGE_CHECK_INTERVAL_MS {
        let check = async {
            with_pool!(&request.state.db, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))
        };
        // A health probe needs its answer quickly, not after the pool's acquire timeout.
        match tokio::time::timeout(HEALTH_CHECK_TIMEOUT, check).await {
            Ok(answered) => answered?,
            Err(_) => {
                return Err(ApiError::Internal(anyhow::anyhow!(
                    "the storage did not answer within {} s",
                    HEALTH_CHECK_TIMEOUT.as_secs()
                )))
            }
        }
        LAST_STORAGE_CHECK.store(now, Ordering::Relaxed);
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("Hello"))
}

async fn api_version(_: Request) -> HandlerResult {
    let versions: Vec<String> = SUPPORTED_CDI_VERSIONS
        .iter()
        .map(ToString::to_string)
        .collect();
    http::json(&json!({ "versions": versions }))
}

async fn metrics(request: Request) -> HandlerResult {
    let state = &request.state;
    let text = state.metrics.render(&state.db, state.in_flight.count());
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(text))
}

/// Gatehouse never sends telemetry, so there is never a telemetry id.
async fn telemetry(_: Request) -> HandlerResult {
    http::json(&json!({ "exists": false }))
}

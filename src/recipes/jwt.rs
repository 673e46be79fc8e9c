//! The JWT recipe: JWTs with a custom payload signed by the app's keys, and the JWKS that
//! verifies them and access tokens.

use actix_web::HttpResponse;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::db::now_millis;
use crate::error::ApiError;
use crate::http::{self, HandlerResult, Request, Routes, Scope};

/// The largest whole number a JavaScript number holds exactly; SDKs read `exp` as one.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

pub fn register(routes: &mut Routes) {
    routes.post("/recipe/jwt", Scope::App, create_jwt);
    routes.get("/recipe/jwt/jwks", Scope::App, jwks);
    routes.get("/.well-known/jwks.json", Scope::OpenTenant, public_jwks);
}

/// Signs `payload` for `validity` seconds; `iat`, `exp` and `iss` (from `jwksDomain`) are
/// set unless the payload sets them itself.
async fn create_jwt(request: Request) -> HandlerResult {
    let input = request.json()?;
    let algorithm = input.str("algorithm")?;
    let jwks_domain = input.str("jwksDomain")?;
    let payload = input.object("payload")?;
    let validity = input.i64("validity")?;
    let use_static_key = input.opt_bool("useStaticSigningKey")?.unwrap_or(true);
    if validity <= 0 {
        return Err(ApiError::bad_request(
            "validity must be greater than or equal to 0",
        ));
    }
    if !algorithm.eq_ignore_ascii_case("RS256") {
        return http::json(&json!({ "status": "UNSUPPORTED_ALGORITHM_ERROR" }));
    }
    // The expiry must be a representable time (a JavaScript-safe number of seconds).
    let now = now_millis();
    let Some(expires_at) = validity
        .checked_mul(1000)
        .and_then(|millis| millis.checked_add(now))
        .filter(|millis| millis / 1000 <= MAX_SAFE_INTEGER)
    else {
        return Err(ApiError::bad_request(format!(
            "validity must be at most {} seconds",
            MAX_SAFE_INTEGER - now / 1000
        )));
    };
    let state = &request.state;
    let key = state
        .signing_keys
        .signing_key(&state.db, &request.tenant.app_id, !use_static_key)
        .await?;
    let mut claims = serde_json::Map::new();
    claims.insert("iat".into(), json!(now / 1000));
    claims.insert("exp".into(), json!(expires_at / 1000));
    claims.insert("iss".into(), json!(jwks_domain));
    claims.extend(payload);
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": key.key_id });
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string())
    );
    let jwt = format!("{signed}.{}", key.sign(signed.as_bytes()));
    http::json(&json!({ "status": "OK", "jwt": jwt }))
}

async fn jwks(request: Request) -> HandlerResult {
    let (keys, _) = request
        .state
        .signing_keys
        .jwks(&request.state.db, &request.tenant.app_id)
        .await?;
    http::json(&json!({ "status": "OK", "keys": keys }))
}

/// The public JWKS the SDKs verify access tokens with: no API key, cacheable until shortly
/// before the next key is published.
async fn public_jwks(request: Request) -> HandlerResult {
    let (keys, max_age) = request
        .state
        .signing_keys
        .jwks(&request.state.db, &request.tenant.app_id)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Cache-Control",
            format!("max-age={max_age}, must-revalidate"),
        ))
        .json(json!({ "keys": keys })))
}

//! TOTP: authenticator-app devices of a user (any user id; TOTP users need no login method)
//! and checking their codes, with upstream's limit on failed attempts and refusal of replayed
//! codes. Devices belong to the app; tried codes, and so the limits, to the tenant.

pub mod code;
mod store;

use rand::RngCore;
use serde_json::{json, Value};

use self::store::{Candidate, Check, NewDevice};
use crate::app_keys::Purpose;
use crate::db::{is_unique_violation, now_millis};
use crate::error::ApiError;
use crate::http::{self, HandlerResult, JsonInput, Request, Routes, Scope};

pub fn register(routes: &mut Routes) {
    routes.post("/recipe/totp/device", Scope::App, create_device);
    routes.put("/recipe/totp/device", Scope::App, rename_device);
    routes.get("/recipe/totp/device/list", Scope::App, list_devices);
    routes.post("/recipe/totp/device/import", Scope::App, import_device);
    routes.post("/recipe/totp/device/remove", Scope::App, remove_device);
    routes.post("/recipe/totp/device/verify", Scope::Tenant, verify_device);
    routes.post("/recipe/totp/verify", Scope::Tenant, verify_code);
    routes.on_user_removed("DELETE FROM totp_devices WHERE app_id = $1 AND user_id = $2");
    routes.on_user_removed("DELETE FROM totp_used_codes WHERE app_id = $1 AND user_id = $2");
    routes.on_cleanup("DELETE FROM totp_used_codes WHERE keep_until < $1");
}

/// Bytes of a generated secret (upstream's 160-bit HMAC-SHA1 key).
const SECRET_BYTES: usize = 20;

/// A string field that must not be empty (upstream does not trim TOTP input).
fn non_empty(field: &str, value: String) -> Result<String, ApiError> {
    if value.is_empty() {
        return Err(ApiError::bad_request(format!("{field} cannot be empty")));
    }
    Ok(value)
}

/// The device fields create and import share, read and checked in upstream's order.
struct DeviceInput {
    user_id: String,
    name: Option<String>,
    skew: i64,
    period: i64,
    secret: Option<String>,
}

fn read_device(input: &JsonInput, with_secret: bool) -> Result<DeviceInput, ApiError> {
    let user_id = input.str("userId")?;
    let name = input.opt_str("deviceName")?;
    let skew = input.i64("skew")?;
    let period = input.i64("period")?;
    let secret = with_secret.then(|| input.str("secretKey")).transpose()?;
    let user_id = non_empty("userId", user_id)?;
    let name = name.map(|name| non_empty("deviceName", name)).transpose()?;
    let secret = secret
        .map(|secret| non_empty("secretKey", secret))
        .transpose()?;
    if skew < 0 {
        return Err(ApiError::bad_request("skew must be >= 0"));
    }
    if period <= 0 {
        return Err(ApiError::bad_request("period must be > 0"));
    }
    let too_big = |_| ApiError::bad_request("period must be > 0");
    Ok(DeviceInput {
        user_id,
        name,
        skew: i64::from(
            i32::try_from(skew).map_err(|_| ApiError::bad_request("skew must be >= 0"))?,
        ),
        period: i64::from(i32::try_from(period).map_err(too_big)?),
        secret,
    })
}

/// Stores a new device (a given name replaces an unverified device of that name; without a
/// name the first free `TOTP Device <n>` is taken). `None` when a verified device has the name.
async fn add_device(
    request: &Request,
    device: DeviceInput,
    verified: bool,
) -> Result<Option<(String, String)>, ApiError> {
    let state = &request.state;
    let app_id = &request.tenant.app_id;
    let secret = match device.secret {
        Some(secret) => secret,
        None => {
            let mut bytes = [0u8; SECRET_BYTES];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            code::base32_encode(&bytes)
        }
    };
    let sealed_secret = state
        .app_keys
        .seal(&state.db, app_id, Purpose::TotpSecrets, secret.as_bytes())
        .await?;
    let new = NewDevice {
        user_id: &device.user_id,
        name: device.name.as_deref(),
        sealed_secret: &sealed_secret,
        period: device.period,
        skew: device.skew,
        verified,
        created_at: now_millis(),
    };
    // Two first devices of one user created at once can race for a name: the loser retries.
    let mut attempts = 0;
    loop {
        match store::add_device(&state.db, app_id, &new).await {
            Err(error) if is_unique_violation(&error) && attempts < 3 => attempts += 1,
            outcome => return Ok(outcome?.map(|name| (name, secret))),
        }
    }
}

async fn create_device(request: Request) -> HandlerResult {
    let device = read_device(&request.json()?, false)?;
    match add_device(&request, device, false).await? {
        None => http::json(&json!({ "status": "DEVICE_ALREADY_EXISTS_ERROR" })),
        Some((name, secret)) => {
            http::json(&json!({ "status": "OK", "deviceName": name, "secret": secret }))
        }
    }
}

async fn import_device(request: Request) -> HandlerResult {
    let device = read_device(&request.json()?, true)?;
    match add_device(&request, device, true).await? {
        None => http::json(&json!({ "status": "DEVICE_ALREADY_EXISTS_ERROR" })),
        Some((name, _)) => http::json(&json!({ "status": "OK", "deviceName": name })),
    }
}

async fn rename_device(request: Request) -> HandlerResult {
    let input = request.json()?;
    let user_id = input.str("userId")?;
    let existing = input.str("existingDeviceName")?;
    let new_name = input.str("newDeviceName")?;
    let user_id = non_empty("userId", user_id)?;
    let existing = non_empty("existingDeviceName", existing)?;
    let new_name = non_empty("newDeviceName", new_name)?;
    let db = &request.state.db;
    match store::rename_device(db, &request.tenant.app_id, &user_id, &existing, &new_name).await {
        Ok(true) => http::ok(),
        Ok(false) => http::json(&json!({ "status": "UNKNOWN_DEVICE_ERROR" })),
        Err(error) if is_unique_violation(&error) => {
            http::json(&json!({ "status": "DEVICE_ALREADY_EXISTS_ERROR" }))
        }
        Err(error) => Err(error.into()),
    }
}

async fn list_devices(request: Request) -> HandlerResult {
    let user_id = non_empty("userId", request.query("userId")?)?;
    let devices: Vec<Value> = store::devices(&request.state.db, &request.tenant.app_id, &user_id)
        .await?
        .into_iter()
        .map(|device| {
            json!({
                "name": device.name,
                "period": device.period,
                "skew": device.skew,
                "verified": device.verified,
            })
        })
        .collect();
    http::json(&json!({ "status": "OK", "devices": devices }))
}

async fn remove_device(request: Request) -> HandlerResult {
    let input = request.json()?;
    let user_id = input.str("userId")?;
    let name = input.str("deviceName")?;
    let user_id = non_empty("userId", user_id)?;
    let name = non_empty("deviceName", name)?;
    let existed =
        store::remove_device(&request.state.db, &request.tenant.app_id, &user_id, &name).await?;
    http::json(&json!({ "status": "OK", "didDeviceExist": existed }))
}

/// Checks `totp` against `devices` in the request's tenant (see `store::check_code`).
async fn check(
    request: &Request,
    user_id: &str,
    devices: Vec<store::Device>,
    totp: &str,
) -> Result<Option<Check>, ApiError> {
    let candidates = candidates(request, devices).await?;
    let db = &request.state.db;
    store::check_code(
        db,
        &request.tenant,
        user_id,
        &candidates,
        totp,
        &request.settings,
    )
    .await
}

/// The devices' secrets, for checking a code against them.
async fn candidates(
    request: &Request,
    devices: Vec<store::Device>,
) -> Result<Vec<Candidate>, ApiError> {
    let state = &request.state;
    let mut candidates = Vec::with_capacity(devices.len());
    for device in devices {
        let secret = state
            .app_keys
            .open(
                &state.db,
                &request.tenant.app_id,
                Purpose::TotpSecrets,
                &device.sealed_secret,
            )
            .await?
            .and_then(|text| code::base32_decode(&String::from_utf8_lossy(&text)));
        candidates.push(Candidate {
            secret,
            period: device.period,
            skew: device.skew,
        });
    }
    Ok(candidates)
}

/// The answer for a refused code: the counts only from CDI 5.0.
fn refused(request: &Request, check: Check) -> HandlerResult {
    let (mut answer, current, max) = match check {
        Check::Accepted => return http::ok(),
        Check::Invalid { current, max } => {
            (json!({ "status": "INVALID_TOTP_ERROR" }), current, max)
        }
        Check::LimitReached {
            retry_after_ms,
            current,
            max,
        } => (
            json!({ "status": "LIMIT_REACHED_ERROR", "retryAfterMs": retry_after_ms }),
            current,
            max,
        ),
    };
    if request.cdi.totp_shows_attempt_counts() {
        answer["currentNumberOfFailedAttempts"] = json!(current);
        answer["maxNumberOfFailedAttempts"] = json!(max);
    }
    http::json(&answer)
}

async fn verify_device(request: Request) -> HandlerResult {
    let input = request.json()?;
    let user_id = input.str("userId")?;
    let name = input.str("deviceName")?;
    let totp = input.str("totp")?;
    let user_id = non_empty("userId", user_id)?;
    let name = non_empty("deviceName", name)?;
    let unknown = || http::json(&json!({ "status": "UNKNOWN_DEVICE_ERROR" }));
    let (db, app_id) = (&request.state.db, &request.tenant.app_id);
    let Some(device) = store::devices(db, app_id, &user_id)
        .await?
        .into_iter()
        .find(|device| device.name == name)
    else {
        return unknown();
    };
    if device.verified {
        return http::json(&json!({ "status": "OK", "wasAlreadyVerified": true }));
    }
    match check(&request, &user_id, vec![device], &totp).await? {
        None => unknown(),
        Some(Check::Accepted) => match store::mark_verified(db, app_id, &user_id, &name).await? {
            true => http::json(&json!({ "status": "OK", "wasAlreadyVerified": false })),
            false => unknown(),
        },
        Some(check) => refused(&request, check),
    }
}

async fn verify_code(request: Request) -> HandlerResult {
    let input = request.json()?;
    let user_id = input.str("userId")?;
    let totp = input.str("totp")?;
    let user_id = non_empty("userId", user_id)?;
    let unknown = || http::json(&json!({ "status": "UNKNOWN_USER_ID_ERROR" }));
    let (db, app_id) = (&request.state.db, &request.tenant.app_id);
    let devices = store::devices(db, app_id, &user_id).await?;
    if devices.is_empty() {
        return unknown();
    }
    let verified = devices
        .into_iter()
        .filter(|device| device.verified)
        .collect();
    match check(&request, &user_id, verified, &totp).await? {
        None => unknown(),
        Some(check) => refused(&request, check),
    }
}

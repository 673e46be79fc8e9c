//! TOTP devices and tried codes, on either database.

use super::code;
use crate::config::TenantSettings;
use crate::db::{is_unique_violation, now_millis, BeginWrite, Db};
use crate::error::ApiError;
use crate::http::TenantId;
use crate::with_pool;

pub struct Device {
    pub name: String,
    pub sealed_secret: String,
    pub period: i64,
    pub skew: i64,
    pub verified: bool,
}

pub struct NewDevice<'a> {
    pub user_id: &'a str,
    pub name: Option<&'a str>,
    pub sealed_secret: &'a str,
    pub period: i64,
    pub skew: i64,
    pub verified: bool,
    pub created_at: i64,
}

/// A device a code is checked against; `secret` is `None` when the stored one is not base32.
pub struct Candidate {
    pub secret: Option<Vec<u8>>,
    pub period: i64,
    pub skew: i64,
}

impl Candidate {
    /// Seconds a code of this device stays valid: its whole window.
    fn window_seconds(&self) -> i64 {
        self.period * (2 * self.skew + 1)
    }
}

/// The outcome of a checked code.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    Accepted,
    Invalid {
        current: i64,
        max: i64,
    },
    LimitReached {
        retry_after_ms: i64,
        current: i64,
        max: i64,
    },
}

type DeviceRow = (String, String, i64, i64, bool);

/// A user's devices, oldest first.
pub async fn devices(db: &Db, app_id: &str, user_id: &str) -> Result<Vec<Device>, ApiError> {
    let rows: Vec<DeviceRow> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT device_name, sealed_secret, CAST(period AS BIGINT), CAST(skew AS BIGINT), verified FROM totp_devices \
             WHERE app_id = $1 AND user_id = $2 ORDER BY created_at, device_name",
        )
        .bind(app_id)
        .bind(user_id)
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|(name, sealed_secret, period, skew, verified)| Device {
            name,
            sealed_secret,
            period,
            skew,
            verified,
        })
        .collect())
}

/// Adds a device in one transaction: a named one replaces an unverified device of that
/// name; an unnamed one takes `TOTP Device <n>`, `n` counting the verified devices and up
/// past names verified devices hold. `None` when a verified device holds the given name.
pub async fn add_device(
    db: &Db,
    app_id: &str,
    device: &NewDevice<'_>,
) -> sqlx::Result<Option<String>> {
    let select = format!(
        "SELECT device_name, verified FROM totp_devices WHERE app_id = $1 AND user_id = $2{}",
        db.for_update()
    );
    with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let existing: Vec<(String, bool)> = sqlx::query_as(&select)
            .bind(app_id)
            .bind(device.user_id)
            .fetch_all(&mut *tx)
            .await?;
        let verified_holds = |name: &str| existing.iter().any(|(held, verified)| held == name && *verified);
        let name = match device.name {
            Some(name) if verified_holds(name) => return Ok(None),
            Some(name) => name.to_string(),
            None => {
                let mut n = existing.iter().filter(|(_, verified)| *verified).count();
                while verified_holds(&format!("TOTP Device {n}")) {
                    n += 1;
                }
                format!("TOTP Device {n}")
            }
        };
        sqlx::query("DELETE FROM totp_devices WHERE app_id = $1 AND user_id = $2 AND device_name = $3")
            .bind(app_id)
            .bind(device.user_id)
            .bind(&name)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO totp_devices (app_id, user_id, device_name, sealed_secret, period, skew, verified, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(app_id)
        .bind(device.user_id)
        .bind(&name)
        .bind(device.sealed_secret)
        .bind(device.period as i32)
        .bind(device.skew as i32)
        .bind(device.verified)
        .bind(device.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(name))
    })
}

/// Renames a device; `false` when there is none of that name. A name another device holds
/// is a unique violation.
pub async fn rename_device(
    db: &Db,
    app_id: &str,
    user_id: &str,
    from: &str,
    to: &str,
) -> sqlx::Result<bool> {
    let renamed = with_pool!(db, pool => {
        sqlx::query("UPDATE totp_devices SET device_name = $4 WHERE app_id = $1 AND user_id = $2 AND device_name = $3")
            .bind(app_id)
            .bind(user_id)
            .bind(from)
            .bind(to)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(renamed == 1)
}

/// Removes a device; with the user's last device goes the user's record of tried codes in
/// every tenant. Answers whether the device existed.
pub async fn remove_device(
    db: &Db,
    app_id: &str,
    user_id: &str,
    name: &str,
) -> Result<bool, ApiError> {
    Ok(with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let removed = sqlx::query("DELETE FROM totp_devices WHERE app_id = $1 AND user_id = $2 AND device_name = $3")
            .bind(app_id)
            .bind(user_id)
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM totp_devices WHERE app_id = $1 AND user_id = $2")
            .bind(app_id)
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
        if left == 0 {
            sqlx::query("DELETE FROM totp_used_codes WHERE app_id = $1 AND user_id = $2")
                .bind(app_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        removed
    }))
}

/// Marks a device verified; `false` when it is gone.
pub async fn mark_verified(
    db: &Db,
    app_id: &str,
    user_id: &str,
    name: &str,
) -> Result<bool, ApiError> {
    Ok(with_pool!(db, pool => {
        sqlx::query("UPDATE totp_devices SET verified = TRUE WHERE app_id = $1 AND user_id = $2 AND device_name = $3")
            .bind(app_id)
            .bind(user_id)
            .bind(name)
            .execute(pool)
            .await?
            .rows_affected()
            == 1
    }))
}

type UsedCode = (String, bool, i64, i64);

/// Checks `totp` against the candidates and records the try, in one transaction that holds
/// the user's devices (so two tries of one user are checked one after the other, and a code
/// is accepted once). Upstream's rule: `totp_max_attempts` failed tries in a row, each
/// within the cool-down of the latest, lock the user out until the cool-down has passed
/// since the latest; an accepted code ends the run. `None` when the user's devices went
/// away meanwhile.
pub async fn check_code(
    db: &Db,
    tenant: &TenantId,
    user_id: &str,
    candidates: &[Candidate],
    totp: &str,
    settings: &TenantSettings,
) -> Result<Option<Check>, ApiError> {
    let max = settings.totp_max_attempts;
    let cooldown_ms = settings.totp_rate_limit_cooldown_sec.saturating_mul(1000);
    let lock = format!(
        "SELECT device_name FROM totp_devices WHERE app_id = $1 AND user_id = $2{}",
        db.for_update()
    );
    Ok(with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let devices: Vec<String> = sqlx::query_scalar(&lock)
            .bind(&tenant.app_id)
            .bind(user_id)
            .fetch_all(&mut *tx)
            .await?;
        if devices.is_empty() {
            return Ok(None);
        }
        let used: Vec<UsedCode> = sqlx::query_as(
            "SELECT code, is_valid, expiry_time_ms, created_time_ms FROM totp_used_codes \
             WHERE app_id = $1 AND tenant_id = $2 AND user_id = $3 ORDER BY created_time_ms DESC",
        )
        .bind(&tenant.app_id)
        .bind(&tenant.tenant_id)
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?;
        let now = now_millis();
        let failed: Vec<&UsedCode> = used
            .iter()
            .take(usize::try_from(max).unwrap_or(usize::MAX))
            .take_while(|(_, valid, _, _)| !valid)
            .collect();
        let mut failed_in_row = match failed.first() {
            None => 0,
            Some((_, _, _, latest)) => failed
                .iter()
                .take_while(|(_, _, _, created)| *created > latest - cooldown_ms)
                .count() as i64,
        };
        if failed_in_row == max {
            let latest = failed[0].3;
            if now - latest < cooldown_ms {
                return Ok(Some(Check::LimitReached {
                    retry_after_ms: cooldown_ms - (now - latest),
                    current: max,
                    max,
                }));
            }
            failed_in_row = 0;
        }
        if totp.len() > 8 {
            return Ok(Some(Check::Invalid { current: failed_in_row + 1, max }));
        }
        let unix_seconds = u64::try_from(now / 1000).unwrap_or(0);
        let matching = candidates.iter().find(|device| {
            device.secret.as_ref().is_some_and(|secret| {
                code::matches(secret, device.period as u64, device.skew as u64, unix_seconds, totp)
            })
        });
        let replayed = used
            .iter()
            .any(|(code, valid, expiry, _)| code == totp && *valid && *expiry > now);
        let valid = matching.is_some() && !replayed;
        let window = matching
            .map(Candidate::window_seconds)
            .or_else(|| candidates.iter().map(Candidate::window_seconds).max())
            .unwrap_or(0);
        let expiry = now + 1000 * window;
        let inserted = sqlx::query(
            "INSERT INTO totp_used_codes (app_id, tenant_id, user_id, code, is_valid, expiry_time_ms, created_time_ms, keep_until) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&tenant.app_id)
        .bind(&tenant.tenant_id)
        .bind(user_id)
        .bind(totp)
        .bind(valid)
        .bind(expiry)
        .bind(now)
        .bind(expiry.saturating_add(cooldown_ms))
        .execute(&mut *tx)
        .await;
        match inserted {
            // Another try of this user in the same millisecond: this one is refused.
            Err(error) if is_unique_violation(&error) => {
                return Ok(Some(Check::Invalid { current: failed_in_row, max }))
            }
            other => other?,
        };
        tx.commit().await?;
        Some(match valid {
            true => Check::Accepted,
            false => Check::Invalid { current: failed_in_row + 1, max },
        })
    }))
}

//! Passwordless devices and codes, on either database.

use crate::db::{BeginWrite, Db};
use crate::error::ApiError;
use crate::http::TenantId;
use crate::with_pool;

/// What a sign-in is for: an email or a phone number (both normalised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    Email(String),
    PhoneNumber(String),
}

impl Contact {
    /// The column of devices and login methods that holds it.
    pub fn column(&self) -> &'static str {
        match self {
            Contact::Email(_) => "email",
            Contact::PhoneNumber(_) => "phone_number",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Contact::Email(value) | Contact::PhoneNumber(value) => value,
        }
    }

    fn from_columns(email: Option<String>, phone_number: Option<String>) -> Option<Self> {
        email
            .map(Contact::Email)
            .or(phone_number.map(Contact::PhoneNumber))
    }
}

/// A new code of a device.
pub struct NewCode<'a> {
    pub code_id: &'a str,
    pub link_code_hash: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A device as answers describe it.
pub struct Device {
    pub pre_auth_session_id: String,
    pub failed_attempts: i64,
    pub contact: Option<Contact>,
}

/// A device with its codes, as GET /recipe/signinup/codes lists it.
pub struct ListedDevice {
    pub device: Device,
    /// (code id, created at, expires at), oldest first.
    pub codes: Vec<(String, i64, i64)>,
}

/// How a code was offered: a magic link's code or a code the user typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offered {
    LinkCode,
    UserInputCode,
}

/// A code offered for a device.
#[derive(Clone, Copy)]
pub struct Attempt<'a> {
    pub device_id_hash: &'a str,
    pub link_code_hash: &'a str,
    pub offered: Offered,
    /// Whether an accepted code is used up (with every device of its email or phone).
    pub consume: bool,
}

/// The outcome of checking a code against its device.
pub enum Checked {
    /// The device as it was before.
    Accepted(Device),
    /// The sign-in has to start again (unknown device, too many wrong codes, a link that
    /// does not work any more).
    Restart,
    Incorrect {
        failed_attempts: i64,
    },
    Expired {
        failed_attempts: i64,
    },
}

const INSERT_CODE: &str = "INSERT INTO passwordless_codes \
     (app_id, tenant_id, code_id, device_id_hash, link_code_hash, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Stores a new device for `contact` with its first code, in one transaction.
pub async fn create_device(
    db: &Db,
    tenant: &TenantId,
    device_id_hash: &str,
    contact: &Contact,
    salt: &str,
    code: &NewCode<'_>,
) -> sqlx::Result<()> {
    let insert_device = format!(
        "INSERT INTO passwordless_devices (app_id, tenant_id, device_id_hash, {}, link_code_salt, failed_attempts) \
         VALUES ($1, $2, $3, $4, $5, 0)",
        contact.column()
    );
    with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query(&insert_device)
            .bind(&tenant.app_id)
            .bind(&tenant.tenant_id)
            .bind(device_id_hash)
            .bind(contact.value())
            .bind(salt)
            .execute(&mut *tx)
            .await?;
        sqlx::query(INSERT_CODE)
            .bind(&tenant.app_id)
            .bind(&tenant.tenant_id)
            .bind(code.code_id)
            .bind(device_id_hash)
            .bind(code.link_code_hash)
            .bind(code.created_at)
            .bind(code.expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    })
}

/// Adds a code to a device. A link code hash the tenant has already is a unique violation; a
/// device deleted meanwhile a foreign key violation.
pub async fn add_code(
    db: &Db,
    tenant: &TenantId,
    device_id_hash: &str,
    code: &NewCode<'_>,
) -> sqlx::Result<()> {
    with_pool!(db, pool => {
        sqlx::query(INSERT_CODE)
            .bind(&tenant.app_id)
            .bind(&tenant.tenant_id)
            .bind(code.code_id)
            .bind(device_id_hash)
            .bind(code.link_code_hash)
            .bind(code.created_at)
            .bind(code.expires_at)
            .execute(pool)
            .await
            .map(drop)
    })
}

/// The salt of a device of the tenant.
pub async fn device_salt(
    db: &Db,
    tenant: &TenantId,
    device_id_hash: &str,
) -> Result<Option<String>, ApiError> {
    Ok(with_pool!(db, pool => {
        sqlx::query_scalar(
            "SELECT link_code_salt FROM passwordless_devices WHERE app_id = $1 AND tenant_id = $2 AND device_id_hash = $3",
        )
        .bind(&tenant.app_id)
        .bind(&tenant.tenant_id)
        .bind(device_id_hash)
        .fetch_optional(pool)
        .await?
    }))
}

/// The device of a link code, while the code is valid.
pub async fn device_of_link_code(
    db: &Db,
    tenant: &TenantId,
    link_code_hash: &str,
    now: i64,
) -> Result<Option<String>, ApiError> {
    Ok(with_pool!(db, pool => {
        sqlx::query_scalar(
            "SELECT device_id_hash FROM passwordless_codes WHERE app_id = $1 AND tenant_id = $2 \
             AND link_code_hash = $3 AND expires_at >= $4",
        )
        .bind(&tenant.app_id)
        .bind(&tenant.tenant_id)
        .bind(link_code_hash)
        .bind(now)
        .fetch_optional(pool)
        .await?
    }))
}

/// Checks a code against its device under the device's row lock, so that racing checks of
/// one device are counted one after the other and only one consume succeeds. A wrong typed
/// code counts as a failed attempt, and the `max_attempts`-th deletes the device. With
/// `consume`, an accepted code deletes every device of the tenant for the same contact.
pub async fn check(
    db: &Db,
    tenant: &TenantId,
    attempt: &Attempt<'_>,
    max_attempts: i64,
    now: i64,
) -> Result<Checked, ApiError> {
    let Attempt {
        device_id_hash,
        link_code_hash,
        offered,
        consume,
    } = *attempt;
    let lock_device = format!(
        "SELECT CAST(failed_attempts AS BIGINT), email, phone_number FROM passwordless_devices \
         WHERE app_id = $1 AND tenant_id = $2 AND device_id_hash = $3{}",
        db.for_update()
    );
    let (app_id, tenant_id) = (&tenant.app_id, &tenant.tenant_id);
    let contact = match consume {
        true => contact_of(db, tenant, device_id_hash).await?,
        false => None,
    };
    // A consume deletes every device of its contact: it locks them all first, in one order,
    // so that consumes of two devices of one email wait for each other instead of deadlocking.
    let lock_contact = contact.as_ref().map(|contact| {
        format!(
            "SELECT device_id_hash FROM passwordless_devices WHERE app_id = $1 AND tenant_id = $2 AND {} = $3 \
             ORDER BY device_id_hash{}",
            contact.column(),
            db.for_update()
        )
    });
    Ok(with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        if let (Some(sql), Some(contact)) = (&lock_contact, &contact) {
            sqlx::query(sql)
                .bind(app_id)
                .bind(tenant_id)
                .bind(contact.value())
                .fetch_all(&mut *tx)
                .await?;
        }
        let device: Option<(i64, Option<String>, Option<String>)> = sqlx::query_as(&lock_device)
            .bind(app_id)
            .bind(tenant_id)
            .bind(device_id_hash)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((failed_attempts, email, phone_number)) = device else {
            return Ok(Checked::Restart);
        };
        let delete_device = sqlx::query(
            "DELETE FROM passwordless_devices WHERE app_id = $1 AND tenant_id = $2 AND device_id_hash = $3",
        )
        .bind(app_id)
        .bind(tenant_id)
        .bind(device_id_hash);
        // Only possible when the limit was lowered since the last wrong code.
        if failed_attempts >= max_attempts {
            delete_device.execute(&mut *tx).await?;
            tx.commit().await?;
            return Ok(Checked::Restart);
        }
        let expires_at: Option<i64> = sqlx::query_scalar(
            "SELECT expires_at FROM passwordless_codes WHERE app_id = $1 AND tenant_id = $2 \
             AND device_id_hash = $3 AND link_code_hash = $4",
        )
        .bind(app_id)
        .bind(tenant_id)
        .bind(device_id_hash)
        .bind(link_code_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let valid = expires_at.is_some_and(|expires_at| expires_at >= now);
        if !valid {
            if offered == Offered::LinkCode {
                return Ok(Checked::Restart);
            }
            let failed_attempts = failed_attempts + 1;
            if failed_attempts >= max_attempts {
                delete_device.execute(&mut *tx).await?;
                tx.commit().await?;
                return Ok(Checked::Restart);
            }
            sqlx::query(
                "UPDATE passwordless_devices SET failed_attempts = $4 \
                 WHERE app_id = $1 AND tenant_id = $2 AND device_id_hash = $3",
            )
            .bind(app_id)
            .bind(tenant_id)
            .bind(device_id_hash)
            .bind(failed_attempts)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(match expires_at {
                Some(_) => Checked::Expired { failed_attempts },
                None => Checked::Incorrect { failed_attempts },
            });
        }
        let contact = Contact::from_columns(email, phone_number);
        if consume {
            match &contact {
                Some(contact) => {
                    let delete_all = format!(
                        "DELETE FROM passwordless_devices WHERE app_id = $1 AND tenant_id = $2 AND {} = $3",
                        contact.column()
                    );
                    sqlx::query(&delete_all)
                        .bind(app_id)
                        .bind(tenant_id)
                        .bind(contact.value())
                        .execute(&mut *tx)
                        .await?;
                }
                None => {
                    delete_device.execute(&mut *tx).await?;
                }
            }
        }
        tx.commit().await?;
        Checked::Accepted(Device {
            pre_auth_session_id: device_id_hash.to_string(),
            failed_attempts,
            contact,
        })
    }))
}

/// The email or phone number a device is for (which never changes).
async fn contact_of(
    db: &Db,
    tenant: &TenantId,
    device_id_hash: &str,
) -> Result<Option<Contact>, ApiError> {
    let row: Option<(Option<String>, Option<String>)> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT email, phone_number FROM passwordless_devices WHERE app_id = $1 AND tenant_id = $2 \
             AND device_id_hash = $3",
        )
        .bind(&tenant.app_id)
        .bind(&tenant.tenant_id)
        .bind(device_id_hash)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.and_then(|(email, phone_number)| Contact::from_columns(email, phone_number)))
}

/// Removes one code; a device left without codes goes with it.
pub async fn remove_code(db: &Db, tenant: &TenantId, code_id: &str) -> Result<(), ApiError> {
    let lock_device = format!(
        "SELECT d.device_id_hash FROM passwordless_devices d JOIN passwordless_codes c \
           ON c.app_id = d.app_id AND c.tenant_id = d.tenant_id AND c.device_id_hash = d.device_id_hash \
         WHERE c.app_id = $1 AND c.tenant_id = $2 AND c.code_id = $3{}",
        db.for_update_of("d")
    );
    let (app_id, tenant_id) = (&tenant.app_id, &tenant.tenant_id);
    with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let device: Option<String> = sqlx::query_scalar(&lock_device)
            .bind(app_id)
            .bind(tenant_id)
            .bind(code_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(device_id_hash) = device else {
            return Ok(());
        };
        sqlx::query("DELETE FROM passwordless_codes WHERE app_id = $1 AND tenant_id = $2 AND code_id = $3")
            .bind(app_id)
            .bind(tenant_id)
            .bind(code_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM passwordless_devices WHERE app_id = $1 AND tenant_id = $2 AND device_id_hash = $3 \
             AND NOT EXISTS (SELECT 1 FROM passwordless_codes c WHERE c.app_id = $1 AND c.tenant_id = $2 \
               AND c.device_id_hash = $3)",
        )
        .bind(app_id)
        .bind(tenant_id)
        .bind(&device_id_hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    });
    Ok(())
}

/// Removes a device with its codes.
pub async fn remove_device(
    db: &Db,
    tenant: &TenantId,
    device_id_hash: &str,
) -> Result<(), ApiError> {
    with_pool!(db, pool => {
        sqlx::query("DELETE FROM passwordless_devices WHERE app_id = $1 AND tenant_id = $2 AND device_id_hash = $3")
            .bind(&tenant.app_id)
            .bind(&tenant.tenant_id)
            .bind(device_id_hash)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Removes every device of the tenant for `contact`.
pub async fn remove_devices(db: &Db, tenant: &TenantId, contact: &Contact) -> Result<(), ApiError> {
    let sql = format!(
        "DELETE FROM passwordless_devices WHERE app_id = $1 AND tenant_id = $2 AND {} = $3",
        contact.column()
    );
    with_pool!(db, pool => {
        sqlx::query(&sql)
            .bind(&tenant.app_id)
            .bind(&tenant.tenant_id)
            .bind(contact.value())
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Which devices GET /recipe/signinup/codes lists.
pub enum DeviceFilter {
    Contact(Contact),
    PreAuthSessionId(String),
}

/// The tenant's devices that `filter` selects, with their codes.
pub async fn devices(
    db: &Db,
    tenant: &TenantId,
    filter: &DeviceFilter,
) -> Result<Vec<ListedDevice>, ApiError> {
    let (column, value) = match filter {
        DeviceFilter::Contact(contact) => (contact.column(), contact.value()),
        DeviceFilter::PreAuthSessionId(id) => ("device_id_hash", id.as_str()),
    };
    let sql = format!(
        "SELECT d.device_id_hash, CAST(d.failed_attempts AS BIGINT), d.email, d.phone_number, \
                c.code_id, c.created_at, c.expires_at \
         FROM passwordless_devices d JOIN passwordless_codes c \
           ON c.app_id = d.app_id AND c.tenant_id = d.tenant_id AND c.device_id_hash = d.device_id_hash \
         WHERE d.app_id = $1 AND d.tenant_id = $2 AND d.{column} = $3 \
         ORDER BY d.device_id_hash, c.created_at, c.code_id"
    );
    type Row = (
        String,
        i64,
        Option<String>,
        Option<String>,
        String,
        i64,
        i64,
    );
    let rows: Vec<Row> = with_pool!(db, pool => {
        sqlx::query_as(&sql)
            .bind(&tenant.app_id)
            .bind(&tenant.tenant_id)
            .bind(value)
            .fetch_all(pool)
            .await?
    });
    let mut devices: Vec<ListedDevice> = Vec::new();
    for (hash, failed_attempts, email, phone_number, code_id, created_at, expires_at) in rows {
        if devices
            .last()
            .is_none_or(|listed| listed.device.pre_auth_session_id != hash)
        {
            devices.push(ListedDevice {
                device: Device {
                    pre_auth_session_id: hash,
                    failed_attempts,
                    contact: Contact::from_columns(email, phone_number),
                },
                codes: Vec::new(),
            });
        }
        if let Some(listed) = devices.last_mut() {
            listed.codes.push((code_id, created_at, expires_at));
        }
    }
    Ok(devices)
}

/// The passwordless login method of `contact` in the tenant.
pub async fn login_method_of(
    db: &Db,
    tenant: &TenantId,
    contact: &Contact,
) -> Result<Option<String>, ApiError> {
    let sql = format!(
        "SELECT user_id FROM user_tenants WHERE app_id = $1 AND tenant_id = $2 \
         AND recipe_id = 'passwordless' AND {} = $3",
        contact.column()
    );
    Ok(with_pool!(db, pool => {
        sqlx::query_scalar(&sql)
            .bind(&tenant.app_id)
            .bind(&tenant.tenant_id)
            .bind(contact.value())
            .fetch_optional(pool)
            .await?
    }))
}

//! Apps, tenants and which tenants a user belongs to, on either database.

use serde_json::{Map, Value};

use super::config::{TenantConfig, TenantUpdate};
use super::providers;
use crate::config::{check_core_config, merge_core_config, Placement, TenantSettings};
use crate::db::{is_unique_violation, now_millis, BeginWrite, Db};
use crate::error::ApiError;
use crate::http::TenantId;
use crate::recipes::core::primary_accounts::{self, AccountConflict};
use crate::recipes::core::user::email_domain;
use crate::{in_refusable_write_transaction, reserve_primary_accounts, with_pool};

type TenantRow = (
    String,
    Option<String>,
    Option<String>,
    bool,
    bool,
    bool,
    Option<String>,
);
/// A [`TenantRow`] after its app id.
type AppTenantRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    bool,
    bool,
    bool,
    Option<String>,
);

fn factors(column: Option<String>) -> Result<Option<Vec<String>>, ApiError> {
    column
        .map(|text| serde_json::from_str(&text))
        .transpose()
        .map_err(|error| {
            anyhow::anyhow!("a stored factor list is not a JSON array: {error}").into()
        })
}

/// A stored `coreConfig`; none is an empty one.
pub fn core_config(column: Option<String>) -> Result<Map<String, Value>, ApiError> {
    match column {
        None => Ok(Map::new()),
        Some(text) => serde_json::from_str(&text).map_err(|error| {
            anyhow::anyhow!("a stored core config is not a JSON object: {error}").into()
        }),
    }
}

fn core_config_column(config: &Map<String, Value>) -> Option<String> {
    (!config.is_empty()).then(|| Value::Object(config.clone()).to_string())
}

fn to_config(
    (tenant_id, first, secondary, email_password, third_party, passwordless, core): TenantRow,
) -> Result<TenantConfig, ApiError> {
    Ok(TenantConfig {
        tenant_id,
        recipes_enabled: [email_password, third_party, passwordless],
        first_factors: factors(first)?,
        required_secondary_factors: factors(secondary)?,
        providers: Vec::new(),
        core_config: core_config(core)?,
    })
}

const TENANT_COLUMNS: &str = "tenant_id, first_factors, required_secondary_factors, \
     email_password_enabled, third_party_enabled, passwordless_enabled, core_config";

pub async fn find(db: &Db, tenant: &TenantId) -> Result<Option<TenantConfig>, ApiError> {
    let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE app_id = $1 AND tenant_id = $2");
    let row: Option<TenantRow> = with_pool!(db, pool => {
        sqlx::query_as(&sql).bind(&tenant.app_id).bind(&tenant.tenant_id).fetch_optional(pool).await?
    });
    let Some(mut config) = row.map(to_config).transpose()? else {
        return Ok(None);
    };
    config.providers = providers::list(db, Some(&tenant.app_id), Some(&tenant.tenant_id))
        .await?
        .into_iter()
        .map(|(_, _, provider)| provider)
        .collect();
    Ok(Some(config))
}

/// Every tenant of one app, or of every app, oldest first within each app.
pub async fn list(db: &Db, app_id: Option<&str>) -> Result<Vec<(String, TenantConfig)>, ApiError> {
    let filter = if app_id.is_some() {
        "WHERE app_id = $1"
    } else {
        ""
    };
    let sql = format!(
        "SELECT app_id, {TENANT_COLUMNS} FROM tenants {filter} ORDER BY app_id, created_at_time, tenant_id"
    );
    let rows: Vec<AppTenantRow> = with_pool!(db, pool => {
        let mut query = sqlx::query_as(&sql);
        if let Some(app_id) = app_id {
            query = query.bind(app_id);
        }
        query.fetch_all(pool).await?
    });
    let mut tenants: Vec<(String, TenantConfig)> = rows
        .into_iter()
        .map(|(app, tenant, first, secondary, ep, tp, pl, core)| {
            Ok((
                app,
                to_config((tenant, first, secondary, ep, tp, pl, core))?,
            ))
        })
        .collect::<Result<_, ApiError>>()?;
    for (app, tenant, provider) in providers::list(db, app_id, None).await? {
        if let Some((_, config)) = tenants
            .iter_mut()
            .find(|(known_app, config)| *known_app == app && config.tenant_id == tenant)
        {
            config.providers.push(provider);
        }
    }
    Ok(tenants)
}

/// A change of a tenant's `coreConfig`, checked against the instance's settings.
pub struct CoreConfigChange<'a> {
    pub update: Map<String, Value>,
    pub instance: &'a TenantSettings,
}

/// Creates the tenant (and its app, for an app's public tenant) or updates it, in one
/// transaction that holds the row: two instances updating one tenant at once each apply
/// their change to the other's result. Answers whether it was created; writes nothing when
/// the new `coreConfig` is refused.
pub async fn save(
    db: &Db,
    tenant: &TenantId,
    base: TenantConfig,
    update: TenantUpdate,
    core_change: Option<CoreConfigChange<'_>>,
) -> Result<bool, ApiError> {
    let json =
        |factors: &Option<Vec<String>>| factors.as_ref().map(|f| serde_json::json!(f).to_string());
    let select = format!(
        "SELECT {TENANT_COLUMNS} FROM tenants WHERE app_id = $1 AND tenant_id = $2{}",
        db.for_update()
    );
    let now = now_millis();
    Ok(with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query("INSERT INTO apps (app_id, created_at_time) VALUES ($1, $2) ON CONFLICT (app_id) DO NOTHING")
            .bind(&tenant.app_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let created = sqlx::query(
            "INSERT INTO tenants (app_id, tenant_id, created_at_time, first_factors, required_secondary_factors, \
             email_password_enabled, third_party_enabled, passwordless_enabled) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (app_id, tenant_id) DO NOTHING",
        )
        .bind(&tenant.app_id)
        .bind(&tenant.tenant_id)
        .bind(now)
        .bind(json(&base.first_factors))
        .bind(json(&base.required_secondary_factors))
        .bind(base.recipes_enabled[0])
        .bind(base.recipes_enabled[1])
        .bind(base.recipes_enabled[2])
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let row: TenantRow = sqlx::query_as(&select)
            .bind(&tenant.app_id)
            .bind(&tenant.tenant_id)
            .fetch_one(&mut *tx)
            .await?;
        let mut config = to_config(row)?;
        config.apply(&update);
        if let Some(change) = &core_change {
            let merged = merge_core_config(&config.core_config, &change.update);
            // The app's config, for a tenant; the app's other tenants' configs, for an app.
            let public = tenant.is_public_tenant();
            let sql = match public {
                true => "SELECT core_config FROM tenants WHERE app_id = $1 AND tenant_id <> 'public'",
                false => "SELECT core_config FROM tenants WHERE app_id = $1 AND tenant_id = 'public'",
            };
            let related: Vec<Option<String>> = sqlx::query_scalar(sql)
                .bind(&tenant.app_id)
                .fetch_all(&mut *tx)
                .await?;
            let related = related.into_iter().map(core_config).collect::<Result<Vec<_>, _>>()?;
            let placement = Placement {
                app: (!public).then(|| related.first()).flatten(),
                other_tenants: if public { &related } else { &[] },
            };
            // An app of a connection-URI domain starts from the domain's settings.
            let domain_base = tenant.sibling_app(crate::http::PUBLIC_TENANT);
            let mut instance = change.instance.clone();
            if domain_base.app_id != tenant.app_id {
                let domain_config: Option<Option<String>> = sqlx::query_scalar(
                    "SELECT core_config FROM tenants WHERE app_id = $1 AND tenant_id = 'public'",
                )
                .bind(&domain_base.app_id)
                .fetch_optional(&mut *tx)
                .await?;
                instance = instance
                    .overlaid(&core_config(domain_config.flatten())?)
                    .map_err(|invalid| anyhow::anyhow!("a stored core config is invalid: {}", invalid.message))?;
            }
            check_core_config(&instance, &merged, &placement)
                .map_err(|error| ApiError::bad_request(format!("Invalid core config: {error}")))?;
            config.core_config = merged;
        }
        sqlx::query(
            "UPDATE tenants SET first_factors = $3, required_secondary_factors = $4, \
             email_password_enabled = $5, third_party_enabled = $6, passwordless_enabled = $7, \
             core_config = $8 WHERE app_id = $1 AND tenant_id = $2",
        )
        .bind(&tenant.app_id)
        .bind(&tenant.tenant_id)
        .bind(json(&config.first_factors))
        .bind(json(&config.required_secondary_factors))
        .bind(config.recipes_enabled[0])
        .bind(config.recipes_enabled[1])
        .bind(config.recipes_enabled[2])
        .bind(core_config_column(&config.core_config))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        created
    }))
}

/// The longest access token lifetime any app runs with, in milliseconds.
pub async fn longest_access_token_validity_ms(
    db: &Db,
    instance: &TenantSettings,
) -> Result<i64, ApiError> {
    let configs: Vec<String> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT core_config FROM tenants WHERE tenant_id = 'public' AND core_config IS NOT NULL")
            .fetch_all(pool)
            .await?
    });
    let mut longest = instance.access_token_validity_ms();
    for config in configs {
        let app = instance
            .overlaid(&core_config(Some(config))?)
            .map_err(|invalid| {
                anyhow::anyhow!("a stored core config is invalid: {}", invalid.message)
            })?;
        longest = longest.max(app.access_token_validity_ms());
    }
    Ok(longest)
}

/// Deletes a tenant and, through the foreign keys, its memberships, sessions, role
/// assignments and verification tokens; users stay in the app. Answers whether it existed.
pub async fn delete_tenant(db: &Db, tenant: &TenantId) -> Result<bool, ApiError> {
    Ok(with_pool!(db, pool => {
        sqlx::query("DELETE FROM tenants WHERE app_id = $1 AND tenant_id = $2")
            .bind(&tenant.app_id)
            .bind(&tenant.tenant_id)
            .execute(pool)
            .await?
            .rows_affected()
            == 1
    }))
}

pub enum AppRemoval {
    Removed(bool),
    HasTenants,
}

/// Deletes an app with all its data, unless tenants other than its public one are left
/// (or, `with_tenants`, with them).
pub async fn delete_app(db: &Db, app_id: &str, with_tenants: bool) -> Result<AppRemoval, ApiError> {
    Ok(with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let tenants: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants WHERE app_id = $1")
            .bind(app_id)
            .fetch_one(&mut *tx)
            .await?;
        if tenants > 1 && !with_tenants {
            return Ok(AppRemoval::HasTenants);
        }
        let removed = sqlx::query("DELETE FROM apps WHERE app_id = $1")
            .bind(app_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        tx.commit().await?;
        AppRemoval::Removed(removed)
    }))
}

pub enum Association {
    UnknownUser,
    EmailTaken,
    PhoneNumberTaken,
    ThirdPartyAccountTaken,
    /// The user is linked, and another primary user has one of its accounts in the tenant.
    NotAllowed(AccountConflict),
    Added {
        was_already_associated: bool,
    },
}

/// Adds a login method to a tenant. An email-password or passwordless login method needs its
/// email free in that tenant (among its recipe's), a passwordless one its phone number, a
/// third-party one its provider account.
pub async fn associate(db: &Db, tenant: &TenantId, user_id: &str) -> Result<Association, ApiError> {
    type Login = (
        String,
        String,
        bool,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let login: Option<Login> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT recipe_id, primary_user_id, is_primary, time_joined, email, phone_number, third_party_id, \
             third_party_user_id FROM users WHERE app_id = $1 AND user_id = $2 AND NOT deleted",
        )
        .bind(&tenant.app_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await?
    });
    let Some((
        recipe_id,
        primary_user_id,
        is_primary,
        time_joined,
        email,
        phone_number,
        third_party_id,
        third_party_user_id,
    )) = login
    else {
        return Ok(Association::UnknownUser);
    };
    let domain = email.as_deref().and_then(email_domain);
    let app_id = &tenant.app_id;
    let inserted: sqlx::Result<Result<u64, AccountConflict>> = in_refusable_write_transaction!(db, tx => async {
        let rows = sqlx::query(
            "INSERT INTO user_tenants \
             (app_id, tenant_id, user_id, recipe_id, primary_user_id, primary_time_joined, email, email_domain, \
             phone_number, third_party_id, third_party_user_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (app_id, tenant_id, user_id) DO NOTHING",
        )
        .bind(&tenant.app_id)
        .bind(&tenant.tenant_id)
        .bind(user_id)
        .bind(&recipe_id)
        .bind(&primary_user_id)
        .bind(time_joined)
        .bind(&email)
        .bind(domain)
        .bind(&phone_number)
        .bind(&third_party_id)
        .bind(&third_party_user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // A linked user joins with its group's time joined, and its group's accounts must
        // not be another primary user's in the tenant.
        if is_primary && rows > 0 {
            sqlx::query(primary_accounts::REFRESH_GROUP_TIME).bind(app_id).bind(&primary_user_id).execute(&mut *tx).await?;
            if let Some(conflict) = reserve_primary_accounts!(tx, app_id, &primary_user_id).await? {
                return Ok(Err(conflict));
            }
        }
        Ok::<_, sqlx::Error>(Ok(rows))
    });
    match inserted {
        Ok(Ok(rows)) => Ok(Association::Added {
            was_already_associated: rows == 0,
        }),
        Ok(Err(conflict)) => Ok(Association::NotAllowed(conflict)),
        Err(error) if is_unique_violation(&error) => {
            if third_party_id.is_some() {
                return Ok(Association::ThirdPartyAccountTaken);
            }
            // A passwordless login method may clash by email or by phone number; upstream
            // names the email first.
            let email_taken = match &email {
                Some(email) => with_pool!(db, pool => {
                    sqlx::query_scalar::<_, i32>(
                        "SELECT 1 FROM user_tenants WHERE app_id = $1 AND tenant_id = $2 AND recipe_id = $3 \
                         AND email = $4",
                    )
                    .bind(&tenant.app_id)
                    .bind(&tenant.tenant_id)
                    .bind(&recipe_id)
                    .bind(email)
                    .fetch_optional(pool)
                    .await?
                    .is_some()
                }),
                None => false,
            };
            Ok(match email_taken || phone_number.is_none() {
                true => Association::EmailTaken,
                false => Association::PhoneNumberTaken,
            })
        }
        // The user was deleted meanwhile.
        Err(sqlx::Error::Database(error))
            if error.kind() == sqlx::error::ErrorKind::ForeignKeyViolation =>
        {
            Ok(Association::UnknownUser)
        }
        Err(error) => Err(error.into()),
    }
}

/// Removes a login method from a tenant with its data there (sessions, verification tokens,
/// role assignments, kept under `data_id`, the id the application knows the user by):
/// `None` for an unknown user, else whether anything was removed.
pub async fn disassociate(
    db: &Db,
    tenant: &TenantId,
    user_id: &str,
    data_id: &str,
) -> Result<Option<bool>, ApiError> {
    Ok(with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let known: Option<(String, bool)> = sqlx::query_as("SELECT primary_user_id, is_primary FROM users WHERE app_id = $1 AND user_id = $2 AND NOT deleted")
            .bind(&tenant.app_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((primary_user_id, is_primary)) = known else {
            return Ok(None);
        };
        let mut removed = 0;
        for (statement, id) in [
            ("DELETE FROM user_tenants WHERE app_id = $1 AND tenant_id = $2 AND user_id = $3", user_id),
            ("DELETE FROM sessions WHERE app_id = $1 AND tenant_id = $2 AND user_id = $3", data_id),
            ("DELETE FROM emailverification_tokens WHERE app_id = $1 AND tenant_id = $2 AND user_id = $3", data_id),
            ("DELETE FROM user_roles WHERE app_id = $1 AND tenant_id = $2 AND user_id = $3", data_id),
        ] {
            removed += sqlx::query(statement)
                .bind(&tenant.app_id)
                .bind(&tenant.tenant_id)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        if is_primary {
            // The group may have left the tenant: its accounts there are free again.
            reserve_primary_accounts!(tx, &tenant.app_id, &primary_user_id).await?;
        }
        tx.commit().await?;
        Some(removed > 0)
    }))
}

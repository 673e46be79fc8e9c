//! Third-party provider configs of a tenant: read from a request into upstream's shape (the
//! one the SDKs read back), checked as upstream checks them, and stored per tenant.

use serde_json::{Map, Value};

use crate::db::limits::{check_stored_field, Unstorable};
use crate::db::{BeginWrite, Db};
use crate::error::ApiError;
use crate::http::TenantId;
use crate::with_pool;

/// The string fields of a provider, in the order upstream answers them after `clients`.
const ENDPOINT_FIELDS: [(&str, FieldKind); 10] = [
    ("authorizationEndpoint", FieldKind::Text),
    ("authorizationEndpointQueryParams", FieldKind::Params),
    ("tokenEndpoint", FieldKind::Text),
    ("tokenEndpointBodyParams", FieldKind::Params),
    ("userInfoEndpoint", FieldKind::Text),
    ("userInfoEndpointQueryParams", FieldKind::Params),
    ("userInfoEndpointHeaders", FieldKind::Params),
    ("jwksURI", FieldKind::Text),
    ("oidcDiscoveryEndpoint", FieldKind::Text),
    ("requireEmail", FieldKind::Flag),
];

#[derive(Clone, Copy)]
enum FieldKind {
    Text,
    Flag,
    /// An object whose null values are kept (query and body parameters, headers).
    Params,
}

fn invalid(field: &str) -> ApiError {
    ApiError::bad_request(format!("Field name '{field}' is invalid in JSON input"))
}

/// A string as the storage takes it (no NUL characters; the provider id fits its column).
fn text(field: &str, value: &str) -> Result<Value, ApiError> {
    match check_stored_field(field, value) {
        Ok(()) => Ok(Value::String(value.to_string())),
        Err(Unstorable::Nul) => Err(ApiError::bad_request(format!(
            "Field name '{field}' must not contain the NUL character"
        ))),
        Err(Unstorable::TooLong(max)) => Err(ApiError::bad_request(format!(
            "Field name '{field}' must be at most {max} characters"
        ))),
    }
}

/// Copies `field` of `from` into `to` when it is set, checking its type; null and absent
/// are both left out.
fn copy(
    from: &Map<String, Value>,
    to: &mut Map<String, Value>,
    field: &str,
    kind: FieldKind,
) -> Result<(), ApiError> {
    let value = match (from.get(field), kind) {
        (None | Some(Value::Null), _) => return Ok(()),
        (Some(Value::String(value)), FieldKind::Text) => text(field, value)?,
        (Some(Value::Bool(flag)), FieldKind::Flag) => Value::Bool(*flag),
        (Some(Value::Object(params)), FieldKind::Params) => {
            for (key, value) in params {
                text(field, key)?;
                match value {
                    Value::Null => {}
                    Value::String(value) => drop(text(field, value)?),
                    _ => return Err(invalid(field)),
                }
            }
            Value::Object(params.clone())
        }
        _ => return Err(invalid(field)),
    };
    to.insert(field.to_string(), value);
    Ok(())
}

fn client(from: &Value) -> Result<Value, ApiError> {
    let Value::Object(from) = from else {
        return Err(invalid("clients"));
    };
    let mut client = Map::new();
    for field in ["clientType", "clientId", "clientSecret"] {
        copy(from, &mut client, field, FieldKind::Text)?;
    }
    match from.get("scope") {
        None | Some(Value::Null) => {}
        Some(Value::Array(scopes)) => {
            let scopes = scopes
                .iter()
                .map(|scope| match scope {
                    // A null scope is kept here and refused by the check.
                    Value::Null => Ok(Value::Null),
                    Value::String(scope) => text("scope", scope),
                    _ => Err(invalid("scope")),
                })
                .collect::<Result<_, _>>()?;
            client.insert("scope".into(), Value::Array(scopes));
        }
        Some(_) => return Err(invalid("scope")),
    }
    copy(from, &mut client, "forcePKCE", FieldKind::Flag)?;
    match from.get("additionalConfig") {
        None | Some(Value::Null) => {}
        Some(Value::Object(config)) => {
            // Null entries are dropped, as upstream answers them.
            let kept: Map<String, Value> = config
                .iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            client.insert("additionalConfig".into(), Value::Object(kept));
        }
        Some(_) => return Err(invalid("additionalConfig")),
    }
    Ok(Value::Object(client))
}

fn user_info_map(from: Option<&Value>) -> Result<Value, ApiError> {
    let empty = Map::new();
    let from = match from {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(map)) => map,
        Some(_) => return Err(invalid("userInfoMap")),
    };
    let mut map = Map::new();
    for source in ["fromIdTokenPayload", "fromUserInfoAPI"] {
        let fields = match from.get(source) {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(fields)) => fields,
            Some(_) => return Err(invalid(source)),
        };
        let mut mapped = Map::new();
        for field in ["userId", "email", "emailVerified"] {
            copy(fields, &mut mapped, field, FieldKind::Text)?;
        }
        map.insert(source.into(), Value::Object(mapped));
    }
    Ok(Value::Object(map))
}

/// A provider config from a request, in upstream's answer shape: fields in its order, unset
/// ones left out, `clients` and `userInfoMap` always present. The id is trimmed.
pub fn parse(config: &Map<String, Value>) -> Result<Value, ApiError> {
    let Some(Value::String(id)) = config.get("thirdPartyId") else {
        return Err(invalid("thirdPartyId"));
    };
    let mut provider = Map::new();
    provider.insert("thirdPartyId".into(), text("thirdPartyId", id.trim())?);
    copy(config, &mut provider, "name", FieldKind::Text)?;
    let clients = match config.get("clients") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(clients)) => clients.iter().map(client).collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("clients")),
    };
    provider.insert("clients".into(), Value::Array(clients));
    for (field, kind) in ENDPOINT_FIELDS {
        copy(config, &mut provider, field, kind)?;
    }
    provider.insert(
        "userInfoMap".into(),
        user_info_map(config.get("userInfoMap"))?,
    );
    Ok(Value::Object(provider))
}

fn id(provider: &Value) -> &str {
    provider["thirdPartyId"].as_str().unwrap_or_default()
}

/// Upstream's checks of a tenant's providers, in its order; the messages are its own.
pub fn check(providers: &[Value]) -> Result<(), ApiError> {
    let refuse = |message: &str| {
        Err(ApiError::bad_request(format!(
            "Invalid third party config: {message}"
        )))
    };
    for (index, provider) in providers.iter().enumerate() {
        let provider_id = id(provider);
        if providers[..index]
            .iter()
            .any(|other| id(other) == provider_id)
        {
            return refuse("Duplicate ThirdPartyId was specified in the providers list.");
        }
        if provider_id.is_empty() {
            return refuse("thirdPartyId cannot be null or empty");
        }
        let clients = provider["clients"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (index, client) in clients.iter().enumerate() {
            // A missing client type is a value of its own, stored as "".
            let client_type = |client: &Value| {
                client["clientType"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            };
            if clients[..index]
                .iter()
                .any(|other| client_type(other) == client_type(client))
            {
                return refuse("Duplicate clientType was specified in the clients list.");
            }
            if client.get("clientId").is_none() {
                return refuse("clientId cannot be null");
            }
            if client["scope"]
                .as_array()
                .is_some_and(|scopes| scopes.iter().any(Value::is_null))
            {
                return refuse("scope array cannot contain a null");
            }
            let extra = &client["additionalConfig"];
            let non_empty = |key: &str| extra[key].as_str().is_some_and(|value| !value.is_empty());
            let present = |key: &str| extra.get(key).is_some();
            if provider_id.starts_with("apple")
                && !["keyId", "teamId", "privateKey"]
                    .iter()
                    .all(|key| non_empty(key))
            {
                return refuse("a non empty string value must be specified for keyId, teamId and privateKey in the additionalConfig for Apple provider");
            }
            if provider_id.starts_with("google-workspaces") && present("hd") && !non_empty("hd") {
                return refuse("hd in additionalConfig must be a non empty string value");
            }
            if provider_id.starts_with("boxy-saml") && present("boxyURL") && !non_empty("boxyURL") {
                return refuse("a non empty string value must be specified for boxyURL in the additionalConfig for Boxy SAML provider");
            }
        }
    }
    Ok(())
}

/// Stored providers: of one app or every app, of one tenant or every tenant; by app, tenant
/// and provider id, as (app id, tenant id, provider).
pub async fn list(
    db: &Db,
    app_id: Option<&str>,
    tenant_id: Option<&str>,
) -> Result<Vec<(String, String, Value)>, ApiError> {
    let filter = match (app_id, tenant_id) {
        (Some(_), Some(_)) => "WHERE app_id = $1 AND tenant_id = $2",
        (Some(_), None) => "WHERE app_id = $1",
        _ => "",
    };
    let sql = format!(
        "SELECT app_id, tenant_id, config FROM thirdparty_providers {filter} \
         ORDER BY app_id, tenant_id, third_party_id"
    );
    let rows: Vec<(String, String, String)> = with_pool!(db, pool => {
        let mut query = sqlx::query_as(&sql);
        for value in app_id.into_iter().chain(tenant_id.filter(|_| app_id.is_some())) {
            query = query.bind(value);
        }
        query.fetch_all(pool).await?
    });
    rows.into_iter()
        .map(|(app, tenant, config)| {
            let provider = serde_json::from_str(&config).map_err(|error| {
                anyhow::anyhow!("a stored provider config is not JSON: {error}")
            })?;
            Ok((app, tenant, provider))
        })
        .collect()
}

/// What a change does to a tenant's providers.
pub enum Change {
    /// Adds the provider, or replaces the one with its id; checks every provider unless
    /// told to skip the check.
    Put { provider: Value, check: bool },
    /// Removes the provider with this id; the remaining ones are checked.
    Remove(String),
}

/// Applies `change` in one transaction that holds the tenant's row, so that two changes of
/// one tenant's providers never overwrite each other. Answers whether a provider with that
/// id was there before.
pub async fn change(db: &Db, tenant: &TenantId, change: Change) -> Result<bool, ApiError> {
    let lock = format!(
        "SELECT tenant_id FROM tenants WHERE app_id = $1 AND tenant_id = $2{}",
        db.for_update()
    );
    Ok(with_pool!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let _: Option<String> = sqlx::query_scalar(&lock)
            .bind(&tenant.app_id)
            .bind(&tenant.tenant_id)
            .fetch_optional(&mut *tx)
            .await?;
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT config FROM thirdparty_providers WHERE app_id = $1 AND tenant_id = $2 ORDER BY third_party_id",
        )
        .bind(&tenant.app_id)
        .bind(&tenant.tenant_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut providers: Vec<Value> = rows
            .iter()
            .map(|row| serde_json::from_str(row))
            .collect::<Result<_, _>>()
            .map_err(|error| anyhow::anyhow!("a stored provider config is not JSON: {error}"))?;
        let (target, check_all) = match &change {
            Change::Put { provider, check } => (id(provider).to_string(), *check),
            Change::Remove(target) => (target.clone(), true),
        };
        let existed = providers.iter().any(|provider| id(provider) == target);
        providers.retain(|provider| id(provider) != target);
        if let Change::Put { provider, .. } = &change {
            providers.push(provider.clone());
        }
        if check_all {
            check(&providers)?;
        }
        sqlx::query("DELETE FROM thirdparty_providers WHERE app_id = $1 AND tenant_id = $2 AND third_party_id = $3")
            .bind(&tenant.app_id)
            .bind(&tenant.tenant_id)
            .bind(&target)
            .execute(&mut *tx)
            .await?;
        if let Change::Put { provider, .. } = &change {
            sqlx::query(
                "INSERT INTO thirdparty_providers (app_id, tenant_id, third_party_id, config) VALUES ($1, $2, $3, $4)",
            )
            .bind(&tenant.app_id)
            .bind(&tenant.tenant_id)
            .bind(&target)
            .bind(provider.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        existed
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parsed(config: Value) -> Value {
        parse(config.as_object().unwrap()).unwrap()
    }

    #[test]
    fn providers_take_upstreams_shape() {
        let provider = parsed(json!({
            "userInfoMap": { "fromUserInfoAPI": { "userId": "id", "email": null } },
            "thirdPartyId": " google ",
            "requireEmail": false,
            "clients": [{ "clientId": "c", "scope": ["email"], "additionalConfig": { "a": null, "b": 1 }, "unknown": 1 }],
            "authorizationEndpointQueryParams": { "prompt": null },
            "name": null,
        }));
        assert_eq!(
            provider.to_string(),
            json!({
                "thirdPartyId": "google",
                "clients": [{ "clientId": "c", "scope": ["email"], "additionalConfig": { "b": 1 } }],
                "authorizationEndpointQueryParams": { "prompt": null },
                "requireEmail": false,
                "userInfoMap": { "fromIdTokenPayload": {}, "fromUserInfoAPI": { "userId": "id" } },
            })
            .to_string()
        );
    }

    #[test]
    fn checks_run_in_upstreams_order() {
        let message = |providers: Vec<Value>| match check(&providers) {
            Err(ApiError::BadRequest(message)) => message,
            other => panic!("{other:?}"),
        };
        let prefix = "Invalid third party config: ";
        assert_eq!(
            message(vec![parsed(
                json!({ "thirdPartyId": "x", "clients": [{}, { "clientId": "c" }] })
            )]),
            format!("{prefix}clientId cannot be null")
        );
        assert_eq!(
            message(vec![parsed(
                json!({ "thirdPartyId": "x", "clients": [{ "clientId": "a" }, { "clientId": "b" }] })
            )]),
            format!("{prefix}Duplicate clientType was specified in the clients list.")
        );
        assert_eq!(
            message(vec![parsed(json!({ "thirdPartyId": " " }))]),
            format!("{prefix}thirdPartyId cannot be null or empty")
        );
        assert_eq!(
            message(vec![parsed(json!({ "thirdPartyId": "apple", "clients": [{ "clientId": "a", "additionalConfig": { "keyId": "k" } }] }))]),
            format!("{prefix}a non empty string value must be specified for keyId, teamId and privateKey in the additionalConfig for Apple provider")
        );
        assert_eq!(
            message(vec![parsed(
                json!({ "thirdPartyId": "x", "clients": [{ "clientId": "a", "scope": [null] }] })
            )]),
            format!("{prefix}scope array cannot contain a null")
        );
        assert!(check(&[parsed(
            json!({ "thirdPartyId": "google-workspaces", "clients": [{ "clientId": "" }] })
        )])
        .is_ok());
    }

    #[test]
    fn type_errors_name_the_field() {
        for (config, field) in [
            (json!({ "thirdPartyId": 1 }), "thirdPartyId"),
            (json!({ "thirdPartyId": "x", "clients": "c" }), "clients"),
            (
                json!({ "thirdPartyId": "x", "clients": [{ "scope": "openid" }] }),
                "scope",
            ),
            (
                json!({ "thirdPartyId": "x", "requireEmail": "yes" }),
                "requireEmail",
            ),
            (
                json!({ "thirdPartyId": "x", "userInfoMap": { "fromUserInfoAPI": { "email": 1 } } }),
                "email",
            ),
        ] {
            match parse(config.as_object().unwrap()) {
                Err(ApiError::BadRequest(message)) => {
                    assert_eq!(
                        message,
                        format!("Field name '{field}' is invalid in JSON input")
                    )
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

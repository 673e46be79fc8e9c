//! The two tokens of a session: the access token (an RS256 JWT in upstream's version 4 or 5
//! format, which the SDKs verify themselves) and the refresh token (opaque to clients:
//! AES-256-GCM under a per-app key).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::app_keys::{AppKeys, Purpose};
use crate::db::Db;
use crate::http::AccessTokenVersion;
use crate::signing_keys::{SigningKey, SigningKeys};
use crate::token::token_hash;

/// Claims the core sets itself in a version 5 token; a user payload may not contain them.
/// Version 4 has all but `rsub`, version 3 neither `tId` nor `rsub`.
const PROTECTED_CLAIMS: [&str; 9] = [
    "sub",
    "exp",
    "iat",
    "sessionHandle",
    "refreshTokenHash1",
    "parentRefreshTokenHash1",
    "antiCsrfToken",
    "tId",
    "rsub",
];

/// The claims a token of `version` must carry and a payload for it may not.
fn protected_claims(version: AccessTokenVersion) -> &'static [&'static str] {
    match version {
        AccessTokenVersion::V3 => &PROTECTED_CLAIMS[..7],
        AccessTokenVersion::V4 => &PROTECTED_CLAIMS[..8],
        AccessTokenVersion::V5 => &PROTECTED_CLAIMS,
    }
}

pub const PROTECTED_FIELD_ERROR: &str = "The user payload contains protected field";

pub fn has_protected_claim(payload: &Map<String, Value>, version: AccessTokenVersion) -> bool {
    protected_claims(version)
        .iter()
        .any(|claim| payload.contains_key(*claim))
}

fn version_text(version: AccessTokenVersion) -> &'static str {
    match version {
        AccessTokenVersion::V3 => "3",
        AccessTokenVersion::V4 => "4",
        AccessTokenVersion::V5 => "5",
    }
}

/// What an access token says.
#[derive(Debug, Clone)]
pub struct AccessClaims {
    pub version: AccessTokenVersion,
    pub session_handle: String,
    pub user_id: String,
    pub recipe_user_id: String,
    pub tenant_id: String,
    /// Milliseconds, whole seconds (the token carries seconds).
    pub expiry: i64,
    pub created: i64,
    pub refresh_token_hash1: String,
    pub parent_refresh_token_hash1: Option<String>,
    pub anti_csrf_token: Option<String>,
    pub user_data: Map<String, Value>,
}

impl AccessClaims {
    /// Signs the claims with `key` into a JWT.
    pub fn sign(&self, key: &SigningKey) -> String {
        let header = json!({
            "alg": "RS256",
            "typ": "JWT",
            "version": version_text(self.version),
            "kid": key.key_id,
        });
        let mut payload = self.user_data.clone();
        let claims = [
            ("sub", json!(self.user_id)),
            ("exp", json!(self.expiry / 1000)),
            ("iat", json!(self.created / 1000)),
            ("sessionHandle", json!(self.session_handle)),
            ("refreshTokenHash1", json!(self.refresh_token_hash1)),
            (
                "parentRefreshTokenHash1",
                json!(self.parent_refresh_token_hash1),
            ),
            ("antiCsrfToken", json!(self.anti_csrf_token)),
            ("tId", json!(self.tenant_id)),
            ("rsub", json!(self.recipe_user_id)),
        ];
        // The claims are listed in protected_claims' order.
        for (claim, value) in claims
            .into_iter()
            .take(protected_claims(self.version).len())
        {
            payload.insert(claim.to_string(), value);
        }
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(Value::Object(payload).to_string())
        );
        let signature = key.sign(signed.as_bytes());
        format!("{signed}.{signature}")
    }

    /// The token object of API answers: times in milliseconds, rounded down to seconds.
    pub fn token_json(&self, token: &str) -> Value {
        json!({ "token": token, "expiry": self.expiry, "createdTime": self.created })
    }
}

/// Why an access token was refused; the text is upstream's, which the SDKs pass on.
#[derive(Debug, PartialEq, Eq)]
pub struct TokenError(pub String);

fn jwt_error(detail: &str) -> TokenError {
    TokenError(format!(
        "io.supertokens.session.jwt.JWT$JWTException: {detail}"
    ))
}

/// A JWT split into its parts, header checked, signature not yet verified.
pub struct UnverifiedToken<'a> {
    pub key_id: String,
    version: AccessTokenVersion,
    signed: &'a str,
    signature: &'a str,
    payload: Map<String, Value>,
}

impl<'a> UnverifiedToken<'a> {
    pub fn parse(token: &'a str) -> Result<Self, TokenError> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = parts.as_slice() else {
            return Err(jwt_error("Invalid JWT"));
        };
        let decode = |part: &str| -> Option<Map<String, Value>> {
            let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
            match serde_json::from_slice(&bytes).ok()? {
                Value::Object(map) => Some(map),
                _ => None,
            }
        };
        let header_json = decode(header).ok_or_else(|| jwt_error("Invalid JWT"))?;
        for (field, expected) in [("typ", "JWT"), ("alg", "RS256")] {
            match header_json.get(field) {
                None => return Err(jwt_error(&format!("JWT header missing - {field}"))),
                Some(value) if value != expected => {
                    return Err(jwt_error(&format!("JWT header mismatch - {field}")))
                }
                Some(_) => {}
            }
        }
        // A JWT without a version (one of `/recipe/jwt`'s) is read as the latest version.
        let version = match header_json.get("version") {
            None => AccessTokenVersion::V5,
            Some(given) => [
                AccessTokenVersion::V3,
                AccessTokenVersion::V4,
                AccessTokenVersion::V5,
            ]
            .into_iter()
            .find(|version| *given == json!(version_text(*version)))
            .ok_or_else(|| jwt_error("JWT header mismatch - version"))?,
        };
        let key_id = match header_json.get("kid") {
            Some(Value::String(kid)) => kid.clone(),
            _ => return Err(jwt_error("JWT header missing - kid")),
        };
        let payload_json = decode(payload).ok_or_else(|| jwt_error("Invalid JWT"))?;
        Ok(Self {
            key_id,
            version,
            signed: &token[..header.len() + 1 + payload.len()],
            signature,
            payload: payload_json,
        })
    }

    pub fn verify_signature(&self, keys: &SigningKeys, key: &SigningKey) -> Result<(), TokenError> {
        if keys.check_signature(key, self.signed, self.signature) {
            Ok(())
        } else {
            Err(jwt_error("JWT verification failed"))
        }
    }

    /// The claims, once every protected claim is present with the right type.
    pub fn claims(self) -> Result<AccessClaims, TokenError> {
        let mut payload = self.payload;
        for claim in protected_claims(self.version) {
            if !payload.contains_key(*claim) {
                return Err(TokenError(format!(
                    "Access token does not contain all the information. Maybe the structure has changed? {claim}"
                )));
            }
        }
        let mut take = |claim: &str| payload.remove(claim).unwrap_or(Value::Null);
        let malformed = |claim: &str| {
            TokenError(format!(
                "Access token does not contain all the information. Maybe the structure has changed? {claim}"
            ))
        };
        let string = |value: Value, claim: &str| match value {
            Value::String(text) => Ok(text),
            _ => Err(malformed(claim)),
        };
        let optional = |value: Value, claim: &str| match value {
            Value::Null => Ok(None),
            Value::String(text) => Ok(Some(text)),
            _ => Err(malformed(claim)),
        };
        let seconds = |value: Value, claim: &str| {
            value
                .as_i64()
                .map(|s| s * 1000)
                .ok_or_else(|| malformed(claim))
        };
        let user_id = string(take("sub"), "sub")?;
        let expiry = seconds(take("exp"), "exp")?;
        let created = seconds(take("iat"), "iat")?;
        let session_handle = string(take("sessionHandle"), "sessionHandle")?;
        let refresh_token_hash1 = string(take("refreshTokenHash1"), "refreshTokenHash1")?;
        let parent_refresh_token_hash1 =
            optional(take("parentRefreshTokenHash1"), "parentRefreshTokenHash1")?;
        let anti_csrf_token = optional(take("antiCsrfToken"), "antiCsrfToken")?;
        // Version 3 tokens predate tenants; before version 5 a user had one login method.
        let tenant_id = match self.version {
            AccessTokenVersion::V3 => "public".to_string(),
            _ => string(take("tId"), "tId")?,
        };
        let recipe_user_id = match self.version {
            AccessTokenVersion::V5 => string(take("rsub"), "rsub")?,
            _ => user_id.clone(),
        };
        Ok(AccessClaims {
            version: self.version,
            session_handle,
            user_id,
            recipe_user_id,
            tenant_id,
            expiry,
            created,
            refresh_token_hash1,
            parent_refresh_token_hash1,
            anti_csrf_token,
            user_data: payload,
        })
    }
}

/// What a refresh token carries, encrypted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshClaims {
    #[serde(rename = "sessionHandle")]
    pub session_handle: String,
    #[serde(rename = "tenantId")]
    pub tenant_id: String,
    #[serde(
        rename = "parentRefreshTokenHash1",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub parent_refresh_token_hash1: Option<String>,
    #[serde(
        rename = "antiCsrfToken",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub anti_csrf_token: Option<String>,
    /// Makes every token unique, even two children of one parent made in one millisecond.
    pub nonce: String,
}

/// SHA-256 of SHA-256 of a refresh token: all that is stored of it.
pub fn refresh_token_hash2(token: &str) -> String {
    token_hash(&token_hash(token))
}

/// A refresh token: its claims sealed with the app's refresh-token key.
pub async fn seal_refresh_token(
    keys: &AppKeys,
    db: &Db,
    app_id: &str,
    claims: &RefreshClaims,
) -> anyhow::Result<String> {
    let plaintext = serde_json::to_vec(claims)?;
    keys.seal(db, app_id, Purpose::RefreshTokens, &plaintext)
        .await
}

/// The claims of a refresh token this app issued; `None` for anything else.
pub async fn open_refresh_token(
    keys: &AppKeys,
    db: &Db,
    app_id: &str,
    token: &str,
) -> anyhow::Result<Option<RefreshClaims>> {
    Ok(keys
        .open(db, app_id, Purpose::RefreshTokens, token)
        .await?
        .and_then(|plaintext| serde_json::from_slice(&plaintext).ok()))
}

/// A fresh random nonce or anti-CSRF token.
pub fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

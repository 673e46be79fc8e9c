//! Licence keys, verified offline: a licence is its content (the features it grants and its
//! expiry) signed by the vendor's key, whose public half is compiled in. Nothing is ever
//! sent anywhere.
//!
//! Format: `gh1.<base64url JSON content>.<base64url RS256 signature of "gh1.<content>">`,
//! the content being `{"features": [...], "expiresAt": <ms since epoch>, "licensee": "..."}`.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use serde::Deserialize;
use sha2::Sha256;

use crate::db::{now_millis, Db};
use crate::with_pool;

/// The vendor's public key (base64 SPKI DER). Its private half never enters this repository.
const VENDOR_KEY: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvKNb6Vz2iyEXwAM0WjilIOf8y9yAlk0a9NkAZsaEuXDeeKMwUYbeArGWNlP5wOAJjuqCSFeJpnGSX/q1FF7KteaATpBh6Hbr1kKEdc1PSuT15S+K5DeTWZvvMxsxe1nbpasvfqZAPM4KzyD8gv1BD9mUsuDrPRdRLD4qS0jcXxXSA08DettyFohR/U7K0M48mdT6kGGw37UMHE4P2sOqygql8kFonUnB9jxEE9DyBz06gE9pHpMt+2RgsuFmrwzP7Qix0lVY77R2XaeogyiqA04ZPhUXLNfxg01zQtPL40hdKRLLY6EuVdLk6ZBv7yBLiCMhuHpnlCuc8D2Z+lWBEwIDAQAB";

/// The test suite's throwaway key, trusted only when built with the `test-licence-key`
/// feature, which only the tests turn on.
#[cfg(feature = "test-licence-key")]
const TEST_KEY: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmlyyEXWp92YK/sgMaGfqnlXfjrsyeX3ijpXocUpqJraLdXlQWTkZupVuN6V12p0iZSKTJnuQYkaYSJJiRPpLn2ES9Sr1gMrl1BpkPPc/IYpdnHA5trAv9DnUad9r2100aGwI7tMPq79zgmzh/Q/O1B6ZQhr0VZHU5Cv/Kl8PXcPhgHkk5FTecRFbzTCGsj7vyjKogBhnaiVPKRC0v4uybL/7an7AJL1SdYLrZB0xhw6iN4RLG7pxRBjIRfMs+d8RZ0haDgA+3FHMJ7UwT9+pPmSZ3CGdUZ5tOZovZy6jSf5Jm1vNHceWxS/jKc+fuKzXSL7Dbz6JqqBiQSUw+sYN1wIDAQAB";

const PREFIX: &str = "gh1";

/// What a valid licence grants.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Licence {
    pub features: Vec<String>,
    #[serde(rename = "expiresAt")]
    pub expires_at: i64,
    #[serde(default)]
    pub licensee: String,
}

fn trusted_keys() -> Vec<VerifyingKey<Sha256>> {
    #[cfg(not(feature = "test-licence-key"))]
    let keys = [VENDOR_KEY];
    #[cfg(feature = "test-licence-key")]
    let keys = [VENDOR_KEY, TEST_KEY];
    keys.iter()
        .filter_map(|key| STANDARD.decode(key).ok())
        .filter_map(|der| RsaPublicKey::from_public_key_der(&der).ok())
        .map(VerifyingKey::new)
        .collect()
}

/// The licence in `key`, if a trusted key signed it and it has not expired at `now`.
pub fn verify(key: &str, now: i64) -> Option<Licence> {
    let (signed, signature) = key.trim().rsplit_once('.')?;
    let content = signed.strip_prefix(PREFIX)?.strip_prefix('.')?;
    let signature = Signature::try_from(URL_SAFE_NO_PAD.decode(signature).ok()?.as_slice()).ok()?;
    if !trusted_keys()
        .iter()
        .any(|trusted| trusted.verify(signed.as_bytes(), &signature).is_ok())
    {
        return None;
    }
    let licence: Licence = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(content).ok()?).ok()?;
    (licence.expires_at > now).then_some(licence)
}

/// The paid features upstream knows (`EE_FEATURES`).
pub const FEATURES: [&str; 8] = [
    "account_linking",
    "multi_tenancy",
    "test",
    "dashboard_login",
    "mfa",
    "security",
    "oauth",
    "saml",
];

pub const DASHBOARD_LOGIN: &str = "dashboard_login";

const SECRET_NAME: &str = "license_key";

/// The licence key stored for an app, valid or not.
pub async fn stored_key(db: &Db, app_id: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(with_pool!(db, pool => {
        sqlx::query_scalar("SELECT value FROM app_secrets WHERE app_id = $1 AND name = $2")
            .bind(app_id)
            .bind(SECRET_NAME)
            .fetch_optional(pool)
            .await?
    }))
}

pub async fn store_key(db: &Db, app_id: &str, key: &str) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO app_secrets (app_id, name, value) VALUES ($1, $2, $3) \
             ON CONFLICT (app_id, name) DO UPDATE SET value = excluded.value",
        )
        .bind(app_id)
        .bind(SECRET_NAME)
        .bind(key)
        .execute(pool)
        .await?;
    });
    Ok(())
}

pub async fn delete_key(db: &Db, app_id: &str) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("DELETE FROM app_secrets WHERE app_id = $1 AND name = $2")
            .bind(app_id)
            .bind(SECRET_NAME)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// The features on for an app: all of them in development mode (a throwaway in-memory
/// database, as upstream), otherwise what the stored licence grants while it is valid. Read
/// from the database each time, so a licence change reaches every instance at once.
pub async fn enabled_features(
    db: &Db,
    development: bool,
    app_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    if development {
        return Ok(FEATURES.iter().map(|feature| feature.to_string()).collect());
    }
    let licence = stored_key(db, app_id)
        .await?
        .and_then(|key| verify(&key, now_millis()));
    Ok(licence.map(|licence| licence.features).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use rsa::traits::PublicKeyParts;

    use super::*;

    // `trusted_keys` skips a key that does not parse, so a typo would silently reject
    // every real licence; this catches it at test time instead.
    #[test]
    fn the_vendor_key_is_an_rsa_2048_public_key() {
        let der = STANDARD.decode(VENDOR_KEY).expect("base64");
        let key = RsaPublicKey::from_public_key_der(&der).expect("an RSA SPKI public key");
        assert_eq!(key.size() * 8, 2048);
    }
}

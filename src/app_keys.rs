//! Per-app AES-256-GCM keys, one per purpose, for what gatehouse must be able to read back but
//! a leaked row alone must not give away (refresh tokens, TOTP secrets). Each key is created
//! once in `app_secrets` (the first writer wins) and cached; keys never change.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;

use crate::db::Db;
use crate::with_pool;

const GCM_NONCE_BYTES: usize = 12;

/// What a key encrypts; each purpose has its own key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    RefreshTokens,
    TotpSecrets,
}

impl Purpose {
    /// Its row's name in `app_secrets`.
    fn name(self) -> &'static str {
        match self {
            Purpose::RefreshTokens => "refresh_token_key",
            Purpose::TotpSecrets => "totp_secret_key",
        }
    }
}

#[derive(Default)]
pub struct AppKeys {
    cache: RwLock<HashMap<(String, Purpose), Arc<Aes256Gcm>>>,
}

impl AppKeys {
    /// Drops an app's keys from the cache, when the app is removed.
    pub fn forget(&self, app_id: &str) {
        self.cache
            .write()
            .expect("app key cache lock")
            .retain(|(app, _), _| app != app_id);
    }

    async fn cipher(
        &self,
        db: &Db,
        app_id: &str,
        purpose: Purpose,
    ) -> anyhow::Result<Arc<Aes256Gcm>> {
        let cache_key = (app_id.to_string(), purpose);
        if let Some(cipher) = self
            .cache
            .read()
            .expect("app key cache lock")
            .get(&cache_key)
        {
            return Ok(cipher.clone());
        }
        let mut fresh = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut fresh);
        let stored: String = with_pool!(db, pool => {
            sqlx::query("INSERT INTO app_secrets (app_id, name, value) VALUES ($1, $2, $3) ON CONFLICT (app_id, name) DO NOTHING")
                .bind(app_id)
                .bind(purpose.name())
                .bind(hex::encode(fresh))
                .execute(pool)
                .await?;
            sqlx::query_scalar("SELECT value FROM app_secrets WHERE app_id = $1 AND name = $2")
                .bind(app_id)
                .bind(purpose.name())
                .fetch_one(pool)
                .await?
        });
        let key = hex::decode(stored)?;
        let cipher =
            Arc::new(Aes256Gcm::new_from_slice(&key).map_err(|_| anyhow::anyhow!("bad app key"))?);
        self.cache
            .write()
            .expect("app key cache lock")
            .insert(cache_key, cipher.clone());
        Ok(cipher)
    }

    /// `plaintext` encrypted with the app's key for `purpose`, as URL-safe base64.
    pub async fn seal(
        &self,
        db: &Db,
        app_id: &str,
        purpose: Purpose,
        plaintext: &[u8],
    ) -> anyhow::Result<String> {
        let cipher = self.cipher(db, app_id, purpose).await?;
        let mut nonce = [0u8; GCM_NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        Ok(URL_SAFE_NO_PAD.encode([nonce.as_slice(), &sealed].concat()))
    }

    /// What [`AppKeys::seal`] sealed with this app's key for `purpose`; `None` for anything else.
    pub async fn open(
        &self,
        db: &Db,
        app_id: &str,
        purpose: Purpose,
        sealed: &str,
    ) -> anyhow::Result<Option<Vec<u8>>> {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(sealed) else {
            return Ok(None);
        };
        if bytes.len() <= GCM_NONCE_BYTES {
            return Ok(None);
        }
        let (nonce, sealed) = bytes.split_at(GCM_NONCE_BYTES);
        let cipher = self.cipher(db, app_id, purpose).await?;
        Ok(cipher.decrypt(Nonce::from_slice(nonce), sealed).ok())
    }
}

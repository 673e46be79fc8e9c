//! RSA keys that sign access tokens and JWTs, kept in the database and shared by every
//! gatehouse process on it.
//!
//! A dynamic key signs during one period of `access_token_dynamic_signing_key_update_interval`;
//! periods are aligned to the epoch, so every process agrees on which period it is. The key
//! of a period is one row, unique on (app, period): processes that race to create it insert
//! at most one, and the others read that one. The next period's key is created a minute
//! early so that it is in the JWKS before anything is signed with it. A key stays published
//! until every token it signed has expired. The static key (one per app) never changes.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use prometheus_client::metrics::counter::Counter;
use ring::rand::SystemRandom;
use ring::signature::{
    RsaKeyPair, RsaPublicKeyComponents, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256,
    RSA_PKCS1_SHA256,
};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::config::Settings;
use crate::db::{now_millis, Db};
use crate::with_pool;

/// How long before its period a key is published.
const PUBLISH_AHEAD_MS: i64 = 60_000;
/// Upstream's key size.
const RSA_BITS: usize = 2048;
/// One signing key, parsed once. Signing and verifying use `ring` (its assembly big-number
/// code verifies about ten times faster than the pure-Rust `rsa` crate, which only creates
/// keys here, as ring cannot).
pub struct SigningKey {
    pub key_id: String,
    dynamic: bool,
    valid_from: i64,
    key_pair: RsaKeyPair,
    /// PKCS#1 DER of the public half.
    verifier: UnparsedPublicKey<Vec<u8>>,
    /// SHA-256 of the public half: key ids are unique only within an app.
    fingerprint: [u8; 32],
    jwk: Value,
}

impl SigningKey {
    /// The RS256 signature of `message`, base64url without padding.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut signature = vec![0; self.key_pair.public().modulus_len()];
        self.key_pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .expect("RS256 signing into a modulus-sized buffer");
        URL_SAFE_NO_PAD.encode(signature)
    }

    /// Whether `signature` (base64url) is this key's RS256 signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &str) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(signature.trim_end_matches('=')) else {
            return false;
        };
        self.verifier.verify(message, &bytes).is_ok()
    }

    /// A key from its stored PKCS#8 private half (the public half is derived from it).
    fn parse(
        key_id: String,
        dynamic: bool,
        valid_from: i64,
        private: &str,
    ) -> anyhow::Result<Self> {
        let key_pair = RsaKeyPair::from_pkcs8(&STANDARD.decode(private)?)
            .map_err(|error| anyhow::anyhow!("stored private key of {key_id}: {error}"))?;
        let public = key_pair.public();
        let components = RsaPublicKeyComponents::<Vec<u8>>::from(public);
        let jwk = json!({
            "kty": "RSA",
            "kid": key_id,
            "n": URL_SAFE_NO_PAD.encode(&components.n),
            "e": URL_SAFE_NO_PAD.encode(&components.e),
            "alg": "RS256",
            "use": "sig",
        });
        let verifier =
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public.as_ref().to_vec());
        let fingerprint = Sha256::digest(public.as_ref()).into();
        Ok(Self {
            key_id,
            dynamic,
            valid_from,
            key_pair,
            verifier,
            fingerprint,
            jwk,
        })
    }
}

type Keys = Vec<Arc<SigningKey>>;

/// The keys of every app, cached in process; the database is the truth.
pub struct SigningKeys {
    period_ms: i64,
    /// Keys stay published this long after their period ends: twice the longest access
    /// token lifetime of any app, so every token a key signed expires before the key leaves
    /// the JWKS (see `set_longest_access_token_validity`).
    grace_ms: AtomicI64,
    /// Read on every token; written only when a key is created or found.
    cache: RwLock<HashMap<String, Keys>>,
    /// Numbers reloads in the order they start.
    reloads_started: AtomicU64,
    /// Serialises reloads, with the number of each app's latest reload.
    reloads: Mutex<HashMap<String, u64>>,
    verified: std::sync::Mutex<RecentlyVerified>,
    created: Counter,
}

/// Tokens whose signature was found valid lately, by SHA-256 of the key and the token.
/// Applications verify the same access token on every request it comes with; an RSA check
/// costs as much as the whole rest of the request, a hash look-up next to nothing. Two
/// generations bound the memory (about a megabyte): when the newer fills up, the older goes.
#[derive(Default)]
struct RecentlyVerified {
    newer: HashSet<[u8; 32]>,
    older: HashSet<[u8; 32]>,
}

const RECENTLY_VERIFIED_PER_GENERATION: usize = 8192;

impl RecentlyVerified {
    fn contains(&self, digest: &[u8; 32]) -> bool {
        self.newer.contains(digest) || self.older.contains(digest)
    }

    fn insert(&mut self, digest: [u8; 32]) {
        if self.newer.len() >= RECENTLY_VERIFIED_PER_GENERATION {
            self.older = std::mem::take(&mut self.newer);
        }
        self.newer.insert(digest);
    }
}

impl SigningKeys {
    /// `created` counts the keys this process creates.
    pub fn new(settings: &Settings, created: Counter) -> Self {
        Self {
            period_ms: (settings.access_token_dynamic_signing_key_update_interval * 3_600_000.0)
                as i64,
            grace_ms: AtomicI64::new(2 * settings.access_token_validity as i64 * 1000),
            cache: RwLock::new(HashMap::new()),
            reloads_started: AtomicU64::new(0),
            reloads: Mutex::new(HashMap::new()),
            verified: Default::default(),
            created,
        }
    }

    /// Apps may set longer access token lifetimes than the instance's: keys stay published
    /// for twice the longest.
    pub fn set_longest_access_token_validity(&self, validity_ms: i64) {
        self.grace_ms
            .store(validity_ms.saturating_mul(2), Ordering::Relaxed);
    }

    fn grace_ms(&self) -> i64 {
        self.grace_ms.load(Ordering::Relaxed)
    }

    /// Whether `signature` (base64url) is `key`'s RS256 signature of `signed`; a token
    /// already found valid is not checked again.
    pub fn check_signature(&self, key: &SigningKey, signed: &str, signature: &str) -> bool {
        let digest: [u8; 32] = Sha256::new()
            .chain_update(key.fingerprint)
            .chain_update(signed)
            .chain_update(".")
            .chain_update(signature)
            .finalize()
            .into();
        if self
            .verified
            .lock()
            .expect("verified tokens lock")
            .contains(&digest)
        {
            return true;
        }
        let valid = key.verify(signed.as_bytes(), signature);
        if valid {
            self.verified
                .lock()
                .expect("verified tokens lock")
                .insert(digest);
        }
        valid
    }

    /// Drops an app's keys from the cache, when the app is removed.
    pub fn forget(&self, app_id: &str) {
        self.cache.write().expect("key cache lock").remove(app_id);
    }

    fn period_start(&self, now: i64) -> i64 {
        now - now.rem_euclid(self.period_ms)
    }

    fn cached(&self, app_id: &str) -> Keys {
        self.cache
            .read()
            .expect("key cache lock")
            .get(app_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Reads the app's keys into the cache; the caller holds `reloads`, whose entry for the
    /// app then names this reload.
    async fn reload(
        &self,
        reloads: &mut HashMap<String, u64>,
        db: &Db,
        app_id: &str,
    ) -> anyhow::Result<Keys> {
        let number = self.reloads_started.fetch_add(1, Ordering::SeqCst) + 1;
        let keys = self.load(db, app_id, &self.cached(app_id)).await?;
        reloads.insert(app_id.to_string(), number);
        self.cache
            .write()
            .expect("key cache lock")
            .insert(app_id.to_string(), keys.clone());
        Ok(keys)
    }

    /// The key that signs now: the current period's dynamic key, or the app's static key.
    pub async fn signing_key(
        &self,
        db: &Db,
        app_id: &str,
        dynamic: bool,
    ) -> anyhow::Result<Arc<SigningKey>> {
        let now = now_millis();
        let wanted = if dynamic { self.period_start(now) } else { 0 };
        let next = (dynamic && now >= wanted + self.period_ms - PUBLISH_AHEAD_MS)
            .then_some(wanted + self.period_ms);
        let find = |keys: &Keys, valid_from: i64| {
            keys.iter()
                .find(|key| key.dynamic == dynamic && key.valid_from == valid_from)
                .cloned()
        };
        let ready = |keys: &Keys| match find(keys, wanted) {
            Some(key) if next.is_none_or(|next| find(keys, next).is_some()) => Some(key),
            _ => None,
        };
        if let Some(key) = ready(&self.cached(app_id)) {
            return Ok(key);
        }
        let mut reloads = self.reloads.lock().await;
        if let Some(key) = ready(&self.cached(app_id)) {
            return Ok(key);
        }
        for valid_from in std::iter::once(wanted).chain(next) {
            self.ensure_key(db, app_id, dynamic, valid_from).await?;
        }
        find(&self.reload(&mut reloads, db, app_id).await?, wanted)
            .context("the signing key was created but cannot be read back")
    }

    /// The published key with this id, if any. A token signed by another process may name a
    /// key this one has not loaded yet, so a miss reloads the app's keys and looks again. One
    /// reload runs at a time, and every miss waiting for it is answered by the first reload
    /// that started after the miss: a flood of unknown key ids costs one query at a time.
    pub async fn find(
        &self,
        db: &Db,
        app_id: &str,
        key_id: &str,
    ) -> anyhow::Result<Option<Arc<SigningKey>>> {
        let now = now_millis();
        let lookup = |keys: &Keys| {
            keys.iter()
                .find(|key| key.key_id == key_id && self.is_published(key, now))
                .cloned()
        };
        // Read before the cache: a reload numbered above it starts after this miss.
        let needed = self.reloads_started.load(Ordering::SeqCst) + 1;
        if let Some(key) = lookup(&self.cached(app_id)) {
            return Ok(Some(key));
        }
        let mut reloads = self.reloads.lock().await;
        if reloads.get(app_id).is_some_and(|&latest| latest >= needed) {
            return Ok(lookup(&self.cached(app_id)));
        }
        Ok(lookup(&self.reload(&mut reloads, db, app_id).await?))
    }

    /// Every published key as a JWK (dynamic keys newest first, then the static key), and how
    /// many seconds a client may cache them: until shortly before the next key appears.
    pub async fn jwks(&self, db: &Db, app_id: &str) -> anyhow::Result<(Vec<Value>, i64)> {
        // Makes sure the current (and, near the end of a period, the next) key exists.
        self.signing_key(db, app_id, true).await?;
        let now = now_millis();
        let mut keys: Keys = self
            .cached(app_id)
            .into_iter()
            .filter(|key| self.is_published(key, now))
            .collect();
        keys.sort_by_key(|key| (!key.dynamic, -key.valid_from));
        let next_publication = self.period_start(now) + self.period_ms - PUBLISH_AHEAD_MS;
        let max_age = ((next_publication - now) / 1000).max(1);
        Ok((keys.iter().map(|key| key.jwk.clone()).collect(), max_age))
    }

    fn is_published(&self, key: &SigningKey, now: i64) -> bool {
        !key.dynamic
            || (key.valid_from <= now + PUBLISH_AHEAD_MS
                && key.valid_from + self.period_ms.saturating_add(self.grace_ms()) > now)
    }

    /// Inserts a key for (app, kind, period) unless one exists; a lost race inserts nothing.
    async fn ensure_key(
        &self,
        db: &Db,
        app_id: &str,
        dynamic: bool,
        valid_from: i64,
    ) -> anyhow::Result<()> {
        let exists: Option<i32> = with_pool!(db, pool => {
            sqlx::query_scalar("SELECT 1 FROM signing_keys WHERE app_id = $1 AND dynamic = $2 AND valid_from = $3")
                .bind(app_id)
                .bind(dynamic)
                .bind(valid_from)
                .fetch_optional(pool)
                .await?
        });
        if exists.is_some() {
            return Ok(());
        }
        let (public, private) = tokio::task::spawn_blocking(generate_key_pair).await??;
        let created_at = now_millis();
        let key_id = if dynamic {
            format!("d-{created_at}")
        } else {
            format!("s-{}", uuid::Uuid::new_v4())
        };
        let inserted = with_pool!(db, pool => {
            sqlx::query(
                "INSERT INTO signing_keys (app_id, key_id, dynamic, valid_from, public_key, private_key, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(app_id)
            .bind(&key_id)
            .bind(dynamic)
            .bind(valid_from)
            .bind(&public)
            .bind(&private)
            .bind(created_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        // Another process may have won the race to create it.
        if inserted > 0 {
            self.created.inc();
        }
        Ok(())
    }

    /// The app's keys from the database, reusing already parsed ones.
    async fn load(
        &self,
        db: &Db,
        app_id: &str,
        known: &[Arc<SigningKey>],
    ) -> anyhow::Result<Vec<Arc<SigningKey>>> {
        let oldest = now_millis().saturating_sub(self.period_ms.saturating_add(self.grace_ms()));
        let rows: Vec<(String, bool, i64, String)> = with_pool!(db, pool => {
            sqlx::query_as(
                "SELECT key_id, dynamic, valid_from, private_key FROM signing_keys \
                 WHERE app_id = $1 AND (dynamic = FALSE OR valid_from >= $2)",
            )
            .bind(app_id)
            .bind(oldest)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(key_id, dynamic, valid_from, private)| {
                match known
                    .iter()
                    .find(|key| key.key_id == key_id && key.valid_from == valid_from)
                {
                    Some(key) => Ok(key.clone()),
                    None => SigningKey::parse(key_id, dynamic, valid_from, &private).map(Arc::new),
                }
            })
            .collect()
    }

    /// Deletes dynamic keys whose tokens have all expired (a periodic job; safe to run on
    /// every instance at once).
    pub async fn delete_expired(&self, db: &Db) -> anyhow::Result<u64> {
        let oldest = now_millis().saturating_sub(self.period_ms.saturating_add(self.grace_ms()));
        Ok(with_pool!(db, pool => {
            sqlx::query("DELETE FROM signing_keys WHERE dynamic = TRUE AND valid_from < $1")
                .bind(oldest)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}

/// A new RSA key pair as (base64 SPKI DER, base64 PKCS#8 DER), upstream's storage format.
fn generate_key_pair() -> anyhow::Result<(String, String)> {
    let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_BITS)?;
    let public = STANDARD.encode(private.to_public_key().to_public_key_der()?.as_bytes());
    let private = STANDARD.encode(private.to_pkcs8_der()?.as_bytes());
    Ok((public, private))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_key() -> SigningKey {
        let (_, private) = generate_key_pair().expect("a key pair");
        SigningKey::parse("d-1".into(), true, 0, &private).expect("a stored key parses")
    }

    #[test]
    fn publishes_the_modulus_without_leading_zeros() {
        let key = new_key();
        let n = URL_SAFE_NO_PAD
            .decode(key.jwk["n"].as_str().expect("n"))
            .expect("base64url");
        assert_eq!(n.len(), 256);
        assert_ne!(n[0], 0);
        assert_eq!(key.jwk["e"], "AQAB");
    }

    #[test]
    fn a_remembered_signature_vouches_for_nothing_else() {
        let keys = SigningKeys::new(&Settings::default(), Counter::default());
        let key = new_key();
        let signature = key.sign(b"header.payload");
        for _ in 0..2 {
            assert!(keys.check_signature(&key, "header.payload", &signature));
        }
        assert!(!keys.check_signature(&key, "header.payloaD", &signature));
        let other = new_key();
        assert!(!keys.check_signature(&other, "header.payload", &signature));
        assert!(!keys.check_signature(&key, "header.payload", "AAAA"));
    }

    #[test]
    fn remembers_a_bounded_number_of_tokens() {
        let mut verified = RecentlyVerified::default();
        for index in 0..3 * RECENTLY_VERIFIED_PER_GENERATION {
            let mut digest = [0u8; 32];
            digest[..8].copy_from_slice(&index.to_le_bytes());
            verified.insert(digest);
        }
        assert!(
            verified.newer.len() + verified.older.len() <= 2 * RECENTLY_VERIFIED_PER_GENERATION
        );
        let mut latest = [0u8; 32];
        latest[..8].copy_from_slice(&(3 * RECENTLY_VERIFIED_PER_GENERATION - 1).to_le_bytes());
        assert!(verified.contains(&latest));
    }
}

//! Password hashing for every recipe that stores passwords.
//!
//! Hashing is deliberately slow, so it never runs on the async workers: each hash or check
//! waits for a slot of a bounded pool (sized by config, as upstream's
//! `argon2_hashing_pool_size`) and then runs on a blocking thread of lower priority. A burst
//! of sign-ins queues there instead of stalling session and user look-ups.

use std::sync::Arc;

use aes::cipher::{KeyIvInit, StreamCipher};
use anyhow::Context;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Argon2, Params};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use subtle::ConstantTimeEq;
use tokio::sync::{OnceCell, Semaphore};

use crate::config::{Secret, Settings, TenantSettings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Argon2,
    Bcrypt,
}

impl Algorithm {
    /// The algorithm a tenant's `password_hashing_alg` names (checked when it was set).
    fn of(settings: &TenantSettings) -> Self {
        match settings.password_hashing_alg.to_ascii_uppercase().as_str() {
            "ARGON2" => Algorithm::Argon2,
            _ => Algorithm::Bcrypt,
        }
    }
}

/// Hashes new passwords with the tenant's algorithm and checks any supported stored hash.
/// The cost parameters and pools are the instance's; the algorithm and the Firebase signer
/// key are the app's (see `TenantSettings`).
pub struct Passwords {
    argon2: Argon2<'static>,
    bcrypt_cost: u32,
    argon2_slots: Arc<Semaphore>,
    bcrypt_slots: Arc<Semaphore>,
    firebase_slots: Arc<Semaphore>,
    /// A hash of a throwaway password per algorithm, checked when there is no user, so that
    /// an unknown email costs what a wrong password costs.
    decoys: [OnceCell<String>; 2],
    load: HashingLoad,
}

/// Counts one job on a gauge until dropped, so that a request given up while it waits
/// (the client went away) is counted down too.
struct Counted<'a>(&'a Gauge);

impl<'a> Counted<'a> {
    fn new(gauge: &'a Gauge) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The hashing pool's load: jobs running, jobs waiting for a place, jobs started.
#[derive(Default)]
struct HashingLoad {
    busy: Gauge,
    queued: Gauge,
    done: Counter,
}

/// Upstream's hash length for argon2 (bytes).
const ARGON2_OUTPUT_LEN: usize = 32;

impl Passwords {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let params = Params::new(
            settings.argon2_memory_kb,
            settings.argon2_iterations,
            settings.argon2_parallelism,
            Some(ARGON2_OUTPUT_LEN),
        )
        .map_err(|error| anyhow::anyhow!("invalid argon2 settings: {error}"))?;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(Self {
            argon2: Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params),
            bcrypt_cost: settings.bcrypt_log_rounds,
            argon2_slots: Arc::new(Semaphore::new(settings.argon2_hashing_pool_size)),
            // bcrypt has no pool size of its own upstream; one check per core at most.
            bcrypt_slots: Arc::new(Semaphore::new(cores)),
            firebase_slots: Arc::new(Semaphore::new(settings.firebase_password_hashing_pool_size)),
            decoys: Default::default(),
            load: HashingLoad::default(),
        })
    }

    /// Reports the pool's load on these gauges.
    pub fn reporting_load(self, busy: Gauge, queued: Gauge, done: Counter) -> Self {
        Self {
            load: HashingLoad { busy, queued, done },
            ..self
        }
    }

    /// These pools with one tenant's algorithm and signer key.
    pub fn for_tenant<'a>(&'a self, settings: &'a TenantSettings) -> TenantPasswords<'a> {
        TenantPasswords {
            passwords: self,
            settings,
        }
    }

    /// A new hash of `password` with the tenant's algorithm.
    async fn hash(&self, settings: &TenantSettings, password: String) -> anyhow::Result<String> {
        self.hash_with(Algorithm::of(settings), password).await
    }

    async fn hash_with(&self, algorithm: Algorithm, password: String) -> anyhow::Result<String> {
        match algorithm {
            Algorithm::Argon2 => {
                let argon2 = self.argon2.clone();
                run(&self.argon2_slots, &self.load, move || {
                    let salt = SaltString::generate(&mut OsRng);
                    argon2
                        .hash_password(password.as_bytes(), &salt)
                        .map(|hash| hash.to_string())
                        .map_err(|error| anyhow::anyhow!("argon2 failed: {error}"))
                })
                .await?
            }
            Algorithm::Bcrypt => {
                let cost = self.bcrypt_cost;
                run(&self.bcrypt_slots, &self.load, move || {
                    bcrypt::hash_with_result(password, cost)
                        .map(|hash| hash.format_for_version(bcrypt::Version::TwoA))
                        .context("bcrypt failed")
                })
                .await?
            }
        }
    }

    /// Whether `password` matches `stored`, whatever supported algorithm made `stored`.
    /// Fails only when a Firebase hash is checked without a configured signer key.
    async fn verify(
        &self,
        settings: &TenantSettings,
        password: String,
        stored: String,
    ) -> anyhow::Result<bool> {
        match StoredHash::recognise(&stored) {
            Some(StoredHash::Argon2) => {
                run(&self.argon2_slots, &self.load, move || {
                    verify_argon2(&password, &stored)
                })
                .await
            }
            Some(StoredHash::Bcrypt) => {
                run(&self.bcrypt_slots, &self.load, move || {
                    bcrypt::verify(password, &stored).unwrap_or(false)
                })
                .await
            }
            Some(StoredHash::FirebaseScrypt) => {
                let signer_key = firebase_signer_key(settings)?.expose().to_string();
                run(&self.firebase_slots, &self.load, move || {
                    FirebaseScrypt::parse(&stored)
                        .is_some_and(|hash| hash.matches(&password, &signer_key))
                })
                .await
            }
            None => Ok(false),
        }
    }

    /// Spends the time a wrong password would, for a sign-in with no matching user.
    async fn verify_decoy(
        &self,
        settings: &TenantSettings,
        password: String,
    ) -> anyhow::Result<()> {
        let algorithm = Algorithm::of(settings);
        let decoy = self.decoys[algorithm as usize]
            .get_or_try_init(|| self.hash_with(algorithm, "gatehouse decoy password".into()))
            .await?
            .clone();
        self.verify(settings, password, decoy).await.map(drop)
    }
}

/// The signer key Firebase scrypt hashes need; its absence is a configuration error.
fn firebase_signer_key(settings: &TenantSettings) -> anyhow::Result<&Secret> {
    settings
        .firebase_password_hashing_signer_key
        .as_ref()
        .context("'firebase_password_hashing_signer_key' cannot be null")
}

/// [`Passwords`] for one tenant (see [`Passwords::for_tenant`]).
#[derive(Clone, Copy)]
pub struct TenantPasswords<'a> {
    passwords: &'a Passwords,
    settings: &'a TenantSettings,
}

impl TenantPasswords<'_> {
    /// A new hash of `password` with the tenant's algorithm.
    pub async fn hash(self, password: String) -> anyhow::Result<String> {
        self.passwords.hash(self.settings, password).await
    }

    /// Whether `password` matches `stored`, whatever supported algorithm made `stored`.
    /// Fails only when a Firebase hash is checked without a signer key.
    pub async fn verify(self, password: String, stored: String) -> anyhow::Result<bool> {
        self.passwords.verify(self.settings, password, stored).await
    }

    /// Spends the time a wrong password would, for a sign-in with no matching user.
    pub async fn verify_decoy(self, password: String) -> anyhow::Result<()> {
        self.passwords.verify_decoy(self.settings, password).await
    }

    /// Fails unless the tenant has the signer key Firebase scrypt hashes need.
    pub fn ensure_firebase_signer_key(self) -> anyhow::Result<()> {
        firebase_signer_key(self.settings).map(drop)
    }
}

/// The hash formats gatehouse can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredHash {
    Argon2,
    Bcrypt,
    FirebaseScrypt,
}

impl StoredHash {
    /// The format of a stored hash, when it is a complete hash of a supported kind.
    pub fn recognise(stored: &str) -> Option<StoredHash> {
        if stored.starts_with("$argon2") && PasswordHash::new(stored).is_ok() {
            Some(StoredHash::Argon2)
        } else if is_bcrypt(stored) {
            Some(StoredHash::Bcrypt)
        } else if FirebaseScrypt::parse(stored).is_some() {
            Some(StoredHash::FirebaseScrypt)
        } else {
            None
        }
    }
}

fn is_bcrypt(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2x$", "$2y$"]
        .iter()
        .any(|prefix| stored.starts_with(prefix))
        && stored.len() == 60
}

/// Checks an argon2 (i, d or id) PHC string. A hash without `v=` is version 0x10, as the
/// reference implementation reads it.
fn verify_argon2(password: &str, stored: &str) -> bool {
    let check = || -> Option<bool> {
        let parsed = PasswordHash::new(stored).ok()?;
        let algorithm = argon2::Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(version) => argon2::Version::try_from(version).ok()?,
            None => argon2::Version::V0x10,
        };
        let expected = parsed.hash?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let params = Params::new(
            parsed.params.get_decimal("m")?,
            parsed.params.get_decimal("t")?,
            parsed.params.get_decimal("p")?,
            Some(expected.len()),
        )
        .ok()?;
        let mut actual = vec![0u8; expected.len()];
        Argon2::new(algorithm, version, params)
            .hash_password_into(password.as_bytes(), salt, &mut actual)
            .ok()?;
        Some(bool::from(actual.ct_eq(expected.as_bytes())))
    };
    check().unwrap_or(false)
}

/// A password hash imported from Firebase Authentication:
/// `$f_scrypt$<hash>$<salt>$m=<mem cost>$r=<rounds>$s=<salt separator>`, the last three in
/// any order. Checking one needs the Firebase project's signer key (config).
struct FirebaseScrypt<'a> {
    hash: &'a str,
    salt: &'a str,
    mem_cost: u32,
    rounds: u32,
    salt_separator: &'a str,
}

impl<'a> FirebaseScrypt<'a> {
    fn parse(stored: &'a str) -> Option<Self> {
        let parts: Vec<&str> = stored.trim_end_matches('$').split('$').collect();
        let ["", "f_scrypt", hash, salt, rest @ ..] = parts.as_slice() else {
            return None;
        };
        if rest.len() != 3 {
            return None;
        }
        let find = |prefix: &str| rest.iter().find_map(|part| part.strip_prefix(prefix));
        Some(Self {
            hash,
            salt,
            mem_cost: find("m=")?.parse().ok()?,
            rounds: find("r=")?.parse().ok()?,
            salt_separator: find("s=")?,
        })
    }

    /// Firebase's scheme: scrypt(password, salt + separator) keys AES-256-CTR (zero IV),
    /// which encrypts the signer key; the result must equal the stored hash.
    fn matches(&self, password: &str, signer_key: &str) -> bool {
        let check = || -> Option<bool> {
            let mut salt = lenient_base64(self.salt)?;
            salt.extend(lenient_base64(self.salt_separator)?);
            // Firebase hashes the password as ASCII, any other character becoming '?'.
            let password: Vec<u8> = password
                .chars()
                .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
                .collect();
            let log_n = u8::try_from(self.mem_cost).ok()?;
            let params = scrypt::Params::new(log_n, self.rounds, 1, 64).ok()?;
            let mut derived = [0u8; 64];
            scrypt::scrypt(&password, &salt, &params, &mut derived).ok()?;
            let mut signer = lenient_base64(signer_key)?;
            let mut cipher =
                ctr::Ctr128BE::<aes::Aes256>::new_from_slices(&derived[..32], &[0u8; 16]).ok()?;
            cipher.apply_keystream(&mut signer);
            Some(bool::from(
                STANDARD
                    .encode(signer)
                    .as_bytes()
                    .ct_eq(self.hash.as_bytes()),
            ))
        };
        check().unwrap_or(false)
    }
}

/// Base64 as Firebase exports it: either alphabet, padding optional.
fn lenient_base64(text: &str) -> Option<Vec<u8>> {
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let standard: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
        .collect();
    ENGINE.decode(standard).ok()
}

/// Runs `job` on a blocking thread once `slots` has room for it.
async fn run<T: Send + 'static>(
    slots: &Semaphore,
    load: &HashingLoad,
    job: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let queued = Counted::new(&load.queued);
    let _slot = slots
        .acquire()
        .await
        .context("the hashing pool is closed")?;
    drop(queued);
    let _busy = Counted::new(&load.busy);
    load.done.inc();
    tokio::task::spawn_blocking(|| {
        yield_to_requests();
        job()
    })
    .await
    .context("a hashing task failed")
}

/// Hashing runs below the request threads' priority (10 nicer, on Linux per thread): when
/// only sign-ins run, they use every core; when other requests wait for a core, those go
/// first, so a burst of sign-ins cannot starve verification and look-ups.
fn yield_to_requests() {
    thread_local!(static LOWERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if !LOWERED.get() {
        LOWERED.set(true);
        let lowered = rustix::process::getpriority_process(None).and_then(|niceness| {
            rustix::process::setpriority_process(None, lowered_niceness(niceness))
        });
        if let Err(error) = lowered {
            tracing::debug!(%error, "could not lower the priority of a hashing thread");
        }
    }
}

/// How much nicer than the process a hashing thread is (Linux allows at most 19).
const HASHING_NICENESS: i32 = 10;

fn lowered_niceness(niceness: i32) -> i32 {
    (niceness + HASHING_NICENESS).min(19)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashing_runs_below_the_request_threads() {
        let niceness = run(&Semaphore::new(1), &HashingLoad::default(), || {
            rustix::process::getpriority_process(None)
        })
        .await
        .unwrap()
        .unwrap();
        let requests = rustix::process::getpriority_process(None).unwrap();
        assert_eq!(niceness, lowered_niceness(requests));
        assert!(niceness > requests || requests == 19);
    }

    fn quick() -> Passwords {
        Passwords::new(&Settings {
            argon2_memory_kb: 1024,
            bcrypt_log_rounds: 4,
            ..Settings::default()
        })
        .unwrap()
    }

    fn tenant(algorithm: &str) -> TenantSettings {
        TenantSettings {
            password_hashing_alg: algorithm.into(),
            ..TenantSettings::of(&Settings::default())
        }
    }

    #[tokio::test]
    async fn hashes_and_verifies_with_either_algorithm() {
        for (algorithm, prefix) in [
            ("ARGON2", "$argon2id$v=19$m=1024,t=1,p=2$"),
            ("BCRYPT", "$2a$04$"),
        ] {
            let (passwords, tenant) = (quick(), tenant(algorithm));
            let hash = passwords
                .hash(&tenant, "correct horse".into())
                .await
                .unwrap();
            assert!(hash.starts_with(prefix), "{hash}");
            assert!(passwords
                .verify(&tenant, "correct horse".into(), hash.clone())
                .await
                .unwrap());
            assert!(!passwords
                .verify(&tenant, "wrong horse".into(), hash)
                .await
                .unwrap());
        }
    }

    #[tokio::test]
    async fn verifies_firebase_scrypt_hashes_with_the_signer_key() {
        // Upstream's test vector for Firebase imports.
        let stored = "$f_scrypt$qZM035es5AXYqavsKD6/rhtxg7t5PhcyRgv5blc3doYbChX8keMfQLq1ra96O2Pf2TP/eZrR5xtPCYN6mX3ESA==$/cj0jC1br5o4+w==$m=14$r=8$s=Bw==";
        let signer_key = "gRhC3eDeQOdyEn4bMd9c6kxguWVmcIVq/SKa0JDPFeM6TcEevkaW56sIWfx88OHbJKnCXdWscZx0l2WbCJ1wbg==";
        assert_eq!(
            StoredHash::recognise(stored),
            Some(StoredHash::FirebaseScrypt)
        );
        let passwords = quick();
        let with_key = TenantSettings {
            firebase_password_hashing_signer_key: Some(Secret::new(signer_key)),
            ..tenant("BCRYPT")
        };
        assert!(passwords
            .verify(&with_key, "testPass123".into(), stored.into())
            .await
            .unwrap());
        assert!(!passwords
            .verify(&with_key, "testPass124".into(), stored.into())
            .await
            .unwrap());
        assert!(passwords
            .verify(&tenant("BCRYPT"), "testPass123".into(), stored.into())
            .await
            .is_err());
    }

    #[test]
    fn argon2_hashes_without_a_version_are_version_16() {
        let params = Params::new(1024, 1, 1, Some(32)).unwrap();
        let salt = SaltString::from_b64("c2FsdHNhbHRzYWx0").unwrap();
        let v16 = Argon2::new(argon2::Algorithm::Argon2i, argon2::Version::V0x10, params)
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string()
            .replace("$v=16", "");
        assert!(!v16.contains("$v="), "{v16}");
        assert!(verify_argon2("pw", &v16));
        assert!(!verify_argon2("other", &v16));
    }

    #[tokio::test]
    async fn verifies_hashes_made_under_another_setting() {
        let passwords = quick();
        let argon2_hash = passwords
            .hash(&tenant("ARGON2"), "pw-1".into())
            .await
            .unwrap();
        let bcrypt_hash = passwords
            .hash(&tenant("BCRYPT"), "pw-2".into())
            .await
            .unwrap();
        let bcrypt = tenant("BCRYPT");
        assert!(passwords
            .verify(&bcrypt, "pw-1".into(), argon2_hash)
            .await
            .unwrap());
        assert!(passwords
            .verify(&bcrypt, "pw-2".into(), bcrypt_hash)
            .await
            .unwrap());
        assert!(!passwords
            .verify(&bcrypt, "pw".into(), "not a hash".into())
            .await
            .unwrap());
    }
}

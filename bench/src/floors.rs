//! What this machine can do at best, measured in the same run as the scenarios: RSA-2048
//! signatures (the cost of every access token), one password hash, and database round trips.

use std::time::{Duration, Instant};

use ring::rand::SystemRandom;
use ring::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};
use rsa::pkcs8::EncodePrivateKey;
use serde_json::{json, Value};
use sqlx::Connection;

use crate::{Args, PASSWORD};

pub struct Floors {
    pub rsa_signs_per_second: f64,
    pub rsa_verifies_per_second: f64,
    pub hash_ms: f64,
    /// One hash per core at a time, as gatehouse's bcrypt pool.
    pub hashes_per_second: f64,
    pub db_round_trips_per_second: f64,
}

impl Floors {
    pub fn to_json(&self) -> Value {
        json!({
            "rsa_signs_per_second": self.rsa_signs_per_second,
            "rsa_verifies_per_second": self.rsa_verifies_per_second,
            "hash_ms": self.hash_ms,
            "hashes_per_second": self.hashes_per_second,
            "db_round_trips_per_second": self.db_round_trips_per_second,
        })
    }
}

pub async fn measure(args: &Args) -> anyhow::Result<Floors> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let window = Duration::from_secs_f64(args.duration.min(2.0));
    let hash_ms = hash_ms();
    // The same RSA implementation (ring) and key size as gatehouse's access tokens.
    let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
    let key = RsaKeyPair::from_pkcs8(private.to_pkcs8_der()?.as_bytes())
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    let message = b"header.payload-of-a-typical-access-token";
    let sign = || {
        let mut signature = vec![0; key.public().modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            message,
            &mut signature,
        )
        .ok()
        .map(|()| signature)
    };
    let signature = sign().ok_or_else(|| anyhow::anyhow!("RSA signing failed"))?;
    let public = ring::signature::UnparsedPublicKey::new(
        &RSA_PKCS1_2048_8192_SHA256,
        key.public_key().as_ref().to_vec(),
    );
    Ok(Floors {
        rsa_signs_per_second: per_second_on_every_core(cores, window, || sign().is_some()),
        rsa_verifies_per_second: per_second_on_every_core(cores, window, || {
            public.verify(message, &signature).is_ok()
        }),
        hash_ms,
        hashes_per_second: cores as f64 / (hash_ms / 1000.0),
        db_round_trips_per_second: db_round_trips(args, window).await?,
    })
}

/// How many times per second `threads` threads together can do `operation` (which must
/// succeed, so that a broken floor cannot look fast).
fn per_second_on_every_core(
    threads: usize,
    window: Duration,
    operation: impl Fn() -> bool + Sync,
) -> f64 {
    let started = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let operation = &operation;
                scope.spawn(move || {
                    let mut count = 0;
                    while started.elapsed() < window {
                        assert!(operation(), "a floor operation failed");
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap_or(0))
            .collect()
    });
    counts.iter().sum::<u64>() as f64 / started.elapsed().as_secs_f64()
}

/// Milliseconds of one bcrypt hash at the default cost (gatehouse's default algorithm).
fn hash_ms() -> f64 {
    let started = Instant::now();
    for _ in 0..3 {
        let _ = bcrypt::hash(PASSWORD, crate::BCRYPT_COST);
    }
    started.elapsed().as_secs_f64() * 1000.0 / 3.0
}

/// `SELECT 1` round trips per second, one connection per unit of concurrency.
async fn db_round_trips(args: &Args, window: Duration) -> anyhow::Result<f64> {
    let scratch =
        std::env::temp_dir().join(format!("gatehouse-bench-floor-{}.db", std::process::id()));
    let mut tasks = Vec::new();
    let started = Instant::now();
    for _ in 0..args.concurrency.min(10) {
        let postgres = args.postgres.clone();
        let sqlite = format!("sqlite://{}?mode=rwc", scratch.display());
        let backend = args.backend.clone();
        tasks.push(tokio::spawn(async move {
            let mut count = 0u64;
            if backend == "sqlite" {
                let mut connection = sqlx::SqliteConnection::connect(&sqlite).await?;
                while started.elapsed() < window {
                    sqlx::query("SELECT 1").execute(&mut connection).await?;
                    count += 1;
                }
            } else {
                let mut connection = sqlx::PgConnection::connect(&postgres).await?;
                while started.elapsed() < window {
                    sqlx::query("SELECT 1").execute(&mut connection).await?;
                    count += 1;
                }
            }
            Ok::<u64, sqlx::Error>(count)
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    let _ = std::fs::remove_file(&scratch);
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

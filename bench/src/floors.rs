//! What this machine can do at best, measured in the same run as the scenarios: RSA-2048
//! signatures (the cost of every access token), one password hash, and database round trips.

use std::time::{Duration, Instant};

use rsa::pkcs1v15::SigningKey;
use rsa::signature::Signer;
use serde_json::{json, Value};
use sha2::Sha256;
use sqlx::Connection;

use crate::{Args, PASSWORD};

pub struct Floors {
    pub rsa_signs_per_second: f64,
    pub hash_ms: f64,
    /// One hash per core at a time, as gatehouse's bcrypt pool.
    pub hashes_per_second: f64,
    pub db_round_trips_per_second: f64,
}

impl Floors {
    pub fn to_json(&self) -> Value {
        json!({
            "rsa_signs_per_second": self.rsa_signs_per_second,
            "hash_ms": self.hash_ms,
            "hashes_per_second": self.hashes_per_second,
            "db_round_trips_per_second": self.db_round_trips_per_second,
        })
    }
}

pub async fn measure(args: &Args) -> anyhow::Result<Floors> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let window = Duration::from_secs_f64(args.duration.min(2.0));
    Ok(Floors {
        rsa_signs_per_second: rsa_signs(cores, window),
        hash_ms: hash_ms(),
        hashes_per_second: cores as f64 / (hash_ms() / 1000.0),
        db_round_trips_per_second: db_round_trips(args, window).await?,
    })
}

fn rsa_signs(threads: usize, window: Duration) -> f64 {
    let key = SigningKey::<Sha256>::new(
        rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("an RSA key"),
    );
    let started = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let key = &key;
                scope.spawn(move || {
                    let mut count = 0;
                    while started.elapsed() < window {
                        let _ = key.sign(b"header.payload-of-a-typical-access-token");
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

//! What this machine can do at best, measured in the same run as the scenarios: RSA-2048
//! signatures (the cost of every access token), one password hash, database round trips, and
//! gatehouse's get-user query sent straight to the seeded database.

use std::time::{Duration, Instant};

use ring::rand::SystemRandom;
use ring::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};
use rsa::pkcs8::EncodePrivateKey;
use serde_json::{json, Value};
use sqlx::Connection;

use crate::load::Measured;
use crate::{seed, Args, PASSWORD};

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

/// The query behind `GET /user/id` (the very SQL, from gatehouse), run straight on the seeded
/// database at `url` for seeded users spread as the scenario picks them: one connection per
/// unit of concurrency, each a prepared statement (sqlx caches it per connection, as in
/// gatehouse's pool). An answer without rows counts as an error.
pub async fn get_user_query(
    args: &Args,
    url: &str,
    users: u64,
    window: Duration,
) -> anyhow::Result<Measured> {
    let sql = gatehouse::recipes::core::user::find_user_sql();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..args.concurrency {
        let (sql, url) = (sql.clone(), url.to_string());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let next =
                |iteration: u64| seed::user_id(crate::scenarios::pick(users, worker, iteration));
            // The same loop on either driver's connection type (no common trait fits a
            // query with binds on a plain connection).
            macro_rules! run_on {
                ($connection:expr) => {{
                    let mut connection = $connection;
                    let mut iteration = 0;
                    while started.elapsed() < window {
                        iteration += 1;
                        let sent = Instant::now();
                        let rows = sqlx::query(&sql)
                            .bind("public")
                            .bind(next(iteration))
                            .fetch_all(&mut connection)
                            .await?;
                        latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                        errors += u64::from(rows.is_empty());
                    }
                }};
            }
            if url.starts_with("sqlite:") {
                run_on!(sqlx::SqliteConnection::connect(&url).await?);
            } else {
                run_on!(sqlx::PgConnection::connect(&url).await?);
            }
            Ok::<_, sqlx::Error>((latencies, errors))
        }));
    }
    let mut per_connection = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (latencies, task_errors) = task.await??;
        per_connection.push(latencies);
        errors += task_errors;
    }
    Ok(Measured::new(
        per_connection,
        errors,
        started.elapsed().as_secs_f64(),
    ))
}

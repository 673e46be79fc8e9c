//! Users (with their metadata) written straight into the database, with one precomputed password hash, so that a
//! million users take seconds rather than a million hash computations.

use sqlx::{Connection, Executor};

use crate::PASSWORD;

/// The user id and join time of seeded user `i` (1-based), as the scenarios address them.
pub fn user_id(i: u64) -> String {
    format!("seed-{i}")
}

pub fn time_joined(i: u64) -> i64 {
    1_600_000_000_000 + i as i64
}

const STATEMENTS: [&str; 5] = [
    "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $1) \
     INSERT INTO users (app_id, user_id, recipe_id, primary_user_id, is_primary, time_joined, email) \
     SELECT 'public', 'seed-' || i, 'emailpassword', 'seed-' || i, FALSE, 1600000000000 + i, 'seed' || i || '@bench.example' FROM seq",
    "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $1) \
     INSERT INTO user_tenants (app_id, tenant_id, user_id, recipe_id, primary_user_id, primary_time_joined, email, email_domain) \
     SELECT 'public', 'public', 'seed-' || i, 'emailpassword', 'seed-' || i, 1600000000000 + i, 'seed' || i || '@bench.example', 'bench.example' FROM seq",
    "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $1) \
     INSERT INTO emailpassword_users (app_id, user_id, password_hash) SELECT 'public', 'seed-' || i, $2 FROM seq",
    "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $1) \
     INSERT INTO user_metadata (app_id, user_id, user_metadata) \
     SELECT 'public', 'seed-' || i, '{\"plan\":\"free\",\"visits\":' || i || '}' FROM seq",
    "INSERT INTO dashboard_users (app_id, user_id, email, password_hash, time_joined) \
     SELECT 'public', '00000000-0000-4000-8000-000000000001', 'bench-admin@bench.example', $2, $1",
];

/// The user counts the triggers would have kept.
const RECOUNT: &str = "DELETE FROM user_counts; \
     INSERT INTO user_counts (app_id, tenant_id, recipe_id, users) SELECT app_id, '', recipe_id, COUNT(*) FROM users GROUP BY app_id, recipe_id; \
     INSERT INTO user_counts (app_id, tenant_id, recipe_id, users) SELECT app_id, tenant_id, recipe_id, COUNT(*) FROM user_tenants GROUP BY app_id, tenant_id, recipe_id";

pub async fn users(url: &str, count: u64) -> anyhow::Result<()> {
    let hash = bcrypt::hash(PASSWORD, crate::BCRYPT_COST)?.replacen("$2b$", "$2a$", 1);
    if url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(url).await?;
        for statement in STATEMENTS {
            sqlx::query(statement)
                .bind(count as i64)
                .bind(&hash)
                .execute(&mut connection)
                .await?;
        }
        connection.execute("ANALYZE").await?;
    } else {
        let mut connection = sqlx::PgConnection::connect(url).await?;
        // Row triggers keep the user counts; for a million rows at once it is far quicker to
        // skip them and count once afterwards.
        connection
            .execute("SET session_replication_role = replica")
            .await?;
        for statement in STATEMENTS {
            sqlx::query(statement)
                .bind(count as i64)
                .bind(&hash)
                .execute(&mut connection)
                .await?;
        }
        connection.execute(RECOUNT).await?;
        connection.execute("ANALYZE").await?;
    }
    Ok(())
}

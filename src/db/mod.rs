//! Storage: one handle over the embedded SQLite file or PostgreSQL.
//!
//! Queries are written once, with `$N` placeholders (both drivers bind them), millisecond
//! BIGINT times and TEXT ids, and run on whichever pool is configured through [`with_pool!`].
//! Where the dialects really differ, a query matches on [`Db`] itself.

pub mod limits;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::Connection as _;
use sqlx::{PgPool, SqlitePool};

use crate::config::{Settings, Storage};

#[derive(Clone, Debug)]
pub enum Db {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Runs `$body` with `$pool` bound to the configured pool, whichever backend it is.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Postgres($pool) => $body,
            $crate::db::Db::Sqlite($pool) => $body,
        }
    };
}

/// Runs `$body`, an async block that writes through `$tx`, in a write transaction on the
/// configured pool: committed when the block returns `Ok`, rolled back otherwise. Evaluates
/// to the block's `sqlx::Result`, so callers can tell a unique violation from other errors.
#[macro_export]
macro_rules! in_write_transaction {
    ($db:expr, $tx:ident => $body:expr) => {
        $crate::with_pool!($db, pool => async {
            let mut $tx = $crate::db::BeginWrite::begin_write(pool).await?;
            let result = $body.await;
            if result.is_ok() {
                $tx.commit().await?;
            }
            result
        }
        .await)
    };
}

/// Like [`in_write_transaction!`], for changes that a rule checked inside the transaction
/// may refuse: `$body` evaluates to `sqlx::Result<Result<T, Refusal>>`, and only `Ok(Ok(_))`
/// is committed.
#[macro_export]
macro_rules! in_refusable_write_transaction {
    ($db:expr, $tx:ident => $body:expr) => {
        $crate::with_pool!($db, pool => async {
            let mut $tx = $crate::db::BeginWrite::begin_write(pool).await?;
            let result = $body.await;
            if matches!(result, Ok(Ok(_))) {
                $tx.commit().await?;
            }
            result
        }
        .await)
    };
}

static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a request waits for a free connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle time after which a pooled connection is pinged before use.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);
/// How long start-up waits for PostgreSQL to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long SQLite waits on a lock held by another writer before it gives up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Pool settings both backends share. A connection is checked with a ping only when it
/// has been idle for a while (the server may have dropped it meanwhile); pinging every
/// connection on every acquire, sqlx's default, doubled the round trips of each request.
fn pool_options<DB: sqlx::Database>() -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .before_acquire(|connection, metadata| {
            Box::pin(async move {
                if metadata.idle_for >= PING_WHEN_IDLE_FOR {
                    sqlx::Connection::ping(connection).await?;
                }
                Ok(true)
            })
        })
}

impl Db {
    /// Opens the storage the settings ask for. Nothing is created or migrated here.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Db> {
        match settings.storage() {
            Storage::Sqlite { path } => Self::connect_sqlite(&path).await,
            Storage::Postgres => {
                let options = postgres_options(settings)?;
                let failed = |why: String| {
                    anyhow::anyhow!(
                        "could not connect to PostgreSQL at {}:{}: {why}",
                        options.get_host(),
                        options.get_port()
                    )
                };
                // One connection first: its error says what failed, where a pool would only
                // say that it timed out.
                match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
                    .await
                {
                    Err(_) => {
                        return Err(failed(format!(
                            "no answer within {} s",
                            CONNECT_TIMEOUT.as_secs()
                        )))
                    }
                    Ok(Err(error)) => return Err(failed(error_text(&error))),
                    Ok(Ok(connection)) => connection.close().await.ok().unwrap_or_default(),
                }
                let pool = pool_options::<sqlx::Postgres>()
                    .max_connections(settings.postgresql_connection_pool_size)
                    .connect_with(options.clone())
                    .await
                    .map_err(|error| failed(error_text(&error)))?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    async fn connect_sqlite(path: &str) -> anyhow::Result<Db> {
        let in_memory = path == ":memory:";
        let options = if in_memory {
            SqliteConnectOptions::from_str("sqlite::memory:")?
        } else {
            SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
        }
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true);
        // Every connection to `:memory:` is its own database, so the throwaway mode keeps
        // exactly one connection open for the life of the process.
        let pool_options = if in_memory {
            pool_options::<sqlx::Sqlite>()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            pool_options::<sqlx::Sqlite>().max_connections(8)
        };
        let pool = pool_options.connect_with(options).await.map_err(|error| {
            let mut why = error_text(&error);
            if why.contains("unable to open database file") {
                why += &format!(
                    " (its directory must exist and be writable by the user gatehouse runs as, uid {})",
                    rustix::process::getuid().as_raw()
                );
            }
            anyhow::anyhow!("could not open the SQLite database {path}: {why}")
        })?;
        Ok(Db::Sqlite(pool))
    }

    /// Applies every pending migration. Safe to run from several processes at once on
    /// PostgreSQL: the migrator holds an advisory lock while it works.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
        }
        .context("could not apply the database migrations")
    }

    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }

    /// A one-line description for the start-up banner, without credentials.
    pub fn describe(&self, settings: &Settings) -> String {
        match self {
            Db::Sqlite(_) => format!("sqlite {}", settings.sqlite_path),
            Db::Postgres(_) => match postgres_options(settings) {
                Ok(options) => format!(
                    "postgresql {}:{}/{}",
                    options.get_host(),
                    options.get_port(),
                    options.get_database().unwrap_or("postgres")
                ),
                Err(_) => "postgresql".into(),
            },
        }
    }

    pub fn is_in_memory(&self, settings: &Settings) -> bool {
        matches!(self, Db::Sqlite(_)) && settings.sqlite_path == ":memory:"
    }
}

/// The connection URI, with the separate host/port/user/password/database keys filling in
/// the parts it leaves out (upstream's rule: a part given in the URI wins).
fn postgres_options(settings: &Settings) -> anyhow::Result<PgConnectOptions> {
    // Parse errors may quote the URI, password included, so they are replaced by our words.
    let invalid = || anyhow::anyhow!("postgresql_connection_uri is not a valid PostgreSQL URI");
    let uri = match &settings.postgresql_connection_uri {
        Some(uri) => Some(url::Url::parse(uri.expose()).map_err(|_| invalid())?),
        None => None,
    };
    let mut options = match &uri {
        Some(uri) => PgConnectOptions::from_str(uri.as_str()).map_err(|_| invalid())?,
        None => PgConnectOptions::new_without_pgpass(),
    };
    let given = |part: Option<&str>| part.is_some_and(|part| !part.is_empty());
    if !given(uri.as_ref().and_then(url::Url::host_str)) {
        options = options.host(settings.postgresql_host.as_deref().unwrap_or("localhost"));
    }
    if uri.as_ref().and_then(url::Url::port).is_none() {
        options = options.port(settings.postgresql_port.unwrap_or(5432));
    }
    if !given(uri.as_ref().map(url::Url::username)) {
        if let Some(user) = &settings.postgresql_user {
            options = options.username(user);
        }
    }
    if !given(uri.as_ref().and_then(url::Url::password)) {
        if let Some(password) = &settings.postgresql_password {
            options = options.password(password.expose());
        }
    }
    if !given(uri.as_ref().map(|uri| uri.path().trim_start_matches('/'))) {
        let database = settings
            .postgresql_database_name
            .as_deref()
            .unwrap_or("supertokens");
        options = options.database(database);
    }
    let in_query = |name: &str| {
        uri.as_ref()
            .is_some_and(|uri| uri.query_pairs().any(|(key, _)| key == name))
    };
    if !in_query("sslmode") {
        if let Some(mode) = &settings.postgresql_sslmode {
            options = options.ssl_mode(mode.parse().context("postgresql_sslmode")?);
        }
    }
    if !in_query("sslrootcert") {
        if let Some(path) = &settings.postgresql_sslrootcert {
            options = options.ssl_root_cert(path);
        }
    }
    Ok(options.application_name("gatehouse"))
}

/// Starting a transaction that will write. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`): a transaction that reads first and upgrades later can fail with
/// "database is locked" instead of waiting its turn. PostgreSQL locks rows as it goes.
pub trait BeginWrite {
    type Database: sqlx::Database;

    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Database>>>;
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;

    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.begin().await
    }
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;

    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl Db {
    /// Appended to a SELECT inside a write transaction: PostgreSQL locks the rows it read;
    /// on SQLite the transaction already holds the database's write lock.
    pub fn for_update(&self) -> &'static str {
        match self {
            Db::Postgres(_) => " FOR UPDATE",
            Db::Sqlite(_) => "",
        }
    }

    /// As [`Db::for_update`], for a join: locks only the rows of the table named `alias`.
    pub fn for_update_of(&self, alias: &str) -> String {
        match self {
            Db::Postgres(_) => format!(" FOR UPDATE OF {alias}"),
            Db::Sqlite(_) => String::new(),
        }
    }
}

/// `$first, $first+1, ...`: `count` numbered placeholders, for an `IN (...)` list.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a statement failed on a unique key (a duplicate), on either backend.
/// A driver error in one line: the database's own message rather than sqlx's wrapper around
/// it (whose cause chain would print the same text twice).
fn error_text(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(error) => error.message().to_string(),
        sqlx::Error::Io(error) => error.to_string(),
        other => other.to_string(),
    }
}

pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// Milliseconds since the Unix epoch, the time unit of every stored timestamp.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or_default()
}

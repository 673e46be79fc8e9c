//! Starts the real server on a free port, on SQLite or on a fresh PostgreSQL database, and
//! talks HTTP to it.

use std::path::PathBuf;
use std::sync::OnceLock;

use actix_web::http::Method;
use gatehouse::config::{Secret, Settings};
use gatehouse::db::Db;
use gatehouse::startup::Application;
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};

/// An API key the test servers accept when a test turns keys on.
pub const API_KEY: &str = "test-api-key-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `<name>::sqlite` and `<name>::postgres` from one test body that receives the
/// backend. The PostgreSQL half is skipped loudly when no server answers, and fails in CI.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, |$backend:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                let $backend = $crate::helpers::Backend::Sqlite;
                $body
            }

            #[actix_web::test]
            async fn postgres() {
                if !$crate::helpers::postgres_available(concat!(module_path!())).await {
                    return;
                }
                let $backend = $crate::helpers::Backend::Postgres;
                $body
            }
        }
    };
}

/// The PostgreSQL server tests create their databases on.
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Whether the PostgreSQL half of a test can run. Outside CI an unreachable server skips it
/// with a loud line; in CI (CI=true) it fails the test.
pub async fn postgres_available(test: &str) -> bool {
    static REACHABLE: OnceLock<bool> = OnceLock::new();
    let reachable = match REACHABLE.get() {
        Some(known) => *known,
        None => {
            let answered = PgConnection::connect(&admin_url()).await.is_ok();
            *REACHABLE.get_or_init(|| answered)
        }
    };
    if !reachable {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("PostgreSQL is not reachable at TEST_DATABASE_URL/default and CI=true");
        }
        eprintln!("SKIPPED {test}: PostgreSQL is not reachable; set TEST_DATABASE_URL to run it");
    }
    reachable
}

/// A database that exists for one test and is removed afterwards.
pub enum TestDatabase {
    Sqlite(PathBuf),
    Postgres { name: String, url: String },
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Self {
        let name = format!("gatehouse_test_{}", uuid::Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => {
                TestDatabase::Sqlite(std::env::temp_dir().join(format!("{name}.db")))
            }
            Backend::Postgres => {
                let admin = admin_url();
                let mut connection = PgConnection::connect(&admin)
                    .await
                    .expect("connect to PostgreSQL");
                connection
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create the test database");
                let mut url = url::Url::parse(&admin).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                TestDatabase::Postgres {
                    name,
                    url: url.to_string(),
                }
            }
        }
    }

    /// Points `settings` at this database.
    pub fn configure(&self, settings: &mut Settings) {
        match self {
            TestDatabase::Sqlite(path) => settings.sqlite_path = path.display().to_string(),
            TestDatabase::Postgres { url, .. } => {
                settings.postgresql_connection_uri = Some(Secret::new(url.clone()))
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self {
            TestDatabase::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            TestDatabase::Postgres { name, .. } => {
                // Drop runs inside the test's runtime, so the clean-up gets a runtime of its own.
                let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    runtime.block_on(async {
                        let mut connection = PgConnection::connect(&admin_url()).await.ok()?;
                        connection.execute(statement.as_str()).await.ok()
                    })
                })
                .join();
            }
        }
    }
}

/// Settings for a test server: a free port on loopback, quick password hashing.
pub fn test_settings() -> Settings {
    Settings {
        port: 0,
        host: "127.0.0.1".into(),
        max_server_pool_size: 2,
        bcrypt_log_rounds: 4,
        argon2_memory_kb: 1024,
        ..Settings::default()
    }
}

pub struct TestApp {
    pub address: String,
    pub settings: Settings,
    pub api_key: Option<String>,
    client: awc::Client,
    // Dropped last, after the server has stopped; `None` for a second server on the
    // database of another.
    _database: Option<TestDatabase>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts a server whose settings `adjust` may change (storage is filled in after it).
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let database = TestDatabase::create(backend).await;
        let mut settings = test_settings();
        adjust(&mut settings);
        database.configure(&mut settings);
        Self::start(settings, Some(database)).await
    }

    /// Another server on this one's database, as a second gatehouse process would be.
    pub async fn sibling(&self) -> TestApp {
        Self::start(self.settings.clone(), None).await
    }

    async fn start(settings: Settings, database: Option<TestDatabase>) -> TestApp {
        let app = Application::build(settings.clone())
            .await
            .expect("the server starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let api_key = settings.api_key_list().into_iter().next();
        app.spawn();
        TestApp {
            address,
            settings,
            api_key,
            client: awc::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .finish(),
            _database: database,
        }
    }

    /// A second handle on the server's database, for arranging and checking state directly.
    pub async fn db(&self) -> Db {
        Db::connect(&self.settings)
            .await
            .expect("connect to the test database")
    }

    /// Signs up an email-password user and returns the user object.
    pub async fn sign_up(&self, email: &str, password: &str) -> Value {
        let reply = self
            .post(
                "/recipe/signup",
                &serde_json::json!({ "email": email, "password": password }),
            )
            .await
            .json();
        assert_eq!(reply["status"], "OK", "{reply}");
        reply["user"].clone()
    }

    /// Signs up (or in) a passwordless user of `contact` (`{"email": ..}` or
    /// `{"phoneNumber": ..}`) in the tenant of path prefix `prefix`, by magic link; returns
    /// the user object.
    pub async fn passwordless_sign_up(&self, prefix: &str, contact: Value) -> Value {
        let code = self
            .post(&format!("{prefix}/recipe/signinup/code"), &contact)
            .await
            .json();
        let consumed = self
            .post(
                &format!("{prefix}/recipe/signinup/code/consume"),
                &serde_json::json!({ "preAuthSessionId": code["preAuthSessionId"], "linkCode": code["linkCode"] }),
            )
            .await
            .json();
        assert_eq!(consumed["status"], "OK", "{consumed}");
        consumed["user"].clone()
    }

    /// How many rows a table holds, to check what a request wrote.
    pub async fn count_rows(&self, table: &str) -> i64 {
        let db = self.db().await;
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let count = gatehouse::with_pool!(&db, pool => sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap());
        db.close().await;
        count
    }

    /// A request with the test API key (when the server has one).
    pub fn request(&self, method: Method, path: &str) -> awc::ClientRequest {
        let request = self.bare(method, path);
        match &self.api_key {
            Some(key) => request.insert_header(("api-key", key.as_str())),
            None => request,
        }
    }

    /// Requests that carry `cdi-version: <version>`, as an SDK of that version sends them.
    pub fn at(&self, version: &'static str) -> AtVersion<'_> {
        AtVersion { app: self, version }
    }

    /// A request with no headers added.
    pub fn bare(&self, method: Method, path: &str) -> awc::ClientRequest {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(self.request(Method::GET, path), None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        send(self.request(Method::POST, path), Some(body.to_string())).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        send(self.request(Method::PUT, path), Some(body.to_string())).await
    }

    /// Sends `body` as it is, not as serialised JSON, for malformed-input tests.
    pub async fn send_raw(&self, method: Method, path: &str, body: &str) -> Reply {
        send(self.request(method, path), Some(body.to_string())).await
    }
}

/// A [`TestApp`] spoken to at one CDI version.
pub struct AtVersion<'a> {
    app: &'a TestApp,
    version: &'static str,
}

impl AtVersion<'_> {
    fn request(&self, method: Method, path: &str) -> awc::ClientRequest {
        self.app
            .request(method, path)
            .insert_header(("cdi-version", self.version))
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(self.request(Method::GET, path), None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        send(self.request(Method::POST, path), Some(body.to_string())).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        send(self.request(Method::PUT, path), Some(body.to_string())).await
    }

    pub async fn delete(&self, path: &str, body: &Value) -> Reply {
        send(self.request(Method::DELETE, path), Some(body.to_string())).await
    }
}

/// Sends `request` with `body` (as JSON) and reads the whole answer.
pub async fn send(request: awc::ClientRequest, body: Option<String>) -> Reply {
    let sending = match body {
        Some(body) => request
            .content_type("application/json; charset=utf-8")
            .send_body(body),
        None => request.send(),
    };
    let mut response = sending.await.expect("the server answers");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response
        .body()
        .limit(16 * 1024 * 1024)
        .await
        .expect("a readable body");
    Reply {
        status: response.status().as_u16(),
        content_type,
        body: String::from_utf8(body.to_vec()).expect("a UTF-8 body"),
    }
}

/// A response read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    /// The body as JSON, after checking that this is a 200 JSON answer.
    pub fn json(&self) -> Value {
        assert_eq!(self.status, 200, "expected a 200, got {self:?}");
        assert!(
            self.content_type.starts_with("application/json"),
            "not JSON: {self:?}"
        );
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// Checks a plain-text error answer.
    #[track_caller]
    pub fn assert_error(&self, status: u16, message: &str) {
        assert_eq!(
            (self.status, self.body.as_str()),
            (status, format!("{message}\n").as_str()),
            "{self:?}"
        );
        assert!(
            self.content_type.starts_with("text/plain"),
            "errors are plain text: {self:?}"
        );
    }
}

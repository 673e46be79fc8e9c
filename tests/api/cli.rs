//! The binary itself: flags, subcommands, start-up line, stop signals, data kept on disk.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::helpers::TestDatabase;

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

/// `gatehouse` with a clean environment apart from `env`, run in a scratch directory.
fn gatehouse(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(std::env::temp_dir());
    command
}

pub fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    gatehouse(args, env).output().expect("gatehouse runs")
}

/// A started server, the address from its start-up line and what it has logged since.
pub struct Running {
    child: Child,
    pub address: String,
    log: Arc<Mutex<Vec<String>>>,
}

pub fn start(env: &[(&str, &str)]) -> Running {
    start_command(gatehouse(&["--port", "0", "--host", "127.0.0.1"], env))
}

/// `gatehouse --port 0 --host 127.0.0.1` under a soft limit of `files` open files.
pub fn start_with_file_limit(files: u32) -> Running {
    let mut command = Command::new("bash");
    command
        .args([
            "-c",
            &format!("ulimit -Sn {files} && exec \"$0\" --port 0 --host 127.0.0.1"),
        ])
        .arg(BINARY)
        .env_clear()
        .env("SQLITE_PATH", ":memory:")
        .current_dir(std::env::temp_dir());
    start_command(command)
}

fn start_command(mut command: Command) -> Running {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("gatehouse starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let banner = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains("listening on"))
        .expect("a start-up line");
    let address = banner
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .expect("the address")
        .to_string();
    // Keep reading the log so the server never blocks on a full pipe.
    let log = Arc::new(Mutex::new(Vec::new()));
    let kept = log.clone();
    std::thread::spawn(move || {
        lines
            .map_while(Result::ok)
            .for_each(|line| kept.lock().unwrap().push(line))
    });
    Running {
        child,
        address,
        log,
    }
}

/// A server a test leaves running is stopped with it, so that no test run leaves processes
/// behind (a server already stopped is left as it is).
impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Running {
    /// The log lines so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `limit` for the process to exit and returns its exit code.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<i32> {
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill().unwrap();
        panic!("gatehouse did not exit within {limit:?}");
    }

    fn get(&self, path: &str) -> (u16, String) {
        let output = Command::new("curl")
            .args([
                "-s",
                "-o",
                "-",
                "-w",
                "\n%{http_code}",
                &format!("{}{path}", self.address),
            ])
            .output()
            .expect("curl runs");
        let text = String::from_utf8(output.stdout).unwrap();
        let (body, status) = text.rsplit_once('\n').unwrap();
        (status.parse().unwrap_or(0), body.to_string())
    }

    pub fn send_sigterm(&self) {
        Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
    }

    /// Sends SIGTERM and returns the exit code.
    fn terminate(mut self) -> Option<i32> {
        self.send_sigterm();
        self.wait_for_exit(Duration::from_secs(5))
    }
}

#[test]
fn version_and_help() {
    let output = run(&["--version"], &[]);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("gatehouse {}", env!("CARGO_PKG_VERSION"))
    );

    let help = String::from_utf8(run(&["--help"], &[]).stdout).unwrap();
    for word in ["start", "migrate", "--config", "--port", "--host"] {
        assert!(help.contains(word), "--help mentions {word}: {help}");
    }
}

#[test]
fn an_invalid_setting_refuses_to_start_with_one_line() {
    let output = run(&[], &[("API_KEYS", "too-short")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("api_keys") && stderr.contains("at least 20 characters"),
        "{stderr}"
    );

    let missing = run(&["--config", "/nonexistent/gatehouse.yaml"], &[]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/gatehouse.yaml"));
}

#[actix_web::test]
async fn migrate_prepares_the_database_and_exits() {
    let database = TestDatabase::create(crate::helpers::Backend::Sqlite).await;
    let TestDatabase::Sqlite(path) = &database else {
        unreachable!()
    };
    let path = path.display().to_string();
    let output = run(&["migrate"], &[("SQLITE_PATH", &path)]);
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("migrations applied"));
    let mut settings = crate::helpers::test_settings();
    database.configure(&mut settings);
    let db = gatehouse::db::Db::connect(&settings).await.unwrap();
    let gatehouse::db::Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    let tenants: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(tenants, 1, "the public tenant exists");
}

#[actix_web::test]
async fn serves_stops_on_sigterm_and_keeps_its_data() {
    let database = TestDatabase::create(crate::helpers::Backend::Sqlite).await;
    let TestDatabase::Sqlite(path) = &database else {
        unreachable!()
    };
    let path = path.display().to_string();
    let key = "cli-test-key-0123456789";
    let env = [("SQLITE_PATH", path.as_str()), ("API_KEYS", key)];

    let server = start(&env);
    assert_eq!(server.get("/hello"), (200, "Hello".into()));
    assert_eq!(server.get("/apiversion"), (401, "Invalid API key\n".into()));
    assert_eq!(server.terminate(), Some(0), "a stop signal is a clean exit");

    // Data written between two runs is there on the next start.
    let mut settings = crate::helpers::test_settings();
    database.configure(&mut settings);
    let db = gatehouse::db::Db::connect(&settings).await.unwrap();
    let gatehouse::db::Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    sqlx::query("INSERT INTO apps (app_id, created_at_time) VALUES ('kept', 1)")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO tenants (app_id, tenant_id, created_at_time) VALUES ('kept', 'public', 1)",
    )
    .execute(pool)
    .await
    .unwrap();
    db.close().await;

    let server = start(&env);
    let with_key = Command::new("curl")
        .args([
            "-s",
            "-H",
            &format!("api-key: {key}"),
            &format!("{}/appid-kept/telemetry", server.address),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&with_key.stdout),
        r#"{"exists":false}"#
    );
    assert_eq!(server.terminate(), Some(0));
}

#[actix_web::test]
async fn healthcheck_asks_the_configured_server() {
    let database = TestDatabase::create(crate::helpers::Backend::Sqlite).await;
    let TestDatabase::Sqlite(path) = &database else {
        unreachable!()
    };
    let path = path.display().to_string();
    let env = [("SQLITE_PATH", path.as_str()), ("BASE_PATH", "/auth-core")];
    let server = start(&env);
    let port = server.address.rsplit(':').next().unwrap().to_string();
    // The same settings as `start`, here the environment's BASE_PATH plus the port flag.
    let healthy = run(&["healthcheck", "--port", &port], &env);
    let stdout = String::from_utf8_lossy(&healthy.stdout);
    assert_eq!(healthy.status.code(), Some(0), "{healthy:?}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("/auth-core/hello answered 200"), "{stdout}");

    let no_base_path = run(
        &["healthcheck", "--port", &port, "--host", "0.0.0.0"],
        &[("SQLITE_PATH", &path)],
    );
    assert_eq!(no_base_path.status.code(), Some(1), "{no_base_path:?}");
    let stderr = String::from_utf8_lossy(&no_base_path.stderr);
    assert!(
        stderr.contains("127.0.0.1") && stderr.contains("answered 404"),
        "{stderr}"
    );
    assert_eq!(server.terminate(), Some(0));

    // Nothing listens on a port just released.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port().to_string();
    drop(free);
    let down = run(
        &["healthcheck", "--port", &port, "--host", "127.0.0.1"],
        &env,
    );
    assert_eq!(down.status.code(), Some(1), "{down:?}");
    let stderr = String::from_utf8_lossy(&down.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("failed"), "{stderr}");
}

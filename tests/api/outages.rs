//! PostgreSQL out of reach: clear start-up errors without secrets, and a health check that
//! answers within a couple of seconds.

use std::time::{Duration, Instant};

use gatehouse::config::Secret;
use gatehouse::startup::Application;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};

use crate::cli::run;
use crate::helpers::{postgres_available, send, test_settings, Backend, TestDatabase};

#[test]
fn start_up_says_what_failed_without_the_password() {
    let refused = run(
        &["--port", "0"],
        &[(
            "POSTGRESQL_CONNECTION_URI",
            "postgresql://gatehouse:very-secret-pw@127.0.0.1:1/gatehouse",
        )],
    );
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert_eq!(
        stderr.trim(),
        "gatehouse: could not connect to PostgreSQL at 127.0.0.1:1: Connection refused (os error 111)"
    );

    let unwritable = run(
        &["--port", "0"],
        &[("SQLITE_PATH", "/nonexistent/dir/gatehouse.db")],
    );
    assert_eq!(unwritable.status.code(), Some(1));
    let stderr = String::from_utf8(unwritable.stderr).unwrap();
    assert!(
        stderr.contains("/nonexistent/dir/gatehouse.db") && stderr.contains("writable by the user"),
        "{stderr}"
    );
}

#[actix_web::test]
async fn a_missing_database_is_named_once() {
    if !postgres_available("a_missing_database_is_named_once").await {
        return;
    }
    let url = crate::helpers::admin_url();
    let (server, _) = url.rsplit_once('/').unwrap();
    let missing = run(
        &["--port", "0"],
        &[(
            "POSTGRESQL_CONNECTION_URI",
            &format!("{server}/gatehouse_no_such_db"),
        )],
    );
    let stderr = String::from_utf8(missing.stderr).unwrap();
    assert_eq!(
        stderr
            .matches("database \"gatehouse_no_such_db\" does not exist")
            .count(),
        1,
        "{stderr}"
    );
}

/// Forwards connections to PostgreSQL until aborted; aborting drops every connection.
async fn proxy(target: String) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            let target = target.clone();
            connections.spawn(async move {
                if let Ok(mut server) = TcpStream::connect(target).await {
                    let _ = copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    (port, task)
}

#[actix_web::test]
async fn hello_answers_within_seconds_when_postgresql_is_gone() {
    if !postgres_available("hello_answers_within_seconds_when_postgresql_is_gone").await {
        return;
    }
    let database = TestDatabase::create(Backend::Postgres).await;
    let TestDatabase::Postgres { url, .. } = &database else {
        unreachable!()
    };
    let parsed = url::Url::parse(url).unwrap();
    let target = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432)
    );
    let (port, forwarding) = proxy(target).await;
    let mut through_proxy = parsed.clone();
    through_proxy.set_port(Some(port)).unwrap();
    let mut settings = test_settings();
    database.configure(&mut settings);
    settings.postgresql_connection_uri = Some(Secret::new(through_proxy.to_string()));
    let app = Application::build(settings).await.unwrap();
    let hello = format!("http://127.0.0.1:{}/hello", app.port());
    app.spawn();
    let client = awc::Client::default();
    assert_eq!(send(client.get(&hello), None).await.status, 200);

    forwarding.abort();
    let _ = forwarding.await;
    // Past the one second a successful check is trusted for.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let started = Instant::now();
    let reply = send(client.get(&hello), None).await;
    assert_eq!(reply.status, 500, "{reply:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

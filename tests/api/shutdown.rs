//! Stopping under load: every request in flight on every worker finishes before the database
//! pool closes; past the grace period, the requests cut off are named and the exit is clean.

use std::process::Command;
use std::thread::JoinHandle;
use std::time::Duration;

use sqlx::{Connection, PgConnection};

use crate::cli::{start, Running};
use crate::helpers::{postgres_available, Backend, TestDatabase};

/// Sends a JSON request with curl on its own thread: (status, body).
fn send_in_background(
    server: &Running,
    method: &str,
    path: &str,
    body: String,
) -> JoinHandle<(u16, String)> {
    let url = format!("{}{path}", server.address);
    let method = method.to_string();
    std::thread::spawn(move || {
        let output = Command::new("curl")
            .args(["-s", "-X", &method, "-H", "content-type: application/json"])
            .args(["-d", &body, "-w", "\n%{http_code}", &url])
            .output()
            .expect("curl runs");
        let text = String::from_utf8(output.stdout).unwrap();
        let (body, status) = text.rsplit_once('\n').unwrap();
        (status.parse().unwrap_or(0), body.to_string())
    })
}

/// A server on a fresh PostgreSQL database, and a connection that holds a lock on user
/// `u1`'s metadata row, so that an update of it waits as long as the test wants.
async fn server_with_a_locked_row(grace_seconds: &str) -> (Running, PgConnection, TestDatabase) {
    let database = TestDatabase::create(Backend::Postgres).await;
    let TestDatabase::Postgres { url, .. } = &database else {
        unreachable!()
    };
    let server = start(&[
        ("POSTGRESQL_CONNECTION_URI", url.as_str()),
        ("SHUTDOWN_GRACE_PERIOD_SECONDS", grace_seconds),
        ("LOG_LEVEL", "INFO"),
    ]);
    let created = send_in_background(
        &server,
        "PUT",
        "/recipe/user/metadata",
        r#"{"userId": "u1", "metadataUpdate": {"n": 0}}"#.into(),
    )
    .join()
    .unwrap();
    assert_eq!(created.0, 200, "{created:?}");
    let mut lock = PgConnection::connect(url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut lock).await.unwrap();
    sqlx::query("SELECT 1 FROM user_metadata WHERE user_id = 'u1' FOR UPDATE")
        .execute(&mut lock)
        .await
        .unwrap();
    (server, lock, database)
}

fn update_body(n: u32) -> String {
    format!(r#"{{"userId": "u1", "metadataUpdate": {{"n": {n}}}}}"#)
}

#[actix_web::test]
async fn requests_in_flight_on_every_worker_finish_after_sigterm() {
    if !postgres_available("requests_in_flight_on_every_worker_finish_after_sigterm").await {
        return;
    }
    let (mut server, mut lock, _database) = server_with_a_locked_row("20").await;
    let waiting = send_in_background(&server, "PUT", "/recipe/user/metadata", update_body(1));
    let sign_ups: Vec<_> = (0..20)
        .map(|i| {
            let body = format!(r#"{{"email": "u{i}@example.com", "password": "password123"}}"#);
            send_in_background(&server, "POST", "/recipe/signup", body)
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.send_sigterm();
    // The stop waits for the update held by the lock, whichever worker runs it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();

    let (status, body) = waiting.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""n":1"#), "{body}");
    for sign_up in sign_ups {
        let (status, body) = sign_up.join().unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(r#""status":"OK""#), "{body}");
    }
    assert_eq!(server.wait_for_exit(Duration::from_secs(10)), Some(0));
    let log = server.log().join("\n");
    assert!(
        !log.contains("Internal") && !log.contains("panicked"),
        "{log}"
    );
}

#[actix_web::test]
async fn requests_still_running_after_the_grace_period_are_named_and_cut_off() {
    if !postgres_available("requests_still_running_after_the_grace_period_are_named_and_cut_off")
        .await
    {
        return;
    }
    let (mut server, mut lock, database) = server_with_a_locked_row("1").await;
    let waiting = send_in_background(&server, "PUT", "/recipe/user/metadata", update_body(2));
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.send_sigterm();
    assert_eq!(server.wait_for_exit(Duration::from_secs(5)), Some(1));
    let log = server.log().join("\n");
    assert!(
        log.contains("request cut off") && log.contains("/recipe/user/metadata"),
        "{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    // The client saw its connection end, not an answer.
    assert_eq!(waiting.join().unwrap().0, 0);
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();

    // The cut-off update never committed.
    let TestDatabase::Postgres { url, .. } = &database else {
        unreachable!()
    };
    let mut check = PgConnection::connect(url).await.unwrap();
    let stored: String =
        sqlx::query_scalar("SELECT user_metadata FROM user_metadata WHERE user_id = 'u1'")
            .fetch_one(&mut check)
            .await
            .unwrap();
    assert!(stored.contains(r#""n":0"#), "{stored}");
}

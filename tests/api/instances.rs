//! Several gatehouse processes on one PostgreSQL database act as one service.

use gatehouse::startup::Application;

use crate::helpers::{postgres_available, send, test_settings, Backend, TestDatabase};

#[actix_web::test]
async fn instances_starting_together_share_one_database() {
    if !postgres_available("instances_starting_together_share_one_database").await {
        return;
    }
    let database = TestDatabase::create(Backend::Postgres).await;
    let mut settings = test_settings();
    database.configure(&mut settings);

    // Both migrate at the same moment; the advisory lock lets exactly one apply each step.
    let (first, second) = tokio::join!(
        Application::build(settings.clone()),
        Application::build(settings.clone())
    );
    let (first, second) = (
        first.expect("first instance"),
        second.expect("second instance"),
    );
    let addresses = [first.port(), second.port()].map(|port| format!("http://127.0.0.1:{port}"));
    first.spawn();
    second.spawn();

    let client = awc::Client::default();
    for address in &addresses {
        let reply = send(client.get(format!("{address}/hello")), None).await;
        assert_eq!((reply.status, reply.body.as_str()), (200, "Hello"));
    }
    let db = gatehouse::db::Db::connect(&settings).await.unwrap();
    let gatehouse::db::Db::Postgres(pool) = &db else {
        unreachable!()
    };
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await
        .unwrap();
    let shipped = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    assert_eq!(applied as usize, shipped, "each migration applied once");
    db.close().await;
}

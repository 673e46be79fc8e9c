//! Several gatehouse processes on one PostgreSQL database act as one service.

use gatehouse::startup::Application;
use serde_json::{json, Value};

use crate::helpers::{postgres_available, send, test_settings, Backend, TestApp, TestDatabase};

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

/// Sessions made by one instance work on another: verify, refresh, revoke.
#[actix_web::test]
async fn sessions_move_between_instances() {
    if !postgres_available("sessions_move_between_instances").await {
        return;
    }
    let first = TestApp::spawn(Backend::Postgres).await;
    let second = first.sibling().await;
    let create = json!({ "userId": "u1", "enableAntiCsrf": false, "userDataInJWT": {}, "userDataInDatabase": {} });
    let created = first.post("/recipe/session", &create).await.json();
    let verify = |token: &Value, check_database: bool| json!({ "accessToken": token, "doAntiCsrfCheck": false, "enableAntiCsrf": false, "checkDatabase": check_database });
    assert_eq!(
        second
            .post(
                "/recipe/session/verify",
                &verify(&created["accessToken"]["token"], true)
            )
            .await
            .json()["status"],
        "OK"
    );
    let refresh = json!({ "refreshToken": created["refreshToken"]["token"], "enableAntiCsrf": false, "useDynamicSigningKey": true });
    let refreshed = second
        .post("/recipe/session/refresh", &refresh)
        .await
        .json();
    assert_eq!(refreshed["status"], "OK");
    assert_eq!(
        first
            .post(
                "/recipe/session/verify",
                &verify(&refreshed["accessToken"]["token"], false)
            )
            .await
            .json()["status"],
        "OK"
    );

    let handle = created["session"]["handle"].clone();
    first
        .post(
            "/recipe/session/remove",
            &json!({ "sessionHandles": [handle] }),
        )
        .await
        .json();
    let after = second
        .post(
            "/recipe/session/verify",
            &verify(&refreshed["accessToken"]["token"], true),
        )
        .await
        .json();
    assert_eq!(
        after["status"], "UNAUTHORISED",
        "a revocation on one instance holds on the other at once"
    );
    let again = json!({ "refreshToken": refreshed["refreshToken"]["token"], "enableAntiCsrf": false, "useDynamicSigningKey": true });
    assert_eq!(
        second.post("/recipe/session/refresh", &again).await.json()["status"],
        "UNAUTHORISED"
    );
}

/// When a period ends, instances racing for the next key create exactly one, and tokens
/// signed with the old key keep verifying everywhere.
#[actix_web::test]
async fn key_rotation_happens_once_and_old_tokens_keep_verifying() {
    if !postgres_available("key_rotation_happens_once_and_old_tokens_keep_verifying").await {
        return;
    }
    let first = TestApp::spawn_with(Backend::Postgres, |s| {
        s.access_token_dynamic_signing_key_update_interval = 1.0
    })
    .await;
    let create = json!({ "userId": "u1", "enableAntiCsrf": false, "userDataInJWT": {}, "userDataInDatabase": {} });
    let old = first.post("/recipe/session", &create).await.json();
    let kid = |reply: &Value| {
        let header = reply["accessToken"]["token"]
            .as_str()
            .unwrap()
            .split('.')
            .next()
            .unwrap()
            .to_string();
        let header: Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header)
                .unwrap(),
        )
        .unwrap();
        header["kid"].as_str().unwrap().to_string()
    };
    // The key's period ends: move it one period into the past, as an hour passing would.
    let db = first.db().await;
    gatehouse::with_pool!(&db, pool => {
        sqlx::query("UPDATE signing_keys SET valid_from = valid_from - 3600000 WHERE dynamic = TRUE").execute(pool).await.unwrap();
    });

    let (second, third) = tokio::join!(first.sibling(), first.sibling());
    let (a, b) = tokio::join!(
        second.post("/recipe/session", &create),
        third.post("/recipe/session", &create)
    );
    let (a, b) = (a.json(), b.json());
    assert_eq!(
        kid(&a),
        kid(&b),
        "both instances sign with the same new key"
    );
    assert_ne!(kid(&a), kid(&old));
    let dynamic_keys: i64 = gatehouse::with_pool!(&db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM signing_keys WHERE dynamic = TRUE AND valid_from <= $1")
            .bind(gatehouse::db::now_millis()).fetch_one(pool).await.unwrap()
    });
    assert_eq!(
        dynamic_keys, 2,
        "one key per period, however many instances ask"
    );

    let verify = json!({ "accessToken": old["accessToken"]["token"], "doAntiCsrfCheck": false, "enableAntiCsrf": false, "checkDatabase": false });
    assert_eq!(
        third.post("/recipe/session/verify", &verify).await.json()["status"],
        "OK",
        "the old key still verifies"
    );
    let jwks = third.get("/.well-known/jwks.json").await.json();
    let kids: Vec<String> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kids,
        [kid(&a), kid(&old)],
        "newest first, the old one still published"
    );
}

/// A token signed with a key another instance has just created verifies at once, even right
/// after a look-up of an unknown key id (which used to hold further reloads back a second).
#[actix_web::test]
async fn a_key_created_by_another_instance_is_found_on_first_use() {
    if !postgres_available("a_key_created_by_another_instance_is_found_on_first_use").await {
        return;
    }
    let first = TestApp::spawn(Backend::Postgres).await;
    let second = first.sibling().await;
    let verify = |token: &Value| json!({ "accessToken": token, "doAntiCsrfCheck": false, "enableAntiCsrf": false, "checkDatabase": false });
    let session = |dynamic: bool| json!({ "userId": "u1", "enableAntiCsrf": false, "userDataInJWT": {}, "userDataInDatabase": {}, "useDynamicSigningKey": dynamic });

    // The first instance knows the dynamic key, and has just missed on a made-up key id.
    let own = first.post("/recipe/session", &session(true)).await.json();
    let token = own["accessToken"]["token"].as_str().unwrap();
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    use base64::Engine as _;
    parts[0] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(r#"{"alg":"RS256","typ":"JWT","version":"5","kid":"s-unknown"}"#);
    let forged = first
        .post("/recipe/session/verify", &verify(&json!(parts.join("."))))
        .await
        .json();
    assert_eq!(forged["status"], "TRY_REFRESH_TOKEN", "{forged}");

    // The second instance creates the app's static key now; the first verifies its token.
    let other = second.post("/recipe/session", &session(false)).await.json();
    let verified = first
        .post(
            "/recipe/session/verify",
            &verify(&other["accessToken"]["token"]),
        )
        .await
        .json();
    assert_eq!(verified["status"], "OK", "{verified}");
}

#[actix_web::test]
async fn apps_and_tenants_created_on_one_instance_serve_on_the_other() {
    if !postgres_available("apps_and_tenants_created_on_one_instance_serve_on_the_other").await {
        return;
    }
    let first = TestApp::spawn(Backend::Postgres).await;
    let second = first.sibling().await;
    let created = first
        .put("/recipe/multitenancy/app/v2", &json!({ "appId": "shared" }))
        .await
        .json();
    assert_eq!(created["createdNew"], true);
    let tenant = second
        .put(
            "/appid-shared/recipe/multitenancy/tenant/v2",
            &json!({ "tenantId": "t1", "firstFactors": ["emailpassword"] }),
        )
        .await
        .json();
    assert_eq!(tenant, json!({ "status": "OK", "createdNew": true }));
    let signed_up = first
        .post(
            "/appid-shared/t1/recipe/signup",
            &json!({ "email": "both@example.com", "password": "pw" }),
        )
        .await
        .json();
    assert_eq!(signed_up["status"], "OK");
    let removed = second
        .post(
            "/appid-shared/recipe/multitenancy/tenant/remove",
            &json!({ "tenantId": "t1" }),
        )
        .await
        .json();
    assert_eq!(removed["didExist"], true);
    first
        .post(
            "/appid-shared/t1/recipe/signin",
            &json!({ "email": "both@example.com", "password": "pw" }),
        )
        .await
        .assert_error(400, "AppId or tenantId not found => Tenant with the following connectionURIDomain, appId and tenantId combination not found: (, shared, t1)");
}

//! Input that must be refused before it reaches storage, and answers that must stay correct
//! when a side effect fails (found by fuzzing and fault injection).

use actix_web::http::Method;
use serde_json::json;

use crate::helpers::{send, TestApp};
use crate::on_both_backends;

const TABLES: [&str; 6] = [
    "users",
    "user_metadata",
    "roles",
    "dashboard_users",
    "signing_keys",
    "emailverification_tokens",
];

async fn row_counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push(app.count_rows(table).await);
    }
    counts
}

on_both_backends!(an_unknown_app_gets_400_and_creates_nothing, |backend| {
    let app = TestApp::spawn(backend).await;
    let before = row_counts(&app).await;
    for path in [
        "/appid-x/.well-known/jwks.json",
        "/appid-x/t1/.well-known/jwks.json",
        "/t1/.well-known/jwks.json",
    ] {
        let reply = send(app.bare(Method::GET, path), None).await;
        assert_eq!(reply.status, 400, "{path}: {reply:?}");
        assert!(
            reply.body.starts_with("AppId or tenantId not found"),
            "{path}: {reply:?}"
        );
    }
    assert_eq!(row_counts(&app).await, before, "nothing was created");
    // The default app still publishes its keys to anyone.
    let reply = send(app.bare(Method::GET, "/.well-known/jwks.json"), None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
});

on_both_backends!(
    nul_characters_are_refused_by_name_on_both_databases,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let before = row_counts(&app).await;
        let refused =
            |field: &str| format!("Field name '{field}' must not contain the NUL character");

        app.get("/recipe/role/permissions?role=%00")
            .await
            .assert_error(400, &refused("role"));
        app.get("/recipe/user/metadata?userId=a%00b")
            .await
            .assert_error(400, &refused("userId"));
        app.post(
            "/recipe/signup",
            &json!({ "email": "a\u{0}b@example.com", "password": "password123" }),
        )
        .await
        .assert_error(400, &refused("email"));
        app.put(
            "/recipe/user/metadata",
            &json!({ "userId": "u\u{0}", "metadataUpdate": { "a": 1 } }),
        )
        .await
        .assert_error(400, &refused("userId"));
        app.put(
            "/recipe/role",
            &json!({ "role": "admin", "permissions": ["read", "wr\u{0}ite"] }),
        )
        .await
        .assert_error(400, &refused("permissions"));
        app.post(
            "/recipe/dashboard/user",
            &json!({ "email": "admin@example.com", "password": "pass\u{0}word123" }),
        )
        .await
        .assert_error(400, &refused("password"));
        app.post(
            "/recipe/user/email/verify/token",
            &json!({ "userId": "u1", "email": "u\u{0}@example.com" }),
        )
        .await
        .assert_error(400, &refused("email"));
        assert_eq!(row_counts(&app).await, before, "nothing was written");

        // A NUL inside a JSON value is stored as JSON text: it round-trips on both databases.
        let update = json!({ "userId": "u1", "metadataUpdate": { "note": "a\u{0}b" } });
        assert_eq!(
            app.put("/recipe/user/metadata", &update).await.json()["status"],
            "OK"
        );
        assert_eq!(
            app.get("/recipe/user/metadata?userId=u1").await.json()["metadata"]["note"],
            "a\u{0}b"
        );
    }
);

on_both_backends!(every_stored_field_is_length_checked, |backend| {
    let app = TestApp::spawn(backend).await;
    let before = row_counts(&app).await;
    let user_id = "u".repeat(129);
    let email = format!("{}@example.com", "e".repeat(245));
    assert_eq!(email.len(), 257);
    let too_long =
        |field: &str, max: usize| format!("Field name '{field}' must be at most {max} characters");

    app.put(
        "/recipe/user/metadata",
        &json!({ "userId": user_id, "metadataUpdate": { "a": 1 } }),
    )
    .await
    .assert_error(400, &too_long("userId", 128));
    app.get(&format!("/recipe/user/metadata?userId={user_id}"))
        .await
        .assert_error(400, &too_long("userId", 128));
    app.post(
        "/recipe/dashboard/user",
        &json!({ "email": email, "password": "password123" }),
    )
    .await
    .assert_error(400, &too_long("email", 256));
    app.post(
        "/recipe/dashboard/signin",
        &json!({ "email": email, "password": "password123" }),
    )
    .await
    .assert_error(400, &too_long("email", 256));
    app.post(
        "/recipe/signup",
        &json!({ "email": email, "password": "password123" }),
    )
    .await
    .assert_error(400, &too_long("email", 256));
    app.put("/recipe/role", &json!({ "role": "r".repeat(256) }))
        .await
        .assert_error(400, &too_long("role", 255));
    assert_eq!(row_counts(&app).await, before, "nothing was written");

    // newEmail of an existing dashboard user.
    let created = app
        .post(
            "/recipe/dashboard/user",
            &json!({ "email": "admin@example.com", "password": "password123" }),
        )
        .await
        .json();
    assert_eq!(created["status"], "OK", "{created}");
    app.put(
        "/recipe/dashboard/user",
        &json!({ "email": "admin@example.com", "newEmail": email }),
    )
    .await
    .assert_error(400, &too_long("newEmail", 256));

    // The longest values that fit are stored.
    let longest = "u".repeat(128);
    let update = json!({ "userId": longest, "metadataUpdate": { "a": 1 } });
    assert_eq!(
        app.put("/recipe/user/metadata", &update).await.json()["status"],
        "OK"
    );
});

on_both_backends!(jwt_validities_that_overflow_are_refused, |backend| {
    let app = TestApp::spawn(backend).await;
    let body = |validity: i64| json!({ "payload": {}, "algorithm": "RS256", "jwksDomain": "http://localhost", "validity": validity });
    for validity in [i64::MAX, i64::MAX / 1000, 1 << 53] {
        let reply = app.post("/recipe/jwt", &body(validity)).await;
        assert_eq!(reply.status, 400, "{validity}: {reply:?}");
        assert!(
            reply.body.starts_with("validity must be at most"),
            "{reply:?}"
        );
    }
    // A century is fine, and its expiry is in the future.
    let century = 100 * 365 * 24 * 3600;
    let jwt = app.post("/recipe/jwt", &body(century)).await.json()["jwt"]
        .as_str()
        .unwrap()
        .to_string();
    let claims = jwt.split('.').nth(1).unwrap();
    use base64::Engine as _;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap();
    let expires = claims["exp"].as_i64().unwrap();
    assert!(
        expires > gatehouse::db::now_millis() / 1000 + century - 10,
        "{claims}"
    );
});

on_both_backends!(
    a_failed_last_active_write_does_not_fail_sign_in,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let db = app.db().await;
        gatehouse::with_pool!(&db, pool => {
            sqlx::query("DROP TABLE user_last_active").execute(pool).await.unwrap();
        });
        db.close().await;
        let credentials = json!({ "email": "a@example.com", "password": "password123" });
        let signed_up = app.post("/recipe/signup", &credentials).await.json();
        assert_eq!(signed_up["status"], "OK", "{signed_up}");
        let signed_in = app.post("/recipe/signin", &credentials).await.json();
        assert_eq!(signed_in["status"], "OK", "{signed_in}");
        assert_eq!(signed_in["user"]["id"], signed_up["user"]["id"]);
    }
);

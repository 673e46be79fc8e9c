//! Settings of apps and tenants (`coreConfig`): upstream's checks and texts, reading them
//! back, and their effect on sessions, tokens, password hashing, API keys and the dashboard.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::{send, TestApp};
use crate::on_both_backends;

async fn put_app(app: &TestApp, body: Value) -> Value {
    app.put("/recipe/multitenancy/app/v2", &body).await.json()
}

async fn put_tenant(app: &TestApp, prefix: &str, body: Value) -> Value {
    app.put(&format!("{prefix}/recipe/multitenancy/tenant/v2"), &body)
        .await
        .json()
}

fn created() -> Value {
    json!({ "status": "OK", "createdNew": true })
}

on_both_backends!(
    settings_are_checked_with_upstreams_texts_in_its_order,
    |backend| {
        let app = TestApp::spawn(backend).await;
        assert_eq!(
            put_app(
                &app,
                json!({ "appId": "a1", "coreConfig": { "access_token_validity": 600 } })
            )
            .await,
            created()
        );
        for (body, message) in [
        (json!({ "tenantId": "t1", "coreConfig": { "no_such_key": 1, "port": 1 } }), "Invalid core config: Invalid config key: no_such_key"),
        (json!({ "tenantId": "t1", "coreConfig": { "access_token_validity": "soon" } }), "Invalid core config: 'access_token_validity' must be of type long"),
        (json!({ "tenantId": "t1", "coreConfig": { "access_token_blacklisting": "maybe" } }), "Invalid core config: 'access_token_blacklisting' must be of type boolean"),
        (json!({ "tenantId": "t1", "coreConfig": { "access_token_validity": 0 } }), "Invalid core config: 'access_token_validity' must be between 1 and 86400000 seconds inclusive."),
        (json!({ "tenantId": "t1", "coreConfig": { "refresh_token_validity": 5 } }), "Invalid core config: 'refresh_token_validity' must be strictly greater than 'access_token_validity'."),
        (json!({ "tenantId": "t1", "coreConfig": { "password_reset_token_lifetime": 0 } }), "Invalid core config: 'password_reset_token_lifetime' must be >= 0"),
        (json!({ "tenantId": "t1", "coreConfig": { "password_hashing_alg": "md5" } }), "Invalid core config: 'password_hashing_alg' must be one of 'ARGON2' or 'BCRYPT'"),
        (json!({ "tenantId": "t1", "coreConfig": { "api_keys": "short" } }), "Invalid core config: One of the API keys is too short. Please use at least 20 characters"),
        (json!({ "tenantId": "t1", "coreConfig": { "access_token_validity": 900 } }), "Invalid core config: You cannot set different values for access_token_validity for the same appId"),
        (json!({ "tenantId": "t1", "coreConfig": { "port": 4000 } }), "Invalid core config: port can only be set via the core's base config setting"),
        (json!({ "tenantId": "t1", "coreConfig": { "postgresql_connection_uri": "postgresql://elsewhere" } }), "Invalid core config: postgresql_connection_uri can only be set via the core's base config setting"),
    ] {
        app.put("/appid-a1/recipe/multitenancy/tenant/v2", &body)
            .await
            .assert_error(400, message);
    }
        // A refused config writes nothing: the tenant was not created.
        assert_eq!(app.count_rows("tenants").await, 2);
        // The app's own value may be repeated, and tenant-level keys differ freely.
        let tenant = put_tenant(
        &app,
        "/appid-a1",
        json!({ "tenantId": "t1", "coreConfig": { "access_token_validity": "600", "email_verification_token_lifetime": 1000 } }),
    )
    .await;
        assert_eq!(tenant, created());
        // Now the app cannot move away from what its tenant pins.
        app.put(
        "/recipe/multitenancy/app/v2",
        &json!({ "appId": "a1", "coreConfig": { "access_token_validity": 60 } }),
    )
    .await
    .assert_error(
        400,
        "Invalid core config: You cannot set different values for access_token_validity for the same appId",
    );
        // The public app's public tenant runs on the instance's file.
        app.put(
            "/recipe/multitenancy/app/v2",
            &json!({ "appId": "public", "coreConfig": { "access_token_validity": 60 } }),
        )
        .await
        .assert_error(400, "Cannot modify base config");
    }
);

on_both_backends!(
    settings_are_read_back_as_given_and_null_removes_one,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let config = json!({ "access_token_validity": 7200, "password_hashing_alg": "ARGON2" });
        put_app(&app, json!({ "appId": "a1", "coreConfig": config })).await;
        let read = app
            .get("/appid-a1/recipe/multitenancy/tenant/v2")
            .await
            .json();
        assert_eq!(read["coreConfig"], config);
        let listed = app.get("/recipe/multitenancy/app/list/v2").await.json();
        assert_eq!(listed["apps"][0]["appId"], "a1");
        assert_eq!(listed["apps"][0]["tenants"][0]["coreConfig"], config);
        // Fields left out keep their values; null removes one; others are added.
        put_app(
        &app,
        json!({ "appId": "a1", "coreConfig": { "password_hashing_alg": null, "disable_telemetry": true } }),
    )
    .await;
        let read = app
            .get("/appid-a1/recipe/multitenancy/tenant/v2")
            .await
            .json();
        assert_eq!(
            read["coreConfig"],
            json!({ "access_token_validity": 7200, "disable_telemetry": true })
        );
        put_app(
            &app,
            json!({ "appId": "a1", "firstFactors": ["emailpassword"] }),
        )
        .await;
        let read = app
            .get("/appid-a1/recipe/multitenancy/tenant/v2")
            .await
            .json();
        assert_eq!(read["coreConfig"]["access_token_validity"], 7200);
    }
);

async fn create_session(app: &TestApp, prefix: &str) -> Value {
    let reply = app
        .post(
            &format!("{prefix}/recipe/session"),
            &json!({ "userId": "u1", "userDataInJWT": {}, "userDataInDatabase": {}, "enableAntiCsrf": false }),
        )
        .await
        .json();
    assert_eq!(reply["status"], "OK", "{reply}");
    reply
}

fn lifetime_ms(token: &Value) -> i64 {
    token["expiry"].as_i64().unwrap() - token["createdTime"].as_i64().unwrap()
}

on_both_backends!(sessions_follow_their_apps_token_lifetimes, |backend| {
    let app = TestApp::spawn(backend).await;
    put_app(
        &app,
        json!({ "appId": "a1", "coreConfig": { "access_token_validity": 120, "refresh_token_validity": 3 } }),
    )
    .await;
    put_tenant(&app, "/appid-a1", json!({ "tenantId": "t1" })).await;
    for prefix in ["/appid-a1", "/appid-a1/t1"] {
        let session = create_session(&app, prefix).await;
        assert_eq!(lifetime_ms(&session["accessToken"]), 120_000, "{prefix}");
        assert_eq!(lifetime_ms(&session["refreshToken"]), 180_000, "{prefix}");
    }
    // Other apps keep the instance's lifetimes.
    let session = create_session(&app, "").await;
    assert_eq!(lifetime_ms(&session["accessToken"]), 3_600_000);
    assert_eq!(lifetime_ms(&session["refreshToken"]), 144_000 * 60_000);
});

on_both_backends!(tenants_set_their_own_token_lifetimes, |backend| {
    let app = TestApp::spawn(backend).await;
    put_tenant(
        &app,
        "",
        json!({ "tenantId": "quick", "firstFactors": ["emailpassword"], "coreConfig": { "email_verification_token_lifetime": 1, "password_reset_token_lifetime": 1 } }),
    )
    .await;
    put_tenant(
        &app,
        "",
        json!({ "tenantId": "slow", "firstFactors": ["emailpassword"] }),
    )
    .await;
    let user = app.sign_up("a@example.com", "password123").await;
    let user_id = user["id"].as_str().unwrap();
    for tenant in ["quick", "slow"] {
        let associated = app
            .post(
                &format!("/{tenant}/recipe/multitenancy/tenant/user"),
                &json!({ "recipeUserId": user_id }),
            )
            .await
            .json();
        assert_eq!(associated["status"], "OK");
    }
    let mut answers = Vec::new();
    for tenant in ["quick", "slow"] {
        let verification = app
            .post(
                &format!("/{tenant}/recipe/user/email/verify/token"),
                &json!({ "userId": user_id, "email": "a@example.com" }),
            )
            .await
            .json();
        let reset = app
            .post(
                &format!("/{tenant}/recipe/user/password/reset/token"),
                &json!({ "userId": user_id, "email": "a@example.com" }),
            )
            .await
            .json();
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        let verified = app
            .post(
                &format!("/{tenant}/recipe/user/email/verify"),
                &json!({ "method": "token", "token": verification["token"] }),
            )
            .await
            .json();
        let consumed = app
            .post(
                &format!("/{tenant}/recipe/user/password/reset/token/consume"),
                &json!({ "method": "token", "token": reset["token"] }),
            )
            .await
            .json();
        answers.push((verified["status"].clone(), consumed["status"].clone()));
    }
    assert_eq!(
        answers,
        [
            (
                json!("EMAIL_VERIFICATION_INVALID_TOKEN_ERROR"),
                json!("RESET_PASSWORD_INVALID_TOKEN_ERROR")
            ),
            (json!("OK"), json!("OK")),
        ]
    );
});

on_both_backends!(an_app_hashes_new_passwords_with_its_algorithm, |backend| {
    let app = TestApp::spawn(backend).await;
    put_app(
        &app,
        json!({ "appId": "a1", "coreConfig": { "password_hashing_alg": "ARGON2" } }),
    )
    .await;
    for prefix in ["", "/appid-a1"] {
        let reply = app
            .post(
                &format!("{prefix}/recipe/signup"),
                &json!({ "email": "a@example.com", "password": "password123" }),
            )
            .await
            .json();
        assert_eq!(reply["status"], "OK");
        let signed_in = app
            .post(
                &format!("{prefix}/recipe/signin"),
                &json!({ "email": "a@example.com", "password": "password123" }),
            )
            .await
            .json();
        assert_eq!(signed_in["status"], "OK", "{prefix}");
    }
    let db = app.db().await;
    let hashes: Vec<(String, String)> = gatehouse::with_pool!(&db, pool => {
        sqlx::query_as("SELECT app_id, password_hash FROM emailpassword_users ORDER BY app_id")
            .fetch_all(pool)
            .await
            .unwrap()
    });
    assert!(
        hashes[0].0 == "a1" && hashes[0].1.starts_with("$argon2id$"),
        "{hashes:?}"
    );
    assert!(
        hashes[1].0 == "public" && hashes[1].1.starts_with("$2a$"),
        "{hashes:?}"
    );
});

on_both_backends!(an_app_with_its_own_api_keys_accepts_only_them, |backend| {
    let instance_key = "instance-key-0123456789";
    let app = TestApp::spawn_with(backend, |s| {
        s.api_keys = Some(gatehouse::config::Secret::new(instance_key))
    })
    .await;
    let app_key = "app-a1-key-0123456789";
    put_app(
        &app,
        json!({ "appId": "a1", "coreConfig": { "api_keys": app_key } }),
    )
    .await;
    let status = |path: &'static str, key: Option<&'static str>| {
        let mut request = app.bare(Method::GET, path);
        if let Some(key) = key {
            request = request.insert_header(("api-key", key));
        }
        async move { send(request, None).await.status }
    };
    let tenant = "/appid-a1/recipe/multitenancy/tenant/v2";
    assert_eq!(status(tenant, Some(app_key)).await, 200);
    assert_eq!(status(tenant, Some(instance_key)).await, 401);
    assert_eq!(status(tenant, None).await, 401);
    // Its tenants share its keys; the other apps keep the instance's.
    let users = "/appid-a1/nope/users";
    assert_eq!(status(users, Some(instance_key)).await, 401);
    assert_eq!(status("/users", Some(app_key)).await, 401);
    assert_eq!(status("/users", Some(instance_key)).await, 200);
    // Removing them (null) brings back the instance's.
    let reopened = app
        .bare(Method::PUT, "/recipe/multitenancy/app/v2")
        .insert_header(("api-key", instance_key));
    let reply = send(
        reopened,
        Some(json!({ "appId": "a1", "coreConfig": { "api_keys": null } }).to_string()),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(status(tenant, Some(instance_key)).await, 200);
    assert_eq!(status(tenant, Some(app_key)).await, 401);
});

on_both_backends!(the_dashboard_shows_a_tenants_settings, |backend| {
    let app = TestApp::spawn(backend).await;
    put_app(
        &app,
        json!({ "appId": "a1", "coreConfig": { "access_token_validity": 120 } }),
    )
    .await;
    put_tenant(
        &app,
        "/appid-a1",
        json!({ "tenantId": "t1", "coreConfig": { "email_verification_token_lifetime": 5000 } }),
    )
    .await;
    let shown = app
        .get("/appid-a1/t1/recipe/dashboard/tenant/core-config")
        .await
        .json();
    let field = |key: &str| {
        shown["config"]
            .as_array()
            .unwrap()
            .iter()
            .find(|field| field["key"] == key)
            .cloned()
            .unwrap()
    };
    assert_eq!(field("access_token_validity")["value"], 120);
    assert_eq!(
        field("access_token_validity")["isDifferentAcrossTenants"],
        false
    );
    assert_eq!(field("email_verification_token_lifetime")["value"], 5000);
    assert_eq!(
        field("email_verification_token_lifetime")["isDifferentAcrossTenants"],
        true
    );
    assert_eq!(
        field("email_verification_token_lifetime")["defaultValue"],
        86_400_000
    );
});

on_both_backends!(another_instance_applies_a_new_setting_at_once, |backend| {
    let app = TestApp::spawn(backend).await;
    let sibling = app.sibling().await;
    put_app(&app, json!({ "appId": "a1" })).await;
    assert_eq!(
        lifetime_ms(&create_session(&sibling, "/appid-a1").await["accessToken"]),
        3_600_000
    );
    put_app(
        &app,
        json!({ "appId": "a1", "coreConfig": { "access_token_validity": 30 } }),
    )
    .await;
    assert_eq!(
        lifetime_ms(&create_session(&sibling, "/appid-a1").await["accessToken"]),
        30_000
    );
});

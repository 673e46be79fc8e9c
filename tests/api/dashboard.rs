//! Dashboard credentials, sessions, the free limit, licences, feature flags, throttling and
//! the dashboard-users command.

use actix_web::http::Method;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{send, TestApp, API_KEY};
use crate::on_both_backends;

/// A licence signed with the test suite's throwaway key (trusted only by test builds).
fn licence(features: &[&str], expires_at: i64) -> String {
    let der = STANDARD
        .decode(include_str!("fixtures/test-licence-key.pk8.b64").trim())
        .unwrap();
    let key = SigningKey::<Sha256>::new(RsaPrivateKey::from_pkcs8_der(&der).unwrap());
    let content = json!({ "features": features, "expiresAt": expires_at, "licensee": "tests" });
    let signed = format!("gh1.{}", URL_SAFE_NO_PAD.encode(content.to_string()));
    let signature = URL_SAFE_NO_PAD.encode(key.sign(signed.as_bytes()).to_bytes());
    format!("{signed}.{signature}")
}

fn far_future() -> i64 {
    gatehouse::db::now_millis() + 365 * 24 * 3600 * 1000
}

async fn create(app: &TestApp, email: &str) -> Value {
    app.post(
        "/recipe/dashboard/user",
        &json!({ "email": email, "password": "password123" }),
    )
    .await
    .json()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Value {
    app.post(
        "/recipe/dashboard/signin",
        &json!({ "email": email, "password": password }),
    )
    .await
    .json()
}

async fn verify(app: &TestApp, session_id: &Value) -> Value {
    app.post(
        "/recipe/dashboard/session/verify",
        &json!({ "sessionId": session_id }),
    )
    .await
    .json()
}

on_both_backends!(credentials_and_sessions, |backend| {
    let app = TestApp::spawn(backend).await;
    let created = app
        .post(
            "/recipe/dashboard/user",
            &json!({ "email": " Admin@Example.com ", "password": " password123 " }),
        )
        .await
        .json();
    assert_eq!(created["status"], "OK");
    let user = &created["user"];
    assert_eq!(user["email"], "admin@example.com");
    assert_eq!(
        user.as_object().unwrap().len(),
        3,
        "email, userId, timeJoined: {user}"
    );
    assert!(user["timeJoined"].is_i64());

    let signed_in = sign_in(&app, "ADMIN@example.com", "password123").await;
    assert_eq!(signed_in["status"], "OK");
    let session = signed_in["sessionId"].clone();
    assert_eq!(
        verify(&app, &session).await,
        json!({ "status": "OK", "email": "admin@example.com" })
    );
    assert_eq!(
        sign_in(&app, "admin@example.com", "wrong-pass1").await,
        json!({ "status": "INVALID_CREDENTIALS_ERROR" })
    );
    assert_eq!(
        sign_in(&app, "nobody@example.com", "password123").await,
        json!({ "status": "INVALID_CREDENTIALS_ERROR" })
    );
    assert_eq!(
        verify(&app, &json!("no-such-session")).await,
        json!({ "status": "INVALID_SESSION_ERROR" })
    );

    let user_id = user["userId"].as_str().unwrap();
    let sessions = app
        .get(&format!("/recipe/dashboard/user/sessions?userId={user_id}"))
        .await
        .json();
    assert_eq!(sessions["sessions"][0]["sessionId"], session);
    let lifetime = sessions["sessions"][0]["expiry"].as_i64().unwrap()
        - sessions["sessions"][0]["timeCreated"].as_i64().unwrap();
    assert_eq!(lifetime, 30 * 24 * 3600 * 1000, "30 days");

    // A new password ends every session of the user.
    let update = json!({ "email": "admin@example.com", "newPassword": "new-password1" });
    assert_eq!(
        app.put("/recipe/dashboard/user", &update).await.json()["status"],
        "OK"
    );
    assert_eq!(
        verify(&app, &session).await["status"],
        "INVALID_SESSION_ERROR"
    );
    let again = sign_in(&app, "admin@example.com", "new-password1").await;
    assert_eq!(again["status"], "OK");
    let update_email = json!({ "userId": user_id, "newEmail": "boss@example.com" });
    let updated = app
        .put("/recipe/dashboard/user", &update_email)
        .await
        .json();
    assert_eq!(updated["user"]["email"], "boss@example.com");
    assert_eq!(
        verify(&app, &again["sessionId"]).await["status"],
        "INVALID_SESSION_ERROR"
    );

    // Signing out.
    let third = sign_in(&app, "boss@example.com", "new-password1").await["sessionId"].clone();
    let revoke = send(
        app.request(
            Method::DELETE,
            &format!(
                "/recipe/dashboard/session?sessionId={}",
                third.as_str().unwrap()
            ),
        ),
        None,
    )
    .await;
    assert_eq!(revoke.json(), json!({ "status": "OK" }));
    assert_eq!(
        verify(&app, &third).await["status"],
        "INVALID_SESSION_ERROR"
    );

    // Deleting the user ends its sessions too.
    let fourth = sign_in(&app, "boss@example.com", "new-password1").await["sessionId"].clone();
    let deleted = send(
        app.request(
            Method::DELETE,
            "/recipe/dashboard/user?email=boss%40example.com",
        ),
        None,
    )
    .await;
    assert_eq!(
        deleted.json(),
        json!({ "status": "OK", "didUserExist": true })
    );
    assert_eq!(
        verify(&app, &fourth).await["status"],
        "INVALID_SESSION_ERROR"
    );
    let again = send(
        app.request(
            Method::DELETE,
            "/recipe/dashboard/user?email=boss%40example.com",
        ),
        None,
    )
    .await;
    assert_eq!(
        again.json(),
        json!({ "status": "OK", "didUserExist": false })
    );
    assert_eq!(app.count_rows("dashboard_sessions").await, 0);
});

on_both_backends!(dashboard_users_are_not_application_users, |backend| {
    let app = TestApp::spawn(backend).await;
    create(&app, "admin@example.com").await;
    assert_eq!(app.get("/users/count").await.json()["count"], 0);
    let app_sign_in = app
        .post(
            "/recipe/signin",
            &json!({ "email": "admin@example.com", "password": "password123" }),
        )
        .await
        .json();
    assert_eq!(app_sign_in["status"], "WRONG_CREDENTIALS_ERROR");
    let db = app.db().await;
    let stored: String = gatehouse::with_pool!(&db, pool => sqlx::query_scalar("SELECT password_hash FROM dashboard_users").fetch_one(pool).await.unwrap());
    assert!(
        stored.starts_with("$2a$04$"),
        "hashed like application passwords: {stored}"
    );
});

on_both_backends!(validation_answers_as_upstream, |backend| {
    let app = TestApp::spawn(backend).await;
    let post = |body: Value| {
        let app = &app;
        async move { app.post("/recipe/dashboard/user", &body).await }
    };
    assert_eq!(
        post(json!({ "email": "not-an-email" })).await.json(),
        json!({ "status": "INVALID_EMAIL_ERROR" })
    );
    let weak = post(json!({ "email": "a@example.com", "password": "short1" }))
        .await
        .json();
    assert_eq!(
        weak,
        json!({ "status": "PASSWORD_WEAK_ERROR", "message": "Password must contain at least 8 characters, including a number" })
    );
    assert_eq!(
        post(json!({ "email": "a@example.com", "password": "onlyletters" }))
            .await
            .json()["message"],
        "Password must contain at least one number"
    );
    post(json!({ "password": "password123" }))
        .await
        .assert_error(400, "Field name 'email' is invalid in JSON input");
    post(json!({ "email": "  ", "password": "password123" }))
        .await
        .assert_error(400, "Field name 'email' cannot be an empty String");
    post(json!({ "email": "a@example.com" }))
        .await
        .assert_error(400, "Field name 'password' is invalid in JSON input");
    create(&app, "a@example.com").await;
    assert_eq!(
        create(&app, "A@example.com").await,
        json!({ "status": "EMAIL_ALREADY_EXISTS_ERROR" })
    );

    let put = |body: Value| {
        let app = &app;
        async move { app.put("/recipe/dashboard/user", &body).await }
    };
    put(json!({ "newPassword": "password456" }))
        .await
        .assert_error(400, "Either field 'email' or 'userId' must be present");
    assert_eq!(
        put(json!({ "email": "zz@example.com", "newPassword": "password456" }))
            .await
            .json(),
        json!({ "status": "UNKNOWN_USER_ERROR" })
    );
    assert_eq!(
        put(json!({ "email": "a@example.com", "newEmail": "bad" }))
            .await
            .json(),
        json!({ "status": "INVALID_EMAIL_ERROR" })
    );
    assert_eq!(
        put(json!({ "email": "a@example.com", "newPassword": "weak" }))
            .await
            .json()["status"],
        "PASSWORD_WEAK_ERROR"
    );
    create(&app, "b@example.com").await;
    assert_eq!(
        put(json!({ "email": "a@example.com", "newEmail": "b@example.com" }))
            .await
            .json(),
        json!({ "status": "EMAIL_ALREADY_EXISTS_ERROR" })
    );

    send(app.request(Method::DELETE, "/recipe/dashboard/user"), None)
        .await
        .assert_error(400, "Either field 'email' or 'userId' must be present");
    send(
        app.request(Method::DELETE, "/recipe/dashboard/session"),
        None,
    )
    .await
    .assert_error(400, "Field name 'sessionId' is missing in GET request");
    app.post("/recipe/dashboard/session/verify", &json!({}))
        .await
        .assert_error(400, "Field name 'sessionId' is invalid in JSON input");
    app.post(
        "/recipe/dashboard/signin",
        &json!({ "email": "a@example.com", "password": " " }),
    )
    .await
    .assert_error(400, "Field name 'password' cannot be an empty String");
    app.get("/t1/recipe/dashboard/users")
        .await
        .assert_error(403, "Only public tenantId can call this app specific API");
    assert_eq!(app.count_rows("dashboard_users").await, 2);
});

on_both_backends!(three_free_users_then_402, |backend| {
    let app = TestApp::spawn(backend).await;
    for i in 1..=3 {
        assert_eq!(
            create(&app, &format!("user{i}@example.com")).await["status"],
            "OK"
        );
    }
    let hashes = || async {
        let metrics = app.get("/metrics").await.body;
        metrics
            .lines()
            .find_map(|line| line.strip_prefix("gatehouse_password_hashing_jobs_total "))
            .expect("the hashing counter")
            .to_string()
    };
    let hashed_before = hashes().await;
    let fourth = app
        .post(
            "/recipe/dashboard/user",
            &json!({ "email": "user4@example.com", "password": "password123" }),
        )
        .await;
    assert_eq!(hashes().await, hashed_before, "a 402 costs no hash");
    fourth.assert_error(
        402,
        "Free user limit reached. Please subscribe to a SuperTokens core license key to allow more users to access the dashboard.",
    );
    assert_eq!(
        app.count_rows("dashboard_users").await,
        3,
        "nothing written"
    );
    // A duplicate is reported as such, even at the limit.
    assert_eq!(
        create(&app, "user1@example.com").await["status"],
        "EMAIL_ALREADY_EXISTS_ERROR"
    );
});

on_both_backends!(concurrent_creations_respect_the_limit, |backend| {
    let app = TestApp::spawn(backend).await;
    let attempts = (0..6).map(|i| {
        let app = &app;
        async move {
            app.post(
                "/recipe/dashboard/user",
                &json!({ "email": format!("racer{i}@example.com"), "password": "password123" }),
            )
            .await
            .status
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|status| **status == 200).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|status| **status == 402).count(),
        3,
        "{statuses:?}"
    );
});

on_both_backends!(
    licences_lift_the_limit_and_removing_one_suspends,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let empty = app.get("/ee/featureflag").await.json();
        assert_eq!(
            empty,
            json!({ "status": "OK", "features": [], "usageStats": {} })
        );
        assert_eq!(
            app.get("/ee/license").await.json(),
            json!({ "status": "NO_LICENSE_KEY_FOUND_ERROR" })
        );

        let invalid = json!({ "status": "INVALID_LICENSE_KEY_ERROR" });
        let expired = licence(&["dashboard_login"], gatehouse::db::now_millis() - 1000);
        let mut tampered = licence(&["dashboard_login"], far_future());
        tampered.replace_range(10..11, if &tampered[10..11] == "A" { "B" } else { "A" });
        for key in [expired.as_str(), tampered.as_str(), "not-a-licence", ""] {
            assert_eq!(
                app.put("/ee/license", &json!({ "licenseKey": key }))
                    .await
                    .json(),
                invalid,
                "{key}"
            );
        }
        assert_eq!(
            app.get("/ee/license").await.json()["status"],
            "NO_LICENSE_KEY_FOUND_ERROR",
            "refusals store nothing"
        );
        app.put("/ee/license", &json!({ "other": 1 }))
            .await
            .assert_error(400, "Field name 'licenseKey' is missing in JSON input");

        let valid = licence(&["dashboard_login"], far_future());
        assert_eq!(
            app.put("/ee/license", &json!({ "licenseKey": valid }))
                .await
                .json(),
            json!({ "status": "OK" })
        );
        assert_eq!(
            app.get("/ee/license").await.json(),
            json!({ "status": "OK", "licenseKey": valid })
        );
        for i in 1..=5 {
            assert_eq!(
                create(&app, &format!("user{i}@example.com")).await["status"],
                "OK"
            );
        }
        let flags = app.get("/ee/featureflag").await.json();
        assert_eq!(flags["features"], json!(["dashboard_login"]));
        assert_eq!(
            flags["usageStats"],
            json!({ "dashboard_login": { "user_count": 5 } })
        );
        let fifth = sign_in(&app, "user5@example.com", "password123").await;
        assert_eq!(fifth["status"], "OK");
        assert_eq!(
            app.get("/recipe/dashboard/users").await.json()["users"]
                .as_array()
                .unwrap()
                .len(),
            5
        );

        // Without the licence only the three oldest may work.
        assert_eq!(
            send(app.request(Method::DELETE, "/ee/license"), None)
                .await
                .json(),
            json!({ "status": "OK" })
        );
        let users = app.get("/recipe/dashboard/users").await.json()["users"].clone();
        let emails: Vec<&str> = users
            .as_array()
            .unwrap()
            .iter()
            .map(|user| user["email"].as_str().unwrap())
            .collect();
        assert_eq!(
            emails,
            [
                "user1@example.com",
                "user2@example.com",
                "user3@example.com"
            ]
        );
        let suspended = sign_in(&app, "user5@example.com", "password123").await;
        assert_eq!(
            suspended,
            json!({ "status": "USER_SUSPENDED_ERROR", "message": "User is currently suspended, please sign in with another account, or reactivate the SuperTokens core license key" })
        );
        assert_eq!(
            verify(&app, &fifth["sessionId"]).await,
            json!({ "status": "USER_SUSPENDED_ERROR", "message": "User is suspended." })
        );
        assert_eq!(
            sign_in(&app, "user1@example.com", "password123").await["status"],
            "OK"
        );
        assert_eq!(
            app.post(
                "/recipe/dashboard/user",
                &json!({ "email": "user6@example.com", "password": "password123" })
            )
            .await
            .status,
            402
        );
    }
);

on_both_backends!(failed_sign_ins_are_throttled_per_email, |backend| {
    let app = TestApp::spawn_with(backend, |s| {
        s.dashboard_signin_max_failed_attempts = 3;
        s.dashboard_signin_throttle_window_seconds = 2;
    })
    .await;
    create(&app, "admin@example.com").await;
    create(&app, "other@example.com").await;
    for _ in 0..3 {
        assert_eq!(
            sign_in(&app, "admin@example.com", "wrong-pass1").await["status"],
            "INVALID_CREDENTIALS_ERROR"
        );
    }
    // Even the right password is refused, with the same answer, until the window passes.
    assert_eq!(
        sign_in(&app, "admin@example.com", "password123").await,
        json!({ "status": "INVALID_CREDENTIALS_ERROR" })
    );
    assert_eq!(
        sign_in(&app, "other@example.com", "password123").await["status"],
        "OK",
        "other emails are not throttled"
    );
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        sign_in(&app, "admin@example.com", "password123").await["status"],
        "OK"
    );
});

on_both_backends!(development_mode_has_every_feature, |backend| {
    // The in-memory database is SQLite-only; both halves check the same thing.
    let _ = backend;
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |_| {}).await;
    let mut settings = app.settings.clone();
    settings.sqlite_path = ":memory:".into();
    let development = gatehouse::startup::Application::build(settings)
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", development.port());
    development.spawn();
    let client = awc::Client::default();
    let flags = send(client.get(format!("{address}/ee/featureflag")), None)
        .await
        .json();
    assert_eq!(flags["features"].as_array().unwrap().len(), 8);
    for i in 1..=4 {
        let body = json!({ "email": format!("dev{i}@example.com"), "password": "password123" });
        let reply = send(
            client.post(format!("{address}/recipe/dashboard/user")),
            Some(body.to_string()),
        )
        .await;
        assert_eq!(reply.json()["status"], "OK", "no limit in development mode");
    }
});

on_both_backends!(tenants_for_the_dashboard, |backend| {
    let app = TestApp::spawn(backend).await;
    let public =
        json!({ "tenantId": "public", "thirdParty": { "providers": [] }, "coreConfig": {} });
    assert_eq!(
        app.get("/recipe/multitenancy/tenant/list/v2").await.json(),
        json!({ "status": "OK", "tenants": [public] })
    );
    assert_eq!(
        app.get("/public/recipe/multitenancy/tenant/v2")
            .await
            .json(),
        json!({ "tenantId": "public", "thirdParty": { "providers": [] }, "coreConfig": {}, "status": "OK" })
    );
    assert_eq!(
        app.get("/nope/recipe/multitenancy/tenant/v2").await.json(),
        json!({ "status": "TENANT_NOT_FOUND_ERROR" })
    );
    let config = app
        .get("/public/recipe/dashboard/tenant/core-config")
        .await
        .json()["config"]
        .clone();
    let validity = config
        .as_array()
        .unwrap()
        .iter()
        .find(|field| field["key"] == "access_token_validity")
        .unwrap();
    assert_eq!(
        *validity,
        json!({
            "key": "access_token_validity",
            "valueType": "number",
            "value": 3600,
            "description": "Time in seconds for how long an access token is valid for.",
            "isDifferentAcrossTenants": false,
            "possibleValues": null,
            "isNullable": false,
            "defaultValue": 3600,
            "isPluginProperty": false,
            "isPluginPropertyEditable": false,
        })
    );
    let algorithm = config
        .as_array()
        .unwrap()
        .iter()
        .find(|field| field["key"] == "password_hashing_alg")
        .unwrap();
    assert_eq!(
        (
            algorithm["valueType"].clone(),
            algorithm["possibleValues"].clone()
        ),
        (json!("enum"), json!(["ARGON2", "BCRYPT"]))
    );
    assert!(
        config
            .as_array()
            .unwrap()
            .iter()
            .all(|field| field["key"] != "api_keys"),
        "no secrets"
    );
    app.get("/nope/recipe/dashboard/tenant/core-config").await.assert_error(
        400,
        "AppId or tenantId not found => Tenant with the following connectionURIDomain, appId and tenantId combination not found: (, public, nope)",
    );
});

/// The README's curl commands, run as they are written there.
#[actix_web::test]
async fn the_readme_curl_commands_work() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |s| {
        s.api_keys = Some(gatehouse::config::Secret::new(API_KEY))
    })
    .await;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let commands: Vec<String> = readme
        .split("```sh\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .filter(|block| block.contains("/recipe/dashboard/user"))
        .map(|block| {
            block
                .replace("http://localhost:3567", &app.address)
                .replace("<API_KEY>", API_KEY)
        })
        .collect();
    assert_eq!(commands.len(), 2, "the create and the update command");
    for command in commands {
        // On a blocking thread: the server answers on this test's runtime.
        let shell = command.clone();
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new("sh")
                .args(["-c", &shell])
                .output()
        })
        .await
        .unwrap()
        .unwrap();
        let answer: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{command}: {output:?}"));
        assert_eq!(answer["status"], "OK", "{command}: {answer}");
    }
    assert_eq!(app.count_rows("dashboard_users").await, 1);
}

/// `gatehouse dashboard-users`: the same rules and limit from a shell.
#[actix_web::test]
async fn the_dashboard_users_command() {
    let database = crate::helpers::TestDatabase::create(crate::helpers::Backend::Sqlite).await;
    let crate::helpers::TestDatabase::Sqlite(path) = &database else {
        unreachable!()
    };
    let path = path.display().to_string();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .arg("dashboard-users")
            .args(args)
            .env_clear()
            .env("SQLITE_PATH", &path)
            .env("BCRYPT_LOG_ROUNDS", "4")
            .output()
            .unwrap()
    };
    for i in 1..=3 {
        let output = run(&[
            "create",
            "--email",
            &format!("cli{i}@example.com"),
            "--password",
            "password123",
        ]);
        assert!(output.status.success(), "{output:?}");
        assert!(String::from_utf8_lossy(&output.stdout)
            .contains(&format!("created dashboard user cli{i}@example.com")));
    }
    let fourth = run(&[
        "create",
        "--email",
        "cli4@example.com",
        "--password",
        "password123",
    ]);
    assert_eq!(fourth.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&fourth.stderr).contains("Free user limit reached"));
    let weak = run(&["create", "--email", "x@example.com", "--password", "weak"]);
    assert_eq!(weak.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&weak.stderr)
        .contains("Password must contain at least 8 characters"));

    let updated = run(&[
        "update",
        "--email",
        "cli1@example.com",
        "--new-email",
        "first@example.com",
    ]);
    assert!(updated.status.success(), "{updated:?}");
    let listed = String::from_utf8(run(&["list"]).stdout).unwrap();
    let emails: Vec<&str> = listed
        .lines()
        .map(|line| line.split('\t').nth(1).unwrap())
        .collect();
    assert_eq!(
        emails,
        ["first@example.com", "cli2@example.com", "cli3@example.com"]
    );
    assert!(run(&["delete", "--email", "cli2@example.com"])
        .status
        .success());
    assert_eq!(
        run(&["delete", "--email", "cli2@example.com"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        String::from_utf8(run(&["list"]).stdout)
            .unwrap()
            .lines()
            .count(),
        2
    );
}

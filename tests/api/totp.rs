//! TOTP devices and codes: upstream's statuses, texts, naming rules, attempt limits and
//! replay refusal.

use gatehouse::recipes::totp::code::{base32_decode, code_at};
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;

fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The code of a base32 secret, `steps` periods of 30 seconds from now.
fn code(secret: &Value, steps: i64) -> String {
    let secret = base32_decode(secret.as_str().unwrap()).unwrap();
    code_at(&secret, 30, (now_seconds() as i64 + steps * 30) as u64)
}

async fn create(app: &TestApp, body: Value) -> Value {
    app.post("/recipe/totp/device", &body).await.json()
}

async fn verify_device(app: &TestApp, user: &str, name: &str, totp: &str) -> Value {
    app.post(
        "/recipe/totp/device/verify",
        &json!({ "userId": user, "deviceName": name, "totp": totp }),
    )
    .await
    .json()
}

async fn verify(app: &TestApp, prefix: &str, user: &str, totp: &str) -> Value {
    app.post(
        &format!("{prefix}/recipe/totp/verify"),
        &json!({ "userId": user, "totp": totp }),
    )
    .await
    .json()
}

fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

on_both_backends!(
    a_device_is_created_verified_used_renamed_and_removed,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let first = create(
            &app,
            json!({ "userId": "u1", "deviceName": "phone", "skew": 1, "period": 30 }),
        )
        .await;
        assert_eq!(first["status"], "OK");
        assert_eq!(first["deviceName"], "phone");
        assert_eq!(first["secret"].as_str().unwrap().len(), 32);
        // An unverified device of that name is replaced, with a new secret.
        let again = create(
            &app,
            json!({ "userId": "u1", "deviceName": "phone", "skew": 1, "period": 30 }),
        )
        .await;
        assert_eq!(again["status"], "OK");
        assert_ne!(again["secret"], first["secret"]);
        let secret = again["secret"].clone();
        // Unnamed devices count the verified ones.
        let unnamed = create(&app, json!({ "userId": "u1", "skew": 0, "period": 30 })).await;
        assert_eq!(unnamed["deviceName"], "TOTP Device 0");
        let listed = app.get("/recipe/totp/device/list?userId=u1").await.json();
        assert_eq!(
            listed,
            json!({ "status": "OK", "devices": [
            { "name": "phone", "period": 30, "skew": 1, "verified": false },
            { "name": "TOTP Device 0", "period": 30, "skew": 0, "verified": false },
        ] })
        );

        let right = code(&secret, 0);
        assert_eq!(
            verify_device(&app, "u1", "phone", &wrong(&right)).await,
            json!({ "status": "INVALID_TOTP_ERROR", "currentNumberOfFailedAttempts": 1, "maxNumberOfFailedAttempts": 5 })
        );
        assert_eq!(
            verify_device(&app, "u1", "phone", &right).await,
            json!({ "status": "OK", "wasAlreadyVerified": false })
        );
        assert_eq!(
            verify_device(&app, "u1", "phone", "000000").await,
            json!({ "status": "OK", "wasAlreadyVerified": true })
        );
        assert_eq!(
            verify_device(&app, "u1", "tablet", &right).await,
            json!({ "status": "UNKNOWN_DEVICE_ERROR" })
        );
        assert_eq!(
            create(
                &app,
                json!({ "userId": "u1", "deviceName": "phone", "skew": 1, "period": 30 })
            )
            .await,
            json!({ "status": "DEVICE_ALREADY_EXISTS_ERROR" })
        );
        // Now one device is verified: the next unnamed one is "TOTP Device 1".
        let next = create(&app, json!({ "userId": "u1", "skew": 0, "period": 30 })).await;
        assert_eq!(next["deviceName"], "TOTP Device 1");

        // A code is accepted once: the one that verified the device is refused, the next
        // step's (within the skew) is accepted once.
        assert_eq!(
            verify(&app, "", "u1", &right).await["status"],
            "INVALID_TOTP_ERROR"
        );
        let later = code(&secret, 1);
        assert_eq!(
            verify(&app, "", "u1", &later).await,
            json!({ "status": "OK" })
        );
        assert_eq!(
            verify(&app, "", "u1", &later).await["status"],
            "INVALID_TOTP_ERROR"
        );

        let rename = |from: &str, to: &str| json!({ "userId": "u1", "existingDeviceName": from, "newDeviceName": to });
        assert_eq!(
            app.put("/recipe/totp/device", &rename("phone", "work phone"))
                .await
                .json(),
            json!({ "status": "OK" })
        );
        assert_eq!(
            app.put(
                "/recipe/totp/device",
                &rename("work phone", "TOTP Device 0")
            )
            .await
            .json(),
            json!({ "status": "DEVICE_ALREADY_EXISTS_ERROR" })
        );
        assert_eq!(
            app.put("/recipe/totp/device", &rename("nope", "x"))
                .await
                .json(),
            json!({ "status": "UNKNOWN_DEVICE_ERROR" })
        );

        let remove = |name: &str| json!({ "userId": "u1", "deviceName": name });
        for name in ["work phone", "TOTP Device 0", "TOTP Device 1"] {
            assert_eq!(
                app.post("/recipe/totp/device/remove", &remove(name))
                    .await
                    .json(),
                json!({ "status": "OK", "didDeviceExist": true })
            );
        }
        assert_eq!(
            app.post("/recipe/totp/device/remove", &remove("phone"))
                .await
                .json(),
            json!({ "status": "OK", "didDeviceExist": false })
        );
        assert_eq!(
            verify(&app, "", "u1", &later).await,
            json!({ "status": "UNKNOWN_USER_ID_ERROR" })
        );
        assert_eq!(
            app.count_rows("totp_used_codes").await,
            0,
            "the tried codes went with the last device"
        );
    }
);

on_both_backends!(input_is_checked_with_upstreams_texts, |backend| {
    let app = TestApp::spawn(backend).await;
    for (path, body, message) in [
        (
            "/recipe/totp/device",
            json!({ "deviceName": "d", "skew": 0, "period": 30 }),
            "Field name 'userId' is invalid in JSON input",
        ),
        (
            "/recipe/totp/device",
            json!({ "userId": "u", "skew": "x", "period": 30 }),
            "Field name 'skew' is invalid in JSON input",
        ),
        (
            "/recipe/totp/device",
            json!({ "userId": "", "skew": 0, "period": 30 }),
            "userId cannot be empty",
        ),
        (
            "/recipe/totp/device",
            json!({ "userId": "u", "deviceName": "", "skew": 0, "period": 30 }),
            "deviceName cannot be empty",
        ),
        (
            "/recipe/totp/device",
            json!({ "userId": "u", "skew": -1, "period": 30 }),
            "skew must be >= 0",
        ),
        (
            "/recipe/totp/device",
            json!({ "userId": "u", "skew": 0, "period": 0 }),
            "period must be > 0",
        ),
        (
            "/recipe/totp/device/import",
            json!({ "userId": "u", "skew": 0, "period": 30, "secretKey": "" }),
            "secretKey cannot be empty",
        ),
        (
            "/recipe/totp/device/import",
            json!({ "userId": "u", "skew": 0, "period": 30 }),
            "Field name 'secretKey' is invalid in JSON input",
        ),
        (
            "/recipe/totp/device/verify",
            json!({ "userId": "u", "deviceName": "d" }),
            "Field name 'totp' is invalid in JSON input",
        ),
        (
            "/recipe/totp/verify",
            json!({ "userId": "", "totp": "123456" }),
            "userId cannot be empty",
        ),
        (
            "/recipe/totp/device/remove",
            json!({ "userId": "u", "deviceName": "" }),
            "deviceName cannot be empty",
        ),
    ] {
        app.post(path, &body).await.assert_error(400, message);
    }
    app.put(
        "/recipe/totp/device",
        &json!({ "userId": "u", "existingDeviceName": "a", "newDeviceName": "" }),
    )
    .await
    .assert_error(400, "newDeviceName cannot be empty");
    app.get("/recipe/totp/device/list")
        .await
        .assert_error(400, "Field name 'userId' is missing in GET request");
    assert_eq!(
        app.count_rows("totp_devices").await,
        0,
        "nothing was written"
    );
    // Devices belong to the app: a tenant in the path is refused from CDI 5.0.
    app.put(
        "/recipe/multitenancy/tenant/v2",
        &json!({ "tenantId": "t1" }),
    )
    .await
    .json();
    app.post(
        "/t1/recipe/totp/device",
        &json!({ "userId": "u", "skew": 0, "period": 30 }),
    )
    .await
    .assert_error(403, "Only public tenantId can call this app specific API");
});

on_both_backends!(failed_codes_lock_a_user_out_for_the_cool_down, |backend| {
    let app = TestApp::spawn(backend).await;
    app.put(
        "/recipe/multitenancy/tenant/v2",
        &json!({ "tenantId": "t1", "coreConfig": { "totp_max_attempts": 2, "totp_rate_limit_cooldown_sec": 1 } }),
    )
    .await
    .json();
    // An imported device is verified at once, and its secret is the one given.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let imported = app
        .post(
            "/recipe/totp/device/import",
            &json!({ "userId": "u2", "deviceName": "key", "skew": 1, "period": 30, "secretKey": secret }),
        )
        .await
        .json();
    assert_eq!(imported, json!({ "status": "OK", "deviceName": "key" }));
    let right = code(&json!(secret), 0);
    let bad = wrong(&right);
    assert_eq!(
        verify(&app, "/t1", "u2", &bad).await["currentNumberOfFailedAttempts"],
        1
    );
    assert_eq!(
        verify(&app, "/t1", "u2", &bad).await["currentNumberOfFailedAttempts"],
        2
    );
    let locked = verify(&app, "/t1", "u2", &right).await;
    assert_eq!(locked["status"], "LIMIT_REACHED_ERROR");
    assert_eq!(locked["currentNumberOfFailedAttempts"], 2);
    assert_eq!(locked["maxNumberOfFailedAttempts"], 2);
    let retry = locked["retryAfterMs"].as_i64().unwrap();
    assert!(retry > 0 && retry <= 1000, "{locked}");
    // Before CDI 5.0 the counts are left out.
    let old = app
        .at("4.0")
        .post(
            "/t1/recipe/totp/verify",
            &json!({ "userId": "u2", "totp": right }),
        )
        .await
        .json();
    assert_eq!(
        old.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["status", "retryAfterMs"]
    );
    // Limits are per tenant: the public tenant (5 attempts) still accepts the code.
    assert_eq!(
        verify(&app, "", "u2", &right).await,
        json!({ "status": "OK" })
    );
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    // After the cool-down the code is accepted in t1 too (each tenant keeps its own record).
    assert_eq!(
        verify(&app, "/t1", "u2", &right).await,
        json!({ "status": "OK" })
    );
});

on_both_backends!(
    secrets_are_sealed_and_a_code_is_accepted_once_under_a_race,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let created = create(
            &app,
            json!({ "userId": "u3", "deviceName": "d", "skew": 1, "period": 30 }),
        )
        .await;
        let secret = created["secret"].clone();
        let db = app.db().await;
        let stored: String = gatehouse::with_pool!(&db, pool => {
            sqlx::query_scalar("SELECT sealed_secret FROM totp_devices").fetch_one(pool).await.unwrap()
        });
        assert!(
            !stored.contains(secret.as_str().unwrap()),
            "the secret is not stored as given"
        );
        // Codes are taken a step apart, with a skew of one step: a step boundary passing during
        // the test changes nothing.
        verify_device(&app, "u3", "d", &code(&secret, 0)).await;
        let next = code(&secret, 1);
        let tries = (0..6).map(|_| verify(&app, "", "u3", &next));
        let answers = futures_util::future::join_all(tries).await;
        let accepted = answers
            .iter()
            .filter(|answer| answer["status"] == "OK")
            .count();
        assert_eq!(accepted, 1, "{answers:?}");
        // Deleting the user deletes its devices.
        app.post("/user/remove", &json!({ "userId": "u3" }))
            .await
            .json();
        assert_eq!(app.count_rows("totp_devices").await, 0);
    }
);

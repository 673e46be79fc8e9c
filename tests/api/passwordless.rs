//! Passwordless: codes by email and phone, magic links, resends, attempt limits, expiry,
//! racing consumes, the per-version shapes and the user updates, with upstream's texts.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn create_code(app: &TestApp, body: Value) -> Value {
    let reply = app.post("/recipe/signinup/code", &body).await.json();
    assert_eq!(reply["status"], "OK", "{reply}");
    reply
}

/// Consumes `code` by the code the user typed.
async fn consume_typed(app: &TestApp, code: &Value, user_input_code: &str) -> Value {
    app.post(
        "/recipe/signinup/code/consume",
        &json!({
            "preAuthSessionId": code["preAuthSessionId"],
            "deviceId": code["deviceId"],
            "userInputCode": user_input_code,
        }),
    )
    .await
    .json()
}

async fn consume_link(app: &TestApp, code: &Value) -> Value {
    app.post(
        "/recipe/signinup/code/consume",
        &json!({ "preAuthSessionId": code["preAuthSessionId"], "linkCode": code["linkCode"] }),
    )
    .await
    .json()
}

fn wrong(code: &Value) -> String {
    let typed: u32 = code["userInputCode"].as_str().unwrap().parse().unwrap();
    format!("{:06}", (typed + 1) % 1_000_000)
}

async fn devices(app: &TestApp, query: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("/recipe/signinup/codes?{query}"))
        .await
        .json();
    assert_eq!(reply["status"], "OK", "{reply}");
    reply["devices"].as_array().unwrap().clone()
}

/// Runs the periodic clean-up once, as the server's background task does.
async fn clean_up(app: &TestApp) -> u64 {
    let state = gatehouse::state::AppState::new(app.settings.clone(), app.db().await, &{
        let mut routes = gatehouse::http::Routes::default();
        gatehouse::recipes::register(&mut routes);
        routes
    })
    .unwrap();
    gatehouse::cleanup::run_once(&state).await.unwrap()
}

on_both_backends!(
    an_email_signs_up_with_a_typed_code_then_in_by_link,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let code = create_code(&app, json!({ "email": "  Ana@Example.COM " })).await;
        assert_eq!(code["deviceId"].as_str().unwrap().len(), 44);
        assert_eq!(code["preAuthSessionId"].as_str().unwrap().len(), 43);
        assert_eq!(code["linkCode"].as_str().unwrap().len(), 43);
        assert_eq!(code["codeLifetime"], 900_000);
        let typed = code["userInputCode"].as_str().unwrap();
        assert!(typed.len() == 6 && typed.chars().all(|c| c.is_ascii_digit()));
        // Only hashes are stored: neither the codes nor the device id can be read back.
        let db = app.db().await;
        let stored: Vec<String> = gatehouse::with_pool!(&db, pool => sqlx::query_scalar(
        "SELECT d.device_id_hash || d.link_code_salt || c.link_code_hash FROM passwordless_devices d \
         JOIN passwordless_codes c ON c.device_id_hash = d.device_id_hash"
    ).fetch_all(pool).await.unwrap());
        assert_eq!(stored.len(), 1);
        for secret in ["deviceId", "linkCode"] {
            assert!(
                !stored[0].contains(code[secret].as_str().unwrap()),
                "{secret} stored"
            );
        }

        let listed = devices(&app, "email=ana%40example.com").await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["email"], "ana@example.com");
        assert_eq!(listed[0]["failedCodeInputAttemptCount"], 0);
        assert_eq!(listed[0]["codes"][0]["codeId"], code["codeId"]);
        assert!(listed[0].get("phoneNumber").is_none());

        let signed_up = consume_typed(&app, &code, typed).await;
        assert_eq!(signed_up["status"], "OK", "{signed_up}");
        assert_eq!(signed_up["createdNewUser"], true);
        let user = &signed_up["user"];
        assert_eq!(signed_up["recipeUserId"], user["id"]);
        assert_eq!(user["emails"], json!(["ana@example.com"]));
        assert_eq!(user["phoneNumbers"], json!([]));
        let method = &user["loginMethods"][0];
        assert_eq!(method["recipeId"], "passwordless");
        assert_eq!(method["email"], "ana@example.com");
        // A consumed email code proves the address.
        assert_eq!(method["verified"], true);
        assert!(method.get("phoneNumber").is_none());
        assert_eq!(
            signed_up["consumedDevice"],
            json!({ "preAuthSessionId": code["preAuthSessionId"], "failedCodeInputAttemptCount": 0, "email": "ana@example.com" })
        );
        // The device and its codes are used up.
        assert!(devices(&app, "email=ana%40example.com").await.is_empty());
        assert_eq!(
            consume_typed(&app, &code, typed).await["status"],
            "RESTART_FLOW_ERROR"
        );

        let second = create_code(&app, json!({ "email": "ana@example.com" })).await;
        let signed_in = consume_link(&app, &second).await;
        assert_eq!(signed_in["status"], "OK", "{signed_in}");
        assert_eq!(signed_in["createdNewUser"], false);
        assert_eq!(signed_in["user"]["id"], user["id"]);

        let by_id = app
            .get(&format!("/user/id?userId={}", user["id"].as_str().unwrap()))
            .await
            .json();
        assert_eq!(by_id["user"]["loginMethods"][0]["recipeId"], "passwordless");
        let counted = app
            .get("/users/count?includeRecipeIds=passwordless")
            .await
            .json();
        assert_eq!(counted["count"], 1);
        let listed = app.get("/users?includeRecipeIds=passwordless").await.json();
        assert_eq!(listed["users"][0]["id"], user["id"]);
    }
);

on_both_backends!(phone_numbers_are_normalised_as_upstream_does, |backend| {
    let app = TestApp::spawn(backend).await;
    let code = create_code(&app, json!({ "phoneNumber": " +1 (650) 555-0123 " })).await;
    let listed = devices(&app, "phoneNumber=%2B1-650-555-0123").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["phoneNumber"], "+16505550123");
    let signed_up = consume_link(&app, &code).await;
    assert_eq!(signed_up["status"], "OK", "{signed_up}");
    let user = &signed_up["user"];
    assert_eq!(user["phoneNumbers"], json!(["+16505550123"]));
    assert_eq!(user["emails"], json!([]));
    // A phone-only login method counts as verified.
    assert_eq!(user["loginMethods"][0]["verified"], true);
    assert_eq!(user["loginMethods"][0]["phoneNumber"], "+16505550123");
    assert_eq!(signed_up["consumedDevice"]["phoneNumber"], "+16505550123");

    // A national prefix after the country code goes, as libphonenumber drops it.
    let uk = create_code(&app, json!({ "phoneNumber": "+44 (0)20 7946 0958" })).await;
    let uk_user = consume_link(&app, &uk).await;
    assert_eq!(uk_user["user"]["phoneNumbers"], json!(["+442079460958"]));
    // What does not parse as an international number is kept, trimmed.
    let local = create_code(&app, json!({ "phoneNumber": " 0650 555 " })).await;
    let local_user = consume_link(&app, &local).await;
    assert_eq!(local_user["user"]["phoneNumbers"], json!(["0650 555"]));

    let found = app
        .get("/users/by-accountinfo?phoneNumber=%2B1%20650%20555%200123&doUnionOfAccountInfo=false")
        .await
        .json();
    assert_eq!(found["users"].as_array().unwrap().len(), 1);
    assert_eq!(found["users"][0]["id"], user["id"]);
    let searched = app.get("/users?phone=%2B1650").await.json();
    assert_eq!(searched["users"].as_array().unwrap().len(), 1);
    assert_eq!(searched["users"][0]["id"], user["id"]);
    let by_phone = app.get("/recipe/user?phoneNumber=%2B16505550123").await;
    // Without rid the EmailPassword look-up answers, as upstream routes it.
    assert_eq!(by_phone.status, 400);
    let by_phone = crate::helpers::send(
        app.request(
            actix_web::http::Method::GET,
            "/recipe/user?phoneNumber=%2B16505550123",
        )
        .insert_header(("rid", "passwordless")),
        None,
    )
    .await
    .json();
    assert_eq!(by_phone["user"]["id"], user["id"]);
});

on_both_backends!(wrong_codes_count_and_the_last_one_restarts, |backend| {
    let app = TestApp::spawn_with(backend, |s| s.passwordless_max_code_input_attempts = 3).await;
    let code = create_code(&app, json!({ "email": "b@example.com" })).await;
    let first = consume_typed(&app, &code, &wrong(&code)).await;
    assert_eq!(
        first,
        json!({ "status": "INCORRECT_USER_INPUT_CODE_ERROR", "failedCodeInputAttemptCount": 1, "maximumCodeInputAttempts": 3 })
    );
    // A check counts too, and does not use the code up.
    let checked = app
        .post(
            "/recipe/signinup/code/check",
            &json!({ "preAuthSessionId": code["preAuthSessionId"], "deviceId": code["deviceId"], "userInputCode": wrong(&code) }),
        )
        .await
        .json();
    assert_eq!(checked["failedCodeInputAttemptCount"], 2);
    assert_eq!(
        devices(&app, "email=b%40example.com").await[0]["failedCodeInputAttemptCount"],
        2
    );
    // A link that is not the device's does not count.
    let bad_link = app
        .post(
            "/recipe/signinup/code/consume",
            &json!({ "preAuthSessionId": code["preAuthSessionId"], "linkCode": "AAAA" }),
        )
        .await
        .json();
    assert_eq!(bad_link, json!({ "status": "RESTART_FLOW_ERROR" }));
    let third = consume_typed(&app, &code, &wrong(&code)).await;
    assert_eq!(third, json!({ "status": "RESTART_FLOW_ERROR" }));
    assert!(devices(&app, "email=b%40example.com").await.is_empty());
    // The right code is no use any more.
    let late = consume_typed(&app, &code, code["userInputCode"].as_str().unwrap()).await;
    assert_eq!(late["status"], "RESTART_FLOW_ERROR");
    assert_eq!(app.count_rows("users").await, 0);

    // A right check tells the device and keeps it for the consume.
    let code = create_code(&app, json!({ "email": "b@example.com" })).await;
    consume_typed(&app, &code, &wrong(&code)).await;
    let checked = app
        .post(
            "/recipe/signinup/code/check",
            &json!({ "preAuthSessionId": code["preAuthSessionId"], "linkCode": code["linkCode"] }),
        )
        .await
        .json();
    assert_eq!(
        checked,
        json!({ "status": "OK", "consumedDevice": { "preAuthSessionId": code["preAuthSessionId"], "failedCodeInputAttemptCount": 1, "email": "b@example.com" } })
    );
    assert_eq!(consume_link(&app, &code).await["status"], "OK");
});

on_both_backends!(expired_codes_are_told_apart_and_cleaned_up, |backend| {
    let app = TestApp::spawn_with(backend, |s| s.passwordless_code_lifetime = 1000).await;
    let code = create_code(&app, json!({ "email": "c@example.com" })).await;
    assert_eq!(code["codeLifetime"], 1000);
    actix_web::rt::time::sleep(Duration::from_millis(1200)).await;
    let expired = consume_typed(&app, &code, code["userInputCode"].as_str().unwrap()).await;
    assert_eq!(
        expired,
        json!({ "status": "EXPIRED_USER_INPUT_CODE_ERROR", "failedCodeInputAttemptCount": 1, "maximumCodeInputAttempts": 5 })
    );
    assert_eq!(
        consume_link(&app, &code).await["status"],
        "RESTART_FLOW_ERROR"
    );
    // Expired codes stay listed until the clean-up; a resend gives the device a live one.
    let resent = create_code(&app, json!({ "deviceId": code["deviceId"] })).await;
    assert_eq!(resent["preAuthSessionId"], code["preAuthSessionId"]);
    assert_eq!(
        devices(&app, "email=c%40example.com").await[0]["codes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let other = create_code(&app, json!({ "email": "other@example.com" })).await;
    clean_up(&app).await;
    // The device with a live code is kept whole (so that its expired code still reads as
    // expired); only devices without live codes go.
    assert_eq!(
        devices(&app, "email=c%40example.com").await[0]["codes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    actix_web::rt::time::sleep(Duration::from_millis(1200)).await;
    assert!(clean_up(&app).await >= 2);
    assert_eq!(app.count_rows("passwordless_devices").await, 0);
    assert_eq!(app.count_rows("passwordless_codes").await, 0);
    assert_eq!(
        consume_link(&app, &other).await["status"],
        "RESTART_FLOW_ERROR"
    );
});

on_both_backends!(resends_and_removals, |backend| {
    let app = TestApp::spawn(backend).await;
    let code = create_code(
        &app,
        json!({ "email": "d@example.com", "userInputCode": "abc" }),
    )
    .await;
    assert_eq!(code["userInputCode"], "abc");
    let again = app
        .post(
            "/recipe/signinup/code",
            &json!({ "deviceId": code["deviceId"], "userInputCode": "abc" }),
        )
        .await
        .json();
    assert_eq!(
        again,
        json!({ "status": "USER_INPUT_CODE_ALREADY_USED_ERROR" })
    );
    let resent = create_code(&app, json!({ "deviceId": code["deviceId"] })).await;
    assert_eq!(resent["deviceId"], code["deviceId"]);
    assert_ne!(resent["codeId"], code["codeId"]);
    // Both codes work until one is used; the device id may come without padding.
    let unpadded = code["deviceId"].as_str().unwrap().trim_end_matches('=');
    let listed = devices(&app, &format!("deviceId={}", urlencode(unpadded))).await;
    assert_eq!(listed[0]["codes"].as_array().unwrap().len(), 2);
    let unknown = app
        .post(
            "/recipe/signinup/code",
            &json!({ "deviceId": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" }),
        )
        .await
        .json();
    assert_eq!(unknown, json!({ "status": "RESTART_FLOW_ERROR" }));

    // Removing one code keeps the device; removing its last code removes it.
    app.post(
        "/recipe/signinup/code/remove",
        &json!({ "codeId": code["codeId"] }),
    )
    .await
    .json();
    let listed = devices(&app, "email=d%40example.com").await;
    assert_eq!(listed[0]["codes"].as_array().unwrap().len(), 1);
    app.post(
        "/recipe/signinup/code/remove",
        &json!({ "codeId": resent["codeId"] }),
    )
    .await
    .json();
    assert!(devices(&app, "email=d%40example.com").await.is_empty());
    assert_eq!(app.count_rows("passwordless_codes").await, 0);

    let by_device = create_code(&app, json!({ "email": "d@example.com" })).await;
    let reply = app
        .post(
            "/recipe/signinup/code/remove",
            &json!({ "preAuthSessionId": by_device["preAuthSessionId"] }),
        )
        .await
        .json();
    assert_eq!(reply["status"], "OK");
    assert!(devices(
        &app,
        &format!(
            "preAuthSessionId={}",
            by_device["preAuthSessionId"].as_str().unwrap()
        )
    )
    .await
    .is_empty());
    // Before CDI 5.0 a code id is the only way.
    app.at("4.0")
        .post(
            "/recipe/signinup/code/remove",
            &json!({ "preAuthSessionId": "x" }),
        )
        .await
        .assert_error(400, "Field name 'codeId' is invalid in JSON input");

    create_code(&app, json!({ "phoneNumber": "+16505550100" })).await;
    create_code(&app, json!({ "phoneNumber": "+16505550100" })).await;
    create_code(&app, json!({ "email": "e@example.com" })).await;
    app.post(
        "/recipe/signinup/codes/remove",
        &json!({ "phoneNumber": "+1 650 555 0100" }),
    )
    .await
    .json();
    assert_eq!(app.count_rows("passwordless_devices").await, 1);
});

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

on_both_backends!(
    bad_input_gets_upstreams_texts_and_writes_nothing,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let cases = [
            (
                "/recipe/signinup/code",
                json!({}),
                "Please provide exactly one of email, phoneNumber or deviceId",
            ),
            (
                "/recipe/signinup/code",
                json!({ "email": "a@b.c", "phoneNumber": "+1650" }),
                "Please provide exactly one of email, phoneNumber or deviceId",
            ),
            (
                "/recipe/signinup/code",
                json!({ "email": null }),
                "Field name 'email' is invalid in JSON input",
            ),
            (
                "/recipe/signinup/code",
                json!({ "email": "a@b.c", "userInputCode": "" }),
                "userInputCode cannot be an empty string.",
            ),
            (
                "/recipe/signinup/code",
                json!({ "deviceId": "not base64!" }),
                "Input encoding error in deviceId",
            ),
            (
                "/recipe/signinup/code",
                json!({ "phoneNumber": "1".repeat(257) }),
                "Field name 'phoneNumber' must be at most 256 characters",
            ),
            (
                "/recipe/signinup/code/consume",
                json!({ "preAuthSessionId": "p" }),
                "Please provide exactly one of linkCode or deviceId+userInputCode",
            ),
            (
                "/recipe/signinup/code/consume",
                json!({ "preAuthSessionId": "p", "linkCode": "l", "deviceId": "d" }),
                "Please provide exactly one of linkCode or deviceId+userInputCode",
            ),
            (
                "/recipe/signinup/code/consume",
                json!({ "linkCode": "l" }),
                "Field name 'preAuthSessionId' is invalid in JSON input",
            ),
            (
                "/recipe/signinup/code/consume",
                json!({ "preAuthSessionId": "p", "linkCode": "a+b" }),
                "Input encoding error in linkCode",
            ),
            (
                "/recipe/signinup/code/remove",
                json!({}),
                "Please provide either 'codeId' or 'preAuthSessionId'",
            ),
            (
                "/recipe/signinup/code/remove",
                json!({ "codeId": "c", "preAuthSessionId": "p" }),
                "Please provide only one of 'codeId' or 'preAuthSessionId'",
            ),
            (
                "/recipe/signinup/codes/remove",
                json!({}),
                "Please provide exactly one of email or phoneNumber",
            ),
        ];
        for (path, body, message) in cases {
            app.post(path, &body).await.assert_error(400, message);
        }
        app.get("/recipe/signinup/codes").await.assert_error(
            400,
            "Please provide exactly one of email, phoneNumber, deviceId or preAuthSessionId",
        );
        app.get("/recipe/signinup/codes?email=a&preAuthSessionId=b")
            .await
            .assert_error(
                400,
                "Please provide exactly one of email, phoneNumber, deviceId or preAuthSessionId",
            );
        assert_eq!(app.count_rows("passwordless_devices").await, 0);

        // A pre-auth session id of another device is refused, and counts nothing.
        let mine = create_code(&app, json!({ "email": "f@example.com" })).await;
        let theirs = create_code(&app, json!({ "email": "g@example.com" })).await;
        app.post(
        "/recipe/signinup/code/consume",
        &json!({ "preAuthSessionId": theirs["preAuthSessionId"], "linkCode": mine["linkCode"] }),
    )
    .await
    .assert_error(400, "preAuthSessionId and deviceId doesn't match");
        app.post(
        "/recipe/signinup/code/consume",
        &json!({ "preAuthSessionId": theirs["preAuthSessionId"], "deviceId": mine["deviceId"], "userInputCode": "1" }),
    )
    .await
    .assert_error(400, "preAuthSessionId and deviceId doesn't match");
        assert_eq!(
            devices(&app, "email=f%40example.com").await[0]["failedCodeInputAttemptCount"],
            0
        );
        // Upstream ignores padding on the pre-auth session id when consuming.
        let padded = format!("{}=", mine["preAuthSessionId"].as_str().unwrap());
        let consumed = app
            .post(
                "/recipe/signinup/code/consume",
                &json!({ "preAuthSessionId": padded, "linkCode": mine["linkCode"] }),
            )
            .await
            .json();
        assert_eq!(consumed["status"], "OK");
    }
);

on_both_backends!(racing_consumes_make_one_user_and_one_sign_in, |backend| {
    let app = TestApp::spawn(backend).await;
    // Six tabs consume one code at once: exactly one signs in.
    let code = create_code(&app, json!({ "email": "race@example.com" })).await;
    let replies = futures_util::future::join_all((0..6).map(|_| consume_link(&app, &code))).await;
    let statuses: Vec<&str> = replies
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == "OK").count(),
        1,
        "{statuses:?}"
    );
    assert!(statuses
        .iter()
        .all(|s| *s == "OK" || *s == "RESTART_FLOW_ERROR"));

    // Six devices of one new email consumed at once: one user, whoever wins.
    let codes = futures_util::future::join_all(
        (0..6).map(|_| create_code(&app, json!({ "email": "many@example.com" }))),
    )
    .await;
    let replies =
        futures_util::future::join_all(codes.iter().map(|code| consume_link(&app, code))).await;
    let signed_in: Vec<&Value> = replies.iter().filter(|r| r["status"] == "OK").collect();
    assert!(!signed_in.is_empty(), "{replies:?}");
    assert!(signed_in
        .iter()
        .all(|r| r["user"]["id"] == signed_in[0]["user"]["id"]));
    let found = app
        .get("/users/by-accountinfo?email=many%40example.com&doUnionOfAccountInfo=false")
        .await
        .json();
    assert_eq!(found["users"].as_array().unwrap().len(), 1);
    assert_eq!(app.count_rows("passwordless_devices").await, 0);
});

on_both_backends!(older_versions_get_their_shapes, |backend| {
    let app = TestApp::spawn(backend).await;
    // CDI 3.1 (supertokens-golang): the recipe's own user, no email verification.
    let code = app
        .at("3.1")
        .post(
            "/recipe/signinup/code",
            &json!({ "email": "go@example.com" }),
        )
        .await
        .json();
    let consumed = app
        .at("3.1")
        .post(
            "/recipe/signinup/code/consume",
            &json!({ "preAuthSessionId": code["preAuthSessionId"], "linkCode": code["linkCode"] }),
        )
        .await
        .json();
    let user = &consumed["user"];
    assert_eq!(consumed["createdNewUser"], true);
    assert_eq!(user["email"], "go@example.com");
    assert_eq!(user["tenantIds"], json!(["public"]));
    assert!(user.get("loginMethods").is_none() && consumed.get("recipeUserId").is_none());
    assert!(consumed.get("consumedDevice").is_none());
    let user_id = user["id"].as_str().unwrap();
    let verified = app
        .get(&format!(
            "/recipe/user/email/verify?userId={user_id}&email=go%40example.com"
        ))
        .await
        .json();
    assert_eq!(verified["isVerified"], false);

    let rid = |method, path: &str| {
        app.request(method, path)
            .insert_header(("rid", "passwordless"))
            .insert_header(("cdi-version", "3.1"))
    };
    let by_id = crate::helpers::send(
        rid(
            actix_web::http::Method::GET,
            &format!("/recipe/user?userId={user_id}"),
        ),
        None,
    )
    .await
    .json();
    assert_eq!(by_id, json!({ "status": "OK", "user": user }));
    let by_email = crate::helpers::send(
        rid(
            actix_web::http::Method::GET,
            "/recipe/user?email=GO%40example.com",
        ),
        None,
    )
    .await
    .json();
    assert_eq!(by_email["user"]["id"], user_id);
    let unknown = crate::helpers::send(
        rid(
            actix_web::http::Method::GET,
            "/recipe/user?phoneNumber=%2B1650",
        ),
        None,
    )
    .await
    .json();
    assert_eq!(unknown, json!({ "status": "UNKNOWN_PHONE_NUMBER_ERROR" }));
    crate::helpers::send(rid(actix_web::http::Method::GET, "/recipe/user"), None)
        .await
        .assert_error(
            400,
            "Please provide exactly one of userId, email or phoneNumber",
        );
    let updated = crate::helpers::send(
        rid(actix_web::http::Method::PUT, "/recipe/user"),
        Some(json!({ "userId": user_id, "phoneNumber": "+16505550111" }).to_string()),
    )
    .await
    .json();
    assert_eq!(updated, json!({ "status": "OK" }));

    // CDI 4.0: the account-linking user and recipeUserId, still no consumedDevice.
    let code = app
        .at("4.0")
        .post(
            "/recipe/signinup/code",
            &json!({ "phoneNumber": "+16505550111" }),
        )
        .await
        .json();
    let consumed = app
        .at("4.0")
        .post(
            "/recipe/signinup/code/consume",
            &json!({ "preAuthSessionId": code["preAuthSessionId"], "linkCode": code["linkCode"] }),
        )
        .await
        .json();
    assert_eq!(consumed["createdNewUser"], false);
    assert_eq!(consumed["recipeUserId"], user_id);
    assert_eq!(consumed["user"]["phoneNumbers"], json!(["+16505550111"]));
    assert!(consumed.get("consumedDevice").is_none());
});

on_both_backends!(
    tenants_without_passwordless_refuse_it_before_cdi_5_1,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let created = app
            .put(
                "/recipe/multitenancy/tenant/v2",
                &json!({ "tenantId": "t1", "firstFactors": ["emailpassword"] }),
            )
            .await
            .json();
        assert_eq!(created["status"], "OK");
        app.at("4.0")
            .post(
                "/t1/recipe/signinup/code",
                &json!({ "email": "h@example.com" }),
            )
            .await
            .assert_error(403, "Passwordless login not enabled for tenant");
        // From 5.1 the SDK decides.
        let code = app
            .at("5.1")
            .post(
                "/t1/recipe/signinup/code",
                &json!({ "email": "h@example.com" }),
            )
            .await
            .json();
        assert_eq!(code["status"], "OK");
        // Devices belong to their tenant.
        assert!(devices(&app, "email=h%40example.com").await.is_empty());
        let other_tenant = app
        .post(
            "/recipe/signinup/code/consume",
            &json!({ "preAuthSessionId": code["preAuthSessionId"], "linkCode": code["linkCode"] }),
        )
        .await
        .json();
        assert_eq!(other_tenant["status"], "RESTART_FLOW_ERROR");
        // Removing the tenant removes its sign-ins in progress.
        let removed = app
            .post(
                "/recipe/multitenancy/tenant/remove",
                &json!({ "tenantId": "t1" }),
            )
            .await
            .json();
        assert_eq!(removed["didExist"], true);
        assert_eq!(app.count_rows("passwordless_devices").await, 0);
        assert_eq!(app.count_rows("passwordless_codes").await, 0);
    }
);

async fn update(app: &TestApp, body: Value) -> crate::helpers::Reply {
    crate::helpers::send(
        app.request(actix_web::http::Method::PUT, "/recipe/user")
            .insert_header(("rid", "passwordless")),
        Some(body.to_string()),
    )
    .await
}

on_both_backends!(email_and_phone_are_changed_and_removed, |backend| {
    let app = TestApp::spawn(backend).await;
    let ana = app
        .passwordless_sign_up("", json!({ "email": "ana@example.com" }))
        .await;
    let bob = app
        .passwordless_sign_up("", json!({ "phoneNumber": "+16505550199" }))
        .await;
    let ana_id = ana["id"].as_str().unwrap();
    let bob_id = bob["id"].as_str().unwrap();

    let added = update(
        &app,
        json!({ "recipeUserId": ana_id, "phoneNumber": "+1 650 555 0100" }),
    )
    .await
    .json();
    assert_eq!(added, json!({ "status": "OK" }));
    let taken = update(
        &app,
        json!({ "recipeUserId": ana_id, "phoneNumber": "+16505550199" }),
    )
    .await
    .json();
    assert_eq!(
        taken,
        json!({ "status": "PHONE_NUMBER_ALREADY_EXISTS_ERROR" })
    );
    let taken = update(
        &app,
        json!({ "recipeUserId": bob_id, "email": "ANA@example.com" }),
    )
    .await
    .json();
    assert_eq!(taken, json!({ "status": "EMAIL_ALREADY_EXISTS_ERROR" }));
    // A refused update changes nothing, even its other half.
    let taken = update(&app, json!({ "recipeUserId": bob_id, "email": "new@example.com", "phoneNumber": "+16505550100" })).await.json();
    assert_eq!(
        taken,
        json!({ "status": "PHONE_NUMBER_ALREADY_EXISTS_ERROR" })
    );
    let bob_now = app.get(&format!("/user/id?userId={bob_id}")).await.json();
    assert_eq!(bob_now["user"]["emails"], json!([]));

    // Sign-ins in progress for the old and the new value are dropped.
    create_code(&app, json!({ "email": "ana@example.com" })).await;
    create_code(&app, json!({ "email": "ana2@example.com" })).await;
    let moved = update(
        &app,
        json!({ "recipeUserId": ana_id, "email": "ana2@example.com" }),
    )
    .await
    .json();
    assert_eq!(moved, json!({ "status": "OK" }));
    assert_eq!(app.count_rows("passwordless_devices").await, 0);
    let cleared = update(&app, json!({ "recipeUserId": ana_id, "email": null }))
        .await
        .json();
    assert_eq!(cleared, json!({ "status": "OK" }));
    let ana_now = app.get(&format!("/user/id?userId={ana_id}")).await.json();
    assert_eq!(ana_now["user"]["emails"], json!([]));
    assert_eq!(ana_now["user"]["phoneNumbers"], json!(["+16505550100"]));
    assert!(ana_now["user"]["loginMethods"][0].get("email").is_none());
    update(&app, json!({ "recipeUserId": ana_id, "phoneNumber": null }))
        .await
        .assert_error(
            400,
            "You cannot clear both email and phone number of a user",
        );
    update(&app, json!({ "recipeUserId": ana_id, "phoneNumber": 5 }))
        .await
        .assert_error(400, "Field name 'phoneNumber' is invalid in JSON input");
    // Signing in by the new phone number finds the same user.
    let again = app
        .passwordless_sign_up("", json!({ "phoneNumber": "+16505550100" }))
        .await;
    assert_eq!(again["id"], ana_id);

    // Other recipes' users are unknown here; a mapped id is accepted.
    let email_password = app.sign_up("ep@example.com", "password1").await;
    let unknown = update(
        &app,
        json!({ "recipeUserId": email_password["id"], "email": "x@example.com" }),
    )
    .await
    .json();
    assert_eq!(unknown, json!({ "status": "UNKNOWN_USER_ID_ERROR" }));
    let mapped = app
        .post(
            "/recipe/userid/map",
            &json!({ "superTokensUserId": bob_id, "externalUserId": "bob-ext" }),
        )
        .await
        .json();
    assert_eq!(mapped["status"], "OK");
    let via_mapping = update(
        &app,
        json!({ "recipeUserId": "bob-ext", "email": "bob@example.com" }),
    )
    .await
    .json();
    assert_eq!(via_mapping, json!({ "status": "OK" }));
    let bob_now = app.get("/user/id?userId=bob-ext").await.json();
    assert_eq!(bob_now["user"]["id"], "bob-ext");
    assert_eq!(bob_now["user"]["emails"], json!(["bob@example.com"]));
});

on_both_backends!(tenant_membership_and_deletion, |backend| {
    let app = TestApp::spawn(backend).await;
    for tenant in ["t1", "t2"] {
        let created = app
            .put(
                "/recipe/multitenancy/tenant/v2",
                &json!({ "tenantId": tenant }),
            )
            .await
            .json();
        assert_eq!(created["status"], "OK");
    }
    // One email is two users in two tenants.
    let first = app
        .passwordless_sign_up("/t1", json!({ "email": "same@example.com" }))
        .await;
    let second = app
        .passwordless_sign_up("/t2", json!({ "email": "same@example.com" }))
        .await;
    assert_ne!(first["id"], second["id"]);
    let phone = app
        .passwordless_sign_up("/t1", json!({ "phoneNumber": "+16505550177" }))
        .await;
    let other_phone = app
        .passwordless_sign_up("/t2", json!({ "phoneNumber": "+16505550177" }))
        .await;
    let associate = |user: &Value| {
        let user_id = user["id"].clone();
        let app = &app;
        async move {
            app.post(
                "/t2/recipe/multitenancy/tenant/user",
                &json!({ "recipeUserId": user_id }),
            )
            .await
            .json()
        }
    };
    assert_eq!(
        associate(&first).await["status"],
        "EMAIL_ALREADY_EXISTS_ERROR"
    );
    assert_eq!(
        associate(&phone).await["status"],
        "PHONE_NUMBER_ALREADY_EXISTS_ERROR"
    );
    let removed = app
        .post("/user/remove", &json!({ "userId": other_phone["id"] }))
        .await
        .json();
    assert_eq!(removed["status"], "OK");
    assert_eq!(associate(&phone).await["status"], "OK");
    let count = app
        .get("/t2/users/count?includeRecipeIds=passwordless")
        .await
        .json();
    assert_eq!(count["count"], 2);
    let all = app
        .get("/users/count?includeRecipeIds=passwordless&includeAllTenants=true")
        .await
        .json();
    assert_eq!(all["count"], 3);
});

//! EmailVerification: tokens, verifying, checking, unverifying, revoking.

use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(verify_with_a_token, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.sign_up("ev@example.com", "pw").await;
    let id = user["id"].as_str().unwrap();
    let is_verified =
        |email: &'static str| format!("/recipe/user/email/verify?userId={id}&email={email}");
    assert_eq!(
        app.get(&is_verified("ev%40example.com")).await.json(),
        json!({ "status": "OK", "isVerified": false })
    );

    let create = json!({ "userId": id, "email": " EV@example.com" });
    let first = app
        .post("/recipe/user/email/verify/token", &create)
        .await
        .json();
    assert_eq!(first["status"], "OK");
    let first = first["token"].clone();
    let second = app
        .post("/recipe/user/email/verify/token", &create)
        .await
        .json()["token"]
        .clone();

    let verified = app
        .post(
            "/recipe/user/email/verify",
            &json!({ "method": "token", "token": first }),
        )
        .await
        .json();
    assert_eq!(
        verified,
        json!({ "status": "OK", "userId": id, "email": "ev@example.com" })
    );
    assert_eq!(
        app.get(&is_verified("ev%40example.com")).await.json()["isVerified"],
        true
    );
    assert_eq!(
        app.get(&format!("/user/id?userId={id}")).await.json()["user"]["loginMethods"][0]
            ["verified"],
        true
    );

    let invalid = json!({ "status": "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR" });
    for token in [&first, &second, &json!("made-up")] {
        let again = app
            .post(
                "/recipe/user/email/verify",
                &json!({ "method": "token", "token": token }),
            )
            .await
            .json();
        assert_eq!(
            again, invalid,
            "used tokens, the user's other tokens and unknown ones are refused"
        );
    }
    let already = app
        .post("/recipe/user/email/verify/token", &create)
        .await
        .json();
    assert_eq!(already, json!({ "status": "EMAIL_ALREADY_VERIFIED_ERROR" }));

    // Unverify, then a changed email is unverified too.
    let unverify = app
        .post(
            "/recipe/user/email/verify/remove",
            &json!({ "userId": id, "email": "ev@example.com" }),
        )
        .await
        .json();
    assert_eq!(unverify, json!({ "status": "OK" }));
    assert_eq!(
        app.get(&is_verified("ev%40example.com")).await.json()["isVerified"],
        false
    );
});

on_both_backends!(tokens_belong_to_their_tenant_and_expire, |backend| {
    let app = TestApp::spawn_with(backend, |s| s.email_verification_token_lifetime = 1).await;
    let db = app.db().await;
    gatehouse::with_pool!(&db, pool => {
        sqlx::query("INSERT INTO tenants (app_id, tenant_id, created_at_time) VALUES ('public', 't1', 1)").execute(pool).await.unwrap();
    });
    let token = app
        .post(
            "/t1/recipe/user/email/verify/token",
            &json!({ "userId": "u1", "email": "a@b.c" }),
        )
        .await
        .json()["token"]
        .clone();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    let expired = app
        .post(
            "/t1/recipe/user/email/verify",
            &json!({ "method": "token", "token": token }),
        )
        .await
        .json();
    assert_eq!(expired["status"], "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR");
    assert_eq!(
        app.count_rows("emailverification_tokens").await,
        0,
        "an expired token is removed when tried"
    );
});

on_both_backends!(revoking_tokens, |backend| {
    let app = TestApp::spawn(backend).await;
    let body = json!({ "userId": "u1", "email": "a@b.c" });
    let token = app
        .post("/recipe/user/email/verify/token", &body)
        .await
        .json()["token"]
        .clone();
    app.post(
        "/recipe/user/email/verify/token",
        &json!({ "userId": "u2", "email": "a@b.c" }),
    )
    .await
    .json();
    assert_eq!(
        app.post("/recipe/user/email/verify/token/remove", &body)
            .await
            .json(),
        json!({ "status": "OK" })
    );
    let used = app
        .post(
            "/recipe/user/email/verify",
            &json!({ "method": "token", "token": token }),
        )
        .await
        .json();
    assert_eq!(used["status"], "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR");
    assert_eq!(
        app.count_rows("emailverification_tokens").await,
        1,
        "other users' tokens stay"
    );
});

on_both_backends!(bad_input_is_refused, |backend| {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (
            "/recipe/user/email/verify/token",
            json!({ "email": "a@b.c" }),
            "Field name 'userId' is invalid in JSON input",
        ),
        (
            "/recipe/user/email/verify/token",
            json!({ "userId": "u", "email": 1 }),
            "Field name 'email' is invalid in JSON input",
        ),
        (
            "/recipe/user/email/verify/token",
            json!({ "userId": "u".repeat(129), "email": "a@b.c" }),
            "Field name 'userId' must be at most 128 characters",
        ),
        (
            "/recipe/user/email/verify",
            json!({ "method": "token" }),
            "Field name 'token' is invalid in JSON input",
        ),
        (
            "/recipe/user/email/verify",
            json!({ "method": "link", "token": "t" }),
            "Unsupported method for email verification",
        ),
        (
            "/recipe/user/email/verify/remove",
            json!({ "userId": "u" }),
            "Field name 'email' is invalid in JSON input",
        ),
        (
            "/recipe/user/email/verify/token/remove",
            json!({ "email": "a@b.c" }),
            "Field name 'userId' is invalid in JSON input",
        ),
    ];
    for (path, body, message) in cases {
        app.post(path, &body).await.assert_error(400, message);
    }
    app.get("/recipe/user/email/verify?userId=u")
        .await
        .assert_error(400, "Field name 'email' is missing in GET request");
    app.get("/t1/recipe/user/email/verify?userId=u&email=a")
        .await
        .assert_error(403, "Only public tenantId can call this app specific API");
    assert_eq!(app.count_rows("emailverification_tokens").await, 0);
});

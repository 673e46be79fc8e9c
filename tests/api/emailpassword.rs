//! EmailPassword: sign-up, sign-in, updates, reset tokens, imports.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;

fn assert_new_user(user: &Value, email: &str) {
    let id = user["id"].as_str().expect("an id");
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let time_joined = user["timeJoined"].as_i64().expect("timeJoined");
    assert_eq!(
        *user,
        json!({
            "id": id,
            "isPrimaryUser": false,
            "tenantIds": ["public"],
            "timeJoined": time_joined,
            "emails": [email],
            "phoneNumbers": [],
            "thirdParty": [],
            "webauthn": { "credentialIds": [] },
            "loginMethods": [{
                "tenantIds": ["public"],
                "recipeUserId": id,
                "verified": false,
                "timeJoined": time_joined,
                "recipeId": "emailpassword",
                "email": email,
            }],
        })
    );
}

on_both_backends!(sign_up_and_sign_in, |backend| {
    let app = TestApp::spawn(backend).await;
    let reply = app
        .post(
            "/recipe/signup",
            &json!({ "email": "  Alice@Example.COM ", "password": "pw-1" }),
        )
        .await
        .json();
    assert_eq!(reply["status"], "OK");
    assert_new_user(&reply["user"], "alice@example.com");
    assert_eq!(reply["recipeUserId"], reply["user"]["id"]);

    let again = app
        .post(
            "/recipe/signup",
            &json!({ "email": "alice@example.com", "password": "other" }),
        )
        .await
        .json();
    assert_eq!(again, json!({ "status": "EMAIL_ALREADY_EXISTS_ERROR" }));

    let signed_in = app
        .post(
            "/recipe/signin",
            &json!({ "email": "ALICE@example.com ", "password": "pw-1" }),
        )
        .await
        .json();
    assert_eq!(signed_in["status"], "OK");
    assert_eq!(signed_in["user"], reply["user"]);
    assert_eq!(signed_in["recipeUserId"], reply["user"]["id"]);

    for (email, password) in [
        ("alice@example.com", "pw-2"),
        ("alice@example.com", ""),
        ("bob@example.com", "pw-1"),
    ] {
        let wrong = app
            .post(
                "/recipe/signin",
                &json!({ "email": email, "password": password }),
            )
            .await
            .json();
        assert_eq!(
            wrong,
            json!({ "status": "WRONG_CREDENTIALS_ERROR" }),
            "{email} / {password}"
        );
    }
    assert_eq!(app.count_rows("users").await, 1);
});

on_both_backends!(passwords_are_stored_only_as_hashes, |backend| {
    let app = TestApp::spawn_with(backend, |s| s.password_hashing_alg = "ARGON2".into()).await;
    app.sign_up("hash@example.com", "secret-password-1").await;
    let db = app.db().await;
    let stored: String = gatehouse::with_pool!(&db, pool => sqlx::query_scalar("SELECT password_hash FROM emailpassword_users").fetch_one(pool).await.unwrap());
    assert!(
        stored.starts_with("$argon2id$v=19$m=1024,t=1,p=2$"),
        "{stored}"
    );
    assert!(!stored.contains("secret-password-1"));
});

on_both_backends!(sign_up_is_per_tenant, |backend| {
    let app = TestApp::spawn(backend).await;
    let db = app.db().await;
    gatehouse::with_pool!(&db, pool => {
        sqlx::query("INSERT INTO tenants (app_id, tenant_id, created_at_time) VALUES ('public', 't1', 1)").execute(pool).await.unwrap();
    });
    let public = app.sign_up("same@example.com", "pw").await;
    let in_t1 = app
        .post(
            "/t1/recipe/signup",
            &json!({ "email": "same@example.com", "password": "pw" }),
        )
        .await
        .json();
    assert_eq!(
        in_t1["status"], "OK",
        "the same email may sign up in another tenant"
    );
    assert_eq!(in_t1["user"]["tenantIds"], json!(["t1"]));
    assert_ne!(in_t1["user"]["id"], public["id"]);
    let wrong_tenant = app
        .post(
            "/t2/recipe/signin",
            &json!({ "email": "same@example.com", "password": "pw" }),
        )
        .await;
    wrong_tenant.assert_error(
        400,
        "AppId or tenantId not found => Tenant with the following connectionURIDomain, appId and tenantId combination not found: (, public, t2)",
    );
});

on_both_backends!(update_email_and_password, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.sign_up("old@example.com", "pw-old").await;
    let taken = app.sign_up("taken@example.com", "pw").await;
    let id = user["id"].as_str().unwrap();

    let both = json!({ "recipeUserId": id, "email": " New@Example.com", "password": "pw-new" });
    assert_eq!(
        app.put("/recipe/user", &both).await.json(),
        json!({ "status": "OK" })
    );
    let signed_in = app
        .post(
            "/recipe/signin",
            &json!({ "email": "new@example.com", "password": "pw-new" }),
        )
        .await
        .json();
    assert_eq!(signed_in["user"]["emails"], json!(["new@example.com"]));
    assert_eq!(signed_in["user"]["timeJoined"], user["timeJoined"]);
    let old = app
        .post(
            "/recipe/signin",
            &json!({ "email": "old@example.com", "password": "pw-new" }),
        )
        .await
        .json();
    assert_eq!(old["status"], "WRONG_CREDENTIALS_ERROR");

    // A taken email changes nothing, not even the password sent with it.
    let clash = json!({ "recipeUserId": id, "email": "taken@example.com", "password": "pw-third" });
    assert_eq!(
        app.put("/recipe/user", &clash).await.json(),
        json!({ "status": "EMAIL_ALREADY_EXISTS_ERROR" })
    );
    let still = app
        .post(
            "/recipe/signin",
            &json!({ "email": "new@example.com", "password": "pw-new" }),
        )
        .await
        .json();
    assert_eq!(still["status"], "OK");

    let password_only = json!({ "recipeUserId": taken["id"], "password": "pw-changed" });
    assert_eq!(
        app.put("/recipe/user", &password_only).await.json()["status"],
        "OK"
    );
    let changed = app
        .post(
            "/recipe/signin",
            &json!({ "email": "taken@example.com", "password": "pw-changed" }),
        )
        .await
        .json();
    assert_eq!(changed["status"], "OK");

    let unknown = json!({ "recipeUserId": "no-such-user", "password": "x" });
    assert_eq!(
        app.put("/recipe/user", &unknown).await.json(),
        json!({ "status": "UNKNOWN_USER_ID_ERROR" })
    );
    app.put("/recipe/user", &json!({ "recipeUserId": id }))
        .await
        .assert_error(400, "You have to provide either email or password.");
    app.put("/t1/recipe/user", &both)
        .await
        .assert_error(403, "Only public tenantId can call this app specific API");
});

on_both_backends!(get_user_by_id_or_email, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.sign_up("get@example.com", "pw").await;
    let id = user["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/recipe/user?userId={id}")).await.json(),
        json!({ "status": "OK", "user": user })
    );
    assert_eq!(
        app.get("/recipe/user?email=GET%40example.com").await.json(),
        json!({ "status": "OK", "user": user })
    );
    assert_eq!(
        app.get("/recipe/user?userId=nobody").await.json(),
        json!({ "status": "UNKNOWN_USER_ID_ERROR" })
    );
    assert_eq!(
        app.get("/recipe/user?email=no%40example.com").await.json(),
        json!({ "status": "UNKNOWN_EMAIL_ERROR" })
    );
    app.get("/recipe/user")
        .await
        .assert_error(400, "Please provide one of userId or email");
    app.get(&format!("/recipe/user?userId={id}&email=get%40example.com"))
        .await
        .assert_error(400, "Please provide only one of userId or email");
});

on_both_backends!(password_reset_tokens_are_single_use, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.sign_up("reset@example.com", "pw-1").await;
    let id = user["id"].as_str().unwrap();
    let create = json!({ "userId": id, "email": "reset@example.com" });
    let first = app
        .post("/recipe/user/password/reset/token", &create)
        .await
        .json();
    assert_eq!(first["status"], "OK");
    let first = first["token"].as_str().unwrap().to_string();
    assert_eq!(first.len(), 128);
    let second = app
        .post("/recipe/user/password/reset/token", &create)
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(first, second);

    let consumed = app
        .post(
            "/recipe/user/password/reset/token/consume",
            &json!({ "token": first }),
        )
        .await
        .json();
    assert_eq!(
        consumed,
        json!({ "status": "OK", "userId": id, "email": "reset@example.com" })
    );
    let invalid = json!({ "status": "RESET_PASSWORD_INVALID_TOKEN_ERROR" });
    for token in [&first, &second, &"made-up".to_string()] {
        let again = app
            .post(
                "/recipe/user/password/reset/token/consume",
                &json!({ "token": token }),
            )
            .await
            .json();
        assert_eq!(
            again, invalid,
            "used, superseded or unknown tokens are refused"
        );
    }
    // Tokens are stored as hashes only.
    let db = app.db().await;
    let stored: i64 = gatehouse::with_pool!(&db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM emailpassword_reset_tokens").fetch_one(pool).await.unwrap());
    assert_eq!(stored, 0, "consuming removed every token of the user");

    let unknown = app
        .post(
            "/recipe/user/password/reset/token",
            &json!({ "userId": "nobody", "email": "x@y.z" }),
        )
        .await
        .json();
    assert_eq!(unknown, json!({ "status": "UNKNOWN_USER_ID_ERROR" }));
});

on_both_backends!(concurrent_consumes_succeed_once, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.sign_up("race@example.com", "pw").await;
    let token = app
        .post(
            "/recipe/user/password/reset/token",
            &json!({ "userId": user["id"], "email": "race@example.com" }),
        )
        .await
        .json()["token"]
        .clone();
    let attempts = (0..8).map(|_| {
        let body = json!({ "token": token });
        let app = &app;
        async move {
            app.post("/recipe/user/password/reset/token/consume", &body)
                .await
                .json()["status"]
                .clone()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|status| *status == "OK").count(),
        1,
        "{statuses:?}"
    );
});

on_both_backends!(expired_reset_tokens_are_refused, |backend| {
    let app = TestApp::spawn_with(backend, |s| s.password_reset_token_lifetime = 1).await;
    let user = app.sign_up("expired@example.com", "pw").await;
    let token = app
        .post(
            "/recipe/user/password/reset/token",
            &json!({ "userId": user["id"], "email": "expired@example.com" }),
        )
        .await
        .json()["token"]
        .clone();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    let reply = app
        .post(
            "/recipe/user/password/reset/token/consume",
            &json!({ "token": token }),
        )
        .await
        .json();
    assert_eq!(
        reply,
        json!({ "status": "RESET_PASSWORD_INVALID_TOKEN_ERROR" })
    );
});

on_both_backends!(deprecated_reset_sets_the_password, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.sign_up("old-reset@example.com", "pw-1").await;
    let token = app
        .post(
            "/recipe/user/password/reset/token",
            &json!({ "userId": user["id"], "email": "old-reset@example.com" }),
        )
        .await
        .json()["token"]
        .clone();
    let body = json!({ "method": "token", "token": token, "newPassword": "pw-2" });
    assert_eq!(
        app.post("/recipe/user/password/reset", &body).await.json(),
        json!({ "status": "OK", "userId": user["id"] })
    );
    let signed_in = app
        .post(
            "/recipe/signin",
            &json!({ "email": "old-reset@example.com", "password": "pw-2" }),
        )
        .await
        .json();
    assert_eq!(signed_in["status"], "OK");
    assert_eq!(
        app.post("/recipe/user/password/reset", &body).await.json()["status"],
        "RESET_PASSWORD_INVALID_TOKEN_ERROR"
    );
    app.post(
        "/recipe/user/password/reset",
        &json!({ "method": "link", "token": "t", "newPassword": "p" }),
    )
    .await
    .assert_error(400, "Unsupported method for password reset");
    app.post(
        "/recipe/user/password/reset",
        &json!({ "method": "token", "token": "t", "newPassword": "" }),
    )
    .await
    .assert_error(400, "Password cannot be an empty string");
});

on_both_backends!(import_password_hashes, |backend| {
    let signer_key =
        "gRhC3eDeQOdyEn4bMd9c6kxguWVmcIVq/SKa0JDPFeM6TcEevkaW56sIWfx88OHbJKnCXdWscZx0l2WbCJ1wbg==";
    let app = TestApp::spawn_with(backend, |s| {
        s.firebase_password_hashing_signer_key = Some(gatehouse::config::Secret::new(signer_key))
    })
    .await;
    let bcrypt_hash = bcrypt::hash("bcrypt-pw", 4).unwrap();
    let firebase = "$f_scrypt$qZM035es5AXYqavsKD6/rhtxg7t5PhcyRgv5blc3doYbChX8keMfQLq1ra96O2Pf2TP/eZrR5xtPCYN6mX3ESA==$/cj0jC1br5o4+w==$m=14$r=8$s=Bw==";
    for (email, hash, algorithm, password) in [
        (
            "b@example.com",
            bcrypt_hash.as_str(),
            Some("bcrypt"),
            "bcrypt-pw",
        ),
        (
            "f@example.com",
            firebase,
            Some("FIREBASE_SCRYPT"),
            "testPass123",
        ),
        ("auto@example.com", bcrypt_hash.as_str(), None, "bcrypt-pw"),
    ] {
        let mut body = json!({ "email": email, "passwordHash": hash });
        if let Some(algorithm) = algorithm {
            body["hashingAlgorithm"] = json!(algorithm);
        }
        let reply = app
            .post("/recipe/user/passwordhash/import", &body)
            .await
            .json();
        assert_eq!(reply["status"], "OK");
        assert_eq!(reply["didUserAlreadyExist"], false);
        assert_new_user(&reply["user"], email);
        let signed_in = app
            .post(
                "/recipe/signin",
                &json!({ "email": email, "password": password }),
            )
            .await
            .json();
        assert_eq!(signed_in["status"], "OK", "{email}");
    }
    // Importing again replaces the hash of the existing user.
    let replacement = bcrypt::hash("new-pw", 4).unwrap();
    let reply = app
        .post(
            "/recipe/user/passwordhash/import",
            &json!({ "email": "b@example.com", "passwordHash": replacement }),
        )
        .await
        .json();
    assert_eq!(reply["didUserAlreadyExist"], true);
    let signed_in = app
        .post(
            "/recipe/signin",
            &json!({ "email": "b@example.com", "password": "new-pw" }),
        )
        .await
        .json();
    assert_eq!(signed_in["status"], "OK");

    let cases = [
        (
            json!({ "email": "x@y.z", "passwordHash": "  " }),
            "Password hash cannot be an empty string",
        ),
        (
            json!({ "email": "x@y.z", "passwordHash": bcrypt_hash, "hashingAlgorithm": " " }),
            "Hashing Algorithm cannot be an empty string",
        ),
        (
            json!({ "email": "x@y.z", "passwordHash": bcrypt_hash, "hashingAlgorithm": "md5" }),
            "Unsupported password hashing algorithm",
        ),
        (
            json!({ "email": "x@y.z", "passwordHash": bcrypt_hash, "hashingAlgorithm": "argon2" }),
            "Password hash is in invalid Argon2 format",
        ),
        (
            json!({ "email": "x@y.z", "passwordHash": firebase, "hashingAlgorithm": "bcrypt" }),
            "Password hash is in invalid BCrypt format",
        ),
        (
            json!({ "email": "x@y.z", "passwordHash": "$2a$10$short", "hashingAlgorithm": "bcrypt" }),
            "Password hash is in invalid BCrypt format",
        ),
        (
            json!({ "email": "x@y.z", "passwordHash": "plain", "hashingAlgorithm": "firebase_scrypt" }),
            "Password hash is in invalid Firebase SCrypt format",
        ),
        (
            json!({ "email": "x@y.z", "passwordHash": "plain" }),
            "Password hash is in invalid format",
        ),
    ];
    for (body, message) in cases {
        app.post("/recipe/user/passwordhash/import", &body)
            .await
            .assert_error(400, message);
    }
    assert_eq!(
        app.count_rows("users").await,
        3,
        "refused imports wrote nothing"
    );
});

on_both_backends!(bad_input_is_refused_and_writes_nothing, |backend| {
    let app = TestApp::spawn(backend).await;
    for path in [
        "/recipe/signup",
        "/recipe/signin",
        "/recipe/user/password/reset/token/consume",
    ] {
        app.send_raw(Method::POST, path, "{\"email\":")
            .await
            .assert_error(400, "Invalid Json Input");
    }
    let cases = [
        (
            "/recipe/signup",
            json!({ "password": "pw" }),
            "Field name 'email' is invalid in JSON input",
        ),
        (
            "/recipe/signup",
            json!({ "email": 5, "password": "pw" }),
            "Field name 'email' is invalid in JSON input",
        ),
        (
            "/recipe/signup",
            json!({ "email": "a@b.c" }),
            "Field name 'password' is invalid in JSON input",
        ),
        (
            "/recipe/signup",
            json!({ "email": "a@b.c", "password": null }),
            "Field name 'password' is invalid in JSON input",
        ),
        (
            "/recipe/signup",
            json!({ "email": "a@b.c", "password": "" }),
            "Password cannot be an empty string",
        ),
        (
            "/recipe/signup",
            json!({ "email": format!("{}@example.com", "a".repeat(300)), "password": "pw" }),
            "Field name 'email' must be at most 256 characters",
        ),
        (
            "/recipe/signin",
            json!({ "email": ["a@b.c", "d@e.f"], "password": "pw" }),
            "Field name 'email' is invalid in JSON input",
        ),
        (
            "/recipe/user/password/reset/token/consume",
            json!({}),
            "Field name 'token' is invalid in JSON input",
        ),
        (
            "/recipe/user/password/reset/token",
            json!({ "email": "a@b.c" }),
            "Field name 'userId' is invalid in JSON input",
        ),
    ];
    for (path, body, message) in cases {
        app.post(path, &body).await.assert_error(400, message);
    }
    app.put("/recipe/user", &json!({ "email": "a@b.c" }))
        .await
        .assert_error(400, "Field name 'recipeUserId' is invalid in JSON input");
    assert_eq!(app.count_rows("users").await, 0);

    // Unicode emails are kept as given (lower-cased), not refused.
    let user = app.sign_up("Ünïcødé@Exämple.com", "pw").await;
    assert_eq!(user["emails"], json!(["ünïcødé@exämple.com"]));
    let signed_in = app
        .post(
            "/recipe/signin",
            &json!({ "email": "ÜNÏCØDÉ@EXÄMPLE.COM", "password": "pw" }),
        )
        .await
        .json();
    assert_eq!(signed_in["status"], "OK");
});

//! Sessions, JWT and JWKS.

use std::time::Duration;

use actix_web::http::Method;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{send, TestApp};
use crate::on_both_backends;

/// The JSON of one part of a JWT.
pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Checks a JWT's signature against the server's public JWKS, as the SDKs do.
pub async fn verifies_with_jwks(app: &TestApp, token: &str) -> bool {
    let jwks = send(app.bare(Method::GET, "/.well-known/jwks.json"), None)
        .await
        .json();
    let kid = jwt_part(token, 0)["kid"].clone();
    let Some(jwk) = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"] == kid)
    else {
        return false;
    };
    let number = |field: &str| {
        BigUint::from_bytes_be(
            &URL_SAFE_NO_PAD
                .decode(jwk[field].as_str().unwrap())
                .unwrap(),
        )
    };
    let key = VerifyingKey::<Sha256>::new(RsaPublicKey::new(number("n"), number("e")).unwrap());
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let signature =
        Signature::try_from(URL_SAFE_NO_PAD.decode(signature).unwrap().as_slice()).unwrap();
    key.verify(signed.as_bytes(), &signature).is_ok()
}

async fn create(app: &TestApp, user_id: &str, body: Value) -> Value {
    let mut request = json!({ "userId": user_id, "enableAntiCsrf": false, "userDataInJWT": {}, "userDataInDatabase": {} });
    request
        .as_object_mut()
        .unwrap()
        .extend(body.as_object().unwrap().clone());
    let reply = app.post("/recipe/session", &request).await.json();
    assert_eq!(reply["status"], "OK", "{reply}");
    reply
}

async fn verify(app: &TestApp, access_token: &Value, check_database: bool) -> Value {
    let body = json!({ "accessToken": access_token, "doAntiCsrfCheck": false, "enableAntiCsrf": false, "checkDatabase": check_database });
    app.post("/recipe/session/verify", &body).await.json()
}

async fn refresh(app: &TestApp, refresh_token: &Value) -> Value {
    let body = json!({ "refreshToken": refresh_token, "enableAntiCsrf": false, "useDynamicSigningKey": true });
    app.post("/recipe/session/refresh", &body).await.json()
}

on_both_backends!(create_answers_upstreams_shape, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.sign_up("session@example.com", "pw").await;
    let user_id = user["id"].as_str().unwrap();
    let reply = create(
        &app,
        user_id,
        json!({ "userDataInJWT": { "role": "admin" }, "userDataInDatabase": { "cart": 3 } }),
    )
    .await;
    let handle = reply["session"]["handle"].as_str().unwrap();
    assert_eq!(
        reply["session"],
        json!({ "handle": handle, "userId": user_id, "recipeUserId": user_id, "userDataInJWT": { "role": "admin" }, "tenantId": "public" })
    );
    assert!(
        reply.get("antiCsrfToken").is_none(),
        "no anti-CSRF token unless asked for"
    );
    let access = &reply["accessToken"];
    assert_eq!(
        access["expiry"].as_i64().unwrap() - access["createdTime"].as_i64().unwrap(),
        3_600_000
    );
    assert_eq!(
        access["createdTime"].as_i64().unwrap() % 1000,
        0,
        "whole seconds, as the token"
    );
    let refresh_token = &reply["refreshToken"];
    assert_eq!(
        refresh_token["expiry"].as_i64().unwrap() - refresh_token["createdTime"].as_i64().unwrap(),
        144_000 * 60_000
    );

    let token = access["token"].as_str().unwrap();
    let header = jwt_part(token, 0);
    assert_eq!(
        (
            header["alg"].as_str(),
            header["typ"].as_str(),
            header["version"].as_str()
        ),
        (Some("RS256"), Some("JWT"), Some("5"))
    );
    assert!(header["kid"].as_str().unwrap().starts_with("d-"));
    let claims = jwt_part(token, 1);
    assert_eq!(claims["sub"], user_id);
    assert_eq!(claims["rsub"], user_id);
    assert_eq!(claims["tId"], "public");
    assert_eq!(claims["sessionHandle"], handle);
    assert_eq!(claims["role"], "admin");
    assert_eq!(claims["parentRefreshTokenHash1"], Value::Null);
    assert_eq!(claims["antiCsrfToken"], Value::Null);
    assert_eq!(
        claims["exp"].as_i64().unwrap() * 1000,
        access["expiry"].as_i64().unwrap()
    );
    assert!(verifies_with_jwks(&app, token).await);

    let with_csrf = create(&app, "u2", json!({ "enableAntiCsrf": true })).await;
    let anti_csrf = with_csrf["antiCsrfToken"].as_str().unwrap();
    assert_eq!(
        jwt_part(with_csrf["accessToken"]["token"].as_str().unwrap(), 1)["antiCsrfToken"],
        anti_csrf
    );

    for claim in [
        "sub",
        "exp",
        "sessionHandle",
        "tId",
        "rsub",
        "antiCsrfToken",
    ] {
        let body = json!({ "userId": "u", "enableAntiCsrf": false, "userDataInJWT": { claim: 1 }, "userDataInDatabase": {} });
        app.post("/recipe/session", &body)
            .await
            .assert_error(400, "The user payload contains protected field");
    }
    assert_eq!(
        app.count_rows("sessions").await,
        2,
        "refused sessions wrote nothing"
    );
});

on_both_backends!(verify_checks_signature_expiry_and_anti_csrf, |backend| {
    let app = TestApp::spawn(backend).await;
    let reply = create(
        &app,
        "u1",
        json!({ "enableAntiCsrf": true, "userDataInJWT": { "k": "v" } }),
    )
    .await;
    let token = reply["accessToken"]["token"].as_str().unwrap().to_string();
    let anti_csrf = reply["antiCsrfToken"].clone();

    let ok = verify(&app, &json!(token), false).await;
    assert_eq!(ok, json!({ "status": "OK", "session": reply["session"] }));
    assert_eq!(verify(&app, &json!(token), true).await["status"], "OK");

    let try_refresh = |message: &str| json!({ "status": "TRY_REFRESH_TOKEN", "message": message });
    let (signed, _) = token.rsplit_once('.').unwrap();
    let forged = format!("{signed}.{}", URL_SAFE_NO_PAD.encode([7u8; 256]));
    assert_eq!(
        verify(&app, &json!(forged), false).await,
        try_refresh("io.supertokens.session.jwt.JWT$JWTException: JWT verification failed")
    );
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    parts[0] = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","version":"5","kid":"d-1"}"#);
    assert_eq!(
        verify(&app, &json!(parts.join(".")), false).await,
        try_refresh("Key not found")
    );
    assert_eq!(
        verify(&app, &json!("not.a-jwt"), false).await,
        try_refresh("io.supertokens.session.jwt.JWT$JWTException: Invalid JWT")
    );

    let with_check = |given: Value| json!({ "accessToken": token, "antiCsrfToken": given, "doAntiCsrfCheck": true, "enableAntiCsrf": true, "checkDatabase": false });
    assert_eq!(
        app.post("/recipe/session/verify", &with_check(anti_csrf))
            .await
            .json()["status"],
        "OK"
    );
    assert_eq!(
        app.post("/recipe/session/verify", &with_check(json!("wrong")))
            .await
            .json(),
        try_refresh("anti-csrf check failed")
    );

    // Revoked: the signature still holds, the database says no.
    let handle = reply["session"]["handle"].clone();
    let revoked = app
        .post(
            "/recipe/session/remove",
            &json!({ "sessionHandles": [handle] }),
        )
        .await
        .json();
    assert_eq!(
        revoked,
        json!({ "status": "OK", "sessionHandlesRevoked": [handle] })
    );
    assert_eq!(verify(&app, &json!(token), false).await["status"], "OK");
    assert_eq!(
        verify(&app, &json!(token), true).await,
        json!({ "status": "UNAUTHORISED", "message": "Either the session has ended or has been blacklisted" })
    );
});

on_both_backends!(expired_access_tokens_and_sessions, |backend| {
    let app = TestApp::spawn_with(backend, |s| {
        s.access_token_validity = 1;
        s.refresh_token_validity = 0.05;
    })
    .await;
    let reply = create(&app, "u1", json!({})).await;
    actix_web::rt::time::sleep(Duration::from_millis(3200)).await;
    let expired = verify(&app, &reply["accessToken"]["token"], false).await;
    assert_eq!(
        expired,
        json!({ "status": "TRY_REFRESH_TOKEN", "message": "Access token expired" })
    );
    let refreshed = refresh(&app, &reply["refreshToken"]["token"]).await;
    assert_eq!(
        refreshed,
        json!({ "status": "UNAUTHORISED", "message": "Session missing in db or has expired" })
    );
    let handle = reply["session"]["handle"].as_str().unwrap();
    let info = app
        .get(&format!("/recipe/session?sessionHandle={handle}"))
        .await
        .json();
    assert_eq!(
        info,
        json!({ "status": "UNAUTHORISED", "message": "Session does not exist." })
    );
    assert_eq!(
        app.count_rows("sessions").await,
        1,
        "expired rows wait for the clean-up"
    );
});

on_both_backends!(refresh_rotates_and_detects_theft, |backend| {
    let app = TestApp::spawn(backend).await;
    let created = create(&app, "u1", json!({ "userDataInJWT": { "a": 1 } })).await;
    let first = created["refreshToken"]["token"].clone();

    let second = refresh(&app, &first).await;
    assert_eq!(second["status"], "OK");
    assert_eq!(second["session"], created["session"]);
    let child_access = second["accessToken"]["token"].as_str().unwrap();
    let claims = jwt_part(child_access, 1);
    assert_eq!(claims["a"], 1);
    assert!(
        claims["parentRefreshTokenHash1"].is_string(),
        "carries the parent until confirmed"
    );
    assert!(verifies_with_jwks(&app, child_access).await);

    // The child is not confirmed yet: the parent still refreshes (an honest retry).
    let retry = refresh(&app, &first).await;
    assert_eq!(retry["status"], "OK");

    // Using the child confirms it; from then on the parent is a stolen token.
    let third = refresh(&app, &second["refreshToken"]["token"]).await;
    assert_eq!(third["status"], "OK");
    let theft = refresh(&app, &first).await;
    assert_eq!(
        theft,
        json!({ "status": "TOKEN_THEFT_DETECTED", "session": { "handle": created["session"]["handle"], "userId": "u1", "recipeUserId": "u1" } })
    );
    // The sibling issued by the retry lost the race too.
    assert_eq!(
        refresh(&app, &retry["refreshToken"]["token"]).await["status"],
        "TOKEN_THEFT_DETECTED"
    );

    let garbage = refresh(&app, &json!("garbage-token")).await;
    assert_eq!(
        garbage,
        json!({ "status": "UNAUTHORISED", "message": "Invalid refresh token" })
    );
    app.post(
        "/recipe/session/refresh",
        &json!({ "refreshToken": "x", "enableAntiCsrf": false }),
    )
    .await
    .assert_error(
        400,
        "Field name 'useDynamicSigningKey' is invalid in JSON input",
    );
});

on_both_backends!(
    verifying_the_new_access_token_confirms_the_refresh,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let created = create(&app, "u1", json!({})).await;
        let first = created["refreshToken"]["token"].clone();
        let second = refresh(&app, &first).await;
        let promoted = verify(&app, &second["accessToken"]["token"], false).await;
        assert_eq!(promoted["status"], "OK");
        let fresh = promoted["accessToken"]["token"]
            .as_str()
            .expect("a new access token");
        assert_eq!(jwt_part(fresh, 1)["parentRefreshTokenHash1"], Value::Null);
        assert_eq!(
            refresh(&app, &first).await["status"],
            "TOKEN_THEFT_DETECTED",
            "the parent is now superseded"
        );
        assert_eq!(
            refresh(&app, &second["refreshToken"]["token"]).await["status"],
            "OK"
        );
    }
);

on_both_backends!(concurrent_refreshes_of_one_token_are_not_theft, |backend| {
    let app = TestApp::spawn(backend).await;
    let created = create(&app, "u1", json!({})).await;
    let token = created["refreshToken"]["token"].clone();
    let attempts = (0..8).map(|_| refresh(&app, &token));
    let replies = futures_util::future::join_all(attempts).await;
    assert!(
        replies.iter().all(|reply| reply["status"] == "OK"),
        "{replies:?}"
    );
    assert_eq!(app.count_rows("sessions").await, 1, "still one session");
    // One of the children is then used, as a browser keeps the last cookie it got.
    assert_eq!(
        refresh(&app, &replies[7]["refreshToken"]["token"]).await["status"],
        "OK"
    );
});

on_both_backends!(revocation_wins_over_refresh, |backend| {
    let app = TestApp::spawn(backend).await;
    let created = create(&app, "u1", json!({})).await;
    let handle = created["session"]["handle"].clone();
    let token = created["refreshToken"]["token"].clone();
    let refreshes = (0..6).map(|_| refresh(&app, &token));
    let revoke_body = json!({ "sessionHandles": [handle] });
    let revoke = app.post("/recipe/session/remove", &revoke_body);
    let (replies, revoked) =
        futures_util::future::join(futures_util::future::join_all(refreshes), revoke).await;
    assert_eq!(revoked.json()["sessionHandlesRevoked"], json!([handle]));
    assert!(replies
        .iter()
        .all(|reply| reply["status"] == "OK" || reply["status"] == "UNAUTHORISED"));
    assert_eq!(
        refresh(&app, &token).await["status"],
        "UNAUTHORISED",
        "nothing brings a revoked session back"
    );
    assert_eq!(app.count_rows("sessions").await, 0);
});

on_both_backends!(session_information_and_payloads, |backend| {
    let app = TestApp::spawn(backend).await;
    let created = create(
        &app,
        "u1",
        json!({ "userDataInJWT": { "a": 1 }, "userDataInDatabase": { "d": 1 } }),
    )
    .await;
    let handle = created["session"]["handle"].as_str().unwrap();
    let info = app
        .get(&format!("/recipe/session?sessionHandle={handle}"))
        .await
        .json();
    assert_eq!(info["userDataInDatabase"], json!({ "d": 1 }));
    assert_eq!(info["userDataInJWT"], json!({ "a": 1 }));
    assert_eq!(
        (
            info["userId"].as_str(),
            info["recipeUserId"].as_str(),
            info["tenantId"].as_str()
        ),
        (Some("u1"), Some("u1"), Some("public"))
    );
    assert_eq!(info["expiry"], created["refreshToken"]["expiry"]);

    let data = json!({ "sessionHandle": handle, "userDataInDatabase": { "d": 2 } });
    assert_eq!(
        app.put("/recipe/session/data", &data).await.json(),
        json!({ "status": "OK" })
    );
    assert_eq!(
        app.get(&format!("/recipe/session/data?sessionHandle={handle}"))
            .await
            .json(),
        json!({ "status": "OK", "userDataInDatabase": { "d": 2 } })
    );
    let jwt = json!({ "sessionHandle": handle, "userDataInJWT": { "b": 2 } });
    assert_eq!(
        app.put("/recipe/jwt/data", &jwt).await.json(),
        json!({ "status": "OK" })
    );
    assert_eq!(
        app.get(&format!("/recipe/jwt/data?sessionHandle={handle}"))
            .await
            .json(),
        json!({ "status": "OK", "userDataInJWT": { "b": 2 } })
    );
    app.put(
        "/recipe/jwt/data",
        &json!({ "sessionHandle": handle, "userDataInJWT": { "sub": "x" } }),
    )
    .await
    .assert_error(400, "The user payload contains protected field");

    // A token verified with the database check picks up the new payload.
    let verified = verify(&app, &created["accessToken"]["token"], true).await;
    assert_eq!(
        jwt_part(verified["accessToken"]["token"].as_str().unwrap(), 1)["b"],
        2
    );

    let gone = json!({ "status": "UNAUTHORISED", "message": "Session does not exist." });
    assert_eq!(
        app.put(
            "/recipe/session/data",
            &json!({ "sessionHandle": "nope", "userDataInDatabase": {} })
        )
        .await
        .json(),
        gone
    );
    assert_eq!(
        app.get("/recipe/session?sessionHandle=nope").await.json(),
        gone
    );
    app.get("/recipe/session?sessionHandle=x_missingtenant").await.assert_error(
        400,
        "AppId or tenantId not found => Tenant with the following connectionURIDomain, appId and tenantId combination not found: (, public, missingtenant)",
    );
});

on_both_backends!(regenerate_keeps_the_expiry, |backend| {
    let app = TestApp::spawn(backend).await;
    let created = create(&app, "u1", json!({ "userDataInJWT": { "a": 1 } })).await;
    let body = json!({ "accessToken": created["accessToken"]["token"], "userDataInJWT": { "a": 2, "b": 3 } });
    let reply = app.post("/recipe/session/regenerate", &body).await.json();
    assert_eq!(reply["status"], "OK");
    assert_eq!(reply["session"]["userDataInJWT"], json!({ "a": 2, "b": 3 }));
    assert_eq!(
        reply["accessToken"]["expiry"],
        created["accessToken"]["expiry"]
    );
    let claims = jwt_part(reply["accessToken"]["token"].as_str().unwrap(), 1);
    assert_eq!(
        (claims["a"].clone(), claims["b"].clone()),
        (json!(2), json!(3))
    );
    let handle = created["session"]["handle"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/recipe/jwt/data?sessionHandle={handle}"))
            .await
            .json()["userDataInJWT"],
        json!({ "a": 2, "b": 3 })
    );
    let protected =
        json!({ "accessToken": created["accessToken"]["token"], "userDataInJWT": { "iat": 1 } });
    app.post("/recipe/session/regenerate", &protected)
        .await
        .assert_error(400, "The user payload contains protected field");
});

on_both_backends!(revoking_by_user_and_listing_handles, |backend| {
    let app = TestApp::spawn(backend).await;
    let db = app.db().await;
    gatehouse::with_pool!(&db, pool => {
        sqlx::query("INSERT INTO tenants (app_id, tenant_id, created_at_time) VALUES ('public', 't1', 1)").execute(pool).await.unwrap();
    });
    let public = create(&app, "u1", json!({})).await["session"]["handle"].clone();
    let t1_reply = app.post("/t1/recipe/session", &json!({ "userId": "u1", "enableAntiCsrf": false, "userDataInJWT": {}, "userDataInDatabase": {} })).await.json();
    let in_t1 = t1_reply["session"]["handle"].clone();
    assert!(in_t1.as_str().unwrap().ends_with("_t1"));
    assert_eq!(t1_reply["session"]["tenantId"], "t1");
    create(&app, "u2", json!({})).await;

    let all = app.get("/recipe/session/user?userId=u1").await.json();
    assert_eq!(all["sessionHandles"].as_array().unwrap().len(), 2);
    let only_t1 = app
        .get("/t1/recipe/session/user?userId=u1&fetchAcrossAllTenants=false")
        .await
        .json();
    assert_eq!(only_t1["sessionHandles"], json!([in_t1]));
    app.get("/t1/recipe/session/user?userId=u1")
        .await
        .assert_error(403, "Only public tenantId can call this app specific API");
    // A token of tenant t1 verifies through the public path.
    assert_eq!(
        verify(&app, &t1_reply["accessToken"]["token"], true).await["session"]["tenantId"],
        "t1"
    );

    let t1_only = json!({ "userId": "u1", "revokeAcrossAllTenants": false });
    assert_eq!(
        app.post("/t1/recipe/session/remove", &t1_only).await.json()["sessionHandlesRevoked"],
        json!([in_t1])
    );
    let everywhere = app
        .post("/recipe/session/remove", &json!({ "userId": "u1" }))
        .await
        .json();
    assert_eq!(everywhere["sessionHandlesRevoked"], json!([public]));
    assert_eq!(app.count_rows("sessions").await, 1, "u2's session stays");

    let cases = [
        (
            json!({}),
            "Invalid JSON input - use one of userId or sessionHandles array",
        ),
        (
            json!({ "userId": "u", "sessionHandles": [] }),
            "Invalid JSON input - use one of userId or sessionHandles array",
        ),
        (
            json!({ "sessionHandles": [], "revokeAcrossAllTenants": true }),
            "Invalid JSON input - revokeAcrossAllTenants can only be set if userId is set",
        ),
        (
            json!({ "sessionHandles": [], "revokeSessionsForLinkedAccounts": false }),
            "Invalid JSON input - revokeSessionsForLinkedAccounts can only be set if userId is set",
        ),
        (
            json!({ "sessionHandles": [1] }),
            "Field name 'sessionHandles' is invalid in JSON input",
        ),
    ];
    for (body, message) in cases {
        app.post("/recipe/session/remove", &body)
            .await
            .assert_error(400, message);
    }
});

on_both_backends!(static_and_dynamic_keys, |backend| {
    let app = TestApp::spawn(backend).await;
    let dynamic = create(&app, "u1", json!({})).await;
    let fixed = create(&app, "u1", json!({ "useDynamicSigningKey": false })).await;
    let kid = |reply: &Value| {
        jwt_part(reply["accessToken"]["token"].as_str().unwrap(), 0)["kid"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(kid(&dynamic).starts_with("d-"));
    assert!(kid(&fixed).starts_with("s-"));
    assert!(verifies_with_jwks(&app, fixed["accessToken"]["token"].as_str().unwrap()).await);
    assert_eq!(
        verify(&app, &fixed["accessToken"]["token"], true).await["status"],
        "OK"
    );
    // The session remembers its key kind across refreshes unless told otherwise.
    let body = json!({ "refreshToken": fixed["refreshToken"]["token"], "enableAntiCsrf": false, "useDynamicSigningKey": false });
    let refreshed = app.post("/recipe/session/refresh", &body).await.json();
    assert!(kid(&refreshed).starts_with("s-"));
    assert_eq!(
        kid(&create(&app, "u2", json!({ "useDynamicSigningKey": false })).await),
        kid(&fixed),
        "one static key per app"
    );

    let jwks = send(app.bare(Method::GET, "/.well-known/jwks.json"), None).await;
    let keys = jwks.json()["keys"].clone();
    let kids: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [kid(&dynamic), kid(&fixed)]);
    assert_eq!(keys[0]["e"], "AQAB");
    assert_eq!(
        (
            keys[0]["kty"].as_str(),
            keys[0]["alg"].as_str(),
            keys[0]["use"].as_str()
        ),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert_eq!(
        app.get("/recipe/jwt/jwks").await.json(),
        json!({ "status": "OK", "keys": keys })
    );
});

on_both_backends!(public_jwks_needs_no_key_and_can_be_cached, |backend| {
    let app = TestApp::spawn_with(backend, |s| {
        s.api_keys = Some(gatehouse::config::Secret::new(crate::helpers::API_KEY))
    })
    .await;
    let mut response = app
        .bare(Method::GET, "/.well-known/jwks.json")
        .insert_header(("cdi-version", "1.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cache = response
        .headers()
        .get("cache-control")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let max_age: i64 = cache
        .strip_prefix("max-age=")
        .unwrap()
        .strip_suffix(", must-revalidate")
        .unwrap()
        .parse()
        .unwrap();
    assert!(max_age > 0 && max_age <= 168 * 3600, "{cache}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["keys"].as_array().unwrap().len(), 1);
    send(app.bare(Method::GET, "/recipe/jwt/jwks"), None)
        .await
        .assert_error(401, "Invalid API key");
});

on_both_backends!(jwt_recipe_signs_custom_payloads, |backend| {
    let app = TestApp::spawn(backend).await;
    let body = json!({ "algorithm": "RS256", "jwksDomain": "https://api.example.com", "payload": { "scope": "x" }, "validity": 60 });
    let reply = app.post("/recipe/jwt", &body).await.json();
    assert_eq!(reply["status"], "OK");
    let jwt = reply["jwt"].as_str().unwrap();
    assert!(
        jwt_part(jwt, 0)["kid"].as_str().unwrap().starts_with("s-"),
        "the static key by default"
    );
    let claims = jwt_part(jwt, 1);
    assert_eq!(
        (claims["iss"].as_str(), claims["scope"].as_str()),
        (Some("https://api.example.com"), Some("x"))
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        60
    );
    assert!(verifies_with_jwks(&app, jwt).await);

    let own_issuer = json!({ "algorithm": "rs256", "jwksDomain": "d", "payload": { "iss": "me" }, "validity": 5, "useStaticSigningKey": false });
    let mine = app.post("/recipe/jwt", &own_issuer).await.json();
    assert_eq!(jwt_part(mine["jwt"].as_str().unwrap(), 1)["iss"], "me");
    assert!(jwt_part(mine["jwt"].as_str().unwrap(), 0)["kid"]
        .as_str()
        .unwrap()
        .starts_with("d-"));

    let unsupported =
        json!({ "algorithm": "HS256", "jwksDomain": "d", "payload": {}, "validity": 5 });
    assert_eq!(
        app.post("/recipe/jwt", &unsupported).await.json(),
        json!({ "status": "UNSUPPORTED_ALGORITHM_ERROR" })
    );
    let zero = json!({ "algorithm": "RS256", "jwksDomain": "d", "payload": {}, "validity": 0 });
    app.post("/recipe/jwt", &zero)
        .await
        .assert_error(400, "validity must be greater than or equal to 0");
    app.post(
        "/recipe/jwt",
        &json!({ "algorithm": "RS256", "jwksDomain": "d", "validity": 5 }),
    )
    .await
    .assert_error(400, "Field name 'payload' is invalid in JSON input");
});

on_both_backends!(
    deleting_a_user_ends_its_sessions_and_clean_up_removes_expired_ones,
    |backend| {
        let app = TestApp::spawn_with(backend, |s| {
            s.access_token_validity = 1;
            s.refresh_token_validity = 0.05;
        })
        .await;
        let user = app.sign_up("sessions@example.com", "pw").await;
        create(&app, user["id"].as_str().unwrap(), json!({})).await;
        create(&app, "someone-else", json!({})).await;
        app.post("/user/remove", &json!({ "userId": user["id"] }))
            .await
            .json();
        assert_eq!(app.count_rows("sessions").await, 1);

        actix_web::rt::time::sleep(Duration::from_millis(3200)).await;
        let db = app.db().await;
        let state = gatehouse::state::AppState::new(app.settings.clone(), db, &{
            let mut routes = gatehouse::http::Routes::default();
            gatehouse::recipes::register(&mut routes);
            routes
        })
        .unwrap();
        assert!(gatehouse::cleanup::run_once(&state).await.unwrap() >= 1);
        assert_eq!(app.count_rows("sessions").await, 0);
    }
);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

on_both_backends!(
    creating_and_refreshing_a_session_marks_the_user_active,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let active_since = |since: i64| {
            let app = &app;
            async move {
                app.get(&format!("/users/count/active?since={since}"))
                    .await
                    .json()["count"]
                    .clone()
            }
        };
        let before = now_ms();
        // A user the app keeps outside gatehouse: the session's user id stands for itself.
        let session = create(&app, "kept-elsewhere", json!({})).await;
        assert_eq!(active_since(before).await, 1);

        tokio::time::sleep(Duration::from_millis(20)).await;
        let after_create = now_ms();
        assert_eq!(active_since(after_create).await, 0);
        let refreshed = refresh(&app, &session["refreshToken"]["token"]).await;
        assert_eq!(refreshed["status"], "OK", "{refreshed}");
        assert_eq!(active_since(after_create).await, 1, "a refresh is activity");

        tokio::time::sleep(Duration::from_millis(20)).await;
        let after_refresh = now_ms();
        let updated = app
        .put(
            "/recipe/session/data",
            &json!({ "sessionHandle": session["session"]["handle"], "userDataInDatabase": { "a": 1 } }),
        )
        .await
        .json();
        assert_eq!(updated["status"], "OK", "{updated}");
        assert_eq!(
            active_since(after_refresh).await,
            0,
            "a payload update is not"
        );
    }
);

on_both_backends!(
    a_jwt_made_from_a_sessions_payload_verifies_as_that_session,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let session = create(&app, "u1", json!({})).await;
        let mut payload = jwt_part(session["accessToken"]["token"].as_str().unwrap(), 1);
        let claims = payload.as_object_mut().unwrap();
        claims.remove("exp");
        claims.remove("iat");
        // `/recipe/jwt` makes JWTs without the session recipe's `version` header: they are read
        // as the latest version, as upstream does.
        let jwt = app
        .post(
            "/recipe/jwt",
            &json!({ "payload": payload, "validity": 1234, "algorithm": "RS256", "jwksDomain": "http://api.example.com", "useStaticSigningKey": false }),
        )
        .await
        .json();
        let token = jwt["jwt"].as_str().unwrap();
        assert_eq!(jwt_part(token, 0).get("version"), None);
        let verified = verify(&app, &json!(token), true).await;
        assert_eq!(verified["status"], "OK", "{verified}");
        assert_eq!(verified["session"]["handle"], session["session"]["handle"]);
        let claims = jwt_part(token, 1);
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            1234
        );
    }
);

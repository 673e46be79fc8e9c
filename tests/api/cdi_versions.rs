//! What differs between the CDI versions gatehouse serves (docs/http.md has the table): each
//! test speaks to one server at several versions and checks the answers each SDK generation
//! parses.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::sessions::{jwt_part, verifies_with_jwks};

/// The versions before account linking (node 15, python 0.15–0.24, golang 0.24–0.25).
const BEFORE_ACCOUNT_LINKING: [&str; 2] = ["3.0", "3.1"];
/// The versions with account linking, oldest first.
const WITH_ACCOUNT_LINKING: [&str; 6] = ["4.0", "5.0", "5.1", "5.2", "5.3", "5.4"];

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

async fn add_tenant(app: &TestApp, tenant_id: &str) {
    let db = app.db().await;
    gatehouse::with_pool!(&db, pool => {
        sqlx::query("INSERT INTO tenants (app_id, tenant_id, created_at_time) VALUES ('public', $1, 1)")
            .bind(tenant_id)
            .execute(pool)
            .await
            .unwrap();
    });
    db.close().await;
}

on_both_backends!(users_are_per_recipe_before_4_0, |backend| {
    let app = TestApp::spawn(backend).await;
    for (n, version) in BEFORE_ACCOUNT_LINKING.into_iter().enumerate() {
        let at = app.at(version);
        let email = format!("legacy{n}@example.com");
        let signed_up = at
            .post(
                "/recipe/signup",
                &json!({ "email": format!(" Legacy{n}@Example.com"), "password": "pw-1" }),
            )
            .await
            .json();
        assert_eq!(
            keys(&signed_up),
            ["status", "user"],
            "{version}: {signed_up}"
        );
        let user = signed_up["user"].clone();
        assert_eq!(keys(&user), ["email", "id", "tenantIds", "timeJoined"]);
        assert_eq!(user["email"], email);
        assert_eq!(user["tenantIds"], json!(["public"]));
        assert!(user["timeJoined"].is_i64());
        let user_id = user["id"].as_str().unwrap();

        let signed_in = at
            .post(
                "/recipe/signin",
                &json!({ "email": email, "password": "pw-1" }),
            )
            .await
            .json();
        assert_eq!(
            signed_in,
            json!({ "status": "OK", "user": user }),
            "{version}"
        );
        let wrong = at
            .post(
                "/recipe/signin",
                &json!({ "email": email, "password": "pw-2" }),
            )
            .await
            .json();
        assert_eq!(wrong, json!({ "status": "WRONG_CREDENTIALS_ERROR" }));

        let by_id = at
            .get(&format!("/recipe/user?userId={user_id}"))
            .await
            .json();
        assert_eq!(by_id, json!({ "status": "OK", "user": user }), "{version}");
        let by_email = at.get(&format!("/recipe/user?email={email}")).await.json();
        assert_eq!(
            by_email,
            json!({ "status": "OK", "user": user }),
            "{version}"
        );

        let listed = at.get("/users?limit=500").await.json();
        let item = listed["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["user"]["id"] == user_id)
            .unwrap_or_else(|| panic!("{version}: {listed}"));
        assert_eq!(item, &json!({ "recipeId": "emailpassword", "user": user }));

        // The core user APIs answer the account-linking user at every version.
        let full = at.get(&format!("/user/id?userId={user_id}")).await.json();
        assert_eq!(full["user"]["loginMethods"][0]["email"], email);
        assert_eq!(full["user"]["isPrimaryUser"], false);
        assert!(full["user"].get("webauthn").is_none());
        let by_account = at
            .get(&format!(
                "/users/by-accountinfo?email={email}&doUnionOfAccountInfo=false"
            ))
            .await
            .json();
        assert_eq!(by_account["users"][0]["id"], user_id);
        assert!(by_account["users"][0].get("loginMethods").is_some());
    }
});

on_both_backends!(users_have_login_methods_from_4_0, |backend| {
    let app = TestApp::spawn(backend).await;
    for (n, version) in WITH_ACCOUNT_LINKING.into_iter().enumerate() {
        let at = app.at(version);
        let email = format!("linked{n}@example.com");
        let signed_up = at
            .post(
                "/recipe/signup",
                &json!({ "email": email, "password": "pw-1" }),
            )
            .await
            .json();
        assert_eq!(keys(&signed_up), ["recipeUserId", "status", "user"]);
        let user_id = signed_up["user"]["id"].as_str().unwrap().to_string();
        assert_eq!(signed_up["recipeUserId"], user_id);
        let webauthn = version >= "5.3";
        let mut expected_keys = vec![
            "emails",
            "id",
            "isPrimaryUser",
            "loginMethods",
            "phoneNumbers",
            "tenantIds",
            "thirdParty",
            "timeJoined",
        ];
        if webauthn {
            expected_keys.push("webauthn");
        }
        let signed_in = at
            .post(
                "/recipe/signin",
                &json!({ "email": email, "password": "pw-1" }),
            )
            .await
            .json();
        for user in [
            &signed_up["user"],
            &signed_in["user"],
            &at.get(&format!("/user/id?userId={user_id}")).await.json()["user"],
            &at.get(&format!("/recipe/user?userId={user_id}"))
                .await
                .json()["user"],
        ] {
            assert_eq!(keys(user), expected_keys, "{version}: {user}");
        }
        assert_eq!(signed_in["recipeUserId"], user_id);
        let listed = at.get("/users?limit=500").await.json();
        let item = listed["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["id"] == user_id.as_str())
            .unwrap_or_else(|| panic!("{version}: {listed}"));
        assert_eq!(keys(item), expected_keys, "{version}");
    }
});

on_both_backends!(update_user_names_the_login_method_by_version, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.sign_up("update@example.com", "pw-1").await;
    let user_id = user["id"].as_str().unwrap();

    let legacy = app.at("3.1");
    let changed = legacy
        .put(
            "/recipe/user",
            &json!({ "userId": user_id, "email": "Updated@Example.com", "password": "pw-2" }),
        )
        .await
        .json();
    assert_eq!(changed, json!({ "status": "OK" }));
    legacy
        .put(
            "/recipe/user",
            &json!({ "recipeUserId": user_id, "password": "pw-3" }),
        )
        .await
        .assert_error(400, "Field name 'userId' is invalid in JSON input");
    let unknown = legacy
        .put(
            "/recipe/user",
            &json!({ "userId": "nobody", "password": "pw-3" }),
        )
        .await
        .json();
    assert_eq!(unknown, json!({ "status": "UNKNOWN_USER_ID_ERROR" }));

    let current = app.at("4.0");
    current
        .put(
            "/recipe/user",
            &json!({ "userId": user_id, "password": "pw-3" }),
        )
        .await
        .assert_error(400, "Field name 'recipeUserId' is invalid in JSON input");
    let signed_in = current
        .post(
            "/recipe/signin",
            &json!({ "email": "updated@example.com", "password": "pw-2" }),
        )
        .await
        .json();
    assert_eq!(signed_in["status"], "OK", "{signed_in}");
});

on_both_backends!(reset_tokens_need_an_email_from_4_0, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.sign_up("reset@example.com", "pw-1").await;
    let user_id = user["id"].as_str().unwrap();

    // Before 4.0 the token is for the user's email-password email, and the old one-step
    // reset is how the SDKs of that time use it.
    let legacy = app.at("3.0");
    let token = legacy
        .post(
            "/recipe/user/password/reset/token",
            &json!({ "userId": user_id }),
        )
        .await
        .json();
    assert_eq!(keys(&token), ["status", "token"], "{token}");
    let reset = legacy
        .post(
            "/recipe/user/password/reset",
            &json!({ "method": "token", "token": token["token"], "newPassword": "pw-new" }),
        )
        .await
        .json();
    assert_eq!(reset, json!({ "status": "OK", "userId": user_id }));
    let signed_in = legacy
        .post(
            "/recipe/signin",
            &json!({ "email": "reset@example.com", "password": "pw-new" }),
        )
        .await
        .json();
    assert_eq!(signed_in["status"], "OK");
    let unknown = legacy
        .post(
            "/recipe/user/password/reset/token",
            &json!({ "userId": "nobody" }),
        )
        .await
        .json();
    assert_eq!(unknown, json!({ "status": "UNKNOWN_USER_ID_ERROR" }));

    let current = app.at("4.0");
    current
        .post(
            "/recipe/user/password/reset/token",
            &json!({ "userId": user_id }),
        )
        .await
        .assert_error(400, "Field name 'email' is invalid in JSON input");
    let token = current
        .post(
            "/recipe/user/password/reset/token",
            &json!({ "userId": user_id, "email": "reset@example.com" }),
        )
        .await
        .json();
    let consumed = current
        .post(
            "/recipe/user/password/reset/token/consume",
            &json!({ "token": token["token"] }),
        )
        .await
        .json();
    assert_eq!(
        consumed,
        json!({ "status": "OK", "userId": user_id, "email": "reset@example.com" })
    );
});

fn new_session(user_id: &str, payload: Value) -> Value {
    json!({
        "userId": user_id,
        "enableAntiCsrf": false,
        "userDataInJWT": payload,
        "userDataInDatabase": {},
        "useDynamicSigningKey": false,
    })
}

on_both_backends!(sessions_before_4_0_use_version_4_tokens, |backend| {
    let app = TestApp::spawn(backend).await;
    let legacy = app.at("3.0");
    let created = legacy
        .post(
            "/recipe/session",
            &new_session("u-legacy", json!({ "rsub": "mine" })),
        )
        .await
        .json();
    assert_eq!(created["status"], "OK", "{created}");
    assert_eq!(
        created["session"],
        json!({ "handle": created["session"]["handle"], "userId": "u-legacy", "userDataInJWT": { "rsub": "mine" }, "tenantId": "public" })
    );
    let token = created["accessToken"]["token"].as_str().unwrap();
    let header = jwt_part(token, 0);
    assert_eq!(header["version"], "4");
    assert!(header["kid"].as_str().unwrap().starts_with("s-"));
    let claims = jwt_part(token, 1);
    assert_eq!(claims["tId"], "public");
    assert_eq!(claims["sub"], "u-legacy");
    // `rsub` is not a core claim of version 4: here it is the user's own.
    assert_eq!(claims["rsub"], "mine");
    assert!(verifies_with_jwks(&app, token).await);

    let handle = created["session"]["handle"].as_str().unwrap();
    let info = legacy
        .get(&format!("/recipe/session?sessionHandle={handle}"))
        .await
        .json();
    assert_eq!(info["tenantId"], "public");
    assert!(info.get("recipeUserId").is_none(), "{info}");
    assert_eq!(info["userId"], "u-legacy");
    let info = app
        .at("4.0")
        .get(&format!("/recipe/session?sessionHandle={handle}"))
        .await
        .json();
    assert_eq!(info["recipeUserId"], "u-legacy");

    let verify = |check_database: bool| json!({ "accessToken": token, "doAntiCsrfCheck": false, "enableAntiCsrf": false, "checkDatabase": check_database });
    let verified = legacy
        .post("/recipe/session/verify", &verify(true))
        .await
        .json();
    assert_eq!(verified["status"], "OK", "{verified}");
    assert!(verified["session"].get("recipeUserId").is_none());
    // A version 4 token stays readable by newer SDKs: its user is its login method.
    let verified = app
        .at("5.4")
        .post("/recipe/session/verify", &verify(false))
        .await
        .json();
    assert_eq!(verified["session"]["recipeUserId"], "u-legacy");
    assert_eq!(
        verified["session"]["userDataInJWT"],
        json!({ "rsub": "mine" })
    );

    // Regenerating keeps the token's version.
    let regenerated = app
        .at("5.4")
        .post(
            "/recipe/session/regenerate",
            &json!({ "accessToken": token, "userDataInJWT": { "rsub": "still mine" } }),
        )
        .await
        .json();
    assert_eq!(regenerated["status"], "OK", "{regenerated}");
    let fresh = regenerated["accessToken"]["token"].as_str().unwrap();
    assert_eq!(jwt_part(fresh, 0)["version"], "4");
    assert_eq!(jwt_part(fresh, 1)["rsub"], "still mine");

    // From 4.0 `rsub` is the core's.
    app.at("4.0")
        .post(
            "/recipe/session",
            &new_session("u-new", json!({ "rsub": "mine" })),
        )
        .await
        .assert_error(400, "The user payload contains protected field");
    let created = app
        .at("4.0")
        .post("/recipe/session", &new_session("u-new", json!({})))
        .await
        .json();
    let token = created["accessToken"]["token"].as_str().unwrap();
    assert_eq!(jwt_part(token, 0)["version"], "5");
    assert_eq!(jwt_part(token, 1)["rsub"], "u-new");
    assert_eq!(created["session"]["recipeUserId"], "u-new");
});

on_both_backends!(refresh_may_omit_the_signing_key_before_5_0, |backend| {
    let app = TestApp::spawn(backend).await;
    let created = app
        .at("3.1")
        .post("/recipe/session", &new_session("u-refresh", json!({})))
        .await
        .json();
    let refresh_token = created["refreshToken"]["token"].clone();
    let body = json!({ "refreshToken": refresh_token, "enableAntiCsrf": false });

    app.at("5.0")
        .post("/recipe/session/refresh", &body)
        .await
        .assert_error(
            400,
            "Field name 'useDynamicSigningKey' is invalid in JSON input",
        );
    // Without the flag the session keeps its static key.
    let refreshed = app
        .at("3.1")
        .post("/recipe/session/refresh", &body)
        .await
        .json();
    assert_eq!(refreshed["status"], "OK", "{refreshed}");
    assert!(refreshed["session"].get("recipeUserId").is_none());
    let token = refreshed["accessToken"]["token"].as_str().unwrap();
    assert_eq!(jwt_part(token, 0)["version"], "4");
    assert!(jwt_part(token, 0)["kid"]
        .as_str()
        .unwrap()
        .starts_with("s-"));

    // A refresh at 4.0 mints the version of 4.0, and switches keys when told to.
    let next = json!({
        "refreshToken": refreshed["refreshToken"]["token"],
        "enableAntiCsrf": false,
        "useDynamicSigningKey": true,
    });
    let refreshed_again = app
        .at("4.0")
        .post("/recipe/session/refresh", &next)
        .await
        .json();
    let token = refreshed_again["accessToken"]["token"].as_str().unwrap();
    assert_eq!(jwt_part(token, 0)["version"], "5");
    assert!(jwt_part(token, 0)["kid"]
        .as_str()
        .unwrap()
        .starts_with("d-"));
    assert_eq!(refreshed_again["session"]["recipeUserId"], "u-refresh");

    // Reusing the first refresh token is theft, and the answer names the login method at
    // every version.
    let theft = app
        .at("3.1")
        .post("/recipe/session/refresh", &body)
        .await
        .json();
    assert_eq!(
        theft,
        json!({
            "status": "TOKEN_THEFT_DETECTED",
            "session": { "handle": created["session"]["handle"], "userId": "u-refresh", "recipeUserId": "u-refresh" },
        })
    );
});

on_both_backends!(app_apis_accept_a_tenant_before_5_0, |backend| {
    let app = TestApp::spawn(backend).await;
    add_tenant(&app, "t1").await;
    let user = app.sign_up("tenanted@example.com", "pw").await;
    let user_id = user["id"].as_str().unwrap();
    let path = format!("/t1/user/id?userId={user_id}");
    for version in ["3.0", "3.1", "4.0"] {
        let reply = app.at(version).get(&path).await.json();
        assert_eq!(reply["user"]["id"], user_id, "{version}");
    }
    for version in ["5.0", "5.4"] {
        app.at(version)
            .get(&path)
            .await
            .assert_error(403, "Only public tenantId can call this app specific API");
    }
    // The same rule for the app-wide forms of tenant APIs.
    let counted = app
        .at("4.0")
        .get("/t1/users/count?includeAllTenants=true")
        .await
        .json();
    assert_eq!(counted, json!({ "status": "OK", "count": 1 }));
    app.at("5.0")
        .get("/t1/users/count?includeAllTenants=true")
        .await
        .assert_error(403, "Only public tenantId can call this app specific API");
});

on_both_backends!(tenants_in_v1_and_v2_shapes, |backend| {
    let app = TestApp::spawn(backend).await;
    add_tenant(&app, "t1").await;
    let v1 = json!({
        "tenantId": "t1",
        "emailPassword": { "enabled": true },
        "thirdParty": { "enabled": true, "providers": [] },
        "passwordless": { "enabled": true },
        "coreConfig": {},
    });
    for version in ["3.0", "3.1", "4.0", "5.0", "5.4"] {
        let at = app.at(version);
        let mut expected = v1.clone();
        expected["status"] = json!("OK");
        assert_eq!(
            at.get("/t1/recipe/multitenancy/tenant").await.json(),
            expected,
            "{version}"
        );
        let listed = at.get("/recipe/multitenancy/tenant/list").await.json();
        assert_eq!(listed["status"], "OK");
        let tenants = listed["tenants"].as_array().unwrap();
        assert_eq!(tenants.len(), 2, "{listed}");
        assert!(tenants.contains(&v1), "{version}: {listed}");
        assert!(tenants.iter().any(|tenant| tenant["tenantId"] == "public"));
        let missing = at.get("/nope/recipe/multitenancy/tenant").await.json();
        assert_eq!(missing, json!({ "status": "TENANT_NOT_FOUND_ERROR" }));
    }
    let v2 = app
        .at("5.1")
        .get("/t1/recipe/multitenancy/tenant/v2")
        .await
        .json();
    assert_eq!(
        v2,
        json!({ "tenantId": "t1", "thirdParty": { "providers": [] }, "coreConfig": {}, "status": "OK" })
    );
    app.at("3.0")
        .get("/t1/recipe/multitenancy/tenant/list")
        .await
        .assert_error(
            403,
            "Only the public tenantId is allowed to list all tenants associated with this app",
        );
});

//! Apps, tenants and tenant users: the v2 management APIs, the v1 reads and the
//! first-factor gate of EmailPassword.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn put_tenant(app: &TestApp, prefix: &str, body: Value) -> Value {
    app.put(&format!("{prefix}/recipe/multitenancy/tenant/v2"), &body)
        .await
        .json()
}

on_both_backends!(tenants_are_created_read_updated_and_listed, |backend| {
    let app = TestApp::spawn(backend).await;
    let created = put_tenant(&app, "", json!({ "tenantId": " Customer-1 " })).await;
    assert_eq!(created, json!({ "status": "OK", "createdNew": true }));
    // A tenant created without first factors allows no login method until told.
    let read = app
        .get("/customer-1/recipe/multitenancy/tenant/v2")
        .await
        .json();
    assert_eq!(
        read,
        json!({ "tenantId": "customer-1", "thirdParty": { "providers": [] }, "firstFactors": [], "coreConfig": {}, "status": "OK" })
    );
    let keys: Vec<&String> = read.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "tenantId",
            "thirdParty",
            "firstFactors",
            "coreConfig",
            "status"
        ]
    );

    let updated = put_tenant(
        &app,
        "",
        json!({ "tenantId": "customer-1", "firstFactors": ["emailpassword", "otp-email"], "requiredSecondaryFactors": ["totp"] }),
    )
    .await;
    assert_eq!(updated, json!({ "status": "OK", "createdNew": false }));
    // Absent fields keep their values; an empty second-factor list requires nothing.
    put_tenant(
        &app,
        "/customer-1",
        json!({ "tenantId": "customer-1", "coreConfig": {} }),
    )
    .await;
    let read = app
        .get("/customer-1/recipe/multitenancy/tenant/v2")
        .await
        .json();
    assert_eq!(read["firstFactors"], json!(["emailpassword", "otp-email"]));
    assert_eq!(read["requiredSecondaryFactors"], json!(["totp"]));
    put_tenant(
        &app,
        "",
        json!({ "tenantId": "customer-1", "requiredSecondaryFactors": [] }),
    )
    .await;
    let read = app
        .get("/customer-1/recipe/multitenancy/tenant/v2")
        .await
        .json();
    assert!(read.get("requiredSecondaryFactors").is_none(), "{read}");

    // The v1 read by version: before 5.0 the switches follow the factors.
    let v1 = app
        .at("4.0")
        .get("/customer-1/recipe/multitenancy/tenant")
        .await
        .json();
    assert_eq!(v1["emailPassword"]["enabled"], true);
    assert_eq!(v1["thirdParty"]["enabled"], false);
    assert_eq!(v1["passwordless"]["enabled"], true);
    assert!(v1.get("firstFactors").is_none());
    let v1 = app
        .at("5.0")
        .get("/customer-1/recipe/multitenancy/tenant")
        .await
        .json();
    assert_eq!(v1["thirdParty"]["enabled"], true);
    assert_eq!(v1["firstFactors"], json!(["emailpassword", "otp-email"]));

    // null resets: every login method again.
    put_tenant(
        &app,
        "",
        json!({ "tenantId": "customer-1", "firstFactors": null }),
    )
    .await;
    let read = app
        .get("/customer-1/recipe/multitenancy/tenant/v2")
        .await
        .json();
    assert!(read.get("firstFactors").is_none(), "{read}");

    let listed = app.get("/recipe/multitenancy/tenant/list/v2").await.json();
    let ids: Vec<&str> = listed["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tenant| tenant["tenantId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["public", "customer-1"]);
});

on_both_backends!(tenant_input_is_checked_with_upstreams_texts, |backend| {
    let app = TestApp::spawn(backend).await;
    for (body, message) in [
        (json!({ "tenantId": " " }), "tenantId should not be an empty String"),
        (json!({ "tenantId": "Recipe" }), "Cannot use 'recipe' as a tenantId"),
        (json!({ "tenantId": "appid-x" }), "tenantId must not start with 'appid-'"),
        (json!({ "tenantId": "a_b" }), "tenantId can only contain letters, numbers and hyphens"),
        (json!({ "tenantId": 5 }), "Field name 'tenantId' is invalid in JSON input"),
        (json!({ "tenantId": "t", "emailPasswordEnabled": null }), "emailPasswordEnabled is not a valid input for this API"),
        (json!({ "tenantId": "t", "thirdPartyEnabled": true }), "thirdParty is not a valid input for this API"),
        (json!({ "tenantId": "t", "passwordlessEnabled": true }), "passwordless is not a valid input for this API"),
        (json!({ "tenantId": "t", "firstFactors": ["a", "a"] }), "firstFactors input should not contain duplicate values"),
        (json!({ "tenantId": "t", "requiredSecondaryFactors": ["x", "x"] }), "requiredSecondaryFactors input should not contain duplicate values"),
        (json!({ "tenantId": "t", "firstFactors": ["a b"] }), "firstFactors should contain only 0-9,a-z,A-Z,_,.,- characters"),
        (json!({ "tenantId": "t", "firstFactors": [1] }), "Field name 'firstFactors' is invalid in JSON input"),
        (json!({ "tenantId": "t", "coreConfig": [] }), "Field name 'coreConfig' is invalid in JSON input"),
        (json!({ "tenantId": "t", "coreConfig": { "access_token_validity": 0 } }), "Invalid core config: 'access_token_validity' must be between 1 and 86400000 seconds inclusive."),
        (json!({ "coreConfig": { "x": null } }), "Cannot modify base config"),
    ] {
        app.put("/recipe/multitenancy/tenant/v2", &body)
            .await
            .assert_error(400, message);
    }
    assert_eq!(app.count_rows("tenants").await, 1, "nothing was written");
    app.put(
        "/nope/recipe/multitenancy/tenant/v2",
        &json!({ "tenantId": "nope" }),
    )
    .await
    .assert_error(
        400,
        "AppId or tenantId not found => Tenant with the following connectionURIDomain, appId and tenantId combination not found: (, public, nope)",
    );
});

on_both_backends!(apps_are_created_listed_and_removed, |backend| {
    let app = TestApp::spawn(backend).await;
    let created = app
        .put(
            "/recipe/multitenancy/app/v2",
            &json!({ "appId": "a1", "firstFactors": ["emailpassword"] }),
        )
        .await
        .json();
    assert_eq!(created, json!({ "status": "OK", "createdNew": true }));
    // A new app's data is its own: a user signed up in a1 is unknown in the public app.
    let user = app
        .post(
            "/appid-a1/recipe/signup",
            &json!({ "email": "a1@example.com", "password": "pw" }),
        )
        .await
        .json();
    let user_id = user["user"]["id"].as_str().unwrap();
    let elsewhere = app.get(&format!("/user/id?userId={user_id}")).await.json();
    assert_eq!(elsewhere["status"], "UNKNOWN_USER_ID_ERROR");
    let same_email = app.sign_up("a1@example.com", "pw").await;
    assert_ne!(same_email["id"], user_id);
    // Metadata, roles and sessions of one app are not the other's.
    app.put(
        "/appid-a1/recipe/user/metadata",
        &json!({ "userId": user_id, "metadataUpdate": { "plan": "a1" } }),
    )
    .await
    .json();
    let metadata = app
        .get(&format!("/recipe/user/metadata?userId={user_id}"))
        .await
        .json();
    assert_eq!(metadata["metadata"], json!({}));
    app.put(
        "/appid-a1/recipe/role",
        &json!({ "role": "admin", "permissions": [] }),
    )
    .await
    .json();
    let roles = app.get("/recipe/roles").await.json();
    assert_eq!(roles["roles"], json!([]));
    let session = app
        .post(
            "/appid-a1/recipe/session",
            &json!({ "userId": user_id, "enableAntiCsrf": false, "userDataInJWT": {}, "userDataInDatabase": {} }),
        )
        .await
        .json();
    let verify = json!({ "accessToken": session["accessToken"]["token"], "doAntiCsrfCheck": false, "enableAntiCsrf": false, "checkDatabase": true });
    let elsewhere = app.post("/recipe/session/verify", &verify).await.json();
    assert_eq!(
        elsewhere["status"], "TRY_REFRESH_TOKEN",
        "another app's keys: {elsewhere}"
    );
    let at_home = app
        .post("/appid-a1/recipe/session/verify", &verify)
        .await
        .json();
    assert_eq!(at_home["status"], "OK");

    assert_eq!(
        put_tenant(&app, "/appid-a1", json!({ "tenantId": "t1" })).await["createdNew"],
        true
    );
    let listed = app.get("/recipe/multitenancy/app/list/v2").await.json();
    assert_eq!(listed["status"], "OK");
    let a1 = listed["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["appId"] == "a1")
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(
        a1["tenants"],
        json!([
            { "tenantId": "public", "thirdParty": { "providers": [] }, "firstFactors": ["emailpassword"], "coreConfig": {} },
            { "tenantId": "t1", "thirdParty": { "providers": [] }, "firstFactors": [], "coreConfig": {} },
        ])
    );
    app.get("/appid-a1/recipe/multitenancy/app/list/v2")
        .await
        .assert_error(403, "Only the public tenantId and public appId is allowed to list all apps associated with this connection uri domain");

    // An app goes only once its tenants are gone, and takes its users with it.
    app.post("/recipe/multitenancy/app/remove", &json!({ "appId": "a1" }))
        .await
        .assert_error(403, "Please delete all tenants except the public tenant for this app before calling the delete API");
    let removed = app
        .post(
            "/appid-a1/recipe/multitenancy/tenant/remove",
            &json!({ "tenantId": "t1" }),
        )
        .await
        .json();
    assert_eq!(removed, json!({ "status": "OK", "didExist": true }));
    let removed = app
        .post("/recipe/multitenancy/app/remove", &json!({ "appId": "A1" }))
        .await
        .json();
    assert_eq!(removed, json!({ "status": "OK", "didExist": true }));
    app.get(&format!("/appid-a1/user/id?userId={user_id}"))
        .await
        .assert_error(400, "AppId or tenantId not found => Tenant with the following connectionURIDomain, appId and tenantId combination not found: (, a1, public)");
    let again = app
        .post("/recipe/multitenancy/app/remove", &json!({ "appId": "a1" }))
        .await
        .json();
    assert_eq!(again, json!({ "status": "OK", "didExist": false }));
    for (body, status, message) in [
        (
            json!({ "appId": "public" }),
            403,
            "Cannot delete the public app, use remove connection uri domain API instead",
        ),
        (
            json!({ "appId": "" }),
            400,
            "appId should not be an empty String",
        ),
        (
            json!({ "appId": "appid-x" }),
            400,
            "appId must not start with 'appid-'",
        ),
        (
            json!({}),
            400,
            "Field name 'appId' is invalid in JSON input",
        ),
    ] {
        app.post("/recipe/multitenancy/app/remove", &body)
            .await
            .assert_error(status, message);
    }
});

on_both_backends!(who_may_change_what, |backend| {
    let app = TestApp::spawn(backend).await;
    put_tenant(&app, "", json!({ "tenantId": "t1" })).await;
    put_tenant(&app, "", json!({ "tenantId": "t2" })).await;
    // A tenant may change itself, not its neighbour.
    assert_eq!(
        put_tenant(
            &app,
            "/t1",
            json!({ "tenantId": "t1", "firstFactors": ["emailpassword"] })
        )
        .await["status"],
        "OK"
    );
    app.put(
        "/t1/recipe/multitenancy/tenant/v2",
        &json!({ "tenantId": "t2" }),
    )
    .await
    .assert_error(
        403,
        "You must use the public or same tenant to add/update a tenant",
    );
    app.put("/t1/recipe/multitenancy/app/v2", &json!({ "appId": "a2" }))
        .await
        .assert_error(
            403,
            "You must use the public or same app to add/update an app",
        );
    app.post(
        "/t1/recipe/multitenancy/tenant/remove",
        &json!({ "tenantId": "t2" }),
    )
    .await
    .assert_error(
        403,
        "Only the public tenantId is allowed to delete a tenant",
    );
    app.post(
        "/recipe/multitenancy/tenant/remove",
        &json!({ "tenantId": "public" }),
    )
    .await
    .assert_error(
        403,
        "Cannot delete public tenant, use remove app API instead",
    );
    app.get("/t1/recipe/multitenancy/tenant/list/v2")
        .await
        .assert_error(
            403,
            "Only the public tenantId is allowed to list all tenants associated with this app",
        );
    let missing = app
        .post(
            "/recipe/multitenancy/tenant/remove",
            &json!({ "tenantId": "t9" }),
        )
        .await
        .json();
    assert_eq!(missing, json!({ "status": "OK", "didExist": false }));
    let unknown = app.get("/t9/recipe/multitenancy/tenant/v2").await.json();
    assert_eq!(unknown, json!({ "status": "TENANT_NOT_FOUND_ERROR" }));
});

on_both_backends!(users_join_and_leave_tenants, |backend| {
    let app = TestApp::spawn(backend).await;
    put_tenant(
        &app,
        "",
        json!({ "tenantId": "t1", "firstFactors": ["emailpassword"] }),
    )
    .await;
    let user = app.sign_up("member@example.com", "pw").await;
    let user_id = user["id"].as_str().unwrap();
    // The same email may sign up separately in another tenant...
    let other = app
        .post(
            "/t1/recipe/signup",
            &json!({ "email": "member@example.com", "password": "pw" }),
        )
        .await
        .json();
    let other_id = other["user"]["id"].as_str().unwrap();
    // ...so the first user cannot join t1 with it.
    let taken = app
        .post(
            "/t1/recipe/multitenancy/tenant/user",
            &json!({ "recipeUserId": user_id }),
        )
        .await
        .json();
    assert_eq!(taken, json!({ "status": "EMAIL_ALREADY_EXISTS_ERROR" }));
    app.post("/user/remove", &json!({ "userId": other_id }))
        .await
        .json();

    let joined = app
        .post(
            "/t1/recipe/multitenancy/tenant/user",
            &json!({ "recipeUserId": user_id }),
        )
        .await
        .json();
    assert_eq!(
        joined,
        json!({ "status": "OK", "wasAlreadyAssociated": false })
    );
    let again = app
        .post(
            "/t1/recipe/multitenancy/tenant/user",
            &json!({ "recipeUserId": user_id }),
        )
        .await
        .json();
    assert_eq!(
        again,
        json!({ "status": "OK", "wasAlreadyAssociated": true })
    );
    let signed_in = app
        .post(
            "/t1/recipe/signin",
            &json!({ "email": "member@example.com", "password": "pw" }),
        )
        .await
        .json();
    assert_eq!(signed_in["status"], "OK");
    assert_eq!(signed_in["user"]["tenantIds"], json!(["public", "t1"]));
    let session = app
        .post(
            "/t1/recipe/session",
            &json!({ "userId": user_id, "enableAntiCsrf": false, "userDataInJWT": {}, "userDataInDatabase": {} }),
        )
        .await
        .json();
    assert_eq!(session["status"], "OK");

    // Before 4.0 the field is `userId`.
    let left = app
        .at("3.1")
        .post(
            "/t1/recipe/multitenancy/tenant/user/remove",
            &json!({ "userId": user_id }),
        )
        .await
        .json();
    assert_eq!(left, json!({ "status": "OK", "wasAssociated": true }));
    let handles = app
        .get(&format!(
            "/t1/recipe/session/user?userId={user_id}&fetchAcrossAllTenants=false"
        ))
        .await
        .json();
    assert_eq!(
        handles["sessionHandles"],
        json!([]),
        "its sessions there ended"
    );
    let signed_in = app
        .post(
            "/t1/recipe/signin",
            &json!({ "email": "member@example.com", "password": "pw" }),
        )
        .await
        .json();
    assert_eq!(signed_in["status"], "WRONG_CREDENTIALS_ERROR");
    let left = app
        .post(
            "/t1/recipe/multitenancy/tenant/user/remove",
            &json!({ "recipeUserId": user_id }),
        )
        .await
        .json();
    assert_eq!(left, json!({ "status": "OK", "wasAssociated": false }));

    for path in [
        "/t1/recipe/multitenancy/tenant/user",
        "/t1/recipe/multitenancy/tenant/user/remove",
    ] {
        let unknown = app
            .post(path, &json!({ "recipeUserId": "nobody" }))
            .await
            .json();
        assert_eq!(unknown, json!({ "status": "UNKNOWN_USER_ID_ERROR" }));
        app.post(path, &json!({ "recipeUserId": " " }))
            .await
            .assert_error(400, "Field name 'userId' cannot be an empty String");
        app.post(path, &json!({ "userId": user_id }))
            .await
            .assert_error(400, "Field name 'recipeUserId' is invalid in JSON input");
    }

    // Removing a tenant keeps its users, in no tenant when it was their only one.
    let only_t1 = app
        .post(
            "/t1/recipe/signup",
            &json!({ "email": "only@example.com", "password": "pw" }),
        )
        .await
        .json();
    let only_id = only_t1["user"]["id"].as_str().unwrap();
    app.post(
        "/recipe/multitenancy/tenant/remove",
        &json!({ "tenantId": "t1" }),
    )
    .await
    .json();
    let kept = app.get(&format!("/user/id?userId={only_id}")).await.json();
    assert_eq!(kept["user"]["tenantIds"], json!([]));
});

on_both_backends!(first_factors_gate_email_password_before_5_1, |backend| {
    let app = TestApp::spawn(backend).await;
    put_tenant(
        &app,
        "",
        json!({ "tenantId": "t1", "firstFactors": ["otp-email"] }),
    )
    .await;
    let body = json!({ "email": "gated@example.com", "password": "pw" });
    for version in ["3.0", "4.0"] {
        app.at(version)
            .post("/t1/recipe/signup", &body)
            .await
            .assert_error(403, "Email password login not enabled for tenant");
    }
    // In 5.0 any first factor lets the recipe answer; from 5.1 the SDK decides.
    for version in ["5.0", "5.1", "5.4"] {
        let signed_up = app
            .at(version)
            .post(
                "/t1/recipe/signup",
                &json!({ "email": format!("gated{version}@example.com"), "password": "pw" }),
            )
            .await
            .json();
        assert_eq!(signed_up["status"], "OK", "{version}");
    }
    put_tenant(&app, "", json!({ "tenantId": "t2" })).await;
    app.at("5.0")
        .post("/t2/recipe/signin", &body)
        .await
        .assert_error(403, "Email password login not enabled for tenant");
    let public = app.at("3.1").post("/recipe/signup", &body).await.json();
    assert_eq!(
        public["status"], "OK",
        "the public tenant allows every method"
    );
});

on_both_backends!(provider_configs_round_trip, |backend| {
    let app = TestApp::spawn(backend).await;
    put_tenant(
        &app,
        "",
        json!({ "tenantId": "t1", "firstFactors": ["thirdparty"] }),
    )
    .await;
    let google = json!({
        "thirdPartyId": "google",
        "name": "Google",
        "clients": [{ "clientType": "web", "clientId": "id-1", "clientSecret": "secret-1", "scope": ["email"], "forcePKCE": true, "additionalConfig": { "x": 1 } }],
        "authorizationEndpointQueryParams": { "prompt": "consent", "drop": null },
        "oidcDiscoveryEndpoint": "https://accounts.google.com/",
        "requireEmail": true,
        "userInfoMap": { "fromIdTokenPayload": { "userId": "sub", "email": "email", "emailVerified": "email_verified" }, "fromUserInfoAPI": {} },
    });
    let put = |config: Value| {
        let app = &app;
        async move {
            app.put(
                "/t1/recipe/multitenancy/config/thirdparty",
                &json!({ "config": config }),
            )
            .await
        }
    };
    assert_eq!(
        put(google.clone()).await.json(),
        json!({ "status": "OK", "createdNew": true })
    );
    let minimal = json!({ "thirdPartyId": "github", "clients": [{ "clientId": "gh" }] });
    assert_eq!(put(minimal).await.json()["createdNew"], true);
    let read = app.get("/t1/recipe/multitenancy/tenant/v2").await.json();
    assert_eq!(
        read["thirdParty"]["providers"],
        json!([
            { "thirdPartyId": "github", "clients": [{ "clientId": "gh" }], "userInfoMap": { "fromIdTokenPayload": {}, "fromUserInfoAPI": {} } },
            google,
        ])
    );
    // The v1 read and the listings show them too.
    let v1 = app
        .at("3.0")
        .get("/t1/recipe/multitenancy/tenant")
        .await
        .json();
    assert_eq!(
        v1["thirdParty"]["providers"],
        read["thirdParty"]["providers"]
    );
    let listed = app.get("/recipe/multitenancy/tenant/list/v2").await.json();
    assert_eq!(listed["tenants"][1]["thirdParty"], read["thirdParty"]);

    // A provider is replaced whole.
    let replaced = put(json!({ "thirdPartyId": "google", "clients": [{ "clientId": "id-2" }] }))
        .await
        .json();
    assert_eq!(replaced["createdNew"], false);
    let read = app.get("/t1/recipe/multitenancy/tenant/v2").await.json();
    assert_eq!(
        read["thirdParty"]["providers"][1]["clients"],
        json!([{ "clientId": "id-2" }])
    );
    assert!(read["thirdParty"]["providers"][1].get("name").is_none());

    for (config, message) in [
        (json!({ "thirdPartyId": "apple", "clients": [{ "clientId": "a" }] }), "Invalid third party config: a non empty string value must be specified for keyId, teamId and privateKey in the additionalConfig for Apple provider"),
        (json!({ "thirdPartyId": "x", "clients": [{ "clientId": "a" }, { "clientId": "b" }] }), "Invalid third party config: Duplicate clientType was specified in the clients list."),
        (json!({ "thirdPartyId": "x", "clients": "a" }), "Field name 'clients' is invalid in JSON input"),
        (json!({ "clients": [] }), "Field name 'thirdPartyId' is invalid in JSON input"),
        (json!({ "thirdPartyId": "x".repeat(29) }), "Field name 'thirdPartyId' must be at most 28 characters"),
    ] {
        put(config).await.assert_error(400, message);
    }
    app.put("/t1/recipe/multitenancy/config/thirdparty", &json!({}))
        .await
        .assert_error(400, "Field name 'config' is invalid in JSON input");
    assert_eq!(
        app.count_rows("thirdparty_providers").await,
        2,
        "nothing written"
    );
    // skipValidation stores what the check refuses; a later removal checks again.
    let skipped = app
        .put(
            "/t1/recipe/multitenancy/config/thirdparty",
            &json!({ "config": { "thirdPartyId": "apple", "clients": [{ "clientId": "a" }] }, "skipValidation": true }),
        )
        .await
        .json();
    assert_eq!(skipped["createdNew"], true);
    app.post(
        "/t1/recipe/multitenancy/config/thirdparty/remove",
        &json!({ "thirdPartyId": "github" }),
    )
    .await
    .assert_error(400, "Invalid third party config: a non empty string value must be specified for keyId, teamId and privateKey in the additionalConfig for Apple provider");
    for (id, existed) in [("apple", true), ("github", true), ("github", false)] {
        let removed = app
            .post(
                "/t1/recipe/multitenancy/config/thirdparty/remove",
                &json!({ "thirdPartyId": id }),
            )
            .await
            .json();
        assert_eq!(
            removed,
            json!({ "status": "OK", "didConfigExist": existed })
        );
    }
    // Removing the tenant removes its providers.
    app.post(
        "/recipe/multitenancy/tenant/remove",
        &json!({ "tenantId": "t1" }),
    )
    .await
    .json();
    assert_eq!(app.count_rows("thirdparty_providers").await, 0);
});

on_both_backends!(v1_puts_switch_recipes_as_older_sdks_do, |backend| {
    let app = TestApp::spawn(backend).await;
    // What supertokens-golang 0.25 (CDI 3.1) sends.
    let go = app.at("3.1");
    let created = go
        .put(
            "/recipe/multitenancy/tenant",
            &json!({ "tenantId": "t1", "emailPasswordEnabled": true, "thirdPartyEnabled": true }),
        )
        .await
        .json();
    assert_eq!(created, json!({ "status": "OK", "createdNew": true }));
    let read = go.get("/t1/recipe/multitenancy/tenant").await.json();
    assert_eq!(read["emailPassword"]["enabled"], true);
    assert_eq!(read["thirdParty"]["enabled"], true);
    assert_eq!(read["passwordless"]["enabled"], false);
    let v2 = app.get("/t1/recipe/multitenancy/tenant/v2").await.json();
    assert_eq!(v2["firstFactors"], json!(["emailpassword", "thirdparty"]));
    let signed_up = go
        .post(
            "/t1/recipe/signup",
            &json!({ "email": "v1@example.com", "password": "pw" }),
        )
        .await
        .json();
    assert_eq!(signed_up["status"], "OK");
    // Switching off leaves the switch on and the factor out.
    let updated = go
        .put(
            "/recipe/multitenancy/tenant",
            &json!({ "tenantId": "t1", "thirdPartyEnabled": false }),
        )
        .await
        .json();
    assert_eq!(updated["createdNew"], false);
    let read = go.get("/t1/recipe/multitenancy/tenant").await.json();
    assert_eq!(read["thirdParty"]["enabled"], false);
    go.post(
        "/t1/recipe/signinup",
        &json!({ "thirdPartyId": "google", "thirdPartyUserId": "x", "email": { "id": "v1@example.com" } }),
    )
    .await
    .assert_error(403, "ThirdParty login not enabled for tenant");

    // An app through v1.
    let created = go
        .put(
            "/recipe/multitenancy/app",
            &json!({ "appId": "a1", "passwordlessEnabled": false }),
        )
        .await
        .json();
    assert_eq!(created["createdNew"], true);
    let read = go.get("/appid-a1/recipe/multitenancy/tenant").await.json();
    assert_eq!(read["emailPassword"]["enabled"], true);
    assert_eq!(read["passwordless"]["enabled"], false);

    // From 5.0 the switches and the factors must agree.
    for (body, message) in [
        (json!({ "tenantId": "t1", "firstFactors": [] }), "firstFactors cannot be empty. Set null instead to remove all first factors."),
        (json!({ "tenantId": "t1", "requiredSecondaryFactors": [] }), "requiredSecondaryFactors cannot be empty. Set null instead to remove all required secondary factors."),
        (json!({ "tenantId": "t1", "emailPasswordEnabled": false, "firstFactors": ["emailpassword"] }), "Invalid core config: firstFactors should not contain 'emailpassword' because emailPassword is disabled for the tenant."),
        (json!({ "tenantId": "t1", "passwordlessEnabled": "no" }), "Field name 'passwordlessEnabled' is invalid in JSON input"),
    ] {
        app.at("5.0")
            .put("/recipe/multitenancy/tenant", &body)
            .await
            .assert_error(400, message);
    }
    let updated = app
        .at("5.0")
        .put(
            "/recipe/multitenancy/tenant",
            &json!({ "tenantId": "t1", "firstFactors": ["emailpassword", "otp-email"] }),
        )
        .await
        .json();
    assert_eq!(updated["status"], "OK");
    let read = app
        .at("5.0")
        .get("/t1/recipe/multitenancy/tenant")
        .await
        .json();
    assert_eq!(
        read["passwordless"]["enabled"], true,
        "a factor in use switches its recipe on"
    );
    assert_eq!(read["firstFactors"], json!(["emailpassword", "otp-email"]));
});

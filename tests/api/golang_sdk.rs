//! Every core call supertokens-golang 0.25 (CDI 3.1) makes for the recipes gatehouse serves,
//! as it makes it (path form, body, headers), with the fields it reads back checked for the
//! type Go asserts or decodes: a missing field or another type there is a panic or an error
//! in the Go backend. docs/http.md lists this surface.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::{send, AtVersion, TestApp};
use crate::on_both_backends;
use crate::sessions::{jwt_part, verifies_with_jwks};

const GO_CDI: &str = "3.1";

#[track_caller]
fn string<'v>(value: &'v Value, field: &str) -> &'v str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("`{field}` is not a string in {value}"))
}

#[track_caller]
fn number(value: &Value, field: &str) -> u64 {
    value[field]
        .as_u64()
        .unwrap_or_else(|| panic!("`{field}` is not a non-negative integer in {value}"))
}

#[track_caller]
fn boolean(value: &Value, field: &str) -> bool {
    value[field]
        .as_bool()
        .unwrap_or_else(|| panic!("`{field}` is not a bool in {value}"))
}

#[track_caller]
fn strings(value: &Value, field: &str) -> Vec<String> {
    value[field]
        .as_array()
        .unwrap_or_else(|| panic!("`{field}` is not an array in {value}"))
        .iter()
        .map(|item| item.as_str().expect("string items").to_string())
        .collect()
}

#[track_caller]
fn object<'v>(value: &'v Value, field: &str) -> &'v serde_json::Map<String, Value> {
    value[field]
        .as_object()
        .unwrap_or_else(|| panic!("`{field}` is not an object in {value}"))
}

/// `epmodels.User`, decoded: exactly these four fields with these types.
#[track_caller]
fn email_password_user(user: &Value, email: &str) -> String {
    let fields: Vec<&String> = user.as_object().expect("a user object").keys().collect();
    assert_eq!(fields.len(), 4, "{user}");
    assert_eq!(string(user, "email"), email);
    number(user, "timeJoined");
    assert_eq!(strings(user, "tenantIds"), ["public"]);
    string(user, "id").to_string()
}

on_both_backends!(email_password_and_core_user_calls, |backend| {
    let app = TestApp::spawn(backend).await;
    // The querier asks /apiversion with only the api-key and keeps the largest common one.
    let versions = send(app.request(Method::GET, "/apiversion"), None)
        .await
        .json();
    assert!(strings(&versions, "versions").contains(&GO_CDI.to_string()));

    let go = app.at(GO_CDI);
    let signed_up = go
        .post(
            "/public/recipe/signup",
            &json!({ "email": "gopher@example.com", "password": "pw-1" }),
        )
        .await
        .json();
    assert_eq!(string(&signed_up, "status"), "OK");
    let user_id = email_password_user(&signed_up["user"], "gopher@example.com");
    let taken = go
        .post(
            "/public/recipe/signup",
            &json!({ "email": "gopher@example.com", "password": "pw-1" }),
        )
        .await
        .json();
    assert_eq!(string(&taken, "status"), "EMAIL_ALREADY_EXISTS_ERROR");

    let signed_in = go
        .post(
            "/public/recipe/signin",
            &json!({ "email": "gopher@example.com", "password": "pw-1" }),
        )
        .await
        .json();
    assert_eq!(string(&signed_in, "status"), "OK");
    assert_eq!(
        email_password_user(&signed_in["user"], "gopher@example.com"),
        user_id
    );
    let wrong = go
        .post(
            "/public/recipe/signin",
            &json!({ "email": "gopher@example.com", "password": "nope" }),
        )
        .await
        .json();
    assert_eq!(string(&wrong, "status"), "WRONG_CREDENTIALS_ERROR");

    let by_id = go
        .get(&format!("/recipe/user?userId={user_id}"))
        .await
        .json();
    assert_eq!(string(&by_id, "status"), "OK");
    email_password_user(&by_id["user"], "gopher@example.com");
    let unknown = go.get("/recipe/user?userId=nobody").await.json();
    assert_ne!(unknown["status"], "OK");
    let by_email = go
        .get("/public/recipe/user?email=gopher@example.com")
        .await
        .json();
    assert_eq!(
        email_password_user(&by_email["user"], "gopher@example.com"),
        user_id
    );

    // The dashboard's password change: a token by user id, then the one-step reset.
    let token = go
        .post(
            "/public/recipe/user/password/reset/token",
            &json!({ "userId": user_id }),
        )
        .await
        .json();
    let reset = go
        .post(
            "/public/recipe/user/password/reset",
            &json!({ "method": "token", "token": string(&token, "token"), "newPassword": "pw-2" }),
        )
        .await
        .json();
    assert_eq!(string(&reset, "status"), "OK");
    assert_eq!(string(&reset, "userId"), user_id);
    let reused = go
        .post(
            "/public/recipe/user/password/reset",
            &json!({ "method": "token", "token": string(&token, "token"), "newPassword": "pw-3" }),
        )
        .await
        .json();
    assert_eq!(
        string(&reused, "status"),
        "RESET_PASSWORD_INVALID_TOKEN_ERROR"
    );

    // UpdateEmailOrPassword.
    go.post(
        "/public/recipe/signup",
        &json!({ "email": "other@example.com", "password": "pw-1" }),
    )
    .await
    .json();
    for (body, status) in [
        (
            json!({ "userId": user_id, "email": "other@example.com" }),
            "EMAIL_ALREADY_EXISTS_ERROR",
        ),
        (
            json!({ "userId": "nobody", "password": "pw-9" }),
            "UNKNOWN_USER_ID_ERROR",
        ),
        (
            json!({ "userId": user_id, "email": "gopher2@example.com", "password": "pw-4" }),
            "OK",
        ),
    ] {
        let reply = go.put("/recipe/user", &body).await.json();
        assert_eq!(string(&reply, "status"), status, "{body}");
    }
    let signed_in = go
        .post(
            "/public/recipe/signin",
            &json!({ "email": "gopher2@example.com", "password": "pw-4" }),
        )
        .await
        .json();
    assert_eq!(
        email_password_user(&signed_in["user"], "gopher2@example.com"),
        user_id
    );

    // The dashboard's users list decodes {recipeId, user} items and reads id, timeJoined
    // and email; the count is a number.
    let page = go
        .get("/public/users?timeJoinedOrder=DESC&limit=1")
        .await
        .json();
    assert_eq!(page["users"].as_array().unwrap().len(), 1);
    assert_eq!(string(&page["users"][0], "recipeId"), "emailpassword");
    email_password_user(&page["users"][0]["user"], "other@example.com");
    let next = string(&page, "nextPaginationToken");
    let page = go
        .get(&format!(
            "/public/users?timeJoinedOrder=DESC&limit=1&paginationToken={next}"
        ))
        .await
        .json();
    assert_eq!(
        email_password_user(&page["users"][0]["user"], "gopher2@example.com"),
        user_id
    );
    let searched = go
        .get("/public/users?timeJoinedOrder=ASC&limit=10&email=gopher2")
        .await
        .json();
    assert_eq!(searched["users"].as_array().unwrap().len(), 1, "{searched}");
    let counted = go
        .get("/public/users/count?includeAllTenants=true")
        .await
        .json();
    assert_eq!(number(&counted, "count"), 2);
    let counted = go
        .get("/public/users/count?includeRecipeIds=emailpassword")
        .await
        .json();
    assert_eq!(number(&counted, "count"), 2);
    let tags = go.get("/user/search/tags").await.json();
    assert!(strings(&tags, "tags").contains(&"email".to_string()));

    assert_eq!(
        go.post("/user/remove", &json!({ "userId": user_id }))
            .await
            .status,
        200
    );
    let gone = go
        .get(&format!("/recipe/user?userId={user_id}"))
        .await
        .json();
    assert_eq!(gone["status"], "UNKNOWN_USER_ID_ERROR");
});

on_both_backends!(verification_metadata_and_role_calls, |backend| {
    let app = TestApp::spawn(backend).await;
    let go = app.at(GO_CDI);
    let user_id = app.sign_up("verify@example.com", "pw").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let pair = json!({ "userId": user_id, "email": "verify@example.com" });

    let token = go
        .post("/public/recipe/user/email/verify/token", &pair)
        .await
        .json();
    assert_eq!(token["status"], "OK");
    let verified = go
        .post(
            "/public/recipe/user/email/verify",
            &json!({ "method": "token", "token": string(&token, "token") }),
        )
        .await
        .json();
    assert_eq!(string(&verified, "userId"), user_id);
    assert_eq!(string(&verified, "email"), "verify@example.com");
    let query = format!("/recipe/user/email/verify?userId={user_id}&email=verify@example.com");
    assert!(boolean(&go.get(&query).await.json(), "isVerified"));
    let again = go
        .post("/public/recipe/user/email/verify/token", &pair)
        .await
        .json();
    assert_eq!(again["status"], "EMAIL_ALREADY_VERIFIED_ERROR");
    for path in [
        "/public/recipe/user/email/verify/token/remove",
        "/recipe/user/email/verify/remove",
    ] {
        assert_eq!(go.post(path, &pair).await.json()["status"], "OK", "{path}");
    }
    assert!(!boolean(&go.get(&query).await.json(), "isVerified"));

    let updated = go
        .put(
            "/recipe/user/metadata",
            &json!({ "userId": user_id, "metadataUpdate": { "first_name": "Go", "last_name": "Pher" } }),
        )
        .await
        .json();
    assert_eq!(object(&updated, "metadata")["first_name"], "Go");
    let read = go
        .get(&format!("/recipe/user/metadata?userId={user_id}"))
        .await
        .json();
    assert_eq!(object(&read, "metadata")["last_name"], "Pher");
    go.post(
        "/recipe/user/metadata/remove",
        &json!({ "userId": user_id }),
    )
    .await
    .json();
    let cleared = go
        .get(&format!("/recipe/user/metadata?userId={user_id}"))
        .await
        .json();
    assert!(object(&cleared, "metadata").is_empty());

    let created = go
        .put(
            "/recipe/role",
            &json!({ "role": "gopher", "permissions": ["read", "write"] }),
        )
        .await
        .json();
    assert!(boolean(&created, "createdNewRole"));
    let role = json!({ "userId": user_id, "role": "gopher" });
    let added = go.put("/public/recipe/user/role", &role).await.json();
    assert_eq!(added["status"], "OK");
    assert!(!boolean(&added, "didUserAlreadyHaveRole"));
    let unknown = go
        .put(
            "/public/recipe/user/role",
            &json!({ "userId": user_id, "role": "nope" }),
        )
        .await
        .json();
    assert_eq!(unknown["status"], "UNKNOWN_ROLE_ERROR");
    let roles = go
        .get(&format!("/public/recipe/user/roles?userId={user_id}"))
        .await
        .json();
    assert_eq!(strings(&roles, "roles"), ["gopher"]);
    let users = go.get("/public/recipe/role/users?role=gopher").await.json();
    assert_eq!(strings(&users, "users"), std::slice::from_ref(&user_id));
    let permissions = go.get("/recipe/role/permissions?role=gopher").await.json();
    assert_eq!(strings(&permissions, "permissions").len(), 2);
    let roles = go
        .get("/recipe/permission/roles?permission=read")
        .await
        .json();
    assert_eq!(strings(&roles, "roles"), ["gopher"]);
    let removed = go
        .post(
            "/recipe/role/permissions/remove",
            &json!({ "role": "gopher", "permissions": ["write"] }),
        )
        .await
        .json();
    assert_eq!(removed["status"], "OK");
    assert_eq!(
        strings(&go.get("/recipe/roles").await.json(), "roles"),
        ["gopher"]
    );
    let taken_away = go
        .post("/public/recipe/user/role/remove", &role)
        .await
        .json();
    assert!(boolean(&taken_away, "didUserHaveRole"));
    let deleted = go
        .post("/recipe/role/remove", &json!({ "role": "gopher" }))
        .await
        .json();
    assert!(boolean(&deleted, "didRoleExist"));
});

/// What `CreateOrRefreshAPIResponse` decodes, and the token checks of the Go SDK's parser.
#[track_caller]
fn created_or_refreshed(reply: &Value, user_id: &str) -> String {
    assert_eq!(string(reply, "status"), "OK");
    let session = &reply["session"];
    string(session, "handle");
    assert_eq!(string(session, "userId"), user_id);
    object(session, "userDataInJWT");
    assert_eq!(string(session, "tenantId"), "public");
    for token in ["accessToken", "refreshToken"] {
        string(&reply[token], "token");
        number(&reply[token], "expiry");
        number(&reply[token], "createdTime");
    }
    let access = string(&reply["accessToken"], "token");
    let header = jwt_part(access, 0);
    assert_eq!(string(&header, "typ"), "JWT");
    assert!(string(&header, "version").parse::<u32>().unwrap() >= 4);
    string(&header, "kid");
    let claims = jwt_part(access, 1);
    for claim in ["sessionHandle", "sub", "refreshTokenHash1", "tId"] {
        string(&claims, claim);
    }
    number(&claims, "exp");
    number(&claims, "iat");
    access.to_string()
}

async fn session_info(go: &AtVersion<'_>, handle: &str) -> Value {
    let info = go
        .get(&format!("/recipe/session?sessionHandle={handle}"))
        .await
        .json();
    for field in ["sessionHandle", "userId", "tenantId"] {
        string(&info, field);
    }
    object(&info, "userDataInDatabase");
    object(&info, "userDataInJWT");
    number(&info, "expiry");
    number(&info, "timeCreated");
    info
}

on_both_backends!(session_and_jwt_calls, |backend| {
    let app = TestApp::spawn(backend).await;
    let go = app.at(GO_CDI);
    let created = go
        .post(
            "/public/recipe/session",
            &json!({
                "userId": "go-user",
                "userDataInJWT": { "iss": "http://api.example.com/auth" },
                "userDataInDatabase": { "cart": 1 },
                "enableAntiCsrf": false,
                "useDynamicSigningKey": true,
            }),
        )
        .await
        .json();
    let access = created_or_refreshed(&created, "go-user");
    assert!(created.get("antiCsrfToken").is_none());
    let handle = string(&created["session"], "handle").to_string();

    // Local verification: the JWKS without any header, every key with the fields Go reads.
    let jwks = send(app.bare(Method::GET, "/.well-known/jwks.json"), None)
        .await
        .json();
    for key in jwks["keys"].as_array().unwrap() {
        for field in ["kty", "kid", "n", "e", "alg", "use"] {
            string(key, field);
        }
    }
    assert!(verifies_with_jwks(&app, &access).await);
    // The SDK's own JWKS endpoint asks through the querier, with version and key.
    let through_querier = go.get("/.well-known/jwks.json").await.json();
    assert_eq!(through_querier, jwks);

    let verify = |token: &str, check_database: bool| json!({ "accessToken": token, "doAntiCsrfCheck": false, "enableAntiCsrf": false, "checkDatabase": check_database });
    let verified = go
        .post("/recipe/session/verify", &verify(&access, true))
        .await
        .json();
    assert_eq!(string(&verified, "status"), "OK");
    assert_eq!(string(&verified["session"], "userId"), "go-user");
    let tampered = go
        .post("/recipe/session/verify", &verify("not.a.token", false))
        .await
        .json();
    assert_eq!(string(&tampered, "status"), "TRY_REFRESH_TOKEN");
    string(&tampered, "message");

    let info = session_info(&go, &handle).await;
    assert_eq!(info["userDataInDatabase"], json!({ "cart": 1 }));
    let handles = go
        .get("/public/recipe/session/user?userId=go-user")
        .await
        .json();
    assert_eq!(
        strings(&handles, "sessionHandles"),
        std::slice::from_ref(&handle)
    );
    let handles = go
        .get("/recipe/session/user?userId=go-user&fetchAcrossAllTenants=true")
        .await
        .json();
    assert_eq!(
        strings(&handles, "sessionHandles"),
        std::slice::from_ref(&handle)
    );

    let data = go
        .put(
            "/recipe/session/data",
            &json!({ "sessionHandle": handle, "userDataInDatabase": { "cart": 2 } }),
        )
        .await
        .json();
    assert_eq!(string(&data, "status"), "OK");
    let jwt_data = go
        .put(
            "/recipe/jwt/data",
            &json!({ "sessionHandle": handle, "userDataInJWT": { "plan": "pro" } }),
        )
        .await
        .json();
    assert_eq!(string(&jwt_data, "status"), "OK");
    let missing = go
        .put(
            "/recipe/session/data",
            &json!({ "sessionHandle": "nope", "userDataInDatabase": {} }),
        )
        .await
        .json();
    assert_eq!(string(&missing, "status"), "UNAUTHORISED");
    let regenerated = go
        .post(
            "/recipe/session/regenerate",
            &json!({ "accessToken": access, "userDataInJWT": { "plan": "team" } }),
        )
        .await
        .json();
    assert_eq!(string(&regenerated, "status"), "OK");
    assert_eq!(
        object(&regenerated["session"], "userDataInJWT")["plan"],
        "team"
    );
    string(&regenerated["accessToken"], "token");

    // Refresh sends the signing key choice; reusing a spent refresh token is theft, whose
    // answer Go reads as session.handle and session.userId.
    let refresh = |token: &Value| json!({ "refreshToken": token, "enableAntiCsrf": false, "useDynamicSigningKey": true });
    let first_refresh_token = created["refreshToken"]["token"].clone();
    let refreshed = go
        .post("/recipe/session/refresh", &refresh(&first_refresh_token))
        .await
        .json();
    let fresh = created_or_refreshed(&refreshed, "go-user");
    let promoted = go
        .post("/recipe/session/verify", &verify(&fresh, false))
        .await
        .json();
    assert_eq!(string(&promoted, "status"), "OK");
    let next = go
        .post(
            "/recipe/session/refresh",
            &refresh(&refreshed["refreshToken"]["token"]),
        )
        .await
        .json();
    created_or_refreshed(&next, "go-user");
    let theft = go
        .post("/recipe/session/refresh", &refresh(&first_refresh_token))
        .await
        .json();
    assert_eq!(string(&theft, "status"), "TOKEN_THEFT_DETECTED");
    assert_eq!(string(&theft["session"], "handle"), handle);
    assert_eq!(string(&theft["session"], "userId"), "go-user");
    let bad = go
        .post("/recipe/session/refresh", &refresh(&json!("garbage")))
        .await
        .json();
    assert_eq!(string(&bad, "status"), "UNAUTHORISED");
    string(&bad, "message");

    let revoked = go
        .post(
            "/public/recipe/session/remove",
            &json!({ "userId": "go-user", "revokeAcrossAllTenants": false }),
        )
        .await
        .json();
    assert_eq!(
        strings(&revoked, "sessionHandlesRevoked"),
        std::slice::from_ref(&handle)
    );
    let revoked = go
        .post(
            "/recipe/session/remove",
            &json!({ "sessionHandles": [handle] }),
        )
        .await
        .json();
    assert!(strings(&revoked, "sessionHandlesRevoked").is_empty());
    let ended = go
        .post("/recipe/session/verify", &verify(&fresh, true))
        .await
        .json();
    assert_eq!(string(&ended, "status"), "UNAUTHORISED");
    string(&ended, "message");
    let info = go
        .get(&format!("/recipe/session?sessionHandle={handle}"))
        .await
        .json();
    assert_eq!(info["status"], "UNAUTHORISED");

    let jwt = go
        .post(
            "/recipe/jwt",
            &json!({
                "payload": { "iss": "http://api.example.com/auth", "scope": "go" },
                "validity": 60,
                "algorithm": "RS256",
                "jwksDomain": "http://api.example.com",
                "useStaticSigningKey": true,
            }),
        )
        .await
        .json();
    assert_eq!(jwt["status"], "OK");
    assert!(verifies_with_jwks(&app, string(&jwt, "jwt")).await);
});

on_both_backends!(tenant_and_dashboard_calls, |backend| {
    let app = TestApp::spawn(backend).await;
    let go = app.at(GO_CDI);
    // The loginmethods API and the dashboard's tenant list decode the v1 tenant.
    let tenant = go.get("/public/recipe/multitenancy/tenant").await.json();
    assert_eq!(string(&tenant, "status"), "OK");
    assert_eq!(string(&tenant, "tenantId"), "public");
    for recipe in ["emailPassword", "passwordless", "thirdParty"] {
        assert!(boolean(&tenant[recipe], "enabled"), "{recipe}");
    }
    assert!(tenant["thirdParty"]["providers"]
        .as_array()
        .unwrap()
        .is_empty());
    object(&tenant, "coreConfig");
    let listed = go.get("/recipe/multitenancy/tenant/list").await.json();
    assert_eq!(listed["tenants"].as_array().unwrap().len(), 1);
    assert_eq!(
        listed["tenants"][0],
        json!({
            "tenantId": "public",
            "emailPassword": { "enabled": true },
            "thirdParty": { "enabled": true, "providers": [] },
            "passwordless": { "enabled": true },
            "coreConfig": {},
        })
    );
    let unknown = go.get("/nope/recipe/multitenancy/tenant").await.json();
    assert_eq!(string(&unknown, "status"), "TENANT_NOT_FOUND_ERROR");

    // The dashboard: credentials made with curl, then the SDK's sign-in, guard and sign-out.
    let created = app
        .post(
            "/recipe/dashboard/user",
            &json!({ "email": "admin@example.com", "password": "dashboard-pw-1" }),
        )
        .await
        .json();
    assert_eq!(created["status"], "OK", "{created}");
    let signed_in = go
        .post(
            "/recipe/dashboard/signin",
            &json!({ "email": "admin@example.com", "password": "dashboard-pw-1" }),
        )
        .await
        .json();
    assert_eq!(signed_in["status"], "OK");
    let session_id = string(&signed_in, "sessionId").to_string();
    let checked = go
        .post(
            "/recipe/dashboard/session/verify",
            &json!({ "sessionId": session_id }),
        )
        .await
        .json();
    assert_eq!(string(&checked, "status"), "OK");
    assert_eq!(string(&checked, "email"), "admin@example.com");
    let wrong = go
        .post(
            "/recipe/dashboard/signin",
            &json!({ "email": "admin@example.com", "password": "nope" }),
        )
        .await
        .json();
    assert_ne!(wrong["status"], "OK");
    let signed_out = go
        .delete(
            &format!("/recipe/dashboard/session?sessionId={session_id}"),
            &json!({}),
        )
        .await
        .json();
    assert_eq!(signed_out["status"], "OK");
    let checked = go
        .post(
            "/recipe/dashboard/session/verify",
            &json!({ "sessionId": session_id }),
        )
        .await
        .json();
    assert_ne!(checked["status"], "OK");
    let telemetry = go.get("/telemetry").await.json();
    assert!(!boolean(&telemetry, "exists"));
});

on_both_backends!(multitenancy_management_calls, |backend| {
    let app = TestApp::spawn(backend).await;
    let go = app.at(GO_CDI);
    // CreateOrUpdateTenant (v1), then the loginmethods API's GetTenant.
    let created = go
        .put(
            "/recipe/multitenancy/tenant",
            &json!({ "tenantId": "acme", "emailPasswordEnabled": true, "thirdPartyEnabled": true, "passwordlessEnabled": false }),
        )
        .await
        .json();
    assert!(string(&created, "status") == "OK" && boolean(&created, "createdNew"));
    let tenant = go.get("/acme/recipe/multitenancy/tenant").await.json();
    assert!(boolean(&tenant["emailPassword"], "enabled"));
    assert!(!boolean(&tenant["passwordless"], "enabled"));

    // CreateOrUpdateThirdPartyConfig / DeleteThirdPartyConfig.
    let config = json!({ "config": { "thirdPartyId": "github", "clients": [{ "clientId": "gh", "clientSecret": "s", "scope": ["read:user"] }] } });
    let put = go
        .put("/acme/recipe/multitenancy/config/thirdparty", &config)
        .await
        .json();
    assert!(boolean(&put, "createdNew"));
    let tenant = go.get("/acme/recipe/multitenancy/tenant").await.json();
    let provider = &tenant["thirdParty"]["providers"][0];
    assert_eq!(string(provider, "thirdPartyId"), "github");
    assert_eq!(string(&provider["clients"][0], "clientId"), "gh");

    // AssociateUserToTenant / DisassociateUserFromTenant read only their flags.
    let user_id = app.sign_up("gopher@example.com", "pw").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let associated = go
        .post(
            "/acme/recipe/multitenancy/tenant/user",
            &json!({ "userId": user_id }),
        )
        .await
        .json();
    assert!(!boolean(&associated, "wasAlreadyAssociated"));
    let disassociated = go
        .post(
            "/acme/recipe/multitenancy/tenant/user/remove",
            &json!({ "userId": user_id }),
        )
        .await
        .json();
    assert!(boolean(&disassociated, "wasAssociated"));

    let removed = go
        .post(
            "/acme/recipe/multitenancy/config/thirdparty/remove",
            &json!({ "thirdPartyId": "github" }),
        )
        .await
        .json();
    assert!(boolean(&removed, "didConfigExist"));
    let deleted = go
        .post(
            "/recipe/multitenancy/tenant/remove",
            &json!({ "tenantId": "acme" }),
        )
        .await
        .json();
    assert_eq!(string(&deleted, "status"), "OK");
    assert!(boolean(&deleted, "didExist"));
});

on_both_backends!(user_id_mapping_calls, |backend| {
    let app = TestApp::spawn(backend).await;
    let go = app.at(GO_CDI);
    let user_id = app.sign_up("mapped@example.com", "pw").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({ "superTokensUserId": user_id, "externalUserId": "go-ext", "externalUserIdInfo": "info" });
    let created = go.post("/recipe/userid/map", &body).await.json();
    assert_eq!(string(&created, "status"), "OK");
    // Any other status is read as "already exists", with its two flags.
    let again = go.post("/recipe/userid/map", &body).await.json();
    assert!(
        boolean(&again, "doesSuperTokensUserIdExist") && boolean(&again, "doesExternalUserIdExist")
    );
    let mapping = go
        .get("/recipe/userid/map?userId=go-ext&userIdType=EXTERNAL")
        .await
        .json();
    assert_eq!(string(&mapping, "superTokensUserId"), user_id);
    assert_eq!(string(&mapping, "externalUserId"), "go-ext");
    assert_eq!(string(&mapping, "externalUserIdInfo"), "info");
    let updated = go
        .put(
            "/recipe/userid/external-user-id-info",
            &json!({ "userId": "go-ext", "externalUserIdInfo": null }),
        )
        .await
        .json();
    assert_eq!(string(&updated, "status"), "OK");
    // The Go SDK's users and email-password calls see the mapped id.
    let user = go.get("/recipe/user?userId=go-ext").await.json();
    assert_eq!(string(&user["user"], "id"), "go-ext");
    let removed = go
        .post("/recipe/userid/map/remove", &json!({ "userId": "go-ext" }))
        .await
        .json();
    assert!(boolean(&removed, "didMappingExist"));
});

/// A request as the Go SDK's passwordless querier sends it: CDI 3.1 and `rid: passwordless`.
async fn passwordless_call(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let request = app
        .request(method, path)
        .insert_header(("cdi-version", GO_CDI))
        .insert_header(("rid", "passwordless"));
    send(request, body.map(|body| body.to_string()))
        .await
        .json()
}

/// `plessmodels.CreateCodeResponse` (and the resend's): all seven fields, typed.
#[track_caller]
fn created_code(reply: &Value) -> (String, String, String) {
    assert_eq!(string(reply, "status"), "OK");
    for field in ["codeId", "userInputCode"] {
        string(reply, field);
    }
    number(reply, "codeLifetime");
    number(reply, "timeCreated");
    (
        string(reply, "preAuthSessionId").to_string(),
        string(reply, "deviceId").to_string(),
        string(reply, "linkCode").to_string(),
    )
}

/// `plessmodels.DeviceType` items: every field Go reads, typed.
#[track_caller]
fn go_devices(reply: &Value) -> Vec<Value> {
    let devices = reply["devices"].as_array().expect("devices").clone();
    for device in &devices {
        string(device, "preAuthSessionId");
        number(device, "failedCodeInputAttemptCount");
        for code in device["codes"].as_array().expect("codes") {
            string(code, "codeId");
            number(code, "timeCreated");
            number(code, "codeLifetime");
        }
    }
    devices
}

on_both_backends!(passwordless_calls, |backend| {
    let app = TestApp::spawn(backend).await;
    let call = |method, path: &'static str, body| passwordless_call(&app, method, path, body);
    let code = call(
        Method::POST,
        "/public/recipe/signinup/code",
        Some(json!({ "email": "go-pl@example.com" })),
    )
    .await;
    let (pre_auth, device_id, _) = created_code(&code);
    let resent = call(
        Method::POST,
        "/public/recipe/signinup/code",
        Some(json!({ "deviceId": device_id, "userInputCode": "424242" })),
    )
    .await;
    created_code(&resent);
    for query in [
        "email=go-pl%40example.com".to_string(),
        format!("preAuthSessionId={pre_auth}"),
        format!(
            "deviceId={}",
            device_id
                .replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        ),
    ] {
        let path = format!("/public/recipe/signinup/codes?{query}");
        let reply = passwordless_call(&app, Method::GET, &path, None).await;
        let devices = go_devices(&reply);
        assert_eq!(devices.len(), 1, "{query}");
        assert_eq!(string(&devices[0], "email"), "go-pl@example.com");
        assert_eq!(devices[0]["codes"].as_array().unwrap().len(), 2);
    }
    // A wrong code: both counts are numbers Go converts.
    let wrong = call(
        Method::POST,
        "/public/recipe/signinup/code/consume",
        Some(json!({ "preAuthSessionId": pre_auth, "deviceId": device_id, "userInputCode": "000000x" })),
    )
    .await;
    assert_eq!(string(&wrong, "status"), "INCORRECT_USER_INPUT_CODE_ERROR");
    assert_eq!(number(&wrong, "failedCodeInputAttemptCount"), 1);
    assert_eq!(number(&wrong, "maximumCodeInputAttempts"), 5);
    let consumed = call(
        Method::POST,
        "/public/recipe/signinup/code/consume",
        Some(json!({ "preAuthSessionId": pre_auth, "deviceId": device_id, "userInputCode": "424242" })),
    )
    .await;
    assert_eq!(string(&consumed, "status"), "OK");
    assert!(boolean(&consumed, "createdNewUser"));
    // `plessmodels.User`: id, timeJoined, the email or phone given, tenantIds.
    let user = &consumed["user"];
    let user_id = string(user, "id").to_string();
    number(user, "timeJoined");
    assert_eq!(string(user, "email"), "go-pl@example.com");
    assert_eq!(strings(user, "tenantIds"), ["public"]);
    assert!(user.get("phoneNumber").is_none());

    let by_email = call(
        Method::GET,
        "/public/recipe/user?email=go-pl%40example.com",
        None,
    )
    .await;
    assert_eq!(by_email["user"], *user);
    let by_id = passwordless_call(
        &app,
        Method::GET,
        &format!("/recipe/user?userId={user_id}"),
        None,
    )
    .await;
    assert_eq!(by_id["user"], *user);
    // Updates: OK, then a phone number, then removing the email; EMAIL_ALREADY_EXISTS_ERROR
    // and UNKNOWN_USER_ID_ERROR are the statuses Go tells apart.
    let phone = call(
        Method::PUT,
        "/recipe/user",
        Some(json!({ "userId": user_id, "phoneNumber": "+16505550142" })),
    )
    .await;
    assert_eq!(string(&phone, "status"), "OK");
    let cleared = call(
        Method::PUT,
        "/recipe/user",
        Some(json!({ "userId": user_id, "email": null })),
    )
    .await;
    assert_eq!(string(&cleared, "status"), "OK");
    let by_phone = call(
        Method::GET,
        "/public/recipe/user?phoneNumber=%2B16505550142",
        None,
    )
    .await;
    assert_eq!(string(&by_phone["user"], "phoneNumber"), "+16505550142");
    assert!(by_phone["user"].get("email").is_none());
    let other = call(
        Method::POST,
        "/public/recipe/signinup/code",
        Some(json!({ "email": "go-pl2@example.com" })),
    )
    .await;
    let (pre_auth, _, link_code) = created_code(&other);
    let second = call(
        Method::POST,
        "/public/recipe/signinup/code/consume",
        Some(json!({ "preAuthSessionId": pre_auth, "linkCode": link_code })),
    )
    .await;
    let taken = call(
        Method::PUT,
        "/recipe/user",
        Some(json!({ "userId": user_id, "email": second["user"]["email"] })),
    )
    .await;
    assert_eq!(string(&taken, "status"), "EMAIL_ALREADY_EXISTS_ERROR");
    let unknown = call(
        Method::PUT,
        "/recipe/user",
        Some(json!({ "userId": "nobody", "email": "x@example.com" })),
    )
    .await;
    assert_eq!(string(&unknown, "status"), "UNKNOWN_USER_ID_ERROR");

    // Revoking: one code by id, then every code of a phone number.
    let code = call(
        Method::POST,
        "/public/recipe/signinup/code",
        Some(json!({ "phoneNumber": "+16505550143" })),
    )
    .await;
    let removed = call(
        Method::POST,
        "/public/recipe/signinup/code/remove",
        Some(json!({ "codeId": code["codeId"] })),
    )
    .await;
    assert_eq!(string(&removed, "status"), "OK");
    call(
        Method::POST,
        "/public/recipe/signinup/code",
        Some(json!({ "phoneNumber": "+16505550143" })),
    )
    .await;
    let removed = call(
        Method::POST,
        "/public/recipe/signinup/codes/remove",
        Some(json!({ "phoneNumber": "+16505550143" })),
    )
    .await;
    assert_eq!(string(&removed, "status"), "OK");
    let left = call(
        Method::GET,
        "/public/recipe/signinup/codes?phoneNumber=%2B16505550143",
        None,
    )
    .await;
    assert!(go_devices(&left).is_empty());
});

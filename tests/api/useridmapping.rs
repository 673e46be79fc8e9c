//! UserIdMapping: the endpoints, and the mapped id in every answer and as every API's input.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn map(app: &TestApp, body: Value) -> Value {
    app.post("/recipe/userid/map", &body).await.json()
}

on_both_backends!(mappings_are_created_read_updated_and_removed, |backend| {
    let app = TestApp::spawn(backend).await;
    let user_id = app.sign_up("mapped@example.com", "pw").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other_id = app.sign_up("other@example.com", "pw").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let created = map(
        &app,
        json!({ "superTokensUserId": user_id, "externalUserId": " ext-1 ", "externalUserIdInfo": "from auth0" }),
    )
    .await;
    assert_eq!(created, json!({ "status": "OK" }));
    let expected = json!({ "status": "OK", "superTokensUserId": user_id, "externalUserId": "ext-1", "externalUserIdInfo": "from auth0" });
    for query in [
        format!("userId={user_id}"),
        "userId=ext-1".into(),
        "userId=ext-1&userIdType=EXTERNAL".into(),
        format!("userId={user_id}&userIdType=SUPERTOKENS"),
    ] {
        assert_eq!(
            app.get(&format!("/recipe/userid/map?{query}")).await.json(),
            expected,
            "{query}"
        );
    }
    let wrong_type = app
        .get("/recipe/userid/map?userId=ext-1&userIdType=SUPERTOKENS")
        .await
        .json();
    assert_eq!(wrong_type, json!({ "status": "UNKNOWN_MAPPING_ERROR" }));
    app.get("/recipe/userid/map?userId=ext-1&userIdType=other")
        .await
        .assert_error(
            400,
            "Field name 'userIdType' should be one of 'SUPERTOKENS', 'EXTERNAL' or 'ANY'",
        );

    // Already mapped, from either side.
    for (body, supertokens, external) in [
        (
            json!({ "superTokensUserId": user_id, "externalUserId": "ext-1" }),
            true,
            true,
        ),
        (
            json!({ "superTokensUserId": other_id, "externalUserId": "ext-1" }),
            false,
            true,
        ),
        (
            json!({ "superTokensUserId": user_id, "externalUserId": "ext-2" }),
            true,
            false,
        ),
    ] {
        assert_eq!(
            map(&app, body).await,
            json!({ "status": "USER_ID_MAPPING_ALREADY_EXISTS_ERROR", "doesSuperTokensUserIdExist": supertokens, "doesExternalUserIdExist": external })
        );
    }
    let unknown = map(
        &app,
        json!({ "superTokensUserId": "nobody", "externalUserId": "ext-3" }),
    )
    .await;
    assert_eq!(
        unknown,
        json!({ "status": "UNKNOWN_SUPERTOKENS_USER_ID_ERROR" })
    );
    app.post(
        "/recipe/userid/map",
        &json!({ "superTokensUserId": other_id, "externalUserId": user_id }),
    )
    .await
    .assert_error(
        400,
        "Cannot create a userId mapping where the externalId is also a SuperTokens userID",
    );
    for (body, message) in [
        (
            json!({ "superTokensUserId": " ", "externalUserId": "x" }),
            "Field name 'superTokensUserId' cannot be an empty String",
        ),
        (
            json!({ "superTokensUserId": "x", "externalUserId": "" }),
            "Field name 'externalUserId' cannot be an empty String",
        ),
        (
            json!({ "superTokensUserId": "x", "externalUserId": "y", "externalUserIdInfo": " " }),
            "Field name 'externalUserIdInfo' cannot be an empty String",
        ),
        (
            json!({ "superTokensUserId": "x" }),
            "Field name 'externalUserId' is invalid in JSON input",
        ),
        (
            json!({ "superTokensUserId": "x", "externalUserId": "e".repeat(129) }),
            "Field name 'externalUserId' must be at most 128 characters",
        ),
    ] {
        app.post("/recipe/userid/map", &body)
            .await
            .assert_error(400, message);
    }
    assert_eq!(app.count_rows("userid_mapping").await, 1);

    // The info is replaced, or removed with null.
    let app = &app;
    let update =
        |body: Value| async move { app.put("/recipe/userid/external-user-id-info", &body).await };
    assert_eq!(
        update(json!({ "userId": "ext-1", "externalUserIdInfo": null }))
            .await
            .json(),
        json!({ "status": "OK" })
    );
    let read = app.get("/recipe/userid/map?userId=ext-1").await.json();
    assert!(read.get("externalUserIdInfo").is_none(), "{read}");
    assert_eq!(
        update(json!({ "userId": "nope", "externalUserIdInfo": "x" }))
            .await
            .json(),
        json!({ "status": "UNKNOWN_MAPPING_ERROR" })
    );
    update(json!({ "userId": "ext-1" })).await.assert_error(
        400,
        "Field name 'externalUserIdInfo' is invalid in JSON input",
    );

    let removed = app
        .post("/recipe/userid/map/remove", &json!({ "userId": "ext-1" }))
        .await
        .json();
    assert_eq!(removed, json!({ "status": "OK", "didMappingExist": true }));
    let again = app
        .post("/recipe/userid/map/remove", &json!({ "userId": "ext-1" }))
        .await
        .json();
    assert_eq!(again, json!({ "status": "OK", "didMappingExist": false }));
});

on_both_backends!(the_mapped_id_is_the_users_id_everywhere, |backend| {
    let app = TestApp::spawn(backend).await;
    let user_id = app.sign_up("legacy@example.com", "pw").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    map(
        &app,
        json!({ "superTokensUserId": user_id, "externalUserId": "legacy-42" }),
    )
    .await;

    let by_either = [
        app.get("/user/id?userId=legacy-42").await.json(),
        app.get(&format!("/user/id?userId={user_id}")).await.json(),
    ];
    for reply in &by_either {
        assert_eq!(reply["user"]["id"], "legacy-42");
        assert_eq!(
            reply["user"]["loginMethods"][0]["recipeUserId"],
            "legacy-42"
        );
    }
    let signed_in = app
        .post(
            "/recipe/signin",
            &json!({ "email": "legacy@example.com", "password": "pw" }),
        )
        .await
        .json();
    assert_eq!(signed_in["user"]["id"], "legacy-42");
    assert_eq!(signed_in["recipeUserId"], "legacy-42");
    let listed = app.get("/users").await.json();
    assert_eq!(listed["users"][0]["id"], "legacy-42");
    let legacy = app
        .at("3.0")
        .get("/recipe/user?userId=legacy-42")
        .await
        .json();
    assert_eq!(legacy["user"]["id"], "legacy-42");

    // Inputs take the mapped id.
    let updated = app
        .put(
            "/recipe/user",
            &json!({ "recipeUserId": "legacy-42", "password": "pw-2" }),
        )
        .await
        .json();
    assert_eq!(updated, json!({ "status": "OK" }));
    let token = app
        .post(
            "/recipe/user/password/reset/token",
            &json!({ "userId": "legacy-42", "email": "legacy@example.com" }),
        )
        .await
        .json();
    let consumed = app
        .post(
            "/recipe/user/password/reset/token/consume",
            &json!({ "token": token["token"] }),
        )
        .await
        .json();
    assert_eq!(consumed["userId"], "legacy-42");

    // Verified emails, metadata and sessions are kept under the mapped id.
    let verify_token = app
        .post(
            "/recipe/user/email/verify/token",
            &json!({ "userId": "legacy-42", "email": "legacy@example.com" }),
        )
        .await
        .json();
    app.post(
        "/recipe/user/email/verify",
        &json!({ "method": "token", "token": verify_token["token"] }),
    )
    .await
    .json();
    let reply = app.get("/user/id?userId=legacy-42").await.json();
    assert_eq!(reply["user"]["loginMethods"][0]["verified"], true);
    app.put(
        "/recipe/user/metadata",
        &json!({ "userId": "legacy-42", "metadataUpdate": { "plan": "gold" } }),
    )
    .await
    .json();
    app.post(
        "/recipe/session",
        &json!({ "userId": "legacy-42", "enableAntiCsrf": false, "userDataInJWT": {}, "userDataInDatabase": {} }),
    )
    .await
    .json();

    // The user's sessions are found by either id (the SDKs ask for linked accounts).
    for id in ["legacy-42", user_id.as_str()] {
        let handles = app
            .get(&format!(
                "/recipe/session/user?userId={id}&fetchSessionsForAllLinkedAccounts=true"
            ))
            .await
            .json();
        assert_eq!(
            handles["sessionHandles"].as_array().unwrap().len(),
            1,
            "{id}"
        );
    }

    // A mapping with data under its external id is removed only with force.
    app.post(
        "/recipe/userid/map/remove",
        &json!({ "userId": "legacy-42" }),
    )
    .await
    .assert_error(400, "UserId is already in use in Session recipe");

    // Deleting the user deletes what is kept under either id, and the mapping.
    app.post("/user/remove", &json!({ "userId": "legacy-42" }))
        .await
        .json();
    assert_eq!(app.count_rows("userid_mapping").await, 0);
    assert_eq!(app.count_rows("sessions").await, 0);
    assert_eq!(app.count_rows("user_metadata").await, 0);
    assert_eq!(app.count_rows("emailverification_verified_emails").await, 0);
});

on_both_backends!(ids_in_use_need_force, |backend| {
    let app = TestApp::spawn(backend).await;
    let user_id = app.sign_up("used@example.com", "pw").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.put(
        "/recipe/user/metadata",
        &json!({ "userId": user_id, "metadataUpdate": { "a": 1 } }),
    )
    .await
    .json();
    let body = json!({ "superTokensUserId": user_id, "externalUserId": "used-1" });
    app.post("/recipe/userid/map", &body)
        .await
        .assert_error(400, "UserId is already in use in UserMetadata recipe");
    let mut forced = body.clone();
    forced["force"] = json!(true);
    assert_eq!(map(&app, forced).await["status"], "OK");

    // From CDI 4.0 verified emails alone move to the new id; before, they are in the way.
    let verified_id = app.sign_up("verified@example.com", "pw").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = app
        .post(
            "/recipe/user/email/verify/token",
            &json!({ "userId": verified_id, "email": "verified@example.com" }),
        )
        .await
        .json();
    app.post(
        "/recipe/user/email/verify",
        &json!({ "method": "token", "token": token["token"] }),
    )
    .await
    .json();
    let body = json!({ "superTokensUserId": verified_id, "externalUserId": "verified-1" });
    app.at("3.1")
        .post("/recipe/userid/map", &body)
        .await
        .assert_error(400, "UserId is already in use in EmailVerification recipe");
    assert_eq!(map(&app, body).await["status"], "OK");
    let reply = app.get("/user/id?userId=verified-1").await.json();
    assert_eq!(reply["user"]["loginMethods"][0]["verified"], true);
});

//! ThirdParty sign-in-up, its users in every user API, and one user per provider account
//! and tenant, even when sign-ins race.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::{send, TestApp};
use crate::on_both_backends;

fn account(provider: &str, user: &str, email: &str, verified: bool) -> Value {
    json!({ "thirdPartyId": provider, "thirdPartyUserId": user, "email": { "id": email, "isVerified": verified } })
}

on_both_backends!(sign_in_up_creates_then_signs_in, |backend| {
    let app = TestApp::spawn(backend).await;
    let first = app
        .post(
            "/recipe/signinup",
            &account("google", "g-1", " Ada@Example.com", false),
        )
        .await
        .json();
    assert_eq!(first["status"], "OK");
    assert_eq!(first["createdNewUser"], true);
    let user = &first["user"];
    let user_id = user["id"].as_str().unwrap();
    assert_eq!(first["recipeUserId"], user_id);
    assert_eq!(user["emails"], json!(["ada@example.com"]));
    assert_eq!(
        user["thirdParty"],
        json!([{ "id": "google", "userId": "g-1" }])
    );
    let method = &user["loginMethods"][0];
    assert_eq!(method["recipeId"], "thirdparty");
    assert_eq!(
        method["thirdParty"],
        json!({ "id": "google", "userId": "g-1" })
    );
    assert_eq!(method["verified"], false);

    // Again, now verified and with a new email at the provider.
    let again = app
        .post(
            "/recipe/signinup",
            &account("google", "g-1", "ada@new.example.com", true),
        )
        .await
        .json();
    assert_eq!(again["createdNewUser"], false);
    assert_eq!(again["user"]["id"], user_id);
    assert_eq!(again["user"]["emails"], json!(["ada@new.example.com"]));
    assert_eq!(again["user"]["loginMethods"][0]["verified"], true);
    let verified = app
        .get(&format!(
            "/recipe/user/email/verify?userId={user_id}&email=ada@new.example.com"
        ))
        .await
        .json();
    assert_eq!(verified["isVerified"], true);

    // Another provider account, or the same one in another tenant, is another user.
    let other = app
        .post(
            "/recipe/signinup",
            &account("github", "g-1", "ada@new.example.com", false),
        )
        .await
        .json();
    assert_eq!(other["createdNewUser"], true);
    assert_ne!(other["user"]["id"], user_id);
    app.put(
        "/recipe/multitenancy/tenant/v2",
        &json!({ "tenantId": "t1", "firstFactors": ["thirdparty"] }),
    )
    .await
    .json();
    let in_t1 = app
        .post(
            "/t1/recipe/signinup",
            &account("google", "g-1", "ada@new.example.com", false),
        )
        .await
        .json();
    assert_eq!(in_t1["createdNewUser"], true);
    assert_eq!(in_t1["user"]["tenantIds"], json!(["t1"]));
    // ...so it cannot join a tenant where that account already has a user.
    let joined = app
        .post(
            "/t1/recipe/multitenancy/tenant/user",
            &json!({ "recipeUserId": user_id }),
        )
        .await
        .json();
    assert_eq!(
        joined,
        json!({ "status": "THIRD_PARTY_USER_ALREADY_EXISTS_ERROR" })
    );
});

on_both_backends!(before_4_0_the_user_is_the_recipe_user, |backend| {
    let app = TestApp::spawn(backend).await;
    let body = json!({ "thirdPartyId": "google", "thirdPartyUserId": "g-2", "email": { "id": "old@example.com" } });
    let signed_up = app.at("3.0").post("/recipe/signinup", &body).await.json();
    let user = signed_up["user"].clone();
    assert_eq!(
        signed_up,
        json!({
            "status": "OK",
            "createdNewUser": true,
            "user": {
                "id": user["id"],
                "timeJoined": user["timeJoined"],
                "tenantIds": ["public"],
                "email": "old@example.com",
                "thirdParty": { "id": "google", "userId": "g-2" },
            },
        })
    );
    let listed = app
        .at("3.1")
        .get("/users?includeRecipeIds=thirdparty")
        .await
        .json();
    assert_eq!(
        listed["users"],
        json!([{ "recipeId": "thirdparty", "user": user }])
    );
    // The deprecated look-ups the SDKs of that time make, with `rid: thirdparty`.
    let with_rid = |path: String| {
        app.request(Method::GET, &path)
            .insert_header(("rid", "thirdparty"))
            .insert_header(("cdi-version", "3.0"))
    };
    let user_id = user["id"].as_str().unwrap();
    let by_id = send(with_rid(format!("/recipe/user?userId={user_id}")), None)
        .await
        .json();
    assert_eq!(by_id, json!({ "status": "OK", "user": user }));
    let by_account = send(
        with_rid("/recipe/user?thirdPartyId=google&thirdPartyUserId=g-2".into()),
        None,
    )
    .await
    .json();
    assert_eq!(by_account, json!({ "status": "OK", "user": user }));
    let unknown = send(
        with_rid("/recipe/user?thirdPartyId=google&thirdPartyUserId=nope".into()),
        None,
    )
    .await
    .json();
    assert_eq!(
        unknown,
        json!({ "status": "UNKNOWN_THIRD_PARTY_USER_ERROR" })
    );
    send(
        with_rid("/recipe/user?userId=x&thirdPartyId=google".into()),
        None,
    )
    .await
    .assert_error(
        400,
        "Please provide only one of userId or (thirdPartyId & thirdPartyUserId)",
    );
    send(with_rid("/recipe/user?thirdPartyId=google".into()), None)
        .await
        .assert_error(
            400,
            "Please provide one of userId or (thirdPartyId & thirdPartyUserId)",
        );
    // Without the rid the path is EmailPassword's, which does not know this user.
    let as_email_password = app
        .at("3.0")
        .get(&format!("/recipe/user?userId={user_id}"))
        .await
        .json();
    assert_eq!(as_email_password["status"], "UNKNOWN_USER_ID_ERROR");
    let by_email = app
        .at("3.0")
        .get("/recipe/users/by-email?email=OLD@example.com")
        .await
        .json();
    assert_eq!(by_email, json!({ "status": "OK", "users": [user] }));

    // From 4.0 `isVerified` is required.
    app.at("4.0")
        .post("/recipe/signinup", &body)
        .await
        .assert_error(400, "Field name 'isVerified' is invalid in JSON input");
});

on_both_backends!(bad_input_is_refused_and_nothing_written, |backend| {
    let app = TestApp::spawn(backend).await;
    let long_provider = "p".repeat(29);
    for (body, message) in [
        (
            json!({ "thirdPartyUserId": "u", "email": { "id": "a@b.c", "isVerified": false } }),
            "Field name 'thirdPartyId' is invalid in JSON input",
        ),
        (
            json!({ "thirdPartyId": "p", "email": { "id": "a@b.c", "isVerified": false } }),
            "Field name 'thirdPartyUserId' is invalid in JSON input",
        ),
        (
            json!({ "thirdPartyId": "p", "thirdPartyUserId": "u", "email": "a@b.c" }),
            "Field name 'email' is invalid in JSON input",
        ),
        (
            json!({ "thirdPartyId": "p", "thirdPartyUserId": "u", "email": { "isVerified": false } }),
            "Field name 'id' is invalid in JSON input",
        ),
        (
            json!({ "thirdPartyId": "p", "thirdPartyUserId": "u", "email": { "id": "a@b.c", "isVerified": "yes" } }),
            "Field name 'isVerified' is invalid in JSON input",
        ),
        (
            json!({ "thirdPartyId": long_provider, "thirdPartyUserId": "u", "email": { "id": "a@b.c", "isVerified": false } }),
            "Field name 'thirdPartyId' must be at most 28 characters",
        ),
        (
            json!({ "thirdPartyId": "p", "thirdPartyUserId": "u", "email": { "id": format!("{}@b.c", "a".repeat(300)), "isVerified": false } }),
            "Field name 'email' must be at most 256 characters",
        ),
    ] {
        app.post("/recipe/signinup", &body)
            .await
            .assert_error(400, message);
    }
    assert_eq!(app.count_rows("users").await, 0);
});

on_both_backends!(racing_sign_ins_make_one_user, |backend| {
    let app = TestApp::spawn(backend).await;
    let body = account("google", "racer", "racer@example.com", false);
    let replies = futures_util::future::join_all(
        (0..8).map(|_| async { app.post("/recipe/signinup", &body).await.json() }),
    )
    .await;
    let created = replies
        .iter()
        .filter(|reply| reply["createdNewUser"] == true)
        .count();
    assert_eq!(created, 1, "{replies:?}");
    let ids: Vec<&Value> = replies.iter().map(|reply| &reply["user"]["id"]).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(app.count_rows("users").await, 1);
});

async fn by_account(app: &TestApp, query: &str) -> Value {
    app.get(&format!("/users/by-accountinfo?{query}"))
        .await
        .json()
}

on_both_backends!(
    third_party_users_in_listings_searches_and_counts,
    |backend| {
        let app = TestApp::spawn(backend).await;
        app.sign_up("ep@example.com", "pw").await;
        let google = app
            .post(
                "/recipe/signinup",
                &account("google", "g-3", "tp@example.com", false),
            )
            .await
            .json();
        let google_id = google["user"]["id"].as_str().unwrap().to_string();
        app.post(
            "/recipe/signinup",
            &account("github", "h-3", "octo@example.com", false),
        )
        .await
        .json();

        let ids = |reply: &Value| -> Vec<String> {
            reply["users"]
                .as_array()
                .unwrap()
                .iter()
                .map(|user| user["id"].as_str().unwrap().to_string())
                .collect()
        };
        let listed = app
            .get("/users?includeRecipeIds=thirdparty&timeJoinedOrder=ASC")
            .await
            .json();
        assert_eq!(listed["users"].as_array().unwrap().len(), 2);
        let by_provider = app.get("/users?provider=goo").await.json();
        assert_eq!(ids(&by_provider), std::slice::from_ref(&google_id));
        let both_terms = app.get("/users?provider=git&email=tp@").await.json();
        assert!(ids(&both_terms).is_empty(), "every kind of term must match");
        let counted = app
            .get("/users/count?includeRecipeIds=thirdparty")
            .await
            .json();
        assert_eq!(counted["count"], 2);
        let counted = app.get("/users/count").await.json();
        assert_eq!(counted["count"], 3);

        let found = by_account(
            &app,
            "thirdPartyId=google&thirdPartyUserId=g-3&doUnionOfAccountInfo=false",
        )
        .await;
        assert_eq!(ids(&found), std::slice::from_ref(&google_id));
        let both = by_account(&app, "email=ep@example.com&thirdPartyId=google&thirdPartyUserId=g-3&doUnionOfAccountInfo=true").await;
        assert_eq!(ids(&both).len(), 2);
        let neither = by_account(&app, "email=ep@example.com&thirdPartyId=google&thirdPartyUserId=g-3&doUnionOfAccountInfo=false").await;
        assert!(ids(&neither).is_empty());
        let matching = by_account(&app, "email=tp@example.com&thirdPartyId=google&thirdPartyUserId=g-3&doUnionOfAccountInfo=false").await;
        assert_eq!(ids(&matching), std::slice::from_ref(&google_id));

        // Deleting the user frees the account: the next sign-in is a new user.
        app.post("/user/remove", &json!({ "userId": google_id }))
            .await
            .json();
        let again = app
            .post(
                "/recipe/signinup",
                &account("google", "g-3", "tp@example.com", false),
            )
            .await
            .json();
        assert_eq!(again["createdNewUser"], true);
        assert_ne!(again["user"]["id"], google_id.as_str());
    }
);

on_both_backends!(first_factors_gate_third_party_before_5_1, |backend| {
    let app = TestApp::spawn(backend).await;
    app.put(
        "/recipe/multitenancy/tenant/v2",
        &json!({ "tenantId": "t1", "firstFactors": ["emailpassword"] }),
    )
    .await
    .json();
    let body = account("google", "g-4", "gate@example.com", false);
    app.at("4.0")
        .post("/t1/recipe/signinup", &body)
        .await
        .assert_error(403, "ThirdParty login not enabled for tenant");
    let allowed = app
        .at("5.1")
        .post("/t1/recipe/signinup", &body)
        .await
        .json();
    assert_eq!(allowed["status"], "OK");
});

//! Account linking: primary users, linking and unlinking with upstream's statuses, the rule
//! that no two primary users share an account in a tenant (also under races), the linked
//! user object, sessions, listing, counting and deletion.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn third_party(app: &TestApp, user: &str, email: &str) -> Value {
    let reply = app
        .post(
            "/recipe/signinup",
            &json!({ "thirdPartyId": "google", "thirdPartyUserId": user, "email": { "id": email, "isVerified": false } }),
        )
        .await
        .json();
    assert_eq!(reply["status"], "OK", "{reply}");
    reply["user"].clone()
}

fn id(user: &Value) -> String {
    user["id"].as_str().unwrap().to_string()
}

async fn make_primary(app: &TestApp, user_id: &str) -> Value {
    app.post(
        "/recipe/accountlinking/user/primary",
        &json!({ "recipeUserId": user_id }),
    )
    .await
    .json()
}

async fn link(app: &TestApp, user_id: &str, primary_id: &str) -> Value {
    app.post(
        "/recipe/accountlinking/user/link",
        &json!({ "recipeUserId": user_id, "primaryUserId": primary_id }),
    )
    .await
    .json()
}

async fn can_link(app: &TestApp, user_id: &str, primary_id: &str) -> Value {
    app.get(&format!(
        "/recipe/accountlinking/user/link/check?recipeUserId={user_id}&primaryUserId={primary_id}"
    ))
    .await
    .json()
}

async fn unlink(app: &TestApp, user_id: &str) -> Value {
    app.post(
        "/recipe/accountlinking/user/unlink",
        &json!({ "recipeUserId": user_id }),
    )
    .await
    .json()
}

async fn user(app: &TestApp, user_id: &str) -> Value {
    app.get(&format!("/user/id?userId={user_id}")).await.json()
}

on_both_backends!(a_primary_user_links_and_unlinks_login_methods, |backend| {
    let app = TestApp::spawn(backend).await;
    let ana = id(&app.sign_up("ana@example.com", "password1").await);
    let google = id(&third_party(&app, "g-ana", "ana@example.com").await);

    let check = app
        .get(&format!(
            "/recipe/accountlinking/user/primary/check?recipeUserId={ana}"
        ))
        .await
        .json();
    assert_eq!(
        check,
        json!({ "status": "OK", "wasAlreadyAPrimaryUser": false })
    );
    // A check changes nothing.
    assert_eq!(user(&app, &ana).await["user"]["isPrimaryUser"], false);
    let made = make_primary(&app, &ana).await;
    assert_eq!(made["status"], "OK");
    assert_eq!(made["wasAlreadyAPrimaryUser"], false);
    assert_eq!(made["user"]["isPrimaryUser"], true);
    assert_eq!(
        make_primary(&app, &ana).await["wasAlreadyAPrimaryUser"],
        true
    );

    assert_eq!(
        can_link(&app, &google, &ana).await,
        json!({ "status": "OK", "accountsAlreadyLinked": false })
    );
    // A session of the login method before linking ends with the link.
    let session = app
        .post(
            "/recipe/session",
            &json!({ "userId": google, "userDataInJWT": {}, "userDataInDatabase": {}, "enableAntiCsrf": false }),
        )
        .await
        .json();
    assert_eq!(session["session"]["userId"], google);
    let linked = link(&app, &google, &ana).await;
    assert_eq!(linked["status"], "OK", "{linked}");
    assert_eq!(linked["accountsAlreadyLinked"], false);
    let group = &linked["user"];
    assert_eq!(group["id"], ana);
    assert_eq!(group["isPrimaryUser"], true);
    assert_eq!(group["emails"], json!(["ana@example.com"]));
    assert_eq!(
        group["thirdParty"],
        json!([{ "id": "google", "userId": "g-ana" }])
    );
    let methods: Vec<&str> = group["loginMethods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["recipeUserId"].as_str().unwrap())
        .collect();
    assert_eq!(methods, [ana.as_str(), google.as_str()]);
    let handle = session["session"]["handle"].as_str().unwrap();
    let gone = app
        .get(&format!("/recipe/session?sessionHandle={handle}"))
        .await
        .json();
    assert_eq!(gone["status"], "UNAUTHORISED");

    // Either id finds the primary user; a session of the linked login method is the primary's.
    assert_eq!(user(&app, &google).await["user"]["id"], ana);
    let session = app
        .post(
            "/recipe/session",
            &json!({ "userId": google, "userDataInJWT": {}, "userDataInDatabase": {}, "enableAntiCsrf": false }),
        )
        .await
        .json();
    assert_eq!(session["session"]["userId"], ana);
    assert_eq!(session["session"]["recipeUserId"], google);
    let handles = app
        .get(&format!("/recipe/session/user?userId={ana}"))
        .await
        .json();
    assert_eq!(handles["sessionHandles"].as_array().unwrap().len(), 1);
    assert_eq!(
        link(&app, &google, &ana).await["accountsAlreadyLinked"],
        true
    );
    // Linking through another member of the group is linking to the group.
    assert_eq!(
        can_link(&app, &google, &google).await["accountsAlreadyLinked"],
        true
    );

    // Listed and counted once.
    let listed = app.get("/users").await.json();
    assert_eq!(listed["users"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/users/count").await.json()["count"], 1);
    assert_eq!(
        app.get("/users/count?includeRecipeIds=thirdparty")
            .await
            .json()["count"],
        1
    );
    let found = app
        .get("/users/by-accountinfo?email=ana%40example.com&doUnionOfAccountInfo=true")
        .await
        .json();
    assert_eq!(found["users"].as_array().unwrap().len(), 1);
    // Both accounts, each on another login method of the one user.
    let found = app
        .get("/users/by-accountinfo?email=ana%40example.com&thirdPartyId=google&thirdPartyUserId=g-ana&doUnionOfAccountInfo=false")
        .await
        .json();
    assert_eq!(found["users"][0]["id"], ana);
    let none = app
        .get("/users/by-accountinfo?email=ana%40example.com&thirdPartyId=google&thirdPartyUserId=other&doUnionOfAccountInfo=false")
        .await
        .json();
    assert_eq!(none["users"], json!([]));

    let unlinked = unlink(&app, &google).await;
    assert_eq!(
        unlinked,
        json!({ "status": "OK", "wasRecipeUserDeleted": false, "wasLinked": true })
    );
    assert_eq!(user(&app, &google).await["user"]["id"], google);
    assert_eq!(user(&app, &google).await["user"]["isPrimaryUser"], false);
    assert_eq!(app.get("/users/count").await.json()["count"], 2);
    assert_eq!(
        unlink(&app, &google).await,
        json!({ "status": "OK", "wasRecipeUserDeleted": false, "wasLinked": false })
    );
    // A primary user alone stops being one.
    assert_eq!(unlink(&app, &ana).await["wasLinked"], true);
    assert_eq!(user(&app, &ana).await["user"]["isPrimaryUser"], false);
});

on_both_backends!(refusals_use_upstreams_statuses_and_texts, |backend| {
    let app = TestApp::spawn(backend).await;
    let ana = id(&app.sign_up("ana@example.com", "password1").await);
    let google = id(&third_party(&app, "g-ana", "ana@example.com").await);
    let bob = id(&app.sign_up("bob@example.com", "password1").await);
    let github = id(&third_party(&app, "gh-bob", "bob@example.com").await);

    assert_eq!(
        link(&app, &google, &ana).await,
        json!({ "status": "INPUT_USER_IS_NOT_A_PRIMARY_USER" })
    );
    make_primary(&app, &ana).await;
    link(&app, &google, &ana).await;
    let linked = app
        .get(&format!(
            "/recipe/accountlinking/user/primary/check?recipeUserId={google}"
        ))
        .await
        .json();
    assert_eq!(
        linked,
        json!({ "status": "RECIPE_USER_ID_ALREADY_LINKED_WITH_PRIMARY_USER_ID_ERROR", "primaryUserId": ana, "description": "This user ID is already linked to another user ID" })
    );
    make_primary(&app, &bob).await;
    let elsewhere = link(&app, &google, &bob).await;
    assert_eq!(
        elsewhere["status"],
        "RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR"
    );
    assert_eq!(elsewhere["primaryUserId"], ana);
    assert_eq!(
        elsewhere["description"],
        "The input recipe user ID is already linked to another user ID"
    );
    assert_eq!(elsewhere["user"]["id"], ana);
    // A primary user cannot be linked into another.
    assert_eq!(
        can_link(&app, &bob, &ana).await["status"],
        "RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR"
    );

    // An account another primary user holds in a shared tenant.
    let other_ana = id(&third_party(&app, "gh-ana", "ana@example.com").await);
    let conflict = make_primary(&app, &other_ana).await;
    assert_eq!(
        conflict,
        json!({ "status": "ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", "primaryUserId": ana, "description": "This user's email is already associated with another user ID" })
    );
    assert_eq!(user(&app, &other_ana).await["user"]["isPrimaryUser"], false);
    let conflict = link(&app, &other_ana, &bob).await;
    assert_eq!(conflict["primaryUserId"], ana);
    assert_eq!(user(&app, &other_ana).await["user"]["id"], other_ana);
    assert_eq!(
        can_link(&app, &github, &bob).await["accountsAlreadyLinked"],
        false
    );

    app.get("/recipe/accountlinking/user/primary/check?recipeUserId=nobody")
        .await
        .assert_error(400, "Unknown user ID provided");
    app.post(
        "/recipe/accountlinking/user/link",
        &json!({ "recipeUserId": google }),
    )
    .await
    .assert_error(400, "Field name 'primaryUserId' is invalid in JSON input");
    app.get("/recipe/accountlinking/user/link/check?recipeUserId=x")
        .await
        .assert_error(400, "Field name 'primaryUserId' is missing in GET request");
    // App-wide APIs: refused under another tenant from CDI 5.0.
    app.put(
        "/recipe/multitenancy/tenant/v2",
        &json!({ "tenantId": "t1" }),
    )
    .await
    .json();
    app.post(
        "/t1/recipe/accountlinking/user/unlink",
        &json!({ "recipeUserId": ana }),
    )
    .await
    .assert_error(403, "Only public tenantId can call this app specific API");
});

on_both_backends!(mapped_ids_are_accepted_and_shown, |backend| {
    let app = TestApp::spawn(backend).await;
    let ana = id(&app.sign_up("ana@example.com", "password1").await);
    let google = id(&third_party(&app, "g-ana", "ana@example.com").await);
    for (supertokens, external) in [(&ana, "ana-ext"), (&google, "google-ext")] {
        let mapped = app
            .post(
                "/recipe/userid/map",
                &json!({ "superTokensUserId": supertokens, "externalUserId": external }),
            )
            .await
            .json();
        assert_eq!(mapped["status"], "OK");
    }
    assert_eq!(make_primary(&app, "ana-ext").await["user"]["id"], "ana-ext");
    let linked = link(&app, "google-ext", "ana-ext").await;
    let methods: Vec<&str> = linked["user"]["loginMethods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["recipeUserId"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["ana-ext", "google-ext"]);
    assert_eq!(user(&app, "google-ext").await["user"]["id"], "ana-ext");
    // Sessions of either login method, named by either id, are the primary user's shown id,
    // and are stored (and so revoked) under the login method's shown id.
    for (given, recipe_user) in [
        ("google-ext", "google-ext"),
        (google.as_str(), "google-ext"),
        (ana.as_str(), "ana-ext"),
    ] {
        let session = app
            .post(
                "/recipe/session",
                &json!({ "userId": given, "userDataInJWT": {}, "userDataInDatabase": {}, "enableAntiCsrf": false }),
            )
            .await
            .json();
        assert_eq!(session["session"]["userId"], "ana-ext", "{given}");
        assert_eq!(session["session"]["recipeUserId"], recipe_user, "{given}");
        let handle = session["session"]["handle"].as_str().unwrap();
        let read = app
            .get(&format!("/recipe/session?sessionHandle={handle}"))
            .await
            .json();
        assert_eq!(
            (read["userId"].as_str(), read["recipeUserId"].as_str()),
            (Some("ana-ext"), Some(recipe_user))
        );
    }
    let handles = app.get("/recipe/session/user?userId=ana-ext").await.json();
    assert_eq!(handles["sessionHandles"].as_array().unwrap().len(), 3);
    let only_google = app
        .get("/recipe/session/user?userId=google-ext&fetchSessionsForAllLinkedAccounts=false")
        .await
        .json();
    assert_eq!(only_google["sessionHandles"].as_array().unwrap().len(), 2);
    // One active user, however its sessions were named.
    let active = app.get("/users/count/active?since=0").await.json();
    assert_eq!(active["count"], 1);
});

on_both_backends!(deleting_linked_users, |backend| {
    let app = TestApp::spawn(backend).await;
    let ana = id(&app.sign_up("ana@example.com", "password1").await);
    let google = id(&third_party(&app, "g-ana", "ana@example.com").await);
    let github = id(&third_party(&app, "gh-ana", "ana@example.com").await);
    make_primary(&app, &ana).await;
    link(&app, &google, &ana).await;
    link(&app, &github, &ana).await;
    let mapped = app
        .post(
            "/recipe/userid/map",
            &json!({ "superTokensUserId": ana, "externalUserId": "ana-ext" }),
        )
        .await
        .json();
    assert_eq!(mapped["status"], "OK");
    let metadata = json!({ "userId": "ana-ext", "metadataUpdate": { "plan": "pro" } });
    app.put("/recipe/user/metadata", &metadata).await.json();

    // A linked login method alone.
    app.post(
        "/user/remove",
        &json!({ "userId": github, "removeAllLinkedAccounts": false }),
    )
    .await
    .json();
    assert_eq!(user(&app, &github).await["status"], "UNKNOWN_USER_ID_ERROR");
    assert_eq!(
        user(&app, &ana).await["user"]["loginMethods"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The primary user's own: the others keep its id, its id mapping and its data.
    app.post(
        "/user/remove",
        &json!({ "userId": ana, "removeAllLinkedAccounts": false }),
    )
    .await
    .json();
    for id in [ana.as_str(), "ana-ext", google.as_str()] {
        let left = user(&app, id).await;
        assert_eq!(left["user"]["id"], "ana-ext");
        assert_eq!(left["user"]["isPrimaryUser"], true);
        let methods = left["user"]["loginMethods"].as_array().unwrap();
        assert_eq!(methods.len(), 1);
        assert_eq!(methods[0]["recipeUserId"], google);
    }
    let kept = app.get("/recipe/user/metadata?userId=ana-ext").await.json();
    assert_eq!(kept["metadata"], json!({ "plan": "pro" }));
    // It is no login method any more: listed and counted as the others' user only.
    let listed = app.get("/users").await.json();
    assert_eq!(listed["users"].as_array().unwrap().len(), 1);
    let email_password = app
        .get("/users/count?includeAllTenants=true&includeRecipeIds=emailpassword")
        .await
        .json();
    assert_eq!(email_password["count"], 0);
    // The SDKs' flow after such a deletion: a password reset for the primary user's id, then
    // a new email-password login method (the email is free again) linked to it.
    let token = app
        .post(
            "/recipe/user/password/reset/token",
            &json!({ "userId": "ana-ext", "email": "ana@example.com" }),
        )
        .await
        .json();
    assert_eq!(token["status"], "OK", "{token}");
    let consumed = app
        .post(
            "/recipe/user/password/reset/token/consume",
            &json!({ "token": token["token"] }),
        )
        .await
        .json();
    assert_eq!(consumed["userId"], "ana-ext");
    let again = id(&app.sign_up("ana@example.com", "password2").await);
    let check = app
        .get(&format!(
            "/recipe/accountlinking/user/primary/check?recipeUserId={again}"
        ))
        .await
        .json();
    assert_eq!(check["primaryUserId"], "ana-ext");
    assert_eq!(link(&app, &again, "ana-ext").await["status"], "OK");
    // The whole group, with the primary user's data and mapping.
    app.post("/user/remove", &json!({ "userId": google }))
        .await
        .json();
    for id in [ana.as_str(), "ana-ext", again.as_str()] {
        assert_eq!(user(&app, id).await["status"], "UNKNOWN_USER_ID_ERROR");
    }
    let kept = app
        .get(&format!("/recipe/user/metadata?userId={ana}"))
        .await
        .json();
    assert_eq!(kept["metadata"], json!({}));
    let kept = app.get("/recipe/user/metadata?userId=ana-ext").await.json();
    assert_eq!(kept["metadata"], json!({}));
    assert_eq!(app.count_rows("users").await, 0);
    assert_eq!(app.count_rows("userid_mapping").await, 0);
    assert_eq!(app.count_rows("primary_user_accounts").await, 0);
    assert_eq!(app.get("/users/count").await.json()["count"], 0);
});

on_both_backends!(racing_links_keep_accounts_apart, |backend| {
    let app = TestApp::spawn(backend).await;
    // Two primary users; two login methods with one email, each linked to another primary
    // user at once: only one of them may hold the email.
    let first = id(&app.sign_up("first@example.com", "password1").await);
    let second = id(&app.sign_up("second@example.com", "password1").await);
    make_primary(&app, &first).await;
    make_primary(&app, &second).await;
    let mut candidates = Vec::new();
    for n in 0..6 {
        candidates.push(id(&third_party(
            &app,
            &format!("race-{n}"),
            "shared@example.com",
        )
        .await));
    }
    let links = futures_util::future::join_all(candidates.iter().enumerate().map(|(n, user)| {
        let primary = if n % 2 == 0 { &first } else { &second };
        link(&app, user, primary)
    }))
    .await;
    let owners: Vec<&Value> = links
        .iter()
        .filter(|reply| reply["status"] == "OK")
        .map(|reply| &reply["user"]["id"])
        .collect();
    assert!(!owners.is_empty());
    assert!(owners.iter().all(|owner| *owner == owners[0]), "{links:?}");
    for reply in &links {
        assert!(
            reply["status"] == "OK"
                || reply["status"]
                    == "ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR",
            "{reply}"
        );
    }
    // One login method linked to both primary users at once: one wins.
    let contested = id(&third_party(&app, "contested", "contested@example.com").await);
    let links = futures_util::future::join_all(
        (0..6).map(|n| link(&app, &contested, if n % 2 == 0 { &first } else { &second })),
    )
    .await;
    let group = user(&app, &contested).await["user"]["id"].clone();
    for reply in &links {
        match reply["status"].as_str().unwrap() {
            "OK" => assert_eq!(reply["user"]["id"], group),
            "RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR" => {
                assert_eq!(reply["primaryUserId"], group)
            }
            other => panic!("{other}: {reply}"),
        }
    }
});

on_both_backends!(
    recipes_refuse_changes_that_would_share_an_account,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let ana = id(&app.sign_up("ana@example.com", "password1").await);
        let bob = id(&app.sign_up("bob@example.com", "password1").await);
        let bob_phone = id(&app
            .passwordless_sign_up("", json!({ "phoneNumber": "+16505550100" }))
            .await);
        let ana_phone = id(&app
            .passwordless_sign_up("", json!({ "phoneNumber": "+16505550111" }))
            .await);
        make_primary(&app, &ana).await;
        make_primary(&app, &bob).await;
        assert_eq!(link(&app, &bob_phone, &bob).await["status"], "OK");
        assert_eq!(link(&app, &ana_phone, &ana).await["status"], "OK");

        // Email and password: the other primary user's email.
        let refused = app
            .put(
                "/recipe/user",
                &json!({ "recipeUserId": ana, "email": "bob@example.com" }),
            )
            .await
            .json();
        assert_eq!(
            refused,
            json!({ "status": "EMAIL_CHANGE_NOT_ALLOWED_ERROR", "reason": "New email is associated with another primary user ID" })
        );
        assert_eq!(
            user(&app, &ana).await["user"]["emails"],
            json!(["ana@example.com"])
        );
        // A user that is not linked may take an email a primary user has (the rule is theirs).
        let free = id(&app.sign_up("free@example.com", "password1").await);
        let taken = app
            .put(
                "/recipe/user",
                &json!({ "recipeUserId": free, "email": "bob@example.com" }),
            )
            .await
            .json();
        assert_eq!(taken, json!({ "status": "EMAIL_ALREADY_EXISTS_ERROR" }));
        let passwordless_rid = |body: Value| {
            let app = &app;
            async move {
                crate::helpers::send(
                    app.request(actix_web::http::Method::PUT, "/recipe/user")
                        .insert_header(("rid", "passwordless")),
                    Some(body.to_string()),
                )
                .await
                .json()
            }
        };
        // Passwordless: the other primary user's phone number, or email. The rule between
        // primary users comes before the recipe's own.
        let refused =
            passwordless_rid(json!({ "recipeUserId": ana_phone, "phoneNumber": "+16505550100" }))
                .await;
        assert_eq!(
            refused,
            json!({ "status": "PHONE_NUMBER_CHANGE_NOT_ALLOWED_ERROR", "reason": "New phone number is associated with another primary user ID" })
        );
        let refused =
            passwordless_rid(json!({ "recipeUserId": ana_phone, "email": "bob@example.com" }))
                .await;
        assert_eq!(
            refused,
            json!({ "status": "EMAIL_CHANGE_NOT_ALLOWED_ERROR", "reason": "New email is associated with another primary user ID" })
        );
        let ok = passwordless_rid(json!({ "recipeUserId": ana_phone, "email": "ana@example.com" }))
            .await;
        assert_eq!(ok["status"], "OK");

        // ThirdParty: the provider now gives the other primary user's email.
        let google = id(&third_party(&app, "g-ana", "ana@example.com").await);
        assert_eq!(link(&app, &google, &ana).await["status"], "OK");
        let refused = app
        .post(
            "/recipe/signinup",
            &json!({ "thirdPartyId": "google", "thirdPartyUserId": "g-ana", "email": { "id": "bob@example.com", "isVerified": false } }),
        )
        .await
        .json();
        assert_eq!(
            refused,
            json!({ "status": "EMAIL_CHANGE_NOT_ALLOWED_ERROR", "reason": "Email already associated with another primary user." })
        );
        assert_eq!(
            user(&app, &google).await["user"]["thirdParty"][0]["userId"],
            "g-ana"
        );
        assert_eq!(
            user(&app, &ana).await["user"]["emails"],
            json!(["ana@example.com"])
        );
    }
);

on_both_backends!(
    tenants_joined_by_linked_users_keep_accounts_apart,
    |backend| {
        let app = TestApp::spawn(backend).await;
        app.put(
            "/recipe/multitenancy/tenant/v2",
            &json!({ "tenantId": "t1", "firstFactors": null }),
        )
        .await
        .json();
        // Two primary users with one email, in different tenants.
        let ana = id(&app.sign_up("ana@example.com", "password1").await);
        make_primary(&app, &ana).await;
        let other = id(&app
            .passwordless_sign_up("/t1", json!({ "email": "ana@example.com" }))
            .await);
        assert_eq!(make_primary(&app, &other).await["status"], "OK");
        // Ana's group may not join t1, where the other primary user has her email.
        let refused = app
            .post(
                "/t1/recipe/multitenancy/tenant/user",
                &json!({ "recipeUserId": ana }),
            )
            .await
            .json();
        assert_eq!(
            refused,
            json!({ "status": "ASSOCIATION_NOT_ALLOWED_ERROR", "reason": format!("Another primary user with email already exists: {other}") })
        );
        assert_eq!(
            user(&app, &ana).await["user"]["tenantIds"],
            json!(["public"])
        );
        // Once the other leaves t1, she may.
        let left = app
            .post(
                "/t1/recipe/multitenancy/tenant/user/remove",
                &json!({ "recipeUserId": other }),
            )
            .await
            .json();
        assert_eq!(left["wasAssociated"], true);
        let joined = app
            .post(
                "/t1/recipe/multitenancy/tenant/user",
                &json!({ "recipeUserId": ana }),
            )
            .await
            .json();
        assert_eq!(joined["status"], "OK", "{joined}");
        assert_eq!(
            user(&app, &ana).await["user"]["tenantIds"],
            json!(["public", "t1"])
        );
    }
);

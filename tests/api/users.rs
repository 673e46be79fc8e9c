//! The core's user APIs: /user/id, /users, /users/count, /user/remove, /users/by-accountinfo,
//! /user/search/tags, /users/count/active.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn sign_up_many(app: &TestApp, prefix: &str, count: usize) -> Vec<Value> {
    let mut users = Vec::new();
    for i in 0..count {
        users.push(app.sign_up(&format!("{prefix}{i}@example.com"), "pw").await);
    }
    users
}

/// Every user id of a walk through all pages of `/users` with `query`.
async fn walk(app: &TestApp, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let path = match &token {
            Some(token) => format!("/users?{query}&paginationToken={}", urlencode(token)),
            None => format!("/users?{query}"),
        };
        let page = app.get(&path).await.json();
        ids.extend(
            page["users"]
                .as_array()
                .unwrap()
                .iter()
                .map(|user| user["id"].as_str().unwrap().to_string()),
        );
        match page.get("nextPaginationToken") {
            Some(next) => token = Some(next.as_str().unwrap().to_string()),
            None => return ids,
        }
    }
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

on_both_backends!(get_user_by_id, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.sign_up("id@example.com", "pw").await;
    let id = user["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/user/id?userId={id}")).await.json(),
        json!({ "status": "OK", "user": user })
    );
    assert_eq!(
        app.get("/user/id?userId=nobody").await.json(),
        json!({ "status": "UNKNOWN_USER_ID_ERROR" })
    );
    app.get("/user/id")
        .await
        .assert_error(400, "Field name 'userId' is missing in GET request");
    app.get(&format!("/t1/user/id?userId={id}"))
        .await
        .assert_error(403, "Only public tenantId can call this app specific API");
});

on_both_backends!(pages_walk_every_user_once_in_order, |backend| {
    let app = TestApp::spawn(backend).await;
    let users = sign_up_many(&app, "page", 7).await;
    let oldest_first: Vec<String> = users
        .iter()
        .map(|user| user["id"].as_str().unwrap().to_string())
        .collect();

    let ascending = walk(&app, "limit=3").await;
    assert_eq!(ascending.len(), 7);
    let mut expected = oldest_first.clone();
    // Users that joined in the same millisecond come in id order.
    expected.sort_by_key(|id| {
        let user = users
            .iter()
            .find(|user| user["id"] == *id.as_str())
            .unwrap();
        (user["timeJoined"].as_i64().unwrap(), id.clone())
    });
    assert_eq!(ascending, expected);
    let descending = walk(&app, "limit=2&timeJoinedOrder=DESC").await;
    assert_eq!(
        descending,
        expected.iter().rev().cloned().collect::<Vec<_>>()
    );

    let first = app.get("/users?limit=7").await.json();
    assert!(
        first.get("nextPaginationToken").is_none(),
        "no token after the last page"
    );
    assert_eq!(first["users"].as_array().unwrap().len(), 7);
    assert_eq!(
        first["users"][0],
        users
            .iter()
            .find(|u| u["id"] == *expected[0].as_str())
            .unwrap()
            .clone()
    );
    let default_page = app.get("/users").await.json();
    assert_eq!(default_page["users"].as_array().unwrap().len(), 7);
});

on_both_backends!(pages_stay_stable_under_concurrent_sign_ups, |backend| {
    let app = TestApp::spawn(backend).await;
    let before: HashSet<String> = sign_up_many(&app, "stable", 9)
        .await
        .iter()
        .map(|user| user["id"].as_str().unwrap().to_string())
        .collect();
    for order in ["ASC", "DESC"] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut round = 0;
        loop {
            let path = match &token {
                Some(token) => format!(
                    "/users?limit=2&timeJoinedOrder={order}&paginationToken={}",
                    urlencode(token)
                ),
                None => format!("/users?limit=2&timeJoinedOrder={order}"),
            };
            let page = app.get(&path).await.json();
            seen.extend(
                page["users"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u["id"].as_str().unwrap().to_string()),
            );
            // Others sign up while we page.
            app.sign_up(&format!("during-{order}-{round}@example.com"), "pw")
                .await;
            round += 1;
            match page.get("nextPaginationToken") {
                Some(next) => token = Some(next.as_str().unwrap().to_string()),
                None => break,
            }
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "nobody repeated ({order})");
        assert!(
            before.iter().all(|id| unique.contains(id)),
            "nobody who was there is skipped ({order})"
        );
    }
});

on_both_backends!(list_parameters_are_checked, |backend| {
    let app = TestApp::spawn(backend).await;
    sign_up_many(&app, "params", 2).await;
    app.get("/users?limit=501")
        .await
        .assert_error(400, "max limit allowed is 500");
    app.get("/users?limit=0")
        .await
        .assert_error(400, "limit must a positive integer with min value 1");
    app.get("/users?limit=ten")
        .await
        .assert_error(400, "Field name 'limit' must be an int in the GET request");
    app.get("/users?timeJoinedOrder=asc")
        .await
        .assert_error(400, "timeJoinedOrder can be either ASC OR DESC");
    app.get("/users?includeRecipeIds=emailpassword,nonsense")
        .await
        .assert_error(400, "Unknown recipe ID: nonsense");
    app.get("/users?paginationToken=%25%25")
        .await
        .assert_error(400, "invalid pagination token");
    app.get("/users?paginationToken=bm9zZW1pY29sb24%3D")
        .await
        .assert_error(400, "invalid pagination token");

    let only_ep = app
        .get("/users?includeRecipeIds=EmailPassword")
        .await
        .json();
    assert_eq!(only_ep["users"].as_array().unwrap().len(), 2);
    let none = app.get("/users?includeRecipeIds=thirdparty").await.json();
    assert_eq!(none, json!({ "status": "OK", "users": [] }));
    let empty_filter = app.get("/users?includeRecipeIds=").await.json();
    assert_eq!(
        empty_filter["users"].as_array().unwrap().len(),
        2,
        "an empty list is no filter"
    );
});

on_both_backends!(search_by_email_prefix_and_domain, |backend| {
    let app = TestApp::spawn(backend).await;
    for email in [
        "john@gmail.com",
        "johnny@work.org",
        "jane@gmail.com",
        "bob@example.com",
    ] {
        app.sign_up(email, "pw").await;
    }
    let emails = |reply: Value| -> Vec<String> {
        let mut emails: Vec<String> = reply["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|user| user["emails"][0].as_str().unwrap().to_string())
            .collect();
        emails.sort();
        emails
    };
    assert_eq!(
        emails(app.get("/users?email=JOHN").await.json()),
        ["john@gmail.com", "johnny@work.org"]
    );
    assert_eq!(
        emails(app.get("/users?email=gmail").await.json()),
        ["jane@gmail.com", "john@gmail.com"]
    );
    assert_eq!(
        emails(app.get("/users?email=bob;work").await.json()),
        ["bob@example.com", "johnny@work.org"]
    );
    assert_eq!(
        emails(app.get("/users?email=%25").await.json()),
        Vec::<String>::new(),
        "no wildcards"
    );
    let searched = app.get("/users?email=j&limit=1").await.json();
    assert_eq!(
        searched["users"].as_array().unwrap().len(),
        3,
        "a search is not paginated"
    );
    assert!(searched.get("nextPaginationToken").is_none());
    assert_eq!(
        app.get("/users?phone=%2B1").await.json(),
        json!({ "status": "OK", "users": [] })
    );
    assert_eq!(
        app.get("/users?email=john&provider=google").await.json(),
        json!({ "status": "OK", "users": [] })
    );
    assert_eq!(
        app.get("/user/search/tags").await.json(),
        json!({ "status": "OK", "tags": ["email", "phone", "provider"] })
    );
});

on_both_backends!(counts, |backend| {
    let app = TestApp::spawn(backend).await;
    let db = app.db().await;
    gatehouse::with_pool!(&db, pool => {
        sqlx::query("INSERT INTO tenants (app_id, tenant_id, created_at_time) VALUES ('public', 't1', 1)").execute(pool).await.unwrap();
    });
    sign_up_many(&app, "count", 3).await;
    app.post(
        "/t1/recipe/signup",
        &json!({ "email": "t1@example.com", "password": "pw" }),
    )
    .await
    .json();
    assert_eq!(
        app.get("/users/count").await.json(),
        json!({ "status": "OK", "count": 3 })
    );
    assert_eq!(app.get("/t1/users/count").await.json()["count"], 1);
    assert_eq!(
        app.get("/users/count?includeAllTenants=true").await.json()["count"],
        4
    );
    assert_eq!(
        app.get("/users/count?includeRecipeIds=emailpassword")
            .await
            .json()["count"],
        3
    );
    assert_eq!(
        app.get("/users/count?includeRecipeIds=passwordless")
            .await
            .json()["count"],
        0
    );
    app.get("/t1/users/count?includeAllTenants=true")
        .await
        .assert_error(403, "Only public tenantId can call this app specific API");
    app.get("/users/count?includeRecipeIds=x")
        .await
        .assert_error(400, "Unknown recipe ID: x");
});

on_both_backends!(
    removing_a_user_removes_everything_it_owns_and_nothing_else,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let gone = app.sign_up("gone@example.com", "pw").await;
        let kept = app.sign_up("kept@example.com", "pw").await;
        app.put(
            "/recipe/role",
            &json!({ "role": "admin", "permissions": ["read"] }),
        )
        .await
        .json();
        for user in [&gone, &kept] {
            let id = user["id"].as_str().unwrap();
            let email = user["emails"][0].as_str().unwrap();
            app.put(
                "/recipe/user/metadata",
                &json!({ "userId": id, "metadataUpdate": { "k": 1 } }),
            )
            .await
            .json();
            app.put(
                "/recipe/user/role",
                &json!({ "userId": id, "role": "admin" }),
            )
            .await
            .json();
            let token = app
                .post(
                    "/recipe/user/email/verify/token",
                    &json!({ "userId": id, "email": email }),
                )
                .await
                .json()["token"]
                .clone();
            app.post(
                "/recipe/user/email/verify",
                &json!({ "method": "token", "token": token }),
            )
            .await
            .json();
            app.post(
                "/recipe/user/email/verify/token",
                &json!({ "userId": id, "email": "other@example.com" }),
            )
            .await
            .json();
            app.post(
                "/recipe/user/password/reset/token",
                &json!({ "userId": id, "email": email }),
            )
            .await
            .json();
        }
        let tables = [
            "users",
            "user_tenants",
            "emailpassword_users",
            "emailpassword_reset_tokens",
            "user_metadata",
            "user_roles",
            "emailverification_verified_emails",
            "emailverification_tokens",
            "user_last_active",
        ];
        for table in tables {
            assert_eq!(app.count_rows(table).await, 2, "{table} before");
        }

        let removed = app
            .post(
                "/user/remove",
                &json!({ "userId": gone["id"], "removeAllLinkedAccounts": true }),
            )
            .await
            .json();
        assert_eq!(removed, json!({ "status": "OK" }));
        for table in tables {
            assert_eq!(
                app.count_rows(table).await,
                1,
                "{table} keeps only the other user's row"
            );
        }
        assert_eq!(
            app.get(&format!("/user/id?userId={}", gone["id"].as_str().unwrap()))
                .await
                .json()["status"],
            "UNKNOWN_USER_ID_ERROR"
        );
        let signed_in = app
            .post(
                "/recipe/signin",
                &json!({ "email": "gone@example.com", "password": "pw" }),
            )
            .await
            .json();
        assert_eq!(signed_in["status"], "WRONG_CREDENTIALS_ERROR");
        let kept_now = app
            .get(&format!("/user/id?userId={}", kept["id"].as_str().unwrap()))
            .await
            .json();
        assert_eq!(kept_now["user"]["loginMethods"][0]["verified"], true);
        assert_eq!(
            app.get("/recipe/roles").await.json()["roles"],
            json!(["admin"]),
            "the role itself stays"
        );

        assert_eq!(
            app.get("/users/count").await.json()["count"],
            1,
            "the count follows deletions"
        );
        assert_eq!(
            app.get("/users/count?includeAllTenants=true").await.json()["count"],
            1
        );
        // The email is free again; unknown users are fine.
        app.sign_up("gone@example.com", "pw").await;
        assert_eq!(
            app.post("/user/remove", &json!({ "userId": "nobody" }))
                .await
                .json(),
            json!({ "status": "OK" })
        );
        app.post(
            "/user/remove",
            &json!({ "userId": "x", "removeAllLinkedAccounts": "yes" }),
        )
        .await
        .assert_error(
            400,
            "Field name 'removeAllLinkedAccounts' is invalid in JSON input",
        );
    }
);

on_both_backends!(users_by_account_info, |backend| {
    let app = TestApp::spawn(backend).await;
    let user = app.sign_up("info@example.com", "pw").await;
    app.sign_up("other@example.com", "pw").await;
    let found = app
        .get("/users/by-accountinfo?email=INFO%40example.com&doUnionOfAccountInfo=false")
        .await
        .json();
    assert_eq!(found, json!({ "status": "OK", "users": [user] }));
    let union = app.get("/users/by-accountinfo?email=info%40example.com&phoneNumber=%2B1555&doUnionOfAccountInfo=true").await.json();
    assert_eq!(union["users"].as_array().unwrap().len(), 1);
    let both = app.get("/users/by-accountinfo?email=info%40example.com&phoneNumber=%2B1555&doUnionOfAccountInfo=false").await.json();
    assert_eq!(both["users"], json!([]), "no login method has both");
    assert_eq!(
        app.get("/users/by-accountinfo?doUnionOfAccountInfo=true")
            .await
            .json()["users"],
        json!([])
    );
    app.get("/users/by-accountinfo?email=a%40b.c")
        .await
        .assert_error(
            400,
            "Field name 'doUnionOfAccountInfo' is missing in GET request",
        );
    app.get("/users/by-accountinfo?email=a%40b.c&doUnionOfAccountInfo=TRUE")
        .await
        .assert_error(
            400,
            "'doUnionOfAccountInfo' should be either 'true' or 'false'",
        );
    app.get("/users/by-accountinfo?thirdPartyId=google&doUnionOfAccountInfo=true").await.assert_error(
        400,
        "If 'thirdPartyId' is provided, 'thirdPartyUserId' must also be provided, and vice versa",
    );
});

on_both_backends!(active_users, |backend| {
    let app = TestApp::spawn(backend).await;
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    sign_up_many(&app, "active", 2).await;
    assert_eq!(
        app.get(&format!("/users/count/active?since={start}"))
            .await
            .json(),
        json!({ "status": "OK", "count": 2 })
    );
    assert_eq!(
        app.get(&format!("/users/count/active?since={}", start + 3_600_000))
            .await
            .json()["count"],
        0
    );
    app.get("/users/count/active")
        .await
        .assert_error(400, "Field name 'since' is missing in GET request");
    app.get("/users/count/active?since=soon")
        .await
        .assert_error(400, "Field name 'since' must be a long in the GET request");
    app.get("/users/count/active?since=-1")
        .await
        .assert_error(400, "'since' query parameter must be >= 0");
});

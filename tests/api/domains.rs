//! Connection-URI domains: namespaces of apps chosen by the request's `Host`.

use std::time::Duration;

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::{send, Reply, TestApp};
use crate::on_both_backends;

const DOMAIN: &str = "example.com";

/// A request to `app` as if sent to `host`.
async fn at_host(
    app: &TestApp,
    host: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let request = app.request(method, path).insert_header(("host", host));
    send(request, body.map(|body| body.to_string())).await
}

async fn create_domain(app: &TestApp, body: Value) -> Value {
    app.put("/recipe/multitenancy/connectionuridomain/v2", &body)
        .await
        .json()
}

on_both_backends!(
    a_domain_is_created_listed_and_gets_its_hosts_requests,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let created = create_domain(&app, json!({ "connectionUriDomain": " Example.COM:8080 ", "firstFactors": ["emailpassword"] })).await;
        assert_eq!(created, json!({ "status": "OK", "createdNew": true }));
        let again = create_domain(&app, json!({ "connectionUriDomain": DOMAIN })).await;
        assert_eq!(again, json!({ "status": "OK", "createdNew": false }));
        let listed = app
            .get("/recipe/multitenancy/connectionuridomain/list/v2")
            .await
            .json();
        let summary: Vec<(Value, Vec<Value>)> = listed["connectionUriDomains"]
            .as_array()
            .unwrap()
            .iter()
            .map(|domain| {
                let apps = domain["apps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["appId"].clone())
                    .collect();
                (domain["connectionUriDomain"].clone(), apps)
            })
            .collect();
        assert_eq!(
            summary,
            [
                (json!(""), vec![json!("public")]),
                (json!(DOMAIN), vec![json!("public")])
            ]
        );
        assert_eq!(
            listed["connectionUriDomains"][1]["apps"][0]["tenants"][0]["firstFactors"],
            json!(["emailpassword"])
        );

        // The same email signs up in the domain and in the default one: two users, each visible
        // only in its own domain (the port of the Host does not matter).
        let body = json!({ "email": "a@example.com", "password": "password123" });
        let in_domain = at_host(
            &app,
            "EXAMPLE.com:3567",
            Method::POST,
            "/recipe/signup",
            Some(body.clone()),
        )
        .await
        .json();
        assert_eq!(in_domain["status"], "OK");
        let in_default = app.post("/recipe/signup", &body).await.json();
        assert_eq!(in_default["status"], "OK");
        assert_ne!(in_domain["user"]["id"], in_default["user"]["id"]);
        let id = in_domain["user"]["id"].as_str().unwrap();
        let from_default = app.get(&format!("/user/id?userId={id}")).await.json();
        assert_eq!(from_default["status"], "UNKNOWN_USER_ID_ERROR");
        let from_domain = at_host(
            &app,
            DOMAIN,
            Method::GET,
            &format!("/user/id?userId={id}"),
            None,
        )
        .await
        .json();
        assert_eq!(from_domain["status"], "OK");
        // A host that is no domain goes to the default one.
        let elsewhere = at_host(
            &app,
            "other.example.com",
            Method::GET,
            &format!("/user/id?userId={id}"),
            None,
        )
        .await
        .json();
        assert_eq!(elsewhere["status"], "UNKNOWN_USER_ID_ERROR");
    }
);

on_both_backends!(apps_of_a_domain_are_its_own, |backend| {
    let app = TestApp::spawn(backend).await;
    create_domain(&app, json!({ "connectionUriDomain": DOMAIN })).await;
    let created = at_host(
        &app,
        DOMAIN,
        Method::PUT,
        "/recipe/multitenancy/app/v2",
        Some(json!({ "appId": "a1" })),
    )
    .await
    .json();
    assert_eq!(created, json!({ "status": "OK", "createdNew": true }));
    let apps = |reply: Value| -> Vec<Value> {
        reply["apps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["appId"].clone())
            .collect()
    };
    let in_domain = at_host(
        &app,
        DOMAIN,
        Method::GET,
        "/recipe/multitenancy/app/list/v2",
        None,
    )
    .await
    .json();
    assert_eq!(apps(in_domain), [json!("a1"), json!("public")]);
    let in_default = app.get("/recipe/multitenancy/app/list/v2").await.json();
    assert_eq!(apps(in_default), [json!("public")]);

    // a1 exists only in the domain.
    let a1 = at_host(
        &app,
        DOMAIN,
        Method::GET,
        "/appid-a1/recipe/multitenancy/tenant/v2",
        None,
    )
    .await
    .json();
    assert_eq!(a1["status"], "OK");
    app.get("/appid-a1/recipe/multitenancy/tenant/list/v2")
        .await
        .assert_error(400, "AppId or tenantId not found => Tenant with the following connectionURIDomain, appId and tenantId combination not found: (, a1, public)");
    at_host(&app, DOMAIN, Method::GET, "/appid-a1/nope/recipe/multitenancy/tenant/list/v2", None)
        .await
        .assert_error(400, "AppId or tenantId not found => Tenant with the following connectionURIDomain, appId and tenantId combination not found: (example.com, a1, nope)");

    // Settings pass from the domain to its apps.
    let set = create_domain(
        &app,
        json!({ "connectionUriDomain": DOMAIN, "coreConfig": { "access_token_validity": 300 } }),
    )
    .await;
    assert_eq!(set["status"], "OK");
    let session = at_host(
        &app,
        DOMAIN,
        Method::POST,
        "/appid-a1/recipe/session",
        Some(json!({ "userId": "u1", "userDataInJWT": {}, "userDataInDatabase": {}, "enableAntiCsrf": false })),
    )
    .await
    .json();
    let token = &session["accessToken"];
    assert_eq!(
        token["expiry"].as_i64().unwrap() - token["createdTime"].as_i64().unwrap(),
        300_000
    );

    // The domain goes once its other apps are gone.
    async fn remove(app: &TestApp) -> Reply {
        app.post(
            "/recipe/multitenancy/connectionuridomain/remove",
            &json!({ "connectionUriDomain": DOMAIN }),
        )
        .await
    }
    remove(&app).await.assert_error(
        403,
        "Please delete all apps except the public appID for this connectionUriDomain before calling the delete API.",
    );
    let removed_app = at_host(
        &app,
        DOMAIN,
        Method::POST,
        "/recipe/multitenancy/app/remove",
        Some(json!({ "appId": "a1" })),
    )
    .await
    .json();
    assert_eq!(removed_app, json!({ "status": "OK", "didExist": true }));
    assert_eq!(
        remove(&app).await.json(),
        json!({ "status": "OK", "didExist": true })
    );
    assert_eq!(
        remove(&app).await.json(),
        json!({ "status": "OK", "didExist": false })
    );
    // Its host is an ordinary host again, and its users are gone with it.
    let listed = app
        .get("/recipe/multitenancy/connectionuridomain/list/v2")
        .await
        .json();
    assert_eq!(listed["connectionUriDomains"].as_array().unwrap().len(), 1);
    assert_eq!(app.count_rows("apps").await, 1);
});

on_both_backends!(domain_input_and_permissions_follow_upstream, |backend| {
    let app = TestApp::spawn(backend).await;
    for (body, message) in [
        (
            json!({ "connectionUriDomain": " " }),
            "connectionUriDomain should not be an empty String",
        ),
        (
            json!({ "connectionUriDomain": "exa mple.com" }),
            "connectionUriDomain is invalid",
        ),
        (
            json!({ "connectionUriDomain": "example.com/path" }),
            "connectionUriDomain is invalid",
        ),
        (
            json!({ "connectionUriDomain": 5 }),
            "Field name 'connectionUriDomain' is invalid in JSON input",
        ),
    ] {
        app.put("/recipe/multitenancy/connectionuridomain/v2", &body)
            .await
            .assert_error(400, message);
    }
    // The default domain's base config is the instance's.
    app.put(
        "/recipe/multitenancy/connectionuridomain/v2",
        &json!({ "coreConfig": { "access_token_validity": 5 } }),
    )
    .await
    .assert_error(400, "Cannot modify base config");
    assert_eq!(app.count_rows("apps").await, 1, "nothing was written");

    app.put("/recipe/multitenancy/app/v2", &json!({ "appId": "a1" }))
        .await
        .json();
    app.put(
        "/appid-a1/recipe/multitenancy/connectionuridomain/v2",
        &json!({ "connectionUriDomain": DOMAIN }),
    )
    .await
    .assert_error(403, "You must use the default or same connectionUriDomain to create/update a connectionUriDomain");
    app.get("/appid-a1/recipe/multitenancy/connectionuridomain/list/v2")
        .await
        .assert_error(403, "Only the public tenantId, public appId and default connectionUriDomain is allowed to list all connectionUriDomains and appIds associated with this core");
    app.post(
        "/appid-a1/recipe/multitenancy/connectionuridomain/remove",
        &json!({ "connectionUriDomain": DOMAIN }),
    )
    .await
    .assert_error(403, "Only the public tenantId, public appId and default connectionUriDomain is allowed to delete a connectionUriDomain");
    // A domain changes itself through its own host.
    create_domain(&app, json!({ "connectionUriDomain": DOMAIN })).await;
    let own = at_host(
        &app,
        DOMAIN,
        Method::PUT,
        "/recipe/multitenancy/connectionuridomain/v2",
        Some(json!({ "connectionUriDomain": DOMAIN, "firstFactors": ["thirdparty"] })),
    )
    .await
    .json();
    assert_eq!(own, json!({ "status": "OK", "createdNew": false }));
    // The v1 list shows the switches.
    let v1 = app
        .at("5.0")
        .get("/recipe/multitenancy/connectionuridomain/list")
        .await
        .json();
    assert_eq!(
        v1["connectionUriDomains"][1]["apps"][0]["tenants"][0]["emailPassword"],
        json!({ "enabled": true })
    );
});

on_both_backends!(
    another_instance_routes_a_new_domain_within_a_second,
    |backend| {
        let app = TestApp::spawn(backend).await;
        let sibling = app.sibling().await;
        let body = json!({ "email": "a@example.com", "password": "password123" });
        assert_eq!(
            at_host(
                &sibling,
                DOMAIN,
                Method::POST,
                "/recipe/signup",
                Some(body.clone())
            )
            .await
            .json()["status"],
            "OK"
        );
        create_domain(&app, json!({ "connectionUriDomain": DOMAIN })).await;
        actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
        // The same email is free in the new domain.
        assert_eq!(
            at_host(&sibling, DOMAIN, Method::POST, "/recipe/signup", Some(body))
                .await
                .json()["status"],
            "OK"
        );
    }
);

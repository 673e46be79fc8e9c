//! The conventions every endpoint shares: prefixes, API keys, CDI versions, errors.

use actix_web::http::Method;
use serde_json::json;

use crate::helpers::{send, TestApp, API_KEY};
use crate::on_both_backends;
use gatehouse::with_pool;

on_both_backends!(hello_answers_without_key_or_version, |backend| {
    let app = TestApp::spawn_with(backend, |s| {
        s.api_keys = Some(gatehouse::config::Secret::new(API_KEY))
    })
    .await;
    for path in ["/hello", "/", "/HELLO/", "/t1/hello", "/appid-a1/t1/hello"] {
        let reply = send(app.bare(Method::GET, path), None).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, "Hello"),
            "{path}"
        );
        assert!(reply.content_type.starts_with("text/plain"), "{path}");
    }
    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let reply = send(app.bare(method.clone(), "/hello"), None).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, "Hello"),
            "{method}"
        );
    }
});

on_both_backends!(apiversion_lists_every_served_version, |backend| {
    let app = TestApp::spawn(backend).await;
    let versions = app.get("/apiversion").await.json();
    assert_eq!(
        versions,
        json!({ "versions": ["3.0", "3.1", "4.0", "5.0", "5.1", "5.2", "5.3", "5.4"] })
    );
    // The SDKs ask without a cdi-version header and with their domains as parameters.
    let reply = app
        .get("/apiversion?apiDomain=http%3A%2F%2Flocalhost&websiteDomain=x")
        .await;
    assert_eq!(reply.json(), versions);
});

on_both_backends!(api_key_is_required_when_configured, |backend| {
    let second = "second-key-abcdefghij-0123";
    let keys = format!("{API_KEY}, {second}");
    let app = TestApp::spawn_with(backend, |s| {
        s.api_keys = Some(gatehouse::config::Secret::new(keys))
    })
    .await;

    send(app.bare(Method::GET, "/apiversion"), None)
        .await
        .assert_error(401, "Invalid API key");
    let wrong = app
        .bare(Method::GET, "/apiversion")
        .insert_header(("api-key", "x".repeat(23)));
    send(wrong, None).await.assert_error(401, "Invalid API key");
    let prefix_only = app
        .bare(Method::GET, "/telemetry")
        .insert_header(("api-key", &API_KEY[..10]));
    send(prefix_only, None)
        .await
        .assert_error(401, "Invalid API key");

    for (header, value) in [
        ("api-key", API_KEY.to_string()),
        ("api-key", second.to_string()),
        ("authorization", format!("Bearer {API_KEY}")),
        ("authorization", second.to_string()),
    ] {
        let request = app
            .bare(Method::GET, "/apiversion")
            .insert_header((header, value.as_str()));
        assert_eq!(send(request, None).await.status, 200, "{header}: {value}");
    }
});

on_both_backends!(api_is_open_without_keys, |backend| {
    let app = TestApp::spawn(backend).await;
    assert_eq!(
        send(app.bare(Method::GET, "/apiversion"), None)
            .await
            .status,
        200
    );
    let any_key = app
        .bare(Method::GET, "/telemetry")
        .insert_header(("api-key", "anything"));
    assert_eq!(send(any_key, None).await.json(), json!({ "exists": false }));
});

on_both_backends!(cdi_version_is_checked, |backend| {
    let app = TestApp::spawn(backend).await;
    let with_version = |version: &str| {
        app.request(Method::GET, "/telemetry")
            .insert_header(("cdi-version", version.to_string()))
    };
    for version in ["3.0", "3.1", "4.0", "5.0", "5.1", "5.2", "5.3", "5.4"] {
        assert_eq!(
            send(with_version(version), None).await.status,
            200,
            "{version}"
        );
    }
    assert_eq!(
        app.get("/telemetry").await.status,
        200,
        "no header means the newest version"
    );
    for version in ["2.21", "2.9", "3.2", "4.1", "5", "5.4.0", "5.5", "9.0"] {
        send(with_version(version), None)
            .await
            .assert_error(400, &format!("cdi-version {version} not supported"));
    }
    send(with_version("five"), None)
        .await
        .assert_error(400, "cdi-version header is invalid");
    // /apiversion and /hello answer any version up to ours, but nothing newer.
    let apiversion = app
        .request(Method::GET, "/apiversion")
        .insert_header(("cdi-version", "2.9"));
    assert_eq!(send(apiversion, None).await.status, 200);
    let hello = app
        .bare(Method::GET, "/hello")
        .insert_header(("cdi-version", "6.0"));
    send(hello, None)
        .await
        .assert_error(400, "cdi-version 6.0 not supported");
});

on_both_backends!(api_key_is_checked_before_the_version, |backend| {
    let app = TestApp::spawn_with(backend, |s| {
        s.api_keys = Some(gatehouse::config::Secret::new(API_KEY))
    })
    .await;
    let request = app
        .bare(Method::GET, "/telemetry")
        .insert_header(("cdi-version", "1.0"));
    send(request, None)
        .await
        .assert_error(401, "Invalid API key");
});

on_both_backends!(unknown_paths_and_methods, |backend| {
    let app = TestApp::spawn_with(backend, |s| {
        s.api_keys = Some(gatehouse::config::Secret::new(API_KEY))
    })
    .await;
    for path in [
        "/recipe/nothing",
        "/t1/t2/apiversion",
        "/t_1/apiversion",
        "/recipe/recipe/telemetry",
        "/nope",
    ] {
        send(app.bare(Method::GET, path), None)
            .await
            .assert_error(404, "Not found");
    }
    for (method, path) in [
        (Method::PATCH, "/hello"),
        (Method::POST, "/apiversion"),
        (Method::DELETE, "/telemetry"),
    ] {
        let request = app.request(method.clone(), path);
        send(request, None)
            .await
            .assert_error(405, "Method not supported");
    }
    // The method is checked after the key, as upstream does.
    send(app.bare(Method::POST, "/apiversion"), None)
        .await
        .assert_error(401, "Invalid API key");
});

on_both_backends!(tenant_prefixes, |backend| {
    let app = TestApp::spawn(backend).await;
    for path in [
        "/telemetry/",
        "/public/telemetry",
        "/appid-public/telemetry",
        "/appid-public/public/telemetry",
        "/TELEMETRY",
    ] {
        assert_eq!(
            app.get(path).await.json(),
            json!({ "exists": false }),
            "{path}"
        );
    }
    // An app-wide API refuses any tenant but the public one.
    app.get("/t1/telemetry")
        .await
        .assert_error(403, "Only public tenantId can call this app specific API");
    // An app that does not exist.
    app.get("/appid-a1/telemetry").await.assert_error(
        400,
        "AppId or tenantId not found => Tenant with the following connectionURIDomain, appId and tenantId combination not found: (, a1, public)",
    );
    // Once the app exists, the same path answers.
    let db = app.db().await;
    with_pool!(&db, pool => {
        sqlx::query("INSERT INTO apps (app_id, created_at_time) VALUES ('a1', 1)").execute(pool).await.unwrap();
        sqlx::query("INSERT INTO tenants (app_id, tenant_id, created_at_time) VALUES ('a1', 'public', 1)").execute(pool).await.unwrap();
    });
    assert_eq!(
        app.get("/appid-a1/telemetry").await.json(),
        json!({ "exists": false })
    );
    assert_eq!(
        app.get("/APPID-A1/public/telemetry/").await.json(),
        json!({ "exists": false })
    );
});

on_both_backends!(base_path_prefixes_every_api, |backend| {
    let app = TestApp::spawn_with(backend, |s| s.base_path = "/auth/core".into()).await;
    assert_eq!(
        app.get("/auth/core/apiversion").await.json()["versions"][7],
        "5.4"
    );
    assert_eq!(app.get("/auth/core/hello").await.body, "Hello");
    app.get("/apiversion").await.assert_error(404, "Not found");
    app.get("/auth/coreapiversion")
        .await
        .assert_error(404, "Not found");
});

on_both_backends!(internal_errors_reveal_nothing, |backend| {
    let app = TestApp::spawn(backend).await;
    // Breaking the tenants table makes every tenant look-up fail inside the server.
    let db = app.db().await;
    with_pool!(&db, pool => {
        sqlx::query("ALTER TABLE tenants RENAME TO tenants_moved").execute(pool).await.unwrap();
    });
    let reply = app.get("/appid-a1/telemetry").await;
    reply.assert_error(500, "Internal Error");
});

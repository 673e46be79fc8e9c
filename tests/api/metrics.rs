//! GET /metrics: the Prometheus text exposition, behind the API key, with counters that move.

use actix_web::http::Method;
use serde_json::json;

use crate::helpers::{send, TestApp, API_KEY};
use crate::on_both_backends;

/// The value of the sample named exactly `series` (name and labels).
pub fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
        .parse()
        .unwrap()
}

on_both_backends!(metrics_are_served_behind_the_key_and_move, |backend| {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.api_keys = Some(gatehouse::config::Secret::new(API_KEY))
    })
    .await;
    send(app.bare(Method::GET, "/metrics"), None)
        .await
        .assert_error(401, "Invalid API key");
    let scrape = || async {
        let reply = send(app.request(Method::GET, "/metrics"), None).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        assert!(
            reply
                .content_type
                .starts_with("application/openmetrics-text"),
            "{reply:?}"
        );
        reply.body
    };
    let before = scrape().await;
    assert_eq!(
        sample(
            &before,
            &format!(
                "gatehouse_build_info{{version=\"{}\"}}",
                env!("CARGO_PKG_VERSION")
            )
        ),
        1.0
    );
    assert_eq!(sample(&before, "gatehouse_sessions_created_total"), 0.0);
    assert!(sample(&before, "gatehouse_db_pool_max_connections") >= 1.0);

    app.sign_up("metrics@example.com", "password123").await;
    let create = json!({ "userId": "u1", "enableAntiCsrf": false, "userDataInJWT": {}, "userDataInDatabase": {} });
    let created = app.post("/recipe/session", &create).await.json();
    let refresh = |token: &serde_json::Value| json!({ "refreshToken": token, "enableAntiCsrf": false, "useDynamicSigningKey": true });
    let first = created["refreshToken"]["token"].clone();
    let refreshed = app
        .post("/recipe/session/refresh", &refresh(&first))
        .await
        .json();
    assert_eq!(refreshed["status"], "OK");
    // The child token is used, then the parent again: theft.
    let child = refreshed["refreshToken"]["token"].clone();
    assert_eq!(
        app.post("/recipe/session/refresh", &refresh(&child))
            .await
            .json()["status"],
        "OK"
    );
    let stolen = app
        .post("/recipe/session/refresh", &refresh(&first))
        .await
        .json();
    assert_eq!(stolen["status"], "TOKEN_THEFT_DETECTED", "{stolen}");
    let revoked = app
        .post("/recipe/session/remove", &json!({ "userId": "u1" }))
        .await
        .json();
    assert_eq!(
        revoked["sessionHandlesRevoked"].as_array().unwrap().len(),
        1
    );

    let after = scrape().await;
    assert_eq!(sample(&after, "gatehouse_sessions_created_total"), 1.0);
    assert_eq!(sample(&after, "gatehouse_sessions_refreshed_total"), 2.0);
    assert_eq!(sample(&after, "gatehouse_token_thefts_detected_total"), 1.0);
    assert_eq!(sample(&after, "gatehouse_sessions_revoked_total"), 1.0);
    assert!(sample(&after, "gatehouse_signing_keys_created_total") >= 1.0);
    assert_eq!(
        sample(
            &after,
            r#"gatehouse_http_requests_total{method="POST",route="/recipe/session/refresh",status="200"}"#
        ),
        3.0
    );
    assert_eq!(
        sample(
            &after,
            r#"gatehouse_http_request_duration_seconds_count{method="POST",route="/recipe/signup"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &after,
            r#"gatehouse_http_requests_total{method="GET",route="/metrics",status="401"}"#
        ),
        1.0
    );
    // The sign-up's hash has finished; the scrape itself is the one request in flight.
    assert_eq!(sample(&after, "gatehouse_password_hashing_busy"), 0.0);
    assert_eq!(sample(&after, "gatehouse_password_hashing_queued"), 0.0);
    assert_eq!(sample(&after, "gatehouse_http_requests_in_flight"), 1.0);
    // How many connections are open at this moment depends on timing (idle ones close);
    // what always holds is that the two states add up to at most the pool's size.
    let idle = sample(&after, r#"gatehouse_db_pool_connections{state="idle"}"#);
    let in_use = sample(&after, r#"gatehouse_db_pool_connections{state="in_use"}"#);
    let max = sample(&after, "gatehouse_db_pool_max_connections");
    assert!(max >= 1.0, "{max}");
    assert!(
        idle >= 0.0 && in_use >= 0.0 && idle + in_use <= max,
        "{idle} {in_use} {max}"
    );

    // Unknown paths share one label value rather than one series per path.
    send(app.request(Method::GET, "/no/such/api/123"), None).await;
    let last = scrape().await;
    assert_eq!(
        sample(
            &last,
            r#"gatehouse_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        1.0
    );
    assert!(!last.contains("/no/such"), "paths never become labels");
});

//! Password hashing as callers feel it: no user enumeration by timing, and a burst of
//! sign-ins does not hold up other requests.

use std::time::Duration;

use actix_web::http::Method;
use serde_json::json;

use crate::helpers::{send, TestApp};
use crate::metrics::sample;
use crate::on_both_backends;

/// Password checks started so far, from the server's own counter.
async fn password_checks(app: &TestApp) -> f64 {
    let metrics = send(app.request(Method::GET, "/metrics"), None).await;
    sample(&metrics.body, "gatehouse_password_hashing_jobs_total")
}

// Timing is measured by the benchmark harness, not asserted here: what is checked is that an
// unknown email costs one password check, exactly as a wrong password does.
on_both_backends!(unknown_emails_cost_a_password_check, |backend| {
    let app = TestApp::spawn(backend).await;
    app.sign_up("known@example.com", "right").await;
    // The first unknown email also makes the decoy hash, once per process.
    let warm_up = json!({ "email": "nobody@example.com", "password": "x" });
    app.post("/recipe/signin", &warm_up).await.json();
    for email in ["known@example.com", "unknown@example.com"] {
        let before = password_checks(&app).await;
        let reply = app
            .post(
                "/recipe/signin",
                &json!({ "email": email, "password": "wrong" }),
            )
            .await
            .json();
        assert_eq!(reply["status"], "WRONG_CREDENTIALS_ERROR");
        assert_eq!(password_checks(&app).await - before, 1.0, "{email}");
    }
});

on_both_backends!(a_burst_of_sign_ins_does_not_hold_up_look_ups, |backend| {
    let app = TestApp::spawn_with(backend, |s| {
        s.password_hashing_alg = "ARGON2".into();
        s.argon2_memory_kb = 16 * 1024;
        s.argon2_iterations = 2;
        s.argon2_hashing_pool_size = 1;
    })
    .await;
    let user = app.sign_up("burst@example.com", "pw").await;
    let look_up = format!("/user/id?userId={}", user["id"].as_str().unwrap());

    let finished = std::cell::RefCell::new(Vec::new());
    let sign_ins = (0..12).map(|i| {
        let app = &app;
        let finished = &finished;
        async move {
            app.post(
                "/recipe/signin",
                &json!({ "email": "burst@example.com", "password": "pw" }),
            )
            .await
            .json();
            finished.borrow_mut().push(format!("sign-in {i}"));
        }
    });
    let look_ups = async {
        // Let the burst fill the hashing pool first.
        actix_web::rt::time::sleep(Duration::from_millis(30)).await;
        for _ in 0..3 {
            assert_eq!(app.get(&look_up).await.json()["status"], "OK");
        }
        finished.borrow_mut().push("look-ups".to_string());
    };
    futures_util::future::join(futures_util::future::join_all(sign_ins), look_ups).await;
    let order = finished.into_inner();
    let position = order.iter().position(|event| event == "look-ups").unwrap();
    assert!(
        position < 6,
        "look-ups waited behind the hashing queue: {order:?}"
    );
});

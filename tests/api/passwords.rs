//! Password hashing as callers feel it: no user enumeration by timing, and a burst of
//! sign-ins does not hold up other requests.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn median_sign_in(app: &TestApp, email: &str) -> Duration {
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let reply = app
            .post(
                "/recipe/signin",
                &json!({ "email": email, "password": "wrong" }),
            )
            .await
            .json();
        times.push(started.elapsed());
        assert_eq!(reply["status"], "WRONG_CREDENTIALS_ERROR");
    }
    times.sort();
    times[2]
}

on_both_backends!(unknown_emails_cost_what_wrong_passwords_cost, |backend| {
    // A deliberately slow hash, so that the hash dominates both answers.
    let app = TestApp::spawn_with(backend, |s| s.bcrypt_log_rounds = 10).await;
    app.sign_up("known@example.com", "right").await;
    let wrong_password = median_sign_in(&app, "known@example.com").await;
    let unknown_email = median_sign_in(&app, "unknown@example.com").await;
    let ratio = unknown_email.as_secs_f64() / wrong_password.as_secs_f64();
    assert!(
        ratio > 0.5 && ratio < 2.0,
        "unknown {unknown_email:?} vs wrong {wrong_password:?}"
    );
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

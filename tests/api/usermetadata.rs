//! UserMetadata: GET/PUT /recipe/user/metadata, POST /recipe/user/metadata/remove.

use actix_web::http::Method;
use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;

const PATH: &str = "/recipe/user/metadata";

on_both_backends!(metadata_is_merged_shallowly, |backend| {
    let app = TestApp::spawn(backend).await;
    let empty = app.get(&format!("{PATH}?userId=u1")).await.json();
    assert_eq!(empty, json!({ "status": "OK", "metadata": {} }));

    let first = json!({ "userId": "u1", "metadataUpdate": { "a": 1, "nested": { "x": 1, "y": 2 }, "drop": "me" } });
    let reply = app.put(PATH, &first).await.json();
    assert_eq!(
        reply,
        json!({ "status": "OK", "metadata": { "a": 1, "nested": { "x": 1, "y": 2 }, "drop": "me" } })
    );

    let second = json!({ "userId": "u1", "metadataUpdate": { "nested": { "x": 9 }, "drop": null, "b": [1, 2] } });
    let expected = json!({ "a": 1, "nested": { "x": 9 }, "b": [1, 2] });
    assert_eq!(
        app.put(PATH, &second).await.json(),
        json!({ "status": "OK", "metadata": expected })
    );
    assert_eq!(
        app.get(&format!("{PATH}?userId=u1")).await.json()["metadata"],
        expected
    );
    // Another user's metadata is its own.
    assert_eq!(
        app.get(&format!("{PATH}?userId=u2")).await.json()["metadata"],
        json!({})
    );

    let removed = app
        .post(&format!("{PATH}/remove"), &json!({ "userId": "u1" }))
        .await
        .json();
    assert_eq!(removed, json!({ "status": "OK" }));
    assert_eq!(
        app.get(&format!("{PATH}?userId=u1")).await.json()["metadata"],
        json!({})
    );
    // Removing what is not there is still OK.
    assert_eq!(
        app.post(&format!("{PATH}/remove"), &json!({ "userId": "u1" }))
            .await
            .json()["status"],
        "OK"
    );
});

on_both_backends!(concurrent_updates_lose_nothing, |backend| {
    let app = TestApp::spawn(backend).await;
    let updates = (0..20).map(|i| {
        let body = json!({ "userId": "racer", "metadataUpdate": { format!("key{i}"): i } });
        let app = &app;
        async move { app.put(PATH, &body).await.json() }
    });
    futures_util::future::join_all(updates).await;
    let metadata = app.get(&format!("{PATH}?userId=racer")).await.json()["metadata"].clone();
    assert_eq!(metadata.as_object().unwrap().len(), 20, "{metadata}");
});

on_both_backends!(bad_input_is_refused_and_writes_nothing, |backend| {
    let app = TestApp::spawn(backend).await;
    app.put(
        PATH,
        &json!({ "userId": "u1", "metadataUpdate": { "kept": true } }),
    )
    .await
    .json();

    app.send_raw(Method::PUT, PATH, "{not json")
        .await
        .assert_error(400, "Invalid Json Input");
    app.send_raw(Method::PUT, PATH, "[1]")
        .await
        .assert_error(400, "Invalid Json Input");
    app.send_raw(Method::PUT, PATH, "")
        .await
        .assert_error(400, "Invalid Json Input");
    app.put(PATH, &json!({ "metadataUpdate": {} }))
        .await
        .assert_error(400, "Field name 'userId' is invalid in JSON input");
    app.put(PATH, &json!({ "userId": 7, "metadataUpdate": {} }))
        .await
        .assert_error(400, "Field name 'userId' is invalid in JSON input");
    for update in [json!(null), json!("x"), json!([1]), json!(1)] {
        app.put(PATH, &json!({ "userId": "u1", "metadataUpdate": update }))
            .await
            .assert_error(400, "Field name 'metadataUpdate' is invalid in JSON input");
    }
    app.post(&format!("{PATH}/remove"), &json!({}))
        .await
        .assert_error(400, "Field name 'userId' is invalid in JSON input");
    app.get(PATH)
        .await
        .assert_error(400, "Field name 'userId' is missing in GET request");

    let metadata = app.get(&format!("{PATH}?userId=u1")).await.json()["metadata"].clone();
    assert_eq!(metadata, json!({ "kept": true }), "nothing was written");
});

on_both_backends!(metadata_is_app_wide, |backend| {
    let app = TestApp::spawn(backend).await;
    app.get(&format!("/t1{PATH}?userId=u1"))
        .await
        .assert_error(403, "Only public tenantId can call this app specific API");
    app.get(&format!("/appid-missing{PATH}?userId=u1")).await.assert_error(
        400,
        "AppId or tenantId not found => Tenant with the following connectionURIDomain, appId and tenantId combination not found: (, missing, public)",
    );
    assert_eq!(
        app.get(&format!("/public{PATH}?userId=u1")).await.status,
        200
    );
});

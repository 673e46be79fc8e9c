//! UserRoles: roles, permissions and users' roles.

use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(roles_and_permissions, |backend| {
    let app = TestApp::spawn(backend).await;
    let create = json!({ "role": " admin ", "permissions": ["read", " write"] });
    assert_eq!(
        app.put("/recipe/role", &create).await.json(),
        json!({ "status": "OK", "createdNewRole": true })
    );
    let more = json!({ "role": "admin", "permissions": ["delete"] });
    assert_eq!(
        app.put("/recipe/role", &more).await.json(),
        json!({ "status": "OK", "createdNewRole": false })
    );
    assert_eq!(
        app.put("/recipe/role", &json!({ "role": "viewer" }))
            .await
            .json()["createdNewRole"],
        true
    );

    assert_eq!(
        app.get("/recipe/roles").await.json(),
        json!({ "status": "OK", "roles": ["admin", "viewer"] })
    );
    let permissions = app.get("/recipe/role/permissions?role=admin").await.json();
    assert_eq!(
        permissions,
        json!({ "status": "OK", "permissions": ["delete", "read", "write"] })
    );
    assert_eq!(
        app.get("/recipe/permission/roles?permission=read")
            .await
            .json(),
        json!({ "status": "OK", "roles": ["admin"] })
    );
    assert_eq!(
        app.get("/recipe/permission/roles?permission=none")
            .await
            .json()["roles"],
        json!([])
    );

    let remove = json!({ "role": "admin", "permissions": ["read", "unknown"] });
    assert_eq!(
        app.post("/recipe/role/permissions/remove", &remove)
            .await
            .json(),
        json!({ "status": "OK" })
    );
    assert_eq!(
        app.get("/recipe/role/permissions?role=admin").await.json()["permissions"],
        json!(["delete", "write"])
    );
    app.post(
        "/recipe/role/permissions/remove",
        &json!({ "role": "admin" }),
    )
    .await
    .json();
    assert_eq!(
        app.get("/recipe/role/permissions?role=admin").await.json()["permissions"],
        json!([])
    );

    let unknown = json!({ "status": "UNKNOWN_ROLE_ERROR" });
    assert_eq!(
        app.get("/recipe/role/permissions?role=nope").await.json(),
        unknown
    );
    assert_eq!(
        app.post(
            "/recipe/role/permissions/remove",
            &json!({ "role": "nope" })
        )
        .await
        .json(),
        unknown
    );
    assert_eq!(
        app.post("/recipe/role/remove", &json!({ "role": "viewer" }))
            .await
            .json(),
        json!({ "status": "OK", "didRoleExist": true })
    );
    assert_eq!(
        app.post("/recipe/role/remove", &json!({ "role": "viewer" }))
            .await
            .json(),
        json!({ "status": "OK", "didRoleExist": false })
    );
});

on_both_backends!(users_hold_roles_per_tenant, |backend| {
    let app = TestApp::spawn(backend).await;
    let db = app.db().await;
    gatehouse::with_pool!(&db, pool => {
        sqlx::query("INSERT INTO tenants (app_id, tenant_id, created_at_time) VALUES ('public', 't1', 1)").execute(pool).await.unwrap();
    });
    app.put(
        "/recipe/role",
        &json!({ "role": "admin", "permissions": ["read"] }),
    )
    .await
    .json();
    let add = json!({ "userId": "u1", "role": "admin" });
    assert_eq!(
        app.put("/recipe/user/role", &add).await.json(),
        json!({ "status": "OK", "didUserAlreadyHaveRole": false })
    );
    assert_eq!(
        app.put("/recipe/user/role", &add).await.json(),
        json!({ "status": "OK", "didUserAlreadyHaveRole": true })
    );
    assert_eq!(
        app.get("/recipe/user/roles?userId=u1").await.json(),
        json!({ "status": "OK", "roles": ["admin"] })
    );
    assert_eq!(
        app.get("/t1/recipe/user/roles?userId=u1").await.json()["roles"],
        json!([]),
        "roles are per tenant"
    );
    assert_eq!(
        app.get("/recipe/role/users?role=admin").await.json(),
        json!({ "status": "OK", "users": ["u1"] })
    );

    let unknown = json!({ "status": "UNKNOWN_ROLE_ERROR" });
    assert_eq!(
        app.put(
            "/recipe/user/role",
            &json!({ "userId": "u1", "role": "nope" })
        )
        .await
        .json(),
        unknown
    );
    assert_eq!(
        app.post(
            "/recipe/user/role/remove",
            &json!({ "userId": "u1", "role": "nope" })
        )
        .await
        .json(),
        unknown
    );
    assert_eq!(
        app.get("/recipe/role/users?role=nope").await.json(),
        unknown
    );

    assert_eq!(
        app.post("/recipe/user/role/remove", &add).await.json(),
        json!({ "status": "OK", "didUserHaveRole": true })
    );
    assert_eq!(
        app.post("/recipe/user/role/remove", &add).await.json(),
        json!({ "status": "OK", "didUserHaveRole": false })
    );

    // Deleting a role takes it from every user in every tenant.
    app.put("/recipe/user/role", &add).await.json();
    app.put("/t1/recipe/user/role", &add).await.json();
    assert_eq!(
        app.post("/recipe/role/remove", &json!({ "role": "admin" }))
            .await
            .json()["didRoleExist"],
        true
    );
    assert_eq!(app.count_rows("user_roles").await, 0);
    assert_eq!(app.count_rows("role_permissions").await, 0);
    app.put("/recipe/role", &json!({ "role": "admin" }))
        .await
        .json();
    assert_eq!(
        app.get("/recipe/role/permissions?role=admin").await.json()["permissions"],
        json!([]),
        "a new role starts empty"
    );
});

on_both_backends!(bad_input_is_refused, |backend| {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (
            "/recipe/role",
            json!({ "role": "  " }),
            "Field name 'role' cannot be an empty String",
        ),
        (
            "/recipe/role",
            json!({ "role": "r", "permissions": ["ok", " "] }),
            "Field name 'permissions' cannot contain an empty string",
        ),
        (
            "/recipe/role",
            json!({ "role": "r", "permissions": "read" }),
            "Field name 'permissions' is invalid in JSON input",
        ),
        (
            "/recipe/role",
            json!({ "role": "r", "permissions": [1] }),
            "Field name 'permissions' is invalid in JSON input",
        ),
        (
            "/recipe/role",
            json!({ "role": "r".repeat(256) }),
            "Field name 'role' must be at most 255 characters",
        ),
        (
            "/recipe/user/role",
            json!({ "role": "r" }),
            "Field name 'userId' is invalid in JSON input",
        ),
    ];
    for (path, body, message) in cases {
        app.put(path, &body).await.assert_error(400, message);
    }
    app.get("/recipe/role/permissions?role=%20")
        .await
        .assert_error(400, "Field name 'role' cannot be an empty String");
    app.get("/recipe/permission/roles")
        .await
        .assert_error(400, "Field name 'permission' is missing in GET request");
    app.put("/t1/recipe/role", &json!({ "role": "r" }))
        .await
        .assert_error(403, "Only public tenantId can call this app specific API");
    assert_eq!(app.count_rows("roles").await, 0);
});

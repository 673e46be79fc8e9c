"use strict";
// Dashboard stage: supertokens-node's Dashboard recipe in email-password mode
// (Dashboard.init() without apiKey), served by an express app on an ephemeral
// port, with dashboard credentials made by the docs' curl commands.
//
// The tests run in order and share state: the dashboard user created first is
// the one that signs in, and the free-limit check (which fills the server up
// to 3 dashboard users) comes last, so every sign-in before it happens while
// fewer than 3 dashboard users exist. Only this file creates dashboard users;
// leftovers of an earlier run on the same database are removed first.
const test = require("node:test");
const assert = require("node:assert/strict");
const d = require("../../lib/dashboard");

const { SuperTokens, Session, EmailPassword, EmailVerification, UserMetadata, UserRoles } = d;

const T = d.tag();
// App users (EmailPassword) of this file; lower-case so the core's email
// normalisation leaves them unchanged.
const APP_PREFIX = `dashapp-${T}`;
const APP_PASSWORD = "app-Passw0rd";
const APP_NEW_PASSWORD = "app-NewPassw0rd";

// The dashboard user who signs in. It is created with a mixed-case, padded
// email; the core trims and lower-cases it.
const ADMIN_RAW_EMAIL = `  SDK-Dash-Admin-${T}@Example.COM `;
const ADMIN_EMAIL = ADMIN_RAW_EMAIL.trim().toLowerCase();
const ADMIN_PASSWORD = "dashboardPassw0rd1";
const ADMIN_NEW_PASSWORD = "dashboardPassw0rd2";

let app;
let client;
const admin = { userId: undefined, timeJoined: undefined, sessionId: undefined };
// App users arranged through the SDK's own functions.
const users = [];

test.before(async () => {
    app = await d.startDashboardApp();
    client = d.dashboardClient(app.baseUrl);
    await d.removeLeftoverDashboardUsers();
});

test.after(async () => {
    if (app) {
        await app.close();
    }
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rid = (id) => SuperTokens.convertToRecipeUserId(id);

// A session refused by the guard: the core's verify answer is not OK.
async function assertRefused(sessionId, what) {
    const res = await client.call("GET", "/auth/dashboard/api/users/count", { session: sessionId });
    d.assertUnauthorised(res, what);
}

test("the docs' create curl makes a dashboard user", async () => {
    assert.ok((await d.listDashboardUsers()).length < 3, "this scenario needs fewer than 3 dashboard users to start with");

    const res = await d.docsCurl("POST", { email: ADMIN_RAW_EMAIL, password: ADMIN_PASSWORD });
    assert.equal(res.status, 200, `create answered ${res.status}: ${res.text}`);
    assert.match(res.headers.get("content-type") || "", /^application\/json/);
    assert.equal(res.json.status, "OK", res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ["status", "user"]);
    const user = res.json.user;
    assert.deepEqual(Object.keys(user).sort(), ["email", "timeJoined", "userId"], "the user has exactly email, userId, timeJoined");
    assert.equal(user.email, ADMIN_EMAIL, "the email is trimmed and lower-cased");
    assert.match(user.userId, d.UUID_V4_RE);
    assert.ok(Number.isInteger(user.timeJoined), `timeJoined ${user.timeJoined} must be integer ms`);
    assert.ok(Math.abs(Date.now() - user.timeJoined) < 5 * 60 * 1000, "timeJoined is around now (ms)");
    admin.userId = user.userId;
    admin.timeJoined = user.timeJoined;

    const listed = await d.listDashboardUsers();
    assert.deepEqual(listed.find((u) => u.userId === admin.userId), user, "GET /recipe/dashboard/users lists the new user");
});

test("the docs' create curl reports bad input as statuses and creates nobody", async () => {
    const before = await d.listDashboardUsers();

    const dup = await d.docsCurl("POST", { email: ADMIN_EMAIL.toUpperCase(), password: "otherPassw0rd" });
    assert.equal(dup.status, 200, dup.text);
    assert.deepEqual(dup.json, { status: "EMAIL_ALREADY_EXISTS_ERROR" });

    const weak = await d.docsCurl("POST", { email: `${d.DASHBOARD_EMAIL_PREFIX}weak-${T}@example.com`, password: "abc1" });
    assert.equal(weak.status, 200, weak.text);
    assert.deepEqual(weak.json, { status: "PASSWORD_WEAK_ERROR", message: "Password must contain at least 8 characters, including a number" });

    const noDigit = await d.docsCurl("POST", { email: `${d.DASHBOARD_EMAIL_PREFIX}weak-${T}@example.com`, password: "abcdefghij" });
    assert.equal(noDigit.status, 200, noDigit.text);
    assert.deepEqual(noDigit.json, { status: "PASSWORD_WEAK_ERROR", message: "Password must contain at least one number" });

    const badEmail = await d.docsCurl("POST", { email: "not-an-email", password: ADMIN_PASSWORD });
    assert.equal(badEmail.status, 200, badEmail.text);
    assert.deepEqual(badEmail.json, { status: "INVALID_EMAIL_ERROR" });

    assert.deepEqual(await d.listDashboardUsers(), before);
});

test("signing in through the SDK's dashboard API relays the core's answer", async () => {
    const { result: res, paths, calls } = await d.callsDuring(() => client.signIn(ADMIN_EMAIL, ADMIN_PASSWORD));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ["sessionId", "status"], res.text);
    assert.equal(res.json.status, "OK");
    assert.match(res.json.sessionId, d.UUID_V4_RE);
    assert.deepEqual(paths, ["POST /recipe/dashboard/signin"]);
    assert.deepEqual(calls[0].body, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    admin.sessionId = res.json.sessionId;

    // The core normalises the email at sign-in too; each sign-in is a new session.
    const raw = await client.signInOk(ADMIN_RAW_EMAIL, ADMIN_PASSWORD);
    assert.notEqual(raw, admin.sessionId);

    const wrong = await client.signIn(ADMIN_EMAIL, "wrongPassw0rd");
    assert.equal(wrong.status, 200, wrong.text);
    assert.deepEqual(wrong.json, { status: "INVALID_CREDENTIALS_ERROR" });

    const unknown = await client.signIn(`${d.DASHBOARD_EMAIL_PREFIX}nobody-${T}@example.com`, ADMIN_PASSWORD);
    assert.equal(unknown.status, 200, unknown.text);
    assert.deepEqual(unknown.json, { status: "INVALID_CREDENTIALS_ERROR" });

    // The SDK itself insists on both fields.
    const missing = await client.call("POST", "/auth/dashboard/api/signin", { body: { email: ADMIN_EMAIL } });
    assert.equal(missing.status, 400, missing.text);
    assert.deepEqual(missing.json, { message: "Missing required parameter 'password'" });
});

test("the guard verifies the dashboard session with the core on every protected call", async () => {
    const { result: ok, calls } = await d.callsDuring(() => client.call("GET", "/auth/dashboard/api/users/count", { session: admin.sessionId }));
    assert.equal(ok.status, 200, ok.text);
    const verify = calls.filter((c) => c.path === "/recipe/dashboard/session/verify");
    assert.equal(verify.length, 1, `expected one verify call, got ${calls.map((c) => c.path).join(", ")}`);
    assert.equal(verify[0].method, "POST");
    assert.deepEqual(verify[0].body, { sessionId: admin.sessionId });

    // An unknown session: the core answers INVALID_SESSION_ERROR, the SDK 401.
    await assertRefused("4a1c5a0e-7f2b-4c64-9d2e-0b8a6a1f3c55", "unknown session id");
    await assertRefused(`bogus-${T}`, "bogus session id");
    const put = await client.call("PUT", "/auth/dashboard/api/user/metadata", { session: `bogus-${T}`, body: { userId: "x", data: "{}" } });
    d.assertUnauthorised(put, "bogus session id on a PUT");

    // No Authorization header: the SDK sends {} and the real core answers
    // 400 "Field name 'sessionId' is invalid in JSON input"; the querier
    // throws, which reaches the app's error handler (500 here).
    const none = await client.call("GET", "/auth/dashboard/api/users/count");
    assert.equal(none.status, 500, `no header: expected the core's 400 to surface as an error, got ${none.status}: ${none.text}`);
    assert.match(none.json.message, /POST request to path: '\/recipe\/dashboard\/session\/verify' with status code: 400/);
    assert.match(none.json.message, /Field name 'sessionId' is invalid in JSON input/);
});

test("users, count and search list the users created through the SDK", async () => {
    const countBefore = (await client.ok("GET", "/auth/dashboard/api/users/count", admin.sessionId)).count;
    for (let i = 0; i < 3; i++) {
        const res = await EmailPassword.signUp("public", `${APP_PREFIX}-${i}@example.com`, APP_PASSWORD);
        assert.equal(res.status, "OK", JSON.stringify(res));
        users.push(res.user);
        await sleep(5);
    }
    await UserMetadata.updateUserMetadata(users[0].id, { first_name: "Ada", last_name: "Lovelace" });
    // How the dashboard API shows a user: toJson() plus the metadata's names.
    const shown = (user, names = {}) => ({ ...d.asJson(user.toJson()), ...names });
    const expected = [shown(users[0], { firstName: "Ada", lastName: "Lovelace" }), shown(users[1]), shown(users[2])];

    const count = await client.ok("GET", "/auth/dashboard/api/users/count", admin.sessionId);
    assert.deepEqual(count, { status: "OK", count: countBefore + 3 });
    assert.equal(count.count, await SuperTokens.getUserCount(undefined, "public"));

    // Newest first by default; nobody else created users since ours.
    const newest = await client.ok("GET", "/auth/dashboard/api/users?limit=10", admin.sessionId);
    assert.equal(newest.status, "OK");
    assert.ok(newest.users.length <= 10);
    assert.deepEqual(newest.users.slice(0, 3), [...expected].reverse());
    if (count.count > 10) {
        assert.equal(newest.users.length, 10);
        assert.equal(typeof newest.nextPaginationToken, "string");
    } else {
        assert.equal(newest.nextPaginationToken, undefined);
    }
    const desc = await client.ok("GET", "/auth/dashboard/api/users?limit=10&timeJoinedOrder=DESC", admin.sessionId);
    assert.deepEqual(desc, newest);

    // Oldest first, walked to the end with the pagination token: every user
    // once, in timeJoined order, ours last.
    const all = [];
    let path = "/auth/dashboard/api/users?limit=10&timeJoinedOrder=ASC";
    for (let page = 0; ; page++) {
        assert.ok(page < 200, "pagination did not end");
        const res = await client.ok("GET", path, admin.sessionId);
        assert.ok(res.users.length <= 10);
        all.push(...res.users);
        if (res.nextPaginationToken === undefined) {
            break;
        }
        path = `/auth/dashboard/api/users?limit=10&timeJoinedOrder=ASC&paginationToken=${encodeURIComponent(res.nextPaginationToken)}`;
    }
    assert.equal(all.length, count.count);
    assert.equal(new Set(all.map((u) => u.id)).size, all.length, "a user was listed twice");
    for (let i = 1; i < all.length; i++) {
        assert.ok(all[i].timeJoined >= all[i - 1].timeJoined, "ASC listing not ordered by timeJoined");
    }
    assert.deepEqual(all.slice(-3), expected);

    // Any other query key is a search filter: email prefix.
    const search = await client.ok("GET", `/auth/dashboard/api/users?limit=10&email=${APP_PREFIX}`, admin.sessionId);
    assert.deepEqual(search.users, [...expected].reverse());
    assert.equal(search.nextPaginationToken, undefined);
    const searchAsc = await client.ok("GET", `/auth/dashboard/api/users?limit=10&timeJoinedOrder=ASC&email=${APP_PREFIX}`, admin.sessionId);
    assert.deepEqual(searchAsc.users, expected);
    const none = await client.ok("GET", `/auth/dashboard/api/users?limit=10&email=nomatch-${T}`, admin.sessionId);
    assert.deepEqual(none.users, []);
});

test("user details and metadata through the dashboard API", async () => {
    const [u0, u1] = users;
    assert.ok(u0 && u1, "needs the users of the listing test");

    const details = await client.ok("GET", `/auth/dashboard/api/user?userId=${u0.id}`, admin.sessionId);
    assert.deepEqual(details, { status: "OK", user: { ...d.asJson(u0.toJson()), firstName: "Ada", lastName: "Lovelace" } });
    const noNames = await client.ok("GET", `/auth/dashboard/api/user?userId=${u1.id}`, admin.sessionId);
    assert.deepEqual(noNames, { status: "OK", user: { ...d.asJson(u1.toJson()), firstName: "", lastName: "" } });
    const unknown = await client.ok("GET", `/auth/dashboard/api/user?userId=unknown-${T}`, admin.sessionId);
    assert.deepEqual(unknown, { status: "NO_USER_FOUND_ERROR" });

    const meta = await client.ok("GET", `/auth/dashboard/api/user/metadata?userId=${u0.id}`, admin.sessionId);
    assert.deepEqual(meta, { status: "OK", data: { first_name: "Ada", last_name: "Lovelace" } });

    // PUT replaces the metadata (clear, then update) with the JSON in `data`.
    const data = { plan: "pro", nested: { seats: 3, tags: ["a", "b"] }, flag: false };
    const put = await client.ok("PUT", "/auth/dashboard/api/user/metadata", admin.sessionId, { userId: u0.id, data: JSON.stringify(data) });
    assert.deepEqual(put, { status: "OK" });
    assert.deepEqual(await client.ok("GET", `/auth/dashboard/api/user/metadata?userId=${u0.id}`, admin.sessionId), { status: "OK", data });
    assert.deepEqual((await UserMetadata.getUserMetadata(u0.id)).metadata, data);
    const after = await client.ok("GET", `/auth/dashboard/api/user?userId=${u0.id}`, admin.sessionId);
    assert.equal(after.user.firstName, "");
    assert.equal(after.user.lastName, "");

    const empty = await client.ok("GET", `/auth/dashboard/api/user/metadata?userId=nobody-${T}`, admin.sessionId);
    assert.deepEqual(empty, { status: "OK", data: {} });
});

test("email verification status through the dashboard API", async () => {
    const u1 = users[1];
    const email = u1.emails[0];
    const path = `/auth/dashboard/api/user/email/verify?recipeUserId=${u1.id}`;

    assert.deepEqual(await client.ok("GET", path, admin.sessionId), { status: "OK", isVerified: false });

    const verify = await client.ok("PUT", "/auth/dashboard/api/user/email/verify", admin.sessionId, { recipeUserId: u1.id, verified: true });
    assert.deepEqual(verify, { status: "OK" });
    assert.deepEqual(await client.ok("GET", path, admin.sessionId), { status: "OK", isVerified: true });
    assert.equal(await EmailVerification.isEmailVerified(rid(u1.id), email), true);

    // Already verified: the token request answers EMAIL_ALREADY_VERIFIED_ERROR, the API OK.
    const again = await client.ok("PUT", "/auth/dashboard/api/user/email/verify", admin.sessionId, { recipeUserId: u1.id, verified: true });
    assert.deepEqual(again, { status: "OK" });

    const unverify = await client.ok("PUT", "/auth/dashboard/api/user/email/verify", admin.sessionId, { recipeUserId: u1.id, verified: false });
    assert.deepEqual(unverify, { status: "OK" });
    assert.deepEqual(await client.ok("GET", path, admin.sessionId), { status: "OK", isVerified: false });
    assert.equal(await EmailVerification.isEmailVerified(rid(u1.id), email), false);
});

test("app-user sessions are listed and revoked through the dashboard API", async () => {
    const u1 = users[1];
    const made = [];
    for (let i = 0; i < 2; i++) {
        const s = await Session.createNewSessionWithoutRequestResponse("public", rid(u1.id), { dashClaim: `v${i}` }, { note: `db${i}` });
        made.push(s.getHandle());
    }
    const path = `/auth/dashboard/api/user/sessions?userId=${u1.id}`;

    const listed = await client.ok("GET", path, admin.sessionId);
    assert.equal(listed.status, "OK");
    assert.deepEqual(listed.sessions.map((s) => s.sessionHandle).sort(), [...made].sort());
    for (const s of listed.sessions) {
        const i = made.indexOf(s.sessionHandle);
        assert.equal(s.userId, u1.id);
        assert.deepEqual(s.recipeUserId, { recipeUserId: u1.id });
        assert.equal(s.tenantId, "public");
        assert.deepEqual(s.sessionDataInDatabase, { note: `db${i}` });
        assert.equal(s.accessTokenPayload.dashClaim, `v${i}`);
        assert.ok(Number.isInteger(s.timeCreated) && Number.isInteger(s.expiry) && s.expiry > s.timeCreated);
    }

    const revoke = await client.ok("POST", "/auth/dashboard/api/user/sessions", admin.sessionId, { sessionHandles: [made[0]] });
    assert.deepEqual(revoke, { status: "OK" });
    const left = await client.ok("GET", path, admin.sessionId);
    assert.deepEqual(left.sessions.map((s) => s.sessionHandle), [made[1]]);
    assert.equal(await Session.getSessionInformation(made[0]), undefined);

    await client.ok("POST", "/auth/dashboard/api/user/sessions", admin.sessionId, { sessionHandles: [made[1]] });
    assert.deepEqual(await client.ok("GET", path, admin.sessionId), { status: "OK", sessions: [] });
});

test("an app user's password is changed through the dashboard API", async () => {
    const u2 = users[2];
    const email = u2.emails[0];

    // The SDK checks its password policy before it calls the core.
    const weak = await client.ok("PUT", "/auth/dashboard/api/user/password", admin.sessionId, { recipeUserId: u2.id, newPassword: "short" });
    assert.deepEqual(weak, { status: "INVALID_PASSWORD_ERROR", error: "Password must contain at least 8 characters, including a number" });

    const { result: ok, paths } = await d.callsDuring(() =>
        client.ok("PUT", "/auth/dashboard/api/user/password", admin.sessionId, { recipeUserId: u2.id, newPassword: APP_NEW_PASSWORD }),
    );
    assert.deepEqual(ok, { status: "OK" });
    assert.ok(paths.includes("PUT /recipe/user"), `expected PUT /recipe/user among ${paths.join(", ")}`);

    const signIn = await EmailPassword.signIn("public", email, APP_NEW_PASSWORD);
    assert.equal(signIn.status, "OK", JSON.stringify(signIn));
    assert.equal(signIn.user.id, u2.id);
    assert.deepEqual(await EmailPassword.signIn("public", email, APP_PASSWORD), { status: "WRONG_CREDENTIALS_ERROR" });
});

test("roles are shown through the dashboard API", async () => {
    const u0 = users[0];
    const role = `dash-role-${T}`;
    assert.equal((await UserRoles.createNewRoleOrAddPermissions(role, [`dash-perm-${T}`])).status, "OK");
    assert.equal((await UserRoles.addRoleToUser("public", u0.id, role)).status, "OK");

    const all = await client.ok("GET", "/auth/dashboard/api/userroles/roles", admin.sessionId);
    assert.equal(all.status, "OK");
    assert.ok(all.roles.includes(role), `${role} missing from ${JSON.stringify(all.roles)}`);
    const mine = await client.ok("GET", `/auth/dashboard/api/userroles/user/roles?userId=${u0.id}`, admin.sessionId);
    assert.deepEqual(mine, { status: "OK", roles: [role] });
});

test("search tags come from the core", async () => {
    const { result: tags, paths } = await d.callsDuring(() => client.ok("GET", "/auth/dashboard/api/search/tags", admin.sessionId));
    assert.deepEqual(tags, { status: "OK", tags: ["email", "phone", "provider"] });
    assert.ok(paths.includes("GET /user/search/tags"), paths.join(", "));
});

test("tenants: the list and the public tenant's details", async () => {
    const list = await client.ok("GET", "/auth/dashboard/api/tenants", admin.sessionId);
    assert.equal(list.status, "OK");
    const pub = list.tenants.find((t) => t.tenantId === "public");
    assert.deepEqual(pub, { tenantId: "public", firstFactors: ["emailpassword"] });

    const { result: info, paths } = await d.callsDuring(() => client.ok("GET", "/auth/dashboard/api/tenant", admin.sessionId));
    assert.ok(paths.includes("GET /public/recipe/dashboard/tenant/core-config"), paths.join(", "));
    assert.ok(paths.includes("GET /public/recipe/multitenancy/tenant/v2"), paths.join(", "));
    assert.equal(info.status, "OK", JSON.stringify(info));
    const { coreConfig, ...rest } = info.tenant;
    assert.deepEqual(rest, {
        tenantId: "public",
        thirdParty: { providers: [] },
        firstFactors: ["emailpassword"],
        userCount: await SuperTokens.getUserCount(undefined, "public"),
    });
    assert.ok(Array.isArray(coreConfig), `coreConfig: ${JSON.stringify(coreConfig)}`);
});

test("the public tenant's core config lists the core's dashboard-editable settings", async () => {
    // GET /public/recipe/dashboard/tenant/core-config, as the tenant page shows
    // it: the real core lists every core config field that is not yaml-only,
    // hidden or deprecated (CoreConfig.getConfigFieldsInfoForDashboard).
    const info = await client.ok("GET", "/auth/dashboard/api/tenant", admin.sessionId);
    const coreConfig = info.tenant.coreConfig;
    assert.ok(Array.isArray(coreConfig) && coreConfig.length > 0, `coreConfig: ${JSON.stringify(coreConfig)}`);
    const fields = ["key", "valueType", "value", "description", "isDifferentAcrossTenants", "possibleValues", "isNullable", "defaultValue", "isPluginProperty", "isPluginPropertyEditable"];
    for (const item of coreConfig) {
        assert.deepEqual(Object.keys(item).sort(), [...fields].sort(), `config item ${JSON.stringify(item)}`);
        assert.ok(["string", "boolean", "number", "enum"].includes(item.valueType), `valueType of ${item.key}`);
    }
    const byKey = Object.fromEntries(coreConfig.map((item) => [item.key, item]));
    assert.equal(new Set(coreConfig.map((i) => i.key)).size, coreConfig.length, "config keys are unique");
    const atv = byKey.access_token_validity;
    assert.ok(atv, "access_token_validity is listed");
    assert.deepEqual(
        { ...atv, description: undefined },
        {
            key: "access_token_validity",
            valueType: "number",
            value: 3600,
            description: undefined,
            isDifferentAcrossTenants: false,
            possibleValues: null,
            isNullable: false,
            defaultValue: 3600,
            isPluginProperty: false,
            isPluginPropertyEditable: false,
        },
    );
    const alg = byKey.password_hashing_alg;
    assert.ok(alg, "password_hashing_alg is listed");
    assert.equal(alg.valueType, "enum");
    assert.deepEqual(alg.possibleValues, ["ARGON2", "BCRYPT"]);
    assert.equal(alg.defaultValue, "BCRYPT");
    // Neither the config version nor deprecated fields are shown.
    assert.equal(byKey.core_config_version, undefined);
    assert.equal(byKey.access_token_signing_key_dynamic, undefined);
});

test("deleting a user through the dashboard API removes it", async () => {
    const u2 = users[2];
    const before = await SuperTokens.getUserCount(undefined, "public");
    const { result: del, paths } = await d.callsDuring(() => client.ok("DELETE", `/auth/dashboard/api/user?userId=${u2.id}`, admin.sessionId));
    assert.deepEqual(del, { status: "OK" });
    assert.ok(paths.includes("POST /user/remove"), paths.join(", "));

    assert.equal(await SuperTokens.getUser(u2.id), undefined);
    assert.deepEqual(await client.ok("GET", `/auth/dashboard/api/user?userId=${u2.id}`, admin.sessionId), { status: "NO_USER_FOUND_ERROR" });
    assert.deepEqual(await client.ok("GET", "/auth/dashboard/api/users/count", admin.sessionId), { status: "OK", count: before - 1 });
    const search = await client.ok("GET", `/auth/dashboard/api/users?limit=10&email=${APP_PREFIX}`, admin.sessionId);
    assert.deepEqual(search.users.map((u) => u.id), [users[1].id, users[0].id]);
});

test("GET /auth/dashboard serves the dashboard page", async () => {
    const res = await client.call("GET", "/auth/dashboard");
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get("content-type") || "", /^text\/html/);
    assert.match(res.text, /<div id="root"><\/div>/);
    assert.match(res.text, /src="https:\/\/cdn\.jsdelivr\.net\/gh\/supertokens\/dashboard@v[0-9.]+\/build\/static\/js\/bundle\.js"/);
    assert.ok(res.text.includes(`window.connectionURI = "${new URL(process.env.GATEHOUSE_URL).origin}"`), "connectionURI is the core's URL");
    assert.ok(res.text.includes('window.authMode = "email-password"'));
    assert.ok(res.text.includes('window.dashboardAppPath = "/auth/dashboard"'));
    // Search needs CDI >= 2.20, read from the negotiated version.
    assert.ok(res.text.includes('window.isSearchEnabled = "true"'));
});

test("signing out revokes that dashboard session only", async () => {
    const session = await client.signInOk(ADMIN_EMAIL, ADMIN_PASSWORD);
    await client.ok("GET", "/auth/dashboard/api/users/count", session);

    const { result: out, calls } = await d.callsDuring(() => client.ok("POST", "/auth/dashboard/api/signout", session));
    assert.deepEqual(out, { status: "OK" });
    const del = calls.find((c) => c.path === "/recipe/dashboard/session");
    assert.ok(del, `no DELETE /recipe/dashboard/session among ${calls.map((c) => `${c.method} ${c.path}`).join(", ")}`);
    assert.equal(del.method, "DELETE");
    assert.deepEqual(del.params, { sessionId: session });

    await assertRefused(session, "signed-out session");
    // The other session of the same dashboard user still works.
    await client.ok("GET", "/auth/dashboard/api/users/count", admin.sessionId);
});

test("the docs' update curl changes the password and ends the user's dashboard sessions", async () => {
    const second = await client.signInOk(ADMIN_EMAIL, ADMIN_PASSWORD);
    await client.ok("GET", "/auth/dashboard/api/users/count", second);

    const res = await d.docsCurl("PUT", { email: ADMIN_EMAIL, newPassword: ADMIN_NEW_PASSWORD });
    assert.equal(res.status, 200, `update answered ${res.status}: ${res.text}`);
    assert.deepEqual(res.json, { status: "OK", user: { email: ADMIN_EMAIL, userId: admin.userId, timeJoined: admin.timeJoined } });

    await assertRefused(admin.sessionId, "session from before the password change");
    await assertRefused(second, "second session from before the password change");

    const old = await client.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.deepEqual(old.json, { status: "INVALID_CREDENTIALS_ERROR" });
    admin.sessionId = await client.signInOk(ADMIN_EMAIL, ADMIN_NEW_PASSWORD);
    await client.ok("GET", "/auth/dashboard/api/users/count", admin.sessionId);

    const unknown = await d.docsCurl("PUT", { email: `${d.DASHBOARD_EMAIL_PREFIX}nobody-${T}@example.com`, newPassword: ADMIN_NEW_PASSWORD });
    assert.equal(unknown.status, 200, unknown.text);
    assert.deepEqual(unknown.json, { status: "UNKNOWN_USER_ERROR" });
});

// Last: this fills the server up to the free limit of 3 dashboard users.
test("the docs' create curl stops at the free limit of 3 dashboard users", async () => {
    let listed = await d.listDashboardUsers();
    assert.ok(listed.some((u) => u.userId === admin.userId), "the signed-in dashboard user is listed");
    const created = [];
    for (let i = 0; listed.length < 3; i++) {
        assert.ok(i < 3, "could not reach 3 dashboard users");
        const email = `${d.DASHBOARD_EMAIL_PREFIX}limit-${i}-${T}@example.com`;
        const res = await d.docsCurl("POST", { email, password: `limitPassw0rd${i}` });
        assert.equal(res.status, 200, `create #${listed.length + 1} answered ${res.status}: ${res.text}`);
        assert.equal(res.json.status, "OK", res.text);
        created.push(res.json.user);
        listed = await d.listDashboardUsers();
    }
    assert.equal(listed.length, 3);

    const fourth = `${d.DASHBOARD_EMAIL_PREFIX}limit-x-${T}@example.com`;
    const res = await d.docsCurl("POST", { email: fourth, password: "limitPassw0rdX" });
    assert.equal(res.status, 402, `a 4th dashboard user: expected 402, got ${res.status}: ${res.text}`);
    assert.match(res.headers.get("content-type") || "", /^text\//, "the 402 is plain text");
    assert.equal(res.text.trim(), d.FREE_LIMIT_MESSAGE);

    // The duplicate check comes before the limit check.
    const dup = await d.docsCurl("POST", { email: ADMIN_EMAIL, password: "limitPassw0rdX" });
    assert.equal(dup.status, 200, dup.text);
    assert.deepEqual(dup.json, { status: "EMAIL_ALREADY_EXISTS_ERROR" });

    const after = await d.listDashboardUsers();
    assert.equal(after.length, 3);
    assert.ok(!after.some((u) => u.email === fourth));
    for (const u of created) {
        assert.ok(after.some((x) => x.userId === u.userId));
    }
    // All three are within the free limit, so none is suspended.
    await client.ok("GET", "/auth/dashboard/api/users/count", admin.sessionId);
    const lastSession = await client.signInOk(created.length ? created[created.length - 1].email : ADMIN_EMAIL,
        created.length ? `limitPassw0rd${created.length - 1}` : ADMIN_NEW_PASSWORD);
    await client.ok("GET", "/auth/dashboard/api/users/count", lastSession);
});

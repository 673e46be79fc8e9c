"use strict";
// Passwordless users in the SDK's dashboard API: created with
// POST /auth/dashboard/api/user/passwordless (the SDK's Passwordless.signInUp
// underneath), listed, searched by phone and email, shown, edited with
// PUT /api/user and deleted. Dashboard in API-key mode (no dashboard users, as
// tenants-thirdparty.test.js) with Passwordless, UserMetadata and Session, in
// an app of its own, so the users list is this file's.
//
// The tests of this file build on each other and run in order.
const test = require("node:test");
const assert = require("node:assert/strict");
const SuperTokens = require("supertokens-node");
const Session = require("supertokens-node/recipe/session");
const UserMetadata = require("supertokens-node/recipe/usermetadata");
const Dashboard = require("supertokens-node/recipe/dashboard");
const h = require("../../lib/harness");
const apps = require("../../lib/apps");
const pl = require("../../lib/passwordless");

const APP_ID = `sdk-pl-dash-${apps.tag()}`;
const DASHBOARD_KEY = `dashboard-key-${apps.tag()}`;
const rec = apps.coreRecorder();
const box = pl.outbox();
let app;
const state = {};

test.before(async () => {
    await apps.createApp(APP_ID);
    app = await pl.startApp((baseUrl) =>
        h.initSdk({
            connectionURI: `${h.GATEHOUSE_URL}/appid-${APP_ID}`,
            appInfo: { apiDomain: baseUrl },
            recipeList: [pl.passwordlessRecipe(box), UserMetadata.init(), Session.init(), Dashboard.init({ apiKey: DASHBOARD_KEY })],
            networkInterceptor: rec.intercept,
        }));
});

test.after(async () => {
    await app?.close();
    await apps.removeApp(APP_ID);
});

// A dashboard API call with the API key; must answer 200 with JSON.
async function dashboard(method, path, body) {
    const res = await app.ok(method, `/auth/dashboard/api${path}`, {
        body,
        headers: { authorization: `Bearer ${DASHBOARD_KEY}` },
    });
    return res.json;
}

test("the dashboard creates passwordless users by email and by phone (E.164)", async () => {
    state.email = pl.randomEmail("pl-dash");
    const base = `/appid-${APP_ID}`;
    const { result: made, paths } = await rec.during(() => dashboard("POST", "/user/passwordless", { email: ` ${state.email} ` }));
    assert.equal(made.status, "OK", JSON.stringify(made));
    assert.equal(made.createdNewRecipeUser, true);
    // signInUp's RecipeUserId object, serialised as it is by the dashboard API.
    assert.deepEqual(made.recipeUserId, { recipeUserId: made.user.id });
    assert.deepEqual(made.user.emails, [state.email]);
    assert.equal(made.user.loginMethods.length, 1);
    assert.equal(made.user.loginMethods[0].recipeId, "passwordless");
    assert.equal(made.user.loginMethods[0].verified, true);
    // Passwordless.signInUp: a code, consumed at once; no email is sent.
    assert.ok(paths.includes(`POST ${base}/public/recipe/signinup/code`), paths.join(", "));
    assert.ok(paths.includes(`POST ${base}/public/recipe/signinup/code/consume`), paths.join(", "));
    assert.deepEqual(box.emails, []);
    state.emailUser = made.user;

    state.phone = pl.randomPhone();
    const { result: byPhone, calls } = await rec.during(() => dashboard("POST", "/user/passwordless", { phoneNumber: state.phone.typed }));
    assert.equal(byPhone.status, "OK", JSON.stringify(byPhone));
    assert.equal(byPhone.createdNewRecipeUser, true);
    assert.deepEqual(calls.find((c) => c.path === `${base}/public/recipe/signinup/code`).body.phoneNumber, state.phone.e164);
    assert.deepEqual(byPhone.user.phoneNumbers, [state.phone.e164]);
    assert.deepEqual(byPhone.user.emails, []);
    assert.equal(byPhone.user.loginMethods[0].phoneNumber, state.phone.e164);
    state.phoneUser = byPhone.user;

    // The same email again: the existing user.
    const again = await dashboard("POST", "/user/passwordless", { email: state.email.toUpperCase() });
    assert.equal(again.status, "OK", JSON.stringify(again));
    assert.equal(again.createdNewRecipeUser, false);
    assert.equal(again.user.id, state.emailUser.id);
    assert.deepEqual(box.sms, []);
});

test("the users list and count show both with their passwordless login methods; search by phone and email", async () => {
    const listed = await dashboard("GET", "/users?limit=10");
    assert.equal(listed.status, "OK");
    assert.deepEqual(listed.users.map((u) => u.id), [state.phoneUser.id, state.emailUser.id], "newest first");
    const [phoneUser, emailUser] = listed.users;
    assert.deepEqual(phoneUser.phoneNumbers, [state.phone.e164]);
    assert.deepEqual(phoneUser.loginMethods.map((lm) => [lm.recipeId, lm.phoneNumber, lm.email]), [["passwordless", state.phone.e164, undefined]]);
    assert.deepEqual(emailUser.emails, [state.email]);
    assert.deepEqual(emailUser.loginMethods.map((lm) => [lm.recipeId, lm.email, lm.phoneNumber]), [["passwordless", state.email, undefined]]);

    const count = await dashboard("GET", "/users/count");
    assert.deepEqual(count, { status: "OK", count: 2 });

    const { result: byPhone, calls } = await rec.during(() =>
        dashboard("GET", `/users?limit=10&phone=${encodeURIComponent(state.phone.e164.slice(0, 9))}`));
    const search = calls.find((c) => c.path === `/appid-${APP_ID}/public/users`);
    assert.equal(search.params.phone, state.phone.e164.slice(0, 9));
    assert.deepEqual(byPhone.users.map((u) => u.id), [state.phoneUser.id]);
    const byEmail = await dashboard("GET", `/users?limit=10&email=${encodeURIComponent(state.email.slice(0, 12))}`);
    assert.deepEqual(byEmail.users.map((u) => u.id), [state.emailUser.id]);

    const shown = await dashboard("GET", `/user?userId=${state.phoneUser.id}`);
    assert.equal(shown.status, "OK", JSON.stringify(shown));
    assert.equal(shown.user.id, state.phoneUser.id);
    assert.deepEqual(shown.user.phoneNumbers, [state.phone.e164]);
    assert.equal(shown.user.loginMethods[0].recipeId, "passwordless");
    assert.equal(shown.user.firstName, "");
    assert.equal(shown.user.lastName, "");
});

test("PUT /api/user edits a passwordless user: names, email, phone; taken ones refused", async () => {
    const put = (user, fields) =>
        dashboard("PUT", "/user", { recipeUserId: user.id, recipeId: "passwordless", firstName: "", lastName: "", email: "", phone: "", ...fields });

    // The phone user gets an email and a first name.
    const newEmail = pl.randomEmail("pl-dash-new");
    const { result: edited, calls } = await rec.during(() => put(state.phoneUser, { firstName: "Ada", email: newEmail }));
    assert.deepEqual(edited, { status: "OK" });
    const putCall = calls.find((c) => c.method === "PUT" && c.path === `/appid-${APP_ID}/recipe/user`);
    assert.deepEqual(putCall.body, { recipeUserId: state.phoneUser.id, email: newEmail });
    assert.equal(putCall.headers.rid, "passwordless");
    const shown = await dashboard("GET", `/user?userId=${state.phoneUser.id}`);
    assert.deepEqual(shown.user.emails, [newEmail]);
    assert.deepEqual(shown.user.phoneNumbers, [state.phone.e164]);
    assert.equal(shown.user.loginMethods[0].email, newEmail);
    assert.equal(shown.user.firstName, "Ada");

    // Taken email and phone number.
    assert.deepEqual(await put(state.emailUser, { email: newEmail }), { status: "EMAIL_ALREADY_EXISTS_ERROR" });
    assert.deepEqual(await put(state.emailUser, { phone: state.phone.typed }), { status: "PHONE_ALREADY_EXISTS_ERROR" });

    // A new phone number for the email user (typed: the core stores E.164).
    const phone2 = pl.randomPhone();
    assert.deepEqual(await put(state.emailUser, { phone: phone2.typed }), { status: "OK" });
    const user = await SuperTokens.getUser(state.emailUser.id);
    assert.deepEqual(user.phoneNumbers, [phone2.e164]);
    assert.deepEqual(user.emails, [state.email]);
    const found = await SuperTokens.listUsersByAccountInfo("public", { phoneNumber: phone2.typed });
    assert.deepEqual(found.map((u) => u.id), [state.emailUser.id]);
});

test("DELETE /api/user removes the passwordless user", async () => {
    assert.deepEqual(await dashboard("DELETE", `/user?userId=${state.phoneUser.id}`), { status: "OK" });
    assert.deepEqual(await dashboard("GET", `/user?userId=${state.phoneUser.id}`), { status: "NO_USER_FOUND_ERROR" });
    const listed = await dashboard("GET", "/users?limit=10");
    assert.deepEqual(listed.users.map((u) => u.id), [state.emailUser.id]);
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { phoneNumber: state.phone.e164 }), []);
    // Its phone number is free again: the dashboard makes a new user with it.
    const anew = await dashboard("POST", "/user/passwordless", { phoneNumber: state.phone.e164 });
    assert.equal(anew.createdNewRecipeUser, true);
    assert.notEqual(anew.user.id, state.phoneUser.id);
});

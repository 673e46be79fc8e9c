"use strict";
// Multitenancy stage: an app of its own (created over HTTP, as the SDKs' own
// tests do), targeted through the connection URI GATEHOUSE_URL/appid-<app>;
// tenants managed with supertokens-node's Multitenancy functions; users
// signed up per tenant with EmailPassword, moved between tenants with
// associateUserToTenant / disassociateUserFromTenant.
//
// The tests of this file build on each other and run in order.
const test = require("node:test");
const assert = require("node:assert/strict");
const SuperTokens = require("supertokens-node");
const Session = require("supertokens-node/recipe/session");
const EmailPassword = require("supertokens-node/recipe/emailpassword");
const ThirdParty = require("supertokens-node/recipe/thirdparty");
const Multitenancy = require("supertokens-node/recipe/multitenancy");
const h = require("../../lib/harness");
const apps = require("../../lib/apps");

const APP = `sdk-mt-${apps.tag()}`;
const T1 = `t1-${apps.tag(3)}`;
const T2 = `t2-${apps.tag(3)}`;
const FACTORS = ["emailpassword", "thirdparty"];
const PASSWORD = "first-Passw0rd";
const OTHER_PASSWORD = "second-Passw0rd";
const rec = apps.coreRecorder();

h.initSdk({
    connectionURI: `${h.GATEHOUSE_URL}/appid-${APP}`,
    recipeList: [EmailPassword.init(), ThirdParty.init(), Multitenancy.init(), Session.init()],
    networkInterceptor: rec.intercept,
});

const rid = (id) => SuperTokens.convertToRecipeUserId(id);
const email = (prefix) => `${prefix}-${apps.tag()}@example.com`;
// Filled by the tests as they go.
const state = {};

test.before(async () => {
    await apps.createApp(APP);
});

test.after(async () => {
    // The app goes away with everything in it, tenants first.
    const removed = await apps.removeApp(APP);
    assert.deepEqual(removed, { status: "OK", didExist: true });
    assert.ok(!(await apps.listAppIds()).includes(APP), `${APP} must be gone from the app list`);
});

test("createOrUpdateTenant creates two tenants in the app, then updates", async () => {
    const { result, calls } = await rec.during(() => Multitenancy.createOrUpdateTenant(T1, { firstFactors: FACTORS }));
    assert.deepEqual(result, { status: "OK", createdNew: true });
    // What the SDK sends: the app's public tenant (no tenant in the path), the
    // config spread next to tenantId.
    assert.equal(calls.length, 1);
    assert.equal(calls[0].method, "PUT");
    assert.equal(calls[0].path, `/appid-${APP}/recipe/multitenancy/tenant/v2`);
    assert.deepEqual(calls[0].body, { tenantId: T1, firstFactors: FACTORS });
    assert.equal(calls[0].headers["cdi-version"], "5.4");
    assert.equal(calls[0].headers.rid, "multitenancy");

    assert.deepEqual(await Multitenancy.createOrUpdateTenant(T2, { firstFactors: FACTORS }), { status: "OK", createdNew: true });
    // Again: an update.
    assert.deepEqual(await Multitenancy.createOrUpdateTenant(T1, { firstFactors: FACTORS }), { status: "OK", createdNew: false });
});

test("getTenant answers the tenant with its first factors; an unknown one is undefined", async () => {
    const { result: t1, paths } = await rec.during(() => Multitenancy.getTenant(T1));
    assert.deepEqual(paths, [`GET /appid-${APP}/${T1}/recipe/multitenancy/tenant/v2`]);
    assert.equal(t1.status, "OK");
    assert.equal(t1.tenantId, T1);
    assert.deepEqual(t1.firstFactors, FACTORS);
    assert.deepEqual(t1.thirdParty, { providers: [] });
    assert.deepEqual(t1.coreConfig, {});
    assert.ok(t1.requiredSecondaryFactors === undefined || t1.requiredSecondaryFactors === null ||
        (Array.isArray(t1.requiredSecondaryFactors) && t1.requiredSecondaryFactors.length === 0),
        `requiredSecondaryFactors: ${JSON.stringify(t1.requiredSecondaryFactors)}`);

    // Updating only requiredSecondaryFactors keeps firstFactors.
    assert.deepEqual(await Multitenancy.createOrUpdateTenant(T2, { requiredSecondaryFactors: ["totp"] }), { status: "OK", createdNew: false });
    const t2 = await Multitenancy.getTenant(T2);
    assert.deepEqual(t2.firstFactors, FACTORS);
    assert.deepEqual(t2.requiredSecondaryFactors, ["totp"]);
    assert.deepEqual(await Multitenancy.createOrUpdateTenant(T2, { requiredSecondaryFactors: null }), { status: "OK", createdNew: false });
    const t2b = await Multitenancy.getTenant(T2);
    assert.deepEqual(t2b.firstFactors, FACTORS);
    assert.ok(t2b.requiredSecondaryFactors === undefined || t2b.requiredSecondaryFactors === null,
        `requiredSecondaryFactors after null: ${JSON.stringify(t2b.requiredSecondaryFactors)}`);

    assert.equal(await Multitenancy.getTenant(`nope-${apps.tag(3)}`), undefined);
    // The public tenant of the new app.
    const pub = await Multitenancy.getTenant("public");
    assert.equal(pub.tenantId, "public");
});

test("listAllTenants lists exactly the app's tenants", async () => {
    const { result, paths } = await rec.during(() => Multitenancy.listAllTenants());
    assert.deepEqual(paths, [`GET /appid-${APP}/recipe/multitenancy/tenant/list/v2`]);
    assert.equal(result.status, "OK");
    assert.deepEqual(result.tenants.map((t) => t.tenantId).sort(), ["public", T1, T2].sort());
    const t1 = result.tenants.find((t) => t.tenantId === T1);
    assert.deepEqual(t1.firstFactors, FACTORS);
});

test("the same email signs up in both tenants as two different users", async () => {
    state.shared = email("mt-shared");
    const { result: a, paths } = await rec.during(() => EmailPassword.signUp(T1, state.shared, PASSWORD));
    assert.equal(a.status, "OK", JSON.stringify(a));
    assert.deepEqual(paths, [`POST /appid-${APP}/${T1}/recipe/signup`]);
    const b = await EmailPassword.signUp(T2, state.shared, OTHER_PASSWORD);
    assert.equal(b.status, "OK", JSON.stringify(b));
    assert.notEqual(a.user.id, b.user.id);
    assert.deepEqual(a.user.tenantIds, [T1]);
    assert.deepEqual(b.user.tenantIds, [T2]);
    assert.deepEqual(a.user.loginMethods[0].tenantIds, [T1]);
    state.sharedT1 = a.user.id;
    state.sharedT2 = b.user.id;

    // Taken within a tenant.
    assert.deepEqual(await EmailPassword.signUp(T1, state.shared, PASSWORD), { status: "EMAIL_ALREADY_EXISTS_ERROR" });

    // The users live in the app: the SDK finds them, the public app does not.
    const fetched = await SuperTokens.getUser(a.user.id);
    assert.deepEqual(fetched.tenantIds, [T1]);
    const fromPublicApp = await apps.coreRequest("GET", `/user/id?userId=${a.user.id}`);
    assert.equal(fromPublicApp.status, 200, fromPublicApp.text);
    assert.equal(fromPublicApp.json.status, "UNKNOWN_USER_ID_ERROR", `public app sees the app's user: ${fromPublicApp.text}`);

    // listUsersByAccountInfo is tenant-scoped.
    assert.deepEqual((await SuperTokens.listUsersByAccountInfo(T1, { email: state.shared })).map((u) => u.id), [a.user.id]);
    assert.deepEqual((await SuperTokens.listUsersByAccountInfo(T2, { email: state.shared })).map((u) => u.id), [b.user.id]);
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email: state.shared }), []);
});

test("sign-in is tenant-scoped", async () => {
    const inT1 = await EmailPassword.signIn(T1, state.shared, PASSWORD);
    assert.equal(inT1.status, "OK");
    assert.equal(inT1.user.id, state.sharedT1);
    const inT2 = await EmailPassword.signIn(T2, state.shared, OTHER_PASSWORD);
    assert.equal(inT2.status, "OK");
    assert.equal(inT2.user.id, state.sharedT2);
    // Each tenant's user has its own password.
    assert.deepEqual(await EmailPassword.signIn(T2, state.shared, PASSWORD), { status: "WRONG_CREDENTIALS_ERROR" });

    // A user of t1 only cannot sign in in t2 nor in the app's public tenant.
    state.only = email("mt-only");
    const only = await EmailPassword.signUp(T1, state.only, PASSWORD);
    assert.equal(only.status, "OK");
    state.onlyId = only.user.id;
    assert.deepEqual(await EmailPassword.signIn(T2, state.only, PASSWORD), { status: "WRONG_CREDENTIALS_ERROR" });
    assert.deepEqual(await EmailPassword.signIn("public", state.only, PASSWORD), { status: "WRONG_CREDENTIALS_ERROR" });
});

test("coreConfig sets the app's and a tenant's own settings, read back and applied", async () => {
    // The app's public tenant sets an app-wide key, a tenant its own token lifetime.
    const { result, calls } = await rec.during(() =>
        Multitenancy.createOrUpdateTenant("public", { coreConfig: { access_token_validity: 120 } }));
    assert.deepEqual(result, { status: "OK", createdNew: false });
    assert.deepEqual(calls[0].body, { tenantId: "public", coreConfig: { access_token_validity: 120 } });
    assert.deepEqual(await Multitenancy.createOrUpdateTenant(T1, { coreConfig: { password_reset_token_lifetime: 1 } }),
        { status: "OK", createdNew: false });
    assert.deepEqual((await Multitenancy.getTenant("public")).coreConfig, { access_token_validity: 120 });
    const t1 = await Multitenancy.getTenant(T1);
    assert.deepEqual(t1.coreConfig, { password_reset_token_lifetime: 1 });
    assert.deepEqual(t1.firstFactors, FACTORS);

    // Sessions in the app's tenants get the app's access token lifetime.
    const session = await Session.createNewSessionWithoutRequestResponse(T1, rid(state.sharedT1));
    const payload = session.getAccessTokenPayload();
    assert.equal(payload.exp - payload.iat, 120);

    // A reset token of t1 lives a millisecond.
    const token = await EmailPassword.createResetPasswordToken(T1, state.sharedT1, state.shared);
    assert.equal(token.status, "OK");
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(await EmailPassword.consumePasswordResetToken(T1, token.token), { status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" });

    // A tenant may not contradict an app-wide key: upstream's 400, which the SDK throws.
    await assert.rejects(
        Multitenancy.createOrUpdateTenant(T2, { coreConfig: { access_token_validity: 60 } }),
        /Invalid core config: You cannot set different values for access_token_validity for the same appId/,
    );
    assert.deepEqual((await Multitenancy.getTenant(T2)).coreConfig, {});

    // null removes a key.
    assert.deepEqual(await Multitenancy.createOrUpdateTenant(T1, { coreConfig: { password_reset_token_lifetime: null } }),
        { status: "OK", createdNew: false });
    assert.deepEqual((await Multitenancy.getTenant(T1)).coreConfig, {});
});

test("associateUserToTenant adds a user to a tenant; its errors", async () => {
    const { result, calls } = await rec.during(() => Multitenancy.associateUserToTenant(T2, rid(state.onlyId)));
    assert.deepEqual(result, { status: "OK", wasAlreadyAssociated: false });
    assert.equal(calls.length, 1);
    assert.equal(calls[0].path, `/appid-${APP}/${T2}/recipe/multitenancy/tenant/user`);
    assert.deepEqual(calls[0].body, { recipeUserId: state.onlyId });

    assert.equal((await EmailPassword.signIn(T2, state.only, PASSWORD)).status, "OK");
    assert.deepEqual((await SuperTokens.getUser(state.onlyId)).tenantIds.sort(), [T1, T2].sort());
    assert.deepEqual(await Multitenancy.associateUserToTenant(T2, rid(state.onlyId)), { status: "OK", wasAlreadyAssociated: true });

    // T2 already has an emailpassword user with the shared email.
    assert.deepEqual(await Multitenancy.associateUserToTenant(T2, rid(state.sharedT1)), { status: "EMAIL_ALREADY_EXISTS_ERROR" });
    assert.deepEqual((await SuperTokens.getUser(state.sharedT1)).tenantIds, [T1]);

    const unknown = "00000000-0000-4000-8000-" + apps.tag(6);
    assert.deepEqual(await Multitenancy.associateUserToTenant(T2, rid(unknown)), { status: "UNKNOWN_USER_ID_ERROR" });
});

test("disassociateUserFromTenant takes the user out of a tenant", async () => {
    const { result, calls } = await rec.during(() => Multitenancy.disassociateUserFromTenant(T2, rid(state.onlyId)));
    assert.deepEqual(result, { status: "OK", wasAssociated: true });
    assert.equal(calls[0].path, `/appid-${APP}/${T2}/recipe/multitenancy/tenant/user/remove`);
    assert.deepEqual(calls[0].body, { recipeUserId: state.onlyId });

    assert.deepEqual(await Multitenancy.disassociateUserFromTenant(T2, rid(state.onlyId)), { status: "OK", wasAssociated: false });
    assert.deepEqual(await EmailPassword.signIn(T2, state.only, PASSWORD), { status: "WRONG_CREDENTIALS_ERROR" });
    assert.equal((await EmailPassword.signIn(T1, state.only, PASSWORD)).status, "OK");
    assert.deepEqual((await SuperTokens.getUser(state.onlyId)).tenantIds, [T1]);
});

test("deleteTenant removes a tenant; its users stay in the app", async () => {
    const { result, calls } = await rec.during(() => Multitenancy.deleteTenant(T2));
    assert.deepEqual(result, { status: "OK", didExist: true });
    assert.equal(calls[0].path, `/appid-${APP}/recipe/multitenancy/tenant/remove`);
    assert.deepEqual(calls[0].body, { tenantId: T2 });

    assert.deepEqual(await Multitenancy.deleteTenant(T2), { status: "OK", didExist: false });
    assert.equal(await Multitenancy.getTenant(T2), undefined);
    const list = await Multitenancy.listAllTenants();
    assert.deepEqual(list.tenants.map((t) => t.tenantId).sort(), ["public", T1].sort());

    // The t2 user belongs to no tenant now, but still exists.
    const orphan = await SuperTokens.getUser(state.sharedT2);
    assert.ok(orphan, "the user of the removed tenant must still exist");
    assert.deepEqual(orphan.tenantIds, []);
    // ...and can be added to another tenant where its email is free.
    assert.deepEqual(await Multitenancy.associateUserToTenant("public", rid(state.sharedT2)), { status: "OK", wasAlreadyAssociated: false });
    const signedIn = await EmailPassword.signIn("public", state.shared, OTHER_PASSWORD);
    assert.equal(signedIn.status, "OK");
    assert.equal(signedIn.user.id, state.sharedT2);
});

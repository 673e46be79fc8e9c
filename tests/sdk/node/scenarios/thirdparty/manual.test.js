"use strict";
// ThirdParty stage: users made with ThirdParty.manuallyCreateOrUpdateUser
// (the core's POST /<tenant>/recipe/signinup), read back through the core
// user APIs, then deleted. Public app, public tenant. Every provider id
// carries a random tag, so searches by provider find only this run's users.
const test = require("node:test");
const assert = require("node:assert/strict");
const SuperTokens = require("supertokens-node");
const Session = require("supertokens-node/recipe/session");
const ThirdParty = require("supertokens-node/recipe/thirdparty");
const EmailVerification = require("supertokens-node/recipe/emailverification");
const h = require("../../lib/harness");
const apps = require("../../lib/apps");

const rec = apps.coreRecorder();
h.initSdk({
    recipeList: [ThirdParty.init(), EmailVerification.init({ mode: "OPTIONAL" }), Session.init()],
    networkInterceptor: rec.intercept,
});

// Query parameters as sent (the querier drops undefined ones).
const onTheWire = (params) => JSON.parse(JSON.stringify(params));
const rid = (id) => SuperTokens.convertToRecipeUserId(id);
const email = (prefix) => `${prefix}-${apps.tag()}@example.com`;
// A provider id of this run only (a prefix search on it finds only ours).
const PROVIDER = `sdk-tp-${apps.tag()}`;

function assertThirdPartyUser(user, { thirdPartyId, thirdPartyUserId, email, verified, tenantIds = ["public"] }) {
    assert.equal(typeof user.id, "string");
    assert.equal(user.isPrimaryUser, false);
    assert.deepEqual(user.tenantIds, tenantIds);
    assert.deepEqual(user.emails, [email]);
    assert.deepEqual(user.phoneNumbers, []);
    assert.deepEqual(user.thirdParty, [{ id: thirdPartyId, userId: thirdPartyUserId }]);
    assert.ok(Math.abs(Date.now() - user.timeJoined) < 5 * 60 * 1000, `timeJoined ${user.timeJoined} is not around now (ms)`);
    assert.equal(user.loginMethods.length, 1);
    const lm = user.loginMethods[0];
    assert.equal(lm.recipeId, "thirdparty");
    assert.equal(lm.recipeUserId.getAsString(), user.id);
    assert.deepEqual(lm.tenantIds, tenantIds);
    assert.equal(lm.email, email);
    assert.deepEqual(lm.thirdParty, { id: thirdPartyId, userId: thirdPartyUserId });
    assert.equal(lm.phoneNumber, undefined);
    assert.equal(lm.timeJoined, user.timeJoined);
    assert.equal(lm.verified, verified);
}

test("manuallyCreateOrUpdateUser creates, then signs in, then changes the email", async () => {
    const tpUserId = `tpu-${apps.tag()}`;
    const first = email("tp-first");
    const { result: created, calls, paths } = await rec.during(() =>
        ThirdParty.manuallyCreateOrUpdateUser("public", PROVIDER, tpUserId, first, true));
    assert.equal(created.status, "OK", JSON.stringify(created));
    assert.equal(created.createdNewRecipeUser, true);
    assert.equal(created.recipeUserId.getAsString(), created.user.id);
    assertThirdPartyUser(created.user, { thirdPartyId: PROVIDER, thirdPartyUserId: tpUserId, email: first, verified: true });
    // What the SDK sends: a look-up of the provider account, the sign-in-up,
    // and a re-read of the user.
    assert.deepEqual(paths, ["GET /public/users/by-accountinfo", "POST /public/recipe/signinup", "GET /user/id"]);
    assert.deepEqual(onTheWire(calls[0].params), { thirdPartyId: PROVIDER, thirdPartyUserId: tpUserId, doUnionOfAccountInfo: false });
    assert.deepEqual(calls[1].body, { thirdPartyId: PROVIDER, thirdPartyUserId: tpUserId, email: { id: first, isVerified: true } });
    assert.equal(calls[1].headers.rid, "thirdparty");
    assert.equal(calls[1].headers["cdi-version"], "5.4");
    assert.equal(await EmailVerification.isEmailVerified(rid(created.user.id), first), true);

    // Same provider account: signed in, same user.
    const again = await ThirdParty.manuallyCreateOrUpdateUser("public", PROVIDER, tpUserId, first, true);
    assert.equal(again.status, "OK");
    assert.equal(again.createdNewRecipeUser, false);
    assert.equal(again.user.id, created.user.id);
    assert.deepEqual(again.user.toJson(), created.user.toJson());

    // The provider now gives another (unverified) email: it replaces the old
    // one, and is not verified. The core normalises it.
    const localPart = `tp-second-${apps.tag()}`;
    const second = `${localPart}@example.com`;
    const changed = await ThirdParty.manuallyCreateOrUpdateUser("public", PROVIDER, tpUserId, ` ${localPart.toUpperCase()}@Example.COM `, false);
    assert.equal(changed.status, "OK");
    assert.equal(changed.createdNewRecipeUser, false);
    assert.equal(changed.user.id, created.user.id);
    assertThirdPartyUser(changed.user, { thirdPartyId: PROVIDER, thirdPartyUserId: tpUserId, email: second, verified: false });
    assert.equal(changed.user.timeJoined, created.user.timeJoined, "an update must not change timeJoined");
    assert.equal(await EmailVerification.isEmailVerified(rid(created.user.id), second), false);
    // isVerified: true on a later sign-in marks the current email verified.
    const verified = await ThirdParty.manuallyCreateOrUpdateUser("public", PROVIDER, tpUserId, second, true);
    assert.equal(verified.user.loginMethods[0].verified, true);
    assert.equal(await EmailVerification.isEmailVerified(rid(created.user.id), second), true);

    const fetched = await SuperTokens.getUser(created.user.id);
    assert.deepEqual(fetched.toJson(), verified.user.toJson());
});

test("a provider account is identified by thirdPartyId and thirdPartyUserId together", async () => {
    const tpUserId = `tpu-${apps.tag()}`;
    const shared = email("tp-shared");
    const a = await ThirdParty.manuallyCreateOrUpdateUser("public", PROVIDER, tpUserId, shared, false);
    const b = await ThirdParty.manuallyCreateOrUpdateUser("public", `${PROVIDER}-other`, tpUserId, shared, false);
    assert.equal(a.createdNewRecipeUser, true);
    assert.equal(b.createdNewRecipeUser, true);
    assert.notEqual(a.user.id, b.user.id);
    // Two third-party users may share an email.
    const byEmail = await SuperTokens.listUsersByAccountInfo("public", { email: shared });
    assert.deepEqual(byEmail.map((u) => u.id).sort(), [a.user.id, b.user.id].sort());
});

test("getUser and listUsersByAccountInfo find a user by its provider account", async () => {
    const tpUserId = `tpu-${apps.tag()}`;
    const addr = email("tp-lookup");
    const created = await ThirdParty.manuallyCreateOrUpdateUser("public", PROVIDER, tpUserId, addr, true);

    const byId = await SuperTokens.getUser(created.user.id);
    assert.deepEqual(byId.toJson(), created.user.toJson());

    const byAccount = await SuperTokens.listUsersByAccountInfo("public", { thirdParty: { id: PROVIDER, userId: tpUserId } });
    assert.deepEqual(byAccount.map((u) => u.toJson()), [created.user.toJson()]);
    // Both parts must match.
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { thirdParty: { id: `${PROVIDER}-x`, userId: tpUserId } }), []);
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { thirdParty: { id: PROVIDER, userId: `${tpUserId}-x` } }), []);
    // By email (and by both, intersected).
    assert.deepEqual((await SuperTokens.listUsersByAccountInfo("public", { email: addr })).map((u) => u.id), [created.user.id]);
    assert.deepEqual((await SuperTokens.listUsersByAccountInfo("public", { email: addr, thirdParty: { id: PROVIDER, userId: tpUserId } })).map((u) => u.id), [created.user.id]);
});

test("getUsersNewestFirst with includeRecipeIds thirdparty, searched by provider; counts per recipe", async () => {
    const countBefore = await SuperTokens.getUserCount(["thirdparty"]);
    const countAllBefore = await SuperTokens.getUserCount();
    const provider = `${PROVIDER}-list`;
    const older = await ThirdParty.manuallyCreateOrUpdateUser("public", provider, `tpu-${apps.tag()}`, email("tp-list-a"), false);
    await new Promise((r) => setTimeout(r, 5));
    const newer = await ThirdParty.manuallyCreateOrUpdateUser("public", provider, `tpu-${apps.tag()}`, email("tp-list-b"), false);

    assert.equal(await SuperTokens.getUserCount(["thirdparty"]), countBefore + 2);
    assert.equal(await SuperTokens.getUserCount(), countAllBefore + 2);
    assert.equal(await SuperTokens.getUserCount(["emailpassword"]) + await SuperTokens.getUserCount(["thirdparty"]),
        await SuperTokens.getUserCount(["emailpassword", "thirdparty"]));

    const { result: page, calls } = await rec.during(() =>
        SuperTokens.getUsersNewestFirst({ tenantId: "public", includeRecipeIds: ["thirdparty"], query: { provider } }));
    assert.deepEqual(onTheWire(calls[0].params), { includeRecipeIds: "thirdparty", timeJoinedOrder: "DESC", provider });
    assert.deepEqual(page.users.map((u) => u.id), [newer.user.id, older.user.id]);
    assert.deepEqual(page.users[0].toJson(), newer.user.toJson());

    // A provider prefix finds them too.
    const prefix = await SuperTokens.getUsersNewestFirst({ tenantId: "public", includeRecipeIds: ["thirdparty"], query: { provider: PROVIDER } });
    assert.ok(prefix.users.length >= 2);
    for (const u of prefix.users) {
        assert.ok(u.thirdParty.some((tp) => tp.id.startsWith(PROVIDER)), `${JSON.stringify(u.thirdParty)} does not match ${PROVIDER}`);
    }
    // (With a search term the core ignores includeRecipeIds, as upstream's
    // getPaginatedUsers does, so no recipe filter is checked together with one.)

    // Without a search term, the newest thirdparty users come first, and every
    // one listed is a thirdparty user.
    const top = await SuperTokens.getUsersNewestFirst({ tenantId: "public", includeRecipeIds: ["thirdparty"], limit: 2 });
    assert.deepEqual(top.users.map((u) => u.id), [newer.user.id, older.user.id]);
    const some = await SuperTokens.getUsersNewestFirst({ tenantId: "public", includeRecipeIds: ["thirdparty"], limit: 20 });
    for (const u of some.users) {
        assert.deepEqual(u.loginMethods.map((lm) => lm.recipeId), ["thirdparty"]);
    }
    // Email and provider search terms must both match.
    const both = await SuperTokens.getUsersNewestFirst({ tenantId: "public", query: { provider, email: older.user.emails[0] } });
    assert.deepEqual(both.users.map((u) => u.id), [older.user.id]);
});

test("deleteUser removes a third-party user; the same account then signs up anew", async () => {
    const tpUserId = `tpu-${apps.tag()}`;
    const addr = email("tp-delete");
    const created = await ThirdParty.manuallyCreateOrUpdateUser("public", PROVIDER, tpUserId, addr, true);
    assert.deepEqual(await SuperTokens.deleteUser(created.user.id), { status: "OK" });

    assert.equal(await SuperTokens.getUser(created.user.id), undefined);
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { thirdParty: { id: PROVIDER, userId: tpUserId } }), []);

    const anew = await ThirdParty.manuallyCreateOrUpdateUser("public", PROVIDER, tpUserId, addr, false);
    assert.equal(anew.status, "OK");
    assert.equal(anew.createdNewRecipeUser, true);
    assert.notEqual(anew.user.id, created.user.id);
    // The deleted user's verified email went with it.
    assert.equal(anew.user.loginMethods[0].verified, false);
});

"use strict";
// Account linking stage: automatic linking that does not require verification
// (shouldDoAutomaticAccountLinking answers {shouldAutomaticallyLink: true,
// shouldRequireVerification: false}), through the SDK's own APIs. Unverified
// login methods become primary users at once and are linked by email, and an
// email-password sign-up with a primary user's email is allowed (and linked),
// where automatic-verified.test.js sees SIGN_UP_NOT_ALLOWED. App of its own.
//
// The tests of this file build on each other and run in order.
const test = require("node:test");
const assert = require("node:assert/strict");
const al = require("../../lib/accountlinking");
const apps = require("../../lib/apps");
const pl = require("../../lib/passwordless");

const { SuperTokens, Session, EmailVerification } = al;
const rid = (id) => SuperTokens.convertToRecipeUserId(id);
let ctx;
const state = {};

test.before(async () => {
    ctx = await al.startLinkingApp({ appPrefix: "sdk-al-nover", requireVerification: false });
});

test.after(async () => {
    await ctx?.close();
});

const base = () => `/appid-${ctx.appId}`;

test("an unverified email-password sign-up is a primary user at once", async () => {
    state.email = al.randomEmail("al-nover");
    const { result: up, calls } = await ctx.rec.during(() => ctx.signUpApi(state.email));
    assert.equal(up.json.status, "OK", up.text);
    state.epId = up.json.user.id;
    assert.equal(up.json.user.isPrimaryUser, true, up.text);
    assert.equal(up.json.user.loginMethods[0].verified, false);
    const primaryCall = calls.find((c) => c.path === `${base()}/recipe/accountlinking/user/primary`);
    assert.deepEqual(primaryCall?.body, { recipeUserId: state.epId });
    assert.equal((await SuperTokens.getUser(state.epId)).isPrimaryUser, true);
    assert.ok(ctx.decisions.some((d) => d.recipeId === "emailpassword" && d.email === state.email), JSON.stringify(ctx.decisions));
});

test("a third-party sign-in with the same, unverified email is linked", async () => {
    state.tpUserId = `tp-${apps.tag()}`;
    const { result: tp, calls } = await ctx.rec.during(() =>
        ctx.thirdPartyApi({ id: state.tpUserId, email: state.email, email_verified: false }));
    assert.equal(tp.json.status, "OK", tp.text);
    assert.equal(tp.json.createdNewRecipeUser, true);
    assert.equal(tp.json.user.id, state.epId);
    const tpMethod = tp.json.user.loginMethods.find((lm) => lm.recipeId === "thirdparty");
    state.tpRid = tpMethod.recipeUserId;
    assert.deepEqual(al.methods(tp.json.user), [
        { recipeId: "emailpassword", recipeUserId: state.epId, email: state.email, phoneNumber: undefined, thirdParty: undefined, verified: false },
        { recipeId: "thirdparty", recipeUserId: state.tpRid, email: state.email, phoneNumber: undefined, thirdParty: { id: al.PROVIDER_ID, userId: state.tpUserId }, verified: false },
    ]);
    const linkCall = calls.find((c) => c.path === `${base()}/recipe/accountlinking/user/link`);
    assert.deepEqual(linkCall?.body, { recipeUserId: state.tpRid, primaryUserId: state.epId });
    const { session } = await al.sessionOf(tp);
    assert.equal(session.getUserId(), state.epId);
    assert.equal(session.getRecipeUserId().getAsString(), state.tpRid);
    assert.equal(await EmailVerification.isEmailVerified(rid(state.tpRid), state.email), false);
});

test("an email-password sign-up with the email of a third-party primary user is allowed and linked", async () => {
    const email = al.randomEmail("al-nover-tp");
    const tp = await ctx.thirdPartyApi({ id: `tp-${apps.tag()}`, email, email_verified: false });
    assert.equal(tp.json.status, "OK", tp.text);
    assert.equal(tp.json.user.isPrimaryUser, true);
    state.tpOnlyId = tp.json.user.id;

    const { result: up, paths } = await ctx.rec.during(() => ctx.signUpApi(email));
    assert.equal(up.json.status, "OK", up.text);
    assert.ok(paths.includes(`POST ${base()}/public/recipe/signup`), paths.join(", "));
    assert.equal(up.json.user.id, state.tpOnlyId);
    assert.deepEqual(up.json.user.loginMethods.map((lm) => lm.recipeId).sort(), ["emailpassword", "thirdparty"]);
    const epRid = up.json.user.loginMethods.find((lm) => lm.recipeId === "emailpassword").recipeUserId;
    assert.notEqual(epRid, state.tpOnlyId);
    const { session } = await al.sessionOf(up);
    assert.equal(session.getUserId(), state.tpOnlyId);
    assert.equal(session.getRecipeUserId().getAsString(), epRid);

    // Again: the email-password login method exists now.
    const again = await ctx.signUpApi(email);
    assert.deepEqual(again.json, {
        status: "FIELD_ERROR",
        formFields: [{ id: "email", error: "This email already exists. Please sign in instead." }],
    });
    // Sign-in works, as the primary user.
    const signIn = await ctx.signInApi(email);
    assert.equal(signIn.json.status, "OK", signIn.text);
    assert.equal(signIn.json.user.id, state.tpOnlyId);
    assert.equal((await al.sessionOf(signIn)).session.getRecipeUserId().getAsString(), epRid);
});

test("passwordless: the same email links, a phone number of its own makes a new primary user", async () => {
    const res = await ctx.passwordlessApi(state.email);
    assert.equal(res.json.status, "OK", res.text);
    assert.equal(res.json.createdNewRecipeUser, true);
    assert.equal(res.json.user.id, state.epId);
    assert.deepEqual(res.json.user.loginMethods.map((lm) => lm.recipeId).sort(), ["emailpassword", "passwordless", "thirdparty"]);
    // The passwordless consume verified the email for that login method only.
    const plMethod = res.json.user.loginMethods.find((lm) => lm.recipeId === "passwordless");
    assert.equal(plMethod.verified, true);
    state.plRid = plMethod.recipeUserId;
    assert.equal(res.json.user.loginMethods.find((lm) => lm.recipeId === "emailpassword").verified, false);
    assert.equal((await al.sessionOf(res)).session.getUserId(), state.epId);

    const phone = pl.randomPhone();
    const created = await ctx.app.ok("POST", "/auth/signinup/code", { body: { phoneNumber: phone.typed } });
    const sms = ctx.box.lastSmsTo(phone.e164);
    const byPhone = await ctx.app.ok("POST", "/auth/signinup/code/consume", {
        body: { preAuthSessionId: created.json.preAuthSessionId, deviceId: created.json.deviceId, userInputCode: sms.userInputCode },
    });
    assert.equal(byPhone.json.status, "OK", byPhone.text);
    assert.equal(byPhone.json.user.isPrimaryUser, true);
    assert.notEqual(byPhone.json.user.id, state.epId);
    assert.deepEqual(byPhone.json.user.phoneNumbers, [phone.e164]);
    state.phoneUserId = byPhone.json.user.id;
});

test("listing and counting: each primary user once", async () => {
    const expected = [state.epId, state.tpOnlyId, state.phoneUserId].sort();
    const list = await SuperTokens.getUsersNewestFirst({ tenantId: "public" });
    assert.deepEqual(list.users.map((u) => u.id).sort(), expected);
    assert.deepEqual(list.users.map((u) => u.id), [state.phoneUserId, state.tpOnlyId, state.epId]);
    assert.equal(await SuperTokens.getUserCount(), 3);
    assert.equal(await SuperTokens.getUserCount(["emailpassword"]), 2);
    assert.equal(await SuperTokens.getUserCount(["passwordless"]), 2);
    assert.equal(await SuperTokens.getUserCount(["thirdparty"]), 2);
    const dash = await ctx.dashboardOk("GET", "/users?limit=10");
    assert.deepEqual(dash.users.map((u) => u.id).sort(), expected);
    assert.deepEqual(await ctx.dashboardOk("GET", "/users/count"), { status: "OK", count: 3 });
    // Every session of the linked user, across its three login methods.
    const handles = await Session.getAllSessionHandlesForUser(state.epId);
    const infos = await Promise.all(handles.map((hd) => Session.getSessionInformation(hd)));
    assert.ok(infos.every((i) => i.userId === state.epId), JSON.stringify(infos));
    assert.deepEqual([...new Set(infos.map((i) => i.recipeUserId.getAsString()))].sort(), [state.epId, state.tpRid, state.plRid].sort());
});

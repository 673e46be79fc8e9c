"use strict";
// Account linking stage: automatic linking that requires verification
// (shouldDoAutomaticAccountLinking answers {shouldAutomaticallyLink: true,
// shouldRequireVerification: true}), driven through the SDK's own APIs
// (POST /auth/signup, /auth/signin, /auth/signinup with a fake provider,
// /auth/signinup/code[/consume]), its EmailVerification functions, Session,
// the core user APIs and the dashboard (API-key mode). App of its own
// (lib/accountlinking.js), so listings and counts are this file's users.
//
// The tests of this file build on each other and run in order.
const test = require("node:test");
const assert = require("node:assert/strict");
const al = require("../../lib/accountlinking");
const apps = require("../../lib/apps");

const { SuperTokens, Session, EmailPassword, EmailVerification, AccountLinking } = al;
const rid = (id) => SuperTokens.convertToRecipeUserId(id);
let ctx;
const state = {};

test.before(async () => {
    ctx = await al.startLinkingApp({ appPrefix: "sdk-al-auto", requireVerification: true });
});

test.after(async () => {
    await ctx?.close();
});

const base = () => `/appid-${ctx.appId}`;

test("sign up, verify the email, then a third-party sign-in with the same verified email: one primary user, two login methods", async () => {
    state.email = al.randomEmail("al-auto");
    const { result: up, paths: upPaths } = await ctx.rec.during(() => ctx.signUpApi(state.email));
    assert.equal(up.json.status, "OK", up.text);
    const epUser = up.json.user;
    state.epId = epUser.id;
    // Unverified, and linking requires verification: a plain recipe user.
    assert.equal(epUser.isPrimaryUser, false, up.text);
    assert.deepEqual(al.methods(epUser), [
        { recipeId: "emailpassword", recipeUserId: state.epId, email: state.email, phoneNumber: undefined, thirdParty: undefined, verified: false },
    ]);
    assert.ok(upPaths.includes(`POST ${base()}/public/recipe/signup`), upPaths.join(", "));
    assert.ok(!upPaths.some((p) => p.includes("/recipe/accountlinking/")), upPaths.join(", "));
    assert.equal((await SuperTokens.getUser(state.epId)).isPrimaryUser, false);
    // The sign-up's session (before any linking) is the recipe user's.
    const { session: upSession } = await al.sessionOf(up);
    assert.equal(upSession.getUserId(), state.epId);
    assert.equal(upSession.getRecipeUserId().getAsString(), state.epId);
    state.epHandles = [upSession.getHandle()];

    // Verifying the email makes it a primary user (the SDK asks the core).
    const { calls: verifyCalls } = await ctx.rec.during(() => al.verifyEmail(state.epId, state.email));
    const primaryCall = verifyCalls.find((c) => c.path === `${base()}/recipe/accountlinking/user/primary`);
    assert.ok(primaryCall, verifyCalls.map((c) => `${c.method} ${c.path}`).join(", "));
    assert.deepEqual(primaryCall.body, { recipeUserId: state.epId });
    const primary = await SuperTokens.getUser(state.epId);
    assert.equal(primary.isPrimaryUser, true);
    assert.equal(primary.id, state.epId);
    assert.equal(primary.loginMethods[0].verified, true);

    // The same verified email from the provider: a new recipe user, linked.
    state.tpUserId = `tp-${apps.tag()}`;
    const { result: tp, calls: tpCalls } = await ctx.rec.during(() =>
        ctx.thirdPartyApi({ id: state.tpUserId, email: state.email, email_verified: true }));
    assert.equal(tp.json.status, "OK", tp.text);
    assert.equal(tp.json.createdNewRecipeUser, true, tp.text);
    const linked = tp.json.user;
    assert.equal(linked.id, state.epId, tp.text);
    assert.equal(linked.isPrimaryUser, true);
    const tpMethod = linked.loginMethods.find((lm) => lm.recipeId === "thirdparty");
    assert.ok(tpMethod, tp.text);
    state.tpRid = tpMethod.recipeUserId;
    assert.notEqual(state.tpRid, state.epId);
    assert.deepEqual(al.methods(linked), [
        { recipeId: "emailpassword", recipeUserId: state.epId, email: state.email, phoneNumber: undefined, thirdParty: undefined, verified: true },
        { recipeId: "thirdparty", recipeUserId: state.tpRid, email: state.email, phoneNumber: undefined, thirdParty: { id: al.PROVIDER_ID, userId: state.tpUserId }, verified: true },
    ]);
    assert.deepEqual(linked.emails, [state.email]);
    assert.deepEqual(linked.thirdParty, [{ id: al.PROVIDER_ID, userId: state.tpUserId }]);
    assert.deepEqual(linked.tenantIds, ["public"]);
    const linkCall = tpCalls.find((c) => c.path === `${base()}/recipe/accountlinking/user/link`);
    assert.ok(linkCall, tpCalls.map((c) => `${c.method} ${c.path}`).join(", "));
    assert.deepEqual(linkCall.body, { recipeUserId: state.tpRid, primaryUserId: state.epId });
    state.tpHandles = [(await al.sessionOf(tp)).session.getHandle()];

    // Read back by either id: the same primary user (GET /user/id resolves a
    // linked recipe user id to its primary user).
    for (const id of [state.epId, state.tpRid]) {
        const u = await SuperTokens.getUser(id);
        assert.equal(u.id, state.epId, `getUser(${id})`);
        assert.equal(u.isPrimaryUser, true);
        assert.deepEqual(al.methods(u), al.methods(linked), `getUser(${id})`);
        assert.equal(u.timeJoined, Math.min(...u.loginMethods.map((lm) => lm.timeJoined)));
    }
    // By account info: once, by email and by the provider account.
    const byEmail = await SuperTokens.listUsersByAccountInfo("public", { email: state.email });
    assert.deepEqual(byEmail.map((u) => u.id), [state.epId]);
    assert.equal(byEmail[0].loginMethods.length, 2);
    const byProvider = await SuperTokens.listUsersByAccountInfo("public", { thirdParty: { id: al.PROVIDER_ID, userId: state.tpUserId } });
    assert.deepEqual(byProvider.map((u) => u.id), [state.epId]);
    // The email is verified for both login methods.
    assert.equal(await EmailVerification.isEmailVerified(rid(state.tpRid), state.email), true);
    assert.equal(await EmailVerification.isEmailVerified(rid(state.epId), state.email), true);

    // Signing in with the provider again: the same primary user, no new recipe user.
    const again = await ctx.thirdPartyApi({ id: state.tpUserId, email: state.email, email_verified: true });
    assert.equal(again.json.status, "OK", again.text);
    assert.equal(again.json.createdNewRecipeUser, false);
    assert.equal(again.json.user.id, state.epId);
    assert.equal(again.json.user.loginMethods.length, 2);
    state.tpSignIn = again;
});

test("a session of either login method: getUserId() is the primary user, getRecipeUserId() the login method", async () => {
    // The third-party sign-in's session.
    const { access: tpAccess, session: tpSession } = await al.sessionOf(state.tpSignIn);
    assert.equal(tpSession.getUserId(), state.epId);
    assert.equal(tpSession.getRecipeUserId().getAsString(), state.tpRid);
    const tpPayload = al.jwtPayload(tpAccess);
    assert.equal(tpPayload.sub, state.epId);
    assert.equal(tpPayload.rsub, state.tpRid);

    // The email-password sign-in's session.
    const { result: signIn, calls } = await ctx.rec.during(() => ctx.signInApi(state.email));
    assert.equal(signIn.json.status, "OK", signIn.text);
    assert.equal(signIn.json.user.id, state.epId);
    assert.equal(signIn.json.user.loginMethods.length, 2);
    const sessionCall = calls.find((c) => c.path === `${base()}/public/recipe/session`);
    assert.ok(sessionCall, calls.map((c) => `${c.method} ${c.path}`).join(", "));
    const { access: epAccess, session: epSession } = await al.sessionOf(signIn);
    assert.equal(epSession.getUserId(), state.epId);
    assert.equal(epSession.getRecipeUserId().getAsString(), state.epId);
    assert.equal(al.jwtPayload(epAccess).rsub, state.epId);

    // A session made with the SDK function for the third-party recipe user.
    const made = await Session.createNewSessionWithoutRequestResponse("public", rid(state.tpRid));
    assert.equal(made.getUserId(), state.epId);
    assert.equal(made.getRecipeUserId().getAsString(), state.tpRid);
    const info = await Session.getSessionInformation(made.getHandle());
    assert.equal(info.userId, state.epId);
    assert.equal(info.recipeUserId.getAsString(), state.tpRid);
    // A database-checked getSession agrees.
    const checked = await Session.getSessionWithoutRequestResponse(made.getAccessToken(), undefined, { checkDatabase: true });
    assert.equal(checked.getUserId(), state.epId);
    assert.equal(checked.getRecipeUserId().getAsString(), state.tpRid);

    // Session handles: of all linked accounts by default, of one login method
    // when fetchSessionsForAllLinkedAccounts is false.
    // (with the sessions of the sign-up and of the first third-party sign-in)
    state.tpHandles = [...state.tpHandles, tpSession.getHandle(), made.getHandle()].sort();
    state.epHandles = [...state.epHandles, epSession.getHandle()].sort();
    const all = (await Session.getAllSessionHandlesForUser(state.epId)).sort();
    assert.deepEqual(all, [...state.tpHandles, ...state.epHandles].sort());
    assert.deepEqual((await Session.getAllSessionHandlesForUser(state.epId, false)).sort(), state.epHandles);
    assert.deepEqual((await Session.getAllSessionHandlesForUser(state.tpRid, false)).sort(), state.tpHandles);
    assert.deepEqual((await Session.getAllSessionHandlesForUser(state.tpRid, true)).sort(), all);
});

test("a passwordless sign-in with the same email joins the primary user automatically", async () => {
    const { result: res, calls } = await ctx.rec.during(() => ctx.passwordlessApi(state.email));
    assert.equal(res.json.status, "OK", res.text);
    assert.equal(res.json.createdNewRecipeUser, true, res.text);
    const user = res.json.user;
    assert.equal(user.id, state.epId);
    assert.equal(user.isPrimaryUser, true);
    const plMethod = user.loginMethods.find((lm) => lm.recipeId === "passwordless");
    assert.ok(plMethod, res.text);
    state.plRid = plMethod.recipeUserId;
    assert.notEqual(state.plRid, state.epId);
    assert.equal(plMethod.email, state.email);
    assert.equal(plMethod.verified, true);
    assert.deepEqual(user.loginMethods.map((lm) => lm.recipeId).sort(), ["emailpassword", "passwordless", "thirdparty"]);
    const linkCall = calls.find((c) => c.path === `${base()}/recipe/accountlinking/user/link`);
    assert.ok(linkCall, calls.map((c) => `${c.method} ${c.path}`).join(", "));
    assert.deepEqual(linkCall.body, { recipeUserId: state.plRid, primaryUserId: state.epId });
    const { session } = await al.sessionOf(res);
    assert.equal(session.getUserId(), state.epId);
    assert.equal(session.getRecipeUserId().getAsString(), state.plRid);
    await Session.revokeSession(session.getHandle());
    const u = await SuperTokens.getUser(state.plRid);
    assert.equal(u.id, state.epId);
    assert.equal(u.loginMethods.length, 3);
});

test("listings show the linked user once; getUserCount counts it once", async () => {
    // A second, unrelated user of the app.
    state.otherEmail = al.randomEmail("al-auto-other");
    const other = await EmailPassword.signUp("public", state.otherEmail, al.PASSWORD);
    assert.equal(other.status, "OK", JSON.stringify(other));
    state.otherId = other.user.id;

    for (const list of [
        await SuperTokens.getUsersNewestFirst({ tenantId: "public" }),
        await SuperTokens.getUsersOldestFirst({ tenantId: "public" }),
    ]) {
        assert.equal(list.nextPaginationToken, undefined);
        assert.equal(list.users.length, 2, JSON.stringify(list.users.map((u) => u.id)));
        assert.deepEqual(list.users.map((u) => u.id).sort(), [state.epId, state.otherId].sort());
        const linked = list.users.find((u) => u.id === state.epId);
        assert.equal(linked.isPrimaryUser, true);
        assert.deepEqual(linked.loginMethods.map((lm) => lm.recipeId).sort(), ["emailpassword", "passwordless", "thirdparty"]);
    }
    const newest = await SuperTokens.getUsersNewestFirst({ tenantId: "public" });
    assert.deepEqual(newest.users.map((u) => u.id), [state.otherId, state.epId]);
    const oldest = await SuperTokens.getUsersOldestFirst({ tenantId: "public" });
    assert.deepEqual(oldest.users.map((u) => u.id), [state.epId, state.otherId]);
    // Paging one by one still shows each user once.
    const page1 = await SuperTokens.getUsersOldestFirst({ tenantId: "public", limit: 1 });
    assert.deepEqual(page1.users.map((u) => u.id), [state.epId]);
    assert.ok(page1.nextPaginationToken, "a second page");
    const page2 = await SuperTokens.getUsersOldestFirst({ tenantId: "public", limit: 1, paginationToken: page1.nextPaginationToken });
    assert.deepEqual(page2.users.map((u) => u.id), [state.otherId]);
    // A recipe filter matches the linked user through any of its login methods.
    const tpOnly = await SuperTokens.getUsersNewestFirst({ tenantId: "public", includeRecipeIds: ["thirdparty"] });
    assert.deepEqual(tpOnly.users.map((u) => u.id), [state.epId]);
    assert.equal(tpOnly.users[0].loginMethods.length, 3);
    const plOnly = await SuperTokens.getUsersNewestFirst({ tenantId: "public", includeRecipeIds: ["passwordless"] });
    assert.deepEqual(plOnly.users.map((u) => u.id), [state.epId]);
    const epOnly = await SuperTokens.getUsersNewestFirst({ tenantId: "public", includeRecipeIds: ["emailpassword"] });
    assert.deepEqual(epOnly.users.map((u) => u.id).sort(), [state.epId, state.otherId].sort());
    // An email search finds the linked user once.
    const search = await SuperTokens.getUsersNewestFirst({ tenantId: "public", query: { email: state.email } });
    assert.deepEqual(search.users.map((u) => u.id), [state.epId]);

    assert.equal(await SuperTokens.getUserCount(), 2);
    assert.equal(await SuperTokens.getUserCount(undefined, "public"), 2);
    assert.equal(await SuperTokens.getUserCount(["thirdparty"]), 1);
    assert.equal(await SuperTokens.getUserCount(["emailpassword"]), 2);
    assert.equal(await SuperTokens.getUserCount(["thirdparty", "passwordless"]), 1);
    assert.equal(await SuperTokens.getUserCount(["emailpassword", "thirdparty", "passwordless"]), 2);
});

test("the dashboard's user API shows the linked user with all its login methods; its unlink API unlinks one", async () => {
    for (const id of [state.epId, state.tpRid, state.plRid]) {
        const shown = await ctx.dashboardOk("GET", `/user?userId=${encodeURIComponent(id)}`);
        assert.equal(shown.status, "OK", JSON.stringify(shown));
        assert.equal(shown.user.id, state.epId, `userId=${id}`);
        assert.equal(shown.user.isPrimaryUser, true);
        assert.deepEqual(shown.user.emails, [state.email]);
        assert.deepEqual(shown.user.thirdParty, [{ id: al.PROVIDER_ID, userId: state.tpUserId }]);
        assert.deepEqual(
            shown.user.loginMethods.map((lm) => [lm.recipeId, lm.recipeUserId, lm.email, lm.verified]).sort(),
            [
                ["emailpassword", state.epId, state.email, true],
                ["passwordless", state.plRid, state.email, true],
                ["thirdparty", state.tpRid, state.email, true],
            ].sort(),
        );
        assert.equal(shown.user.firstName, "");
    }
    const unknown = await ctx.dashboardOk("GET", `/user?userId=${encodeURIComponent("00000000-0000-4000-8000-000000000000")}`);
    assert.deepEqual(unknown, { status: "NO_USER_FOUND_ERROR" });

    // The users list and count: the linked user once.
    const listed = await ctx.dashboardOk("GET", "/users?limit=10");
    assert.equal(listed.status, "OK");
    assert.deepEqual(listed.users.map((u) => u.id).sort(), [state.epId, state.otherId].sort());
    assert.equal(listed.users.find((u) => u.id === state.epId).loginMethods.length, 3);
    const count = await ctx.dashboardOk("GET", "/users/count");
    assert.deepEqual(count, { status: "OK", count: 2 });
    // The user's sessions: of every login method, each as the primary user.
    const sessions = await ctx.dashboardOk("GET", `/user/sessions?userId=${encodeURIComponent(state.epId)}`);
    assert.equal(sessions.status, "OK");
    assert.deepEqual(sessions.sessions.map((x) => x.sessionHandle).sort(), [...state.epHandles, ...state.tpHandles].sort());
    for (const x of sessions.sessions) {
        assert.equal(x.userId, state.epId);
        // (a RecipeUserId object, serialised as it is by the dashboard API)
        assert.deepEqual(x.recipeUserId, { recipeUserId: state.epHandles.includes(x.sessionHandle) ? state.epId : state.tpRid });
    }

    // The dashboard's unlink: the passwordless login method becomes a user of its own.
    const { result: unlinked, calls } = await ctx.rec.during(() =>
        ctx.dashboardOk("GET", `/user/unlink?recipeUserId=${encodeURIComponent(state.plRid)}`));
    assert.deepEqual(unlinked, { status: "OK" });
    const unlinkCall = calls.find((c) => c.path === `${base()}/recipe/accountlinking/user/unlink`);
    assert.deepEqual(unlinkCall?.body, { recipeUserId: state.plRid });
    const after = await ctx.dashboardOk("GET", `/user?userId=${encodeURIComponent(state.epId)}`);
    assert.deepEqual(after.user.loginMethods.map((lm) => lm.recipeId).sort(), ["emailpassword", "thirdparty"]);
    const pl = await ctx.dashboardOk("GET", `/user?userId=${encodeURIComponent(state.plRid)}`);
    assert.equal(pl.user.id, state.plRid);
    assert.equal(pl.user.isPrimaryUser, false);
    assert.deepEqual(pl.user.loginMethods.map((lm) => lm.recipeId), ["passwordless"]);
    assert.deepEqual(await ctx.dashboardOk("GET", "/users/count"), { status: "OK", count: 3 });
    // Removed again, so the rest of the file has the two users it expects.
    await SuperTokens.deleteUser(state.plRid);
    assert.equal(await SuperTokens.getUser(state.plRid), undefined);
    assert.equal((await SuperTokens.getUser(state.epId)).loginMethods.length, 2);
});

test("AccountLinking.unlinkAccount: two separate users again; the unlinked login method's sessions end", async () => {
    const { result, calls } = await ctx.rec.during(() => AccountLinking.unlinkAccount(rid(state.tpRid)));
    assert.deepEqual(result, { status: "OK", wasRecipeUserDeleted: false, wasLinked: true });
    const call = calls.find((c) => c.path === `${base()}/recipe/accountlinking/user/unlink`);
    assert.deepEqual(call?.body, { recipeUserId: state.tpRid });

    const primary = await SuperTokens.getUser(state.epId);
    assert.equal(primary.id, state.epId);
    assert.equal(primary.isPrimaryUser, true);
    assert.deepEqual(primary.loginMethods.map((lm) => lm.recipeId), ["emailpassword"]);
    assert.deepEqual(primary.thirdParty, []);
    const tpUser = await SuperTokens.getUser(state.tpRid);
    assert.equal(tpUser.id, state.tpRid);
    assert.equal(tpUser.isPrimaryUser, false);
    assert.deepEqual(al.methods(tpUser), [
        { recipeId: "thirdparty", recipeUserId: state.tpRid, email: state.email, phoneNumber: undefined, thirdParty: { id: al.PROVIDER_ID, userId: state.tpUserId }, verified: true },
    ]);
    const byEmail = await SuperTokens.listUsersByAccountInfo("public", { email: state.email });
    assert.deepEqual(byEmail.map((u) => u.id).sort(), [state.epId, state.tpRid].sort());
    assert.equal(await SuperTokens.getUserCount(), 3);

    // The unlinked login method's sessions are gone; the primary user's stay.
    for (const handle of state.tpHandles) {
        assert.equal(await Session.getSessionInformation(handle), undefined, `session ${handle} of the unlinked login method`);
    }
    for (const handle of state.epHandles) {
        assert.equal((await Session.getSessionInformation(handle))?.userId, state.epId, `session ${handle} of the primary user`);
    }
    assert.deepEqual((await Session.getAllSessionHandlesForUser(state.epId)).sort(), state.epHandles);

    // Unlinking again: nothing was linked.
    assert.deepEqual(await AccountLinking.unlinkAccount(rid(state.tpRid)), { status: "OK", wasRecipeUserDeleted: false, wasLinked: false });
    // A session of the unlinked user is its own.
    const own = await Session.createNewSessionWithoutRequestResponse("public", rid(state.tpRid));
    assert.equal(own.getUserId(), state.tpRid);
    assert.equal(own.getRecipeUserId().getAsString(), state.tpRid);

    // Signing in with the provider again links it again (its email is verified,
    // as is the primary user's).
    const again = await ctx.thirdPartyApi({ id: state.tpUserId, email: state.email, email_verified: true });
    assert.equal(again.json.status, "OK", again.text);
    assert.equal(again.json.createdNewRecipeUser, false);
    assert.equal(again.json.user.id, state.epId);
    assert.deepEqual(again.json.user.loginMethods.map((lm) => lm.recipeId).sort(), ["emailpassword", "thirdparty"]);
    assert.equal((await al.sessionOf(again)).session.getUserId(), state.epId);
    assert.equal(await SuperTokens.getUserCount(), 2);
});

test("email-password sign-up through the SDK's API with the email of a primary user is refused as the SDK does", async () => {
    // A primary user made by a verified third-party sign-in, email only there.
    const email = al.randomEmail("al-auto-tp-only");
    const tp = await ctx.thirdPartyApi({ id: `tp-${apps.tag()}`, email, email_verified: true });
    assert.equal(tp.json.status, "OK", tp.text);
    assert.equal(tp.json.user.isPrimaryUser, true, tp.text);
    state.tpOnlyId = tp.json.user.id;
    state.tpOnlyEmail = email;

    // The sign-up would be unverified and would have to be linked to that
    // primary user: SIGN_UP_NOT_ALLOWED, and no user is created.
    const { result: refused, paths } = await ctx.rec.during(() => ctx.signUpApi(email));
    assert.deepEqual(refused.json, {
        status: "SIGN_UP_NOT_ALLOWED",
        reason: "Cannot sign up due to security reasons. Please try logging in, use a different login method or contact support. (ERR_CODE_007)",
    });
    assert.equal(refused.headers.get("st-access-token"), null);
    assert.ok(paths.includes(`GET ${base()}/public/users/by-accountinfo`), paths.join(", "));
    assert.ok(!paths.includes(`POST ${base()}/public/recipe/signup`), paths.join(", "));
    assert.deepEqual((await SuperTokens.listUsersByAccountInfo("public", { email })).map((u) => u.id), [state.tpOnlyId]);

    // The email of the linked user, which has an email-password login method:
    // the SDK finds it itself (EMAIL_ALREADY_EXISTS_ERROR, no sign-up call),
    // which the API answers as the email field's error.
    const { result: exists, paths: existsPaths } = await ctx.rec.during(() => ctx.signUpApi(state.email));
    assert.deepEqual(exists.json, {
        status: "FIELD_ERROR",
        formFields: [{ id: "email", error: "This email already exists. Please sign in instead." }],
    });
    assert.ok(!existsPaths.includes(`POST ${base()}/public/recipe/signup`), existsPaths.join(", "));

    // A third-party sign-up whose provider says the email is unverified, with
    // the email of a primary user: refused too.
    const tpUnverified = await ctx.thirdPartyApi({ id: `tp-${apps.tag()}`, email, email_verified: false });
    assert.deepEqual(tpUnverified.json, {
        status: "SIGN_IN_UP_NOT_ALLOWED",
        reason: "Cannot sign in / up due to security reasons. Please try a different login method or contact support. (ERR_CODE_006)",
    });
    assert.deepEqual((await SuperTokens.listUsersByAccountInfo("public", { email })).map((u) => u.id), [state.tpOnlyId]);
    assert.equal(await SuperTokens.getUserCount(), 3);
});

test("an unverified email-password user made with the recipe function stays apart until its email is verified, then joins", async () => {
    // EmailPassword.signUp (the recipe function, no API checks): the core
    // creates the user, the SDK does not link an unverified one.
    const made = await EmailPassword.signUp("public", state.tpOnlyEmail, al.PASSWORD);
    assert.equal(made.status, "OK", JSON.stringify(made));
    const epRid = made.recipeUserId.getAsString();
    assert.equal(made.user.id, epRid);
    assert.equal(made.user.isPrimaryUser, false);
    const both = await SuperTokens.listUsersByAccountInfo("public", { email: state.tpOnlyEmail });
    assert.deepEqual(both.map((u) => u.id).sort(), [state.tpOnlyId, epRid].sort());
    // Its sign-in through the API is refused: unverified, and a primary user has the email.
    const signIn = await ctx.signInApi(state.tpOnlyEmail);
    assert.deepEqual(signIn.json, {
        status: "SIGN_IN_NOT_ALLOWED",
        reason: "Cannot sign in due to security reasons. Please try resetting your password, use a different login method or contact support. (ERR_CODE_008)",
    });

    // Verifying the email links it to the primary user.
    const { calls } = await ctx.rec.during(() => al.verifyEmail(epRid, state.tpOnlyEmail));
    const linkCall = calls.find((c) => c.path === `${base()}/recipe/accountlinking/user/link`);
    assert.deepEqual(linkCall?.body, { recipeUserId: epRid, primaryUserId: state.tpOnlyId });
    const joined = await SuperTokens.getUser(epRid);
    assert.equal(joined.id, state.tpOnlyId);
    assert.deepEqual(joined.loginMethods.map((lm) => lm.recipeId).sort(), ["emailpassword", "thirdparty"]);
    // Now the API sign-in works, as the primary user.
    const ok = await ctx.signInApi(state.tpOnlyEmail);
    assert.equal(ok.json.status, "OK", ok.text);
    assert.equal(ok.json.user.id, state.tpOnlyId);
    const { session } = await al.sessionOf(ok);
    assert.equal(session.getUserId(), state.tpOnlyId);
    assert.equal(session.getRecipeUserId().getAsString(), epRid);
    assert.equal(await SuperTokens.getUserCount(), 3);
});

test("a password reset for a third-party-only primary user adds an email-password login method, linked to it", async () => {
    const email = al.randomEmail("al-auto-reset");
    const tp = await ctx.thirdPartyApi({ id: `tp-${apps.tag()}`, email, email_verified: true });
    assert.equal(tp.json.status, "OK", tp.text);
    assert.equal(tp.json.user.isPrimaryUser, true);
    const primaryId = tp.json.user.id;

    // The token is made for the primary user id (no email-password user yet).
    const { result: asked, calls } = await ctx.rec.during(() =>
        ctx.app.ok("POST", "/auth/user/password/reset/token", { body: { formFields: [{ id: "email", value: email }] } }));
    assert.deepEqual(asked.json, { status: "OK" });
    const tokenCall = calls.find((c) => c.path === `${base()}/public/recipe/user/password/reset/token`);
    assert.deepEqual(tokenCall?.body, { userId: primaryId, email }, calls.map((c) => `${c.method} ${c.path}`).join(", "));
    const mail = ctx.box.lastEmailTo(email);
    assert.equal(mail.type, "PASSWORD_RESET");
    assert.equal(mail.user.id, primaryId);
    const token = new URL(mail.passwordResetLink).searchParams.get("token");
    assert.ok(token, mail.passwordResetLink);

    // Using it creates the email-password login method and links it.
    const newPassword = "reset-password-2";
    const { result: reset, paths } = await ctx.rec.during(() =>
        ctx.app.ok("POST", "/auth/user/password/reset", { body: { method: "token", token, formFields: [{ id: "password", value: newPassword }] } }));
    assert.deepEqual(reset.json, { status: "OK" });
    for (const p of [
        `POST ${base()}/public/recipe/user/password/reset/token/consume`,
        `POST ${base()}/public/recipe/signup`,
        `POST ${base()}/recipe/accountlinking/user/link`,
    ]) {
        assert.ok(paths.includes(p), `${p} in ${paths.join(", ")}`);
    }
    const user = await SuperTokens.getUser(primaryId);
    assert.equal(user.id, primaryId);
    assert.deepEqual(user.loginMethods.map((lm) => [lm.recipeId, lm.email, lm.verified]).sort(), [
        ["emailpassword", email, true],
        ["thirdparty", email, true],
    ]);
    const epRid = user.loginMethods.find((lm) => lm.recipeId === "emailpassword").recipeUserId.getAsString();

    const signIn = await ctx.signInApi(email, newPassword);
    assert.equal(signIn.json.status, "OK", signIn.text);
    assert.equal(signIn.json.user.id, primaryId);
    const { session } = await al.sessionOf(signIn);
    assert.equal(session.getUserId(), primaryId);
    assert.equal(session.getRecipeUserId().getAsString(), epRid);
    // The token is used up.
    const again = await ctx.app.ok("POST", "/auth/user/password/reset", { body: { method: "token", token, formFields: [{ id: "password", value: newPassword }] } });
    assert.deepEqual(again.json, { status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" });
    assert.equal(await SuperTokens.getUserCount(), 4);
});

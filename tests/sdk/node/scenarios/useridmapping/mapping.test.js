"use strict";
// UserIdMapping stage: an EmailPassword user given the application's own id
// with SuperTokens.createUserIdMapping, then used through that id everywhere:
// getUser, signIn, sessions, UserMetadata, EmailVerification; the mapping is
// looked up, its info updated, refused removal while data is kept under the
// external id, force-removed, and the user deleted.
//
// The server is shared by every file and by reruns, so the email and the
// external id carry a random tag. The tests of this file build on each other
// and run in order.
const test = require("node:test");
const assert = require("node:assert/strict");
const SuperTokens = require("supertokens-node");
const Session = require("supertokens-node/recipe/session");
const EmailPassword = require("supertokens-node/recipe/emailpassword");
const EmailVerification = require("supertokens-node/recipe/emailverification");
const UserMetadata = require("supertokens-node/recipe/usermetadata");
const h = require("../../lib/harness");
const apps = require("../../lib/apps");

const PASSWORD = "first-Passw0rd";
const rec = apps.coreRecorder();

h.initSdk({
    recipeList: [
        EmailPassword.init(),
        EmailVerification.init({ mode: "OPTIONAL" }),
        UserMetadata.init(),
        Session.init(),
    ],
    networkInterceptor: rec.intercept,
});

const rid = (id) => SuperTokens.convertToRecipeUserId(id);
const EMAIL = `uidmap-${apps.tag()}@example.com`;
const EXTERNAL = `ext-uidmap-${apps.tag()}`;
const INFO = `migrated from legacy-${apps.tag(3)}`;
// Filled by the tests as they go.
const state = {};

// The core call a function made, which must be the only one.
function onlyCall(calls, method, path) {
    assert.deepEqual(calls.map((c) => `${c.method} ${c.path}`), [`${method} ${path}`]);
    const call = calls[0];
    assert.equal(call.headers["cdi-version"], "5.4");
    // The UserIdMapping functions live on SuperTokens itself, whose querier
    // names no recipe.
    assert.equal(call.headers.rid, undefined, `rid header: ${call.headers.rid}`);
    return call;
}

function assertMappedUser(user, { id, email, verified }) {
    assert.ok(user, "the user must be found");
    assert.equal(user.id, id);
    assert.deepEqual(user.emails, [email]);
    assert.deepEqual(user.tenantIds, ["public"]);
    assert.equal(user.isPrimaryUser, false);
    assert.equal(user.loginMethods.length, 1);
    const lm = user.loginMethods[0];
    assert.equal(lm.recipeId, "emailpassword");
    assert.equal(lm.recipeUserId.getAsString(), id);
    assert.equal(lm.email, email);
    if (verified !== undefined) {
        assert.equal(lm.verified, verified);
    }
}

test("sign up an EmailPassword user", async () => {
    const res = await EmailPassword.signUp("public", EMAIL, PASSWORD);
    assert.equal(res.status, "OK", JSON.stringify(res));
    state.stId = res.user.id;
    assert.notEqual(state.stId, EXTERNAL);
    assert.equal(res.recipeUserId.getAsString(), state.stId);
});

test("createUserIdMapping maps the user; again and for an unknown user it answers the errors", async () => {
    const { result, calls } = await rec.during(() =>
        SuperTokens.createUserIdMapping({ superTokensUserId: state.stId, externalUserId: EXTERNAL, externalUserIdInfo: INFO }),
    );
    assert.deepEqual(result, { status: "OK" });
    const call = onlyCall(calls, "POST", "/recipe/userid/map");
    // force: undefined is left out by JSON.stringify.
    assert.deepEqual(call.body, { superTokensUserId: state.stId, externalUserId: EXTERNAL, externalUserIdInfo: INFO, force: undefined });

    // The same mapping again: both ids are taken.
    assert.deepEqual(
        await SuperTokens.createUserIdMapping({ superTokensUserId: state.stId, externalUserId: EXTERNAL, externalUserIdInfo: INFO }),
        { status: "USER_ID_MAPPING_ALREADY_EXISTS_ERROR", doesSuperTokensUserIdExist: true, doesExternalUserIdExist: true },
    );

    const unknown = "00000000-0000-4000-8000-" + apps.tag(6);
    assert.deepEqual(
        await SuperTokens.createUserIdMapping({ superTokensUserId: unknown, externalUserId: `ext-other-${apps.tag()}` }),
        { status: "UNKNOWN_SUPERTOKENS_USER_ID_ERROR" },
    );
});

test("getUserIdMapping finds the mapping by either id, per userIdType", async () => {
    const mapping = { status: "OK", superTokensUserId: state.stId, externalUserId: EXTERNAL, externalUserIdInfo: INFO };

    const { result, calls } = await rec.during(() => SuperTokens.getUserIdMapping({ userId: EXTERNAL, userIdType: "EXTERNAL" }));
    assert.deepEqual(result, mapping);
    const call = onlyCall(calls, "GET", "/recipe/userid/map");
    assert.deepEqual(call.params, { userId: EXTERNAL, userIdType: "EXTERNAL" });

    assert.deepEqual(await SuperTokens.getUserIdMapping({ userId: state.stId, userIdType: "SUPERTOKENS" }), mapping);
    assert.deepEqual(await SuperTokens.getUserIdMapping({ userId: state.stId, userIdType: "ANY" }), mapping);
    // Without a userIdType the SDK leaves the parameter out: ANY.
    const { result: any, calls: anyCalls } = await rec.during(() => SuperTokens.getUserIdMapping({ userId: EXTERNAL }));
    assert.deepEqual(any, mapping);
    assert.equal(anyCalls[0].params.userIdType, undefined);

    // The wrong type finds nothing.
    assert.deepEqual(await SuperTokens.getUserIdMapping({ userId: EXTERNAL, userIdType: "SUPERTOKENS" }), { status: "UNKNOWN_MAPPING_ERROR" });
    assert.deepEqual(await SuperTokens.getUserIdMapping({ userId: state.stId, userIdType: "EXTERNAL" }), { status: "UNKNOWN_MAPPING_ERROR" });
    assert.deepEqual(await SuperTokens.getUserIdMapping({ userId: `nope-${apps.tag()}` }), { status: "UNKNOWN_MAPPING_ERROR" });
});

test("updateOrDeleteUserIdMappingInfo changes, then removes the info", async () => {
    const newInfo = `${INFO} (updated)`;
    const { result, calls } = await rec.during(() =>
        SuperTokens.updateOrDeleteUserIdMappingInfo({ userId: EXTERNAL, userIdType: "EXTERNAL", externalUserIdInfo: newInfo }),
    );
    assert.deepEqual(result, { status: "OK" });
    const call = onlyCall(calls, "PUT", "/recipe/userid/external-user-id-info");
    assert.deepEqual(call.body, { userId: EXTERNAL, userIdType: "EXTERNAL", externalUserIdInfo: newInfo });
    assert.equal((await SuperTokens.getUserIdMapping({ userId: EXTERNAL })).externalUserIdInfo, newInfo);

    // No info: the SDK sends null, the info goes away.
    const { result: removed, calls: removeCalls } = await rec.during(() =>
        SuperTokens.updateOrDeleteUserIdMappingInfo({ userId: state.stId, userIdType: "SUPERTOKENS" }),
    );
    assert.deepEqual(removed, { status: "OK" });
    assert.deepEqual(removeCalls[0].body, { userId: state.stId, userIdType: "SUPERTOKENS", externalUserIdInfo: null });
    assert.deepEqual(await SuperTokens.getUserIdMapping({ userId: EXTERNAL }), {
        status: "OK",
        superTokensUserId: state.stId,
        externalUserId: EXTERNAL,
    });

    // Back to the original info (by the external id, type ANY).
    assert.deepEqual(await SuperTokens.updateOrDeleteUserIdMappingInfo({ userId: EXTERNAL, externalUserIdInfo: INFO }), { status: "OK" });
    assert.equal((await SuperTokens.getUserIdMapping({ userId: state.stId })).externalUserIdInfo, INFO);

    assert.deepEqual(
        await SuperTokens.updateOrDeleteUserIdMappingInfo({ userId: `nope-${apps.tag()}`, externalUserIdInfo: "x" }),
        { status: "UNKNOWN_MAPPING_ERROR" },
    );
});

test("getUser by either id shows the external id as id and recipeUserId", async () => {
    const { result: byExternal, paths } = await rec.during(() => SuperTokens.getUser(EXTERNAL));
    assert.deepEqual(paths, ["GET /user/id"]);
    assertMappedUser(byExternal, { id: EXTERNAL, email: EMAIL, verified: false });

    assertMappedUser(await SuperTokens.getUser(state.stId), { id: EXTERNAL, email: EMAIL, verified: false });

    const listed = await SuperTokens.listUsersByAccountInfo("public", { email: EMAIL });
    assert.deepEqual(listed.map((u) => u.id), [EXTERNAL]);
    assert.equal(listed[0].loginMethods[0].recipeUserId.getAsString(), EXTERNAL);
});

test("signIn answers the user and recipeUserId with the external id", async () => {
    const res = await EmailPassword.signIn("public", EMAIL, PASSWORD);
    assert.equal(res.status, "OK", JSON.stringify(res));
    assertMappedUser(res.user, { id: EXTERNAL, email: EMAIL });
    assert.equal(res.recipeUserId.getAsString(), EXTERNAL);
    state.recipeUserId = res.recipeUserId;
});

test("a session for the signed-in recipe user is the external id's", async () => {
    const { result: session, calls, paths } = await rec.during(() =>
        Session.createNewSessionWithoutRequestResponse("public", state.recipeUserId, { plan: "gold" }),
    );
    // GET /user/id (the SDK takes user.id), the st-ev claim, then the session.
    assert.deepEqual(paths, ["GET /user/id", "GET /recipe/user/email/verify", "POST /public/recipe/session"]);
    assert.equal(calls[0].params.userId, EXTERNAL);
    // The SDK sends the recipe user id as userId; the session's userId and
    // recipeUserId are the core's answer.
    assert.equal(calls[2].body.userId, EXTERNAL);
    assert.equal(session.getUserId(), EXTERNAL);
    assert.equal(session.getRecipeUserId().getAsString(), EXTERNAL);
    state.handle = session.getHandle();

    const tokens = session.getAllSessionTokensDangerously();
    const claims = JSON.parse(Buffer.from(tokens.accessToken.split(".")[1], "base64url").toString());
    assert.equal(claims.sub, EXTERNAL);
    assert.equal(claims.rsub, EXTERNAL);

    const verified = await Session.getSessionWithoutRequestResponse(tokens.accessToken);
    assert.equal(verified.getUserId(), EXTERNAL);
    assert.equal(verified.getRecipeUserId().getAsString(), EXTERNAL);
    assert.equal(verified.getHandle(), state.handle);
    const checked = await Session.getSessionWithoutRequestResponse(tokens.accessToken, undefined, { checkDatabase: true });
    assert.equal(checked.getUserId(), EXTERNAL);

    const info = await Session.getSessionInformation(state.handle);
    assert.equal(info.userId, EXTERNAL);
    assert.equal(info.recipeUserId.getAsString(), EXTERNAL);
});

test("the external id's sessions are listed by that id", async () => {
    // Only the sessions of exactly this id.
    const { result: own, calls } = await rec.during(() => Session.getAllSessionHandlesForUser(EXTERNAL, false));
    assert.deepEqual(own, [state.handle]);
    assert.equal(calls[0].path, "/recipe/session/user");
    assert.deepEqual(calls[0].params, { userId: EXTERNAL, fetchSessionsForAllLinkedAccounts: false, fetchAcrossAllTenants: true });

    // The SDK's default: the id's sessions plus those of its linked accounts.
    // Upstream always includes the id given (Session.getAllNonExpiredSessionHandlesForUser
    // starts from {userId} and adds the login methods' SuperTokens ids).
    const { result: linked, calls: linkedCalls } = await rec.during(() => Session.getAllSessionHandlesForUser(EXTERNAL));
    assert.deepEqual(linkedCalls[0].params, { userId: EXTERNAL, fetchSessionsForAllLinkedAccounts: true, fetchAcrossAllTenants: true });
    assert.deepEqual(linked, [state.handle], "GET /recipe/session/user?fetchSessionsForAllLinkedAccounts=true must include the given id's sessions");
});

test("the external id's sessions are revoked by that id", async () => {
    // Also with the linked accounts' sessions (the SDK's default), which again
    // includes the id given.
    const { result: revoked, calls: revokeCalls } = await rec.during(() => Session.revokeAllSessionsForUser(EXTERNAL));
    assert.equal(revokeCalls[0].path, "/recipe/session/remove");
    assert.deepEqual(revokeCalls[0].body, { userId: EXTERNAL, revokeSessionsForLinkedAccounts: true, revokeAcrossAllTenants: true });
    assert.deepEqual(revoked, [state.handle], "POST /recipe/session/remove with revokeSessionsForLinkedAccounts: true must revoke the given id's sessions");
    assert.equal(await Session.getSessionInformation(state.handle), undefined);
});

test("UserMetadata is kept under the external id", async () => {
    const { result, calls } = await rec.during(() => UserMetadata.updateUserMetadata(EXTERNAL, { plan: "gold", legacy: { id: 7 } }));
    assert.deepEqual(result, { status: "OK", metadata: { plan: "gold", legacy: { id: 7 } } });
    assert.equal(calls[0].path, "/recipe/user/metadata");
    assert.equal(calls[0].body.userId, EXTERNAL);
    assert.deepEqual(await UserMetadata.getUserMetadata(EXTERNAL), { status: "OK", metadata: { plan: "gold", legacy: { id: 7 } } });
});

test("EmailVerification with the external recipe user id", async () => {
    const created = await rec.during(() => EmailVerification.createEmailVerificationToken("public", state.recipeUserId));
    assert.equal(created.result.status, "OK", JSON.stringify(created.result));
    // Without an email the SDK reads it from the user's login method whose
    // recipeUserId is the one given, then asks for the token under that id.
    assert.deepEqual(created.paths, ["GET /user/id", "POST /public/recipe/user/email/verify/token"]);
    assert.deepEqual(created.calls[1].body, { userId: EXTERNAL, email: EMAIL });

    const verified = await EmailVerification.verifyEmailUsingToken("public", created.result.token);
    assert.equal(verified.status, "OK", JSON.stringify(verified));
    assert.equal(verified.user.recipeUserId.getAsString(), EXTERNAL);
    assert.equal(verified.user.email, EMAIL);

    assert.equal(await EmailVerification.isEmailVerified(state.recipeUserId), true);
    assert.equal(await EmailVerification.isEmailVerified(state.recipeUserId, EMAIL), true);
    assertMappedUser(await SuperTokens.getUser(EXTERNAL), { id: EXTERNAL, email: EMAIL, verified: true });
    assert.deepEqual(await EmailVerification.createEmailVerificationToken("public", state.recipeUserId), {
        status: "EMAIL_ALREADY_VERIFIED_ERROR",
    });
});

test("deleteUserIdMapping: refused while data is kept under the external id, then forced", async () => {
    await assert.rejects(
        () => SuperTokens.deleteUserIdMapping({ userId: EXTERNAL, userIdType: "EXTERNAL" }),
        (err) => {
            assert.match(err.message, /SuperTokens core threw an error for a POST request to path: '\/recipe\/userid\/map\/remove' with status code: 400/);
            assert.match(err.message, /UserId is already in use in \w+ recipe/);
            return true;
        },
    );
    // Still mapped.
    assert.equal((await SuperTokens.getUserIdMapping({ userId: EXTERNAL })).status, "OK");

    const { result, calls } = await rec.during(() =>
        SuperTokens.deleteUserIdMapping({ userId: EXTERNAL, userIdType: "EXTERNAL", force: true }),
    );
    assert.deepEqual(result, { status: "OK", didMappingExist: true });
    const call = onlyCall(calls, "POST", "/recipe/userid/map/remove");
    assert.deepEqual(call.body, { userId: EXTERNAL, userIdType: "EXTERNAL", force: true });

    assert.deepEqual(await SuperTokens.deleteUserIdMapping({ userId: EXTERNAL, userIdType: "EXTERNAL", force: true }), {
        status: "OK",
        didMappingExist: false,
    });
    assert.deepEqual(await SuperTokens.getUserIdMapping({ userId: EXTERNAL }), { status: "UNKNOWN_MAPPING_ERROR" });
    // The user is the SuperTokens id's again; the external id is nobody.
    assertMappedUser(await SuperTokens.getUser(state.stId), { id: state.stId, email: EMAIL });
    assert.equal(await SuperTokens.getUser(EXTERNAL), undefined);
    const signedIn = await EmailPassword.signIn("public", EMAIL, PASSWORD);
    assert.equal(signedIn.status, "OK");
    assert.equal(signedIn.user.id, state.stId);
    assert.equal(signedIn.recipeUserId.getAsString(), state.stId);
});

test("deleteUser removes the user", async () => {
    const { paths } = await rec.during(() => SuperTokens.deleteUser(state.stId));
    assert.deepEqual(paths, ["POST /user/remove"]);
    assert.equal(await SuperTokens.getUser(state.stId), undefined);
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email: EMAIL }), []);
    assert.deepEqual(await EmailPassword.signIn("public", EMAIL, PASSWORD), { status: "WRONG_CREDENTIALS_ERROR" });

    // What the forced removal left under the external id is the application's
    // to clean up (the external id is nobody's now).
    await Session.revokeAllSessionsForUser(EXTERNAL);
    await UserMetadata.clearUserMetadata(EXTERNAL);
    assert.deepEqual(await Session.getAllSessionHandlesForUser(EXTERNAL), []);
    assert.deepEqual(await UserMetadata.getUserMetadata(EXTERNAL), { status: "OK", metadata: {} });
});

"use strict";
// TOTP as a second factor, without a frontend: supertokens-node's
// MultiFactorAuth functions on a session made for a signed-up EmailPassword
// user whose required secondary factors (user metadata) are ["totp"]. Whether
// TOTP is set up for the user is what the TOTP recipe reads from the core's
// device list; the factor is marked complete in the session once verifyTOTP
// has accepted a code. In an app of its own (GATEHOUSE_URL/appid-<app>).
//
// The tests of this file build on each other and run in order.
const test = require("node:test");
const assert = require("node:assert/strict");
const SuperTokens = require("supertokens-node");
const Session = require("supertokens-node/recipe/session");
const EmailPassword = require("supertokens-node/recipe/emailpassword");
const MultiFactorAuth = require("supertokens-node/recipe/multifactorauth");
const TOTP = require("supertokens-node/recipe/totp");
const h = require("../../lib/harness");
const apps = require("../../lib/apps");
const { Authenticator } = require("../../lib/totp");

const APP = `sdk-totp-mfa-${apps.tag()}`;
const PASSWORD = "first-Passw0rd";
const rec = apps.coreRecorder();

h.initSdk({
    connectionURI: `${h.GATEHOUSE_URL}/appid-${APP}`,
    recipeList: [EmailPassword.init(), MultiFactorAuth.init(), TOTP.init(), Session.init()],
    networkInterceptor: rec.intercept,
});

const base = `/appid-${APP}`;
const state = {};

test.before(async () => {
    await apps.createApp(APP);
});

test.after(async () => {
    assert.deepEqual(await apps.removeApp(APP), { status: "OK", didExist: true });
});

test("a user who requires totp and has no device: the session's MFA claim is not satisfied", async () => {
    const up = await EmailPassword.signUp("public", `totp-mfa-${apps.tag()}@example.com`, PASSWORD);
    assert.equal(up.status, "OK", JSON.stringify(up));
    state.userId = up.user.id;

    await MultiFactorAuth.addToRequiredSecondaryFactorsForUser(state.userId, "totp");
    assert.deepEqual(await MultiFactorAuth.getRequiredSecondaryFactorsForUser(state.userId), ["totp"]);

    const { result: setUp, paths } = await rec.during(() => MultiFactorAuth.getFactorsSetupForUser(state.userId));
    // EmailPassword answers from the user's login methods, TOTP from the core's device list.
    assert.deepEqual(setUp, ["emailpassword"]);
    assert.ok(paths.includes(`GET ${base}/recipe/totp/device/list`), JSON.stringify(paths));

    state.session = await Session.createNewSessionWithoutRequestResponse("public", SuperTokens.convertToRecipeUserId(state.userId));
    // A session made outside the sign-in APIs has no MFA claim yet; asking for
    // the requirements computes it (first factor from the login method) and
    // stores it in the session.
    assert.equal(state.session.getAccessTokenPayload()["st-mfa"], undefined);
    assert.deepEqual(await MultiFactorAuth.getMFARequirementsForAuth(state.session), [{ oneOf: ["totp"] }]);
    const mfa = state.session.getAccessTokenPayload()["st-mfa"];
    assert.deepEqual(Object.keys(mfa.c), ["emailpassword"]);
    assert.equal(mfa.v, false);

    // The default claim validators refuse the session until totp is done.
    await assert.rejects(Session.getSessionWithoutRequestResponse(state.session.getAccessToken()), (err) => {
        assert.equal(err.type, Session.Error.INVALID_CLAIMS, String(err));
        assert.deepEqual(err.payload.map((p) => p.id), ["st-mfa"]);
        return true;
    });
    // Setting up totp is allowed: no factor of the next set is set up yet.
    await MultiFactorAuth.assertAllowedToSetupFactorElseThrowInvalidClaimError(state.session, "totp");
});

test("after a verified device, totp is set up: setting up another factor needs totp first", async () => {
    const created = await TOTP.createDevice(state.userId);
    assert.equal(created.status, "OK", JSON.stringify(created));
    state.app = new Authenticator(created.secret);
    // An unverified device does not count as set up.
    assert.deepEqual(await MultiFactorAuth.getFactorsSetupForUser(state.userId), ["emailpassword"]);

    assert.deepEqual(await TOTP.verifyDevice("public", state.userId, created.deviceName, state.app.fresh()),
        { status: "OK", wasAlreadyVerified: false });
    assert.deepEqual((await MultiFactorAuth.getFactorsSetupForUser(state.userId)).sort(), ["emailpassword", "totp"]);
    await assert.rejects(MultiFactorAuth.assertAllowedToSetupFactorElseThrowInvalidClaimError(state.session, "totp"),
        (err) => err.type === Session.Error.INVALID_CLAIMS);
});

test("verifyTOTP, then markFactorAsCompleteInSession: the session satisfies MFA", async () => {
    assert.deepEqual(await TOTP.verifyTOTP("public", state.userId, state.app.fresh()), { status: "OK" });
    const { paths } = await rec.during(() => MultiFactorAuth.markFactorAsCompleteInSession(state.session, "totp"));
    // The claim is rewritten in the session (its required factors read from the user's metadata).
    assert.ok(paths.includes(`GET ${base}/recipe/user/metadata`), JSON.stringify(paths));
    assert.equal(paths.at(-1), `POST ${base}/recipe/session/regenerate`);

    const mfa = state.session.getAccessTokenPayload()["st-mfa"];
    assert.deepEqual(Object.keys(mfa.c).sort(), ["emailpassword", "totp"]);
    assert.equal(mfa.v, true);
    // The new access token passes the default claim validators.
    const again = await Session.getSessionWithoutRequestResponse(state.session.getAccessToken());
    assert.equal(again.getUserId(), state.userId);
    assert.equal(again.getAccessTokenPayload()["st-mfa"].v, true);
});

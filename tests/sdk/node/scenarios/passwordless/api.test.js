"use strict";
// Passwordless stage: the SDK's own frontend-facing APIs (POST
// /auth/signinup/code, /auth/signinup/code/resend, /auth/signinup/code/consume,
// GET /auth/passwordless/{email,phonenumber}/exists) served by its express
// middleware, the way the frontend SDKs drive them. The codes and magic links
// are what the SDK hands to its email / SMS delivery, overridden into an
// outbox (lib/passwordless.js). Public app, random emails and phone numbers;
// the expiry check runs in a tenant made with coreConfig
// {passwordless_code_lifetime: 3000}, removed at the end.
const test = require("node:test");
const assert = require("node:assert/strict");
const SuperTokens = require("supertokens-node");
const Session = require("supertokens-node/recipe/session");
const EmailVerification = require("supertokens-node/recipe/emailverification");
const Multitenancy = require("supertokens-node/recipe/multitenancy");
const h = require("../../lib/harness");
const apps = require("../../lib/apps");
const pl = require("../../lib/passwordless");

const { Passwordless } = pl;
const rec = apps.coreRecorder();
const box = pl.outbox();
const EXPIRY_TENANT = `pl-api-exp-${apps.tag(4)}`;
let app;

const incorrect = (count) => ({
    status: "INCORRECT_USER_INPUT_CODE_ERROR",
    failedCodeInputAttemptCount: count,
    maximumCodeInputAttempts: pl.MAX_ATTEMPTS,
});

test.before(async () => {
    app = await pl.startApp((baseUrl) =>
        h.initSdk({
            appInfo: { apiDomain: baseUrl },
            recipeList: [pl.passwordlessRecipe(box), EmailVerification.init({ mode: "OPTIONAL" }), Session.init()],
            networkInterceptor: rec.intercept,
        }));
});

test.after(async () => {
    await app?.close();
    await Multitenancy.deleteTenant(EXPIRY_TENANT);
});

function tenantPath(tenantId) {
    return tenantId && tenantId !== "public" ? `/auth/${tenantId}` : "/auth";
}

// POST /auth/signinup/code; answers the API's JSON.
async function createCode(contact, tenantId) {
    const res = await app.ok("POST", `${tenantPath(tenantId)}/signinup/code`, { body: contact });
    assert.equal(res.json.status, "OK", res.text);
    return res.json;
}

async function consume(body, tenantId) {
    return app.ok("POST", `${tenantPath(tenantId)}/signinup/code/consume`, { body });
}

// The session the consume API answered in headers (no st-auth-mode: header mode).
async function sessionOf(res) {
    const access = res.headers.get("st-access-token");
    assert.ok(access, "st-access-token header");
    assert.ok(res.headers.get("st-refresh-token"), "st-refresh-token header");
    assert.ok(res.headers.get("front-token"), "front-token header");
    return Session.getSessionWithoutRequestResponse(access);
}

test("email with a user input code: the code arrives by email; a wrong code counts, the right one signs up, then in", async () => {
    const email = pl.randomEmail("pl-api-otp");
    const { result: created, paths } = await rec.during(() => createCode({ email }));
    assert.ok(paths.includes("POST /public/recipe/signinup/code"), paths.join(", "));
    assert.equal(created.flowType, "USER_INPUT_CODE_AND_MAGIC_LINK");
    assert.deepEqual(Object.keys(created).sort(), ["deviceId", "flowType", "preAuthSessionId", "status"]);

    const mail = box.lastEmailTo(email);
    assert.equal(mail.type, "PASSWORDLESS_LOGIN");
    assert.equal(mail.isFirstFactor, true);
    assert.equal(mail.tenantId, "public");
    assert.equal(mail.codeLifetime, pl.CODE_LIFETIME);
    assert.equal(mail.preAuthSessionId, created.preAuthSessionId);
    assert.match(mail.userInputCode, pl.USER_INPUT_CODE_RE);
    const link = pl.parseMagicLink(mail.urlWithLinkCode);
    assert.equal(link.preAuthSessionId, created.preAuthSessionId);
    assert.equal(link.tenantId, "public");

    // The core has the device, with the API's preAuthSessionId.
    const device = await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: created.deviceId });
    assert.equal(device.preAuthSessionId, created.preAuthSessionId);
    assert.equal(device.email, email);
    assert.equal(device.codes.length, 1);

    // A wrong code (a sign-up: nobody to check credentials against, so the API
    // goes straight to the core's consume): no session.
    const { result: wrong, paths: wrongPaths } = await rec.during(() =>
        consume({ preAuthSessionId: created.preAuthSessionId, deviceId: created.deviceId, userInputCode: pl.wrongCode(mail.userInputCode) }));
    assert.deepEqual(wrong.json, incorrect(1));
    assert.ok(wrongPaths.includes("POST /public/recipe/signinup/code/consume"), wrongPaths.join(", "));
    assert.ok(!wrongPaths.includes("POST /public/recipe/session"), wrongPaths.join(", "));
    assert.equal(wrong.headers.get("st-access-token"), null);

    const { result: up, paths: upPaths } = await rec.during(() =>
        consume({ preAuthSessionId: created.preAuthSessionId, deviceId: created.deviceId, userInputCode: mail.userInputCode }));
    assert.equal(up.json.status, "OK", up.text);
    assert.ok(upPaths.includes("POST /public/recipe/signinup/code/consume"), upPaths.join(", "));
    assert.ok(upPaths.includes("POST /public/recipe/session"), upPaths.join(", "));
    assert.equal(up.json.createdNewRecipeUser, true);
    const user = up.json.user;
    assert.deepEqual(user.emails, [email]);
    assert.deepEqual(user.phoneNumbers, []);
    assert.equal(user.loginMethods.length, 1);
    assert.equal(user.loginMethods[0].recipeId, "passwordless");
    assert.equal(user.loginMethods[0].verified, true);
    const session = await sessionOf(up);
    assert.equal(session.getUserId(), user.id);
    assert.equal(session.getRecipeUserId().getAsString(), user.id);
    assert.equal(session.getTenantId(), "public");
    assert.equal(await EmailVerification.isEmailVerified(SuperTokens.convertToRecipeUserId(user.id), email), true);
    // The consumed device is gone.
    assert.equal(await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: created.deviceId }), undefined);

    // Sign in with a new code: the same user, a new session.
    const again = await createCode({ email });
    const mail2 = box.lastEmailTo(email);
    assert.equal(mail2.preAuthSessionId, again.preAuthSessionId);
    // The API checks a code (POST .../code/check) only to add a user of another
    // tenant to this one under a session; here it consumes at once.
    const { result: wrong2, paths: wrong2Paths } = await rec.during(() =>
        consume({ preAuthSessionId: again.preAuthSessionId, deviceId: again.deviceId, userInputCode: pl.wrongCode(mail2.userInputCode) }));
    assert.deepEqual(wrong2.json, incorrect(1));
    assert.ok(!wrong2Paths.includes("POST /public/recipe/signinup/code/check"), wrong2Paths.join(", "));
    const inAgain = await consume({ preAuthSessionId: again.preAuthSessionId, deviceId: again.deviceId, userInputCode: mail2.userInputCode });
    assert.equal(inAgain.json.status, "OK", inAgain.text);
    assert.equal(inAgain.json.createdNewRecipeUser, false);
    assert.equal(inAgain.json.user.id, user.id);
    const session2 = await sessionOf(inAgain);
    assert.equal(session2.getUserId(), user.id);
    assert.notEqual(session2.getHandle(), session.getHandle());

    const exists = await app.ok("GET", `/auth/passwordless/email/exists?email=${encodeURIComponent(email)}`);
    assert.deepEqual(exists.json, { status: "OK", exists: true });
    const missing = await app.ok("GET", `/auth/passwordless/email/exists?email=${encodeURIComponent(pl.randomEmail("pl-api-none"))}`);
    assert.deepEqual(missing.json, { status: "OK", exists: false });
    await SuperTokens.deleteUser(user.id);
});

test("magic link: the link from the email signs up through /auth/signinup/code/consume; a used link is a restart", async () => {
    const email = pl.randomEmail("pl-api-link");
    const created = await createCode({ email });
    const link = pl.parseMagicLink(box.lastEmailTo(email).urlWithLinkCode);
    assert.equal(link.origin, "http://localhost:3000");
    assert.equal(link.pathname, "/auth/verify");
    assert.ok(link.linkCode.length > 20, link.linkCode);

    const { result: up, calls } = await rec.during(() => consume({ preAuthSessionId: link.preAuthSessionId, linkCode: link.linkCode }));
    assert.equal(up.json.status, "OK", up.text);
    assert.equal(up.json.createdNewRecipeUser, true);
    const consumeCall = calls.find((c) => c.path === "/public/recipe/signinup/code/consume");
    assert.equal(consumeCall.body.linkCode, link.linkCode);
    assert.equal(consumeCall.body.preAuthSessionId, created.preAuthSessionId);
    const user = up.json.user;
    assert.deepEqual(user.emails, [email]);
    assert.equal(user.loginMethods[0].verified, true);
    assert.equal((await sessionOf(up)).getUserId(), user.id);

    const reused = await consume({ preAuthSessionId: link.preAuthSessionId, linkCode: link.linkCode });
    assert.deepEqual(reused.json, { status: "RESTART_FLOW_ERROR" });

    // A second link for the same email signs the same user in.
    await createCode({ email: email.toUpperCase() });
    const mail = box.lastEmailTo(email.toUpperCase());
    const link2 = pl.parseMagicLink(mail.urlWithLinkCode);
    const inAgain = await consume({ preAuthSessionId: link2.preAuthSessionId, linkCode: link2.linkCode });
    assert.equal(inAgain.json.status, "OK", inAgain.text);
    assert.equal(inAgain.json.createdNewRecipeUser, false);
    assert.equal(inAgain.json.user.id, user.id);
    await SuperTokens.deleteUser(user.id);
});

test("phone: the SMS carries the code for the E.164 number; the user has the number", async () => {
    const phone = pl.randomPhone();
    const { result: created, calls } = await rec.during(() => createCode({ phoneNumber: phone.typed }));
    // The API normalises the number before the core sees it.
    const coreCreate = calls.find((c) => c.path === "/public/recipe/signinup/code");
    assert.equal(coreCreate.body.phoneNumber, phone.e164);
    const sms = box.lastSmsTo(phone.e164);
    assert.equal(sms.type, "PASSWORDLESS_LOGIN");
    assert.equal(sms.preAuthSessionId, created.preAuthSessionId);
    assert.match(sms.userInputCode, pl.USER_INPUT_CODE_RE);
    assert.equal(pl.parseMagicLink(sms.urlWithLinkCode).preAuthSessionId, created.preAuthSessionId);

    const wrong = await consume({ preAuthSessionId: created.preAuthSessionId, deviceId: created.deviceId, userInputCode: pl.wrongCode(sms.userInputCode) });
    assert.deepEqual(wrong.json, incorrect(1));
    const up = await consume({ preAuthSessionId: created.preAuthSessionId, deviceId: created.deviceId, userInputCode: sms.userInputCode });
    assert.equal(up.json.status, "OK", up.text);
    assert.equal(up.json.createdNewRecipeUser, true);
    const user = up.json.user;
    assert.deepEqual(user.phoneNumbers, [phone.e164]);
    assert.deepEqual(user.emails, []);
    assert.equal(user.loginMethods[0].recipeId, "passwordless");
    assert.equal(user.loginMethods[0].phoneNumber, phone.e164);
    assert.equal((await sessionOf(up)).getUserId(), user.id);

    const exists = await app.ok("GET", `/auth/passwordless/phonenumber/exists?phoneNumber=${encodeURIComponent(phone.e164)}`);
    assert.deepEqual(exists.json, { status: "OK", exists: true });
    const other = pl.randomPhone();
    const missing = await app.ok("GET", `/auth/passwordless/phonenumber/exists?phoneNumber=${encodeURIComponent(other.e164)}`);
    assert.deepEqual(missing.json, { status: "OK", exists: false });

    // Signing in by the same number typed differently.
    const again = await createCode({ phoneNumber: phone.e164 });
    const sms2 = box.lastSmsTo(phone.e164);
    const inAgain = await consume({ preAuthSessionId: again.preAuthSessionId, deviceId: again.deviceId, userInputCode: sms2.userInputCode });
    assert.equal(inAgain.json.createdNewRecipeUser, false);
    assert.equal(inAgain.json.user.id, user.id);
    await SuperTokens.deleteUser(user.id);
});

test("resend: /auth/signinup/code/resend mails a new code for the device; it signs in; a used device is a restart", async () => {
    const email = pl.randomEmail("pl-api-resend");
    const created = await createCode({ email });
    const first = box.lastEmailTo(email);

    const { result: resent, calls } = await rec.during(() =>
        app.ok("POST", "/auth/signinup/code/resend", { body: { deviceId: created.deviceId, preAuthSessionId: created.preAuthSessionId } }));
    assert.deepEqual(resent.json, { status: "OK" });
    const coreResend = calls.find((c) => c.method === "POST" && c.path === "/public/recipe/signinup/code");
    assert.equal(coreResend.body.deviceId, created.deviceId);
    const second = box.lastEmailTo(email);
    assert.notEqual(second, first);
    assert.equal(second.preAuthSessionId, created.preAuthSessionId);
    assert.notEqual(second.userInputCode, first.userInputCode);
    assert.notEqual(second.urlWithLinkCode, first.urlWithLinkCode);
    const device = await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: created.deviceId });
    assert.equal(device.codes.length, 2);

    const up = await consume({ preAuthSessionId: created.preAuthSessionId, deviceId: created.deviceId, userInputCode: second.userInputCode });
    assert.equal(up.json.status, "OK", up.text);
    assert.equal(up.json.createdNewRecipeUser, true);

    // Resending for the used device, and consuming its first code.
    const after = await app.ok("POST", "/auth/signinup/code/resend", { body: { deviceId: created.deviceId, preAuthSessionId: created.preAuthSessionId } });
    assert.deepEqual(after.json, { status: "RESTART_FLOW_ERROR" });
    const old = await consume({ preAuthSessionId: created.preAuthSessionId, deviceId: created.deviceId, userInputCode: first.userInputCode });
    assert.deepEqual(old.json, { status: "RESTART_FLOW_ERROR" });
    await SuperTokens.deleteUser(up.json.user.id);
});

test("too many wrong codes: the last allowed one is a restart, the right code no longer works; starting again does", async () => {
    const email = pl.randomEmail("pl-api-max");
    const created = await createCode({ email });
    const mail = box.lastEmailTo(email);
    const body = (userInputCode) => ({ preAuthSessionId: created.preAuthSessionId, deviceId: created.deviceId, userInputCode });
    const wrong = pl.wrongCode(mail.userInputCode);
    for (let i = 1; i < pl.MAX_ATTEMPTS; i++) {
        assert.deepEqual((await consume(body(wrong))).json, incorrect(i), `wrong code #${i}`);
    }
    assert.deepEqual((await consume(body(wrong))).json, { status: "RESTART_FLOW_ERROR" });
    assert.deepEqual((await consume(body(mail.userInputCode))).json, { status: "RESTART_FLOW_ERROR" });
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email }), []);

    const fresh = await createCode({ email });
    const mail2 = box.lastEmailTo(email);
    const up = await consume({ preAuthSessionId: fresh.preAuthSessionId, deviceId: fresh.deviceId, userInputCode: mail2.userInputCode });
    assert.equal(up.json.status, "OK", up.text);
    assert.equal(up.json.createdNewRecipeUser, true);
    await SuperTokens.deleteUser(up.json.user.id);
});

test("expiry in a tenant with passwordless_code_lifetime 3000: an expired code, an expired link, then a resent code", async () => {
    const created = await Multitenancy.createOrUpdateTenant(EXPIRY_TENANT, {
        firstFactors: ["otp-email", "link-email"],
        coreConfig: { passwordless_code_lifetime: 3000 },
    });
    assert.equal(created.status, "OK", JSON.stringify(created));
    const email = pl.randomEmail("pl-api-exp");
    const { result: code, paths } = await rec.during(() => createCode({ email }, EXPIRY_TENANT));
    assert.ok(paths.includes(`POST /${EXPIRY_TENANT}/recipe/signinup/code`), paths.join(", "));
    assert.equal(code.flowType, "USER_INPUT_CODE_AND_MAGIC_LINK");
    const mail = box.lastEmailTo(email);
    assert.equal(mail.codeLifetime, 3000);
    assert.equal(mail.tenantId, EXPIRY_TENANT);
    const link = pl.parseMagicLink(mail.urlWithLinkCode);
    assert.equal(link.tenantId, EXPIRY_TENANT);

    await new Promise((resolve) => setTimeout(resolve, 3300));
    const body = (userInputCode) => ({ preAuthSessionId: code.preAuthSessionId, deviceId: code.deviceId, userInputCode });
    const expired = await consume(body(mail.userInputCode), EXPIRY_TENANT);
    assert.deepEqual(expired.json, { status: "EXPIRED_USER_INPUT_CODE_ERROR", failedCodeInputAttemptCount: 1, maximumCodeInputAttempts: pl.MAX_ATTEMPTS });
    const expiredLink = await consume({ preAuthSessionId: link.preAuthSessionId, linkCode: link.linkCode }, EXPIRY_TENANT);
    assert.deepEqual(expiredLink.json, { status: "RESTART_FLOW_ERROR" });

    const resent = await app.ok("POST", `/auth/${EXPIRY_TENANT}/signinup/code/resend`, { body: { deviceId: code.deviceId, preAuthSessionId: code.preAuthSessionId } });
    assert.deepEqual(resent.json, { status: "OK" });
    const mail2 = box.lastEmailTo(email);
    assert.notEqual(mail2.userInputCode, mail.userInputCode);
    const up = await consume(body(mail2.userInputCode), EXPIRY_TENANT);
    assert.equal(up.json.status, "OK", up.text);
    assert.equal(up.json.createdNewRecipeUser, true);
    assert.deepEqual(up.json.user.tenantIds, [EXPIRY_TENANT]);
    const session = await sessionOf(up);
    assert.equal(session.getTenantId(), EXPIRY_TENANT);
    assert.equal(session.getUserId(), up.json.user.id);
    await SuperTokens.deleteUser(up.json.user.id);
});

"use strict";
// Passwordless stage: codes, devices, sign-in-up and user updates through
// supertokens-node's Passwordless functions (createCode, consumeCode,
// checkCode, createNewCodeForDevice, listCodesBy*, revokeCode,
// revokeAllCodes, updateUser, signInUp), read back with the core user APIs
// (getUser, listUsersByAccountInfo, deleteUser), EmailVerification and
// Session, in the public app. Every email and phone number is random, so
// reruns on a shared server never meet. Code expiry is checked in a tenant
// made with coreConfig {passwordless_code_lifetime: 3000}, removed at the end.
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
const EXPIRY_TENANT = `pl-exp-${apps.tag(4)}`;

h.initSdk({
    recipeList: [pl.passwordlessRecipe(box), EmailVerification.init({ mode: "OPTIONAL" }), Session.init()],
    networkInterceptor: rec.intercept,
});

const incorrect = (count) => ({
    status: "INCORRECT_USER_INPUT_CODE_ERROR",
    failedCodeInputAttemptCount: count,
    maximumCodeInputAttempts: pl.MAX_ATTEMPTS,
});

// A new code for a new email, asserted OK.
async function codeFor(contact, extra = {}) {
    const code = await Passwordless.createCode({ tenantId: "public", ...contact, ...extra });
    assert.equal(code.status, "OK", JSON.stringify(code));
    return code;
}

async function consumeWith(code, userInputCode = code.userInputCode, tenantId = "public") {
    return Passwordless.consumeCode({
        tenantId,
        preAuthSessionId: code.preAuthSessionId,
        deviceId: code.deviceId,
        userInputCode,
    });
}

test.after(async () => {
    // The expiry tenant, if a test made it (its users were removed by the test).
    await Multitenancy.deleteTenant(EXPIRY_TENANT);
});

test("createCode for an email: a device with one code; the core normalises the email", async () => {
    const email = pl.randomEmail("pl-create");
    const typed = `  ${email.toUpperCase()} `;
    const before = Date.now();
    const { result: code, calls } = await rec.during(() => Passwordless.createCode({ tenantId: "public", email: typed }));
    assert.equal(calls.length, 1, calls.map((c) => c.path).join(", "));
    assert.equal(calls[0].method, "POST");
    assert.equal(calls[0].path, "/public/recipe/signinup/code");
    // The SDK sends the email as given, plus its own shouldTryLinkingWithSessionUser
    // flag (the core ignores it).
    assert.deepEqual(calls[0].body, { email: typed, shouldTryLinkingWithSessionUser: false });
    assert.equal(calls[0].headers.rid, "passwordless");
    assert.equal(calls[0].headers["cdi-version"], "5.4");

    assert.equal(code.status, "OK", JSON.stringify(code));
    assert.match(code.userInputCode, pl.USER_INPUT_CODE_RE);
    assert.match(code.codeId, pl.UUID_RE);
    assert.equal(code.codeLifetime, pl.CODE_LIFETIME);
    assert.ok(code.timeCreated >= before - 5000 && code.timeCreated <= Date.now() + 5000, `timeCreated ${code.timeCreated}`);
    for (const field of ["preAuthSessionId", "deviceId", "linkCode"]) {
        assert.equal(typeof code[field], "string", field);
        assert.ok(code[field].length > 20, `${field}: ${code[field]}`);
    }
    assert.notEqual(code.deviceId, code.preAuthSessionId);

    // The device is found by the normalised email, by the typed one, by its
    // id and by its pre-auth session id, and names the normalised email.
    const device = {
        preAuthSessionId: code.preAuthSessionId,
        failedCodeInputAttemptCount: 0,
        email,
        codes: [{ codeId: code.codeId, timeCreated: code.timeCreated, codeLifetime: pl.CODE_LIFETIME }],
    };
    const { result: byEmail, calls: listCalls } = await rec.during(() => Passwordless.listCodesByEmail({ tenantId: "public", email }));
    assert.deepEqual(listCalls.map((c) => `${c.method} ${c.path}`), ["GET /public/recipe/signinup/codes"]);
    assert.deepEqual(listCalls[0].params, { email });
    assert.deepEqual(byEmail, [device]);
    assert.deepEqual(await Passwordless.listCodesByEmail({ tenantId: "public", email: typed }), [device]);
    assert.deepEqual(await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: code.deviceId }), device);
    assert.deepEqual(await Passwordless.listCodesByPreAuthSessionId({ tenantId: "public", preAuthSessionId: code.preAuthSessionId }), device);

    // Unknown ones: nothing.
    assert.deepEqual(await Passwordless.listCodesByEmail({ tenantId: "public", email: pl.randomEmail("pl-nobody") }), []);
    const other = await codeFor({ email: pl.randomEmail("pl-other") });
    await Passwordless.revokeCode({ tenantId: "public", preAuthSessionId: other.preAuthSessionId });
    assert.equal(await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: other.deviceId }), undefined);
    assert.equal(await Passwordless.listCodesByPreAuthSessionId({ tenantId: "public", preAuthSessionId: other.preAuthSessionId }), undefined);

    // A second createCode for the same email is a second device.
    const second = await codeFor({ email });
    assert.notEqual(second.deviceId, code.deviceId);
    const both = await Passwordless.listCodesByEmail({ tenantId: "public", email });
    assert.deepEqual(both.map((d) => d.preAuthSessionId).sort(), [code.preAuthSessionId, second.preAuthSessionId].sort());
    await Passwordless.revokeAllCodes({ tenantId: "public", email });
    assert.deepEqual(await Passwordless.listCodesByEmail({ tenantId: "public", email }), []);
});

test("consumeCode: a wrong code counts, the right one signs up with a verified email; again signs in", async () => {
    const email = pl.randomEmail("pl-signup");
    const code = await codeFor({ email });

    const { result: wrong, calls } = await rec.during(() => consumeWith(code, pl.wrongCode(code.userInputCode)));
    assert.deepEqual(wrong, incorrect(1));
    assert.equal(calls.length, 1);
    assert.equal(calls[0].path, "/public/recipe/signinup/code/consume");
    assert.deepEqual(Object.keys(calls[0].body).sort(), ["deviceId", "preAuthSessionId", "shouldTryLinkingWithSessionUser", "userInputCode"]);
    assert.equal(calls[0].headers.rid, "passwordless");
    const device = await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: code.deviceId });
    assert.equal(device.failedCodeInputAttemptCount, 1);

    const up = await consumeWith(code);
    assert.equal(up.status, "OK", JSON.stringify(up));
    assert.equal(up.createdNewRecipeUser, true);
    assert.deepEqual(up.consumedDevice, { preAuthSessionId: code.preAuthSessionId, failedCodeInputAttemptCount: 1, email });
    const user = up.user;
    assert.equal(up.recipeUserId.getAsString(), user.id);
    assert.match(user.id, pl.UUID_RE);
    assert.deepEqual(user.emails, [email]);
    assert.deepEqual(user.phoneNumbers, []);
    assert.deepEqual(user.tenantIds, ["public"]);
    assert.equal(user.isPrimaryUser, false);
    assert.equal(user.loginMethods.length, 1);
    const [lm] = user.loginMethods;
    assert.equal(lm.recipeId, "passwordless");
    assert.equal(lm.email, email);
    assert.equal(lm.phoneNumber, undefined);
    assert.equal(lm.verified, true, "a consumed email code verifies the email");
    assert.equal(lm.recipeUserId.getAsString(), user.id);
    assert.equal(lm.timeJoined, user.timeJoined);

    // The device is used up: all its codes are gone, the same code again is a restart.
    assert.deepEqual(await Passwordless.listCodesByEmail({ tenantId: "public", email }), []);
    assert.deepEqual(await consumeWith(code), { status: "RESTART_FLOW_ERROR" });
    assert.equal(await EmailVerification.isEmailVerified(up.recipeUserId, email), true);

    // Sign in: a new code for the same email, the same user.
    const again = await codeFor({ email });
    const inAgain = await consumeWith(again);
    assert.equal(inAgain.status, "OK", JSON.stringify(inAgain));
    assert.equal(inAgain.createdNewRecipeUser, false);
    assert.equal(inAgain.user.id, user.id);
    assert.deepEqual(inAgain.consumedDevice, { preAuthSessionId: again.preAuthSessionId, failedCodeInputAttemptCount: 0, email });

    // The user as the core answers it by id and by account info.
    const got = await SuperTokens.getUser(user.id);
    assert.deepEqual(got.toJson(), inAgain.user.toJson());
    const found = await SuperTokens.listUsersByAccountInfo("public", { email: email.toUpperCase() });
    assert.deepEqual(found.map((u) => u.id), [user.id]);
    await SuperTokens.deleteUser(user.id);
});

test("a magic link's code (linkCode) signs in; an unknown link code is a restart", async () => {
    const email = pl.randomEmail("pl-link");
    const code = await codeFor({ email });
    const { result: up, calls } = await rec.during(() =>
        Passwordless.consumeCode({ tenantId: "public", preAuthSessionId: code.preAuthSessionId, linkCode: code.linkCode }));
    assert.equal(calls[0].path, "/public/recipe/signinup/code/consume");
    assert.deepEqual(calls[0].body, { preAuthSessionId: code.preAuthSessionId, linkCode: code.linkCode, shouldTryLinkingWithSessionUser: false });
    assert.equal(up.status, "OK", JSON.stringify(up));
    assert.equal(up.createdNewRecipeUser, true);
    assert.deepEqual(up.consumedDevice, { preAuthSessionId: code.preAuthSessionId, failedCodeInputAttemptCount: 0, email });
    assert.equal(up.user.loginMethods[0].verified, true);

    // createMagicLink builds the frontend URL around a fresh code.
    const link = await Passwordless.createMagicLink({ tenantId: "public", email });
    const parts = pl.parseMagicLink(link);
    assert.equal(parts.origin, "http://localhost:3000");
    assert.equal(parts.pathname, "/auth/verify");
    assert.equal(parts.tenantId, "public");
    const device = await Passwordless.listCodesByPreAuthSessionId({ tenantId: "public", preAuthSessionId: parts.preAuthSessionId });
    assert.equal(device?.email, email);
    const wrongLink = await Passwordless.consumeCode({
        tenantId: "public",
        preAuthSessionId: parts.preAuthSessionId,
        linkCode: code.linkCode, // the used one
    });
    assert.deepEqual(wrongLink, { status: "RESTART_FLOW_ERROR" });
    // An unknown link code does not count as a failed attempt.
    assert.equal((await Passwordless.listCodesByPreAuthSessionId({ tenantId: "public", preAuthSessionId: parts.preAuthSessionId })).failedCodeInputAttemptCount, 0);
    const inAgain = await Passwordless.consumeCode({ tenantId: "public", preAuthSessionId: parts.preAuthSessionId, linkCode: parts.linkCode });
    assert.equal(inAgain.status, "OK", JSON.stringify(inAgain));
    assert.equal(inAgain.createdNewRecipeUser, false);
    assert.equal(inAgain.user.id, up.user.id);
    await SuperTokens.deleteUser(up.user.id);
});

test("checkCode checks without consuming: no user yet, failures count, the device stays", async () => {
    const email = pl.randomEmail("pl-check");
    const code = await codeFor({ email });
    const { result: wrong, calls } = await rec.during(() =>
        Passwordless.checkCode({ tenantId: "public", preAuthSessionId: code.preAuthSessionId, deviceId: code.deviceId, userInputCode: pl.wrongCode(code.userInputCode) }));
    assert.equal(calls[0].path, "/public/recipe/signinup/code/check");
    assert.equal(calls[0].headers.rid, "passwordless");
    assert.deepEqual(wrong, incorrect(1));

    const right = await Passwordless.checkCode({ tenantId: "public", preAuthSessionId: code.preAuthSessionId, deviceId: code.deviceId, userInputCode: code.userInputCode });
    assert.deepEqual(right, { status: "OK", consumedDevice: { preAuthSessionId: code.preAuthSessionId, failedCodeInputAttemptCount: 1, email } });
    const byLink = await Passwordless.checkCode({ tenantId: "public", preAuthSessionId: code.preAuthSessionId, linkCode: code.linkCode });
    assert.equal(byLink.status, "OK", JSON.stringify(byLink));
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email }), [], "checkCode creates no user");
    assert.equal((await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: code.deviceId }))?.codes.length, 1, "checkCode keeps the code");

    const up = await consumeWith(code);
    assert.equal(up.status, "OK", JSON.stringify(up));
    assert.equal(up.createdNewRecipeUser, true);
    assert.equal(up.consumedDevice.failedCodeInputAttemptCount, 1);
    await SuperTokens.deleteUser(up.user.id);
});

test("createNewCodeForDevice: another code on the device (resend); each code works; given codes must be new", async () => {
    const email = pl.randomEmail("pl-resend");
    const first = await codeFor({ email }, { userInputCode: "123456" });
    assert.equal(first.userInputCode, "123456");

    const { result: second, calls } = await rec.during(() => Passwordless.createNewCodeForDevice({ tenantId: "public", deviceId: first.deviceId }));
    assert.equal(calls[0].path, "/public/recipe/signinup/code");
    assert.deepEqual(calls[0].body, { deviceId: first.deviceId });
    assert.equal(second.status, "OK", JSON.stringify(second));
    assert.equal(second.deviceId, first.deviceId);
    assert.equal(second.preAuthSessionId, first.preAuthSessionId);
    assert.notEqual(second.codeId, first.codeId);
    assert.notEqual(second.linkCode, first.linkCode);
    assert.match(second.userInputCode, pl.USER_INPUT_CODE_RE);
    assert.notEqual(second.userInputCode, first.userInputCode);

    const device = await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: first.deviceId });
    assert.deepEqual(device.codes.map((c) => c.codeId).sort(), [first.codeId, second.codeId].sort());

    // A code the device already has is refused; a new given one is used as is.
    assert.deepEqual(
        await Passwordless.createNewCodeForDevice({ tenantId: "public", deviceId: first.deviceId, userInputCode: "123456" }),
        { status: "USER_INPUT_CODE_ALREADY_USED_ERROR" });
    const third = await Passwordless.createNewCodeForDevice({ tenantId: "public", deviceId: first.deviceId, userInputCode: "654321" });
    assert.equal(third.status, "OK", JSON.stringify(third));
    assert.equal(third.userInputCode, "654321");

    // revokeCode(codeId) removes one code: it no longer signs in.
    await Passwordless.revokeCode({ tenantId: "public", codeId: first.codeId });
    const left = await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: first.deviceId });
    assert.deepEqual(left.codes.map((c) => c.codeId).sort(), [second.codeId, third.codeId].sort());
    assert.deepEqual(await consumeWith(first, "123456"), incorrect(1));

    // The first code of the resend signs up; the device is used up with it.
    const up = await consumeWith(first, second.userInputCode);
    assert.equal(up.status, "OK", JSON.stringify(up));
    assert.equal(up.createdNewRecipeUser, true);
    assert.deepEqual(
        await Passwordless.createNewCodeForDevice({ tenantId: "public", deviceId: first.deviceId }),
        { status: "RESTART_FLOW_ERROR" });
    await SuperTokens.deleteUser(up.user.id);
});

test("revokeCode by pre-auth session and revokeAllCodes by email or phone: the codes no longer sign in", async () => {
    const email = pl.randomEmail("pl-revoke");
    const a = await codeFor({ email });
    const b = await codeFor({ email });
    const { calls } = await rec.during(() => Passwordless.revokeCode({ tenantId: "public", preAuthSessionId: a.preAuthSessionId }));
    assert.equal(calls[0].path, "/public/recipe/signinup/code/remove");
    assert.deepEqual(calls[0].body, { preAuthSessionId: a.preAuthSessionId });
    assert.deepEqual((await Passwordless.listCodesByEmail({ tenantId: "public", email })).map((d) => d.preAuthSessionId), [b.preAuthSessionId]);
    assert.deepEqual(await consumeWith(a), { status: "RESTART_FLOW_ERROR" });

    const { calls: allCalls } = await rec.during(() => Passwordless.revokeAllCodes({ tenantId: "public", email: email.toUpperCase() }));
    assert.equal(allCalls[0].path, "/public/recipe/signinup/codes/remove");
    assert.deepEqual(await Passwordless.listCodesByEmail({ tenantId: "public", email }), []);
    assert.deepEqual(await consumeWith(b), { status: "RESTART_FLOW_ERROR" });

    const phone = pl.randomPhone();
    const c = await codeFor({ phoneNumber: phone.typed });
    assert.equal((await Passwordless.listCodesByPhoneNumber({ tenantId: "public", phoneNumber: phone.e164 })).length, 1);
    await Passwordless.revokeAllCodes({ tenantId: "public", phoneNumber: phone.typed });
    assert.deepEqual(await Passwordless.listCodesByPhoneNumber({ tenantId: "public", phoneNumber: phone.e164 }), []);
    assert.deepEqual(await consumeWith(c), { status: "RESTART_FLOW_ERROR" });
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email }), []);
});

test("the last allowed wrong code ends the device (restart); a new code signs in", async () => {
    const email = pl.randomEmail("pl-attempts");
    const code = await codeFor({ email });
    const wrong = pl.wrongCode(code.userInputCode);
    for (let i = 1; i < pl.MAX_ATTEMPTS; i++) {
        assert.deepEqual(await consumeWith(code, wrong), incorrect(i), `wrong code #${i}`);
    }
    assert.equal((await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: code.deviceId })).failedCodeInputAttemptCount, pl.MAX_ATTEMPTS - 1);
    assert.deepEqual(await consumeWith(code, wrong), { status: "RESTART_FLOW_ERROR" }, `wrong code #${pl.MAX_ATTEMPTS}`);
    // The device is gone: even the right code is a restart, no resend either.
    assert.equal(await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: code.deviceId }), undefined);
    assert.deepEqual(await consumeWith(code), { status: "RESTART_FLOW_ERROR" });
    assert.deepEqual(await Passwordless.createNewCodeForDevice({ tenantId: "public", deviceId: code.deviceId }), { status: "RESTART_FLOW_ERROR" });
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email }), []);

    // Restart: a new device for the same email.
    const fresh = await codeFor({ email });
    const up = await consumeWith(fresh);
    assert.equal(up.status, "OK", JSON.stringify(up));
    assert.equal(up.createdNewRecipeUser, true);
    assert.equal(up.consumedDevice.failedCodeInputAttemptCount, 0);
    await SuperTokens.deleteUser(up.user.id);
});

test("phone: the core stores E.164; the user is found by the typed number; a session for it", async () => {
    const phone = pl.randomPhone();
    const code = await codeFor({ phoneNumber: phone.typed });
    const expectedDevice = {
        preAuthSessionId: code.preAuthSessionId,
        failedCodeInputAttemptCount: 0,
        phoneNumber: phone.e164,
        codes: [{ codeId: code.codeId, timeCreated: code.timeCreated, codeLifetime: pl.CODE_LIFETIME }],
    };
    assert.deepEqual(await Passwordless.listCodesByPhoneNumber({ tenantId: "public", phoneNumber: phone.e164 }), [expectedDevice]);
    const { result: byTyped, calls } = await rec.during(() => Passwordless.listCodesByPhoneNumber({ tenantId: "public", phoneNumber: phone.typed }));
    assert.deepEqual(calls[0].params, { phoneNumber: phone.typed });
    assert.deepEqual(byTyped, [expectedDevice]);

    const up = await consumeWith(code, pl.wrongCode(code.userInputCode));
    assert.deepEqual(up, incorrect(1));
    const ok = await consumeWith(code);
    assert.equal(ok.status, "OK", JSON.stringify(ok));
    assert.equal(ok.createdNewRecipeUser, true);
    assert.deepEqual(ok.consumedDevice, { preAuthSessionId: code.preAuthSessionId, failedCodeInputAttemptCount: 1, phoneNumber: phone.e164 });
    const user = ok.user;
    assert.deepEqual(user.emails, []);
    assert.deepEqual(user.phoneNumbers, [phone.e164]);
    assert.equal(user.loginMethods.length, 1);
    assert.equal(user.loginMethods[0].recipeId, "passwordless");
    assert.equal(user.loginMethods[0].phoneNumber, phone.e164);
    assert.equal(user.loginMethods[0].email, undefined);
    assert.equal(user.loginMethods[0].verified, true);

    const got = await SuperTokens.getUser(user.id);
    assert.deepEqual(got.phoneNumbers, [phone.e164]);
    assert.equal(got.loginMethods[0].hasSamePhoneNumberAs(phone.typed), true);
    const { result: found, calls: byCalls } = await rec.during(() => SuperTokens.listUsersByAccountInfo("public", { phoneNumber: phone.typed }));
    assert.equal(byCalls[0].path, "/public/users/by-accountinfo");
    assert.equal(byCalls[0].params.phoneNumber, phone.typed);
    assert.deepEqual(found.map((u) => u.id), [user.id]);
    assert.deepEqual((await SuperTokens.listUsersByAccountInfo("public", { phoneNumber: phone.e164 })).map((u) => u.id), [user.id]);

    // A session for the passwordless user.
    const session = await Session.createNewSessionWithoutRequestResponse("public", ok.recipeUserId);
    assert.equal(session.getUserId(), user.id);
    assert.equal(session.getRecipeUserId().getAsString(), user.id);
    const verified = await Session.getSessionWithoutRequestResponse(session.getAccessToken());
    assert.equal(verified.getUserId(), user.id);
    const info = await Session.getSessionInformation(session.getHandle());
    assert.equal(info.userId, user.id);

    // Sign in by phone again with the number typed differently.
    const again = await codeFor({ phoneNumber: phone.e164 });
    const inAgain = await consumeWith(again);
    assert.equal(inAgain.createdNewRecipeUser, false);
    assert.equal(inAgain.user.id, user.id);

    // deleteUser: gone, with its sessions; the number signs up anew.
    await SuperTokens.deleteUser(user.id);
    assert.equal(await SuperTokens.getUser(user.id), undefined);
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { phoneNumber: phone.e164 }), []);
    assert.equal(await Session.getSessionInformation(session.getHandle()), undefined);
    const anew = await consumeWith(await codeFor({ phoneNumber: phone.typed }));
    assert.equal(anew.createdNewRecipeUser, true);
    assert.notEqual(anew.user.id, user.id);
    await SuperTokens.deleteUser(anew.user.id);
});

test("signInUp: creates the user, then signs the same user in", async () => {
    const email = pl.randomEmail("pl-siu");
    const { result: up, paths } = await rec.during(() => Passwordless.signInUp({ tenantId: "public", email }));
    assert.ok(paths.includes("POST /public/recipe/signinup/code"), paths.join(", "));
    assert.ok(paths.includes("POST /public/recipe/signinup/code/consume"), paths.join(", "));
    assert.equal(up.status, "OK");
    assert.equal(up.createdNewRecipeUser, true);
    assert.deepEqual(up.user.emails, [email]);
    assert.equal(up.user.loginMethods[0].verified, true);
    const again = await Passwordless.signInUp({ tenantId: "public", email: email.toUpperCase() });
    assert.equal(again.createdNewRecipeUser, false);
    assert.equal(again.user.id, up.user.id);
    assert.deepEqual(await Passwordless.listCodesByEmail({ tenantId: "public", email }), [], "no code left behind");

    const phone = pl.randomPhone();
    const byPhone = await Passwordless.signInUp({ tenantId: "public", phoneNumber: phone.typed });
    assert.equal(byPhone.createdNewRecipeUser, true);
    assert.deepEqual(byPhone.user.phoneNumbers, [phone.e164]);
    await SuperTokens.deleteUser(up.user.id);
    await SuperTokens.deleteUser(byPhone.user.id);
});

test("updateUser: change email and phone, taken ones refused, clear one of them", async () => {
    const a = await Passwordless.signInUp({ tenantId: "public", email: pl.randomEmail("pl-upd-a") });
    const bPhone = pl.randomPhone();
    const b = await Passwordless.signInUp({ tenantId: "public", phoneNumber: bPhone.typed });
    const cEmail = pl.randomEmail("pl-upd-c");
    const c = await Passwordless.signInUp({ tenantId: "public", email: cEmail });

    // A new email (typed in upper case): stored normalised, not verified.
    const newEmail = pl.randomEmail("pl-upd-new");
    const { result: changed, calls } = await rec.during(() => Passwordless.updateUser({ recipeUserId: a.recipeUserId, email: newEmail.toUpperCase() }));
    assert.deepEqual(changed, { status: "OK" });
    const put = calls.find((call) => call.method === "PUT");
    assert.equal(put.path, "/recipe/user");
    assert.deepEqual(put.body, { recipeUserId: a.user.id, email: newEmail.toUpperCase() });
    assert.equal(put.headers.rid, "passwordless");
    let user = await SuperTokens.getUser(a.user.id);
    assert.deepEqual(user.emails, [newEmail]);
    assert.equal(user.loginMethods[0].email, newEmail);
    assert.equal(user.loginMethods[0].verified, false, "a changed email is not verified");
    assert.deepEqual((await SuperTokens.listUsersByAccountInfo("public", { email: newEmail })).map((u) => u.id), [a.user.id]);
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email: a.user.emails[0] }), []);

    // Taken email / phone number.
    assert.deepEqual(await Passwordless.updateUser({ recipeUserId: a.recipeUserId, email: cEmail.toUpperCase() }), { status: "EMAIL_ALREADY_EXISTS_ERROR" });
    assert.deepEqual(await Passwordless.updateUser({ recipeUserId: a.recipeUserId, phoneNumber: bPhone.typed }), { status: "PHONE_NUMBER_ALREADY_EXISTS_ERROR" });
    user = await SuperTokens.getUser(a.user.id);
    assert.deepEqual(user.emails, [newEmail], "a refused update changes nothing");
    assert.deepEqual(user.phoneNumbers, []);

    // A phone number too (typed), stored as E.164; then clear the email.
    const aPhone = pl.randomPhone();
    assert.deepEqual(await Passwordless.updateUser({ recipeUserId: a.recipeUserId, phoneNumber: aPhone.typed }), { status: "OK" });
    user = await SuperTokens.getUser(a.user.id);
    assert.deepEqual(user.emails, [newEmail]);
    assert.deepEqual(user.phoneNumbers, [aPhone.e164]);
    assert.equal(user.loginMethods[0].phoneNumber, aPhone.e164);
    assert.deepEqual((await SuperTokens.listUsersByAccountInfo("public", { phoneNumber: aPhone.typed })).map((u) => u.id), [a.user.id]);

    const { calls: clearCalls } = await rec.during(async () =>
        assert.deepEqual(await Passwordless.updateUser({ recipeUserId: a.recipeUserId, email: null }), { status: "OK" }));
    assert.deepEqual(clearCalls.find((call) => call.method === "PUT").body, { recipeUserId: a.user.id, email: null });
    user = await SuperTokens.getUser(a.user.id);
    assert.deepEqual(user.emails, []);
    assert.deepEqual(user.phoneNumbers, [aPhone.e164]);
    assert.equal(user.loginMethods[0].email, undefined);
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email: newEmail }), []);

    // Clearing the last contact is a bad request, which the SDK throws.
    await assert.rejects(
        Passwordless.updateUser({ recipeUserId: a.recipeUserId, phoneNumber: null }),
        (err) => /status code: 400/.test(err.message) && /clear both email and phone number/.test(err.message));
    assert.deepEqual((await SuperTokens.getUser(a.user.id)).phoneNumbers, [aPhone.e164]);

    // The freed email is free for another user; the user signs in by the new phone number.
    assert.deepEqual(await Passwordless.updateUser({ recipeUserId: c.recipeUserId, email: newEmail }), { status: "OK" });
    const byPhone = await Passwordless.signInUp({ tenantId: "public", phoneNumber: aPhone.e164 });
    assert.equal(byPhone.createdNewRecipeUser, false);
    assert.equal(byPhone.user.id, a.user.id);

    // Nothing given changes nothing; an unknown user (phone only: straight to the core).
    assert.deepEqual(await Passwordless.updateUser({ recipeUserId: b.recipeUserId }), { status: "OK" });
    assert.deepEqual((await SuperTokens.getUser(b.user.id)).phoneNumbers, [bPhone.e164]);
    const unknown = SuperTokens.convertToRecipeUserId(`00000000-0000-4000-8000-${apps.tag()}`);
    const { result: nobody, paths } = await rec.during(() => Passwordless.updateUser({ recipeUserId: unknown, phoneNumber: pl.randomPhone().typed }));
    assert.deepEqual(nobody, { status: "UNKNOWN_USER_ID_ERROR" });
    assert.deepEqual(paths, ["PUT /recipe/user"]);

    for (const u of [a, b, c]) {
        await SuperTokens.deleteUser(u.user.id);
    }
});

test("pending codes of a user's old and new contacts go with an update, and those of its other contact with a sign-in", async () => {
    const oldEmail = pl.randomEmail("pl-clean-old");
    const user = await Passwordless.signInUp({ tenantId: "public", email: oldEmail });
    const newEmail = pl.randomEmail("pl-clean-new");
    const pendingOld = await codeFor({ email: oldEmail });
    const pendingNew = await codeFor({ email: newEmail });
    const bystander = await codeFor({ email: pl.randomEmail("pl-clean-other") });
    assert.deepEqual(await Passwordless.updateUser({ recipeUserId: user.recipeUserId, email: newEmail }), { status: "OK" });
    assert.deepEqual(await Passwordless.listCodesByEmail({ tenantId: "public", email: oldEmail }), []);
    assert.deepEqual(await Passwordless.listCodesByEmail({ tenantId: "public", email: newEmail }), []);
    assert.deepEqual(await consumeWith(pendingOld), { status: "RESTART_FLOW_ERROR" });
    assert.deepEqual(await consumeWith(pendingNew), { status: "RESTART_FLOW_ERROR" });
    assert.ok(await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: bystander.deviceId }), "another email's device stays");
    await Passwordless.revokeCode({ tenantId: "public", preAuthSessionId: bystander.preAuthSessionId });

    // The user also has a phone number; a sign-in by email ends the pending phone code.
    const phone = pl.randomPhone();
    assert.deepEqual(await Passwordless.updateUser({ recipeUserId: user.recipeUserId, phoneNumber: phone.e164 }), { status: "OK" });
    const byPhone = await codeFor({ phoneNumber: phone.e164 });
    const byEmail = await codeFor({ email: newEmail });
    const signedIn = await consumeWith(byEmail);
    assert.equal(signedIn.status, "OK", JSON.stringify(signedIn));
    assert.equal(signedIn.user.id, user.user.id);
    assert.deepEqual(await Passwordless.listCodesByPhoneNumber({ tenantId: "public", phoneNumber: phone.e164 }), []);
    assert.deepEqual(await consumeWith(byPhone), { status: "RESTART_FLOW_ERROR" });
    await SuperTokens.deleteUser(user.user.id);
});

test("a code offered with another device's pre-auth session id is a bad request (the SDK throws)", async () => {
    const a = await codeFor({ email: pl.randomEmail("pl-mismatch-a") });
    const b = await codeFor({ email: pl.randomEmail("pl-mismatch-b") });
    await assert.rejects(
        Passwordless.consumeCode({ tenantId: "public", preAuthSessionId: b.preAuthSessionId, deviceId: a.deviceId, userInputCode: a.userInputCode }),
        (err) => /status code: 400/.test(err.message) && /preAuthSessionId and deviceId doesn't match/.test(err.message));
    await assert.rejects(
        Passwordless.consumeCode({ tenantId: "public", preAuthSessionId: b.preAuthSessionId, linkCode: a.linkCode }),
        (err) => /status code: 400/.test(err.message) && /preAuthSessionId and deviceId doesn't match/.test(err.message));
    // Neither device was touched.
    assert.equal((await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: a.deviceId })).failedCodeInputAttemptCount, 0);
    const up = await consumeWith(a);
    assert.equal(up.status, "OK", JSON.stringify(up));
    await Passwordless.revokeCode({ tenantId: "public", preAuthSessionId: b.preAuthSessionId });
    await SuperTokens.deleteUser(up.user.id);
});

test("code expiry in a tenant with passwordless_code_lifetime 3000: EXPIRED_USER_INPUT_CODE_ERROR, a resend works", async () => {
    const created = await Multitenancy.createOrUpdateTenant(EXPIRY_TENANT, {
        firstFactors: ["otp-email", "link-email"],
        coreConfig: { passwordless_code_lifetime: 3000 },
    });
    assert.deepEqual(created, { status: "OK", createdNew: true });
    const email = pl.randomEmail("pl-expiry");
    const code = await Passwordless.createCode({ tenantId: EXPIRY_TENANT, email });
    assert.equal(code.status, "OK", JSON.stringify(code));
    assert.equal(code.codeLifetime, 3000);
    // The device belongs to the tenant only.
    assert.deepEqual(await Passwordless.listCodesByEmail({ tenantId: "public", email }), []);
    assert.deepEqual(await consumeWith(code, code.userInputCode, "public"), { status: "RESTART_FLOW_ERROR" });
    const listed = await Passwordless.listCodesByEmail({ tenantId: EXPIRY_TENANT, email });
    assert.deepEqual(listed.map((d) => d.codes[0].codeLifetime), [3000]);

    await new Promise((resolve) => setTimeout(resolve, 3300));
    const { result: expired, calls } = await rec.during(() => consumeWith(code, code.userInputCode, EXPIRY_TENANT));
    assert.equal(calls[0].path, `/${EXPIRY_TENANT}/recipe/signinup/code/consume`);
    assert.deepEqual(expired, {
        status: "EXPIRED_USER_INPUT_CODE_ERROR",
        failedCodeInputAttemptCount: 1,
        maximumCodeInputAttempts: pl.MAX_ATTEMPTS,
    });
    // checkCode sees it expired too (and counts it); an expired link code is a restart.
    assert.deepEqual(
        await Passwordless.checkCode({ tenantId: EXPIRY_TENANT, preAuthSessionId: code.preAuthSessionId, deviceId: code.deviceId, userInputCode: code.userInputCode }),
        { status: "EXPIRED_USER_INPUT_CODE_ERROR", failedCodeInputAttemptCount: 2, maximumCodeInputAttempts: pl.MAX_ATTEMPTS });
    assert.deepEqual(
        await Passwordless.consumeCode({ tenantId: EXPIRY_TENANT, preAuthSessionId: code.preAuthSessionId, linkCode: code.linkCode }),
        { status: "RESTART_FLOW_ERROR" });

    // A resend on the same device is a fresh code, good for another second.
    const resent = await Passwordless.createNewCodeForDevice({ tenantId: EXPIRY_TENANT, deviceId: code.deviceId });
    assert.equal(resent.status, "OK", JSON.stringify(resent));
    assert.equal(resent.codeLifetime, 3000);
    const up = await consumeWith(resent, resent.userInputCode, EXPIRY_TENANT);
    assert.equal(up.status, "OK", JSON.stringify(up));
    assert.equal(up.createdNewRecipeUser, true);
    assert.equal(up.consumedDevice.failedCodeInputAttemptCount, 2);
    assert.deepEqual(up.user.tenantIds, [EXPIRY_TENANT]);
    // The user is the tenant's, not public's.
    assert.deepEqual((await SuperTokens.listUsersByAccountInfo(EXPIRY_TENANT, { email })).map((u) => u.id), [up.user.id]);
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email }), []);
    await SuperTokens.deleteUser(up.user.id);
});

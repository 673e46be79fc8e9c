"use strict";
// TOTP stage: devices and codes through supertokens-node's TOTP functions
// (createDevice, verifyDevice, verifyTOTP, listDevices, updateDevice,
// removeDevice), in an app of its own (GATEHOUSE_URL/appid-<app>), with the
// codes computed in the test from the secrets the core hands out (lib/totp.js).
// The SDK has no function for importing a device; that one call goes through
// the TOTP recipe's own querier.
//
// Users: a signed-up EmailPassword user, and bare ids the core has never seen
// (a device needs no login method). The attempt limit is checked in a tenant
// of the app whose coreConfig sets totp_max_attempts 2 and
// totp_rate_limit_cooldown_sec 2.
//
// The tests of this file build on each other and run in order.
const test = require("node:test");
const assert = require("node:assert/strict");
const SuperTokens = require("supertokens-node");
const Session = require("supertokens-node/recipe/session");
const EmailPassword = require("supertokens-node/recipe/emailpassword");
const Multitenancy = require("supertokens-node/recipe/multitenancy");
const MultiFactorAuth = require("supertokens-node/recipe/multifactorauth");
const TOTP = require("supertokens-node/recipe/totp");
const h = require("../../lib/harness");
const apps = require("../../lib/apps");
const { Authenticator, randomSecret, importDevice, wire, BASE32_SECRET_RE } = require("../../lib/totp");

const APP = `sdk-totp-${apps.tag()}`;
const LIMITED = `lim-${apps.tag(3)}`;
const PASSWORD = "first-Passw0rd";
const ISSUER = "gatehouse-sdk-tests"; // appInfo.appName: the SDK's default issuer
const rec = apps.coreRecorder();

h.initSdk({
    connectionURI: `${h.GATEHOUSE_URL}/appid-${APP}`,
    // supertokens-node refuses TOTP without MultiFactorAuth ("Please initialize
    // the MultiFactorAuth recipe to use TOTP."); MFA only adds its own hooks here.
    recipeList: [EmailPassword.init(), Multitenancy.init(), MultiFactorAuth.init(), TOTP.init(), Session.init()],
    networkInterceptor: rec.intercept,
});

const base = `/appid-${APP}`;
const invalid = (current, max) => ({ status: "INVALID_TOTP_ERROR", currentNumberOfFailedAttempts: current, maxNumberOfFailedAttempts: max });
const sortByName = (devices) => [...devices].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
// Filled by the tests as they go.
const state = {};

test.before(async () => {
    await apps.createApp(APP);
});

test.after(async () => {
    const removed = await apps.removeApp(APP);
    assert.deepEqual(removed, { status: "OK", didExist: true });
});

test("createDevice for a signed-up user: the SDK looks the user up, the core makes an unverified device", async () => {
    state.email = `totp-${apps.tag()}@example.com`;
    const up = await EmailPassword.signUp("public", state.email, PASSWORD);
    assert.equal(up.status, "OK", JSON.stringify(up));
    state.userId = up.user.id;

    const { result, calls } = await rec.during(() => TOTP.createDevice(state.userId));
    // Without userIdentifierInfo the SDK fetches the user for its email (the
    // QR code's label), then asks the core with its default skew and period.
    assert.deepEqual(calls.map((c) => `${c.method} ${c.path}`), [`GET ${base}/user/id`, `POST ${base}/recipe/totp/device`]);
    assert.deepEqual(wire(calls[1].body), { userId: state.userId, skew: 1, period: 30 });
    assert.equal(calls[1].headers.rid, "totp");
    assert.equal(calls[1].headers["cdi-version"], "5.4");

    assert.equal(result.status, "OK", JSON.stringify(result));
    assert.equal(result.deviceName, "TOTP Device 0");
    assert.match(result.secret, BASE32_SECRET_RE);
    assert.equal(result.qrCodeString,
        `otpauth://totp/${ISSUER}:${state.email}?secret=${result.secret}&issuer=${ISSUER}&digits=6&period=30`);
    state.laptop = new Authenticator(result.secret);

    const { result: listed, paths } = await rec.during(() => TOTP.listDevices(state.userId));
    assert.deepEqual(paths, [`GET ${base}/recipe/totp/device/list`]);
    assert.deepEqual(listed, { status: "OK", devices: [{ name: "TOTP Device 0", period: 30, skew: 1, verified: false }] });
});

test("verifyDevice: a wrong code is INVALID_TOTP_ERROR with the counts, the right one verifies it", async () => {
    const { result: wrong, calls } = await rec.during(() =>
        TOTP.verifyDevice("public", state.userId, "TOTP Device 0", state.laptop.wrong()));
    assert.deepEqual(wrong, invalid(1, 5));
    assert.equal(calls.length, 1);
    assert.equal(calls[0].path, `${base}/public/recipe/totp/device/verify`);
    assert.deepEqual(Object.keys(calls[0].body).sort(), ["deviceName", "totp", "userId"]);
    assert.equal(calls[0].headers.rid, "totp");

    assert.deepEqual(await TOTP.verifyDevice("public", state.userId, "TOTP Device 0", state.laptop.fresh()),
        { status: "OK", wasAlreadyVerified: false });
    // A verified device answers wasAlreadyVerified without looking at the code.
    assert.deepEqual(await TOTP.verifyDevice("public", state.userId, "TOTP Device 0", state.laptop.wrong()),
        { status: "OK", wasAlreadyVerified: true });
    assert.deepEqual(await TOTP.verifyDevice("public", state.userId, `nope-${apps.tag(3)}`, state.laptop.wrong()),
        { status: "UNKNOWN_DEVICE_ERROR" });

    const listed = await TOTP.listDevices(state.userId);
    assert.deepEqual(listed.devices, [{ name: "TOTP Device 0", period: 30, skew: 1, verified: true }]);
});

test("verifyTOTP accepts a code once: the same code again is refused", async () => {
    const code = state.laptop.fresh();
    const { result, calls } = await rec.during(() => TOTP.verifyTOTP("public", state.userId, code));
    assert.deepEqual(result, { status: "OK" });
    assert.equal(calls.length, 1);
    assert.equal(calls[0].path, `${base}/public/recipe/totp/verify`);
    assert.deepEqual(calls[0].body, { userId: state.userId, totp: code });

    // Replay: the accepted code, and the code that verified the device.
    assert.deepEqual(await TOTP.verifyTOTP("public", state.userId, code), invalid(1, 5));
    const deviceCode = [...state.laptop.handedOut].find((c) => c !== code);
    assert.deepEqual(await TOTP.verifyTOTP("public", state.userId, deviceCode), invalid(2, 5));
});

test("updateDevice renames; createDevice with a verified device's name is DEVICE_ALREADY_EXISTS_ERROR", async () => {
    const { result, calls } = await rec.during(() => TOTP.updateDevice(state.userId, "TOTP Device 0", "laptop"));
    assert.deepEqual(result, { status: "OK" });
    assert.equal(calls[0].method, "PUT");
    assert.equal(calls[0].path, `${base}/recipe/totp/device`);
    assert.deepEqual(calls[0].body, { userId: state.userId, existingDeviceName: "TOTP Device 0", newDeviceName: "laptop" });
    assert.deepEqual(await TOTP.updateDevice(state.userId, "TOTP Device 0", "other"), { status: "UNKNOWN_DEVICE_ERROR" });

    assert.deepEqual(await TOTP.createDevice(state.userId, undefined, "laptop"), { status: "DEVICE_ALREADY_EXISTS_ERROR" });

    // Unnamed: "TOTP Device <number of verified devices>".
    const second = await TOTP.createDevice(state.userId);
    assert.equal(second.status, "OK");
    assert.equal(second.deviceName, "TOTP Device 1");
    // The name of an unverified device is free: the device is replaced (new secret).
    const phone = await TOTP.createDevice(state.userId, undefined, "phone");
    assert.equal(phone.status, "OK");
    assert.equal(phone.deviceName, "phone");
    const phoneAgain = await TOTP.createDevice(state.userId, undefined, "phone");
    assert.equal(phoneAgain.status, "OK");
    assert.notEqual(phoneAgain.secret, phone.secret);
    state.phone = new Authenticator(phoneAgain.secret);
    // Renaming onto a taken name.
    assert.deepEqual(await TOTP.updateDevice(state.userId, "phone", "laptop"), { status: "DEVICE_ALREADY_EXISTS_ERROR" });

    const listed = await TOTP.listDevices(state.userId);
    assert.deepEqual(sortByName(listed.devices), [
        { name: "TOTP Device 1", period: 30, skew: 1, verified: false },
        { name: "laptop", period: 30, skew: 1, verified: true },
        { name: "phone", period: 30, skew: 1, verified: false },
    ]);
    // Secrets are never listed.
    assert.ok(!JSON.stringify(listed).includes(phoneAgain.secret));

    // A code of an unverified device is no good for verifyTOTP.
    assert.deepEqual(await TOTP.verifyTOTP("public", state.userId, state.phone.at(0)), invalid(3, 5));
});

test("a bare user id: the SDK's user lookup refuses it, with userIdentifierInfo the core makes the device", async () => {
    state.bare = `totp-bare-${apps.tag()}`;
    const { result: refused, paths } = await rec.during(() => TOTP.createDevice(state.bare));
    assert.deepEqual(refused, { status: "UNKNOWN_USER_ID_ERROR" });
    assert.deepEqual(paths, [`GET ${base}/user/id`], "the SDK answers UNKNOWN_USER_ID_ERROR itself");

    const { result, paths: paths2 } = await rec.during(() =>
        TOTP.createDevice(state.bare, "bare@example.com", "authenticator"));
    assert.deepEqual(paths2, [`POST ${base}/recipe/totp/device`]);
    assert.equal(result.status, "OK", JSON.stringify(result));
    assert.equal(result.deviceName, "authenticator");
    assert.equal(result.qrCodeString,
        `otpauth://totp/${ISSUER}:bare@example.com?secret=${result.secret}&issuer=${ISSUER}&digits=6&period=30`);
    const app = new Authenticator(result.secret);

    assert.deepEqual(await TOTP.verifyTOTP("public", state.bare, app.at(0)), invalid(1, 5), "no verified device yet");
    assert.deepEqual(await TOTP.verifyDevice("public", state.bare, "authenticator", app.fresh()), { status: "OK", wasAlreadyVerified: false });
    assert.deepEqual(await TOTP.verifyTOTP("public", state.bare, app.fresh()), { status: "OK" });
    assert.deepEqual((await TOTP.listDevices(state.bare)).devices, [{ name: "authenticator", period: 30, skew: 1, verified: true }]);
});

test("an imported device (known secret) is verified at once and its codes are accepted", async () => {
    state.imported = `totp-import-${apps.tag()}`;
    const secret = randomSecret();
    const { result, calls } = await rec.during(() => importDevice(state.imported, secret, "imported"));
    assert.deepEqual(result, { status: "OK", deviceName: "imported" });
    assert.equal(calls[0].path, `${base}/recipe/totp/device/import`);
    assert.equal(calls[0].headers.rid, "totp");

    assert.deepEqual((await TOTP.listDevices(state.imported)).devices, [{ name: "imported", period: 30, skew: 1, verified: true }]);
    const app = new Authenticator(secret);
    assert.deepEqual(await TOTP.verifyTOTP("public", state.imported, app.fresh()), { status: "OK" });
    assert.deepEqual(await TOTP.verifyDevice("public", state.imported, "imported", app.wrong()), { status: "OK", wasAlreadyVerified: true });

    assert.deepEqual(await importDevice(state.imported, randomSecret(), "imported"), { status: "DEVICE_ALREADY_EXISTS_ERROR" });
    // Unnamed: named after the number of verified devices.
    assert.deepEqual(await importDevice(state.imported, randomSecret(), undefined), { status: "OK", deviceName: "TOTP Device 1" });
});

test("attempt limit: a tenant with totp_max_attempts 2 and a 2 s cool-down answers LIMIT_REACHED_ERROR", async () => {
    const coreConfig = { totp_max_attempts: 2, totp_rate_limit_cooldown_sec: 2 };
    assert.deepEqual(await Multitenancy.createOrUpdateTenant(LIMITED, { coreConfig }),
        { status: "OK", createdNew: true });
    assert.deepEqual((await Multitenancy.getTenant(LIMITED)).coreConfig, coreConfig);

    const user = `totp-limit-${apps.tag()}`;
    const secret = randomSecret();
    assert.equal((await importDevice(user, secret, "limited")).status, "OK");
    const app = new Authenticator(secret);

    const { result: first, calls } = await rec.during(() => TOTP.verifyTOTP(LIMITED, user, app.wrong()));
    assert.deepEqual(first, invalid(1, 2));
    assert.equal(calls[0].path, `${base}/${LIMITED}/recipe/totp/verify`);
    assert.deepEqual(await TOTP.verifyTOTP(LIMITED, user, app.wrong()), invalid(2, 2));

    // Locked out: even the right code is refused, and not kept.
    const code = app.fresh();
    const limited = await TOTP.verifyTOTP(LIMITED, user, code);
    assert.equal(limited.status, "LIMIT_REACHED_ERROR", JSON.stringify(limited));
    assert.ok(Number.isInteger(limited.retryAfterMs) && limited.retryAfterMs > 0 && limited.retryAfterMs <= 2000,
        `retryAfterMs: ${limited.retryAfterMs}`);
    // From CDI 5.0 the core adds the counts (the SDK passes them on).
    assert.equal(limited.currentNumberOfFailedAttempts, 2);
    assert.equal(limited.maxNumberOfFailedAttempts, 2);
    app.giveBack(code);
    const limitedWrong = await TOTP.verifyTOTP(LIMITED, user, app.wrong());
    assert.equal(limitedWrong.status, "LIMIT_REACHED_ERROR", JSON.stringify(limitedWrong));

    // The count is per tenant: public has its own, with the default maximum.
    assert.deepEqual(await TOTP.verifyTOTP("public", user, app.wrong()), invalid(1, 5));

    // After the cool-down the right code is accepted, and the count starts over.
    await new Promise((resolve) => setTimeout(resolve, limitedWrong.retryAfterMs + 150));
    assert.deepEqual(await TOTP.verifyTOTP(LIMITED, user, app.fresh()), { status: "OK" });
    assert.deepEqual(await TOTP.verifyTOTP(LIMITED, user, app.wrong()), invalid(1, 2));
    state.limitedUser = user;
});

test("removeDevice: didDeviceExist true then false; without devices verifyTOTP is UNKNOWN_USER_ID_ERROR", async () => {
    const { result, calls } = await rec.during(() => TOTP.removeDevice(state.userId, "phone"));
    assert.deepEqual(result, { status: "OK", didDeviceExist: true });
    assert.equal(calls[0].path, `${base}/recipe/totp/device/remove`);
    assert.deepEqual(calls[0].body, { userId: state.userId, deviceName: "phone" });
    assert.deepEqual(await TOTP.removeDevice(state.userId, "phone"), { status: "OK", didDeviceExist: false });
    assert.deepEqual(await TOTP.removeDevice(state.userId, "TOTP Device 1"), { status: "OK", didDeviceExist: true });
    assert.deepEqual(await TOTP.removeDevice(state.userId, "laptop"), { status: "OK", didDeviceExist: true });

    assert.deepEqual(await TOTP.listDevices(state.userId), { status: "OK", devices: [] });
    assert.deepEqual(await TOTP.verifyTOTP("public", state.userId, state.laptop.at(0)), { status: "UNKNOWN_USER_ID_ERROR" });
    assert.deepEqual(await TOTP.verifyDevice("public", state.userId, "laptop", state.laptop.at(0)), { status: "UNKNOWN_DEVICE_ERROR" });
    assert.deepEqual(await TOTP.removeDevice(`nobody-${apps.tag()}`, "laptop"), { status: "OK", didDeviceExist: false });

    for (const [user, name] of [[state.bare, "authenticator"], [state.imported, "imported"], [state.imported, "TOTP Device 1"], [state.limitedUser, "limited"]]) {
        assert.deepEqual(await TOTP.removeDevice(user, name), { status: "OK", didDeviceExist: true }, `${user} ${name}`);
    }
    assert.deepEqual(await TOTP.verifyTOTP("public", state.bare, "123456"), { status: "UNKNOWN_USER_ID_ERROR" });
    assert.deepEqual(await TOTP.verifyTOTP(LIMITED, state.limitedUser, "123456"), { status: "UNKNOWN_USER_ID_ERROR" });
});

test("deleting the user deletes its devices", async () => {
    assert.equal((await TOTP.createDevice(state.userId, undefined, "again")).status, "OK");
    assert.equal((await TOTP.listDevices(state.userId)).devices.length, 1);
    await SuperTokens.deleteUser(state.userId);
    assert.equal(await SuperTokens.getUser(state.userId), undefined);
    assert.deepEqual(await TOTP.listDevices(state.userId), { status: "OK", devices: [] });
});

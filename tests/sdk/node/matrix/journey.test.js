"use strict";
// The release-matrix user journey for one supertokens-node release, chosen by
// SDK_RELEASE (a key of releases.js: 15, 16, 19, 21, 23, 24). The SDK's config
// is process-wide, so matrix.sh runs this file once per release, each in its
// own process.
//
// The SDK talks to gatehouse through a recording proxy (lib/proxy.js), so every
// step can assert which core calls it made and a failing step prints the
// exchanges it caused (path, cdi-version, body, gatehouse's answer). Steps run
// in order and share the journey's user; a step that needs an earlier step's
// result says so when that step failed.

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const http = require("node:http");
const express = require("express");
const { loadRelease } = require("./releases");
const { startRecordingProxy, isJwksFetch, describe } = require("./lib/proxy");

function requireEnv(name) {
    const value = process.env[name];
    if (!value) {
        throw new Error(`${name} must be set (run the matrix through tests/sdk/matrix.sh)`);
    }
    return value;
}

const GATEHOUSE_URL = requireEnv("GATEHOUSE_URL");
const GATEHOUSE_API_KEY = requireEnv("GATEHOUSE_API_KEY");
const release = loadRelease(requireEnv("SDK_RELEASE"));
const { sdk, api } = release;
const { SuperTokens, Session, EmailPassword, EmailVerification, UserMetadata, UserRoles, Dashboard, ThirdParty, Multitenancy, Passwordless } = sdk;

const TAG = crypto.randomBytes(6).toString("hex");
const EMAIL = `matrix-node${release.name}-${TAG}@example.com`;
const PASSWORD = "Journey-Passw0rd";
// Dashboard users are global and limited to 3 without a licence. The prefix
// is the dashboard scenario's, so either one removes what the other left.
const DASHBOARD_EMAIL = `sdk-dash-matrix-node${release.name}-${TAG}@example.com`;
const DASHBOARD_PASSWORD = "Dashboard-Passw0rd1";
// The multitenancy / third-party / user id mapping leg: a tenant of the
// journey's app (the default one), an email-password user in it, and a
// third-party user in it that first signs in with TP_FIRST_EMAIL and then
// with TENANT_EMAIL (the email-password user's email).
const TENANT = `matrix-node${release.name}-${TAG}`;
const TENANT_EMAIL = `matrix-node${release.name}-mt-${TAG}@example.com`;
const TP_FIRST_EMAIL = `matrix-node${release.name}-tp-${TAG}@example.com`;
const PROVIDER = "google";
const TP_USER_ID = `matrix-google-${TAG}`;
const EXTERNAL_USER_ID = `matrix-ext-node${release.name}-${TAG}`;
// The passwordless leg: a user signs up with a code sent to PL_EMAIL, another
// with a link sent to PL_PHONE (given as PL_PHONE_INPUT, which the core
// normalises to E.164); the first one's email then changes to PL_EMAIL_NEW.
const PL_EMAIL = `matrix-node${release.name}-pl-${TAG}@example.com`;
const PL_EMAIL_NEW = `matrix-node${release.name}-pl-new-${TAG}@example.com`;
const PL_PHONE_DIGITS = String(crypto.randomInt(0, 1e6)).padStart(6, "0");
const PL_PHONE_INPUT = `+1 650 5${PL_PHONE_DIGITS.slice(0, 2)} ${PL_PHONE_DIGITS.slice(2)}`;
const PL_PHONE = `+16505${PL_PHONE_DIGITS}`;
// The account-linking leg: an email-password user with AL_EMAIL becomes
// primary and a third-party user (AL_TP_USER_ID) with the same email is linked
// to it; another email-password user (AL_OTHER_EMAIL) is the other target.
const AL_EMAIL = `matrix-node${release.name}-al-${TAG}@example.com`;
const AL_OTHER_EMAIL = `matrix-node${release.name}-al-other-${TAG}@example.com`;
const AL_TP_USER_ID = `matrix-al-google-${TAG}`;
// The core's defaults (gatehouse runs with them in the matrix).
const PL_MAX_ATTEMPTS = 5;
const PL_CODE_LIFETIME = 15 * 60 * 1000;

let proxy;
let app;
const journey = {}; // filled by the steps: userId, session tokens, handle...

function need(key) {
    assert.ok(journey[key] !== undefined, `this step needs ${key} from an earlier step, which failed`);
    return journey[key];
}

// A journey step: runs fn and, when it fails, appends the core exchanges the
// step caused to the error message. options.skip (a reason) skips it.
function step(name, fn, options = {}) {
    test(`[node ${release.name} / CDI ${release.cdi}] ${name}`, { skip: options.skip }, async () => {
        const start = proxy.exchanges.length;
        const calls = () => proxy.exchanges.slice(start);
        try {
            await fn({ calls, corePaths: () => calls().filter((e) => !isJwksFetch(e)).map((e) => `${e.method} ${e.path}`) });
        } catch (err) {
            const seen = calls();
            const extra =
                `\n  core exchanges during this step (${seen.length}):` +
                (seen.length ? "\n    " + seen.map(describe).join("\n    ") : " none");
            // The test reporter prints the stack, which already holds the message.
            if (err && typeof err === "object") {
                err.message = String(err.message) + extra;
                err.stack = String(err.stack) + extra;
            }
            throw err;
        }
    });
}

async function startApp() {
    const server = http.createServer();
    await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
    });
    return { server, port: server.address().port };
}

async function readBody(res) {
    const text = await res.text();
    let json;
    try {
        json = JSON.parse(text);
    } catch (_) {
        json = undefined;
    }
    return { status: res.status, text, json };
}

// Dashboard credentials the docs' way: a direct POST to the core with
// rid: dashboard and the api key, no cdi-version.
async function coreDashboardCall(method, path, body) {
    const res = await fetch(`${GATEHOUSE_URL}${path}`, {
        method,
        headers: { rid: "dashboard", "api-key": GATEHOUSE_API_KEY, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    return readBody(res);
}

async function removeDashboardUsers(prefix) {
    const list = await coreDashboardCall("GET", "/recipe/dashboard/users");
    assert.equal(list.status, 200, `GET /recipe/dashboard/users answered ${list.status}: ${list.text}`);
    for (const u of list.json.users.filter((u) => u.email.startsWith(prefix))) {
        const del = await coreDashboardCall("DELETE", `/recipe/dashboard/user?userId=${encodeURIComponent(u.userId)}`);
        assert.equal(del.status, 200, `DELETE /recipe/dashboard/user answered ${del.status}: ${del.text}`);
    }
}

async function appCall(method, path, { bearer, body } = {}) {
    const headers = {};
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`http://127.0.0.1:${app.port}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    return readBody(res);
}

async function rejectsWithSessionError(promise, type) {
    let caught;
    await assert.rejects(promise, (err) => {
        caught = err;
        assert.ok(Session.Error.isErrorFromSuperTokens(err), `expected a SuperTokens session error, got ${err && err.stack}`);
        assert.equal(err.type, type, `expected ${type}, got ${err.type} (${err.message})`);
        return true;
    });
    return caught;
}

// Whether the release's CDI version is `version` or later.
function cdiAtLeast(version) {
    const [major, minor] = release.cdi.split(".").map(Number);
    const [wantMajor, wantMinor] = version.split(".").map(Number);
    return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}

function decodeJwt(token) {
    const [h, p] = token.split(".");
    return { header: JSON.parse(Buffer.from(h, "base64url")), payload: JSON.parse(Buffer.from(p, "base64url")) };
}

before(async () => {
    proxy = await startRecordingProxy(GATEHOUSE_URL);
    app = await startApp();
    SuperTokens.init({
        framework: "express",
        supertokens: { connectionURI: proxy.url, apiKey: GATEHOUSE_API_KEY },
        appInfo: {
            appName: "gatehouse-sdk-matrix",
            apiDomain: `http://localhost:${app.port}`,
            websiteDomain: "http://localhost:3000",
            apiBasePath: "/auth",
            websiteBasePath: "/auth",
        },
        recipeList: [
            EmailPassword.init(),
            ThirdParty.init(),
            Passwordless.init({ contactMethod: "EMAIL_OR_PHONE", flowType: "USER_INPUT_CODE_AND_MAGIC_LINK" }),
            EmailVerification.init({ mode: "OPTIONAL" }),
            UserMetadata.init(),
            UserRoles.init(),
            Session.init(),
            Dashboard.init(),
        ],
        telemetry: false,
    });
    const expressApp = express();
    expressApp.use(sdk.framework.middleware());
    expressApp.use(sdk.framework.errorHandler());
    // eslint-disable-next-line no-unused-vars
    expressApp.use((err, req, res, next) => res.status(500).json({ message: String(err && err.message) }));
    app.server.on("request", expressApp);
});

after(async () => {
    // SDK_MATRIX_DUMP=1 prints every core exchange of the journey.
    if (process.env.SDK_MATRIX_DUMP === "1") {
        console.log(`core exchanges of the journey (${proxy.exchanges.length}):\n  ` + proxy.exchanges.map(describe).join("\n  "));
    }
    app.server.closeAllConnections?.();
    await new Promise((resolve) => app.server.close(resolve));
    await proxy.close();
});

step("the installed release is the pinned one and speaks exactly the expected CDI version", async () => {
    assert.equal(sdk.installedVersion, release.version);
    assert.deepEqual(sdk.cdiSupported, [release.cdi]);
});

step("sign up", async ({ corePaths, calls }) => {
    const res = await EmailPassword.signUp("public", EMAIL, PASSWORD);
    assert.equal(res.status, "OK", `signUp answered ${JSON.stringify(res)}`);
    const u = api.authResult(res);
    assert.equal(typeof u.id, "string");
    assert.ok(u.id.length > 0);
    // Later steps only need the id: keep it even if a check below fails.
    journey.userId = u.id;
    assert.equal(u.email, EMAIL);
    assert.equal(u.recipeUserId, u.id);
    // Version negotiation happened on this first call: GET /apiversion without
    // a cdi-version header, and the SDK settled on its only version.
    const negotiation = calls().filter((e) => e.path === "/apiversion");
    assert.equal(negotiation.length, 1, "the first core call negotiates the CDI version");
    assert.equal(negotiation[0].cdiVersion, undefined, "GET /apiversion carries no cdi-version");
    assert.equal(sdk.Querier.apiVersion, release.cdi, "the SDK negotiated its CDI version");
    assert.ok(corePaths().includes("POST /public/recipe/signup"), corePaths().join(", "));
});

step("sign up again with the same email is EMAIL_ALREADY_EXISTS_ERROR", async () => {
    need("userId");
    const res = await EmailPassword.signUp("public", EMAIL, PASSWORD);
    assert.equal(res.status, "EMAIL_ALREADY_EXISTS_ERROR", JSON.stringify(res));
});

step("sign in", async ({ corePaths }) => {
    const userId = need("userId");
    const res = await EmailPassword.signIn("public", EMAIL, PASSWORD);
    assert.equal(res.status, "OK", `signIn answered ${JSON.stringify(res)}`);
    const u = api.authResult(res);
    assert.equal(u.id, userId);
    assert.equal(u.email, EMAIL);
    assert.equal(u.recipeUserId, userId);
    assert.ok(corePaths().includes("POST /public/recipe/signin"), corePaths().join(", "));
});

step("sign in with a wrong password, and with an unknown email, is WRONG_CREDENTIALS_ERROR", async () => {
    need("userId");
    const wrong = await EmailPassword.signIn("public", EMAIL, PASSWORD + "-wrong");
    assert.deepEqual(wrong, { status: "WRONG_CREDENTIALS_ERROR" });
    const unknown = await EmailPassword.signIn("public", `nobody-${TAG}@example.com`, PASSWORD);
    assert.deepEqual(unknown, { status: "WRONG_CREDENTIALS_ERROR" });
});

step("get user by id (and an unknown id answers nothing)", async () => {
    const userId = need("userId");
    const u = await api.getUser(userId);
    assert.ok(u, "the signed-up user must be found");
    assert.equal(u.id, userId);
    assert.deepEqual(u.emails, [EMAIL]);
    assert.deepEqual(u.tenantIds, ["public"]);
    assert.deepEqual(u.recipeIds, ["emailpassword"]);
    assert.ok(Number.isInteger(u.timeJoined) && Math.abs(Date.now() - u.timeJoined) < 5 * 60 * 1000, `timeJoined ${u.timeJoined}`);
    assert.equal(await api.getUser(crypto.randomUUID()), undefined);
});

step("create a session", async ({ corePaths }) => {
    const userId = need("userId");
    const s = await Session.createNewSessionWithoutRequestResponse("public", api.userIdArg(userId), { journey: TAG }, { secret: TAG });
    const tokens = s.getAllSessionTokensDangerously();
    // Later steps need the session: keep it even if a check below fails.
    journey.handle = s.getHandle();
    journey.tokens = tokens;
    assert.equal(s.getUserId(), userId);
    assert.equal(s.getTenantId(), "public");
    assert.equal(typeof tokens.accessToken, "string");
    assert.equal(typeof tokens.refreshToken, "string");
    assert.equal(tokens.accessAndFrontTokenUpdated, true);
    const { header, payload } = decodeJwt(tokens.accessToken);
    assert.equal(header.version, release.tokenVersion, `CDI ${release.cdi} access tokens are v${release.tokenVersion}`);
    assert.equal(payload.sub, userId);
    assert.equal(payload.sessionHandle, s.getHandle());
    assert.equal(payload.tId, "public");
    assert.equal(payload.journey, TAG);
    assert.deepEqual(s.getAccessTokenPayload().journey, TAG);
    assert.ok(corePaths().includes("POST /public/recipe/session"), corePaths().join(", "));
});

step("get the session: verified locally through the JWKS, no core call", async ({ corePaths, calls }) => {
    const { accessToken } = need("tokens");
    const s = await Session.getSessionWithoutRequestResponse(accessToken);
    assert.equal(s.getHandle(), journey.handle);
    assert.equal(s.getUserId(), journey.userId);
    assert.equal(s.getAccessTokenPayload().journey, TAG);
    assert.deepEqual(corePaths(), [], "a plain getSession of a fresh token must not call the core");
    // The JWKS is fetched at most once, and only from the public endpoint.
    for (const e of calls().filter(isJwksFetch)) {
        assert.equal(e.status, 200, describe(e));
    }
    const info = await Session.getSessionInformation(journey.handle);
    assert.ok(info, "getSessionInformation must find the new session");
    assert.equal(info.userId, journey.userId);
    assert.deepEqual(info.sessionDataInDatabase, { secret: TAG });
    assert.equal(info.customClaimsInAccessTokenPayload.journey, TAG);
    assert.equal(info.tenantId, "public");
});

step("refresh the session twice (rotation)", async ({ corePaths }) => {
    const first = need("tokens");
    const r1 = await Session.refreshSessionWithoutRequestResponse(first.refreshToken);
    assert.equal(r1.getHandle(), journey.handle);
    assert.equal(r1.getUserId(), journey.userId);
    const t1 = r1.getAllSessionTokensDangerously();
    assert.notEqual(t1.refreshToken, first.refreshToken, "refresh must rotate the refresh token");
    assert.notEqual(t1.accessToken, first.accessToken);
    assert.equal(decodeJwt(t1.accessToken).payload.journey, TAG);
    // Refreshing with the new token makes it the current one, so the first
    // token is now older than the current token's parent.
    const r2 = await Session.refreshSessionWithoutRequestResponse(t1.refreshToken);
    const t2 = r2.getAllSessionTokensDangerously();
    journey.latestTokens = t2;
    assert.equal(r2.getHandle(), journey.handle);
    assert.notEqual(t2.refreshToken, t1.refreshToken);
    assert.deepEqual(corePaths(), ["POST /recipe/session/refresh", "POST /recipe/session/refresh"]);
});

step("reusing the first refresh token is token theft", async () => {
    const first = need("tokens");
    need("latestTokens");
    const err = await rejectsWithSessionError(Session.refreshSessionWithoutRequestResponse(first.refreshToken), "TOKEN_THEFT_DETECTED");
    assert.deepEqual(api.theftPayload(err.payload), api.expectedTheftPayload(journey.userId, journey.handle));
});

step("revoke the session: it is gone", async () => {
    const handle = need("handle");
    const latest = need("latestTokens");
    assert.equal(await Session.revokeSession(handle), true);
    assert.equal(await Session.getSessionInformation(handle), undefined);
    await rejectsWithSessionError(
        Session.getSessionWithoutRequestResponse(latest.accessToken, undefined, { checkDatabase: true }),
        "UNAUTHORISED",
    );
    await rejectsWithSessionError(Session.refreshSessionWithoutRequestResponse(latest.refreshToken), "UNAUTHORISED");
    assert.equal(await Session.revokeSession(handle), false, "a second revoke finds nothing");
});

step("user metadata: update, read back, remove a field", async () => {
    const userId = need("userId");
    const first = await UserMetadata.updateUserMetadata(userId, { first_name: "Journey", journey: { tag: TAG, n: 1 }, drop: true });
    assert.deepEqual(first, { status: "OK", metadata: { first_name: "Journey", journey: { tag: TAG, n: 1 }, drop: true } });
    const second = await UserMetadata.updateUserMetadata(userId, { drop: null, journey: { n: 2 } });
    assert.deepEqual(second.metadata, { first_name: "Journey", journey: { n: 2 } }, "a top-level update replaces, null removes");
    const read = await UserMetadata.getUserMetadata(userId);
    assert.deepEqual(read, { status: "OK", metadata: { first_name: "Journey", journey: { n: 2 } } });
});

step("roles and permissions", async () => {
    const userId = need("userId");
    const role = `matrix-role-${TAG}`;
    const [p1, p2] = [`read-${TAG}`, `write-${TAG}`];
    assert.deepEqual(await UserRoles.createNewRoleOrAddPermissions(role, [p1, p2]), { status: "OK", createdNewRole: true });
    assert.deepEqual(await UserRoles.createNewRoleOrAddPermissions(role, [p1]), { status: "OK", createdNewRole: false });
    assert.deepEqual(await UserRoles.addRoleToUser("public", userId, role), { status: "OK", didUserAlreadyHaveRole: false });
    assert.deepEqual(await UserRoles.addRoleToUser("public", userId, role), { status: "OK", didUserAlreadyHaveRole: true });
    assert.deepEqual(await UserRoles.getRolesForUser("public", userId), { status: "OK", roles: [role] });
    const perms = await UserRoles.getPermissionsForRole(role);
    assert.equal(perms.status, "OK");
    assert.deepEqual([...perms.permissions].sort(), [p1, p2]);
    assert.deepEqual(await UserRoles.getRolesThatHavePermission(p2), { status: "OK", roles: [role] });
    assert.deepEqual(await UserRoles.addRoleToUser("public", userId, `no-such-role-${TAG}`), { status: "UNKNOWN_ROLE_ERROR" });
});

step("email verification: token, verify, isVerified", async () => {
    const userId = need("userId");
    const id = api.userIdArg(userId);
    assert.equal(await EmailVerification.isEmailVerified(id, EMAIL), false);
    const created = await EmailVerification.createEmailVerificationToken("public", id, EMAIL);
    assert.equal(created.status, "OK", JSON.stringify(created));
    assert.equal(typeof created.token, "string");
    assert.ok(created.token.length > 0);
    const verified = await api.verifyEmailUsingToken(created.token);
    assert.equal(verified.status, "OK", JSON.stringify(verified));
    assert.deepEqual(api.verifiedUser(verified.user), { id: userId, email: EMAIL });
    assert.equal(await EmailVerification.isEmailVerified(id, EMAIL), true);
    const again = await EmailVerification.createEmailVerificationToken("public", id, EMAIL);
    assert.equal(again.status, "EMAIL_ALREADY_VERIFIED_ERROR");
    const reused = await api.verifyEmailUsingToken(created.token);
    assert.equal(reused.status, "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR");
});

step("dashboard: sign in through the SDK's dashboard API and list users", async ({ corePaths }) => {
    const userId = need("userId");
    await removeDashboardUsers("sdk-dash-");
    const created = await coreDashboardCall("POST", "/recipe/dashboard/user", { email: DASHBOARD_EMAIL, password: DASHBOARD_PASSWORD });
    assert.equal(created.status, 200, `POST /recipe/dashboard/user answered ${created.status}: ${created.text}`);
    assert.equal(created.json.status, "OK", created.text);
    try {
        const refused = await appCall("GET", "/auth/dashboard/api/users?limit=10", { bearer: "not-a-session" });
        assert.equal(refused.status, 401, `an unknown dashboard session must be refused: ${refused.status} ${refused.text}`);
        assert.deepEqual(refused.json, { message: "Unauthorised access" });

        const wrong = await appCall("POST", "/auth/dashboard/api/signin", { body: { email: DASHBOARD_EMAIL, password: "Wrong-Passw0rd1" } });
        assert.equal(wrong.status, 200, wrong.text);
        assert.deepEqual(wrong.json, { status: "INVALID_CREDENTIALS_ERROR" });

        const signin = await appCall("POST", "/auth/dashboard/api/signin", { body: { email: DASHBOARD_EMAIL, password: DASHBOARD_PASSWORD } });
        assert.equal(signin.status, 200, `signin answered ${signin.status}: ${signin.text}`);
        assert.equal(signin.json.status, "OK", signin.text);
        assert.equal(typeof signin.json.sessionId, "string");
        assert.ok(corePaths().includes("POST /recipe/dashboard/signin"), corePaths().join(", "));

        const list = await appCall("GET", "/auth/dashboard/api/users?limit=10", { bearer: signin.json.sessionId });
        assert.equal(list.status, 200, `users list answered ${list.status}: ${list.text}`);
        assert.equal(list.json.status, "OK", list.text);
        assert.ok(Array.isArray(list.json.users) && list.json.users.length <= 10, list.text);
        const mine = list.json.users.map(api.dashboardUser).find((u) => u.id === userId);
        assert.ok(mine, `the journey's user ${userId} must be in the dashboard's newest-first list: ${list.text}`);
        assert.deepEqual(mine.emails, [EMAIL]);
        assert.equal(mine.recipeId, "emailpassword");
        assert.equal(mine.firstName, "Journey", "the dashboard shows first_name from the user's metadata");
        assert.ok(corePaths().includes("POST /recipe/dashboard/session/verify"), corePaths().join(", "));
    } finally {
        await removeDashboardUsers(DASHBOARD_EMAIL);
    }
});

// --- multitenancy + third party + user id mapping, through the release's own
// functions, so the (often deprecated) endpoints the release calls are the
// ones exercised. The exact paths are asserted (releases.js TENANT_APIS and
// the adapter's getThirdPartyUser).

const tenantPaths = release.tenants.paths;

step(`multitenancy (${release.tenantApi} API): create a tenant, read it back with getTenant and listAllTenants`, async ({ corePaths, calls }) => {
    const created = await Multitenancy.createOrUpdateTenant(TENANT, release.tenants.createConfig);
    assert.deepEqual(created, { status: "OK", createdNew: true });
    journey.tenant = TENANT;
    assert.deepEqual(JSON.parse(calls()[0].requestBody), { tenantId: TENANT, ...release.tenants.createConfig });
    assert.deepEqual(await Multitenancy.createOrUpdateTenant(TENANT, release.tenants.createConfig), { status: "OK", createdNew: false });
    assert.deepEqual(await Multitenancy.getTenant(TENANT), { status: "OK", ...release.tenants.expected(TENANT, []) });
    const list = await Multitenancy.listAllTenants();
    assert.equal(list.status, "OK");
    assert.deepEqual(list.tenants.filter((t) => t.tenantId === TENANT), [release.tenants.expected(TENANT, [])]);
    assert.ok(list.tenants.some((t) => t.tenantId === "public"), JSON.stringify(list));
    assert.deepEqual(corePaths(), [tenantPaths.create, tenantPaths.create, tenantPaths.get(TENANT), tenantPaths.list]);
});

step("an email-password user signs up within the tenant; the public tenant does not know it", async ({ corePaths }) => {
    need("tenant");
    const res = await EmailPassword.signUp(TENANT, TENANT_EMAIL, PASSWORD);
    assert.equal(res.status, "OK", `signUp answered ${JSON.stringify(res)}`);
    const u = api.authResult(res);
    journey.tenantUserId = u.id;
    assert.equal(u.email, TENANT_EMAIL);
    assert.equal(u.recipeUserId, u.id);
    const read = await api.getUser(u.id);
    assert.deepEqual(read && { emails: read.emails, tenantIds: read.tenantIds, recipeIds: read.recipeIds }, {
        emails: [TENANT_EMAIL],
        tenantIds: [TENANT],
        recipeIds: ["emailpassword"],
    });
    assert.deepEqual(await EmailPassword.signIn("public", TENANT_EMAIL, PASSWORD), { status: "WRONG_CREDENTIALS_ERROR" });
    for (const path of [`POST /${TENANT}/recipe/signup`, "POST /public/recipe/signin"]) {
        assert.ok(corePaths().includes(path), `${path} not in ${corePaths().join(", ")}`);
    }
});

step("third party: manuallyCreateOrUpdateUser creates a user in the tenant, then signs it in with a changed email", async ({ corePaths }) => {
    need("tenant");
    const first = await api.manuallyCreateOrUpdateUser(TENANT, PROVIDER, TP_USER_ID, TP_FIRST_EMAIL);
    assert.equal(first.status, "OK", JSON.stringify(first));
    const user = api.thirdPartyUser(first.user);
    journey.tpUserId = user.id;
    assert.equal(first.createdNew, true);
    assert.equal(first.recipeUserId, user.id);
    assert.deepEqual(user, {
        id: user.id,
        emails: [TP_FIRST_EMAIL],
        thirdParty: [{ id: PROVIDER, userId: TP_USER_ID }],
        tenantIds: [TENANT],
        recipeIds: ["thirdparty"],
    });
    const again = await api.manuallyCreateOrUpdateUser(TENANT, PROVIDER, TP_USER_ID, TENANT_EMAIL);
    assert.equal(again.status, "OK", JSON.stringify(again));
    assert.equal(again.createdNew, false);
    assert.deepEqual(api.thirdPartyUser(again.user), { ...user, emails: [TENANT_EMAIL] });
    assert.equal(corePaths().filter((p) => p === `POST /${TENANT}/recipe/signinup`).length, 2, corePaths().join(", "));
});

step("third party: the user is found by id, by provider (in its tenant only) and by email", async ({ corePaths, calls }) => {
    const tpUserId = need("tpUserId");
    const tenantUserId = need("tenantUserId");
    const get = api.getThirdPartyUser;
    const expected = {
        id: tpUserId,
        emails: [TENANT_EMAIL],
        thirdParty: [{ id: PROVIDER, userId: TP_USER_ID }],
        tenantIds: [TENANT],
        recipeIds: ["thirdparty"],
    };
    assert.deepEqual(api.thirdPartyUser(await get.byId(tpUserId)), expected);
    assert.deepEqual((await get.byProvider(TENANT, PROVIDER, TP_USER_ID)).map(api.thirdPartyUser), [expected]);
    assert.deepEqual(await get.byProvider("public", PROVIDER, TP_USER_ID), [], "the provider account is the tenant's only");
    // The tenant's email-password user has the same email: the ThirdParty
    // recipe's by-email lookup (rid thirdparty) finds third-party users only,
    // the account-info lookup finds both.
    const byEmail = (await get.byEmail(TENANT, TENANT_EMAIL)).map((u) => u.id).sort();
    assert.deepEqual(byEmail, get.byEmailFindsOtherRecipes ? [tpUserId, tenantUserId].sort() : [tpUserId]);
    assert.deepEqual(await get.byEmail(TENANT, TP_FIRST_EMAIL), [], "the old email is gone");
    for (const path of [get.byIdPath, get.byProviderPath(TENANT), get.byProviderPath("public"), get.byEmailPath(TENANT)]) {
        assert.ok(corePaths().includes(path), `${path} not in ${corePaths().join(", ")}`);
    }
    // The deprecated recipe paths are told apart by rid.
    for (const e of calls().filter((e) => e.path.includes("/recipe/"))) {
        assert.equal(e.rid, "thirdparty", describe(e));
    }
});

step("multitenancy: a third-party provider config for the tenant, read back with getTenant, then removed", async ({ corePaths }) => {
    need("tenant");
    const clients = [{ clientId: `matrix-client-${TAG}`, clientSecret: `matrix-secret-${TAG}` }];
    assert.deepEqual(await Multitenancy.createOrUpdateThirdPartyConfig(TENANT, { thirdPartyId: PROVIDER, clients }), { status: "OK", createdNew: true });
    const tenant = await Multitenancy.getTenant(TENANT);
    assert.ok(tenant, "the tenant must be found");
    const providers = tenant.thirdParty.providers;
    assert.deepEqual(
        providers.map((p) => ({ thirdPartyId: p.thirdPartyId, clients: p.clients.map((c) => ({ clientId: c.clientId, clientSecret: c.clientSecret })) })),
        [{ thirdPartyId: PROVIDER, clients }],
    );
    // Everything else about the tenant is unchanged.
    assert.deepEqual({ ...tenant, thirdParty: { ...tenant.thirdParty, providers: [] } }, { status: "OK", ...release.tenants.expected(TENANT, []) });
    assert.deepEqual(await Multitenancy.deleteThirdPartyConfig(TENANT, PROVIDER), { status: "OK", didConfigExist: true });
    assert.deepEqual((await Multitenancy.getTenant(TENANT)).thirdParty.providers, []);
    assert.deepEqual(corePaths(), [
        `PUT /${TENANT}/recipe/multitenancy/config/thirdparty`,
        tenantPaths.get(TENANT),
        `POST /${TENANT}/recipe/multitenancy/config/thirdparty/remove`,
        tenantPaths.get(TENANT),
    ]);
});

step("user id mapping on the third-party user: create, get, the user under its external id, delete", async ({ corePaths }) => {
    const tpUserId = need("tpUserId");
    const mapping = { status: "OK", superTokensUserId: tpUserId, externalUserId: EXTERNAL_USER_ID, externalUserIdInfo: "matrix" };
    assert.deepEqual(
        await SuperTokens.createUserIdMapping({ superTokensUserId: tpUserId, externalUserId: EXTERNAL_USER_ID, externalUserIdInfo: "matrix" }),
        { status: "OK" },
    );
    try {
        assert.deepEqual(await SuperTokens.getUserIdMapping({ userId: EXTERNAL_USER_ID, userIdType: "EXTERNAL" }), mapping);
        // The core answers the mapped user under its external id.
        const get = api.getThirdPartyUser;
        assert.equal(api.thirdPartyUser(await get.byId(EXTERNAL_USER_ID))?.id, EXTERNAL_USER_ID);
        assert.deepEqual((await get.byProvider(TENANT, PROVIDER, TP_USER_ID)).map((u) => u.id), [EXTERNAL_USER_ID]);
    } finally {
        assert.deepEqual(await SuperTokens.deleteUserIdMapping({ userId: EXTERNAL_USER_ID, userIdType: "EXTERNAL" }), { status: "OK", didMappingExist: true });
    }
    assert.deepEqual(await SuperTokens.getUserIdMapping({ userId: EXTERNAL_USER_ID, userIdType: "EXTERNAL" }), { status: "UNKNOWN_MAPPING_ERROR" });
    for (const path of ["POST /recipe/userid/map", "GET /recipe/userid/map", "POST /recipe/userid/map/remove"]) {
        assert.ok(corePaths().includes(path), `${path} not in ${corePaths().join(", ")}`);
    }
});

step("multitenancy: associate the journey's user with the tenant (it can sign in there), then disassociate it", async ({ corePaths, calls }) => {
    const userId = need("userId");
    need("tenant");
    const id = api.userIdArg(userId);
    assert.deepEqual(await Multitenancy.associateUserToTenant(TENANT, id), { status: "OK", wasAlreadyAssociated: false });
    const associate = calls().find((e) => e.path === `/${TENANT}/recipe/multitenancy/tenant/user`);
    assert.deepEqual(associate && JSON.parse(associate.requestBody), { [api.associateBodyKey]: userId });
    assert.deepEqual(await Multitenancy.associateUserToTenant(TENANT, id), { status: "OK", wasAlreadyAssociated: true });
    assert.deepEqual([...(await api.getUser(userId)).tenantIds].sort(), ["public", TENANT].sort());
    const signIn = await EmailPassword.signIn(TENANT, EMAIL, PASSWORD);
    assert.equal(signIn.status, "OK", JSON.stringify(signIn));
    assert.equal(api.authResult(signIn).id, userId);
    assert.deepEqual(await Multitenancy.disassociateUserFromTenant(TENANT, id), { status: "OK", wasAssociated: true });
    assert.deepEqual((await api.getUser(userId)).tenantIds, ["public"]);
    assert.deepEqual(await EmailPassword.signIn(TENANT, EMAIL, PASSWORD), { status: "WRONG_CREDENTIALS_ERROR" });
    assert.ok(corePaths().includes(`POST /${TENANT}/recipe/multitenancy/tenant/user/remove`), corePaths().join(", "));
});

step("multitenancy: delete the tenant's users and the tenant; getTenant answers nothing, listAllTenants no longer has it", async ({ corePaths }) => {
    need("tenant");
    for (const key of ["tpUserId", "tenantUserId"]) {
        if (journey[key] !== undefined) {
            await SuperTokens.deleteUser(journey[key]);
        }
    }
    assert.deepEqual(await Multitenancy.deleteTenant(TENANT), { status: "OK", didExist: true });
    assert.equal(await Multitenancy.getTenant(TENANT), undefined);
    const list = await Multitenancy.listAllTenants();
    assert.deepEqual(list.tenants.filter((t) => t.tenantId === TENANT), []);
    assert.deepEqual(await Multitenancy.deleteTenant(TENANT), { status: "OK", didExist: false });
    const tail = corePaths().slice(-4);
    assert.deepEqual(tail, ["POST /recipe/multitenancy/tenant/remove", tenantPaths.get(TENANT), tenantPaths.list, "POST /recipe/multitenancy/tenant/remove"]);
});

// --- passwordless, through the release's own Passwordless functions. What
// the core answers depends on the CDI version the release speaks: before 4.0
// the user is a recipe user {id, email?, phoneNumber?, timeJoined, tenantIds},
// from 4.0 it is the account-linking user plus recipeUserId (and a consumed
// email is verified), from 5.0 consume also answers consumedDevice, there is
// checkCode, and revokeCode may name a whole device (preAuthSessionId).

const pl = api.passwordless;

// A created code as the SDK hands it back, with the fields every release has.
function assertCreatedCode(code) {
    assert.equal(code.status, "OK", JSON.stringify(code));
    for (const key of ["preAuthSessionId", "codeId", "deviceId", "userInputCode", "linkCode"]) {
        assert.equal(typeof code[key], "string", `${key} in ${JSON.stringify(code)}`);
    }
    assert.match(code.userInputCode, /^[0-9A-Za-z]{6}$/, "the core makes six-character codes");
    assert.equal(code.codeLifetime, PL_CODE_LIFETIME);
    assert.ok(Math.abs(Date.now() - code.timeCreated) < 5 * 60 * 1000, `timeCreated ${code.timeCreated}`);
}

// A listed device as the SDK hands it back: {preAuthSessionId,
// failedCodeInputAttemptCount, email | phoneNumber, codes}, with the code ids.
function deviceView(d) {
    return (
        d && {
            preAuthSessionId: d.preAuthSessionId,
            failedCodeInputAttemptCount: d.failedCodeInputAttemptCount,
            email: d.email,
            phoneNumber: d.phoneNumber,
            codeIds: d.codes.map((c) => c.codeId).sort(),
        }
    );
}

// The top-level fields of the core's consume answer at the release's CDI.
const CONSUME_ANSWER_KEYS = ["createdNewUser", "status", "user", ...(cdiAtLeast("4.0") ? ["recipeUserId"] : []), ...(cdiAtLeast("5.0") ? ["consumedDevice"] : [])].sort();

function coreAnswer(calls, path) {
    const e = calls().filter((e) => `${e.method} ${e.path}` === path).pop();
    assert.ok(e, `no ${path} in ${calls().map((e) => `${e.method} ${e.path}`).join(", ")}`);
    return JSON.parse(e.responseBody);
}

step("passwordless: a code by email, resent, a wrong code, then consumed with the user input code: a new user", async ({ corePaths, calls }) => {
    const created = await Passwordless.createCode({ tenantId: "public", email: PL_EMAIL });
    assertCreatedCode(created);
    // 24.x also sends shouldTryLinkingWithSessionUser (false), which the core ignores.
    const sent = JSON.parse(calls()[calls().length - 1].requestBody);
    assert.deepEqual({ ...sent, shouldTryLinkingWithSessionUser: undefined }, { email: PL_EMAIL, shouldTryLinkingWithSessionUser: undefined });
    const resent = await Passwordless.createNewCodeForDevice({ tenantId: "public", deviceId: created.deviceId });
    assertCreatedCode(resent);
    assert.equal(resent.deviceId, created.deviceId);
    assert.equal(resent.preAuthSessionId, created.preAuthSessionId);
    assert.notEqual(resent.codeId, created.codeId);
    assert.deepEqual(
        await Passwordless.createNewCodeForDevice({ tenantId: "public", deviceId: created.deviceId, userInputCode: resent.userInputCode }),
        { status: "USER_INPUT_CODE_ALREADY_USED_ERROR" },
    );

    const device = {
        preAuthSessionId: created.preAuthSessionId,
        failedCodeInputAttemptCount: 0,
        email: PL_EMAIL,
        phoneNumber: undefined,
        codeIds: [created.codeId, resent.codeId].sort(),
    };
    assert.deepEqual((await Passwordless.listCodesByEmail({ tenantId: "public", email: PL_EMAIL })).map(deviceView), [device]);
    assert.deepEqual(deviceView(await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: created.deviceId })), device);
    assert.deepEqual(deviceView(await Passwordless.listCodesByPreAuthSessionId({ tenantId: "public", preAuthSessionId: created.preAuthSessionId })), device);
    const listed = (await Passwordless.listCodesByEmail({ tenantId: "public", email: PL_EMAIL }))[0];
    for (const c of listed.codes) {
        assert.equal(c.codeLifetime, PL_CODE_LIFETIME, JSON.stringify(listed));
        assert.equal(typeof c.timeCreated, "number", JSON.stringify(listed));
    }

    // A wrong code counts as a failed attempt; from 5.0 checkCode says so
    // without consuming, and a right code checks OK and is still there.
    const typed = { tenantId: "public", preAuthSessionId: created.preAuthSessionId, deviceId: created.deviceId };
    let failed = 0;
    if (cdiAtLeast("5.0")) {
        failed += 1;
        assert.deepEqual(await Passwordless.checkCode({ ...typed, userInputCode: `wrong-${TAG}` }), {
            status: "INCORRECT_USER_INPUT_CODE_ERROR",
            failedCodeInputAttemptCount: failed,
            maximumCodeInputAttempts: PL_MAX_ATTEMPTS,
        });
        assert.deepEqual(await Passwordless.checkCode({ ...typed, userInputCode: created.userInputCode }), {
            status: "OK",
            consumedDevice: { preAuthSessionId: created.preAuthSessionId, failedCodeInputAttemptCount: failed, email: PL_EMAIL },
        });
    }
    failed += 1;
    assert.deepEqual(await Passwordless.consumeCode({ ...typed, userInputCode: `wrong-${TAG}` }), {
        status: "INCORRECT_USER_INPUT_CODE_ERROR",
        failedCodeInputAttemptCount: failed,
        maximumCodeInputAttempts: PL_MAX_ATTEMPTS,
    });
    assert.deepEqual(deviceView(await Passwordless.listCodesByDeviceId({ tenantId: "public", deviceId: created.deviceId })), {
        ...device,
        failedCodeInputAttemptCount: failed,
    });

    const consumed = pl.consumed(await Passwordless.consumeCode({ ...typed, userInputCode: created.userInputCode }));
    assert.equal(consumed.status, "OK", JSON.stringify(consumed));
    journey.plEmailUserId = consumed.user.id;
    assert.equal(consumed.createdNew, true);
    assert.equal(consumed.recipeUserId, consumed.user.id);
    assert.deepEqual(consumed.user, {
        id: consumed.user.id,
        emails: [PL_EMAIL],
        phoneNumbers: [],
        tenantIds: ["public"],
        timeJoined: consumed.user.timeJoined,
        recipeIds: ["passwordless"],
    });
    assert.ok(Math.abs(Date.now() - consumed.user.timeJoined) < 5 * 60 * 1000, `timeJoined ${consumed.user.timeJoined}`);
    assert.deepEqual(
        consumed.consumedDevice,
        cdiAtLeast("5.0") ? { preAuthSessionId: created.preAuthSessionId, failedCodeInputAttemptCount: failed, email: PL_EMAIL } : undefined,
    );
    const answer = coreAnswer(calls, "POST /public/recipe/signinup/code/consume");
    assert.deepEqual(Object.keys(answer).sort(), CONSUME_ANSWER_KEYS, `CDI ${release.cdi} consume answer`);
    if (!cdiAtLeast("4.0")) {
        assert.deepEqual(Object.keys(answer.user).sort(), ["email", "id", "tenantIds", "timeJoined"], "a CDI 3.0 recipe user");
    }
    // Consuming removed the device; its other code is gone with it.
    assert.deepEqual(await Passwordless.listCodesByEmail({ tenantId: "public", email: PL_EMAIL }), []);
    assert.deepEqual(await Passwordless.consumeCode({ ...typed, userInputCode: resent.userInputCode }), { status: "RESTART_FLOW_ERROR" });
    // From CDI 4.0 the core marks a consumed email as verified.
    assert.equal(await EmailVerification.isEmailVerified(api.userIdArg(consumed.user.id), PL_EMAIL), cdiAtLeast("4.0"));
    assert.ok(corePaths().includes("POST /public/recipe/signinup/code"), corePaths().join(", "));
    assert.ok(corePaths().includes("GET /public/recipe/signinup/codes"), corePaths().join(", "));
});

step("passwordless: a code by phone number, consumed with the link code: a new user", async ({ calls }) => {
    const created = await Passwordless.createCode({ tenantId: "public", phoneNumber: PL_PHONE_INPUT });
    assertCreatedCode(created);
    const listed = await Passwordless.listCodesByPhoneNumber({ tenantId: "public", phoneNumber: PL_PHONE });
    assert.deepEqual(listed.map(deviceView), [
        { preAuthSessionId: created.preAuthSessionId, failedCodeInputAttemptCount: 0, email: undefined, phoneNumber: PL_PHONE, codeIds: [created.codeId] },
    ]);
    const consumed = pl.consumed(await Passwordless.consumeCode({ tenantId: "public", preAuthSessionId: created.preAuthSessionId, linkCode: created.linkCode }));
    assert.equal(consumed.status, "OK", JSON.stringify(consumed));
    journey.plPhoneUserId = consumed.user.id;
    assert.equal(consumed.createdNew, true);
    assert.equal(consumed.recipeUserId, consumed.user.id);
    assert.deepEqual(consumed.user, {
        id: consumed.user.id,
        emails: [],
        phoneNumbers: [PL_PHONE],
        tenantIds: ["public"],
        timeJoined: consumed.user.timeJoined,
        recipeIds: ["passwordless"],
    });
    assert.deepEqual(
        consumed.consumedDevice,
        cdiAtLeast("5.0") ? { preAuthSessionId: created.preAuthSessionId, failedCodeInputAttemptCount: 0, phoneNumber: PL_PHONE } : undefined,
    );
    const answer = coreAnswer(calls, "POST /public/recipe/signinup/code/consume");
    assert.deepEqual(Object.keys(answer).sort(), CONSUME_ANSWER_KEYS, `CDI ${release.cdi} consume answer`);
    if (!cdiAtLeast("4.0")) {
        assert.deepEqual(Object.keys(answer.user).sort(), ["id", "phoneNumber", "tenantIds", "timeJoined"], "a CDI 3.0 recipe user");
    }
    assert.deepEqual(await Passwordless.listCodesByPhoneNumber({ tenantId: "public", phoneNumber: PL_PHONE }), []);
});

step("passwordless: revoke one code, a whole device (5.0+), every code of an email and of a phone number; the user signs in again", async ({ calls, corePaths }) => {
    const userId = need("plEmailUserId");
    need("plPhoneUserId");
    const first = await Passwordless.createCode({ tenantId: "public", email: PL_EMAIL });
    assertCreatedCode(first);
    const second = await Passwordless.createNewCodeForDevice({ tenantId: "public", deviceId: first.deviceId });
    assertCreatedCode(second);
    assert.deepEqual(await Passwordless.revokeCode({ tenantId: "public", codeId: first.codeId }), { status: "OK" });
    const remove = calls().filter((e) => e.path === "/public/recipe/signinup/code/remove").pop();
    assert.deepEqual(JSON.parse(remove.requestBody), { codeId: first.codeId });
    assert.deepEqual((await Passwordless.listCodesByEmail({ tenantId: "public", email: PL_EMAIL })).map((d) => deviceView(d).codeIds), [[second.codeId]]);
    assert.deepEqual(
        await Passwordless.consumeCode({ tenantId: "public", preAuthSessionId: first.preAuthSessionId, linkCode: first.linkCode }),
        { status: "RESTART_FLOW_ERROR" },
        "a revoked link code is unknown",
    );
    assert.deepEqual(await Passwordless.revokeAllCodes({ tenantId: "public", email: PL_EMAIL }), { status: "OK" });
    assert.deepEqual(await Passwordless.listCodesByEmail({ tenantId: "public", email: PL_EMAIL }), []);

    const phone = await Passwordless.createCode({ tenantId: "public", phoneNumber: PL_PHONE });
    assertCreatedCode(phone);
    assert.deepEqual(await Passwordless.revokeAllCodes({ tenantId: "public", phoneNumber: PL_PHONE }), { status: "OK" });
    const removeAll = calls().filter((e) => e.path === "/public/recipe/signinup/codes/remove").pop();
    assert.deepEqual(JSON.parse(removeAll.requestBody), { phoneNumber: PL_PHONE });
    assert.deepEqual(await Passwordless.listCodesByPhoneNumber({ tenantId: "public", phoneNumber: PL_PHONE }), []);

    if (cdiAtLeast("5.0")) {
        const code = await Passwordless.createCode({ tenantId: "public", email: PL_EMAIL });
        assertCreatedCode(code);
        assert.deepEqual(await Passwordless.revokeCode({ tenantId: "public", preAuthSessionId: code.preAuthSessionId }), { status: "OK" });
        const byDevice = calls().filter((e) => e.path === "/public/recipe/signinup/code/remove").pop();
        assert.deepEqual(JSON.parse(byDevice.requestBody), { preAuthSessionId: code.preAuthSessionId });
        assert.equal(await Passwordless.listCodesByPreAuthSessionId({ tenantId: "public", preAuthSessionId: code.preAuthSessionId }), undefined);
    }

    // The existing user signs in again (by link): not a new user.
    const again = await Passwordless.createCode({ tenantId: "public", email: PL_EMAIL });
    assertCreatedCode(again);
    const consumed = pl.consumed(await Passwordless.consumeCode({ tenantId: "public", preAuthSessionId: again.preAuthSessionId, linkCode: again.linkCode }));
    assert.equal(consumed.status, "OK", JSON.stringify(consumed));
    assert.equal(consumed.createdNew, false);
    assert.equal(consumed.user.id, userId);
    assert.equal(consumed.recipeUserId, userId);
    assert.ok(corePaths().includes("POST /public/recipe/signinup/codes/remove"), corePaths().join(", "));
});

step("passwordless: update the users' email and phone number (clashes, an unknown user), read them back, clear a phone number", async ({ calls, corePaths }) => {
    const emailUserId = need("plEmailUserId");
    const phoneUserId = need("plPhoneUserId");
    assert.deepEqual(await pl.updateUser(emailUserId, { phoneNumber: PL_PHONE }), { status: "PHONE_NUMBER_ALREADY_EXISTS_ERROR" });
    const clash = calls().filter((e) => `${e.method} ${e.path}` === "PUT /recipe/user").pop();
    assert.deepEqual(JSON.parse(clash.requestBody), { [pl.updateBodyKey]: emailUserId, phoneNumber: PL_PHONE });
    assert.deepEqual(await pl.updateUser(phoneUserId, { email: PL_EMAIL }), { status: "EMAIL_ALREADY_EXISTS_ERROR" });
    assert.deepEqual(await pl.updateUser(emailUserId, { email: PL_EMAIL_NEW }), { status: "OK" });
    // The email is free now: the phone user takes it and has both.
    assert.deepEqual(await pl.updateUser(phoneUserId, { email: PL_EMAIL }), { status: "OK" });
    assert.deepEqual(await pl.updateUser(crypto.randomUUID(), { phoneNumber: `+1650${PL_PHONE_DIGITS}9` }), { status: "UNKNOWN_USER_ID_ERROR" });

    const emailUser = await pl.getUserById(emailUserId);
    assert.deepEqual(emailUser && { id: emailUser.id, emails: emailUser.emails, phoneNumbers: emailUser.phoneNumbers, tenantIds: emailUser.tenantIds, recipeIds: emailUser.recipeIds }, {
        id: emailUserId,
        emails: [PL_EMAIL_NEW],
        phoneNumbers: [],
        tenantIds: ["public"],
        recipeIds: ["passwordless"],
    });
    const phoneUser = await pl.getUserById(phoneUserId);
    assert.deepEqual(phoneUser && { emails: phoneUser.emails, phoneNumbers: phoneUser.phoneNumbers }, { emails: [PL_EMAIL], phoneNumbers: [PL_PHONE] });
    assert.deepEqual((await pl.byEmail("public", PL_EMAIL_NEW)).map((u) => u.id), [emailUserId]);
    assert.deepEqual((await pl.byEmail("public", PL_EMAIL)).map((u) => u.id), [phoneUserId]);
    assert.deepEqual((await pl.byPhoneNumber("public", PL_PHONE)).map((u) => u.id), [phoneUserId]);
    assert.deepEqual(await pl.byEmail("public", `nobody-${TAG}@example.com`), []);
    if (!cdiAtLeast("4.0")) {
        const byId = coreAnswer(calls, "GET /recipe/user");
        assert.deepEqual(Object.keys(byId.user).sort(), ["email", "id", "phoneNumber", "tenantIds", "timeJoined"], "a CDI 3.0 recipe user");
    }

    assert.deepEqual(await pl.updateUser(phoneUserId, { phoneNumber: null }), { status: "OK" });
    assert.deepEqual((await pl.getUserById(phoneUserId))?.phoneNumbers, []);
    assert.deepEqual(await pl.byPhoneNumber("public", PL_PHONE), []);
    for (const path of ["PUT /recipe/user", pl.paths.byId, pl.paths.byAccountInfo("public")]) {
        assert.ok(corePaths().includes(path), `${path} not in ${corePaths().join(", ")}`);
    }
    // The deprecated recipe paths are told apart by rid.
    for (const e of calls().filter((e) => e.path.endsWith("/recipe/user") || e.path.includes("/recipe/signinup/"))) {
        assert.equal(e.rid, "passwordless", describe(e));
    }
});

step("passwordless: delete the users; they are gone", async () => {
    const ids = ["plEmailUserId", "plPhoneUserId"].filter((key) => journey[key] !== undefined).map((key) => journey[key]);
    assert.ok(ids.length > 0, "this step needs the passwordless users from earlier steps, which failed");
    for (const id of ids) {
        await SuperTokens.deleteUser(id);
        assert.equal(await pl.getUserById(id), undefined);
    }
});

// --- account linking (16.x and later, CDI 4.0+), through the release's own
// AccountLinking functions and SuperTokens.getUser / deleteUser. The users are
// made with the recipe functions; the AccountLinking recipe is not configured
// (no automatic linking), so only the manual calls here link anything. 15.x
// (CDI 3.0) has no account linking: the leg is skipped.

const al = api.accountLinking;
const alSkip = al ? undefined : `supertokens-node ${release.name} (CDI ${release.cdi}) has no account linking`;
const AccountLinking = al?.AccountLinking;
const rid = (id) => SuperTokens.convertToRecipeUserId(id);

// The fields of the core's user JSON at the release's CDI (5.3+ adds webauthn)
// and of a login method of an email-password or third-party user.
const AL_USER_KEYS = ["emails", "id", "isPrimaryUser", "loginMethods", "phoneNumbers", "tenantIds", "thirdParty", "timeJoined", ...(cdiAtLeast("5.3") ? ["webauthn"] : [])].sort();
const AL_LOGIN_METHOD_KEYS = ["email", "recipeId", "recipeUserId", "tenantIds", "timeJoined", "verified"];

function assertCoreUserShape(user) {
    assert.deepEqual(Object.keys(user).sort(), AL_USER_KEYS, `CDI ${release.cdi} user JSON`);
    for (const lm of user.loginMethods) {
        const keys = lm.recipeId === "thirdparty" ? [...AL_LOGIN_METHOD_KEYS, "thirdParty"] : AL_LOGIN_METHOD_KEYS;
        assert.deepEqual(Object.keys(lm).sort(), keys.sort(), JSON.stringify(lm));
    }
}

function lastRequest(calls, path) {
    const e = calls().filter((e) => `${e.method} ${e.path}` === path).pop();
    assert.ok(e, `no ${path} in ${calls().map((e) => `${e.method} ${e.path}`).join(", ")}`);
    return e;
}

// The linked user: the email-password primary user with the third-party
// login method, both unverified, in public.
function linkedUser(primaryId, linkedId) {
    return {
        id: primaryId,
        isPrimaryUser: true,
        emails: [AL_EMAIL],
        thirdParty: [{ id: PROVIDER, userId: AL_TP_USER_ID }],
        tenantIds: ["public"],
        loginMethods: [
            { recipeId: "emailpassword", recipeUserId: primaryId, email: AL_EMAIL, thirdParty: undefined, verified: false, tenantIds: ["public"] },
            { recipeId: "thirdparty", recipeUserId: linkedId, email: AL_EMAIL, thirdParty: { id: PROVIDER, userId: AL_TP_USER_ID }, verified: false, tenantIds: ["public"] },
        ],
    };
}

step(
    "account linking: an email-password user becomes primary (canCreatePrimaryUser, createPrimaryUser)",
    async ({ calls, corePaths }) => {
        const res = await EmailPassword.signUp("public", AL_EMAIL, PASSWORD);
        assert.equal(res.status, "OK", JSON.stringify(res));
        const id = res.user.id;
        journey.alPrimaryId = id;
        assert.equal(res.user.isPrimaryUser, false);
        assert.deepEqual(await AccountLinking.canCreatePrimaryUser(rid(id)), { status: "OK", wasAlreadyAPrimaryUser: false });
        assert.equal(lastRequest(calls, "GET /recipe/accountlinking/user/primary/check").query, `?recipeUserId=${id}`);
        assert.equal((await SuperTokens.getUser(id)).isPrimaryUser, false, "checking changes nothing");

        const made = await AccountLinking.createPrimaryUser(rid(id));
        assert.equal(made.status, "OK", JSON.stringify(made));
        assert.equal(made.wasAlreadyAPrimaryUser, false);
        assert.deepEqual(al.user(made.user), {
            id,
            isPrimaryUser: true,
            emails: [AL_EMAIL],
            thirdParty: [],
            tenantIds: ["public"],
            loginMethods: [{ recipeId: "emailpassword", recipeUserId: id, email: AL_EMAIL, thirdParty: undefined, verified: false, tenantIds: ["public"] }],
        });
        const create = lastRequest(calls, "POST /recipe/accountlinking/user/primary");
        assert.deepEqual(JSON.parse(create.requestBody), { recipeUserId: id });
        const answer = JSON.parse(create.responseBody);
        assert.deepEqual(Object.keys(answer).sort(), ["status", "user", "wasAlreadyAPrimaryUser"]);
        assertCoreUserShape(answer.user);

        const again = await AccountLinking.createPrimaryUser(rid(id));
        assert.deepEqual([again.status, again.wasAlreadyAPrimaryUser, again.user.id], ["OK", true, id]);
        assert.deepEqual(await AccountLinking.canCreatePrimaryUser(rid(id)), { status: "OK", wasAlreadyAPrimaryUser: true });
        assert.equal((await SuperTokens.getUser(id)).isPrimaryUser, true);
        for (const e of calls().filter((e) => e.path.startsWith("/recipe/accountlinking/"))) {
            assert.equal(e.rid, "accountlinking", describe(e));
        }
        assert.ok(corePaths().includes("GET /user/id"), corePaths().join(", "));
    },
    { skip: alSkip },
);

step(
    "account linking: a third-party user with the same email is linked to it (canLinkAccounts, linkAccounts); the linked user",
    async ({ calls }) => {
        const primaryId = need("alPrimaryId");
        const made = await api.manuallyCreateOrUpdateUser("public", PROVIDER, AL_TP_USER_ID, AL_EMAIL);
        assert.equal(made.status, "OK", JSON.stringify(made));
        assert.equal(made.createdNew, true);
        const linkedId = made.recipeUserId;
        journey.alLinkedId = linkedId;
        assert.equal(made.user.id, linkedId, "not linked by the SDK: automatic linking is off");
        assert.equal(made.user.isPrimaryUser, false);

        // The primary user has the email: the third-party user cannot become primary.
        const refused = await AccountLinking.canCreatePrimaryUser(rid(linkedId));
        assert.equal(refused.status, "ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", JSON.stringify(refused));
        assert.equal(refused.primaryUserId, primaryId);
        assert.equal(refused.description, "This user's email is already associated with another user ID");

        assert.deepEqual(await AccountLinking.canLinkAccounts(rid(linkedId), primaryId), { status: "OK", accountsAlreadyLinked: false });
        assert.equal(lastRequest(calls, "GET /recipe/accountlinking/user/link/check").query, `?recipeUserId=${linkedId}&primaryUserId=${primaryId}`);
        const linked = await AccountLinking.linkAccounts(rid(linkedId), primaryId);
        assert.equal(linked.status, "OK", JSON.stringify(linked));
        assert.equal(linked.accountsAlreadyLinked, false);
        assert.deepEqual(al.user(linked.user), linkedUser(primaryId, linkedId));
        const link = lastRequest(calls, "POST /recipe/accountlinking/user/link");
        assert.deepEqual(JSON.parse(link.requestBody), { recipeUserId: linkedId, primaryUserId: primaryId });
        const answer = JSON.parse(link.responseBody);
        assert.deepEqual(Object.keys(answer).sort(), ["accountsAlreadyLinked", "status", "user"]);
        assertCoreUserShape(answer.user);

        // Either id reads the linked user; its email finds it once.
        assert.deepEqual(al.user(await SuperTokens.getUser(linkedId)), linkedUser(primaryId, linkedId));
        assert.deepEqual(al.user(await SuperTokens.getUser(primaryId)), linkedUser(primaryId, linkedId));
        assert.deepEqual((await SuperTokens.listUsersByAccountInfo("public", { email: AL_EMAIL })).map((u) => u.id), [primaryId]);
        assertCoreUserShape(JSON.parse(lastRequest(calls, "GET /user/id").responseBody).user);

        const again = await AccountLinking.linkAccounts(rid(linkedId), primaryId);
        assert.deepEqual([again.status, again.accountsAlreadyLinked], ["OK", true]);
        assert.deepEqual(al.user(again.user), linkedUser(primaryId, linkedId));
        assert.deepEqual(await AccountLinking.canLinkAccounts(rid(linkedId), primaryId), { status: "OK", accountsAlreadyLinked: true });
        // A linked login method cannot become primary itself.
        const linkedRefused = await AccountLinking.createPrimaryUser(rid(linkedId));
        assert.equal(linkedRefused.status, "RECIPE_USER_ID_ALREADY_LINKED_WITH_PRIMARY_USER_ID_ERROR", JSON.stringify(linkedRefused));
        assert.equal(linkedRefused.primaryUserId, primaryId);
    },
    { skip: alSkip },
);

step(
    "account linking: a session of the linked login method: userId is the primary user, recipeUserId the login method",
    async ({ calls }) => {
        const primaryId = need("alPrimaryId");
        const linkedId = need("alLinkedId");
        const s = await Session.createNewSessionWithoutRequestResponse("public", rid(linkedId), { journey: TAG });
        journey.alHandle = s.getHandle();
        assert.equal(s.getUserId(), primaryId);
        assert.equal(s.getRecipeUserId().getAsString(), linkedId);
        const create = lastRequest(calls, "POST /public/recipe/session");
        assert.equal(JSON.parse(create.requestBody).userId, linkedId, "the SDK sends the login method's id");
        const session = JSON.parse(create.responseBody).session;
        assert.deepEqual([session.userId, session.recipeUserId], [primaryId, linkedId]);
        const { payload } = decodeJwt(s.getAllSessionTokensDangerously().accessToken);
        assert.deepEqual([payload.sub, payload.rsub], [primaryId, linkedId]);
        const info = await Session.getSessionInformation(s.getHandle());
        assert.deepEqual([info.userId, info.recipeUserId.getAsString()], [primaryId, linkedId]);
        // The session is found by the primary user and by the login method.
        assert.ok((await Session.getAllSessionHandlesForUser(primaryId)).includes(s.getHandle()));
    },
    { skip: alSkip },
);

step(
    "account linking: a target that is not primary (INPUT_USER_IS_NOT_A_PRIMARY_USER), a login method linked elsewhere (RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR)",
    async ({ calls }) => {
        const primaryId = need("alPrimaryId");
        const linkedId = need("alLinkedId");
        const res = await EmailPassword.signUp("public", AL_OTHER_EMAIL, PASSWORD);
        assert.equal(res.status, "OK", JSON.stringify(res));
        const otherId = res.user.id;
        journey.alOtherId = otherId;

        assert.deepEqual(await AccountLinking.canLinkAccounts(rid(linkedId), otherId), { status: "INPUT_USER_IS_NOT_A_PRIMARY_USER" });
        assert.deepEqual(await AccountLinking.linkAccounts(rid(linkedId), otherId), { status: "INPUT_USER_IS_NOT_A_PRIMARY_USER" });
        assert.deepEqual(JSON.parse(lastRequest(calls, "POST /recipe/accountlinking/user/link").responseBody), { status: "INPUT_USER_IS_NOT_A_PRIMARY_USER" });

        const made = await AccountLinking.createPrimaryUser(rid(otherId));
        assert.deepEqual([made.status, made.wasAlreadyAPrimaryUser], ["OK", false]);
        const check = await AccountLinking.canLinkAccounts(rid(linkedId), otherId);
        assert.equal(check.status, "RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", JSON.stringify(check));
        assert.equal(check.primaryUserId, primaryId);
        assert.equal(typeof check.description, "string");
        const checkAnswer = JSON.parse(lastRequest(calls, "GET /recipe/accountlinking/user/link/check").responseBody);
        assert.deepEqual(Object.keys(checkAnswer).sort(), ["description", "primaryUserId", "status"]);

        const link = await AccountLinking.linkAccounts(rid(linkedId), otherId);
        assert.equal(link.status, "RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", JSON.stringify(link));
        assert.equal(link.primaryUserId, primaryId);
        // The SDK hands back the user the login method belongs to.
        assert.deepEqual(al.user(link.user), linkedUser(primaryId, linkedId));
        const linkAnswer = JSON.parse(lastRequest(calls, "POST /recipe/accountlinking/user/link").responseBody);
        assert.deepEqual(Object.keys(linkAnswer).sort(), ["description", "primaryUserId", "status", "user"]);
        assertCoreUserShape(linkAnswer.user);

        // Nothing changed.
        assert.deepEqual(al.user(await SuperTokens.getUser(linkedId)), linkedUser(primaryId, linkedId));
        assert.deepEqual((await SuperTokens.getUser(otherId)).loginMethods.map((lm) => lm.recipeUserId.getAsString()), [otherId]);
    },
    { skip: alSkip },
);

step(
    "account linking: unlink the login method: it is a user of its own again, its session is revoked",
    async ({ calls }) => {
        const primaryId = need("alPrimaryId");
        const linkedId = need("alLinkedId");
        assert.deepEqual(await AccountLinking.unlinkAccount(rid(linkedId)), { status: "OK", wasRecipeUserDeleted: false, wasLinked: true });
        assert.deepEqual(JSON.parse(lastRequest(calls, "POST /recipe/accountlinking/user/unlink").requestBody), { recipeUserId: linkedId });
        assert.deepEqual(al.user(await SuperTokens.getUser(linkedId)), {
            id: linkedId,
            isPrimaryUser: false,
            emails: [AL_EMAIL],
            thirdParty: [{ id: PROVIDER, userId: AL_TP_USER_ID }],
            tenantIds: ["public"],
            loginMethods: [linkedUser(primaryId, linkedId).loginMethods[1]],
        });
        const primary = al.user(await SuperTokens.getUser(primaryId));
        assert.deepEqual([primary.isPrimaryUser, primary.loginMethods.map((lm) => lm.recipeUserId)], [true, [primaryId]]);
        // The core revokes the sessions of the unlinked login method.
        if (journey.alHandle !== undefined) {
            assert.equal(await Session.getSessionInformation(journey.alHandle), undefined, "the unlinked login method's session is revoked");
        }
        assert.deepEqual(await AccountLinking.unlinkAccount(rid(linkedId)), { status: "OK", wasRecipeUserDeleted: false, wasLinked: false });
    },
    { skip: alSkip },
);

step(
    "account linking: linked again, the primary user is deleted with removeAllLinkedAccounts: its login methods are gone",
    async ({ calls }) => {
        const primaryId = need("alPrimaryId");
        const linkedId = need("alLinkedId");
        const linked = await AccountLinking.linkAccounts(rid(linkedId), primaryId);
        assert.deepEqual([linked.status, linked.accountsAlreadyLinked], ["OK", false]);
        await al.deleteUser(primaryId, true);
        assert.deepEqual(JSON.parse(lastRequest(calls, "POST /user/remove").requestBody), { userId: primaryId, removeAllLinkedAccounts: true });
        assert.equal(await SuperTokens.getUser(primaryId), undefined);
        assert.equal(await SuperTokens.getUser(linkedId), undefined, "the linked login method went with it");
        assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email: AL_EMAIL }), []);
        const otherId = need("alOtherId");
        await al.deleteUser(otherId, false);
        assert.deepEqual(JSON.parse(lastRequest(calls, "POST /user/remove").requestBody), { userId: otherId, removeAllLinkedAccounts: false });
        assert.equal(await SuperTokens.getUser(otherId), undefined);
    },
    { skip: alSkip },
);

step("every core call of the journey carried the negotiated cdi-version", async () => {
    const sdkCalls = proxy.exchanges.filter((e) => e.path !== "/apiversion" && !isJwksFetch(e));
    assert.ok(sdkCalls.length > 20, `the journey made ${sdkCalls.length} core calls`);
    const wrong = sdkCalls.filter((e) => e.cdiVersion !== release.cdi);
    assert.deepEqual(wrong.map(describe), [], `calls without cdi-version ${release.cdi}`);
});

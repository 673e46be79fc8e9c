"use strict";
// ThirdParty stage: the SDK's own sign-in-up API (POST /auth/signinup) served
// by its express middleware, with a custom provider configured statically in
// ThirdParty.init whose token and user-info endpoints are a fake provider
// started by this file (lib/fakeprovider.js). The SDK exchanges the code,
// reads the profile, then asks gatehouse to sign the user in or up and
// creates the session.
const test = require("node:test");
const assert = require("node:assert/strict");
const http = require("node:http");
const express = require("express");
const SuperTokens = require("supertokens-node");
const { middleware, errorHandler } = require("supertokens-node/framework/express");
const Session = require("supertokens-node/recipe/session");
const ThirdParty = require("supertokens-node/recipe/thirdparty");
const EmailVerification = require("supertokens-node/recipe/emailverification");
const h = require("../../lib/harness");
const apps = require("../../lib/apps");
const { startFakeProvider } = require("../../lib/fakeprovider");

const CLIENT_ID = "fake-client";
const CLIENT_SECRET = "fake-secret";
const REDIRECT = "http://localhost:3000/cb";
const rec = apps.coreRecorder();
let provider;
let app;

async function startApp() {
    const server = http.createServer();
    await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
    });
    const baseUrl = `http://127.0.0.1:${server.address().port}`;
    h.initSdk({
        appInfo: { apiDomain: baseUrl },
        recipeList: [
            ThirdParty.init({
                signInAndUpFeature: {
                    providers: [
                        {
                            config: {
                                thirdPartyId: "fake",
                                authorizationEndpoint: `${provider.baseUrl}/authorize`,
                                tokenEndpoint: `${provider.baseUrl}/token`,
                                userInfoEndpoint: `${provider.baseUrl}/userinfo`,
                                clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
                                userInfoMap: {
                                    fromUserInfoAPI: { userId: "id", email: "email", emailVerified: "email_verified" },
                                    // supertokens-node 24 defaults fromIdTokenPayload to
                                    // {userId: "sub", email: "email", emailVerified: "email_verified"}
                                    // and reads emailVerified from the (here empty) id token
                                    // payload last, which turns every email unverified. An
                                    // explicit undefined switches that mapping off.
                                    fromIdTokenPayload: { emailVerified: undefined },
                                },
                            },
                        },
                    ],
                },
            }),
            EmailVerification.init({ mode: "OPTIONAL" }),
            Session.init(),
        ],
        networkInterceptor: rec.intercept,
    });
    const expressApp = express();
    expressApp.use(middleware());
    expressApp.use(errorHandler());
    // eslint-disable-next-line no-unused-vars
    expressApp.use((err, req, res, next) => {
        res.status(500).json({ message: String(err && err.message) });
    });
    server.on("request", expressApp);
    return {
        baseUrl,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections?.();
                server.close(() => resolve());
            }),
    };
}

test.before(async () => {
    provider = await startFakeProvider();
    app = await startApp();
});

test.after(async () => {
    await app?.close();
    await provider?.close();
});

async function signInUp(code, headers = {}) {
    const res = await fetch(`${app.baseUrl}/auth/signinup`, {
        method: "POST",
        headers: { "content-type": "application/json", rid: "thirdparty", ...headers },
        body: JSON.stringify({
            thirdPartyId: "fake",
            redirectURIInfo: { redirectURIOnProviderDashboard: REDIRECT, redirectURIQueryParams: { code } },
        }),
    });
    return apps.readBody(res);
}

function cookies(res) {
    const out = {};
    for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(";");
        const i = pair.indexOf("=");
        out[pair.slice(0, i)] = pair.slice(i + 1);
    }
    return out;
}

test("POST /auth/signinup signs a new user up, then signs it in", async () => {
    const tpUserId = `fake-${apps.tag()}`;
    const email = `tp-api-${apps.tag()}@example.com`;
    const code1 = `code-${apps.tag()}`;
    provider.profiles.set(code1, { id: tpUserId, email, email_verified: true });

    const start = provider.requests.length;
    const { result: first, calls } = await rec.during(() => signInUp(code1));
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.status, "OK", first.text);
    assert.equal(first.json.createdNewRecipeUser, true, first.text);
    const user = first.json.user;
    assert.deepEqual(user.thirdParty, [{ id: "fake", userId: tpUserId }]);
    assert.deepEqual(user.emails, [email]);
    assert.deepEqual(user.tenantIds, ["public"]);
    assert.equal(user.loginMethods.length, 1);
    assert.equal(user.loginMethods[0].recipeId, "thirdparty");
    assert.equal(user.loginMethods[0].verified, true);

    // The SDK talked to the fake provider as configured.
    const seen = provider.requests.slice(start);
    assert.deepEqual(seen.map((r) => `${r.method} ${r.path}`), ["POST /token", "GET /userinfo"]);
    assert.deepEqual(seen[0].form, { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: REDIRECT, code: code1, grant_type: "authorization_code" });
    assert.equal(seen[1].headers.authorization, `Bearer at-${code1}`);

    // ...and to the core: the tenant's providers, the sign-in-up with the
    // profile's email and verified flag, and a session.
    const signinup = calls.filter((c) => c.path === "/public/recipe/signinup");
    assert.equal(signinup.length, 1, calls.map((c) => `${c.method} ${c.path}`).join(", "));
    assert.deepEqual(signinup[0].body, { thirdPartyId: "fake", thirdPartyUserId: tpUserId, email: { id: email, isVerified: true } });
    assert.ok(calls.some((c) => c.method === "GET" && c.path === "/public/recipe/multitenancy/tenant/v2"));
    assert.ok(calls.some((c) => c.method === "POST" && c.path === "/public/recipe/session"));

    // No st-auth-mode header: the session's tokens come back as headers.
    const access = first.headers.get("st-access-token");
    assert.ok(access, "st-access-token header");
    assert.ok(first.headers.get("st-refresh-token"), "st-refresh-token header");
    assert.ok(first.headers.get("front-token"), "front-token header");
    const session = await Session.getSessionWithoutRequestResponse(access);
    assert.equal(session.getUserId(), user.id);
    assert.equal(session.getTenantId(), "public");

    // The core got the verified email.
    assert.equal(await EmailVerification.isEmailVerified(SuperTokens.convertToRecipeUserId(user.id), email), true);
    const stored = await SuperTokens.getUser(user.id);
    assert.deepEqual(stored.thirdParty, [{ id: "fake", userId: tpUserId }]);
    assert.deepEqual(stored.emails, [email]);

    // Same provider account again (a new code): signed in, same user; this
    // time with cookies.
    const code2 = `code-${apps.tag()}`;
    provider.profiles.set(code2, { id: tpUserId, email, email_verified: true });
    const second = await signInUp(code2, { "st-auth-mode": "cookie" });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.status, "OK", second.text);
    assert.equal(second.json.createdNewRecipeUser, false, second.text);
    assert.equal(second.json.user.id, user.id);
    const jar = cookies(second);
    assert.ok(jar.sAccessToken, `sAccessToken cookie in ${JSON.stringify(Object.keys(jar))}`);
    assert.ok(jar.sRefreshToken, "sRefreshToken cookie");
    assert.ok(second.headers.get("front-token"), "front-token header");
    const session2 = await Session.getSessionWithoutRequestResponse(decodeURIComponent(jar.sAccessToken));
    assert.equal(session2.getUserId(), user.id);
    assert.notEqual(session2.getHandle(), session.getHandle());
});

test("an unverified provider email reaches the core unverified; a later verified one marks it", async () => {
    const tpUserId = `fake-${apps.tag()}`;
    const email = `tp-api-unv-${apps.tag()}@example.com`;
    const code1 = `code-${apps.tag()}`;
    provider.profiles.set(code1, { id: tpUserId, email, email_verified: false });
    const { result: first, calls } = await rec.during(() => signInUp(code1));
    assert.equal(first.json?.status, "OK", first.text);
    assert.equal(first.json.createdNewRecipeUser, true);
    const signinup = calls.find((c) => c.path === "/public/recipe/signinup");
    assert.deepEqual(signinup.body.email, { id: email, isVerified: false });
    const rid = SuperTokens.convertToRecipeUserId(first.json.user.id);
    assert.equal(await EmailVerification.isEmailVerified(rid, email), false);
    assert.equal(first.json.user.loginMethods[0].verified, false);

    // The provider changes the email and now says it is verified.
    const newEmail = `tp-api-new-${apps.tag()}@example.com`;
    const code2 = `code-${apps.tag()}`;
    provider.profiles.set(code2, { id: tpUserId, email: newEmail, email_verified: true });
    const second = await signInUp(code2);
    assert.equal(second.json?.status, "OK", second.text);
    assert.equal(second.json.createdNewRecipeUser, false);
    assert.equal(second.json.user.id, first.json.user.id);
    assert.deepEqual(second.json.user.emails, [newEmail]);
    assert.equal(await EmailVerification.isEmailVerified(rid, newEmail), true);
});

test("a code the provider refuses never reaches the core's sign-in-up", async () => {
    const { result, calls } = await rec.during(() => signInUp(`unknown-${apps.tag()}`));
    // The SDK throws on the provider's 400; the app's error handler answers 500.
    assert.equal(result.status, 500, result.text);
    assert.match(result.json.message, /status 400/);
    assert.ok(!calls.some((c) => c.path.endsWith("/recipe/signinup")), "no core sign-in-up for a refused code");
});

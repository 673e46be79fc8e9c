"use strict";
// Shared helpers for the account-linking stage: an app of its own (so
// automatic linking never meets another scenario's users), the SDK with
// AccountLinking (automatic linking on, `shouldRequireVerification` as the
// file asks) plus EmailPassword, ThirdParty (a custom provider whose token and
// user-info endpoints are lib/fakeprovider.js), Passwordless (delivery into an
// outbox, lib/passwordless.js), EmailVerification (OPTIONAL), UserMetadata,
// Session and Dashboard (API-key mode), served by express on an ephemeral
// port; and small clients for the SDK's own APIs (sign up / in, third-party
// sign-in-up, passwordless code / consume, the dashboard).

const assert = require("node:assert/strict");
const SuperTokens = require("supertokens-node");
const Session = require("supertokens-node/recipe/session");
const EmailPassword = require("supertokens-node/recipe/emailpassword");
const ThirdParty = require("supertokens-node/recipe/thirdparty");
const EmailVerification = require("supertokens-node/recipe/emailverification");
const UserMetadata = require("supertokens-node/recipe/usermetadata");
const Dashboard = require("supertokens-node/recipe/dashboard");
const AccountLinking = require("supertokens-node/recipe/accountlinking");
const h = require("./harness");
const apps = require("./apps");
const pl = require("./passwordless");
const { startFakeProvider } = require("./fakeprovider");

const PROVIDER_ID = "fake";
const CLIENT_ID = "fake-client";
const CLIENT_SECRET = "fake-secret";
const REDIRECT = "http://localhost:3000/cb";
const PASSWORD = "linking-password-1";

// Starts everything for one file: creates the app `appPrefix-<tag>`, the fake
// provider and the express app, and inits the SDK. `requireVerification` is
// what shouldDoAutomaticAccountLinking answers as shouldRequireVerification.
// Every decision the SDK asks for is recorded in `decisions`.
async function startLinkingApp({ appPrefix, requireVerification }) {
    const appId = `${appPrefix}-${apps.tag()}`;
    const dashboardKey = `dashboard-key-${apps.tag()}`;
    const rec = apps.coreRecorder();
    const box = pl.outbox();
    const decisions = [];
    await apps.createApp(appId);
    const provider = await startFakeProvider();
    const app = await pl.startApp((baseUrl) =>
        h.initSdk({
            connectionURI: `${h.GATEHOUSE_URL}/appid-${appId}`,
            appInfo: { apiDomain: baseUrl },
            recipeList: [
                // Password-reset emails land in the outbox too (box.emails, type PASSWORD_RESET).
                EmailPassword.init({
                    emailDelivery: {
                        override: (original) => ({
                            ...original,
                            sendEmail: async (input) => {
                                const { userContext: _ignored, ...rest } = input;
                                box.emails.push({ ...rest, email: rest.user.email });
                            },
                        }),
                    },
                }),
                ThirdParty.init({
                    signInAndUpFeature: {
                        providers: [
                            {
                                config: {
                                    thirdPartyId: PROVIDER_ID,
                                    authorizationEndpoint: `${provider.baseUrl}/authorize`,
                                    tokenEndpoint: `${provider.baseUrl}/token`,
                                    userInfoEndpoint: `${provider.baseUrl}/userinfo`,
                                    clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
                                    userInfoMap: {
                                        fromUserInfoAPI: { userId: "id", email: "email", emailVerified: "email_verified" },
                                        // See the ThirdParty stage: without this, supertokens-node 24
                                        // turns every provider email unverified.
                                        fromIdTokenPayload: { emailVerified: undefined },
                                    },
                                },
                            },
                        ],
                    },
                }),
                pl.passwordlessRecipe(box),
                EmailVerification.init({ mode: "OPTIONAL" }),
                UserMetadata.init(),
                Session.init(),
                Dashboard.init({ apiKey: dashboardKey }),
                AccountLinking.init({
                    shouldDoAutomaticAccountLinking: async (newAccountInfo, user, session, tenantId) => {
                        decisions.push({ recipeId: newAccountInfo.recipeId, email: newAccountInfo.email, primaryUserId: user?.id, tenantId });
                        return { shouldAutomaticallyLink: true, shouldRequireVerification: requireVerification };
                    },
                }),
            ],
            networkInterceptor: rec.intercept,
        }));

    // POST /auth/signup with the email and password form fields.
    async function signUpApi(email, password = PASSWORD) {
        const res = await app.ok("POST", "/auth/signup", {
            body: { formFields: [{ id: "email", value: email }, { id: "password", value: password }] },
        });
        return res;
    }

    async function signInApi(email, password = PASSWORD) {
        return app.ok("POST", "/auth/signin", {
            body: { formFields: [{ id: "email", value: email }, { id: "password", value: password }] },
        });
    }

    // POST /auth/signinup for the fake provider with a fresh code standing
    // for the given profile ({id, email, email_verified}).
    async function thirdPartyApi(profile) {
        const code = `code-${apps.tag()}`;
        provider.profiles.set(code, profile);
        return app.ok("POST", "/auth/signinup", {
            headers: { rid: "thirdparty" },
            body: {
                thirdPartyId: PROVIDER_ID,
                redirectURIInfo: { redirectURIOnProviderDashboard: REDIRECT, redirectURIQueryParams: { code } },
            },
        });
    }

    // Passwordless by email through the SDK's APIs: create a code, read it
    // from the outbox, consume it. Answers the consume response.
    async function passwordlessApi(email) {
        const created = await app.ok("POST", "/auth/signinup/code", { body: { email } });
        assert.equal(created.json.status, "OK", created.text);
        const mail = box.lastEmailTo(email);
        assert.equal(mail.type, "PASSWORDLESS_LOGIN");
        assert.equal(mail.preAuthSessionId, created.json.preAuthSessionId);
        return app.ok("POST", "/auth/signinup/code/consume", {
            body: { preAuthSessionId: created.json.preAuthSessionId, deviceId: created.json.deviceId, userInputCode: mail.userInputCode },
        });
    }

    // A dashboard API call with the API key.
    async function dashboard(method, path, body) {
        return app.call(method, `/auth/dashboard/api${path}`, {
            body,
            headers: { authorization: `Bearer ${dashboardKey}` },
        });
    }

    async function dashboardOk(method, path, body) {
        const res = await dashboard(method, path, body);
        assert.equal(res.status, 200, `${method} ${path} answered ${res.status}: ${res.text}`);
        assert.ok(res.json !== undefined, `${method} ${path} answered non-JSON: ${res.text}`);
        return res.json;
    }

    async function close() {
        await app.close();
        await provider.close();
        await apps.removeApp(appId);
    }

    return {
        appId,
        rec,
        box,
        provider,
        decisions,
        app,
        signUpApi,
        signInApi,
        thirdPartyApi,
        passwordlessApi,
        dashboard,
        dashboardOk,
        close,
    };
}

// The session an API answered in headers (no st-auth-mode: header mode).
async function sessionOf(res) {
    const access = res.headers.get("st-access-token");
    assert.ok(access, `st-access-token header in ${res.status} ${res.text}`);
    assert.ok(res.headers.get("front-token"), "front-token header");
    return { access, session: await Session.getSessionWithoutRequestResponse(access) };
}

// The payload of a JWT (no verification: the SDK has verified it already).
function jwtPayload(token) {
    return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

// A user's login methods as comparable plain data, sorted by recipe id.
function methods(user) {
    const json = typeof user.toJson === "function" ? user.toJson() : user;
    return json.loginMethods
        .map((lm) => ({
            recipeId: lm.recipeId,
            recipeUserId: typeof lm.recipeUserId === "string" ? lm.recipeUserId : lm.recipeUserId.getAsString(),
            email: lm.email,
            phoneNumber: lm.phoneNumber,
            thirdParty: lm.thirdParty,
            verified: lm.verified,
        }))
        .sort((a, b) => a.recipeId.localeCompare(b.recipeId) || a.recipeUserId.localeCompare(b.recipeUserId));
}

// Marks an email verified through the SDK's EmailVerification functions
// (create a token, use it; account linking attempted as the SDK does).
async function verifyEmail(recipeUserId, email, tenantId = "public") {
    const rid = typeof recipeUserId === "string" ? SuperTokens.convertToRecipeUserId(recipeUserId) : recipeUserId;
    const token = await EmailVerification.createEmailVerificationToken(tenantId, rid, email);
    assert.equal(token.status, "OK", JSON.stringify(token));
    const verified = await EmailVerification.verifyEmailUsingToken(tenantId, token.token);
    assert.equal(verified.status, "OK", JSON.stringify(verified));
    return verified;
}

function randomEmail(prefix) {
    return `${prefix}-${apps.tag()}@example.com`;
}

module.exports = {
    SuperTokens,
    Session,
    EmailPassword,
    ThirdParty,
    EmailVerification,
    UserMetadata,
    AccountLinking,
    PROVIDER_ID,
    PASSWORD,
    startLinkingApp,
    sessionOf,
    jwtPayload,
    methods,
    verifyEmail,
    randomEmail,
};

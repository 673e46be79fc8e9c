"use strict";
// The supertokens-node release matrix: which package (an npm alias in
// package.json, pinned in package-lock.json), the CDI version it speaks (its
// lib/build/version.js `cdiSupported`, a single version in every entry), the
// access-token version the core issues for that CDI, and the adapter for the
// public API of that release. Everything release-specific in the journey goes
// through the adapter, so the differences are all here.

const fs = require("node:fs");
const path = require("node:path");

const RELEASES = {
    15: { pkg: "supertokens-node-15", version: "15.2.3", cdi: "3.0", tokenVersion: "4", api: "v15" },
    16: { pkg: "supertokens-node-16", version: "16.7.6", cdi: "4.0", tokenVersion: "5", api: "v16" },
    19: { pkg: "supertokens-node-19", version: "19.0.2", cdi: "5.1", tokenVersion: "5", api: "v16" },
    21: { pkg: "supertokens-node-21", version: "21.1.2", cdi: "5.2", tokenVersion: "5", api: "v16" },
    23: { pkg: "supertokens-node-23", version: "23.1.0", cdi: "5.3", tokenVersion: "5", api: "v16" },
    24: { pkg: "supertokens-node-24", version: "24.0.3", cdi: "5.4", tokenVersion: "5", api: "v16" },
};

// 15.x (CDI 3.0, before account linking): users are recipe users
// ({id, email, timeJoined, tenantIds}); signUp/signIn answer {status, user};
// sessions and email verification take a plain string user id; the user is
// read with EmailPassword.getUserById; verifyEmailUsingToken answers
// user {id, email}; the theft payload is {userId, sessionHandle}; the
// dashboard's users list holds {recipeId, user: {...}}.
function v15(sdk) {
    return {
        userIdArg: (id) => id,
        // signUp/signIn OK answers, as {id, email, recipeUserId}.
        authResult: (res) => ({ id: res.user.id, email: res.user.email, recipeUserId: res.user.id }),
        getUser: async (id) => {
            const u = await sdk.EmailPassword.getUserById(id);
            return u && { id: u.id, emails: [u.email], tenantIds: u.tenantIds, timeJoined: u.timeJoined, recipeIds: ["emailpassword"] };
        },
        verifyEmailUsingToken: (token) => sdk.EmailVerification.verifyEmailUsingToken("public", token),
        verifiedUser: (user) => ({ id: user.id, email: user.email }),
        theftPayload: (p) => ({ userId: p.userId, sessionHandle: p.sessionHandle }),
        expectedTheftPayload: (userId, handle) => ({ userId, sessionHandle: handle }),
        dashboardUser: (entry) => ({ id: entry.user.id, emails: [entry.user.email], firstName: entry.user.firstName, recipeId: entry.recipeId }),
    };
}

// 16.x and later (CDI 4.0+, account linking): users are primary users with
// loginMethods; signUp/signIn also answer recipeUserId; sessions and email
// verification take a RecipeUserId; SuperTokens.getUser reads the user;
// verifyEmailUsingToken answers user {recipeUserId, email} (and has an
// attemptAccountLinking argument); the theft payload also has recipeUserId;
// the dashboard's users list holds user JSON (emails, loginMethods).
function v16(sdk) {
    return {
        userIdArg: (id) => sdk.SuperTokens.convertToRecipeUserId(id),
        authResult: (res) => ({ id: res.user.id, email: res.user.emails[0], recipeUserId: res.recipeUserId.getAsString() }),
        getUser: async (id) => {
            const u = await sdk.SuperTokens.getUser(id);
            return u && { id: u.id, emails: u.emails, tenantIds: u.tenantIds, timeJoined: u.timeJoined, recipeIds: u.loginMethods.map((lm) => lm.recipeId) };
        },
        verifyEmailUsingToken: (token) => sdk.EmailVerification.verifyEmailUsingToken("public", token, false),
        verifiedUser: (user) => ({ id: user.recipeUserId.getAsString(), email: user.email }),
        theftPayload: (p) => ({ userId: p.userId, recipeUserId: p.recipeUserId && p.recipeUserId.getAsString(), sessionHandle: p.sessionHandle }),
        expectedTheftPayload: (userId, handle) => ({ userId, recipeUserId: userId, sessionHandle: handle }),
        dashboardUser: (entry) => ({ id: entry.id, emails: entry.emails, firstName: entry.firstName, recipeId: entry.loginMethods?.[0]?.recipeId }),
    };
}

const ADAPTERS = { v15, v16 };

// Loads one release: its modules and its adapter.
function loadRelease(name) {
    const release = RELEASES[name];
    if (!release) {
        throw new Error(`unknown release ${JSON.stringify(name)}; one of ${Object.keys(RELEASES).join(", ")}`);
    }
    const p = release.pkg;
    const sdk = {
        SuperTokens: require(p),
        Session: require(`${p}/recipe/session`),
        EmailPassword: require(`${p}/recipe/emailpassword`),
        EmailVerification: require(`${p}/recipe/emailverification`),
        UserMetadata: require(`${p}/recipe/usermetadata`),
        UserRoles: require(`${p}/recipe/userroles`),
        Dashboard: require(`${p}/recipe/dashboard`),
        framework: require(`${p}/framework/express`),
        Querier: require(`${p}/lib/build/querier`).Querier,
        // 19.x and later have package.json "exports" without ./package.json.
        installedVersion: JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve(p)), "package.json"), "utf8")).version,
        cdiSupported: require(`${p}/lib/build/version`).cdiSupported,
    };
    return { ...release, name, sdk, api: ADAPTERS[release.api](sdk) };
}

module.exports = { RELEASES, loadRelease };

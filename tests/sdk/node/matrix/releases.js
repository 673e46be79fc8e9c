"use strict";
// The supertokens-node release matrix: which package (an npm alias in
// package.json, pinned in package-lock.json), the CDI version it speaks (its
// lib/build/version.js `cdiSupported`, a single version in every entry), the
// access-token version the core issues for that CDI, and the adapter for the
// public API of that release. Everything release-specific in the journey goes
// through the adapter, so the differences are all here.

const fs = require("node:fs");
const path = require("node:path");

// tenantApi: which multitenancy API the release has (TENANT_APIS below).
const RELEASES = {
    15: { pkg: "supertokens-node-15", version: "15.2.3", cdi: "3.0", tokenVersion: "4", api: "v15", tenantApi: "v1" },
    16: { pkg: "supertokens-node-16", version: "16.7.6", cdi: "4.0", tokenVersion: "5", api: "v16", tenantApi: "v1" },
    19: { pkg: "supertokens-node-19", version: "19.0.2", cdi: "5.1", tokenVersion: "5", api: "v16", tenantApi: "v2" },
    21: { pkg: "supertokens-node-21", version: "21.1.2", cdi: "5.2", tokenVersion: "5", api: "v16", tenantApi: "v2" },
    23: { pkg: "supertokens-node-23", version: "23.1.0", cdi: "5.3", tokenVersion: "5", api: "v16", tenantApi: "v2" },
    24: { pkg: "supertokens-node-24", version: "24.0.3", cdi: "5.4", tokenVersion: "5", api: "v16", tenantApi: "v2" },
};

// The multitenancy API of a release. v1 (15.x and 16.x, CDI 3.0 and 4.0):
// createOrUpdateTenant takes one boolean per login method and goes to the
// deprecated PUT /recipe/multitenancy/tenant; getTenant / listAllTenants
// read GET /<tenant>/recipe/multitenancy/tenant and
// GET /recipe/multitenancy/tenant/list, which answer {enabled} per login
// method. v2 (19.x and later, CDI 5.1+): firstFactors, and the /v2 paths,
// which answer firstFactors and thirdParty {providers} only. Both SDKs hand
// back the core's JSON as it is, so `expected` is the core's tenant JSON
// (getTenant adds status "OK").
const TENANT_APIS = {
    v1: {
        createConfig: { emailPasswordEnabled: true, thirdPartyEnabled: true, passwordlessEnabled: false },
        expected: (tenantId, providers) => ({
            tenantId,
            emailPassword: { enabled: true },
            thirdParty: { enabled: true, providers },
            passwordless: { enabled: false },
            coreConfig: {},
        }),
        paths: {
            create: "PUT /recipe/multitenancy/tenant",
            get: (tenantId) => `GET /${tenantId}/recipe/multitenancy/tenant`,
            list: "GET /recipe/multitenancy/tenant/list",
        },
    },
    v2: {
        createConfig: { firstFactors: ["emailpassword", "thirdparty"] },
        expected: (tenantId, providers) => ({
            tenantId,
            thirdParty: { providers },
            firstFactors: ["emailpassword", "thirdparty"],
            coreConfig: {},
        }),
        paths: {
            create: "PUT /recipe/multitenancy/tenant/v2",
            get: (tenantId) => `GET /${tenantId}/recipe/multitenancy/tenant/v2`,
            list: "GET /recipe/multitenancy/tenant/list/v2",
        },
    },
};

// A passwordless user as the journey compares it, from a 15.x recipe user
// ({id, email?, phoneNumber?, timeJoined, tenantIds}) or from a 16.x+ user
// (emails, phoneNumbers, loginMethods).
function passwordlessRecipeUser(u) {
    return (
        u && {
            id: u.id,
            emails: u.email === undefined ? [] : [u.email],
            phoneNumbers: u.phoneNumber === undefined ? [] : [u.phoneNumber],
            tenantIds: u.tenantIds,
            timeJoined: u.timeJoined,
            recipeIds: ["passwordless"],
        }
    );
}

function passwordlessUser(u) {
    return (
        u && {
            id: u.id,
            emails: u.emails,
            phoneNumbers: u.phoneNumbers,
            tenantIds: u.tenantIds,
            timeJoined: u.timeJoined,
            recipeIds: u.loginMethods.map((lm) => lm.recipeId),
        }
    );
}

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
        // Third-party users are recipe users {id, email, thirdParty, tenantIds};
        // manuallyCreateOrUpdateUser(tenant, provider, providerUserId, email)
        // answers {status, createdNewUser, user}. They are read through the
        // ThirdParty recipe (rid thirdparty), with the deprecated
        // GET /recipe/user?userId, GET /<tenant>/recipe/user?thirdPartyId&thirdPartyUserId
        // and GET /<tenant>/recipe/users/by-email (third-party users only).
        thirdPartyUser: (u) => u && { id: u.id, emails: [u.email], thirdParty: [u.thirdParty], tenantIds: u.tenantIds, recipeIds: ["thirdparty"] },
        manuallyCreateOrUpdateUser: async (tenantId, thirdPartyId, thirdPartyUserId, email) => {
            const res = await sdk.ThirdParty.manuallyCreateOrUpdateUser(tenantId, thirdPartyId, thirdPartyUserId, email);
            return { status: res.status, createdNew: res.createdNewUser, recipeUserId: res.user.id, user: res.user };
        },
        getThirdPartyUser: {
            byId: (id) => sdk.ThirdParty.getUserById(id),
            byIdPath: "GET /recipe/user",
            byProvider: async (tenantId, thirdPartyId, thirdPartyUserId) => {
                const u = await sdk.ThirdParty.getUserByThirdPartyInfo(tenantId, thirdPartyId, thirdPartyUserId);
                return u === undefined ? [] : [u];
            },
            byProviderPath: (tenantId) => `GET /${tenantId}/recipe/user`,
            byEmail: (tenantId, email) => sdk.ThirdParty.getUsersByEmail(tenantId, email),
            byEmailPath: (tenantId) => `GET /${tenantId}/recipe/users/by-email`,
            byEmailFindsOtherRecipes: false,
        },
        // associateUserToTenant(tenant, userId) sends {userId}.
        associateBodyKey: "userId",
        // No AccountLinking recipe (CDI 3.0): the account-linking leg is skipped.
        accountLinking: undefined,
        // Passwordless users are recipe users {id, email?, phoneNumber?,
        // timeJoined, tenantIds}; consumeCode answers {status, createdNewUser,
        // user}. They are read and updated through the Passwordless recipe
        // (rid passwordless): getUserById → GET /recipe/user?userId,
        // getUserByEmail / getUserByPhoneNumber → GET /<tenant>/recipe/user,
        // updateUser({userId, ...}) → PUT /recipe/user.
        passwordless: {
            user: passwordlessRecipeUser,
            consumed: (res) => ({
                status: res.status,
                createdNew: res.createdNewUser,
                recipeUserId: res.user.id,
                user: passwordlessRecipeUser(res.user),
                consumedDevice: res.consumedDevice,
            }),
            getUserById: async (id) => passwordlessRecipeUser(await sdk.Passwordless.getUserById({ userId: id })),
            byEmail: async (tenantId, email) => {
                const u = await sdk.Passwordless.getUserByEmail({ tenantId, email });
                return u === undefined ? [] : [passwordlessRecipeUser(u)];
            },
            byPhoneNumber: async (tenantId, phoneNumber) => {
                const u = await sdk.Passwordless.getUserByPhoneNumber({ tenantId, phoneNumber });
                return u === undefined ? [] : [passwordlessRecipeUser(u)];
            },
            updateUser: (id, update) => sdk.Passwordless.updateUser({ userId: id, ...update }),
            updateBodyKey: "userId",
            paths: {
                byId: "GET /recipe/user",
                byAccountInfo: (tenantId) => `GET /${tenantId}/recipe/user`,
            },
        },
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
        // Third-party users are users with loginMethods;
        // manuallyCreateOrUpdateUser(tenant, provider, providerUserId, email,
        // isVerified) answers {status, createdNewRecipeUser, user,
        // recipeUserId}. They are read with SuperTokens.getUser
        // (GET /user/id) and SuperTokens.listUsersByAccountInfo
        // (GET /<tenant>/users/by-accountinfo, every recipe's users).
        thirdPartyUser: (u) =>
            u && { id: u.id, emails: u.emails, thirdParty: u.thirdParty, tenantIds: u.tenantIds, recipeIds: u.loginMethods.map((lm) => lm.recipeId) },
        manuallyCreateOrUpdateUser: async (tenantId, thirdPartyId, thirdPartyUserId, email) => {
            const res = await sdk.ThirdParty.manuallyCreateOrUpdateUser(tenantId, thirdPartyId, thirdPartyUserId, email, false);
            return { status: res.status, createdNew: res.createdNewRecipeUser, recipeUserId: res.recipeUserId?.getAsString(), user: res.user };
        },
        getThirdPartyUser: {
            byId: (id) => sdk.SuperTokens.getUser(id),
            byIdPath: "GET /user/id",
            byProvider: (tenantId, thirdPartyId, thirdPartyUserId) =>
                sdk.SuperTokens.listUsersByAccountInfo(tenantId, { thirdParty: { id: thirdPartyId, userId: thirdPartyUserId } }),
            byProviderPath: (tenantId) => `GET /${tenantId}/users/by-accountinfo`,
            byEmail: (tenantId, email) => sdk.SuperTokens.listUsersByAccountInfo(tenantId, { email }),
            byEmailPath: (tenantId) => `GET /${tenantId}/users/by-accountinfo`,
            byEmailFindsOtherRecipes: true,
        },
        // associateUserToTenant(tenant, RecipeUserId) sends {recipeUserId}.
        associateBodyKey: "recipeUserId",
        // The AccountLinking recipe, the same functions in every release from
        // 16.x: canCreatePrimaryUser / createPrimaryUser (GET|POST
        // /recipe/accountlinking/user/primary[/check]), canLinkAccounts /
        // linkAccounts (GET|POST /recipe/accountlinking/user/link[/check]),
        // unlinkAccount (POST /recipe/accountlinking/user/unlink), all taking
        // a RecipeUserId; SuperTokens.deleteUser(userId,
        // removeAllLinkedAccounts) → POST /user/remove. Its users are the
        // SDK's User (isPrimaryUser, loginMethods with a RecipeUserId).
        accountLinking: {
            AccountLinking: sdk.AccountLinking,
            user: (u) =>
                u && {
                    id: u.id,
                    isPrimaryUser: u.isPrimaryUser,
                    emails: u.emails,
                    thirdParty: u.thirdParty,
                    tenantIds: u.tenantIds,
                    loginMethods: u.loginMethods
                        .map((lm) => ({
                            recipeId: lm.recipeId,
                            recipeUserId: lm.recipeUserId.getAsString(),
                            email: lm.email,
                            thirdParty: lm.thirdParty,
                            verified: lm.verified,
                            tenantIds: lm.tenantIds,
                        }))
                        .sort((a, b) => a.recipeId.localeCompare(b.recipeId)),
                },
            deleteUser: (id, removeAllLinkedAccounts) => sdk.SuperTokens.deleteUser(id, removeAllLinkedAccounts),
        },
        // Passwordless users are users with loginMethods; consumeCode answers
        // {status, createdNewRecipeUser, user, recipeUserId} (19.x and later
        // also consumedDevice). The Passwordless recipe has no getters: users
        // are read with SuperTokens.getUser (GET /user/id) and
        // listUsersByAccountInfo (GET /<tenant>/users/by-accountinfo);
        // updateUser({recipeUserId, ...}) → PUT /recipe/user.
        passwordless: {
            user: passwordlessUser,
            consumed: (res) => ({
                status: res.status,
                createdNew: res.createdNewRecipeUser,
                recipeUserId: res.recipeUserId?.getAsString(),
                user: passwordlessUser(res.user),
                consumedDevice: res.consumedDevice,
            }),
            getUserById: async (id) => passwordlessUser(await sdk.SuperTokens.getUser(id)),
            byEmail: async (tenantId, email) => (await sdk.SuperTokens.listUsersByAccountInfo(tenantId, { email })).map(passwordlessUser),
            byPhoneNumber: async (tenantId, phoneNumber) =>
                (await sdk.SuperTokens.listUsersByAccountInfo(tenantId, { phoneNumber })).map(passwordlessUser),
            updateUser: (id, update) => sdk.Passwordless.updateUser({ recipeUserId: sdk.SuperTokens.convertToRecipeUserId(id), ...update }),
            updateBodyKey: "recipeUserId",
            paths: {
                byId: "GET /user/id",
                byAccountInfo: (tenantId) => `GET /${tenantId}/users/by-accountinfo`,
            },
        },
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
        ThirdParty: require(`${p}/recipe/thirdparty`),
        Passwordless: require(`${p}/recipe/passwordless`),
        // 16.x and later (CDI 4.0+) only; 15.x has no account linking.
        AccountLinking: release.api === "v15" ? undefined : require(`${p}/recipe/accountlinking`),
        Multitenancy: require(`${p}/recipe/multitenancy`),
        Dashboard: require(`${p}/recipe/dashboard`),
        framework: require(`${p}/framework/express`),
        Querier: require(`${p}/lib/build/querier`).Querier,
        // 19.x and later have package.json "exports" without ./package.json.
        installedVersion: JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve(p)), "package.json"), "utf8")).version,
        cdiSupported: require(`${p}/lib/build/version`).cdiSupported,
    };
    return { ...release, name, sdk, api: ADAPTERS[release.api](sdk), tenants: TENANT_APIS[release.tenantApi] };
}

module.exports = { RELEASES, loadRelease };
